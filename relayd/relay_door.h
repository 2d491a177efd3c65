/* SPDX-License-Identifier: ISC */
/*
 * rmb-relay's front door (doc/relay.md §1.2, §1.3): the listening
 * socket is the relay's own, not libwebsockets'.  The door accepts a
 * connection, reads its request head (at most RELAY_HEAD_MAX bytes within
 * RELAY_HEAD_WAIT seconds) and, for a WebSocket upgrade, checks the
 * token, reading the twin from the chain first when it is not at hand.
 * A refusal is its HTTP status, written here; anything else is handed
 * to libwebsockets with the bytes read so far, which parses them as if
 * it had read them and upgrades at once.  libwebsockets 4.1 decides an
 * upgrade inside its parser and cannot wait for a lookup: that is why
 * the wait happens before it has the connection.
 */
#ifndef RMB_RELAY_DOOR_H
#define RMB_RELAY_DOOR_H

#include <stdint.h>

#include "tfchain_read.h"

#define RELAY_HEAD_WAIT		30	/* s for a whole request head */
#define RELAY_DOOR_LOOKUP_WAIT	60	/* s for the twin of an upgrade */
#define RELAY_DOOR_LINGER	2	/* s to read after a refusal */

struct relay_server;
struct relay_door;
struct lws_vhost;

/*
 * Listens on the relay's -l address and hands connections to vh.
 * Returns the door, or NULL with a one-line reason logged.
 */
struct relay_door *relay_door_open(struct relay_server *,
	    struct lws_vhost *vh);
/* Closes the listener and every connection still at the door. */
void	relay_door_close(struct relay_door *);

/*
 * The twin the door read from the chain for the upgrade it handed over
 * on socket fd: 1 with *out when it is twin, else 2 (ask the cache).
 */
int	relay_door_twin(struct relay_door *, int fd, uint32_t twin,
	    struct twin_record *out);
/* The upgrade on fd is decided: what the door kept for it goes. */
void	relay_door_forget(struct relay_door *, int fd);

#endif
