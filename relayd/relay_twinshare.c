/* SPDX-License-Identifier: ISC */
/*
 * The twin cache that relays on one redis share (doc/relay.md §4.4): the
 * shared level of the twin directory, on a connection of its own so that
 * the switch's traffic never delays a lookup.  A lookup is MULTI, GET,
 * PTTL, EXEC, so that the value and the time it has left come from one
 * moment; one not answered within RELAY_TWINSHARE_WAIT seconds goes to
 * the chain, and its late answer is dropped when it comes.  A twin read
 * from the chain is SET with the relay's time to live.
 */
#include <sys/queue.h>

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <hiredis/hiredis.h>

#include "log.h"
#include "rconn.h"
#include "relay_server.h"
#include "relay_twinval.h"

/* Keys a SCAN of a flush asks for at a time. */
#define SCAN_COUNT	"500"

struct share_get {
	struct relay_twinshare	*ts;
	uint32_t		 id;
	int			 late;		/* timed out: the chain was asked */
	ev_timer		 timer;
	LIST_ENTRY(share_get)	 entry;
};

struct relay_twinshare {
	struct relay_server	*r;
	struct rconn		*rc;
	LIST_HEAD(, share_get)	 gets;		/* GETs not answered yet */
	int			 freeing;
	int			 scanning;	/* a flush's SCAN is out */
	int			 again;		/* flushed again meanwhile */
	uint64_t		 unlinked;	/* by the flush that runs */
};

static void
count(struct relay_twinshare *ts, enum relay_m_share result)
{
	relay_metrics_shared(&ts->r->metrics, result, 1);
}

static uint64_t
unix_ms(void)
{
	struct timespec	ts;

	if (clock_gettime(CLOCK_REALTIME, &ts) == -1)
		return 0;
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* The seconds a twin may stay in memory, from the key's PTTL. */
static uint64_t
ttl_left(const struct relay_twinshare *ts, const redisReply *pttl)
{
	if (pttl->type != REDIS_REPLY_INTEGER)
		return 0;
	if (pttl->integer == -1)	/* no expiry: someone else's SET */
		return ts->r->conf.twin_ttl;
	if (pttl->integer < 0)		/* gone since the GET */
		return 0;
	return (uint64_t)pttl->integer / 1000;
}

/* EXEC's answer: [GET's, PTTL's], or NULL when the connection went. */
static void
answer(struct relay_twinshare *ts, uint32_t id, const redisReply *rep)
{
	struct twin_record	 t;
	const redisReply	*v;
	const char		*why = NULL;
	uint64_t		 read_ms;

	if (rep == NULL || rep->type != REDIS_REPLY_ARRAY ||
	    rep->elements != 2) {
		log_debug("twin %" PRIu32 ": shared cache: %s", id,
		    rep == NULL ? "connection lost" :
		    rep->type == REDIS_REPLY_ERROR ? rep->str :
		    "unexpected reply");
		count(ts, RELAY_M_SHARE_ERROR);
		twindir_shared_answer(&ts->r->twins, id, NULL, 0);
		return;
	}
	v = rep->element[0];
	if (v->type == REDIS_REPLY_NIL) {
		count(ts, RELAY_M_SHARE_MISS);
		twindir_shared_answer(&ts->r->twins, id, NULL, 0);
		return;
	}
	if (v->type != REDIS_REPLY_STRING)
		why = v->type == REDIS_REPLY_ERROR ? v->str : "not a string";
	else if (relay_twinval_decode(&t, &read_ms, (const uint8_t *)v->str,
	    v->len, &why) == 0 && t.id != id)
		why = "another twin's value";
	if (why != NULL) {
		/* The chain is read, and its answer replaces the value. */
		log_debug("twin %" PRIu32 ": shared cache: bad value: %s", id,
		    why);
		count(ts, RELAY_M_SHARE_BAD);
		twindir_shared_answer(&ts->r->twins, id, NULL, 0);
		return;
	}
	count(ts, RELAY_M_SHARE_HIT);
	log_debug("twin %" PRIu32 ": from the shared cache", id);
	twindir_shared_answer(&ts->r->twins, id, &t,
	    ttl_left(ts, rep->element[1]));
}

static void
get_cb(redisAsyncContext *ac, void *reply, void *priv)
{
	struct share_get	*g = priv;
	struct relay_twinshare	*ts = g->ts;
	uint32_t		 id = g->id;
	int			 late = g->late;

	(void)ac;
	ev_timer_stop(ts->r->loop, &g->timer);
	LIST_REMOVE(g, entry);
	free(g);
	if (late || ts->freeing)
		return;
	answer(ts, id, reply);
}

static void
late_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct share_get	*g = w->data;

	(void)loop;
	(void)revents;
	g->late = 1;
	log_debug("twin %" PRIu32 ": shared cache: no answer in %.0f ms",
	    g->id, RELAY_TWINSHARE_WAIT * 1000);
	count(g->ts, RELAY_M_SHARE_TIMEOUT);
	twindir_shared_answer(&g->ts->r->twins, g->id, NULL, 0);
}

static int
share_get(void *arg, uint32_t id)
{
	struct relay_twinshare	*ts = arg;
	struct share_get	*g;
	char			 key[RELAY_TWIN_KEY_MAX];
	const char		*multi[] = { "MULTI" };
	const char		*get[] = { "GET", key };
	const char		*pttl[] = { "PTTL", key };
	const char		*exec[] = { "EXEC" };
	const char		*discard[] = { "DISCARD" };

	if (!rconn_up(ts->rc) || (g = calloc(1, sizeof(*g))) == NULL) {
		count(ts, RELAY_M_SHARE_ERROR);
		return -1;
	}
	g->ts = ts;
	g->id = id;
	relay_twinval_key(key, id);
	if (rconn_cmd(ts->rc, NULL, NULL, 1, multi, NULL) == -1) {
		free(g);
		count(ts, RELAY_M_SHARE_ERROR);
		return -1;
	}
	if (rconn_cmd(ts->rc, NULL, NULL, 2, get, NULL) == -1 ||
	    rconn_cmd(ts->rc, NULL, NULL, 2, pttl, NULL) == -1 ||
	    rconn_cmd(ts->rc, get_cb, g, 1, exec, NULL) == -1) {
		/* A connection left inside MULTI would queue all that follows. */
		if (rconn_cmd(ts->rc, NULL, NULL, 1, discard, NULL) == -1)
			rconn_reset(ts->rc);
		free(g);
		count(ts, RELAY_M_SHARE_ERROR);
		return -1;
	}
	ev_timer_init(&g->timer, late_cb, RELAY_TWINSHARE_WAIT, 0.);
	g->timer.data = g;
	ev_timer_start(ts->r->loop, &g->timer);
	LIST_INSERT_HEAD(&ts->gets, g, entry);
	return 0;
}

/* A write's answer: failures are logged, the next chain read tries again. */
static void
write_cb(redisAsyncContext *ac, void *reply, void *priv)
{
	redisReply	*rep = reply;

	(void)ac;
	if (rep != NULL && rep->type == REDIS_REPLY_ERROR)
		log_debug("shared twin cache: %s: %s", (const char *)priv,
		    rep->str);
}

static void
share_put(void *arg, const struct twin_record *t, int only_replace)
{
	struct relay_twinshare	*ts = arg;
	uint8_t			 val[RELAY_TWINVAL_MAX];
	char			 key[RELAY_TWIN_KEY_MAX], ms[24];
	const char		*argv[6];
	size_t			 lens[6];
	int			 n;

	if (!rconn_up(ts->rc))
		return;
	if ((n = relay_twinval_encode(val, sizeof(val), t, unix_ms())) ==
	    -1) {
		log_warnx("twin %" PRIu32 ": cannot encode it for the shared "
		    "cache", t->id);
		return;
	}
	snprintf(ms, sizeof(ms), "%" PRIu64, ts->r->conf.twin_ttl * 1000);
	argv[0] = "SET";
	argv[1] = key;
	argv[2] = (const char *)val;
	argv[3] = "PX";
	argv[4] = ms;
	lens[0] = 3;
	lens[1] = relay_twinval_key(key, t->id);
	lens[2] = (size_t)n;
	lens[3] = 2;
	lens[4] = strlen(ms);
	/* An event's twin replaces what is there and adds nothing. */
	argv[5] = "XX";
	lens[5] = 2;
	(void)rconn_cmd(ts->rc, write_cb, "SET", only_replace ? 6 : 5, argv,
	    lens);
}

static void
share_del(void *arg, uint32_t id)
{
	struct relay_twinshare	*ts = arg;
	char			 key[RELAY_TWIN_KEY_MAX];
	const char		*argv[] = { "DEL", key };

	relay_twinval_key(key, id);
	if (rconn_up(ts->rc))
		(void)rconn_cmd(ts->rc, write_cb, "DEL", 2, argv, NULL);
}

static void	scan_next(struct relay_twinshare *, const char *cursor);

/* [cursor, [key, ...]]: the keys go, and the scan goes on to its end. */
static void
scan_cb(redisAsyncContext *ac, void *reply, void *priv)
{
	struct relay_twinshare	*ts = priv;
	redisReply		*rep = reply, *keys;
	const char		**argv = NULL;
	size_t			*lens = NULL, i, n;
	char			 cursor[32];

	(void)ac;
	ts->scanning = 0;
	if (ts->freeing)
		return;
	if (rep == NULL || rep->type != REDIS_REPLY_ARRAY ||
	    rep->elements != 2 ||
	    rep->element[0]->type != REDIS_REPLY_STRING ||
	    rep->element[0]->len >= sizeof(cursor) ||
	    (keys = rep->element[1])->type != REDIS_REPLY_ARRAY) {
		log_warnx("shared twin cache: flush stopped: %s; its keys "
		    "expire by themselves", rep != NULL &&
		    rep->type == REDIS_REPLY_ERROR ? rep->str :
		    "no answer to SCAN");
		return;
	}
	memcpy(cursor, rep->element[0]->str, rep->element[0]->len);
	cursor[rep->element[0]->len] = '\0';
	if (keys->elements > 0 &&
	    ((argv = calloc(keys->elements + 1, sizeof(*argv))) == NULL ||
	    (lens = calloc(keys->elements + 1, sizeof(*lens))) == NULL)) {
		log_warnx("shared twin cache: flush: out of memory");
		free(argv);
		return;
	}
	if (keys->elements > 0) {
		argv[0] = "UNLINK";
		lens[0] = 6;
		for (i = 0, n = 1; i < keys->elements; i++) {
			if (keys->element[i]->type != REDIS_REPLY_STRING)
				continue;
			argv[n] = keys->element[i]->str;
			lens[n++] = keys->element[i]->len;
		}
		if (n > 1)
			(void)rconn_cmd(ts->rc, write_cb, "UNLINK", (int)n,
			    argv, lens);
		ts->unlinked += n - 1;
		free(argv);
		free(lens);
	}
	if (strcmp(cursor, "0") != 0) {
		scan_next(ts, cursor);
		return;
	}
	log_debug("shared twin cache: flushed, %" PRIu64 " key(s)",
	    ts->unlinked);
	if (ts->again) {
		ts->again = 0;
		scan_next(ts, "0");
	}
}

static void
scan_next(struct relay_twinshare *ts, const char *cursor)
{
	const char	*argv[] = { "SCAN", cursor, "MATCH", RELAY_TWIN_MATCH,
			    "COUNT", SCAN_COUNT };

	if (strcmp(cursor, "0") == 0)
		ts->unlinked = 0;
	if (rconn_cmd(ts->rc, scan_cb, ts, 6, argv, NULL) == -1) {
		log_warnx("shared twin cache: flush: redis is down; its keys "
		    "expire by themselves");
		return;
	}
	ts->scanning = 1;
}

/*
 * One SCAN at a time: a flush asked for while one runs starts again from
 * the beginning once it ends, for the keys it had already passed.
 */
static void
share_flush(void *arg)
{
	struct relay_twinshare	*ts = arg;

	if (ts->scanning) {
		ts->again = 1;
		return;
	}
	scan_next(ts, "0");
}

struct relay_twinshare *
relay_twinshare_new(struct relay_server *r)
{
	struct relay_twinshare	*ts;
	struct twindir_shared	 sh;

	if ((ts = calloc(1, sizeof(*ts))) == NULL)
		return NULL;
	ts->r = r;
	LIST_INIT(&ts->gets);
	if ((ts->rc = rconn_new(r->loop, &r->conf.redis, "rmb-relay-twins",
	    NULL, NULL, ts)) == NULL) {
		free(ts);
		return NULL;
	}
	sh.get = share_get;
	sh.put = share_put;
	sh.del = share_del;
	sh.flush = share_flush;
	sh.arg = ts;
	twindir_set_shared(&r->twins, &sh);
	return ts;
}

void
relay_twinshare_free(struct relay_twinshare *ts)
{
	struct share_get	*g;

	if (ts == NULL)
		return;
	twindir_set_shared(&ts->r->twins, NULL);
	ts->freeing = 1;
	/* Every GET out is answered with NULL here, and freed. */
	rconn_free(ts->rc);
	while ((g = LIST_FIRST(&ts->gets)) != NULL) {
		ev_timer_stop(ts->r->loop, &g->timer);
		LIST_REMOVE(g, entry);
		free(g);
	}
	free(ts);
}
