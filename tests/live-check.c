/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Live tier: the readiness checks on this very machine, with CPU 1 as the
 * RT CPU.  Nothing on the host is changed; the noise tests make a thread of
 * this test's own SCHED_FIFO 99 on CPU 1 for at most 2 s, and that thread
 * exits before the library call returns.
 */
#include "config.h"

#include <cjson/cJSON.h>
#include <dirent.h>
#include <errno.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "check-private.h"
#include "testutil.h"

#define RT_CPU 1
/* The throttling pause comes once the thread has used up a period's
 * runtime, and the period timer's phase is unknown: a run of period +
 * runtime (1.95 s at 950000/1000000) always contains one.  1.5 s missed it
 * in about one run of six here. */
#define NOISE_MS 2000

static bool noise_refused; /* FIFO refused: set in main() by a probe */
static char noise_refused_why[256];

/* kernel.sched_rt_runtime_us, read directly (not through the library under
 * test). */
static long long rt_runtime_us(void)
{
	FILE *f = fopen("/proc/sys/kernel/sched_rt_runtime_us", "re");
	long long v = -1;

	if (f) {
		if (fscanf(f, "%lld", &v) != 1)
			v = -1;
		fclose(f);
	}
	return v;
}

static unsigned int nr_own_threads(void)
{
	DIR *d = opendir("/proc/self/task");
	struct dirent *e;
	unsigned int n = 0;

	ck_assert_ptr_nonnull(d);
	while ((e = readdir(d)))
		n += e->d_name[0] != '.';
	closedir(d);
	return n;
}

/* pthread_join() returns once the thread's tid word is cleared, which the
 * kernel does in the middle of the thread's exit, before it is reaped and
 * leaves /proc/self/task.  Give the reaping up to a second. */
static unsigned int nr_own_threads_settled(unsigned int want)
{
	unsigned int n = nr_own_threads();

	for (int i = 0; i < 1000 && n != want; i++) {
		usleep(1000);
		n = nr_own_threads();
	}
	return n;
}

static struct rtvm_cpumask *rt_mask(struct rtvm_ctx *ctx)
{
	struct rtvm_cpumask *m;

	ck_assert_int_eq(rtvm_cpumask_new(ctx, &m), 0);
	ck_assert_int_eq(rtvm_cpumask_set(m, RT_CPU), 0);
	return m;
}

static const struct rtvm_check_result *
find(const struct rtvm_check_report *rep, const char *id)
{
	const struct rtvm_check_result *r = NULL;

	ck_assert_msg(rtvm_check_report_find(rep, id, &r) == 0,
		      "the report has no check %s", id);
	return r;
}

static double ms_since(const struct timespec *t0)
{
	struct timespec t1;

	clock_gettime(CLOCK_MONOTONIC, &t1);
	return (double)(t1.tv_sec - t0->tv_sec) * 1e3 +
	       (double)(t1.tv_nsec - t0->tv_nsec) / 1e6;
}

START_TEST(test_all_checks)
{
	struct rtvm_check_opts o = { .size = sizeof(o) };
	struct rtvm_check_report *rep;
	const struct rtvm_check_result *r;
	struct rtvm_cpumask *rt;
	struct rtvm_ctx *ctx;
	struct timespec t0;
	const char *obs;
	cJSON *doc, *checks, *c;
	char *json;
	int status, n = 0;

	ck_assert_int_eq(rtvm_new(&ctx), 0);
	rt = rt_mask(ctx);
	o.rt_cpus = rt;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	ck_assert_int_eq(rtvm_check_run(ctx, &o, &rep), 0);
	printf("check run without noise: %.1f ms\n", ms_since(&t0));
	ck_assert_str_eq(tu_list(rtvm_check_report_get_rt_cpus(rep)), "1");

	/* No msr module on these machines: SMIs cannot be counted. */
	r = find(rep, "smi.count");
	obs = rtvm_check_result_get_observed(r);
	ck_assert_msg(rtvm_check_result_get_status(r) == RTVM_CHECK_SKIP,
		      "smi.count is %s: %s",
		      rtvm_check_status_to_string(rtvm_check_result_get_status(r)),
		      obs);
	ck_assert_msg(strcasestr(obs, "msr") || strstr(obs, "Intel") ||
			      strstr(obs, "AMD"),
		      "smi.count skip does not say why: \"%s\"", obs);

	r = find(rep, "sched.rt_throttling");
	status = rtvm_check_result_get_status(r);
	if (rt_runtime_us() != -1)
		ck_assert_msg(status == RTVM_CHECK_WARN || status == RTVM_CHECK_FAIL,
			      "sched_rt_runtime_us is %lld but sched.rt_throttling "
			      "is %s: %s", rt_runtime_us(),
			      rtvm_check_status_to_string(status),
			      rtvm_check_result_get_observed(r));

	/* No noise duration: noise.gaps is off. */
	r = find(rep, "noise.gaps");
	ck_assert_int_eq(rtvm_check_result_get_status(r), RTVM_CHECK_SKIP);

	ck_assert_int_eq(rtvm_check_report_to_json(rep, &json), 0);
	doc = cJSON_Parse(json);
	ck_assert_msg(doc != NULL, "the JSON does not parse");
	ck_assert(cJSON_IsString(cJSON_GetObjectItem(doc, "verdict")));
	ck_assert_str_eq(cJSON_GetObjectItem(doc, "rt_cpus")->valuestring, "1");
	checks = cJSON_GetObjectItem(doc, "checks");
	ck_assert(cJSON_IsArray(checks));
	cJSON_ArrayForEach(c, checks) {
		ck_assert(cJSON_IsString(cJSON_GetObjectItem(c, "id")));
		ck_assert(cJSON_IsString(cJSON_GetObjectItem(c, "status")));
		n++;
	}
	rtvm_check_report_foreach(r, rep)
		n--;
	ck_assert_int_eq(n, 0);
	ck_assert_str_eq(cJSON_GetObjectItem(doc, "verdict")->valuestring,
			 rtvm_check_status_to_string(
				 rtvm_check_report_get_verdict(rep)));
	cJSON_Delete(doc);
	free(json);
	rtvm_check_report_unref(rep);
	rtvm_cpumask_free(rt);
	rtvm_unref(ctx);
}
END_TEST

START_TEST(test_noise_throttling)
{
	struct rtvm_check_opts o = {
		.size = sizeof(o),
		.flags = RTVM_CHECK_NOISE_CPU,
		.noise_cpu = RT_CPU,
		.noise_ms = NOISE_MS,
		.only = "noise.gaps",
	};
	struct rtvm_check_report *rep;
	const struct rtvm_check_result *r;
	unsigned long long gaps = 0, max_us = 0;
	unsigned int threads = nr_own_threads();
	long long runtime = rt_runtime_us();
	struct rtvm_ctx *ctx;
	const char *obs, *p, *text;
	bool hist = false;
	int cpu;

	if (noise_refused) {
		printf("SKIP noise.gaps: %s\n", noise_refused_why);
		return;
	}
	ck_assert_int_eq(rtvm_new(&ctx), 0);
	ck_assert_int_eq(rtvm_check_run(ctx, &o, &rep), 0);
	/* The spinning thread is gone when the run returns. */
	ck_assert_uint_eq(nr_own_threads_settled(threads), threads);
	r = find(rep, "noise.gaps");
	obs = rtvm_check_result_get_observed(r);
	if (rtvm_check_result_get_status(r) == RTVM_CHECK_SKIP &&
	    strstr(obs, "EPERM")) {
		printf("SKIP noise.gaps: %s\n", obs);
		goto out;
	}
	ck_assert_msg(rtvm_check_result_get_status(r) != RTVM_CHECK_SKIP,
		      "noise.gaps skipped: %s", obs);
	ck_assert_msg(sscanf(obs, "%llu gaps", &gaps) == 1 &&
			      (p = strstr(obs, ", max ")) &&
			      sscanf(p, ", max %llu us", &max_us) == 1,
		      "noise.gaps observed: \"%s\"", obs);
	printf("noise.gaps on CPU %d for %d ms (sched_rt_runtime_us=%lld): "
	       "%s: %s\n", RT_CPU, NOISE_MS, runtime,
	       rtvm_check_status_to_string(rtvm_check_result_get_status(r)),
	       obs);
	for (unsigned int i = 0; i < rtvm_check_result_get_nr_details(r); i++) {
		ck_assert_int_eq(rtvm_check_result_get_detail(r, i, &cpu, &text), 0);
		ck_assert_int_eq(cpu, RT_CPU);
		printf("  cpu %d: %s\n", cpu, text);
		hist |= strncmp(text, "gaps ", 5) == 0;
	}
	ck_assert(hist || gaps == 0);
	if (runtime != -1) {
		/* RT bandwidth control holds back ~50 ms of each second at
		 * 950000/1000000: one throttling pause, or (with the fair
		 * server and other work on the CPU) many shorter ones. */
		ck_assert_msg(max_us >= 20000 ||
				      strstr(obs, "matches RT bandwidth control"),
			      "no sign of RT bandwidth control in %d ms: %s",
			      NOISE_MS, obs);
		ck_assert_ptr_nonnull(strstr(rtvm_check_result_get_remedy(r),
					     "sysctl -w kernel.sched_rt_runtime_us=-1"));
		ck_assert_int_ge(rtvm_check_result_get_status(r), RTVM_CHECK_WARN);
	}
out:
	rtvm_check_report_unref(rep);
	rtvm_unref(ctx);
}
END_TEST

/* The measuring primitive: consistent figures, argument errors, a refused
 * FIFO, and the caller's own policy and affinity untouched. */
START_TEST(test_noise_measure)
{
	struct rtvm_noise_result n;
	struct rtvm_check_report *rep;
	const struct rtvm_check_result *r;
	struct rtvm_check_opts o = {
		.size = sizeof(o),
		.flags = RTVM_CHECK_NOISE_CPU,
		.noise_cpu = RT_CPU,
		.noise_ms = 50,
		.only = "noise.gaps",
	};
	struct rtvm_cpumask *before, *after;
	struct rtvm_tid me = { getpid(), gettid() };
	struct rtvm_sched s;
	struct rtvm_ctx *ctx;
	uint64_t sum = 0;
	unsigned int threads = nr_own_threads();
	int policy = sched_getscheduler(0);

	if (noise_refused) {
		printf("SKIP noise measure: %s\n", noise_refused_why);
		return;
	}
	ck_assert_int_eq(rtvm_new(&ctx), 0);
	ck_assert_int_eq(rtvm_cpumask_new(ctx, &before), 0);
	ck_assert_int_eq(rtvm_cpumask_new(ctx, &after), 0);
	ck_assert_int_eq(rtvm_sys_affinity_get(ctx, me, before), 0);

	ck_assert_int_eq(rtvm_noise_measure(ctx, RT_CPU, 200, 20, &n), 0);
	ck_assert_uint_gt(n.samples, 1000);
	for (unsigned int i = 0; i < ARRAY_SIZE(n.hist); i++)
		sum += n.hist[i];
	ck_assert_uint_eq(sum, n.gaps);
	ck_assert_uint_ge(n.total_gap_ns, n.gaps * 20000);
	ck_assert_uint_le(n.total_gap_ns, 200 * UINT64_C(1000000));
	if (n.gaps)
		ck_assert_uint_gt(n.max_gap_ns, 20000);
	printf("noise 200 ms on CPU %d: %" PRIu64 " reads, %" PRIu64
	       " gaps > 20 us, max %" PRIu64 " us\n", RT_CPU, n.samples,
	       n.gaps, n.max_gap_ns / 1000);

	ck_assert_int_eq(rtvm_noise_measure(ctx, -1, 10, 20, &n), -EINVAL);
	ck_assert_int_eq(rtvm_noise_measure(ctx, RT_CPU, 0, 20, &n), -EINVAL);
	ck_assert_int_eq(rtvm_noise_measure(ctx, RT_CPU, 10, 0, &n), -EINVAL);
	ck_assert_int_eq(rtvm_noise_measure(NULL, RT_CPU, 10, 20, &n), -EINVAL);
	ck_assert_int_eq(rtvm_noise_measure(ctx, 100000, 10, 20, &n), -EINVAL);

	/* FIFO refused: the error comes back and the check says why. */
	ck_assert_int_eq(rtvm_ctx_add_fault(ctx, RTVM_OP_SCHED_SET, NULL, 1, 0,
					    EPERM), 0);
	ck_assert_int_eq(rtvm_noise_measure(ctx, RT_CPU, 10, 20, &n), -EPERM);
	ck_assert_int_eq(rtvm_check_run(ctx, &o, &rep), 0);
	r = find(rep, "noise.gaps");
	ck_assert_int_eq(rtvm_check_result_get_status(r), RTVM_CHECK_SKIP);
	ck_assert_ptr_nonnull(strstr(rtvm_check_result_get_observed(r), "EPERM"));
	rtvm_check_report_unref(rep);
	rtvm_ctx_clear_faults(ctx);

	/* Pinning refused: nothing spins unpinned. */
	ck_assert_int_eq(rtvm_ctx_add_fault(ctx, RTVM_OP_AFFINITY_SET, NULL, 1,
					    0, EINVAL), 0);
	ck_assert_int_eq(rtvm_noise_measure(ctx, RT_CPU, 10, 20, &n), -EINVAL);
	rtvm_ctx_clear_faults(ctx);

	ck_assert_uint_eq(nr_own_threads_settled(threads), threads);
	ck_assert_int_eq(sched_getscheduler(0), policy);
	ck_assert_int_eq(rtvm_sys_sched_get(ctx, me, &s), 0);
	ck_assert_int_eq(s.priority, 0);
	ck_assert_int_eq(rtvm_sys_affinity_get(ctx, me, after), 0);
	ck_assert(rtvm_cpumask_equal(before, after));
	rtvm_cpumask_free(before);
	rtvm_cpumask_free(after);
	rtvm_unref(ctx);
}
END_TEST

int main(void)
{
	Suite *s;
	TCase *tc;
	struct rtvm_noise_result n;
	struct rtvm_ctx *ctx;
	int r;

	if (geteuid() != 0) {
		printf("SKIP: needs root (SCHED_FIFO, MSR devices, root-only "
		       "files)\n");
		return EXIT_SKIP;
	}
	if (sysconf(_SC_NPROCESSORS_ONLN) < 2) {
		printf("SKIP: needs CPU %d online\n", RT_CPU);
		return EXIT_SKIP;
	}
	tu_lock_rt_cpus(); /* no other live test spins on CPU 1 meanwhile */
	/* Whether this process may be SCHED_FIFO at all (a cpu cgroup with
	 * no RT runtime says EPERM): 1 ms of spinning. */
	if (rtvm_new(&ctx) < 0)
		return EXIT_FAILURE;
	r = rtvm_noise_measure(ctx, RT_CPU, 1, 20, &n);
	if (r == -EPERM) {
		noise_refused = true;
		snprintf(noise_refused_why, sizeof(noise_refused_why),
			 "SCHED_FIFO refused (EPERM): this process's cpu cgroup "
			 "has no RT runtime");
	} else if (r < 0) {
		noise_refused = true;
		snprintf(noise_refused_why, sizeof(noise_refused_why),
			 "cannot spin on CPU %d: %s", RT_CPU, strerror(-r));
	}
	rtvm_unref(ctx);

	s = suite_create("live-check");
	tc = tcase_create("live");
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_all_checks);
	tcase_add_test(tc, test_noise_measure);
	tcase_add_test(tc, test_noise_throttling);
	suite_add_tcase(s, tc);
	return tu_run(s);
}
