/* SPDX-License-Identifier: ISC */
/*
 * Mortal update_twin extrinsics on a real tfchain runtime (spec 144
 * under chopsticks), built and signed with common/trusted/extrinsic.c as keyd
 * builds them: one is accepted late in its era, the same kind is
 * refused once more than EXT_ERA_PERIOD blocks have passed since its
 * birth block, and accepted again when born at a recent block; one whose
 * checkpoint is not the chain's hash of its birth block is refused, and
 * so is one signed ahead for a future block whose hash was guessed.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sodium.h>

#include "chain_fixture.h"
#include "extrinsic.h"
#include "hex.h"
#include "jsonrpc.h"
#include "scale.h"
#include "ss58.h"
#include "tap.h"
#include "tfchain_read.h"

#define TWIN_ID		201
#define RELAY		"relay.example.org"
#define EXT_MAX		512
/* //Bob as ed25519, whose extrinsic the runtime is known to accept. */
#define BOB_ED_SEED	"3b7b60af2abcd57ba401ab398f84f4ca" \
			"54bd6b2140d2503fbcf3286535fe3ff1"

static struct chain_srv	 srv;
static uint8_t		 pub[32], sk[64], genesis[32];
static uint32_t		 spec, txv;

/* A signed mortal update_twin born at block, whose hash is given. */
static size_t
build(uint8_t out[EXT_MAX], uint32_t nonce, uint64_t block,
    const uint8_t hash[32])
{
	struct ext_params	x;
	struct scale_wr		w;
	uint8_t			call[128], payload[512], msg[EXT_SIGN_MAX];
	uint8_t			sig[64], pk[33];
	size_t			calllen, mlen;

	memset(pk, 0x11, sizeof(pk));
	scale_wr_init(&w, call, sizeof(call));
	if (tfchain_update_twin_call(&w, TFCHAIN_PALLET_TFGRID,
	    TFCHAIN_CALL_UPDATE_TWIN, RELAY, pk, sizeof(pk)) != 0)
		return 0;
	calllen = w.len;
	memset(&x, 0, sizeof(x));
	x.nonce = nonce;
	x.spec_version = spec;
	x.tx_version = txv;
	memcpy(x.genesis, genesis, sizeof(x.genesis));
	x.era = ext_era_mortal(block, EXT_ERA_PERIOD);
	memcpy(x.checkpoint, hash, sizeof(x.checkpoint));
	scale_wr_init(&w, payload, sizeof(payload));
	if (ext_payload(&w, &x, call, calllen) != 0)
		return 0;
	ext_signing_bytes(msg, &mlen, payload, w.len);
	crypto_sign_detached(sig, NULL, msg, mlen, sk);
	scale_wr_init(&w, out, EXT_MAX);
	if (ext_assemble(&w, &x, pub, EXT_SIG_ED25519, sig, call,
	    calllen) != 0)
		return 0;
	return w.len;
}

/* The account's next nonce as the node reports it, or -1. */
static long
nonce_now(void)
{
	char	ss58[SS58_ADDR_SIZE], params[80], *res = NULL;
	long	n = -1;

	ss58_encode(ss58, sizeof(ss58), pub);
	snprintf(params, sizeof(params), "[\"%s\"]", ss58);
	if (chain_rpc(&srv, "system_accountNextIndex", params, &res) == 0 &&
	    res != NULL)
		n = strtol(res, NULL, 10);
	free(res);
	return n;
}

/* Waits up to 10 s for the block that applies it: 1 when it came. */
static int
nonce_is(long want)
{
	int	i;

	for (i = 0; i < 100; i++) {
		if (nonce_now() == want)
			return 1;
		usleep(100000);
	}
	return 0;
}

/* Waits up to 10 s for the twin to carry the extrinsic's relay. */
static int
twin_updated(void)
{
	struct twin_record	 t;
	uint8_t			 key[TFCHAIN_KEY_TWIN_LEN];
	uint8_t			 val[TWIN_ENCODED_MAX];
	const char		*why;
	size_t			 len;
	int			 i;

	tfchain_key_twin(key, TWIN_ID);
	for (i = 0; i < 100; i++) {
		if (chain_get_storage(&srv, key, sizeof(key), val, sizeof(val),
		    &len) == 1 && twin_decode(&t, val, len, &why) == 0 &&
		    t.has_relay && strcmp(t.relay, RELAY) == 0)
			return 1;
		usleep(100000);
	}
	return 0;
}

/* spec and transaction versions, and the genesis hash. */
static int
read_runtime(void)
{
	char	*res = NULL, *p;
	int	 rc = -1;

	if (chain_rpc(&srv, "state_getRuntimeVersion", "[]", &res) != 0)
		return -1;
	if ((p = strstr(res, "\"specVersion\":")) != NULL)
		spec = (uint32_t)strtoul(p + 14, NULL, 10);
	if ((p = strstr(res, "\"transactionVersion\":")) != NULL)
		txv = (uint32_t)strtoul(p + 21, NULL, 10);
	free(res);
	if (spec == 0 || chain_rpc(&srv, "chain_getBlockHash", "[0]",
	    &res) != 0)
		return -1;
	if (strlen(res) == 68 && hex_decode(genesis, 32, res + 3, 64) == 0)
		rc = 0;
	free(res);
	return rc;
}

static int
setup(void)
{
	struct twin_record	t;
	uint8_t			seed[32];

	unhex(seed, sizeof(seed), BOB_ED_SEED);
	crypto_sign_seed_keypair(pub, sk, seed);
	memset(&t, 0, sizeof(t));
	t.id = TWIN_ID;
	memcpy(t.account, pub, sizeof(t.account));
	if (chain_fund(&srv, pub) != 0 || chain_set_twin(&srv, &t) != 0 ||
	    chain_set_twin_id(&srv, pub, TWIN_ID) != 0)
		return -1;
	return read_runtime();
}

/* A refusal for the signature: the checkpoint is part of what is signed. */
static int
bad_proof(int rc, const char *why)
{
	return rc == 0 && (strstr(why, "badProof") != NULL ||
	    strstr(why, "bad signature") != NULL);
}

static void
test_era(void)
{
	uint8_t		 xc[EXT_MAX], xs[EXT_MAX], xw[EXT_MAX], xf[EXT_MAX];
	uint8_t		 xa[EXT_MAX], h0[32], h1[32], wrong[32], guess[32];
	uint64_t	 b0, b1;
	char		 why[JSONRPC_ERR_MAX];
	size_t		 nc, ns, nw, nf, na;
	int		 rc;

	if (chain_head(&srv, &b0, h0) != 0) {
		ok(0, "cannot read the finalized head");
		return;
	}
	diag("birth block %llu, spec %u, transaction version %u",
	    (unsigned long long)b0, spec, txv);
	memcpy(wrong, h0, sizeof(wrong));
	wrong[31] ^= 1;
	memset(guess, 0x5a, sizeof(guess));
	nc = build(xc, 0, b0, h0);
	ns = build(xs, 1, b0, h0);
	nw = build(xw, 0, b0, wrong);
	nf = build(xf, 0, b0 + 3, guess);
	ok(nc > 0 && ns > 0 && nw > 0 && nf > 0, "four mortal extrinsics "
	    "built from block %llu", (unsigned long long)b0);

	why[0] = '\0';
	rc = chain_submit(&srv, xw, nw, why, sizeof(why));
	ok(bad_proof(rc, why), "a checkpoint that is not block %llu's hash: "
	    "refused (%s)", (unsigned long long)b0, why);

	why[0] = '\0';
	rc = chain_new_blocks(&srv, 3) == 0 ? chain_submit(&srv, xf, nf, why,
	    sizeof(why)) : -1;
	ok(bad_proof(rc, why), "signed ahead for block %llu with a guessed "
	    "hash, submitted once it exists: refused (%s)",
	    (unsigned long long)(b0 + 3), why);

	/* The era's last block: 62 blocks on, the next one includes it. */
	b1 = 0;
	rc = chain_new_blocks(&srv, EXT_ERA_PERIOD - 2 - 3) == 0 &&
	    chain_head(&srv, &b1, h1) == 0 && b1 == b0 + EXT_ERA_PERIOD - 2 ?
	    chain_submit(&srv, xc, nc, why, sizeof(why)) : -1;
	ok(rc == 1, "born at block %llu, submitted at best block %llu: "
	    "accepted", (unsigned long long)b0, (unsigned long long)b1);
	if (rc == 0)
		diag("refused: %s", why);
	ok(twin_updated() && nonce_is(1), "  and applied: twin %u has relay "
	    "%s, the nonce is 1", TWIN_ID, RELAY);

	why[0] = '\0';
	rc = chain_new_blocks(&srv, 2) == 0 ? chain_submit(&srv, xs, ns, why,
	    sizeof(why)) : -1;
	ok(bad_proof(rc, why), "born at block %llu, submitted %d blocks "
	    "later: refused (%s)", (unsigned long long)b0, EXT_ERA_PERIOD + 1,
	    why);

	b1 = 0;
	rc = chain_head(&srv, &b1, h1) == 0 && b1 > b0 + EXT_ERA_PERIOD &&
	    (na = build(xa, 1, b1, h1)) > 0 ? chain_submit(&srv, xa, na, why,
	    sizeof(why)) : -1;
	ok(rc == 1, "the same nonce born at block %llu: accepted",
	    (unsigned long long)b1);
	ok(nonce_is(2), "  and applied: the nonce is 2");
}

int
main(void)
{
	double	t0 = chain_now_s();
	int	rc;

	setvbuf(stdout, NULL, _IOLBF, 0);
	if (sodium_init() < 0)
		return 1;
	if ((rc = chain_begin(&srv)) != -1)
		return rc;
	if (setup() != 0) {
		printf("Bail out! cannot write the twin or read the runtime\n");
		chain_stop(&srv);
		return 1;
	}
	test_era();
	chain_stop(&srv);
	diag("whole test %.1f s", chain_now_s() - t0);
	return done_testing();
}
