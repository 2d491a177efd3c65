/*
 * rmb-relay end to end: real redis-server, real relays on loopback, test
 * sessions over WebSockets (RELAY.md §1–§4).
 */
#include <sys/wait.h>

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
#define QUIET	300	/* ms in which nothing should arrive */
#define BP_MESSAGES 600	/* of 64 KiB: more than sockets and the queue hold */

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
	ok(i > 3500 && i <= 3600, "queue: the stream expires in 3600 s (%d)",
	    i);
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
	struct wsc	 w;
	Envelope	*e;
	uint8_t		*big;
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
	if ((big = calloc(1, 4 * 1024 * 1024 + 1)) == NULL)
		abort();
	wsc_send(&w, WSC_BINARY, big, 4 * 1024 * 1024 + 1);
	free(big);
	rv = rc_recv(&w, &e, WAIT);
	ok(rv == -1 && w.closed && w.close_code == 1009,
	    "a message over 4 MiB closes with 1009 (%u)", w.close_code);
	wsc_drop(&w);
	sess(&w, a, T1, NULL);
	wsc_send_raw(&w, unmasked, sizeof(unmasked));
	ok(rc_recv(&w, &e, WAIT) == -1,
	    "an unmasked client frame ends the connection");
	wsc_drop(&w);
	ok(rf_alive(a) && sess(&w, a, T1, NULL) == 0,
	    "the relay is still up and takes sessions after bad frames");
	wsc_close(&w);
}

static void
test_http(const struct relay_proc *a)
{
	struct rc_msg	 m;
	uint8_t		*buf;
	size_t		 n, rl;
	int		 status;
	char		*resp;
	long long	 before;

	memset(&m, 0, sizeof(m));
	m.src = &tw[T3];
	m.dst = tw[T7].id;
	m.kind = RC_REQUEST;
	m.uid = "post1";
	m.payload = "p";
	m.len = 1;
	n = rc_envelope(&buf, &m);
	before = redis_int(redis_a.port, "XLEN", "stream:7");
	ok(http_request("127.0.0.1", a->port, "POST", "/", buf, n, &status,
	    &resp, &rl, WAIT) == 0 && status == 202 && rl == 0,
	    "POST /: an envelope is taken with 202 and an empty body");
	free(resp);
	free(buf);
	usleep(100000);
	ok(redis_int(redis_a.port, "XLEN", "stream:7") == before + 1,
	    "POST /: it waits in stream:7");
	m.tags = "fail-fast";
	m.uid = "post2";
	n = rc_envelope(&buf, &m);
	ok(http_request("127.0.0.1", a->port, "POST", "/", buf, n, &status,
	    &resp, &rl, WAIT) == 0 && status == 404 &&
	    strcmp(resp, "destination offline") == 0,
	    "POST /: fail-fast to a session not here: 404 \"destination "
	    "offline\"");
	free(resp);
	free(buf);
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
	    strstr(resp, "relay_worker_connections{worker=\"0\"}") != NULL &&
	    strstr(resp, "process_resident_memory_bytes") != NULL,
	    "GET /metrics: the reference's metric names");
	free(resp);
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
	ok(rf_metric(a, "federation_message_success{relay=\"r2.test\"}") ==
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

	/* Permanent: B answers 404 to a fail-fast envelope. */
	send_req(&w1, T1, NULL, tw[T3].id, "gone", "f4", "fail-fast", "x");
	ok(rf_got_error(&w1, "f4", "remote relay rejected permanently: "
	    "destination offline", 1), "federation: a 4xx from B gives an "
	    "error envelope to the sender");
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
	ok(rf_metric(a, "federation_message_error{relay=\"r2.test\"}") == 1,
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

int
main(void)
{
	struct relay_proc	 a, b;
	const char		*top = getenv("top_builddir");
	char			 bin[512], twins[300], cto[64], ctoa[64];
	const char		*aextra[] = { "-m", "r1.test", "r1.alt",
				    "--federation-http", "--connect-to", cto,
				    NULL };
	const char		*bextra[] = { "-m", "r2.test",
				    "--federation-http", "--connect-to", ctoa,
				    NULL };
	int			 st, rv;
	char			 tmpl[] = "/tmp/rmb-relay-test.XXXXXX";

	snprintf(bin, sizeof(bin), "%s/relayd/rmb-relay",
	    top != NULL ? top : ".");
	relay_bin = bin;
	if (mkdtemp(tmpl) == NULL)
		return 1;
	snprintf(dir, sizeof(dir), "%s", tmpl);
	if ((rv = redis_start(&redis_a)) == -2) {
		printf("1..0 # SKIP redis-server is not installed\n");
		return 0;
	}
	if (rv == -1 || redis_start(&redis_b) == -1) {
		printf("Bail out! redis-server does not start\n");
		return 1;
	}
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
	if (start_relay(&a, "a", redis_a.port, a.port, aextra) == -1 ||
	    start_relay(&b, "b", redis_b.port, b.port, bextra) == -1) {
		printf("Bail out! rmb-relay does not start (see %s)\n", dir);
		return 1;
	}
	test_sandbox(&a);
	test_auth(&a);
	test_routing(&a);
	test_http(&a);
	test_metrics_move(&a);
	test_bad_frames(&a);
	test_backpressure(&a);
	test_startup();
	test_limit();
	test_shared_redis(&a);
	test_federation(&a, &b, bextra);
	ok(rf_alive(&a) && rf_alive(&b), "both relays are still running");
	st = proc_stop(a.pid, WAIT);
	ok(WIFEXITED(st) && WEXITSTATUS(st) == 0,
	    "SIGTERM: relay A stops cleanly (status %d)", st);
	proc_stop(b.pid, WAIT);
	redis_stop(&redis_a);
	redis_stop(&redis_b);
	if (tap_failed == 0) {
		char	cmd[300];

		snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
		if (system(cmd) != 0)
			diag("could not remove %s", dir);
	} else
		diag("logs kept in %s", dir);
	return done_testing();
}
