/* SPDX-License-Identifier: ISC */
/*
 * Linked by every program that installs a seccomp filter.  In ASan
 * builds (tests only) LeakSanitizer checks at exit by tracing the
 * process, which every filter rightly forbids: it is off.
 */
#if defined(__SANITIZE_ADDRESS__)
const char	*__asan_default_options(void);

const char *
__asan_default_options(void)
{
	return "detect_leaks=0";
}
#else
/* ISO C wants something in a translation unit. */
typedef int	asan_unused;
#endif
