/* SPDX-License-Identifier: ISC */
/*
 * Stand-in for libFuzzer in ordinary builds: replays every file of the
 * target's seed corpus, then a fixed, reproducible set of mutations of
 * them (bit flips, truncations, splices, random bytes), and reports TAP.
 * A crash or sanitizer report fails the test; --enable-fuzzing builds the
 * real coverage-guided fuzzer from the same target.
 */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"

#define MAX_FILES	256
#define FUZZ_MAX_INPUT	(64 * 1024)
#define MUTATIONS	20000

static uint64_t rng_state = 0x9e3779b97f4a7c15ULL;

static uint64_t
rnd(void)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return rng_state;
}

struct seed {
	uint8_t	*data;
	size_t	 len;
};

static int
load(const char *dir, struct seed *seeds, size_t *n)
{
	DIR		*d;
	struct dirent	*de;
	FILE		*f;
	char		 path[4096];

	if ((d = opendir(dir)) == NULL) {
		fprintf(stderr, "%s: %s\n", dir, strerror(errno));
		return -1;
	}
	*n = 0;
	while ((de = readdir(d)) != NULL && *n < MAX_FILES) {
		if (de->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
		if ((f = fopen(path, "rb")) == NULL)
			continue;
		seeds[*n].data = malloc(FUZZ_MAX_INPUT);
		if (seeds[*n].data == NULL)
			abort();
		seeds[*n].len = fread(seeds[*n].data, 1, FUZZ_MAX_INPUT, f);
		fclose(f);
		(*n)++;
	}
	closedir(d);
	return 0;
}

static size_t
mutate(uint8_t *buf, const struct seed *seeds, size_t nseeds)
{
	const struct seed	*s = &seeds[rnd() % nseeds];
	const struct seed	*o;
	size_t			 len = s->len, i, k, cut;

	memcpy(buf, s->data, len);
	switch (rnd() % 6) {
	case 0:		/* flip a few bits */
		for (k = 1 + rnd() % 4; k > 0 && len > 0; k--) {
			i = rnd() % len;
			buf[i] ^= (uint8_t)(1u << (rnd() % 8));
		}
		break;
	case 1:		/* truncate */
		len = len > 0 ? rnd() % len : 0;
		break;
	case 2:		/* overwrite bytes with interesting values */
		for (k = 1 + rnd() % 4; k > 0 && len > 0; k--) {
			static const uint8_t v[] = { 0x00, 0xff, 0x7f, 0x80,
			    '"', '\\', '.', '{', '}', 0x01, 0xfe };
			buf[rnd() % len] = v[rnd() % sizeof(v)];
		}
		break;
	case 3:		/* splice with another seed */
		o = &seeds[rnd() % nseeds];
		cut = len > 0 ? rnd() % len : 0;
		k = o->len > 0 ? rnd() % o->len : 0;
		if (cut + (o->len - k) <= FUZZ_MAX_INPUT) {
			memcpy(buf + cut, o->data + k, o->len - k);
			len = cut + (o->len - k);
		}
		break;
	case 4:		/* insert random bytes */
		for (k = 1 + rnd() % 8; k > 0 && len < FUZZ_MAX_INPUT; k--) {
			i = len > 0 ? rnd() % len : 0;
			memmove(buf + i + 1, buf + i, len - i);
			buf[i] = (uint8_t)rnd();
			len++;
		}
		break;
	default:	/* pure noise */
		len = rnd() % 200;
		for (i = 0; i < len; i++)
			buf[i] = (uint8_t)rnd();
		break;
	}
	return len;
}

int
main(int argc, char *argv[])
{
	static struct seed	seeds[MAX_FILES];
	static uint8_t		buf[FUZZ_MAX_INPUT + 16];
	const char		*dir = argc > 1 ? argv[1] : FUZZ_CORPUS;
	size_t			n, i;

	if (load(dir, seeds, &n) != 0 || n == 0) {
		printf("not ok 1 - seed corpus %s is empty or missing\n1..1\n",
		    dir);
		return 1;
	}
	for (i = 0; i < n; i++) {
		/* A copy, so reading past the end is caught by ASan. */
		uint8_t	*copy = malloc(seeds[i].len + 1);

		if (copy == NULL)
			abort();
		memcpy(copy, seeds[i].data, seeds[i].len);
		LLVMFuzzerTestOneInput(copy, seeds[i].len);
		free(copy);
	}
	printf("ok 1 - %zu corpus files replayed\n", n);
	for (i = 0; i < MUTATIONS; i++) {
		size_t	 len = mutate(buf, seeds, n);
		uint8_t	*copy = malloc(len + 1);

		if (copy == NULL)
			abort();
		memcpy(copy, buf, len);
		LLVMFuzzerTestOneInput(copy, len);
		free(copy);
	}
	printf("ok 2 - %d mutations replayed\n1..2\n", MUTATIONS);
	for (i = 0; i < n; i++)
		free(seeds[i].data);
	return 0;
}
