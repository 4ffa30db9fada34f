/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Host readiness checks about scheduling: user RT threads against the
 * kernel threads of their CPU (an RT thread above ksoftirqd, ktimers or
 * rcuc freezes the CPU's soft interrupts, timers and RCU), and RT threads
 * that busy-loop on CPUs where other work must also run.
 */
#include "config.h"

#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "check-private.h"

static bool is_rt(int policy)
{
	return policy == SCHED_FIFO || policy == SCHED_RR;
}

static const char *pol_name(int policy)
{
	return policy == SCHED_FIFO ? "FIFO" : policy == SCHED_RR ? "RR" : "OTHER";
}

/* A user thread with an RT policy. */
static bool user_rt(const struct rtvm_thread *t)
{
	return !rtvm_thread_is_kthread(t) && is_rt(rtvm_thread_get_policy(t));
}

/* ---- sched.priority_order ----------------------------------------------- */

/* The per-CPU kernel threads an RT thread must stay below. */
static const char *const guarded[] = { "ksoftirqd/", "ktimers/", "rcuc/" };

/* The CPU of a per-CPU kernel thread named like "rcuc/12", or -1. */
static int kthread_cpu(const char *comm, unsigned int *ret_kind)
{
	for (unsigned int i = 0; i < ARRAY_SIZE(guarded); i++) {
		size_t n = strlen(guarded[i]);
		int cpu;

		if (strncmp(comm, guarded[i], n) == 0 &&
		    rtvm_parse_int(comm + n, &cpu) == 0 && cpu >= 0) {
			*ret_kind = i;
			return cpu;
		}
	}
	return -1;
}

/* The priority a user thread must stay below: kthreads count as 0 when not
 * RT, since any RT thread then starves them. */
static int eff_prio(const struct rtvm_thread *t)
{
	return is_rt(rtvm_thread_get_policy(t)) ? rtvm_thread_get_rt_priority(t) : 0;
}

/* The lowest guarded kthread of @cpu, or NULL when it has none. */
static const struct rtvm_thread *lowest_kthread(const struct rtvm_host *host,
						int cpu, char **ret_list)
{
	const struct rtvm_thread *t, *low = NULL;
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	bool sep = false;

	rtvm_host_foreach_thread(t, host) {
		unsigned int kind;

		if (!rtvm_thread_is_kthread(t) ||
		    kthread_cpu(rtvm_thread_get_comm(t), &kind) != cpu)
			continue;
		if (f)
			fprintf(f, "%s%s %s %d", sep ? ", " : "",
				rtvm_thread_get_comm(t),
				pol_name(rtvm_thread_get_policy(t)), eff_prio(t));
		sep = true;
		if (!low || eff_prio(t) < eff_prio(low))
			low = t;
	}
	if (f && fclose(f) != 0) {
		free(buf);
		buf = NULL;
	}
	*ret_list = buf;
	return low;
}

/* An RT stalld thread that may run on @cpu, or NULL. */
static const struct rtvm_thread *stalld_on(const struct rtvm_host *host, int cpu)
{
	const struct rtvm_thread *t;

	rtvm_host_foreach_thread(t, host)
		if (!rtvm_thread_is_kthread(t) &&
		    strcmp(rtvm_thread_get_comm(t), "stalld") == 0 &&
		    is_rt(rtvm_thread_get_policy(t)) &&
		    rtvm_cpumask_test(rtvm_thread_get_affinity(t), (unsigned int)cpu))
			return t;
	return NULL;
}

static int run_priority_order(const struct rtvm_check_env *env, void *state,
			      struct rtvm_check_result *res)
{
	const struct rtvm_thread *t;
	unsigned int pinned = 0, bad = 0;
	pid_t first = 0;

	rtvm_check_set_expected(res, "every pinned user FIFO/RR thread below "
				"ksoftirqd/N, ktimers/N and rcuc/N of its CPU "
				"(and below an RT stalld that may run there)");
	rtvm_host_foreach_thread(t, env->host) {
		const struct rtvm_cpumask *aff = rtvm_thread_get_affinity(t);
		const struct rtvm_thread *low, *st;
		char *klist = NULL;
		int cpu, prio;

		if (!user_rt(t) || !aff || rtvm_cpumask_weight(aff) != 1 ||
		    strcmp(rtvm_thread_get_comm(t), "stalld") == 0)
			continue;
		pinned++;
		cpu = rtvm_cpumask_next(aff, -1);
		prio = rtvm_thread_get_rt_priority(t);
		low = lowest_kthread(env->host, cpu, &klist);
		st = stalld_on(env->host, cpu);
		if (low && prio >= eff_prio(low)) {
			rtvm_check_add_detail(res, cpu, "%d %s %s %d >= %s (%s)",
					      (int)rtvm_thread_get_tid(t),
					      rtvm_thread_get_comm(t),
					      pol_name(rtvm_thread_get_policy(t)),
					      prio, rtvm_thread_get_comm(low),
					      klist ? klist : "?");
			if (!bad++)
				first = rtvm_thread_get_tid(t);
		}
		if (st && prio >= rtvm_thread_get_rt_priority(st)) {
			rtvm_check_add_detail(res, cpu, "%d %s %s %d >= stalld "
					      "(%d) %s %d: it cannot run to "
					      "boost starving threads",
					      (int)rtvm_thread_get_tid(t),
					      rtvm_thread_get_comm(t),
					      pol_name(rtvm_thread_get_policy(t)),
					      prio, (int)rtvm_thread_get_tid(st),
					      pol_name(rtvm_thread_get_policy(st)),
					      rtvm_thread_get_rt_priority(st));
			if (!bad++)
				first = rtvm_thread_get_tid(t);
		}
		free(klist);
	}
	if (!bad) {
		rtvm_check_set_status(res, RTVM_CHECK_PASS);
		rtvm_check_set_observed(res, "%u pinned user FIFO/RR thread%s, "
					"all below the kernel threads of their CPU",
					pinned, pinned == 1 ? "" : "s");
		return 0;
	}
	rtvm_check_set_status(res, RTVM_CHECK_WARN);
	rtvm_check_set_observed(res, "%u pinned user RT thread%s at or above "
				"a kernel thread of its CPU: soft interrupts, "
				"timers and RCU there wait for %s (the system "
				"may freeze)", bad, bad == 1 ? "" : "s",
				bad == 1 ? "it" : "them");
	rtvm_check_set_remedy(res, "give the thread a lower priority, e.g. "
			      "rtvm-sched set --pid %d --fifo 1, or raise the "
			      "kernel threads: rtvm-sched kthreads --cpus LIST "
			      "--profile rt-host", (int)first);
	return 0;
}

/* ---- sched.busy_fifo ---------------------------------------------------- */

struct busy_sample {
	pid_t pid, tid;
	unsigned long long start;
	unsigned long long ticks; /* utime + stime */
	struct timespec ts;
};

struct busy_state {
	size_t n;
	struct busy_sample s[];
};

/* utime + stime (fields 14 and 15) and the start time (22) of a thread; the
 * comm (field 2) may hold spaces and ')', so count from the last ')'. */
static int read_ticks(struct rtvm_ctx *ctx, pid_t pid, pid_t tid,
		      unsigned long long *ret_ticks, unsigned long long *ret_start)
{
	unsigned long long ut, st, start;
	char buf[1024];
	const char *p;
	int r;

	r = rtvm_fs_read(ctx, RTVM_FS_PROC, buf, sizeof(buf), "%d/task/%d/stat",
			 (int)pid, (int)tid);
	if (r < 0)
		return r;
	p = strrchr(buf, ')');
	/* after ')': state(3) ppid pgrp session tty tpgid flags minflt
	 * cminflt majflt cmajflt utime(14) stime(15) cutime cstime prio nice
	 * nthreads itrealvalue starttime(22) */
	if (!p || sscanf(p + 1, " %*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u "
			 "%llu %llu %*d %*d %*d %*d %*d %*d %llu",
			 &ut, &st, &start) != 3)
		return -EINVAL;
	*ret_ticks = ut + st;
	*ret_start = start;
	return 0;
}

static int sample_busy(const struct rtvm_check_env *env, void **ret_state)
{
	const struct rtvm_thread *t;
	struct busy_state *bs;
	size_t n = 0;

	rtvm_host_foreach_thread(t, env->host)
		n += user_rt(t);
	bs = calloc(1, sizeof(*bs) + n * sizeof(bs->s[0]));
	if (!bs)
		return -ENOMEM;
	rtvm_host_foreach_thread(t, env->host) {
		struct busy_sample *s = &bs->s[bs->n];

		if (!user_rt(t))
			continue;
		s->pid = rtvm_thread_get_pid(t);
		s->tid = rtvm_thread_get_tid(t);
		/* A thread that is gone by now is simply not sampled. */
		if (read_ticks(env->ctx, s->pid, s->tid, &s->ticks, &s->start) < 0)
			continue;
		clock_gettime(CLOCK_MONOTONIC, &s->ts);
		bs->n++;
	}
	*ret_state = bs;
	return 0;
}

/* Other user threads that may run on a CPU of @aff: how many, and one. */
static unsigned int sharers(const struct rtvm_host *host,
			    const struct rtvm_thread *self,
			    const struct rtvm_cpumask *aff,
			    const struct rtvm_thread **ret_one)
{
	const struct rtvm_thread *t;
	unsigned int n = 0;

	*ret_one = NULL;
	rtvm_host_foreach_thread(t, host) {
		if (t == self || rtvm_thread_is_kthread(t) ||
		    !rtvm_cpumask_intersects(aff, rtvm_thread_get_affinity(t)))
			continue;
		if (!n++)
			*ret_one = t;
	}
	return n;
}

static int run_busy(const struct rtvm_check_env *env, void *state,
		    struct rtvm_check_result *res)
{
	const struct busy_state *bs = state;
	long hz = sysconf(_SC_CLK_TCK);
	unsigned int moved = 0, busy = 0, bad = 0;
	double min_s = 0;
	pid_t first = 0;

	rtvm_check_set_expected(res, "no user FIFO/RR thread using >= 90%% of a "
				"CPU that other user threads may also run on");
	if (hz <= 0)
		hz = 100;
	if (!bs || !bs->n) {
		rtvm_check_set_status(res, RTVM_CHECK_PASS);
		rtvm_check_set_observed(res, "no user FIFO/RR threads");
		return 0;
	}
	for (size_t i = 0; i < bs->n; i++) {
		const struct busy_sample *s = &bs->s[i];
		const struct rtvm_thread *t, *other;
		const struct rtvm_cpumask *aff;
		unsigned long long ticks, start;
		struct timespec now;
		double secs, used;
		unsigned int n;
		int cpu;

		if (read_ticks(env->ctx, s->pid, s->tid, &ticks, &start) < 0 ||
		    start != s->start)
			continue; /* exited meanwhile */
		clock_gettime(CLOCK_MONOTONIC, &now);
		secs = (double)(now.tv_sec - s->ts.tv_sec) +
		       (double)(now.tv_nsec - s->ts.tv_nsec) / 1e9;
		if (secs < 0.1) {
			rtvm_check_set_status(res, RTVM_CHECK_SKIP);
			rtvm_check_set_observed(res, "sample too short: %.0f ms "
						"between the two readings, at "
						"least 100 ms are needed",
						secs * 1000);
			rtvm_check_set_remedy(res, "use --sample 1000 (sample_ms "
					      "in rtvm_check_opts)");
			return 0;
		}
		if (!min_s || secs < min_s)
			min_s = secs;
		if (ticks <= s->ticks)
			continue;
		moved++;
		used = (double)(ticks - s->ticks) / (double)hz / secs;
		if (used < 0.9)
			continue;
		busy++;
		if (rtvm_host_find_thread(env->host, s->tid, &t) < 0 ||
		    !(aff = rtvm_thread_get_affinity(t)))
			continue;
		n = sharers(env->host, t, aff, &other);
		if (!n)
			continue;
		cpu = rtvm_cpumask_weight(aff) == 1 ? rtvm_cpumask_next(aff, -1) : -1;
		rtvm_check_add_detail(res, cpu, "%d %s %s %d used %.0f%% of a CPU "
				      "and shares CPUs with %u user thread%s, "
				      "e.g. %d %s", (int)s->tid,
				      rtvm_thread_get_comm(t),
				      pol_name(rtvm_thread_get_policy(t)),
				      rtvm_thread_get_rt_priority(t), used * 100,
				      n, n == 1 ? "" : "s",
				      (int)rtvm_thread_get_tid(other),
				      rtvm_thread_get_comm(other));
		if (!bad++)
			first = s->tid;
	}
	if (bad) {
		rtvm_check_set_status(res, RTVM_CHECK_WARN);
		rtvm_check_set_observed(res, "%u busy-looping RT thread%s on CPUs "
					"that other user threads need: they "
					"starve there", bad, bad == 1 ? "" : "s");
		rtvm_check_set_remedy(res, "move the other work off the CPU "
				      "(rtvm-sched set --pid PID --emulator "
				      "--emulator-pin LIST, or a CPU shield), "
				      "or bound thread %d with SCHED_DEADLINE "
				      "(rtvm-sched set --deadline "
				      "RUNTIME:DEADLINE:PERIOD) or guest-driven "
				      "boosting", (int)first);
		return 0;
	}
	rtvm_check_set_status(res, RTVM_CHECK_PASS);
	if (!moved)
		rtvm_check_set_observed(res, "%zu user FIFO/RR thread%s used no "
					"CPU time over %.0f ms (counters did not "
					"move: idle threads, or a sysroot)",
					bs->n, bs->n == 1 ? "" : "s", min_s * 1000);
	else
		rtvm_check_set_observed(res, "%zu user FIFO/RR thread%s over "
					"%.0f ms: %u busy, none sharing its CPU "
					"with other user threads", bs->n,
					bs->n == 1 ? "" : "s", min_s * 1000, busy);
	return 0;
}

const struct rtvm_check_def rtvm_checks_sched[] = {
	{ .id = "sched.priority_order",
	  .title = "RT threads below the kernel threads of their CPU",
	  .run = run_priority_order },
	{ .id = "sched.busy_fifo",
	  .title = "Busy-looping RT threads sharing a CPU with housekeeping work",
	  .sample = sample_busy, .run = run_busy, .free_state = free },
	{ .id = NULL },
};
