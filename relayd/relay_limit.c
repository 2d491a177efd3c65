/* SPDX-License-Identifier: ISC */
#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "relay_limit.h"

#define ENT(l, i)	(&(l)->ents[(i) - 1])

_Static_assert(sizeof(struct relay_limit_ent) <= 40,
    "the memory figure in relay_limit.h is wrong");

static uint32_t
bucket_of(const struct relay_limit *l, uint32_t twin)
{
	/* Fibonacci hashing spreads the mostly sequential twin ids. */
	return (uint32_t)(twin * 2654435769u) >> l->shift;
}

static void
hash_remove(struct relay_limit *l, uint32_t i)
{
	uint32_t	*p;

	p = &l->buckets[bucket_of(l, ENT(l, i)->twin)];
	while (*p != i)
		p = &ENT(l, *p)->chain;
	*p = ENT(l, i)->chain;
	ENT(l, i)->chain = 0;
}

/* Finds the twin's counter, taking the least recently used one if new. */
static struct relay_limit_ent *
lookup(struct relay_limit *l, uint32_t twin, uint64_t window)
{
	struct relay_limit_ent	*e;
	uint32_t		 b, i;

	b = bucket_of(l, twin);
	for (i = l->buckets[b]; i != 0; i = ENT(l, i)->chain) {
		if (ENT(l, i)->twin == twin) {
			ilist_touch(&l->lru, i);
			return ENT(l, i);
		}
	}
	if (l->used < l->cap)
		i = ++l->used;
	else {
		i = l->lru.tail;
		hash_remove(l, i);
		ilist_unlink(&l->lru, i);
	}
	e = ENT(l, i);
	e->twin = twin;
	e->window = window;
	e->count = e->bytes = 0;
	e->chain = l->buckets[b];
	l->buckets[b] = i;
	ilist_push_front(&l->lru, i);
	return e;
}

void
relay_limit_off(struct relay_limit *l)
{
	memset(l, 0, sizeof(*l));
}

int
relay_limit_init(struct relay_limit *l, uint64_t count, uint64_t size,
    size_t capacity)
{
	size_t		nb;
	unsigned int	bits;

	memset(l, 0, sizeof(*l));
	if (capacity == 0 || capacity > RELAY_LIMIT_CAP_MAX) {
		errno = EINVAL;
		return -1;
	}
	/* At most one twin a bucket on average, and at least two buckets. */
	for (bits = 1, nb = 2; nb < capacity; bits++)
		nb <<= 1;
	/* calloc leaves untouched pages unmapped, so memory follows use. */
	if ((l->buckets = calloc(nb, sizeof(*l->buckets))) == NULL)
		return -1;
	if ((l->ents = calloc(capacity, sizeof(*l->ents))) == NULL) {
		free(l->buckets);
		l->buckets = NULL;
		return -1;
	}
	ilist_init(&l->lru, l->ents, sizeof(*l->ents),
	    offsetof(struct relay_limit_ent, lru));
	l->shift = 32 - bits;
	l->cap = (uint32_t)capacity;
	l->count = count;
	l->size = size;
	l->on = 1;
	return 0;
}

int
relay_limit_check(struct relay_limit *l, uint32_t twin, size_t len,
    uint64_t now)
{
	struct relay_limit_ent	*e;
	uint64_t		 window;

	if (!l->on)
		return 1;
	if ((uint64_t)len > l->size)
		return 0;
	window = now / RELAY_LIMIT_WINDOW;
	e = lookup(l, twin, window);
	if (e->window != window) {
		e->window = window;
		e->count = e->bytes = 0;
	}
	/* Saturating, since dropped messages keep adding within a window. */
	if (e->count != UINT64_MAX)
		e->count++;
	e->bytes = e->bytes > UINT64_MAX - len ? UINT64_MAX : e->bytes + len;
	return e->count <= l->count && e->bytes <= l->size;
}

void
relay_limit_free(struct relay_limit *l)
{
	free(l->buckets);
	free(l->ents);
	memset(l, 0, sizeof(*l));
}
