/* SPDX-License-Identifier: ISC */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <sodium.h>

#include "merlin.h"
#include "sr25519.h"

/* The group order l, little-endian. */
static const uint8_t group_order[32] = {
	0xed, 0xd3, 0xf5, 0x5c, 0x1a, 0x63, 0x12, 0x58,
	0xd6, 0x9c, 0xf7, 0xa2, 0xde, 0xf9, 0xde, 0x14,
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x10,
};

/* Variable time, which is fine: s is public. */
static int
scalar_is_canonical(const uint8_t s[32])
{
	size_t	i;

	for (i = 32; i-- > 0;) {
		if (s[i] != group_order[i])
			return s[i] < group_order[i];
	}
	return 0;
}

int
sr25519_keypair_from_seed(struct sr25519_keypair *kp,
    const uint8_t seed[SR25519_SEED_BYTES])
{
	uint8_t	h[64];
	size_t	i;
	int	ret = 0;

	crypto_hash_sha512(h, seed, SR25519_SEED_BYTES);
	h[0] &= 248;
	h[31] &= 63;
	h[31] |= 64;
	/* Dividing the clamped value by the cofactor: x in [2^251, 2^252). */
	for (i = 0; i < 31; i++)
		kp->x[i] = (uint8_t)((h[i] >> 3) | ((h[i + 1] & 7) << 5));
	kp->x[31] = h[31] >> 3;
	memcpy(kp->nonce, h + 32, 32);
	if (crypto_scalarmult_ristretto255_base(kp->pub, kp->x) != 0) {
		sr25519_keypair_wipe(kp);
		ret = -1;
	}
	sodium_memzero(h, sizeof(h));
	return ret;
}

/* Builds the sign_simple transcript up to and including the public key. */
static int
signing_transcript(struct merlin_transcript *t, const uint8_t *ctx,
    size_t ctxlen, const uint8_t *msg, size_t msglen,
    const uint8_t pub[SR25519_PUBLIC_BYTES])
{
	static const uint8_t	proto[] = "Schnorr-sig";

	if (merlin_init(t, "SigningContext", 14) != 0 ||
	    merlin_append(t, "", 0, ctx, ctxlen) != 0 ||
	    merlin_append(t, "sign-bytes", 10, msg, msglen) != 0 ||
	    merlin_append(t, "proto-name", 10, proto, sizeof(proto) - 1) != 0 ||
	    merlin_append(t, "sign:pk", 7, pub, SR25519_PUBLIC_BYTES) != 0)
		return -1;
	return 0;
}

/* Appends R and derives the challenge scalar k. */
static void
challenge_scalar(uint8_t k[32], struct merlin_transcript *t,
    const uint8_t R[32])
{
	uint8_t	c[64];

	/* Fixed, small lengths: these cannot fail. */
	(void)merlin_append(t, "sign:R", 6, R, 32);
	(void)merlin_challenge(t, "sign:c", 6, c, sizeof(c));
	crypto_core_ristretto255_scalar_reduce(k, c);
}

int
sr25519_sign_with_rand(uint8_t sig[SR25519_SIG_BYTES],
    const struct sr25519_keypair *kp, const uint8_t *ctx, size_t ctxlen,
    const uint8_t *msg, size_t msglen, const uint8_t rand[32])
{
	struct merlin_transcript	t;
	struct merlin_rng		rng;
	uint8_t				pub[32], w[64], r[32], R[32], k[32];
	uint8_t				kx[32], s[32];
	int				ret = -1;

	/* A pub other than x*B means a corrupt keypair: do not sign. */
	if (crypto_scalarmult_ristretto255_base(pub, kp->x) != 0 ||
	    sodium_memcmp(pub, kp->pub, sizeof(pub)) != 0)
		return -1;
	if (signing_transcript(&t, ctx, ctxlen, msg, msglen, pub) != 0)
		return -1;

	/* Fixed lengths, called in order: the RNG calls cannot fail. */
	merlin_rng_init(&rng, &t);
	(void)merlin_rng_rekey(&rng, "signing", 7, kp->nonce,
	    sizeof(kp->nonce));
	merlin_rng_finalize(&rng, rand);
	(void)merlin_rng_fill(&rng, w, sizeof(w));
	crypto_core_ristretto255_scalar_reduce(r, w);

	/* r = 0 would give s = k*x and so reveal x. */
	if (crypto_scalarmult_ristretto255_base(R, r) != 0)
		goto out;

	challenge_scalar(k, &t, R);
	crypto_core_ristretto255_scalar_mul(kx, k, kp->x);
	crypto_core_ristretto255_scalar_add(s, kx, r);

	memcpy(sig, R, 32);
	memcpy(sig + 32, s, 32);
	sig[63] |= 0x80;
	ret = 0;
out:
	merlin_rng_wipe(&rng);
	sodium_memzero(w, sizeof(w));
	sodium_memzero(r, sizeof(r));
	sodium_memzero(kx, sizeof(kx));
	return ret;
}

int
sr25519_sign(uint8_t sig[SR25519_SIG_BYTES],
    const struct sr25519_keypair *kp, const uint8_t *ctx, size_t ctxlen,
    const uint8_t *msg, size_t msglen)
{
	uint8_t	rand[32];
	int	ret;

	randombytes_buf(rand, sizeof(rand));
	ret = sr25519_sign_with_rand(sig, kp, ctx, ctxlen, msg, msglen, rand);
	sodium_memzero(rand, sizeof(rand));
	return ret;
}

int
sr25519_verify(const uint8_t pub[SR25519_PUBLIC_BYTES], const uint8_t *ctx,
    size_t ctxlen, const uint8_t *msg, size_t msglen,
    const uint8_t sig[SR25519_SIG_BYTES])
{
	struct merlin_transcript	t;
	uint8_t				s[32], k[32], sB[32], kA[32], Rp[32];

	if ((sig[63] & 0x80) == 0)
		return -1;
	memcpy(s, sig + 32, 32);
	s[31] &= 0x7f;
	if (!scalar_is_canonical(s))
		return -1;
	/* libsodium 1.0.18 ignores bit 255 of a point; schnorrkel does not. */
	if ((pub[31] & 0x80) != 0 ||
	    crypto_core_ristretto255_is_valid_point(pub) != 1)
		return -1;

	if (signing_transcript(&t, ctx, ctxlen, msg, msglen, pub) != 0)
		return -1;
	challenge_scalar(k, &t, sig);

	/* pub is valid, so -1 only means an identity result (all zeros). */
	if (crypto_scalarmult_ristretto255_base(sB, s) != 0)
		memset(sB, 0, sizeof(sB));
	if (crypto_scalarmult_ristretto255(kA, k, pub) != 0)
		memset(kA, 0, sizeof(kA));
	if (crypto_core_ristretto255_sub(Rp, sB, kA) != 0)
		return -1;
	/* R is compared as raw bytes, never decoded, as in schnorrkel. */
	return memcmp(Rp, sig, 32) == 0 ? 0 : -1;
}

void
sr25519_keypair_wipe(struct sr25519_keypair *kp)
{
	sodium_memzero(kp, sizeof(*kp));
}
