/* SPDX-License-Identifier: ISC */
#include <sys/resource.h>
#include <sys/types.h>

#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <libwebsockets.h>

#include "grow.h"
#include "log.h"
#include "rconn.h"
#include "relay_auth.h"
#include "relay_door.h"
#include "relay_head.h"
#include "relay_route.h"
#include "relay_server.h"

#define HDR_MAX		1024	/* status line and our few headers */
#define CLOSE_TRY_AGAIN_LATER	1013	/* RFC 6455 registry; lws 4.1 lacks it */

/*
 * Frames of a session that wait, in arrival order, for a destination
 * twin from the chain or for redis.  Allocated while something waits,
 * freed after.
 */
struct relay_held {
	STAILQ_ENTRY(relay_held) entry;
	int			 counted;	/* by the rate limiter */
	int			 limited;	/* and refused by it */
	size_t			 len;
	unsigned char		 buf[];
};

/*
 * The last answers, which win over the cache (misses are not kept): two,
 * as a POST / needs its destination and its source twin.
 */
#define WAIT_ANSWERS	2

struct relay_answer {
	int			 answer;	/* 1, 0, -1 */
	uint32_t		 twin;
	struct twin_record	 rec;
};

struct relay_wait {
	STAILQ_HEAD(, relay_held) held;
	unsigned int		 n;
	size_t			 bytes;
	int			 paused;	/* reading stopped */
	int			 draining;
	int			 looking;	/* a twindir_lookup is out */
	uint32_t		 twin;		/* the one it is for */
	struct relay_answer	 ans[WAIT_ANSWERS];
	unsigned int		 nans;		/* answers kept */
	unsigned int		 oldest;	/* the next one replaced */
};

/* The listener, which hands connections over to lws (relay_door.h). */
static struct relay_door	*door;

static void	drain(struct relay_server *, struct relay_conn *);
static void	ingest(struct relay_server *, struct relay_conn *);

static int
connected(void *arg, const struct relay_sess_id *id)
{
	struct relay_server	*r = arg;

	return relay_sessions_get(&r->sessions, id) != NULL;
}

static int
sess_connected(void *arg, const struct relay_sess_id *id)
{
	struct relay_conn	*c = arg;

	return connected(c->relay, id);
}

/* A connection's lookup: an answer it waited for, else the cache. */
static int
sess_lookup(void *arg, uint32_t twin, struct twin_record *out)
{
	struct relay_conn	*c = arg;
	struct relay_wait	*w = c->wait;
	const struct relay_answer *a;
	unsigned int		 i;

	for (i = 0; w != NULL && i < WAIT_ANSWERS && i < w->nans; i++) {
		a = &w->ans[i];
		if (a->twin != twin)
			continue;
		if (a->answer == 1) {
			*out = a->rec;
			return 1;
		}
		return a->answer == 0 ? 0 : -1;
	}
	return relay_lookup(c->relay, twin, out);
}

static void
route_ctx(struct relay_server *r, struct relay_conn *c, struct relay_route_ctx *ctx)
{
	memset(ctx, 0, sizeof(*ctx));
	ctx->session = c->is_ingest ? NULL : &c->id;
	ctx->domains = r->conf.domains;
	ctx->ndomains = r->conf.ndomains;
	ctx->connected = sess_connected;
	ctx->lookup = sess_lookup;
	ctx->arg = c;
	ctx->now = relay_now();
	ctx->report_max = RELAY_REPORT_MAX;
}

void
relay_http_close(struct relay_conn *c, int status, const char *why)
{
	if (c->closing)
		return;
	c->closing = 1;
	c->close_status = status;
	snprintf(c->close_why, sizeof(c->close_why), "%.*s",
	    (int)sizeof(c->close_why) - 1, why);
	lws_callback_on_writable(c->wsi);
}

/*
 * A whole response, written when the connection is writable: the
 * headers, then the body, so that it can be given from outside lws's
 * callbacks (a POST / answered once redis has confirmed).
 */
static int
respond(struct relay_conn *c, unsigned int status, const char *ctype,
    const void *body, size_t n)
{
	free(c->resp);
	c->resp = NULL;
	if (n > 0) {
		if ((c->resp = malloc(LWS_PRE + n)) == NULL)
			return -1;
		memcpy(c->resp + LWS_PRE, body, n);
	}
	c->resplen = n;
	c->resp_status = status;
	c->resp_type = ctype;
	c->resp_body = 0;
	lws_callback_on_writable(c->wsi);
	return 0;
}

/*
 * Each answer closes its connection: a next request comes on a new one
 * and so passes by the door, which has to see every upgrade first.
 */
static int
http_writable(struct lws *wsi, struct relay_conn *c)
{
	unsigned char	 hdr[LWS_PRE + HDR_MAX];
	unsigned char	*start = hdr + LWS_PRE, *p = start;
	unsigned char	*end = hdr + sizeof(hdr);

	if (c->resp_status == 0)
		return 0;
	if (!c->resp_body) {
		if (lws_add_http_common_headers(wsi, c->resp_status,
		    c->resp_type, c->resplen, &p, end) ||
		    lws_add_http_header_by_token(wsi, WSI_TOKEN_CONNECTION,
		    (const unsigned char *)"close", 5, &p, end) ||
		    lws_finalize_http_header(wsi, &p, end) ||
		    lws_write(wsi, start, (size_t)(p - start),
		    LWS_WRITE_HTTP_HEADERS) < 0)
			return -1;
		if (c->resplen > 0) {
			c->resp_body = 1;
			lws_callback_on_writable(wsi);
			return 0;
		}
	} else if (lws_write(wsi, c->resp + LWS_PRE, c->resplen,
	    LWS_WRITE_HTTP_FINAL) < 0)
		return -1;
	free(c->resp);
	c->resp = NULL;
	c->resp_status = 0;
	/* lws sends what it still holds before it closes. */
	return -1;
}

/*
 * A refused upgrade, before lws has a session: the whole answer in one
 * write, with the status line written here because lws would say
 * HTTP/1.0 for an upgrade request.
 */
static int
refuse_upgrade(struct lws *wsi, int status, const char *text)
{
	unsigned char	 buf[LWS_PRE + HDR_MAX];
	const char	*reason = status == 400 ? "Bad Request" :
			    status == 401 ? "Unauthorized" :
			    "Internal Server Error";
	int		 n;

	n = snprintf((char *)buf + LWS_PRE, HDR_MAX, "HTTP/1.1 %d %s\r\n"
	    "content-type: text/plain; charset=utf-8\r\n"
	    "content-length: %zu\r\nconnection: close\r\n\r\n%s", status,
	    reason, strlen(text), text);
	if (n < 0 || n >= HDR_MAX)
		return -1;
	return lws_write(wsi, buf + LWS_PRE, (size_t)n,
	    LWS_WRITE_HTTP_HEADERS) < 0 ? -1 : 0;
}

static int
respond_text(struct relay_conn *c, unsigned int status, const char *text)
{
	return respond(c, status, "text/plain; charset=utf-8", text,
	    strlen(text));
}

/* What the prometheus crate's process collector reads, from /proc. */
static int
proc_stats(struct relay_proc_stats *ps)
{
	char			 buf[1024], *p;
	FILE			*f;
	unsigned long long	 ut, st, start, kb;
	long			 tck = sysconf(_SC_CLK_TCK);
	uint64_t		 btime = 0;
	DIR			*d;
	struct dirent		*de;
	struct rlimit		 rl;

	memset(ps, 0, sizeof(*ps));
	if (tck <= 0 || (f = fopen("/proc/self/stat", "r")) == NULL)
		return -1;
	p = fgets(buf, sizeof(buf), f);
	fclose(f);
	/* The command may hold spaces: fields count from the last ')'. */
	if (p == NULL || (p = strrchr(buf, ')')) == NULL ||
	    sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu "
	    "%llu %*d %*d %*d %*d %*d %*d %llu", &ut, &st, &start) != 3)
		return -1;
	ps->cpu_seconds = (ut + st) / (unsigned long long)tck;
	if ((f = fopen("/proc/stat", "r")) != NULL) {
		while (fgets(buf, sizeof(buf), f) != NULL)
			if (sscanf(buf, "btime %" SCNu64, &btime) == 1)
				break;
		fclose(f);
	}
	ps->start_time = btime + start / (unsigned long long)tck;
	if ((f = fopen("/proc/self/status", "r")) != NULL) {
		while (fgets(buf, sizeof(buf), f) != NULL) {
			if (sscanf(buf, "VmSize: %llu kB", &kb) == 1)
				ps->virtual_bytes = kb * 1024;
			else if (sscanf(buf, "VmRSS: %llu kB", &kb) == 1)
				ps->resident_bytes = kb * 1024;
		}
		fclose(f);
	}
	if ((d = opendir("/proc/self/fd")) != NULL) {
		while ((de = readdir(d)) != NULL)
			if (de->d_name[0] != '.')
				ps->open_fds++;
		closedir(d);
		ps->open_fds--;		/* the one opendir holds */
	}
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0)
		ps->max_fds = rl.rlim_cur;
	return 0;
}

static int
serve_metrics(struct relay_server *r, struct relay_conn *c)
{
	struct relay_proc_stats	 ps;
	char			*buf;
	size_t			 cap;
	int			 n, rv;

	relay_metrics_cache_entries(&r->metrics,
	    (int64_t)twindir_cached(&r->twins));
	relay_metrics_set(&r->metrics, RELAY_M_CHAIN_READS,
	    r->twins.chain_reads);
	relay_events_metrics(r);
	if (proc_stats(&ps) == 0)
		relay_metrics_process(&r->metrics, &ps);
	cap = relay_metrics_bound(&r->metrics);
	if ((buf = malloc(cap)) == NULL)
		return respond_text(c, 500, "out of memory");
	if ((n = relay_metrics_render(&r->metrics, buf, cap)) < 0) {
		free(buf);
		return respond_text(c, 500, "metrics do not fit");
	}
	rv = respond(c, 200, "text/plain; version=0.0.4", buf, (size_t)n);
	free(buf);
	return rv;
}

/*
 * For load balancers, polled often: from what the relay knows already, no
 * redis command and no chain read (doc/relay.md §1.2).
 */
static int
serve_health(struct relay_server *r, struct relay_conn *c)
{
	if (r->cmd == NULL || !rconn_up(r->cmd))
		return respond_text(c, 503, "redis unavailable");
	if (r->chain != NULL && r->chain_down)
		return respond_text(c, 503, "tfchain unreachable");
	return respond_text(c, 200, "ok");
}

static int
gather(struct relay_conn *c, const void *in, size_t len)
{
	if (c->too_big)
		return 0;
	if (grow_append(&c->rx, &c->rxlen, &c->rxcap, in, len,
	    RELAY_MSG_MAX) == 0)
		return 0;
	if (errno != ENOBUFS)
		return -1;
	/* Over the bound: drop what came so far, answer at the end. */
	c->too_big = 1;
	free(c->rx);
	c->rx = NULL;
	c->rxlen = c->rxcap = 0;
	return 0;
}

/*
 * Delivers a routing result: straight to a session connected here when
 * nothing of its stream comes first, else through the outbox, which
 * keeps it until redis has it; a refused envelope of the session's own
 * is reported back to it.
 */
static void
store(struct relay_server *r, struct relay_conn *c, struct relay_route_result *res)
{
	char	key[16 + RELAY_SID_MAX];

	switch (res->action) {
	case RELAY_LOCAL:
	case RELAY_FEDERATE:
		if (res->action == RELAY_LOCAL ? relay_deliver(r, &res->dest,
		    res->out, res->outlen, &c->id) == 0 : relay_put(r, NULL,
		    res->out, res->outlen, &c->id, 0, NULL, NULL) != NULL)
			break;
		if (res->action == RELAY_LOCAL)
			relay_stream_key(key, sizeof(key), &res->dest);
		else
			snprintf(key, sizeof(key), "%s", RELAY_FED_STREAM);
		log_warnx("session %s: envelope for %s dropped: %u envelopes "
		    "wait for redis", c->key, key, r->nputs);
		break;
	case RELAY_ERROR:
		log_info("session %s: refused: %s", c->key, res->error);
		if (res->out != NULL && relay_deliver(r, &res->dest, res->out,
		    res->outlen, NULL) == -1)
			log_warnx("session %s: error report dropped: %u "
			    "envelopes wait for redis", c->key, r->nputs);
		break;
	case RELAY_DROP:
	case RELAY_PENDING:
		break;
	}
}

static struct relay_wait *
wait_get(struct relay_conn *c)
{
	if (c->wait == NULL && (c->wait = calloc(1, sizeof(*c->wait))) != NULL)
		STAILQ_INIT(&c->wait->held);
	return c->wait;
}

/* The session's frames wait for the switch, which will call it back. */
static void
stall(struct relay_server *r, struct relay_conn *c)
{
	struct relay_wait	*w = c->wait;

	if (!c->stalled) {
		c->stalled = 1;
		c->sprev = NULL;
		c->snext = r->stalled;
		if (r->stalled != NULL)
			r->stalled->sprev = c;
		r->stalled = c;
	}
	if (w != NULL && !w->paused) {
		w->paused = 1;
		lws_rx_flow_control(c->wsi, 0);
		log_debug("session %s: redis is away or behind, reading "
		    "paused", c->key);
	}
}

static void
unstall(struct relay_server *r, struct relay_conn *c)
{
	if (!c->stalled)
		return;
	if (c->sprev != NULL)
		c->sprev->snext = c->snext;
	else
		r->stalled = c->snext;
	if (c->snext != NULL)
		c->snext->sprev = c->sprev;
	c->snext = c->sprev = NULL;
	c->stalled = 0;
}

static void
wait_free(struct relay_server *r, struct relay_conn *c)
{
	struct relay_wait	*w = c->wait;
	struct relay_held	*h;

	unstall(r, c);
	if (w == NULL)
		return;
	if (w->looking)
		twindir_cancel(&r->twins, c);
	while ((h = STAILQ_FIRST(&w->held)) != NULL) {
		STAILQ_REMOVE_HEAD(&w->held, entry);
		free(h);
	}
	free(w);
	c->wait = NULL;
}

/*
 * Routes one frame and stores the result.  Returns 1 when it waits for
 * twin *twin (nothing was stored), else 0; with twin NULL (the session
 * is gone) a twin not at hand is reported as a failed lookup instead.
 * The rate limiter counts a frame once, when it is first routed.
 */
static int
route_frame(struct relay_server *r, struct relay_conn *c, const uint8_t *buf,
    size_t len, int *counted, int *limited, uint32_t *twin)
{
	struct relay_route_ctx		ctx;
	struct relay_route_result	res;
	int				rv;

	route_ctx(r, c, &ctx);
	if (!*counted) {
		*counted = 1;
		*limited = !relay_limit_check(&r->limit, c->id.twin, len,
		    ctx.now);
	}
	if (*limited)
		rv = relay_route_refuse(&ctx, buf, len, RELAY_ERR_RATE, &res);
	else
		rv = relay_route(&ctx, buf, len, &res);
	if (rv == 0 && res.action == RELAY_PENDING && twin == NULL) {
		relay_route_result_free(&res);
		rv = relay_route_refuse(&ctx, buf, len, RELAY_ERR_LOOKUP, &res);
	}
	if (rv == -1) {
		log_warnx("session %s: out of memory, message dropped", c->key);
		return 0;
	}
	switch (res.action) {
	case RELAY_PENDING:
		*twin = res.pending;
		relay_route_result_free(&res);
		return 1;
	case RELAY_DROP:
		log_info("session %s: not an envelope (%zu bytes), "
		    "disconnecting", c->key, len);
		relay_http_close(c, LWS_CLOSE_STATUS_INVALID_PAYLOAD,
		    "not an envelope");
		break;
	default:
		store(r, c, &res);
		break;
	}
	relay_route_result_free(&res);
	return 0;
}

/* Keeps a copy of the frame at the tail; 0, or -1 when over the bound. */
static int
hold(struct relay_conn *c, const uint8_t *buf, size_t len, int counted,
    int limited)
{
	struct relay_wait	*w;
	struct relay_held	*h;

	if ((w = wait_get(c)) == NULL)
		return -1;
	/* An empty FIFO takes one frame of any size. */
	if (w->n >= RELAY_HOLD_FRAMES_MAX ||
	    (w->n > 0 && len + w->bytes > RELAY_HOLD_BYTES_MAX))
		return -1;
	if ((h = malloc(sizeof(*h) + len)) == NULL)
		return -1;
	h->counted = counted;
	h->limited = limited;
	h->len = len;
	memcpy(h->buf, buf, len);
	STAILQ_INSERT_TAIL(&w->held, h, entry);
	w->n++;
	w->bytes += len;
	if (!w->paused && (w->n >= RELAY_HOLD_FRAMES ||
	    w->bytes >= RELAY_HOLD_BYTES)) {
		w->paused = 1;
		lws_rx_flow_control(c->wsi, 0);
		log_debug("session %s: %u frames (%zu bytes) wait for a twin, "
		    "reading paused", c->key, w->n, w->bytes);
	}
	return 0;
}

/*
 * The session is gone, but what it sent is still the relay's to deliver:
 * the frames that waited (for redis, or for a twin) are routed now with
 * what is at hand and go into the outbox.
 */
static void
flush_held(struct relay_server *r, struct relay_conn *c)
{
	struct relay_wait	*w = c->wait;
	struct relay_held	*h;
	unsigned int		 n = 0;

	if (w == NULL || !c->authed)
		return;
	/* Nothing is left to close: a frame that is not an envelope is lost. */
	c->closing = 1;
	if (w->looking) {
		twindir_cancel(&r->twins, c);
		w->looking = 0;
	}
	while ((h = STAILQ_FIRST(&w->held)) != NULL) {
		(void)route_frame(r, c, h->buf, h->len, &h->counted,
		    &h->limited, NULL);
		STAILQ_REMOVE_HEAD(&w->held, entry);
		free(h);
		n++;
	}
	w->n = 0;
	w->bytes = 0;
	if (n > 0)
		log_info("session %s: %u frames that waited routed at its "
		    "close", c->key, n);
}

static void	twin_answered(void *, int, const struct twin_record *);

/* Frames wait, or a twin is being read for one. */
static int
busy(const struct relay_conn *c)
{
	const struct relay_wait	*w = c->wait;

	return w != NULL && (!STAILQ_EMPTY(&w->held) || w->looking);
}

static void
look_up(struct relay_server *r, struct relay_conn *c, uint32_t twin)
{
	struct relay_wait	*w = c->wait;

	w->looking = 1;
	w->twin = twin;
	if (c->is_ingest)
		log_debug("POST / from %s: reading twin %" PRIu32 " from the "
		    "chain", c->peer, twin);
	else
		log_debug("session %s: reading twin %" PRIu32 " from the "
		    "chain", c->key, twin);
	/* The answer may come before this returns. */
	twindir_lookup(&r->twins, twin, relay_mono(), twin_answered, c);
}

/* One whole binary message from a session (doc/relay.md §1.4, §1.5, §3). */
static void
message(struct relay_server *r, struct relay_conn *c)
{
	uint32_t	twin;
	int		counted = 0, limited = 0;

	/*
	 * Behind frames that wait, or while redis cannot take what routing
	 * gives.
	 */
	if (busy(c) || !relay_switch_ready(r)) {
		if (hold(c, c->rx, c->rxlen, 0, 0) == -1) {
			log_warnx("session %s: too many messages waiting (%u), "
			    "disconnecting", c->key,
			    c->wait != NULL ? c->wait->n : 0);
			relay_http_close(c, CLOSE_TRY_AGAIN_LATER,
			    "too many messages waiting");
		} else if (!relay_switch_ready(r))
			stall(r, c);
		return;
	}
	if (route_frame(r, c, c->rx, c->rxlen, &counted, &limited,
	    &twin) == 0)
		return;
	if (hold(c, c->rx, c->rxlen, counted, limited) == -1) {
		log_warnx("session %s: out of memory, message dropped",
		    c->key);
		wait_free(r, c);
		return;
	}
	look_up(r, c, twin);
}

static int
receive(struct lws *wsi, struct relay_server *r, struct relay_conn *c,
    const void *in, size_t len)
{
	if (c->closing)
		return 0;
	if (relay_mask_broken(lws_get_socket_fd(wsi))) {
		log_info("session %s: unmasked frame, disconnecting", c->key);
		relay_http_close(c, LWS_CLOSE_STATUS_PROTOCOL_ERR,
		    "unmasked frame");
		return 0;
	}
	if (lws_is_first_fragment(wsi)) {
		c->rxlen = 0;
		c->too_big = 0;
		if (!lws_frame_is_binary(wsi)) {
			log_info("session %s: text frame, disconnecting",
			    c->key);
			relay_http_close(c, LWS_CLOSE_STATUS_UNACCEPTABLE_OPCODE,
			    "binary frames only");
			return 0;
		}
	}
	if (gather(c, in, len) == -1) {
		log_warnx("session %s: out of memory", c->key);
		relay_http_close(c, LWS_CLOSE_STATUS_UNEXPECTED_CONDITION,
		    "out of memory");
		return 0;
	}
	/* As soon as it is over, not once the rest has come. */
	if (c->too_big) {
		log_info("session %s: message over %d bytes, disconnecting",
		    c->key, RELAY_MSG_MAX);
		relay_http_close(c, LWS_CLOSE_STATUS_MESSAGE_TOO_LARGE,
		    "message too large");
		return 0;
	}
	if (!lws_is_final_fragment(wsi) || lws_remaining_packet_payload(wsi))
		return 0;
	message(r, c);
	c->rxlen = 0;
	/* Keep a small buffer; give back what a big message took. */
	if (c->rxcap > 65536) {
		free(c->rx);
		c->rx = NULL;
		c->rxcap = 0;
	}
	return 0;
}

/*
 * The token is the whole query string (doc/relay.md §1.3), copied into q
 * (JWT_MAX + 2 bytes).  Returns its length, 0 when there is none; one
 * over JWT_MAX is replaced by JWT_MAX + 1 bytes that fail to parse.
 */
static size_t
token(struct lws *wsi, char *q)
{
	int	n;

	n = lws_hdr_total_length(wsi, WSI_TOKEN_HTTP_URI_ARGS);
	if (n > JWT_MAX) {
		memset(q, 'x', JWT_MAX + 1);
		return JWT_MAX + 1;
	}
	if (n > 0 && lws_hdr_copy(wsi, q, JWT_MAX + 2,
	    WSI_TOKEN_HTTP_URI_ARGS) == n)
		return (size_t)n;
	return 0;
}

/* What upgrade() and established() check against: a twin the door read. */
struct auth_at {
	struct relay_server	*r;
	int			 fd;
};

static int
auth_lookup(void *arg, uint32_t twin, struct twin_record *out)
{
	struct auth_at	*at = arg;

	if (relay_door_twin(door, at->fd, twin, out) == 1)
		return 1;
	return relay_lookup(at->r, twin, out);
}

/*
 * Checks a token against what is at hand: the door has checked it and
 * read its twin first (relay_door.c), so a twin that still is not at
 * hand is an error here.
 */
static void
authenticate(struct lws *wsi, struct relay_server *r, const char *q,
    size_t n, uint64_t now, struct relay_auth *a)
{
	struct auth_at	at;

	at.r = r;
	at.fd = lws_get_socket_fd(wsi);
	relay_auth(n > 0 ? q : NULL, n, now, auth_lookup, &at, a);
	if (a->status == 0 && a->pending) {
		a->status = 500;
		snprintf(a->text, sizeof(a->text), "failed to get twin: twin "
		    "source unavailable");
	}
}

/*
 * Before the 101: lws has no session memory yet, so a refusal is answered
 * here and an acceptance is checked again once the session exists.  The
 * door refused what it could; what is left (a token that expired since)
 * closes the connection, so that no second request on it passes by the
 * door.
 */
static int
upgrade(struct lws *wsi, struct relay_server *r)
{
	struct relay_auth	 a;
	char			 q[JWT_MAX + 2], peer[64];

	authenticate(wsi, r, q, token(wsi, q), relay_now(), &a);
	if (a.status == 0)
		return 0;
	relay_door_forget(door, lws_get_socket_fd(wsi));
	lws_get_peer_simple(wsi, peer, sizeof(peer));
	log_info("upgrade from %s refused: %d %s", peer, a.status, a.text);
	(void)refuse_upgrade(wsi, a.status, a.text);
	return -1;
}

/* The session is authenticated: it joins the switch. */
static void
admit(struct relay_server *r, struct relay_conn *c)
{
	void	*old = NULL;

	c->authed = 1;
	if (relay_sessions_add(&r->sessions, &c->id, c, &c->gen, &old) == -1) {
		log_warnx("session %s from %s: max number of users",
		    c->key, c->peer);
		c->gen = 0;
		relay_http_close(c, CLOSE_TRY_AGAIN_LATER,
		    "max number of users");
		return;
	}
	if (old != NULL) {
		struct relay_conn	*o = old;

		log_info("session %s: replaced by a new connection from %s",
		    o->key, c->peer);
		relay_metrics_evict(&r->metrics, RELAY_M_EVICT_CANCELLED, 1);
		o->gen = 0;
		relay_switch_leave(r, o);
		relay_http_close(o, LWS_CLOSE_STATUS_NORMAL, "replaced");
	}
	if (relay_switch_join(r, c) == -1) {
		log_warnx("session %s from %s: max number of users",
		    c->key, c->peer);
		relay_sessions_remove(&r->sessions, &c->id, c->gen);
		c->gen = 0;
		relay_http_close(c, CLOSE_TRY_AGAIN_LATER,
		    "max number of users");
		return;
	}
	log_info("session %s: connected from %s", c->key, c->peer);
}

/* Keeps an answer, replacing one for the same twin or else the oldest. */
static void
answer_keep(struct relay_wait *w, int answer, const struct twin_record *t)
{
	struct relay_answer	*a = NULL;
	unsigned int		 i;

	for (i = 0; i < w->nans; i++)
		if (w->ans[i].twin == w->twin)
			a = &w->ans[i];
	if (a == NULL && w->nans < WAIT_ANSWERS)
		a = &w->ans[w->nans++];
	else if (a == NULL) {
		a = &w->ans[w->oldest];
		w->oldest = (w->oldest + 1) % WAIT_ANSWERS;
	}
	a->twin = w->twin;
	a->answer = answer;
	if (answer == 1)
		a->rec = *t;
}

static void
twin_answered(void *arg, int rv, const struct twin_record *t)
{
	struct relay_conn	*c = arg;
	struct relay_server		*r = c->relay;
	struct relay_wait	*w = c->wait;
	int			 answer;

	w->looking = 0;
	answer = rv == 1 && t != NULL ? 1 : rv == 0 ? 0 : -1;
	answer_keep(w, answer, t);
	log_debug("%s %s: twin %" PRIu32 " %s", c->is_ingest ? "POST / from" :
	    "session", c->is_ingest ? c->peer : c->key, w->twin,
	    answer == 1 ? "read" : answer == 0 ? "not on chain" :
	    "not read: the chain failed");
	if (c->is_ingest) {
		ingest(r, c);
		return;
	}
	if (w->draining)
		return;
	drain(r, c);
}

/*
 * Routes the frames that wait, in order, until one needs a twin that is
 * not at hand or the switch cannot take more; frees the wait once
 * nothing is left.
 */
static void
drain(struct relay_server *r, struct relay_conn *c)
{
	struct relay_wait	*w = c->wait;
	struct relay_held	*h;
	uint32_t		 twin;
	int			 resume;

	if (w == NULL || w->draining)
		return;
	w->draining = 1;
	while ((h = STAILQ_FIRST(&w->held)) != NULL && !w->looking &&
	    !c->closing) {
		if (!relay_switch_ready(r)) {
			stall(r, c);
			break;
		}
		if (route_frame(r, c, h->buf, h->len, &h->counted,
		    &h->limited, &twin) == 1) {
			look_up(r, c, twin);
			continue;
		}
		STAILQ_REMOVE_HEAD(&w->held, entry);
		w->n--;
		w->bytes -= h->len;
		free(h);
	}
	w->draining = 0;
	resume = w->paused && w->n <= RELAY_HOLD_FRAMES / 2 &&
	    w->bytes <= RELAY_HOLD_BYTES / 2 && !c->closing &&
	    relay_switch_ready(r);
	if (resume)
		w->paused = 0;
	if (STAILQ_EMPTY(&w->held) && !w->looking && !w->paused)
		wait_free(r, c);
	/*
	 * Last, as lws may hand over frames it kept from in here.  Outside
	 * the connection's callbacks lws wants PROCESS_NOW.
	 */
	if (resume)
		lws_rx_flow_control(c->wsi, 1 |
		    LWS_RXFLOW_REASON_FLAG_PROCESS_NOW);
}

void
relay_http_resume(struct relay_server *r)
{
	struct relay_conn	*c;

	while (relay_switch_ready(r) && (c = r->stalled) != NULL) {
		unstall(r, c);
		drain(r, c);
	}
}

static int
established(struct lws *wsi, struct relay_server *r, struct relay_conn *c)
{
	struct relay_auth	 a;
	char			 q[JWT_MAX + 2];

	memset(c, 0, sizeof(*c));
	c->relay = r;
	c->wsi = wsi;
	lws_get_peer_simple(wsi, c->peer, sizeof(c->peer));
	authenticate(wsi, r, q, token(wsi, q), relay_now(), &a);
	relay_door_forget(door, lws_get_socket_fd(wsi));
	if (a.status != 0) {
		log_info("session from %s: %s", c->peer, a.text);
		return -1;
	}
	c->id = a.id;
	if (relay_stream_key(c->key, sizeof(c->key), &c->id) == -1)
		return -1;
	relay_mask_watch(lws_get_socket_fd(wsi));
	admit(r, c);
	return 0;
}

static void
closed(struct lws *wsi, struct relay_server *r, struct relay_conn *c)
{
	relay_mask_forget(lws_get_socket_fd(wsi));
	flush_held(r, c);
	wait_free(r, c);
	if (!c->authed) {
		free(c->rx);
		c->rx = NULL;
		return;
	}
	if (c->gen != 0) {
		relay_sessions_remove(&r->sessions, &c->id, c->gen);
		relay_metrics_evict(&r->metrics, RELAY_M_EVICT_CLOSED, 1);
		log_info("session %s: closed", c->key);
	}
	c->gen = 0;
	relay_switch_leave(r, c);
	free(c->rx);
	c->rx = NULL;
	c->authed = 0;
}

/*
 * What a POST / left: a lookup, the enqueue it waited for (which goes on
 * without it), its body and its answer.
 */
static void
http_done(struct relay_server *r, struct relay_conn *c)
{
	if (c->put != NULL)
		relay_put_cancel(c->put);
	c->put = NULL;
	wait_free(r, c);
	free(c->rx);
	free(c->resp);
	c->rx = NULL;
	c->resp = NULL;
	c->resp_status = 0;
}

/* Redis has the envelope of a POST /, or could not take it. */
static void
posted(void *arg, enum relay_put_result res)
{
	struct relay_conn	*c = arg;

	c->put = NULL;
	switch (res) {
	case RELAY_PUT_OK:
		log_debug("POST / from %s: queued", c->peer);
		(void)respond(c, 202, NULL, NULL, 0);
		break;
	case RELAY_PUT_FULL:
		log_info("POST / from %s: 507 %s", c->peer, RELAY_ERR_FULL);
		(void)respond_text(c, 507, RELAY_ERR_FULL);
		break;
	case RELAY_PUT_FAILED:
		log_warnx("POST / from %s: 503 redis refused it", c->peer);
		(void)respond_text(c, 503, "switch error: redis refused it");
		break;
	case RELAY_PUT_LOST:
		log_warnx("POST / from %s: 503 no answer from redis", c->peer);
		(void)respond_text(c, 503, "switch error: no answer from "
		    "redis");
		break;
	}
}

/*
 * POST /: another relay hands us an envelope (doc/relay.md §2.4), which is
 * checked (relay_ingest), reading its twins from the chain when they are
 * not at hand, and answered 202 once redis has confirmed it.
 */
static void
ingest(struct relay_server *r, struct relay_conn *c)
{
	struct relay_route_ctx		ctx;
	struct relay_route_result	res;
	int				status;

	if (c->too_big) {
		log_info("POST / from %s: body over %d bytes refused", c->peer,
		    RELAY_MSG_MAX);
		(void)respond_text(c, 413, "payload too large");
		return;
	}
	route_ctx(r, c, &ctx);
	relay_ingest(&ctx, c->rx, c->rxlen, &res, &status);
	if (res.action == RELAY_PENDING) {
		if (wait_get(c) == NULL) {
			(void)respond_text(c, 503, "out of memory");
			return;
		}
		look_up(r, c, res.pending);
		return;
	}
	if (status != 202) {
		log_info("POST / from %s: %d %s", c->peer, status, res.error);
		(void)respond_text(c, (unsigned int)status, res.error);
	} else if (!relay_switch_ready(r)) {
		log_warnx("POST / from %s: 503 redis unavailable", c->peer);
		(void)respond_text(c, 503, "switch error: redis unavailable");
	} else if ((c->put = relay_put(r, &res.dest, res.out, res.outlen,
	    NULL, RELAY_PUT_ONCE, posted, c)) == NULL) {
		log_warnx("POST / from %s: 503 out of room", c->peer);
		(void)respond_text(c, 503, "switch error: out of room");
	}
	relay_route_result_free(&res);
	/* The outbox has its copy: a kept-alive connection keeps no body. */
	free(c->rx);
	c->rx = NULL;
	c->rxlen = c->rxcap = 0;
}

static int
http(struct lws *wsi, struct relay_server *r, struct relay_conn *c, const char *path)
{
	char	cl[24];
	int	post = lws_hdr_total_length(wsi, WSI_TOKEN_POST_URI) > 0;
	int	get = lws_hdr_total_length(wsi, WSI_TOKEN_GET_URI) > 0;

	/* A kept-alive connection's earlier request left these. */
	http_done(r, c);
	memset(c, 0, sizeof(*c));
	c->relay = r;
	c->wsi = wsi;
	lws_get_peer_simple(wsi, c->peer, sizeof(c->peer));
	if (post && strcmp(path, "/") == 0) {
		c->is_ingest = 1;
		if (lws_hdr_copy(wsi, cl, sizeof(cl),
		    WSI_TOKEN_HTTP_CONTENT_LENGTH) > 0 &&
		    strtoull(cl, NULL, 10) > RELAY_MSG_MAX)
			c->too_big = 1;
		else if (lws_hdr_total_length(wsi,
		    WSI_TOKEN_HTTP_CONTENT_LENGTH) <= 0 &&
		    lws_hdr_total_length(wsi, WSI_TOKEN_HTTP_TRANSFER_ENCODING)
		    <= 0)
			ingest(r, c);	/* no body */
		return 0;
	}
	if (get && strcmp(path, "/metrics") == 0)
		return serve_metrics(r, c);
	if (get && strcmp(path, "/health") == 0)
		return serve_health(r, c);
	return respond_text(c, 404, "page not found");
}

static int
callback(struct lws *wsi, enum lws_callback_reasons reason, void *user,
    void *in, size_t len)
{
	struct relay_server		*r = lws_context_user(lws_get_context(wsi));
	struct relay_conn	*c = user;

	switch (reason) {
	case LWS_CALLBACK_HTTP_CONFIRM_UPGRADE:
		if (in == NULL || strcmp(in, "websocket") != 0)
			return -1;
		return upgrade(wsi, r);
	case LWS_CALLBACK_ESTABLISHED:
		return established(wsi, r, c);
	case LWS_CALLBACK_RECEIVE:
		return receive(wsi, r, c, in, len);
	case LWS_CALLBACK_SERVER_WRITEABLE:
		if (c->closing) {
			lws_close_reason(wsi, (enum lws_close_status)
			    c->close_status, (unsigned char *)c->close_why,
			    strlen(c->close_why));
			return -1;
		}
		relay_switch_writable(r, c);
		return 0;
	case LWS_CALLBACK_CLOSED:
		closed(wsi, r, c);
		return 0;
	case LWS_CALLBACK_HTTP:
		return http(wsi, r, c, in != NULL ? in : "");
	case LWS_CALLBACK_HTTP_BODY:
		if (c->is_ingest && gather(c, in, len) == -1)
			return -1;
		return 0;
	case LWS_CALLBACK_HTTP_BODY_COMPLETION:
		if (!c->is_ingest)
			return -1;
		ingest(r, c);
		return 0;
	case LWS_CALLBACK_HTTP_WRITEABLE:
		return http_writable(wsi, c);
	case LWS_CALLBACK_CLOSED_HTTP:
		if (c != NULL && !c->authed)
			http_done(r, c);
		return 0;
	default:
		return 0;
	}
}

static struct lws_protocols protocols[] = {
	{ "rmb", callback, sizeof(struct relay_conn), 4096, 0, NULL, 0 },
	{ NULL, NULL, 0, 0, 0, NULL, 0 }
};

static void
lws_emit(int level, const char *line)
{
	size_t	n = strlen(line);

	while (n > 0 && line[n - 1] == '\n')
		n--;
	if (level & LLL_ERR)
		log_warnx("lws: %.*s", (int)n, line);
	else
		log_debug("lws: %.*s", (int)n, line);
}

int
relay_http_init(struct relay_server *r)
{
	struct lws_context_creation_info	 info;
	struct lws_vhost			*vh;
	void					*loops[1];

	lws_set_log_level(r->conf.debug > 1 ? LLL_ERR | LLL_WARN : LLL_ERR,
	    lws_emit);
	memset(&info, 0, sizeof(info));
	loops[0] = r->loop;
	info.options = LWS_SERVER_OPTION_LIBEV;
	info.foreign_loops = loops;
	/* The door listens (relay_door.h) and hands connections over. */
	info.port = CONTEXT_PORT_NO_LISTEN_SERVER;
	info.protocols = protocols;
	info.user = r;
	info.pt_serv_buf_size = 32768;
	info.max_http_header_data = RELAY_HEAD_MAX;
	info.timeout_secs = RELAY_HEAD_WAIT;
	info.server_string = "rmb-relay";
	info.count_threads = 1;
	if ((r->lws = lws_create_context(&info)) == NULL)
		return -1;
	if ((vh = lws_get_vhost_by_name(r->lws, "default")) == NULL ||
	    (door = relay_door_open(r, vh)) == NULL) {
		lws_context_destroy(r->lws);
		r->lws = NULL;
		return -1;
	}
	return 0;
}

void
relay_http_free(struct relay_server *r)
{
	relay_door_close(door);
	door = NULL;
	if (r->lws != NULL)
		lws_context_destroy(r->lws);
	r->lws = NULL;
}
