/* SPDX-License-Identifier: ISC */
/*
 * The pieces every seccomp allow-list here is made of: a filter that
 * kills the process on any call not allowed, or, in --enable-sandbox-debug
 * builds, traps it and names it on stderr so that a missing entry is
 * found instead of guessed.  The tables themselves live with their
 * daemons; this file knows none of them.  What only the daemons on a
 * libev loop add is in common/net/sandbox_base.h.
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

/* sandbox_debug.c, in --enable-sandbox-debug builds: SIGSYS names the call. */
int		sandbox_trap(const char *prog);

#endif
