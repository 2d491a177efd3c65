/* SPDX-License-Identifier: ISC */
/*
 * JSON in rmb.  Text from outside (the redis API's messages, the twin
 * file, JSON-RPC answers, JWTs) is parsed by json-c; json_parse() keeps
 * the project's rules where json-c 0.16, strict as it is, lets more
 * through (RFC 8259 agrees with us on each):
 *
 *   - a string holds no raw control character, no lone UTF-16
 *     surrogate in a \u escape (json-c turns one into U+FFFD) and only
 *     UTF-8 (json-c lets overlong forms, surrogates and code points past
 *     U+10FFFF through);
 *   - a number has no leading zero ("01", "-00"), digits after its
 *     point, and is never NaN or Infinity;
 *   - nesting is at most JSON_MAX_DEPTH levels, the document's own
 *     included.
 *
 * Text after the value is not refused but reported (json_doc.end), so
 * that callers can say "trailing".  Two more differences are met when
 * reading: json-c keeps only the last value of a key given twice and
 * cuts a key at U+0000, so json_rd walks an object in the order of the
 * text, each member with its own key and value, and callers refuse a
 * repeated key as serde does; and json-c saturates integers past 64 bits,
 * so json_get_u64() reads the digits too.
 *
 * JSON that rmb writes is written here too: json_put_str() is the one
 * string escaper.
 */
#ifndef RMB_JSON_H
#define RMB_JSON_H

#include <stddef.h>
#include <stdint.h>

#include <json-c/json_object.h>
#include <json-c/json_object_iterator.h>

#define JSON_MAX_DEPTH	30

/* The kinds of JSON value (json-c tells integers and doubles apart). */
enum json_kind {
	JSON_NULL,
	JSON_BOOL,
	JSON_NUMBER,
	JSON_STRING,
	JSON_ARRAY,
	JSON_OBJECT
};

/* A stretch of the text being read. */
struct json_span {
	const char	*p;
	size_t		 len;
};

struct json_doc {
	struct json_object	*root;	/* NULL for JSON null as well */
	struct json_span	 text;	/* the value, no white space around */
	size_t			 end;	/* after it and the white space after */
	size_t			 erroff;	/* on failure: where it stops being JSON */
	size_t			 notutf8;	/* JSON_BYTES: first byte not UTF-8, or len */
	int			 nomem;	/* the failure was out of memory */
};

/* json_parse() flags. */
#define JSON_BYTES	0x1	/* strings may hold bytes that are not UTF-8 */
#define JSON_INNER	0x2	/* a value one level down in text read here */
#define JSON_LAX	0x4	/* json-c's rules only: for salvaging text */

/*
 * Parses the JSON value at the start of p (len bytes, no NUL needed).
 * Returns 0, or -1 with erroff (or nomem) set; either way json_doc_free()
 * frees what it holds.
 */
int	json_parse(struct json_doc *, const char *p, size_t len, int flags);
void	json_doc_free(struct json_doc *);

enum json_kind	json_kind(struct json_object *);

/*
 * Reads the members of an object or the elements of an array (obj, whose
 * text is text) in the order of the text, each as a json_item: its key's
 * text (quotes included; empty for an element), its value's text, and its
 * value.  When an object repeats a key, json-c has kept only the last
 * value, so the values are parsed again from their text.  obj may be NULL
 * for text json-c refused: items then carry only their text, and the
 * walk stops (-1) where it cannot follow the text.
 */
struct json_rd {
	const char			*p;
	size_t				 len, off, n;
	struct json_object		*obj;
	struct json_object_iterator	 it;
	int				 again;	/* values from their text */
	struct json_doc			 own;	/* the value parsed again */
};

struct json_item {
	struct json_span	 key;
	struct json_span	 text;
	struct json_object	*val;	/* valid until the next item */
};

int	json_rd_init(struct json_rd *, struct json_object *obj,
	    struct json_span text);
/* 1 and an item, 0 at the end, -1 out of memory or where text is not JSON. */
int	json_rd_next(struct json_rd *, struct json_item *);
void	json_rd_end(struct json_rd *);

/*
 * Unescapes the string whose text (quotes included) is s into out, cap
 * bytes with the NUL.  Returns 0 with its length in *len (if not NULL),
 * or -1 when it is no JSON string, holds U+0000 or does not fit.
 */
int	json_unquote(struct json_span s, char *out, size_t cap, size_t *len);
/* An item's key, the same way. */
int	json_key(const struct json_item *, char *out, size_t cap);

/* A string value without U+0000: 0 with its bytes, or -1. */
int	json_str(struct json_object *, const char **s, size_t *len);
/*
 * An integer from 0 to 2^64-1 written without sign, fraction or exponent
 * (text is the value's text): 0, or -1.
 */
int	json_get_u64(struct json_object *, struct json_span text, uint64_t *);

/*
 * JSON being written: a heap buffer, always NUL-terminated, that
 * remembers its first failure (out of memory, or a string that is not
 * UTF-8) in bad.  Start it zeroed; free(p) when done.
 */
struct json_buf {
	char	*p;
	size_t	 len, cap;
	int	 bad;
};

void	json_put(struct json_buf *, const char *, size_t);
void	json_puts(struct json_buf *, const char *);
void	json_put_u64(struct json_buf *, uint64_t);
/* Room for n more bytes at p + len (and the NUL): 0, or -1 and bad set. */
int	json_reserve(struct json_buf *, size_t n);

/* json_put_str() flags. */
#define JSON_ASCII	0x1	/* bytes, not text: all but printable ASCII as \u00XX */

/*
 * Writes s (len bytes) as a JSON string, quotes included.  By default
 * as serde_json does: s must be UTF-8; '"', '\' and control characters
 * are escaped, with the short forms \b \f \n \r \t where they exist and
 * \u00XX (lower-case hex) for the rest.  With JSON_ASCII s is any bytes:
 * '"' and '\' get a backslash and every byte below 0x20 or above 0x7e is
 * \u00XX, so that bytes which are not text come out unchanged.
 */
void	json_put_str(struct json_buf *, const char *s, size_t len, int flags);

#endif
