/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Unit tier: plan, apply and revert of profiles on the irqhost sysroot
 * (host64 plus ~320 IRQs), with host knobs added to it.  The crash test
 * kills an applying child with SIGKILL at every crash point, reverts, and
 * compares every file of the touched trees with a snapshot taken before.
 */
#include "config.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <sched.h>
#include <fcntl.h>
#include <ftw.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <syslog.h>
#include <unistd.h>

#include "tune.h"
#include "testutil.h"

#define VM_A 4242
#define VM_B 4343

static char log_last[512];
static char log_all[4096]; /* the error lines since a test cleared it */
static char log_warn[4096]; /* the warnings since a test cleared it */
static char log_info[8192]; /* the info lines since a test cleared it */

static void log_capture(struct rtvm_ctx *ctx, int priority, const char *file,
			int line, const char *fn, const char *format,
			va_list args)
{
	size_t len = strlen(log_all);

	if (priority == LOG_WARNING) {
		len = strlen(log_warn);
		vsnprintf(log_warn + len, sizeof(log_warn) - len, format, args);
		return;
	}
	if (priority == LOG_INFO) {
		len = strlen(log_info);
		vsnprintf(log_info + len, sizeof(log_info) - len, format, args);
		len = strlen(log_info);
		snprintf(log_info + len, sizeof(log_info) - len, "\n");
		return;
	}
	if (priority > LOG_ERR)
		return;
	vsnprintf(log_last, sizeof(log_last), format, args);
	snprintf(log_all + len, sizeof(log_all) - len, "%s\n", log_last);
}

/* The host knobs a profile may touch, as a kernel shows them. */
static void add_knobs(struct rtvm_ctx *ctx, const char *thp)
{
	char rel[128];

	tu_write(ctx, "proc/sys/kernel/sched_rt_runtime_us", "950000\n");
	tu_write(ctx, "proc/sys/kernel/timer_migration", "1\n");
	tu_write(ctx, "sys/kernel/mm/transparent_hugepage/enabled", thp);
	tu_write(ctx, "sys/kernel/mm/ksm/run", "1\n");
	tu_write(ctx, "sys/devices/virtual/workqueue/cpumask",
		 "ffffffff,ffffffff\n");
	for (int cpu = 0; cpu < 63; cpu++) {
		snprintf(rel, sizeof(rel),
			 "sys/devices/system/cpu/cpu%d/power/pm_qos_resume_latency_us",
			 cpu);
		tu_write(ctx, rel, "0\n");
	}
}

static const char *tu_fixture_path(struct rtvm_ctx *ctx, const char *rel)
{
	static char path[1024];

	snprintf(path, sizeof(path), "%s/%s", rtvm_get_root(ctx), rel);
	return path;
}

/* host64 has proc/irq/125 (eth0-TxRx-3 on CPU 4) but no interrupts
 * table: the line the kernel would show for it, 63 online CPUs. */
static void add_interrupts(struct rtvm_ctx *ctx)
{
	char buf[4096];
	size_t len = 0;

	len += (size_t)snprintf(buf + len, sizeof(buf) - len, "     ");
	for (int cpu = 0; cpu < 63; cpu++)
		len += (size_t)snprintf(buf + len, sizeof(buf) - len,
					" CPU%-3d", cpu);
	len += (size_t)snprintf(buf + len, sizeof(buf) - len, "\n 125:");
	for (int cpu = 0; cpu < 63; cpu++)
		len += (size_t)snprintf(buf + len, sizeof(buf) - len, " %6d",
					cpu == 4 ? 1125 : 0);
	snprintf(buf + len, sizeof(buf) - len,
		 "  IR-PCI-MSI-0000:18:00.0 3-edge      eth0-TxRx-3\n");
	tu_write(ctx, "proc/interrupts", buf);
}

/* A second QEMU like 4242 (threads 4350-4353) in the fixture. */
static void add_vm_b(struct rtvm_ctx *ctx)
{
	free(tu_run_cmd(
		"set -e; cd '%s/proc'; cp -a 4242 4343; cd 4343/task;"
		" mv 4242 4343; for t in 4250 4251 4252 4253; do"
		"  mv $t 43${t#42}; done; cd ..;"
		" find . -type f | xargs sed -i -e 's/\\b4242\\b/4343/g'"
		"  -e 's/\\b42\\(5[0-3]\\)\\b/43\\1/g'",
		rtvm_get_root(ctx)));
}

static struct rtvm_ctx *new_ctx(void)
{
	struct rtvm_ctx *ctx = tu_ctx("irqhost");

	rtvm_set_log_fn(ctx, log_capture);
	log_last[0] = '\0';
	log_all[0] = '\0';
	add_knobs(ctx, "madvise\n");
	return ctx;
}

/* Another context on the same sysroot (as another process would have). */
static struct rtvm_ctx *ctx_on(const char *root)
{
	struct rtvm_ctx *ctx;

	ck_assert_int_eq(rtvm_new(&ctx), 0);
	ck_assert_int_eq(rtvm_set_root(ctx, root), 0);
	rtvm_set_log_fn(ctx, log_capture);
	return ctx;
}

/* ---- snapshots of the touched trees --------------------------------- */

struct snap_file {
	char *path;
	char *data;
};

struct snap {
	struct snap_file *f;
	size_t n, alloc;
};

static struct snap *cur_snap;
static size_t root_len;

static int snap_one(const char *path, const struct stat *st, int type,
		    struct FTW *ftw)
{
	struct snap_file *sf;
	FILE *f;
	long len;

	(void)st;
	(void)ftw;
	/* Effective affinities are the chip's choice, not a setting. */
	if (type != FTW_F || strstr(path, "effective_affinity"))
		return 0;
	if (cur_snap->n == cur_snap->alloc) {
		cur_snap->alloc = cur_snap->alloc ? 2 * cur_snap->alloc : 4096;
		cur_snap->f = realloc(cur_snap->f,
				      cur_snap->alloc * sizeof(*cur_snap->f));
		ck_assert(cur_snap->f);
	}
	sf = &cur_snap->f[cur_snap->n++];
	sf->path = strdup(path + root_len);
	f = fopen(path, "r");
	ck_assert_msg(f != NULL, "%s", path);
	fseek(f, 0, SEEK_END);
	len = ftell(f);
	rewind(f);
	sf->data = calloc(1, (size_t)len + 1);
	ck_assert(fread(sf->data, 1, (size_t)len, f) == (size_t)len);
	fclose(f);
	/* The kernel shows a newline the values written lack. */
	while (len > 0 && sf->data[len - 1] == '\n')
		sf->data[--len] = '\0';
	return 0;
}

static int snap_cmp(const void *a, const void *b)
{
	return strcmp(((const struct snap_file *)a)->path,
		      ((const struct snap_file *)b)->path);
}

static struct snap *snapshot(struct rtvm_ctx *ctx)
{
	/* Every tree a profile may write to: all of /proc (threads, IRQs,
	 * sysctls, cgroup memberships), the kernel's mm knobs, the workqueue
	 * masks, the cgroups (shield, RT runtime) and the CPUs' PM QoS
	 * files. */
	static const char *const trees[] = {
		"proc", "sys/kernel", "sys/devices/virtual", "sys/fs/cgroup",
	};
	struct snap *s = calloc(1, sizeof(*s));
	char path[1024];

	cur_snap = s;
	root_len = strlen(rtvm_get_root(ctx));
	for (size_t i = 0; i < sizeof(trees) / sizeof(trees[0]); i++) {
		snprintf(path, sizeof(path), "%s/%s", rtvm_get_root(ctx),
			 trees[i]);
		ck_assert_int_eq(nftw(path, snap_one, 64, FTW_PHYS), 0);
	}
	for (int cpu = 0; cpu < 64; cpu++) {
		snprintf(path, sizeof(path), "%s/sys/devices/system/cpu/cpu%d/power",
			 rtvm_get_root(ctx), cpu);
		if (access(path, F_OK) == 0)
			ck_assert_int_eq(nftw(path, snap_one, 8, FTW_PHYS), 0);
	}
	qsort(s->f, s->n, sizeof(*s->f), snap_cmp);
	return s;
}

static void snap_free(struct snap *s)
{
	for (size_t i = 0; i < s->n; i++) {
		free(s->f[i].path);
		free(s->f[i].data);
	}
	free(s->f);
	free(s);
}

/* How many files differ; the first few are printed. */
static unsigned int snap_diff(const struct snap *a, const struct snap *b,
			      const char *what)
{
	unsigned int diffs = 0;

	if (a->n != b->n) {
		printf("%s: %zu files before, %zu after\n", what, a->n, b->n);
		return 1;
	}
	for (size_t i = 0; i < a->n; i++) {
		if (strcmp(a->f[i].path, b->f[i].path) == 0 &&
		    strcmp(a->f[i].data, b->f[i].data) == 0)
			continue;
		if (diffs++ < 5)
			printf("%s: %s: \"%.60s\" became \"%.60s\"\n", what,
			       a->f[i].path, a->f[i].data, b->f[i].data);
	}
	return diffs;
}

static struct rtvm_vm *vm_of(struct rtvm_ctx *ctx, pid_t pid)
{
	struct rtvm_vm *vm;

	ck_assert_int_eq(rtvm_vm_new_from_pid(ctx, pid, &vm), 0);
	return vm;
}

static struct rtvm_profile *profile(struct rtvm_ctx *ctx, const char *rt,
				    const char *extra)
{
	char json[2048];
	struct rtvm_profile *p;

	snprintf(json, sizeof(json),
		 "{\"version\": 1, \"name\": \"t\", \"rt_cpus\": \"%s\","
		 " \"housekeeping_cpus\": \"0-1\","
		 " \"policies\": {\"rt_vcpu\": {\"policy\": \"fifo\", \"priority\": 5},"
		 "   \"emulator\": {\"policy\": \"other\", \"nice\": 2},"
		 "   \"iothread\": {\"policy\": \"fifo\", \"priority\": 3}},"
		 " \"irqs\": {\"away_from_rt\": true},"
		 " \"kthreads\": \"rt-host\","
		 " \"host\": {\"sched_rt_runtime_us\": -1, \"timer_migration\": 0,"
		 "   \"thp\": \"never\", \"ksm\": 0, \"pm_qos_resume_latency_us\": 0,"
		 "   \"workqueue_mask\": \"housekeeping\"}%s}",
		 rt, extra ? extra : "");
	ck_assert_int_eq(rtvm_profile_new_from_json(ctx, json, &p), 0);
	return p;
}

/* One line that changes when any byte, name or file of the sysroot does:
 * the journals, the lock and rtvm-syscalls.log included. */
static char *tree_digest(struct rtvm_ctx *ctx)
{
	return tu_run_cmd("cd '%s' && { find . | LC_ALL=C sort;"
			  " find . -type f -print0 | LC_ALL=C sort -z |"
			  " xargs -0 sha256sum; } | sha256sum",
			  rtvm_get_root(ctx));
}

/* The profile of profile(ctx, "2-3", NULL) written another way: other
 * key order, other whitespace, 5.0 for 5. */
static const char reordered[] =
	"{\"host\":{\"workqueue_mask\":\"housekeeping\",\"pm_qos_resume_latency_us\":0,"
	"\"ksm\":0,\"thp\":\"never\",\"timer_migration\":0,\"sched_rt_runtime_us\":-1},"
	"\n\t\"kthreads\":\"rt-host\",\"irqs\":{\"away_from_rt\":true},"
	"\"policies\":{\"iothread\":{\"priority\":3,\"policy\":\"fifo\"},"
	"\"emulator\":{\"nice\":2,\"policy\":\"other\"},"
	"\"rt_vcpu\":{\"priority\":5.0,\"policy\":\"fifo\"}},"
	"\"housekeeping_cpus\":\"0-1\",\"rt_cpus\":\"2-3\",\"name\":\"t\",\"version\":1}";

static bool journal_exists(struct rtvm_ctx *ctx, const char *id)
{
	char path[1024];

	snprintf(path, sizeof(path), "%s/run/rtvm/%s.journal",
		 rtvm_get_root(ctx), id);
	return access(path, F_OK) == 0;
}

/* ---- tests ------------------------------------------------------------ */

START_TEST(test_plan_dry_run)
{
	struct rtvm_ctx *ctx = new_ctx();
	struct rtvm_profile *p = profile(ctx, "2-3", NULL);
	struct rtvm_vm *vm = vm_of(ctx, VM_A);
	struct snap *before = snapshot(ctx), *after;
	const struct rtvm_change *c;
	struct rtvm_plan *plan;
	bool saw[8] = { false };
	char *json;

	ck_assert_int_eq(rtvm_tune_plan(ctx, p, vm, &plan), 0);
	ck_assert_str_eq(rtvm_plan_get_vm_id(plan), "pid-4242");
	rtvm_changeset_foreach(c, rtvm_plan_get_changes(plan)) {
		const char *t = rtvm_change_get_target(c);

		saw[rtvm_change_get_kind(c)] = true;
		if (strcmp(t, "kernel.sched_rt_runtime_us") == 0) {
			ck_assert_str_eq(rtvm_change_get_old_value(c), "950000");
			ck_assert_str_eq(rtvm_change_get_new_value(c), "-1");
		}
		if (strstr(t, "cpu2/power/pm_qos"))
			ck_assert_str_eq(rtvm_change_get_new_value(c), "n/a");
		if (strcmp(t, "4242/4250@366011") == 0 &&
		    rtvm_change_get_kind(c) == RTVM_CHANGE_THREAD_SCHED)
			ck_assert_str_eq(rtvm_change_get_new_value(c), "fifo:5:0");
		if (strcmp(t, "186") == 0) /* eth1-TxRx-0 on 0-63 */
			ck_assert_str_eq(rtvm_change_get_new_value(c), "0-1");
		/* CPUs outside 2-3 are left alone */
		ck_assert(!strstr(t, "cpu4/power"));
		ck_assert(strcmp(t, "125") != 0); /* eth0-TxRx-3 on CPU 4 */
	}
	ck_assert(saw[RTVM_CHANGE_SYSCTL] && saw[RTVM_CHANGE_FILE] &&
		  saw[RTVM_CHANGE_IRQ_AFFINITY] &&
		  saw[RTVM_CHANGE_THREAD_SCHED] &&
		  saw[RTVM_CHANGE_THREAD_AFFINITY]);
	ck_assert_int_eq(rtvm_plan_to_json(plan, &json), 0);
	ck_assert(strstr(json, "\"rt_cpus\":\t\"2-3\"") ||
		  strstr(json, "\"rt_cpus\": \"2-3\""));
	free(json);
	rtvm_plan_unref(plan);
	/* A plan changes nothing and leaves no journal. */
	after = snapshot(ctx);
	ck_assert_int_eq(snap_diff(before, after, "plan"), 0);
	ck_assert(!journal_exists(ctx, "pid-4242"));
	snap_free(before);
	snap_free(after);
	rtvm_vm_unref(vm);
	rtvm_profile_unref(p);
	rtvm_unref(ctx);
}
END_TEST

START_TEST(test_apply_revert_status)
{
	struct rtvm_ctx *ctx = new_ctx();
	struct rtvm_profile *p = profile(ctx, "2-3", NULL);
	struct rtvm_vm *vm = vm_of(ctx, VM_A);
	struct snap *before = snapshot(ctx), *after;
	struct rtvm_plan *plan;
	char *json, *s;

	ck_assert_int_eq(rtvm_tune_apply(ctx, p, vm, 0, &plan), 0);
	ck_assert(journal_exists(ctx, "pid-4242"));
	ck_assert(rtvm_changeset_get_count(rtvm_plan_get_changes(plan)) > 10);
	rtvm_plan_unref(plan);
	s = tu_read(ctx, "proc/sys/kernel/sched_rt_runtime_us");
	ck_assert_str_eq(s, "-1");
	free(s);
	s = tu_read(ctx, "proc/irq/186/smp_affinity_list");
	ck_assert_str_eq(s, "0-1");
	free(s);
	/* IRQs requested later start on housekeeping too. */
	s = tu_read(ctx, "proc/irq/default_smp_affinity");
	ck_assert_str_eq(rtvm_strip(s), "00000000,00000003");
	free(s);
	/* Applied twice: nothing to do (test_reapply has the details). */
	ck_assert_int_eq(rtvm_tune_apply(ctx, p, vm, 0, &plan), 0);
	ck_assert_int_eq(rtvm_plan_is_applied(plan), 1);
	ck_assert_int_eq(rtvm_changeset_get_count(rtvm_plan_get_changes(plan)), 0);
	rtvm_plan_unref(plan);
	/* Status: applied, no drift; then a change behind our back. */
	ck_assert_int_eq(rtvm_tune_status(ctx, NULL, &json), 0);
	ck_assert(strstr(json, "\"pid-4242\""));
	ck_assert(strstr(json, "\"drift\":\t[]") || strstr(json, "\"drift\": []"));
	free(json);
	tu_write(ctx, "proc/sys/kernel/timer_migration", "1\n");
	ck_assert_int_eq(rtvm_tune_status(ctx, "pid-4242", &json), 0);
	ck_assert(strstr(json, "kernel.timer_migration"));
	free(json);
	ck_assert_int_eq(rtvm_tune_status(ctx, "pid-1", &json), -ENOENT);
	/* Revert: everything back, twice harmless (no journal left). */
	ck_assert_int_eq(rtvm_tune_revert(ctx, "pid-4242", 0), 0);
	ck_assert(!journal_exists(ctx, "pid-4242"));
	ck_assert_int_eq(rtvm_tune_revert(ctx, "pid-4242", 0), -ENOENT);
	after = snapshot(ctx);
	ck_assert_int_eq(snap_diff(before, after, "revert"), 0);
	ck_assert_int_eq(rtvm_tune_revert(ctx, "../x", 0), -EINVAL);
	snap_free(before);
	snap_free(after);
	rtvm_vm_unref(vm);
	rtvm_profile_unref(p);
	rtvm_unref(ctx);
}
END_TEST

/* The profile a VM has applied already, applied again (the same text,
 * and the same document written another way): 0 changes, and not a byte
 * of the sysroot changes, its journal and system-call log included; the
 * revert after it still restores the host exactly. */
START_TEST(test_reapply)
{
	struct rtvm_ctx *ctx = new_ctx();
	struct rtvm_profile *p = profile(ctx, "2-3", NULL), *q;
	struct rtvm_vm *vm = vm_of(ctx, VM_A);
	struct snap *before = snapshot(ctx), *applied, *after;
	char *digest, *digest2, *journal, *journal2, *calls, *calls2, *json;
	struct rtvm_plan *plan;

	ck_assert_int_eq(rtvm_profile_new_from_json(ctx, reordered, &q), 0);
	ck_assert_int_eq(rtvm_tune_apply(ctx, p, vm, 0, &plan), 0);
	ck_assert_int_eq(rtvm_plan_is_applied(plan), 0);
	ck_assert(rtvm_changeset_get_count(rtvm_plan_get_changes(plan)) > 10);
	rtvm_plan_unref(plan);
	applied = snapshot(ctx);
	digest = tree_digest(ctx);
	journal = tu_read(ctx, "run/rtvm/pid-4242.journal");
	calls = tu_read(ctx, "rtvm-syscalls.log");
	ck_assert(strstr(calls, "4250")); /* the first apply did write */

	for (int i = 0; i < 4; i++) {
		struct rtvm_profile *pp = i % 2 ? q : p;

		/* plan (0, 1), then apply (2, 3) */
		log_all[0] = '\0';
		ck_assert_msg((i < 2 ? rtvm_tune_plan(ctx, pp, vm, &plan) :
				       rtvm_tune_apply(ctx, pp, vm, 0, &plan)) == 0,
			      "%d: %s", i, log_all);
		ck_assert_int_eq(rtvm_plan_is_applied(plan), 1);
		ck_assert_int_eq(rtvm_plan_get_drift_count(plan), 0);
		ck_assert_int_eq(rtvm_changeset_get_count(rtvm_plan_get_changes(plan)), 0);
		ck_assert_str_eq(rtvm_plan_get_vm_id(plan), "pid-4242");
		ck_assert_int_eq(rtvm_plan_to_json(plan, &json), 0);
		ck_assert_msg(strstr(json, "\"applied\":\ttrue") &&
				      strstr(json, "\"steps\":\t[]") &&
				      strstr(json, "\"drift\":\t[]"),
			      "%s", json);
		free(json);
		rtvm_plan_unref(plan);
		ck_assert_str_eq(log_all, "");
		digest2 = tree_digest(ctx);
		ck_assert_msg(strcmp(digest, digest2) == 0, "%d: the sysroot changed", i);
		free(digest2);
	}
	journal2 = tu_read(ctx, "run/rtvm/pid-4242.journal");
	calls2 = tu_read(ctx, "rtvm-syscalls.log");
	ck_assert_str_eq(journal, journal2);
	ck_assert_str_eq(calls, calls2);
	after = snapshot(ctx);
	ck_assert_int_eq(snap_diff(applied, after, "re-apply"), 0);
	snap_free(after);
	/* NULL arguments */
	ck_assert_int_eq(rtvm_plan_is_applied(NULL), -EINVAL);
	ck_assert_int_eq(rtvm_plan_get_drift_count(NULL), -EINVAL);

	ck_assert_int_eq(rtvm_tune_revert(ctx, "pid-4242", 0), 0);
	after = snapshot(ctx);
	ck_assert_int_eq(snap_diff(before, after, "revert after re-apply"), 0);
	ck_assert(!journal_exists(ctx, "pid-4242"));
	/* Reverted: the next apply is a first one again. */
	ck_assert_int_eq(rtvm_tune_apply(ctx, q, vm, 0, &plan), 0);
	ck_assert_int_eq(rtvm_plan_is_applied(plan), 0);
	ck_assert(rtvm_changeset_get_count(rtvm_plan_get_changes(plan)) > 10);
	rtvm_plan_unref(plan);
	ck_assert_int_eq(rtvm_tune_revert(ctx, "pid-4242", 0), 0);
	snap_free(after);
	after = snapshot(ctx);
	ck_assert_int_eq(snap_diff(before, after, "second revert"), 0);
	free(digest);
	free(journal);
	free(journal2);
	free(calls);
	free(calls2);
	snap_free(before);
	snap_free(applied);
	snap_free(after);
	rtvm_vm_unref(vm);
	rtvm_profile_unref(p);
	rtvm_profile_unref(q);
	rtvm_unref(ctx);
}
END_TEST

/* Reconcile: what drifted is written back to the applied values, a
 * setting that cannot be is reported (-EAGAIN) while the others are put
 * back, and the revert still restores the state before the apply. */
START_TEST(test_reconcile)
{
	struct rtvm_ctx *ctx = new_ctx();
	struct rtvm_profile *p = profile(ctx, "2-3", NULL);
	struct rtvm_vm *vm = vm_of(ctx, VM_A);
	struct snap *before = snapshot(ctx), *applied, *now;
	char *json = NULL;

	ck_assert_int_eq(rtvm_tune_reconcile(ctx, NULL, 0, &json), 0);
	ck_assert_msg(strstr(json, "\"vms\":\t[]"), "%s", json);
	free(json);
	ck_assert_int_eq(rtvm_tune_apply(ctx, p, vm, 0, NULL), 0);
	applied = snapshot(ctx);
	tu_write(ctx, "proc/irq/186/smp_affinity_list", "0-63\n");
	tu_write(ctx, "proc/sys/kernel/timer_migration", "1\n");
	ck_assert_int_eq(rtvm_tune_reconcile(ctx, "pid-4242", 0, &json), 0);
	ck_assert_msg(strstr(json, "\"target\":\t\"186\"") &&
			      strstr(json, "\"now\":\t\"0-63\"") &&
			      strstr(json, "kernel.timer_migration") &&
			      strstr(json, "\"failed\":\t0"),
		      "%s", json);
	ck_assert_ptr_nonnull(strstr(strstr(json, "put back") + 1, "put back"));
	free(json);
	now = snapshot(ctx);
	ck_assert_int_eq(snap_diff(applied, now, "reconciled"), 0);
	snap_free(now);
	/* Nothing drifted: nothing to do. */
	ck_assert_int_eq(rtvm_tune_reconcile(ctx, NULL, 0, &json), 0);
	ck_assert_msg(strstr(json, "\"reconciled\":\t[]"), "%s", json);
	free(json);
	/* One that cannot be written: reported, the other put back. */
	tu_write(ctx, "proc/irq/186/smp_affinity_list", "0-63\n");
	tu_write(ctx, "proc/sys/kernel/timer_migration", "1\n");
	rtvm_ctx_add_fault(ctx, RTVM_OP_WRITE, "timer_migration", 1, 0, EIO);
	ck_assert_int_eq(rtvm_tune_reconcile(ctx, NULL, 0, &json), -EAGAIN);
	ck_assert_msg(strstr(json, "\"failed\":\t1") &&
			      strstr(json, "\"reason\":\t\"Input/output error\"") &&
			      strstr(json, "put back"),
		      "%s", json);
	free(json);
	rtvm_ctx_clear_faults(ctx);
	json = tu_read(ctx, "proc/irq/186/smp_affinity_list");
	ck_assert_msg(strcmp(json, "0-1\n") == 0 || strcmp(json, "0-1") == 0,
		      "IRQ 186 not put back: %s", json);
	free(json);
	ck_assert_int_eq(rtvm_tune_reconcile(ctx, "pid-9", 0, &json), -ENOENT);
	ck_assert_int_eq(rtvm_tune_reconcile(ctx, NULL, 1, &json), -EINVAL);
	ck_assert_int_eq(rtvm_tune_reconcile(NULL, NULL, 0, &json), -EINVAL);
	ck_assert_int_eq(rtvm_tune_revert(ctx, "pid-4242", 0), 0);
	now = snapshot(ctx);
	ck_assert_int_eq(snap_diff(before, now, "revert after reconcile"), 0);
	snap_free(before);
	snap_free(applied);
	snap_free(now);
	rtvm_vm_unref(vm);
	rtvm_profile_unref(p);
	rtvm_unref(ctx);
}
END_TEST

/* Swap a vCPU thread directory of VM_A between proc and the stash
 * (outside the snapshotted trees): "out" takes 4250 away and puts the
 * stashed 4260 in, "in" the other way round. */
static void swap_vcpu0(struct rtvm_ctx *ctx, bool out)
{
	free(tu_run_cmd("set -e; cd '%s'; mv proc/4242/task/%s stash/;"
			" mv stash/%s proc/4242/task/",
			rtvm_get_root(ctx), out ? "4250" : "4260",
			out ? "4260" : "4250"));
}

/* Issue 17: vCPU 0's thread re-created after the apply (CPU hot-plug:
 * the same VM process and name, a new tid, the defaults of a new
 * thread).  Status shows it as drift, reconcile gives it the profile's
 * policy and pin and journals its own values, and the revert puts it
 * back to them (the gone thread's records skipped, with a log line). */
START_TEST(test_reconcile_recreated)
{
	struct rtvm_ctx *ctx = new_ctx();
	struct rtvm_profile *p = profile(ctx, "4-5", NULL);
	struct rtvm_vm *vm = vm_of(ctx, VM_A);
	struct snap *before, *now;
	char *json = NULL, *stat0, *status0, *stat_new, *status_new, *journal;
	struct rtvm_sched_attr s = { .size = sizeof(s) };
	char *v;

	/* The new thread: 4250's files with tid 4260, a later start time,
	 * SCHED_OTHER at nice 0 and every CPU. */
	free(tu_run_cmd(
		"set -e; cd '%s'; mkdir stash; cp -a proc/4242/task/4250 stash/4260;"
		" cd stash/4260;"
		" awk '{ $1 = 4260; $19 = 20; $20 = 0; $23 = 377000; $41 = 0;"
		"  $42 = 0; print }' stat >stat.new; mv stat.new stat;"
		" sed -i -e 's/^Pid:\t4250$/Pid:\t4260/'"
		"  -e 's/^Cpus_allowed:.*/Cpus_allowed:\t7fffffff,ffffffff/'"
		"  -e 's/^Cpus_allowed_list:.*/Cpus_allowed_list:\t0-62/' status",
		rtvm_get_root(ctx)));
	stat0 = tu_read(ctx, "proc/4242/task/4250/stat");
	status0 = tu_read(ctx, "proc/4242/task/4250/status");
	stat_new = tu_read(ctx, "stash/4260/stat");
	status_new = tu_read(ctx, "stash/4260/status");
	before = snapshot(ctx);
	ck_assert_int_eq(rtvm_tune_apply(ctx, p, vm, 0, NULL), 0);
	journal = tu_read(ctx, "run/rtvm/pid-4242.journal");
	ck_assert_msg(strstr(journal, "\"target\":\"4242/4250@366011\"") &&
			      strstr(journal, "\"name\":\"CPU 0/KVM\""),
		      "no vCPU 0 record with its name: %.400s", journal);
	free(journal);
	swap_vcpu0(ctx, true);

	/* A journal of before the names still parses, and means what it
	 * meant: the gone thread's records, nothing found again. */
	free(tu_run_cmd("cd '%s/run/rtvm' && cp pid-4242.journal keep &&"
			" sed -i 's/,\"name\":\"[^\"]*\"//' pid-4242.journal",
			rtvm_get_root(ctx)));
	journal = tu_read(ctx, "run/rtvm/pid-4242.journal");
	ck_assert_ptr_null(strstr(journal, "\"name\""));
	free(journal);
	ck_assert_int_eq(rtvm_tune_status(ctx, "pid-4242", &json), 0);
	ck_assert_msg(!strstr(json, "recreated_from") &&
			      strstr(json, "\"complete\":\ttrue"),
		      "%s", json);
	free(json);
	free(tu_run_cmd("cd '%s/run/rtvm' && mv keep pid-4242.journal",
			rtvm_get_root(ctx)));

	ck_assert_int_eq(rtvm_tune_status(ctx, "pid-4242", &json), 0);
	ck_assert_msg(strstr(json, "\"recreated_from\":\t\"4242/4250@366011\"") &&
			      strstr(json, "\"target\":\t\"4242/4260@377000\""),
		      "%s", json);
	free(json);
	/* The pin fails: reported, its journal record cancelled; the
	 * policy is set. */
	rtvm_ctx_add_fault(ctx, RTVM_OP_AFFINITY_SET, "4242/4260", 1, 0, EIO);
	ck_assert_int_eq(rtvm_tune_reconcile(ctx, NULL, 0, &json), -EAGAIN);
	rtvm_ctx_clear_faults(ctx);
	ck_assert_msg(strstr(json, "\"recreated_from\":\t\"4242/4250@366011\"") &&
			      strstr(json, "\"name\":\t\"CPU 0/KVM\"") &&
			      strstr(json, "thread_sched") &&
			      strstr(json, "\"reason\":\t\"Input/output error\"") &&
			      strstr(json, "\"failed\":\t1"),
		      "%s", json);
	free(json);
	journal = tu_read(ctx, "run/rtvm/pid-4242.journal");
	ck_assert_msg(strstr(journal, "{\"cancel\":true,\"kind\":\"thread_affinity\","
				      "\"target\":\"4242/4260@377000\"}"),
		      "no cancel line: %.400s", journal);
	free(journal);
	ck_assert_int_eq(rtvm_tune_reconcile(ctx, NULL, 0, &json), 0);
	ck_assert_msg(strstr(json, "\"recreated_from\":\t\"4242/4250@366011\"") &&
			      strstr(json, "thread_affinity") &&
			      !strstr(json, "thread_sched") &&
			      strstr(json, "\"failed\":\t0"),
		      "%s", json);
	free(json);
	ck_assert_int_eq(rtvm_thread_get_sched(ctx, 4242, 4260, &s),
			 0);
	ck_assert_int_eq(s.policy, SCHED_FIFO);
	ck_assert_int_eq(s.priority, 5);
	v = tu_read(ctx, "proc/4242/task/4260/status");
	ck_assert_msg(strstr(v, "Cpus_allowed_list:\t4\n"), "%s", v);
	free(v);
	/* Reconciled once: the new thread's own records decide now. */
	ck_assert_int_eq(rtvm_tune_reconcile(ctx, NULL, 0, &json), 0);
	ck_assert_msg(strstr(json, "\"reconciled\":\t[]"), "%s", json);
	free(json);

	log_info[0] = '\0';
	rtvm_set_log_priority(ctx, LOG_INFO);
	ck_assert_int_eq(rtvm_tune_revert(ctx, "pid-4242", 0), 0);
	ck_assert_msg(strstr(log_info, "thread_sched 4242/4250@366011: the "
				       "thread is gone; skipped"),
		      "%s", log_info);
	v = tu_read(ctx, "proc/4242/task/4260/stat");
	ck_assert_str_eq(v, stat_new);
	free(v);
	v = tu_read(ctx, "proc/4242/task/4260/status");
	ck_assert_str_eq(v, status_new);
	free(v);
	/* The rest is as before the apply: 4250 (gone, so not reverted)
	 * comes back with its own files for the comparison. */
	swap_vcpu0(ctx, false);
	tu_write(ctx, "proc/4242/task/4250/stat", stat0);
	tu_write(ctx, "proc/4242/task/4250/status", status0);
	now = snapshot(ctx);
	ck_assert_int_eq(snap_diff(before, now, "revert after re-creation"), 0);
	snap_free(before);
	snap_free(now);
	free(stat0);
	free(status0);
	free(stat_new);
	free(status_new);
	rtvm_vm_unref(vm);
	rtvm_profile_unref(p);
	rtvm_unref(ctx);
}
END_TEST

/* Settings that drifted after the apply: the re-apply writes nothing
 * still, and says what drifted; the revert restores the originals. */
START_TEST(test_reapply_drift)
{
	struct rtvm_ctx *ctx = new_ctx();
	struct rtvm_profile *p = profile(ctx, "2-3", NULL);
	struct rtvm_vm *vm = vm_of(ctx, VM_A);
	struct snap *before = snapshot(ctx), *after;
	struct rtvm_plan *plan;
	char *digest, *digest2, *json;

	ck_assert_int_eq(rtvm_tune_apply(ctx, p, vm, 0, NULL), 0);
	/* A driver reset IRQ 186's affinity, someone turned timer
	 * migration back on. */
	tu_write(ctx, "proc/irq/186/smp_affinity_list", "0-63\n");
	tu_write(ctx, "proc/sys/kernel/timer_migration", "1\n");
	digest = tree_digest(ctx);
	ck_assert_int_eq(rtvm_tune_apply(ctx, p, vm, 0, &plan), 0);
	ck_assert_int_eq(rtvm_plan_is_applied(plan), 1);
	ck_assert_int_eq(rtvm_plan_get_drift_count(plan), 2);
	ck_assert_int_eq(rtvm_changeset_get_count(rtvm_plan_get_changes(plan)), 0);
	ck_assert_int_eq(rtvm_plan_to_json(plan, &json), 0);
	ck_assert_msg(strstr(json, "\"target\":\t\"186\"") &&
			      strstr(json, "\"now\":\t\"0-63\"") &&
			      strstr(json, "kernel.timer_migration"),
		      "%s", json);
	free(json);
	rtvm_plan_unref(plan);
	digest2 = tree_digest(ctx);
	ck_assert_str_eq(digest, digest2); /* reported, not put back */
	ck_assert_int_eq(rtvm_tune_revert(ctx, "pid-4242", 0), 0);
	after = snapshot(ctx);
	ck_assert_int_eq(snap_diff(before, after, "revert after drift"), 0);
	free(digest);
	free(digest2);
	snap_free(before);
	snap_free(after);
	rtvm_vm_unref(vm);
	rtvm_profile_unref(p);
	rtvm_unref(ctx);
}
END_TEST

/* Anything but the same profile for the same VM process is refused,
 * naming the VM and saying to revert first, and changes nothing. */
START_TEST(test_reapply_other)
{
	struct rtvm_ctx *ctx = new_ctx();
	struct rtvm_profile *p = profile(ctx, "2-3", NULL), *q;
	struct rtvm_vm *vm = vm_of(ctx, VM_A);
	struct rtvm_plan *plan = NULL;
	char *digest, *digest2, *text, *hdr_end, *buf;
	const char *cut;
	size_t size;

	ck_assert_int_eq(rtvm_tune_apply(ctx, p, vm, 0, NULL), 0);
	digest = tree_digest(ctx);
	/* A shield where the applied profile has none: a difference apply
	 * keeps the shield as it is, so it is refused. */
	q = profile(ctx, "2-3", ", \"shield\": {}");
	ck_assert_int_eq(rtvm_tune_plan(ctx, q, vm, &plan), -EEXIST);
	ck_assert_ptr_null(plan);
	ck_assert_msg(strstr(log_last, "VM pid-4242") &&
			      strstr(log_last, "changes the shield") &&
			      strstr(log_last, "revert it first"),
		      "%s", log_last);
	ck_assert_int_eq(rtvm_tune_apply(ctx, q, vm, 0, &plan), -EEXIST);
	ck_assert_ptr_null(plan);
	rtvm_profile_unref(q);
	digest2 = tree_digest(ctx);
	ck_assert_str_eq(digest, digest2);
	free(digest2);

	/* A journal that does not record its document (an older librtvm's)
	 * cannot be compared: refused, saying so. */
	text = tu_read(ctx, "run/rtvm/pid-4242.journal");
	size = strlen(text) + 64;
	ck_assert_ptr_nonnull(buf = malloc(size));
	hdr_end = strchr(text, '\n');
	cut = strstr(text, ",\"vm_process\"");
	ck_assert(cut && cut < hdr_end);
	snprintf(buf, size, "%.*s}%s", (int)(cut - text), text, hdr_end);
	tu_write(ctx, "run/rtvm/pid-4242.journal", buf);
	ck_assert_int_eq(rtvm_tune_apply(ctx, p, vm, 0, NULL), -EEXIST);
	ck_assert_msg(strstr(log_last, "pid-4242") && strstr(log_last, "older"),
		      "%s", log_last);
	/* The VM restarted under the same id: another process. */
	snprintf(buf, size, "%.*s", (int)(hdr_end - text), text);
	cut = strstr(buf, "\"vm_process\":\"4242@");
	ck_assert(cut);
	buf[cut - buf + strlen("\"vm_process\":\"4242@")] = '9';
	strncat(buf, hdr_end, size - strlen(buf) - 1);
	tu_write(ctx, "run/rtvm/pid-4242.journal", buf);
	ck_assert_int_eq(rtvm_tune_apply(ctx, p, vm, 0, NULL), -EEXIST);
	ck_assert_msg(strstr(log_last, "pid-4242") &&
			      strstr(log_last, "not this one"),
		      "%s", log_last);
	/* An unfinished apply of this VM: revert it first. */
	snprintf(buf, size, "%s", text);
	ck_assert(strstr(buf, "{\"complete\":true}\n"));
	*strstr(buf, "{\"complete\":true}\n") = '\0';
	tu_write(ctx, "run/rtvm/pid-4242.journal", buf);
	ck_assert_int_eq(rtvm_tune_apply(ctx, p, vm, 0, NULL), -EBUSY);
	ck_assert_msg(strstr(log_last, "pid-4242") &&
			      strstr(log_last, "unfinished"),
		      "%s", log_last);
	tu_write(ctx, "run/rtvm/pid-4242.journal", text);
	ck_assert_int_eq(rtvm_tune_revert(ctx, "pid-4242", 0), 0);
	free(text);
	free(buf);
	free(digest);
	rtvm_vm_unref(vm);
	rtvm_profile_unref(p);
	rtvm_unref(ctx);
}
END_TEST

START_TEST(test_thp_brackets)
{
	struct rtvm_ctx *ctx = new_ctx();
	struct rtvm_profile *p = profile(ctx, "2-3", NULL);
	struct rtvm_vm *vm = vm_of(ctx, VM_A);
	const struct rtvm_change *c;
	struct rtvm_plan *plan;
	bool seen = false;
	char *s;

	tu_write(ctx, "sys/kernel/mm/transparent_hugepage/enabled",
		 "always [madvise] never\n");
	ck_assert_int_eq(rtvm_tune_apply(ctx, p, vm, 0, &plan), 0);
	rtvm_changeset_foreach(c, rtvm_plan_get_changes(plan))
		if (strstr(rtvm_change_get_target(c), "transparent_hugepage")) {
			ck_assert_str_eq(rtvm_change_get_old_value(c), "madvise");
			seen = true;
		}
	ck_assert(seen);
	rtvm_plan_unref(plan);
	ck_assert_int_eq(rtvm_tune_revert(ctx, "pid-4242", 0), 0);
	s = tu_read(ctx, "sys/kernel/mm/transparent_hugepage/enabled");
	ck_assert_str_eq(s, "madvise");
	free(s);
	rtvm_vm_unref(vm);
	rtvm_profile_unref(p);
	rtvm_unref(ctx);
}
END_TEST

START_TEST(test_failure_rolls_back)
{
	struct rtvm_ctx *ctx = new_ctx();
	struct rtvm_profile *p = profile(ctx, "2-3", NULL);
	struct rtvm_vm *vm = vm_of(ctx, VM_A);
	struct snap *before = snapshot(ctx), *after;

	/* The second thread pin fails: the host knobs, IRQs, kernel
	 * threads and the first pin are undone. */
	ck_assert_int_eq(rtvm_ctx_add_fault(ctx, RTVM_OP_AFFINITY_SET, NULL, 2,
					    1, EPERM),
			 0);
	ck_assert_int_eq(rtvm_tune_apply(ctx, p, vm, 0, NULL), -EPERM);
	ck_assert(strstr(log_last, "thread_affinity"));
	ck_assert(!journal_exists(ctx, "pid-4242"));
	after = snapshot(ctx);
	ck_assert_int_eq(snap_diff(before, after, "rollback"), 0);
	snap_free(before);
	snap_free(after);
	rtvm_vm_unref(vm);
	rtvm_profile_unref(p);
	rtvm_unref(ctx);
}
END_TEST

/* Valgrind's client runs with its preload library; a full crash sweep
 * under it would take many minutes. */
static bool under_valgrind(void)
{
	const char *p = getenv("LD_PRELOAD");

	return p && strstr(p, "vgpreload");
}

/*
 * Apply in a child that SIGKILLs itself at crash point @point (none past
 * the last one).  The child reports the apply's result through a pipe and
 * then kills itself too, so that no exit-time leak check runs in it.
 * Returns true when the child died at the crash point, false when it
 * finished; fails the test on anything else.
 */
static bool apply_in_child(const char *root, struct rtvm_profile *p,
			   pid_t vmpid, int point)
{
	int fds[2], status, res = 1;
	ssize_t n;
	pid_t pid;

	ck_assert_int_eq(pipe(fds), 0);
	fflush(stdout);
	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		struct rtvm_ctx *c = ctx_on(root);
		struct rtvm_vm *v;
		int r;

		close(fds[0]);
		r = rtvm_vm_new_from_pid(c, vmpid, &v);
		if (r == 0) {
			rtvm_tune_set_crash_point(c, point);
			r = rtvm_tune_apply(c, p, v, 0, NULL);
		}
		if (write(fds[1], &r, sizeof(r)) != sizeof(r))
			r = -EIO;
		kill(getpid(), SIGKILL);
		_exit(1);
	}
	close(fds[1]);
	n = read(fds[0], &res, sizeof(res));
	close(fds[0]);
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	ck_assert_msg(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL,
		      "point %d: the child was not killed (%#x)", point, status);
	if (n == 0)
		return true; /* killed at the crash point, before reporting */
	ck_assert_msg(n == sizeof(res) && res == 0,
		      "point %d: the apply finished with %d (%s)", point, res,
		      log_last);
	return false;
}

/*
 * Kill an apply at crash points of a full apply on @fixture (every
 * @stride-th one and the first and last few), revert after each, and
 * compare the touched trees with the snapshot taken before: no
 * difference, ever.  @extra adds to the profile; with a shield, whose
 * records the library journals as it makes them (the plan predicts
 * them), the sweep goes on until an apply finishes.
 */
static void crash_sweep(const char *fixture, const char *rt,
			const char *extra, unsigned int stride,
			unsigned int min_steps)
{
	struct rtvm_ctx *ctx = tu_ctx(fixture);
	struct rtvm_profile *p;
	struct rtvm_vm *vm;
	struct snap *before;
	const char *root = rtvm_get_root(ctx);
	unsigned int n, killed = 0, tried = 0;
	struct rtvm_plan *plan;
	bool kinds[8] = { false };
	const struct rtvm_change *c;

	rtvm_set_log_fn(ctx, log_capture);
	add_knobs(ctx, "madvise\n");
	if (access(tu_fixture_path(ctx, "proc/interrupts"), F_OK) != 0)
		add_interrupts(ctx);
	p = profile(ctx, rt, extra);
	vm = vm_of(ctx, VM_A);
	before = snapshot(ctx);
	ck_assert_msg(rtvm_tune_plan(ctx, p, vm, &plan) == 0, "%s", log_last);
	n = rtvm_changeset_get_count(rtvm_plan_get_changes(plan));
	rtvm_changeset_foreach(c, rtvm_plan_get_changes(plan))
		kinds[rtvm_change_get_kind(c)] = true;
	rtvm_plan_unref(plan);
	ck_assert_uint_ge(n, min_steps);
	/* Every kind of write a profile makes is in the sweep. */
	ck_assert(kinds[RTVM_CHANGE_SYSCTL] && kinds[RTVM_CHANGE_FILE] &&
		  kinds[RTVM_CHANGE_IRQ_AFFINITY] &&
		  kinds[RTVM_CHANGE_THREAD_SCHED] &&
		  kinds[RTVM_CHANGE_THREAD_AFFINITY]);
	if (extra)
		ck_assert(kinds[RTVM_CHANGE_CGROUP_CREATE] &&
			  kinds[RTVM_CHANGE_CGROUP_ATTACH]);
	/* Points 0 (journal made) .. 2n (last change made, not marked
	 * complete), and 2n + 1: no crash at all. */
	for (unsigned int point = 0;; point++) {
		struct snap *after;
		bool crashed;
		int r;

		if (!extra && point > 2 * n + 1)
			break;
		if (point > 3 && (extra || point + 2 < 2 * n) && point % stride)
			continue;
		tried++;
		crashed = apply_in_child(root, p, VM_A, (int)point);
		if (!extra)
			ck_assert_msg(crashed == (point <= 2 * n),
				      "point %u of %u: crashed %d", point,
				      2 * n + 1, crashed);
		killed += crashed;
		r = rtvm_tune_revert(ctx, "pid-4242", 0);
		ck_assert_msg(r == 0, "point %u: revert %d (%s)", point, r,
			      log_last);
		after = snapshot(ctx);
		ck_assert_msg(snap_diff(before, after, "crash") == 0,
			      "%s: point %u of %u: the host differs", fixture,
			      point, 2 * n + 1);
		snap_free(after);
		ck_assert(!journal_exists(ctx, "pid-4242"));
		if (!crashed)
			break;
	}
	ck_assert_uint_eq(killed, tried - 1);
	if (stride == 1 && !extra)
		ck_assert_uint_eq(killed, 2 * n + 1);
	snap_free(before);
	rtvm_vm_unref(vm);
	rtvm_profile_unref(p);
	rtvm_unref(ctx);
}

/* host64: every crash point, without exception (IRQ 125 on CPU 4, kernel
 * threads of the non-isolated CPU 16, the VM's threads, host knobs). */
START_TEST(test_crash_at_every_point)
{
	crash_sweep("host64", "4,16", NULL, under_valgrind() ? 7 : 1, 15);
}
END_TEST

/* irqhost: ~70 IRQ moves on top; every 5th point (valgrind: 41st). */
START_TEST(test_crash_irqhost)
{
	crash_sweep("irqhost", "2-3", NULL, under_valgrind() ? 41 : 5, 60);
}
END_TEST

/* A shield on top (host64's tasks move to housekeeping, the RT vCPUs
 * into the RT cpuset): every point (valgrind: every 29th). */
START_TEST(test_crash_shield)
{
	crash_sweep("host64", "4-5", ", \"shield\": {}",
		    under_valgrind() ? 29 : 1, 15);
}
END_TEST

/* Profile t changed: another RT priority and THP (changed), the
 * iothreads, kernel threads, KSM and PM QoS left alone (put back), an
 * IRQ on an RT CPU (added); the rest as before (kept). */
static struct rtvm_profile *changed(struct rtvm_ctx *ctx, const char *extra)
{
	char json[2048];
	struct rtvm_profile *p;

	snprintf(json, sizeof(json),
		 "{\"version\": 1, \"name\": \"t2\", \"rt_cpus\": \"2-3\","
		 " \"housekeeping_cpus\": \"0-1\","
		 " \"policies\": {\"rt_vcpu\": {\"policy\": \"fifo\", \"priority\": 6},"
		 "   \"emulator\": {\"policy\": \"other\", \"nice\": 2}},"
		 " \"irqs\": {\"away_from_rt\": true,"
		 "   \"to_rt\": [{\"match\": \"eth0-TxRx-3\", \"cpus\": \"3\"}]},"
		 " \"host\": {\"sched_rt_runtime_us\": -1, \"timer_migration\": 0,"
		 "   \"thp\": \"always\", \"workqueue_mask\": \"housekeeping\"}%s}",
		 extra ? extra : "");
	ck_assert_int_eq(rtvm_profile_new_from_json(ctx, json, &p), 0);
	return p;
}

/* The touched trees of a fresh copy of @fixture with @p applied. */
static struct snap *applied_fresh(const char *fixture,
				  struct rtvm_profile *(*make)(struct rtvm_ctx *,
							       const char *),
				  const char *extra)
{
	struct rtvm_ctx *ctx = tu_ctx(fixture);
	struct rtvm_profile *p;
	struct rtvm_vm *vm;
	struct snap *s;

	rtvm_set_log_fn(ctx, log_capture);
	add_knobs(ctx, "madvise\n");
	p = make(ctx, extra);
	vm = vm_of(ctx, VM_A);
	ck_assert_msg(rtvm_tune_apply(ctx, p, vm, 0, NULL) == 0, "%s", log_last);
	s = snapshot(ctx);
	rtvm_vm_unref(vm);
	rtvm_profile_unref(p);
	rtvm_unref(ctx);
	return s;
}

/* Which "diff" values the plan's steps have: bit 0 add, 1 change, 2 put
 * back; and that every step has one. */
static unsigned int plan_diffs(const struct rtvm_plan *plan)
{
	unsigned int seen = 0;
	cJSON *root, *st;
	char *json;

	ck_assert_int_eq(rtvm_plan_to_json(plan, &json), 0);
	root = cJSON_Parse(json);
	ck_assert(root);
	ck_assert(cJSON_IsTrue(cJSON_GetObjectItem(root, "update")));
	cJSON_ArrayForEach(st, cJSON_GetObjectItem(root, "steps")) {
		const char *d = cJSON_GetStringValue(cJSON_GetObjectItem(st, "diff"));

		if (cJSON_IsTrue(cJSON_GetObjectItem(st, "lease")))
			continue;
		ck_assert_msg(d, "a step without its diff: %s",
			      cJSON_PrintUnformatted(st));
		seen |= strcmp(d, "add") == 0 ? 1u :
			strcmp(d, "change") == 0 ? 2u :
			strcmp(d, "put back") == 0 ? 4u : 8u;
	}
	cJSON_Delete(root);
	free(json);
	return seen;
}

/* A changed profile applies the difference: the host as a first apply
 * of it would leave it, back again with the first profile, and a revert
 * to the state before the first apply. */
START_TEST(test_update)
{
	struct rtvm_ctx *ctx = new_ctx();
	struct rtvm_profile *p = profile(ctx, "2-3", NULL), *q = changed(ctx, NULL);
	struct rtvm_vm *vm = vm_of(ctx, VM_A);
	struct snap *before = snapshot(ctx), *with_p, *with_q, *now;
	struct rtvm_plan *plan;
	unsigned int n;

	ck_assert_int_eq(rtvm_tune_apply(ctx, p, vm, 0, NULL), 0);
	with_p = snapshot(ctx);
	with_q = applied_fresh("irqhost", changed, NULL);
	ck_assert_msg(rtvm_tune_plan(ctx, q, vm, &plan) == 0, "%s", log_last);
	ck_assert_int_eq(rtvm_plan_is_applied(plan), 0);
	ck_assert_uint_eq(plan_diffs(plan), 7);
	n = rtvm_changeset_get_count(rtvm_plan_get_changes(plan));
	rtvm_plan_unref(plan);
	now = snapshot(ctx);
	ck_assert_int_eq(snap_diff(with_p, now, "plan"), 0);
	snap_free(now);

	ck_assert_msg(rtvm_tune_apply(ctx, q, vm, 0, &plan) == 0, "%s", log_last);
	ck_assert_uint_eq(rtvm_changeset_get_count(rtvm_plan_get_changes(plan)), n);
	rtvm_plan_unref(plan);
	now = snapshot(ctx);
	ck_assert_int_eq(snap_diff(with_q, now, "update to t2"), 0);
	snap_free(now);
	/* Applied now: the same profile again changes nothing. */
	ck_assert_int_eq(rtvm_tune_apply(ctx, q, vm, 0, &plan), 0);
	ck_assert_int_eq(rtvm_plan_is_applied(plan), 1);
	ck_assert_int_eq(rtvm_plan_get_drift_count(plan), 0);
	rtvm_plan_unref(plan);

	/* Back to the first profile. */
	ck_assert_msg(rtvm_tune_apply(ctx, p, vm, 0, &plan) == 0, "%s", log_last);
	ck_assert_uint_eq(plan_diffs(plan), 7);
	rtvm_plan_unref(plan);
	now = snapshot(ctx);
	ck_assert_int_eq(snap_diff(with_p, now, "update back to t"), 0);
	snap_free(now);
	ck_assert_int_eq(rtvm_tune_apply(ctx, p, vm, 0, &plan), 0);
	ck_assert_int_eq(rtvm_plan_is_applied(plan), 1);
	ck_assert_int_eq(rtvm_plan_get_drift_count(plan), 0);
	rtvm_plan_unref(plan);

	ck_assert_int_eq(rtvm_tune_revert(ctx, "pid-4242", 0), 0);
	now = snapshot(ctx);
	ck_assert_int_eq(snap_diff(before, now, "revert"), 0);
	ck_assert(!journal_exists(ctx, "pid-4242"));
	snap_free(now);
	snap_free(before);
	snap_free(with_p);
	snap_free(with_q);
	rtvm_vm_unref(vm);
	rtvm_profile_unref(p);
	rtvm_profile_unref(q);
	rtvm_unref(ctx);
}
END_TEST

/* A difference apply that fails half way: the host is the first
 * profile's again, and so is the journal (applied, complete). */
START_TEST(test_update_rolls_back)
{
	struct rtvm_ctx *ctx = new_ctx();
	struct rtvm_profile *p = profile(ctx, "2-3", NULL), *q = changed(ctx, NULL);
	struct rtvm_vm *vm = vm_of(ctx, VM_A);
	struct snap *before = snapshot(ctx), *with_p, *now;
	struct rtvm_plan *plan;

	ck_assert_int_eq(rtvm_tune_apply(ctx, p, vm, 0, NULL), 0);
	with_p = snapshot(ctx);
	/* The second priority change fails, after the put backs. */
	ck_assert_int_eq(rtvm_ctx_add_fault(ctx, RTVM_OP_SCHED_SET, NULL, 2, 1,
					    EPERM),
			 0);
	ck_assert_int_eq(rtvm_tune_apply(ctx, q, vm, 0, NULL), -EPERM);
	now = snapshot(ctx);
	ck_assert_int_eq(snap_diff(with_p, now, "rollback"), 0);
	snap_free(now);
	ck_assert_int_eq(rtvm_tune_apply(ctx, p, vm, 0, &plan), 0);
	ck_assert_int_eq(rtvm_plan_is_applied(plan), 1);
	ck_assert_int_eq(rtvm_plan_get_drift_count(plan), 0);
	rtvm_plan_unref(plan);
	ck_assert_int_eq(rtvm_tune_revert(ctx, "pid-4242", 0), 0);
	now = snapshot(ctx);
	ck_assert_int_eq(snap_diff(before, now, "revert"), 0);
	snap_free(now);
	snap_free(before);
	snap_free(with_p);
	rtvm_vm_unref(vm);
	rtvm_profile_unref(p);
	rtvm_profile_unref(q);
	rtvm_unref(ctx);
}
END_TEST

/* A difference apply killed at every crash point, with and without a
 * shield it keeps: the revert after it restores the host as it was
 * before the first apply. */
static void update_crash_sweep(const char *rt, const char *extra)
{
	struct rtvm_ctx *ctx = new_ctx();
	struct rtvm_profile *p = profile(ctx, rt, extra), *q;
	struct rtvm_vm *vm = vm_of(ctx, VM_A);
	struct snap *before = snapshot(ctx);
	unsigned int killed = 0, tried = 0, point;
	unsigned int stride = under_valgrind() ? 5 : 1;
	char json[2048];

	/* As p, another priority and no kernel threads. */
	snprintf(json, sizeof(json),
		 "{\"version\": 1, \"name\": \"t3\", \"rt_cpus\": \"%s\","
		 " \"housekeeping_cpus\": \"0-1\","
		 " \"policies\": {\"rt_vcpu\": {\"policy\": \"fifo\", \"priority\": 7},"
		 "   \"emulator\": {\"policy\": \"other\", \"nice\": 2}},"
		 " \"irqs\": {\"away_from_rt\": true},"
		 " \"host\": {\"sched_rt_runtime_us\": -1, \"timer_migration\": 0,"
		 "   \"thp\": \"always\", \"workqueue_mask\": \"housekeeping\"}%s}",
		 rt, extra ? extra : "");
	ck_assert_int_eq(rtvm_profile_new_from_json(ctx, json, &q), 0);
	for (point = 0;; point++) {
		struct snap *after;
		bool crashed;
		int r;

		if (point > 3 && point % stride)
			continue;
		tried++;
		ck_assert_msg(rtvm_tune_apply(ctx, p, vm, 0, NULL) == 0, "%s",
			      log_last);
		crashed = apply_in_child(rtvm_get_root(ctx), q, VM_A, (int)point);
		killed += crashed;
		r = rtvm_tune_revert(ctx, "pid-4242", 0);
		ck_assert_msg(r == 0, "point %u: revert %d (%s)", point, r,
			      log_last);
		after = snapshot(ctx);
		ck_assert_msg(snap_diff(before, after, "update crash") == 0,
			      "point %u: the host differs", point);
		snap_free(after);
		if (!crashed)
			break;
	}
	/* The update line, then a point after each intent and change. */
	ck_assert_uint_ge(point, 9);
	ck_assert_uint_eq(killed, tried - 1);
	snap_free(before);
	rtvm_vm_unref(vm);
	rtvm_profile_unref(p);
	rtvm_profile_unref(q);
	rtvm_unref(ctx);
}

START_TEST(test_update_crash)
{
	update_crash_sweep("2-3", NULL);
}
END_TEST

START_TEST(test_update_crash_shield)
{
	update_crash_sweep("4-5", ", \"shield\": {}");
}
END_TEST

START_TEST(test_two_vms)
{
	struct rtvm_ctx *ctx = new_ctx();
	struct rtvm_profile *pa = profile(ctx, "2-3", NULL),
			    *pb = profile(ctx, "4-5", NULL), *pc, *pd;
	struct rtvm_vm *a, *b;
	struct snap *before, *after;
	struct rtvm_plan *plan;
	char *json, *s;

	add_vm_b(ctx);
	a = vm_of(ctx, VM_A);
	b = vm_of(ctx, VM_B);
	before = snapshot(ctx);
	ck_assert_int_eq(rtvm_tune_apply(ctx, pa, a, 0, NULL), 0);
	/* CPUs leased to A: refused, naming A. */
	pc = profile(ctx, "3-4", NULL);
	ck_assert_int_eq(rtvm_tune_plan(ctx, pc, b, &plan), -EBUSY);
	ck_assert_msg(strstr(log_last, "pid-4242") && strstr(log_last, "3"),
		      "%s", log_last);
	/* A shared setting A holds with another value: refused too. */
	pd = profile(ctx, "4-5", NULL);
	rtvm_profile_unref(pd);
	ck_assert_int_eq(rtvm_profile_new_from_json(ctx,
		"{\"version\": 1, \"rt_cpus\": \"4-5\", \"housekeeping_cpus\": \"0-1\","
		" \"host\": {\"thp\": \"always\"}}", &pd), 0);
	ck_assert_int_eq(rtvm_tune_apply(ctx, pd, b, 0, NULL), -EBUSY);
	ck_assert(strstr(log_last, "pid-4242"));
	ck_assert(!journal_exists(ctx, "pid-4343"));

	ck_assert_int_eq(rtvm_tune_apply(ctx, pb, b, 0, &plan), 0);
	ck_assert_int_eq(rtvm_plan_to_json(plan, &json), 0);
	ck_assert(strstr(json, "\"lease\":\ttrue") || strstr(json, "\"lease\": true"));
	free(json);
	rtvm_plan_unref(plan);
	/* Revert A: B's tuning, shared settings included, stays. */
	ck_assert_int_eq(rtvm_tune_revert(ctx, "pid-4242", 0), 0);
	ck_assert_int_eq(rtvm_tune_status(ctx, "pid-4343", &json), 0);
	ck_assert_msg(strstr(json, "\"drift\":\t[]") || strstr(json, "\"drift\": []"),
		      "%.300s", json);
	free(json);
	s = tu_read(ctx, "proc/sys/kernel/sched_rt_runtime_us");
	ck_assert_str_eq(s, "-1");
	free(s);
	s = tu_read(ctx, "proc/irq/186/smp_affinity_list");
	ck_assert_str_eq(s, "0-1");
	free(s);
	/* A's own threads are back. */
	s = tu_read(ctx, "proc/4242/task/4250/stat");
	ck_assert(strstr(s, " 2 1 1 0 ") || strstr(s, "2 1 1"));
	free(s);
	/* Revert B: the host as it was. */
	ck_assert_int_eq(rtvm_tune_revert(ctx, "pid-4343", 0), 0);
	after = snapshot(ctx);
	ck_assert_int_eq(snap_diff(before, after, "two VMs"), 0);
	snap_free(before);
	snap_free(after);
	rtvm_vm_unref(a);
	rtvm_vm_unref(b);
	rtvm_profile_unref(pa);
	rtvm_profile_unref(pb);
	rtvm_profile_unref(pc);
	rtvm_profile_unref(pd);
	rtvm_unref(ctx);
}
END_TEST

START_TEST(test_unfinished_blocks_others)
{
	struct rtvm_ctx *ctx = new_ctx();
	struct rtvm_profile *pa = profile(ctx, "2-3", NULL),
			    *pb = profile(ctx, "4-5", NULL);
	struct rtvm_vm *b;

	add_vm_b(ctx);
	b = vm_of(ctx, VM_B);
	ck_assert(apply_in_child(rtvm_get_root(ctx), pa, VM_A, 7));
	ck_assert_int_eq(rtvm_tune_apply(ctx, pb, b, 0, NULL), -EBUSY);
	ck_assert(strstr(log_last, "unfinished"));
	ck_assert_int_eq(rtvm_tune_revert(ctx, "pid-4242", 0), 0);
	ck_assert_int_eq(rtvm_tune_apply(ctx, pb, b, 0, NULL), 0);
	ck_assert_int_eq(rtvm_tune_revert(ctx, "pid-4343", 0), 0);
	rtvm_vm_unref(b);
	rtvm_profile_unref(pa);
	rtvm_profile_unref(pb);
	rtvm_unref(ctx);
}
END_TEST

/* An apply waits while another process holds the state directory's
 * lock. */
START_TEST(test_lock_serializes)
{
	struct rtvm_ctx *ctx = new_ctx();
	struct rtvm_profile *p = profile(ctx, "2-3", NULL);
	struct rtvm_vm *vm = vm_of(ctx, VM_A);
	struct rtvm_plan *plan;
	char path[1024];
	int fd, status;
	pid_t pid;

	/* A plan reads the state directory but does not make it. */
	ck_assert_int_eq(rtvm_tune_plan(ctx, p, vm, &plan), 0);
	rtvm_plan_unref(plan);
	snprintf(path, sizeof(path), "%s/run/rtvm", rtvm_get_root(ctx));
	ck_assert_int_eq(access(path, F_OK), -1);
	ck_assert_int_eq(mkdir(path, 0700), 0);
	snprintf(path, sizeof(path), "%s/run/rtvm/lock", rtvm_get_root(ctx));
	fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(flock(fd, LOCK_EX), 0);
	fflush(stdout);
	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		int r;

		close(fd); /* the parent's copy holds the lock */
		r = rtvm_tune_apply(ctx, p, vm, 0, NULL);

		kill(getpid(), r == 0 ? SIGKILL : SIGTERM);
		_exit(1);
	}
	usleep(300 * 1000);
	ck_assert_int_eq(waitpid(pid, &status, WNOHANG), 0);
	ck_assert(!journal_exists(ctx, "pid-4242"));
	close(fd); /* the child's apply goes ahead */
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	ck_assert(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
	ck_assert(journal_exists(ctx, "pid-4242"));
	ck_assert_int_eq(rtvm_tune_revert(ctx, "pid-4242", 0), 0);
	rtvm_vm_unref(vm);
	rtvm_profile_unref(p);
	rtvm_unref(ctx);
}
END_TEST

START_TEST(test_state_dir)
{
	struct rtvm_ctx *ctx = new_ctx();
	struct rtvm_profile *p = profile(ctx, "2-3", NULL);
	struct rtvm_vm *vm = vm_of(ctx, VM_A);
	char dir[1024], path[1100];

	ck_assert_int_eq(rtvm_set_state_dir(ctx, "relative"), -EINVAL);
	snprintf(dir, sizeof(dir), "%s/elsewhere", rtvm_get_root(ctx));
	ck_assert_int_eq(rtvm_set_state_dir(ctx, dir), 0);
	ck_assert_int_eq(rtvm_tune_apply(ctx, p, vm, 0, NULL), 0);
	snprintf(path, sizeof(path), "%s/pid-4242.journal", dir);
	ck_assert_int_eq(access(path, F_OK), 0);
	ck_assert(!journal_exists(ctx, "pid-4242"));
	ck_assert_int_eq(rtvm_tune_revert(ctx, "pid-4242", 0), 0);
	ck_assert_int_ne(access(path, F_OK), 0);
	/* Offline and overlapping CPUs are refused, naming them. */
	rtvm_profile_unref(p);
	ck_assert_int_eq(rtvm_profile_new_from_json(ctx,
		"{\"version\": 1, \"rt_cpus\": \"62-63\"}", &p), 0);
	ck_assert_int_eq(rtvm_tune_apply(ctx, p, vm, 0, NULL), -EINVAL);
	ck_assert(strstr(log_last, "62-63"));
	rtvm_profile_unref(p);
	ck_assert_int_eq(rtvm_profile_new_from_json(ctx,
		"{\"version\": 1, \"rt_cpus\": \"2-3\", \"vcpus\": [{\"pcpu\": 2}]}",
		&p), 0);
	ck_assert_int_eq(rtvm_tune_apply(ctx, p, vm, 0, NULL), -EINVAL);
	ck_assert(strstr(log_last, ".vcpus"));
	rtvm_vm_unref(vm);
	rtvm_profile_unref(p);
	rtvm_unref(ctx);
}
END_TEST

#define CS "sys/fs/cgroup/cpuset"
#define CPUCG "sys/fs/cgroup/cpu,cpuacct"
#define SHIELD ", \"shield\": {}"

/* Whether thread @tid is in the tasks file of cgroup dir @rel. */
static bool in_tasks(struct rtvm_ctx *ctx, const char *rel, int tid)
{
	char path[256], *text, *save = NULL;
	bool found = false;

	snprintf(path, sizeof(path), "%s/tasks", rel);
	text = tu_read(ctx, path);
	for (char *t = strtok_r(text, "\n", &save); t && !found;
	     t = strtok_r(NULL, "\n", &save))
		found = atoi(t) == tid;
	free(text);
	return found;
}

/* A profile's shield: planned (predicted from its dry run), made with
 * the RT vCPUs in it, shown by status, reverted to the byte. */
/* A journal is read as strict JSON, line by line: a repeated key, data
 * after a line's object or bytes that are not UTF-8 fail status with
 * -EBADMSG, logged with the place in the line and the line's number.
 * What the library writes reads back, a UTF-8 profile name included. */
START_TEST(test_journal_strict)
{
	static const struct {
		const char *line;
		const char *expect;
	} bad[] = {
		{ "{\"kind\": \"sysctl\", \"kind\": \"sysctl\","
		  " \"target\": \"kernel.timer_migration\"}",
		  "journal: .kind: duplicate key (it repeats an earlier one) at byte 19 (line 1)" },
		{ "{\"complete\": true} {}",
		  "journal: .: trailing data after the JSON document at byte 19 (line 1)" },
		{ "{\"kind\": \"sysctl\", \"target\": \"kernel.timer_migration\","
		  " \"old\": \"\\u0000\"}",
		  "journal: .old: \\u0000 in a string at byte 63 (line 1)" },
	};
	static const char name[] = "M\xc3\xbc" "ller \xe2\x9c\x93";
	struct rtvm_ctx *ctx = new_ctx();
	struct rtvm_vm *vm = vm_of(ctx, VM_A);
	struct rtvm_profile *p;
	char buf[4096], *text, *json;
	int n;

	snprintf(buf, sizeof(buf),
		 "{\"version\": 1, \"name\": \"%s\", \"rt_cpus\": \"2-3\","
		 " \"housekeeping_cpus\": \"0-1\"}", name);
	ck_assert_int_eq(rtvm_profile_new_from_json(ctx, buf, &p), 0);
	ck_assert_int_eq(rtvm_tune_apply(ctx, p, vm, 0, NULL), 0);
	ck_assert_int_eq(rtvm_tune_status(ctx, "pid-4242", &json), 0);
	ck_assert_msg(strstr(json, name), "status: %s", json);
	free(json);
	text = tu_read(ctx, "run/rtvm/pid-4242.journal");
	n = (int)(strchr(text, '\n') - text) + 1; /* the header line */
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		snprintf(buf, sizeof(buf), "%.*s%s\n", n, text, bad[i].line);
		tu_write(ctx, "run/rtvm/pid-4242.journal", buf);
		log_all[0] = '\0';
		ck_assert_int_eq(rtvm_tune_status(ctx, NULL, &json), -EBADMSG);
		ck_assert_msg(strstr(log_all, bad[i].expect) &&
			      strstr(log_all, "journal pid-4242.journal: line 2 does not parse"),
			      "%s: logged \"%s\", expected \"%s\"", bad[i].line,
			      log_all, bad[i].expect);
	}
	/* The journal as it was: revert puts everything back. */
	tu_write(ctx, "run/rtvm/pid-4242.journal", text);
	ck_assert_int_eq(rtvm_tune_revert(ctx, "pid-4242", 0), 0);
	ck_assert(!journal_exists(ctx, "pid-4242"));
	free(text);
	rtvm_vm_unref(vm);
	rtvm_profile_unref(p);
	rtvm_unref(ctx);
}
END_TEST

START_TEST(test_shield)
{
	struct rtvm_ctx *ctx = new_ctx();
	struct rtvm_profile *p = profile(ctx, "4-5", SHIELD), *pb;
	struct rtvm_vm *vm = vm_of(ctx, VM_A), *b;
	struct snap *before, *after;
	const struct rtvm_change *c;
	struct rtvm_plan *plan;
	bool create = false, vcpu_in = false;
	char *json, *s;

	add_vm_b(ctx);
	b = vm_of(ctx, VM_B);
	before = snapshot(ctx);
	ck_assert_msg(rtvm_tune_plan(ctx, p, vm, &plan) == 0, "%s", log_last);
	rtvm_changeset_foreach(c, rtvm_plan_get_changes(plan)) {
		const char *t = rtvm_change_get_target(c);
		const char *n = rtvm_change_get_new_value(c);

		if (rtvm_change_get_kind(c) == RTVM_CHANGE_CGROUP_CREATE &&
		    strcmp(t, "cpuset:/rtvm-rt") == 0)
			create = true;
		if (rtvm_change_get_kind(c) == RTVM_CHANGE_CGROUP_ATTACH &&
		    strncmp(t, "4242/4250@", 10) == 0)
			vcpu_in = n && strcmp(n, "cpuset:/rtvm-rt") == 0;
	}
	ck_assert(create && vcpu_in);
	ck_assert_int_eq(rtvm_plan_to_json(plan, &json), 0);
	ck_assert(strstr(json, "\"predicted\":\ttrue") ||
		  strstr(json, "\"predicted\": true"));
	free(json);
	rtvm_plan_unref(plan);
	after = snapshot(ctx);
	ck_assert_int_eq(snap_diff(before, after, "shield plan"), 0);
	snap_free(after);

	ck_assert_msg(rtvm_tune_apply(ctx, p, vm, 0, NULL) == 0, "%s", log_last);
	s = tu_read(ctx, CS "/rtvm-rt/cpuset.cpus");
	ck_assert_str_eq(rtvm_strip(s), "4-5");
	free(s);
	ck_assert(in_tasks(ctx, CS "/rtvm-rt", 4250));
	ck_assert(in_tasks(ctx, CS "/rtvm-rt", 4251));
	ck_assert(!in_tasks(ctx, CS "/rtvm-rt", 4242));
	ck_assert_int_eq(rtvm_tune_status(ctx, "pid-4242", &json), 0);
	ck_assert_msg(strstr(json, "\"drift\":\t[]") ||
			      strstr(json, "\"drift\": []"),
		      "%.600s", json);
	free(json);
	/* One shield at a time: another VM's profile with one is refused,
	 * naming the holder. */
	pb = profile(ctx, "6-7", SHIELD);
	ck_assert_int_eq(rtvm_tune_plan(ctx, pb, b, &plan), -EBUSY);
	ck_assert_msg(strstr(log_last, "pid-4242"), "%s", log_last);
	ck_assert_int_eq(rtvm_tune_revert(ctx, "pid-4242", 0), 0);
	after = snapshot(ctx);
	ck_assert_int_eq(snap_diff(before, after, "shield revert"), 0);
	ck_assert_int_ne(access(tu_fixture_path(ctx, CS "/rtvm-rt"), F_OK), 0);
	snap_free(before);
	snap_free(after);
	rtvm_vm_unref(vm);
	rtvm_vm_unref(b);
	rtvm_profile_unref(p);
	rtvm_profile_unref(pb);
	rtvm_unref(ctx);
}
END_TEST

/* A move the kernel refuses (EINVAL: a bound kernel thread) is left,
 * its journaled intent cancelled; a move that fails (EIO) fails the
 * apply, which rolls the shield back.  Both leave the host as it was. */
START_TEST(test_shield_refusals)
{
	struct rtvm_ctx *ctx = new_ctx();
	struct rtvm_profile *p = profile(ctx, "4-5", SHIELD);
	struct rtvm_vm *vm = vm_of(ctx, VM_A);
	struct snap *before = snapshot(ctx), *after;
	char *s;

	ck_assert_int_eq(rtvm_ctx_add_fault(ctx, RTVM_OP_CGROUP_ATTACH, NULL,
					    1, 1, EINVAL), 0);
	ck_assert_msg(rtvm_tune_apply(ctx, p, vm, 0, NULL) == 0, "%s", log_last);
	s = tu_read(ctx, "run/rtvm/pid-4242.journal");
	ck_assert_msg(strstr(s, "\"cancel\":true"), "%s", s);
	free(s);
	ck_assert_int_eq(rtvm_tune_revert(ctx, "pid-4242", 0), 0);
	after = snapshot(ctx);
	ck_assert_int_eq(snap_diff(before, after, "refused move"), 0);
	snap_free(after);

	rtvm_ctx_clear_faults(ctx);
	ck_assert_int_eq(rtvm_ctx_add_fault(ctx, RTVM_OP_CGROUP_ATTACH, NULL,
					    3, 1, EIO), 0);
	ck_assert_int_eq(rtvm_tune_apply(ctx, p, vm, 0, NULL), -EIO);
	ck_assert(!journal_exists(ctx, "pid-4242"));
	after = snapshot(ctx);
	ck_assert_int_eq(snap_diff(before, after, "failed move"), 0);
	snap_free(before);
	snap_free(after);
	rtvm_vm_unref(vm);
	rtvm_profile_unref(p);
	rtvm_unref(ctx);
}
END_TEST

/* @n more threads (20000..) in process 5000 of the fixture, in the root
 * cpuset: a shield's moves then span several journal batches. */
#define MANY_BASE 20000
static void add_threads(struct rtvm_ctx *ctx, unsigned int n)
{
	free(tu_run_cmd(
		"set -e; cd '%s'; i=%d; while [ $i -lt %u ]; do"
		"  cp -a proc/5000/task/5000 proc/5000/task/$i;"
		"  sed -i \"1s/^5000 /$i /\" proc/5000/task/$i/stat;"
		"  sed -i -e \"s/^Pid:\t5000$/Pid:\t$i/\" -e \"s/^NSpid:\t5000$/NSpid:\t$i/\""
		"   proc/5000/task/$i/status;"
		"  echo $i >>sys/fs/cgroup/cpuset/tasks;"
		"  echo $i >>'sys/fs/cgroup/cpu,cpuacct/tasks';"
		"  i=$((i + 1)); done",
		rtvm_get_root(ctx), MANY_BASE, MANY_BASE + n));
}

/* Lines of @text that contain both @a and @b. */
static unsigned int count_lines(const char *text, const char *a,
				const char *b)
{
	unsigned int n = 0;

	for (const char *l = text; l && *l;) {
		const char *nl = strchr(l, '\n');
		size_t len = nl ? (size_t)(nl - l) : strlen(l);
		char *line = strndup(l, len);

		n += strstr(line, a) && strstr(line, b);
		free(line);
		l = nl ? nl + 1 : NULL;
	}
	return n;
}

/*
 * Group commit.  A shield moving 600 more tasks journals them in batches:
 * killed at points across the apply (in a batch's intents, before their
 * commit, and among its moves), the journal on disk names every task
 * moved so far, holds at most one batch (256) of moves not made yet, and
 * some point shows a batch committed ahead of its moves; each revert is
 * exact.
 */
START_TEST(test_crash_batches)
{
	struct rtvm_ctx *ctx = new_ctx();
	const char *root = rtvm_get_root(ctx);
	struct rtvm_profile *p;
	struct snap *before;
	unsigned int ahead_max = 0, tried = 0, stride = under_valgrind() ? 97 : 13;
	char path[1024];

	add_threads(ctx, 600);
	p = profile(ctx, "4-5", SHIELD);
	before = snapshot(ctx);
	snprintf(path, sizeof(path), "%s/run/rtvm/pid-4242.journal", root);
	for (unsigned int point = 1;; point += stride) {
		bool crashed = apply_in_child(root, p, VM_A, (int)point);
		unsigned int recorded = 0, cancelled, moved = 0, ahead;
		struct snap *after;
		char *j = NULL, *t;

		tried++;
		if (access(path, F_OK) == 0) {
			j = tu_read(ctx, "run/rtvm/pid-4242.journal");
			recorded = count_lines(j, "\"cgroup_attach\"",
					       "cpuset:/rtvm-housekeeping");
			cancelled = count_lines(j, "\"cancel\"", "cgroup_attach");
			ck_assert_uint_ge(recorded, cancelled);
			recorded -= cancelled;
		}
		if (access(tu_fixture_path(ctx, "sys/fs/cgroup/cpuset/rtvm-housekeeping/tasks"),
			   F_OK) == 0) {
			t = tu_read(ctx, "sys/fs/cgroup/cpuset/rtvm-housekeeping/tasks");
			for (char *c = t; *c; c++)
				moved += *c == '\n';
			free(t);
		}
		/* Intent before change: no move without its durable record. */
		ck_assert_msg(moved <= recorded,
			      "point %u: %u tasks moved, %u recorded", point, moved,
			      recorded);
		ahead = recorded - moved;
		ck_assert_msg(!crashed || ahead <= 256,
			      "point %u: %u records ahead of the moves", point,
			      ahead);
		if (crashed && ahead > ahead_max)
			ahead_max = ahead;
		free(j);
		ck_assert_msg(rtvm_tune_revert(ctx, "pid-4242", 0) == 0,
			      "point %u: %s", point, log_last);
		after = snapshot(ctx);
		ck_assert_msg(snap_diff(before, after, "batch crash") == 0,
			      "point %u: the host differs", point);
		snap_free(after);
		if (!crashed) {
			ck_assert_uint_ge(recorded, 600);
			break;
		}
	}
	/* A batch was durable before its moves: many records ahead. */
	ck_assert_msg(ahead_max > 100, "at most %u records ahead", ahead_max);
	ck_assert_uint_gt(tried, 2 * 600 / stride);
	snap_free(before);
	rtvm_profile_unref(p);
	rtvm_unref(ctx);
}
END_TEST

/* Inside a batch, a thread that seems to have exited (ESRCH) and one
 * the kernel refuses (EINVAL) are skipped and their records cancelled
 * by target, not the batch's newest; the others move, and revert is
 * exact. */
START_TEST(test_batch_refusals)
{
	struct rtvm_ctx *ctx = new_ctx();
	struct rtvm_profile *p;
	struct rtvm_vm *vm;
	struct snap *before, *after;
	char *j, *t;

	add_threads(ctx, 300);
	p = profile(ctx, "4-5", SHIELD);
	vm = vm_of(ctx, VM_A);
	before = snapshot(ctx);
	ck_assert_int_eq(rtvm_ctx_add_fault(ctx, RTVM_OP_CGROUP_ATTACH,
					    "5000/20100", 1, 1, ESRCH), 0);
	ck_assert_int_eq(rtvm_ctx_add_fault(ctx, RTVM_OP_CGROUP_ATTACH,
					    "5000/20280", 1, 1, EINVAL), 0);
	ck_assert_msg(rtvm_tune_apply(ctx, p, vm, 0, NULL) == 0, "%s", log_last);
	j = tu_read(ctx, "run/rtvm/pid-4242.journal");
	ck_assert_uint_eq(count_lines(j, "\"cancel\"",
				      "attach\",\"target\":\"5000/20100@"), 1);
	ck_assert_uint_eq(count_lines(j, "\"cancel\"",
				      "attach\",\"target\":\"5000/20280@"), 1);
	ck_assert_uint_eq(count_lines(j, "\"cancel\"", "cgroup_attach"), 2);
	free(j);
	t = tu_read(ctx, "sys/fs/cgroup/cpuset/rtvm-housekeeping/tasks");
	/* 20100 is still there: the next round moves it. */
	ck_assert(strstr(t, "\n20101\n") && strstr(t, "\n20100\n") &&
		  !strstr(t, "\n20280\n") && strstr(t, "\n20299\n"));
	free(t);
	/* Parsed, the journal drops the cancelled records, not others. */
	ck_assert_msg(rtvm_tune_revert(ctx, "pid-4242", 0) == 0, "%s", log_last);
	after = snapshot(ctx);
	ck_assert_int_eq(snap_diff(before, after, "batch refusals"), 0);
	snap_free(before);
	snap_free(after);
	rtvm_vm_unref(vm);
	rtvm_profile_unref(p);
	rtvm_unref(ctx);
}
END_TEST

/* The steps of @plan whose target ends in @suffix, as "TARGET OLD->NEW"
 * lines, and their first index (-1: none) in @ret_first. */
static char *steps_ending(const struct rtvm_plan *plan, const char *suffix,
			  int *ret_first)
{
	const struct rtvm_change *c;
	size_t len = strlen(suffix);
	char *out = strdup("");
	int i = 0;

	*ret_first = -1;
	rtvm_changeset_foreach(c, rtvm_plan_get_changes(plan)) {
		const char *t = rtvm_change_get_target(c);
		char *more;

		if (strlen(t) >= len && !strcmp(t + strlen(t) - len, suffix)) {
			if (*ret_first < 0)
				*ret_first = i;
			ck_assert_int_ge(asprintf(&more, "%s%s %s->%s\n", out, t,
						  rtvm_change_get_old_value(c),
						  rtvm_change_get_new_value(c)), 0);
			free(out);
			out = more;
		}
		i++;
	}
	return out;
}

/* The index of the first step of @kind on thread @tid, -1 for none. */
static int step_of_thread(const struct rtvm_plan *plan,
			  enum rtvm_change_kind kind, int tid)
{
	const struct rtvm_change *c;
	char pre[32];
	int i = 0;

	snprintf(pre, sizeof(pre), "%d/%d@", VM_A, tid);
	rtvm_changeset_foreach(c, rtvm_plan_get_changes(plan)) {
		if ((int)rtvm_change_get_kind(c) == (int)kind &&
		    !strncmp(rtvm_change_get_target(c), pre, strlen(pre)))
			return i;
		i++;
	}
	return -1;
}

/* RT group scheduling refuses FIFO in a cpu cgroup without RT runtime.
 * The plan says so: without provision_rt_runtime it warns and has no
 * runtime steps (the apply is refused and rolled back); with it, the
 * writes are steps, after the pins and before the priorities, in text
 * (the changes) and JSON, which the apply makes and journals, and revert
 * takes back.  Cgroups that have runtime get no step. */
/* An RT budget at the root, none in machine/ and machine/vm1, where VM A's
 * first vCPU thread runs (cgroups new under CONFIG_RT_GROUP_SCHED). */
static void rt_machine_slice(struct rtvm_ctx *ctx)
{
	tu_write(ctx, CPUCG "/cpu.rt_runtime_us", "950000\n");
	tu_write(ctx, CPUCG "/cpu.rt_period_us", "1000000\n");
	tu_write(ctx, CPUCG "/machine/cpu.rt_runtime_us", "0\n");
	tu_write(ctx, CPUCG "/machine/vm1/cpu.rt_runtime_us", "0\n");
	tu_write(ctx, "proc/4242/task/4250/cgroup",
		 "13:cpuset:/\n12:cpu,cpuacct:/machine/vm1\n0::/machine/vm1\n");
}

START_TEST(test_provision_rt_runtime)
{
	struct rtvm_ctx *ctx = new_ctx();
	struct rtvm_profile *p = profile(ctx, "2-3", NULL), *pp;
	struct rtvm_vm *vm = vm_of(ctx, VM_A);
	struct snap *before, *after;
	struct rtvm_plan *plan, *plain;
	char *s, *json, *list;
	int r, first, sched;

	rt_machine_slice(ctx);
	before = snapshot(ctx);
	/* Without it: a warning, no step, and the kernel's refusal, rolled
	 * back. */
	rtvm_set_log_priority(ctx, LOG_WARNING);
	log_warn[0] = '\0';
	ck_assert_msg(rtvm_tune_plan(ctx, p, vm, &plain) == 0, "%s", log_last);
	ck_assert_msg(strstr(log_warn, "cpu cgroup /machine/vm1 has cpu.rt_runtime_us 0") &&
			      strstr(log_warn, "provision_rt_runtime"),
		      "%s", log_warn);
	list = steps_ending(plain, "cpu.rt_runtime_us", &first);
	ck_assert_str_eq(list, "");
	free(list);
	ck_assert_int_eq(rtvm_ctx_add_fault(ctx, RTVM_OP_SCHED_SET, "4242/4250",
					    1, 1, EPERM), 0);
	ck_assert_int_eq(rtvm_tune_apply(ctx, p, vm, 0, NULL), -EPERM);
	ck_assert_msg(strstr(log_last, "4242/4250"), "%s", log_last);
	after = snapshot(ctx);
	ck_assert_int_eq(snap_diff(before, after, "no provisioning"), 0);
	snap_free(after);
	rtvm_ctx_clear_faults(ctx);

	/* With it: the plan lists the writes, top-down, before 4250's
	 * priority and after its pin, and counts them. */
	pp = profile(ctx, "2-3", ", \"provision_rt_runtime\": true");
	ck_assert_msg(rtvm_tune_plan(ctx, pp, vm, &plan) == 0, "%s", log_last);
	list = steps_ending(plan, "cpu.rt_runtime_us", &first);
	ck_assert_str_eq(list,
			 "/sys/fs/cgroup/cpu,cpuacct/machine/cpu.rt_runtime_us 0->10000\n"
			 "/sys/fs/cgroup/cpu,cpuacct/machine/vm1/cpu.rt_runtime_us 0->10000\n");
	free(list);
	sched = step_of_thread(plan, RTVM_CHANGE_THREAD_SCHED, 4250);
	ck_assert_int_ge(first, 0);
	ck_assert_int_lt(first, sched);
	ck_assert_int_lt(step_of_thread(plan, RTVM_CHANGE_THREAD_AFFINITY, 4250),
			 first);
	ck_assert_uint_eq(rtvm_changeset_get_count(rtvm_plan_get_changes(plan)),
			  rtvm_changeset_get_count(rtvm_plan_get_changes(plain)) + 2);
	ck_assert_int_eq(rtvm_plan_to_json(plan, &json), 0);
	ck_assert_msg(strstr(json, "\"target\":\t\"/sys/fs/cgroup/cpu,cpuacct/machine/vm1/cpu.rt_runtime_us\",\n"
				   "\t\t\t\"old\":\t\"0\",\n\t\t\t\"new\":\t\"10000\""),
		      "%s", json);
	free(json);
	rtvm_plan_unref(plan);
	rtvm_plan_unref(plain);
	after = snapshot(ctx);
	ck_assert_int_eq(snap_diff(before, after, "the plan"), 0);
	snap_free(after);

	/* The apply makes them before the policy (no refusal now), each
	 * journaled. */
	r = rtvm_tune_apply(ctx, pp, vm, 0, NULL);
	ck_assert_msg(r == 0, "%d: %s", r, log_last);
	s = tu_read(ctx, CPUCG "/machine/vm1/cpu.rt_runtime_us");
	ck_assert_str_eq(rtvm_strip(s), "10000");
	free(s);
	s = tu_read(ctx, "run/rtvm/pid-4242.journal");
	ck_assert_uint_eq(count_lines(s, "cpu.rt_runtime_us", "\"old\":\"0\""), 2);
	free(s);
	ck_assert_int_eq(rtvm_tune_status(ctx, "pid-4242", &json), 0);
	ck_assert_msg(strstr(json, "\"drift\":\t[]") ||
			      strstr(json, "\"drift\": []"),
		      "%.600s", json);
	free(json);
	ck_assert_int_eq(rtvm_tune_revert(ctx, "pid-4242", 0), 0);
	after = snapshot(ctx);
	ck_assert_int_eq(snap_diff(before, after, "provisioning revert"), 0);
	snap_free(after);

	/* A kernel that still refuses: the runtime given goes back too. */
	ck_assert_int_eq(rtvm_ctx_add_fault(ctx, RTVM_OP_SCHED_SET, "4242/4250",
					    1, 1, EPERM), 0);
	ck_assert_int_eq(rtvm_tune_apply(ctx, pp, vm, 0, NULL), -EPERM);
	after = snapshot(ctx);
	ck_assert_int_eq(snap_diff(before, after, "refused after provisioning"), 0);
	snap_free(after);
	rtvm_ctx_clear_faults(ctx);

	/* Runtime already: no step. */
	tu_write(ctx, CPUCG "/machine/cpu.rt_runtime_us", "20000\n");
	tu_write(ctx, CPUCG "/machine/vm1/cpu.rt_runtime_us", "10000\n");
	ck_assert_msg(rtvm_tune_plan(ctx, pp, vm, &plan) == 0, "%s", log_last);
	list = steps_ending(plan, "cpu.rt_runtime_us", &first);
	ck_assert_str_eq(list, "");
	free(list);
	rtvm_plan_unref(plan);
	snap_free(before);
	rtvm_vm_unref(vm);
	rtvm_profile_unref(p);
	rtvm_profile_unref(pp);
	rtvm_unref(ctx);
}
END_TEST

/* libvirt's layout (the fixture's): a cpu cgroup per vCPU, the iothread
 * in "emulator".  The plan gives each later thread's cgroup room from
 * the runtime the earlier ones' steps gave (not from what the files say
 * before the apply), the apply ends where the plan says, revert
 * restores. */
/* Two VMs in machine.slice: each apply raises the shared parent's RT
 * runtime in turn, and each revert, in either order, takes back only what
 * its VM added; runtime another VM added is not drift. */
static void runtime_is(struct rtvm_ctx *ctx, const char *cg, const char *want)
{
	char path[256], *s;

	snprintf(path, sizeof(path), CPUCG "/%s/cpu.rt_runtime_us", cg);
	s = tu_read(ctx, path);

	ck_assert_msg(strcmp(rtvm_strip(s), want) == 0, "%s: %s, not %s", cg,
		      s, want);
	free(s);
}

static void no_drift(struct rtvm_ctx *ctx, const char *vm)
{
	char *json;

	ck_assert_int_eq(rtvm_tune_status(ctx, vm, &json), 0);
	ck_assert_msg(strstr(json, "\"drift\":\t[]") ||
			      strstr(json, "\"drift\": []"),
		      "%s: %.600s", vm, json);
	free(json);
}

START_TEST(test_provision_rt_two_vms)
{
	struct rtvm_ctx *ctx = new_ctx();
	struct rtvm_profile *pa, *pb;
	struct rtvm_vm *a, *b;
	struct snap *before, *after;

	add_vm_b(ctx);
	rt_machine_slice(ctx);
	tu_write(ctx, CPUCG "/machine/vm2/cpu.rt_runtime_us", "0\n");
	tu_write(ctx, "proc/4343/task/4350/cgroup",
		 "13:cpuset:/\n12:cpu,cpuacct:/machine/vm2\n0::/machine/vm2\n");
	pa = profile(ctx, "2-3", ", \"provision_rt_runtime\": true");
	pb = profile(ctx, "4-5", ", \"provision_rt_runtime\": true");
	a = vm_of(ctx, VM_A);
	b = vm_of(ctx, VM_B);
	before = snapshot(ctx);
	for (int lifo = 0; lifo < 2; lifo++) {
		ck_assert_msg(rtvm_tune_apply(ctx, pa, a, 0, NULL) == 0, "%s",
			      log_last);
		runtime_is(ctx, "machine", "10000");
		ck_assert_msg(rtvm_tune_apply(ctx, pb, b, 0, NULL) == 0, "%s",
			      log_last);
		runtime_is(ctx, "machine", "20000");
		runtime_is(ctx, "machine/vm2", "10000");
		no_drift(ctx, "pid-4242");
		no_drift(ctx, "pid-4343");
		ck_assert_int_eq(rtvm_tune_revert(ctx, lifo ? "pid-4343" :
							      "pid-4242", 0), 0);
		/* The other VM keeps what it added. */
		runtime_is(ctx, "machine", "10000");
		runtime_is(ctx, lifo ? "machine/vm2" : "machine/vm1", "0");
		runtime_is(ctx, lifo ? "machine/vm1" : "machine/vm2", "10000");
		no_drift(ctx, lifo ? "pid-4242" : "pid-4343");
		ck_assert_int_eq(rtvm_tune_revert(ctx, lifo ? "pid-4242" :
							      "pid-4343", 0), 0);
		after = snapshot(ctx);
		ck_assert_int_eq(snap_diff(before, after,
					   lifo ? "LIFO revert" : "FIFO revert"), 0);
		snap_free(after);
	}
	snap_free(before);
	rtvm_vm_unref(a);
	rtvm_vm_unref(b);
	rtvm_profile_unref(pa);
	rtvm_profile_unref(pb);
	rtvm_unref(ctx);
}
END_TEST

START_TEST(test_provision_rt_per_vcpu)
{
	struct rtvm_ctx *ctx = new_ctx();
	struct rtvm_profile *p =
		profile(ctx, "2-3", ", \"provision_rt_runtime\": true");
	struct rtvm_vm *vm = vm_of(ctx, VM_A);
	struct snap *before, *after;
	struct rtvm_plan *plan;
	char *list, *s;
	int first;
#define SCOPE "/machine.slice/machine-qemu\\x2d1\\x2dvm1.scope"
#define LV CPUCG SCOPE "/libvirt"
#define HOSTCG "/sys/fs/cgroup/cpu,cpuacct"
	static const char *const zero[] = {
		CPUCG "/machine.slice", CPUCG SCOPE, LV, LV "/vcpu0", LV "/vcpu1",
		LV "/emulator",
	};
	char rel[512];

	tu_write(ctx, CPUCG "/cpu.rt_runtime_us", "950000\n");
	tu_write(ctx, CPUCG "/cpu.rt_period_us", "1000000\n");
	for (size_t i = 0; i < sizeof(zero) / sizeof(zero[0]); i++) {
		snprintf(rel, sizeof(rel), "%s/cpu.rt_runtime_us", zero[i]);
		tu_write(ctx, rel, "0\n");
	}
	before = snapshot(ctx);
	ck_assert_msg(rtvm_tune_plan(ctx, p, vm, &plan) == 0, "%s", log_last);
	list = steps_ending(plan, "cpu.rt_runtime_us", &first);
	ck_assert_str_eq(list,
		HOSTCG "/machine.slice/cpu.rt_runtime_us 0->10000\n"
		HOSTCG SCOPE "/cpu.rt_runtime_us 0->10000\n"
		HOSTCG SCOPE "/libvirt/cpu.rt_runtime_us 0->10000\n"
		HOSTCG SCOPE "/libvirt/vcpu0/cpu.rt_runtime_us 0->10000\n"
		HOSTCG "/machine.slice/cpu.rt_runtime_us 10000->20000\n"
		HOSTCG SCOPE "/cpu.rt_runtime_us 10000->20000\n"
		HOSTCG SCOPE "/libvirt/cpu.rt_runtime_us 10000->20000\n"
		HOSTCG SCOPE "/libvirt/vcpu1/cpu.rt_runtime_us 0->10000\n"
		/* the kernel's ratios round down: 3 x 10000 us is not
		 * quite 3 x the ratio of 10000 us */
		HOSTCG "/machine.slice/cpu.rt_runtime_us 20000->29998\n"
		HOSTCG SCOPE "/cpu.rt_runtime_us 20000->29998\n"
		HOSTCG SCOPE "/libvirt/cpu.rt_runtime_us 20000->29998\n"
		HOSTCG SCOPE "/libvirt/emulator/cpu.rt_runtime_us 0->9999\n");
	free(list);
	rtvm_plan_unref(plan);
	ck_assert_msg(rtvm_tune_apply(ctx, p, vm, 0, NULL) == 0, "%s", log_last);
	/* where the plan said the apply ends */
	s = tu_read(ctx, LV "/cpu.rt_runtime_us");
	ck_assert_str_eq(rtvm_strip(s), "29998");
	free(s);
	s = tu_read(ctx, LV "/vcpu1/cpu.rt_runtime_us");
	ck_assert_str_eq(rtvm_strip(s), "10000");
	free(s);
	s = tu_read(ctx, LV "/emulator/cpu.rt_runtime_us");
	ck_assert_str_eq(rtvm_strip(s), "9999");
	free(s);
	ck_assert_int_eq(rtvm_tune_revert(ctx, "pid-4242", 0), 0);
	after = snapshot(ctx);
	ck_assert_int_eq(snap_diff(before, after, "per-vCPU revert"), 0);
	snap_free(before);
	snap_free(after);
#undef SCOPE
#undef LV
#undef HOSTCG
	rtvm_vm_unref(vm);
	rtvm_profile_unref(p);
	rtvm_unref(ctx);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("tune");
	TCase *tc = tcase_create("tune");

	tcase_set_timeout(tc, 300);
	tcase_add_test(tc, test_plan_dry_run);
	tcase_add_test(tc, test_apply_revert_status);
	tcase_add_test(tc, test_reapply);
	tcase_add_test(tc, test_reapply_drift);
	tcase_add_test(tc, test_reconcile);
	tcase_add_test(tc, test_reapply_other);
	tcase_add_test(tc, test_thp_brackets);
	tcase_add_test(tc, test_failure_rolls_back);
	tcase_add_test(tc, test_update);
	tcase_add_test(tc, test_update_rolls_back);
	tcase_add_test(tc, test_update_crash);
	tcase_add_test(tc, test_update_crash_shield);
	tcase_add_test(tc, test_crash_at_every_point);
	tcase_add_test(tc, test_crash_irqhost);
	tcase_add_test(tc, test_two_vms);
	tcase_add_test(tc, test_unfinished_blocks_others);
	tcase_add_test(tc, test_lock_serializes);
	tcase_add_test(tc, test_state_dir);
	tcase_add_test(tc, test_journal_strict);
	tcase_add_test(tc, test_shield);
	tcase_add_test(tc, test_crash_shield);
	tcase_add_test(tc, test_shield_refusals);
	tcase_add_test(tc, test_crash_batches);
	tcase_add_test(tc, test_batch_refusals);
	suite_add_tcase(s, tc);
	/* CK_RUN_CASE=rt-runtime runs these alone. */
	tc = tcase_create("rt-runtime");
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_provision_rt_runtime);
	tcase_add_test(tc, test_provision_rt_per_vcpu);
	tcase_add_test(tc, test_provision_rt_two_vms);
	suite_add_tcase(s, tc);
	/* CK_RUN_CASE=recreated runs this alone. */
	tc = tcase_create("recreated");
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_reconcile_recreated);
	suite_add_tcase(s, tc);
	return tu_run(s);
}
