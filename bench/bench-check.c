/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * bench-check: the cost of a full readiness check (without the noise
 * sampler), next to tuned-adm verify where TuneD runs; and the noise
 * detector's findings next to cyclictest's on the same CPU for the same
 * time.  Prints figures; never passes or fails on time.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <rtvm/rtvm.h>

#include "stats.h"

/* Prints a row; returns the median (0 without samples). */
static double print_stats(const char *name, const double *v, int n,
			  double ref)
{
	struct bench_stats st;

	if (bench_stats(v, (unsigned int)n, &st) < 0)
		return 0;
	printf("%-22s %5d %10.2f %10.2f %10.2f", name, n, st.median, st.p99,
	       st.max);
	if (ref > 0)
		printf("   %s/librtvm = %.1fx", name, st.median / ref);
	putchar('\n');
	return st.median;
}

/* The largest number after "Max:" in cyclictest's quiet summary.  --laptop:
 * no /dev/cpu_dma_latency hold, so the host's PM QoS is left alone. */
static long cyclictest_max(int cpu, int seconds)
{
	char cmd[256], line[512];
	long max = -1;
	FILE *f;

	snprintf(cmd, sizeof(cmd),
		 "cyclictest --laptop -q -m -p 99 -t 1 -a %d -i 1000 -D %ds 2>&1", cpu,
		 seconds);
	f = popen(cmd, "r");
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		char *p = strstr(line, "Max:");

		if (p)
			max = strtol(p + 4, NULL, 10);
		else if (max < 0)
			fprintf(stderr, "cyclictest: %s", line);
	}
	return pclose(f) == 0 ? max : -1;
}

int main(int argc, char **argv)
{
	struct rtvm_check_opts o = { .size = sizeof(o) };
	struct rtvm_check_report *rep;
	struct rtvm_cpumask *rt = NULL;
	const struct rtvm_check_result *r;
	struct rtvm_ctx *ctx;
	int runs = 30, noise = 2, cpu = -1, c, i;
	double *t, ref;

	while ((c = getopt(argc, argv, "r:n:c:h")) != -1) {
		switch (c) {
		case 'r': runs = atoi(optarg); break;
		case 'n': noise = atoi(optarg); break;
		case 'c': cpu = atoi(optarg); break;
		default:
			fprintf(stderr, "usage: %s [-r RUNS] [-n NOISE_SECONDS] "
					"[-c CPU]\n", argv[0]);
			return 2;
		}
	}
	if (runs < 1 || noise < 0)
		return 2;
	if (cpu < 0)
		cpu = (int)sysconf(_SC_NPROCESSORS_ONLN) - 1;
	if (rtvm_new(&ctx) < 0 || rtvm_cpumask_new(ctx, &rt) < 0 ||
	    rtvm_cpumask_set(rt, (unsigned int)cpu) < 0) {
		fprintf(stderr, "bench-check: cannot set up CPU %d\n", cpu);
		return 1;
	}
	o.rt_cpus = rt;
	t = calloc((size_t)runs, sizeof(*t));
	for (i = 0; i < runs; i++) {
		double t0 = bench_now_ms();

		if (rtvm_check_run(ctx, &o, &rep) < 0) {
			fprintf(stderr, "bench-check: rtvm_check_run failed\n");
			return 1;
		}
		t[i] = bench_now_ms() - t0;
		if (i == runs - 1)
			printf("verdict on this host (RT CPU %d): %s, %u checks\n",
			       cpu, rtvm_check_status_to_string(
					    rtvm_check_report_get_verdict(rep)),
			       rtvm_check_report_get_count(rep, RTVM_CHECK_PASS) +
				       rtvm_check_report_get_count(rep, RTVM_CHECK_INFO) +
				       rtvm_check_report_get_count(rep, RTVM_CHECK_SKIP) +
				       rtvm_check_report_get_count(rep, RTVM_CHECK_WARN) +
				       rtvm_check_report_get_count(rep, RTVM_CHECK_FAIL));
		rtvm_check_report_unref(rep);
	}
	printf("\n%-22s %5s %10s %10s %10s\n", "full check (no noise)", "runs",
	       "median ms", "p99 ms", "max ms");
	ref = print_stats("librtvm", t, runs, 0);
	printf("goal: < 50 ms (figure, not a verdict)\n");
	if (system("tuned-adm verify >/dev/null 2>&1") == 0) {
		for (i = 0; i < runs && i < 5; i++) {
			double t0 = bench_now_ms();

			if (system("tuned-adm verify >/dev/null 2>&1") != 0)
				break;
			t[i] = bench_now_ms() - t0;
		}
		print_stats("tuned-adm verify", t, i, ref);
	} else {
		printf("tuned-adm verify: not run: it needs the TuneD daemon on "
		       "D-Bus, and starting TuneD would re-tune the host\n");
	}
	free(t);

	if (noise > 0) {
		long cmax;

		printf("\nnoise on CPU %d for %d s each, one after the other:\n",
		       cpu, noise);
		o.only = "noise.gaps";
		o.noise_ms = (unsigned int)noise * 1000;
		o.flags = RTVM_CHECK_NOISE_CPU;
		o.noise_cpu = (unsigned int)cpu;
		if (rtvm_check_run(ctx, &o, &rep) == 0 &&
		    rtvm_check_report_find(rep, "noise.gaps", &r) == 0) {
			const char *text;
			int dcpu;

			printf("  librtvm noise.gaps: %s: %s\n",
			       rtvm_check_status_to_string(rtvm_check_result_get_status(r)),
			       rtvm_check_result_get_observed(r));
			for (unsigned int k = 0;
			     rtvm_check_result_get_detail(r, k, &dcpu, &text) == 0; k++)
				printf("    %s\n", text);
			rtvm_check_report_unref(rep);
		}
		cmax = cyclictest_max(cpu, noise);
		if (cmax >= 0)
			printf("  cyclictest -p 99 -i 1000 max latency: %ld us\n", cmax);
		else
			printf("  cyclictest: not run (install rt-tests; needs root)\n");
	}
	rtvm_cpumask_free(rt);
	rtvm_unref(ctx);
	return 0;
}
