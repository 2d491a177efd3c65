/* SPDX-License-Identifier: ISC */
/*
 * RFC 6455 §5.1: a server must close the connection when a client frame
 * comes without a mask, but libwebsockets 4.1 takes such a frame as if
 * it were masked.  It reads its sockets with recv(2), so the recv below,
 * which the dynamic linker prefers to the C library's for every caller
 * in the process, sees the same bytes first: on the sockets of WebSocket
 * sessions it follows the frame headers and notes an unmasked one, for
 * relay_http.c to close the session with 1002; other sockets pass
 * through untouched.  The headers are followed from the 101 on, as a
 * client must wait for it before it sends a frame (RFC 6455 §4.1).
 */
#undef _FORTIFY_SOURCE	/* its inline recv would clash with this one */

#include <sys/types.h>
#include <sys/socket.h>

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "relay_server.h"

#define FRAME_HDR_MAX	14	/* 2, 8 bytes of length, 4 of mask */

struct mask_rx {
	uint64_t	skip;		/* payload bytes left */
	uint8_t		hdr[FRAME_HDR_MAX];
	uint8_t		hlen;		/* header bytes so far */
	uint8_t		watched;
	uint8_t		broken;		/* a frame was unmasked */
};

static struct mask_rx	*rx;		/* by descriptor */
static size_t		 nrx;

/* The header's length, once its first two bytes are known. */
static size_t
hdr_len(const uint8_t *h)
{
	size_t	n = 2;

	if ((h[1] & 0x7f) == 126)
		n += 2;
	else if ((h[1] & 0x7f) == 127)
		n += 8;
	return n + ((h[1] & 0x80) ? 4 : 0);
}

static void
feed(struct mask_rx *m, const uint8_t *p, size_t n)
{
	uint64_t	len;
	size_t		k, i;

	while (n > 0 && !m->broken) {
		if (m->skip > 0) {
			k = m->skip < n ? (size_t)m->skip : n;
			m->skip -= k;
			p += k;
			n -= k;
			continue;
		}
		m->hdr[m->hlen++] = *p++;
		n--;
		if (m->hlen < 2)
			continue;
		if (!(m->hdr[1] & 0x80)) {
			m->broken = 1;
			return;
		}
		if (m->hlen < hdr_len(m->hdr))
			continue;
		len = m->hdr[1] & 0x7f;
		if (len == 126)
			len = (uint64_t)m->hdr[2] << 8 | m->hdr[3];
		else if (len == 127)
			for (i = 0, len = 0; i < 8; i++)
				len = len << 8 | m->hdr[2 + i];
		m->skip = len;
		m->hlen = 0;
	}
}

ssize_t
recv(int fd, void *buf, size_t len, int flags)
{
	ssize_t	n;

	n = recvfrom(fd, buf, len, flags, NULL, NULL);
	if (n > 0 && fd >= 0 && (size_t)fd < nrx && rx[fd].watched &&
	    !(flags & MSG_PEEK))
		feed(&rx[fd], buf, (size_t)n);
	return n;
}

void
relay_mask_watch(int fd)
{
	struct mask_rx	*nr;
	size_t		 n;

	if (fd < 0)
		return;
	if ((size_t)fd >= nrx) {
		n = nrx > 0 ? nrx : 64;
		while (n <= (size_t)fd)
			n *= 2;
		if ((nr = reallocarray(rx, n, sizeof(*rx))) == NULL) {
			log_warnx("descriptor %d: out of memory, its frames' "
			    "masks are not checked", fd);
			return;
		}
		memset(nr + nrx, 0, (n - nrx) * sizeof(*nr));
		rx = nr;
		nrx = n;
	}
	memset(&rx[fd], 0, sizeof(rx[fd]));
	rx[fd].watched = 1;
}

void
relay_mask_forget(int fd)
{
	if (fd >= 0 && (size_t)fd < nrx)
		memset(&rx[fd], 0, sizeof(rx[fd]));
}

int
relay_mask_broken(int fd)
{
	return fd >= 0 && (size_t)fd < nrx && rx[fd].watched &&
	    rx[fd].broken;
}
