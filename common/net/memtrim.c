/* SPDX-License-Identifier: ISC */
#include <malloc.h>

#include "memtrim.h"

static ev_timer	trim;

static void
trim_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	(void)loop;
	(void)w;
	(void)revents;
	/* 1 when pages went back, 0 when there were none to give. */
	if (mallinfo2().fordblks > MEMTRIM_FREE)
		(void)malloc_trim(0);
}

void
memtrim_start(struct ev_loop *loop, size_t threshold)
{
	/*
	 * Fixed, not glibc's moving threshold, which sends some big buffers
	 * to mappings of their own.  0 (ASan's allocator) only costs time.
	 */
	(void)mallopt(M_MMAP_THRESHOLD, (int)threshold);
	ev_timer_init(&trim, trim_cb, MEMTRIM_EVERY, MEMTRIM_EVERY);
	ev_timer_start(loop, &trim);
	ev_unref(loop);
}
