/* SPDX-License-Identifier: ISC */
#include <sys/queue.h>

#include <stdlib.h>

#include "evcurl.h"
#include "log.h"

struct ec_sock {
	struct evcurl	*ec;
	LIST_ENTRY(ec_sock) entry;
	ev_io		 io;
};

struct ec_xfer {
	evcurl_done	 done;
	void		*arg;
};

struct evcurl {
	struct ev_loop	*loop;
	CURLM		*multi;
	ev_timer	 timer;
	LIST_HEAD(, ec_sock) socks;
};

static struct ec_xfer *
xfer_of(CURL *easy)
{
	char	*p = NULL;

	(void)curl_easy_getinfo(easy, CURLINFO_PRIVATE, &p);
	return (struct ec_xfer *)(void *)p;
}

/* Hands each finished transfer to its owner. */
static void
drain(struct evcurl *ec)
{
	CURLMsg		*cm;
	CURL		*easy;
	CURLcode	 res;
	struct ec_xfer	*x;
	int		 left;

	while ((cm = curl_multi_info_read(ec->multi, &left)) != NULL) {
		if (cm->msg != CURLMSG_DONE)
			continue;
		easy = cm->easy_handle;
		res = cm->data.result;
		x = xfer_of(easy);
		curl_multi_remove_handle(ec->multi, easy);
		(void)curl_easy_setopt(easy, CURLOPT_PRIVATE, NULL);
		if (x == NULL)
			continue;
		x->done(easy, res, x->arg);
		free(x);
	}
}

static void
sock_cb(struct ev_loop *loop, ev_io *w, int revents)
{
	struct ec_sock	*s = w->data;
	struct evcurl	*ec = s->ec;
	int		 flags = 0, running;

	(void)loop;
	if (revents & EV_READ)
		flags |= CURL_CSELECT_IN;
	if (revents & EV_WRITE)
		flags |= CURL_CSELECT_OUT;
	/* curl may free s in here, through CURL_POLL_REMOVE. */
	curl_multi_socket_action(ec->multi, w->fd, flags, &running);
	drain(ec);
}

static void
sock_free(struct evcurl *ec, struct ec_sock *s)
{
	ev_io_stop(ec->loop, &s->io);
	LIST_REMOVE(s, entry);
	free(s);
}

static int
socket_cb(CURL *easy, curl_socket_t fd, int what, void *arg, void *sockp)
{
	struct evcurl	*ec = arg;
	struct ec_sock	*s = sockp;
	int		 events = 0;

	(void)easy;
	if (what == CURL_POLL_REMOVE) {
		if (s != NULL)
			sock_free(ec, s);
		return 0;
	}
	if (s == NULL) {
		/* Without a watcher the transfer ends at its timeout. */
		if ((s = calloc(1, sizeof(*s))) == NULL) {
			log_warnx("curl: out of memory for a socket");
			return 0;
		}
		s->ec = ec;
		ev_io_init(&s->io, sock_cb, fd, 0);
		s->io.data = s;
		LIST_INSERT_HEAD(&ec->socks, s, entry);
		curl_multi_assign(ec->multi, fd, s);
	}
	if (what & CURL_POLL_IN)
		events |= EV_READ;
	if (what & CURL_POLL_OUT)
		events |= EV_WRITE;
	ev_io_stop(ec->loop, &s->io);
	ev_io_set(&s->io, fd, events);
	if (events != 0)
		ev_io_start(ec->loop, &s->io);
	return 0;
}

static void
timer_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct evcurl	*ec = w->data;
	int		 running;

	(void)loop;
	(void)revents;
	curl_multi_socket_action(ec->multi, CURL_SOCKET_TIMEOUT, 0, &running);
	drain(ec);
}

static int
timer_set(CURLM *multi, long ms, void *arg)
{
	struct evcurl	*ec = arg;

	(void)multi;
	ev_timer_stop(ec->loop, &ec->timer);
	if (ms >= 0) {
		ev_timer_set(&ec->timer, ms / 1000., 0.);
		ev_timer_start(ec->loop, &ec->timer);
	}
	return 0;
}

struct evcurl *
evcurl_new(struct ev_loop *loop, long maxconnects)
{
	struct evcurl	*ec;

	if ((ec = calloc(1, sizeof(*ec))) == NULL)
		return NULL;
	ec->loop = loop;
	ev_timer_init(&ec->timer, timer_cb, 0., 0.);
	ec->timer.data = ec;
	if ((ec->multi = curl_multi_init()) == NULL ||
	    curl_multi_setopt(ec->multi, CURLMOPT_SOCKETFUNCTION,
	    socket_cb) != CURLM_OK ||
	    curl_multi_setopt(ec->multi, CURLMOPT_SOCKETDATA, ec) !=
	    CURLM_OK ||
	    curl_multi_setopt(ec->multi, CURLMOPT_TIMERFUNCTION,
	    timer_set) != CURLM_OK ||
	    curl_multi_setopt(ec->multi, CURLMOPT_TIMERDATA, ec) !=
	    CURLM_OK ||
	    curl_multi_setopt(ec->multi, CURLMOPT_MAXCONNECTS,
	    maxconnects) != CURLM_OK) {
		evcurl_free(ec);
		return NULL;
	}
	return ec;
}

int
evcurl_add(struct evcurl *ec, CURL *easy, evcurl_done done, void *arg)
{
	struct ec_xfer	*x;

	if ((x = malloc(sizeof(*x))) == NULL)
		return -1;
	x->done = done;
	x->arg = arg;
	if (curl_easy_setopt(easy, CURLOPT_PRIVATE, x) != CURLE_OK ||
	    curl_multi_add_handle(ec->multi, easy) != CURLM_OK) {
		(void)curl_easy_setopt(easy, CURLOPT_PRIVATE, NULL);
		free(x);
		return -1;
	}
	return 0;
}

void
evcurl_remove(struct evcurl *ec, CURL *easy)
{
	struct ec_xfer	*x = xfer_of(easy);

	curl_multi_remove_handle(ec->multi, easy);
	(void)curl_easy_setopt(easy, CURLOPT_PRIVATE, NULL);
	free(x);
}

void
evcurl_free(struct evcurl *ec)
{
	struct ec_sock	*s;

	if (ec == NULL)
		return;
	/* This closes the pooled connections through socket_cb(). */
	if (ec->multi != NULL)
		curl_multi_cleanup(ec->multi);
	while ((s = LIST_FIRST(&ec->socks)) != NULL)
		sock_free(ec, s);
	ev_timer_stop(ec->loop, &ec->timer);
	free(ec);
}
