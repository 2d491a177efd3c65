/* SPDX-License-Identifier: ISC */
/*
 * The relay's routing decision on arbitrary bytes: as a WebSocket frame
 * from two sessions, with and without --domain, and as a federation body.
 * Every result must agree with the decoded envelope and free cleanly; the
 * tag and domain matchers run on the raw bytes too.
 */
#include <stdlib.h>
#include <string.h>

#include "envelope_check.h"
#include "fuzz.h"
#include "relay_route.h"

static const char *const ours[] = { "r1.grid.tf" };

static const struct relay_sess_id sessions[] = {
	{ 7, 0, "" },
	{ 8, 1, "s1" },
};

static int
fake_connected(void *arg, const struct relay_sess_id *s)
{
	static const struct relay_sess_id	on[] = {
		{ 7, 0, "" }, { 8, 1, "s1" }, { 20, 0, "" }
	};
	size_t					i;

	(void)arg;
	for (i = 0; i < sizeof(on) / sizeof(on[0]); i++)
		if (relay_sess_eq(s, &on[i]))
			return 1;
	return 0;
}

/* 7, 8 and 12 live here, 13 elsewhere, 14 has no relay, 15 fails. */
static int
fake_lookup(void *arg, uint32_t id, struct twin_record *out)
{
	(void)arg;
	memset(out, 0, sizeof(*out));
	out->id = id;
	out->has_relay = 1;
	switch (id) {
	case 7:
	case 8:
		strcpy(out->relay, "r1.grid.tf");
		return 1;
	case 12:
		strcpy(out->relay, "r2.grid.tf_r1.grid.tf");
		return 1;
	case 13:
		strcpy(out->relay, "r2.grid.tf");
		return 1;
	case 14:
		out->has_relay = 0;
		return 1;
	case 15:
		return -1;
	default:
		return 0;
	}
}

/* Field numbers rust-protobuf refuses but protobuf-c keeps as unknown. */
static int
bad_tags(const ProtobufCMessage *m)
{
	unsigned int	i;

	for (i = 0; m != NULL && i < m->n_unknown_fields; i++)
		if (m->unknown_fields[i].tag == 0 ||
		    m->unknown_fields[i].tag >= 1u << 29)
			return 1;
	return 0;
}

static int
rust_refuses(const Envelope *e)
{
	return bad_tags(&e->base) ||
	    (e->source != NULL && bad_tags(&e->source->base)) ||
	    (e->destination != NULL && bad_tags(&e->destination->base)) ||
	    (e->message_case != ENVELOPE__MESSAGE__NOT_SET &&
	    bad_tags((const ProtobufCMessage *)e->request));
}

static int
addr_is(const Address *a, const struct relay_sess_id *s)
{
	if (a == NULL || a->twin != s->twin)
		return 0;
	if (a->opt_connection_case != ADDRESS__OPT_CONNECTION_CONNECTION)
		return !s->has_sid;
	return s->has_sid && strcmp(a->connection, s->sid) == 0;
}

static void
check_pong(const struct relay_route_result *r)
{
	Envelope	*p;

	if ((p = envelope_unpack(r->out, r->outlen)) == NULL ||
	    p->message_case != ENVELOPE__MESSAGE_PONG ||
	    p->payload_case != ENVELOPE__PAYLOAD_PLAIN ||
	    p->plain.len < 11 ||
	    memcmp(p->plain.data + p->plain.len - 11, "hello world", 11) != 0 ||
	    !addr_is(p->destination, &r->dest))
		abort();
	envelope__free_unpacked(p, NULL);
}

static void
check_error(const struct relay_route_result *r, const Envelope *e,
    const struct relay_sess_id *sess)
{
	Envelope	*d;

	if ((d = envelope_unpack(r->out, r->outlen)) == NULL ||
	    d->source != NULL || d->message_case != ENVELOPE__MESSAGE_ERROR ||
	    d->error->code != 0 || strcmp(d->error->message, r->error) != 0 ||
	    strcmp(d->uid, e->uid) != 0 || d->expiration != RELAY_ERROR_TTL ||
	    !addr_is(d->destination, sess) || !relay_sess_eq(&r->dest, sess))
		abort();
	envelope__free_unpacked(d, NULL);
}

static void
route_one(const uint8_t *data, size_t size, const Envelope *e,
    const struct relay_sess_id *sess, size_t ndomains)
{
	struct relay_route_ctx		ctx;
	struct relay_route_result	r;

	memset(&ctx, 0, sizeof(ctx));
	ctx.session = sess;
	ctx.domains = ours;
	ctx.ndomains = ndomains;
	ctx.connected = fake_connected;
	ctx.lookup = fake_lookup;
	ctx.now = 1700000000;
	if (relay_route(&ctx, data, size, &r) != 0)
		abort();
	if ((e == NULL) != (r.action == RELAY_DROP))
		abort();
	switch (r.action) {
	case RELAY_DROP:
		if (r.out != NULL || r.owned != NULL || r.error != NULL)
			abort();
		break;
	case RELAY_LOCAL:
		if (r.dest.twin == 0 || r.out == NULL || r.error != NULL)
			abort();
		if (e->message_case == ENVELOPE__MESSAGE_PING) {
			if (r.out != r.owned || !relay_sess_eq(&r.dest, sess))
				abort();
			check_pong(&r);
		} else if (r.out != data || r.outlen != size || r.owned != NULL)
			abort();
		break;
	case RELAY_FEDERATE:
		/* Both senders are connected, so a pong never leaves. */
		if (r.out != data || r.outlen != size || r.owned != NULL ||
		    r.error != NULL ||
		    e->message_case == ENVELOPE__MESSAGE_PING)
			abort();
		break;
	case RELAY_ERROR:
		if (r.error == NULL || r.error[0] == '\0' ||
		    r.is_request != (e->message_case ==
		    ENVELOPE__MESSAGE_REQUEST))
			abort();
		if (r.is_request)
			check_error(&r, e, sess);
		else if (r.out != NULL || r.owned != NULL)
			abort();
		break;
	default:
		abort();
	}
	relay_route_result_free(&r);
	if (r.out != NULL || r.owned != NULL)
		abort();
}

static void
ingest_one(const uint8_t *data, size_t size, const Envelope *e)
{
	struct relay_route_ctx		ctx;
	struct relay_route_result	r;
	int				status = 0, refused, anonymous;

	/* Not an envelope, or no destination twin: 400. */
	refused = e == NULL || e->destination == NULL ||
	    e->destination->twin == 0;
	anonymous = e != NULL && (e->source == NULL || e->source->twin == 0);
	memset(&ctx, 0, sizeof(ctx));
	ctx.domains = ours;
	ctx.ndomains = 1;
	ctx.connected = fake_connected;
	ctx.lookup = fake_lookup;
	ctx.report_max = 64;
	if (relay_ingest(&ctx, data, size, &r, &status) != 0)
		abort();
	if (refused != (status == 400) ||
	    (status == 400 && r.action != RELAY_DROP) ||
	    ((status == 401 || status == 404 || status == 413 ||
	    status == 503) && r.action != RELAY_ERROR) ||
	    (status == 202 && (r.action != RELAY_LOCAL || r.out != data ||
	    r.outlen != size || r.dest.twin == 0)) ||
	    (status == 202 && anonymous && (size > ctx.report_max ||
	    e->message_case != ENVELOPE__MESSAGE_ERROR)) ||
	    (status == 413 && !anonymous) ||
	    (status != 400 && status != 401 && status != 404 &&
	    status != 413 && status != 503 && status != 202) ||
	    (status != 202 && r.error == NULL) || r.owned != NULL)
		abort();
	relay_route_result_free(&r);
}

/* The matchers on raw text: a hit must at least contain what it matched. */
static void
matchers(const uint8_t *data, size_t size)
{
	static const char *const	 two[] = { "r1.grid.tf", "" };
	struct twin_record		*t;
	char				*s;

	if ((s = malloc(size + 1)) == NULL)
		abort();
	memcpy(s, data, size);
	s[size] = '\0';
	if (relay_tags_fail_fast(s) && strstr(s, "fail-fast") == NULL)
		abort();
	if ((t = calloc(1, sizeof(*t))) == NULL)
		abort();
	t->has_relay = 1;
	memcpy(t->relay, s, strlen(s) > TWIN_RELAY_MAX ? TWIN_RELAY_MAX :
	    strlen(s));
	if (relay_twin_is_ours(t, two, 1) && strstr(t->relay, two[0]) == NULL)
		abort();
	(void)relay_twin_is_ours(t, two, 2);
	free(t);
	free(s);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	Envelope	*e;
	size_t		 i;

	if ((e = envelope_unpack(data, size)) != NULL && rust_refuses(e)) {
		envelope__free_unpacked(e, NULL);
		e = NULL;
	}
	for (i = 0; i < sizeof(sessions) / sizeof(sessions[0]); i++) {
		route_one(data, size, e, &sessions[i], 1);
		route_one(data, size, e, &sessions[i], 0);
	}
	ingest_one(data, size, e);
	if (e != NULL)
		envelope__free_unpacked(e, NULL);
	matchers(data, size);
	return 0;
}
