/* SPDX-License-Identifier: ISC */
#include <errno.h>
#include <string.h>

#include "ipc_codec.h"

/* A u32 count or length read from a frame always fits its size_t. */
_Static_assert(sizeof(size_t) >= sizeof(uint32_t), "size_t below 32 bits");

static const struct ipc_layout *
layout(const struct ipc_layout *tab, uint32_t type)
{
	for (; tab->type != 0; tab++)
		if (tab->type == type)
			return tab;
	return NULL;
}

static int
inval(void)
{
	errno = EINVAL;
	return -1;
}

/* Without a NUL within the array it is no string the decoder accepts. */
static int
put_str(struct ipc_buf *b, const struct ipc_field *f, const char *s)
{
	size_t	n = strnlen(s, f->size);

	return n == f->size ? inval() : ipc_put_bytes(b, s, n);
}

static int
put(struct ipc_buf *b, const struct ipc_field *f, const uint8_t *msg)
{
	const uint8_t	*v = msg + f->off;
	size_t		 n, i;

	switch (f->kind) {
	case IPC_U32:
		if (*(const uint32_t *)v > f->max)
			return inval();
		return ipc_put_u32(b, *(const uint32_t *)v);
	case IPC_U64:
		return ipc_put_u64(b, *(const uint64_t *)v);
	case IPC_BYTES:
		if ((n = *(const size_t *)(msg + f->len)) > f->max)
			return inval();
		return ipc_put_bytes(b, *(const uint8_t *const *)v, n);
	case IPC_FIXED:
		return ipc_put_bytes(b, v, f->size);
	case IPC_STR:
		return put_str(b, f, (const char *)v);
	case IPC_STRS:
		if ((n = *(const size_t *)(msg + f->len)) > f->max)
			return inval();
		if (ipc_put_u32(b, (uint32_t)n) == -1)
			return -1;
		for (i = 0; i < n; i++)
			if (put_str(b, f, (const char *)v + i * f->size) == -1)
				return -1;
		return 0;
	}
	return inval();
}

int
ipc_encode(struct ipc_chan *c, const struct ipc_layout *tab, uint32_t type,
    uint32_t id, const void *msg)
{
	const struct ipc_layout	*l;
	struct ipc_buf		*b;
	size_t			 i;

	if ((l = layout(tab, type)) == NULL)
		return inval();
	b = ipc_create(type, id, 64);
	/* free(3) keeps errno (POSIX.1-2024; glibc since 2.33). */
	for (i = 0; i < l->nf; i++)
		if (put(b, &l->f[i], msg) == -1) {
			ipc_buf_free(b);
			return -1;
		}
	return ipc_close(c, b);
}

static int
get_str(struct ipc_rd *rd, const struct ipc_field *f, char *s)
{
	if (ipc_get_str(rd, s, f->size) == -1)
		return -1;
	return f->check != NULL && f->check(s) != NULL ? -1 : 0;
}

static int
get(struct ipc_rd *rd, const struct ipc_field *f, uint8_t *msg)
{
	uint8_t		*v = msg + f->off;
	const uint8_t	*p;
	size_t		 len;
	uint32_t	 n, i;

	switch (f->kind) {
	case IPC_U32:
		return ipc_get_u32(rd, (uint32_t *)v) == -1 ||
		    *(uint32_t *)v > f->max ? -1 : 0;
	case IPC_U64:
		return ipc_get_u64(rd, (uint64_t *)v);
	case IPC_BYTES:
		return ipc_get_bytes(rd, (const uint8_t **)v,
		    (size_t *)(msg + f->len), f->max);
	case IPC_FIXED:
		if (ipc_get_bytes(rd, &p, &len, f->size) == -1 ||
		    len != f->size)
			return -1;
		memcpy(v, p, len);
		return 0;
	case IPC_STR:
		return get_str(rd, f, (char *)v);
	case IPC_STRS:
		if (ipc_get_u32(rd, &n) == -1 || n > f->max)
			return -1;
		*(size_t *)(msg + f->len) = n;
		for (i = 0; i < n; i++)
			if (get_str(rd, f, (char *)v + i * f->size) == -1)
				return -1;
		return 0;
	}
	return -1;
}

int
ipc_decode(const struct ipc_msg *m, const struct ipc_layout *tab,
    uint32_t type, void *msg)
{
	const struct ipc_layout	*l = layout(tab, type);
	struct ipc_rd		 rd;
	size_t			 i;

	if (l == NULL || m->hdr.type != type)
		return -1;
	if (l->size > 0)
		memset(msg, 0, l->size);
	ipc_rd_init(&rd, m);
	for (i = 0; i < l->nf; i++)
		if (get(&rd, &l->f[i], msg) == -1)
			return -1;
	return ipc_get_end(&rd);
}
