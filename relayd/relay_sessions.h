/* SPDX-License-Identifier: ISC */
/*
 * rmb-relay: the table of sessions connected here (doc/relay.md §1.4).
 * Each entry carries a generation so that a replaced connection's teardown
 * cannot remove its successor, the reference relay's bug.
 */
#ifndef RMB_RELAY_SESSIONS_H
#define RMB_RELAY_SESSIONS_H

#include <stddef.h>
#include <stdint.h>

#include "relay_stream.h"

#define RELAY_SESSIONS_CAP_MAX	(UINT32_MAX - 1)	/* links are 32-bit */

struct relay_sessions_ent {
	void			*conn;
	uint64_t		 gen;
	struct relay_sess_id	 id;
	uint32_t		 chain;		/* index + 1, 0 for none */
};

struct relay_sessions {
	uint64_t			 seed;
	uint64_t			 gen;	/* last one handed out */
	uint32_t			 cap;
	uint32_t			 count;
	uint32_t			 used;	/* entries ever taken */
	uint32_t			 free;	/* index + 1 of a free one */
	uint32_t			 mask;
	uint32_t			*buckets;
	struct relay_sessions_ent	*ents;
};

/*
 * Sets up a table of capacity sessions (workers x user_per_worker); memory
 * is capacity x 160 bytes plus 4 bytes a bucket, allocated here once.  The
 * seed keys the hash so clients cannot aim sids at one bucket.  Returns 0,
 * or -1 with errno set.
 */
int	relay_sessions_init(struct relay_sessions *, size_t capacity,
	    uint64_t seed);

/*
 * Registers conn for id.  On success *gen is the entry's generation (never
 * 0) and *old_conn the connection it replaced, or NULL; the caller closes
 * that one.  Replacing works even when the table is full.  Returns 0, or -1
 * (nothing changed, *old_conn NULL) with errno ENOSPC when the id is new and
 * the table full, or EINVAL when the sid has no NUL.
 */
int	relay_sessions_add(struct relay_sessions *,
	    const struct relay_sess_id *, void *conn, uint64_t *gen,
	    void **old_conn);

/* Removes id if its entry still has generation gen.  Returns 1 if it did. */
int	relay_sessions_remove(struct relay_sessions *,
	    const struct relay_sess_id *, uint64_t gen);

/* The connection registered for id, or NULL. */
void	*relay_sessions_get(const struct relay_sessions *,
	    const struct relay_sess_id *);

size_t	relay_sessions_count(const struct relay_sessions *);

void	relay_sessions_free(struct relay_sessions *);

#endif
