/* SPDX-License-Identifier: ISC */
/*
 * The relay JWT (doc/protocol.md §3, doc/relay.md §1.3): header
 * {"alg":"RS512"}, claims {"sub","sid","iat","exp"} in that order, each
 * part base64url without padding, and a 65-byte prefixed signature over
 * the raw text "header.claims".  What keyd needs is here; tokens with a
 * session id, parsing and verification are in common/net/jwt_parse.h.
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

/*
 * Writes into out (cap including the NUL) the token of the claims, the
 * JSON object given in claims, len bytes, signed by id.  Returns the
 * token's length, or -1 (out too small, signing failed).
 */
int	jwt_sign(char *out, size_t cap, const struct identity *id,
	    const char *claims, size_t len);

/* The token keyd makes: twin's, with "sid":null.  As jwt_sign(). */
int	jwt_build(char *out, size_t cap, const struct identity *id,
	    uint32_t twin, uint64_t iat, uint64_t exp);

#endif
