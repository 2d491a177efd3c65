/* SPDX-License-Identifier: ISC */
/*
 * rmb-relay: types shared by the relay's parts (doc/relay.md).  A session is a
 * (twin, sid) pair, from the JWT's sub and sid; rmb-peer connects with no
 * sid, SDK clients with their own.
 */
#ifndef RMB_RELAY_STREAM_H
#define RMB_RELAY_STREAM_H

#include <stddef.h>
#include <stdint.h>

#include "jwt_parse.h"

#define RELAY_SID_MAX		JWT_SID_MAX
#define RELAY_DOMAINS_MAX	16	/* --domain values */
#define RELAY_STREAM_MAXLEN	10000	/* XADD MAXLEN ~ per session stream */
#define RELAY_STREAM_TTL	3600	/* s a stream lives past its last entry */
#define RELAY_ERROR_TTL		300	/* expiration of relay error envelopes */

struct relay_sess_id {
	uint32_t	twin;
	int		has_sid;	/* None is not Some("") */
	char		sid[RELAY_SID_MAX + 1];
};

/*
 * The redis stream key of a session: "stream:<twin>" or
 * "stream:<twin>:<sid>".  Returns the length, or -1 if cap is too small.
 */
int	relay_stream_key(char *out, size_t cap, const struct relay_sess_id *);

/*
 * The session a stream key names, the inverse of relay_stream_key: 0, or
 * -1 when key is not one that relay_stream_key makes.
 */
int	relay_stream_key_parse(struct relay_sess_id *, const char *key,
	    size_t len);

/* 1 when both name the same session (twin and sid, presence included). */
int	relay_sess_eq(const struct relay_sess_id *, const struct relay_sess_id *);

#endif
