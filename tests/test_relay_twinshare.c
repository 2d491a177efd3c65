/* SPDX-License-Identifier: ISC */
/*
 * Relays on one redis share their twins (doc/relay.md §4.4), against a
 * real tfchain runtime (spec 144 under chopsticks, tests/chain_fixture):
 * a twin relay A read from the chain is found by relay B in redis
 * without a chain read; a garbage value (or a key of another type) is a
 * miss, and the chain's answer replaces it; a key expires with the
 * writer's --twin-ttl, and a reader keeps it in memory no longer; with
 * redis stopped or gone, lookups are answered from the chain.  Chain
 * reads are counted by the relays' relay_twin_chain_reads_total, and
 * printed with the shared cache and without (--no-shared-twin-cache).
 */
#include <sys/wait.h>

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "chain_fixture.h"
#include "harness.h"
#include "relay_fixture.h"
#include "relay_twinval.h"
#include "tap.h"

#define WAIT	RF_WAIT
#define NSHARED	5	/* twins 1-5: read by A, then by B */

static char		 dir[256];
static const char	*relay_bin;
static struct chain_srv	 srv;
static struct rf_redis	 rd;

/* Twins 1 to 14, all on chain. */
#define NTWINS	15
static struct rc_twin	 tw[NTWINS];

static int
on_chain(const struct rc_twin *t)
{
	return chain_put_twin(&srv, t->id, t->ident.account, t->relay, NULL,
	    0);
}

static int
start_relay(struct relay_proc *p, const char *name, const char *ttl,
    int shared)
{
	const char	*opts[] = { "-d", "-w", "2", "-u", "100", "-m", "r1.test",
			    "-s", srv.url, "--twin-ttl", ttl, NULL, NULL };

	if (!shared)
		opts[11] = "--no-shared-twin-cache";
	return rf_start(p, relay_bin, dir, name, rd.port, 0, opts, NULL);
}

/* A counter of the relay, 0 while its labelled series is not shown. */
static long long
metric(const struct relay_proc *p, const char *name)
{
	long long	v = rf_metric(p, name);

	return v < 0 ? 0 : v;
}

static long long
reads(const struct relay_proc *p)
{
	return metric(p, "relay_twin_chain_reads_total");
}

static long long
shared(const struct relay_proc *p, const char *result)
{
	char	name[80];

	snprintf(name, sizeof(name), "relay_twin_shared_total{result=\"%s\"}",
	    result);
	return metric(p, name);
}

/* Twin t connects to p and its session works (its twin was read). */
static int
works(const struct relay_proc *p, int t)
{
	struct wsc	w;
	int		r;

	if (rf_session(&w, p, &tw[t], NULL) == -1)
		return 0;
	r = rf_pong(&w, &tw[t]);
	wsc_close(&w);
	return r;
}

/*
 * Twin t connects to p, which reads its twin; nothing else is waited
 * for (with redis away the session cannot join the switch).
 */
static int
looked_up(const struct relay_proc *p, int t)
{
	struct wsc	w;
	char		line[80];
	int		r;

	if (rf_session(&w, p, &tw[t], NULL) == -1)
		return 0;
	snprintf(line, sizeof(line), ": twin %u read", tw[t].id);
	r = rf_logged(p, line, WAIT);
	wsc_drop(&w);
	return r;
}

/*
 * The shared value of twin t: 1 with *pttl set when it decodes to t's
 * twin, 0 when absent, -1 otherwise.
 */
static int
key_of(int t, long long *pttl)
{
	struct rreply		*rep;
	struct twin_record	 rec;
	uint64_t		 ms;
	char			 key[RELAY_TWIN_KEY_MAX];
	int			 rv = -1;

	relay_twinval_key(key, tw[t].id);
	if ((rep = redis_cmdf(rd.port, "GET %s", key)) == NULL)
		return -1;
	if (rep->type == 0)
		rv = 0;
	else if (rep->type == '$' && relay_twinval_decode(&rec, &ms,
	    (const uint8_t *)rep->str, rep->len, NULL) == 0 &&
	    rec.id == tw[t].id && memcmp(rec.account, tw[t].ident.account,
	    32) == 0)
		rv = 1;
	rreply_free(rep);
	*pttl = -3;
	if (rv == 1 && (rep = redis_cmdf(rd.port, "PTTL %s", key)) != NULL) {
		if (rep->type == ':')
			*pttl = rep->integer;
		rreply_free(rep);
	}
	return rv;
}

/* Waits up to timeout_ms for twin t's key to go. */
static int
key_gone(int t, int timeout_ms)
{
	long long	pttl;
	int		waited;

	for (waited = 0; waited <= timeout_ms; waited += 100) {
		if (key_of(t, &pttl) == 0)
			return 1;
		usleep(100000);
	}
	return 0;
}

static void
test_shared(const struct relay_proc *a, const struct relay_proc *b,
    const struct relay_proc *d, const struct relay_proc *e)
{
	long long	 a0 = reads(a), b0 = reads(b), d0 = reads(d), e0 = reads(e);
	long long	 hits0 = shared(b, "hit"), pttl = 0;
	long long	 slow0 = shared(b, "timeout"), slow;
	long long	 ra, rb, rdd, re;
	int		 t, all = 1, keys = 1;

	ok(rf_logged(a, "(cached in redis too)", 0) &&
	    !rf_logged(d, "(cached in redis too)", 0),
	    "the log says whether twins are kept in redis");
	for (t = 1; t <= NSHARED; t++)
		all &= works(a, t);
	ok(all, "relay A: twins 1-%d connect, each read from the chain",
	    NSHARED);
	for (t = 1; t <= NSHARED; t++)
		keys &= key_of(t, &pttl) == 1 && pttl > 0 && pttl <= 30000;
	ok(keys, "redis holds relay.twin.1-%d, each the twin read, expiring "
	    "within A's --twin-ttl 30 (PTTL %lld)", NSHARED, pttl);
	ok(shared(a, "miss") >= NSHARED, "relay A: %lld shared misses",
	    shared(a, "miss"));
	for (t = 1; t <= NSHARED; t++)
		all &= works(b, t);
	ok(all, "relay B: twins 1-%d connect", NSHARED);
	ra = reads(a) - a0;
	rb = reads(b) - b0;
	/*
	 * A redis answer later than the relay waits (a loaded machine) is
	 * a chain read, and counted: each of B's must be one of those.
	 */
	slow = shared(b, "timeout") - slow0;
	ok(ra == NSHARED && rb == slow && slow < NSHARED &&
	    shared(b, "hit") - hits0 == NSHARED - slow,
	    "relay B found them in redis: no chain read (A %lld, B %lld, B's "
	    "hits %lld, late answers %lld)", ra, rb, shared(b, "hit") - hits0,
	    slow);

	for (t = 1; t <= NSHARED; t++)
		all &= works(d, t) && works(e, t);
	rdd = reads(d) - d0;
	re = reads(e) - e0;
	ok(all && rdd == NSHARED && re == NSHARED, "without the shared cache "
	    "each relay reads every twin (D %lld, E %lld)", rdd, re);
	diag("chain twin reads, %d twins looked up on 2 relays: %lld with "
	    "the shared cache (A %lld + B %lld), %lld without (D %lld + E "
	    "%lld)", NSHARED, ra + rb, ra, rb, rdd + re, rdd, re);
}

/* A value that is not ours: a miss, the chain is read, the value fixed. */
static void
test_garbage(const struct relay_proc *a)
{
	struct rreply	*rep;
	long long	 r0 = reads(a), bad0 = shared(a, "bad"), pttl = 0;
	int		 set;

	rep = redis_cmdf(rd.port, "SET relay.twin.6 garbage");
	set = rep != NULL && rep->type == '+';
	rreply_free(rep);
	ok(set && works(a, 6), "garbage in relay.twin.6: twin 6 still "
	    "connects");
	ok(reads(a) - r0 == 1 && shared(a, "bad") - bad0 == 1,
	    "garbage: counted bad, and the chain read once");
	set = key_of(6, &pttl) == 1;
	ok(set && pttl > 0, "garbage: replaced by twin 6 with a TTL (%lld ms)",
	    pttl);

	rep = redis_cmdf(rd.port, "HSET relay.twin.7 f v");
	set = rep != NULL && rep->type == ':';
	rreply_free(rep);
	ok(set && works(a, 7) && shared(a, "bad") - bad0 == 2 &&
	    key_of(7, &pttl) == 1, "a hash in relay.twin.7: bad, twin 7 "
	    "connects, the key becomes its value");
}

/*
 * C writes with --twin-ttl 2: the key goes after 2 s, and B, which took
 * the twin from redis, no longer has it in memory either.
 */
static void
test_expiry(const struct relay_proc *b, const struct relay_proc *c)
{
	long long	pttl = 0, miss0, hit0, r0;
	int		got;

	got = works(c, 8) && key_of(8, &pttl) == 1;
	ok(got && pttl > 0 && pttl <= 2000, "relay C (--twin-ttl 2) puts "
	    "twin 8 with PTTL %lld", pttl);
	hit0 = shared(b, "hit");
	ok(works(b, 8) && shared(b, "hit") - hit0 == 1,
	    "relay B (--twin-ttl 30) takes twin 8 from redis");
	ok(key_gone(8, WAIT), "the key expires by itself");
	miss0 = metric(b, "rmb_cache_misses_total");
	r0 = reads(b);
	ok(works(b, 8) && metric(b, "rmb_cache_misses_total") > miss0 &&
	    reads(b) - r0 == 1, "B kept it in memory no longer than redis "
	    "did: a cache miss, a chain read");
}

/* redis stopped (SIGSTOP), then gone (SIGKILL), then back. */
static void
test_redis_away(const struct relay_proc *a, const struct relay_proc *b)
{
	long long	r0 = reads(a), to0 = shared(a, "timeout");
	long long	err0;

	kill(rd.pid, SIGSTOP);
	ok(looked_up(a, 9), "redis stopped: twin 9 is still read");
	ok(shared(a, "timeout") - to0 == 1 && reads(a) - r0 == 1,
	    "redis stopped: the lookup timed out and went to the chain");
	kill(rd.pid, SIGCONT);

	rf_redis_kill(&rd);
	err0 = shared(a, "error");
	r0 = reads(a);
	ok(looked_up(a, 10), "redis gone: twin 10 is still read");
	ok(shared(a, "error") - err0 == 1 && reads(a) - r0 == 1,
	    "redis gone: counted as error, read from the chain");
	ok(rf_alive(a) && rf_alive(b), "both relays stay up");
	ok(rf_redis_restart(&rd) == 0, "redis is back, empty");
	/* The relays reconnect within their 2 s backoff. */
	usleep(2500000);
	ok(works(a, 11) && works(b, 11), "twin 11 connects to A, then B");
}

int
main(void)
{
	struct relay_proc	 a, b, c, d, e;
	char			 bin[512];
	double			 t0 = chain_now_s();
	int			 rc, st, i;

	setvbuf(stdout, NULL, _IOLBF, 0);
	relay_bin = bin;
	if ((rc = rf_begin("relay-twinshare", dir, sizeof(dir), bin,
	    sizeof(bin), NULL, NULL)) != -1)
		return rc;
	if ((rc = rf_redis_start(&rd, dir, 0)) == -2) {
		printf("1..0 # SKIP redis-server is not installed\n");
		return 0;
	}
	if (rc == -1) {
		printf("Bail out! redis-server does not start\n");
		return 1;
	}
	if ((rc = chain_begin(&srv)) != -1) {
		rf_redis_stop(&rd);
		return rc;
	}

	for (i = 1, rc = 0; i < NTWINS; i++) {
		rc_twin_init(&tw[i], (uint32_t)i,
		    i % 2 ? KEY_SR25519 : KEY_ED25519, "r1.test",
		    (uint8_t)i);
		rc |= on_chain(&tw[i]);
	}
	ok(rc == 0, "twins 1-%d written on chain", NTWINS - 1);

	if (start_relay(&a, "a", "30", 1) == -1 ||
	    start_relay(&b, "b", "30", 1) == -1 ||
	    start_relay(&c, "c", "2", 1) == -1 ||
	    start_relay(&d, "d", "30", 0) == -1 ||
	    start_relay(&e, "e", "30", 0) == -1) {
		printf("Bail out! a relay does not start (see %s)\n", dir);
		return 1;
	}
	test_shared(&a, &b, &d, &e);
	test_garbage(&a);
	test_expiry(&b, &c);
	test_redis_away(&a, &b);

	st = proc_stop(a.pid, WAIT);
	ok(WIFEXITED(st) && WEXITSTATUS(st) == 0,
	    "SIGTERM: relay A stops cleanly (status %d)", st);
	proc_stop(b.pid, WAIT);
	proc_stop(c.pid, WAIT);
	proc_stop(d.pid, WAIT);
	proc_stop(e.pid, WAIT);
	chain_stop(&srv);
	rf_redis_stop(&rd);
	work_dir_done(dir, tap_failed != 0);
	diag("whole test %.1f s", chain_now_s() - t0);
	return done_testing();
}
