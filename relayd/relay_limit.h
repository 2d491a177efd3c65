/* SPDX-License-Identifier: ISC */
/*
 * rmb-relay: the fixed-window rate limiter of doc/relay.md §3.  One
 * counter per twin, shared by all its sessions, kept in an LRU of a fixed
 * capacity (2 x max users); a twin pushed out of it starts a fresh window.
 */
#ifndef RMB_RELAY_LIMIT_H
#define RMB_RELAY_LIMIT_H

#include <stddef.h>
#include <stdint.h>

#include "ilist.h"

#define RELAY_LIMIT_WINDOW	60	/* seconds, fixed in the reference */
#define RELAY_LIMIT_CAP_MAX	(UINT32_MAX - 1)	/* links are 32-bit */

struct relay_limit_ent {
	uint64_t	window;		/* now / RELAY_LIMIT_WINDOW */
	uint64_t	count;
	uint64_t	bytes;
	uint32_t	twin;
	uint32_t	chain;		/* index + 1, 0 for none */
	struct ilink	lru;
};

struct relay_limit {
	int			 on;
	uint64_t		 count;	/* messages per window */
	uint64_t		 size;	/* bytes per window and per message */
	uint32_t		 cap;
	uint32_t		 used;
	struct ilist		 lru;
	unsigned int		 shift;	/* 32 - log2(buckets) */
	uint32_t		*buckets;
	struct relay_limit_ent	*ents;
};

/* Sets up a limiter that allows everything (no --limit given). */
void	relay_limit_off(struct relay_limit *);

/*
 * Sets up a limiter of count messages and size bytes per window for up to
 * capacity twins; memory is capacity x 40 bytes plus 4 bytes a bucket,
 * allocated here once.  Returns 0, or -1 with errno set.
 */
int	relay_limit_init(struct relay_limit *, uint64_t count, uint64_t size,
	    size_t capacity);

/*
 * Counts a message of len bytes from twin at unix time now.  Returns 1 to
 * let it through, 0 to drop it.
 */
int	relay_limit_check(struct relay_limit *, uint32_t twin, size_t len,
	    uint64_t now);

void	relay_limit_free(struct relay_limit *);

#endif
