/* SPDX-License-Identifier: ISC */
/*
 * Making a new mnemonic (rmb mnemonic), and the seed with a passphrase;
 * keyd only ever decodes a mnemonic.
 */
#include <string.h>

#include <nettle/pbkdf2.h>
#include <sodium.h>

#include "bip39_gen.h"

int
bip39_from_entropy(char *out, size_t cap, const uint8_t *entropy,
    size_t entlen)
{
	uint8_t	 bits[33], hash[crypto_hash_sha256_BYTES];
	size_t	 nwords, w, b, off = 0, wl;
	int	 idx, k;

	if (entlen < 16 || entlen > 32 || entlen % 4 != 0)
		return -1;
	memcpy(bits, entropy, entlen);
	crypto_hash_sha256(hash, entropy, entlen);
	bits[entlen] = hash[0];
	nwords = (entlen * 8 + entlen / 4) / 11;
	for (w = 0; w < nwords; w++) {
		idx = 0;
		for (k = 0; k < 11; k++) {
			b = w * 11 + (size_t)k;
			idx = idx << 1 | ((bits[b / 8] >> (7 - b % 8)) & 1);
		}
		wl = strlen(bip39_english[idx]);
		if (off + wl + 1 > cap)
			goto fail;
		if (w > 0)
			out[off - 1] = ' ';
		memcpy(out + off, bip39_english[idx], wl);
		off += wl + 1;
		out[off - 1] = '\0';
	}
	sodium_memzero(bits, sizeof(bits));
	return 0;
fail:
	sodium_memzero(bits, sizeof(bits));
	sodium_memzero(out, cap);
	return -1;
}

int
bip39_substrate_seed64(uint8_t out[64], const uint8_t *entropy, size_t entlen,
    const char *passphrase)
{
	uint8_t	salt[8 + BIP39_PASSPHRASE_MAX];
	size_t	plen = strlen(passphrase);

	if (plen > BIP39_PASSPHRASE_MAX)
		return -1;
	memcpy(salt, "mnemonic", 8);
	memcpy(salt + 8, passphrase, plen);
	pbkdf2_hmac_sha512(entlen, entropy, 2048, 8 + plen, salt, 64, out);
	sodium_memzero(salt, sizeof(salt));
	return 0;
}
