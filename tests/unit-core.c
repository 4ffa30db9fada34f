/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Unit tier: the context, logging, root redirection, file access, fault
 * injection and the sysroot's simulated system calls. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <syslog.h>
#include <unistd.h>

#include "librtvm-private.h"
#include "testutil.h"

static int log_count;
static char log_last[512];

static void log_capture(struct rtvm_ctx *ctx, int priority, const char *file,
			int line, const char *fn, const char *format,
			va_list args)
{
	log_count++;
	vsnprintf(log_last, sizeof(log_last), format, args);
}

START_TEST(test_ctx_refcount)
{
	struct rtvm_ctx *ctx;

	ck_assert_int_eq(rtvm_new(NULL), -EINVAL);
	ck_assert_int_eq(rtvm_new(&ctx), 0);
	ck_assert_ptr_eq(rtvm_ref(ctx), ctx);
	ck_assert_ptr_null(rtvm_unref(ctx));
	ck_assert_str_eq(rtvm_get_root(ctx), "/"); /* still alive */
	ck_assert_ptr_null(rtvm_unref(ctx));
	ck_assert_ptr_null(rtvm_unref(NULL));
	ck_assert_ptr_null(rtvm_ref(NULL));
	ck_assert_str_eq(rtvm_version(), PACKAGE_VERSION);
}
END_TEST

START_TEST(test_ctx_log)
{
	struct rtvm_ctx *ctx;
	int x = 42;

	ck_assert_int_eq(rtvm_new(&ctx), 0);
	ck_assert_int_eq(rtvm_get_log_priority(ctx), LOG_ERR);
	ck_assert_int_eq(rtvm_set_log_priority(ctx, 8), -EINVAL);
	ck_assert_int_eq(rtvm_set_log_priority(ctx, -1), -EINVAL);
	ck_assert_int_eq(rtvm_set_log_fn(NULL, log_capture), -EINVAL);
	ck_assert_int_eq(rtvm_set_log_fn(ctx, log_capture), 0);
	log_count = 0;
	/* An error is logged at the default priority, debug is not. */
	ck_assert_int_eq(rtvm_set_root(ctx, "/nonexistent-rtvm"), -ENOENT);
	rtvm_log_cond(ctx, LOG_DEBUG, "hidden");
	ck_assert_int_eq(log_count, 0);
	rtvm_log_cond(ctx, LOG_ERR, "shown %d", 7);
	ck_assert_int_eq(log_count, 1);
	ck_assert_str_eq(log_last, "shown 7");
	ck_assert_int_eq(rtvm_set_log_priority(ctx, LOG_DEBUG), 0);
	rtvm_log_cond(ctx, LOG_DEBUG, "now shown");
	ck_assert_int_eq(log_count, 2);
	ck_assert_int_eq(rtvm_set_userdata(ctx, &x), 0);
	ck_assert_ptr_eq(rtvm_get_userdata(ctx), &x);
	rtvm_unref(ctx);
}
END_TEST

START_TEST(test_ctx_env)
{
	struct rtvm_ctx *ctx;
	const char *fx = tu_fixture("host64");

	setenv("RTVM_LOG", "debug", 1);
	setenv("RTVM_SYSROOT", fx, 1);
	ck_assert_int_eq(rtvm_new(&ctx), 0);
	ck_assert_int_eq(rtvm_get_log_priority(ctx), LOG_DEBUG);
	ck_assert_str_eq(rtvm_get_root(ctx), fx);
	rtvm_unref(ctx);
	setenv("RTVM_LOG", "6", 1);
	setenv("RTVM_SYSROOT", "/nonexistent-rtvm", 1);
	ck_assert_int_eq(rtvm_new(&ctx), -ENOENT);
	unsetenv("RTVM_SYSROOT");
	ck_assert_int_eq(rtvm_new(&ctx), 0);
	ck_assert_int_eq(rtvm_get_log_priority(ctx), LOG_INFO);
	rtvm_unref(ctx);
	unsetenv("RTVM_LOG");
}
END_TEST

START_TEST(test_set_root_errors)
{
	struct rtvm_ctx *ctx = tu_ctx("host64");
	const char *before = strdup(rtvm_get_root(ctx));

	ck_assert_int_eq(rtvm_set_root(ctx, "relative/path"), -EINVAL);
	ck_assert_int_eq(rtvm_set_root(NULL, "/"), -EINVAL);
	ck_assert_int_eq(rtvm_set_root(ctx, "/nonexistent-rtvm"), -ENOENT);
	ck_assert_int_eq(rtvm_set_root(ctx, "/etc/passwd"), -ENOTDIR);
	/* The previous root stays in force after a failure. */
	ck_assert_str_eq(rtvm_get_root(ctx), before);
	ck_assert_int_eq(rtvm_set_root(ctx, "/"), 0);
	ck_assert_str_eq(rtvm_get_root(ctx), "/");
	ck_assert_ptr_eq(rtvm_ctx_get_sysops(ctx), &rtvm_sysops_kernel);
	free((char *)before);
	rtvm_unref(ctx);
}
END_TEST

START_TEST(test_fs_confined)
{
	struct rtvm_ctx *ctx = tu_ctx("host64");
	char buf[256], path[1024];

	/* An absolute link inside the sysroot resolves inside it, and ".."
	 * cannot climb out of it. */
	tu_write(ctx, "etc/rtvm-target", "inside\n");
	snprintf(path, sizeof(path), "%s/sys/abs-link", rtvm_get_root(ctx));
	ck_assert_int_eq(symlink("/etc/rtvm-target", path), 0);
	ck_assert_int_eq(rtvm_fs_read(ctx, RTVM_FS_SYS, buf, sizeof(buf),
				      "abs-link"), 6);
	ck_assert_str_eq(buf, "inside");
	ck_assert_int_eq(rtvm_fs_read(ctx, RTVM_FS_SYS, buf, sizeof(buf),
				      "../../../../../../etc/rtvm-target"), 6);
	/* Relative links, and links that climb above the top. */
	snprintf(path, sizeof(path), "%s/sys/rel-link", rtvm_get_root(ctx));
	ck_assert_int_eq(symlink("../etc", path), 0);
	snprintf(path, sizeof(path), "%s/sys/up-link", rtvm_get_root(ctx));
	ck_assert_int_eq(symlink("../../../../../../..", path), 0);
	ck_assert_int_eq(rtvm_fs_read(ctx, RTVM_FS_SYS, buf, sizeof(buf),
				      "rel-link/rtvm-target"), 6);
	ck_assert_int_eq(rtvm_fs_read(ctx, RTVM_FS_SYS, buf, sizeof(buf),
				      "up-link/etc/rtvm-target"), 6);
	ck_assert_int_eq(rtvm_fs_read(ctx, RTVM_FS_SYS, buf, sizeof(buf),
				      "devices/../abs-link"), 6);
	/* The host's own /etc/passwd is not reachable from the sysroot. */
	ck_assert_int_eq(rtvm_fs_read(ctx, RTVM_FS_SYS, buf, sizeof(buf),
				      "up-link/etc/passwd"), -ENOENT);
	ck_assert_int_eq(rtvm_fs_read(ctx, RTVM_FS_ETC, buf, sizeof(buf),
				      "hostname-not-in-fixture"), -ENOENT);
	/* Too small a buffer is an error, not a truncated value. */
	ck_assert_int_eq(rtvm_fs_read(ctx, RTVM_FS_SYS, buf, 4, "abs-link"),
			 -EOVERFLOW);
	rtvm_unref(ctx);
}
END_TEST

START_TEST(test_fs_write_and_paths)
{
	struct rtvm_ctx *ctx = tu_ctx("host64");
	const char *rel;
	enum rtvm_fs fs;
	char *s, *path;

	tu_write(ctx, "proc/sys/kernel/timer_migration", "1\n");
	ck_assert_int_eq(rtvm_fs_write(ctx, RTVM_FS_PROC, "0",
				       "sys/kernel/timer_migration"), 0);
	s = tu_read(ctx, "proc/sys/kernel/timer_migration");
	ck_assert_str_eq(s, "0");
	free(s);
	ck_assert_int_eq(rtvm_fs_split_path("/sys/fs/cgroup/cpuset", &fs, &rel), 0);
	ck_assert_int_eq(fs, RTVM_FS_SYS);
	ck_assert_str_eq(rel, "fs/cgroup/cpuset");
	ck_assert_int_eq(rtvm_fs_split_path("/usr/lib", &fs, &rel), -EINVAL);
	ck_assert_int_eq(rtvm_fs_split_path("/proc/", &fs, &rel), -EINVAL);
	ck_assert_int_eq(rtvm_fs_split_path("/procfoo/x", &fs, &rel), -EINVAL);
	ck_assert_int_eq(rtvm_fs_join_path(RTVM_FS_RUN, "rtvm/x", &path), 0);
	ck_assert_str_eq(path, "/run/rtvm/x");
	free(path);
	ck_assert_int_eq(rtvm_fs_mkdir(ctx, RTVM_FS_RUN, 0755, "rtvm"), 0);
	ck_assert_int_eq(rtvm_fs_mkdir(ctx, RTVM_FS_RUN, 0755, "rtvm"), -EEXIST);
	ck_assert_int_eq(rtvm_fs_rmdir(ctx, RTVM_FS_RUN, "rtvm"), 0);
	ck_assert_int_eq(rtvm_fs_rmdir(ctx, RTVM_FS_RUN, "rtvm"), -ENOENT);
	rtvm_unref(ctx);
}
END_TEST

START_TEST(test_faults)
{
	struct rtvm_ctx *ctx = tu_ctx("host64");
	char buf[64];

	/* The 2nd read of a matching path fails, twice; the rest pass. */
	ck_assert_int_eq(rtvm_ctx_add_fault(ctx, RTVM_OP_READ, "cpu/online",
					    2, 2, EIO), 0);
	ck_assert_int_ge(rtvm_fs_read(ctx, RTVM_FS_SYS, buf, sizeof(buf),
				      "devices/system/cpu/online"), 0);
	ck_assert_int_ge(rtvm_fs_read(ctx, RTVM_FS_SYS, buf, sizeof(buf),
				      "devices/system/cpu/possible"), 0);
	ck_assert_int_eq(rtvm_fs_read(ctx, RTVM_FS_SYS, buf, sizeof(buf),
				      "devices/system/cpu/online"), -EIO);
	ck_assert_int_eq(rtvm_fs_read(ctx, RTVM_FS_SYS, buf, sizeof(buf),
				      "devices/system/cpu/online"), -EIO);
	ck_assert_int_ge(rtvm_fs_read(ctx, RTVM_FS_SYS, buf, sizeof(buf),
				      "devices/system/cpu/online"), 0);
	rtvm_ctx_clear_faults(ctx);
	ck_assert_int_eq(rtvm_ctx_add_fault(ctx, RTVM_OP_WRITE, NULL, 1, 0,
					    ENOSPC), 0);
	ck_assert_int_eq(rtvm_fs_write(ctx, RTVM_FS_SYS, "1",
				       "devices/system/cpu/online"), -ENOSPC);
	ck_assert_int_eq(rtvm_ctx_add_fault(ctx, 0, NULL, 1, 0, EIO), -EINVAL);
	ck_assert_int_eq(rtvm_ctx_add_fault(ctx, RTVM_OP_READ, NULL, 0, 0, EIO),
			 -EINVAL);
	rtvm_unref(ctx);
}
END_TEST

/* The QEMU vCPU thread of the host64 fixture. */
static const struct rtvm_tid vcpu0 = { 4242, 4250 };

START_TEST(test_sysroot_sched)
{
	struct rtvm_ctx *ctx = tu_ctx("host64");
	struct rtvm_sched s = { .policy = SCHED_FIFO, .priority = 97 }, got;
	char *log;

	ck_assert_ptr_eq(rtvm_ctx_get_sysops(ctx), &rtvm_sysops_sysroot);
	ck_assert_int_eq(rtvm_sys_sched_get(ctx, vcpu0, &got), 0);
	ck_assert_int_eq(got.policy, SCHED_FIFO);
	ck_assert_int_eq(got.priority, 1);
	ck_assert_int_eq(rtvm_sys_sched_set(ctx, vcpu0, &s), 0);
	ck_assert_int_eq(rtvm_sys_sched_get(ctx, vcpu0, &got), 0);
	ck_assert_int_eq(got.priority, 97);
	s = (struct rtvm_sched){ .policy = SCHED_OTHER, .nice = -5 };
	ck_assert_int_eq(rtvm_sys_sched_set(ctx, vcpu0, &s), 0);
	ck_assert_int_eq(rtvm_sys_sched_get(ctx, vcpu0, &got), 0);
	ck_assert_int_eq(got.policy, SCHED_OTHER);
	ck_assert_int_eq(got.priority, 0);
	ck_assert_int_eq(got.nice, -5);
	s = (struct rtvm_sched){ .policy = SCHED_DEADLINE, .runtime = 200000,
				 .deadline = 500000, .period = 1000000 };
	ck_assert_int_eq(rtvm_sys_sched_set(ctx, vcpu0, &s), 0);
	ck_assert_int_eq(rtvm_sys_sched_get(ctx, vcpu0, &got), 0);
	ck_assert_int_eq(got.policy, SCHED_DEADLINE);
	ck_assert_uint_eq(got.runtime, 200000);
	ck_assert_uint_eq(got.period, 1000000);
	/* Like the kernel: bad parameters and missing threads. */
	s = (struct rtvm_sched){ .policy = SCHED_FIFO, .priority = 100 };
	ck_assert_int_eq(rtvm_sys_sched_set(ctx, vcpu0, &s), -EINVAL);
	s = (struct rtvm_sched){ .policy = SCHED_DEADLINE, .runtime = 9,
				 .deadline = 5, .period = 10 };
	ck_assert_int_eq(rtvm_sys_sched_set(ctx, vcpu0, &s), -EINVAL);
	s = (struct rtvm_sched){ .policy = SCHED_OTHER };
	ck_assert_int_eq(rtvm_sys_sched_set(ctx, (struct rtvm_tid){ 4242, 9999 },
					    &s), -ESRCH);
	log = tu_read(ctx, "rtvm-syscalls.log");
	ck_assert_ptr_nonnull(strstr(log, "sched_setattr 4242/4250 fifo:97:0\n"));
	ck_assert_ptr_nonnull(strstr(log, "sched_setattr 4242/4250 other:0:-5\n"));
	free(log);
	rtvm_unref(ctx);
}
END_TEST

START_TEST(test_sysroot_affinity)
{
	struct rtvm_ctx *ctx = tu_ctx("host64");
	struct rtvm_cpumask *m = tu_mask(64, "0-1,16"), *got;
	char *status;

	ck_assert_int_eq(rtvm_cpumask_new(ctx, &got), 0);
	ck_assert_int_eq(rtvm_sys_affinity_set(ctx, vcpu0, m), 0);
	ck_assert_int_eq(rtvm_sys_affinity_get(ctx, vcpu0, got), 0);
	ck_assert(rtvm_cpumask_equal(m, got));
	status = tu_read(ctx, "proc/4242/task/4250/status");
	ck_assert_ptr_nonnull(strstr(status, "Cpus_allowed:\t00000000,00010003\n"));
	ck_assert_ptr_nonnull(strstr(status, "Cpus_allowed_list:\t0-1,16\n"));
	free(status);
	/* Only an offline CPU (63): refused, nothing written. */
	rtvm_cpumask_free(m);
	m = tu_mask(64, "63");
	ck_assert_int_eq(rtvm_sys_affinity_set(ctx, vcpu0, m), -EINVAL);
	ck_assert_int_eq(rtvm_sys_affinity_get(ctx, vcpu0, got), 0);
	ck_assert_str_eq(tu_list(got), "0-1,16");
	/* Per-CPU kthreads refuse, as PF_NO_SETAFFINITY makes the kernel do. */
	rtvm_cpumask_free(m);
	m = tu_mask(64, "0");
	ck_assert_int_eq(rtvm_sys_affinity_set(ctx, (struct rtvm_tid){ 0, 0 }, m),
			 -ESRCH);
	rtvm_cpumask_free(m);
	rtvm_cpumask_free(got);
	rtvm_unref(ctx);
}
END_TEST

START_TEST(test_sysroot_never_touches_host)
{
	struct rtvm_ctx *ctx;
	struct rtvm_sched s = { .policy = SCHED_BATCH, .nice = 7 };
	struct sched_param sp;
	const char *fx = tu_fixture("host64");
	char stat[1024], path[1200];
	struct rtvm_tid me = { getpid(), getpid() };
	FILE *f;

	/* Give the fixture a thread whose pid is our own real pid. */
	snprintf(path, sizeof(path), "mkdir -p %s/proc/%d/task/%d", fx,
		 me.pid, me.tid);
	ck_assert_int_eq(system(path), 0);
	snprintf(path, sizeof(path), "%s/proc/%d/task/%d/stat", fx, me.pid,
		 me.tid);
	snprintf(stat, sizeof(stat),
		 "%d (me) S 1 1 1 0 -1 4194560 0 0 0 0 0 0 0 0 20 0 1 0 777 0 0 "
		 "0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 17 0 0 0 0 0 0 0 0 0 0 0 0 0 0\n",
		 me.tid);
	f = fopen(path, "w");
	ck_assert_ptr_nonnull(f);
	fputs(stat, f);
	fclose(f);
	ck_assert_int_eq(rtvm_new(&ctx), 0);
	ck_assert_int_eq(rtvm_set_root(ctx, fx), 0);
	ck_assert_int_eq(rtvm_thread_apply_sched(ctx, me, &s, NULL), 0);
	/* The fixture changed; this process did not. */
	ck_assert_int_eq(sched_getscheduler(0), SCHED_OTHER);
	ck_assert_int_eq(sched_getparam(0, &sp), 0);
	ck_assert_int_eq(nice(0), 0);
	s.policy = -1;
	ck_assert_int_eq(rtvm_sys_sched_get(ctx, me, &s), 0);
	ck_assert_int_eq(s.policy, SCHED_BATCH);
	ck_assert_int_eq(s.nice, 7);
	rtvm_unref(ctx);
}
END_TEST

START_TEST(test_sched_text)
{
	struct rtvm_sched s;
	char *t;

	ck_assert_int_eq(rtvm_sched_parse("fifo:97:0", &s), 0);
	ck_assert_int_eq(s.policy, SCHED_FIFO);
	ck_assert_int_eq(s.priority, 97);
	ck_assert_int_eq(rtvm_sched_format(&s, &t), 0);
	ck_assert_str_eq(t, "fifo:97:0");
	free(t);
	ck_assert_int_eq(rtvm_sched_parse("deadline:1:2:3", &s), 0);
	ck_assert_uint_eq(s.deadline, 2);
	ck_assert_int_eq(rtvm_sched_format(&s, &t), 0);
	ck_assert_str_eq(t, "deadline:1:2:3");
	free(t);
	/* A deadline thread's own nice value, when not 0, comes last. */
	ck_assert_int_eq(rtvm_sched_parse("deadline:1:2:3:-4", &s), 0);
	ck_assert_int_eq(s.nice, -4);
	ck_assert_uint_eq(s.period, 3);
	ck_assert_int_eq(rtvm_sched_format(&s, &t), 0);
	ck_assert_str_eq(t, "deadline:1:2:3:-4");
	free(t);
	ck_assert_int_eq(rtvm_sched_parse("deadline:1:2:3:20", &s), -EINVAL);
	ck_assert_int_eq(rtvm_sched_parse("deadline:1:2:3:0:0", &s), -EINVAL);
	ck_assert_int_eq(rtvm_sched_parse("other:0:-20", &s), 0);
	ck_assert_int_eq(s.nice, -20);
	ck_assert_int_eq(rtvm_sched_parse("fifo:100:0", &s), -EINVAL);
	ck_assert_int_eq(rtvm_sched_parse("other:0:20", &s), -EINVAL);
	ck_assert_int_eq(rtvm_sched_parse("fifo:1", &s), -EINVAL);
	ck_assert_int_eq(rtvm_sched_parse("fifo:1:0:0", &s), -EINVAL);
	ck_assert_int_eq(rtvm_sched_parse("deadline:1:2", &s), -EINVAL);
	ck_assert_int_eq(rtvm_sched_parse("bogus:1:0", &s), -EINVAL);
	ck_assert_int_eq(rtvm_sched_parse("fifo:x:0", &s), -EINVAL);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("core");
	TCase *tc = tcase_create("core");

	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_ctx_refcount);
	tcase_add_test(tc, test_ctx_log);
	tcase_add_test(tc, test_ctx_env);
	tcase_add_test(tc, test_set_root_errors);
	tcase_add_test(tc, test_fs_confined);
	tcase_add_test(tc, test_fs_write_and_paths);
	tcase_add_test(tc, test_faults);
	tcase_add_test(tc, test_sysroot_sched);
	tcase_add_test(tc, test_sysroot_affinity);
	tcase_add_test(tc, test_sysroot_never_touches_host);
	tcase_add_test(tc, test_sched_text);
	suite_add_tcase(s, tc);
	return tu_run(s);
}
