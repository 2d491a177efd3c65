/* SPDX-License-Identifier: ISC */
/*
 * The envelope rules that keyd does not need: signing with a whole
 * identity (keyd signs the challenge itself), verification and time
 * (doc/protocol.md §2.2, §5.2).
 */
#include "envelope.h"

int
envelope_sign(Envelope *e, const struct identity *id,
    uint8_t sig[SIG65_BYTES])
{
	uint8_t	digest[CHALLENGE_BYTES];

	envelope_challenge(e, digest);
	if (identity_sign(id, sig, digest, sizeof(digest)) != 0)
		return -1;
	e->opt_signature_case = ENVELOPE__OPT_SIGNATURE_SIGNATURE;
	e->signature.data = sig;
	e->signature.len = SIG65_BYTES;
	return 0;
}

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
