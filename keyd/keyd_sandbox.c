/*
 * keyd's jail and its seccomp allow-list.  The list is the whole of what
 * the loop needs: poll, read from its two channels, write to them and to
 * stderr, memory for malloc, randomness for signing and sealing, and
 * exit.  Anything else kills the process (SIGSYS).
 */
#include <sys/mman.h>

#include <errno.h>
#include <seccomp.h>
#include <signal.h>
#include <string.h>
#include <unistd.h>

#include "imsgtypes.h"
#include "keyd.h"
#include "log.h"
#include "privdrop.h"

#if defined(__SANITIZE_ADDRESS__)
/*
 * ASan builds (tests only): LeakSanitizer checks at exit by tracing the
 * process, which the filter rightly forbids, so it is off in keyd.
 */
const char	*__asan_default_options(void);

const char *
__asan_default_options(void)
{
	return "detect_leaks=0";
}
#endif

void
keyd_jail(const char *dir, const char *user)
{
	privdrop_jail(dir, user);
	privdrop_limits(SIBLING_FILENO + 1);
}

#ifdef SANDBOX_DEBUG
/*
 * --enable-sandbox-debug: a forbidden call traps here and is named on
 * stderr instead of killing silently, to find what a filter lacks.
 */
static void
sigsys(int sig, siginfo_t *si, void *uctx)
{
	char	buf[64] = "rmb-keyd: sandbox: forbidden system call ";
	char	num[12];
	size_t	n = strlen(buf), k = 0;
	int	nr = si->si_syscall;

	(void)sig;
	(void)uctx;
	do {
		num[k++] = (char)('0' + nr % 10);
		nr /= 10;
	} while (nr > 0 && k < sizeof(num));
	while (k > 0)
		buf[n++] = num[--k];
	buf[n++] = '\n';
	(void)!write(STDERR_FILENO, buf, n);
	_exit(1);
}
#endif

int
keyd_seccomp_install(void)
{
	static const int	anyargs[] = {
		SCMP_SYS(poll), SCMP_SYS(ppoll), SCMP_SYS(brk),
		SCMP_SYS(munmap), SCMP_SYS(mremap), SCMP_SYS(madvise),
		SCMP_SYS(getrandom),
		SCMP_SYS(rt_sigreturn), SCMP_SYS(exit), SCMP_SYS(exit_group),
	};
	scmp_filter_ctx		ctx;
	size_t			i;
	int			rc = 0;

#ifdef SANDBOX_DEBUG
	struct sigaction	sa = { .sa_sigaction = sigsys,
				    .sa_flags = SA_SIGINFO };

	if (sigaction(SIGSYS, &sa, NULL) == -1 ||
	    (ctx = seccomp_init(SCMP_ACT_TRAP)) == NULL)
		return -1;
#else
	if ((ctx = seccomp_init(SCMP_ACT_KILL_PROCESS)) == NULL)
		return -1;
#endif
	for (i = 0; i < sizeof(anyargs) / sizeof(anyargs[0]); i++)
		rc |= seccomp_rule_add(ctx, SCMP_ACT_ALLOW, anyargs[i], 0);
	/* Reads only from the channels, writes only to them and stderr. */
	rc |= seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(read), 1,
	    SCMP_A0(SCMP_CMP_EQ, PARENT_FILENO));
	rc |= seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(read), 1,
	    SCMP_A0(SCMP_CMP_EQ, SIBLING_FILENO));
	rc |= seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(write), 1,
	    SCMP_A0(SCMP_CMP_EQ, STDERR_FILENO));
	rc |= seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(write), 1,
	    SCMP_A0(SCMP_CMP_EQ, SIBLING_FILENO));
	rc |= seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(writev), 1,
	    SCMP_A0(SCMP_CMP_EQ, SIBLING_FILENO));
#if defined(__SANITIZE_ADDRESS__)
	/* The ASan runtime tears its signal stack down at exit. */
	rc |= seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(sigaltstack), 0);
#endif
	/* Memory for malloc, never executable. */
	rc |= seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(mmap), 1,
	    SCMP_A2(SCMP_CMP_MASKED_EQ, PROT_EXEC, 0));
	rc |= seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(mprotect), 1,
	    SCMP_A2(SCMP_CMP_MASKED_EQ, PROT_EXEC, 0));
	if (rc == 0)
		rc = seccomp_load(ctx);
	seccomp_release(ctx);
	return rc == 0 ? 0 : -1;
}
