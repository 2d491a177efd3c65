/* SPDX-License-Identifier: ISC */
#include <sodium.h>

#include "ss58.h"
#include "tap.h"

/* doc/protocol.md §1.6: the key table and the two devnet accounts. */
static const struct {
	const char	*addr, *hex;
} vec[] = {
	{ "5EGtD8gtMcKPupQ187AY8VMx3SP6489nnFUv7b9cC2eRKiqw",
	  "61c243346215f4dfa70d33affc5e568a52fb37859ff21296a28cdb75fcc2fb55" },
	{ "5EFsy5c74SbTa7yWs9TjRKEEfrHSYq4TDYXuPGThdKsonsFp",
	  "60fe3393cc329aa1044be6adaa37f9d0689327dd25c11475d4a86651d6727a48" },
	{ "5CF3xP5fy7vvKiA5VAwPXXiFC2d32MUHk4st6E3JEyekr7dW",
	  "07e41c929a661a0dd976238b27d12884def9b59354535d6eee883c9d52d2dce1" },
	{ "5FQyXfVmhKhhEMyP2s3LWAzYhWTtt3csZtVWFFg24Cjb4Eb6",
	  "942a5dc287ca18e4035f8f7863ff27103905651968385c7b1eb03fac20027146" },
	{ "5DD6D8XxhNpCJ8zYBt3yc38Qeub8GaraG1JsBk9Rr7mq3yiD",
	  "32a1716189665466061fd55b4e3f1431c88f62e2a33c0a19c299c095746f67e0" },
	{ "5FjubvYMj4bDAKSaDk9izWHMJqKABUoySi7j4kKzc6pv4UwF",
	  "a29acf9a22068341a51a1b4e44fc743f3aafbec30bcf9a45264cafe855195764" },
	{ "5FNMdZNs74Tg1wm76frYfdtWM3DP4569EhfZxKiD1iZc7veJ",
	  "922b07df6a39450574ce91295b17e1be17a5c67c1975226d137647bcf8cf8045" },
	{ "5EWpy8kzz8ZjnevdVo1aL6fpm3DBRCBzrunjq97gzuhKW2AX",
	  "6c64c96b606531bb8f225488ec5bf6f53b05b729b9f9859d56501d92be9bf378" },
	{ "5FA9nQDVg267DEd8m1ZypXLBnvN7SFxYwV7ndqSYGiN9TTpu",
	  "88dc3417d5058ec4b4503e0c12ea1a0a89be200fe98922423d4334014fa6b0ee" },
	{ "5GrwvaEF5zXb26Fz9rcQpDWS57CtERHpNehXCPcNoHGKutQY",
	  "d43593c715fdd31c61141abd04a99fd6822c8558854ccde39a5684e7a56da27d" },
	{ "5Eh2stFNQX4khuKoh2a1jQBVE91Lv3kyJiVP2Y5webontjRe",
	  "742d54eb9c3cc4c3441a9bfaf9fc3869fd9e6e0cdf4222ece6bd4d8d1413d47b" },
	{ "5EyHmbLydxX7hXTX7gQqftCJr2e57Z3VNtgd6uxJzZsAjcPb",
	  "80936335b48c1c9ec0bc4ee4710e8c97d28dad99ca61151da57ab5cf08905f59" },
};

/* Bitcoin's base58 encode/decode vectors. */
static const struct {
	const char	*hex, *b58;
} b58vec[] = {
	{ "", "" },
	{ "00", "1" },
	{ "61", "2g" },
	{ "626262", "a3gV" },
	{ "636363", "aPEr" },
	{ "73696d706c792061206c6f6e6720737472696e67",
	  "2cFupjhnEsSn59qHXstmK2ffpLv2" },
	{ "00eb15231dfceb60925886b67d065299925915aeb172c06647",
	  "1NS17iag9jJgTHD1VXjvLCEnZuQ3rJDE9L" },
	{ "516b6fcd0f", "ABnLTmg" },
	{ "bf4f89001e670274dd", "3SEo3LWLoPntC" },
	{ "572e4794", "3EFU7m" },
	{ "ecac89cad93923c02321", "EJDM8drfXA6uyA" },
	{ "10c8511e", "Rt5zm" },
	{ "00000000000000000000", "1111111111" },
};

static void
test_base58(void)
{
	uint8_t	in[BASE58_BYTES_MAX + 1], out[BASE58_BYTES_MAX + 8];
	char	s[BASE58_TEXT_MAX + 8];
	size_t	i, n, m;

	for (i = 0; i < sizeof(b58vec) / sizeof(b58vec[0]); i++) {
		n = unhex(in, sizeof(in), b58vec[i].hex);
		ok(base58_encode(s, sizeof(s), in, n) == 0 &&
		    strcmp(s, b58vec[i].b58) == 0, "base58 encode \"%s\"",
		    b58vec[i].b58);
		ok(base58_decode(out, sizeof(out), &m, b58vec[i].b58) == 0 &&
		    m == n && memcmp(out, in, n) == 0, "base58 decode \"%s\"",
		    b58vec[i].b58);
	}

	n = unhex(in, sizeof(in), "626262");
	ok(base58_encode(s, 4, in, n) == -1, "encode: no room for the NUL");
	ok(base58_encode(s, 5, in, n) == 0, "encode: exact fit");
	ok(base58_decode(out, 2, &m, "a3gV") == -1, "decode: output too small");
	ok(base58_decode(out, sizeof(out), &m, "a3g0") == -1,
	    "decode: 0 is not a digit");

	memset(in, 0xff, sizeof(in));
	ok(base58_encode(s, sizeof(s), in, BASE58_BYTES_MAX) == 0 &&
	    strlen(s) <= BASE58_TEXT_MAX, "encode %d bytes of ff",
	    BASE58_BYTES_MAX);
	ok(base58_decode(out, sizeof(out), &m, s) == 0 &&
	    m == BASE58_BYTES_MAX && memcmp(out, in, m) == 0, "  round trip");
	ok(base58_encode(s, sizeof(s), in, BASE58_BYTES_MAX + 1) == -1,
	    "encode over %d bytes rejected", BASE58_BYTES_MAX);
	memset(s, 'z', BASE58_TEXT_MAX + 1);
	s[BASE58_TEXT_MAX + 1] = '\0';
	ok(base58_decode(out, sizeof(out), &m, s) == -1,
	    "decode over %d characters rejected", BASE58_TEXT_MAX);
}

static void
test_vectors(void)
{
	uint8_t	acc[32], want[32];
	char	s[SS58_ADDR_SIZE];
	size_t	i;

	for (i = 0; i < sizeof(vec) / sizeof(vec[0]); i++) {
		unhex(want, sizeof(want), vec[i].hex);
		ok(ss58_encode(s, sizeof(s), want) == 0 &&
		    strcmp(s, vec[i].addr) == 0, "encode %s", vec[i].addr);
		memset(acc, 0, sizeof(acc));
		ok(ss58_decode(acc, vec[i].addr) == 0, "decode %s",
		    vec[i].addr);
		is_hex(acc, sizeof(acc), vec[i].hex, "  account");
	}

	/* The DEV_PHRASE account of doc/chain.md §1.1, 5DfhGyQd...EqRzV. */
	unhex(want, sizeof(want),
	    "46ebddef8cd9bb167dc30878d7113b7e168e6f0646beffd77d69d39bad76b47a");
	ok(ss58_encode(s, sizeof(s), want) == 0 &&
	    strncmp(s, "5DfhGyQd", 8) == 0 &&
	    strcmp(s + strlen(s) - 5, "EqRzV") == 0, "DEV_PHRASE sr25519: %s",
	    s);

	ok(ss58_encode(s, SS58_ADDR_SIZE - 1, want) == -1,
	    "encode: short buffer rejected");
}

static void
bad(const char *s, const char *name)
{
	uint8_t	acc[32];

	ok(ss58_decode(acc, s) == -1, "rejected: %s", name);
}

static void
test_bad(void)
{
	char	s[128];
	uint8_t	raw[35], acc[32];
	size_t	len;

	snprintf(s, sizeof(s), "%s", vec[9].addr);
	len = strlen(s);
	s[len - 1] = s[len - 1] == 'Y' ? 'Z' : 'Y';
	bad(s, "last character changed (checksum)");
	snprintf(s, sizeof(s), "%s", vec[9].addr);
	s[10] = s[10] == 'a' ? 'b' : 'a';
	bad(s, "middle character changed");

	bad("15oF4uVJwmo4TdGW7VfQxNLavjCXviqxT9S1MgbjMNHr6Sp5",
	    "//Alice with Polkadot prefix 0");
	bad("HNZata7iMYWmk5RvZRTiAsSDhV8366zq2YGb3tLH5Upf74F",
	    "//Alice with Kusama prefix 2");

	/* A valid prefix-0 checksum is still a wrong prefix. */
	raw[0] = 0;
	unhex(raw + 1, 32, vec[9].hex);
	raw[33] = raw[34] = 0;
	base58_encode(s, sizeof(s), raw, sizeof(raw));
	bad(s, "prefix 0 with garbage checksum");

	snprintf(s, sizeof(s), "%s", vec[9].addr);
	s[5] = '0';
	bad(s, "character 0");
	s[5] = 'O';
	bad(s, "character O");
	s[5] = 'I';
	bad(s, "character I");
	s[5] = 'l';
	bad(s, "character l");
	s[5] = '+';
	bad(s, "character +");
	snprintf(s, sizeof(s), "%.10s\xc3\xa9%s", vec[9].addr,
	    vec[9].addr + 12);
	bad(s, "non-ASCII character");
	snprintf(s, sizeof(s), " %s", vec[9].addr);
	bad(s, "leading space");

	snprintf(s, sizeof(s), "%s", vec[9].addr);
	s[strlen(s) - 1] = '\0';
	bad(s, "one character short");
	snprintf(s, sizeof(s), "%sz", vec[9].addr);
	bad(s, "one character long");
	snprintf(s, sizeof(s), "1%s", vec[9].addr);
	bad(s, "leading 1 (zero byte)");
	bad("", "empty");
	memset(s, '5', 120);
	s[120] = '\0';
	bad(s, "120 characters");

	ok(ss58_decode(acc, vec[9].addr) == 0, "valid one still accepted");
}

int
main(void)
{
	if (sodium_init() < 0)
		return 1;
	test_base58();
	test_vectors();
	test_bad();
	return done_testing();
}
