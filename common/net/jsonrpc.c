/* SPDX-License-Identifier: ISC */
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "hex.h"
#include "json.h"
#include "jsonrpc.h"

static __attribute__((format(printf, 3, 4))) int
fail(char *err, size_t errcap, const char *fmt, ...)
{
	va_list	ap;

	if (err != NULL && errcap > 0) {
		va_start(ap, fmt);
		vsnprintf(err, errcap, fmt, ap);
		va_end(ap);
	}
	return -1;
}

/* Records the next value's text and type and steps over it. */
static int
read_val(struct json_rd *r, struct jsonrpc_val *v)
{
	size_t	start;

	if (json_peek(r, &v->type) != 0)
		return -1;
	start = r->off;
	if (json_skip(r) != 0)
		return -1;
	v->p = r->p + start;
	v->len = r->off - start;
	return 0;
}

/*
 * Copies n bytes of UTF-8 as one printable line: control characters
 * become spaces, and text over the bound is cut at a character boundary
 * and marked "...", so a hostile server cannot forge extra log lines.
 */
static void
one_line(char *dst, size_t cap, const char *src, size_t n)
{
	size_t	i;
	int	cut = 0;

	if (n > cap - 1) {
		n = cap - 4;
		while (n > 0 && ((unsigned char)src[n] & 0xc0) == 0x80)
			n--;
		cut = 1;
	}
	for (i = 0; i < n; i++)
		dst[i] = (unsigned char)src[i] < 0x20 || src[i] == 0x7f ?
		    ' ' : src[i];
	if (cut) {
		memcpy(dst + n, "...", 3);
		n += 3;
	}
	dst[n] = '\0';
}

/* A JSON string value as one line of at most JSONRPC_MSG_MAX bytes. */
static void
quote(char out[JSONRPC_MSG_MAX], const struct jsonrpc_val *v)
{
	struct json_rd	r;
	char		buf[4 * JSONRPC_MSG_MAX];
	size_t		n;

	/* Unescaped text is never longer than its escaped form. */
	json_init(&r, v->p, v->len);
	if (v->len - 2 < sizeof(buf) &&
	    json_get_string(&r, buf, sizeof(buf), &n) == 0)
		one_line(out, JSONRPC_MSG_MAX, buf, n);
	else	/* too long to unescape here, or holding \u0000: quote raw */
		one_line(out, JSONRPC_MSG_MAX, v->p + 1, v->len - 2);
}

/* An error code: an integer of at most 18 digits, so it fits int64_t. */
static int
int_code(const struct jsonrpc_val *v, int64_t *code)
{
	size_t	i = 0, digits;
	int64_t	x = 0;

	if (v->type != JSON_NUMBER)
		return -1;
	if (v->p[0] == '-')
		i++;
	for (digits = 0; i < v->len; i++, digits++) {
		if (v->p[i] < '0' || v->p[i] > '9' || digits == 18)
			return -1;
		x = x * 10 + (v->p[i] - '0');
	}
	*code = v->p[0] == '-' ? -x : x;
	return 0;
}

/* Turns the "error" member into the one-line message. */
static int
rpc_error(struct jsonrpc_resp *resp, const struct jsonrpc_val *e, char *err,
    size_t errcap)
{
	struct json_rd		r;
	struct jsonrpc_val	v;
	char			key[JSONRPC_KEY_MAX];
	char			msg[JSONRPC_MSG_MAX], data[JSONRPC_MSG_MAX];

	resp->rpc_error = 1;
	msg[0] = data[0] = '\0';
	/* Not the standard, but a plain string says what went wrong. */
	if (e->type == JSON_STRING)
		quote(msg, e);
	else if (e->type == JSON_OBJECT) {
		json_init(&r, e->p, e->len);
		if (json_object_begin(&r) != 0)
			return fail(err, errcap, "rpc error: unreadable");
		while (json_object_next(&r, key, sizeof(key)) == 1 &&
		    read_val(&r, &v) == 0) {
			if (strcmp(key, "message") == 0 &&
			    v.type == JSON_STRING)
				quote(msg, &v);
			else if (strcmp(key, "data") == 0 &&
			    v.type == JSON_STRING)
				quote(data, &v);
			else if (strcmp(key, "code") == 0 &&
			    int_code(&v, &resp->code) == 0)
				resp->has_code = 1;
		}
	}
	/* Substrate puts the reason a transaction is invalid in "data". */
	if (msg[0] != '\0' && data[0] != '\0')
		return fail(err, errcap, "rpc error: %s: %s", msg, data);
	if (msg[0] != '\0' || data[0] != '\0')
		return fail(err, errcap, "rpc error: %s", msg[0] ? msg : data);
	if (resp->has_code)
		return fail(err, errcap, "rpc error: code %" PRId64,
		    resp->code);
	return fail(err, errcap, "rpc error: no message");
}

int
jsonrpc_request(char *out, size_t cap, size_t *len, uint64_t id,
    const char *method, const char *params, char *err, size_t errcap)
{
	struct json_rd	r;
	enum json_type	t;
	size_t		mlen, i;
	int		n;
	char		c;

	mlen = strnlen(method, JSONRPC_METHOD_MAX + 1);
	if (mlen == 0 || mlen > JSONRPC_METHOD_MAX)
		return fail(err, errcap, "rpc: method name is empty or over "
		    "%d bytes", JSONRPC_METHOD_MAX);
	for (i = 0; i < mlen; i++) {
		c = method[i];
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		    (c >= '0' && c <= '9') || c == '_'))
			return fail(err, errcap, "rpc: bad method name");
	}
	if (id > JSONRPC_ID_MAX)
		return fail(err, errcap, "rpc: id %" PRIu64 " is over 2^53-1",
		    id);
	if (params == NULL)
		params = "[]";
	json_init(&r, params, strlen(params));
	if (json_peek(&r, &t) != 0 || t != JSON_ARRAY || json_skip(&r) != 0 ||
	    json_end(&r) != 0)
		return fail(err, errcap, "rpc: params are not one JSON array");
	n = snprintf(out, cap, "{\"jsonrpc\":\"2.0\",\"id\":%" PRIu64
	    ",\"method\":\"%s\",\"params\":%s}", id, method, params);
	if (n < 0 || (size_t)n >= cap)
		return fail(err, errcap, "rpc: request does not fit in %zu "
		    "bytes", cap);
	if (len != NULL)
		*len = (size_t)n;
	return 0;
}

int
jsonrpc_parse(struct jsonrpc_resp *resp, const char *text, size_t len,
    uint64_t id, char *err, size_t errcap)
{
	struct json_rd		r;
	struct jsonrpc_val	result, error, *v;
	enum json_type		t;
	char			key[JSONRPC_KEY_MAX], ver[8];
	uint64_t		got = 0;
	size_t			save;
	int			rc, seen_ver = 0, seen_id = 0, id_num = 0;
	int			id_null = 0;

	memset(resp, 0, sizeof(*resp));
	memset(&result, 0, sizeof(result));
	memset(&error, 0, sizeof(error));

	/* Check the whole text first, so the walk below cannot fail. */
	json_init(&r, text, len);
	if (json_skip(&r) != 0 || json_end(&r) != 0)
		return fail(err, errcap, "rpc: not JSON at byte %zu", r.off);
	json_init(&r, text, len);
	if (json_peek(&r, &t) != 0 || t != JSON_OBJECT ||
	    json_object_begin(&r) != 0)
		return fail(err, errcap, "rpc: response is not an object");
	while ((rc = json_object_next(&r, key, sizeof(key))) == 1) {
		if (strcmp(key, "jsonrpc") == 0) {
			if (seen_ver++)
				return fail(err, errcap, "rpc: response has "
				    "jsonrpc twice");
			if (json_get_string(&r, ver, sizeof(ver), NULL) != 0 ||
			    strcmp(ver, "2.0") != 0)
				return fail(err, errcap, "rpc: response is not "
				    "JSON-RPC 2.0");
		} else if (strcmp(key, "id") == 0) {
			if (seen_id++)
				return fail(err, errcap, "rpc: response has "
				    "id twice");
			save = r.off;
			if (json_peek(&r, &t) == 0 && t == JSON_NULL)
				id_null = 1;
			else if (t == JSON_NUMBER &&
			    json_get_u64(&r, &got) == 0)
				id_num = 1;
			else
				r.off = save;
			if (!id_num && json_skip(&r) != 0)
				return fail(err, errcap, "rpc: bad id");
		} else if (strcmp(key, "result") == 0 ||
		    strcmp(key, "error") == 0) {
			v = key[0] == 'r' ? &result : &error;
			if (v->p != NULL)
				return fail(err, errcap, "rpc: response has "
				    "%s twice", key);
			if (read_val(&r, v) != 0)
				return fail(err, errcap, "rpc: bad %s", key);
		} else if (json_skip(&r) != 0)
			return fail(err, errcap, "rpc: bad member %s", key);
	}
	if (rc != 0)
		return fail(err, errcap, "rpc: response has a member name "
		    "over %d bytes", JSONRPC_KEY_MAX - 1);
	if (!seen_ver)
		return fail(err, errcap, "rpc: response is not JSON-RPC 2.0");
	if (result.p != NULL && error.p != NULL)
		return fail(err, errcap, "rpc: response has both result and "
		    "error");
	if (result.p == NULL && error.p == NULL)
		return fail(err, errcap, "rpc: response has neither result "
		    "nor error");
	if (!seen_id)
		return fail(err, errcap, "rpc: response has no id");
	if (id_num && got != id)
		return fail(err, errcap, "rpc: response id %" PRIu64
		    ", expected %" PRIu64, got, id);
	if (!id_num && !(id_null && error.p != NULL))
		return fail(err, errcap, "rpc: response id is not a number, "
		    "expected %" PRIu64, id);
	if (error.p != NULL)
		return rpc_error(resp, &error, err, errcap);
	resp->result = result;
	resp->result.name = "result";
	return 0;
}

int
jsonrpc_is_null(const struct jsonrpc_val *v)
{
	return v->type == JSON_NULL;
}

int
jsonrpc_get_hex(const struct jsonrpc_val *v, uint8_t *out, size_t cap,
    size_t *outlen, char *err, size_t errcap)
{
	const char	*s;
	size_t		 n;

	if (v->type == JSON_NULL)
		return fail(err, errcap, "rpc: %s is null", v->name);
	/*
	 * Nodes write hex without escapes, so the text between the quotes
	 * is the string; an escaped digit is refused as not hex.
	 */
	if (v->type != JSON_STRING || v->len < 4 || v->p[1] != '0' ||
	    v->p[2] != 'x')
		return fail(err, errcap, "rpc: %s is not hex", v->name);
	s = v->p + 3;
	n = v->len - 4;
	if (n % 2 != 0)
		return fail(err, errcap, "rpc: %s is not hex", v->name);
	if (n / 2 > cap)
		return fail(err, errcap, "rpc: %s is over %zu bytes", v->name,
		    cap);
	if (hex_decode_any(out, cap, outlen, s, n) != 0)
		return fail(err, errcap, "rpc: %s is not hex", v->name);
	return 0;
}

int
jsonrpc_get_u64(const struct jsonrpc_val *v, uint64_t *out, char *err,
    size_t errcap)
{
	struct json_rd	r;

	json_init(&r, v->p, v->len);
	if (v->type != JSON_NUMBER || json_get_u64(&r, out) != 0 ||
	    r.off != v->len)
		return fail(err, errcap, "rpc: %s is not an unsigned integer "
		    "of 64 bits", v->name);
	return 0;
}

int
jsonrpc_get_field(const struct jsonrpc_val *v, const char *name,
    struct jsonrpc_val *out, char *err, size_t errcap)
{
	struct json_rd		r;
	struct jsonrpc_val	f;
	char			key[JSONRPC_KEY_MAX];
	int			rc, found = 0;

	if (v->type != JSON_OBJECT)
		return fail(err, errcap, "rpc: %s is not an object", v->name);
	json_init(&r, v->p, v->len);
	if (json_object_begin(&r) != 0)
		return fail(err, errcap, "rpc: %s is not an object", v->name);
	while ((rc = json_object_next(&r, key, sizeof(key))) == 1) {
		if (read_val(&r, &f) != 0)
			return fail(err, errcap, "rpc: %s is not JSON",
			    v->name);
		if (strcmp(key, name) != 0)
			continue;
		if (found++)
			return fail(err, errcap, "rpc: %s has %s twice",
			    v->name, name);
		*out = f;
		out->name = name;
	}
	if (rc != 0)
		return fail(err, errcap, "rpc: %s has a member name over %d "
		    "bytes", v->name, JSONRPC_KEY_MAX - 1);
	if (!found)
		return fail(err, errcap, "rpc: %s has no %s", v->name, name);
	return 0;
}
