/* SPDX-License-Identifier: ISC */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "relay_sessions.h"

#define ENT(t, i)	(&(t)->ents[(i) - 1])
#define MUL1		0x9e3779b97f4a7c15ULL
#define MUL2		0xbf58476d1ce4e5b9ULL

_Static_assert(sizeof(struct relay_sessions_ent) <= 160,
    "the memory figure in relay_sessions.h is wrong");

static uint64_t
mix(uint64_t h, uint64_t v)
{
	h = (h ^ v) * MUL1;
	return h ^ (h >> 32);
}

/*
 * A seeded multiply-xorshift hash, not a cryptographic one: it only has to
 * make which sids share a bucket depend on a seed the clients never see.
 */
static uint32_t
bucket_of(const struct relay_sessions *t, const struct relay_sess_id *id)
{
	uint64_t	h, v;
	size_t		len = 0, i;

	if (id->has_sid)
		len = strnlen(id->sid, sizeof(id->sid));
	h = mix(t->seed, id->twin | (uint64_t)(id->has_sid != 0) << 32 |
	    (uint64_t)len << 33);
	for (i = 0; i < len; i += sizeof(v)) {
		v = 0;
		memcpy(&v, id->sid + i, len - i < sizeof(v) ? len - i :
		    sizeof(v));
		h = mix(h, v);
	}
	h = (h ^ (h >> 29)) * MUL2;
	h ^= h >> 32;
	return (uint32_t)h & t->mask;
}

/* The link that points at id's entry, or at the 0 ending its chain. */
static uint32_t *
find(const struct relay_sessions *t, const struct relay_sess_id *id)
{
	uint32_t	*p;

	p = &t->buckets[bucket_of(t, id)];
	while (*p != 0 && !relay_sess_eq(&ENT(t, *p)->id, id))
		p = &ENT(t, *p)->chain;
	return p;
}

int
relay_sessions_init(struct relay_sessions *t, size_t capacity,
    uint64_t seed)
{
	size_t	nb;

	memset(t, 0, sizeof(*t));
	if (capacity == 0 || capacity > RELAY_SESSIONS_CAP_MAX) {
		errno = EINVAL;
		return -1;
	}
	for (nb = 2; nb < capacity; nb <<= 1)
		;
	/* calloc leaves untouched pages unmapped, so memory follows use. */
	if ((t->buckets = calloc(nb, sizeof(*t->buckets))) == NULL)
		return -1;
	if ((t->ents = calloc(capacity, sizeof(*t->ents))) == NULL) {
		free(t->buckets);
		t->buckets = NULL;
		return -1;
	}
	t->mask = (uint32_t)(nb - 1);
	t->cap = (uint32_t)capacity;
	t->seed = seed;
	return 0;
}

int
relay_sessions_add(struct relay_sessions *t, const struct relay_sess_id *id,
    void *conn, uint64_t *gen, void **old_conn)
{
	struct relay_sessions_ent	*e;
	uint32_t			*p, i;
	size_t				 len = 0;

	*old_conn = NULL;
	if (id->has_sid && (len = strnlen(id->sid, sizeof(id->sid))) ==
	    sizeof(id->sid)) {
		errno = EINVAL;
		return -1;
	}
	p = find(t, id);
	if (*p != 0) {
		e = ENT(t, *p);
		*old_conn = e->conn;
		e->conn = conn;
		*gen = e->gen = ++t->gen;
		return 0;
	}
	if (t->count == t->cap) {
		errno = ENOSPC;
		return -1;
	}
	if (t->free != 0) {
		i = t->free;
		t->free = ENT(t, i)->chain;
	} else
		i = ++t->used;
	e = ENT(t, i);
	memset(e, 0, sizeof(*e));
	e->id.twin = id->twin;
	e->id.has_sid = id->has_sid != 0;
	memcpy(e->id.sid, id->sid, len);
	e->conn = conn;
	*gen = e->gen = ++t->gen;
	*p = i;
	t->count++;
	return 0;
}

int
relay_sessions_remove(struct relay_sessions *t,
    const struct relay_sess_id *id, uint64_t gen)
{
	struct relay_sessions_ent	*e;
	uint32_t			*p, i;

	p = find(t, id);
	if ((i = *p) == 0 || ENT(t, i)->gen != gen)
		return 0;
	e = ENT(t, i);
	*p = e->chain;
	memset(e, 0, sizeof(*e));
	e->chain = t->free;
	t->free = i;
	t->count--;
	return 1;
}

void *
relay_sessions_get(const struct relay_sessions *t,
    const struct relay_sess_id *id)
{
	uint32_t	i;

	if ((i = *find(t, id)) == 0)
		return NULL;
	return ENT(t, i)->conn;
}

size_t
relay_sessions_count(const struct relay_sessions *t)
{
	return t->count;
}

void
relay_sessions_free(struct relay_sessions *t)
{
	free(t->buckets);
	free(t->ents);
	memset(t, 0, sizeof(*t));
}
