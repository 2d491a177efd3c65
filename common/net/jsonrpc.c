/* SPDX-License-Identifier: ISC */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "errf.h"
#include "hex.h"
#include "json.h"
#include "jsonrpc.h"
#include "log.h"

/* A value of the response as it is kept: its text, and what it is. */
static void
set_val(struct jsonrpc_val *v, const struct json_item *it)
{
	v->p = it->text.p;
	v->len = it->text.len;
	v->type = json_kind(it->val);
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
quote(char out[JSONRPC_MSG_MAX], struct json_span s)
{
	char	buf[4 * JSONRPC_MSG_MAX];
	size_t	n;

	if (json_unquote(s, buf, sizeof(buf), &n) == 0)
		one_line(out, JSONRPC_MSG_MAX, buf, n);
	else	/* too long to unescape here, or holding \u0000: quote raw */
		one_line(out, JSONRPC_MSG_MAX, s.p + 1, s.len - 2);
}

/* An error code: an integer of at most 18 digits, so it fits int64_t. */
static int
int_code(struct json_object *v, int64_t *code)
{
	if (!json_object_is_type(v, json_type_int))
		return -1;
	*code = json_object_get_int64(v);
	return *code >= -INT64_C(999999999999999999) &&
	    *code <= INT64_C(999999999999999999) ? 0 : -1;
}

/*
 * The text of an object or array, read again: a jsonrpc_val keeps only
 * text, which json-c has accepted already with the rest of the response.
 */
static int
reparse(struct json_doc *d, const struct jsonrpc_val *v)
{
	if (json_parse(d, v->p, v->len, 0) == 0)
		return 0;
	json_doc_free(d);
	return -1;
}

/* Turns the "error" member into the one-line message. */
static int
rpc_error(struct jsonrpc_resp *resp, const struct jsonrpc_val *e, char *err,
    size_t errlen)
{
	struct json_doc		d;
	struct json_rd		r;
	struct json_item	it;
	char			key[JSONRPC_KEY_MAX];
	char			msg[JSONRPC_MSG_MAX], data[JSONRPC_MSG_MAX];
	struct json_span	s;

	resp->rpc_error = 1;
	msg[0] = data[0] = '\0';
	s.p = e->p;
	s.len = e->len;
	/* Not the standard, but a plain string says what went wrong. */
	if (e->type == JSON_STRING)
		quote(msg, s);
	else if (e->type == JSON_OBJECT) {
		if (reparse(&d, e) != 0 || json_rd_init(&r, d.root, s) != 0) {
			json_doc_free(&d);
			return errf(err, errlen, "rpc error: unreadable");
		}
		while (json_rd_next(&r, &it) == 1 &&
		    json_key(&it, key, sizeof(key)) == 0) {
			if (strcmp(key, "message") == 0 &&
			    json_kind(it.val) == JSON_STRING)
				quote(msg, it.text);
			else if (strcmp(key, "data") == 0 &&
			    json_kind(it.val) == JSON_STRING)
				quote(data, it.text);
			else if (strcmp(key, "code") == 0 &&
			    int_code(it.val, &resp->code) == 0)
				resp->has_code = 1;
		}
		json_rd_end(&r);
		json_doc_free(&d);
	}
	/* Substrate puts the reason a transaction is invalid in "data". */
	if (msg[0] != '\0' && data[0] != '\0')
		return errf(err, errlen, "rpc error: %s: %s", msg, data);
	if (msg[0] != '\0' || data[0] != '\0')
		return errf(err, errlen, "rpc error: %s", msg[0] ? msg : data);
	if (resp->has_code)
		return errf(err, errlen, "rpc error: code %" PRId64,
		    resp->code);
	return errf(err, errlen, "rpc error: no message");
}

int
jsonrpc_request(char *out, size_t cap, size_t *len, uint64_t id,
    const char *method, const char *params, char *err, size_t errlen)
{
	struct json_doc	d;
	size_t		mlen, i;
	int		n, bad;
	char		c;

	mlen = strnlen(method, JSONRPC_METHOD_MAX + 1);
	if (mlen == 0 || mlen > JSONRPC_METHOD_MAX)
		return errf(err, errlen, "rpc: method name is empty or over "
		    "%d bytes", JSONRPC_METHOD_MAX);
	for (i = 0; i < mlen; i++) {
		c = method[i];
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		    (c >= '0' && c <= '9') || c == '_'))
			return errf(err, errlen, "rpc: bad method name");
	}
	if (id > JSONRPC_ID_MAX)
		return errf(err, errlen, "rpc: id %" PRIu64 " is over 2^53-1",
		    id);
	if (params == NULL)
		params = "[]";
	bad = json_parse(&d, params, strlen(params), 0) != 0 ||
	    d.end != strlen(params) || json_kind(d.root) != JSON_ARRAY;
	json_doc_free(&d);
	if (bad)
		return errf(err, errlen, "rpc: params are not one JSON array");
	n = snprintf(out, cap, "{\"jsonrpc\":\"2.0\",\"id\":%" PRIu64
	    ",\"method\":\"%s\",\"params\":%s}", id, method, params);
	if (n < 0 || (size_t)n >= cap)
		return errf(err, errlen, "rpc: request does not fit in %zu "
		    "bytes", cap);
	if (len != NULL)
		*len = (size_t)n;
	return 0;
}

/* The members of a response, as jsonrpc_parse() wants them. */
struct members {
	int			seen_ver, seen_id, id_num, id_null;
	uint64_t		got;
	struct jsonrpc_val	result, error;
};

static int
member(struct members *m, const char *key, const struct json_item *it,
    char *err, size_t errlen)
{
	struct jsonrpc_val	*v;
	const char		*s;
	size_t			 n;

	if (strcmp(key, "jsonrpc") == 0) {
		if (m->seen_ver++)
			return errf(err, errlen, "rpc: response has jsonrpc "
			    "twice");
		if (json_str(it->val, &s, &n) != 0 || n != 3 ||
		    memcmp(s, "2.0", 3) != 0)
			return errf(err, errlen, "rpc: response is not "
			    "JSON-RPC 2.0");
	} else if (strcmp(key, "id") == 0) {
		if (m->seen_id++)
			return errf(err, errlen, "rpc: response has id twice");
		if (json_kind(it->val) == JSON_NULL)
			m->id_null = 1;
		else if (json_get_u64(it->val, it->text, &m->got) == 0)
			m->id_num = 1;
	} else if (strcmp(key, "result") == 0 || strcmp(key, "error") == 0) {
		v = key[0] == 'r' ? &m->result : &m->error;
		if (v->p != NULL)
			return errf(err, errlen, "rpc: response has %s twice",
			    key);
		set_val(v, it);
	}
	return 0;
}

int
jsonrpc_parse(struct jsonrpc_resp *resp, const char *text, size_t len,
    uint64_t id, char *err, size_t errlen)
{
	struct json_doc		d;
	struct json_rd		r;
	struct json_item	it;
	struct members		m;
	char			key[JSONRPC_KEY_MAX];
	int			rc = 0, failed = 0;

	memset(resp, 0, sizeof(*resp));
	memset(&m, 0, sizeof(m));

	if (json_parse(&d, text, len, 0) != 0) {
		json_doc_free(&d);
		return d.nomem ? errf(err, errlen, "rpc: out of memory") :
		    errf(err, errlen, "rpc: not JSON at byte %zu", d.erroff);
	}
	if (d.end != len) {
		json_doc_free(&d);
		return errf(err, errlen, "rpc: not JSON at byte %zu", d.end);
	}
	if (json_kind(d.root) != JSON_OBJECT ||
	    json_rd_init(&r, d.root, d.text) != 0) {
		json_doc_free(&d);
		return errf(err, errlen, "rpc: response is not an object");
	}
	while (!failed && (rc = json_rd_next(&r, &it)) == 1) {
		if (json_key(&it, key, sizeof(key)) != 0)
			failed = errf(err, errlen, "rpc: response has a member "
			    "name over %d bytes", JSONRPC_KEY_MAX - 1);
		else
			failed = member(&m, key, &it, err, errlen);
	}
	json_rd_end(&r);
	json_doc_free(&d);
	if (failed)
		return -1;
	if (rc != 0)
		return errf(err, errlen, "rpc: out of memory");
	if (!m.seen_ver)
		return errf(err, errlen, "rpc: response is not JSON-RPC 2.0");
	if (m.result.p != NULL && m.error.p != NULL)
		return errf(err, errlen, "rpc: response has both result and "
		    "error");
	if (m.result.p == NULL && m.error.p == NULL)
		return errf(err, errlen, "rpc: response has neither result "
		    "nor error");
	if (!m.seen_id)
		return errf(err, errlen, "rpc: response has no id");
	if (m.id_num && m.got != id)
		return errf(err, errlen, "rpc: response id %" PRIu64
		    ", expected %" PRIu64, m.got, id);
	if (!m.id_num && !(m.id_null && m.error.p != NULL))
		return errf(err, errlen, "rpc: response id is not a number, "
		    "expected %" PRIu64, id);
	if (m.error.p != NULL)
		return rpc_error(resp, &m.error, err, errlen);
	resp->result = m.result;
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
    size_t *outlen, char *err, size_t errlen)
{
	const char	*s;
	size_t		 n;

	if (v->type == JSON_NULL)
		return errf(err, errlen, "rpc: %s is null", v->name);
	/*
	 * Nodes write hex without escapes, so the text between the quotes
	 * is the string; an escaped digit is refused as not hex.
	 */
	if (v->type != JSON_STRING || v->len < 4 || v->p[1] != '0' ||
	    v->p[2] != 'x')
		return errf(err, errlen, "rpc: %s is not hex", v->name);
	s = v->p + 3;
	n = v->len - 4;
	if (n % 2 != 0)
		return errf(err, errlen, "rpc: %s is not hex", v->name);
	if (n / 2 > cap)
		return errf(err, errlen, "rpc: %s is over %zu bytes", v->name,
		    cap);
	if (hex_decode_any(out, cap, outlen, s, n) != 0)
		return errf(err, errlen, "rpc: %s is not hex", v->name);
	return 0;
}

int
jsonrpc_get_u64(const struct jsonrpc_val *v, uint64_t *out, char *err,
    size_t errlen)
{
	struct json_doc	d;
	int		rc = -1;

	if (v->type == JSON_NUMBER && reparse(&d, v) == 0) {
		rc = json_get_u64(d.root, d.text, out);
		json_doc_free(&d);
	}
	if (rc != 0)
		return errf(err, errlen, "rpc: %s is not an unsigned integer "
		    "of 64 bits", v->name);
	return 0;
}

int
jsonrpc_get_quantity(const struct jsonrpc_val *v, uint64_t *out)
{
	size_t	i, n;
	char	c;

	if (v->type != JSON_STRING || v->len < 5 || v->len > 4 + 16 ||
	    memcmp(v->p, "\"0x", 3) != 0 || v->p[v->len - 1] != '"')
		return -1;
	*out = 0;
	for (i = 3, n = v->len - 1; i < n; i++) {
		c = v->p[i];
		if (c >= '0' && c <= '9')
			*out = *out << 4 | (uint64_t)(c - '0');
		else if ((c | 0x20) >= 'a' && (c | 0x20) <= 'f')
			*out = *out << 4 | (uint64_t)((c | 0x20) - 'a' + 10);
		else
			return -1;
	}
	return 0;
}

int
jsonrpc_get_field(const struct jsonrpc_val *v, const char *name,
    struct jsonrpc_val *out, char *err, size_t errlen)
{
	struct json_doc		d;
	struct json_rd		r;
	struct json_item	it;
	struct json_span	s;
	char			key[JSONRPC_KEY_MAX];
	int			rc, found = 0, failed = 0;

	if (v->type != JSON_OBJECT)
		return errf(err, errlen, "rpc: %s is not an object", v->name);
	s.p = v->p;
	s.len = v->len;
	if (reparse(&d, v) != 0 || json_rd_init(&r, d.root, s) != 0) {
		json_doc_free(&d);
		return errf(err, errlen, "rpc: %s is not JSON", v->name);
	}
	while (!failed && (rc = json_rd_next(&r, &it)) == 1) {
		if (json_key(&it, key, sizeof(key)) != 0)
			failed = errf(err, errlen, "rpc: %s has a member name "
			    "over %d bytes", v->name, JSONRPC_KEY_MAX - 1);
		else if (strcmp(key, name) != 0)
			continue;
		else if (found++)
			failed = errf(err, errlen, "rpc: %s has %s twice",
			    v->name, name);
		else {
			set_val(out, &it);
			out->name = name;
		}
	}
	json_rd_end(&r);
	json_doc_free(&d);
	if (failed)
		return -1;
	if (rc != 0)
		return errf(err, errlen, "rpc: %s is not JSON", v->name);
	if (!found)
		return errf(err, errlen, "rpc: %s has no %s", v->name, name);
	return 0;
}
