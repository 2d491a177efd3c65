/* SPDX-License-Identifier: ISC */
/*
 * The signing identity of doc/protocol.md §1-§2: an ed25519 or sr25519 key
 * from a 32-byte seed, the 32-byte account id (the raw public key), and
 * the 65-byte prefixed signature ('e' or 's' then 64 bytes).
 */
#ifndef RMB_IDENTITY_H
#define RMB_IDENTITY_H

#include <stddef.h>
#include <stdint.h>

#include "sr25519.h"

#define ACCOUNT_BYTES		32
#define SIG65_BYTES		65
#define SIG_PREFIX_ED25519	0x65	/* 'e' */
#define SIG_PREFIX_SR25519	0x73	/* 's' */

/* The Substrate signing context that rmb uses for every sr25519 signature. */
#define SR25519_CONTEXT		"substrate"

enum key_type {
	KEY_SR25519,
	KEY_ED25519
};

struct identity {
	enum key_type		type;
	uint8_t			account[ACCOUNT_BYTES];
	uint8_t			ed_sk[64];	/* libsodium seed || pk form */
	struct sr25519_keypair	sr;
};

const char	*key_type_name(enum key_type);

int	identity_from_seed(struct identity *, enum key_type,
	    const uint8_t seed[32]);
void	identity_wipe(struct identity *);

/* Signs msg; sr25519 signatures are randomised.  Returns 0 or -1. */
int	identity_sign(const struct identity *, uint8_t sig[SIG65_BYTES],
	    const uint8_t *msg, size_t len);


#endif
