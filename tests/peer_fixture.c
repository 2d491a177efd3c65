/* SPDX-License-Identifier: ISC */
#include <sys/stat.h>
#include <sys/wait.h>

#include <dirent.h>
#include <errno.h>
#include <ftw.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "base64.h"
#include "peer_fixture.h"

#define PF_WAIT	10000	/* ms */

int
pf_init(struct pf_net *n)
{
	static const char *const kids[] = { "keyd/rmb-keyd", "netd/rmb-netd",
	    "apid/rmb-apid" };
	char	tmpl[] = "/tmp/rmb-peer-test.XXXXXX", cwd[300];
	char	lib[300], target[700], link[400];
	size_t	i;
	int	rv;

	memset(n, 0, sizeof(*n));
	if ((n->top = getenv("top_builddir")) == NULL)
		n->top = ".";
	if (mkdtemp(tmpl) == NULL || chmod(tmpl, 0755) == -1 ||
	    getcwd(cwd, sizeof(cwd)) == NULL)
		return -1;
	snprintf(n->dir, sizeof(n->dir), "%s", tmpl);
	snprintf(n->twins, sizeof(n->twins), "%s/twins.json", n->dir);
	snprintf(n->jail, sizeof(n->jail), "%s/jail", n->dir);
	snprintf(lib, sizeof(lib), "%s/libexec", n->dir);
	if (mkdir(lib, 0755) == -1 || mkdir(n->jail, 0755) == -1)
		return -1;
	for (i = 0; i < sizeof(kids) / sizeof(kids[0]); i++) {
		if (n->top[0] == '/')
			snprintf(target, sizeof(target), "%s/%s", n->top,
			    kids[i]);
		else
			snprintf(target, sizeof(target), "%s/%s/%s", cwd,
			    n->top, kids[i]);
		snprintf(link, sizeof(link), "%s/%s", lib,
		    strrchr(kids[i], '/') + 1);
		if (symlink(target, link) == -1)
			return -1;
	}
	setenv("RMB_LIBEXECDIR", lib, 1);
	if ((rv = redis_start(&n->redis)) != 0)
		return rv;
	n->relay_port = free_port();
	return 0;
}

int
pf_begin(struct pf_net *n)
{
	int	rv;

	if ((rv = pf_init(n)) == -2) {
		printf("1..0 # SKIP redis-server is not installed\n");
		return 0;
	}
	if (rv != 0) {
		printf("Bail out! cannot set up the test network\n");
		return 1;
	}
	return -1;
}

int
pf_relay_start(struct pf_net *n)
{
	char	 bin[512], url[64], listen[64], log[300];
	char	*argv[16];
	int	 i = 0;

	snprintf(bin, sizeof(bin), "%s/relayd/rmb-relay", n->top);
	snprintf(url, sizeof(url), "redis://127.0.0.1:%d", n->redis.port);
	snprintf(listen, sizeof(listen), "[::]:%d", n->relay_port);
	snprintf(log, sizeof(log), "%s/relay.log", n->dir);
	argv[i++] = bin;
	argv[i++] = (char *)"-m";
	argv[i++] = (char *)"localhost";
	argv[i++] = (char *)"-r";
	argv[i++] = url;
	argv[i++] = (char *)"-l";
	argv[i++] = listen;
	/* Started as root from the build tree: no package users. */
	argv[i++] = (char *)"--user";
	argv[i++] = (char *)"nobody";
	argv[i++] = (char *)(n->substrate != NULL ? "-s" : "--twins");
	argv[i++] = (char *)(n->substrate != NULL ? n->substrate : n->twins);
	argv[i] = NULL;
	unlink(log);
	if ((n->relay_pid = proc_start(argv, log)) == -1)
		return -1;
	return wait_log(log, "listening on", PF_WAIT);
}

void
pf_relay_stop(struct pf_net *n)
{
	if (n->relay_pid > 0)
		proc_stop(n->relay_pid, PF_WAIT);
	n->relay_pid = 0;
}

int
pf_peer_start(struct pf_net *n, struct pf_peer *p, const char *twins,
    int wait)
{
	char	 bin[512], url[64], relay[64], secret[300];
	char	*argv[24];
	int	 i = 0;

	snprintf(bin, sizeof(bin), "%s/peer/rmb-peer", n->top);
	if (p->redis.pid == 0 && redis_start(&p->redis) != 0)
		return -1;
	snprintf(url, sizeof(url), "redis://127.0.0.1:%d", p->redis.port);
	snprintf(relay, sizeof(relay), "ws://localhost:%d", n->relay_port);
	snprintf(secret, sizeof(secret), "%s/%s.secret", n->dir, p->name);
	snprintf(p->log, sizeof(p->log), "%s/peer-%s.log", n->dir, p->name);
	if (rc_secret_file(secret, p->twin) == -1)
		return -1;
	argv[i++] = bin;
	if (!p->quiet)
		argv[i++] = (char *)"-d";
	argv[i++] = (char *)"-k";
	argv[i++] = (char *)p->key_type;
	argv[i++] = (char *)"--mnemonic-file";
	argv[i++] = secret;
	argv[i++] = (char *)"-r";
	argv[i++] = url;
	argv[i++] = (char *)"--relay";
	argv[i++] = relay;
	if (p->substrate != NULL) {
		argv[i++] = (char *)"-s";
		argv[i++] = (char *)p->substrate;
	} else {
		argv[i++] = (char *)"--twins";
		argv[i++] = (char *)(twins != NULL ? twins : n->twins);
	}
	if (!p->update)
		argv[i++] = (char *)"--no-update";
	argv[i++] = (char *)"--jail";
	argv[i++] = n->jail;
	argv[i++] = (char *)"--user";
	argv[i++] = (char *)"nobody";
	argv[i] = NULL;
	unlink(p->log);
	if ((p->pid = proc_start(argv, p->log)) == -1)
		return -1;
	if (!wait)
		return 0;
	return wait_log(p->log, ": connected", PF_WAIT);
}

int
pf_peer_stop(struct pf_peer *p)
{
	int	st = -1;

	if (p->pid > 0)
		st = proc_stop(p->pid, PF_WAIT);
	p->pid = 0;
	if (p->redis.pid > 0)
		redis_stop(&p->redis);
	return st;
}

void
pf_done(struct pf_net *n, int ok)
{
	pf_relay_stop(n);
	redis_stop(&n->redis);
	work_dir_done(n->dir, !ok);
}

int
pf_lpush(int port, const char *key, const char *json)
{
	const char	*argv[] = { "LPUSH", key, json };
	struct rreply	*r;
	int		 rv = -1;

	if ((r = redis_cmd(port, 3, argv, NULL)) != NULL && r->type == ':')
		rv = 0;
	rreply_free(r);
	return rv;
}

char *
pf_blpop(int port, const char *key, int secs)
{
	char		 t[16];
	const char	*argv[] = { "BLPOP", key, t };
	struct rreply	*r;
	char		*v = NULL;

	/* The RESP client gives up after 5 s: wait in slices under that. */
	snprintf(t, sizeof(t), "%d", secs > 4 ? 4 : secs);
	for (; secs > 0 && v == NULL; secs -= 4) {
		r = redis_cmd(port, 3, argv, NULL);
		if (r != NULL && r->type == '*' && r->n == 2 &&
		    r->elem[1]->type == '$')
			v = strdup(r->elem[1]->str);
		rreply_free(r);
	}
	return v;
}

long long
pf_llen(int port, const char *key)
{
	struct rreply	*r;
	long long	 v = -1;

	if ((r = redis_cmdf(port, "LLEN %s", key)) != NULL && r->type == ':')
		v = r->integer;
	rreply_free(r);
	return v;
}

void
pf_request(char *out, size_t cap, const char *ref, const char *cmd,
    unsigned int exp, const char *body, const char *dst, const char *ret,
    const char *tag)
{
	char	b64[8192];

	b64_encode(b64, sizeof(b64), (const uint8_t *)body, strlen(body));
	snprintf(out, cap, "{\"ver\":1,\"ref\":\"%s\",\"cmd\":\"%s\","
	    "\"exp\":%u,\"dat\":\"%s\",\"tag\":%s%s%s,\"dst\":[%s],"
	    "\"ret\":\"%s\",\"shm\":\"application/json\",\"now\":0}", ref,
	    cmd, exp, b64, tag != NULL ? "\"" : "", tag != NULL ? tag : "null",
	    tag != NULL ? "\"" : "", dst, ret);
}

/* The text of "key":"..." in a JSON line, cut in place. */
static char *
cut(char *json, const char *key)
{
	char	pat[32], *p, *e;

	snprintf(pat, sizeof(pat), "\"%s\":\"", key);
	if ((p = strstr(json, pat)) == NULL)
		return NULL;
	p += strlen(pat);
	if ((e = strchr(p, '"')) == NULL)
		return NULL;
	*e = '\0';
	return p;
}

int
pf_echo_reply(char *req, char *resp, size_t cap)
{
	char	*dat, *src, *ref;
	int	 n;

	/* dat comes after ref and src in the peer's fixed key order. */
	if ((dat = strstr(req, "\"dat\":\"")) == NULL ||
	    (dat = cut(dat, "dat")) == NULL ||
	    (src = cut(req, "src")) == NULL || (ref = cut(req, "ref")) == NULL)
		return -1;
	n = snprintf(resp, cap, "{\"ver\":1,\"ref\":\"%s\",\"dat\":\"%s\","
	    "\"dst\":\"%s\",\"shm\":\"application/json\",\"now\":0,"
	    "\"err\":null}", ref, dat, src);
	return n < 0 || (size_t)n >= cap ? -1 : 0;
}

int
pf_echo_one(const struct pf_peer *p, const char *cmd, int secs)
{
	char	 key[128], *resp, *req;
	size_t	 cap;
	int	 rv = -1;

	snprintf(key, sizeof(key), "msgbus.%s", cmd);
	if ((req = pf_blpop(p->redis.port, key, secs)) == NULL)
		return -1;
	/* The answer is the request's fields in another frame. */
	cap = strlen(req) + 512;
	if ((resp = malloc(cap)) != NULL &&
	    pf_echo_reply(req, resp, cap) == 0)
		rv = pf_lpush(p->redis.port, "msgbus.system.reply", resp);
	free(resp);
	free(req);
	return rv;
}

static long long
pf_now_ms(void)
{
	struct timespec	ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void
pf_nap(int ms)
{
	struct timespec	ts = { ms / 1000, (ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) == -1 && errno == EINTR)
		;
}

int
pf_redis_halt(struct redis_srv *r, enum pf_halt how)
{
	long long	 deadline;
	int		 st, ex;

	if (r->pid <= 0)
		return -1;
	if (how == PF_HALT_SAVE)
		/* No answer comes: it saves, drops every client and exits. */
		rreply_free(redis_cmdf(r->port, "SHUTDOWN SAVE"));
	else
		kill(r->pid, how == PF_HALT_KILL ? SIGKILL : SIGTERM);
	deadline = pf_now_ms() + PF_WAIT;
	while ((ex = proc_exited(r->pid, &st)) == 0 && pf_now_ms() < deadline)
		pf_nap(10);
	if (ex == 0)
		proc_stop(r->pid, 0);
	/* -1, as the harness marks a server that does not run. */
	r->pid = -1;
	return ex == 1 ? 0 : -1;
}

int
pf_redis_resume(struct redis_srv *r, const char *const opts[])
{
	char		 bin[PATH_MAX], port[16];
	char		*argv[48];
	struct rreply	*rr;
	long long	 deadline;
	int		 i = 0, st, pong;

	if (r->pid > 0 || r->dir[0] == '\0' || redis_path(bin, sizeof(bin)))
		return -1;
	snprintf(port, sizeof(port), "%d", r->port);
	argv[i++] = bin;
	argv[i++] = (char *)"--port";
	argv[i++] = port;
	argv[i++] = (char *)"--bind";
	argv[i++] = (char *)"127.0.0.1";
	/* The harness's defaults; opts come later, and the last one wins. */
	argv[i++] = (char *)"--save";
	argv[i++] = (char *)"";
	argv[i++] = (char *)"--appendonly";
	argv[i++] = (char *)"no";
	argv[i++] = (char *)"--dir";
	argv[i++] = r->dir;
	argv[i++] = (char *)"--daemonize";
	argv[i++] = (char *)"no";
	argv[i++] = (char *)"--loglevel";
	argv[i++] = (char *)"warning";
	for (; opts != NULL && *opts != NULL; opts++) {
		if (i == (int)(sizeof(argv) / sizeof(argv[0])) - 1)
			return -1;
		argv[i++] = (char *)*opts;
	}
	argv[i] = NULL;
	if ((r->pid = proc_start(argv, r->log)) == -1)
		return -1;
	/* Loading an AOF or an RDB answers -LOADING until it is done. */
	deadline = pf_now_ms() + PF_WAIT;
	for (;;) {
		rr = redis_cmdf(r->port, "PING");
		pong = rr != NULL && rr->type == '+';
		rreply_free(rr);
		if (pong)
			return 0;
		if (proc_exited(r->pid, &st) != 0 || pf_now_ms() >= deadline)
			break;
		pf_nap(20);
	}
	fprintf(stderr, "pf_redis_resume: no PING on port %d; see %s\n",
	    r->port, r->log);
	if (proc_exited(r->pid, &st) == 0)
		proc_stop(r->pid, 2000);
	r->pid = -1;
	return -1;
}

static int
rm_one(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
	(void)sb;
	(void)flag;
	(void)ftw;
	remove(path);
	return 0;
}

void
pf_redis_purge(struct redis_srv *r)
{
	if (r->pid > 0)
		proc_stop(r->pid, 2000);
	r->pid = -1;
	if (r->dir[0] != '\0')
		nftw(r->dir, rm_one, 8, FTW_DEPTH | FTW_PHYS);
	r->dir[0] = '\0';
}

/* The parent, state and name of pid, from /proc/pid/stat.  0 or -1. */
static int
proc_stat(pid_t pid, pid_t *ppid, char *state, char *comm, size_t cap)
{
	char	 path[64], buf[512], *l, *r;
	FILE	*f;
	size_t	 n;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	if ((f = fopen(path, "re")) == NULL)
		return -1;
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	/* The name is in parentheses and may hold any of them: the last. */
	if ((l = strchr(buf, '(')) == NULL || (r = strrchr(buf, ')')) == NULL ||
	    r < l || r[1] != ' ' || r[2] == '\0' || r[3] != ' ')
		return -1;
	if (comm != NULL)
		snprintf(comm, cap, "%.*s", (int)(r - l - 1), l + 1);
	if (state != NULL)
		*state = r[2];
	if (ppid != NULL)
		*ppid = (pid_t)strtol(r + 4, NULL, 10);
	return 0;
}

#define PF_PROCS_MAX	8192

/* Every process with its parent; the count, or -1. */
static int
proc_table(pid_t *pids, pid_t *ppids, int cap)
{
	struct dirent	*e;
	DIR		*d;
	char		*end;
	long		 v;
	int		 n = 0;

	if ((d = opendir("/proc")) == NULL)
		return -1;
	while (n < cap && (e = readdir(d)) != NULL) {
		v = strtol(e->d_name, &end, 10);
		if (*end != '\0' || v <= 0 ||
		    proc_stat((pid_t)v, &ppids[n], NULL, NULL, 0) == -1)
			continue;
		pids[n++] = (pid_t)v;
	}
	closedir(d);
	return n;
}

int
pf_descendants(pid_t pid, pid_t *out, int cap)
{
	pid_t	*pids, *ppids;
	int	 n, found = 0, next = 0, i;
	pid_t	 parent = pid;

	pids = calloc(PF_PROCS_MAX, sizeof(*pids));
	ppids = calloc(PF_PROCS_MAX, sizeof(*ppids));
	if (pids == NULL || ppids == NULL ||
	    (n = proc_table(pids, ppids, PF_PROCS_MAX)) == -1)
		n = 0;
	/* Breadth first: out doubles as the queue of parents to look at. */
	for (;;) {
		for (i = 0; i < n && found < cap; i++)
			if (ppids[i] == parent)
				out[found++] = pids[i];
		if (next == found)
			break;
		parent = out[next++];
	}
	free(pids);
	free(ppids);
	return found;
}

pid_t
pf_child(pid_t pid, const char *comm)
{
	pid_t	kids[16];
	pid_t	ppid;
	char	name[64];
	int	n, i;

	n = pf_descendants(pid, kids, 16);
	for (i = 0; i < n; i++)
		if (proc_stat(kids[i], &ppid, NULL, name, sizeof(name)) == 0 &&
		    ppid == pid && strcmp(name, comm) == 0)
			return kids[i];
	return -1;
}

/*
 * Waits for pid to be gone: reaped here when it is ours (we may be the
 * subreaper of a killed parent's children), else dead or a zombie that
 * is someone else's to reap.  1, or 0 after timeout_ms.
 */
static int
gone(pid_t pid, int timeout_ms)
{
	long long	deadline = pf_now_ms() + timeout_ms;
	pid_t		r, ppid;
	char		state;
	int		st;

	for (;;) {
		while ((r = waitpid(pid, &st, WNOHANG)) == -1 && errno == EINTR)
			;
		if (r == pid)
			return 1;
		if (r == -1 && (proc_stat(pid, &ppid, &state, NULL, 0) == -1 ||
		    state == 'Z'))
			return 1;
		if (pf_now_ms() >= deadline)
			return 0;
		pf_nap(10);
	}
}

int
pf_peer_kill(struct pf_peer *p)
{
	pid_t	kids[16];
	int	n, i, rv = 0;

	if (p->pid <= 0)
		return -1;
	/* Stopped, the parent neither reaps nor starts a child. */
	kill(p->pid, SIGSTOP);
	n = pf_descendants(p->pid, kids, 16);
	for (i = 0; i < n; i++)
		kill(kids[i], SIGSTOP);
	kill(p->pid, SIGKILL);
	for (i = 0; i < n; i++)
		kill(kids[i], SIGKILL);
	if (!gone(p->pid, PF_WAIT))
		rv = -1;
	for (i = 0; i < n; i++)
		if (!gone(kids[i], PF_WAIT))
			rv = -1;
	p->pid = 0;
	return rv;
}

int
pf_peer_wait(struct pf_peer *p, int timeout_ms, int *status)
{
	long long	deadline = pf_now_ms() + timeout_ms;
	int		r;

	if (p->pid <= 0)
		return 0;
	while ((r = proc_exited(p->pid, status)) == 0 &&
	    pf_now_ms() < deadline)
		pf_nap(10);
	if (r != 1)
		return 0;
	p->pid = 0;
	return 1;
}

/* Moves the log at path aside, to the first free path.N. */
static void
keep_log(const char *path)
{
	char	old[320];
	int	k;

	if (path[0] == '\0' || access(path, F_OK) == -1)
		return;
	for (k = 1; k < 100; k++) {
		snprintf(old, sizeof(old), "%s.%d", path, k);
		if (access(old, F_OK) == -1) {
			rename(path, old);
			return;
		}
	}
}

int
pf_peer_restart(struct pf_net *n, struct pf_peer *p, const char *twins,
    int wait)
{
	if (p->pid > 0)
		return -1;
	keep_log(p->log);
	return pf_peer_start(n, p, twins, wait);
}

void
pf_relay_kill(struct pf_net *n)
{
	if (n->relay_pid <= 0)
		return;
	kill(n->relay_pid, SIGKILL);
	gone(n->relay_pid, PF_WAIT);
	n->relay_pid = 0;
}

int
pf_relay_restart(struct pf_net *n)
{
	char	log[300];

	if (n->relay_pid > 0)
		return -1;
	snprintf(log, sizeof(log), "%s/relay.log", n->dir);
	keep_log(log);
	return pf_relay_start(n);
}
