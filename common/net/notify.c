/* SPDX-License-Identifier: ISC */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#ifdef HAVE_SYSTEMD
#include <systemd/sd-daemon.h>
#endif

#include "log.h"
#include "notify.h"

void
notify(const char *fmt, ...)
{
#ifdef HAVE_SYSTEMD
	va_list	ap;
	char	state[512];
	int	rc;

	va_start(ap, fmt);
	vsnprintf(state, sizeof(state), fmt, ap);
	va_end(ap);
	/*
	 * NOTIFY_SOCKET stays in the environment: sd_notify(3) may be
	 * called again, and the children, which link no libsystemd, never
	 * read it.
	 */
	if ((rc = sd_notify(0, state)) < 0)
		log_debug("sd_notify: %s", strerror(-rc));
#else
	(void)fmt;
#endif
}
