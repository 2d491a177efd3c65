/* SPDX-License-Identifier: ISC */
/*
 * The framing used on every socketpair between the peer's processes: a
 * 16-byte header (type, length including the header, request id, sender
 * pid, all host byte order since both ends run on one machine) and a
 * payload of typed fields read back with bounds-checked getters.  A
 * frame's length is checked from its header alone, before its payload is
 * looked at.  Only ipc_flush() blocks, and there is no global state, so
 * the rest runs under poll(2) or libev alike.  What rmb-keyd does not use
 * (writing without blocking, freeing a channel, typed numbers and
 * strings) is in common/net/ipc_extra.h.
 *
 * The names are ipc_*, not OpenBSD's imsg_*: the idea is the same but
 * the signatures are not (no fd passing, a length prefix on bytes and
 * strings, bounds-checked getters), and a reader who knows imsg(3) should not
 * assume its semantics here.
 */
#ifndef RMB_IPC_H
#define RMB_IPC_H

#include <sys/types.h>

#include <stddef.h>
#include <stdint.h>

#include "protocol.h"

/*
 * The largest frame carries one envelope or one payload plus a few small
 * fields (SEAL_SIGN's request an envelope and a key), hence a 64 KiB
 * margin on top of ENVELOPE_MAX.  A read buffer is IPC_CHUNK bytes, or
 * the frame being read when that is bigger.
 */
#define IPC_HDR_SIZE	16
#define IPC_MAX	(ENVELOPE_MAX + 64 * 1024)
#define IPC_CHUNK	(64 * 1024)

struct ipc_hdr {
	uint32_t	type;
	uint32_t	len;		/* including the header */
	uint32_t	id;		/* request id, echoed in the reply */
	uint32_t	pid;
};

/* data points into the read buffer: valid until the next read or next. */
struct ipc_msg {
	struct ipc_hdr	 hdr;
	const uint8_t	*data;
	size_t		 datalen;
};

/*
 * Bytes to send: one frame being built, or a channel's queue of whole
 * frames, of which the first off bytes are written.
 */
struct ipc_buf {
	uint8_t		*buf;
	size_t		 len, cap, off;
	int		 err;
};

struct ipc_chan {
	int		 fd;
	uint32_t	 pid;
	uint8_t		*rbuf;		/* rcap bytes, IPC_MAX at most */
	size_t		 rstart, rlen, rcap;
	struct ipc_buf	 out;
};

/*
 * Allocates nothing: the read buffer is IPC_CHUNK bytes from the first
 * read, grows to a bigger frame and is freed once that is taken (so a
 * sandboxed process is allowed brk, mmap, mremap and munmap).  Caches
 * getpid().  The descriptor's
 * O_NONBLOCK is left as the caller set it.  Returns 0 or -1.
 */
int	 ipc_init(struct ipc_chan *, int fd);

/*
 * One read(2) into the free space of the read buffer: >0 bytes read, 0 at
 * end of file, -1 with errno (EAGAIN and EINTR are for the caller to
 * retry; ENOMEM if the buffer cannot grow to the frame; ENOBUFS if it is
 * full because ipc_next() was not called).
 */
ssize_t	 ipc_read(struct ipc_chan *);

/*
 * Takes the next whole frame out of the read buffer: 1 if there was one,
 * 0 if more bytes are needed, -1 with errno EBADMSG if the header's
 * length is below IPC_HDR_SIZE or above IPC_MAX (and again on every
 * later call: the stream cannot be resynchronised).
 */
int	 ipc_next(struct ipc_chan *, struct ipc_msg *);

/*
 * Building a frame: ipc_create() reserves the header and hint bytes of
 * payload (NULL on ENOMEM), the add functions append fields, growing the
 * buffer as needed, and ipc_close() fills in the length and pid, appends
 * the frame to the channel's queue and frees it.  A failed add (ENOMEM,
 * or EMSGSIZE when the frame would exceed IPC_MAX) is remembered in err:
 * later adds return -1 too and ipc_close() frees the frame and returns -1
 * with errno = err.  The add functions and ipc_close() accept a NULL
 * ipc_buf and fail, so a caller may check once, at ipc_close().
 */
struct ipc_buf *ipc_create(uint32_t type, uint32_t id, size_t hint);
/*
 * n bytes as they are, with no length: a number in host byte order
 * (ipc_put_u32() and ipc_put_u64() of common/net/ipc_extra.h), or a
 * payload of its own.
 */
int	 ipc_put_raw(struct ipc_buf *, const void *, size_t n);
/* A u32 length, then the bytes. */
int	 ipc_put_bytes(struct ipc_buf *, const void *, size_t);
int	 ipc_close(struct ipc_chan *, struct ipc_buf *);
void	 ipc_buf_free(struct ipc_buf *);

/*
 * Writes the whole queue, polling when the socket would block: 0, or -1
 * with errno (EPIPE...; what is not written stays queued).  Callers
 * ignore SIGPIPE.  One write(2) of what it takes, for a process that
 * must not block, is ipc_write() in common/net/ipc_extra.h.
 */
int	 ipc_flush(struct ipc_chan *);

/*
 * Reading a payload field by field.  Every getter checks the length
 * first and returns 0, or -1 without consuming anything.
 */
struct ipc_rd {
	const uint8_t	*p;
	size_t		 len, off;
};

void	 ipc_rd_init(struct ipc_rd *, const struct ipc_msg *);
/* The next n bytes, copied: a number (ipc_get_u32(), ipc_get_u64()). */
int	 ipc_get_raw(struct ipc_rd *, void *, size_t n);
/* -1 if the length exceeds max or what is left; *p points into the frame. */
int	 ipc_get_bytes(struct ipc_rd *, const uint8_t **p, size_t *len,
	    size_t max);
/* Copies and NUL-terminates; -1 if len >= cap or it contains a NUL. */
int	 ipc_get_str(struct ipc_rd *, char *out, size_t cap);
/* 0 only when every byte was consumed: trailing bytes are an error. */
int	 ipc_get_end(const struct ipc_rd *);

#endif
