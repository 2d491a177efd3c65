#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "relay.h"

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
