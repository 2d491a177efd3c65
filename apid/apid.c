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
#include "ipc_apid.h"
#include "ipc_extra.h"
#include "ipc_peer.h"
#include "ipc_types.h"
#include "log.h"
#include "memtrim.h"
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
	if (ipc_close(&a->netd, ib) == -1)
		log_warn("cannot queue a message for netd");
}

void
apid_netd_flush(struct apid *a)
{
	if (ipc_pending(&a->netd) == 0 || ev_is_active(&a->netd_wev))
		return;
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
in_request(void *arg, const struct ipc_msg *imsg)
{
	struct apid			*a = arg;
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
in_response(void *arg, const struct ipc_msg *imsg)
{
	struct apid			*a = arg;
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
send_failed(void *arg, const struct ipc_msg *imsg)
{
	struct apid			*a = arg;
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
credit(void *arg, const struct ipc_msg *imsg)
{
	struct apid		*a = arg;
	struct ipc_netd_credit	 c;

	if (ipc_get_netd_credit(imsg, &c) == -1)
		return -1;
	a->credit += c.n;
	apid_pump(a);
	return 0;
}

static int
sent(void *arg, const struct ipc_msg *imsg)
{
	struct ipc_apid_sent	s;

	if (ipc_get_apid_sent(imsg, &s) == -1)
		return -1;
	return apid_sent(arg, s.id);
}

static const struct proc_handler from_netd[] = {
	PROC_HANDLER(IPC_NETD_CREDIT, credit),
	PROC_HANDLER(IPC_APID_SENT, sent),
	PROC_HANDLER(IPC_APID_IN_REQUEST, in_request),
	PROC_HANDLER(IPC_APID_IN_RESPONSE, in_response),
	PROC_HANDLER(IPC_APID_SEND_FAILED, send_failed),
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
	apid_deliver_flush(a);
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
	memtrim_start(a->loop, MEMTRIM_MAPPED);
	apid_redis_init(a);

	if (cfg.user[0] != '\0')
		privdrop(NULL, cfg.user);
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
