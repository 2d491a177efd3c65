/* SPDX-License-Identifier: ISC */
/*
 * The Keccak-f[1600] permutation (FIPS 202), used by STROBE and Merlin:
 * nettle's sha3_permute() on STROBE's byte-addressed state.
 */
#ifndef RMB_KECCAK_H
#define RMB_KECCAK_H

#include <stdint.h>

#define KECCAK_STATE_BYTES	200

/*
 * Permutes the state in place.  Lane (x, y) is the little-endian 64-bit
 * word at byte offset 8 * (x + 5 * y); st needs no particular alignment.
 */
void	keccak_f1600(uint8_t st[KECCAK_STATE_BYTES]);

#endif
