/* SPDX-License-Identifier: ISC */
/*
 * The warnings of every process but rmb-keyd, which refuses a request
 * with a reply or ends, and so has no use for them (nor their lines).
 */
#include <errno.h>
#include <syslog.h>

#include "log.h"

void
log_warn(const char *fmt, ...)
{
	LOG_VA(LOG_ERR, errno);
}

void
log_warnx(const char *fmt, ...)
{
	LOG_VA(LOG_ERR, -1);
}
