/* SPDX-License-Identifier: ISC */
/*
 * One cycle at a time: head, its header, its runtime version, then the
 * blocks after the last one done.  In the fast case (the head's version
 * is the metadata's) up to CHAINLISTEN_INFLIGHT blocks are read at once
 * into slots indexed by block number modulo their count, and applied in
 * order as the oldest completes; otherwise one block at a time, each
 * after the version of its parent.  A failure cancels every call in
 * flight, so no stale answer arrives, and the next cycle starts again
 * from the last block applied.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "chainevents.h"
#include "chainlisten.h"
#include "chainrpc.h"
#include "hex.h"
#include "log.h"
#include "metadata.h"
#include "tfchain_read.h"
#include "twindir.h"

#define W		CHAINLISTEN_INFLIGHT
/* One or two "0x" hashes or keys as a JSON array. */
#define PARAMS_MAX	(2 * (2 * 32 + 5) + 4)

enum { S_FREE, S_HASH, S_EVENTS, S_DONE };
/* What follows once the metadata matches a state. */
enum { THEN_START, THEN_JUMP, THEN_BLOCK };

struct slot {
	struct chainlisten	*l;
	uint64_t		 n;
	int			 state;
	uint8_t			 hash[32];
	uint8_t			*val;		/* NULL: no events */
	size_t			 len;
};

struct chainlisten {
	struct chainlisten_conf	 conf;
	struct chainlisten_stats st;
	struct metadata		*md;
	struct metadata_events	 lay;
	uint8_t			 key[TFCHAIN_KEY_VALUE_LEN];
	ev_timer		 timer;
	int			 busy;		/* a cycle is out */
	int			 started;	/* last is set */
	uint64_t		 last;		/* last block applied */
	uint8_t			 last_hash[32];
	uint64_t		 target;	/* this cycle's head */
	uint8_t			 head_hash[32];
	uint32_t		 head_spec;
	uint64_t		 next;		/* next block to ask for */
	int			 slow;		/* one block at a time */
	int			 then;		/* after the metadata */
	uint8_t			 md_hash[32];	/* whose metadata is asked */
	uint32_t		 md_spec;
	double			 backoff;
	int			 failed;	/* the next cycle is a retry */
	struct slot		 slots[W];
};

static void	cycle(struct chainlisten *);
static void	fill(struct chainlisten *);
static void	match(struct chainlisten *);

static void
params_hash(char *out, const uint8_t hash[32])
{
	memcpy(out, "[\"0x", 4);
	hex_encode(out + 4, hash, 32);
	memcpy(out + 4 + 64, "\"]", 3);
}

static void
cancel_all(struct chainlisten *l)
{
	size_t	i;

	chainrpc_cancel(l->conf.rpc, l);
	for (i = 0; i < W; i++) {
		chainrpc_cancel(l->conf.rpc, &l->slots[i]);
		free(l->slots[i].val);
		l->slots[i].val = NULL;
		l->slots[i].state = S_FREE;
	}
}

static void
arm(struct chainlisten *l, double after)
{
	ev_timer_stop(l->conf.loop, &l->timer);
	ev_timer_set(&l->timer, after, 0.);
	ev_timer_start(l->conf.loop, &l->timer);
}

/* The cycle is over: the next one after the poll period. */
static void
cycle_end(struct chainlisten *l)
{
	if (l->st.reconnecting)
		log_info("tfchain events: following the chain again at "
		    "block %llu", (unsigned long long)l->last);
	l->busy = 0;
	l->failed = 0;
	l->st.reconnecting = 0;
	l->backoff = CHAINLISTEN_BACKOFF_MIN;
	arm(l, l->conf.poll);
}

/* A call failed: everything out is cancelled, retried after a backoff. */
static void
fail(struct chainlisten *l, const char *what, const char *err)
{
	l->st.err_rpc++;
	if (!l->st.reconnecting)
		log_warnx("tfchain events: %s: %s; retrying", what, err);
	else
		log_debug("tfchain events: %s: %s", what, err);
	cancel_all(l);
	l->busy = 0;
	l->failed = 1;
	l->st.reconnecting = 1;
	arm(l, l->backoff);
	l->backoff *= 2;
	if (l->backoff > CHAINLISTEN_BACKOFF_MAX)
		l->backoff = CHAINLISTEN_BACKOFF_MAX;
}

/* The metadata lacks what rmb reads: the cache's TTL is all there is. */
static void
disable(struct chainlisten *l, const char *why)
{
	log_warnx("tfchain events: listener disabled: %s; twins are kept "
	    "for their TTL only", why);
	cancel_all(l);
	ev_timer_stop(l->conf.loop, &l->timer);
	l->st.err_decode++;
	l->st.disabled = 1;
	l->busy = 0;
}

static void
flush(struct chainlisten *l, const char *why)
{
	log_info("tfchain events: %s; forgetting every cached twin", why);
	twindir_flush(l->conf.dir);
	l->st.flushes++;
}

/*
 * The node refused a block's hash or events (a pruned node keeps only
 * recent states): that block cannot be had, so rather than asking again
 * forever, every cached twin is forgotten and the listener goes on from
 * this cycle's head.
 */
static void
lost(struct chainlisten *l, uint64_t n, const char *err)
{
	char	what[96];

	l->st.err_rpc++;
	log_warnx("tfchain events: block %llu: %s", (unsigned long long)n,
	    err);
	cancel_all(l);
	snprintf(what, sizeof(what), "block %llu cannot be read",
	    (unsigned long long)n);
	flush(l, what);
	l->last = l->target;
	memcpy(l->last_hash, l->head_hash, 32);
	l->st.last_block = l->last;
	l->then = THEN_JUMP;
	memcpy(l->md_hash, l->head_hash, 32);
	l->md_spec = l->head_spec;
	match(l);
}

/* The result as a 32-byte hash: 0, or -1 with why set. */
static int
get_hash(const struct jsonrpc_resp *r, uint8_t out[32], char *why,
    size_t whylen)
{
	size_t	len;

	if (jsonrpc_get_hex(&r->result, out, 32, &len, why, whylen) == -1)
		return -1;
	if (len != 32) {
		snprintf(why, whylen, "not a 32-byte hash");
		return -1;
	}
	return 0;
}

static int
get_spec(const struct jsonrpc_resp *r, uint32_t *spec, char *why,
    size_t whylen)
{
	struct jsonrpc_val	f;
	uint64_t		v;

	if (jsonrpc_get_field(&r->result, "specVersion", &f, why,
	    whylen) == -1 || jsonrpc_get_u64(&f, &v, why, whylen) == -1)
		return -1;
	if (v > UINT32_MAX) {
		snprintf(why, whylen, "specVersion over 32 bits");
		return -1;
	}
	*spec = (uint32_t)v;
	return 0;
}

static void
on_event(void *arg, const struct chainevent *ev)
{
	struct chainlisten	*l = arg;
	int			 cached;

	switch (ev->kind) {
	case CHAINEV_TWIN_STORED:
	case CHAINEV_TWIN_UPDATED:
		cached = twindir_update(l->conf.dir, &ev->twin,
		    l->conf.now());
		if (ev->kind == CHAINEV_TWIN_STORED)
			l->st.stored++;
		else
			l->st.updated++;
		log_debug("tfchain events: twin %u %s (%s)", ev->id,
		    ev->kind == CHAINEV_TWIN_STORED ? "stored" : "updated",
		    cached ? "cache updated" : "not cached");
		break;
	case CHAINEV_TWIN_DELETED:
		twindir_forget(l->conf.dir, ev->id);
		l->st.deleted++;
		log_debug("tfchain events: twin %u deleted", ev->id);
		break;
	}
}

/* Applies the blocks read, oldest first, while the next one is in. */
static void
apply_ready(struct chainlisten *l)
{
	struct slot	*s;
	char		 why[256], what[64];

	for (;;) {
		s = &l->slots[(l->last + 1) % W];
		if (s->state != S_DONE || s->n != l->last + 1)
			return;
		if (s->val != NULL && chainevents_decode(l->md, &l->lay,
		    s->val, s->len, on_event, l, why, sizeof(why)) == -1) {
			l->st.err_decode++;
			log_warnx("tfchain events: block %llu: %s",
			    (unsigned long long)s->n, why);
			snprintf(what, sizeof(what), "block %llu not decoded",
			    (unsigned long long)s->n);
			flush(l, what);
		}
		free(s->val);
		s->val = NULL;
		s->state = S_FREE;
		l->last = s->n;
		memcpy(l->last_hash, s->hash, 32);
		l->st.last_block = l->last;
	}
}

static void
got_events(void *arg, const struct jsonrpc_resp *r, const char *err)
{
	struct slot		*s = arg;
	struct chainlisten	*l = s->l;
	char			 why[JSONRPC_ERR_MAX];
	size_t			 cap;

	if (err != NULL) {
		if (r != NULL && r->rpc_error)
			lost(l, s->n, err);
		else
			fail(l, "System.Events", err);
		return;
	}
	if (!jsonrpc_is_null(&r->result)) {
		cap = r->result.len / 2;
		if (cap > CHAINLISTEN_EVENTS_MAX) {
			fail(l, "System.Events", "over the size bound");
			return;
		}
		if ((s->val = malloc(cap > 0 ? cap : 1)) == NULL) {
			fail(l, "System.Events", "out of memory");
			return;
		}
		if (jsonrpc_get_hex(&r->result, s->val, cap, &s->len, why,
		    sizeof(why)) == -1) {
			fail(l, "System.Events", why);
			return;
		}
	}
	s->state = S_DONE;
	apply_ready(l);
	fill(l);
}

static void
got_block_hash(void *arg, const struct jsonrpc_resp *r, const char *err)
{
	struct slot		*s = arg;
	struct chainlisten	*l = s->l;
	char			 why[JSONRPC_ERR_MAX], params[PARAMS_MAX];

	if (err != NULL) {
		if (r != NULL && r->rpc_error)
			lost(l, s->n, err);
		else
			fail(l, "block hash", err);
		return;
	}
	if (jsonrpc_is_null(&r->result)) {
		fail(l, "block hash", "the node has no such block");
		return;
	}
	if (get_hash(r, s->hash, why, sizeof(why)) == -1) {
		fail(l, "block hash", why);
		return;
	}
	memcpy(params, "[\"0x", 4);
	hex_encode(params + 4, l->key, sizeof(l->key));
	memcpy(params + 4 + 64, "\",\"0x", 5);
	hex_encode(params + 4 + 64 + 5, s->hash, 32);
	memcpy(params + 4 + 64 + 5 + 64, "\"]", 3);
	s->state = S_EVENTS;
	if (chainrpc_call(l->conf.rpc, "state_getStorage", params, got_events,
	    s) == -1)
		fail(l, "System.Events", "cannot send");
}

static void
request(struct chainlisten *l, uint64_t n)
{
	struct slot	*s = &l->slots[n % W];
	char		 params[32];

	s->n = n;
	s->state = S_HASH;
	snprintf(params, sizeof(params), "[%llu]", (unsigned long long)n);
	if (chainrpc_call(l->conf.rpc, "chain_getBlockHash", params,
	    got_block_hash, s) == -1)
		fail(l, "block hash", "cannot send");
}

static void	ensure(struct chainlisten *, const uint8_t *, int);

/* Asks for what is due; ends the cycle once all is applied. */
static void
fill(struct chainlisten *l)
{
	size_t	i;

	if (!l->busy)
		return;
	for (i = 0; i < W; i++)
		if (l->slots[i].state != S_FREE)
			break;
	if (l->slow) {
		if (i < W)
			return;
		if (l->next <= l->target) {
			/* This block's events are its parent's runtime's. */
			ensure(l, l->last_hash, THEN_BLOCK);
			return;
		}
	} else {
		while (l->busy && l->next <= l->target &&
		    l->next <= l->last + W)
			request(l, l->next++);
		if (!l->busy)
			return;
		for (i = 0; i < W; i++)
			if (l->slots[i].state != S_FREE)
				break;
	}
	if (i == W && l->last == l->target)
		cycle_end(l);
}

static void
then(struct chainlisten *l)
{
	switch (l->then) {
	case THEN_START:
		l->started = 1;
		l->last = l->target;
		memcpy(l->last_hash, l->head_hash, 32);
		l->st.last_block = l->last;
		log_info("tfchain events: following finalized blocks from "
		    "%llu", (unsigned long long)l->last);
		cycle_end(l);
		break;
	case THEN_JUMP:
		cycle_end(l);
		break;
	default:
		if (l->st.spec == l->head_spec)
			l->slow = 0;
		request(l, l->next++);
		break;
	}
}

static void
got_metadata(void *arg, const struct jsonrpc_resp *r, const char *err)
{
	struct chainlisten	*l = arg;
	struct metadata_events	 lay;
	struct metadata		*md;
	uint8_t			*buf;
	char			 why[JSONRPC_ERR_MAX + METADATA_ERR_MAX];
	size_t			 cap, len;

	if (err != NULL) {
		if (r != NULL && r->rpc_error && l->then == THEN_BLOCK)
			lost(l, l->next, err);
		else
			fail(l, "runtime metadata", err);
		return;
	}
	cap = r->result.len / 2;
	if (cap > METADATA_LEN_MAX) {
		fail(l, "runtime metadata", "over the size bound");
		return;
	}
	if ((buf = malloc(cap > 0 ? cap : 1)) == NULL) {
		fail(l, "runtime metadata", "out of memory");
		return;
	}
	if (jsonrpc_get_hex(&r->result, buf, cap, &len, why,
	    sizeof(why)) == -1) {
		free(buf);
		fail(l, "runtime metadata", why);
		return;
	}
	md = metadata_load(buf, len, why, sizeof(why));
	free(buf);
	if (md == NULL || metadata_events(md, &lay, why, sizeof(why)) == -1) {
		metadata_free(md);
		disable(l, why);
		return;
	}
	metadata_free(l->md);
	l->md = md;
	l->lay = lay;
	if (l->st.spec != 0)
		log_info("tfchain events: runtime upgraded from spec %u to "
		    "%u", l->st.spec, l->md_spec);
	l->st.spec = l->md_spec;
	log_info("tfchain events: spec %u: TfgridModule is event %u, "
	    "TwinStored %u, TwinUpdated %u, TwinDeleted %u", l->st.spec,
	    lay.pallet, lay.twin_stored, lay.twin_updated, lay.twin_deleted);
	then(l);
}

/* The version at md_hash is known: the metadata of that state. */
static void
match(struct chainlisten *l)
{
	char	params[PARAMS_MAX];

	if (l->md != NULL && l->md_spec == l->st.spec) {
		then(l);
		return;
	}
	params_hash(params, l->md_hash);
	if (chainrpc_call(l->conf.rpc, "state_getMetadata", params,
	    got_metadata, l) == -1)
		fail(l, "runtime metadata", "cannot send");
}

static void
got_version(void *arg, const struct jsonrpc_resp *r, const char *err)
{
	struct chainlisten	*l = arg;
	char			 why[JSONRPC_ERR_MAX];

	if (err != NULL) {
		if (r != NULL && r->rpc_error && l->then == THEN_BLOCK)
			lost(l, l->next, err);
		else
			fail(l, "runtime version", err);
		return;
	}
	if (get_spec(r, &l->md_spec, why, sizeof(why)) == -1) {
		fail(l, "runtime version", why);
		return;
	}
	match(l);
}

/* Makes the metadata the one of the state at hash, then goes on. */
static void
ensure(struct chainlisten *l, const uint8_t *hash, int next)
{
	char	params[PARAMS_MAX];

	l->then = next;
	memcpy(l->md_hash, hash, 32);
	params_hash(params, hash);
	if (chainrpc_call(l->conf.rpc, "state_getRuntimeVersion", params,
	    got_version, l) == -1)
		fail(l, "runtime version", "cannot send");
}

static void
got_head_version(void *arg, const struct jsonrpc_resp *r, const char *err)
{
	struct chainlisten	*l = arg;
	char			 why[JSONRPC_ERR_MAX], what[96];

	if (err != NULL) {
		fail(l, "runtime version", err);
		return;
	}
	if (get_spec(r, &l->head_spec, why, sizeof(why)) == -1) {
		fail(l, "runtime version", why);
		return;
	}
	if (!l->started || l->target > l->last + l->conf.catchup) {
		if (l->started) {
			snprintf(what, sizeof(what), "%llu blocks behind, "
			    "over the threshold of %llu",
			    (unsigned long long)(l->target - l->last),
			    (unsigned long long)l->conf.catchup);
			flush(l, what);
			l->last = l->target;
			memcpy(l->last_hash, l->head_hash, 32);
			l->st.last_block = l->last;
		}
		l->then = l->started ? THEN_JUMP : THEN_START;
		memcpy(l->md_hash, l->head_hash, 32);
		l->md_spec = l->head_spec;
		match(l);
		return;
	}
	if (l->target <= l->last) {
		cycle_end(l);
		return;
	}
	l->next = l->last + 1;
	l->slow = l->head_spec != l->st.spec;
	fill(l);
}

static void
got_header(void *arg, const struct jsonrpc_resp *r, const char *err)
{
	struct chainlisten	*l = arg;
	struct jsonrpc_val	 f;
	char			 why[JSONRPC_ERR_MAX], params[PARAMS_MAX];

	if (err != NULL) {
		fail(l, "finalized header", err);
		return;
	}
	if (jsonrpc_get_field(&r->result, "number", &f, why,
	    sizeof(why)) == -1) {
		fail(l, "finalized header", why);
		return;
	}
	if (jsonrpc_get_quantity(&f, &l->target) == -1) {
		fail(l, "finalized header", "the number is not a hex "
		    "quantity");
		return;
	}
	l->st.finalized = l->target;
	params_hash(params, l->head_hash);
	if (chainrpc_call(l->conf.rpc, "state_getRuntimeVersion", params,
	    got_head_version, l) == -1)
		fail(l, "runtime version", "cannot send");
}

static void
got_head(void *arg, const struct jsonrpc_resp *r, const char *err)
{
	struct chainlisten	*l = arg;
	char			 why[JSONRPC_ERR_MAX], params[PARAMS_MAX];

	if (err != NULL) {
		fail(l, "finalized head", err);
		return;
	}
	if (get_hash(r, l->head_hash, why, sizeof(why)) == -1) {
		fail(l, "finalized head", why);
		return;
	}
	params_hash(params, l->head_hash);
	if (chainrpc_call(l->conf.rpc, "chain_getHeader", params, got_header,
	    l) == -1)
		fail(l, "finalized header", "cannot send");
}

static void
cycle(struct chainlisten *l)
{
	if (l->busy || l->st.disabled)
		return;
	if (l->failed)
		l->st.reconnect_cycles++;
	l->busy = 1;
	if (chainrpc_call(l->conf.rpc, "chain_getFinalizedHead", "[]",
	    got_head, l) == -1)
		fail(l, "finalized head", "cannot send");
}

static void
timer_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	(void)loop;
	(void)revents;
	cycle(w->data);
}

struct chainlisten *
chainlisten_start(const struct chainlisten_conf *conf)
{
	struct chainlisten	*l;
	size_t			 i;

	if ((l = calloc(1, sizeof(*l))) == NULL)
		return NULL;
	l->conf = *conf;
	if (l->conf.catchup == 0)
		l->conf.catchup = 1;
	if (l->conf.poll <= 0)
		l->conf.poll = CHAINLISTEN_POLL;
	l->backoff = CHAINLISTEN_BACKOFF_MIN;
	for (i = 0; i < W; i++)
		l->slots[i].l = l;
	tfchain_key_value(l->key, "System", "Events");
	ev_timer_init(&l->timer, timer_cb, 0., 0.);
	l->timer.data = l;
	ev_timer_start(l->conf.loop, &l->timer);
	return l;
}

const struct chainlisten_stats *
chainlisten_stats(const struct chainlisten *l)
{
	return &l->st;
}

void
chainlisten_free(struct chainlisten *l)
{
	if (l == NULL)
		return;
	cancel_all(l);
	ev_timer_stop(l->conf.loop, &l->timer);
	metadata_free(l->md);
	free(l);
}
