/* SPDX-License-Identifier: ISC */
/*
 * json.h on arbitrary bytes: parse the document (with and without the
 * project's rules), then walk whatever is accepted with the reader,
 * reading every key, string and integer: every span lies inside the
 * input and parses again to a value of the same kind, and every string
 * written back by json_put_str() reads back the same.  The reader
 * without json-c's objects (salvage) must stay inside the input too.
 */
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "json.h"

static const char	*in_p;
static size_t		 in_len;

static void
inside(struct json_span s)
{
	if (s.p < in_p || s.len > in_len ||
	    (size_t)(s.p - in_p) > in_len - s.len)
		abort();
}

static void
roundtrip(const char *s, size_t n)
{
	struct json_buf		b;
	struct json_doc		d;
	const char		*v;
	size_t			 m;

	memset(&b, 0, sizeof(b));
	json_put_str(&b, s, n, 0);
	if (b.bad)
		abort();
	if (json_parse(&d, b.p, b.len, 0) != 0 || d.end != b.len ||
	    json_str(d.root, &v, &m) != 0 || m != n || memcmp(v, s, n) != 0)
		abort();
	json_doc_free(&d);
	free(b.p);
}

static void
value(struct json_object *v, struct json_span text, int depth)
{
	struct json_doc		 d;
	struct json_rd		 r;
	struct json_item	 it;
	char			 key[16], s[64];
	const char		*str;
	uint64_t		 u;
	size_t			 n;
	int			 rc;

	inside(text);
	if (json_parse(&d, text.p, text.len, JSON_LAX) != 0 ||
	    d.end != text.len || json_kind(d.root) != json_kind(v))
		abort();
	json_doc_free(&d);
	switch (json_kind(v)) {
	case JSON_STRING:
		if (json_unquote(text, s, sizeof(s), &n) == 0 &&
		    (n >= sizeof(s) || s[n] != '\0'))
			abort();
		if (json_str(v, &str, &n) == 0)
			roundtrip(str, n);
		break;
	case JSON_NUMBER:
		(void)json_get_u64(v, text, &u);
		break;
	case JSON_ARRAY:
	case JSON_OBJECT:
		if (depth > JSON_MAX_DEPTH || json_rd_init(&r, v, text) != 0)
			abort();
		while ((rc = json_rd_next(&r, &it)) == 1) {
			if (json_kind(v) == JSON_OBJECT) {
				inside(it.key);
				if (json_key(&it, key, sizeof(key)) == 0 &&
				    strlen(key) >= sizeof(key))
					abort();
			}
			value(it.val, it.text, depth + 1);
		}
		json_rd_end(&r);
		if (rc != 0)
			abort();
		break;
	default:
		break;
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct json_doc		d, lax;
	struct json_rd		r;
	struct json_item	it;
	int			strict;

	in_p = (const char *)data;
	in_len = size;
	strict = json_parse(&d, in_p, size, 0) == 0;
	if (json_parse(&lax, in_p, size, JSON_LAX | JSON_BYTES) == 0) {
		inside(lax.text);
		if (lax.end > size)
			abort();
	} else if (strict || lax.erroff > size)
		abort();	/* the rules refuse more, never accept more */
	json_doc_free(&lax);
	if (strict) {
		if (d.end > size)
			abort();
		value(d.root, d.text, 1);
	} else if (d.erroff > size)
		abort();
	json_doc_free(&d);
	/* The walk without objects, as salvage does it on broken text. */
	if (json_rd_init(&r, NULL, (struct json_span){ in_p, size }) == 0)
		while (json_rd_next(&r, &it) == 1) {
			inside(it.text);
			if (it.key.len > 0)
				inside(it.key);
		}
	return 0;
}
