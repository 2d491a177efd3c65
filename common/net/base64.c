/* SPDX-License-Identifier: ISC */
#include <sodium.h>

#include "base64.h"

size_t
b64_encoded_len(size_t n)
{
	return (n + 2) / 3 * 4;
}

size_t
b64url_encoded_len(size_t n)
{
	return n / 3 * 4 + (n % 3 == 0 ? 0 : n % 3 + 1);
}

static int
encode(char *out, size_t cap, const uint8_t *in, size_t len, int variant,
    size_t need)
{
	if (need >= cap)
		return -1;
	sodium_bin2base64(out, cap, in, len, variant);
	return 0;
}

int
b64_encode(char *out, size_t cap, const uint8_t *in, size_t len)
{
	return encode(out, cap, in, len, sodium_base64_VARIANT_ORIGINAL,
	    b64_encoded_len(len));
}

int
b64url_encode(char *out, size_t cap, const uint8_t *in, size_t len)
{
	return encode(out, cap, in, len,
	    sodium_base64_VARIANT_URLSAFE_NO_PADDING, b64url_encoded_len(len));
}

static int
decode(uint8_t *out, size_t cap, size_t *outlen, const char *in,
    size_t len, int variant)
{
	const char	*end;

	if (len % 4 == 1)
		return -1;
	if (sodium_base642bin(out, cap, in, len, NULL, outlen, &end,
	    variant) != 0 || end != in + len)
		return -1;
	return 0;
}

int
b64_decode(uint8_t *out, size_t cap, size_t *outlen, const char *in,
    size_t len)
{
	/* Padded input is a multiple of 4; anything else is read unpadded. */
	return decode(out, cap, outlen, in, len, len % 4 == 0 ?
	    sodium_base64_VARIANT_ORIGINAL :
	    sodium_base64_VARIANT_ORIGINAL_NO_PADDING);
}

int
b64url_decode(uint8_t *out, size_t cap, size_t *outlen, const char *in,
    size_t len)
{
	return decode(out, cap, outlen, in, len,
	    sodium_base64_VARIANT_URLSAFE_NO_PADDING);
}
