/* SPDX-License-Identifier: ISC */
/*
 * rmb-relay under load, on loopback with a throwaway redis-server:
 * envelopes of 1 KiB relayed between two sessions (with 1 and with 256
 * in flight), both on one relay (delivered direct, doc/relay.md §1.6),
 * then with the receiver on a second relay sharing the redis (through
 * the stream), with the redis commands each envelope took and the CPU
 * time and wake-ups of the relays and redis (their schedstat); and the
 * relay's resident memory per idle session with 5,000 sessions
 * connected.  Run from the build directory (or set top_builddir).
 * Prints only.
 */
#include <sys/resource.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sodium.h>

#include "bench.h"
#include "harness.h"
#include "relay_client.h"
#include "relay_fixture.h"

#define PAYLOAD		1024
#define MESSAGES	20000
#define IDLE		5000

static long
rss_kb(pid_t pid)
{
	char	path[64], line[256];
	FILE	*f;
	long	kb = -1;

	snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	if ((f = fopen(path, "r")) == NULL)
		return -1;
	while (fgets(line, sizeof(line), f) != NULL)
		if (sscanf(line, "VmRSS: %ld kB", &kb) == 1)
			break;
	fclose(f);
	return kb;
}

/* The commands redis ran so far, by name (INFO commandstats). */
#define CMDS_MAX	64
struct cmds {
	char		 name[CMDS_MAX][32];
	long long	 calls[CMDS_MAX];
	int		 n;
};

static void
redis_calls(int port, struct cmds *out)
{
	struct rreply	*r;
	const char	*p, *q;
	size_t		 k;

	memset(out, 0, sizeof(*out));
	if ((r = redis_cmdf(port, "INFO commandstats")) == NULL)
		return;
	for (p = r->type == '$' ? r->str : ""; out->n < CMDS_MAX &&
	    (p = strstr(p, "cmdstat_")) != NULL; p = q) {
		p += 8;
		if ((q = strstr(p, ":calls=")) == NULL)
			break;
		k = (size_t)(q - p) < sizeof(out->name[0]) ? (size_t)(q - p) :
		    sizeof(out->name[0]) - 1;
		memcpy(out->name[out->n], p, k);
		out->name[out->n][k] = '\0';
		out->calls[out->n++] = strtoll(q + 7, NULL, 10);
	}
	rreply_free(r);
}

/* A counter of the relay's /metrics, 0 when it is not there. */
static long long
metric(int port, const char *name)
{
	struct relay_proc	p = { .port = port };
	long long		v = rf_metric(&p, name);

	return v < 0 ? 0 : v;
}

/* A process's time on a CPU (ns) and times it went on one, so far. */
struct cpu {
	unsigned long long	 ns[3];
	unsigned long long	 runs[3];
};

/* The relays' and redis's (pids[2]) schedstat; pid 0 is skipped. */
static void
cpu_read(const pid_t pids[3], struct cpu *out)
{
	char			 path[64];
	unsigned long long	 wait;
	FILE			*f;
	int			 i;

	memset(out, 0, sizeof(*out));
	for (i = 0; i < 3; i++) {
		if (pids[i] <= 0)
			continue;
		snprintf(path, sizeof(path), "/proc/%d/schedstat",
		    (int)pids[i]);
		if ((f = fopen(path, "r")) == NULL)
			continue;
		if (fscanf(f, "%llu %llu %llu", &out->ns[i], &wait,
		    &out->runs[i]) != 3)
			out->ns[i] = out->runs[i] = 0;
		fclose(f);
	}
}

/* Prints the CPU us and wake-ups per envelope between a and b. */
static void
cpu_print(const pid_t pids[3], const struct cpu *a, const struct cpu *b,
    double n)
{
	static const char	*name[] = { "relay 1", "relay 2", "redis" };
	int			 i;

	printf("  CPU us, wake-ups per envelope:");
	for (i = 0; i < 3; i++)
		if (pids[i] > 0)
			printf(" %s %.1f, %.2f;", name[i],
			    (b->ns[i] - a->ns[i]) / 1e3 / n,
			    (b->runs[i] - a->runs[i]) / n);
	printf("\n");
}

/* Prints what redis ran between a and b, per envelope, but the INFO. */
static void
calls_print(const struct cmds *a, const struct cmds *b, double n)
{
	long long	d, all = 0;
	int		i, j;

	for (i = 0; i < b->n; i++) {
		for (j = 0, d = b->calls[i]; j < a->n; j++)
			if (strcmp(a->name[j], b->name[i]) == 0)
				d -= a->calls[j];
		if (strcmp(b->name[i], "info") != 0)
			all += d;
	}
	printf("  redis commands per envelope: %.2f:", all / n);
	for (i = 0; i < b->n; i++) {
		for (j = 0, d = b->calls[i]; j < a->n; j++)
			if (strcmp(a->name[j], b->name[i]) == 0)
				d -= a->calls[j];
		if (d > 0 && strcmp(b->name[i], "info") != 0)
			printf(" %s %.2f", b->name[i], d / n);
	}
	printf("\n");
}

static pid_t
start_relay(const char *bin, const char *url, int port, const char *twins,
    const char *log)
{
	char		 listen[64];
	char		*argv[16];
	pid_t		 pid;
	int		 i = 0;

	snprintf(listen, sizeof(listen), "127.0.0.1:%d", port);
	argv[i++] = (char *)bin;
	argv[i++] = (char *)"-r";
	argv[i++] = (char *)url;
	argv[i++] = (char *)"-l";
	argv[i++] = listen;
	argv[i++] = (char *)"-m";
	argv[i++] = (char *)"r1.bench";
	argv[i++] = (char *)"--twins";
	argv[i++] = (char *)twins;
	/* Run as root from the build tree: _rmb-relay may not exist. */
	argv[i++] = (char *)"--user";
	argv[i++] = (char *)"nobody";
	argv[i] = NULL;
	if ((pid = proc_start(argv, log)) == -1 ||
	    wait_log(log, "listening on", 10000) == -1) {
		fprintf(stderr, "relay bench: rmb-relay does not start (%s)\n",
		    log);
		return -1;
	}
	return pid;
}

/* Relays n envelopes from a to b, at most window unanswered. */
static double
relay_rate(struct wsc *a, struct wsc *b, const uint8_t *env, size_t len,
    int n, int window, double *lat_us)
{
	double	 t0, t;
	int	 sent = 0, got = 0, op;
	uint8_t	*p;
	size_t	 pn;

	t0 = now_us();
	while (got < n) {
		while (sent < n && sent - got < window) {
			if (wsc_send(a, WSC_BINARY, env, len) == -1)
				return -1;
			sent++;
		}
		t = now_us();
		if (wsc_recv(b, &op, &p, &pn, 10000) != 1)
			return -1;
		free(p);
		got++;
		if (lat_us != NULL && window == 1)
			lat_us[got - 1] = now_us() - t;
	}
	return n / ((now_us() - t0) / 1e6);
}

/*
 * Both rates, their median, redis's commands per envelope and how the
 * relay at port delivered them.
 */
static void
measure(const char *what, struct wsc *a, struct wsc *b, const uint8_t *env,
    size_t len, int redis_port, int port, double *lat, const pid_t pids[3])
{
	struct cmds	 c0, c1, c2;
	struct cpu	 u0, u1, u2;
	double		 r1, r256;
	long long	 d0, s0;

	relay_rate(a, b, env, len, 500, 64, NULL);	/* warm-up */
	d0 = metric(port, "relay_deliveries_total{path=\"direct\"}");
	s0 = metric(port, "relay_deliveries_total{path=\"stream\"}");
	redis_calls(redis_port, &c0);
	cpu_read(pids, &u0);
	r1 = relay_rate(a, b, env, len, 2000, 1, lat);
	cpu_read(pids, &u1);
	redis_calls(redis_port, &c1);
	r256 = relay_rate(a, b, env, len, MESSAGES, 256, NULL);
	cpu_read(pids, &u2);
	redis_calls(redis_port, &c2);
	printf("%s:\n", what);
	printf("  1 in flight:   %8.0f envelopes/s, median %.0f us\n", r1,
	    median(lat, 2000));
	calls_print(&c0, &c1, 2000);
	cpu_print(pids, &u0, &u1, 2000);
	printf("  256 in flight: %8.0f envelopes/s (%d envelopes)\n", r256,
	    MESSAGES);
	calls_print(&c1, &c2, MESSAGES);
	cpu_print(pids, &u1, &u2, MESSAGES);
	printf("  delivered by the receiver's relay: %lld direct, %lld through "
	    "the stream\n",
	    metric(port, "relay_deliveries_total{path=\"direct\"}") - d0,
	    metric(port, "relay_deliveries_total{path=\"stream\"}") - s0);
}

int
main(void)
{
	struct redis_srv	 redis;
	struct rc_twin		 tw[2];
	struct rc_msg		 m;
	struct wsc		 a, b, *idle;
	struct rlimit		 rl;
	const char		*top = getenv("top_builddir");
	struct wsc		 b2;
	char			 bin[512], url[64], twins[300];
	char			 dir[] = "/tmp/rmb-bench-relay.XXXXXX", log[300];
	char			 log2[300], sid[16], body[128];
	uint8_t			 payload[PAYLOAD], *env;
	size_t			 len;
	double			*lat;
	long			 before, after;
	pid_t			 pid, pid2, pids[3];
	int			 port, port2, i, status, opened = 0;

	rl.rlim_cur = rl.rlim_max = IDLE + 256;
	if (setrlimit(RLIMIT_NOFILE, &rl) == -1 &&
	    (getrlimit(RLIMIT_NOFILE, &rl) == -1 ||
	    (rl.rlim_cur = rl.rlim_max, setrlimit(RLIMIT_NOFILE, &rl)) == -1))
		perror("RLIMIT_NOFILE");
	if (mkdtemp(dir) == NULL || redis_start(&redis) != 0) {
		fprintf(stderr, "relay bench: needs redis-server\n");
		return 1;
	}
	rc_twin_init(&tw[0], 1, KEY_ED25519, "r1.bench", 1);
	rc_twin_init(&tw[1], 2, KEY_ED25519, "r1.bench", 2);
	snprintf(twins, sizeof(twins), "%s/twins.json", dir);
	rc_twinfile(twins, tw, 2);
	snprintf(bin, sizeof(bin), "%s/relayd/rmb-relay",
	    top != NULL ? top : ".");
	snprintf(url, sizeof(url), "redis://127.0.0.1:%d", redis.port);
	port = free_port();
	snprintf(log, sizeof(log), "%s/relay.log", dir);
	if ((pid = start_relay(bin, url, port, twins, log)) == -1)
		return 1;
	if (rc_connect(&a, port, &tw[0], NULL, &status, body,
	    sizeof(body)) == -1 || rc_connect(&b, port, &tw[1], NULL, &status,
	    body, sizeof(body)) == -1) {
		fprintf(stderr, "relay bench: sessions refused\n");
		return 1;
	}
	randombytes_buf(payload, sizeof(payload));
	memset(&m, 0, sizeof(m));
	m.src = &tw[0];
	m.dst = 2;
	m.kind = RC_REQUEST;
	m.uid = "bench";
	m.payload = payload;
	m.len = sizeof(payload);
	len = rc_envelope(&env, &m);
	if ((lat = calloc(2000, sizeof(*lat))) == NULL)
		return 1;

	printf("envelope of %zu bytes (1 KiB payload)\n", len);
	pids[0] = pid;
	pids[1] = 0;
	pids[2] = redis.pid;
	measure("A -> relay -> B, one relay", &a, &b, env, len, redis.port,
	    port, lat, pids);

	/* B on a relay of its own: the envelopes go through B's stream. */
	port2 = free_port();
	snprintf(log2, sizeof(log2), "%s/relay2.log", dir);
	if ((pid2 = start_relay(bin, url, port2, twins, log2)) == -1 ||
	    rc_connect(&b2, port2, &tw[1], NULL, &status, body,
	    sizeof(body)) == -1) {
		fprintf(stderr, "relay bench: second relay or session failed\n");
		return 1;
	}
	pids[1] = pid2;
	/* B leaves the first relay, which then has no session of B. */
	wsc_close(&b);
	measure("A -> relay 1 -> redis stream -> relay 2 -> B, two relays "
	    "sharing a redis", &a, &b2, env, len, redis.port, port2, lat,
	    pids);
	wsc_close(&a);
	wsc_close(&b2);
	proc_stop(pid2, 5000);

	if ((idle = calloc(IDLE, sizeof(*idle))) == NULL)
		return 1;
	sleep(1);
	before = rss_kb(pid);
	for (i = 0; i < IDLE; i++) {
		snprintf(sid, sizeof(sid), "s%d", i);
		if (rc_connect(&idle[i], port, &tw[i % 2], sid, &status, body,
		    sizeof(body)) == -1)
			break;
		opened++;
	}
	sleep(2);
	after = rss_kb(pid);
	printf("idle sessions: %d connected; relay RSS %ld kB before, %ld kB "
	    "after: %.1f kB per session\n", opened, before, after,
	    opened > 0 ? (double)(after - before) / opened : 0.);
	for (i = 0; i < opened; i++)
		wsc_drop(&idle[i]);
	free(idle);
	free(lat);
	free(env);
	proc_stop(pid, 5000);
	redis_stop(&redis);
	snprintf(body, sizeof(body), "rm -rf %s", dir);
	if (system(body) != 0)
		fprintf(stderr, "could not remove %s\n", dir);
	return 0;
}
