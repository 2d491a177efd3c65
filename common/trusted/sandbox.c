/* SPDX-License-Identifier: ISC */
#include "sandbox.h"

scmp_filter_ctx
sandbox_new(const char *prog)
{
#ifdef SANDBOX_DEBUG
	if (sandbox_trap(prog) == -1)
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
