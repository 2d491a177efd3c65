/* SPDX-License-Identifier: ISC */
/*
 * common/trusted/log.c on standard error: a syslog priority before each line
 * when stderr is the journal's stream (JOURNAL_STREAM names its device
 * and inode), plain lines otherwise.  Each case is a child whose stderr
 * is a pipe, so that what it wrote can be read back whole.
 */
#include <sys/stat.h>
#include <sys/wait.h>

#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "log.h"
#include "tap.h"

#define OUT_MAX	4096

/*
 * Runs the child's logging with JOURNAL_STREAM set to env (unset if
 * NULL, or the pipe's own device and inode, plus ino_delta, if it is
 * "pipe"); returns what it wrote on stderr, and its exit status.
 */
static const char *
run(const char *env, uintmax_t ino_delta, int *status)
{
	static char	 out[OUT_MAX];
	char		 stream[64];
	struct stat	 st;
	size_t		 len = 0;
	ssize_t		 n;
	pid_t		 pid;
	int		 p[2];

	if (pipe(p) == -1 || fstat(p[1], &st) == -1)
		abort();
	if (env != NULL && strcmp(env, "pipe") == 0) {
		snprintf(stream, sizeof(stream), "%ju:%ju",
		    (uintmax_t)st.st_dev, (uintmax_t)st.st_ino + ino_delta);
		env = stream;
	}
	fflush(stdout);
	if ((pid = fork()) == -1)
		abort();
	if (pid == 0) {
		close(p[0]);
		if (dup2(p[1], STDERR_FILENO) == -1)
			_exit(99);
		if (env != NULL)
			setenv("JOURNAL_STREAM", env, 1);
		else
			unsetenv("JOURNAL_STREAM");
		log_init("test", 1);
		log_warnx("an error");
		errno = ENOENT;
		log_warn("a warning");
		log_info("some news");
		log_debug("a detail");
		fatalx("the end");
	}
	close(p[1]);
	while (len < sizeof(out) - 1 &&
	    (n = read(p[0], out + len, sizeof(out) - 1 - len)) != 0) {
		if (n == -1) {
			if (errno == EINTR)
				continue;
			abort();
		}
		len += (size_t)n;
	}
	out[len] = '\0';
	close(p[0]);
	if (waitpid(pid, status, 0) == -1)
		abort();
	return out;
}

static void
check(const char *name, const char *got, const char *want, int status)
{
	if (!ok(strcmp(got, want) == 0, "%s", name))
		diag("got\n%s# want\n%s", got, want);
	ok(WIFEXITED(status) && WEXITSTATUS(status) == 1,
	    "%s: fatalx exits 1", name);
}

int
main(void)
{
	char		 journal[512], plain[512];
	const char	*got;
	int		 status;

	snprintf(journal, sizeof(journal),
	    "<3>test: an error\n"
	    "<3>test: a warning: %s\n"
	    "<6>test: some news\n"
	    "<7>test: a detail\n"
	    "<2>test: the end\n", strerror(ENOENT));
	snprintf(plain, sizeof(plain),
	    "test: an error\n"
	    "test: a warning: %s\n"
	    "test: some news\n"
	    "test: a detail\n"
	    "test: the end\n", strerror(ENOENT));

	got = run("pipe", 0, &status);
	check("stderr is the journal: priorities, err for warnings, crit "
	    "for fatal", got, journal, status);
	got = run("pipe", 0, &status);
	check("the journal without forcing stderr: still stderr, with "
	    "priorities", got, journal, status);
	got = run("pipe", 1, &status);
	check("another inode (stderr redirected since): plain lines", got,
	    plain, status);
	got = run(NULL, 0, &status);
	check("no JOURNAL_STREAM: plain lines", got, plain, status);
	got = run("", 0, &status);
	check("an empty JOURNAL_STREAM: plain lines", got, plain, status);
	got = run("12:", 0, &status);
	check("a JOURNAL_STREAM without an inode: plain lines", got, plain,
	    status);
	got = run("x:y", 0, &status);
	check("a JOURNAL_STREAM that is not numbers: plain lines", got,
	    plain, status);
	return done_testing();
}
