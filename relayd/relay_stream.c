/* SPDX-License-Identifier: ISC */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "relay_stream.h"

int
relay_stream_key(char *out, size_t cap, const struct relay_sess_id *s)
{
	int	n;

	if (s->has_sid)
		n = snprintf(out, cap, "stream:%" PRIu32 ":%s", s->twin, s->sid);
	else
		n = snprintf(out, cap, "stream:%" PRIu32, s->twin);
	return n < 0 || (size_t)n >= cap ? -1 : n;
}

int
relay_sess_eq(const struct relay_sess_id *a, const struct relay_sess_id *b)
{
	return a->twin == b->twin && a->has_sid == b->has_sid &&
	    (!a->has_sid || strcmp(a->sid, b->sid) == 0);
}

int
relay_stream_key_parse(struct relay_sess_id *s, const char *key, size_t len)
{
	uint64_t	v = 0;
	size_t		i = 7;

	memset(s, 0, sizeof(*s));
	if (len < 8 || memcmp(key, "stream:", 7) != 0)
		return -1;
	/* The inverse of relay_stream_key: no sign, no leading zero. */
	if (key[i] == '0' && len > i + 1 && key[i + 1] != ':')
		return -1;
	for (; i < len && key[i] != ':'; i++) {
		if (key[i] < '0' || key[i] > '9' || i - 7 >= 10)
			return -1;
		v = v * 10 + (uint64_t)(key[i] - '0');
	}
	if (i == 7 || v > UINT32_MAX)
		return -1;
	s->twin = (uint32_t)v;
	if (i == len)
		return 0;
	i++;
	if (len - i > RELAY_SID_MAX || memchr(key + i, '\0', len - i) != NULL)
		return -1;
	s->has_sid = 1;
	memcpy(s->sid, key + i, len - i);
	s->sid[len - i] = '\0';
	return 0;
}
