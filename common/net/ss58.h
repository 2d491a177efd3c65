/* SPDX-License-Identifier: ISC */
/*
 * Base58 (Bitcoin alphabet) and SS58 addresses of 32-byte accounts with the
 * generic Substrate prefix 42 (doc/protocol.md §1.5).  Addresses appear only
 * in logs, tests and the nonce RPC, never on the wire.
 */
#ifndef RMB_SS58_H
#define RMB_SS58_H

#include <stddef.h>
#include <stdint.h>

#define SS58_PREFIX		42

/* 35 bytes take at most 48 base58 digits; the size includes the NUL. */
#define SS58_ADDR_SIZE		49

/* Longest input either base58 direction accepts, to bound the work. */
#define BASE58_BYTES_MAX	128
#define BASE58_TEXT_MAX		176

/* Writes the NUL-terminated encoding of len bytes; -1 if cap is short. */
int	base58_encode(char *out, size_t cap, const uint8_t *in, size_t len);

/* Decodes a NUL-terminated string; -1 on a bad digit or overflow. */
int	base58_decode(uint8_t *out, size_t cap, size_t *outlen, const char *s);

/* base58(42 ‖ account ‖ blake2b-512("SS58PRE" ‖ 42 ‖ account)[0..2]). */
int	ss58_encode(char *out, size_t cap, const uint8_t account[32]);

/* Checks the prefix (42 only), the length and the checksum. */
int	ss58_decode(uint8_t account[32], const char *s);

#endif
