/* SPDX-License-Identifier: ISC */
/*
 * rmb-apid's start-up and its two imsg channels: the parent, which sends
 * the configuration once and otherwise only closes, and netd, which
 * grants credit and hands over what arrived from the network.
 */
#include <sys/types.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sodium.h>

#include "apid.h"
#include "ipc_peer.h"
#include "log.h"
#include "privdrop.h"
#include "proc.h"

/*
 * redis answers and the journal is read: what the parent waits for, with
 * netd's word, before it tells the service manager we are up.
 */
void
apid_tell_ready(struct apid *a)
{
	if (peer_ready_put(&a->parent, &(struct peer_ready){ 0 }) == -1 ||
	    ipc_flush(&a->parent) == -1)
		log_warn("telling the parent we are ready");
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
in_request(struct apid *a, const struct ipc_msg *imsg)
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
in_response(struct apid *a, const struct ipc_msg *imsg)
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
send_failed(struct apid *a, const struct ipc_msg *imsg)
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
dispatch(void *arg, const struct ipc_msg *imsg)
{
	struct apid	*a = arg;
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

static const struct proc_handler from_netd[] = {
	PROC_HANDLER(IPC_NETD_CREDIT, dispatch),
	PROC_HANDLER(IPC_APID_SENT, dispatch),
	PROC_HANDLER(IPC_APID_IN_REQUEST, dispatch),
	PROC_HANDLER(IPC_APID_IN_RESPONSE, dispatch),
	PROC_HANDLER(IPC_APID_SEND_FAILED, dispatch),
	PROC_END
};

static void
netd_read_cb(struct ev_loop *loop, ev_io *w, int revents)
{
	struct apid	*a = w->data;

	(void)loop;
	(void)revents;
	/* A sibling goes first when the parent stops us all. */
	if (proc_drain(&a->netd, "netd", from_netd, a) == 0)
		proc_sibling_gone("netd");
}

static void
parent_cb(struct ev_loop *loop, ev_io *w, int revents)
{
	struct apid	*a = w->data;

	(void)loop;
	(void)revents;
	if (proc_parent_gone(&a->parent))
		exit(0);
}

int
main(int argc, char *argv[])
{
	struct apid_config	 cfg;
	struct apid		*a;
	struct ipc_msg		 m;
	char			 why[256];

	proc_start("rmb-apid", 2, argc, argv);
	if (sodium_init() < 0)
		fatalx("libsodium failed to initialise");
	if ((a = calloc(1, sizeof(*a))) == NULL)
		fatal("calloc");
	TAILQ_INIT(&a->waiting);
	if (ipc_init(&a->parent, PARENT_FILENO) != 0 ||
	    ipc_init(&a->netd, SIBLING_FILENO) != 0)
		fatal("ipc_init");
	proc_config(&a->parent, IPC_APID_CONFIG, &m);
	if (apid_config_get(&m, &cfg) == -1)
		fatalx("malformed configuration (size %u)", m.hdr.len);
	if (redis_url_parse(&a->url, cfg.redis, why, sizeof(why)) == -1)
		fatalx("redis URL: %s", why);
	if (proc_nonblock(a->parent.fd) == -1 ||
	    proc_nonblock(a->netd.fd) == -1)
		fatal("O_NONBLOCK");

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
