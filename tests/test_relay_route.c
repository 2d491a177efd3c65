/* SPDX-License-Identifier: ISC */
#include "relay_route.h"
#include "env_fixture.h"
#include "tap.h"

#define NOW	1700000000ULL

static const char *const ours[] = { "r1.grid.tf" };

static struct relay_sess_id s7 = { 7, 0, "" };
static struct relay_sess_id s8 = { 8, 1, "s1" };
static struct relay_sess_id s9 = { 9, 1, "" };
static struct relay_sess_id s30 = { 30, 0, "" };

/* Sessions connected here, and the twins the chain knows. */
static const struct relay_sess_id *connected_set[] = { &s7, &s8, &s9 };
static const struct {
	uint32_t	 id;
	const char	*relay;		/* NULL: no relay field */
} twins[] = {
	{ 7, "r1.grid.tf" },
	{ 8, "r1.grid.tf" },
	{ 12, "r2.grid.tf_r1.grid.tf" },
	{ 13, "r2.grid.tf" },
	{ 14, NULL },
};
#define TWIN_LOOKUP_FAILS	15
#define TWIN_CONNECTED_ONLY	20	/* connected, unknown to the chain */
#define TWIN_NOT_CACHED		21	/* the chain source has yet to read it */
#define TWIN_SIGNER		55	/* elsewhere, signer's account */

static struct identity	signer, other;

static int lookups;

static int
fake_connected(void *arg, const struct relay_sess_id *s)
{
	static const struct relay_sess_id only = { TWIN_CONNECTED_ONLY, 0, "" };
	size_t	i;

	(void)arg;
	if (relay_sess_eq(s, &only))
		return 1;
	for (i = 0; i < sizeof(connected_set) / sizeof(connected_set[0]); i++)
		if (relay_sess_eq(s, connected_set[i]))
			return 1;
	return 0;
}

static int
fake_lookup(void *arg, uint32_t id, struct twin_record *out)
{
	size_t	i;

	(void)arg;
	lookups++;
	memset(out, 0, sizeof(*out));
	if (id == TWIN_LOOKUP_FAILS)
		return -1;
	if (id == TWIN_NOT_CACHED)
		return 2;
	if (id == TWIN_SIGNER) {
		out->id = id;
		out->has_relay = 1;
		strcpy(out->relay, "r3.grid.tf");
		memcpy(out->account, signer.account, sizeof(out->account));
		return 1;
	}
	for (i = 0; i < sizeof(twins) / sizeof(twins[0]); i++) {
		if (twins[i].id != id)
			continue;
		out->id = id;
		if (twins[i].relay != NULL) {
			out->has_relay = 1;
			strcpy(out->relay, twins[i].relay);
		}
		return 1;
	}
	return 0;
}

static uint8_t	wire[4096];
static size_t	wirelen;

static int
run_with(const struct relay_sess_id *sess, const char *const *domains,
    size_t nd, struct env *v, struct relay_route_result *r)
{
	struct relay_route_ctx	ctx;

	memset(&ctx, 0, sizeof(ctx));
	ctx.session = sess;
	ctx.domains = domains;
	ctx.ndomains = nd;
	ctx.connected = fake_connected;
	ctx.lookup = fake_lookup;
	ctx.now = NOW;
	wirelen = envelope__pack(&v->e, wire);
	lookups = 0;
	return relay_route(&ctx, wire, wirelen, r);
}

static int
run(const struct relay_sess_id *sess, struct env *v,
    struct relay_route_result *r)
{
	return run_with(sess, ours, 1, v, r);
}

#define REPORT_MAX	4096	/* relay_server.h's RELAY_REPORT_MAX */

static int
ingest_with(const char *const *domains, size_t nd, const uint8_t *body,
    size_t len, struct relay_route_result *r)
{
	struct relay_route_ctx	ctx;
	int			status = -1;

	memset(&ctx, 0, sizeof(ctx));
	ctx.domains = domains;
	ctx.ndomains = nd;
	ctx.connected = fake_connected;
	ctx.lookup = fake_lookup;
	ctx.now = NOW;
	ctx.report_max = REPORT_MAX;
	if (relay_ingest(&ctx, body, len, r, &status) != 0)
		return -1;
	return status;
}

static int
ingest(const uint8_t *body, size_t len, struct relay_route_result *r)
{
	return ingest_with(ours, 1, body, len, r);
}

/* Signs v as its source would (signer), or as a forger (other). */
static size_t
pack_signed(struct env *v, const struct identity *id, uint8_t *out)
{
	if (envelope_sign(&v->e, id, v->sig) == -1)
		return 0;
	return envelope__pack(&v->e, out);
}

static void
set_conn(Address *a, const char *conn)
{
	a->opt_connection_case = ADDRESS__OPT_CONNECTION_CONNECTION;
	a->connection = (char *)conn;
}

static void
set_tags(struct env *v, const char *tags)
{
	v->e.opt_tags_case = ENVELOPE__OPT_TAGS_TAGS;
	v->e.tags = (char *)tags;
}

static void
set_response(struct env *v)
{
	v->e.message_case = ENVELOPE__MESSAGE_RESPONSE;
	v->e.response = &v->resp;
}

static int
is_sess(const struct relay_sess_id *s, uint32_t twin, const char *sid)
{
	struct relay_sess_id	want;

	memset(&want, 0, sizeof(want));
	want.twin = twin;
	if (sid != NULL) {
		want.has_sid = 1;
		strcpy(want.sid, sid);
	}
	return relay_sess_eq(s, &want);
}

static int
addr_has(const Address *a, uint32_t twin, const char *conn)
{
	if (a == NULL || a->twin != twin)
		return 0;
	if (conn == NULL)
		return a->opt_connection_case ==
		    ADDRESS__OPT_CONNECTION__NOT_SET;
	return a->opt_connection_case == ADDRESS__OPT_CONNECTION_CONNECTION &&
	    strcmp(a->connection, conn) == 0;
}

/* The top-level field numbers in wire order, to check the layout. */
static size_t
field_order(const uint8_t *p, size_t len, unsigned int *nums, size_t cap)
{
	size_t		off = 0, n = 0;
	uint64_t	key, v;
	unsigned int	shift;

	while (off < len && n < cap) {
		key = 0;
		for (shift = 0; off < len; shift += 7) {
			key |= (uint64_t)(p[off] & 0x7f) << shift;
			if ((p[off++] & 0x80) == 0)
				break;
		}
		nums[n++] = (unsigned int)(key >> 3);
		switch (key & 7) {
		case 0:
			while (off < len && (p[off++] & 0x80) != 0)
				;
			break;
		case 2:
			v = 0;
			for (shift = 0; off < len; shift += 7) {
				v |= (uint64_t)(p[off] & 0x7f) << shift;
				if ((p[off++] & 0x80) == 0)
					break;
			}
			off += v;
			break;
		default:
			return 0;
		}
	}
	return n;
}

/* A refused request: the doc/relay.md §1.9 envelope to the sender. */
static void
check_refused_request(struct relay_route_result *r, const char *text,
    const struct relay_sess_id *sess, const char *name)
{
	Envelope	*d;

	ok(r->action == RELAY_ERROR && r->error != NULL &&
	    strcmp(r->error, text) == 0 && r->is_request,
	    "%s: ERROR \"%s\"", name, text);
	ok(relay_sess_eq(&r->dest, sess), "%s: back to the sender", name);
	d = r->out != NULL ? envelope_unpack(r->out, r->outlen) : NULL;
	ok(d != NULL && d->source == NULL &&
	    d->message_case == ENVELOPE__MESSAGE_ERROR &&
	    strcmp(d->error->message, text) == 0 && d->error->code == 0 &&
	    strcmp(d->uid, FIXTURE_UID) == 0 &&
	    addr_has(d->destination, sess->twin,
	    sess->has_sid ? sess->sid : NULL),
	    "%s: error envelope carries the text and the uid", name);
	if (d != NULL)
		envelope__free_unpacked(d, NULL);
	relay_route_result_free(r);
}

static void
test_source(void)
{
	struct env			v;
	struct relay_route_result	r;

	env_init(&v, NOW, 300, 6, 20);
	set_request(&v, "a.b");
	ok(run(&s7, &v, &r) == 0, "route returns 0");
	check_refused_request(&r, "message wrong source", &s7, "other twin");

	env_init(&v, NOW, 300, 7, 20);
	set_request(&v, "a.b");
	set_conn(&v.src, "");
	run(&s7, &v, &r);
	check_refused_request(&r, "message wrong source", &s7,
	    "Some(\"\") source, None session");

	env_init(&v, NOW, 300, 9, 20);
	set_request(&v, "a.b");
	run(&s9, &v, &r);
	check_refused_request(&r, "message wrong source", &s9,
	    "None source, Some(\"\") session");

	env_init(&v, NOW, 300, 9, 20);
	set_request(&v, "a.b");
	set_conn(&v.src, "");
	run(&s9, &v, &r);
	ok(r.action == RELAY_LOCAL && is_sess(&r.dest, 20, NULL),
	    "Some(\"\") source, Some(\"\") session: accepted");
	relay_route_result_free(&r);

	env_init(&v, NOW, 300, 8, 20);
	set_request(&v, "a.b");
	set_conn(&v.src, "s2");
	run(&s8, &v, &r);
	check_refused_request(&r, "message wrong source", &s8, "sid mismatch");

	env_init(&v, NOW, 300, 8, 20);
	set_request(&v, "a.b");
	set_conn(&v.src, "s1");
	run(&s8, &v, &r);
	ok(r.action == RELAY_LOCAL, "sid match: accepted");
	relay_route_result_free(&r);

	env_init(&v, NOW, 300, 7, 20);
	set_request(&v, "a.b");
	v.e.source = NULL;
	run(&s7, &v, &r);
	check_refused_request(&r, "message wrong source", &s7, "no source");

	env_init(&v, NOW, 300, 6, 20);
	set_response(&v);
	run(&s7, &v, &r);
	ok(r.action == RELAY_ERROR && !r.is_request && r.out == NULL &&
	    strcmp(r.error, "message wrong source") == 0,
	    "wrong source on a response: text only, nothing sent back");
	relay_route_result_free(&r);
}

static void
test_ping(void)
{
	static const unsigned int	 want[] = { 1, 2, 3, 4, 5, 6, 9, 10, 11,
					    17, 16, 13, 30 };
	struct env			 v;
	struct relay_route_result	 r;
	Ping				 ping;
	Envelope			*d;
	ProtobufCMessageUnknownField	 unk;
	char				*relays[] = { (char *)"r1.grid.tf" };
	uint8_t				 unkdata[] = { 0x05 };
	unsigned int			 nums[32];
	size_t				 n;

	ping__init(&ping);

	/* The TS client's ping: destination an empty address, plain text. */
	env_init(&v, NOW, 40, 7, 0);
	v.e.message_case = ENVELOPE__MESSAGE_PING;
	v.e.ping = &ping;
	set_plain(&v, "abc");
	ok(run(&s7, &v, &r) == 0 && r.action == RELAY_LOCAL &&
	    is_sess(&r.dest, 7, NULL) && !r.is_request,
	    "ping: LOCAL back to the sender");
	ok(r.out != wire && r.owned == r.out, "ping: re-serialized");
	d = envelope_unpack(r.out, r.outlen);
	ok(d != NULL && d->message_case == ENVELOPE__MESSAGE_PONG &&
	    addr_has(d->destination, 7, NULL) && addr_has(d->source, 0, NULL),
	    "pong: addresses swapped");
	ok(d != NULL && d->payload_case == ENVELOPE__PAYLOAD_PLAIN &&
	    d->plain.len == 14 && memcmp(d->plain.data, "abchello world",
	    14) == 0, "pong: plain = original + \"hello world\"");
	ok(d != NULL && d->timestamp == NOW && d->expiration == 40 &&
	    strcmp(d->uid, FIXTURE_UID) == 0, "pong: other fields kept");
	if (d != NULL)
		envelope__free_unpacked(d, NULL);
	relay_route_result_free(&r);

	/* Rust's mut_plain() replaces a cipher payload with an empty plain. */
	env_init(&v, NOW, 40, 7, 0);
	v.e.message_case = ENVELOPE__MESSAGE_PING;
	v.e.ping = &ping;
	v.e.payload_case = ENVELOPE__PAYLOAD_CIPHER;
	v.e.cipher.data = (uint8_t *)"\x01\x02\x03";
	v.e.cipher.len = 3;
	run(&s7, &v, &r);
	d = r.out != NULL ? envelope_unpack(r.out, r.outlen) : NULL;
	ok(d != NULL && d->payload_case == ENVELOPE__PAYLOAD_PLAIN &&
	    d->plain.len == 11 && memcmp(d->plain.data, "hello world",
	    11) == 0, "pong from a cipher ping: plain \"hello world\"");
	if (d != NULL)
		envelope__free_unpacked(d, NULL);
	relay_route_result_free(&r);

	env_init(&v, NOW, 40, 8, 0);
	set_conn(&v.src, "s1");
	v.e.destination = NULL;
	v.e.message_case = ENVELOPE__MESSAGE_PING;
	v.e.ping = &ping;
	run(&s8, &v, &r);
	d = r.out != NULL ? envelope_unpack(r.out, r.outlen) : NULL;
	ok(r.action == RELAY_LOCAL && is_sess(&r.dest, 8, "s1") && d != NULL &&
	    d->source == NULL && addr_has(d->destination, 8, "s1") &&
	    d->plain.len == 11,
	    "ping without destination or payload, from a sid session");
	if (d != NULL)
		envelope__free_unpacked(d, NULL);
	relay_route_result_free(&r);

	/* Every field, to check the order rust-protobuf writes them in. */
	env_init(&v, NOW, 40, 7, 3);
	set_tags(&v, "t");
	v.e.message_case = ENVELOPE__MESSAGE_PING;
	v.e.ping = &ping;
	set_schema(&v, "application/json");
	v.e.opt_signature_case = ENVELOPE__OPT_SIGNATURE_SIGNATURE;
	v.e.signature.data = v.sig;
	v.e.signature.len = sizeof(v.sig);
	v.e.opt_federation_case = ENVELOPE__OPT_FEDERATION_FEDERATION;
	v.e.federation = (char *)"f";
	v.e.n_relays = 1;
	v.e.relays = relays;
	set_plain(&v, "p");
	unk.tag = 30;
	unk.wire_type = PROTOBUF_C_WIRE_TYPE_VARINT;
	unk.len = 1;
	unk.data = unkdata;
	v.e.base.n_unknown_fields = 1;
	v.e.base.unknown_fields = &unk;
	run(&s7, &v, &r);
	n = r.out != NULL ? field_order(r.out, r.outlen, nums, 32) : 0;
	ok(n == sizeof(want) / sizeof(want[0]) &&
	    memcmp(nums, want, sizeof(want)) == 0,
	    "pong: plain fields, then the oneofs, then unknown, as Rust");
	d = r.out != NULL ? envelope_unpack(r.out, r.outlen) : NULL;
	ok(d != NULL && addr_has(d->source, 3, NULL) &&
	    d->opt_federation_case == ENVELOPE__OPT_FEDERATION_FEDERATION &&
	    strcmp(d->federation, "f") == 0 && d->n_relays == 1 &&
	    d->opt_signature_case == ENVELOPE__OPT_SIGNATURE_SIGNATURE &&
	    strcmp(d->tags, "t") == 0 && d->plain.len == 12,
	    "pong: deprecated fields, tags and signature kept");
	if (d != NULL)
		envelope__free_unpacked(d, NULL);
	relay_route_result_free(&r);

	/* A pong for a sender not connected here goes through the chain. */
	env_init(&v, NOW, 40, 30, 0);
	v.e.message_case = ENVELOPE__MESSAGE_PING;
	v.e.ping = &ping;
	run(&s30, &v, &r);
	ok(r.action == RELAY_ERROR && !r.is_request && r.out == NULL &&
	    r.owned == NULL && strcmp(r.error, "unknown twin destination") == 0,
	    "pong to an unknown sender: refused, pong freed");
	relay_route_result_free(&r);
}

static void
test_destination(void)
{
	struct env			v;
	struct relay_route_result	r;
	char				long_sid[RELAY_SID_MAX + 2];

	env_init(&v, NOW, 300, 7, 0);
	set_request(&v, "a.b");
	run(&s7, &v, &r);
	check_refused_request(&r, "message with missing destination", &s7,
	    "destination twin 0");

	env_init(&v, NOW, 300, 7, 0);
	set_request(&v, "a.b");
	v.e.destination = NULL;
	run(&s7, &v, &r);
	check_refused_request(&r, "message with missing destination", &s7,
	    "no destination");

	env_init(&v, NOW, 300, 7, TWIN_CONNECTED_ONLY);
	set_request(&v, "a.b");
	set_tags(&v, "fail-fast");
	run(&s7, &v, &r);
	ok(r.action == RELAY_LOCAL && r.out == wire && r.outlen == wirelen &&
	    is_sess(&r.dest, TWIN_CONNECTED_ONLY, NULL) && lookups == 0,
	    "connected here: LOCAL, input bytes, no lookup");
	relay_route_result_free(&r);

	env_init(&v, NOW, 300, 7, 8);
	set_request(&v, "a.b");
	set_conn(&v.dst, "s1");
	run(&s7, &v, &r);
	ok(r.action == RELAY_LOCAL && is_sess(&r.dest, 8, "s1") && lookups == 0,
	    "connected sid session: LOCAL to 8:s1");
	relay_route_result_free(&r);

	env_init(&v, NOW, 300, 7, 99);
	set_request(&v, "a.b");
	run(&s7, &v, &r);
	check_refused_request(&r, "unknown twin destination", &s7,
	    "unknown twin");

	env_init(&v, NOW, 300, 8, TWIN_LOOKUP_FAILS);
	set_conn(&v.src, "s1");
	set_request(&v, "a.b");
	run(&s8, &v, &r);
	check_refused_request(&r, RELAY_ERR_LOOKUP, &s8, "lookup error");

	env_init(&v, NOW, 300, 7, 14);
	set_request(&v, "a.b");
	run(&s7, &v, &r);
	check_refused_request(&r, "relay info is not set for this twin", &s7,
	    "no relay");

	env_init(&v, NOW, 300, 7, 13);
	set_request(&v, "a.b");
	set_tags(&v, "fail-fast");
	run(&s7, &v, &r);
	ok(r.action == RELAY_FEDERATE && r.out == wire && r.outlen == wirelen,
	    "disjoint domains: FEDERATE the input bytes, fail-fast or not");
	relay_route_result_free(&r);

	env_init(&v, NOW, 300, 7, 12);
	set_request(&v, "a.b");
	run_with(&s7, NULL, 0, &v, &r);
	ok(r.action == RELAY_FEDERATE, "no --domain: FEDERATE");
	relay_route_result_free(&r);

	env_init(&v, NOW, 300, 7, 12);
	set_request(&v, "a.b");
	set_conn(&v.dst, "x");
	run(&s7, &v, &r);
	ok(r.action == RELAY_LOCAL && r.out == wire &&
	    is_sess(&r.dest, 12, "x") && lookups == 1,
	    "ours, offline, no tags: LOCAL (stored for later)");
	relay_route_result_free(&r);

	memset(long_sid, 'a', sizeof(long_sid) - 1);
	long_sid[sizeof(long_sid) - 1] = '\0';
	env_init(&v, NOW, 300, 7, 12);
	set_request(&v, "a.b");
	set_conn(&v.dst, long_sid);
	run(&s7, &v, &r);
	check_refused_request(&r, "destination offline", &s7,
	    "ours, sid longer than any session");
	env_init(&v, NOW, 300, 7, 13);
	set_request(&v, "a.b");
	set_conn(&v.dst, long_sid);
	run(&s7, &v, &r);
	ok(r.action == RELAY_FEDERATE, "foreign, long sid: FEDERATE");
	relay_route_result_free(&r);
}

/* A twin the chain source has not read yet: the caller fetches it. */
static void
test_pending(void)
{
	struct env			v;
	struct relay_route_result	r;
	Ping				ping;

	env_init(&v, NOW, 300, 7, TWIN_NOT_CACHED);
	set_request(&v, "a.b");
	ok(run(&s7, &v, &r) == 0 && r.action == RELAY_PENDING &&
	    r.pending == TWIN_NOT_CACHED && r.out == NULL &&
	    r.owned == NULL && r.error == NULL && r.dest.twin == 0 &&
	    lookups == 1, "not cached: PENDING with the twin, nothing to "
	    "store");
	relay_route_result_free(&r);

	env_init(&v, NOW, 300, 7, TWIN_NOT_CACHED);
	set_response(&v);
	set_tags(&v, "fail-fast");
	ok(run(&s7, &v, &r) == 0 && r.action == RELAY_PENDING &&
	    r.pending == TWIN_NOT_CACHED, "not cached, a fail-fast response: "
	    "PENDING too");
	relay_route_result_free(&r);

	env_init(&v, NOW, 300, 9, TWIN_NOT_CACHED);
	set_request(&v, "a.b");
	ok(run(&s7, &v, &r) == 0 && r.action == RELAY_ERROR &&
	    strcmp(r.error, RELAY_ERR_SOURCE) == 0 && lookups == 0,
	    "a wrong source is refused before any lookup");
	relay_route_result_free(&r);

	/* A ping's pong goes back to its sender, who is connected. */
	ping__init(&ping);
	env_init(&v, NOW, 40, 7, TWIN_NOT_CACHED);
	v.e.message_case = ENVELOPE__MESSAGE_PING;
	v.e.ping = &ping;
	set_plain(&v, "x");
	ok(run(&s7, &v, &r) == 0 && r.action == RELAY_LOCAL && lookups == 0,
	    "a ping to an uncached twin is still answered at once");
	relay_route_result_free(&r);
}

static void
test_fail_fast(void)
{
	static const char *const	 fast[] = { "a, fail-fast", "fail-fast",
					    "x fail-fast\tb" };
	static const char *const	 fastname[] = { "tags \"a, fail-fast\"",
					    "tags \"fail-fast\"",
					    "tags \"x fail-fast<TAB>b\"" };
	static const char *const	 slow[] = { "Fail-Fast", "fail-fasty",
					    "", "fast-fail" };
	struct env			 v;
	struct relay_route_result	 r;
	size_t				 i;

	for (i = 0; i < sizeof(fast) / sizeof(fast[0]); i++) {
		env_init(&v, NOW, 300, 7, 12);
		set_request(&v, "a.b");
		set_tags(&v, fast[i]);
		run(&s7, &v, &r);
		check_refused_request(&r, "destination offline", &s7,
		    fastname[i]);
	}
	for (i = 0; i < sizeof(slow) / sizeof(slow[0]); i++) {
		env_init(&v, NOW, 300, 7, 12);
		set_request(&v, "a.b");
		set_tags(&v, slow[i]);
		run(&s7, &v, &r);
		ok(r.action == RELAY_LOCAL && is_sess(&r.dest, 12, NULL),
		    "tags \"%s\": not fail-fast, LOCAL", slow[i]);
		relay_route_result_free(&r);
	}

	env_init(&v, NOW, 300, 7, 12);
	set_response(&v);
	set_tags(&v, "fail-fast");
	run(&s7, &v, &r);
	ok(r.action == RELAY_ERROR && !r.is_request && r.out == NULL &&
	    strcmp(r.error, "destination offline") == 0,
	    "fail-fast response to an offline twin: text only");
	relay_route_result_free(&r);

	ok(relay_tags_fail_fast("fail-fast"), "token alone");
	ok(relay_tags_fail_fast(" ,fail-fast,, "), "commas and spaces");
	ok(relay_tags_fail_fast("x\xc2\xa0" "fail-fast"),
	    "U+00A0 separates, as in Rust");
	ok(relay_tags_fail_fast("fail-fast\xe3\x80\x80y"), "U+3000 separates");
	ok(relay_tags_fail_fast("a\r\nfail-fast\v"), "CR LF VT separate");
	ok(!relay_tags_fail_fast(NULL), "no tags");
	ok(!relay_tags_fail_fast("xfail-fast"), "prefix joined");
	ok(!relay_tags_fail_fast("fail_fast;fail-fast!"), "other separators");
	ok(!relay_tags_fail_fast("fail-fas"), "short");
}

static void
test_error_envelope(void)
{
	struct relay_sess_id	 dst = { 7, 0, "" };
	uint8_t			*out = NULL;
	size_t			 n = 0;
	Envelope		*d;

	ok(relay_error_envelope(&out, &n, "u1", &dst, "x", NOW) == 0,
	    "error envelope built");
	is_hex(out, n, "0a027531" "1880e2cfaa06" "20ac02" "32020807"
	    "6203120178", "error envelope bytes (uid, ts, exp, dst, error)");
	d = envelope_unpack(out, n);
	ok(d != NULL && d->source == NULL &&
	    d->opt_signature_case == ENVELOPE__OPT_SIGNATURE__NOT_SET &&
	    d->opt_tags_case == ENVELOPE__OPT_TAGS__NOT_SET &&
	    d->payload_case == ENVELOPE__PAYLOAD__NOT_SET &&
	    d->message_case == ENVELOPE__MESSAGE_ERROR && d->error->code == 0 &&
	    strcmp(d->error->message, "x") == 0 && d->timestamp == NOW &&
	    d->expiration == RELAY_ERROR_TTL && strcmp(d->uid, "u1") == 0 &&
	    addr_has(d->destination, 7, NULL),
	    "error envelope decodes to the §1.9 layout");
	if (d != NULL)
		envelope__free_unpacked(d, NULL);
	free(out);

	dst.twin = 8;
	dst.has_sid = 1;
	strcpy(dst.sid, "s1");
	ok(relay_error_envelope(&out, &n, "u1", &dst, "x", NOW) == 0,
	    "error envelope to a sid session");
	d = envelope_unpack(out, n);
	ok(d != NULL && addr_has(d->destination, 8, "s1"),
	    "destination keeps the connection");
	if (d != NULL)
		envelope__free_unpacked(d, NULL);
	free(out);

	dst.twin = 9;
	dst.sid[0] = '\0';
	relay_error_envelope(&out, &n, "u1", &dst, "x", NOW);
	d = envelope_unpack(out, n);
	ok(d != NULL && addr_has(d->destination, 9, ""),
	    "an empty connection stays Some(\"\")");
	if (d != NULL)
		envelope__free_unpacked(d, NULL);
	free(out);
}

static void
test_is_ours(void)
{
	static const char *const	b[] = { "b" }, *c[] = { "c" },
					*ab[] = { "a_b" }, *xa[] = { "x", "a" };
	struct twin_record		t;

	memset(&t, 0, sizeof(t));
	t.has_relay = 1;
	strcpy(t.relay, "a_b");
	ok(relay_twin_is_ours(&t, b, 1), "\"a_b\" vs {b}: ours");
	ok(!relay_twin_is_ours(&t, c, 1), "\"a_b\" vs {c}: not ours");
	ok(!relay_twin_is_ours(&t, ab, 1), "\"a_b\" vs {a_b}: not ours");
	ok(relay_twin_is_ours(&t, xa, 2), "\"a_b\" vs {x, a}: ours");
	ok(!relay_twin_is_ours(&t, NULL, 0), "no domains: not ours");
	strcpy(t.relay, "A");
	ok(!relay_twin_is_ours(&t, xa, 2), "case-sensitive");
	t.has_relay = 0;
	strcpy(t.relay, "a");
	ok(!relay_twin_is_ours(&t, xa, 2), "no relay field: not ours");
}

static void
test_ingest(void)
{
	static const uint8_t		 garbage[] = { 0x0a, 0x05, 'a' };
	struct env			 v;
	struct relay_route_result	 r;
	uint8_t				 body[8192];
	char				 long_sid[RELAY_SID_MAX + 2];
	char				 text[REPORT_MAX + 1];
	size_t				 n;
	int				 st;

	st = ingest(garbage, sizeof(garbage), &r);
	ok(st == 400 && r.action == RELAY_DROP &&
	    strncmp(r.error, "bad request: ", 13) == 0,
	    "ingest garbage: 400 \"%s\"", r.error);
	relay_route_result_free(&r);

	env_init(&v, NOW, 300, TWIN_SIGNER, 12);
	set_request(&v, "a.b");
	set_tags(&v, "b,fail-fast");
	n = pack_signed(&v, &signer, body);
	st = ingest(body, n, &r);
	ok(st == 404 && r.action == RELAY_ERROR &&
	    strcmp(r.error, "destination offline") == 0 && r.out == NULL,
	    "ingest fail-fast, not connected: 404 destination offline");
	relay_route_result_free(&r);

	v.dst.twin = 8;
	set_conn(&v.dst, "s1");
	n = pack_signed(&v, &signer, body);
	st = ingest(body, n, &r);
	ok(st == 202 && r.action == RELAY_LOCAL && is_sess(&r.dest, 8, "s1") &&
	    r.out == body && r.outlen == n,
	    "ingest fail-fast, connected: 202 LOCAL 8:s1");
	relay_route_result_free(&r);

	env_init(&v, NOW, 300, TWIN_SIGNER, 12);
	set_request(&v, "a.b");
	set_conn(&v.dst, "zz");
	n = pack_signed(&v, &signer, body);
	st = ingest(body, n, &r);
	ok(st == 202 && r.action == RELAY_LOCAL &&
	    is_sess(&r.dest, 12, "zz") && r.out == body,
	    "ingest, offline twin of ours, no fail-fast: 202 LOCAL 12:zz");
	relay_route_result_free(&r);
	st = ingest_with(NULL, 0, body, n, &r);
	ok(st == 404 && r.action == RELAY_ERROR &&
	    strcmp(r.error, RELAY_ERR_NOT_HERE) == 0,
	    "ingest with no --domain: 404 \"%s\"", r.error);
	relay_route_result_free(&r);

	v.dst.twin = 99;
	n = pack_signed(&v, &signer, body);
	st = ingest(body, n, &r);
	ok(st == 404 && r.action == RELAY_ERROR &&
	    strcmp(r.error, RELAY_ERR_UNKNOWN) == 0 && r.dest.twin == 0,
	    "ingest for a twin that does not exist: 404 \"%s\" (the "
	    "reference stores it)", r.error);
	relay_route_result_free(&r);
	v.dst.twin = 13;
	n = pack_signed(&v, &signer, body);
	st = ingest(body, n, &r);
	ok(st == 404 && strcmp(r.error, RELAY_ERR_NOT_HERE) == 0,
	    "ingest for a twin of another relay: 404 \"%s\"", r.error);
	relay_route_result_free(&r);
	v.dst.twin = 14;
	n = pack_signed(&v, &signer, body);
	st = ingest(body, n, &r);
	ok(st == 404 && strcmp(r.error, RELAY_ERR_NOT_HERE) == 0,
	    "ingest for a twin without relays: 404");
	relay_route_result_free(&r);
	v.dst.twin = TWIN_LOOKUP_FAILS;
	n = pack_signed(&v, &signer, body);
	st = ingest(body, n, &r);
	ok(st == 503 && r.action == RELAY_ERROR &&
	    strcmp(r.error, RELAY_ERR_LOOKUP) == 0,
	    "ingest when the destination twin cannot be read: 503");
	relay_route_result_free(&r);
	v.dst.twin = TWIN_NOT_CACHED;
	n = pack_signed(&v, &signer, body);
	st = ingest(body, n, &r);
	ok(st == 0 && r.action == RELAY_PENDING &&
	    r.pending == TWIN_NOT_CACHED && r.out == NULL,
	    "ingest, destination twin not at hand: PENDING for it");
	relay_route_result_free(&r);

	env_init(&v, NOW, 300, TWIN_NOT_CACHED, 12);
	set_request(&v, "a.b");
	n = pack_signed(&v, &signer, body);
	st = ingest(body, n, &r);
	ok(st == 0 && r.action == RELAY_PENDING &&
	    r.pending == TWIN_NOT_CACHED,
	    "ingest, source twin not at hand: PENDING for it");
	relay_route_result_free(&r);
	v.src.twin = TWIN_LOOKUP_FAILS;
	n = pack_signed(&v, &signer, body);
	st = ingest(body, n, &r);
	ok(st == 503, "ingest when the source twin cannot be read: 503");
	relay_route_result_free(&r);
	v.src.twin = 56;
	n = pack_signed(&v, &signer, body);
	st = ingest(body, n, &r);
	ok(st == 401 && strcmp(r.error, RELAY_ERR_NO_SOURCE) == 0,
	    "ingest from a twin that does not exist: 401 \"%s\"", r.error);
	relay_route_result_free(&r);
	v.src.twin = TWIN_SIGNER;
	n = pack_signed(&v, &other, body);
	st = ingest(body, n, &r);
	ok(st == 401 && r.action == RELAY_ERROR &&
	    strncmp(r.error, "bad signature: ", 15) == 0,
	    "ingest signed with another key: 401 \"%s\"", r.error);
	relay_route_result_free(&r);
	v.e.opt_signature_case = ENVELOPE__OPT_SIGNATURE__NOT_SET;
	n = envelope__pack(&v.e, body);
	st = ingest(body, n, &r);
	ok(st == 401 && strncmp(r.error, "bad signature: ", 15) == 0,
	    "ingest unsigned: 401 \"%s\"", r.error);
	relay_route_result_free(&r);

	/* Another relay's report: no source, no signature, an error. */
	env_init(&v, NOW, 300, 0, 12);
	v.e.source = NULL;
	v.err.message = (char *)"destination offline";
	v.e.message_case = ENVELOPE__MESSAGE_ERROR;
	v.e.error = &v.err;
	n = envelope__pack(&v.e, body);
	st = ingest(body, n, &r);
	ok(st == 202 && r.action == RELAY_LOCAL && r.out == body,
	    "ingest of a relay's unsigned error report: 202");
	relay_route_result_free(&r);
	memset(text, 'x', REPORT_MAX);
	text[REPORT_MAX] = '\0';
	v.err.message = text;
	n = envelope__pack(&v.e, body);
	st = ingest(body, n, &r);
	ok(st == 413 && strcmp(r.error, RELAY_ERR_REPORT_SIZE) == 0,
	    "ingest of an unsigned report over %d bytes: 413", REPORT_MAX);
	relay_route_result_free(&r);
	set_request(&v, "a.b");
	n = envelope__pack(&v.e, body);
	st = ingest(body, n, &r);
	ok(st == 401 && strcmp(r.error, RELAY_ERR_ANONYMOUS) == 0,
	    "ingest of an unsigned request without a source: 401");
	relay_route_result_free(&r);

	memset(long_sid, 'a', sizeof(long_sid) - 1);
	long_sid[sizeof(long_sid) - 1] = '\0';
	env_init(&v, NOW, 300, TWIN_SIGNER, 8);
	set_conn(&v.dst, long_sid);
	n = pack_signed(&v, &signer, body);
	st = ingest(body, n, &r);
	ok(st == 404 && r.action == RELAY_ERROR,
	    "ingest to a sid longer than any session: 404");
	relay_route_result_free(&r);

	st = ingest(body, 0, &r);
	ok(st == 400 && r.action == RELAY_DROP &&
	    strcmp(r.error, RELAY_ERR_BAD_DEST) == 0,
	    "ingest of an empty envelope: 400, not stored for twin 0 (the "
	    "reference stores it)");
	relay_route_result_free(&r);
}

static void
test_garbage(void)
{
	static const uint8_t		 bad[] = { 0xff, 0xff, 0xff };
	static const uint8_t		 badutf8[] = { 0x0a, 0x02, 0xc3, 0x28 };
	/* Pings from 7 with a field 0, at the top or in the source. */
	static const uint8_t		 field0[] = { 0x2a, 0x02, 0x08, 0x07,
					    0x7a, 0x00, 0x80, 0x00, 0x01 };
	static const uint8_t		 srcfield0[] = { 0x2a, 0x05, 0x08,
					    0x07, 0x80, 0x00, 0x01, 0x7a,
					    0x00 };
	static const uint8_t		 bigtag[] = { 0x2a, 0x02, 0x08, 0x07,
					    0x7a, 0x00, 0x80, 0x80, 0x80,
					    0x80, 0x10, 0x01 };
	struct relay_route_ctx		 ctx;
	struct relay_route_result	 r;

	memset(&ctx, 0, sizeof(ctx));
	ctx.session = &s7;
	ctx.connected = fake_connected;
	ctx.lookup = fake_lookup;
	ok(relay_route(&ctx, bad, sizeof(bad), &r) == 0 &&
	    r.action == RELAY_DROP && r.out == NULL, "garbage: DROP");
	ok(relay_route(&ctx, badutf8, sizeof(badutf8), &r) == 0 &&
	    r.action == RELAY_DROP, "invalid UTF-8 uid: DROP");
	ok(relay_route(&ctx, field0, sizeof(field0), &r) == 0 &&
	    r.action == RELAY_DROP, "field number 0 (tag 80 00): DROP");
	ok(relay_route(&ctx, srcfield0, sizeof(srcfield0), &r) == 0 &&
	    r.action == RELAY_DROP, "field number 0 in the source: DROP");
	ok(relay_route(&ctx, bigtag, sizeof(bigtag), &r) == 0 &&
	    r.action == RELAY_DROP, "tag over 32 bits: DROP");
	ok(relay_route(&ctx, bad, 0, &r) == 0 && r.action == RELAY_ERROR &&
	    !r.is_request && strcmp(r.error, "message wrong source") == 0,
	    "empty frame: an empty envelope, wrong source");
	relay_route_result_free(&r);
}

int
main(void)
{
	uint8_t	seed[32];

	memset(seed, 0x55, sizeof(seed));
	if (identity_from_seed(&signer, KEY_SR25519, seed) == -1)
		return 1;
	memset(seed, 0x56, sizeof(seed));
	if (identity_from_seed(&other, KEY_ED25519, seed) == -1)
		return 1;
	test_source();
	test_ping();
	test_destination();
	test_pending();
	test_fail_fast();
	test_error_envelope();
	test_is_ours();
	test_ingest();
	test_garbage();
	return done_testing();
}
