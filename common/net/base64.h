/* SPDX-License-Identifier: ISC */
/*
 * Base64 as rmb uses it: standard alphabet with padding for JSON `dat`
 * (read padding-indifferent, like the reference's base64 0.13 STANDARD),
 * and the URL-safe alphabet without padding for JWTs.  Both decoders
 * reject whitespace, any other byte outside the alphabet and non-zero
 * trailing bits.
 */
#ifndef RMB_BASE64_H
#define RMB_BASE64_H

#include <stddef.h>
#include <stdint.h>

/* Length of the encoding without the NUL. */
size_t	b64_encoded_len(size_t n);
size_t	b64url_encoded_len(size_t n);

/* Encode into out (cap includes the NUL).  Return 0, or -1 if too small. */
int	b64_encode(char *out, size_t cap, const uint8_t *in, size_t len);
int	b64url_encode(char *out, size_t cap, const uint8_t *in, size_t len);

/* Decode into out (capacity cap); *outlen gets the size.  Return 0 or -1. */
int	b64_decode(uint8_t *out, size_t cap, size_t *outlen, const char *in,
	    size_t len);
int	b64url_decode(uint8_t *out, size_t cap, size_t *outlen,
	    const char *in, size_t len);

#endif
