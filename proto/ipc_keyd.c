/* SPDX-License-Identifier: ISC */
/* The layouts of ipc_keyd.h, each written once, for both ends. */
#include "ipc_keyd.h"

static const struct ipc_field config[] = {
	IPC_F_U32(struct keyd_config, key_type, KEY_ED25519),
	IPC_F_U32(struct keyd_config, source, KEYD_SECRET_CREDENTIALS),
	IPC_F_STR(struct keyd_config, path),
	IPC_F_U32(struct keyd_config, pallet, UINT8_MAX),
	IPC_F_U32(struct keyd_config, call, UINT8_MAX),
	IPC_F_STR(struct keyd_config, relay),
	IPC_F_STR(struct keyd_config, jail),
	IPC_F_STR(struct keyd_config, user),
};
static const struct ipc_field identity[] = {
	IPC_F_U32(struct keyd_identity, key_type, KEY_ED25519),
	IPC_F_FIXED(struct keyd_identity, account),
	IPC_F_FIXED(struct keyd_identity, pk),
};
static const struct ipc_field set_twin[] = {
	IPC_F_U32(struct keyd_set_twin, twin, UINT32_MAX),
};
static const struct ipc_field envelope[] = {
	IPC_F_BYTES(struct keyd_bytes, data, len, ENVELOPE_MAX),
};
static const struct ipc_field seal_open[] = {
	IPC_F_BYTES(struct keyd_crypt, pk, pklen, E2E_PK_MAX_BYTES),
	IPC_F_BYTES(struct keyd_crypt, data, len, ENVELOPE_MAX),
};
static const struct ipc_field lifetime[] = {
	IPC_F_U32(struct keyd_jwt, ttl, UINT32_MAX),
};
static const struct ipc_field token[] = {
	IPC_F_STR(struct keyd_token, tok),
};
static const struct ipc_field update_twin[] = {
	IPC_F_U32(struct keyd_update_twin, x.nonce, UINT32_MAX),
	IPC_F_U32(struct keyd_update_twin, x.spec_version, UINT32_MAX),
	IPC_F_U32(struct keyd_update_twin, x.tx_version, UINT32_MAX),
	IPC_F_FIXED(struct keyd_update_twin, x.genesis),
	IPC_F_U64(struct keyd_update_twin, block),
	IPC_F_FIXED(struct keyd_update_twin, x.checkpoint),
};
static const struct ipc_field extrinsic[] = {
	IPC_F_BYTES(struct keyd_bytes, data, len, KEYD_EXTRINSIC_MAX),
};
static const struct ipc_field refusal[] = {
	IPC_F_U32(struct keyd_error, code, UINT32_MAX),
	IPC_F_STR(struct keyd_error, msg),
};

const struct ipc_layout keyd_requests[] = {
	IPC_LAYOUT(IPC_KEYD_CONFIG, struct keyd_config, config),
	IPC_EMPTY(IPC_KEYD_IDENTITY),
	IPC_LAYOUT(IPC_KEYD_SET_TWIN, struct keyd_set_twin, set_twin),
	IPC_LAYOUT(IPC_KEYD_SEAL_SIGN, struct keyd_crypt, seal_open),
	IPC_LAYOUT(IPC_KEYD_OPEN, struct keyd_crypt, seal_open),
	IPC_LAYOUT(IPC_KEYD_JWT, struct keyd_jwt, lifetime),
	IPC_LAYOUT(IPC_KEYD_SIGN_UPDATE_TWIN_MORTAL, struct keyd_update_twin,
	    update_twin),
	IPC_LAYOUT_END
};

const struct ipc_layout keyd_replies[] = {
	IPC_LAYOUT(IPC_KEYD_IDENTITY, struct keyd_identity, identity),
	IPC_EMPTY(IPC_KEYD_SET_TWIN),
	IPC_LAYOUT(IPC_KEYD_SEAL_SIGN, struct keyd_bytes, envelope),
	IPC_LAYOUT(IPC_KEYD_OPEN, struct keyd_bytes, envelope),
	IPC_LAYOUT(IPC_KEYD_JWT, struct keyd_token, token),
	IPC_LAYOUT(IPC_KEYD_SIGN_UPDATE_TWIN_MORTAL, struct keyd_bytes,
	    extrinsic),
	IPC_LAYOUT(IPC_KEYD_ERROR, struct keyd_error, refusal),
	IPC_LAYOUT_END
};
