/* SPDX-License-Identifier: ISC */
/*
 * The relay's shared twin cache (relayd/relay_twinshare.c) as the twin
 * directory drives it, against a real redis-server and a loopback stub
 * node, with two directories in one process standing for two relays:
 * what one reads from the chain the other finds in redis; forget deletes
 * the key; update rewrites it; flush unlinks every relay.twin.* key over
 * several SCAN batches and nothing else.
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
#include "relay_server.h"
#include "relay_twinval.h"
#include "scale.h"
#include "tap.h"

#define NKEYS	1200	/* more than two SCAN batches of 500 */

static struct relay_server	 rs[2];
static struct redis_srv		 redis;
static char			 dump[] = "/tmp/rmb-twinshare.XXXXXX";
static char			 twin_hex[4][2 * TWIN_ENCODED_MAX + 3];
static char			 key_hex[4][2 * TFCHAIN_KEY_TWIN_LEN + 1];

struct got {
	int			calls;
	int			rv;
	struct twin_record	t;
};

static struct twin_record
twin(uint32_t id)
{
	struct twin_record	t;

	memset(&t, 0, sizeof(t));
	t.id = id;
	memset(t.account, (int)id, sizeof(t.account));
	t.has_relay = 1;
	snprintf(t.relay, sizeof(t.relay), "r%u.example", id);
	return t;
}

/* The stub node knows twins 1 to 3. */
static const char *
answer(const char *req, int *status, void *arg)
{
	static char	 body[4096];
	const char	*result = "null";
	FILE		*f;
	int		 i;

	(void)status;
	(void)arg;
	if ((f = fopen(dump, "a")) != NULL) {
		fprintf(f, "%s\n", http_body(req));
		fclose(f);
	}
	for (i = 1; i <= 3; i++)
		if (strstr(req, key_hex[i]) != NULL)
			result = twin_hex[i];
	return jsonrpc_answer(body, sizeof(body), req, result, "no");
}

/* Requests the node had so far. */
static int
asked(void)
{
	char	line[8192];
	FILE	*f;
	int	n = 0;

	if ((f = fopen(dump, "r")) == NULL)
		return 0;
	while (fgets(line, sizeof(line), f) != NULL)
		n++;
	fclose(f);
	return n;
}

static void
timeout_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	(void)w;
	(void)revents;
	ev_break(loop, EVBREAK_ALL);
}

static void
run(double secs)
{
	ev_timer	t;

	ev_timer_init(&t, timeout_cb, secs, 0.);
	ev_timer_start(EV_DEFAULT, &t);
	ev_run(EV_DEFAULT, 0);
	ev_timer_stop(EV_DEFAULT, &t);
}

static void
got_cb(void *arg, int rv, const struct twin_record *t)
{
	struct got	*g = arg;

	g->calls++;
	g->rv = rv;
	if (t != NULL)
		g->t = *t;
	ev_break(EV_DEFAULT, EVBREAK_ALL);
}

static int
look(struct relay_server *r, uint32_t id, uint64_t now)
{
	struct got	g;

	memset(&g, 0, sizeof(g));
	twindir_lookup(&r->twins, id, now, got_cb, &g);
	if (g.calls == 0)
		run(5);
	return g.calls == 1 && g.rv == 1 && g.t.id == id ? 1 : 0;
}

/* relay.twin.<id>: 1 holding relay, 0 absent, -1 otherwise. */
static int
key_holds(uint32_t id, const char *relay)
{
	struct rreply		*rep;
	struct twin_record	 t;
	uint64_t		 ms;
	int			 rv = -1;

	if ((rep = redis_cmdf(redis.port, "GET relay.twin.%u", id)) == NULL)
		return -1;
	if (rep->type == 0)
		rv = 0;
	else if (rep->type == '$' && relay_twinval_decode(&t, &ms,
	    (const uint8_t *)rep->str, rep->len, NULL) == 0 && t.id == id &&
	    strcmp(t.relay, relay) == 0)
		rv = 1;
	rreply_free(rep);
	return rv;
}

/* Runs the loop until key_holds(id, relay) == want, up to 5 s. */
static int
key_becomes(uint32_t id, const char *relay, int want)
{
	int	i;

	for (i = 0; i < 50; i++) {
		if (key_holds(id, relay) == want)
			return 1;
		run(0.1);
	}
	return 0;
}

static long long
dbsize(void)
{
	struct rreply	*rep;
	long long	 n = -1;

	if ((rep = redis_cmdf(redis.port, "DBSIZE")) != NULL &&
	    rep->type == ':')
		n = rep->integer;
	rreply_free(rep);
	return n;
}

static int
relay_init(struct relay_server *r, struct chainrpc *rpc)
{
	char	url[64], err[256];

	memset(r, 0, sizeof(*r));
	r->loop = EV_DEFAULT;
	r->conf.twin_ttl = 30;
	snprintf(url, sizeof(url), "redis://127.0.0.1:%d", redis.port);
	if (redis_url_parse(&r->conf.redis, url, err, sizeof(err)) == -1 ||
	    relay_metrics_init(&r->metrics, 0) == -1 ||
	    twindir_open_chain(&r->twins, rpc, 100, 30, err,
	    sizeof(err)) == -1 || (r->share = relay_twinshare_new(r)) == NULL)
		return -1;
	return 0;
}

static void
setup_table(void)
{
	struct twin_record	t;
	struct scale_wr		w;
	uint8_t			buf[TWIN_ENCODED_MAX];
	uint8_t			key[TFCHAIN_KEY_TWIN_LEN];
	uint32_t		id;

	for (id = 1; id <= 3; id++) {
		t = twin(id);
		scale_wr_init(&w, buf, sizeof(buf));
		if (twin_encode(&w, &t) != 0)
			abort();
		memcpy(twin_hex[id], "\"0x", 3);
		hex_encode(twin_hex[id] + 3, buf, w.len);
		strcat(twin_hex[id], "\"");
		tfchain_key_twin(key, id);
		hex_encode(key_hex[id], key, sizeof(key));
	}
}

static void
test_ops(void)
{
	struct twin_record	 t;
	struct rreply		*rep;
	int			 n, i, okset = 1;

	n = asked();
	ok(look(&rs[0], 1, 1000) && asked() == n + 1 &&
	    key_becomes(1, "r1.example", 1), "A reads twin 1 from the chain "
	    "and writes relay.twin.1");
	ok(look(&rs[1], 1, 1000) && asked() == n + 1 &&
	    rs[1].metrics.share[RELAY_M_SHARE_HIT] == 1 &&
	    rs[1].twins.chain_reads == 0, "B finds it in redis: no chain read");
	ok(rs[0].metrics.share[RELAY_M_SHARE_MISS] == 1,
	    "A's lookup was a shared miss");

	twindir_forget(&rs[1].twins, 1);
	ok(key_becomes(1, "r1.example", 0), "forget deletes relay.twin.1");

	ok(look(&rs[0], 2, 1000) && key_becomes(2, "r2.example", 1),
	    "A reads twin 2 and writes relay.twin.2");
	t = twin(2);
	snprintf(t.relay, sizeof(t.relay), "new.example");
	twindir_update(&rs[0].twins, &t, 1000);
	ok(key_becomes(2, "new.example", 1), "update rewrites relay.twin.2");
	t = twin(3);
	snprintf(t.relay, sizeof(t.relay), "new.example");
	twindir_update(&rs[0].twins, &t, 1000);
	run(0.2);
	ok(key_holds(3, "new.example") == 0 && dbsize() == 1,
	    "update adds no key for a twin redis does not hold");
	n = asked();
	ok(look(&rs[1], 2, 1000) && asked() == n &&
	    key_holds(2, "new.example") == 1, "and B takes the update from "
	    "redis");

	for (i = 0; i < NKEYS; i++) {
		rep = redis_cmdf(redis.port, "SET relay.twin.%d x", 100 + i);
		okset &= rep != NULL && rep->type == '+';
		rreply_free(rep);
	}
	rep = redis_cmdf(redis.port, "SET stream:7 keep");
	okset &= rep != NULL && rep->type == '+';
	rreply_free(rep);
	rep = redis_cmdf(redis.port, "SET relay.twinx keep");
	okset &= rep != NULL && rep->type == '+';
	rreply_free(rep);
	ok(okset && dbsize() == NKEYS + 3, "%d more relay.twin.* keys and "
	    "two others", NKEYS);
	twindir_flush(&rs[0].twins);
	/* A second flush while the first walks: it walks again after. */
	twindir_flush(&rs[0].twins);
	for (i = 0; i < 50 && dbsize() != 2; i++)
		run(0.1);
	ok(dbsize() == 2 && key_holds(2, "new.example") == 0 &&
	    twindir_cached(&rs[0].twins) == 0,
	    "flush: every relay.twin.* key gone, memory empty");
	rep = redis_cmdf(redis.port, "EXISTS stream:7 relay.twinx");
	ok(rep != NULL && rep->type == ':' && rep->integer == 2,
	    "flush: the other keys are still there");
	rreply_free(rep);
	n = asked();
	ok(look(&rs[0], 3, 1000) && asked() == n + 1 &&
	    key_becomes(3, "r3.example", 1),
	    "after the flush lookups go on: twin 3 read and written");
}

int
main(void)
{
	struct chainrpc	*rpc;
	char		 url[64], err[256];
	const char	*urls[1] = { url };
	int		 port = free_port(), fd, rc;
	pid_t		 s;

	signal(SIGPIPE, SIG_IGN);
	log_init("rmb", 0);
	if ((rc = redis_start(&redis)) == -2) {
		printf("1..0 # SKIP redis-server is not installed\n");
		return 0;
	}
	if (rc == -1 || (fd = mkstemp(dump)) == -1) {
		printf("Bail out! redis-server does not start\n");
		return 1;
	}
	close(fd);
	setup_table();
	if ((s = http_stub_start(port, answer, NULL)) == -1) {
		printf("Bail out! cannot start the stub node\n");
		return 1;
	}
	snprintf(url, sizeof(url), "http://127.0.0.1:%d", port);
	if ((rpc = chainrpc_new(EV_DEFAULT, urls, 1, err,
	    sizeof(err))) == NULL || relay_init(&rs[0], rpc) == -1 ||
	    relay_init(&rs[1], rpc) == -1) {
		printf("Bail out! set-up: %s\n", err);
		return 1;
	}
	/* Both connections log in. */
	run(0.3);
	test_ops();

	relay_twinshare_free(rs[0].share);
	relay_twinshare_free(rs[1].share);
	twindir_close(&rs[0].twins);
	twindir_close(&rs[1].twins);
	relay_metrics_free(&rs[0].metrics);
	relay_metrics_free(&rs[1].metrics);
	chainrpc_free(rpc);
	kill(s, SIGKILL);
	waitpid(s, NULL, 0);
	unlink(dump);
	redis_stop(&redis);
	return done_testing();
}
