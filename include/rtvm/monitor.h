/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* librtvm: the VM monitor.  Include <rtvm/rtvm.h>, which includes this. */
#ifndef RTVM_MONITOR_H
#define RTVM_MONITOR_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>
#include <rtvm/context.h>
#include <rtvm/cpumask.h>
#include <rtvm/vm.h>

#ifdef __cplusplus
extern "C" {
#endif

/*
 * A sampler: what each thread of the VMs added to it used and suffered
 * between two calls of rtvm_monitor_sample(), and what landed on the VMs'
 * RT CPUs meanwhile.  It starts no thread and keeps the files it reads
 * open between samples (re-read with pread), so that a sample of a
 * 16-vCPU VM costs a few dozen system calls.  Counters are deltas over the
 * interval; a counter that went backwards (a wrap, a thread re-created
 * under the same tid) counts as 0 for that interval.
 */
struct rtvm_monitor;

/* What to read beyond each thread's schedstat, status and stat files. */
#define RTVM_MONITOR_CPUS (1u << 0)	 /* per-CPU times, IRQs per CPU */
#define RTVM_MONITOR_INTRUDERS (1u << 1) /* other threads that ran on the
					  * RT CPUs: scans every thread */
#define RTVM_MONITOR_TASKSTATS (1u << 2) /* delay accounting (taskstats) */
#define RTVM_MONITOR_KVM (1u << 3)	 /* KVM's per-vCPU statistics */
#define RTVM_MONITOR_SMI (1u << 4)	 /* SMIs on the RT CPUs (MSR 0x34),
					  * with RTVM_MONITOR_CPUS */
#define RTVM_MONITOR_RT_LIMIT (1u << 5)	 /* RT throttling of SCHED_FIFO and
					  * SCHED_RR threads */

/**
 * rtvm_monitor_new() - a sampler.
 * @ctx: the context; the sampler holds a reference on it.
 * @flags: RTVM_MONITOR_* bits.
 * @ret: where the sampler is stored.
 *
 * With RTVM_MONITOR_TASKSTATS the sampler asks the kernel's taskstats
 * family over generic netlink (in a sysroot it reads the replies from the
 * fixture, see rtvm_monitor_sample()).  With RTVM_MONITOR_KVM it reads
 * KVM's counters of each VM (summed over its vCPUs) from debugfs
 * (kernel/debug/kvm/PID-FD under sys) where debugfs is mounted; librtvm
 * never mounts it.  KVM's per-vCPU binary statistics are not readable
 * from another process than the VMM (KVM answers its ioctls with EIO).
 *
 * Returns: 0, or -EINVAL (NULL argument, unknown flags, RTVM_MONITOR_SMI
 * without RTVM_MONITOR_CPUS), -ENOMEM,
 * -EPROTONOSUPPORT (RTVM_MONITOR_TASKSTATS on a kernel without taskstats,
 * logged), -EPERM (taskstats needs CAP_NET_ADMIN).
 * Privileges: none; CAP_NET_ADMIN for RTVM_MONITOR_TASKSTATS; reading
 * debugfs (root) for RTVM_MONITOR_KVM; CAP_SYS_RAWIO and the msr driver
 * for RTVM_MONITOR_SMI (else rtvm_monitor_cpu.smi_error says why); reading
 * another user's threads' status needs ptrace read access (else their
 * counters are missing: see RTVM_MONITOR_HAVE_*).
 */
int rtvm_monitor_new(struct rtvm_ctx *ctx, unsigned int flags,
		     struct rtvm_monitor **ret);

/**
 * rtvm_monitor_free() - close everything the sampler holds.
 * @m: the sampler, or NULL.
 *
 * Returns: NULL, always.
 * Privileges: none.
 */
struct rtvm_monitor *rtvm_monitor_free(struct rtvm_monitor *m);

/**
 * rtvm_monitor_add_vm() - sample a VM's threads from the next sample on.
 * @m: the sampler.
 * @vm: the VM (a reference is taken); every sample refreshes its threads,
 *      so that vCPUs added or re-created are seen.
 * @rt_cpus: the VM's RT CPUs (copied), or NULL for the CPUs its vCPU
 *           threads may run on now.
 * @ret_id: where the VM's id is stored (from 1), or NULL.
 *
 * Returns: 0, or -EINVAL (NULL @m or @vm, an empty @rt_cpus), -EEXIST
 * (the VM's process is already added), -ESRCH (its process is gone),
 * -ENOMEM.
 * Privileges: none.
 */
int rtvm_monitor_add_vm(struct rtvm_monitor *m, struct rtvm_vm *vm,
			const struct rtvm_cpumask *rt_cpus,
			unsigned int *ret_id);

/**
 * rtvm_monitor_sample() - read every counter and compute the deltas since
 *      the previous sample.
 * @m: the sampler.
 *
 * The first sample only sets the baseline: its interval is 0 and every
 * thread is fresh.  A VM whose process is gone is kept with no threads and
 * RTVM_MONITOR_VM_GONE.  Threads that exited since the last sample are
 * counted per VM (rtvm_monitor_vm.exited); threads new since then are
 * fresh (their counters are 0 until the next sample).
 *
 * Taskstats in a sysroot: the reply the kernel would send for thread TID
 * of process PID is read from PID/task/TID/taskstats.nl under the
 * sysroot's proc (one netlink message, as received).
 *
 * Returns: 0, or -EINVAL (NULL @m), -ENOMEM, -EBADMSG (a file the kernel
 * would not write that way: logged with its name), or the error of a file
 * that cannot be read (logged).  On failure the previous sample's results
 * are kept.
 * Privileges: those of rtvm_monitor_new().
 */
int rtvm_monitor_sample(struct rtvm_monitor *m);

/**
 * rtvm_monitor_get_interval_ns() - the time between the last two samples
 *      (CLOCK_MONOTONIC, or the sysroot's uptime when it has one).
 * @m: the sampler.
 *
 * Returns: nanoseconds; 0 before the second sample or for NULL.
 * Privileges: none.
 */
uint64_t rtvm_monitor_get_interval_ns(const struct rtvm_monitor *m);

/**
 * rtvm_monitor_get_cost_ns() - the sampler's own CPU time for its last
 *      sample (CLOCK_THREAD_CPUTIME_ID around rtvm_monitor_sample()).
 * @m: the sampler.
 *
 * Returns: nanoseconds; 0 for NULL.
 * Privileges: none.
 */
uint64_t rtvm_monitor_get_cost_ns(const struct rtvm_monitor *m);

/* KVM's statistics (named as KVM names them, see
 * rtvm_monitor_kvm_to_string()); those a kernel lacks are 0. */
enum rtvm_monitor_kvm {
	RTVM_MONITOR_KVM_EXITS = 0,	    /* VM exits, all reasons */
	RTVM_MONITOR_KVM_HALT_EXITS,	    /* the guest halted */
	RTVM_MONITOR_KVM_HALT_POLL_OK,	    /* a halt ended while polling */
	RTVM_MONITOR_KVM_HALT_POLL_TRIED,   /* halt polls attempted */
	RTVM_MONITOR_KVM_HALT_WAIT_NS,	    /* time halted, not polling */
	RTVM_MONITOR_KVM_IRQ_INJECTIONS,    /* interrupts injected (x86) */
	RTVM_MONITOR_KVM_PREEMPTED,	    /* preempted while running the
					     * guest (x86 steal time) */
	RTVM_MONITOR_KVM_NR
};

/* A VM's state flags. */
#define RTVM_MONITOR_VM_GONE (1u << 0) /* its process has exited */
#define RTVM_MONITOR_VM_KVM (1u << 1)  /* kvm[] holds KVM's counters */

/* One VM, as of the last sample. */
struct rtvm_monitor_vm {
	size_t size;		    /* sizeof(struct rtvm_monitor_vm) */
	unsigned int id;
	pid_t pid;
	const char *name;	    /* libvirt's, or NULL (lent) */
	const struct rtvm_cpumask *rt_cpus; /* lent */
	unsigned int flags;	    /* RTVM_MONITOR_VM_* */
	unsigned int nr_threads;    /* sampled now */
	unsigned int exited;	    /* threads gone since the last sample */
	unsigned int fresh;	    /* threads new since the last sample */
	uint64_t kvm[RTVM_MONITOR_KVM_NR]; /* KVM's counters of the interval,
					    * summed over the vCPUs */
};

/**
 * rtvm_monitor_get_vm() - a VM of the sampler.
 * @m: the sampler.
 * @i: 0 .. the number of VMs - 1, in the order they were added.
 * @ret: the VM; @ret->size must be set.
 *
 * Returns: 0, or -EINVAL (NULL argument, bad @ret->size), -ENOENT (@i past
 * the end).
 * Privileges: none.
 */
int rtvm_monitor_get_vm(const struct rtvm_monitor *m, unsigned int i,
			struct rtvm_monitor_vm *ret);

/* Which figures a thread's result holds (the others are 0). */
#define RTVM_MONITOR_HAVE_SCHEDSTAT (1u << 0) /* cpu, run delay, slices */
#define RTVM_MONITOR_HAVE_SWITCHES (1u << 1)  /* status was readable */
#define RTVM_MONITOR_HAVE_MIGRATIONS (1u << 2) /* sched (SCHED_DEBUG) */
#define RTVM_MONITOR_HAVE_DELAYS (1u << 3)    /* taskstats answered */
#define RTVM_MONITOR_HAVE_RT_LIMIT (1u << 4)  /* an RT thread's limit read */

/* Delay accounting: the kinds of waits taskstats counts. */
enum rtvm_monitor_delay {
	RTVM_MONITOR_DELAY_CPU = 0,	/* runnable, waiting for a CPU */
	RTVM_MONITOR_DELAY_BLKIO,	/* synchronous block I/O */
	RTVM_MONITOR_DELAY_SWAPIN,
	RTVM_MONITOR_DELAY_FREEPAGES,	/* memory reclaim */
	RTVM_MONITOR_DELAY_THRASHING,
	RTVM_MONITOR_DELAY_COMPACT,	/* memory compaction */
	RTVM_MONITOR_DELAY_WPCOPY,	/* write-protect copy (COW) faults */
	RTVM_MONITOR_DELAY_IRQ,		/* IRQ/softirq time taken from it */
	RTVM_MONITOR_DELAY_NR
};

/* One thread of a VM, over the last interval. */
struct rtvm_monitor_thread {
	size_t size;		    /* sizeof(struct rtvm_monitor_thread) */
	unsigned int vm_id;
	pid_t tid;
	int role;		    /* enum rtvm_vm_role */
	int index;		    /* the vCPU index, -1 for other roles */
	const char *name;	    /* lent until the next sample */
	bool fresh;		    /* new: the counters below are 0 */
	unsigned int have;	    /* RTVM_MONITOR_HAVE_* */
	int cpu;		    /* where it ran last */
	int policy;		    /* now: SCHED_* */
	int priority;		    /* now: the RT priority, 0 for others */
	int nice;
	uint64_t cpu_ns;	    /* CPU time used */
	uint64_t run_delay_ns;	    /* runnable but waiting on a run queue */
	uint64_t timeslices;	    /* times it was put on a CPU */
	uint64_t voluntary;	    /* context switches: it blocked */
	uint64_t involuntary;	    /* it was preempted */
	uint64_t migrations;	    /* moves between CPUs */
	uint64_t delay_count[RTVM_MONITOR_DELAY_NR];
	uint64_t delay_ns[RTVM_MONITOR_DELAY_NR];
	/* the kernel's counters since the thread started (for exporters
	 * that want counters, not deltas) */
	uint64_t total_cpu_ns, total_run_delay_ns;
	uint64_t total_voluntary, total_involuntary;
	/*
	 * RTVM_MONITOR_RT_LIMIT, for a SCHED_FIFO or SCHED_RR thread
	 * (RTVM_MONITOR_HAVE_RT_LIMIT): the RT runtime per period that
	 * applies to it (its cpu cgroup's cpu.rt_runtime_us and
	 * cpu.rt_period_us under RT group scheduling, else the sysctls
	 * kernel.sched_rt_runtime_us and _period_us), and whether the limit
	 * held it back in the interval: it was runnable all the interval
	 * (CPU time and run delay together at least 99% of it) and waited
	 * at least half of what the limit takes (period - runtime, or the
	 * interval when shorter).  The kernel counts no throttling events;
	 * a higher-priority RT task that ran that long on its CPU (see the
	 * intruders) looks the same.
	 */
	int64_t rt_runtime_us;	    /* -1: no limit */
	uint64_t rt_period_us;
	bool rt_throttled;
};

/**
 * rtvm_monitor_get_thread() - a sampled thread.
 * @m: the sampler.
 * @i: 0 .. the number of threads - 1: by VM, then vCPUs by index, then
 *     the emulator, the iothreads and the other threads by tid.
 * @ret: the thread; @ret->size must be set.
 *
 * Returns: 0, or -EINVAL (NULL argument, bad @ret->size), -ENOENT (@i
 * past the end).
 * Privileges: none.
 */
int rtvm_monitor_get_thread(const struct rtvm_monitor *m, unsigned int i,
			    struct rtvm_monitor_thread *ret);

/**
 * rtvm_monitor_delay_to_string() - a delay kind's name ("cpu", "blkio").
 * @kind: an enum rtvm_monitor_delay.
 *
 * Returns: a static string, or NULL for an unknown kind.
 * Privileges: none.
 */
const char *rtvm_monitor_delay_to_string(int kind);

/**
 * rtvm_monitor_kvm_to_string() - KVM's name of a statistic ("halt_exits").
 * @kind: an enum rtvm_monitor_kvm.
 *
 * Returns: a static string, or NULL for an unknown kind.
 * Privileges: none.
 */
const char *rtvm_monitor_kvm_to_string(int kind);

/**
 * rtvm_monitor_get_delayacct() - whether the kernel does delay
 *      accounting (kernel.task_delayacct), as read at the last sample with
 *      RTVM_MONITOR_TASKSTATS.  When it is off, taskstats answers with
 *      zero delays; "sysctl kernel.task_delayacct=1" (or delayacct on the
 *      kernel command line) turns it on for every thread.
 * @m: the sampler.
 *
 * Returns: 1 on, 0 off, -ENOENT (not read: no RTVM_MONITOR_TASKSTATS, or a
 * kernel without the sysctl), -EINVAL for NULL.
 * Privileges: none.
 */
int rtvm_monitor_get_delayacct(const struct rtvm_monitor *m);

/* One CPU over the last interval (RTVM_MONITOR_CPUS). */
struct rtvm_monitor_cpu {
	size_t size;		    /* sizeof(struct rtvm_monitor_cpu) */
	unsigned int cpu;
	bool rt;		    /* an RT CPU of a monitored VM */
	/* from the CPU's line of proc's stat, in ns */
	uint64_t user_ns, nice_ns, system_ns, idle_ns, iowait_ns;
	uint64_t irq_ns, softirq_ns, steal_ns, guest_ns;
	/* interrupts that landed here, from proc's interrupts */
	uint64_t device_irqs;	    /* numbered (device) IRQs */
	uint64_t local_timer;	    /* LOC */
	uint64_t resched;	    /* RES */
	uint64_t function_calls;    /* CAL */
	uint64_t tlb_shootdowns;    /* TLB */
	uint64_t other_irqs;	    /* the other named lines together */
	unsigned int intruders;	    /* other threads that ran here */
	/* System management interrupts in the interval, from the SMI count
	 * of Intel CPUs (MSR 0x34) through the msr driver: RTVM_MONITOR_SMI,
	 * RT CPUs only.  smi_error is 0 when the count was read, else why
	 * not: -ENODATA (not asked for, or not an RT CPU), -ENOENT (no msr
	 * driver: modprobe msr), -EPERM or -EACCES (CAP_SYS_RAWIO needed),
	 * -EIO (a CPU without the register, e.g. AMD's). */
	uint64_t smis;
	int smi_error;
};

/**
 * rtvm_monitor_get_cpu() - a CPU's figures.
 * @m: the sampler.
 * @i: 0 .. the number of CPUs in proc's stat - 1, by CPU number.
 * @ret: the CPU; @ret->size must be set.
 *
 * Returns: 0, or -EINVAL (NULL argument, bad @ret->size), -ENOENT (@i
 * past the end, or no RTVM_MONITOR_CPUS).
 * Privileges: none.
 */
int rtvm_monitor_get_cpu(const struct rtvm_monitor *m, unsigned int i,
			 struct rtvm_monitor_cpu *ret);

/* A thread, not of a monitored VM, that used CPU time during the interval
 * and was last seen on an RT CPU (RTVM_MONITOR_INTRUDERS).  What a
 * thread did on an RT CPU before moving elsewhere within one interval is
 * not seen: the figure is a sampling one. */
struct rtvm_monitor_intruder {
	size_t size;		    /* sizeof(struct rtvm_monitor_intruder) */
	pid_t pid, tid;
	const char *name;	    /* lent until the next sample */
	int cpu;
	bool kthread;
	int policy, priority;
	uint64_t cpu_ns;	    /* its CPU time in the interval */
};

/**
 * rtvm_monitor_get_intruder() - an intruder, most CPU time first.
 * @m: the sampler.
 * @i: 0 .. the number of intruders - 1.
 * @ret: the intruder; @ret->size must be set.
 *
 * Returns: 0, or -EINVAL (NULL argument, bad @ret->size), -ENOENT (@i
 * past the end).
 * Privileges: none.
 */
int rtvm_monitor_get_intruder(const struct rtvm_monitor *m, unsigned int i,
			      struct rtvm_monitor_intruder *ret);

#ifdef __cplusplus
}
#endif

#endif /* RTVM_MONITOR_H */
