/* SPDX-License-Identifier: ISC */
/*
 * The parent-death signal across the privilege drop: the kernel clears
 * it when the credentials change, and common/trusted/privdrop.c sets it again.
 * A process started as root with the signal, dropped to nobody, ends
 * with its starter; so does rmb-relay started as the tests start it.
 * The test is a subreaper, so that what outlives its starter comes back
 * to it to be reaped.
 */
#include <sys/prctl.h>
#include <sys/wait.h>

#include <errno.h>
#include <poll.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "harness.h"
#include "log.h"
#include "privdrop.h"
#include "relay_client.h"
#include "relay_fixture.h"
#include "tap.h"

#define WAIT_MS	5000

static char	dir[] = "/tmp/rmb-privdrop-test.XXXXXX";

/* Reads exactly n bytes from fd within WAIT_MS.  0 or -1. */
static int
read_within(int fd, void *buf, size_t n)
{
	struct pollfd	pfd = { .fd = fd, .events = POLLIN };
	size_t		off = 0;
	ssize_t		r;

	while (off < n) {
		if (poll(&pfd, 1, WAIT_MS) <= 0)
			return -1;
		if ((r = read(fd, (char *)buf + off, n - off)) <= 0)
			return -1;
		off += (size_t)r;
	}
	return 0;
}

/*
 * Kills starter, then waits for pid, orphaned to us: 1 when it ended
 * by itself (*st set), else 0 and it is killed.
 */
static int
orphan_ends(pid_t starter, pid_t pid, int *st)
{
	int	sst;

	kill(starter, SIGKILL);
	(void)proc_wait(starter, WAIT_MS, &sst);
	if (proc_wait(pid, WAIT_MS, st) == 1)
		return 1;
	kill(pid, SIGKILL);
	(void)proc_wait(pid, WAIT_MS, &sst);
	return 0;
}

/* The grandchild: the signal, the drop, then what it has now. */
static _Noreturn void
dropper(int wfd, pid_t starter)
{
	int	rep[3] = { 0, -1, (int)getpid() };

	if (prctl(PR_SET_PDEATHSIG, SIGTERM) == -1 || getppid() != starter)
		_exit(127);
	privdrop(NULL, "nobody");
	if (prctl(PR_GET_PDEATHSIG, &rep[0]) == -1)
		_exit(127);
	rep[1] = (int)getuid();
	(void)!write(wfd, rep, sizeof(rep));
	for (;;)
		pause();
}

static void
test_drop(void)
{
	struct passwd	*pw;
	pid_t		 starter;
	int		 p[2], rep[3], st;

	if (geteuid() != 0 || (pw = getpwnam("nobody")) == NULL) {
		ok(1, "the signal after a drop # SKIP not root, or no nobody");
		ok(1, "killing the starter # SKIP not root, or no nobody");
		return;
	}
	if (pipe(p) == -1 || (starter = fork()) == -1) {
		ok(0, "pipe and fork");
		return;
	}
	if (starter == 0) {
		close(p[0]);
		if (fork() == 0)
			dropper(p[1], getppid());
		for (;;)
			pause();
	}
	close(p[1]);
	if (read_within(p[0], rep, sizeof(rep)) == -1) {
		ok(0, "the dropped process reports");
		close(p[0]);
		kill(starter, SIGKILL);
		(void)proc_wait(starter, WAIT_MS, &st);
		return;
	}
	close(p[0]);
	ok(rep[0] == SIGTERM && rep[1] == (int)pw->pw_uid,
	    "after privdrop to nobody (uid %d), the parent-death signal "
	    "is still SIGTERM (%d)", rep[1], rep[0]);
	ok(orphan_ends(starter, rep[2], &st) && WIFSIGNALED(st) &&
	    WTERMSIG(st) == SIGTERM, "killing its starter ends it by SIGTERM");
}

/* The starter: rmb-relay as the fixture starts it, then its pid. */
static _Noreturn void
relay_starter(int wfd, const char *bin, int redis_port, const char *twins)
{
	struct relay_proc	 r;
	const char		*opts[] = { "-d", "--twins", twins, "-w", "1",
				    NULL };
	pid_t			 pid = -1;

	if (rf_start(&r, bin, dir, "relay", redis_port, 0, opts, NULL) == 0)
		pid = r.pid;
	(void)!write(wfd, &pid, sizeof(pid));
	for (;;)
		pause();
}

/* The uid a process runs as, from /proc, or -1. */
static int
uid_of(pid_t pid)
{
	char	path[64], line[256];
	FILE	*f;
	int	uid = -1;

	snprintf(path, sizeof(path), "/proc/%ld/status", (long)pid);
	if ((f = fopen(path, "r")) == NULL)
		return -1;
	while (fgets(line, sizeof(line), f) != NULL)
		if (sscanf(line, "Uid: %d", &uid) == 1)
			break;
	fclose(f);
	return uid;
}

static void
test_relay(void)
{
	struct redis_srv	 redis;
	struct rc_twin		 tw;
	const char		*top = getenv("top_builddir");
	char			 bin[512], twins[300];
	pid_t			 starter, relay;
	int			 p[2], st, rv, uid;

	snprintf(bin, sizeof(bin), "%s/relayd/rmb-relay",
	    top != NULL ? top : ".");
	if ((rv = redis_start(&redis)) == -2) {
		ok(1, "rmb-relay ends with its starter # SKIP no redis-server");
		return;
	}
	if (rv == -1) {
		ok(0, "redis-server starts");
		return;
	}
	snprintf(twins, sizeof(twins), "%s/twins.json", dir);
	rc_twin_init(&tw, 1, KEY_SR25519, "r1.test", 1);
	if (rc_twinfile(twins, &tw, 1) == -1 || pipe(p) == -1 ||
	    (starter = fork()) == -1) {
		ok(0, "twin file, pipe and fork");
		redis_stop(&redis);
		return;
	}
	if (starter == 0) {
		close(p[0]);
		relay_starter(p[1], bin, redis.port, twins);
	}
	close(p[1]);
	if (read_within(p[0], &relay, sizeof(relay)) == -1)
		relay = -1;
	close(p[0]);
	if (relay <= 0) {
		ok(0, "rmb-relay starts (see %s/relay.log)", dir);
		kill(starter, SIGKILL);
		(void)proc_wait(starter, WAIT_MS, &st);
		redis_stop(&redis);
		return;
	}
	uid = uid_of(relay);
	ok(orphan_ends(starter, relay, &st), "rmb-relay%s ends when its "
	    "starter is killed (uid %d)", geteuid() == 0 ?
	    ", started as root and run as nobody," : "", uid);
	redis_stop(&redis);
}

int
main(void)
{
	log_init("test_privdrop", 0);
	if (prctl(PR_SET_CHILD_SUBREAPER, 1) == -1) {
		printf("Bail out! PR_SET_CHILD_SUBREAPER: %s\n",
		    strerror(errno));
		return 1;
	}
	if (mkdtemp(dir) == NULL) {
		printf("Bail out! mkdtemp: %s\n", strerror(errno));
		return 1;
	}
	test_drop();
	test_relay();
	work_dir_done(dir, tap_failed != 0);
	return done_testing();
}
