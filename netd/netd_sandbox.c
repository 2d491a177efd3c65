/* SPDX-License-Identifier: ISC */
/*
 * rmb-netd's seccomp allow-list, installed before the first relay
 * connection: the base of the loop daemons, outgoing connections
 * (relays through libwebsockets, tfchain through libcurl) with the name
 * lookups they need, and the threads of libcurl's resolver.  It serves
 * nobody: no bind, listen or accept.  Anything else kills the process
 * (SIGSYS).
 */
#include <sys/socket.h>

#include "netd.h"
#include "sandbox_base.h"

int
netd_sandbox(void)
{
	static const int	calls[] = {
		/* Outgoing TCP: a non-blocking connect, then send and recv. */
		SCMP_SYS(connect), SCMP_SYS(shutdown),
		SCMP_SYS(getsockopt), SCMP_SYS(setsockopt),
		SCMP_SYS(getsockname), SCMP_SYS(getpeername),
		SCMP_SYS(sendto), SCMP_SYS(recvfrom),
		/* glibc's resolver: both queries at once, over UDP. */
		SCMP_SYS(sendmmsg), SCMP_SYS(uname),
		/* libcurl's resolver thread wakes the loop through these. */
		SCMP_SYS(socketpair), SCMP_SYS(pipe2), SCMP_SYS(eventfd2),
	};
	/* TCP; unix for glibc's try of nscd. */
	static const int	families[] = { AF_UNIX, AF_INET, AF_INET6 };
	scmp_filter_ctx		ctx;
	int			rc;

	if ((ctx = sandbox_base("rmb-netd")) == NULL)
		return -1;
	rc = sandbox_allow(ctx, calls, SANDBOX_NITEMS(calls));
	rc |= sandbox_allow_sockets(ctx, families, SANDBOX_NITEMS(families));
	/* Relay and chain names; read-only opens cover the CA bundle. */
	rc |= sandbox_allow_resolver(ctx);
	/* libcurl resolves a chain node's name in a thread of its own. */
	rc |= sandbox_allow_threads(ctx);
	/* memtrim's free heap pages. */
	rc |= sandbox_allow_trim(ctx);
	return sandbox_load(ctx, rc);
}
