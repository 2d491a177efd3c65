/* SPDX-License-Identifier: ISC */
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json_tokener.h>

#include "json.h"
#include "utf8.h"

static int
is_ws(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

static size_t
skip_ws(const char *p, size_t len, size_t off)
{
	while (off < len && is_ws(p[off]))
		off++;
	return off;
}

/*
 * A literal cut short or misspelt ("nul", "nulx") is reported at its
 * first letter, as the reader before json-c did; where the text just
 * ended, only if the letters stand where a value starts.
 */
static size_t
literal_start(const char *p, size_t off, int at_end)
{
	size_t	i = off;

	while (i > 0 && p[i - 1] >= 'a' && p[i - 1] <= 'z')
		i--;
	if (i == off || (p[i] != 't' && p[i] != 'f' && p[i] != 'n'))
		return off;
	if (at_end && i > 0 && !is_ws(p[i - 1]) && p[i - 1] != ':' &&
	    p[i - 1] != ',' && p[i - 1] != '[')
		return off;
	return i;
}

/*
 * The rules json-c does not keep, checked on the text of a value it has
 * accepted, so that the text's shape is known to be right.
 */
struct lint {
	const char	*p;
	size_t		 end, off;	/* off: where a rule is broken */
	int		 flags;
	size_t		 notutf8;
};

static int
hex4(const char *s, uint32_t *v)
{
	int	i;
	char	c;

	*v = 0;
	for (i = 0; i < 4; i++) {
		c = s[i];
		*v <<= 4;
		if (c >= '0' && c <= '9')
			*v |= (uint32_t)(c - '0');
		else if (c >= 'a' && c <= 'f')
			*v |= (uint32_t)(c - 'a' + 10);
		else if (c >= 'A' && c <= 'F')
			*v |= (uint32_t)(c - 'A' + 10);
		else
			return -1;
	}
	return 0;
}

#define ONES	UINT64_C(0x0101010101010101)
#define HIGHS	UINT64_C(0x8080808080808080)

/*
 * Steps over printable ASCII other than '"' and '\\', eight bytes at a
 * time where it can: a payload is megabytes of base64.
 */
static size_t
plain_run(const unsigned char *s, size_t i, size_t end)
{
	uint64_t	w, t;

	for (;;) {
		for (; end - i >= 8; i += 8) {
			memcpy(&w, s + i, 8);
			/* High bits: a byte below 0x20 or past 0x7f ... */
			t = (w - 0x20 * ONES) | w;
			/* ... or a zero where '"' or '\\' was. */
			t |= ((w ^ 0x22 * ONES) - ONES) & ~(w ^ 0x22 * ONES);
			t |= ((w ^ 0x5c * ONES) - ONES) & ~(w ^ 0x5c * ONES);
			if (t & HIGHS)
				break;
		}
		if (i == end || s[i] < 0x20 || s[i] >= 0x80 || s[i] == '"' ||
		    s[i] == '\\')
			return i;
		i++;
	}
}

/* The string whose quote is at off. */
static int
lint_string(struct lint *l)
{
	const unsigned char	*s = (const unsigned char *)l->p;
	size_t			 i = l->off + 1, k;
	uint32_t		 cp, lo;

	for (;;) {
		i = plain_run(s, i, l->end);
		l->off = i;
		if (i >= l->end)
			return -1;
		if (s[i] == '"') {
			l->off = i + 1;
			return 0;
		}
		if (s[i] == '\\') {
			if (i + 1 >= l->end)
				return -1;
			if (s[i + 1] != 'u') {
				i += 2;
				continue;
			}
			if (l->end - i < 6 || hex4(l->p + i + 2, &cp) == -1 ||
			    (cp >= 0xdc00 && cp <= 0xdfff))
				return -1;
			if (cp >= 0xd800 && cp <= 0xdbff) {
				/* A high surrogate needs a low one next. */
				if (l->end - i < 12 || s[i + 6] != '\\' ||
				    s[i + 7] != 'u' ||
				    hex4(l->p + i + 8, &lo) == -1 ||
				    lo < 0xdc00 || lo > 0xdfff)
					return -1;
				i += 6;
			}
			i += 6;
			continue;
		}
		if (s[i] < 0x20)
			return -1;
		if (s[i] < 0x80) {
			i++;
			continue;
		}
		k = (s[i] & 0xe0) == 0xc0 ? 2 : (s[i] & 0xf0) == 0xe0 ? 3 :
		    (s[i] & 0xf8) == 0xf0 ? 4 : 1;
		if (k <= l->end - i && utf8_valid(l->p + i, k)) {
			i += k;
			continue;
		}
		if (!(l->flags & JSON_BYTES))
			return -1;
		if (i < l->notutf8)
			l->notutf8 = i;
		i++;
	}
}

static size_t
run_digits(const char *p, size_t end, size_t *i)
{
	size_t	n = 0;

	for (; *i < end && p[*i] >= '0' && p[*i] <= '9'; (*i)++)
		n++;
	return n;
}

/* The number at off: RFC 8259's grammar, which json-c stretches. */
static int
lint_number(struct lint *l)
{
	const char	*p = l->p;
	size_t		 i = l->off;
	int		 rc = -1;

	if (p[i] == '-')
		i++;
	if (i < l->end && p[i] == '0')
		i++;
	else if (run_digits(p, l->end, &i) == 0)
		goto out;
	if (i < l->end && p[i] == '.') {
		i++;
		if (run_digits(p, l->end, &i) == 0)
			goto out;
	}
	if (i < l->end && (p[i] == 'e' || p[i] == 'E')) {
		i++;
		if (i < l->end && (p[i] == '+' || p[i] == '-'))
			i++;
		if (run_digits(p, l->end, &i) == 0)
			goto out;
	}
	/* "01" or "-00": a zero must end the integer part. */
	if (i == l->end || is_ws(p[i]) || p[i] == ',' || p[i] == ']' ||
	    p[i] == '}')
		rc = 0;
out:
	l->off = i;
	return rc;
}

/*
 * json-c reports a bad number where the number ends; say where its
 * grammar breaks instead, as for the numbers json-c lets through.
 */
static size_t
number_break(const char *p, size_t len, size_t off)
{
	struct lint	l;

	memset(&l, 0, sizeof(l));
	l.p = p;
	l.end = len;
	l.off = off;
	while (l.off > 0 && memchr("0123456789+-.eE", p[l.off - 1], 15) != NULL)
		l.off--;
	if (l.off < off && lint_number(&l) == -1 && l.off <= off)
		return l.off;
	return off;
}

static int
lint(struct lint *l)
{
	char	c;

	while (l->off < l->end) {
		c = l->p[l->off];
		if (c == '"') {
			if (lint_string(l) == -1)
				return -1;
		} else if (c == '-' || (c >= '0' && c <= '9')) {
			if (lint_number(l) == -1)
				return -1;
		} else if (c == 'N' || c == 'I')	/* NaN, Infinity */
			return -1;
		else
			l->off++;
	}
	return 0;
}

int
json_parse(struct json_doc *d, const char *p, size_t len, int flags)
{
	struct json_tokener	*tok;
	enum json_tokener_error	 e;
	struct lint		 l;
	size_t			 start, end;

	memset(d, 0, sizeof(*d));
	d->notutf8 = len;
	start = skip_ws(p, len, 0);
	/* json-c counts in int; every text read here is far shorter. */
	if (len >= INT_MAX) {
		d->erroff = start;
		return -1;
	}
	tok = json_tokener_new_ex(flags & JSON_INNER ? JSON_MAX_DEPTH - 1 :
	    JSON_MAX_DEPTH);
	if (tok == NULL) {
		d->nomem = 1;
		return -1;
	}
	/*
	 * Not JSON_TOKENER_VALIDATE_UTF8: it lets overlong forms through,
	 * and the redis API names the field whose string is not UTF-8.
	 */
	json_tokener_set_flags(tok, JSON_TOKENER_STRICT |
	    JSON_TOKENER_ALLOW_TRAILING_CHARS);
	d->root = json_tokener_parse_ex(tok, p, (int)len);
	e = json_tokener_get_error(tok);
	end = json_tokener_get_parse_end(tok);
	if (e == json_tokener_continue) {
		/* The text ended: a NUL says so to json-c, and ends a number. */
		d->root = json_tokener_parse_ex(tok, "", 1);
		e = json_tokener_get_error(tok);
		end = len;
	}
	json_tokener_free(tok);
	if (e != json_tokener_success) {
		json_doc_free(d);
		if (e == json_tokener_error_parse_number)
			end = number_break(p, len, end);
		else if (e == json_tokener_error_parse_null ||
		    e == json_tokener_error_parse_boolean || end == len)
			end = literal_start(p, end, end == len);
		d->erroff = end;
		return -1;
	}
	while (end > start && is_ws(p[end - 1]))
		end--;
	d->text.p = p + start;
	d->text.len = end - start;
	d->end = skip_ws(p, len, end);
	if (flags & JSON_LAX)
		return 0;
	memset(&l, 0, sizeof(l));
	l.p = p;
	l.off = start;
	l.end = end;
	l.flags = flags;
	l.notutf8 = len;
	if (lint(&l) == -1) {
		json_doc_free(d);
		d->erroff = l.off;
		return -1;
	}
	d->notutf8 = l.notutf8;
	return 0;
}

void
json_doc_free(struct json_doc *d)
{
	json_object_put(d->root);
	d->root = NULL;
}

enum json_kind
json_kind(struct json_object *v)
{
	switch (json_object_get_type(v)) {
	case json_type_boolean:
		return JSON_BOOL;
	case json_type_int:
	case json_type_double:
		return JSON_NUMBER;
	case json_type_string:
		return JSON_STRING;
	case json_type_array:
		return JSON_ARRAY;
	case json_type_object:
		return JSON_OBJECT;
	default:
		return JSON_NULL;
	}
}

/* Steps over the string whose quote is at *off; -1 if it does not end. */
static int
span_string(const char *p, size_t len, size_t *off)
{
	const char	*q;
	size_t		 i = *off + 1, k;

	for (;;) {
		if (i >= len || (q = memchr(p + i, '"', len - i)) == NULL)
			return -1;
		i = (size_t)(q - p);
		/* A quote after an odd number of backslashes is escaped. */
		for (k = 0; k < i - *off - 1 && p[i - 1 - k] == '\\'; k++)
			;
		i++;
		if (k % 2 == 0) {
			*off = i;
			return 0;
		}
	}
}

/* Steps over the value at *off; -1 where the text cannot be followed. */
static int
span_value(const char *p, size_t len, size_t *off)
{
	size_t	i = *off, depth = 0;

	if (i >= len)
		return -1;
	if (p[i] == '"')
		return span_string(p, len, off);
	if (p[i] == '{' || p[i] == '[') {
		for (;;) {
			if (i >= len)
				return -1;
			if (p[i] == '"') {
				if (span_string(p, len, &i) == -1)
					return -1;
				continue;
			}
			if (p[i] == '{' || p[i] == '[')
				depth++;
			else if ((p[i] == '}' || p[i] == ']') && --depth == 0) {
				*off = i + 1;
				return 0;
			}
			i++;
		}
	}
	while (i < len && !is_ws(p[i]) && p[i] != ',' && p[i] != ']' &&
	    p[i] != '}')
		i++;
	if (i == *off)
		return -1;
	*off = i;
	return 0;
}

int
json_rd_init(struct json_rd *r, struct json_object *obj,
    struct json_span text)
{
	struct json_rd		c;
	struct json_item	it;
	size_t			n = 0;

	memset(r, 0, sizeof(*r));
	r->p = text.p;
	r->len = text.len;
	r->off = 1;
	if (r->len == 0 || (r->p[0] != '{' && r->p[0] != '['))
		return -1;
	if (obj == NULL)
		return 0;
	if (!json_object_is_type(obj, r->p[0] == '[' ? json_type_array :
	    json_type_object))
		return -1;
	r->obj = obj;
	if (r->p[0] == '[')
		return 0;
	/* Fewer members in json-c's object than in the text: a key repeats. */
	c = *r;
	c.obj = NULL;
	while (json_rd_next(&c, &it) == 1)
		n++;
	r->again = n != (size_t)json_object_object_length(obj);
	r->it = json_object_iter_begin(obj);
	return 0;
}

int
json_rd_next(struct json_rd *r, struct json_item *it)
{
	struct json_object_iterator	end;
	char				close = r->p[0] == '{' ? '}' : ']';
	size_t				start;

	json_doc_free(&r->own);
	memset(it, 0, sizeof(*it));
	r->off = skip_ws(r->p, r->len, r->off);
	if (r->off >= r->len)
		return -1;
	if (r->p[r->off] == close) {
		r->off++;
		return 0;
	}
	if (r->n > 0) {
		if (r->p[r->off] != ',')
			return -1;
		r->off = skip_ws(r->p, r->len, r->off + 1);
	}
	if (close == '}') {
		start = r->off;
		if (r->off >= r->len || r->p[r->off] != '"' ||
		    span_string(r->p, r->len, &r->off) == -1)
			return -1;
		it->key.p = r->p + start;
		it->key.len = r->off - start;
		r->off = skip_ws(r->p, r->len, r->off);
		if (r->off >= r->len || r->p[r->off] != ':')
			return -1;
		r->off = skip_ws(r->p, r->len, r->off + 1);
	}
	start = r->off;
	if (span_value(r->p, r->len, &r->off) == -1)
		return -1;
	it->text.p = r->p + start;
	it->text.len = r->off - start;
	if (r->obj != NULL && close == ']')
		it->val = json_object_array_get_idx(r->obj, r->n);
	else if (r->obj != NULL && r->again) {
		if (json_parse(&r->own, it->text.p, it->text.len,
		    JSON_LAX) == -1)
			return -1;
		it->val = r->own.root;
	} else if (r->obj != NULL) {
		end = json_object_iter_end(r->obj);
		if (json_object_iter_equal(&r->it, &end))
			return -1;
		it->val = json_object_iter_peek_value(&r->it);
		json_object_iter_next(&r->it);
	}
	r->n++;
	return 1;
}

void
json_rd_end(struct json_rd *r)
{
	json_doc_free(&r->own);
}

int
json_unquote(struct json_span s, char *out, size_t cap, size_t *len)
{
	struct json_doc	 d;
	const char	*v;
	size_t		 n, i;

	if (s.len < 2 || s.p[0] != '"' || s.p[s.len - 1] != '"')
		return -1;
	/* Most strings hold no escape: they are their own text. */
	if (memchr(s.p + 1, '\\', s.len - 2) == NULL) {
		n = s.len - 2;
		for (i = 1; i <= n; i++)
			if ((unsigned char)s.p[i] < 0x20 || s.p[i] == '"')
				return -1;
		if (n >= cap || !utf8_valid(s.p + 1, n))
			return -1;
		memcpy(out, s.p + 1, n);
	} else {
		if (json_parse(&d, s.p, s.len, 0) == -1 || d.end != s.len ||
		    json_str(d.root, &v, &n) == -1 || n >= cap) {
			json_doc_free(&d);
			return -1;
		}
		memcpy(out, v, n);
		json_doc_free(&d);
	}
	out[n] = '\0';
	if (len != NULL)
		*len = n;
	return 0;
}

int
json_key(const struct json_item *it, char *out, size_t cap)
{
	return json_unquote(it->key, out, cap, NULL);
}

int
json_str(struct json_object *v, const char **s, size_t *len)
{
	if (!json_object_is_type(v, json_type_string))
		return -1;
	*s = json_object_get_string(v);
	*len = (size_t)json_object_get_string_len(v);
	return memchr(*s, '\0', *len) == NULL ? 0 : -1;
}

int
json_get_u64(struct json_object *v, struct json_span text, uint64_t *out)
{
	/* An int to json-c has neither fraction nor exponent. */
	if (!json_object_is_type(v, json_type_int) || text.len == 0 ||
	    text.p[0] < '0' || text.p[0] > '9')
		return -1;
	/* json-c saturates past 2^64-1: the digits must not. */
	if (text.len > 20 || (text.len == 20 &&
	    memcmp(text.p, "18446744073709551615", 20) > 0))
		return -1;
	*out = json_object_get_uint64(v);
	return 0;
}

int
json_reserve(struct json_buf *b, size_t n)
{
	size_t	 cap;
	char	*p;

	if (b->bad)
		return -1;
	if (b->cap - b->len > n)
		return 0;
	if (n >= SIZE_MAX / 4 - b->len) {
		b->bad = 1;
		return -1;
	}
	for (cap = b->cap ? b->cap : 256; cap - b->len <= n; cap *= 2)
		;
	if ((p = realloc(b->p, cap)) == NULL) {
		b->bad = 1;
		return -1;
	}
	b->p = p;
	b->cap = cap;
	return 0;
}

void
json_put(struct json_buf *b, const char *s, size_t n)
{
	if (json_reserve(b, n) != 0)
		return;
	memcpy(b->p + b->len, s, n);
	b->len += n;
	b->p[b->len] = '\0';
}

void
json_puts(struct json_buf *b, const char *s)
{
	json_put(b, s, strlen(s));
}

void
json_put_u64(struct json_buf *b, uint64_t v)
{
	char	buf[24];

	snprintf(buf, sizeof(buf), "%" PRIu64, v);
	json_puts(b, buf);
}

static int
must_escape(unsigned char c, int ascii)
{
	return c < 0x20 || c == '"' || c == '\\' || (ascii && c >= 0x7f);
}

void
json_put_str(struct json_buf *b, const char *s, size_t len, int flags)
{
	static const char	hex[] = "0123456789abcdef";
	int			ascii = flags & JSON_ASCII;
	size_t			i, run;
	char			esc[6];
	unsigned char		c;

	if (!ascii && !utf8_valid(s, len)) {
		b->bad = 1;
		return;
	}
	json_put(b, "\"", 1);
	for (i = 0; i < len; i = run) {
		for (run = i; run < len &&
		    !must_escape((unsigned char)s[run], ascii); run++)
			;
		json_put(b, s + i, run - i);
		if (run == len)
			break;
		c = (unsigned char)s[run++];
		esc[0] = '\\';
		esc[1] = (char)c;
		if (c == '"' || c == '\\') {
			json_put(b, esc, 2);
			continue;
		}
		switch (ascii ? 0 : c) {
		case '\b': esc[1] = 'b'; break;
		case '\f': esc[1] = 'f'; break;
		case '\n': esc[1] = 'n'; break;
		case '\r': esc[1] = 'r'; break;
		case '\t': esc[1] = 't'; break;
		default:
			memcpy(esc, "\\u00", 4);
			esc[4] = hex[c >> 4];
			esc[5] = hex[c & 0xf];
			json_put(b, esc, 6);
			continue;
		}
		json_put(b, esc, 2);
	}
	json_put(b, "\"", 1);
}
