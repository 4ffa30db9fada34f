/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Unit tier: the scheduling readiness checks (librtvm/check-sched.c) on the
 * host64 fixture, through rtvm_check_run(). */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "testutil.h"

#define RT "2-15,34-47"

static struct rtvm_check_report *last;

static const struct rtvm_check_result *check(struct rtvm_ctx *ctx,
					     const char *id,
					     unsigned int sample_ms)
{
	struct rtvm_check_opts o = { .size = sizeof(o), .only = id,
				     .sample_ms = sample_ms };
	const struct rtvm_check_result *r;
	struct rtvm_cpumask *m = tu_mask(64, RT);

	last = rtvm_check_report_unref(last);
	o.rt_cpus = m;
	ck_assert_int_eq(rtvm_check_run(ctx, &o, &last), 0);
	rtvm_cpumask_free(m);
	ck_assert_int_eq(rtvm_check_report_find(last, id, &r), 0);
	return r;
}

#define expect tu_expect_check

/* Whether a per-CPU line for @cpu holds every one of @a and @b. */
static bool has_detail(const struct rtvm_check_result *r, int cpu,
		       const char *a, const char *b)
{
	unsigned int n = rtvm_check_result_get_nr_details(r);

	for (unsigned int i = 0; i < n; i++) {
		const char *t;
		int c;

		ck_assert_int_eq(rtvm_check_result_get_detail(r, i, &c, &t), 0);
		if (c == cpu && strstr(t, a) && (!b || strstr(t, b)))
			return true;
	}
	return false;
}

/* Rewrite a thread's policy (stat field 41) and RT priority (field 40);
 * fields count from the last ')', which ends field 2. */
static void set_stat(struct rtvm_ctx *ctx, int pid, int tid, int policy,
		     int prio)
{
	char rel[128], out[2048], *buf, *p, *tok, *save = NULL;
	size_t len;
	int field = 3;

	snprintf(rel, sizeof(rel), "proc/%d/task/%d/stat", pid, tid);
	buf = tu_read(ctx, rel);
	p = strrchr(buf, ')');
	ck_assert_ptr_nonnull(p);
	len = (size_t)(p + 1 - buf);
	ck_assert_uint_lt(len, sizeof(out));
	memcpy(out, buf, len);
	out[len] = '\0';
	for (tok = strtok_r(p + 1, " \n", &save); tok;
	     tok = strtok_r(NULL, " \n", &save), field++) {
		char v[32];

		snprintf(v, sizeof(v), "%d", field == 40 ? prio : policy);
		len += (size_t)snprintf(out + len, sizeof(out) - len, " %s",
					field == 40 || field == 41 ? v : tok);
	}
	ck_assert_int_ge(field, 42);
	free(buf);
	tu_write(ctx, rel, out);
}

static void sh(struct rtvm_ctx *ctx, const char *script)
{
	char cmd[2048];

	snprintf(cmd, sizeof(cmd), "cd '%s' && %s", rtvm_get_root(ctx), script);
	ck_assert_msg(system(cmd) == 0, "cannot run %s", cmd);
}

/* A user thread "stalld" (pid 6000) made from the backup process, with
 * affinity @cpus and FIFO @prio. */
static void add_stalld(struct rtvm_ctx *ctx, const char *cpus, int prio)
{
	char cmd[1024];

	snprintf(cmd, sizeof(cmd),
		 "cp -r proc/5000 proc/6000 && mv proc/6000/task/5000 "
		 "proc/6000/task/6000 && for f in proc/6000/stat proc/6000/status "
		 "proc/6000/task/6000/stat proc/6000/task/6000/status; do "
		 "sed -i -e 's/^5000 (backup)/6000 (stalld)/' -e 's/ 5000 5000 / 6000 6000 /' "
		 "-e 's/^Name:.*/Name:\tstalld/' -e 's/^\\(Pid\\|Tgid\\):.*/\\1:\t6000/' "
		 "-e '/^Cpus_allowed:/d' -e 's/^Cpus_allowed_list:.*/Cpus_allowed_list:\t%s/' "
		 "$f || exit 1; done && echo stalld > proc/6000/comm && "
		 "echo stalld > proc/6000/task/6000/comm", cpus);
	sh(ctx, cmd);
	set_stat(ctx, 6000, 6000, 1, prio);
}

START_TEST(test_priority_order)
{
	struct rtvm_ctx *ctx = tu_ctx("host64");
	const struct rtvm_check_result *r;

	/* As generated: vCPUs FIFO 1 under ksoftirqd 2 and rcuc 4. */
	r = check(ctx, "sched.priority_order", 0);
	expect(r, RTVM_CHECK_PASS, "2 pinned", NULL);
	ck_assert_uint_eq(rtvm_check_result_get_nr_details(r), 0);

	/* The seed paper's FIFO 97 vCPU: above every kthread of CPU 2. */
	set_stat(ctx, 4242, 4250, 1, 97);
	r = check(ctx, "sched.priority_order", 0);
	expect(r, RTVM_CHECK_WARN, "1 pinned", "--pid 4250 --fifo 1");
	expect(r, RTVM_CHECK_WARN, NULL, "kthreads --cpus");
	ck_assert(has_detail(r, 2, "4250", "ksoftirqd/2"));
	ck_assert(has_detail(r, 2, "ksoftirqd/2 FIFO 2", "rcuc/2 FIFO 4"));
	ck_assert(!has_detail(r, 3, "4251", NULL));

	/* Equal counts as above: FIFO does not preempt an equal priority. */
	set_stat(ctx, 4242, 4250, 1, 2);
	expect(check(ctx, "sched.priority_order", 0), RTVM_CHECK_WARN, NULL,
	       "4250");
	/* RR the same as FIFO; back below, it passes again. */
	set_stat(ctx, 4242, 4250, 2, 1);
	expect(check(ctx, "sched.priority_order", 0), RTVM_CHECK_PASS, NULL,
	       NULL);
	last = rtvm_check_report_unref(last);
	rtvm_unref(ctx);
}
END_TEST

START_TEST(test_priority_order_other_kthread)
{
	struct rtvm_ctx *ctx = tu_ctx("host64");
	const struct rtvm_check_result *r;

	/* ksoftirqd/3 is pid 10 + 6 * 3 + 3 = 31; make it SCHED_OTHER. */
	set_stat(ctx, 31, 31, 0, 0);
	r = check(ctx, "sched.priority_order", 0);
	expect(r, RTVM_CHECK_WARN, NULL, "--pid 4251");
	ck_assert(has_detail(r, 3, "4251", "ksoftirqd/3 OTHER 0"));
	last = rtvm_check_report_unref(last);
	rtvm_unref(ctx);
}
END_TEST

START_TEST(test_priority_order_stalld)
{
	struct rtvm_ctx *ctx = tu_ctx("host64");
	const struct rtvm_check_result *r;

	/* Kernel threads of CPU 3 raised to 50: the vCPU at 20 is below them
	 * but above stalld at FIFO 10, which may run on CPU 3. */
	set_stat(ctx, 10 + 6 * 3 + 2, 10 + 6 * 3 + 2, 1, 50); /* rcuc/3 */
	set_stat(ctx, 10 + 6 * 3 + 3, 10 + 6 * 3 + 3, 1, 50); /* ksoftirqd/3 */
	set_stat(ctx, 4242, 4251, 1, 20);
	expect(check(ctx, "sched.priority_order", 0), RTVM_CHECK_PASS, NULL,
	       NULL);
	add_stalld(ctx, "0-63", 10);
	r = check(ctx, "sched.priority_order", 0);
	expect(r, RTVM_CHECK_WARN, NULL, "--pid 4251");
	ck_assert(has_detail(r, 3, "4251", "stalld (6000) FIFO 10"));
	ck_assert(!has_detail(r, 3, "4251", "rcuc/3"));
	/* stalld itself is never the offender, and one that cannot run on
	 * CPU 3 is not starved there. */
	sh(ctx, "sed -i 's/^Cpus_allowed_list:.*/Cpus_allowed_list:\t0-1/' "
		"proc/6000/status proc/6000/task/6000/status");
	expect(check(ctx, "sched.priority_order", 0), RTVM_CHECK_PASS, NULL,
	       NULL);
	/* Above stalld's priority it is fine again. */
	sh(ctx, "sed -i 's/^Cpus_allowed_list:.*/Cpus_allowed_list:\t3/' "
		"proc/6000/status proc/6000/task/6000/status");
	set_stat(ctx, 6000, 6000, 1, 30);
	expect(check(ctx, "sched.priority_order", 0), RTVM_CHECK_PASS, NULL,
	       NULL);
	last = rtvm_check_report_unref(last);
	rtvm_unref(ctx);
}
END_TEST

START_TEST(test_busy_fifo)
{
	struct rtvm_ctx *ctx = tu_ctx("host64");

	/* Too short an interval to tell. */
	expect(check(ctx, "sched.busy_fifo", 0), RTVM_CHECK_SKIP,
	       "sample too short", "--sample");
	expect(check(ctx, "sched.busy_fifo", 50), RTVM_CHECK_SKIP,
	       "sample too short", "--sample");
	/* A sysroot's counters do not move: two threads, no CPU time. */
	expect(check(ctx, "sched.busy_fifo", 120), RTVM_CHECK_PASS,
	       "2 user FIFO/RR threads used no CPU time", NULL);
	/* Without user RT threads there is nothing to sample. */
	set_stat(ctx, 4242, 4250, 0, 0);
	set_stat(ctx, 4242, 4251, 0, 0);
	expect(check(ctx, "sched.busy_fifo", 0), RTVM_CHECK_PASS,
	       "no user FIFO/RR threads", NULL);
	last = rtvm_check_report_unref(last);
	rtvm_unref(ctx);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("check-sched");
	TCase *tc = tcase_create("check-sched");

	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_priority_order);
	tcase_add_test(tc, test_priority_order_other_kthread);
	tcase_add_test(tc, test_priority_order_stalld);
	tcase_add_test(tc, test_busy_fifo);
	suite_add_tcase(s, tc);
	return tu_run(s);
}
