/* SPDX-License-Identifier: ISC */
/*
 * Our own twin on tfchain at start-up (doc/protocol.md §7.5): find the twin
 * of our account, and unless told not to, make its relay field and pk
 * ours with a signed update_twin.  One step at a time on netd's loop,
 * each step an RPC whose callback starts the next; the caller runs the
 * loop until netd_chain_startup says it is done.  Everything that goes
 * wrong here is fatal: the peer cannot be reached with a wrong twin.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <ev.h>

#include "chainrpc.h"
#include "hex.h"
#include "ipc_types.h"
#include "log.h"
#include "metadata.h"
#include "netd.h"
#include "ss58.h"
#include "twindir.h"

/* Waiting for the update to show on chain (doc/chain.md §2.2: no watch). */
#define POLL_INTERVAL	0.5
#define POLL_TIMEOUT	30.
/* A nonce read just after a block can be stale: read it again. */
#define STALE_RETRIES	3
#define STALE_DELAY	1.

static struct {
	struct ev_loop			*loop;
	const struct netd_chain_conf	*conf;
	char				 ss58[SS58_ADDR_SIZE];
	char				 relay[TWIN_RELAY_MAX + 1];
	uint32_t			 twin;
	uint32_t			 nonce, spec, txv;
	uint8_t				 genesis[32];
	uint64_t			 block;		/* finalized */
	uint8_t				 block_hash[32];
	int				 stale;
	ev_timer			 timer;
	ev_tstamp			 deadline;
	int				 done;
} ch;

static void	read_twin(void);
static void	read_nonce(void);

static void
finish(void)
{
	ch.done = 1;
	ev_break(ch.loop, EVBREAK_ALL);
}

int
netd_twin_current(const struct twin_record *t, const char *const *dom,
    size_t n, const uint8_t *pk, size_t pklen)
{
	const char	*p, *e;
	size_t		 i, len;

	if (!t->has_pk || t->pklen != pklen || memcmp(t->pk, pk, pklen) != 0)
		return 0;
	/* As sets: each of ours is on chain, each on chain is ours. */
	for (i = 0; i < n; i++)
		if (!t->has_relay || !twin_relay_has(t->relay, dom[i]))
			return 0;
	if (!t->has_relay)
		return n == 0;
	for (p = t->relay;; p = e + 1) {
		e = strchr(p, '_');
		len = e != NULL ? (size_t)(e - p) : strlen(p);
		for (i = 0; i < n; i++)
			if (strlen(dom[i]) == len && memcmp(dom[i], p, len) == 0)
				break;
		if (i == n)
			return 0;
		if (e == NULL)
			return 1;
	}
}

static int
current(const struct twin_record *t)
{
	return netd_twin_current(t, ch.conf->domains, ch.conf->ndomains,
	    ch.conf->pk, ch.conf->pklen);
}

/* The answer of an RPC that must succeed for us to go on. */
static const struct jsonrpc_resp *
need(const char *what, const struct jsonrpc_resp *r, const char *err)
{
	if (err != NULL)
		fatalx("chain: %s: %s", what, err);
	return r;
}

static void
poll_answer(void *arg, int rv, const struct twin_record *t)
{
	(void)arg;
	if (rv == 1 && current(t)) {
		log_info("twin %u is updated on chain: relay %s, our pk",
		    ch.twin, t->relay);
		finish();
		return;
	}
	if (rv == 0)
		fatalx("twin %u is gone from the chain", ch.twin);
	if (ev_now(ch.loop) >= ch.deadline)
		fatalx("twin %u does not show the update %.0f s after it was "
		    "submitted", ch.twin, POLL_TIMEOUT);
	ev_timer_set(&ch.timer, POLL_INTERVAL, 0.);
	ev_timer_start(ch.loop, &ch.timer);
}

static void
poll_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	(void)loop;
	(void)w;
	(void)revents;
	twindir_forget(ch.conf->dir, ch.twin);
	twindir_lookup(ch.conf->dir, ch.twin, (uint64_t)ev_now(ch.loop),
	    poll_answer, NULL);
}

static void
retry_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	(void)loop;
	(void)w;
	(void)revents;
	read_nonce();
}

/* Whether the node refused the extrinsic for a nonce already used. */
static int
stale_nonce(const char *err)
{
	return strstr(err, "outdated") != NULL || strstr(err, "Stale") !=
	    NULL || strstr(err, "stale") != NULL;
}

static void
submitted(void *arg, const struct jsonrpc_resp *r, const char *err)
{
	char	hash[80];

	(void)arg;
	if (err != NULL && r != NULL && stale_nonce(err) &&
	    ch.stale++ < STALE_RETRIES) {
		log_info("chain: nonce %u is stale (%s); reading it again",
		    ch.nonce, err);
		ev_timer_init(&ch.timer, retry_cb, STALE_DELAY, 0.);
		ev_timer_start(ch.loop, &ch.timer);
		return;
	}
	if (err != NULL)
		fatalx("tfchain refused the update of twin %u: %s", ch.twin,
		    err);
	/* The hash is a JSON string: shown without its quotes. */
	if (r->result.type == JSON_STRING && r->result.len >= 2)
		snprintf(hash, sizeof(hash), "%.*s", (int)r->result.len - 2,
		    r->result.p + 1);
	else
		snprintf(hash, sizeof(hash), "%.*s", (int)r->result.len,
		    r->result.p);
	log_info("update_twin submitted (nonce %u), transaction %s; waiting "
	    "for twin %u to show it", ch.nonce, hash, ch.twin);
	ch.deadline = ev_now(ch.loop) + POLL_TIMEOUT;
	ev_timer_init(&ch.timer, poll_cb, POLL_INTERVAL, 0.);
	ev_timer_start(ch.loop, &ch.timer);
}

/*
 * keyd builds the call from its own relay field and pk, and signs it
 * mortal from the finalized block: valid for a few minutes only.
 */
static void
sign_and_submit(void)
{
	struct keyd_update_twin	 u = { .block = ch.block };
	struct keyd_bytes	 x;
	const uint8_t		*ext;
	size_t			 len;
	char			*params;

	u.x.nonce = ch.nonce;
	u.x.spec_version = ch.spec;
	u.x.tx_version = ch.txv;
	memcpy(u.x.genesis, ch.genesis, sizeof(u.x.genesis));
	memcpy(u.x.checkpoint, ch.block_hash, sizeof(u.x.checkpoint));
	netd_keyd_update_twin(&u, &x);
	ext = x.data;
	len = x.len;
	log_info("keyd signed update_twin of twin %u (%zu bytes), valid from "
	    "block %llu", ch.twin, len, (unsigned long long)ch.block);
	if ((params = malloc(2 * len + 8)) == NULL)
		fatal("update_twin");
	memcpy(params, "[\"0x", 4);
	hex_encode(params + 4, ext, len);
	memcpy(params + 4 + 2 * len, "\"]", 3);
	if (chainrpc_call(ch.conf->rpc, "author_submitExtrinsic", params,
	    submitted, NULL) == -1)
		fatalx("chain: cannot submit the update");
	free(params);
}

static void
got_header(void *arg, const struct jsonrpc_resp *r, const char *err)
{
	struct jsonrpc_val	f;
	char			why[JSONRPC_ERR_MAX];

	(void)arg;
	r = need("finalized header", r, err);
	if (jsonrpc_get_field(&r->result, "number", &f, why,
	    sizeof(why)) == -1)
		fatalx("chain: finalized header: %s", why);
	if (jsonrpc_get_quantity(&f, &ch.block) == -1)
		fatalx("chain: finalized header: the number is not a hex "
		    "quantity");
	sign_and_submit();
}

/* The 32-byte hash in a result, or fatal naming what it is. */
static void
need_hash(const char *what, const struct jsonrpc_resp *r, const char *err,
    uint8_t out[32])
{
	char	why[JSONRPC_ERR_MAX];
	size_t	len;

	r = need(what, r, err);
	if (jsonrpc_get_hex(&r->result, out, 32, &len, why,
	    sizeof(why)) == -1)
		fatalx("chain: %s: %s", what, why);
	if (len != 32)
		fatalx("chain: %s: not 32 bytes", what);
}

/* The era starts at a block every node has and none can undo. */
static void
got_head(void *arg, const struct jsonrpc_resp *r, const char *err)
{
	char	params[2 * 32 + 8];

	(void)arg;
	need_hash("finalized head", r, err, ch.block_hash);
	memcpy(params, "[\"0x", 4);
	hex_encode(params + 4, ch.block_hash, sizeof(ch.block_hash));
	memcpy(params + 4 + 64, "\"]", 3);
	if (chainrpc_call(ch.conf->rpc, "chain_getHeader", params,
	    got_header, NULL) == -1)
		fatalx("chain: cannot ask for the finalized header");
}

static void
got_genesis(void *arg, const struct jsonrpc_resp *r, const char *err)
{
	(void)arg;
	need_hash("genesis hash", r, err, ch.genesis);
	if (chainrpc_call(ch.conf->rpc, "chain_getFinalizedHead", "[]",
	    got_head, NULL) == -1)
		fatalx("chain: cannot ask for the finalized head");
}

static void
got_version(void *arg, const struct jsonrpc_resp *r, const char *err)
{
	struct jsonrpc_val	f;
	char			why[JSONRPC_ERR_MAX];
	uint64_t		spec, txv;

	(void)arg;
	r = need("runtime version", r, err);
	if (jsonrpc_get_field(&r->result, "specVersion", &f, why,
	    sizeof(why)) == -1 || jsonrpc_get_u64(&f, &spec, why,
	    sizeof(why)) == -1 || jsonrpc_get_field(&r->result,
	    "transactionVersion", &f, why, sizeof(why)) == -1 ||
	    jsonrpc_get_u64(&f, &txv, why, sizeof(why)) == -1)
		fatalx("chain: runtime version: %s", why);
	if (spec > UINT32_MAX || txv > UINT32_MAX)
		fatalx("chain: runtime version %llu/%llu is over 32 bits",
		    (unsigned long long)spec, (unsigned long long)txv);
	ch.spec = (uint32_t)spec;
	ch.txv = (uint32_t)txv;
	log_info("chain: runtime spec version %u, transaction version %u",
	    ch.spec, ch.txv);
	if (chainrpc_call(ch.conf->rpc, "chain_getBlockHash", "[0]",
	    got_genesis, NULL) == -1)
		fatalx("chain: cannot ask for the genesis hash");
}

static void
got_nonce(void *arg, const struct jsonrpc_resp *r, const char *err)
{
	char		why[JSONRPC_ERR_MAX];
	uint64_t	nonce;

	(void)arg;
	r = need("account nonce", r, err);
	if (jsonrpc_get_u64(&r->result, &nonce, why, sizeof(why)) == -1)
		fatalx("chain: account nonce: %s", why);
	if (nonce > UINT32_MAX)
		fatalx("chain: account nonce %llu is over 32 bits",
		    (unsigned long long)nonce);
	ch.nonce = (uint32_t)nonce;
	log_info("chain: account %s has nonce %u", ch.ss58, ch.nonce);
	if (chainrpc_call(ch.conf->rpc, "state_getRuntimeVersion", "[]",
	    got_version, NULL) == -1)
		fatalx("chain: cannot ask for the runtime version");
}

static void
read_nonce(void)
{
	char	params[SS58_ADDR_SIZE + 8];

	snprintf(params, sizeof(params), "[\"%s\"]", ch.ss58);
	if (chainrpc_call(ch.conf->rpc, "system_accountNextIndex", params,
	    got_nonce, NULL) == -1)
		fatalx("chain: cannot ask for the account nonce");
}

static void
got_metadata(void *arg, const struct jsonrpc_resp *r, const char *err)
{
	struct tfchain_layout	 lay;
	uint8_t			*md;
	char			 why[JSONRPC_ERR_MAX + METADATA_ERR_MAX];
	size_t			 cap, len;

	(void)arg;
	r = need("runtime metadata", r, err);
	cap = r->result.len / 2;
	if (cap > METADATA_LEN_MAX)
		fatalx("chain: runtime metadata over %d bytes",
		    METADATA_LEN_MAX);
	if ((md = malloc(cap > 0 ? cap : 1)) == NULL)
		fatal("runtime metadata");
	if (jsonrpc_get_hex(&r->result, md, cap, &len, why,
	    sizeof(why)) == -1)
		fatalx("chain: runtime metadata: %s", why);
	if (metadata_check_tfchain(md, len, &lay, why, sizeof(why)) == -1)
		fatalx("%s; nothing was signed", why);
	free(md);
	log_info("chain: runtime metadata matches: TfgridModule is pallet "
	    "%u, update_twin call %u", lay.pallet, lay.update_twin);
	read_nonce();
}

static void
got_twin(void *arg, int rv, const struct twin_record *t)
{
	(void)arg;
	if (rv == -1)
		fatalx("cannot read twin %u from the chain", ch.twin);
	if (rv == 0)
		fatalx("twin %u of account %s is not on the chain", ch.twin,
		    ch.ss58);
	if (current(t)) {
		log_info("twin %u is up to date on chain", ch.twin);
		finish();
		return;
	}
	log_info("twin %u on chain has relay %s and %s pk; updating it to "
	    "relay %s and our pk", ch.twin, t->has_relay ? t->relay : "(none)",
	    !t->has_pk ? "no" : "another", ch.relay);
	if (chainrpc_call(ch.conf->rpc, "state_getMetadata", "[]",
	    got_metadata, NULL) == -1)
		fatalx("chain: cannot ask for the runtime metadata");
}

static void
read_twin(void)
{
	/* Our own twin is read fresh, not from the cache. */
	twindir_forget(ch.conf->dir, ch.twin);
	twindir_lookup(ch.conf->dir, ch.twin, (uint64_t)ev_now(ch.loop),
	    got_twin, NULL);
}

static void
got_id(void *arg, int rv, uint32_t id)
{
	(void)arg;
	if (rv == -1)
		fatalx("cannot read the twin of account %s from the chain",
		    ch.ss58);
	if (rv == 0)
		fatalx("no twin found on this network for account %s: a twin "
		    "must be created first, for example with the ThreeFold "
		    "dashboard", ch.ss58);
	ch.twin = id;
	log_info("account %s is twin %u", ch.ss58, id);
	if (ch.conf->no_update) {
		log_info("twin %u: not checking its relay and pk on chain "
		    "(no-update)", id);
		finish();
		return;
	}
	read_twin();
}

uint32_t
netd_chain_startup(struct ev_loop *loop, const struct netd_chain_conf *conf)
{
	size_t	i, len = 0;

	memset(&ch, 0, sizeof(ch));
	ch.loop = loop;
	ch.conf = conf;
	if (ss58_encode(ch.ss58, sizeof(ch.ss58), conf->account) == -1)
		fatalx("cannot encode our account");
	for (i = 0; i < conf->ndomains; i++)
		len += (size_t)snprintf(ch.relay + len, sizeof(ch.relay) - len,
		    "%s%s", i > 0 ? "_" : "", conf->domains[i]);
	log_info("chain: reading the twin of account %s from %s", ch.ss58,
	    chainrpc_endpoint(conf->rpc));
	twindir_lookup_account(conf->dir, conf->account, got_id, NULL);
	while (!ch.done)
		ev_run(loop, 0);
	ev_timer_stop(loop, &ch.timer);
	return ch.twin;
}
