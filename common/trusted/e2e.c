/* SPDX-License-Identifier: ISC */
#include <sys/random.h>

#include <stdint.h>
#include <string.h>

#include <secp256k1.h>
#include <secp256k1_ecdh.h>
#include <sodium.h>

#include "aesgcm.h"
#include "e2e.h"

/* Shared by every call; read-only after e2e_init, hence thread-safe. */
static secp256k1_context	*ctx;

int
e2e_init(void)
{
	uint8_t	seed[32];
	int	r;

	if (ctx != NULL)
		return 0;
	if ((ctx = secp256k1_context_create(SECP256K1_CONTEXT_NONE)) == NULL)
		return -1;
	randombytes_buf(seed, sizeof(seed));
	r = secp256k1_context_randomize(ctx, seed);
	sodium_memzero(seed, sizeof(seed));
	if (r != 1) {
		secp256k1_context_destroy(ctx);
		ctx = NULL;
		return -1;
	}
	return 0;
}

void
e2e_random(void *buf, size_t n)
{
	static _Thread_local uint8_t	pool[4096];
	static _Thread_local size_t	left;

	/* libsodium would ask 256 bytes a call: one call for the pool. */
	if (left < n && getrandom(pool, sizeof(pool), 0) == sizeof(pool))
		left = sizeof(pool);
	if (left < n)
		randombytes_buf(pool, left = sizeof(pool));
	left -= n;
	memcpy(buf, pool + left, n);
	sodium_memzero(pool + left, n);
}

int
e2e_key_from_seed(struct e2e_key *k, const uint8_t seed[E2E_SK_BYTES])
{
	secp256k1_pubkey	pub;
	size_t			len = E2E_PK_BYTES;

	memset(k, 0, sizeof(*k));
	if (ctx == NULL || secp256k1_ec_seckey_verify(ctx, seed) != 1)
		return -1;
	memcpy(k->sk, seed, E2E_SK_BYTES);
	if (secp256k1_ec_pubkey_create(ctx, &pub, k->sk) != 1 ||
	    secp256k1_ec_pubkey_serialize(ctx, k->pk, &len, &pub,
	    SECP256K1_EC_COMPRESSED) != 1 || len != E2E_PK_BYTES) {
		e2e_key_wipe(k);
		return -1;
	}
	return 0;
}

static int
parse_pk(secp256k1_pubkey *pub, const uint8_t *pk, size_t pklen)
{
	/* rust-secp256k1 checks the length before libsecp256k1 parses. */
	if (ctx == NULL || pk == NULL ||
	    (pklen != E2E_PK_BYTES && pklen != E2E_PK_MAX_BYTES))
		return -1;
	return secp256k1_ec_pubkey_parse(ctx, pub, pk, pklen) == 1 ? 0 : -1;
}

/* The reference hashes x alone, not libsecp256k1's default 02|03 || x. */
static int
hash_x_only(unsigned char *out, const unsigned char *x32,
    const unsigned char *y32, void *data)
{
	(void)y32;
	(void)data;
	crypto_hash_sha256(out, x32, 32);
	return 1;
}

int
e2e_shared_key(uint8_t key[E2E_KEY_BYTES], const struct e2e_key *k,
    const uint8_t *peer_pk, size_t pklen)
{
	secp256k1_pubkey	pub;

	if (parse_pk(&pub, peer_pk, pklen) != 0 ||
	    secp256k1_ecdh(ctx, key, &pub, k->sk, hash_x_only, NULL) != 1) {
		sodium_memzero(key, E2E_KEY_BYTES);
		return -1;
	}
	return 0;
}

int
e2e_seal_with_nonce(uint8_t *out, size_t outcap, size_t *outlen,
    const uint8_t key[E2E_KEY_BYTES], const uint8_t *plain, size_t len,
    const uint8_t nonce[E2E_NONCE_BYTES])
{
	if (len > SIZE_MAX - E2E_OVERHEAD || outcap < len + E2E_OVERHEAD)
		return -1;
	memcpy(out, nonce, E2E_NONCE_BYTES);
	if (aesgcm_seal(out + E2E_NONCE_BYTES, plain, len, nonce, key) != 0)
		return -1;
	*outlen = len + E2E_OVERHEAD;
	return 0;
}

int
e2e_seal(uint8_t *out, size_t outcap, size_t *outlen,
    const uint8_t key[E2E_KEY_BYTES], const uint8_t *plain, size_t len)
{
	uint8_t	nonce[E2E_NONCE_BYTES];

	e2e_random(nonce, sizeof(nonce));
	return e2e_seal_with_nonce(out, outcap, outlen, key, plain, len,
	    nonce);
}

int
e2e_open(uint8_t *out, size_t outcap, size_t *outlen,
    const uint8_t key[E2E_KEY_BYTES], const uint8_t *cipher, size_t clen)
{
	size_t	len;

	*outlen = 0;
	if (clen < E2E_OVERHEAD)
		return -1;
	len = clen - E2E_OVERHEAD;
	if (outcap < len)
		return -1;
	if (aesgcm_open(out, cipher + E2E_NONCE_BYTES,
	    clen - E2E_NONCE_BYTES, cipher, key) != 0)
		return -1;
	*outlen = len;
	return 0;
}

void
e2e_key_wipe(struct e2e_key *k)
{
	sodium_memzero(k, sizeof(*k));
}
