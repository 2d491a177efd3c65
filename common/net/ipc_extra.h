/* SPDX-License-Identifier: ISC */
/*
 * What the parent, netd, apid and the tests do with the framing
 * (common/trusted/ipc.h) and proc.h that rmb-keyd never does, so that
 * it stays out of keyd's closure: writing a queue without blocking,
 * freeing a channel, numbers, strings and a frame of raw bytes, the frame
 * queued last, non-blocking descriptors and a sibling that hung up.
 */
#ifndef RMB_IPC_EXTRA_H
#define RMB_IPC_EXTRA_H

#include "ipc.h"

/*
 * One write(2) of as much of the queue as the socket takes: 0 when done
 * or when the socket would block or a signal interrupted it (data may
 * remain), -1 on error (EPIPE...).  Callers ignore SIGPIPE.
 */
int	ipc_write(struct ipc_chan *);

/* Bytes still queued. */
size_t	ipc_pending(const struct ipc_chan *);

/* Sets O_NONBLOCK on fd, keeping its other flags.  0, or -1 and errno. */
int	proc_nonblock(int fd);

/* Frees the queue and the read buffer; does not close fd. */
void	ipc_clear(struct ipc_chan *);

/* Numbers in host byte order, with ipc_put_raw() and ipc_get_raw(). */
int	ipc_put_u32(struct ipc_buf *, uint32_t);
int	ipc_put_u64(struct ipc_buf *, uint64_t);
int	ipc_get_u32(struct ipc_rd *, uint32_t *);
int	ipc_get_u64(struct ipc_rd *, uint64_t *);

/* ipc_put_bytes() of strlen(s) bytes, without the NUL. */
int	ipc_put_str(struct ipc_buf *, const char *s);

/* Queues one frame whose payload is len raw bytes.  Returns 0 or -1. */
int	ipc_compose(struct ipc_chan *, uint32_t type, uint32_t id,
	    const void *data, size_t len);

/*
 * The frame queued last on ch, as its receiver will see it, while none
 * of the queue is written yet (the codec tests queue on fd -1).  0, or
 * -1 when nothing is queued (or the queue is not whole frames).
 */
int	ipc_last(const struct ipc_chan *ch, struct ipc_msg *m);

/*
 * A sibling closed its channel: when the parent is stopping every child
 * (its channel, PARENT_FILENO, closes within half a second) exits 0, else
 * it is fatal.  Reads nothing from the parent's channel.
 */
_Noreturn void proc_sibling_gone(const char *sibling);

#endif
