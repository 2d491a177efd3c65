/* SPDX-License-Identifier: ISC */
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>

#include <arpa/inet.h>
#include <netinet/in.h>

#include <errno.h>
#include <signal.h>
#include <time.h>
#include <unistd.h>

#include <sodium.h>

#include "harness.h"
#include "tap.h"
#include "wsc.h"

static int	srv_port, srv6_port = -1, dead_port;
static pid_t	srv_pid = -1, srv6_pid = -1;

static int64_t
now_ms(void)
{
	struct timespec	ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void
pattern(uint8_t *p, size_t n, unsigned seed)
{
	for (size_t i = 0; i < n; i++)
		p[i] = (uint8_t)(i * 31 + i / 251 + seed);
}

/* Text, since a refused upgrade's body comes back as a C string. */
static void
letters(uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		p[i] = (uint8_t)('a' + i % 26);
}

/*
 * The in-test server: blocking, one forked child per connection, its
 * behaviour chosen by the request target.  Any failure just exits.
 */
static void
s_write(int fd, const void *p, size_t n)
{
	const uint8_t	*b = p;
	ssize_t		 w;

	while (n > 0) {
		if ((w = write(fd, b, n)) <= 0) {
			if (w == -1 && errno == EINTR)
				continue;
			_exit(1);
		}
		b += w;
		n -= (size_t)w;
	}
}

static int
s_read(int fd, void *p, size_t n)
{
	uint8_t	*b = p;
	ssize_t	 r;

	while (n > 0) {
		if ((r = read(fd, b, n)) <= 0) {
			if (r == -1 && errno == EINTR)
				continue;
			return -1;
		}
		b += r;
		n -= (size_t)r;
	}
	return 0;
}

/* Writes a frame header, masked only to test that clients refuse it. */
static void
s_head(int fd, int fin, int op, size_t n, int masked)
{
	uint8_t	h[14];
	size_t	k = n <= 125 ? 0 : n <= 0xffff ? 2 : 8, hl = 2 + k;

	h[0] = (uint8_t)((fin ? 0x80 : 0) | op);
	h[1] = (uint8_t)(k == 0 ? n : k == 2 ? 126 : 127);
	for (size_t i = 0; i < k; i++)
		h[2 + i] = (uint8_t)((uint64_t)n >> (8 * (k - 1 - i)));
	if (masked) {
		h[1] |= 0x80;
		memset(h + hl, 0, 4);
		hl += 4;
	}
	s_write(fd, h, hl);
}

static void
s_frame(int fd, int fin, int op, const void *p, size_t n)
{
	s_head(fd, fin, op, n, 0);
	s_write(fd, p, n);
}

/* Reads a client frame and unmasks it; NULL at end of stream. */
static uint8_t *
s_read_frame(int fd, int *fin, int *op, size_t *n, int *masked)
{
	uint8_t		 h[8], mask[4] = { 0 }, *p;
	uint64_t	 len;
	size_t		 k;

	if (s_read(fd, h, 2) == -1)
		return NULL;
	*fin = h[0] >> 7;
	*op = h[0] & 0x0f;
	*masked = h[1] >> 7;
	len = h[1] & 0x7f;
	if (len >= 126) {
		k = len == 126 ? 2 : 8;
		if (s_read(fd, h, k) == -1)
			return NULL;
		len = 0;
		for (size_t i = 0; i < k; i++)
			len = len << 8 | h[i];
	}
	if (len > 16 * 1024 * 1024 || (*masked && s_read(fd, mask, 4) == -1) ||
	    (p = malloc(len + 1)) == NULL)
		return NULL;
	if (s_read(fd, p, len) == -1) {
		free(p);
		return NULL;
	}
	for (size_t i = 0; i < len; i++)
		p[i] ^= mask[i & 3];
	*n = len;
	return p;
}

static void
s_http(int fd, const char *status, const char *body, size_t n)
{
	char	h[256];
	int	hl;

	hl = snprintf(h, sizeof(h), "HTTP/1.1 %s\r\nContent-Type: text/plain"
	    "\r\nContent-Length: %zu\r\n\r\n", status, n);
	s_write(fd, h, (size_t)hl);
	s_write(fd, body, n);
}

static const char	upgraded[] = "HTTP/1.1 101 Switching Protocols\r\n"
			    "Upgrade: websocket\r\nConnection: Upgrade\r\n"
			    "Sec-WebSocket-Accept: unchecked\r\n\r\n";

static void
s_echo(int fd)
{
	uint8_t	*p;
	size_t	 n;
	int	 fin, op, masked;

	s_write(fd, upgraded, sizeof(upgraded) - 1);
	while ((p = s_read_frame(fd, &fin, &op, &n, &masked)) != NULL) {
		if (!masked)
			s_frame(fd, 1, WSC_CLOSE, "\x03\xea", 2);
		else
			s_frame(fd, fin, op == WSC_PING ? WSC_PONG : op, p, n);
		free(p);
		if (!masked || op == WSC_CLOSE)
			return;
	}
}

/*
 * Pushes a ping in the same segment as the 101, then a fragmented
 * message with a ping inside, and checks both pongs.
 */
static void
s_push(int fd)
{
	char	 b[sizeof(upgraded) + 4];
	uint8_t	*p1, *p2;
	size_t	 n1 = 0, n2 = 0;
	int	 fin, op1 = 0, op2 = 0, m;

	memcpy(b, upgraded, sizeof(upgraded) - 1);
	memcpy(b + sizeof(upgraded) - 1, "\x89\x02p1", 4);
	s_write(fd, b, sizeof(b) - 1);
	s_frame(fd, 0, WSC_TEXT, "hel", 3);
	s_frame(fd, 1, WSC_PING, "p2", 2);
	s_frame(fd, 0, WSC_CONT, "lo ", 3);
	s_frame(fd, 1, WSC_CONT, "world", 5);
	p1 = s_read_frame(fd, &fin, &op1, &n1, &m);
	p2 = s_read_frame(fd, &fin, &op2, &n2, &m);
	if (p1 && p2 && op1 == WSC_PONG && op2 == WSC_PONG && n1 == 2 &&
	    n2 == 2 && memcmp(p1, "p1", 2) == 0 && memcmp(p2, "p2", 2) == 0)
		s_frame(fd, 1, WSC_TEXT, "pongs ok", 8);
	else
		s_frame(fd, 1, WSC_TEXT, "pongs bad", 9);
	s_frame(fd, 1, WSC_CLOSE, "\x0f\xa1" "bye", 5);
	free(p1);
	free(p2);
}

static void
s_chunked(int fd, const char *status, size_t total)
{
	uint8_t	*body;
	char	 h[128];
	size_t	 off, k, step = 1;
	int	 hl;

	if ((body = malloc(total + 1)) == NULL)
		_exit(1);
	letters(body, total);
	hl = snprintf(h, sizeof(h), "HTTP/1.1 %s\r\n"
	    "Transfer-Encoding: chunked\r\n\r\n", status);
	s_write(fd, h, (size_t)hl);
	for (off = 0; off < total; off += k, step = step * 3 + 1) {
		k = total - off < step ? total - off : step;
		hl = snprintf(h, sizeof(h), "%zX%s\r\n", k,
		    k % 2 ? ";ext=1" : "");
		s_write(fd, h, (size_t)hl);
		s_write(fd, body + off, k);
		s_write(fd, "\r\n", 2);
	}
	s_write(fd, "0\r\n\r\n", 5);
	free(body);
}

static void
serve(int fd)
{
	char	 req[8192], method[16], target[256], *cl;
	uint8_t	 big[300], *body;
	size_t	 n = 0, len;
	ssize_t	 r;

	while (n < sizeof(req) - 1 && (n < 4 ||
	    memcmp(req + n - 4, "\r\n\r\n", 4) != 0))
		if (s_read(fd, req + n++, 1) == -1)
			return;
	req[n] = '\0';
	if (sscanf(req, "%15s %255s", method, target) != 2)
		return;
	/* Closing the socket ends the close handshakes these two finish. */
	if (strcmp(target, "/ws/echo") == 0) {
		s_echo(fd);
		return;
	} else if (strcmp(target, "/ws/push") == 0) {
		s_push(fd);
		return;
	} else if (strcmp(target, "/ws/slow") == 0) {
		pattern(big, sizeof(big), 3);
		s_write(fd, upgraded, sizeof(upgraded) - 1);
		s_head(fd, 1, WSC_BINARY, sizeof(big), 0);
		s_write(fd, big, 100);
		usleep(400 * 1000);
		s_write(fd, big + 100, sizeof(big) - 100);
	} else if (strcmp(target, "/ws/masked") == 0) {
		s_write(fd, upgraded, sizeof(upgraded) - 1);
		s_head(fd, 1, WSC_TEXT, 1, 1);
		s_write(fd, "x", 1);
	} else if (strcmp(target, "/ws/huge") == 0) {
		s_write(fd, upgraded, sizeof(upgraded) - 1);
		s_head(fd, 1, WSC_BINARY, (size_t)1 << 30, 0);
	} else if (strcmp(target, "/deny") == 0)
		s_http(fd, "401 Unauthorized", "invalid token: expired", 22);
	else if (strcmp(target, "/deny/chunked") == 0)
		s_chunked(fd, "403 Forbidden", 5000);
	else if (strcmp(target, "/deny/close") == 0) {
		s_write(fd, "HTTP/1.0 400 Bad Request\r\n\r\nclosed body", 39);
		return;
	} else if (strcmp(target, "/http/cl") == 0)
		s_http(fd, "200 OK", "{\"ok\":true}", 11);
	else if (strcmp(target, "/http/chunked") == 0)
		s_chunked(fd, "200 OK", 100000);
	else if (strcmp(target, "/http/echo") == 0 &&
	    (cl = strcasestr(req, "\r\nContent-Length: ")) != NULL) {
		len = strtoul(cl + 18, NULL, 10);
		if ((body = malloc(len + 1)) == NULL || s_read(fd, body, len))
			_exit(1);
		s_http(fd, "200 OK", (char *)body, len);
		free(body);
	}
	/* The client decides when the connection ends. */
	while ((r = read(fd, req, sizeof(req))) > 0 ||
	    (r == -1 && errno == EINTR))
		;
}

static void
server(int lfd)
{
	int	fd;

	signal(SIGCHLD, SIG_IGN);
	for (;;) {
		if ((fd = accept(lfd, NULL, NULL)) == -1)
			continue;
		if (fork() == 0) {
			prctl(PR_SET_PDEATHSIG, SIGKILL);
			close(lfd);
			serve(fd);
			_exit(0);
		}
		close(fd);
	}
}

/*
 * A socket on a loopback port, listening if asked: one that does not
 * refuses connections, and holds its port so that nothing else takes it.
 */
static int
lo_socket(int family, int listening, int *port)
{
	struct sockaddr_storage	 ss;
	struct sockaddr_in	*sin = (struct sockaddr_in *)&ss;
	struct sockaddr_in6	*sin6 = (struct sockaddr_in6 *)&ss;
	socklen_t		 sl = sizeof(ss);
	int			 fd;

	memset(&ss, 0, sizeof(ss));
	ss.ss_family = (sa_family_t)family;
	if (family == AF_INET)
		sin->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	else
		sin6->sin6_addr = in6addr_loopback;
	if ((fd = socket(family, SOCK_STREAM, 0)) == -1 ||
	    bind(fd, (struct sockaddr *)&ss, family == AF_INET ?
	    sizeof(*sin) : sizeof(*sin6)) == -1 ||
	    (listening && listen(fd, 64) == -1) ||
	    getsockname(fd, (struct sockaddr *)&ss, &sl) == -1) {
		if (fd != -1)
			close(fd);
		return -1;
	}
	*port = ntohs(family == AF_INET ? sin->sin_port : sin6->sin6_port);
	return fd;
}

/* Forks the server on a fresh port; -1 when there is no IPv6 loopback. */
static pid_t
start_server(int family, int *port)
{
	pid_t	pid;
	int	fd;

	if ((fd = lo_socket(family, 1, port)) == -1)
		return -1;
	if ((pid = fork()) == 0) {
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		server(fd);
	}
	close(fd);
	return pid;
}

static void
test_handshake(void)
{
	struct wsc	c;
	char		body[256];
	int		st;
	int64_t		t0;

	ok(wsc_connect(&c, NULL, dead_port, "/", &st, body, sizeof(body),
	    1000) == -1 && st == 0 && c.fd == -1,
	    "connect: refused port gives -1, status 0");
	ok(wsc_connect(&c, NULL, srv_port, "/deny", &st, body, sizeof(body),
	    2000) == -1 && st == 401 &&
	    strcmp(body, "invalid token: expired") == 0,
	    "connect: 401 with its Content-Length body");
	ok(wsc_connect(&c, NULL, srv_port, "/deny", &st, body, 8,
	    2000) == -1 && st == 401 && strcmp(body, "invalid") == 0,
	    "connect: the body is truncated to bodycap - 1");
	ok(wsc_connect(&c, NULL, srv_port, "/deny/chunked", &st, body,
	    sizeof(body), 2000) == -1 && st == 403 && strlen(body) == 255 &&
	    strncmp(body, "abcdefghij", 10) == 0,
	    "connect: 403 with a chunked body");
	ok(wsc_connect(&c, NULL, srv_port, "/deny/close", &st, body,
	    sizeof(body), 2000) == -1 && st == 400 &&
	    strcmp(body, "closed body") == 0,
	    "connect: 400 with a body read until close");
	t0 = now_ms();
	ok(wsc_connect(&c, NULL, srv_port, "/ws/silent", &st, body,
	    sizeof(body), 300) == -1 && st == 0 && now_ms() - t0 < 2000,
	    "connect: a silent server times out, status 0");
	ok(wsc_connect(&c, "127.0.0.1", srv_port, "/ws/echo", &st, body,
	    sizeof(body), 2000) == 0 && c.fd != -1 && c.auto_pong == 1,
	    "connect: 101 on 127.0.0.1");
	wsc_close(&c);
	if (srv6_pid == -1) {
		printf("ok %d # SKIP no IPv6 loopback\n", ++tap_n);
		return;
	}
	ok(wsc_connect(&c, "::1", srv6_port, "/ws/echo", &st, body,
	    sizeof(body), 2000) == 0 && wsc_send(&c, WSC_TEXT, "v6", 2) == 0,
	    "connect: 101 on ::1");
	wsc_close(&c);
}

static int
roundtrip(struct wsc *c, int op, size_t n, size_t frag)
{
	uint8_t	*want, *got = NULL;
	size_t	 gn;
	int	 gop, r;

	if ((want = malloc(n + 1)) == NULL)
		abort();
	pattern(want, n, (unsigned)n);
	r = (frag ? wsc_send_fragmented(c, op, want, n, frag) :
	    wsc_send(c, op, want, n)) == 0 &&
	    wsc_recv(c, &gop, &got, &gn, 5000) == 1 && gop == op && gn == n &&
	    memcmp(got, want, n) == 0 && got[n] == '\0';
	free(want);
	free(got);
	return r;
}

static void
test_echo(void)
{
	static const size_t	sizes[] = { 0, 1, 125, 126, 65535, 65536,
				    1 << 20 };
	struct wsc		c;
	uint8_t			*p;
	size_t			 n;
	int			 st, op;
	int64_t			 t0;

	if (!ok(wsc_connect(&c, NULL, srv_port, "/ws/echo", &st, NULL, 0,
	    2000) == 0, "echo: connected"))
		return;
	for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++)
		ok(roundtrip(&c, WSC_BINARY, sizes[i], 0),
		    "echo: %zu bytes round-trip", sizes[i]);
	ok(roundtrip(&c, WSC_TEXT, 5, 0), "echo: a text message keeps op 1");
	ok(roundtrip(&c, WSC_BINARY, 200000, 7000),
	    "echo: 200000 bytes sent as 29 fragments come back whole");
	ok(roundtrip(&c, WSC_TEXT, 0, 10) && roundtrip(&c, WSC_TEXT, 3, 10),
	    "echo: fragmenting an empty or short message sends one frame");
	t0 = now_ms();
	ok(wsc_recv(&c, &op, &p, &n, 100) == 0 && p == NULL &&
	    now_ms() - t0 >= 90, "recv: nothing within 100 ms gives 0");
	c.want_ctl = 1;
	ok(wsc_send(&c, WSC_PING, "hi", 2) == 0 &&
	    wsc_recv(&c, &op, &p, &n, 2000) == 1 && op == WSC_PONG &&
	    n == 2 && memcmp(p, "hi", 2) == 0,
	    "recv: want_ctl returns the pong");
	free(p);
	c.want_ctl = 0;
	ok(wsc_send_raw(&c, "\x81\x02hi", 4) == 0 &&
	    wsc_recv(&c, &op, &p, &n, 2000) == -1 && c.closed &&
	    c.close_code == 1002,
	    "send_raw: an unmasked frame gets close 1002");
	ok(wsc_recv(&c, &op, &p, &n, 100) == -1,
	    "recv: -1 again after the close");
	wsc_close(&c);
	ok(c.fd == -1 && wsc_send(&c, WSC_TEXT, "x", 1) == -1,
	    "close: the connection is released, send fails");

	if (ok(wsc_connect(&c, NULL, srv_port, "/ws/echo", &st, NULL, 0,
	    2000) == 0, "echo: connected for an unmasked frame")) {
		ok(wsc_send_unmasked(&c, WSC_BINARY, "hi", 2) == 0 &&
		    wsc_recv(&c, &op, &p, &n, 2000) == -1 && c.closed &&
		    c.close_code == 1002,
		    "send_unmasked: the frame goes without a mask (close "
		    "1002)");
		wsc_close(&c);
	}

	if (!ok(wsc_connect(&c, NULL, srv_port, "/ws/echo", &st, NULL, 0,
	    2000) == 0, "echo: connected again"))
		return;
	t0 = now_ms();
	wsc_close(&c);
	ok(c.fd == -1 && now_ms() - t0 < 900,
	    "close: the server's answer ends the wait (%lld ms)",
	    (long long)(now_ms() - t0));
	wsc_close(&c);
	wsc_drop(&c);
	ok(c.fd == -1 && c.buf == NULL,
	    "close and drop again on a released connection are harmless");
}

static void
test_server_frames(void)
{
	struct wsc	 c;
	uint8_t		*p, want[300];
	size_t		 n;
	int		 st, op;
	int64_t		 t0;

	if (!ok(wsc_connect(&c, NULL, srv_port, "/ws/push", &st, NULL, 0,
	    2000) == 0, "push: connected"))
		return;
	ok(wsc_recv(&c, &op, &p, &n, 2000) == 1 && op == WSC_TEXT &&
	    n == 11 && strcmp((char *)p, "hello world") == 0,
	    "push: fragments with a ping inside are reassembled");
	free(p);
	ok(wsc_recv(&c, &op, &p, &n, 2000) == 1 &&
	    strcmp((char *)p, "pongs ok") == 0,
	    "push: both pings were answered, in order");
	free(p);
	ok(wsc_recv(&c, &op, &p, &n, 2000) == -1 && c.closed &&
	    c.close_code == 4001, "push: the server's close 4001 is seen");
	wsc_close(&c);

	ok(wsc_connect(&c, NULL, srv_port, "/ws/slow", &st, NULL, 0,
	    2000) == 0 && wsc_recv(&c, &op, &p, &n, 100) == 0,
	    "slow: half a frame within the timeout gives 0");
	pattern(want, sizeof(want), 3);
	ok(wsc_recv(&c, &op, &p, &n, 3000) == 1 && n == sizeof(want) &&
	    memcmp(p, want, n) == 0, "slow: the rest completes the frame");
	free(p);
	wsc_drop(&c);
	ok(c.fd == -1, "drop: the socket is closed");

	ok(wsc_connect(&c, NULL, srv_port, "/ws/masked", &st, NULL, 0,
	    2000) == 0 && wsc_recv(&c, &op, &p, &n, 2000) == -1 && p == NULL,
	    "masked: a masked server frame is refused");
	wsc_drop(&c);
	t0 = now_ms();
	ok(wsc_connect(&c, NULL, srv_port, "/ws/huge", &st, NULL, 0,
	    2000) == 0 && wsc_recv(&c, &op, &p, &n, 2000) == -1 &&
	    now_ms() - t0 < 1000, "huge: a 1 GiB frame is refused at once");
	wsc_drop(&c);
}

static void
test_http(void)
{
	uint8_t	 post[3000], want[100000];
	char	*resp;
	size_t	 n;
	int	 st;

	ok(http_request(NULL, srv_port, "GET", "/http/cl", NULL, 0, &st, &resp,
	    &n, 2000) == 0 && st == 200 && n == 11 &&
	    strcmp(resp, "{\"ok\":true}") == 0, "http: Content-Length body");
	free(resp);
	letters(want, sizeof(want));
	ok(http_request("127.0.0.1", srv_port, "GET", "/http/chunked", NULL, 0,
	    &st, &resp, &n, 2000) == 0 && st == 200 && n == sizeof(want) &&
	    memcmp(resp, want, n) == 0 && resp[n] == '\0',
	    "http: chunked body of 100000 bytes");
	free(resp);
	pattern(post, sizeof(post), 1);
	post[0] = post[1000] = 0;
	ok(http_request(NULL, srv_port, "POST", "/http/echo", post,
	    sizeof(post), &st, &resp, &n, 2000) == 0 && st == 200 &&
	    n == sizeof(post) && memcmp(resp, post, n) == 0,
	    "http: a POST body with NUL bytes is sent whole");
	free(resp);
	ok(http_request(NULL, dead_port, "GET", "/", NULL, 0, &st, &resp, &n,
	    1000) == -1 && resp == NULL && st == 0,
	    "http: a refused port gives -1");
}

/* Waits up to 5 s for pid to exit on its own. */
static int
reap(pid_t pid, int *st)
{
	int	r = 0;

	for (int i = 0; i < 500 && (r = proc_exited(pid, st)) == 0; i++)
		usleep(10000);
	return r;
}

static void
test_procs(void)
{
	char	 log[] = "/tmp/test_wsc.XXXXXX";
	char	*echo[] = { "/bin/sh", "-c", "echo ready; exec sleep 30",
		    NULL };
	char	*three[] = { "/bin/sh", "-c", "exit 3", NULL };
	char	*stubborn[] = { "/bin/sh", "-c", "trap '' TERM; echo up; "
		    "exec sleep 30", NULL };
	char	*missing[] = { "/nonexistent/rmb-test", NULL };
	pid_t	 pid;
	int	 fd, st = 0, p1 = free_port(), p2 = free_port();

	ok(p1 > 0 && p2 > 0, "free_port: %d, %d", p1, p2);
	ok(wait_port(srv_port, 1000) == 0, "wait_port: the server's port");
	ok(wait_port(dead_port, 200) == -1,
	    "wait_port: a closed port times out");
	if ((fd = mkstemp(log)) == -1)
		abort();
	close(fd);
	pid = proc_start(echo, log);
	ok(pid > 0 && wait_log(log, "ready", 5000) == 0 &&
	    proc_exited(pid, &st) == 0, "proc_start: log written, running");
	ok(wait_log(log, "never said", 100) == -1,
	    "wait_log: a missing line times out");
	st = proc_stop(pid, 2000);
	ok(WIFSIGNALED(st) && WTERMSIG(st) == SIGTERM,
	    "proc_stop: ends it with SIGTERM");
	pid = proc_start(stubborn, log);
	wait_log(log, "up", 5000);
	st = proc_stop(pid, 200);
	ok(WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL,
	    "proc_stop: SIGKILL when SIGTERM is ignored");
	pid = proc_start(three, NULL);
	ok(reap(pid, &st) == 1 && WIFEXITED(st) && WEXITSTATUS(st) == 3,
	    "proc_exited: exit status 3");
	ok(proc_exited(pid, &st) == -1, "proc_exited: -1 once reaped");
	pid = proc_start(missing, NULL);
	ok(reap(pid, &st) == 1 && WIFEXITED(st) && WEXITSTATUS(st) == 127,
	    "proc_start: a missing program exits 127");
	unlink(log);
}

static void
test_redis(void)
{
	static const uint8_t	 bin[] = { 'a', 0, 'b', 0, 0, 0xff, '\r',
				    '\n' };
	struct redis_srv	 rs;
	struct rreply		*r, *e;
	const char		*argv[] = { "XADD", "stream:7", "*", "data",
				    (const char *)bin };
	size_t			 lens[] = { 4, 8, 1, 4, sizeof(bin) };
	char			 dir[256];
	int			 rc;

	if ((rc = redis_start(&rs)) != 0) {
		for (int i = 0; i < 8; i++)
			printf("ok %d # SKIP redis-server %s\n", ++tap_n,
			    rc == -2 ? "not installed" : "did not start");
		return;
	}
	ok(rs.pid > 0 && rs.port > 0, "redis: started on port %d", rs.port);
	r = redis_cmd(rs.port, 5, argv, lens);
	ok(r != NULL && r->type == '$' && strchr(r->str, '-') != NULL,
	    "redis: XADD returns an id (%s)", r ? r->str : "none");
	rreply_free(r);
	r = redis_cmdf(rs.port, "XLEN stream:%d", 7);
	ok(r != NULL && r->type == ':' && r->integer == 1, "redis: XLEN 1");
	rreply_free(r);
	r = redis_cmdf(rs.port, "XRANGE stream:7 - +");
	e = r && r->type == '*' && r->n == 1 ? r->elem[0] : NULL;
	e = e && e->type == '*' && e->n == 2 ? e->elem[1] : NULL;
	ok(e != NULL && e->type == '*' && e->n == 2 &&
	    strcmp(e->elem[0]->str, "data") == 0 &&
	    e->elem[1]->len == sizeof(bin) &&
	    memcmp(e->elem[1]->str, bin, sizeof(bin)) == 0,
	    "redis: XRANGE returns the binary value with its NULs");
	rreply_free(r);
	r = redis_cmdf(rs.port, "GET nothing:here");
	ok(r != NULL && r->type == 0, "redis: a missing key is nil");
	rreply_free(r);
	r = redis_cmdf(rs.port, "NOSUCHCOMMAND x");
	ok(r != NULL && r->type == '-' && strncmp(r->str, "ERR", 3) == 0,
	    "redis: an error reply (%s)", r ? r->str : "none");
	rreply_free(r);
	snprintf(dir, sizeof(dir), "%s", rs.dir);
	redis_stop(&rs);
	ok(access(dir, F_OK) == -1 && errno == ENOENT,
	    "redis: stopped, its directory removed");
	ok(redis_cmdf(rs.port, "PING") == NULL,
	    "redis: a command to a stopped server gives NULL");
}

int
main(void)
{
	if (sodium_init() < 0 || lo_socket(AF_INET, 0, &dead_port) == -1)
		return 1;
	if ((srv_pid = start_server(AF_INET, &srv_port)) == -1)
		return 1;
	srv6_pid = start_server(AF_INET6, &srv6_port);
	test_handshake();
	test_echo();
	test_server_frames();
	test_http();
	test_procs();
	test_redis();
	proc_stop(srv_pid, 1000);
	if (srv6_pid != -1)
		proc_stop(srv6_pid, 1000);
	return done_testing();
}
