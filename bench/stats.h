/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The clock and the figures every benchmark prints: median, p99 and
 * max (and min) of its samples, in milliseconds. */
#ifndef BENCH_STATS_H
#define BENCH_STATS_H

#include <stdlib.h>
#include <string.h>
#include <time.h>

struct bench_stats {
	double median; /* the mean of the middle two for an even count */
	double p99;    /* nearest rank: the ceil(0.99 n)-th smallest */
	double min, max;
};

static inline double bench_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static int bench_cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

/* The figures of @n samples (@v is left as it is).  Returns 0, or -1
 * without samples or memory. */
static inline int bench_stats(const double *v, unsigned int n,
			      struct bench_stats *ret)
{
	double *s;

	if (!n || !(s = malloc(n * sizeof(*s))))
		return -1;
	memcpy(s, v, n * sizeof(*s));
	qsort(s, n, sizeof(*s), bench_cmp_double);
	ret->median = n % 2 ? s[n / 2] : (s[n / 2 - 1] + s[n / 2]) / 2;
	ret->p99 = s[(99 * n + 99) / 100 - 1];
	ret->min = s[0];
	ret->max = s[n - 1];
	free(s);
	return 0;
}

#endif
