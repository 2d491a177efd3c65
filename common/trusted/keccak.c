/* SPDX-License-Identifier: ISC */
#include <stdint.h>
#include <string.h>

#include "keccak.h"

static const uint64_t round_constants[24] = {
	0x0000000000000001ULL, 0x0000000000008082ULL,
	0x800000000000808aULL, 0x8000000080008000ULL,
	0x000000000000808bULL, 0x0000000080000001ULL,
	0x8000000080008081ULL, 0x8000000000008009ULL,
	0x000000000000008aULL, 0x0000000000000088ULL,
	0x0000000080008009ULL, 0x000000008000000aULL,
	0x000000008000808bULL, 0x800000000000008bULL,
	0x8000000000008089ULL, 0x8000000000008003ULL,
	0x8000000000008002ULL, 0x8000000000000080ULL,
	0x000000000000800aULL, 0x800000008000000aULL,
	0x8000000080008081ULL, 0x8000000000008080ULL,
	0x0000000080000001ULL, 0x8000000080008008ULL,
};

/* Rotation offsets of the rho step, indexed by x + 5 * y. */
static const unsigned int rho_offsets[25] = {
	 0,  1, 62, 28, 27,
	36, 44,  6, 55, 20,
	 3, 10, 43, 25, 39,
	41, 45, 15, 21,  8,
	18,  2, 61, 56, 14,
};

static uint64_t
rotl64(uint64_t v, unsigned int n)
{
	/* The mask keeps the shift defined when n is 0. */
	return (v << n) | (v >> ((64 - n) & 63));
}

static uint64_t
load64_le(const uint8_t *p)
{
	uint64_t	v = 0;
	int		i;

	for (i = 7; i >= 0; i--)
		v = (v << 8) | p[i];
	return v;
}

static void
store64_le(uint8_t *p, uint64_t v)
{
	int	i;

	for (i = 0; i < 8; i++) {
		p[i] = (uint8_t)v;
		v >>= 8;
	}
}

void
keccak_f1600(uint8_t st[KECCAK_STATE_BYTES])
{
	uint64_t	a[25], b[25], c[5], d;
	int		i, round, x, y;

	for (i = 0; i < 25; i++)
		a[i] = load64_le(st + 8 * i);

	for (round = 0; round < 24; round++) {
		/* theta */
		for (x = 0; x < 5; x++)
			c[x] = a[x] ^ a[x + 5] ^ a[x + 10] ^ a[x + 15] ^
			    a[x + 20];
		for (x = 0; x < 5; x++) {
			d = c[(x + 4) % 5] ^ rotl64(c[(x + 1) % 5], 1);
			for (y = 0; y < 25; y += 5)
				a[x + y] ^= d;
		}

		/* rho and pi: lane (x, y) moves to (y, 2x + 3y). */
		for (y = 0; y < 5; y++) {
			for (x = 0; x < 5; x++) {
				i = x + 5 * y;
				b[y + 5 * ((2 * x + 3 * y) % 5)] =
				    rotl64(a[i], rho_offsets[i]);
			}
		}

		/* chi */
		for (y = 0; y < 25; y += 5)
			for (x = 0; x < 5; x++)
				a[x + y] = b[x + y] ^
				    (~b[(x + 1) % 5 + y] & b[(x + 2) % 5 + y]);

		/* iota */
		a[0] ^= round_constants[round];
	}

	for (i = 0; i < 25; i++)
		store64_le(st + 8 * i, a[i]);

	/* The lanes may hold keyed state, such as a signing witness. */
	explicit_bzero(a, sizeof(a));
	explicit_bzero(b, sizeof(b));
	explicit_bzero(c, sizeof(c));
	explicit_bzero(&d, sizeof(d));
}
