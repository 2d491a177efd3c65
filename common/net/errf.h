/* SPDX-License-Identifier: ISC */
#ifndef RMB_ERRF_H
#define RMB_ERRF_H

#include <stddef.h>

/*
 * The one error convention of common/: a function that can fail returns
 * -1 and, when its caller passed a buffer (err may be NULL), says why in
 * err, errlen bytes.  errf() writes the reason and returns -1, so a
 * failure is "return errf(err, errlen, ...)".
 */
int	errf(char *err, size_t errlen, const char *, ...)
	    __attribute__((format(printf, 3, 4)));

#endif
