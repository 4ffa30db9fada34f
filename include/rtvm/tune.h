/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* librtvm: Profiles and transactions.  Include <rtvm/rtvm.h>, which includes this. */
#ifndef RTVM_TUNE_H
#define RTVM_TUNE_H

#include <rtvm/context.h>
#include <rtvm/cpumask.h>
#include <rtvm/change.h>
#include <rtvm/vm.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ------------------------------------------------------------------ */
/* Profiles and transactions: plan, apply and revert a VM's setup     */
/* ------------------------------------------------------------------ */

struct rtvm_profile;
struct rtvm_plan;

/**
 * rtvm_profile_new_from_json() - parse a profile: the desired real-time
 *      setup of one VM (schema version 1, see rtvm-profile(5)).
 * @ctx: the context; the profile holds a reference on it.
 * @json: the document.
 * @ret: where the profile is stored (one reference).
 *
 * Parsing is strict: unknown keys, wrong types and values out of range
 * are errors, logged with the JSON path and the value, e.g.
 * ".vcpus[2].priority: 120 is outside 1..99".  So is the JSON itself:
 * UTF-8 only, no \u0000, no key twice in an object, nothing but
 * whitespace after the document.  CPU numbers are checked against the
 * host when a plan is made.
 *
 * Returns: 0, or -EINVAL (NULL argument, not JSON, a bad or unknown
 * field: the log names it), -ENOMEM.
 * Privileges: none.
 */
int rtvm_profile_new_from_json(struct rtvm_ctx *ctx, const char *json,
			       struct rtvm_profile **ret);

/**
 * rtvm_profile_new_builtin() - a built-in profile by name.
 * @ctx: the context.
 * @name: "rt-host" (tuned's realtime-virtual-host settings that can be
 *        made at runtime: RT vCPUs FIFO 1, IRQs, unbound work and other
 *        threads on housekeeping CPUs, kernel threads, THP and KSM off,
 *        timer migration off, RT throttling off, PM QoS 0 on RT CPUs) or
 *        "nova-rt" (Nova's hw:cpu_realtime: RT vCPUs FIFO 1, emulator and
 *        iothreads on housekeeping CPUs) or "kubevirt-rt" (KubeVirt's
 *        dedicated CPUs with realtime and an isolated emulator thread:
 *        RT vCPUs FIFO 1, the emulator on housekeeping CPUs, PM QoS 0 on
 *        the RT CPUs); rtvm_profile_get_builtin() lists them.
 * @ret: where the profile is stored (one reference).
 *
 * Built-in profiles select no VM and no CPUs: the VM is given to the plan,
 * the RT CPUs default to the host's isolated CPUs.
 *
 * Returns: 0, or -EINVAL (NULL argument), -ENOENT (no such profile),
 * -ENOMEM.
 * Privileges: none.
 */
int rtvm_profile_new_builtin(struct rtvm_ctx *ctx, const char *name,
			     struct rtvm_profile **ret);

/**
 * rtvm_profile_get_builtin() - the built-in profiles, one by one.
 * @index: 0, 1, ... until NULL comes back.
 * @ret_description: where a one-line description is stored (static), or
 *                   NULL.
 *
 * Returns: the name of the @index-th built-in profile (static), for
 * rtvm_profile_new_builtin(); NULL past the last.
 * Privileges: none.
 */
const char *rtvm_profile_get_builtin(unsigned int index,
				     const char **ret_description);

/**
 * rtvm_profile_ref() - take a reference on a profile.
 * @p: the profile, or NULL.
 *
 * Returns: @p.
 * Privileges: none.
 */
struct rtvm_profile *rtvm_profile_ref(struct rtvm_profile *p);

/**
 * rtvm_profile_unref() - drop a reference; the last frees the profile.
 * @p: the profile, or NULL.
 *
 * Returns: NULL, always.
 * Privileges: none.
 */
struct rtvm_profile *rtvm_profile_unref(struct rtvm_profile *p);

/**
 * rtvm_profile_get_name() - the profile's "name".
 * @p: the profile.
 *
 * Returns: the name (lent), or NULL when it has none or @p is NULL.
 * Privileges: none.
 */
const char *rtvm_profile_get_name(const struct rtvm_profile *p);

/**
 * rtvm_profile_to_json() - the profile's document, compact.
 * @p: the profile.
 * @ret: where the text is stored; free() it.
 *
 * Returns: 0, or -EINVAL (NULL argument), -ENOMEM.
 * Privileges: none.
 */
int rtvm_profile_to_json(const struct rtvm_profile *p, char **ret);

/**
 * rtvm_profile_get_vm() - the VM the profile selects.
 * @p: the profile.
 * @ret_uri: the libvirt URI, or NULL (may be NULL).
 * @ret_domain: the libvirt domain name or UUID, or NULL (may be NULL).
 * @ret_pid: the VMM's pid, or 0 (may be NULL).
 *
 * Returns: 0, -ENOENT when the profile selects no VM, -EINVAL for NULL @p.
 * Privileges: none.
 */
int rtvm_profile_get_vm(const struct rtvm_profile *p, const char **ret_uri,
			const char **ret_domain, pid_t *ret_pid);

struct rtvm_boost_policy;

/**
 * rtvm_profile_get_boost_policy() - the boost policy the profile gives
 *      the VM's guest (its "boost" key, rtvm-profile(5)).
 * @p: the profile.
 * @ret: where the policy is stored, whole (struct rtvm_boost_policy of
 *       <rtvm/boost.h>, its size member set); a field left 0 in the
 *       profile is 0 here too, which rtvm_boost_add_vm() reads as its
 *       default.
 *
 * The policy is for a broker (rtvm_boost_add_vm(), rtvm-boostd(8));
 * applying the profile does not start one.
 *
 * Returns: 0, or -ENOENT (the profile has no "boost" key, or an empty
 * one), -EINVAL (NULL argument).
 * Privileges: none.
 */
int rtvm_profile_get_boost_policy(const struct rtvm_profile *p,
				  struct rtvm_boost_policy *ret);

/**
 * rtvm_set_state_dir() - where applied profiles keep their journals.
 * @ctx: the context.
 * @path: an absolute directory (created when missing, mode 0700), or NULL
 *        for the default: $RTVM_STATE_DIR when set, else /run/rtvm (inside
 *        the sysroot when one is set).
 *
 * Returns: 0, or -EINVAL (NULL @ctx, a relative path), -ENOMEM.
 * Privileges: none.
 */
int rtvm_set_state_dir(struct rtvm_ctx *ctx, const char *path);

/**
 * rtvm_tune_plan() - the exact list of changes that applying a profile to
 *      a VM would make now; nothing is changed.
 * @ctx: the context.
 * @p: the profile.
 * @vm: the VM (from rtvm_vm_new_from_pid() or rtvm_vm_new_from_libvirt()).
 * @ret: where the plan is stored (one reference).
 *
 * Each step is one write: a sysctl, a sysfs file, an IRQ's affinity, a
 * thread's affinity or scheduling, with the value it has now and the
 * value it gets, in the order an apply makes them (host settings, IRQs,
 * kernel threads, the shield, pins, priorities, PM QoS).  Settings other
 * VMs of the state directory hold already are leases, not writes.  A
 * shield's steps (cgroups made and narrowed, tasks moved, the RT vCPUs
 * moved into the RT cgroup) are predicted by its dry run
 * (rtvm_shield_create() with RTVM_SHIELD_DRY_RUN) and marked so in
 * rtvm_plan_to_json(); the apply journals what the shield really does,
 * tasks forked meanwhile included.  With "provision_rt_runtime", the
 * cpu cgroups of the threads that get SCHED_FIFO or SCHED_RR, and their
 * ancestors, that have no RT runtime (cpu.rt_runtime_us 0 under
 * CONFIG_RT_GROUP_SCHED, where the kernel refuses those policies) are
 * given some by RTVM_CHANGE_FILE steps on their cpu.rt_runtime_us
 * (top-down, after the pins and before the priorities); without it such
 * a cgroup is a warning in the log.  A plan reads the state directory
 * and never makes it (only an apply does).
 *
 * A VM that has this profile applied already gets a plan with no steps
 * (rtvm_plan_is_applied() is 1).  "This profile" is the same document
 * in normal form, as the VM's journal records it: key order and
 * whitespace do not matter, values do, and a key given with its default
 * value is not the same as the key left out; it must also be for the
 * same VMM process (a VM restarted under its old name is not the VM the
 * journal is for), and resolve to the same RT and housekeeping CPUs.
 * Such a plan also holds the settings of the journal that drifted since
 * (rtvm_plan_get_drift_count(), "drift" in rtvm_plan_to_json()); they
 * are reported, not put back.  A VM with another profile applied (or
 * this one meaning other CPUs now) gets a difference plan: the steps
 * that take the host from its state now to the state a first apply of
 * this profile would leave, each marked "diff" in rtvm_plan_to_json()
 * ("add", "change", or "put back": a setting the old profile made that
 * this one leaves alone returns to its value before the first apply),
 * "update" true and "previous_profile".  The shield is kept as it is: a
 * profile that changes it (whether there is one, its CPUs or scope, its
 * flags, which vCPUs are RT) is -EEXIST.
 *
 * Returns: 0, or -EINVAL (NULL argument; CPUs that are offline, RT CPUs
 * that are housekeeping too, a vCPU map that does not fit the VM: the log
 * names the value), -ENOSPC (RT runtime to provision that the parent
 * cgroups' budget does not have: the log names the cgroup), -EBUSY (RT CPUs, a setting or the shield held by
 * another VM, or an unfinished apply of another VM: the log names it;
 * one VM at a time holds a shield), the errors of rtvm_shield_create()
 * for a profile with a shield, -EEXIST (the VM
 * has a profile applied already for another process of the VM, one whose
 * shield differs, or by a journal of an older librtvm that does not
 * record its document or mark its shield's records: the log says which;
 * revert it first), -EBUSY
 * also for an unfinished apply of this VM, -ENOENT (a host setting the
 * kernel does not have), -ESRCH (the VM's process is gone), -ENOMEM, or
 * an error reading the host.
 * Privileges: none; reading some threads' attributes may need root.
 */
int rtvm_tune_plan(struct rtvm_ctx *ctx, const struct rtvm_profile *p,
		   struct rtvm_vm *vm, struct rtvm_plan **ret);

/**
 * rtvm_tune_apply() - apply a profile to a VM, all or nothing, with a
 *      crash-safe journal.
 * @ctx: the context.
 * @p: the profile.
 * @vm: the VM.
 * @flags: must be 0.
 * @ret_plan: where the plan that was applied is stored (may be NULL).
 *
 * Under an exclusive lock of the state directory, the plan is made (see
 * rtvm_tune_plan()) and run step by step.  Before each write, its target
 * and original value are in the VM's journal and synced, so that
 * rtvm_tune_revert() can undo it even when the process dies at any point.
 * The shield (and RT runtime provisioning, should the kernel refuse a
 * policy after the plan's runtime steps) records each of its writes the
 * same way, before it makes it.  Records go in batches of up to 256
 * (group commit): a batch's records are written and synced at once, then
 * its writes are made; the shield batches its task moves the same way.
 * When a step fails, the steps made are undone, the journal removed, and
 * the step's error returned.
 *
 * A difference plan (another profile for a VM that has one, see
 * rtvm_tune_plan()) appends to the VM's journal instead: an "update"
 * line, then its records as above, so that rtvm_tune_revert() after it,
 * or after a crash at any point of it, restores the state before the
 * VM's first apply.  When one of its steps fails, the steps it made are
 * undone and the journal is the old profile's again (complete, so a
 * re-apply of the old profile changes nothing).
 *
 * Re-applying the profile a VM has applied already (see
 * rtvm_tune_plan() for what "the same" means) writes nothing, leaves the
 * journal as it is and returns 0 with a plan that has no changes and
 * rtvm_plan_is_applied() 1; settings that drifted since are counted by
 * rtvm_plan_get_drift_count() and logged at LOG_WARNING, not put back.
 * A revert after it restores the state before the first apply.
 *
 * Returns: 0, or the errors of rtvm_tune_plan(), -EINVAL (unknown flags),
 * the error of the failing step (-EPERM, -ESRCH, -EIO, ...), or an error
 * of the state directory (-EACCES, -EROFS, -ENOSPC).
 * Privileges: those of the changes: root for sysctls, sysfs, IRQs and
 * cgroups (shield, RT runtime), CAP_SYS_NICE for threads.
 */
int rtvm_tune_apply(struct rtvm_ctx *ctx, const struct rtvm_profile *p,
		    struct rtvm_vm *vm, unsigned int flags,
		    struct rtvm_plan **ret_plan);

/**
 * rtvm_tune_revert() - put back everything a VM's journal records.
 * @ctx: the context.
 * @vm_id: the VM's id: the libvirt domain name, or "pid-PID" for a VM
 *         found by pid (rtvm_plan_get_vm_id() tells it).
 * @flags: must be 0.
 *
 * Works after an apply that was killed at any point, and on a journal
 * that is already reverted (nothing to do).  Settings that other VMs of
 * the state directory hold too are left to them; the last VM's revert
 * puts them back.  RT runtime a provisioning apply raised
 * (cpu.rt_runtime_us) is a budget several VMs raise in turn: the revert
 * takes back what this VM added, so the runtime other VMs added stays,
 * whichever is reverted first (and less runtime than the VM added is
 * drift; more is not).  The journal is removed when everything was
 * restored.
 *
 * Returns: 0, or -EINVAL (NULL argument, unknown flags, an id that cannot
 * be a file name), -ENOENT (no journal for @vm_id), -EBADMSG (a journal
 * that does not parse), or the first error of restoring (the journal is
 * kept: revert again).
 * Privileges: those of the changes being undone.
 */
int rtvm_tune_revert(struct rtvm_ctx *ctx, const char *vm_id,
		     unsigned int flags);

/**
 * rtvm_tune_status() - what is applied for which VM, and drift: recorded
 *      settings that no longer have the value applied.
 * @ctx: the context.
 * @vm_id: one VM, or NULL for every VM of the state directory.
 * @ret_json: where a JSON document is stored; free() it.  Its form is
 *       {"version": 1, "vms": [{"vm": ID, "profile": NAME, "rt_cpus": LIST,
 *       "complete": BOOL, "steps": N, "drift": [{"kind": ..., "target":
 *       ..., "applied": ..., "now": ...}, ...]}, ...]}; "complete" is false
 *       for an apply that did not finish (revert it).  A vCPU thread
 *       re-created under a new tid (see rtvm_tune_reconcile()) is drift
 *       of the new thread's target, with "recreated_from" and "name".
 *
 * Returns: 0, or -EINVAL (NULL @ctx or @ret_json), -ENOENT (no journal for
 * @vm_id), -EBADMSG, -ENOMEM.  A state directory that does not exist
 * holds no VM: it is not made.
 * Privileges: read access to the state directory.
 */
int rtvm_tune_status(struct rtvm_ctx *ctx, const char *vm_id,
		     char **ret_json);

/**
 * rtvm_tune_reconcile() - put settings that drifted back to the values a
 *      VM's profile applied.
 * @ctx: the context.
 * @vm_id: one VM (as rtvm_plan_get_vm_id() names it), or NULL for every
 *         VM of the state directory.
 * @flags: must be 0.
 * @ret_json: where a JSON document is stored (also when -EAGAIN is
 *       returned); free() it.  Its form is {"version": 1, "failed": N,
 *       "vms": [{"vm": ID, "complete": BOOL, "reconciled": [{"kind": ...,
 *       "target": ..., "applied": ..., "now": ... (or "error": ...),
 *       "result": "put back" | "error", "reason": ...}, ...]}, ...]}; an
 *       entry of a re-created vCPU thread also has "recreated_from" (the
 *       gone thread's target) and "name" (its role name, "CPU 0/KVM").
 *
 * What rtvm_tune_status() reports as drift (an IRQ whose affinity a
 * driver reset, a thread re-prioritized or re-pinned by someone else, a
 * task that left the cgroup the shield put it in) is written again, each
 * put-back logged at LOG_INFO.  The journal keeps the original values: a
 * revert still restores the state before the first apply.  Threads that
 * are gone are not drift.  A vCPU thread re-created since the apply (CPU
 * hot-plug: the same VM process and thread name, a new tid) is given the
 * scheduling policy and pin its role had; its own values are appended to
 * the journal first (made durable before the change), so a revert puts
 * it back to them, and skips the gone thread's records with a LOG_INFO
 * line.  Only journals that record thread names (written by this version
 * or later) and settings the apply changed are found again this way; the
 * new thread's cgroup membership is not changed.  An apply that did not
 * finish is not reconciled (revert it).  Safe to run from a timer: the
 * state directory's lock orders it with applies and reverts.
 *
 * Returns: 0 when nothing drifted or all was put back; -EAGAIN when a
 * setting could not be put back or an apply was unfinished (the document
 * says which; the others are put back), -EINVAL (NULL @ctx or @ret_json,
 * unknown flags), -ENOENT (no journal for @vm_id), -EBADMSG, -ENOMEM, or
 * an error of the state directory.
 * Privileges: those of the settings written: root for sysctls, sysfs,
 * IRQs and cgroups, CAP_SYS_NICE for threads.
 */
int rtvm_tune_reconcile(struct rtvm_ctx *ctx, const char *vm_id,
			unsigned int flags, char **ret_json);

/**
 * rtvm_plan_unref() - free a plan.
 * @plan: the plan, or NULL.
 *
 * Returns: NULL, always.
 * Privileges: none.
 */
struct rtvm_plan *rtvm_plan_unref(struct rtvm_plan *plan);

/**
 * rtvm_plan_get_vm_id() - the id the VM's journal has.
 * @plan: the plan.
 *
 * Returns: the id (lent), or NULL for NULL.
 * Privileges: none.
 */
const char *rtvm_plan_get_vm_id(const struct rtvm_plan *plan);

/**
 * rtvm_plan_is_applied() - whether the plan found its profile applied to
 *      its VM already (see rtvm_tune_plan()).
 * @plan: the plan.
 *
 * Returns: 1 when it was (the plan has no steps and an apply of it
 * writes nothing), 0 when not, -EINVAL for NULL.
 * Privileges: none.
 */
int rtvm_plan_is_applied(const struct rtvm_plan *plan);

/**
 * rtvm_plan_get_drift_count() - of a plan whose profile is applied
 *      already, how many of the settings its journal records no longer
 *      have the value applied (the "drift" of rtvm_plan_to_json() and
 *      rtvm_tune_status()).
 * @plan: the plan.
 *
 * Returns: the number (0 for a plan that is not rtvm_plan_is_applied()),
 * or -EINVAL for NULL.
 * Privileges: none.
 */
int rtvm_plan_get_drift_count(const struct rtvm_plan *plan);

/**
 * rtvm_plan_get_changes() - the writes of a plan, in order, as change
 *      records (old: the value now, new: the value applied).
 * @plan: the plan.
 *
 * Returns: the records (lent by @plan), or NULL for NULL.
 * Privileges: none.
 */
const struct rtvm_changeset *rtvm_plan_get_changes(const struct rtvm_plan *plan);

/**
 * rtvm_plan_to_json() - a plan as JSON.
 * @plan: the plan.
 * @ret: where the document is stored; free() it.  Its form is
 *       {"version": 1, "vm": ID, "profile": NAME, "rt_cpus": LIST,
 *       "housekeeping_cpus": LIST, "applied": BOOL, "steps": [{"kind": ...,
 *       "target": ..., "old": ..., "new": ..., "shared": BOOL, "lease":
 *       BOOL}, ...]}; a lease writes nothing.  With "applied" true (the
 *       profile is applied already, "steps" is empty) there is also
 *       "drift": [{"kind": ..., "target": ..., "applied": ..., "now": ...
 *       or "error": ...}, ...], as in rtvm_tune_status().
 *
 * Returns: 0, or -EINVAL (NULL argument), -ENOMEM.
 * Privileges: none.
 */
int rtvm_plan_to_json(const struct rtvm_plan *plan, char **ret);

#ifdef __cplusplus
}
#endif

#endif /* RTVM_TUNE_H */
