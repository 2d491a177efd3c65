/* SPDX-License-Identifier: ISC */
/*
 * A relay test client on common/: twins with real keys, their twin file,
 * JWTs, signed envelopes, and sessions over tests/wsc.
 */
#ifndef RMB_RELAY_CLIENT_H
#define RMB_RELAY_CLIENT_H

#include <stddef.h>
#include <stdint.h>

#include "envelope_check.h"
#include "identity.h"
#include "wsc.h"

struct rc_twin {
	uint32_t	 id;
	struct identity	 ident;
	const char	*relay;		/* NULL: no relay on "chain" */
	uint8_t		 seed[32];
	uint8_t		 pk[33];	/* the e2e key of the same seed */
	int		 has_pk;	/* published in the twin file */
};

/* Keys from a seed made of seedbyte, so runs are repeatable. */
void	rc_twin_init(struct rc_twin *, uint32_t id, enum key_type,
	    const char *relay, uint8_t seedbyte);

/* Writes "0x" and the seed in hex to path, mode 0600 (a peer's secret). */
int	rc_secret_file(const char *path, const struct rc_twin *t);

/* Writes the twin file of n twins.  0 or -1. */
int	rc_twinfile(const char *path, const struct rc_twin *, size_t n);

/* A JWT for t (sid may be NULL) expiring now + ttl (ttl may be < 0). */
int	rc_jwt(char *out, size_t cap, const struct rc_twin *t,
	    const char *sid, int64_t ttl);

/*
 * Opens a session of t on the relay at port.  Returns 0, or -1 with
 * *status and body as wsc_connect.
 */
int	rc_connect(struct wsc *, int port, const struct rc_twin *t,
	    const char *sid, int *status, char *body, size_t bodycap);

enum rc_kind { RC_REQUEST, RC_RESPONSE, RC_PING };

struct rc_msg {
	const struct rc_twin	*src;
	const char		*src_sid;
	uint32_t		 dst;
	const char		*dst_sid;
	enum rc_kind		 kind;
	const char		*uid;
	const char		*tags;		/* NULL: none */
	const void		*payload;
	size_t			 len;
	uint64_t		 timestamp;	/* 0: now */
	uint64_t		 expiration;	/* 0: 300 */
};

/* A signed envelope; *out is malloc'd.  Returns its length, or 0. */
size_t	rc_envelope(uint8_t **out, const struct rc_msg *);

/*
 * A signed envelope of exactly want bytes: m->len is set from a first
 * try so that the whole is want (m->payload must hold that many bytes).
 * Returns want, or 0.
 */
size_t	rc_envelope_sized(uint8_t **out, struct rc_msg *, size_t want);
/* Builds and sends one envelope.  0 or -1. */
int	rc_send(struct wsc *, const struct rc_msg *);

/*
 * The next binary message, decoded.  Returns 1 with *e (free it with
 * envelope__free_unpacked), 0 on timeout, -1 when the connection closed
 * or the message is not an envelope.
 */
int	rc_recv(struct wsc *, Envelope **e, int timeout_ms);

#endif
