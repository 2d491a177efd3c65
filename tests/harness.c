/* SPDX-License-Identifier: ISC */
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>
#include <sys/wait.h>

#include <netinet/in.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "harness.h"

/* Each redis_cmd step (connect, write, read) waits at most this long. */
#define REDIS_TIMEOUT_MS	5000
#define REDIS_LINE_MAX		65536
#define REDIS_ARGS_MAX		64
#define NEEDLE_MAX		4096
/* How long a process may take to go after SIGKILL before we give up. */
#define KILL_WAIT_MS		5000

static int	send_all(int, const char *, size_t);

static int64_t
now_ms(void)
{
	struct timespec	ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void
nap(int ms)
{
	struct timespec	ts = { ms / 1000, (ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) == -1 && errno == EINTR)
		;
}

static void
lo_addr(struct sockaddr_in *sin, int port)
{
	memset(sin, 0, sizeof(*sin));
	sin->sin_family = AF_INET;
	sin->sin_port = htons((uint16_t)port);
	sin->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
}

int
free_port(void)
{
	struct sockaddr_in	sin;
	socklen_t		sl = sizeof(sin);
	int			fd, port = -1;

	if ((fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0)) == -1)
		return -1;
	lo_addr(&sin, 0);
	if (bind(fd, (struct sockaddr *)&sin, sizeof(sin)) == 0 &&
	    getsockname(fd, (struct sockaddr *)&sin, &sl) == 0)
		port = ntohs(sin.sin_port);
	close(fd);
	return port;
}

/* A blocking connection whose connect, reads and writes each time out. */
static int
lo_connect(int port, int timeout_ms)
{
	struct sockaddr_in	sin;
	struct timeval		tv = { timeout_ms / 1000,
				    (timeout_ms % 1000) * 1000 };
	int			fd;

	if ((fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0)) == -1)
		return -1;
	lo_addr(&sin, port);
	if (setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv)) == -1 ||
	    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) == -1 ||
	    connect(fd, (struct sockaddr *)&sin, sizeof(sin)) == -1) {
		close(fd);
		return -1;
	}
	return fd;
}

pid_t
proc_start(char *const argv[], const char *logpath)
{
	pid_t	pid, parent = getpid();
	int	fd;

	if ((pid = fork()) != 0)
		return pid;
	/* The parent may have died before the request took effect. */
	if (prctl(PR_SET_PDEATHSIG, SIGTERM) == -1 || getppid() != parent)
		_exit(127);
	/* Start as from a shell, whatever the test did to SIGPIPE. */
	signal(SIGPIPE, SIG_DFL);
	if ((fd = open("/dev/null", O_RDONLY | O_CLOEXEC)) == -1 ||
	    dup2(fd, 0) == -1)
		_exit(127);
	if (logpath != NULL && ((fd = open(logpath,
	    O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644)) == -1 ||
	    dup2(fd, 1) == -1 || dup2(fd, 2) == -1))
		_exit(127);
	execv(argv[0], argv);
	_exit(127);
}

int
proc_exited(pid_t pid, int *status)
{
	pid_t	r;

	while ((r = waitpid(pid, status, WNOHANG)) == -1 && errno == EINTR)
		;
	return r == pid ? 1 : r == 0 ? 0 : -1;
}

int
proc_wait(pid_t pid, int timeout_ms, int *status)
{
	int64_t	deadline = now_ms() + timeout_ms;
	int	r;

	while ((r = proc_exited(pid, status)) == 0 && now_ms() < deadline)
		nap(10);
	return r;
}

int
proc_stop(pid_t pid, int timeout_ms)
{
	int	status, r;

	if (pid <= 0 || kill(pid, SIGTERM) == -1)
		return -1;
	if ((r = proc_wait(pid, timeout_ms, &status)) != 0)
		return r == 1 ? status : -1;
	fprintf(stderr, "harness: pid %ld did not stop within %d ms of "
	    "SIGTERM: killing it\n", (long)pid, timeout_ms);
	kill(pid, SIGKILL);
	/* Even SIGKILL waits for a process stuck in the kernel: bounded. */
	if ((r = proc_wait(pid, KILL_WAIT_MS, &status)) == 0)
		fprintf(stderr, "harness: pid %ld still runs %d ms after "
		    "SIGKILL: left behind\n", (long)pid, KILL_WAIT_MS);
	return r == 1 ? status : -1;
}

/* A "Vm...:" line of /proc/pid/status (field with its colon), in KiB. */
static long
proc_status_kib(pid_t pid, const char *field)
{
	char	 path[64], line[256];
	size_t	 n = strlen(field);
	long	 v = -1;
	FILE	*f;

	snprintf(path, sizeof(path), "/proc/%ld/status", (long)pid);
	if ((f = fopen(path, "r")) == NULL)
		return -1;
	while (fgets(line, sizeof(line), f) != NULL)
		if (strncmp(line, field, n) == 0)
			v = strtol(line + n, NULL, 10);
	fclose(f);
	return v;
}

long
proc_rss_kib(pid_t pid)
{
	return proc_status_kib(pid, "VmRSS:");
}

long
proc_peak_kib(pid_t pid)
{
	return proc_status_kib(pid, "VmHWM:");
}

int
proc_rss_below(const pid_t *pids, size_t n, long kib, long *rss,
    int timeout_ms)
{
	int64_t	deadline = now_ms() + timeout_ms;
	size_t	i, under;

	for (;;) {
		for (i = 0, under = 0; i < n; i++) {
			rss[i] = proc_rss_kib(pids[i]);
			under += rss[i] >= 0 && rss[i] < kib;
		}
		if (under == n)
			return 0;
		if (now_ms() >= deadline)
			return -1;
		usleep(100000);
	}
}

int
wait_port(int port, int timeout_ms)
{
	int64_t	deadline = now_ms() + timeout_ms;
	int	fd;

	for (;;) {
		if ((fd = lo_connect(port, 200)) != -1) {
			close(fd);
			return 0;
		}
		if (now_ms() >= deadline)
			return -1;
		nap(20);
	}
}

/* Reads the file in blocks, keeping a needle's length of overlap. */
ssize_t
http_read_request(int fd, char *buf, size_t cap)
{
	size_t		 len = 0, want;
	ssize_t		 n;
	const char	*h, *cl;

	for (;;) {
		if (len + 1 >= cap ||
		    (n = read(fd, buf + len, cap - 1 - len)) <= 0)
			return -1;
		len += (size_t)n;
		buf[len] = '\0';
		if ((h = strstr(buf, "\r\n\r\n")) == NULL)
			continue;
		if ((cl = strcasestr(buf, "Content-Length:")) == NULL)
			return (ssize_t)len;
		want = (size_t)(h + 4 - buf) + strtoul(cl + 15, NULL, 10);
		if (len >= want)
			return (ssize_t)len;
	}
}

const char *
http_body(const char *req)
{
	const char	*h;

	return (h = strstr(req, "\r\n\r\n")) != NULL ? h + 4 : "";
}

void
jsonrpc_req_id(char *out, size_t cap, const char *req)
{
	const char	*p;

	if ((p = strstr(req, "\"id\":")) != NULL)
		snprintf(out, cap, "%.*s", (int)strspn(p + 5, "0123456789"),
		    p + 5);
	else
		snprintf(out, cap, "0");
}

const char *
jsonrpc_answer(char *out, size_t cap, const char *req, const char *result,
    const char *message)
{
	char	id[24];

	jsonrpc_req_id(id, sizeof(id), http_body(req));
	if (result != NULL)
		snprintf(out, cap, "{\"jsonrpc\":\"2.0\",\"id\":%s,"
		    "\"result\":%s}", id, result);
	else
		snprintf(out, cap, "{\"jsonrpc\":\"2.0\",\"id\":%s,"
		    "\"error\":{\"message\":\"%s\"}}", id, message);
	return out;
}

static void
http_stub_serve(int s, http_answer_fn answer, void *arg)
{
	char		 req[HTTP_STUB_REQ_MAX], head[128];
	const char	*body;
	int		 c, status;

	for (;;) {
		if ((c = accept(s, NULL, NULL)) == -1)
			_exit(1);
		status = 200;
		if (http_read_request(c, req, sizeof(req)) == -1 ||
		    (body = answer(req, &status, arg)) == NULL) {
			close(c);
			continue;
		}
		snprintf(head, sizeof(head), "HTTP/1.1 %d %s\r\n"
		    "Content-Length: %zu\r\nConnection: close\r\n\r\n",
		    status, status == 200 ? "OK" : "Stub", strlen(body));
		/* The client may have given up: nothing to do about it. */
		if (send_all(c, head, strlen(head)) == 0)
			(void)send_all(c, body, strlen(body));
		close(c);
	}
}

pid_t
http_stub_start(int port, http_answer_fn answer, void *arg)
{
	struct sockaddr_in	sin;
	pid_t			pid, parent = getpid();
	int			s, one = 1;

	if ((s = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0)) == -1)
		return -1;
	lo_addr(&sin, port);
	if (setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) == -1 ||
	    bind(s, (struct sockaddr *)&sin, sizeof(sin)) == -1 ||
	    listen(s, 16) == -1 || (pid = fork()) == -1) {
		close(s);
		return -1;
	}
	if (pid != 0) {
		close(s);
		return pid;
	}
	/* The parent may have died before the request took effect. */
	if (prctl(PR_SET_PDEATHSIG, SIGTERM) == -1 || getppid() != parent)
		_exit(1);
	http_stub_serve(s, answer, arg);
	_exit(1);
}

static int
file_has(const char *path, const char *needle)
{
	char	 b[4 * NEEDLE_MAX];
	size_t	 nl = strlen(needle), keep = 0, have;
	ssize_t	 r;
	int	 fd, found = 0;

	if (nl == 0 || nl >= NEEDLE_MAX)
		return nl == 0;
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1)
		return 0;
	while (!found && (r = read(fd, b + keep, sizeof(b) - keep)) > 0) {
		have = keep + (size_t)r;
		found = memmem(b, have, needle, nl) != NULL;
		keep = have < nl - 1 ? have : nl - 1;
		memmove(b, b + have - keep, keep);
	}
	close(fd);
	return found;
}

int
wait_log(const char *logpath, const char *needle, int timeout_ms)
{
	int64_t	deadline = now_ms() + timeout_ms;

	for (;;) {
		if (file_has(logpath, needle))
			return 0;
		if (now_ms() >= deadline)
			return -1;
		nap(20);
	}
}

#define TAIL_LINES	30
#define TAIL_BYTES	16384

/* The last TAIL_LINES lines of path as diagnostics, each cut at 300. */
static void
diag_tail(const char *path, const char *name)
{
	char	 buf[TAIL_BYTES + 1], *p, *lines[TAIL_LINES];
	FILE	*f;
	long	 end;
	size_t	 n, i, k = 0, total = 0;

	if ((f = fopen(path, "r")) == NULL)
		return;
	if (fseek(f, 0, SEEK_END) == 0 && (end = ftell(f)) > TAIL_BYTES)
		(void)fseek(f, end - TAIL_BYTES, SEEK_SET);
	else
		rewind(f);
	n = fread(buf, 1, TAIL_BYTES, f);
	fclose(f);
	buf[n] = '\0';
	/* A ring of line starts; a first line cut by the seek is skipped. */
	for (p = buf; *p != '\0'; ) {
		char	*nl = strchr(p, '\n');

		if (p != buf || n < TAIL_BYTES) {
			lines[k] = p;
			k = (k + 1) % TAIL_LINES;
			total++;
		}
		if (nl == NULL)
			break;
		*nl = '\0';
		p = nl + 1;
	}
	printf("# --- %s, its last lines:\n", name);
	if (total > TAIL_LINES)
		total = TAIL_LINES;
	for (i = 0; i < total; i++)
		printf("#   %.300s\n",
		    lines[(k + TAIL_LINES - total + i) % TAIL_LINES]);
}

static void
diag_logs(const char *dir, const char *rel, int depth)
{
	char		 path[PATH_MAX], name[PATH_MAX];
	DIR		*d;
	struct dirent	*de;
	size_t		 len;

	if ((d = opendir(dir)) == NULL)
		return;
	while ((de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.')
			continue;
		if ((size_t)snprintf(path, sizeof(path), "%s/%s", dir,
		    de->d_name) >= sizeof(path) ||
		    (size_t)snprintf(name, sizeof(name), "%s%s", rel,
		    de->d_name) >= sizeof(name))
			continue;
		len = strlen(de->d_name);
		if (de->d_type == DT_DIR && depth > 0) {
			if (strlen(name) + 2 < sizeof(name)) {
				strcat(name, "/");
				diag_logs(path, name, depth - 1);
			}
		} else if (len > 4 &&
		    strcmp(de->d_name + len - 4, ".log") == 0)
			diag_tail(path, name);
	}
	closedir(d);
}

void
work_dir_done(const char *dir, int failed)
{
	char	cmd[PATH_MAX + 16];

	if (failed) {
		diag_logs(dir, "", 1);
		printf("# logs kept in %s\n", dir);
		return;
	}
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	if (system(cmd) != 0)
		printf("# could not remove %s\n", dir);
}

/* $REDIS_SERVER first, so the build can pass what configure found. */
int
redis_path(char *out, size_t cap)
{
	const char	*p, *e;
	int		 n;

	p = getenv("REDIS_SERVER");
	if (p != NULL && *p != '\0' && access(p, X_OK) == 0) {
		n = snprintf(out, cap, "%s", p);
		return n > 0 && (size_t)n < cap ? 0 : -1;
	}
	for (p = getenv("PATH"); p != NULL && *p != '\0'; p = *e ? e + 1 : e) {
		e = strchrnul(p, ':');
		n = snprintf(out, cap, "%.*s/redis-server", (int)(e - p), p);
		if (e > p && n > 0 && (size_t)n < cap && access(out, X_OK) == 0)
			return 0;
	}
	snprintf(out, cap, "/usr/bin/redis-server");
	return access(out, X_OK);
}

static int
redis_pong(int port)
{
	struct rreply	*r;
	int		 pong;

	if ((r = redis_cmdf(port, "PING")) == NULL)
		return 0;
	pong = r->type == '+' && strcmp(r->str, "PONG") == 0;
	rreply_free(r);
	return pong;
}

/* Copies the start of a failed server's log to stderr before it goes. */
static void
show_log(const char *path)
{
	char	b[2048];
	ssize_t	n;
	int	fd;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1)
		return;
	if ((n = read(fd, b, sizeof(b))) > 0)
		fprintf(stderr, "%.*s\n", (int)n, b);
	close(fd);
}

int
redis_start(struct redis_srv *r)
{
	char		 bin[PATH_MAX], port[16];
	char		*argv[] = { bin, "--port", port, "--bind", "127.0.0.1",
			    "--save", "", "--appendonly", "no",
			    "--dir", r->dir, "--daemonize", "no",
			    "--loglevel", "warning", NULL };
	const char	*tmp = getenv("TMPDIR");
	int64_t		 deadline;
	int		 attempt, st, ex = 0;

	memset(r, 0, sizeof(*r));
	r->pid = -1;
	if (redis_path(bin, sizeof(bin)) == -1)
		return -2;
	snprintf(r->dir, sizeof(r->dir), "%s/rmb-redis.XXXXXX",
	    tmp != NULL && *tmp != '\0' ? tmp : "/tmp");
	if (mkdtemp(r->dir) == NULL) {
		fprintf(stderr, "redis_start: mkdtemp %s: %s\n", r->dir,
		    strerror(errno));
		r->dir[0] = '\0';
		return -1;
	}
	snprintf(r->log, sizeof(r->log), "%s/redis.log", r->dir);
	/* Another process may take the port first: then redis exits. */
	for (attempt = 0; attempt < 3; attempt++) {
		if ((r->port = free_port()) == -1)
			break;
		snprintf(port, sizeof(port), "%d", r->port);
		if ((r->pid = proc_start(argv, r->log)) == -1)
			break;
		deadline = now_ms() + 5000;
		for (;;) {
			if (redis_pong(r->port))
				return 0;
			if ((ex = proc_exited(r->pid, &st)) != 0 ||
			    now_ms() >= deadline)
				break;
			nap(20);
		}
		if (ex == 0)
			break;
		r->pid = -1;
	}
	fprintf(stderr, "redis_start: %s did not answer PING; its log:\n", bin);
	show_log(r->log);
	redis_stop(r);
	return -1;
}

/* Empties and removes dir; redis makes no subdirectories there. */
static void
rm_dir(const char *dir)
{
	struct dirent	*e;
	DIR		*d;

	if ((d = opendir(dir)) != NULL) {
		while ((e = readdir(d)) != NULL)
			if (strcmp(e->d_name, ".") != 0 &&
			    strcmp(e->d_name, "..") != 0)
				unlinkat(dirfd(d), e->d_name, 0);
		closedir(d);
	}
	rmdir(dir);
}

void
redis_stop(struct redis_srv *r)
{
	if (r->pid > 0)
		proc_stop(r->pid, 2000);
	r->pid = -1;
	if (r->dir[0] != '\0')
		rm_dir(r->dir);
	r->dir[0] = '\0';
}

struct rconn {
	int	 fd;
	char	*buf;
	size_t	 off, len, cap;		/* buf[off..len) is unread */
};

/* Makes n unread bytes available.  Returns 0 or -1. */
static int
rc_need(struct rconn *c, size_t n)
{
	char	*nb;
	size_t	 want;
	ssize_t	 r;

	while (c->len - c->off < n) {
		if (c->off > 0) {
			memmove(c->buf, c->buf + c->off, c->len - c->off);
			c->len -= c->off;
			c->off = 0;
		}
		want = n > c->len + 4096 ? n : c->len + 4096;
		if (c->cap < want) {
			want = want > c->cap * 2 ? want : c->cap * 2;
			if ((nb = realloc(c->buf, want)) == NULL)
				return -1;
			c->buf = nb;
			c->cap = want;
		}
		r = read(c->fd, c->buf + c->len, c->cap - c->len);
		if (r > 0)
			c->len += (size_t)r;
		else if (r == 0 || errno != EINTR)
			return -1;
	}
	return 0;
}

/* The next line, NUL-terminated in place, valid until the next read. */
static char *
rc_line(struct rconn *c)
{
	char	*p, *line;

	for (;;) {
		if (c->len > c->off && (p = memmem(c->buf + c->off,
		    c->len - c->off, "\r\n", 2)) != NULL) {
			*p = '\0';
			line = c->buf + c->off;
			c->off = (size_t)(p - c->buf) + 2;
			return line;
		}
		if (c->len - c->off >= REDIS_LINE_MAX ||
		    rc_need(c, c->len - c->off + 1) == -1)
			return NULL;
	}
}

static struct rreply *
rc_reply(struct rconn *c, int depth)
{
	struct rreply	*r;
	char		*line, *end;
	long long	 v;
	size_t		 i;

	if (depth > RREPLY_MAX_DEPTH || (line = rc_line(c)) == NULL ||
	    (r = calloc(1, sizeof(*r))) == NULL)
		return NULL;
	r->type = line[0];
	if (r->type == '+' || r->type == '-') {
		if ((r->str = strdup(line + 1)) == NULL)
			goto fail;
		r->len = strlen(r->str);
		return r;
	}
	errno = 0;
	v = strtoll(line + 1, &end, 10);
	if (line[0] == '\0' || line[1] == '\0' || *end != '\0' || errno != 0)
		goto fail;
	if (r->type == ':') {
		r->integer = v;
		return r;
	}
	if ((r->type == '$' || r->type == '*') && v == -1) {
		r->type = 0;
		return r;
	}
	if (r->type == '$' && v >= 0 && v <= RREPLY_MAX_BULK &&
	    rc_need(c, (size_t)v + 2) == 0 &&
	    memcmp(c->buf + c->off + v, "\r\n", 2) == 0 &&
	    (r->str = malloc((size_t)v + 1)) != NULL) {
		memcpy(r->str, c->buf + c->off, (size_t)v);
		r->str[v] = '\0';
		r->len = (size_t)v;
		c->off += (size_t)v + 2;
		return r;
	}
	if (r->type == '*' && v >= 0 && v <= RREPLY_MAX_ELEMS &&
	    (r->elem = calloc(v > 0 ? (size_t)v : 1, sizeof(*r->elem))) !=
	    NULL) {
		for (i = 0; i < (size_t)v; i++, r->n++)
			if ((r->elem[i] = rc_reply(c, depth + 1)) == NULL)
				goto fail;
		return r;
	}
fail:
	rreply_free(r);
	return NULL;
}

static int
send_all(int fd, const char *p, size_t n)
{
	ssize_t	w;

	while (n > 0) {
		if ((w = send(fd, p, n, MSG_NOSIGNAL)) > 0) {
			p += w;
			n -= (size_t)w;
		} else if (w == 0 || errno != EINTR)
			return -1;
	}
	return 0;
}

struct rreply *
redis_cmd(int port, int argc, const char **argv, const size_t *argvlen)
{
	struct rconn	 c;
	struct rreply	*r = NULL;
	char		*req;
	size_t		 total = 32, off, len;
	int		 i;

	if (argc < 1)
		return NULL;
	for (i = 0; i < argc; i++)
		total += 32 + (argvlen ? argvlen[i] : strlen(argv[i]));
	if ((req = malloc(total)) == NULL)
		return NULL;
	off = (size_t)snprintf(req, total, "*%d\r\n", argc);
	for (i = 0; i < argc; i++) {
		len = argvlen ? argvlen[i] : strlen(argv[i]);
		off += (size_t)snprintf(req + off, total - off, "$%zu\r\n",
		    len);
		memcpy(req + off, argv[i], len);
		memcpy(req + off + len, "\r\n", 2);
		off += len + 2;
	}
	memset(&c, 0, sizeof(c));
	if ((c.fd = lo_connect(port, REDIS_TIMEOUT_MS)) != -1) {
		if (send_all(c.fd, req, off) == 0)
			r = rc_reply(&c, 0);
		close(c.fd);
	}
	free(c.buf);
	free(req);
	return r;
}

struct rreply *
redis_cmdf(int port, const char *fmt, ...)
{
	struct rreply	*r = NULL;
	const char	*argv[REDIS_ARGS_MAX];
	char		*line, *w, *save;
	va_list		 ap;
	int		 argc = 0, n;

	va_start(ap, fmt);
	n = vasprintf(&line, fmt, ap);
	va_end(ap);
	if (n == -1)
		return NULL;
	for (w = strtok_r(line, " ", &save); w != NULL;
	    w = strtok_r(NULL, " ", &save)) {
		if (argc == REDIS_ARGS_MAX)
			goto done;
		argv[argc++] = w;
	}
	r = redis_cmd(port, argc, argv, NULL);
done:
	free(line);
	return r;
}

void
rreply_free(struct rreply *r)
{
	size_t	i;

	if (r == NULL)
		return;
	for (i = 0; i < r->n; i++)
		rreply_free(r->elem[i]);
	free(r->elem);
	free(r->str);
	free(r);
}

int
notify_open(const char *name)
{
	struct sockaddr_un	sun;
	size_t			n = strlen(name);
	int			fd;

	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	if (n + 1 > sizeof(sun.sun_path))
		return -1;
	/* sun_path[0] stays NUL: the abstract namespace, no file modes. */
	memcpy(sun.sun_path + 1, name, n);
	if ((fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0)) == -1)
		return -1;
	if (bind(fd, (struct sockaddr *)&sun, (socklen_t)(offsetof(
	    struct sockaddr_un, sun_path) + 1 + n)) == -1) {
		close(fd);
		return -1;
	}
	return fd;
}

/* Whether the lines of s hold the line want. */
static int
has_line(const char *s, const char *want)
{
	size_t	n = strlen(want);

	while (s != NULL && *s != '\0') {
		if (strncmp(s, want, n) == 0 && (s[n] == '\n' || s[n] == '\0'))
			return 1;
		if ((s = strchr(s, '\n')) != NULL)
			s++;
	}
	return 0;
}

int
notify_wait(int fd, const char *want, char *buf, size_t cap, int timeout_ms)
{
	struct pollfd	pfd;
	int64_t		deadline = now_ms() + timeout_ms, left;
	ssize_t		n;

	if (cap == 0)
		return -1;
	while ((left = deadline - now_ms()) > 0) {
		pfd.fd = fd;
		pfd.events = POLLIN;
		if (poll(&pfd, 1, (int)left) <= 0)
			continue;
		if ((n = recv(fd, buf, cap - 1, MSG_DONTWAIT)) <= 0)
			continue;
		buf[n] = '\0';
		if (has_line(buf, want))
			return 0;
	}
	buf[0] = '\0';
	return -1;
}
