/* SPDX-License-Identifier: ISC */
/*
 * The verbs of rmb-keyd.  Each request is parsed completely (every field,
 * then nothing left over) before anything is computed; a request that is
 * malformed is a broken sibling and ends keyd, one that is well formed but
 * refused gets an IPC_KEYD_ERROR reply and keyd goes on.
 */
#include <string.h>
#include <time.h>

#include <sodium.h>

#include "bip39.h"
#include "envelope.h"
#include "extrinsic.h"
#include "ipc_types.h"
#include "jwt.h"
#include "keyd.h"

int
keyd_init(struct keyd *k)
{
	memset(k, 0, sizeof(*k));
	k->pallet = TFCHAIN_PALLET_TFGRID;
	k->call = TFCHAIN_CALL_UPDATE_TWIN;
	if ((k->s = sodium_malloc(sizeof(*k->s))) == NULL ||
	    (k->scratch = sodium_malloc(IPC_MAX)) == NULL)
		return -1;
	sodium_memzero(k->s, sizeof(*k->s));
	return 0;
}

void
keyd_free(struct keyd *k)
{
	sodium_free(k->s);
	sodium_free(k->scratch);
	k->s = NULL;
	k->scratch = NULL;
}

int
keyd_set_secret(struct keyd *k, enum key_type type, const char *secret,
    size_t len, const char **err)
{
	uint8_t	seed[SEED_BYTES];
	int	rc = -1;

	if (secret_to_seed(seed, secret, len, err) != 0)
		return -1;
	if (e2e_key_from_seed(&k->s->e2e, seed) != 0)
		*err = "the seed is outside the secp256k1 range";
	else if (identity_from_seed(&k->s->id, type, seed) != 0)
		*err = "cannot derive the signing key";
	else
		rc = 0;
	sodium_memzero(seed, sizeof(seed));
	return rc;
}

/* ipc_close() fails, and frees, a frame whose adds failed: one check. */
static int
refuse(struct ipc_chan *out, uint32_t id, uint32_t code, const char *msg)
{
	struct ipc_buf	*b = ipc_create(IPC_KEYD_ERROR, id, 64);

	ipc_put_u32(b, code);
	ipc_put_str(b, msg);
	return ipc_close(out, b);
}

/* A reply of one bytes field. */
static int
reply_bytes(struct ipc_chan *out, const struct ipc_msg *req, const void *p,
    size_t len)
{
	struct ipc_buf	*b = ipc_create(req->hdr.type, req->hdr.id, len + 8);

	ipc_put_bytes(b, p, len);
	return ipc_close(out, b);
}

static int
verb_identity(struct keyd *k, struct ipc_rd *rd, const struct ipc_msg *req,
    struct ipc_chan *out)
{
	struct ipc_buf	*b;

	if (ipc_get_end(rd) != 0)
		return -1;
	b = ipc_create(req->hdr.type, req->hdr.id, 96);
	ipc_put_u32(b, k->s->id.type);
	ipc_put_bytes(b, k->s->id.account, ACCOUNT_BYTES);
	ipc_put_bytes(b, k->s->e2e.pk, E2E_PK_BYTES);
	return ipc_close(out, b);
}

static int
verb_set_twin(struct keyd *k, struct ipc_rd *rd, const struct ipc_msg *req,
    struct ipc_chan *out)
{
	uint32_t	twin;

	if (ipc_get_u32(rd, &twin) == -1 || ipc_get_end(rd) != 0)
		return -1;
	if (twin == 0)
		return refuse(out, req->hdr.id, KEYD_ERR_OTHER,
		    "twin id 0 is not a twin");
	if (k->twin != 0 && k->twin != twin)
		return refuse(out, req->hdr.id, KEYD_ERR_OTHER,
		    "the twin id is already set and cannot change");
	k->twin = twin;
	return ipc_compose(out, req->hdr.type, req->hdr.id, NULL, 0);
}

static int
verb_sign_envelope(struct keyd *k, struct ipc_rd *rd,
    const struct ipc_msg *req, struct ipc_chan *out)
{
	const uint8_t	*p;
	const char	*why = NULL;
	Envelope	*e;
	uint8_t		 digest[CHALLENGE_BYTES], sig[SIG65_BYTES];
	size_t		 len;

	if (ipc_get_bytes(rd, &p, &len, ENVELOPE_MAX) == -1 ||
	    ipc_get_end(rd) != 0)
		return -1;
	if (k->twin == 0)
		return refuse(out, req->hdr.id, KEYD_ERR_OTHER,
		    "the twin id is not set yet");
	if ((e = envelope_unpack(p, len)) == NULL)
		return refuse(out, req->hdr.id, KEYD_ERR_OTHER,
		    "the envelope does not decode");
	if (e->opt_signature_case == ENVELOPE__OPT_SIGNATURE_SIGNATURE)
		why = "the envelope is already signed";
	else if (e->source == NULL || e->source->twin != k->twin)
		why = "the envelope's source is not our twin";
	else if (e->source->opt_connection_case ==
	    ADDRESS__OPT_CONNECTION_CONNECTION)
		why = "the envelope's source has a connection";
	if (why == NULL)
		envelope_challenge(e, digest);
	envelope__free_unpacked(e, NULL);
	if (why != NULL)
		return refuse(out, req->hdr.id, KEYD_ERR_OTHER, why);
	if (identity_sign(&k->s->id, sig, digest, sizeof(digest)) != 0)
		return refuse(out, req->hdr.id, KEYD_ERR_OTHER,
		    "signing failed");
	return reply_bytes(out, req, sig, sizeof(sig));
}

/*
 * iat is our own clock and sid is always null: netd cannot date a token
 * into the future nor tie it to a session.
 */
static int
verb_jwt(struct keyd *k, struct ipc_rd *rd, const struct ipc_msg *req,
    struct ipc_chan *out)
{
	struct timespec	 now;
	char		 tok[JWT_MAX];
	uint64_t	 iat;
	uint32_t	 ttl;
	int		 n;

	if (ipc_get_u32(rd, &ttl) == -1 || ipc_get_end(rd) != 0)
		return -1;
	if (k->twin == 0)
		return refuse(out, req->hdr.id, KEYD_ERR_OTHER,
		    "the twin id is not set yet");
	if (ttl == 0 || ttl > KEYD_JWT_TTL_MAX)
		return refuse(out, req->hdr.id, KEYD_ERR_OTHER,
		    "the token lifetime must be 1 to 3600 seconds");
	if (clock_gettime(CLOCK_REALTIME, &now) == -1 || now.tv_sec <= 0)
		return refuse(out, req->hdr.id, KEYD_ERR_OTHER,
		    "the clock cannot be read");
	iat = (uint64_t)now.tv_sec;
	if ((n = jwt_build(tok, sizeof(tok), &k->s->id, k->twin, NULL, iat,
	    iat + ttl)) < 0)
		return refuse(out, req->hdr.id, KEYD_ERR_OTHER,
		    "cannot build the token");
	return reply_bytes(out, req, tok, (size_t)n);
}

/* The shared key with peer_pk, from the cache or a fresh ECDH. */
static int
shared_key(struct keyd *k, const uint8_t *pk, size_t pklen,
    const uint8_t **key)
{
	struct keyd_lru_entry	*e, *victim = &k->s->lru[0];
	size_t			 i;

	for (i = 0; i < KEYD_LRU_SIZE; i++) {
		e = &k->s->lru[i];
		if (e->used != 0 && e->pklen == pklen &&
		    memcmp(e->pk, pk, pklen) == 0) {
			e->used = ++k->clock;
			*key = e->key;
			return 0;
		}
		if (e->used < victim->used)
			victim = e;
	}
	if (pklen > sizeof(victim->pk) ||
	    e2e_shared_key(victim->key, &k->s->e2e, pk, pklen) != 0)
		return -1;
	memcpy(victim->pk, pk, pklen);
	victim->pklen = pklen;
	victim->used = ++k->clock;
	*key = victim->key;
	return 0;
}

static int
verb_seal_open(struct keyd *k, struct ipc_rd *rd, const struct ipc_msg *req,
    struct ipc_chan *out)
{
	const uint8_t	*pk, *in, *key;
	size_t		 pklen, len, n;
	int		 rc;

	if (ipc_get_bytes(rd, &pk, &pklen, E2E_PK_MAX_BYTES) == -1 ||
	    ipc_get_bytes(rd, &in, &len, ENVELOPE_MAX) == -1 ||
	    ipc_get_end(rd) != 0)
		return -1;
	if (shared_key(k, pk, pklen, &key) != 0)
		return refuse(out, req->hdr.id, KEYD_ERR_CRYPTO,
		    "e2e error: malformed public key");
	if (req->hdr.type == IPC_KEYD_SEAL)
		rc = e2e_seal(k->scratch, IPC_MAX, &n, key, in, len);
	else
		rc = e2e_open(k->scratch, IPC_MAX, &n, key, in, len);
	if (rc != 0)
		return refuse(out, req->hdr.id, KEYD_ERR_CRYPTO,
		    "e2e error: invalid cipher data");
	rc = reply_bytes(out, req, k->scratch, n);
	sodium_memzero(k->scratch, n);
	return rc;
}

/*
 * Only mortal extrinsics: valid for EXT_ERA_PERIOD blocks from a block
 * whose hash netd must know, so nothing can be signed for the future.
 */
static int
verb_sign_update_twin(struct keyd *k, struct ipc_rd *rd,
    const struct ipc_msg *req, struct ipc_chan *out)
{
	static const uint8_t	 zero[32];
	struct ext_params	 x;
	struct scale_wr		 w;
	const uint8_t		*genesis, *hash;
	uint8_t			 call[2 + 3 + TWIN_RELAY_MAX + 3 + E2E_PK_BYTES];
	uint8_t			 payload[sizeof(call) + EXT_PAYLOAD_OVERHEAD_MAX];
	uint8_t			 tosign[EXT_SIGN_MAX], sig[SIG65_BYTES];
	uint8_t			 ext[sizeof(call) + EXT_OVERHEAD_MAX];
	uint64_t		 block;
	size_t			 calllen, signlen, glen, hlen;

	if (ipc_get_u32(rd, &x.nonce) == -1 ||
	    ipc_get_u32(rd, &x.spec_version) == -1 ||
	    ipc_get_u32(rd, &x.tx_version) == -1 ||
	    ipc_get_bytes(rd, &genesis, &glen, sizeof(x.genesis)) == -1 ||
	    glen != sizeof(x.genesis) || ipc_get_u64(rd, &block) == -1 ||
	    ipc_get_bytes(rd, &hash, &hlen, sizeof(x.checkpoint)) == -1 ||
	    hlen != sizeof(x.checkpoint) || ipc_get_end(rd) != 0)
		return -1;
	/* The runtime's hash of a block it does not know: never a real one. */
	if (memcmp(hash, zero, sizeof(zero)) == 0)
		return refuse(out, req->hdr.id, KEYD_ERR_OTHER,
		    "the block hash is all zeros");
	memcpy(x.genesis, genesis, sizeof(x.genesis));
	/* Born at block, so the checkpoint is that block's own hash. */
	x.era = ext_era_mortal(block, EXT_ERA_PERIOD);
	memcpy(x.checkpoint, hash, sizeof(x.checkpoint));

	/* The call is ours alone: our relay domains and our own pk. */
	scale_wr_init(&w, call, sizeof(call));
	if (tfchain_update_twin_call(&w, k->pallet, k->call,
	    k->relay[0] != '\0' ? k->relay : NULL, k->s->e2e.pk,
	    E2E_PK_BYTES) != 0)
		return refuse(out, req->hdr.id, KEYD_ERR_OTHER,
		    "cannot encode the update_twin call");
	calllen = w.len;
	scale_wr_init(&w, payload, sizeof(payload));
	if (ext_payload(&w, &x, call, calllen) != 0)
		return refuse(out, req->hdr.id, KEYD_ERR_OTHER,
		    "cannot encode the signed payload");
	ext_signing_bytes(tosign, &signlen, payload, w.len);
	if (identity_sign(&k->s->id, sig, tosign, signlen) != 0)
		return refuse(out, req->hdr.id, KEYD_ERR_OTHER,
		    "signing failed");
	scale_wr_init(&w, ext, sizeof(ext));
	if (ext_assemble(&w, &x, k->s->id.account,
	    k->s->id.type == KEY_ED25519 ? EXT_SIG_ED25519 : EXT_SIG_SR25519,
	    sig + 1, call, calllen) != 0)
		return refuse(out, req->hdr.id, KEYD_ERR_OTHER,
		    "cannot encode the extrinsic");
	return reply_bytes(out, req, ext, w.len);
}

int
keyd_dispatch(struct keyd *k, const struct ipc_msg *req, struct ipc_chan *out)
{
	struct ipc_rd	rd;

	ipc_rd_init(&rd, req);
	switch (req->hdr.type) {
	case IPC_KEYD_IDENTITY:
		return verb_identity(k, &rd, req, out);
	case IPC_KEYD_SET_TWIN:
		return verb_set_twin(k, &rd, req, out);
	case IPC_KEYD_SIGN_ENVELOPE:
		return verb_sign_envelope(k, &rd, req, out);
	case IPC_KEYD_JWT:
		return verb_jwt(k, &rd, req, out);
	case IPC_KEYD_SEAL:
	case IPC_KEYD_OPEN:
		return verb_seal_open(k, &rd, req, out);
	case IPC_KEYD_SIGN_UPDATE_TWIN_MORTAL:
		return verb_sign_update_twin(k, &rd, req, out);
	default:		/* retired types (203, 206) too */
		return -1;
	}
}
