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
	IMSG_KEYD_ERROR = 290
};

/* Where keyd finds the secret (IMSG_KEYD_CONFIG). */
enum keyd_secret_source {
	KEYD_SECRET_FILE = 0,		/* the path in the message */
	KEYD_SECRET_FD = 1,		/* KEYD_SECRET_FILENO, until EOF */
	KEYD_SECRET_CREDENTIALS = 2	/* $CREDENTIALS_DIRECTORY/mnemonic */
};

/* Descriptors a child finds at exec. */
#define PARENT_FILENO		3	/* the parent's channel */
#define SIBLING_FILENO		4	/* keyd <-> netd, netd <-> apid */
#define KEYD_SECRET_FILENO	5	/* the -m pipe, when used */

const char	*imsg_type_name(uint32_t);

#endif
