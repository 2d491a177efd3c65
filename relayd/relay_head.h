/* SPDX-License-Identifier: ISC */
/*
 * rmb-relay: an HTTP/1 request head as the relay's front door reads it
 * before libwebsockets has the connection (doc/relay.md §1.2): where the
 * head ends, whether it asks for a WebSocket upgrade, and the raw query
 * of its target, which is the session's token.  No I/O; the rest of the
 * request is libwebsockets' to parse.
 */
#ifndef RMB_RELAY_HEAD_H
#define RMB_RELAY_HEAD_H

#include <stddef.h>

/*
 * The longest head the relay takes, its blank line included: a token of
 * JWT_MAX bytes and the headers of any client with room to spare.
 */
#define RELAY_HEAD_MAX		8192

#define RELAY_HEAD_MORE		0	/* no blank line yet */
#define RELAY_HEAD_DONE		1
#define RELAY_HEAD_BAD		(-1)	/* not a request line */
#define RELAY_HEAD_BIG		(-2)	/* no end within RELAY_HEAD_MAX */

struct relay_head {
	size_t		 len;		/* of the head, blank line included */
	int		 upgrade;	/* "Upgrade: websocket" */
	int		 upgrade_other;	/* an Upgrade to anything else */
	const char	*query;		/* after the '?', into the buffer */
	size_t		 querylen;	/* 0 with query NULL: no '?' */
};

/*
 * Reads the first len bytes of a connection.  Lines end in LF with an
 * optional CR before it.  Returns RELAY_HEAD_DONE with h filled,
 * RELAY_HEAD_MORE when the head goes on, RELAY_HEAD_BAD when its first
 * line is not "METHOD SP TARGET SP HTTP/x", RELAY_HEAD_BIG when
 * RELAY_HEAD_MAX bytes hold no end.
 */
int	relay_head_parse(const char *buf, size_t len, struct relay_head *h);

#endif
