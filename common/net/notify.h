/* SPDX-License-Identifier: ISC */
/*
 * Telling the service manager how we are: sd_notify(3) from libsystemd
 * in the two daemons systemd starts, rmb-peer and rmb-relay, and only
 * there, so that the children link nothing more.  Built without
 * libsystemd, or started without NOTIFY_SOCKET, it does nothing.
 */
#ifndef RMB_NOTIFY_H
#define RMB_NOTIFY_H

/*
 * One state update in sd_notify(3)'s words, the lines formatted as for
 * printf: "READY=1\nSTATUS=...", "STOPPING=1".  Failures are logged at
 * debug level only: nobody may be listening.
 */
void	notify(const char *fmt, ...)
	    __attribute__((format(printf, 1, 2)));

#endif
