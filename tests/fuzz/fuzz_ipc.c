/* SPDX-License-Identifier: ISC */
/*
 * The imsg reader on an arbitrary byte stream: the input goes through a
 * non-blocking socketpair in chunks of varying size, so frames arrive
 * split and coalesced, and every frame taken out is read back with the
 * typed getters in several patterns, none of which may step outside it.
 */
#include <sys/socket.h>

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fuzz.h"
#include "ipc.h"
#include "ipc_extra.h"

/* Write sizes, cycled through, so that reads cut frames at many places. */
static const size_t	chunks[] = { 1, 7, 16, 300, 3, 4096, 21, 65536 };

/* Checks the reader's invariants after a getter, successful or not. */
static void
check_rd(const struct ipc_rd *rd, const struct ipc_msg *imsg, size_t before,
    int rc)
{
	if (rd->p != imsg->data || rd->len != imsg->datalen ||
	    rd->off > rd->len || (rc == -1 && rd->off != before) ||
	    (rc == 0 && rd->off < before + 4))
		abort();
}

static int
get_one(struct ipc_rd *rd, const struct ipc_msg *imsg, unsigned int kind)
{
	const uint8_t	*p;
	size_t		 n, before = rd->off;
	uint64_t	 v64;
	uint32_t	 v32;
	char		 s[32];
	int		 rc;

	switch (kind % 4) {
	case 0:
		rc = ipc_get_u32(rd, &v32);
		break;
	case 1:
		rc = ipc_get_u64(rd, &v64);
		break;
	case 2:
		rc = ipc_get_bytes(rd, &p, &n, kind & 4 ? 16 : SIZE_MAX);
		if (rc == 0 && (p < imsg->data || n > imsg->datalen ||
		    (size_t)(p - imsg->data) > imsg->datalen - n))
			abort();
		break;
	default:
		rc = ipc_get_str(rd, s, kind & 4 ? 4 : sizeof(s));
		if (rc == 0 && memchr(s, '\0', sizeof(s)) == NULL)
			abort();
		break;
	}
	check_rd(rd, imsg, before, rc);
	return rc;
}

/* Composing the frame again gives the same bytes, with our pid. */
static void
check_compose(const struct ipc_msg *imsg)
{
	struct ipc_chan	out = { .fd = -1, .pid = 77 };
	struct ipc_hdr	h;

	if (ipc_compose(&out, imsg->hdr.type, imsg->hdr.id, imsg->data,
	    imsg->datalen) == -1 || out.out.len != imsg->hdr.len)
		abort();
	memcpy(&h, out.out.buf, sizeof(h));
	if (h.type != imsg->hdr.type || h.len != imsg->hdr.len ||
	    h.id != imsg->hdr.id || h.pid != 77 ||
	    memcmp(out.out.buf + IPC_HDR_SIZE, imsg->data,
	    imsg->datalen) != 0)
		abort();
	ipc_clear(&out);
}

static void
check_frame(const struct ipc_msg *imsg)
{
	struct ipc_rd	rd;
	unsigned int	kind, i;

	if (imsg->hdr.len < IPC_HDR_SIZE || imsg->hdr.len > IPC_MAX ||
	    imsg->datalen != imsg->hdr.len - IPC_HDR_SIZE)
		abort();
	check_compose(imsg);
	/* One getter type throughout, then a mix chosen by the type field. */
	for (kind = 0; kind < 8; kind++) {
		ipc_rd_init(&rd, imsg);
		while (get_one(&rd, imsg, kind) == 0)
			;
	}
	ipc_rd_init(&rd, imsg);
	for (i = 0; i < 16; i++)
		if (get_one(&rd, imsg, imsg->hdr.type >> (2 * i)) == -1)
			break;
	if ((ipc_get_end(&rd) == 0) != (rd.off == rd.len))
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct ipc_chan	ib;
	static int		init;
	struct ipc_msg		imsg;
	size_t			off = 0, k = 0, seen = 0, n;
	ssize_t			w;
	int			sv[2], rc = 0;

	if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) == -1 ||
	    fcntl(sv[0], F_SETFL, O_NONBLOCK) == -1 ||
	    fcntl(sv[1], F_SETFL, O_NONBLOCK) == -1)
		abort();
	/* One channel for every run, its read state reset each time. */
	if (!init && ipc_init(&ib, -1) == -1)
		abort();
	init = 1;
	ib.fd = sv[1];
	ib.rstart = ib.rlen = 0;
	for (;;) {
		if (off < size) {
			n = chunks[k++ % (sizeof(chunks) / sizeof(chunks[0]))];
			if (n > size - off)
				n = size - off;
			if ((w = write(sv[0], data + off, n)) > 0)
				off += (size_t)w;
		}
		if (off == size && sv[0] != -1) {
			close(sv[0]);
			sv[0] = -1;
		}
		if ((w = ipc_read(&ib)) == 0)
			break;
		/* A full buffer here would mean a whole frame went unseen. */
		if (w == -1 && errno != EAGAIN && errno != EINTR)
			abort();
		while ((rc = ipc_next(&ib, &imsg)) == 1) {
			seen += imsg.hdr.len;
			check_frame(&imsg);
		}
		if (rc == -1)
			break;
	}
	/* At the end of a good stream, each byte is in a frame or left over. */
	if (rc == 0 && seen + ib.rlen != size)
		abort();
	if (sv[0] != -1)
		close(sv[0]);
	close(sv[1]);
	return 0;
}
