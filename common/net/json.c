/* SPDX-License-Identifier: ISC */
#include <string.h>

#include "json.h"
#include "utf8.h"

void
json_init(struct json_rd *r, const char *p, size_t len)
{
	memset(r, 0, sizeof(*r));
	r->p = p;
	r->len = len;
}

static void
ws(struct json_rd *r)
{
	while (r->off < r->len && (r->p[r->off] == ' ' ||
	    r->p[r->off] == '\t' || r->p[r->off] == '\n' ||
	    r->p[r->off] == '\r'))
		r->off++;
}

static int
lit(struct json_rd *r, const char *word)
{
	size_t	n = strlen(word);

	if (r->len - r->off < n || memcmp(r->p + r->off, word, n) != 0)
		return -1;
	r->off += n;
	return 0;
}

int
json_peek(struct json_rd *r, enum json_type *t)
{
	ws(r);
	if (r->off >= r->len)
		return -1;
	switch (r->p[r->off]) {
	case 'n':
		*t = JSON_NULL;
		break;
	case 't':
	case 'f':
		*t = JSON_BOOL;
		break;
	case '"':
		*t = JSON_STRING;
		break;
	case '[':
		*t = JSON_ARRAY;
		break;
	case '{':
		*t = JSON_OBJECT;
		break;
	case '-':
	case '0': case '1': case '2': case '3': case '4':
	case '5': case '6': case '7': case '8': case '9':
		*t = JSON_NUMBER;
		break;
	default:
		return -1;
	}
	return 0;
}

static int
open_(struct json_rd *r, char c)
{
	ws(r);
	if (r->off >= r->len || r->p[r->off] != c ||
	    r->depth >= JSON_MAX_DEPTH)
		return -1;
	r->off++;
	r->depth++;
	r->first |= 1u << r->depth;
	return 0;
}

int
json_object_begin(struct json_rd *r)
{
	return open_(r, '{');
}

int
json_array_begin(struct json_rd *r)
{
	return open_(r, '[');
}

/* Consumes the separator before the next item, or the closing bracket. */
static int
next_(struct json_rd *r, char close)
{
	ws(r);
	if (r->off >= r->len || r->depth == 0)
		return -1;
	if (r->p[r->off] == close) {
		r->off++;
		r->depth--;
		return 0;
	}
	if (r->first & (1u << r->depth)) {
		r->first &= ~(1u << r->depth);
		return 1;
	}
	if (r->p[r->off] != ',')
		return -1;
	r->off++;
	ws(r);
	/* A trailing comma is an error: a value must follow. */
	if (r->off >= r->len || r->p[r->off] == close)
		return -1;
	return 1;
}

int
json_object_next(struct json_rd *r, char *key, size_t cap)
{
	size_t	n;
	int	rc;

	if ((rc = next_(r, '}')) != 1)
		return rc;
	ws(r);
	if (r->off >= r->len || r->p[r->off] != '"')
		return -1;
	if (json_get_string(r, key, cap, &n) != 0)
		return -1;
	ws(r);
	if (r->off >= r->len || r->p[r->off] != ':')
		return -1;
	r->off++;
	return 1;
}

int
json_array_next(struct json_rd *r)
{
	return next_(r, ']');
}

static int
hex4(struct json_rd *r, uint32_t *v)
{
	int	i;
	char	c;

	if (r->len - r->off < 4)
		return -1;
	*v = 0;
	for (i = 0; i < 4; i++) {
		c = r->p[r->off++];
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

/* Decodes one backslash escape at r->off into a code point. */
static int
escape(struct json_rd *r, uint32_t *cp)
{
	uint32_t	lo;

	if (++r->off >= r->len)
		return -1;
	switch (r->p[r->off++]) {
	case '"': *cp = '"'; break;
	case '\\': *cp = '\\'; break;
	case '/': *cp = '/'; break;
	case 'b': *cp = '\b'; break;
	case 'f': *cp = '\f'; break;
	case 'n': *cp = '\n'; break;
	case 'r': *cp = '\r'; break;
	case 't': *cp = '\t'; break;
	case 'u':
		if (hex4(r, cp) != 0)
			return -1;
		if (*cp >= 0xd800 && *cp <= 0xdbff) {
			if (lit(r, "\\u") != 0 || hex4(r, &lo) != 0 ||
			    lo < 0xdc00 || lo > 0xdfff)
				return -1;
			*cp = 0x10000 + ((*cp - 0xd800) << 10) + (lo - 0xdc00);
		} else if (*cp >= 0xdc00 && *cp <= 0xdfff)
			return -1;
		break;
	default:
		return -1;
	}
	return 0;
}

static int
put(char *out, size_t cap, size_t *n, uint32_t cp)
{
	uint8_t	b[4];
	size_t	k;

	if (cp < 0x80) {
		b[0] = (uint8_t)cp;
		k = 1;
	} else if (cp < 0x800) {
		b[0] = (uint8_t)(0xc0 | cp >> 6);
		b[1] = (uint8_t)(0x80 | (cp & 0x3f));
		k = 2;
	} else if (cp < 0x10000) {
		b[0] = (uint8_t)(0xe0 | cp >> 12);
		b[1] = (uint8_t)(0x80 | (cp >> 6 & 0x3f));
		b[2] = (uint8_t)(0x80 | (cp & 0x3f));
		k = 3;
	} else {
		b[0] = (uint8_t)(0xf0 | cp >> 18);
		b[1] = (uint8_t)(0x80 | (cp >> 12 & 0x3f));
		b[2] = (uint8_t)(0x80 | (cp >> 6 & 0x3f));
		b[3] = (uint8_t)(0x80 | (cp & 0x3f));
		k = 4;
	}
	if (cap - *n < k + 1)
		return -1;
	memcpy(out + *n, b, k);
	*n += k;
	return 0;
}

int
json_get_string(struct json_rd *r, char *out, size_t cap, size_t *len)
{
	size_t		n = 0, start;
	uint32_t	cp;
	unsigned char	c;

	ws(r);
	if (cap == 0 || r->off >= r->len || r->p[r->off] != '"')
		return -1;
	r->off++;
	for (;;) {
		if (r->off >= r->len)
			return -1;
		c = (unsigned char)r->p[r->off];
		if (c == '"') {
			r->off++;
			break;
		}
		if (c < 0x20)
			return -1;
		if (c != '\\') {
			/* Copy a run of plain bytes, then check it is UTF-8. */
			start = r->off;
			while (r->off < r->len && r->p[r->off] != '"' &&
			    r->p[r->off] != '\\' &&
			    (unsigned char)r->p[r->off] >= 0x20)
				r->off++;
			if (!utf8_valid(r->p + start, r->off - start) ||
			    cap - n < r->off - start + 1)
				return -1;
			memcpy(out + n, r->p + start, r->off - start);
			n += r->off - start;
			continue;
		}
		if (escape(r, &cp) != 0 || cp == 0)
			return -1;
		if (put(out, cap, &n, cp) != 0)
			return -1;
	}
	out[n] = '\0';
	if (len != NULL)
		*len = n;
	return 0;
}

int
json_get_u64(struct json_rd *r, uint64_t *v)
{
	uint64_t	x = 0;
	size_t		start;
	unsigned int	d;

	ws(r);
	start = r->off;
	while (r->off < r->len && r->p[r->off] >= '0' && r->p[r->off] <= '9') {
		d = (unsigned int)(r->p[r->off] - '0');
		if (x > (UINT64_MAX - d) / 10)
			return -1;
		x = x * 10 + d;
		r->off++;
	}
	if (r->off == start || (r->p[start] == '0' && r->off - start > 1))
		return -1;
	/* A fraction or exponent is a float, which serde refuses as u64. */
	if (r->off < r->len && (r->p[r->off] == '.' || r->p[r->off] == 'e' ||
	    r->p[r->off] == 'E'))
		return -1;
	*v = x;
	return 0;
}

int
json_get_null(struct json_rd *r)
{
	ws(r);
	return lit(r, "null");
}

static int
skip_number(struct json_rd *r)
{
	size_t	digits;

	if (r->off < r->len && r->p[r->off] == '-')
		r->off++;
	if (r->off < r->len && r->p[r->off] == '0')
		r->off++;
	else {
		for (digits = 0; r->off < r->len && r->p[r->off] >= '0' &&
		    r->p[r->off] <= '9'; digits++)
			r->off++;
		if (digits == 0)
			return -1;
	}
	if (r->off < r->len && r->p[r->off] == '.') {
		r->off++;
		for (digits = 0; r->off < r->len && r->p[r->off] >= '0' &&
		    r->p[r->off] <= '9'; digits++)
			r->off++;
		if (digits == 0)
			return -1;
	}
	if (r->off < r->len && (r->p[r->off] == 'e' || r->p[r->off] == 'E')) {
		r->off++;
		if (r->off < r->len && (r->p[r->off] == '+' ||
		    r->p[r->off] == '-'))
			r->off++;
		for (digits = 0; r->off < r->len && r->p[r->off] >= '0' &&
		    r->p[r->off] <= '9'; digits++)
			r->off++;
		if (digits == 0)
			return -1;
	}
	return 0;
}

static int
skip_string(struct json_rd *r)
{
	size_t		run;
	uint32_t	cp;

	if (r->off >= r->len || r->p[r->off] != '"')
		return -1;
	r->off++;
	for (;;) {
		if (r->off >= r->len ||
		    (unsigned char)r->p[r->off] < 0x20)
			return -1;
		if (r->p[r->off] == '"') {
			r->off++;
			return 0;
		}
		if (r->p[r->off] == '\\') {
			if (escape(r, &cp) != 0)
				return -1;
			continue;
		}
		run = r->off;
		while (r->off < r->len && r->p[r->off] != '"' &&
		    r->p[r->off] != '\\' &&
		    (unsigned char)r->p[r->off] >= 0x20)
			r->off++;
		if (!utf8_valid(r->p + run, r->off - run))
			return -1;
	}
}

int
json_skip(struct json_rd *r)
{
	enum json_type	t;
	int		rc;

	if (json_peek(r, &t) != 0)
		return -1;
	switch (t) {
	case JSON_NULL:
		return lit(r, "null");
	case JSON_BOOL:
		return r->p[r->off] == 't' ? lit(r, "true") : lit(r, "false");
	case JSON_NUMBER:
		return skip_number(r);
	case JSON_STRING:
		return skip_string(r);
	case JSON_ARRAY:
		if (json_array_begin(r) != 0)
			return -1;
		while ((rc = json_array_next(r)) == 1)
			if (json_skip(r) != 0)
				return -1;
		return rc;
	case JSON_OBJECT:
		if (json_object_begin(r) != 0)
			return -1;
		/* Keys of any length: skip them as strings. */
		while ((rc = next_(r, '}')) == 1) {
			ws(r);
			if (skip_string(r) != 0)
				return -1;
			ws(r);
			if (r->off >= r->len || r->p[r->off] != ':')
				return -1;
			r->off++;
			if (json_skip(r) != 0)
				return -1;
		}
		return rc;
	}
	return -1;
}

int
json_end(struct json_rd *r)
{
	ws(r);
	return r->off == r->len ? 0 : -1;
}
