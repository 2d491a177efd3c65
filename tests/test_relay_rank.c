/* SPDX-License-Identifier: ISC */
#include <errno.h>

#include "relay_rank.h"
#include "tap.h"

#define T0	((uint64_t)1700000000)

/* Hands out a fixed list of numbers, so tie orders are known. */
struct script {
	const uint32_t	*v;
	size_t		 n, i;
};

static uint32_t
script_rnd(void *arg)
{
	struct script	*s = arg;

	if (s->i >= s->n)
		abort();
	return s->v[s->i++];
}

static uint32_t
xorshift_rnd(void *arg)
{
	uint32_t	*x = arg;

	*x ^= *x << 13, *x ^= *x >> 17, *x ^= *x << 5;
	return *x;
}

/* Orders a, b, c with the given draws; returns them joined, e.g. "bca". */
static const char *
order3(const struct relay_rank *r, uint64_t now, uint32_t r0, uint32_t r1,
    uint32_t r2)
{
	static char	 out[4];
	const char	*d[3] = { "a", "b", "c" };
	uint32_t	 v[3] = { r0, r1, r2 };
	struct script	 s = { v, 3, 0 };

	if (relay_rank_order(r, d, 3, now, script_rnd, &s) != 0 || s.i != 3)
		return "error";
	out[0] = d[0][0], out[1] = d[1][0], out[2] = d[2][0], out[3] = '\0';
	return out;
}

static void
test_ties(void)
{
	struct relay_rank	r;
	const char		*d[3] = { "a", "b", "c" };
	int			seen[6] = { 0 }, i, k, fair = 1;
	uint32_t		x = 2463534242u;

	relay_rank_init(&r, RELAY_RANK_PERIOD);
	ok(strcmp(order3(&r, T0, 3, 1, 2), "bca") == 0,
	    "ties: draws 3 1 2 give b c a");
	ok(strcmp(order3(&r, T0, 1, 2, 3), "abc") == 0,
	    "ties: draws 1 2 3 give a b c");
	ok(strcmp(order3(&r, T0, 2, 3, 1), "cab") == 0,
	    "ties: draws 2 3 1 give c a b");
	ok(strcmp(order3(&r, T0, 5, 5, 1), "cab") == 0,
	    "ties: equal draws keep the given order");
	ok(relay_rank_order(&r, d, 0, T0, NULL, NULL) == 0,
	    "ties: no domains, no draws");
	/* Sorting on random keys is a uniform shuffle. */
	for (i = 0; i < 6000; i++) {
		d[0] = "a", d[1] = "b", d[2] = "c";
		relay_rank_order(&r, d, 3, T0, xorshift_rnd, &x);
		k = (d[0][0] - 'a') * 2 + (d[1][0] < d[2][0] ? 0 : 1);
		seen[k]++;
	}
	for (k = 0; k < 6; k++)
		fair &= seen[k] > 850 && seen[k] < 1150;
	ok(fair, "ties: 6000 shuffles hit each order about 1000 times "
	    "(%d %d %d %d %d %d)", seen[0], seen[1], seen[2], seen[3],
	    seen[4], seen[5]);
	relay_rank_free(&r);
}

static void
test_failures(void)
{
	struct relay_rank	r;
	const char		*d[3] = { "example.com", "bing.com",
				    "google.com" };
	uint32_t		v[3] = { 0, 0, 0 };
	struct script		s = { v, 3, 0 };

	relay_rank_init(&r, RELAY_RANK_PERIOD);
	relay_rank_fail(&r, "a", T0);
	ok(strcmp(order3(&r, T0, 1, 2, 3), "bca") == 0,
	    "fail: a failed domain goes last despite the draws");
	relay_rank_fail(&r, "c", T0 + 1);
	relay_rank_fail(&r, "c", T0 + 2);
	ok(strcmp(order3(&r, T0 + 2, 1, 2, 3), "bac") == 0,
	    "fail: two failures rank below one");
	ok(strcmp(order3(&r, T0 + 2, 9, 2, 3), "bac") == 0,
	    "fail: and the draws do not matter then");

	relay_rank_fail(&r, "bing.com", T0);
	relay_rank_fail(&r, "example.com", T0);
	relay_rank_fail(&r, "example.com", T0);
	relay_rank_order(&r, d, 3, T0, script_rnd, &s);
	ok(strcmp(d[0], "google.com") == 0 && strcmp(d[1], "bing.com") == 0 &&
	    strcmp(d[2], "example.com") == 0,
	    "fail: the reference's order-by-rate case");

	ok(relay_rank_failures(&r, "example.com", T0) == 2 &&
	    relay_rank_rate(&r, "example.com", T0) == 2.0 &&
	    relay_rank_rate(&r, "nowhere", T0) == 0.0,
	    "rate: failures per hour over an hour");
	relay_rank_free(&r);

	relay_rank_init(&r, 1800);
	relay_rank_fail(&r, "a", T0);
	ok(relay_rank_rate(&r, "a", T0) == 2.0, "rate: 1 in half an hour is 2");
	relay_rank_free(&r);
	relay_rank_init(&r, 7200);
	relay_rank_fail(&r, "a", T0);
	ok(relay_rank_rate(&r, "a", T0) == 0.5, "rate: 1 in two hours is 0.5");
	relay_rank_free(&r);
}

static void
test_aging(void)
{
	struct relay_rank	r;

	relay_rank_init(&r, RELAY_RANK_PERIOD);
	relay_rank_fail(&r, "a", T0);
	relay_rank_fail(&r, "a", T0 + 1000);
	ok(relay_rank_failures(&r, "a", T0 + 3599) == 2,
	    "aging: both within the period");
	ok(relay_rank_failures(&r, "a", T0 + 3600) == 1,
	    "aging: the first is out after exactly a period");
	ok(relay_rank_failures(&r, "a", T0 + 4600) == 0 &&
	    relay_rank_rate(&r, "a", T0 + 4600) == 0.0,
	    "aging: then both");
	ok(strcmp(order3(&r, T0 + 4600, 1, 2, 3), "abc") == 0,
	    "aging: the ranking healed");
	relay_rank_fail(&r, "a", T0 + 5000);
	ok(r.doms[0].nfails == 1, "aging: adding one pruned the old ones");
	ok(relay_rank_failures(&r, "a", T0 + 4000) == 1,
	    "aging: a clock stepped back counts a later failure as new");
	relay_rank_free(&r);

	relay_rank_init(&r, 0);
	relay_rank_fail(&r, "a", T0);
	ok(relay_rank_failures(&r, "a", T0) == 0 &&
	    strcmp(order3(&r, T0, 1, 2, 3), "abc") == 0,
	    "aging: period 0 ranks every domain alike");
	relay_rank_free(&r);
}

static void
test_bounds(void)
{
	struct relay_rank	r;
	const char		*d[RELAY_RANK_ORDER_MAX + 1];
	char			name[RELAY_RANK_DOMAIN_MAX + 2], dn[16];
	uint32_t		x = 1;
	int			i, good = 1;

	relay_rank_init(&r, RELAY_RANK_PERIOD);
	for (i = 0; i < 100; i++)
		relay_rank_fail(&r, "a", T0 + (i < 99 ? 0 : 10));
	ok(relay_rank_failures(&r, "a", T0 + 10) == RELAY_RANK_FAILS,
	    "bounds: %d failures kept per domain", RELAY_RANK_FAILS);
	ok(relay_rank_failures(&r, "a", T0 + 3600) == 1,
	    "bounds: the oldest one made room for the newest");

	memset(name, 'x', sizeof(name));
	name[RELAY_RANK_DOMAIN_MAX + 1] = '\0';
	ok(relay_rank_fail(&r, name, T0) == -1 && errno == ENAMETOOLONG &&
	    relay_rank_failures(&r, name, T0) == 0,
	    "bounds: a domain over %d bytes is not tracked",
	    RELAY_RANK_DOMAIN_MAX);
	name[RELAY_RANK_DOMAIN_MAX] = '\0';
	ok(relay_rank_fail(&r, name, T0) == 0 &&
	    relay_rank_failures(&r, name, T0) == 1,
	    "bounds: one of %d bytes is", RELAY_RANK_DOMAIN_MAX);
	relay_rank_free(&r);

	relay_rank_init(&r, RELAY_RANK_PERIOD);
	for (i = 0; i < RELAY_RANK_DOMAINS; i++) {
		snprintf(dn, sizeof(dn), "d%d", i);
		relay_rank_fail(&r, dn, T0 + (uint64_t)i);
	}
	for (i = 0; i < RELAY_RANK_DOMAINS; i++) {
		snprintf(dn, sizeof(dn), "d%d", i);
		good &= relay_rank_failures(&r, dn, T0 + 1024) == 1;
	}
	ok(good && r.used == RELAY_RANK_DOMAINS,
	    "bounds: %d domains tracked", RELAY_RANK_DOMAINS);
	relay_rank_fail(&r, "d0", T0 + 2000);
	relay_rank_fail(&r, "new1", T0 + 2000);
	ok(relay_rank_failures(&r, "d1", T0 + 2000) == 0 &&
	    relay_rank_failures(&r, "d0", T0 + 2000) == 2 &&
	    relay_rank_failures(&r, "new1", T0 + 2000) == 1,
	    "bounds: the least recently failed domain went, not d0");
	for (i = 0; i < 3 * RELAY_RANK_DOMAINS; i++) {
		snprintf(dn, sizeof(dn), "e%d", i);
		relay_rank_fail(&r, dn, T0 + 3000);
	}
	for (i = 0, good = 1; i < 3 * RELAY_RANK_DOMAINS; i++) {
		snprintf(dn, sizeof(dn), "e%d", i);
		good &= relay_rank_failures(&r, dn, T0 + 3000) ==
		    (i >= 2 * RELAY_RANK_DOMAINS);
	}
	ok(good && r.used == RELAY_RANK_DOMAINS,
	    "bounds: after many more only the last %d are kept",
	    RELAY_RANK_DOMAINS);

	for (i = 0; i <= RELAY_RANK_ORDER_MAX; i++)
		d[i] = "z";
	d[0] = "e3071";
	ok(relay_rank_order(&r, d, RELAY_RANK_ORDER_MAX + 1, T0 + 3000,
	    xorshift_rnd, &x) == -1 && errno == EINVAL && x == 1 &&
	    strcmp(d[0], "e3071") == 0,
	    "bounds: more than %d domains are refused, untouched",
	    RELAY_RANK_ORDER_MAX);
	ok(relay_rank_order(&r, d, RELAY_RANK_ORDER_MAX, T0 + 3000,
	    xorshift_rnd, &x) == 0 &&
	    strcmp(d[RELAY_RANK_ORDER_MAX - 1], "e3071") == 0,
	    "bounds: %d are sorted", RELAY_RANK_ORDER_MAX);
	relay_rank_free(&r);
}

int
main(void)
{
	test_ties();
	test_failures();
	test_aging();
	test_bounds();
	return done_testing();
}
