/* SPDX-License-Identifier: ISC */
#include <string.h>

#include "md5.h"

/* floor(abs(sin(i + 1)) * 2^32), RFC 1321 section 3.4. */
static const uint32_t md5_t[64] = {
	0xd76aa478, 0xe8c7b756, 0x242070db, 0xc1bdceee,
	0xf57c0faf, 0x4787c62a, 0xa8304613, 0xfd469501,
	0x698098d8, 0x8b44f7af, 0xffff5bb1, 0x895cd7be,
	0x6b901122, 0xfd987193, 0xa679438e, 0x49b40821,
	0xf61e2562, 0xc040b340, 0x265e5a51, 0xe9b6c7aa,
	0xd62f105d, 0x02441453, 0xd8a1e681, 0xe7d3fbc8,
	0x21e1cde6, 0xc33707d6, 0xf4d50d87, 0x455a14ed,
	0xa9e3e905, 0xfcefa3f8, 0x676f02d9, 0x8d2a4c8a,
	0xfffa3942, 0x8771f681, 0x6d9d6122, 0xfde5380c,
	0xa4beea44, 0x4bdecfa9, 0xf6bb4b60, 0xbebfbc70,
	0x289b7ec6, 0xeaa127fa, 0xd4ef3085, 0x04881d05,
	0xd9d4d039, 0xe6db99e5, 0x1fa27cf8, 0xc4ac5665,
	0xf4292244, 0x432aff97, 0xab9423a7, 0xfc93a039,
	0x655b59c3, 0x8f0ccc92, 0xffeff47d, 0x85845dd1,
	0x6fa87e4f, 0xfe2ce6e0, 0xa3014314, 0x4e0811a1,
	0xf7537e82, 0xbd3af235, 0x2ad7d2bb, 0xeb86d391,
};

/* Left-rotation amounts, four per round. */
static const uint8_t md5_s[4][4] = {
	{ 7, 12, 17, 22 },
	{ 5, 9, 14, 20 },
	{ 4, 11, 16, 23 },
	{ 6, 10, 15, 21 },
};

static uint32_t
rol32(uint32_t x, unsigned int n)
{
	return x << n | x >> (32 - n);
}

static void
md5_block(uint32_t state[4], const uint8_t *p)
{
	uint32_t	m[16], a, b, c, d, f, t;
	unsigned int	i, g;

	for (i = 0; i < 16; i++)
		m[i] = (uint32_t)p[4 * i] | (uint32_t)p[4 * i + 1] << 8 |
		    (uint32_t)p[4 * i + 2] << 16 | (uint32_t)p[4 * i + 3] << 24;
	a = state[0];
	b = state[1];
	c = state[2];
	d = state[3];
	for (i = 0; i < 64; i++) {
		switch (i / 16) {
		case 0:
			f = (b & c) | (~b & d);
			g = i;
			break;
		case 1:
			f = (b & d) | (c & ~d);
			g = (5 * i + 1) % 16;
			break;
		case 2:
			f = b ^ c ^ d;
			g = (3 * i + 5) % 16;
			break;
		default:
			f = c ^ (b | ~d);
			g = (7 * i) % 16;
			break;
		}
		t = d;
		d = c;
		c = b;
		b = b + rol32(a + f + md5_t[i] + m[g], md5_s[i / 16][i % 4]);
		a = t;
	}
	state[0] += a;
	state[1] += b;
	state[2] += c;
	state[3] += d;
}

void
md5_init(struct md5_ctx *ctx)
{
	ctx->state[0] = 0x67452301;
	ctx->state[1] = 0xefcdab89;
	ctx->state[2] = 0x98badcfe;
	ctx->state[3] = 0x10325476;
	ctx->count = 0;
}

void
md5_update(struct md5_ctx *ctx, const void *in, size_t len)
{
	const uint8_t	*p = in;
	size_t		 used, n;

	used = ctx->count % MD5_BLOCK_BYTES;
	ctx->count += len;
	if (used > 0) {
		n = MD5_BLOCK_BYTES - used;
		if (n > len)
			n = len;
		memcpy(ctx->buf + used, p, n);
		p += n;
		len -= n;
		if (used + n < MD5_BLOCK_BYTES)
			return;
		md5_block(ctx->state, ctx->buf);
	}
	for (; len >= MD5_BLOCK_BYTES; len -= MD5_BLOCK_BYTES) {
		md5_block(ctx->state, p);
		p += MD5_BLOCK_BYTES;
	}
	if (len > 0)
		memcpy(ctx->buf, p, len);
}

void
md5_final(struct md5_ctx *ctx, uint8_t out[MD5_DIGEST_BYTES])
{
	uint8_t		pad[MD5_BLOCK_BYTES + 8];
	uint64_t	bits = ctx->count * 8;
	size_t		padlen, i;

	/* Pad with 0x80 and zeros to 56 mod 64, then the bit length. */
	padlen = MD5_BLOCK_BYTES - (ctx->count + 8) % MD5_BLOCK_BYTES;
	memset(pad, 0, sizeof(pad));
	pad[0] = 0x80;
	for (i = 0; i < 8; i++)
		pad[padlen + i] = (uint8_t)(bits >> (8 * i));
	md5_update(ctx, pad, padlen + 8);
	for (i = 0; i < 4; i++) {
		out[4 * i] = (uint8_t)ctx->state[i];
		out[4 * i + 1] = (uint8_t)(ctx->state[i] >> 8);
		out[4 * i + 2] = (uint8_t)(ctx->state[i] >> 16);
		out[4 * i + 3] = (uint8_t)(ctx->state[i] >> 24);
	}
	memset(ctx, 0, sizeof(*ctx));
}

void
md5(uint8_t out[MD5_DIGEST_BYTES], const void *in, size_t len)
{
	struct md5_ctx	ctx;

	md5_init(&ctx);
	md5_update(&ctx, in, len);
	md5_final(&ctx, out);
}
