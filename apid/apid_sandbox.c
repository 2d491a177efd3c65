/* SPDX-License-Identifier: ISC */
/*
 * rmb-apid's seccomp allow-list, installed once redis is being connected
 * to: the base of the loop daemons, and what it takes to connect to
 * redis again after a loss, over TCP or a unix socket, by name or by
 * address.  It serves nobody and runs no thread: no bind, listen,
 * accept or clone.  Anything else kills the process (SIGSYS).
 */
#include <sys/socket.h>

#include "apid.h"
#include "sandbox_base.h"

int
apid_sandbox(void)
{
	static const int	calls[] = {
		/* hiredis: a non-blocking connect, TCP_NODELAY, keep-alive. */
		SCMP_SYS(connect), SCMP_SYS(getsockopt), SCMP_SYS(setsockopt),
		/*
		 * glibc's resolver, for a redis host given by name: queries
		 * over UDP, and the source address for each address it sorts.
		 */
		SCMP_SYS(sendto), SCMP_SYS(sendmmsg), SCMP_SYS(recvfrom),
		SCMP_SYS(getsockname), SCMP_SYS(uname),
	};
	static const int	families[] = { AF_UNIX, AF_INET, AF_INET6 };
	scmp_filter_ctx		ctx;
	int			rc;

	if ((ctx = sandbox_base("rmb-apid")) == NULL)
		return -1;
	rc = sandbox_allow(ctx, calls, SANDBOX_NITEMS(calls));
	rc |= sandbox_allow_sockets(ctx, families, SANDBOX_NITEMS(families));
	/* The redis host's name. */
	rc |= sandbox_allow_resolver(ctx);
	/* memtrim's free heap pages. */
	rc |= sandbox_allow_trim(ctx);
	return sandbox_load(ctx, rc);
}
