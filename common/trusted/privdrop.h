/* SPDX-License-Identifier: ISC */
/*
 * The privilege drop every child of the peer goes through, in the same
 * order as the OpenBSD daemons: check the jail, chroot, chdir, drop the
 * groups, the gid, the uid; then the limits that hold whoever we are.
 * Each failure is fatal: a half-dropped process must not run.  A
 * parent-death signal (PR_SET_PDEATHSIG) set before the drop is kept.
 */
#ifndef RMB_PRIVDROP_H
#define RMB_PRIVDROP_H

/*
 * When root: chroot to dir, unless it is NULL (for daemons that still
 * resolve names and read /proc, such as the relay), and become user (not
 * root).  The jail must be root-owned, not writable by others, and
 * empty.  When not root, there is nothing to drop and a debug line says
 * so.
 */
void	privdrop(const char *dir, const char *user);

/* No new privileges, not dumpable, no core files. */
void	privdrop_harden(void);

#endif
