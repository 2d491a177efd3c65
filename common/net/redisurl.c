/* SPDX-License-Identifier: ISC */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "errf.h"
#include "log.h"
#include "redisurl.h"

static int
hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Percent-decodes p[0..n) into out; -1 on a bad escape, NUL or overflow. */
static int
pct_decode(char *out, size_t cap, const char *p, size_t n)
{
	size_t	i, o = 0;
	int	hi, lo;
	char	c;

	for (i = 0; i < n; i++) {
		c = p[i];
		if (c == '%') {
			if (i + 2 >= n)
				return -1;
			if ((hi = hexval(p[i + 1])) < 0 ||
			    (lo = hexval(p[i + 2])) < 0)
				return -1;
			c = (char)(hi << 4 | lo);
			i += 2;
		}
		if (c == '\0' || o + 1 >= cap)
			return -1;
		out[o++] = c;
	}
	out[o] = '\0';
	return 0;
}

/* A decimal in [min, max] made of all n bytes of p. */
static int
number(const char *p, size_t n, long min, long max, int *out)
{
	long	v = 0;
	size_t	i;

	if (n == 0 || n > 10)
		return -1;
	for (i = 0; i < n; i++) {
		if (p[i] < '0' || p[i] > '9')
			return -1;
		v = v * 10 + (p[i] - '0');
	}
	if (v < min || v > max)
		return -1;
	*out = (int)v;
	return 0;
}

/* user:password before '@'; either part may be empty. */
static int
userinfo(struct redis_url *u, const char *p, size_t n, char *err,
    size_t errlen)
{
	const char	*colon = memchr(p, ':', n);
	size_t		 ulen = colon != NULL ? (size_t)(colon - p) : n;

	if (pct_decode(u->user, sizeof(u->user), p, ulen) == -1)
		return errf(err, errlen, "redis URL: bad user name");
	if (colon != NULL && pct_decode(u->pass, sizeof(u->pass), colon + 1,
	    n - ulen - 1) == -1)
		return errf(err, errlen, "redis URL: bad password");
	/* The redis crate reads "redis://secret@host" as a user name only. */
	return 0;
}

static int
tcp_url(struct redis_url *u, const char *p, char *err, size_t errlen)
{
	const char	*at, *end, *hp, *he, *port = NULL;
	size_t		 n;
	int		 bracket = 0;

	end = p + strcspn(p, "/?#");
	if ((at = memchr(p, '@', (size_t)(end - p))) != NULL) {
		if (userinfo(u, p, (size_t)(at - p), err, errlen) == -1)
			return -1;
		p = at + 1;
	}
	if (*p == '[') {
		bracket = 1;
		hp = p + 1;
		if ((he = memchr(hp, ']', (size_t)(end - hp))) == NULL)
			return errf(err, errlen, "redis URL: unclosed [");
		if (he + 1 < end) {
			if (he[1] != ':')
				return errf(err, errlen,
				    "redis URL: junk after ]");
			port = he + 2;
		}
	} else {
		hp = p;
		if ((he = memchr(hp, ':', (size_t)(end - hp))) != NULL)
			port = he + 1;
		else
			he = end;
	}
	n = (size_t)(he - hp);
	if (n == 0)
		return errf(err, errlen, "redis URL: no host");
	if (n >= sizeof(u->host))
		return errf(err, errlen, "redis URL: host too long");
	memcpy(u->host, hp, n);
	u->host[n] = '\0';
	if (strcspn(u->host, bracket ? "%@/ \t" : "%@:/ \t") != n)
		return errf(err, errlen, "redis URL: bad host");
	if (port != NULL && number(port, (size_t)(end - port), 1, 65535,
	    &u->port) == -1)
		return errf(err, errlen, "redis URL: bad port");
	p = end;
	if (*p == '/' && p[1] != '\0') {
		n = strcspn(p + 1, "?#");
		if (n > 0 && number(p + 1, n, 0, 1000000, &u->db) == -1)
			return errf(err, errlen, "redis URL: bad database");
		p += 1 + n;
	} else if (*p == '/')
		p++;
	if (*p != '\0')
		return errf(err, errlen, "redis URL: unexpected \"%.32s\"", p);
	return 0;
}

/* ?db=N&user=U&pass=P after a socket path. */
static int
unix_query(struct redis_url *u, const char *q, char *err, size_t errlen)
{
	const char	*amp, *eq;
	size_t		 n;

	while (*q != '\0') {
		n = strcspn(q, "&");
		amp = q + n;
		if ((eq = memchr(q, '=', n)) == NULL)
			return errf(err, errlen, "redis URL: bad query");
		if ((size_t)(eq - q) == 2 && strncmp(q, "db", 2) == 0) {
			if (number(eq + 1, (size_t)(amp - eq - 1), 0, 1000000,
			    &u->db) == -1)
				return errf(err, errlen,
				    "redis URL: bad database");
		} else if ((size_t)(eq - q) == 4 &&
		    strncmp(q, "user", 4) == 0) {
			if (pct_decode(u->user, sizeof(u->user), eq + 1,
			    (size_t)(amp - eq - 1)) == -1)
				return errf(err, errlen,
				    "redis URL: bad user name");
		} else if ((size_t)(eq - q) == 4 &&
		    strncmp(q, "pass", 4) == 0) {
			if (pct_decode(u->pass, sizeof(u->pass), eq + 1,
			    (size_t)(amp - eq - 1)) == -1)
				return errf(err, errlen,
				    "redis URL: bad password");
		} else
			return errf(err, errlen, "redis URL: unknown "
			    "parameter \"%.*s\"", (int)(eq - q), q);
		q = *amp == '&' ? amp + 1 : amp;
	}
	return 0;
}

static int
unix_url(struct redis_url *u, const char *p, char *err, size_t errlen)
{
	size_t	n;

	/* The authority must be empty: unix:///path. */
	if (*p != '/')
		return errf(err, errlen, "redis URL: a socket path must be "
		    "absolute (unix:///path)");
	n = strcspn(p, "?");
	if (n >= sizeof(u->path))
		return errf(err, errlen, "redis URL: socket path too long");
	if (pct_decode(u->path, sizeof(u->path), p, n) == -1)
		return errf(err, errlen, "redis URL: bad socket path");
	if (p[n] == '?')
		return unix_query(u, p + n + 1, err, errlen);
	return 0;
}

int
redis_url_parse(struct redis_url *u, const char *url, char *err,
    size_t errlen)
{
	memset(u, 0, sizeof(*u));
	u->port = 6379;
	if (strlen(url) > REDISURL_MAX)
		return errf(err, errlen, "redis URL: longer than %d bytes",
		    REDISURL_MAX);
	if (strncmp(url, "redis://", 8) == 0)
		return tcp_url(u, url + 8, err, errlen);
	if (strncmp(url, "redis+unix://", 13) == 0)
		return unix_url(u, url + 13, err, errlen);
	if (strncmp(url, "unix://", 7) == 0)
		return unix_url(u, url + 7, err, errlen);
	if (strncmp(url, "rediss://", 9) == 0)
		return errf(err, errlen, "redis URL: TLS (rediss://) is not "
		    "supported; use a local redis or a TLS tunnel");
	return errf(err, errlen, "redis URL: must start with redis:// or "
	    "unix://");
}

const char *
redis_url_where(const struct redis_url *u, char *buf, size_t cap)
{
	if (u->path[0] != '\0')
		snprintf(buf, cap, "%s", u->path);
	else if (strchr(u->host, ':') != NULL)
		snprintf(buf, cap, "[%s]:%d", u->host, u->port);
	else
		snprintf(buf, cap, "%s:%d", u->host, u->port);
	return buf;
}
