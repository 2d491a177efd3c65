/* SPDX-License-Identifier: ISC */
#include <ctype.h>
#include <string.h>

#include <nettle/pbkdf2.h>
#include <sodium.h>

#include "bip39.h"

int
bip39_word_index(const char *word, size_t len)
{
	int	lo = 0, hi = BIP39_WORDS - 1, mid, c;
	size_t	wl;

	while (lo <= hi) {
		mid = lo + (hi - lo) / 2;
		wl = strlen(bip39_english[mid]);
		c = memcmp(word, bip39_english[mid], len < wl ? len : wl);
		if (c == 0)
			c = (len > wl) - (len < wl);
		if (c == 0)
			return mid;
		if (c < 0)
			hi = mid - 1;
		else
			lo = mid + 1;
	}
	return -1;
}

int
bip39_to_entropy(uint8_t entropy[BIP39_MAX_ENTROPY], size_t *entlen,
    const char *m, size_t len, const char **err)
{
	/* 24 words * 11 bits = 264 bits: 32 bytes of entropy and 1 of checksum. */
	uint8_t	 bits[33], hash[crypto_hash_sha256_BYTES];
	size_t	 i = 0, start, nwords = 0, nbits, ent, cs, b;
	int	 idx, bit, rc = -1;

	memset(bits, 0, sizeof(bits));
	/* isspace(3) of the C locale: no program of the bus sets another. */
	for (;;) {
		while (i < len && isspace((unsigned char)m[i]))
			i++;
		if (i == len)
			break;
		start = i;
		while (i < len && !isspace((unsigned char)m[i]))
			i++;
		if (nwords == 24) {
			*err = "too many words (at most 24)";
			goto fail;
		}
		if ((idx = bip39_word_index(m + start, i - start)) < 0) {
			*err = "a word is not in the BIP-39 English list";
			goto fail;
		}
		for (bit = 10; bit >= 0; bit--) {
			b = nwords * 11 + (size_t)(10 - bit);
			if (idx & (1 << bit))
				bits[b / 8] |= (uint8_t)(0x80 >> (b % 8));
		}
		nwords++;
	}
	if (nwords != 12 && nwords != 15 && nwords != 18 && nwords != 21 &&
	    nwords != 24) {
		*err = "wrong number of words (12, 15, 18, 21 or 24)";
		goto fail;
	}
	nbits = nwords * 11;
	cs = nbits / 33;
	ent = (nbits - cs) / 8;
	crypto_hash_sha256(hash, bits, ent);
	for (i = 0; i < cs; i++) {
		b = ent * 8 + i;
		if (((bits[b / 8] >> (7 - b % 8)) & 1) !=
		    ((hash[i / 8] >> (7 - i % 8)) & 1)) {
			*err = "bad mnemonic checksum";
			goto fail;
		}
	}
	memcpy(entropy, bits, ent);
	*entlen = ent;
	rc = 0;
fail:
	sodium_memzero(bits, sizeof(bits));
	sodium_memzero(hash, sizeof(hash));
	return rc;
}

/*
 * nettle's PBKDF2 keeps its HMAC state, derived from the entropy, in its
 * own stack frame and does not wipe it: the stack below ours is wiped
 * after each use.
 */
static void __attribute__((noinline))
burn_stack(void)
{
	uint8_t	pad[8192];

	sodium_memzero(pad, sizeof(pad));
	__asm__ __volatile__("" : : "r"(pad) : "memory");
}

/* PBKDF2's first 32 bytes are the first 32 of its 64-byte output. */
void
bip39_substrate_seed(uint8_t seed[SEED_BYTES], const uint8_t *entropy,
    size_t entlen)
{
	pbkdf2_hmac_sha512(entlen, entropy, 2048, 8,
	    (const uint8_t *)"mnemonic", SEED_BYTES, seed);
	burn_stack();
}

int
secret_to_seed(uint8_t seed[SEED_BYTES], const char *s, size_t len,
    const char **err)
{
	uint8_t	 entropy[BIP39_MAX_ENTROPY];
	size_t	 entlen;

	while (len > 0 && isspace((unsigned char)s[0])) {
		s++;
		len--;
	}
	while (len > 0 && isspace((unsigned char)s[len - 1]))
		len--;
	if (len == 0) {
		*err = "the secret is empty";
		return -1;
	}
	if (len > SECRET_MAX_TEXT) {
		*err = "the secret is too long";
		return -1;
	}
	if (len >= 2 && s[0] == '0' && s[1] == 'x') {
		if (len != 2 + 2 * SEED_BYTES) {
			*err = "a hex seed must be 0x and 64 hex digits";
			return -1;
		}
		if (sodium_hex2bin(seed, SEED_BYTES, s + 2, len - 2, NULL,
		    NULL, NULL) != 0) {
			sodium_memzero(seed, SEED_BYTES);
			*err = "the hex seed has a character that is not hex";
			return -1;
		}
		return 0;
	}
	if (bip39_to_entropy(entropy, &entlen, s, len, err) != 0)
		return -1;
	bip39_substrate_seed(seed, entropy, entlen);
	sodium_memzero(entropy, sizeof(entropy));
	return 0;
}
