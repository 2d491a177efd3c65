/* SPDX-License-Identifier: ISC */
/*
 * keyd's dispatcher on arbitrary frames: the input is cut into frames by
 * their headers and each is handed to keyd_dispatch() with real keys, as
 * netd's channel would.  Malformed requests must be reported (keyd would
 * exit), never crash or read outside the frame.  Whatever netd asks, a
 * token is dated by keyd's clock with "sid":null and an extrinsic is
 * mortal from the block asked: anything else aborts.
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sodium.h>

#include "extrinsic.h"
#include "fuzz.h"
#include "ipc_types.h"
#include "jwt.h"
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
	strcpy(k.relay, "relay.grid.tf");
}

/* The one bytes field of a reply frame, or NULL. */
static const uint8_t *
reply_field(const struct ipc_buf *b, size_t *len)
{
	uint32_t	n;

	if (b->len < IPC_HDR_SIZE + 4)
		return NULL;
	memcpy(&n, b->buf + IPC_HDR_SIZE, 4);
	if (n != b->len - IPC_HDR_SIZE - 4)
		abort();
	*len = n;
	return b->buf + IPC_HDR_SIZE + 4;
}

/* A token of the request's ttl, from now, for no session. */
static void
check_jwt(const struct ipc_msg *req, const struct ipc_buf *b)
{
	struct jwt	 j;
	const uint8_t	*p;
	const char	*err;
	char		 tok[JWT_MAX + 1];
	uint32_t	 ttl;
	size_t		 len;
	uint64_t	 now = (uint64_t)time(NULL);

	if ((p = reply_field(b, &len)) == NULL || len > JWT_MAX)
		abort();
	memcpy(tok, p, len);
	tok[len] = '\0';
	memcpy(&ttl, req->data, 4);
	if (jwt_parse(&j, tok, len, &err) != 0 || j.has_sid ||
	    j.iat + 5 < now || j.iat > now + 5 || j.exp != j.iat + ttl ||
	    ttl > KEYD_JWT_TTL_MAX)
		abort();
}

/* A mortal era, born at the block of the request. */
static void
check_update_twin(const struct ipc_msg *req, const struct ipc_buf *b)
{
	const uint8_t	*p;
	uint64_t	 block;
	size_t		 len, off;

	if ((p = reply_field(b, &len)) == NULL)
		abort();
	/* compact length, 84, 00, account, variant, signature: the era. */
	off = (p[0] & 3) == 0 ? 1 : (p[0] & 3) == 1 ? 2 : 4;
	off += 1 + 1 + 32 + 1 + 64;
	memcpy(&block, req->data + 4 * 4 + 32, 8);
	if (len < off + 2 || p[off] == 0 ||
	    (p[off] | p[off + 1] << 8) != ext_era_mortal(block,
	    EXT_ERA_PERIOD))
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int	 ready;
	struct ipc_msg	 m;
	struct ipc_hdr	 rh;
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
		if (keyd_dispatch(&k, &m, &out) != 0)
			break;		/* keyd would exit here */
		/* The frame just queued answers m unless it is an error. */
		memcpy(&rh, out.wq_tail->buf, sizeof(rh));
		if (rh.type == IPC_KEYD_JWT && m.hdr.type == rh.type &&
		    m.hdr.id == rh.id)
			check_jwt(&m, out.wq_tail);
		if (rh.type == IPC_KEYD_SIGN_UPDATE_TWIN_MORTAL &&
		    m.hdr.type == rh.type && m.hdr.id == rh.id)
			check_update_twin(&m, out.wq_tail);
		off += m.hdr.len;
	}
	/* Drop the replies: nobody reads them. */
	ipc_clear(&out);
	if (ipc_init(&out, -1) != 0)
		abort();
	return 0;
}
