/* SPDX-License-Identifier: ISC */
/*
 * rmb-relay's direct delivery (doc/relay.md §1.6): an envelope for a
 * session connected here is written to it at once when its stream holds
 * nothing the relay put there and its socket takes it, else it goes
 * through the stream; either way a sender's envelopes arrive in order,
 * and one the session did not take before it ended is in the stream for
 * its next session.  Real redis-server, a real relay on loopback.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "harness.h"
#include "relay_fixture.h"
#include "tap.h"

#define WAIT		RF_WAIT
#define BACKLOG		100	/* queued while the session is away */
#define LIVE		200	/* sent once it is back */
#define BIG		65536	/* payload that fills sockets */
#define BIG_N		400	/* more than sockets hold */
#define HUGE		(2 * 1024 * 1024)	/* one frame, several writes */
#define HUGE_N		16
#define SMALL_N		100	/* of BIG: sockets and memory, not more */

static char		 dir[256];
static struct redis_srv	 redis;
static struct relay_proc relay;

enum { T1, T2, T3, NTWINS };
static struct rc_twin	 tw[NTWINS];

/* A counter of /metrics, 0 while its series is not there. */
static long long
metric(const char *name)
{
	long long	v = rf_metric(&relay, name);

	return v < 0 ? 0 : v;
}

static long long
direct(void)
{
	return metric("relay_deliveries_total{path=\"direct\"}");
}

static long long
streamed(void)
{
	return metric("relay_deliveries_total{path=\"stream\"}");
}

/* Polls name until it is at least want, for up to timeout_ms. */
static long long
metric_reaches(const char *name, long long want, int timeout_ms)
{
	long long	v;
	int		i;

	for (i = 0; i <= timeout_ms / 50; i++) {
		if ((v = metric(name)) >= want)
			return v;
		usleep(50000);
	}
	return metric(name);
}

static long long
xlen(const char *key)
{
	struct rreply	*r;
	long long	 v = -1;

	if ((r = redis_cmdf(redis.port, "XLEN %s", key)) == NULL)
		return -1;
	if (r->type == ':')
		v = r->integer;
	rreply_free(r);
	return v;
}

static int
send_n(struct wsc *w, int from, uint32_t to, const char *to_sid,
    const char *prefix, int first, int n, size_t size)
{
	struct rc_msg	 m;
	uint8_t		*env, *payload;
	size_t		 len;
	char		 uid[32];
	int		 i, rv = 0;

	if ((payload = calloc(1, size + 1)) == NULL)
		abort();
	memset(&m, 0, sizeof(m));
	m.src = &tw[from];
	m.dst = to;
	m.dst_sid = to_sid;
	m.kind = RC_REQUEST;
	m.payload = payload;
	m.len = size;
	for (i = first; i < first + n && rv == 0; i++) {
		snprintf(uid, sizeof(uid), "%s%d", prefix, i);
		m.uid = uid;
		if ((len = rc_envelope(&env, &m)) == 0 ||
		    wsc_send(w, WSC_BINARY, env, len) == -1)
			rv = -1;
		free(env);
	}
	free(payload);
	return rv;
}

/*
 * Receives envelopes prefix<first> to prefix<last - 1> in that order:
 * the number that came in order before anything else, a gap or the wait.
 */
static int
recv_in_order(struct wsc *w, const char *prefix, int first, int last)
{
	Envelope	*e;
	char		 uid[32];
	int		 i;

	for (i = first; i < last; i++) {
		if (rc_recv(w, &e, WAIT) != 1)
			break;
		snprintf(uid, sizeof(uid), "%s%d", prefix, i);
		if (strcmp(e->uid, uid) != 0) {
			diag("got %s, wanted %s", e->uid, uid);
			envelope__free_unpacked(e, NULL);
			break;
		}
		envelope__free_unpacked(e, NULL);
	}
	return i - first;
}

/*
 * Sends w1's small envelopes prefix<i> to (to, sid), each read by w2,
 * until one went direct: 1 when one did, within 20.
 */
static int
until_direct(struct wsc *w1, struct wsc *w2, uint32_t to, const char *sid,
    const char *prefix)
{
	long long	d0 = direct();
	int		i;

	for (i = 0; i < 20; i++) {
		if (send_n(w1, T1, to, sid, prefix, i, 1, 100) == -1 ||
		    recv_in_order(w2, prefix, i, i + 1) != 1)
			return 0;
		if (direct() > d0)
			return 1;
	}
	return 0;
}

/* A sender and a session of T2 that reads: every envelope goes direct. */
static void
test_direct(void)
{
	struct wsc	 w1, w2;
	long long	 d0, s0, rx0;

	ok(rf_session(&w1, &relay, &tw[T1], NULL) == 0 &&
	    rf_session(&w2, &relay, &tw[T2], NULL) == 0,
	    "direct: two sessions");
	ok(until_direct(&w1, &w2, tw[T2].id, NULL, "p"), "direct: a session "
	    "with an empty stream gets envelopes direct");
	d0 = direct();
	s0 = streamed();
	rx0 = metric("relay_message_rx");
	send_n(&w1, T1, tw[T2].id, NULL, "d", 0, 20, 100);
	ok(recv_in_order(&w2, "d", 0, 20) == 20, "direct: 20 envelopes "
	    "arrive in order");
	ok(direct() - d0 == 20 && streamed() == s0, "direct: all 20 counted "
	    "as direct (%lld), none as stream (%lld)", direct() - d0,
	    streamed() - s0);
	ok(metric("relay_message_rx") - rx0 == 20, "direct: and as received "
	    "(%lld)", metric("relay_message_rx") - rx0);
	ok(xlen("stream:2") == 0, "direct: nothing went to stream:2");
	wsc_close(&w1);
	wsc_close(&w2);
}

/*
 * Entries put while the session was away come first: what arrives while
 * they are read goes behind them, and direct delivery only starts once
 * they are all out.
 */
static void
test_backlog_order(void)
{
	struct wsc	 w1, w2;
	long long	 s0;
	int		 i, got;

	rf_session(&w1, &relay, &tw[T1], NULL);
	s0 = streamed();
	send_n(&w1, T1, tw[T2].id, NULL, "b", 0, BACKLOG, 1000);
	for (i = 0; i < 100 && xlen("stream:2") < BACKLOG; i++)
		usleep(50000);
	ok(xlen("stream:2") == BACKLOG, "backlog: %d envelopes wait in "
	    "stream:2", BACKLOG);
	ok(rf_session(&w2, &relay, &tw[T2], NULL) == 0, "backlog: the "
	    "session comes back");
	send_n(&w1, T1, tw[T2].id, NULL, "b", BACKLOG, LIVE, 1000);
	got = recv_in_order(&w2, "b", 0, BACKLOG + LIVE);
	ok(got == BACKLOG + LIVE, "backlog: all %d, the queued then the new, "
	    "arrive in order (%d)", BACKLOG + LIVE, got);
	ok(streamed() - s0 >= BACKLOG, "backlog: at least the %d queued "
	    "went through the stream (%lld)", BACKLOG, streamed() - s0);
	ok(until_direct(&w1, &w2, tw[T2].id, NULL, "a"), "backlog: once "
	    "the stream is read, delivery is direct again");
	for (i = 0; i < 40 && xlen("stream:2") != 0; i++)
		usleep(50000);
	ok(xlen("stream:2") == 0, "backlog: and stream:2 is empty");
	wsc_close(&w1);
	wsc_close(&w2);
}

/*
 * A session that stops reading: once its socket is full the relay puts
 * its envelopes in the stream, and when it reads again every one comes,
 * in order; then delivery is direct again.
 */
static void
test_choked(void)
{
	struct wsc	 w1, w3;
	long long	 s0, d0, rx0, waiting;
	int		 got;

	rf_session(&w1, &relay, &tw[T1], NULL);
	rf_session(&w3, &relay, &tw[T3], "slow");
	ok(until_direct(&w1, &w3, tw[T3].id, "slow", "p"), "choked: the "
	    "session starts direct");
	s0 = streamed();
	d0 = direct();
	rx0 = metric("relay_message_rx");
	send_n(&w1, T1, tw[T3].id, "slow", "c", 0, BIG_N, BIG);
	metric_reaches("relay_message_rx", rx0 + BIG_N, 20000);
	waiting = xlen("stream:3:slow");
	ok(waiting > 0, "choked: with the reader stalled, envelopes wait in "
	    "the stream (%lld)", waiting);
	got = recv_in_order(&w3, "c", 0, BIG_N);
	ok(got == BIG_N, "choked: the reader then gets all %d, in order (%d)",
	    BIG_N, got);
	ok(direct() > d0 && streamed() > s0, "choked: some went direct "
	    "(%lld), the rest through the stream (%lld)", direct() - d0,
	    streamed() - s0);
	ok(until_direct(&w1, &w3, tw[T3].id, "slow", "e"), "choked: once "
	    "it caught up, direct again");
	wsc_close(&w1);
	wsc_close(&w3);
}

/*
 * A session that never reads and drops: what the relay wrote to its
 * socket is gone with it (as with the stream), but a frame lws still
 * held part of, what waited in memory for the socket and all after them
 * are for the next session, in order.  Which ones went out is what the
 * relay counted as delivered.  n envelopes of size bytes, to sid.
 */
static void
test_drop(const char *sid, int n, size_t size)
{
	struct wsc	 w1, w3;
	long long	 rx0, out0, ev0, out;
	int		 got;
	char		 what[64];

	snprintf(what, sizeof(what), "drop (%d of %zu bytes)", n, size);
	rf_session(&w1, &relay, &tw[T1], NULL);
	rf_session(&w3, &relay, &tw[T3], sid);
	ok(until_direct(&w1, &w3, tw[T3].id, sid, "p"), "%s: the session "
	    "starts direct", what);
	rx0 = metric("relay_message_rx");
	out0 = direct() + streamed();
	ev0 = metric("relay_session_evictions_total{reason=\"closed\"}");
	send_n(&w1, T1, tw[T3].id, sid, "h", 0, n, size);
	ok(metric_reaches("relay_message_rx", rx0 + n, 20000) == rx0 + n,
	    "%s: the relay took them all", what);
	wsc_drop(&w3);
	ok(metric_reaches("relay_session_evictions_total{reason=\"closed\"}",
	    ev0 + 1, WAIT) > ev0, "%s: the relay saw the session go", what);
	out = direct() + streamed() - out0;
	diag("%s: %lld went out to the dropped session", what, out);
	/* More than any socket holds: some cannot have gone. */
	if ((double)n * size >= 16 * 1024 * 1024)
		ok(out < n, "%s: not all of them went out (%lld)", what, out);
	ok(rf_session(&w3, &relay, &tw[T3], sid) == 0, "%s: the session "
	    "comes back", what);
	got = recv_in_order(&w3, "h", (int)out, n);
	ok(got == n - out, "%s: it gets the %lld that did not go out, in "
	    "order (%d)", what, n - out, got);
	wsc_close(&w1);
	wsc_close(&w3);
}

int
main(void)
{
	char		 bin[512], twins[300];
	const char	*opts[] = { "-d", "--twins", twins, "-w", "4", "-u",
			    "100", "-m", "r1.test", NULL };
	int		 rv;

	if ((rv = rf_begin("relay-direct", dir, sizeof(dir), bin, sizeof(bin),
	    &redis, NULL)) != -1)
		return rv;
	rc_twin_init(&tw[T1], 1, KEY_SR25519, "r1.test", 1);
	rc_twin_init(&tw[T2], 2, KEY_ED25519, "r1.test", 2);
	rc_twin_init(&tw[T3], 3, KEY_ED25519, "r1.test", 3);
	snprintf(twins, sizeof(twins), "%s/twins.json", dir);
	if (rc_twinfile(twins, tw, NTWINS) == -1)
		return 1;
	if (rf_start(&relay, bin, dir, "relay", redis.port, 0, opts,
	    NULL) == -1) {
		printf("Bail out! rmb-relay does not start (see %s)\n", dir);
		return 1;
	}
	test_direct();
	test_backlog_order();
	test_choked();
	test_drop("drop", HUGE_N, HUGE);
	test_drop("drop2", SMALL_N, BIG);
	ok(rf_alive(&relay), "the relay is still up");
	proc_stop(relay.pid, WAIT);
	redis_stop(&redis);
	work_dir_done(dir, tap_failed != 0);
	return done_testing();
}
