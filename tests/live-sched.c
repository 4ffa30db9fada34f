/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Live tier: policies, affinity and RT group provisioning on the real
 * kernel, checked with chrt and taskset.  Only a child process the test
 * starts (it dies with the test, PR_SET_PDEATHSIG) and a cpu cgroup the
 * test creates (rtvm-test-PID, removed by main() whatever happens) are
 * ever changed.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "testutil.h"

#ifndef SCHED_DEADLINE
#define SCHED_DEADLINE 6
#endif

#define CPU_V1 "/sys/fs/cgroup/cpu"

static char test_cg[256]; /* CPU_V1 "/rtvm-test-PID", made by main() */

/* chrt -p's view: "SCHED_FIFO 10" */
static void expect_chrt(pid_t tid, const char *policy, int prio)
{
	char *out = tu_run_cmd("chrt -p %d", tid), want[64];

	ck_assert_msg(strstr(out, policy) != NULL, "chrt -p %d: %s, expected %s",
		      tid, out, policy);
	snprintf(want, sizeof(want), "priority: %d\n", prio);
	ck_assert_msg(strstr(out, want) != NULL, "chrt -p %d: %s, expected %s",
		      tid, out, want);
	free(out);
}

/* taskset -cp's list: "0,1" */
static char *taskset_list(pid_t tid)
{
	char *out = tu_run_cmd("taskset -cp %d", tid), *p = strstr(out, "list: "), *l;

	ck_assert_ptr_nonnull(p);
	l = strndup(p + 6, strcspn(p + 6, "\n"));
	free(out);
	return l;
}

static void log_stderr(struct rtvm_ctx *ctx, int priority, const char *file,
		       int line, const char *fn, const char *format,
		       va_list args)
{
	fprintf(stderr, "librtvm: ");
	vfprintf(stderr, format, args);
	fputc('\n', stderr);
}

static struct rtvm_ctx *new_ctx(void)
{
	struct rtvm_ctx *ctx;

	ck_assert_int_eq(rtvm_new(&ctx), 0);
	ck_assert_str_eq(rtvm_get_root(ctx), "/");
	rtvm_set_log_fn(ctx, log_stderr);
	return ctx;
}

static struct rtvm_sched_attr attr(int policy, int prio)
{
	return (struct rtvm_sched_attr){ .size = sizeof(struct rtvm_sched_attr),
					 .policy = policy,
					 .priority = prio };
}

START_TEST(test_policies)
{
	static const struct {
		int policy, prio;
		const char *name;
	} cases[] = {
		{ SCHED_FIFO, 10, "SCHED_FIFO" }, { SCHED_RR, 20, "SCHED_RR" },
		{ SCHED_BATCH, 0, "SCHED_BATCH" }, { SCHED_IDLE, 0, "SCHED_IDLE" },
	};
	struct rtvm_ctx *ctx = new_ctx();
	struct tu_child c = tu_spawn_sleepers();
	struct rtvm_changeset *cs;
	struct rtvm_sched_attr a = attr(SCHED_DEADLINE, 0), fifo3 = attr(SCHED_FIFO, 3);
	pid_t tid = c.tids[1];
	int r;

	/* an RT original, to see that restore brings it back (not OTHER) */
	ck_assert_int_eq(rtvm_thread_set_sched(ctx, c.pid, c.tids[2], &fifo3, 0,
					       NULL), 0);
	ck_assert_int_eq(rtvm_changeset_new(ctx, &cs), 0);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct rtvm_sched_attr s = attr(cases[i].policy, cases[i].prio);

		ck_assert_int_eq(rtvm_thread_set_sched(ctx, c.pid, tid, &s, 0, cs), 0);
		expect_chrt(tid, cases[i].name, cases[i].prio);
		ck_assert_int_eq(rtvm_thread_set_sched(ctx, c.pid, c.tids[2], &s, 0,
						       cs), 0);
		expect_chrt(c.tids[2], cases[i].name, cases[i].prio);
	}
	a.runtime_ns = 1000000;
	a.deadline_ns = a.period_ns = 10000000;
	r = rtvm_thread_set_sched(ctx, c.pid, tid, &a, 0, cs);
	if (r == -EBUSY || r == -EPERM) {
		fprintf(stderr, "note: SCHED_DEADLINE refused by the kernel (%s): "
				"case skipped\n", strerror(-r));
	} else {
		struct rtvm_sched_attr g = { .size = sizeof(g) };

		ck_assert_int_eq(r, 0);
		expect_chrt(tid, "SCHED_DEADLINE", 0);
		ck_assert_int_eq(rtvm_thread_get_sched(ctx, c.pid, tid, &g), 0);
		ck_assert_int_eq(g.policy, SCHED_DEADLINE);
		ck_assert_uint_eq(g.runtime_ns, 1000000);
		ck_assert_uint_eq(g.period_ns, 10000000);
	}
	ck_assert_int_eq(rtvm_changeset_restore(cs, 0), 0);
	expect_chrt(tid, "SCHED_OTHER", 0);
	expect_chrt(c.tids[2], "SCHED_FIFO", 3);
	rtvm_changeset_unref(cs);
	tu_reap(&c);
	rtvm_unref(ctx);
}
END_TEST

/* The kernel's struct sched_attr (v0), for setting originals by hand. */
struct raw_attr {
	uint32_t size, policy;
	uint64_t flags;
	int32_t nice;
	uint32_t priority;
	uint64_t runtime, deadline, period;
};

/* Give @tid nice @nice, then @policy/@prio, with plain system calls: an RT
 * or idle thread keeps that nice value underneath (sched_setattr() sets
 * sched_nice only for SCHED_OTHER and SCHED_BATCH). */
static void raw_set(pid_t tid, int nice, int policy, int prio)
{
	struct raw_attr a = { .size = sizeof(a), .policy = (uint32_t)policy,
			      .nice = nice, .priority = (uint32_t)prio };

	ck_assert_int_eq(setpriority(PRIO_PROCESS, (id_t)tid, nice), 0);
	ck_assert_int_eq(syscall(SYS_sched_setattr, tid, &a, 0), 0);
}

static int nice_of(pid_t tid)
{
	int n;

	errno = 0;
	n = getpriority(PRIO_PROCESS, (id_t)tid);
	ck_assert_msg(n != -1 || errno == 0, "getpriority %d: %s", tid,
		      strerror(errno));
	return n;
}

START_TEST(test_restore_keeps_nice)
{
	struct rtvm_ctx *ctx = new_ctx();
	struct tu_child c = tu_spawn_sleepers();
	struct rtvm_sched_attr other0 = attr(SCHED_OTHER, 0), fifo2 = attr(SCHED_FIFO, 2);
	struct rtvm_sched_attr g = { .size = sizeof(g) };
	struct rtvm_changeset *cs;
	pid_t a = c.tids[1], b = c.tids[2];

	/* a: FIFO 10 keeping nice 5; b: SCHED_IDLE keeping nice 7 */
	raw_set(a, 5, SCHED_FIFO, 10);
	raw_set(b, 7, SCHED_IDLE, 0);
	/* The library sees the nice value sched_getattr() hides. */
	ck_assert_int_eq(rtvm_thread_get_sched(ctx, c.pid, a, &g), 0);
	ck_assert_int_eq(g.policy, SCHED_FIFO);
	ck_assert_int_eq(g.nice, 5);
	ck_assert_int_eq(rtvm_changeset_new(ctx, &cs), 0);
	ck_assert_int_eq(rtvm_thread_set_sched(ctx, c.pid, a, &other0, 0, cs), 0);
	ck_assert_int_eq(rtvm_thread_set_sched(ctx, c.pid, b, &other0, 0, cs), 0);
	expect_chrt(a, "SCHED_OTHER", 0);
	ck_assert_int_eq(nice_of(a), 0);
	ck_assert_int_eq(nice_of(b), 0);
	ck_assert_int_eq(rtvm_changeset_restore(cs, 0), 0);
	expect_chrt(a, "SCHED_FIFO", 10);
	ck_assert_msg(nice_of(a) == 5, "FIFO 10 restored with nice %d, not 5",
		      nice_of(a));
	expect_chrt(b, "SCHED_IDLE", 0);
	ck_assert_msg(nice_of(b) == 7, "SCHED_IDLE restored with nice %d, not 7",
		      nice_of(b));
	rtvm_changeset_unref(cs);

	/* SCHED_OTHER nice 4, to FIFO and back: nice 4 again. */
	raw_set(b, 4, SCHED_OTHER, 0);
	ck_assert_int_eq(rtvm_changeset_new(ctx, &cs), 0);
	ck_assert_int_eq(rtvm_thread_set_sched(ctx, c.pid, b, &fifo2, 0, cs), 0);
	expect_chrt(b, "SCHED_FIFO", 2);
	ck_assert_int_eq(rtvm_changeset_restore(cs, 0), 0);
	expect_chrt(b, "SCHED_OTHER", 0);
	ck_assert_int_eq(nice_of(b), 4);
	rtvm_changeset_unref(cs);
	tu_reap(&c);
	rtvm_unref(ctx);
}
END_TEST

START_TEST(test_affinity)
{
	struct rtvm_ctx *ctx = new_ctx();
	struct tu_child c = tu_spawn_sleepers();
	struct rtvm_changeset *cs;
	struct rtvm_cpumask *m;
	char *orig = taskset_list(c.tids[1]), *now;
	int first;

	ck_assert_int_eq(rtvm_cpumask_new(ctx, &m), 0);
	first = atoi(orig); /* the first CPU the child may run on */
	ck_assert_int_eq(rtvm_cpumask_set(m, (unsigned int)first), 0);
	ck_assert_int_eq(rtvm_changeset_new(ctx, &cs), 0);
	ck_assert_int_eq(rtvm_thread_set_affinity(ctx, c.pid, c.tids[1], m, cs), 0);
	now = taskset_list(c.tids[1]);
	ck_assert_int_eq(atoi(now), first);
	ck_assert_ptr_null(strpbrk(now, ",-"));
	free(now);
	/* the other thread is untouched */
	now = taskset_list(c.tids[2]);
	ck_assert_str_eq(now, orig);
	free(now);
	ck_assert_int_eq(rtvm_changeset_restore(cs, 0), 0);
	now = taskset_list(c.tids[1]);
	ck_assert_str_eq(now, orig);
	free(now);
	free(orig);
	rtvm_cpumask_free(m);
	rtvm_changeset_unref(cs);
	tu_reap(&c);
	rtvm_unref(ctx);
}
END_TEST

static void write_file(const char *path, const char *value)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC);
	ssize_t n;

	ck_assert_msg(fd >= 0, "cannot open %s: %s", path, strerror(errno));
	n = write(fd, value, strlen(value));
	ck_assert_msg(n == (ssize_t)strlen(value), "cannot write %s to %s: %s",
		      value, path, strerror(errno));
	close(fd);
}

static long read_long(const char *path)
{
	char buf[64] = "";
	FILE *f = fopen(path, "r");

	ck_assert_ptr_nonnull(f);
	ck_assert_ptr_nonnull(fgets(buf, sizeof(buf), f));
	fclose(f);
	return atol(buf);
}

START_TEST(test_rt_group)
{
	struct rtvm_ctx *ctx = new_ctx();
	struct rtvm_sched_attr a = attr(SCHED_FIFO, 7);
	struct rtvm_changeset *cs;
	char path[512], value[32];
	struct tu_child c;

	c = tu_spawn_sleepers();
	snprintf(path, sizeof(path), "%s/cpu.rt_runtime_us", test_cg);
	write_file(path, "0");
	snprintf(path, sizeof(path), "%s/tasks", test_cg);
	snprintf(value, sizeof(value), "%d", c.tids[1]);
	write_file(path, value);

	ck_assert_int_eq(rtvm_changeset_new(ctx, &cs), 0);
	ck_assert_int_eq(rtvm_thread_set_sched(ctx, c.pid, c.tids[1], &a, 0, cs),
			 -EPERM);
	ck_assert_uint_eq(rtvm_changeset_get_count(cs), 0);
	expect_chrt(c.tids[1], "SCHED_OTHER", 0);
	ck_assert_int_eq(rtvm_thread_set_sched(ctx, c.pid, c.tids[1], &a,
					       RTVM_SCHED_PROVISION_RT, cs), 0);
	expect_chrt(c.tids[1], "SCHED_FIFO", 7);
	snprintf(path, sizeof(path), "%s/cpu.rt_runtime_us", test_cg);
	ck_assert_int_gt(read_long(path), 0);
	ck_assert_uint_eq(rtvm_changeset_get_count(cs), 2);
	ck_assert_int_eq(rtvm_changeset_restore(cs, 0), 0);
	expect_chrt(c.tids[1], "SCHED_OTHER", 0);
	ck_assert_int_eq(read_long(path), 0);
	rtvm_changeset_unref(cs);
	/* main() moves the child out and removes the cgroup, also on
	 * failure; the child dies with this process. */
	tu_reap(&c);
	rtvm_unref(ctx);
}
END_TEST

/* Move whatever is left in the test's cgroup (only the test's child can
 * be there) back to the root, then remove it; retried while the killed
 * child is still on its way out. */
static void rt_group_cleanup(void)
{
	char path[512], line[64];

	for (int tries = 0; tries < 50; tries++) {
		FILE *f;

		snprintf(path, sizeof(path), "%s/tasks", test_cg);
		f = fopen(path, "r");
		if (!f)
			return; /* gone */
		while (fgets(line, sizeof(line), f)) {
			int fd = open(CPU_V1 "/tasks", O_WRONLY | O_CLOEXEC);

			if (fd >= 0) {
				if (write(fd, line, strlen(line)) < 0)
					fprintf(stderr, "cannot move %s", line);
				close(fd);
			}
		}
		fclose(f);
		if (rmdir(test_cg) == 0 || errno == ENOENT)
			return;
		usleep(100000);
	}
	fprintf(stderr, "cannot remove %s: %s\n", test_cg, strerror(errno));
}

int main(void)
{
	Suite *s;
	TCase *tc;
	struct stat st;
	int r;

	if (geteuid() != 0) {
		printf("skip: live scheduling tests need root\n");
		return EXIT_SKIP;
	}
	if (system("chrt --version >/dev/null 2>&1 && "
		   "taskset --version >/dev/null 2>&1") != 0) {
		printf("skip: chrt and taskset (util-linux) are needed\n");
		return EXIT_SKIP;
	}
	s = suite_create("live-sched");
	tc = tcase_create("live-sched");
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_policies);
	tcase_add_test(tc, test_affinity);
	tcase_add_test(tc, test_restore_keeps_nice);
	if (stat(CPU_V1 "/cpu.rt_runtime_us", &st) == 0) {
		snprintf(test_cg, sizeof(test_cg), "%s/rtvm-test-%d", CPU_V1,
			 (int)getpid());
		if (mkdir(test_cg, 0755) == 0)
			tcase_add_test(tc, test_rt_group);
		else {
			fprintf(stderr, "note: cannot create %s (%s): RT group "
					"case skipped\n", test_cg, strerror(errno));
			test_cg[0] = '\0';
		}
	} else {
		printf("note: no cgroup v1 cpu.rt_runtime_us: RT group case "
		       "skipped\n");
	}
	suite_add_tcase(s, tc);
	tu_lock_rt_cpus();
	r = tu_run(s);
	if (test_cg[0])
		rt_group_cleanup();
	return r;
}
