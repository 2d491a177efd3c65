/* SPDX-License-Identifier: ISC */
/*
 * The cache in front of the twin sources (doc/protocol.md §7.6): at most
 * capacity twins by id, each kept ttl seconds from when it was put, the
 * least recently used dropped first when full.  Only found twins go in: a
 * miss is never stored.  The caller passes the time (monotonic seconds)
 * to every call, so tests control it.  Everything is allocated by
 * twincache_init; nothing after.
 */
#ifndef RMB_TWINCACHE_H
#define RMB_TWINCACHE_H

#include <stddef.h>
#include <stdint.h>

#include "ilist.h"
#include "tfchain_read.h"

/* The reference peer's figures. */
#define TWINCACHE_CAPACITY	500
#define TWINCACHE_TTL		300

/* Keeps slot numbers and the table size well inside uint32_t. */
#define TWINCACHE_MAX		(1u << 20)

struct twincache_ent {
	struct twin_record	rec;
	uint64_t		inserted;
	uint64_t		ttl;		/* seconds, at most the cache's */
	struct ilink		lru;		/* LRU list, or the free list */
};

struct twincache {
	struct twincache_ent	*ents;		/* capacity slots */
	uint32_t		*table;		/* slot + 1 by id; 0 is empty */
	uint32_t		 mask;		/* table size - 1 */
	uint32_t		 capacity, n;
	struct ilist		 lru;		/* slot + 1, most recent first */
	uint32_t		 free;		/* slot + 1 of a free one, or 0 */
	uint64_t		 ttl;
};

/* 0, or -1 if capacity is 0 or over TWINCACHE_MAX, or out of memory. */
int	twincache_init(struct twincache *c, size_t capacity, uint64_t ttl);

/*
 * The cached twin, or NULL.  A twin is expired, and dropped here, once
 * now - inserted >= ttl (a clock that went backwards expires it too).  A
 * hit becomes the most recently used.  The pointer is valid until the
 * next put, drop or free.
 */
const struct twin_record *twincache_get(struct twincache *c, uint32_t id,
	    uint64_t now);

/*
 * Stores a copy of rec as inserted at now, replacing any entry with its
 * id, or else evicting the least recently used one if the cache is full.
 */
void	twincache_put(struct twincache *c, const struct twin_record *rec,
	    uint64_t now);

/* Forgets id, so that the next get misses and the source is asked. */
void	twincache_drop(struct twincache *c, uint32_t id);

/*
 * twincache_put for a twin that must go sooner: kept min(ttl, the
 * cache's) seconds from now.  A ttl of 0 stores nothing and drops any
 * entry for its id.
 */
void	twincache_put_ttl(struct twincache *c, const struct twin_record *rec,
	    uint64_t now, uint64_t ttl);

/*
 * Replaces id's entry with a copy of rec, inserted at now, only when id
 * is cached (expired or not).  Returns 1 if it was, else 0.
 */
int	twincache_replace(struct twincache *c, const struct twin_record *rec,
	    uint64_t now);

/* Forgets every twin. */
void	twincache_flush(struct twincache *c);

void	twincache_free(struct twincache *c);

#endif
