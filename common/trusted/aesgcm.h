/* SPDX-License-Identifier: ISC */
/*
 * AES-256-GCM with a 12-byte nonce, no associated data and a 16-byte tag
 * appended to the ciphertext, from nettle, which uses the CPU's AES and
 * carry-less multiply instructions where it finds them (as fast as
 * libsodium's AES-NI code, which needs them) and lookup tables, not
 * constant-time, where not.
 */
#ifndef RMB_AESGCM_H
#define RMB_AESGCM_H

#include <stddef.h>
#include <stdint.h>

#define AESGCM_KEY_BYTES	32
#define AESGCM_NONCE_BYTES	12
#define AESGCM_TAG_BYTES	16
/* GCM's own limit, (2^32 - 2) blocks of plaintext. */
#define AESGCM_MAX_BYTES	(16ULL * ((1ULL << 32) - 2))

/*
 * Encrypts len bytes of in to out, which holds len + AESGCM_TAG_BYTES
 * (ciphertext, then tag).  out may equal in.  Returns -1 only if len
 * exceeds AESGCM_MAX_BYTES.
 */
int	 aesgcm_seal(uint8_t *out, const uint8_t *in, size_t len,
	    const uint8_t nonce[AESGCM_NONCE_BYTES],
	    const uint8_t key[AESGCM_KEY_BYTES]);

/*
 * Checks the tag and decrypts clen - AESGCM_TAG_BYTES bytes to out, which
 * may equal in.  Returns -1 if clen is shorter than a tag or the tag does
 * not match; out is then all zeros.
 */
int	 aesgcm_open(uint8_t *out, const uint8_t *in, size_t clen,
	    const uint8_t nonce[AESGCM_NONCE_BYTES],
	    const uint8_t key[AESGCM_KEY_BYTES]);

#endif
