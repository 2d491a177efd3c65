/* SPDX-License-Identifier: ISC */
/*
 * rmb-relay: the federation ranker of doc/relay.md §2.3.  It remembers
 * when each remote relay domain failed and orders a twin's domains by how
 * often they failed within the last period, ties in random order.
 */
#ifndef RMB_RELAY_RANK_H
#define RMB_RELAY_RANK_H

#include <stddef.h>
#include <stdint.h>

#include "ilist.h"

#define RELAY_RANK_PERIOD	3600	/* --ranker-period default, seconds */
#define RELAY_RANK_DOMAINS	1024	/* tracked; the stalest goes first */
#define RELAY_RANK_FAILS	64	/* kept per domain; the oldest goes */
#define RELAY_RANK_DOMAIN_MAX	255	/* a longer domain is never downvoted */
#define RELAY_RANK_ORDER_MAX	64	/* domains relay_rank_order() takes */

struct relay_rank_dom {
	uint64_t	fails[RELAY_RANK_FAILS];	/* ring, oldest first */
	uint32_t	first;
	uint32_t	nfails;
	uint32_t	chain;		/* index + 1, 0 for none */
	struct ilink	lru;
	char		name[RELAY_RANK_DOMAIN_MAX + 1];
};

struct relay_rank {
	uint64_t		 period;
	uint32_t		 used;
	struct ilist		 lru;		/* most recently failed first */
	uint32_t		 buckets[2 * RELAY_RANK_DOMAINS];
	struct relay_rank_dom	*doms;
};

/*
 * Sets up a ranker over period seconds (0 ranks every domain alike); it
 * allocates RELAY_RANK_DOMAINS x 800 bytes here once.  Returns 0, or -1
 * with errno set.
 */
int	relay_rank_init(struct relay_rank *, uint64_t period);

/* Records a failure of domain at unix time now; -1 if it is too long. */
int	relay_rank_fail(struct relay_rank *, const char *domain, uint64_t now);

/* Failures of domain within the period before now (at most the bound). */
unsigned int	relay_rank_failures(const struct relay_rank *,
	    const char *domain, uint64_t now);

/* Those failures per hour, the reference's rate. */
double	relay_rank_rate(const struct relay_rank *, const char *domain,
	    uint64_t now);

/*
 * Sorts domains[0..n) by ascending rate, ties in an order drawn from rnd
 * (called once a domain).  Returns 0, or -1 with errno EINVAL and domains
 * untouched when n > RELAY_RANK_ORDER_MAX.
 */
int	relay_rank_order(const struct relay_rank *, const char **domains,
	    size_t n, uint64_t now, uint32_t (*rnd)(void *), void *rndarg);

void	relay_rank_free(struct relay_rank *);

#endif
