/* SPDX-License-Identifier: ISC */
/*
 * rmb-relay: what to do with one envelope, decided without I/O (doc/relay.md
 * §1.5, §1.9, §2.1, §2.4).  The caller owns redis and HTTP: it asks
 * "connected?" and "which twin?" through callbacks and carries out the
 * action in the result.
 */
#ifndef RMB_RELAY_ROUTE_H
#define RMB_RELAY_ROUTE_H

#include <stddef.h>
#include <stdint.h>

#include "relay_stream.h"
#include "tfchain_read.h"

/* The reference's texts; RELAY_ERR_LOOKUP and those after it are ours. */
#define RELAY_ERR_SOURCE	"message wrong source"
#define RELAY_ERR_NO_DEST	"message with missing destination"
#define RELAY_ERR_UNKNOWN	"unknown twin destination"
#define RELAY_ERR_NO_RELAY	"relay info is not set for this twin"
#define RELAY_ERR_OFFLINE	"destination offline"
#define RELAY_ERR_RATE		"exceeded rate limits, dropping message"
#define RELAY_ERR_LOOKUP	"failed to get twin information"
#define RELAY_ERR_BAD_BODY	"bad request: failed to decode envelope"
#define RELAY_ERR_BAD_DEST	"bad request: message with missing destination"
#define RELAY_ERR_NOT_HERE	"destination twin is not on this relay"
#define RELAY_ERR_NO_SOURCE	"unknown twin source"
#define RELAY_ERR_ANONYMOUS	\
	"without a source twin only an error report is taken"
#define RELAY_ERR_REPORT_SIZE	"error report too large"
#define RELAY_ERR_FULL		"destination queue is full"

#define RELAY_PONG_SUFFIX	"hello world"

enum relay_action {
	RELAY_DROP,		/* not an envelope: disconnect, or HTTP 400 */
	RELAY_LOCAL,		/* XADD out to the stream of dest */
	RELAY_FEDERATE,		/* XADD out to relay.federation.stream */
	RELAY_ERROR,		/* refused: error says why */
	RELAY_PENDING		/* twin pending is not at hand: look it up,
				   then route the same frame again */
};

struct relay_route_ctx {
	const struct relay_sess_id	 *session;	/* the sender (JWT) */
	const char *const		 *domains;	/* --domain values */
	size_t				  ndomains;
	/* 1 when that exact session is connected to this relay. */
	int	(*connected)(void *arg, const struct relay_sess_id *);
	/*
	 * 1 found (out filled), 0 no such twin, -1 lookup failed, 2 not at
	 * hand without I/O (the chain source's cache missed).
	 */
	int	(*lookup)(void *arg, uint32_t twin, struct twin_record *out);
	void				 *arg;
	uint64_t			  now;		/* unix seconds */
	size_t				  report_max;	/* ingest */
};

/*
 * out is what the caller stores: for LOCAL and FEDERATE the input bytes
 * themselves (out points into them) or the pong made from a ping; for an
 * ERROR on a request, the §1.9 error envelope, to be stored in the stream
 * of dest (the sender).  An ERROR on anything else has no out: the caller
 * only logs error.
 */
struct relay_route_result {
	enum relay_action	 action;
	struct relay_sess_id	 dest;
	const char		*error;		/* static, or errbuf */
	char			 errbuf[256];	/* for the caller's own texts */
	int			 is_request;
	uint32_t		 pending;	/* the twin, for PENDING */
	uint8_t			*out;
	size_t			 outlen;
	uint8_t			*owned;		/* out when malloc'd, or NULL */
};

/*
 * Routes one binary frame received from ctx->session over its WebSocket,
 * following doc/relay.md §1.5 in order.  Returns 0 with r filled, or -1 when
 * memory ran out (r then holds nothing to free, and the frame is to be
 * dropped without disconnecting).  Free r with relay_route_result_free.
 * PENDING (the lookup said 2) holds nothing to store: the caller keeps
 * the frame, fetches twin r->pending and calls again with the answer.
 */
int	relay_route(const struct relay_route_ctx *ctx, const uint8_t *frame,
	    size_t len, struct relay_route_result *r);

/*
 * Refuses a frame from ctx->session before routing it (the rate limit):
 * DROP when it is not an envelope, else ERROR with text, and the error
 * envelope for the sender when it is a request.  Returns as relay_route.
 */
int	relay_route_refuse(const struct relay_route_ctx *ctx,
	    const uint8_t *frame, size_t len, const char *text,
	    struct relay_route_result *r);

/*
 * The receiving side of federation (§2.4), for the body of a POST /,
 * with the checks the reference does not make, in this order: 400 and
 * DROP when it is not an envelope or has no destination twin; 404 when
 * the destination twin does not exist or its relays do not include one
 * of ctx->domains; 401 when the signature does not verify against the
 * source twin's account, or there is no source twin and the envelope is
 * not an error (another relay's report), 413 when such a report is over
 * ctx->report_max bytes; 503 when a twin could not be read; 404 when it
 * is tagged fail-fast and its session is not connected here; otherwise
 * 202 and LOCAL with the body unchanged.  Refusals are ERROR with a text.
 * PENDING (*http_status 0) when ctx->lookup said 2: the caller fetches
 * twin r->pending and calls again.  ctx->session is not used.  Always
 * returns 0 (running out of memory while decoding shows as a 400).
 */
int	relay_ingest(const struct relay_route_ctx *ctx, const uint8_t *body,
	    size_t len, struct relay_route_result *r, int *http_status);

void	relay_route_result_free(struct relay_route_result *r);

/*
 * 1 when tags, split on commas and white space (Unicode White_Space, as
 * Rust's char::is_whitespace), holds the exact token "fail-fast".
 */
int	relay_tags_fail_fast(const char *tags);

/* 1 when one of the twin's '_'-separated relays is one of domains. */
int	relay_twin_is_ours(const struct twin_record *t,
	    const char *const *domains, size_t ndomains);

/*
 * The relay's error report (§1.9): uid, timestamp now, expiration
 * RELAY_ERROR_TTL, error {code 0, message}, destination dest, no source,
 * no signature.  *out is malloc'd.  Returns 0, or -1 when out of memory.
 */
int	relay_error_envelope(uint8_t **out, size_t *outlen, const char *uid,
	    const struct relay_sess_id *dest, const char *message,
	    uint64_t now);

#endif
