/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* librtvm: Scheduling.  Include <rtvm/rtvm.h>, which includes this. */
#ifndef RTVM_SCHED_H
#define RTVM_SCHED_H

#include <rtvm/context.h>
#include <rtvm/cpumask.h>
#include <rtvm/host.h>
#include <rtvm/change.h>
#include <rtvm/vm.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ------------------------------------------------------------------ */
/* Scheduling: policies and pinning of threads and VMs                */
/* ------------------------------------------------------------------ */

/** Scheduling attributes, as sched_setattr(2) has them. */
struct rtvm_sched_attr {
	size_t size;	      /* sizeof(struct rtvm_sched_attr) */
	int policy;	      /* SCHED_OTHER, _BATCH, _IDLE, _FIFO, _RR, _DEADLINE (6) */
	int priority;	      /* 1..99 for FIFO and RR, else 0 */
	int nice;	      /* -20..19; FIFO, RR and DEADLINE keep the
			       * thread's own, which it goes back to with
			       * SCHED_OTHER (reported, and restored) */
	unsigned long long runtime_ns;	/* SCHED_DEADLINE: runtime <= deadline */
	unsigned long long deadline_ns; /* <= period */
	unsigned long long period_ns;	/* 0: the deadline */
};

/* rtvm_thread_set_sched() and rtvm_vm_set_sched() flags: when the kernel
 * refuses an RT policy because the thread's cpu cgroup has no RT runtime
 * (CONFIG_RT_GROUP_SCHED), give that cgroup and its ancestors RT runtime
 * (recorded in the changeset) and try again. */
#define RTVM_SCHED_PROVISION_RT (1u << 0)

/**
 * rtvm_thread_get_sched() - a thread's scheduling attributes.
 * @ctx: the context.
 * @pid: the thread's process id.
 * @tid: the thread id.
 * @ret: where the attributes are stored; @ret->size must be set.
 *
 * Returns: 0, or -EINVAL (NULL argument, bad @ret->size), -ESRCH (no such
 * thread).
 * Privileges: none.
 */
int rtvm_thread_get_sched(struct rtvm_ctx *ctx, pid_t pid, pid_t tid,
			  struct rtvm_sched_attr *ret);

/**
 * rtvm_thread_set_sched() - set a thread's policy, priority, nice value or
 *      deadline parameters, recording the original for undo.
 * @ctx: the context.
 * @pid: the thread's process id.
 * @tid: the thread id.
 * @attr: the attributes; @attr->size must be set.
 * @flags: 0 or RTVM_SCHED_PROVISION_RT.
 * @cs: the changeset that receives the record (the thread's full original
 *      attributes), or NULL.
 *
 * Returns: 0, or -EINVAL (bad @attr: unknown policy, a priority outside
 * the policy's range, nice outside -20..19, deadline parameters that
 * violate runtime <= deadline <= period; the log names the value),
 * -ESRCH (no such thread), -EPERM (no CAP_SYS_NICE, or, with
 * CONFIG_RT_GROUP_SCHED, a cpu cgroup without RT runtime: the log names
 * the cgroup; pass RTVM_SCHED_PROVISION_RT to fix it), -ENOSPC (with
 * RTVM_SCHED_PROVISION_RT: the parent cgroup has no RT runtime left to
 * give), -ENOMEM.  Nothing is changed on failure.
 * Privileges: CAP_SYS_NICE for RT policies, other users' threads and
 * lower nice values; root to provision RT runtime.
 */
int rtvm_thread_set_sched(struct rtvm_ctx *ctx, pid_t pid, pid_t tid,
			  const struct rtvm_sched_attr *attr,
			  unsigned int flags, struct rtvm_changeset *cs);

/**
 * rtvm_thread_set_affinity() - pin a thread, recording the original.
 * @ctx: the context.
 * @pid: the thread's process id.
 * @tid: the thread id.
 * @mask: the CPUs the thread may run on.
 * @cs: the changeset that receives the record, or NULL.
 *
 * Returns: 0, or -EINVAL (NULL argument, empty mask, offline CPUs, or a
 * per-CPU kernel thread), -ESRCH, -EPERM (another user's thread without
 * CAP_SYS_NICE), -ENOMEM.  Nothing is changed on failure.
 * Privileges: CAP_SYS_NICE for other users' threads.
 */
int rtvm_thread_set_affinity(struct rtvm_ctx *ctx, pid_t pid, pid_t tid,
			     const struct rtvm_cpumask *mask,
			     struct rtvm_changeset *cs);

/**
 * rtvm_vm_set_sched() - set the scheduling attributes of a VM's threads of
 *      one role.
 * @vm: the VM.
 * @role: an enum rtvm_vm_role.
 * @vcpus: for RTVM_VM_ROLE_VCPU, the vCPU indexes to change (like Nova's
 *         hw:cpu_realtime_mask), or NULL for all; must be NULL for others.
 * @attr: the attributes.
 * @flags: 0 or RTVM_SCHED_PROVISION_RT.
 * @cs: the changeset, or NULL.
 * @ret_skipped: where to store how many threads exited meanwhile and were
 *               skipped (may be NULL).
 *
 * Every selected thread is changed, or none: on an error other than an
 * exited thread, the threads already changed are put back.
 *
 * Returns: 0, or -EINVAL (bad @attr, unknown role, @vcpus for another
 * role, a vCPU index the VM does not have: the log names it), -EPERM,
 * -ENOSPC (as for rtvm_thread_set_sched()), -ENOMEM.
 * Privileges: as rtvm_thread_set_sched().
 */
int rtvm_vm_set_sched(struct rtvm_vm *vm, int role,
		      const struct rtvm_cpumask *vcpus,
		      const struct rtvm_sched_attr *attr, unsigned int flags,
		      struct rtvm_changeset *cs, unsigned int *ret_skipped);

/* rtvm_vm_pin(): vCPU i on the i-th CPU of the mask */
#define RTVM_VM_PIN_ONE_TO_ONE (1u << 0)

/**
 * rtvm_vm_pin() - pin a VM's threads of one role.
 * @vm: the VM.
 * @role: an enum rtvm_vm_role.
 * @cpus: for RTVM_VM_ROLE_VCPU with RTVM_VM_PIN_ONE_TO_ONE, vCPU i goes to
 *        the i-th CPU of @cpus; otherwise every selected thread may run on
 *        all of @cpus.
 * @flags: 0 or RTVM_VM_PIN_ONE_TO_ONE.
 * @cs: the changeset, or NULL.
 * @ret_skipped: where to store how many threads exited meanwhile (may be
 *               NULL).
 *
 * All or nothing, as rtvm_vm_set_sched().
 *
 * Returns: 0, or -EINVAL (empty or offline @cpus, unknown role or flags,
 * one-to-one with fewer CPUs than vCPUs), -EPERM, -ENOMEM.
 * Privileges: CAP_SYS_NICE for other users' threads.
 */
int rtvm_vm_pin(struct rtvm_vm *vm, int role, const struct rtvm_cpumask *cpus,
		unsigned int flags, struct rtvm_changeset *cs,
		unsigned int *ret_skipped);


/**
 * rtvm_kthreads_apply() - set the priorities of per-CPU kernel threads
 *      (ksoftirqd/N, ktimers/N, rcuc/N, rcub/N, irq/N-name) on some CPUs
 *      from a named profile.
 * @ctx: the context.
 * @cpus: the CPUs whose kernel threads are changed.
 * @profile: "rt-host" (tuned's realtime-virtual-host values: ksoftirqd and
 *           ktimers FIFO 2, rcuc and rcub FIFO 4) or NULL for it.
 * @cs: the changeset, or NULL.
 *
 * All or nothing.
 *
 * Returns: 0, or -EINVAL (NULL @ctx, empty @cpus), -ENOENT (unknown
 * profile), -EPERM (not root), -ENOMEM.
 * Privileges: CAP_SYS_NICE.
 */
int rtvm_kthreads_apply(struct rtvm_ctx *ctx, const struct rtvm_cpumask *cpus,
			const char *profile, struct rtvm_changeset *cs);

#ifdef __cplusplus
}
#endif

#endif /* RTVM_SCHED_H */
