/* SPDX-License-Identifier: ISC */
#include "hex.h"

static const char digits[] = "0123456789abcdef";

void
hex_encode(char *out, const uint8_t *in, size_t len)
{
	size_t	i;

	for (i = 0; i < len; i++) {
		out[2 * i] = digits[in[i] >> 4];
		out[2 * i + 1] = digits[in[i] & 0x0f];
	}
	out[2 * len] = '\0';
}

static int
nibble(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

int
hex_decode_any(uint8_t *out, size_t outcap, size_t *outlen, const char *in,
    size_t inlen)
{
	size_t	i;
	int	hi, lo;

	if (inlen % 2 != 0 || inlen / 2 > outcap)
		return -1;
	for (i = 0; i < inlen / 2; i++) {
		hi = nibble(in[2 * i]);
		lo = nibble(in[2 * i + 1]);
		if (hi < 0 || lo < 0)
			return -1;
		out[i] = (uint8_t)(hi << 4 | lo);
	}
	*outlen = inlen / 2;
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
