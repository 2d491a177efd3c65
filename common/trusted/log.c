/* SPDX-License-Identifier: ISC */
#include <sys/stat.h>

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include "log.h"

static int		 to_journal;	/* stderr is the journal's stream */
static int		 verbose;
static const char	*procname = "rmb";

/*
 * systemd sets JOURNAL_STREAM to "DEV:INODE" of the stream it connects
 * standard error to (sd-daemon(3)).  It is inherited, so it is trusted
 * only while our stderr is still that stream: a process started from a
 * service with its stderr redirected to a file or a terminal keeps the
 * variable but must write plain lines.
 */
static int
stderr_is_journal(void)
{
	const char	*s = getenv("JOURNAL_STREAM");
	char		*end;
	struct stat	 st;
	uintmax_t	 dev, ino;

	if (s == NULL || *s < '0' || *s > '9')
		return 0;
	errno = 0;
	dev = strtoumax(s, &end, 10);
	if (errno != 0 || *end != ':' || end[1] < '0' || end[1] > '9')
		return 0;
	ino = strtoumax(end + 1, &end, 10);
	if (errno != 0 || *end != '\0' || fstat(STDERR_FILENO, &st) == -1)
		return 0;
	return (uintmax_t)st.st_dev == dev && (uintmax_t)st.st_ino == ino;
}

void
log_init(const char *name, int v)
{
	procname = name;
	to_journal = stderr_is_journal();
	verbose = v;
	tzset();
}

/*
 * One write(2) per line, so that lines of several processes sharing the
 * same stderr do not interleave (and no stdio in a sandbox).  journald
 * takes a leading "<N>" as the line's syslog priority, which it otherwise
 * sets to info for every line of the stream.  An errnum of 0 or more
 * adds ": " and its strerror, as warn(3) does.  errno is kept.
 */
void
log_vlog(int pri, int errnum, const char *fmt, va_list ap)
{
	char	buf[1024];
	size_t	n;
	int	saved = errno;

	if (to_journal)
		snprintf(buf, sizeof(buf), "<%d>%s: ", LOG_PRI(pri), procname);
	else
		snprintf(buf, sizeof(buf), "%s: ", procname);
	n = strlen(buf);
	vsnprintf(buf + n, sizeof(buf) - n, fmt, ap);
	n = strlen(buf);
	if (errnum >= 0)
		snprintf(buf + n, sizeof(buf) - n, ": %s", strerror(errnum));
	if ((n = strlen(buf)) > sizeof(buf) - 2)
		n = sizeof(buf) - 2;
	buf[n++] = '\n';
	(void)!write(STDERR_FILENO, buf, n);
	errno = saved;
}

void
log_info(const char *fmt, ...)
{
	LOG_VA(LOG_INFO, -1);
}

void
log_debug(const char *fmt, ...)
{
	if (verbose < 1)
		return;
	LOG_VA(LOG_DEBUG, -1);
}

void
fatal(const char *fmt, ...)
{
	LOG_VA(LOG_CRIT, errno);
	/* _exit: no atexit handlers, which a sandbox might not allow. */
	_exit(1);
}

void
fatalx(const char *fmt, ...)
{
	LOG_VA(LOG_CRIT, -1);
	/* _exit: no atexit handlers, which a sandbox might not allow. */
	_exit(1);
}
