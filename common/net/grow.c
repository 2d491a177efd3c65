/* SPDX-License-Identifier: ISC */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "grow.h"

int
grow_append(uint8_t **buf, size_t *len, size_t *cap, const void *in,
    size_t n, size_t max)
{
	uint8_t	*p;
	size_t	 c;

	if (n > max || *len > max - n) {
		errno = ENOBUFS;
		return -1;
	}
	if (*len + n > *cap) {
		for (c = *cap < 4096 ? 4096 : *cap; c < *len + n; c *= 2)
			;
		if (c > max)
			c = max;
		if ((p = realloc(*buf, c)) == NULL)
			return -1;
		*buf = p;
		*cap = c;
	}
	if (n > 0)
		memcpy(*buf + *len, in, n);
	*len += n;
	return 0;
}
