/* SPDX-License-Identifier: ISC */
/*
 * The TypeScript direct client (@threefold/rmb_direct_client 2.9.2, the
 * one the grid's web tools use) against our relay and peer, on a real
 * tfchain runtime under chopsticks: the client reads its twin and the
 * destination's from the chain over WebSocket, connects to rmb-relay
 * with its own token, and sends requests of several sizes to a twin
 * served by rmb-peer, whose service echoes them.  Every answer must come
 * back whole, verified and decrypted by the client itself.  A twin whose
 * token the relay must refuse, not cached yet, makes the client's
 * connect fail, and its WebSocket library sees 401 rather than an
 * upgrade that then closes.
 *
 * The client is what judges compatibility here: its envelope, its
 * token, its encryption and its sizes, not ours.  tests/chain/ts_client.js
 * drives it; the package is installed with chopsticks.
 */
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "chain_fixture.h"
#include "peer_fixture.h"
#include "tap.h"

#define TS_TWIN		301
#define PEER_TWIN	302
#define BAD_TWIN	303	/* on chain with another account */
#define TS_SECS		400	/* the whole client run */

static struct chain_srv	 srv;
static struct pf_net	 net;
static struct rc_twin	 ts, tb, tx, other;
static struct pf_peer	 pb = { .name = "b", .twin = &tb,
			    .key_type = "ed25519" };

/*
 * The sizes sent, in bytes of payload: 5 MiB is past the 4 MiB that
 * earlier versions of the relay and the peer took, 60 MiB near the
 * 64 MiB the client's WebSocket library and the reference take.
 */
static const long	 sizes[] = { 1024, 1024 * 1024, 5 * 1024 * 1024,
			    60 * 1024 * 1024 };
#define NSIZES	(sizeof(sizes) / sizeof(sizes[0]))

/* t on chain, its id found by its account, its record holding owner's. */
static int
put_twin_of(const struct rc_twin *t, const struct rc_twin *owner,
    const char *relay)
{
	struct twin_record	r;

	memset(&r, 0, sizeof(r));
	r.id = t->id;
	memcpy(r.account, owner->ident.account, 32);
	r.has_relay = 1;
	snprintf(r.relay, sizeof(r.relay), "%s", relay);
	r.has_pk = 1;
	r.pklen = sizeof(t->pk);
	memcpy(r.pk, t->pk, sizeof(t->pk));
	return chain_set_twin(&srv, &r) == 0 &&
	    chain_set_twin_id(&srv, t->ident.account, t->id) == 0 ? 0 : -1;
}

static int
put_twin(const struct rc_twin *t, const char *relay)
{
	return put_twin_of(t, t, relay);
}

/*
 * Runs the client with its output on a pipe; the peer's echo service is
 * served here meanwhile.  Returns the client's output, or NULL.
 */
static char *
run_client(const struct rc_twin *who, size_t nsizes)
{
	char		 chain[64], relay[64], seed[2 * 32 + 3], dest[16];
	char		 script[512], nodepath[600], *argv[8 + NSIZES], err[300];
	char		 num[NSIZES][24], *out = NULL;
	const char	*src = getenv("top_srcdir");
	size_t		 len = 0, cap = 0, i;
	ssize_t		 n;
	time_t		 deadline;
	pid_t		 pid;
	int		 fd[2], st;

	snprintf(chain, sizeof(chain), "ws://127.0.0.1:%d", srv.port);
	snprintf(relay, sizeof(relay), "ws://127.0.0.1:%d", net.relay_port);
	seed[0] = '0';
	seed[1] = 'x';
	for (i = 0; i < 32; i++)
		snprintf(seed + 2 + 2 * i, 3, "%02x", who->seed[i]);
	snprintf(dest, sizeof(dest), "%u", tb.id);
	snprintf(script, sizeof(script), "%s/tests/chain/ts_client.js",
	    src != NULL ? src : CHAIN_SRCDIR);
	snprintf(nodepath, sizeof(nodepath), "NODE_PATH=%s", srv.modules);
	argv[0] = "node";
	argv[1] = script;
	argv[2] = chain;
	argv[3] = relay;
	argv[4] = seed;
	argv[5] = dest;
	for (i = 0; i < nsizes; i++) {
		snprintf(num[i], sizeof(num[i]), "%ld", sizes[i]);
		argv[6 + i] = num[i];
	}
	argv[6 + nsizes] = NULL;

	/* polkadot.js warns at length on standard error: kept apart. */
	snprintf(err, sizeof(err), "%s/ts_client.err", net.dir);
	if (pipe(fd) == -1 || (pid = fork()) == -1)
		return NULL;
	if (pid == 0) {
		if ((st = open(err, O_WRONLY | O_CREAT | O_TRUNC, 0644)) != -1)
			dup2(st, 2);
		dup2(fd[1], 1);
		close(fd[0]);
		close(fd[1]);
		putenv(nodepath);
		execvp("node", argv);
		_exit(127);
	}
	close(fd[1]);
	fcntl(fd[0], F_SETFL, O_NONBLOCK);
	deadline = time(NULL) + TS_SECS;
	for (;;) {
		struct pollfd	p = { fd[0], POLLIN, 0 };

		/* The echo service: each request is answered with itself. */
		if (pf_echo_one(&pb, "test.echo", 1) == 0)
			continue;
		if (poll(&p, 1, 0) == 1) {
			if (cap - len < 4096) {
				cap = cap * 2 + 4096;
				if ((out = realloc(out, cap + 1)) == NULL)
					break;
			}
			if ((n = read(fd[0], out + len, cap - len)) == 0)
				break;
			if (n > 0)
				len += (size_t)n;
			else if (errno != EAGAIN && errno != EINTR)
				break;
		}
		if (time(NULL) > deadline) {
			diag("the client ran over %d s", TS_SECS);
			kill(pid, SIGKILL);
			break;
		}
	}
	close(fd[0]);
	waitpid(pid, &st, 0);
	if (out != NULL)
		out[len] = '\0';
	return out;
}

int
main(void)
{
	static char	 sub[64];
	char		 relay[64], line[64], *out, *p;
	double		 t0 = chain_now_s();
	size_t		 i;
	int		 rc;

	setvbuf(stdout, NULL, _IOLBF, 0);
	signal(SIGPIPE, SIG_IGN);
	if ((rc = chain_begin(&srv)) != -1)
		return rc;
	if ((rc = pf_begin(&net)) != -1) {
		chain_stop(&srv);
		return rc;
	}
	rc_twin_init(&ts, TS_TWIN, KEY_SR25519, NULL, 0x71);
	rc_twin_init(&tb, PEER_TWIN, KEY_ED25519, "localhost", 0x72);
	rc_twin_init(&tx, BAD_TWIN, KEY_SR25519, NULL, 0x73);
	rc_twin_init(&other, 0, KEY_SR25519, NULL, 0x74);
	/*
	 * The client sets its twin's relay to its relay URL without
	 * "wss://" and the first "/", and submits update_twin when the
	 * chain has anything else.  For a ws:// URL that name is one the
	 * chain would refuse, so it is written into storage as it is.
	 */
	snprintf(relay, sizeof(relay), "ws:/127.0.0.1:%d", net.relay_port);
	snprintf(sub, sizeof(sub), "ws://127.0.0.1:%d", srv.port);
	pb.substrate = sub;
	net.substrate = sub;
	if (put_twin(&ts, relay) != 0 || put_twin(&tb, "localhost") != 0 ||
	    put_twin_of(&tx, &other, relay) != 0 ||
	    pf_relay_start(&net) != 0 ||
	    pf_peer_start(&net, &pb, NULL, 1) != 0) {
		printf("Bail out! cannot start the relay and the peer\n");
		pf_done(&net, 0);
		chain_stop(&srv);
		return 1;
	}
	diag("set up in %.1f s", chain_now_s() - t0);

	out = run_client(&ts, NSIZES);
	ok(out != NULL && strncmp(out, "connected\n", 10) == 0,
	    "the TypeScript client connects through the chain and the relay");
	for (i = 0; i < NSIZES; i++) {
		snprintf(line, sizeof(line), "size %ld ok ", sizes[i]);
		p = out != NULL ? strstr(out, line) : NULL;
		ok(p != NULL, "a %ld-byte request comes back whole%s%.*s%s",
		    sizes[i], p != NULL ? " (" : "",
		    p != NULL ? (int)strcspn(p + strlen(line), "\n") : 0,
		    p != NULL ? p + strlen(line) : "", p != NULL ? " ms)" : "");
	}
	if (tap_failed != 0)
		diag("client output:\n%s(its standard error: %s/ts_client.err)",
		    out != NULL ? out : "(none)\n", net.dir);
	free(out);

	/*
	 * A twin whose token the relay must refuse: its id is found by the
	 * client's account, but the chain's record of it holds another
	 * account, so the token's signature does not verify.  The relay has
	 * not seen the twin before.  The client must see the refusal as a
	 * failed connect, not a connection that opens and then drops.
	 */
	out = run_client(&tx, 0);
	p = out != NULL ? strstr(out, "connect error ") : NULL;
	ok(p != NULL && strstr(out, "connected\n") == NULL,
	    "a twin whose token does not verify: the client's connect fails");
	diag("client: %.*s", p != NULL ? (int)strcspn(p, "\n") : 4,
	    p != NULL ? p : out != NULL ? out : "(none)");
	p = out != NULL ? strstr(out, "\nrefused ") : NULL;
	ok(p != NULL && strncmp(p, "\nrefused 401\n", 13) == 0,
	    "and its WebSocket library sees HTTP 401 instead of the upgrade");
	if (p == NULL && out != NULL && (p = strrchr(out, '\n')) != NULL)
		while (p > out && p[-1] != '\n')
			p--;
	diag("its token again: %.*s", p != NULL ? (int)strcspn(p + (*p == '\n'),
	    "\n") : 4, p != NULL ? p + (*p == '\n') : "none");
	free(out);

	pf_peer_stop(&pb);
	pf_done(&net, tap_failed == 0);
	chain_stop(&srv);
	diag("whole test %.1f s", chain_now_s() - t0);
	return done_testing();
}
