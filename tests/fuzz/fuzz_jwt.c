/* SPDX-License-Identifier: ISC */
/*
 * The relay's JWT parser on arbitrary bytes: it must never crash, and
 * whatever it accepts must be self-consistent.
 */
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "fuzz.h"
#include "jwt_parse.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const uint8_t	 account[ACCOUNT_BYTES];
	struct jwt		 jwt;
	const char		*err;

	if (sodium_init() < 0)
		abort();
	if (jwt_parse(&jwt, (const char *)data, size, &err) != 0)
		return 0;
	if (jwt.signed_part != (const char *)data ||
	    jwt.signed_len >= size || jwt.siglen > SIG65_BYTES)
		abort();
	if (jwt.has_sid && strlen(jwt.sid) > JWT_SID_MAX)
		abort();
	(void)jwt_check_exp(&jwt, 0, &err);
	(void)jwt_check_sig(&jwt, account, &err);
	return 0;
}
