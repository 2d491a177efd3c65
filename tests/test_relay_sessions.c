/* SPDX-License-Identifier: ISC */
#include <errno.h>

#include "relay_sessions.h"
#include "tap.h"

static struct relay_sess_id
mkid(uint32_t twin, const char *sid)
{
	struct relay_sess_id	id;

	/* Garbage past the NUL must not matter. */
	memset(&id, 'Z', sizeof(id));
	id.twin = twin;
	id.has_sid = sid != NULL;
	if (sid != NULL)
		memcpy(id.sid, sid, strlen(sid) + 1);
	return id;
}

/* Distinct connection handles; the table never looks behind them. */
static char	conns[8];
#define C(n)	((void *)&conns[n])

static void
test_replace(void)
{
	struct relay_sessions	t;
	struct relay_sess_id	id = mkid(7, NULL);
	uint64_t		g1, g2, g3;
	void			*old = C(7);

	ok(relay_sessions_init(&t, 0, 1) == -1 && errno == EINVAL,
	    "capacity 0 is refused");
	relay_sessions_init(&t, 16, 1);
	ok(relay_sessions_get(&t, &id) == NULL, "empty: not connected");
	ok(relay_sessions_remove(&t, &id, 1) == 0, "empty: nothing to remove");
	ok(relay_sessions_add(&t, &id, C(1), &g1, &old) == 0 && old == NULL &&
	    g1 != 0, "add: new session, nothing replaced");
	ok(relay_sessions_get(&t, &id) == C(1), "add: get finds it");
	ok(relay_sessions_add(&t, &id, C(2), &g2, &old) == 0 && old == C(1),
	    "replace: returns the old connection to close");
	ok(g2 != g1 && g2 != 0, "replace: a new generation");
	ok(relay_sessions_get(&t, &id) == C(2) && relay_sessions_count(&t) == 1,
	    "replace: the new one is registered, one entry");
	ok(relay_sessions_remove(&t, &id, g1) == 0,
	    "teardown of the old connection removes nothing");
	ok(relay_sessions_get(&t, &id) == C(2),
	    "the new connection is still registered");
	ok(relay_sessions_remove(&t, &id, g2) == 1,
	    "remove with the current generation works");
	ok(relay_sessions_get(&t, &id) == NULL && relay_sessions_count(&t) == 0,
	    "and the session is gone");
	ok(relay_sessions_remove(&t, &id, g2) == 0,
	    "a second remove is a no-op");
	relay_sessions_add(&t, &id, C(3), &g3, &old);
	ok(g3 > g2 && relay_sessions_remove(&t, &id, g2) == 0 &&
	    relay_sessions_get(&t, &id) == C(3),
	    "re-added: the earlier generation cannot remove it");
	relay_sessions_free(&t);
}

static void
test_ids(void)
{
	struct relay_sessions	t;
	struct relay_sess_id	none = mkid(7, NULL), empty = mkid(7, ""),
				x = mkid(7, "x"), x8 = mkid(8, "x"),
				bad = mkid(7, NULL);
	uint64_t		gn, ge, gx, g8, g;
	void			*old;

	relay_sessions_init(&t, 16, 42);
	relay_sessions_add(&t, &none, C(1), &gn, &old);
	ok(relay_sessions_add(&t, &empty, C(2), &ge, &old) == 0 && old == NULL,
	    "ids: Some(\"\") is not None");
	relay_sessions_add(&t, &x, C(3), &gx, &old);
	ok(old == NULL, "ids: sid x is a third session of twin 7");
	relay_sessions_add(&t, &x8, C(4), &g8, &old);
	ok(old == NULL, "ids: twin 8 sid x is its own session");
	ok(relay_sessions_get(&t, &none) == C(1) &&
	    relay_sessions_get(&t, &empty) == C(2) &&
	    relay_sessions_get(&t, &x) == C(3) &&
	    relay_sessions_get(&t, &x8) == C(4) &&
	    relay_sessions_count(&t) == 4, "ids: all four found");
	ok(relay_sessions_remove(&t, &none, ge) == 0,
	    "ids: None's entry is not removed by Some(\"\")'s generation");
	ok(relay_sessions_remove(&t, &empty, ge) == 1 &&
	    relay_sessions_get(&t, &none) == C(1) &&
	    relay_sessions_get(&t, &empty) == NULL,
	    "ids: removing Some(\"\") leaves None");
	ok(relay_sessions_remove(&t, &none, gn) == 1 &&
	    relay_sessions_get(&t, &x) == C(3),
	    "ids: removing None leaves sid x");

	memset(bad.sid, 'a', sizeof(bad.sid));
	bad.has_sid = 1;
	ok(relay_sessions_add(&t, &bad, C(5), &g, &old) == -1 &&
	    errno == EINVAL && old == NULL && relay_sessions_count(&t) == 2,
	    "ids: a sid without a NUL is refused");
	bad.sid[RELAY_SID_MAX] = '\0';
	ok(relay_sessions_add(&t, &bad, C(5), &g, &old) == 0 &&
	    relay_sessions_get(&t, &bad) == C(5),
	    "ids: a sid of RELAY_SID_MAX bytes is fine");
	relay_sessions_free(&t);
}

static void
test_full(void)
{
	struct relay_sessions	t;
	struct relay_sess_id	a = mkid(1, NULL), b = mkid(2, NULL),
				c = mkid(3, NULL), d = mkid(4, NULL);
	uint64_t		ga, gb, gc, g = 99;
	void			*old;

	relay_sessions_init(&t, 3, 7);
	relay_sessions_add(&t, &a, C(1), &ga, &old);
	relay_sessions_add(&t, &b, C(2), &gb, &old);
	relay_sessions_add(&t, &c, C(3), &gc, &old);
	old = C(7);
	ok(relay_sessions_add(&t, &d, C(4), &g, &old) == -1 &&
	    errno == ENOSPC && old == NULL, "full: a new session is refused");
	ok(relay_sessions_get(&t, &d) == NULL && relay_sessions_count(&t) == 3,
	    "full: and not registered");
	ok(relay_sessions_add(&t, &b, C(5), &gb, &old) == 0 && old == C(2),
	    "full: replacing an existing session still works");
	ok(relay_sessions_remove(&t, &a, ga) == 1 &&
	    relay_sessions_add(&t, &d, C(4), &g, &old) == 0 && old == NULL,
	    "full: a freed slot is taken again");
	ok(relay_sessions_get(&t, &a) == NULL &&
	    relay_sessions_get(&t, &b) == C(5) &&
	    relay_sessions_get(&t, &c) == C(3) &&
	    relay_sessions_get(&t, &d) == C(4), "full: the table is right");
	relay_sessions_free(&t);
}

#define MANY	100000

/* Twin i % 100 with sid "s<i>", and every tenth twin i with no sid. */
static struct relay_sess_id
many_id(uint32_t i)
{
	char	sid[32];

	snprintf(sid, sizeof(sid), "s%u", i);
	return i % 10 == 0 ? mkid(i, NULL) : mkid(i % 100, sid);
}

static void
test_many(void)
{
	struct relay_sessions	 t;
	struct relay_sess_id	 id;
	uint64_t		*gens, x = 0x2545f4914f6cdd1dULL, g;
	uint32_t		*order, i, j, k;
	char			 sid[32];
	void			*old;
	int			 good = 1;

	if ((gens = calloc(MANY, sizeof(*gens))) == NULL ||
	    (order = calloc(MANY, sizeof(*order))) == NULL)
		abort();
	relay_sessions_init(&t, MANY, 0x1234);
	for (i = 0; i < MANY; i++) {
		id = many_id(i);
		good &= relay_sessions_add(&t, &id, C(i % 8), &gens[i],
		    &old) == 0 && old == NULL;
		order[i] = i;
	}
	ok(good && relay_sessions_count(&t) == MANY, "many: %d added", MANY);
	for (i = 0; i < MANY; i++) {
		id = many_id(i);
		good &= relay_sessions_get(&t, &id) == C(i % 8);
	}
	ok(good, "many: all found");
	for (i = MANY - 1; i > 0; i--) {
		x ^= x << 13, x ^= x >> 7, x ^= x << 17;
		j = (uint32_t)(x % (i + 1));
		k = order[i], order[i] = order[j], order[j] = k;
	}
	for (i = 0; i < MANY / 2; i++) {
		k = order[i];
		id = many_id(k);
		good &= relay_sessions_remove(&t, &id, gens[k] + 1) == 0;
		good &= relay_sessions_remove(&t, &id, gens[k]) == 1;
		gens[k] = 0;
	}
	ok(good && relay_sessions_count(&t) == MANY / 2,
	    "many: half removed in random order");
	for (i = 0; i < MANY; i++) {
		id = many_id(i);
		good &= relay_sessions_get(&t, &id) ==
		    (gens[i] != 0 ? C(i % 8) : NULL);
	}
	ok(good, "many: exactly the other half is left");
	for (i = 0; i < MANY; i++) {
		snprintf(sid, sizeof(sid), "n%u", i);
		id = mkid(i, sid);
		if (relay_sessions_add(&t, &id, C(1), &g, &old) != 0)
			break;
	}
	ok(i == MANY / 2 && relay_sessions_count(&t) == MANY,
	    "many: the freed half is reused, then the table is full (%u)", i);
	relay_sessions_free(&t);
	free(gens);
	free(order);
}

/* Stream keys both ways: the relay maps XREAD replies back to sessions. */
static void
test_stream_keys(void)
{
	struct relay_sess_id	s, back;
	char			key[200];
	static const char *const bad[] = { "stream:", "stream:x", "stream:-1",
	    "stream:01", "stream:4294967296", "stream:12345678901", "strea:1",
	    "stream: 1", "stream:1x" };
	size_t			i;

	memset(&s, 0, sizeof(s));
	s.twin = 7;
	ok(relay_stream_key(key, sizeof(key), &s) == 8 &&
	    strcmp(key, "stream:7") == 0, "key of 7: stream:7");
	ok(relay_stream_key_parse(&back, key, strlen(key)) == 0 &&
	    relay_sess_eq(&s, &back), "stream:7 parses back to 7");
	s.has_sid = 1;
	strcpy(s.sid, "a:b");
	ok(relay_stream_key(key, sizeof(key), &s) > 0 &&
	    strcmp(key, "stream:7:a:b") == 0, "key of 7 with sid a:b");
	ok(relay_stream_key_parse(&back, key, strlen(key)) == 0 &&
	    relay_sess_eq(&s, &back), "stream:7:a:b parses back, sid a:b");
	s.sid[0] = '\0';
	relay_stream_key(key, sizeof(key), &s);
	ok(relay_stream_key_parse(&back, key, strlen(key)) == 0 &&
	    back.has_sid && back.sid[0] == '\0',
	    "stream:7: is the empty sid, not none");
	ok(relay_stream_key(key, 8, &s) == -1, "a key that does not fit: -1");
	s.twin = 4294967295U;
	s.has_sid = 0;
	relay_stream_key(key, sizeof(key), &s);
	ok(relay_stream_key_parse(&back, key, strlen(key)) == 0 &&
	    back.twin == 4294967295U, "the largest twin round-trips");
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		ok(relay_stream_key_parse(&back, bad[i], strlen(bad[i])) == -1,
		    "not a key: \"%s\"", bad[i]);
	memset(key, 'x', sizeof(key));
	memcpy(key, "stream:1:", 9);
	ok(relay_stream_key_parse(&back, key, 9 + RELAY_SID_MAX + 1) == -1,
	    "a sid over the bound is refused");
	ok(relay_stream_key_parse(&back, "stream:1:a\0b", 12) == -1,
	    "a NUL inside the sid is refused");
}

int
main(void)
{
	test_replace();
	test_ids();
	test_full();
	test_many();
	test_stream_keys();
	return done_testing();
}
