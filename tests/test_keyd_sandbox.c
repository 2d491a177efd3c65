/* SPDX-License-Identifier: ISC */
/*
 * keyd's seccomp filter, the very function rmb-keyd installs: in a forked
 * child, with the filter loaded, each forbidden call must end the process
 * with SIGSYS, and the calls keyd's loop makes must still work.
 */
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/wait.h>

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <unistd.h>

#include <sodium.h>

#include "keyd.h"
#include "tap.h"

static void
do_openat(void)
{
	syscall(SYS_openat, AT_FDCWD, "/etc/passwd", O_RDONLY);
}

static void
do_open_write(void)
{
	syscall(SYS_openat, AT_FDCWD, "/tmp/keyd-must-not-write",
	    O_WRONLY | O_CREAT, 0600);
}

static void
do_socket(void)
{
	syscall(SYS_socket, AF_INET, SOCK_STREAM, 0);
}

static void
do_connect(void)
{
	struct sockaddr_un	sun = { .sun_family = AF_UNIX };

	syscall(SYS_connect, 0, &sun, sizeof(sun));
}

static void
do_execve(void)
{
	char	*argv[] = { (char *)"true", NULL };

	syscall(SYS_execve, "/bin/true", argv, NULL);
}

static void
do_read_other_fd(void)
{
	char	c;

	syscall(SYS_read, 0, &c, 1);
}

static void
do_write_stdout(void)
{
	syscall(SYS_write, 1, "x", 1);
}

static void
do_mmap_exec(void)
{
	syscall(SYS_mmap, NULL, 4096, PROT_READ | PROT_EXEC,
	    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
}

static void
do_fork(void)
{
	syscall(SYS_fork);
}

/* What keyd's loop does: poll, randomness, memory, stderr. */
static void
do_allowed(void)
{
	uint8_t		 buf[32];
	struct pollfd	 pfd = { .fd = 3, .events = POLLIN };
	void		*p;

	randombytes_buf(buf, sizeof(buf));
	poll(&pfd, 1, 0);
	if ((p = malloc(8 << 20)) == NULL)
		_exit(5);
	free(p);
	(void)!write(2, "", 0);
	_exit(0);
}

static int
run(void (*fn)(void))
{
	pid_t	pid;
	int	status;

	fflush(stdout);
	if ((pid = fork()) == -1)
		return -1;
	if (pid == 0) {
		if (keyd_seccomp_install() != 0)
			_exit(3);
		fn();
		_exit(4);	/* survived a call that should have killed */
	}
	waitpid(pid, &status, 0);
	return status;
}

static int
killed_by_sigsys(int status)
{
#ifdef SANDBOX_DEBUG
	/* --enable-sandbox-debug traps, names the call, and exits 1. */
	return WIFEXITED(status) && WEXITSTATUS(status) == 1;
#else
	return WIFSIGNALED(status) && WTERMSIG(status) == SIGSYS;
#endif
}

int
main(void)
{
	static const struct {
		const char	*name;
		void		(*fn)(void);
	} forbidden[] = {
		{ "openat (read)", do_openat },
		{ "openat (create)", do_open_write },
		{ "socket", do_socket },
		{ "connect", do_connect },
		{ "execve", do_execve },
		{ "fork", do_fork },
		{ "read from a descriptor other than the channels", do_read_other_fd },
		{ "write to stdout", do_write_stdout },
		{ "executable mmap", do_mmap_exec },
	};
	size_t	i;
	int	st;

	if (sodium_init() < 0)
		return 1;
	/* Keep the pipes open on 3 so poll has something to look at. */
	for (i = 0; i < sizeof(forbidden) / sizeof(forbidden[0]); i++) {
		st = run(forbidden[i].fn);
		if (!ok(killed_by_sigsys(st), "%s ends keyd with SIGSYS",
		    forbidden[i].name))
			diag("status 0x%x", st);
	}
	st = run(do_allowed);
	ok(WIFEXITED(st) && WEXITSTATUS(st) == 0,
	    "poll, getrandom, malloc/free, write to stderr, exit still work");
	return done_testing();
}
