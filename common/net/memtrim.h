/* SPDX-License-Identifier: ISC */
/*
 * Memory after a big message, for the loop daemons (rmb-relay, rmb-netd,
 * rmb-apid).  Their buffers come from the heap, where the next big
 * message reuses their pages instead of faulting fresh ones in (but for
 * rmb-apid's big ones, see MEMTRIM_MAPPED), and once a second
 * the heap's free pages go back to the system when more than
 * MEMTRIM_FREE bytes are free: a daemon that idles after a big message
 * holds none of it.  malloc_trim(3) gives pages back with
 * madvise(MADV_DONTNEED), which the daemon's seccomp filter must allow
 * (sandbox_allow_trim() in sandbox_base.h).
 */
#ifndef RMB_MEMTRIM_H
#define RMB_MEMTRIM_H

#include <ev.h>

#include "protocol.h"

/* Allocations below this come from the heap: a message and then some. */
#define MEMTRIM_THRESHOLD	(2 * ENVELOPE_MAX)
/*
 * rmb-apid's threshold, the one rmb-peer's children start with: apid
 * holds a big message in buffers that hiredis grows a step at a time
 * (its reader's, its output buffer).  In the heap a step may copy the
 * buffer, the old pages staying until the next trim (for the largest
 * request, some 85 MiB at apid's peak); a mapping grows by mremap and
 * goes back the moment it is freed.
 */
#define MEMTRIM_MAPPED		(256 * 1024)
#define MEMTRIM_FREE		(4 * 1024 * 1024)
#define MEMTRIM_EVERY		1.0	/* seconds */

/*
 * Sets the threshold (MEMTRIM_THRESHOLD or MEMTRIM_MAPPED) and starts the
 * timer, which alone does not keep the loop running.  Under ASan, whose
 * allocator takes no options and keeps its own heap, both do nothing.
 */
void	memtrim_start(struct ev_loop *, size_t threshold);

#endif
