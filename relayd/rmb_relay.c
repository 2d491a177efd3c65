/* SPDX-License-Identifier: ISC */
/*
 * rmb-relay: flags, set-up, privilege drop, the loop.  The flags are the
 * reference relay's, so that its deployments can switch binaries.
 */
#include <sys/resource.h>

#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>
#include <sodium.h>

#include "chainlisten.h"
#include "chainrpc.h"
#include "log.h"
#include "memtrim.h"
#include "notify.h"
#include "privdrop.h"
#include "rconn.h"
#include "relay_server.h"

#define REDIS_WAIT	5.0	/* seconds for redis at start-up */
#define REDIS_POLL	0.05
#define CHAIN_PROBE	10	/* seconds between reads while it is down */
/* The packages' system user (dist/sysusers.d/rmb-relay.conf). */
#define DEFAULT_USER	"_rmb-relay"

enum {
	OPT_LIMIT = 256,
	OPT_TWINS,
	OPT_USER,
	OPT_CATCHUP,
	OPT_FED_HTTP,
	OPT_CONNECT_TO,
	OPT_TWIN_CACHE,
	OPT_TWIN_TTL,
	OPT_STREAM_BYTES,
	OPT_METRICS_ALL,
	OPT_NO_SHARED
};

static const struct option longopts[] = {
	{ "domain",		required_argument, NULL, 'm' },
	{ "redis",		required_argument, NULL, 'r' },
	{ "substrate",		required_argument, NULL, 's' },
	{ "workers",		required_argument, NULL, 'w' },
	{ "user-per-worker",	required_argument, NULL, 'u' },
	{ "listen",		required_argument, NULL, 'l' },
	{ "debug",		no_argument,	   NULL, 'd' },
	{ "limit",		required_argument, NULL, OPT_LIMIT },
	{ "ranker-period",	required_argument, NULL, 'p' },
	{ "catchup-threshold",	required_argument, NULL, OPT_CATCHUP },
	{ "twins",		required_argument, NULL, OPT_TWINS },
	{ "user",		required_argument, NULL, OPT_USER },
	{ "federation-http",	no_argument,	   NULL, OPT_FED_HTTP },
	{ "connect-to",		required_argument, NULL, OPT_CONNECT_TO },
	{ "twin-cache",		required_argument, NULL, OPT_TWIN_CACHE },
	{ "twin-ttl",		required_argument, NULL, OPT_TWIN_TTL },
	{ "stream-bytes",	required_argument, NULL, OPT_STREAM_BYTES },
	{ "metrics-all-workers", no_argument,	   NULL, OPT_METRICS_ALL },
	{ "no-shared-twin-cache", no_argument,	   NULL, OPT_NO_SHARED },
	{ "version",		no_argument,	   NULL, 'V' },
	{ "help",		no_argument,	   NULL, 'h' },
	{ NULL, 0, NULL, 0 }
};

static struct relay_server	relay;

static _Noreturn void
usage(int code)
{
	fprintf(code == 0 ? stdout : stderr,
	    "usage: rmb-relay [-dhV] [-m domain ...] [-r redis-url] "
	    "[-s substrate-url ...]\n"
	    "                 [-l listen] [-w workers] [-u user-per-worker] "
	    "[-p ranker-period]\n"
	    "                 [--limit count size] [--twins file] "
	    "[--user user]\n"
	    "                 [--twin-cache n] [--twin-ttl seconds] "
	    "[--stream-bytes n]\n"
	    "                 [--metrics-all-workers] "
	    "[--no-shared-twin-cache] [--catchup-threshold n]\n");
	/* -h only: an error's usage stays short. */
	if (code == 0)
		printf("\n"
		    "  -d, --debug                 log more; twice adds "
		    "libwebsockets' warnings\n"
		    "  -h, --help                  print this help and exit\n"
		    "  -l, --listen addr:port      where to listen "
		    "([::]:8080)\n"
		    "      --limit count size      messages and bytes a minute "
		    "per twin (off)\n"
		    "      --metrics-all-workers   show idle workers' series in "
		    "/metrics too\n"
		    "  -m, --domain domain ...     the domains this relay "
		    "answers for\n"
		    "      --no-shared-twin-cache  keep chain twins in memory "
		    "only, not in redis\n"
		    "  -p, --ranker-period secs    how long a remote relay's "
		    "failure counts (3600)\n"
		    "  -r, --redis url             the redis of the queues "
		    "(redis://localhost:6379)\n"
		    "  -s, --substrate url ...     tfchain nodes to read twins "
		    "from\n"
		    "      --twins file            a static twin file instead "
		    "of tfchain\n"
		    "      --stream-bytes n        bytes a session's stream may "
		    "hold (256 MiB)\n"
		    "      --user user             the user to become when "
		    "started as root (_rmb-relay)\n"
		    "      --twin-cache n          how many twins to keep in "
		    "memory (10000)\n"
		    "      --twin-ttl seconds      how long to keep each "
		    "(300)\n"
		    "  -u, --user-per-worker n     sessions per delivery group "
		    "(1000)\n"
		    "  -V, --version               print the version and "
		    "exit\n"
		    "  -w, --workers n             delivery groups (500)\n"
		    "      --catchup-threshold n   blocks the events listener "
		    "replays before it\n"
		    "                              flushes the twin cache "
		    "instead (600)\n"
		    "For tests and private networks only:\n"
		    "      --federation-http       post to other relays over "
		    "plain http://\n"
		    "      --connect-to host:port:addr:port\n"
		    "                              send requests for host:port "
		    "to addr:port\n"
		    "See rmb-relay(8).\n");
	exit(code);
}

uint64_t
relay_now(void)
{
	return (uint64_t)time(NULL);
}

uint64_t
relay_mono(void)
{
	struct timespec	ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec;
}

int
relay_lookup(void *arg, uint32_t twin, struct twin_record *out)
{
	struct relay_server	*r = arg;
	uint64_t	 misses = r->twins.misses;
	int		 rv;

	rv = twindir_get(&r->twins, twin, out, relay_mono());
	if (r->chain != NULL) {
		/* From the cache only: 0 is a miss, never "no such twin". */
		if (rv == 1)
			return 1;
		relay_metrics_add(&r->metrics, RELAY_M_CACHE_MISSES, 1);
		return 2;
	}
	if (r->twins.misses != misses)
		relay_metrics_add(&r->metrics, RELAY_M_CACHE_MISSES, 1);
	return rv;
}

void
relay_chain_seen(struct relay_server *r, int rv)
{
	if (r->chain == NULL)
		return;
	if (rv == -1 && !r->chain_down)
		log_warnx("tfchain: a twin read failed; GET /health "
		    "answers 503 until one succeeds");
	else if (rv != -1 && r->chain_down)
		log_info("tfchain: answering again");
	r->chain_down = rv == -1;
}

/* Any answer, even an RPC error, says a node is reachable. */
static void
probe_cb(void *arg, const struct jsonrpc_resp *resp, const char *err)
{
	(void)err;
	relay_chain_seen(arg, resp != NULL ? 1 : -1);
}

/*
 * While the chain is down, nothing else may read it (a load balancer that
 * took the relay out stops the traffic whose misses would): try it now
 * and then, so that GET /health comes back.
 */
static void
chain_probe(struct relay_server *r, uint64_t now)
{
	if (r->chain == NULL || !r->chain_down ||
	    now - r->chain_probe < CHAIN_PROBE)
		return;
	r->chain_probe = now;
	if (chainrpc_call(r->chain, "system_health", "[]", probe_cb, r) == -1)
		log_warnx("tfchain: cannot send a probe");
}

static uint64_t
number(const char *flag, const char *s, uint64_t min, uint64_t max)
{
	char			*end;
	unsigned long long	 v;

	errno = 0;
	v = strtoull(s, &end, 10);
	if (*s < '0' || *s > '9' || *end != '\0' || errno != 0 || v < min ||
	    v > max) {
		log_warnx("%s: \"%s\" is not a number from "
		    "%" PRIu64 " to %" PRIu64, flag, s, min, max);
		exit(2);
	}
	return v;
}

/* "[::]:8080", "0.0.0.0:80", "127.0.0.1:8080", ":8080". */
static void
parse_listen(struct relay_conf *c, const char *s)
{
	const char	*colon, *host = s;
	size_t		 n;

	if (*s == '[') {
		if ((colon = strchr(s, ']')) == NULL || colon[1] != ':')
			goto bad;
		host = s + 1;
		n = (size_t)(colon - host);
		colon++;
	} else {
		if ((colon = strrchr(s, ':')) == NULL)
			goto bad;
		n = (size_t)(colon - s);
	}
	if (n >= sizeof(c->listen_host))
		goto bad;
	memcpy(c->listen_host, host, n);
	c->listen_host[n] = '\0';
	c->listen_port = (int)number("--listen", colon + 1, 1, 65535);
	return;
bad:
	log_warnx("--listen: \"%s\" is not ADDRESS:PORT",
	    s);
	exit(2);
}

/* -m and -s take several values after one flag, as clap lets them. */
static void
more_values(int argc, char **argv, const char **list, size_t *n, size_t max,
    const char *flag, const char *first)
{
	for (;;) {
		if (*n >= max) {
			log_warnx("%s: at most %zu values",
			    flag, max);
			exit(2);
		}
		list[(*n)++] = first;
		if (optind >= argc || argv[optind][0] == '-')
			return;
		first = argv[optind++];
	}
}

static void
parse_flags(struct relay_conf *c, int argc, char **argv)
{
	const char	*redis = REDISURL_DEFAULT;
	char		 err[256], url[CHAINRPC_URL_MAX];
	int		 ch;
	size_t		 i;

	memset(c, 0, sizeof(*c));
	c->workers = RELAY_WORKERS_DEFAULT;
	c->per_worker = RELAY_PER_WORKER_DEFAULT;
	c->ranker_period = RELAY_RANK_PERIOD;
	c->twin_cache = RELAY_TWIN_CACHE;
	c->twin_ttl = RELAY_TWIN_TTL;
	c->catchup = CHAINLISTEN_CATCHUP;
	c->stream_bytes = RELAY_STREAM_BYTES_DEFAULT;
	c->user = DEFAULT_USER;
	parse_listen(c, RELAY_LISTEN_DEFAULT);
	while ((ch = getopt_long(argc, argv, "m:r:s:w:u:l:dp:Vh", longopts,
	    NULL)) != -1) {
		switch (ch) {
		case 'm':
			more_values(argc, argv, c->domains, &c->ndomains,
			    RELAY_DOMAINS_MAX, "--domain", optarg);
			break;
		case 'r':
			redis = optarg;
			break;
		case 's':
			more_values(argc, argv, c->substrate, &c->nsubstrate,
			    RELAY_SUBSTRATE_MAX, "--substrate", optarg);
			break;
		case 'w':
			c->workers = (unsigned int)number("--workers", optarg,
			    1, RELAY_METRICS_WORKERS_MAX);
			break;
		case 'u':
			c->per_worker = (unsigned int)number(
			    "--user-per-worker", optarg, 1, 1000000);
			break;
		case 'l':
			parse_listen(c, optarg);
			break;
		case 'd':
			c->debug++;
			break;
		case OPT_LIMIT:
			if (optind >= argc) {
				log_warnx("--limit takes "
				    "COUNT and SIZE");
				exit(2);
			}
			c->limit_on = 1;
			c->limit_count = number("--limit", optarg, 1,
			    UINT64_MAX);
			c->limit_size = number("--limit", argv[optind++], 1,
			    UINT64_MAX);
			break;
		case 'p':
			c->ranker_period = number("--ranker-period", optarg,
			    0, UINT32_MAX);
			break;
		case OPT_CATCHUP:
			c->catchup = number("--catchup-threshold", optarg, 1,
			    UINT32_MAX);
			break;
		case OPT_TWINS:
			c->twins_path = optarg;
			break;
		case OPT_USER:
			c->user = optarg;
			break;
		case OPT_FED_HTTP:
			c->federation_http = 1;
			break;
		case OPT_TWIN_CACHE:
			c->twin_cache = (size_t)number("--twin-cache", optarg,
			    1, TWINCACHE_MAX);
			break;
		case OPT_TWIN_TTL:
			c->twin_ttl = number("--twin-ttl", optarg, 1, 86400);
			break;
		case OPT_METRICS_ALL:
			c->metrics_all_workers = 1;
			break;
		case OPT_NO_SHARED:
			c->no_shared_twins = 1;
			break;
		case OPT_STREAM_BYTES:
			c->stream_bytes = number("--stream-bytes", optarg,
			    RELAY_STREAM_BYTES_MIN, RELAY_STREAM_BYTES_MAX);
			break;
		case OPT_CONNECT_TO:
			if (c->nconnect_to >= RELAY_CONNECT_TO_MAX) {
				log_warnx("--connect-to: at "
				    "most %d", RELAY_CONNECT_TO_MAX);
				exit(2);
			}
			c->connect_to[c->nconnect_to++] = optarg;
			break;
		case 'V':
			printf("rmb-relay %s\n", PACKAGE_VERSION);
			exit(0);
		case 'h':
			usage(0);
		default:
			usage(2);
		}
	}
	if (optind != argc)
		usage(2);
	if ((uint64_t)c->workers * c->per_worker > RELAY_SESSIONS_CAP_MAX) {
		log_warnx("--workers x --user-per-worker is "
		    "too large");
		exit(2);
	}
	if (redis_url_parse(&c->redis, redis, err, sizeof(err)) == -1) {
		log_warnx("--redis: %s", err);
		exit(2);
	}
	for (i = 0; i < c->ndomains; i++) {
		if (c->domains[i][0] == '\0') {
			log_warnx("--domain: empty");
			exit(2);
		}
	}
	for (i = 0; i < c->nsubstrate; i++) {
		if (chainrpc_http_url(url, sizeof(url), c->substrate[i]) ==
		    -1) {
			log_warnx("--substrate: \"%s\" is not "
			    "a ws://, wss://, http:// or https:// URL",
			    c->substrate[i]);
			exit(2);
		}
	}
	if (c->nsubstrate == 0)
		c->substrate[c->nsubstrate++] = RELAY_SUBSTRATE_DEFAULT;
}

/* Every chain read, whoever asked for it, tells GET /health. */
static void
chain_told(void *arg, int rv)
{
	relay_chain_seen(arg, rv);
}

/*
 * --twins wins when given; else tfchain through the -s endpoints, whose
 * client needs the loop and must exist before the privilege drop, with
 * the twin cache in redis in front of it.
 */
static void
open_twins(struct relay_server *r)
{
	char	err[512];

	if (r->conf.twins_path != NULL) {
		if (twindir_open_file(&r->twins, r->conf.twins_path,
		    r->conf.twin_cache, r->conf.twin_ttl, err, sizeof(err)) == -1)
			fatalx("%s", err);
		return;
	}
	if ((r->chain = chainrpc_new(r->loop, r->conf.substrate,
	    r->conf.nsubstrate, err, sizeof(err))) == NULL)
		fatalx("--substrate: %s", err);
	if (twindir_open_chain(&r->twins, r->chain, r->conf.twin_cache,
	    r->conf.twin_ttl, err, sizeof(err)) == -1)
		fatalx("tfchain: %s", err);
	twindir_on_chain(&r->twins, chain_told, r);
	r->metrics.has_chain = 1;
	if (!r->conf.no_shared_twins &&
	    (r->share = relay_twinshare_new(r)) == NULL)
		fatal("shared twin cache");
}

/*
 * With twins from the chain, the events listener keeps the cache true to
 * the finalized blocks (doc/relay.md §3.4); the TTL stays as a bound.
 */
static void
start_events(struct relay_server *r)
{
	struct chainlisten_conf	lc;

	if (r->chain == NULL)
		return;
	memset(&lc, 0, sizeof(lc));
	lc.loop = r->loop;
	lc.rpc = r->chain;
	lc.dir = &r->twins;
	lc.catchup = r->conf.catchup;
	lc.poll = CHAINLISTEN_POLL;
	lc.now = relay_mono;
	if ((r->events = chainlisten_start(&lc)) == NULL)
		fatal("events listener");
}

void
relay_events_metrics(struct relay_server *r)
{
	const struct chainlisten_stats	*st;
	uint64_t			 ev[RELAY_M_NEV];

	if (r->events == NULL)
		return;
	st = chainlisten_stats(r->events);
	ev[RELAY_M_EV_DISABLED] = (uint64_t)st->disabled;
	ev[RELAY_M_EV_FINALIZED] = st->finalized;
	ev[RELAY_M_EV_FLUSHES] = st->flushes;
	ev[RELAY_M_EV_LAST] = st->last_block;
	ev[RELAY_M_EV_CYCLES] = st->reconnect_cycles;
	ev[RELAY_M_EV_RECONNECTING] = (uint64_t)st->reconnecting;
	ev[RELAY_M_EV_DELETED] = st->deleted;
	ev[RELAY_M_EV_STORED] = st->stored;
	ev[RELAY_M_EV_UPDATED] = st->updated;
	ev[RELAY_M_EV_ERR_CACHE_SET] = st->err_cache_set;
	ev[RELAY_M_EV_ERR_DECODE] = st->err_decode;
	ev[RELAY_M_EV_ERR_RPC] = st->err_rpc;
	relay_metrics_events(&r->metrics, ev);
}

static void
log_listening(struct relay_server *r)
{
	char	where[300], src[600];
	size_t	i, n;

	if (r->chain == NULL)
		snprintf(src, sizeof(src), "%zu twin(s) in %s",
		    r->twins.file.n, r->conf.twins_path);
	else {
		n = (size_t)snprintf(src, sizeof(src), "twins from tfchain "
		    "at %s", r->conf.substrate[0]);
		for (i = 1; i < r->conf.nsubstrate && n < sizeof(src); i++)
			n += (size_t)snprintf(src + n, sizeof(src) - n, ", %s",
			    r->conf.substrate[i]);
	}
	log_info("listening on %s:%d, %zu domain(s), %s%s, redis %s",
	    r->conf.listen_host[0] ? r->conf.listen_host : "*",
	    r->conf.listen_port, r->conf.ndomains, src,
	    r->share != NULL ? " (cached in redis too)" : "",
	    redis_url_where(&r->conf.redis, where, sizeof(where)));
}

/*
 * Root becomes --user after binding; said before any work is done when
 * it cannot.  Run as another user (systemd's User=), there is nothing to
 * drop and --user is not looked at.
 */
static void
check_user(const char *user)
{
	struct passwd	*pw;

	if (geteuid() != 0)
		return;
	if ((pw = getpwnam(user)) == NULL)
		fatalx("user %s does not exist: create the package's system "
		    "user (systemd-sysusers), or name another with --user",
		    user);
	if (pw->pw_uid == 0)
		fatalx("user %s is root; the relay must not run as root",
		    user);
}

/* The reference raises the descriptor limit to the hard limit. */
static void
raise_nofile(void)
{
	struct rlimit	rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) == -1)
		return;
	rl.rlim_cur = rl.rlim_max;
	if (setrlimit(RLIMIT_NOFILE, &rl) == -1)
		log_warn("raising the descriptor limit");
}

static void
stop_cb(struct ev_loop *loop, ev_signal *w, int revents)
{
	(void)revents;
	log_info("signal %d: stopping", w->signum);
	notify("STOPPING=1");
	relay.stopping = 1;
	ev_break(loop, EVBREAK_ALL);
}

static void
tick_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct relay_server	*r = w->data;

	(void)loop;
	(void)revents;
	relay_switch_tick(r, relay_mono());
	chain_probe(r, relay_mono());
}

static void
redis_wait_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	static unsigned int	 ticks;
	struct relay_server		*r = w->data;

	(void)revents;
	if (rconn_up(r->cmd) || ++ticks * REDIS_POLL >= REDIS_WAIT) {
		ev_timer_stop(loop, w);
		ev_break(loop, EVBREAK_ONE);
	}
}

static void
drain_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	static unsigned int	 ticks;
	struct relay_server		*r = w->data;

	(void)revents;
	if ((relay_switch_drained(r) && relay_fed_stopped(r->fed)) ||
	    ++ticks * REDIS_POLL >= REDIS_WAIT) {
		ev_timer_stop(loop, w);
		ev_break(loop, EVBREAK_ONE);
	}
}

/*
 * The last XDELs, and federation's XACKs, go out and are answered before
 * the connections close.
 */
static void
drain(struct relay_server *r)
{
	ev_timer	t;

	relay_switch_drain(r);
	ev_timer_init(&t, drain_cb, 0., REDIS_POLL);
	t.data = r;
	ev_timer_start(r->loop, &t);
	ev_run(r->loop, 0);
}

int
main(int argc, char **argv)
{
	struct relay_server	*r = &relay;
	ev_signal	 sigint, sigterm;
	ev_timer	 wait;
	char		 where[300];
	uint64_t	 seed;
	size_t		 users;

	/* Before the flags, whose errors are log lines with a priority. */
	log_init("rmb-relay", 0);
	parse_flags(&r->conf, argc, argv);
	log_init("rmb-relay", r->conf.debug);
	check_user(r->conf.user);
	if (sodium_init() < 0)
		fatalx("libsodium init failed");
	signal(SIGPIPE, SIG_IGN);
	raise_nofile();

	users = (size_t)r->conf.workers * r->conf.per_worker;
	randombytes_buf(&seed, sizeof(seed));
	if (relay_sessions_init(&r->sessions, users, seed) == -1 ||
	    relay_rank_init(&r->rank, r->conf.ranker_period) == -1 ||
	    relay_metrics_init(&r->metrics, r->conf.workers) == -1)
		fatal("set-up");
	r->metrics.all_workers = r->conf.metrics_all_workers;
	if (r->conf.limit_on) {
		if (relay_limit_init(&r->limit, r->conf.limit_count,
		    r->conf.limit_size, users * 2 > RELAY_LIMIT_CAP_MAX ?
		    RELAY_LIMIT_CAP_MAX : users * 2) == -1)
			fatal("rate limiter");
	} else
		relay_limit_off(&r->limit);
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != 0)
		fatalx("libcurl init failed");

	if ((r->loop = ev_default_loop(EVFLAG_AUTO)) == NULL)
		fatalx("libev: no event loop");
	memtrim_start(r->loop, MEMTRIM_THRESHOLD);
	if (relay_switch_init(r) == -1)
		fatal("redis set-up");
	/* Fail at start-up, as the reference, when redis cannot be reached. */
	ev_timer_init(&wait, redis_wait_cb, REDIS_POLL, REDIS_POLL);
	wait.data = r;
	ev_timer_start(r->loop, &wait);
	ev_run(r->loop, 0);
	if (!rconn_up(r->cmd))
		fatalx("cannot reach redis at %s",
		    redis_url_where(&r->conf.redis, where, sizeof(where)));

	/* The listener and the lws event-lib plugin come before the drop. */
	if (relay_http_init(r) == -1)
		fatalx("cannot listen on %s:%d", r->conf.listen_host[0] ?
		    r->conf.listen_host : "*", r->conf.listen_port);
	if ((r->fed = relay_fed_new(r)) == NULL)
		fatal("federation set-up");
	open_twins(r);

	privdrop(NULL, r->conf.user);
	privdrop_harden();
	if (relay_sandbox() == -1)
		fatalx("seccomp: cannot install the filter");

	ev_signal_init(&sigint, stop_cb, SIGINT);
	ev_signal_init(&sigterm, stop_cb, SIGTERM);
	ev_signal_start(r->loop, &sigint);
	ev_signal_start(r->loop, &sigterm);
	ev_timer_init(&r->tick, tick_cb, 1., 1.);
	r->tick.data = r;
	ev_timer_start(r->loop, &r->tick);
	log_listening(r);
	start_events(r);
	/* Listening, redis answered, dropped and filtered: ready. */
	notify("READY=1\nSTATUS=listening on %s:%d",
	    r->conf.listen_host[0] ? r->conf.listen_host : "*",
	    r->conf.listen_port);
	ev_run(r->loop, 0);

	ev_timer_stop(r->loop, &r->tick);
	ev_signal_stop(r->loop, &sigint);
	ev_signal_stop(r->loop, &sigterm);
	relay_fed_stop(r->fed);
	relay_http_free(r);
	drain(r);
	relay_fed_free(r->fed);
	relay_switch_free(r);
	relay_twinshare_free(r->share);
	chainlisten_free(r->events);
	twindir_close(&r->twins);
	chainrpc_free(r->chain);
	curl_global_cleanup();
	relay_limit_free(&r->limit);
	relay_rank_free(&r->rank);
	relay_metrics_free(&r->metrics);
	relay_sessions_free(&r->sessions);
	log_info("stopped");
	return 0;
}
