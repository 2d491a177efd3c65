/* SPDX-License-Identifier: ISC */
/*
 * Big messages and memory, on loopback.  First a relay alone: 100
 * sessions, each sent one 32 MiB envelope by one more session, all read
 * at once; the relay's resident memory idle with the sessions connected,
 * its peak (VmHWM) and what it holds once they are delivered (VmRSS),
 * and the time; and a session away while 8 envelopes of 16 MiB (then
 * 60 of 4 MiB) wait in its stream, then back: the relay's peak before
 * and after it came.
 * Then two peers: one request with the largest payload
 * (PAYLOAD_MAX) from A's redis API through the relay to B's, the time it
 * takes, and each process's resident memory before, at its peak and
 * after.  "big relay" or "big peers" runs one of the two.  Run from the
 * build directory (or set top_builddir).  Prints only.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <hiredis/hiredis.h>

#include "base64.h"
#include "bench.h"
#include "peer_fixture.h"
#include "protocol.h"
#include "relay_fixture.h"

#define SESSIONS	100
#define RELAY_MSG	(32 * 1024 * 1024)
#define RECV_WAIT	120000	/* ms */

static struct rc_twin	 tw[SESSIONS + 1];
static struct wsc	 ws[SESSIONS + 1];
static uint8_t		*payload;
static size_t		 paylen;
static int		 delivered;
static pthread_mutex_t	 lock = PTHREAD_MUTEX_INITIALIZER;

static double
mib(long kib)
{
	return kib < 0 ? -1 : (double)kib / 1024;
}

/*
 * A session away while stored envelopes of msg bytes wait in its
 * stream, then back: the relay's peak while it sends them (VmHWM before
 * and after), and the time to deliver them.  Run for 8 of 16 MiB and
 * for 60 of 4 MiB (240 MiB, near the default --stream-bytes of 256).
 */

static int
bench_stored(const char *top, int stored, size_t msg)
{
	struct redis_srv	 redis;
	struct relay_proc	 relay;
	struct rc_msg		 m;
	struct wsc		 from, to;
	Envelope		*e;
	char			 bin[512], dir[256], twins[300], uid[16];
	char			 tmpl[] = "/tmp/rmb-bench-big.XXXXXX";
	const char		*opts[] = { "-w", "4", "-u", "100", "--twins",
				    twins, "-m", "r1.test", NULL };
	uint8_t			*env;
	size_t			 n;
	double			 t0;
	long			 before;
	int			 i, got = 0;

	if (mkdtemp(tmpl) == NULL)
		return -1;
	snprintf(dir, sizeof(dir), "%s", tmpl);
	snprintf(bin, sizeof(bin), "%s/relayd/rmb-relay", top);
	snprintf(twins, sizeof(twins), "%s/twins.json", dir);
	if (redis_start(&redis) != 0)
		return -1;
	if (rc_twinfile(twins, tw, 2) == -1 || rf_start(&relay, bin, dir,
	    "relay", redis.port, 0, opts, NULL) == -1 ||
	    rf_session(&from, &relay, &tw[0], NULL) == -1) {
		fprintf(stderr, "big bench: the relay does not start (%s)\n",
		    dir);
		redis_stop(&redis);
		return -1;
	}
	memset(&m, 0, sizeof(m));
	m.src = &tw[0];
	m.dst = tw[1].id;
	m.dst_sid = "away";
	m.kind = RC_REQUEST;
	m.payload = payload;
	m.len = msg - 1024;
	for (i = 0; i < stored; i++) {
		snprintf(uid, sizeof(uid), "s%d", i);
		m.uid = uid;
		if ((n = rc_envelope(&env, &m)) == 0)
			break;
		(void)wsc_send(&from, WSC_BINARY, env, n);
		free(env);
	}
	sleep(2);
	before = proc_peak_kib(relay.pid);
	t0 = now_us();
	if (rf_session(&to, &relay, &tw[1], "away") == 0) {
		for (i = 0; i < stored && rc_recv(&to, &e, RECV_WAIT) == 1;
		    i++) {
			got++;
			envelope__free_unpacked(e, NULL);
		}
		wsc_close(&to);
	}
	printf("relay: %d envelopes of %zu bytes stored for a session away, "
	    "%d delivered in %.2f s once it came; peak %.1f MiB before it "
	    "came, %.1f MiB after\n", stored, msg, got,
	    (now_us() - t0) / 1e6, mib(before),
	    mib(proc_peak_kib(relay.pid)));
	wsc_close(&from);
	proc_stop(relay.pid, RF_WAIT);
	redis_stop(&redis);
	snprintf(bin, sizeof(bin), "rm -rf %s", dir);
	(void)!system(bin);
	return 0;
}

static void *
reader(void *arg)
{
	struct wsc	*w = arg;
	Envelope	*e;

	if (rc_recv(w, &e, RECV_WAIT) == 1) {
		if (e->payload_case == ENVELOPE__PAYLOAD_PLAIN &&
		    e->plain.len == paylen) {
			pthread_mutex_lock(&lock);
			delivered++;
			pthread_mutex_unlock(&lock);
		}
		envelope__free_unpacked(e, NULL);
	}
	return NULL;
}

static int
bench_relay(const char *top)
{
	struct redis_srv	 redis;
	struct relay_proc	 relay;
	struct rc_msg		 m;
	pthread_t		 th[SESSIONS];
	char			 bin[512], dir[256], twins[300];
	char			 tmpl[] = "/tmp/rmb-bench-big.XXXXXX";
	const char		*opts[] = { "-w", "4", "-u", "100", "--twins",
				    twins, "-m", "r1.test", NULL };
	uint8_t			*env;
	size_t			 n = 0;
	double			 t0;
	long			 idle;
	int			 i, sent = 0;

	if (mkdtemp(tmpl) == NULL)
		return -1;
	snprintf(dir, sizeof(dir), "%s", tmpl);
	snprintf(bin, sizeof(bin), "%s/relayd/rmb-relay", top);
	snprintf(twins, sizeof(twins), "%s/twins.json", dir);
	if (redis_start(&redis) != 0) {
		fprintf(stderr, "big bench: needs redis-server\n");
		return -1;
	}
	for (i = 0; i <= SESSIONS; i++)
		rc_twin_init(&tw[i], (uint32_t)i + 1, KEY_ED25519, "r1.test",
		    (uint8_t)(i + 1));
	if (rc_twinfile(twins, tw, SESSIONS + 1) == -1 ||
	    rf_start(&relay, bin, dir, "relay", redis.port, 0, opts,
	    NULL) == -1) {
		fprintf(stderr, "big bench: the relay does not start (%s)\n",
		    dir);
		redis_stop(&redis);
		return -1;
	}
	for (i = 0; i <= SESSIONS; i++)
		if (rf_session(&ws[i], &relay, &tw[i], NULL) == -1) {
			fprintf(stderr, "big bench: session %d refused\n", i);
			goto out;
		}
	usleep(500000);
	idle = proc_rss_kib(relay.pid);
	paylen = RELAY_MSG - 1024;
	memset(&m, 0, sizeof(m));
	m.src = &tw[0];
	m.kind = RC_REQUEST;
	m.uid = "big";
	m.payload = payload;
	m.len = paylen;
	for (i = 0; i < SESSIONS; i++)
		pthread_create(&th[i], NULL, reader, &ws[i + 1]);
	t0 = now_us();
	for (i = 0; i < SESSIONS; i++) {
		m.dst = tw[i + 1].id;
		if ((n = rc_envelope(&env, &m)) == 0)
			break;
		sent += wsc_send(&ws[0], WSC_BINARY, env, n) == 0;
		free(env);
	}
	for (i = 0; i < SESSIONS; i++)
		pthread_join(th[i], NULL);
	printf("relay: %d sessions, each sent one envelope of %zu bytes "
	    "(%d sent, %d delivered) in %.2f s\n", SESSIONS, n, sent,
	    delivered, (now_us() - t0) / 1e6);
	sleep(1);
	printf("relay: resident memory idle with the sessions %.1f MiB, "
	    "peak %.1f MiB, after %.1f MiB\n", mib(idle),
	    mib(proc_peak_kib(relay.pid)),
	    mib(proc_rss_kib(relay.pid)));
out:
	for (i = 0; i <= SESSIONS; i++)
		wsc_close(&ws[i]);
	proc_stop(relay.pid, RF_WAIT);
	redis_stop(&redis);
	snprintf(bin, sizeof(bin), "rm -rf %s", dir);
	(void)!system(bin);
	return 0;
}

static void
peer_rss(const char *when, const struct pf_peer *p)
{
	static const char *const names[] = { "rmb-peer", "rmb-netd",
	    "rmb-apid", "rmb-keyd" };
	pid_t	pid;
	size_t	i;

	printf("peer %s, %s:", p->name, when);
	for (i = 0; i < 4; i++) {
		pid = i == 0 ? p->pid : pf_child(p->pid, names[i]);
		printf(" %s %.1f MiB (peak %.1f)", names[i] + 4,
		    mib(proc_rss_kib(pid)), mib(proc_peak_kib(pid)));
	}
	printf("\n");
}

static int
bench_peers(void)
{
	static struct pf_net	 net;
	static struct rc_twin	 pt[2];
	struct pf_peer		 a = { .name = "a", .twin = &pt[0],
				    .key_type = "sr25519", .quiet = 1 };
	struct pf_peer		 b = { .name = "b", .twin = &pt[1],
				    .key_type = "ed25519", .quiet = 1 };
	redisContext		*ca = NULL, *cb = NULL;
	redisReply		*r;
	char			*b64, *json;
	size_t			 n = b64_encoded_len(PAYLOAD_MAX) + 1;
	double			 t0;
	int			 rc = -1;

	if (pf_init(&net) != 0)
		return -1;
	rc_twin_init(&pt[0], 1, KEY_SR25519, "localhost", 0x11);
	rc_twin_init(&pt[1], 2, KEY_ED25519, "localhost", 0x22);
	pt[0].has_pk = pt[1].has_pk = 1;
	if (rc_twinfile(net.twins, pt, 2) == -1 || pf_relay_start(&net) ||
	    pf_peer_start(&net, &a, NULL, 1) || pf_peer_start(&net, &b, NULL,
	    1)) {
		fprintf(stderr, "big bench: the network does not start (%s)\n",
		    net.dir);
		goto out;
	}
	if ((b64 = malloc(n)) == NULL || (json = malloc(n + 256)) == NULL ||
	    b64_encode(b64, n, payload, PAYLOAD_MAX) != 0)
		goto out;
	snprintf(json, n + 256, "{\"ver\":1,\"ref\":\"big\",\"cmd\":"
	    "\"bench.big\",\"exp\":120,\"dat\":\"%s\",\"tag\":null,"
	    "\"dst\":[2],\"ret\":\"big.ret\",\"shm\":null,\"now\":0}", b64);
	free(b64);
	if ((ca = redisConnect("127.0.0.1", a.redis.port)) == NULL ||
	    ca->err || (cb = redisConnect("127.0.0.1", b.redis.port)) ==
	    NULL || cb->err)
		goto out;
	sleep(1);
	peer_rss("idle", &a);
	peer_rss("idle", &b);
	t0 = now_us();
	r = redisCommand(ca, "LPUSH msgbus.system.local %s", json);
	freeReplyObject(r);
	r = redisCommand(cb, "BLPOP msgbus.bench.big 120");
	printf("peers: a payload of %d bytes from A's redis to B's in "
	    "%.2f s (%s, %zu bytes of JSON)\n", PAYLOAD_MAX,
	    (now_us() - t0) / 1e6, r != NULL && r->type ==
	    REDIS_REPLY_ARRAY ? "arrived" : "lost", r != NULL && r->type ==
	    REDIS_REPLY_ARRAY ? r->element[1]->len : 0);
	freeReplyObject(r);
	free(json);
	sleep(2);
	peer_rss("after", &a);
	peer_rss("after", &b);
	rc = 0;
out:
	if (ca != NULL)
		redisFree(ca);
	if (cb != NULL)
		redisFree(cb);
	if (a.pid > 0)
		pf_peer_stop(&a);
	if (b.pid > 0)
		pf_peer_stop(&b);
	pf_relay_stop(&net);
	pf_done(&net, rc == 0);
	return rc;
}

int
main(int argc, char *argv[])
{
	const char	*top = getenv("top_builddir");
	const char	*only = argc > 1 ? argv[1] : "";
	size_t		 i;

	if (argc > 2 || (argc == 2 && strcmp(only, "relay") != 0 &&
	    strcmp(only, "peers") != 0)) {
		fprintf(stderr, "usage: big [relay | peers]\n");
		return 2;
	}
	if ((payload = malloc(ENVELOPE_MAX)) == NULL)
		return 1;
	for (i = 0; i < ENVELOPE_MAX; i++)
		payload[i] = (uint8_t)(i * 31 + i / 4096);
	if (strcmp(only, "peers") != 0 &&
	    (bench_relay(top != NULL ? top : ".") == -1 ||
	    bench_stored(top != NULL ? top : ".", 8, 16 * 1024 * 1024) ==
	    -1 || bench_stored(top != NULL ? top : ".", 60,
	    4 * 1024 * 1024) == -1))
		return 1;
	return strcmp(only, "relay") != 0 && bench_peers() == -1;
}
