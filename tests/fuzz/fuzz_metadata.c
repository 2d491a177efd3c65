/* SPDX-License-Identifier: ISC */
/*
 * The metadata check on arbitrary bytes.  A refusal leaves the layout
 * zeroed and a "metadata: " reason; an acceptance can only report the
 * indices rmb hard-codes.  The answer does not depend on the size of the
 * error buffer.  Input without the "meta" prefix is also tried behind
 * one, so noise reaches the type registry.  What loads is also asked for
 * the events layout, and a fixed value is skipped as each of its first
 * types, within a budget: nothing may read past it or loop.
 */
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "metadata.h"
#include "scale_rd.h"

/* Bytes of every kind: small compacts, Option tags, a long run. */
static const uint8_t value[] = {
	0x04, 0x01, 0x00, 0x08, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07,
	0x08, 0x0c, 0x00, 0x01, 0x02, 0x10, 0x11, 0x12, 0x13, 0x14, 0x15,
	0x16, 0x17, 0x18, 0x19, 0x1a, 0x1b, 0x1c, 0x1d, 0x1e, 0x1f, 0x20,
	0x01, 0x01, 0x01, 0x01, 0x01, 0x01, 0x01, 0x01, 0x00, 0xff, 0xfe,
};

static void
load(const uint8_t *data, size_t size, int checked)
{
	struct metadata_events	 lay;
	struct metadata		*m;
	struct scale_rd		 rd;
	char			 err[METADATA_ERR_MAX];
	size_t			 budget;
	uint32_t		 ty;

	m = metadata_load(data, size, err, sizeof(err));
	if (checked && m == NULL)
		abort();
	if (m == NULL) {
		if (strncmp(err, "metadata: ", 10) != 0)
			abort();
		return;
	}
	if (metadata_events(m, &lay, err, sizeof(err)) == 0 &&
	    (lay.nfields == 0 || lay.event_field >= lay.nfields))
		abort();
	for (ty = 0; ty < 64; ty++) {
		scale_rd_init(&rd, value, sizeof(value));
		budget = 4096;
		if (metadata_skip(m, ty, &rd, &budget) == 0 &&
		    rd.off > sizeof(value))
			abort();
	}
	metadata_free(m);
}

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
	load(data, size, r == 0);
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
