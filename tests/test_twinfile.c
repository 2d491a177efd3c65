/* SPDX-License-Identifier: ISC */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ss58.h"
#include "twinfile.h"
#include "tap.h"

#define ACC_DEV \
	"46ebddef8cd9bb167dc30878d7113b7e168e6f0646beffd77d69d39bad76b47a"
#define SS58_DEV	"5DfhGyQdFobKM8NsWvEeAKk5EQQgYe9AydgJ7rMB6E1EqRzV"
#define ACC_ALICE \
	"d43593c715fdd31c61141abd04a99fd6822c8558854ccde39a5684e7a56da27d"
#define SS58_ALICE	"5GrwvaEF5zXb26Fz9rcQpDWS57CtERHpNehXCPcNoHGKutQY"
#define ACC_DEVNET1 \
	"742d54eb9c3cc4c3441a9bfaf9fc3869fd9e6e0cdf4222ece6bd4d8d1413d47b"
#define ACC_BOB \
	"d17c2d7823ebf260fd138f2d7e27d114c0145d968b5ff5006125f2414fadae69"
#define PK_DEV \
	"035b26108e8b97479c547da4860d862dc08ab2c29ada449c74d5a9a58a6c46a8c4"

/* One entry with a given relay JSON value, for the relay cases. */
#define WITH_RELAY(r) \
	"[{\"id\": 4, \"account\": \"" SS58_DEV "\", \"relay\": " r "}]"
#define WITH_PK(k) \
	"[{\"id\": 4, \"account\": \"" SS58_DEV "\", \"pk\": " k "}]"

static const char good[] =
    "[\n"
    "  {\"id\": 7, \"account\": \"" SS58_DEV "\",\n"
    "   \"relay\": \"relay.grid.tf_r2.example_10.0.0.1\",\n"
    "   \"pk\": \"0x" PK_DEV "\"},\n"
    "  {\"id\": 1, \"account\": \"0x" ACC_DEVNET1 "\", \"relay\": null,\n"
    "   \"pk\": null},\n"
    "  {\"pk\": \"0xAbCd\", \"account\": \"0x" ACC_BOB "\",\n"
    "   \"id\": 4294967295},\n"
    "  {\"id\": 55, \"account\": \"" SS58_ALICE "\",\n"
    "   \"relay\": \"localhost\"}\n"
    "]\n";

static int
contains(const char *hay, const char *needle)
{
	return strstr(hay, needle) != NULL;
}

static void
test_good(void)
{
	struct twinfile			 tf;
	const struct twin_record	*t;
	uint8_t				 acc[32];
	char				 err[256];
	size_t				 i;

	if (!ok(twinfile_parse(&tf, good, strlen(good), err,
	    sizeof(err)) == 0, "good file parses")) {
		diag("%s", err);
		return;
	}
	ok(tf.n == 4, "four twins");
	for (i = 1; i < tf.n; i++)
		if (tf.twins[i - 1].id >= tf.twins[i].id)
			break;
	ok(i == tf.n, "sorted by id");

	t = twinfile_get(&tf, 7);
	ok(t != NULL && t->id == 7, "get 7");
	if (t != NULL) {
		is_hex(t->account, 32, ACC_DEV, "7: SS58 account");
		ok(t->has_relay && strcmp(t->relay,
		    "relay.grid.tf_r2.example_10.0.0.1") == 0, "7: relay raw");
		ok(t->has_pk && t->pklen == 33, "7: pk 33 bytes");
		is_hex(t->pk, t->pklen, PK_DEV, "7: pk");
	}
	t = twinfile_get(&tf, 1);
	ok(t != NULL && !t->has_relay && t->relay[0] == '\0' &&
	    !t->has_pk && t->pklen == 0, "1: null relay and pk");
	if (t != NULL)
		is_hex(t->account, 32, ACC_DEVNET1, "1: hex account");
	t = twinfile_get(&tf, 4294967295u);
	ok(t != NULL && !t->has_relay && t->has_pk && t->pklen == 2 &&
	    t->pk[0] == 0xab && t->pk[1] == 0xcd,
	    "4294967295: keys in any order, absent relay, upper-case pk");
	t = twinfile_get(&tf, 55);
	ok(t != NULL && t->has_relay && strcmp(t->relay, "localhost") == 0 &&
	    !t->has_pk, "55: one-label relay, absent pk");

	ok(twinfile_get(&tf, 0) == NULL && twinfile_get(&tf, 2) == NULL &&
	    twinfile_get(&tf, 8) == NULL && twinfile_get(&tf, 56) == NULL,
	    "absent ids miss");

	unhex(acc, sizeof(acc), ACC_ALICE);
	t = twinfile_find(&tf, acc);
	ok(t != NULL && t->id == 55, "find Alice's account: 55");
	unhex(acc, sizeof(acc), ACC_BOB);
	t = twinfile_find(&tf, acc);
	ok(t != NULL && t->id == 4294967295u, "find Bob's account");
	unhex(acc, sizeof(acc), ACC_DEV);
	t = twinfile_find(&tf, acc);
	ok(t == twinfile_get(&tf, 7), "find and get give the same record");
	memset(acc, 0x45, sizeof(acc));
	ok(twinfile_find(&tf, acc) == NULL, "unknown account misses");
	twinfile_free(&tf);
	ok(tf.twins == NULL && tf.byacc == NULL && tf.n == 0,
	    "free empties the struct");
	twinfile_free(&tf);

	ok(twinfile_parse(&tf, " [ ] \n", 6, err, sizeof(err)) == 0 &&
	    tf.n == 0 && twinfile_get(&tf, 1) == NULL &&
	    twinfile_find(&tf, acc) == NULL, "an empty array: zero twins");
	twinfile_free(&tf);
	ok(twinfile_parse(&tf, good, strlen(good), NULL, 0) == 0,
	    "err may be NULL");
	twinfile_free(&tf);
}

static void
bad(const char *json, size_t len, const char *want, const char *name)
{
	struct twinfile	tf;
	char		err[256];
	int		r;

	memset(&tf, 0x5a, sizeof(tf));
	r = twinfile_parse(&tf, json, len, err, sizeof(err));
	if (!ok(r == -1 && contains(err, want) && tf.twins == NULL &&
	    tf.byacc == NULL && tf.n == 0, "%s", name))
		diag("r %d, err \"%s\", want \"%s\"", r, err, want);
	else
		diag("%s", err);
	if (r == 0)
		twinfile_free(&tf);
}

static void
bad_s(const char *json, const char *want, const char *name)
{
	bad(json, strlen(json), want, name);
}

static void
test_bad(void)
{
	static const struct {
		const char	*json, *want, *name;
	} v[] = {
		{ "{\"id\": 1}", "not a JSON array", "an object" },
		{ "\"twins\"", "not a JSON array", "a string" },
		{ "hello", "not a JSON array", "not JSON" },
		{ "[{\"id\": 1, \"account\": \"" SS58_DEV "\"}, 7]",
		    "entry 2: not an object", "an entry that is a number" },
		{ "[[]]", "entry 1: not an object", "an entry that is an array" },
		{ "[{\"account\": \"" SS58_DEV "\"}]",
		    "entry 1: missing \"id\"", "missing id" },
		{ "[{\"id\": 3}]", "entry 1 (id 3): missing \"account\"",
		    "missing account" },
		{ "[{}]", "entry 1: missing \"id\"", "an empty object" },
		{ "[{\"id\": 0, \"account\": \"" SS58_DEV "\"}]",
		    "entry 1: id: not an integer from 1 to 4294967295",
		    "id 0" },
		{ "[{\"id\": 4294967296, \"account\": \"" SS58_DEV "\"}]",
		    "entry 1: id: not an integer", "id 2^32" },
		{ "[{\"id\": 99999999999999999999999, \"account\": \""
		    SS58_DEV "\"}]", "entry 1: id: not an integer",
		    "id over u64" },
		{ "[{\"id\": -1, \"account\": \"" SS58_DEV "\"}]",
		    "entry 1: id: not an integer", "id -1" },
		{ "[{\"id\": 1.0, \"account\": \"" SS58_DEV "\"}]",
		    "entry 1: id: not an integer", "id 1.0" },
		{ "[{\"id\": 1e3, \"account\": \"" SS58_DEV "\"}]",
		    "entry 1: id: not an integer", "id 1e3" },
		{ "[{\"id\": \"12\", \"account\": \"" SS58_DEV "\"}]",
		    "entry 1: id: not a number", "id as a string" },
		{ "[{\"id\": null, \"account\": \"" SS58_DEV "\"}]",
		    "entry 1: id: not a number", "id null" },
		{ "[{\"id\": 2, \"account\": "
		    "\"5DfhGyQdFobKM8NsWvEeAKk5EQQgYe9AydgJ7rMB6E1EqRzW\"}]",
		    "entry 1 (id 2): account: not SS58",
		    "bad SS58 checksum" },
		{ "[{\"id\": 2, \"account\": "
		    "\"5DfhGyQdFobKM8NsWvEeAKk5EQQgYe9AydgJ7rMB6E1EqRz0\"}]",
		    "entry 1 (id 2): account: not SS58",
		    "SS58 with a digit outside base58" },
		{ "[{\"id\": 2, \"account\": "
		    "\"12bzRJfh7arnnfPPUZHeJUaE62QLEwhK48QnH9LXeK2m1iZU\"}]",
		    "entry 1 (id 2): account: not SS58",
		    "SS58 with prefix 0 (Polkadot)" },
		{ "[{\"id\": 2, \"account\": \"0x"
		    "46ebddef8cd9bb167dc30878d7113b7e168e6f0646beffd77d69d39bad76b4"
		    "\"}]", "entry 1 (id 2): account: 0x-hex of 62 digits",
		    "hex account of 31 bytes" },
		{ "[{\"id\": 2, \"account\": \"0x" ACC_DEV "00\"}]",
		    "entry 1 (id 2): account: 0x-hex of 66 digits",
		    "hex account of 33 bytes" },
		{ "[{\"id\": 2, \"account\": \"0x"
		    "g6ebddef8cd9bb167dc30878d7113b7e168e6f0646beffd77d69d39bad76b47a"
		    "\"}]", "entry 1 (id 2): account: bad hex digit",
		    "hex account with a bad digit" },
		{ "[{\"id\": 2, \"account\": \"" ACC_DEV "\"}]",
		    "entry 1 (id 2): account: not SS58", "hex without 0x" },
		{ "[{\"id\": 2, \"account\": 5}]",
		    "entry 1 (id 2): account: not a string", "account a number" },
		{ "[{\"id\": 2, \"account\": \"\"}]",
		    "entry 1 (id 2): account: not SS58", "account empty" },
		{ "[{\"id\": 2, \"account\": \"5Dfh\\u0000\"}]",
		    "entry 1 (id 2): account: contains a NUL",
		    "account with a NUL" },
		{ WITH_RELAY("\"r.example:443\""),
		    "entry 1 (id 4): relay: ':' at byte 9: not allowed",
		    "relay with a port" },
		{ WITH_RELAY("\"wss://relay.example\""),
		    "entry 1 (id 4): relay: ':' at byte 3: not allowed",
		    "relay with a scheme" },
		{ WITH_RELAY("\"relay.example/ws\""),
		    "entry 1 (id 4): relay: '/' at byte 13", "relay with a path" },
		{ WITH_RELAY("\"relay example\""),
		    "entry 1 (id 4): relay: ' ' at byte 5", "relay with a space" },
		{ WITH_RELAY("\"r\\u00e9lay.example\""),
		    "entry 1 (id 4): relay: byte 0xc3 at byte 1",
		    "relay with non-ASCII" },
		{ WITH_RELAY("\"\""), "entry 1 (id 4): relay: empty",
		    "relay \"\"" },
		{ WITH_RELAY("\".a\""), "entry 1 (id 4): relay: starts with '.'",
		    "relay \".a\"" },
		{ WITH_RELAY("\"ab.\""), "entry 1 (id 4): relay: ends with '.'",
		    "relay \"ab.\"" },
		{ WITH_RELAY("\"a..b\""), "entry 1 (id 4): relay: contains \"..\"",
		    "relay \"a..b\"" },
		{ WITH_RELAY("\"ab.cd..ef\""),
		    "entry 1 (id 4): relay: contains \"..\"",
		    "relay \"ab.cd..ef\"" },
		{ WITH_RELAY("\"r.example\""),
		    "entry 1 (id 4): relay: '.' at byte 1 (tfchain",
		    "relay \"r.example\" (a one-character first label)" },
		{ WITH_RELAY("true"), "entry 1 (id 4): relay: not a string",
		    "relay true" },
		{ WITH_RELAY("[\"a\", \"b\"]"),
		    "entry 1 (id 4): relay: not a string", "relay as an array" },
		{ WITH_PK("\"035b26\""), "entry 1 (id 4): pk: not \"0x\" and hex",
		    "pk without 0x" },
		{ WITH_PK("\"0x035z\""), "entry 1 (id 4): pk: bad hex digit",
		    "pk not hex" },
		{ WITH_PK("\"0x035\""), "entry 1 (id 4): pk: odd number",
		    "pk odd length" },
		{ WITH_PK("\"0x\""), "entry 1 (id 4): pk: empty", "pk \"0x\"" },
		{ WITH_PK("33"), "entry 1 (id 4): pk: not a string",
		    "pk a number" },
		{ "[{\"id\": 4, \"account\": \"" SS58_DEV "\", \"realy\": null}]",
		    "entry 1 (id 4): unknown key \"realy\"", "unknown key" },
		{ "[{\"id\": 4, \"account\": \"" SS58_DEV "\", "
		    "\"a_rather_long_unknown_key_name\": 1}]",
		    "entry 1 (id 4): unknown key (over", "long unknown key" },
		{ "[{\"id\": 4, \"Relay\": null, \"account\": \"" SS58_DEV "\"}]",
		    "entry 1 (id 4): unknown key \"Relay\"",
		    "keys are case-sensitive" },
		{ "[{\"id\": 4, \"account\": \"" SS58_DEV "\", \"id\": 5}]",
		    "entry 1 (id 4): duplicate key \"id\"", "duplicate id key" },
		{ "[{\"id\": 4, \"account\": \"" SS58_DEV "\", \"pk\": null, "
		    "\"pk\": null}]", "entry 1 (id 4): duplicate key \"pk\"",
		    "duplicate pk key" },
		{ "[{\"relay\": \"a..b\", \"account\": \"" SS58_DEV "\", "
		    "\"id\": 9}]", "entry 1 (id 9): relay: contains",
		    "the id is named even when it comes last" },
		{ "[{\"id\": 4, \"account\": \"" SS58_DEV "\"}, "
		    "{\"id\": 5, \"account\": \"" SS58_ALICE "\"}, "
		    "{\"id\": 4, \"account\": \"0x" ACC_BOB "\"}]",
		    "entry 3 (id 4): id already used by entry 1", "duplicate id" },
		{ "[{\"id\": 4, \"account\": \"" SS58_DEV "\"}, "
		    "{\"id\": 5, \"account\": \"" SS58_ALICE "\"}, "
		    "{\"id\": 6, \"account\": \"0x" ACC_DEV "\"}]",
		    "entry 3 (id 6): account already used by entry 1 (id 4)",
		    "duplicate account, once SS58 and once hex" },
		{ "[{\"id\": 9, \"account\": \"" SS58_DEV "\"}, "
		    "{\"id\": 8, \"account\": \"" SS58_ALICE "\"}, "
		    "{\"id\": 9, \"account\": \"" SS58_ALICE "\"}, "
		    "{\"id\": 8, \"account\": \"" SS58_DEV "\"}]",
		    "entry 3 (id 9): id already used by entry 1",
		    "ids are checked before accounts, first clash first" },
		{ "[{\"id\": 4, \"account\": \"" SS58_DEV "\"}] x",
		    "trailing data after the array at line 1, byte offset 75",
		    "trailing garbage" },
		{ "[] []", "trailing data after the array", "two arrays" },
		{ "[{\"id\": 4, \"account\": \"" SS58_DEV "\"},]",
		    "syntax error at line 1, byte offset 74", "trailing comma" },
		{ "[\n{\"id\": 4,\n \"account\" \"" SS58_DEV "\"}]",
		    "entry 1: syntax error at line 3, byte offset 23",
		    "missing colon: line and offset" },
		{ "[{\"id\": 4, \"account\": \"" SS58_DEV "\"}",
		    "syntax error at line 1, byte offset 73", "unterminated array" },
		{ "[{\"id\": 4, \"account\": \"" SS58_DEV,
		    "entry 1: syntax error", "unterminated string" },
		{ "[{\"id\": 4, \"relay\": \"a..b\", \"account\": 5x}]",
		    "entry 1: syntax error", "a syntax error beats a problem" },
		{ "[{\"id\": 4, \"account\": \"" SS58_DEV "\", \"x\": [[[[[[[[[["
		    "[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[]]]]]]]]]]]]]]]]]]]]]]]]]]"
		    "]]]]]]]]]]]]]]]]]]]]}]", "entry 1: syntax error",
		    "nesting too deep" },
		{ "", "empty file", "empty file" },
		{ " \n\t ", "empty file", "only whitespace" },
	};
	size_t	i;

	for (i = 0; i < sizeof(v) / sizeof(v[0]); i++)
		bad_s(v[i].json, v[i].want, v[i].name);
	bad("[\0]", 3, "entry 1: syntax error", "a NUL byte in the file");
}

/* Relays and pks at and just over their limits. */
static void
test_limits(void)
{
	struct twinfile	 tf;
	char		 err[256], *json, *p;
	size_t		 cap = 4096, i;
	int		 r;

	if ((json = malloc(cap)) == NULL)
		abort();

	p = json + snprintf(json, cap, "[{\"id\": 4, \"account\": \"%s\", "
	    "\"relay\": \"", SS58_DEV);
	for (i = 0; i < TWIN_RELAY_MAX; i++)
		*p++ = i % 10 == 9 ? '_' : 'a';
	strcpy(p, "\"}]");
	r = twinfile_parse(&tf, json, strlen(json), err, sizeof(err));
	ok(r == 0 && tf.n == 1 && strlen(tf.twins[0].relay) ==
	    TWIN_RELAY_MAX, "a 1024-byte relay");
	if (r == 0)
		twinfile_free(&tf);
	else
		diag("%s", err);
	memmove(p + 1, p, strlen(p) + 1);
	*p = 'b';
	bad_s(json, "entry 1 (id 4): relay: longer than 1024 bytes",
	    "a 1025-byte relay");

	/* Escapes make the text longer than what it decodes to. */
	p = json + snprintf(json, cap, "[{\"id\": 4, \"account\": \"%s\", "
	    "\"relay\": \"", SS58_DEV);
	for (i = 0; i < 600; i++)
		p += snprintf(p, 7, "\\u0061");
	strcpy(p, "\"}]");
	r = twinfile_parse(&tf, json, strlen(json), err, sizeof(err));
	ok(r == 0 && tf.n == 1 && strlen(tf.twins[0].relay) == 600,
	    "a 600-byte relay written as 3600 bytes of escapes");
	if (r == 0)
		twinfile_free(&tf);
	p = json + snprintf(json, cap, "[{\"id\": 4, \"account\": \"%s\", "
	    "\"relay\": \"", SS58_DEV);
	for (i = 0; i < 600; i++)
		p += snprintf(p, 7, "\\u0061");
	strcpy(p, "\\u0000\"}]");
	bad_s(json, "entry 1 (id 4): relay: contains a NUL",
	    "a relay of escapes ending in a NUL");

	p = json + snprintf(json, cap, "[{\"id\": 4, \"account\": \"%s\", "
	    "\"pk\": \"0x", SS58_DEV);
	for (i = 0; i < 2 * TWIN_PK_MAX; i++)
		*p++ = "0123456789abcdef"[i % 16];
	strcpy(p, "\"}]");
	r = twinfile_parse(&tf, json, strlen(json), err, sizeof(err));
	ok(r == 0 && tf.n == 1 && tf.twins[0].pklen == TWIN_PK_MAX &&
	    tf.twins[0].pk[127] == 0xef, "a 128-byte pk");
	if (r == 0)
		twinfile_free(&tf);
	memmove(p + 2, p, strlen(p) + 1);
	p[0] = '0';
	p[1] = '0';
	bad_s(json, "entry 1 (id 4): pk: 129 bytes, at most 128",
	    "a 129-byte pk");
	free(json);
}

/* Many entries in shuffled order come back sorted and all findable. */
static void
test_many(void)
{
	struct twinfile			 tf;
	const struct twin_record	*t;
	uint8_t				 acc[32];
	char				*json, *p, err[256];
	size_t				 n = 5000, i, bad_get = 0, bad_find = 0;
	uint32_t			 id;

	if ((json = malloc(n * 120 + 16)) == NULL)
		abort();
	p = json;
	*p++ = '[';
	for (i = 0; i < n; i++) {
		/* A bijection of 0..4999, so the ids come out of order. */
		id = (uint32_t)((i * 2003) % n) + 1;
		memset(acc, 0, sizeof(acc));
		acc[0] = (uint8_t)(id >> 8);
		acc[1] = (uint8_t)id;
		acc[31] = 0x77;
		p += sprintf(p, "%s{\"id\":%u,\"account\":\"0x", i ? "," : "",
		    id);
		hex_encode(p, acc, sizeof(acc));
		p += 64;
		p += sprintf(p, "\",\"relay\":\"r%u.example\"}", id);
	}
	*p++ = ']';
	if (!ok(twinfile_parse(&tf, json, (size_t)(p - json), err,
	    sizeof(err)) == 0 && tf.n == n, "%zu shuffled entries", n)) {
		diag("%s", err);
		free(json);
		return;
	}
	for (i = 0; i < n; i++) {
		char	want[32];

		id = (uint32_t)i + 1;
		snprintf(want, sizeof(want), "r%u.example", id);
		t = twinfile_get(&tf, id);
		if (t == NULL || t->id != id || &tf.twins[i] != t ||
		    strcmp(t->relay, want) != 0)
			bad_get++;
		memset(acc, 0, sizeof(acc));
		acc[0] = (uint8_t)(id >> 8);
		acc[1] = (uint8_t)id;
		acc[31] = 0x77;
		if (twinfile_find(&tf, acc) != t)
			bad_find++;
	}
	ok(bad_get == 0, "every id found, in sorted place, with its relay");
	ok(bad_find == 0, "every account found");
	ok(twinfile_get(&tf, (uint32_t)n + 1) == NULL, "id past the end misses");
	twinfile_free(&tf);
	free(json);
}

static void
test_load(void)
{
	struct twinfile	 tf;
	char		 path[] = "/tmp/test_twinfile.XXXXXX", err[512];
	const char	*dir;
	char		 tmpl[512];
	int		 fd;
	FILE		*f;

	ok(twinfile_load(&tf, "/nonexistent/twins.json", err,
	    sizeof(err)) == -1 && contains(err, "/nonexistent/twins.json: ") &&
	    contains(err, strerror(ENOENT)) && tf.n == 0, "missing file");
	diag("%s", err);

	dir = getenv("TMPDIR");
	snprintf(tmpl, sizeof(tmpl), "%s/test_twinfile.XXXXXX",
	    dir != NULL && *dir != '\0' ? dir : "/tmp");
	if (strlen(tmpl) < sizeof(path))
		strcpy(path, tmpl);
	if ((fd = mkstemp(path)) == -1 || (f = fdopen(fd, "w")) == NULL) {
		ok(0, "temp file: %s", strerror(errno));
		return;
	}
	fputs(good, f);
	fclose(f);
	ok(twinfile_load(&tf, path, err, sizeof(err)) == 0 && tf.n == 4 &&
	    twinfile_get(&tf, 55) != NULL, "a real file loads");
	twinfile_free(&tf);

	if ((f = fopen(path, "w")) != NULL) {
		fputs("[{\"id\": 1, \"account\": \"" SS58_DEV "\", "
		    "\"realy\": \"ab.example\"}]", f);
		fclose(f);
	}
	ok(twinfile_load(&tf, path, err, sizeof(err)) == -1 &&
	    strncmp(err, path, strlen(path)) == 0 &&
	    contains(err, ": entry 1 (id 1): unknown key \"realy\""),
	    "a bad file: the message names the path and the entry");
	diag("%s", err);

	/* A sparse file, so the test writes nothing to disk. */
	if (truncate(path, 0) == 0 &&
	    truncate(path, TWINFILE_MAX_BYTES + 1) == 0) {
		ok(twinfile_load(&tf, path, err, sizeof(err)) == -1 &&
		    contains(err, ": larger than 16777216 bytes"),
		    "a file over 16 MiB is refused");
		diag("%s", err);
	} else
		ok(0, "truncate: %s", strerror(errno));
	if (truncate(path, TWINFILE_MAX_BYTES) == 0) {
		ok(twinfile_load(&tf, path, err, sizeof(err)) == -1 &&
		    contains(err, ": not a JSON array"),
		    "a file of exactly 16 MiB is read and parsed");
		diag("%s", err);
	} else
		ok(0, "truncate: %s", strerror(errno));
	unlink(path);

	ok(twinfile_load(&tf, "/", err, sizeof(err)) == -1 &&
	    contains(err, "/: "), "a directory");
	diag("%s", err);
}

static void
test_relay_helpers(void)
{
	static const struct {
		const char	*relay;
		int		 valid;
	} v[] = {
		{ "relay.grid.tf", 1 },
		{ "relay.grid.tf_relay.dev.grid.tf", 1 },
		{ "localhost", 1 },
		{ "10.0.0.1", 1 },
		{ "ab.example", 1 },
		{ "a-b_c-d", 1 },
		{ "_ab.c", 1 },
		/* The chain checks the field whole, not domain by domain. */
		{ "ab.example_.b", 1 },
		{ "ab_", 1 },
		{ "a.example", 0 },
		{ "", 0 },
		{ ".ab", 0 },
		{ "ab.", 0 },
		{ "ab..cd", 0 },
		{ "ab.cd:443", 0 },
		{ "wss://ab.cd", 0 },
		{ "ab cd", 0 },
	};
	size_t	i, bad_valid = 0;

	for (i = 0; i < sizeof(v) / sizeof(v[0]); i++)
		if (twin_relay_valid(v[i].relay, strlen(v[i].relay)) !=
		    v[i].valid) {
			diag("twin_relay_valid(\"%s\") wrong", v[i].relay);
			bad_valid++;
		}
	ok(bad_valid == 0, "twin_relay_valid on %zu cases", i);
	ok(!twin_relay_valid(NULL, 0), "twin_relay_valid(NULL)");
	ok(!twin_relay_valid("ab\0cd", 5), "a NUL is not allowed");

	ok(twin_relay_has("a_b", "b"), "\"a_b\" has \"b\"");
	ok(twin_relay_has("a_b", "a"), "\"a_b\" has \"a\"");
	ok(!twin_relay_has("a_bc", "b"), "\"a_bc\" lacks \"b\"");
	ok(!twin_relay_has("a_bc", "c"), "\"a_bc\" lacks \"c\"");
	ok(!twin_relay_has("a_b", ""), "\"\" is never listed");
	ok(!twin_relay_has("a__b", ""), "not even between two '_'");
	ok(!twin_relay_has("", "a"), "an empty relay lists nothing");
	ok(twin_relay_has("relay.grid.tf", "relay.grid.tf"), "a single domain");
	ok(!twin_relay_has("relay.grid.tf", "grid.tf"), "no suffix match");
	ok(!twin_relay_has("relay.grid.tf_x", "relay.grid.tf_x_y"),
	    "no longer match");
	ok(twin_relay_has("x_relay.grid.tf_y", "relay.grid.tf"),
	    "a domain in the middle");
	ok(!twin_relay_has("Relay.Grid.TF", "relay.grid.tf"),
	    "compared byte for byte");
	ok(!twin_relay_has(NULL, "a") && !twin_relay_has("a", NULL),
	    "NULL lists nothing");
}

int
main(void)
{
	test_good();
	test_bad();
	test_limits();
	test_many();
	test_load();
	test_relay_helpers();
	return done_testing();
}
