/* SPDX-License-Identifier: ISC */
/*
 * The framing used on every socketpair between the peer's processes: a
 * 16-byte header (type, length including the header, request id, sender
 * pid, all host byte order since both ends run on one machine) and a
 * payload of typed fields read back with bounds-checked getters.  A
 * frame's length is checked from its header alone, before its payload is
 * looked at.  Nothing here blocks except imsgbuf_flush(), and there is no
 * global state, so it runs under poll(2) or libev alike.
 */
#ifndef RMB_IMSG_H
#define RMB_IMSG_H

#include <sys/types.h>

#include <stddef.h>
#include <stdint.h>

/*
 * The peer accepts envelopes of at most ENVELOPE_MAX bytes.  4 MiB is far
 * above any RMB message seen in practice (zos answers stay well under
 * 1 MiB and the reference upload plugin sends 512 KiB chunks) while
 * bounding what one frame can make a child allocate; the reference
 * relay's WebSocket library allows 64 MiB, which we deliberately do not
 * follow.  The largest imsg carries one envelope or one payload plus a
 * few small fields (SEAL returns the plaintext plus 28 bytes), hence a
 * 64 KiB margin on top for IMSG_MAX, which is the whole frame.
 */
#define ENVELOPE_MAX	(4 * 1024 * 1024)
/*
 * The largest payload a local program may send: an envelope's other
 * fields (each string at most 4 KiB through the redis API, a signature,
 * the cipher's 28 bytes) take far less than the 32 KiB kept for them,
 * so a payload this size always fits an envelope.
 */
#define PAYLOAD_MAX	(ENVELOPE_MAX - 32 * 1024)
#define IMSG_HDR_SIZE	16
#define IMSG_MAX	(ENVELOPE_MAX + 64 * 1024)

struct imsg_hdr {
	uint32_t	type;
	uint32_t	len;		/* including the header */
	uint32_t	id;		/* request id, echoed in the reply */
	uint32_t	pid;
};

/* data points into the read buffer: valid until the next read or get. */
struct imsg {
	struct imsg_hdr	 hdr;
	const uint8_t	*data;
	size_t		 datalen;
};

/* One outgoing frame; off counts the bytes already written. */
struct ibuf {
	uint8_t		*buf;
	size_t		 len, cap, off;
	int		 err;
	struct ibuf	*next;
};

struct imsgbuf {
	int		 fd;
	uint32_t	 pid;
	uint8_t		*rbuf;
	size_t		 rstart, rlen, rcap;
	struct ibuf	*wq_head, *wq_tail;
	size_t		 wq_bytes;
};

/*
 * Allocates the IMSG_MAX read buffer up front, so that a sandboxed
 * process never needs to grow it, and caches getpid().  The descriptor's
 * O_NONBLOCK is left as the caller set it.  Returns 0 or -1.
 */
int	 imsgbuf_init(struct imsgbuf *, int fd);

/* Frees the write queue and the read buffer; does not close fd. */
void	 imsgbuf_clear(struct imsgbuf *);

/*
 * One read(2) into the free space of the read buffer: >0 bytes read, 0 at
 * end of file, -1 with errno (EAGAIN and EINTR are for the caller to
 * retry; ENOBUFS if the buffer is full because imsg_get() was not called).
 */
ssize_t	 imsgbuf_read(struct imsgbuf *);

/*
 * Takes the next whole frame out of the read buffer: 1 if there was one,
 * 0 if more bytes are needed, -1 with errno EBADMSG if the header's
 * length is below IMSG_HDR_SIZE or above IMSG_MAX (and again on every
 * later call: the stream cannot be resynchronised).
 */
int	 imsg_get(struct imsgbuf *, struct imsg *);

/*
 * Building a frame: imsg_create() reserves the header and hint bytes of
 * payload (NULL on ENOMEM), the add functions append fields, growing the
 * buffer as needed, and imsg_close() fills in the length and pid and
 * queues it.  A failed add (ENOMEM, or EMSGSIZE when the frame would
 * exceed IMSG_MAX) is remembered in err: later adds return -1 too and
 * imsg_close() frees the frame and returns -1 with errno = err.  The add
 * functions and imsg_close() accept a NULL ibuf and fail, so a caller may
 * check once, at imsg_close().
 */
struct ibuf *imsg_create(uint32_t type, uint32_t id, size_t hint);
int	 ibuf_add_u32(struct ibuf *, uint32_t);
int	 ibuf_add_u64(struct ibuf *, uint64_t);
/* A u32 length, then the bytes. */
int	 ibuf_add_bytes(struct ibuf *, const void *, size_t);
/* The same with strlen(s) bytes, without the NUL. */
int	 ibuf_add_str(struct ibuf *, const char *);
int	 imsg_close(struct imsgbuf *, struct ibuf *);
void	 ibuf_free(struct ibuf *);

/* Queues one frame whose payload is len raw bytes.  Returns 0 or -1. */
int	 imsg_compose(struct imsgbuf *, uint32_t type, uint32_t id,
	    const void *data, size_t len);

/*
 * Writes as much of the queue as the socket takes: 0 when done or when
 * the socket would block or a signal interrupted it (data may remain),
 * -1 on error (EPIPE...).  Callers ignore SIGPIPE.
 */
int	 imsgbuf_write(struct imsgbuf *);

/* Bytes still queued. */
size_t	 imsgbuf_pending(const struct imsgbuf *);

/*
 * 1 when the other end of fd closed within ms milliseconds: a child
 * whose sibling hung up asks whether the parent is stopping them all,
 * which is no error.  Reads nothing.
 */
int	 imsg_peer_gone(int fd, int ms);

/* Writes until the queue is empty, polling on EAGAIN.  Returns 0 or -1. */
int	 imsgbuf_flush(struct imsgbuf *);

/*
 * Reading a payload field by field.  Every getter checks the length
 * first and returns 0, or -1 without consuming anything.
 */
struct imsg_rd {
	const uint8_t	*p;
	size_t		 len, off;
};

void	 imsg_rd_init(struct imsg_rd *, const struct imsg *);
int	 imsg_get_u32(struct imsg_rd *, uint32_t *);
int	 imsg_get_u64(struct imsg_rd *, uint64_t *);
/* -1 if the length exceeds max or what is left; *p points into the frame. */
int	 imsg_get_bytes(struct imsg_rd *, const uint8_t **p, size_t *len,
	    size_t max);
/* Copies and NUL-terminates; -1 if len >= cap or it contains a NUL. */
int	 imsg_get_str(struct imsg_rd *, char *out, size_t cap);
/* 0 only when every byte was consumed: trailing bytes are an error. */
int	 imsg_get_end(const struct imsg_rd *);

#endif
