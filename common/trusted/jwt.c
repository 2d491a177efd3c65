/* SPDX-License-Identifier: ISC */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include <sodium.h>

#include "jwt.h"

/* JSON string escaping as serde_json does it: ", \ and control bytes. */
static int
escape(char *out, size_t cap, const char *s)
{
	static const char	 from[] = "\"\\\b\f\n\r\t", to[] = "\"\\bfnrt";
	const char		*e;
	size_t			 n = 0;

	for (; *s != '\0'; s++) {
		if (cap - n < 7)
			return -1;
		if ((e = strchr(from, *s)) != NULL) {
			out[n++] = '\\';
			out[n++] = to[e - from];
		} else if ((unsigned char)*s < 0x20)
			n += (size_t)snprintf(out + n, cap - n, "\\u%04x",
			    (unsigned char)*s);
		else
			out[n++] = *s;
	}
	out[n] = '\0';
	return 0;
}

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
jwt_build(char *out, size_t cap, const struct identity *id, uint32_t twin,
    const char *sid, uint64_t iat, uint64_t exp)
{
	char	esc[6 * JWT_SID_MAX + 1], claims[256];
	uint8_t	sig[SIG65_BYTES];
	size_t	n;
	int	k;

	if (sid != NULL && (strlen(sid) > JWT_SID_MAX ||
	    escape(esc, sizeof(esc), sid) != 0))
		return -1;
	if (sid != NULL)
		k = snprintf(claims, sizeof(claims), "{\"sub\":%" PRIu32
		    ",\"sid\":\"%s\",\"iat\":%" PRIu64 ",\"exp\":%" PRIu64 "}",
		    twin, esc, iat, exp);
	else
		k = snprintf(claims, sizeof(claims), "{\"sub\":%" PRIu32
		    ",\"sid\":null,\"iat\":%" PRIu64 ",\"exp\":%" PRIu64 "}",
		    twin, iat, exp);
	if (k < 0 || (size_t)k >= sizeof(claims))
		return -1;
	n = strlen(JWT_HEADER_B64);
	if (cap <= n + 1)
		return -1;
	memcpy(out, JWT_HEADER_B64 ".", n + 1);
	n++;
	if (put_b64url(out, cap, &n, (const uint8_t *)claims, (size_t)k) != 0)
		return -1;
	if (identity_sign(id, sig, (const uint8_t *)out, n) != 0)
		return -1;
	if (cap - n < 2)
		return -1;
	out[n++] = '.';
	if (put_b64url(out, cap, &n, sig, sizeof(sig)) != 0)
		return -1;
	sodium_memzero(sig, sizeof(sig));
	return (int)n;
}
