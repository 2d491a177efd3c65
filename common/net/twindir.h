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

struct twindir {
	struct twinfile		 file;
	struct twincache	 cache;
	struct chainrpc		*chain;		/* NULL: the file is the source */
	LIST_HEAD(, twindir_wait) waits;	/* lookups on the chain */
	uint64_t		 hits;
	uint64_t		 misses;	/* asked the source */
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

/* Forgets twin id, so that the next lookup asks the source again. */
void	twindir_forget(struct twindir *, uint32_t id);

/*
 * The chain says twin t->id is now t (an event of a finalized block):
 * a cached record is replaced, as read at now.  A twin not cached is
 * not added, so that the cache keeps the twins that are used; a read of
 * it in flight is answered but not cached, since it may predate t.
 * Returns 1 when a cached record was replaced, else 0.
 */
int	twindir_update(struct twindir *, const struct twin_record *t,
	    uint64_t now);

/*
 * Forgets twin id because the chain deleted or changed it: as
 * twindir_forget(), and a read of it in flight is not cached.
 */
void	twindir_drop(struct twindir *, uint32_t id);

/* Forgets every cached twin; reads in flight are not cached either. */
void	twindir_flush(struct twindir *);

/* Twins in the cache now. */
size_t	twindir_cached(const struct twindir *);

/*
 * Frees the directory.  Pending callbacks are dropped without being
 * called and their chain reads cancelled; the rpc stays the caller's.
 */
void	twindir_close(struct twindir *);

#endif
