/* SPDX-License-Identifier: ISC */
/*
 * rmb-peer, the parent of the privilege-separated peer: it reads the
 * configuration, starts rmb-keyd, rmb-netd and rmb-apid, hands each its
 * part of the configuration, and ends them all when one of them ends.
 */
#ifndef RMB_PEER_H
#define RMB_PEER_H

#include <sys/types.h>

#include "ipc.h"

#define PEER_CONF_FILE		SYSCONFDIR "/rmb/rmb-peer.conf"
#define PEER_STOP_WAIT_MS	5000	/* SIGTERM to SIGKILL */
#define PEER_GRACE_MS		1000	/* to exit alone after EOF */
#define PEER_PF_EXITING		0x4	/* the kernel's PF_EXITING: exiting */

enum peer_proc {
	PROC_KEYD,
	PROC_NETD,
	PROC_APID,
	PROC_COUNT
};

struct peer_child {
	const char	*name;		/* "keyd", for log lines */
	const char	*prog;		/* "rmb-keyd", in libexecdir */
	pid_t		 pid;		/* -1 when not running */
	int		 status;	/* from waitpid, once reaped */
	int		 ended;		/* 1 reaped, 2 and logged */
	int		 seen;		/* the look that first saw it end */
	int		 stopped;	/* the signal we stopped it with */
	int		 ready;		/* sent IPC_PEER_READY */
	struct ipc_chan	 ib;		/* our end of its channel */
};

#endif
