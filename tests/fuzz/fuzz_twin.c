/* SPDX-License-Identifier: ISC */
/*
 * libFuzzer target for the chain value decoders: twin_decode,
 * twin_id_decode and scale_get_compact, each checked against its encoder.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "scale_rd.h"
#include "tfchain_read.h"

int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
check_twin(const uint8_t *data, size_t size)
{
	struct twin_record	 t, t2;
	struct scale_wr		 w;
	uint8_t			 out[TWIN_ENCODED_MAX];
	const char		*err = NULL;
	size_t			 pkpart;

	if (twin_decode(&t, data, size, &err) == -1) {
		if (err == NULL)
			abort();
		return;
	}
	if (memchr(t.relay, '\0', sizeof(t.relay)) == NULL ||
	    (!t.has_relay && t.relay[0] != '\0') ||
	    t.pklen > TWIN_PK_MAX || (!t.has_pk && t.pklen != 0))
		abort();

	scale_wr_init(&w, out, sizeof(out));
	if (twin_encode(&w, &t) == -1)
		abort();

	/* Entities are dropped: only a value without them comes back whole. */
	if (w.len == size) {
		if (memcmp(out, data, size) != 0)
			abort();
	} else {
		pkpart = t.has_pk ?
		    1 + scale_compact_len(t.pklen) + t.pklen : 1;
		if (w.len > size ||
		    memcmp(out, data, w.len - pkpart - 1) != 0 ||
		    memcmp(out + w.len - pkpart, data + size - pkpart,
		    pkpart) != 0)
			abort();
	}

	if (twin_decode(&t2, out, w.len, &err) == -1 ||
	    memcmp(&t, &t2, sizeof(t)) != 0)
		abort();
}

static void
check_twin_id(const uint8_t *data, size_t size)
{
	uint32_t	id;
	int		r;

	r = twin_id_decode(&id, data, size);
	if ((r == 0) != (size == 4))
		abort();
	if (r == 0 && id != ((uint32_t)data[0] | (uint32_t)data[1] << 8 |
	    (uint32_t)data[2] << 16 | (uint32_t)data[3] << 24))
		abort();
}

/* A decoded compact must re-encode to exactly the bytes it came from. */
static void
check_compact(const uint8_t *data, size_t size)
{
	struct scale_rd	rd;
	struct scale_wr	w;
	uint8_t		out[SCALE_COMPACT_MAX];
	uint64_t	v;

	scale_rd_init(&rd, data, size);
	if (scale_get_compact(&rd, &v) == -1) {
		if (rd.off != 0)
			abort();
		return;
	}
	scale_wr_init(&w, out, sizeof(out));
	if (scale_put_compact(&w, v) == -1 || w.len != rd.off ||
	    memcmp(out, data, w.len) != 0)
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	check_twin(data, size);
	check_twin_id(data, size);
	check_compact(data, size);
	return 0;
}
