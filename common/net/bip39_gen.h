/* SPDX-License-Identifier: ISC */
/*
 * BIP-39 beyond what keyd needs to decode a secret: making a mnemonic
 * (rmb mnemonic) and the 64-byte seed with a passphrase (test vectors).
 */
#ifndef RMB_BIP39_GEN_H
#define RMB_BIP39_GEN_H

#include "bip39.h"

#define BIP39_PASSPHRASE_MAX	256

/* Encodes entropy (16, 20, 24, 28 or 32 bytes) as a mnemonic into out. */
int	bip39_from_entropy(char *out, size_t cap, const uint8_t *entropy,
	    size_t entlen);

#endif
