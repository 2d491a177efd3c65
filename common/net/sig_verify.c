/* SPDX-License-Identifier: ISC */
/*
 * Verifying a 65-byte prefixed signature against an account
 * (doc/protocol.md §2.1), and sr25519 verification (doc/sr25519.md §7),
 * which keyd, that only signs, does not link.
 */
#include <string.h>
#include <strings.h>

#include <sodium.h>

#include "merlin.h"
#include "sig_verify.h"

/* The group order l, little-endian. */
static const uint8_t group_order[32] = {
	0xed, 0xd3, 0xf5, 0x5c, 0x1a, 0x63, 0x12, 0x58,
	0xd6, 0x9c, 0xf7, 0xa2, 0xde, 0xf9, 0xde, 0x14,
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x10,
};

/*
 * sr25519 public keys found valid, one per slot by a byte of the key: a
 * twin's key is decoded and checked once, not for every envelope it
 * signs (the check is about 6 us of 85, tests/bench/crypto).  Only keys
 * that passed are kept, compared whole; a key that takes another's slot
 * is just checked again.
 */
#define KEY_MEMO	64
static uint8_t	key_memo[KEY_MEMO][SR25519_PUBLIC_BYTES];
static int	key_memo_set[KEY_MEMO];

/* libsodium 1.0.18 ignores bit 255 of a point; schnorrkel does not. */
static int
key_is_valid(const uint8_t pub[SR25519_PUBLIC_BYTES])
{
	size_t	slot = pub[1] % KEY_MEMO;

	if (key_memo_set[slot] &&
	    memcmp(key_memo[slot], pub, SR25519_PUBLIC_BYTES) == 0)
		return 1;
	if ((pub[31] & 0x80) != 0 ||
	    crypto_core_ristretto255_is_valid_point(pub) != 1)
		return 0;
	memcpy(key_memo[slot], pub, SR25519_PUBLIC_BYTES);
	key_memo_set[slot] = 1;
	return 1;
}

/* Variable time, which is fine: s is public. */
static int
scalar_is_canonical(const uint8_t s[32])
{
	size_t	i;

	for (i = 32; i-- > 0;) {
		if (s[i] != group_order[i])
			return s[i] < group_order[i];
	}
	return 0;
}

int
sr25519_verify(const uint8_t pub[SR25519_PUBLIC_BYTES], const uint8_t *ctx,
    size_t ctxlen, const uint8_t *msg, size_t msglen,
    const uint8_t sig[SR25519_SIG_BYTES])
{
	struct merlin_transcript	t;
	uint8_t				s[32], k[32], sB[32], kA[32], Rp[32];

	if ((sig[63] & 0x80) == 0)
		return -1;
	memcpy(s, sig + 32, 32);
	s[31] &= 0x7f;
	if (!scalar_is_canonical(s))
		return -1;
	if (!key_is_valid(pub))
		return -1;

	if (sr25519_transcript(&t, ctx, ctxlen, msg, msglen, pub) != 0)
		return -1;
	sr25519_challenge(k, &t, sig);

	/* pub is valid, so -1 only means an identity result (all zeros). */
	if (crypto_scalarmult_ristretto255_base(sB, s) != 0)
		memset(sB, 0, sizeof(sB));
	if (crypto_scalarmult_ristretto255(kA, k, pub) != 0)
		memset(kA, 0, sizeof(kA));
	if (crypto_core_ristretto255_sub(Rp, sB, kA) != 0)
		return -1;
	/* R is compared as raw bytes, never decoded, as in schnorrkel. */
	return memcmp(Rp, sig, 32) == 0 ? 0 : -1;
}

int
sig_verify(const uint8_t account[ACCOUNT_BYTES], const uint8_t *sig,
    size_t siglen, const uint8_t *msg, size_t len, const char **err)
{
	static const uint8_t ctx[] = SR25519_CONTEXT;

	if (siglen != SIG65_BYTES) {
		*err = "invalid signature length, expected: 65";
		return -1;
	}
	switch (sig[0]) {
	case SIG_PREFIX_ED25519:
		if (crypto_sign_verify_detached(sig + 1, msg, len,
		    account) != 0) {
			*err = "ed25519 signature verification failed";
			return -1;
		}
		return 0;
	case SIG_PREFIX_SR25519:
		if (sr25519_verify(account, ctx, sizeof(ctx) - 1, msg, len,
		    sig + 1) != 0) {
			*err = "sr25519 signature verification failed";
			return -1;
		}
		return 0;
	default:
		*err = "invalid signature type (expected either sr25519 or "
		    "ed25519)";
		return -1;
	}
}

int
key_type_parse(enum key_type *t, const char *s)
{
	if (strcasecmp(s, "sr25519") == 0)
		*t = KEY_SR25519;
	else if (strcasecmp(s, "ed25519") == 0)
		*t = KEY_ED25519;
	else
		return -1;
	return 0;
}
