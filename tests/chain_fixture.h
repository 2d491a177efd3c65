/* SPDX-License-Identifier: ISC */
/*
 * A real tfchain runtime for tests: chopsticks (npm, pinned by
 * tests/chain/package-lock.json) running the spec-144 chain spec offline,
 * plus a small synchronous JSON-RPC client over HTTP and helpers that
 * write twins and balances straight into storage with dev_setStorage.
 *
 * chopsticks is installed once per lockfile into
 * $RMB_CHOPSTICKS_DIR/<hash>, by default
 * ${XDG_CACHE_HOME:-$HOME/.cache}/rmb-chopsticks/<hash>, under a lock so
 * that tests started together install it once.  The chain spec is
 * $RMB_TFCHAIN_DIR/chainspec-dev-spec144.json, by default the copy in
 * tests/chain (tfchain's devnet genesis with the spec-144 runtime).
 */
#ifndef RMB_CHAIN_FIXTURE_H
#define RMB_CHAIN_FIXTURE_H

#include <sys/types.h>

#include <stddef.h>
#include <stdint.h>

#include "tfchain_read.h"

#define CHAIN_SPEC_FILE		"chainspec-dev-spec144.json"
/*
 * chopsticks 1.5.1 declares Node >= 22 but runs on any Node that can
 * require() an ES module (yargs 18 is one): 20.19 or later in 20.x, 22.12
 * or later.  Debian 12's own Node 18 cannot.
 */
#define CHAIN_NODE_MIN_20	19	/* minor, in 20.x */
#define CHAIN_NODE_MIN_22	12	/* minor, in 22.x */

/*
 * System.Account of this runtime: nonce, consumers, providers and
 * sufficients (u32 each), then free, reserved, frozen and flags (u128
 * each), as chopsticks returns for //Alice.
 */
#define CHAIN_ACCOUNT_INFO_LEN	(4 * 4 + 4 * 16)
#define CHAIN_KEY_ACCOUNT_LEN	(16 + 16 + 16 + 32)
/* What chain_fund gives: 10^18 planck, 100 times a dev account's. */
#define CHAIN_FUND_PLANCK	UINT64_C(1000000000000000000)

struct chain_srv {
	pid_t	pid;
	int	port;
	char	url[64];		/* http://127.0.0.1:PORT */
	char	dir[256];		/* scratch directory for the log */
	char	log[300];		/* chopsticks' output */
	char	why[512];		/* why chain_start did not return 0 */
	char	modules[512];		/* node_modules of the pinned packages */
	double	install_s;		/* npm ci, 0 when it was cached */
	double	start_s;		/* exec to "RPC listening" */
	uint64_t next_id;		/* of chain_rpc's requests */
};

/*
 * Installs chopsticks if needed and starts it on a free loopback port.
 * Returns 0; -2 when node, npm or the chain spec is missing (a test
 * prints "1..0 # SKIP" with srv->why); -1 on failure, srv->why set and
 * chopsticks' output copied to stderr.
 */
int	chain_start(struct chain_srv *srv);
/* Stops chopsticks and removes the scratch directory. */
void	chain_stop(struct chain_srv *srv);
/*
 * chain_start() for a test's main(): -1 once chopsticks is up (its
 * install and start times as a diagnostic); otherwise the plan's SKIP or
 * "Bail out!" is printed and main()'s exit status returned (0 or 1).
 */
int	chain_begin(struct chain_srv *srv);

/*
 * POSTs body to the node.  On HTTP 200 returns 0 with the response in
 * *out (malloc'd, NUL-terminated, *outlen bytes); otherwise -1 with the
 * reason on stderr.
 */
int	chain_post(struct chain_srv *srv, const char *body, char **out,
	    size_t *outlen);
/*
 * One JSON-RPC call; params is a JSON array text.  Returns 0 with the
 * result's JSON text in *result (malloc'd; NULL to drop it), or -1 with
 * the error on stderr.
 */
int	chain_rpc(struct chain_srv *srv, const char *method,
	    const char *params, char **result);
/* Reads a storage value: 1 present (*len bytes), 0 absent, -1 error. */
int	chain_get_storage(struct chain_srv *srv, const uint8_t *key,
	    size_t keylen, uint8_t *val, size_t cap, size_t *len);
/* Writes a storage value (val NULL: deletes it).  Returns 0 or -1. */
int	chain_set_storage(struct chain_srv *srv, const uint8_t *key,
	    size_t keylen, const uint8_t *val, size_t vallen);
/* TfgridModule.Twins(t->id) = t. */
int	chain_set_twin(struct chain_srv *srv, const struct twin_record *t);
/* TfgridModule.TwinIdByAccountID(account) = id. */
int	chain_set_twin_id(struct chain_srv *srv, const uint8_t account[32],
	    uint32_t id);
/*
 * A twin on chain: Twins(id) with account, relay (NULL: none) and pk
 * (NULL: none), and TwinIdByAccountID(account) = id.  Returns 0 or -1.
 */
int	chain_put_twin(struct chain_srv *srv, uint32_t id,
	    const uint8_t account[32], const char *relay, const uint8_t *pk,
	    size_t pklen);
/* System.Account(account) = CHAIN_FUND_PLANCK free, one provider. */
int	chain_fund(struct chain_srv *srv, const uint8_t account[32]);
void	chain_key_account(uint8_t out[CHAIN_KEY_ACCOUNT_LEN],
	    const uint8_t account[32]);

/*
 * The finalized head: its number (from chain_getHeader's "number", a
 * hex string) and its hash.  Returns 0 or -1 with the reason on stderr.
 */
int	chain_head(struct chain_srv *srv, uint64_t *number, uint8_t hash[32]);
/* Has chopsticks build n empty blocks (dev_newBlock).  Returns 0 or -1. */
int	chain_new_blocks(struct chain_srv *srv, unsigned int n);
/*
 * author_submitExtrinsic of len bytes: 1 accepted (the pool returned a
 * hash), 0 refused by the node with its message in why, -1 on a
 * transport or protocol failure (on stderr).
 */
int	chain_submit(struct chain_srv *srv, const uint8_t *ext, size_t len,
	    char *why, size_t whycap);

/*
 * A signed, immortal update_twin(relay, pk) from the ed25519 account of
 * seed with nonce, for the node's current runtime (its spec and
 * transaction versions and genesis hash are read first).  relay or pk
 * NULL is None.  Returns its length in out, or 0 on failure.
 */
#define CHAIN_EXT_MAX	512
size_t	chain_update_twin(struct chain_srv *srv, uint8_t out[CHAIN_EXT_MAX],
	    const uint8_t seed[32], uint32_t nonce, const char *relay,
	    const uint8_t *pk, size_t pklen);

/* Monotonic seconds, for the timings the chain tests print. */
double	chain_now_s(void);

#endif
