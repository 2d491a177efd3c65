/* SPDX-License-Identifier: ISC */
#include <stdlib.h>
#include <string.h>

#include "twincache.h"
#include "tap.h"

static struct twin_record
twin(uint32_t id, uint8_t tag)
{
	struct twin_record	t;

	memset(&t, 0, sizeof(t));
	t.id = id;
	memset(t.account, tag, sizeof(t.account));
	t.has_relay = 1;
	snprintf(t.relay, sizeof(t.relay), "r%u-%u.example", id, tag);
	t.has_pk = 1;
	t.pklen = 33;
	memset(t.pk, tag, t.pklen);
	return t;
}

static int
holds(struct twincache *c, uint32_t id, uint8_t tag, uint64_t now)
{
	const struct twin_record	*got;
	struct twin_record		 want = twin(id, tag);

	got = twincache_get(c, id, now);
	return got != NULL && memcmp(got, &want, sizeof(want)) == 0;
}

static void
test_basic(void)
{
	struct twincache	c;
	struct twin_record	t = twin(7, 1);

	ok(twincache_init(&c, 0, 300) == -1, "capacity 0 is refused");
	ok(twincache_init(&c, TWINCACHE_MAX + 1, 300) == -1,
	    "capacity over TWINCACHE_MAX is refused");
	twincache_put(&c, &t, 0);
	ok(twincache_get(&c, 7, 0) == NULL,
	    "a cache whose init failed stores nothing");
	twincache_drop(&c, 7);
	twincache_free(&c);

	if (twincache_init(&c, TWINCACHE_CAPACITY, TWINCACHE_TTL) == -1)
		abort();
	ok(twincache_get(&c, 7, 1000) == NULL && c.n == 0, "empty: a miss");
	ok(c.n == 0, "a miss stores nothing");
	twincache_put(&c, &t, 1000);
	t.id = 99;	/* the cache keeps its own copy */
	ok(holds(&c, 7, 1, 1000) && c.n == 1, "get after put");
	ok(twincache_get(&c, 8, 1000) == NULL && c.n == 1,
	    "another id misses and is not stored");

	t = twin(7, 2);
	twincache_put(&c, &t, 1100);
	ok(holds(&c, 7, 2, 1100) && c.n == 1, "put replaces");
	/* The replacement restarted the clock. */
	ok(holds(&c, 7, 2, 1100 + TWINCACHE_TTL - 1),
	    "a replaced twin lives a full ttl from its new put");

	twincache_drop(&c, 7);
	ok(twincache_get(&c, 7, 1101) == NULL && c.n == 0, "drop");
	twincache_drop(&c, 7);
	twincache_drop(&c, 12345);
	ok(c.n == 0, "dropping an absent id is harmless");
	twincache_free(&c);
	twincache_free(&c);
}

/* Expired when now - inserted >= ttl: age 299 is served, age 300 is not. */
static void
test_expiry(void)
{
	struct twincache	c;
	struct twin_record	t = twin(5, 5);

	if (twincache_init(&c, 4, 300) == -1)
		abort();
	twincache_put(&c, &t, 10000);
	ok(holds(&c, 5, 5, 10000), "age 0 is served");
	ok(holds(&c, 5, 5, 10299), "age ttl - 1 is served");
	ok(c.n == 1, "a get adds nothing");
	ok(twincache_get(&c, 5, 10300) == NULL,
	    "age ttl is expired, though just read: a get keeps the clock");
	ok(c.n == 0, "an expired twin is dropped on access");
	ok(twincache_get(&c, 5, 10000) == NULL, "and stays gone");

	twincache_put(&c, &t, 20000);
	ok(twincache_get(&c, 5, 19999) == NULL && c.n == 0,
	    "a clock that went backwards expires the twin");

	twincache_put(&c, &t, 30000);
	ok(twincache_get(&c, 5, UINT64_MAX) == NULL,
	    "a far future expires the twin");
	twincache_free(&c);

	if (twincache_init(&c, 4, 0) == -1)
		abort();
	twincache_put(&c, &t, 1);
	ok(twincache_get(&c, 5, 1) == NULL, "ttl 0 caches nothing");
	twincache_free(&c);
}

static void
test_lru(void)
{
	struct twincache	c;
	struct twin_record	t;
	uint32_t		id;

	if (twincache_init(&c, 3, 300) == -1)
		abort();
	for (id = 1; id <= 3; id++) {
		t = twin(id, (uint8_t)id);
		twincache_put(&c, &t, 100);
	}
	ok(c.n == 3, "three in a cache of three");

	/* 1 becomes the most recent, so 2 is now the least. */
	ok(holds(&c, 1, 1, 101), "get 1");
	t = twin(4, 4);
	twincache_put(&c, &t, 102);
	ok(c.n == 3, "still three after a fourth put");
	ok(twincache_get(&c, 2, 103) == NULL, "2, least recently used, evicted");
	ok(holds(&c, 1, 1, 103) && holds(&c, 3, 3, 103) &&
	    holds(&c, 4, 4, 103), "1, 3 and 4 kept");

	/* Now 1, 3, 4 were used in that order: 1 is the least recent. */
	t = twin(5, 5);
	twincache_put(&c, &t, 104);
	ok(twincache_get(&c, 1, 105) == NULL, "then 1 is evicted");

	/* Replacing refreshes recency: least recent first, 3 4 5 is 4 5 3. */
	t = twin(3, 33);
	twincache_put(&c, &t, 106);
	t = twin(6, 6);
	twincache_put(&c, &t, 107);
	ok(twincache_get(&c, 4, 108) == NULL && holds(&c, 3, 33, 108) &&
	    holds(&c, 5, 5, 108) && holds(&c, 6, 6, 108),
	    "a replaced entry counts as recently used");

	/* A drop frees a slot: the next put evicts nobody. */
	twincache_drop(&c, 5);
	t = twin(7, 7);
	twincache_put(&c, &t, 109);
	ok(c.n == 3 && holds(&c, 3, 33, 110) && holds(&c, 6, 6, 110) &&
	    holds(&c, 7, 7, 110), "a dropped slot is reused");

	/* An expired entry found on access frees its slot likewise. */
	ok(twincache_get(&c, 3, 106 + 300) == NULL && c.n == 2,
	    "an expired entry leaves");
	twincache_free(&c);
}

static void
test_full(void)
{
	struct twincache	c;
	struct twin_record	t;
	uint32_t		id, missing = 0, wrong = 0;

	if (twincache_init(&c, TWINCACHE_CAPACITY, TWINCACHE_TTL) == -1)
		abort();
	/* Ids that share low bits, to make long probe runs. */
	for (id = 1; id <= TWINCACHE_CAPACITY; id++) {
		t = twin(id * 1024, (uint8_t)id);
		twincache_put(&c, &t, 5);
	}
	ok(c.n == TWINCACHE_CAPACITY, "500 entries stored");
	for (id = 1; id <= TWINCACHE_CAPACITY; id++)
		if (!holds(&c, id * 1024, (uint8_t)id, 6))
			missing++;
	ok(missing == 0, "every one of the 500 found");

	/* Drop every other one: the probe runs must survive the holes. */
	for (id = 1; id <= TWINCACHE_CAPACITY; id += 2)
		twincache_drop(&c, id * 1024);
	for (id = 1; id <= TWINCACHE_CAPACITY; id++)
		if ((twincache_get(&c, id * 1024, 7) != NULL) != (id % 2 == 0))
			wrong++;
	ok(wrong == 0 && c.n == TWINCACHE_CAPACITY / 2,
	    "after dropping half, exactly the other half is found");

	/* Refill past capacity; the oldest half goes first. */
	for (id = 1; id <= TWINCACHE_CAPACITY; id++) {
		t = twin(1000000 + id, (uint8_t)id);
		twincache_put(&c, &t, 8);
	}
	missing = wrong = 0;
	for (id = 1; id <= TWINCACHE_CAPACITY; id++) {
		if (!holds(&c, 1000000 + id, (uint8_t)id, 9))
			missing++;
		if (twincache_get(&c, id * 1024, 9) != NULL)
			wrong++;
	}
	ok(missing == 0 && wrong == 0 && c.n == TWINCACHE_CAPACITY,
	    "500 new twins evict the 250 older ones and no new one");

	for (id = 1; id <= 10000; id++)
		twincache_get(&c, 2000000 + id, 10);
	ok(c.n == TWINCACHE_CAPACITY, "10000 misses store nothing");
	twincache_free(&c);
}

/* A random workload checked against a plain array kept in LRU order. */
static void
test_model(void)
{
	struct twincache		 c;
	struct twin_record		 t;
	const struct twin_record	*got;
	uint32_t			 model[8], mn = 0, i, j, id;
	uint64_t			 seed = 12345, now = 0;
	int				 op, bad = 0, step;

	if (twincache_init(&c, 8, 1000000) == -1)
		abort();
	for (step = 0; step < 200000 && !bad; step++) {
		seed = seed * 6364136223846793005ULL + 1442695040888963407ULL;
		id = (uint32_t)(seed >> 33) % 24 + 1;
		op = (int)(seed >> 60) % 3;
		now++;
		for (i = 0; i < mn && model[i] != id; i++)
			;
		if (op == 0) {
			got = twincache_get(&c, id, now);
			if ((got != NULL) != (i < mn) ||
			    (got != NULL && got->id != id))
				bad = 1;
			if (i < mn) {
				for (j = i; j > 0; j--)
					model[j] = model[j - 1];
				model[0] = id;
			}
		} else if (op == 1) {
			t = twin(id, (uint8_t)step);
			twincache_put(&c, &t, now);
			if (i == mn) {
				if (mn == 8)
					i = --mn;
				else
					i = mn;
			}
			for (j = i; j > 0; j--)
				model[j] = model[j - 1];
			model[0] = id;
			if (i == mn)
				mn++;
		} else {
			twincache_drop(&c, id);
			if (i < mn) {
				for (j = i; j + 1 < mn; j++)
					model[j] = model[j + 1];
				mn--;
			}
		}
		if (c.n != mn)
			bad = 1;
	}
	ok(!bad, "200000 random operations match a reference LRU (step %d)",
	    step);
	twincache_free(&c);
}

/* A shorter life for one entry, and emptying the whole cache. */
static void
test_ttl_flush(void)
{
	struct twincache	c;
	struct twin_record	t;
	uint32_t		id;

	if (twincache_init(&c, 8, 300) == -1)
		abort();
	t = twin(1, 1);
	twincache_put_ttl(&c, &t, 100, 5);
	ok(twincache_get(&c, 1, 104) != NULL && twincache_get(&c, 1, 105) ==
	    NULL, "put_ttl: kept its own 5 s");
	t = twin(2, 2);
	twincache_put_ttl(&c, &t, 100, 1000);
	ok(twincache_get(&c, 2, 399) != NULL && twincache_get(&c, 2, 400) ==
	    NULL, "put_ttl: never past the cache's ttl");
	t = twin(3, 3);
	twincache_put(&c, &t, 100);
	twincache_put_ttl(&c, &t, 100, 0);
	ok(twincache_get(&c, 3, 100) == NULL && c.n == 0,
	    "put_ttl 0: stores nothing and drops the old entry");
	for (id = 1; id <= 8; id++) {
		t = twin(id, (uint8_t)id);
		twincache_put(&c, &t, 200);
	}
	twincache_flush(&c);
	ok(c.n == 0 && twincache_get(&c, 4, 200) == NULL,
	    "flush: nothing left");
	for (id = 11; id <= 19; id++) {
		t = twin(id, (uint8_t)id);
		twincache_put(&c, &t, 201);
	}
	ok(c.n == 8 && twincache_get(&c, 19, 201) != NULL &&
	    twincache_get(&c, 11, 201) == NULL,
	    "flush: every slot is free again");
	twincache_free(&c);
	twincache_flush(&c);
}

/* What the events listener does: replace only what is cached, flush. */
static void
test_replace_flush(void)
{
	struct twincache	c;
	struct twin_record	t;
	uint32_t		i;

	if (twincache_init(&c, 4, 300) == -1)
		abort();
	t = twin(7, 1);
	ok(twincache_replace(&c, &t, 100) == 0 && c.n == 0, "replace: a "
	    "twin not cached is not added");
	twincache_put(&c, &t, 100);
	t = twin(7, 2);
	ok(twincache_replace(&c, &t, 350) == 1 && holds(&c, 7, 2, 350),
	    "replace: a cached twin takes the new record");
	ok(holds(&c, 7, 2, 649) && twincache_get(&c, 7, 650) == NULL,
	    "replace: kept a full ttl from the replacement");
	for (i = 1; i <= 4; i++) {
		t = twin(i, 3);
		twincache_put(&c, &t, 700);
	}
	twincache_flush(&c);
	ok(c.n == 0 && twincache_get(&c, 1, 700) == NULL &&
	    twincache_get(&c, 4, 700) == NULL, "flush: every twin forgotten");
	for (i = 11; i <= 15; i++) {
		t = twin(i, 4);
		twincache_put(&c, &t, 800);
	}
	ok(c.n == 4 && !holds(&c, 11, 4, 800) && holds(&c, 12, 4, 800) &&
	    holds(&c, 15, 4, 800), "flush: all slots usable again, LRU "
	    "intact");
	twincache_free(&c);
	twincache_flush(&c);
	ok(twincache_replace(&c, &t, 0) == 0, "a freed cache: flush and "
	    "replace do nothing");
}

int
main(void)
{
	test_ttl_flush();
	test_replace_flush();
	test_basic();
	test_expiry();
	test_lru();
	test_full();
	test_model();
	return done_testing();
}
