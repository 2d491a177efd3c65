/* SPDX-License-Identifier: ISC */
/*
 * BIP-39 English mnemonics and the Substrate seed derived from them
 * (doc/protocol.md §1.2): PBKDF2-HMAC-SHA512 over the mnemonic's entropy,
 * not over the sentence, salt "mnemonic", 2048 rounds, first 32 bytes.
 */
#ifndef RMB_BIP39_H
#define RMB_BIP39_H

#include <stddef.h>
#include <stdint.h>

#define BIP39_WORDS		2048
#define BIP39_MAX_ENTROPY	32
#define SEED_BYTES		32

/* The longest secret text we accept: 24 words of at most 8 letters. */
#define SECRET_MAX_TEXT		1024

extern const char *const bip39_english[BIP39_WORDS];

/* Index of word (len bytes, not NUL-terminated) in the list, or -1. */
int	bip39_word_index(const char *word, size_t len);

/*
 * Decodes a mnemonic of 12, 15, 18, 21 or 24 words separated by ASCII
 * whitespace into its entropy (16..32 bytes), checking the checksum.
 * Returns 0, or -1 with *err set to a reason that never quotes a word.
 */
int	bip39_to_entropy(uint8_t entropy[BIP39_MAX_ENTROPY], size_t *entlen,
	    const char *mnemonic, size_t len, const char **err);

/*
 * PBKDF2-HMAC-SHA512(entropy, "mnemonic" || passphrase, 2048), 64 bytes.
 * Returns 0, or -1 if the passphrase is longer than BIP39_PASSPHRASE_MAX.
 */
int	bip39_substrate_seed64(uint8_t out[64], const uint8_t *entropy,
	    size_t entlen, const char *passphrase);

/* seed = the first 32 bytes of the above with an empty passphrase. */
void	bip39_substrate_seed(uint8_t seed[SEED_BYTES], const uint8_t *entropy,
	    size_t entlen);

/*
 * The two secret forms rmb accepts: a mnemonic, or "0x" and 64 hex digits
 * used as the seed directly.  Leading and trailing whitespace is ignored.
 * Returns 0, or -1 with *err saying what is wrong (never quoting it).
 */
int	secret_to_seed(uint8_t seed[SEED_BYTES], const char *secret,
	    size_t len, const char **err);

#endif
