/* SPDX-License-Identifier: ISC */
/*
 * MD5 (RFC 1321).  Used only because the envelope challenge is defined
 * over an MD5 digest; it is not a security primitive here.
 */
#ifndef RMB_MD5_H
#define RMB_MD5_H

#include <stddef.h>
#include <stdint.h>

#define MD5_DIGEST_BYTES	16
#define MD5_BLOCK_BYTES		64

struct md5_ctx {
	uint32_t	state[4];
	uint64_t	count;		/* bytes hashed so far */
	uint8_t		buf[MD5_BLOCK_BYTES];
};

void	md5_init(struct md5_ctx *ctx);
void	md5_update(struct md5_ctx *ctx, const void *in, size_t len);
/* Writes the digest and clears the context. */
void	md5_final(struct md5_ctx *ctx, uint8_t out[MD5_DIGEST_BYTES]);
void	md5(uint8_t out[MD5_DIGEST_BYTES], const void *in, size_t len);

#endif
