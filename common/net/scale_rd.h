/* SPDX-License-Identifier: ISC */
/*
 * The reader of SCALE (Substrate's codec) for twins, metadata and
 * extrinsics.  Readers never look past len; every function returns 0 on
 * success and -1 on failure, and a failed read leaves the reader where
 * it was.
 *
 * Compact integers are decoded as parity-scale-codec does for u64: a value
 * must use the shortest mode that holds it, and the big-integer mode holds
 * at most 8 bytes; anything else is rejected, so each value has exactly one
 * accepted encoding.
 */
#ifndef RMB_SCALE_RD_H
#define RMB_SCALE_RD_H

#include "scale.h"

struct scale_rd {
	const uint8_t	*p;
	size_t		 len, off;
};

void	scale_rd_init(struct scale_rd *rd, const uint8_t *p, size_t len);
int	scale_get_u8(struct scale_rd *rd, uint8_t *v);
int	scale_get_u32(struct scale_rd *rd, uint32_t *v);
int	scale_get_u64(struct scale_rd *rd, uint64_t *v);
int	scale_get_compact(struct scale_rd *rd, uint64_t *v);

/* n raw bytes with no length prefix; *p points into the input. */
int	scale_get_raw(struct scale_rd *rd, const uint8_t **p, size_t n);

/* compact(n) then n bytes, failing when n > max; *p points into the input. */
int	scale_get_bytes(struct scale_rd *rd, const uint8_t **p, size_t *n,
	    size_t max);

/* An Option tag: 00 is None, 01 is Some, any other byte is an error. */
int	scale_get_option(struct scale_rd *rd, int *present);

/* 0 only when every byte has been consumed. */
int	scale_rd_end(const struct scale_rd *rd);

/* A u64, little-endian (tests and tools; keyd writes none). */
int	scale_put_u64(struct scale_wr *w, uint64_t v);

#endif
