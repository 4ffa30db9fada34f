/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Unit tier: change records, their JSON form, and restoring them. */
#include "config.h"

#include <errno.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>

#include "librtvm-private.h"
#include "testutil.h"

static const struct rtvm_tid vcpu0 = { 4242, 4250 };

static struct rtvm_changeset *new_cs(struct rtvm_ctx *ctx)
{
	struct rtvm_changeset *cs;

	ck_assert_int_eq(rtvm_changeset_new(ctx, &cs), 0);
	return cs;
}

START_TEST(test_changeset_basics)
{
	struct rtvm_ctx *ctx = tu_ctx("host64");
	struct rtvm_changeset *cs = new_cs(ctx);
	const struct rtvm_change *c;
	int n = 0;

	ck_assert_int_eq(rtvm_changeset_new(NULL, &cs), -EINVAL);
	ck_assert_int_eq(rtvm_changeset_add(cs, RTVM_CHANGE_SYSCTL,
					    "kernel.a", "1", "0"), 0);
	ck_assert_int_eq(rtvm_changeset_add(cs, RTVM_CHANGE_CGROUP_CREATE,
					    "cpuset:/rtvm", NULL, NULL), 0);
	ck_assert_int_eq(rtvm_changeset_add(cs, 0, "x", NULL, NULL), -EINVAL);
	ck_assert_uint_eq(rtvm_changeset_get_count(cs), 2);
	rtvm_changeset_foreach(c, cs) {
		if (n++ == 0) {
			ck_assert_int_eq(rtvm_change_get_kind(c), RTVM_CHANGE_SYSCTL);
			ck_assert_str_eq(rtvm_change_get_target(c), "kernel.a");
			ck_assert_str_eq(rtvm_change_get_old_value(c), "1");
			ck_assert_str_eq(rtvm_change_get_new_value(c), "0");
		} else {
			ck_assert_ptr_null(rtvm_change_get_old_value(c));
		}
	}
	ck_assert_int_eq(n, 2);
	ck_assert_str_eq(rtvm_change_kind_to_string(RTVM_CHANGE_THREAD_SCHED),
			 "thread_sched");
	ck_assert_ptr_null(rtvm_change_kind_to_string(0));
	ck_assert_ptr_null(rtvm_change_kind_to_string(99));
	ck_assert_ptr_eq(rtvm_changeset_ref(cs), cs);
	rtvm_changeset_unref(cs);
	rtvm_changeset_unref(cs);
	rtvm_unref(ctx);
}
END_TEST

START_TEST(test_json_roundtrip)
{
	struct rtvm_ctx *ctx = tu_ctx("host64");
	struct rtvm_changeset *cs = new_cs(ctx), *back;
	const struct rtvm_change *a, *b;
	char *json, *json2;

	rtvm_changeset_add(cs, RTVM_CHANGE_FILE, "/sys/devices/virtual/workqueue/cpumask",
			   "ffffffff,ffffffff", "3");
	rtvm_changeset_add(cs, RTVM_CHANGE_SYSCTL, "kernel.sched_rt_runtime_us",
			   "950000", "-1");
	rtvm_changeset_add(cs, RTVM_CHANGE_IRQ_AFFINITY, "24", "0-63", "0-1");
	rtvm_changeset_add(cs, RTVM_CHANGE_THREAD_SCHED, "4242/4250@5000",
			   "other:0:0", "fifo:1:0");
	rtvm_changeset_add(cs, RTVM_CHANGE_THREAD_AFFINITY, "4242/4250@5000",
			   "0-63", "2");
	rtvm_changeset_add(cs, RTVM_CHANGE_CGROUP_ATTACH, "4242/4250@5000",
			   "cpuset:/", "cpuset:/rtvm/rt");
	rtvm_changeset_add(cs, RTVM_CHANGE_CGROUP_CREATE, "cpuset:/rtvm/rt", NULL,
			   NULL);
	ck_assert_int_eq(rtvm_changeset_to_json(cs, &json), 0);
	ck_assert_ptr_nonnull(strstr(json, "\"kind\":\t\"irq_affinity\""));
	ck_assert_int_eq(rtvm_changeset_new_from_json(ctx, json, &back), 0);
	ck_assert_uint_eq(rtvm_changeset_get_count(back), 7);
	for (a = rtvm_changeset_next(cs, NULL), b = rtvm_changeset_next(back, NULL);
	     a && b; a = rtvm_changeset_next(cs, a), b = rtvm_changeset_next(back, b)) {
		ck_assert_int_eq(rtvm_change_get_kind(a), rtvm_change_get_kind(b));
		ck_assert_str_eq(rtvm_change_get_target(a), rtvm_change_get_target(b));
		ck_assert_pstr_eq(rtvm_change_get_old_value(a), rtvm_change_get_old_value(b));
		ck_assert_pstr_eq(rtvm_change_get_new_value(a), rtvm_change_get_new_value(b));
	}
	ck_assert_ptr_null(a);
	ck_assert_ptr_null(b);
	ck_assert_int_eq(rtvm_changeset_to_json(back, &json2), 0);
	ck_assert_str_eq(json, json2);
	free(json);
	free(json2);
	rtvm_changeset_unref(back);
	rtvm_changeset_unref(cs);
	rtvm_unref(ctx);
}
END_TEST

static char log_last[512];

static void log_capture(struct rtvm_ctx *ctx, int priority, const char *file,
			int line, const char *fn, const char *format,
			va_list args)
{
	vsnprintf(log_last, sizeof(log_last), format, args);
}

START_TEST(test_json_errors)
{
	static const struct {
		const char *json;
		const char *why; /* a part of the logged message */
	} bad[] = {
		{ "{", "changeset: .: not JSON at byte 1 (line 1)" },
		/* Strict JSON: nothing after the document, no key twice. */
		{ "{\"version\": 1, \"changes\": []}x",
		  "changeset: .: trailing data after the JSON document at byte 29 (line 1)" },
		{ "{\"version\": 1, \"changes\": [{\"kind\": \"sysctl\", \"target\": \"a\", "
		  "\"target\": \"b\"}]}",
		  "changeset: .changes[0].target: duplicate key (it repeats an earlier one) at byte 61" },
		{ "{\"version\": 1, \"changes\": [{\"kind\": \"sysctl\", \"target\": \"a\", "
		  "\"old\": \"\\u0000\"}]}",
		  "changeset: .changes[0].old: \\u0000 in a string at byte 69" },
		{ "[]", ".version" },
		{ "{\"version\": 2, \"changes\": []}", ".version" },
		{ "{\"version\": 1}", ".changes" },
		{ "{\"version\": 1, \"changes\": {}}", ".changes" },
		{ "{\"version\": 1, \"changes\": [1]}", ".changes[0]" },
		{ "{\"version\": 1, \"changes\": [{\"kind\": \"sysctl\"}]}", ".changes[0]" },
		{ "{\"version\": 1, \"changes\": [{\"kind\": \"nope\", \"target\": \"a\"}]}",
		  ".changes[0].kind" },
		{ "{\"version\": 1, \"changes\": [{\"kind\": \"sysctl\", \"target\": \"a\", \"old\": 5}]}",
		  ".changes[0]" },
		{ "{\"version\": 1, \"changes\": [{\"kind\": \"sysctl\", \"target\": \"a\"},"
		  "{\"kind\": \"sysctl\", \"target\": \"../etc/passwd\"}]}", ".changes[1].target" },
		{ "{\"version\": 1, \"changes\": [{\"kind\": \"file\", \"target\": \"/usr/bin/x\"}]}",
		  ".changes[0].target" },
		{ "{\"version\": 1, \"changes\": [{\"kind\": \"file\", \"target\": \"/sys/../etc/x\"}]}",
		  ".changes[0].target" },
		{ "{\"version\": 1, \"changes\": [{\"kind\": \"irq_affinity\", \"target\": \"-1\"}]}",
		  ".changes[0].target" },
		{ "{\"version\": 1, \"changes\": [{\"kind\": \"thread_sched\", \"target\": \"12\"}]}",
		  ".changes[0].target" },
		{ "{\"version\": 1, \"changes\": [{\"kind\": \"cgroup_create\", \"target\": \"cpuset\"}]}",
		  ".changes[0].target" },
	};
	struct rtvm_ctx *ctx = tu_ctx("host64");
	struct rtvm_changeset *cs = NULL;

	rtvm_set_log_fn(ctx, log_capture);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		log_last[0] = '\0';
		ck_assert_msg(rtvm_changeset_new_from_json(ctx, bad[i].json, &cs) == -EINVAL,
			      "accepted %s", bad[i].json);
		ck_assert_ptr_null(cs);
		ck_assert_msg(strstr(log_last, bad[i].why) != NULL,
			      "%s: log \"%s\" lacks \"%s\"", bad[i].json, log_last,
			      bad[i].why);
	}
	/* A host value that is not UTF-8 (a cgroup directory may be named
	 * with any bytes) was written as it was, and reads back exactly. */
	{
		static const char raw[] =
			"{\"version\": 1, \"changes\": [{\"kind\": \"sysctl\", "
			"\"target\": \"a\", \"old\": \"x\xe2\x82\xffy\"}]}";
		const struct rtvm_change *c;

		ck_assert_int_eq(rtvm_changeset_new_from_json(ctx, raw, &cs), 0);
		c = rtvm_changeset_next(cs, NULL);
		ck_assert_ptr_nonnull(c);
		ck_assert_str_eq(rtvm_change_get_old_value(c), "x\xe2\x82\xffy");
		rtvm_changeset_unref(cs);
	}
	rtvm_unref(ctx);
}
END_TEST

START_TEST(test_sysctl)
{
	struct rtvm_ctx *ctx = tu_ctx("host64");
	struct rtvm_changeset *cs = new_cs(ctx);
	char *v, *json;

	tu_write(ctx, "proc/sys/kernel/sched_rt_runtime_us", "950000\n");
	tu_write(ctx, "proc/sys/kernel/timer_migration", "1\n");
	ck_assert_int_eq(rtvm_sysctl_get(ctx, "kernel.sched_rt_runtime_us", &v), 0);
	ck_assert_str_eq(v, "950000");
	free(v);
	ck_assert_int_eq(rtvm_sysctl_get(ctx, "kernel.nope", &v), -ENOENT);
	ck_assert_int_eq(rtvm_sysctl_get(ctx, "kernel..x", &v), -EINVAL);
	ck_assert_int_eq(rtvm_sysctl_get(ctx, "kernel/x", &v), -EINVAL);
	ck_assert_int_eq(rtvm_sysctl_get(ctx, ".kernel", &v), -EINVAL);
	ck_assert_int_eq(rtvm_sysctl_set(ctx, "kernel.sched_rt_runtime_us", "-1", cs), 0);
	ck_assert_int_eq(rtvm_sysctl_set(ctx, "kernel.timer_migration", "0", cs), 0);
	/* Already in force: nothing to record. */
	ck_assert_int_eq(rtvm_sysctl_set(ctx, "kernel.timer_migration", "0", cs), 0);
	ck_assert_uint_eq(rtvm_changeset_get_count(cs), 2);
	v = tu_read(ctx, "proc/sys/kernel/sched_rt_runtime_us");
	ck_assert_str_eq(v, "-1");
	free(v);
	/* Persist, reload, restore from the reloaded copy. */
	ck_assert_int_eq(rtvm_changeset_to_json(cs, &json), 0);
	rtvm_changeset_unref(cs);
	ck_assert_int_eq(rtvm_changeset_new_from_json(ctx, json, &cs), 0);
	free(json);
	ck_assert_int_eq(rtvm_changeset_restore(cs, 0), 0);
	v = tu_read(ctx, "proc/sys/kernel/sched_rt_runtime_us");
	ck_assert_str_eq(v, "950000");
	free(v);
	v = tu_read(ctx, "proc/sys/kernel/timer_migration");
	ck_assert_str_eq(v, "1");
	free(v);
	/* Twice is harmless. */
	ck_assert_int_eq(rtvm_changeset_restore(cs, 0), 0);
	ck_assert_int_eq(rtvm_changeset_restore(cs, 1), -EINVAL);
	rtvm_changeset_unref(cs);
	rtvm_unref(ctx);
}
END_TEST

START_TEST(test_sysctl_write_fails_nothing_recorded)
{
	struct rtvm_ctx *ctx = tu_ctx("host64");
	struct rtvm_changeset *cs = new_cs(ctx);
	char *v;

	tu_write(ctx, "proc/sys/kernel/timer_migration", "1\n");
	rtvm_ctx_add_fault(ctx, RTVM_OP_WRITE, "timer_migration", 1, 1, EPERM);
	ck_assert_int_eq(rtvm_sysctl_set(ctx, "kernel.timer_migration", "0", cs),
			 -EPERM);
	ck_assert_uint_eq(rtvm_changeset_get_count(cs), 0);
	v = tu_read(ctx, "proc/sys/kernel/timer_migration");
	ck_assert_str_eq(v, "1\n");
	free(v);
	rtvm_changeset_unref(cs);
	rtvm_unref(ctx);
}
END_TEST

START_TEST(test_thread_apply_restore)
{
	struct rtvm_ctx *ctx = tu_ctx("host64");
	struct rtvm_changeset *cs = new_cs(ctx);
	struct rtvm_sched s = { .policy = SCHED_FIFO, .priority = 97 }, got;
	struct rtvm_cpumask *m = tu_mask(64, "20-21"), *aff;
	char *stat_before = tu_read(ctx, "proc/4242/task/4250/stat");
	char *status_before = tu_read(ctx, "proc/4242/task/4250/status");
	char *stat, *status;

	ck_assert_int_eq(rtvm_thread_apply_sched(ctx, vcpu0, &s, cs), 0);
	ck_assert_int_eq(rtvm_thread_apply_affinity(ctx, vcpu0, m, cs), 0);
	/* Same values again: no new records. */
	ck_assert_int_eq(rtvm_thread_apply_sched(ctx, vcpu0, &s, cs), 0);
	ck_assert_int_eq(rtvm_thread_apply_affinity(ctx, vcpu0, m, cs), 0);
	ck_assert_uint_eq(rtvm_changeset_get_count(cs), 2);
	ck_assert_str_eq(rtvm_change_get_old_value(rtvm_changeset_next(cs, NULL)),
			 "fifo:1:0");
	ck_assert_int_eq(rtvm_sys_sched_get(ctx, vcpu0, &got), 0);
	ck_assert_int_eq(got.priority, 97);
	ck_assert_int_eq(rtvm_changeset_restore(cs, 0), 0);
	/* The fixture's files are back byte for byte. */
	stat = tu_read(ctx, "proc/4242/task/4250/stat");
	status = tu_read(ctx, "proc/4242/task/4250/status");
	ck_assert_str_eq(stat, stat_before);
	ck_assert_str_eq(status, status_before);
	ck_assert_int_eq(rtvm_cpumask_new(ctx, &aff), 0);
	ck_assert_int_eq(rtvm_sys_affinity_get(ctx, vcpu0, aff), 0);
	ck_assert_str_eq(tu_list(aff), "2");
	free(stat);
	free(status);
	free(stat_before);
	free(status_before);
	rtvm_cpumask_free(aff);
	rtvm_cpumask_free(m);
	rtvm_changeset_unref(cs);
	rtvm_unref(ctx);
}
END_TEST

START_TEST(test_restore_skips_reused_tid)
{
	struct rtvm_ctx *ctx = tu_ctx("host64");
	struct rtvm_changeset *cs = new_cs(ctx);
	struct rtvm_sched s = { .policy = SCHED_RR, .priority = 5 }, got;
	unsigned long long start;
	char *stat, *p, *log, needle[64], repl[64];

	ck_assert_int_eq(rtvm_thread_apply_sched(ctx, vcpu0, &s, cs), 0);
	/* The thread exits and its tid is reused: a new start time. */
	ck_assert_int_eq(rtvm_thread_identity(ctx, vcpu0, &start), 0);
	stat = tu_read(ctx, "proc/4242/task/4250/stat");
	snprintf(needle, sizeof(needle), " %llu ", start);
	/* Same width, other value: the last digit moves by one. */
	snprintf(repl, sizeof(repl), " %llu ",
		 start % 10 == 9 ? start - 1 : start + 1);
	p = strstr(stat, needle);
	ck_assert_ptr_nonnull(p);
	memcpy(p, repl, strlen(repl));
	tu_write(ctx, "proc/4242/task/4250/stat", stat);
	free(stat);
	ck_assert_int_eq(rtvm_changeset_restore(cs, 0), 0);
	/* Not touched: the new owner of the tid keeps its policy. */
	ck_assert_int_eq(rtvm_sys_sched_get(ctx, vcpu0, &got), 0);
	ck_assert_int_eq(got.policy, SCHED_RR);
	log = tu_read(ctx, "rtvm-syscalls.log");
	ck_assert_ptr_null(strstr(log, "fifo:1:0"));
	free(log);
	rtvm_changeset_unref(cs);
	rtvm_unref(ctx);
}
END_TEST

START_TEST(test_restore_continues_after_error)
{
	struct rtvm_ctx *ctx = tu_ctx("host64");
	struct rtvm_changeset *cs = new_cs(ctx);
	char *v;

	tu_write(ctx, "proc/sys/kernel/a", "1\n");
	tu_write(ctx, "proc/sys/kernel/b", "1\n");
	tu_write(ctx, "proc/sys/kernel/c", "1\n");
	ck_assert_int_eq(rtvm_sysctl_set(ctx, "kernel.a", "2", cs), 0);
	ck_assert_int_eq(rtvm_sysctl_set(ctx, "kernel.b", "2", cs), 0);
	ck_assert_int_eq(rtvm_sysctl_set(ctx, "kernel.c", "2", cs), 0);
	/* Failing twice: in the pass and when tried again after it. */
	rtvm_ctx_add_fault(ctx, RTVM_OP_WRITE, "kernel/b", 1, 2, EIO);
	ck_assert_int_eq(rtvm_changeset_restore(cs, 0), -EIO);
	v = tu_read(ctx, "proc/sys/kernel/a");
	ck_assert_str_eq(v, "1");
	free(v);
	v = tu_read(ctx, "proc/sys/kernel/c");
	ck_assert_str_eq(v, "1");
	free(v);
	v = tu_read(ctx, "proc/sys/kernel/b");
	ck_assert_str_eq(v, "2");
	free(v);
	/* The fault is spent: a second restore finishes the job. */
	ck_assert_int_eq(rtvm_changeset_restore(cs, 0), 0);
	v = tu_read(ctx, "proc/sys/kernel/b");
	ck_assert_str_eq(v, "1");
	free(v);
	rtvm_changeset_unref(cs);
	rtvm_unref(ctx);
}
END_TEST

/* A record that fails once (it needs an older one restored first) is
 * tried again after the pass: restored, no error. */
START_TEST(test_restore_tries_again)
{
	struct rtvm_ctx *ctx = tu_ctx("host64");
	struct rtvm_changeset *cs = new_cs(ctx);
	char *v;

	tu_write(ctx, "proc/sys/kernel/a", "1\n");
	tu_write(ctx, "proc/sys/kernel/b", "1\n");
	ck_assert_int_eq(rtvm_sysctl_set(ctx, "kernel.a", "2", cs), 0);
	ck_assert_int_eq(rtvm_sysctl_set(ctx, "kernel.b", "2", cs), 0);
	rtvm_ctx_add_fault(ctx, RTVM_OP_WRITE, "kernel/b", 1, 1, EBUSY);
	ck_assert_int_eq(rtvm_changeset_restore(cs, 0), 0);
	v = tu_read(ctx, "proc/sys/kernel/b");
	ck_assert_str_eq(v, "1");
	free(v);
	v = tu_read(ctx, "proc/sys/kernel/a");
	ck_assert_str_eq(v, "1");
	free(v);
	rtvm_changeset_unref(cs);
	rtvm_unref(ctx);
}
END_TEST

START_TEST(test_restore_cgroup_and_files)
{
	struct rtvm_ctx *ctx = tu_ctx("host64");
	struct rtvm_changeset *cs = new_cs(ctx);
	char *v, target[64], path[1200];
	unsigned long long start;

	tu_write(ctx, "proc/self/mountinfo",
		 "25 1 0:23 / /sys rw - sysfs sysfs rw\n"
		 "33 25 0:28 / /sys/fs/cgroup/cpu,cpuacct rw,nosuid shared:10 - cgroup cgroup rw,cpu,cpuacct\n"
		 "34 25 0:29 / /sys/fs/cgroup/cpuset rw,nosuid shared:11 - cgroup cgroup rw,cpuset\n");
	tu_write(ctx, "sys/fs/cgroup/cpuset/tasks", "");
	tu_write(ctx, "sys/fs/cgroup/cpuset/rtvm/rt/tasks", "");
	tu_write(ctx, "sys/devices/virtual/workqueue/cpumask", "ffffffff,ffffffff\n");
	ck_assert_int_eq(rtvm_thread_identity(ctx, vcpu0, &start), 0);
	snprintf(target, sizeof(target), "4242/4250@%llu", start);
	rtvm_changeset_add(cs, RTVM_CHANGE_CGROUP_CREATE, "cpuset:/rtvm/x", NULL, NULL);
	snprintf(path, sizeof(path), "mkdir %s/sys/fs/cgroup/cpuset/rtvm/x",
		 rtvm_get_root(ctx));
	ck_assert_int_eq(system(path), 0);
	rtvm_changeset_add(cs, RTVM_CHANGE_CGROUP_ATTACH, target, "cpuset:/",
			   "cpuset:/rtvm/rt");
	rtvm_changeset_add(cs, RTVM_CHANGE_FILE, "/sys/devices/virtual/workqueue/cpumask",
			   "ffffffff,ffffffff", "3");
	tu_write(ctx, "sys/devices/virtual/workqueue/cpumask", "3\n");
	ck_assert_int_eq(rtvm_changeset_restore(cs, 0), 0);
	/* the sysroot's cgroup simulation lists tasks as the kernel does */
	v = tu_read(ctx, "sys/fs/cgroup/cpuset/tasks");
	ck_assert_str_eq(v, "4250\n");
	free(v);
	v = tu_read(ctx, "sys/devices/virtual/workqueue/cpumask");
	ck_assert_str_eq(v, "ffffffff,ffffffff");
	free(v);
	snprintf(path, sizeof(path), "test -d %s/sys/fs/cgroup/cpuset/rtvm/x",
		 rtvm_get_root(ctx));
	ck_assert_int_ne(system(path), 0);
	rtvm_changeset_unref(cs);
	rtvm_unref(ctx);
}
END_TEST

START_TEST(test_apply_fault_records_nothing)
{
	struct rtvm_ctx *ctx = tu_ctx("host64");
	struct rtvm_changeset *cs = new_cs(ctx);
	struct rtvm_sched s = { .policy = SCHED_FIFO, .priority = 50 };
	char *before = tu_read(ctx, "proc/4242/task/4250/stat"), *after;

	rtvm_ctx_add_fault(ctx, RTVM_OP_SCHED_SET, "4242/4250", 1, 0, EPERM);
	ck_assert_int_eq(rtvm_thread_apply_sched(ctx, vcpu0, &s, cs), -EPERM);
	ck_assert_uint_eq(rtvm_changeset_get_count(cs), 0);
	after = tu_read(ctx, "proc/4242/task/4250/stat");
	ck_assert_str_eq(before, after);
	ck_assert_int_eq(rtvm_thread_apply_sched(ctx, (struct rtvm_tid){ 4242, 1 },
						 &s, cs), -ESRCH);
	free(before);
	free(after);
	rtvm_changeset_unref(cs);
	rtvm_unref(ctx);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("change");
	TCase *tc = tcase_create("change");

	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_changeset_basics);
	tcase_add_test(tc, test_json_roundtrip);
	tcase_add_test(tc, test_json_errors);
	tcase_add_test(tc, test_sysctl);
	tcase_add_test(tc, test_sysctl_write_fails_nothing_recorded);
	tcase_add_test(tc, test_thread_apply_restore);
	tcase_add_test(tc, test_restore_skips_reused_tid);
	tcase_add_test(tc, test_restore_continues_after_error);
	tcase_add_test(tc, test_restore_tries_again);
	tcase_add_test(tc, test_restore_cgroup_and_files);
	tcase_add_test(tc, test_apply_fault_records_nothing);
	suite_add_tcase(s, tc);
	return tu_run(s);
}
