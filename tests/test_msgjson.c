/* SPDX-License-Identifier: ISC */
/*
 * The redis API's JSON (doc/protocol.md §6.2): each format written exactly as
 * serde_json writes it, read as leniently as serde reads it, and every
 * kind of bad input refused with a reason.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "msgjson.h"
#include "tap.h"

static char	err[MSGJSON_ERR_MAX];

static int
p_in_req(struct msg_in_req *m, const char *s)
{
	return msgjson_parse_in_req(m, s, strlen(s), err, sizeof(err));
}

static int
p_in_resp(struct msg_in_resp *m, const char *s)
{
	return msgjson_parse_in_resp(m, s, strlen(s), err, sizeof(err));
}

static void
opt(struct msgjson_opt *o, const char *s)
{
	o->set = s != NULL;
	snprintf(o->s, sizeof(o->s), "%s", s != NULL ? s : "");
}

static int
is_str(const char *got, const char *want, const char *name)
{
	int	r;

	r = ok(got != NULL && strcmp(got, want) == 0, "%s", name);
	if (!r)
		diag("got  %s\n# want %s", got ? got : "(null)", want);
	return r;
}

/* Parses a JsonOutgoingRequest and expects it refused with why. */
static void
bad_out_req(const char *json, const char *why, const char *name)
{
	static struct msg_out_req	m;
	int				r;

	err[0] = '\0';
	r = msgjson_parse_out_req(&m, json, strlen(json), err, sizeof(err));
	ok(r == -1 && strstr(err, why) != NULL && m.dat == NULL,
	    "out_req refused: %s", name);
	if (r != -1 || strstr(err, why) == NULL)
		diag("err: %s", err);
}

static void
bad_out_resp(const char *json, const char *why, const char *name)
{
	static struct msg_out_resp	m;
	int				r;

	err[0] = '\0';
	r = msgjson_parse_out_resp(&m, json, strlen(json), err, sizeof(err));
	ok(r == -1 && strstr(err, why) != NULL && m.dat == NULL,
	    "out_resp refused: %s", name);
	if (r != -1 || strstr(err, why) == NULL)
		diag("err: %s", err);
}

static void
test_out_req(void)
{
	static struct msg_out_req	m, m2;
	const char			*ex = "{\"ver\":1,\"ref\":\"r1\","
	    "\"cmd\":\"zos.system.version\",\"exp\":120,\"dat\":\"e30=\","
	    "\"tag\":null,\"dst\":[12,13],\"ret\":\"4f0c-uuid\","
	    "\"shm\":\"application/json\",\"now\":1700000000}";
	char				*out;
	size_t				 len;

	ok(msgjson_parse_out_req(&m, ex, strlen(ex), err, sizeof(err)) == 0,
	    "out_req: the §6.2 example parses");
	ok(m.ver == 1 && m.ref.set && strcmp(m.ref.s, "r1") == 0 &&
	    strcmp(m.cmd, "zos.system.version") == 0 && m.exp == 120 &&
	    m.datlen == 2 && memcmp(m.dat, "{}", 2) == 0 && !m.tag.set &&
	    m.ndst == 2 && m.dst[0] == 12 && m.dst[1] == 13 &&
	    strcmp(m.ret, "4f0c-uuid") == 0 && m.shm.set &&
	    strcmp(m.shm.s, "application/json") == 0 && m.now == 1700000000,
	    "out_req: every field read");
	out = msgjson_write_out_req(&m, &len);
	is_str(out, ex, "out_req: written back byte for byte");
	ok(out != NULL && len == strlen(ex), "out_req: length");
	free(out);
	msgjson_out_req_clear(&m);
	ok(m.dat == NULL, "out_req: clear frees dat");

	/* Lenient reading: order, unknown keys, whitespace, missing options. */
	ex = " {\"now\":0, \"ret\":\"q\",\"dst\":[ ],\"dat\":\"\",\"exp\":5,"
	    "\"cmd\":\"c\",\"ver\":7,\"x\":{\"a\":[1,2.5e3,true,null]},"
	    "\"y\":\"\\u00e9\"}\n";
	ok(msgjson_parse_out_req(&m, ex, strlen(ex), err, sizeof(err)) == 0 &&
	    m.ver == 7 && !m.ref.set && !m.tag.set && !m.shm.set &&
	    m.ndst == 0 && m.dat == NULL && m.datlen == 0 &&
	    strcmp(m.cmd, "c") == 0,
	    "out_req: any order, unknown keys, options missing");
	out = msgjson_write_out_req(&m, NULL);
	is_str(out, "{\"ver\":7,\"ref\":null,\"cmd\":\"c\",\"exp\":5,"
	    "\"dat\":\"\",\"tag\":null,\"dst\":[],\"ret\":\"q\",\"shm\":null,"
	    "\"now\":0}", "out_req: nulls and empty values written");
	free(out);

	/* Unpadded base64 is read; padded is written. */
	ex = "{\"ver\":1,\"cmd\":\"c\",\"exp\":1,\"dat\":\"YWI\",\"dst\":[1],"
	    "\"ret\":\"q\",\"now\":0,\"ref\":null,\"tag\":\"fail-fast\"}";
	ok(msgjson_parse_out_req(&m, ex, strlen(ex), err, sizeof(err)) == 0 &&
	    m.datlen == 2 && memcmp(m.dat, "ab", 2) == 0 && m.tag.set &&
	    strcmp(m.tag.s, "fail-fast") == 0, "out_req: unpadded dat read");
	out = msgjson_write_out_req(&m, NULL);
	ok(out != NULL && strstr(out, "\"dat\":\"YWI=\"") != NULL,
	    "out_req: dat written padded");
	ok(out != NULL && msgjson_parse_out_req(&m2, out, strlen(out), err,
	    sizeof(err)) == 0 && m2.datlen == 2, "out_req: reads its own");
	free(out);
	msgjson_out_req_clear(&m);
	msgjson_out_req_clear(&m2);

	/* An escaped key and an escaped base64 string are still read. */
	ex = "{\"v\\u0065r\":1,\"cmd\":\"c\",\"exp\":1,\"dat\":\"YQ\\u003d=\","
	    "\"dst\":[4294967295],\"ret\":\"q\",\"now\":18446744073709551615}";
	ok(msgjson_parse_out_req(&m, ex, strlen(ex), err, sizeof(err)) == 0 &&
	    m.datlen == 1 && m.dat[0] == 'a' && m.dst[0] == 4294967295u &&
	    m.now == UINT64_MAX, "out_req: escapes in keys and dat, limits");
	msgjson_out_req_clear(&m);

	bad_out_req("{\"ver\":1,\"cmd\":\"c\",\"exp\":1,\"dat\":\"\","
	    "\"dst\":[1],\"now\":0}", "missing field `ret`", "missing ret");
	bad_out_req("{\"ver\":1,\"cmd\":\"c\",\"exp\":1,\"dst\":[1],"
	    "\"ret\":\"q\",\"now\":0}", "missing field `dat`", "missing dat");
	bad_out_req("{\"cmd\":\"c\",\"exp\":1,\"dat\":\"\",\"dst\":[1],"
	    "\"ret\":\"q\",\"now\":0}", "missing field `ver`", "missing ver");
	bad_out_req("{\"ver\":1,\"cmd\":\"c\",\"exp\":1,\"dat\":\"\","
	    "\"dst\":[1],\"ret\":\"q\"}", "missing field `now`", "missing now");
	bad_out_req("{\"ver\":1,\"cmd\":\"c\",\"exp\":\"1\",\"dat\":\"\","
	    "\"dst\":[1],\"ret\":\"q\",\"now\":0}", "invalid type for `exp`",
	    "exp as a string");
	bad_out_req("{\"ver\":1,\"cmd\":\"c\",\"exp\":-1,\"dat\":\"\","
	    "\"dst\":[1],\"ret\":\"q\",\"now\":0}", "invalid value for `exp`",
	    "negative exp");
	bad_out_req("{\"ver\":1,\"cmd\":\"c\",\"exp\":1.0,\"dat\":\"\","
	    "\"dst\":[1],\"ret\":\"q\",\"now\":0}", "invalid value for `exp`",
	    "float exp");
	bad_out_req("{\"ver\":1,\"cmd\":\"c\",\"exp\":1,\"dat\":\"\","
	    "\"dst\":[1],\"ret\":\"q\",\"now\":18446744073709551616}",
	    "invalid value for `now`", "now above u64");
	bad_out_req("{\"ver\":1,\"cmd\":\"c\",\"exp\":1,\"dat\":\"\","
	    "\"dst\":[4294967296],\"ret\":\"q\",\"now\":0}",
	    "invalid value for `dst`", "twin above u32");
	bad_out_req("{\"ver\":1,\"cmd\":\"c\",\"exp\":1,\"dat\":\"\","
	    "\"dst\":[\"1\"],\"ret\":\"q\",\"now\":0}",
	    "invalid type for `dst`", "twin as a string");
	bad_out_req("{\"ver\":1,\"cmd\":\"c\",\"exp\":1,\"dat\":\"\","
	    "\"dst\":1,\"ret\":\"q\",\"now\":0}", "invalid type for `dst`",
	    "dst as a number");
	bad_out_req("{\"ver\":1,\"cmd\":null,\"exp\":1,\"dat\":\"\","
	    "\"dst\":[1],\"ret\":\"q\",\"now\":0}", "invalid type for `cmd`",
	    "required string as null");
	bad_out_req("{\"ver\":1,\"cmd\":\"c\",\"exp\":1,\"dat\":null,"
	    "\"dst\":[1],\"ret\":\"q\",\"now\":0}", "invalid type for `dat`",
	    "dat as null");
	bad_out_req("{\"ver\":1,\"cmd\":\"c\",\"exp\":1,\"dat\":\"\","
	    "\"dst\":[1],\"ret\":\"q\",\"now\":0,\"tag\":5}",
	    "invalid type for `tag`", "option as a number");
	bad_out_req("{\"ver\":1,\"cmd\":\"c\",\"exp\":1,\"dat\":\"\","
	    "\"dst\":[1],\"ret\":\"q\",\"now\":0,\"ver\":1}",
	    "duplicate field `ver`", "duplicate ver");
	bad_out_req("{\"ver\":1,\"ref\":null,\"cmd\":\"c\",\"exp\":1,"
	    "\"dat\":\"\",\"dst\":[1],\"ret\":\"q\",\"now\":0,\"ref\":\"x\"}",
	    "duplicate field `ref`", "duplicate optional key");
	bad_out_req("{\"ver\":1,\"cmd\":\"c\",\"exp\":1,\"dat\":\"e31\","
	    "\"dst\":[1],\"ret\":\"q\",\"now\":0}", "invalid base64",
	    "non-zero trailing bits");
	bad_out_req("{\"ver\":1,\"cmd\":\"c\",\"exp\":1,\"dat\":\"e3 0=\","
	    "\"dst\":[1],\"ret\":\"q\",\"now\":0}", "invalid base64",
	    "whitespace in base64");
	bad_out_req("{\"ver\":1,\"cmd\":\"c\",\"exp\":1,\"dat\":\"e3-_\","
	    "\"dst\":[1],\"ret\":\"q\",\"now\":0}", "invalid base64",
	    "URL-safe alphabet");
	bad_out_req("{\"ver\":1,\"cmd\":\"c\",\"exp\":1,\"dat\":\"e30=\\n\","
	    "\"dst\":[1],\"ret\":\"q\",\"now\":0}", "invalid base64",
	    "newline in base64");
	bad_out_req("{\"ver\":1,\"cmd\":\"c\",\"exp\":1,\"dat\":\"e30=\","
	    "\"dst\":[1],\"ret\":\"q\",\"now\":0} x", "trailing characters",
	    "trailing garbage");
	bad_out_req("{\"ver\":1,\"cmd\":\"c\",\"exp\":1,\"dat\":\"e30=\","
	    "\"dst\":[1],\"ret\":\"q\",\"now\":0}{}", "trailing characters",
	    "two objects");
	bad_out_req("[1,\"r\",\"c\",1,\"\",null,[1],\"q\",null,0]",
	    "expected a JSON object", "an array");
	bad_out_req("", "expected a JSON object", "empty input");
	bad_out_req("{\"ver\":1,", "malformed JSON", "truncated");
	bad_out_req("{\"ver\":1,\"cmd\":\"c\",}", "malformed JSON",
	    "trailing comma");
	bad_out_req("{\"ver\":1,\"cmd\":\"a\\u0000b\",\"exp\":1,\"dat\":\"\","
	    "\"dst\":[1],\"ret\":\"q\",\"now\":0}", "`cmd` is not a valid",
	    "NUL in a string");
	bad_out_req("{\"ver\":1,\"cmd\":\"\xff\",\"exp\":1,\"dat\":\"\","
	    "\"dst\":[1],\"ret\":\"q\",\"now\":0}", "`cmd` is not a valid",
	    "invalid UTF-8");
}

static void
test_long(void)
{
	static struct msg_out_req	m;
	char				*json, *p;
	size_t				 i;

	if ((json = malloc(3 * MSGJSON_STR_MAX + 8 * MSGJSON_DST_MAX)) == NULL)
		abort();
	p = json + sprintf(json, "{\"ver\":1,\"cmd\":\"");
	for (i = 0; i < MSGJSON_STR_MAX - 1; i++)
		*p++ = 'c';
	sprintf(p, "\",\"exp\":1,\"dat\":\"\",\"dst\":[1],\"ret\":\"q\","
	    "\"now\":0}");
	ok(msgjson_parse_out_req(&m, json, strlen(json), err,
	    sizeof(err)) == 0 && strlen(m.cmd) == MSGJSON_STR_MAX - 1,
	    "a string of the largest size is read");
	p = json + sprintf(json, "{\"ver\":1,\"cmd\":\"");
	for (i = 0; i < MSGJSON_STR_MAX; i++)
		*p++ = 'c';
	sprintf(p, "\",\"exp\":1,\"dat\":\"\",\"dst\":[1],\"ret\":\"q\","
	    "\"now\":0}");
	bad_out_req(json, "at most 4095 bytes", "a string too long");

	p = json + sprintf(json, "{\"ver\":1,\"cmd\":\"c\",\"exp\":1,"
	    "\"dat\":\"\",\"ret\":\"q\",\"now\":0,\"dst\":[");
	for (i = 0; i <= MSGJSON_DST_MAX; i++)
		p += sprintf(p, "%s%zu", i ? "," : "", i);
	sprintf(p, "]}");
	bad_out_req(json, "more than 1024 twins", "too many twins");

	p = json + sprintf(json, "{\"ver\":1,\"cmd\":\"c\",\"exp\":1,"
	    "\"dat\":\"\",\"ret\":\"q\",\"now\":0,\"");
	for (i = 0; i < MSGJSON_KEY_MAX; i++)
		*p++ = 'k';
	sprintf(p, "\":1,\"dst\":[]}");
	bad_out_req(json, "malformed JSON", "an unknown key too long");
	free(json);
}

static void
test_in_req(void)
{
	static struct msg_in_req	m, m2;
	const char			*ex = "{\"ver\":1,"
	    "\"ref\":\"8f9e7c9a-4b1e-4d2a-9a55-0a1b2c3d4e5f\",\"src\":\"7\","
	    "\"cmd\":\"zos.system.version\",\"exp\":300,"
	    "\"dat\":\"eyJhIjoxfQ==\",\"tag\":null,"
	    "\"ret\":\"msgbus.system.reply\",\"shm\":\"application/json\","
	    "\"now\":1700000000}";
	char				*out;

	memset(&m, 0, sizeof(m));
	m.ver = 1;
	snprintf(m.ref, sizeof(m.ref), "8f9e7c9a-4b1e-4d2a-9a55-0a1b2c3d4e5f");
	snprintf(m.src, sizeof(m.src), "7");
	snprintf(m.cmd, sizeof(m.cmd), "zos.system.version");
	m.exp = 300;
	m.dat = (uint8_t *)"{\"a\":1}";
	m.datlen = 7;
	snprintf(m.ret, sizeof(m.ret), "msgbus.system.reply");
	opt(&m.shm, "application/json");
	m.now = 1700000000;
	out = msgjson_write_in_req(&m, NULL);
	is_str(out, ex, "in_req: the §6.2 example written exactly");
	ok(out != NULL && msgjson_parse_in_req(&m2, out, strlen(out), err,
	    sizeof(err)) == 0 && m2.datlen == 7 &&
	    memcmp(m2.dat, "{\"a\":1}", 7) == 0 &&
	    strcmp(m2.src, "7") == 0 && !m2.tag.set && m2.exp == 300,
	    "in_req: read back");
	free(out);
	msgjson_in_req_clear(&m2);

	snprintf(m.src, sizeof(m.src), "7:5d4e1b2a");
	opt(&m.tag, "a,b");
	opt(&m.shm, NULL);
	m.dat = NULL;
	m.datlen = 0;
	out = msgjson_write_in_req(&m, NULL);
	ok(out != NULL && strstr(out, "\"src\":\"7:5d4e1b2a\"") != NULL &&
	    strstr(out, "\"dat\":\"\",\"tag\":\"a,b\"") != NULL &&
	    strstr(out, "\"shm\":null") != NULL,
	    "in_req: a session source, tags, null schema");
	free(out);
	ok(p_in_req(&m2, "{\"ver\":1,\"src\":\"7\",\"cmd\":\"c\","
	    "\"exp\":1,\"dat\":\"\",\"ret\":\"r\",\"now\":0}") == -1 &&
	    strstr(err, "missing field `ref`") != NULL,
	    "in_req: ref is required here");
}

static void
test_out_resp(void)
{
	static struct msg_out_resp	m;
	const char			*ex = "{\"ver\":1,\"ref\":\"u1\","
	    "\"dat\":\"InYxLjUuMSI=\",\"dst\":\"7:abc\",\"shm\":null,"
	    "\"now\":1700000000,\"err\":null}";
	char				*out;

	ok(msgjson_parse_out_resp(&m, ex, strlen(ex), err, sizeof(err)) == 0 &&
	    m.ref.set && strcmp(m.dst, "7:abc") == 0 && !m.has_err &&
	    m.datlen == 8 && memcmp(m.dat, "\"v1.5.1\"", 8) == 0,
	    "out_resp: read");
	out = msgjson_write_out_resp(&m, NULL);
	is_str(out, ex, "out_resp: written back exactly");
	free(out);
	msgjson_out_resp_clear(&m);

	ex = "{\"err\":{\"message\":\"no \\\"such\\\" thing\",\"code\":42,"
	    "\"extra\":[]},\"ver\":1,\"dat\":\"\",\"dst\":\"9\",\"now\":0}";
	ok(msgjson_parse_out_resp(&m, ex, strlen(ex), err, sizeof(err)) == 0 &&
	    m.has_err && m.err.code == 42 &&
	    strcmp(m.err.message, "no \"such\" thing") == 0 && !m.ref.set,
	    "out_resp: an error in any order, ref missing");
	out = msgjson_write_out_resp(&m, NULL);
	is_str(out, "{\"ver\":1,\"ref\":null,\"dat\":\"\",\"dst\":\"9\","
	    "\"shm\":null,\"now\":0,\"err\":{\"code\":42,"
	    "\"message\":\"no \\\"such\\\" thing\"}}",
	    "out_resp: error written in order");
	free(out);

	bad_out_resp("{\"ver\":1,\"ref\":\"u\",\"dat\":\"\",\"dst\":7,"
	    "\"now\":0}", "invalid type for `dst`", "dst as a number");
	bad_out_resp("{\"ver\":1,\"dat\":\"\",\"dst\":\"7\",\"now\":0,"
	    "\"err\":{\"code\":1}}", "missing field `message`",
	    "error without message");
	bad_out_resp("{\"ver\":1,\"dat\":\"\",\"dst\":\"7\",\"now\":0,"
	    "\"err\":{\"code\":4294967296,\"message\":\"\"}}",
	    "invalid value for `code`", "error code above u32");
	bad_out_resp("{\"ver\":1,\"dat\":\"\",\"dst\":\"7\",\"now\":0,"
	    "\"err\":{\"code\":1,\"code\":2,\"message\":\"\"}}",
	    "duplicate field `code`", "duplicate key in the error");
	bad_out_resp("{\"ver\":1,\"dat\":\"\",\"dst\":\"7\",\"now\":0,"
	    "\"err\":\"boom\"}", "invalid type for `err`", "error as a string");
	bad_out_resp("{\"ver\":1,\"dst\":\"7\",\"now\":0}",
	    "missing field `dat`", "dat required even for errors");
}

static void
test_in_resp(void)
{
	static struct msg_in_resp	m, m2;
	char				*out;

	memset(&m, 0, sizeof(m));
	m.ver = 1;
	opt(&m.ref, "r1");
	m.dat = (uint8_t *)"\"v1.5.1\"";
	m.datlen = 8;
	snprintf(m.src, sizeof(m.src), "12");
	opt(&m.shm, "application/json");
	m.now = 1700000005;
	out = msgjson_write_in_resp(&m, NULL);
	is_str(out, "{\"ver\":1,\"ref\":\"r1\",\"dat\":\"InYxLjUuMSI=\","
	    "\"src\":\"12\",\"shm\":\"application/json\",\"now\":1700000005,"
	    "\"err\":null}", "in_resp: the §6.2 success example");
	free(out);

	memset(&m, 0, sizeof(m));
	m.ver = 1;
	opt(&m.ref, "r1");
	m.has_err = 1;
	m.err.code = 103;
	snprintf(m.err.message, sizeof(m.err.message),
	    "unknown twin id '99'");
	out = msgjson_write_in_resp(&m, NULL);
	is_str(out, "{\"ver\":1,\"ref\":\"r1\",\"dat\":\"\",\"src\":\"\","
	    "\"shm\":null,\"now\":0,\"err\":{\"code\":103,"
	    "\"message\":\"unknown twin id '99'\"}}",
	    "in_resp: the §6.2 local failure example");
	ok(out != NULL && msgjson_parse_in_resp(&m2, out, strlen(out), err,
	    sizeof(err)) == 0 && m2.has_err && m2.err.code == 103 &&
	    m2.datlen == 0 && m2.src[0] == '\0', "in_resp: read back");
	free(out);
	ok(p_in_resp(&m2, "{\"ver\":1,\"ref\":null,\"dat\":\"\","
	    "\"src\":0,\"now\":0}") == -1 &&
	    strstr(err, "invalid type for `src`") != NULL,
	    "in_resp: src as a number refused");
}

static void
test_escapes(void)
{
	static struct msg_in_resp	m, m2;
	char				*out;
	const char			*s = "q\"b\\s/\b\f\n\r\t\x01\x1f\x7f"
	    "é€😀";

	memset(&m, 0, sizeof(m));
	m.ver = 1;
	snprintf(m.src, sizeof(m.src), "%s", s);
	out = msgjson_write_in_resp(&m, NULL);
	is_str(out, "{\"ver\":1,\"ref\":null,\"dat\":\"\",\"src\":"
	    "\"q\\\"b\\\\s/\\b\\f\\n\\r\\t\\u0001\\u001f\x7f"
	    "é€😀\",\"shm\":null,\"now\":0,\"err\":null}",
	    "escapes as serde_json: short forms, \\u00XX, raw / DEL UTF-8");
	ok(out != NULL && msgjson_parse_in_resp(&m2, out, strlen(out), err,
	    sizeof(err)) == 0 && strcmp(m2.src, s) == 0,
	    "escaped string read back");
	free(out);

	snprintf(m.src, sizeof(m.src), "bad \xc3\x28");
	ok(msgjson_write_in_resp(&m, NULL) == NULL,
	    "invalid UTF-8 is not written");
	memset(m.src, 'x', sizeof(m.src));
	m.src[sizeof(m.src) - 1] = '\0';
	out = msgjson_write_in_resp(&m, NULL);
	ok(out != NULL, "the largest string is written");
	free(out);

	/* \u escapes on input, surrogate pairs included. */
	ok(p_in_resp(&m2, "{\"ver\":1,\"dat\":\"\",\"src\":"
	    "\"\\u0041\\/\\ud83d\\ude00\",\"now\":0}") == 0 &&
	    strcmp(m2.src, "A/😀") == 0,
	    "\\u escapes and surrogate pairs read");
	ok(p_in_resp(&m2, "{\"ver\":1,\"dat\":\"\",\"src\":"
	    "\"\\ud83d\",\"now\":0}") == -1,
	    "a lone surrogate refused");
}

static void
test_big_dat(void)
{
	static struct msg_in_resp	m, m2;
	char				*out;
	size_t				 len;

	memset(&m, 0, sizeof(m));
	if ((m.dat = malloc(MSGJSON_DAT_MAX + 4)) == NULL)
		abort();
	memset(m.dat, 0xa5, MSGJSON_DAT_MAX + 4);
	m.datlen = MSGJSON_DAT_MAX;
	out = msgjson_write_in_resp(&m, &len);
	ok(out != NULL && msgjson_parse_in_resp(&m2, out, len, err,
	    sizeof(err)) == 0 && m2.datlen == MSGJSON_DAT_MAX &&
	    memcmp(m2.dat, m.dat, MSGJSON_DAT_MAX) == 0,
	    "a payload of PAYLOAD_MAX (64 MiB - 32 KiB) bytes goes both ways");
	free(out);
	msgjson_in_resp_clear(&m2);
	m.datlen = MSGJSON_DAT_MAX + 1;
	out = msgjson_write_in_resp(&m, &len);
	ok(out != NULL && msgjson_parse_in_resp(&m2, out, len, err,
	    sizeof(err)) == -1 && m2.dat == NULL &&
	    strcmp(err, "`dat` is too large: at most 67076096 bytes once "
	    "decoded") == 0,
	    "a payload of PAYLOAD_MAX + 1 bytes is refused on input: %s", err);
	free(out);
	m.datlen = MSGJSON_DAT_MAX + 4;
	out = msgjson_write_in_resp(&m, &len);
	ok(out != NULL && msgjson_parse_in_resp(&m2, out, len, err,
	    sizeof(err)) == -1 && m2.dat == NULL &&
	    strcmp(err, "`dat` is too large: at most 67076096 bytes once "
	    "decoded") == 0,
	    "... and a longer base64 string before it is decoded: %s", err);
	free(out);
	free(m.dat);
}

static void
test_salvage(void)
{
	struct msgjson_opt	ref;
	char			ret[MSGJSON_STR_MAX];
	const char		*j;

	j = "{\"ver\":\"x\",\"ref\":\"r9\",\"ret\":\"my.queue\",\"dst\":";
	ok(msgjson_salvage(j, strlen(j), ret, &ref) == 1 &&
	    strcmp(ret, "my.queue") == 0 && ref.set &&
	    strcmp(ref.s, "r9") == 0, "salvage: ret and ref before the end");
	j = "{\"ret\":5,\"ref\":null}";
	ok(msgjson_salvage(j, strlen(j), ret, &ref) == 0 && !ref.set,
	    "salvage: a ret that is not a string");
	j = "{\"dst\":[1,,],\"ret\":\"q\"}";
	ok(msgjson_salvage(j, strlen(j), ret, &ref) == 0,
	    "salvage: nothing after a syntax error");
	j = "not json";
	ok(msgjson_salvage(j, strlen(j), ret, &ref) == 0,
	    "salvage: not an object");
	j = "{\"ret\":\"\"}";
	ok(msgjson_salvage(j, strlen(j), ret, &ref) == 0,
	    "salvage: an empty ret is not usable");
	j = "{\"ref\":\"a\\u0000\\\"b\",\"ver\":1,\"ret\":\"q\"}";
	ok(msgjson_salvage(j, strlen(j), ret, &ref) == 1 && ref.set &&
	    strcmp(ref.s, "a\\u0000\\\"b") == 0 && strcmp(ret, "q") == 0,
	    "salvage: a NUL in ref before ret: ref as written (%s)", ref.s);
	j = "{\"ref\":\"\xff\x01\xc3\xa9\xe2\x82\",\"ret\":\"q\"}";
	ok(msgjson_salvage(j, strlen(j), ret, &ref) == 1 && ref.set &&
	    strcmp(ref.s, "\xef\xbf\xbd\xef\xbf\xbd\xc3\xa9\xef\xbf\xbd"
	    "\xef\xbf\xbd") == 0, "salvage: bad UTF-8 and a control byte "
	    "in ref: U+FFFD each, good characters kept");
	j = "{\"ref\":\"\xff";
	ok(msgjson_salvage(j, strlen(j), ret, &ref) == 0 && !ref.set,
	    "salvage: an unterminated bad ref");
}

/*
 * The rules json.h keeps on top of json-c, as a request meets them: each
 * refused with the reason the reader before json-c gave.
 */
#define REQ(a, b) "{\"ver\":1,\"cmd\":\"c\",\"exp\":" a ",\"dat\":\"\"," \
	"\"dst\":[1],\"ret\":\"q\",\"now\":0" b "}"

static void
test_rules(void)
{
	static struct msg_out_req	m;

	bad_out_req(REQ("01", ""), "malformed JSON at byte 26",
	    "a leading zero");
	bad_out_req(REQ("1.", ""), "malformed JSON at byte 27",
	    "a point without digits");
	bad_out_req(REQ("NaN", ""), "malformed JSON at byte 25", "NaN");
	bad_out_req(REQ("1", ",\"x\":-Infinity"), "malformed JSON",
	    "Infinity in an unknown key");
	bad_out_req(REQ("1", ",\"x\":\"a\tb\""), "malformed JSON",
	    "a raw tab in a string");
	bad_out_req(REQ("1", ",\"x\":\"\\udc00\""), "malformed JSON",
	    "a lone surrogate in an unknown key");
	bad_out_req(REQ("1", ",\"x\":\"\xc0\xaf\""), "malformed JSON at byte",
	    "an overlong form in an unknown key");
	bad_out_req("{\"ver\":1,\"cmd\":\"\xed\xa0\x80\",\"exp\":1,\"dat\":\"\","
	    "\"dst\":[1],\"ret\":\"q\",\"now\":0}", "`cmd` is not a valid",
	    "a surrogate in UTF-8 in a field");
	bad_out_req(REQ("1", ",\"ver\\u0000\":2"), "malformed JSON at byte 64",
	    "a key with U+0000 (json-c would read it as \"ver\")");
	bad_out_req(REQ("18446744073709551616", ""), "invalid value for `exp`",
	    "an integer json-c saturates");
	bad_out_req(REQ("-0", ""), "invalid value for `exp`", "minus zero");
	bad_out_req("{\"ver\":\"x\",\"cmd\":\"c\",\"exp\":1,\"dat\":\"\","
	    "\"dst\":[1],\"ret\":\"q\",\"now\":0,\"ver\":1}",
	    "invalid type for `ver`", "a repeated key: the first value is read "
	    "first, as json-c alone would not");
	bad_out_req(REQ("1", ",\"x\":[[[[[[[[[[[[[[[[[[[[[[[[[[[[[["
	    "]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]"), "malformed JSON at byte 97",
	    "nesting past 30 levels");
	ok(msgjson_parse_out_req(&m, REQ("1", ",\"x\":1,\"x\":[2],"
	    "\"y\":99999999999999999999999,\"z\":{\"a\":1,\"a\":2}"),
	    strlen(REQ("1", ",\"x\":1,\"x\":[2],\"y\":99999999999999999999999,"
	    "\"z\":{\"a\":1,\"a\":2}")), err, sizeof(err)) == 0,
	    "unknown keys may repeat or hold any number, as serde skips them");
	msgjson_out_req_clear(&m);
}

int
main(void)
{
	test_out_req();
	test_long();
	test_in_req();
	test_out_resp();
	test_in_resp();
	test_escapes();
	test_big_dat();
	test_salvage();
	test_rules();
	return done_testing();
}
