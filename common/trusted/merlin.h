/* SPDX-License-Identifier: ISC */
/*
 * Merlin transcripts ("Merlin v1.0") on the STROBE-128 subset they need,
 * as schnorrkel uses them; see doc/sr25519.md §2 and §3.
 */
#ifndef RMB_MERLIN_H
#define RMB_MERLIN_H

#include <stddef.h>
#include <stdint.h>

#include "keccak.h"

/* The STROBE rate: bytes of the state that data passes through. */
#define STROBE_R	166

struct strobe128 {
	uint8_t	st[KECCAK_STATE_BYTES];
	uint8_t	pos;		/* next byte of st, 0 .. STROBE_R - 1 */
	uint8_t	pos_begin;	/* 1 + pos where the current op began */
};

struct merlin_transcript {
	struct strobe128	s;
};

/* An RNG keyed by a transcript copy, secret witnesses and fresh randomness. */
struct merlin_rng {
	struct strobe128	s;
	int			finalized;
};

/* Exposed for the self-test of the STROBE debug values. */
void	strobe128_init(struct strobe128 *s, const uint8_t *proto,
	    size_t protolen);

/*
 * Message, witness and output lengths are framed as 32-bit values, so these
 * return -1 and leave the state unchanged when one exceeds UINT32_MAX.
 * Labels have no such bound.  All return 0 on success.
 */
int	merlin_init(struct merlin_transcript *t, const char *label,
	    size_t labellen);
int	merlin_append(struct merlin_transcript *t, const char *label,
	    size_t labellen, const uint8_t *msg, size_t msglen);
int	merlin_challenge(struct merlin_transcript *t, const char *label,
	    size_t labellen, uint8_t *out, size_t n);

/*
 * Use in this order: init (copies t, which stays unchanged), rekey once per
 * witness, finalize, then fill as often as needed.  Rekey after finalize
 * and fill before it return -1.
 */
void	merlin_rng_init(struct merlin_rng *rng,
	    const struct merlin_transcript *t);
int	merlin_rng_rekey(struct merlin_rng *rng, const char *label,
	    size_t labellen, const uint8_t *witness, size_t wlen);
void	merlin_rng_finalize(struct merlin_rng *rng, const uint8_t rand[32]);
int	merlin_rng_fill(struct merlin_rng *rng, uint8_t *out, size_t n);
void	merlin_rng_wipe(struct merlin_rng *rng);

#endif
