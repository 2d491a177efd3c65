/* SPDX-License-Identifier: ISC */
/*
 * rmb-relay's tfchain events listener on a real runtime (spec 144 under
 * chopsticks, which finalizes every block it builds).  A twin cached by
 * relay A moves to relay B with a signed update_twin: A routes to B
 * within a poll period of the block, the cache updated in place (no new
 * read); a TwinDeleted event (spec 144 has no call that deletes a twin,
 * so the record is written into a block's System.Events) makes A forget
 * its twin; and a relay stopped while 20 blocks are built flushes its
 * cache with --catchup-threshold 10 and replays them with 30.
 */
#include <sys/wait.h>

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sodium.h>

#include "chain_fixture.h"
#include "harness.h"
#include "hex.h"
#include "relay_fixture.h"
#include "tap.h"
#include "tfchain_read.h"

#define WAIT		RF_WAIT
/* How long the relay has to follow, far below the 300 s TTL. */
#define FOLLOW_MS	20000

static char		 dir[256];
static const char	*relay_bin;
static struct chain_srv	 srv;
static struct redis_srv	 redis_a, redis_b;

enum { T1, TD, TGONE, T2, NTWINS };
static struct rc_twin	 tw[NTWINS];

static int
on_chain(const struct rc_twin *t)
{
	return chain_put_twin(&srv, t->id, t->ident.account, t->relay, NULL,
	    0);
}

static int
start_relay(struct relay_proc *p, const char *name, int redis_port,
    const char *const extra[])
{
	static const char *const opts[] = { "-d", "-w", "2", "-u", "100",
	    NULL };

	return rf_start(p, relay_bin, dir, name, redis_port, 0, opts, extra);
}

/* Waits for a metric to reach at least want; its last value. */
static long long
metric_reaches(const struct relay_proc *p, const char *name, long long want,
    int timeout_ms)
{
	long long	v = -1;
	int		waited;

	for (waited = 0; waited <= timeout_ms; waited += 100) {
		if ((v = rf_metric(p, name)) >= want)
			break;
		usleep(100000);
	}
	return v;
}

static int
send_req(struct wsc *w, int from, uint32_t to, const char *uid)
{
	return rf_send_req(w, &tw[from], NULL, to, NULL, uid, NULL, uid);
}

/* Whether uid arrives on w within timeout_ms, other envelopes skipped. */
static int
arrives(struct wsc *w, const char *uid, int timeout_ms)
{
	Envelope	*e;
	double		 end = chain_now_s() + timeout_ms / 1000.;
	int		 found = 0, left;

	while (!found && (left = (int)((end - chain_now_s()) * 1000)) > 0) {
		if (rc_recv(w, &e, left) != 1)
			break;
		found = e->uid != NULL && strcmp(e->uid, uid) == 0;
		envelope__free_unpacked(e, NULL);
	}
	return found;
}

/*
 * TD, cached by A with relay r1.test (and by A2, A's second instance on
 * the same redis, from the cache shared there), moves to r2.test by its
 * own signed update_twin: A's and A2's messages for it go to B from the
 * next poll.
 */
static void
test_update(const struct relay_proc *a, const struct relay_proc *a2,
    const struct relay_proc *b)
{
	struct wsc	 w1, w2, wa, wb;
	uint8_t		 ext[CHAIN_EXT_MAX];
	char		 why[256], uid[32];
	long long	 misses, updated, hits;
	double		 t0, t1 = 0, t2 = 0;
	size_t		 n;
	int		 i, moved = 0, moved2 = 0;

	ok(rf_logged(a, "tfchain events: following finalized blocks from", WAIT),
	    "A's listener follows the finalized chain");
	ok(rf_session(&w1, a, &tw[T1], NULL) == 0 &&
	    rf_session(&wa, a, &tw[TD], NULL) == 0, "twins %u and %u connect "
	    "to A", tw[T1].id, tw[TD].id);
	send_req(&w1, T1, tw[TD].id, "before");
	ok(arrives(&wa, "before", WAIT), "A delivers to %u locally: it is "
	    "cached with relay r1.test", tw[TD].id);
	hits = rf_metric(a2, "relay_twin_shared_total{result=\"hit\"}");
	ok(rf_session(&w2, a2, &tw[T2], NULL) == 0, "twin %u connects to A2",
	    tw[T2].id);
	send_req(&w2, T2, tw[TD].id, "before2");
	ok(arrives(&wa, "before2", WAIT) && rf_metric(a2,
	    "relay_twin_shared_total{result=\"hit\"}") > (hits < 0 ? 0 : hits),
	    "A2 takes %u from the shared cache and stores for A", tw[TD].id);
	/* A session here would take its messages whatever the relay field. */
	wsc_close(&wa);
	ok(rf_session(&wb, b, &tw[TD], NULL) == 0, "%u leaves A and connects "
	    "to B", tw[TD].id);
	misses = rf_metric(a, "rmb_cache_misses_total");
	updated = rf_metric(a, "events_listener_twin_updated_total");

	n = chain_update_twin(&srv, ext, tw[TD].seed, 0, "r2.test", NULL, 0);
	t0 = chain_now_s();
	ok(n > 0 && chain_submit(&srv, ext, n, why, sizeof(why)) == 1,
	    "update_twin(r2.test) signed by %u accepted", tw[TD].id);
	for (i = 0; !(moved && moved2) && chain_now_s() - t0 <
	    FOLLOW_MS / 1000.; i++) {
		snprintf(uid, sizeof(uid), "m%d", i);
		if (!moved) {
			send_req(&w1, T1, tw[TD].id, uid);
			if ((moved = arrives(&wb, uid, 200)))
				t1 = chain_now_s();
		}
		snprintf(uid, sizeof(uid), "n%d", i);
		if (!moved2) {
			send_req(&w2, T2, tw[TD].id, uid);
			if ((moved2 = arrives(&wb, uid, 200)))
				t2 = chain_now_s();
		}
	}
	ok(moved, "A now routes %u's messages to B through the federation",
	    tw[TD].id);
	ok(moved2, "and so does A2");
	if (moved && moved2)
		diag("update_twin submitted to the first message routed to "
		    "the new relay: A %.2f s, A2 %.2f s (poll period 2 s)",
		    t1 - t0, t2 - t0);
	ok(rf_metric(a, "events_listener_twin_updated_total") == updated + 1,
	    "events_listener_twin_updated_total counts it");
	ok(rf_metric(a, "rmb_cache_misses_total") == misses, "the cached "
	    "twin was replaced, not read again (misses %lld)", misses);
	wsc_close(&w1);
	wsc_close(&w2);
	wsc_close(&wb);
}

/* A block whose System.Events holds TwinDeleted(id) alone. */
static int
deleted_block(uint32_t id)
{
	uint8_t		key[TFCHAIN_KEY_VALUE_LEN], val[16];

	/* One record: ApplyExtrinsic(1), TfgridModule 25, event 15, id. */
	memcpy(val, "\x04\x00\x01\x00\x00\x00\x19\x0f", 8);
	val[8] = (uint8_t)id;
	val[9] = (uint8_t)(id >> 8);
	val[10] = (uint8_t)(id >> 16);
	val[11] = (uint8_t)(id >> 24);
	val[12] = 0;
	tfchain_key_value(key, "System", "Events");
	if (chain_new_blocks(&srv, 1) == -1)
		return -1;
	return chain_set_storage(&srv, key, sizeof(key), val, 13);
}

static void
test_deleted(const struct relay_proc *a)
{
	struct wsc	 wg;
	long long	 misses, deleted;

	ok(rf_session(&wg, a, &tw[TGONE], NULL) == 0 && rf_pong(&wg, &tw[TGONE]),
	    "twin %u connects, so A caches it", tw[TGONE].id);
	wsc_close(&wg);
	misses = rf_metric(a, "rmb_cache_misses_total");
	ok(rf_session(&wg, a, &tw[TGONE], NULL) == 0 &&
	    rf_metric(a, "rmb_cache_misses_total") == misses, "again, from "
	    "the cache");
	wsc_close(&wg);
	deleted = rf_metric(a, "events_listener_twin_deleted_total");
	/* Stopped, so that A reads the block after its events are set. */
	kill(a->pid, SIGSTOP);
	ok(deleted_block(tw[TGONE].id) == 0, "a block with TwinDeleted(%u)",
	    tw[TGONE].id);
	kill(a->pid, SIGCONT);
	ok(metric_reaches(a, "events_listener_twin_deleted_total",
	    deleted + 1, FOLLOW_MS) == deleted + 1, "A counts the TwinDeleted "
	    "event");
	ok(rf_session(&wg, a, &tw[TGONE], NULL) == 0 &&
	    rf_metric(a, "rmb_cache_misses_total") > misses, "A forgot "
	    "the twin: its next session reads it again (still in storage)");
	wsc_close(&wg);
}

/* The finalized head's number, or 0. */
static uint64_t
head(void)
{
	uint8_t		hash[32];
	uint64_t	n = 0;

	if (chain_head(&srv, &n, hash) == -1)
		return 0;
	return n;
}

static void
test_catchup(void)
{
	struct relay_proc	 c, d;
	struct wsc		 w;
	const char		*cx[] = { "-m", "r1.test", "-s", srv.url,
				    "--catchup-threshold", "10", NULL };
	const char		*dx[] = { "-m", "r1.test", "-s", srv.url,
				    "--catchup-threshold", "30", NULL };
	uint64_t		 h;

	if (start_relay(&c, "c", redis_b.port, cx) == -1 ||
	    start_relay(&d, "d", redis_b.port, dx) == -1) {
		ok(0, "relays C and D start");
		return;
	}
	ok(rf_logged(&c, "tfchain events: following finalized blocks from",
	    WAIT) && rf_logged(&d, "tfchain events: following finalized blocks "
	    "from", WAIT), "C (--catchup-threshold 10) and D (30) follow the "
	    "chain");
	ok(rf_session(&w, &c, &tw[T1], NULL) == 0, "twin %u cached by C",
	    tw[T1].id);
	wsc_close(&w);
	ok(rf_session(&w, &d, &tw[T1], NULL) == 0, "and by D");
	wsc_close(&w);
	ok(rf_metric(&c, "rmb_cache_entries") == 1 &&
	    rf_metric(&d, "rmb_cache_entries") == 1, "one twin in each cache");

	kill(c.pid, SIGSTOP);
	kill(d.pid, SIGSTOP);
	ok(chain_new_blocks(&srv, 20) == 0 && (h = head()) > 0, "20 blocks "
	    "built while they are stopped");
	kill(c.pid, SIGCONT);
	kill(d.pid, SIGCONT);
	h = head();
	ok(metric_reaches(&c, "events_listener_last_processed_block_number",
	    (long long)h, FOLLOW_MS) == (long long)h &&
	    metric_reaches(&d, "events_listener_last_processed_block_number",
	    (long long)h, FOLLOW_MS) == (long long)h, "both reach block %llu",
	    (unsigned long long)h);
	ok(rf_metric(&c, "events_listener_flushes_total") == 1 &&
	    rf_metric(&c, "rmb_cache_flushes_total") == 1 &&
	    rf_metric(&c, "rmb_cache_entries") == 0, "C, 20 blocks behind "
	    "over 10: flushed once, the cache empty");
	ok(rf_metric(&d, "events_listener_flushes_total") == 0 &&
	    rf_metric(&d, "rmb_cache_entries") == 1, "D, under 30: replayed "
	    "them, no flush, the twin still cached");
	ok(rf_logged(&c, "blocks behind, over the threshold of 10", 0),
	    "C's log says why it flushed");
	proc_stop(c.pid, WAIT);
	proc_stop(d.pid, WAIT);
}

/* The figures of a relay that has followed a few blocks. */
static void
test_metrics(const struct relay_proc *a)
{
	long long	fin, last;

	fin = rf_metric(a, "events_listener_finalized_block_number");
	last = rf_metric(a, "events_listener_last_processed_block_number");
	ok(fin > 0 && last > 0 && last <= fin && fin <= (long long)head(),
	    "finalized %lld, last processed %lld, at most the head", fin,
	    last);
	ok(rf_metric(a, "events_listener_reconnecting") == 0 &&
	    rf_metric(a, "events_listener_disabled") == 0 &&
	    rf_metric(a, "events_listener_errors_total{stage=\"decode\"}") ==
	    0 && rf_metric(a,
	    "events_listener_errors_total{stage=\"cache_set\"}") == 0 &&
	    rf_metric(a, "events_listener_errors_total{stage=\"rpc\"}") >= 0,
	    "not reconnecting, not disabled, no decode error");
	ok(rf_metric(a, "events_listener_twin_stored_total") == 0 &&
	    rf_metric(a, "events_listener_flushes_total") == 0 &&
	    rf_metric(a, "events_listener_reconnect_cycles_total") >= 0,
	    "no twin stored, no flush");
}

/* Stopping the chain: the listener retries and says so; then resumes. */
static void
test_unreachable(const struct relay_proc *a)
{
	long long	cycles, rpc;

	cycles = rf_metric(a, "events_listener_reconnect_cycles_total");
	rpc = rf_metric(a, "events_listener_errors_total{stage=\"rpc\"}");
	kill(srv.pid, SIGSTOP);
	ok(metric_reaches(a, "events_listener_reconnecting", 1, 40000) == 1,
	    "chain stopped: events_listener_reconnecting 1");
	kill(srv.pid, SIGCONT);
	ok(metric_reaches(a, "events_listener_reconnect_cycles_total",
	    cycles + 1, 40000) > cycles && rf_metric(a,
	    "events_listener_errors_total{stage=\"rpc\"}") > rpc,
	    "a failed call counted, a retry made");
	ok(chain_new_blocks(&srv, 1) == 0 &&
	    metric_reaches(a, "events_listener_last_processed_block_number",
	    (long long)head(), 40000) == (long long)head() &&
	    rf_metric(a, "events_listener_reconnecting") == 0, "chain back: "
	    "the listener follows again");
}

int
main(void)
{
	struct relay_proc	 a, a2, b;
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
	if ((rc = rf_begin("relay-events", dir, sizeof(dir), bin, sizeof(bin),
	    &redis_a, &redis_b)) != -1)
		return rc;
	if ((rc = chain_begin(&srv)) != -1) {
		redis_stop(&redis_a);
		redis_stop(&redis_b);
		return rc;
	}
	if (sodium_init() < 0) {
		printf("Bail out! libsodium\n");
		return 1;
	}

	rc_twin_init(&tw[T1], 1, KEY_SR25519, "r1.test", 1);
	rc_twin_init(&tw[TD], 201, KEY_ED25519, "r1.test", 2);
	rc_twin_init(&tw[TGONE], 3, KEY_SR25519, "r1.test", 3);
	rc_twin_init(&tw[T2], 4, KEY_SR25519, "r1.test", 4);
	for (i = 0, rc = 0; i < NTWINS; i++)
		rc |= on_chain(&tw[i]);
	rc |= chain_fund(&srv, tw[TD].ident.account);
	ok(rc == 0, "twins written on chain, %u funded", tw[TD].id);

	if (start_relay(&b, "b", redis_b.port, bextra) == -1) {
		printf("Bail out! relay B does not start (see %s)\n", dir);
		return 1;
	}
	snprintf(cto, sizeof(cto), "r2.test:80:127.0.0.1:%d", b.port);
	if (start_relay(&a, "a", redis_a.port, aextra) == -1) {
		printf("Bail out! relay A does not start (see %s)\n", dir);
		return 1;
	}
	if (start_relay(&a2, "a2", redis_a.port, aextra) == -1) {
		printf("Bail out! relay A2 does not start (see %s)\n", dir);
		return 1;
	}
	test_update(&a, &a2, &b);
	proc_stop(a2.pid, WAIT);
	test_deleted(&a);
	test_metrics(&a);
	test_catchup();
	test_unreachable(&a);

	st = proc_stop(a.pid, WAIT);
	ok(WIFEXITED(st) && WEXITSTATUS(st) == 0,
	    "SIGTERM: relay A stops cleanly (status %d)", st);
	proc_stop(b.pid, WAIT);
	chain_stop(&srv);
	redis_stop(&redis_a);
	redis_stop(&redis_b);
	work_dir_done(dir, tap_failed != 0);
	diag("whole test %.1f s", chain_now_s() - t0);
	return done_testing();
}
