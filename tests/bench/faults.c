/* SPDX-License-Identifier: ISC */
/*
 * Faults injected into a real network on loopback, and counted.  Each
 * scenario gets its own redis-servers, rmb-relay, a caller peer A
 * (sr25519) and a callee peer B (ed25519) with an echo service, and a
 * client on A's redis that sends requests with known bodies; one fault
 * strikes in the middle of the run while the client goes on sending,
 * and then every answer due is accounted for: right, an error reply,
 * lost without a word, or one too many.  Run it from anywhere: the
 * build tree is the one it was built in (or $top_builddir).
 *
 * With --check the exit status says whether nothing was lost or
 * duplicated wherever redis kept its data, and nothing lost where the
 * relay's redis lost it (that loss must come back as error replies).
 */
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <hiredis/hiredis.h>
#include <sodium.h>

#include "base64.h"
#include "msgjson.h"
#include "peer_fixture.h"

#define CMD		"faults.echo"
#define RET		"faults.ret"
/* Where the client moves what it takes from RET. */
#define SEEN		"faults.seen"

#define WINDOW		64	/* answers due, as bench/peer */
#define PACE		0.002	/* s: 500 sends a second at most */
#define TRICKLE		0.020	/* s: the pace when answers stall */
#define GRACE_S		10	/* past the last deadline */
#define LINGER_S	2	/* s after the last answer */
#define DOWN_MS		2000	/* a killed part stays down */
#define RESTART_MS	1000	/* a service manager's delay */
#define STOP_S		10	/* the relay stays SIGSTOPped */
#define FAIL_CLOSED_MS	15000	/* for A to stop without netd */
#define BODY_PAD	48

/* Fan-out: one wide request, some broad ones, many short lists. */
#define FAN_WIDE	257
#define FAN_BROAD_N	10
#define FAN_BROAD	100
#define FAN_SHORT_N	3000
#define FAN_SHORT	3	/* B, A, B */

#define TWIN_A		1
#define TWIN_B		2

enum fault {
	F_NONE,
	F_RELAY_KILL,
	F_RELAY_REDIS_AOF,
	F_RELAY_REDIS_LOST,
	F_CALLEE_KILL,
	F_CALLER_NETD,
	F_RELAY_STOP,
	F_CALLER_REDIS,
	F_FANOUT
};

struct scen {
	const char	*name;
	enum fault	 fault;
	int		 keeps_data;	/* no duplicates allowed */
	const char	*what;
};

static const struct scen scens[] = {
	{ "relay-kill", F_RELAY_KILL, 1,
	    "kill -9 the relay, restart it (same port, same redis)" },
	{ "relay-redis-aof", F_RELAY_REDIS_AOF, 1,
	    "kill -9 the relay's redis (AOF, fsync always), restart it" },
	{ "relay-redis-lost", F_RELAY_REDIS_LOST, 0,
	    "kill -9 the relay's redis (no persistence), restart it empty" },
	{ "callee-peer-kill", F_CALLEE_KILL, 1,
	    "kill -9 B's parent and children, restart B" },
	{ "caller-netd-kill", F_CALLER_NETD, 1,
	    "kill -9 A's netd, restart A once it stopped" },
	{ "relay-sigstop", F_RELAY_STOP, 1,
	    "SIGSTOP the relay for 10 s, then SIGCONT" },
	{ "caller-redis-restart", F_CALLER_REDIS, 1,
	    "SHUTDOWN SAVE A's redis, restart it from its dump" },
	{ "fan-out", F_FANOUT, 1,
	    "1 x 257 destinations, 10 x 100, 3000 x [B,A,B], at once" },
	{ "baseline", F_NONE, 1, "no fault" },
};
#define NSCENS	(sizeof(scens) / sizeof(scens[0]))

/* A redis that loses nothing it acknowledged, even to kill -9. */
static const char *const aof[] = { "--appendonly", "yes", "--appendfsync",
    "always", NULL };

enum { UNSENT, SENT, ABANDONED };

/* One request and what came back for it; [0] is twin A, [1] twin B. */
struct req {
	uint16_t	exp[2];		/* answers due from each */
	uint16_t	ok[2];		/* right body, right twin */
	uint16_t	err[2];		/* err set, from the twin */
	uint16_t	anon;		/* err set, src "0" or "" */
	uint16_t	wrong;		/* no err, wrong body or twin */
	uint16_t	fills;		/* answers due that came */
	uint8_t		state;
	double		sent_at;
};

/* The error replies' texts, for the fixers to read. */
#define ERRKINDS	4
struct errkind {
	uint64_t	code;
	char		src[8];
	char		msg[96];
	long		count;
};

struct client {
	const struct scen	*s;
	int			 scen;		/* in refs */
	int			 port;		/* A's redis */
	unsigned int		 exp;
	redisContext		*c;
	struct req		*reqs;
	size_t			 cap;		/* refs */
	size_t			 want;		/* to send */
	size_t			 next;		/* next ref */
	size_t			 nsent;
	long long		 due;		/* answers due */
	long long		 filled;	/* of them, in */
	long long		 nseen;		/* LLEN SEEN */
	double			 last_sent;
	double			 hard_end;
	long			 failed_sends;
	long			 late;		/* failed sends' */
	long			 stray;		/* no such ref */
	long			 seen_lost;
	long			 reconnects;
	struct errkind		 errs[ERRKINDS];
	long			 errs_other;
	char			 first_stray[160];
	atomic_int		 half;		/* the fault may go */
	atomic_int		 fault_done;
};

struct row {
	long long	n, ok, err, lost, dup, wrong;
	int		setup_failed;
	int		fault_failed;
	int		unsent;
	char		note[1024];
};

struct opts {
	long		n;
	unsigned int	exp;
	const char	*only;
	int		check;
};

/* The scenario under way, for the alarm's message. */
static const char *volatile current = "setup";

static double
now_s(void)
{
	struct timespec	ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void
nap_ms(int ms)
{
	struct timespec	ts = { ms / 1000, (ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) == -1 && errno == EINTR)
		;
}

static void	note(struct row *, const char *, ...)
		    __attribute__((format(printf, 2, 3)));

static void
note(struct row *w, const char *fmt, ...)
{
	size_t	len = strlen(w->note);
	va_list	ap;

	if (len > 0 && len + 2 < sizeof(w->note)) {
		memcpy(w->note + len, "; ", 3);
		len += 2;
	}
	va_start(ap, fmt);
	vsnprintf(w->note + len, sizeof(w->note) - len, fmt, ap);
	va_end(ap);
}

/*
 * The cleanup of last resort, with nothing but system calls, since it
 * also runs in a signal handler: every child (we are the subreaper, so
 * the children of a dead peer are ours too) is killed and reaped, until
 * none is left.
 */
struct dirent64 {
	uint64_t	d_ino;
	int64_t		d_off;
	unsigned short	d_reclen;
	unsigned char	d_type;
	char		d_name[];
};

static long
parse_long(const char *p, const char **end)
{
	long	v = 0;

	while (*p >= '0' && *p <= '9')
		v = v * 10 + (*p++ - '0');
	*end = p;
	return v;
}

static int
my_children(pid_t *out, int cap)
{
	char		 buf[8192] __attribute__((aligned(8)));
	char		 path[64], st[512];
	const char	*e, *p;
	struct dirent64	*d;
	pid_t		 me = getpid();
	long		 nread, off, pid;
	ssize_t		 len;
	int		 fd, sfd, n = 0;
	size_t		 i;

	if ((fd = open("/proc", O_RDONLY | O_DIRECTORY | O_CLOEXEC)) == -1)
		return -1;
	while ((nread = syscall(SYS_getdents64, fd, buf, sizeof(buf))) > 0) {
		for (off = 0; off < nread; off += d->d_reclen) {
			d = (struct dirent64 *)(buf + off);
			pid = parse_long(d->d_name, &e);
			if (*e != '\0' || pid <= 0 || n == cap)
				continue;
			memcpy(path, "/proc/", 6);
			for (i = 0; d->d_name[i] != '\0' && i < 20; i++)
				path[6 + i] = d->d_name[i];
			memcpy(path + 6 + i, "/stat", 6);
			if ((sfd = open(path, O_RDONLY | O_CLOEXEC)) == -1)
				continue;
			len = read(sfd, st, sizeof(st) - 1);
			close(sfd);
			if (len <= 0)
				continue;
			st[len] = '\0';
			/* "pid (name) S ppid": the name may hold ")". */
			for (p = NULL, i = 0; i < (size_t)len; i++)
				if (st[i] == ')')
					p = st + i;
			if (p == NULL || p + 4 >= st + len)
				continue;
			if (parse_long(p + 4, &e) == me)
				out[n++] = (pid_t)pid;
		}
	}
	close(fd);
	return n;
}

static void
sweep(void)
{
	pid_t	kids[256];
	int	n, i, round;

	for (round = 0; round < 50; round++) {
		if ((n = my_children(kids, 256)) <= 0)
			return;
		for (i = 0; i < n; i++) {
			kill(kids[i], SIGCONT);
			kill(kids[i], SIGKILL);
		}
		for (i = 0; i < n; i++)
			while (waitpid(kids[i], NULL, 0) == -1 &&
			    errno == EINTR)
				;
	}
}

static void
say(const char *s)
{
	ssize_t	r;

	r = write(STDERR_FILENO, s, strlen(s));
	(void)r;
}

static void
on_fatal(int sig)
{
	say(sig == SIGALRM ? "faults: out of time in " : "faults: stopped in ");
	say(current);
	say("; killing everything it started (logs under /tmp/rmb-peer-test.*)"
	    "\n");
	sweep();
	_exit(sig == SIGALRM ? 3 : 128 + sig);
}

/*
 * B's (and in fan-out A's) echo service, as bench/peer's, except that it
 * lives through a restart of its redis.
 */
static _Noreturn void
echo_service(int port)
{
	struct timeval	 tv = { 1, 0 };
	redisContext	*c = NULL;
	redisReply	*r;
	static char	 resp[8192];

	for (;;) {
		if (c == NULL || c->err) {
			if (c != NULL)
				redisFree(c);
			c = redisConnectWithTimeout("127.0.0.1", port, tv);
			if (c == NULL || c->err) {
				nap_ms(100);
				continue;
			}
		}
		if ((r = redisCommand(c, "BRPOP msgbus." CMD " 0")) == NULL)
			continue;
		if (r->type == REDIS_REPLY_ARRAY && r->elements == 2 &&
		    r->element[1]->type == REDIS_REPLY_STRING &&
		    pf_echo_reply(r->element[1]->str, resp, sizeof(resp)) == 0)
			freeReplyObject(redisCommand(c,
			    "LPUSH msgbus.system.reply %s", resp));
		freeReplyObject(r);
	}
}

static pid_t
echo_start(int port)
{
	pid_t	pid, parent = getpid();

	if ((pid = fork()) != 0)
		return pid;
	/* The parent may have died before the request took effect. */
	if (prctl(PR_SET_PDEATHSIG, SIGKILL) == -1 || getppid() != parent)
		_exit(1);
	signal(SIGTERM, SIG_DFL);
	signal(SIGINT, SIG_DFL);
	signal(SIGHUP, SIG_DFL);
	echo_service(port);
}

/* The destinations of request i: their JSON list, and how many each. */
static void
dst_of(const struct client *cl, size_t i, char *out, size_t cap,
    uint16_t exp[2])
{
	size_t	len = 0;
	int	k, width, twin;

	exp[0] = exp[1] = 0;
	if (cl->s->fault != F_FANOUT)
		width = 1;
	else if (i == 0)
		width = FAN_WIDE;
	else if (i <= FAN_BROAD_N)
		width = FAN_BROAD;
	else
		width = FAN_SHORT;
	/* B, A, B, A...: twins repeated, and the caller itself among them. */
	for (k = 0; k < width && len + 12 < cap; k++) {
		twin = k % 2 == 0 ? TWIN_B : TWIN_A;
		len += (size_t)snprintf(out + len, cap - len, "%s%d",
		    k > 0 ? "," : "", twin);
		exp[twin - 1]++;
	}
}

static void
ref_of(const struct client *cl, size_t i, char *out, size_t cap)
{
	snprintf(out, cap, "f%d.%zu", cl->scen, i);
}

/* The body of the request with ref: a JSON string that names it. */
static void
body_of(const char *ref, char *out, size_t cap)
{
	snprintf(out, cap, "\"%s %.*s\"", ref, BODY_PAD,
	    "................................................................");
}

/* The request ref names, or NULL. */
static struct req *
req_of(const struct client *cl, const char *ref, size_t *idx)
{
	char		 pre[16];
	const char	*e;
	size_t		 plen;
	long		 i;

	snprintf(pre, sizeof(pre), "f%d.", cl->scen);
	plen = strlen(pre);
	if (strncmp(ref, pre, plen) != 0 || ref[plen] == '\0')
		return NULL;
	i = parse_long(ref + plen, &e);
	if (*e != '\0' || (size_t)i >= cl->next)
		return NULL;
	*idx = (size_t)i;
	return &cl->reqs[i];
}

static void
errkind_add(struct client *cl, uint64_t code, const char *src,
    const char *msg)
{
	struct errkind	*e;
	int		 i;

	for (i = 0; i < ERRKINDS; i++) {
		e = &cl->errs[i];
		if (e->count == 0) {
			e->code = code;
			/* Cut to fit: a note, not evidence. */
			snprintf(e->src, sizeof(e->src), "%.*s",
			    (int)sizeof(e->src) - 1, src);
			snprintf(e->msg, sizeof(e->msg), "%.*s",
			    (int)sizeof(e->msg) - 1, msg);
		} else if (e->code != code || strcmp(e->src, src) != 0 ||
		    strncmp(e->msg, msg, sizeof(e->msg) - 1) != 0)
			continue;
		e->count++;
		return;
	}
	cl->errs_other++;
}

/* Counts one JsonIncomingResponse. */
static void
tally(struct client *cl, const char *s, size_t len)
{
	static struct msg_in_resp m;
	struct req	*r;
	const char	*src, *msg;
	char		 ref[64], body[128];
	uint64_t	 code;
	size_t		 idx, total;
	int		 err, tw, fills;

	if (msgjson_parse_in_resp(&m, s, len, NULL, 0) != 0 || !m.ref.set ||
	    strlen(m.ref.s) >= sizeof(ref))
		goto bad;
	memcpy(ref, m.ref.s, strlen(m.ref.s) + 1);
	src = m.src;
	err = m.has_err;
	code = m.err.code;
	msg = m.err.message;
	if ((r = req_of(cl, ref, &idx)) == NULL)
		goto bad;
	if (r->state == ABANDONED) {
		cl->late++;
		msgjson_in_resp_clear(&m);
		return;
	}
	if (r->state != SENT)
		goto bad;
	if (err)
		errkind_add(cl, code, src, msg);
	tw = strcmp(src, "1") == 0 ? 0 : strcmp(src, "2") == 0 ? 1 : -1;
	if (tw != -1 && r->exp[tw] == 0)
		tw = -1;
	total = (size_t)r->exp[0] + r->exp[1];
	if (err && tw != -1) {
		fills = r->ok[tw] + r->err[tw] < r->exp[tw];
		r->err[tw]++;
	} else if (err) {
		/* The relay's ("0") or A's (""): for any destination. */
		fills = 1;
		r->anon++;
	} else {
		body_of(ref, body, sizeof(body));
		if (tw != -1 && m.datlen == strlen(body) &&
		    (m.datlen == 0 ||
		    memcmp(m.dat, body, m.datlen) == 0)) {
			fills = r->ok[tw] + r->err[tw] < r->exp[tw];
			r->ok[tw]++;
		} else {
			fills = 1;
			r->wrong++;
		}
	}
	if (fills && r->fills < total) {
		r->fills++;
		cl->filled++;
	}
	msgjson_in_resp_clear(&m);
	return;
bad:
	msgjson_in_resp_clear(&m);
	if (cl->stray++ == 0)
		snprintf(cl->first_stray, sizeof(cl->first_stray), "%.*s",
		    (int)(len < sizeof(cl->first_stray) - 1 ? len :
		    sizeof(cl->first_stray) - 1), s);
}

/*
 * After a reconnection: an answer moved to SEEN whose reply was lost
 * with the connection is at SEEN's head, beyond what we counted.
 */
static int
reconcile(struct client *cl)
{
	redisReply	*r;
	long long	 len;
	size_t		 i;

	r = redisCommand(cl->c, "LLEN " SEEN);
	if (r == NULL || r->type != REDIS_REPLY_INTEGER) {
		freeReplyObject(r);
		return -1;
	}
	len = r->integer;
	freeReplyObject(r);
	if (len < cl->nseen)
		cl->seen_lost += (long)(cl->nseen - len);
	else if (len > cl->nseen) {
		r = redisCommand(cl->c, "LRANGE " SEEN " 0 %lld",
		    len - cl->nseen - 1);
		if (r == NULL || r->type != REDIS_REPLY_ARRAY) {
			freeReplyObject(r);
			return -1;
		}
		for (i = 0; i < r->elements; i++)
			if (r->element[i]->type == REDIS_REPLY_STRING)
				tally(cl, r->element[i]->str,
				    r->element[i]->len);
		freeReplyObject(r);
	}
	cl->nseen = len;
	return 0;
}

/* (Re)connects to A's redis, retrying until it answers.  0 or -1. */
static int
reconnect(struct client *cl)
{
	struct timeval	 ctv = { 1, 0 }, tv = { 5, 0 };

	if (cl->c != NULL) {
		redisFree(cl->c);
		cl->c = NULL;
		cl->reconnects++;
	}
	while (now_s() < cl->hard_end) {
		cl->c = redisConnectWithTimeout("127.0.0.1", cl->port, ctv);
		if (cl->c != NULL && !cl->c->err &&
		    redisSetTimeout(cl->c, tv) == REDIS_OK &&
		    reconcile(cl) == 0)
			return 0;
		if (cl->c != NULL)
			redisFree(cl->c);
		cl->c = NULL;
		nap_ms(100);
	}
	return -1;
}

static int
send_one(struct client *cl)
{
	struct req	*r = &cl->reqs[cl->next];
	redisReply	*rep;
	char		 ref[32], body[128], dst[2048], json[4096];
	int		 ok;

	ref_of(cl, cl->next, ref, sizeof(ref));
	body_of(ref, body, sizeof(body));
	dst_of(cl, cl->next, dst, sizeof(dst), r->exp);
	pf_request(json, sizeof(json), ref, CMD, cl->exp, body, dst, RET,
	    NULL);
	cl->next++;
	rep = redisCommand(cl->c, "LPUSH msgbus.system.local %s", json);
	ok = rep != NULL && rep->type == REDIS_REPLY_INTEGER;
	freeReplyObject(rep);
	cl->last_sent = now_s();
	if (!ok) {
		/* It may have gone in all the same: it is not counted. */
		r->state = ABANDONED;
		cl->failed_sends++;
		if (cl->c->err)
			return reconnect(cl);
		nap_ms(100);	/* -LOADING, say */
		return 0;
	}
	r->state = SENT;
	r->sent_at = cl->last_sent;
	cl->nsent++;
	cl->due += r->exp[0] + r->exp[1];
	if (cl->nsent * 2 >= cl->want)
		atomic_store(&cl->half, 1);
	return 0;
}

/*
 * Takes one answer, waiting up to secs (0: only if one is there).  It
 * moves rather than pops, so that an answer whose reply a broken
 * connection lost is found again in SEEN.  1, 0 for none, -1 when A's
 * redis is gone for good.
 */
static int
take(struct client *cl, double secs)
{
	redisReply	*r;
	char		 t[32];
	int		 rv = 0;

	if (secs > 0) {
		snprintf(t, sizeof(t), "%.3f", secs);
		r = redisCommand(cl->c, "BLMOVE " RET " " SEEN
		    " RIGHT LEFT %s", t);
	} else
		r = redisCommand(cl->c, "LMOVE " RET " " SEEN " RIGHT LEFT");
	if (r == NULL)
		return reconnect(cl);
	if (r->type == REDIS_REPLY_STRING) {
		cl->nseen++;
		tally(cl, r->str, r->len);
		rv = 1;
	} else if (r->type == REDIS_REPLY_ERROR)
		nap_ms(100);
	freeReplyObject(r);
	return rv;
}

static int
may_send(const struct client *cl, double t)
{
	if (cl->s->fault == F_FANOUT)
		return 1;
	if (t < cl->last_sent + PACE)
		return 0;
	return cl->due - cl->filled < WINDOW || t >= cl->last_sent + TRICKLE;
}

static void *
client_run(void *arg)
{
	struct client	*cl = arg;
	double		 t, t0 = now_s(), wait, done_at = 0, send_until;
	int		 sending = 1, i;

	send_until = t0 + cl->exp;
	cl->hard_end = t0 + 2.0 * cl->exp + GRACE_S + LINGER_S + 60;
	if (reconnect(cl) == -1)
		goto out;
	/* A failed reconnection leaves no connection: A's redis is gone. */
	while (cl->c != NULL) {
		t = now_s();
		if (sending && (cl->nsent >= cl->want || cl->next >= cl->cap ||
		    t >= send_until)) {
			sending = 0;
			atomic_store(&cl->half, 1);
		}
		if (!sending) {
			if (cl->filled >= cl->due &&
			    atomic_load(&cl->fault_done)) {
				if (done_at == 0)
					done_at = t;
				if (t >= done_at + LINGER_S)
					break;
			}
			if (t >= cl->last_sent + cl->exp + GRACE_S ||
			    t >= cl->hard_end)
				break;
		}
		if (sending && may_send(cl, t)) {
			send_one(cl);
			/* A burst drains as it goes: RET holds 10000. */
			if (cl->s->fault == F_FANOUT && cl->next % 128 == 0)
				for (i = 0; i < 1024 && cl->c != NULL; i++)
					if (take(cl, 0) != 1)
						break;
			continue;
		}
		wait = 0.2;
		if (sending)
			wait = cl->last_sent + (cl->due - cl->filled < WINDOW ?
			    PACE : TRICKLE) - t;
		if (wait > 0.2)
			wait = 0.2;
		/* BLMOVE waits 0 as forever: a short wait is a nap. */
		if (wait >= 0.01)
			take(cl, wait);
		else if (take(cl, 0) == 0 && wait > 0)
			nap_ms(1);
	}
out:
	if (cl->c != NULL)
		redisFree(cl->c);
	cl->c = NULL;
	atomic_store(&cl->half, 1);
	return NULL;
}

static void
describe(char *out, size_t cap, int st)
{
	if (WIFEXITED(st))
		snprintf(out, cap, "exit %d", WEXITSTATUS(st));
	else if (WIFSIGNALED(st))
		snprintf(out, cap, "signal %d", WTERMSIG(st));
	else
		snprintf(out, cap, "status %#x", st);
}

/* The first line of the log at path holding needle, or "". */
static void
log_line(const char *path, const char *needle, char *out, size_t cap)
{
	char	 line[512];
	FILE	*f;

	out[0] = '\0';
	if ((f = fopen(path, "re")) == NULL)
		return;
	while (fgets(line, sizeof(line), f) != NULL)
		if (strstr(line, needle) != NULL) {
			line[strcspn(line, "\n")] = '\0';
			snprintf(out, cap, "%s", line);
			break;
		}
	fclose(f);
}

/* Whether p is still running; if not, why it stopped goes in the row. */
static void
check_alive(struct pf_peer *p, const char *who, struct row *w)
{
	char	how[32], line[512];
	int	st;

	if (p->pid <= 0 || proc_exited(p->pid, &st) != 1)
		return;
	p->pid = 0;
	describe(how, sizeof(how), st);
	log_line(p->log, "beyond its credit", line, sizeof(line));
	if (line[0] == '\0')
		log_line(p->log, "fatal", line, sizeof(line));
	note(w, "%s's peer died (%s)%s%s", who, how, line[0] ? ": " : "",
	    line);
}

/* The number of keys in the redis at port, or -1. */
static long long
dbsize(int port)
{
	struct rreply	*r = redis_cmdf(port, "DBSIZE");
	long long	 n = r != NULL && r->type == ':' ? r->integer : -1;

	rreply_free(r);
	return n;
}

/* Stops r as how says, keeps it down a while, starts it with opts. */
static int
redis_bounce(struct redis_srv *r, enum pf_halt how,
    const char *const opts[], const char *whose, struct row *w)
{
	long long	before = dbsize(r->port);

	if (pf_redis_halt(r, how) == -1)
		return -1;
	nap_ms(DOWN_MS);
	if (pf_redis_resume(r, opts) == -1)
		return -1;
	/* Whether the data survived, so that the losses can be told. */
	note(w, "%s redis: %lld keys before, %lld after", whose, before,
	    dbsize(r->port));
	return 0;
}

static int
inject(const struct scen *s, struct pf_net *n, struct pf_peer *a,
    struct pf_peer *b, struct row *w)
{
	char	how[32];
	pid_t	netd;
	int	st;

	switch (s->fault) {
	case F_RELAY_KILL:
		pf_relay_kill(n);
		nap_ms(DOWN_MS);
		return pf_relay_restart(n);
	case F_RELAY_REDIS_AOF:
	case F_RELAY_REDIS_LOST:
		return redis_bounce(&n->redis, PF_HALT_KILL,
		    s->fault == F_RELAY_REDIS_AOF ? aof : NULL, "the relay's",
		    w);
	case F_CALLEE_KILL:
		if (pf_peer_kill(b) == -1)
			note(w, "a part of B outlived SIGKILL");
		nap_ms(DOWN_MS);
		return pf_peer_restart(n, b, NULL, 1);
	case F_CALLER_NETD:
		if (a->pid <= 0 ||
		    (netd = pf_child(a->pid, "rmb-netd")) == -1) {
			note(w, "no rmb-netd under A's parent");
			return -1;
		}
		kill(netd, SIGKILL);
		if (pf_peer_wait(a, FAIL_CLOSED_MS, &st)) {
			describe(how, sizeof(how), st);
			note(w, "A stopped without its netd (%s)", how);
		} else {
			note(w, "A went on without its netd for %d s: "
			    "stopped", FAIL_CLOSED_MS / 1000);
			proc_stop(a->pid, 5000);
			a->pid = 0;
		}
		nap_ms(RESTART_MS);
		return pf_peer_restart(n, a, NULL, 1);
	case F_RELAY_STOP:
		if (n->relay_pid <= 0 || kill(n->relay_pid, SIGSTOP) == -1)
			return -1;
		nap_ms(STOP_S * 1000);
		return kill(n->relay_pid, SIGCONT);
	case F_CALLER_REDIS:
		return redis_bounce(&a->redis, PF_HALT_SAVE, NULL, "A's", w);
	case F_NONE:
	case F_FANOUT:
		break;
	}
	return 0;
}

static void
count(const struct client *cl, struct row *w)
{
	const struct req	*r;
	long long		 pending, c, e, x;
	size_t			 i;
	int			 t;

	for (i = 0; i < cl->next; i++) {
		r = &cl->reqs[i];
		if (r->state != SENT)
			continue;
		pending = 0;
		for (t = 0; t < 2; t++) {
			c = r->ok[t] < r->exp[t] ? r->ok[t] : r->exp[t];
			e = r->err[t] < r->exp[t] - c ? r->err[t] :
			    r->exp[t] - c;
			w->dup += r->ok[t] + r->err[t] - c - e;
			w->ok += c;
			w->err += e;
			w->n += r->exp[t];
			pending += r->exp[t] - c - e;
		}
		/* Wrong answers and anonymous errors take what is left. */
		x = r->wrong < pending ? r->wrong : pending;
		w->wrong += x;
		w->dup += r->wrong - x;
		pending -= x;
		x = r->anon < pending ? r->anon : pending;
		w->err += x;
		w->dup += r->anon - x;
		pending -= x;
		w->lost += pending;
	}
	if (cl->nsent < cl->want) {
		w->unsent = 1;
		note(w, "only %zu of %zu requests sent", cl->nsent, cl->want);
	}
	if (cl->failed_sends > 0)
		note(w, "%ld LPUSHes failed (not counted; %ld answered)",
		    cl->failed_sends, cl->late);
	if (w->wrong > 0)
		note(w, "%lld answers with a wrong body or twin", w->wrong);
	if (cl->stray > 0)
		note(w, "%ld answers to no request, the first: %s", cl->stray,
		    cl->first_stray);
	if (cl->seen_lost > 0)
		note(w, "A's redis lost %ld taken answers", cl->seen_lost);
	for (i = 0; i < ERRKINDS && cl->errs[i].count > 0; i++)
		note(w, "%ld x err %llu from \"%s\": %s", cl->errs[i].count,
		    (unsigned long long)cl->errs[i].code, cl->errs[i].src,
		    cl->errs[i].msg);
	if (cl->errs_other > 0)
		note(w, "%ld x other errors", cl->errs_other);
}

/* What --check asks of a row: 1, or 0 with the reasons in why. */
static int
row_ok(const struct scen *s, const struct row *w, char *why, size_t cap)
{
	size_t	len = 0;

	why[0] = '\0';
#define WHY(...)	do {						\
	if (len < cap)							\
		len += (size_t)snprintf(why + len, cap - len, __VA_ARGS__); \
} while (0)
	if (w->setup_failed)
		WHY(" the network did not start;");
	if (w->fault_failed)
		WHY(" the fault was not injected in full;");
	if (w->unsent)
		WHY(" not every request could be sent;");
	if (w->lost > 0)
		WHY(" %lld lost silently;", w->lost);
	if (w->wrong > 0)
		WHY(" %lld wrong answers;", w->wrong);
	if (w->dup > 0 && s->keeps_data)
		WHY(" %lld duplicated;", w->dup);
#undef WHY
	return why[0] == '\0';
}

static int
scenario(int k, const struct opts *o, struct row *w)
{
	static struct pf_net	 net;
	static struct rc_twin	 tw[2];
	const struct scen	*s = &scens[k];
	struct pf_peer		 a = { .name = "a", .twin = &tw[0],
				    .key_type = "sr25519" };
	struct pf_peer		 b = { .name = "b", .twin = &tw[1],
				    .key_type = "ed25519" };
	struct client		 cl;
	pthread_t		 th;
	pid_t			 echo_a = -1, echo_b = -1;
	char			 why[256];
	int			 rv;

	memset(w, 0, sizeof(*w));
	memset(&cl, 0, sizeof(cl));
	current = s->name;
	if ((rv = pf_init(&net)) != 0) {
		if (rv == -2) {
			pf_done(&net, 1);
			return -2;
		}
		w->setup_failed = 1;
		note(w, "no temporary directory or redis for the relay");
		goto done;
	}
	rc_twin_init(&tw[0], TWIN_A, KEY_SR25519, "localhost", 0x11);
	rc_twin_init(&tw[1], TWIN_B, KEY_ED25519, "localhost", 0x22);
	tw[0].has_pk = tw[1].has_pk = 1;
	if (rc_twinfile(net.twins, tw, 2) == -1 ||
	    (s->fault == F_RELAY_REDIS_AOF &&
	    (pf_redis_halt(&net.redis, PF_HALT_TERM) == -1 ||
	    pf_redis_resume(&net.redis, aof) == -1)) ||
	    pf_relay_start(&net) || pf_peer_start(&net, &a, NULL, 1) ||
	    pf_peer_start(&net, &b, NULL, 1)) {
		w->setup_failed = 1;
		note(w, "the network did not start");
		goto done;
	}
	if ((echo_b = echo_start(b.redis.port)) == -1 ||
	    (s->fault == F_FANOUT &&
	    (echo_a = echo_start(a.redis.port)) == -1)) {
		w->setup_failed = 1;
		note(w, "no echo service");
		goto done;
	}

	cl.s = s;
	cl.scen = k + 1;
	cl.port = a.redis.port;
	cl.exp = o->exp;
	cl.want = s->fault == F_FANOUT ? 1 + FAN_BROAD_N + FAN_SHORT_N :
	    (size_t)o->n;
	/* Refs for LPUSHes that fail while A's redis is down, too. */
	cl.cap = cl.want * 2 + 256;
	if ((cl.reqs = calloc(cl.cap, sizeof(*cl.reqs))) == NULL) {
		w->setup_failed = 1;
		goto done;
	}
	atomic_store(&cl.fault_done, s->fault == F_NONE ||
	    s->fault == F_FANOUT);
	if (pthread_create(&th, NULL, client_run, &cl) != 0) {
		w->setup_failed = 1;
		goto done;
	}
	if (s->fault != F_NONE && s->fault != F_FANOUT) {
		while (!atomic_load(&cl.half))
			nap_ms(10);
		if (inject(s, &net, &a, &b, w) != 0) {
			w->fault_failed = 1;
			note(w, "the fault could not be injected in full");
		}
		atomic_store(&cl.fault_done, 1);
	}
	pthread_join(th, NULL);
	count(&cl, w);
	check_alive(&a, "A", w);
	check_alive(&b, "B", w);
done:
	if (echo_a > 0)
		proc_stop(echo_a, 2000);
	if (echo_b > 0)
		proc_stop(echo_b, 2000);
	if (net.relay_pid > 0)
		kill(net.relay_pid, SIGCONT);
	pf_peer_stop(&a);
	pf_peer_stop(&b);
	pf_relay_stop(&net);
	pf_redis_purge(&net.redis);
	/* The logs stay where the check would fail. */
	pf_done(&net, row_ok(s, w, why, sizeof(why)));
	free(cl.reqs);
	current = "between scenarios";
	return 0;
}

static void
print_row(const char *name, const struct row *w)
{
	if (w->setup_failed) {
		printf("%-20s | %6s | %18s | %13s | %13s | %10s\n", name, "-",
		    "-", "-", "-", "-");
		return;
	}
	printf("%-20s | %6lld | %18lld | %13lld | %13lld | %10lld\n", name,
	    w->n, w->ok, w->err, w->lost, w->dup);
}

/* The build tree this program belongs to, unless top_builddir says. */
static void
find_top(void)
{
	char	 exe[PATH_MAX], probe[PATH_MAX + 32], *p;
	ssize_t	 n;
	int	 i;

	if (getenv("top_builddir") != NULL)
		return;
	if ((n = readlink("/proc/self/exe", exe, sizeof(exe) - 1)) <= 0)
		return;
	exe[n] = '\0';
	/* .../tests/bench/faults: three names up. */
	for (i = 0; i < 3; i++) {
		if ((p = strrchr(exe, '/')) == NULL)
			return;
		*p = '\0';
	}
	snprintf(probe, sizeof(probe), "%s/relayd/rmb-relay", exe);
	if (access(probe, X_OK) == 0)
		setenv("top_builddir", exe, 1);
}

static _Noreturn void
usage(void)
{
	size_t	i;

	fprintf(stderr, "usage: faults [-n requests] [-e expiry-seconds] "
	    "[-s scenario] [--check]\nscenarios:");
	for (i = 0; i < NSCENS; i++)
		fprintf(stderr, " %s", scens[i].name);
	fprintf(stderr, "\n");
	exit(2);
}

int
main(int argc, char *argv[])
{
	static const struct option	 longopts[] = {
		{ "check", no_argument, NULL, 'c' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	static struct row		 rows[NSCENS];
	struct opts			 o = { 2000, 120, NULL, 0 };
	struct sigaction		 sa;
	const char			*top;
	char				*end, why[256];
	size_t				 i, nrun = 0;
	long				 v;
	int				 ch, ran[NSCENS], failed = 0, rv;

	while ((ch = getopt_long(argc, argv, "n:e:s:h", longopts, NULL)) !=
	    -1) {
		switch (ch) {
		case 'n':
			v = strtol(optarg, &end, 10);
			if (*end != '\0' || v < 2 || v > 1000000)
				usage();
			o.n = v;
			break;
		case 'e':
			v = strtol(optarg, &end, 10);
			if (*end != '\0' || v < 1 || v > 1800)
				usage();
			o.exp = (unsigned int)v;
			break;
		case 's':
			o.only = optarg;
			break;
		case 'c':
			o.check = 1;
			break;
		default:
			usage();
		}
	}
	if (optind != argc)
		usage();
	for (i = 0; i < NSCENS; i++) {
		ran[i] = o.only == NULL || strcmp(o.only, scens[i].name) == 0 ||
		    (size_t)strtol(o.only, NULL, 10) == i + 1;
		nrun += (size_t)ran[i];
	}
	if (nrun == 0)
		usage();
	if (sodium_init() < 0)
		return 1;
	find_top();
	top = getenv("top_builddir");

	/* A killed peer's children become ours, for the sweep to find. */
	if (prctl(PR_SET_CHILD_SUBREAPER, 1) == -1)
		perror("faults: PR_SET_CHILD_SUBREAPER");
	signal(SIGPIPE, SIG_IGN);
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_fatal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGALRM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	/* Start, send, wait out every deadline, stop: never longer. */
	alarm((unsigned int)nrun * (2 * o.exp + GRACE_S + LINGER_S + 150) +
	    30);

	printf("faults: %zu scenario(s), %ld requests each (fan-out: %d), "
	    "exp %u s, build %s\n", nrun, o.n,
	    1 + FAN_BROAD_N + FAN_SHORT_N, o.exp, top != NULL ? top : ".");
	printf("N counts answers due (request x destination); answered "
	    "correctly + error replies + lost silently = N\n");
	fflush(stdout);
	for (i = 0; i < NSCENS; i++) {
		if (!ran[i])
			continue;
		printf("faults: %s: %s\n", scens[i].name, scens[i].what);
		fflush(stdout);
		if ((rv = scenario((int)i, &o, &rows[i])) == -2) {
			printf("faults: redis-server is missing: skipped\n");
			sweep();
			return 77;
		}
		print_row(scens[i].name, &rows[i]);
		if (rows[i].note[0] != '\0')
			printf("  (%s)\n", rows[i].note);
		fflush(stdout);
	}

	printf("\n%-20s | %6s | %18s | %13s | %13s | %10s\n", "scenario", "N",
	    "answered correctly", "error replies", "lost silently",
	    "duplicated");
	for (i = 0; i < NSCENS; i++) {
		if (!ran[i])
			continue;
		print_row(scens[i].name, &rows[i]);
		if (!row_ok(&scens[i], &rows[i], why, sizeof(why))) {
			failed++;
			if (o.check)
				printf("  check failed:%s\n", why);
		}
	}
	sweep();
	if (!o.check)
		return 0;
	printf("faults: %s (%d of %zu scenarios failed)\n",
	    failed ? "check failed" : "check passed", failed, nrun);
	return failed ? 1 : 0;
}
