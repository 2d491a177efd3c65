/* SPDX-License-Identifier: ISC */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "base64.h"
#include "errf.h"
#include "json.h"
#include "log.h"
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

/* One parse: the document, for error offsets and its UTF-8. */
struct ctx {
	const struct json_doc	*doc;
	const char		*base;
	char			*err;
	size_t			 errlen;
};

static const char *
type_name(enum json_kind t)
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

static size_t
at(const struct ctx *c, struct json_span s)
{
	return (size_t)(s.p - c->base);
}

static int
want(struct ctx *c, const struct json_item *it, enum json_kind t,
    const char *key, const char *what)
{
	enum json_kind	got = json_kind(it->val);

	if (got != t)
		return errf(c->err, c->errlen, "invalid type for `%s`: %s, "
		    "expected %s", key, type_name(got), what);
	return 0;
}

/*
 * A string value: no U+0000 and UTF-8 (the document was parsed letting
 * other bytes through, so that the field can be named).
 */
static int
str_value(struct ctx *c, const struct json_item *it, const char **s,
    size_t *n)
{
	return json_str(it->val, s, n) == 0 &&
	    (c->doc->notutf8 == SIZE_MAX || utf8_valid(*s, *n)) ? 0 : -1;
}

static int
get_str(struct ctx *c, const struct json_item *it, const char *key,
    char *out)
{
	const char	*s;
	size_t		 n;

	if (want(c, it, JSON_STRING, key, "a string") != 0)
		return -1;
	if (str_value(c, it, &s, &n) != 0 || n >= MSGJSON_STR_MAX)
		return errf(c->err, c->errlen, "`%s` is not a valid string of "
		    "at most %d bytes", key, MSGJSON_STR_MAX - 1);
	memcpy(out, s, n + 1);
	return 0;
}

static int
get_uint(struct ctx *c, const struct json_item *it, const char *key,
    uint64_t max, uint64_t *v)
{
	if (want(c, it, JSON_NUMBER, key, "an unsigned integer") != 0)
		return -1;
	if (json_get_u64(it->val, it->text, v) != 0 || *v > max)
		return errf(c->err, c->errlen, "invalid value for `%s`: "
		    "expected an integer from 0 to %" PRIu64, key, max);
	return 0;
}

/* json-c holds the text unescaped already: it is decoded from there. */
static int
get_dat(struct ctx *c, const struct json_item *it, const char *key,
    uint8_t **dat, size_t *datlen)
{
	const char	*s;
	size_t		 n;
	int		 bad;

	if (want(c, it, JSON_STRING, key, "a base64 string") != 0)
		return -1;
	if (str_value(c, it, &s, &n) != 0)
		return errf(c->err, c->errlen, "`%s` is not a valid string",
		    key);
	if (n > b64_encoded_len(MSGJSON_DAT_MAX))
		return errf(c->err, c->errlen, "`%s` is too large: at most "
		    "%zu bytes once decoded", key, (size_t)MSGJSON_DAT_MAX);
	*dat = NULL;
	*datlen = 0;
	if (n == 0)
		return 0;
	if ((*dat = malloc(n / 4 * 3 + 3)) == NULL)
		return errf(c->err, c->errlen, "out of memory");
	if ((bad = b64_decode(*dat, n / 4 * 3 + 3, datlen, s, n) != 0) ||
	    *datlen > MSGJSON_DAT_MAX) {
		free(*dat);
		*dat = NULL;
		*datlen = 0;
		if (!bad)
			return errf(c->err, c->errlen, "`%s` is too large: "
			    "at most %zu bytes once decoded", key,
			    (size_t)MSGJSON_DAT_MAX);
		return errf(c->err, c->errlen, "invalid base64 in `%s`", key);
	}
	return 0;
}

static int
get_dsts(struct ctx *c, const struct json_item *arr, const char *key,
    uint32_t *dst, size_t *n)
{
	struct json_rd		r;
	struct json_item	it;
	uint64_t		v;
	int			rc;

	if (want(c, arr, JSON_ARRAY, key, "an array of twin ids") != 0)
		return -1;
	if (json_rd_init(&r, arr->val, arr->text) != 0)
		return errf(c->err, c->errlen, "malformed JSON at byte %zu",
		    at(c, arr->text));
	*n = 0;
	while ((rc = json_rd_next(&r, &it)) == 1) {
		if (*n == MSGJSON_DST_MAX)
			return errf(c->err, c->errlen, "more than %d twins in "
			    "`%s`", MSGJSON_DST_MAX, key);
		if (get_uint(c, &it, key, UINT32_MAX, &v) != 0)
			return -1;
		dst[(*n)++] = (uint32_t)v;
	}
	if (rc != 0)
		return errf(c->err, c->errlen, "out of memory");
	return 0;
}

static int	parse_object(struct ctx *, const struct json_item *,
		    const struct field *, size_t, void *);

static int
get_value(struct ctx *c, const struct json_item *it, const struct field *f,
    void *obj)
{
	char			*base = obj;
	struct msgjson_opt	*opt;
	uint64_t		 v;

	switch (f->kind) {
	case K_UINT:
		return get_uint(c, it, f->key, UINT64_MAX,
		    (uint64_t *)(base + f->off));
	case K_U32:
		if (get_uint(c, it, f->key, UINT32_MAX, &v) != 0)
			return -1;
		*(uint32_t *)(base + f->off) = (uint32_t)v;
		return 0;
	case K_STR:
		return get_str(c, it, f->key, base + f->off);
	case K_OPT:
		opt = (struct msgjson_opt *)(base + f->off);
		opt->set = json_kind(it->val) != JSON_NULL;
		return opt->set ? get_str(c, it, f->key, opt->s) : 0;
	case K_DAT:
		return get_dat(c, it, f->key, (uint8_t **)(base + f->off),
		    (size_t *)(base + f->off2));
	case K_DSTS:
		return get_dsts(c, it, f->key, (uint32_t *)(base + f->off),
		    (size_t *)(base + f->off2));
	case K_ERR:
		*(int *)(base + f->off2) = json_kind(it->val) != JSON_NULL;
		if (!*(int *)(base + f->off2))
			return 0;
		if (want(c, it, JSON_OBJECT, f->key, "an error object") != 0)
			return -1;
		return parse_object(c, it, err_fields, NF(err_fields),
		    base + f->off);
	}
	return -1;
}

static int
optional(const struct field *f)
{
	return f->kind == K_OPT || f->kind == K_ERR;
}

/*
 * The members of one object in the order of the text, as serde reads
 * them; dat, if any, is left for the caller to free.
 */
static int
parse_object(struct ctx *c, const struct json_item *o,
    const struct field *fields, size_t nf, void *obj)
{
	struct json_rd		r;
	struct json_item	it;
	char			key[MSGJSON_KEY_MAX];
	uint32_t		seen = 0;
	size_t			i, bad;
	int			rc = 0, failed = 0;

	if (json_rd_init(&r, o->val, o->text) != 0)
		return errf(c->err, c->errlen, "expected a JSON object");
	while (!failed && (rc = json_rd_next(&r, &it)) == 1) {
		if (json_key(&it, key, sizeof(key)) != 0) {
			failed = errf(c->err, c->errlen, "malformed JSON at "
			    "byte %zu (or a key longer than %d bytes)",
			    at(c, it.key), MSGJSON_KEY_MAX - 1);
			break;
		}
		for (i = 0; i < nf; i++)
			if (strcmp(key, fields[i].key) == 0)
				break;
		if (i == nf) {
			/* Skipped, but its strings must still be UTF-8. */
			bad = c->doc->notutf8;
			if (bad >= at(c, it.text) &&
			    bad - at(c, it.text) < it.text.len)
				failed = errf(c->err, c->errlen, "malformed "
				    "JSON at byte %zu", bad);
		} else if (seen & (1u << i))
			failed = errf(c->err, c->errlen, "duplicate field "
			    "`%s`", key);
		else {
			seen |= 1u << i;
			failed = get_value(c, &it, &fields[i], obj);
		}
	}
	json_rd_end(&r);
	if (failed)
		return -1;
	/* The text was read whole before: only memory can run out here. */
	if (rc != 0)
		return errf(c->err, c->errlen, "out of memory");
	for (i = 0; i < nf; i++)
		if (!(seen & (1u << i)) && !optional(&fields[i]))
			return errf(c->err, c->errlen, "missing field `%s`",
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
	struct json_doc	  doc;
	struct json_item  top;
	struct ctx	  c;
	uint8_t		**dat;
	size_t		  i;
	int		  rc = -1;

	memset(obj, 0, size);
	for (i = 0; i < len && (p[i] == ' ' || p[i] == '\t' ||
	    p[i] == '\n' || p[i] == '\r'); i++)
		;
	if (i == len || p[i] != '{')
		return errf(err, errlen, "expected a JSON object");
	if (json_parse(&doc, p, len, JSON_BYTES) != 0) {
		json_doc_free(&doc);
		return doc.nomem ? errf(err, errlen, "out of memory") :
		    errf(err, errlen, "malformed JSON at byte %zu", doc.erroff);
	}
	if (doc.notutf8 == len)
		doc.notutf8 = SIZE_MAX;
	c.doc = &doc;
	c.base = p;
	c.err = err;
	c.errlen = errlen;
	memset(&top, 0, sizeof(top));
	top.val = doc.root;
	top.text = doc.text;
	if (parse_object(&c, &top, fields, nf, obj) == 0) {
		if (doc.end == len)
			rc = 0;
		else
			errf(err, errlen, "trailing characters at byte %zu",
			    doc.end);
	}
	json_doc_free(&doc);
	if (rc == 0)
		return 0;
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

/* A string field: at most MSGJSON_STR_MAX - 1 bytes of UTF-8. */
static void
put_string(struct json_buf *w, const char *s)
{
	size_t	len = strlen(s);

	if (len >= MSGJSON_STR_MAX) {
		w->bad = 1;
		return;
	}
	json_put_str(w, s, len, 0);
}

static void
put_dat(struct json_buf *w, const uint8_t *dat, size_t len)
{
	size_t	n = b64_encoded_len(len);

	json_put(w, "\"", 1);
	if (len > 0 && json_reserve(w, n + 1) == 0) {
		if (b64_encode(w->p + w->len, w->cap - w->len, dat, len) != 0)
			w->bad = 1;
		else
			w->len += n;
	}
	json_put(w, "\"", 1);
}

static void	put_object(struct json_buf *, const struct field *, size_t,
		    const void *);

static void
put_value(struct json_buf *w, const struct field *f, const void *obj)
{
	const char			*base = obj;
	const struct msgjson_opt	*opt;
	const uint32_t			*dst;
	size_t				 i, n;

	switch (f->kind) {
	case K_UINT:
		json_put_u64(w, *(const uint64_t *)(base + f->off));
		break;
	case K_U32:
		json_put_u64(w, *(const uint32_t *)(base + f->off));
		break;
	case K_STR:
		put_string(w, base + f->off);
		break;
	case K_OPT:
		opt = (const struct msgjson_opt *)(base + f->off);
		if (opt->set)
			put_string(w, opt->s);
		else
			json_puts(w, "null");
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
		json_put(w, "[", 1);
		for (i = 0; i < n; i++) {
			if (i > 0)
				json_put(w, ",", 1);
			json_put_u64(w, dst[i]);
		}
		json_put(w, "]", 1);
		break;
	case K_ERR:
		if (*(const int *)(base + f->off2))
			put_object(w, err_fields, NF(err_fields),
			    base + f->off);
		else
			json_puts(w, "null");
		break;
	}
}

static void
put_object(struct json_buf *w, const struct field *fields, size_t nf,
    const void *obj)
{
	size_t	i;

	json_put(w, "{", 1);
	for (i = 0; i < nf; i++) {
		if (i > 0)
			json_put(w, ",", 1);
		json_put(w, "\"", 1);
		json_puts(w, fields[i].key);
		json_put(w, "\":", 2);
		put_value(w, &fields[i], obj);
	}
	json_put(w, "}", 1);
}

static char *
write_(const struct field *fields, size_t nf, const void *obj, size_t *len)
{
	struct json_buf	w;

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

/* A message's decoded dat is its only allocation. */
static void
clear_dat(uint8_t **dat, size_t *len)
{
	free(*dat);
	*dat = NULL;
	*len = 0;
}

void
msgjson_out_req_clear(struct msg_out_req *m)
{
	clear_dat(&m->dat, &m->datlen);
}

void
msgjson_in_req_clear(struct msg_in_req *m)
{
	clear_dat(&m->dat, &m->datlen);
}

void
msgjson_out_resp_clear(struct msg_out_resp *m)
{
	clear_dat(&m->dat, &m->datlen);
}

void
msgjson_in_resp_clear(struct msg_in_resp *m)
{
	clear_dat(&m->dat, &m->datlen);
}

/*
 * A ref the reader refuses (a NUL, bad UTF-8, too long) still goes back
 * to the caller so that the answer can be matched: its raw text, escapes
 * left as written, each byte that is not UTF-8 or is a control character
 * as U+FFFD, cut at a character to fit.  s is the string's text, quotes
 * included.
 */
static void
salvage_ref(struct json_span s, char out[MSGJSON_STR_MAX])
{
	static const char	 bad[] = "\xef\xbf\xbd";
	const char		*p;
	size_t			 n = 0, k, off = 1, end = s.len - 1;

	while (off < end) {
		p = s.p + off;
		for (k = 1; k <= 4 && off + k <= end; k++)
			if (utf8_valid(p, k))
				break;
		if (k > 4 || off + k > end || (unsigned char)*p < 0x20) {
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
		off += k;
	}
	out[n] = '\0';
}

/*
 * json-c gives nothing of a text it refuses, so the members are followed
 * here, in the text, up to where json-c stopped following it (its own
 * rules only: a ref with a control character must still be found).
 */
int
msgjson_salvage(const char *p, size_t len, char ret[MSGJSON_STR_MAX],
    struct msgjson_opt *ref)
{
	struct json_doc		doc;
	struct json_rd		r;
	struct json_item	it;
	struct json_span	text;
	char			key[MSGJSON_KEY_MAX];
	size_t			start, stop;
	int			have_ret = 0;

	ret[0] = '\0';
	ref->set = 0;
	ref->s[0] = '\0';
	if (json_parse(&doc, p, len, JSON_LAX) == 0)
		stop = (size_t)(doc.text.p - p) + doc.text.len;
	else
		stop = doc.nomem ? 0 : doc.erroff;
	json_doc_free(&doc);
	for (start = 0; start < stop && (p[start] == ' ' ||
	    p[start] == '\t' || p[start] == '\n' || p[start] == '\r'); start++)
		;
	text.p = p + start;
	text.len = stop - start;
	if (json_rd_init(&r, NULL, text) != 0)
		return 0;
	while (json_rd_next(&r, &it) == 1 && json_key(&it, key,
	    sizeof(key)) == 0) {
		if (it.text.p[0] != '"')
			continue;
		if (!have_ret && strcmp(key, "ret") == 0) {
			if (json_unquote(it.text, ret, MSGJSON_STR_MAX,
			    NULL) != 0) {
				ret[0] = '\0';
				break;
			}
			have_ret = 1;
		} else if (!ref->set && strcmp(key, "ref") == 0) {
			if (json_unquote(it.text, ref->s, MSGJSON_STR_MAX,
			    NULL) != 0)
				salvage_ref(it.text, ref->s);
			ref->set = 1;
		}
	}
	json_rd_end(&r);
	return ret[0] != '\0';
}

void
msgjson_uuid(char out[MSGJSON_UUID_LEN + 1])
{
	uint8_t	b[16];

	randombytes_buf(b, sizeof(b));
	msgjson_uuid_from(b, out);
}

void
msgjson_uuid_from(const uint8_t rnd[16], char out[MSGJSON_UUID_LEN + 1])
{
	static const char	 hex[] = "0123456789abcdef";
	uint8_t			 b[16];
	size_t			 i, k = 0;

	memcpy(b, rnd, sizeof(b));
	b[6] = (b[6] & 0x0f) | 0x40;	/* version 4 */
	b[8] = (b[8] & 0x3f) | 0x80;	/* RFC 4122 variant */
	for (i = 0; i < sizeof(b); i++) {
		if (i == 4 || i == 6 || i == 8 || i == 10)
			out[k++] = '-';
		out[k++] = hex[b[i] >> 4];
		out[k++] = hex[b[i] & 0x0f];
	}
	out[k] = '\0';
}
