/* SPDX-License-Identifier: ISC */
/* Keccak-f[1600], STROBE-128 and Merlin against doc/sr25519.md §1-§3. */
#include <stdint.h>
#include <string.h>

#include <sodium.h>

#include "keccak.h"
#include "merlin.h"
#include "tap.h"

#define LABEL(s)	(s), sizeof(s) - 1
#define BYTES(s)	(const uint8_t *)(s), sizeof(s) - 1

static const char merlin_v3[] =
    "57176af75b5200b2000baa64256606b83fabd38a2072a9c18114d4d061f259f2"
    "49d025e506764e1121a179b3243389982ce1ac22f7244e07d881804dfb0e6dbf"
    "c85b164baf3661dbc6445da16b04890ff98317bf4e2fd3169e2bceaffcdba51b"
    "6524c09a9976f4b6d4ad9e461d64bd1370a5989b8ae3fa34e22c8a3da8e837b9"
    "e8da410d52d33158446bbc19096b8975fed237fcdb80d28b52a6c025fd5735a6"
    "e17f391ccd6aa079eada0f22739d4aa1a226edbc4b0b123ddaa9562dfdf3d81d"
    "283d2e1ea2c8d8500805335d7ddaeacd4151a94e58016345d489eeb4037f9703"
    "14b2012db761e6d97d2e2a2ababb0087b30edde71e7bbf406fe643edd29453e9"
    "969860225f86d81ed22f38bc0c9156ee14810de18aacada44584cd77640b938b"
    "f4e70d2cf7f6a420d62b09ad";

/* SHA3-256 of a message shorter than the 136-byte rate. */
static void
sha3_256_short(uint8_t out[32], const uint8_t *m, size_t len)
{
	uint8_t	st[KECCAK_STATE_BYTES];
	size_t	i;

	memset(st, 0, sizeof(st));
	for (i = 0; i < len; i++)
		st[i] ^= m[i];
	st[len] ^= 0x06;
	st[135] ^= 0x80;
	keccak_f1600(st);
	memcpy(out, st, 32);
}

static void
test_keccak(void)
{
	uint8_t	st[KECCAK_STATE_BYTES], h[32];

	memset(st, 0, sizeof(st));
	keccak_f1600(st);
	is_hex(st, 32, "e7dde140798f25f18a47c033f9ccd584"
	    "eea95aa61e2698d54d49806f304715bd", "Keccak-f of the zero state");

	sha3_256_short(h, NULL, 0);
	is_hex(h, 32, "a7ffc6f8bf1ed76651c14756a061d662"
	    "f580ff4de43b49fa82d80a4b80f8434a", "SHA3-256(\"\")");
	sha3_256_short(h, BYTES("abc"));
	is_hex(h, 32, "3a985da74fe225b2045c172d6bd390bd"
	    "855f086e3e9d525b46bfe24511431532", "SHA3-256(\"abc\")");
}

static void
test_strobe_init(void)
{
	static const char	step2[] = "9c6d168ff8fd55da2aa73c2355653563"
	    "dc0c475c551526f6733bea22f16cb57c";
	static const uint8_t	block[18] = {
		0x01, 0xa8, 0x01, 0x00, 0x01, 0x60,
		'S', 'T', 'R', 'O', 'B', 'E', 'v', '1', '.', '0', '.', '2',
	};
	struct strobe128	s;
	uint8_t			st[KECCAK_STATE_BYTES], want[32];
	size_t			i;

	memset(st, 0, sizeof(st));
	memcpy(st, block, sizeof(block));
	keccak_f1600(st);
	is_hex(st, 32, step2, "STROBE init: state after the first permutation");

	strobe128_init(&s, BYTES("Merlin v1.0"));
	ok(s.pos == 13 && s.pos_begin == 1, "STROBE init: pos %u, pos_begin %u",
	    s.pos, s.pos_begin);
	/* The meta-AD op absorbs [0, 0x12] and the protocol name. */
	unhex(want, sizeof(want), step2);
	want[1] ^= 0x12;
	for (i = 0; i < 11; i++)
		want[2 + i] ^= (uint8_t)"Merlin v1.0"[i];
	ok(memcmp(s.st, want, 32) == 0, "STROBE init: meta-AD absorbed");
}

static void
test_merlin_vectors(void)
{
	struct merlin_transcript	t, t2;
	struct merlin_rng		rng;
	uint8_t				c[32], big[1024], w1[200], out[300];
	int				i;

	merlin_init(&t, LABEL("test protocol"));
	merlin_append(&t, LABEL("some label"), BYTES("some data"));
	t2 = t;
	merlin_challenge(&t, LABEL("challenge"), c, 32);
	is_hex(c, 32, "d5a21972d0d5fe320c0d263fac7fffb8"
	    "145aa640af6e9bca177c03c7efcf0615", "Merlin 1: equivalence_simple");

	merlin_challenge(&t2, LABEL("challenge"), out, 300);
	is_hex(out, 300, merlin_v3, "Merlin 3: 300-byte challenge");

	memset(big, 0x63, sizeof(big));
	merlin_init(&t, LABEL("test protocol"));
	merlin_append(&t, LABEL("step1"), BYTES("some data"));
	for (i = 0; i < 32; i++) {
		merlin_challenge(&t, LABEL("challenge"), c, 32);
		merlin_append(&t, LABEL("bigdata"), big, sizeof(big));
		merlin_append(&t, LABEL("challengedata"), c, 32);
	}
	is_hex(c, 32, "a8c933f54fae76e3f9bea93648c1308e"
	    "7dfa2152dd51674ff3ca438351cf003c",
	    "Merlin 2: equivalence_complex");

	merlin_init(&t, LABEL("test protocol"));
	merlin_append(&t, LABEL("com"), BYTES("commitment data"));
	t2 = t;
	memset(w1, 0x07, sizeof(w1));
	for (i = 0; i < 32; i++)
		c[i] = (uint8_t)(i + 1);
	merlin_rng_init(&rng, &t);
	ok(merlin_rng_rekey(&rng, LABEL("witness"), w1, sizeof(w1)) == 0 &&
	    merlin_rng_rekey(&rng, LABEL("witness"), BYTES("second seed")) == 0,
	    "RNG: rekey with two witnesses");
	ok(merlin_rng_fill(&rng, out, 64) == -1,
	    "RNG: fill before finalize fails");
	merlin_rng_finalize(&rng, c);
	ok(merlin_rng_rekey(&rng, LABEL("witness"), w1, 1) == -1,
	    "RNG: rekey after finalize fails");
	ok(merlin_rng_fill(&rng, out, 64) == 0, "RNG: fill");
	is_hex(out, 64, "37ab044d3fe90e280cef7aa0dabfd6ac"
	    "7c0f3e195e9b920ee3db52e207e955be5ae3f371443db9d6ec1d73f75c689aa8"
	    "12be261f141a399b766fde301f20fd24", "Merlin 4: transcript RNG");
	ok(memcmp(&t, &t2, sizeof(t)) == 0, "RNG leaves the transcript alone");
	merlin_rng_wipe(&rng);

	merlin_init(&t, LABEL("SigningContext"));
	merlin_append(&t, LABEL(""), BYTES("substrate"));
	merlin_append(&t, LABEL("sign-bytes"), BYTES("abc"));
	merlin_challenge(&t, LABEL("test"), c, 32);
	is_hex(c, 32, "9ce74299d397bd9fee506f0ba267798c"
	    "a83d8a5190e155b44905c466319b5a21", "Merlin 5: signing context");
}

static void
test_bounds(void)
{
	struct merlin_transcript	t, t2;
	struct merlin_rng		rng;
	uint8_t				b = 0;
	size_t				huge;

	if ((uint64_t)SIZE_MAX <= UINT32_MAX) {
		diag("size_t is 32 bits: lengths cannot exceed UINT32_MAX");
		return;
	}
	/* Only the length is looked at before the check fails. */
	huge = (size_t)((uint64_t)UINT32_MAX + 1);
	merlin_init(&t, LABEL("bounds"));
	t2 = t;
	ok(merlin_append(&t, LABEL("m"), &b, huge) == -1,
	    "append rejects a message over UINT32_MAX");
	ok(merlin_challenge(&t, LABEL("c"), &b, huge) == -1,
	    "challenge rejects a length over UINT32_MAX");
	ok(merlin_init(&t, (const char *)&b, huge) == -1,
	    "init rejects a label over UINT32_MAX");
	ok(memcmp(&t, &t2, sizeof(t)) == 0, "rejected calls change nothing");
	merlin_rng_init(&rng, &t);
	ok(merlin_rng_rekey(&rng, LABEL("w"), &b, huge) == -1,
	    "rekey rejects a witness over UINT32_MAX");
	merlin_rng_finalize(&rng, (const uint8_t[32]){ 0 });
	ok(merlin_rng_fill(&rng, &b, huge) == -1,
	    "fill rejects a length over UINT32_MAX");
	merlin_rng_wipe(&rng);
}

int
main(void)
{
	if (sodium_init() < 0)
		return 1;
	test_keccak();
	test_strobe_init();
	test_merlin_vectors();
	test_bounds();
	return done_testing();
}
