/* SPDX-License-Identifier: ISC */
#include <sodium.h>

#include "identity.h"
#include "sig_verify.h"
#include "tap.h"

/* doc/protocol.md §1.6: seed32 -> ed25519 and sr25519 public keys. */
static const struct {
	const char	*seed, *ed, *sr;
} keys[] = {
	{ "aa4e323bade8609a595108b585c4135855430c411ccf7923f81438cd8a188fce",
	  "61c243346215f4dfa70d33affc5e568a52fb37859ff21296a28cdb75fcc2fb55",
	  "60fe3393cc329aa1044be6adaa37f9d0689327dd25c11475d4a86651d6727a48" },
	{ "b37231837527c7173dc212bb23a7fe795d5dae540e7c21366a5fb9f4cc398a36",
	  "07e41c929a661a0dd976238b27d12884def9b59354535d6eee883c9d52d2dce1",
	  "942a5dc287ca18e4035f8f7863ff27103905651968385c7b1eb03fac20027146" },
	{ "af092e458b87bdd7d349ac4407dff60a67c7237c63b196d55b7ee845f5a48617",
	  "32a1716189665466061fd55b4e3f1431c88f62e2a33c0a19c299c095746f67e0",
	  "a29acf9a22068341a51a1b4e44fc743f3aafbec30bcf9a45264cafe855195764" },
	{ "340f7341b312bcc61aeea7a76d759d809b8601cbc6d22cb2817278e346137a5d",
	  "922b07df6a39450574ce91295b17e1be17a5c67c1975226d137647bcf8cf8045",
	  "6c64c96b606531bb8f225488ec5bf6f53b05b729b9f9859d56501d92be9bf378" },
	{ "fac7959dbfe72f052e5a0c3c8d6530f202b02fd8f9f5ca3580ec8deb7797479e",
	  "345071da55e5dccefaaa440339415ef9f2663338a38f7da0df21be5ab4e055ef",
	  "46ebddef8cd9bb167dc30878d7113b7e168e6f0646beffd77d69d39bad76b47a" },
};

static void
test_keys(void)
{
	struct identity	id;
	uint8_t		seed[32];
	size_t		i;

	for (i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
		unhex(seed, sizeof(seed), keys[i].seed);
		ok(identity_from_seed(&id, KEY_ED25519, seed) == 0,
		    "ed25519 key %zu", i);
		is_hex(id.account, 32, keys[i].ed, "ed25519 account");
		ok(identity_from_seed(&id, KEY_SR25519, seed) == 0,
		    "sr25519 key %zu", i);
		is_hex(id.account, 32, keys[i].sr, "sr25519 account");
	}
	identity_wipe(&id);
	ok(sodium_is_zero((uint8_t *)&id, sizeof(id)), "wipe zeroes the keys");
}

static void
test_sign(enum key_type type)
{
	struct identity	 id, other;
	uint8_t		 seed[32], sig[SIG65_BYTES], bad[SIG65_BYTES + 1];
	uint8_t		 msg[100];
	const char	*err, *name = key_type_name(type);
	size_t		 len;

	unhex(seed, sizeof(seed), keys[1].seed);
	identity_from_seed(&id, type, seed);
	unhex(seed, sizeof(seed), keys[2].seed);
	identity_from_seed(&other, type, seed);
	randombytes_buf(msg, sizeof(msg));
	for (len = 0; len <= sizeof(msg); len += 50) {
		ok(identity_sign(&id, sig, msg, len) == 0, "%s sign %zu bytes",
		    name, len);
		ok(sig[0] == (type == KEY_ED25519 ? 'e' : 's'),
		    "%s prefix byte", name);
		ok(sig_verify(id.account, sig, sizeof(sig), msg, len, &err) == 0,
		    "%s verifies", name);
	}
	len = sizeof(msg);
	identity_sign(&id, sig, msg, len);
	msg[3] ^= 1;
	ok(sig_verify(id.account, sig, sizeof(sig), msg, len, &err) == -1 &&
	    strstr(err, "verification failed") != NULL,
	    "%s tampered message rejected", name);
	msg[3] ^= 1;
	sig[10] ^= 0x40;
	ok(sig_verify(id.account, sig, sizeof(sig), msg, len, &err) == -1,
	    "%s tampered signature rejected", name);
	sig[10] ^= 0x40;
	ok(sig_verify(other.account, sig, sizeof(sig), msg, len, &err) == -1,
	    "%s other account rejected", name);
	sig[0] = type == KEY_ED25519 ? 's' : 'e';
	ok(sig_verify(id.account, sig, sizeof(sig), msg, len, &err) == -1,
	    "%s with the other prefix rejected", name);
	sig[0] = 'x';
	ok(sig_verify(id.account, sig, sizeof(sig), msg, len, &err) == -1 &&
	    strcmp(err, "invalid signature type (expected either sr25519 or "
	    "ed25519)") == 0, "%s unknown prefix rejected with its text", name);
	sig[0] = type == KEY_ED25519 ? 'e' : 's';
	ok(sig_verify(id.account, sig, sizeof(sig), msg, len, &err) == 0,
	    "%s restored signature verifies", name);
	ok(sig_verify(id.account, sig, 64, msg, len, &err) == -1 &&
	    strstr(err, "invalid signature length") != NULL,
	    "%s 64-byte signature rejected", name);
	memcpy(bad, sig, sizeof(sig));
	bad[SIG65_BYTES] = 0;
	ok(sig_verify(id.account, bad, sizeof(bad), msg, len, &err) == -1,
	    "%s 66-byte signature rejected", name);
	ok(sig_verify(id.account, sig, 0, msg, len, &err) == -1,
	    "%s empty signature rejected", name);
	identity_wipe(&id);
	identity_wipe(&other);
}

static void
test_key_type(void)
{
	enum key_type	t;

	ok(key_type_parse(&t, "sr25519") == 0 && t == KEY_SR25519, "sr25519");
	ok(key_type_parse(&t, "ED25519") == 0 && t == KEY_ED25519,
	    "ED25519 (case-insensitive)");
	ok(key_type_parse(&t, "ecdsa") == -1, "ecdsa refused");
	ok(key_type_parse(&t, "") == -1, "empty refused");
}

int
main(void)
{
	if (sodium_init() < 0)
		return 1;
	test_keys();
	test_sign(KEY_ED25519);
	test_sign(KEY_SR25519);
	test_key_type();
	return done_testing();
}
