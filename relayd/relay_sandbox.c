/* SPDX-License-Identifier: ISC */
/*
 * The relay's seccomp allow-list, installed once the listener, redis and
 * libcurl are set up: the base of the loop daemons; accepting clients;
 * connections to redis, to other relays and to tfchain, with the name
 * lookups they need and libcurl's resolver threads; /proc for /metrics;
 * sd_notify; giving free heap pages back.  Anything else kills the process (SIGSYS).
 */
#include <sys/socket.h>

#include "relay_server.h"
#include "sandbox_base.h"

int
relay_sandbox(void)
{
	static const int	calls[] = {
		/* The listener, bound before this (IP_FREEBIND). */
		SCMP_SYS(accept), SCMP_SYS(accept4),
		/* Outgoing TCP: a non-blocking connect, then send and recv. */
		SCMP_SYS(connect), SCMP_SYS(shutdown),
		SCMP_SYS(getsockopt), SCMP_SYS(setsockopt),
		SCMP_SYS(getsockname), SCMP_SYS(getpeername),
		SCMP_SYS(sendto), SCMP_SYS(recvfrom),
		/* sd_notify's datagram; the interfaces, over netlink. */
		SCMP_SYS(sendmsg), SCMP_SYS(recvmsg),
		/* sd_notify asks who we are before it sends. */
		SCMP_SYS(getuid), SCMP_SYS(geteuid),
		SCMP_SYS(getgid), SCMP_SYS(getegid),
		/* glibc's resolver: both queries at once, over UDP. */
		SCMP_SYS(sendmmsg), SCMP_SYS(uname),
		/* libcurl's resolver thread wakes the loop through these. */
		SCMP_SYS(socketpair), SCMP_SYS(pipe2), SCMP_SYS(eventfd2),
		/* /metrics counts the entries of /proc/self/fd. */
		SCMP_SYS(getdents64),
	};
	/*
	 * TCP; unix for redis and sd_notify.  No netlink: glibc's resolver
	 * then takes every interface as up (AI_ADDRCONFIG), as in netd.
	 */
	static const int	families[] = {
		AF_UNIX, AF_INET, AF_INET6,
	};
	scmp_filter_ctx		ctx;
	int			rc;

	if ((ctx = sandbox_base("rmb-relay")) == NULL)
		return -1;
	rc = sandbox_allow(ctx, calls, SANDBOX_NITEMS(calls));
	rc |= sandbox_allow_sockets(ctx, families, SANDBOX_NITEMS(families));
	/* /metrics reads the descriptor limit, never sets it. */
	rc |= seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(prlimit64), 1,
	    SCMP_A2(SCMP_CMP_EQ, 0));
	/* Names; read-only opens cover CA certificates, /proc/stat. */
	rc |= sandbox_allow_resolver(ctx);
	/* libcurl resolves names in a thread of its own. */
	rc |= sandbox_allow_threads(ctx);
	/* memtrim's free heap pages. */
	rc |= sandbox_allow_trim(ctx);
	return sandbox_load(ctx, rc);
}
