/* SPDX-License-Identifier: ISC */
/* Timing helpers shared by the benchmarks: they print, never assert. */
#ifndef RMB_BENCH_H
#define RMB_BENCH_H

#include <stdlib.h>
#include <time.h>

static __attribute__((unused)) double
now_us(void)
{
	struct timespec	ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e6 + (double)ts.tv_nsec / 1e3;
}

static int
bench_cmp(const void *a, const void *b)
{
	double	x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

/* The median of n samples (sorted in place). */
static __attribute__((unused)) double
median(double *samples, size_t n)
{
	qsort(samples, n, sizeof(double), bench_cmp);
	return samples[n / 2];
}

#endif
