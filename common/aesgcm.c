#include <string.h>

#include <sodium.h>

#include "aesgcm.h"

/*
 * The portable AES keeps 8 state bytes in each uint64_t and computes the
 * S-box arithmetically on all 8 lanes at once, so no table is ever
 * indexed by a secret.  A block is two words: word 0 holds columns 0
 * and 1, word 1 columns 2 and 3, each column little-endian (row r in
 * bits 8r..8r+7).
 */

#define AES_ROUNDS	14
#define PAR_BLOCKS	4			/* CTR blocks per AES pass */
#define PAR_WORDS	(2 * PAR_BLOCKS)

_Static_assert(PAR_BLOCKS >= 2, "gcm_start encrypts two blocks in one pass");

#define LANE_LO		0x0101010101010101ULL

struct gcm_state {
	uint64_t	rk[2 * (AES_ROUNDS + 1)];
	uint64_t	h[2];			/* hash key, big-endian halves */
	uint64_t	y[2];			/* running GHASH */
	uint8_t		ej0[16];		/* E(K, J0), masks the tag */
	uint8_t		ks[16 * PAR_BLOCKS];	/* keystream */
};

static enum aesgcm_impl selected = AESGCM_AUTO;

/* Turns a 0 or 1 in each byte lane into 0x00 or 0xff. */
static inline uint64_t
lanemask(uint64_t bits)
{
	return (bits << 8) - bits;
}

/* Multiplies each byte lane by x modulo x^8 + x^4 + x^3 + x + 1. */
static inline uint64_t
xtime8(uint64_t a)
{
	uint64_t	hi = (a >> 7) & LANE_LO;

	return ((a & 0x7f7f7f7f7f7f7f7fULL) << 1) ^
	    (lanemask(hi) & 0x1b1b1b1b1b1b1b1bULL);
}

/* r = a * b in GF(2^8), lane by lane; r may alias a or b. */
static void
gf8_mul(uint64_t *r, const uint64_t *a, const uint64_t *b, size_t n)
{
	uint64_t	t[PAR_WORDS], acc[PAR_WORDS];
	size_t		i, j;

	for (j = 0; j < n; j++) {
		t[j] = a[j];
		acc[j] = 0;
	}
	for (i = 0; i < 8; i++) {
		for (j = 0; j < n; j++) {
			acc[j] ^= t[j] & lanemask((b[j] >> i) & LANE_LO);
			t[j] = xtime8(t[j]);
		}
	}
	for (j = 0; j < n; j++)
		r[j] = acc[j];
}

/*
 * Raising to 2^k is linear over GF(2), so r = a^(2^k) is the XOR of the
 * images of the set bits of a: m[i] = (x^i)^(2^k) in every lane.
 */
static void
gf8_frobenius(uint64_t *r, const uint64_t *a, size_t n, const uint64_t m[8])
{
	uint64_t	acc[PAR_WORDS];
	size_t		i, j;

	for (j = 0; j < n; j++)
		acc[j] = 0;
	for (i = 0; i < 8; i++)
		for (j = 0; j < n; j++)
			acc[j] ^= lanemask((a[j] >> i) & LANE_LO) & m[i];
	for (j = 0; j < n; j++)
		r[j] = acc[j];
}

static const uint64_t pow2[8] = {
	0x01 * LANE_LO, 0x04 * LANE_LO, 0x10 * LANE_LO, 0x40 * LANE_LO,
	0x1b * LANE_LO, 0x6c * LANE_LO, 0xab * LANE_LO, 0x9a * LANE_LO,
};
static const uint64_t pow4[8] = {
	0x01 * LANE_LO, 0x10 * LANE_LO, 0x1b * LANE_LO, 0xab * LANE_LO,
	0x5e * LANE_LO, 0x97 * LANE_LO, 0xb3 * LANE_LO, 0xc5 * LANE_LO,
};
static const uint64_t pow16[8] = {
	0x01 * LANE_LO, 0x5e * LANE_LO, 0xe4 * LANE_LO, 0xe8 * LANE_LO,
	0x4d * LANE_LO, 0x91 * LANE_LO, 0x1d * LANE_LO, 0x6c * LANE_LO,
};

/* Rotates every byte lane left by k bits, 0 < k < 8. */
static inline uint64_t
rotl8(uint64_t b, unsigned int k)
{
	return ((b << k) & (LANE_LO * (0xffU << k & 0xff))) |
	    ((b >> (8 - k)) & (LANE_LO * (0xffU >> (8 - k))));
}

/* The AES S-box on n words: inversion as x^254, then the affine map. */
static void
sub_bytes(uint64_t *w, size_t n)
{
	uint64_t	x2[PAR_WORDS], x3[PAR_WORDS], x12[PAR_WORDS];
	uint64_t	x14[PAR_WORDS], t[PAR_WORDS];
	size_t		j;

	gf8_frobenius(x2, w, n, pow2);
	gf8_mul(x3, x2, w, n);
	gf8_frobenius(x12, x3, n, pow4);
	gf8_mul(x14, x12, x2, n);
	gf8_mul(t, x12, x3, n);		/* x^15 */
	gf8_frobenius(t, t, n, pow16);	/* x^240 */
	gf8_mul(t, t, x14, n);		/* x^254, the inverse (0 for 0) */
	for (j = 0; j < n; j++)
		w[j] = t[j] ^ rotl8(t[j], 1) ^ rotl8(t[j], 2) ^
		    rotl8(t[j], 3) ^ rotl8(t[j], 4) ^ 0x63 * LANE_LO;
}

/* Row r of column c moves to column c - r. */
static inline void
shift_rows(uint64_t *w)
{
	const uint64_t	m0 = 0x000000ff000000ffULL;
	const uint64_t	m1 = 0x0000ff000000ff00ULL;
	const uint64_t	m2 = 0x00ff000000ff0000ULL;
	const uint64_t	m3 = 0xff000000ff000000ULL;
	uint64_t	a, b, x, y;

	a = w[0];			/* columns 0, 1 */
	b = w[1];			/* columns 2, 3 */
	x = a >> 32 | b << 32;		/* columns 1, 2 */
	y = b >> 32 | a << 32;		/* columns 3, 0 */
	w[0] = (a & m0) | (x & m1) | (b & m2) | (y & m3);
	w[1] = (b & m0) | (y & m1) | (a & m2) | (x & m3);
}

/* b_i = 2a_i + 3a_(i+1) + a_(i+2) + a_(i+3) in each 32-bit column. */
static inline uint64_t
mix_columns(uint64_t w)
{
	uint64_t	r1, r2, r3;

	r1 = ((w >> 8) & 0x00ffffff00ffffffULL) |
	    ((w << 24) & 0xff000000ff000000ULL);
	r2 = ((w >> 16) & 0x0000ffff0000ffffULL) |
	    ((w << 16) & 0xffff0000ffff0000ULL);
	r3 = ((w >> 24) & 0x000000ff000000ffULL) |
	    ((w << 8) & 0xffffff00ffffff00ULL);
	return xtime8(w ^ r1) ^ r1 ^ r2 ^ r3;
}

static uint64_t
load64_le(const uint8_t *p)
{
	uint64_t	v = 0;
	int		i;

	for (i = 7; i >= 0; i--)
		v = v << 8 | p[i];
	return v;
}

static void
store64_le(uint8_t *p, uint64_t v)
{
	int	i;

	for (i = 0; i < 8; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static uint64_t
load64_be(const uint8_t *p)
{
	uint64_t	v = 0;
	int		i;

	for (i = 0; i < 8; i++)
		v = v << 8 | p[i];
	return v;
}

static void
store64_be(uint8_t *p, uint64_t v)
{
	int	i;

	for (i = 0; i < 8; i++)
		p[i] = (uint8_t)(v >> (56 - 8 * i));
}

static void
expand_key(uint64_t rk[2 * (AES_ROUNDS + 1)], const uint8_t key[32])
{
	uint32_t	w[4 * (AES_ROUNDS + 1)], t;
	uint64_t	s;
	uint8_t		rcon = 1;
	size_t		i;

	for (i = 0; i < 8; i++)
		w[i] = (uint32_t)key[4 * i] | (uint32_t)key[4 * i + 1] << 8 |
		    (uint32_t)key[4 * i + 2] << 16 |
		    (uint32_t)key[4 * i + 3] << 24;
	for (i = 8; i < 4 * (AES_ROUNDS + 1); i++) {
		t = w[i - 1];
		if (i % 8 == 0)
			t = t >> 8 | t << 24;
		if (i % 4 == 0) {
			s = t;
			sub_bytes(&s, 1);
			t = (uint32_t)s;
		}
		if (i % 8 == 0) {
			t ^= rcon;
			rcon = (uint8_t)(rcon << 1 ^ (rcon >> 7) * 0x1b);
		}
		w[i] = w[i - 8] ^ t;
	}
	for (i = 0; i <= AES_ROUNDS; i++) {
		rk[2 * i] = (uint64_t)w[4 * i] | (uint64_t)w[4 * i + 1] << 32;
		rk[2 * i + 1] = (uint64_t)w[4 * i + 2] |
		    (uint64_t)w[4 * i + 3] << 32;
	}
	sodium_memzero(w, sizeof(w));
	sodium_memzero(&t, sizeof(t));
	sodium_memzero(&s, sizeof(s));
}

/* Encrypts nblocks (at most PAR_BLOCKS) blocks in place, as words. */
static void
aes_encrypt_words(uint64_t *w, size_t nblocks,
    const uint64_t rk[2 * (AES_ROUNDS + 1)])
{
	size_t	r, b, n = 2 * nblocks;

	for (b = 0; b < nblocks; b++) {
		w[2 * b] ^= rk[0];
		w[2 * b + 1] ^= rk[1];
	}
	for (r = 1; r <= AES_ROUNDS; r++) {
		sub_bytes(w, n);
		for (b = 0; b < nblocks; b++) {
			shift_rows(w + 2 * b);
			if (r < AES_ROUNDS) {
				w[2 * b] = mix_columns(w[2 * b]);
				w[2 * b + 1] = mix_columns(w[2 * b + 1]);
			}
			w[2 * b] ^= rk[2 * r];
			w[2 * b + 1] ^= rk[2 * r + 1];
		}
	}
}

void
aesgcm_portable_block(uint8_t out[16], const uint8_t in[16],
    const uint8_t key[AESGCM_KEY_BYTES])
{
	uint64_t	rk[2 * (AES_ROUNDS + 1)], w[2];

	expand_key(rk, key);
	w[0] = load64_le(in);
	w[1] = load64_le(in + 8);
	aes_encrypt_words(w, 1, rk);
	store64_le(out, w[0]);
	store64_le(out + 8, w[1]);
	sodium_memzero(rk, sizeof(rk));
	sodium_memzero(w, sizeof(w));
}

/*
 * y = y * h in GCM's bit-reflected GF(2^128), one bit per step with
 * masks in place of branches (SP 800-38D algorithm 1).
 */
static void
gf128_mul(uint64_t y[2], const uint64_t h[2])
{
	uint64_t	zh = 0, zl = 0, vh = h[0], vl = h[1], x, m;
	int		i;

	for (i = 0; i < 128; i++) {
		x = i < 64 ? y[0] : y[1];
		m = 0 - ((x >> (63 - (i & 63))) & 1);
		zh ^= vh & m;
		zl ^= vl & m;
		m = 0 - (vl & 1);
		vl = vl >> 1 | vh << 63;
		vh = vh >> 1 ^ (0xe100000000000000ULL & m);
	}
	y[0] = zh;
	y[1] = zl;
}

/* Absorbs len bytes, zero-padding the last partial block. */
static void
ghash_update(struct gcm_state *st, const uint8_t *p, size_t len)
{
	uint8_t	last[16];
	size_t	n;

	for (; len > 0; p += n, len -= n) {
		n = len < 16 ? len : 16;
		if (n < 16) {
			memset(last, 0, sizeof(last));
			memcpy(last, p, n);
			p = last;
		}
		st->y[0] ^= load64_be(p);
		st->y[1] ^= load64_be(p + 8);
		gf128_mul(st->y, st->h);
	}
}

/* Expands the key and derives H and E(K, J0) with J0 = nonce || 1. */
static void
gcm_start(struct gcm_state *st, const uint8_t nonce[12],
    const uint8_t key[32])
{
	uint8_t		j0[16];
	uint64_t	w[4];

	expand_key(st->rk, key);
	memcpy(j0, nonce, 12);
	j0[12] = j0[13] = j0[14] = 0;
	j0[15] = 1;
	w[0] = w[1] = 0;
	w[2] = load64_le(j0);
	w[3] = load64_le(j0 + 8);
	aes_encrypt_words(w, 2, st->rk);
	store64_le(j0, w[0]);
	store64_le(j0 + 8, w[1]);
	st->h[0] = load64_be(j0);
	st->h[1] = load64_be(j0 + 8);
	store64_le(st->ej0, w[2]);
	store64_le(st->ej0 + 8, w[3]);
	st->y[0] = st->y[1] = 0;
	sodium_memzero(w, sizeof(w));
	sodium_memzero(j0, sizeof(j0));
}

/* out = in XOR the keystream of counter blocks 2, 3, ... */
static void
gcm_ctr(struct gcm_state *st, uint8_t *out, const uint8_t *in, size_t len,
    const uint8_t nonce[12])
{
	uint64_t	w[PAR_WORDS], nlo, nhi;
	uint32_t	ctr = 2, c;
	size_t		nb, b, i, n;

	nlo = load64_le(nonce);
	nhi = (uint64_t)nonce[8] | (uint64_t)nonce[9] << 8 |
	    (uint64_t)nonce[10] << 16 | (uint64_t)nonce[11] << 24;
	while (len > 0) {
		nb = (len + 15) / 16;
		if (nb > PAR_BLOCKS)
			nb = PAR_BLOCKS;
		for (b = 0; b < nb; b++, ctr++) {
			/* Bytes 12..15 are the big-endian counter. */
			c = ctr >> 24 | (ctr >> 8 & 0xff00) |
			    (ctr << 8 & 0xff0000) | ctr << 24;
			w[2 * b] = nlo;
			w[2 * b + 1] = nhi | (uint64_t)c << 32;
		}
		aes_encrypt_words(w, nb, st->rk);
		for (b = 0; b < nb; b++) {
			store64_le(st->ks + 16 * b, w[2 * b]);
			store64_le(st->ks + 16 * b + 8, w[2 * b + 1]);
		}
		n = len < 16 * nb ? len : 16 * nb;
		for (i = 0; i < n; i++)
			out[i] = in[i] ^ st->ks[i];
		out += n;
		in += n;
		len -= n;
	}
	sodium_memzero(w, sizeof(w));
}

/* Finishes GHASH with the bit lengths and writes the masked tag. */
static void
gcm_tag(struct gcm_state *st, uint8_t tag[16], size_t len)
{
	uint8_t	lens[16];
	int	i;

	store64_be(lens, 0);
	store64_be(lens + 8, (uint64_t)len * 8);
	ghash_update(st, lens, sizeof(lens));
	store64_be(tag, st->y[0]);
	store64_be(tag + 8, st->y[1]);
	for (i = 0; i < 16; i++)
		tag[i] ^= st->ej0[i];
}

static int
portable_seal(uint8_t *out, const uint8_t *in, size_t len,
    const uint8_t nonce[12], const uint8_t key[32])
{
	struct gcm_state	st;

	gcm_start(&st, nonce, key);
	gcm_ctr(&st, out, in, len, nonce);
	ghash_update(&st, out, len);
	gcm_tag(&st, out + len, len);
	sodium_memzero(&st, sizeof(st));
	return 0;
}

static int
portable_open(uint8_t *out, const uint8_t *in, size_t len,
    const uint8_t nonce[12], const uint8_t key[32])
{
	struct gcm_state	st;
	uint8_t			tag[16];
	int			r = -1;

	gcm_start(&st, nonce, key);
	ghash_update(&st, in, len);
	gcm_tag(&st, tag, len);
	if (sodium_memcmp(tag, in + len, sizeof(tag)) == 0) {
		gcm_ctr(&st, out, in, len, nonce);
		r = 0;
	}
	sodium_memzero(&st, sizeof(st));
	sodium_memzero(tag, sizeof(tag));
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
	switch (impl) {
	case AESGCM_SODIUM:
		if (!crypto_aead_aes256gcm_is_available())
			return -1;
		break;
	case AESGCM_AUTO:
	case AESGCM_PORTABLE:
		break;
	default:
		return -1;
	}
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
		return portable_seal(out, in, len, nonce, key);
	if (crypto_aead_aes256gcm_encrypt(out, &clen, in, len, NULL, 0,
	    NULL, nonce, key) != 0)
		return -1;
	return 0;
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
		r = portable_open(out, in, len, nonce, key);
	if (r != 0) {
		if (len > 0)
			sodium_memzero(out, len);
		return -1;
	}
	return 0;
}
