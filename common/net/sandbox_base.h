/* SPDX-License-Identifier: ISC */
/*
 * The seccomp pieces of the daemons on a libev loop (netd, apid, the
 * relay), on top of common/trusted/sandbox.h; rmb-keyd links none.
 */
#ifndef RMB_SANDBOX_BASE_H
#define RMB_SANDBOX_BASE_H

#include "sandbox.h"

/*
 * sandbox_new with the base every daemon on a libev loop needs: the
 * loop, the descriptors it was given, memory never executable, the
 * clock, signals, randomness and exit.  NULL on failure.
 */
scmp_filter_ctx	sandbox_base(const char *prog);

/*
 * socket() for the n address families given and no other.  AF_NETLINK,
 * unless given, fails instead of killing: glibc's getaddrinfo asks it
 * for the interfaces before it sorts several addresses, and bind()s to
 * do so, which a daemon that serves nobody must not; refused, it sorts
 * without.  0, or -1.
 */
int		sandbox_allow_sockets(scmp_filter_ctx, const int *families,
		    size_t n);

/* Files opened for reading only, never created or written.  0, or -1. */
int		sandbox_allow_rdonly(scmp_filter_ctx);
/* Name lookups: the resolver's one ioctl and its files, read-only. */
int		sandbox_allow_resolver(scmp_filter_ctx);

/*
 * Threads, never a new process, and the filter put on every thread the
 * process already has.  0, or -1.
 */
int		sandbox_allow_threads(scmp_filter_ctx);
/* madvise(MADV_DONTNEED), for malloc_trim(3) (memtrim.h).  0, or -1. */
int		sandbox_allow_trim(scmp_filter_ctx);

#endif
