/* SPDX-License-Identifier: ISC */
/*
 * rmb-relay: the twins that relays on one redis share (doc/relay.md
 * §4.4), one key per twin, "relay.twin.<id>", whose value is a format
 * byte, the unix time in milliseconds when a relay read the twin from
 * the chain (u64, little-endian), and the twin's SCALE value as the chain
 * stores it, without entities.  The key's own expiry is the time to
 * live; the read time is for people looking at the key.  No I/O here.
 */
#ifndef RMB_RELAY_TWINVAL_H
#define RMB_RELAY_TWINVAL_H

#include <stddef.h>
#include <stdint.h>

#include "tfchain_read.h"

#define RELAY_TWIN_PREFIX	"relay.twin."
#define RELAY_TWIN_MATCH	RELAY_TWIN_PREFIX "*"	/* SCAN MATCH */
/* The prefix and a u32 in decimal, with its NUL. */
#define RELAY_TWIN_KEY_MAX	(sizeof(RELAY_TWIN_PREFIX) + 10)

#define RELAY_TWINVAL_V1	0x01	/* the format byte */
#define RELAY_TWINVAL_HEAD	(1 + 8)
#define RELAY_TWINVAL_MAX	(RELAY_TWINVAL_HEAD + TWIN_ENCODED_MAX)

/* The key of twin id, "relay.twin.<id>".  Returns its length. */
size_t	relay_twinval_key(char out[RELAY_TWIN_KEY_MAX], uint32_t id);

/*
 * Writes the value of t, read from the chain at read_ms, into buf (cap
 * bytes, RELAY_TWINVAL_MAX always enough).  Returns its length, or -1
 * if it does not fit or t cannot be encoded.
 */
int	relay_twinval_encode(uint8_t *buf, size_t cap,
	    const struct twin_record *t, uint64_t read_ms);

/*
 * Decodes a whole value: 0 with *t and *read_ms set, or -1 with *err
 * (if err is not NULL) set to a short static reason: empty, another
 * format, too short, or a twin that does not decode (twin_decode's
 * rules: nothing may be left over).
 */
int	relay_twinval_decode(struct twin_record *t, uint64_t *read_ms,
	    const uint8_t *buf, size_t len, const char **err);

#endif
