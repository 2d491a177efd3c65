/* SPDX-License-Identifier: ISC */
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "base64.h"
#include "json.h"
#include "msgjson.h"
#include "utf8.h"

enum kind {
	K_UINT,		/* uint64_t */
	K_U32,		/* uint32_t */
	K_STR,		/* char[MSGJSON_STR_MAX] */
	K_OPT,		/* struct msgjson_opt */
	K_DAT,		/* uint8_t *, size_t at off2 */
	K_DSTS,		/* uint32_t[MSGJSON_DST_MAX], size_t at off2 */
	K_ERR		/* struct msgjson_err, int present at off2 */
};

struct field {
	const char	*key;
	enum kind	 kind;
	size_t		 off;
	size_t		 off2;
};

#define F(t, k, kind, m)	{ k, kind, offsetof(t, m), 0 }
#define F2(t, k, kind, m, m2) \
	{ k, kind, offsetof(t, m), offsetof(t, m2) }

/* Each table lists the keys in the order serde writes them. */
static const struct field out_req_fields[] = {
	F(struct msg_out_req, "ver", K_UINT, ver),
	F(struct msg_out_req, "ref", K_OPT, ref),
	F(struct msg_out_req, "cmd", K_STR, cmd),
	F(struct msg_out_req, "exp", K_UINT, exp),
	F2(struct msg_out_req, "dat", K_DAT, dat, datlen),
	F(struct msg_out_req, "tag", K_OPT, tag),
	F2(struct msg_out_req, "dst", K_DSTS, dst, ndst),
	F(struct msg_out_req, "ret", K_STR, ret),
	F(struct msg_out_req, "shm", K_OPT, shm),
	F(struct msg_out_req, "now", K_UINT, now),
};

static const struct field in_req_fields[] = {
	F(struct msg_in_req, "ver", K_UINT, ver),
	F(struct msg_in_req, "ref", K_STR, ref),
	F(struct msg_in_req, "src", K_STR, src),
	F(struct msg_in_req, "cmd", K_STR, cmd),
	F(struct msg_in_req, "exp", K_UINT, exp),
	F2(struct msg_in_req, "dat", K_DAT, dat, datlen),
	F(struct msg_in_req, "tag", K_OPT, tag),
	F(struct msg_in_req, "ret", K_STR, ret),
	F(struct msg_in_req, "shm", K_OPT, shm),
	F(struct msg_in_req, "now", K_UINT, now),
};

static const struct field out_resp_fields[] = {
	F(struct msg_out_resp, "ver", K_UINT, ver),
	F(struct msg_out_resp, "ref", K_OPT, ref),
	F2(struct msg_out_resp, "dat", K_DAT, dat, datlen),
	F(struct msg_out_resp, "dst", K_STR, dst),
	F(struct msg_out_resp, "shm", K_OPT, shm),
	F(struct msg_out_resp, "now", K_UINT, now),
	F2(struct msg_out_resp, "err", K_ERR, err, has_err),
};

static const struct field in_resp_fields[] = {
	F(struct msg_in_resp, "ver", K_UINT, ver),
	F(struct msg_in_resp, "ref", K_OPT, ref),
	F2(struct msg_in_resp, "dat", K_DAT, dat, datlen),
	F(struct msg_in_resp, "src", K_STR, src),
	F(struct msg_in_resp, "shm", K_OPT, shm),
	F(struct msg_in_resp, "now", K_UINT, now),
	F2(struct msg_in_resp, "err", K_ERR, err, has_err),
};

static const struct field err_fields[] = {
	F(struct msgjson_err, "code", K_U32, code),
	F(struct msgjson_err, "message", K_STR, message),
};

#define NF(a)	(sizeof(a) / sizeof((a)[0]))

static int __attribute__((format(printf, 3, 4)))
fail(char *err, size_t errlen, const char *fmt, ...)
{
	va_list	ap;

	if (err != NULL && errlen > 0) {
		va_start(ap, fmt);
		vsnprintf(err, errlen, fmt, ap);
		va_end(ap);
	}
	return -1;
}

static const char *
type_name(enum json_type t)
{
	switch (t) {
	case JSON_NULL:
		return "null";
	case JSON_BOOL:
		return "a boolean";
	case JSON_NUMBER:
		return "a number";
	case JSON_STRING:
		return "a string";
	case JSON_ARRAY:
		return "an array";
	case JSON_OBJECT:
		return "an object";
	}
	return "?";
}

static int
want(struct json_rd *r, enum json_type t, const char *key, const char *what,
    char *err, size_t errlen)
{
	enum json_type	got;

	if (json_peek(r, &got) != 0)
		return fail(err, errlen, "malformed JSON at byte %zu", r->off);
	if (got != t)
		return fail(err, errlen, "invalid type for `%s`: %s, "
		    "expected %s", key, type_name(got), what);
	return 0;
}

static int
get_str(struct json_rd *r, const char *key, char *out, char *err,
    size_t errlen)
{
	if (want(r, JSON_STRING, key, "a string", err, errlen) != 0)
		return -1;
	if (json_get_string(r, out, MSGJSON_STR_MAX, NULL) != 0)
		return fail(err, errlen, "`%s` is not a valid string of at "
		    "most %d bytes", key, MSGJSON_STR_MAX - 1);
	return 0;
}

static int
get_uint(struct json_rd *r, const char *key, uint64_t max, uint64_t *v,
    char *err, size_t errlen)
{
	if (want(r, JSON_NUMBER, key, "an unsigned integer", err,
	    errlen) != 0)
		return -1;
	if (json_get_u64(r, v) != 0 || *v > max)
		return fail(err, errlen, "invalid value for `%s`: expected "
		    "an integer from 0 to %" PRIu64, key, max);
	return 0;
}

static int
get_dat(struct json_rd *r, const char *key, uint8_t **dat, size_t *datlen,
    char *err, size_t errlen)
{
	char	*tmp;
	size_t	 cap, n;
	int	 rc;

	if (want(r, JSON_STRING, key, "a base64 string", err, errlen) != 0)
		return -1;
	/* Unescaping never makes a string longer than its JSON text. */
	cap = r->len - r->off;
	if (cap > b64_encoded_len(MSGJSON_DAT_MAX) + 1)
		cap = b64_encoded_len(MSGJSON_DAT_MAX) + 1;
	if ((tmp = malloc(cap)) == NULL)
		return fail(err, errlen, "out of memory");
	if (json_get_string(r, tmp, cap, &n) != 0) {
		free(tmp);
		return fail(err, errlen, "`%s` is not a valid string of at "
		    "most %zu bytes", key, b64_encoded_len(MSGJSON_DAT_MAX));
	}
	*dat = NULL;
	*datlen = 0;
	rc = 0;
	if (n > 0) {
		if ((*dat = malloc(n / 4 * 3 + 3)) == NULL)
			rc = fail(err, errlen, "out of memory");
		else if (b64_decode(*dat, n / 4 * 3 + 3, datlen, tmp,
		    n) != 0 || *datlen > MSGJSON_DAT_MAX) {
			free(*dat);
			*dat = NULL;
			*datlen = 0;
			rc = fail(err, errlen, "invalid base64 in `%s`", key);
		}
	}
	free(tmp);
	return rc;
}

static int
get_dsts(struct json_rd *r, const char *key, uint32_t *dst, size_t *n,
    char *err, size_t errlen)
{
	uint64_t	v;
	int		rc;

	if (want(r, JSON_ARRAY, key, "an array of twin ids", err,
	    errlen) != 0)
		return -1;
	if (json_array_begin(r) != 0)
		return fail(err, errlen, "malformed JSON at byte %zu", r->off);
	*n = 0;
	while ((rc = json_array_next(r)) == 1) {
		if (*n == MSGJSON_DST_MAX)
			return fail(err, errlen, "more than %d twins in `%s`",
			    MSGJSON_DST_MAX, key);
		if (get_uint(r, key, UINT32_MAX, &v, err, errlen) != 0)
			return -1;
		dst[(*n)++] = (uint32_t)v;
	}
	if (rc != 0)
		return fail(err, errlen, "malformed JSON at byte %zu", r->off);
	return 0;
}

static int	parse_object(struct json_rd *, const struct field *, size_t,
		    void *, char *, size_t);

static int
get_value(struct json_rd *r, const struct field *f, void *obj, char *err,
    size_t errlen)
{
	char			*base = obj;
	struct msgjson_opt	*opt;
	enum json_type		 t;
	uint64_t		 v;

	switch (f->kind) {
	case K_UINT:
		return get_uint(r, f->key, UINT64_MAX,
		    (uint64_t *)(base + f->off), err, errlen);
	case K_U32:
		if (get_uint(r, f->key, UINT32_MAX, &v, err, errlen) != 0)
			return -1;
		*(uint32_t *)(base + f->off) = (uint32_t)v;
		return 0;
	case K_STR:
		return get_str(r, f->key, base + f->off, err, errlen);
	case K_OPT:
		opt = (struct msgjson_opt *)(base + f->off);
		if (json_peek(r, &t) == 0 && t == JSON_NULL) {
			opt->set = 0;
			return json_get_null(r) == 0 ? 0 : fail(err, errlen,
			    "malformed JSON at byte %zu", r->off);
		}
		if (get_str(r, f->key, opt->s, err, errlen) != 0)
			return -1;
		opt->set = 1;
		return 0;
	case K_DAT:
		return get_dat(r, f->key, (uint8_t **)(base + f->off),
		    (size_t *)(base + f->off2), err, errlen);
	case K_DSTS:
		return get_dsts(r, f->key, (uint32_t *)(base + f->off),
		    (size_t *)(base + f->off2), err, errlen);
	case K_ERR:
		if (json_peek(r, &t) == 0 && t == JSON_NULL) {
			*(int *)(base + f->off2) = 0;
			return json_get_null(r) == 0 ? 0 : fail(err, errlen,
			    "malformed JSON at byte %zu", r->off);
		}
		if (want(r, JSON_OBJECT, f->key, "an error object", err,
		    errlen) != 0 || parse_object(r, err_fields, NF(err_fields),
		    base + f->off, err, errlen) != 0)
			return -1;
		*(int *)(base + f->off2) = 1;
		return 0;
	}
	return -1;
}

static int
optional(const struct field *f)
{
	return f->kind == K_OPT || f->kind == K_ERR;
}

/* One object of fields; dat, if any, is left for the caller to free. */
static int
parse_object(struct json_rd *r, const struct field *fields, size_t nf,
    void *obj, char *err, size_t errlen)
{
	char		key[MSGJSON_KEY_MAX];
	uint32_t	seen = 0;
	size_t		i;
	int		rc;

	if (json_object_begin(r) != 0)
		return fail(err, errlen, "expected a JSON object");
	while ((rc = json_object_next(r, key, sizeof(key))) == 1) {
		for (i = 0; i < nf; i++)
			if (strcmp(key, fields[i].key) == 0)
				break;
		if (i == nf) {
			if (json_skip(r) != 0)
				return fail(err, errlen, "malformed JSON at "
				    "byte %zu", r->off);
			continue;
		}
		if (seen & (1u << i))
			return fail(err, errlen, "duplicate field `%s`", key);
		seen |= 1u << i;
		if (get_value(r, &fields[i], obj, err, errlen) != 0)
			return -1;
	}
	if (rc != 0)
		return fail(err, errlen, "malformed JSON at byte %zu (or a key "
		    "longer than %d bytes)", r->off, MSGJSON_KEY_MAX - 1);
	for (i = 0; i < nf; i++)
		if (!(seen & (1u << i)) && !optional(&fields[i]))
			return fail(err, errlen, "missing field `%s`",
			    fields[i].key);
	return 0;
}

static uint8_t **
datp(const struct field *fields, size_t nf, void *obj)
{
	size_t	i;

	for (i = 0; i < nf; i++)
		if (fields[i].kind == K_DAT)
			return (uint8_t **)((char *)obj + fields[i].off);
	return NULL;
}

static int
parse(const struct field *fields, size_t nf, void *obj, size_t size,
    const char *p, size_t len, char *err, size_t errlen)
{
	struct json_rd	 r;
	uint8_t		**dat;

	memset(obj, 0, size);
	json_init(&r, p, len);
	if (parse_object(&r, fields, nf, obj, err, errlen) == 0) {
		if (json_end(&r) == 0)
			return 0;
		fail(err, errlen, "trailing characters at byte %zu", r.off);
	}
	if ((dat = datp(fields, nf, obj)) != NULL) {
		free(*dat);
		*dat = NULL;
	}
	memset(obj, 0, size);
	return -1;
}

int
msgjson_parse_out_req(struct msg_out_req *m, const char *p, size_t len,
    char *err, size_t errlen)
{
	return parse(out_req_fields, NF(out_req_fields), m, sizeof(*m), p,
	    len, err, errlen);
}

int
msgjson_parse_in_req(struct msg_in_req *m, const char *p, size_t len,
    char *err, size_t errlen)
{
	return parse(in_req_fields, NF(in_req_fields), m, sizeof(*m), p, len,
	    err, errlen);
}

int
msgjson_parse_out_resp(struct msg_out_resp *m, const char *p, size_t len,
    char *err, size_t errlen)
{
	return parse(out_resp_fields, NF(out_resp_fields), m, sizeof(*m), p,
	    len, err, errlen);
}

int
msgjson_parse_in_resp(struct msg_in_resp *m, const char *p, size_t len,
    char *err, size_t errlen)
{
	return parse(in_resp_fields, NF(in_resp_fields), m, sizeof(*m), p,
	    len, err, errlen);
}

/* An output buffer that remembers its first failure. */
struct wbuf {
	char	*p;
	size_t	 len, cap;
	int	 bad;
};

static int
reserve(struct wbuf *w, size_t n)
{
	size_t	 cap;
	char	*p;

	if (w->bad)
		return -1;
	if (w->cap - w->len > n)
		return 0;
	for (cap = w->cap ? w->cap : 256; cap - w->len <= n; cap *= 2)
		;
	if ((p = realloc(w->p, cap)) == NULL) {
		w->bad = 1;
		return -1;
	}
	w->p = p;
	w->cap = cap;
	return 0;
}

static void
put(struct wbuf *w, const char *s, size_t n)
{
	if (reserve(w, n) != 0)
		return;
	memcpy(w->p + w->len, s, n);
	w->len += n;
	w->p[w->len] = '\0';
}

static void
puts_(struct wbuf *w, const char *s)
{
	put(w, s, strlen(s));
}

static void
put_u64(struct wbuf *w, uint64_t v)
{
	char	buf[24];

	snprintf(buf, sizeof(buf), "%" PRIu64, v);
	puts_(w, buf);
}

/* serde_json's escaping: quote, backslash and control characters only. */
static void
put_string(struct wbuf *w, const char *s)
{
	static const char	hex[] = "0123456789abcdef";
	size_t			len = strlen(s), i, run;
	char			esc[7];
	unsigned char		c;

	if (len >= MSGJSON_STR_MAX || !utf8_valid(s, len)) {
		w->bad = 1;
		return;
	}
	put(w, "\"", 1);
	for (i = 0; i < len; i = run) {
		for (run = i; run < len && (unsigned char)s[run] >= 0x20 &&
		    s[run] != '"' && s[run] != '\\'; run++)
			;
		put(w, s + i, run - i);
		if (run == len)
			break;
		c = (unsigned char)s[run++];
		switch (c) {
		case '"': puts_(w, "\\\""); break;
		case '\\': puts_(w, "\\\\"); break;
		case '\b': puts_(w, "\\b"); break;
		case '\f': puts_(w, "\\f"); break;
		case '\n': puts_(w, "\\n"); break;
		case '\r': puts_(w, "\\r"); break;
		case '\t': puts_(w, "\\t"); break;
		default:
			memcpy(esc, "\\u00", 4);
			esc[4] = hex[c >> 4];
			esc[5] = hex[c & 0xf];
			esc[6] = '\0';
			puts_(w, esc);
		}
	}
	put(w, "\"", 1);
}

static void
put_dat(struct wbuf *w, const uint8_t *dat, size_t len)
{
	size_t	n = b64_encoded_len(len);

	put(w, "\"", 1);
	if (len > 0 && reserve(w, n + 1) == 0) {
		if (b64_encode(w->p + w->len, w->cap - w->len, dat, len) != 0)
			w->bad = 1;
		else
			w->len += n;
	}
	put(w, "\"", 1);
}

static void	put_object(struct wbuf *, const struct field *, size_t,
		    const void *);

static void
put_value(struct wbuf *w, const struct field *f, const void *obj)
{
	const char			*base = obj;
	const struct msgjson_opt	*opt;
	const uint32_t			*dst;
	size_t				 i, n;

	switch (f->kind) {
	case K_UINT:
		put_u64(w, *(const uint64_t *)(base + f->off));
		break;
	case K_U32:
		put_u64(w, *(const uint32_t *)(base + f->off));
		break;
	case K_STR:
		put_string(w, base + f->off);
		break;
	case K_OPT:
		opt = (const struct msgjson_opt *)(base + f->off);
		if (opt->set)
			put_string(w, opt->s);
		else
			puts_(w, "null");
		break;
	case K_DAT:
		put_dat(w, *(uint8_t *const *)(base + f->off),
		    *(const size_t *)(base + f->off2));
		break;
	case K_DSTS:
		dst = (const uint32_t *)(base + f->off);
		n = *(const size_t *)(base + f->off2);
		if (n > MSGJSON_DST_MAX) {
			w->bad = 1;
			break;
		}
		put(w, "[", 1);
		for (i = 0; i < n; i++) {
			if (i > 0)
				put(w, ",", 1);
			put_u64(w, dst[i]);
		}
		put(w, "]", 1);
		break;
	case K_ERR:
		if (*(const int *)(base + f->off2))
			put_object(w, err_fields, NF(err_fields),
			    base + f->off);
		else
			puts_(w, "null");
		break;
	}
}

static void
put_object(struct wbuf *w, const struct field *fields, size_t nf,
    const void *obj)
{
	size_t	i;

	put(w, "{", 1);
	for (i = 0; i < nf; i++) {
		if (i > 0)
			put(w, ",", 1);
		put(w, "\"", 1);
		puts_(w, fields[i].key);
		put(w, "\":", 2);
		put_value(w, &fields[i], obj);
	}
	put(w, "}", 1);
}

static char *
write_(const struct field *fields, size_t nf, const void *obj, size_t *len)
{
	struct wbuf	w;

	memset(&w, 0, sizeof(w));
	put_object(&w, fields, nf, obj);
	if (w.bad) {
		free(w.p);
		return NULL;
	}
	if (len != NULL)
		*len = w.len;
	return w.p;
}

char *
msgjson_write_out_req(const struct msg_out_req *m, size_t *len)
{
	return write_(out_req_fields, NF(out_req_fields), m, len);
}

char *
msgjson_write_in_req(const struct msg_in_req *m, size_t *len)
{
	return write_(in_req_fields, NF(in_req_fields), m, len);
}

char *
msgjson_write_out_resp(const struct msg_out_resp *m, size_t *len)
{
	return write_(out_resp_fields, NF(out_resp_fields), m, len);
}

char *
msgjson_write_in_resp(const struct msg_in_resp *m, size_t *len)
{
	return write_(in_resp_fields, NF(in_resp_fields), m, len);
}

void
msgjson_out_req_clear(struct msg_out_req *m)
{
	free(m->dat);
	m->dat = NULL;
	m->datlen = 0;
}

void
msgjson_in_req_clear(struct msg_in_req *m)
{
	free(m->dat);
	m->dat = NULL;
	m->datlen = 0;
}

void
msgjson_out_resp_clear(struct msg_out_resp *m)
{
	free(m->dat);
	m->dat = NULL;
	m->datlen = 0;
}

void
msgjson_in_resp_clear(struct msg_in_resp *m)
{
	free(m->dat);
	m->dat = NULL;
	m->datlen = 0;
}

/*
 * A ref the reader refuses (a NUL, bad UTF-8, too long) still goes back
 * to the caller so that the answer can be matched: its raw text, escapes
 * left as written, each byte that is not UTF-8 or is a control character
 * as U+FFFD, cut at a character to fit.  r is at the opening quote and
 * ends after the closing one.  Returns -1 when the string does not end.
 */
static int
salvage_ref(struct json_rd *r, char out[MSGJSON_STR_MAX])
{
	static const char	 bad[] = "\xef\xbf\xbd";
	const char		*p;
	size_t			 n = 0, k, end;

	while (r->off < r->len && r->p[r->off] != '"')
		r->off++;
	for (end = ++r->off; end < r->len && r->p[end] != '"'; end++)
		if (r->p[end] == '\\' && ++end >= r->len)
			return -1;
	if (end >= r->len)
		return -1;
	while (r->off < end) {
		p = r->p + r->off;
		for (k = 1; k <= 4 && r->off + k <= end; k++)
			if (utf8_valid(p, k))
				break;
		if (k > 4 || r->off + k > end || (unsigned char)*p < 0x20) {
			k = 1;
			p = bad;
			if (n + 3 >= MSGJSON_STR_MAX)
				break;
			memcpy(out + n, p, 3);
			n += 3;
		} else {
			if (n + k >= MSGJSON_STR_MAX)
				break;
			memcpy(out + n, p, k);
			n += k;
		}
		r->off += k;
	}
	out[n] = '\0';
	r->off = end + 1;
	return 0;
}

int
msgjson_salvage(const char *p, size_t len, char ret[MSGJSON_STR_MAX],
    struct msgjson_opt *ref)
{
	struct json_rd	r;
	enum json_type	t;
	char		key[MSGJSON_KEY_MAX];
	size_t		start;
	int		have_ret = 0;

	ret[0] = '\0';
	ref->set = 0;
	ref->s[0] = '\0';
	json_init(&r, p, len);
	if (json_object_begin(&r) != 0)
		return 0;
	while (json_object_next(&r, key, sizeof(key)) == 1) {
		if (json_peek(&r, &t) != 0)
			break;
		if (t == JSON_STRING && !have_ret && strcmp(key, "ret") == 0) {
			if (json_get_string(&r, ret, MSGJSON_STR_MAX,
			    NULL) != 0) {
				ret[0] = '\0';
				break;
			}
			have_ret = 1;
		} else if (t == JSON_STRING && !ref->set &&
		    strcmp(key, "ref") == 0) {
			start = r.off;
			if (json_get_string(&r, ref->s, MSGJSON_STR_MAX,
			    NULL) != 0) {
				r.off = start;
				if (salvage_ref(&r, ref->s) != 0) {
					ref->s[0] = '\0';
					break;
				}
			}
			ref->set = 1;
		} else if (json_skip(&r) != 0)
			break;
	}
	return ret[0] != '\0';
}

void
msgjson_uuid(char out[MSGJSON_UUID_LEN + 1])
{
	uint8_t	b[16];

	randombytes_buf(b, sizeof(b));
	b[6] = (b[6] & 0x0f) | 0x40;	/* version 4 */
	b[8] = (b[8] & 0x3f) | 0x80;	/* RFC 4122 variant */
	snprintf(out, MSGJSON_UUID_LEN + 1, "%02x%02x%02x%02x-%02x%02x-"
	    "%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x", b[0], b[1], b[2],
	    b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10], b[11], b[12],
	    b[13], b[14], b[15]);
}
