/* SPDX-License-Identifier: ISC */
/*
 * rmb-relay reading twins from a real tfchain runtime (spec 144 under
 * chopsticks, tests/chain_fixture): twins written with dev_setStorage,
 * relays started with -s and no --twins.  Upgrades of twins not cached
 * yet are decided once the chain answers, and a refusal is an HTTP status
 * before any 101; frames that wait for a twin keep their order; a key changed on chain is read again; a
 * dead endpoint first in the list is passed over; and once the chain is
 * gone, cached twins still work and the rest fail with the 500 texts.
 */
#include <sys/socket.h>
#include <sys/wait.h>

#include <netinet/in.h>

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "chain_fixture.h"
#include "harness.h"
#include "jwt.h"
#include "relay_fixture.h"
#include "tap.h"

#define WAIT	RF_WAIT
#define BURST	20	/* numbered messages sent right after connecting */
#define FLOOD	200	/* over the 64 frames after which the relay stops
			   reading a session */

static char		 dir[256];
static const char	*relay_bin;
static struct chain_srv	 srv;
static struct redis_srv	 redis_a, redis_b;

enum { T1, T2, T3, T4, T5, T5NEW, T7, T8, T10, T11, T12, T13, T13BAD,
    T14, NTWINS };
static struct rc_twin	 tw[NTWINS];

/* TfgridModule.Twins and TwinIdByAccountID for t. */
static int
on_chain(const struct rc_twin *t)
{
	return chain_put_twin(&srv, t->id, t->ident.account, t->relay, NULL,
	    0);
}

/* Twin t's session is registered. */
static int
pong(struct wsc *w, int t)
{
	return rf_pong(w, &tw[t]);
}

static int
start_relay(struct relay_proc *p, const char *name, int redis_port,
    const char *const extra[])
{
	static const char *const opts[] = { "-d", "-w", "2", "-u", "100",
	    NULL };

	return rf_start(p, relay_bin, dir, name, redis_port, 0, opts, extra);
}

static int
sess(struct wsc *w, const struct relay_proc *p, int t)
{
	return rf_session(w, p, &tw[t], NULL);
}

static int
send_req(struct wsc *w, int from, uint32_t to, const char *uid,
    const char *payload)
{
	return rf_send_req(w, &tw[from], NULL, to, NULL, uid, NULL, payload);
}

/*
 * The upgrade of t is refused with status and body, before any 101 (the
 * client sees the refusal's status line where a 101 would be).
 */
static int
refused(const struct relay_proc *p, const struct rc_twin *t, int want,
    const char *text)
{
	struct wsc	 w;
	int		 status = 0;
	char		 body[256] = "";

	if (rc_connect(&w, p->port, t, NULL, &status, body,
	    sizeof(body)) == 0) {
		diag("upgraded (101)");
		wsc_close(&w);
		return 0;
	}
	wsc_drop(&w);
	if (status != want || strcmp(body, text) != 0) {
		diag("%d \"%s\"", status, body);
		return 0;
	}
	return 1;
}

/* Sessions the workers hold, from /metrics: their gauges added up. */
static long long
sessions(const struct relay_proc *p)
{
	static const char	 name[] = "relay_worker_connections{";
	char			*resp, *line, *sp;
	size_t			 n;
	long long		 sum = 0;
	int			 status;

	if (http_request("127.0.0.1", p->port, "GET", "/metrics", NULL, 0,
	    &status, &resp, &n, WAIT) == -1)
		return -1;
	for (line = resp; line != NULL && *line != '\0';) {
		if (strncmp(line, name, sizeof(name) - 1) == 0 &&
		    (sp = strchr(line, ' ')) != NULL)
			sum += strtoll(sp + 1, NULL, 10);
		if ((line = strchr(line, '\n')) != NULL)
			line++;
	}
	free(resp);
	return sum;
}

/* A raw upgrade request for t on a socket of its own; the socket or -1. */
static int
upgrade_raw(const struct relay_proc *p, const struct rc_twin *t)
{
	struct sockaddr_in	 sin;
	char			 req[JWT_MAX + 256], tok[JWT_MAX + 1];
	int			 fd, n;

	if (rc_jwt(tok, sizeof(tok), t, NULL, 60) == -1 ||
	    (fd = socket(AF_INET, SOCK_STREAM, 0)) == -1)
		return -1;
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_port = htons((uint16_t)p->port);
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	n = snprintf(req, sizeof(req), "GET /?%s HTTP/1.1\r\nHost: relay\r\n"
	    "Upgrade: websocket\r\nConnection: Upgrade\r\n"
	    "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
	    "Sec-WebSocket-Version: 13\r\n\r\n", tok);
	if (connect(fd, (struct sockaddr *)&sin, sizeof(sin)) == -1 ||
	    n < 0 || (size_t)n >= sizeof(req) ||
	    write(fd, req, (size_t)n) != n) {
		close(fd);
		return -1;
	}
	return fd;
}

static void
test_auth(const struct relay_proc *a)
{
	struct wsc	 w1, w2;
	char		 target[JWT_MAX + 4];
	int		 status = 0;
	char		 body[256] = "";
	long long	 misses;

	ok(rf_logged(a, "twins from tfchain at", 0), "the log names the chain "
	    "as the twin source");
	ok(sess(&w1, a, T1) == 0 && pong(&w1, T1), "twin 1, not cached: "
	    "101 once the chain answered, and the session works");
	ok(sess(&w2, a, T2) == 0 && pong(&w2, T2), "twin 2, not cached: "
	    "101 once the chain answered, and the session works");
	send_req(&w1, T1, tw[T2].id, "a1", "to two");
	ok(rf_got(&w2, "a1", "to two"), "1 to 2 delivered");
	send_req(&w2, T2, tw[T1].id, "a2", "to one");
	ok(rf_got(&w1, "a2", "to one"), "2 to 1 delivered");
	wsc_close(&w1);

	misses = rf_metric(a, "rmb_cache_misses_total");
	ok(sess(&w1, a, T1) == 0 && pong(&w1, T1), "twin 1 again, cached: "
	    "101 and the session works");
	ok(rf_metric(a, "rmb_cache_misses_total") == misses, "no cache miss "
	    "for the cached twin (%lld)", misses);
	send_req(&w1, T1, tw[T2].id, "a3", "again");
	ok(rf_got(&w2, "a3", "again"), "and it still reaches 2");
	wsc_close(&w1);
	wsc_close(&w2);

	/* What needs no twin is still answered before the 101. */
	target[0] = '/';
	target[1] = '?';
	rc_jwt(target + 2, sizeof(target) - 2, &tw[T10], NULL, -10);
	ok(wsc_connect(&w1, "127.0.0.1", a->port, target, &status, body,
	    sizeof(body), WAIT) == -1 && status == 401 &&
	    strcmp(body, "invalid jwt: jwt has expired") == 0,
	    "an expired token: 401 before the upgrade (%d)", status);
	wsc_drop(&w1);

	ok(refused(a, &tw[T8], 401, "twin not found 98") &&
	    rf_logged(a, "upgrade from 127.0.0.1 refused: 401 twin not found 98",
	    0), "a twin not on chain: 401 \"twin not found 98\" before any "
	    "101");
	ok(refused(a, &tw[T13BAD], 401, "invalid jwt: jwt: invalid "
	    "signature"), "twin 13, not cached, with a token signed by "
	    "another key: 401 \"invalid jwt: jwt: invalid signature\" "
	    "before any 101");
	ok(rf_logged(a, "upgrade from 127.0.0.1: reading twin 13 from the chain",
	    0), "its twin was read from the chain first");
	ok(refused(a, &tw[T13BAD], 401, "invalid jwt: jwt: invalid "
	    "signature"), "again, with twin 13 cached now: the same 401");
	ok(sess(&w1, a, T13) == 0 && pong(&w1, T13), "twin 13's own key: 101 "
	    "and the session works");
	wsc_close(&w1);
	ok(rf_alive(a) && sess(&w1, a, T1) == 0 && pong(&w1, T1),
	    "the relay stays up and takes sessions");
	wsc_close(&w1);
}

/* A twin's key changes on chain after its first session was cached. */
static void
test_key_change(const struct relay_proc *a)
{
	struct wsc	w;

	ok(sess(&w, a, T5) == 0 && pong(&w, T5), "twin 5 with its first key");
	wsc_close(&w);
	ok(on_chain(&tw[T5NEW]) == 0, "twin 5 gets a new account on chain");
	ok(sess(&w, a, T5NEW) == 0 && pong(&w, T5NEW), "a token signed by "
	    "the new key is accepted: the cached twin was read again");
	wsc_close(&w);
	ok(rf_logged(a, "signature fails against the cached twin", 0),
	    "the log says why it was read again");
	ok(refused(a, &tw[T5], 401, "invalid jwt: jwt: invalid signature"),
	    "the old key: 401 \"invalid jwt: jwt: invalid signature\" before "
	    "any 101");
}

/*
 * Frames sent right after the upgrade of a twin not cached, to a twin
 * not cached either: they wait for both reads and keep their order.
 */
static void
burst(const struct relay_proc *a, int from, int to, int n,
    const char *what)
{
	struct wsc	 wf, wt;
	char		 uid[16];
	int		 i, sent = 0, in_order = 1;

	if (sess(&wf, a, from) == -1) {
		ok(0, "%s: %d connects", what, tw[from].id);
		return;
	}
	for (i = 0; i < n; i++) {
		snprintf(uid, sizeof(uid), "n%d", i);
		sent += send_req(&wf, from, tw[to].id, uid, uid) == 0;
	}
	ok(sess(&wt, a, to) == 0, "%s: %d sent %d, %d connects", what,
	    tw[from].id, sent, tw[to].id);
	for (i = 0; i < n && in_order; i++) {
		snprintf(uid, sizeof(uid), "n%d", i);
		in_order = rf_got(&wt, uid, uid);
	}
	ok(in_order && i == n, "%s: all %d arrive, in order", what, n);
	ok(pong(&wf, from), "%s: the sender's session is fine", what);
	wsc_close(&wf);
	wsc_close(&wt);
}

/*
 * The chain stalls (chopsticks stopped) while a session sends to a twin
 * not cached: other sessions are still served, the relay stops reading
 * the sender once RELAY_HOLD_FRAMES wait, and when the chain answers
 * every frame goes on, in order, and reading resumes.
 */
static void
test_stall(const struct relay_proc *a)
{
	struct wsc	 w1, w2, w10;
	char		 uid[16];
	int		 i, sent = 0, in_order = 1, fd12;
	long long	 before;

	if (sess(&w1, a, T1) == -1 || sess(&w2, a, T2) == -1) {
		ok(0, "stall: cached twins 1 and 2 connect");
		return;
	}
	kill(srv.pid, SIGSTOP);
	for (i = 0; i < FLOOD; i++) {
		snprintf(uid, sizeof(uid), "f%d", i);
		sent += send_req(&w1, T1, tw[T10].id, uid, uid) == 0;
	}
	ok(pong(&w2, T2), "stall: with the chain stopped, another session "
	    "is still served");
	ok(rf_logged(a, "reading paused", WAIT), "stall: the relay stopped "
	    "reading twin 1 once 64 frames waited");
	/*
	 * Gone before the chain answers: its lookup is cancelled, and it
	 * never was a session.
	 */
	before = sessions(a);
	fd12 = upgrade_raw(a, &tw[T12]);
	ok(fd12 != -1 && rf_logged(a, "upgrade from 127.0.0.1: reading twin 12 "
	    "from the chain", WAIT), "stall: twin 12, not cached, waits for "
	    "the chain before its upgrade is answered");
	if (fd12 != -1)
		close(fd12);
	ok(rf_logged(a, "upgrade from 127.0.0.1: closed before its twin was "
	    "read", WAIT), "stall: and leaves before it is decided");
	ok(sessions(a) == before && before >= 2, "stall: the sessions gauge "
	    "did not move (%lld)", before);
	kill(srv.pid, SIGCONT);
	ok(sess(&w10, a, T10) == 0, "stall: the chain is back, twin 10 "
	    "connects");
	for (i = 0; i < FLOOD && in_order; i++) {
		snprintf(uid, sizeof(uid), "f%d", i);
		in_order = rf_got(&w10, uid, uid);
	}
	ok(in_order && i == FLOOD && sent == FLOOD, "stall: all %d arrive, "
	    "in order", FLOOD);
	ok(pong(&w1, T1), "stall: reading resumed, twin 1's session is fine");
	ok(rf_alive(a) && !rf_logged(a, "upgrade from 127.0.0.1: twin 12", 0),
	    "stall: the chain's answer for twin 12 found nothing to call");
	ok(sessions(a) == before + 1, "stall: twin 10's session is the only "
	    "new one: none was left behind");
	wsc_close(&w1);
	wsc_close(&w2);
	wsc_close(&w10);
}

/* The federation worker reads a twin not cached from the chain. */
static void
test_federation(const struct relay_proc *a, const struct relay_proc *b)
{
	struct wsc	 w1, w7;
	struct rreply	*rep;
	struct rc_msg	 m;
	uint8_t		*env;
	size_t		 len;
	const char	*argv[5];
	size_t		 argvlen[5];

	ok(sess(&w7, b, T7) == 0 && pong(&w7, T7), "twin 7 connects to relay "
	    "B (r2.test)");
	ok(sess(&w1, a, T1) == 0, "twin 1 on relay A");
	memset(&m, 0, sizeof(m));
	m.src = &tw[T1];
	m.dst = tw[T7].id;
	m.kind = RC_REQUEST;
	m.uid = "fed1";
	m.payload = "far";
	m.len = 3;
	len = rc_envelope(&env, &m);
	/* Straight into the stream, so that A's route has not read twin 7. */
	argv[0] = "XADD";
	argv[1] = "relay.federation.stream";
	argv[2] = "*";
	argv[3] = "msg";
	argv[4] = (const char *)env;
	argvlen[0] = 4;
	argvlen[1] = strlen(argv[1]);
	argvlen[2] = 1;
	argvlen[3] = 3;
	argvlen[4] = len;
	rep = redis_cmd(redis_a.port, 5, argv, argvlen);
	rreply_free(rep);
	free(env);
	ok(rf_got(&w7, "fed1", "far"), "federation: A reads twin 7 from the "
	    "chain and posts to B, which delivers");
	ok(rf_logged(a, "reading twin 7 from the chain", 0), "federation: the "
	    "worker read the twin (nothing else asked for it)");
	ok(rf_logged(b, "reading twin 1 from the chain", 0), "federation: B "
	    "read the source twin from the chain to check the signature "
	    "before its 202");
	send_req(&w1, T1, 98, "r98", "nobody");
	ok(rf_got_error(&w1, "r98", "unknown twin destination", 0),
	    "route: a twin not on chain: \"unknown twin destination\"");
	wsc_close(&w1);
	wsc_close(&w7);
}

/* The first endpoint is down: the second answers. */
static void
test_dead_first(void)
{
	struct relay_proc	 c;
	struct wsc		 w;
	char			 dead[64];
	const char		*extra[] = { "-m", "r1.test", "-s", dead,
				    srv.url, NULL };

	snprintf(dead, sizeof(dead), "http://127.0.0.1:%d", free_port());
	if (start_relay(&c, "dead-first", redis_b.port, extra) == -1) {
		ok(0, "dead endpoint first: the relay starts");
		return;
	}
	ok(sess(&w, &c, T2) == 0 && pong(&w, T2), "dead endpoint first in "
	    "-s: twin 2 is read from the second one");
	wsc_close(&w);
	proc_stop(c.pid, WAIT);
}

/* --twins wins over -s; a -s that is not a URL stops the start. */
static void
test_flags(void)
{
	struct relay_proc	 f;
	char			 twins[300], log[300], listen[64];
	char			*argv[10];
	const char		*extra[] = { "--twins", twins, "-s", srv.url,
				    NULL };
	pid_t			 pid;
	int			 st = -1, i;

	snprintf(twins, sizeof(twins), "%s/twins.json", dir);
	if (rc_twinfile(twins, &tw[T1], 1) == -1 ||
	    start_relay(&f, "file-wins", redis_b.port, extra) == -1) {
		ok(0, "--twins and -s: the relay starts");
		return;
	}
	ok(rf_logged(&f, "1 twin(s) in ", 0), "--twins and -s: the file is the "
	    "source");
	proc_stop(f.pid, WAIT);

	snprintf(log, sizeof(log), "%s/bad-url.log", dir);
	snprintf(listen, sizeof(listen), "127.0.0.1:%d", free_port());
	argv[0] = (char *)relay_bin;
	argv[1] = (char *)"-l";
	argv[2] = listen;
	argv[3] = (char *)"-s";
	argv[4] = (char *)"ftp://chain.example";
	argv[5] = NULL;
	pid = proc_start(argv, log);
	for (i = 0; i < 100 && proc_exited(pid, &st) == 0; i++)
		usleep(50000);
	ok(WIFEXITED(st) && WEXITSTATUS(st) == 2 &&
	    wait_log(log, "--substrate: \"ftp://chain.example\" is not", 0) ==
	    0, "-s ftp://...: exit 2 with the reason");
	if (!WIFEXITED(st))
		proc_stop(pid, WAIT);
}

/* The chain is gone: the cache still serves, the rest fails cleanly. */
/* GET /health: the status, with the answer's body in text. */
static int
health(const struct relay_proc *p, char *text, size_t cap)
{
	char	*resp;
	size_t	 rl;
	int	 status;

	text[0] = '\0';
	if (http_request("127.0.0.1", p->port, "GET", "/health", NULL, 0,
	    &status, &resp, &rl, WAIT) == -1)
		return -1;
	snprintf(text, cap, "%s", resp);
	free(resp);
	return status;
}

static void
test_chain_gone(const struct relay_proc *a)
{
	struct wsc	w1, w2;
	char		text[256];

	ok(health(a, text, sizeof(text)) == 200 && strcmp(text, "ok") == 0,
	    "GET /health with the chain up: 200 \"%s\"", text);
	chain_stop(&srv);
	ok(sess(&w1, a, T1) == 0 && pong(&w1, T1) && sess(&w2, a, T2) == 0 &&
	    pong(&w2, T2), "chain gone: cached twins 1 and 2 still connect");
	send_req(&w1, T1, tw[T2].id, "g1", "still here");
	ok(rf_got(&w2, "g1", "still here"), "chain gone: and still exchange");
	ok(refused(a, &tw[T11], 500, "failed to get twin: twin source "
	    "unavailable"), "chain gone: a twin not cached: 500 \"failed to "
	    "get twin: twin source unavailable\" before any 101");
	ok(refused(a, &tw[T14], 500, "failed to get twin: twin source "
	    "unavailable"), "chain gone: the same for a twin the chain never "
	    "had, as it cannot be asked");
	ok(health(a, text, sizeof(text)) == 503 &&
	    strcmp(text, "tfchain unreachable") == 0,
	    "GET /health after a failed chain read: 503 \"%s\"", text);
	send_req(&w1, T1, 97, "g2", "x");
	ok(rf_got_error(&w1, "g2", "failed to get twin information", 0),
	    "chain gone: a request to a twin not cached: \"failed to get twin "
	    "information\"");
	ok(rf_alive(a) && pong(&w1, T1), "chain gone: the relay stays up");
	wsc_close(&w1);
	wsc_close(&w2);
}

int
main(void)
{
	struct relay_proc	 a, b;
	char			 bin[512], cto[64];
	const char		*aextra[] = { "-m", "r1.test", "-s", srv.url,
				    "--federation-http", "--connect-to", cto,
				    NULL };
	const char		*bextra[] = { "-m", "r2.test", "-s", srv.url,
				    NULL };
	double			 t0 = chain_now_s();
	int			 rc, st, i;

	setvbuf(stdout, NULL, _IOLBF, 0);
	relay_bin = bin;
	if ((rc = rf_begin("relay-chain", dir, sizeof(dir), bin, sizeof(bin),
	    &redis_a, &redis_b)) != -1)
		return rc;
	if ((rc = chain_begin(&srv)) != -1) {
		redis_stop(&redis_a);
		redis_stop(&redis_b);
		return rc;
	}

	rc_twin_init(&tw[T1], 1, KEY_SR25519, "r1.test", 1);
	rc_twin_init(&tw[T2], 2, KEY_ED25519, "r1.test", 2);
	rc_twin_init(&tw[T3], 3, KEY_SR25519, "r1.test", 3);
	rc_twin_init(&tw[T4], 4, KEY_ED25519, "r1.test", 4);
	rc_twin_init(&tw[T5], 5, KEY_SR25519, "r1.test", 5);
	rc_twin_init(&tw[T5NEW], 5, KEY_SR25519, "r1.test", 55);
	rc_twin_init(&tw[T7], 7, KEY_ED25519, "r2.test", 7);
	rc_twin_init(&tw[T8], 98, KEY_ED25519, "r1.test", 8);	/* not set */
	rc_twin_init(&tw[T10], 10, KEY_SR25519, "r1.test", 10);
	rc_twin_init(&tw[T11], 11, KEY_ED25519, "r1.test", 11);
	rc_twin_init(&tw[T12], 12, KEY_SR25519, "r1.test", 12);
	rc_twin_init(&tw[T13], 13, KEY_ED25519, "r1.test", 13);
	rc_twin_init(&tw[T13BAD], 13, KEY_ED25519, "r1.test", 113);
	/* Twin 14 is never written: once the chain is gone, it cannot tell. */
	rc_twin_init(&tw[T14], 14, KEY_SR25519, "r1.test", 114);
	for (i = 0, rc = 0; i < NTWINS; i++)
		if (i != T5NEW && i != T8 && i != T13BAD && i != T14)
			rc |= on_chain(&tw[i]);
	ok(rc == 0, "twins 1-5, 7 and 10-13 written on chain");

	b.port = 0;
	if (start_relay(&b, "b", redis_b.port, bextra) == -1) {
		printf("Bail out! relay B does not start (see %s)\n", dir);
		return 1;
	}
	snprintf(cto, sizeof(cto), "r2.test:80:127.0.0.1:%d", b.port);
	if (start_relay(&a, "a", redis_a.port, aextra) == -1) {
		printf("Bail out! relay A does not start (see %s)\n", dir);
		return 1;
	}
	test_auth(&a);
	test_key_change(&a);
	burst(&a, T4, T3, BURST, "burst");
	test_stall(&a);
	test_federation(&a, &b);
	test_dead_first();
	test_flags();
	test_chain_gone(&a);

	st = proc_stop(a.pid, WAIT);
	ok(WIFEXITED(st) && WEXITSTATUS(st) == 0,
	    "SIGTERM: relay A stops cleanly (status %d)", st);
	proc_stop(b.pid, WAIT);
	redis_stop(&redis_a);
	redis_stop(&redis_b);
	work_dir_done(dir, tap_failed != 0);
	diag("whole test %.1f s", chain_now_s() - t0);
	return done_testing();
}
