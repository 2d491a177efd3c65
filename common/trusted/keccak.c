/* SPDX-License-Identifier: ISC */
#include <stdint.h>
#include <string.h>

#include <nettle/sha3.h>

#include "keccak.h"

_Static_assert(sizeof(struct sha3_state) == KECCAK_STATE_BYTES,
    "nettle's Keccak state is 25 packed lanes");

void
keccak_f1600(uint8_t st[KECCAK_STATE_BYTES])
{
	struct sha3_state	s;
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
	/* The lanes are little-endian in memory already. */
	memcpy(s.a, st, KECCAK_STATE_BYTES);
	sha3_permute(&s);
	memcpy(st, s.a, KECCAK_STATE_BYTES);
#else
	size_t			i;

	memset(&s, 0, sizeof(s));
	for (i = KECCAK_STATE_BYTES; i-- > 0;)
		s.a[i / 8] = s.a[i / 8] << 8 | st[i];
	sha3_permute(&s);
	for (i = 0; i < KECCAK_STATE_BYTES; i++)
		st[i] = (uint8_t)(s.a[i / 8] >> 8 * (i % 8));
#endif
	/* The lanes may hold keyed state, such as a signing witness. */
	explicit_bzero(&s, sizeof(s));
}
