/* SPDX-License-Identifier: ISC */
/*
 * The twin directory's chain source against a loopback stub node: one
 * state_getStorage for concurrent misses of one id, answers from the
 * cache after that, absent twins and undecodable values, the node's
 * errors and dead endpoints, twin ids by account (never cached),
 * cancelling callbacks by argument, closing with reads in flight, and a
 * shared level in front of the chain (a fake one, in memory).
 */
#include <sys/wait.h>

#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "chainrpc.h"
#include "harness.h"
#include "hex.h"
#include "log.h"
#include "scale.h"
#include "tap.h"
#include "tfchain_read.h"
#include "twindir.h"

#define ID_FOUND	7	/* a twin with a relay and a pk */
#define ID_ABSENT	8	/* null */
#define ID_GARBLED	9	/* a value that is not a Twin */
#define ID_REFUSED	10	/* the node answers with an error */

static struct twindir	 d;
static char		 found_hex[2 * TWIN_ENCODED_MAX + 3];
static char		 key_hex[5][2 * TFCHAIN_KEY_TWIN_BY_ACCOUNT_LEN + 1];
static uint8_t		 account[32], stranger[32];
static char		 dump[] = "/tmp/rmb-twindir.XXXXXX";
static int		 pending;	/* callbacks still to come */

struct got {
	int			 calls;
	int			 rv;
	struct twin_record	 t;
	uint32_t		 id;
	void			*cancel;	/* cancel this from the callback */
	int			 lookup_again;	/* and look up this id again */
};

static void
twin_cb(void *arg, int rv, const struct twin_record *t)
{
	struct got	*g = arg;

	g->calls++;
	g->rv = rv;
	if (t != NULL)
		g->t = *t;
	if (g->cancel != NULL) {
		twindir_cancel(&d, g->cancel);
		pending--;
	}
	if (g->lookup_again != 0) {
		pending++;
		twindir_lookup(&d, (uint32_t)g->lookup_again, 1000, twin_cb,
		    g->cancel);
		g->lookup_again = 0;
	}
	if (--pending <= 0)
		ev_break(EV_DEFAULT, EVBREAK_ALL);
}

static void
id_cb(void *arg, int rv, uint32_t id)
{
	struct got	*g = arg;

	g->calls++;
	g->rv = rv;
	g->id = id;
	if (--pending <= 0)
		ev_break(EV_DEFAULT, EVBREAK_ALL);
}

static void
timeout_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	(void)w;
	(void)revents;
	ev_break(loop, EVBREAK_ALL);
}

/* Runs the loop until pending is 0, or for at most secs. */
static void
run(double secs)
{
	ev_timer	t;

	ev_timer_init(&t, timeout_cb, secs, 0.);
	ev_timer_start(EV_DEFAULT, &t);
	if (pending > 0 || secs < 1)
		ev_run(EV_DEFAULT, 0);
	ev_timer_stop(EV_DEFAULT, &t);
}

/* The stub node's result for a state_getStorage request body. */
static const char *
result_for(const char *req)
{
	if (strstr(req, key_hex[0]) != NULL)
		return found_hex;
	if (strstr(req, key_hex[1]) != NULL)
		return "null";
	if (strstr(req, key_hex[2]) != NULL)
		return "\"0x0102\"";
	if (strstr(req, key_hex[3]) != NULL)
		return "\"0x07000000\"";
	if (strstr(req, key_hex[4]) != NULL)
		return "null";
	return NULL;
}

/*
 * A node that answers state_getStorage from the table above, after a
 * short delay so that lookups pile up, and appends each request body to
 * the dump file, one a line.
 */
static const char *
answer(const char *req, int *status, void *arg)
{
	static char	 body[4096];
	FILE		*f;

	(void)status;
	(void)arg;
	usleep(50000);
	if ((f = fopen(dump, "a")) != NULL) {
		fprintf(f, "%s\n", http_body(req));
		fclose(f);
	}
	return jsonrpc_answer(body, sizeof(body), req, result_for(req),
	    "no such key");
}

/* How many requests so far asked for key k. */
static int
asked(int k)
{
	char	line[8192];
	FILE	*f;
	int	n = 0;

	if ((f = fopen(dump, "r")) == NULL)
		return 0;
	while (fgets(line, sizeof(line), f) != NULL)
		n += strstr(line, key_hex[k]) != NULL &&
		    strstr(line, "\"state_getStorage\"") != NULL;
	fclose(f);
	return n;
}

static void
setup_table(void)
{
	struct twin_record	t;
	struct scale_wr		w;
	uint8_t			buf[TWIN_ENCODED_MAX];
	uint8_t			key[TFCHAIN_KEY_TWIN_BY_ACCOUNT_LEN];

	memset(account, 0x5a, sizeof(account));
	memset(stranger, 0xa5, sizeof(stranger));
	memset(&t, 0, sizeof(t));
	t.id = ID_FOUND;
	memcpy(t.account, account, 32);
	t.has_relay = 1;
	snprintf(t.relay, sizeof(t.relay), "r1.example_r2.example");
	t.has_pk = 1;
	t.pklen = 33;
	memset(t.pk, 0x02, 33);
	scale_wr_init(&w, buf, sizeof(buf));
	if (twin_encode(&w, &t) != 0)
		abort();
	memcpy(found_hex, "\"0x", 3);
	hex_encode(found_hex + 3, buf, w.len);
	strcat(found_hex, "\"");

	tfchain_key_twin(key, ID_FOUND);
	hex_encode(key_hex[0], key, TFCHAIN_KEY_TWIN_LEN);
	tfchain_key_twin(key, ID_ABSENT);
	hex_encode(key_hex[1], key, TFCHAIN_KEY_TWIN_LEN);
	tfchain_key_twin(key, ID_GARBLED);
	hex_encode(key_hex[2], key, TFCHAIN_KEY_TWIN_LEN);
	tfchain_key_twin_by_account(key, account);
	hex_encode(key_hex[3], key, sizeof(key));
	tfchain_key_twin_by_account(key, stranger);
	hex_encode(key_hex[4], key, sizeof(key));
}

static void
test_coalesced(void)
{
	struct got	a, b, c, e;

	memset(&a, 0, sizeof(a));
	memset(&b, 0, sizeof(b));
	memset(&c, 0, sizeof(c));
	pending = 2;
	twindir_lookup(&d, ID_FOUND, 1000, twin_cb, &a);
	twindir_lookup(&d, ID_FOUND, 1000, twin_cb, &b);
	twindir_lookup(&d, ID_FOUND, 1000, twin_cb, &c);
	ok(a.calls == 0 && b.calls == 0 && c.calls == 0,
	    "a miss answers later, from the loop");
	twindir_cancel(&d, &b);
	run(5);
	ok(a.calls == 1 && a.rv == 1 && c.calls == 1 && c.rv == 1 &&
	    a.t.id == ID_FOUND && strcmp(a.t.relay, "r1.example_r2.example") ==
	    0 && a.t.has_pk && a.t.pklen == 33 &&
	    memcmp(a.t.account, account, 32) == 0 && c.t.id == ID_FOUND,
	    "both waiters get the decoded twin");
	ok(b.calls == 0, "the cancelled waiter is never called");
	ok(asked(0) == 1 && d.misses == 1,
	    "three concurrent misses: one state_getStorage (%d)", asked(0));
	ok(twindir_cached(&d) == 1, "the twin is cached");

	memset(&e, 0, sizeof(e));
	pending = 1;
	twindir_lookup(&d, ID_FOUND, 1100, twin_cb, &e);
	ok(e.calls == 1 && e.rv == 1 && e.t.id == ID_FOUND && d.hits == 1 &&
	    asked(0) == 1, "a hit is answered before lookup returns");
	twindir_forget(&d, ID_FOUND);
	memset(&e, 0, sizeof(e));
	pending = 1;
	twindir_lookup(&d, ID_FOUND, 1100, twin_cb, &e);
	ok(e.calls == 0, "after forget, the chain is asked again");
	run(5);
	ok(e.calls == 1 && e.rv == 1 && asked(0) == 2, "and answers");
	memset(&e, 0, sizeof(e));
	pending = 1;
	twindir_lookup(&d, ID_FOUND, 1400, twin_cb, &e);
	run(5);
	ok(e.calls == 1 && e.rv == 1 && asked(0) == 3,
	    "past its ttl the twin is read again");
}

static void
test_misses(void)
{
	struct got	a, b;

	memset(&a, 0, sizeof(a));
	pending = 1;
	twindir_lookup(&d, ID_ABSENT, 1000, twin_cb, &a);
	run(5);
	ok(a.calls == 1 && a.rv == 0, "a null value: no such twin");
	memset(&a, 0, sizeof(a));
	pending = 1;
	twindir_lookup(&d, ID_ABSENT, 1000, twin_cb, &a);
	run(5);
	ok(a.calls == 1 && a.rv == 0 && asked(1) == 2,
	    "an absent twin is never cached: asked again");

	memset(&a, 0, sizeof(a));
	pending = 1;
	twindir_lookup(&d, ID_GARBLED, 1000, twin_cb, &a);
	run(5);
	ok(a.calls == 1 && a.rv == -1, "a value that is not a Twin: -1");
	memset(&a, 0, sizeof(a));
	memset(&b, 0, sizeof(b));
	pending = 2;
	twindir_lookup(&d, ID_REFUSED, 1000, twin_cb, &a);
	twindir_lookup(&d, ID_REFUSED, 1000, twin_cb, &b);
	run(5);
	ok(a.calls == 1 && a.rv == -1 && b.calls == 1 && b.rv == -1,
	    "the node's error: -1 to every waiter");
	ok(twindir_cached(&d) == 1, "none of these is cached");
}

static void
test_accounts(void)
{
	struct got	a, b;

	memset(&a, 0, sizeof(a));
	memset(&b, 0, sizeof(b));
	pending = 2;
	twindir_lookup_account(&d, account, id_cb, &a);
	twindir_lookup_account(&d, stranger, id_cb, &b);
	run(5);
	ok(a.calls == 1 && a.rv == 1 && a.id == ID_FOUND,
	    "TwinIdByAccountID: twin %u", a.id);
	ok(b.calls == 1 && b.rv == 0, "an account without a twin: 0");
	memset(&a, 0, sizeof(a));
	pending = 1;
	twindir_lookup_account(&d, account, id_cb, &a);
	run(5);
	ok(a.calls == 1 && a.rv == 1 && asked(3) == 2,
	    "twin ids by account are never cached");
}

/* A callback may cancel another waiter of the same read, and look up. */
static void
test_reentry(void)
{
	struct got	a, b;

	memset(&a, 0, sizeof(a));
	memset(&b, 0, sizeof(b));
	twindir_forget(&d, ID_FOUND);
	a.cancel = &b;
	a.lookup_again = ID_ABSENT;
	pending = 2;
	twindir_lookup(&d, ID_FOUND, 2000, twin_cb, &a);
	twindir_lookup(&d, ID_FOUND, 2000, twin_cb, &b);
	run(5);
	ok(a.calls == 1 && a.rv == 1, "the first waiter is called");
	ok(b.calls == 1 && b.rv == 0,
	    "the second, cancelled from the first's callback, is not; its "
	    "new lookup is answered");
}

/* A shared level that holds at most one twin and counts its calls. */
static struct {
	int			 gets, puts, dels, flushes;
	int			 refuse;	/* get returns -1 */
	int			 sync;		/* get answers at once */
	int			 has;		/* holds rec */
	struct twin_record	 rec;
	uint64_t		 ttl;
	uint32_t		 asked;		/* the last get's id */
	int			 chain[3];	/* chain outcomes -1, 0, 1 */
} fake;

static int
fake_get(void *arg, uint32_t id)
{
	(void)arg;
	fake.gets++;
	fake.asked = id;
	if (fake.refuse)
		return -1;
	if (fake.sync)
		twindir_shared_answer(&d, id, fake.has && fake.rec.id == id ?
		    &fake.rec : NULL, fake.ttl);
	return 0;
}

static void
fake_put(void *arg, const struct twin_record *t, int only_replace)
{
	(void)arg;
	fake.puts++;
	if (only_replace && !(fake.has && fake.rec.id == t->id))
		return;
	fake.rec = *t;
	fake.has = 1;
}

static void
fake_del(void *arg, uint32_t id)
{
	(void)arg;
	fake.dels++;
	if (fake.rec.id == id)
		fake.has = 0;
}

static void
fake_flush(void *arg)
{
	(void)arg;
	fake.flushes++;
	fake.has = 0;
}

static void
fake_chain(void *arg, int rv)
{
	(void)arg;
	fake.chain[rv + 1]++;
}

static void
test_shared(void)
{
	const struct twindir_shared	 sh = { fake_get, fake_put, fake_del,
					    fake_flush, NULL };
	struct twin_record		 t, upd;
	struct got			 a, b;
	int				 n = asked(0);
	uint64_t			 reads;

	memset(&fake, 0, sizeof(fake));
	twindir_set_shared(&d, &sh);
	twindir_on_chain(&d, fake_chain, NULL);
	twindir_forget(&d, ID_FOUND);
	ok(fake.dels == 1, "shared: forget deletes the shared entry too");

	memset(&a, 0, sizeof(a));
	memset(&b, 0, sizeof(b));
	pending = 2;
	twindir_lookup(&d, ID_FOUND, 5000, twin_cb, &a);
	twindir_lookup(&d, ID_FOUND, 5000, twin_cb, &b);
	ok(fake.gets == 1 && fake.asked == ID_FOUND && asked(0) == n &&
	    a.calls == 0, "shared: two misses of one id ask the shared level "
	    "once, and not the chain yet");
	reads = d.chain_reads;
	twindir_shared_answer(&d, ID_FOUND, NULL, 0);
	run(5);
	ok(a.calls == 1 && a.rv == 1 && b.calls == 1 && b.rv == 1 &&
	    asked(0) == n + 1 && d.chain_reads == reads + 1,
	    "shared: not there: one chain read answers both");
	ok(fake.puts == 1 && fake.has && fake.rec.id == ID_FOUND &&
	    strcmp(fake.rec.relay, "r1.example_r2.example") == 0,
	    "shared: what the chain gave is put in the shared level");
	ok(fake.chain[2] == 1, "shared: the chain read is told to its watcher");

	twindir_forget(&d, ID_FOUND);
	fake.has = 1;
	fake.sync = 1;
	fake.ttl = 5;
	memset(&a, 0, sizeof(a));
	pending = 1;
	twindir_lookup(&d, ID_FOUND, 6000, twin_cb, &a);
	ok(a.calls == 1 && a.rv == 1 && a.t.id == ID_FOUND &&
	    asked(0) == n + 1 && fake.chain[2] == 1,
	    "shared: found there: answered without the chain, before lookup "
	    "returns");
	ok(twindir_get(&d, ID_FOUND, &t, 6004) == 1 &&
	    twindir_get(&d, ID_FOUND, &t, 6005) == 0,
	    "shared: kept in memory only the 5 s it has left there");

	fake.sync = 0;
	memset(&a, 0, sizeof(a));
	pending = 1;
	twindir_lookup(&d, ID_FOUND, 7000, twin_cb, &a);
	twindir_forget(&d, ID_FOUND);
	twindir_shared_answer(&d, ID_FOUND, &fake.rec, 100);
	run(5);
	ok(a.calls == 1 && a.rv == 1 && asked(0) == n + 2,
	    "shared: forgotten while asked there: its answer is not taken, "
	    "the chain is read");

	twindir_forget(&d, ID_FOUND);
	fake.refuse = 1;
	memset(&a, 0, sizeof(a));
	pending = 1;
	twindir_lookup(&d, ID_FOUND, 8000, twin_cb, &a);
	run(5);
	ok(a.calls == 1 && a.rv == 1 && asked(0) == n + 3,
	    "shared: a get that cannot ask goes to the chain at once");
	fake.refuse = 0;

	twindir_shared_answer(&d, ID_ABSENT, &fake.rec, 100);
	ok(twindir_cached(&d) == 1, "shared: an answer nobody waits for is "
	    "ignored");

	upd = fake.rec;
	snprintf(upd.relay, sizeof(upd.relay), "r3.example");
	n = fake.puts;
	twindir_update(&d, &upd, 8100);
	ok(twindir_get(&d, ID_FOUND, &t, 8100) == 1 &&
	    strcmp(t.relay, "r3.example") == 0 && fake.puts == n + 1 &&
	    strcmp(fake.rec.relay, "r3.example") == 0,
	    "shared: update replaces the cached and the shared twin");
	twindir_flush(&d);
	ok(twindir_cached(&d) == 0 && fake.flushes == 1 && !fake.has,
	    "shared: flush empties both");
	twindir_set_shared(&d, NULL);
	twindir_on_chain(&d, NULL, NULL);
	memset(&a, 0, sizeof(a));
	n = fake.gets;
	pending = 1;
	twindir_lookup(&d, ID_FOUND, 9000, twin_cb, &a);
	run(5);
	ok(a.calls == 1 && a.rv == 1 && fake.gets == n,
	    "shared: taken away, lookups go to the chain alone");
}

static void
test_close(void)
{
	struct got	a, b;

	memset(&a, 0, sizeof(a));
	memset(&b, 0, sizeof(b));
	twindir_forget(&d, ID_FOUND);
	pending = 2;
	twindir_lookup(&d, ID_FOUND, 3000, twin_cb, &a);
	twindir_lookup_account(&d, account, id_cb, &b);
	twindir_close(&d);
	pending = 0;
	run(0.3);
	ok(a.calls == 0 && b.calls == 0,
	    "closing with reads in flight: no callback comes");
}

static void
test_dead(struct chainrpc **rpc)
{
	struct got	 a;
	char		 url[64], err[256];
	const char	*urls[1] = { url };

	snprintf(url, sizeof(url), "http://127.0.0.1:%d", free_port());
	*rpc = chainrpc_new(EV_DEFAULT, urls, 1, err, sizeof(err));
	ok(*rpc != NULL && twindir_open_chain(&d, *rpc, 10, 300, err,
	    sizeof(err)) == 0, "a directory over a dead endpoint");
	memset(&a, 0, sizeof(a));
	pending = 1;
	twindir_lookup(&d, ID_FOUND, 1000, twin_cb, &a);
	run(5);
	ok(a.calls == 1 && a.rv == -1, "the endpoint is down: -1");
	twindir_close(&d);
}

int
main(void)
{
	struct chainrpc	*rpc;
	char		 url[64], err[256];
	const char	*urls[1] = { url };
	struct twin_record t;
	int		 port = free_port(), fd;
	pid_t		 s;

	signal(SIGPIPE, SIG_IGN);
	log_init("rmb", 0);
	if ((fd = mkstemp(dump)) == -1)
		return 1;
	close(fd);
	setup_table();
	if ((s = http_stub_start(port, answer, NULL)) == -1) {
		printf("Bail out! cannot start the stub node\n");
		return 1;
	}
	snprintf(url, sizeof(url), "ws://127.0.0.1:%d", port);
	rpc = chainrpc_new(EV_DEFAULT, urls, 1, err, sizeof(err));
	ok(rpc != NULL && twindir_open_chain(&d, rpc, 10, 300, err,
	    sizeof(err)) == 0, "a directory over the stub node");
	ok(twindir_get(&d, ID_FOUND, &t, 1000) == 0 &&
	    twindir_find(&d, account, &t.id) == -1,
	    "the synchronous calls only see the cache");
	test_coalesced();
	test_misses();
	test_accounts();
	test_reentry();
	test_shared();
	test_close();
	chainrpc_free(rpc);
	test_dead(&rpc);
	chainrpc_free(rpc);

	kill(s, SIGKILL);
	waitpid(s, NULL, 0);
	unlink(dump);
	return done_testing();
}
