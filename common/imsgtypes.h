/*
 * Every imsg type of the peer, in numbered blocks by channel.  Numbers are
 * never reused or renumbered: a type names one layout forever.
 */
#ifndef RMB_IMSGTYPES_H
#define RMB_IMSGTYPES_H

#include <stdint.h>

enum imsg_type {
	/* 100: parent -> keyd, once, before keyd answers anything. */
	IMSG_KEYD_CONFIG = 100,

	/* 200: netd -> keyd requests; the reply has the same type and id. */
	IMSG_KEYD_IDENTITY = 200,
	IMSG_KEYD_SET_TWIN = 201,
	IMSG_KEYD_SIGN_ENVELOPE = 202,
	IMSG_KEYD_MAKE_JWT = 203,
	IMSG_KEYD_SEAL = 204,
	IMSG_KEYD_OPEN = 205,
	IMSG_KEYD_SIGN_UPDATE_TWIN = 206,

	/* 290: keyd -> netd, a refused request: u32 code, str message. */
	IMSG_KEYD_ERROR = 290,

	/*
	 * 300: parent -> netd, once, first:
	 *   u32 nrelays, nrelays x str relay URL (ws:// or wss://),
	 *   u32 nsubstrate, nsubstrate x str chain URL (may be 0),
	 *   str twins file path ("" = the chain), u32 no_update,
	 *   str user (become it when root; "" = stay), u32 verbose,
	 *   u32 twin cache capacity, u32 twin cache TTL in seconds.
	 */
	IMSG_NETD_CONFIG = 300,

	/*
	 * 400: parent -> apid, once, first:
	 *   str redis URL, str user (as above), u32 verbose.
	 */
	IMSG_APID_CONFIG = 400,

	/*
	 * 500: apid <-> netd.  Optional strings travel as u32 present (0 or
	 * 1) and str (empty when absent); "conn" is an Address connection.
	 *
	 * CREDIT (netd -> apid): u32 n.  apid may send n more OUT_* messages;
	 * netd grants credit again as it finishes each one, so apid pops
	 * redis only while netd can take what it pops.
	 */
	IMSG_NETD_CREDIT = 500,
	/*
	 * OUT_REQUEST (apid -> netd), one per destination twin:
	 *   str uid, str cmd, opt tags, opt schema, u64 timestamp (stamped),
	 *   u64 expiration (1..1800), u32 dst twin, bytes payload (plain).
	 */
	IMSG_NETD_OUT_REQUEST = 501,
	/*
	 * OUT_RESPONSE (apid -> netd), a local service's answer:
	 *   str uid, u32 dst twin, opt conn, opt schema, u64 timestamp,
	 *   u64 expiration, u32 is_error, u32 err code, str err message,
	 *   bytes payload (plain; empty for an error).
	 */
	IMSG_NETD_OUT_RESPONSE = 502,
	/*
	 * IN_REQUEST (netd -> apid), verified and opened:
	 *   str uid, u32 src twin, opt conn, str cmd, u64 timestamp,
	 *   u64 expiration, opt tags, opt schema, bytes payload.
	 */
	IMSG_APID_IN_REQUEST = 510,
	/*
	 * IN_RESPONSE (netd -> apid), verified and opened, for the backlog:
	 *   str uid, u32 src twin (0 for a relay's report), opt conn,
	 *   opt schema, u64 timestamp, u32 is_error, u32 err code,
	 *   str err message, bytes payload.
	 */
	IMSG_APID_IN_RESPONSE = 511,
	/*
	 * SEND_FAILED (netd -> apid): an OUT_REQUEST that could not leave:
	 *   str uid, u32 dst twin, u32 code (103, 106, 500), str message.
	 *   apid answers the caller from the backlog with src "".
	 */
	IMSG_APID_SEND_FAILED = 512
};

/* Where keyd finds the secret (IMSG_KEYD_CONFIG). */
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

const char	*imsg_type_name(uint32_t);

#endif
