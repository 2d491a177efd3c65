/* SPDX-License-Identifier: ISC */
/*
 * Twins on tfchain as the unprivileged processes read them (doc/chain.md
 * §1): the SCALE value of TfgridModule.Twins and
 * TfgridModule.TwinIdByAccountID, their storage keys, the relay field,
 * and the eras of extrinsics.  What keyd needs is in tfchain.h.
 */
#ifndef RMB_TFCHAIN_READ_H
#define RMB_TFCHAIN_READ_H

#include <stddef.h>
#include <stdint.h>

#include "scale_rd.h"
#include "tfchain.h"

/* A Twin with no entities: id, account, Some(relay), 00, Some(pk). */
#define TWIN_ENCODED_MAX	(4 + 32 + 1 + 2 + TWIN_RELAY_MAX + 1 + \
				    1 + 2 + TWIN_PK_MAX)

/* twox128(pallet) ‖ twox128(item) ‖ blake2b-128(key) ‖ key. */
#define TFCHAIN_KEY_VALUE_LEN		32
#define TFCHAIN_KEY_TWIN_LEN		(16 + 16 + 16 + 4)
#define TFCHAIN_KEY_TWIN_BY_ACCOUNT_LEN	(16 + 16 + 16 + 32)

struct twin_record {
	uint32_t	id;
	uint8_t		account[32];
	int		has_relay;
	char		relay[TWIN_RELAY_MAX + 1];	/* raw, NUL added */
	int		has_pk;
	uint8_t		pk[TWIN_PK_MAX];
	size_t		pklen;
};

/*
 * Decodes a whole Twin value.  Entities are checked and skipped; a relay
 * over 1024 bytes or containing a NUL, a pk over 128 bytes, an Option tag
 * other than 00/01, a non-canonical compact or a byte left over is an
 * error.  The relay is not otherwise validated.  Returns 0, or -1 with
 * *err (if err is not NULL) set to a short static reason and *t zeroed.
 */
int	twin_decode(struct twin_record *t, const uint8_t *buf, size_t len,
	    const char **err);

/* Encodes t as a Twin value with no entities (at most TWIN_ENCODED_MAX). */
int	twin_encode(struct scale_wr *w, const struct twin_record *t);

/* The TwinIdByAccountID value: exactly 4 bytes, u32 little-endian. */
int	twin_id_decode(uint32_t *id, const uint8_t *buf, size_t len);

/* xxhash64(seed 0) ‖ xxhash64(seed 1), each little-endian. */
void	twox128(uint8_t out[16], const void *p, size_t len);

/* Key of a plain storage value, e.g. ("System", "Events"). */
void	tfchain_key_value(uint8_t out[TFCHAIN_KEY_VALUE_LEN],
	    const char *pallet, const char *item);
void	tfchain_key_twin(uint8_t out[TFCHAIN_KEY_TWIN_LEN], uint32_t id);
void	tfchain_key_twin_by_account(
	    uint8_t out[TFCHAIN_KEY_TWIN_BY_ACCOUNT_LEN],
	    const uint8_t account[32]);

/*
 * Whether relay passes tfchain's rule (twin_relay_check() in
 * tfchain.h): 1 if valid, else 0.
 */
int	twin_relay_valid(const char *relay, size_t len);

/*
 * Whether a relay field lists domain: the field is split on '_' and the
 * pieces compared byte for byte.  An empty domain is never listed.
 */
int	twin_relay_has(const char *relay, const char *domain);

/* The period and phase of an encoded mortal era. */
void	ext_era_split(uint16_t era, uint64_t *period, uint64_t *phase);

/*
 * The birth block of a mortal era as the chain computes it at block
 * current: the block whose hash is the checkpoint.  The era is valid
 * up to, not including, birth + period.
 */
uint64_t ext_era_birth(uint16_t era, uint64_t current);

#endif
