/* SPDX-License-Identifier: ISC */
/*
 * Envelopes in and out (doc/protocol.md §4, §5).  Outgoing: apid's plain
 * request or response becomes a signed, maybe sealed, envelope for one
 * relay.  Incoming: a relay's frame is checked in the reference's order,
 * opened, and handed to apid, to the built-in "rmb" plugin, or answered
 * with an error envelope.  Each message is a small state machine driven
 * by twin lookups and keyd replies; nothing here touches a socket.
 */
#include <sys/queue.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "e2e.h"
#include "envelope_check.h"
#include "ipc_apid.h"
#include "ipc_types.h"
#include "log.h"
#include "netd.h"
#include "utf8.h"

#define ERRTEXT_MAX	600	/* one error message we compose */

#define ERR_EXPIRED_IN	"envelope validation error: message has expired"
#define ERR_EXPIRED_OUT	"other: response has expired before sending!"
#define NETD_GIVE_UP	2	/* seconds before the deadline */
#define ERR_TWIN_LOOKUP	"other: failed to get twin information"
#define ERR_NO_PK	"sender twin has no public key"
#define ERR_BAD_PK	"e2e error: malformed public key"

enum out_kind {
	OUT_REQUEST,		/* apid's, failures go back to apid */
	OUT_RESPONSE,		/* apid's, failures are logged */
	OUT_REPLY		/* ours: error replies and the plugin's */
};

struct out {
	enum out_kind	 kind;
	uint32_t	 id;		/* apid's token for a request */
	char		*uid;
	char		*cmd;		/* requests */
	char		*tags;		/* NULL: absent */
	char		*schema;	/* NULL: absent */
	char		*conn;		/* destination connection, or NULL */
	int		 is_error;
	uint32_t	 errcode;
	char		*errmsg;
	uint64_t	 ts, exp;
	uint32_t	 dst;
	uint8_t		*payload;	/* plain: keyd seals it */
	size_t		 len;
	char		*owned;		/* an error message of ours */
	uint8_t		*frame;		/* as keyd signed it, while waiting */
	size_t		 framelen;
	TAILQ_ENTRY(out) entry;		/* on the waiting list */
	char		 tail[];	/* the strings and payload above */
};

struct in {
	Envelope	*env;
	uint32_t	 src;
	int		 is_req;
	int		 reread;	/* the twin was read again once */
	const uint8_t	*plain;		/* opened cipher in keyd's reply, or NULL */
	size_t		 plainlen;
};

static struct {
	uint32_t	 own;
	TAILQ_HEAD(, out) wait;		/* for a relay, oldest first */
	size_t		 waiting;
	size_t		 busy;		/* struct in, plus OUT_REPLY */
} px;

static void	out_start(struct out *);
static void	out_sign(struct out *, const uint8_t *, size_t);

void
netd_proto_init(uint32_t own_twin)
{
	memset(&px, 0, sizeof(px));
	TAILQ_INIT(&px.wait);
	px.own = own_twin;
}

size_t
netd_proto_busy(void)
{
	return px.busy;
}

size_t
netd_proto_waiting(void)
{
	return px.waiting;
}

static const char *
out_what(const struct out *o)
{
	switch (o->kind) {
	case OUT_REQUEST:
		return "request";
	case OUT_RESPONSE:
		return o->is_error ? "error response" : "response";
	default:
		return o->is_error ? "error reply" : "reply";
	}
}

/*
 * An out and, after it, room for extra bytes of strings and payload: one
 * allocation per message, with copies put in by out_put().
 */
static struct out *
out_alloc(size_t extra)
{
	struct out	*o;

	if ((o = calloc(1, sizeof(*o) + extra)) == NULL)
		fatal("out_alloc");
	return o;
}

/* len bytes of p at *at, then a NUL; NULL and nothing when p is. */
static char *
out_put(char **at, const void *p, size_t len)
{
	char	*d = *at;

	if (p == NULL)
		return NULL;
	if (len > 0)
		memcpy(d, p, len);
	d[len] = '\0';
	*at += len + 1;
	return d;
}

static size_t
str_room(const char *s)
{
	return s != NULL ? strlen(s) + 1 : 0;
}

static void
out_release(struct out *o)
{
	free(o->owned);
	free(o->frame);
	free(o);
}

/* The end of an accepted message: its credit, or its place, comes back. */
static void
out_free(struct out *o)
{
	if (o->kind == OUT_REPLY) {
		px.busy--;
		netd_flow_update();
	} else
		netd_credit_return();
	out_release(o);
}

/* The envelope could not leave: apid hears of a request, a log of the rest. */
static void
out_fail(struct out *o, uint32_t code, const char *msg)
{
	struct ipc_apid_send_failed	f;

	if (o->kind == OUT_REQUEST) {
		log_info("request %s to twin %u not sent: %s", o->uid, o->dst,
		    msg);
		f.id = o->id;
		f.uid = ipc_apid_str(o->uid);
		f.dst = o->dst;
		f.code = code;
		f.msg = ipc_apid_text(msg);
		if (netd_apid_send(ipc_build_apid_send_failed(&f)) == -1)
			log_warn("request %s: SEND_FAILED to apid", o->uid);
	} else
		log_warnx("%s %s to twin %u not sent: %s", out_what(o), o->uid,
		    o->dst, msg);
	out_free(o);
}

static void
out_done(struct out *o)
{
	struct ipc_apid_sent	s = { o->id };

	log_debug("%s %s sent to twin %u (%zu bytes)", out_what(o), o->uid,
	    o->dst, o->framelen);
	/* apid keeps the request journaled until every destination left. */
	if (o->kind == OUT_REQUEST &&
	    netd_apid_send(ipc_build_apid_sent(&s)) == -1)
		log_warn("request %s: SENT to apid", o->uid);
	out_free(o);
}

/* Fills e from o, with the stack messages it points to. */
static void
out_envelope(const struct out *o, Envelope *e, Address *src, Address *dst,
    Request *rq, Response *rs, Error *er)
{
	envelope__init(e);
	address__init(src);
	address__init(dst);
	e->uid = o->uid;
	if (o->tags != NULL) {
		e->opt_tags_case = ENVELOPE__OPT_TAGS_TAGS;
		e->tags = o->tags;
	}
	e->timestamp = o->ts;
	e->expiration = o->exp;
	/* The relay wants exactly our twin, with no connection (§5.3). */
	src->twin = px.own;
	e->source = src;
	dst->twin = o->dst;
	if (o->conn != NULL) {
		dst->opt_connection_case = ADDRESS__OPT_CONNECTION_CONNECTION;
		dst->connection = o->conn;
	}
	e->destination = dst;
	if (o->is_error) {
		error__init(er);
		er->code = o->errcode;
		er->message = o->errmsg;
		e->message_case = ENVELOPE__MESSAGE_ERROR;
		e->error = er;
	} else if (o->kind == OUT_REQUEST) {
		request__init(rq);
		rq->command = o->cmd;
		e->message_case = ENVELOPE__MESSAGE_REQUEST;
		e->request = rq;
	} else {
		response__init(rs);
		e->message_case = ENVELOPE__MESSAGE_RESPONSE;
		e->response = rs;
	}
	if (o->schema != NULL) {
		e->opt_schema_case = ENVELOPE__OPT_SCHEMA_SCHEMA;
		e->schema = o->schema;
	}
	/* An error carries no payload, so there is nothing to seal. */
	if (!o->is_error) {
		e->payload_case = ENVELOPE__PAYLOAD_PLAIN;
		e->plain.data = o->payload;
		e->plain.len = o->len;
	}
}

/*
 * Packs e into a buffer for the caller to free (keyd's request takes a
 * copy at once).  Returns the bytes, or NULL if e is too big or memory
 * is short.
 */
static uint8_t *
out_pack(const Envelope *e, size_t *len)
{
	uint8_t	*buf;

	if ((*len = envelope__get_packed_size(e)) > ENVELOPE_MAX ||
	    (buf = malloc(*len + 1)) == NULL)
		return NULL;
	*len = envelope__pack(e, buf);
	return buf;
}

static void
wait_push(struct out *o)
{
	TAILQ_INSERT_TAIL(&px.wait, o, entry);
	px.waiting++;
}

/*
 * A seal that failed: a request is reported to apid; anything else
 * becomes an error envelope, as the reference sends one (§4.4).
 */
static void
out_seal_failed(struct out *o, const char *err)
{
	char	msg[ERRTEXT_MAX];

	if (strncmp(err, "e2e error: ", 11) == 0)
		snprintf(msg, sizeof(msg), "%s", err);
	else
		snprintf(msg, sizeof(msg), "e2e error: %s", err);
	if (o->kind == OUT_REQUEST) {
		out_fail(o, 106, msg);
		return;
	}
	log_warnx("%s %s to twin %u: %s; sending that error instead",
	    out_what(o), o->uid, o->dst, msg);
	o->payload = NULL;
	o->len = 0;
	free(o->owned);
	if ((o->errmsg = o->owned = strdup(msg)) == NULL) {
		out_fail(o, 500, "other: out of memory");
		return;
	}
	o->is_error = 1;
	o->errcode = 106;
	out_sign(o, NULL, 0);
}

/* keyd's answer: the envelope as it leaves, sealed and signed. */
static void
out_signed(void *arg, const uint8_t *env, size_t len, uint32_t code,
    const char *err)
{
	struct out	*o = arg;
	char		 msg[ERRTEXT_MAX];

	/* Only a seal fails so; an error envelope has nothing to seal. */
	if (err != NULL && code == KEYD_ERR_CRYPTO && !o->is_error) {
		out_seal_failed(o, err);
		return;
	}
	if (err != NULL) {
		snprintf(msg, sizeof(msg), "other: %s", err);
		out_fail(o, 500, msg);
		return;
	}
	/*
	 * To a relay straight from keyd's reply, unless envelopes already
	 * wait (they go first); else kept for the next retry (§5.3.7).
	 */
	o->framelen = len;
	if (TAILQ_EMPTY(&px.wait) && netd_relay_send(env, len) == 0) {
		out_done(o);
		return;
	}
	free(o->frame);
	if ((o->frame = malloc(len > 0 ? len : 1)) == NULL) {
		o->framelen = 0;
		out_fail(o, 500, "other: out of memory");
		return;
	}
	memcpy(o->frame, env, len);
	wait_push(o);
}

/*
 * Stamps, checks the time left, and has keyd seal the payload for pk
 * (none: plain) and sign, in one request (§5.3 steps 3-6).
 */
static void
out_sign(struct out *o, const uint8_t *pk, size_t pklen)
{
	Envelope	e;
	Address		src, dst;
	Request		rq;
	Response	rs;
	Error		er;
	uint8_t		*frame;
	size_t		len;
	int		rv;
	uint64_t	now = netd_now();

	envelope_stamp(now, o->ts, o->exp, &o->ts, &o->exp);
	if (envelope_ttl(now, o->ts, o->exp) == 0) {
		out_fail(o, 500, ERR_EXPIRED_OUT);
		return;
	}
	out_envelope(o, &e, &src, &dst, &rq, &rs, &er);
	if ((frame = out_pack(&e, &len)) == NULL) {
		out_fail(o, 500, "other: the envelope is too large");
		return;
	}
	rv = netd_keyd_seal_sign(pk, pklen, frame, len, out_signed, o);
	free(frame);
	if (rv == -1)
		out_fail(o, 500, "other: cannot ask keyd to sign");
}

static void
out_twin(void *arg, int rv, const struct twin_record *t)
{
	struct out	*o = arg;
	char		 msg[ERRTEXT_MAX];

	if (rv == 0) {
		snprintf(msg, sizeof(msg), "unknown twin id '%u'", o->dst);
		out_fail(o, 103, msg);
		return;
	}
	if (rv == -1) {
		out_fail(o, 500, ERR_TWIN_LOOKUP);
		return;
	}
	if (!t->has_pk || o->is_error)
		out_sign(o, NULL, 0);
	else if (t->pklen > E2E_PK_MAX_BYTES)
		out_seal_failed(o, ERR_BAD_PK);
	else
		out_sign(o, t->pk, t->pklen);
}

/* The postman's bounds (§5.3 step 1), then the destination twin. */
static void
out_start(struct out *o)
{
	if (o->kind != OUT_REPLY) {
		if (o->exp == 0)
			o->exp = NETD_DEFAULT_TTL;
		else if (o->exp > NETD_MAX_TTL)
			o->exp = NETD_MAX_TTL;
	}
	netd_twin_lookup(o->dst, out_twin, o);
}

void
netd_proto_retry(void)
{
	struct out	*o;

	while ((o = TAILQ_FIRST(&px.wait)) != NULL) {
		if (netd_relay_send(o->frame, o->framelen) == -1)
			return;
		TAILQ_REMOVE(&px.wait, o, entry);
		px.waiting--;
		out_done(o);
	}
}

void
netd_proto_tick(void)
{
	struct out	*o, *next;
	uint64_t	 now = netd_now();

	for (o = TAILQ_FIRST(&px.wait); o != NULL; o = next) {
		next = TAILQ_NEXT(o, entry);
		/*
		 * Give up a little before the deadline: apid answers the
		 * caller from the backlog, which expires at the deadline.
		 */
		if (envelope_ttl(now, o->ts, o->exp) > NETD_GIVE_UP)
			continue;
		TAILQ_REMOVE(&px.wait, o, entry);
		px.waiting--;
		out_fail(o, 500, ERR_EXPIRED_OUT);
	}
	netd_proto_retry();
}

static int
valid_text(const char *s)
{
	return s == NULL || utf8_valid(s, strlen(s));
}

/* The room a field of apid's takes after an out; 0 when absent. */
static size_t
apid_room(struct ipc_apid_str s)
{
	return s.p != NULL ? s.len + 1 : 0;
}

int
netd_proto_out(const struct ipc_msg *imsg)
{
	struct ipc_netd_out_request	 rq;
	struct ipc_netd_out_response	 rs;
	struct out			*o;
	char				*at;

	/* An absent string stays NULL, a payload is there even if empty. */
	if (imsg->hdr.type == IPC_NETD_OUT_REQUEST) {
		if (ipc_get_netd_out_request(imsg, &rq) == -1)
			return -1;
		o = out_alloc(apid_room(rq.uid) + apid_room(rq.cmd) +
		    apid_room(rq.tags) + apid_room(rq.schema) + rq.len + 1);
		at = o->tail;
		o->kind = OUT_REQUEST;
		o->id = rq.id;
		o->uid = out_put(&at, rq.uid.p, rq.uid.len);
		o->cmd = out_put(&at, rq.cmd.p, rq.cmd.len);
		o->tags = out_put(&at, rq.tags.p, rq.tags.len);
		o->schema = out_put(&at, rq.schema.p, rq.schema.len);
		o->ts = rq.ts;
		o->exp = rq.exp;
		o->dst = rq.dst;
		o->payload = (uint8_t *)out_put(&at,
		    rq.payload != NULL ? (const void *)rq.payload : at, rq.len);
		o->len = rq.len;
	} else {
		if (ipc_get_netd_out_response(imsg, &rs) == -1)
			return -1;
		o = out_alloc(apid_room(rs.uid) + apid_room(rs.conn) +
		    apid_room(rs.schema) + apid_room(rs.msg) + rs.len + 1);
		at = o->tail;
		o->kind = OUT_RESPONSE;
		o->uid = out_put(&at, rs.uid.p, rs.uid.len);
		o->dst = rs.dst;
		o->conn = out_put(&at, rs.conn.p, rs.conn.len);
		o->schema = out_put(&at, rs.schema.p, rs.schema.len);
		o->ts = rs.ts;
		o->exp = rs.exp;
		o->is_error = rs.is_error;
		o->errcode = rs.code;
		o->errmsg = out_put(&at, rs.msg.p, rs.msg.len);
		o->payload = (uint8_t *)out_put(&at,
		    rs.payload != NULL ? (const void *)rs.payload : at, rs.len);
		o->len = rs.len;
	}
	/* The receiver's protobuf library refuses bad UTF-8 (§5.1). */
	if (!valid_text(o->uid) || !valid_text(o->cmd) ||
	    !valid_text(o->tags) || !valid_text(o->schema) ||
	    !valid_text(o->conn) || !valid_text(o->errmsg)) {
		out_fail(o, 500, "other: a text field is not valid UTF-8");
		return 0;
	}
	out_start(o);
	return 0;
}

/*
 * Our own answer to an incoming request: an error (doc/protocol.md §5.5
 * step 3) or the plugin's response.  uid and destination are the
 * request's, connection included.
 */
static void
reply(const struct in *in, int is_error, uint32_t code, const char *msg,
    uint64_t exp, const char *schema, const void *payload, size_t len)
{
	const Envelope	*env = in->env;
	const char	*conn = NULL;
	struct out	*o;
	char		*at;

	if (msg == NULL)
		msg = "";
	if (env->source != NULL && env->source->opt_connection_case ==
	    ADDRESS__OPT_CONNECTION_CONNECTION)
		conn = env->source->connection;
	o = out_alloc(str_room(env->uid) + str_room(msg) + str_room(schema) +
	    str_room(conn) + len + 1);
	at = o->tail;
	o->kind = OUT_REPLY;
	px.busy++;
	o->uid = out_put(&at, env->uid,
	    env->uid != NULL ? strlen(env->uid) : 0);
	o->is_error = is_error;
	o->errcode = code;
	o->errmsg = out_put(&at, msg, strlen(msg));
	if (schema != NULL)
		o->schema = out_put(&at, schema, strlen(schema));
	if (conn != NULL)
		o->conn = out_put(&at, conn, strlen(conn));
	o->dst = in->src;
	o->ts = 0;
	o->exp = exp;
	o->payload = (uint8_t *)out_put(&at, payload != NULL ? payload : at,
	    len);
	o->len = len;
	out_start(o);
}

static void
in_free(struct in *in)
{
	envelope__free_unpacked(in->env, NULL);
	free(in);
	px.busy--;
	netd_flow_update();
}

static const char *
in_what(const struct in *in)
{
	switch (in->env->message_case) {
	case ENVELOPE__MESSAGE_REQUEST:
		return "request";
	case ENVELOPE__MESSAGE_RESPONSE:
		return "response";
	case ENVELOPE__MESSAGE_ERROR:
		return "error";
	case ENVELOPE__MESSAGE_PING:
		return "ping";
	case ENVELOPE__MESSAGE_PONG:
		return "pong";
	default:
		return "envelope";
	}
}

/* Validation failed: one log line, and an error reply to a request. */
static void
in_refuse(struct in *in, uint32_t code, const char *msg)
{
	log_info("%s %s from twin %u refused: %s", in_what(in), in->env->uid,
	    in->src, msg);
	/* Twin 0 is no one's: an answer could not be addressed. */
	if (in->is_req && in->src != 0)
		reply(in, 1, code, msg, in->env->expiration, NULL, NULL, 0);
	in_free(in);
}

/* The payload apid gets: the opened cipher, or the plain bytes. */
static void
in_payload(const struct in *in, const uint8_t **p, size_t *len)
{
	const Envelope	*env = in->env;

	*p = NULL;
	*len = 0;
	if (in->plain != NULL) {
		*p = in->plain;
		*len = in->plainlen;
	} else if (env->payload_case == ENVELOPE__PAYLOAD_PLAIN) {
		*p = env->plain.data;
		*len = env->plain.len;
	}
}

/*
 * A remote string over apid's bound (that of the redis API) drops the
 * message, an error message is cut to it instead, as apid always did.
 */
static void
to_apid(struct in *in)
{
	const Envelope			*env = in->env;
	const Address			*s = env->source;
	struct ipc_apid_in_request	 rq;
	struct ipc_apid_in_response	 rs;
	struct ipc_apid_str		 conn;
	struct ipc_buf			*b;
	const uint8_t			*p;
	size_t				 len;
	int				 err = env->message_case ==
					    ENVELOPE__MESSAGE_ERROR;

	in_payload(in, &p, &len);
	conn = ipc_apid_str(s != NULL && s->opt_connection_case ==
	    ADDRESS__OPT_CONNECTION_CONNECTION ? s->connection : NULL);
	if (in->is_req) {
		rq.uid = ipc_apid_str(env->uid);
		rq.src = in->src;
		rq.conn = conn;
		rq.cmd = ipc_apid_str(env->request->command);
		rq.ts = env->timestamp;
		rq.exp = env->expiration;
		rq.tags = ipc_apid_str(env->opt_tags_case ==
		    ENVELOPE__OPT_TAGS_TAGS ? env->tags : NULL);
		rq.schema = ipc_apid_str(env->opt_schema_case ==
		    ENVELOPE__OPT_SCHEMA_SCHEMA ? env->schema : NULL);
		rq.payload = p;
		rq.len = len;
		b = ipc_build_apid_in_request(&rq);
	} else {
		rs.uid = ipc_apid_str(env->uid);
		rs.src = in->src;
		rs.conn = conn;
		rs.schema = ipc_apid_str(env->opt_schema_case ==
		    ENVELOPE__OPT_SCHEMA_SCHEMA ? env->schema : NULL);
		rs.ts = env->timestamp;
		rs.is_error = err;
		rs.code = err ? env->error->code : 0;
		rs.msg = ipc_apid_text(err ? env->error->message : "");
		rs.payload = p;
		rs.len = len;
		b = ipc_build_apid_in_response(&rs);
	}
	if (b == NULL && errno == EINVAL)
		log_warnx("%s from twin %u does not fit our bounds, dropped",
		    in_what(in), in->src);
	else if (netd_apid_send(b) == -1)
		log_warn("%s %s from twin %u lost on the way to apid",
		    in_what(in), env->uid, in->src);
	else
		log_debug("%s %s from twin %u to apid (%zu bytes)",
		    in_what(in), env->uid, in->src, len);
}

/* The built-in "rmb" plugin (§6.4): only rmb.version answers. */
static void
plugin_rmb(struct in *in)
{
	if (strcmp(in->env->request->command, "rmb.version") != 0) {
		log_info("request %s from twin %u: unknown built in command "
		    "%s", in->env->uid, in->src, in->env->request->command);
		return;
	}
	reply(in, 0, 0, NULL, NETD_DEFAULT_TTL, "application/json",
	    NETD_VERSION_JSON, strlen(NETD_VERSION_JSON));
}

/* §5.5 step 4. */
static void
in_dispatch(struct in *in)
{
	const char	*cmd, *dot;

	if (in->env->message_case == ENVELOPE__MESSAGE__NOT_SET) {
		log_info("envelope %s from twin %u has no message: dropped",
		    in->env->uid, in->src);
	} else if (in->is_req) {
		cmd = in->env->request->command;
		if ((dot = strchr(cmd, '.')) != NULL && dot - cmd == 3 &&
		    strncmp(cmd, "rmb", 3) == 0)
			plugin_rmb(in);
		else
			to_apid(in);
	} else
		to_apid(in);
	in_free(in);
}

static void
in_opened(void *arg, const uint8_t *plain, size_t len, uint32_t code,
    const char *err)
{
	struct in	*in = arg;
	char		 msg[ERRTEXT_MAX];

	(void)code;
	if (err != NULL) {
		if (strncmp(err, "e2e error: ", 11) == 0)
			snprintf(msg, sizeof(msg), "%s", err);
		else
			snprintf(msg, sizeof(msg), "e2e error: %s", err);
		in_refuse(in, 106, msg);
		return;
	}
	/* Read in place: in_dispatch() copies it out and frees in. */
	in->plain = plain;
	in->plainlen = len;
	in_dispatch(in);
}

/* §5.5 steps 2.3 to 2.5. */
static void
in_twin(void *arg, int rv, const struct twin_record *t)
{
	struct in	*in = arg;
	const Envelope	*env = in->env;
	const char	*why;
	char		 msg[ERRTEXT_MAX];

	if (rv == 0) {
		snprintf(msg, sizeof(msg), "unknown twin id '%u'", in->src);
		in_refuse(in, 103, msg);
		return;
	}
	if (rv == -1) {
		in_refuse(in, 500, ERR_TWIN_LOOKUP);
		return;
	}
	if (envelope_verify(env, t->account, &why) != 0) {
		/*
		 * Keys change on chain and a cached twin can be stale: read
		 * the sender again, once, before refusing.
		 */
		if (!in->reread) {
			log_debug("%s %s from twin %u: bad signature against "
			    "the cached twin; reading it again", in_what(in),
			    env->uid, in->src);
			in->reread = 1;
			netd_twin_forget(in->src);
			netd_twin_lookup(in->src, in_twin, in);
			return;
		}
		snprintf(msg, sizeof(msg), "invalid envelope signature: %s",
		    why);
		in_refuse(in, 104, msg);
		return;
	}
	if (env->payload_case != ENVELOPE__PAYLOAD_CIPHER) {
		in_dispatch(in);
		return;
	}
	if (!t->has_pk) {
		in_refuse(in, 105, ERR_NO_PK);
		return;
	}
	if (t->pklen > E2E_PK_MAX_BYTES) {
		in_refuse(in, 106, ERR_BAD_PK);
		return;
	}
	if (netd_keyd_open(t->pk, t->pklen, env->cipher.data, env->cipher.len,
	    in_opened, in) == -1)
		in_refuse(in, 500, "other: cannot ask keyd to open the "
		    "payload");
}

void
netd_proto_in(const uint8_t *buf, size_t len)
{
	struct in	*in;
	Envelope	*env;

	if ((env = envelope_unpack(buf, len)) == NULL) {
		log_info("relay message of %zu bytes is not an envelope: "
		    "dropped", len);
		return;
	}
	if ((in = calloc(1, sizeof(*in))) == NULL)
		fatal("netd_proto_in");
	px.busy++;
	netd_flow_update();
	in->env = env;
	in->is_req = env->message_case == ENVELOPE__MESSAGE_REQUEST;
	in->src = env->source != NULL ? env->source->twin : 0;
	if (envelope_ttl(netd_now(), env->timestamp, env->expiration) == 0) {
		in_refuse(in, 102, ERR_EXPIRED_IN);
		return;
	}
	if (in->src == 0) {
		/*
		 * Relays send their error reports unsigned from twin 0; a
		 * request from twin 0 is nobody's and would bypass the
		 * signature check (doc/protocol.md §5.5).
		 */
		if (in->is_req) {
			log_info("request %s from twin 0 refused: unsigned "
			    "requests are not accepted", env->uid);
			in_free(in);
		} else
			in_dispatch(in);
		return;
	}
	netd_twin_lookup(in->src, in_twin, in);
}
