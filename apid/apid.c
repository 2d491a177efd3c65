/* SPDX-License-Identifier: ISC */
/*
 * rmb-apid's start-up and its two imsg channels: the parent, which sends
 * the configuration once and otherwise only closes, and netd, which
 * grants credit and hands over what arrived from the network.
 */
#include <sys/types.h>

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sodium.h>

#include "apid.h"
#include "ipc_apid.h"
#include "ipc_types.h"
#include "log.h"
#include "privdrop.h"

#if defined(__SANITIZE_ADDRESS__)
const char	*__asan_default_options(void);

/* LeakSanitizer traces the process at exit, which the filter forbids. */
const char *
__asan_default_options(void)
{
	return "detect_leaks=0";
}
#endif

struct apid_config {
	char		url[REDISURL_MAX + 1];
	char		user[256];
	uint32_t	verbose;
};

/* Only what a packager or an operator asks of any program. */
static const struct option longopts[] = {
	{ "help",	no_argument,	NULL, 'h' },
	{ "version",	no_argument,	NULL, 'V' },
	{ NULL,		0,		NULL, 0 }
};

static _Noreturn void
usage(int code)
{
	fprintf(code == 0 ? stdout : stderr,
	    "usage: rmb-apid [-hVv]\n"
	    "  -v             log more; rmb-peer passes one for each -d\n"
	    "  -h, --help     print this help and exit\n"
	    "  -V, --version  print the version and exit\n"
	    "rmb-apid is started by rmb-peer(8), which passes its channels; "
	    "see rmb-apid(8).\n");
	exit(code);
}

/* Waits for the one configuration frame; anything else is fatal. */
static void
read_config(struct ipc_chan *ib, struct apid_config *c)
{
	struct pollfd	pfd;
	struct ipc_msg	imsg;
	struct ipc_rd	rd;
	ssize_t		n;
	int		got;

	while ((got = ipc_next(ib, &imsg)) == 0) {
		pfd.fd = ib->fd;
		pfd.events = POLLIN;
		if (poll(&pfd, 1, -1) == -1 && errno != EINTR)
			fatal("poll");
		if ((n = ipc_read(ib)) == -1 && errno != EINTR &&
		    errno != EAGAIN)
			fatal("reading the configuration");
		if (n == 0)
			fatalx("the parent closed before sending the "
			    "configuration");
	}
	if (got == -1 || imsg.hdr.type != IPC_APID_CONFIG)
		fatalx("expected the configuration from the parent, got "
		    "type %u size %u", imsg.hdr.type, imsg.hdr.len);
	ipc_rd_init(&rd, &imsg);
	if (ipc_get_str(&rd, c->url, sizeof(c->url)) == -1 ||
	    ipc_get_str(&rd, c->user, sizeof(c->user)) == -1 ||
	    ipc_get_u32(&rd, &c->verbose) == -1 || ipc_get_end(&rd) != 0)
		fatalx("malformed configuration (size %u)", imsg.hdr.len);
}

void
apid_netd_send(struct apid *a, struct ipc_buf *ib)
{
	if (ipc_close(&a->netd, ib) == -1) {
		log_warn("cannot queue a message for netd");
		return;
	}
	if (ipc_write(&a->netd) == -1)
		fatal("writing to netd");
	if (ipc_pending(&a->netd) > 0)
		ev_io_start(a->loop, &a->netd_wev);
}

static void
netd_write_cb(struct ev_loop *loop, ev_io *w, int revents)
{
	struct apid	*a = w->data;

	(void)revents;
	if (ipc_write(&a->netd) == -1)
		fatal("writing to netd");
	if (ipc_pending(&a->netd) == 0)
		ev_io_stop(loop, w);
}

/* "<twin>" or "<twin>:<connection>", as the JSON's src. */
static int
format_src(char *out, size_t cap, uint32_t twin, struct ipc_apid_str conn)
{
	int	n;

	if (conn.p != NULL)
		n = snprintf(out, cap, "%u:%.*s", twin, (int)conn.len, conn.p);
	else
		n = snprintf(out, cap, "%u", twin);
	return n >= 0 && (size_t)n < cap ? 0 : -1;
}

static void
copy_opt(struct msgjson_opt *o, struct ipc_apid_str s)
{
	o->set = s.p != NULL;
	ipc_apid_copy(o->s, sizeof(o->s), s);
}

/* The JSON is written at once: its payload is read from the frame. */
static int
in_request(struct apid *a, const struct ipc_msg *imsg)
{
	struct ipc_apid_in_request	 in;
	struct msg_in_req		*m;

	if (ipc_get_apid_in_request(imsg, &in) == -1)
		return -1;
	if ((m = calloc(1, sizeof(*m))) == NULL)
		fatal("calloc");
	m->ver = 1;
	ipc_apid_copy(m->ref, sizeof(m->ref), in.uid);
	ipc_apid_copy(m->cmd, sizeof(m->cmd), in.cmd);
	m->now = in.ts;
	m->exp = in.exp;
	copy_opt(&m->tag, in.tags);
	copy_opt(&m->shm, in.schema);
	m->dat = (uint8_t *)in.payload;
	m->datlen = in.len;
	snprintf(m->ret, sizeof(m->ret), "%s", APID_REPLY_QUEUE);
	if (format_src(m->src, sizeof(m->src), in.src, in.conn) == -1)
		log_warnx("request from twin %u does not fit our bounds, "
		    "dropped", in.src);
	else
		apid_deliver_request(a, m, in.src, in.conn);
	free(m);
	return 0;
}

/* The response waits for its backlog: its payload is copied, once. */
static int
in_response(struct apid *a, const struct ipc_msg *imsg)
{
	struct ipc_apid_in_response	 in;
	struct msg_in_resp		*m;
	char				 uid[IPC_APID_STR_MAX + 1];

	if (ipc_get_apid_in_response(imsg, &in) == -1)
		return -1;
	if ((m = calloc(1, sizeof(*m))) == NULL)
		fatal("calloc");
	m->ver = 1;
	copy_opt(&m->shm, in.schema);
	m->now = in.ts;
	m->has_err = in.is_error;
	m->err.code = in.code;
	ipc_apid_copy(m->err.message, sizeof(m->err.message), in.msg);
	if (!in.is_error && in.len > 0) {
		if ((m->dat = malloc(in.len)) == NULL)
			fatal("malloc");
		memcpy(m->dat, in.payload, in.len);
		m->datlen = in.len;
	}
	ipc_apid_copy(uid, sizeof(uid), in.uid);
	if (format_src(m->src, sizeof(m->src), in.src, in.conn) == -1) {
		log_warnx("response from twin %u does not fit our bounds, "
		    "dropped", in.src);
		msgjson_in_resp_clear(m);
		free(m);
	} else
		apid_deliver_response(a, uid, in.src, m);
	return 0;
}

static int
send_failed(struct apid *a, const struct ipc_msg *imsg)
{
	struct ipc_apid_send_failed	 f;
	struct msg_in_resp		*m;
	char				 uid[IPC_APID_STR_MAX + 1];

	if (ipc_get_apid_send_failed(imsg, &f) == -1)
		return -1;
	if ((m = calloc(1, sizeof(*m))) == NULL)
		fatal("calloc");
	m->ver = 1;
	m->has_err = 1;
	m->err.code = f.code;
	ipc_apid_copy(m->err.message, sizeof(m->err.message), f.msg);
	ipc_apid_copy(uid, sizeof(uid), f.uid);
	log_debug("request %s to twin %u failed: %s", uid, f.dst,
	    m->err.message);
	/* The uid is ours and netd echoes it: a mismatch is a broken sibling. */
	return apid_send_failed(a, f.id, uid, f.dst, m);
}

static int
dispatch(struct apid *a, const struct ipc_msg *imsg)
{
	struct ipc_netd_credit	c;
	struct ipc_apid_sent	s;

	switch (imsg->hdr.type) {
	case IPC_NETD_CREDIT:
		if (ipc_get_netd_credit(imsg, &c) == -1)
			return -1;
		a->credit += c.n;
		apid_pump(a);
		return 0;
	case IPC_APID_SENT:
		if (ipc_get_apid_sent(imsg, &s) == -1)
			return -1;
		return apid_sent(a, s.id);
	case IPC_APID_IN_REQUEST:
		return in_request(a, imsg);
	case IPC_APID_IN_RESPONSE:
		return in_response(a, imsg);
	case IPC_APID_SEND_FAILED:
		return send_failed(a, imsg);
	}
	return -1;
}

static void
netd_read_cb(struct ev_loop *loop, ev_io *w, int revents)
{
	struct apid	*a = w->data;
	struct ipc_msg	 imsg;
	ssize_t		 n;
	int		 rc;

	(void)loop;
	(void)revents;
	if ((n = ipc_read(&a->netd)) == -1) {
		if (errno == EAGAIN || errno == EINTR)
			return;
		fatal("reading from netd");
	}
	if (n == 0) {
		/* A sibling goes first when the parent stops us all. */
		if (ipc_peer_gone(PARENT_FILENO, 500)) {
			log_debug("the parent is gone");
			exit(0);
		}
		fatalx("netd closed its channel");
	}
	while ((rc = ipc_next(&a->netd, &imsg)) == 1)
		if (dispatch(a, &imsg) != 0)
			fatalx("bad message from netd: type %u (%s) size %u",
			    imsg.hdr.type, ipc_type_name(imsg.hdr.type),
			    imsg.hdr.len);
	if (rc == -1)
		fatalx("malformed frame from netd");
}

static void
parent_cb(struct ev_loop *loop, ev_io *w, int revents)
{
	struct apid	*a = w->data;
	ssize_t		 n;

	(void)loop;
	(void)revents;
	if ((n = ipc_read(&a->parent)) == -1) {
		if (errno == EAGAIN || errno == EINTR)
			return;
		/* A parent that ended before reading our ready message. */
		if (errno == ECONNRESET)
			n = 0;
		else
			fatal("reading from the parent");
	}
	/* The parent only ever closes: that is our cue to go. */
	if (n == 0) {
		log_debug("the parent is gone");
		exit(0);
	}
	fatalx("unexpected data from the parent (size %zd)", n);
}

int
main(int argc, char *argv[])
{
	struct apid_config	 cfg;
	struct apid		*a;
	char			 why[256];
	int			 ch, verbose = 0;

	/* Before the channels are looked for: -h and -V need none. */
	while ((ch = getopt_long(argc, argv, "hVv", longopts, NULL)) != -1) {
		switch (ch) {
		case 'v':
			verbose++;
			break;
		case 'h':
			usage(0);
		case 'V':
			printf("rmb-apid %s\n", PACKAGE_VERSION);
			exit(0);
		default:
			usage(2);
		}
	}
	if (optind != argc)
		usage(2);
	log_init(1, verbose);
	log_procinit("rmb-apid");

	if (fcntl(PARENT_FILENO, F_GETFD) == -1 ||
	    fcntl(SIBLING_FILENO, F_GETFD) == -1)
		fatalx("started without its channels; rmb-peer starts it");
	/* A closed socket is an error to handle, not a signal to die of. */
	signal(SIGPIPE, SIG_IGN);
	if (sodium_init() < 0)
		fatalx("libsodium failed to initialise");
	if ((a = calloc(1, sizeof(*a))) == NULL)
		fatal("calloc");
	TAILQ_INIT(&a->waiting);
	if (ipc_init(&a->parent, PARENT_FILENO) != 0 ||
	    ipc_init(&a->netd, SIBLING_FILENO) != 0)
		fatal("ipc_init");
	memset(&cfg, 0, sizeof(cfg));
	read_config(&a->parent, &cfg);
	if ((int)cfg.verbose > verbose)
		log_setverbose((int)cfg.verbose);
	if (redis_url_parse(&a->url, cfg.url, why, sizeof(why)) == -1)
		fatalx("redis URL: %s", why);
	if (fcntl(a->parent.fd, F_SETFL, O_NONBLOCK) == -1 ||
	    fcntl(a->netd.fd, F_SETFL, O_NONBLOCK) == -1)
		fatal("fcntl");

	if ((a->loop = ev_default_loop(EVFLAG_AUTO)) == NULL)
		fatalx("cannot create the event loop");
	apid_redis_init(a);

	if (cfg.user[0] != '\0')
		privdrop_user(cfg.user);
	else if (geteuid() == 0)
		log_warnx("running as root: no user to become was configured");
	privdrop_harden();
	if (apid_sandbox() == -1)
		fatalx("seccomp: cannot install the filter");

	ev_io_init(&a->parent_ev, parent_cb, a->parent.fd, EV_READ);
	ev_io_init(&a->netd_rev, netd_read_cb, a->netd.fd, EV_READ);
	ev_io_init(&a->netd_wev, netd_write_cb, a->netd.fd, EV_WRITE);
	a->parent_ev.data = a->netd_rev.data = a->netd_wev.data = a;
	ev_io_start(a->loop, &a->parent_ev);
	ev_io_start(a->loop, &a->netd_rev);
	log_info("ready, redis at %s", redis_url_where(&a->url, why,
	    sizeof(why)));
	ev_run(a->loop, 0);
	return 0;
}
