/* SPDX-License-Identifier: ISC */
#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ipc.h"

/* The header goes on the wire as the struct itself. */
_Static_assert(sizeof(struct ipc_hdr) == IPC_HDR_SIZE, "ipc_hdr padded");

int
ipc_init(struct ipc_chan *ch, int fd)
{
	*ch = (struct ipc_chan){ .fd = fd, .pid = (uint32_t)getpid() };
	return 0;
}

ssize_t
ipc_read(struct ipc_chan *ch)
{
	struct ipc_hdr	 h = { .len = IPC_CHUNK };
	uint8_t		*p;
	ssize_t		 n;

	/* The partial frame moves to the front, where a whole one fits. */
	if (ch->rstart > 0) {
		memmove(ch->rbuf, ch->rbuf + ch->rstart, ch->rlen);
		ch->rstart = 0;
	}
	/* The buffer grows to the frame its header announces. */
	if (ch->rlen >= IPC_HDR_SIZE)
		memcpy(&h, ch->rbuf, sizeof(h));
	if (h.len < IPC_CHUNK || h.len > IPC_MAX)
		h.len = IPC_CHUNK;
	if (h.len > ch->rcap) {
		if ((p = realloc(ch->rbuf, h.len)) == NULL)
			return -1;
		ch->rbuf = p;
		ch->rcap = h.len;
	}
	if (ch->rlen == ch->rcap) {
		errno = ENOBUFS;
		return -1;
	}
	if ((n = read(ch->fd, ch->rbuf + ch->rlen, ch->rcap - ch->rlen)) > 0)
		ch->rlen += (size_t)n;
	return n;
}

int
ipc_next(struct ipc_chan *ch, struct ipc_msg *m)
{
	const uint8_t	*p;

	if (ch->rlen < IPC_HDR_SIZE) {
		/* All taken: a buffer grown for a big frame goes back. */
		if (ch->rlen == 0 && ch->rcap > IPC_CHUNK) {
			free(ch->rbuf);
			ch->rbuf = NULL;
			ch->rcap = ch->rstart = 0;
		}
		return 0;
	}
	memcpy(&m->hdr, p = ch->rbuf + ch->rstart, sizeof(m->hdr));
	if (m->hdr.len < IPC_HDR_SIZE || m->hdr.len > IPC_MAX) {
		errno = EBADMSG;
		return -1;
	}
	if (ch->rlen < m->hdr.len)
		return 0;
	m->data = p + IPC_HDR_SIZE;
	m->datalen = m->hdr.len - IPC_HDR_SIZE;
	ch->rstart += m->hdr.len;
	ch->rlen -= m->hdr.len;
	return 1;
}

struct ipc_buf *
ipc_create(uint32_t type, uint32_t id, size_t hint)
{
	struct ipc_hdr	 hdr = { .type = type, .id = id };
	struct ipc_buf	*b;

	if (hint > IPC_MAX - IPC_HDR_SIZE)
		hint = IPC_MAX - IPC_HDR_SIZE;
	if ((b = calloc(1, sizeof(*b))) == NULL ||
	    (b->buf = malloc(IPC_HDR_SIZE + hint)) == NULL) {
		free(b);
		return NULL;
	}
	memcpy(b->buf, &hdr, sizeof(hdr));
	b->len = IPC_HDR_SIZE;
	b->cap = IPC_HDR_SIZE + hint;
	return b;
}

/* Room for n more bytes after len; doubling keeps growth linear. */
static int
reserve(struct ipc_buf *b, size_t n)
{
	uint8_t	*p;
	size_t	 cap = b->cap * 2;

	if (n <= b->cap - b->len)
		return 0;
	if (cap < b->len + n)
		cap = b->len + n;
	if ((p = realloc(b->buf, cap)) == NULL)
		return -1;
	b->buf = p;
	b->cap = cap;
	return 0;
}

int
ipc_put_raw(struct ipc_buf *b, const void *data, size_t n)
{
	if (b == NULL)
		return -1;
	if (b->err == 0 && n > IPC_MAX - b->len)
		b->err = EMSGSIZE;
	if (b->err == 0 && reserve(b, n) == -1)
		b->err = ENOMEM;
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
ipc_put_bytes(struct ipc_buf *b, const void *data, size_t n)
{
	uint32_t	len = (uint32_t)n;

	/* Too long a length poisons the frame, so its prefix is never sent. */
	if (ipc_put_raw(b, &len, sizeof(len)) == -1)
		return -1;
	return ipc_put_raw(b, data, n);
}

int
ipc_close(struct ipc_chan *ch, struct ipc_buf *b)
{
	struct ipc_buf	*q = &ch->out;
	struct ipc_hdr	 hdr;

	if (b == NULL)
		return -1;
	if (b->err == 0 && q->len > 0 && reserve(q, b->len) == -1)
		b->err = ENOMEM;
	if (b->err != 0) {
		errno = b->err;
		ipc_buf_free(b);
		return -1;
	}
	memcpy(&hdr, b->buf, sizeof(hdr));
	hdr.len = (uint32_t)b->len;
	hdr.pid = ch->pid;
	memcpy(b->buf, &hdr, sizeof(hdr));
	if (q->len == 0) {
		/* An empty queue holds no buffer: it takes the frame's. */
		*q = *b;
		free(b);
		return 0;
	}
	memcpy(q->buf + q->len, b->buf, b->len);
	q->len += b->len;
	ipc_buf_free(b);
	return 0;
}

void
ipc_buf_free(struct ipc_buf *b)
{
	if (b != NULL)
		free(b->buf);
	free(b);
}

int
ipc_flush(struct ipc_chan *ch)
{
	struct pollfd	 pfd = { .fd = ch->fd, .events = POLLOUT };
	struct ipc_buf	*q = &ch->out;
	ssize_t		 n;

	while (q->off < q->len) {
		if ((n = write(ch->fd, q->buf + q->off, q->len - q->off)) > 0)
			q->off += (size_t)n;
		else if (errno == EAGAIN) {
			if (poll(&pfd, 1, -1) == -1 && errno != EINTR)
				return -1;
		} else if (errno != EINTR)
			return -1;
	}
	/* Emptied, it holds nothing: the next frame reuses this. */
	free(q->buf);
	memset(q, 0, sizeof(*q));
	return 0;
}

void
ipc_rd_init(struct ipc_rd *rd, const struct ipc_msg *m)
{
	rd->p = m->data;
	rd->len = m->datalen;
	rd->off = 0;
}

int
ipc_get_raw(struct ipc_rd *rd, void *v, size_t n)
{
	if (rd->off > rd->len || rd->len - rd->off < n)
		return -1;
	memcpy(v, rd->p + rd->off, n);
	rd->off += n;
	return 0;
}

int
ipc_get_bytes(struct ipc_rd *rd, const uint8_t **p, size_t *len,
    size_t max)
{
	uint32_t	n;

	if (ipc_get_raw(rd, &n, sizeof(n)) == -1)
		return -1;
	if (n > max || n > rd->len - rd->off) {
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
