/* SPDX-License-Identifier: ISC */
/*
 * End-to-end payload encryption (doc/protocol.md §4): a secp256k1 key
 * from the 32-byte seed, ECDH keyed as SHA-256 of the shared point's x
 * coordinate, and AES-256-GCM with the nonce in front of the ciphertext.
 */
#ifndef RMB_E2E_H
#define RMB_E2E_H

#include <stddef.h>
#include <stdint.h>

#define E2E_SK_BYTES		32
#define E2E_PK_BYTES		33	/* SEC1 compressed, as published */
#define E2E_PK_MAX_BYTES	65	/* uncompressed, also accepted */
#define E2E_KEY_BYTES		32
#define E2E_NONCE_BYTES		12
#define E2E_OVERHEAD		28	/* nonce 12 + tag 16 */

struct e2e_key {
	uint8_t	sk[E2E_SK_BYTES];
	uint8_t	pk[E2E_PK_BYTES];
};

/*
 * Creates the process-wide secp256k1 context and blinds it with fresh
 * randomness.  Call after sodium_init() and before entering a sandbox;
 * later calls do nothing.  Returns -1 on failure.
 */
int	e2e_init(void);

/*
 * n <= 64 random bytes from a per-thread pool that one getrandom(2)
 * fills 4 KiB at a time; what is drawn is wiped from the pool.  A
 * process that draws must not fork and draw in both: rmb-keyd never
 * forks, and it alone seals.
 */
void	e2e_random(void *buf, size_t n);

/* Returns -1, leaving k zeroed, if the seed is not in [1, n-1]. */
int	e2e_key_from_seed(struct e2e_key *k, const uint8_t seed[E2E_SK_BYTES]);

/*
 * key = SHA-256(x) of k->sk times the peer's point.  Returns -1, with key
 * zeroed, if peer_pk is no point: 33 bytes compressed or 65 bytes
 * uncompressed, like rust-secp256k1's PublicKey::from_slice.
 */
int	e2e_shared_key(uint8_t key[E2E_KEY_BYTES], const struct e2e_key *k,
	    const uint8_t *peer_pk, size_t pklen);

/*
 * Writes nonce || ciphertext || tag (len + E2E_OVERHEAD bytes) with a
 * random nonce.  out must not overlap plain.  Returns -1 if outcap is too
 * small or len too large.
 */
int	e2e_seal(uint8_t *out, size_t outcap, size_t *outlen,
	    const uint8_t key[E2E_KEY_BYTES], const uint8_t *plain, size_t len);
/* e2e_seal with a chosen nonce, for test vectors only. */
int	e2e_seal_with_nonce(uint8_t *out, size_t outcap, size_t *outlen,
	    const uint8_t key[E2E_KEY_BYTES], const uint8_t *plain, size_t len,
	    const uint8_t nonce[E2E_NONCE_BYTES]);

/*
 * Decrypts clen - E2E_OVERHEAD bytes to out, which must not overlap
 * cipher.  Returns -1 with *outlen 0 if clen is below E2E_OVERHEAD,
 * outcap is too small or the tag does not match (out is then zeroed).
 */
int	e2e_open(uint8_t *out, size_t outcap, size_t *outlen,
	    const uint8_t key[E2E_KEY_BYTES], const uint8_t *cipher,
	    size_t clen);

void	e2e_key_wipe(struct e2e_key *k);

#endif
