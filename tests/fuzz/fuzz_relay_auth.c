/* SPDX-License-Identifier: ISC */
/*
 * The relay's upgrade authentication on arbitrary query strings, against
 * a real twin: a refusal is 400, 401 or 500 with a text; an acceptance
 * names that twin and can only come from a token its key signed.
 */
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "identity.h"
#include "relay_auth.h"

#define NOW	1795668806ULL

static struct identity	key;
static int		ready;

static int
lookup(void *arg, uint32_t twin, struct twin_record *out)
{
	(void)arg;
	if (twin == 13)
		return -1;
	if (twin != 7)
		return 0;
	memset(out, 0, sizeof(*out));
	out->id = 7;
	memcpy(out->account, key.account, ACCOUNT_BYTES);
	return 1;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct relay_auth	a;
	uint8_t			seed[32];
	char			*q;

	if (!ready) {
		memset(seed, 7, sizeof(seed));
		if (identity_from_seed(&key, KEY_SR25519, seed) == -1)
			abort();
		ready = 1;
	}
	if ((q = malloc(size + 1)) == NULL)
		return 0;
	memcpy(q, data, size);
	q[size] = '\0';
	relay_auth(q, size, NOW, lookup, NULL, &a);
	if (a.status != 0 && a.status != 400 && a.status != 401 &&
	    a.status != 500)
		abort();
	if (a.status != 0 && (a.text[0] == '\0' ||
	    memchr(a.text, '\0', sizeof(a.text)) == NULL))
		abort();
	if (a.status == 0 && (a.id.twin != 7 ||
	    (a.id.has_sid && strlen(a.id.sid) > RELAY_SID_MAX)))
		abort();
	free(q);
	return 0;
}
