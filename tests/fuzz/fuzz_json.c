/* SPDX-License-Identifier: ISC */
/*
 * The JSON reader on arbitrary bytes: skip the whole document, then walk
 * it again reading every object key, string and integer, never reading
 * outside the input or writing past a buffer.
 */
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "json.h"

static int	walk(struct json_rd *, int);

static int
walk_value(struct json_rd *r, int depth)
{
	enum json_type	t;
	char		s[64];
	uint64_t	v;
	size_t		n, start;

	if (json_peek(r, &t) != 0)
		return -1;
	/* A refused read may stop midway: skip from where it started. */
	start = r->off;
	switch (t) {
	case JSON_STRING:
		if (json_get_string(r, s, sizeof(s), &n) == 0) {
			if (n >= sizeof(s) || s[n] != '\0')
				abort();
			return 0;
		}
		r->off = start;
		return json_skip(r);
	case JSON_NUMBER:
		if (json_get_u64(r, &v) == 0)
			return 0;
		r->off = start;
		return json_skip(r);
	case JSON_ARRAY:
	case JSON_OBJECT:
		return walk(r, depth + 1);
	default:
		return json_skip(r);
	}
}

static int
walk(struct json_rd *r, int depth)
{
	enum json_type	t;
	char		key[16];
	int		rc;

	if (json_peek(r, &t) != 0)
		return -1;
	if (t == JSON_OBJECT) {
		if (json_object_begin(r) != 0)
			return -1;
		while ((rc = json_object_next(r, key, sizeof(key))) == 1)
			if (walk_value(r, depth) != 0)
				return -1;
		return rc;
	}
	if (t == JSON_ARRAY) {
		if (json_array_begin(r) != 0)
			return -1;
		while ((rc = json_array_next(r)) == 1)
			if (walk_value(r, depth) != 0)
				return -1;
		return rc;
	}
	return walk_value(r, depth);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct json_rd	r;
	int		whole;

	json_init(&r, (const char *)data, size);
	whole = json_skip(&r) == 0 && json_end(&r) == 0;
	if (r.off > size)
		abort();
	json_init(&r, (const char *)data, size);
	if (walk(&r, 0) == 0 && json_end(&r) == 0 && !whole) {
		/* Reading values may refuse more, never accept more. */
		abort();
	}
	if (r.off > size)
		abort();
	return 0;
}
