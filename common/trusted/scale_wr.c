/* SPDX-License-Identifier: ISC */
#include <string.h>

#include "scale.h"

size_t
scale_compact_len(uint64_t v)
{
	size_t	n;

	if (v < 64)
		return 1;
	if (v < (1U << 14))
		return 2;
	if (v < (1U << 30))
		return 4;
	for (n = 4; n < 8 && v >> (8 * n) != 0; n++)
		;
	return n + 1;
}

void
scale_wr_init(struct scale_wr *w, uint8_t *p, size_t cap)
{
	w->p = p;
	w->cap = cap;
	w->len = 0;
	w->err = 0;
}

/* Fails, and poisons the writer, unless n more bytes fit. */
static int
wr_room(struct scale_wr *w, size_t n)
{
	if (w->err || w->len > w->cap || w->cap - w->len < n) {
		w->err = 1;
		return -1;
	}
	return 0;
}

static void
put_le(struct scale_wr *w, uint64_t v, size_t n)
{
	size_t	i;

	for (i = 0; i < n; i++)
		w->p[w->len++] = (uint8_t)(v >> (8 * i));
}

int
scale_put_u8(struct scale_wr *w, uint8_t v)
{
	if (wr_room(w, 1) == -1)
		return -1;
	put_le(w, v, 1);
	return 0;
}

int
scale_put_u32(struct scale_wr *w, uint32_t v)
{
	if (wr_room(w, 4) == -1)
		return -1;
	put_le(w, v, 4);
	return 0;
}

int
scale_put_compact(struct scale_wr *w, uint64_t v)
{
	size_t	n = scale_compact_len(v);

	if (wr_room(w, n) == -1)
		return -1;
	if (n == 1)
		put_le(w, v << 2, 1);
	else if (n == 2)
		put_le(w, v << 2 | 1, 2);
	else if (n == 4)
		put_le(w, v << 2 | 2, 4);
	else {
		put_le(w, (n - 5) << 2 | 3, 1);
		put_le(w, v, n - 1);
	}
	return 0;
}

int
scale_put_raw(struct scale_wr *w, const void *p, size_t n)
{
	if (wr_room(w, n) == -1)
		return -1;
	if (n > 0)
		memcpy(w->p + w->len, p, n);
	w->len += n;
	return 0;
}

int
scale_put_bytes(struct scale_wr *w, const void *p, size_t n)
{
	size_t	c = scale_compact_len(n);

	if (n > SIZE_MAX - c || wr_room(w, c + n) == -1) {
		w->err = 1;
		return -1;
	}
	scale_put_compact(w, n);
	return scale_put_raw(w, p, n);
}

int
scale_put_option_bytes(struct scale_wr *w, const void *p, size_t n)
{
	if (p == NULL)
		return scale_put_u8(w, 0);
	if (scale_put_u8(w, 1) == -1)
		return -1;
	return scale_put_bytes(w, p, n);
}
