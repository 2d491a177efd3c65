/* SPDX-License-Identifier: ISC */
/*
 * The seccomp tables of rmb-apid, rmb-netd and rmb-relay, the very
 * functions the daemons install: in a forked child, with one table
 * loaded, each call that daemon has no business making must end the
 * child with SIGSYS, and the calls its loop makes must still work.
 * apid and netd serve nobody and must not bind, listen or accept; apid
 * runs no thread; the relay does all of these.
 */
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/utsname.h>
#include <sys/wait.h>

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <arpa/inet.h>

#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sodium.h>

#include "apid.h"
#include "netd.h"
#include "relay_server.h"
#include "tap.h"

#define NITEMS(a)	(sizeof(a) / sizeof((a)[0]))

/*
 * Made before the forks: a TCP and a unix listener to connect to, and a
 * UDP socket to send queries to.
 */
static struct sockaddr_in	tcp_addr, udp_addr;
static struct sockaddr_un	unix_addr;
static int			tcp_lfd = -1, unix_lfd = -1, udp_fd = -1;

static void
do_bind(void)
{
	struct sockaddr_in	sin = { .sin_family = AF_INET };
	int			fd;

	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if ((fd = socket(AF_INET, SOCK_STREAM, 0)) == -1)
		_exit(5);
	if (bind(fd, (struct sockaddr *)&sin, sizeof(sin)) == -1)
		_exit(6);
}

static void
do_listen(void)
{
	syscall(SYS_listen, tcp_lfd, 1);
}

static void
do_accept4(void)
{
	syscall(SYS_accept4, tcp_lfd, NULL, NULL, SOCK_NONBLOCK);
}

static void
do_accept(void)
{
	syscall(SYS_accept, tcp_lfd, NULL, NULL);
}

static void *
thread_main(void *arg)
{
	struct addrinfo	 hints, *res;

	/* As libcurl's resolver does, a name looked up in a thread. */
	memset(&hints, 0, sizeof(hints));
	hints.ai_socktype = SOCK_STREAM;
	if (getaddrinfo("localhost", "80", &hints, &res) != 0)
		return NULL;
	freeaddrinfo(res);
	return arg;
}

static void
do_thread(void)
{
	static int	 token;
	pthread_t	 t;
	void		*rv = NULL;

	if (pthread_create(&t, NULL, thread_main, &token) != 0 ||
	    pthread_join(t, &rv) != 0)
		_exit(5);
	if (rv != &token)
		_exit(6);
}

static void
do_fork(void)
{
	syscall(SYS_fork);
}

static void
do_clone_process(void)
{
	/* fork() as glibc makes it: clone without CLONE_THREAD. */
	syscall(SYS_clone, SIGCHLD, NULL, NULL, NULL, 0);
}

static void
do_execve(void)
{
	char	*argv[] = { (char *)"true", NULL };

	syscall(SYS_execve, "/bin/true", argv, NULL);
}

static void
do_open_write(void)
{
	syscall(SYS_openat, AT_FDCWD, "/tmp/rmb-sandbox-must-not-write",
	    O_WRONLY | O_CREAT, 0600);
}

static void
do_mmap_exec(void)
{
	syscall(SYS_mmap, NULL, 4096, PROT_READ | PROT_EXEC,
	    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
}

static void
do_kill_other(void)
{
	syscall(SYS_kill, getppid(), 0);
}

static void
do_setrlimit(void)
{
	struct rlimit	rl = { 64, 64 };

	setrlimit(RLIMIT_NOFILE, &rl);
}

static void
do_packet_socket(void)
{
	syscall(SYS_socket, AF_PACKET, SOCK_RAW, 0);
}

/* Refused without killing: glibc then does without it (sandbox.h). */
static void
do_netlink_refused(void)
{
	if (socket(AF_NETLINK, SOCK_RAW, 0) != -1 || errno != EAFNOSUPPORT)
		_exit(5);
}

/*
 * The calls glibc's resolver makes besides reading its files, made
 * directly since a test has no name server and no names of its own: a
 * query over UDP and its answer, and, before it sorts several
 * addresses, a connect to learn the source address for each.
 */
static void
do_resolver(void)
{
	struct mmsghdr		 mm[2];
	struct iovec		 iov = { (void *)"query", 5 };
	struct utsname		 un;
	struct sockaddr_in	 sin;
	socklen_t		 len = sizeof(sin);
	char			 buf[64];
	int			 fd, on = 1, avail;

	if (uname(&un) == -1 ||
	    (fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK, 0)) == -1 ||
	    setsockopt(fd, IPPROTO_IP, IP_RECVERR, &on, sizeof(on)) == -1 ||
	    connect(fd, (struct sockaddr *)&udp_addr, sizeof(udp_addr)) == -1 ||
	    getsockname(fd, (struct sockaddr *)&sin, &len) == -1)
		_exit(5);
	memset(mm, 0, sizeof(mm));
	mm[0].msg_hdr.msg_iov = mm[1].msg_hdr.msg_iov = &iov;
	mm[0].msg_hdr.msg_iovlen = mm[1].msg_hdr.msg_iovlen = 1;
	if (sendmmsg(fd, mm, 2, MSG_NOSIGNAL) == -1 ||
	    send(fd, "query", 5, MSG_NOSIGNAL) == -1 ||
	    ioctl(fd, FIONREAD, &avail) == -1)
		_exit(6);
	(void)recvfrom(fd, buf, sizeof(buf), 0, NULL, NULL);
	close(fd);
}

static void
do_socketpair(void)
{
	int	sv[2];

	syscall(SYS_socketpair, AF_UNIX, SOCK_STREAM, 0, sv);
}

/*
 * A client as hiredis and libwebsockets make one: a non-blocking TCP
 * connect by name, its options and its error, a few bytes; and a unix
 * socket, as for redis.
 */
static void
do_client(void)
{
	struct addrinfo	 hints, *res;
	struct pollfd	 pfd;
	socklen_t	 len = sizeof(int);
	uint8_t		 buf[32];
	void		*p;
	int		 fd, ufd, on = 1, err = -1;

	/* AI_ADDRCONFIG: glibc lists the interfaces first, over netlink. */
	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_INET;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_ADDRCONFIG;
	if (getaddrinfo("localhost", NULL, &hints, &res) != 0)
		_exit(10);
	((struct sockaddr_in *)res->ai_addr)->sin_port = tcp_addr.sin_port;
	if ((fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0)) == -1 ||
	    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &on, sizeof(on)) == -1)
		_exit(11);
	if (connect(fd, res->ai_addr, res->ai_addrlen) == -1 &&
	    errno != EINPROGRESS)
		_exit(12);
	freeaddrinfo(res);
	pfd.fd = fd;
	pfd.events = POLLOUT;
	if (poll(&pfd, 1, 5000) != 1 ||
	    getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) == -1 ||
	    err != 0 || write(fd, "ping", 4) != 4)
		_exit(13);
	close(fd);
	if ((ufd = socket(AF_UNIX, SOCK_STREAM, 0)) == -1 ||
	    connect(ufd, (struct sockaddr *)&unix_addr, sizeof(unix_addr)) ==
	    -1)
		_exit(14);
	close(ufd);
	randombytes_buf(buf, sizeof(buf));
	if ((p = malloc(8 << 20)) == NULL)
		_exit(15);
	free(p);
}

static int
run(int (*install)(void), void (*fn)(void))
{
	pid_t	pid;
	int	status;

	fflush(stdout);
	if ((pid = fork()) == -1)
		return -1;
	if (pid == 0) {
		if (install() != 0)
			_exit(3);
		fn();
		_exit(0);
	}
	if (waitpid(pid, &status, 0) == -1)
		return -1;
	return status;
}

static int
killed_by_sigsys(int status)
{
#ifdef SANDBOX_DEBUG
	/*
	 * --enable-sandbox-debug traps, names the call, and exits 1; but
	 * pthread_create blocks every signal around clone3, and a trap
	 * that cannot be delivered kills as the release build does.
	 */
	return (WIFEXITED(status) && WEXITSTATUS(status) == 1) ||
	    (WIFSIGNALED(status) && WTERMSIG(status) == SIGSYS);
#else
	return WIFSIGNALED(status) && WTERMSIG(status) == SIGSYS;
#endif
}

struct call {
	const char	*name;
	void		(*fn)(void);
};

static const struct call	common_forbidden[] = {
	{ "fork", do_fork },
	{ "clone of a process", do_clone_process },
	{ "execve", do_execve },
	{ "openat to write", do_open_write },
	{ "executable mmap", do_mmap_exec },
	{ "kill of another process", do_kill_other },
	{ "setrlimit", do_setrlimit },
	{ "a packet socket", do_packet_socket },
};

static void
check(const char *daemon, int (*install)(void), const struct call *forbid,
    size_t nforbid, const struct call *allow, size_t nallow)
{
	size_t	i;
	int	st;

	for (i = 0; i < NITEMS(common_forbidden); i++) {
		st = run(install, common_forbidden[i].fn);
		if (!ok(killed_by_sigsys(st), "%s: %s ends it with SIGSYS",
		    daemon, common_forbidden[i].name))
			diag("status 0x%x", st);
	}
	for (i = 0; i < nforbid; i++) {
		st = run(install, forbid[i].fn);
		if (!ok(killed_by_sigsys(st), "%s: %s ends it with SIGSYS",
		    daemon, forbid[i].name))
			diag("status 0x%x", st);
	}
	for (i = 0; i < nallow; i++) {
		st = run(install, allow[i].fn);
		if (!ok(WIFEXITED(st) && WEXITSTATUS(st) == 0, "%s: %s still "
		    "works", daemon, allow[i].name))
			diag("status 0x%x", st);
	}
}

static int
listeners(void)
{
	socklen_t	len = sizeof(tcp_addr);

	memset(&tcp_addr, 0, sizeof(tcp_addr));
	tcp_addr.sin_family = AF_INET;
	tcp_addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if ((tcp_lfd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0)) ==
	    -1 || bind(tcp_lfd, (struct sockaddr *)&tcp_addr,
	    sizeof(tcp_addr)) == -1 || listen(tcp_lfd, 64) == -1 ||
	    getsockname(tcp_lfd, (struct sockaddr *)&tcp_addr, &len) == -1)
		return -1;
	udp_addr = tcp_addr;
	udp_addr.sin_port = 0;
	len = sizeof(udp_addr);
	if ((udp_fd = socket(AF_INET, SOCK_DGRAM, 0)) == -1 ||
	    bind(udp_fd, (struct sockaddr *)&udp_addr, sizeof(udp_addr)) ==
	    -1 || getsockname(udp_fd, (struct sockaddr *)&udp_addr, &len) ==
	    -1)
		return -1;
	/* An abstract name: nothing to remove afterwards. */
	memset(&unix_addr, 0, sizeof(unix_addr));
	unix_addr.sun_family = AF_UNIX;
	snprintf(unix_addr.sun_path + 1, sizeof(unix_addr.sun_path) - 1,
	    "rmb-test-sandbox.%d", (int)getpid());
	if ((unix_lfd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0)) ==
	    -1 || bind(unix_lfd, (struct sockaddr *)&unix_addr,
	    sizeof(unix_addr)) == -1 || listen(unix_lfd, 64) == -1)
		return -1;
	return 0;
}

/* The queues fill up otherwise: each child connects or sends to each. */
static void
drain(void)
{
	int	fd;

	while ((fd = accept4(tcp_lfd, NULL, NULL, SOCK_NONBLOCK)) != -1)
		close(fd);
	while ((fd = accept4(unix_lfd, NULL, NULL, SOCK_NONBLOCK)) != -1)
		close(fd);
	while (recv(udp_fd, &fd, sizeof(fd), MSG_DONTWAIT) != -1)
		continue;
}

int
main(void)
{
	static const struct call	apid_forbidden[] = {
		{ "bind", do_bind },
		{ "listen", do_listen },
		{ "accept4", do_accept4 },
		{ "accept", do_accept },
		{ "a thread", do_thread },
		{ "socketpair", do_socketpair },
	}, netd_forbidden[] = {
		{ "bind", do_bind },
		{ "listen", do_listen },
		{ "accept4", do_accept4 },
		{ "accept", do_accept },
	}, apid_allowed[] = {
		{ "a client by name, over TCP and a unix socket", do_client },
		{ "the resolver's query and sorting", do_resolver },
		{ "a netlink socket refused, not fatal", do_netlink_refused },
	}, netd_allowed[] = {
		{ "a client by name, over TCP and a unix socket", do_client },
		{ "the resolver's query and sorting", do_resolver },
		{ "a netlink socket refused, not fatal", do_netlink_refused },
		{ "a thread that looks a name up", do_thread },
		{ "socketpair", do_socketpair },
	}, relay_forbidden[] = {
		/* Its listener is bound and listening before the filter. */
		{ "bind", do_bind },
		{ "listen", do_listen },
	}, relay_allowed[] = {
		{ "a client by name, over TCP and a unix socket", do_client },
		{ "the resolver's query and sorting", do_resolver },
		{ "a netlink socket refused, not fatal", do_netlink_refused },
		{ "a thread that looks a name up", do_thread },
		{ "accept4", do_accept4 },
		{ "accept", do_accept },
	};

	signal(SIGPIPE, SIG_IGN);
	if (sodium_init() < 0 || listeners() == -1) {
		printf("Bail out! set-up: %s\n", strerror(errno));
		return 1;
	}
	check("rmb-apid", apid_sandbox, apid_forbidden,
	    NITEMS(apid_forbidden), apid_allowed,
	    NITEMS(apid_allowed));
	drain();
	check("rmb-netd", netd_sandbox, netd_forbidden,
	    NITEMS(netd_forbidden), netd_allowed,
	    NITEMS(netd_allowed));
	drain();
	check("rmb-relay", relay_sandbox, relay_forbidden,
	    NITEMS(relay_forbidden), relay_allowed, NITEMS(relay_allowed));
	return done_testing();
}
