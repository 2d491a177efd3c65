/* SPDX-License-Identifier: ISC */
/*
 * The whole peer under load, on loopback: 1 KiB requests from peer A
 * (sr25519) through its redis API, rmb-relay and peer B (ed25519, both
 * with e2e keys, so everything is sealed and signed) to an echo service
 * on B's redis and back to A's reply queue.  Round trips per second with
 * 1 and with 64 in flight, and the median latency.  Run from the build
 * directory (or set top_builddir).  Prints only.
 */
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
				    .key_type = "sr25519" };
	struct pf_peer		 b = { .name = "b", .twin = &tw[1],
				    .key_type = "ed25519" };
	char			 body[BODY + 1], json[4096];
	double			*lat = NULL, t0, t;
	redisContext		*c = NULL;
	pid_t			 echo = -1;
	int			 i, sent, got, rc = 1;

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
