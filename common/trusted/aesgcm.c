/* SPDX-License-Identifier: ISC */
#include <string.h>

#include <nettle/gcm.h>
#include <sodium.h>

#include "aesgcm.h"

/*
 * Seals in to out and appends the tag, or opens in to out and returns -1
 * if its tag does not match (the caller then wipes out).  The tag follows
 * the ciphertext, so out may equal in either way.
 */
static int
nettle_gcm(uint8_t *out, const uint8_t *in, size_t len,
    const uint8_t nonce[AESGCM_NONCE_BYTES],
    const uint8_t key[AESGCM_KEY_BYTES], int seal)
{
	struct gcm_aes256_ctx	ctx;
	uint8_t			tag[AESGCM_TAG_BYTES];
	int			r = 0;

	gcm_aes256_set_key(&ctx, key);
	gcm_aes256_set_iv(&ctx, AESGCM_NONCE_BYTES, nonce);
	if (seal)
		gcm_aes256_encrypt(&ctx, len, out, in);
	else
		gcm_aes256_decrypt(&ctx, len, out, in);
	gcm_aes256_digest(&ctx, sizeof(tag), tag);
	if (seal)
		memcpy(out + len, tag, sizeof(tag));
	else
		r = sodium_memcmp(tag, in + len, sizeof(tag));
	sodium_memzero(&ctx, sizeof(ctx));
	sodium_memzero(tag, sizeof(tag));
	return r;
}

int
aesgcm_seal(uint8_t *out, const uint8_t *in, size_t len,
    const uint8_t nonce[AESGCM_NONCE_BYTES],
    const uint8_t key[AESGCM_KEY_BYTES])
{
	static const uint8_t	empty[1];

	if ((unsigned long long)len > AESGCM_MAX_BYTES)
		return -1;
	return nettle_gcm(out, in != NULL ? in : empty, len, nonce, key, 1);
}

int
aesgcm_open(uint8_t *out, const uint8_t *in, size_t clen,
    const uint8_t nonce[AESGCM_NONCE_BYTES],
    const uint8_t key[AESGCM_KEY_BYTES])
{
	uint8_t	dummy[1];
	size_t	len;

	if (clen < AESGCM_TAG_BYTES)
		return -1;
	len = clen - AESGCM_TAG_BYTES;
	if ((unsigned long long)len > AESGCM_MAX_BYTES)
		return -1;
	if (out == NULL)
		out = dummy;
	if (nettle_gcm(out, in, len, nonce, key, 0) == 0)
		return 0;
	if (len > 0)
		sodium_memzero(out, len);
	return -1;
}
