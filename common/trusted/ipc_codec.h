/* SPDX-License-Identifier: ISC */
/*
 * A message's layout written once, as data: each field a kind and where
 * it lives in the message's struct, walked by one encoder and one
 * decoder.  The decoder checks the type, every field and its bound, and
 * that nothing is left over; the encoder refuses (EINVAL) a value out of
 * its bound, so that a frame the decoder would refuse is never sent.
 * Only the kinds some message needs are here, and nothing knows a
 * process: the tables live in proto/.
 */
#ifndef RMB_IPC_CODEC_H
#define RMB_IPC_CODEC_H

#include <stddef.h>
#include <stdint.h>

#include "ipc.h"

enum ipc_kind {
	IPC_U32,	/* uint32_t, at most max */
	IPC_U64,	/* uint64_t */
	IPC_BYTES,	/* const uint8_t * and size_t length, at most max;
			   decoded, it points into the frame */
	IPC_FIXED,	/* uint8_t[size]: bytes of exactly size, copied */
	IPC_STR		/* char[size]: below size bytes, no NUL, copied and
			   NUL-terminated */
};

struct ipc_field {
	enum ipc_kind	kind;
	size_t		off;		/* of the value in the struct */
	size_t		len;		/* BYTES: of the size_t length */
	size_t		size;		/* FIXED, STR: of the array */
	size_t		max;		/* U32: value; BYTES: length */
};

/*
 * offsetof(st, m), and a compile error unless &m has type t: a table
 * entry cannot disagree with its struct.
 */
#define IPC_AT(st, m, t)	_Generic(&((st *)0)->m, t: offsetof(st, m))
#define IPC_SIZE(st, m)		sizeof(((st *)0)->m)

#define IPC_F_U32(st, m, max)	\
	{ IPC_U32, IPC_AT(st, m, uint32_t *), 0, 0, (max) }
#define IPC_F_U64(st, m)	\
	{ IPC_U64, IPC_AT(st, m, uint64_t *), 0, 0, 0 }
#define IPC_F_BYTES(st, p, n, max)	\
	{ IPC_BYTES, IPC_AT(st, p, const uint8_t **), IPC_AT(st, n, size_t *), \
	    0, (max) }
#define IPC_F_FIXED(st, m)	\
	{ IPC_FIXED, IPC_AT(st, m, uint8_t (*)[IPC_SIZE(st, m)]), 0, \
	    IPC_SIZE(st, m), 0 }
#define IPC_F_STR(st, m)	\
	{ IPC_STR, IPC_AT(st, m, char (*)[IPC_SIZE(st, m)]), 0, \
	    IPC_SIZE(st, m), 0 }

/* One message: its type, its struct's size and its fields in order. */
struct ipc_layout {
	uint32_t		 type;		/* 0 ends a table */
	size_t			 size;
	const struct ipc_field	*f;
	size_t			 nf;
};
#define IPC_LAYOUT(type, st, f)	\
	{ (type), sizeof(st), (f), sizeof(f) / sizeof((f)[0]) }
#define IPC_EMPTY(type)		{ (type), 0, NULL, 0 }
#define IPC_LAYOUT_END		{ 0, 0, NULL, 0 }

/*
 * Queues msg, laid out as tab's entry for type says, as frame (type,
 * id): 0, or -1 with errno (EINVAL: no entry for type, or a value out of
 * its bound; else ipc_close()'s).  msg may be NULL for an empty layout.
 */
int	ipc_encode(struct ipc_chan *, const struct ipc_layout *tab,
	    uint32_t type, uint32_t id, const void *msg);

/*
 * Fills msg (zeroed first) from m, which must be of type: the caller
 * names the type, hence the struct, never the frame.  0, or -1 when m
 * is of another type or malformed.
 */
int	ipc_decode(const struct ipc_msg *m, const struct ipc_layout *tab,
	    uint32_t type, void *msg);

#endif
