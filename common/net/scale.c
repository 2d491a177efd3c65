/* SPDX-License-Identifier: ISC */
#include <string.h>

#include "scale_rd.h"

void
scale_rd_init(struct scale_rd *rd, const uint8_t *p, size_t len)
{
	static const uint8_t	none[1];

	/* Keeps p + off defined for an empty input given as NULL. */
	rd->p = p != NULL ? p : none;
	rd->len = p != NULL ? len : 0;
	rd->off = 0;
}

static size_t
rd_left(const struct scale_rd *rd)
{
	return rd->off < rd->len ? rd->len - rd->off : 0;
}

/* Little-endian value of n <= 8 bytes. */
static uint64_t
get_le(const uint8_t *b, size_t n)
{
	uint64_t	v = 0;
	size_t		i;

	for (i = n; i > 0; i--)
		v = v << 8 | b[i - 1];
	return v;
}

int
scale_get_u8(struct scale_rd *rd, uint8_t *v)
{
	if (rd_left(rd) < 1)
		return -1;
	*v = rd->p[rd->off++];
	return 0;
}

int
scale_get_u32(struct scale_rd *rd, uint32_t *v)
{
	if (rd_left(rd) < 4)
		return -1;
	*v = (uint32_t)get_le(rd->p + rd->off, 4);
	rd->off += 4;
	return 0;
}

int
scale_get_u64(struct scale_rd *rd, uint64_t *v)
{
	if (rd_left(rd) < 8)
		return -1;
	*v = get_le(rd->p + rd->off, 8);
	rd->off += 8;
	return 0;
}

int
scale_get_compact(struct scale_rd *rd, uint64_t *v)
{
	const uint8_t	*b;
	uint64_t	 x;
	size_t		 left = rd_left(rd), m;

	if (left < 1)
		return -1;
	b = rd->p + rd->off;
	switch (b[0] & 3) {
	case 0:
		x = b[0] >> 2;
		m = 1;
		break;
	case 1:
		if (left < 2 || (x = get_le(b, 2) >> 2) < 64)
			return -1;
		m = 2;
		break;
	case 2:
		if (left < 4 || (x = get_le(b, 4) >> 2) < (1U << 14))
			return -1;
		m = 4;
		break;
	default:
		/* The prefix's upper six bits give the byte count, less 4. */
		m = (size_t)(b[0] >> 2) + 4;
		if (m > 8 || left < m + 1)
			return -1;
		x = get_le(b + 1, m);
		if (m == 4 ? x < (1U << 30) : b[m] == 0)
			return -1;
		m++;
		break;
	}
	*v = x;
	rd->off += m;
	return 0;
}

int
scale_get_raw(struct scale_rd *rd, const uint8_t **p, size_t n)
{
	if (rd_left(rd) < n)
		return -1;
	*p = rd->p + rd->off;
	rd->off += n;
	return 0;
}

int
scale_get_bytes(struct scale_rd *rd, const uint8_t **p, size_t *n,
    size_t max)
{
	struct scale_rd	 t = *rd;
	uint64_t	 len;

	if (scale_get_compact(&t, &len) == -1 || len > max ||
	    len > rd_left(&t))
		return -1;
	*p = t.p + t.off;
	*n = (size_t)len;
	rd->off = t.off + (size_t)len;
	return 0;
}

int
scale_get_option(struct scale_rd *rd, int *present)
{
	if (rd_left(rd) < 1 || rd->p[rd->off] > 1)
		return -1;
	*present = rd->p[rd->off++];
	return 0;
}

int
scale_rd_end(const struct scale_rd *rd)
{
	return rd->off == rd->len ? 0 : -1;
}

int
scale_put_u64(struct scale_wr *w, uint64_t v)
{
	uint8_t	b[8];
	int	i;

	for (i = 0; i < 8; i++)
		b[i] = (uint8_t)(v >> (8 * i));
	return scale_put_raw(w, b, sizeof(b));
}
