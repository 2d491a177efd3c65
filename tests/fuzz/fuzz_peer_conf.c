/* SPDX-License-Identifier: ISC */
/*
 * The rmb-peer.conf parser on arbitrary bytes.  A refusal names the file
 * and says why; an accepted file holds only values within their bounds
 * that the setters would take again, and written back out it parses to
 * the same configuration.  The relay URL check runs on the raw bytes too.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "fuzz.h"
#include "peer_conf.h"
#include "relayurl.h"
#include "tfchain_read.h"

#define TEXT_MAX	(PEER_CONF_FILE_MAX + 1)

static int
terminated(const char *s, size_t cap)
{
	return memchr(s, '\0', cap) != NULL;
}

static void
check_relay_host(const uint8_t *data, size_t size)
{
	struct relay_url	 u;
	char			*s, *host = u.host, why[256];
	size_t			 i, n;

	if ((s = malloc(size + 1)) == NULL)
		abort();
	memcpy(s, data, size);
	s[size] = '\0';
	why[0] = '\0';
	if (relayurl_parse(&u, s, why, sizeof(why)) == 0) {
		n = strlen(host);
		if (n == 0 || n > RELAY_DOMAIN_MAX || host[0] == '.' ||
		    relay_domain_check(host) != NULL || u.path[0] != '/' ||
		    host[n - 1] == '.' || strncasecmp(s, "ws", 2) != 0)
			abort();
		for (i = 0; i < n; i++)
			if (!((host[i] >= 'a' && host[i] <= 'z') ||
			    (host[i] >= '0' && host[i] <= '9') ||
			    host[i] == '-' || host[i] == '.'))
				abort();
	} else if (why[0] == '\0' || !terminated(why, sizeof(why)))
		abort();
	free(s);
}

static void
check_conf(const struct peer_conf *c)
{
	struct relay_url	u;
	char			dom[RELAYS_MAX][RELAY_DOMAIN_MAX + 1];
	char			why[256];
	size_t			i;

	if (c->nrelay > RELAYS_MAX || c->nsubstrate > SUBSTRATES_MAX ||
	    (c->nrelay > 0) != ((c->set & (1U << PKW_RELAY)) != 0) ||
	    (c->nsubstrate > 0) != ((c->set & (1U << PKW_SUBSTRATE)) != 0) ||
	    c->debug < 0 || c->debug > PEER_DEBUG_MAX ||
	    (c->no_update != 0 && c->no_update != 1) ||
	    (c->key_type != KEY_SR25519 && c->key_type != KEY_ED25519) ||
	    c->set >= 1U << PKW_COUNT)
		abort();
	if (!terminated(c->mnemonic_file, sizeof(c->mnemonic_file)) ||
	    !terminated(c->redis, sizeof(c->redis)) ||
	    !terminated(c->twins, sizeof(c->twins)) ||
	    !terminated(c->user, sizeof(c->user)) ||
	    !terminated(c->keyd_user, sizeof(c->keyd_user)) ||
	    !terminated(c->netd_user, sizeof(c->netd_user)) ||
	    !terminated(c->apid_user, sizeof(c->apid_user)) ||
	    !terminated(c->jail, sizeof(c->jail)))
		abort();
	if ((c->mnemonic_file[0] != '\0' && c->mnemonic_file[0] != '/') ||
	    (c->twins[0] != '\0' && c->twins[0] != '/') ||
	    (c->jail[0] != '\0' && c->jail[0] != '/') ||
	    strcmp(c->user, "root") == 0 || strcmp(c->keyd_user, "root") == 0 ||
	    strcmp(c->netd_user, "root") == 0 ||
	    strcmp(c->apid_user, "root") == 0)
		abort();
	/* What the file took, netd takes again. */
	for (i = 0; i < c->nrelay; i++)
		if (!terminated(c->relay[i], sizeof(c->relay[i])) ||
		    relayurl_parse(&u, c->relay[i], why, sizeof(why)) == -1)
			abort();
	for (i = 0; i < c->nsubstrate; i++)
		if (!terminated(c->substrate[i], sizeof(c->substrate[i])))
			abort();
	if (peer_conf_domains(c, dom) > c->nrelay)
		abort();
}

/* The configuration as a file again, one keyword a line. */
static size_t
write_back(const struct peer_conf *c, char *out, size_t cap)
{
	size_t	len = 0, i;

#define OUT(...) do {							\
	len += (size_t)snprintf(out + len, cap - len, __VA_ARGS__);	\
	if (len >= cap)							\
		abort();						\
} while (0)
	if (c->set & (1U << PKW_KEY_TYPE))
		OUT("key-type %s\n", key_type_name(c->key_type));
	if (c->set & (1U << PKW_MNEMONIC_FILE))
		OUT("mnemonic-file %s\n", c->mnemonic_file);
	if (c->set & (1U << PKW_REDIS))
		OUT("redis %s\n", c->redis);
	for (i = 0; i < c->nrelay; i++)
		OUT("relay %s\n", c->relay[i]);
	for (i = 0; i < c->nsubstrate; i++)
		OUT("substrate %s\n", c->substrate[i]);
	if (c->set & (1U << PKW_TWINS))
		OUT("twins %s\n", c->twins);
	if (c->set & (1U << PKW_NO_UPDATE))
		OUT("no-update %s\n", c->no_update ? "yes" : "no");
	if (c->set & (1U << PKW_USER))
		OUT("user %s\n", c->user);
	if (c->set & (1U << PKW_KEYD_USER))
		OUT("keyd-user %s\n", c->keyd_user);
	if (c->set & (1U << PKW_NETD_USER))
		OUT("netd-user %s\n", c->netd_user);
	if (c->set & (1U << PKW_APID_USER))
		OUT("apid-user %s\n", c->apid_user);
	if (c->set & (1U << PKW_JAIL))
		OUT("jail %s\n", c->jail);
	if (c->set & (1U << PKW_DEBUG))
		OUT("debug %d\n", c->debug);
	if (c->set & (1U << PKW_TWIN_CACHE))
		OUT("twin-cache %u\n", c->twin_cache);
	if (c->set & (1U << PKW_TWIN_TTL))
		OUT("twin-ttl %u\n", c->twin_ttl);
#undef OUT
	return len;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct peer_conf	c, again, merged;
	static char		text[TEXT_MAX];
	char			err[512], why[256];
	size_t			len;

	check_relay_host(data, size);

	peer_conf_init(&c);
	err[0] = '\0';
	if (peer_conf_parse(&c, "f", (const char *)data, size, err,
	    sizeof(err)) == -1) {
		if (strncmp(err, "f:", 2) != 0 ||
		    !terminated(err, sizeof(err)))
			abort();
		return 0;
	}
	check_conf(&c);

	len = write_back(&c, text, sizeof(text));
	peer_conf_init(&again);
	if (peer_conf_parse(&again, "g", text, len, err, sizeof(err)) == -1 ||
	    memcmp(&c, &again, sizeof(c)) != 0)
		abort();

	/* Merged over nothing it is itself; then the defaults fill in. */
	peer_conf_init(&merged);
	peer_conf_merge(&merged, &c);
	if (memcmp(&merged, &c, sizeof(c)) != 0)
		abort();
	if (peer_conf_finish(&merged, why, sizeof(why)) == 0) {
		if (merged.nrelay == 0 || merged.nsubstrate == 0 ||
		    merged.redis[0] == '\0' || merged.keyd_user[0] == '\0' ||
		    merged.netd_user[0] == '\0' ||
		    merged.apid_user[0] == '\0' || merged.jail[0] == '\0')
			abort();
	} else if (why[0] == '\0')
		abort();
	return 0;
}
