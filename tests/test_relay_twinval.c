/* SPDX-License-Identifier: ISC */
/*
 * The value of a twin in the relays' shared cache: its key, a round
 * trip, the exact bytes, and every kind of bad value refused with a
 * reason (empty, another format, cut anywhere, a byte too many, a twin
 * that does not decode).
 */
#include <stdio.h>
#include <string.h>

#include "relay_twinval.h"
#include "tap.h"

static struct twin_record
sample(void)
{
	struct twin_record	t;

	memset(&t, 0, sizeof(t));
	t.id = 4242;
	memset(t.account, 0x11, sizeof(t.account));
	t.has_relay = 1;
	snprintf(t.relay, sizeof(t.relay), "r1.example_r2.example");
	t.has_pk = 1;
	t.pklen = 33;
	memset(t.pk, 0x02, t.pklen);
	return t;
}

static void
test_key(void)
{
	char	key[RELAY_TWIN_KEY_MAX];

	ok(relay_twinval_key(key, 7) == 12 && strcmp(key, "relay.twin.7") ==
	    0, "key: relay.twin.7");
	ok(relay_twinval_key(key, UINT32_MAX) == strlen(key) &&
	    strcmp(key, "relay.twin.4294967295") == 0 &&
	    strlen(key) + 1 == RELAY_TWIN_KEY_MAX,
	    "key: the largest id fills RELAY_TWIN_KEY_MAX exactly");
}

static void
test_round_trip(void)
{
	struct twin_record	 t = sample(), got, bare;
	uint8_t			 buf[RELAY_TWINVAL_MAX];
	uint64_t		 ms;
	const char		*err = NULL;
	int			 n;

	n = relay_twinval_encode(buf, sizeof(buf), &t, 0x0102030405060708ULL);
	ok(n > RELAY_TWINVAL_HEAD && buf[0] == RELAY_TWINVAL_V1 &&
	    is_hex(buf + 1, 8, "0807060504030201", "read time"),
	    "encode: format byte, then the read time little-endian");
	ok(n == RELAY_TWINVAL_HEAD + 4 + 32 + 1 + 1 + 21 + 1 + 1 + 1 + 33,
	    "encode: then the twin's SCALE value (%d bytes in all)", n);
	ok(relay_twinval_decode(&got, &ms, buf, (size_t)n, &err) == 0 &&
	    memcmp(&got, &t, sizeof(t)) == 0 && ms == 0x0102030405060708ULL,
	    "decode: the same twin and read time");

	memset(&bare, 0, sizeof(bare));
	bare.id = 1;
	n = relay_twinval_encode(buf, sizeof(buf), &bare, 0);
	ok(n == RELAY_TWINVAL_HEAD + 4 + 32 + 1 + 1 + 1 &&
	    relay_twinval_decode(&got, &ms, buf, (size_t)n, NULL) == 0 &&
	    memcmp(&got, &bare, sizeof(bare)) == 0,
	    "a twin without relay and pk: %d bytes, back whole", n);
	ok(relay_twinval_encode(buf, RELAY_TWINVAL_HEAD - 1, &t, 1) == -1 &&
	    relay_twinval_encode(buf, RELAY_TWINVAL_HEAD + 10, &t, 1) == -1,
	    "encode: a buffer too small is refused");
	t.pklen = TWIN_PK_MAX + 1;
	ok(relay_twinval_encode(buf, sizeof(buf), &t, 1) == -1,
	    "encode: a twin that cannot be encoded is refused");
}

static int
refused(const uint8_t *buf, size_t len, const char *want)
{
	struct twin_record	 got;
	uint64_t		 ms = 99;
	const char		*err = NULL;
	static const uint8_t	 zero[sizeof(got)];

	if (relay_twinval_decode(&got, &ms, buf, len, &err) != -1 ||
	    err == NULL || ms != 0 || memcmp(&got, zero, sizeof(got)) != 0)
		return 0;
	if (want != NULL && strcmp(err, want) != 0) {
		diag("reason \"%s\", not \"%s\"", err, want);
		return 0;
	}
	return 1;
}

static void
test_bad(void)
{
	struct twin_record	 t = sample();
	uint8_t			 buf[RELAY_TWINVAL_MAX + 1];
	size_t			 cut;
	int			 n, all = 1;

	n = relay_twinval_encode(buf, sizeof(buf), &t, 5);
	ok(refused(buf, 0, "empty"), "decode: empty");
	buf[0] = 0x02;
	ok(refused(buf, (size_t)n, "not format 1"), "decode: format 2");
	buf[0] = '{';
	ok(refused(buf, (size_t)n, "not format 1"),
	    "decode: JSON, as another program might store");
	buf[0] = RELAY_TWINVAL_V1;
	ok(refused(buf, 5, "shorter than its header"),
	    "decode: cut in the read time");
	ok(refused(buf, RELAY_TWINVAL_HEAD, NULL),
	    "decode: a header and no twin");
	for (cut = RELAY_TWINVAL_HEAD; cut < (size_t)n; cut++)
		all &= refused(buf, cut, NULL);
	ok(all, "decode: cut at every byte of the twin, refused");
	buf[n] = 0;
	ok(refused(buf, (size_t)n + 1, NULL), "decode: a byte left over");
	buf[RELAY_TWINVAL_HEAD + 4 + 32] = 0x07;
	ok(refused(buf, (size_t)n, NULL), "decode: a bad Option tag");
}

int
main(void)
{
	test_key();
	test_round_trip();
	test_bad();
	return done_testing();
}
