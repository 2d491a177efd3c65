/* SPDX-License-Identifier: ISC */
#include <errno.h>
#include <string.h>

#include "ipc_extra.h"
#include "ipc_peer.h"
#include "relayurl.h"

/* A string over its array poisons the frame: ipc_close() then fails. */
static void
put_str(struct ipc_buf *b, const char *s, size_t cap)
{
	if (b != NULL && strlen(s) >= cap)
		b->err = EINVAL;
	ipc_put_str(b, s);
}

/* u32 n, then n strings from an array of max strings of size bytes. */
static void
put_strs(struct ipc_buf *b, const char *v, size_t size, size_t n, size_t max)
{
	size_t	i;

	if (b != NULL && n > max)
		b->err = EINVAL;
	ipc_put_u32(b, (uint32_t)n);
	for (i = 0; i < n && i < max; i++)
		put_str(b, v + i * size, size);
}

static int
get_strs(struct ipc_rd *rd, char *v, size_t size, size_t *n, size_t min,
    size_t max)
{
	uint32_t	k, i;

	if (ipc_get_u32(rd, &k) == -1 || k < min || k > max)
		return -1;
	for (*n = k, i = 0; i < k; i++)
		if (ipc_get_str(rd, v + i * size, size) == -1)
			return -1;
	return 0;
}

int
netd_config_put(struct ipc_chan *c, const struct netd_config *n)
{
	struct ipc_buf	*b = ipc_create(IPC_NETD_CONFIG, 0, 1024);

	put_strs(b, n->relays[0], sizeof(n->relays[0]), n->nrelays,
	    RELAYS_MAX);
	put_strs(b, n->domains[0], sizeof(n->domains[0]), n->ndomains,
	    RELAYS_MAX);
	put_strs(b, n->substrates[0], sizeof(n->substrates[0]),
	    n->nsubstrates, SUBSTRATES_MAX);
	put_str(b, n->twins, sizeof(n->twins));
	ipc_put_u32(b, n->no_update);
	put_str(b, n->user, sizeof(n->user));
	ipc_put_u32(b, n->twin_cache);
	ipc_put_u32(b, n->twin_ttl);
	return ipc_close(c, b);
}

int
netd_config_get(const struct ipc_msg *m, struct netd_config *n)
{
	struct ipc_rd	rd;
	size_t		i;

	memset(n, 0, sizeof(*n));
	ipc_rd_init(&rd, m);
	if (m->hdr.type != IPC_NETD_CONFIG ||
	    get_strs(&rd, n->relays[0], sizeof(n->relays[0]), &n->nrelays,
	    1, RELAYS_MAX) == -1 ||
	    get_strs(&rd, n->domains[0], sizeof(n->domains[0]), &n->ndomains,
	    1, n->nrelays) == -1 ||
	    get_strs(&rd, n->substrates[0], sizeof(n->substrates[0]),
	    &n->nsubstrates, 0, SUBSTRATES_MAX) == -1 ||
	    ipc_get_str(&rd, n->twins, sizeof(n->twins)) == -1 ||
	    ipc_get_u32(&rd, &n->no_update) == -1 || n->no_update > 1 ||
	    ipc_get_str(&rd, n->user, sizeof(n->user)) == -1 ||
	    ipc_get_u32(&rd, &n->twin_cache) == -1 || n->twin_cache == 0 ||
	    n->twin_cache > TWINCACHE_MAX ||
	    ipc_get_u32(&rd, &n->twin_ttl) == -1 || n->twin_ttl == 0 ||
	    n->twin_ttl > TWIN_TTL_MAX)
		return -1;
	for (i = 0; i < n->ndomains; i++)
		if (relay_domain_check(n->domains[i]) != NULL)
			return -1;
	return ipc_get_end(&rd);
}

int
apid_config_put(struct ipc_chan *c, const struct apid_config *a)
{
	struct ipc_buf	*b = ipc_create(IPC_APID_CONFIG, 0, 256);

	put_str(b, a->redis, sizeof(a->redis));
	put_str(b, a->user, sizeof(a->user));
	return ipc_close(c, b);
}

int
apid_config_get(const struct ipc_msg *m, struct apid_config *a)
{
	struct ipc_rd	rd;

	memset(a, 0, sizeof(*a));
	ipc_rd_init(&rd, m);
	if (m->hdr.type != IPC_APID_CONFIG ||
	    ipc_get_str(&rd, a->redis, sizeof(a->redis)) == -1 ||
	    ipc_get_str(&rd, a->user, sizeof(a->user)) == -1)
		return -1;
	return ipc_get_end(&rd);
}

int
peer_ready_put(struct ipc_chan *c, const struct peer_ready *r)
{
	struct ipc_buf	*b = ipc_create(IPC_PEER_READY, 0, 4);

	ipc_put_u32(b, r->twin);
	return ipc_close(c, b);
}

int
peer_ready_get(const struct ipc_msg *m, struct peer_ready *r)
{
	struct ipc_rd	rd;

	ipc_rd_init(&rd, m);
	if (m->hdr.type != IPC_PEER_READY || ipc_get_u32(&rd, &r->twin) == -1)
		return -1;
	return ipc_get_end(&rd);
}
