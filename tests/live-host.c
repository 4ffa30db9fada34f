/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Live tier: the host model of this machine against what ps, taskset and
 * chrt report, for a process the test starts and tunes itself.  Only that
 * process is ever changed; it dies with the test (PR_SET_PDEATHSIG).
 */
#include "config.h"

#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "librtvm-private.h"
#include "testutil.h"

static const char *ps_class(int policy)
{
	switch (policy) {
	case SCHED_OTHER: return "TS";
	case SCHED_FIFO: return "FF";
	case SCHED_RR: return "RR";
	case SCHED_BATCH: return "B";
	case SCHED_IDLE: return "IDL";
	default: return "?";
	}
}

static const char *chrt_name(int policy)
{
	switch (policy) {
	case SCHED_OTHER: return "SCHED_OTHER";
	case SCHED_FIFO: return "SCHED_FIFO";
	case SCHED_RR: return "SCHED_RR";
	case SCHED_BATCH: return "SCHED_BATCH";
	case SCHED_IDLE: return "SCHED_IDLE";
	default: return "?";
	}
}

/* Compare the model of each of the child's threads with the tools'. */
static void compare(struct rtvm_ctx *ctx, const struct tu_child *c)
{
	struct rtvm_host *h;
	char *ps, *line, *save = NULL;
	int seen = 0;

	ck_assert_int_eq(rtvm_host_new(ctx, 0, &h), 0);
	ps = tu_run_cmd("ps -L -o tid=,cls=,rtprio=,ni=,psr=,comm= -p %d", c->pid);
	for (line = strtok_r(ps, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		char cls[8], rtprio[8], ni[8], comm[64], *out, expect[128];
		const struct rtvm_thread *t;
		struct rtvm_cpumask *m;
		int tid, psr, nice;

		ck_assert_int_eq(sscanf(line, "%d %7s %7s %7s %d %63[^\n]", &tid,
					cls, rtprio, ni, &psr, comm), 6);
		ck_assert_int_eq(rtvm_host_find_thread(h, tid, &t), 0);
		ck_assert_int_eq(rtvm_thread_get_pid(t), c->pid);
		ck_assert_str_eq(rtvm_thread_get_comm(t), rtvm_strip(comm));
		ck_assert_str_eq(ps_class(rtvm_thread_get_policy(t)), cls);
		if (strcmp(rtprio, "-") != 0)
			ck_assert_int_eq(rtvm_thread_get_rt_priority(t), atoi(rtprio));
		if (strcmp(ni, "-") != 0) {
			ck_assert_int_eq(rtvm_thread_get_nice(t, &nice), 0);
			ck_assert_int_eq(nice, atoi(ni));
		}
		ck_assert_int_eq(rtvm_thread_get_last_cpu(t), psr);
		ck_assert(!rtvm_thread_is_kthread(t));

		out = tu_run_cmd("taskset -p -c %d", tid);
		ck_assert_ptr_nonnull(strstr(out, "list: "));
		/* taskset writes "0,1" where the kernel writes "0-1": compare
		 * as sets. */
		ck_assert_int_eq(rtvm_cpumask_new(ctx, &m), 0);
		ck_assert_int_eq(rtvm_cpumask_parse_list(m, strstr(out, "list: ") + 6, 0), 0);
		ck_assert_msg(rtvm_cpumask_equal(m, rtvm_thread_get_affinity(t)),
			      "taskset says %s, model %s", out,
			      tu_list(rtvm_thread_get_affinity(t)));
		m = rtvm_cpumask_free(m);
		free(out);
		out = tu_run_cmd("chrt -p %d", tid);
		snprintf(expect, sizeof(expect), "scheduling policy: %s",
			 chrt_name(rtvm_thread_get_policy(t)));
		ck_assert_msg(strstr(out, expect), "chrt says %s, model %s", out,
			      expect);
		snprintf(expect, sizeof(expect), "scheduling priority: %d\n",
			 rtvm_thread_get_rt_priority(t));
		ck_assert_msg(strstr(out, expect), "chrt says %s, model %s", out,
			      expect);
		free(out);
		seen++;
	}
	ck_assert_int_eq(seen, 3);
	free(ps);
	rtvm_host_unref(h);
}

START_TEST(test_model_matches_tools)
{
	struct tu_child c = tu_spawn_sleepers();
	struct sched_param sp = { .sched_priority = 1 };
	struct rtvm_ctx *ctx;
	cpu_set_t set;

	/* Tune our own child: thread a pinned to CPU 0 and real-time when the
	 * cgroup allows it, thread b SCHED_BATCH at nice 5. */
	CPU_ZERO(&set);
	CPU_SET(0, &set);
	ck_assert_int_eq(sched_setaffinity(c.tids[1], sizeof(set), &set), 0);
	if (sched_setscheduler(c.tids[1], SCHED_FIFO, &sp) < 0)
		fprintf(stderr, "note: SCHED_FIFO refused here (%s): the RT "
				"priority path is compared at 0\n",
			strerror(errno));
	sp.sched_priority = 0;
	ck_assert_int_eq(sched_setscheduler(c.tids[2], SCHED_BATCH, &sp), 0);
	ck_assert_int_eq(setpriority(PRIO_PROCESS, (id_t)c.tids[2], 5), 0);
	ck_assert_int_eq(rtvm_new(&ctx), 0);
	compare(ctx, &c);
	rtvm_unref(ctx);
	tu_reap(&c);
}
END_TEST

START_TEST(test_apply_and_restore_live)
{
	struct tu_child c = tu_spawn_sleepers();
	struct rtvm_tid t = { c.pid, c.tids[1] };
	struct rtvm_sched s = { .policy = SCHED_IDLE }, got;
	struct rtvm_changeset *cs;
	struct rtvm_cpumask *m, *got_mask;
	struct rtvm_ctx *ctx;
	char *out;

	ck_assert_int_eq(rtvm_new(&ctx), 0);
	ck_assert_int_eq(rtvm_changeset_new(ctx, &cs), 0);
	ck_assert_int_eq(rtvm_cpumask_new(ctx, &m), 0);
	ck_assert_int_eq(rtvm_cpumask_set(m, 1), 0);
	ck_assert_int_eq(rtvm_thread_apply_sched(ctx, t, &s, cs), 0);
	ck_assert_int_eq(rtvm_thread_apply_affinity(ctx, t, m, cs), 0);
	ck_assert_int_eq(rtvm_cpumask_new(ctx, &got_mask), 0);
	ck_assert_int_eq(rtvm_sys_affinity_get(ctx, t, got_mask), 0);
	ck_assert(rtvm_cpumask_equal(got_mask, m));
	out = tu_run_cmd("chrt -p %d", t.tid);
	ck_assert_ptr_nonnull(strstr(out, "SCHED_IDLE"));
	free(out);
	compare(ctx, &c);
	ck_assert_int_eq(rtvm_changeset_restore(cs, 0), 0);
	ck_assert_int_eq(rtvm_sys_sched_get(ctx, t, &got), 0);
	ck_assert_int_eq(got.policy, SCHED_OTHER);
	ck_assert_int_eq(rtvm_sys_affinity_get(ctx, t, got_mask), 0);
	ck_assert(!rtvm_cpumask_equal(got_mask, m));
	ck_assert_uint_eq(rtvm_cpumask_weight(got_mask),
			  (unsigned int)sysconf(_SC_NPROCESSORS_ONLN));
	compare(ctx, &c);
	/* A thread that is gone: restoring is a no-op, not an error. */
	tu_reap(&c);
	ck_assert_int_eq(rtvm_changeset_restore(cs, 0), 0);
	rtvm_cpumask_free(m);
	rtvm_cpumask_free(got_mask);
	rtvm_changeset_unref(cs);
	rtvm_unref(ctx);
}
END_TEST

START_TEST(test_real_cpus)
{
	struct rtvm_ctx *ctx;
	struct rtvm_host *h;
	long online = sysconf(_SC_NPROCESSORS_ONLN);

	ck_assert_int_eq(rtvm_new(&ctx), 0);
	ck_assert_int_eq(rtvm_host_new(ctx, RTVM_HOST_CPUS | RTVM_HOST_CMDLINE, &h), 0);
	ck_assert_uint_eq(rtvm_cpumask_weight(rtvm_host_get_cpus(h, RTVM_CPUS_ONLINE)),
			  (unsigned int)online);
	ck_assert_ptr_nonnull(rtvm_host_get_cmdline(h));
	rtvm_host_unref(h);
	rtvm_unref(ctx);
}
END_TEST

int main(void)
{
	Suite *s;
	TCase *tc;

	if (geteuid() != 0) {
		printf("SKIP: live tests change scheduling of test-owned threads "
		       "and need root (CAP_SYS_NICE)\n");
		return EXIT_SKIP;
	}
	if (system("command -v ps && command -v taskset && command -v chrt") != 0) {
		printf("SKIP: ps, taskset and chrt (procps, util-linux) are needed\n");
		return EXIT_SKIP;
	}
	s = suite_create("live-host");
	tc = tcase_create("live");
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_model_matches_tools);
	tcase_add_test(tc, test_apply_and_restore_live);
	tcase_add_test(tc, test_real_cpus);
	suite_add_tcase(s, tc);
	return tu_run(s);
}
