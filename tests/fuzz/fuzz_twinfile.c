/* SPDX-License-Identifier: ISC */
/*
 * The twin file parser on arbitrary bytes.  A refused file leaves nothing
 * behind and says why; an accepted one holds only valid twins, each found
 * by id and by account, and written back out it parses to the same twins.
 * The relay rule is also checked against a transcription of the pallet's
 * own loop.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "hex.h"
#include "twinfile.h"

/* One twin written back as JSON: keys, 64 + 1024 + 256 characters. */
#define TWIN_JSON_MAX	(96 + 64 + TWIN_RELAY_MAX + 2 * TWIN_PK_MAX)

/* tfchain's validate_relay_address, step by step, plus the 1024 bound. */
static int
chain_rule(const uint8_t *s, size_t len)
{
	size_t	i, prev = 0;

	if (len == 0 || len > TWIN_RELAY_MAX || s[len - 1] == '.')
		return 0;
	for (i = 0; i < len; i++) {
		if (s[i] == '.') {
			if (i == 0 || i - prev == 1)
				return 0;
			prev = i;
		} else if (!((s[i] >= 'a' && s[i] <= 'z') ||
		    (s[i] >= 'A' && s[i] <= 'Z') ||
		    (s[i] >= '0' && s[i] <= '9') || s[i] == '-' || s[i] == '_'))
			return 0;
	}
	return 1;
}

static void
check_relay_helpers(const uint8_t *data, size_t size)
{
	char	*s;
	size_t	 cut;

	if (twin_relay_valid((const char *)data, size) !=
	    chain_rule(data, size))
		abort();
	if ((s = malloc(size + 1)) == NULL)
		abort();
	memcpy(s, data, size);
	s[size] = '\0';
	/* The first NUL, if any, splits the input into relay and domain. */
	cut = strlen(s);
	if (cut < size) {
		if (twin_relay_has(s, s + cut + 1) && s[cut + 1] == '\0')
			abort();
	} else if (cut > 0 && strchr(s, '_') == NULL && !twin_relay_has(s, s))
		abort();
	free(s);
}

static int
same_twin(const struct twin_record *a, const struct twin_record *b)
{
	return a->id == b->id &&
	    memcmp(a->account, b->account, sizeof(a->account)) == 0 &&
	    a->has_relay == b->has_relay &&
	    strcmp(a->relay, b->relay) == 0 &&
	    a->has_pk == b->has_pk && a->pklen == b->pklen &&
	    memcmp(a->pk, b->pk, a->pklen) == 0;
}

static void
check_twin(const struct twinfile *tf, size_t i)
{
	const struct twin_record	*t = &tf->twins[i];
	const char			*p, *end;
	char				 dom[TWIN_RELAY_MAX + 1];
	size_t				 n;

	if (t->id == 0 || (i > 0 && tf->twins[i - 1].id >= t->id))
		abort();
	if (twinfile_get(tf, t->id) != t || twinfile_find(tf, t->account) != t)
		abort();
	if (i > 0 && memcmp(tf->byacc[i - 1]->account, tf->byacc[i]->account,
	    sizeof(t->account)) >= 0)
		abort();
	if (memchr(t->relay, '\0', sizeof(t->relay)) == NULL)
		abort();
	n = strlen(t->relay);
	if (t->has_relay ? !twin_relay_valid(t->relay, n) : n != 0)
		abort();
	if (t->has_pk ? t->pklen == 0 || t->pklen > TWIN_PK_MAX :
	    t->pklen != 0)
		abort();
	/* Every domain the relay lists is found by twin_relay_has. */
	for (p = t->relay; t->has_relay; p = end + 1) {
		if ((end = strchr(p, '_')) == NULL)
			end = p + strlen(p);
		memcpy(dom, p, (size_t)(end - p));
		dom[end - p] = '\0';
		if (dom[0] != '\0' && !twin_relay_has(t->relay, dom))
			abort();
		if (*end == '\0')
			break;
	}
}

static void
round_trip(const struct twinfile *tf)
{
	struct twinfile			 again;
	const struct twin_record	*t;
	char				*buf, *p, err[256];
	size_t				 i;

	if ((buf = malloc(tf->n * TWIN_JSON_MAX + 8)) == NULL)
		abort();
	p = buf;
	*p++ = '[';
	for (i = 0; i < tf->n; i++) {
		t = &tf->twins[tf->n - 1 - i];	/* backwards, to re-sort */
		p += sprintf(p, "%s{\"id\":%lu,\"account\":\"0x", i ? "," : "",
		    (unsigned long)t->id);
		hex_encode(p, t->account, sizeof(t->account));
		p += 2 * sizeof(t->account);
		if (t->has_relay)
			p += sprintf(p, "\",\"relay\":\"%s\"", t->relay);
		else
			p += sprintf(p, "\",\"relay\":null");
		if (t->has_pk) {
			p += sprintf(p, ",\"pk\":\"0x");
			hex_encode(p, t->pk, t->pklen);
			p += 2 * t->pklen;
			*p++ = '"';
		}
		*p++ = '}';
	}
	*p++ = ']';
	if (twinfile_parse(&again, buf, (size_t)(p - buf), err,
	    sizeof(err)) == -1 || again.n != tf->n)
		abort();
	for (i = 0; i < tf->n; i++)
		if (!same_twin(&tf->twins[i], &again.twins[i]))
			abort();
	twinfile_free(&again);
	free(buf);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct twinfile	tf;
	char		err[256];
	size_t		i;

	check_relay_helpers(data, size);

	err[0] = 'x';
	err[1] = '\0';
	if (twinfile_parse(&tf, (const char *)data, size, err,
	    sizeof(err)) == -1) {
		if (err[0] == '\0' || strcmp(err, "x") == 0 ||
		    memchr(err, '\0', sizeof(err)) == NULL ||
		    tf.twins != NULL || tf.byacc != NULL || tf.n != 0)
			abort();
		return 0;
	}
	if (err[0] != '\0' || tf.n > TWINFILE_MAX_TWINS ||
	    (tf.n == 0) != (tf.twins == NULL) ||
	    (tf.n == 0) != (tf.byacc == NULL))
		abort();
	for (i = 0; i < tf.n; i++)
		check_twin(&tf, i);
	if (twinfile_get(&tf, 0) != NULL)
		abort();
	round_trip(&tf);
	twinfile_free(&tf);
	return 0;
}
