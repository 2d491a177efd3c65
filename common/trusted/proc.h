/* SPDX-License-Identifier: ISC */
/*
 * What every child of rmb-peer does the same way, knowing none of them
 * (keyd links it): its command line, its inherited channels, the one
 * configuration frame, the parent's channel, and frames handed to
 * handlers by type.  rmb-peer(8) starts each child with its channels
 * from descriptor PARENT_FILENO up.
 *
 * The log level comes from the command line only: -v once per level,
 * which the parent passes once for each -d it was given.  No
 * configuration message carries one.
 */
#ifndef RMB_PROC_H
#define RMB_PROC_H

#include <stddef.h>
#include <stdint.h>

#include "ipc.h"

/*
 * Takes -h and -V (which need no channel), and -v; then logs to stderr
 * as prog, checks that the nfds channels from PARENT_FILENO are open
 * and ignores SIGPIPE (a closed channel is an error to handle).  Exits
 * 0 after -h or -V, 2 on a bad option, 1 without the channels.  Returns
 * the log level: the number of -v.
 */
int	proc_start(const char *prog, int nfds, int argc, char *argv[]);

/*
 * Waits for the parent's one configuration frame, of the given type,
 * and returns it in m for the caller's codec (valid until ib is read
 * again).  The parent closing first, or any other frame, is fatal.  It
 * blocks in read(2): the channel is not made non-blocking before.
 */
void	proc_config(struct ipc_chan *ib, uint32_t type, struct ipc_msg *m);

/*
 * The parent's channel is readable.  After the configuration the parent
 * only ever closes it, which is the child's cue to go: returns 1 then
 * (a reset counts as closed), 0 when there was nothing after all, and
 * data from the parent is fatal.
 */
int	proc_parent_gone(struct ipc_chan *);

/*
 * A table of handlers by type, ended by an entry whose fn is NULL and
 * whose name is what a log line calls a type it does not have.
 */
struct proc_handler {
	uint32_t	  type;
	const char	 *name;
	int		(*fn)(void *arg, const struct ipc_msg *);
};
#define PROC_HANDLER(type, fn)	{ (type), #type, (fn) }
#define PROC_END		{ 0, "unexpected", NULL }

/* Hands m to its handler: -1 when none takes m's type or it refused m. */
int	proc_dispatch(const struct proc_handler *, void *arg,
	    const struct ipc_msg *m);

/*
 * One read of ib, then every whole frame it completes to proc_dispatch():
 * a frame no handler takes, or a malformed one, is fatal, naming peer.
 * Returns 0 when peer closed (or reset) its end, else 1.
 */
int	proc_drain(struct ipc_chan *ib, const char *peer,
	    const struct proc_handler *, void *arg);

#endif
