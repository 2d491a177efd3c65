/* SPDX-License-Identifier: ISC */
#include <sys/socket.h>

#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>

#include "ipc_extra.h"
#include "ipc_types.h"
#include "log.h"

int
ipc_flush(struct ipc_chan *ch)
{
	struct pollfd	pfd = { .fd = ch->fd, .events = POLLOUT };

	for (;;) {
		if (ipc_write(ch) == -1)
			return -1;
		if (ipc_pending(ch) == 0)
			return 0;
		if (poll(&pfd, 1, -1) == -1 && errno != EINTR)
			return -1;
	}
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
