/* SPDX-License-Identifier: ISC */
#include <sys/mman.h>

#include <errno.h>
#include <fcntl.h>
#include <sched.h>

#include "sandbox.h"

/*
 * The allow-list of the daemons on a libev loop that speak to the network
 * (rmb-relay, rmb-netd, rmb-apid): sockets, reading files (name
 * resolution, TLS certificates, /proc), threads for libcurl's resolver,
 * memory never executable.  No exec, fork, ptrace, mount, file writes or
 * privilege changes.
 */
static const int net_allowed[] = {
	/* the loop */
	SCMP_SYS(epoll_wait), SCMP_SYS(epoll_pwait), SCMP_SYS(epoll_ctl),
	SCMP_SYS(epoll_create1), SCMP_SYS(poll), SCMP_SYS(ppoll),
	SCMP_SYS(clock_gettime), SCMP_SYS(clock_nanosleep),
	SCMP_SYS(nanosleep), SCMP_SYS(gettimeofday), SCMP_SYS(time),
	SCMP_SYS(eventfd2), SCMP_SYS(rt_sigprocmask), SCMP_SYS(rt_sigreturn),
	SCMP_SYS(rt_sigaction), SCMP_SYS(getpid), SCMP_SYS(gettid),
	SCMP_SYS(tgkill), SCMP_SYS(sched_yield), SCMP_SYS(futex),
	/* sockets */
	SCMP_SYS(accept4), SCMP_SYS(accept), SCMP_SYS(socket),
	SCMP_SYS(connect), SCMP_SYS(bind), SCMP_SYS(getsockname),
	SCMP_SYS(getpeername), SCMP_SYS(setsockopt), SCMP_SYS(getsockopt),
	SCMP_SYS(shutdown), SCMP_SYS(recvfrom), SCMP_SYS(recvmsg),
	SCMP_SYS(sendto), SCMP_SYS(sendmsg), SCMP_SYS(sendmmsg),
	SCMP_SYS(socketpair), SCMP_SYS(pipe2),
	/* descriptors */
	SCMP_SYS(read), SCMP_SYS(readv), SCMP_SYS(write), SCMP_SYS(writev),
	SCMP_SYS(close), SCMP_SYS(fcntl), SCMP_SYS(ioctl), SCMP_SYS(lseek),
	SCMP_SYS(fstat), SCMP_SYS(newfstatat), SCMP_SYS(statx),
	SCMP_SYS(getdents64), SCMP_SYS(dup), SCMP_SYS(dup3),
	/* name resolution and TLS read their configuration; /proc */
	SCMP_SYS(access), SCMP_SYS(faccessat), SCMP_SYS(faccessat2),
	SCMP_SYS(readlink), SCMP_SYS(uname), SCMP_SYS(sysinfo),
	SCMP_SYS(getrlimit), SCMP_SYS(prlimit64), SCMP_SYS(getuid),
	SCMP_SYS(geteuid), SCMP_SYS(getgid), SCMP_SYS(getegid),
	/* libcurl's resolver thread */
	SCMP_SYS(set_robust_list), SCMP_SYS(rseq),
	SCMP_SYS(madvise), SCMP_SYS(membarrier),
	/* memory */
	SCMP_SYS(brk), SCMP_SYS(munmap), SCMP_SYS(mremap),
	SCMP_SYS(getrandom),
	SCMP_SYS(exit), SCMP_SYS(exit_group), SCMP_SYS(restart_syscall),
#if defined(__SANITIZE_ADDRESS__)
	SCMP_SYS(sigaltstack),
#endif
};

int
sandbox_network(const char *prog)
{
	scmp_filter_ctx	ctx;
	size_t		i;
	int		rc = 0;

	if ((ctx = sandbox_new(prog)) == NULL)
		return -1;
	for (i = 0; i < sizeof(net_allowed) / sizeof(net_allowed[0]); i++)
		rc |= seccomp_rule_add(ctx, SCMP_ACT_ALLOW, net_allowed[i], 0);
	/* Files only for reading: resolv.conf, hosts, CA certificates, /proc. */
	rc |= seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(openat), 1,
	    SCMP_A2(SCMP_CMP_MASKED_EQ, O_ACCMODE | O_CREAT | O_TRUNC,
	    O_RDONLY));
	rc |= seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(open), 1,
	    SCMP_A1(SCMP_CMP_MASKED_EQ, O_ACCMODE | O_CREAT | O_TRUNC,
	    O_RDONLY));
	/*
	 * Only threads, never a new process: clone3's flags sit behind a
	 * pointer the filter cannot read, so it fails and glibc falls back
	 * to clone, whose flags it can.
	 */
	rc |= seccomp_rule_add(ctx, SCMP_ACT_ERRNO(ENOSYS), SCMP_SYS(clone3),
	    0);
	rc |= seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(clone), 1,
	    SCMP_A0(SCMP_CMP_MASKED_EQ, CLONE_THREAD, CLONE_THREAD));
	/* Memory, never executable. */
	rc |= seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(mmap), 1,
	    SCMP_A2(SCMP_CMP_MASKED_EQ, PROT_EXEC, 0));
	rc |= seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(mprotect), 1,
	    SCMP_A2(SCMP_CMP_MASKED_EQ, PROT_EXEC, 0));
	if (rc == 0)
		rc = seccomp_load(ctx);
	seccomp_release(ctx);
	return rc == 0 ? 0 : -1;
}
