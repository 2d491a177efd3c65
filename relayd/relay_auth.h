/* SPDX-License-Identifier: ISC */
/*
 * rmb-relay: the WebSocket upgrade's authentication (doc/relay.md §1.2,
 * §1.3), decided without I/O.  The token is the whole query string; the
 * checks run in the reference's order (parse, expiry, twin, signature)
 * and each refusal carries the reference's HTTP status and text.
 */
#ifndef RMB_RELAY_AUTH_H
#define RMB_RELAY_AUTH_H

#include <stddef.h>
#include <stdint.h>

#include "relay_stream.h"
#include "tfchain_read.h"

struct relay_auth {
	int			status;		/* 0 accepted, else HTTP */
	int			pending;	/* status 0, twin not at hand */
	int			bad_sig;	/* a 401 from the signature */
	char			text[256];	/* the body of a refusal */
	struct relay_sess_id	id;		/* the session, once accepted */
};

/*
 * Checks query (len bytes, no '?') at unix time now; lookup answers 1
 * found, 0 no such twin, -1 failed, 2 not at hand without I/O, as
 * relay_route's.  On a 2 the answer is status 0 with pending set and id
 * filled: the caller fetches twin id.twin and checks again.  Always
 * returns a->status.
 */
int	relay_auth(const char *query, size_t len, uint64_t now,
	    int (*lookup)(void *, uint32_t, struct twin_record *), void *arg,
	    struct relay_auth *a);

#endif
