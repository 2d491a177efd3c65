/* SPDX-License-Identifier: ISC */
/*
 * The redis API's JSON on arbitrary bytes, as each of the four formats:
 * a refusal says why and leaves nothing allocated; whatever is accepted,
 * written back, parses again to the same message and writes the same
 * bytes.  The salvage scan must not crash either.
 */
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "msgjson.h"

/* The four formats behind one shape, so one round trip checks them all. */
struct fmt {
	size_t	size;
	int	(*parse)(void *, const char *, size_t, char *, size_t);
	char	*(*write)(const void *, size_t *);
	size_t	datoff, lenoff;
};

/* Wrappers with the shared shape: calls through casts would be UB. */
#define WRAP(t) \
static int \
p_##t(void *m, const char *s, size_t n, char *e, size_t el) \
{ \
	return msgjson_parse_##t(m, s, n, e, el); \
} \
static char * \
w_##t(const void *m, size_t *n) \
{ \
	return msgjson_write_##t(m, n); \
}
WRAP(out_req)
WRAP(in_req)
WRAP(out_resp)
WRAP(in_resp)

#define FMT(t) { sizeof(struct msg_##t), p_##t, w_##t, \
	offsetof(struct msg_##t, dat), offsetof(struct msg_##t, datlen) }

static const struct fmt fmts[] = {
	FMT(out_req), FMT(in_req), FMT(out_resp), FMT(in_resp)
};

static uint8_t *
dat(const struct fmt *f, void *m)
{
	return *(uint8_t **)((char *)m + f->datoff);
}

static size_t
datlen(const struct fmt *f, void *m)
{
	return *(size_t *)((char *)m + f->lenoff);
}

static void
check(const struct fmt *f, const uint8_t *data, size_t size)
{
	void	*a, *b;
	char	 err[MSGJSON_ERR_MAX], *out, *out2;
	size_t	 len, len2;

	if ((a = malloc(f->size)) == NULL || (b = malloc(f->size)) == NULL)
		abort();
	err[0] = '\0';
	if (f->parse(a, (const char *)data, size, err, sizeof(err)) != 0) {
		if (err[0] == '\0' || memchr(err, '\0', sizeof(err)) == NULL ||
		    dat(f, a) != NULL)
			abort();
		free(a);
		free(b);
		return;
	}
	if (datlen(f, a) > MSGJSON_DAT_MAX ||
	    (datlen(f, a) > 0 && dat(f, a) == NULL))
		abort();
	if ((out = f->write(a, &len)) == NULL || strlen(out) != len)
		abort();
	if (f->parse(b, out, len, err, sizeof(err)) != 0)
		abort();
	if (datlen(f, a) != datlen(f, b) || (datlen(f, a) > 0 &&
	    memcmp(dat(f, a), dat(f, b), datlen(f, a)) != 0))
		abort();
	if ((out2 = f->write(b, &len2)) == NULL || len2 != len ||
	    memcmp(out, out2, len) != 0)
		abort();
	free(dat(f, a));
	free(dat(f, b));
	free(out);
	free(out2);
	free(a);
	free(b);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct msgjson_opt	ref;
	char			ret[MSGJSON_STR_MAX];
	size_t			i;

	for (i = 0; i < sizeof(fmts) / sizeof(fmts[0]); i++)
		check(&fmts[i], data, size);
	if (msgjson_salvage((const char *)data, size, ret, &ref) == 1 &&
	    (ret[0] == '\0' || memchr(ret, '\0', sizeof(ret)) == NULL))
		abort();
	return 0;
}
