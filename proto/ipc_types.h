/* SPDX-License-Identifier: ISC */
/*
 * Every imsg type of the peer, in numbered blocks by channel.  Numbers are
 * never reused or renumbered: a type names one layout forever.  Each
 * layout lives beside its struct in the codec that reads and writes it.
 */
#ifndef RMB_IPC_TYPES_H
#define RMB_IPC_TYPES_H

#include <stdint.h>

enum ipc_type {
	/*
	 * 100, 200 and 290: the keyd channels, proto/ipc_keyd.h.  100 was
	 * a KEYD_CONFIG with the list of relay domains: retired.
	 */
	IPC_KEYD_CONFIG = 101,
	IPC_KEYD_IDENTITY = 200,
	IPC_KEYD_SET_TWIN = 201,
	/*
	 * 202 was SIGN_ENVELOPE and 204 SEAL, two round trips per envelope:
	 * retired for SEAL_SIGN.  203 was MAKE_JWT, whose issue time netd
	 * chose: retired.
	 */
	IPC_KEYD_OPEN = 205,
	/* 206 was SIGN_UPDATE_TWIN, an immortal extrinsic: retired. */
	IPC_KEYD_JWT = 207,
	IPC_KEYD_SIGN_UPDATE_TWIN_MORTAL = 208,
	IPC_KEYD_SEAL_SIGN = 209,
	IPC_KEYD_ERROR = 290,

	/*
	 * 300: parent -> netd, proto/ipc_peer.h.  300 was a NETD_CONFIG
	 * with a log level and without the relay domains: retired.
	 */
	IPC_NETD_CONFIG = 301,

	/* 400: parent -> apid.  400 had a log level too: retired. */
	IPC_APID_CONFIG = 401,

	/* 500: apid <-> netd; layouts and rules in proto/ipc_apid.h. */
	IPC_NETD_CREDIT = 500,
	IPC_NETD_OUT_REQUEST = 501,
	IPC_NETD_OUT_RESPONSE = 502,
	IPC_APID_IN_REQUEST = 510,
	IPC_APID_IN_RESPONSE = 511,
	IPC_APID_SEND_FAILED = 512,
	IPC_APID_SENT = 513,

	/* 600: netd, apid -> parent, proto/ipc_peer.h. */
	IPC_PEER_READY = 600
};

/*
 * Descriptors a child finds at exec: keyd has 3 parent, 4 netd, 5 the
 * -m pipe; netd has 3 parent, 4 keyd, 5 apid; apid has 3 parent, 4 netd.
 */
#define PARENT_FILENO		3	/* the parent's channel */
#define SIBLING_FILENO		4	/* keyd <-> netd, netd <-> apid */
#define KEYD_SECRET_FILENO	5	/* the -m pipe, when used */
#define NETD_APID_FILENO	5	/* netd's end of netd <-> apid */

/* A user name in a configuration message, as useradd(8) allows it. */
#define USER_NAME_MAX		32

const char	*ipc_type_name(uint32_t);

#endif
