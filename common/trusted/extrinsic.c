/* SPDX-License-Identifier: ISC */
#include <string.h>

#include <sodium.h>

#include "extrinsic.h"
#include "tfchain.h"

/* Signed bit and extrinsic format version 4. */
#define EXT_VERSION_SIGNED	0x84
#define EXT_ERA_IMMORTAL	0x00
#define EXT_ADDRESS_ID		0x00
/* Substrate's bounds on a mortal era's period. */
#define EXT_ERA_PERIOD_MIN	4
#define EXT_ERA_PERIOD_MAX	65536

/* Phases of long periods are kept in 4096 steps: the 12 high bits. */
static uint64_t
era_quantum(uint64_t period)
{
	return period >> 12 > 1 ? period >> 12 : 1;
}

uint16_t
ext_era_mortal(uint64_t current, uint64_t period)
{
	uint64_t	p = EXT_ERA_PERIOD_MIN;
	unsigned int	bits = 2;

	while (p < period && p < EXT_ERA_PERIOD_MAX) {
		p <<= 1;
		bits++;
	}
	/* bits - 1 is 1..15, and phase / quantum is below 4096. */
	return (uint16_t)((bits - 1) | (current % p / era_quantum(p)) << 4);
}

/* The signed extensions' extra data, shared by payload and extrinsic. */
static int
put_extra(struct scale_wr *w, const struct ext_params *x)
{
	/* Immortal is one byte; a mortal era's low byte is never 0. */
	if (x->era == 0) {
		if (scale_put_u8(w, EXT_ERA_IMMORTAL) == -1)
			return -1;
	} else if (scale_put_u8(w, (uint8_t)x->era) == -1 ||
	    scale_put_u8(w, (uint8_t)(x->era >> 8)) == -1)
		return -1;
	if (scale_put_compact(w, x->nonce) == -1 ||
	    scale_put_compact(w, 0) == -1)
		return -1;
	return 0;
}

int
ext_payload(struct scale_wr *w, const struct ext_params *x,
    const uint8_t *call, size_t calllen)
{
	/* An immortal era's checkpoint is the genesis hash again. */
	const uint8_t	*cp = x->era == 0 ? x->genesis : x->checkpoint;

	if (scale_put_raw(w, call, calllen) == -1 ||
	    put_extra(w, x) == -1 ||
	    scale_put_u32(w, x->spec_version) == -1 ||
	    scale_put_u32(w, x->tx_version) == -1 ||
	    scale_put_raw(w, x->genesis, sizeof(x->genesis)) == -1 ||
	    scale_put_raw(w, cp, sizeof(x->checkpoint)) == -1)
		return -1;
	return 0;
}

int
ext_payload_hashed(size_t len)
{
	return len > EXT_SIGN_MAX;
}

void
ext_signing_bytes(uint8_t out[EXT_SIGN_MAX], size_t *outlen,
    const uint8_t *payload, size_t len)
{
	if (ext_payload_hashed(len)) {
		crypto_generichash(out, 32, payload, len, NULL, 0);
		*outlen = 32;
	} else {
		if (len > 0)
			memcpy(out, payload, len);
		*outlen = len;
	}
}

int
ext_assemble(struct scale_wr *w, const struct ext_params *x,
    const uint8_t account[32], int sigtype, const uint8_t sig[64],
    const uint8_t *call, size_t calllen)
{
	size_t	body;

	if (sigtype != EXT_SIG_ED25519 && sigtype != EXT_SIG_SR25519)
		return -1;
	/* Rejects what cannot fit before it can overflow the length sum. */
	if (calllen > w->cap) {
		w->err = 1;
		return -1;
	}
	body = 1 + 1 + 32 + 1 + 64 + (x->era == 0 ? 1 : 2) +
	    scale_compact_len(x->nonce) + 1 + calllen;
	if (scale_put_compact(w, body) == -1 ||
	    scale_put_u8(w, EXT_VERSION_SIGNED) == -1 ||
	    scale_put_u8(w, EXT_ADDRESS_ID) == -1 ||
	    scale_put_raw(w, account, 32) == -1 ||
	    scale_put_u8(w, (uint8_t)sigtype) == -1 ||
	    scale_put_raw(w, sig, 64) == -1 ||
	    put_extra(w, x) == -1 ||
	    scale_put_raw(w, call, calllen) == -1)
		return -1;
	return 0;
}

int
tfchain_update_twin_call(struct scale_wr *w, uint8_t pallet, uint8_t call,
    const char *relay, const uint8_t *pk, size_t pklen)
{
	size_t	rl = 0;

	/* Stops one past the limit: an unterminated relay is never overrun. */
	if (relay != NULL) {
		while (rl <= TWIN_RELAY_MAX && relay[rl] != '\0')
			rl++;
		if (rl > TWIN_RELAY_MAX)
			return -1;
	}
	if (pk != NULL && pklen > TWIN_PK_MAX)
		return -1;
	if (scale_put_u8(w, pallet) == -1 || scale_put_u8(w, call) == -1 ||
	    scale_put_option_bytes(w, relay, rl) == -1 ||
	    scale_put_option_bytes(w, pk, pklen) == -1)
		return -1;
	return 0;
}
