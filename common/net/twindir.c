/* SPDX-License-Identifier: ISC */
/*
 * The twin directory.  With the chain source a miss becomes one
 * state_getStorage per id: a struct twindir_wait holds the read and the
 * callbacks waiting on it, so that concurrent misses share it.  A wait
 * stays on d->waits while its callbacks run, so that twindir_cancel
 * still reaches the ones not called yet, and is freed after them.  With
 * a shared level, a wait for an id first asks it (w->shared), and reads
 * the chain only when it does not have the twin.
 */
#include <sys/queue.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "chainrpc.h"
#include "errf.h"
#include "hex.h"
#include "log.h"
#include "twindir.h"

/* "0x" and the hex of a storage key, as the one JSON string of params. */
#define PARAMS_MAX	(2 * TFCHAIN_KEY_TWIN_BY_ACCOUNT_LEN + 8)
/* A Twin value with its entities, which rmb skips; ours are none. */
#define VALUE_MAX	(16 * 1024)

struct twindir_waiter {
	twindir_cb		 cb;		/* by id */
	twindir_id_cb		 id_cb;		/* by account */
	void			*arg;
	TAILQ_ENTRY(twindir_waiter) entry;
};

struct twindir_wait {
	struct twindir		*d;		/* NULL once the directory closed */
	LIST_ENTRY(twindir_wait) entry;		/* on d->waits */
	int			 by_account;
	int			 answered;	/* callbacks running: no joining */
	int			 shared;	/* asking the shared level */
	int			 stale;		/* changed since it asked: not
						   kept, not taken from the
						   shared level */
	uint32_t		 id;
	uint64_t		 now;		/* of the lookup that asked */
	TAILQ_HEAD(, twindir_waiter) waiters;	/* oldest first */
};

int
twindir_open_file(struct twindir *d, const char *path, size_t capacity,
    uint64_t ttl, char *err, size_t errlen)
{
	memset(d, 0, sizeof(*d));
	if (twinfile_load(&d->file, path, err, errlen) == -1)
		return -1;
	if (twincache_init(&d->cache, capacity, ttl) == -1) {
		errf(err, errlen, "twin cache: bad capacity or out of "
		    "memory");
		twinfile_free(&d->file);
		return -1;
	}
	return 0;
}

int
twindir_open_chain(struct twindir *d, struct chainrpc *rpc, size_t capacity,
    uint64_t ttl, char *err, size_t errlen)
{
	memset(d, 0, sizeof(*d));
	if (rpc == NULL || twincache_init(&d->cache, capacity, ttl) == -1) {
		errf(err, errlen, "twin cache: bad capacity or out of "
		    "memory");
		return -1;
	}
	d->chain = rpc;
	return 0;
}

int
twindir_get(struct twindir *d, uint32_t id, struct twin_record *out,
    uint64_t now)
{
	const struct twin_record	*t;

	if ((t = twincache_get(&d->cache, id, now)) != NULL) {
		d->hits++;
		*out = *t;
		return 1;
	}
	if (d->chain != NULL)
		return 0;
	d->misses++;
	if ((t = twinfile_get(&d->file, id)) == NULL)
		return 0;
	twincache_put(&d->cache, t, now);
	*out = *t;
	return 1;
}

int
twindir_find(struct twindir *d, const uint8_t account[32], uint32_t *id)
{
	const struct twin_record	*t;

	if (d->chain != NULL)
		return -1;
	if ((t = twinfile_find(&d->file, account)) == NULL)
		return 0;
	*id = t->id;
	return 1;
}

static void
wait_unlink(struct twindir_wait *w)
{
	struct twindir	*d = w->d;

	if (d == NULL)
		return;
	LIST_REMOVE(w, entry);
}

static void
waiters_free(struct twindir_wait *w)
{
	struct twindir_waiter	*x;

	while ((x = TAILQ_FIRST(&w->waiters)) != NULL) {
		TAILQ_REMOVE(&w->waiters, x, entry);
		free(x);
	}
}

/*
 * Calls every waiter once with the answer, each taken off the list before
 * its call, so that it may cancel others, look up again or close the
 * directory; then frees w.
 */
static void
wait_finish(struct twindir_wait *w, int rv, const struct twin_record *t,
    uint32_t id)
{
	struct twindir_waiter	*x, one;

	w->answered = 1;
	while ((x = TAILQ_FIRST(&w->waiters)) != NULL) {
		TAILQ_REMOVE(&w->waiters, x, entry);
		one = *x;
		free(x);
		if (one.cb != NULL)
			one.cb(one.arg, rv, t);
		else
			one.id_cb(one.arg, rv, id);
	}
	wait_unlink(w);
	free(w);
}

static int
wait_add(struct twindir_wait *w, twindir_cb cb, twindir_id_cb id_cb,
    void *arg)
{
	struct twindir_waiter	*x;

	if ((x = calloc(1, sizeof(*x))) == NULL)
		return -1;
	x->cb = cb;
	x->id_cb = id_cb;
	x->arg = arg;
	TAILQ_INSERT_TAIL(&w->waiters, x, entry);
	return 0;
}

/* The value of a state_getStorage: 1 with buf filled, 0 null, -1 bad. */
static int
storage_value(const struct jsonrpc_resp *r, uint8_t *buf, size_t cap,
    size_t *len, char *err, size_t errlen)
{
	if (jsonrpc_is_null(&r->result))
		return 0;
	if (jsonrpc_get_hex(&r->result, buf, cap, len, err, errlen) == -1)
		return -1;
	return 1;
}

/* The directory's owner hears how a chain read went. */
static void
chain_told(struct twindir_wait *w, int rv)
{
	if (w->d != NULL && w->d->on_chain != NULL)
		w->d->on_chain(w->d->on_chain_arg, rv);
}

static void
twin_answer(void *arg, const struct jsonrpc_resp *r, const char *err)
{
	struct twindir_wait	*w = arg;
	struct twin_record	 t;
	uint8_t			 buf[VALUE_MAX];
	char			 why[JSONRPC_ERR_MAX];
	const char		*bad = "another twin's value";
	size_t			 len;
	int			 rv;

	if (err != NULL) {
		log_warnx("chain: twin %u: %s", w->id, err);
		chain_told(w, -1);
		wait_finish(w, -1, NULL, w->id);
		return;
	}
	if ((rv = storage_value(r, buf, sizeof(buf), &len, why,
	    sizeof(why))) == -1) {
		log_warnx("chain: twin %u: %s", w->id, why);
		chain_told(w, -1);
		wait_finish(w, -1, NULL, w->id);
		return;
	}
	if (rv == 0) {
		chain_told(w, 0);
		wait_finish(w, 0, NULL, w->id);
		return;
	}
	if (twin_decode(&t, buf, len, &bad) == -1 || t.id != w->id) {
		log_warnx("chain: twin %u: cannot decode its value: %s", w->id,
		    bad);
		chain_told(w, -1);
		wait_finish(w, -1, NULL, w->id);
		return;
	}
	chain_told(w, 1);
	if (w->d != NULL && !w->stale) {
		twincache_put(&w->d->cache, &t, w->now);
		if (w->d->shared.put != NULL)
			w->d->shared.put(w->d->shared.arg, &t, 0);
	}
	wait_finish(w, 1, &t, w->id);
}

static void
account_answer(void *arg, const struct jsonrpc_resp *r, const char *err)
{
	struct twindir_wait	*w = arg;
	uint8_t			 buf[8];
	char			 why[JSONRPC_ERR_MAX];
	uint32_t		 id = 0;
	size_t			 len;
	int			 rv;

	if (err != NULL) {
		log_warnx("chain: twin id of an account: %s", err);
		wait_finish(w, -1, NULL, 0);
		return;
	}
	if ((rv = storage_value(r, buf, sizeof(buf), &len, why,
	    sizeof(why))) == 1 && twin_id_decode(&id, buf, len) == -1) {
		snprintf(why, sizeof(why), "not a u32");
		rv = -1;
	}
	if (rv == -1)
		log_warnx("chain: twin id of an account: %s", why);
	chain_told(w, rv);
	wait_finish(w, rv, NULL, rv == 1 ? id : 0);
}

/* A new wait on d, not on d->waits yet; NULL when out of memory. */
static struct twindir_wait *
wait_new(struct twindir *d, int by_account, uint32_t id, uint64_t now,
    twindir_cb cb, twindir_id_cb id_cb, void *arg)
{
	struct twindir_wait	*w;

	if ((w = calloc(1, sizeof(*w))) == NULL)
		return NULL;
	w->d = d;
	w->by_account = by_account;
	w->id = id;
	w->now = now;
	TAILQ_INIT(&w->waiters);
	if (wait_add(w, cb, id_cb, arg) == -1) {
		free(w);
		return NULL;
	}
	return w;
}

/* Sends w's state_getStorage of key.  0, or -1 when it cannot. */
static int
wait_read(struct twindir_wait *w, const uint8_t *key, size_t keylen)
{
	char	params[PARAMS_MAX];

	memcpy(params, "[\"0x", 4);
	hex_encode(params + 4, key, keylen);
	memcpy(params + 4 + 2 * keylen, "\"]", 3);
	if (chainrpc_call(w->d->chain, "state_getStorage", params,
	    w->by_account ? account_answer : twin_answer, w) == -1)
		return -1;
	w->d->chain_reads++;
	return 0;
}

/* A new wait on d, reading key; NULL when out of memory. */
static struct twindir_wait *
wait_start(struct twindir *d, const uint8_t *key, size_t keylen,
    int by_account, uint32_t id, uint64_t now, twindir_cb cb,
    twindir_id_cb id_cb, void *arg)
{
	struct twindir_wait	*w;

	if ((w = wait_new(d, by_account, id, now, cb, id_cb, arg)) == NULL)
		return NULL;
	if (wait_read(w, key, keylen) == -1) {
		waiters_free(w);
		free(w);
		return NULL;
	}
	LIST_INSERT_HEAD(&d->waits, w, entry);
	return w;
}

/*
 * The shared level did not have twin w->id: the chain is read, and w
 * fails when it cannot be.
 */
static void
wait_chain(struct twindir_wait *w)
{
	uint8_t	key[TFCHAIN_KEY_TWIN_LEN];

	/* A read sent now sees any change made before it. */
	w->shared = 0;
	w->stale = 0;
	tfchain_key_twin(key, w->id);
	if (wait_read(w, key, sizeof(key)) == -1) {
		log_warnx("twin %u: cannot ask the chain", w->id);
		wait_finish(w, -1, NULL, w->id);
	}
}

void
twindir_lookup(struct twindir *d, uint32_t id, uint64_t now, twindir_cb cb,
    void *arg)
{
	const struct twin_record	*c;
	struct twin_record		 t;
	struct twindir_wait		*w;
	uint8_t				 key[TFCHAIN_KEY_TWIN_LEN];
	int				 rv;

	if (d->chain == NULL) {
		rv = twindir_get(d, id, &t, now);
		cb(arg, rv, rv == 1 ? &t : NULL);
		return;
	}
	if ((c = twincache_get(&d->cache, id, now)) != NULL) {
		d->hits++;
		t = *c;
		cb(arg, 1, &t);
		return;
	}
	LIST_FOREACH(w, &d->waits, entry)
		if (!w->by_account && !w->answered && w->id == id)
			break;
	if (w != NULL) {
		if (wait_add(w, cb, NULL, arg) == -1) {
			log_warnx("twin %u: out of memory", id);
			cb(arg, -1, NULL);
		}
		return;
	}
	d->misses++;
	if (d->shared.get == NULL) {
		tfchain_key_twin(key, id);
		if (wait_start(d, key, sizeof(key), 0, id, now, cb, NULL,
		    arg) == NULL) {
			log_warnx("twin %u: cannot ask the chain", id);
			cb(arg, -1, NULL);
		}
		return;
	}
	if ((w = wait_new(d, 0, id, now, cb, NULL, arg)) == NULL) {
		log_warnx("twin %u: out of memory", id);
		cb(arg, -1, NULL);
		return;
	}
	LIST_INSERT_HEAD(&d->waits, w, entry);
	w->shared = 1;
	/* An answer may come, and free w, before get returns 0. */
	if (d->shared.get(d->shared.arg, id) == -1)
		wait_chain(w);
}

void
twindir_lookup_account(struct twindir *d, const uint8_t account[32],
    twindir_id_cb cb, void *arg)
{
	uint8_t	key[TFCHAIN_KEY_TWIN_BY_ACCOUNT_LEN];
	uint32_t	id = 0;
	int		rv;

	if (d->chain == NULL) {
		rv = twindir_find(d, account, &id);
		cb(arg, rv, id);
		return;
	}
	tfchain_key_twin_by_account(key, account);
	if (wait_start(d, key, sizeof(key), 1, 0, 0, NULL, cb, arg) == NULL) {
		log_warnx("twin id of an account: cannot ask the chain");
		cb(arg, -1, 0);
	}
}

void
twindir_cancel(struct twindir *d, void *arg)
{
	struct twindir_wait	*w;
	struct twindir_waiter	*x, *next;

	LIST_FOREACH(w, &d->waits, entry) {
		for (x = TAILQ_FIRST(&w->waiters); x != NULL; x = next) {
			next = TAILQ_NEXT(x, entry);
			if (x->arg == arg) {
				TAILQ_REMOVE(&w->waiters, x, entry);
				free(x);
			}
		}
	}
}

/*
 * Lookups in flight for id (all: every id) were asked before a change:
 * a chain read is answered but not kept, and the shared level's answer
 * is not taken (the chain is read instead).
 */
static void
mark_stale(struct twindir *d, uint32_t id, int all)
{
	struct twindir_wait	*w;

	LIST_FOREACH(w, &d->waits, entry)
		if (!w->by_account && (all || w->id == id))
			w->stale = 1;
}

void
twindir_forget(struct twindir *d, uint32_t id)
{
	mark_stale(d, id, 0);
	twincache_drop(&d->cache, id);
	if (d->shared.del != NULL)
		d->shared.del(d->shared.arg, id);
}

int
twindir_update(struct twindir *d, const struct twin_record *t, uint64_t now)
{
	mark_stale(d, t->id, 0);
	if (d->shared.put != NULL)
		d->shared.put(d->shared.arg, t, 1);
	return twincache_replace(&d->cache, t, now);
}

void
twindir_flush(struct twindir *d)
{
	mark_stale(d, 0, 1);
	twincache_flush(&d->cache);
	if (d->shared.flush != NULL)
		d->shared.flush(d->shared.arg);
}

size_t
twindir_cached(const struct twindir *d)
{
	return d->cache.n;
}

void
twindir_set_shared(struct twindir *d, const struct twindir_shared *s)
{
	if (d->chain == NULL || s == NULL || s->get == NULL) {
		memset(&d->shared, 0, sizeof(d->shared));
		return;
	}
	d->shared = *s;
}

void
twindir_shared_answer(struct twindir *d, uint32_t id,
    const struct twin_record *t, uint64_t ttl)
{
	struct twindir_wait	*w;
	struct twin_record	 copy;

	LIST_FOREACH(w, &d->waits, entry)
		if (w->shared && !w->answered && w->id == id)
			break;
	if (w == NULL)
		return;
	if (t == NULL || w->stale || t->id != id) {
		wait_chain(w);
		return;
	}
	/* t may be the caller's, which a callback could change. */
	copy = *t;
	twincache_put_ttl(&d->cache, &copy, w->now, ttl);
	wait_finish(w, 1, &copy, id);
}

void
twindir_on_chain(struct twindir *d, twindir_chain_fn fn, void *arg)
{
	d->on_chain = fn;
	d->on_chain_arg = arg;
}

void
twindir_close(struct twindir *d)
{
	struct twindir_wait	*w;

	/*
	 * A wait whose callbacks are running is freed by wait_finish once
	 * they return; every other one has a read in flight to cancel.
	 */
	while ((w = LIST_FIRST(&d->waits)) != NULL) {
		wait_unlink(w);
		waiters_free(w);
		w->d = NULL;
		if (!w->answered) {
			if (!w->shared)
				chainrpc_cancel(d->chain, w);
			free(w);
		}
	}
	twincache_free(&d->cache);
	twinfile_free(&d->file);
	memset(d, 0, sizeof(*d));
}
