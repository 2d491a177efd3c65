/* SPDX-License-Identifier: ISC */
/*
 * Per-operation cost of the crypto every envelope pays: the median of many
 * timed runs of each operation, in microseconds.  Later benchmarks (relay,
 * peer) are read against these figures.  Prints; asserts nothing.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sodium.h>

#include "aesgcm.h"
#include "bip39.h"
#include "e2e.h"
#include "bench.h"
#include "envelope_check.h"
#include "identity.h"
#include "jwt.h"
#include "sig_verify.h"

#define RUNS	2001

static double samples[RUNS];

struct ctx {
	struct identity	 ed, sr;
	struct e2e_key	 k1, k2;
	uint8_t		 key[32];
	uint8_t		 digest[16];
	uint8_t		 sig_ed[SIG65_BYTES], sig_sr[SIG65_BYTES];
	uint8_t		 plain[1024], cipher[1024 + E2E_OVERHEAD];
	uint8_t		 out[1024 + E2E_OVERHEAD];
	size_t		 clen;
	Envelope	 env;
	Address		 src, dst;
	Request		 req;
	uint8_t		 envsig[SIG65_BYTES];
	uint8_t		 entropy[16];
};

static void
run(const char *name, int runs, void (*fn)(struct ctx *), struct ctx *c)
{
	double	t0, med;
	int	i;

	for (i = 0; i < 10; i++)
		fn(c);
	for (i = 0; i < runs; i++) {
		t0 = now_us();
		fn(c);
		samples[i] = now_us() - t0;
	}
	med = median(samples, (size_t)runs);
	printf("%-44s %10.2f us %12.0f ops/s\n", name, med, 1e6 / med);
}

static void
ed_sign(struct ctx *c)
{
	identity_sign(&c->ed, c->sig_ed, c->digest, sizeof(c->digest));
}

static void
ed_verify(struct ctx *c)
{
	const char	*err;

	if (sig_verify(c->ed.account, c->sig_ed, SIG65_BYTES, c->digest,
	    sizeof(c->digest), &err) != 0)
		abort();
}

static void
sr_sign(struct ctx *c)
{
	identity_sign(&c->sr, c->sig_sr, c->digest, sizeof(c->digest));
}

static void
sr_verify(struct ctx *c)
{
	const char	*err;

	if (sig_verify(c->sr.account, c->sig_sr, SIG65_BYTES, c->digest,
	    sizeof(c->digest), &err) != 0)
		abort();
}

/* What sr25519 verification spends on the key alone. */
static void
sr_key_check(struct ctx *c)
{
	if (crypto_core_ristretto255_is_valid_point(c->sr.account) != 1)
		abort();
}

static void
ecdh(struct ctx *c)
{
	if (e2e_shared_key(c->key, &c->k1, c->k2.pk, E2E_PK_BYTES) != 0)
		abort();
}

static void
seal(struct ctx *c)
{
	if (e2e_seal(c->cipher, sizeof(c->cipher), &c->clen, c->key,
	    c->plain, sizeof(c->plain)) != 0)
		abort();
}

static void
open_(struct ctx *c)
{
	size_t	n;

	if (e2e_open(c->out, sizeof(c->out), &n, c->key, c->cipher,
	    c->clen) != 0)
		abort();
}

static void
env_sign_ed(struct ctx *c)
{
	envelope_sign(&c->env, &c->ed, c->envsig);
}

static void
env_sign_sr(struct ctx *c)
{
	envelope_sign(&c->env, &c->sr, c->envsig);
}

static void
env_verify_sr(struct ctx *c)
{
	const char	*err;

	if (envelope_verify(&c->env, c->sr.account, &err) != 0)
		abort();
}

static void
jwt(struct ctx *c)
{
	char	tok[JWT_MAX];

	if (jwt_build(tok, sizeof(tok), &c->sr, 7, 1700000000,
	    1700000300) < 0)
		abort();
}

static void
mnemonic(struct ctx *c)
{
	uint8_t	seed[32];

	bip39_substrate_seed(seed, c->entropy, sizeof(c->entropy));
}

int
main(void)
{
	static struct ctx	c;
	uint8_t			seed[32];

	if (sodium_init() < 0 || e2e_init() != 0)
		return 1;
	randombytes_buf(seed, sizeof(seed));
	identity_from_seed(&c.ed, KEY_ED25519, seed);
	identity_from_seed(&c.sr, KEY_SR25519, seed);
	if (e2e_key_from_seed(&c.k1, seed) != 0)
		return 1;
	seed[0] ^= 1;
	if (e2e_key_from_seed(&c.k2, seed) != 0)
		return 1;
	randombytes_buf(c.digest, sizeof(c.digest));
	randombytes_buf(c.plain, sizeof(c.plain));
	randombytes_buf(c.entropy, sizeof(c.entropy));
	ecdh(&c);
	seal(&c);

	envelope__init(&c.env);
	address__init(&c.src);
	address__init(&c.dst);
	request__init(&c.req);
	c.src.twin = 7;
	c.dst.twin = 12;
	c.req.command = (char *)"zos.system.version";
	c.env.uid = (char *)"8f9e7c9a-4b1e-4d2a-9a55-0a1b2c3d4e5f";
	c.env.timestamp = 1700000000;
	c.env.expiration = 300;
	c.env.source = &c.src;
	c.env.destination = &c.dst;
	c.env.message_case = ENVELOPE__MESSAGE_REQUEST;
	c.env.request = &c.req;
	c.env.payload_case = ENVELOPE__PAYLOAD_CIPHER;
	c.env.cipher.data = c.cipher;
	c.env.cipher.len = c.clen;

	printf("rmb crypto benchmark: median of %d runs per operation\n", RUNS);
	run("ed25519 sign (16-byte digest)", RUNS, ed_sign, &c);
	run("ed25519 verify", RUNS, ed_verify, &c);
	run("sr25519 sign (16-byte digest)", RUNS, sr_sign, &c);
	run("sr25519 verify", RUNS, sr_verify, &c);
	run("sr25519 public key check (ristretto255)", RUNS, sr_key_check, &c);
	run("secp256k1 ECDH -> shared key", RUNS, ecdh, &c);
	run("seal 1 KiB (AES-256-GCM)", RUNS, seal, &c);
	run("open 1 KiB", RUNS, open_, &c);
	run("challenge + ed25519 sign, 1 KiB envelope", RUNS, env_sign_ed, &c);
	run("challenge + sr25519 sign, 1 KiB envelope", RUNS, env_sign_sr, &c);
	run("challenge + sr25519 verify, 1 KiB envelope", RUNS, env_verify_sr,
	    &c);
	run("JWT build (sr25519)", RUNS, jwt, &c);
	run("mnemonic -> seed (PBKDF2, 2048 rounds)", 201, mnemonic, &c);
	identity_wipe(&c.ed);
	identity_wipe(&c.sr);
	e2e_key_wipe(&c.k1);
	e2e_key_wipe(&c.k2);
	return 0;
}
