/* SPDX-License-Identifier: ISC */
/*
 * rmb-relay end to end: real redis-server, real relays on loopback, test
 * sessions over WebSockets (doc/relay.md §1–§4).
 */
#include <sys/socket.h>
#include <sys/wait.h>

#include <netinet/in.h>

#include <arpa/inet.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "base64.h"
#include "harness.h"
#include "relay_fixture.h"
#include "tap.h"

#define WAIT	RF_WAIT
/* A POST that times out, the passes after it and the pending scan. */
#define FED_WAIT	(4 * RF_WAIT)
#define QUIET	300	/* ms in which nothing should arrive */
#define BP_MESSAGES 600	/* of 64 KiB: more than sockets and the queue hold */
#define REPORT_MAX	4096	/* relay_server.h's RELAY_REPORT_MAX */

static char		 dir[256];
static const char	*relay_bin;
static struct redis_srv	 redis_a, redis_b;

enum { T1, T2, T3, T4, T6, T7, NTWINS };
static struct rc_twin	 tw[NTWINS];

static int
start_relay(struct relay_proc *p, const char *name, int redis_port,
    int port, const char *extra[])
{
	char		 twins[300];
	const char	*opts[] = { "-d", "--twins", twins, "-w", "4", "-u",
			    "100", NULL };

	snprintf(twins, sizeof(twins), "%s/twins.json", dir);
	return rf_start(p, relay_bin, dir, name, redis_port, port, opts,
	    extra);
}

static int
sess(struct wsc *w, const struct relay_proc *p, int t, const char *sid)
{
	return rf_session(w, p, &tw[t], sid);
}

static int
send_req(struct wsc *w, int from, const char *from_sid, uint32_t to,
    const char *to_sid, const char *uid, const char *tags,
    const char *payload)
{
	return rf_send_req(w, &tw[from], from_sid, to, to_sid, uid, tags,
	    payload);
}

static int
nothing(struct wsc *w)
{
	Envelope	*e;

	if (rc_recv(w, &e, QUIET) != 1)
		return 1;
	diag("unexpected envelope %s", e->uid);
	envelope__free_unpacked(e, NULL);
	return 0;
}

/* An integer reply of "CMD KEY". */
static long long
redis_int(int port, const char *cmd, const char *key)
{
	struct rreply	*r;
	long long	 v = -999;

	if ((r = redis_cmdf(port, "%s %s", cmd, key)) != NULL &&
	    r->type == ':')
		v = r->integer;
	rreply_free(r);
	return v;
}

/* 1 when cmd key answers the string want. */
static int
redis_cmd_str(int port, const char *cmd, const char *key, const char *want)
{
	struct rreply	*r;
	int		 yes;

	if ((r = redis_cmdf(port, "%s %s", cmd, key)) == NULL)
		return 0;
	yes = r->type == '$' && strcmp(r->str, want) == 0;
	rreply_free(r);
	return yes;
}

/* The relay's /metrics counter reaches want within ms; its last value. */
static long long
metric_reaches(const struct relay_proc *p, const char *name, long long want,
    int ms)
{
	long long	v = -1;
	int		i;

	for (i = 0; i < ms / 50; i++) {
		if ((v = rf_metric(p, name)) >= want)
			break;
		usleep(50000);
	}
	return v;
}

static void
upgrade_refused(const struct relay_proc *p, const char *target, int want,
    const char *body_prefix, const char *what)
{
	struct wsc	w;
	int		status = 0, rv;
	char		body[256] = "";

	rv = wsc_connect(&w, "127.0.0.1", p->port, target, &status, body,
	    sizeof(body), WAIT);
	ok(rv == -1 && status == want &&
	    strncmp(body, body_prefix, strlen(body_prefix)) == 0,
	    "auth: %s: %d \"%s\"", what, status, body);
	wsc_drop(&w);
}

/* A token by hand: header and claims JSON, signed by whoever. */
static void
hand_token(char *out, size_t cap, const char *header, const char *claims,
    const struct rc_twin *signer)
{
	char	h[256], c[256], s[128], msg[600];
	uint8_t	sig[SIG65_BYTES];

	b64url_encode(h, sizeof(h), (const uint8_t *)header,
	    strlen(header));
	b64url_encode(c, sizeof(c), (const uint8_t *)claims,
	    strlen(claims));
	snprintf(msg, sizeof(msg), "%s.%s", h, c);
	identity_sign(&signer->ident, sig, (uint8_t *)msg, strlen(msg));
	b64url_encode(s, sizeof(s), sig, sizeof(sig));
	snprintf(out, cap, "/?%s.%s", msg, s);
}

static void
test_auth(const struct relay_proc *a)
{
	struct wsc	 w;
	struct rc_twin	 forged;
	char		 t[1200], claims[200];
	uint64_t	 now = (uint64_t)time(NULL);
	int		 status;
	char		 body[256];

	ok(rc_connect(&w, a->port, &tw[T1], NULL, &status, body,
	    sizeof(body)) == 0, "auth: sr25519 twin, no sid: 101");
	wsc_close(&w);
	ok(rc_connect(&w, a->port, &tw[T2], "s1", &status, body,
	    sizeof(body)) == 0, "auth: ed25519 twin, sid: 101");
	wsc_close(&w);
	upgrade_refused(a, "/", 400, "missing jwt", "no token");
	upgrade_refused(a, "/ws", 400, "missing jwt", "no token, other path");
	t[0] = '/';
	t[1] = '?';
	rc_jwt(t + 2, sizeof(t) - 2, &tw[T1], NULL, -10);
	upgrade_refused(a, t, 401, "invalid jwt: jwt has expired", "expired");
	forged = tw[T2];
	forged.id = tw[T1].id;
	rc_jwt(t + 2, sizeof(t) - 2, &forged, NULL, 300);
	upgrade_refused(a, t, 401, "invalid jwt: jwt: ", "signed by another "
	    "key");
	forged.id = 99;
	rc_jwt(t + 2, sizeof(t) - 2, &forged, NULL, 300);
	upgrade_refused(a, t, 401, "twin not found 99", "unknown twin");
	snprintf(claims, sizeof(claims), "{\"sub\":%u,\"iat\":%llu,"
	    "\"exp\":%llu}", tw[T1].id, (unsigned long long)now,
	    (unsigned long long)now + 300);
	hand_token(t, sizeof(t), "{\"alg\":\"HS256\"}", claims, &tw[T1]);
	upgrade_refused(a, t, 401, "invalid jwt: jwt: algorithm mismatch",
	    "wrong alg");
	hand_token(t, sizeof(t), "{\"alg\":\"RS512\",\"typ\":\"JWT\"}", claims,
	    &tw[T1]);
	ok(wsc_connect(&w, "127.0.0.1", a->port, t, &status, body,
	    sizeof(body), WAIT) == 0, "auth: the TypeScript client's header "
	    "with typ: 101");
	wsc_close(&w);
	upgrade_refused(a, "/?garbage", 401, "invalid jwt: jwt: ", "garbage");
	upgrade_refused(a, "/?a.b.c", 401, "invalid jwt: jwt: ",
	    "three garbage parts");
}

static void
test_routing(const struct relay_proc *a)
{
	struct wsc	 w1, w2, w2b, w6;
	struct rc_msg	 m;
	Envelope	*e;
	char		 uid[16];
	int		 i, ok_all;

	ok(sess(&w1, a, T1, NULL) == 0 && sess(&w2, a, T2, NULL) == 0,
	    "route: two sessions open");
	send_req(&w1, T1, NULL, tw[T2].id, NULL, "r1", NULL, "hello");
	ok(rf_got(&w2, "r1", "hello"), "route: request delivered to the "
	    "connected session");
	send_req(&w2, T2, NULL, tw[T1].id, NULL, "r2", NULL, "back");
	ok(rf_got(&w1, "r2", "back"), "route: and back the other way");

	/* Offline and ours: queued in order, delivered on connect. */
	for (i = 0; i < 5; i++) {
		snprintf(uid, sizeof(uid), "q%d", i);
		send_req(&w1, T1, NULL, tw[T6].id, NULL, uid, NULL, uid);
	}
	usleep(300000);
	ok(redis_int(redis_a.port, "XLEN", "stream:6") == 5,
	    "queue: 5 envelopes in stream:6 for the offline twin");
	i = (int)redis_int(redis_a.port, "TTL", "stream:6");
	ok(i > 3600 && i <= 3660, "queue: the stream expires in 3600 s "
	    "and a minute (%d)", i);
	ok(sess(&w6, a, T6, NULL) == 0, "queue: twin 6 connects");
	for (i = 0, ok_all = 1; i < 5; i++) {
		snprintf(uid, sizeof(uid), "q%d", i);
		ok_all &= rf_got(&w6, uid, uid);
	}
	ok(ok_all, "queue: the backlog arrives in order");
	usleep(300000);
	ok(redis_int(redis_a.port, "XLEN", "stream:6") == 0,
	    "queue: delivered entries are deleted from the stream");

	/* A sid session gets what is addressed to that sid only. */
	send_req(&w1, T1, NULL, tw[T6].id, "tab", "sid1", NULL, "to the sid");
	ok(nothing(&w6), "route: a message for 6:tab is not given to 6");
	wsc_close(&w6);

	/* Replacement: the new connection survives the old one's teardown. */
	ok(sess(&w2b, a, T2, NULL) == 0, "replace: a second session for 2");
	i = rc_recv(&w2, &e, WAIT);
	ok(i == -1 && w2.closed && w2.close_code == 1000,
	    "replace: the old one is closed (code %u)", w2.close_code);
	wsc_drop(&w2);
	usleep(200000);
	send_req(&w1, T1, NULL, tw[T2].id, NULL, "r3", NULL, "after");
	ok(rf_got(&w2b, "r3", "after"), "replace: the new session still gets "
	    "messages after the old one's teardown");

	/* Ping: the relay answers itself. */
	memset(&m, 0, sizeof(m));
	m.src = &tw[T1];
	m.kind = RC_PING;
	m.uid = "p1";
	m.payload = "";
	m.expiration = 40;
	rc_send(&w1, &m);
	ok(rc_recv(&w1, &e, WAIT) == 1 &&
	    e->message_case == ENVELOPE__MESSAGE_PONG &&
	    strcmp(e->uid, "p1") == 0 && e->destination != NULL &&
	    e->destination->twin == tw[T1].id &&
	    e->payload_case == ENVELOPE__PAYLOAD_PLAIN &&
	    e->plain.len == 11 && memcmp(e->plain.data, "hello world", 11) == 0,
	    "ping: a pong with \"hello world\" comes back");
	if (e != NULL)
		envelope__free_unpacked(e, NULL);

	/* Refusals: error envelopes for requests only. */
	send_req(&w1, T1, NULL, tw[T6].id, NULL, "ff", "a, fail-fast",
	    "x");
	ok(rf_got_error(&w1, "ff", "destination offline", 1),
	    "fail-fast: an offline twin of ours gives \"destination "
	    "offline\"");
	send_req(&w1, T2, NULL, tw[T6].id, NULL, "spoof", NULL, "x");
	ok(rf_got_error(&w1, "spoof", "message wrong source", 1),
	    "spoofed source refused: \"message wrong source\"");
	send_req(&w1, T1, "sid", tw[T2].id, NULL, "spoof2", NULL, "x");
	ok(rf_got_error(&w1, "spoof2", "message wrong source", 1),
	    "a sid the session does not have: \"message wrong source\"");
	send_req(&w1, T1, NULL, 99, NULL, "unk", NULL, "x");
	ok(rf_got_error(&w1, "unk", "unknown twin destination", 1),
	    "unknown destination twin refused");
	send_req(&w1, T1, NULL, tw[T4].id, NULL, "norelay", NULL, "x");
	ok(rf_got_error(&w1, "norelay", "relay info is not set for this twin",
	    1),
	    "destination without relay refused");
	send_req(&w1, T1, NULL, 0, NULL, "nodst", NULL, "x");
	ok(rf_got_error(&w1, "nodst", "message with missing destination", 1),
	    "destination twin 0 refused");
	memset(&m, 0, sizeof(m));
	m.src = &tw[T2];
	m.dst = tw[T6].id;
	m.kind = RC_RESPONSE;
	m.uid = "resp";
	m.payload = "x";
	m.len = 1;
	rc_send(&w1, &m);
	ok(nothing(&w1), "a refused response gets no error envelope");
	wsc_close(&w1);
	wsc_close(&w2b);
}

static void
test_bad_frames(const struct relay_proc *a)
{
	struct wsc	 w, w2;
	struct rc_msg	 m;
	Envelope	*e;
	uint8_t		*buf;
	size_t		 n;
	int		 rv;
	static const uint8_t unmasked[] = { 0x82, 0x02, 0x01, 0x02 };

	sess(&w, a, T1, NULL);
	wsc_send(&w, WSC_TEXT, "hello", 5);
	rv = rc_recv(&w, &e, WAIT);
	ok(rv == -1 && w.closed && w.close_code == 1003,
	    "a text frame closes the session with 1003 (%u)", w.close_code);
	wsc_drop(&w);
	sess(&w, a, T1, NULL);
	wsc_send(&w, WSC_BINARY, "\xff\xff\xff", 3);
	rv = rc_recv(&w, &e, WAIT);
	ok(rv == -1 && w.closed && w.close_code == 1007,
	    "a binary frame that is not an envelope closes with 1007 (%u)",
	    w.close_code);
	wsc_drop(&w);
	sess(&w, a, T1, NULL);
	wsc_send_raw(&w, unmasked, sizeof(unmasked));
	rv = rc_recv(&w, &e, WAIT);
	ok(rv == -1 && w.closed && w.close_code == 1002,
	    "an unmasked client frame closes with 1002 (%u)", w.close_code);
	wsc_drop(&w);
	sess(&w, a, T1, NULL);
	sess(&w2, a, T2, NULL);
	memset(&m, 0, sizeof(m));
	m.src = &tw[T1];
	m.dst = tw[T2].id;
	m.kind = RC_REQUEST;
	m.uid = "unmasked";
	m.payload = "x";
	m.len = 1;
	if ((n = rc_envelope(&buf, &m)) == 0)
		abort();
	wsc_send_unmasked(&w, WSC_BINARY, buf, n);
	free(buf);
	rv = rc_recv(&w, &e, WAIT);
	ok(rv == -1 && w.closed && w.close_code == 1002 && nothing(&w2),
	    "an unmasked envelope is refused with 1002 (%u), not delivered",
	    w.close_code);
	wsc_drop(&w);
	wsc_close(&w2);
	ok(rf_alive(a) && sess(&w, a, T1, NULL) == 0,
	    "the relay is still up and takes sessions after bad frames");
	wsc_close(&w);
}

/* A signed request from one twin (or a forger) to another, to POST. */
static size_t
post_env(uint8_t **out, const struct rc_twin *from, uint32_t to,
    const char *to_sid, const char *uid, const char *tags, size_t len)
{
	struct rc_msg	 m;
	char		*payload;
	size_t		 n;

	if ((payload = calloc(1, len + 1)) == NULL)
		abort();
	memset(payload, 'p', len);
	memset(&m, 0, sizeof(m));
	m.src = from;
	m.dst = to;
	m.dst_sid = to_sid;
	m.kind = RC_REQUEST;
	m.uid = uid;
	m.tags = tags;
	m.payload = payload;
	m.len = len;
	if ((n = rc_envelope(out, &m)) == 0)
		abort();
	free(payload);
	return n;
}

/* An unsigned error report without a source, as a relay makes one. */
static size_t
report_env(uint8_t **out, uint32_t to, const char *uid, size_t textlen)
{
	Envelope	 e;
	Address		 dst;
	Error		 err;
	char		*text;
	size_t		 n;

	if ((text = calloc(1, textlen + 1)) == NULL)
		abort();
	memset(text, 'e', textlen);
	envelope__init(&e);
	address__init(&dst);
	error__init(&err);
	err.message = text;
	dst.twin = to;
	e.uid = (char *)uid;
	e.timestamp = (uint64_t)time(NULL);
	e.expiration = 300;
	e.destination = &dst;
	e.message_case = ENVELOPE__MESSAGE_ERROR;
	e.error = &err;
	n = envelope__get_packed_size(&e);
	if ((*out = malloc(n)) == NULL)
		abort();
	envelope__pack(&e, *out);
	free(text);
	return n;
}

/* POSTs body; the status, with the answer's body in text. */
static int
post(const struct relay_proc *p, uint8_t *body, size_t n, char *text,
    size_t cap)
{
	char	*resp;
	size_t	 rl;
	int	 status;

	text[0] = '\0';
	if (http_request("127.0.0.1", p->port, "POST", "/", body, n, &status,
	    &resp, &rl, WAIT) == -1)
		status = -1;
	else {
		snprintf(text, cap, "%s", resp);
		free(resp);
	}
	free(body);
	return status;
}

/* GET (or method) path: the status, with the answer's body in text. */
static int
get(const struct relay_proc *p, const char *method, const char *path,
    char *text, size_t cap)
{
	char	*resp;
	size_t	 rl;
	int	 status;

	text[0] = '\0';
	if (http_request("127.0.0.1", p->port, method, path, NULL, 0, &status,
	    &resp, &rl, WAIT) == -1)
		return -1;
	snprintf(text, cap, "%s", resp);
	free(resp);
	return status;
}

/* GET /health until it answers want, for at most 5 s; the last status. */
static int
health_becomes(const struct relay_proc *p, int want, char *text,
    size_t cap)
{
	int	i, st = -1;

	for (i = 0; i < 50; i++) {
		if ((st = get(p, "GET", "/health", text, cap)) == want)
			break;
		usleep(100000);
	}
	return st;
}

static void
test_http(const struct relay_proc *a)
{
	struct rc_twin	 forged;
	uint8_t		*buf;
	size_t		 n, rl;
	int		 status, i, late = 0;
	char		*resp, text[256], uid[16];
	long long	 before;

	before = redis_int(redis_a.port, "XLEN", "stream:7");
	n = post_env(&buf, &tw[T3], tw[T7].id, NULL, "post1", NULL, 1);
	ok(post(a, buf, n, text, sizeof(text)) == 202 && text[0] == '\0',
	    "POST /: a signed envelope for a twin of ours is taken with 202 "
	    "and an empty body");
	ok(redis_int(redis_a.port, "XLEN", "stream:7") == before + 1,
	    "POST /: it is in stream:7 when the 202 comes");
	for (i = 0; i < 30; i++) {
		snprintf(uid, sizeof(uid), "post-%d", i);
		n = post_env(&buf, &tw[T3], tw[T7].id, NULL, uid, NULL, 1);
		late += post(a, buf, n, text, sizeof(text)) != 202 ||
		    redis_int(redis_a.port, "XLEN", "stream:7") !=
		    before + 2 + i;
	}
	ok(late == 0, "POST /: 30 more, each in redis when its 202 comes "
	    "(%d not)", late);

	n = post_env(&buf, &tw[T3], 99, NULL, "nobody", NULL, 1);
	ok(post(a, buf, n, text, sizeof(text)) == 404 &&
	    strcmp(text, "unknown twin destination") == 0 &&
	    redis_int(redis_a.port, "EXISTS", "stream:99") == 0,
	    "POST /: for a twin that does not exist: 404 \"%s\", nothing "
	    "stored", text);
	n = post_env(&buf, &tw[T1], tw[T3].id, NULL, "elsewhere", NULL, 1);
	ok(post(a, buf, n, text, sizeof(text)) == 404 &&
	    strcmp(text, "destination twin is not on this relay") == 0 &&
	    redis_int(redis_a.port, "EXISTS", "stream:3") == 0,
	    "POST /: for a twin of another relay: 404 \"%s\", nothing "
	    "stored", text);
	forged = tw[T2];
	forged.id = tw[T3].id;
	n = post_env(&buf, &forged, tw[T7].id, NULL, "forged", NULL, 1);
	ok(post(a, buf, n, text, sizeof(text)) == 401 &&
	    strncmp(text, "bad signature", 13) == 0 &&
	    redis_int(redis_a.port, "XLEN", "stream:7") == before + 31,
	    "POST /: signed by another key than the source twin's: 401 "
	    "\"%s\", nothing stored", text);
	forged.id = 98;
	n = post_env(&buf, &forged, tw[T7].id, NULL, "nosrc", NULL, 1);
	ok(post(a, buf, n, text, sizeof(text)) == 401 &&
	    strcmp(text, "unknown twin source") == 0,
	    "POST /: from a twin that does not exist: 401 \"%s\"", text);
	n = report_env(&buf, tw[T7].id, "report", 100);
	ok(post(a, buf, n, text, sizeof(text)) == 202 &&
	    redis_int(redis_a.port, "XLEN", "stream:7") == before + 32,
	    "POST /: another relay's small unsigned error report: 202");
	n = report_env(&buf, tw[T7].id, "bigreport", REPORT_MAX);
	ok(post(a, buf, n, text, sizeof(text)) == 413 &&
	    redis_int(redis_a.port, "XLEN", "stream:7") == before + 32,
	    "POST /: an unsigned report over %d bytes: 413 \"%s\"",
	    REPORT_MAX, text);
	n = post_env(&buf, &tw[T3], tw[T7].id, NULL, "anon", NULL, 1);
	{
		Envelope	*e = envelope_unpack(buf, n);

		free(buf);
		if (e == NULL)
			abort();
		e->source->twin = 0;
		e->opt_signature_case = ENVELOPE__OPT_SIGNATURE__NOT_SET;
		n = envelope__get_packed_size(e);
		if ((buf = malloc(n)) == NULL)
			abort();
		envelope__pack(e, buf);
		/* protobuf-c frees the signature only while it is set. */
		e->opt_signature_case = ENVELOPE__OPT_SIGNATURE_SIGNATURE;
		envelope__free_unpacked(e, NULL);
	}
	ok(post(a, buf, n, text, sizeof(text)) == 401 &&
	    redis_int(redis_a.port, "XLEN", "stream:7") == before + 32,
	    "POST /: an unsigned request without a source: 401 \"%s\"",
	    text);

	n = post_env(&buf, &tw[T3], tw[T7].id, NULL, "post2", "fail-fast", 1);
	ok(post(a, buf, n, text, sizeof(text)) == 404 &&
	    strcmp(text, "destination offline") == 0,
	    "POST /: fail-fast to a session not here: 404 \"destination "
	    "offline\"");
	ok(http_request("127.0.0.1", a->port, "POST", "/", "\xff\xff", 2,
	    &status, &resp, &rl, WAIT) == 0 && status == 400 &&
	    strncmp(resp, "bad request", 11) == 0,
	    "POST /: garbage: 400 bad request");
	free(resp);
	ok(http_request("127.0.0.1", a->port, "GET", "/nothing", NULL, 0,
	    &status, &resp, &rl, WAIT) == 0 && status == 404 &&
	    strcmp(resp, "page not found") == 0,
	    "GET /nothing: 404 \"page not found\"");
	free(resp);
	ok(http_request("127.0.0.1", a->port, "GET", "/metrics", NULL, 0,
	    &status, &resp, &rl, WAIT) == 0 && status == 200 &&
	    strstr(resp, "# TYPE relay_message_rx counter") != NULL &&
	    strstr(resp, "process_resident_memory_bytes") != NULL,
	    "GET /metrics: the reference's metric names");
	ok(strstr(resp, "# HELP relay_build_info ") != NULL &&
	    strstr(resp, "# TYPE relay_build_info gauge\n"
	    "relay_build_info{version=\"" PACKAGE_VERSION "\"} 1\n") != NULL,
	    "GET /metrics: relay_build_info{version=\"%s\"} 1",
	    PACKAGE_VERSION);
	free(resp);
	ok(get(a, "GET", "/health", text, sizeof(text)) == 200 &&
	    strcmp(text, "ok") == 0, "GET /health: 200 \"%s\"", text);
	ok(get(a, "POST", "/health", text, sizeof(text)) == 404 &&
	    strcmp(text, "page not found") == 0,
	    "POST /health: 404 \"%s\", as a wrong method anywhere", text);
	ok(get(a, "PUT", "/health", text, sizeof(text)) == 404 &&
	    strcmp(text, "page not found") == 0,
	    "PUT /health: 404 \"%s\"", text);
}

/* The worker series of GET /metrics: how many, and how many are 0. */
static int
worker_series(const struct relay_proc *p, int *zero)
{
	char		*resp, *s;
	size_t		 rl;
	int		 status, n = 0;

	*zero = 0;
	if (http_request("127.0.0.1", p->port, "GET", "/metrics", NULL, 0,
	    &status, &resp, &rl, WAIT) == -1)
		return -1;
	for (s = resp; (s = strstr(s, "\nrelay_worker_connections{")) != NULL;
	    s++) {
		n++;
		if (strncmp(strchr(s, '}'), "} 0\n", 4) == 0)
			(*zero)++;
	}
	free(resp);
	return status == 200 ? n : -1;
}

/* An idle relay of 50 workers shows none of them, unless asked to. */
static void
test_worker_series(void)
{
	struct relay_proc	 e;
	struct wsc		 w;
	const char		*idle[] = { "-w", "50", NULL };
	const char		*all[] = { "-w", "50", "--metrics-all-workers",
				    NULL };
	int			 n, zero;

	if (start_relay(&e, "e", redis_a.port, 0, idle) == -1) {
		ok(0, "workers: a relay of 50 workers starts");
		return;
	}
	n = worker_series(&e, &zero);
	ok(n == 0, "workers: an idle relay of 50 shows no worker series (%d)",
	    n);
	sess(&w, &e, T4, NULL);
	n = worker_series(&e, &zero);
	ok(n == 1 && zero == 0, "workers: with one session, its worker's "
	    "series only (%d, %d at 0)", n, zero);
	wsc_close(&w);
	proc_stop(e.pid, WAIT);

	if (start_relay(&e, "e2", redis_a.port, 0, all) == -1) {
		ok(0, "workers: a relay with --metrics-all-workers starts");
		return;
	}
	n = worker_series(&e, &zero);
	ok(n == 50 && zero == 50, "workers: --metrics-all-workers shows all "
	    "50, at 0 (%d, %d)", n, zero);
	proc_stop(e.pid, WAIT);
}

static void
test_metrics_move(const struct relay_proc *a)
{
	struct wsc	w1, w2;
	long long	rx, tx, ev;

	rx = rf_metric(a, "relay_message_rx");
	tx = rf_metric(a, "relay_message_tx");
	ev = rf_metric(a, "relay_session_evictions_total{reason=\"closed\"}");
	sess(&w1, a, T1, NULL);
	sess(&w2, a, T2, NULL);
	send_req(&w1, T1, NULL, tw[T2].id, NULL, "m1", NULL, "count me");
	rf_got(&w2, "m1", NULL);
	wsc_close(&w1);
	wsc_close(&w2);
	usleep(200000);
	ok(rf_metric(a, "relay_message_rx") == rx + 1 &&
	    rf_metric(a, "relay_message_tx") == tx + 1,
	    "metrics: rx and tx counted one message");
	ok(rf_metric(a, "relay_session_evictions_total{reason=\"closed\"}") >=
	    ev + 2, "metrics: two closed sessions counted");
}

static void
test_limit(void)
{
	struct relay_proc	 l;
	struct wsc		 w1, w2;
	const char		*extra[] = { "-m", "r1.test", "--limit", "3",
				    "100000", NULL };
	int			 i, delivered = 0, refused = 0;
	char			 uid[8];
	Envelope		*e;

	if (start_relay(&l, "limit", redis_a.port, 0, extra) == -1) {
		ok(0, "limit: relay starts");
		return;
	}
	sess(&w1, &l, T1, NULL);
	sess(&w2, &l, T2, NULL);
	for (i = 0; i < 5; i++) {
		snprintf(uid, sizeof(uid), "l%d", i);
		send_req(&w1, T1, NULL, tw[T2].id, NULL, uid, NULL, "x");
	}
	while (rc_recv(&w2, &e, 1000) == 1) {
		delivered++;
		envelope__free_unpacked(e, NULL);
	}
	while (rc_recv(&w1, &e, 500) == 1) {
		refused += e->message_case == ENVELOPE__MESSAGE_ERROR &&
		    strcmp(e->error->message,
		    "exceeded rate limits, dropping message") == 0;
		envelope__free_unpacked(e, NULL);
	}
	ok(delivered == 3 && refused == 2, "limit 3 a minute: 3 delivered, 2 "
	    "refused with \"exceeded rate limits\" (%d, %d)", delivered,
	    refused);
	ok(rf_alive(&l), "limit: the session and relay stay up");
	wsc_close(&w1);
	wsc_close(&w2);
	proc_stop(l.pid, WAIT);
}

static void
test_shared_redis(const struct relay_proc *a)
{
	struct relay_proc	 a2;
	struct wsc		 w1, w6;
	const char		*extra[] = { "-m", "r1.test", NULL };

	if (start_relay(&a2, "a2", redis_a.port, 0, extra) == -1) {
		ok(0, "shared redis: second relay starts");
		return;
	}
	sess(&w1, a, T1, NULL);
	sess(&w6, &a2, T6, NULL);
	usleep(200000);
	send_req(&w1, T1, NULL, tw[T6].id, NULL, "x1", NULL, "across");
	ok(rf_got(&w6, "x1", "across"), "shared redis: relay A's session "
	    "reaches a session on relay A2");
	send_req(&w6, T6, NULL, tw[T1].id, NULL, "x2", NULL, "and back");
	ok(rf_got(&w1, "x2", "and back"), "shared redis: and back");
	wsc_close(&w1);
	wsc_close(&w6);
	proc_stop(a2.pid, WAIT);
}

static void
test_federation(const struct relay_proc *a, struct relay_proc *b,
    const char *bextra[])
{
	struct wsc	 w1, w3;
	struct rc_msg	 m;
	long long	 ok_before;

	sess(&w1, a, T1, NULL);
	sess(&w3, b, T3, NULL);
	ok_before = rf_metric(a,
	    "federation_message_success{relay=\"r2.test\"}");
	send_req(&w1, T1, NULL, tw[T3].id, NULL, "f1", NULL, "far away");
	ok(rf_got(&w3, "f1", "far away"),
	    "federation: A posts to B, B delivers");
	/* B answers once its redis has the entry, maybe after delivering. */
	ok(metric_reaches(a, "federation_message_success{relay=\"r2.test\"}",
	    (ok_before < 0 ? 0 : ok_before) + 1, WAIT) ==
	    (ok_before < 0 ? 0 : ok_before) + 1,
	    "federation: federation_message_success counted");
	send_req(&w3, T3, NULL, tw[T1].id, NULL, "f2", NULL, "reply");
	ok(rf_got(&w1, "f2", "reply"), "federation: B posts back to A");

	/* The target is down: retried until it is back. */
	wsc_drop(&w3);
	proc_stop(b->pid, WAIT);
	send_req(&w1, T1, NULL, tw[T3].id, NULL, "f3", NULL, "later");
	sleep(3);
	ok(start_relay(b, "b2", redis_b.port, b->port, bextra) == 0,
	    "federation: B restarts after 3 s down");
	sess(&w3, b, T3, NULL);
	{
		Envelope	*e;
		int		 found = 0, tries;

		for (tries = 0; tries < 4 && !found; tries++) {
			if (rc_recv(&w3, &e, WAIT) != 1)
				continue;
			found = strcmp(e->uid, "f3") == 0;
			envelope__free_unpacked(e, NULL);
		}
		ok(found, "federation: the envelope sent while B was down "
		    "arrives once B is back");
	}

	/*
	 * Permanent: B answers 404 to a fail-fast envelope.  On a starved
	 * machine B, just restarted, may miss A's POST timeout, and A then
	 * tries again after the pending scan: FED_WAIT covers that.
	 */
	send_req(&w1, T1, NULL, tw[T3].id, "gone", "f4", "fail-fast", "x");
	ok(rf_got_error_in(&w1, "f4", "remote relay rejected permanently: "
	    "destination offline", 1, FED_WAIT), "federation: a 4xx from B "
	    "gives an error envelope to the sender");
	memset(&m, 0, sizeof(m));
	m.src = &tw[T1];
	m.dst = tw[T3].id;
	m.kind = RC_REQUEST;
	m.uid = "f5";
	m.payload = "old";
	m.len = 3;
	m.timestamp = (uint64_t)time(NULL) - 1000;
	m.expiration = 10;
	rc_send(&w1, &m);
	ok(rf_got_error(&w1, "f5", "message has expired", 1),
	    "federation: an expired envelope is reported, not sent");
	ok(metric_reaches(a, "federation_message_error{relay=\"r2.test\"}",
	    1, WAIT) == 1,
	    "federation: federation_message_error counted the 4xx");
	usleep(200000);
	ok(redis_int(redis_a.port, "XLEN", "relay.federation.stream") == 0,
	    "federation: finished entries are deleted from the stream");
	wsc_close(&w1);
	wsc_close(&w3);
}

/*
 * A session that does not read: the relay's queue for it fills, the rest
 * waits in redis, and once it reads it gets every message, in order.
 */
static void
test_backpressure(const struct relay_proc *a)
{
	struct wsc	 w1, w7;
	struct rc_msg	 m;
	uint8_t		*env, *payload;
	size_t		 len;
	long long	 waiting;
	int		 i, n = 0, in_order = 1;
	Envelope	*e;
	char		 uid[16];

	if ((payload = calloc(1, 65536)) == NULL)
		abort();
	sess(&w1, a, T1, NULL);
	sess(&w7, a, T7, "slow");
	memset(&m, 0, sizeof(m));
	m.src = &tw[T1];
	m.dst = tw[T7].id;
	m.dst_sid = "slow";
	m.kind = RC_REQUEST;
	m.payload = payload;
	m.len = 65536;
	for (i = 0; i < BP_MESSAGES; i++) {
		snprintf(uid, sizeof(uid), "bp%d", i);
		m.uid = uid;
		if ((len = rc_envelope(&env, &m)) == 0 ||
		    wsc_send(&w1, WSC_BINARY, env, len) == -1)
			break;
		free(env);
	}
	sleep(1);
	waiting = redis_int(redis_a.port, "XLEN", "stream:7:slow");
	ok(waiting > 0 && waiting < BP_MESSAGES, "back pressure: with the "
	    "reader stalled, %lld of %d wait in redis", waiting, BP_MESSAGES);
	ok(rf_alive(a), "back pressure: the relay is fine");
	while (n < BP_MESSAGES && rc_recv(&w7, &e, WAIT) == 1) {
		snprintf(uid, sizeof(uid), "bp%d", n);
		in_order &= strcmp(e->uid, uid) == 0;
		envelope__free_unpacked(e, NULL);
		n++;
	}
	ok(n == BP_MESSAGES && in_order, "back pressure: the reader then gets "
	    "all %d, in order (%d)", BP_MESSAGES, n);
	usleep(300000);
	ok(redis_int(redis_a.port, "XLEN", "stream:7:slow") == 0,
	    "back pressure: and the stream is empty");
	free(payload);
	wsc_close(&w1);
	wsc_close(&w7);
}

/*
 * Marks in seen the index of each envelope of the stream whose uid is
 * prefix and a number below n; the entries, or -1.
 */
static int
stream_uids(int port, const char *key, const char *prefix, int *seen, int n)
{
	struct rreply	*r, *f;
	Envelope	*e;
	size_t		 i, k = strlen(prefix);
	int		 idx, entries = -1;

	if ((r = redis_cmdf(port, "XRANGE %s - +", key)) == NULL)
		return -1;
	if (r->type != '*')
		goto out;
	entries = (int)r->n;
	for (i = 0; i < r->n; i++) {
		if (r->elem[i]->type != '*' || r->elem[i]->n != 2 ||
		    (f = r->elem[i]->elem[1])->type != '*' || f->n != 2 ||
		    (e = envelope_unpack((uint8_t *)f->elem[1]->str,
		    f->elem[1]->len)) == NULL)
			continue;
		if (strncmp(e->uid, prefix, k) == 0 &&
		    (idx = atoi(e->uid + k)) >= 0 && idx < n)
			seen[idx]++;
		envelope__free_unpacked(e, NULL);
	}
out:
	rreply_free(r);
	return entries;
}

#define LOSS_N		600	/* envelopes a session sends */
#define LOSS_KILL	200	/* redis crashes before this one */
#define LOSS_BACK	400	/* and is back before this one */

/*
 * A session sends LOSS_N envelopes to an offline twin of ours while the
 * relay's redis crashes and comes back: the relay confirms each of them
 * once, and each is in redis after (with the append-only file), or at
 * least each one sent after the crash (without it, redis lost what it
 * held, which is not the relay's to keep).
 */
static void
no_loss(const struct relay_proc *c, struct rf_redis *rs, const char *sid)
{
	struct wsc	 w;
	char		 uid[32], key[64], what[64];
	int		 seen[LOSS_N], i, missing = 0, sent = 0, entries;
	long long	 rx0, rx;

	snprintf(what, sizeof(what), "no loss (%s)", rs->aof ?
	    "append-only file" : "no persistence");
	snprintf(key, sizeof(key), "stream:%u:%s", tw[T6].id, sid);
	rx0 = rf_metric(c, "relay_message_rx");
	if (sess(&w, c, T1, NULL) == -1) {
		ok(0, "%s: session", what);
		return;
	}
	for (i = 0; i < LOSS_N; i++) {
		if (i == LOSS_KILL)
			rf_redis_kill(rs);
		if (i == LOSS_BACK && rf_redis_restart(rs) == -1)
			diag("redis did not start again");
		snprintf(uid, sizeof(uid), "%s-%d", sid, i);
		sent += send_req(&w, T1, NULL, tw[T6].id, sid, uid, NULL,
		    uid) == 0;
	}
	rx = metric_reaches(c, "relay_message_rx", rx0 + LOSS_N, 20000);
	ok(sent == LOSS_N && rx == rx0 + LOSS_N, "%s: redis confirmed each "
	    "of the %d envelopes once (%lld)", what, sent, rx - rx0);
	memset(seen, 0, sizeof(seen));
	snprintf(uid, sizeof(uid), "%s-", sid);
	entries = stream_uids(rs->port, key, uid, seen, LOSS_N);
	for (i = rs->aof ? 0 : LOSS_KILL; i < LOSS_N; i++)
		missing += seen[i] == 0;
	ok(missing == 0, "%s: %s are in %s (%d entries, %d missing)", what,
	    rs->aof ? "all of them" : "those sent after the crash", key,
	    entries, missing);
	ok(rf_alive(c), "%s: the relay is still up", what);
	wsc_close(&w);
}

/*
 * The relay's redis is stopped, then crashes: POST / waits for it or
 * answers 503, nothing a session sent is lost, and the relay stays up.
 */
static void
test_redis_away(void)
{
	struct rf_redis		 rs;
	struct relay_proc	 c;
	struct wsc		 w, w2;
	const char		*extra[] = { "-m", "r1.test", "r1.alt",
				    NULL };
	uint8_t			*buf;
	size_t			 n;
	char			 text[256];
	int			 fd, st, i;
	long long		 xlen;

	if (rf_redis_start(&rs, dir, 0) != 0 ||
	    start_relay(&c, "c", rs.port, 0, extra) == -1) {
		ok(0, "redis away: its own redis and relay start");
		rf_redis_stop(&rs);
		return;
	}
	n = post_env(&buf, &tw[T3], tw[T7].id, NULL, "stopped", NULL, 1);
	kill(rs.pid, SIGSTOP);
	fd = rf_post_send(&c, buf, n);
	free(buf);
	st = fd == -1 ? -1 : rf_post_answer(fd, 1500, text, sizeof(text));
	ok(st == 0, "POST / while redis is stopped: no answer for 1.5 s "
	    "(%d)", st);
	kill(rs.pid, SIGCONT);
	if (st == 0)
		st = rf_post_answer(fd, WAIT, text, sizeof(text));
	xlen = redis_int(rs.port, "XLEN", "stream:7");
	ok(st == 202 && xlen == 1, "POST /: 202 once redis answers again, "
	    "and the entry is there (%d, XLEN %lld)", st, xlen);

	rf_redis_kill(&rs);
	st = health_becomes(&c, 503, text, sizeof(text));
	ok(st == 503 && strcmp(text, "redis unavailable") == 0,
	    "GET /health while redis is down: 503 \"%s\"", text);
	n = post_env(&buf, &tw[T3], tw[T7].id, NULL, "away", NULL, 1);
	st = post(&c, buf, n, text, sizeof(text));
	ok(st == 503 && strchr(text, '\n') == NULL &&
	    strncmp(text, "switch error: ", 14) == 0, "POST / while redis is "
	    "down: 503 \"%s\"", text);
	ok(rf_alive(&c), "redis away: the relay stays up");

	/*
	 * What a session sent while redis is down outlives the session: the
	 * relay read the first envelope and stopped reading.
	 */
	sess(&w, &c, T1, NULL);
	send_req(&w, T1, NULL, tw[T6].id, "held", "held0", NULL, "held0");
	usleep(300000);
	ok(sess(&w2, &c, T1, NULL) == 0, "redis away: a new session "
	    "replaces the one whose envelopes wait");
	usleep(300000);
	wsc_drop(&w);

	ok(rf_redis_restart(&rs) == 0, "redis away: redis starts again on "
	    "its port");
	for (i = 0, st = 0; i < 50 && st != 202; i++) {
		usleep(100000);
		n = post_env(&buf, &tw[T3], tw[T7].id, NULL, "back", NULL, 1);
		st = post(&c, buf, n, text, sizeof(text));
	}
	ok(st == 202, "POST /: 202 again once the relay is back on redis");
	st = health_becomes(&c, 200, text, sizeof(text));
	ok(st == 200 && strcmp(text, "ok") == 0,
	    "GET /health once redis is back: 200 \"%s\"", text);
	for (i = 0; i < 40 && (xlen = redis_int(rs.port, "XLEN",
	    "stream:6:held")) != 1; i++)
		usleep(50000);
	ok(xlen == 1, "redis away: the envelope of the replaced session is "
	    "queued once redis is back (%lld)", xlen);
	wsc_close(&w2);

	no_loss(&c, &rs, "plain");
	/* The same port with an append-only file synced on every write. */
	rf_redis_kill(&rs);
	rs.aof = 1;
	if (rf_redis_restart(&rs) == -1)
		diag("redis with appendonly does not start");
	no_loss(&c, &rs, "aof");
	proc_stop(c.pid, WAIT);
	rf_redis_stop(&rs);
}

#define BUDGET		"65536"	/* --stream-bytes of test_budget */
#define BUDGET_ENV	20000	/* payload bytes: three fit, not four */

/* --stream-bytes: a stream refuses what is over, and counts down again. */
static void
test_budget(void)
{
	struct relay_proc	 d;
	struct wsc		 w1, w6;
	const char		*extra[] = { "-m", "r1.test", "r1.alt",
				    "--stream-bytes", BUDGET, NULL };
	struct rreply		*rr;
	uint8_t			*buf;
	size_t			 n, sum = 0;
	char			 uid[16], text[256];
	int			 i, got = 1;
	long long		 v;

	if (start_relay(&d, "budget", redis_a.port, 0, extra) == -1) {
		ok(0, "budget: relay starts");
		return;
	}
	sess(&w1, &d, T1, NULL);
	for (i = 0; i < 4; i++) {
		snprintf(uid, sizeof(uid), "b%d", i);
		n = post_env(&buf, &tw[T1], tw[T6].id, "full", uid, NULL,
		    BUDGET_ENV);
		if (i < 3)
			sum += n;
		wsc_send(&w1, WSC_BINARY, buf, n);
		free(buf);
	}
	ok(rf_got_error(&w1, "b3", "destination queue is full", 1),
	    "budget: the envelope over %s bytes is refused, and its sender "
	    "told \"destination queue is full\"", BUDGET);
	ok(redis_int(redis_a.port, "XLEN", "stream:6:full") == 3,
	    "budget: the three before it are queued");
	rr = redis_cmdf(redis_a.port, "GET bytes:stream:6:full");
	ok(rr != NULL && rr->type == '$' && strtoull(rr->str, NULL, 10) ==
	    sum, "budget: bytes:stream:6:full counts their %zu bytes (%s)",
	    sum, rr != NULL && rr->type == '$' ? rr->str : "none");
	rreply_free(rr);
	v = redis_int(redis_a.port, "TTL", "bytes:stream:6:full");
	ok(v > 3600 && v <= 3660, "budget: the count expires with the "
	    "stream (%lld s)", v);
	n = post_env(&buf, &tw[T3], tw[T6].id, "full", "postfull", NULL,
	    BUDGET_ENV);
	ok(post(&d, buf, n, text, sizeof(text)) == 507 &&
	    strcmp(text, "destination queue is full") == 0,
	    "budget: POST / to the full stream: 507 \"%s\"", text);
	sess(&w6, &d, T6, "full");
	for (i = 0; i < 3; i++) {
		snprintf(uid, sizeof(uid), "b%d", i);
		got &= rf_got(&w6, uid, NULL);
	}
	ok(got, "budget: the three are delivered");
	usleep(300000);
	i = (int)redis_int(redis_a.port, "EXISTS", "bytes:stream:6:full");
	ok(i == 0 || redis_cmd_str(redis_a.port, "GET",
	    "bytes:stream:6:full", "0"), "budget: once delivered the count "
	    "is 0 or gone");
	n = post_env(&buf, &tw[T1], tw[T6].id, "full", "b4", NULL,
	    BUDGET_ENV);
	wsc_send(&w1, WSC_BINARY, buf, n);
	free(buf);
	ok(rf_got(&w6, "b4", NULL), "budget: and the stream takes more");
	/* The put script flushed: what went is stored, then counted. */
	rreply_free(redis_cmdf(redis_a.port, "SCRIPT FLUSH"));
	for (i = 0, sum = 0; i < 2; i++) {
		snprintf(uid, sizeof(uid), "f%d", i);
		n = post_env(&buf, &tw[T1], tw[T6].id, "flush", uid, NULL,
		    100);
		sum += n;
		wsc_send(&w1, WSC_BINARY, buf, n);
		free(buf);
		usleep(100000);
	}
	usleep(200000);
	rr = redis_cmdf(redis_a.port, "GET bytes:stream:6:flush");
	ok(redis_int(redis_a.port, "XLEN", "stream:6:flush") == 2 &&
	    rr != NULL && rr->type == '$' && strtoull(rr->str, NULL, 10) ==
	    sum && redis_int(redis_a.port, "TTL", "stream:6:flush") > 3600,
	    "budget: after SCRIPT FLUSH both are stored once, counted (%s of "
	    "%zu bytes), with the TTL", rr != NULL && rr->type == '$' ?
	    rr->str : "none", sum);
	rreply_free(rr);
	wsc_close(&w1);
	wsc_close(&w6);
	proc_stop(d.pid, WAIT);
}

#define CAP_N		10005	/* over the entry cap of 10000 */

/* At the entry cap the oldest entries go, and their bytes off the count. */
static void
test_cap(const struct relay_proc *a)
{
	struct wsc	 w;
	struct rreply	*rr;
	uint8_t		*buf;
	size_t		 n;
	int		 i;
	long long	 rx0, xlen;

	rx0 = rf_metric(a, "relay_message_rx");
	sess(&w, a, T2, NULL);
	n = post_env(&buf, &tw[T2], tw[T6].id, "cap", "cap", NULL, 10);
	for (i = 0; i < CAP_N; i++)
		if (wsc_send(&w, WSC_BINARY, buf, n) == -1)
			break;
	free(buf);
	metric_reaches(a, "relay_message_rx", rx0 + CAP_N, 20000);
	xlen = redis_int(redis_a.port, "XLEN", "stream:6:cap");
	rr = redis_cmdf(redis_a.port, "GET bytes:stream:6:cap");
	ok(xlen == 10000 && rr != NULL && rr->type == '$' &&
	    strtoull(rr->str, NULL, 10) == 10000 * n, "entry cap: %d sent, "
	    "%lld kept, counted %s bytes for %zu", CAP_N, xlen,
	    rr != NULL && rr->type == '$' ? rr->str : "none", 10000 * n);
	rreply_free(rr);
	wsc_close(&w);
}

/* A node's answer to every JSON-RPC call: "method not found". */
static const char *
node_answer(const char *req, int *status, void *arg)
{
	static char	ans[512];

	(void)status;
	(void)arg;
	return jsonrpc_answer(ans, sizeof(ans), req, NULL,
	    "Method not found");
}

/*
 * Twins from a chain that is not there: GET /health is 503 "tfchain
 * unreachable" after a read fails, and 200 again once a node answers,
 * with no traffic: the relay tries the chain itself now and then.
 */
static void
test_health_chain(void)
{
	struct relay_proc	 h;
	struct wsc		 w;
	char			 url[64], text[256];
	const char		*opts[] = { "-d", "-s", url, NULL };
	int			 port = free_port(), i, st;
	pid_t			 node;

	snprintf(url, sizeof(url), "http://127.0.0.1:%d", port);
	if (rf_start(&h, relay_bin, dir, "h", redis_a.port, 0, opts,
	    NULL) == -1) {
		ok(0, "health: a relay over a chain that is not there starts");
		return;
	}
	ok(health_becomes(&h, 200, text, sizeof(text)) == 200,
	    "health: 200 \"%s\" before any chain read", text);
	(void)sess(&w, &h, T1, NULL);
	st = health_becomes(&h, 503, text, sizeof(text));
	ok(st == 503 && strcmp(text, "tfchain unreachable") == 0,
	    "health: 503 \"%s\" after a twin read failed", text);
	wsc_drop(&w);
	if ((node = http_stub_start(port, node_answer, NULL)) == -1)
		ok(0, "health: a node on port %d", port);
	/* Its probe comes every 10 s: wait for up to 30. */
	for (i = 0; i < 6 && (st = health_becomes(&h, 200, text,
	    sizeof(text))) != 200; i++)
		;
	ok(st == 200 && strcmp(text, "ok") == 0, "health: 200 \"%s\" once "
	    "a node answers, without traffic", text);
	ok(wait_log(h.log, "tfchain: answering again", WAIT) == 0,
	    "health: the relay logs that the chain is back");
	if (node != -1) {
		kill(node, SIGKILL);
		waitpid(node, NULL, 0);
	}
	proc_stop(h.pid, WAIT);
}

/* Start-up refusals: exit non-zero with the reason in the log. */
static void
startup_fails(const char *name, const char *twins, const char *redis,
    int want, const char *needle)
{
	char	 log[300], listen[64];
	char	*argv[12];
	pid_t	 pid;
	int	 st = -1, i, n = 0;

	snprintf(log, sizeof(log), "%s/%s.log", dir, name);
	snprintf(listen, sizeof(listen), "127.0.0.1:%d", free_port());
	argv[n++] = (char *)relay_bin;
	argv[n++] = (char *)"-r";
	argv[n++] = (char *)redis;
	argv[n++] = (char *)"-l";
	argv[n++] = listen;
	argv[n++] = (char *)"--twins";
	argv[n++] = (char *)twins;
	argv[n++] = (char *)"--user";
	argv[n++] = (char *)"nobody";
	argv[n] = NULL;
	pid = proc_start(argv, log);
	for (i = 0; i < 200 && proc_exited(pid, &st) == 0; i++)
		usleep(50000);
	ok(WIFEXITED(st) && WEXITSTATUS(st) == want &&
	    wait_log(log, needle, 100) == 0, "start-up: %s: exit %d, \"%s\"",
	    name, want, needle);
	if (!WIFEXITED(st))
		proc_stop(pid, WAIT);
}

static void
test_startup(void)
{
	char	twins[300], bad[300], url[64];
	FILE	*f;

	snprintf(twins, sizeof(twins), "%s/twins.json", dir);
	snprintf(bad, sizeof(bad), "%s/bad.json", dir);
	snprintf(url, sizeof(url), "redis://127.0.0.1:%d", redis_a.port);
	if ((f = fopen(bad, "w")) != NULL) {
		fprintf(f, "[{\"id\": 1, \"account\": \"0x%064d\"},\n"
		    " {\"id\": 2, \"acount\": \"x\"}]\n", 0);
		fclose(f);
	}
	startup_fails("bad-twins", bad, url, 1, "entry 2 (id 2)");
	startup_fails("no-twins", "/nonexistent/twins.json", url, 1,
	    "/nonexistent/twins.json");
	startup_fails("bad-redis-url", twins, "rediss://x", 2, "TLS");
	snprintf(url, sizeof(url), "redis://127.0.0.1:%d", free_port());
	startup_fails("no-redis", twins, url, 1, "cannot reach redis");
}

static void
test_sandbox(const struct relay_proc *a)
{
	char	path[64], line[256];
	FILE	*f;
	int	seccomp = -1, nnp = -1, uid = -1;

	snprintf(path, sizeof(path), "/proc/%d/status", (int)a->pid);
	if ((f = fopen(path, "r")) != NULL) {
		while (fgets(line, sizeof(line), f) != NULL) {
			sscanf(line, "Seccomp: %d", &seccomp);
			sscanf(line, "NoNewPrivs: %d", &nnp);
			sscanf(line, "Uid: %d", &uid);
		}
		fclose(f);
	}
	ok(seccomp == 2 && nnp == 1, "the relay runs with Seccomp: 2 and "
	    "NoNewPrivs: 1 (%d, %d)", seccomp, nnp);
	if (geteuid() == 0)
		ok(uid == 65534, "started as root, it runs as nobody (uid %d)",
		    uid);
	else
		ok(uid == (int)geteuid(), "not root: it keeps our uid (%d)",
		    uid);
}

#ifdef HAVE_SYSTEMD
/* A notification's lines on one line, for a diagnostic. */
static char *
oneline(char *s)
{
	char	*p;

	for (p = s; (p = strchr(p, '\n')) != NULL; p++)
		*p = ' ';
	return s;
}
#endif

/*
 * Readiness without systemd: relay A was started with NOTIFY_SOCKET, and
 * says READY=1 once it listens and redis answered, after its drop and
 * under its seccomp filter.
 */
static void
test_notify(int fd, const struct relay_proc *a)
{
	char	buf[512], want[64];

#ifdef HAVE_SYSTEMD
	snprintf(want, sizeof(want), "STATUS=listening on 127.0.0.1:%d",
	    a->port);
	ok(fd != -1 && notify_wait(fd, "READY=1", buf, sizeof(buf), WAIT) ==
	    0, "NOTIFY_SOCKET: READY=1 once listening");
	if (!ok(strstr(buf, want) != NULL, "... with %s", want))
		diag("got \"%s\"", oneline(buf));
#else
	(void)fd;
	(void)a;
	(void)buf;
	(void)want;
	ok(1, "NOTIFY_SOCKET: READY=1 # SKIP built without libsystemd");
	ok(1, "... with STATUS # SKIP built without libsystemd");
#endif
}

int
main(void)
{
	struct relay_proc	 a, b;
	char			 bin[512], twins[300], cto[64], ctoa[64];
	const char		*aextra[] = { "-m", "r1.test", "r1.alt",
				    "--federation-http", "--connect-to", cto,
				    NULL };
	const char		*bextra[] = { "-m", "r2.test",
				    "--federation-http", "--connect-to", ctoa,
				    NULL };
	int			 st, rv, nfd;
	char			 nsock[64], nbuf[512];

	relay_bin = bin;
	if ((rv = rf_begin("relay-server", dir, sizeof(dir), bin, sizeof(bin),
	    &redis_a, &redis_b)) != -1)
		return rv;
	rc_twin_init(&tw[T1], 1, KEY_SR25519, "r1.test", 1);
	rc_twin_init(&tw[T2], 2, KEY_ED25519, "r1.test", 2);
	rc_twin_init(&tw[T3], 3, KEY_SR25519, "r2.test", 3);
	rc_twin_init(&tw[T4], 4, KEY_ED25519, NULL, 4);
	rc_twin_init(&tw[T6], 6, KEY_ED25519, "r9.test_r1.test", 6);
	rc_twin_init(&tw[T7], 7, KEY_SR25519, "r1.alt", 7);
	snprintf(twins, sizeof(twins), "%s/twins.json", dir);
	if (rc_twinfile(twins, tw, NTWINS) == -1)
		return 1;

	a.port = free_port();
	b.port = free_port();
	snprintf(cto, sizeof(cto), "r2.test:80:127.0.0.1:%d", b.port);
	snprintf(ctoa, sizeof(ctoa), "r1.test:80:127.0.0.1:%d", a.port);
	snprintf(nsock, sizeof(nsock), "rmb-relay-test.%ld", (long)getpid());
	nfd = notify_open(nsock);
	snprintf(nsock, sizeof(nsock), "@rmb-relay-test.%ld", (long)getpid());
	setenv("NOTIFY_SOCKET", nsock, 1);
	rv = start_relay(&a, "a", redis_a.port, a.port, aextra);
	unsetenv("NOTIFY_SOCKET");
	if (rv == -1 ||
	    start_relay(&b, "b", redis_b.port, b.port, bextra) == -1) {
		printf("Bail out! rmb-relay does not start (see %s)\n", dir);
		return 1;
	}
	test_sandbox(&a);
	test_notify(nfd, &a);
	test_auth(&a);
	test_routing(&a);
	test_http(&a);
	test_worker_series();
	test_health_chain();
	test_metrics_move(&a);
	test_bad_frames(&a);
	test_backpressure(&a);
	test_startup();
	test_limit();
	test_shared_redis(&a);
	test_budget();
	test_cap(&a);
	test_redis_away();
	test_federation(&a, &b, bextra);
	ok(rf_alive(&a) && rf_alive(&b), "both relays are still running");
	st = proc_stop(a.pid, WAIT);
	ok(WIFEXITED(st) && WEXITSTATUS(st) == 0,
	    "SIGTERM: relay A stops cleanly (status %d)", st);
#ifdef HAVE_SYSTEMD
	ok(notify_wait(nfd, "STOPPING=1", nbuf, sizeof(nbuf), WAIT) == 0,
	    "... and said STOPPING=1 first");
#else
	(void)nbuf;
	ok(1, "... and said STOPPING=1 # SKIP built without libsystemd");
#endif
	if (nfd != -1)
		close(nfd);
	proc_stop(b.pid, WAIT);
	redis_stop(&redis_a);
	redis_stop(&redis_b);
	work_dir_done(dir, tap_failed != 0);
	return done_testing();
}
