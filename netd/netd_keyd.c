/* SPDX-License-Identifier: ISC */
/*
 * netd's side of the keyd channel: requests carry ids so that many can be
 * in flight, and each reply is matched to its request by id and type.
 * keyd is a sibling we trust to be well formed: anything else from it is
 * fatal.
 */
#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>

#include <ev.h>

#include "e2e.h"
#include "ipc_types.h"
#include "log.h"
#include "netd.h"

/* An id is a slot number in the low bits and a sequence number above. */
#define SLOT_BITS	10
#define SLOT_MASK	((1u << SLOT_BITS) - 1)
_Static_assert(NETD_KEYD_INFLIGHT <= (1u << SLOT_BITS), "slot bits");

/* The longest keyd error message we accept; its replies are short. */
#define KEYD_ERRMSG_MAX	512

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

static void
update_write(void)
{
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

struct ipc_buf *
netd_keyd_new(uint32_t type, size_t hint)
{
	return ipc_create(type, next_id(SLOT_MASK), hint);
}

int
netd_keyd_call(struct ipc_buf *b, struct ipc_msg *reply)
{
	struct pollfd	pfd;
	uint32_t	id;
	ssize_t		n;
	int		rc;

	if (b == NULL)
		return -1;
	memcpy(&id, b->buf + offsetof(struct ipc_hdr, id), sizeof(id));
	if (ipc_close(&kd.ib, b) == -1 || ipc_flush(&kd.ib) == -1)
		return -1;
	while ((rc = ipc_next(&kd.ib, reply)) == 0) {
		pfd.fd = kd.ib.fd;
		pfd.events = POLLIN;
		if (poll(&pfd, 1, -1) == -1 && errno != EINTR)
			return -1;
		n = ipc_read(&kd.ib);
		if (n == 0)
			fatalx("keyd closed its channel");
		if (n == -1 && errno != EAGAIN && errno != EINTR)
			return -1;
	}
	if (rc == -1)
		fatalx("malformed frame from keyd");
	if (reply->hdr.id != id)
		fatalx("keyd answered request %u, not %u", reply->hdr.id, id);
	return 0;
}

void
netd_keyd_sync(struct ipc_buf *b, uint32_t type, struct ipc_msg *reply,
    struct ipc_rd *rd)
{
	uint32_t	code;
	char		msg[KEYD_ERRMSG_MAX];

	if (netd_keyd_call(b, reply) == -1)
		fatal("keyd %s", ipc_type_name(type));
	ipc_rd_init(rd, reply);
	if (reply->hdr.type == IPC_KEYD_ERROR) {
		if (ipc_get_u32(rd, &code) == -1 ||
		    ipc_get_str(rd, msg, sizeof(msg)) == -1)
			fatalx("malformed KEYD_ERROR from keyd");
		fatalx("keyd refused %s: %s", ipc_type_name(type), msg);
	}
	if (reply->hdr.type != type)
		fatalx("keyd answered %s with %s", ipc_type_name(type),
		    ipc_type_name(reply->hdr.type));
}

/* Takes a free slot for b's reply, queues b.  -1 when none is free. */
static int
submit(struct ipc_buf *b, uint32_t type, netd_keyd_cb cb, void *arg)
{
	struct pending	*p;
	uint32_t	 i, s, id;

	if (b == NULL)
		return -1;
	if (kd.inflight >= NETD_KEYD_INFLIGHT) {
		ipc_buf_free(b);
		log_warnx("keyd: %d requests waiting already",
		    NETD_KEYD_INFLIGHT);
		return -1;
	}
	for (i = 0; i < NETD_KEYD_INFLIGHT; i++) {
		s = (kd.next_slot + i) % NETD_KEYD_INFLIGHT;
		if (kd.slot[s].id == 0)
			break;
	}
	kd.next_slot = (s + 1) % NETD_KEYD_INFLIGHT;
	p = &kd.slot[s];
	id = next_id(s);
	memcpy(b->buf + offsetof(struct ipc_hdr, id), &id, sizeof(id));
	if (ipc_close(&kd.ib, b) == -1) {
		log_warn("keyd: %s request", ipc_type_name(type));
		return -1;
	}
	p->id = id;
	p->type = type;
	p->cb = cb;
	p->arg = arg;
	kd.inflight++;
	update_write();
	return 0;
}

int
netd_keyd_sign(const uint8_t *env, size_t len, netd_keyd_cb cb, void *arg)
{
	struct ipc_buf	*b;

	if (len > ENVELOPE_MAX)
		return -1;
	b = ipc_create(IPC_KEYD_SIGN_ENVELOPE, 0, len + 4);
	ipc_put_bytes(b, env, len);
	return submit(b, IPC_KEYD_SIGN_ENVELOPE, cb, arg);
}

/* keyd dates the token by its own clock; we only ask for a lifetime. */
int
netd_keyd_jwt(uint32_t ttl, netd_keyd_cb cb, void *arg)
{
	struct ipc_buf	*b;

	b = ipc_create(IPC_KEYD_JWT, 0, 4);
	ipc_put_u32(b, ttl);
	return submit(b, IPC_KEYD_JWT, cb, arg);
}

static int
crypt_req(uint32_t type, const uint8_t *pk, size_t pklen, const uint8_t *in,
    size_t len, netd_keyd_cb cb, void *arg)
{
	struct ipc_buf	*b;

	/* keyd takes a malformed request for a broken sibling and exits. */
	if (pklen > E2E_PK_MAX_BYTES || len > ENVELOPE_MAX)
		return -1;
	b = ipc_create(type, 0, pklen + len + 8);
	ipc_put_bytes(b, pk, pklen);
	ipc_put_bytes(b, in, len);
	return submit(b, type, cb, arg);
}

int
netd_keyd_seal(const uint8_t *pk, size_t pklen, const uint8_t *plain,
    size_t len, netd_keyd_cb cb, void *arg)
{
	return crypt_req(IPC_KEYD_SEAL, pk, pklen, plain, len, cb, arg);
}

int
netd_keyd_open(const uint8_t *pk, size_t pklen, const uint8_t *cipher,
    size_t len, netd_keyd_cb cb, void *arg)
{
	return crypt_req(IPC_KEYD_OPEN, pk, pklen, cipher, len, cb, arg);
}

static void
dispatch(const struct ipc_msg *imsg)
{
	struct ipc_rd	 rd;
	struct pending	*p, done;
	const uint8_t	*data;
	char		 msg[KEYD_ERRMSG_MAX];
	size_t		 len;
	uint32_t	 code;

	p = &kd.slot[imsg->hdr.id & SLOT_MASK];
	if (imsg->hdr.id == 0 || p->id != imsg->hdr.id)
		fatalx("keyd answered unknown request %u (%s)", imsg->hdr.id,
		    ipc_type_name(imsg->hdr.type));
	done = *p;
	memset(p, 0, sizeof(*p));
	kd.inflight--;
	ipc_rd_init(&rd, imsg);
	if (imsg->hdr.type == IPC_KEYD_ERROR) {
		if (ipc_get_u32(&rd, &code) == -1 ||
		    ipc_get_str(&rd, msg, sizeof(msg)) == -1 ||
		    ipc_get_end(&rd) != 0)
			fatalx("malformed %s from keyd (size %u)",
			    ipc_type_name(imsg->hdr.type), imsg->hdr.len);
		done.cb(done.arg, NULL, 0, code, msg);
		return;
	}
	if (imsg->hdr.type != done.type ||
	    ipc_get_bytes(&rd, &data, &len, IPC_MAX) == -1 ||
	    ipc_get_end(&rd) != 0)
		fatalx("malformed %s from keyd for %s (size %u)",
		    ipc_type_name(imsg->hdr.type), ipc_type_name(done.type),
		    imsg->hdr.len);
	done.cb(done.arg, data, len, 0, NULL);
}

static void
read_cb(struct ev_loop *loop, ev_io *w, int revents)
{
	struct ipc_msg	imsg;
	ssize_t		n;
	int		rc;

	(void)loop;
	(void)w;
	(void)revents;
	if ((n = ipc_read(&kd.ib)) == -1) {
		if (errno == EAGAIN || errno == EINTR)
			return;
		fatal("reading from keyd");
	}
	if (n == 0) {
		/* keyd goes first when the parent stops us all. */
		if (ipc_peer_gone(PARENT_FILENO, 500)) {
			log_debug("the parent is gone");
			exit(0);
		}
		fatalx("keyd closed its channel");
	}
	/* A callback may queue more requests: the write watcher follows. */
	while ((rc = ipc_next(&kd.ib, &imsg)) == 1)
		dispatch(&imsg);
	if (rc == -1)
		fatalx("malformed frame from keyd");
	update_write();
}

static void
write_cb(struct ev_loop *loop, ev_io *w, int revents)
{
	(void)loop;
	(void)w;
	(void)revents;
	if (ipc_write(&kd.ib) == -1)
		fatal("writing to keyd");
	update_write();
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
	update_write();
}
