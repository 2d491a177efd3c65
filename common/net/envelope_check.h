/* SPDX-License-Identifier: ISC */
/*
 * The envelope rules for envelopes from and to the network, which keyd
 * does not need: signing with a whole identity, verification, strict
 * decoding and the stamp/ttl time arithmetic (doc/protocol.md §2.2, §5.2).
 */
#ifndef RMB_ENVELOPE_CHECK_H
#define RMB_ENVELOPE_CHECK_H

#include "envelope.h"

/*
 * Signs env with id: the signature goes to sig, and env's signature field
 * points at it (so sig must outlive env's use).  Returns 0 or -1.
 */
int	envelope_sign(Envelope *env, const struct identity *id,
	    uint8_t sig[SIG65_BYTES]);

/*
 * Verifies env's signature against account.  Returns 0, or -1 with *err
 * set to the reference's text ("message is not signed", ...).
 */
int	envelope_verify(const Envelope *env,
	    const uint8_t account[ACCOUNT_BYTES], const char **err);

/*
 * Decodes one envelope; NULL when protobuf-c refuses it or a string field
 * is not valid UTF-8 (rust-protobuf refuses those too).  Free with
 * envelope__free_unpacked(env, NULL).
 */
Envelope *envelope_unpack(const uint8_t *buf, size_t len);

/* §5.2: keep the deadline, move the timestamp to now. */
void	envelope_stamp(uint64_t now, uint64_t ts, uint64_t exp,
	    uint64_t *nts, uint64_t *nexp);

/*
 * §5.2: seconds left until ts + exp (saturating); 0 when expired, which
 * callers treat as "expired" since a live envelope has at least 1 s.
 */
uint64_t envelope_ttl(uint64_t now, uint64_t ts, uint64_t exp);

#endif
