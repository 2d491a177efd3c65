/* SPDX-License-Identifier: ISC */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include <sodium.h>

#include "jwt.h"

/* Writes base64url (no padding) of in at out + *n, NUL-terminated. */
static int
put_b64url(char *out, size_t cap, size_t *n, const uint8_t *in, size_t len)
{
	const int	v = sodium_base64_VARIANT_URLSAFE_NO_PADDING;

	if (cap - *n < sodium_base64_ENCODED_LEN(len, v))
		return -1;
	sodium_bin2base64(out + *n, cap - *n, in, len, v);
	*n += sodium_base64_ENCODED_LEN(len, v) - 1;
	return 0;
}

int
jwt_sign(char *out, size_t cap, const struct identity *id,
    const char *claims, size_t len)
{
	uint8_t	sig[SIG65_BYTES];
	size_t	n = strlen(JWT_HEADER_B64);

	if (cap <= n + 1)
		return -1;
	memcpy(out, JWT_HEADER_B64 ".", n + 1);
	n++;
	if (put_b64url(out, cap, &n, (const uint8_t *)claims, len) != 0 ||
	    identity_sign(id, sig, (const uint8_t *)out, n) != 0 ||
	    cap - n < 2)
		return -1;
	out[n++] = '.';
	if (put_b64url(out, cap, &n, sig, sizeof(sig)) != 0)
		return -1;
	sodium_memzero(sig, sizeof(sig));
	return (int)n;
}

int
jwt_build(char *out, size_t cap, const struct identity *id, uint32_t twin,
    uint64_t iat, uint64_t exp)
{
	char	claims[128];
	int	k;

	k = snprintf(claims, sizeof(claims), "{\"sub\":%" PRIu32
	    ",\"sid\":null,\"iat\":%" PRIu64 ",\"exp\":%" PRIu64 "}", twin,
	    iat, exp);
	if (k < 0 || (size_t)k >= sizeof(claims))
		return -1;
	return jwt_sign(out, cap, id, claims, (size_t)k);
}
