/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* librtvm: CPU shields.  Include <rtvm/rtvm.h>, which includes this. */
#ifndef RTVM_SHIELD_H
#define RTVM_SHIELD_H

#include <rtvm/context.h>
#include <rtvm/cpumask.h>
#include <rtvm/change.h>
#include <rtvm/vm.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ------------------------------------------------------------------ */
/* CPU shields: cpusets that keep the host off the RT CPUs            */
/* ------------------------------------------------------------------ */

/* rtvm_shield_*() flags */
#define RTVM_SHIELD_DRY_RUN (1u << 0)	   /* plan and report; change nothing */
#define RTVM_SHIELD_NO_KTHREADS (1u << 1)  /* leave unbound kernel threads */
#define RTVM_SHIELD_NO_WORKQUEUE (1u << 2) /* leave the workqueue masks */
#define RTVM_SHIELD_PER_VCPU (1u << 3)	   /* add_threads: a cpuset per thread */

/** What an entry of a shield report says. */
enum rtvm_shield_item_kind {
	RTVM_SHIELD_MOVED = 0,	  /* a task moved (dry run: would move) */
	RTVM_SHIELD_NOT_MOVED,	  /* a task that could not move; see reason */
	RTVM_SHIELD_PER_CPU,	  /* a per-CPU kernel thread of an RT CPU, left */
	RTVM_SHIELD_STRAY,	  /* status: a task allowed on RT CPUs outside
				   * the RT cgroup */
	RTVM_SHIELD_IN_RT,	  /* status: a task in the RT cgroup */
	RTVM_SHIELD_CGROUP,	  /* another cgroup whose CPUs were narrowed */
	RTVM_SHIELD_FILE,	  /* a host setting (workqueue mask) written */
	RTVM_SHIELD_NOTE,	  /* something left undone, and why; in a
				   * dry run, a cgroup it would make (new:
				   * its CPUs) */
};

struct rtvm_shield_report;
struct rtvm_shield_item;

/**
 * rtvm_shield_create() - give RT CPUs to nobody: a housekeeping cpuset for
 *      everything else and an exclusive RT cpuset for the VM's threads.
 * @ctx: the context.
 * @rt_cpus: the CPUs to shield.
 * @housekeeping: the CPUs left to the host, or NULL for every online CPU
 *                of @scope not in @rt_cpus.
 * @scope: the cpuset cgroup the shield is built in and whose tasks it
 *         moves, as a path in the hierarchy ("/my/parent"); NULL or "/"
 *         for the whole host.  The shield's cgroups are SCOPE/rtvm-rt and,
 *         on cgroup v1, SCOPE/rtvm-housekeeping.
 * @flags: RTVM_SHIELD_DRY_RUN, RTVM_SHIELD_NO_KTHREADS,
 *         RTVM_SHIELD_NO_WORKQUEUE.
 * @cs: the changeset that receives the records (cgroups made, tasks moved
 *      with their old cgroup and affinity, files written with their old
 *      value), or NULL.  rtvm_shield_destroy() or rtvm_changeset_restore()
 *      undo them.
 * @ret: where the report is stored (tasks moved, not moved with the
 *       reason, per-CPU kernel threads left, cgroups narrowed, masks set),
 *       or NULL.
 *
 * cgroup v1: the RT cpuset gets cpu_exclusive=1 and sched_load_balance=0
 * (and so does the scope's load balancing), both get the scope's mems.
 * The kernel allows an exclusive cpuset only below an exclusive one: in a
 * scope that is not cpu_exclusive the RT cpuset is not either, and the
 * report says so in a RTVM_SHIELD_NOTE (nothing above the scope is ever
 * changed).
 * Other cpusets of the scope that use RT CPUs (libvirt's machine.slice)
 * are narrowed to their other CPUs, children first.  Every task of the
 * scope's own cpuset, unbound kernel threads included, moves to
 * housekeeping; the scan repeats until a pass finds nothing left to move,
 * so children forked meanwhile follow.  Per-CPU kernel threads stay.  A
 * thread pinned more narrowly than its cpuset keeps what is left of its
 * pinning on housekeeping CPUs.
 * cgroup v2: the RT cgroup becomes an isolated partition
 * (cpuset.cpus.exclusive where the kernel has it; "root" when it refuses
 * "isolated"); its state is read back.  The kernel itself moves tasks off
 * a partition's CPUs; system.slice, user.slice and init.scope get
 * cpuset.cpus = housekeeping, as systemd's AllowedCPUs= would.
 * With the whole host as scope, the unbound workqueue cpumask and that of
 * every workqueue that has one (writeback) are set to housekeeping.
 *
 * Returns: 0, or -EINVAL (NULL @ctx or @rt_cpus, unknown flags, an empty
 * mask, an offline or nonexistent CPU, RT and housekeeping CPUs that
 * overlap, CPUs outside the scope, a bad scope, a v2 partition the kernel
 * declares invalid: the log quotes its reason), -ENOENT (no such scope),
 * -ENODEV (no cpuset controller mounted, or none in cgroup v2),
 * -EOPNOTSUPP (cgroup v2 with cpuset not enabled in the scope's
 * cgroup.subtree_control, or a partition below a non-partition without
 * cpuset.cpus.exclusive), -EEXIST (a shield is there already), -EBUSY
 * (another exclusive cpuset or partition holds RT CPUs, or a cpuset runs
 * only on RT CPUs and cannot be narrowed: the log names it), -EPERM/-EACCES
 * (not root), -ENOMEM.  Nothing is changed on failure: what was done is
 * undone.
 * Privileges: root (write access to the cpuset hierarchy and to every
 * task moved).
 */
int rtvm_shield_create(struct rtvm_ctx *ctx,
		       const struct rtvm_cpumask *rt_cpus,
		       const struct rtvm_cpumask *housekeeping,
		       const char *scope, unsigned int flags,
		       struct rtvm_changeset *cs,
		       struct rtvm_shield_report **ret);

/**
 * rtvm_shield_status() - whether a shield is in place, on which CPUs, and
 *      what still runs on them.
 * @ctx: the context.
 * @scope: as for rtvm_shield_create().
 * @ret: where the report is stored: RTVM_SHIELD_IN_RT for the tasks of
 *       the RT cgroup, RTVM_SHIELD_PER_CPU for per-CPU kernel threads of
 *       RT CPUs, RTVM_SHIELD_STRAY for any other task allowed on an RT CPU.
 *       Without a shield the report is not active and lists nothing.
 *
 * Returns: 0, or -EINVAL (NULL argument, bad scope), -ENODEV (no cpuset
 * controller), -ENOMEM.
 * Privileges: none.
 */
int rtvm_shield_status(struct rtvm_ctx *ctx, const char *scope,
		       struct rtvm_shield_report **ret);

/**
 * rtvm_shield_destroy() - remove a shield and put everything back.
 * @ctx: the context.
 * @scope: as for rtvm_shield_create().
 * @cs: the records of rtvm_shield_create() (and rtvm_shield_add_threads()),
 *      or NULL.  With them every moved task returns to the cgroup it came
 *      from, its affinity and every narrowed cgroup and mask are restored.
 *      Without them, the tasks still in the shield's cgroups go to the
 *      scope and the cgroups are removed.
 * @flags: 0 or RTVM_SHIELD_DRY_RUN (log what would be done).
 *
 * Tasks forked inside the shield after it was made go to the scope too.
 *
 * Returns: 0 (also when there is no shield), or -EINVAL (NULL @ctx,
 * unknown flags, bad scope), -ENODEV, -EPERM/-EACCES, -EBUSY (a cgroup
 * could not be removed), or the first error of a record that could not be
 * restored (the others are restored all the same).
 * Privileges: root.
 */
int rtvm_shield_destroy(struct rtvm_ctx *ctx, const char *scope,
			struct rtvm_changeset *cs, unsigned int flags);

/**
 * rtvm_shield_add_threads() - put threads (a VM's vCPUs) into the RT
 *      cgroup of a shield.
 * @ctx: the context.
 * @scope: as for rtvm_shield_create().
 * @tids: the threads.
 * @n: how many.
 * @flags: 0 or RTVM_SHIELD_PER_VCPU: thread i goes into its own cpuset
 *         rtvm-rt/vcpuI holding the i-th RT CPU.
 * @cs: the changeset, or NULL.
 *
 * On cgroup v2 a thread's whole process moves into rtvm-rt (the v2 rule
 * for domain cgroups); with RTVM_SHIELD_PER_VCPU the vcpuI cgroups are
 * threaded (cgroup.type), cpuset is enabled in rtvm-rt's
 * cgroup.subtree_control, and thread i then moves alone into vcpuI
 * (cgroup.threads).  The records put each thread of a moved process back
 * into its own cgroup, threaded ones such as libvirt's included.  All or
 * nothing.
 *
 * Returns: 0, or -EINVAL (NULL argument, @n 0, unknown flags, more threads
 * than RT CPUs with RTVM_SHIELD_PER_VCPU, or on cgroup v2 a process's main
 * thread with RTVM_SHIELD_PER_VCPU), -ENOENT (no shield in the scope),
 * -ESRCH (no such thread: the log names it), -EOPNOTSUPP (the kernel
 * refused a thread move), -EPERM/-EACCES, -ENOMEM.
 * Privileges: root.
 */
int rtvm_shield_add_threads(struct rtvm_ctx *ctx, const char *scope,
			    const pid_t *tids, unsigned int n,
			    unsigned int flags, struct rtvm_changeset *cs);

/**
 * rtvm_shield_report_free() - free a report.
 * @report: the report, or NULL.
 *
 * Returns: NULL, always.
 * Privileges: none.
 */
struct rtvm_shield_report *
rtvm_shield_report_free(struct rtvm_shield_report *report);

/**
 * rtvm_shield_report_is_active() - whether a shield exists (status), or
 *      was made (create; false for a dry run).
 * @report: the report.
 *
 * Returns: true or false (false for NULL).
 * Privileges: none.
 */
bool rtvm_shield_report_is_active(const struct rtvm_shield_report *report);

/**
 * rtvm_shield_report_get_cgroup_version() - the cpuset hierarchy used.
 * @report: the report.
 *
 * Returns: 1 or 2, or -EINVAL for NULL.
 * Privileges: none.
 */
int rtvm_shield_report_get_cgroup_version(const struct rtvm_shield_report *report);

/**
 * rtvm_shield_report_get_cgroup() - the RT cgroup, e.g. "cpuset:/rtvm-rt"
 *      (v1) or ":/rtvm-rt" (v2).
 * @report: the report.
 *
 * Returns: the path (lent), or NULL for NULL.
 * Privileges: none.
 */
const char *rtvm_shield_report_get_cgroup(const struct rtvm_shield_report *report);

/**
 * rtvm_shield_report_get_rt_cpus() - the shielded CPUs.
 * @report: the report.
 *
 * Returns: the mask (lent), or NULL (no shield, or NULL @report).
 * Privileges: none.
 */
const struct rtvm_cpumask *
rtvm_shield_report_get_rt_cpus(const struct rtvm_shield_report *report);

/**
 * rtvm_shield_report_get_housekeeping() - the CPUs left to the host.
 * @report: the report.
 *
 * Returns: the mask (lent), or NULL (no shield, or NULL @report).
 * Privileges: none.
 */
const struct rtvm_cpumask *
rtvm_shield_report_get_housekeeping(const struct rtvm_shield_report *report);

/**
 * rtvm_shield_report_get_rounds() - how many scans moving tasks took (the
 *      last one found nothing left).
 * @report: the report.
 *
 * Returns: the count; 0 when no task was scanned or for NULL.
 * Privileges: none.
 */
unsigned int rtvm_shield_report_get_rounds(const struct rtvm_shield_report *report);

/**
 * rtvm_shield_report_get_count() - how many entries of one kind.
 * @report: the report.
 * @kind: an enum rtvm_shield_item_kind, or -1 for all.
 *
 * Returns: the count, 0 for NULL.
 * Privileges: none.
 */
unsigned int rtvm_shield_report_get_count(const struct rtvm_shield_report *report,
					  int kind);

/**
 * rtvm_shield_report_next() - iterate over the entries, in order.
 * @report: the report.
 * @prev: the previous entry, or NULL to start.
 *
 * Returns: the next entry (lent), or NULL at the end.
 * Privileges: none.
 */
const struct rtvm_shield_item *
rtvm_shield_report_next(const struct rtvm_shield_report *report,
			const struct rtvm_shield_item *prev);

/** Iterate @i (a const struct rtvm_shield_item *) over a report. */
#define rtvm_shield_report_foreach(i, report)                            \
	for ((i) = rtvm_shield_report_next((report), NULL); (i);          \
	     (i) = rtvm_shield_report_next((report), (i)))

/**
 * rtvm_shield_item_get_kind() - what the entry says.
 * @item: the entry.
 *
 * Returns: an enum rtvm_shield_item_kind, or -EINVAL for NULL.
 * Privileges: none.
 */
int rtvm_shield_item_get_kind(const struct rtvm_shield_item *item);

/**
 * rtvm_shield_item_kind_to_string() - "moved", "not-moved", "per-cpu",
 *      "stray", "in-rt", "cgroup", "file" or "note".
 * @kind: an enum rtvm_shield_item_kind.
 *
 * Returns: a static string, or NULL for an unknown kind.
 * Privileges: none.
 */
const char *rtvm_shield_item_kind_to_string(int kind);

/**
 * rtvm_shield_item_get_pid() - the task's process id.
 * @item: the entry.
 *
 * Returns: the pid, 0 for entries that are not tasks, -EINVAL for NULL.
 * Privileges: none.
 */
pid_t rtvm_shield_item_get_pid(const struct rtvm_shield_item *item);

/**
 * rtvm_shield_item_get_tid() - the task's thread id.
 * @item: the entry.
 *
 * Returns: the tid, 0 for entries that are not tasks, -EINVAL for NULL.
 * Privileges: none.
 */
pid_t rtvm_shield_item_get_tid(const struct rtvm_shield_item *item);

/**
 * rtvm_shield_item_get_comm() - the task's name.
 * @item: the entry.
 *
 * Returns: the name (lent), or NULL (not a task, or NULL @item).
 * Privileges: none.
 */
const char *rtvm_shield_item_get_comm(const struct rtvm_shield_item *item);

/**
 * rtvm_shield_item_get_target() - where a task went (or would go), the
 *      cgroup of a stray or RT task, the cgroup narrowed, or the file
 *      written (a host path).
 * @item: the entry.
 *
 * Returns: the text (lent), or NULL when none or for NULL.
 * Privileges: none.
 */
const char *rtvm_shield_item_get_target(const struct rtvm_shield_item *item);

/**
 * rtvm_shield_item_get_old() - the value before: a task's cgroup, a
 *      cgroup's or file's old CPUs; for per-CPU and stray tasks their
 *      affinity.
 * @item: the entry.
 *
 * Returns: the text (lent), or NULL when none or for NULL.
 * Privileges: none.
 */
const char *rtvm_shield_item_get_old(const struct rtvm_shield_item *item);

/**
 * rtvm_shield_item_get_new() - the value after, for cgroups and files.
 * @item: the entry.
 *
 * Returns: the text (lent), or NULL when none or for NULL.
 * Privileges: none.
 */
const char *rtvm_shield_item_get_new(const struct rtvm_shield_item *item);

/**
 * rtvm_shield_item_get_reason() - why a task did not move or is where it
 *      is, in words.
 * @item: the entry.
 *
 * Returns: the text (lent), or NULL when none or for NULL.
 * Privileges: none.
 */
const char *rtvm_shield_item_get_reason(const struct rtvm_shield_item *item);

#ifdef __cplusplus
}
#endif

#endif /* RTVM_SHIELD_H */
