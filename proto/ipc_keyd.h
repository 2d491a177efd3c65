/* SPDX-License-Identifier: ISC */
/*
 * The messages of rmb-keyd's two channels: a struct each, its layout
 * beside it, and the layouts as tables (ipc_keyd.c) that
 * common/trusted/ipc_codec.c runs.  Requests go to keyd (KEYD_CONFIG
 * from the parent among them), replies come from keyd (KEYD_ERROR among
 * them); a request's reply has its type and id, or is a KEYD_ERROR.
 * put queues a frame (0, or -1 with errno); get checks the type, every
 * field and its bound and that nothing is left over (0 or -1), and the
 * type it is given names the struct.  Bytes fields point into the
 * frame, valid until the channel is read again.  keyd links this file
 * alone of proto/: nothing here knows netd or apid.
 */
#ifndef RMB_IPC_KEYD_H
#define RMB_IPC_KEYD_H

#include <limits.h>
#include <stddef.h>
#include <stdint.h>

#include "e2e.h"
#include "extrinsic.h"
#include "identity.h"
#include "ipc_codec.h"
#include "ipc_types.h"
#include "jwt.h"
#include "tfchain.h"

extern const struct ipc_layout keyd_requests[], keyd_replies[];
/* The message last, so that it may be a compound literal. */
#define keyd_req_put(c, t, id, ...)	\
	ipc_encode((c), keyd_requests, (t), (id), __VA_ARGS__)
#define keyd_req_get(m, t, p)	ipc_decode((m), keyd_requests, (t), (p))
#define keyd_rep_put(c, t, id, ...)	\
	ipc_encode((c), keyd_replies, (t), (id), __VA_ARGS__)
#define keyd_rep_get(m, t, p)	ipc_decode((m), keyd_replies, (t), (p))

/* Where keyd finds the secret. */
enum keyd_secret_source {
	KEYD_SECRET_FILE = 0,		/* the path in the message */
	KEYD_SECRET_FD = 1,		/* KEYD_SECRET_FILENO, until EOF */
	KEYD_SECRET_CREDENTIALS = 2	/* $CREDENTIALS_DIRECTORY/mnemonic */
};

/*
 * KEYD_CONFIG, parent -> keyd, once, before keyd answers anything:
 *   u32 key type, u32 secret source, str secret file path,
 *   u32 update_twin pallet, u32 call index (each at most 255),
 *   str relay: the chain's relay field as tfchain stores it (at most
 *   TWIN_RELAY_MAX bytes, "" for none; keyd runs twin_relay_check()),
 *   str jail, str user ("" for none).
 */
struct keyd_config {
	uint32_t	key_type;		/* enum key_type */
	uint32_t	source;			/* enum keyd_secret_source */
	char		path[PATH_MAX];
	uint32_t	pallet;
	uint32_t	call;
	char		relay[TWIN_RELAY_MAX + 1];
	char		jail[PATH_MAX];
	char		user[USER_NAME_MAX + 1];
};

/*
 * One bytes field: the reply to SEAL_SIGN, the signed envelope, and to
 * OPEN, the plaintext (at most ENVELOPE_MAX each: a cipher of at most
 * that opens to less); SIGN_UPDATE_TWIN_MORTAL's reply, the extrinsic
 * (at most KEYD_EXTRINSIC_MAX).
 */
struct keyd_bytes {
	const uint8_t	*data;
	size_t		 len;
};

/*
 * IDENTITY, netd -> keyd: empty.  Reply: u32 key type, bytes account
 * (ACCOUNT_BYTES), bytes secp256k1 public key (E2E_PK_BYTES).
 */
struct keyd_identity {
	uint32_t	key_type;		/* enum key_type */
	uint8_t		account[ACCOUNT_BYTES];
	uint8_t		pk[E2E_PK_BYTES];
};

/*
 * SET_TWIN: u32 twin id (keyd refuses 0, and a change once set).
 * Reply: empty.
 */
struct keyd_set_twin {
	uint32_t	twin;
};

/*
 * SEAL_SIGN and OPEN, one layout under two types: bytes peer public key
 * (at most E2E_PK_MAX_BYTES), bytes data (at most ENVELOPE_MAX).  OPEN's
 * data is a cipher, its reply the plaintext.  SEAL_SIGN's data is an
 * unsigned envelope of our twin; with a key, keyd seals its plain
 * payload for that key (the envelope must have one), without (length 0)
 * it leaves the payload alone; either way the reply is the envelope as
 * it leaves, signed: one round trip per outgoing envelope.
 */
struct keyd_crypt {
	const uint8_t	*pk;
	size_t		 pklen;
	const uint8_t	*data;
	size_t		 len;
};

/*
 * JWT: u32 lifetime (keyd refuses all but 1 to KEYD_JWT_TTL_MAX s).
 * keyd sets iat from its own clock, exp = iat + ttl and "sid":null.
 * Reply: str token (below JWT_MAX).
 */
#define KEYD_JWT_TTL_MAX	3600
struct keyd_jwt {
	uint32_t	ttl;
};
struct keyd_token {
	char		tok[JWT_MAX];
};

/*
 * SIGN_UPDATE_TWIN_MORTAL: u32 nonce, u32 spec version, u32 transaction
 * version, bytes genesis hash (32), u64 number of a recent block, bytes
 * that block's hash (32; keyd refuses all zeros), the checkpoint of an
 * era born at that block.  x.era is not sent: keyd sets it.  Reply: a
 * keyd_bytes, the signed update_twin extrinsic of keyd's relay field
 * and pk, mortal from that block for EXT_ERA_PERIOD blocks.
 */
/* The call: indices, Some(relay) and Some(pk) with compact lengths. */
#define KEYD_CALL_MAX		(2 + 3 + TWIN_RELAY_MAX + 3 + E2E_PK_BYTES)
#define KEYD_EXTRINSIC_MAX	(KEYD_CALL_MAX + EXT_OVERHEAD_MAX)
struct keyd_update_twin {
	struct ext_params	x;
	uint64_t		block;
};

/*
 * KEYD_ERROR, keyd -> netd, a refused request: u32 code (as the
 * envelope error codes use them), str message (below KEYD_ERRMSG_MAX).
 */
#define KEYD_ERR_CRYPTO		106
#define KEYD_ERR_OTHER		500
#define KEYD_ERRMSG_MAX		256
struct keyd_error {
	uint32_t	code;
	char		msg[KEYD_ERRMSG_MAX];
};

#endif
