/* SPDX-License-Identifier: ISC */
/*
 * What the unprivileged processes do with identities and keyd never
 * does: verify a signature, and read a key type from a flag or a file.
 */
#ifndef RMB_SIG_VERIFY_H
#define RMB_SIG_VERIFY_H

#include "identity.h"

/* "sr25519" / "ed25519", case-insensitive.  Returns 0 or -1. */
int		 key_type_parse(enum key_type *, const char *);

/*
 * Verifies a prefixed signature against an account: the first byte picks
 * ed25519 or sr25519.  Returns 0, or -1 with *err set to the reference's
 * text for the failure.
 */
int	sig_verify(const uint8_t account[ACCOUNT_BYTES], const uint8_t *sig,
	    size_t siglen, const uint8_t *msg, size_t len, const char **err);

#endif
