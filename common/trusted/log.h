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

void	log_warn(const char *, ...) LOG_PRINTF(1, 2);
void	log_warnx(const char *, ...) LOG_PRINTF(1, 2);
void	log_info(const char *, ...) LOG_PRINTF(1, 2);
void	log_debug(const char *, ...) LOG_PRINTF(1, 2);
_Noreturn void	fatal(const char *, ...) LOG_PRINTF(1, 2);
_Noreturn void	fatalx(const char *, ...) LOG_PRINTF(1, 2);

#endif
