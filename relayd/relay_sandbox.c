/* SPDX-License-Identifier: ISC */
/*
 * The relay's seccomp allow-list, installed once the listener, redis and
 * libcurl are set up: common/sandbox.c's list for the network daemons.
 */
#include "log.h"
#include "relayd.h"
#include "sandbox.h"

#if defined(__SANITIZE_ADDRESS__)
const char	*__asan_default_options(void);

/* LeakSanitizer traces the process at exit, which the filter forbids. */
const char *
__asan_default_options(void)
{
	return "detect_leaks=0";
}
#endif

void
relay_sandbox(const struct relay *r)
{
	(void)r;
	if (sandbox_network("rmb-relay") == -1)
		fatalx("seccomp: cannot install the filter");
}
