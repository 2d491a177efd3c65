/* SPDX-License-Identifier: ISC */
/* The shared gathering buffer: growth, the bound, nothing lost. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "grow.h"
#include "tap.h"

int
main(void)
{
	uint8_t	*buf = NULL, chunk[3000];
	size_t	 len = 0, cap = 0, i;
	int	 same = 1;

	memset(chunk, 'a', sizeof(chunk));
	ok(grow_append(&buf, &len, &cap, chunk, 0, 10000) == 0 && len == 0,
	    "nothing appended to nothing");
	ok(grow_append(&buf, &len, &cap, chunk, 100, 10000) == 0 &&
	    len == 100 && cap == 4096, "first growth: 4 KiB");
	for (i = 0; i < 3; i++)
		grow_append(&buf, &len, &cap, chunk, sizeof(chunk), 10000);
	ok(len == 9100 && cap == 10000, "doubling stops at the bound (%zu)",
	    cap);
	errno = 0;
	ok(grow_append(&buf, &len, &cap, chunk, 901, 10000) == -1 &&
	    errno == ENOBUFS && len == 9100, "one byte over the bound: "
	    "ENOBUFS, nothing appended");
	ok(grow_append(&buf, &len, &cap, chunk, 900, 10000) == 0 &&
	    len == 10000, "exactly the bound fits");
	for (i = 0; i < len; i++)
		same &= buf[i] == 'a';
	ok(same, "every byte kept");
	ok(grow_append(&buf, &len, &cap, chunk, SIZE_MAX, 10000) == -1 &&
	    errno == ENOBUFS, "a huge n cannot wrap the check");
	free(buf);
	return done_testing();
}
