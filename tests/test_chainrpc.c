/* SPDX-License-Identifier: ISC */
/*
 * The daemons' chain client against loopback stubs: the request it
 * sends, the result it hands back checked against the request id, the
 * node's errors and answers that are not ours, moving on after a
 * transport failure or an HTTP error, giving up after two rounds,
 * cancelling, and URL forms.
 */
#include <sys/wait.h>

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "chainrpc.h"
#include "harness.h"
#include "tap.h"

struct result {
	int	 got, ok, rpc_error;
	char	 result[512];
	char	 err[600];
};

static void
cb(void *arg, const struct jsonrpc_resp *jr, const char *err)
{
	struct result	*r = arg;

	r->got = 1;
	r->ok = err == NULL;
	r->rpc_error = jr != NULL && jr->rpc_error;
	if (err == NULL)
		snprintf(r->result, sizeof(r->result), "%.*s",
		    (int)jr->result.len, jr->result.p);
	else
		snprintf(r->err, sizeof(r->err), "%s", err);
	ev_break(EV_DEFAULT, EVBREAK_ALL);
}

static void
never(void *arg, const struct jsonrpc_resp *jr, const char *err)
{
	(void)jr;
	(void)err;
	*(int *)arg = 1;
}

static void
stop_loop(struct ev_loop *loop, ev_timer *w, int revents)
{
	(void)w;
	(void)revents;
	ev_break(loop, EVBREAK_ALL);
}

/* What one stub node answers, and where it writes the last request. */
struct stub {
	int		 status;
	const char	*body;		/* "@ID@" stands for the request's id */
	const char	*dump;		/* or NULL */
	char		 text[512];
};

/* body with every "@ID@" replaced by the id of the request in req. */
static void
with_id(char *out, size_t cap, const char *body, const char *req)
{
	const char	*at;
	char		 id[24];
	size_t		 n = 0, k;

	jsonrpc_req_id(id, sizeof(id), req);
	while (*body != '\0' && n + 1 < cap) {
		if ((at = strstr(body, "@ID@")) == NULL)
			at = body + strlen(body);
		k = (size_t)(at - body);
		if (k > cap - 1 - n)
			k = cap - 1 - n;
		memcpy(out + n, body, k);
		n += k;
		body += k;
		if (*body == '@') {
			k = strlen(id) < cap - 1 - n ? strlen(id) : cap - 1 - n;
			memcpy(out + n, id, k);
			n += k;
			body += 4;
		}
	}
	out[n] = '\0';
}

static const char *
answer(const char *req, int *status, void *arg)
{
	struct stub	*st = arg;
	FILE		*f;

	if (st->dump != NULL && (f = fopen(st->dump, "w")) != NULL) {
		fputs(req, f);
		fclose(f);
	}
	with_id(st->text, sizeof(st->text), st->body, req);
	*status = st->status;
	return st->text;
}

/* A stub node that answers every request with status and body. */
static pid_t
stub(int port, int status, const char *body, const char *dump)
{
	static struct stub	 st;

	/* The server is a fork: it keeps its own copy. */
	st.status = status;
	st.body = body;
	st.dump = dump;
	return http_stub_start(port, answer, &st);
}

static void
run(struct chainrpc *rpc, struct result *r, const char *method,
    const char *params)
{
	memset(r, 0, sizeof(*r));
	if (chainrpc_call(rpc, method, params, cb, r) == 0)
		ev_run(EV_DEFAULT, 0);
}

int
main(void)
{
	struct chainrpc	*rpc;
	struct result	 r;
	ev_timer	 t;
	char		 url[3][64], dump[] = "/tmp/rmb-chainrpc.XXXXXX";
	char		 err[256], buf[4096], out[128], one[64];
	const char	*urls[3];
	int		 closed = free_port(), p500 = free_port();
	int		 good = free_port(), perr = free_port();
	int		 pother = free_port(), pjunk = free_port(), fd;
	int		 called = 0;
	pid_t		 s1, s2, s3, s4, s5;
	FILE		*f;
	size_t		 n;

	signal(SIGPIPE, SIG_IGN);
	if ((fd = mkstemp(dump)) == -1)
		return 1;
	close(fd);
	s1 = stub(p500, 500, "oops", NULL);
	s2 = stub(good, 200, "{\"jsonrpc\":\"2.0\",\"id\":@ID@,"
	    "\"result\":\"0x1234\"}", dump);
	/* chopsticks over HTTP: an error without a code. */
	s3 = stub(perr, 200, "{\"jsonrpc\":\"2.0\",\"id\":@ID@,\"error\":"
	    "{\"message\":\"1010: Invalid Transaction: Transaction has a "
	    "bad signature\"}}", NULL);
	s4 = stub(pother, 200, "{\"jsonrpc\":\"2.0\",\"id\":999,"
	    "\"result\":null}", NULL);
	s5 = stub(pjunk, 200, "<html>hello</html>", NULL);
	snprintf(url[0], sizeof(url[0]), "ws://127.0.0.1:%d", closed);
	snprintf(url[1], sizeof(url[1]), "http://127.0.0.1:%d/", p500);
	snprintf(url[2], sizeof(url[2]), "ws://127.0.0.1:%d", good);
	urls[0] = url[0];
	urls[1] = url[1];
	urls[2] = url[2];

	ok((rpc = chainrpc_new(EV_DEFAULT, urls, 3, err, sizeof(err))) != NULL,
	    "three endpoints");
	run(rpc, &r, "state_getStorage", "[\"0x1234\"]");
	ok(r.got && r.ok && strcmp(r.result, "\"0x1234\"") == 0,
	    "a closed port and an HTTP 500 are skipped; the third endpoint "
	    "answers with the result");
	n = 0;
	if ((f = fopen(dump, "r")) != NULL) {
		n = fread(buf, 1, sizeof(buf) - 1, f);
		fclose(f);
	}
	buf[n] = '\0';
	ok(strstr(buf, "POST / HTTP/1.1") != NULL &&
	    strstr(buf, "Content-Type: application/json") != NULL &&
	    strstr(buf, "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":"
	    "\"state_getStorage\",\"params\":[\"0x1234\"]}") != NULL,
	    "the request: POST / of a JSON-RPC 2.0 call");
	snprintf(buf, sizeof(buf), "http://127.0.0.1:%d", good);
	ok(strcmp(chainrpc_endpoint(rpc), buf) == 0, "the endpoint in use is "
	    "now the one that answered");
	run(rpc, &r, "chain_getBlockHash", "[0]");
	ok(r.got && r.ok && strcmp(chainrpc_endpoint(rpc), buf) == 0,
	    "and the next call, id 2, goes straight to it");
	memset(&r, 0, sizeof(r));
	ok(chainrpc_call(rpc, "bad method", "[]", cb, &r) == -1 &&
	    chainrpc_call(rpc, "x", "{}", cb, &r) == -1,
	    "a bad method name or params that are not an array: refused "
	    "at once");

	called = 0;
	ok(chainrpc_call(rpc, "state_getStorage", "[]", never, &called) == 0 &&
	    chainrpc_call(rpc, "state_getStorage", "[]", never, &called) == 0,
	    "two calls queued");
	chainrpc_cancel(rpc, &called);
	ev_timer_init(&t, stop_loop, 0.3, 0.);
	ev_timer_start(EV_DEFAULT, &t);
	ev_run(EV_DEFAULT, 0);
	ev_timer_stop(EV_DEFAULT, &t);
	ok(!called, "cancelled by their argument: no callback");
	chainrpc_free(rpc);

	snprintf(one, sizeof(one), "http://127.0.0.1:%d", perr);
	urls[0] = one;
	rpc = chainrpc_new(EV_DEFAULT, urls, 1, err, sizeof(err));
	run(rpc, &r, "author_submitExtrinsic", "[\"0x00\"]");
	ok(r.got && !r.ok && r.rpc_error && strcmp(r.err, "rpc error: 1010: "
	    "Invalid Transaction: Transaction has a bad signature") == 0,
	    "an error without a code is the node's error: %s", r.err);
	chainrpc_free(rpc);

	snprintf(one, sizeof(one), "http://127.0.0.1:%d", pother);
	rpc = chainrpc_new(EV_DEFAULT, urls, 1, err, sizeof(err));
	run(rpc, &r, "x", "[]");
	ok(r.got && !r.ok && !r.rpc_error && strstr(r.err, "response id 999, "
	    "expected 1") != NULL && strstr(r.err, one) != NULL,
	    "an answer to another request is refused: %s", r.err);
	chainrpc_free(rpc);

	snprintf(one, sizeof(one), "http://127.0.0.1:%d", pjunk);
	rpc = chainrpc_new(EV_DEFAULT, urls, 1, err, sizeof(err));
	run(rpc, &r, "x", "[]");
	ok(r.got && !r.ok && !r.rpc_error && strstr(r.err, "not JSON") !=
	    NULL, "a body that is not JSON is refused: %s", r.err);
	chainrpc_free(rpc);

	urls[0] = url[0];
	urls[1] = url[1];
	rpc = chainrpc_new(EV_DEFAULT, urls, 2, err, sizeof(err));
	run(rpc, &r, "x", "[]");
	ok(r.got && !r.ok && !r.rpc_error &&
	    strstr(r.err, "HTTP status 500") != NULL,
	    "no endpoint works: a failure after two rounds (%s)", r.err);
	chainrpc_free(rpc);

	urls[0] = "tcp://x";
	ok(chainrpc_new(EV_DEFAULT, urls, 1, err, sizeof(err)) == NULL &&
	    strstr(err, "tcp://x") != NULL, "a bad URL is refused: %s", err);
	ok(chainrpc_new(EV_DEFAULT, urls, 0, err, sizeof(err)) == NULL,
	    "no URL is refused");
	ok(chainrpc_http_url(out, sizeof(out), "wss://tfchain.grid.tf:443") ==
	    0 && strcmp(out, "https://tfchain.grid.tf:443") == 0,
	    "wss:// becomes https://");
	ok(chainrpc_http_url(out, sizeof(out), "ws://h/p") == 0 &&
	    strcmp(out, "http://h/p") == 0, "ws:// becomes http://");
	ok(chainrpc_http_url(out, sizeof(out), "https://h") == 0 &&
	    strcmp(out, "https://h") == 0, "https:// stays");
	ok(chainrpc_http_url(out, sizeof(out), "wss://") == -1 &&
	    chainrpc_http_url(out, sizeof(out), "wss:///x") == -1 &&
	    chainrpc_http_url(out, sizeof(out), "wss://a b") == -1 &&
	    chainrpc_http_url(out, 8, "wss://long.example") == -1,
	    "no host, a blank, too long: refused");

	kill(s1, SIGKILL);
	kill(s2, SIGKILL);
	kill(s3, SIGKILL);
	kill(s4, SIGKILL);
	kill(s5, SIGKILL);
	waitpid(s1, NULL, 0);
	waitpid(s2, NULL, 0);
	waitpid(s3, NULL, 0);
	waitpid(s4, NULL, 0);
	waitpid(s5, NULL, 0);
	unlink(dump);
	return done_testing();
}
