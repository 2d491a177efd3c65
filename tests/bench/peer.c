/*
 * The whole peer under load, on loopback: 1 KiB requests from peer A
 * (sr25519) through its redis API, rmb-relay and peer B (ed25519, both
 * with e2e keys, so everything is sealed and signed) to an echo service
 * on B's redis and back to A's reply queue.  Round trips per second with
 * 1 and with 64 in flight, and the median latency.  Run from the build
 * directory (or set top_builddir).  Prints only.
 */
#include <sys/wait.h>

#include <signal.h>
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
	double			*lat, t0, t;
	redisContext		*c;
	pid_t			 echo;
	int			 i, sent, got, st;

	if (pf_init(&net) != 0) {
		fprintf(stderr, "peer bench: needs redis-server\n");
		return 1;
	}
	rc_twin_init(&tw[0], 1, KEY_SR25519, "localhost", 0x11);
	rc_twin_init(&tw[1], 2, KEY_ED25519, "localhost", 0x22);
	tw[0].has_pk = tw[1].has_pk = 1;
	if (rc_twinfile(net.twins, tw, 2) == -1 || pf_relay_start(&net) ||
	    pf_peer_start(&net, &a, NULL, 1) || pf_peer_start(&net, &b, NULL,
	    1)) {
		fprintf(stderr, "peer bench: the network does not start (%s)\n",
		    net.dir);
		return 1;
	}
	if ((echo = fork()) == 0)
		echo_service(b.redis.port);
	memset(body, 'x', BODY);
	body[0] = body[BODY - 1] = '"';
	body[BODY] = '\0';
	pf_request(json, sizeof(json), "bench", "bench.echo", 60, body, "2",
	    "bench.ret", NULL);
	if ((c = redisConnect("127.0.0.1", a.redis.port)) == NULL || c->err ||
	    (lat = calloc(SERIAL, sizeof(*lat))) == NULL)
		return 1;

	for (i = 0; i < 50; i++)	/* warm-up: keys, twins, sessions */
		if (send_one(c, json) || recv_one(c))
			return 1;
	t0 = now_us();
	for (i = 0; i < SERIAL; i++) {
		t = now_us();
		if (send_one(c, json) || recv_one(c))
			return 1;
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
			return 1;
		if (sent < PIPELINED) {
			send_one(c, json);
			sent++;
		}
	}
	printf("  %d in flight: %6.0f round trips/s (%d)\n", WINDOW,
	    PIPELINED / ((now_us() - t0) / 1e6), PIPELINED);
	redisFree(c);
	kill(echo, SIGTERM);
	waitpid(echo, &st, 0);
	free(lat);
	pf_peer_stop(&a);
	pf_peer_stop(&b);
	pf_done(&net, 1);
	return 0;
}
