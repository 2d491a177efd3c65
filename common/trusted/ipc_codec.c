/* SPDX-License-Identifier: ISC */
#include <errno.h>
#include <string.h>

#include "ipc_codec.h"

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

static int
put(struct ipc_buf *b, const struct ipc_field *f, const uint8_t *msg)
{
	const uint8_t	*v = msg + f->off;
	size_t		 n;

	switch (f->kind) {
	case IPC_U32:
		if (*(const uint32_t *)v > f->max)
			return inval();
		return ipc_put_raw(b, v, sizeof(uint32_t));
	case IPC_U64:
		return ipc_put_raw(b, v, sizeof(uint64_t));
	case IPC_BYTES:
		if ((n = *(const size_t *)(msg + f->len)) > f->max)
			return inval();
		return ipc_put_bytes(b, *(const uint8_t *const *)v, n);
	case IPC_FIXED:
		return ipc_put_bytes(b, v, f->size);
	case IPC_STR:
		/* Without a NUL in its array it is no string to decode. */
		if ((n = strnlen((const char *)v, f->size)) == f->size)
			return inval();
		return ipc_put_bytes(b, v, n);
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
get(struct ipc_rd *rd, const struct ipc_field *f, uint8_t *msg)
{
	uint8_t		*v = msg + f->off;
	const uint8_t	*p;
	size_t		 len;

	switch (f->kind) {
	case IPC_U32:
		return ipc_get_raw(rd, v, sizeof(uint32_t)) == -1 ||
		    *(uint32_t *)v > f->max ? -1 : 0;
	case IPC_U64:
		return ipc_get_raw(rd, v, sizeof(uint64_t));
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
		return ipc_get_str(rd, (char *)v, f->size);
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
