/* SPDX-License-Identifier: ISC */
/*
 * Verifying a 65-byte prefixed signature against an account
 * (doc/protocol.md §2.1).
 */
#include <sodium.h>

#include "identity.h"

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
