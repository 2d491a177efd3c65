/* SPDX-License-Identifier: ISC */
/*
 * What every daemon on a libev loop needs once its start-up is done, and
 * the argument-checked additions some of them take: sockets of some
 * families, files for reading, threads.  Anything else each daemon lists
 * in its own table, so that none holds a call only another one needs.
 */
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/socket.h>

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <unistd.h>

#include "sandbox_base.h"

static const int base[] = {
	/* The loop: libev's epoll; libraries poll one socket at a time. */
	SCMP_SYS(epoll_wait), SCMP_SYS(epoll_pwait), SCMP_SYS(epoll_ctl),
	SCMP_SYS(poll), SCMP_SYS(ppoll),
	/* Descriptors already open; fcntl for O_NONBLOCK and FD_CLOEXEC. */
	SCMP_SYS(read), SCMP_SYS(readv), SCMP_SYS(write), SCMP_SYS(writev),
	SCMP_SYS(close), SCMP_SYS(fcntl),
	/* The clock, where the vDSO cannot answer. */
	SCMP_SYS(clock_gettime), SCMP_SYS(gettimeofday),
	/* libev's signal watchers, and returning from a handler. */
	SCMP_SYS(rt_sigaction), SCMP_SYS(rt_sigprocmask),
	SCMP_SYS(rt_sigreturn), SCMP_SYS(restart_syscall),
	/* malloc; mmap and mprotect are below, without PROT_EXEC. */
	SCMP_SYS(brk), SCMP_SYS(munmap), SCMP_SYS(mremap),
	/* A pthread_once in libc or a library wakes waiters, even alone. */
	SCMP_SYS(futex),
	/* glibc's qsort sizes its buffer by the machine's memory. */
	SCMP_SYS(sysinfo),
	/* Randomness for libsodium and TLS: keys, nonces, request ids. */
	SCMP_SYS(getrandom),
	SCMP_SYS(exit), SCMP_SYS(exit_group),
	/* abort() signals its own thread: tgkill below, to us only. */
	SCMP_SYS(getpid), SCMP_SYS(gettid),
#if defined(__SANITIZE_ADDRESS__)
	/*
	 * ASan builds (tests only): the runtime's signal stack at exit, and
	 * its allocator, which marks new regions MADV_NOHUGEPAGE.
	 */
	SCMP_SYS(sigaltstack), SCMP_SYS(madvise),
#endif
};

scmp_filter_ctx
sandbox_base(const char *prog)
{
	scmp_filter_ctx	ctx;
	int		rc;

	if ((ctx = sandbox_new(prog)) == NULL)
		return NULL;
	rc = sandbox_allow(ctx, base, SANDBOX_NITEMS(base));
	rc |= seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(tgkill), 1,
	    SCMP_A0(SCMP_CMP_EQ, (scmp_datum_t)getpid()));
	/* Memory, never executable. */
	rc |= seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(mmap), 1,
	    SCMP_A2(SCMP_CMP_MASKED_EQ, PROT_EXEC, 0));
	rc |= seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(mprotect), 1,
	    SCMP_A2(SCMP_CMP_MASKED_EQ, PROT_EXEC, 0));
	if (rc != 0) {
		seccomp_release(ctx);
		return NULL;
	}
	return ctx;
}

int
sandbox_allow_sockets(scmp_filter_ctx ctx, const int *families, size_t n)
{
	size_t	i;
	int	rc = 0, netlink = 0;

	for (i = 0; i < n; i++) {
		rc |= seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(socket), 1,
		    SCMP_A0(SCMP_CMP_EQ, (scmp_datum_t)families[i]));
		if (families[i] == AF_NETLINK)
			netlink = 1;
	}
	if (!netlink)
		rc |= seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EAFNOSUPPORT),
		    SCMP_SYS(socket), 1, SCMP_A0(SCMP_CMP_EQ, AF_NETLINK));
	return rc == 0 ? 0 : -1;
}

int
sandbox_allow_rdonly(scmp_filter_ctx ctx)
{
	/* stdio reading a file: its size, and a rewind. */
	static const int	calls[] = {
		SCMP_SYS(fstat), SCMP_SYS(newfstatat), SCMP_SYS(lseek),
	};
	int			rc;

	rc = sandbox_allow(ctx, calls, SANDBOX_NITEMS(calls));
	rc |= seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(openat), 1,
	    SCMP_A2(SCMP_CMP_MASKED_EQ, O_ACCMODE | O_CREAT | O_TRUNC,
	    O_RDONLY));
	rc |= seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(open), 1,
	    SCMP_A1(SCMP_CMP_MASKED_EQ, O_ACCMODE | O_CREAT | O_TRUNC,
	    O_RDONLY));
	return rc == 0 ? 0 : -1;
}

int
sandbox_allow_resolver(scmp_filter_ctx ctx)
{
	/* glibc's resolver asks how big the answer waiting is, nothing else. */
	if (seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(ioctl), 1,
	    SCMP_A1(SCMP_CMP_EQ, FIONREAD)) != 0)
		return -1;
	/* Its files: hosts, resolv.conf, nsswitch.conf. */
	return sandbox_allow_rdonly(ctx);
}

int
sandbox_allow_threads(scmp_filter_ctx ctx)
{
	/* What glibc's threads do as they start and end, besides clone. */
	static const int	calls[] = {
		SCMP_SYS(set_robust_list), SCMP_SYS(rseq), SCMP_SYS(madvise),
#if defined(__SANITIZE_ADDRESS__)
		/* ASan reads a new thread's attributes, its CPUs among them. */
		SCMP_SYS(sched_getaffinity),
#endif
	};
	int			rc;

	/* A thread started before the filter gets it too. */
	rc = seccomp_attr_set(ctx, SCMP_FLTATR_CTL_TSYNC, 1);
	rc |= sandbox_allow(ctx, calls, SANDBOX_NITEMS(calls));
	/*
	 * clone3's flags sit behind a pointer the filter cannot read, so it
	 * fails and glibc falls back to clone, whose flags it can: a thread
	 * shares the address space and cannot be a new process.
	 */
	rc |= seccomp_rule_add(ctx, SCMP_ACT_ERRNO(ENOSYS), SCMP_SYS(clone3),
	    0);
	rc |= seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(clone), 1,
	    SCMP_A0(SCMP_CMP_MASKED_EQ, CLONE_THREAD, CLONE_THREAD));
	return rc == 0 ? 0 : -1;
}

int
sandbox_allow_trim(scmp_filter_ctx ctx)
{
#if defined(__SANITIZE_ADDRESS__)
	/* The base list allows every madvise for ASan's allocator. */
	(void)ctx;
	return 0;
#else
	return seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(madvise), 1,
	    SCMP_A2(SCMP_CMP_EQ, MADV_DONTNEED)) == 0 ? 0 : -1;
#endif
}
