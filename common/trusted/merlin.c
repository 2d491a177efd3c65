/* SPDX-License-Identifier: ISC */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "keccak.h"
#include "merlin.h"

#define FLAG_I	0x01
#define FLAG_A	0x02
#define FLAG_C	0x04
#define FLAG_M	0x10
#define FLAG_K	0x20

#define OP_META_AD	(FLAG_M | FLAG_A)
#define OP_AD		FLAG_A
#define OP_PRF		(FLAG_I | FLAG_A | FLAG_C)
#define OP_KEY		(FLAG_A | FLAG_C)

static void
strobe_run_f(struct strobe128 *s)
{
	s->st[s->pos] ^= s->pos_begin;
	s->st[s->pos + 1] ^= 0x04;
	s->st[STROBE_R + 1] ^= 0x80;
	keccak_f1600(s->st);
	s->pos = 0;
	s->pos_begin = 0;
}

/*
 * Runs len bytes through the rate.  Absorbing XORs in into the state
 * (keep 1); overwriting replaces the state with in (keep 0); squeezing,
 * in NULL, copies the state to out and zeroes it (keep 0).
 */
static void
strobe_duplex(struct strobe128 *s, const uint8_t *in, uint8_t *out,
    size_t len, int keep)
{
	size_t	i;

	for (i = 0; i < len; i++) {
		if (out != NULL)
			out[i] = s->st[s->pos];
		s->st[s->pos] = (uint8_t)((keep ? s->st[s->pos] : 0) ^
		    (in != NULL ? in[i] : 0));
		if (++s->pos == STROBE_R)
			strobe_run_f(s);
	}
}

#define strobe_absorb(s, in, len)	strobe_duplex(s, in, NULL, len, 1)
#define strobe_overwrite(s, in, len)	strobe_duplex(s, in, NULL, len, 0)
#define strobe_squeeze(s, out, len)	strobe_duplex(s, NULL, out, len, 0)

/*
 * Starts a new op.  A STROBE "more" continuation of the op just begun is
 * simply further data through the same loop, without calling this.
 */
static void
strobe_begin(struct strobe128 *s, uint8_t flags)
{
	uint8_t	hdr[2];

	hdr[0] = s->pos_begin;
	hdr[1] = flags;
	s->pos_begin = (uint8_t)(s->pos + 1);
	strobe_absorb(s, hdr, sizeof(hdr));
	/* Ops that change the key or emit output start on a fresh block. */
	if ((flags & (FLAG_C | FLAG_K)) != 0 && s->pos != 0)
		strobe_run_f(s);
}

void
strobe128_init(struct strobe128 *s, const uint8_t *proto, size_t protolen)
{
	static const uint8_t	domain[18] = {
		1, STROBE_R + 2, 1, 0, 1, 96,
		'S', 'T', 'R', 'O', 'B', 'E', 'v', '1', '.', '0', '.', '2',
	};

	memset(s->st, 0, sizeof(s->st));
	memcpy(s->st, domain, sizeof(domain));
	keccak_f1600(s->st);
	s->pos = 0;
	s->pos_begin = 0;
	strobe_begin(s, OP_META_AD);
	strobe_absorb(s, proto, protolen);
}

/* The cast avoids a constant-result warning where size_t is 32 bits. */
static int
fits_u32(size_t n)
{
	return (uint64_t)n <= UINT32_MAX;
}

/* Absorbs label and LE32(n) as one meta-AD op, as Merlin frames every field. */
static void
meta_label_len(struct strobe128 *s, const char *label, size_t labellen,
    size_t n)
{
	const uint8_t	len[4] = { (uint8_t)n, (uint8_t)(n >> 8),
			    (uint8_t)(n >> 16), (uint8_t)(n >> 24) };

	strobe_begin(s, OP_META_AD);
	strobe_absorb(s, (const uint8_t *)label, labellen);
	strobe_absorb(s, len, sizeof(len));
}

int
merlin_init(struct merlin_transcript *t, const char *label, size_t labellen)
{
	static const char	proto[] = "Merlin v1.0";

	if (!fits_u32(labellen))
		return -1;
	strobe128_init(&t->s, (const uint8_t *)proto, sizeof(proto) - 1);
	return merlin_append(t, "dom-sep", 7, (const uint8_t *)label,
	    labellen);
}

int
merlin_append(struct merlin_transcript *t, const char *label,
    size_t labellen, const uint8_t *msg, size_t msglen)
{
	if (!fits_u32(msglen))
		return -1;
	meta_label_len(&t->s, label, labellen, msglen);
	strobe_begin(&t->s, OP_AD);
	strobe_absorb(&t->s, msg, msglen);
	return 0;
}

int
merlin_challenge(struct merlin_transcript *t, const char *label,
    size_t labellen, uint8_t *out, size_t n)
{
	if (!fits_u32(n))
		return -1;
	meta_label_len(&t->s, label, labellen, n);
	strobe_begin(&t->s, OP_PRF);
	strobe_squeeze(&t->s, out, n);
	return 0;
}

void
merlin_rng_init(struct merlin_rng *rng, const struct merlin_transcript *t)
{
	rng->s = t->s;
	rng->finalized = 0;
}

int
merlin_rng_rekey(struct merlin_rng *rng, const char *label, size_t labellen,
    const uint8_t *witness, size_t wlen)
{
	if (rng->finalized || !fits_u32(wlen))
		return -1;
	meta_label_len(&rng->s, label, labellen, wlen);
	strobe_begin(&rng->s, OP_KEY);
	strobe_overwrite(&rng->s, witness, wlen);
	return 0;
}

void
merlin_rng_finalize(struct merlin_rng *rng, const uint8_t rand[32])
{
	strobe_begin(&rng->s, OP_META_AD);
	strobe_absorb(&rng->s, (const uint8_t *)"rng", 3);
	strobe_begin(&rng->s, OP_KEY);
	strobe_overwrite(&rng->s, rand, 32);
	rng->finalized = 1;
}

/* The fill's length is framed like a field's, with an empty label. */
int
merlin_rng_fill(struct merlin_rng *rng, uint8_t *out, size_t n)
{
	if (!rng->finalized || !fits_u32(n))
		return -1;
	meta_label_len(&rng->s, "", 0, n);
	strobe_begin(&rng->s, OP_PRF);
	strobe_squeeze(&rng->s, out, n);
	return 0;
}

void
merlin_rng_wipe(struct merlin_rng *rng)
{
	explicit_bzero(rng, sizeof(*rng));
}
