/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Unit tier: the kernel readiness checks (librtvm/check-kernel.c) on the
 * host64 fixture with tests/fixtures/overlay-kernel.sh, through the public
 * API.  Each test takes one fixture copy (copies are the slow part), starts
 * from the tuned overlay, bends single files, then lays the untuned overlay
 * over the same copy. */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "testutil.h"

#define RT "2-15,34-47"
#define ALL_KERNEL                                                        \
	"kernel.,cmdline.,sched.rt_throttling,sched.dl_server,sched.rt_group," \
	"sysctl.,mm."

static struct rtvm_check_report *last;

static void overlay(struct rtvm_ctx *ctx, const char *mode)
{
	const char *top = getenv("top_srcdir");
	char cmd[1200];

	snprintf(cmd, sizeof(cmd), "sh '%s/tests/fixtures/overlay-kernel.sh' '%s' %s",
		 top && *top ? top : ".", rtvm_get_root(ctx), mode);
	ck_assert_msg(system(cmd) == 0, "cannot run %s", cmd);
}

/* host64 with the kernel overlay (or bare with NULL). */
static struct rtvm_ctx *kctx(const char *mode)
{
	struct rtvm_ctx *ctx = tu_ctx("host64");

	if (mode)
		overlay(ctx, mode);
	return ctx;
}

static void done(struct rtvm_ctx *ctx)
{
	last = rtvm_check_report_unref(last);
	rtvm_unref(ctx);
}

static void tu_remove(struct rtvm_ctx *ctx, const char *rel)
{
	char cmd[1200];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s/%s'", rtvm_get_root(ctx), rel);
	ck_assert_int_eq(system(cmd), 0);
}

/* Run one check through rtvm_check_run(); the result lives until the next
 * call.  @rt NULL: the library's default (the isolated CPUs). */
static const struct rtvm_check_result *check(struct rtvm_ctx *ctx,
					     const char *id, const char *rt)
{
	struct rtvm_check_opts o = { .size = sizeof(o), .only = id };
	const struct rtvm_check_result *r;
	struct rtvm_cpumask *m = NULL;

	last = rtvm_check_report_unref(last);
	if (rt) {
		m = tu_mask(64, rt);
		o.rt_cpus = m;
	}
	ck_assert_int_eq(rtvm_check_run(ctx, &o, &last), 0);
	rtvm_cpumask_free(m);
	ck_assert_int_eq(rtvm_check_report_find(last, id, &r), 0);
	return r;
}

#define expect tu_expect_check

/* Whether a per-CPU line for @cpu holds @text. */
static bool has_detail(const struct rtvm_check_result *r, int cpu,
		       const char *text)
{
	unsigned int n = rtvm_check_result_get_nr_details(r);

	for (unsigned int i = 0; i < n; i++) {
		const char *t;
		int c;

		ck_assert_int_eq(rtvm_check_result_get_detail(r, i, &c, &t), 0);
		if (c == cpu && strstr(t, text))
			return true;
	}
	return false;
}

START_TEST(test_preempt_rt_and_config)
{
	struct rtvm_ctx *ctx = kctx("tuned");
	const struct rtvm_check_result *r;

	/* Any one of the three signs is enough. */
	r = check(ctx, "kernel.preempt_rt", NULL);
	expect(r, RTVM_CHECK_PASS, "kernel/realtime reads 1", NULL);
	tu_remove(ctx, "sys/kernel/realtime");
	r = check(ctx, "kernel.preempt_rt", NULL);
	expect(r, RTVM_CHECK_PASS, "version says PREEMPT_RT", NULL);
	tu_write(ctx, "proc/sys/kernel/version", "#1 SMP PREEMPT_DYNAMIC\n");
	r = check(ctx, "kernel.preempt_rt", NULL);
	expect(r, RTVM_CHECK_PASS, "CONFIG_PREEMPT_RT=y", NULL);

	/* The tuned config.gz is gzip: read through zlib. */
	r = check(ctx, "kernel.config", NULL);
	expect(r, RTVM_CHECK_INFO, "NO_HZ_FULL=y", NULL);
	ck_assert(strstr(rtvm_check_result_get_observed(r), "CPU_IDLE_GOV_TEO=y"));
	ck_assert(has_detail(r, -1, "RT_GROUP_SCHED=y"));
	ck_assert(has_detail(r, -1, "EPERM"));
	/* An uncompressed config reads as well. */
	tu_write(ctx, "proc/config.gz", "CONFIG_NO_HZ_FULL=y\n"
		 "CONFIG_ACPI_PROCESSOR=y\n# CONFIG_RT_GROUP_SCHED is not set\n");
	r = check(ctx, "kernel.config", NULL);
	expect(r, RTVM_CHECK_PASS, "RT_GROUP_SCHED=n", NULL);
	ck_assert(has_detail(r, -1, "TASK_DELAY_ACCT is not set"));
	tu_write(ctx, "proc/config.gz", "CONFIG_NO_HZ_FULL=y\n"
		 "# CONFIG_ACPI_PROCESSOR is not set\n");
	r = check(ctx, "kernel.config", NULL);
	expect(r, RTVM_CHECK_WARN, "ACPI_PROCESSOR=n", "CONFIG_ACPI_PROCESSOR=y");
	ck_assert(!strstr(rtvm_check_result_get_remedy(r), "NO_HZ_FULL"));
	tu_write(ctx, "proc/config.gz", "not a kernel config\n");
	r = check(ctx, "kernel.config", NULL);
	expect(r, RTVM_CHECK_SKIP, "config.gz", "modprobe configs");
	/* Without /proc/config.gz (Debian's kernels): /boot/config-RELEASE
	 * of the running kernel, and only that one. */
	tu_remove(ctx, "proc/config.gz");
	tu_write(ctx, "proc/sys/kernel/osrelease", "6.1.0-21-rt-amd64\n");
	tu_write(ctx, "boot/config-6.1.0-20-rt-amd64", "CONFIG_NO_HZ_FULL=y\n"
		 "CONFIG_ACPI_PROCESSOR=y\n");
	r = check(ctx, "kernel.config", NULL);
	expect(r, RTVM_CHECK_SKIP,
	       "/proc/config.gz or /boot/config-6.1.0-21-rt-amd64",
	       "/boot/config-$(uname -r)");
	tu_write(ctx, "boot/config-6.1.0-21-rt-amd64", "CONFIG_NO_HZ_FULL=y\n"
		 "# CONFIG_ACPI_PROCESSOR is not set\nCONFIG_PREEMPT_RT=y\n");
	r = check(ctx, "kernel.config", NULL);
	expect(r, RTVM_CHECK_WARN, "(from /boot/config-6.1.0-21-rt-amd64)",
	       "CONFIG_ACPI_PROCESSOR=y");
	tu_remove(ctx, "sys/kernel/realtime");
	tu_write(ctx, "proc/sys/kernel/version", "#1 SMP PREEMPT_DYNAMIC\n");
	r = check(ctx, "kernel.preempt_rt", NULL);
	expect(r, RTVM_CHECK_PASS, "CONFIG_PREEMPT_RT=y", NULL);

	overlay(ctx, "untuned");
	r = check(ctx, "kernel.preempt_rt", NULL);
	expect(r, RTVM_CHECK_FAIL, "PREEMPT_DYNAMIC", "linux-image-rt-amd64");
	ck_assert(strstr(rtvm_check_result_get_observed(r),
			 "CONFIG_PREEMPT_RT not set"));
	r = check(ctx, "kernel.config", NULL);
	expect(r, RTVM_CHECK_WARN, "NO_HZ_FULL=n", "CONFIG_NO_HZ_FULL=y");
	ck_assert(has_detail(r, -1, "nohz_full= is ignored"));
	done(ctx);
}
END_TEST

START_TEST(test_isolcpus)
{
	struct rtvm_ctx *ctx = kctx("tuned");
	const struct rtvm_check_result *r;
	char *orig = tu_read(ctx, "proc/cmdline");

	r = check(ctx, "cmdline.isolcpus", RT);
	expect(r, RTVM_CHECK_PASS, "covers the RT CPUs 2-15,34-47", NULL);
	/* Flags: without any the kernel isolates domains only. */
	tu_write(ctx, "proc/cmdline", "ro isolcpus=2-15,34-47\n");
	r = check(ctx, "cmdline.isolcpus", RT);
	expect(r, RTVM_CHECK_WARN, "lacks managed_irq",
	       "replace \"isolcpus=2-15,34-47\" with "
	       "\"isolcpus=managed_irq,domain,2-15,34-47\"");
	ck_assert(!strstr(rtvm_check_result_get_observed(r), "domain ("));
	tu_write(ctx, "proc/cmdline", "ro isolcpus=managed_irq,2-15,34-47\n");
	r = check(ctx, "cmdline.isolcpus", RT);
	expect(r, RTVM_CHECK_WARN, "lacks domain", NULL);
	/* Partial cover: the missing CPUs, one line each. */
	tu_write(ctx, "proc/cmdline", "ro isolcpus=managed_irq,domain,2-7\n");
	r = check(ctx, "cmdline.isolcpus", RT);
	expect(r, RTVM_CHECK_WARN, "leaves out the RT CPUs 8-15,34-47",
	       "\"isolcpus=managed_irq,domain,2-15,34-47\"");
	ck_assert_uint_eq(rtvm_check_result_get_nr_details(r), 22);
	ck_assert(has_detail(r, 8, "not isolated"));
	ck_assert(!has_detail(r, 2, "not isolated"));
	/* CPUs isolated for someone else stay isolated. */
	tu_write(ctx, "proc/cmdline", "ro isolcpus=nohz,managed_irq,domain,4-7\n");
	r = check(ctx, "cmdline.isolcpus", "2-3");
	expect(r, RTVM_CHECK_WARN, "leaves out the RT CPUs 2-3",
	       "\"isolcpus=nohz,managed_irq,domain,2-7\"");
	/* Asked for, but the kernel isolated nothing. */
	tu_write(ctx, "proc/cmdline", orig);
	tu_write(ctx, "sys/devices/system/cpu/isolated", "\n");
	r = check(ctx, "cmdline.isolcpus", RT);
	expect(r, RTVM_CHECK_WARN, "applied only", "dmesg");
	ck_assert(has_detail(r, 34, "not isolated"));

	overlay(ctx, "untuned");
	r = check(ctx, "cmdline.isolcpus", RT);
	expect(r, RTVM_CHECK_WARN, "no isolcpus=",
	       "add \"isolcpus=managed_irq,domain,2-15,34-47\" to the kernel "
	       "command line");
	ck_assert_uint_eq(rtvm_check_result_get_nr_details(r), 28);
	ck_assert(has_detail(r, 47, "not isolated"));
	/* Nothing isolated and no RT CPUs named: nothing to judge. */
	r = check(ctx, "cmdline.isolcpus", NULL);
	expect(r, RTVM_CHECK_SKIP, "no RT CPUs given and none isolated", NULL);
	free(orig);
	done(ctx);
}
END_TEST

START_TEST(test_nohz_full_and_rcu_nocbs)
{
	struct rtvm_ctx *ctx = kctx("tuned");
	const struct rtvm_check_result *r;

	r = check(ctx, "cmdline.nohz_full", RT);
	expect(r, RTVM_CHECK_PASS, "nohz_full=2-15,34-47 covers", NULL);
	r = check(ctx, "cmdline.rcu_nocbs", RT);
	expect(r, RTVM_CHECK_PASS, "rcu_nocbs=2-15,34-47 covers", NULL);
	/* A kernel without NO_HZ_FULL ignores the parameter. */
	tu_write(ctx, "sys/devices/system/cpu/nohz_full", "\n");
	r = check(ctx, "cmdline.nohz_full", RT);
	expect(r, RTVM_CHECK_WARN, "applied only", "CONFIG_NO_HZ_FULL=y");
	ck_assert_uint_eq(rtvm_check_result_get_nr_details(r), 28);
	tu_write(ctx, "sys/devices/system/cpu/nohz_full", RT "\n");
	/* The kernel's "N" and "all". */
	tu_write(ctx, "proc/cmdline", "ro nohz_full=2-N\n");
	r = check(ctx, "cmdline.nohz_full", RT);
	expect(r, RTVM_CHECK_PASS, "nohz_full=2-N covers", NULL);
	tu_write(ctx, "proc/cmdline", "ro nohz_full=all\n");
	r = check(ctx, "cmdline.nohz_full", RT);
	expect(r, RTVM_CHECK_PASS, NULL, NULL);
	tu_write(ctx, "proc/cmdline", "ro nohz_full=2-x\n");
	r = check(ctx, "cmdline.nohz_full", RT);
	expect(r, RTVM_CHECK_WARN, "not a CPU list", "\"nohz_full=2-15,34-47\"");
	/* nohz_full= offloads RCU callbacks too. */
	tu_write(ctx, "proc/cmdline", "ro nohz_full=2-15,34-47\n");
	r = check(ctx, "cmdline.rcu_nocbs", RT);
	expect(r, RTVM_CHECK_PASS, "nohz_full= covers", NULL);
	tu_write(ctx, "proc/cmdline", "ro rcu_nocbs=2-15 nohz_full=34-40\n");
	r = check(ctx, "cmdline.rcu_nocbs", RT);
	expect(r, RTVM_CHECK_WARN, "leaves out the RT CPUs 41-47",
	       "replace \"rcu_nocbs=2-15\" with \"rcu_nocbs=2-15,34-47\"");
	ck_assert(has_detail(r, 41, "RCU callbacks"));
	ck_assert(!has_detail(r, 40, "RCU callbacks"));

	overlay(ctx, "untuned");
	r = check(ctx, "cmdline.nohz_full", RT);
	expect(r, RTVM_CHECK_WARN, "no nohz_full=",
	       "add \"nohz_full=2-15,34-47\"");
	ck_assert_uint_eq(rtvm_check_result_get_nr_details(r), 28);
	ck_assert(has_detail(r, 2, "scheduler tick"));
	ck_assert(!has_detail(r, 16, "scheduler tick"));
	r = check(ctx, "cmdline.rcu_nocbs", RT);
	expect(r, RTVM_CHECK_WARN, "no rcu_nocbs=", "add \"rcu_nocbs=2-15,34-47\"");
	r = check(ctx, "cmdline.nohz_full", NULL);
	expect(r, RTVM_CHECK_SKIP, "no RT CPUs", NULL);
	done(ctx);
}
END_TEST

START_TEST(test_irqaffinity_and_misc)
{
	struct rtvm_ctx *ctx = kctx("tuned");
	const struct rtvm_check_result *r;

	/* Offline CPU 63 in the list is harmless: only RT CPUs count. */
	r = check(ctx, "cmdline.irqaffinity", RT);
	expect(r, RTVM_CHECK_PASS, "irqaffinity=0,1,16-33,48-63 leaves out", NULL);
	r = check(ctx, "cmdline.misc", RT);
	expect(r, RTVM_CHECK_PASS, "intel_pstate=disable", NULL);
	ck_assert(has_detail(r, -1, "acpi-cpufreq"));

	tu_write(ctx, "proc/cmdline", "ro irqaffinity=0-3 skew_tick=0 "
		 "tsc=reliable nowatchdog idle=poll\n");
	r = check(ctx, "cmdline.irqaffinity", RT);
	expect(r, RTVM_CHECK_WARN, "includes the RT CPUs 2-3",
	       "replace \"irqaffinity=0-3\" with \"irqaffinity=0-1\"");
	ck_assert_uint_eq(rtvm_check_result_get_nr_details(r), 2);
	ck_assert(has_detail(r, 3, "device interrupts"));
	r = check(ctx, "cmdline.misc", RT);
	expect(r, RTVM_CHECK_WARN, "missing: skew_tick=1;",
	       "add \"skew_tick=1\" to the kernel command line");
	ck_assert(strstr(rtvm_check_result_get_observed(r), "idle=poll"));
	ck_assert(has_detail(r, -1, "idle=poll limits idle states"));
	/* Only RT CPUs in it: the housekeeping CPUs instead. */
	tu_write(ctx, "proc/cmdline", "ro irqaffinity=2-5\n");
	r = check(ctx, "cmdline.irqaffinity", RT);
	expect(r, RTVM_CHECK_WARN, "includes the RT CPUs 2-5",
	       "\"irqaffinity=0-1,16-33,48-62\"");

	overlay(ctx, "untuned");
	r = check(ctx, "cmdline.irqaffinity", RT);
	expect(r, RTVM_CHECK_WARN, "any CPU",
	       "add \"irqaffinity=0-1,16-33,48-63\"");
	ck_assert_uint_eq(rtvm_check_result_get_nr_details(r), 28);
	r = check(ctx, "cmdline.misc", RT);
	expect(r, RTVM_CHECK_WARN, "missing: skew_tick=1 tsc=reliable nosoftlockup",
	       "add \"skew_tick=1 tsc=reliable nosoftlockup\"");
	r = check(ctx, "cmdline.irqaffinity", NULL);
	expect(r, RTVM_CHECK_SKIP, "no RT CPUs", NULL);
	done(ctx);
}
END_TEST

START_TEST(test_rt_throttling_and_dl_server)
{
	struct rtvm_ctx *ctx = kctx("tuned");
	const struct rtvm_check_result *r;
	const char *fs = "sys/kernel/debug/sched/fair_server";
	char path[256];

	r = check(ctx, "sched.rt_throttling", RT);
	expect(r, RTVM_CHECK_PASS, "kernel.sched_rt_runtime_us = -1", NULL);
	/* 6.1: debugfs without a fair server. */
	r = check(ctx, "sched.dl_server", RT);
	expect(r, RTVM_CHECK_PASS, "no fair server", NULL);
	/* 6.12+: the fair server's default 50 ms per second on CPU 2. */
	for (int cpu = 2; cpu <= 3; cpu++) {
		snprintf(path, sizeof(path), "%s/cpu%d/runtime", fs, cpu);
		tu_write(ctx, path, cpu == 2 ? "50000000\n" : "0\n");
		snprintf(path, sizeof(path), "%s/cpu%d/period", fs, cpu);
		tu_write(ctx, path, "1000000000\n");
	}
	r = check(ctx, "sched.dl_server", "2-3");
	expect(r, RTVM_CHECK_WARN, "50 ms of every 1000 ms from RT tasks on CPUs 2 ",
	       "for c in 2; do echo 0 > /sys/kernel/debug/sched/fair_server/"
	       "cpu$c/runtime; done");
	ck_assert_uint_eq(rtvm_check_result_get_nr_details(r), 1);
	ck_assert(has_detail(r, 2, "50000000 ns"));
	snprintf(path, sizeof(path), "%s/cpu2/runtime", fs);
	tu_write(ctx, path, "0\n");
	r = check(ctx, "sched.dl_server", "2-3");
	expect(r, RTVM_CHECK_PASS, "runtime 0", NULL);
	/* The other RT CPUs have no files here: unknown, not zero. */
	r = check(ctx, "sched.dl_server", NULL);
	expect(r, RTVM_CHECK_SKIP, "unreadable on CPUs 4-15,34-47", NULL);

	overlay(ctx, "untuned");
	r = check(ctx, "sched.rt_throttling", RT);
	expect(r, RTVM_CHECK_WARN, "= 950000 of kernel.sched_rt_period_us = "
	       "1000000: RT tasks stop for 50000 us",
	       "sysctl -w kernel.sched_rt_runtime_us=-1");
	r = check(ctx, "sched.dl_server", NULL);
	expect(r, RTVM_CHECK_SKIP, "no RT CPUs", NULL);
	done(ctx);
}
END_TEST

START_TEST(test_rt_group)
{
	struct rtvm_ctx *ctx = kctx("tuned");
	const struct rtvm_check_result *r;
	const char *cc = "sys/fs/cgroup/cpu,cpuacct";
	char path[512];

	r = check(ctx, "sched.rt_group", RT);
	expect(r, RTVM_CHECK_PASS, "every cpu cgroup with threads has RT time",
	       NULL);
	/* One vCPU's cgroup without RT time. */
	snprintf(path, sizeof(path), "%s/machine.slice/machine-qemu\\x2d1"
		 "\\x2dvm1.scope/libvirt/vcpu0/cpu.rt_runtime_us", cc);
	tu_write(ctx, path, "0\n");
	/* Not refused while RT throttling is off (tuned: -1)... */
	r = check(ctx, "sched.rt_group", RT);
	expect(r, RTVM_CHECK_INFO, "allowed while kernel.sched_rt_runtime_us = -1",
	       "give these cgroups RT time");
	ck_assert(!strstr(rtvm_check_result_get_remedy(r), "sysctl"));
	/* ...but EPERM once it is on. */
	tu_write(ctx, "proc/sys/kernel/sched_rt_runtime_us", "950000\n");
	r = check(ctx, "sched.rt_group", RT);
	expect(r, RTVM_CHECK_WARN, "EPERM in 1 cpu cgroup with threads",
	       "machine-qemu\\x2d1\\x2dvm1.scope/libvirt/vcpu0/cpu.rt_runtime_us");
	ck_assert(strstr(rtvm_check_result_get_remedy(r),
			 "sysctl -w kernel.sched_rt_runtime_us=-1"));
	ck_assert(strstr(rtvm_check_result_get_observed(r),
			 "libvirt/vcpu0 (1 thread)"));
	ck_assert(!strstr(rtvm_check_result_get_observed(r), "emulator"));
	ck_assert(has_detail(r, -1, "4250 CPU 0/KVM"));

	overlay(ctx, "untuned");
	r = check(ctx, "sched.rt_group", RT);
	expect(r, RTVM_CHECK_WARN, "SCHED_FIFO/RR fail with EPERM in 3 cpu cgroups",
	       "echo 950000 > /sys/fs/cgroup/cpu,cpuacct/machine.slice/"
	       "cpu.rt_runtime_us");
	ck_assert(strstr(rtvm_check_result_get_observed(r),
			 "libvirt/emulator (3 threads)"));
	ck_assert_uint_eq(rtvm_check_result_get_nr_details(r), 3);
	/* Without RT bandwidth control setscheduler is not refused. */
	tu_write(ctx, "proc/sys/kernel/sched_rt_runtime_us", "-1\n");
	r = check(ctx, "sched.rt_group", RT);
	expect(r, RTVM_CHECK_INFO, "allowed while kernel.sched_rt_runtime_us = -1",
	       NULL);
	/* No cpu.rt_runtime_us: no RT group scheduling. */
	snprintf(path, sizeof(path), "%s/cpu.rt_runtime_us", cc);
	tu_remove(ctx, path);
	r = check(ctx, "sched.rt_group", RT);
	expect(r, RTVM_CHECK_PASS, "no RT group scheduling", NULL);
	done(ctx);
}
END_TEST

START_TEST(test_rt_group_cgroup_v2)
{
	struct rtvm_ctx *ctx = tu_ctx("v2host");
	const struct rtvm_check_result *r;

	r = check(ctx, "sched.rt_group", NULL);
	expect(r, RTVM_CHECK_PASS, "no cpu cgroup v1 hierarchy", NULL);
	done(ctx);
}
END_TEST

START_TEST(test_sysctls)
{
	static const struct {
		const char *id, *file, *good, *bad, *remedy;
	} t[] = {
		{ "sysctl.timer_migration", "proc/sys/kernel/timer_migration",
		  "kernel.timer_migration = 0", "kernel.timer_migration = 1",
		  "sysctl -w kernel.timer_migration=0" },
		{ "sysctl.nmi_watchdog", "proc/sys/kernel/nmi_watchdog",
		  "kernel.nmi_watchdog = 0", "kernel.nmi_watchdog = 1",
		  "sysctl -w kernel.nmi_watchdog=0" },
		{ "sysctl.numa_balancing", "proc/sys/kernel/numa_balancing",
		  "kernel.numa_balancing = 0", "kernel.numa_balancing = 1",
		  "sysctl -w kernel.numa_balancing=0" },
		{ "sysctl.stat_interval", "proc/sys/vm/stat_interval",
		  "vm.stat_interval = 10", "vm.stat_interval = 1",
		  "sysctl -w vm.stat_interval=10" },
	};
	struct rtvm_ctx *ctx = kctx("tuned");
	const struct rtvm_check_result *r;

	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		r = check(ctx, t[i].id, RT);
		expect(r, RTVM_CHECK_PASS, t[i].good, NULL);
	}
	/* At least 10 for the interval, exactly 0 for the others. */
	tu_write(ctx, "proc/sys/vm/stat_interval", "30\n");
	expect(check(ctx, "sysctl.stat_interval", RT), RTVM_CHECK_PASS, "= 30", NULL);
	tu_write(ctx, "proc/sys/vm/stat_interval", "9\n");
	expect(check(ctx, "sysctl.stat_interval", RT), RTVM_CHECK_WARN, "= 9",
	       "sysctl -w vm.stat_interval=10");
	tu_write(ctx, "proc/sys/kernel/nmi_watchdog", "2\n");
	expect(check(ctx, "sysctl.nmi_watchdog", RT), RTVM_CHECK_WARN, "= 2",
	       "sysctl -w kernel.nmi_watchdog=0");
	tu_write(ctx, "proc/sys/kernel/nmi_watchdog", "x\n");
	expect(check(ctx, "sysctl.nmi_watchdog", RT), RTVM_CHECK_WARN,
	       "not a number", NULL);
	tu_remove(ctx, "proc/sys/kernel/numa_balancing");
	expect(check(ctx, "sysctl.numa_balancing", RT), RTVM_CHECK_SKIP,
	       "no kernel.numa_balancing", NULL);

	overlay(ctx, "untuned");
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		r = check(ctx, t[i].id, RT);
		expect(r, RTVM_CHECK_WARN, t[i].bad, t[i].remedy);
	}
	done(ctx);
}
END_TEST

START_TEST(test_memory)
{
	struct rtvm_ctx *ctx = kctx("tuned");
	const char *mm = "sys/kernel/mm";
	char path[256];

	expect(check(ctx, "mm.thp", RT), RTVM_CHECK_PASS, "[never]", NULL);
	expect(check(ctx, "mm.ksm", RT), RTVM_CHECK_PASS, "ksm run = 0", NULL);
	expect(check(ctx, "mm.swap", RT), RTVM_CHECK_PASS, "no active swap", NULL);
	expect(check(ctx, "mm.hugepages", RT), RTVM_CHECK_PASS,
	       "hugepages reserved: 8 x 1048576 kB", NULL);
	expect(check(ctx, "mm.memlock", RT), RTVM_CHECK_PASS, "soft unlimited",
	       NULL);

	snprintf(path, sizeof(path), "%s/transparent_hugepage/enabled", mm);
	tu_write(ctx, path, "always [madvise] never\n");
	expect(check(ctx, "mm.thp", RT), RTVM_CHECK_INFO, "[madvise]", "echo never");
	snprintf(path, sizeof(path), "%s/ksm/run", mm);
	tu_write(ctx, path, "2\n");
	expect(check(ctx, "mm.ksm", RT), RTVM_CHECK_PASS, "ksm run = 2", NULL);
	/* Only 2 MiB pages: fine, 1 GiB would be better. */
	snprintf(path, sizeof(path), "%s/hugepages/hugepages-1048576kB/nr_hugepages", mm);
	tu_write(ctx, path, "0\n");
	snprintf(path, sizeof(path), "%s/hugepages/hugepages-2048kB/nr_hugepages", mm);
	tu_write(ctx, path, "512\n");
	expect(check(ctx, "mm.hugepages", RT), RTVM_CHECK_INFO, "512 x 2048 kB",
	       "hugepagesz=1G");
	/* The soft limit is what mlock() meets. */
	tu_write(ctx, "proc/self/limits",
		 "Limit                     Soft Limit           Hard Limit           Units     \n"
		 "Max locked memory         65536                unlimited            bytes     \n");
	expect(check(ctx, "mm.memlock", RT), RTVM_CHECK_WARN,
	       "soft 65536 bytes (64 KiB), hard unlimited", "ulimit -l unlimited");
	/* No sysfs pools: meminfo's default pool (8 x 1 GiB here). */
	snprintf(path, sizeof(path), "%s/hugepages", mm);
	tu_remove(ctx, path);
	expect(check(ctx, "mm.hugepages", RT), RTVM_CHECK_PASS,
	       "8 x 1048576 kB", NULL);

	overlay(ctx, "untuned");
	expect(check(ctx, "mm.thp", RT), RTVM_CHECK_WARN, "[always]",
	       "echo never > /sys/kernel/mm/transparent_hugepage/enabled");
	expect(check(ctx, "mm.ksm", RT), RTVM_CHECK_WARN, "ksm run = 1",
	       "echo 2 > /sys/kernel/mm/ksm/run");
	expect(check(ctx, "mm.swap", RT), RTVM_CHECK_WARN,
	       "swap active: /dev/nvme0n1p3 (partition, 8191 MiB", "swapoff -a");
	expect(check(ctx, "mm.hugepages", RT), RTVM_CHECK_WARN,
	       "RT VMs want locked hugepage-backed memory",
	       "default_hugepagesz=1G hugepagesz=1G hugepages=N");
	expect(check(ctx, "mm.memlock", RT), RTVM_CHECK_WARN,
	       "soft 8388608 bytes", "ulimit -l unlimited");
	done(ctx);
}
END_TEST

/* The bare host64 tree has none of these files: each check says why it
 * cannot look, or that the feature is absent. */
START_TEST(test_bare_tree)
{
	struct rtvm_ctx *ctx = kctx(NULL);

	expect(check(ctx, "kernel.preempt_rt", RT), RTVM_CHECK_SKIP,
	       "cannot tell", "uname -v");
	expect(check(ctx, "kernel.config", RT), RTVM_CHECK_SKIP,
	       "/proc/config.gz", "modprobe configs");
	expect(check(ctx, "sched.rt_throttling", RT), RTVM_CHECK_SKIP,
	       "kernel.sched_rt_runtime_us", NULL);
	expect(check(ctx, "sched.dl_server", RT), RTVM_CHECK_SKIP,
	       "fair_server", "mount -t debugfs none /sys/kernel/debug");
	expect(check(ctx, "sched.rt_group", RT), RTVM_CHECK_PASS,
	       "no RT group scheduling", NULL);
	expect(check(ctx, "sysctl.timer_migration", RT), RTVM_CHECK_SKIP,
	       "no kernel.timer_migration", NULL);
	expect(check(ctx, "mm.thp", RT), RTVM_CHECK_PASS, "no transparent", NULL);
	expect(check(ctx, "mm.hugepages", RT), RTVM_CHECK_SKIP, "hugepage", NULL);
	expect(check(ctx, "mm.memlock", RT), RTVM_CHECK_SKIP, "process limits",
	       NULL);
	/* host64 itself is tuned on the command line. */
	expect(check(ctx, "cmdline.isolcpus", NULL), RTVM_CHECK_PASS,
	       "covers the RT CPUs 2-15,34-47", NULL);
	done(ctx);
}
END_TEST

START_TEST(test_verdicts)
{
	struct rtvm_ctx *ctx = kctx("tuned");
	struct rtvm_check_opts o = { .size = sizeof(o), .only = ALL_KERNEL };
	struct rtvm_cpumask *m = tu_mask(64, RT);
	const struct rtvm_check_result *r;
	struct rtvm_check_report *rep;
	unsigned int n = 0;

	o.rt_cpus = m;
	ck_assert_int_eq(rtvm_check_run(ctx, &o, &rep), 0);
	rtvm_check_report_foreach(r, rep) {
		ck_assert_msg(rtvm_check_result_get_status(r) < RTVM_CHECK_SKIP,
			      "tuned: %s is %s: %s", rtvm_check_result_get_id(r),
			      rtvm_check_status_to_string(rtvm_check_result_get_status(r)),
			      rtvm_check_result_get_observed(r));
		n++;
	}
	ck_assert_uint_eq(n, 19);
	ck_assert_int_eq(rtvm_check_report_get_verdict(rep), RTVM_CHECK_PASS);
	rtvm_check_report_unref(rep);

	overlay(ctx, "untuned");
	ck_assert_int_eq(rtvm_check_run(ctx, &o, &rep), 0);
	ck_assert_int_eq(rtvm_check_report_get_verdict(rep), RTVM_CHECK_FAIL);
	ck_assert_uint_eq(rtvm_check_report_get_count(rep, RTVM_CHECK_FAIL), 1);
	ck_assert_uint_eq(rtvm_check_report_get_count(rep, RTVM_CHECK_WARN), 17);
	ck_assert_int_eq(rtvm_check_report_find(rep, "sched.dl_server", &r), 0);
	ck_assert_int_eq(rtvm_check_result_get_status(r), RTVM_CHECK_PASS);
	rtvm_check_report_unref(rep);
	/* Without RT CPUs the CPU-list checks have nothing to judge. */
	o.rt_cpus = NULL;
	ck_assert_int_eq(rtvm_check_run(ctx, &o, &rep), 0);
	ck_assert_uint_eq(rtvm_check_report_get_count(rep, RTVM_CHECK_SKIP), 5);
	rtvm_check_report_unref(rep);
	rtvm_cpumask_free(m);
	done(ctx);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("check-kernel");
	TCase *tc = tcase_create("check-kernel");

	/* Each test copies a fixture of ~8,000 files: slow disks take
	 * seconds per copy. */
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, test_preempt_rt_and_config);
	tcase_add_test(tc, test_isolcpus);
	tcase_add_test(tc, test_nohz_full_and_rcu_nocbs);
	tcase_add_test(tc, test_irqaffinity_and_misc);
	tcase_add_test(tc, test_rt_throttling_and_dl_server);
	tcase_add_test(tc, test_rt_group);
	tcase_add_test(tc, test_rt_group_cgroup_v2);
	tcase_add_test(tc, test_sysctls);
	tcase_add_test(tc, test_memory);
	tcase_add_test(tc, test_bare_tree);
	tcase_add_test(tc, test_verdicts);
	suite_add_tcase(s, tc);
	return tu_run(s);
}
