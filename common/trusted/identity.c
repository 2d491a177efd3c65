/* SPDX-License-Identifier: ISC */
#include <string.h>

#include <sodium.h>

#include "identity.h"

const char *
key_type_name(enum key_type t)
{
	return t == KEY_ED25519 ? "ed25519" : "sr25519";
}

int
identity_from_seed(struct identity *id, enum key_type type,
    const uint8_t seed[32])
{
	uint8_t	pk[crypto_sign_PUBLICKEYBYTES];

	memset(id, 0, sizeof(*id));
	id->type = type;
	switch (type) {
	case KEY_ED25519:
		if (crypto_sign_seed_keypair(pk, id->ed_sk, seed) != 0)
			goto fail;
		memcpy(id->account, pk, ACCOUNT_BYTES);
		break;
	case KEY_SR25519:
		if (sr25519_keypair_from_seed(&id->sr, seed) != 0)
			goto fail;
		memcpy(id->account, id->sr.pub, ACCOUNT_BYTES);
		break;
	default:
		goto fail;
	}
	return 0;
fail:
	identity_wipe(id);
	return -1;
}

void
identity_wipe(struct identity *id)
{
	sodium_memzero(id, sizeof(*id));
}

int
identity_sign(const struct identity *id, uint8_t sig[SIG65_BYTES],
    const uint8_t *msg, size_t len)
{
	static const uint8_t ctx[] = SR25519_CONTEXT;

	switch (id->type) {
	case KEY_ED25519:
		sig[0] = SIG_PREFIX_ED25519;
		return crypto_sign_detached(sig + 1, NULL, msg, len,
		    id->ed_sk) == 0 ? 0 : -1;
	case KEY_SR25519:
		sig[0] = SIG_PREFIX_SR25519;
		return sr25519_sign(sig + 1, &id->sr, ctx, sizeof(ctx) - 1,
		    msg, len);
	}
	return -1;
}
