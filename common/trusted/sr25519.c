/* SPDX-License-Identifier: ISC */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <sodium.h>

#include "e2e.h"
#include "merlin.h"
#include "sr25519.h"

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

int
sr25519_transcript(struct merlin_transcript *t, const uint8_t *ctx,
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

void
sr25519_challenge(uint8_t k[32], struct merlin_transcript *t,
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
	uint8_t				w[64], r[32], R[32], k[32];
	uint8_t				kx[32], s[32];
	int				ret = -1;

	/* pub is x*B, made with x when the key was loaded. */
	if (sr25519_transcript(&t, ctx, ctxlen, msg, msglen, kp->pub) != 0)
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

	sr25519_challenge(k, &t, R);
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

	e2e_random(rand, sizeof(rand));
	ret = sr25519_sign_with_rand(sig, kp, ctx, ctxlen, msg, msglen, rand);
	sodium_memzero(rand, sizeof(rand));
	return ret;
}

void
sr25519_keypair_wipe(struct sr25519_keypair *kp)
{
	sodium_memzero(kp, sizeof(*kp));
}
