/* SPDX-License-Identifier: ISC */
/*
 * System.Events values decoded by tfchain's spec-144 metadata.  A
 * refusal gives a reason and calls back nothing; an acceptance calls
 * back exactly the events it counts, each a twin twin_decode() took.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "chainevents.h"
#include "fuzz.h"

static struct metadata		*M;
static struct metadata_events	 L;

static void
load(void)
{
	FILE	*f;
	uint8_t	*buf;
	size_t	 len;
	char	 err[METADATA_ERR_MAX];

	if ((f = fopen(METADATA_FILE, "rb")) == NULL ||
	    (buf = malloc(METADATA_LEN_MAX)) == NULL)
		abort();
	len = fread(buf, 1, METADATA_LEN_MAX, f);
	fclose(f);
	if ((M = metadata_load(buf, len, err, sizeof(err))) == NULL ||
	    metadata_events(M, &L, err, sizeof(err)) == -1)
		abort();
	free(buf);
}

static void
count(void *arg, const struct chainevent *ev)
{
	int	*n = arg;

	if (ev->kind != CHAINEV_TWIN_DELETED && ev->twin.id != ev->id)
		abort();
	(*n)++;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char	err[METADATA_ERR_MAX];
	int	r, n = 0;

	if (M == NULL)
		load();
	r = chainevents_decode(M, &L, data, size, count, &n, err,
	    sizeof(err));
	if (memchr(err, '\0', sizeof(err)) == NULL)
		abort();
	if (r == -1 ? n != 0 || err[0] == '\0' : n != r || err[0] != '\0')
		abort();
	return 0;
}
