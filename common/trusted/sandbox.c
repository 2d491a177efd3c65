/* SPDX-License-Identifier: ISC */
#include <signal.h>
#include <string.h>
#include <unistd.h>

#include "sandbox.h"

#ifdef SANDBOX_DEBUG
static char	trap_prefix[64];

static void
sigsys(int sig, siginfo_t *si, void *uctx)
{
	char	buf[128], num[12];
	size_t	n = strlen(trap_prefix), k = 0;
	int	nr = si->si_syscall;

	(void)sig;
	(void)uctx;
	memcpy(buf, trap_prefix, n);
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

scmp_filter_ctx
sandbox_new(const char *prog)
{
#ifdef SANDBOX_DEBUG
	struct sigaction	sa;
	size_t			n = strlen(prog);

	if (n > 20)
		n = 20;
	memcpy(trap_prefix, prog, n);
	memcpy(trap_prefix + n, ": sandbox: forbidden system call ",
	    sizeof(": sandbox: forbidden system call "));
	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = sigsys;
	sa.sa_flags = SA_SIGINFO;
	if (sigaction(SIGSYS, &sa, NULL) == -1)
		return NULL;
	return seccomp_init(SCMP_ACT_TRAP);
#else
	(void)prog;
	return seccomp_init(SCMP_ACT_KILL_PROCESS);
#endif
}

int
sandbox_allow(scmp_filter_ctx ctx, const int *calls, size_t n)
{
	size_t	i;
	int	rc = 0;

	for (i = 0; i < n; i++)
		rc |= seccomp_rule_add(ctx, SCMP_ACT_ALLOW, calls[i], 0);
	return rc == 0 ? 0 : -1;
}

int
sandbox_load(scmp_filter_ctx ctx, int rc)
{
	if (rc == 0)
		rc = seccomp_load(ctx);
	seccomp_release(ctx);
	return rc == 0 ? 0 : -1;
}
