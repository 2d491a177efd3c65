/* SPDX-License-Identifier: ISC */
/*
 * The envelope as keyd sees it: the signed challenge (doc/protocol.md
 * §2.2) and exact decoding.  The rest of the rules, for envelopes from
 * the network, are in common/net/envelope_check.h.
 */
#ifndef RMB_ENVELOPE_H
#define RMB_ENVELOPE_H

#include <stddef.h>
#include <stdint.h>

#include "types.pb-c.h"
#include "identity.h"

#define CHALLENGE_BYTES	16	/* the MD5 digest that is signed */

/* MD5 over the challenge string of env. */
void	envelope_challenge(const Envelope *env,
	    uint8_t digest[CHALLENGE_BYTES]);

/*
 * Decodes an envelope that packs back to exactly buf (keyd's rule: what
 * it hashes is all the envelope says), packing it into again (len bytes
 * at least); NULL otherwise.  Free with envelope__free_unpacked(env,
 * NULL).
 */
Envelope *envelope_unpack_exact(const uint8_t *, size_t, uint8_t *again);

#endif
