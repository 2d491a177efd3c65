/* SPDX-License-Identifier: ISC */
#include <sodium.h>

#include "bip39_gen.h"
#include "tap.h"

struct vec {
	const char	*words;
	const char	*entropy;
	const char	*seed;
};

/* doc/protocol.md §1.6. */
static const struct vec vecs[] = {
	{ "neck stage box cup core magic produce exercise happy rely vocal then",
	  "93ba846a1ad3050baaea7a68f6afd570",
	  "aa4e323bade8609a595108b585c4135855430c411ccf7923f81438cd8a188fce" },
	{ "volume behind cable present pull exchange wish loyal avocado snap film increase",
	  "f5c2907fd50ad49d7f24240ff9a95939",
	  "b37231837527c7173dc212bb23a7fe795d5dae540e7c21366a5fb9f4cc398a36" },
	{ "tackle blouse grain dawn adult loyal tattoo price access tilt chimney silk",
	  "dd0305961bf03d09379553015c40a064",
	  "af092e458b87bdd7d349ac4407dff60a67c7237c63b196d55b7ee845f5a48617" },
	{ "bottom drive obey lake curtain smoke basket hold race lonely fit walk",
	  "1a486a5fbe53639984cb64b070755f7b",
	  "fac7959dbfe72f052e5a0c3c8d6530f202b02fd8f9f5ca3580ec8deb7797479e" },
};

static void
test_wordlist(void)
{
	crypto_hash_sha256_state st;
	uint8_t	h[32];
	int	i, sorted = 1;

	crypto_hash_sha256_init(&st);
	for (i = 0; i < BIP39_WORDS; i++) {
		crypto_hash_sha256_update(&st,
		    (const uint8_t *)bip39_english[i], strlen(bip39_english[i]));
		crypto_hash_sha256_update(&st, (const uint8_t *)"\n", 1);
		if (i > 0 && strcmp(bip39_english[i - 1], bip39_english[i]) >= 0)
			sorted = 0;
	}
	crypto_hash_sha256_final(&st, h);
	is_hex(h, 32, "2f5eed53a4727b4bf8880d8f3f199efc90e58503646d9ff8eff3a2ed3b24dbda",
	    "wordlist is the BIP-39 English list");
	ok(sorted, "wordlist is sorted (binary search)");
	ok(bip39_word_index("abandon", 7) == 0, "first word");
	ok(bip39_word_index("zoo", 3) == 2047, "last word");
	ok(bip39_word_index("zo", 2) == -1, "prefix is not a word");
	ok(bip39_word_index("Abandon", 7) == -1, "upper case is not a word");
}

static void
test_vectors(void)
{
	uint8_t		ent[32], seed[32], s64[64];
	const char	*err;
	size_t		i, n;

	for (i = 0; i < sizeof(vecs) / sizeof(vecs[0]); i++) {
		ok(bip39_to_entropy(ent, &n, vecs[i].words,
		    strlen(vecs[i].words), &err) == 0 && n == 16,
		    "vector %zu decodes", i);
		is_hex(ent, n, vecs[i].entropy, "entropy");
		bip39_substrate_seed(seed, ent, n);
		is_hex(seed, 32, vecs[i].seed, "seed32 = PBKDF2 over entropy");
		ok(secret_to_seed(seed, vecs[i].words, strlen(vecs[i].words),
		    &err) == 0, "secret_to_seed accepts the mnemonic");
		is_hex(seed, 32, vecs[i].seed, "secret_to_seed gives seed32");
	}
	bip39_to_entropy(ent, &n, vecs[0].words, strlen(vecs[0].words), &err);
	bip39_substrate_seed64(s64, ent, n, "");
	is_hex(s64, 64, "aa4e323bade8609a595108b585c4135855430c411ccf7923f81438cd8a188fce2f290900662e343212969a7e0a77d70c9f0224f87dccb52c7925f3b3b975458c",
	    "full 64-byte PBKDF2 output (neck stage ...)");
	bip39_to_entropy(ent, &n, vecs[1].words, strlen(vecs[1].words), &err);
	bip39_substrate_seed64(s64, ent, n, "");
	is_hex(s64, 64, "b37231837527c7173dc212bb23a7fe795d5dae540e7c21366a5fb9f4cc398a361ce6b45949d8c92e4cfc73df3f068be51aecde7bbcacb8d4b10699eb778c5f4f",
	    "full 64-byte PBKDF2 output (volume behind ...)");

	/* substrate-bip39's own vectors, passphrase "Substrate". */
	const char *aa = "abandon abandon abandon abandon abandon abandon "
	    "abandon abandon abandon abandon abandon about";
	ok(bip39_to_entropy(ent, &n, aa, strlen(aa), &err) == 0 && n == 16,
	    "abandon ... about decodes");
	is_hex(ent, n, "00000000000000000000000000000000", "zero entropy");
	bip39_substrate_seed64(s64, ent, n, "Substrate");
	is_hex(s64, 64, "44e9d125f037ac1d51f0a7d3649689d422c2af8b1ec8e00d71db4d7bf6d127e33f50c3d5c84fa3e5399c72d6cbbbbc4a49bf76f76d952f479d74655a2ef2d453",
	    "substrate-bip39 vector 1");
	const char *lw = "legal winner thank year wave sausage worth useful "
	    "legal winner thank yellow";
	ok(bip39_to_entropy(ent, &n, lw, strlen(lw), &err) == 0 && n == 16,
	    "legal winner ... yellow decodes");
	is_hex(ent, n, "7f7f7f7f7f7f7f7f7f7f7f7f7f7f7f7f", "0x7f entropy");
	bip39_substrate_seed64(s64, ent, n, "Substrate");
	is_hex(s64, 64, "4313249608fe8ac10fd5886c92c4579007272cb77c21551ee5b8d60b780416850f1e26c1f4b8d88ece681cb058ab66d6182bc2ce5a03181f7b74c27576b5c8bf",
	    "substrate-bip39 vector 2");

	char long_pass[BIP39_PASSPHRASE_MAX + 2];
	memset(long_pass, 'p', sizeof(long_pass) - 1);
	long_pass[sizeof(long_pass) - 1] = '\0';
	ok(bip39_substrate_seed64(s64, ent, n, long_pass) == -1,
	    "a passphrase over BIP39_PASSPHRASE_MAX is refused");
	long_pass[BIP39_PASSPHRASE_MAX] = '\0';
	ok(bip39_substrate_seed64(s64, ent, n, long_pass) == 0,
	    "one of BIP39_PASSPHRASE_MAX bytes is taken");
}

static void
test_lengths(void)
{
	uint8_t		ent[32], back[32];
	char		words[400];
	const char	*err;
	size_t		lens[] = { 16, 20, 24, 28, 32 }, i, n;
	int		nw;

	for (i = 0; i < 5; i++) {
		randombytes_buf(ent, lens[i]);
		ok(bip39_from_entropy(words, sizeof(words), ent, lens[i]) == 0,
		    "%zu-byte entropy encodes", lens[i]);
		nw = 1;
		for (n = 0; words[n]; n++)
			nw += words[n] == ' ';
		ok(nw == (int)(lens[i] * 3 / 4), "%d words", nw);
		ok(bip39_to_entropy(back, &n, words, strlen(words), &err) == 0 &&
		    n == lens[i] && memcmp(back, ent, n) == 0,
		    "%d words round-trip", nw);
	}
	ok(bip39_from_entropy(words, sizeof(words), ent, 17) == -1,
	    "17-byte entropy refused");
	ok(bip39_from_entropy(words, 10, ent, 16) == -1, "small buffer refused");
}

static void
bad(const char *secret, const char *want, const char *name)
{
	uint8_t		seed[32];
	const char	*err = NULL;

	if (!ok(secret_to_seed(seed, secret, strlen(secret), &err) == -1 &&
	    err != NULL && strstr(err, want) != NULL, "%s", name))
		diag("error: %s", err ? err : "(none)");
}

static void
test_negative(void)
{
	uint8_t		seed[32];
	const char	*err;
	const char	*hex = "0xb37231837527c7173dc212bb23a7fe795d5dae540e7c21366a5fb9f4cc398a36";
	const char	*HEX = "  0xB37231837527C7173DC212BB23A7FE795D5DAE540E7C21366A5FB9F4CC398A36\n";

	bad("invalid words", "not in the BIP-39", "\"invalid words\" fails");
	bad("0xinvalidseed", "0x and 64 hex", "\"0xinvalidseed\" fails");
	bad("0xzz7231837527c7173dc212bb23a7fe795d5dae540e7c21366a5fb9f4cc398a36",
	    "not hex", "non-hex digit in a seed fails");
	bad("0xb37231837527c7173dc212bb23a7fe795d5dae540e7c21366a5fb9f4cc398a",
	    "0x and 64 hex", "62 hex digits fail");
	bad("0xb37231837527c7173dc212bb23a7fe795d5dae540e7c21366a5fb9f4cc398a3600",
	    "0x and 64 hex", "66 hex digits fail");
	bad("neck stage box cup core magic produce exercise happy rely vocal vocal",
	    "checksum", "bad checksum fails");
	bad("neck stage box cup core magic produce exercise happy rely vocal",
	    "number of words", "11 words fail");
	bad("neck stage box cup core magic produce exercise happy rely vocal then then",
	    "number of words", "13 words fail");
	bad("abandon abandon abandon abandon abandon abandon abandon abandon "
	    "abandon abandon abandon abandon abandon abandon abandon abandon "
	    "abandon abandon abandon abandon abandon abandon abandon abandon "
	    "abandon", "too many", "25 words fail");
	bad("Neck stage box cup core magic produce exercise happy rely vocal then",
	    "not in the BIP-39", "upper-case word fails");
	bad("neck stage box cup core magic produce exercise happy rely vocal then//hard",
	    "not in the BIP-39", "derivation path refused (e2e parser rule)");
	bad("//Alice", "not in the BIP-39", "dev URI refused");
	bad("", "empty", "empty secret fails");
	bad(" \n", "empty", "blank secret fails");

	ok(secret_to_seed(seed, hex, strlen(hex), &err) == 0, "hex seed form");
	is_hex(seed, 32, "b37231837527c7173dc212bb23a7fe795d5dae540e7c21366a5fb9f4cc398a36", "hex seed bytes");
	ok(secret_to_seed(seed, HEX, strlen(HEX), &err) == 0,
	    "upper-case hex digits and surrounding whitespace accepted");
	is_hex(seed, 32, "b37231837527c7173dc212bb23a7fe795d5dae540e7c21366a5fb9f4cc398a36", "same seed");
	const char *spaced = "  neck  stage\tbox cup core magic produce exercise happy rely vocal then\n";
	ok(secret_to_seed(seed, spaced, strlen(spaced), &err) == 0,
	    "whitespace runs between words accepted");
	is_hex(seed, 32, vecs[0].seed, "same seed from spaced mnemonic");
}

int
main(void)
{
	if (sodium_init() < 0)
		return 1;
	test_wordlist();
	test_vectors();
	test_lengths();
	test_negative();
	return done_testing();
}
