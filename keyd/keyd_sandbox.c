/* SPDX-License-Identifier: ISC */
/*
 * keyd's jail and its seccomp allow-list.  The list is the whole of what
 * the loop needs: poll, read from its two channels, write to netd's and
 * to stderr, memory for malloc, randomness for signing and sealing, the
 * wall clock for tokens, and exit.  Anything else kills the process
 * (SIGSYS).
 */
#include <sys/mman.h>
#include <sys/resource.h>

#include <time.h>
#include <unistd.h>

#include "ipc_types.h"
#include "keyd.h"
#include "log.h"
#include "privdrop.h"
#include "sandbox.h"

/*
 * The jail, the user, then only the channels and stderr, and no more
 * descriptors.  No RLIMIT_FSIZE of 0: stderr may be a file an operator
 * redirected to, and a log line would then kill us with SIGXFSZ; the
 * jail and the filter already keep us from opening anything.
 */
void
keyd_jail(const char *dir, const char *user)
{
	struct rlimit	nofile = { SIBLING_FILENO + 1, SIBLING_FILENO + 1 };
	int		fd;

	if (geteuid() == 0 && dir == NULL)
		fatalx("running as root needs a jail directory");
	privdrop(dir, user);
	privdrop_harden();
	if (close_range(SIBLING_FILENO + 1, ~0U, 0) == -1) {
		/* Older kernels: close what may be open, one by one. */
		for (fd = SIBLING_FILENO + 1; fd < 1024; fd++)
			(void)close(fd);
	}
	if (setrlimit(RLIMIT_NOFILE, &nofile) == -1)
		fatal("RLIMIT_NOFILE");
}

int
keyd_seccomp_install(void)
{
	static const int	anyargs[] = {
		SCMP_SYS(poll), SCMP_SYS(ppoll), SCMP_SYS(brk),
		SCMP_SYS(munmap), SCMP_SYS(mremap), SCMP_SYS(madvise),
		SCMP_SYS(getrandom),
		SCMP_SYS(rt_sigreturn), SCMP_SYS(exit), SCMP_SYS(exit_group),
#if defined(__SANITIZE_ADDRESS__)
		/* The ASan runtime tears its signal stack down at exit. */
		SCMP_SYS(sigaltstack),
#endif
	};
	scmp_filter_ctx		ctx;
	int			rc;

	if ((ctx = sandbox_new("rmb-keyd")) == NULL)
		return -1;
	rc = sandbox_allow(ctx, anyargs, SANDBOX_NITEMS(anyargs));
	/* Reads only from the channels, writes only to netd's and stderr. */
	rc |= seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(read), 1,
	    SCMP_A0(SCMP_CMP_EQ, PARENT_FILENO));
	rc |= seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(read), 1,
	    SCMP_A0(SCMP_CMP_EQ, SIBLING_FILENO));
	rc |= seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(write), 1,
	    SCMP_A0(SCMP_CMP_EQ, STDERR_FILENO));
	rc |= seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(write), 1,
	    SCMP_A0(SCMP_CMP_EQ, SIBLING_FILENO));
	/*
	 * The wall clock for a token's issue time.  The vDSO answers without
	 * a system call, except where the kernel's clock source cannot be
	 * read from user space; 32-bit systems call the 64-bit variant.
	 */
	rc |= seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(clock_gettime), 1,
	    SCMP_A0(SCMP_CMP_EQ, CLOCK_REALTIME));
	rc |= seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(clock_gettime64),
	    1, SCMP_A0(SCMP_CMP_EQ, CLOCK_REALTIME));
	/* Memory for malloc, never executable. */
	rc |= seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(mmap), 1,
	    SCMP_A2(SCMP_CMP_MASKED_EQ, PROT_EXEC, 0));
	rc |= seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(mprotect), 1,
	    SCMP_A2(SCMP_CMP_MASKED_EQ, PROT_EXEC, 0));
	return sandbox_load(ctx, rc);
}
