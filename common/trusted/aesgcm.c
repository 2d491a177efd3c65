/* SPDX-License-Identifier: ISC */
#include <string.h>

#include <sodium.h>

#include "aesgcm.h"

/*
 * The portable AES is bitsliced so that no table is indexed and no branch
 * taken on secret data: four blocks live in eight uint64_t, bit i of row
 * r, column c of block b being bit 16r + 4c + b of q[i].
 */

#define AES_ROUNDS	14
#define ROR(x, n)	((x) >> (n) | (x) << (64 - (n)))

static enum aesgcm_impl selected = AESGCM_AUTO;

/*
 * Swaps bit j of q[k] with bit k of q[j] in each byte; being its own
 * inverse, it both slices and unslices.
 */
static void
transpose_bits(uint64_t q[8])
{
	static const uint64_t	m[3] = { 0x5555555555555555ULL,
	    0x3333333333333333ULL, 0x0f0f0f0f0f0f0f0fULL };
	uint64_t		t;
	int			k, s;

	for (s = 0; s < 3; s++)
		for (k = 0; k < 8; k++) {
			if (k & 1 << s)
				continue;
			t = (q[k] >> (1 << s) ^ q[k | 1 << s]) & m[s];
			q[k | 1 << s] ^= t;
			q[k] ^= t << (1 << s);
		}
}

/*
 * Byte 16b + 4c + r of buf goes to byte 2r + c / 2 of q[4(c % 2) + b],
 * which transpose_bits turns into the layout above.
 */
#define SLICE_AT(k, j) \
	((k) % 4 * 16 + (k) / 4 * 4 + (j) % 2 * 8 + (j) / 2)

static void
slice(uint64_t q[8], const uint8_t buf[64])
{
	int	j, k;

	for (k = 0; k < 8; k++)
		for (q[k] = 0, j = 7; j >= 0; j--)
			q[k] = q[k] << 8 | buf[SLICE_AT(k, j)];
	transpose_bits(q);
}

static void
unslice(uint8_t buf[64], uint64_t q[8])
{
	int	j, k;

	transpose_bits(q);
	for (k = 0; k < 8; k++)
		for (j = 0; j < 8; j++)
			buf[SLICE_AT(k, j)] = (uint8_t)(q[k] >> 8 * j);
}

/*
 * SubBytes on the bit planes, by Boyar and Peralta's 115-gate circuit
 * (32 AND, 83 XOR/XNOR); x0 and s0 are the most significant bits.
 */
static void
sbox(uint64_t q[8])
{
	const uint64_t x0 = q[7], x1 = q[6], x2 = q[5], x3 = q[4], x4 = q[3],
	    x5 = q[2], x6 = q[1], x7 = q[0];
	const uint64_t
	    y14 = x3 ^ x5, y13 = x0 ^ x6, y9 = x0 ^ x3, y8 = x0 ^ x5,
	    t0 = x1 ^ x2, y1 = t0 ^ x7, y4 = y1 ^ x3, y12 = y13 ^ y14,
	    y2 = y1 ^ x0, y5 = y1 ^ x6, y3 = y5 ^ y8, t1 = x4 ^ y12,
	    y15 = t1 ^ x5, y20 = t1 ^ x1, y6 = y15 ^ x7, y10 = y15 ^ t0,
	    y11 = y20 ^ y9, y7 = x7 ^ y11, y17 = y10 ^ y11, y19 = y10 ^ y8,
	    y16 = t0 ^ y11, y21 = y13 ^ y16, y18 = x0 ^ y16;
	const uint64_t
	    t2 = y12 & y15, t3 = y3 & y6, t4 = t3 ^ t2, t5 = y4 & x7,
	    t6 = t5 ^ t2, t7 = y13 & y16, t8 = y5 & y1, t9 = t8 ^ t7,
	    t10 = y2 & y7, t11 = t10 ^ t7, t12 = y9 & y11, t13 = y14 & y17,
	    t14 = t13 ^ t12, t15 = y8 & y10, t16 = t15 ^ t12, t17 = t4 ^ t14,
	    t18 = t6 ^ t16, t19 = t9 ^ t14, t20 = t11 ^ t16, t21 = t17 ^ y20,
	    t22 = t18 ^ y19, t23 = t19 ^ y21, t24 = t20 ^ y18,
	    t25 = t21 ^ t22, t26 = t21 & t23, t27 = t24 ^ t26, t28 = t25 & t27,
	    t29 = t28 ^ t22, t30 = t23 ^ t24, t31 = t22 ^ t26, t32 = t31 & t30,
	    t33 = t32 ^ t24, t34 = t23 ^ t33, t35 = t27 ^ t33, t36 = t24 & t35,
	    t37 = t36 ^ t34, t38 = t27 ^ t36, t39 = t29 & t38, t40 = t25 ^ t39,
	    t41 = t40 ^ t37, t42 = t29 ^ t33, t43 = t29 ^ t40, t44 = t33 ^ t37,
	    t45 = t42 ^ t41,
	    z0 = t44 & y15, z1 = t37 & y6, z2 = t33 & x7, z3 = t43 & y16,
	    z4 = t40 & y1, z5 = t29 & y7, z6 = t42 & y11, z7 = t45 & y17,
	    z8 = t41 & y10, z9 = t44 & y12, z10 = t37 & y3, z11 = t33 & y4,
	    z12 = t43 & y13, z13 = t40 & y5, z14 = t29 & y2, z15 = t42 & y9,
	    z16 = t45 & y14, z17 = t41 & y8;
	const uint64_t
	    t46 = z15 ^ z16, t47 = z10 ^ z11, t48 = z5 ^ z13, t49 = z9 ^ z10,
	    t50 = z2 ^ z12, t51 = z2 ^ z5, t52 = z7 ^ z8, t53 = z0 ^ z3,
	    t54 = z6 ^ z7, t55 = z16 ^ z17, t56 = z12 ^ t48, t57 = t50 ^ t53,
	    t58 = z4 ^ t46, t59 = z3 ^ t54, t60 = t46 ^ t57, t61 = z14 ^ t57,
	    t62 = t52 ^ t58, t63 = t49 ^ t58, t64 = z4 ^ t59, t65 = t61 ^ t62,
	    t66 = z1 ^ t63, t67 = t64 ^ t65, s3 = t53 ^ t66;

	q[7] = t59 ^ t63;
	q[6] = t64 ^ ~s3;
	q[5] = t55 ^ ~t67;
	q[4] = s3;
	q[3] = t51 ^ t66;
	q[2] = t47 ^ t65;
	q[1] = t56 ^ ~t62;
	q[0] = t48 ^ ~t60;
}

/* Row r of column c moves to column c - r. */
static void
shift_rows(uint64_t q[8])
{
	int	i;

	for (i = 0; i < 8; i++)
		q[i] = (q[i] & 0xffff) |
		    (q[i] >> 4 & 0x0fff0000) | (q[i] << 12 & 0xf0000000) |
		    (q[i] >> 8 & 0x00ff00000000ULL) |
		    (q[i] << 8 & 0xff0000000000ULL) |
		    (q[i] >> 12 & 0x000f000000000000ULL) |
		    (q[i] << 4 & 0xfff0000000000000ULL);
}

/*
 * Row r becomes 2(a_r + a_r+1) + a_r+1 + a_r+2 + a_r+3, indices mod 4;
 * doubling shifts the planes up and folds bit 7 back as x^4 + x^3 + x + 1.
 */
static void
mix_columns(uint64_t q[8])
{
	uint64_t	r[8], t[8];
	int		i;

	for (i = 0; i < 8; i++) {
		r[i] = ROR(q[i], 16);
		t[i] = q[i] ^ r[i];
	}
	for (i = 0; i < 8; i++)
		q[i] = r[i] ^ ROR(t[i], 32) ^ (i > 0 ? t[i - 1] : 0) ^
		    (0x1b >> i & 1 ? t[7] : 0);
}

/* Encrypts the four blocks in buf in place. */
static void
aes_encrypt4(uint8_t buf[64], const uint64_t rk[8 * (AES_ROUNDS + 1)])
{
	uint64_t	q[8];
	int		i, r;

	slice(q, buf);
	for (r = 0; r <= AES_ROUNDS; r++) {
		if (r > 0) {
			sbox(q);
			shift_rows(q);
		}
		if (r > 0 && r < AES_ROUNDS)
			mix_columns(q);
		for (i = 0; i < 8; i++)
			q[i] ^= rk[8 * r + i];
	}
	unslice(buf, q);
	sodium_memzero(q, sizeof(q));
}

/* Each round key is sliced with one copy per block. */
static void
expand_key(uint64_t rk[8 * (AES_ROUNDS + 1)], const uint8_t key[32])
{
	uint8_t		w[16 * (AES_ROUNDS + 1)], b[64] = { 0 };
	uint64_t	q[8];
	size_t		i, j;

	memcpy(w, key, 32);
	for (i = 32; i < sizeof(w); i += 4) {
		for (j = 0; j < 4; j++)
			b[j] = w[i - 4 + (i % 32 == 0 ? (j + 1) % 4 : j)];
		if (i % 16 == 0) {
			slice(q, b);
			sbox(q);
			unslice(b, q);
		}
		/* AES-256 needs rcon only up to 0x40, which never reduces. */
		if (i % 32 == 0)
			b[0] ^= (uint8_t)(1 << (i / 32 - 1));
		for (j = 0; j < 4; j++)
			w[i + j] = w[i - 32 + j] ^ b[j];
	}
	for (i = 0; i <= AES_ROUNDS; i++) {
		for (j = 0; j < sizeof(b); j++)
			b[j] = w[16 * i + j % 16];
		slice(rk + 8 * i, b);
	}
	sodium_memzero(w, sizeof(w));
	sodium_memzero(b, sizeof(b));
	sodium_memzero(q, sizeof(q));
}

void
aesgcm_portable_block(uint8_t out[16], const uint8_t in[16],
    const uint8_t key[AESGCM_KEY_BYTES])
{
	uint64_t	rk[8 * (AES_ROUNDS + 1)];
	uint8_t		buf[64] = { 0 };

	expand_key(rk, key);
	memcpy(buf, in, 16);
	aes_encrypt4(buf, rk);
	memcpy(out, buf, 16);
	sodium_memzero(rk, sizeof(rk));
	sodium_memzero(buf, sizeof(buf));
}

/*
 * Absorbs len bytes into y, zero-padding the last block.  Multiplying by
 * H adds up H x^j (halves hx[2j], hx[2j + 1]) for the set bits j of y,
 * masked, not branched.
 */
static void
ghash(uint64_t y[2], const uint64_t hx[256], const uint8_t *p, size_t len)
{
	uint64_t	z[2], x, m;
	size_t		i, j;

	for (i = 0; i < len; i++) {
		y[i / 8 % 2] ^= (uint64_t)p[i] << (56 - 8 * (i % 8));
		if (i % 16 != 15 && i != len - 1)
			continue;
		for (z[0] = z[1] = 0, x = y[0], j = 0; j < 128; j++, x <<= 1) {
			if (j == 64)
				x = y[1];
			m = 0 - (x >> 63);
			z[0] ^= hx[2 * j] & m;
			z[1] ^= hx[2 * j + 1] & m;
		}
		y[0] = z[0];
		y[1] = z[1];
	}
	sodium_memzero(z, sizeof(z));
	sodium_memzero(&x, sizeof(x));
	sodium_memzero(&m, sizeof(m));
}

/*
 * Seals in to out and appends the tag, or opens in to out and returns -1
 * if its tag does not match (the caller then wipes out).  Four counter
 * blocks are encrypted a pass, and each chunk of ciphertext hashed as it
 * goes by, before it is overwritten when out is in.
 */
static int
portable_gcm(uint8_t *out, const uint8_t *in, size_t len,
    const uint8_t nonce[12], const uint8_t key[32], int seal)
{
	uint64_t	rk[8 * (AES_ROUNDS + 1)], hx[256] = { 0 };
	uint64_t	y[2] = { 0, 0 }, m;
	uint8_t		ks[64] = { 0 }, ej0[16], tag[16];
	uint32_t	ctr;
	size_t		i, n, off;
	int		r;

	expand_key(rk, key);
	/* H = E(K, 0) and E(K, J0), J0 = nonce || 1, which masks the tag. */
	memcpy(ks + 16, nonce, 12);
	ks[31] = 1;
	aes_encrypt4(ks, rk);
	memcpy(ej0, ks + 16, 16);
	for (i = 0; i < 16; i++)
		hx[i / 8] = hx[i / 8] << 8 | ks[i];
	/* x is a right shift in GCM's bit-reflected order. */
	for (i = 2; i < 256; i += 2) {
		m = 0 - (hx[i - 1] & 1);
		hx[i + 1] = hx[i - 1] >> 1 | hx[i - 2] << 63;
		hx[i] = hx[i - 2] >> 1 ^ (0xe100000000000000ULL & m);
	}
	for (off = 0, ctr = 2; off < len; off += n, ctr += 4) {
		for (i = 0; i < sizeof(ks); i++)
			ks[i] = i % 16 < 12 ? nonce[i % 16] :
			    (uint8_t)((ctr + i / 16) >> (8 * (15 - i % 16)));
		aes_encrypt4(ks, rk);
		n = len - off < sizeof(ks) ? len - off : sizeof(ks);
		if (!seal)
			ghash(y, hx, in + off, n);
		for (i = 0; i < n; i++)
			out[off + i] = in[off + i] ^ ks[i];
		if (seal)
			ghash(y, hx, out + off, n);
	}
	for (i = 0; i < 16; i++)
		tag[i] = i < 8 ? 0 :
		    (uint8_t)((uint64_t)len * 8 >> (120 - 8 * i));
	ghash(y, hx, tag, sizeof(tag));
	for (i = 0; i < 16; i++)
		tag[i] = (uint8_t)(y[i / 8] >> (56 - 8 * (i % 8))) ^ ej0[i];
	if (seal)
		memcpy(out + len, tag, sizeof(tag));
	r = seal ? 0 : sodium_memcmp(tag, in + len, sizeof(tag));
	sodium_memzero(rk, sizeof(rk));
	sodium_memzero(hx, sizeof(hx));
	sodium_memzero(y, sizeof(y));
	sodium_memzero(ks, sizeof(ks));
	sodium_memzero(ej0, sizeof(ej0));
	sodium_memzero(tag, sizeof(tag));
	sodium_memzero(&ctr, sizeof(ctr));
	sodium_memzero(&m, sizeof(m));
	return r;
}

static int
use_sodium(void)
{
	return selected == AESGCM_SODIUM || (selected == AESGCM_AUTO &&
	    crypto_aead_aes256gcm_is_available());
}

int
aesgcm_select(enum aesgcm_impl impl)
{
	if ((impl != AESGCM_AUTO && impl != AESGCM_SODIUM &&
	    impl != AESGCM_PORTABLE) || (impl == AESGCM_SODIUM &&
	    !crypto_aead_aes256gcm_is_available()))
		return -1;
	selected = impl;
	return 0;
}

const char *
aesgcm_impl_name(void)
{
	return use_sodium() ? "libsodium (AES-NI)" :
	    "portable (constant-time)";
}

int
aesgcm_seal(uint8_t *out, const uint8_t *in, size_t len,
    const uint8_t nonce[AESGCM_NONCE_BYTES],
    const uint8_t key[AESGCM_KEY_BYTES])
{
	static const uint8_t	empty[1];
	unsigned long long	clen;

	if ((unsigned long long)len > AESGCM_MAX_BYTES)
		return -1;
	if (in == NULL)
		in = empty;
	if (!use_sodium())
		return portable_gcm(out, in, len, nonce, key, 1);
	return crypto_aead_aes256gcm_encrypt(out, &clen, in, len, NULL, 0,
	    NULL, nonce, key) == 0 ? 0 : -1;
}

int
aesgcm_open(uint8_t *out, const uint8_t *in, size_t clen,
    const uint8_t nonce[AESGCM_NONCE_BYTES],
    const uint8_t key[AESGCM_KEY_BYTES])
{
	uint8_t			dummy[1];
	unsigned long long	mlen;
	size_t			len;
	int			r;

	if (clen < AESGCM_TAG_BYTES)
		return -1;
	len = clen - AESGCM_TAG_BYTES;
	if ((unsigned long long)len > AESGCM_MAX_BYTES)
		return -1;
	if (out == NULL)
		out = dummy;
	if (use_sodium())
		r = crypto_aead_aes256gcm_decrypt(out, &mlen, NULL, in, clen,
		    NULL, 0, nonce, key);
	else
		r = portable_gcm(out, in, len, nonce, key, 0);
	if (r != 0 && len > 0)
		sodium_memzero(out, len);
	return r == 0 ? 0 : -1;
}
