/* SPDX-License-Identifier: ISC */
/*
 * What keyd needs of tfchain (doc/chain.md §1): the update_twin call's
 * indices (those of the bundled metadata; netd checks them against the
 * live runtime), the Twin type's bounds and the relay field's rule, in
 * relayrule.c.  Reading twins is in common/net/tfchain_read.h.
 */
#ifndef RMB_TFCHAIN_H
#define RMB_TFCHAIN_H

#include <stddef.h>
#include <stdint.h>

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

#endif
