/* SPDX-License-Identifier: ISC */
/*
 * A minimal TAP producer for the unit tests: ok(), is_hex(), and a plan
 * printed at the end.  Each test program includes this once.  Including
 * it also puts the program under a time limit (tap_limit() below).
 */
#ifndef RMB_TAP_H
#define RMB_TAP_H

#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "hex.h"

/*
 * The harness (tests/limit.sh) gives a test RMB_TEST_TIMEOUT seconds, 600
 * unless set, 0 for no limit; the program bails out a tenth earlier, so
 * that the log says so in TAP before the harness has to kill it.
 */
#define TAP_HARNESS_LIMIT	600

static int tap_n, tap_failed;
static char tap_timeout_msg[64];
static size_t tap_timeout_len;

/* Async-signal-safe: the message was made in advance. */
static void
tap_timeout(int sig)
{
	(void)sig;
	(void)!write(STDOUT_FILENO, tap_timeout_msg, tap_timeout_len);
	_exit(1);
}

/*
 * Before main(): a test waiting on a daemon that wrongly stays up or
 * never answers fails with "Bail out!" instead of hanging make check.
 * The alarm does not pass to forked children.  stdout is line-buffered
 * so that what the test printed before it hung is in the log.
 */
static __attribute__((constructor)) void
tap_limit(void)
{
	struct sigaction	 sa;
	const char		*env = getenv("RMB_TEST_TIMEOUT");
	long			 limit = TAP_HARNESS_LIMIT, margin;
	char			*end;

	setvbuf(stdout, NULL, _IOLBF, 0);
	if (env != NULL && *env != '\0') {
		limit = strtol(env, &end, 10);
		if (*end != '\0' || limit < 0)
			limit = TAP_HARNESS_LIMIT;
	}
	if (limit == 0)
		return;
	if (limit > 86400)
		limit = 86400;
	margin = limit / 10 > 0 ? limit / 10 : 1;
	if (limit > margin)
		limit -= margin;
	tap_timeout_len = (size_t)snprintf(tap_timeout_msg,
	    sizeof(tap_timeout_msg), "\nBail out! timed out after %ld s\n",
	    limit);
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = tap_timeout;
	sigemptyset(&sa.sa_mask);
	if (sigaction(SIGALRM, &sa, NULL) == 0)
		alarm((unsigned int)limit);
}

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
