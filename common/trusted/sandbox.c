/* SPDX-License-Identifier: ISC */
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "sandbox.h"

#ifdef SANDBOX_DEBUG
static char	trap_line[64];	/* "prog: sandbox: forbidden system call " */

/* Names the call in one write(2), and no stdio: a signal handler. */
static void
sigsys(int sig, siginfo_t *si, void *uctx)
{
	char	buf[sizeof(trap_line) + 12], num[11];
	size_t	n = strlen(trap_line), k = 0;
	int	nr = si->si_syscall;

	(void)sig;
	(void)uctx;
	memcpy(buf, trap_line, n);
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

	snprintf(trap_line, sizeof(trap_line),
	    "%.20s: sandbox: forbidden system call ", prog);
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
