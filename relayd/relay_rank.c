/* SPDX-License-Identifier: ISC */
#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "relay_rank.h"

#define DOM(r, i)	(&(r)->doms[(i) - 1])
#define NBUCKETS	(2 * RELAY_RANK_DOMAINS)

_Static_assert((NBUCKETS & (NBUCKETS - 1)) == 0, "buckets: a power of 2");
_Static_assert(sizeof(struct relay_rank_dom) <= 800,
    "the memory figure in relay_rank.h is wrong");

struct rank_key {
	unsigned int	 fails;
	uint32_t	 rnd;
	size_t		 idx;
	const char	*domain;
};

static uint32_t
bucket_of(const char *s)
{
	uint32_t	h = 2166136261u;

	while (*s != '\0')
		h = (h ^ (unsigned char)*s++) * 16777619u;
	return h & (NBUCKETS - 1);
}

static uint32_t
lookup(const struct relay_rank *r, const char *domain)
{
	uint32_t	i;

	for (i = r->buckets[bucket_of(domain)]; i != 0; i = DOM(r, i)->chain)
		if (strcmp(DOM(r, i)->name, domain) == 0)
			return i;
	return 0;
}

/* A clock stepped back makes a failure look new rather than vanish. */
static int
recent(uint64_t t, uint64_t now, uint64_t period)
{
	return period > 0 && (t >= now || now - t < period);
}

static void
hash_remove(struct relay_rank *r, uint32_t i)
{
	uint32_t	*p;

	p = &r->buckets[bucket_of(DOM(r, i)->name)];
	while (*p != i)
		p = &DOM(r, *p)->chain;
	*p = DOM(r, i)->chain;
}

int
relay_rank_init(struct relay_rank *r, uint64_t period)
{
	memset(r, 0, sizeof(*r));
	/* calloc leaves untouched pages unmapped, so memory follows use. */
	if ((r->doms = calloc(RELAY_RANK_DOMAINS, sizeof(*r->doms))) == NULL)
		return -1;
	ilist_init(&r->lru, r->doms, sizeof(*r->doms),
	    offsetof(struct relay_rank_dom, lru));
	r->period = period;
	return 0;
}

int
relay_rank_fail(struct relay_rank *r, const char *domain, uint64_t now)
{
	struct relay_rank_dom	*d;
	uint32_t		 i, b;
	size_t			 len;

	if ((len = strnlen(domain, RELAY_RANK_DOMAIN_MAX + 1)) >
	    RELAY_RANK_DOMAIN_MAX) {
		errno = ENAMETOOLONG;
		return -1;
	}
	if ((i = lookup(r, domain)) != 0)
		ilist_unlink(&r->lru, i);
	else {
		if (r->used < RELAY_RANK_DOMAINS)
			i = ++r->used;
		else {
			i = r->lru.tail;
			hash_remove(r, i);
			ilist_unlink(&r->lru, i);
		}
		d = DOM(r, i);
		memset(d, 0, sizeof(*d));
		memcpy(d->name, domain, len);
		b = bucket_of(d->name);
		d->chain = r->buckets[b];
		r->buckets[b] = i;
	}
	ilist_push_front(&r->lru, i);
	d = DOM(r, i);
	while (d->nfails > 0 && !recent(d->fails[d->first], now, r->period)) {
		d->first = (d->first + 1) % RELAY_RANK_FAILS;
		d->nfails--;
	}
	if (d->nfails == RELAY_RANK_FAILS) {
		d->first = (d->first + 1) % RELAY_RANK_FAILS;
		d->nfails--;
	}
	d->fails[(d->first + d->nfails) % RELAY_RANK_FAILS] = now;
	d->nfails++;
	return 0;
}

unsigned int
relay_rank_failures(const struct relay_rank *r, const char *domain,
    uint64_t now)
{
	const struct relay_rank_dom	*d;
	unsigned int			 k, n = 0;
	uint32_t			 i;

	if ((i = lookup(r, domain)) == 0)
		return 0;
	/* Count them all: a clock stepped back leaves the ring unsorted. */
	d = DOM(r, i);
	for (k = 0; k < d->nfails; k++)
		if (recent(d->fails[(d->first + k) % RELAY_RANK_FAILS], now,
		    r->period))
			n++;
	return n;
}

double
relay_rank_rate(const struct relay_rank *r, const char *domain, uint64_t now)
{
	unsigned int	n;

	if ((n = relay_rank_failures(r, domain, now)) == 0)
		return 0.0;
	return n / ((double)r->period / 3600.0);
}

static int
key_cmp(const void *a, const void *b)
{
	const struct rank_key	*ka = a, *kb = b;

	if (ka->fails != kb->fails)
		return ka->fails < kb->fails ? -1 : 1;
	if (ka->rnd != kb->rnd)
		return ka->rnd < kb->rnd ? -1 : 1;
	return ka->idx < kb->idx ? -1 : ka->idx > kb->idx;
}

int
relay_rank_order(const struct relay_rank *r, const char **domains, size_t n,
    uint64_t now, uint32_t (*rnd)(void *), void *rndarg)
{
	struct rank_key	keys[RELAY_RANK_ORDER_MAX];
	size_t		i;

	if (n > RELAY_RANK_ORDER_MAX) {
		errno = EINVAL;
		return -1;
	}
	/* One period for all, so ordering by count is ordering by rate. */
	for (i = 0; i < n; i++) {
		keys[i].fails = relay_rank_failures(r, domains[i], now);
		keys[i].rnd = rnd(rndarg);
		keys[i].idx = i;
		keys[i].domain = domains[i];
	}
	qsort(keys, n, sizeof(keys[0]), key_cmp);
	for (i = 0; i < n; i++)
		domains[i] = keys[i].domain;
	return 0;
}

void
relay_rank_free(struct relay_rank *r)
{
	free(r->doms);
	memset(r, 0, sizeof(*r));
}
