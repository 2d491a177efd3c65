/* SPDX-License-Identifier: ISC */
/*
 * Envelope decoding and the challenge on arbitrary bytes: decode strictly,
 * build the challenge, verify (which must fail for a random account) and
 * re-encode, without crashing or reading out of bounds.
 */
#include <stdlib.h>

#include <sodium.h>

#include "envelope_check.h"
#include "fuzz.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const uint8_t	 account[ACCOUNT_BYTES];
	Envelope		*e;
	uint8_t			 digest[CHALLENGE_BYTES], *buf;
	const char		*err;
	size_t			 n;

	if (sodium_init() < 0)
		abort();
	if ((e = envelope_unpack(data, size)) == NULL)
		return 0;
	envelope_challenge(e, digest);
	(void)envelope_verify(e, account, &err);
	n = envelope__get_packed_size(e);
	if ((buf = malloc(n + 1)) == NULL)
		abort();
	if (envelope__pack(e, buf) != n)
		abort();
	free(buf);
	envelope__free_unpacked(e, NULL);
	return 0;
}
