/* SPDX-License-Identifier: ISC */
/*
 * rmb-peer on a real tfchain runtime (spec 144 under chopsticks): peers
 * whose twins exist on chain with no relay and no pk bring them up to
 * date with a signed update_twin (sr25519 and ed25519), a restart with
 * nothing changed submits nothing, an account without a twin is refused
 * by name, and two peers exchange an encrypted request with netd reading
 * twins from the chain, and so does the relay; then b's twin changes on
 * chain and a's netd, which cached it, applies the event.
 */
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "chain_fixture.h"
#include "peer_fixture.h"
#include "ss58.h"
#include "tap.h"

#define WAIT		15000	/* ms for a peer to reach the relay */
#define RELAY_DOMAIN	"localhost"

static struct chain_srv	 srv;
static struct pf_net	 net;

enum { TA, TB, TNOTWIN, NTWINS };
static struct rc_twin	 tw[NTWINS];

static struct pf_peer	 pa = { .name = "a", .twin = &tw[TA],
			    .key_type = "sr25519" };
static struct pf_peer	 pb = { .name = "b", .twin = &tw[TB],
			    .key_type = "ed25519" };
static struct pf_peer	 pc = { .name = "c", .twin = &tw[TNOTWIN],
			    .key_type = "sr25519" };

/*
 * Starts p on the chain: no twin file, the chopsticks node as its only
 * substrate URL, and the on-chain update unless no_update.
 */
static int
peer_start(struct pf_peer *p, int no_update)
{
	static char	sub[64];

	snprintf(sub, sizeof(sub), "ws://127.0.0.1:%d", srv.port);
	p->substrate = sub;
	p->update = !no_update;
	return pf_peer_start(&net, p, NULL, 0);
}

/* Waits for p to exit on its own; its wait status, or -1. */
static int
peer_exit(struct pf_peer *p, int ms)
{
	int	st;

	for (; ms > 0; ms -= 20) {
		if (proc_exited(p->pid, &st) == 1) {
			p->pid = 0;
			return st;
		}
		usleep(20000);
	}
	return -1;
}

static int
log_has(const struct pf_peer *p, const char *needle)
{
	char	 buf[65536];
	size_t	 n = 0;
	FILE	*f;

	if ((f = fopen(p->log, "r")) == NULL)
		return 0;
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	return strstr(buf, needle) != NULL;
}

/* The twin's record on chain, written straight into storage. */
static int
put_twin(const struct rc_twin *t, int with_relay_pk)
{
	return chain_put_twin(&srv, t->id, t->ident.account,
	    with_relay_pk ? RELAY_DOMAIN : NULL, with_relay_pk ? t->pk : NULL,
	    sizeof(t->pk)) == 0 &&
	    chain_fund(&srv, t->ident.account) == 0 ? 0 : -1;
}

/* Twins(id) as the chain has it now. */
static int
get_twin(uint32_t id, struct twin_record *t)
{
	uint8_t		 key[TFCHAIN_KEY_TWIN_LEN], val[TWIN_ENCODED_MAX];
	const char	*why;
	size_t		 len;

	tfchain_key_twin(key, id);
	if (chain_get_storage(&srv, key, sizeof(key), val, sizeof(val),
	    &len) != 1)
		return -1;
	return twin_decode(t, val, len, &why);
}

/* The account's next nonce, as the node reports it. */
static long
nonce_of(const struct rc_twin *t)
{
	char	ss58[SS58_ADDR_SIZE], params[80], *res = NULL;
	long	n = -1;

	ss58_encode(ss58, sizeof(ss58), t->ident.account);
	snprintf(params, sizeof(params), "[\"%s\"]", ss58);
	if (chain_rpc(&srv, "system_accountNextIndex", params, &res) == 0 &&
	    res != NULL)
		n = strtol(res, NULL, 10);
	free(res);
	return n;
}

static int
twin_is_ours(const struct twin_record *t, const struct rc_twin *want)
{
	return t->id == want->id && t->has_relay &&
	    strcmp(t->relay, RELAY_DOMAIN) == 0 && t->has_pk &&
	    t->pklen == sizeof(want->pk) &&
	    memcmp(t->pk, want->pk, sizeof(want->pk)) == 0 &&
	    memcmp(t->account, want->ident.account, 32) == 0;
}

/* A peer whose twin has no relay and no pk: it writes both. */
static void
test_update(struct pf_peer *p, const char *what)
{
	struct twin_record	t;
	double			t0 = chain_now_s();
	int			up;

	ok(get_twin(p->twin->id, &t) == 0 && !t.has_relay && !t.has_pk,
	    "%s: twin %u on chain has no relay and no pk", what, p->twin->id);
	up = peer_start(p, 0) == 0 && wait_log(p->log, ": connected",
	    WAIT) == 0;
	ok(up, "%s: the peer starts and reaches the relay (%.1f s)", what,
	    chain_now_s() - t0);
	ok(log_has(p, "chain: runtime metadata matches") &&
	    log_has(p, "update_twin submitted (nonce 0)") &&
	    log_has(p, "is updated on chain"), "%s: it checked the metadata "
	    "and submitted update_twin", what);
	ok(get_twin(p->twin->id, &t) == 0 && twin_is_ours(&t, p->twin),
	    "%s: the chain now has relay \"%s\" and the peer's pk", what,
	    RELAY_DOMAIN);
	ok(nonce_of(p->twin) == 1, "%s: the account's nonce moved to 1",
	    what);
}

/*
 * b's relay field changes on chain (its own signed update_twin, sent
 * here): a's netd, which cached twin 102 for the exchange, follows the
 * finalized blocks and replaces it, and a still reaches b.
 */
static void
test_follow(void)
{
	struct twin_record	 t;
	uint8_t			 ext[CHAIN_EXT_MAX];
	char			 why[256], req[8192], *resp;
	size_t			 n;
	long			 nonce = nonce_of(&tw[TB]);
	int			 i;

	ok(log_has(&pa, "tfchain events: following finalized blocks from"),
	    "a's netd follows the finalized chain");
	n = nonce < 0 ? 0 : chain_update_twin(&srv, ext, tw[TB].seed,
	    (uint32_t)nonce, RELAY_DOMAIN "_other.example", tw[TB].pk,
	    sizeof(tw[TB].pk));
	ok(n > 0 && chain_submit(&srv, ext, n, why, sizeof(why)) == 1,
	    "b's update_twin is accepted");
	for (i = 0; i < 100 && nonce_of(&tw[TB]) != nonce + 1; i++)
		usleep(100000);
	ok(get_twin(tw[TB].id, &t) == 0 &&
	    strcmp(t.relay, RELAY_DOMAIN "_other.example") == 0,
	    "once in a block, b's twin lists two relays");
	ok(wait_log(pa.log, "tfchain events: twin 102 updated (cache updated)",
	    WAIT) == 0, "a's netd replaced its cached twin 102");
	pf_request(req, sizeof(req), "c2", "test.echo", 60, "\"again\"",
	    "102", "ret.c2", NULL);
	pf_lpush(pa.redis.port, "msgbus.system.local", req);
	ok(pf_echo_one(&pb, "test.echo", 10) == 0, "a -> b still works");
	resp = pf_blpop(pa.redis.port, "ret.c2", 10);
	ok(resp != NULL && strstr(resp, "\"ref\":\"c2\"") != NULL,
	    "and b's response comes back");
	free(resp);
}

static void
test_unchanged(void)
{
	int	st;

	st = pf_peer_stop(&pa);
	ok(WIFEXITED(st) && WEXITSTATUS(st) == 0, "a stops cleanly");
	pa.redis.pid = 0;
	ok(peer_start(&pa, 0) == 0 && wait_log(pa.log, ": connected", WAIT) ==
	    0, "a starts again");
	ok(log_has(&pa, "twin 101 is up to date on chain") &&
	    !log_has(&pa, "update_twin submitted") &&
	    !log_has(&pa, "runtime metadata"),
	    "nothing changed: the log says up to date, nothing submitted");
	ok(nonce_of(&tw[TA]) == 1, "and the account's nonce did not move");
}

static void
test_no_twin(void)
{
	char	ss58[SS58_ADDR_SIZE], want[200];
	int	st;

	ss58_encode(ss58, sizeof(ss58), tw[TNOTWIN].ident.account);
	ok(peer_start(&pc, 0) == 0, "a peer whose account has no twin starts");
	st = peer_exit(&pc, WAIT);
	ok(st != -1 && WIFEXITED(st) && WEXITSTATUS(st) != 0,
	    "and exits non-zero (status %d)", st != -1 && WIFEXITED(st) ?
	    WEXITSTATUS(st) : -1);
	snprintf(want, sizeof(want), "no twin found on this network for "
	    "account %s: a twin must be created first", ss58);
	ok(log_has(&pc, want), "the error names the account: %s", want);
	pf_peer_stop(&pc);
}

static void
test_exchange(void)
{
	char	 req[8192], *resp;
	int	 good;

	pf_request(req, sizeof(req), "c1", "test.echo", 60, "\"over chain\"",
	    "102", "ret.c1", NULL);
	pf_lpush(pa.redis.port, "msgbus.system.local", req);
	ok(pf_echo_one(&pb, "test.echo", 10) == 0,
	    "a -> b: the request reaches b's service");
	resp = pf_blpop(pa.redis.port, "ret.c1", 10);
	good = resp != NULL && strstr(resp, "\"ref\":\"c1\"") != NULL &&
	    strstr(resp, "\"src\":\"102\"") != NULL &&
	    strstr(resp, "\"err\":null") != NULL &&
	    strstr(resp, "\"dat\":\"Im92ZXIgY2hhaW4i\"") != NULL;
	ok(good, "and b's response comes back to a");
	if (!good)
		diag("got %s", resp != NULL ? resp : "(nothing)");
	free(resp);
}

int
main(void)
{
	static char	relay_sub[64];
	double		t0 = chain_now_s();
	int		rc, i;

	setvbuf(stdout, NULL, _IOLBF, 0);
	signal(SIGPIPE, SIG_IGN);
	if ((rc = chain_begin(&srv)) != -1)
		return rc;
	if ((rc = pf_begin(&net)) != -1) {
		chain_stop(&srv);
		return rc;
	}
	rc_twin_init(&tw[TA], 101, KEY_SR25519, RELAY_DOMAIN, 0x61);
	rc_twin_init(&tw[TB], 102, KEY_ED25519, RELAY_DOMAIN, 0x62);
	rc_twin_init(&tw[TNOTWIN], 103, KEY_SR25519, RELAY_DOMAIN, 0x63);
	for (i = 0; i < NTWINS; i++)
		tw[i].has_pk = 1;
	snprintf(relay_sub, sizeof(relay_sub), "ws://127.0.0.1:%d", srv.port);
	net.substrate = relay_sub;
	if (pf_relay_start(&net) != 0 ||
	    put_twin(&tw[TA], 0) != 0 || put_twin(&tw[TB], 0) != 0 ||
	    chain_fund(&srv, tw[TNOTWIN].ident.account) != 0) {
		printf("Bail out! cannot start the relay or write the chain\n");
		pf_done(&net, 0);
		chain_stop(&srv);
		return 1;
	}
	diag("set up in %.1f s", chain_now_s() - t0);

	test_update(&pa, "sr25519");
	test_update(&pb, "ed25519");
	test_exchange();
	test_follow();
	test_unchanged();
	test_no_twin();

	pf_peer_stop(&pa);
	pf_peer_stop(&pb);
	pf_done(&net, tap_failed == 0);
	chain_stop(&srv);
	diag("whole test %.1f s", chain_now_s() - t0);
	return done_testing();
}
