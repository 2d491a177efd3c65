/* SPDX-License-Identifier: ISC */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "envelope_check.h"
#include "relay_route.h"

#define PONG_SUFFIX_LEN	(sizeof(RELAY_PONG_SUFFIX) - 1)

static void
result_init(struct relay_route_result *r)
{
	memset(r, 0, sizeof(*r));
	r->action = RELAY_DROP;
}

void
relay_route_result_free(struct relay_route_result *r)
{
	free(r->owned);
	r->owned = NULL;
	r->out = NULL;
	r->outlen = 0;
}

/* The session an address names; None and Some("") stay apart. */
static int
addr_is(const Address *a, const struct relay_sess_id *s)
{
	if (a == NULL || s == NULL || a->twin != s->twin)
		return 0;
	if (a->opt_connection_case != ADDRESS__OPT_CONNECTION_CONNECTION)
		return !s->has_sid;
	return s->has_sid &&
	    strcmp(a->connection != NULL ? a->connection : "", s->sid) == 0;
}

/*
 * Fills s from a; -1 when the connection is longer than any session id we
 * accept, so no session here can ever read that stream.
 */
static int
addr_sess(const Address *a, struct relay_sess_id *s)
{
	const char	*c;
	size_t		 n;

	memset(s, 0, sizeof(*s));
	if (a == NULL)
		return 0;
	s->twin = a->twin;
	if (a->opt_connection_case != ADDRESS__OPT_CONNECTION_CONNECTION)
		return 0;
	c = a->connection != NULL ? a->connection : "";
	if ((n = strlen(c)) > RELAY_SID_MAX)
		return -1;
	s->has_sid = 1;
	memcpy(s->sid, c, n + 1);
	return 0;
}

/*
 * Length of the comma or UTF-8 White_Space character at s, or 0; s ends
 * in a NUL, so a byte is only read when the one before it matched.
 */
static size_t
sep_len(const unsigned char *s)
{
	if (*s == ',' || *s == ' ' || (*s >= '\t' && *s <= '\r'))
		return 1;
	if (s[0] == 0xc2 && (s[1] == 0x85 || s[1] == 0xa0))
		return 2;
	if (s[0] == 0xe1 && s[1] == 0x9a && s[2] == 0x80)
		return 3;
	if (s[0] == 0xe2 && s[1] == 0x80 && ((s[2] >= 0x80 && s[2] <= 0x8a) ||
	    s[2] == 0xa8 || s[2] == 0xa9 || s[2] == 0xaf))
		return 3;
	if (s[0] == 0xe2 && s[1] == 0x81 && s[2] == 0x9f)
		return 3;
	if (s[0] == 0xe3 && s[1] == 0x80 && s[2] == 0x80)
		return 3;
	return 0;
}

int
relay_tags_fail_fast(const char *tags)
{
	const unsigned char	*p, *start;

	if (tags == NULL)
		return 0;
	p = (const unsigned char *)tags;
	for (;;) {
		start = p;
		while (*p != '\0' && sep_len(p) == 0)
			p++;
		if (p - start == 9 && memcmp(start, "fail-fast", 9) == 0)
			return 1;
		if (*p == '\0')
			return 0;
		p += sep_len(p);
	}
}

int
relay_twin_is_ours(const struct twin_record *t, const char *const *domains,
    size_t ndomains)
{
	const char	*p, *us;
	size_t		 n, i;

	if (!t->has_relay)
		return 0;
	for (p = t->relay;; p = us + 1) {
		us = strchr(p, '_');
		n = us != NULL ? (size_t)(us - p) : strlen(p);
		for (i = 0; i < ndomains; i++)
			if (strlen(domains[i]) == n &&
			    memcmp(domains[i], p, n) == 0)
				return 1;
		if (us == NULL)
			return 0;
	}
}

int
relay_error_envelope(uint8_t **out, size_t *outlen, const char *uid,
    const struct relay_sess_id *dest, const char *message, uint64_t now)
{
	Envelope	e;
	Address		dst;
	Error		err;
	size_t		n;

	envelope__init(&e);
	address__init(&dst);
	error__init(&err);
	dst.twin = dest->twin;
	if (dest->has_sid) {
		dst.opt_connection_case = ADDRESS__OPT_CONNECTION_CONNECTION;
		dst.connection = (char *)dest->sid;
	}
	err.code = 0;
	err.message = (char *)(message != NULL ? message : "");
	e.uid = (char *)(uid != NULL ? uid : "");
	e.timestamp = now;
	e.expiration = RELAY_ERROR_TTL;
	e.destination = &dst;
	e.message_case = ENVELOPE__MESSAGE_ERROR;
	e.error = &err;

	n = envelope__get_packed_size(&e);
	if ((*out = malloc(n)) == NULL)
		return -1;
	*outlen = envelope__pack(&e, *out);
	return 0;
}

/*
 * rust-protobuf writes the plain fields in declaration order, then each
 * oneof, then unknown fields; packing those groups one after the other
 * gives the reference's bytes, where protobuf-c alone would sort by number.
 */
static int
pack_pong(const Envelope *ping, uint8_t **out, size_t *outlen)
{
	Envelope	 head, msg, pay, tail;
	Pong		 pong;
	uint8_t		*plain, *buf;
	size_t		 oldlen = 0, n;

	if (ping->payload_case == ENVELOPE__PAYLOAD_PLAIN)
		oldlen = ping->plain.len;
	if (oldlen > SIZE_MAX - PONG_SUFFIX_LEN ||
	    (plain = malloc(oldlen + PONG_SUFFIX_LEN)) == NULL)
		return -1;
	/* Rust's mut_plain() starts from empty unless the payload was plain. */
	if (oldlen > 0)
		memcpy(plain, ping->plain.data, oldlen);
	memcpy(plain + oldlen, RELAY_PONG_SUFFIX, PONG_SUFFIX_LEN);

	head = *ping;
	head.source = ping->destination;
	head.destination = ping->source;
	head.message_case = ENVELOPE__MESSAGE__NOT_SET;
	head.payload_case = ENVELOPE__PAYLOAD__NOT_SET;
	head.base.n_unknown_fields = 0;
	head.base.unknown_fields = NULL;

	envelope__init(&msg);
	pong__init(&pong);
	msg.message_case = ENVELOPE__MESSAGE_PONG;
	msg.pong = &pong;

	envelope__init(&pay);
	pay.payload_case = ENVELOPE__PAYLOAD_PLAIN;
	pay.plain.data = plain;
	pay.plain.len = oldlen + PONG_SUFFIX_LEN;

	envelope__init(&tail);
	tail.base.n_unknown_fields = ping->base.n_unknown_fields;
	tail.base.unknown_fields = ping->base.unknown_fields;

	n = envelope__get_packed_size(&head) + envelope__get_packed_size(&msg) +
	    envelope__get_packed_size(&pay) + envelope__get_packed_size(&tail);
	if ((buf = malloc(n)) == NULL) {
		free(plain);
		return -1;
	}
	*outlen = envelope__pack(&head, buf);
	*outlen += envelope__pack(&msg, buf + *outlen);
	*outlen += envelope__pack(&pay, buf + *outlen);
	*outlen += envelope__pack(&tail, buf + *outlen);
	free(plain);
	*out = buf;
	return 0;
}

/* A refusal: only a request gets an error envelope back (doc/relay.md §1.9). */
static int
refuse(const struct relay_route_ctx *ctx, const Envelope *e,
    struct relay_route_result *r, const char *text)
{
	relay_route_result_free(r);
	r->action = RELAY_ERROR;
	r->error = text;
	memset(&r->dest, 0, sizeof(r->dest));
	if (!r->is_request || ctx->session == NULL)
		return 0;
	r->dest = *ctx->session;
	if (relay_error_envelope(&r->owned, &r->outlen, e->uid, &r->dest,
	    text, ctx->now) == -1) {
		result_init(r);
		return -1;
	}
	r->out = r->owned;
	return 0;
}

static int
route(const struct relay_route_ctx *ctx, const Envelope *e,
    const uint8_t *frame, size_t len, struct relay_route_result *r)
{
	struct twin_record	 twin;
	const Address		*dst = e->destination;
	int			 fits;

	r->is_request = e->message_case == ENVELOPE__MESSAGE_REQUEST;
	if (!addr_is(e->source, ctx->session))
		return refuse(ctx, e, r, RELAY_ERR_SOURCE);

	r->out = (uint8_t *)frame;
	r->outlen = len;
	if (e->message_case == ENVELOPE__MESSAGE_PING) {
		if (pack_pong(e, &r->owned, &r->outlen) == -1) {
			result_init(r);
			return -1;
		}
		r->out = r->owned;
		dst = e->source;
	}

	if (dst == NULL || dst->twin == 0)
		return refuse(ctx, e, r, RELAY_ERR_NO_DEST);
	fits = addr_sess(dst, &r->dest) == 0;
	if (fits && ctx->connected(ctx->arg, &r->dest)) {
		r->action = RELAY_LOCAL;
		return 0;
	}

	switch (ctx->lookup(ctx->arg, dst->twin, &twin)) {
	case 1:
		break;
	case 0:
		return refuse(ctx, e, r, RELAY_ERR_UNKNOWN);
	case 2:
		relay_route_result_free(r);
		r->action = RELAY_PENDING;
		r->pending = dst->twin;
		memset(&r->dest, 0, sizeof(r->dest));
		return 0;
	default:
		return refuse(ctx, e, r, RELAY_ERR_LOOKUP);
	}
	if (!twin.has_relay)
		return refuse(ctx, e, r, RELAY_ERR_NO_RELAY);
	if (!relay_twin_is_ours(&twin, ctx->domains, ctx->ndomains)) {
		r->action = RELAY_FEDERATE;
		return 0;
	}

	/* Ours but not connected: stored for later, unless it may not wait. */
	if (!fits || (e->opt_tags_case == ENVELOPE__OPT_TAGS_TAGS &&
	    relay_tags_fail_fast(e->tags)))
		return refuse(ctx, e, r, RELAY_ERR_OFFLINE);
	r->action = RELAY_LOCAL;
	return 0;
}

int
relay_route(const struct relay_route_ctx *ctx, const uint8_t *frame,
    size_t len, struct relay_route_result *r)
{
	Envelope	*e;
	int		 rv;

	result_init(r);
	if ((e = envelope_unpack(frame, len)) == NULL)
		return 0;
	rv = route(ctx, e, frame, len, r);
	envelope__free_unpacked(e, NULL);
	return rv;
}

int
relay_route_refuse(const struct relay_route_ctx *ctx, const uint8_t *frame,
    size_t len, const char *text, struct relay_route_result *r)
{
	Envelope	*e;
	int		 rv;

	result_init(r);
	if ((e = envelope_unpack(frame, len)) == NULL)
		return 0;
	r->is_request = e->message_case == ENVELOPE__MESSAGE_REQUEST;
	rv = refuse(ctx, e, r, text);
	envelope__free_unpacked(e, NULL);
	return rv;
}

/* A twin for relay_ingest: 1 found, else the status (0 for PENDING). */
static int
ingest_twin(const struct relay_route_ctx *ctx, uint32_t id,
    struct twin_record *t, struct relay_route_result *r, int missing,
    const char *text)
{
	switch (ctx->lookup(ctx->arg, id, t)) {
	case 1:
		return 1;
	case 0:
		r->error = text;
		return missing;
	case 2:
		r->action = RELAY_PENDING;
		r->pending = id;
		return 0;
	default:
		r->error = RELAY_ERR_LOOKUP;
		return 503;
	}
}

/* The checks of relay_ingest after the decoding: an HTTP status, or 0. */
static int
ingest_check(const struct relay_route_ctx *ctx, const Envelope *e,
    size_t len, int fits, struct relay_route_result *r)
{
	struct twin_record	 twin;
	const char		*why;
	int			 st;

	/* No session has twin 0: storing it would only fill redis. */
	if (r->dest.twin == 0) {
		r->error = RELAY_ERR_BAD_DEST;
		return 400;
	}
	if ((st = ingest_twin(ctx, r->dest.twin, &twin, r, 404,
	    RELAY_ERR_UNKNOWN)) != 1)
		return st;
	if (!relay_twin_is_ours(&twin, ctx->domains, ctx->ndomains)) {
		r->error = RELAY_ERR_NOT_HERE;
		return 404;
	}
	/* Twin 0 signs nothing: only a relay's small report goes unsigned. */
	if (e->source == NULL || e->source->twin == 0) {
		if (e->message_case != ENVELOPE__MESSAGE_ERROR) {
			r->error = RELAY_ERR_ANONYMOUS;
			return 401;
		}
		if (len > ctx->report_max) {
			r->error = RELAY_ERR_REPORT_SIZE;
			return 413;
		}
	} else {
		if ((st = ingest_twin(ctx, e->source->twin, &twin, r, 401,
		    RELAY_ERR_NO_SOURCE)) != 1)
			return st;
		if (envelope_verify(e, twin.account, &why) == -1) {
			snprintf(r->errbuf, sizeof(r->errbuf), "bad signature: "
			    "%s", why);
			r->error = r->errbuf;
			return 401;
		}
	}
	if (!fits || (e->opt_tags_case == ENVELOPE__OPT_TAGS_TAGS &&
	    relay_tags_fail_fast(e->tags) &&
	    !ctx->connected(ctx->arg, &r->dest))) {
		r->error = RELAY_ERR_OFFLINE;
		return 404;
	}
	return 202;
}

int
relay_ingest(const struct relay_route_ctx *ctx, const uint8_t *body,
    size_t len, struct relay_route_result *r, int *http_status)
{
	Envelope	*e;
	int		 fits;

	result_init(r);
	if ((e = envelope_unpack(body, len)) == NULL) {
		r->error = RELAY_ERR_BAD_BODY;
		*http_status = 400;
		return 0;
	}
	r->is_request = e->message_case == ENVELOPE__MESSAGE_REQUEST;
	fits = addr_sess(e->destination, &r->dest) == 0;
	*http_status = ingest_check(ctx, e, len, fits, r);
	envelope__free_unpacked(e, NULL);
	switch (*http_status) {
	case 202:
		r->action = RELAY_LOCAL;
		r->out = (uint8_t *)body;
		r->outlen = len;
		break;
	case 0:
		memset(&r->dest, 0, sizeof(r->dest));
		break;
	case 400:
		memset(&r->dest, 0, sizeof(r->dest));
		r->action = RELAY_DROP;
		break;
	default:
		memset(&r->dest, 0, sizeof(r->dest));
		r->action = RELAY_ERROR;
		break;
	}
	return 0;
}
