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

/*
 * A string field from netd.  -1: the frame is malformed.  0 with *fits
 * clear: the frame is fine but the string does not fit our bounds (or
 * holds a NUL), which a remote peer can cause and so is not fatal.
 * Error messages (trunc) are cut at a character boundary instead.
 */
static int
get_str(struct ipc_rd *rd, char *out, size_t cap, int trunc, int *fits)
{
	const uint8_t	*p;
	size_t		 len;

	if (ipc_get_bytes(rd, &p, &len, IPC_MAX) == -1)
		return -1;
	if (memchr(p, '\0', len) != NULL) {
		*fits = 0;
		return 0;
	}
	if (len >= cap) {
		if (!trunc) {
			*fits = 0;
			return 0;
		}
		len = cap - 1;
		while (len > 0 && (p[len] & 0xc0) == 0x80)
			len--;
	}
	memcpy(out, p, len);
	out[len] = '\0';
	return 0;
}

static int
get_opt(struct ipc_rd *rd, struct msgjson_opt *o, int *fits)
{
	uint32_t	set;

	if (ipc_get_u32(rd, &set) == -1 || set > 1 ||
	    get_str(rd, o->s, sizeof(o->s), 0, fits) == -1)
		return -1;
	o->set = (int)set;
	if (!o->set && o->s[0] != '\0')
		return -1;
	return 0;
}

/* "<twin>" or "<twin>:<connection>", as the JSON's src. */
static int
format_src(char *out, size_t cap, uint32_t twin, const struct msgjson_opt *c)
{
	int	n;

	if (c->set)
		n = snprintf(out, cap, "%u:%s", twin, c->s);
	else
		n = snprintf(out, cap, "%u", twin);
	return n >= 0 && (size_t)n < cap ? 0 : -1;
}

static int
get_payload(struct ipc_rd *rd, uint8_t **dat, size_t *len)
{
	const uint8_t	*p;

	*dat = NULL;
	if (ipc_get_bytes(rd, &p, len, ENVELOPE_MAX) == -1)
		return -1;
	if (*len == 0)
		return 0;
	if ((*dat = malloc(*len)) == NULL)
		fatal("malloc");
	memcpy(*dat, p, *len);
	return 0;
}

static int
in_request(struct apid *a, struct ipc_msg *imsg)
{
	struct msg_in_req	*m;
	struct msgjson_opt	*conn;
	struct ipc_rd		 rd;
	uint32_t		 twin;
	int			 fits = 1;

	if ((m = calloc(1, sizeof(*m))) == NULL ||
	    (conn = calloc(1, sizeof(*conn))) == NULL)
		fatal("calloc");
	ipc_rd_init(&rd, imsg);
	if (get_str(&rd, m->ref, sizeof(m->ref), 0, &fits) == -1 ||
	    ipc_get_u32(&rd, &twin) == -1 ||
	    get_opt(&rd, conn, &fits) == -1 ||
	    get_str(&rd, m->cmd, sizeof(m->cmd), 0, &fits) == -1 ||
	    ipc_get_u64(&rd, &m->now) == -1 ||
	    ipc_get_u64(&rd, &m->exp) == -1 ||
	    get_opt(&rd, &m->tag, &fits) == -1 ||
	    get_opt(&rd, &m->shm, &fits) == -1 ||
	    get_payload(&rd, &m->dat, &m->datlen) == -1 ||
	    ipc_get_end(&rd) != 0) {
		msgjson_in_req_clear(m);
		free(m);
		free(conn);
		return -1;
	}
	m->ver = 1;
	snprintf(m->ret, sizeof(m->ret), "%s", APID_REPLY_QUEUE);
	if (!fits || format_src(m->src, sizeof(m->src), twin, conn) == -1) {
		log_warnx("request from twin %u does not fit our bounds, "
		    "dropped", twin);
		msgjson_in_req_clear(m);
		free(m);
	} else
		apid_deliver_request(a, m, twin, conn->set ? conn->s : NULL);
	free(conn);
	return 0;
}

static int
in_response(struct apid *a, struct ipc_msg *imsg)
{
	struct msg_in_resp	*m;
	struct msgjson_opt	*conn;
	struct ipc_rd		 rd;
	char			 uid[MSGJSON_STR_MAX];
	uint32_t		 twin, is_error;
	int			 fits = 1;

	if ((m = calloc(1, sizeof(*m))) == NULL ||
	    (conn = calloc(1, sizeof(*conn))) == NULL)
		fatal("calloc");
	ipc_rd_init(&rd, imsg);
	if (get_str(&rd, uid, sizeof(uid), 0, &fits) == -1 ||
	    ipc_get_u32(&rd, &twin) == -1 ||
	    get_opt(&rd, conn, &fits) == -1 ||
	    get_opt(&rd, &m->shm, &fits) == -1 ||
	    ipc_get_u64(&rd, &m->now) == -1 ||
	    ipc_get_u32(&rd, &is_error) == -1 || is_error > 1 ||
	    ipc_get_u32(&rd, &m->err.code) == -1 ||
	    get_str(&rd, m->err.message, sizeof(m->err.message), 1,
	    &fits) == -1 ||
	    get_payload(&rd, &m->dat, &m->datlen) == -1 ||
	    ipc_get_end(&rd) != 0) {
		msgjson_in_resp_clear(m);
		free(m);
		free(conn);
		return -1;
	}
	m->ver = 1;
	m->has_err = (int)is_error;
	if (m->has_err)
		msgjson_in_resp_clear(m);
	if (!fits || format_src(m->src, sizeof(m->src), twin, conn) == -1) {
		log_warnx("response from twin %u does not fit our bounds, "
		    "dropped", twin);
		msgjson_in_resp_clear(m);
		free(m);
	} else
		apid_deliver_response(a, uid, twin, m);
	free(conn);
	return 0;
}

static int
send_failed(struct apid *a, struct ipc_msg *imsg)
{
	struct msg_in_resp	*m;
	struct ipc_rd		 rd;
	char			 uid[MSGJSON_STR_MAX];
	uint32_t		 twin;
	int			 fits = 1;

	if ((m = calloc(1, sizeof(*m))) == NULL)
		fatal("calloc");
	ipc_rd_init(&rd, imsg);
	if (get_str(&rd, uid, sizeof(uid), 0, &fits) == -1 ||
	    ipc_get_u32(&rd, &twin) == -1 ||
	    ipc_get_u32(&rd, &m->err.code) == -1 ||
	    get_str(&rd, m->err.message, sizeof(m->err.message), 1,
	    &fits) == -1 || ipc_get_end(&rd) != 0 || !fits) {
		free(m);
		return -1;
	}
	m->ver = 1;
	m->has_err = 1;
	log_debug("request %s to twin %u failed: %s", uid, twin,
	    m->err.message);
	/* The uid is ours and netd echoes it: a mismatch is a broken sibling. */
	return apid_send_failed(a, imsg->hdr.id, uid, twin, m);
}

static int
dispatch(struct apid *a, struct ipc_msg *imsg)
{
	struct ipc_rd	rd;
	uint32_t	n;

	switch (imsg->hdr.type) {
	case IPC_NETD_CREDIT:
		ipc_rd_init(&rd, imsg);
		if (ipc_get_u32(&rd, &n) == -1 || ipc_get_end(&rd) != 0 ||
		    n > INT32_MAX)
			return -1;
		a->credit += n;
		apid_pump(a);
		return 0;
	case IPC_APID_SENT:
		if (imsg->hdr.len != IPC_HDR_SIZE)
			return -1;
		return apid_sent(a, imsg->hdr.id);
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
