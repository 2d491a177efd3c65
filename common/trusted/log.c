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

static int		 use_stderr = 1;
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
	const char		*s = getenv("JOURNAL_STREAM");
	char			*end;
	struct stat		 st;
	uintmax_t		 dev, ino;

	if (s == NULL || *s < '0' || *s > '9')
		return 0;
	errno = 0;
	dev = strtoumax(s, &end, 10);
	if (errno != 0 || *end != ':' || end[1] < '0' || end[1] > '9')
		return 0;
	ino = strtoumax(end + 1, &end, 10);
	if (errno != 0 || *end != '\0')
		return 0;
	if (fstat(STDERR_FILENO, &st) == -1)
		return 0;
	return (uintmax_t)st.st_dev == dev && (uintmax_t)st.st_ino == ino;
}

void
log_init(int to_stderr, int v)
{
	use_stderr = to_stderr || getenv("JOURNAL_STREAM") != NULL;
	to_journal = use_stderr && stderr_is_journal();
	verbose = v;
	if (!use_stderr)
		openlog(procname, LOG_PID | LOG_NDELAY, LOG_DAEMON);
	tzset();
}

void
log_procinit(const char *name)
{
	if (name != NULL)
		procname = name;
}

void
log_setverbose(int v)
{
	verbose = v;
}

int
log_getverbose(void)
{
	return verbose;
}

void
vlog(int pri, const char *fmt, va_list ap)
{
	char	buf[1024];
	int	n, m;

	if (!use_stderr) {
		vsyslog(pri, fmt, ap);
		return;
	}
	/* One write(2) per line, so that lines of several processes sharing
	 * the same stderr do not interleave (and no stdio in a sandbox).
	 * journald takes a leading "<N>" as the line's syslog priority, which
	 * it otherwise sets to info for every line of the stream. */
	if (to_journal)
		n = snprintf(buf, sizeof(buf), "<%d>%s: ", LOG_PRI(pri),
		    procname);
	else
		n = snprintf(buf, sizeof(buf), "%s: ", procname);
	if (n < 0)
		return;
	m = vsnprintf(buf + n, sizeof(buf) - (size_t)n - 1, fmt, ap);
	if (m < 0)
		return;
	n += m;
	if ((size_t)n > sizeof(buf) - 2)
		n = sizeof(buf) - 2;
	buf[n++] = '\n';
	(void)!write(STDERR_FILENO, buf, (size_t)n);
}

static void LOG_PRINTF(2, 3)
logit(int pri, const char *fmt, ...)
{
	va_list	ap;

	va_start(ap, fmt);
	vlog(pri, fmt, ap);
	va_end(ap);
}

/* The message, then ": " and strerror(errno), as warn(3) does. */
static void LOG_PRINTF(2, 0)
vwarn_errno(int pri, const char *fmt, va_list ap)
{
	char	msg[768];
	int	saved = errno;

	vsnprintf(msg, sizeof(msg), fmt, ap);
	logit(pri, "%s: %s", msg, strerror(saved));
	errno = saved;
}

void
log_warn(const char *fmt, ...)
{
	va_list	ap;

	va_start(ap, fmt);
	vwarn_errno(LOG_ERR, fmt, ap);
	va_end(ap);
}

void
log_warnx(const char *fmt, ...)
{
	va_list	ap;

	va_start(ap, fmt);
	vlog(LOG_ERR, fmt, ap);
	va_end(ap);
}

void
log_info(const char *fmt, ...)
{
	va_list	ap;

	va_start(ap, fmt);
	vlog(LOG_INFO, fmt, ap);
	va_end(ap);
}

void
log_debug(const char *fmt, ...)
{
	va_list	ap;

	if (verbose < 1)
		return;
	va_start(ap, fmt);
	vlog(LOG_DEBUG, fmt, ap);
	va_end(ap);
}

void
fatal(const char *fmt, ...)
{
	va_list	ap;

	va_start(ap, fmt);
	vwarn_errno(LOG_CRIT, fmt, ap);
	va_end(ap);
	/* _exit: no atexit handlers, which a sandbox might not allow. */
	_exit(1);
}

void
fatalx(const char *fmt, ...)
{
	va_list	ap;

	va_start(ap, fmt);
	vlog(LOG_CRIT, fmt, ap);
	va_end(ap);
	/* _exit: no atexit handlers, which a sandbox might not allow. */
	_exit(1);
}

int
errf(char *err, size_t errlen, const char *fmt, ...)
{
	va_list	ap;

	if (err != NULL && errlen > 0) {
		va_start(ap, fmt);
		vsnprintf(err, errlen, fmt, ap);
		va_end(ap);
	}
	return -1;
}
