/* SPDX-License-Identifier: ISC */
/*
 * The writer of SCALE (Substrate's codec) that the update_twin
 * extrinsic needs: writers never write past cap, and every function
 * returns 0 on success and -1 on failure.  The reader is in
 * common/net/scale_rd.h.
 */
#ifndef RMB_SCALE_H
#define RMB_SCALE_H

#include <stddef.h>
#include <stdint.h>

/* The longest compact encoding of a u64: one prefix byte and 8 bytes. */
#define SCALE_COMPACT_MAX	9

/* Once err is set every later put fails and nothing more is written. */
struct scale_wr {
	uint8_t		*p;
	size_t		 cap, len;
	int		 err;
};

/* Bytes that scale_put_compact() writes for v (1..SCALE_COMPACT_MAX). */
size_t	scale_compact_len(uint64_t v);

void	scale_wr_init(struct scale_wr *w, uint8_t *p, size_t cap);
int	scale_put_u8(struct scale_wr *w, uint8_t v);
int	scale_put_u32(struct scale_wr *w, uint32_t v);
int	scale_put_compact(struct scale_wr *w, uint64_t v);
int	scale_put_raw(struct scale_wr *w, const void *p, size_t n);

/* compact(n) then the n bytes, written whole or not at all. */
/* None (00) when p is NULL, else 01, compact(n) and the bytes. */
int	scale_put_option_bytes(struct scale_wr *w, const void *p, size_t n);
int	scale_put_bytes(struct scale_wr *w, const void *p, size_t n);

#endif
