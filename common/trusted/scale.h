/* SPDX-License-Identifier: ISC */
/*
 * The pieces of SCALE (Substrate's codec) that twins and extrinsics need.
 * Readers never look past len; writers never write past cap.  Every
 * function returns 0 on success and -1 on failure, and a failed read
 * leaves the reader where it was.
 *
 * Compact integers are decoded as parity-scale-codec does for u64: a value
 * must use the shortest mode that holds it, and the big-integer mode holds
 * at most 8 bytes; anything else is rejected, so each value has exactly one
 * accepted encoding.
 */
#ifndef RMB_SCALE_H
#define RMB_SCALE_H

#include <stddef.h>
#include <stdint.h>

/* The longest compact encoding of a u64: one prefix byte and 8 bytes. */
#define SCALE_COMPACT_MAX	9

struct scale_rd {
	const uint8_t	*p;
	size_t		 len, off;
};

/* Once err is set every later put fails and nothing more is written. */
struct scale_wr {
	uint8_t		*p;
	size_t		 cap, len;
	int		 err;
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

/* Bytes that scale_put_compact() writes for v (1..SCALE_COMPACT_MAX). */
size_t	scale_compact_len(uint64_t v);

void	scale_wr_init(struct scale_wr *w, uint8_t *p, size_t cap);
int	scale_put_u8(struct scale_wr *w, uint8_t v);
int	scale_put_u32(struct scale_wr *w, uint32_t v);
int	scale_put_u64(struct scale_wr *w, uint64_t v);
int	scale_put_compact(struct scale_wr *w, uint64_t v);
int	scale_put_raw(struct scale_wr *w, const void *p, size_t n);

/* compact(n) then the n bytes, written whole or not at all. */
/* None (00) when p is NULL, else 01, compact(n) and the bytes. */
int	scale_put_option_bytes(struct scale_wr *w, const void *p, size_t n);
int	scale_put_bytes(struct scale_wr *w, const void *p, size_t n);

#endif
