/* SPDX-License-Identifier: ISC */
/*
 * The bounds on every wait of the tests: harness.c's proc_wait() and
 * proc_stop() on a process that will not end, and tap.h's alarm on a
 * test that hangs (this program run again with "hang"); and what
 * work_dir_done() prints of a failed test's logs.
 */
#include <sys/stat.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "harness.h"
#include "tap.h"

static char	dir[] = "/tmp/rmb-harness-test.XXXXXX";

static double
now_s(void)
{
	struct timespec	ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

/* Whether file holds needle (in its first 4 KiB). */
static int
file_has(const char *file, const char *needle)
{
	char	buf[4096];
	size_t	n;
	FILE	*f;

	if ((f = fopen(file, "r")) == NULL)
		return 0;
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	return strstr(buf, needle) != NULL;
}

static void
test_proc_wait(void)
{
	char	*argv[] = { "/bin/sleep", "1000", NULL };
	pid_t	 pid;
	double	 t0;
	int	 st, r;

	if ((pid = proc_start(argv, NULL)) == -1) {
		ok(0, "sleep 1000 starts");
		return;
	}
	t0 = now_s();
	r = proc_wait(pid, 300, &st);
	ok(r == 0 && now_s() - t0 < 5, "proc_wait on a process that does not "
	    "end gives up after its 300 ms (%d after %.1f s)", r,
	    now_s() - t0);
	kill(pid, SIGKILL);
	r = proc_wait(pid, 5000, &st);
	ok(r == 1 && WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL,
	    "and reaps it once it ends");
	ok(proc_wait(pid, 100, &st) == -1, "a pid already reaped is an error, "
	    "not a wait");
}

static void
test_proc_stop(void)
{
	char	 log[300], err[300];
	char	*argv[] = { "/bin/sh", "-c",
		    "trap '' TERM; echo ready; exec sleep 1000", NULL };
	pid_t	 pid;
	double	 t0, took;
	int	 st, fd, saved;

	snprintf(log, sizeof(log), "%s/stubborn.log", dir);
	snprintf(err, sizeof(err), "%s/stderr", dir);
	if ((pid = proc_start(argv, log)) == -1 ||
	    wait_log(log, "ready", 5000) == -1) {
		ok(0, "a process deaf to SIGTERM starts");
		return;
	}
	/* What proc_stop reports goes to stderr: into a file for a while. */
	fflush(stderr);
	saved = dup(STDERR_FILENO);
	if ((fd = open(err, O_WRONLY | O_CREAT | O_TRUNC, 0600)) == -1 ||
	    dup2(fd, STDERR_FILENO) == -1) {
		ok(0, "stderr to %s", err);
		return;
	}
	close(fd);
	t0 = now_s();
	st = proc_stop(pid, 500);
	took = now_s() - t0;
	fflush(stderr);
	dup2(saved, STDERR_FILENO);
	close(saved);
	ok(st != -1 && WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL,
	    "proc_stop kills a process deaf to SIGTERM (status 0x%x)", st);
	ok(took >= 0.5 && took < 5, "after its 500 ms (%.1f s)", took);
	ok(file_has(err, "did not stop within 500 ms of SIGTERM: killing it"),
	    "and says so on stderr");
	ok(proc_stop(pid, 500) == -1, "stopping it again is an error, not a "
	    "wait");
}

static void
test_alarm(const char *self)
{
	char	 log[300];
	char	*argv[] = { (char *)self, "hang", NULL };
	pid_t	 pid;
	double	 t0;
	int	 st, r;

	snprintf(log, sizeof(log), "%s/hang.log", dir);
	setenv("RMB_TEST_TIMEOUT", "2", 1);
	t0 = now_s();
	pid = proc_start(argv, log);
	unsetenv("RMB_TEST_TIMEOUT");
	if (pid == -1) {
		ok(0, "%s hang starts", self);
		return;
	}
	r = proc_wait(pid, 10000, &st);
	if (r == 0)
		proc_stop(pid, 1000);
	ok(r == 1 && WIFEXITED(st) && WEXITSTATUS(st) == 1,
	    "a test that hangs exits 1 under RMB_TEST_TIMEOUT=2 (%.1f s)",
	    now_s() - t0);
	ok(file_has(log, "\nBail out! timed out after 1 s\n"),
	    "with \"Bail out! timed out after 1 s\" (a tenth off the limit)");
	ok(file_has(log, "ok 1 - about to hang\n"),
	    "what it printed before is in its log");
}

/* A failed test's logs, their last 30 lines each, on stdout; else gone. */
static void
test_work_dir_done(void)
{
	char	 d[320], sub[340], path[400], out[400];
	FILE	*f;
	int	 i, fd, saved;

	snprintf(d, sizeof(d), "%s/work", dir);
	snprintf(sub, sizeof(sub), "%s/node", d);
	if (mkdir(d, 0700) == -1 || mkdir(sub, 0700) == -1) {
		ok(0, "work_dir_done: mkdir: %s", strerror(errno));
		return;
	}
	snprintf(path, sizeof(path), "%s/a.log", d);
	if ((f = fopen(path, "w")) != NULL) {
		for (i = 1; i <= 40; i++)
			fprintf(f, "line %d of a\n", i);
		fclose(f);
	}
	snprintf(path, sizeof(path), "%s/b.log", sub);
	if ((f = fopen(path, "w")) != NULL) {
		fputs("the only line of b", f);
		fclose(f);
	}
	snprintf(path, sizeof(path), "%s/notes.txt", d);
	if ((f = fopen(path, "w")) != NULL) {
		fputs("not a log\n", f);
		fclose(f);
	}
	snprintf(out, sizeof(out), "%s/out", dir);
	fflush(stdout);
	saved = dup(1);
	if ((fd = open(out, O_WRONLY | O_CREAT | O_TRUNC, 0600)) == -1 ||
	    saved == -1 || dup2(fd, 1) == -1) {
		ok(0, "work_dir_done: redirect: %s", strerror(errno));
		return;
	}
	work_dir_done(d, 1);
	fflush(stdout);
	dup2(saved, 1);
	close(saved);
	close(fd);
	ok(file_has(out, "# --- a.log, its last lines:\n#   line 11 of a\n") &&
	    file_has(out, "#   line 40 of a\n") &&
	    !file_has(out, "line 10 of a\n"),
	    "a failed test prints the last 30 lines of its log");
	ok(file_has(out, "# --- node/b.log, its last lines:\n"
	    "#   the only line of b\n"), "and of a log one directory down");
	ok(!file_has(out, "not a log"), "but nothing of other files");
	ok(access(d, F_OK) == 0, "and keeps the directory");
	work_dir_done(d, 0);
	ok(access(d, F_OK) == -1 && errno == ENOENT,
	    "a test that passed removes it");
}

int
main(int argc, char *argv[])
{
	char	self[300];
	ssize_t	n;

	if (argc == 2 && strcmp(argv[1], "hang") == 0) {
		ok(1, "about to hang");
		for (;;)
			pause();
	}
	if (mkdtemp(dir) == NULL) {
		printf("Bail out! mkdtemp: %s\n", strerror(errno));
		return 1;
	}
	if ((n = readlink("/proc/self/exe", self, sizeof(self) - 1)) == -1) {
		printf("Bail out! /proc/self/exe: %s\n", strerror(errno));
		return 1;
	}
	self[n] = '\0';
	test_proc_wait();
	test_proc_stop();
	test_alarm(self);
	test_work_dir_done();
	work_dir_done(dir, tap_failed != 0);
	return done_testing();
}
