/* SPDX-License-Identifier: ISC */
/*
 * json.h: json-c with the project's rules on top (one test per rule
 * json-c does not keep by itself), the reader in the order of the text,
 * and the one string writer.
 */
#include <stdio.h>
#include <stdlib.h>

#include "json.h"
#include "tap.h"

/* A whole document, nothing after it. */
static int
valid_n(const char *doc, size_t len, int flags)
{
	struct json_doc	d;
	int		r;

	r = json_parse(&d, doc, len, flags) == 0 && d.end == len;
	json_doc_free(&d);
	return r;
}

static int
valid(const char *doc)
{
	return valid_n(doc, strlen(doc), 0);
}

/* Where json_parse says doc stops being JSON, or -1 if it is JSON. */
static long
erroff(const char *doc)
{
	struct json_doc	d;
	long		r;

	r = json_parse(&d, doc, strlen(doc), 0) == 0 ? -1 : (long)d.erroff;
	json_doc_free(&d);
	return r;
}

static void
test_walk(void)
{
	const char *doc = "{\"ver\":1,\"ref\":\"r1\",\"cmd\":\"zos.system.version\","
	    "\"exp\":120,\"dat\":\"e30=\",\"tag\":null,\"dst\":[12,13],"
	    "\"ret\":\"4f0c\",\"shm\":\"application/json\",\"now\":1700000000,"
	    "\"x\":{\"a\":[1,2.5e3,-3,true,false,null,\"\\u00e9\"]}}";
	struct json_doc		d;
	struct json_rd		r, ra;
	struct json_item	it, ia;
	char			key[32], s[64];
	uint64_t		v = 0, dst[4];
	size_t			n = 0;
	int			rc = -1, fields = 0;

	if (!ok(json_parse(&d, doc, strlen(doc), 0) == 0 &&
	    d.end == strlen(doc) && json_kind(d.root) == JSON_OBJECT,
	    "document parses"))
		return;
	ok(json_rd_init(&r, d.root, d.text) == 0, "object begins");
	while ((rc = json_rd_next(&r, &it)) == 1) {
		fields++;
		if (json_key(&it, key, sizeof(key)) != 0)
			break;
		if (strcmp(key, "ver") == 0 || strcmp(key, "exp") == 0 ||
		    strcmp(key, "now") == 0)
			rc = json_get_u64(it.val, it.text, &v);
		else if (strcmp(key, "tag") == 0)
			rc = json_kind(it.val) == JSON_NULL ? 0 : -1;
		else if (strcmp(key, "dst") == 0) {
			rc = json_rd_init(&ra, it.val, it.text);
			while (rc == 0 && (rc = json_rd_next(&ra, &ia)) == 1)
				rc = json_get_u64(ia.val, ia.text, &dst[n++]);
			json_rd_end(&ra);
		} else if (strcmp(key, "x") == 0)
			rc = json_kind(it.val) == JSON_OBJECT &&
			    it.text.p[0] == '{' &&
			    it.text.p[it.text.len - 1] == '}' ? 0 : -1;
		else
			rc = json_unquote(it.text, s, sizeof(s), NULL);
		if (rc != 0)
			break;
	}
	json_rd_end(&r);
	ok(rc == 0 && fields == 11, "all 11 members read");
	ok(n == 2 && dst[0] == 12 && dst[1] == 13, "dst array read");
	ok(v == 1700000000, "last u64 read");
	json_doc_free(&d);
}

static void
test_strings(void)
{
	char		s[16];
	size_t		n;
	struct json_span sp;

	sp.p = "\"a\\\"b\\\\c\\/d\\n\\t\\u00e9\\ud83d\\ude00\"";
	sp.len = strlen(sp.p);
	ok(json_unquote(sp, s, sizeof(s), &n) == 0 &&
	    n == 15 && memcmp(s, "a\"b\\c/d\n\t\xc3\xa9\xf0\x9f\x98\x80", 15) == 0,
	    "escapes and surrogate pair decode to UTF-8");
	sp.p = "\"0123456789abcdef\"";
	sp.len = strlen(sp.p);
	ok(json_unquote(sp, s, sizeof(s), &n) == -1,
	    "string longer than the buffer refused");
	sp.p = "\"a\\u0000b\"";
	sp.len = strlen(sp.p);
	ok(json_unquote(sp, s, sizeof(s), &n) == -1,
	    "NUL character refused when read as a string");
	ok(valid(sp.p), "... but may be skipped");
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
		{ "-1", 0, 0 }, { "-0", 0, 0 }, { "1.0", 0, 0 },
		{ "1e3", 0, 0 }, { "", 0, 0 }, { "x", 0, 0 },
		{ "99999999999999999999999", 0, 0 }, { "\"1\"", 0, 0 },
	};
	struct json_doc	d;
	uint64_t	v;
	size_t		i;
	int		rc;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		v = 7;
		rc = json_parse(&d, t[i].in, strlen(t[i].in), 0) == 0 &&
		    d.end == strlen(t[i].in) &&
		    json_get_u64(d.root, d.text, &v) == 0;
		json_doc_free(&d);
		ok(rc == t[i].good && (!rc || v == t[i].v), "u64 \"%s\" %s",
		    t[i].in, t[i].good ? "accepted" : "refused");
	}
	ok(valid("[99999999999999999999999,-99999999999999999999999]"),
	    "integers past 64 bits are JSON (json-c saturates them)");
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
	ok(!valid_n(deep, strlen(deep), JSON_INNER),
	    "one level less inside a caller's array");
	memmove(deep + 1, deep, strlen(deep) + 1);
	deep[0] = '[';
	strcat(deep, "]");
	ok(!valid(deep), "nesting past the depth limit refused");
}

/* The rules json-c 0.16 does not keep, each on its own. */
static void
test_rules(void)
{
	struct json_doc	d;
	const char	*s;

	ok(erroff("[\"a\x01" "b\"]") == 3 && erroff("[\"a\tb\"]") == 3,
	    "a raw control character in a string");
	ok(erroff("[\"x\\ud800\"]") == 3 && erroff("[\"\\udc00\"]") == 2 &&
	    erroff("[\"\\ude00\\ud83d\"]") == 2 &&
	    erroff("[\"\\ud800\\u0041\"]") == 2,
	    "a lone or reversed surrogate escape");
	ok(erroff("[\"\xc0\xaf\"]") == 2 && erroff("[\"\xed\xa0\x80\"]") == 2 &&
	    erroff("[\"\xf4\x90\x80\x80\"]") == 2 && erroff("[\"\xff\"]") >= 0 &&
	    erroff("{\"\xe2\x82\":1}") >= 0,
	    "bytes that are not UTF-8: overlong, surrogate, past U+10FFFF, "
	    "cut short, in a key");
	s = "[\"ok\",\"\xc3\x28\"]";
	ok(json_parse(&d, s, strlen(s), JSON_BYTES) == 0 && d.notutf8 == 7,
	    "JSON_BYTES lets them through and says where the first is");
	json_doc_free(&d);
	ok(json_parse(&d, "[1]", 3, JSON_BYTES) == 0 && d.notutf8 == 3,
	    "... and that there is none");
	json_doc_free(&d);
	ok(erroff("[00]") == 2 && erroff("[-01]") == 3 &&
	    erroff("[01.5]") == 2 && erroff("[-00]") == 3,
	    "a leading zero");
	ok(erroff("[1.]") == 3 && erroff("[1.e3]") == 3,
	    "a point without digits after it");
	ok(erroff("[01]") == 2 && erroff("[1e]") == 3 && erroff("[0x1]") == 2 &&
	    erroff("[-]") == 2, "a number json-c refuses is reported where "
	    "its grammar breaks");
	ok(erroff("[NaN]") == 1 && erroff("[Infinity]") == 1 &&
	    erroff("[-Infinity]") == 2, "NaN and Infinity");
	ok(erroff("{\"a\":nul") == 5 && erroff("[nULL]") == 1 &&
	    erroff("[true1]") == 5, "a bad literal is reported at its start");
	ok(erroff("[1,\v2]") == 3 && erroff("\xef\xbb\xbf[]") == 0,
	    "white space is space, tab, LF and CR; no byte order mark");
	ok(json_parse(&d, "{} x", 4, 0) == 0 && d.end == 3 &&
	    d.text.len == 2, "text after the value is reported, not refused");
	json_doc_free(&d);
	ok(json_parse(&d, "[\0]", 3, 0) == -1 && d.erroff == 1,
	    "a NUL byte in the text");
	ok(json_parse(&d, " 5 ", 3, 0) == 0 && d.end == 3 &&
	    json_kind(d.root) == JSON_NUMBER && d.text.len == 1 &&
	    d.text.p[0] == '5', "any value at the top: a number");
	json_doc_free(&d);
	ok(json_parse(&d, "null", 4, 0) == 0 && d.root == NULL &&
	    json_kind(d.root) == JSON_NULL, "... or null");
	json_doc_free(&d);
}

/* json-c keeps the last of repeated keys: the reader gives each its own. */
static void
test_repeats(void)
{
	const char		*doc = "{\"a\":1,\"b\":[2],\"a\":\"x\","
	    "\"k\\u0000z\":3,\"k\":4}";
	struct json_doc		d;
	struct json_rd		r;
	struct json_item	it;
	char			key[8], got[64];
	size_t			n = 0;
	uint64_t		v;
	int			rc;

	if (json_parse(&d, doc, strlen(doc), 0) != 0)
		abort();
	ok(json_object_object_length(d.root) == 3,
	    "json-c's object has 3 of the 5 members");
	json_rd_init(&r, d.root, d.text);
	while ((rc = json_rd_next(&r, &it)) == 1) {
		if (json_key(&it, key, sizeof(key)) != 0)
			n += (size_t)snprintf(got + n, sizeof(got) - n, "?=");
		else
			n += (size_t)snprintf(got + n, sizeof(got) - n, "%s=",
			    key);
		if (json_get_u64(it.val, it.text, &v) == 0)
			n += (size_t)snprintf(got + n, sizeof(got) - n,
			    "%llu ", (unsigned long long)v);
		else
			n += (size_t)snprintf(got + n, sizeof(got) - n, "%s ",
			    json_object_to_json_string(it.val));
	}
	json_rd_end(&r);
	json_doc_free(&d);
	ok(rc == 0 && strcmp(got, "a=1 b=[ 2 ] a=\"x\" ?=3 k=4 ") == 0,
	    "every member in order with its own value, a key with U+0000 "
	    "refused (%s)", got);
}

static void
test_salvage_walk(void)
{
	const char		*doc = "{\"a\":\"x\\\"\\\\\",\"b\":[1,{\"c\":\"]\"}],"
	    "\"d\":tru";
	struct json_rd		r;
	struct json_item	it;
	struct json_span	s;
	int			n = 0;

	s.p = doc;
	s.len = strlen(doc);
	json_rd_init(&r, NULL, s);
	while (json_rd_next(&r, &it) == 1)
		n++;
	ok(n == 3 && it.text.len == 0,
	    "without json-c's object: spans only, up to the end of the text");
}

static char *
put(const char *s, size_t len, int flags)
{
	struct json_buf	b;

	memset(&b, 0, sizeof(b));
	json_put_str(&b, s, len, flags);
	if (b.bad) {
		free(b.p);
		return NULL;
	}
	return b.p;
}

static void
test_write(void)
{
	const char	*s;
	char		*out, big[600];

	s = "q\"b\\s/\b\f\n\r\t\x01\x1f\x7f" "é€😀";
	out = put(s, strlen(s), 0);
	ok(out != NULL && strcmp(out, "\"q\\\"b\\\\s/\\b\\f\\n\\r\\t\\u0001"
	    "\\u001f\x7f" "é€😀\"") == 0, "serde_json's escapes");
	free(out);
	ok(put("a\xc3\x28", 3, 0) == NULL, "text that is not UTF-8 is not "
	    "written");
	out = put("a\"\\\n\x7f\xc3\xa9", 7, JSON_ASCII);
	ok(out != NULL && strcmp(out, "\"a\\\"\\\\\\u000a\\u007f\\u00c3"
	    "\\u00a9\"") == 0, "JSON_ASCII: bytes as \\u00XX");
	free(out);
	out = put("", 0, 0);
	ok(out != NULL && strcmp(out, "\"\"") == 0, "the empty string");
	free(out);
	memset(big, 'x', sizeof(big));
	out = put(big, sizeof(big), 0);
	ok(out != NULL && strlen(out) == sizeof(big) + 2,
	    "a string past the first allocation");
	free(out);
}

int
main(void)
{
	test_walk();
	test_strings();
	test_numbers();
	test_bad();
	test_rules();
	test_repeats();
	test_salvage_walk();
	test_write();
	return done_testing();
}
