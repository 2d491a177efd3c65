/* SPDX-License-Identifier: ISC */
/*
 * The relay JWT (doc/protocol.md §3, doc/relay.md §1.3): header
 * {"alg":"RS512"}, claims {"sub","sid","iat","exp"} in that order, each
 * part base64url without padding, and a 65-byte prefixed signature over
 * the raw text "header.claims".  jwt_build() is all keyd needs; parsing
 * and verification live in jwt_parse.c for the relay.
 */
#ifndef RMB_JWT_H
#define RMB_JWT_H

#include <stddef.h>
#include <stdint.h>

#include "identity.h"

#define JWT_HEADER_B64	"eyJhbGciOiJSUzUxMiJ9"	/* {"alg":"RS512"} */
#define JWT_SID_MAX	128	/* longest session id we make or accept */
/* Longest token we make or accept: generous for a 150-byte claims object. */
#define JWT_MAX		1024

struct jwt {
	uint32_t	 sub;
	int		 has_sid;
	char		 sid[JWT_SID_MAX + 1];
	uint64_t	 iat;
	uint64_t	 exp;
	const char	*signed_part;	/* "header.claims", inside the token */
	size_t		 signed_len;
	uint8_t		 sig[SIG65_BYTES];
	size_t		 siglen;
};

/*
 * Writes the token for twin (sid NULL for none) into out, cap including
 * the NUL.  Returns the token length, or -1 (sid too long, out too small,
 * signing failed).
 */
int	jwt_build(char *out, size_t cap, const struct identity *id,
	    uint32_t twin, const char *sid, uint64_t iat, uint64_t exp);

/*
 * Parses a token without verifying it.  Returns 0, or -1 with *err set to
 * a short reason.  jwt points into token afterwards: keep it alive.
 */
int	jwt_parse(struct jwt *jwt, const char *token, size_t len,
	    const char **err);

/* The relay's checks after parsing: now > exp is expired, then the sig. */
int	jwt_check_exp(const struct jwt *jwt, uint64_t now, const char **err);
int	jwt_check_sig(const struct jwt *jwt,
	    const uint8_t account[ACCOUNT_BYTES], const char **err);

#endif
