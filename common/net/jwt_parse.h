/* SPDX-License-Identifier: ISC */
/*
 * Tokens as the relay and clients handle them (doc/protocol.md §3):
 * making one with a session id, parsing and verifying.  keyd's part is
 * in common/trusted/jwt.h.
 */
#ifndef RMB_JWT_PARSE_H
#define RMB_JWT_PARSE_H

#include "jwt.h"

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
 * jwt_build() with "sid": sid, JSON-escaped, at most JWT_SID_MAX bytes;
 * sid NULL is jwt_build()'s "sid":null.
 */
int	jwt_build_sid(char *out, size_t cap, const struct identity *id,
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
