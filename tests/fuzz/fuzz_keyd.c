/* SPDX-License-Identifier: ISC */
/*
 * keyd's verbs on arbitrary frames: the input is cut into frames by
 * their headers and each is handed to keyd's handler table with real
 * keys, as netd's channel would.  Malformed requests must be reported
 * (keyd would exit), never crash or read outside the frame.  Every reply
 * decodes with its codec, and whatever netd asks, a token is dated by
 * keyd's clock with "sid":null, an extrinsic is mortal from the block
 * asked, and a signed envelope is our twin's, carries a cipher when a
 * key was given and verifies: anything else aborts.
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sodium.h>

#include "envelope_check.h"
#include "extrinsic.h"
#include "fuzz.h"
#include "ipc_extra.h"
#include "jwt_parse.h"
#include "keyd.h"

static struct keyd	k;
static struct ipc_chan	out;

static void
setup(void)
{
	const char	*err;
	const char	*secret = "bottom drive obey lake curtain smoke basket "
	    "hold race lonely fit walk";

	if (sodium_init() < 0 || e2e_init() != 0 || keyd_init(&k) != 0 ||
	    keyd_set_secret(&k, KEY_SR25519, secret, strlen(secret),
	    &err) != 0 || ipc_init(&out, -1) != 0)
		abort();
	k.out = &out;
	strcpy(k.relay, "relay.grid.tf");
	k.pallet = TFCHAIN_PALLET_TFGRID;
	k.call = TFCHAIN_CALL_UPDATE_TWIN;
}

/* The frame keyd just queued, as netd would receive it. */
static void
last_reply(struct ipc_msg *m)
{
	if (ipc_last(&out, m) == -1)
		abort();
}

/* A token of the request's ttl, from now, for no session. */
static void
check_jwt(const struct ipc_msg *req, const struct ipc_msg *rep)
{
	struct keyd_token	 t;
	struct keyd_jwt		 q;
	struct jwt		 j;
	const char		*err;
	uint64_t		 now = (uint64_t)time(NULL);

	if (keyd_req_get(req, IPC_KEYD_JWT, &q) == -1 ||
	    keyd_rep_get(rep, IPC_KEYD_JWT, &t) == -1)
		abort();
	if (jwt_parse(&j, t.tok, strlen(t.tok), &err) != 0 || j.has_sid ||
	    j.iat + 5 < now || j.iat > now + 5 || j.exp != j.iat + q.ttl ||
	    q.ttl > KEYD_JWT_TTL_MAX)
		abort();
}

/* A mortal era, born at the block of the request. */
static void
check_update_twin(const struct ipc_msg *req, const struct ipc_msg *rep)
{
	struct keyd_update_twin	 u;
	struct keyd_bytes	 x;
	const uint8_t		*p;
	size_t			 off;

	if (keyd_req_get(req, IPC_KEYD_SIGN_UPDATE_TWIN_MORTAL, &u) == -1 ||
	    keyd_rep_get(rep, IPC_KEYD_SIGN_UPDATE_TWIN_MORTAL, &x) == -1)
		abort();
	p = x.data;
	/* compact length, 84, 00, account, variant, signature: the era. */
	off = (p[0] & 3) == 0 ? 1 : (p[0] & 3) == 1 ? 2 : 4;
	off += 1 + 1 + 32 + 1 + 64;
	if (x.len < off + 2 || p[off] == 0 ||
	    (p[off] | p[off + 1] << 8) != ext_era_mortal(u.block,
	    EXT_ERA_PERIOD))
		abort();
}

/* Our twin's envelope, sealed if a key came with it, signed by us. */
static void
check_seal_sign(const struct ipc_msg *req, const struct ipc_msg *rep)
{
	struct keyd_crypt	 q;
	struct keyd_bytes	 x;
	Envelope		*e;
	const char		*err;

	if (keyd_req_get(req, IPC_KEYD_SEAL_SIGN, &q) == -1 ||
	    keyd_rep_get(rep, IPC_KEYD_SEAL_SIGN, &x) == -1 ||
	    (e = envelope__unpack(NULL, x.len, x.data)) == NULL)
		abort();
	if (e->source == NULL || e->source->twin != k.twin ||
	    (q.pklen > 0 && e->payload_case != ENVELOPE__PAYLOAD_CIPHER) ||
	    envelope_verify(e, k.s->id.account, &err) != 0)
		abort();
	envelope__free_unpacked(e, NULL);
}

/* Whatever keyd answers decodes: the reply of its type, or an error. */
static void
check_reply(const struct ipc_msg *req, const struct ipc_msg *rep)
{
	struct keyd_identity	i;
	struct keyd_bytes	c;
	struct keyd_error	e;
	int			rc = -1;

	if (rep->hdr.id != req->hdr.id)
		abort();
	if (rep->hdr.type == IPC_KEYD_ERROR) {
		if (keyd_rep_get(rep, IPC_KEYD_ERROR, &e) == -1)
			abort();
		return;
	}
	if (rep->hdr.type != req->hdr.type)
		abort();
	switch (rep->hdr.type) {
	case IPC_KEYD_IDENTITY:
		rc = keyd_rep_get(rep, IPC_KEYD_IDENTITY, &i);
		break;
	case IPC_KEYD_SET_TWIN:
		rc = keyd_rep_get(rep, IPC_KEYD_SET_TWIN, NULL);
		break;
	case IPC_KEYD_SEAL_SIGN:
		check_seal_sign(req, rep);
		rc = 0;
		break;
	case IPC_KEYD_OPEN:
		rc = keyd_rep_get(rep, IPC_KEYD_OPEN, &c);
		break;
	case IPC_KEYD_JWT:
		check_jwt(req, rep);
		rc = 0;
		break;
	case IPC_KEYD_SIGN_UPDATE_TWIN_MORTAL:
		check_update_twin(req, rep);
		rc = 0;
		break;
	}
	if (rc == -1)
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int	 ready;
	struct ipc_msg	 m, rep;
	size_t		 off = 0;

	if (!ready) {
		setup();
		ready = 1;
	}
	k.twin = 0;
	while (size - off >= IPC_HDR_SIZE) {
		memcpy(&m.hdr, data + off, sizeof(m.hdr));
		if (m.hdr.len < IPC_HDR_SIZE || m.hdr.len > size - off)
			break;
		m.data = data + off + IPC_HDR_SIZE;
		m.datalen = m.hdr.len - IPC_HDR_SIZE;
		if (proc_dispatch(keyd_verbs, &k, &m) != 0)
			break;		/* keyd would exit here */
		last_reply(&rep);
		check_reply(&m, &rep);
		off += m.hdr.len;
	}
	/* Drop the replies: nobody reads them. */
	ipc_clear(&out);
	if (ipc_init(&out, -1) != 0)
		abort();
	return 0;
}
