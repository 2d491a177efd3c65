/* SPDX-License-Identifier: ISC */
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "twincache.h"

#define NIL	UINT32_MAX

/* Fibonacci hashing: consecutive ids spread over the whole table. */
static uint32_t
bucket(const struct twincache *c, uint32_t id)
{
	return (uint32_t)(((uint64_t)id * 0x9e3779b97f4a7c15ULL) >> 32) &
	    c->mask;
}

/* The table position holding id, or NIL. */
static uint32_t
lookup(const struct twincache *c, uint32_t id)
{
	uint32_t	i, s;

	for (i = bucket(c, id); (s = c->table[i]) != 0; i = (i + 1) & c->mask)
		if (c->ents[s - 1].rec.id == id)
			return i;
	return NIL;
}

/*
 * Empties table position i and shifts later members of its probe run back,
 * so that linear probing needs no tombstones.
 */
static void
table_delete(struct twincache *c, uint32_t i)
{
	uint32_t	j, home, s;

	for (j = (i + 1) & c->mask; (s = c->table[j]) != 0;
	    j = (j + 1) & c->mask) {
		home = bucket(c, c->ents[s - 1].rec.id);
		/* Moves s into the hole unless its home lies in (i, j]. */
		if (((j - home) & c->mask) >= ((j - i) & c->mask)) {
			c->table[i] = s;
			i = j;
		}
	}
	c->table[i] = 0;
}

/* Removes the entry at table position i and frees its slot. */
static void
remove_at(struct twincache *c, uint32_t i)
{
	uint32_t	s = c->table[i] - 1;

	table_delete(c, i);
	ilist_unlink(&c->lru, s + 1);
	c->ents[s].lru.next = c->free;	/* a free slot's link: the free list */
	c->free = s + 1;
	c->n--;
}

int
twincache_init(struct twincache *c, size_t capacity, uint64_t ttl)
{
	uint32_t	size, i;

	memset(c, 0, sizeof(*c));
	if (capacity == 0 || capacity > TWINCACHE_MAX)
		return -1;
	/* At most half full, so probe runs stay short. */
	for (size = 2; size < 2 * capacity; size *= 2)
		;
	c->ents = calloc(capacity, sizeof(*c->ents));
	c->table = calloc(size, sizeof(*c->table));
	if (c->ents == NULL || c->table == NULL) {
		twincache_free(c);
		return -1;
	}
	c->mask = size - 1;
	c->capacity = (uint32_t)capacity;
	c->ttl = ttl;
	ilist_init(&c->lru, c->ents, sizeof(*c->ents),
	    offsetof(struct twincache_ent, lru));
	for (i = 0; i < c->capacity; i++)
		c->ents[i].lru.next = i + 1 < c->capacity ? i + 2 : 0;
	c->free = 1;
	return 0;
}

const struct twin_record *
twincache_get(struct twincache *c, uint32_t id, uint64_t now)
{
	struct twincache_ent	*e;
	uint32_t		 i, s;

	if (c->table == NULL || (i = lookup(c, id)) == NIL)
		return NULL;
	s = c->table[i] - 1;
	e = &c->ents[s];
	if (now < e->inserted || now - e->inserted >= e->ttl) {
		remove_at(c, i);
		return NULL;
	}
	ilist_touch(&c->lru, s + 1);
	return &e->rec;
}

void
twincache_put(struct twincache *c, const struct twin_record *rec,
    uint64_t now)
{
	twincache_put_ttl(c, rec, now, c->ttl);
}

void
twincache_put_ttl(struct twincache *c, const struct twin_record *rec,
    uint64_t now, uint64_t ttl)
{
	uint32_t	i, s;

	if (c->table == NULL)
		return;
	if (ttl == 0) {
		twincache_drop(c, rec->id);
		return;
	}
	if ((i = lookup(c, rec->id)) != NIL) {
		s = c->table[i] - 1;
		ilist_unlink(&c->lru, s + 1);
	} else {
		if (c->n == c->capacity)
			remove_at(c, lookup(c, c->ents[c->lru.tail - 1].rec.id));
		s = c->free - 1;
		c->free = c->ents[s].lru.next;
		for (i = bucket(c, rec->id); c->table[i] != 0;
		    i = (i + 1) & c->mask)
			;
		c->table[i] = s + 1;
		c->n++;
	}
	c->ents[s].rec = *rec;
	c->ents[s].inserted = now;
	c->ents[s].ttl = ttl < c->ttl ? ttl : c->ttl;
	ilist_push_front(&c->lru, s + 1);
}

void
twincache_drop(struct twincache *c, uint32_t id)
{
	uint32_t	i;

	if (c->table != NULL && (i = lookup(c, id)) != NIL)
		remove_at(c, i);
}

int
twincache_replace(struct twincache *c, const struct twin_record *rec,
    uint64_t now)
{
	if (c->table == NULL || lookup(c, rec->id) == NIL)
		return 0;
	twincache_put(c, rec, now);
	return 1;
}

void
twincache_flush(struct twincache *c)
{
	while (c->table != NULL && c->n > 0)
		remove_at(c, lookup(c, c->ents[c->lru.tail - 1].rec.id));
}

void
twincache_free(struct twincache *c)
{
	free(c->ents);
	free(c->table);
	memset(c, 0, sizeof(*c));
}
