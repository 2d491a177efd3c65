/* SPDX-License-Identifier: ISC */
/*
 * Signed extrinsics of version 4 as subxt 0.28 builds them for tfchain
 * (doc/chain.md §2.2): tip 0, the signed extensions of the bundled metadata,
 * an immortal era or a standard mortal one.  Pure encoding; the
 * signature comes from the caller.
 */
#ifndef RMB_EXTRINSIC_H
#define RMB_EXTRINSIC_H

#include <stddef.h>
#include <stdint.h>

#include "scale.h"

/* Payloads longer than this are signed as their blake2b-256 hash. */
#define EXT_SIGN_MAX		256

/* MultiSignature variants. */
#define EXT_SIG_ED25519		0
#define EXT_SIG_SR25519		1

/*
 * The period of the mortal era keyd signs, in blocks: a transaction it
 * signs is valid for at most this many blocks after the block it names.
 */
#define EXT_ERA_PERIOD		64

/* era ‖ compact(u32 nonce) ‖ tip 00 ‖ spec ‖ tx ‖ genesis ‖ checkpoint. */
#define EXT_PAYLOAD_OVERHEAD_MAX	(2 + 5 + 1 + 4 + 4 + 32 + 32)

/* compact(len) ‖ 84 ‖ 00 account ‖ variant sig ‖ era ‖ nonce ‖ tip. */
#define EXT_OVERHEAD_MAX	(5 + 1 + 33 + 65 + 2 + 5 + 1)

struct ext_params {
	uint32_t	nonce;
	uint32_t	spec_version;
	uint32_t	tx_version;
	uint8_t		genesis[32];
	/*
	 * era 0 is the immortal era (the byte 00, the genesis hash as the
	 * checkpoint); any other value is an encoded mortal era, written as
	 * two bytes, whose checkpoint is the hash of its birth block.
	 */
	uint16_t	era;
	uint8_t		checkpoint[32];
};

/*
 * The mortal era of a transaction born at block current, valid for
 * period blocks rounded up to a power of two within 4..65536, as
 * Substrate encodes it.  Never 0.
 */
uint16_t ext_era_mortal(uint64_t current, uint64_t period);

/*
 * Writes call ‖ extra ‖ additional, the payload the signer commits to,
 * taking at most calllen + EXT_PAYLOAD_OVERHEAD_MAX bytes.
 */
int	ext_payload(struct scale_wr *w, const struct ext_params *x,
	    const uint8_t *call, size_t calllen);

/* 1 when a payload of len bytes is signed as its hash, else 0. */
int	ext_payload_hashed(size_t len);

/*
 * The exact bytes to sign for a payload: the payload itself when it is at
 * most EXT_SIGN_MAX bytes, otherwise its 32-byte blake2b-256.
 */
void	ext_signing_bytes(uint8_t out[EXT_SIGN_MAX], size_t *outlen,
	    const uint8_t *payload, size_t len);

/*
 * Writes compact(len) ‖ 84 ‖ 00 ‖ account ‖ sigtype ‖ sig ‖ extra ‖ call,
 * taking at most calllen + EXT_OVERHEAD_MAX bytes.  sigtype is
 * EXT_SIG_ED25519 or EXT_SIG_SR25519; x supplies the same nonce that was
 * signed.
 */
int	ext_assemble(struct scale_wr *w, const struct ext_params *x,
	    const uint8_t account[32], int sigtype, const uint8_t sig[64],
	    const uint8_t *call, size_t calllen);

/*
 * Writes pallet ‖ call ‖ Option(relay) ‖ Option(pk), the arguments of
 * create_twin and update_twin.  relay NULL or pk NULL means None.  Fails
 * when the relay is over TWIN_RELAY_MAX bytes, the pk over TWIN_PK_MAX,
 * or w runs out of room.
 */
int	tfchain_update_twin_call(struct scale_wr *w, uint8_t pallet,
	    uint8_t call, const char *relay, const uint8_t *pk, size_t pklen);

#endif
