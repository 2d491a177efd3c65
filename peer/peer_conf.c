/* SPDX-License-Identifier: ISC */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "errf.h"
#include "log.h"
#include "peer_conf.h"
#include "redisurl.h"
#include "relayurl.h"
#include "sig_verify.h"
#include "tfchain_read.h"

static const struct {
	const char	*name;
	int		 repeatable;
} keywords[PKW_COUNT] = {
	[PKW_KEY_TYPE] =	{ "key-type", 0 },
	[PKW_MNEMONIC_FILE] =	{ "mnemonic-file", 0 },
	[PKW_REDIS] =		{ "redis", 0 },
	[PKW_RELAY] =		{ "relay", 1 },
	[PKW_SUBSTRATE] =	{ "substrate", 1 },
	[PKW_TWINS] =		{ "twins", 0 },
	[PKW_NO_UPDATE] =	{ "no-update", 0 },
	[PKW_USER] =		{ "user", 0 },
	[PKW_JAIL] =		{ "jail", 0 },
	[PKW_DEBUG] =		{ "debug", 0 },
	[PKW_TWIN_CACHE] =	{ "twin-cache", 0 },
	[PKW_TWIN_TTL] =	{ "twin-ttl", 0 },
	[PKW_KEYD_USER] =	{ "keyd-user", 0 },
	[PKW_NETD_USER] =	{ "netd-user", 0 },
	[PKW_APID_USER] =	{ "apid-user", 0 },
};

void
peer_conf_init(struct peer_conf *c)
{
	memset(c, 0, sizeof(*c));
	c->key_type = KEY_SR25519;
	c->twin_cache = PEER_TWIN_CACHE;
	c->twin_ttl = PEER_TWIN_TTL;
}

const char *
peer_kw_name(enum peer_kw kw)
{
	if ((unsigned int)kw >= PKW_COUNT)
		return NULL;
	return keywords[kw].name;
}

int
peer_kw_repeatable(enum peer_kw kw)
{
	return (unsigned int)kw < PKW_COUNT && keywords[kw].repeatable;
}

/* Copies s into out (cap bytes) or says it is too long. */
static int
copy(char *out, size_t cap, const char *s, char *why, size_t whylen)
{
	size_t	len = strlen(s);

	if (len >= cap)
		return errf(why, whylen, "longer than %zu bytes", cap - 1);
	memcpy(out, s, len + 1);
	return 0;
}

static int
set_path(char *out, size_t cap, const char *s, char *why, size_t whylen)
{
	if (s[0] != '/')
		return errf(why, whylen, "\"%.64s\" is not an absolute path",
		    s);
	return copy(out, cap, s, why, whylen);
}

static int
set_relay(struct peer_conf *c, const char *v, char *why, size_t whylen)
{
	struct relay_url	u;
	size_t			i;

	if (relayurl_parse(&u, v, why, whylen) == -1)
		return -1;
	for (i = 0; i < c->nrelay; i++)
		if (strcasecmp(c->relay[i], v) == 0)
			return errf(why, whylen, "%.64s is given twice", v);
	if (c->nrelay == RELAYS_MAX)
		return errf(why, whylen, "more than %d relays", RELAYS_MAX);
	return copy(c->relay[c->nrelay++], sizeof(c->relay[0]), v, why,
	    whylen);
}

static int
set_substrate(struct peer_conf *c, const char *v, char *why, size_t whylen)
{
	struct relay_url	u;
	size_t			i;

	if (ws_url_parse(&u, v, why, whylen) == -1)
		return -1;
	for (i = 0; i < c->nsubstrate; i++)
		if (strcasecmp(c->substrate[i], v) == 0)
			return errf(why, whylen, "%.64s is given twice", v);
	if (c->nsubstrate == SUBSTRATES_MAX)
		return errf(why, whylen, "more than %d substrate URLs",
		    SUBSTRATES_MAX);
	return copy(c->substrate[c->nsubstrate++], sizeof(c->substrate[0]), v,
	    why, whylen);
}

/* A name useradd(8) would take: no leading '-' or digit-only surprises. */
static int
set_user(char out[USER_NAME_MAX + 1], const char *v, char *why,
    size_t whylen)
{
	size_t	i, n = strlen(v);

	if (n == 0 || n > USER_NAME_MAX)
		return errf(why, whylen, "a user name has 1 to %d characters",
		    USER_NAME_MAX);
	if (!((v[0] >= 'a' && v[0] <= 'z') || (v[0] >= 'A' && v[0] <= 'Z') ||
	    v[0] == '_'))
		return errf(why, whylen, "a user name starts with a letter "
		    "or _");
	for (i = 1; i < n; i++)
		if (!((v[i] >= 'a' && v[i] <= 'z') ||
		    (v[i] >= 'A' && v[i] <= 'Z') ||
		    (v[i] >= '0' && v[i] <= '9') || v[i] == '_' ||
		    v[i] == '-' || v[i] == '.'))
			return errf(why, whylen, "a user name has only "
			    "A-Z a-z 0-9 _ - .");
	if (strcmp(v, "root") == 0)
		return errf(why, whylen, "the children never run as root");
	memcpy(out, v, n + 1);
	return 0;
}

/* A decimal count from 1 to max, no sign or leading zero. */
static int
set_count(unsigned int *out, const char *v, unsigned int max, char *why,
    size_t whylen)
{
	unsigned long	n = 0;
	size_t		i;

	for (i = 0; v[i] >= '0' && v[i] <= '9' && i < 8; i++)
		n = n * 10 + (unsigned long)(v[i] - '0');
	if (i == 0 || v[i] != '\0' || v[0] == '0' || n > max)
		return errf(why, whylen, "a number from 1 to %u, not "
		    "\"%.32s\"", max, v);
	*out = (unsigned int)n;
	return 0;
}

int
peer_conf_set(struct peer_conf *c, enum peer_kw kw, const char *v,
    char *why, size_t whylen)
{
	struct redis_url	 u;
	enum key_type		 kt;
	int			 rc;

	if (v == NULL || v[0] == '\0')
		return errf(why, whylen, "empty value");
	switch (kw) {
	case PKW_KEY_TYPE:
		if (key_type_parse(&kt, v) == -1)
			return errf(why, whylen, "invalid key type \"%.32s\" "
			    "(sr25519 or ed25519)", v);
		c->key_type = kt;
		rc = 0;
		break;
	case PKW_MNEMONIC_FILE:
		rc = set_path(c->mnemonic_file, sizeof(c->mnemonic_file), v,
		    why, whylen);
		break;
	case PKW_REDIS:
		if (strlen(v) > REDISURL_MAX)
			return errf(why, whylen, "longer than %d bytes",
			    REDISURL_MAX);
		/* The parser's reasons never repeat the password. */
		if (redis_url_parse(&u, v, why, whylen) == -1)
			return -1;
		explicit_bzero(&u, sizeof(u));
		rc = copy(c->redis, sizeof(c->redis), v, why, whylen);
		break;
	case PKW_RELAY:
		rc = set_relay(c, v, why, whylen);
		break;
	case PKW_SUBSTRATE:
		rc = set_substrate(c, v, why, whylen);
		break;
	case PKW_TWINS:
		rc = set_path(c->twins, sizeof(c->twins), v, why, whylen);
		break;
	case PKW_NO_UPDATE:
		if (strcmp(v, "yes") == 0)
			c->no_update = 1;
		else if (strcmp(v, "no") == 0)
			c->no_update = 0;
		else
			return errf(why, whylen, "yes or no, not \"%.32s\"", v);
		rc = 0;
		break;
	case PKW_TWIN_CACHE:
		rc = set_count(&c->twin_cache, v, TWINCACHE_MAX, why, whylen);
		break;
	case PKW_TWIN_TTL:
		rc = set_count(&c->twin_ttl, v, TWIN_TTL_MAX, why, whylen);
		break;
	case PKW_USER:
		rc = set_user(c->user, v, why, whylen);
		break;
	case PKW_KEYD_USER:
		rc = set_user(c->keyd_user, v, why, whylen);
		break;
	case PKW_NETD_USER:
		rc = set_user(c->netd_user, v, why, whylen);
		break;
	case PKW_APID_USER:
		rc = set_user(c->apid_user, v, why, whylen);
		break;
	case PKW_JAIL:
		if ((rc = set_path(c->jail, sizeof(c->jail), v, why,
		    whylen)) == 0 && strspn(v, "/") == strlen(v))
			rc = errf(why, whylen, "the jail cannot be /");
		break;
	case PKW_DEBUG:
		if (v[1] != '\0' || v[0] < '0' || v[0] > '0' + PEER_DEBUG_MAX)
			return errf(why, whylen, "0 to %d, not \"%.32s\"",
			    PEER_DEBUG_MAX, v);
		c->debug = v[0] - '0';
		rc = 0;
		break;
	default:
		return errf(why, whylen, "unknown keyword");
	}
	if (rc == 0)
		c->set |= 1U << kw;
	return rc;
}

static int
is_blank(char ch)
{
	return ch == ' ' || ch == '\t' || ch == '\r';
}

/* One line (NUL-terminated, no newline) of the file. */
static int
parse_line(struct peer_conf *c, char *line, int first[PKW_COUNT], int lineno,
    char *why, size_t whylen)
{
	char	*kw, *val, *p = line, reason[200];
	int	 i;

	for (i = 0; line[i] != '\0'; i++)
		if (((unsigned char)line[i] < ' ' && !is_blank(line[i])) ||
		    line[i] == 0x7f)
			return errf(why, whylen, "control character 0x%02x",
			    (unsigned char)line[i]);
	while (is_blank(*p))
		p++;
	if (*p == '\0' || *p == '#')
		return 0;
	kw = p;
	while (*p != '\0' && !is_blank(*p))
		p++;
	if (*p != '\0')
		*p++ = '\0';
	while (is_blank(*p))
		p++;
	val = p;
	while (*p != '\0' && !is_blank(*p))
		p++;
	if (*p != '\0')
		*p++ = '\0';
	while (is_blank(*p))
		p++;
	for (i = 0; i < PKW_COUNT; i++)
		if (strcmp(kw, keywords[i].name) == 0)
			break;
	if (i == PKW_COUNT)
		return errf(why, whylen, "unknown keyword \"%.32s\"", kw);
	if (*val == '\0' || *val == '#')
		return errf(why, whylen, "%s: missing value", kw);
	if (*p != '\0' && *p != '#')
		return errf(why, whylen, "%s: one value only (a comment "
		    "starts with #)", kw);
	if (!keywords[i].repeatable && first[i] != 0)
		return errf(why, whylen, "%s given twice (first on line %d)",
		    kw, first[i]);
	if (first[i] == 0)
		first[i] = lineno;
	if (peer_conf_set(c, (enum peer_kw)i, val, reason,
	    sizeof(reason)) == -1)
		return errf(why, whylen, "%s: %s", kw, reason);
	return 0;
}

int
peer_conf_parse(struct peer_conf *c, const char *name, const char *buf,
    size_t len, char *err, size_t errlen)
{
	char		 line[PEER_CONF_LINE_MAX + 1], why[256];
	int		 first[PKW_COUNT] = { 0 };
	const char	*p = buf, *nl, *end = buf + len;
	size_t		 n;
	int		 lineno = 0;

	if (len > PEER_CONF_FILE_MAX)
		return errf(err, errlen, "%s: larger than %d bytes", name,
		    PEER_CONF_FILE_MAX);
	while (p < end) {
		lineno++;
		if ((nl = memchr(p, '\n', (size_t)(end - p))) == NULL)
			nl = end;
		n = (size_t)(nl - p);
		if (n > PEER_CONF_LINE_MAX)
			return errf(err, errlen, "%s:%d: line longer than %d "
			    "bytes", name, lineno, PEER_CONF_LINE_MAX);
		if (memchr(p, '\0', n) != NULL)
			return errf(err, errlen, "%s:%d: NUL byte", name,
			    lineno);
		memcpy(line, p, n);
		line[n] = '\0';
		if (parse_line(c, line, first, lineno, why, sizeof(why)) == -1)
			return errf(err, errlen, "%s:%d: %s", name, lineno,
			    why);
		p = nl + 1;
	}
	return 0;
}

int
peer_conf_load(struct peer_conf *c, const char *path, int missing_ok,
    char *err, size_t errlen)
{
	struct stat	 st;
	char		*buf;
	size_t		 len = 0;
	ssize_t		 n;
	int		 fd, rc;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK)) ==
	    -1) {
		if (errno == ENOENT && missing_ok)
			return 1;
		return errf(err, errlen, "%s: %s", path, strerror(errno));
	}
	if (fstat(fd, &st) == -1) {
		rc = errf(err, errlen, "%s: %s", path, strerror(errno));
		goto out;
	}
	if (!S_ISREG(st.st_mode)) {
		rc = errf(err, errlen, "%s: not a regular file", path);
		goto out;
	}
	if (st.st_uid != 0 && st.st_uid != geteuid()) {
		rc = errf(err, errlen, "%s: owned by uid %u, neither root "
		    "nor us", path, (unsigned int)st.st_uid);
		goto out;
	}
	if (st.st_mode & (S_IWGRP | S_IWOTH)) {
		rc = errf(err, errlen, "%s: writable by group or others; "
		    "chmod go-w it", path);
		goto out;
	}
	if (st.st_size > PEER_CONF_FILE_MAX) {
		rc = errf(err, errlen, "%s: larger than %d bytes", path,
		    PEER_CONF_FILE_MAX);
		goto out;
	}
	/* One byte more than allowed, to see a file that grew meanwhile. */
	if ((buf = malloc(PEER_CONF_FILE_MAX + 1)) == NULL) {
		rc = errf(err, errlen, "%s: %s", path, strerror(errno));
		goto out;
	}
	while (len <= PEER_CONF_FILE_MAX) {
		n = read(fd, buf + len, PEER_CONF_FILE_MAX + 1 - len);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1) {
			rc = errf(err, errlen, "%s: %s", path, strerror(errno));
			free(buf);
			goto out;
		}
		if (n == 0)
			break;
		len += (size_t)n;
	}
	rc = peer_conf_parse(c, path, buf, len, err, errlen);
	free(buf);
out:
	close(fd);
	return rc;
}

void
peer_conf_merge(struct peer_conf *b, const struct peer_conf *o)
{
	if (o->set & (1U << PKW_KEY_TYPE))
		b->key_type = o->key_type;
	if (o->set & (1U << PKW_MNEMONIC_FILE))
		memcpy(b->mnemonic_file, o->mnemonic_file,
		    sizeof(b->mnemonic_file));
	if (o->set & (1U << PKW_REDIS))
		memcpy(b->redis, o->redis, sizeof(b->redis));
	if (o->set & (1U << PKW_RELAY)) {
		memcpy(b->relay, o->relay, sizeof(b->relay));
		b->nrelay = o->nrelay;
	}
	if (o->set & (1U << PKW_SUBSTRATE)) {
		memcpy(b->substrate, o->substrate, sizeof(b->substrate));
		b->nsubstrate = o->nsubstrate;
	}
	if (o->set & (1U << PKW_TWINS))
		memcpy(b->twins, o->twins, sizeof(b->twins));
	if (o->set & (1U << PKW_NO_UPDATE))
		b->no_update = o->no_update;
	if (o->set & (1U << PKW_USER)) {
		/* --user is every child's, whatever the file says of each. */
		memcpy(b->user, o->user, sizeof(b->user));
		b->keyd_user[0] = b->netd_user[0] = b->apid_user[0] = '\0';
		b->set &= ~(1U << PKW_KEYD_USER | 1U << PKW_NETD_USER |
		    1U << PKW_APID_USER);
	}
	if (o->set & (1U << PKW_KEYD_USER))
		memcpy(b->keyd_user, o->keyd_user, sizeof(b->keyd_user));
	if (o->set & (1U << PKW_NETD_USER))
		memcpy(b->netd_user, o->netd_user, sizeof(b->netd_user));
	if (o->set & (1U << PKW_APID_USER))
		memcpy(b->apid_user, o->apid_user, sizeof(b->apid_user));
	if (o->set & (1U << PKW_JAIL))
		memcpy(b->jail, o->jail, sizeof(b->jail));
	if (o->set & (1U << PKW_DEBUG))
		b->debug = o->debug;
	if (o->set & (1U << PKW_TWIN_CACHE))
		b->twin_cache = o->twin_cache;
	if (o->set & (1U << PKW_TWIN_TTL))
		b->twin_ttl = o->twin_ttl;
	b->set |= o->set;
}

size_t
peer_conf_domains(const struct peer_conf *c,
    char dom[RELAYS_MAX][RELAY_DOMAIN_MAX + 1])
{
	struct relay_url	u;
	size_t			i, j, n = 0;

	for (i = 0; i < c->nrelay && i < RELAYS_MAX; i++) {
		if (relayurl_parse(&u, c->relay[i], NULL, 0) == -1)
			continue;
		for (j = 0; j < n; j++)
			if (strcmp(dom[j], u.host) == 0)
				break;
		if (j == n)
			memcpy(dom[n++], u.host, strlen(u.host) + 1);
	}
	return n;
}

/* A child's user: its own keyword, else user, else its default. */
static void
child_user(char out[USER_NAME_MAX + 1], const char *all, const char *def)
{
	if (out[0] != '\0')
		return;
	snprintf(out, USER_NAME_MAX + 1, "%s", all[0] != '\0' ? all : def);
}

int
peer_conf_finish(struct peer_conf *c, char *why, size_t whylen)
{
	const char	*bad;

	if (c->redis[0] == '\0')
		memcpy(c->redis, PEER_DEFAULT_REDIS,
		    sizeof(PEER_DEFAULT_REDIS));
	if (c->nrelay == 0) {
		memcpy(c->relay[0], PEER_DEFAULT_RELAY,
		    sizeof(PEER_DEFAULT_RELAY));
		c->nrelay = 1;
	}
	if (c->nsubstrate == 0) {
		memcpy(c->substrate[0], PEER_DEFAULT_SUBSTRATE,
		    sizeof(PEER_DEFAULT_SUBSTRATE));
		c->nsubstrate = 1;
	}
	child_user(c->keyd_user, c->user, PEER_DEFAULT_KEYD_USER);
	child_user(c->netd_user, c->user, PEER_DEFAULT_NETD_USER);
	child_user(c->apid_user, c->user, PEER_DEFAULT_APID_USER);
	if (c->jail[0] == '\0')
		memcpy(c->jail, PEER_DEFAULT_JAIL, sizeof(PEER_DEFAULT_JAIL));

	/*
	 * tfchain judges the joined field, not each domain: "a.example" is
	 * refused first but not second.
	 */
	c->ndomains = peer_conf_domains(c, c->domains);
	if (relay_join(c->chain_relay, c->domains, c->ndomains, &bad) == -1)
		return errf(why, whylen, "tfchain would refuse the relay "
		    "field \"%.128s\": %s", c->chain_relay, bad);
	return 0;
}
