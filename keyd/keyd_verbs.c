/* SPDX-License-Identifier: ISC */
/*
 * The verbs of rmb-keyd.  Each request is decoded completely by its codec
 * (proto/ipc_keyd.h) before anything is computed; a request that is
 * malformed is a broken sibling and ends keyd, one that is well formed but
 * refused gets an IPC_KEYD_ERROR reply and keyd goes on.  A verb's checks
 * run in order and the first that fails names the refusal.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sodium.h>

#include "bip39.h"
#include "envelope.h"
#include "extrinsic.h"
#include "jwt.h"
#include "keyd.h"

int
keyd_init(struct keyd *k)
{
	/* The pallet and call indices come with the configuration. */
	memset(k, 0, sizeof(*k));
	if ((k->s = sodium_malloc(sizeof(*k->s))) == NULL)
		return -1;
	sodium_memzero(k->s, sizeof(*k->s));
	return 0;
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

static int
refuse(struct keyd *k, const struct ipc_msg *req, uint32_t code,
    const char *msg)
{
	struct keyd_error	e = { .code = code };

	snprintf(e.msg, sizeof(e.msg), "%s", msg);
	return keyd_rep_put(k->out, IPC_KEYD_ERROR, req->hdr.id, &e);
}

static int
verb_identity(void *arg, const struct ipc_msg *req)
{
	struct keyd		*k = arg;
	struct keyd_identity	 r;

	if (keyd_req_get(req, IPC_KEYD_IDENTITY, NULL) == -1)
		return -1;
	r.key_type = k->s->id.type;
	memcpy(r.account, k->s->id.account, sizeof(r.account));
	memcpy(r.pk, k->s->e2e.pk, sizeof(r.pk));
	return keyd_rep_put(k->out, IPC_KEYD_IDENTITY, req->hdr.id, &r);
}

static int
verb_set_twin(void *arg, const struct ipc_msg *req)
{
	struct keyd		*k = arg;
	struct keyd_set_twin	 s;

	if (keyd_req_get(req, IPC_KEYD_SET_TWIN, &s) == -1)
		return -1;
	if (s.twin == 0)
		return refuse(k, req, KEYD_ERR_OTHER,
		    "twin id 0 is not a twin");
	if (k->twin != 0 && k->twin != s.twin)
		return refuse(k, req, KEYD_ERR_OTHER,
		    "the twin id is already set and cannot change");
	k->twin = s.twin;
	return keyd_rep_put(k->out, IPC_KEYD_SET_TWIN, req->hdr.id, NULL);
}

/*
 * iat is our own clock and sid is always null: netd cannot date a token
 * into the future nor tie it to a session.
 */
static int
verb_jwt(void *arg, const struct ipc_msg *req)
{
	struct keyd		*k = arg;
	struct keyd_jwt		 j;
	struct keyd_token	 r;
	struct timespec		 now;
	const char		*why;

	if (keyd_req_get(req, IPC_KEYD_JWT, &j) == -1)
		return -1;
	if (k->twin == 0)
		why = "the twin id is not set yet";
	else if (j.ttl == 0 || j.ttl > KEYD_JWT_TTL_MAX)
		why = "the token lifetime must be 1 to 3600 seconds";
	else if (clock_gettime(CLOCK_REALTIME, &now) == -1 || now.tv_sec <= 0)
		why = "the clock cannot be read";
	else if (jwt_build(r.tok, sizeof(r.tok), &k->s->id, k->twin,
	    (uint64_t)now.tv_sec, (uint64_t)now.tv_sec + j.ttl) < 0)
		why = "cannot build the token";
	else
		return keyd_rep_put(k->out, IPC_KEYD_JWT, req->hdr.id, &r);
	return refuse(k, req, KEYD_ERR_OTHER, why);
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
	if (e2e_shared_key(victim->key, &k->s->e2e, pk, pklen) != 0)
		return -1;
	memcpy(victim->pk, pk, pklen);
	victim->pklen = pklen;
	victim->used = ++k->clock;
	*key = victim->key;
	return 0;
}

/* The plaintext goes to netd: plain memory, freed once it is queued. */
static int
verb_open(void *arg, const struct ipc_msg *req)
{
	struct keyd		*k = arg;
	struct keyd_crypt	 c;
	const uint8_t		*key;
	uint8_t			*p;
	size_t			 n;
	int			 rc;

	if (keyd_req_get(req, IPC_KEYD_OPEN, &c) == -1)
		return -1;
	if (shared_key(k, c.pk, c.pklen, &key) != 0)
		return refuse(k, req, KEYD_ERR_CRYPTO,
		    "e2e error: malformed public key");
	if ((p = malloc(c.len + 1)) == NULL ||
	    e2e_open(p, c.len, &n, key, c.data, c.len) != 0)
		rc = refuse(k, req, KEYD_ERR_CRYPTO,
		    "e2e error: invalid cipher data");
	else
		rc = keyd_rep_put(k->out, IPC_KEYD_OPEN, req->hdr.id,
		    &(struct keyd_bytes){ p, n });
	free(p);
	return rc;
}

/*
 * SEAL_SIGN: the checks of an envelope we sign, its plain payload sealed
 * when a key is given, then a copy of it, the cipher in place of the
 * plaintext, signed and packed.  One block as big as the message needs,
 * freed once the reply is queued, holds in its first half the check's
 * copy, then the signed envelope, and the cipher in its second half:
 * each half 256 bytes over the request, room for a signature field, the
 * cipher's E2E_OVERHEAD and longer lengths.  e keeps what
 * envelope__free_unpacked() frees.
 */
static int
verb_seal_sign(void *arg, const struct ipc_msg *req)
{
	struct keyd		*k = arg;
	struct keyd_crypt	 c;
	Envelope		*e = NULL, o;
	const char		*why = NULL;
	const uint8_t		*key;
	uint8_t			 digest[CHALLENGE_BYTES], sig[SIG65_BYTES];
	uint8_t			*out = NULL;
	size_t			 n = 0, half;
	uint32_t		 code = KEYD_ERR_OTHER;
	int			 rc;

	if (keyd_req_get(req, IPC_KEYD_SEAL_SIGN, &c) == -1)
		return -1;
	if (k->twin == 0)
		why = "the twin id is not set yet";
	else if ((out = malloc(2 * (half = c.len + 256))) ==
	    NULL || (e = envelope_unpack_exact(c.data, c.len, out)) == NULL)
		why = "the envelope does not decode";
	else if (e->opt_signature_case == ENVELOPE__OPT_SIGNATURE_SIGNATURE)
		why = "the envelope is already signed";
	else if (e->source == NULL || e->source->twin != k->twin)
		why = "the envelope's source is not our twin";
	else if (e->source->opt_connection_case ==
	    ADDRESS__OPT_CONNECTION_CONNECTION)
		why = "the envelope's source has a connection";
	else if (c.pklen > 0 && e->payload_case != ENVELOPE__PAYLOAD_PLAIN)
		why = "the envelope has no plain payload to seal";
	else if (c.pklen > 0 && (shared_key(k, c.pk, c.pklen, &key) != 0 ||
	    e2e_seal(out + half, half, &n, key, e->plain.data,
	    e->plain.len) != 0)) {
		code = KEYD_ERR_CRYPTO;
		why = "e2e error: malformed public key";
	} else {
		o = *e;
		if (c.pklen > 0) {
			o.payload_case = ENVELOPE__PAYLOAD_CIPHER;
			o.cipher = (ProtobufCBinaryData){ n, out + half };
		}
		envelope_challenge(&o, digest);
		o.opt_signature_case = ENVELOPE__OPT_SIGNATURE_SIGNATURE;
		o.signature = (ProtobufCBinaryData){ sizeof(sig), sig };
		if (identity_sign(&k->s->id, sig, digest, sizeof(digest)) != 0)
			why = "signing failed";
		else if ((n = envelope__get_packed_size(&o)) > ENVELOPE_MAX ||
		    n > half)
			why = "the envelope is too large";
		else
			n = envelope__pack(&o, out);
	}
	envelope__free_unpacked(e, NULL);
	rc = why != NULL ? refuse(k, req, code, why) : keyd_rep_put(k->out,
	    IPC_KEYD_SEAL_SIGN, req->hdr.id, &(struct keyd_bytes){ out, n });
	free(out);
	return rc;
}

/*
 * Only mortal extrinsics: valid for EXT_ERA_PERIOD blocks from a block
 * whose hash netd must know, so nothing can be signed for the future.
 */
static int
verb_update_twin(void *arg, const struct ipc_msg *req)
{
	static const uint8_t	 zero[32];
	struct keyd		*k = arg;
	struct keyd_update_twin	 u;
	struct scale_wr		 w;
	uint8_t			 call[KEYD_CALL_MAX];
	uint8_t			 payload[KEYD_CALL_MAX +
				    EXT_PAYLOAD_OVERHEAD_MAX];
	uint8_t			 tosign[EXT_SIGN_MAX], sig[SIG65_BYTES];
	uint8_t			 ext[KEYD_EXTRINSIC_MAX];
	size_t			 calllen, signlen;

	if (keyd_req_get(req, IPC_KEYD_SIGN_UPDATE_TWIN_MORTAL, &u) == -1)
		return -1;
	/* The runtime's hash of a block it does not know: never a real one. */
	if (memcmp(u.x.checkpoint, zero, sizeof(zero)) == 0)
		return refuse(k, req, KEYD_ERR_OTHER,
		    "the block hash is all zeros");
	/* Born at the block, so the checkpoint is that block's own hash. */
	u.x.era = ext_era_mortal(u.block, EXT_ERA_PERIOD);

	/* The call is ours alone: our relay field and our own pk. */
	scale_wr_init(&w, call, sizeof(call));
	if (tfchain_update_twin_call(&w, k->pallet, k->call,
	    k->relay[0] != '\0' ? k->relay : NULL, k->s->e2e.pk,
	    E2E_PK_BYTES) != 0)
		return refuse(k, req, KEYD_ERR_OTHER,
		    "cannot encode the update_twin call");
	calllen = w.len;
	scale_wr_init(&w, payload, sizeof(payload));
	if (ext_payload(&w, &u.x, call, calllen) != 0)
		return refuse(k, req, KEYD_ERR_OTHER,
		    "cannot encode the signed payload");
	ext_signing_bytes(tosign, &signlen, payload, w.len);
	if (identity_sign(&k->s->id, sig, tosign, signlen) != 0)
		return refuse(k, req, KEYD_ERR_OTHER, "signing failed");
	scale_wr_init(&w, ext, sizeof(ext));
	if (ext_assemble(&w, &u.x, k->s->id.account,
	    k->s->id.type == KEY_ED25519 ? EXT_SIG_ED25519 : EXT_SIG_SR25519,
	    sig + 1, call, calllen) != 0)
		return refuse(k, req, KEYD_ERR_OTHER,
		    "cannot encode the extrinsic");
	return keyd_rep_put(k->out, IPC_KEYD_SIGN_UPDATE_TWIN_MORTAL,
	    req->hdr.id, &(struct keyd_bytes){ ext, w.len });
}

/* The retired types 202, 203, 204 and 206 are unknown, hence fatal. */
const struct proc_handler keyd_verbs[] = {
	PROC_HANDLER(IPC_KEYD_IDENTITY, verb_identity),
	PROC_HANDLER(IPC_KEYD_SET_TWIN, verb_set_twin),
	PROC_HANDLER(IPC_KEYD_SEAL_SIGN, verb_seal_sign),
	PROC_HANDLER(IPC_KEYD_OPEN, verb_open),
	PROC_HANDLER(IPC_KEYD_JWT, verb_jwt),
	PROC_HANDLER(IPC_KEYD_SIGN_UPDATE_TWIN_MORTAL, verb_update_twin),
	PROC_END
};
