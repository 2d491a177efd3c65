/* SPDX-License-Identifier: ISC */
#include <errno.h>

#include "relay_limit.h"
#include "tap.h"

/* A start time on a window boundary, so offsets read as seconds into it. */
#define T0	((uint64_t)1700000040)

static void
test_off(void)
{
	struct relay_limit	l;
	int			i, all = 1;

	relay_limit_off(&l);
	for (i = 0; i < 1000; i++)
		all &= relay_limit_check(&l, 7, (size_t)i * 1000000, T0);
	ok(all, "off: everything passes");
	relay_limit_free(&l);
	ok(relay_limit_init(&l, 1, 1, 0) == -1 && errno == EINVAL,
	    "capacity 0 is refused");
}

static void
test_count(void)
{
	struct relay_limit	l;

	relay_limit_init(&l, 3, 1000, 16);
	ok(relay_limit_check(&l, 1, 10, T0) &&
	    relay_limit_check(&l, 1, 10, T0 + 1) &&
	    relay_limit_check(&l, 1, 10, T0 + 2), "count: 3 of 3 pass");
	ok(!relay_limit_check(&l, 1, 10, T0 + 3), "count: the 4th is dropped");
	ok(!relay_limit_check(&l, 1, 0, T0 + 59),
	    "count: an empty message counts too");
	ok(relay_limit_check(&l, 1, 10, T0 + 60), "count: next window passes");
	relay_limit_free(&l);
}

static void
test_bytes(void)
{
	struct relay_limit	l;

	relay_limit_init(&l, 100, 10, 16);
	ok(relay_limit_check(&l, 1, 4, T0) && relay_limit_check(&l, 1, 4, T0),
	    "bytes: 8 of 10 pass");
	ok(!relay_limit_check(&l, 1, 4, T0), "bytes: 12 of 10 is dropped");
	ok(!relay_limit_check(&l, 1, 1, T0),
	    "bytes: the dropped one was counted, 13 of 10");
	ok(relay_limit_check(&l, 1, 10, T0 + 60),
	    "bytes: the whole size in a fresh window passes");
	ok(relay_limit_check(&l, 1, 0, T0 + 60),
	    "bytes: an empty message after that adds nothing");
	ok(!relay_limit_check(&l, 1, 1, T0 + 60),
	    "bytes: one more byte is dropped");
	relay_limit_free(&l);
}

static void
test_oversize(void)
{
	struct relay_limit	l;

	relay_limit_init(&l, 2, 10, 16);
	ok(!relay_limit_check(&l, 1, 11, T0), "oversize: L > size is dropped");
	ok(!relay_limit_check(&l, 1, 11, T0), "oversize: again");
	ok(relay_limit_check(&l, 1, 5, T0) && relay_limit_check(&l, 1, 5, T0),
	    "oversize: not counted, two messages and 10 bytes still pass");
	ok(!relay_limit_check(&l, 1, 0, T0), "oversize: the third is dropped");
	ok(relay_limit_check(&l, 1, 10, T0 + 60),
	    "oversize: L == size passes");
	relay_limit_free(&l);
}

static void
test_window(void)
{
	struct relay_limit	l;

	relay_limit_init(&l, 1, 100, 16);
	ok(relay_limit_check(&l, 1, 1, T0 + 59), "window: last second passes");
	ok(!relay_limit_check(&l, 1, 1, T0 + 59),
	    "window: same second is dropped");
	ok(relay_limit_check(&l, 1, 1, T0 + 60),
	    "window: the boundary one second later resets it");
	ok(!relay_limit_check(&l, 1, 1, T0 + 119),
	    "window: the window is floor(now/60), not 60 s from the first");
	ok(relay_limit_check(&l, 1, 1, T0 + 600),
	    "window: a later window resets it");
	ok(relay_limit_check(&l, 1, 1, T0 + 540),
	    "window: so does a clock step back");
	relay_limit_free(&l);
}

static void
test_twins(void)
{
	struct relay_limit	l;
	int			i, r;

	relay_limit_init(&l, 2, 100, 16);
	relay_limit_check(&l, 1, 1, T0);
	relay_limit_check(&l, 1, 1, T0);
	ok(!relay_limit_check(&l, 1, 1, T0), "twins: twin 1 is over");
	ok(relay_limit_check(&l, 2, 1, T0) && relay_limit_check(&l, 2, 1, T0),
	    "twins: twin 2 has its own counter");
	relay_limit_free(&l);
	/* The limiter sees only the twin, so every session of it shares. */
	relay_limit_init(&l, 4, 100, 16);
	for (i = 0, r = 0; i < 6; i++)
		r += relay_limit_check(&l, 9, 1, T0 + 1);
	ok(r == 4, "twins: sessions of one twin share one count (%d)", r);
	relay_limit_free(&l);
}

static void
test_lru(void)
{
	struct relay_limit	l;

	relay_limit_init(&l, 1, 100, 2);
	relay_limit_check(&l, 1, 1, T0);
	relay_limit_check(&l, 2, 1, T0);
	ok(!relay_limit_check(&l, 1, 1, T0), "lru: twin 1 is over (and used)");
	ok(relay_limit_check(&l, 3, 1, T0), "lru: twin 3 pushes out twin 2");
	ok(!relay_limit_check(&l, 1, 1, T0), "lru: twin 1 kept its count");
	ok(!relay_limit_check(&l, 3, 1, T0), "lru: twin 3 is over");
	ok(relay_limit_check(&l, 2, 1, T0),
	    "lru: twin 2 starts a fresh window, pushing out twin 1");
	ok(relay_limit_check(&l, 1, 1, T0), "lru: and so does twin 1");
	ok(!relay_limit_check(&l, 2, 1, T0), "lru: twin 2 was kept");
	relay_limit_free(&l);

	relay_limit_init(&l, 1, 100, 1);
	relay_limit_check(&l, 1, 1, T0);
	ok(!relay_limit_check(&l, 1, 1, T0), "lru: capacity 1 keeps one twin");
	ok(relay_limit_check(&l, 2, 1, T0) && relay_limit_check(&l, 1, 1, T0),
	    "lru: capacity 1 alternates");
	relay_limit_free(&l);
}

/* A straightforward model of section 3 with an array LRU, newest first. */
#define MCAP	8
struct model {
	int		n;
	uint32_t	twin[MCAP];
	uint64_t	window[MCAP], count[MCAP], bytes[MCAP];
};

static int
model_check(struct model *m, uint64_t lim, uint64_t size, uint32_t twin,
    size_t len, uint64_t now)
{
	uint64_t	w, c, b;
	int		i, j;

	if (len > size)
		return 0;
	w = now / 60;
	for (i = 0; i < m->n && m->twin[i] != twin; i++)
		;
	if (i == m->n) {
		if (m->n < MCAP)
			m->n++;
		i = m->n - 1;
		m->window[i] = w;
		m->count[i] = m->bytes[i] = 0;
		m->twin[i] = twin;
	}
	c = m->count[i], b = m->bytes[i];
	if (m->window[i] != w)
		c = b = 0;
	for (j = i; j > 0; j--) {
		m->twin[j] = m->twin[j - 1];
		m->window[j] = m->window[j - 1];
		m->count[j] = m->count[j - 1];
		m->bytes[j] = m->bytes[j - 1];
	}
	m->twin[0] = twin;
	m->window[0] = w;
	m->count[0] = c + 1;
	m->bytes[0] = b + len;
	return m->count[0] <= lim && m->bytes[0] <= size;
}

static void
test_model(void)
{
	struct relay_limit	l;
	struct model		m;
	uint64_t		now = T0, x = 88172645463325252ULL;
	uint32_t		twin;
	size_t			len;
	int			i, same = 1;

	memset(&m, 0, sizeof(m));
	relay_limit_init(&l, 5, 300, MCAP);
	for (i = 0; i < 200000; i++) {
		x ^= x << 13, x ^= x >> 7, x ^= x << 17;
		twin = (uint32_t)(x % 13) * 4096;
		len = (size_t)(x >> 8) % 130;
		now += (x >> 20) % 4 == 0;
		if (relay_limit_check(&l, twin, len, now) !=
		    model_check(&m, 5, 300, twin, len, now)) {
			same = 0;
			diag("step %d twin %u len %zu differs", i, twin, len);
			break;
		}
	}
	ok(same, "model: 200000 random checks agree with a plain model");
	ok(l.used == MCAP, "model: the LRU filled up");
	relay_limit_free(&l);
}

static void
test_saturate(void)
{
	struct relay_limit	l;

	relay_limit_init(&l, UINT64_MAX, UINT64_MAX, 4);
	ok(relay_limit_check(&l, 1, SIZE_MAX, T0) &&
	    relay_limit_check(&l, 1, SIZE_MAX, T0) &&
	    relay_limit_check(&l, 1, SIZE_MAX, T0),
	    "saturate: byte counts stop at the top instead of wrapping");
	relay_limit_free(&l);
}

static void
test_many(void)
{
	struct relay_limit	l;
	uint32_t		t;
	int			good = 1;

	relay_limit_init(&l, 1, 100, 100000);
	for (t = 0; t < 100000; t++)
		good &= relay_limit_check(&l, t, 1, T0);
	for (t = 0; t < 100000; t++)
		good &= !relay_limit_check(&l, t, 1, T0);
	ok(good, "many: 100000 twins each keep their own count");
	for (t = 100000; t < 150000; t++)
		good &= relay_limit_check(&l, t, 1, T0);
	for (t = 50000; t < 150000; t++)
		good &= !relay_limit_check(&l, t, 1, T0);
	for (t = 0; t < 50000; t++)
		good &= relay_limit_check(&l, t, 1, T0);
	ok(good, "many: the 50000 least recently used were pushed out");
	relay_limit_free(&l);
}

int
main(void)
{
	test_off();
	test_count();
	test_bytes();
	test_oversize();
	test_window();
	test_twins();
	test_lru();
	test_model();
	test_saturate();
	test_many();
	return done_testing();
}
