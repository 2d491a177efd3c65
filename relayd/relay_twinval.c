/* SPDX-License-Identifier: ISC */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "relay_twinval.h"
#include "scale.h"

size_t
relay_twinval_key(char out[RELAY_TWIN_KEY_MAX], uint32_t id)
{
	int	n;

	n = snprintf(out, RELAY_TWIN_KEY_MAX, "%s%" PRIu32, RELAY_TWIN_PREFIX,
	    id);
	return n < 0 ? 0 : (size_t)n;
}

int
relay_twinval_encode(uint8_t *buf, size_t cap, const struct twin_record *t,
    uint64_t read_ms)
{
	struct scale_wr	w;
	int		i;

	if (cap < RELAY_TWINVAL_HEAD)
		return -1;
	buf[0] = RELAY_TWINVAL_V1;
	for (i = 0; i < 8; i++)
		buf[1 + i] = (uint8_t)(read_ms >> (8 * i));
	scale_wr_init(&w, buf + RELAY_TWINVAL_HEAD, cap - RELAY_TWINVAL_HEAD);
	if (twin_encode(&w, t) == -1 || w.err)
		return -1;
	return (int)(RELAY_TWINVAL_HEAD + w.len);
}

int
relay_twinval_decode(struct twin_record *t, uint64_t *read_ms,
    const uint8_t *buf, size_t len, const char **err)
{
	const char	*why = NULL;
	uint64_t	 ms = 0;
	int		 i;

	memset(t, 0, sizeof(*t));
	*read_ms = 0;
	if (len == 0)
		why = "empty";
	else if (buf[0] != RELAY_TWINVAL_V1)
		why = "not format 1";
	else if (len < RELAY_TWINVAL_HEAD)
		why = "shorter than its header";
	else if (twin_decode(t, buf + RELAY_TWINVAL_HEAD,
	    len - RELAY_TWINVAL_HEAD, &why) == -1) {
		if (why == NULL)
			why = "not a twin";
	}
	if (why != NULL) {
		memset(t, 0, sizeof(*t));
		if (err != NULL)
			*err = why;
		return -1;
	}
	for (i = 0; i < 8; i++)
		ms |= (uint64_t)buf[1 + i] << (8 * i);
	*read_ms = ms;
	return 0;
}
