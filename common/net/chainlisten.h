/* SPDX-License-Identifier: ISC */
/*
 * The tfchain events listener of the relay and of rmb-netd: it follows
 * the finalized chain and keeps a twin directory's cache true to it.
 * Every poll period it asks for the finalized head; each block after the
 * last one done is read (its hash, then its System.Events at that hash,
 * a few blocks at once, applied in order) and decoded with the runtime's
 * metadata (chainevents.c): TwinStored and TwinUpdated replace a cached
 * twin, TwinDeleted forgets it.  It starts at the head it first sees.
 *
 * The metadata must be the one of the runtime that built the block: a
 * block's events are written by the code of its parent's state, so the
 * listener compares the spec version at each head with the one of its
 * metadata and, when they differ, walks block by block, reading the
 * parent's version and, when it changed, the parent's metadata.
 *
 * Falling more than the catch-up threshold behind (a pause, the chain
 * unreachable) flushes the whole cache and jumps to the head instead of
 * replaying.  A failed call is retried with backoff; a block that does
 * not decode, or that the node refuses (pruned), flushes the cache too,
 * since one of its events may be lost, and the listener goes on.
 * Metadata without the events rmb reads disables the listener for good:
 * the cache's TTL is then what bounds staleness.
 */
#ifndef RMB_CHAINLISTEN_H
#define RMB_CHAINLISTEN_H

#include <stddef.h>
#include <stdint.h>

#include <ev.h>

#define CHAINLISTEN_POLL	2.0	/* seconds between head polls */
#define CHAINLISTEN_CATCHUP	600	/* blocks, as the reference relay */
#define CHAINLISTEN_INFLIGHT	4	/* blocks read at once */
#define CHAINLISTEN_BACKOFF_MIN	1.0	/* seconds, doubled per failure */
#define CHAINLISTEN_BACKOFF_MAX	30.0
/* A block's System.Events value; tfchain's are a few KB. */
#define CHAINLISTEN_EVENTS_MAX	(4 * 1024 * 1024)

struct chainrpc;
struct twindir;
struct chainlisten;

struct chainlisten_stats {
	int		reconnecting;	/* the last call failed */
	int		disabled;	/* the metadata lacks the events */
	uint64_t	reconnect_cycles;	/* retries after a failure */
	uint64_t	err_decode;	/* blocks or metadata not decoded */
	uint64_t	err_cache_set;	/* always 0: setting cannot fail */
	uint64_t	err_rpc;	/* calls that failed */
	uint64_t	last_block;	/* last block processed */
	uint64_t	finalized;	/* last finalized head seen */
	uint64_t	stored, updated, deleted;	/* events applied */
	uint64_t	flushes;	/* whole-cache flushes */
	uint32_t	spec;		/* spec version of the metadata */
};

struct chainlisten_conf {
	struct ev_loop	*loop;
	struct chainrpc	*rpc;		/* the caller's, outlives the listener */
	struct twindir	*dir;		/* and so does the directory */
	uint64_t	 catchup;	/* threshold in blocks, at least 1 */
	double		 poll;		/* seconds, CHAINLISTEN_POLL */
	/* Monotonic seconds for the cache's insertion times. */
	uint64_t	(*now)(void);
};

/*
 * Starts listening: the first calls go out from the loop at once.
 * Returns NULL only when out of memory.
 */
struct chainlisten	*chainlisten_start(const struct chainlisten_conf *);

const struct chainlisten_stats *chainlisten_stats(const struct chainlisten *);

/* Cancels what is in flight (no callbacks) and frees; NULL allowed. */
void	chainlisten_free(struct chainlisten *);

#endif
