/* SPDX-License-Identifier: ISC */
#include <stdlib.h>

#include <secp256k1.h>
#include <secp256k1_ecdh.h>
#include <sodium.h>

#include "aesgcm.h"
#include "e2e.h"
#include "tap.h"

#define SK1	"340f7341b312bcc61aeea7a76d759d809b8601cbc6d22cb2817278e346137a5d"
#define SK2	"af092e458b87bdd7d349ac4407dff60a67c7237c63b196d55b7ee845f5a48617"
#define PK1	"032965609be627c7656bdce629af8537513238041aafd8a6dac524d6e5206747f0"
#define PK2	"030ad72f9f05d8a4fe1d462f264f427d1ef9eba6dba234d7a01e1122157264778f"
/* pk2 uncompressed, from Python cryptography. */
#define PK2_UNCOMPRESSED \
	"040ad72f9f05d8a4fe1d462f264f427d1ef9eba6dba234d7a01e1122157264778f" \
	"c02c5120936f974e1eab2cc88fa8fef66f03736a500fd814cd587c7069449e61"
#define SHARED_X "bb0699edda0338d2c429699769af70c0304714039d57c4deb02f06a7d8a6ad57"
#define SHARED_KEY \
	"310c92d71d96dde9e27a6ed82297ab574534bbf88fd2e1c1bd62eb3b9b7c48a1"

/* doc/protocol.md §1.6: seed32 to the compressed secp256k1 key. */
static const struct {
	const char	*name;
	const char	*seed;
	const char	*pk;
} pubkeys[] = {
	{ "ed25519 WORDS seed",
	    "aa4e323bade8609a595108b585c4135855430c411ccf7923f81438cd8a188fce",
	    "0351f2bca8c281fceb6f093f11aac40ebc40ad69434db1e9fb1a8d16fa6083be55" },
	{ "sr25519 WORDS seed",
	    "b37231837527c7173dc212bb23a7fe795d5dae540e7c21366a5fb9f4cc398a36",
	    "037135b487c4b55db4813e940c8c426f123184581029bd3ee0eca5e00602e3e292" },
	{ "tackle... (sk2)", SK2, PK2 },
	{ "e2e sk1 (hex form)", SK1, PK1 },
	{ "DEV_PHRASE root",
	    "fac7959dbfe72f052e5a0c3c8d6530f202b02fd8f9f5ca3580ec8deb7797479e",
	    "035b26108e8b97479c547da4860d862dc08ab2c29ada449c74d5a9a58a6c46a8c4" },
};

/* doc/protocol.md §4.4, all under the shared key of sk1 and sk2. */
static const struct {
	const char	*name;
	const char	*plain;
	const char	*nonce;
	const char	*cipher;
} ciphers[] = {
	{ "hello world", "hello world", "000102030405060708090a0b",
	    "000102030405060708090a0b23d9436ad14a4e855f47c13cb90ba01f45fe8531"
	    "8e8671f2ec3c16" },
	{ "empty plaintext", "", "000102030405060708090a0b",
	    "000102030405060708090a0b2535329f17a7861841c76e50b403b436" },
	{ "vector (e) {\"a\":1}", "{\"a\":1}", "0102030405060708090a0b0c",
	    "0102030405060708090a0b0cc527c6fe674824253558d22878633e387ef354b2"
	    "882f79" },
};

static int
copy_x(unsigned char *out, const unsigned char *x32,
    const unsigned char *y32, void *data)
{
	(void)y32;
	(void)data;
	memcpy(out, x32, 32);
	return 1;
}

/*
 * Whether pk parses as a point (33 bytes compressed or 65 bytes
 * uncompressed, like rust-secp256k1's PublicKey::from_slice): whether
 * e2e_shared_key() takes it, which is all keyd asks of a peer's key.
 */
static int
pk_valid(const uint8_t *pk, size_t pklen)
{
	static const uint8_t	one[32] = { [31] = 1 };
	struct e2e_key		k;
	uint8_t			key[E2E_KEY_BYTES];
	int			valid;

	if (e2e_key_from_seed(&k, one) != 0)
		abort();
	valid = e2e_shared_key(key, &k, pk, pklen) == 0;
	e2e_key_wipe(&k);
	return valid;
}

static void
test_pubkeys(void)
{
	struct e2e_key	k;
	uint8_t		seed[32];
	char		name[128];
	size_t		i;

	for (i = 0; i < sizeof(pubkeys) / sizeof(pubkeys[0]); i++) {
		unhex(seed, sizeof(seed), pubkeys[i].seed);
		snprintf(name, sizeof(name), "pk of %s", pubkeys[i].name);
		ok(e2e_key_from_seed(&k, seed) == 0 &&
		    memcmp(k.sk, seed, 32) == 0, "%s: seed accepted",
		    pubkeys[i].name);
		is_hex(k.pk, sizeof(k.pk), pubkeys[i].pk, name);
		ok(pk_valid(k.pk, sizeof(k.pk)), "%s is a valid point",
		    name);
		e2e_key_wipe(&k);
	}
}

static void
test_bad_seeds(void)
{
	static const char	*bad[] = {
		"0000000000000000000000000000000000000000000000000000000000000000",
		/* n, the group order */
		"fffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141",
		"fffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364142",
		"ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff",
	};
	struct e2e_key		k;
	uint8_t			seed[32], zero[sizeof(k)];
	size_t			i;

	memset(zero, 0, sizeof(zero));
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		unhex(seed, sizeof(seed), bad[i]);
		memset(&k, 0x55, sizeof(k));
		ok(e2e_key_from_seed(&k, seed) == -1 &&
		    memcmp(&k, zero, sizeof(k)) == 0,
		    "seed %.8s...%s rejected, key zeroed", bad[i],
		    bad[i] + 56);
	}
	unhex(seed, sizeof(seed),
	    "fffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364140");
	ok(e2e_key_from_seed(&k, seed) == 0, "seed n-1 accepted");
	unhex(seed, sizeof(seed),
	    "0000000000000000000000000000000000000000000000000000000000000001");
	ok(e2e_key_from_seed(&k, seed) == 0, "seed 1 accepted");
	is_hex(k.pk, sizeof(k.pk),
	    "0279be667ef9dcbbac55a06295ce870b07029bfcdb2dce28d959f2815b16f81798",
	    "seed 1 gives the generator G");
	e2e_key_wipe(&k);
	ok(memcmp(&k, zero, sizeof(k)) == 0, "e2e_key_wipe zeroes the key");
}

static void
test_pk_parse(void)
{
	uint8_t	pk[70];
	size_t	n;

	n = unhex(pk, sizeof(pk), PK2_UNCOMPRESSED);
	ok(pk_valid(pk, n), "65-byte uncompressed pk accepted");
	ok(!pk_valid(pk, 64), "64 bytes rejected");
	ok(!pk_valid(pk + 1, 64), "raw 64-byte X||Y rejected");
	pk[64] ^= 1;
	ok(!pk_valid(pk, n), "uncompressed point off the curve rejected");
	n = unhex(pk, sizeof(pk), PK2);
	ok(!pk_valid(pk, 32), "32 bytes rejected");
	ok(!pk_valid(pk, 34), "34 bytes rejected");
	ok(!pk_valid(pk, 0), "empty pk rejected");
	ok(!pk_valid(NULL, 33), "NULL pk rejected");
	pk[0] = 0x05;
	ok(!pk_valid(pk, n), "prefix 05 rejected");
	pk[0] = 0x04;
	ok(!pk_valid(pk, n), "prefix 04 with 33 bytes rejected");
	memset(pk, 0xff, n);
	pk[0] = 0x02;
	ok(!pk_valid(pk, n), "x >= p rejected");
	/* x = 5 has no y on secp256k1: 125 + 7 = 132 is not a square mod p. */
	memset(pk, 0, n);
	pk[0] = 0x02;
	pk[32] = 5;
	ok(!pk_valid(pk, n), "x with no point rejected");
}

static void
test_shared(void)
{
	secp256k1_context	*sctx;
	secp256k1_pubkey	 pub;
	struct e2e_key		 k1, k2;
	uint8_t			 seed[32], key12[32], key21[32], key[32];
	uint8_t			 x[32], pk[65];
	size_t			 n;

	unhex(seed, sizeof(seed), SK1);
	e2e_key_from_seed(&k1, seed);
	unhex(seed, sizeof(seed), SK2);
	e2e_key_from_seed(&k2, seed);

	ok(e2e_shared_key(key12, &k1, k2.pk, sizeof(k2.pk)) == 0,
	    "shared key sk1 + pk2");
	is_hex(key12, 32, SHARED_KEY, "sk1 + pk2 key");
	ok(e2e_shared_key(key21, &k2, k1.pk, sizeof(k1.pk)) == 0,
	    "shared key sk2 + pk1");
	is_hex(key21, 32, SHARED_KEY, "sk2 + pk1 key (symmetric)");

	/* The x coordinate itself, straight from libsecp256k1. */
	sctx = secp256k1_context_create(SECP256K1_CONTEXT_NONE);
	ok(sctx != NULL &&
	    secp256k1_ec_pubkey_parse(sctx, &pub, k2.pk, 33) == 1 &&
	    secp256k1_ecdh(sctx, x, &pub, k1.sk, copy_x, NULL) == 1,
	    "raw ECDH x from libsecp256k1");
	is_hex(x, 32, SHARED_X, "shared point X");
	crypto_hash_sha256(key, x, sizeof(x));
	is_hex(key, 32, SHARED_KEY, "key = SHA-256(X)");
	secp256k1_context_destroy(sctx);

	n = unhex(pk, sizeof(pk), PK2_UNCOMPRESSED);
	ok(e2e_shared_key(key, &k1, pk, n) == 0 &&
	    memcmp(key, key12, 32) == 0, "uncompressed pk2 gives the same key");
	memset(key, 0x55, sizeof(key));
	pk[0] = 0x05;
	ok(e2e_shared_key(key, &k1, pk, n) == -1 && sodium_is_zero(key, 32),
	    "malformed pk rejected, key zeroed");
	ok(e2e_shared_key(key, &k1, k2.pk, 32) == -1,
	    "truncated pk rejected");

	e2e_key_wipe(&k1);
	e2e_key_wipe(&k2);
}

static void
test_ciphers(const char *impl)
{
	uint8_t	key[32], nonce[12], want[64], out[64], back[64], bad[64];
	size_t	i, plen, wlen, n, olen, rejected;
	char	name[128];

	unhex(key, sizeof(key), SHARED_KEY);
	for (i = 0; i < sizeof(ciphers) / sizeof(ciphers[0]); i++) {
		plen = strlen(ciphers[i].plain);
		unhex(nonce, sizeof(nonce), ciphers[i].nonce);
		wlen = unhex(want, sizeof(want), ciphers[i].cipher);

		ok(e2e_seal_with_nonce(out, sizeof(out), &olen, key,
		    (const uint8_t *)ciphers[i].plain, plen, nonce) == 0 &&
		    olen == plen + E2E_OVERHEAD, "%s: seal %s", impl,
		    ciphers[i].name);
		snprintf(name, sizeof(name), "%s: %s = nonce || ct || tag",
		    impl, ciphers[i].name);
		is_hex(out, plen + E2E_OVERHEAD, ciphers[i].cipher, name);
		memset(back, 0xaa, sizeof(back));
		ok(e2e_open(back, sizeof(back), &olen, key, want, wlen) == 0 &&
		    olen == plen && memcmp(back, ciphers[i].plain, plen) == 0,
		    "%s: open %s", impl, ciphers[i].name);

		rejected = 0;
		for (n = 0; n < wlen; n++) {
			memcpy(bad, want, wlen);
			bad[n] ^= 0x01;
			memset(back, 0xaa, sizeof(back));
			if (e2e_open(back, sizeof(back), &olen, key, bad,
			    wlen) == -1 && olen == 0 &&
			    sodium_is_zero(back, plen))
				rejected++;
		}
		ok(rejected == wlen, "%s: %s: every flipped byte (nonce, body, "
		    "tag) rejected (%zu/%zu)", impl, ciphers[i].name, rejected,
		    wlen);
		rejected = 0;
		for (n = 0; n < wlen; n++)
			if (e2e_open(back, sizeof(back), &olen, key, want,
			    n) == -1)
				rejected++;
		ok(rejected == wlen, "%s: %s: every truncation rejected",
		    impl, ciphers[i].name);
		ok(e2e_open(back, plen == 0 ? 0 : plen - 1, &olen, key, want,
		    wlen) == (plen == 0 ? 0 : -1), "%s: %s: outcap checked",
		    impl, ciphers[i].name);
		ok(e2e_seal_with_nonce(out, plen + E2E_OVERHEAD - 1, &olen,
		    key, (const uint8_t *)ciphers[i].plain, plen, nonce) == -1,
		    "%s: %s: seal outcap checked", impl, ciphers[i].name);
	}
	ok(e2e_open(back, sizeof(back), &olen, key, want, 11) == -1,
	    "%s: cipher shorter than a nonce rejected", impl);
}

static void
test_random_nonce(void)
{
	uint8_t	key[32], a[64], b[64], back[64];
	size_t	alen, blen, olen;

	unhex(key, sizeof(key), SHARED_KEY);
	ok(e2e_seal(a, sizeof(a), &alen, key, (const uint8_t *)"hello world",
	    11) == 0 && alen == 11 + E2E_OVERHEAD, "random-nonce seal");
	ok(e2e_seal(b, sizeof(b), &blen, key, (const uint8_t *)"hello world",
	    11) == 0 && memcmp(a, b, E2E_NONCE_BYTES) != 0,
	    "two seals use different nonces");
	ok(e2e_open(back, sizeof(back), &olen, key, a, alen) == 0 &&
	    olen == 11 && memcmp(back, "hello world", 11) == 0 &&
	    e2e_open(back, sizeof(back), &olen, key, b, blen) == 0 &&
	    olen == 11 && memcmp(back, "hello world", 11) == 0,
	    "both open to the plaintext");
	ok(e2e_seal(a, sizeof(a), &alen, key, NULL, 0) == 0 &&
	    alen == E2E_OVERHEAD && e2e_open(NULL, 0, &olen, key, a, alen) == 0 &&
	    olen == 0, "empty payload: 28-byte cipher, opens to nothing");
}

int
main(void)
{
	if (sodium_init() < 0 || e2e_init() != 0)
		return 1;
	ok(e2e_init() == 0, "e2e_init is idempotent");
	test_pubkeys();
	test_bad_seeds();
	test_pk_parse();
	test_shared();
	test_ciphers("nettle");
	test_random_nonce();
	return done_testing();
}
