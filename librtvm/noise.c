/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Hardware/OS noise: a thread of our own spins on one CPU at SCHED_FIFO 99
 * reading the clock; any gap between two consecutive reads is time the CPU
 * was taken away (an interrupt, an SMI, RT throttling, the hypervisor).
 * The policy and affinity go through the operations table like every other
 * scheduling change of the library; the thread exits before the call
 * returns, so nothing is left to restore.
 */
#include "config.h"

#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "check-private.h"

#define NSEC_PER_USEC UINT64_C(1000)
#define NSEC_PER_MSEC UINT64_C(1000000)
#define NOISE_MAX_MS (3600u * 1000u)
#define NOISE_STACK (256u * 1024u)

/* Lower bounds of hist[1..7] in us; hist[0] starts at the threshold. */
static const unsigned int hist_bound_us[8] = { 0,    10,   50,   100,
					       500,  1000, 5000, 20000 };

/* Verdict limits on the largest gap (see the check's expected text). */
#define NOISE_WARN_US 100u
#define NOISE_FAIL_US 1000u

struct spin {
	/* in */
	struct rtvm_ctx *ctx;
	const struct rtvm_cpumask *mask;
	uint64_t duration_ns;
	uint64_t threshold_ns;
	uint64_t window_lo_ns, window_hi_ns; /* 0, 0: not counted */
	/* out */
	int err;
	const char *failed; /* which step failed */
	int cpu_seen;
	struct rtvm_noise_result res;
	uint64_t in_window;
};

static inline uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC_RAW, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static unsigned int hist_index(uint64_t gap_ns)
{
	unsigned int i = ARRAY_SIZE(hist_bound_us) - 1;

	while (i > 0 && gap_ns < hist_bound_us[i] * NSEC_PER_USEC)
		i--;
	return i;
}

static void *spin_main(void *arg)
{
	struct spin *s = arg;
	struct rtvm_tid t = { getpid(), (pid_t)syscall(SYS_gettid) };
	struct rtvm_sched fifo = { .policy = SCHED_FIFO, .priority = 99 };
	struct rtvm_noise_result *res = &s->res;
	uint64_t prev, now, end;
	int r;

	/* Pin first: the thread must never run at FIFO 99 elsewhere. */
	r = rtvm_sys_affinity_set(s->ctx, t, s->mask);
	if (r < 0) {
		s->err = r;
		s->failed = "sched_setaffinity";
		return NULL;
	}
	r = rtvm_sys_sched_set(s->ctx, t, &fifo);
	if (r < 0) {
		s->err = r;
		s->failed = "SCHED_FIFO 99";
		return NULL;
	}
	s->cpu_seen = sched_getcpu();

	prev = now_ns();
	end = prev + s->duration_ns;
	do {
		uint64_t gap;

		now = now_ns();
		gap = now - prev;
		prev = now;
		res->samples++;
		if (gap > res->max_gap_ns)
			res->max_gap_ns = gap;
		if (gap <= s->threshold_ns)
			continue;
		res->gaps++;
		res->total_gap_ns += gap;
		res->hist[hist_index(gap)]++;
		if (gap >= s->window_lo_ns && gap <= s->window_hi_ns)
			s->in_window++;
	} while (now < end);
	return NULL;
}

/* rtvm_noise_measure(), also counting the gaps that fall in a window (the
 * length of an RT throttling pause). */
static int noise_measure(struct rtvm_ctx *ctx, int cpu, unsigned int ms,
			 unsigned int threshold_us, uint64_t window_lo_ns,
			 uint64_t window_hi_ns, struct rtvm_noise_result *ret,
			 uint64_t *ret_in_window)
{
	struct spin s = {
		.ctx = ctx,
		.duration_ns = ms * NSEC_PER_MSEC,
		.threshold_ns = threshold_us * NSEC_PER_USEC,
		.window_lo_ns = window_lo_ns,
		.window_hi_ns = window_hi_ns,
		.cpu_seen = -1,
	};
	struct rtvm_cpumask *mask = NULL;
	sigset_t all, old;
	pthread_attr_t attr;
	pthread_t thread;
	int r;

	if (!ctx || !ret || cpu < 0 || ms == 0 || ms > NOISE_MAX_MS ||
	    threshold_us == 0)
		return -EINVAL;
	r = rtvm_cpumask_new(ctx, &mask);
	if (r < 0)
		return r;
	r = rtvm_cpumask_set(mask, (unsigned int)cpu);
	if (r < 0)
		goto out;
	s.mask = mask;

	r = -pthread_attr_init(&attr);
	if (r < 0)
		goto out;
	r = -pthread_attr_setstacksize(&attr, NOISE_STACK);
	if (r == 0) {
		/* Signals are for the caller's threads, not for a thread
		 * that spins at FIFO 99: it inherits a full block mask. */
		sigfillset(&all);
		pthread_sigmask(SIG_SETMASK, &all, &old);
		r = -pthread_create(&thread, &attr, spin_main, &s);
		pthread_sigmask(SIG_SETMASK, &old, NULL);
	}
	pthread_attr_destroy(&attr);
	if (r < 0) {
		err(ctx, "noise: cannot start the measuring thread: %s",
		    strerror(-r));
		goto out;
	}
	r = -pthread_join(thread, NULL);
	if (r < 0) /* cannot happen for a joinable thread of ours */
		goto out;

	if (s.err < 0) {
		r = s.err;
		dbg(ctx, "noise: CPU %d: %s: %s", cpu, s.failed, strerror(-r));
		goto out;
	}
	if (s.cpu_seen != cpu)
		dbg(ctx, "noise: the thread ran on CPU %d, not %d (ops %s)",
		    s.cpu_seen, cpu, rtvm_ctx_get_sysops(ctx)->name);
	dbg(ctx,
	    "noise: CPU %d, %u ms: %" PRIu64 " reads, %" PRIu64
	    " gaps > %u us, max %" PRIu64 " ns",
	    cpu, ms, s.res.samples, s.res.gaps, threshold_us,
	    s.res.max_gap_ns);
	*ret = s.res;
	if (ret_in_window)
		*ret_in_window = s.in_window;
	r = 0;
out:
	rtvm_cpumask_free(mask);
	return r;
}

int rtvm_noise_measure(struct rtvm_ctx *ctx, int cpu, unsigned int ms,
		       unsigned int threshold_us,
		       struct rtvm_noise_result *ret)
{
	return noise_measure(ctx, cpu, ms, threshold_us, 0, 0, ret, NULL);
}

/* ---- the check -------------------------------------------------------- */

/* "12 us", "50 ms", "1.95 s" */
static const char *fmt_ns(uint64_t ns, char *buf, size_t size)
{
	if (ns < 10 * NSEC_PER_MSEC)
		snprintf(buf, size, "%" PRIu64 " us",
			 (ns + NSEC_PER_USEC / 2) / NSEC_PER_USEC);
	else if (ns < 1000 * NSEC_PER_MSEC)
		snprintf(buf, size, "%g ms",
			 (double)((ns + 50000) / 100000) / 10.0);
	else
		snprintf(buf, size, "%g s",
			 (double)((ns + 5 * NSEC_PER_MSEC) / (10 * NSEC_PER_MSEC)) /
				 100.0);
	return buf;
}

static const char *fmt_us(unsigned int us, char *buf, size_t size)
{
	if (us >= 1000 && us % 1000 == 0)
		snprintf(buf, size, "%u ms", us / 1000);
	else
		snprintf(buf, size, "%u us", us);
	return buf;
}

static void add_histogram(struct rtvm_check_result *res, int cpu,
			  const struct rtvm_noise_result *n,
			  unsigned int threshold_us)
{
	char lo[32], hi[32];

	for (unsigned int i = 0; i < ARRAY_SIZE(n->hist); i++) {
		unsigned int from = hist_bound_us[i] > threshold_us ?
					    hist_bound_us[i] :
					    threshold_us;

		if (!n->hist[i])
			continue;
		fmt_us(from, lo, sizeof(lo));
		if (i + 1 < ARRAY_SIZE(n->hist)) {
			fmt_us(hist_bound_us[i + 1], hi, sizeof(hi));
			rtvm_check_add_detail(res, cpu,
					      "gaps %s to %s: %" PRIu64, lo,
					      hi, n->hist[i]);
		} else {
			rtvm_check_add_detail(res, cpu,
					      "gaps >= %s: %" PRIu64, lo,
					      n->hist[i]);
		}
	}
}

/* kernel.sched_rt_{runtime,period}_us; runtime -1 when unlimited, or when
 * the values cannot be read (nothing is claimed then). */
static void read_rt_bandwidth(struct rtvm_ctx *ctx, long long *runtime,
			      long long *period)
{
	char *v;

	*runtime = -1;
	*period = 0;
	if (rtvm_sysctl_get(ctx, "kernel.sched_rt_period_us", &v) == 0) {
		*period = strtoll(v, NULL, 10);
		free(v);
	}
	if (*period > 0 &&
	    rtvm_sysctl_get(ctx, "kernel.sched_rt_runtime_us", &v) == 0) {
		*runtime = strtoll(v, NULL, 10);
		free(v);
	}
	if (*runtime >= *period)
		*runtime = -1;
}

static int noise_gaps_run(const struct rtvm_check_env *env, void *state,
			  struct rtvm_check_result *res)
{
	struct rtvm_noise_result n;
	long long runtime, period;
	uint64_t win_lo = 0, win_hi = 0, in_window = 0, pause_ns = 0;
	unsigned int thr = env->noise_threshold_us;
	char a[32], b[32];
	double secs, pct, expected_pct;
	int cpu = env->noise_cpu, r;

	rtvm_check_set_expected(res,
				"while a thread spins at SCHED_FIFO 99: no gap "
				"of %u us or more (else warn), none of %u us "
				"or more (else fail)",
				NOISE_WARN_US, NOISE_FAIL_US);
	if (env->noise_ms == 0) {
		rtvm_check_set_status(res, RTVM_CHECK_SKIP);
		rtvm_check_set_observed(res, "off: give a duration");
		return 0;
	}
	if (strcmp(rtvm_get_root(env->ctx), "/") != 0) {
		rtvm_check_set_status(res, RTVM_CHECK_SKIP);
		rtvm_check_set_observed(res, "needs the real CPUs (a sysroot "
					     "is checked)");
		return 0;
	}
	if (cpu < 0) {
		rtvm_check_set_status(res, RTVM_CHECK_SKIP);
		rtvm_check_set_observed(res, "no RT CPU to measure on");
		return 0;
	}
	if (env->noise_ms > NOISE_MAX_MS) {
		rtvm_check_set_status(res, RTVM_CHECK_SKIP);
		rtvm_check_set_observed(res, "a duration of %u ms is more than "
					     "the limit of %u ms",
					env->noise_ms, NOISE_MAX_MS);
		return 0;
	}

	read_rt_bandwidth(env->ctx, &runtime, &period);
	if (runtime >= 0) {
		/* A throttled FIFO hog stops for period - runtime. */
		pause_ns = (uint64_t)(period - runtime) * NSEC_PER_USEC;
		win_lo = pause_ns * 6 / 10;
		win_hi = pause_ns * 3 / 2 + 5 * NSEC_PER_MSEC;
	}

	r = noise_measure(env->ctx, cpu, env->noise_ms, thr, win_lo, win_hi,
			  &n, &in_window);
	if (r == -EPERM) {
		rtvm_check_set_status(res, RTVM_CHECK_SKIP);
		rtvm_check_set_observed(res,
					"SCHED_FIFO refused (EPERM): not root, "
					"or in a cpu cgroup without RT runtime "
					"(cpu.rt_runtime_us = 0)");
		rtvm_check_set_remedy(res, "run as root from a cgroup with RT "
					   "runtime (e.g. the root cpu cgroup)");
		return 0;
	}
	if (r == -EINVAL) {
		rtvm_check_set_status(res, RTVM_CHECK_SKIP);
		rtvm_check_set_observed(res, "cannot run on CPU %d (offline, "
					     "or outside this process's cpuset)",
					cpu);
		return 0;
	}
	if (r < 0)
		return r;

	secs = env->noise_ms / 1000.0;
	pct = 100.0 * (double)n.total_gap_ns / ((double)env->noise_ms * 1e6);
	rtvm_check_set_observed(res,
				"%" PRIu64 " gaps > %u us in %g s, max %" PRIu64
				" us, total %" PRIu64 " us (%.2f%% of the time)",
				n.gaps, thr, secs,
				(n.max_gap_ns + NSEC_PER_USEC / 2) / NSEC_PER_USEC,
				(n.total_gap_ns + NSEC_PER_USEC / 2) / NSEC_PER_USEC,
				pct);
	add_histogram(res, cpu, &n, thr);
	rtvm_check_add_detail(res, cpu, "%" PRIu64 " clock reads, %.0f ns each",
			      n.samples,
			      n.samples ? (double)env->noise_ms * 1e6 /
						  (double)n.samples : 0.0);

	if (n.max_gap_ns >= NOISE_FAIL_US * NSEC_PER_USEC)
		rtvm_check_set_status(res, RTVM_CHECK_FAIL);
	else if (n.max_gap_ns >= NOISE_WARN_US * NSEC_PER_USEC)
		rtvm_check_set_status(res, RTVM_CHECK_WARN);
	else
		rtvm_check_set_status(res, RTVM_CHECK_PASS);

	if (in_window) {
		char *obs;

		/* Keep the figures and add the diagnosis. */
		if (asprintf(&obs, "%s; %" PRIu64 " of them %s like RT "
				   "throttling (%s every %s: "
				   "sched_rt_runtime_us=%lld of %lld)",
			     rtvm_check_result_get_observed(res), in_window,
			     in_window == 1 ? "looks" : "look",
			     fmt_ns(pause_ns, a, sizeof(a)),
			     fmt_ns((uint64_t)period * NSEC_PER_USEC, b,
				    sizeof(b)),
			     runtime, period) < 0)
			return -ENOMEM;
		rtvm_check_set_observed(res, "%s", obs);
		free(obs);
		rtvm_check_set_remedy(res, "sysctl -w kernel.sched_rt_runtime_us=-1"
					   " (and make it persistent in "
					   "/etc/sysctl.d/), then measure again");
		return 0;
	}
	expected_pct = runtime >= 0 && period > 0 ?
			       100.0 * (double)(period - runtime) / (double)period :
			       0.0;
	if (runtime >= 0 && expected_pct > 0 && pct >= expected_pct / 2 &&
	    (uint64_t)env->noise_ms * 1000 >= (uint64_t)(period + runtime)) {
		/* No single throttling pause, but the time lost matches the
		 * share that RT bandwidth control holds back (the fair
		 * server, or throttling split by other work). */
		char *obs;

		if (asprintf(&obs, "%s; the time lost matches RT bandwidth "
				   "control (%.1f%% of each period is held back "
				   "from RT tasks: sched_rt_runtime_us=%lld of "
				   "%lld)",
			     rtvm_check_result_get_observed(res), expected_pct,
			     runtime, period) < 0)
			return -ENOMEM;
		rtvm_check_set_observed(res, "%s", obs);
		free(obs);
		rtvm_check_worsen(res, RTVM_CHECK_WARN);
		rtvm_check_set_remedy(res, "sysctl -w kernel.sched_rt_runtime_us=-1"
					   " (and make it persistent in "
					   "/etc/sysctl.d/), then measure again");
		return 0;
	}
	if (runtime >= 0 &&
	    (uint64_t)env->noise_ms * 1000 < (uint64_t)(period + runtime)) {
		/* A FIFO hog is throttled only once it has used up a
		 * period's runtime, and the period timer's phase is
		 * unknown: shorter runs may miss it. */
		char *obs;

		if (asprintf(&obs, "%s; RT throttling (sched_rt_runtime_us="
				   "%lld) shows only in runs of %s or more",
			     rtvm_check_result_get_observed(res), runtime,
			     fmt_ns((uint64_t)(period + runtime) *
					    NSEC_PER_USEC, a, sizeof(a))) < 0)
			return -ENOMEM;
		rtvm_check_set_observed(res, "%s", obs);
		free(obs);
	}
	if (n.max_gap_ns >= NOISE_WARN_US * NSEC_PER_USEC) {
		rtvm_check_set_remedy(res,
				      "keep interrupts, timers and kernel work "
				      "off CPU %d (isolcpus=, nohz_full=, "
				      "rcu_nocbs=, IRQ affinity), disable deep "
				      "C-states and look for SMIs (see the "
				      "other checks); in a VM, gaps of a "
				      "millisecond and more come from the host",
				      cpu);
	}
	return 0;
}

const struct rtvm_check_def rtvm_checks_noise[] = {
	{
		.id = "noise.gaps",
		.title = "Hardware/OS noise on an RT CPU (busy-loop gap "
			 "detector)",
		.run = noise_gaps_run,
	},
	{ 0 },
};
