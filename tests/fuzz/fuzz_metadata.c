/* SPDX-License-Identifier: ISC */
/*
 * The metadata check on arbitrary bytes.  A refusal leaves the layout
 * zeroed and a "metadata: " reason; an acceptance can only report the
 * indices rmb hard-codes.  The answer does not depend on the size of the
 * error buffer.  Input without the "meta" prefix is also tried behind
 * one, so noise reaches the type registry.
 */
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "metadata.h"

static void
check(const uint8_t *data, size_t size)
{
	struct tfchain_layout	out;
	char			err[METADATA_ERR_MAX], small[16];
	int			r;

	memset(&out, 0xa5, sizeof(out));
	r = metadata_check_tfchain(data, size, &out, err, sizeof(err));
	if (memchr(err, '\0', sizeof(err)) == NULL)
		abort();
	if (r == -1) {
		if (strncmp(err, "metadata: ", 10) != 0 || err[10] == '\0' ||
		    out.pallet != 0 || out.update_twin != 0 ||
		    out.extrinsic_version != 0 || out.ss58_prefix != 0)
			abort();
	} else if (r != 0 || err[0] != '\0' || out.pallet != 25 ||
	    out.update_twin != 18 || out.create_twin != 17 ||
	    out.twin_stored != 11 || out.twin_updated != 12 ||
	    out.extrinsic_version != 4)
		abort();
	if (metadata_check_tfchain(data, size, &out, small,
	    sizeof(small)) != r || memchr(small, '\0', sizeof(small)) == NULL ||
	    (r == -1 && strncmp(small, err, sizeof(small) - 1) != 0))
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t	*buf;

	check(data, size);
	if (size >= 5 && memcmp(data, "meta\x0e", 5) == 0)
		return 0;
	if ((buf = malloc(size + 5)) == NULL)
		abort();
	memcpy(buf, "meta\x0e", 5);
	if (size > 0)
		memcpy(buf + 5, data, size);
	check(buf, size + 5);
	free(buf);
	return 0;
}
