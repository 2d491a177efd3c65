/* SPDX-License-Identifier: ISC */
/*
 * What keyd needs of tfchain (doc/chain.md §1): the update_twin call's
 * indices (those of the bundled metadata; netd checks them against the
 * live runtime), the Twin type's bounds and the relay rules, in
 * relayrule.c.  Reading twins is in common/net/tfchain_read.h.
 */
#ifndef RMB_TFCHAIN_H
#define RMB_TFCHAIN_H

#include <stddef.h>
#include <stdint.h>

#include "protocol.h"

#define TFCHAIN_PALLET_TFGRID		25
#define TFCHAIN_CALL_CREATE_TWIN	17
#define TFCHAIN_CALL_UPDATE_TWIN	18

/* BoundedVec limits of the Twin type. */
#define TWIN_RELAY_MAX		1024
#define TWIN_PK_MAX		128

/*
 * The relay rule of tfchain's create_twin and update_twin: 1 to 1024
 * bytes of [A-Za-z0-9._-], no '.' first or last, no "..", and, as the
 * pallet's loop also refuses it, no '.' at offset 1 (so "a.example" is
 * refused while "ab.example" is not).  Why relay breaks it, with the
 * offending byte in *at; or NULL.
 * A bad character gives twin_relay_bad_char itself, so callers can show
 * the byte.
 */
const char *twin_relay_check(const char *relay, size_t len, size_t *at);
extern const char twin_relay_bad_char[];

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
