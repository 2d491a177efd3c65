/* SPDX-License-Identifier: ISC */
/*
 * rmb-relay: the parts of the federation worker (doc/relay.md §2.2-2.4) that
 * decide without I/O, so that relay_fed.c only moves bytes: reading the
 * XREADGROUP, XCLAIM and XPENDING replies, splitting a twin's relay field,
 * the pass and attempt order, and what an HTTP answer means.
 */
#ifndef RMB_RELAY_FEDPLAN_H
#define RMB_RELAY_FEDPLAN_H

#include <stddef.h>
#include <stdint.h>

#include <hiredis/hiredis.h>

#define RELAY_FEDPLAN_ID_MAX	47	/* a stream id: two u64 and a dash */
#define RELAY_FEDPLAN_PASSES	3
#define RELAY_FEDPLAN_HOST_MAX	253	/* longest DNS name we POST to */

enum relay_fedplan_kind {
	RELAY_FEDPLAN_MSG,		/* exactly one field, "msg" */
	RELAY_FEDPLAN_BAD,		/* other fields: to be acked and dropped */
	RELAY_FEDPLAN_GONE		/* deleted from the stream, no fields */
};

/* One stream entry; msg points into the reply it was read from. */
struct relay_fedplan_entry {
	enum relay_fedplan_kind	 kind;
	char			 id[RELAY_FEDPLAN_ID_MAX + 1];
	const uint8_t		*msg;
	size_t			 len;
};

/*
 * The entries of an XREADGROUP reply for stream (NIL is none), at most
 * max of them; the others, and entries without a usable id, are counted
 * in *left.  Returns the number, or -1 when the reply is not shaped like
 * one (an error reply included).
 */
int	relay_fedplan_read(const redisReply *, const char *stream,
	    struct relay_fedplan_entry *, size_t max, size_t *left);

/* The same for an XCLAIM reply, a plain array of entries. */
int	relay_fedplan_claimed(const redisReply *, struct relay_fedplan_entry *,
	    size_t max, size_t *left);

/* What an XPENDING (extended form) reply tells about paging. */
struct relay_fedplan_pel {
	size_t	rows;				/* all rows of the reply */
	char	last[RELAY_FEDPLAN_ID_MAX + 1];	/* id of the last row */
};

/*
 * Copies the ids of the rows of an XPENDING reply idle at least min_idle
 * ms into ids, at most max.  Returns their number, or -1 when the reply is
 * not shaped like one.
 */
int	relay_fedplan_pending(const redisReply *, long long min_idle,
	    char (*ids)[RELAY_FEDPLAN_ID_MAX + 1], size_t max,
	    struct relay_fedplan_pel *);

/* 1 when s is "<ms>-<seq>", both decimal u64, at most the bound long. */
int	relay_fedplan_id_ok(const char *s, size_t len);

/*
 * The smallest id after id, for the next XPENDING page (Redis before 6.2
 * has no exclusive ranges).  Returns 0, or -1 when id is the last one.
 */
int	relay_fedplan_id_after(const char *id, char out[RELAY_FEDPLAN_ID_MAX + 1]);

/*
 * Splits a twin's relay field on '_' in place, skipping empty parts and
 * repeats, into at most max domains; *dropped counts the ones past max.
 * Returns the number of domains.
 */
size_t	relay_fedplan_split(char *relay, const char **doms, size_t max,
	    size_t *dropped);

/*
 * 1 when d can go between "https://" and "/" and mean only a host: DNS
 * letters, digits, '-' and '.', or UTF-8 bytes for curl's IDN support.
 */
int	relay_fedplan_host_ok(const char *d);

/*
 * "a, b, c" into buf, bytes outside printable ASCII shown as '?', cut
 * with "..." when it does not fit.  cap must be at least 4.
 */
void	relay_fedplan_join(char *buf, size_t cap, const char *const *doms,
	    size_t n);

/* Up to RELAY_FEDPLAN_PASSES passes over n domains, waits in between. */
struct relay_fedplan_try {
	size_t		n;
	size_t		next;		/* next domain in this pass */
	unsigned int	pass;		/* 1 to RELAY_FEDPLAN_PASSES */
};

enum relay_fedplan_step {
	RELAY_FEDPLAN_TRY,		/* post to domain *idx */
	RELAY_FEDPLAN_WAIT,	/* wait, then ask again */
	RELAY_FEDPLAN_GIVE_UP	/* transient: no pass reached anyone */
};

void	relay_fedplan_try_init(struct relay_fedplan_try *, size_t n);

/*
 * The next step.  A wait lasts *base_ms plus a uniform draw from
 * 0 to *jitter_ms, both ends included.
 */
enum relay_fedplan_step relay_fedplan_try_next(struct relay_fedplan_try *,
	    size_t *idx, unsigned int *base_ms, unsigned int *jitter_ms);

enum relay_fedplan_verdict {
	RELAY_FEDPLAN_DELIVERED,	/* 202 */
	RELAY_FEDPLAN_REJECTED,	/* any 4xx: permanent, no downvote */
	RELAY_FEDPLAN_FAILED	/* the rest: downvote, try the next */
};

/* transport_ok is 0 when no complete answer came (status is then unused). */
enum relay_fedplan_verdict relay_fedplan_verdict(int transport_ok, long status);

#endif
