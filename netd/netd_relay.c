/* SPDX-License-Identifier: ISC */
/*
 * The relay sockets (doc/protocol.md §7.1, §7.2): one libwebsockets client
 * connection per relay URL on netd's libev loop, each authenticated by a
 * fresh JWT from keyd, kept alive with pings, dropped when silent, and
 * reconnected with a growing delay.  Binary messages are reassembled and
 * handed to netd_proto_in(); frames to send wait on a short queue per
 * socket, written at the end of the loop pass while the socket takes
 * them, and otherwise when lws says it is writable.
 */
#include <sys/queue.h>
#include <sys/stat.h>

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <ev.h>
#include <libwebsockets.h>

#include "e2e.h"
#include "jwt.h"
#include "grow.h"
#include "log.h"
#include "netd.h"

#define RX_KEEP		65536	/* reassembly buffer kept between messages */
#define WS_HDR_MAX	14	/* a client frame's header: 2, 8, the mask */
#define BATCH_MAX	(256 * 1024)	/* bytes of frames per write */
#define PROTOCOL_NAME	"rmb-netd"

enum relay_state {
	R_IDLE,			/* waiting for the retry timer */
	R_JWT,			/* keyd is making the token */
	R_CONNECTING,		/* TCP, TLS and the upgrade */
	R_UP
};

struct frame {
	STAILQ_ENTRY(frame) entry;
	size_t		 len;
	unsigned char	 buf[];		/* LWS_PRE, then len bytes */
};

struct relay {
	char		 url[URL_MAX + 1];
	struct relay_url u;
	char		 hosthdr[RELAY_DOMAIN_MAX + 16];
	char		 path[URL_MAX + 1 + JWT_MAX + 1];
	enum relay_state state;
	struct lws	*wsi;
	ev_timer	 timer;		/* retry when idle, keepalive when up */
	double		 backoff;
	int		 failing;	/* a failure was logged since the last up */
	int		 closing;	/* we asked lws to drop it */
	ev_tstamp	 last_rx, last_tx;
	int		 want_ping;
	STAILQ_HEAD(, frame) q;		/* oldest first */
	size_t		 qlen;
	int		 dirty;		/* frames queued since the last push */
	uint8_t		*rx;
	size_t		 rxlen, rxcap;
	int		 rx_skip;	/* the message being read is not kept */
};

static struct {
	struct ev_loop		*loop;
	struct lws_context	*ctx;
	struct relay		 r[RELAYS_MAX];
	size_t			 n;
	size_t			 preferred;
	int			 rx_off;
} rl;

/* Where distributions keep the system CA bundle. */
static const char *const ca_bundles[] = {
	"/etc/ssl/certs/ca-certificates.crt",	/* Debian, Ubuntu, Arch */
	"/etc/pki/tls/certs/ca-bundle.crt",	/* Fedora, RHEL */
	"/etc/ssl/ca-bundle.pem",		/* openSUSE */
	"/etc/ssl/cert.pem"			/* Alpine, the BSDs */
};

static void	relay_start(struct relay *);

static void
schedule(struct relay *r, double delay)
{
	ev_timer_stop(rl.loop, &r->timer);
	ev_timer_set(&r->timer, delay, 0.);
	ev_timer_start(rl.loop, &r->timer);
}

/* A connect attempt failed: the first in a row is logged, then retried. */
static void
failed(struct relay *r, const char *fmt, ...) LOG_PRINTF(2, 3);

static void
failed(struct relay *r, const char *fmt, ...)
{
	char	why[512];
	va_list	ap;

	va_start(ap, fmt);
	vsnprintf(why, sizeof(why), fmt, ap);
	va_end(ap);
	r->state = R_IDLE;
	r->wsi = NULL;
	if (!r->failing)
		log_warnx("relay %s: %s; retrying in %.0f s", r->url, why,
		    r->backoff);
	else
		log_debug("relay %s: %s; retrying in %.0f s", r->url, why,
		    r->backoff);
	r->failing = 1;
	schedule(r, r->backoff);
	r->backoff *= 2;
	if (r->backoff > NETD_RETRY_MAX)
		r->backoff = NETD_RETRY_MAX;
}

static void
connect_now(struct relay *r)
{
	struct lws_client_connect_info	ci;

	memset(&ci, 0, sizeof(ci));
	ci.context = rl.ctx;
	ci.address = r->u.host;
	ci.port = r->u.port;
	ci.ssl_connection = r->u.tls ? LCCSCF_USE_SSL : 0;
	ci.path = r->path;
	ci.host = r->hosthdr;
	ci.local_protocol_name = PROTOCOL_NAME;
	ci.userdata = r;
	ci.pwsi = &r->wsi;
	r->state = R_CONNECTING;
	r->closing = 0;
	if (lws_client_connect_via_info(&ci) == NULL &&
	    r->state == R_CONNECTING)
		failed(r, "cannot start connecting");
}

static void
jwt_cb(void *arg, const uint8_t *tok, size_t len, uint32_t code,
    const char *err)
{
	struct relay	*r = arg;

	(void)code;
	if (r->state != R_JWT)
		return;
	if (err != NULL) {
		failed(r, "keyd made no token: %s", err);
		return;
	}
	/* The whole query is the token (§3.2), which needs no escaping. */
	if (len > JWT_MAX || memchr(tok, '\0', len) != NULL) {
		failed(r, "keyd's token is malformed");
		return;
	}
	snprintf(r->path, sizeof(r->path), "%s?%.*s", r->u.path, (int)len,
	    (const char *)tok);
	connect_now(r);
}

static void
relay_start(struct relay *r)
{
	r->state = R_JWT;
	if (netd_keyd_jwt(NETD_JWT_TTL, jwt_cb, r) == -1)
		failed(r, "cannot ask keyd for a token");
}

/* Asks lws to close; LWS_CALLBACK_CLIENT_CLOSED then schedules a retry. */
static void
drop(struct relay *r)
{
	if (r->closing || r->wsi == NULL)
		return;
	r->closing = 1;
	lws_set_timeout(r->wsi, PENDING_TIMEOUT_USER_OK, LWS_TO_KILL_ASYNC);
}

static void
timer_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct relay	*r = w->data;
	ev_tstamp	 now = ev_now(loop);

	(void)revents;
	if (r->state == R_IDLE) {
		relay_start(r);
		return;
	}
	if (r->state != R_UP || r->closing)
		return;
	/* A paused socket reads nothing, pongs included: not a dead link. */
	if (!rl.rx_off && now - r->last_rx > NETD_READ_TIMEOUT) {
		log_warnx("relay %s: nothing received for %.0f s, reconnecting",
		    r->url, NETD_READ_TIMEOUT);
		drop(r);
		return;
	}
	if (now - r->last_tx >= NETD_PING_INTERVAL && !r->want_ping) {
		r->want_ping = 1;
		lws_callback_on_writable(r->wsi);
	}
}

static void
established(struct relay *r)
{
	r->state = R_UP;
	r->backoff = NETD_RETRY_MIN;
	r->failing = 0;
	r->want_ping = 0;
	r->last_rx = r->last_tx = ev_now(rl.loop);
	log_info("relay %s: connected", r->url);
	if (rl.rx_off)
		lws_rx_flow_control(r->wsi, 0);
	ev_timer_stop(rl.loop, &r->timer);
	ev_timer_set(&r->timer, 1., 1.);
	ev_timer_start(rl.loop, &r->timer);
	netd_proto_retry();
}

/* The connection ended: queued frames try the other sockets. */
static void
closed(struct relay *r)
{
	struct frame	*f;
	size_t		 moved = 0, lost = 0;

	r->state = R_IDLE;
	r->wsi = NULL;
	ev_timer_stop(rl.loop, &r->timer);
	while ((f = STAILQ_FIRST(&r->q)) != NULL) {
		STAILQ_REMOVE_HEAD(&r->q, entry);
		r->qlen--;
		if (netd_relay_send(f->buf + LWS_PRE, f->len) == 0)
			moved++;
		else
			lost++;
		free(f);
	}
	free(r->rx);
	r->rx = NULL;
	r->rxlen = r->rxcap = 0;
	if (lost > 0)
		log_warnx("relay %s: disconnected; %zu queued envelope(s) "
		    "lost, %zu moved to another relay", r->url, lost, moved);
	else
		log_warnx("relay %s: disconnected", r->url);
	r->backoff = NETD_RETRY_MIN;
	schedule(r, r->backoff);
	r->backoff *= 2;
}

static const char *
status_text(unsigned int status)
{
	switch (status) {
	case 400:	return "Bad Request";
	case 401:	return "Unauthorized";
	case 403:	return "Forbidden";
	case 404:	return "Not Found";
	case 429:	return "Too Many Requests";
	case 500:	return "Internal Server Error";
	case 502:	return "Bad Gateway";
	case 503:	return "Service Unavailable";
	default:	return "";
	}
}

static void
connect_error(struct relay *r, struct lws *wsi, const char *in, size_t len)
{
	unsigned int	 status = lws_http_client_http_response(wsi);
	char		 why[256];

	snprintf(why, sizeof(why), "%.*s", in != NULL ? (int)len : 0,
	    in != NULL ? in : "");
	if (why[0] == '\0')
		snprintf(why, sizeof(why), "connection failed");
	if (status != 0 && status != 101)
		failed(r, "refused: %u %s (%s)", status, status_text(status),
		    why);
	else
		failed(r, "%s", why);
}

static int
gather(struct relay *r, const void *in, size_t len)
{
	return grow_append(&r->rx, &r->rxlen, &r->rxcap, in, len,
	    ENVELOPE_MAX);
}

static int
receive(struct relay *r, struct lws *wsi, const void *in, size_t len)
{
	r->last_rx = ev_now(rl.loop);
	if (lws_is_first_fragment(wsi)) {
		r->rxlen = 0;
		r->rx_skip = 0;
		if (!lws_frame_is_binary(wsi)) {
			log_info("relay %s: text message skipped (invalid "
			    "message payload type)", r->url);
			r->rx_skip = 1;
		}
	}
	/* A message in one piece is read where lws has it, not gathered. */
	if (!r->rx_skip && r->rxlen == 0 && lws_is_final_fragment(wsi) &&
	    lws_remaining_packet_payload(wsi) == 0) {
		netd_proto_in(in != NULL ? in : (const void *)"", len);
		return 0;
	}
	if (!r->rx_skip && gather(r, in, len) == -1) {
		log_warnx("relay %s: message over %d bytes, disconnecting",
		    r->url, ENVELOPE_MAX);
		lws_close_reason(wsi, LWS_CLOSE_STATUS_MESSAGE_TOO_LARGE,
		    (unsigned char *)"message too large", 17);
		r->closing = 1;
		return -1;
	}
	if (!lws_is_final_fragment(wsi) || lws_remaining_packet_payload(wsi))
		return 0;
	if (!r->rx_skip)
		netd_proto_in(r->rx != NULL ? r->rx : (const uint8_t *)"",
		    r->rxlen);
	r->rxlen = 0;
	r->rx_skip = 0;
	/* Keep a small buffer; give back what a big message took. */
	if (r->rxcap > RX_KEEP) {
		free(r->rx);
		r->rx = NULL;
		r->rxcap = 0;
	}
	return 0;
}

/*
 * One client WebSocket message of len bytes at out (RFC 6455 §5.2): FIN
 * and binary, the length, a fresh mask and the payload masked with it,
 * eight bytes at a time.  Returns the bytes written, at most
 * WS_HDR_MAX + len.  lws 4.1 would draw each mask with a read(2) of
 * /dev/urandom and apply it a byte at a time, and has no way to be told
 * otherwise (its LWS_WRITE_CLIENT_IGNORE_XOR_MASK is not looked at).
 */
static size_t
ws_frame(uint8_t *out, const uint8_t *p, size_t len)
{
	uint8_t		 m[8];
	uint64_t	 m8, w;
	size_t		 h = 2, i;

	out[0] = 0x82;
	if (len < 126)
		out[1] = (uint8_t)(0x80 | len);
	else if (len <= 0xffff) {
		out[1] = 0x80 | 126;
		out[2] = (uint8_t)(len >> 8);
		out[3] = (uint8_t)len;
		h = 4;
	} else {
		out[1] = 0x80 | 127;
		for (i = 0; i < 8; i++)
			out[2 + i] = (uint8_t)((uint64_t)len >> (56 - 8 * i));
		h = 10;
	}
	e2e_random(m, 4);
	memcpy(m + 4, m, 4);
	memcpy(out + h, m, 4);
	h += 4;
	memcpy(&m8, m, sizeof(m8));
	for (i = 0; i + 8 <= len; i += 8) {
		memcpy(&w, p + i, sizeof(w));
		w ^= m8;
		memcpy(out + h + i, &w, sizeof(w));
	}
	for (; i < len; i++)
		out[h + i] = p[i] ^ m[i & 3];
	return h + len;
}

/*
 * Writes queued frames, one WebSocket message each (the relay reads one
 * envelope per message, doc/protocol.md §7.1), as many as BATCH_MAX
 * holds framed and masked by ws_frame() in one static buffer (lws
 * copies what the socket does not take at once), with one raw write:
 * one send(2) for all rather than one each, and no byte-at-a-time
 * masking in lws.  When the socket takes a batch only partly, lws keeps
 * the rest and sends it first; the frames after it stay on our queue
 * (and move to another relay if this one drops) and wait for
 * LWS_CALLBACK_CLIENT_WRITEABLE.  Asking the socket first
 * (lws_send_pipe_choked) would cost a poll(2) a batch.  lws 4.1 allows
 * a write outside that callback: with output still buffered it appends,
 * in order.  Only whole messages go out raw, so lws's own writes (pings,
 * the close) never land inside one.  -1 when a write failed.
 */
static int
push(struct relay *r)
{
	static unsigned char	 batch[LWS_PRE + BATCH_MAX];
	unsigned char		*b;
	struct frame		*f;
	size_t			 len, n, cap;
	int			 was_full = r->qlen >= NETD_RELAY_QUEUE, rv;

	r->dirty = 0;
	while ((f = STAILQ_FIRST(&r->q)) != NULL &&
	    !lws_partial_buffered(r->wsi)) {
		cap = n = 0;
		STAILQ_FOREACH(f, &r->q, entry) {
			if (n > 0 && cap + WS_HDR_MAX + f->len > BATCH_MAX)
				break;
			cap += WS_HDR_MAX + f->len;
			n++;
		}
		/* A frame bigger than a batch goes alone, from the heap. */
		b = batch;
		if (cap > BATCH_MAX && (b = malloc(LWS_PRE + cap)) == NULL) {
			log_warnx("relay %s: out of memory for a %zu-byte "
			    "message", r->url, cap);
			return -1;
		}
		for (len = 0; n > 0; n--) {
			f = STAILQ_FIRST(&r->q);
			STAILQ_REMOVE_HEAD(&r->q, entry);
			r->qlen--;
			len += ws_frame(b + LWS_PRE + len, f->buf + LWS_PRE,
			    f->len);
			free(f);
		}
		rv = lws_write(r->wsi, b + LWS_PRE, len, LWS_WRITE_RAW);
		if (b != batch)
			free(b);
		if (rv < 0) {
			log_warnx("relay %s: write failed, envelopes lost",
			    r->url);
			return -1;
		}
		r->last_tx = ev_now(rl.loop);
	}
	if (!STAILQ_EMPTY(&r->q))
		lws_callback_on_writable(r->wsi);
	if (was_full && r->qlen < NETD_RELAY_QUEUE)
		netd_proto_retry();
	return 0;
}

static int
writable(struct relay *r, struct lws *wsi)
{
	unsigned char	 ping[LWS_PRE + 1];

	if (r->closing)
		return -1;
	if (r->want_ping) {
		r->want_ping = 0;
		if (lws_write(wsi, ping + LWS_PRE, 0, LWS_WRITE_PING) < 0)
			return -1;
		r->last_tx = ev_now(rl.loop);
		if (!STAILQ_EMPTY(&r->q))
			lws_callback_on_writable(wsi);
		return 0;
	}
	return push(r);
}

static int
callback(struct lws *wsi, enum lws_callback_reasons reason, void *user,
    void *in, size_t len)
{
	struct relay	*r = user;

	if (r == NULL || r < rl.r || r >= rl.r + rl.n)
		return 0;
	/* A socket we gave up on may still report; only r->wsi counts. */
	if (wsi != r->wsi && reason != LWS_CALLBACK_WSI_DESTROY)
		return reason == LWS_CALLBACK_CLIENT_WRITEABLE ? -1 : 0;
	switch (reason) {
	case LWS_CALLBACK_CLIENT_ESTABLISHED:
		established(r);
		return 0;
	case LWS_CALLBACK_CLIENT_CONNECTION_ERROR:
		connect_error(r, wsi, in, len);
		return 0;
	case LWS_CALLBACK_CLIENT_RECEIVE:
		return receive(r, wsi, in, len);
	case LWS_CALLBACK_CLIENT_RECEIVE_PONG:
		r->last_rx = ev_now(rl.loop);
		return 0;
	case LWS_CALLBACK_CLIENT_WRITEABLE:
		return writable(r, wsi);
	case LWS_CALLBACK_CLIENT_CLOSED:
		closed(r);
		return 0;
	case LWS_CALLBACK_WSI_DESTROY:
		/* Closed without a callback we handle: still retry. */
		if (wsi == r->wsi && r->state == R_CONNECTING)
			failed(r, "connection failed");
		else if (wsi == r->wsi && r->state == R_UP)
			closed(r);
		return 0;
	default:
		return 0;
	}
}

static const struct lws_protocols protocols[] = {
	{ PROTOCOL_NAME, callback, 0, 65536, 0, NULL, 0 },
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

void
netd_relay_init(struct ev_loop *loop, int verbose)
{
	struct lws_context_creation_info	 info;
	struct stat				 st;
	void					*loops[1];
	size_t					 i;

	rl.loop = loop;
	lws_set_log_level(verbose > 1 ? LLL_ERR | LLL_WARN : LLL_ERR,
	    lws_emit);
	memset(&info, 0, sizeof(info));
	loops[0] = loop;
	info.options = LWS_SERVER_OPTION_LIBEV |
	    LWS_SERVER_OPTION_DO_SSL_GLOBAL_INIT;
	info.foreign_loops = loops;
	info.port = CONTEXT_PORT_NO_LISTEN;
	info.protocols = protocols;
	info.gid = -1;
	info.uid = -1;
	info.timeout_secs = NETD_CONNECT_TIMEOUT;
	info.count_threads = 1;
	for (i = 0; i < sizeof(ca_bundles) / sizeof(ca_bundles[0]); i++)
		if (stat(ca_bundles[i], &st) == 0 && S_ISREG(st.st_mode)) {
			info.client_ssl_ca_filepath = ca_bundles[i];
			break;
		}
	if (info.client_ssl_ca_filepath == NULL)
		log_warnx("no system CA bundle found: wss:// relays will fail");
	if ((rl.ctx = lws_create_context(&info)) == NULL)
		fatalx("cannot create the WebSocket client context");
}

void
netd_relay_add(const char *url, const struct relay_url *u)
{
	struct relay	*r;
	int		 std = u->port == (u->tls ? 443 : 80);

	if (rl.n >= RELAYS_MAX)
		fatalx("more than %d relays", RELAYS_MAX);
	r = &rl.r[rl.n++];
	memset(r, 0, sizeof(*r));
	STAILQ_INIT(&r->q);
	snprintf(r->url, sizeof(r->url), "%s", url);
	r->u = *u;
	snprintf(r->hosthdr, sizeof(r->hosthdr), std ? "%s" : "%s:%d",
	    u->host, u->port);
	r->backoff = NETD_RETRY_MIN;
	ev_timer_init(&r->timer, timer_cb, 0., 0.);
	r->timer.data = r;
	relay_start(r);
}

size_t
netd_relay_count(void)
{
	return rl.n;
}

int
netd_relay_send(const uint8_t *frame, size_t len)
{
	struct relay	*r;
	struct frame	*f;
	size_t		 i, k;

	if (len > ENVELOPE_MAX)
		return -1;
	for (i = 0; i < rl.n; i++) {
		k = (rl.preferred + i) % rl.n;
		r = &rl.r[k];
		if (r->state != R_UP || r->closing ||
		    r->qlen >= NETD_RELAY_QUEUE)
			continue;
		if ((f = malloc(sizeof(*f) + LWS_PRE + len)) == NULL)
			return -1;
		f->len = len;
		memcpy(f->buf + LWS_PRE, frame, len);
		STAILQ_INSERT_TAIL(&r->q, f, entry);
		r->qlen++;
		r->dirty = 1;
		rl.preferred = k;
		return 0;
	}
	return -1;
}

/*
 * A push may make room and so take envelopes from the waiting list,
 * queued on any socket: go round until no socket got a new frame.
 */
void
netd_relay_flush(void)
{
	struct relay	*r;
	size_t		 i;
	int		 again;

	do {
		again = 0;
		for (i = 0; i < rl.n; i++) {
			r = &rl.r[i];
			if (!r->dirty)
				continue;
			if (r->state != R_UP || r->closing || r->wsi == NULL) {
				r->dirty = 0;
				continue;
			}
			if (push(r) == -1)
				drop(r);
			again = 1;
		}
	} while (again);
}

void
netd_relay_rx(int on)
{
	struct relay	*r;
	size_t		 i;

	if (rl.rx_off == !on)
		return;
	rl.rx_off = !on;
	for (i = 0; i < rl.n; i++) {
		r = &rl.r[i];
		if (r->state != R_UP || r->closing)
			continue;
		lws_rx_flow_control(r->wsi, on);
		/* The silence while paused was ours. */
		if (on)
			r->last_rx = ev_now(rl.loop);
	}
}
