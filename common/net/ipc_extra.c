/* SPDX-License-Identifier: ISC */
#include <sys/socket.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ipc_extra.h"
#include "ipc_types.h"
#include "log.h"

/*
 * A queue whose written part is at least as long as the rest moves that
 * rest to the front, so that ipc_close() appends to a short queue and
 * moving costs at most one copy per byte written.
 */
int
ipc_write(struct ipc_chan *ch)
{
	struct ipc_buf	*q = &ch->out;
	ssize_t		 n;

	if (q->len == 0)
		return 0;
	if ((n = write(ch->fd, q->buf + q->off, q->len - q->off)) == -1)
		return errno == EAGAIN || errno == EINTR ? 0 : -1;
	q->off += (size_t)n;
	if (q->off == q->len) {
		/* Emptied, it holds nothing: the next frame reuses this. */
		free(q->buf);
		memset(q, 0, sizeof(*q));
	} else if (q->off >= q->len - q->off) {
		memmove(q->buf, q->buf + q->off, q->len - q->off);
		q->len -= q->off;
		q->off = 0;
	}
	return 0;
}

size_t
ipc_pending(const struct ipc_chan *ch)
{
	return ch->out.len - ch->out.off;
}

int
proc_nonblock(int fd)
{
	int	fl;

	if ((fl = fcntl(fd, F_GETFL)) == -1)
		return -1;
	return fcntl(fd, F_SETFL, fl | O_NONBLOCK) == -1 ? -1 : 0;
}

void
ipc_clear(struct ipc_chan *ch)
{
	free(ch->rbuf);
	free(ch->out.buf);
	ch->rbuf = NULL;
	ch->rstart = ch->rlen = 0;
	memset(&ch->out, 0, sizeof(ch->out));
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
ipc_get_u32(struct ipc_rd *rd, uint32_t *v)
{
	return ipc_get_raw(rd, v, sizeof(*v));
}

int
ipc_get_u64(struct ipc_rd *rd, uint64_t *v)
{
	return ipc_get_raw(rd, v, sizeof(*v));
}

int
ipc_put_str(struct ipc_buf *b, const char *s)
{
	return ipc_put_bytes(b, s, strlen(s));
}

int
ipc_compose(struct ipc_chan *ch, uint32_t type, uint32_t id,
    const void *data, size_t len)
{
	struct ipc_buf	*b;

	b = ipc_create(type, id, len);
	ipc_put_raw(b, data, len);
	return ipc_close(ch, b);
}

int
ipc_last(const struct ipc_chan *ch, struct ipc_msg *m)
{
	const struct ipc_buf	*q = &ch->out;
	size_t			 off = q->off;

	for (;;) {
		if (q->len - off < IPC_HDR_SIZE)
			return -1;
		memcpy(&m->hdr, q->buf + off, sizeof(m->hdr));
		if (m->hdr.len < IPC_HDR_SIZE || m->hdr.len > q->len - off)
			return -1;
		if (m->hdr.len == q->len - off)
			break;
		off += m->hdr.len;
	}
	m->data = q->buf + off + IPC_HDR_SIZE;
	m->datalen = m->hdr.len - IPC_HDR_SIZE;
	return 0;
}

void
proc_sibling_gone(const char *sibling)
{
	struct pollfd	pfd = { .fd = PARENT_FILENO, .events = POLLIN };
	char		c;

	/* The parent's channel at its end of file, peeked at, not read. */
	if (poll(&pfd, 1, 500) == 1 &&
	    recv(PARENT_FILENO, &c, 1, MSG_PEEK | MSG_DONTWAIT) == 0) {
		log_debug("the parent is gone");
		exit(0);
	}
	fatalx("%s closed its channel", sibling);
}
