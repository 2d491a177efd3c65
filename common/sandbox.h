/* SPDX-License-Identifier: ISC */
/*
 * The start of every seccomp allow-list here: kill the process on any
 * call not allowed, or, in --enable-sandbox-debug builds, trap it and
 * name it on stderr so that a missing entry is found instead of guessed.
 */
#ifndef RMB_SANDBOX_H
#define RMB_SANDBOX_H

#include <seccomp.h>

/* A filter to add rules to; prog names the process in the debug line. */
scmp_filter_ctx	sandbox_new(const char *prog);

/*
 * Installs the allow-list of the network daemons (rmb-relay, rmb-netd,
 * rmb-apid), after their start-up.  Returns 0, or -1 (not installed).
 */
int		sandbox_network(const char *prog);

#endif
