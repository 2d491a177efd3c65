/* SPDX-License-Identifier: ISC */
#include <sodium.h>

#include "hex.h"

void
hex_encode(char *out, const uint8_t *in, size_t len)
{
	sodium_bin2hex(out, 2 * len + 1, in, len);
}

/*
 * The length checks come first so that odd or oversized input writes
 * nothing and leaves *outlen alone, which libsodium would not.
 */
int
hex_decode_any(uint8_t *out, size_t outcap, size_t *outlen, const char *in,
    size_t inlen)
{
	size_t	n;

	if (inlen % 2 != 0 || inlen / 2 > outcap ||
	    sodium_hex2bin(out, outcap, in, inlen, NULL, &n, NULL) != 0)
		return -1;
	*outlen = n;
	return 0;
}

int
hex_decode(uint8_t *out, size_t outlen, const char *in, size_t inlen)
{
	size_t	n;

	if (inlen != 2 * outlen)
		return -1;
	return hex_decode_any(out, outlen, &n, in, inlen);
}
