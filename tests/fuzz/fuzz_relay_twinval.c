/* SPDX-License-Identifier: ISC */
/*
 * libFuzzer target for the relays' shared twin value: what decodes comes
 * back byte for byte from the encoder, and what does not gives a reason
 * and a zeroed twin.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "relay_twinval.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const uint8_t	 zero[sizeof(struct twin_record)];
	struct twin_record	 t;
	uint8_t			 out[RELAY_TWINVAL_MAX];
	uint64_t		 ms;
	const char		*err = NULL;
	int			 n;

	if (relay_twinval_decode(&t, &ms, data, size, &err) == -1) {
		if (err == NULL || ms != 0 || memcmp(&t, zero, sizeof(t)) != 0)
			abort();
		return 0;
	}
	if (memchr(t.relay, '\0', sizeof(t.relay)) == NULL ||
	    t.pklen > TWIN_PK_MAX)
		abort();
	n = relay_twinval_encode(out, sizeof(out), &t, ms);
	/* Entities are dropped: only a value without them comes back whole. */
	if (n == -1 || (size_t)n > size ||
	    ((size_t)n == size && memcmp(out, data, size) != 0))
		abort();
	return 0;
}
