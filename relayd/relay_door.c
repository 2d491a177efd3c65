/* SPDX-License-Identifier: ISC */
/*
 * The front door (relay_door.h).  A connection at the door is in one of
 * four states: its head is being read; its upgrade waits for a twin from
 * the chain; its refusal is being written; or, written, the door reads
 * what the client still sends until it closes (or RELAY_DOOR_LINGER
 * seconds), so that closing does not reset the connection before the
 * client has read the answer.  Handing over ends its time here.
 *
 * The door only looks at the bytes of a request it may hand over
 * (MSG_PEEK): lws then reads the connection from its first byte, as if
 * it had accepted it.  So that a head that came in part does not wake
 * the loop again and again, SO_RCVLOWAT asks the kernel to wake it only
 * once more bytes than those seen have come, or the client's end.
 */
#include <sys/types.h>
#include <sys/queue.h>
#include <sys/socket.h>

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <arpa/inet.h>

#include <errno.h>
#include <inttypes.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <ev.h>
#include <libwebsockets.h>

#include "jwt.h"
#include "log.h"
#include "relay_auth.h"
#include "relay_door.h"
#include "relay_head.h"
#include "relay_server.h"

#define ACCEPT_BURST	64	/* accepts per wake-up of the listener */
#define ACCEPT_PAUSE	1.0	/* s without accepting after EMFILE */
#define REFUSAL_MAX	512	/* status line, headers, body */

enum door_state {
	DOOR_HEAD,
	DOOR_LOOKUP,
	DOOR_REFUSE,
	DOOR_LINGER
};

struct door_conn {
	struct relay_door	*door;
	LIST_ENTRY(door_conn)	 entry;
	ev_io			 io;
	ev_timer		 timer;
	int			 fd;
	enum door_state		 state;
	size_t			 seen;		/* bytes looked at */
	int			 upgrade;	/* the head asks for one */
	int			 upgrade_other;	/* for another protocol */
	char			 q[JWT_MAX + 1];	/* its query, cut */
	size_t			 qlen;		/* the query's whole length */
	uint64_t		 now;		/* unix s, the head's end */
	/* The chain's answer for twin, once answered (1, 0, -1). */
	int			 answered;
	int			 answer;
	uint32_t		 twin;
	struct twin_record	 rec;
	int			 reread;	/* after a bad signature */
	char			 out[REFUSAL_MAX];
	size_t			 outlen, outoff;
	char			 peer[64];
};

/* A twin read for an upgrade handed over, until lws has decided it. */
struct door_kept {
	LIST_ENTRY(door_kept)	 entry;
	int			 fd;
	struct twin_record	 rec;
};

struct relay_door {
	struct relay_server	*r;
	struct lws_vhost	*vh;
	int			 lfd;
	ev_io			 lio;
	ev_timer		 pause;		/* after EMFILE */
	LIST_HEAD(, door_conn)	 conns;
	LIST_HEAD(, door_kept)	 kept;
};

/* What a peek puts in: one head, one byte over. */
static char	peekbuf[RELAY_HEAD_MAX + 1];

static void	conn_io(struct ev_loop *, ev_io *, int);
static void	decide(struct door_conn *);

static void
kept_drop(struct relay_door *d, int fd)
{
	struct door_kept	*k;

	LIST_FOREACH(k, &d->kept, entry)
		if (k->fd == fd)
			break;
	if (k == NULL)
		return;
	LIST_REMOVE(k, entry);
	free(k);
}

int
relay_door_twin(struct relay_door *d, int fd, uint32_t twin,
    struct twin_record *out)
{
	struct door_kept	*k;

	if (d == NULL)
		return 2;
	LIST_FOREACH(k, &d->kept, entry)
		if (k->fd == fd && k->rec.id == twin) {
			*out = k->rec;
			return 1;
		}
	return 2;
}

void
relay_door_forget(struct relay_door *d, int fd)
{
	if (d != NULL)
		kept_drop(d, fd);
}

static void
conn_free(struct door_conn *dc)
{
	struct ev_loop	*loop = dc->door->r->loop;

	ev_io_stop(loop, &dc->io);
	ev_timer_stop(loop, &dc->timer);
	if (dc->state == DOOR_LOOKUP)
		twindir_cancel(&dc->door->r->twins, dc);
	if (dc->fd != -1)
		close(dc->fd);
	LIST_REMOVE(dc, entry);
	free(dc);
}

static void
conn_wait(struct door_conn *dc, int events, ev_tstamp after)
{
	struct ev_loop	*loop = dc->door->r->loop;

	ev_io_stop(loop, &dc->io);
	ev_io_set(&dc->io, dc->fd, events);
	if (events != 0)
		ev_io_start(loop, &dc->io);
	if (after > 0) {
		ev_timer_stop(loop, &dc->timer);
		ev_timer_set(&dc->timer, after, 0.);
		ev_timer_start(loop, &dc->timer);
	}
}

/* The loop is woken once n bytes wait, or at the client's end. */
static void
lowat(struct door_conn *dc, size_t n)
{
	int	v = (int)n;

	if (setsockopt(dc->fd, SOL_SOCKET, SO_RCVLOWAT, &v, sizeof(v)) == -1)
		log_debug("connection from %s: SO_RCVLOWAT: %s", dc->peer,
		    strerror(errno));
}

/* After the refusal went out: no more writes, read until the client goes. */
static void
linger(struct door_conn *dc)
{
	if (shutdown(dc->fd, SHUT_WR) == -1) {
		conn_free(dc);
		return;
	}
	dc->state = DOOR_LINGER;
	conn_wait(dc, EV_READ, RELAY_DOOR_LINGER);
}

static void
refusal_write(struct door_conn *dc)
{
	ssize_t	n;

	while (dc->outoff < dc->outlen) {
		n = send(dc->fd, dc->out + dc->outoff, dc->outlen - dc->outoff,
		    MSG_NOSIGNAL);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
			conn_wait(dc, EV_WRITE, 0);
			return;
		}
		if (n <= 0) {
			conn_free(dc);
			return;
		}
		dc->outoff += (size_t)n;
	}
	linger(dc);
}

/*
 * A refusal: the status and its text as a plain-text body, the same
 * answer lws's side gives (relay_http.c), and the connection closes.
 */
static void
refuse(struct door_conn *dc, int status, const char *text)
{
	const char	*reason;
	int		 n;

	switch (status) {
	case 400:
		reason = "Bad Request";
		break;
	case 401:
		reason = "Unauthorized";
		break;
	case 431:
		reason = "Request Header Fields Too Large";
		break;
	default:
		reason = "Internal Server Error";
		break;
	}
	log_info("%s from %s refused: %d %s", dc->upgrade ? "upgrade" :
	    "request", dc->peer, status, text);
	n = snprintf(dc->out, sizeof(dc->out), "HTTP/1.1 %d %s\r\n"
	    "content-type: text/plain; charset=utf-8\r\n"
	    "content-length: %zu\r\nconnection: close\r\n\r\n%s", status,
	    reason, strlen(text), text);
	if (n < 0 || (size_t)n >= sizeof(dc->out)) {
		conn_free(dc);
		return;
	}
	dc->outlen = (size_t)n;
	dc->outoff = 0;
	dc->state = DOOR_REFUSE;
	lowat(dc, 1);
	conn_wait(dc, 0, RELAY_DOOR_LINGER);
	refusal_write(dc);
}

/*
 * Gives the connection to lws, with a twin the chain gave for it; lws
 * takes the socket, and closes it if it cannot adopt it.
 */
static void
hand_over(struct door_conn *dc, const struct twin_record *rec)
{
	struct relay_door	*d = dc->door;
	struct door_kept	*k = NULL;
	struct lws		*wsi;
	int			 fd = dc->fd;

	ev_io_stop(d->r->loop, &dc->io);
	ev_timer_stop(d->r->loop, &dc->timer);
	if (rec != NULL) {
		if ((k = calloc(1, sizeof(*k))) == NULL) {
			log_warnx("upgrade from %s: out of memory", dc->peer);
			refuse(dc, 500, "failed to get twin: out of memory");
			return;
		}
		k->fd = fd;
		k->rec = *rec;
		LIST_INSERT_HEAD(&d->kept, k, entry);
	}
	lowat(dc, 1);
	dc->state = DOOR_HEAD;
	dc->fd = -1;
	if ((wsi = lws_adopt_socket_vhost(d->vh, fd)) == NULL) {
		log_debug("connection from %s: closed by libwebsockets as it "
		    "took it", dc->peer);
		kept_drop(d, fd);
	}
	conn_free(dc);
}

/* The door's lookup: the chain's answer for this request, else the cache. */
static int
door_lookup(void *arg, uint32_t twin, struct twin_record *out)
{
	struct door_conn	*dc = arg;

	if (dc->answered && dc->twin == twin) {
		if (dc->answer == 1)
			*out = dc->rec;
		return dc->answer;
	}
	return relay_lookup(dc->door->r, twin, out);
}

static void
answered(void *arg, int rv, const struct twin_record *t)
{
	struct door_conn	*dc = arg;

	/* The chain's state comes from its own reads (twindir_on_chain). */
	dc->state = DOOR_HEAD;
	dc->answered = 1;
	dc->answer = rv == 1 && t != NULL ? 1 : rv == 0 ? 0 : -1;
	if (dc->answer == 1)
		dc->rec = *t;
	log_debug("upgrade from %s: twin %" PRIu32 " %s", dc->peer, dc->twin,
	    dc->answer == 1 ? "read" : dc->answer == 0 ? "not on chain" :
	    "not read: the chain failed");
	decide(dc);
}

/*
 * The head is whole.  An upgrade's token is checked as relay_http.c
 * checks it (relay_auth, in the reference's order); a twin that is not
 * at hand is read first, and a signature that fails against a cached
 * twin is checked once more against the source, whose key may be new.
 */
static void
decide(struct door_conn *dc)
{
	struct relay_server	*r = dc->door->r;
	struct relay_auth	 a;
	size_t			 n = dc->qlen;

	if (!dc->upgrade) {
		hand_over(dc, NULL);
		return;
	}
	/* As relay_http.c's token(): one over JWT_MAX fails to parse. */
	if (n > JWT_MAX) {
		memset(dc->q, 'x', sizeof(dc->q));
		n = sizeof(dc->q);
	}
	relay_auth(n > 0 ? dc->q : NULL, n, dc->now, door_lookup, dc, &a);
	if (a.status == 401 && a.bad_sig && !dc->answered && !dc->reread) {
		log_debug("twin %" PRIu32 ": signature fails against the "
		    "cached twin, reading it again", a.id.twin);
		dc->reread = 1;
		twindir_forget(&r->twins, a.id.twin);
		relay_auth(dc->q, n, dc->now, door_lookup, dc, &a);
	}
	if (a.status == 0 && a.pending && dc->answered) {
		/* The answer was for this twin: cannot happen. */
		a.status = 500;
		snprintf(a.text, sizeof(a.text), "failed to get twin: twin "
		    "source unavailable");
	}
	if (a.status != 0) {
		refuse(dc, a.status, a.text);
		return;
	}
	if (!a.pending) {
		hand_over(dc, dc->answered && dc->answer == 1 &&
		    dc->twin == a.id.twin ? &dc->rec : NULL);
		return;
	}
	dc->state = DOOR_LOOKUP;
	dc->twin = a.id.twin;
	log_debug("upgrade from %s: reading twin %" PRIu32 " from the chain",
	    dc->peer, dc->twin);
	lowat(dc, dc->seen + 1);
	conn_wait(dc, EV_READ, RELAY_DOOR_LOOKUP_WAIT);
	/* The answer may come before this returns, and dc may be gone. */
	twindir_lookup(&r->twins, dc->twin, relay_mono(), answered, dc);
}

/*
 * Looks at what came of the head.  Returns the parse, with what decide()
 * needs kept, or 2 when the client is gone: woken without a byte more
 * than last time, it sent its end (or the connection broke).
 */
static int
head_peek(struct door_conn *dc)
{
	struct relay_head	 h;
	ssize_t			 n;
	int			 rv;

	n = recv(dc->fd, peekbuf, RELAY_HEAD_MAX, MSG_PEEK);
	if (n == -1 && (errno == EAGAIN || errno == EWOULDBLOCK ||
	    errno == EINTR))
		return RELAY_HEAD_MORE;
	if (n <= 0 || (size_t)n <= dc->seen)
		return 2;
	dc->seen = (size_t)n;
	rv = relay_head_parse(peekbuf, dc->seen, &h);
	if (rv == RELAY_HEAD_MORE)
		lowat(dc, dc->seen + 1);
	if (rv != RELAY_HEAD_DONE)
		return rv;
	dc->upgrade = h.upgrade;
	dc->upgrade_other = h.upgrade_other;
	dc->qlen = h.querylen;
	if (h.query != NULL)
		memcpy(dc->q, h.query, h.querylen < sizeof(dc->q) ?
		    h.querylen : sizeof(dc->q));
	return rv;
}

static void
conn_io(struct ev_loop *loop, ev_io *w, int revents)
{
	struct door_conn	*dc = w->data;
	uint8_t			 sink[512];
	ssize_t			 n;

	(void)loop;
	(void)revents;
	switch (dc->state) {
	case DOOR_HEAD:
		switch (head_peek(dc)) {
		case RELAY_HEAD_MORE:
			return;
		case RELAY_HEAD_BAD:
			refuse(dc, 400, "bad request");
			return;
		case RELAY_HEAD_BIG:
			refuse(dc, 431, "request header fields too large");
			return;
		case RELAY_HEAD_DONE:
			/*
			 * lws would answer another upgrade and keep the
			 * connection, whose next request would then not
			 * pass here.
			 */
			if (dc->upgrade_other) {
				refuse(dc, 400, "bad request");
				return;
			}
			dc->now = relay_now();
			decide(dc);
			return;
		default:
			log_debug("connection from %s: gone before its "
			    "request head", dc->peer);
			conn_free(dc);
			return;
		}
	case DOOR_LOOKUP:
		/*
		 * Only the client's end is looked for: bytes it sends early
		 * stay in the socket for lws, and the door stops looking
		 * once there are some (the answer or the timer ends it).
		 */
		n = recv(dc->fd, peekbuf, sizeof(peekbuf), MSG_PEEK);
		if (n == -1 && (errno == EAGAIN || errno == EWOULDBLOCK ||
		    errno == EINTR))
			return;
		if (n > 0 && (size_t)n > dc->seen) {
			ev_io_stop(dc->door->r->loop, &dc->io);
			return;
		}
		log_info("upgrade from %s: closed before its twin was read",
		    dc->peer);
		conn_free(dc);
		return;
	case DOOR_REFUSE:
		refusal_write(dc);
		return;
	case DOOR_LINGER:
		n = recv(dc->fd, sink, sizeof(sink), 0);
		if (n == 0 || (n == -1 && errno != EAGAIN &&
		    errno != EWOULDBLOCK && errno != EINTR))
			conn_free(dc);
		return;
	}
}

static void
conn_timer(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct door_conn	*dc = w->data;

	(void)loop;
	(void)revents;
	switch (dc->state) {
	case DOOR_HEAD:
		log_info("connection from %s: no whole request head in %d s, "
		    "closed", dc->peer, RELAY_HEAD_WAIT);
		conn_free(dc);
		return;
	case DOOR_LOOKUP:
		twindir_cancel(&dc->door->r->twins, dc);
		dc->state = DOOR_HEAD;
		log_warnx("upgrade from %s: twin %" PRIu32 " not read in %d s",
		    dc->peer, dc->twin, RELAY_DOOR_LOOKUP_WAIT);
		refuse(dc, 500, "failed to get twin: twin source unavailable");
		return;
	case DOOR_REFUSE:
	case DOOR_LINGER:
		conn_free(dc);
		return;
	}
}

static void
conn_new(struct relay_door *d, int fd, const struct sockaddr *sa,
    socklen_t salen)
{
	struct door_conn	*dc;
	char			 host[INET6_ADDRSTRLEN];
	int			 on = 1;

	/* The number is free again: what was kept for it is stale. */
	kept_drop(d, fd);
	if ((dc = calloc(1, sizeof(*dc))) == NULL) {
		log_warnx("accept: out of memory");
		close(fd);
		return;
	}
	dc->door = d;
	dc->fd = fd;
	dc->state = DOOR_HEAD;
	if (getnameinfo(sa, salen, host, sizeof(host), NULL, 0,
	    NI_NUMERICHOST) != 0)
		snprintf(host, sizeof(host), "?");
	/* lws names an IPv4 client on a dual-stack socket without ::ffff:. */
	snprintf(dc->peer, sizeof(dc->peer), "%s",
	    strncmp(host, "::ffff:", 7) == 0 && strchr(host, '.') != NULL ?
	    host + 7 : host);
	if (setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &on, sizeof(on)) == -1)
		log_debug("connection from %s: TCP_NODELAY: %s", dc->peer,
		    strerror(errno));
	LIST_INSERT_HEAD(&d->conns, dc, entry);
	ev_io_init(&dc->io, conn_io, fd, EV_READ);
	dc->io.data = dc;
	ev_timer_init(&dc->timer, conn_timer, RELAY_HEAD_WAIT, 0.);
	dc->timer.data = dc;
	ev_io_start(d->r->loop, &dc->io);
	ev_timer_start(d->r->loop, &dc->timer);
}

static void
accept_cb(struct ev_loop *loop, ev_io *w, int revents)
{
	struct relay_door	*d = w->data;
	struct sockaddr_storage	 ss;
	socklen_t		 sl;
	int			 fd, i;

	(void)revents;
	for (i = 0; i < ACCEPT_BURST && !d->r->stopping; i++) {
		sl = sizeof(ss);
		fd = accept4(d->lfd, (struct sockaddr *)&ss, &sl,
		    SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd != -1) {
			conn_new(d, fd, (struct sockaddr *)&ss, sl);
			continue;
		}
		switch (errno) {
		case EAGAIN:
#if EWOULDBLOCK != EAGAIN
		case EWOULDBLOCK:
#endif
			return;
		case EINTR:
		case ECONNABORTED:
		case EPROTO:
			continue;
		case EMFILE:
		case ENFILE:
		case ENOBUFS:
		case ENOMEM:
			/* Waiting clients stay in the backlog meanwhile. */
			log_warn("accept: not accepting for %.0f s",
			    ACCEPT_PAUSE);
			ev_io_stop(loop, &d->lio);
			ev_timer_start(loop, &d->pause);
			return;
		default:
			log_warn("accept");
			return;
		}
	}
}

static void
pause_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct relay_door	*d = w->data;

	(void)revents;
	ev_io_start(loop, &d->lio);
}

/*
 * The -l address: every address (IPv6 with IPv4 mapped) for "" or "::",
 * else a numeric address or a name.  IP_FREEBIND lets a relay start
 * before its address is up; connections come once it is.
 */
static int
listen_socket(const struct relay_conf *c)
{
	struct sockaddr_storage	 ss;
	struct sockaddr_in	*sin = (struct sockaddr_in *)&ss;
	struct sockaddr_in6	*sin6 = (struct sockaddr_in6 *)&ss;
	struct addrinfo		 hints, *res;
	socklen_t		 sl;
	int			 fd, on = 1, off = 0, any = 0, rc;

	memset(&ss, 0, sizeof(ss));
	if (c->listen_host[0] == '\0' || strcmp(c->listen_host, "::") == 0) {
		ss.ss_family = AF_INET6;
		sin6->sin6_addr = in6addr_any;
		any = 1;
	} else if (inet_pton(AF_INET, c->listen_host, &sin->sin_addr) == 1)
		ss.ss_family = AF_INET;
	else if (inet_pton(AF_INET6, c->listen_host, &sin6->sin6_addr) == 1)
		ss.ss_family = AF_INET6;
	else {
		memset(&hints, 0, sizeof(hints));
		hints.ai_socktype = SOCK_STREAM;
		hints.ai_flags = AI_PASSIVE;
		if ((rc = getaddrinfo(c->listen_host, NULL, &hints,
		    &res)) != 0) {
			log_warnx("listen: %s: %s", c->listen_host,
			    gai_strerror(rc));
			return -1;
		}
		if (res->ai_addrlen > sizeof(ss)) {
			freeaddrinfo(res);
			return -1;
		}
		memcpy(&ss, res->ai_addr, res->ai_addrlen);
		freeaddrinfo(res);
	}
	if (ss.ss_family == AF_INET) {
		sin->sin_port = htons((uint16_t)c->listen_port);
		sl = sizeof(*sin);
	} else {
		sin6->sin6_port = htons((uint16_t)c->listen_port);
		sl = sizeof(*sin6);
	}
	if ((fd = socket(ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK |
	    SOCK_CLOEXEC, 0)) == -1) {
		log_warn("listen: socket");
		return -1;
	}
	if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof(on)) == -1 ||
	    (any && setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &off,
	    sizeof(off)) == -1)) {
		log_warn("listen: setsockopt");
		close(fd);
		return -1;
	}
	if (!any && setsockopt(fd, IPPROTO_IP, IP_FREEBIND, &on,
	    sizeof(on)) == -1)
		log_debug("listen: IP_FREEBIND: %s", strerror(errno));
	if (bind(fd, (struct sockaddr *)&ss, sl) == -1 ||
	    listen(fd, SOMAXCONN) == -1) {
		log_warn("listen on %s:%d", c->listen_host[0] ?
		    c->listen_host : "*", c->listen_port);
		close(fd);
		return -1;
	}
	return fd;
}

struct relay_door *
relay_door_open(struct relay_server *r, struct lws_vhost *vh)
{
	struct relay_door	*d;

	if ((d = calloc(1, sizeof(*d))) == NULL) {
		log_warn("door");
		return NULL;
	}
	d->r = r;
	d->vh = vh;
	LIST_INIT(&d->conns);
	LIST_INIT(&d->kept);
	if ((d->lfd = listen_socket(&r->conf)) == -1) {
		free(d);
		return NULL;
	}
	ev_io_init(&d->lio, accept_cb, d->lfd, EV_READ);
	d->lio.data = d;
	ev_timer_init(&d->pause, pause_cb, ACCEPT_PAUSE, 0.);
	d->pause.data = d;
	ev_io_start(r->loop, &d->lio);
	return d;
}

void
relay_door_close(struct relay_door *d)
{
	struct door_conn	*dc;
	struct door_kept	*k;

	if (d == NULL)
		return;
	ev_io_stop(d->r->loop, &d->lio);
	ev_timer_stop(d->r->loop, &d->pause);
	close(d->lfd);
	while ((dc = LIST_FIRST(&d->conns)) != NULL)
		conn_free(dc);
	while ((k = LIST_FIRST(&d->kept)) != NULL) {
		LIST_REMOVE(k, entry);
		free(k);
	}
	free(d);
}
