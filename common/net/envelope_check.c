/* SPDX-License-Identifier: ISC */
/*
 * The receiving side's envelope rules: verification and time
 * (doc/protocol.md §2.2, §5.2).
 */
#include "envelope.h"

int
envelope_verify(const Envelope *e, const uint8_t account[ACCOUNT_BYTES],
    const char **err)
{
	uint8_t	digest[CHALLENGE_BYTES];

	if (e->opt_signature_case != ENVELOPE__OPT_SIGNATURE_SIGNATURE) {
		*err = "message is not signed";
		return -1;
	}
	envelope_challenge(e, digest);
	return sig_verify(account, e->signature.data, e->signature.len,
	    digest, sizeof(digest), err);
}

void
envelope_stamp(uint64_t now, uint64_t ts, uint64_t exp, uint64_t *nts,
    uint64_t *nexp)
{
	*nts = now;
	if (ts == 0 || ts > now)
		*nexp = exp;
	else
		*nexp = exp > now - ts ? exp - (now - ts) : 0;
}

uint64_t
envelope_ttl(uint64_t now, uint64_t ts, uint64_t exp)
{
	uint64_t	deadline;

	deadline = ts > UINT64_MAX - exp ? UINT64_MAX : ts + exp;
	return deadline > now ? deadline - now : 0;
}
