/* SPDX-License-Identifier: ISC */
/*
 * The messages of rmb-keyd's two channels, each a struct with its layout
 * beside it and one put/get pair.  put queues the frame on a channel
 * (ipc_close() semantics: 0, or -1 with errno).  get checks the type,
 * every field and its bounds, and that nothing is left over, and
 * returns 0 or -1; bytes fields point into the frame, valid until the
 * channel is read again.  A request's reply has its type and id, or is
 * a KEYD_ERROR.  keyd links this file alone of proto/: nothing here
 * knows netd or apid.
 */
#ifndef RMB_IPC_KEYD_H
#define RMB_IPC_KEYD_H

#include <limits.h>
#include <stddef.h>
#include <stdint.h>

#include "e2e.h"
#include "extrinsic.h"
#include "identity.h"
#include "ipc.h"
#include "ipc_types.h"
#include "tfchain.h"

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
 *   u32 ndomains (at most RELAYS_MAX), ndomains x str relay domain
 *   (relay_domain_check), str jail, str user ("" for none).
 */
struct keyd_config {
	uint32_t	key_type;		/* enum key_type */
	uint32_t	source;			/* enum keyd_secret_source */
	char		path[PATH_MAX];
	uint32_t	pallet;
	uint32_t	call;
	size_t		ndomains;
	char		domains[RELAYS_MAX][RELAY_DOMAIN_MAX + 1];
	char		jail[PATH_MAX];
	char		user[USER_NAME_MAX + 1];
};
int	keyd_config_put(struct ipc_chan *, const struct keyd_config *);
int	keyd_config_get(const struct ipc_msg *, struct keyd_config *);

/*
 * IDENTITY, netd -> keyd: empty.  Reply: u32 key type, bytes account
 * (ACCOUNT_BYTES), bytes secp256k1 public key (E2E_PK_BYTES).
 */
int	keyd_identity_req_put(struct ipc_chan *, uint32_t id);
int	keyd_identity_req_get(const struct ipc_msg *);
struct keyd_identity {
	uint32_t	key_type;		/* enum key_type */
	uint8_t		account[ACCOUNT_BYTES];
	uint8_t		pk[E2E_PK_BYTES];
};
int	keyd_identity_put(struct ipc_chan *, uint32_t id,
	    const struct keyd_identity *);
int	keyd_identity_get(const struct ipc_msg *, struct keyd_identity *);

/*
 * SET_TWIN: u32 twin id (keyd refuses 0, and a change once set).
 * Reply: empty.
 */
struct keyd_set_twin {
	uint32_t	twin;
};
int	keyd_set_twin_put(struct ipc_chan *, uint32_t id,
	    const struct keyd_set_twin *);
int	keyd_set_twin_get(const struct ipc_msg *, struct keyd_set_twin *);
int	keyd_set_twin_rep_put(struct ipc_chan *, uint32_t id);
int	keyd_set_twin_rep_get(const struct ipc_msg *);

/*
 * SIGN_ENVELOPE: bytes envelope, unsigned (at most ENVELOPE_MAX).
 * Reply: bytes signature (SIG65_BYTES).
 */
struct keyd_sign {
	const uint8_t	*env;
	size_t		 len;
};
int	keyd_sign_put(struct ipc_chan *, uint32_t id, const struct keyd_sign *);
int	keyd_sign_get(const struct ipc_msg *, struct keyd_sign *);
struct keyd_signature {
	uint8_t		sig[SIG65_BYTES];
};
int	keyd_signature_put(struct ipc_chan *, uint32_t id,
	    const struct keyd_signature *);
int	keyd_signature_get(const struct ipc_msg *, struct keyd_signature *);

/*
 * SEAL and OPEN, one layout under two types: bytes peer public key (at
 * most E2E_PK_MAX_BYTES), bytes plaintext or cipher (at most
 * ENVELOPE_MAX).  Reply: bytes cipher or plaintext (at most
 * KEYD_CRYPT_MAX).
 */
#define KEYD_CRYPT_MAX	(ENVELOPE_MAX + E2E_OVERHEAD)
struct keyd_crypt {
	uint32_t	 type;			/* IPC_KEYD_SEAL or _OPEN */
	const uint8_t	*pk;
	size_t		 pklen;
	const uint8_t	*data;
	size_t		 len;
};
int	keyd_crypt_put(struct ipc_chan *, uint32_t id, const struct keyd_crypt *);
int	keyd_crypt_get(const struct ipc_msg *, struct keyd_crypt *);
struct keyd_crypted {
	uint32_t	 type;			/* the request's */
	const uint8_t	*data;
	size_t		 len;
};
int	keyd_crypted_put(struct ipc_chan *, uint32_t id,
	    const struct keyd_crypted *);
int	keyd_crypted_get(const struct ipc_msg *, struct keyd_crypted *);

/*
 * JWT: u32 lifetime (keyd refuses all but 1 to KEYD_JWT_TTL_MAX s).
 * keyd sets iat from its own clock, exp = iat + ttl and "sid":null.
 * Reply: bytes token (below JWT_MAX).
 */
#define KEYD_JWT_TTL_MAX	3600
struct keyd_jwt {
	uint32_t	ttl;
};
int	keyd_jwt_put(struct ipc_chan *, uint32_t id, const struct keyd_jwt *);
int	keyd_jwt_get(const struct ipc_msg *, struct keyd_jwt *);
struct keyd_token {
	const char	*tok;			/* not NUL-terminated */
	size_t		 len;
};
int	keyd_token_put(struct ipc_chan *, uint32_t id, const struct keyd_token *);
int	keyd_token_get(const struct ipc_msg *, struct keyd_token *);

/*
 * SIGN_UPDATE_TWIN_MORTAL: u32 nonce, u32 spec version, u32 transaction
 * version, bytes genesis hash (32), u64 number of a recent block, bytes
 * that block's hash (32; keyd refuses all zeros).  Reply: bytes the
 * signed update_twin extrinsic of keyd's relay domains and pk, mortal
 * from that block for EXT_ERA_PERIOD blocks (at most
 * KEYD_EXTRINSIC_MAX).
 */
/* The call: indices, Some(relay) and Some(pk) with compact lengths. */
#define KEYD_CALL_MAX		(2 + 3 + TWIN_RELAY_MAX + 3 + E2E_PK_BYTES)
#define KEYD_EXTRINSIC_MAX	(KEYD_CALL_MAX + EXT_OVERHEAD_MAX)
struct keyd_update_twin {
	uint32_t	nonce;
	uint32_t	spec_version;
	uint32_t	tx_version;
	uint8_t		genesis[32];
	uint64_t	block;
	uint8_t		hash[32];
};
int	keyd_update_twin_put(struct ipc_chan *, uint32_t id,
	    const struct keyd_update_twin *);
int	keyd_update_twin_get(const struct ipc_msg *, struct keyd_update_twin *);
struct keyd_extrinsic {
	const uint8_t	*ext;
	size_t		 len;
};
int	keyd_extrinsic_put(struct ipc_chan *, uint32_t id,
	    const struct keyd_extrinsic *);
int	keyd_extrinsic_get(const struct ipc_msg *, struct keyd_extrinsic *);

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
int	keyd_error_put(struct ipc_chan *, uint32_t id, const struct keyd_error *);
int	keyd_error_get(const struct ipc_msg *, struct keyd_error *);

#endif
