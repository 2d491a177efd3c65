/* SPDX-License-Identifier: ISC */
/*
 * netd/netd_proto.c against fakes of everything around it: a keyd that
 * signs, seals and opens with real keys (or refuses on demand), a twin
 * table that answers at once or later (as the chain does), and can hand
 * out a stale account, a relay that takes frames or not, and apid as a
 * list of messages.  Outgoing envelopes are checked field by field and
 * by signature; incoming ones go through each step of the validation
 * order.
 */
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "e2e.h"
#include "envelope_check.h"
#include "ipc_apid.h"
#include "ipc_types.h"
#include "changelog.h"
#include "netd.h"
#include "tap.h"

#define OWN	1	/* ed25519, pk */
#define PEER	2	/* sr25519, pk */
#define NOPK	3	/* ed25519, no pk */
#define BADPK	4	/* a pk keyd would refuse to parse */

struct key {
	uint32_t	id;
	struct identity	ident;
	struct e2e_key	e2e;
	int		has_pk;
};

static struct key	keys[4];
static uint64_t		now = 1700000000;
static int		lookup_fail;	/* the next n lookups fail */
static int		lookup_later;	/* answer lookups from answer_lookups */
static int		stale_reads;	/* the next n lookups: a stale account */
static int		forgets;	/* netd_twin_forget calls */

struct lookup {
	uint32_t	 id;
	netd_twin_cb	 cb;
	void		*arg;
};
static struct lookup	lq[16];
static int		nlq;
static int		relay_up = 1;
static int		keyd_refuse;	/* the next keyd request is refused */
static int		credit;

/* What left netd: frames to the relay and messages to apid. */
#define MAXMSG	32
static struct rec {
	uint32_t	 type;
	uint32_t	 id;
	uint8_t		*p;
	size_t		 len;
}			frames[MAXMSG], apid[MAXMSG];
static int		nframes, napid;
/* SENT to apid: how many, and the last one's id (the request's token). */
static int		nsent;
static uint32_t		sent_id;
#define TOKEN	7	/* apid's token on every OUT_REQUEST here */

struct kreq {
	uint32_t	 type;
	uint8_t		*pk, *data;
	size_t		 pklen, len;
	netd_keyd_cb	 cb;
	void		*arg;
};
static struct kreq	kq[64];
static int		nkq;

static const struct key *
key_by_id(uint32_t id)
{
	size_t	i;

	for (i = 0; i < 4; i++)
		if (keys[i].id == id)
			return &keys[i];
	return NULL;
}

uint64_t
netd_now(void)
{
	return now;
}

static void	lookup_now(uint32_t, netd_twin_cb, void *);

void
netd_twin_lookup(uint32_t id, netd_twin_cb cb, void *arg)
{
	if (lookup_later) {
		if (nlq == (int)(sizeof(lq) / sizeof(lq[0])))
			abort();
		lq[nlq].id = id;
		lq[nlq].cb = cb;
		lq[nlq].arg = arg;
		nlq++;
		return;
	}
	lookup_now(id, cb, arg);
}

void
netd_twin_forget(uint32_t id)
{
	(void)id;
	forgets++;
}

/*
 * Answers the lookups waiting now, in order; those their callbacks make
 * wait for the next call.
 */
static void
answer_lookups(void)
{
	struct lookup	l;
	int		n = nlq;

	while (n-- > 0) {
		l = lq[0];
		memmove(lq, lq + 1, (size_t)(--nlq) * sizeof(lq[0]));
		lookup_now(l.id, l.cb, l.arg);
	}
}

static void
lookup_now(uint32_t id, netd_twin_cb cb, void *arg)
{
	struct twin_record	 t;
	const struct key	*k = key_by_id(id);

	if (lookup_fail > 0) {
		lookup_fail--;
		cb(arg, -1, NULL);
		return;
	}
	if (k == NULL) {
		cb(arg, 0, NULL);
		return;
	}
	memset(&t, 0, sizeof(t));
	t.id = id;
	memcpy(t.account, k->ident.account, 32);
	/* The twin's key changed on chain since this copy was cached. */
	if (stale_reads > 0) {
		stale_reads--;
		memcpy(t.account, keys[0].ident.account, 32);
	}
	t.has_pk = k->has_pk;
	t.pklen = id == BADPK ? 100 : E2E_PK_BYTES;
	memcpy(t.pk, k->e2e.pk, E2E_PK_BYTES);
	cb(arg, 1, &t);
}

static void
record(struct rec *r, int *n, uint32_t type, const void *p, size_t len)
{
	if (*n >= MAXMSG)
		abort();
	r[*n].type = type;
	r[*n].p = malloc(len + 1);
	memcpy(r[*n].p, p, len);
	r[*n].len = len;
	(*n)++;
}

/* A frame built by the codec, as netd would read it. */
static struct ipc_msg
buf_imsg(const struct ipc_buf *b)
{
	struct ipc_msg	m;

	memset(&m, 0, sizeof(m));
	memcpy(&m.hdr, b->buf, sizeof(m.hdr));
	m.hdr.len = (uint32_t)b->len;
	m.data = b->buf + IPC_HDR_SIZE;
	m.datalen = b->len - IPC_HDR_SIZE;
	return m;
}

int
netd_apid_send(struct ipc_buf *b)
{
	struct ipc_apid_sent	s;
	struct ipc_msg		m;

	if (b == NULL || b->err != 0) {
		ipc_buf_free(b);
		return -1;
	}
	m = buf_imsg(b);
	if (m.hdr.type == IPC_APID_SENT) {
		if (ipc_get_apid_sent(&m, &s) == -1)
			abort();
		nsent++;
		sent_id = s.id;
	} else {
		record(apid, &napid, m.hdr.type, m.data, m.datalen);
		apid[napid - 1].id = m.hdr.id;
	}
	ipc_buf_free(b);
	return 0;
}

void
netd_credit_return(void)
{
	credit++;
}

void
netd_flow_update(void)
{
}

int
netd_relay_send(const uint8_t *frame, size_t len)
{
	if (!relay_up)
		return -1;
	record(frames, &nframes, 0, frame, len);
	return 0;
}

static int
kpush(uint32_t type, const uint8_t *pk, size_t pklen, const uint8_t *data,
    size_t len, netd_keyd_cb cb, void *arg)
{
	struct kreq	*q = &kq[nkq++];

	q->type = type;
	q->pk = malloc(pklen + 1);
	if (pklen > 0)
		memcpy(q->pk, pk, pklen);
	q->pklen = pklen;
	q->data = malloc(len + 1);
	if (len > 0)
		memcpy(q->data, data, len);
	q->len = len;
	q->cb = cb;
	q->arg = arg;
	return 0;
}

int
netd_keyd_seal_sign(const uint8_t *pk, size_t pklen, const uint8_t *env,
    size_t len, netd_keyd_cb cb, void *arg)
{
	return kpush(IPC_KEYD_SEAL_SIGN, pk, pklen, env, len, cb, arg);
}

int
netd_keyd_open(const uint8_t *pk, size_t pklen, const uint8_t *cipher,
    size_t len, netd_keyd_cb cb, void *arg)
{
	return kpush(IPC_KEYD_OPEN, pk, pklen, cipher, len, cb, arg);
}

/*
 * SEAL_SIGN as keyd_verbs.c answers it: netd's envelope is ours and
 * unsigned, has a plain payload when there is a key to seal it for; the
 * answer is the envelope sealed and signed.
 */
static void
kseal_sign(struct kreq *q)
{
	static uint8_t	 out[8192], cipher[8192];
	uint8_t		 digest[CHALLENGE_BYTES], key[E2E_KEY_BYTES];
	uint8_t		 sig[SIG65_BYTES];
	Envelope	*e, o;
	size_t		 n = 0;

	if ((e = envelope_unpack(q->data, q->len)) == NULL ||
	    e->source == NULL || e->source->twin != OWN ||
	    e->source->opt_connection_case != 0 ||
	    e->opt_signature_case != 0 || (q->pklen > 0 &&
	    e->payload_case != ENVELOPE__PAYLOAD_PLAIN))
		abort();
	o = *e;
	if (q->pklen > 0) {
		if (e2e_shared_key(key, &keys[0].e2e, q->pk, q->pklen) != 0) {
			envelope__free_unpacked(e, NULL);
			q->cb(q->arg, NULL, 0, 106,
			    "e2e error: malformed public key");
			return;
		}
		if (e2e_seal(cipher, sizeof(cipher), &n, key, e->plain.data,
		    e->plain.len) != 0)
			abort();
		o.payload_case = ENVELOPE__PAYLOAD_CIPHER;
		o.cipher.data = cipher;
		o.cipher.len = n;
	}
	envelope_challenge(&o, digest);
	identity_sign(&keys[0].ident, sig, digest, sizeof(digest));
	o.opt_signature_case = ENVELOPE__OPT_SIGNATURE_SIGNATURE;
	o.signature.data = sig;
	o.signature.len = sizeof(sig);
	if (envelope__get_packed_size(&o) > sizeof(out))
		abort();
	n = envelope__pack(&o, out);
	envelope__free_unpacked(e, NULL);
	q->cb(q->arg, out, n, 0, NULL);
}

/* keyd's side, with our own keys, as keyd_verbs.c answers. */
static void
kanswer(struct kreq *q)
{
	static uint8_t	 out[8192];
	uint8_t		 key[E2E_KEY_BYTES];
	size_t		 n = 0;
	int		 rc;

	if (keyd_refuse) {
		keyd_refuse = 0;
		q->cb(q->arg, NULL, 0, 106, "e2e error: invalid cipher data");
		return;
	}
	if (q->type != IPC_KEYD_OPEN) {
		kseal_sign(q);
		return;
	}
	if (e2e_shared_key(key, &keys[0].e2e, q->pk, q->pklen) != 0) {
		q->cb(q->arg, NULL, 0, 106, "e2e error: malformed public key");
		return;
	}
	rc = e2e_open(out, sizeof(out), &n, key, q->data, q->len);
	if (rc != 0)
		q->cb(q->arg, NULL, 0, 106, "e2e error: invalid cipher data");
	else
		q->cb(q->arg, out, n, 0, NULL);
}

static void
drain(void)
{
	struct kreq	q;

	while (nkq > 0) {
		q = kq[0];
		memmove(kq, kq + 1, (size_t)(--nkq) * sizeof(kq[0]));
		kanswer(&q);
		free(q.pk);
		free(q.data);
	}
}

static void
reset(void)
{
	int	i;

	drain();
	for (i = 0; i < nframes; i++)
		free(frames[i].p);
	for (i = 0; i < napid; i++)
		free(apid[i].p);
	nframes = napid = nsent = 0;
	sent_id = 0;
	credit = 0;
}

/* The nth frame to the relay, decoded. */
static Envelope *
frame(int i)
{
	return i < nframes ? envelope_unpack(frames[i].p, frames[i].len) :
	    NULL;
}

static struct ipc_msg
as_imsg(const struct rec *r)
{
	struct ipc_msg	m;

	memset(&m, 0, sizeof(m));
	m.hdr.type = r->type;
	m.hdr.id = r->id;
	m.hdr.len = (uint32_t)(r->len + IPC_HDR_SIZE);
	m.data = r->p;
	m.datalen = r->len;
	return m;
}

struct out_req {
	const char	*uid, *cmd, *tags, *schema, *payload;
	uint64_t	 ts, exp;
	uint32_t	 dst;
};

static struct ipc_buf *
build_out_request(const struct out_req *r)
{
	struct ipc_netd_out_request	m;

	m.id = TOKEN;
	m.uid = ipc_apid_str(r->uid);
	m.cmd = ipc_apid_str(r->cmd);
	m.tags = ipc_apid_str(r->tags);
	m.schema = ipc_apid_str(r->schema);
	m.ts = r->ts;
	m.exp = r->exp;
	m.dst = r->dst;
	m.payload = (const uint8_t *)r->payload;
	m.len = strlen(r->payload);
	return ipc_build_netd_out_request(&m);
}

static int
send_out_request(const struct out_req *r)
{
	struct ipc_buf	*b = build_out_request(r);
	struct ipc_msg	 m;
	int		 rv;

	if (b == NULL)
		abort();
	m = buf_imsg(b);
	rv = netd_proto_out(&m);
	ipc_buf_free(b);
	drain();
	return rv;
}

static int
send_out_response(const char *uid, uint32_t dst, const char *conn,
    uint64_t exp, int is_error, uint32_t code, const char *msg,
    const char *payload)
{
	struct ipc_netd_out_response	 r;
	struct ipc_buf			*b;
	struct ipc_msg			 m;
	int				 rv;

	r.uid = ipc_apid_str(uid);
	r.dst = dst;
	r.conn = ipc_apid_str(conn);
	r.schema = ipc_apid_str(NULL);
	r.ts = now;
	r.exp = exp;
	r.is_error = is_error;
	r.code = code;
	r.msg = ipc_apid_str(msg);
	r.payload = (const uint8_t *)payload;
	r.len = strlen(payload);
	if ((b = ipc_build_netd_out_response(&r)) == NULL)
		abort();
	m = buf_imsg(b);
	rv = netd_proto_out(&m);
	ipc_buf_free(b);
	drain();
	return rv;
}

static int
is_field(struct ipc_apid_str f, const char *want)
{
	return f.p != NULL && f.len == strlen(want) &&
	    memcmp(f.p, want, f.len) == 0;
}

/* A SEND_FAILED's uid, code and message. */
static int
send_failed(int i, const char *uid, uint32_t code, const char *msg)
{
	struct ipc_msg			m;
	struct ipc_apid_send_failed	f;

	if (i >= napid)
		return 0;
	m = as_imsg(&apid[i]);
	if (ipc_get_apid_send_failed(&m, &f) == -1 || f.id != TOKEN)
		return 0;
	if (!is_field(f.uid, uid) || f.code != code || !is_field(f.msg, msg)) {
		diag("SEND_FAILED %.*s %u %.*s", (int)f.uid.len, f.uid.p,
		    f.code, (int)f.msg.len, f.msg.p);
		return 0;
	}
	return 1;
}

/* Opens a cipher sent by OWN for the twin k. */
static int
peer_open(const Envelope *e, const struct key *k, char *out, size_t cap)
{
	uint8_t	key[E2E_KEY_BYTES];
	size_t	n;

	if (e->payload_case != ENVELOPE__PAYLOAD_CIPHER ||
	    e2e_shared_key(key, &k->e2e, keys[0].e2e.pk, E2E_PK_BYTES) != 0 ||
	    e2e_open((uint8_t *)out, cap - 1, &n, key, e->cipher.data,
	    e->cipher.len) != 0)
		return -1;
	out[n] = '\0';
	return 0;
}

static void
test_out_request(void)
{
	struct out_req	 r = { "u1", "zos.system.version", "fail-fast",
			    "application/json", "{\"a\":1}", 0, 0, PEER };
	Envelope	*e;
	const char	*err = "";
	char		 plain[64];

	r.ts = now - 10;
	r.exp = 100;
	ok(send_out_request(&r) == 0 && nframes == 1 && napid == 0,
	    "request: one frame, nothing for apid but SENT");
	ok(nsent == 1 && sent_id == TOKEN, "SENT carries apid's token");
	ok((e = frame(0)) != NULL, "the frame is an envelope");
	if (e == NULL)
		return;
	ok(strcmp(e->uid, "u1") == 0 && e->opt_tags_case != 0 &&
	    strcmp(e->tags, "fail-fast") == 0 && e->opt_schema_case != 0 &&
	    strcmp(e->schema, "application/json") == 0, "uid, tags, schema");
	ok(e->source->twin == OWN && e->source->opt_connection_case == 0 &&
	    e->destination->twin == PEER &&
	    e->destination->opt_connection_case == 0,
	    "source is our twin without a connection");
	ok(e->timestamp == now && e->expiration == 90,
	    "stamped: now, the same deadline (%llu)",
	    (unsigned long long)e->expiration);
	ok(e->message_case == ENVELOPE__MESSAGE_REQUEST &&
	    strcmp(e->request->command, "zos.system.version") == 0, "command");
	ok(peer_open(e, &keys[1], plain, sizeof(plain)) == 0 &&
	    strcmp(plain, "{\"a\":1}") == 0, "sealed for the destination");
	ok(envelope_verify(e, keys[0].ident.account, &err) == 0,
	    "signed by our key (%s)", err != NULL ? err : "");
	ok(credit == 1, "one credit back");
	envelope__free_unpacked(e, NULL);

	reset();
	r.ts = now;
	r.exp = 0;
	r.tags = NULL;
	r.dst = NOPK;
	send_out_request(&r);
	e = frame(0);
	ok(e != NULL && e->expiration == NETD_DEFAULT_TTL &&
	    e->opt_tags_case == 0 &&
	    e->payload_case == ENVELOPE__PAYLOAD_PLAIN &&
	    e->plain.len == 7, "expiration 0 gives 300; plain for a twin "
	    "without pk");
	if (e != NULL)
		envelope__free_unpacked(e, NULL);
	reset();
	r.exp = 5000;
	send_out_request(&r);
	e = frame(0);
	ok(e != NULL && e->expiration == NETD_MAX_TTL, "capped at 1800");
	if (e != NULL)
		envelope__free_unpacked(e, NULL);
}

static void
test_out_failures(void)
{
	struct out_req	r = { "u2", "a.b", NULL, NULL, "x", 0, 60, 99 };

	reset();
	r.ts = now;
	send_out_request(&r);
	ok(nframes == 0 && send_failed(0, "u2", 103, "unknown twin id '99'")
	    && credit == 1 && nsent == 0,
	    "unknown destination: 103 with apid's token, credit back, no SENT");
	reset();
	r.dst = PEER;
	lookup_fail = 1;
	send_out_request(&r);
	ok(send_failed(0, "u2", 500, "other: failed to get twin information"),
	    "lookup failure: 500");
	reset();
	keyd_refuse = 1;
	send_out_request(&r);
	ok(nframes == 0 && send_failed(0, "u2", 106,
	    "e2e error: invalid cipher data"), "seal refused: 106");
	reset();
	r.dst = BADPK;
	send_out_request(&r);
	ok(nframes == 0 && send_failed(0, "u2", 106,
	    "e2e error: malformed public key"),
	    "a pk keyd cannot parse is not sent to keyd: 106");
	reset();
	r.dst = PEER;
	r.ts = now - 100;
	r.exp = 100;
	send_out_request(&r);
	ok(nframes == 0 && send_failed(0, "u2", 500,
	    "other: response has expired before sending!"),
	    "expired before sending: 500");
}

static void
test_out_waiting(void)
{
	struct out_req	r = { "u3", "a.b", NULL, NULL, "x", 0, 5, PEER };
	Envelope	*e;

	reset();
	relay_up = 0;
	r.ts = now;
	send_out_request(&r);
	r.uid = "u4";
	r.exp = 60;
	send_out_request(&r);
	ok(nframes == 0 && napid == 0 && credit == 0 &&
	    netd_proto_waiting() == 2, "no relay: both wait, credit kept");
	now += 1;
	netd_proto_tick();
	ok(netd_proto_waiting() == 2 && napid == 0, "still alive after 1 s");
	now += 2;
	netd_proto_tick();
	ok(netd_proto_waiting() == 1 && send_failed(0, "u3", 500,
	    "other: response has expired before sending!") && credit == 1,
	    "the short one is given up 2 s before its deadline: 500");
	relay_up = 1;
	netd_proto_retry();
	ok(nframes == 1 && netd_proto_waiting() == 0 && credit == 2 &&
	    nsent == 1, "a relay comes up: the other goes, SENT only then");
	e = frame(0);
	ok(e != NULL && strcmp(e->uid, "u4") == 0, "it is u4");
	if (e != NULL)
		envelope__free_unpacked(e, NULL);
	now -= 3;
}

static void
test_out_response(void)
{
	Envelope	*e;
	char		 plain[64];

	reset();
	ok(send_out_response("r1", PEER, "sess", 3600, 0, 0, "", "result")
	    == 0 && nframes == 1, "response sent");
	e = frame(0);
	ok(e != NULL && e->message_case == ENVELOPE__MESSAGE_RESPONSE &&
	    e->expiration == NETD_MAX_TTL &&
	    e->destination->opt_connection_case != 0 &&
	    strcmp(e->destination->connection, "sess") == 0 &&
	    e->opt_tags_case == 0, "response: 3600 capped, connection kept");
	ok(e != NULL && peer_open(e, &keys[1], plain, sizeof(plain)) == 0 &&
	    strcmp(plain, "result") == 0, "response sealed");
	if (e != NULL)
		envelope__free_unpacked(e, NULL);
	reset();
	send_out_response("r2", PEER, NULL, 3600, 1, 42, "broken", "");
	e = frame(0);
	ok(e != NULL && e->message_case == ENVELOPE__MESSAGE_ERROR &&
	    e->error->code == 42 && strcmp(e->error->message, "broken") == 0 &&
	    e->payload_case == 0, "error response: code, message, no payload");
	if (e != NULL)
		envelope__free_unpacked(e, NULL);
	reset();
	send_out_response("r3", BADPK, NULL, 3600, 0, 0, "", "result");
	e = frame(0);
	ok(e != NULL && e->message_case == ENVELOPE__MESSAGE_ERROR &&
	    e->error->code == 106 && e->payload_case == 0 && napid == 0,
	    "a response that cannot be sealed becomes error 106");
	if (e != NULL)
		envelope__free_unpacked(e, NULL);
	reset();
	send_out_response("r4", 99, NULL, 3600, 0, 0, "", "result");
	ok(nframes == 0 && napid == 0 && credit == 1,
	    "unknown destination of a response: logged only");
}

static void
test_out_malformed(void)
{
	struct out_req	 r = { "u", "c", NULL, NULL, "x", 0, 60, PEER };
	struct ipc_buf	*b;
	struct ipc_msg	 m;
	uint32_t	 two = 2;

	reset();
	r.ts = now;
	if ((b = build_out_request(&r)) == NULL)
		abort();
	m = buf_imsg(b);
	/* The tags' present word, after "u" and "c" with their lengths. */
	memcpy(b->buf + IPC_HDR_SIZE + 10, &two, sizeof(two));
	ok(netd_proto_out(&m) == -1 && credit == 0, "present = 2: malformed");
	ipc_buf_free(b);
	if ((b = build_out_request(&r)) == NULL)
		abort();
	m = buf_imsg(b);
	m.datalen -= 2;
	ok(netd_proto_out(&m) == -1, "truncated: malformed");
	m.datalen += 2;
	m.hdr.id = 0;
	ok(netd_proto_out(&m) == -1 && nframes == 0,
	    "a request without apid's token: malformed");
	ipc_buf_free(b);
}

struct in_env {
	uint32_t	 src;
	const char	*src_conn;
	int		 kind;		/* 0 request, 1 response, 2 error, 3 none */
	const char	*cmd;
	const char	*payload;
	int		 seal, sign, badsig;
	uint64_t	 ts, exp;
};

/* An envelope from twin src (or an unsigned one) to us. */
static void
deliver(const struct in_env *m)
{
	const struct key *k = key_by_id(m->src);
	Envelope	 e;
	Address		 s, d;
	Request		 rq;
	Response	 rs;
	Error		 er;
	uint8_t		 sig[SIG65_BYTES], key[E2E_KEY_BYTES], c[256], *buf;
	size_t		 n = 0;

	envelope__init(&e);
	address__init(&s);
	address__init(&d);
	request__init(&rq);
	response__init(&rs);
	error__init(&er);
	e.uid = (char *)"in1";
	e.timestamp = m->ts != 0 ? m->ts : now;
	e.expiration = m->exp != 0 ? m->exp : 300;
	s.twin = m->src;
	if (m->src_conn != NULL) {
		s.opt_connection_case = ADDRESS__OPT_CONNECTION_CONNECTION;
		s.connection = (char *)m->src_conn;
	}
	d.twin = OWN;
	e.source = &s;
	e.destination = &d;
	e.opt_tags_case = ENVELOPE__OPT_TAGS_TAGS;
	e.tags = (char *)"t1";
	if (m->kind == 0) {
		rq.command = (char *)m->cmd;
		e.message_case = ENVELOPE__MESSAGE_REQUEST;
		e.request = &rq;
	} else if (m->kind == 1) {
		e.message_case = ENVELOPE__MESSAGE_RESPONSE;
		e.response = &rs;
	} else if (m->kind == 2) {
		er.code = 0;
		er.message = (char *)"destination offline";
		e.message_case = ENVELOPE__MESSAGE_ERROR;
		e.error = &er;
	}
	if (m->seal) {
		if (e2e_shared_key(key, &k->e2e, keys[0].e2e.pk,
		    E2E_PK_BYTES) != 0 || e2e_seal(c, sizeof(c), &n, key,
		    (const uint8_t *)m->payload, strlen(m->payload)) != 0)
			abort();
		e.payload_case = ENVELOPE__PAYLOAD_CIPHER;
		e.cipher.data = c;
		e.cipher.len = n;
	} else if (m->payload != NULL) {
		e.payload_case = ENVELOPE__PAYLOAD_PLAIN;
		e.plain.data = (uint8_t *)m->payload;
		e.plain.len = strlen(m->payload);
	}
	if (m->sign) {
		envelope_sign(&e, &k->ident, sig);
		if (m->badsig)
			sig[5] ^= 1;
	}
	n = envelope__get_packed_size(&e);
	buf = malloc(n);
	envelope__pack(&e, buf);
	netd_proto_in(buf, n);
	free(buf);
	drain();
}

/* The one frame sent back is an error with this code. */
static int
error_reply(uint32_t code, const char *msg)
{
	Envelope	*e = frame(0);
	int		 good;

	if (e == NULL)
		return 0;
	good = nframes == 1 && napid == 0 &&
	    e->message_case == ENVELOPE__MESSAGE_ERROR &&
	    e->error->code == code && strcmp(e->error->message, msg) == 0 &&
	    strcmp(e->uid, "in1") == 0 && e->opt_tags_case == 0 &&
	    e->destination->twin != 0;
	if (!good && e->message_case == ENVELOPE__MESSAGE_ERROR)
		diag("error %u %s", e->error->code, e->error->message);
	envelope__free_unpacked(e, NULL);
	return good;
}

static void
test_in_order(void)
{
	struct in_env	 m;
	Envelope	*e;

	reset();
	netd_proto_in((const uint8_t *)"\xff\xff\xff", 3);
	ok(nframes == 0 && napid == 0, "not an envelope: dropped");

	memset(&m, 0, sizeof(m));
	m.src = PEER;
	m.src_conn = "c1";
	m.cmd = "calc.add";
	m.payload = "x";
	m.sign = 1;
	m.ts = now - 100;
	m.exp = 100;
	reset();
	deliver(&m);
	ok(error_reply(102, "envelope validation error: message has expired"),
	    "expired request: 102");
	e = frame(0);
	ok(e != NULL && e->expiration == 100 && e->timestamp == now &&
	    e->destination->twin == PEER &&
	    e->destination->opt_connection_case != 0 &&
	    strcmp(e->destination->connection, "c1") == 0,
	    "the reply: the request's expiration, now, its source and "
	    "connection");
	if (e != NULL)
		envelope__free_unpacked(e, NULL);
	reset();
	m.kind = 1;
	deliver(&m);
	ok(nframes == 0 && napid == 0, "expired response: only logged");

	m.ts = m.exp = 0;
	m.kind = 0;
	m.src = 0;
	m.sign = 0;
	reset();
	deliver(&m);
	ok(nframes == 0 && napid == 0, "unsigned request from twin 0: dropped");
	reset();
	m.kind = 2;
	m.payload = NULL;
	deliver(&m);
	ok(napid == 1 && apid[0].type == IPC_APID_IN_RESPONSE,
	    "relay error report from twin 0: to apid");

	memset(&m, 0, sizeof(m));
	m.src = 7;
	m.cmd = "calc.add";
	m.payload = "x";
	reset();
	deliver(&m);
	ok(nframes == 0 && napid == 0,
	    "unknown sender: 103, and the reply cannot be addressed");
	m.src = PEER;
	m.sign = 1;
	reset();
	lookup_fail = 1;
	deliver(&m);
	ok(error_reply(500, "other: failed to get twin information"),
	    "lookup failure: 500");
	reset();
	m.badsig = 1;
	deliver(&m);
	ok(error_reply(104, "invalid envelope signature: sr25519 signature "
	    "verification failed"), "bad signature: 104");
	reset();
	m.badsig = 0;
	m.src = NOPK;
	m.seal = 1;
	deliver(&m);
	ok(error_reply(105, "sender twin has no public key"),
	    "cipher from a twin without pk: 105");
	reset();
	m.src = PEER;
	keyd_refuse = 1;
	deliver(&m);
	ok(error_reply(106, "e2e error: invalid cipher data"),
	    "keyd cannot open it: 106");
	reset();
	m.sign = 0;
	m.seal = 0;
	deliver(&m);
	ok(error_reply(104, "invalid envelope signature: message is not "
	    "signed"), "unsigned from a twin: 104");
	ok(netd_proto_busy() == 0, "nothing left in progress");
}

/* Lookups answered later, from the loop, as the chain source does. */
static void
test_later(void)
{
	struct out_req	 r = { "u9", "a.b", NULL, NULL, "{}", 0, 60, PEER };
	struct in_env	 m;

	reset();
	lookup_later = 1;
	ok(send_out_request(&r) == 0 && nframes == 0 && nlq == 1,
	    "outgoing, twin lookup pending: nothing sent yet");
	memset(&m, 0, sizeof(m));
	m.src = PEER;
	m.cmd = "calc.add";
	m.payload = "x";
	m.sign = 1;
	m.seal = 1;
	deliver(&m);
	ok(napid == 0 && nlq == 2 && netd_proto_busy() == 1,
	    "incoming, twin lookup pending: in progress, nothing for apid");
	lookup_later = 0;
	answer_lookups();
	drain();
	ok(nframes == 1 && credit == 1, "the lookup answers: the request "
	    "is sealed, signed and sent");
	ok(napid == 1 && apid[0].type == IPC_APID_IN_REQUEST &&
	    netd_proto_busy() == 0, "and the incoming one is checked, "
	    "opened and handed to apid");
}

/* A signature that fails against the cached twin: read it again once. */
static void
test_reread(void)
{
	struct in_env	 m;

	memset(&m, 0, sizeof(m));
	m.src = PEER;
	m.cmd = "calc.add";
	m.payload = "x";
	m.sign = 1;
	reset();
	forgets = 0;
	stale_reads = 1;
	deliver(&m);
	ok(forgets == 1 && napid == 1 && apid[0].type ==
	    IPC_APID_IN_REQUEST && nframes == 0, "a stale cached key: the "
	    "twin is forgotten, read again, and the request goes to apid");
	reset();
	forgets = 0;
	stale_reads = 2;
	deliver(&m);
	ok(forgets == 1 && error_reply(104, "invalid envelope signature: "
	    "sr25519 signature verification failed"),
	    "still wrong after one re-read: 104, and no second re-read");
	reset();
	forgets = 0;
	stale_reads = 1;
	lookup_later = 1;
	deliver(&m);
	ok(napid == 0 && nlq == 1, "with a later lookup: waiting");
	answer_lookups();
	ok(forgets == 1 && nlq == 1 && napid == 0,
	    "the stale answer: forgotten, asked again");
	lookup_later = 0;
	answer_lookups();
	ok(napid == 1 && netd_proto_busy() == 0, "the fresh answer: to apid");
	stale_reads = 0;
}

static void
test_in_dispatch(void)
{
	struct in_env			 m;
	struct ipc_msg			 im;
	struct ipc_apid_in_request	 rq;
	struct ipc_apid_in_response	 rs;
	Envelope			*e;
	char				 plain[64];
	char				 want[80];

	memset(&m, 0, sizeof(m));
	m.src = PEER;
	m.src_conn = "c2";
	m.cmd = "calc.add";
	m.payload = "[1,2]";
	m.sign = 1;
	m.seal = 1;
	reset();
	deliver(&m);
	ok(napid == 1 && apid[0].type == IPC_APID_IN_REQUEST && nframes == 0,
	    "a good sealed request goes to apid");
	im = as_imsg(&apid[0]);
	ok(napid == 1 && ipc_get_apid_in_request(&im, &rq) == 0,
	    "IN_REQUEST layout");
	ok(napid == 1 && is_field(rq.uid, "in1") && rq.src == PEER &&
	    is_field(rq.conn, "c2") && is_field(rq.cmd, "calc.add") &&
	    rq.ts == now && rq.exp == 300 && is_field(rq.tags, "t1") &&
	    rq.schema.p == NULL && rq.len == 5 &&
	    memcmp(rq.payload, "[1,2]", 5) == 0,
	    "IN_REQUEST fields, payload opened");

	reset();
	m.cmd = "rmb.version";
	deliver(&m);
	e = frame(0);
	ok(napid == 0 && e != NULL &&
	    e->message_case == ENVELOPE__MESSAGE_RESPONSE &&
	    strcmp(e->uid, "in1") == 0 && e->expiration == 300 &&
	    e->opt_schema_case != 0 &&
	    strcmp(e->schema, "application/json") == 0 &&
	    strcmp(e->destination->connection, "c2") == 0 &&
	    peer_open(e, &keys[1], plain, sizeof(plain)) == 0 &&
	    strcmp(plain, NETD_VERSION_JSON) == 0,
	    "rmb.version answered by the plugin: %s", NETD_VERSION_JSON);
	snprintf(want, sizeof(want), "\"v%s\"", changelog_version());
	ok(strcmp(NETD_VERSION_JSON, want) == 0,
	    "rmb.version's answer is \"v\" and debian/changelog's version: %s",
	    want);
	if (e != NULL)
		envelope__free_unpacked(e, NULL);
	reset();
	m.cmd = "rmb.other";
	deliver(&m);
	ok(napid == 0 && nframes == 0, "other rmb.* commands are swallowed");
	reset();
	m.cmd = "rmb";
	deliver(&m);
	ok(napid == 1 && apid[0].type == IPC_APID_IN_REQUEST,
	    "\"rmb\" without a dot is an ordinary command");

	reset();
	m.kind = 1;
	m.src_conn = NULL;
	deliver(&m);
	ok(napid == 1 && apid[0].type == IPC_APID_IN_RESPONSE,
	    "a response goes to apid");
	im = as_imsg(&apid[0]);
	ok(napid == 1 && ipc_get_apid_in_response(&im, &rs) == 0 &&
	    rs.src == PEER && rs.conn.p == NULL && !rs.is_error &&
	    rs.len == 5 && memcmp(rs.payload, "[1,2]", 5) == 0,
	    "IN_RESPONSE layout and fields");
	reset();
	m.kind = 3;
	m.seal = 0;
	deliver(&m);
	ok(napid == 0 && nframes == 0, "an envelope with no message: dropped");
	ok(netd_proto_busy() == 0, "nothing left in progress");
}

int
main(void)
{
	uint8_t	seed[32];
	size_t	i;

	if (sodium_init() < 0 || e2e_init() != 0)
		return 1;
	for (i = 0; i < 4; i++) {
		memset(seed, 0x11 * (int)(i + 1), sizeof(seed));
		keys[i].id = (uint32_t)(i + 1);
		keys[i].has_pk = keys[i].id != NOPK;
		if (identity_from_seed(&keys[i].ident, keys[i].id == PEER ?
		    KEY_SR25519 : KEY_ED25519, seed) != 0 ||
		    e2e_key_from_seed(&keys[i].e2e, seed) != 0)
			return 1;
	}
	netd_proto_init(OWN);
	test_out_request();
	test_out_failures();
	test_out_waiting();
	test_out_response();
	test_out_malformed();
	test_in_order();
	test_in_dispatch();
	test_later();
	test_reread();
	reset();
	return done_testing();
}
