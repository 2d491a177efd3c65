/* SPDX-License-Identifier: ISC */
/*
 * The front door's request-head reader on arbitrary bytes: a whole head
 * ends on its blank line within the bytes and RELAY_HEAD_MAX, a query
 * lies inside the head's first line, and feeding the bytes one at a
 * time ends the same way as feeding them at once.
 */
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "relay_head.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct relay_head	 h, g;
	const char		*s = (const char *)data;
	const char		*lf;
	size_t			 i;
	int			 rv, r2 = RELAY_HEAD_MORE;

	rv = relay_head_parse(s, size, &h);
	if (rv == RELAY_HEAD_DONE) {
		if (h.len < 2 || h.len > size || h.len > RELAY_HEAD_MAX ||
		    s[h.len - 1] != '\n')
			abort();
		lf = memchr(s, '\n', size);
		if (h.query != NULL && (h.query < s ||
		    h.query + h.querylen > lf))
			abort();
		if (h.query == NULL && h.querylen != 0)
			abort();
	} else if (rv == RELAY_HEAD_BIG && size < RELAY_HEAD_MAX)
		abort();
	else if (rv != RELAY_HEAD_MORE && rv != RELAY_HEAD_BAD &&
	    rv != RELAY_HEAD_BIG)
		abort();
	/*
	 * A door reads what comes, and asks again after each read (short
	 * inputs only: this is quadratic).
	 */
	if (size > 2048)
		return 0;
	for (i = 1; i <= size && r2 == RELAY_HEAD_MORE; i++)
		r2 = relay_head_parse(s, i, &g);
	if (r2 != rv)
		abort();
	if (rv == RELAY_HEAD_DONE && (g.len != h.len ||
	    g.upgrade != h.upgrade || g.querylen != h.querylen))
		abort();
	return 0;
}
