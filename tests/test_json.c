/* SPDX-License-Identifier: ISC */
#include "json.h"
#include "tap.h"

static int
valid(const char *doc)
{
	struct json_rd	r;

	json_init(&r, doc, strlen(doc));
	return json_skip(&r) == 0 && json_end(&r) == 0;
}

static void
test_walk(void)
{
	const char *doc = "{\"ver\":1,\"ref\":\"r1\",\"cmd\":\"zos.system.version\","
	    "\"exp\":120,\"dat\":\"e30=\",\"tag\":null,\"dst\":[12,13],"
	    "\"ret\":\"4f0c\",\"shm\":\"application/json\",\"now\":1700000000,"
	    "\"x\":{\"a\":[1,2.5e3,-3,true,false,null,\"\\u00e9\"]}}";
	struct json_rd	r;
	char		key[32], s[64];
	uint64_t	v, dst[4];
	size_t		n = 0;
	int		rc, fields = 0;

	json_init(&r, doc, strlen(doc));
	ok(json_object_begin(&r) == 0, "object begins");
	while ((rc = json_object_next(&r, key, sizeof(key))) == 1) {
		fields++;
		if (strcmp(key, "ver") == 0 || strcmp(key, "exp") == 0 ||
		    strcmp(key, "now") == 0)
			rc = json_get_u64(&r, &v);
		else if (strcmp(key, "tag") == 0)
			rc = json_get_null(&r);
		else if (strcmp(key, "dst") == 0) {
			rc = json_array_begin(&r);
			while (rc == 0 && (rc = json_array_next(&r)) == 1)
				rc = json_get_u64(&r, &dst[n++]);
		} else if (strcmp(key, "x") == 0)
			rc = json_skip(&r);
		else
			rc = json_get_string(&r, s, sizeof(s), NULL);
		if (rc != 0)
			break;
	}
	ok(rc == 0 && fields == 11, "all 11 members read");
	ok(n == 2 && dst[0] == 12 && dst[1] == 13, "dst array read");
	ok(v == 1700000000, "last u64 read");
	ok(json_end(&r) == 0, "nothing after the object");
}

static void
test_strings(void)
{
	struct json_rd	r;
	char		s[16];
	size_t		n;
	const char	*in;

	in = "\"a\\\"b\\\\c\\/d\\n\\t\\u00e9\\ud83d\\ude00\"";
	json_init(&r, in, strlen(in));
	ok(json_get_string(&r, s, sizeof(s), &n) == 0 &&
	    n == 15 && memcmp(s, "a\"b\\c/d\n\t\xc3\xa9\xf0\x9f\x98\x80", 15) == 0,
	    "escapes and surrogate pair decode to UTF-8");
	in = "\"0123456789abcdef\"";
	json_init(&r, in, strlen(in));
	ok(json_get_string(&r, s, sizeof(s), &n) == -1,
	    "string longer than the buffer refused");
	in = "\"a\\u0000b\"";
	json_init(&r, in, strlen(in));
	ok(json_get_string(&r, s, sizeof(s), &n) == -1,
	    "NUL character refused when read as a string");
	ok(valid(in), "... but may be skipped");
}

static void
test_numbers(void)
{
	static const struct {
		const char	*in;
		int		 good;
		uint64_t	 v;
	} t[] = {
		{ "0", 1, 0 }, { "18446744073709551615", 1, UINT64_MAX },
		{ "18446744073709551616", 0, 0 }, { "01", 0, 0 },
		{ "-1", 0, 0 }, { "1.0", 0, 0 }, { "1e3", 0, 0 },
		{ "", 0, 0 }, { "x", 0, 0 },
	};
	struct json_rd	r;
	uint64_t	v;
	size_t		i;
	int		rc;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		json_init(&r, t[i].in, strlen(t[i].in));
		rc = json_get_u64(&r, &v) == 0 && json_end(&r) == 0;
		ok(rc == t[i].good && (!rc || v == t[i].v), "u64 \"%s\" %s",
		    t[i].in, t[i].good ? "accepted" : "refused");
	}
}

static void
test_bad(void)
{
	static const char *bad[] = {
		"", "{", "}", "{\"a\":1,}", "[1,]", "[1 2]", "{\"a\" 1}",
		"{\"a\":}", "{a:1}", "\"abc", "\"a\nb\"", "\"\\x\"",
		"\"\\ud800\"", "\"\\udc00\"", "\"\\ud800\\u0041\"", "\"\\u12\"",
		"\"\xff\"", "\"\xc0\xaf\"", "\"\xed\xa0\x80\"", "tru", "nul",
		"01", "1.", "1e", "-", "{}x", "[] []", "'a'", "{\"a\":1}}",
	};
	char	deep[2 * JSON_MAX_DEPTH + 8];
	size_t	i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		ok(!valid(bad[i]), "malformed document %zu refused", i);
	ok(valid("{}") && valid("[]") && valid(" [ {\"a\" : [ ] } ] ") &&
	    valid("-0.5e-3") && valid("\"\xe2\x82\xac\""),
	    "well-formed documents accepted");
	for (i = 0; i < JSON_MAX_DEPTH; i++)
		deep[i] = '[';
	for (i = 0; i < JSON_MAX_DEPTH; i++)
		deep[JSON_MAX_DEPTH + i] = ']';
	deep[2 * JSON_MAX_DEPTH] = '\0';
	ok(valid(deep), "nesting at the depth limit accepted");
	memmove(deep + 1, deep, strlen(deep) + 1);
	deep[0] = '[';
	strcat(deep, "]");
	ok(!valid(deep), "nesting past the depth limit refused");
}

int
main(void)
{
	test_walk();
	test_strings();
	test_numbers();
	test_bad();
	return done_testing();
}
