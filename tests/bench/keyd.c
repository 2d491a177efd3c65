/* SPDX-License-Identifier: ISC */
/*
 * What the process boundary costs: requests to a real rmb-keyd over its
 * socketpair, one at a time (median latency) and 64 in flight
 * (throughput), beside the same crypto in process (tests/bench/crypto).
 * Run from the build directory (or set top_builddir).  Prints only.
 */
#include <sys/stat.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <sodium.h>

#include "bench.h"
#include "envelope.h"
#include "keyd_client.h"

#define RUNS		2001
#define INFLIGHT	64
#define BATCHES		200

static uint8_t	 env_buf[2048];
static size_t	 env_len;
static uint8_t	 plain[1024], cipher[1024 + 28];
static size_t	 cipher_len;
static uint8_t	 peer_pk[E2E_PK_BYTES];
static double	 samples[RUNS];

/* SEAL_SIGN without a key: what an envelope to a twin without one costs. */
#define SIGN_ONLY	0

/* Queues one request of type on netd's channel. */
static void
request(struct kd *k, uint32_t type)
{
	uint32_t	id = kd_next(k);
	int		rc = -1;

	switch (type) {
	case SIGN_ONLY:
		rc = keyd_req_put(&k->netd, IPC_KEYD_SEAL_SIGN, id,
		    &(struct keyd_crypt){ NULL, 0, env_buf, env_len });
		break;
	case IPC_KEYD_SEAL_SIGN:
		rc = keyd_req_put(&k->netd, type, id, &(struct keyd_crypt){
		    peer_pk, sizeof(peer_pk), env_buf, env_len });
		break;
	case IPC_KEYD_OPEN:
		rc = keyd_req_put(&k->netd, type, id, &(struct keyd_crypt){
		    peer_pk, sizeof(peer_pk), cipher, cipher_len });
		break;
	case IPC_KEYD_JWT:
		rc = keyd_req_put(&k->netd, type, id,
		    &(struct keyd_jwt){ 300 });
		break;
	}
	if (rc == -1)
		exit(1);
}

static void
bench(struct kd *k, const char *name, uint32_t type)
{
	struct ipc_msg	r;
	double		t0, med, total;
	int		i, j, got;

	for (i = 0; i < RUNS; i++) {
		t0 = now_us();
		request(k, type);
		if (kd_reply(k, &r) != (int)(type == SIGN_ONLY ?
		    IPC_KEYD_SEAL_SIGN : type)) {
			fprintf(stderr, "%s: keyd refused\n", name);
			exit(1);
		}
		samples[i] = now_us() - t0;
	}
	med = median(samples, RUNS);

	/* Pipelined: 64 requests queued, then their 64 replies. */
	t0 = now_us();
	for (i = 0; i < BATCHES; i++) {
		for (j = 0; j < INFLIGHT; j++)
			request(k, type);
		if (ipc_flush(&k->netd) == -1)
			exit(1);
		for (got = 0; got < INFLIGHT;) {
			while (got < INFLIGHT && ipc_next(&k->netd, &r) == 1)
				got++;
			if (got < INFLIGHT && ipc_read(&k->netd) <= 0)
				exit(1);
		}
	}
	total = now_us() - t0;
	printf("%-34s %9.1f us median, 1 in flight %9.0f/s, "
	    "%d in flight %9.0f/s\n", name, med, 1e6 / med, INFLIGHT,
	    BATCHES * INFLIGHT / (total / 1e6));
}

int
main(void)
{
	static const char *types[] = { "ed25519", "sr25519" };
	struct kd_opts		o;
	struct kd		k;
	struct ipc_msg		r;
	struct keyd_identity	me;
	struct keyd_bytes	sealed;
	Envelope		e, *back;
	Address			src, dst;
	Request			req;
	char			jail[] = "/tmp/bench_keyd.XXXXXX";
	char			name[64];
	int			t;

	if (sodium_init() < 0 || mkdtemp(jail) == NULL)
		return 1;
	chmod(jail, 0755);
	randombytes_buf(plain, sizeof(plain));
	envelope__init(&e);
	address__init(&src);
	address__init(&dst);
	request__init(&req);
	src.twin = 7;
	dst.twin = 12;
	req.command = (char *)"zos.system.version";
	e.uid = (char *)"8f9e7c9a-4b1e-4d2a-9a55-0a1b2c3d4e5f";
	e.timestamp = 1700000000;
	e.expiration = 300;
	e.source = &src;
	e.destination = &dst;
	e.message_case = ENVELOPE__MESSAGE_REQUEST;
	e.request = &req;
	e.payload_case = ENVELOPE__PAYLOAD_PLAIN;
	e.plain.data = plain;
	e.plain.len = sizeof(plain);
	env_len = envelope__pack(&e, env_buf);

	printf("rmb-keyd round trips over its socketpair (%s)\n", kd_path());
	for (t = 0; t < 2; t++) {
		memset(&o, 0, sizeof(o));
		o.key_type = t == 0 ? KEY_ED25519 : KEY_SR25519;
		o.secret = "bottom drive obey lake curtain smoke basket hold "
		    "race lonely fit walk";
		o.source = KEYD_SECRET_FD;
		o.domains[0] = "relay.grid.tf";
		if (geteuid() == 0) {
			o.jail = jail;
			o.user = "nobody";
		}
		if (kd_start(&k, &o) != 0)
			return 1;
		if (keyd_req_put(&k.netd, IPC_KEYD_SET_TWIN, kd_next(&k),
		    &(struct keyd_set_twin){ 7 }) == -1 ||
		    kd_reply(&k, &r) != IPC_KEYD_SET_TWIN)
			return 1;
		/* Our own pk as the peer's: ECDH with ourselves is fine. */
		if (keyd_req_put(&k.netd, IPC_KEYD_IDENTITY, kd_next(&k),
		    NULL) == -1 || kd_reply(&k, &r) != IPC_KEYD_IDENTITY ||
		    keyd_rep_get(&r, IPC_KEYD_IDENTITY, &me) == -1)
			return 1;
		memcpy(peer_pk, me.pk, sizeof(peer_pk));
		/* The cipher to open, from a sealed envelope. */
		request(&k, IPC_KEYD_SEAL_SIGN);
		if (kd_reply(&k, &r) != IPC_KEYD_SEAL_SIGN ||
		    keyd_rep_get(&r, IPC_KEYD_SEAL_SIGN, &sealed) == -1 ||
		    (back = envelope__unpack(NULL, sealed.len,
		    sealed.data)) == NULL ||
		    back->payload_case != ENVELOPE__PAYLOAD_CIPHER ||
		    back->cipher.len > sizeof(cipher))
			return 1;
		cipher_len = back->cipher.len;
		memcpy(cipher, back->cipher.data, cipher_len);
		envelope__free_unpacked(back, NULL);

		snprintf(name, sizeof(name), "sign 1 KiB envelope (%s)",
		    types[t]);
		bench(&k, name, SIGN_ONLY);
		snprintf(name, sizeof(name), "seal and sign 1 KiB (%s)",
		    types[t]);
		bench(&k, name, IPC_KEYD_SEAL_SIGN);
		snprintf(name, sizeof(name), "make JWT (%s)", types[t]);
		bench(&k, name, IPC_KEYD_JWT);
		if (t == 0)
			bench(&k, "open 1 KiB (cached ECDH key)",
			    IPC_KEYD_OPEN);
		kd_stop(&k);
	}
	rmdir(jail);
	return 0;
}
