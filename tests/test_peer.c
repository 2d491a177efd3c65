/* SPDX-License-Identifier: ISC */
/*
 * rmb-peer end to end: real redis-servers, a real rmb-relay, three peers
 * (keyd, netd and apid each) and a test session on the relay, all on
 * loopback.  Clients speak the redis JSON API of doc/protocol.md §6.
 */
#include <sys/stat.h>
#include <sys/wait.h>

#include <dirent.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "base64.h"
#include "changelog.h"
#include "ipc.h"
#include "peer_fixture.h"
#include "tap.h"

#define WAIT	10000	/* ms for anything that should happen */

static struct pf_net	 net;

enum { TA, TB, TC, TNORELAY, TCLIENT, TSTRANGER, NTWINS };
static struct rc_twin	 tw[NTWINS];

static struct pf_peer	 pa = { .name = "a", .twin = &tw[TA],
			    .key_type = "sr25519" };
static struct pf_peer	 pb = { .name = "b", .twin = &tw[TB],
			    .key_type = "ed25519" };
static struct pf_peer	 pc = { .name = "c", .twin = &tw[TC],
			    .key_type = "sr25519" };

/* The value of "key": in a JSON line, as text up to its end. */
static int
field_is(const char *json, const char *key, const char *want)
{
	char		 pat[64];
	const char	*p;

	snprintf(pat, sizeof(pat), "\"%s\":", key);
	if (json == NULL || (p = strstr(json, pat)) == NULL)
		return 0;
	p += strlen(pat);
	return strncmp(p, want, strlen(want)) == 0;
}

#define R1_HEAD	"{\"ver\":1,\"ref\":\"r1\",\"dat\":\"ImhlbGxvIg==\"," \
	"\"src\":\"2\",\"shm\":\"application/json\",\"now\":"

static void
test_roundtrip(void)
{
	char	 req[8192], *resp, vjson[80], b64[128], vdat[132];
	int	 ok_;

	pf_request(req, sizeof(req), "r1", "test.echo", 60, "\"hello\"", "2",
	    "ret.r1", NULL);
	pf_lpush(pa.redis.port, "msgbus.system.local", req);
	ok(pf_echo_one(&pb, "test.echo", 10) == 0,
	    "sr25519 peer -> ed25519 peer: the request reaches b's service");
	resp = pf_blpop(pa.redis.port, "ret.r1", 10);
	ok_ = resp != NULL && strncmp(resp, R1_HEAD, strlen(R1_HEAD)) == 0 &&
	    strstr(resp, ",\"err\":null}") != NULL;
	ok(ok_, "the response comes back, exactly as §6.2 (encrypted: both "
	    "have a pk)");
	if (!ok_)
		diag("got %s", resp != NULL ? resp : "(nothing)");
	free(resp);

	pf_request(req, sizeof(req), "r3", "test.echo", 60, "\"both\"", "2,3",
	    "ret.r3", NULL);
	pf_lpush(pa.redis.port, "msgbus.system.local", req);
	pf_echo_one(&pb, "test.echo", 10);
	pf_echo_one(&pc, "test.echo", 10);
	{
		char	*x = pf_blpop(pa.redis.port, "ret.r3", 10);
		char	*y = pf_blpop(pa.redis.port, "ret.r3", 10);

		ok(x != NULL && y != NULL && field_is(x, "ref", "\"r3\"") &&
		    field_is(y, "ref", "\"r3\"") &&
		    ((field_is(x, "src", "\"2\"") && field_is(y, "src",
		    "\"3\"")) || (field_is(x, "src", "\"3\"") &&
		    field_is(y, "src", "\"2\""))),
		    "multi-destination: one response per destination");
		free(x);
		free(y);
	}

	/* "v" and debian/changelog's version, a JSON string, in base64. */
	snprintf(vjson, sizeof(vjson), "\"v%s\"", changelog_version());
	if (b64_encode(b64, sizeof(b64), (const uint8_t *)vjson,
	    strlen(vjson)) != 0)
		b64[0] = '\0';
	snprintf(vdat, sizeof(vdat), "\"%s\"", b64);
	pf_request(req, sizeof(req), "r4", "rmb.version", 60, "null", "2",
	    "ret.r4", NULL);
	pf_lpush(pa.redis.port, "msgbus.system.local", req);
	resp = pf_blpop(pa.redis.port, "ret.r4", 10);
	ok(field_is(resp, "src", "\"2\"") && field_is(resp, "err", "null") &&
	    field_is(resp, "dat", vdat), "rmb.version is answered by b "
	    "itself with %s (%s)", vjson, resp != NULL ? resp : "nothing");
	free(resp);
	ok(pf_llen(pb.redis.port, "msgbus.rmb.version") == 0,
	    "and never reaches b's redis");
}

static void
test_failures(void)
{
	char	 req[8192], *resp;

	pf_request(req, sizeof(req), "f1", "test.echo", 60, "1", "99", "ret.f1",
	    NULL);
	pf_lpush(pa.redis.port, "msgbus.system.local", req);
	resp = pf_blpop(pa.redis.port, "ret.f1", 10);
	ok(resp != NULL && strcmp(resp, "{\"ver\":1,\"ref\":\"f1\",\"dat\":\"\","
	    "\"src\":\"\",\"shm\":null,\"now\":0,\"err\":{\"code\":103,"
	    "\"message\":\"unknown twin id '99'\"}}") == 0,
	    "unknown destination twin: err 103, src \"\" (%s)",
	    resp != NULL ? resp : "nothing");
	free(resp);

	pf_request(req, sizeof(req), "f2", "test.echo", 60, "1", "4", "ret.f2",
	    NULL);
	pf_lpush(pa.redis.port, "msgbus.system.local", req);
	resp = pf_blpop(pa.redis.port, "ret.f2", 10);
	ok(field_is(resp, "src", "\"0\"") && field_is(resp, "err",
	    "{\"code\":0,\"message\":\"relay info is not set for this twin\"}"),
	    "the relay cannot route: its report, src \"0\", code 0");
	free(resp);

	pf_request(req, sizeof(req), "f3", "test.echo", 0, "1", "2", "ret.f3",
	    NULL);
	pf_lpush(pa.redis.port, "msgbus.system.local", req);
	resp = pf_blpop(pa.redis.port, "ret.f3", 10);
	ok(field_is(resp, "err", "{\"code\":0,") && field_is(resp, "src",
	    "\"\""), "exp 0: answered with an error (the reference drops it)");
	free(resp);

	pf_lpush(pa.redis.port, "msgbus.system.local", "{\"ver\":1,\"ref\":\"f4\","
	    "\"cmd\":\"x\",\"exp\":60,\"dat\":\"!!!\",\"tag\":null,\"dst\":[2],"
	    "\"ret\":\"ret.f4\",\"shm\":null,\"now\":0}");
	resp = pf_blpop(pa.redis.port, "ret.f4", 10);
	ok(field_is(resp, "err", "{\"code\":0,"),
	    "bad base64: answered with an error");
	free(resp);

	pf_lpush(pa.redis.port, "msgbus.system.local", "{\"ver\":1,\"cmd\":3,"
	    "\"ret\":\"ret.f5\"}");
	resp = pf_blpop(pa.redis.port, "ret.f5", 10);
	ok(field_is(resp, "err", "{\"code\":0,"),
	    "bad JSON with a usable ret: answered with an error");
	free(resp);
	pf_lpush(pa.redis.port, "msgbus.system.local", "not json at all");
	usleep(300000);
	ok(pf_llen(pa.redis.port, "msgbus.system.local") == 0 &&
	    kill(pa.pid, 0) == 0, "garbage without ret: popped, logged, "
	    "the peer goes on");
}

/* Raw sessions on the relay: what peers answer to bad envelopes. */
static void
test_remote_checks(void)
{
	struct wsc	 w;
	struct rc_msg	 m;
	struct rc_twin	 liar;
	Envelope	*e;
	int		 status, got;
	char		 body[128], *req, *resp;
	const char	*why;

	ok(rc_connect(&w, net.relay_port, &tw[TCLIENT], "s1", &status, body,
	    sizeof(body)) == 0, "a test session 5:s1 on the relay");
	memset(&m, 0, sizeof(m));
	liar = tw[TCLIENT];
	liar.ident = tw[TSTRANGER].ident;
	m.src = &liar;
	m.src_sid = "s1";
	m.dst = tw[TB].id;
	m.kind = RC_REQUEST;
	m.uid = "forged";
	m.payload = "x";
	m.len = 1;
	rc_send(&w, &m);
	got = rc_recv(&w, &e, WAIT);
	ok(got == 1 && e->message_case == ENVELOPE__MESSAGE_ERROR &&
	    e->error->code == 104 && strcmp(e->uid, "forged") == 0 &&
	    e->source != NULL && e->source->twin == tw[TB].id,
	    "a forged signature is answered by b with error 104");
	if (got == 1)
		envelope__free_unpacked(e, NULL);

	m.src = &tw[TCLIENT];
	m.uid = "old";
	m.timestamp = (uint64_t)time(NULL) - 1000;
	m.expiration = 10;
	rc_send(&w, &m);
	got = rc_recv(&w, &e, WAIT);
	ok(got == 1 && e->message_case == ENVELOPE__MESSAGE_ERROR &&
	    e->error->code == 102 && strcmp(e->uid, "old") == 0,
	    "an expired request is answered with error 102");
	if (got == 1)
		envelope__free_unpacked(e, NULL);

	/*
	 * A response to a session address "5:s1"; twin 5 publishes no pk,
	 * so c answers in plain (c has one: the request may be plain too).
	 */
	m.uid = "sess";
	m.dst = tw[TC].id;
	m.timestamp = 0;
	m.expiration = 60;
	m.payload = "\"to the session\"";
	m.len = strlen(m.payload);
	rc_send(&w, &m);
	req = pf_blpop(pc.redis.port, "msgbus.test.echo", 10);
	ok(field_is(req, "src", "\"5:s1\""), "c's service sees src \"5:s1\"");
	free(req);
	pf_lpush(pc.redis.port, "msgbus.system.reply", "{\"ver\":1,\"ref\":\"sess\","
	    "\"dat\":\"Im9rIg==\",\"dst\":\"5:s1\",\"shm\":null,\"now\":0,"
	    "\"err\":null}");
	got = rc_recv(&w, &e, WAIT);
	ok(got == 1 && e->message_case == ENVELOPE__MESSAGE_RESPONSE &&
	    strcmp(e->uid, "sess") == 0 && e->destination != NULL &&
	    e->destination->opt_connection_case ==
	    ADDRESS__OPT_CONNECTION_CONNECTION &&
	    strcmp(e->destination->connection, "s1") == 0 &&
	    e->payload_case == ENVELOPE__PAYLOAD_PLAIN && e->plain.len == 4 &&
	    memcmp(e->plain.data, "\"ok\"", 4) == 0 &&
	    envelope_verify(e, tw[TC].ident.account, &why) == 0,
	    "the response reaches the session 5:s1, plain (5 has no pk), "
	    "signed by c");
	if (got == 1)
		envelope__free_unpacked(e, NULL);
	wsc_close(&w);

	/*
	 * Unsigned, source 0, a request: the relay refuses it now, and b
	 * would drop it anyway (the reference takes it; netd's own check is
	 * in test_netd_proto).
	 */
	{
		Envelope	 env;
		Address		 dst;
		Request		 rq;
		uint8_t		 buf[256];
		size_t		 n;
		char		*r2;
		size_t		 rl;

		envelope__init(&env);
		address__init(&dst);
		request__init(&rq);
		env.uid = (char *)"zero";
		env.timestamp = (uint64_t)time(NULL);
		env.expiration = 60;
		dst.twin = tw[TB].id;
		env.destination = &dst;
		rq.command = (char *)"test.zero";
		env.message_case = ENVELOPE__MESSAGE_REQUEST;
		env.request = &rq;
		n = envelope__pack(&env, buf);
		ok(http_request("127.0.0.1", net.relay_port, "POST", "/", buf, n,
		    &status, &r2, &rl, WAIT) == 0 && status == 401,
		    "an unsigned source-0 request is refused by the relay "
		    "(401)");
		free(r2);
		resp = pf_blpop(pb.redis.port, "msgbus.test.zero", 3);
		ok(resp == NULL, "is dropped by b, not given to its service");
		free(resp);
	}
	(void)resp;
}

static void
test_relay_restart(void)
{
	char	 req[8192], ref[16], ret[16], *resp;
	int	 i, answered = 0;

	pf_relay_stop(&net);
	pf_request(req, sizeof(req), "dead", "test.echo", 3, "1", "2",
	    "ret.dead", NULL);
	pf_lpush(pa.redis.port, "msgbus.system.local", req);
	resp = pf_blpop(pa.redis.port, "ret.dead", 10);
	ok(resp != NULL && strcmp(resp, "{\"ver\":1,\"ref\":\"dead\","
	    "\"dat\":\"\",\"src\":\"\",\"shm\":null,\"now\":0,\"err\":"
	    "{\"code\":500,\"message\":\"other: response has expired before "
	    "sending!\"}}") == 0, "no relay until the deadline: err 500 "
	    "(%s)", resp != NULL ? resp : "nothing");
	free(resp);
	for (i = 0; i < 5; i++) {
		snprintf(ref, sizeof(ref), "k%d", i);
		snprintf(ret, sizeof(ret), "ret.k%d", i);
		pf_request(req, sizeof(req), ref, "test.echo", 120, "\"later\"",
		    "2", ret, NULL);
		pf_lpush(pa.redis.port, "msgbus.system.local", req);
	}
	sleep(2);
	if (pf_relay_start(&net) == -1)
		diag("the relay does not restart");
	for (i = 0; i < 5; i++)
		pf_echo_one(&pb, "test.echo", 60);
	for (i = 0; i < 5; i++) {
		snprintf(ret, sizeof(ret), "ret.k%d", i);
		resp = pf_blpop(pa.redis.port, ret, 30);
		answered += field_is(resp, "err", "null");
		free(resp);
	}
	ok(answered == 5, "relay killed and restarted: all 5 requests in "
	    "flight are answered (%d)", answered);
}

/* What happens to answers: after the backlog, and remote refusals. */
static void
test_answers(void)
{
	char	 req[8192], *resp, *in;
	char	 reply[12288];

	/*
	 * b does not answer before the deadline (2 s) and its grace: a is
	 * told so by its own peer, and b's late reply is then dropped.
	 */
	pf_request(req, sizeof(req), "late", "test.slow", 2, "1", "2",
	    "ret.late", NULL);
	pf_lpush(pa.redis.port, "msgbus.system.local", req);
	in = pf_blpop(pb.redis.port, "msgbus.test.slow", 10);
	resp = pf_blpop(pa.redis.port, "ret.late", 15);
	ok(field_is(resp, "ref", "\"late\"") && field_is(resp, "src",
	    "\"2\"") && field_is(resp, "err", "{\"code\":500,\"message\":"
	    "\"other: no response before the request's deadline\"}"),
	    "no answer before the deadline: the caller's peer says so (%s)",
	    resp != NULL ? resp : "nothing");
	free(resp);
	if (in != NULL && pf_echo_reply(in, reply, sizeof(reply)) == 0)
		pf_lpush(pb.redis.port, "msgbus.system.reply", reply);
	free(in);
	ok(wait_log(pa.log, "was answered already", WAIT) == 0 &&
	    pf_llen(pa.redis.port, "ret.late") == 0,
	    "a reply after that is dropped, and logged");

	/* c seals for a pk that is not b's: b cannot open, answers 106. */
	pf_request(req, sizeof(req), "wrongpk", "test.echo", 60, "1", "2",
	    "ret.wrongpk", NULL);
	pf_lpush(pc.redis.port, "msgbus.system.local", req);
	resp = pf_blpop(pc.redis.port, "ret.wrongpk", 10);
	ok(field_is(resp, "src", "\"2\"") && field_is(resp, "err",
	    "{\"code\":106,\"message\":\"e2e error"),
	    "a remote refusal reaches ret with its code and src: 106 from 2 "
	    "(%s)", resp != NULL ? resp : "nothing");
	free(resp);
	ok(pf_llen(pb.redis.port, "msgbus.test.echo") == 0,
	    "and b's service never saw it");
}

/*
 * An echo service inside redis: answers every request waiting on
 * msgbus.<cmd> with its own body.  Returns how many.
 */
static long long
echo_all(const struct pf_peer *p, const char *cmd)
{
	static const char lua[] =
	    "local n = 0\n"
	    "while true do\n"
	    "  local r = redis.call('RPOP', KEYS[1])\n"
	    "  if not r then break end\n"
	    "  local q = cjson.decode(r)\n"
	    "  redis.call('LPUSH', 'msgbus.system.reply', cjson.encode({"
	    "ver = 1, ref = q.ref, dat = q.dat, dst = q.src, now = 0}))\n"
	    "  n = n + 1\n"
	    "end\n"
	    "return n\n";
	char		 key[128];
	const char	*argv[] = { "EVAL", lua, "1", key };
	struct rreply	*r;
	long long	 n = 0;

	snprintf(key, sizeof(key), "msgbus.%s", cmd);
	if ((r = redis_cmd(p->redis.port, 4, argv, NULL)) != NULL &&
	    r->type == ':')
		n = r->integer;
	rreply_free(r);
	return n;
}

/*
 * Sends n copies of one request in one LPUSH, answers them on a and b
 * until want answers are on ret or secs pass; counts the answers by src
 * ("1", "2") and the errors.
 */
static void
burst(int n, const char *dst, const char *ret, long long want, int secs,
    long long got[3])
{
	const char	**argv;
	char		 req[8192], ref[32];
	struct rreply	*r;
	time_t		 end = time(NULL) + secs;
	long long	 i;

	if ((argv = calloc((size_t)n + 2, sizeof(*argv))) == NULL)
		abort();
	argv[0] = "LPUSH";
	argv[1] = "msgbus.system.local";
	for (i = 0; i < n; i++) {
		snprintf(ref, sizeof(ref), "b%lld", i);
		pf_request(req, sizeof(req), ref, "test.fan", 120, "\"x\"", dst,
		    ret, NULL);
		if ((argv[i + 2] = strdup(req)) == NULL)
			abort();
	}
	r = redis_cmd(pa.redis.port, n + 2, argv, NULL);
	rreply_free(r);
	for (i = 0; i < n; i++)
		free((char *)argv[i + 2]);
	free(argv);
	while (pf_llen(pa.redis.port, ret) < want && time(NULL) < end) {
		if (echo_all(&pa, "test.fan") + echo_all(&pb, "test.fan") == 0)
			usleep(20000);
	}
	got[0] = got[1] = got[2] = 0;
	r = redis_cmdf(pa.redis.port, "LRANGE %s 0 -1", ret);
	for (i = 0; r != NULL && r->type == '*' && i < (long long)r->n; i++) {
		if (!field_is(r->elem[i]->str, "err", "null"))
			got[2]++;
		else if (field_is(r->elem[i]->str, "src", "\"1\""))
			got[0]++;
		else if (field_is(r->elem[i]->str, "src", "\"2\""))
			got[1]++;
	}
	rreply_free(r);
	r = redis_cmdf(pa.redis.port, "DEL %s", ret);
	rreply_free(r);
}

/*
 * Fan-out that once crashed the peer: netd took a multi-destination
 * request beyond apid's credit as fatal.  Now every destination is
 * answered and the peer lives.
 */
static void
test_fanout(void)
{
	char		 dst[2048];
	long long	 got[3];
	size_t		 off = 0;
	int		 i;

	for (i = 0; i < 257; i++)
		off += (size_t)snprintf(dst + off, sizeof(dst) - off, "%s2",
		    i > 0 ? "," : "");
	burst(1, dst, "ret.fan257", 257, 60, got);
	ok(got[1] == 257 && got[2] == 0, "one request to 257 destinations: "
	    "257 answers (%lld, %lld errors)", got[1], got[2]);
	ok(kill(pa.pid, 0) == 0 && wait_log(pa.log, "beyond its credit", 1)
	    != 0, "  and the peer is alive");

	burst(10, dst + 2 * 157, "ret.fan100", 1000, 60, got);
	ok(got[1] == 1000 && got[2] == 0, "10 requests to 100 destinations "
	    "in one LPUSH: 1000 answers (%lld, %lld errors)", got[1], got[2]);
	burst(3000, "2,1,2", "ret.fan3", 9000, 120, got);
	ok(got[0] == 3000 && got[1] == 6000 && got[2] == 0,
	    "3000 requests to [2,1,2] in one LPUSH: 3000 from a, 6000 from b "
	    "(%lld, %lld, %lld errors)", got[0], got[1], got[2]);
	ok(kill(pa.pid, 0) == 0 && kill(pb.pid, 0) == 0 &&
	    wait_log(pa.log, "beyond its credit", 1) != 0,
	    "  and both peers are alive");
}

/* A request whose body is len bytes of 0x5a, as JSON; malloc'd. */
static char *
big_request(size_t len, const char *ret)
{
	uint8_t	*body;
	char	*b64, *json;
	size_t	 n = b64_encoded_len(len) + 1;

	if ((body = malloc(len)) == NULL || (b64 = malloc(n)) == NULL ||
	    (json = malloc(n + 256)) == NULL)
		abort();
	memset(body, 0x5a, len);
	if (b64_encode(b64, n, body, len) != 0)
		abort();
	snprintf(json, n + 256, "{\"ver\":1,\"ref\":\"big\",\"cmd\":"
	    "\"test.big\",\"exp\":120,\"dat\":\"%s\",\"tag\":null,"
	    "\"dst\":[2],\"ret\":\"%s\",\"shm\":null,\"now\":0}", b64, ret);
	free(body);
	free(b64);
	return json;
}

/*
 * rmb-apid's peak resident memory once the largest request went through:
 * a's, which held it while journaling it and handing it to netd, under 5
 * times its JSON (json bytes); b's, which wrote it to redis, under 3
 * times.  A copy too many of the message passes either bound.  ASan's
 * allocator keeps what is freed in quarantine, so not there.
 */
static void
apid_peaks(size_t json)
{
#if defined(__SANITIZE_ADDRESS__)
	(void)json;
	ok(1, "apid's peak memory with the largest request # SKIP ASan "
	    "keeps freed memory");
#else
	long	a = proc_peak_kib(pf_child(pa.pid, "rmb-apid"));
	long	b = proc_peak_kib(pf_child(pb.pid, "rmb-apid"));
	long	k = (long)(json / 1024);

	ok(a > 0 && a < 5 * k && b > 0 && b < 3 * k, "with the largest "
	    "request, a's apid peaked under 5 times its JSON, b's under 3 "
	    "(%ld and %ld KiB, %.1f and %.1f times)", a, b, (double)a / k,
	    (double)b / k);
#endif
}

/*
 * The largest body the man pages promise reaches b's service whole, and
 * b's short answer comes back; one byte more is refused with an answer.
 * One big message per test: the way back is the same code.
 */
static void
test_payload_max(void)
{
	char	*req, *in, *resp = NULL, *want, *ref, *src, answer[512];
	time_t	 start = time(NULL);

	req = big_request(PAYLOAD_MAX, "ret.big");
	if ((want = strdup(strstr(req, "\"dat\":\""))) == NULL)
		abort();
	*strchr(want + 7, '"') = '\0';
	pf_lpush(pa.redis.port, "msgbus.system.local", req);
	in = pf_blpop(pb.redis.port, "msgbus.test.big", 120);
	ok(in != NULL && strstr(in, want) != NULL, "a body of %d bytes (the "
	    "documented limit) reaches b's service whole", PAYLOAD_MAX);
	diag("%d bytes from a's redis to b's in %lld s", PAYLOAD_MAX,
	    (long long)(time(NULL) - start));
	if (in != NULL && (ref = strstr(in, "\"ref\":\"")) != NULL &&
	    (src = strstr(in, "\"src\":\"")) != NULL) {
		ref += 7;
		src += 7;
		*strchr(ref, '"') = *strchr(src, '"') = '\0';
		snprintf(answer, sizeof(answer), "{\"ver\":1,\"ref\":\"%s\","
		    "\"dat\":\"Im9rIg==\",\"dst\":\"%s\",\"shm\":null,"
		    "\"now\":0,\"err\":null}", ref, src);
		pf_lpush(pb.redis.port, "msgbus.system.reply", answer);
		resp = pf_blpop(pa.redis.port, "ret.big", 30);
	}
	ok(resp != NULL && field_is(resp, "err", "null") &&
	    field_is(resp, "dat", "\"Im9rIg==\""), "... and its answer comes "
	    "back to a");
	apid_peaks(strlen(req));
	free(resp);
	free(in);
	free(req);
	free(want);
	req = big_request(PAYLOAD_MAX + 1, "ret.big");
	pf_lpush(pa.redis.port, "msgbus.system.local", req);
	resp = pf_blpop(pa.redis.port, "ret.big", 60);
	ok(field_is(resp, "err", "{\"code\":0,\"message\":\"failed to load "
	    "json request: `dat` is too large: at most 67076096 bytes once "
	    "decoded\"}"), "one byte more is refused with an answer (%.200s)",
	    resp != NULL ? resp : "nothing");
	free(resp);
	free(req);
}

/*
 * An envelope of exactly ENVELOPE_MAX bytes, which another client may
 * send (the redis API's bodies stay under PAYLOAD_MAX), reaches b's
 * service whole.
 */
static void
test_envelope_max(void)
{
	struct wsc	 w;
	struct rc_msg	 m;
	uint8_t		*body, *env = NULL;
	char		*b64, *req = NULL, sbody[128];
	size_t		 n = 0, k;
	int		 status;

	if ((body = malloc(ENVELOPE_MAX)) == NULL)
		abort();
	memset(body, 0x3c, ENVELOPE_MAX);
	memset(&m, 0, sizeof(m));
	m.src = &tw[TCLIENT];
	m.src_sid = "big";
	m.dst = tw[TB].id;
	m.kind = RC_REQUEST;
	m.uid = "envmax";
	m.payload = body;
	m.expiration = 60;
	if (rc_connect(&w, net.relay_port, &tw[TCLIENT], "big", &status,
	    sbody, sizeof(sbody)) == 0 &&
	    (n = rc_envelope_sized(&env, &m, ENVELOPE_MAX)) != 0 &&
	    wsc_send(&w, WSC_BINARY, env, n) == 0)
		req = pf_blpop(pb.redis.port, "msgbus.test.echo", 60);
	k = b64_encoded_len(m.len) + 1;
	if ((b64 = malloc(k)) == NULL || b64_encode(b64, k, body, m.len) != 0)
		abort();
	ok(n == ENVELOPE_MAX && req != NULL && field_is(req, "src",
	    "\"5:big\"") && strstr(req, b64) != NULL,
	    "an envelope of %zu bytes from a relay client reaches b's "
	    "service whole", n);
	free(req);
	free(b64);
	free(env);
	free(body);
	wsc_close(&w);
}

/*
 * Once the big messages are through, a's and b's netd, apid and keyd,
 * which each held several times 64 MiB while one passed, give it back:
 * each under 32 MiB resident again.  ASan's allocator keeps what is
 * freed in quarantine, so not there.
 */
static void
test_memory_back(void)
{
#if defined(__SANITIZE_ADDRESS__)
	ok(1, "memory given back after big messages # SKIP ASan keeps it");
#else
	static const char *const names[] = { "rmb-netd", "rmb-apid",
	    "rmb-keyd" };
	pid_t	pids[6];
	long	rss[6];
	size_t	i;
	int	rv;

	for (i = 0; i < 3; i++) {
		pids[i] = pf_child(pa.pid, names[i]);
		pids[3 + i] = pf_child(pb.pid, names[i]);
	}
	rv = proc_rss_below(pids, 6, 32 * 1024, rss, 10000);
	ok(rv == 0, "after the big messages a's and b's netd, apid and keyd are "
	    "under 32 MiB resident again (%ld %ld %ld, %ld %ld %ld KiB)",
	    rss[0], rss[1], rss[2], rss[3], rss[4], rss[5]);
#endif
}

/* rmb serve on c, rmb call from a: the CLI over the whole network. */
static void
test_cli(void)
{
	char	 rmb[512], url_a[64], url_c[64], out[300], buf[512];
	char	*serve[] = { rmb, (char *)"serve", (char *)"test.cli",
		    (char *)"--redis", url_c, (char *)"--", (char *)"cat", NULL };
	char	*call[] = { rmb, (char *)"call", (char *)"-d", (char *)"3",
		    (char *)"-c", (char *)"test.cli", (char *)"--data",
		    (char *)"{\"x\":1}", (char *)"-t", (char *)"10",
		    (char *)"--redis", url_a, NULL };
	pid_t	 sp, cp;
	FILE	*f;
	int	 st = -1, i;
	size_t	 n = 0;

	snprintf(rmb, sizeof(rmb), "%s/tools/rmb", net.top);
	snprintf(url_a, sizeof(url_a), "redis://127.0.0.1:%d", pa.redis.port);
	snprintf(url_c, sizeof(url_c), "redis://127.0.0.1:%d", pc.redis.port);
	snprintf(out, sizeof(out), "%s/call.out", net.dir);
	sp = proc_start(serve, NULL);
	cp = proc_start(call, out);
	for (i = 0; i < 300 && proc_exited(cp, &st) == 0; i++)
		usleep(50000);
	if ((f = fopen(out, "r")) != NULL) {
		n = fread(buf, 1, sizeof(buf) - 1, f);
		fclose(f);
	}
	buf[n] = '\0';
	ok(WIFEXITED(st) && WEXITSTATUS(st) == 0 &&
	    strstr(buf, "3: {\"x\":1}") != NULL,
	    "rmb call -d 3 to rmb serve ... -- cat on c prints the echo");
	if (WIFEXITED(st) && WEXITSTATUS(st) != 0)
		diag("rmb call said: %s", buf);
	proc_stop(sp, WAIT);
}

static int
seccomp_of(pid_t pid)
{
	char	path[64], line[256];
	FILE	*f;
	int	v = -1;

	snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	if ((f = fopen(path, "r")) == NULL)
		return -1;
	while (fgets(line, sizeof(line), f) != NULL)
		sscanf(line, "Seccomp: %d", &v);
	fclose(f);
	return v;
}

/* The child of parent named comm (rmb-keyd, ...), or -1. */
static pid_t
child_named(pid_t parent, const char *comm)
{
	DIR		*d;
	struct dirent	*de;
	char		 path[300], buf[512], name[64];
	FILE		*f;
	int		 pid, ppid;
	pid_t		 found = -1;

	if ((d = opendir("/proc")) == NULL)
		return -1;
	while ((de = readdir(d)) != NULL && found == -1) {
		if (de->d_name[0] < '0' || de->d_name[0] > '9')
			continue;
		snprintf(path, sizeof(path), "/proc/%s/stat", de->d_name);
		if ((f = fopen(path, "r")) == NULL)
			continue;
		if (fgets(buf, sizeof(buf), f) != NULL &&
		    sscanf(buf, "%d (%63[^)]) %*c %d", &pid, name, &ppid) == 3 &&
		    ppid == parent && strcmp(name, comm) == 0)
			found = pid;
		fclose(f);
	}
	closedir(d);
	return found;
}

static void
test_processes(void)
{
	const char	*names[] = { "rmb-keyd", "rmb-netd", "rmb-apid" };
	pid_t		 kid;
	int		 i, st;

	for (i = 0; i < 3; i++) {
		kid = child_named(pa.pid, names[i]);
		ok(kid > 0 && seccomp_of(kid) == 2, "%s runs under seccomp "
		    "(Seccomp: 2)", names[i]);
	}
	/* A throwaway peer (twin 4) for each child to kill. */
	for (i = 0; i < 3; i++) {
		struct pf_peer	x = { .name = "x", .twin = &tw[TNORELAY],
				    .key_type = "sr25519" };
		int		j, k;

		if (pf_peer_start(&net, &x, NULL, 1) == -1) {
			ok(0, "peer x starts");
			continue;
		}
		kid = child_named(x.pid, names[i]);
		if (kid > 0)
			kill(kid, SIGKILL);
		for (j = 0; j < 100 && proc_exited(x.pid, &st) == 0; j++)
			usleep(50000);
		ok(j < 100 && WIFEXITED(st) && WEXITSTATUS(st) != 0,
		    "killing %s stops the peer with a non-zero exit",
		    names[i]);
		for (k = 0, j = 0; j < 3; j++)
			k += child_named(x.pid, names[j]) != -1;
		ok(k == 0, "and none of its children is left");
		x.pid = 0;
		pf_peer_stop(&x);
	}
}

/* A peer whose key does not match the twin the relay knows. */
static void
test_wrong_twin(void)
{
	struct pf_peer	 pd = { .name = "d", .twin = &tw[TSTRANGER],
	    .key_type = "sr25519" };
	char		 other[300];
	struct rc_twin	 mine[NTWINS];

	/* d's own file says twin 6 is d; the relay's says it is not. */
	memcpy(mine, tw, sizeof(mine));
	snprintf(other, sizeof(other), "%s/twins-d.json", net.dir);
	rc_twinfile(other, mine, NTWINS);
	if (pf_peer_start(&net, &pd, other, 0) == -1) {
		ok(0, "peer d starts");
		return;
	}
	ok(wait_log(pd.log, "401", WAIT) == 0, "a peer whose key is not its "
	    "twin's on the relay is refused, and says so (401)");
	pf_peer_stop(&pd);
}

#ifdef HAVE_SYSTEMD
/* A notification's lines on one line, for a diagnostic. */
static char *
oneline(char *s)
{
	char	*p;

	for (p = s; (p = strchr(p, '\n')) != NULL; p++)
		*p = ' ';
	return s;
}
#endif

/*
 * Readiness without systemd: peer a was started with NOTIFY_SOCKET, and
 * its parent says READY=1 once netd (keyd answered, twin known) and apid
 * (redis up, journal read) have told it they are.
 */
static void
test_notify(int fd)
{
	char	buf[512];

#ifdef HAVE_SYSTEMD
	ok(fd != -1 && notify_wait(fd, "READY=1", buf, sizeof(buf), WAIT) ==
	    0, "NOTIFY_SOCKET: READY=1 once netd and apid are ready");
	if (!ok(strstr(buf, "STATUS=twin 1: keyd, netd and apid are up") !=
	    NULL, "... with its twin in STATUS"))
		diag("got \"%s\"", oneline(buf));
#else
	(void)fd;
	(void)buf;
	ok(1, "NOTIFY_SOCKET: READY=1 # SKIP built without libsystemd");
	ok(1, "... with STATUS # SKIP built without libsystemd");
#endif
	ok(wait_log(pa.log, "rmb-peer: ready: twin 1", WAIT) == 0,
	    "the parent logs that its children are ready");
}

int
main(void)
{
	char	twins_c[300], nsock[64], nbuf[512];
	int	st, rv, nfd;

	if ((rv = pf_begin(&net)) != -1)
		return rv;
	rc_twin_init(&tw[TA], 1, KEY_SR25519, "localhost", 0x11);
	rc_twin_init(&tw[TB], 2, KEY_ED25519, "localhost", 0x22);
	rc_twin_init(&tw[TC], 3, KEY_SR25519, "localhost", 0x33);
	rc_twin_init(&tw[TNORELAY], 4, KEY_SR25519, NULL, 0x44);
	rc_twin_init(&tw[TCLIENT], 5, KEY_SR25519, "localhost", 0x55);
	rc_twin_init(&tw[TSTRANGER], 6, KEY_SR25519, "localhost", 0x66);
	tw[TA].has_pk = tw[TB].has_pk = tw[TC].has_pk = 1;
	/* The relay's file: twin 6 belongs to someone else. */
	{
		struct rc_twin	copy[NTWINS], other;

		memcpy(copy, tw, sizeof(copy));
		rc_twin_init(&other, 6, KEY_SR25519, "localhost", 0x77);
		copy[TSTRANGER].ident = other.ident;
		if (rc_twinfile(net.twins, copy, NTWINS) == -1)
			return 1;
	}
	/* c's own view: b's pk is wrong (a's), so what c seals b cannot open. */
	{
		struct rc_twin	copy[NTWINS];

		memcpy(copy, tw, sizeof(copy));
		memcpy(copy[TB].pk, tw[TA].pk, sizeof(copy[TB].pk));
		snprintf(twins_c, sizeof(twins_c), "%s/twins-c.json", net.dir);
		if (rc_twinfile(twins_c, copy, NTWINS) == -1)
			return 1;
	}
	snprintf(nsock, sizeof(nsock), "rmb-peer-test.%ld", (long)getpid());
	nfd = notify_open(nsock);
	snprintf(nsock, sizeof(nsock), "@rmb-peer-test.%ld", (long)getpid());
	if ((rv = pf_relay_start(&net)) == 0) {
		/* a only: the relay has its own test of this. */
		setenv("NOTIFY_SOCKET", nsock, 1);
		rv = pf_peer_start(&net, &pa, NULL, 1);
		unsetenv("NOTIFY_SOCKET");
	}
	if (rv == -1 ||
	    pf_peer_start(&net, &pb, NULL, 1) == -1 ||
	    pf_peer_start(&net, &pc, twins_c, 1) == -1) {
		printf("Bail out! the peers do not reach the relay (see %s)\n",
		    net.dir);
		return 1;
	}
	test_notify(nfd);
	test_roundtrip();
	test_fanout();
	test_payload_max();
	test_envelope_max();
	test_memory_back();
	test_failures();
	test_remote_checks();
	test_answers();
	test_cli();
	test_processes();
	test_wrong_twin();
	test_relay_restart();

	st = pf_peer_stop(&pa);
	ok(WIFEXITED(st) && WEXITSTATUS(st) == 0, "SIGTERM stops peer a "
	    "cleanly (status %d)", st);
#ifdef HAVE_SYSTEMD
	ok(notify_wait(nfd, "STOPPING=1", nbuf, sizeof(nbuf), WAIT) == 0,
	    "... and it said STOPPING=1 first");
#else
	(void)nbuf;
	ok(1, "... and said STOPPING=1 # SKIP built without libsystemd");
#endif
	if (nfd != -1)
		close(nfd);
	pf_peer_stop(&pb);
	pf_peer_stop(&pc);
	pf_done(&net, tap_failed == 0);
	return done_testing();
}
