/* SPDX-License-Identifier: ISC */
/*
 * Logging in the OpenBSD way, always to stderr, in the foreground as
 * under systemd (which gives us JOURNAL_STREAM): every program of the
 * bus runs in the foreground.  fatal() and fatalx() are for "cannot
 * continue safely" only.  When stderr is the journal's
 * stream, each line starts with its syslog priority, "<N>": fatal and
 * fatalx are crit (2), log_warn and log_warnx err (3), log_info info (6),
 * log_debug debug (7).
 */
#ifndef RMB_LOG_H
#define RMB_LOG_H

#include <stdarg.h>

#define LOG_PRINTF(a, b)	__attribute__((format(printf, a, b)))

/* Lines start with name.  Called again when a file gives the level. */
void	log_init(const char *name, int verbose);

/* What the functions below write; an errnum of -1 adds no strerror. */
void	log_vlog(int pri, int errnum, const char *, va_list) LOG_PRINTF(3, 0);
/* Their shared body: the arguments after fmt to log_vlog(). */
#define LOG_VA(pri, errnum) do { va_list ap;		\
	va_start(ap, fmt);				\
	log_vlog((pri), (errnum), fmt, ap);		\
	va_end(ap);					\
} while (0)
/* common/net/log_warn.c: rmb-keyd never warns, it answers or ends. */
void	log_warn(const char *, ...) LOG_PRINTF(1, 2);
void	log_warnx(const char *, ...) LOG_PRINTF(1, 2);
void	log_info(const char *, ...) LOG_PRINTF(1, 2);
void	log_debug(const char *, ...) LOG_PRINTF(1, 2);
_Noreturn void	fatal(const char *, ...) LOG_PRINTF(1, 2);
_Noreturn void	fatalx(const char *, ...) LOG_PRINTF(1, 2);

#endif
