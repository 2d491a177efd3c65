/* SPDX-License-Identifier: ISC */
#include <sys/socket.h>

#include <netinet/in.h>

#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "harness.h"
#include "relay_fixture.h"
#include "tap.h"

#define RF_ARGS_MAX	40

int
rf_begin(const char *name, char *dir, size_t dircap, char *bin,
    size_t bincap, struct redis_srv *r1, struct redis_srv *r2)
{
	const char	*top = getenv("top_builddir");
	int		 rc = 0;

	snprintf(bin, bincap, "%s/relayd/rmb-relay", top != NULL ? top : ".");
	if ((size_t)snprintf(dir, dircap, "/tmp/rmb-%s.XXXXXX", name) >=
	    dircap || mkdtemp(dir) == NULL) {
		printf("Bail out! mkdtemp /tmp/rmb-%s: %s\n", name,
		    strerror(errno));
		return 1;
	}
	if (r1 != NULL && (rc = redis_start(r1)) == -2) {
		printf("1..0 # SKIP redis-server is not installed\n");
		return 0;
	}
	if (rc == -1 || (r2 != NULL && redis_start(r2) != 0)) {
		printf("Bail out! redis-server does not start\n");
		return 1;
	}
	return -1;
}

int
rf_start(struct relay_proc *p, const char *bin, const char *dir,
    const char *name, int redis_port, int port, const char *const opts[],
    const char *const extra[])
{
	char	 url[64], listen[64];
	char	*argv[RF_ARGS_MAX];
	int	 n = 0, i;

	snprintf(p->name, sizeof(p->name), "%s", name);
	snprintf(p->log, sizeof(p->log), "%s/%s.log", dir, name);
	snprintf(url, sizeof(url), "redis://127.0.0.1:%d", redis_port);
	p->port = port != 0 ? port : free_port();
	snprintf(listen, sizeof(listen), "127.0.0.1:%d", p->port);
	argv[n++] = (char *)bin;
	argv[n++] = (char *)"-r";
	argv[n++] = url;
	argv[n++] = (char *)"-l";
	argv[n++] = listen;
	/* Started as root from the build tree: _rmb-relay may not exist. */
	argv[n++] = (char *)"--user";
	argv[n++] = (char *)"nobody";
	for (i = 0; opts != NULL && opts[i] != NULL &&
	    n < RF_ARGS_MAX - 1; i++)
		argv[n++] = (char *)opts[i];
	for (i = 0; extra != NULL && extra[i] != NULL &&
	    n < RF_ARGS_MAX - 1; i++)
		argv[n++] = (char *)extra[i];
	argv[n] = NULL;
	if ((p->pid = proc_start(argv, p->log)) == -1)
		return -1;
	return wait_log(p->log, "listening on", 10000);
}

int
rf_alive(const struct relay_proc *p)
{
	int	st;

	return proc_exited(p->pid, &st) == 0;
}

int
rf_session(struct wsc *w, const struct relay_proc *p, const struct rc_twin *t,
    const char *sid)
{
	int	status;
	char	body[256];

	return rc_connect(w, p->port, t, sid, &status, body, sizeof(body));
}

int
rf_send_req(struct wsc *w, const struct rc_twin *from, const char *from_sid,
    uint32_t to, const char *to_sid, const char *uid, const char *tags,
    const char *payload)
{
	struct rc_msg	m;

	memset(&m, 0, sizeof(m));
	m.src = from;
	m.src_sid = from_sid;
	m.dst = to;
	m.dst_sid = to_sid;
	m.kind = RC_REQUEST;
	m.uid = uid;
	m.tags = tags;
	m.payload = payload;
	m.len = strlen(payload);
	return rc_send(w, &m);
}

int
rf_got(struct wsc *w, const char *uid, const char *text)
{
	Envelope	*e;
	int		 r;

	if (rc_recv(w, &e, RF_WAIT) != 1)
		return 0;
	r = strcmp(e->uid, uid) == 0 && (text == NULL ||
	    (e->payload_case == ENVELOPE__PAYLOAD_PLAIN &&
	    e->plain.len == strlen(text) &&
	    memcmp(e->plain.data, text, e->plain.len) == 0));
	if (!r)
		diag("got uid %s, wanted %s", e->uid, uid);
	envelope__free_unpacked(e, NULL);
	return r;
}

int
rf_got_error(struct wsc *w, const char *uid, const char *text, int anonymous)
{
	return rf_got_error_in(w, uid, text, anonymous, RF_WAIT);
}

int
rf_got_error_in(struct wsc *w, const char *uid, const char *text,
    int anonymous, int ms)
{
	Envelope	*e;
	int		 r;

	if (rc_recv(w, &e, ms) != 1) {
		diag("no error envelope for %s in %d ms", uid, ms);
		return 0;
	}
	r = strcmp(e->uid, uid) == 0 &&
	    e->message_case == ENVELOPE__MESSAGE_ERROR &&
	    strcmp(e->error->message, text) == 0 && (!anonymous ||
	    ((e->source == NULL || e->source->twin == 0) &&
	    e->opt_signature_case != ENVELOPE__OPT_SIGNATURE_SIGNATURE));
	if (!r)
		diag("got uid %s: %s", e->uid,
		    e->message_case == ENVELOPE__MESSAGE_ERROR ?
		    e->error->message : "(not an error)");
	envelope__free_unpacked(e, NULL);
	return r;
}

long long
rf_metric(const struct relay_proc *p, const char *name)
{
	char		*resp, *line;
	size_t		 n, k = strlen(name);
	int		 status;
	long long	 v = -1;

	if (http_request("127.0.0.1", p->port, "GET", "/metrics", NULL, 0,
	    &status, &resp, &n, RF_WAIT) == -1)
		return -1;
	for (line = resp; line != NULL && *line != '\0';) {
		if (strncmp(line, name, k) == 0 && line[k] == ' ')
			v = strtoll(line + k + 1, NULL, 10);
		if ((line = strchr(line, '\n')) != NULL)
			line++;
	}
	free(resp);
	return v;
}

int
rf_logged(const struct relay_proc *p, const char *needle, int timeout_ms)
{
	char	*buf;
	FILE	*f;
	size_t	 n;
	int	 found = 0, waited;

	if ((buf = malloc(1 << 20)) == NULL)
		return 0;
	for (waited = 0; !found && waited <= timeout_ms; waited += 50) {
		if ((f = fopen(p->log, "r")) != NULL) {
			n = fread(buf, 1, (1 << 20) - 1, f);
			buf[n] = '\0';
			fclose(f);
			found = strstr(buf, needle) != NULL;
		}
		if (!found && waited < timeout_ms)
			usleep(50000);
	}
	free(buf);
	return found;
}

int
rf_pong(struct wsc *w, const struct rc_twin *t)
{
	struct rc_msg	 m;
	Envelope	*e;
	int		 r;

	memset(&m, 0, sizeof(m));
	m.src = t;
	m.kind = RC_PING;
	m.uid = "ping";
	m.payload = "";
	m.expiration = 40;
	if (rc_send(w, &m) == -1 || rc_recv(w, &e, RF_WAIT) != 1)
		return 0;
	r = e->message_case == ENVELOPE__MESSAGE_PONG;
	envelope__free_unpacked(e, NULL);
	return r;
}

static int
redis_up(int port)
{
	struct rreply	*r;
	int		 up;

	if ((r = redis_cmdf(port, "PING")) == NULL)
		return 0;
	up = r->type == '+';
	rreply_free(r);
	return up;
}

static int
redis_exec(struct rf_redis *r)
{
	char	 bin[PATH_MAX], port[16];
	char	*argv[] = { bin, "--port", port, "--bind", "127.0.0.1",
		    "--save", "", "--appendonly", r->aof ? "yes" : "no",
		    "--appendfsync", "always", "--dir", r->dir,
		    "--daemonize", "no", "--loglevel", "warning", NULL };
	int	 i, st;

	if (redis_path(bin, sizeof(bin)) == -1)
		return -2;
	snprintf(port, sizeof(port), "%d", r->port);
	if ((r->pid = proc_start(argv, r->log)) == -1)
		return -1;
	for (i = 0; i < 250; i++) {
		if (redis_up(r->port))
			return 0;
		if (proc_exited(r->pid, &st) != 0)
			break;
		usleep(20000);
	}
	proc_stop(r->pid, RF_WAIT);
	r->pid = -1;
	return -1;
}

int
rf_redis_start(struct rf_redis *r, const char *dir, int aof)
{
	int	attempt, rv = -1;

	memset(r, 0, sizeof(*r));
	r->pid = -1;
	r->aof = aof;
	snprintf(r->dir, sizeof(r->dir), "%s/redis.XXXXXX", dir);
	if (mkdtemp(r->dir) == NULL)
		return -1;
	snprintf(r->log, sizeof(r->log), "%s/redis.log", r->dir);
	/* Another process may take the port first: then redis exits. */
	for (attempt = 0; attempt < 3 && rv == -1; attempt++) {
		if ((r->port = free_port()) == -1)
			return -1;
		rv = redis_exec(r);
	}
	return rv;
}

void
rf_redis_kill(struct rf_redis *r)
{
	int	st;

	if (r->pid <= 0)
		return;
	kill(r->pid, SIGKILL);
	while (proc_exited(r->pid, &st) == 0)
		usleep(5000);
	r->pid = -1;
}

int
rf_redis_restart(struct rf_redis *r)
{
	int	attempt, rv = -1;

	/* The port may linger a moment after the crash. */
	for (attempt = 0; attempt < 20 && rv == -1; attempt++) {
		if ((rv = redis_exec(r)) == -1)
			usleep(100000);
	}
	return rv;
}

void
rf_redis_stop(struct rf_redis *r)
{
	if (r->pid > 0)
		proc_stop(r->pid, RF_WAIT);
	r->pid = -1;
}

int
rf_post_send(const struct relay_proc *p, const void *body, size_t n)
{
	struct sockaddr_in	 sin;
	char			 head[256];
	int			 fd, hl;

	if ((fd = socket(AF_INET, SOCK_STREAM, 0)) == -1)
		return -1;
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_port = htons((uint16_t)p->port);
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	hl = snprintf(head, sizeof(head), "POST / HTTP/1.1\r\nHost: "
	    "127.0.0.1:%d\r\nContent-Length: %zu\r\nConnection: close\r\n\r\n",
	    p->port, n);
	if (connect(fd, (struct sockaddr *)&sin, sizeof(sin)) == -1 ||
	    hl < 0 || (size_t)hl >= sizeof(head) ||
	    write(fd, head, (size_t)hl) != hl ||
	    (n > 0 && write(fd, body, n) != (ssize_t)n)) {
		close(fd);
		return -1;
	}
	return fd;
}

int
rf_post_answer(int fd, int timeout_ms, char *out, size_t cap)
{
	struct pollfd	 pfd;
	char		 buf[8192], *eoh, *cl;
	size_t		 len = 0, want;
	ssize_t		 k;
	int		 status = -1, waited = 0;

	pfd.fd = fd;
	pfd.events = POLLIN;
	if (poll(&pfd, 1, timeout_ms) == 0)
		return 0;
	/* It answered: the rest of the answer is read whole. */
	for (;;) {
		if (len + 1 >= sizeof(buf) ||
		    (k = read(fd, buf + len, sizeof(buf) - 1 - len)) <= 0)
			break;
		len += (size_t)k;
		buf[len] = '\0';
		if ((eoh = strstr(buf, "\r\n\r\n")) == NULL)
			continue;
		want = 0;
		if ((cl = strcasestr(buf, "content-length:")) != NULL &&
		    cl < eoh)
			want = strtoul(cl + 15, NULL, 10);
		if (len >= (size_t)(eoh + 4 - buf) + want) {
			if (sscanf(buf, "HTTP/1.%*d %d", &status) != 1)
				status = -1;
			snprintf(out, cap, "%.*s", (int)want, eoh + 4);
			break;
		}
		if (poll(&pfd, 1, RF_WAIT) <= 0 || ++waited > 1000)
			break;
	}
	close(fd);
	return status;
}
