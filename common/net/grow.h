/* SPDX-License-Identifier: ISC */
/*
 * The one way a message is gathered from pieces here (WebSocket frames,
 * POST bodies, RPC answers): append to a heap buffer that doubles from
 * 4 KiB, never past the caller's bound.
 */
#ifndef RMB_GROW_H
#define RMB_GROW_H

#include <stddef.h>
#include <stdint.h>

/*
 * Appends n bytes of in to *buf, which holds *len bytes in *cap.
 * Returns 0, or -1 with errno ENOBUFS when the result would pass max
 * (nothing appended) or ENOMEM.
 */
int	grow_append(uint8_t **buf, size_t *len, size_t *cap, const void *in,
	    size_t n, size_t max);

#endif
