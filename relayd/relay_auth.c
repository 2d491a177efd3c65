/* SPDX-License-Identifier: ISC */
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "jwt_parse.h"
#include "relay_auth.h"

static int __attribute__((format(printf, 3, 4)))
refuse(struct relay_auth *a, int status, const char *fmt, ...)
{
	va_list	ap;

	a->status = status;
	va_start(ap, fmt);
	vsnprintf(a->text, sizeof(a->text), fmt, ap);
	va_end(ap);
	return status;
}

int
relay_auth(const char *query, size_t len, uint64_t now,
    int (*lookup)(void *, uint32_t, struct twin_record *), void *arg,
    struct relay_auth *a)
{
	struct jwt		 jwt;
	struct twin_record	 twin;
	const char		*err;

	memset(a, 0, sizeof(*a));
	if (query == NULL || len == 0)
		return refuse(a, 400, "missing jwt");
	if (jwt_parse(&jwt, query, len, &err) == -1)
		return refuse(a, 401, "invalid jwt: %s", err);
	if (jwt_check_exp(&jwt, now, &err) == -1)
		return refuse(a, 401, "invalid jwt: %s", err);
	a->id.twin = jwt.sub;
	a->id.has_sid = jwt.has_sid;
	if (jwt.has_sid)
		memcpy(a->id.sid, jwt.sid, sizeof(a->id.sid));
	switch (lookup(arg, jwt.sub, &twin)) {
	case 1:
		break;
	case 2:
		a->pending = 1;
		return 0;
	case 0:
		return refuse(a, 401, "twin not found %" PRIu32, jwt.sub);
	default:
		return refuse(a, 500, "failed to get twin: twin source "
		    "unavailable");
	}
	if (jwt_check_sig(&jwt, twin.account, &err) == -1) {
		a->bad_sig = 1;
		return refuse(a, 401, "invalid jwt: jwt: invalid signature");
	}
	return 0;
}
