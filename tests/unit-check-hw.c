/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Unit tier: the hardware readiness checks (librtvm/check-hw.c) and PM QoS
 * holds, on the rthost and untuned fixtures (host64 with overlay-hw.sh)
 * and variations of them.  Nothing here touches the real host. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <unistd.h>

#include "librtvm-private.h"
#include "testutil.h"

#define RT "2-15,34-47"

/* ---- helpers -------------------------------------------------------------- */

struct run {
	struct rtvm_check_report *rep;
	const struct rtvm_check_result *r;
	int status;
	const char *observed, *remedy;
};

/* Read-only copies of the fixtures, made once before the tests fork:
 * copying a fixture costs more than all of a test's checks, and most
 * tests only read.  Tests that change files use tu_ctx(). */
static char *shared_rthost, *shared_untuned;

/* tu_fixture() lends a slot that later calls reuse: keep copies. */
static void make_shared(void)
{
	shared_rthost = strdup(tu_fixture("rthost"));
	shared_untuned = strdup(tu_fixture("untuned"));
	ck_assert(shared_rthost && shared_untuned);
}

static void free_shared(void)
{
	free(shared_rthost);
	free(shared_untuned);
}

static struct rtvm_ctx *ro_ctx(const char *which)
{
	struct rtvm_ctx *ctx;

	ck_assert_int_eq(rtvm_new(&ctx), 0);
	ck_assert_int_eq(rtvm_set_root(ctx, strcmp(which, "rthost") == 0 ?
						    shared_rthost :
						    shared_untuned),
			 0);
	return ctx;
}

/* Check @id alone on RT CPUs @rt, with the other options of @o. */
static struct run check_with(struct rtvm_ctx *ctx, const char *id,
			     const char *rt, struct rtvm_check_opts o)
{
	struct rtvm_cpumask *m = tu_mask(64, rt);
	struct run x = {0};

	o.size = sizeof(o);
	o.only = id;
	o.rt_cpus = m;
	ck_assert_int_eq(rtvm_check_run(ctx, &o, &x.rep), 0);
	ck_assert_int_eq(rtvm_check_report_find(x.rep, id, &x.r), 0);
	x.status = rtvm_check_result_get_status(x.r);
	x.observed = rtvm_check_result_get_observed(x.r);
	x.remedy = rtvm_check_result_get_remedy(x.r);
	rtvm_cpumask_free(m);
	return x;
}

static struct run check_opts(struct rtvm_ctx *ctx, const char *id,
			     const char *rt, unsigned int max_latency,
			     unsigned int sample_ms)
{
	return check_with(ctx, id, rt,
			  (struct rtvm_check_opts){
				  .max_exit_latency_us = max_latency,
				  .sample_ms = sample_ms });
}

static struct run check(struct rtvm_ctx *ctx, const char *id, const char *rt)
{
	return check_opts(ctx, id, rt, 0, 0);
}

static void done(struct run *x)
{
	rtvm_check_report_unref(x->rep);
}

#define expect_status(x, want)                                              \
	ck_assert_msg((x).status == (want), "%s is %s, not %s: %s",         \
		      rtvm_check_result_get_id((x).r),                      \
		      rtvm_check_status_to_string((x).status),              \
		      rtvm_check_status_to_string(want), (x).observed)
#define expect_has(text, needle)                                            \
	ck_assert_msg(strstr((text), (needle)) != NULL,                     \
		      "\"%s\" not in \"%s\"", (needle), (text))
#define expect_lacks(text, needle)                                          \
	ck_assert_msg(strstr((text), (needle)) == NULL,                     \
		      "\"%s\" unexpected in \"%s\"", (needle), (text))

/* Whether some detail line of @r contains @needle (and is about @cpu,
 * unless @cpu is -2). */
static bool has_detail(const struct rtvm_check_result *r, int cpu,
		       const char *needle)
{
	unsigned int n = rtvm_check_result_get_nr_details(r);

	for (unsigned int i = 0; i < n; i++) {
		const char *text;
		int c;

		ck_assert_int_eq(rtvm_check_result_get_detail(r, i, &c, &text), 0);
		if ((cpu == -2 || c == cpu) && strstr(text, needle))
			return true;
	}
	return false;
}

static void sh(struct rtvm_ctx *ctx, const char *cmd)
{
	char buf[2048];

	snprintf(buf, sizeof(buf), "cd '%s' && %s", rtvm_get_root(ctx), cmd);
	ck_assert_msg(system(buf) == 0, "failed: %s", buf);
}

/* Write @value to the file @before N @after of each CPU N. */
static void write_cpus(struct rtvm_ctx *ctx, const char *list,
		       const char *before, const char *after,
		       const char *value)
{
	struct rtvm_cpumask *m = tu_mask(64, list);
	char rel[256];
	int cpu;

	rtvm_cpumask_foreach(cpu, m) {
		snprintf(rel, sizeof(rel), "%s%d%s", before, cpu, after);
		tu_write(ctx, rel, value);
	}
	rtvm_cpumask_free(m);
}

static void write_bytes(struct rtvm_ctx *ctx, const char *rel,
			const void *data, size_t n, off_t at)
{
	char path[1024];
	int fd;

	snprintf(path, sizeof(path), "%s/%s", rtvm_get_root(ctx), rel);
	fd = open(path, O_WRONLY | O_CREAT, 0644);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(pwrite(fd, data, n, at), (ssize_t)n);
	close(fd);
}

static void read_bytes(struct rtvm_ctx *ctx, const char *rel, void *data,
		       size_t n, off_t at)
{
	char path[1024];
	int fd;

	snprintf(path, sizeof(path), "%s/%s", rtvm_get_root(ctx), rel);
	fd = open(path, O_RDONLY);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(pread(fd, data, n, at), (ssize_t)n);
	close(fd);
}

/* A fixture file's value: its content without the one trailing newline
 * that the kernel prints (and the fs module strips). */
static char *value_of(struct rtvm_ctx *ctx, const char *rel)
{
	char *v = tu_read(ctx, rel);
	size_t n = strlen(v);

	if (n && v[n - 1] == '\n')
		v[n - 1] = '\0';
	return v;
}

static void expect_value(struct rtvm_ctx *ctx, const char *rel,
			 const char *want)
{
	char *v = value_of(ctx, rel);

	ck_assert_msg(strcmp(v, want) == 0, "%s reads \"%s\", not \"%s\"", rel,
		      v, want);
	free(v);
}

static char *qos_path(int cpu)
{
	static char buf[4][128];
	static unsigned int n;
	char *p = buf[n++ % 4];

	snprintf(p, 128, "sys/devices/system/cpu/cpu%d/power/"
			 "pm_qos_resume_latency_us",
		 cpu);
	return p;
}

#define QOS_FMT "sys/devices/system/cpu/cpu", "/power/pm_qos_resume_latency_us"

/* Rewrite a file right after the run's first sample has read it: the
 * test's stand-in for a counter that moves while the checks run.  The
 * watch is set before the run starts, so the first close is the sample. */
struct mover {
	pthread_t thread;
	int fd;
	char path[1024];
	const void *data;
	size_t len;
	off_t at;
	bool moved;
};

static void *mover_main(void *arg)
{
	struct mover *m = arg;
	struct pollfd p = { .fd = m->fd, .events = POLLIN };
	char buf[4096];
	int fd;

	if (poll(&p, 1, 10000) != 1 || read(m->fd, buf, sizeof(buf)) <= 0)
		return NULL;
	fd = open(m->path, O_WRONLY | (m->at < 0 ? O_TRUNC : 0));
	if (fd < 0)
		return NULL;
	m->moved = pwrite(fd, m->data, m->len, m->at < 0 ? 0 : m->at) ==
		   (ssize_t)m->len;
	close(fd);
	return NULL;
}

/* @at < 0: replace the whole file. */
static void mover_start(struct mover *m, struct rtvm_ctx *ctx,
			const char *rel, const void *data, size_t len, off_t at)
{
	*m = (struct mover){ .data = data, .len = len, .at = at };
	snprintf(m->path, sizeof(m->path), "%s/%s", rtvm_get_root(ctx), rel);
	m->fd = inotify_init1(IN_CLOEXEC);
	ck_assert_int_ge(m->fd, 0);
	ck_assert_int_ge(inotify_add_watch(m->fd, m->path, IN_CLOSE_NOWRITE), 0);
	ck_assert_int_eq(pthread_create(&m->thread, NULL, mover_main, m), 0);
}

static void mover_join(struct mover *m)
{
	pthread_join(m->thread, NULL);
	close(m->fd);
	ck_assert_msg(m->moved, "the file was not rewritten between samples");
}

/* ---- the table ------------------------------------------------------------ */

START_TEST(test_all_ids_on_tuned_host)
{
	static const char *const ids[] = {
		"pm.cstates", "pm.qos", "pm.governor", "irq.rt_cpus",
		"irq.irqbalance", "wq.cpumask", "clock.source", "kvm.params",
		"smi.count", "hint.usb_legacy",
	};
	struct rtvm_ctx *ctx = ro_ctx("rthost");
	struct rtvm_cpumask *m = tu_mask(64, RT);
	struct rtvm_check_opts o = { .size = sizeof(o), .rt_cpus = m,
				     .only = "pm.,irq.,wq.,clock.,kvm.,smi.,"
					     "hint." };
	struct rtvm_check_report *rep;
	const struct rtvm_check_result *r;
	unsigned int n = 0;

	ck_assert_int_eq(rtvm_check_run(ctx, &o, &rep), 0);
	rtvm_check_report_foreach(r, rep) {
		ck_assert_str_eq(rtvm_check_result_get_id(r), ids[n]);
		ck_assert_ptr_nonnull(rtvm_check_result_get_title(r));
		ck_assert_msg(rtvm_check_result_get_status(r) < RTVM_CHECK_SKIP,
			      "tuned host: %s is %s: %s",
			      rtvm_check_result_get_id(r),
			      rtvm_check_status_to_string(
				      rtvm_check_result_get_status(r)),
			      rtvm_check_result_get_observed(r));
		ck_assert_str_ne(rtvm_check_result_get_expected(r), "");
		n++;
	}
	ck_assert_uint_eq(n, sizeof(ids) / sizeof(ids[0]));
	ck_assert_int_eq(rtvm_check_report_get_verdict(rep), RTVM_CHECK_PASS);
	rtvm_check_report_unref(rep);
	rtvm_cpumask_free(m);
	rtvm_unref(ctx);
}
END_TEST

START_TEST(test_no_rt_cpus_skips)
{
	struct rtvm_ctx *ctx = ro_ctx("untuned"); /* nothing isolated */
	struct rtvm_check_opts o = { .size = sizeof(o), .only = "pm.cstates" };
	struct rtvm_check_report *rep;
	const struct rtvm_check_result *r;

	ck_assert_int_eq(rtvm_check_run(ctx, &o, &rep), 0);
	ck_assert_int_eq(rtvm_check_report_find(rep, "pm.cstates", &r), 0);
	ck_assert_int_eq(rtvm_check_result_get_status(r), RTVM_CHECK_SKIP);
	expect_has(rtvm_check_result_get_observed(r), "no RT CPUs");
	rtvm_check_report_unref(rep);
	rtvm_unref(ctx);
}
END_TEST

/* ---- pm.cstates ----------------------------------------------------------- */

START_TEST(test_cstates_pass)
{
	struct rtvm_ctx *ctx = ro_ctx("rthost");
	struct run x = check(ctx, "pm.cstates", RT);

	expect_status(x, RTVM_CHECK_PASS);
	expect_has(x.observed, "above 10 us on RT CPUs 2-15,34-47");
	ck_assert_str_eq(x.remedy, "");
	done(&x);
	rtvm_unref(ctx);
}
END_TEST

START_TEST(test_cstates_warn)
{
	struct rtvm_ctx *ctx = ro_ctx("untuned");
	struct run x = check(ctx, "pm.cstates", RT);
	const char *text;
	int cpu;

	expect_status(x, RTVM_CHECK_WARN);
	expect_has(x.observed, "C6 (133 us) enabled on CPUs 2-15,34-47");
	/* C1E's 10 us is not above the 10 us target. */
	expect_lacks(x.observed, "C1E");
	expect_has(x.remedy, "echo 1 > /sys/devices/system/cpu/cpu2/cpuidle/"
			     "state3/disable (C6), and likewise for each CPU "
			     "of 2-15,34-47");
	expect_has(x.remedy, "intel_idle.max_cstate=1");
	expect_has(x.remedy, "rtvm_pm_qos_hold(ctx, rt_cpus, 10, &hold)");
	ck_assert_uint_eq(rtvm_check_result_get_nr_details(x.r), 28);
	ck_assert_int_eq(rtvm_check_result_get_detail(x.r, 0, &cpu, &text), 0);
	ck_assert_int_eq(cpu, 2);
	ck_assert_str_eq(text, "C6 (133 us) enabled");
	done(&x);
	rtvm_unref(ctx);
}
END_TEST

START_TEST(test_cstates_target_and_driver)
{
	struct rtvm_ctx *ctx = tu_ctx("untuned");
	struct run x;

	/* A stricter target catches C1E and C1 too, per state. */
	tu_write(ctx, "sys/devices/system/cpu/cpuidle/current_driver",
		 "acpi_idle\n");
	x = check_opts(ctx, "pm.cstates", "3", 1, 0);
	expect_status(x, RTVM_CHECK_WARN);
	expect_has(x.observed, "C1 (2 us) enabled on CPU 3; C1E (10 us) "
			       "enabled on CPU 3; C6 (133 us) enabled on "
			       "CPU 3");
	expect_has(x.remedy, "echo 1 > /sys/devices/system/cpu/cpu3/cpuidle/"
			     "state1/disable (C1); ");
	expect_lacks(x.remedy, "likewise");
	expect_has(x.remedy, "processor.max_cstate=1");
	expect_lacks(x.remedy, "intel_idle");
	expect_has(x.remedy, "rtvm_pm_qos_hold(ctx, rt_cpus, 1, &hold)");
	ck_assert(has_detail(x.r, 3, "C1 (2 us), C1E (10 us), C6 (133 us) "
				     "enabled"));
	done(&x);
	rtvm_unref(ctx);
}
END_TEST

START_TEST(test_cstates_held_by_pm_qos)
{
	struct rtvm_ctx *ctx = tu_ctx("untuned");
	struct run x;

	/* Enabled but never entered while a constraint holds: a hint. */
	write_cpus(ctx, RT, QOS_FMT, "n/a\n");
	x = check(ctx, "pm.cstates", RT);
	expect_status(x, RTVM_CHECK_INFO);
	expect_has(x.observed, "PM QoS constraint of at most 10 us");
	ck_assert(has_detail(x.r, 2, "not entered while a PM QoS constraint"));
	done(&x);
	/* Not all of them: a warning. */
	tu_write(ctx, qos_path(40), "0\n");
	x = check(ctx, "pm.cstates", RT);
	expect_status(x, RTVM_CHECK_WARN);
	done(&x);
	rtvm_unref(ctx);
}
END_TEST

/* ---- pm.qos ------------------------------------------------------------------ */

START_TEST(test_qos_pass)
{
	struct rtvm_ctx *ctx = ro_ctx("rthost");
	struct run x = check(ctx, "pm.qos", RT);

	expect_status(x, RTVM_CHECK_PASS);
	expect_has(x.observed, "pm_qos_resume_latency_us 2 (2 us) on CPUs "
			       "2-15,34-47");
	expect_has(x.observed, "/dev/cpu_dma_latency: no request (2000000000)");
	ck_assert_uint_eq(rtvm_check_result_get_nr_details(x.r), 0);
	done(&x);
	rtvm_unref(ctx);
}
END_TEST

START_TEST(test_qos_warn)
{
	struct rtvm_ctx *ctx = ro_ctx("untuned");
	struct run x = check(ctx, "pm.qos", RT);

	expect_status(x, RTVM_CHECK_WARN);
	expect_has(x.observed, "pm_qos_resume_latency_us 0 (no constraint) on "
			       "CPUs 2-15,34-47");
	expect_has(x.observed, "no constraint of at most 10 us on CPUs "
			       "2-15,34-47");
	expect_has(x.remedy, "rtvm_pm_qos_hold(ctx, rt_cpus, 10, &hold)");
	expect_has(x.remedy, "echo 10 > /sys/devices/system/cpu/cpu2/power/"
			     "pm_qos_resume_latency_us, and likewise for each "
			     "CPU of 2-15,34-47");
	ck_assert(has_detail(x.r, 47, "resume latency 0 (no constraint)"));
	done(&x);
	rtvm_unref(ctx);
}
END_TEST

START_TEST(test_qos_sysfs_semantics)
{
	struct rtvm_ctx *ctx = tu_ctx("untuned");
	struct run x;

	/* "n/a" is 0 us, the strictest constraint. */
	write_cpus(ctx, RT, QOS_FMT, "n/a\n");
	x = check(ctx, "pm.qos", RT);
	expect_status(x, RTVM_CHECK_PASS);
	expect_has(x.observed, "n/a (0 us) on CPUs 2-15,34-47");
	done(&x);
	/* 50 us allows C6's neighbours but not the 10 us target. */
	tu_write(ctx, qos_path(3), "50\n");
	x = check(ctx, "pm.qos", RT);
	expect_status(x, RTVM_CHECK_WARN);
	expect_has(x.observed, "50 (50 us) on CPU 3");
	expect_has(x.observed, "no constraint of at most 10 us on CPU 3");
	expect_has(x.remedy, "echo 10 > /sys/devices/system/cpu/cpu3/power/"
			     "pm_qos_resume_latency_us (");
	ck_assert(has_detail(x.r, 3, "resume latency 50 (50 us)"));
	done(&x);
	rtvm_unref(ctx);
}
END_TEST

START_TEST(test_qos_global_request)
{
	struct rtvm_ctx *ctx = tu_ctx("untuned");
	int32_t v = 5;
	struct run x;

	write_bytes(ctx, "dev/cpu_dma_latency", &v, sizeof(v), 0);
	x = check(ctx, "pm.qos", RT);
	expect_status(x, RTVM_CHECK_PASS);
	expect_has(x.observed, "/dev/cpu_dma_latency: 5 us");
	done(&x);
	v = 100;
	write_bytes(ctx, "dev/cpu_dma_latency", &v, sizeof(v), 0);
	x = check(ctx, "pm.qos", RT);
	expect_status(x, RTVM_CHECK_WARN);
	expect_has(x.observed, "/dev/cpu_dma_latency: 100 us");
	done(&x);
	rtvm_unref(ctx);
}
END_TEST

START_TEST(test_qos_not_needed_and_unknown)
{
	struct rtvm_ctx *ctx = tu_ctx("rthost");
	struct run x;

	/* No constraint, but C1E and C6 are disabled: nothing to hold. */
	write_cpus(ctx, RT, QOS_FMT, "0\n");
	x = check(ctx, "pm.qos", RT);
	expect_status(x, RTVM_CHECK_INFO);
	expect_has(x.observed, "not needed");
	done(&x);
	/* Nothing readable: skip. */
	rtvm_ctx_add_fault(ctx, RTVM_OP_READ, "pm_qos_resume_latency_us", 1, 0,
			   EACCES);
	rtvm_ctx_add_fault(ctx, RTVM_OP_READ, "cpu_dma_latency", 1, 0, EACCES);
	x = check(ctx, "pm.qos", RT);
	expect_status(x, RTVM_CHECK_SKIP);
	expect_has(x.observed, "unreadable (Permission denied)");
	done(&x);
	rtvm_unref(ctx);
}
END_TEST

/* ---- pm.governor -------------------------------------------------------- */

START_TEST(test_governor_pass)
{
	struct rtvm_ctx *ctx = ro_ctx("rthost");
	struct run x = check(ctx, "pm.governor", RT);

	expect_status(x, RTVM_CHECK_PASS);
	expect_has(x.observed, "governor performance on RT CPUs 2-15,34-47");
	/* acpi-cpufreq's boost is on: said, not held against the host. */
	expect_has(x.observed, "boost on");
	ck_assert(has_detail(x.r, -1, "echo 0 > /sys/devices/system/cpu/"
				      "cpufreq/boost"));
	done(&x);
	rtvm_unref(ctx);
}
END_TEST

START_TEST(test_governor_warn)
{
	struct rtvm_ctx *ctx = ro_ctx("untuned");
	struct run x = check(ctx, "pm.governor", RT);

	expect_status(x, RTVM_CHECK_WARN);
	expect_has(x.observed, "governor powersave on CPUs 2-15,34-47");
	expect_has(x.remedy, "echo performance > /sys/devices/system/cpu/cpu2/"
			     "cpufreq/scaling_governor, and likewise for each "
			     "CPU of 2-15,34-47");
	expect_has(x.remedy, "cpupower -c 2-15,34-47 frequency-set -g "
			     "performance");
	ck_assert(has_detail(x.r, 34, "governor powersave"));
	done(&x);
	rtvm_unref(ctx);
}
END_TEST

START_TEST(test_governor_epp_and_turbo)
{
	struct rtvm_ctx *ctx = tu_ctx("rthost");
	struct run x;

	/* intel_pstate: an EPP file per policy, and no_turbo. */
	write_cpus(ctx, RT, "sys/devices/system/cpu/cpufreq/policy",
		   "/energy_performance_preference", "performance\n");
	tu_write(ctx, "sys/devices/system/cpu/cpufreq/policy5/"
		      "energy_performance_preference",
		 "balance_power\n");
	tu_write(ctx, "sys/devices/system/cpu/intel_pstate/no_turbo", "0\n");
	x = check(ctx, "pm.governor", RT);
	expect_status(x, RTVM_CHECK_WARN);
	expect_has(x.observed, "energy_performance_preference balance_power on "
			       "CPU 5");
	expect_lacks(x.observed, "governor");
	expect_has(x.remedy, "echo performance > /sys/devices/system/cpu/cpu5/"
			     "cpufreq/energy_performance_preference");
	expect_lacks(x.remedy, "likewise");
	ck_assert(has_detail(x.r, -1, "turbo on"));
	done(&x);
	rtvm_unref(ctx);
}
END_TEST

START_TEST(test_governor_no_cpufreq)
{
	struct rtvm_ctx *ctx = tu_ctx("v2host"); /* a guest: no cpufreq */
	struct run x = check(ctx, "pm.governor", "1-3");

	expect_status(x, RTVM_CHECK_SKIP);
	ck_assert_str_eq(x.observed, "no cpufreq (a VM, or cpufreq disabled)");
	done(&x);
	rtvm_unref(ctx);
}
END_TEST

/* ---- irq.rt_cpus --------------------------------------------------------- */

START_TEST(test_irqs_pass)
{
	struct rtvm_ctx *ctx = ro_ctx("rthost");
	struct run x = check(ctx, "irq.rt_cpus", RT);

	expect_status(x, RTVM_CHECK_PASS);
	expect_has(x.observed, "no device IRQ fires on RT CPUs 2-15,34-47 (10 "
			       "IRQs");
	/* The managed NIC queue on CPU 4 may fire there, but has not. */
	ck_assert(has_detail(x.r, -1, "IRQ 125 (eth0-TxRx-3): effective "
				      "affinity 4 includes RT CPUs; it has not "
				      "fired there"));
	/* The kernel's own interrupts: information. */
	ck_assert(has_detail(x.r, -1, "LOC (Local timer interrupts): "));
	done(&x);
	rtvm_unref(ctx);
}
END_TEST

START_TEST(test_irqs_warn)
{
	struct rtvm_ctx *ctx = ro_ctx("untuned");
	struct run x = check(ctx, "irq.rt_cpus", RT);

	expect_status(x, RTVM_CHECK_WARN);
	expect_has(x.observed, "4 IRQs fire on RT CPUs: 122 (eth0-TxRx-0), "
			       "123 (eth0-TxRx-1), 125 (eth0-TxRx-3), 130 "
			       "(ahci[0000:00:17.0])");
	/* IRQ 9 may land on CPU 6 but never did. */
	expect_lacks(x.observed, "acpi");
	expect_has(x.remedy, "echo 0-1,16-33,48-62 > /proc/irq/122/"
			     "smp_affinity_list, and likewise for IRQs "
			     "123,125,130");
	expect_has(x.remedy, "EIO");
	ck_assert(has_detail(x.r, 4, "IRQ 125 (eth0-TxRx-3): 2210456 on RT "
				     "CPU 4 since boot, +0 during the run; "
				     "effective affinity 4"));
	ck_assert(has_detail(x.r, 35, "IRQ 130 (ahci[0000:00:17.0])"));
	ck_assert(has_detail(x.r, -1, "IRQ 9 (acpi): effective affinity 6"));
	done(&x);
	rtvm_unref(ctx);
}
END_TEST

START_TEST(test_irqs_grow_during_run)
{
	static const char before[] =
		"           CPU0       CPU1       CPU2       CPU3       CPU4\n"
		"125:          0          0          0          0          0  "
		"IR-PCI-MSI 1048580-edge      eth0-TxRx-3\n"
		" 24:        100          0          0          0          0  "
		"IR-PCI-MSI 65536-edge      nvme0q0\n"
		"LOC:       1000       1000         10         10         10   "
		"Local timer interrupts\n"
		"ERR:          0\n";
	static const char after[] =
		"           CPU0       CPU1       CPU2       CPU3       CPU4\n"
		"125:          0          0          0          0         37  "
		"IR-PCI-MSI 1048580-edge      eth0-TxRx-3\n"
		" 24:        100          0          0          5          0  "
		"IR-PCI-MSI 65536-edge      nvme0q0\n"
		"LOC:       1100       1100         12         11         10   "
		"Local timer interrupts\n"
		"ERR:          0\n";
	struct rtvm_ctx *ctx = tu_ctx("rthost");
	struct mover m;
	struct run x;

	tu_write(ctx, "proc/interrupts", before);
	/* IRQ 24's affinity excludes the RT CPUs, yet it lands on CPU 3
	 * during the run: growth counts whatever the affinity says. */
	mover_start(&m, ctx, "proc/interrupts", after, strlen(after), -1);
	x = check_opts(ctx, "irq.rt_cpus", RT, 0, 300);
	mover_join(&m);
	expect_status(x, RTVM_CHECK_WARN);
	expect_has(x.observed, "2 IRQs fire on RT CPUs: 125 (eth0-TxRx-3), 24 "
			       "(nvme0q0); +42 interrupts there during the "
			       "run");
	ck_assert(has_detail(x.r, 4, "IRQ 125 (eth0-TxRx-3): 37 on RT CPU 4 "
				     "since boot, +37 during the run"));
	ck_assert(has_detail(x.r, 3, "IRQ 24 (nvme0q0): 5 on RT CPU 3 since "
				     "boot, +5 during the run; effective "
				     "affinity 16"));
	ck_assert(has_detail(x.r, -1, "LOC (Local timer interrupts): 33 on RT "
				      "CPUs since boot, +3 during the run"));
	done(&x);
	rtvm_unref(ctx);
}
END_TEST

START_TEST(test_irqs_parse_columns)
{
	/* CPU 3 offline: no column.  Columns name their CPU. */
	static const char text[] =
		"           CPU0       CPU1       CPU2       CPU4       \n"
		"  0:         45          0          0          0   IO-APIC    "
		"2-edge      timer\n"
		" 40:          0          0          0        777   PCI-MSI "
		"1-edge      virtio0-input.0, virtio0-output.0\n"
		" 41:          0          0          9          0   GICv3  27 "
		"Level     arch_timer\n"
		"NMI:          0          0          0          0   Non-maskable "
		"interrupts\n"
		"ERR:          5\n"
		"MIS:          0\n";
	struct rtvm_ctx *ctx = tu_ctx("rthost");
	struct run x;

	tu_write(ctx, "proc/interrupts", text);
	/* No effective affinity: the requested one is used. */
	tu_write(ctx, "proc/irq/40/smp_affinity_list", "3-4\n");
	tu_write(ctx, "proc/irq/41/effective_affinity_list", "2\n");
	x = check(ctx, "irq.rt_cpus", "3-4");
	expect_status(x, RTVM_CHECK_WARN);
	expect_has(x.observed, "1 IRQ fires on RT CPUs: 40 (virtio0-input.0, "
			       "virtio0-output.0)");
	ck_assert(has_detail(x.r, 4, "777 on RT CPU 4"));
	ck_assert(has_detail(x.r, 4, "effective affinity 3-4"));
	done(&x);
	/* The arm64 form: "GICv3 27 Level arch_timer". */
	x = check(ctx, "irq.rt_cpus", "2");
	expect_status(x, RTVM_CHECK_WARN);
	expect_has(x.observed, "41 (arch_timer)");
	done(&x);
	rtvm_unref(ctx);
}
END_TEST

START_TEST(test_irqs_unreadable)
{
	struct rtvm_ctx *ctx = tu_ctx("rthost");
	struct run x;

	sh(ctx, "rm proc/interrupts");
	x = check(ctx, "irq.rt_cpus", RT);
	expect_status(x, RTVM_CHECK_SKIP);
	expect_has(x.observed, "cannot read /proc/interrupts");
	done(&x);
	rtvm_unref(ctx);
}
END_TEST

/* ---- irq.irqbalance ------------------------------------------------------ */

START_TEST(test_irqbalance_pass)
{
	struct rtvm_ctx *ctx = ro_ctx("rthost");
	struct run x = check(ctx, "irq.irqbalance", RT);

	expect_status(x, RTVM_CHECK_PASS);
	expect_has(x.observed, "irqbalance (pid 700) runs; banned: 2-15,34-47, "
			       "through IRQBALANCE_BANNED_CPULIST=2-15,34-47");
	done(&x);
	rtvm_unref(ctx);
}
END_TEST

START_TEST(test_irqbalance_warn)
{
	struct rtvm_ctx *ctx = ro_ctx("untuned");
	struct run x = check(ctx, "irq.irqbalance", RT);

	expect_status(x, RTVM_CHECK_WARN);
	expect_has(x.observed, "irqbalance (pid 700) runs; banned: none");
	expect_has(x.observed, "may move IRQs onto RT CPUs 2-15,34-47");
	expect_has(x.remedy, "IRQBALANCE_BANNED_CPULIST=2-15,34-47 in "
			     "/etc/default/irqbalance");
	expect_has(x.remedy, "systemctl restart irqbalance");
	done(&x);
	rtvm_unref(ctx);
}
END_TEST

START_TEST(test_irqbalance_not_running)
{
	struct rtvm_ctx *ctx = tu_ctx("untuned");
	struct run x;

	sh(ctx, "rm -r proc/700");
	x = check(ctx, "irq.irqbalance", RT);
	expect_status(x, RTVM_CHECK_PASS);
	ck_assert_str_eq(x.observed, "irqbalance is not running");
	done(&x);
	rtvm_unref(ctx);
}
END_TEST

START_TEST(test_irqbalance_sources)
{
	struct rtvm_ctx *ctx = tu_ctx("rthost");
	struct run x;

	/* No list: irqbalance bans the isolated and nohz_full CPUs. */
	tu_write(ctx, "proc/700/environ", "LANG=C.UTF-8");
	x = check(ctx, "irq.irqbalance", RT);
	expect_status(x, RTVM_CHECK_PASS);
	expect_has(x.observed, "its own ban of isolated and nohz_full CPUs");
	/* The file still names the list: the daemon needs a restart. */
	ck_assert(has_detail(x.r, -1, "restart"));
	done(&x);
	/* A list replaces the automatic ban. */
	tu_write(ctx, "proc/700/environ", "IRQBALANCE_BANNED_CPULIST=0-1");
	x = check(ctx, "irq.irqbalance", RT);
	expect_status(x, RTVM_CHECK_WARN);
	expect_has(x.observed, "banned: 0-1, through "
			       "IRQBALANCE_BANNED_CPULIST=0-1");
	expect_has(x.remedy, "IRQBALANCE_BANNED_CPULIST=0-15,34-47");
	done(&x);
	/* The deprecated hex mask wins over the list. */
	sh(ctx, "printf 'IRQBALANCE_BANNED_CPUS=3\\0IRQBALANCE_BANNED_CPULIST="
		"2-15,34-47\\0' >proc/700/environ");
	x = check(ctx, "irq.irqbalance", RT);
	expect_status(x, RTVM_CHECK_WARN);
	expect_has(x.observed, "through IRQBALANCE_BANNED_CPUS=3");
	expect_has(x.remedy, "remove IRQBALANCE_BANNED_CPUS");
	done(&x);
	/* Without the environment (not root): the files. */
	sh(ctx, "rm proc/700/environ");
	x = check(ctx, "irq.irqbalance", RT);
	expect_status(x, RTVM_CHECK_PASS);
	expect_has(x.observed, "=2-15,34-47 (read from /etc/default/irqbalance");
	done(&x);
	sh(ctx, "rm etc/default/irqbalance && mkdir -p etc/sysconfig");
	tu_write(ctx, "etc/sysconfig/irqbalance",
		 "# RHEL\nexport IRQBALANCE_BANNED_CPUS='0000fffc,0000fffc'\n");
	x = check(ctx, "irq.irqbalance", RT);
	expect_status(x, RTVM_CHECK_PASS);
	expect_has(x.observed, "banned: 2-15,34-47, through "
			       "IRQBALANCE_BANNED_CPUS=0000fffc,0000fffc (read "
			       "from /etc/sysconfig/irqbalance");
	done(&x);
	x = check(ctx, "irq.irqbalance", "2-16");
	expect_status(x, RTVM_CHECK_WARN);
	expect_has(x.remedy, "IRQBALANCE_BANNED_CPULIST=2-16,34-47 in "
			     "/etc/sysconfig/irqbalance");
	done(&x);
	rtvm_unref(ctx);
}
END_TEST

/* ---- wq.cpumask ----------------------------------------------------------- */

START_TEST(test_wq_pass)
{
	struct rtvm_ctx *ctx = ro_ctx("rthost");
	struct run x = check(ctx, "wq.cpumask", RT);

	expect_status(x, RTVM_CHECK_PASS);
	expect_has(x.observed, "unbound workqueues cpumask ffff0003,ffff0003; "
			       "writeback cpumask ffff0003,ffff0003");
	done(&x);
	rtvm_unref(ctx);
}
END_TEST

START_TEST(test_wq_warn)
{
	struct rtvm_ctx *ctx = tu_ctx("untuned");
	struct run x = check(ctx, "wq.cpumask", RT);

	expect_status(x, RTVM_CHECK_WARN);
	expect_has(x.observed, "unbound workqueues cpumask ffffffff,ffffffff "
			       "covers RT CPUs 2-15,34-47");
	/* Housekeeping: the online CPUs 0-1,16-33,48-62. */
	expect_has(x.remedy, "echo 7fff0003,ffff0003 > /sys/devices/virtual/"
			     "workqueue/cpumask; echo 7fff0003,ffff0003 > "
			     "/sys/bus/workqueue/devices/writeback/cpumask");
	done(&x);
	/* Only the writeback mask is wrong. */
	tu_write(ctx, "sys/devices/virtual/workqueue/cpumask",
		 "7fff0003,ffff0003\n");
	x = check(ctx, "wq.cpumask", RT);
	expect_status(x, RTVM_CHECK_WARN);
	expect_lacks(x.remedy, "virtual/workqueue/cpumask");
	expect_has(x.remedy, "writeback/cpumask");
	done(&x);
	sh(ctx, "rm -r sys/devices/virtual/workqueue");
	x = check(ctx, "wq.cpumask", RT);
	expect_status(x, RTVM_CHECK_SKIP);
	done(&x);
	rtvm_unref(ctx);
}
END_TEST

/* ---- clock.source ------------------------------------------------------- */

#define CS "sys/devices/system/clocksource/clocksource0/"

START_TEST(test_clock)
{
	struct rtvm_ctx *ctx = tu_ctx("rthost");
	struct run x = check(ctx, "clock.source", RT);

	expect_status(x, RTVM_CHECK_PASS);
	ck_assert_str_eq(x.observed, "tsc");
	done(&x);
	tu_write(ctx, CS "current_clocksource", "hpet\n");
	x = check(ctx, "clock.source", RT);
	expect_status(x, RTVM_CHECK_WARN);
	expect_has(x.observed, "hpet (available: tsc hpet acpi_pm)");
	expect_has(x.remedy, "echo tsc > /sys/devices/system/clocksource/"
			     "clocksource0/current_clocksource");
	done(&x);
	tu_write(ctx, CS "current_clocksource", "kvm-clock\n");
	x = check(ctx, "clock.source", RT);
	expect_status(x, RTVM_CHECK_INFO);
	expect_has(x.observed, "guest");
	done(&x);
	rtvm_unref(ctx);
}
END_TEST

START_TEST(test_clock_unstable_tsc)
{
	struct rtvm_ctx *ctx = tu_ctx("untuned");
	struct run x = check(ctx, "clock.source", RT);

	expect_status(x, RTVM_CHECK_WARN);
	expect_has(x.observed, "hpet (available: hpet acpi_pm)");
	expect_has(x.remedy, "tsc=reliable");
	done(&x);
	sh(ctx, "rm -r sys/devices/system/clocksource");
	x = check(ctx, "clock.source", RT);
	expect_status(x, RTVM_CHECK_SKIP);
	done(&x);
	rtvm_unref(ctx);
}
END_TEST

/* ---- kvm.params ----------------------------------------------------------- */

START_TEST(test_kvm_pass)
{
	struct rtvm_ctx *ctx = tu_ctx("rthost");
	struct run x = check(ctx, "kvm.params", RT);

	expect_status(x, RTVM_CHECK_PASS);
	ck_assert_str_eq(x.observed, "kvmclock_periodic_sync=N, "
				     "nx_huge_pages=N, ple_gap=0");
	ck_assert(has_detail(x.r, -1, "kvm.halt_poll_ns=200000"));
	done(&x);
	tu_write(ctx, "sys/module/kvm/parameters/nx_huge_pages", "never\n");
	x = check(ctx, "kvm.params", RT);
	expect_status(x, RTVM_CHECK_PASS);
	done(&x);
	rtvm_unref(ctx);
}
END_TEST

START_TEST(test_kvm_warn)
{
	struct rtvm_ctx *ctx = tu_ctx("untuned");
	struct run x = check(ctx, "kvm.params", RT);

	expect_status(x, RTVM_CHECK_WARN);
	ck_assert_str_eq(x.observed, "kvmclock_periodic_sync=Y, "
				     "nx_huge_pages=Y, ple_gap=128");
	expect_has(x.remedy, "\"options kvm kvmclock_periodic_sync=0 "
			     "nx_huge_pages=off\" and \"options kvm_intel "
			     "ple_gap=0\"");
	expect_has(x.remedy, "/etc/modprobe.d/");
	expect_has(x.remedy, "(modprobe -r kvm_intel kvm; modprobe kvm_intel)");
	expect_has(x.remedy, "echo off > /sys/module/kvm/parameters/"
			     "nx_huge_pages");
	ck_assert(has_detail(x.r, -1, "kvm_intel.ple_gap=128: "));
	done(&x);
	/* Only ple_gap. */
	tu_write(ctx, "sys/module/kvm/parameters/kvmclock_periodic_sync", "N\n");
	tu_write(ctx, "sys/module/kvm/parameters/nx_huge_pages", "N\n");
	x = check(ctx, "kvm.params", RT);
	expect_status(x, RTVM_CHECK_WARN);
	expect_has(x.remedy, ": \"options kvm_intel ple_gap=0\", then");
	expect_lacks(x.remedy, "nx_huge_pages");
	done(&x);
	rtvm_unref(ctx);
}
END_TEST

START_TEST(test_kvm_not_loaded)
{
	struct rtvm_ctx *ctx = tu_ctx("host64");
	struct run x = check(ctx, "kvm.params", RT);

	expect_status(x, RTVM_CHECK_SKIP);
	ck_assert_str_eq(x.observed, "kvm module not loaded");
	done(&x);
	rtvm_unref(ctx);
}
END_TEST

/* ---- smi.count ------------------------------------------------------------ */

START_TEST(test_smi_info)
{
	struct rtvm_ctx *ctx = ro_ctx("rthost");
	struct run x = check(ctx, "smi.count", RT);

	expect_status(x, RTVM_CHECK_INFO);
	expect_has(x.observed, "no SMI on RT CPUs during the run");
	expect_has(x.observed, "since boot: 0 on CPUs 2-15,34-47");
	done(&x);
	rtvm_unref(ctx);
	ctx = ro_ctx("untuned");
	x = check(ctx, "smi.count", RT);
	expect_status(x, RTVM_CHECK_INFO);
	expect_has(x.observed, "since boot: 4821 on CPUs 2-15,34-47");
	ck_assert(has_detail(x.r, 47, "MSR_SMI_COUNT 4821 (+0 during the run)"));
	done(&x);
	rtvm_unref(ctx);
}
END_TEST

START_TEST(test_smi_during_run_fails)
{
	struct rtvm_ctx *ctx = tu_ctx("rthost");
	uint64_t three = 3;
	struct mover m;
	struct run x;

	mover_start(&m, ctx, "dev/cpu/2/msr", &three, sizeof(three), 0x34);
	x = check_opts(ctx, "smi.count", "2", 0, 300);
	mover_join(&m);
	expect_status(x, RTVM_CHECK_FAIL);
	expect_has(x.observed, "3 SMIs on RT CPUs during the run (");
	expect_has(x.observed, "ms): CPU 2");
	expect_has(x.remedy, "USB legacy");
	ck_assert(has_detail(x.r, 2, "MSR_SMI_COUNT 3 (+3 during the run)"));
	done(&x);
	rtvm_unref(ctx);
}
END_TEST

START_TEST(test_smi_skips)
{
	struct rtvm_ctx *ctx = tu_ctx("rthost");
	struct run x;

	rtvm_ctx_add_fault(ctx, RTVM_OP_READ, "/msr", 1, 0, EACCES);
	x = check(ctx, "smi.count", RT);
	expect_status(x, RTVM_CHECK_SKIP);
	ck_assert_str_eq(x.observed, "permission denied (needs root)");
	done(&x);
	rtvm_ctx_clear_faults(ctx);
	rtvm_ctx_add_fault(ctx, RTVM_OP_READ, "/msr", 1, 0, EIO);
	x = check(ctx, "smi.count", RT);
	expect_status(x, RTVM_CHECK_SKIP);
	expect_has(x.observed, "EIO");
	done(&x);
	rtvm_ctx_clear_faults(ctx);
	sh(ctx, "rm -r dev/cpu");
	x = check(ctx, "smi.count", RT);
	expect_status(x, RTVM_CHECK_SKIP);
	ck_assert_str_eq(x.observed, "no /dev/cpu/N/msr: msr module not loaded "
				     "(modprobe msr)");
	done(&x);
	sh(ctx, "sed 's/GenuineIntel/AuthenticAMD/' proc/cpuinfo >c && "
		"mv c proc/cpuinfo");
	x = check(ctx, "smi.count", RT);
	expect_status(x, RTVM_CHECK_SKIP);
	ck_assert_str_eq(x.observed, "not an Intel CPU (vendor AuthenticAMD): "
				     "MSR 0x34 does not exist");
	done(&x);
	rtvm_unref(ctx);
}
END_TEST

/* ---- hint.usb_legacy ------------------------------------------------------ */

START_TEST(test_hints_clean)
{
	struct rtvm_ctx *ctx = ro_ctx("rthost");
	struct run x = check(ctx, "hint.usb_legacy", RT);

	expect_status(x, RTVM_CHECK_INFO);
	ck_assert_str_eq(x.observed, "no SMIs counted on the RT CPUs");
	ck_assert_str_eq(x.remedy, "");
	done(&x);
	rtvm_unref(ctx);
}
END_TEST

START_TEST(test_hints_usb_legacy)
{
	struct rtvm_ctx *ctx = tu_ctx("untuned");
	struct run x = check(ctx, "hint.usb_legacy", RT);

	expect_status(x, RTVM_CHECK_INFO);
	expect_has(x.observed, "up to 4821 since boot");
	expect_has(x.remedy, "disable USB legacy support");
	done(&x);
	rtvm_unref(ctx);
	/* Not measurable: the hint stands. */
	ctx = tu_ctx("host64");
	x = check(ctx, "hint.usb_legacy", RT);
	expect_status(x, RTVM_CHECK_INFO);
	expect_has(x.observed, "SMIs cannot be counted here (no /dev/cpu/N/msr");
	expect_has(x.remedy, "USB legacy");
	done(&x);
	rtvm_unref(ctx);
}
END_TEST

/* ---- topology.* ----------------------------------------------------------- */

START_TEST(test_smt_sibling)
{
	struct rtvm_ctx *ctx = ro_ctx("rthost");
	struct run x = check(ctx, "topology.smt", "2-15");

	expect_status(x, RTVM_CHECK_WARN);
	expect_has(x.observed, "housekeeping SMT siblings of RT CPUs: 34-47");
	ck_assert(has_detail(x.r, 2, "SMT sibling 34 of RT CPU 2 runs "
				     "housekeeping work"));
	ck_assert(has_detail(x.r, 15, "SMT sibling 47 of RT CPU 15 runs "
				      "housekeeping work"));
	expect_has(x.remedy, "echo 0 > /sys/devices/system/cpu/cpu34/online, "
			     "and likewise for each CPU of 34-47");
	done(&x);
	/* CPU 31's sibling (63) is offline: not housekeeping. */
	x = check(ctx, "topology.smt", "31");
	expect_status(x, RTVM_CHECK_PASS);
	done(&x);
	/* Both threads of each core RT. */
	x = check(ctx, "topology.smt", "2-15,34-47");
	expect_status(x, RTVM_CHECK_PASS);
	ck_assert_str_eq(x.observed, "no SMT sibling of an RT CPU runs "
				     "housekeeping work");
	done(&x);
	/* The SMI hint no longer speaks of SMT. */
	x = check(ctx, "hint.usb_legacy", "2-15");
	expect_lacks(x.observed, "SMT");
	done(&x);
	rtvm_unref(ctx);
}
END_TEST

/* A context on one host of gen-odd.sh. */
static struct rtvm_ctx *odd_ctx(const char *shape)
{
	struct rtvm_ctx *ctx;
	char root[600];

	snprintf(root, sizeof(root), "%s/%s", tu_fixture("odd"), shape);
	ck_assert_int_eq(rtvm_new(&ctx), 0);
	ck_assert_int_eq(rtvm_set_root(ctx, root), 0);
	return ctx;
}

START_TEST(test_core_types)
{
	struct rtvm_ctx *ctx = odd_ctx("hybrid");
	struct run x = check(ctx, "topology.core_types", "6-9");

	expect_status(x, RTVM_CHECK_WARN);
	ck_assert_str_eq(x.observed, "RT CPUs mix core types: performance "
				     "CPUs 6-7, efficiency CPUs 8-9");
	ck_assert(has_detail(x.r, 8, "efficiency core"));
	ck_assert(has_detail(x.r, 6, "performance core"));
	expect_has(x.remedy, "this host's are CPUs 0-7");
	done(&x);
	x = check(ctx, "topology.core_types", "8-11");
	expect_status(x, RTVM_CHECK_WARN);
	ck_assert_str_eq(x.observed, "RT CPUs are efficiency cores: CPUs 8-11");
	done(&x);
	x = check(ctx, "topology.core_types", "2-5");
	expect_status(x, RTVM_CHECK_PASS);
	ck_assert_str_eq(x.remedy, "");
	done(&x);
	rtvm_unref(ctx);

	/* ARM: by capacity. */
	ctx = odd_ctx("biglittle");
	x = check(ctx, "topology.core_types", "3-4");
	expect_status(x, RTVM_CHECK_WARN);
	ck_assert(has_detail(x.r, 3, "efficiency core, capacity 446"));
	ck_assert(has_detail(x.r, 4, "performance core, capacity 1024"));
	done(&x);
	rtvm_unref(ctx);

	/* One core type: nothing to say. */
	ctx = ro_ctx("rthost");
	x = check(ctx, "topology.core_types", "2-15");
	expect_status(x, RTVM_CHECK_SKIP);
	expect_has(x.observed, "no core types here");
	done(&x);
	rtvm_unref(ctx);
}
END_TEST

/* topology.numa for a VM: its memory's nodes (numa_maps) beside the RT
 * CPUs'. */
static struct run check_vm(struct rtvm_ctx *ctx, const char *rt, pid_t pid)
{
	return check_with(ctx, "topology.numa", rt,
			  (struct rtvm_check_opts){ .vm_pid = pid });
}

START_TEST(test_numa_vm_memory)
{
	struct rtvm_ctx *ctx = odd_ctx("multi-die");
	struct rtvm_check_opts bad = { .size = sizeof(bad), .vm_pid = -1 };
	struct rtvm_check_report *rep = NULL;
	struct run x;

	/* 3 GiB of 4 KiB pages on node 0, 96 MiB of huge pages on node 1
	 * (which RT CPUs 0-7 are not on), and a mapping not resident. */
	tu_write(ctx, "proc/4242/numa_maps",
		 "7f0000000000 default anon=786432 dirty=786432 N0=786432 "
		 "kernelpagesize_kB=4\n"
		 "7f2000000000 bind:1 file=/dev/hugepages/vm huge dirty=48 N1=48 "
		 "kernelpagesize_kB=2048\n"
		 "7f3000000000 default file=/usr/bin/qemu-system-x86_64\n");
	x = check_vm(ctx, "0-7", 4242);
	expect_status(x, RTVM_CHECK_PASS);
	expect_has(x.observed, "; VM 4242's memory: node 0 3.0 GiB (96%), "
			       "node 1 96 MiB (3%)");
	expect_lacks(x.observed, "less than a tenth");
	done(&x);
	/* The same VM's RT CPUs on node 1, away from its memory. */
	x = check_vm(ctx, "8-9", 4242);
	expect_status(x, RTVM_CHECK_INFO);
	expect_has(x.observed, "; RT CPUs on a node with less than a tenth of "
			       "it");
	expect_has(x.remedy, "with its memory (numatune)");
	done(&x);
	/* A VM that is gone: said, no verdict from it. */
	x = check_vm(ctx, "0-7", 4243);
	expect_status(x, RTVM_CHECK_PASS);
	expect_has(x.observed, "; VM 4243's memory: cannot read its numa_maps "
			       "(No such file or directory)");
	done(&x);
	ck_assert_int_eq(rtvm_check_run(ctx, &bad, &rep), -EINVAL);
	rtvm_unref(ctx);
}
END_TEST

START_TEST(test_numa_spread)
{
	struct rtvm_ctx *ctx = odd_ctx("multi-die");
	struct run x = check(ctx, "topology.numa", "6-9");

	expect_status(x, RTVM_CHECK_INFO);
	ck_assert_str_eq(x.observed, "RT CPUs on 2 NUMA nodes (0-1), 2 "
				     "package/dies; node 0: CPUs 6-7; node 1: "
				     "CPUs 8-9");
	expect_has(x.remedy, "one node and die");
	done(&x);
	/* Two dies of one package, one node each: dies count apart. */
	x = check(ctx, "topology.numa", "0-7");
	expect_status(x, RTVM_CHECK_PASS);
	done(&x);
	x = check(ctx, "topology.numa", "16-17,24");
	expect_status(x, RTVM_CHECK_INFO);
	expect_has(x.observed, "2 package/dies");
	done(&x);
	/* Devices passed through (vfio-pci): one on the RT CPUs' node is
	 * fine, one on another node is told with its address. */
	tu_write(ctx, "sys/bus/pci/drivers/vfio-pci/0000:3b:00.0/vendor", "0x8086\n");
	tu_write(ctx, "sys/bus/pci/drivers/vfio-pci/new_id", "");
	tu_write(ctx, "sys/bus/pci/devices/0000:3b:00.0/numa_node", "0\n");
	x = check(ctx, "topology.numa", "0-7");
	expect_status(x, RTVM_CHECK_PASS);
	expect_has(x.observed, "; passed-through devices (vfio-pci): 1, all on these nodes");
	done(&x);
	tu_write(ctx, "sys/bus/pci/devices/0000:3b:00.0/numa_node", "3\n");
	x = check(ctx, "topology.numa", "0-7");
	expect_status(x, RTVM_CHECK_INFO);
	expect_has(x.observed, "; vfio-pci 0000:3b:00.0 on node 3");
	expect_has(x.remedy, "passed-through devices on that node");
	done(&x);
	rtvm_unref(ctx);
	/* Sparse node ids. */
	ctx = odd_ctx("sparse-nodes");
	x = check(ctx, "topology.numa", "3-4");
	expect_status(x, RTVM_CHECK_INFO);
	expect_has(x.observed, "RT CPUs on 2 NUMA nodes (0,2)");
	done(&x);
	rtvm_unref(ctx);
}
END_TEST

/* ---- PM QoS holds ------------------------------------------------------------ */

START_TEST(test_pm_qos_hold_per_cpu)
{
	struct rtvm_ctx *ctx = tu_ctx("untuned");
	struct rtvm_cpumask *m = tu_mask(64, RT);
	const struct rtvm_changeset *cs;
	const struct rtvm_change *c;
	char *before[64] = {0};
	struct rtvm_pm_qos *h;
	struct run x;
	int cpu;

	for (cpu = 0; cpu <= 62; cpu++)
		before[cpu] = value_of(ctx, qos_path(cpu));
	ck_assert_int_eq(rtvm_pm_qos_hold(ctx, m, 10, &h), 0);
	rtvm_cpumask_foreach(cpu, m)
		expect_value(ctx, qos_path(cpu), "10");
	expect_value(ctx, qos_path(16), "0");
	cs = rtvm_pm_qos_get_changes(h);
	ck_assert_uint_eq(rtvm_changeset_get_count(cs), 28);
	c = rtvm_changeset_next(cs, NULL);
	ck_assert_int_eq(rtvm_change_get_kind(c), RTVM_CHANGE_FILE);
	ck_assert_str_eq(rtvm_change_get_target(c),
			 "/sys/devices/system/cpu/cpu2/power/"
			 "pm_qos_resume_latency_us");
	ck_assert_str_eq(rtvm_change_get_old_value(c), "0");
	ck_assert_str_eq(rtvm_change_get_new_value(c), "10");
	/* While it holds, the check sees it. */
	x = check(ctx, "pm.qos", RT);
	expect_status(x, RTVM_CHECK_PASS);
	done(&x);
	ck_assert_ptr_null(rtvm_pm_qos_release(h));
	/* Every value is back as the fs module reads it (the fixture's
	 * trailing newline is the kernel's formatting, not the value). */
	for (cpu = 0; cpu <= 62; cpu++) {
		expect_value(ctx, qos_path(cpu), before[cpu]);
		free(before[cpu]);
	}
	x = check(ctx, "pm.qos", RT);
	expect_status(x, RTVM_CHECK_WARN);
	done(&x);
	rtvm_cpumask_free(m);
	rtvm_unref(ctx);
}
END_TEST

START_TEST(test_pm_qos_hold_zero_is_na)
{
	struct rtvm_ctx *ctx = tu_ctx("rthost");
	struct rtvm_cpumask *m = tu_mask(64, "2-3,16");
	struct rtvm_pm_qos *h;

	/* CPU 2 and 3 read "2", CPU 16 "0" (no constraint). */
	ck_assert_int_eq(rtvm_pm_qos_hold(ctx, m, 0, &h), 0);
	expect_value(ctx, qos_path(2), "n/a");
	expect_value(ctx, qos_path(16), "n/a");
	ck_assert_uint_eq(rtvm_changeset_get_count(rtvm_pm_qos_get_changes(h)),
			  3);
	rtvm_pm_qos_release(h);
	expect_value(ctx, qos_path(2), "2");
	expect_value(ctx, qos_path(3), "2");
	expect_value(ctx, qos_path(16), "0");
	/* Already in force: nothing recorded, nothing put back. */
	ck_assert_int_eq(rtvm_pm_qos_hold(ctx, m, 2, &h), 0);
	ck_assert_uint_eq(rtvm_changeset_get_count(rtvm_pm_qos_get_changes(h)),
			  1);
	rtvm_pm_qos_release(h);
	expect_value(ctx, qos_path(2), "2");
	expect_value(ctx, qos_path(16), "0");
	rtvm_cpumask_free(m);
	rtvm_unref(ctx);
}
END_TEST

START_TEST(test_pm_qos_hold_fault_restores)
{
	struct rtvm_ctx *ctx = tu_ctx("untuned");
	struct rtvm_cpumask *m = tu_mask(64, "2-15");
	struct rtvm_pm_qos *h = (struct rtvm_pm_qos *)&m;

	ck_assert_int_eq(rtvm_ctx_add_fault(ctx, RTVM_OP_WRITE, "cpu5/power", 1,
					    0, EIO),
			 0);
	ck_assert_int_eq(rtvm_pm_qos_hold(ctx, m, 10, &h), -EIO);
	ck_assert_ptr_eq(h, (struct rtvm_pm_qos *)&m); /* untouched */
	/* CPUs 2-4 were set, then put back; 6-15 never touched. */
	for (int cpu = 2; cpu <= 15; cpu++)
		expect_value(ctx, qos_path(cpu), "0");
	rtvm_ctx_clear_faults(ctx);

	/* No such file on one CPU: -ENOENT, the others put back. */
	sh(ctx, "rm sys/devices/system/cpu/cpu7/power/"
		"pm_qos_resume_latency_us");
	ck_assert_int_eq(rtvm_pm_qos_hold(ctx, m, 10, &h), -ENOENT);
	for (int cpu = 2; cpu <= 6; cpu++)
		expect_value(ctx, qos_path(cpu), "0");
	rtvm_cpumask_free(m);
	rtvm_unref(ctx);
}
END_TEST

START_TEST(test_pm_qos_hold_bad_arguments)
{
	struct rtvm_ctx *ctx = tu_ctx("rthost");
	struct rtvm_cpumask *empty = tu_mask(64, ""), *off = tu_mask(64, "62-63"),
			    *m = tu_mask(64, "2");
	struct rtvm_pm_qos *h = NULL;

	ck_assert_int_eq(rtvm_pm_qos_hold(NULL, m, 10, &h), -EINVAL);
	ck_assert_int_eq(rtvm_pm_qos_hold(ctx, m, 10, NULL), -EINVAL);
	ck_assert_int_eq(rtvm_pm_qos_hold(ctx, empty, 10, &h), -EINVAL);
	ck_assert_int_eq(rtvm_pm_qos_hold(ctx, off, 10, &h), -EINVAL);
	ck_assert_int_eq(rtvm_pm_qos_hold(ctx, m, 2000000001u, &h), -EINVAL);
	ck_assert_int_eq(rtvm_pm_qos_hold(ctx, NULL, 2000000001u, &h), -EINVAL);
	ck_assert_ptr_null(h);
	expect_value(ctx, qos_path(62), "0");
	ck_assert_ptr_null(rtvm_pm_qos_get_changes(NULL));
	ck_assert_ptr_null(rtvm_pm_qos_release(NULL));
	/* The largest latency is accepted. */
	ck_assert_int_eq(rtvm_pm_qos_hold(ctx, m, 2000000000u, &h), 0);
	expect_value(ctx, qos_path(2), "2000000000");
	/* The hold keeps the context alive. */
	rtvm_unref(ctx);
	rtvm_pm_qos_release(h);
	rtvm_cpumask_free(empty);
	rtvm_cpumask_free(off);
	rtvm_cpumask_free(m);
}
END_TEST

START_TEST(test_pm_qos_hold_global)
{
	struct rtvm_ctx *ctx = tu_ctx("untuned");
	const unsigned char none[4] = { 0x00, 0x94, 0x35, 0x77 };
	unsigned char got[4];
	struct rtvm_pm_qos *h;
	int32_t v;
	struct run x;

	ck_assert_int_eq(rtvm_pm_qos_hold(ctx, NULL, 0, &h), 0);
	read_bytes(ctx, "dev/cpu_dma_latency", &v, sizeof(v), 0);
	ck_assert_int_eq(v, 0);
	ck_assert_ptr_nonnull(rtvm_pm_qos_get_changes(h));
	ck_assert_uint_eq(rtvm_changeset_get_count(rtvm_pm_qos_get_changes(h)),
			  0);
	x = check(ctx, "pm.qos", RT);
	expect_status(x, RTVM_CHECK_PASS);
	expect_has(x.observed, "/dev/cpu_dma_latency: 0 us");
	done(&x);
	/* Released: the kernel drops the request; the sysroot's file
	 * reads as before. */
	rtvm_pm_qos_release(h);
	read_bytes(ctx, "dev/cpu_dma_latency", got, sizeof(got), 0);
	ck_assert_mem_eq(got, none, sizeof(none));

	ck_assert_int_eq(rtvm_pm_qos_hold(ctx, NULL, 25, &h), 0);
	read_bytes(ctx, "dev/cpu_dma_latency", &v, sizeof(v), 0);
	ck_assert_int_eq(v, 25);
	rtvm_pm_qos_release(h);
	/* No PM QoS device. */
	sh(ctx, "rm dev/cpu_dma_latency");
	ck_assert_int_eq(rtvm_pm_qos_hold(ctx, NULL, 0, &h), -ENOENT);
	rtvm_unref(ctx);
}
END_TEST

START_TEST(test_pm_qos_records_survive_a_crash)
{
	struct rtvm_ctx *ctx = tu_ctx("untuned");
	struct rtvm_cpumask *m = tu_mask(64, "2-3");
	struct rtvm_changeset *cs;
	struct rtvm_pm_qos *h;
	char *json;

	ck_assert_int_eq(rtvm_pm_qos_hold(ctx, m, 20, &h), 0);
	ck_assert_int_eq(rtvm_changeset_to_json(rtvm_pm_qos_get_changes(h),
						&json),
			 0);
	expect_has(json, "\"target\":\t\"/sys/devices/system/cpu/cpu3/power/"
			 "pm_qos_resume_latency_us\"");
	/* A later process puts the values back from the journal. */
	ck_assert_int_eq(rtvm_changeset_new_from_json(ctx, json, &cs), 0);
	ck_assert_int_eq(rtvm_changeset_restore(cs, 0), 0);
	expect_value(ctx, qos_path(2), "0");
	expect_value(ctx, qos_path(3), "0");
	rtvm_changeset_unref(cs);
	free(json);
	/* Releasing after that is harmless. */
	rtvm_pm_qos_release(h);
	expect_value(ctx, qos_path(3), "0");
	rtvm_cpumask_free(m);
	rtvm_unref(ctx);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("check-hw");
	TCase *tc = tcase_create("check-hw");

	tcase_add_unchecked_fixture(tc, make_shared, free_shared);

	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, test_all_ids_on_tuned_host);
	tcase_add_test(tc, test_no_rt_cpus_skips);
	tcase_add_test(tc, test_cstates_pass);
	tcase_add_test(tc, test_cstates_warn);
	tcase_add_test(tc, test_cstates_target_and_driver);
	tcase_add_test(tc, test_cstates_held_by_pm_qos);
	tcase_add_test(tc, test_qos_pass);
	tcase_add_test(tc, test_qos_warn);
	tcase_add_test(tc, test_qos_sysfs_semantics);
	tcase_add_test(tc, test_qos_global_request);
	tcase_add_test(tc, test_qos_not_needed_and_unknown);
	tcase_add_test(tc, test_governor_pass);
	tcase_add_test(tc, test_governor_warn);
	tcase_add_test(tc, test_governor_epp_and_turbo);
	tcase_add_test(tc, test_governor_no_cpufreq);
	tcase_add_test(tc, test_irqs_pass);
	tcase_add_test(tc, test_irqs_warn);
	tcase_add_test(tc, test_irqs_grow_during_run);
	tcase_add_test(tc, test_irqs_parse_columns);
	tcase_add_test(tc, test_irqs_unreadable);
	tcase_add_test(tc, test_irqbalance_pass);
	tcase_add_test(tc, test_irqbalance_warn);
	tcase_add_test(tc, test_irqbalance_not_running);
	tcase_add_test(tc, test_irqbalance_sources);
	tcase_add_test(tc, test_wq_pass);
	tcase_add_test(tc, test_wq_warn);
	tcase_add_test(tc, test_clock);
	tcase_add_test(tc, test_clock_unstable_tsc);
	tcase_add_test(tc, test_kvm_pass);
	tcase_add_test(tc, test_kvm_warn);
	tcase_add_test(tc, test_kvm_not_loaded);
	tcase_add_test(tc, test_smi_info);
	tcase_add_test(tc, test_smi_during_run_fails);
	tcase_add_test(tc, test_smi_skips);
	tcase_add_test(tc, test_hints_clean);
	tcase_add_test(tc, test_hints_usb_legacy);
	tcase_add_test(tc, test_smt_sibling);
	tcase_add_test(tc, test_core_types);
	tcase_add_test(tc, test_numa_spread);
	tcase_add_test(tc, test_numa_vm_memory);
	tcase_add_test(tc, test_pm_qos_hold_per_cpu);
	tcase_add_test(tc, test_pm_qos_hold_zero_is_na);
	tcase_add_test(tc, test_pm_qos_hold_fault_restores);
	tcase_add_test(tc, test_pm_qos_hold_bad_arguments);
	tcase_add_test(tc, test_pm_qos_hold_global);
	tcase_add_test(tc, test_pm_qos_records_survive_a_crash);
	suite_add_tcase(s, tc);
	return tu_run(s);
}
