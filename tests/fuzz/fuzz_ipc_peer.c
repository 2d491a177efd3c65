/* SPDX-License-Identifier: ISC */
/*
 * The parent's frames as its children decode them (KEYD_CONFIG in keyd,
 * NETD_CONFIG in netd, APID_CONFIG in apid) and the PEER_READY they send
 * back, on arbitrary bytes cut into frames by their headers.  What a
 * codec takes must hold only values within its bounds, and put again it
 * must give the same bytes: anything else aborts.
 */
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "ipc_extra.h"
#include "ipc_keyd.h"
#include "ipc_peer.h"
#include "relayurl.h"

static struct ipc_chan	out;

static int
terminated(const char *s, size_t cap)
{
	return memchr(s, '\0', cap) != NULL;
}

/* The frame put just queued has the payload of m. */
static void
same(const struct ipc_msg *m)
{
	struct ipc_msg	q;

	if (ipc_last(&out, &q) == -1 || q.datalen != m->datalen ||
	    q.hdr.type != m->hdr.type ||
	    (m->datalen > 0 && memcmp(q.data, m->data, m->datalen) != 0))
		abort();
}

static void
keyd_config(const struct ipc_msg *m)
{
	static struct keyd_config	k;

	if (keyd_req_get(m, IPC_KEYD_CONFIG, &k) == -1)
		return;
	if (k.key_type > KEY_ED25519 || k.source > KEYD_SECRET_CREDENTIALS ||
	    k.pallet > 255 || k.call > 255 ||
	    !terminated(k.path, sizeof(k.path)) ||
	    !terminated(k.relay, sizeof(k.relay)) ||
	    !terminated(k.jail, sizeof(k.jail)) ||
	    !terminated(k.user, sizeof(k.user)))
		abort();
	if (keyd_req_put(&out, IPC_KEYD_CONFIG, 0, &k) == -1)
		abort();
	same(m);
}

static void
netd_config(const struct ipc_msg *m)
{
	static struct netd_config	n;
	size_t				i;

	if (netd_config_get(m, &n) == -1)
		return;
	if (n.nrelays == 0 || n.nrelays > RELAYS_MAX || n.ndomains == 0 ||
	    n.ndomains > n.nrelays || n.nsubstrates > SUBSTRATES_MAX ||
	    n.no_update > 1 || n.twin_cache == 0 ||
	    n.twin_cache > TWINCACHE_MAX || n.twin_ttl == 0 ||
	    n.twin_ttl > TWIN_TTL_MAX || !terminated(n.user, sizeof(n.user)) ||
	    !terminated(n.twins, sizeof(n.twins)))
		abort();
	for (i = 0; i < n.nrelays; i++)
		if (!terminated(n.relays[i], sizeof(n.relays[i])))
			abort();
	for (i = 0; i < n.ndomains; i++)
		if (relay_domain_check(n.domains[i]) != NULL)
			abort();
	if (netd_config_put(&out, &n) == -1)
		abort();
	same(m);
}

static void
apid_config(const struct ipc_msg *m)
{
	struct apid_config	a;

	if (apid_config_get(m, &a) == -1)
		return;
	if (!terminated(a.redis, sizeof(a.redis)) ||
	    !terminated(a.user, sizeof(a.user)) ||
	    apid_config_put(&out, &a) == -1)
		abort();
	same(m);
}

static void
peer_ready(const struct ipc_msg *m)
{
	struct peer_ready	r;

	if (peer_ready_get(m, &r) == -1)
		return;
	if (peer_ready_put(&out, &r) == -1)
		abort();
	same(m);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int	ready;
	struct ipc_msg	m;
	size_t		off = 0;

	if (!ready && ipc_init(&out, -1) == -1)
		abort();
	ready = 1;
	while (size - off >= IPC_HDR_SIZE) {
		memcpy(&m.hdr, data + off, sizeof(m.hdr));
		if (m.hdr.len < IPC_HDR_SIZE || m.hdr.len > size - off)
			break;
		m.data = data + off + IPC_HDR_SIZE;
		m.datalen = m.hdr.len - IPC_HDR_SIZE;
		/* Each decoder sees every frame: the type is checked too. */
		keyd_config(&m);
		netd_config(&m);
		apid_config(&m);
		peer_ready(&m);
		off += m.hdr.len;
	}
	ipc_clear(&out);
	if (ipc_init(&out, -1) == -1)
		abort();
	return 0;
}
