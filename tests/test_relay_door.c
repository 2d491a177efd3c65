/* SPDX-License-Identifier: ISC */
/*
 * rmb-relay's front door (relayd/relay_door.c) on the wire: heads that
 * come in pieces, bodies that come after their head, answers that close
 * their connection, heads too big or not HTTP, and a client that sends
 * half a head and waits, which is cut after RELAY_HEAD_WAIT seconds
 * while the others are served; and a relay out of descriptors, which
 * stops accepting for a second and serves again once some are free.
 */
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <netinet/in.h>

#include <dirent.h>
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "harness.h"
#include "jwt.h"
#include "relay_fixture.h"
#include "tap.h"

#define WAIT		RF_WAIT
#define HEAD_WAIT	30	/* relay_door.h's RELAY_HEAD_WAIT */
#define HEAD_MAX	8192	/* relay_head.h's RELAY_HEAD_MAX */

static char		 dir[256];
static const char	*relay_bin;
static struct redis_srv	 redis;
static struct rc_twin	 t1;

static int
dial(int port)
{
	struct sockaddr_in	sin;
	int			fd;

	if ((fd = socket(AF_INET, SOCK_STREAM, 0)) == -1)
		return -1;
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_port = htons((uint16_t)port);
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (connect(fd, (struct sockaddr *)&sin, sizeof(sin)) == -1) {
		close(fd);
		return -1;
	}
	return fd;
}

static int
put(int fd, const char *s)
{
	size_t	n = strlen(s);

	return write(fd, s, n) == (ssize_t)n ? 0 : -1;
}

/*
 * Reads until the relay closes, or timeout_ms.  Returns the bytes read
 * (NUL-terminated in buf), or -1 when the connection stayed open.
 */
static ssize_t
until_closed(int fd, char *buf, size_t cap, int timeout_ms)
{
	struct pollfd	 p;
	size_t		 len = 0;
	ssize_t		 n;
	char		 sink[4096];

	p.fd = fd;
	p.events = POLLIN;
	for (;;) {
		if (poll(&p, 1, timeout_ms) <= 0)
			return -1;
		if (len + 1 < cap)
			n = read(fd, buf + len, cap - 1 - len);
		else
			n = read(fd, sink, sizeof(sink));
		if (n == 0 || (n == -1 && errno == ECONNRESET))
			break;
		if (n == -1)
			return -1;
		if (len + 1 < cap)
			len += (size_t)n;
	}
	buf[len] = '\0';
	return (ssize_t)len;
}

static int
status_of(const char *resp)
{
	int	status;

	if (sscanf(resp, "HTTP/1.1 %d ", &status) != 1)
		return 0;
	return status;
}

/* One GET /health on a connection of its own: its status. */
static int
health(const struct relay_proc *p)
{
	char	*resp;
	size_t	 n;
	int	 status;

	if (http_request("127.0.0.1", p->port, "GET", "/health", NULL, 0,
	    &status, &resp, &n, WAIT) == -1)
		return -1;
	free(resp);
	return status;
}

static void
test_pieces(const struct relay_proc *p)
{
	char	resp[4096], tok[JWT_MAX + 1], req[JWT_MAX + 256];
	int	fd;

	fd = dial(p->port);
	put(fd, "GET /heal");
	usleep(200000);
	put(fd, "th HTTP/1.1\r\nHost: relay\r\n");
	usleep(200000);
	put(fd, "\r\n");
	ok(until_closed(fd, resp, sizeof(resp), WAIT) > 0 &&
	    status_of(resp) == 200 && strstr(resp, "\r\n\r\nok") != NULL,
	    "a head in three pieces: GET /health answered");
	close(fd);

	fd = dial(p->port);
	put(fd, "GET /health HTTP/1.1\r\nHost: relay\r\n\r\n"
	    "GET /metrics HTTP/1.1\r\nHost: relay\r\n\r\n");
	ok(until_closed(fd, resp, sizeof(resp), WAIT) > 0 &&
	    status_of(resp) == 200 && strstr(resp, "connection: close") &&
	    strstr(resp, "rmb_cache") == NULL, "an answer says "
	    "\"connection: close\" and closes: a second request on the "
	    "connection is not served");
	close(fd);

	fd = dial(p->port);
	put(fd, "POST / HTTP/1.1\r\nHost: relay\r\nContent-Length: 2\r\n\r\n");
	usleep(200000);
	put(fd, "\xff\xff");
	ok(until_closed(fd, resp, sizeof(resp), WAIT) > 0 &&
	    status_of(resp) == 400 && strstr(resp, "bad request") != NULL,
	    "POST /: the body after a pause is read by libwebsockets, "
	    "which answers it (400)");
	close(fd);

	rc_jwt(tok, sizeof(tok), &t1, NULL, 60);
	snprintf(req, sizeof(req), "GET /?%s HTTP/1.1\r\nHost: relay\r\n",
	    tok);
	fd = dial(p->port);
	put(fd, req);
	usleep(200000);
	put(fd, "Upgrade: websocket\r\nConnection: Upgrade\r\n"
	    "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n");
	usleep(200000);
	put(fd, "Sec-WebSocket-Version: 13\r\n\r\n");
	memset(resp, 0, sizeof(resp));
	ok(read(fd, resp, sizeof(resp) - 1) > 0 && status_of(resp) == 101,
	    "an upgrade whose head came in pieces: 101");
	close(fd);
}

static void
test_bad(const struct relay_proc *p)
{
	char	resp[4096], *big;
	int	fd;

	fd = dial(p->port);
	put(fd, "\x16\x03\x01\x02\xfc\x03\x03\n");
	ok(until_closed(fd, resp, sizeof(resp), WAIT) > 0 &&
	    status_of(resp) == 400 && strstr(resp, "\r\n\r\nbad request"),
	    "a TLS hello: 400 \"bad request\", closed");
	close(fd);

	/* Answered by lws, its connection would stay and skip the door. */
	fd = dial(p->port);
	put(fd, "GET / HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\n"
	    "Upgrade: h2c\r\n\r\n");
	ok(until_closed(fd, resp, sizeof(resp), WAIT) > 0 &&
	    status_of(resp) == 400 && strstr(resp, "\r\n\r\nbad request"),
	    "an upgrade to another protocol: 400 \"bad request\", closed");
	close(fd);

	if ((big = malloc(HEAD_MAX + 64)) == NULL)
		return;
	snprintf(big, HEAD_MAX + 64, "GET /?x HTTP/1.1\r\nUpgrade: "
	    "websocket\r\nX: ");
	memset(big + strlen(big), 'a', HEAD_MAX);
	big[HEAD_MAX + 32] = '\0';
	fd = dial(p->port);
	put(fd, big);
	ok(until_closed(fd, resp, sizeof(resp), WAIT) > 0 &&
	    status_of(resp) == 431 && strstr(resp, "\r\n\r\nrequest header "
	    "fields too large"), "a head over %d bytes: 431, closed",
	    HEAD_MAX);
	close(fd);
	free(big);
}

static void
test_slow(const struct relay_proc *p)
{
	char		 resp[256];
	int		 fd, fd2, served;
	ssize_t		 n;

	fd = dial(p->port);
	put(fd, "GET /health HTTP/1.1\r\nHost: relay\r\n");
	fd2 = dial(p->port);
	put(fd2, "GET /?");
	served = health(p) == 200;
	ok(served && until_closed(fd, resp, sizeof(resp), 1000) == -1,
	    "half a head waits, and the others are served meanwhile");
	close(fd2);
	n = until_closed(fd, resp, sizeof(resp), (HEAD_WAIT + 15) * 1000);
	ok(n == 0, "half a head is cut after %d s, unanswered (%zd bytes)",
	    HEAD_WAIT, n);
	close(fd);
	ok(rf_logged(p, "connection from 127.0.0.1: no whole request head in "
	    "30 s, closed", 0), "the log says so");
	ok(rf_alive(p) && health(p) == 200, "the relay stays up and serves");
}

/* How many descriptors pid has open, or -1. */
static int
open_fds(pid_t pid)
{
	char		 path[64];
	DIR		*d;
	struct dirent	*de;
	int		 n = 0;

	snprintf(path, sizeof(path), "/proc/%d/fd", (int)pid);
	if ((d = opendir(path)) == NULL)
		return -1;
	while ((de = readdir(d)) != NULL)
		if (de->d_name[0] != '.')
			n++;
	closedir(d);
	return n;
}

/*
 * Out of descriptors: a relay started with a limit of NOFILE descriptors
 * (by a shell's ulimit, which lowers the hard limit the relay would
 * raise its own to) and more clients than it can take.  It stops
 * accepting for a second, says so, keeps running, and serves again once
 * the clients are gone.
 */
#define NOFILE		64
#define NOFILE_CLIENTS	100

static void
test_nofile(const char *const opts[], const char *const extra[])
{
	struct relay_proc	 p;
	FILE			*f;
	char			 sh[300];
	int			 fds[NOFILE_CLIENTS], i, n, st = -1, waited;

	snprintf(sh, sizeof(sh), "%s/relay-nofile.sh", dir);
	if ((f = fopen(sh, "w")) == NULL ||
	    fprintf(f, "#!/bin/sh\nulimit -n %d || exit 1\nexec %s \"$@\"\n",
	    NOFILE, relay_bin) < 0 || fclose(f) != 0 || chmod(sh, 0755) == -1 ||
	    rf_start(&p, sh, dir, "nofile", redis.port, 0, opts,
	    extra) == -1) {
		ok(0, "out of descriptors: a relay limited to %d starts",
		    NOFILE);
		return;
	}
	n = open_fds(p.pid);
	for (i = 0; i < NOFILE_CLIENTS; i++)
		fds[i] = dial(p.port);
	ok(rf_logged(&p, "accept: not accepting for 1 s: Too many open files",
	    WAIT), "out of descriptors (%d of %d open idle, %d clients): the "
	    "relay stops accepting and says so", n, NOFILE, NOFILE_CLIENTS);
	ok(rf_alive(&p), "out of descriptors: the relay stays up");
	for (i = 0; i < NOFILE_CLIENTS; i++)
		if (fds[i] != -1)
			close(fds[i]);
	for (waited = 0; waited < WAIT && st != 200; waited += 200) {
		if ((st = health(&p)) != 200)
			usleep(200000);
	}
	ok(st == 200, "out of descriptors: once the clients are gone, it "
	    "serves again (%d)", st);
	proc_stop(p.pid, WAIT);
}

int
main(void)
{
	struct relay_proc	 a;
	char			 bin[512], twins[300];
	const char		*extra[] = { "-m", "r1.test", "--twins", twins,
				    NULL };
	static const char *const opts[] = { "-d", "-w", "2", "-u", "10",
				    NULL };
	int			 rv;

	relay_bin = bin;
	if ((rv = rf_begin("relay-door", dir, sizeof(dir), bin, sizeof(bin),
	    &redis, NULL)) != -1)
		return rv;
	rc_twin_init(&t1, 1, KEY_SR25519, "r1.test", 1);
	snprintf(twins, sizeof(twins), "%s/twins.json", dir);
	if (rc_twinfile(twins, &t1, 1) == -1 ||
	    rf_start(&a, relay_bin, dir, "a", redis.port, 0, opts,
	    extra) == -1) {
		printf("Bail out! rmb-relay does not start (see %s)\n", dir);
		return 1;
	}
	test_pieces(&a);
	test_bad(&a);
	test_slow(&a);
	test_nofile(opts, extra);
	rv = proc_stop(a.pid, WAIT);
	ok(WIFEXITED(rv) && WEXITSTATUS(rv) == 0, "SIGTERM: the relay stops "
	    "cleanly (status %d)", rv);
	redis_stop(&redis);
	work_dir_done(dir, tap_failed != 0);
	return done_testing();
}
