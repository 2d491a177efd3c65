/* SPDX-License-Identifier: ISC */
/*
 * sr25519: schnorrkel Schnorr signatures over Ristretto255 as Substrate
 * uses them (sign_simple / verify_simple, ExpansionMode::Ed25519 keys);
 * see doc/sr25519.md.  The caller must have run sodium_init() first.
 */
#ifndef RMB_SR25519_H
#define RMB_SR25519_H

#include <stddef.h>
#include <stdint.h>

#define SR25519_SEED_BYTES	32
#define SR25519_PUBLIC_BYTES	32
#define SR25519_SIG_BYTES	64

/* x is the secret scalar (< l), nonce the secret nonce seed. */
struct sr25519_keypair {
	uint8_t	x[32];
	uint8_t	nonce[32];
	uint8_t	pub[SR25519_PUBLIC_BYTES];
};

/* Expands a 32-byte mini secret key.  Returns 0, or -1 (kp is then zeroed). */
int	sr25519_keypair_from_seed(struct sr25519_keypair *kp,
	    const uint8_t seed[SR25519_SEED_BYTES]);

/*
 * Signs msg under the signing context ctx ("substrate" for Substrate) with
 * 32 fresh bytes from randombytes_buf(); kp->pub is the x*B that
 * sr25519_keypair_from_seed() made.  Returns 0, or -1 if a length
 * exceeds UINT32_MAX or the witness scalar is zero (probability about
 * 2^-252).
 */
int	sr25519_sign(uint8_t sig[SR25519_SIG_BYTES],
	    const struct sr25519_keypair *kp, const uint8_t *ctx, size_t ctxlen,
	    const uint8_t *msg, size_t msglen);

/* As sr25519_sign() with caller-chosen randomness; for test vectors only. */
int	sr25519_sign_with_rand(uint8_t sig[SR25519_SIG_BYTES],
	    const struct sr25519_keypair *kp, const uint8_t *ctx, size_t ctxlen,
	    const uint8_t *msg, size_t msglen, const uint8_t rand[32]);

/*
 * In common/net/sig_verify.c, which keyd does not link.
 * Returns 0 if sig is a valid signature of msg under ctx and pub, else -1.
 * It rejects a missing marker bit, s >= l, and a public key that is not a
 * canonical Ristretto encoding (bit 255 included).  The identity public
 * key (32 zero bytes) is deliberately accepted, as schnorrkel and so
 * Substrate accept it, although anyone can sign for it.
 */
int	sr25519_verify(const uint8_t pub[SR25519_PUBLIC_BYTES],
	    const uint8_t *ctx, size_t ctxlen, const uint8_t *msg,
	    size_t msglen, const uint8_t sig[SR25519_SIG_BYTES]);

void	sr25519_keypair_wipe(struct sr25519_keypair *kp);

/*
 * The steps that signing and verification share (doc/sr25519.md §6, §7):
 * the sign_simple transcript up to the public key (-1 if a length exceeds
 * UINT32_MAX), then R appended and the challenge scalar k derived.
 */
struct merlin_transcript;
int	sr25519_transcript(struct merlin_transcript *t, const uint8_t *ctx,
	    size_t ctxlen, const uint8_t *msg, size_t msglen,
	    const uint8_t pub[SR25519_PUBLIC_BYTES]);
void	sr25519_challenge(uint8_t k[32], struct merlin_transcript *t,
	    const uint8_t R[32]);

#endif
