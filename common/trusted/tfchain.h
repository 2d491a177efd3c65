/* SPDX-License-Identifier: ISC */
/*
 * Twins on tfchain (doc/chain.md §1): the SCALE value of
 * TfgridModule.Twins and TfgridModule.TwinIdByAccountID, their storage
 * keys, and the update_twin call data.  Indices are those of the
 * bundled metadata; callers should check them against the live runtime.
 */
#ifndef RMB_TFCHAIN_H
#define RMB_TFCHAIN_H

#include <stddef.h>
#include <stdint.h>

#include "protocol.h"
#include "scale.h"

#define TFCHAIN_PALLET_TFGRID		25
#define TFCHAIN_CALL_CREATE_TWIN	17
#define TFCHAIN_CALL_UPDATE_TWIN	18

/* BoundedVec limits of the Twin type. */
#define TWIN_RELAY_MAX		1024
#define TWIN_PK_MAX		128

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
 * common/trusted/relayrule.c, which keyd links too.  The relay rule of
 * tfchain's create_twin and update_twin: 1 to 1024 bytes of
 * [A-Za-z0-9._-], no '.' first or last, no "..", and, as the pallet's
 * loop also refuses it, no '.' at offset 1 (so "a.example" is refused
 * while "ab.example" is not).  Returns 1 if valid, else 0.
 */
int	twin_relay_valid(const char *relay, size_t len);

/*
 * Why relay breaks that rule, with the offending byte in *at; or NULL.
 * A bad character gives twin_relay_bad_char itself, so callers can show
 * the byte.
 */
const char *twin_relay_check(const char *relay, size_t len, size_t *at);
extern const char twin_relay_bad_char[];

/*
 * Whether a relay field lists domain: the field is split on '_' and the
 * pieces compared byte for byte.  An empty domain is never listed.
 */
int	twin_relay_has(const char *relay, const char *domain);

/*
 * THE rule for one relay domain as rmb publishes it, in every process:
 * a DNS name (doc/protocol.md §7.1) of 1 to RELAY_DOMAIN_MAX bytes of
 * [a-z0-9.-] without an empty label, and not an IPv4 address (a last
 * label that is a number, decimal or 0x hexadecimal, as URL parsers
 * read it).  Lower case only: relays compare domains byte for byte
 * (doc/relay.md §2), so rmb folds a relay URL's host before it publishes
 * it; '_' is the separator of the chain's field.  Returns NULL, or why
 * (a sentence that names neither the domain nor its source).
 */
const char *relay_domain_check(const char *domain);

/*
 * The chain's relay field of n domains (each passed relay_domain_check)
 * as rmb writes it: joined by '_' in their order, and checked against
 * tfchain's rule, which the first domain alone can break.  Returns its
 * length, or -1 with *why.
 */
int	relay_join(char out[TWIN_RELAY_MAX + 1],
	    const char dom[][RELAY_DOMAIN_MAX + 1], size_t n,
	    const char **why);

#endif
