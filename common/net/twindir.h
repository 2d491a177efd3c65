/* SPDX-License-Identifier: ISC */
/*
 * The twin directory of the peer and the relay: "twin by id" and "twin id
 * by account", through a TTL cache in front of a source: the static twin
 * file (--twins), or tfchain through common/chainrpc.  Only found twins
 * are cached, so a twin that appears later is seen at the next lookup.
 */
#ifndef RMB_TWINDIR_H
#define RMB_TWINDIR_H

#include <sys/queue.h>

#include <stddef.h>
#include <stdint.h>

#include "tfchain_read.h"
#include "twincache.h"
#include "twinfile.h"

struct chainrpc;
struct twindir_wait;

/*
 * A second level between the cache and the chain, which other processes
 * share (the relay's redis): a miss of the cache asks it before the
 * chain, and what the chain gives is stored there.  get asks it for twin
 * id and returns 0, the answer to come through twindir_shared_answer
 * (possibly before get returns), or -1 without answering when it cannot
 * ask (the chain is then read at once).  put stores a twin the chain
 * gave, or with only_replace one twindir_update was told, when the
 * shared level holds that twin already; del forgets one, flush forgets
 * all; each may be NULL.
 */
struct twindir_shared {
	int	(*get)(void *arg, uint32_t id);
	void	(*put)(void *arg, const struct twin_record *t,
		    int only_replace);
	void	(*del)(void *arg, uint32_t id);
	void	(*flush)(void *arg);
	void	*arg;
};

/* Told the outcome of every read of the chain: twindir_cb's rv. */
typedef void	(*twindir_chain_fn)(void *arg, int rv);

struct twindir {
	struct twinfile		 file;
	struct twincache	 cache;
	struct chainrpc		*chain;		/* NULL: the file is the source */
	LIST_HEAD(, twindir_wait) waits;	/* lookups on the chain */
	uint64_t		 hits;
	uint64_t		 misses;	/* asked the source */
	/* twindir_set_shared, twindir_on_chain */
	struct twindir_shared	 shared;	/* get NULL: none */
	twindir_chain_fn	 on_chain;
	void			*on_chain_arg;
	uint64_t		 chain_reads;	/* state_getStorage calls sent */
};

/* 1 found (t set), 0 no such twin, -1 the source failed. */
typedef void	(*twindir_cb)(void *arg, int rv, const struct twin_record *t);
/* 1 found (id set), 0 no twin for that account, -1 the source failed. */
typedef void	(*twindir_id_cb)(void *arg, int rv, uint32_t id);

/*
 * Opens a directory over the twin file at path, with a cache of capacity
 * twins kept ttl seconds.  Returns 0, or -1 with a one-line reason in err
 * that names the file and, for a bad entry, the entry.
 */
int	twindir_open_file(struct twindir *, const char *path, size_t capacity,
	    uint64_t ttl, char *err, size_t errlen);

/*
 * Opens a directory over tfchain through rpc (owned by the caller, kept
 * alive while the directory is), with a cache of capacity twins kept ttl
 * seconds.  Returns 0, or -1 with a reason in err.
 */
int	twindir_open_chain(struct twindir *, struct chainrpc *rpc,
	    size_t capacity, uint64_t ttl, char *err, size_t errlen);

/*
 * Twin id, from the cache or the source: cb runs before this returns
 * when the answer is at hand (the cache, the file), else later from the
 * loop.  Concurrent misses for one id share one chain read; a miss is
 * never cached.
 */
void	twindir_lookup(struct twindir *, uint32_t id, uint64_t now,
	    twindir_cb cb, void *arg);

/* The twin id of an account, never cached (doc/protocol.md §7.6). */
void	twindir_lookup_account(struct twindir *, const uint8_t account[32],
	    twindir_id_cb cb, void *arg);

/* Drops every pending callback for arg (its owner is going away). */
void	twindir_cancel(struct twindir *, void *arg);

/*
 * Copies twin id into *out, synchronously: the file source, or only the
 * cache with the chain source.  Returns 1 found, 0 no such twin (or not
 * cached), -1 the source failed.  now is monotonic seconds, for the cache.
 */
int	twindir_get(struct twindir *, uint32_t id, struct twin_record *out,
	    uint64_t now);

/* The twin id of an account: 1 found (*id set), 0 none, -1 failed. */
int	twindir_find(struct twindir *, const uint8_t account[32],
	    uint32_t *id);

/*
 * Forgets twin id, here and in the shared level, so that the next lookup
 * asks the source again; a read of it in flight is answered but not
 * kept.
 */
void	twindir_forget(struct twindir *, uint32_t id);

/*
 * The chain says twin t->id is now t (an event of a finalized block):
 * a cached record is replaced, as read at now, and so is the shared
 * level's.  A twin not cached is not added, so that the caches keep the
 * twins that are used; a read of it in flight is answered but not kept,
 * since it may predate t.  Returns 1 when a cached record was replaced
 * here, else 0.
 */
int	twindir_update(struct twindir *, const struct twin_record *t,
	    uint64_t now);

/* Forgets every twin, here and in the shared level. */
void	twindir_flush(struct twindir *);

/* Twins in the cache now. */
size_t	twindir_cached(const struct twindir *);

/*
 * Sets the shared level of a directory over the chain (s is copied; a
 * get of NULL takes it away).  Lookups already waiting keep their way.
 */
void	twindir_set_shared(struct twindir *, const struct twindir_shared *s);

/*
 * The shared level's answer to its get of id: t found there, to be kept
 * in the cache at most ttl seconds (the time it has left there; 0 keeps
 * it out), or NULL when it is not there, unusable or did not answer in
 * time: the chain is read.  An answer for no lookup is ignored, and so
 * is a t for a twin forgotten or updated since the get (the chain is
 * read instead).
 */
void	twindir_shared_answer(struct twindir *, uint32_t id,
	    const struct twin_record *t, uint64_t ttl);

/* Sets fn to be told the outcome of every chain read (NULL: none). */
void	twindir_on_chain(struct twindir *, twindir_chain_fn fn, void *arg);

/*
 * Frees the directory.  Pending callbacks are dropped without being
 * called and their chain reads cancelled; the rpc stays the caller's.
 */
void	twindir_close(struct twindir *);

#endif
