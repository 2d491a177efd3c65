/* SPDX-License-Identifier: ISC */
#include <sys/socket.h>
#include <sys/uio.h>

#include <errno.h>
#include <poll.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ipc.h"

/* Frames handed to one writev(2); the rest go in the next call. */
#define IOV_BATCH	32

/* The header goes on the wire as the struct itself. */
_Static_assert(sizeof(struct ipc_hdr) == IPC_HDR_SIZE, "ipc_hdr padded");

int
ipc_init(struct ipc_chan *ib, int fd)
{
	memset(ib, 0, sizeof(*ib));
	if ((ib->rbuf = malloc(IPC_MAX)) == NULL)
		return -1;
	ib->rcap = IPC_MAX;
	ib->fd = fd;
	ib->pid = (uint32_t)getpid();
	return 0;
}

void
ipc_clear(struct ipc_chan *ib)
{
	struct ipc_buf	*b;

	while ((b = ib->wq_head) != NULL) {
		ib->wq_head = b->next;
		ipc_buf_free(b);
	}
	ib->wq_tail = NULL;
	ib->wq_bytes = 0;
	free(ib->rbuf);
	ib->rbuf = NULL;
	ib->rstart = ib->rlen = ib->rcap = 0;
}

ssize_t
ipc_read(struct ipc_chan *ib)
{
	ssize_t	n;

	/* Moving the partial frame to the front makes room for all of it. */
	if (ib->rlen == 0)
		ib->rstart = 0;
	else if (ib->rstart > 0 && ib->rstart + ib->rlen == ib->rcap) {
		memmove(ib->rbuf, ib->rbuf + ib->rstart, ib->rlen);
		ib->rstart = 0;
	}
	if (ib->rstart + ib->rlen >= ib->rcap) {
		errno = ENOBUFS;
		return -1;
	}
	n = read(ib->fd, ib->rbuf + ib->rstart + ib->rlen,
	    ib->rcap - ib->rstart - ib->rlen);
	if (n > 0)
		ib->rlen += (size_t)n;
	return n;
}

int
ipc_next(struct ipc_chan *ib, struct ipc_msg *imsg)
{
	const uint8_t	*p;
	uint32_t	 len;

	if (ib->rlen < IPC_HDR_SIZE)
		return 0;
	p = ib->rbuf + ib->rstart;
	memcpy(&len, p + offsetof(struct ipc_hdr, len), sizeof(len));
	if (len < IPC_HDR_SIZE || len > IPC_MAX) {
		errno = EBADMSG;
		return -1;
	}
	if (ib->rlen < len)
		return 0;
	memcpy(&imsg->hdr, p, sizeof(imsg->hdr));
	imsg->data = p + IPC_HDR_SIZE;
	imsg->datalen = len - IPC_HDR_SIZE;
	ib->rstart += len;
	ib->rlen -= len;
	return 1;
}

struct ipc_buf *
ipc_create(uint32_t type, uint32_t id, size_t hint)
{
	struct ipc_hdr	 hdr = { .type = type, .id = id };
	struct ipc_buf	*b;

	if ((b = calloc(1, sizeof(*b))) == NULL)
		return NULL;
	if (hint > IPC_MAX - IPC_HDR_SIZE)
		hint = IPC_MAX - IPC_HDR_SIZE;
	b->cap = IPC_HDR_SIZE + hint;
	if ((b->buf = malloc(b->cap)) == NULL) {
		free(b);
		return NULL;
	}
	memcpy(b->buf, &hdr, sizeof(hdr));
	b->len = IPC_HDR_SIZE;
	return b;
}

/* Appends n bytes, or remembers why it could not. */
static int
ipc_put_raw(struct ipc_buf *b, const void *data, size_t n)
{
	uint8_t	*p;
	size_t	 cap;

	if (b == NULL)
		return -1;
	if (b->err == 0 && n > IPC_MAX - b->len)
		b->err = EMSGSIZE;
	if (b->err == 0 && n > b->cap - b->len) {
		/* Doubling keeps a frame built from many fields linear. */
		cap = b->cap * 2 > IPC_MAX ? IPC_MAX : b->cap * 2;
		if (cap < b->len + n)
			cap = b->len + n;
		if ((p = realloc(b->buf, cap)) == NULL)
			b->err = ENOMEM;
		else {
			b->buf = p;
			b->cap = cap;
		}
	}
	if (b->err != 0) {
		errno = b->err;
		return -1;
	}
	if (n > 0)
		memcpy(b->buf + b->len, data, n);
	b->len += n;
	return 0;
}

int
ipc_put_u32(struct ipc_buf *b, uint32_t v)
{
	return ipc_put_raw(b, &v, sizeof(v));
}

int
ipc_put_u64(struct ipc_buf *b, uint64_t v)
{
	return ipc_put_raw(b, &v, sizeof(v));
}

int
ipc_put_bytes(struct ipc_buf *b, const void *data, size_t n)
{
	/* Too long a length poisons the frame, so its prefix is never sent. */
	if (ipc_put_u32(b, (uint32_t)n) == -1)
		return -1;
	return ipc_put_raw(b, data, n);
}

int
ipc_put_str(struct ipc_buf *b, const char *s)
{
	return ipc_put_bytes(b, s, strlen(s));
}

int
ipc_close(struct ipc_chan *ib, struct ipc_buf *b)
{
	struct ipc_hdr	hdr;

	if (b == NULL)
		return -1;
	if (b->err != 0) {
		errno = b->err;
		ipc_buf_free(b);
		return -1;
	}
	memcpy(&hdr, b->buf, sizeof(hdr));
	hdr.len = (uint32_t)b->len;
	hdr.pid = ib->pid;
	memcpy(b->buf, &hdr, sizeof(hdr));
	b->next = NULL;
	if (ib->wq_tail != NULL)
		ib->wq_tail->next = b;
	else
		ib->wq_head = b;
	ib->wq_tail = b;
	ib->wq_bytes += b->len;
	return 0;
}

int
ipc_compose(struct ipc_chan *ib, uint32_t type, uint32_t id,
    const void *data, size_t len)
{
	struct ipc_buf	*b;

	b = ipc_create(type, id, len);
	ipc_put_raw(b, data, len);
	return ipc_close(ib, b);
}

void
ipc_buf_free(struct ipc_buf *b)
{
	if (b == NULL)
		return;
	free(b->buf);
	free(b);
}

/* Drops n written bytes from the front of the queue. */
static void
wq_advance(struct ipc_chan *ib, size_t n)
{
	struct ipc_buf	*b;
	size_t		 left;

	while (n > 0 && (b = ib->wq_head) != NULL) {
		left = b->len - b->off;
		if (n < left) {
			b->off += n;
			ib->wq_bytes -= n;
			return;
		}
		n -= left;
		ib->wq_bytes -= left;
		if ((ib->wq_head = b->next) == NULL)
			ib->wq_tail = NULL;
		ipc_buf_free(b);
	}
}

int
ipc_write(struct ipc_chan *ib)
{
	struct iovec	 iov[IOV_BATCH];
	struct ipc_buf	*b;
	ssize_t		 n;
	int		 i;

	while (ib->wq_head != NULL) {
		i = 0;
		for (b = ib->wq_head; b != NULL && i < IOV_BATCH; b = b->next) {
			iov[i].iov_base = b->buf + b->off;
			iov[i].iov_len = b->len - b->off;
			i++;
		}
		if ((n = writev(ib->fd, iov, i)) == -1) {
			if (errno == EAGAIN || errno == EWOULDBLOCK ||
			    errno == EINTR)
				return 0;
			return -1;
		}
		if (n == 0)
			return 0;
		wq_advance(ib, (size_t)n);
	}
	return 0;
}

size_t
ipc_pending(const struct ipc_chan *ib)
{
	return ib->wq_bytes;
}

int
ipc_flush(struct ipc_chan *ib)
{
	struct pollfd	pfd;

	while (ib->wq_head != NULL) {
		if (ipc_write(ib) == -1)
			return -1;
		if (ib->wq_head == NULL)
			break;
		pfd.fd = ib->fd;
		pfd.events = POLLOUT;
		if (poll(&pfd, 1, -1) == -1 && errno != EINTR)
			return -1;
	}
	return 0;
}

void
ipc_rd_init(struct ipc_rd *rd, const struct ipc_msg *imsg)
{
	static const uint8_t	none[1];

	/* Keeps p + off defined for an empty payload given as NULL. */
	rd->p = imsg->data != NULL ? imsg->data : none;
	rd->len = imsg->data != NULL ? imsg->datalen : 0;
	rd->off = 0;
}

static size_t
rd_left(const struct ipc_rd *rd)
{
	return rd->off < rd->len ? rd->len - rd->off : 0;
}

static int
rd_get(struct ipc_rd *rd, void *v, size_t n)
{
	if (rd_left(rd) < n)
		return -1;
	memcpy(v, rd->p + rd->off, n);
	rd->off += n;
	return 0;
}

int
ipc_get_u32(struct ipc_rd *rd, uint32_t *v)
{
	return rd_get(rd, v, sizeof(*v));
}

int
ipc_get_u64(struct ipc_rd *rd, uint64_t *v)
{
	return rd_get(rd, v, sizeof(*v));
}

int
ipc_get_bytes(struct ipc_rd *rd, const uint8_t **p, size_t *len,
    size_t max)
{
	uint32_t	n;

	if (rd_get(rd, &n, sizeof(n)) == -1)
		return -1;
	if (n > max || n > rd_left(rd)) {
		rd->off -= sizeof(n);
		return -1;
	}
	*p = rd->p + rd->off;
	*len = n;
	rd->off += n;
	return 0;
}

int
ipc_get_str(struct ipc_rd *rd, char *out, size_t cap)
{
	const uint8_t	*p;
	size_t		 n, start = rd->off;

	if (cap == 0 || ipc_get_bytes(rd, &p, &n, cap - 1) == -1)
		return -1;
	if (memchr(p, '\0', n) != NULL) {
		rd->off = start;
		return -1;
	}
	memcpy(out, p, n);
	out[n] = '\0';
	return 0;
}

int
ipc_get_end(const struct ipc_rd *rd)
{
	return rd->off == rd->len ? 0 : -1;
}

int
ipc_peer_gone(int fd, int ms)
{
	struct pollfd	pfd;
	char		c;

	pfd.fd = fd;
	pfd.events = POLLIN;
	if (poll(&pfd, 1, ms) <= 0)
		return 0;
	return recv(fd, &c, 1, MSG_PEEK | MSG_DONTWAIT) == 0;
}
