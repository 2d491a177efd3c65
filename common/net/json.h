/* SPDX-License-Identifier: ISC */
/*
 * A small strict JSON reader (RFC 8259) for the few shapes rmb parses:
 * walk objects and arrays member by member, read strings (unescaped to
 * UTF-8), unsigned integers and null, skip what is not wanted.  It never
 * allocates; every string goes into a caller buffer with a bound.
 */
#ifndef RMB_JSON_H
#define RMB_JSON_H

#include <stddef.h>
#include <stdint.h>

#define JSON_MAX_DEPTH	30	/* fits the bit mask below */

enum json_type {
	JSON_NULL,
	JSON_BOOL,
	JSON_NUMBER,
	JSON_STRING,
	JSON_ARRAY,
	JSON_OBJECT
};

struct json_rd {
	const char	*p;
	size_t		 len;
	size_t		 off;
	int		 depth;
	uint32_t	 first;		/* bit d: no member read yet at depth d */
};

void	json_init(struct json_rd *, const char *, size_t);

/* Type of the next value, after whitespace.  -1 at end or on a bad byte. */
int	json_peek(struct json_rd *, enum json_type *);

int	json_object_begin(struct json_rd *);
/*
 * 1: a member follows; its key is in key (NUL-terminated, cap bytes) and
 * the ':' is consumed, so the caller reads or skips the value next.
 * 0: the object ended.  -1: malformed or key too long.
 */
int	json_object_next(struct json_rd *, char *key, size_t cap);
int	json_array_begin(struct json_rd *);
/* 1: an element follows; 0: the array ended; -1: malformed. */
int	json_array_next(struct json_rd *);

/* Unescapes into out (cap includes the NUL); rejects NUL characters. */
int	json_get_string(struct json_rd *, char *out, size_t cap, size_t *len);
/* A non-negative integer without fraction or exponent that fits. */
int	json_get_u64(struct json_rd *, uint64_t *);
int	json_get_null(struct json_rd *);
int	json_skip(struct json_rd *);
/* 0 when only whitespace is left. */
int	json_end(struct json_rd *);

#endif
