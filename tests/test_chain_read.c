/* SPDX-License-Identifier: ISC */
/*
 * Reading twins from a real tfchain runtime (spec 144 under chopsticks):
 * twins written with dev_setStorage are read back with `rmb twin show`
 * and `rmb twin find`; absent twins, dead nodes and a stub that answers
 * nonsense give one clear line and exit 1.  Also checks what the chain
 * reports about itself through common/net/jsonrpc.c, and the AccountInfo
 * layout that chain_fund writes.
 */
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>

#include <netinet/in.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <time.h>
#include <unistd.h>

#include "chain_fixture.h"
#include "harness.h"
#include "jsonrpc.h"
#include "scale_rd.h"
#include "ss58.h"
#include "tap.h"
#include "tfchain_read.h"

#define OUT_MAX		(64 * 1024)
#define RMB_TIMEOUT_S	60

static struct chain_srv	srv;
static char		rmb_path[PATH_MAX], scratch[256];
static char		out[OUT_MAX], errout[OUT_MAX];
static char		want[4096];

static void
read_file(const char *path, char *buf, size_t cap)
{
	ssize_t	n;
	size_t	len = 0;
	int	fd;

	buf[0] = '\0';
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1)
		return;
	while (len < cap - 1 && (n = read(fd, buf + len, cap - 1 - len)) > 0)
		len += (size_t)n;
	buf[len] = '\0';
	close(fd);
}

/*
 * Runs rmb with the arguments after argv0 (NULL-terminated); stdout in
 * out, stderr in errout.  Returns the exit status, 128 + the signal for
 * a crash, or -1.
 */
static int
rmb(const char *arg, ...)
{
	char		*argv[32], o[300], e[300];
	va_list		 ap;
	pid_t		 pid;
	double		 deadline;
	int		 argc = 0, status, fd;

	argv[argc++] = rmb_path;
	va_start(ap, arg);
	for (; arg != NULL && argc < 31; arg = va_arg(ap, const char *))
		argv[argc++] = (char *)arg;
	va_end(ap);
	argv[argc] = NULL;
	snprintf(o, sizeof(o), "%s/out", scratch);
	snprintf(e, sizeof(e), "%s/err", scratch);
	if ((pid = fork()) == -1)
		return -1;
	if (pid == 0) {
		if ((fd = open(o, O_WRONLY | O_CREAT | O_TRUNC, 0644)) == -1 ||
		    dup2(fd, 1) == -1 ||
		    (fd = open(e, O_WRONLY | O_CREAT | O_TRUNC, 0644)) == -1 ||
		    dup2(fd, 2) == -1)
			_exit(127);
		execv(argv[0], argv);
		_exit(127);
	}
	deadline = chain_now_s() + RMB_TIMEOUT_S;
	while (proc_exited(pid, &status) == 0) {
		if (chain_now_s() > deadline) {
			kill(pid, SIGKILL);
			waitpid(pid, &status, 0);
			return -1;
		}
		usleep(5000);
	}
	read_file(o, out, sizeof(out));
	read_file(e, errout, sizeof(errout));
	if (WIFEXITED(status))
		return WEXITSTATUS(status);
	return WIFSIGNALED(status) ? 128 + WTERMSIG(status) : -1;
}

static int
same_text(const char *got, const char *exp, const char *name)
{
	if (ok(strcmp(got, exp) == 0, "%s", name))
		return 1;
	diag("got:\n%s# want:\n%s", got, exp);
	return 0;
}

static void
show_err(int rc, const char *needle, const char *name)
{
	if (!ok(rc == 1 && strstr(errout, needle) != NULL && out[0] == '\0',
	    "%s", name))
		diag("exit %d, stderr: %s", rc, errout);
}

/* The text `rmb twin show` prints for t. */
static const char *
expect_text(const struct twin_record *t, const char *relay_shown)
{
	char	acc[65], pk[2 * TWIN_PK_MAX + 1], ss58[SS58_ADDR_SIZE];

	hex_encode(acc, t->account, 32);
	hex_encode(pk, t->pk, t->pklen);
	ss58_encode(ss58, sizeof(ss58), t->account);
	snprintf(want, sizeof(want), "id: %u\naccount: 0x%s\nss58: %s\n"
	    "relay: %s\npk: %s%s\n", (unsigned)t->id, acc, ss58,
	    t->has_relay ? relay_shown : "none", t->has_pk ? "0x" : "",
	    t->has_pk ? pk : "none");
	return want;
}

static const char *
expect_json(const struct twin_record *t, const char *relay_json)
{
	char	acc[65], pk[2 * TWIN_PK_MAX + 1], ss58[SS58_ADDR_SIZE];

	hex_encode(acc, t->account, 32);
	hex_encode(pk, t->pk, t->pklen);
	ss58_encode(ss58, sizeof(ss58), t->account);
	snprintf(want, sizeof(want), "{\"id\":%u,\"account\":\"0x%s\","
	    "\"ss58\":\"%s\",\"relay\":%s,\"pk\":%s%s%s}\n", (unsigned)t->id,
	    acc, ss58, t->has_relay ? relay_json : "null",
	    t->has_pk ? "\"0x" : "null", t->has_pk ? pk : "",
	    t->has_pk ? "\"" : "");
	return want;
}

static void
mk_twin(struct twin_record *t, uint32_t id, uint8_t fill, const char *relay,
    size_t pklen)
{
	memset(t, 0, sizeof(*t));
	t->id = id;
	memset(t->account, fill, sizeof(t->account));
	if (relay != NULL) {
		t->has_relay = 1;
		snprintf(t->relay, sizeof(t->relay), "%s", relay);
	}
	if (pklen > 0) {
		t->has_pk = 1;
		t->pklen = pklen;
		memset(t->pk, 0x11, pklen);
		t->pk[0] = 0x02;
	}
}

/* What the node says about itself, through common/net/jsonrpc.c. */
static void
test_runtime(void)
{
	struct jsonrpc_resp	 r;
	struct jsonrpc_val	 f;
	char			 req[256], err[JSONRPC_ERR_MAX], *text;
	uint8_t			 hash[32];
	uint64_t		 v;
	size_t			 len, n;

	jsonrpc_request(req, sizeof(req), NULL, 41, "state_getRuntimeVersion",
	    "[null]", err, sizeof(err));
	if (chain_post(&srv, req, &text, &len) != 0)
		text = NULL;
	ok(text != NULL && jsonrpc_parse(&r, text, len, 41, err,
	    sizeof(err)) == 0, "state_getRuntimeVersion answers");
	ok(text != NULL && jsonrpc_get_field(&r.result, "specVersion", &f, err,
	    sizeof(err)) == 0 && jsonrpc_get_u64(&f, &v, err, sizeof(err)) ==
	    0 && v == 144, "specVersion 144");
	ok(text != NULL && jsonrpc_get_field(&r.result, "transactionVersion",
	    &f, err, sizeof(err)) == 0 && jsonrpc_get_u64(&f, &v, err,
	    sizeof(err)) == 0 && v == 2, "transactionVersion 2");
	free(text);

	jsonrpc_request(req, sizeof(req), NULL, 42, "chain_getBlockHash", "[0]",
	    err, sizeof(err));
	if (chain_post(&srv, req, &text, &len) != 0)
		text = NULL;
	ok(text != NULL && jsonrpc_parse(&r, text, len, 42, err,
	    sizeof(err)) == 0 && jsonrpc_get_hex(&r.result, hash, sizeof(hash),
	    &n, err, sizeof(err)) == 0 && n == 32, "genesis hash, 32 bytes");
	if (text != NULL)
		diag("genesis %.*s", (int)r.result.len, r.result.p);
	free(text);

	jsonrpc_request(req, sizeof(req), NULL, 43, "no_such_method", NULL,
	    err, sizeof(err));
	if (chain_post(&srv, req, &text, &len) != 0)
		text = NULL;
	ok(text != NULL && jsonrpc_parse(&r, text, len, 43, err,
	    sizeof(err)) == -1 && r.rpc_error &&
	    strcmp(err, "rpc error: Method not found: no_such_method") == 0,
	    "an unknown method is an rpc error");
	free(text);
}

/* System.Account: //Alice as the spec funds it, then one of ours. */
static void
test_accounts(void)
{
	static const char alice[] = "d43593c715fdd31c61141abd04a99fd6822c8558"
	    "854ccde39a5684e7a56da27d";
	struct scale_rd	rd;
	uint8_t		acc[32], key[CHAIN_KEY_ACCOUNT_LEN];
	uint8_t		val[256];
	uint32_t	nonce, consumers, providers, sufficients;
	uint64_t	lo, hi, rest = 0, x;
	size_t		len = 0;
	int		i, rc;

	unhex(acc, sizeof(acc), alice);
	chain_key_account(key, acc);
	rc = chain_get_storage(&srv, key, sizeof(key), val, sizeof(val), &len);
	ok(rc == 1 && len == CHAIN_ACCOUNT_INFO_LEN,
	    "//Alice's AccountInfo is %d bytes", CHAIN_ACCOUNT_INFO_LEN);
	scale_rd_init(&rd, val, len);
	scale_get_u32(&rd, &nonce);
	scale_get_u32(&rd, &consumers);
	scale_get_u32(&rd, &providers);
	scale_get_u32(&rd, &sufficients);
	scale_get_u64(&rd, &lo);
	scale_get_u64(&rd, &hi);
	for (i = 0; i < 6; i++)
		if (scale_get_u64(&rd, &x) == 0)
			rest |= x;
	ok(rc == 1 && providers == 1 && lo == UINT64_C(10000000000000000) &&
	    hi == 0 && rest == 0 && scale_rd_end(&rd) == 0,
	    "//Alice: one provider, 10^16 free, nothing reserved or frozen");

	memset(acc, 0x66, sizeof(acc));
	chain_key_account(key, acc);
	ok(chain_get_storage(&srv, key, sizeof(key), val, sizeof(val),
	    &len) == 0, "a fresh account has no AccountInfo");
	ok(chain_fund(&srv, acc) == 0, "chain_fund");
	rc = chain_get_storage(&srv, key, sizeof(key), val, sizeof(val), &len);
	scale_rd_init(&rd, val, len);
	rd.off = 16;
	ok(rc == 1 && len == CHAIN_ACCOUNT_INFO_LEN && val[8] == 1 &&
	    scale_get_u64(&rd, &lo) == 0 && lo == CHAIN_FUND_PLANCK,
	    "the funded account reads back with 10^18 free");
}

/* Twin 9 by hand: twin_encode writes no entities, the chain may. */
static int
set_twin_with_entities(struct twin_record *t)
{
	struct scale_wr	w;
	uint8_t		key[TFCHAIN_KEY_TWIN_LEN], val[512], sig[64];

	mk_twin(t, 9, 0x33, "a1.example.org_b2.example.org", 0);
	memset(sig, 0xee, sizeof(sig));
	scale_wr_init(&w, val, sizeof(val));
	scale_put_u32(&w, t->id);
	scale_put_raw(&w, t->account, 32);
	scale_put_option_bytes(&w, t->relay, strlen(t->relay));
	scale_put_compact(&w, 2);		/* two entity proofs */
	scale_put_u32(&w, 5);
	scale_put_bytes(&w, sig, sizeof(sig));
	scale_put_u32(&w, 6);
	scale_put_bytes(&w, sig, 1);
	scale_put_option_bytes(&w, NULL, 0);	/* no pk */
	if (w.err)
		return -1;
	tfchain_key_twin(key, t->id);
	return chain_set_storage(&srv, key, sizeof(key), val, w.len);
}

static void
test_twins(void)
{
	struct twin_record	a, b, c, d;
	uint8_t			acc[32];
	static char		shown[OUT_MAX];
	char			ss58[SS58_ADDR_SIZE], hexacc[67], url[64];
	int			rc, closed;

	mk_twin(&a, 7, 0x21, "relay.example.org", 33);
	mk_twin(&b, 8, 0x22, NULL, 0);
	mk_twin(&d, 10, 0x24, "a\"b\nc\\d\xc3\xa9", 1);
	ok(chain_set_twin(&srv, &a) == 0 && chain_set_twin(&srv, &b) == 0 &&
	    set_twin_with_entities(&c) == 0 && chain_set_twin(&srv, &d) == 0,
	    "twins 7, 8, 9 and 10 written");
	memset(acc, 0x44, sizeof(acc));
	ok(chain_set_twin_id(&srv, a.account, 7) == 0 &&
	    chain_set_twin_id(&srv, c.account, 9) == 0 &&
	    chain_set_twin_id(&srv, acc, 12) == 0,
	    "account to twin ids written");

	rc = rmb("twin", "show", "7", "--substrate", srv.url, NULL);
	ok(rc == 0, "show 7 exits 0");
	same_text(out, expect_text(&a, a.relay), "show 7: relay and pk");
	memcpy(shown, out, sizeof(shown));
	rc = rmb("twin", "show", "--json", "7", "--substrate", srv.url, NULL);
	same_text(out, expect_json(&a, "\"relay.example.org\""),
	    "show 7 --json");

	rc = rmb("twin", "show", "8", "--substrate", srv.url, NULL);
	ok(rc == 0, "show 8 exits 0");
	same_text(out, expect_text(&b, NULL), "show 8: relay none, pk none");
	rmb("twin", "show", "8", "--json", "--substrate", srv.url, NULL);
	same_text(out, expect_json(&b, NULL), "show 8 --json: nulls");

	rc = rmb("twin", "show", "9", "--substrate", srv.url, NULL);
	ok(rc == 0, "show 9 exits 0");
	same_text(out, expect_text(&c, c.relay),
	    "show 9: entities skipped, two relays");

	rc = rmb("twin", "show", "10", "--substrate", srv.url, NULL);
	same_text(out, expect_text(&d, "a\"b\\x0ac\\x5cd\\xc3\\xa9"),
	    "show 10: a relay the chain would refuse is shown escaped");
	rc = rmb("twin", "show", "10", "--json", "--substrate", srv.url, NULL);
	same_text(out, expect_json(&d, "\"a\\\"b\\u000ac\\\\d\\u00c3\\u00a9\""),
	    "show 10 --json: escaped");

	ss58_encode(ss58, sizeof(ss58), a.account);
	rc = rmb("twin", "find", ss58, "--substrate", srv.url, NULL);
	ok(rc == 0, "find by SS58 exits 0");
	same_text(out, shown, "find by SS58 prints twin 7");
	memcpy(hexacc, "0x", 2);
	hex_encode(hexacc + 2, a.account, 32);
	rc = rmb("twin", "find", hexacc, "--substrate", srv.url, NULL);
	ok(rc == 0, "find by hex exits 0");
	same_text(out, shown, "find by hex prints twin 7");
	ss58_encode(ss58, sizeof(ss58), c.account);
	rc = rmb("twin", "find", ss58, "--substrate", srv.url, NULL);
	same_text(out, expect_text(&c, c.relay), "find twin 9");

	rc = rmb("twin", "show", "99", "--substrate", srv.url, NULL);
	show_err(rc, "rmb twin: twin 99 does not exist\n", "show 99: absent");
	ok(strcmp(errout, "rmb twin: twin 99 does not exist\n") == 0,
	    "that is the only line");
	memset(acc, 0x55, sizeof(acc));
	ss58_encode(ss58, sizeof(ss58), acc);
	rc = rmb("twin", "find", ss58, "--substrate", srv.url, NULL);
	snprintf(want, sizeof(want), "rmb twin: no twin for account %s\n",
	    ss58);
	show_err(rc, want, "find: an account with no twin");
	memset(acc, 0x44, sizeof(acc));
	hex_encode(hexacc + 2, acc, 32);
	ss58_encode(ss58, sizeof(ss58), acc);
	rc = rmb("twin", "find", hexacc, "--substrate", srv.url, NULL);
	snprintf(want, sizeof(want), "rmb twin: account %s has twin 12, "
	    "which does not exist\n", ss58);
	show_err(rc, want, "find: an account whose twin is gone");

	/* A node that is down is reported, and the next one asked. */
	closed = free_port();
	snprintf(url, sizeof(url), "http://127.0.0.1:%d", closed);
	rc = rmb("twin", "show", "7", "--substrate", url, "--substrate",
	    srv.url, NULL);
	snprintf(want, sizeof(want), "rmb twin: %s: could not connect (", url);
	ok(rc == 0 && strcmp(out, shown) == 0 && strstr(errout, want) != NULL,
	    "a closed port first, then the node: found");
	rc = rmb("twin", "show", "7", "--substrate", url, NULL);
	show_err(rc, want, "only a closed port: exit 1");
	snprintf(url, sizeof(url), "ws://127.0.0.1:%d", srv.port);
	rc = rmb("twin", "show", "7", "--substrate", url, NULL);
	ok(rc == 0 && strcmp(out, shown) == 0,
	    "a ws:// URL is read over http://");

	/* Storage changes are seen at once: nothing is cached. */
	a.has_relay = 0;
	a.relay[0] = '\0';
	ok(chain_set_twin(&srv, &a) == 0, "twin 7 loses its relay");
	rc = rmb("twin", "show", "7", "--substrate", srv.url, NULL);
	same_text(out, expect_text(&a, NULL), "show 7 again: relay none");
}

/*
 * A loopback stub that answers each request by its path: garbage, HTTP
 * errors, JSON-RPC errors and the like.  It runs in a child until killed.
 */
static void
stub_serve(int lfd)
{
	char		 req[16384], body[512], hdr[256], *p, *big;
	const char	*path, *resp;
	size_t		 len, want_len;
	ssize_t		 n;
	int		 fd, status;
	unsigned long	 id;

	signal(SIGPIPE, SIG_IGN);
	for (;;) {
		if ((fd = accept(lfd, NULL, NULL)) == -1)
			continue;
		len = 0;
		want_len = 0;
		while (len < sizeof(req) - 1 &&
		    (n = read(fd, req + len, sizeof(req) - 1 - len)) > 0) {
			len += (size_t)n;
			req[len] = '\0';
			if ((p = strstr(req, "\r\n\r\n")) == NULL)
				continue;
			if (want_len == 0 && (path = strcasestr(req,
			    "Content-Length:")) != NULL)
				want_len = strtoul(path + 15, NULL, 10);
			if (len >= (size_t)(p + 4 - req) + want_len)
				break;
		}
		p = strstr(req, "\"id\":");
		id = p != NULL ? strtoul(p + 5, NULL, 10) : 0;
		path = req + 5;		/* after "POST " */
		status = 200;
		if (strncmp(path, "/garbage ", 9) == 0)
			resp = "this is not json";
		else if (strncmp(path, "/500 ", 5) == 0) {
			status = 500;
			resp = "Internal Server Error";
		} else if (strncmp(path, "/error ", 7) == 0) {
			snprintf(body, sizeof(body), "{\"jsonrpc\":\"2.0\","
			    "\"id\":%lu,\"error\":{\"code\":-32000,\"message\":"
			    "\"boom\\nsecond line\"}}", id);
			resp = body;
		} else if (strncmp(path, "/id ", 4) == 0)
			resp = "{\"jsonrpc\":\"2.0\",\"id\":99,\"result\":null}";
		else if (strncmp(path, "/nothex ", 8) == 0) {
			snprintf(body, sizeof(body), "{\"jsonrpc\":\"2.0\","
			    "\"id\":%lu,\"result\":\"0xzz\"}", id);
			resp = body;
		} else if (strncmp(path, "/badtwin ", 9) == 0) {
			snprintf(body, sizeof(body), "{\"jsonrpc\":\"2.0\","
			    "\"id\":%lu,\"result\":\"0x07000000\"}", id);
			resp = body;
		} else if (strncmp(path, "/big ", 5) == 0) {
			want_len = 4 * 1024 * 1024;
			if ((big = malloc(want_len)) != NULL) {
				memset(big, ' ', want_len);
				snprintf(hdr, sizeof(hdr), "HTTP/1.1 200 OK\r\n"
				    "Content-Length: %zu\r\nConnection: close"
				    "\r\n\r\n", want_len);
				(void)!write(fd, hdr, strlen(hdr));
				(void)!write(fd, big, want_len);
				free(big);
			}
			close(fd);
			continue;
		} else {	/* /close and anything else */
			close(fd);
			continue;
		}
		snprintf(hdr, sizeof(hdr), "HTTP/1.1 %d X\r\nContent-Type: "
		    "application/json\r\nContent-Length: %zu\r\n"
		    "Connection: close\r\n\r\n", status, strlen(resp));
		(void)!write(fd, hdr, strlen(hdr));
		(void)!write(fd, resp, strlen(resp));
		close(fd);
	}
}

static void
test_stub(void)
{
	static const struct {
		const char	*path, *err;
	} cases[] = {
		{ "/garbage", "/garbage: rpc: not JSON at byte 0\n" },
		{ "/500", "/500: HTTP 500\n" },
		{ "/error", "/error: rpc error: boom second line\n" },
		{ "/id", "/id: rpc: response id 99, expected 1\n" },
		{ "/nothex", "/nothex: rpc: result is not hex\n" },
		{ "/badtwin", "/badtwin: twin 7 cannot be decoded" },
		{ "/big", "/big: response over 132096 bytes\n" },
		{ "/close", "/close: request failed (" },
	};
	struct sockaddr_in	sin;
	socklen_t		sl = sizeof(sin);
	char			url[64];
	size_t			i;
	pid_t			pid;
	int			lfd, rc;

	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if ((lfd = socket(AF_INET, SOCK_STREAM, 0)) == -1 ||
	    bind(lfd, (struct sockaddr *)&sin, sizeof(sin)) == -1 ||
	    getsockname(lfd, (struct sockaddr *)&sin, &sl) == -1 ||
	    listen(lfd, 16) == -1 || (pid = fork()) == -1) {
		ok(0, "stub server: %s", strerror(errno));
		return;
	}
	if (pid == 0) {
		/* Never outlive a test that crashed. */
		if (prctl(PR_SET_PDEATHSIG, SIGKILL) == -1)
			_exit(1);
		stub_serve(lfd);
		_exit(0);
	}
	close(lfd);
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		snprintf(url, sizeof(url), "http://127.0.0.1:%d%s",
		    ntohs(sin.sin_port), cases[i].path);
		rc = rmb("twin", "show", "7", "--substrate", url, NULL);
		show_err(rc, cases[i].err, cases[i].path);
	}
	snprintf(url, sizeof(url), "http://127.0.0.1:%d/error",
	    ntohs(sin.sin_port));
	rc = rmb("twin", "show", "8", "--substrate", url, "--substrate",
	    srv.url, NULL);
	ok(rc == 0 && strncmp(out, "id: 8\n", 6) == 0 &&
	    strstr(errout, "rpc error: boom") != NULL,
	    "an rpc error first, then the node: found");
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
}

static void
test_usage(void)
{
	char	url[64];

	ok(rmb("twin", NULL) == 2, "no verb: usage");
	ok(rmb("twin", "list", NULL) == 2, "unknown verb: usage");
	ok(rmb("twin", "show", NULL) == 2, "no id: usage");
	ok(rmb("twin", "show", "1", "2", NULL) == 2, "two ids: usage");
	ok(rmb("twin", "show", "x", NULL) == 2 &&
	    strstr(errout, "invalid twin id 'x'") != NULL, "bad id");
	ok(rmb("twin", "show", "4294967296", NULL) == 2, "id over u32");
	ok(rmb("twin", "show", "-1", NULL) == 2, "negative id");
	ok(rmb("twin", "find", "5Grwva", NULL) == 2 &&
	    strstr(errout, "invalid account '5Grwva'") != NULL,
	    "bad SS58 account");
	ok(rmb("twin", "find", "0x1234", NULL) == 2, "short hex account");
	ok(rmb("twin", "show", "1", "--substrate", "ftp://x", NULL) == 2 &&
	    strstr(errout, "invalid URL 'ftp://x'") != NULL, "ftp:// refused");
	ok(rmb("twin", "show", "1", "--substrate", "wss://", NULL) == 2,
	    "a URL without a host");
	snprintf(url, sizeof(url), "ws://127.0.0.1:%d/ x", srv.port);
	ok(rmb("twin", "show", "1", "--substrate", url, NULL) == 2,
	    "a URL with a space");
	ok(rmb("twin", "show", "1", "--bogus", NULL) == 2, "unknown option");
}

int
main(void)
{
	const char	*top;
	double		 t0 = chain_now_s();
	int		 rc;

	setvbuf(stdout, NULL, _IOLBF, 0);
	if ((top = getenv("top_builddir")) == NULL)
		top = ".";
	snprintf(rmb_path, sizeof(rmb_path), "%s/tools/rmb", top);
	if (access(rmb_path, X_OK) != 0) {
		printf("1..0 # SKIP %s is not built\n", rmb_path);
		return 0;
	}
	if ((rc = chain_begin(&srv)) != -1)
		return rc;
	snprintf(scratch, sizeof(scratch), "%s/rmb-out.XXXXXX",
	    getenv("TMPDIR") != NULL ? getenv("TMPDIR") : "/tmp");
	if (mkdtemp(scratch) == NULL) {
		chain_stop(&srv);
		printf("Bail out! mkdtemp: %s\n", strerror(errno));
		return 1;
	}
	test_runtime();
	test_accounts();
	test_twins();
	test_stub();
	test_usage();
	chain_stop(&srv);
	unlink(strcat(strcpy(want, scratch), "/out"));
	unlink(strcat(strcpy(want, scratch), "/err"));
	rmdir(scratch);
	diag("whole test %.1f s", chain_now_s() - t0);
	return done_testing();
}
