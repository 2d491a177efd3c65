/* SPDX-License-Identifier: ISC */
/*
 * The pieces every seccomp allow-list here is made of: a filter that
 * kills the process on any call not allowed, or, in --enable-sandbox-debug
 * builds, traps it and names it on stderr so that a missing entry is
 * found instead of guessed.  The tables themselves live with their
 * daemons; this file knows none of them.
 */
#ifndef RMB_SANDBOX_H
#define RMB_SANDBOX_H

#include <stddef.h>

#include <seccomp.h>

#define SANDBOX_NITEMS(a)	(sizeof(a) / sizeof((a)[0]))

/* A filter to add rules to; prog names the process in the debug line. */
scmp_filter_ctx	sandbox_new(const char *prog);

/* Allows each of the n calls with any arguments.  0, or -1. */
int		sandbox_allow(scmp_filter_ctx, const int *calls, size_t n);

/*
 * Installs the filter and frees it; rc is what adding the rules
 * returned, so that a failed rule installs nothing.  0, or -1.
 */
int		sandbox_load(scmp_filter_ctx, int rc);

/*
 * sandbox_new with the base every daemon on a libev loop needs
 * (sandbox_base.c): the loop, the descriptors it was given, memory never
 * executable, the clock, signals, randomness and exit.  NULL on failure.
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

#endif
