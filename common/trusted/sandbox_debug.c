/* SPDX-License-Identifier: ISC */
/*
 * Built only with --enable-sandbox-debug, for a developer looking for a
 * missing entry of a filter: a forbidden call traps here, is named on
 * standard error, and the process exits 1.  Release builds kill the
 * process instead and do not contain this file.
 */
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "sandbox.h"

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

int
sandbox_trap(const char *prog)
{
	struct sigaction	sa;

	snprintf(trap_line, sizeof(trap_line),
	    "%.20s: sandbox: forbidden system call ", prog);
	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = sigsys;
	sa.sa_flags = SA_SIGINFO;
	return sigaction(SIGSYS, &sa, NULL) == -1 ? -1 : 0;
}
