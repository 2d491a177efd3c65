/* SPDX-License-Identifier: ISC */
/* sr25519 keys, signing and verification against doc/sr25519.md §11. */
#include <stdint.h>
#include <string.h>

#include <sodium.h>

#include "merlin.h"
#include "sr25519.h"
#include "tap.h"

#define CTX	(const uint8_t *)"substrate", 9

struct key_vector {
	const char	*seed, *x, *nonce, *secret, *pub;
};

static const struct key_vector key_vectors[] = {
	{ "b37231837527c7173dc212bb23a7fe795d5dae540e7c21366a5fb9f4cc398a36",
	  "51e78425b3612a74f92089d45296c5217d684bc3818defab4c7e1a04d7e2cf0a",
	  "bb8a27a2b2a4db021550825fc09186f360d55cf798ed56b399945433dafd6e72",
	  "883a272c990d53a1cb0749a496b22c0ee9435b1a0e6c7c5f65f2d320b8167f56",
	  "942a5dc287ca18e4035f8f7863ff27103905651968385c7b1eb03fac20027146" },
	{ "fac7959dbfe72f052e5a0c3c8d6530f202b02fd8f9f5ca3580ec8deb7797479e",
	  "05d65584630d16cd4af6d0bec10f34bb504a5dcb62dba2122d49f5a663763d0a",
	  "fd190cce74df356432b410bd64682309d6dedb27c76845daf388557cbac3ca34",
	  "28b0ae221c6bb06856b287f60d7ea0d98552ea5a16db16956849aa371db3eb51",
	  "46ebddef8cd9bb167dc30878d7113b7e168e6f0646beffd77d69d39bad76b47a" },
	{ "0000000000000000000000000000000000000000000000000000000000000000",
	  "caa835781b15c7706f65b71f7a58c807ab360faed6440fb23e0f4c52e930de0a",
	  "0a6a85eaa642dac835424b5d7c8d637c00408c7a73da672b7f498521420b6dd3",
	  "5046adc1dba838867b2bbbfdd0c3423e58b57970b5267a90f57960924a87f156",
	  "def12e42f3e487e9b14095aa8d5cc16a33491f1b50dadcf8811d1480f3fa8627" },
	{ "ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff",
	  "a439adc6f0c8e2b493aefb6bb537910c06284a396894c328abc27197af67e10a",
	  "9b4522968797885508e64703de1cc0593063264b74b588f71b7de0161f21cf29",
	  "20cd6935864716a79d74dd5fabbd8964304051ca41a31c4659158ebb7c3d0b57",
	  "48016d8d7f20ddd9774f5cc776ee0547f92b92175e58434a26d0690fbfca745a" },
};

struct sign_vector {
	const char	*seed, *rand, *pub, *w, *r, *R, *c, *k, *sig;
	int		 msgkind;
};

static const struct sign_vector sign_vectors[] = {
	{ "b37231837527c7173dc212bb23a7fe795d5dae540e7c21366a5fb9f4cc398a36",
	  "0000000000000000000000000000000000000000000000000000000000000000",
	  "942a5dc287ca18e4035f8f7863ff27103905651968385c7b1eb03fac20027146",
	  "ea2bd5b6727138188eddc84208afa2d41fe7e0edbc00e699454e6e9e75368b0f"
	  "fc0828dab33a6b6dbde5b8f1a1f24caa9076c5057a3ae14ac494846f43b5c209",
	  "13d13c3586dd7d408da9ee6112e39ee5b1b6ce73d92d20db47fb48f852925f09",
	  "883de50ffd3b52e6f30435551ea5e094751f12e34e05d0a66ffd6429d3f28b3c",
	  "f0dfc7a58b78fef684a83e813ecf6573dd1945b529a9d4df997a18a810957926"
	  "4e0705d57eb09865e231b737359a2402ba4d100c9dd70396a06e94c68c07bc31",
	  "deb9d57a23569bdf767c92d6f839ec842eddad4fb9907dc353c43142f0f7e009",
	  "883de50ffd3b52e6f30435551ea5e094751f12e34e05d0a66ffd6429d3f28b3c"
	  "ffeeb8dac7efd84b169209b3dea9c31b5cc237cf2f68ec5a48bf6dc369654a87",
	  0 },
	{ "fac7959dbfe72f052e5a0c3c8d6530f202b02fd8f9f5ca3580ec8deb7797479e",
	  "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f",
	  "46ebddef8cd9bb167dc30878d7113b7e168e6f0646beffd77d69d39bad76b47a",
	  "cae7e1af56bf277fb11e67343459f69d41f9d7f162a5d5205880e55a5f64e751"
	  "14dad3a4b32b1143fa1d892f0a90998fcaf613846f12098ca78be1561242c30c",
	  "4a5572b33314191eaf4c4859024679553c1f6711e52587659cdebb82e506b806",
	  "e601eba3175a88d403bbc95014ee5273fd6799893e696d542f49ac22576bac61",
	  "2e3034fa58692194b687b555d71748bd38c8446023b905766167f2d342197292"
	  "5ab917d4c02ccee521915c2ceb0f16198b4c06c73ba4e5a513582c1d60e5bc35",
	  "01375ad7ca9bbc89442a74af36fabf42774d07fe1390557acd199fbe02fe4a05",
	  "e601eba3175a88d403bbc95014ee5273fd6799893e696d542f49ac22576bac61"
	  "49f0f474c8856e016163fb04f1aafc4e23d9e7739c39edf7c6dae4b07f817587",
	  1 },
	{ "0000000000000000000000000000000000000000000000000000000000000000",
	  "4242424242424242424242424242424242424242424242424242424242424242",
	  "def12e42f3e487e9b14095aa8d5cc16a33491f1b50dadcf8811d1480f3fa8627",
	  NULL,
	  "b0e6c61a5aaa0c162795c5cb69f4297d8185ff0791c380c6312bcb72cd9d9d02",
	  "48154365c4c98c7585129c4454549bc0426f0dba6d03579364be86cb28a95b4b",
	  NULL,
	  "4f0d6732ebda4e51a6b3dae998a200e6014f10c50c56a58d2558b3bf595fb700",
	  "48154365c4c98c7585129c4454549bc0426f0dba6d03579364be86cb28a95b4b"
	  "422de6d2a25d8a6331ee3037735b38dfe4bcb34c6020943dd303af7679aef580",
	  2 },
};

static const char tamper_pub[] =
    "942a5dc287ca18e4035f8f7863ff27103905651968385c7b1eb03fac20027146";
static const char tamper_sig[] =
    "12fe5a03ca588209a485610d16e4f8fe8688bb4a2da7c4454b112253fa74be2d"
    "13ec1c78928c77a44603222c4a45deab7442686fef1f4ff317c45327c5cd598a";

/* Fills buf with the message of a sign vector; returns its length. */
static size_t
vector_msg(uint8_t buf[516], int kind)
{
	size_t	i;

	switch (kind) {
	case 0:
		return 0;
	case 1:
		memcpy(buf, "sr25519 test message", 20);
		return 20;
	default:
		for (i = 0; i < 512; i++)
			buf[i] = (uint8_t)i;
		memcpy(buf + 512, "long", 4);
		return 516;
	}
}

static void
test_keys(void)
{
	struct sr25519_keypair	kp;
	uint8_t			seed[32], secret[64];
	size_t			i, j;
	char			name[64];

	for (i = 0; i < sizeof(key_vectors) / sizeof(key_vectors[0]); i++) {
		unhex(seed, sizeof(seed), key_vectors[i].seed);
		ok(sr25519_keypair_from_seed(&kp, seed) == 0,
		    "key %zu: expand", i + 1);
		snprintf(name, sizeof(name), "key %zu: x", i + 1);
		is_hex(kp.x, 32, key_vectors[i].x, name);
		snprintf(name, sizeof(name), "key %zu: nonce", i + 1);
		is_hex(kp.nonce, 32, key_vectors[i].nonce, name);
		/* The ed25519-form secret is 8x || nonce. */
		for (j = 0; j < 32; j++)
			secret[j] = (uint8_t)(kp.x[j] << 3 |
			    (j > 0 ? kp.x[j - 1] >> 5 : 0));
		memcpy(secret + 32, kp.nonce, 32);
		snprintf(name, sizeof(name), "key %zu: 8x", i + 1);
		is_hex(secret, 32, key_vectors[i].secret, name);
		ok((kp.x[31] >> 5) == 0, "key %zu: 8x does not overflow",
		    i + 1);
		snprintf(name, sizeof(name), "key %zu: public key", i + 1);
		is_hex(kp.pub, 32, key_vectors[i].pub, name);
	}
	sr25519_keypair_wipe(&kp);
	ok(sodium_is_zero((uint8_t *)&kp, sizeof(kp)), "keypair wipe");
}

static void
test_verify_vector(void)
{
	static const char	msg[] = "I hereby verify that I control "
	    "5GrwvaEF5zXb26Fz9rcQpDWS57CtERHpNehXCPcNoHGKutQY";
	uint8_t			pub[32], sig[64];

	unhex(pub, sizeof(pub), "d43593c715fdd31c61141abd04a99fd6"
	    "822c8558854ccde39a5684e7a56da27d");
	unhex(sig, sizeof(sig), "1037eb7e51613d0dcf5930ae518819c8"
	    "7d655056605764840d9280984e1b7063c4566b55bf292fcab07b369d01095879"
	    "b50517beca4d26e6a65866e25fec0d83");
	ok(sr25519_verify(pub, CTX, (const uint8_t *)msg, sizeof(msg) - 1,
	    sig) == 0, "polkadot-js //Alice signature verifies");
}

/*
 * Recomputes the signing intermediates with Merlin directly, so a wrong
 * signature points at the step that went wrong.
 */
static void
check_intermediates(const struct sign_vector *v, size_t n,
    const struct sr25519_keypair *kp, const uint8_t *msg, size_t msglen,
    const uint8_t rand[32])
{
	struct merlin_transcript	t;
	struct merlin_rng		rng;
	uint8_t				w[64], r[32], R[32], c[64], k[32];
	char				name[64];

	merlin_init(&t, "SigningContext", 14);
	merlin_append(&t, "", 0, CTX);
	merlin_append(&t, "sign-bytes", 10, msg, msglen);
	merlin_append(&t, "proto-name", 10, (const uint8_t *)"Schnorr-sig",
	    11);
	merlin_append(&t, "sign:pk", 7, kp->pub, 32);
	merlin_rng_init(&rng, &t);
	merlin_rng_rekey(&rng, "signing", 7, kp->nonce, 32);
	merlin_rng_finalize(&rng, rand);
	merlin_rng_fill(&rng, w, 64);
	crypto_core_ristretto255_scalar_reduce(r, w);
	crypto_scalarmult_ristretto255_base(R, r);
	merlin_append(&t, "sign:R", 6, R, 32);
	merlin_challenge(&t, "sign:c", 6, c, 64);
	crypto_core_ristretto255_scalar_reduce(k, c);

	if (v->w != NULL) {
		snprintf(name, sizeof(name), "V%zu: w", n);
		is_hex(w, 64, v->w, name);
	}
	snprintf(name, sizeof(name), "V%zu: r", n);
	is_hex(r, 32, v->r, name);
	snprintf(name, sizeof(name), "V%zu: R", n);
	is_hex(R, 32, v->R, name);
	if (v->c != NULL) {
		snprintf(name, sizeof(name), "V%zu: c", n);
		is_hex(c, 64, v->c, name);
	}
	snprintf(name, sizeof(name), "V%zu: k", n);
	is_hex(k, 32, v->k, name);
}

static void
test_sign_vectors(void)
{
	struct sr25519_keypair	kp;
	uint8_t			seed[32], rand[32], msg[516], sig[64];
	size_t			i, msglen;
	char			name[64];

	for (i = 0; i < sizeof(sign_vectors) / sizeof(sign_vectors[0]); i++) {
		const struct sign_vector	*v = &sign_vectors[i];

		unhex(seed, sizeof(seed), v->seed);
		unhex(rand, sizeof(rand), v->rand);
		msglen = vector_msg(msg, v->msgkind);
		sr25519_keypair_from_seed(&kp, seed);
		snprintf(name, sizeof(name), "V%zu: public key", i + 1);
		is_hex(kp.pub, 32, v->pub, name);
		check_intermediates(v, i + 1, &kp, msg, msglen, rand);
		ok(sr25519_sign_with_rand(sig, &kp, CTX, msg, msglen,
		    rand) == 0, "V%zu: sign", i + 1);
		snprintf(name, sizeof(name), "V%zu: signature", i + 1);
		is_hex(sig, 64, v->sig, name);
		ok(sr25519_verify(kp.pub, CTX, msg, msglen, sig) == 0,
		    "V%zu: verifies", i + 1);
	}
	sr25519_keypair_wipe(&kp);
}

static void
test_negative_vectors(void)
{
	static const uint8_t	msg[] = "tamper test";
	static const uint8_t	msg2[] = "tamper test!";
	struct sr25519_keypair	kp;
	uint8_t			seed[32], pub[32], sig[64], bad[64], sig2[64];

	unhex(pub, sizeof(pub), tamper_pub);
	unhex(sig, sizeof(sig), tamper_sig);
	ok(sr25519_verify(pub, CTX, msg, 11, sig) == 0,
	    "negative vectors: the valid signature verifies");

	unhex(seed, sizeof(seed), key_vectors[0].seed);
	sr25519_keypair_from_seed(&kp, seed);
	ok(sr25519_sign_with_rand(sig2, &kp, CTX, msg, 11,
	    (const uint8_t[32]){ 0 }) == 0 && memcmp(sig2, sig, 64) == 0,
	    "negative vectors: signing reproduces the valid signature");
	sr25519_keypair_wipe(&kp);

	memcpy(bad, sig, 64);
	bad[63] = 0x0a;
	ok(sr25519_verify(pub, CTX, msg, 11, bad) == -1,
	    "marker bit cleared: rejected");

	unhex(bad, sizeof(bad), "12fe5a03ca588209a485610d16e4f8fe"
	    "8688bb4a2da7c4454b112253fa74be2d00c012d5acef89fc1ca019cf283fbdc0"
	    "7442686fef1f4ff317c45327c5cd599a");
	ok(sr25519_verify(pub, CTX, msg, 11, bad) == -1,
	    "s + l, marker set: rejected");

	pub[31] |= 0x80;
	ok(crypto_core_ristretto255_is_valid_point(pub) == 1,
	    "libsodium alone accepts the key with bit 255 set");
	ok(sr25519_verify(pub, CTX, msg, 11, sig) == -1,
	    "public key with bit 255 set: rejected");
	pub[31] &= 0x7f;

	ok(sr25519_verify(pub, CTX, msg2, 12, sig) == -1,
	    "message \"tamper test!\": rejected");
	memcpy(bad, sig, 64);
	memset(bad, 0xff, 32);
	ok(sr25519_verify(pub, CTX, msg, 11, bad) == -1,
	    "R = 32 x ff: rejected");
}

static void
test_identity_key(void)
{
	uint8_t	pub[32] = { 0 }, msg[1] = { 0 }, sig[64];

	unhex(sig, sizeof(sig), "eaf3192b43ade977cd88135b36648f7e"
	    "29ea61da2a9f5f502d1e59166da7ed4a2e25bbd2e2e2c18a2f1de056c7578414"
	    "457f301d34c1c0f4eb877d6a28e1c880");
	ok(sr25519_verify(pub, CTX, msg, 1, sig) == 0,
	    "identity public key: accepted, as in schnorrkel");
}

/* Edges of the canonical-s check, and a degenerate signature. */
static void
test_scalar_edges(void)
{
	static const char	lm1[] = "ecd3f55c1a631258d69cf7a2def9de14"
	    "00000000000000000000000000000010";
	struct sr25519_keypair	kp;
	uint8_t			idpub[32] = { 0 }, seed[32], sig[64];
	uint8_t			m[1] = { 'x' };

	/* Under the identity key, R = s*B verifies for any s. */
	unhex(sig + 32, 32, lm1);
	crypto_scalarmult_ristretto255_base(sig, sig + 32);
	sig[63] |= 0x80;
	ok(sr25519_verify(idpub, CTX, m, 1, sig) == 0,
	    "s = l - 1 passes the canonical check");
	sig[32] = 0xed;
	ok(sr25519_verify(idpub, CTX, m, 1, sig) == -1, "s = l is rejected");

	/* R = identity and s = 0 would need k*A to be the identity. */
	randombytes_buf(seed, sizeof(seed));
	sr25519_keypair_from_seed(&kp, seed);
	memset(sig, 0, 64);
	sig[63] = 0x80;
	ok(sr25519_verify(kp.pub, CTX, m, 1, sig) == -1,
	    "all-zero R and s (marker set): rejected");
	sr25519_keypair_wipe(&kp);
}

static void
test_round_trips(void)
{
	static const size_t	lens[] = { 0, 1, 32, 100, 165, 166, 167, 200,
	    332, 500, 2048 };
	struct sr25519_keypair	kp, other;
	uint8_t			seed[32], msg[2049], sig[64], sig2[64];
	uint8_t			bad[64], pub[32];
	size_t			i, n;
	int			good = 1;

	randombytes_buf(seed, sizeof(seed));
	ok(sr25519_keypair_from_seed(&kp, seed) == 0, "random key");
	randombytes_buf(seed, sizeof(seed));
	sr25519_keypair_from_seed(&other, seed);
	randombytes_buf(msg, sizeof(msg));

	for (i = 0; i < sizeof(lens) / sizeof(lens[0]); i++) {
		n = lens[i];
		ok(sr25519_sign(sig, &kp, CTX, msg, n) == 0 &&
		    sr25519_verify(kp.pub, CTX, msg, n, sig) == 0,
		    "round trip, %zu-byte message", n);
	}

	n = 166;
	sr25519_sign(sig, &kp, CTX, msg, n);
	sr25519_sign(sig2, &kp, CTX, msg, n);
	ok(memcmp(sig, sig2, 64) != 0, "two signatures of one message differ");
	ok(sr25519_verify(kp.pub, CTX, msg, n, sig2) == 0,
	    "the second one verifies too");

	ok(sr25519_verify(kp.pub, CTX, msg, n + 1, sig) == -1,
	    "tamper: byte appended");
	ok(n > 0 && sr25519_verify(kp.pub, CTX, msg, n - 1, sig) == -1,
	    "tamper: byte removed");
	msg[7] ^= 0x01;
	ok(sr25519_verify(kp.pub, CTX, msg, n, sig) == -1,
	    "tamper: message bit flipped");
	msg[7] ^= 0x01;
	ok(sr25519_verify(kp.pub, (const uint8_t *)"substratf", 9, msg, n,
	    sig) == -1, "tamper: other signing context");

	for (i = 0; i < 64 && good; i++) {
		memcpy(bad, sig, 64);
		bad[i] ^= (uint8_t)(1 << (i % 8));
		if (sr25519_verify(kp.pub, CTX, msg, n, bad) != -1)
			good = 0;
	}
	ok(good, "tamper: one bit in each byte of R and s");
	memcpy(bad, sig, 64);
	bad[0] ^= 0x01;
	ok(sr25519_verify(kp.pub, CTX, msg, n, bad) == -1, "tamper: R bit");
	memcpy(bad, sig, 64);
	bad[40] ^= 0x10;
	ok(sr25519_verify(kp.pub, CTX, msg, n, bad) == -1, "tamper: s bit");
	memcpy(bad, sig, 64);
	bad[63] &= 0x7f;
	ok(sr25519_verify(kp.pub, CTX, msg, n, bad) == -1,
	    "tamper: marker cleared");
	ok(sr25519_verify(other.pub, CTX, msg, n, sig) == -1,
	    "tamper: wrong public key");
	memcpy(pub, kp.pub, 32);
	pub[31] |= 0x80;
	ok(sr25519_verify(pub, CTX, msg, n, sig) == -1,
	    "tamper: public key bit 255");

	/* pub is made once, at load: x*B, which each signature commits to. */
	ok(crypto_scalarmult_ristretto255_base(pub, kp.x) == 0 &&
	    memcmp(pub, kp.pub, 32) == 0,
	    "the loaded keypair's pub is x*B, the key every signature names");

	sr25519_keypair_wipe(&kp);
	sr25519_keypair_wipe(&other);
}

int
main(void)
{
	if (sodium_init() < 0)
		return 1;
	test_keys();
	test_verify_vector();
	test_sign_vectors();
	test_negative_vectors();
	test_identity_key();
	test_scalar_edges();
	test_round_trips();
	return done_testing();
}
