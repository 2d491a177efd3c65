#include <sys/resource.h>
#include <sys/types.h>

#include <dirent.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <libwebsockets.h>

#include "log.h"
#include "rconn.h"
#include "relay_auth.h"
#include "relay_route.h"
#include "relayd.h"

#define HDR_MAX		1024	/* status line and our few headers */
#define CLOSE_TRY_AGAIN_LATER	1013	/* RFC 6455 registry; lws 4.1 lacks it */

static int
connected(void *arg, const struct relay_sess_id *id)
{
	struct relay	*r = arg;

	return relay_sessions_get(&r->sessions, id) != NULL;
}

static void
route_ctx(struct relay *r, struct relay_conn *c, struct relay_route_ctx *ctx)
{
	memset(ctx, 0, sizeof(*ctx));
	ctx->session = c != NULL ? &c->id : NULL;
	ctx->domains = r->conf.domains;
	ctx->ndomains = r->conf.ndomains;
	ctx->connected = connected;
	ctx->lookup = relay_lookup;
	ctx->arg = r;
	ctx->now = relay_now();
}

void
relay_http_close(struct relay_conn *c, int status, const char *why)
{
	if (c->closing)
		return;
	c->closing = 1;
	c->close_status = status;
	snprintf(c->close_why, sizeof(c->close_why), "%s", why);
	lws_callback_on_writable(c->wsi);
}

/* Writes a whole response: headers, then the body when writable. */
static int
respond(struct lws *wsi, struct relay_conn *c, unsigned int status,
    const char *ctype, const void *body, size_t n)
{
	unsigned char	 hdr[LWS_PRE + HDR_MAX];
	unsigned char	*start = hdr + LWS_PRE, *p = start;
	unsigned char	*end = hdr + sizeof(hdr);

	if (lws_add_http_common_headers(wsi, status, ctype, n, &p, end) ||
	    lws_finalize_http_header(wsi, &p, end))
		return -1;
	if (lws_write(wsi, start, (size_t)(p - start),
	    LWS_WRITE_HTTP_HEADERS) < 0)
		return -1;
	if (n == 0)
		return lws_http_transaction_completed(wsi) ? -1 : 0;
	free(c->resp);
	if ((c->resp = malloc(LWS_PRE + n)) == NULL)
		return -1;
	memcpy(c->resp + LWS_PRE, body, n);
	c->resplen = n;
	lws_callback_on_writable(wsi);
	return 0;
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
respond_text(struct lws *wsi, struct relay_conn *c, unsigned int status,
    const char *text)
{
	return respond(wsi, c, status, "text/plain; charset=utf-8", text,
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
serve_metrics(struct lws *wsi, struct relay *r, struct relay_conn *c)
{
	struct relay_proc_stats	 ps;
	char			*buf;
	size_t			 cap;
	int			 n, rv;

	relay_metrics_cache_entries(&r->metrics,
	    (int64_t)twindir_cached(&r->twins));
	if (proc_stats(&ps) == 0)
		relay_metrics_process(&r->metrics, &ps);
	cap = relay_metrics_bound(&r->metrics);
	if ((buf = malloc(cap)) == NULL)
		return respond_text(wsi, c, 500, "out of memory");
	if ((n = relay_metrics_render(&r->metrics, buf, cap)) < 0) {
		free(buf);
		return respond_text(wsi, c, 500, "metrics do not fit");
	}
	rv = respond(wsi, c, 200, "text/plain; version=0.0.4", buf,
	    (size_t)n);
	free(buf);
	return rv;
}

/* POST /: another relay hands us an envelope (RELAY.md §2.4). */
static int
ingest(struct lws *wsi, struct relay *r, struct relay_conn *c)
{
	struct relay_route_ctx		ctx;
	struct relay_route_result	res;
	int				status;
	char				key[16 + RELAY_SID_MAX];

	if (c->too_big) {
		log_info("POST / from %s: body over %d bytes refused", c->peer,
		    RELAY_MSG_MAX);
		return respond_text(wsi, c, 413, "payload too large");
	}
	route_ctx(r, NULL, &ctx);
	relay_ingest(&ctx, c->rx, c->rxlen, &res, &status);
	if (res.action == RELAY_LOCAL &&
	    relay_enqueue(r, &res.dest, res.out, res.outlen) == -1) {
		relay_route_result_free(&res);
		log_warnx("POST / from %s: redis unavailable", c->peer);
		return respond_text(wsi, c, 500, "switch error: redis "
		    "unavailable");
	}
	if (status != 202) {
		log_info("POST / from %s: %d %s", c->peer, status, res.error);
		relay_route_result_free(&res);
		return respond_text(wsi, c, (unsigned int)status, res.error);
	}
	if (log_getverbose() > 0 &&
	    relay_stream_key(key, sizeof(key), &res.dest) != -1)
		log_debug("POST / from %s: queued for %s", c->peer, key);
	relay_route_result_free(&res);
	return respond(wsi, c, 202, NULL, NULL, 0);
}

static int
gather(struct relay_conn *c, const void *in, size_t len)
{
	size_t		 cap;
	unsigned char	*p;

	if (c->too_big)
		return 0;
	if (len > RELAY_MSG_MAX - c->rxlen) {
		c->too_big = 1;
		free(c->rx);
		c->rx = NULL;
		c->rxlen = c->rxcap = 0;
		return 0;
	}
	if (c->rxlen + len > c->rxcap) {
		cap = c->rxcap < 4096 ? 4096 : c->rxcap;
		while (cap < c->rxlen + len)
			cap *= 2;
		if (cap > RELAY_MSG_MAX)
			cap = RELAY_MSG_MAX;
		if ((p = realloc(c->rx, cap)) == NULL)
			return -1;
		c->rx = p;
		c->rxcap = cap;
	}
	memcpy(c->rx + c->rxlen, in, len);
	c->rxlen += len;
	return 0;
}

static void
store(struct relay *r, struct relay_conn *c, struct relay_route_result *res)
{
	char	key[16 + RELAY_SID_MAX];

	switch (res->action) {
	case RELAY_LOCAL:
		if (relay_enqueue(r, &res->dest, res->out, res->outlen) == -1) {
			relay_stream_key(key, sizeof(key), &res->dest);
			log_warnx("session %s: failed to route message to peer "
			    "'%s': redis unavailable", c->key, key);
		}
		break;
	case RELAY_FEDERATE:
		if (relay_enqueue_federation(r, res->out, res->outlen) == -1)
			log_warnx("session %s: federation enqueue failed: "
			    "redis unavailable", c->key);
		break;
	case RELAY_ERROR:
		log_info("session %s: refused: %s", c->key, res->error);
		if (res->out != NULL &&
		    relay_enqueue(r, &res->dest, res->out, res->outlen) == -1)
			log_warnx("session %s: error report lost: redis "
			    "unavailable", c->key);
		break;
	case RELAY_DROP:
		break;
	}
}

/* One whole binary message from a session (RELAY.md §1.4, §1.5, §3). */
static void
message(struct relay *r, struct relay_conn *c)
{
	struct relay_route_ctx		ctx;
	struct relay_route_result	res;
	int				rv;

	route_ctx(r, c, &ctx);
	if (!relay_limit_check(&r->limit, c->id.twin, c->rxlen, ctx.now))
		rv = relay_route_refuse(&ctx, c->rx, c->rxlen, RELAY_ERR_RATE,
		    &res);
	else
		rv = relay_route(&ctx, c->rx, c->rxlen, &res);
	if (rv == -1) {
		log_warnx("session %s: out of memory, message dropped", c->key);
		return;
	}
	if (res.action == RELAY_DROP) {
		log_info("session %s: not an envelope (%zu bytes), "
		    "disconnecting", c->key, c->rxlen);
		relay_http_close(c, LWS_CLOSE_STATUS_INVALID_PAYLOAD,
		    "not an envelope");
	} else
		store(r, c, &res);
	relay_route_result_free(&res);
}

static int
receive(struct lws *wsi, struct relay *r, struct relay_conn *c,
    const void *in, size_t len)
{
	if (c->closing)
		return 0;
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
	if (!lws_is_final_fragment(wsi) || lws_remaining_packet_payload(wsi))
		return 0;
	if (c->too_big) {
		log_info("session %s: message over %d bytes, disconnecting",
		    c->key, RELAY_MSG_MAX);
		relay_http_close(c, LWS_CLOSE_STATUS_MESSAGE_TOO_LARGE,
		    "message too large");
		return 0;
	}
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

/* The token is the whole query string (RELAY.md §1.3). */
static void
authenticate(struct lws *wsi, struct relay *r, struct relay_auth *a)
{
	char	q[JWT_MAX + 2];
	int	n;

	n = lws_hdr_total_length(wsi, WSI_TOKEN_HTTP_URI_ARGS);
	if (n > JWT_MAX) {
		memset(q, 'x', JWT_MAX + 1);
		relay_auth(q, JWT_MAX + 1, relay_now(), relay_lookup, r, a);
	} else if (n > 0 && lws_hdr_copy(wsi, q, sizeof(q),
	    WSI_TOKEN_HTTP_URI_ARGS) == n)
		relay_auth(q, (size_t)n, relay_now(), relay_lookup, r, a);
	else
		relay_auth(NULL, 0, relay_now(), relay_lookup, r, a);
}

/*
 * Before the 101: lws has no session memory yet, so a refusal is answered
 * here and an acceptance is checked again once the session exists.
 */
static int
upgrade(struct lws *wsi, struct relay *r)
{
	struct relay_auth	 a;
	char			 peer[64];

	authenticate(wsi, r, &a);
	if (a.status == 0)
		return 0;
	lws_get_peer_simple(wsi, peer, sizeof(peer));
	log_info("upgrade from %s refused: %d %s", peer, a.status, a.text);
	return refuse_upgrade(wsi, a.status, a.text) == -1 ? -1 : 1;
}

static int
established(struct lws *wsi, struct relay *r, struct relay_conn *c)
{
	struct relay_auth	 a;
	void			*old = NULL;

	memset(c, 0, sizeof(*c));
	c->relay = r;
	c->wsi = wsi;
	lws_get_peer_simple(wsi, c->peer, sizeof(c->peer));
	authenticate(wsi, r, &a);
	if (a.status != 0) {
		log_info("session from %s: %s", c->peer, a.text);
		return -1;
	}
	c->id = a.id;
	c->authed = 1;
	if (relay_stream_key(c->key, sizeof(c->key), &c->id) == -1)
		return -1;
	if (relay_sessions_add(&r->sessions, &c->id, c, &c->gen, &old) == -1) {
		log_warnx("session %s from %s: max number of users",
		    c->key, c->peer);
		c->gen = 0;
		relay_http_close(c, CLOSE_TRY_AGAIN_LATER,
		    "max number of users");
		return 0;
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
		return 0;
	}
	log_info("session %s: connected from %s", c->key, c->peer);
	return 0;
}

static void
closed(struct relay *r, struct relay_conn *c)
{
	if (!c->authed)
		return;
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

static int
http(struct lws *wsi, struct relay *r, struct relay_conn *c, const char *path)
{
	char	cl[24];
	int	post = lws_hdr_total_length(wsi, WSI_TOKEN_POST_URI) > 0;
	int	get = lws_hdr_total_length(wsi, WSI_TOKEN_GET_URI) > 0;

	/* A kept-alive connection's earlier request left these. */
	free(c->rx);
	free(c->resp);
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
			return ingest(wsi, r, c);	/* no body */
		return 0;
	}
	if (get && strcmp(path, "/metrics") == 0)
		return serve_metrics(wsi, r, c);
	return respond_text(wsi, c, 404, "page not found");
}

static int
callback(struct lws *wsi, enum lws_callback_reasons reason, void *user,
    void *in, size_t len)
{
	struct relay		*r = lws_context_user(lws_get_context(wsi));
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
		closed(r, c);
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
		return ingest(wsi, r, c);
	case LWS_CALLBACK_HTTP_WRITEABLE:
		if (c->resp == NULL)
			return 0;
		if (lws_write(wsi, c->resp + LWS_PRE, c->resplen,
		    LWS_WRITE_HTTP_FINAL) < 0)
			return -1;
		free(c->resp);
		c->resp = NULL;
		return lws_http_transaction_completed(wsi) ? -1 : 0;
	case LWS_CALLBACK_CLOSED_HTTP:
		if (c != NULL && !c->authed) {
			free(c->rx);
			free(c->resp);
			c->rx = NULL;
			c->resp = NULL;
		}
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
relay_http_init(struct relay *r)
{
	struct lws_context_creation_info	 info;
	void					*loops[1];

	lws_set_log_level(r->conf.debug > 1 ? LLL_ERR | LLL_WARN : LLL_ERR,
	    lws_emit);
	memset(&info, 0, sizeof(info));
	loops[0] = r->loop;
	info.options = LWS_SERVER_OPTION_LIBEV;
	info.foreign_loops = loops;
	info.port = r->conf.listen_port;
	if (r->conf.listen_host[0] == '\0' ||
	    strcmp(r->conf.listen_host, "::") == 0)
		info.iface = NULL;
	else {
		info.iface = r->conf.listen_host;
		if (strchr(r->conf.listen_host, ':') == NULL)
			info.options |= LWS_SERVER_OPTION_DISABLE_IPV6;
	}
	info.protocols = protocols;
	info.user = r;
	info.pt_serv_buf_size = 32768;
	info.timeout_secs = 30;
	info.server_string = "rmb-relay";
	info.count_threads = 1;
	if ((r->lws = lws_create_context(&info)) == NULL)
		return -1;
	return 0;
}

void
relay_http_free(struct relay *r)
{
	if (r->lws != NULL)
		lws_context_destroy(r->lws);
	r->lws = NULL;
}
