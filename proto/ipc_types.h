/* SPDX-License-Identifier: ISC */
/*
 * Every imsg type of the peer, in numbered blocks by channel.  Numbers are
 * never reused or renumbered: a type names one layout forever.
 */
#ifndef RMB_IPC_TYPES_H
#define RMB_IPC_TYPES_H

#include <stdint.h>

enum ipc_type {
	/*
	 * 100: parent -> keyd, once, before keyd answers anything:
	 *   u32 key type, u32 secret source, str secret file path,
	 *   u32 update_twin pallet, u32 call index, u32 ndomains,
	 *   ndomains x str relay domain, str jail, str user.
	 */
	IPC_KEYD_CONFIG = 100,

	/*
	 * 200: netd -> keyd requests.  The reply has the same type and id
	 * and is one bytes field unless said otherwise, or it is a
	 * KEYD_ERROR.  A type keyd does not know ends keyd.
	 *
	 * IDENTITY: empty.  Reply: u32 key type, bytes account (32),
	 *   bytes secp256k1 pk (33).
	 */
	IPC_KEYD_IDENTITY = 200,
	/* SET_TWIN: u32 twin id (not 0, set once).  Reply: empty. */
	IPC_KEYD_SET_TWIN = 201,
	/* SIGN_ENVELOPE: bytes envelope, unsigned.  Reply: 65-byte sig. */
	IPC_KEYD_SIGN_ENVELOPE = 202,
	/*
	 * 203 was MAKE_JWT, whose issue time netd chose: retired, never to
	 * be reused.
	 *
	 * SEAL, OPEN: bytes peer pk, bytes plaintext (SEAL) or cipher
	 * (OPEN).  Reply: the cipher or the plaintext.
	 */
	IPC_KEYD_SEAL = 204,
	IPC_KEYD_OPEN = 205,
	/*
	 * 206 was SIGN_UPDATE_TWIN, an immortal extrinsic: retired, never
	 * to be reused.
	 *
	 * JWT: u32 ttl (1..3600 s).  keyd sets iat from its own clock, exp
	 * = iat + ttl and "sid":null.  Reply: the token.
	 */
	IPC_KEYD_JWT = 207,
	/*
	 * SIGN_UPDATE_TWIN_MORTAL: u32 nonce, u32 spec version, u32
	 * transaction version, bytes genesis hash (32), u64 number of a
	 * recent block, bytes that block's hash (32, not all zeros).
	 * Reply: the signed update_twin extrinsic of keyd's relay domains
	 * and pk, mortal from that block for 64 blocks.
	 */
	IPC_KEYD_SIGN_UPDATE_TWIN_MORTAL = 208,

	/* 290: keyd -> netd, a refused request: u32 code, str message. */
	IPC_KEYD_ERROR = 290,

	/*
	 * 300: parent -> netd, once, first:
	 *   u32 nrelays, nrelays x str relay URL (ws:// or wss://),
	 *   u32 nsubstrate, nsubstrate x str chain URL (may be 0),
	 *   str twins file path ("" = the chain), u32 no_update,
	 *   str user (become it when root; "" = stay), u32 verbose,
	 *   u32 twin cache capacity, u32 twin cache TTL in seconds.
	 */
	IPC_NETD_CONFIG = 300,

	/*
	 * 400: parent -> apid, once, first:
	 *   str redis URL, str user (as above), u32 verbose.
	 */
	IPC_APID_CONFIG = 400,

	/* 500: apid <-> netd; layouts and rules in proto/ipc_apid.h. */
	IPC_NETD_CREDIT = 500,
	IPC_NETD_OUT_REQUEST = 501,
	IPC_NETD_OUT_RESPONSE = 502,
	IPC_APID_IN_REQUEST = 510,
	IPC_APID_IN_RESPONSE = 511,
	IPC_APID_SEND_FAILED = 512,
	IPC_APID_SENT = 513,

	/*
	 * 600: netd, apid -> parent, once each: the child is ready.  netd
	 * sends it once keyd has answered and it knows its twin, apid once
	 * its redis command connection is up and it has read its journal;
	 * keyd is ready when netd is, having answered it.  The parent tells
	 * the service manager when both have.
	 *   u32 twin id (netd: ours; apid: 0).
	 */
	IPC_PEER_READY = 600
};

/* Where keyd finds the secret (IPC_KEYD_CONFIG). */
enum keyd_secret_source {
	KEYD_SECRET_FILE = 0,		/* the path in the message */
	KEYD_SECRET_FD = 1,		/* KEYD_SECRET_FILENO, until EOF */
	KEYD_SECRET_CREDENTIALS = 2	/* $CREDENTIALS_DIRECTORY/mnemonic */
};

/*
 * Descriptors a child finds at exec: keyd has 3 parent, 4 netd, 5 the
 * -m pipe; netd has 3 parent, 4 keyd, 5 apid; apid has 3 parent, 4 netd.
 */
#define PARENT_FILENO		3	/* the parent's channel */
#define SIBLING_FILENO		4	/* keyd <-> netd, netd <-> apid */
#define KEYD_SECRET_FILENO	5	/* the -m pipe, when used */
#define NETD_APID_FILENO	5	/* netd's end of netd <-> apid */

const char	*ipc_type_name(uint32_t);

#endif
