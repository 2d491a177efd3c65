/* SPDX-License-Identifier: ISC */
/*
 * Logging in the OpenBSD way: stderr in the foreground and under systemd
 * (which gives us JOURNAL_STREAM), syslog otherwise.  fatal() and fatalx()
 * are for "cannot continue safely" only.  When stderr is the journal's
 * stream, each line starts with its syslog priority, "<N>": fatal and
 * fatalx are crit (2), log_warn and log_warnx err (3), log_info info (6),
 * log_debug debug (7).
 */
#ifndef RMB_LOG_H
#define RMB_LOG_H

#include <stdarg.h>

#define LOG_PRINTF(a, b)	__attribute__((format(printf, a, b)))

/* to_stderr: 1 forces stderr, 0 picks stderr under systemd, else syslog. */
void	log_init(int to_stderr, int verbose);
void	log_procinit(const char *name);
void	log_setverbose(int);
int	log_getverbose(void);

void	log_warn(const char *, ...) LOG_PRINTF(1, 2);
void	log_warnx(const char *, ...) LOG_PRINTF(1, 2);
void	log_info(const char *, ...) LOG_PRINTF(1, 2);
void	log_debug(const char *, ...) LOG_PRINTF(1, 2);
_Noreturn void	fatal(const char *, ...) LOG_PRINTF(1, 2);
_Noreturn void	fatalx(const char *, ...) LOG_PRINTF(1, 2);

#endif
