/*
 * A minimal TAP producer for the unit tests: ok(), is_hex(), and a plan
 * printed at the end.  Each test program includes this once.
 */
#ifndef RMB_TAP_H
#define RMB_TAP_H

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hex.h"

static int tap_n, tap_failed;

static __attribute__((unused, format(printf, 2, 3))) int
ok(int cond, const char *fmt, ...)
{
	va_list	ap;

	tap_n++;
	printf("%sok %d - ", cond ? "" : "not ", tap_n);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	if (!cond)
		tap_failed++;
	fflush(stdout);
	return cond;
}

static __attribute__((unused, format(printf, 1, 2))) void
diag(const char *fmt, ...)
{
	va_list	ap;

	printf("# ");
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
}

/* Compares bytes with an expected lower-case hex string. */
static __attribute__((unused)) int
is_hex(const uint8_t *got, size_t len, const char *want, const char *name)
{
	char	*buf;
	int	 r;

	if ((buf = malloc(2 * len + 1)) == NULL)
		abort();
	hex_encode(buf, got, len);
	r = ok(strcmp(buf, want) == 0, "%s", name);
	if (!r)
		diag("got  %s\n# want %s", buf, want);
	free(buf);
	return r;
}

/* Decodes a hex literal from a test vector; aborts on a typo. */
static __attribute__((unused)) size_t
unhex(uint8_t *out, size_t cap, const char *hex)
{
	size_t	n;

	if (hex_decode_any(out, cap, &n, hex, strlen(hex)) != 0) {
		fprintf(stderr, "bad test vector hex: %s\n", hex);
		abort();
	}
	return n;
}

static __attribute__((unused)) int
done_testing(void)
{
	printf("1..%d\n", tap_n);
	return tap_failed ? 1 : 0;
}

#endif
