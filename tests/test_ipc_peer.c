/* SPDX-License-Identifier: ISC */
/*
 * proto/ipc_peer.[ch]: the parent's messages to netd and apid and their
 * PEER_READY, put and got back equal, in the bytes of their layouts;
 * every truncation and one byte more refused; each value out of range
 * refused.
 */
#include <string.h>

#include "ipc_extra.h"
#include "ipc_peer.h"
#include "tap.h"

static struct ipc_chan		chan;
static struct netd_config	netd_in, netd_out;
static struct apid_config	apid_in, apid_out;
static struct peer_ready	ready_in = { 7 }, ready_out;

static void
last(struct ipc_msg *m)
{
	if (ipc_last(&chan, m) == -1)
		abort();
}

static int
netd_put(void)
{
	return netd_config_put(&chan, &netd_in);
}

static int
netd_get(const struct ipc_msg *m)
{
	return netd_config_get(m, &netd_out) == -1 ? -1 :
	    memcmp(&netd_in, &netd_out, sizeof(netd_in)) != 0;
}

static int
apid_put(void)
{
	return apid_config_put(&chan, &apid_in);
}

static int
apid_get(const struct ipc_msg *m)
{
	return apid_config_get(m, &apid_out) == -1 ? -1 :
	    memcmp(&apid_in, &apid_out, sizeof(apid_in)) != 0;
}

static int
ready_put(void)
{
	return peer_ready_put(&chan, &ready_in);
}

static int
ready_get(const struct ipc_msg *m)
{
	return peer_ready_get(m, &ready_out) == -1 ? -1 :
	    ready_out.twin != ready_in.twin;
}

/*
 * NETD_CONFIG field by field; bad (0 for none) spoils one: 1 no relay,
 * 2 five relays, 3 no domain, 4 more domains than relays, 5 an IP as
 * domain, 6 nine chain URLs, 7 no_update 2, 8 a user of 33 bytes, 9 no
 * twin cache, 10 one over TWINCACHE_MAX, 11 a TTL of 0, 12 one over
 * TWIN_TTL_MAX.
 */
static void
netd_wire(struct ipc_buf *b, int bad)
{
	char	user[USER_NAME_MAX + 2];
	int	i, n;

	memset(user, 'u', sizeof(user) - 1);
	user[sizeof(user) - 1] = '\0';
	n = bad == 1 ? 0 : bad == 2 ? 5 : 2;
	ipc_put_u32(b, (uint32_t)n);
	for (i = 0; i < n; i++)
		ipc_put_str(b, i == 0 ? "wss://r1.example" :
		    "ws://relay.example:8080/x");
	n = bad == 3 ? 0 : bad == 4 ? 3 : 2;
	ipc_put_u32(b, (uint32_t)n);
	for (i = 0; i < n; i++)
		ipc_put_str(b, bad == 5 ? "10.0.0.1" : i == 0 ? "r1.example" :
		    "relay.example");
	n = bad == 6 ? 9 : 1;
	ipc_put_u32(b, (uint32_t)n);
	for (i = 0; i < n; i++)
		ipc_put_str(b, "ws://127.0.0.1:9944");
	ipc_put_str(b, "");
	ipc_put_u32(b, bad == 7 ? 2 : 1);
	ipc_put_str(b, bad == 8 ? user : "_rmb-netd");
	ipc_put_u32(b, bad == 9 ? 0 : bad == 10 ? TWINCACHE_MAX + 1 : 500);
	ipc_put_u32(b, bad == 11 ? 0 : bad == 12 ? TWIN_TTL_MAX + 1 : 300);
}

static void
netd_good_wire(struct ipc_buf *b)
{
	netd_wire(b, 0);
}

static void
apid_wire(struct ipc_buf *b)
{
	ipc_put_str(b, "redis://localhost:6379");
	ipc_put_str(b, "_rmb-apid");
}

static void
ready_wire(struct ipc_buf *b)
{
	ipc_put_u32(b, 7);
}

static const struct codec {
	const char	*name;
	uint32_t	 type;
	int		(*put)(void);
	int		(*get)(const struct ipc_msg *);	/* 0 equal */
	void		(*wire)(struct ipc_buf *);
} codecs[] = {
	{ "NETD_CONFIG", IPC_NETD_CONFIG, netd_put, netd_get,
	    netd_good_wire },
	{ "APID_CONFIG", IPC_APID_CONFIG, apid_put, apid_get, apid_wire },
	{ "PEER_READY", IPC_PEER_READY, ready_put, ready_get, ready_wire },
};

static void
test_codec(const struct codec *c)
{
	struct ipc_msg	 m, t;
	struct ipc_buf	*w;
	uint8_t		 more[1024];
	size_t		 n;
	int		 refused = 0;

	ok(c->put() == 0, "%s: put", c->name);
	last(&m);
	ok(m.hdr.type == c->type && m.hdr.len == IPC_HDR_SIZE + m.datalen,
	    "%s: type and length", c->name);
	ok(c->get(&m) == 0, "%s: got back equal", c->name);
	w = ipc_create(c->type, 0, 0);
	c->wire(w);
	ok(w != NULL && w->err == 0 && w->len - IPC_HDR_SIZE == m.datalen &&
	    memcmp(w->buf + IPC_HDR_SIZE, m.data, m.datalen) == 0,
	    "%s: the bytes of its layout", c->name);
	ipc_buf_free(w);
	for (n = 0, t = m; n < m.datalen; n++) {
		t.datalen = n;
		t.hdr.len = (uint32_t)(IPC_HDR_SIZE + n);
		refused += c->get(&t) == -1;
	}
	ok(refused == (int)m.datalen, "%s: each of its %zu truncations "
	    "refused", c->name, m.datalen);
	memcpy(more, m.data, m.datalen);
	more[m.datalen] = 0;
	t = m;
	t.data = more;
	t.datalen = m.datalen + 1;
	ok(c->get(&t) == -1, "%s: one byte more refused", c->name);
	t = m;
	t.hdr.type = c->type == IPC_PEER_READY ? IPC_NETD_CONFIG :
	    IPC_PEER_READY;
	ok(c->get(&t) == -1, "%s: under another type refused", c->name);
}

int
main(void)
{
	static const char *const what[] = { "", "no relay", "five relays",
	    "no domain", "more domains than relays", "an IP as domain",
	    "nine chain URLs", "no_update 2", "a user of 33 bytes",
	    "a twin cache of 0", "a twin cache over TWINCACHE_MAX",
	    "a twin TTL of 0", "a twin TTL over a day" };
	struct netd_config	 n;
	struct ipc_msg		 m;
	struct ipc_buf		*b;
	size_t			 i;

	if (ipc_init(&chan, -1) == -1)
		return 1;
	netd_in.nrelays = 2;
	strcpy(netd_in.relays[0], "wss://r1.example");
	strcpy(netd_in.relays[1], "ws://relay.example:8080/x");
	netd_in.ndomains = 2;
	strcpy(netd_in.domains[0], "r1.example");
	strcpy(netd_in.domains[1], "relay.example");
	netd_in.nsubstrates = 1;
	strcpy(netd_in.substrates[0], "ws://127.0.0.1:9944");
	netd_in.no_update = 1;
	strcpy(netd_in.user, "_rmb-netd");
	netd_in.twin_cache = 500;
	netd_in.twin_ttl = 300;
	strcpy(apid_in.redis, "redis://localhost:6379");
	strcpy(apid_in.user, "_rmb-apid");

	for (i = 0; i < sizeof(codecs) / sizeof(codecs[0]); i++)
		test_codec(&codecs[i]);
	for (i = 1; i < sizeof(what) / sizeof(what[0]); i++) {
		b = ipc_create(IPC_NETD_CONFIG, 0, 0);
		netd_wire(b, (int)i);
		if (ipc_close(&chan, b) == -1)
			return 1;
		last(&m);
		ok(netd_config_get(&m, &netd_out) == -1,
		    "NETD_CONFIG: %s refused", what[i]);
	}
	n = netd_in;
	n.nrelays = RELAYS_MAX + 1;
	ok(netd_config_put(&chan, &n) == -1, "put: five relays refused");
	n = netd_in;
	memset(n.user, 'u', sizeof(n.user));
	n.user[sizeof(n.user) - 1] = '\0';
	ok(netd_config_put(&chan, &n) == 0, "put: a user of 32 bytes");
	ipc_clear(&chan);
	return done_testing();
}
