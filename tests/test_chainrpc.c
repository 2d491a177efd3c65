/*
 * The daemons' chain client against loopback stubs: the request it
 * sends, the body it hands back, moving on after a transport failure or
 * an HTTP error, giving up after two rounds, and URL forms.
 */
#include <sys/socket.h>
#include <sys/wait.h>

#include <netinet/in.h>

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "chainrpc.h"
#include "harness.h"
#include "tap.h"

struct result {
	int	 got, ok;
	char	 body[512];
	char	 err[600];
};

static void
cb(void *arg, int ok_, const char *body, size_t len, const char *err)
{
	struct result	*r = arg;

	r->got = 1;
	r->ok = ok_;
	if (ok_)
		snprintf(r->body, sizeof(r->body), "%.*s", (int)len, body);
	else
		snprintf(r->err, sizeof(r->err), "%s", err);
	ev_break(EV_DEFAULT, EVBREAK_ALL);
}

/* A one-shot HTTP server: answers every connection with status/body. */
static pid_t
stub(int port, int status, const char *body, const char *dump)
{
	struct sockaddr_in	sa;
	pid_t			pid;
	int			s, c, one = 1;
	char			buf[4096], resp[1024];
	ssize_t			n;
	FILE			*f;

	if ((s = socket(AF_INET, SOCK_STREAM, 0)) == -1)
		return -1;
	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_port = htons((uint16_t)port);
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(s, (struct sockaddr *)&sa, sizeof(sa)) == -1 ||
	    listen(s, 8) == -1)
		return -1;
	if ((pid = fork()) != 0) {
		close(s);
		return pid;
	}
	for (;;) {
		if ((c = accept(s, NULL, NULL)) == -1)
			_exit(1);
		usleep(20000);
		n = read(c, buf, sizeof(buf) - 1);
		if (n > 0 && dump != NULL && (f = fopen(dump, "w")) != NULL) {
			fwrite(buf, 1, (size_t)n, f);
			fclose(f);
		}
		snprintf(resp, sizeof(resp), "HTTP/1.1 %d X\r\nContent-Length: "
		    "%zu\r\nConnection: close\r\n\r\n%s", status, strlen(body),
		    body);
		(void)!write(c, resp, strlen(resp));
		close(c);
	}
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
	char		 url[3][64], dump[] = "/tmp/rmb-chainrpc.XXXXXX";
	char		 err[256], buf[4096], out[128];
	const char	*urls[3];
	int		 closed = free_port(), p500 = free_port();
	int		 good = free_port(), fd;
	pid_t		 s1, s2;
	FILE		*f;
	size_t		 n;

	signal(SIGPIPE, SIG_IGN);
	if ((fd = mkstemp(dump)) == -1)
		return 1;
	close(fd);
	s1 = stub(p500, 500, "oops", NULL);
	s2 = stub(good, 200, "{\"jsonrpc\":\"2.0\",\"id\":1,\"result\":null}",
	    dump);
	snprintf(url[0], sizeof(url[0]), "ws://127.0.0.1:%d", closed);
	snprintf(url[1], sizeof(url[1]), "http://127.0.0.1:%d/", p500);
	snprintf(url[2], sizeof(url[2]), "ws://127.0.0.1:%d", good);
	urls[0] = url[0];
	urls[1] = url[1];
	urls[2] = url[2];

	ok((rpc = chainrpc_new(EV_DEFAULT, urls, 3, err, sizeof(err))) != NULL,
	    "three endpoints");
	run(rpc, &r, "state_getStorage", "[\"0x1234\"]");
	ok(r.got && r.ok && strcmp(r.body, "{\"jsonrpc\":\"2.0\",\"id\":1,"
	    "\"result\":null}") == 0, "a closed port and an HTTP 500 are "
	    "skipped; the third endpoint answers");
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
	    "and the next call goes straight to it");
	chainrpc_free(rpc);

	urls[0] = url[0];
	urls[1] = url[1];
	rpc = chainrpc_new(EV_DEFAULT, urls, 2, err, sizeof(err));
	run(rpc, &r, "x", "[]");
	ok(r.got && !r.ok && strstr(r.err, "HTTP status 500") != NULL,
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
	waitpid(s1, NULL, 0);
	waitpid(s2, NULL, 0);
	unlink(dump);
	return done_testing();
}
