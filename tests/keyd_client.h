/* SPDX-License-Identifier: ISC */
/*
 * Test side of keyd's channels: start rmb-keyd as rmb-peer will (its
 * channels on descriptors 3 and 4, the -m pipe on 5), send it the
 * configuration, and make blocking requests.
 */
#ifndef RMB_KEYD_CLIENT_H
#define RMB_KEYD_CLIENT_H

#include <sys/types.h>

#include "ipc_extra.h"
#include "ipc_keyd.h"

struct kd {
	pid_t		pid;
	struct ipc_chan	parent;
	struct ipc_chan	netd;
	uint32_t	next_id;
};

struct kd_opts {
	int		 key_type;	/* enum key_type */
	const char	*secret;	/* text: piped, or written to a file */
	int		 source;	/* enum keyd_secret_source */
	const char	*path;		/* KEYD_SECRET_FILE: file to use */
	const char	*domains[RELAYS_MAX];	/* joined by '_': the field */
	const char	*jail;
	const char	*user;
	uint32_t	 pallet, call;
	uid_t		 run_as;	/* not 0: exec keyd as this uid/gid */
	gid_t		 run_as_gid;
};

/* The longest wait for a reply or an exit: then it is a failure. */
#define KD_TIMEOUT_MS	10000

int	kd_start(struct kd *, const struct kd_opts *);
/* A fresh request id, for the codec's put functions on k->netd. */
uint32_t kd_next(struct kd *);
/*
 * Sends what is queued on k->netd and waits for one reply: returns its
 * type and fills *reply, or -1 (no reply within KD_TIMEOUT_MS among
 * others).
 */
int	kd_reply(struct kd *, struct ipc_msg *reply);
/* kd_reply() for a raw frame from kd_req(). */
int	kd_call(struct kd *, struct ipc_buf *, struct ipc_msg *reply);
struct ipc_buf *kd_req(struct kd *, uint32_t type);
/* Closes the channels and waits; returns the wait status. */
int	kd_stop(struct kd *);
/*
 * Waits for keyd to exit on its own; returns the wait status, or -1
 * when it was still running after KD_TIMEOUT_MS and had to be killed.
 */
int	kd_wait(struct kd *);
const char *kd_path(void);

#endif
