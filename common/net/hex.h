/* SPDX-License-Identifier: ISC */
/* Lower-case hex encoding and strict decoding, on libsodium's codecs. */
#ifndef RMB_HEX_H
#define RMB_HEX_H

#include <stddef.h>
#include <stdint.h>

/* Writes 2*len hex digits and a NUL to out, which holds 2*len+1 bytes. */
void	hex_encode(char *out, const uint8_t *in, size_t len);

/*
 * Decodes exactly outlen bytes from the first 2*outlen characters of in
 * (upper or lower case); in must be exactly that long.  Returns 0, or -1
 * on a wrong length or a non-hex digit.
 */
int	hex_decode(uint8_t *out, size_t outlen, const char *in, size_t inlen);

/*
 * Decodes hex of any even length into out (capacity outcap); sets *outlen.
 * Returns 0, or -1 on odd length, bad digit or overflow.
 */
int	hex_decode_any(uint8_t *out, size_t outcap, size_t *outlen,
	    const char *in, size_t inlen);

#endif
