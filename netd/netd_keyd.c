/* SPDX-License-Identifier: ISC */
/*
 * netd's side of the keyd channel: requests carry ids so that many can be
 * in flight, and each reply is matched to its request by id and type.
 * keyd is a sibling we trust to be well formed: anything else from it is
 * fatal.
 */
#include <errno.h>
#include <poll.h>
#include <string.h>

#include <ev.h>

#include "log.h"
#include "netd.h"
#include "proc.h"

/* An id is a slot number in the low bits and a sequence number above. */
#define SLOT_BITS	10
#define SLOT_MASK	((1u << SLOT_BITS) - 1)
_Static_assert(NETD_KEYD_INFLIGHT <= (1u << SLOT_BITS), "slot bits");

struct pending {
	uint32_t	 id;		/* 0: free */
	uint32_t	 type;
	netd_keyd_cb	 cb;
	void		*arg;
};

static struct {
	struct ev_loop	*loop;
	struct ipc_chan	 ib;
	ev_io		 rd, wr;
	struct pending	 slot[NETD_KEYD_INFLIGHT];
	size_t		 inflight;
	uint32_t	 seq;
	uint32_t	 next_slot;
} kd;

/* The requests of this loop pass in one write; the watcher if keyd lags. */
void
netd_keyd_flush(void)
{
	if (ipc_pending(&kd.ib) > 0 && ipc_write(&kd.ib) == -1)
		fatal("writing to keyd");
	if (ipc_pending(&kd.ib) > 0)
		ev_io_start(kd.loop, &kd.wr);
	else
		ev_io_stop(kd.loop, &kd.wr);
}

static uint32_t
next_id(uint32_t slot)
{
	/* Sequence 0 never happens, so no live id is 0. */
	if (++kd.seq >= (UINT32_MAX >> SLOT_BITS))
		kd.seq = 1;
	return kd.seq << SLOT_BITS | slot;
}

/* Start-up: the reply to request id of type, which put queued. */
static void
wait_reply(uint32_t type, uint32_t id, int put, struct ipc_msg *m)
{
	struct keyd_error	e;
	struct pollfd		pfd;
	ssize_t			n;
	int			rc;

	if (put == -1 || ipc_flush(&kd.ib) == -1)
		fatal("keyd %s", ipc_type_name(type));
	while ((rc = ipc_next(&kd.ib, m)) == 0) {
		pfd.fd = kd.ib.fd;
		pfd.events = POLLIN;
		if (poll(&pfd, 1, -1) == -1 && errno != EINTR)
			fatal("poll");
		if ((n = ipc_read(&kd.ib)) == 0)
			fatalx("keyd closed its channel");
		if (n == -1 && errno != EAGAIN && errno != EINTR)
			fatal("reading from keyd");
	}
	if (rc == -1)
		fatalx("malformed frame from keyd");
	if (m->hdr.id != id)
		fatalx("keyd answered request %u, not %u", m->hdr.id, id);
	if (keyd_rep_get(m, IPC_KEYD_ERROR, &e) == 0)
		fatalx("keyd refused %s: %s", ipc_type_name(type), e.msg);
}

void
netd_keyd_identity(struct keyd_identity *r)
{
	struct ipc_msg	m;
	uint32_t	id = next_id(SLOT_MASK);

	wait_reply(IPC_KEYD_IDENTITY, id,
	    keyd_req_put(&kd.ib, IPC_KEYD_IDENTITY, id, NULL), &m);
	if (keyd_rep_get(&m, IPC_KEYD_IDENTITY, r) == -1)
		fatalx("malformed KEYD_IDENTITY from keyd");
}

void
netd_keyd_set_twin(uint32_t twin)
{
	struct ipc_msg	m;
	uint32_t	id = next_id(SLOT_MASK);

	wait_reply(IPC_KEYD_SET_TWIN, id, keyd_req_put(&kd.ib,
	    IPC_KEYD_SET_TWIN, id, &(struct keyd_set_twin){ twin }), &m);
	if (keyd_rep_get(&m, IPC_KEYD_SET_TWIN, NULL) == -1)
		fatalx("malformed KEYD_SET_TWIN from keyd");
}

void
netd_keyd_update_twin(const struct keyd_update_twin *u,
    struct keyd_bytes *x)
{
	struct ipc_msg	m;
	uint32_t	id = next_id(SLOT_MASK);

	wait_reply(IPC_KEYD_SIGN_UPDATE_TWIN_MORTAL, id,
	    keyd_req_put(&kd.ib, IPC_KEYD_SIGN_UPDATE_TWIN_MORTAL, id, u), &m);
	if (keyd_rep_get(&m, IPC_KEYD_SIGN_UPDATE_TWIN_MORTAL, x) == -1)
		fatalx("malformed KEYD_SIGN_UPDATE_TWIN_MORTAL from keyd");
}

/* A free slot, with a fresh id, for a request; NULL when none is free. */
static struct pending *
reserve(uint32_t type, netd_keyd_cb cb, void *arg)
{
	struct pending	*p;
	uint32_t	 i, s;

	if (kd.inflight >= NETD_KEYD_INFLIGHT) {
		log_warnx("keyd: %d requests waiting already",
		    NETD_KEYD_INFLIGHT);
		return NULL;
	}
	for (i = 0; i < NETD_KEYD_INFLIGHT; i++) {
		s = (kd.next_slot + i) % NETD_KEYD_INFLIGHT;
		if (kd.slot[s].id == 0)
			break;
	}
	kd.next_slot = (s + 1) % NETD_KEYD_INFLIGHT;
	p = &kd.slot[s];
	p->id = next_id(s);
	p->type = type;
	p->cb = cb;
	p->arg = arg;
	kd.inflight++;
	return p;
}

/* put queued p's request, or failed: then p is free again. */
static int
queued(struct pending *p, int put)
{
	if (put == -1) {
		log_warn("keyd: %s request", ipc_type_name(p->type));
		memset(p, 0, sizeof(*p));
		kd.inflight--;
		return -1;
	}
	return 0;
}

/* keyd dates the token by its own clock; we only ask for a lifetime. */
int
netd_keyd_jwt(uint32_t ttl, netd_keyd_cb cb, void *arg)
{
	struct pending	*p;

	if ((p = reserve(IPC_KEYD_JWT, cb, arg)) == NULL)
		return -1;
	return queued(p, keyd_req_put(&kd.ib, p->type, p->id,
	    &(struct keyd_jwt){ ttl }));
}

/* keyd takes a malformed request for a broken sibling: put refuses it. */
static int
crypt_req(uint32_t type, const uint8_t *pk, size_t pklen, const uint8_t *in,
    size_t len, netd_keyd_cb cb, void *arg)
{
	struct pending	*p;

	if ((p = reserve(type, cb, arg)) == NULL)
		return -1;
	return queued(p, keyd_req_put(&kd.ib, p->type, p->id,
	    &(struct keyd_crypt){ pk, pklen, in, len }));
}

int
netd_keyd_seal_sign(const uint8_t *pk, size_t pklen, const uint8_t *env,
    size_t len, netd_keyd_cb cb, void *arg)
{
	return crypt_req(IPC_KEYD_SEAL_SIGN, pk, pklen, env, len, cb, arg);
}

int
netd_keyd_open(const uint8_t *pk, size_t pklen, const uint8_t *cipher,
    size_t len, netd_keyd_cb cb, void *arg)
{
	return crypt_req(IPC_KEYD_OPEN, pk, pklen, cipher, len, cb, arg);
}

/* The request m answers, off its slot; a reply to none is fatal. */
static struct pending
take(const struct ipc_msg *m)
{
	struct pending	*p, done;

	p = &kd.slot[m->hdr.id & SLOT_MASK];
	if (m->hdr.id == 0 || p->id != m->hdr.id)
		fatalx("keyd answered unknown request %u (%s)", m->hdr.id,
		    ipc_type_name(m->hdr.type));
	done = *p;
	memset(p, 0, sizeof(*p));
	kd.inflight--;
	return done;
}

static int
on_error(void *arg, const struct ipc_msg *m)
{
	struct pending		p = take(m);
	struct keyd_error	e;

	(void)arg;
	if (keyd_rep_get(m, IPC_KEYD_ERROR, &e) == -1)
		return -1;
	p.cb(p.arg, NULL, 0, e.code, e.msg);
	return 0;
}

static int
on_token(void *arg, const struct ipc_msg *m)
{
	struct pending		p = take(m);
	struct keyd_token	t;

	(void)arg;
	if (keyd_rep_get(m, p.type, &t) == -1)
		return -1;
	p.cb(p.arg, (const uint8_t *)t.tok, strlen(t.tok), 0, NULL);
	return 0;
}

/* A reply of another type than its request's is refused by get. */
static int
on_crypted(void *arg, const struct ipc_msg *m)
{
	struct pending		p = take(m);
	struct keyd_bytes	c;

	(void)arg;
	if (keyd_rep_get(m, p.type, &c) == -1)
		return -1;
	p.cb(p.arg, c.data, c.len, 0, NULL);
	return 0;
}

static const struct proc_handler replies[] = {
	PROC_HANDLER(IPC_KEYD_JWT, on_token),
	PROC_HANDLER(IPC_KEYD_SEAL_SIGN, on_crypted),
	PROC_HANDLER(IPC_KEYD_OPEN, on_crypted),
	PROC_HANDLER(IPC_KEYD_ERROR, on_error),
	PROC_END
};

static void
read_cb(struct ev_loop *loop, ev_io *w, int revents)
{
	(void)loop;
	(void)w;
	(void)revents;
	/* keyd goes first when the parent stops us all. */
	if (proc_drain(&kd.ib, "keyd", replies, NULL) == 0)
		proc_sibling_gone("keyd");
}

static void
write_cb(struct ev_loop *loop, ev_io *w, int revents)
{
	(void)loop;
	(void)w;
	(void)revents;
	netd_keyd_flush();
}

void
netd_keyd_init(int fd)
{
	if (ipc_init(&kd.ib, fd) == -1)
		fatal("keyd channel");
}

void
netd_keyd_start(struct ev_loop *loop)
{
	kd.loop = loop;
	ev_io_init(&kd.rd, read_cb, kd.ib.fd, EV_READ);
	ev_io_init(&kd.wr, write_cb, kd.ib.fd, EV_WRITE);
	ev_io_start(loop, &kd.rd);
}
