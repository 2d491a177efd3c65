/* SPDX-License-Identifier: ISC */
/*
 * The whole peer under load, on loopback: 1 KiB requests from peer A
 * (sr25519) through its redis API, rmb-relay and peer B (ed25519, both
 * with e2e keys, so everything is sealed and signed) to an echo service
 * on B's redis and back to A's reply queue.  Round trips per second with
 * 1 and with 64 in flight, and the median latency; then, for the 64 in
 * flight, where the time goes: the CPU of every process it started per
 * round trip and how often it was put on a CPU (its wake-ups), from
 * /proc/PID/task/TID/schedstat, the peers and relay apart from the
 * bench's own client and echo service; the redis
 * commands per round trip on each redis (INFO commandstats), and the
 * cryptography's share, measured by tests/bench/crypto in the same run.
 * The peers run at their default log level, as operators run them;
 * with RMB_BENCH_SCHED_BATCH set in the environment, the peers and the
 * relay run under SCHED_BATCH (the units' CPUSchedulingPolicy=batch).
 * Run from the build directory (or set top_builddir).  Prints only.
 */
#include <sys/ioctl.h>
#include <sys/syscall.h>

#include <linux/perf_event.h>

#include <dirent.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <hiredis/hiredis.h>
#include <sodium.h>

#include "base64.h"
#include "bench.h"
#include "peer_fixture.h"

#define BODY		1024
#define SERIAL		500
#define WINDOW		64
#define PIPELINED	3000

/* B's echo service: BLPOP, answer, forever (until killed). */
static _Noreturn void
echo_service(int port)
{
	redisContext	*c;
	redisReply	*r;
	static char	 resp[4096];

	if ((c = redisConnect("127.0.0.1", port)) == NULL || c->err)
		_exit(1);
	for (;;) {
		r = redisCommand(c, "BLPOP msgbus.bench.echo 0");
		if (r == NULL)
			_exit(1);
		if (r->type == REDIS_REPLY_ARRAY && r->elements == 2 &&
		    pf_echo_reply(r->element[1]->str, resp, sizeof(resp)) == 0)
			freeReplyObject(redisCommand(c,
			    "LPUSH msgbus.system.reply %s", resp));
		freeReplyObject(r);
	}
}

static int
send_one(redisContext *c, const char *json)
{
	redisReply	*r = redisCommand(c, "LPUSH msgbus.system.local %s",
			    json);
	int		 ok = r != NULL && r->type == REDIS_REPLY_INTEGER;

	freeReplyObject(r);
	return ok ? 0 : -1;
}

static int
recv_one(redisContext *c)
{
	redisReply	*r = redisCommand(c, "BLPOP bench.ret 30");
	int		 ok = r != NULL && r->type == REDIS_REPLY_ARRAY &&
			    strstr(r->element[1]->str, "\"err\":null") != NULL;

	freeReplyObject(r);
	return ok ? 0 : -1;
}

/* A process whose CPU is counted, and its time on CPU when sampled. */
struct cpu {
	char		 name[32];
	pid_t		 pid;
	double		 t0, t1;	/* seconds */
	double		 r0, r1;	/* times put on a CPU */
	int		 sc[8];		/* system call counters, per thread */
	int		 nsc;
};
#define CPU_MAX	16

/*
 * Seconds on CPU of all of pid's threads, or -1 once it is gone; *runs
 * gets how many times they were put on a CPU (about one per wake-up).
 */
static double
cpu_of(pid_t pid, double *runs)
{
	char		 path[320], line[128];
	struct dirent	*d;
	DIR		*dir;
	FILE		*f;
	double		 sum = 0;
	unsigned long long ns, wait, n;

	*runs = 0;
	snprintf(path, sizeof(path), "/proc/%d/task", (int)pid);
	if ((dir = opendir(path)) == NULL)
		return -1;
	while ((d = readdir(dir)) != NULL) {
		if (d->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "/proc/%d/task/%s/schedstat",
		    (int)pid, d->d_name);
		if ((f = fopen(path, "r")) == NULL)
			continue;
		if (fgets(line, sizeof(line), f) != NULL &&
		    sscanf(line, "%llu %llu %llu", &ns, &wait, &n) == 3) {
			sum += (double)ns / 1e9;
			*runs += (double)n;
		}
		fclose(f);
	}
	closedir(dir);
	return sum;
}

/*
 * The raw_syscalls:sys_enter tracepoint counted on each of pid's
 * threads (perf_event_open(2)); none when tracing is not open to us.
 */
static void
sc_open(struct cpu *c)
{
	struct perf_event_attr	 attr;
	struct dirent		*d;
	DIR			*dir;
	FILE			*f;
	char			 path[320];
	unsigned long long	 id;
	int			 fd;

	c->nsc = 0;
	if ((f = fopen("/sys/kernel/tracing/events/raw_syscalls/sys_enter/id",
	    "r")) == NULL)
		return;
	if (fscanf(f, "%llu", &id) != 1) {
		fclose(f);
		return;
	}
	fclose(f);
	snprintf(path, sizeof(path), "/proc/%d/task", (int)c->pid);
	if ((dir = opendir(path)) == NULL)
		return;
	while ((d = readdir(dir)) != NULL && c->nsc < 8) {
		if (d->d_name[0] == '.')
			continue;
		memset(&attr, 0, sizeof(attr));
		attr.type = PERF_TYPE_TRACEPOINT;
		attr.size = sizeof(attr);
		attr.config = id;
		attr.disabled = 1;
		fd = (int)syscall(SYS_perf_event_open, &attr,
		    atoi(d->d_name), -1, -1, 0);
		if (fd != -1)
			c->sc[c->nsc++] = fd;
	}
	closedir(dir);
}

static void
sc_enable(struct cpu *c, int on)
{
	int	i;

	for (i = 0; i < c->nsc; i++)
		ioctl(c->sc[i], on ? PERF_EVENT_IOC_ENABLE :
		    PERF_EVENT_IOC_DISABLE, 0);
}

/* System calls counted, or -1 when there are no counters. */
static double
sc_read(struct cpu *c)
{
	unsigned long long	v;
	double			sum = 0;
	int			i;

	if (c->nsc == 0)
		return -1;
	for (i = 0; i < c->nsc; i++) {
		if (read(c->sc[i], &v, sizeof(v)) == (ssize_t)sizeof(v))
			sum += (double)v;
		close(c->sc[i]);
	}
	c->nsc = 0;
	return sum;
}

/*
 * SCHED_BATCH for every thread of pid, as CPUSchedulingPolicy=batch in
 * the units would give; -1 if one refused.
 */
static int
sched_batch(pid_t pid)
{
	struct sched_param	 sp = { .sched_priority = 0 };
	struct dirent		*d;
	DIR			*dir;
	char			 path[64];
	int			 rc = 0;

	snprintf(path, sizeof(path), "/proc/%d/task", (int)pid);
	if (pid <= 0 || (dir = opendir(path)) == NULL)
		return -1;
	while ((d = readdir(dir)) != NULL)
		if (d->d_name[0] != '.' && sched_setscheduler(atoi(d->d_name),
		    SCHED_BATCH, &sp) == -1)
			rc = -1;
	closedir(dir);
	return rc;
}

static int
cpu_add(struct cpu *c, int n, const char *name, pid_t pid)
{
	if (n == CPU_MAX || pid <= 0)
		return n;
	snprintf(c[n].name, sizeof(c[n].name), "%s", name);
	c[n].pid = pid;
	return n + 1;
}

/* A peer's parent and its three children, found by name. */
static int
cpu_add_peer(struct cpu *c, int n, const struct pf_peer *p)
{
	static const char	*kids[] = { "rmb-keyd", "rmb-netd", "rmb-apid" };
	char			 name[32];
	size_t			 i;

	snprintf(name, sizeof(name), "%s: rmb-peer", p->name);
	n = cpu_add(c, n, name, p->pid);
	for (i = 0; i < 3; i++) {
		snprintf(name, sizeof(name), "%s: %s", p->name, kids[i]);
		n = cpu_add(c, n, name, pf_child(p->pid, kids[i]));
	}
	snprintf(name, sizeof(name), "%s: redis", p->name);
	return cpu_add(c, n, name, p->redis.pid);
}

static void
cpu_sample(struct cpu *c, int n, int after)
{
	int	i;

	for (i = 0; i < n; i++) {
		if (after) {
			sc_enable(&c[i], 0);
			c[i].t1 = cpu_of(c[i].pid, &c[i].r1);
		} else {
			sc_open(&c[i]);
			c[i].t0 = cpu_of(c[i].pid, &c[i].r0);
			sc_enable(&c[i], 1);
		}
	}
}

/* The commands a redis ran so far, by name (INFO commandstats). */
#define CMDS_MAX	128
struct cmds {
	char		 name[CMDS_MAX][32];
	double		 calls[CMDS_MAX];
	int		 n;
};

static void
cmds_sample(int port, struct cmds *out)
{
	redisContext	*c;
	redisReply	*r;
	char		*p, *q;
	int		 i;

	memset(out, 0, sizeof(*out));
	if ((c = redisConnect("127.0.0.1", port)) == NULL || c->err ||
	    (r = redisCommand(c, "INFO commandstats")) == NULL) {
		if (c != NULL)
			redisFree(c);
		return;
	}
	for (p = r->type == REDIS_REPLY_STRING ? r->str : "";
	    (p = strstr(p, "cmdstat_")) != NULL && out->n < CMDS_MAX; p = q) {
		p += 8;
		if ((q = strchr(p, ':')) == NULL)
			break;
		i = out->n++;
		snprintf(out->name[i], sizeof(out->name[i]), "%.*s",
		    (int)(q - p), p);
		if ((q = strstr(q, "calls=")) == NULL)
			break;
		out->calls[i] = strtod(q + 6, NULL);
	}
	freeReplyObject(r);
	redisFree(c);
}

/* Commands per round trip between two samples; INFO itself not counted. */
static void
cmds_print(const char *who, const struct cmds *a, const struct cmds *b,
    int rts)
{
	double	d, total = 0;
	int	i, j;
	char	line[1024];
	size_t	len = 0;

	line[0] = '\0';
	for (i = 0; i < b->n; i++) {
		d = b->calls[i];
		for (j = 0; j < a->n; j++)
			if (strcmp(a->name[j], b->name[i]) == 0)
				d -= a->calls[j];
		if (strcmp(b->name[i], "info") == 0)
			d -= 1;
		if (d / rts < 0.05)
			continue;
		total += d / rts;
		len += (size_t)snprintf(line + len, len < sizeof(line) ?
		    sizeof(line) - len : 0, " %s %.1f", b->name[i], d / rts);
	}
	printf("  %-16s %5.1f:%s\n", who, total, line);
}

/* One figure of tests/bench/crypto's output, in microseconds, or -1. */
static double
crypto_figure(const char *out, const char *name)
{
	const char	*p = strstr(out, name);

	return p != NULL ? strtod(p + 44, NULL) : -1;
}

/*
 * What the protocol's cryptography costs per round trip, measured by
 * tests/bench/crypto now: A signs (sr25519) and seals the request, B
 * verifies and opens it, signs (ed25519) and seals the answer, A
 * verifies and opens that.  The ECDH keys are cached.
 */
static double
crypto_floor(const char *top)
{
	static char	out[8192];
	char		cmd[512];
	FILE		*f;
	size_t		n;
	double		v[6], sum = 0;
	int		i;

	snprintf(cmd, sizeof(cmd), "%s/tests/bench/crypto", top);
	if ((f = popen(cmd, "r")) == NULL)
		return -1;
	n = fread(out, 1, sizeof(out) - 1, f);
	out[n] = '\0';
	if (pclose(f) != 0)
		return -1;
	v[0] = crypto_figure(out, "challenge + sr25519 sign, 1 KiB envelope");
	v[1] = crypto_figure(out, "challenge + sr25519 verify, 1 KiB envelope");
	v[2] = crypto_figure(out, "challenge + ed25519 sign, 1 KiB envelope");
	v[3] = crypto_figure(out, "ed25519 verify");
	v[4] = 2 * crypto_figure(out, "seal 1 KiB (AES-256-GCM)");
	v[5] = 2 * crypto_figure(out, "open 1 KiB");
	for (i = 0; i < 6; i++) {
		if (v[i] < 0)
			return -1;
		sum += v[i];
	}
	printf("crypto floor per round trip (tests/bench/crypto, now): %.0f us "
	    "= sr25519 sign %.0f + verify %.0f, ed25519 sign %.0f + verify "
	    "%.0f, 2 seals %.1f, 2 opens %.1f\n", sum, v[0], v[1], v[2], v[3],
	    v[4], v[5]);
	return sum;
}

/*
 * Every way out goes through one place that stops what was started: the
 * echo service, both peers, the relay and the redis-servers.
 */
int
main(void)
{
	static struct pf_net	 net;
	static struct rc_twin	 tw[2];
	struct pf_peer		 a = { .name = "a", .twin = &tw[0],
				    .key_type = "sr25519", .quiet = 1 };
	struct pf_peer		 b = { .name = "b", .twin = &tw[1],
				    .key_type = "ed25519", .quiet = 1 };
	char			 body[BODY + 1], json[4096];
	double			*lat = NULL, t0, t;
	redisContext		*c = NULL;
	struct cpu		 cpu[CPU_MAX];
	static struct cmds	 before[3], after[3];
	double			 total = 0, product = 0, floor, us, runs;
	double			 truns = 0, pruns = 0, scs, tscs = 0, pscs = 0;
	struct pf_peer		*p;
	pid_t			 echo = -1;
	int			 i, n = 0, sent, got, rc = 1;

	if ((i = pf_init(&net)) != 0) {
		fprintf(stderr, "peer bench: %s\n", i == -2 ?
		    "needs redis-server" : "cannot set up its directory");
		goto out;
	}
	rc_twin_init(&tw[0], 1, KEY_SR25519, "localhost", 0x11);
	rc_twin_init(&tw[1], 2, KEY_ED25519, "localhost", 0x22);
	tw[0].has_pk = tw[1].has_pk = 1;
	if (rc_twinfile(net.twins, tw, 2) == -1 || pf_relay_start(&net) ||
	    pf_peer_start(&net, &a, NULL, 1) || pf_peer_start(&net, &b, NULL,
	    1)) {
		fprintf(stderr, "peer bench: the network does not start (%s)\n",
		    net.dir);
		goto out;
	}
	if (getenv("RMB_BENCH_SCHED_BATCH") != NULL) {
		rc = sched_batch(net.relay_pid);
		for (i = 0; i < 2; i++) {
			p = i == 0 ? &a : &b;
			rc |= sched_batch(p->pid);
			rc |= sched_batch(pf_child(p->pid, "rmb-keyd"));
			rc |= sched_batch(pf_child(p->pid, "rmb-netd"));
			rc |= sched_batch(pf_child(p->pid, "rmb-apid"));
		}
		printf("the peers and the relay run under SCHED_BATCH%s\n",
		    rc == 0 ? "" : " (not all of their threads)");
		rc = 1;
	}
	if ((echo = fork()) == 0)
		echo_service(b.redis.port);
	memset(body, 'x', BODY);
	body[0] = body[BODY - 1] = '"';
	body[BODY] = '\0';
	pf_request(json, sizeof(json), "bench", "bench.echo", 60, body, "2",
	    "bench.ret", NULL);
	if (echo == -1 ||
	    (c = redisConnect("127.0.0.1", a.redis.port)) == NULL || c->err ||
	    (lat = calloc(SERIAL, sizeof(*lat))) == NULL) {
		fprintf(stderr, "peer bench: no echo service, no connection "
		    "to A's redis, or no memory\n");
		goto out;
	}

	for (i = 0; i < 50; i++)	/* warm-up: keys, twins, sessions */
		if (send_one(c, json) || recv_one(c))
			goto lost;
	t0 = now_us();
	for (i = 0; i < SERIAL; i++) {
		t = now_us();
		if (send_one(c, json) || recv_one(c))
			goto lost;
		lat[i] = now_us() - t;
	}
	printf("1 KiB requests, A -> relay -> B -> echo -> B -> relay -> A, "
	    "sealed and signed both ways:\n");
	printf("  1 in flight:  %6.0f round trips/s, median %.0f us (%d)\n",
	    SERIAL / ((now_us() - t0) / 1e6), median(lat, SERIAL), SERIAL);
	n = cpu_add_peer(cpu, n, &a);
	n = cpu_add_peer(cpu, n, &b);
	n = cpu_add(cpu, n, "rmb-relay", net.relay_pid);
	n = cpu_add(cpu, n, "relay's redis", net.redis.pid);
	n = cpu_add(cpu, n, "bench client", getpid());
	n = cpu_add(cpu, n, "echo service", echo);
	cmds_sample(a.redis.port, &before[0]);
	cmds_sample(b.redis.port, &before[1]);
	cmds_sample(net.redis.port, &before[2]);
	cpu_sample(cpu, n, 0);
	t0 = now_us();
	for (sent = 0; sent < WINDOW; sent++)
		send_one(c, json);
	for (got = 0; got < PIPELINED; got++) {
		if (recv_one(c))
			goto lost;
		if (sent < PIPELINED) {
			send_one(c, json);
			sent++;
		}
	}
	printf("  %d in flight: %6.0f round trips/s (%d)\n", WINDOW,
	    PIPELINED / ((now_us() - t0) / 1e6), PIPELINED);
	cpu_sample(cpu, n, 1);
	cmds_sample(a.redis.port, &after[0]);
	cmds_sample(b.redis.port, &after[1]);
	cmds_sample(net.redis.port, &after[2]);
	printf("per round trip, %d in flight:   CPU us  on CPU  syscalls\n",
	    WINDOW);
	for (i = 0; i < n; i++) {
		scs = sc_read(&cpu[i]) / PIPELINED;
		if (cpu[i].t0 < 0 || cpu[i].t1 < 0)
			continue;
		us = (cpu[i].t1 - cpu[i].t0) * 1e6 / PIPELINED;
		runs = (cpu[i].r1 - cpu[i].r0) / PIPELINED;
		printf("  %-26s %7.1f %7.2f %9.1f\n", cpu[i].name, us, runs,
		    scs);
		total += us;
		truns += runs;
		tscs += scs;
		/* The bench's own client and echo service are not counted. */
		if (strcmp(cpu[i].name, "bench client") != 0 &&
		    strcmp(cpu[i].name, "echo service") != 0) {
			product += us;
			pruns += runs;
			pscs += scs;
		}
	}
	printf("  %-26s %7.1f %7.2f %9.1f\n", "peers and relay", product,
	    pruns, pscs);
	printf("  %-26s %7.1f %7.2f %9.1f\n", "all", total, truns, tscs);
	printf("redis commands per round trip, %d in flight:\n", WINDOW);
	cmds_print("A's redis", &before[0], &after[0], PIPELINED);
	cmds_print("B's redis", &before[1], &after[1], PIPELINED);
	cmds_print("relay's redis", &before[2], &after[2], PIPELINED);
	if ((floor = crypto_floor(net.top)) > 0)
		printf("the peers and the relay use %.1f times the crypto "
		    "floor; %.0f us per round trip are not cryptography\n",
		    product / floor, product - floor);
	rc = 0;
	goto out;
lost:
	fprintf(stderr, "peer bench: a request got no answer (logs in %s)\n",
	    net.dir);
out:
	if (c != NULL)
		redisFree(c);
	if (echo > 0)
		proc_stop(echo, 2000);
	free(lat);
	pf_peer_stop(&a);
	pf_peer_stop(&b);
	if (net.dir[0] != '\0')
		pf_done(&net, rc == 0);
	return rc;
}
