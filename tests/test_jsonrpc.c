/* SPDX-License-Identifier: ISC */
#include <inttypes.h>

#include "jsonrpc.h"
#include "tap.h"

/* Captured from chopsticks 1.5.1 running tfchain spec 144. */
static const char runtime_version[] =
    "{\"id\":1,\"jsonrpc\":\"2.0\",\"result\":{\"specName\":"
    "\"substrate-threefold\",\"implName\":\"substrate-threefold\","
    "\"authoringVersion\":1,\"specVersion\":144,\"implVersion\":1,"
    "\"apis\":[[\"0xdf6acb689907609b\",4],[\"0x37e397fc7c91f5e4\",2],"
    "[\"0x40fe3ad401f8959a\",6],[\"0xd2bc9897eed08f15\",3],"
    "[\"0xf78b278be53f454c\",2],[\"0xdd718d5cc53262d4\",1],"
    "[\"0xab3c0572291feb8b\",1],[\"0xed99c5acb25eedf5\",3],"
    "[\"0xbc9d89904f5b923f\",1],[\"0x37c8bb1350a9a2a8\",4]],"
    "\"transactionVersion\":2,\"stateVersion\":0}}";
static const char block_hash[] =
    "{\"id\":2,\"jsonrpc\":\"2.0\",\"result\":\"0x4545454545454545454545"
    "454545454545454545454545454545454545454545\"}";
static const char storage_null[] =
    "{\"id\":3,\"jsonrpc\":\"2.0\",\"result\":null}";
static const char next_index[] =
    "{\"id\":8,\"jsonrpc\":\"2.0\",\"result\":0}";
static const char no_method[] =
    "{\"jsonrpc\":\"2.0\",\"id\":5,\"error\":{\"message\":"
    "\"Method not found: no_such\"}}";
static const char bad_request[] =
    "{\"jsonrpc\":\"2.0\",\"id\":null,\"error\":{\"message\":"
    "\"Invalid request: garbage\"}}";
/* The shape a Substrate node gives an invalid transaction. */
static const char bad_tx[] =
    "{\"jsonrpc\":\"2.0\",\"error\":{\"code\":1010,\"message\":"
    "\"Invalid Transaction\",\"data\":\"Transaction has a bad signature\"},"
    "\"id\":4}";

static char	err[JSONRPC_ERR_MAX];

static int
parse(struct jsonrpc_resp *r, const char *text, uint64_t id)
{
	err[0] = '\0';
	return jsonrpc_parse(r, text, strlen(text), id, err, sizeof(err));
}

static void
expect_err(const char *text, uint64_t id, const char *want, const char *name)
{
	struct jsonrpc_resp	r;

	if (!ok(parse(&r, text, id) == -1 && strcmp(err, want) == 0, "%s",
	    name))
		diag("got '%s'\n# want '%s'", err, want);
}

static int
same(const struct jsonrpc_val *v, const char *text)
{
	return v->len == strlen(text) && memcmp(v->p, text, v->len) == 0;
}

static void
test_request(void)
{
	char	buf[256], big[80];
	size_t	n;
	int	rc;

	rc = jsonrpc_request(buf, sizeof(buf), &n, 7, "state_getStorage",
	    "[\"0x12\", null]", err, sizeof(err));
	ok(rc == 0 && strcmp(buf, "{\"jsonrpc\":\"2.0\",\"id\":7,\"method\":"
	    "\"state_getStorage\",\"params\":[\"0x12\", null]}") == 0 &&
	    n == strlen(buf), "request with params");
	rc = jsonrpc_request(buf, sizeof(buf), NULL, 1,
	    "state_getRuntimeVersion", NULL, err, sizeof(err));
	ok(rc == 0 && strcmp(buf, "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":"
	    "\"state_getRuntimeVersion\",\"params\":[]}") == 0,
	    "NULL params are []");
	rc = jsonrpc_request(buf, sizeof(buf), &n, JSONRPC_ID_MAX, "a", "[]",
	    err, sizeof(err));
	ok(rc == 0 && strstr(buf, "\"id\":9007199254740991,") != NULL,
	    "the largest id");
	rc = jsonrpc_request(buf, sizeof(buf), &n, JSONRPC_ID_MAX + 1, "a",
	    "[]", err, sizeof(err));
	ok(rc == -1 && strcmp(err, "rpc: id 9007199254740992 is over "
	    "2^53-1") == 0, "an id a JavaScript server would round");

	ok(jsonrpc_request(buf, sizeof(buf), &n, 1, "", "[]", err,
	    sizeof(err)) == -1 && strcmp(err, "rpc: method name is empty or "
	    "over 64 bytes") == 0, "empty method");
	memset(big, 'a', 65);
	big[65] = '\0';
	ok(jsonrpc_request(buf, sizeof(buf), &n, 1, big, "[]", err,
	    sizeof(err)) == -1, "65-byte method");
	big[64] = '\0';
	ok(jsonrpc_request(buf, sizeof(buf), &n, 1, big, "[]", err,
	    sizeof(err)) == 0, "64-byte method");
	ok(jsonrpc_request(buf, sizeof(buf), &n, 1, "a\",\"x", "[]", err,
	    sizeof(err)) == -1 && strcmp(err, "rpc: bad method name") == 0,
	    "a quote in the method");
	ok(jsonrpc_request(buf, sizeof(buf), &n, 1, "a b", "[]", err,
	    sizeof(err)) == -1, "a space in the method");
	ok(jsonrpc_request(buf, sizeof(buf), &n, 1, "a", "{}", err,
	    sizeof(err)) == -1 && strcmp(err, "rpc: params are not one JSON "
	    "array") == 0, "params an object");
	ok(jsonrpc_request(buf, sizeof(buf), &n, 1, "a", "[1", err,
	    sizeof(err)) == -1, "params unterminated");
	ok(jsonrpc_request(buf, sizeof(buf), &n, 1, "a", "[] []", err,
	    sizeof(err)) == -1, "two arrays");
	ok(jsonrpc_request(buf, sizeof(buf), &n, 1, "a", "[]}", err,
	    sizeof(err)) == -1, "a brace after the array");
	ok(jsonrpc_request(buf, sizeof(buf), &n, 1, "a", "", err,
	    sizeof(err)) == -1, "empty params");
	ok(jsonrpc_request(buf, sizeof(buf), &n, 1, "a", " [ ] ", err,
	    sizeof(err)) == 0, "white space around params");

	/* {"jsonrpc":"2.0","id":1,"method":"a","params":[]} is 49 bytes. */
	ok(jsonrpc_request(buf, 50, &n, 1, "a", "[]", err, sizeof(err)) == 0 &&
	    n == 49, "exactly fits");
	ok(jsonrpc_request(buf, 49, &n, 1, "a", "[]", err, sizeof(err)) ==
	    -1 && strcmp(err, "rpc: request does not fit in 49 bytes") == 0,
	    "one byte short");
	ok(jsonrpc_request(buf, 0, &n, 1, "a", "[]", NULL, 0) == -1,
	    "no room, no err buffer");
}

static void
test_results(void)
{
	struct jsonrpc_resp	r;
	struct jsonrpc_val	f;
	uint8_t			b[64];
	uint64_t		v;
	size_t			n;

	ok(parse(&r, runtime_version, 1) == 0 && r.result.type == JSON_OBJECT &&
	    !r.rpc_error, "runtime version parses");
	ok(jsonrpc_get_field(&r.result, "specVersion", &f, err,
	    sizeof(err)) == 0 && jsonrpc_get_u64(&f, &v, err, sizeof(err)) ==
	    0 && v == 144, "specVersion 144");
	ok(jsonrpc_get_field(&r.result, "transactionVersion", &f, err,
	    sizeof(err)) == 0 && jsonrpc_get_u64(&f, &v, err, sizeof(err)) ==
	    0 && v == 2, "transactionVersion 2");
	ok(jsonrpc_get_field(&r.result, "apis", &f, err, sizeof(err)) == 0 &&
	    f.type == JSON_ARRAY && f.p[0] == '[' && f.p[f.len - 1] == ']',
	    "a nested array as a value");
	ok(jsonrpc_get_field(&r.result, "specName", &f, err, sizeof(err)) ==
	    0 && jsonrpc_get_u64(&f, &v, err, sizeof(err)) == -1 &&
	    strcmp(err, "rpc: specName is not an unsigned integer of 64 "
	    "bits") == 0, "a string is not an integer");
	ok(jsonrpc_get_field(&r.result, "specversion", &f, err,
	    sizeof(err)) == -1 && strcmp(err, "rpc: result has no "
	    "specversion") == 0, "names are case-sensitive");
	ok(jsonrpc_get_hex(&r.result, b, sizeof(b), &n, err, sizeof(err)) ==
	    -1 && strcmp(err, "rpc: result is not hex") == 0,
	    "an object is not hex");
	ok(jsonrpc_get_u64(&r.result, &v, err, sizeof(err)) == -1 &&
	    strcmp(err, "rpc: result is not an unsigned integer of 64 bits") ==
	    0, "an object is not an integer");

	ok(parse(&r, runtime_version, 2) == -1 &&
	    strcmp(err, "rpc: response id 1, expected 2") == 0 &&
	    !r.rpc_error, "another request's answer");

	ok(parse(&r, block_hash, 2) == 0 && jsonrpc_get_hex(&r.result, b, 32,
	    &n, err, sizeof(err)) == 0 && n == 32 && b[0] == 0x45 &&
	    b[31] == 0x45, "genesis hash, 32 bytes");
	ok(jsonrpc_get_hex(&r.result, b, 31, &n, err, sizeof(err)) == -1 &&
	    strcmp(err, "rpc: result is over 31 bytes") == 0,
	    "hex over the bound");
	ok(jsonrpc_get_field(&r.result, "x", &f, err, sizeof(err)) == -1 &&
	    strcmp(err, "rpc: result is not an object") == 0,
	    "a string is not an object");
	ok(!jsonrpc_is_null(&r.result), "a string is not null");

	ok(parse(&r, storage_null, 3) == 0 && jsonrpc_is_null(&r.result),
	    "null result");
	ok(jsonrpc_get_hex(&r.result, b, sizeof(b), &n, err, sizeof(err)) ==
	    -1 && strcmp(err, "rpc: result is null") == 0, "null is not hex");

	ok(parse(&r, next_index, 8) == 0 && jsonrpc_get_u64(&r.result, &v, err,
	    sizeof(err)) == 0 && v == 0, "integer result 0");
}

static void
test_hex_u64(void)
{
	static const struct {
		const char	*text;
		int		 rc;
		size_t		 n;
	} hex[] = {
		{ "\"0x\"", 0, 0 },
		{ "\"0x00ff\"", 0, 2 },
		{ "\"0xABcd\"", 0, 2 },
		{ "\"0x1\"", -1, 0 },
		{ "\"0xzz\"", -1, 0 },
		{ "\"1234\"", -1, 0 },
		{ "\"0X12\"", -1, 0 },
		{ "\"\"", -1, 0 },
		{ "\"0\"", -1, 0 },
		{ "\"\\u0030x12\"", -1, 0 },
		{ "\"0x12 \"", -1, 0 },
		{ "4660", -1, 0 },
		{ "[\"0x12\"]", -1, 0 },
	};
	static const struct {
		const char	*text;
		int		 rc;
		uint64_t	 v;
	} u64[] = {
		{ "0", 0, 0 },
		{ "144", 0, 144 },
		{ "18446744073709551615", 0, UINT64_MAX },
		{ "18446744073709551616", -1, 0 },
		{ "-1", -1, 0 },
		{ "1.0", -1, 0 },
		{ "1e3", -1, 0 },
		{ "01", -2, 0 },	/* not JSON at all */
		{ "\"1\"", -1, 0 },
		{ "null", -1, 0 },
	};
	struct jsonrpc_resp	r;
	char			text[256];
	uint8_t			b[8];
	uint64_t		v;
	size_t			i, n;
	int			rc;

	for (i = 0; i < sizeof(hex) / sizeof(hex[0]); i++) {
		snprintf(text, sizeof(text), "{\"jsonrpc\":\"2.0\",\"id\":1,"
		    "\"result\":%s}", hex[i].text);
		n = 99;
		rc = parse(&r, text, 1) == 0 ? jsonrpc_get_hex(&r.result, b,
		    sizeof(b), &n, err, sizeof(err)) : -2;
		ok(rc == hex[i].rc && (rc != 0 || n == hex[i].n) &&
		    (rc == 0 || strcmp(err, "rpc: result is not hex") == 0),
		    "hex %s", hex[i].text);
	}
	for (i = 0; i < sizeof(u64) / sizeof(u64[0]); i++) {
		snprintf(text, sizeof(text), "{\"jsonrpc\":\"2.0\",\"id\":1,"
		    "\"result\":%s}", u64[i].text);
		v = 99;
		rc = parse(&r, text, 1) == 0 ? jsonrpc_get_u64(&r.result, &v,
		    err, sizeof(err)) : -2;
		ok(rc == u64[i].rc && (rc != 0 || v == u64[i].v),
		    "integer %s", u64[i].text);
	}
}

static void
test_errors(void)
{
	struct jsonrpc_resp	r;
	char			text[2048], msg[600];

	ok(parse(&r, no_method, 5) == -1 && r.rpc_error && !r.has_code &&
	    strcmp(err, "rpc error: Method not found: no_such") == 0,
	    "chopsticks' error has no code");
	ok(parse(&r, bad_request, 5) == -1 && r.rpc_error &&
	    strcmp(err, "rpc error: Invalid request: garbage") == 0,
	    "an error with a null id is ours");
	ok(parse(&r, bad_tx, 4) == -1 && r.rpc_error && r.has_code &&
	    r.code == 1010 && strcmp(err, "rpc error: Invalid Transaction: "
	    "Transaction has a bad signature") == 0,
	    "Substrate's error: code, message and data");
	ok(parse(&r, bad_tx, 5) == -1 && !r.rpc_error &&
	    strcmp(err, "rpc: response id 4, expected 5") == 0,
	    "another request's error is not ours");
	ok(parse(&r, "{\"jsonrpc\":\"2.0\",\"id\":1,\"error\":{\"code\":"
	    "-32601}}", 1) == -1 && r.has_code && r.code == -32601 &&
	    strcmp(err, "rpc error: code -32601") == 0,
	    "an error with only a code, negative");
	ok(parse(&r, "{\"jsonrpc\":\"2.0\",\"id\":1,\"error\":{\"code\":1.5,"
	    "\"message\":7}}", 1) == -1 && !r.has_code && r.rpc_error &&
	    strcmp(err, "rpc error: no message") == 0,
	    "an error with nothing usable: a fractional code is no code");
	expect_err("{\"jsonrpc\":\"2.0\",\"id\":1,\"error\":{"
	    "\"code\":1234567890123456789}}", 1, "rpc error: no message",
	    "a code over 18 digits is no code");
	expect_err("{\"jsonrpc\":\"2.0\",\"id\":1,\"error\":\"boom\"}", 1,
	    "rpc error: boom", "an error that is a plain string");
	expect_err("{\"jsonrpc\":\"2.0\",\"id\":1,\"error\":{\"data\":\"d\"}}",
	    1, "rpc error: d", "an error with only data");
	expect_err("{\"jsonrpc\":\"2.0\",\"id\":1,\"error\":{\"message\":"
	    "\"two\\nlines\\r\\u0007x\"}}", 1, "rpc error: two lines  x",
	    "control characters become spaces");
	expect_err("{\"jsonrpc\":\"2.0\",\"id\":1,\"error\":{\"message\":"
	    "\"nul \\u0000 here\"}}", 1, "rpc error: nul \\u0000 here",
	    "a NUL is quoted raw");
	expect_err("{\"jsonrpc\":\"2.0\",\"id\":1,\"error\":{\"message\":"
	    "\"caf\\u00e9\"}}", 1, "rpc error: caf\xc3\xa9",
	    "escapes are decoded");

	/* A long message is cut on a character boundary, with "...". */
	memset(msg, 'a', sizeof(msg));
	memcpy(msg + 154, "\xc3\xa9\xc3\xa9", 4);
	msg[sizeof(msg) - 1] = '\0';
	snprintf(text, sizeof(text), "{\"jsonrpc\":\"2.0\",\"id\":1,\"error\":"
	    "{\"message\":\"%s\"}}", msg);
	ok(parse(&r, text, 1) == -1 && strlen(err) == 11 + 156 + 3 &&
	    strcmp(err + strlen(err) - 5, "\xc3\xa9...") == 0,
	    "a long message is cut whole characters at a time");
	snprintf(text, sizeof(text), "{\"jsonrpc\":\"2.0\",\"id\":1,\"error\":"
	    "{\"message\":\"%s\",\"data\":\"%s\"}}", msg, msg);
	ok(parse(&r, text, 1) == -1 && strlen(err) < sizeof(err) - 1,
	    "message and data fit the error buffer");
	ok(parse(&r, no_method, 5) == -1 &&
	    jsonrpc_parse(&r, no_method, strlen(no_method), 5, err, 12) == -1 &&
	    strcmp(err, "rpc error: ") == 0, "a short err buffer is cut");
}

static void
test_malformed(void)
{
	char	text[512], key[200], nest[81];

	memset(nest, '[', 40);
	memset(nest + 40, ']', 40);
	nest[80] = '\0';
	expect_err("garbage", 1, "rpc: not JSON at byte 0", "plain text");
	expect_err("", 1, "rpc: not JSON at byte 0", "empty body");
	expect_err("<html><body>502 Bad Gateway</body></html>", 1,
	    "rpc: not JSON at byte 0", "an HTML error page");
	expect_err("{\"jsonrpc\":\"2.0\",\"id\":1,\"result\":0x12}", 1,
	    "rpc: not JSON at byte 34", "bare hex");
	expect_err("{\"jsonrpc\":\"2.0\",\"id\":1,\"result\":null} x", 1,
	    "rpc: not JSON at byte 39", "text after the object");
	expect_err("{\"jsonrpc\":\"2.0\",\"id\":1,\"result\":nul", 1,
	    "rpc: not JSON at byte 33", "cut short");
	expect_err("[{\"jsonrpc\":\"2.0\",\"id\":1,\"result\":null}]", 1,
	    "rpc: response is not an object", "a batch answer");
	expect_err("{\"id\":1,\"result\":null}", 1,
	    "rpc: response is not JSON-RPC 2.0", "no jsonrpc member");
	expect_err("{\"jsonrpc\":\"1.0\",\"id\":1,\"result\":null}", 1,
	    "rpc: response is not JSON-RPC 2.0", "jsonrpc 1.0");
	expect_err("{\"jsonrpc\":2.0,\"id\":1,\"result\":null}", 1,
	    "rpc: response is not JSON-RPC 2.0", "jsonrpc a number");
	expect_err("{\"jsonrpc\":\"2.0\",\"jsonrpc\":\"2.0\",\"id\":1,"
	    "\"result\":null}", 1, "rpc: response has jsonrpc twice",
	    "jsonrpc twice");
	expect_err("{\"jsonrpc\":\"1.0\",\"jsonrpc\":\"2.0\",\"id\":1,"
	    "\"result\":null}", 1, "rpc: response is not JSON-RPC 2.0",
	    "jsonrpc twice: the first is read first (json-c keeps the last)");
	expect_err("{\"jsonrpc\":\"2.0\",\"id\":1,\"result\":null,"
	    "\"error\":{\"message\":\"x\"}}", 1,
	    "rpc: response has both result and error", "result and error");
	expect_err("{\"jsonrpc\":\"2.0\",\"id\":1}", 1,
	    "rpc: response has neither result nor error", "neither");
	expect_err("{\"jsonrpc\":\"2.0\",\"method\":\"chain_newHead\","
	    "\"params\":{}}", 1, "rpc: response has neither result nor error",
	    "a notification");
	expect_err("{\"jsonrpc\":\"2.0\",\"id\":1,\"result\":1,\"result\":2}",
	    1, "rpc: response has result twice", "result twice");
	expect_err("{\"jsonrpc\":\"2.0\",\"id\":1,\"id\":1,\"result\":1}",
	    1, "rpc: response has id twice", "id twice");
	expect_err("{\"jsonrpc\":\"2.0\",\"result\":1}", 1,
	    "rpc: response has no id", "no id");
	expect_err("{\"jsonrpc\":\"2.0\",\"id\":3,\"result\":1}", 2,
	    "rpc: response id 3, expected 2", "wrong id");
	expect_err("{\"jsonrpc\":\"2.0\",\"id\":null,\"result\":1}", 2,
	    "rpc: response id is not a number, expected 2",
	    "a result with a null id");
	expect_err("{\"jsonrpc\":\"2.0\",\"id\":\"2\",\"result\":1}", 2,
	    "rpc: response id is not a number, expected 2", "a string id");
	expect_err("{\"jsonrpc\":\"2.0\",\"id\":2.0,\"result\":1}", 2,
	    "rpc: response id is not a number, expected 2", "a float id");
	expect_err("{\"jsonrpc\":\"2.0\",\"id\":-2,\"result\":1}", 2,
	    "rpc: response id is not a number, expected 2", "a negative id");

	memset(key, 'k', 127);
	key[127] = '\0';
	snprintf(text, sizeof(text), "{\"jsonrpc\":\"2.0\",\"%s\":1,\"id\":1,"
	    "\"result\":{\"%s\":1,\"a\":2}}", key, key);
	{
		struct jsonrpc_resp	r;
		struct jsonrpc_val	f;
		uint64_t		v;

		ok(parse(&r, text, 1) == 0 && jsonrpc_get_field(&r.result, "a",
		    &f, err, sizeof(err)) == 0 && jsonrpc_get_u64(&f, &v, err,
		    sizeof(err)) == 0 && v == 2,
		    "unknown members of 127 bytes are skipped");
		key[127] = 'k';
		key[128] = '\0';
		snprintf(text, sizeof(text), "{\"jsonrpc\":\"2.0\",\"id\":1,"
		    "\"result\":{\"%s\":1,\"a\":2}}", key);
		ok(parse(&r, text, 1) == 0 && jsonrpc_get_field(&r.result, "a",
		    &f, err, sizeof(err)) == -1 && strcmp(err, "rpc: result "
		    "has a member name over 127 bytes") == 0,
		    "a member name over the bound in a result");
		snprintf(text, sizeof(text), "{\"jsonrpc\":\"2.0\",\"%s\":1,"
		    "\"id\":1,\"result\":1}", key);
		expect_err(text, 1, "rpc: response has a member name over 127 "
		    "bytes", "a member name over the bound in a response");
		ok(parse(&r, "{\"jsonrpc\":\"2.0\",\"id\":1,\"result\":"
		    "{\"a\":1,\"a\":2}}", 1) == 0 && jsonrpc_get_field(&r.result,
		    "a", &f, err, sizeof(err)) == -1 && strcmp(err,
		    "rpc: result has a twice") == 0, "a field twice");
		ok(parse(&r, " \n{ \"id\" : 1 ,\n \"result\" :\t\"0x01\" , "
		    "\"jsonrpc\" : \"2.0\" }\n", 1) == 0 &&
		    same(&r.result, "\"0x01\""),
		    "white space everywhere, result without it");
		ok(parse(&r, "{\"jsonrpc\":\"2.0\",\"id\":1,\"result\":[],"
		    "\"x\":{\"y\":[1,{}]}}", 1) == 0 && same(&r.result, "[]"),
		    "unknown members are skipped");
	}
	/* Nesting past json.h's bound is not JSON to this reader. */
	snprintf(text, sizeof(text), "{\"jsonrpc\":\"2.0\",\"id\":1,"
	    "\"result\":%.40s%.40s}", nest, nest + 40);
	expect_err(text, 1, "rpc: not JSON at byte 62", "nesting too deep");
}

/* Block numbers as headers carry them: "0x" and 1 to 16 hex digits. */
static void
test_quantity(void)
{
	static const struct {
		const char	*result;
		int		 rv;
		uint64_t	 want;
	} cases[] = {
		{ "\"0x1b4\"", 0, 0x1b4 },
		{ "\"0xAbC\"", 0, 0xabc },
		{ "\"0x0\"", 0, 0 },
		{ "\"0xffffffffffffffff\"", 0, UINT64_MAX },
		{ "\"0x1ffffffffffffffff\"", -1, 0 },	/* 17 digits */
		{ "\"0x\"", -1, 0 },
		{ "\"1b4\"", -1, 0 },
		{ "\"0x1g\"", -1, 0 },
		{ "436", -1, 0 },			/* a number */
		{ "null", -1, 0 },
	};
	struct jsonrpc_resp	r;
	char			text[128];
	uint64_t		v;
	size_t			i;
	int			good = 1;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		snprintf(text, sizeof(text), "{\"jsonrpc\":\"2.0\",\"result\":"
		    "%s,\"id\":1}", cases[i].result);
		v = 7;
		if (parse(&r, text, 1) != 0 ||
		    jsonrpc_get_quantity(&r.result, &v) != cases[i].rv ||
		    (cases[i].rv == 0 && v != cases[i].want)) {
			diag("quantity %s: wrong", cases[i].result);
			good = 0;
		}
	}
	ok(good, "quantities: \"0x\" and 1 to 16 hex digits, nothing else");
}

int
main(void)
{
	test_request();
	test_results();
	test_hex_u64();
	test_quantity();
	test_errors();
	test_malformed();
	return done_testing();
}
