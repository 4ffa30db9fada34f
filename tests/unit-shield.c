/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Unit tier: CPU shields on the host64 (cgroup v1) and v2host (cgroup v2)
 * sysroots, whose cgroup simulation moves threads in the fixture's files. */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <syslog.h>
#include <unistd.h>

#include "librtvm-private.h"
#include "testutil.h"

#define CS "sys/fs/cgroup/cpuset"
#define MACHINE "/machine.slice/machine-qemu\\x2d1\\x2dvm1.scope"
#define WQ "sys/devices/virtual/workqueue"

static char log_last[1024];

static void log_capture(struct rtvm_ctx *ctx, int priority, const char *file,
			int line, const char *fn, const char *format,
			va_list args)
{
	if (priority <= LOG_ERR)
		vsnprintf(log_last, sizeof(log_last), format, args);
}

static struct rtvm_ctx *new_ctx(const char *fixture)
{
	struct rtvm_ctx *ctx = tu_ctx(fixture);

	rtvm_set_log_fn(ctx, log_capture);
	log_last[0] = '\0';
	if (strcmp(fixture, "host64") == 0) {
		/* Workqueue masks as a 6.1 kernel shows them. */
		tu_write(ctx, WQ "/cpumask", "ffffffff,ffffffff\n");
		tu_write(ctx, WQ "/writeback/cpumask", "ffffffff,ffffffff\n");
		tu_write(ctx, WQ "/blkcg_punt_bio/cpumask",
			 "ffffffff,ffffffff\n");
	}
	return ctx;
}

static struct rtvm_cpumask *mask(struct rtvm_ctx *ctx, const char *list)
{
	struct rtvm_cpumask *m;

	ck_assert_int_eq(rtvm_cpumask_new(ctx, &m), 0);
	ck_assert_int_eq(rtvm_cpumask_parse_list(m, list, 0), 0);
	return m;
}

/* A file's content without its final newline; freed by the caller. */
static char *rd(struct rtvm_ctx *ctx, const char *rel)
{
	char *s = tu_read(ctx, rel);
	size_t n = strlen(s);

	if (n && s[n - 1] == '\n')
		s[n - 1] = '\0';
	return s;
}

static void expect_file(struct rtvm_ctx *ctx, const char *rel,
			const char *want)
{
	char *s = rd(ctx, rel);

	ck_assert_msg(strcmp(s, want) == 0, "%s: \"%s\", want \"%s\"", rel, s,
		      want);
	free(s);
}

static bool exists(struct rtvm_ctx *ctx, const char *rel)
{
	char path[1024];

	snprintf(path, sizeof(path), "%s/%s", rtvm_get_root(ctx), rel);
	return access(path, F_OK) == 0;
}

/* ---- "nothing changed": two trees compared, final newlines aside ----- */

static void snapshot(struct rtvm_ctx *ctx)
{
	free(tu_run_cmd("rm -rf '%s.before' && cp -a '%s' '%s.before'",
			rtvm_get_root(ctx), rtvm_get_root(ctx),
			rtvm_get_root(ctx)));
}

static char *slurp(const char *path)
{
	char *buf = NULL;
	size_t size = 0;
	FILE *f = open_memstream(&buf, &size), *in = fopen(path, "r");
	char chunk[4096];
	size_t n;

	ck_assert_ptr_nonnull(f);
	ck_assert_msg(in != NULL, "cannot open %s", path);
	while ((n = fread(chunk, 1, sizeof(chunk), in)) > 0)
		fwrite(chunk, 1, n, f);
	fclose(in);
	fclose(f);
	if (size && buf[size - 1] == '\n')
		buf[size - 1] = '\0';
	return buf;
}

static bool same_content(const char *a, const char *b)
{
	char *x = slurp(a), *y = slurp(b);
	bool same = strcmp(x, y) == 0;

	free(x);
	free(y);
	return same;
}

static void compare_dirs(const char *a, const char *b)
{
	struct dirent *de;
	DIR *d = opendir(a);

	ck_assert_msg(d != NULL, "%s is missing", a);
	while ((de = readdir(d))) {
		char pa[2048], pb[2048];
		struct stat sa, sb;

		if (de->d_name[0] == '.' ||
		    strcmp(de->d_name, "rtvm-syscalls.log") == 0)
			continue;
		snprintf(pa, sizeof(pa), "%s/%s", a, de->d_name);
		snprintf(pb, sizeof(pb), "%s/%s", b, de->d_name);
		ck_assert_int_eq(lstat(pa, &sa), 0);
		ck_assert_msg(lstat(pb, &sb) == 0, "%s has gone", pb);
		if (S_ISDIR(sa.st_mode))
			compare_dirs(pa, pb);
		else if (S_ISREG(sa.st_mode))
			ck_assert_msg(same_content(pa, pb), "%s has changed", pb);
	}
	closedir(d);
}

/* Every file of the snapshot is as it was, and nothing was added. */
static void expect_unchanged(struct rtvm_ctx *ctx)
{
	char before[1024];

	snprintf(before, sizeof(before), "%s.before", rtvm_get_root(ctx));
	compare_dirs(before, rtvm_get_root(ctx));
	compare_dirs(rtvm_get_root(ctx), before);
	free(tu_run_cmd("rm -rf '%s'", before));
}

static int count_kind(const struct rtvm_shield_report *rep, int kind)
{
	return (int)rtvm_shield_report_get_count(rep, kind);
}

/* ---- bad input ---------------------------------------------------------- */

static void expect_refused(struct rtvm_ctx *ctx, const char *rt,
			   const char *hk, const char *scope, unsigned int flags,
			   int err, const char *msg)
{
	struct rtvm_cpumask *r = rt ? mask(ctx, *rt ? rt : "0") : NULL;
	struct rtvm_shield_report *rep = NULL;
	struct rtvm_cpumask *h = NULL;
	struct rtvm_changeset *cs;

	if (rt && !*rt)
		rtvm_cpumask_zero(r);
	if (hk) {
		h = mask(ctx, *hk ? hk : "0");
		if (!*hk)
			rtvm_cpumask_zero(h);
	}
	ck_assert_int_eq(rtvm_changeset_new(ctx, &cs), 0);
	log_last[0] = '\0';
	ck_assert_int_eq(rtvm_shield_create(ctx, r, h, scope, flags, cs, &rep),
			 err);
	ck_assert_ptr_null(rep);
	ck_assert_uint_eq(rtvm_changeset_get_count(cs), 0);
	if (msg)
		ck_assert_msg(strstr(log_last, msg), "log \"%s\" lacks \"%s\"",
			      log_last, msg);
	rtvm_changeset_unref(cs);
	rtvm_cpumask_free(r);
	rtvm_cpumask_free(h);
}

START_TEST(test_bad_input_v1)
{
	struct rtvm_ctx *ctx = new_ctx("host64");
	struct rtvm_cpumask *wide;

	snapshot(ctx);
	ck_assert_int_eq(rtvm_shield_create(NULL, NULL, NULL, NULL, 0, NULL,
					    NULL),
			 -EINVAL);
	expect_refused(ctx, "", NULL, NULL, 0, -EINVAL, "RT CPU mask is empty");
	expect_refused(ctx, "4-7", "", NULL, 0, -EINVAL,
		       "housekeeping CPU mask is empty");
	expect_refused(ctx, "4-7", "0-5", NULL, 0, -EINVAL, "overlap on 4-5");
	expect_refused(ctx, "4-7,63", NULL, NULL, 0, -EINVAL,
		       "RT CPUs 4-7,63");
	expect_refused(ctx, "4-7", "0-1,63", NULL, 0, -EINVAL,
		       "housekeeping CPUs 0-1,63");
	expect_refused(ctx, "0-62", NULL, NULL, 0, -EINVAL,
		       "no housekeeping CPU left");
	expect_refused(ctx, "4-7", NULL, NULL, 1u << 9, -EINVAL,
		       "unknown flags");
	expect_refused(ctx, "4-7", NULL, "machine.slice", 0, -EINVAL,
		       "bad scope");
	expect_refused(ctx, "4-7", NULL, "/../x", 0, -EINVAL, "bad scope");
	expect_refused(ctx, "4-7", NULL, "/nosuch", 0, -ENOENT,
		       "/nosuch does not exist");
	/* libvirt's vCPU cpusets run only on CPUs 2 and 3 */
	expect_refused(ctx, "2-15", NULL, NULL, 0, -EBUSY,
		       "libvirt/vcpu0 runs only on RT CPUs (2)");
	/* a scope too small for the CPUs: housekeeping defaults to the
	 * scope's other CPUs, so only the RT CPUs are missing; an explicit
	 * housekeeping list is checked as well */
	expect_refused(ctx, "4-7", NULL, MACHINE "/libvirt/emulator", 0,
		       -EINVAL, "CPUs 4-7 are not in scope");
	expect_refused(ctx, "16-17", "0-3", MACHINE "/libvirt/emulator", 0,
		       -EINVAL, "CPUs 2-3 are not in scope");

	/* a CPU beyond the host's 64 */
	ck_assert_int_eq(rtvm_cpumask_new_nr(128, &wide), 0);
	ck_assert_int_eq(rtvm_cpumask_parse_list(wide, "4,100", 0), 0);
	ck_assert_int_eq(rtvm_shield_create(ctx, wide, NULL, NULL, 0, NULL,
					    NULL),
			 -EINVAL);
	ck_assert_msg(strstr(log_last, "do not exist"), "%s", log_last);
	rtvm_cpumask_free(wide);
	expect_unchanged(ctx);
	rtvm_unref(ctx);
}
END_TEST

START_TEST(test_other_exclusive)
{
	struct rtvm_ctx *ctx = new_ctx("host64");

	tu_write(ctx, CS "/other/cpuset.cpus", "8-9\n");
	tu_write(ctx, CS "/other/cpuset.cpu_exclusive", "1\n");
	tu_write(ctx, CS "/other/cgroup.procs", "");
	snapshot(ctx);
	expect_refused(ctx, "4-15", NULL, NULL, 0, -EBUSY,
		       "cpuset /other is cpu_exclusive on CPUs 8-9");
	expect_unchanged(ctx);
	rtvm_unref(ctx);
}
END_TEST

START_TEST(test_no_cpuset)
{
	struct rtvm_ctx *ctx = new_ctx("host64");
	char *mi = rd(ctx, "proc/self/mountinfo"), *out, *o, *save = NULL;

	/* without the cpuset hierarchy and the unified one */
	out = o = calloc(1, strlen(mi) + 2);
	for (char *l = strtok_r(mi, "\n", &save); l;
	     l = strtok_r(NULL, "\n", &save))
		if (!strstr(l, "cgroup/cpuset ") && !strstr(l, "cgroup2"))
			o += sprintf(o, "%s\n", l);
	tu_write(ctx, "proc/self/mountinfo", out);
	expect_refused(ctx, "4-15", NULL, NULL, 0, -ENODEV,
		       "no cpuset controller");
	free(mi);
	free(out);
	rtvm_unref(ctx);
}
END_TEST

/* ---- cgroup v1 ---------------------------------------------------------- */

START_TEST(test_create_destroy_v1)
{
	struct rtvm_ctx *ctx = new_ctx("host64");
	struct rtvm_cpumask *rt = mask(ctx, "4-15,36-47");
	struct rtvm_shield_report *rep = NULL, *st = NULL;
	const struct rtvm_shield_item *it;
	struct rtvm_changeset *cs;
	char *s;
	bool seen_systemd = false, seen_pinned = false;

	snapshot(ctx);
	ck_assert_int_eq(rtvm_changeset_new(ctx, &cs), 0);
	ck_assert_int_eq(rtvm_shield_create(ctx, rt, NULL, NULL, 0, cs, &rep),
			 0);
	ck_assert(rtvm_shield_report_is_active(rep));
	ck_assert_int_eq(rtvm_shield_report_get_cgroup_version(rep), 1);
	ck_assert_str_eq(rtvm_shield_report_get_cgroup(rep), "cpuset:/rtvm-rt");
	ck_assert_str_eq(tu_list(rtvm_shield_report_get_housekeeping(rep)),
			 "0-3,16-35,48-62");
	/* systemd, kthreadd, rcu_preempt, kworker/u129:0, the irq thread,
	 * backup; qemu's threads are in libvirt's cpusets */
	ck_assert_int_eq(count_kind(rep, RTVM_SHIELD_MOVED), 6);
	ck_assert_int_eq(count_kind(rep, RTVM_SHIELD_NOT_MOVED), 0);
	/* five per-CPU kthreads on each of 24 RT CPUs */
	ck_assert_int_eq(count_kind(rep, RTVM_SHIELD_PER_CPU), 120);
	/* machine.slice, the scope and libvirt lose the RT CPUs */
	ck_assert_int_eq(count_kind(rep, RTVM_SHIELD_CGROUP), 3);
	ck_assert_int_eq(count_kind(rep, RTVM_SHIELD_FILE), 3);
	ck_assert_int_eq(count_kind(rep, RTVM_SHIELD_NOTE), 0);
	ck_assert_uint_eq(rtvm_shield_report_get_rounds(rep), 2);
	rtvm_shield_report_foreach(it, rep) {
		if (rtvm_shield_item_get_kind(it) != RTVM_SHIELD_MOVED)
			continue;
		ck_assert_str_eq(rtvm_shield_item_get_target(it),
				 "cpuset:/rtvm-housekeeping");
		ck_assert_str_eq(rtvm_shield_item_get_old(it), "cpuset:/");
		if (rtvm_shield_item_get_tid(it) == 1) {
			seen_systemd = true;
			ck_assert_str_eq(rtvm_shield_item_get_comm(it),
					 "systemd");
		}
		/* the irq thread was pinned to CPU 4, an RT CPU */
		if (rtvm_shield_item_get_tid(it) == 1100)
			seen_pinned = rtvm_shield_item_get_reason(it) != NULL;
	}
	ck_assert(seen_systemd && seen_pinned);

	expect_file(ctx, CS "/rtvm-rt/cpuset.cpus", "4-15,36-47");
	expect_file(ctx, CS "/rtvm-rt/cpuset.mems", "0-1");
	expect_file(ctx, CS "/rtvm-rt/cpuset.cpu_exclusive", "1");
	expect_file(ctx, CS "/rtvm-rt/cpuset.sched_load_balance", "0");
	expect_file(ctx, CS "/rtvm-housekeeping/cpuset.cpus", "0-3,16-35,48-62");
	expect_file(ctx, CS "/rtvm-housekeeping/cpuset.mems", "0-1");
	expect_file(ctx, CS "/cpuset.sched_load_balance", "0");
	expect_file(ctx, CS "/machine.slice/cpuset.cpus", "0-3,16-35,48-62");
	expect_file(ctx, CS MACHINE "/libvirt/vcpu0/cpuset.cpus", "2");
	expect_file(ctx, WQ "/cpumask", "7fff000f,ffff000f");
	expect_file(ctx, WQ "/writeback/cpumask", "7fff000f,ffff000f");
	s = rd(ctx, "proc/1/cgroup");
	ck_assert_msg(strstr(s, "13:cpuset:/rtvm-housekeeping\n"), "%s", s);
	free(s);
	/* backup was pinned to the boot-time housekeeping CPUs: kept */
	s = rd(ctx, "proc/5000/task/5000/status");
	ck_assert_msg(strstr(s, "Cpus_allowed_list:\t0-1,16-33,48-62\n"), "%s",
		      s);
	free(s);
	/* the irq thread had CPU 4 only: housekeeping as a whole now */
	s = rd(ctx, "proc/1100/task/1100/status");
	ck_assert_msg(strstr(s, "Cpus_allowed_list:\t0-3,16-35,48-62\n"), "%s",
		      s);
	free(s);
	s = rd(ctx, CS "/tasks");
	ck_assert_msg(!strstr(s, "\n5000\n") && !strstr(s, "\n1\n") &&
			      strncmp(s, "1\n", 2) != 0,
		      "%s", s);
	free(s);

	/* a second shield is refused */
	expect_refused(ctx, "4-15", NULL, NULL, 0, -EEXIST, "exists already");

	ck_assert_int_eq(rtvm_shield_status(ctx, NULL, &st), 0);
	ck_assert(rtvm_shield_report_is_active(st));
	ck_assert_str_eq(tu_list(rtvm_shield_report_get_rt_cpus(st)),
			 "4-15,36-47");
	ck_assert_int_eq(count_kind(st, RTVM_SHIELD_PER_CPU), 120);
	ck_assert_int_eq(count_kind(st, RTVM_SHIELD_STRAY), 0);
	st = rtvm_shield_report_free(st);

	ck_assert_int_eq(rtvm_shield_destroy(ctx, "/", cs, 0), 0);
	ck_assert(!exists(ctx, CS "/rtvm-rt"));
	ck_assert(!exists(ctx, CS "/rtvm-housekeeping"));
	expect_unchanged(ctx);

	ck_assert_int_eq(rtvm_shield_status(ctx, NULL, &st), 0);
	ck_assert(!rtvm_shield_report_is_active(st));
	ck_assert_int_eq(count_kind(st, -1), 0);
	rtvm_shield_report_free(st);
	rtvm_shield_report_free(rep);
	rtvm_changeset_unref(cs);
	rtvm_cpumask_free(rt);
	rtvm_unref(ctx);
}
END_TEST

START_TEST(test_changeset_json_undo)
{
	struct rtvm_ctx *ctx = new_ctx("host64");
	struct rtvm_cpumask *rt = mask(ctx, "8-15");
	struct rtvm_changeset *cs, *back;
	char *json;

	snapshot(ctx);
	ck_assert_int_eq(rtvm_changeset_new(ctx, &cs), 0);
	ck_assert_int_eq(rtvm_shield_create(ctx, rt, NULL, "/",
					    RTVM_SHIELD_NO_KTHREADS, cs, NULL),
			 0);
	ck_assert_int_eq(rtvm_changeset_to_json(cs, &json), 0);
	ck_assert_int_eq(rtvm_changeset_new_from_json(ctx, json, &back), 0);
	/* plain restore of the persisted records is enough */
	ck_assert_int_eq(rtvm_changeset_restore(back, 0), 0);
	expect_unchanged(ctx);
	free(json);
	rtvm_changeset_unref(back);
	rtvm_changeset_unref(cs);
	rtvm_cpumask_free(rt);
	rtvm_unref(ctx);
}
END_TEST

START_TEST(test_no_kthreads_flag)
{
	struct rtvm_ctx *ctx = new_ctx("host64");
	struct rtvm_cpumask *rt = mask(ctx, "8-15");
	struct rtvm_shield_report *rep;

	ck_assert_int_eq(rtvm_shield_create(ctx, rt, NULL, NULL,
					    RTVM_SHIELD_NO_KTHREADS |
						    RTVM_SHIELD_NO_WORKQUEUE,
					    NULL, &rep),
			 0);
	/* systemd and backup move; kthreadd, rcu_preempt, kworker, irq stay */
	ck_assert_int_eq(count_kind(rep, RTVM_SHIELD_MOVED), 2);
	ck_assert_int_eq(count_kind(rep, RTVM_SHIELD_NOT_MOVED), 4);
	ck_assert_int_eq(count_kind(rep, RTVM_SHIELD_FILE), 0);
	expect_file(ctx, WQ "/cpumask", "ffffffff,ffffffff");
	rtvm_shield_report_free(rep);
	/* no records: destroy sweeps the tasks back to the scope */
	ck_assert_int_eq(rtvm_shield_destroy(ctx, NULL, NULL, 0), 0);
	ck_assert(!exists(ctx, CS "/rtvm-housekeeping"));
	expect_file(ctx, "proc/5000/cgroup",
		    "13:cpuset:/\n12:cpu,cpuacct:/\n11:blkio:/\n"
		    "10:memory:/system.slice/backup.service\n9:devices:/\n"
		    "8:freezer:/\n7:net_cls,net_prio:/\n6:perf_event:/\n"
		    "5:hugetlb:/\n4:pids:/system.slice/backup.service\n"
		    "3:rdma:/\n2:misc:/\n"
		    "1:name=systemd:/system.slice/backup.service\n"
		    "0::/system.slice/backup.service");
	rtvm_cpumask_free(rt);
	rtvm_unref(ctx);
}
END_TEST

START_TEST(test_dry_run_v1)
{
	struct rtvm_ctx *ctx = new_ctx("host64");
	struct rtvm_cpumask *rt = mask(ctx, "4-15");
	struct rtvm_shield_report *rep;
	struct rtvm_changeset *cs;

	snapshot(ctx);
	ck_assert_int_eq(rtvm_changeset_new(ctx, &cs), 0);
	ck_assert_int_eq(rtvm_shield_create(ctx, rt, NULL, NULL,
					    RTVM_SHIELD_DRY_RUN, cs, &rep),
			 0);
	ck_assert(!rtvm_shield_report_is_active(rep));
	ck_assert_int_eq(count_kind(rep, RTVM_SHIELD_MOVED), 6);
	ck_assert_int_eq(count_kind(rep, RTVM_SHIELD_CGROUP), 3);
	ck_assert_int_eq(count_kind(rep, RTVM_SHIELD_FILE), 3);
	/* the two cpusets it would make, with their CPUs */
	ck_assert_int_eq(count_kind(rep, RTVM_SHIELD_NOTE), 2);
	{
		const struct rtvm_shield_item *it;
		unsigned int seen = 0;

		rtvm_shield_report_foreach(it, rep) {
			const char *t = rtvm_shield_item_get_target(it);

			if (rtvm_shield_item_get_kind(it) != RTVM_SHIELD_NOTE)
				continue;
			if (strcmp(t, "cpuset:/rtvm-housekeeping") == 0)
				ck_assert_str_eq(rtvm_shield_item_get_new(it),
						 "0-3,16-62");
			else {
				ck_assert_str_eq(t, "cpuset:/rtvm-rt");
				ck_assert_str_eq(rtvm_shield_item_get_new(it),
						 "4-15");
			}
			seen++;
		}
		ck_assert_uint_eq(seen, 2);
	}
	ck_assert_uint_eq(rtvm_changeset_get_count(cs), 0);
	ck_assert(!exists(ctx, "rtvm-syscalls.log"));
	expect_unchanged(ctx);
	rtvm_shield_report_free(rep);
	rtvm_changeset_unref(cs);
	rtvm_cpumask_free(rt);
	rtvm_unref(ctx);
}
END_TEST

/* A failure half way through leaves nothing changed. */
static void fail_at(unsigned int ops, const char *match, unsigned int nth,
		    int err)
{
	struct rtvm_ctx *ctx = new_ctx("host64");
	struct rtvm_cpumask *rt = mask(ctx, "4-15");
	struct rtvm_shield_report *rep = NULL;
	struct rtvm_changeset *cs;

	snapshot(ctx);
	ck_assert_int_eq(rtvm_changeset_new(ctx, &cs), 0);
	ck_assert_int_eq(rtvm_ctx_add_fault(ctx, ops, match, nth, 1, err), 0);
	ck_assert_int_eq(rtvm_shield_create(ctx, rt, NULL, NULL, 0, cs, &rep),
			 -err);
	ck_assert_ptr_null(rep);
	ck_assert_uint_eq(rtvm_changeset_get_count(cs), 0);
	rtvm_ctx_clear_faults(ctx);
	expect_unchanged(ctx);
	rtvm_changeset_unref(cs);
	rtvm_cpumask_free(rt);
	rtvm_unref(ctx);
}

START_TEST(test_faults)
{
	/* the fourth thread's move */
	fail_at(RTVM_OP_CGROUP_ATTACH, NULL, 4, EIO);
	/* the last workqueue mask */
	fail_at(RTVM_OP_WRITE, "writeback/cpumask", 1, EIO);
	/* the RT cpuset's exclusivity */
	fail_at(RTVM_OP_WRITE, "rtvm-rt/cpuset.cpu_exclusive", 1, EACCES);
	/* the second narrowed cpuset */
	fail_at(RTVM_OP_WRITE, "machine.slice/cpuset.cpus", 1, EIO);
	/* making the housekeeping cpuset */
	fail_at(RTVM_OP_MKDIR, "rtvm-housekeeping", 1, EPERM);
}
END_TEST

START_TEST(test_add_threads_v1)
{
	struct rtvm_ctx *ctx = new_ctx("host64");
	struct rtvm_cpumask *rt = mask(ctx, "4-15");
	struct rtvm_changeset *cs;
	struct rtvm_shield_report *st;
	pid_t vcpus[2] = { 4250, 4251 }, bad[1] = { 31337 };
	char *s;

	snapshot(ctx);
	ck_assert_int_eq(rtvm_changeset_new(ctx, &cs), 0);
	ck_assert_int_eq(rtvm_shield_add_threads(ctx, NULL, vcpus, 2, 0, cs),
			 -ENOENT);
	ck_assert_int_eq(rtvm_shield_create(ctx, rt, NULL, NULL, 0, cs, NULL),
			 0);
	ck_assert_int_eq(rtvm_shield_add_threads(ctx, NULL, bad, 1, 0, cs),
			 -ESRCH);
	ck_assert_msg(strstr(log_last, "no thread 31337"), "%s", log_last);
	ck_assert_int_eq(rtvm_shield_add_threads(ctx, NULL, vcpus, 2, 1u << 7,
						 cs),
			 -EINVAL);
	ck_assert_int_eq(rtvm_shield_add_threads(ctx, NULL, vcpus, 2,
						 RTVM_SHIELD_PER_VCPU, cs),
			 0);
	expect_file(ctx, CS "/rtvm-rt/vcpu0/cpuset.cpus", "4");
	expect_file(ctx, CS "/rtvm-rt/vcpu1/cpuset.cpus", "5");
	s = rd(ctx, "proc/4242/task/4251/cgroup");
	ck_assert_msg(strstr(s, "13:cpuset:/rtvm-rt/vcpu1\n"), "%s", s);
	free(s);
	s = rd(ctx, "proc/4242/task/4251/status");
	ck_assert_msg(strstr(s, "Cpus_allowed_list:\t5\n"), "%s", s);
	free(s);
	ck_assert_int_eq(rtvm_shield_status(ctx, NULL, &st), 0);
	ck_assert_int_eq(count_kind(st, RTVM_SHIELD_IN_RT), 2);
	rtvm_shield_report_free(st);
	ck_assert_int_eq(rtvm_shield_destroy(ctx, NULL, cs, 0), 0);
	expect_unchanged(ctx);
	rtvm_changeset_unref(cs);
	rtvm_cpumask_free(rt);
	rtvm_unref(ctx);
}
END_TEST

START_TEST(test_scope_v1)
{
	struct rtvm_ctx *ctx = new_ctx("host64");
	struct rtvm_cpumask *rt = mask(ctx, "4-7");
	struct rtvm_shield_report *rep;
	struct rtvm_changeset *cs;

	snapshot(ctx);
	ck_assert_int_eq(rtvm_changeset_new(ctx, &cs), 0);
	/* a scope with no tasks of its own: only its children narrow */
	ck_assert_int_eq(rtvm_shield_create(ctx, rt, NULL, "/machine.slice/", 0,
					    cs, &rep),
			 0);
	ck_assert_str_eq(rtvm_shield_report_get_cgroup(rep),
			 "cpuset:/machine.slice/rtvm-rt");
	ck_assert_int_eq(count_kind(rep, RTVM_SHIELD_MOVED), 0);
	/* never the host's workqueues from a scope */
	ck_assert_int_eq(count_kind(rep, RTVM_SHIELD_FILE), 0);
	ck_assert_int_eq(count_kind(rep, RTVM_SHIELD_CGROUP), 2);
	/* machine.slice is not exclusive, so the RT cpuset cannot be */
	ck_assert_int_eq(count_kind(rep, RTVM_SHIELD_NOTE), 1);
	expect_file(ctx, CS "/machine.slice/rtvm-rt/cpuset.cpu_exclusive", "0");
	expect_file(ctx, CS "/machine.slice/cpuset.cpus", "0-62");
	expect_file(ctx, CS "/machine.slice/rtvm-rt/cpuset.cpus", "4-7");
	rtvm_shield_report_free(rep);
	ck_assert_int_eq(rtvm_shield_destroy(ctx, "/machine.slice", cs, 0), 0);
	expect_unchanged(ctx);
	rtvm_changeset_unref(cs);
	rtvm_cpumask_free(rt);
	rtvm_unref(ctx);
}
END_TEST

/* A scope with fewer CPUs than the host: housekeeping defaults to the
 * scope's CPUs that are not RT, not to every online CPU. */
START_TEST(test_narrow_scope_default_hk)
{
	struct rtvm_ctx *ctx = new_ctx("host64");
	struct rtvm_cpumask *rt = mask(ctx, "6-7"), *all = mask(ctx, "0-7");
	struct rtvm_shield_report *rep;
	struct rtvm_changeset *cs;
	char *hk;

	ck_assert_int_eq(rtvm_cgroup_mkdir(ctx, "cpuset", "/narrow"), 0);
	tu_write(ctx, CS "/narrow/cpuset.cpus", "0-5,6-7\n");
	tu_write(ctx, CS "/narrow/cpuset.mems", "0\n");
	ck_assert_int_eq(rtvm_changeset_new(ctx, &cs), 0);
	ck_assert_int_eq(rtvm_shield_create(ctx, rt, NULL, "/narrow", 0, cs,
					    &rep),
			 0);
	ck_assert_int_eq(rtvm_cpumask_format_list(
				 rtvm_shield_report_get_housekeeping(rep), &hk),
			 0);
	ck_assert_str_eq(hk, "0-5");
	free(hk);
	expect_file(ctx, CS "/narrow/rtvm-housekeeping/cpuset.cpus", "0-5");
	rtvm_shield_report_free(rep);
	ck_assert_int_eq(rtvm_shield_destroy(ctx, "/narrow", cs, 0), 0);
	ck_assert(!exists(ctx, CS "/narrow/rtvm-rt"));
	rtvm_changeset_unref(cs);
	/* every CPU of the scope is RT: nothing left, nothing made */
	ck_assert_int_eq(rtvm_shield_create(ctx, all, NULL, "/narrow", 0, NULL,
					    NULL),
			 -EINVAL);
	ck_assert_msg(strstr(log_last, "has only CPUs 0-7"), "%s", log_last);
	ck_assert(!exists(ctx, CS "/narrow/rtvm-rt"));
	rtvm_cpumask_free(rt);
	rtvm_cpumask_free(all);
	rtvm_unref(ctx);
}
END_TEST

/* ---- cgroup v2 ---------------------------------------------------------- */

#define G "sys/fs/cgroup"

START_TEST(test_create_destroy_v2)
{
	struct rtvm_ctx *ctx = new_ctx("v2host");
	struct rtvm_cpumask *rt = mask(ctx, "2-3");
	struct rtvm_shield_report *rep, *st;
	struct rtvm_changeset *cs;

	snapshot(ctx);
	ck_assert_int_eq(rtvm_changeset_new(ctx, &cs), 0);
	ck_assert_int_eq(rtvm_shield_create(ctx, rt, NULL, NULL, 0, cs, &rep),
			 0);
	ck_assert_int_eq(rtvm_shield_report_get_cgroup_version(rep), 2);
	ck_assert_str_eq(rtvm_shield_report_get_cgroup(rep), ":/rtvm-rt");
	/* the kernel moves tasks off a partition's CPUs */
	ck_assert_int_eq(count_kind(rep, RTVM_SHIELD_MOVED), 0);
	/* system.slice, user.slice, init.scope */
	ck_assert_int_eq(count_kind(rep, RTVM_SHIELD_CGROUP), 3);
	expect_file(ctx, G "/rtvm-rt/cpuset.cpus", "2-3");
	expect_file(ctx, G "/rtvm-rt/cpuset.cpus.partition", "isolated");
	expect_file(ctx, G "/system.slice/cpuset.cpus", "0-1");
	expect_file(ctx, G "/user.slice/cpuset.cpus", "0-1");
	expect_file(ctx, G "/init.scope/cpuset.cpus", "0-1");
	expect_file(ctx, G "/machine.slice/cpuset.cpus", "");
	rtvm_shield_report_free(rep);

	ck_assert_int_eq(rtvm_shield_status(ctx, NULL, &st), 0);
	ck_assert(rtvm_shield_report_is_active(st));
	ck_assert_str_eq(tu_list(rtvm_shield_report_get_housekeeping(st)),
			 "0-1");
	/* the sysroot does not migrate: every task still allowed there */
	ck_assert_int_gt(count_kind(st, RTVM_SHIELD_STRAY), 0);
	ck_assert_int_eq(count_kind(st, RTVM_SHIELD_PER_CPU), 4);
	rtvm_shield_report_free(st);

	ck_assert_int_eq(rtvm_shield_destroy(ctx, NULL, cs, 0), 0);
	ck_assert(!exists(ctx, G "/rtvm-rt"));
	expect_unchanged(ctx);
	rtvm_changeset_unref(cs);
	rtvm_cpumask_free(rt);
	rtvm_unref(ctx);
}
END_TEST

/* v2 moves a whole process: undo puts every thread back into its own
 * threaded cgroup (libvirt's emulator, vcpu0, vcpu1). */
START_TEST(test_add_threads_v2)
{
	struct rtvm_ctx *ctx = new_ctx("v2host");
	struct rtvm_cpumask *rt = mask(ctx, "2-3");
	struct rtvm_changeset *cs;
	pid_t vcpus[2] = { 790, 791 };
	char *s;

	snapshot(ctx);
	ck_assert_int_eq(rtvm_changeset_new(ctx, &cs), 0);
	ck_assert_int_eq(rtvm_shield_create(ctx, rt, NULL, NULL, 0, cs, NULL),
			 0);
	ck_assert_int_eq(rtvm_shield_add_threads(ctx, NULL, vcpus, 2, 0, cs),
			 0);
	s = rd(ctx, "proc/777/task/790/cgroup");
	ck_assert_str_eq(s, "0::/rtvm-rt");
	free(s);
	s = rd(ctx, "proc/777/cgroup");
	ck_assert_str_eq(s, "0::/rtvm-rt");
	free(s);
	ck_assert_int_eq(rtvm_shield_destroy(ctx, NULL, cs, 0), 0);
	expect_unchanged(ctx);
	rtvm_changeset_unref(cs);
	rtvm_cpumask_free(rt);
	rtvm_unref(ctx);
}
END_TEST

/* One threaded cgroup per vCPU below the RT partition. */
START_TEST(test_add_threads_per_vcpu_v2)
{
	struct rtvm_ctx *ctx = new_ctx("v2host");
	struct rtvm_cpumask *rt = mask(ctx, "2-3");
	struct rtvm_changeset *cs;
	struct rtvm_shield_report *st;
	pid_t vcpus[2] = { 790, 791 }, main_thread[1] = { 777 };
	char *s;

	snapshot(ctx);
	ck_assert_int_eq(rtvm_changeset_new(ctx, &cs), 0);
	ck_assert_int_eq(rtvm_shield_create(ctx, rt, NULL, NULL, 0, cs, NULL),
			 0);
	/* a main thread cannot leave its process: refused, nothing done */
	ck_assert_int_eq(rtvm_shield_add_threads(ctx, NULL, main_thread, 1,
						 RTVM_SHIELD_PER_VCPU, cs),
			 -EINVAL);
	ck_assert_msg(strstr(log_last, "777 is its process's main thread"),
		      "%s", log_last);
	ck_assert(!exists(ctx, G "/rtvm-rt/vcpu0"));
	ck_assert_int_eq(rtvm_shield_add_threads(ctx, NULL, vcpus, 2,
						 RTVM_SHIELD_PER_VCPU, cs),
			 0);
	expect_file(ctx, G "/rtvm-rt/vcpu0/cgroup.type", "threaded");
	expect_file(ctx, G "/rtvm-rt/vcpu0/cpuset.cpus", "2");
	expect_file(ctx, G "/rtvm-rt/vcpu1/cgroup.type", "threaded");
	expect_file(ctx, G "/rtvm-rt/vcpu1/cpuset.cpus", "3");
	s = rd(ctx, G "/rtvm-rt/cgroup.subtree_control");
	ck_assert_msg(strstr(s, "cpuset"), "%s", s);
	free(s);
	s = rd(ctx, "proc/777/task/790/cgroup");
	ck_assert_str_eq(s, "0::/rtvm-rt/vcpu0");
	free(s);
	s = rd(ctx, "proc/777/task/791/cgroup");
	ck_assert_str_eq(s, "0::/rtvm-rt/vcpu1");
	free(s);
	s = rd(ctx, "proc/777/task/777/cgroup");
	ck_assert_str_eq(s, "0::/rtvm-rt");
	free(s);
	s = rd(ctx, "proc/777/task/791/status");
	ck_assert_msg(strstr(s, "Cpus_allowed_list:\t3\n"), "%s", s);
	free(s);
	ck_assert_int_eq(rtvm_shield_status(ctx, NULL, &st), 0);
	ck_assert_int_ge(count_kind(st, RTVM_SHIELD_IN_RT), 2);
	rtvm_shield_report_free(st);
	ck_assert_int_eq(rtvm_shield_destroy(ctx, NULL, cs, 0), 0);
	ck_assert(!exists(ctx, G "/rtvm-rt"));
	expect_unchanged(ctx);
	rtvm_changeset_unref(cs);
	rtvm_cpumask_free(rt);
	rtvm_unref(ctx);
}
END_TEST

START_TEST(test_bad_input_v2)
{
	struct rtvm_ctx *ctx = new_ctx("v2host");

	snapshot(ctx);
	/* cpuset not enabled below system.slice */
	expect_refused(ctx, "2-3", NULL, "/system.slice", 0, -EOPNOTSUPP,
		       "cpuset controller is not enabled below /system.slice");
	/* a partition below a member, on a kernel without
	 * cpuset.cpus.exclusive */
	expect_refused(ctx, "2-3", NULL, "/machine.slice", 0, -EOPNOTSUPP,
		       "not below /machine.slice");
	expect_refused(ctx, "1-3", "0-1", NULL, 0, -EINVAL, "overlap on 1");
	expect_unchanged(ctx);

	/* another partition holds CPU 3 */
	tu_write(ctx, G "/other/cpuset.cpus", "3\n");
	tu_write(ctx, G "/other/cpuset.cpus.partition", "isolated\n");
	tu_write(ctx, G "/other/cpuset.cpus.effective", "3\n");
	tu_write(ctx, G "/other/cgroup.procs", "");
	expect_refused(ctx, "2-3", NULL, NULL, 0, -EBUSY,
		       "cgroup /other is a isolated partition on CPUs 3");
	rtvm_unref(ctx);

	/* no cpuset controller in the v2 root */
	ctx = new_ctx("v2host");
	tu_write(ctx, G "/cgroup.controllers", "cpu io memory pids\n");
	expect_refused(ctx, "2-3", NULL, NULL, 0, -ENODEV,
		       "no cpuset controller");
	rtvm_unref(ctx);
}
END_TEST

START_TEST(test_invalid_partition_v2)
{
	struct rtvm_ctx *ctx = new_ctx("v2host");

	/* a kernel with cpuset.cpus.exclusive lets the request through; the
	 * parent is a member, so the partition comes back invalid */
	tu_write(ctx, G "/machine.slice/cpuset.cpus.exclusive", "\n");
	snapshot(ctx);
	expect_refused(ctx, "2-3", NULL, "/machine.slice", 0, -EINVAL,
		       "\"isolated invalid (Parent is not a partition root)\"");
	ck_assert(!exists(ctx, G "/machine.slice/rtvm-rt"));
	expect_unchanged(ctx);
	rtvm_unref(ctx);
}
END_TEST

START_TEST(test_report_accessors)
{
	ck_assert_str_eq(rtvm_shield_item_kind_to_string(RTVM_SHIELD_STRAY),
			 "stray");
	ck_assert_ptr_null(rtvm_shield_item_kind_to_string(99));
	ck_assert_ptr_null(rtvm_shield_item_kind_to_string(-1));
	ck_assert_int_eq(rtvm_shield_item_get_kind(NULL), -EINVAL);
	ck_assert_ptr_null(rtvm_shield_report_next(NULL, NULL));
	ck_assert_uint_eq(rtvm_shield_report_get_count(NULL, -1), 0);
	ck_assert(!rtvm_shield_report_is_active(NULL));
	ck_assert_ptr_null(rtvm_shield_report_free(NULL));
	ck_assert_int_eq(rtvm_shield_status(NULL, NULL, NULL), -EINVAL);
	ck_assert_int_eq(rtvm_shield_destroy(NULL, NULL, NULL, 0), -EINVAL);
	ck_assert_int_eq(rtvm_shield_add_threads(NULL, NULL, NULL, 0, 0, NULL),
			 -EINVAL);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("shield");
	TCase *tc = tcase_create("shield");

	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_bad_input_v1);
	tcase_add_test(tc, test_other_exclusive);
	tcase_add_test(tc, test_no_cpuset);
	tcase_add_test(tc, test_create_destroy_v1);
	tcase_add_test(tc, test_changeset_json_undo);
	tcase_add_test(tc, test_no_kthreads_flag);
	tcase_add_test(tc, test_dry_run_v1);
	tcase_add_test(tc, test_faults);
	tcase_add_test(tc, test_add_threads_v1);
	tcase_add_test(tc, test_scope_v1);
	tcase_add_test(tc, test_narrow_scope_default_hk);
	tcase_add_test(tc, test_create_destroy_v2);
	tcase_add_test(tc, test_add_threads_v2);
	tcase_add_test(tc, test_add_threads_per_vcpu_v2);
	tcase_add_test(tc, test_bad_input_v2);
	tcase_add_test(tc, test_invalid_partition_v2);
	tcase_add_test(tc, test_report_accessors);
	suite_add_tcase(s, tc);
	return tu_run(s);
}
