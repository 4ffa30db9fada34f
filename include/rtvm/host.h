/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* librtvm: Host model.  Include <rtvm/rtvm.h>, which includes this. */
#ifndef RTVM_HOST_H
#define RTVM_HOST_H

#include <rtvm/context.h>
#include <rtvm/cpumask.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ------------------------------------------------------------------ */
/* Host model: a read-only inventory of CPUs, command line and threads */
/* ------------------------------------------------------------------ */

struct rtvm_host;
struct rtvm_cpu;
struct rtvm_idle_state;
struct rtvm_thread;

/* What rtvm_host_new() loads; 0 means everything. */
#define RTVM_HOST_CPUS (1u << 0)		/* CPUs, topology, idle, cpufreq */
#define RTVM_HOST_CMDLINE (1u << 1)		/* kernel command line */
#define RTVM_HOST_THREADS (1u << 2)		/* threads: ids, comm, policy */
#define RTVM_HOST_THREAD_AFFINITY (1u << 3)	/* + affinity (implies THREADS) */
#define RTVM_HOST_THREAD_CGROUPS (1u << 4)	/* + cgroups (implies THREADS) */

/** Which set rtvm_host_get_cpus() returns. */
enum rtvm_cpu_set {
	RTVM_CPUS_POSSIBLE = 0,
	RTVM_CPUS_PRESENT,
	RTVM_CPUS_ONLINE,
	RTVM_CPUS_ISOLATED,  /* isolcpus= domain isolation */
	RTVM_CPUS_NOHZ_FULL, /* empty when the kernel has no NO_HZ_FULL */
};

/** Which set rtvm_host_get_nodes() returns. */
enum rtvm_node_set {
	RTVM_NODES_POSSIBLE = 0,
	RTVM_NODES_ONLINE,
	RTVM_NODES_HAS_CPU,	/* nodes with CPUs */
	RTVM_NODES_HAS_MEMORY,	/* nodes with memory (also memory-only ones:
				 * GPU, CXL, HBM) */
};

/* The size of a node mask: node ids go up to the kernel's MAX_NUMNODES
 * (1 << CONFIG_NODES_SHIFT, at most 1024), whatever the CPU count. */
#define RTVM_MAX_NODES 1024

/** A CPU's core type, where the kernel tells it (rtvm_cpu_get_core_type()). */
enum rtvm_core_type {
	RTVM_CORE_UNKNOWN = 0,	  /* one core type, or the kernel does not say */
	RTVM_CORE_PERFORMANCE,	  /* Intel P-core, ARM big core */
	RTVM_CORE_EFFICIENCY,	  /* Intel E-core, ARM LITTLE core */
};

/**
 * rtvm_host_new() - take an inventory of the host (or the sysroot).
 * @ctx: the context; the host holds a reference on it.
 * @flags: RTVM_HOST_* bits saying what to load, 0 for everything.  Loading
 *         only what is needed is what makes a scan of 10,000 threads fast.
 * @ret: where the host is stored (one reference).
 *
 * The inventory is a snapshot.  Threads that exit while they are being
 * read are left out; they are not an error.
 *
 * What is required: that the CPUs can be found, from
 * /sys/devices/system/cpu/possible or, where it is missing (older kernels,
 * some containers), the cpuN directories; and /proc for the threads.
 * Everything else degrades to "unknown" when the host lacks it: present
 * CPUs are then the possible ones, online ones those whose cpuN/online does
 * not read 0; isolated and nohz_full are empty; a missing topology file,
 * node list, cpufreq or cpuidle directory leaves its field unknown; a
 * missing /proc/cmdline leaves the command line NULL.
 *
 * Returns: 0, or -EINVAL (NULL argument, unknown flags), -ENOMEM, -ENOENT
 * when no CPU can be found or /proc is missing, or another error of reading
 * the required files (a CPU list that does not parse: -EINVAL).
 * Privileges: none; without CAP_SYS_PTRACE some threads of other users may
 * lack fields the kernel hides (their affinity is then empty).
 */
int rtvm_host_new(struct rtvm_ctx *ctx, unsigned int flags,
		  struct rtvm_host **ret);

/**
 * rtvm_host_ref() - take a reference on a host.
 * @host: the host, or NULL.
 *
 * Returns: @host.
 * Privileges: none.
 */
struct rtvm_host *rtvm_host_ref(struct rtvm_host *host);

/**
 * rtvm_host_unref() - drop a reference; the last frees the inventory.
 * @host: the host, or NULL.
 *
 * Returns: NULL, always.
 * Privileges: none.
 */
struct rtvm_host *rtvm_host_unref(struct rtvm_host *host);

/**
 * rtvm_host_get_cpus() - one of the host's CPU sets.
 * @host: a host loaded with RTVM_HOST_CPUS.
 * @which: one of enum rtvm_cpu_set.
 *
 * Returns: the set, lent by @host, or NULL for a NULL @host, an unknown
 * @which, or a host loaded without RTVM_HOST_CPUS.
 * Privileges: none.
 */
const struct rtvm_cpumask *rtvm_host_get_cpus(const struct rtvm_host *host,
					      enum rtvm_cpu_set which);

/**
 * rtvm_host_get_nodes() - one of the host's NUMA node sets.
 * @host: a host loaded with RTVM_HOST_CPUS.
 * @which: one of enum rtvm_node_set.
 *
 * The mask's bits are node ids (RTVM_MAX_NODES of them, sparse ids such as
 * "0-2,33-34,45,72-73" included).  Sets the kernel does not list are
 * derived: online from the nodeN directories, possible from online,
 * has_cpu from the nodes' CPU lists; a host without NUMA information has
 * empty sets.
 *
 * Returns: the set, lent by @host, or NULL for a NULL @host, an unknown
 * @which, or a host loaded without RTVM_HOST_CPUS.
 * Privileges: none.
 */
const struct rtvm_cpumask *rtvm_host_get_nodes(const struct rtvm_host *host,
					       enum rtvm_node_set which);

/**
 * rtvm_host_get_cpu() - one CPU by number.
 * @host: a host loaded with RTVM_HOST_CPUS.
 * @cpu: the CPU number.
 * @ret: where the CPU (lent by @host) is stored.
 *
 * Returns: 0, -EINVAL (NULL argument), or -ENOENT (not a possible CPU, or
 * CPUs not loaded).
 * Privileges: none.
 */
int rtvm_host_get_cpu(const struct rtvm_host *host, unsigned int cpu,
		      const struct rtvm_cpu **ret);

/**
 * rtvm_host_cpu_next() - iterate over the possible CPUs.
 * @host: the host.
 * @prev: the previous CPU, or NULL to start.
 *
 * Returns: the next CPU in increasing number, or NULL at the end.
 * Privileges: none.
 */
const struct rtvm_cpu *rtvm_host_cpu_next(const struct rtvm_host *host,
					  const struct rtvm_cpu *prev);

/** Iterate @cpu (a const struct rtvm_cpu *) over the host's CPUs. */
#define rtvm_host_foreach_cpu(cpu, host)                                 \
	for ((cpu) = rtvm_host_cpu_next((host), NULL); (cpu);             \
	     (cpu) = rtvm_host_cpu_next((host), (cpu)))

/**
 * rtvm_cpu_get_id() - the CPU's number.
 * @cpu: the CPU.
 *
 * Returns: the number, or -EINVAL for NULL.
 * Privileges: none.
 */
int rtvm_cpu_get_id(const struct rtvm_cpu *cpu);

/**
 * rtvm_cpu_is_online() - whether the CPU is online.
 * @cpu: the CPU.
 *
 * Returns: true or false (false for NULL).
 * Privileges: none.
 */
bool rtvm_cpu_is_online(const struct rtvm_cpu *cpu);

/**
 * rtvm_cpu_get_core_id() - the core_id of the CPU's topology.
 * @cpu: the CPU.
 *
 * Returns: the id, or -ENOENT when the host does not say (offline CPU),
 * -EINVAL for NULL.
 * Privileges: none.
 */
int rtvm_cpu_get_core_id(const struct rtvm_cpu *cpu);

/**
 * rtvm_cpu_get_package_id() - the physical package (socket) of the CPU.
 * @cpu: the CPU.
 *
 * Returns: the id, or -ENOENT when unknown, -EINVAL for NULL.
 * Privileges: none.
 */
int rtvm_cpu_get_package_id(const struct rtvm_cpu *cpu);

/**
 * rtvm_cpu_get_die_id() - the die of the CPU inside its package.
 * @cpu: the CPU.
 *
 * A core is named by package, die, cluster and core id together: core ids
 * repeat in each die of a multi-die package.
 *
 * Returns: the id, or -ENOENT when the kernel does not say (before Linux
 * 5.2, offline CPU, or no die level), -EINVAL for NULL.
 * Privileges: none.
 */
int rtvm_cpu_get_die_id(const struct rtvm_cpu *cpu);

/**
 * rtvm_cpu_get_cluster_id() - the cluster (CPUs sharing an L2 cache, e.g.
 *      four Intel E-cores or an ARM cluster) of the CPU.
 * @cpu: the CPU.
 *
 * Returns: the id, or -ENOENT when the kernel does not say (before Linux
 * 5.16, offline CPU, or no cluster level), -EINVAL for NULL.
 * Privileges: none.
 */
int rtvm_cpu_get_cluster_id(const struct rtvm_cpu *cpu);

/**
 * rtvm_cpu_get_capacity() - the CPU's compute capacity as the scheduler
 *      sees it (cpu_capacity, 1024 for the fastest CPUs of asymmetric
 *      systems such as ARM big.LITTLE).
 * @cpu: the CPU.
 *
 * Returns: the capacity, or -ENOENT where the kernel gives none (most x86),
 * -EINVAL for NULL.
 * Privileges: none.
 */
int rtvm_cpu_get_capacity(const struct rtvm_cpu *cpu);

/**
 * rtvm_cpu_get_core_type() - performance or efficiency core.
 * @cpu: the CPU.
 *
 * From /sys/devices/cpu_core/cpus and cpu_atom/cpus on Intel hybrid parts,
 * else from cpu_capacity where capacities differ (the highest is
 * performance, any lower one efficiency).
 *
 * Returns: one of enum rtvm_core_type; RTVM_CORE_UNKNOWN on hosts with one
 * core type, where the kernel does not tell, and for NULL.
 * Privileges: none.
 */
enum rtvm_core_type rtvm_cpu_get_core_type(const struct rtvm_cpu *cpu);

/**
 * rtvm_cpu_get_node() - the NUMA node of the CPU.
 * @cpu: the CPU.
 *
 * Returns: the node, or -ENOENT when the host has no NUMA information,
 * -EINVAL for NULL.
 * Privileges: none.
 */
int rtvm_cpu_get_node(const struct rtvm_cpu *cpu);

/**
 * rtvm_cpu_get_siblings() - the CPU's SMT siblings, itself included.
 * @cpu: the CPU.
 *
 * Returns: the mask (lent), or NULL when unknown or @cpu is NULL.
 * Privileges: none.
 */
const struct rtvm_cpumask *rtvm_cpu_get_siblings(const struct rtvm_cpu *cpu);

/**
 * rtvm_cpu_get_governor() - the cpufreq scaling governor.
 * @cpu: the CPU.
 *
 * Returns: the name (lent), or NULL when the CPU has no cpufreq driver.
 * Privileges: none.
 */
const char *rtvm_cpu_get_governor(const struct rtvm_cpu *cpu);

/**
 * rtvm_cpu_get_nr_idle_states() - how many cpuidle states the CPU has.
 * @cpu: the CPU.
 *
 * Returns: the count (0 without cpuidle), 0 for NULL.
 * Privileges: none.
 */
unsigned int rtvm_cpu_get_nr_idle_states(const struct rtvm_cpu *cpu);

/**
 * rtvm_cpu_get_idle_state() - one cpuidle state.
 * @cpu: the CPU.
 * @index: 0 .. rtvm_cpu_get_nr_idle_states() - 1.
 *
 * Returns: the state (lent), or NULL for a bad @index or NULL @cpu.
 * Privileges: none.
 */
const struct rtvm_idle_state *
rtvm_cpu_get_idle_state(const struct rtvm_cpu *cpu, unsigned int index);

/**
 * rtvm_idle_state_get_name() - the state's name, e.g. "C1E".
 * @state: the state.
 *
 * Returns: the name (lent), or NULL for NULL.
 * Privileges: none.
 */
const char *rtvm_idle_state_get_name(const struct rtvm_idle_state *state);

/**
 * rtvm_idle_state_get_exit_latency() - the state's exit latency.
 * @state: the state.
 *
 * Returns: the latency in microseconds, or -EINVAL for NULL.
 * Privileges: none.
 */
int rtvm_idle_state_get_exit_latency(const struct rtvm_idle_state *state);

/**
 * rtvm_idle_state_is_disabled() - whether the state is disabled.
 * @state: the state.
 *
 * Returns: true when disabled for this CPU, false otherwise (also NULL).
 * Privileges: none.
 */
bool rtvm_idle_state_is_disabled(const struct rtvm_idle_state *state);

/**
 * rtvm_host_get_cmdline() - the kernel command line as the kernel has it.
 * @host: a host loaded with RTVM_HOST_CMDLINE.
 *
 * Returns: the command line (lent), or NULL when not loaded or unknown (no
 * readable /proc/cmdline).
 * Privileges: none.
 */
const char *rtvm_host_get_cmdline(const struct rtvm_host *host);

/**
 * rtvm_host_get_cmdline_param() - one kernel parameter by position.
 * @host: a host loaded with RTVM_HOST_CMDLINE.
 * @index: 0 .. count - 1, in command-line order; words after a lone "--"
 *         belong to init and are not parameters.
 * @ret_key: where the name is stored (lent).
 * @ret_value: where the value is stored (lent): NULL for a bare flag such
 *             as "quiet", "" for "key=".  Quotes around values are removed.
 *
 * Returns: 0, -ENOENT past the last parameter, -EINVAL (NULL argument).
 * Privileges: none.
 */
int rtvm_host_get_cmdline_param(const struct rtvm_host *host,
				unsigned int index, const char **ret_key,
				const char **ret_value);

/**
 * rtvm_host_find_cmdline_param() - a kernel parameter by name.
 * @host: a host loaded with RTVM_HOST_CMDLINE.
 * @key: the name; '-' and '_' compare equal, as the kernel treats them.
 * @ret_value: where the value of the last occurrence is stored (lent; NULL
 *             for a bare flag).  May be NULL to test for presence.
 *
 * Returns: 0, -ENOENT when absent, -EINVAL (NULL @host or @key).
 * Privileges: none.
 */
int rtvm_host_find_cmdline_param(const struct rtvm_host *host,
				 const char *key, const char **ret_value);

/**
 * rtvm_host_get_nr_threads() - how many threads the inventory holds.
 * @host: a host loaded with RTVM_HOST_THREADS.
 *
 * Returns: the count, 0 when threads were not loaded or @host is NULL.
 * Privileges: none.
 */
unsigned int rtvm_host_get_nr_threads(const struct rtvm_host *host);

/**
 * rtvm_host_thread_next() - iterate over threads, by pid then tid.
 * @host: the host.
 * @prev: the previous thread, or NULL to start.
 *
 * Returns: the next thread (lent by @host), or NULL at the end.
 * Privileges: none.
 */
const struct rtvm_thread *rtvm_host_thread_next(const struct rtvm_host *host,
						const struct rtvm_thread *prev);

/** Iterate @t (a const struct rtvm_thread *) over the host's threads. */
#define rtvm_host_foreach_thread(t, host)                                \
	for ((t) = rtvm_host_thread_next((host), NULL); (t);              \
	     (t) = rtvm_host_thread_next((host), (t)))

/**
 * rtvm_host_find_thread() - a thread by its id.
 * @host: a host loaded with RTVM_HOST_THREADS.
 * @tid: the thread id.
 * @ret: where the thread (lent by @host) is stored.
 *
 * Returns: 0, -ENOENT when the inventory has no such thread, -EINVAL (NULL
 * argument).
 * Privileges: none.
 */
int rtvm_host_find_thread(const struct rtvm_host *host, pid_t tid,
			  const struct rtvm_thread **ret);

/**
 * rtvm_thread_get_pid() - the process (thread group) id.
 * @t: the thread.
 *
 * Returns: the pid, or -EINVAL for NULL.
 * Privileges: none.
 */
pid_t rtvm_thread_get_pid(const struct rtvm_thread *t);

/**
 * rtvm_thread_get_tid() - the thread id.
 * @t: the thread.
 *
 * Returns: the tid, or -EINVAL for NULL.
 * Privileges: none.
 */
pid_t rtvm_thread_get_tid(const struct rtvm_thread *t);

/**
 * rtvm_thread_get_comm() - the thread's name (at most 15 characters).
 * @t: the thread.
 *
 * Returns: the name (lent), or NULL for NULL.
 * Privileges: none.
 */
const char *rtvm_thread_get_comm(const struct rtvm_thread *t);

/**
 * rtvm_thread_is_kthread() - whether the thread is a kernel thread.
 * @t: the thread.
 *
 * Returns: true or false (false for NULL).
 * Privileges: none.
 */
bool rtvm_thread_is_kthread(const struct rtvm_thread *t);

/**
 * rtvm_thread_is_per_cpu() - whether the kernel forbids changing the
 *      thread's affinity (a per-CPU bound kernel thread, PF_NO_SETAFFINITY).
 * @t: the thread.
 *
 * Returns: true or false (false for NULL).
 * Privileges: none.
 */
bool rtvm_thread_is_per_cpu(const struct rtvm_thread *t);

/**
 * rtvm_thread_get_policy() - the scheduling policy (SCHED_OTHER, ...).
 * @t: the thread.
 *
 * Returns: the policy as in <sched.h>, or -EINVAL for NULL.
 * Privileges: none.
 */
int rtvm_thread_get_policy(const struct rtvm_thread *t);

/**
 * rtvm_thread_get_rt_priority() - the real-time priority (0 when not RT).
 * @t: the thread.
 *
 * Returns: 0 .. 99, or -EINVAL for NULL.
 * Privileges: none.
 */
int rtvm_thread_get_rt_priority(const struct rtvm_thread *t);

/**
 * rtvm_thread_get_nice() - the nice value.
 * @t: the thread.
 * @ret: where the value (-20 .. 19) is stored.
 *
 * Returns: 0, or -EINVAL for a NULL argument.
 * Privileges: none.
 */
int rtvm_thread_get_nice(const struct rtvm_thread *t, int *ret);

/**
 * rtvm_thread_get_last_cpu() - the CPU the thread last ran on.
 * @t: the thread.
 *
 * Returns: the CPU, or -EINVAL for NULL.
 * Privileges: none.
 */
int rtvm_thread_get_last_cpu(const struct rtvm_thread *t);

/**
 * rtvm_thread_get_start_time() - when the thread started, in clock ticks
 *      after boot; with the tid it names a thread for good (tids are reused).
 * @t: the thread.
 *
 * Returns: the start time, 0 for NULL.
 * Privileges: none.
 */
unsigned long long rtvm_thread_get_start_time(const struct rtvm_thread *t);

/**
 * rtvm_thread_get_affinity() - the CPUs the thread may run on.
 * @t: a thread of a host loaded with RTVM_HOST_THREAD_AFFINITY.
 *
 * Returns: the mask (lent), or NULL when not loaded or @t is NULL.
 * Privileges: none.
 */
const struct rtvm_cpumask *rtvm_thread_get_affinity(const struct rtvm_thread *t);

/**
 * rtvm_thread_get_cgroup() - the thread's cgroup for a controller.
 * @t: a thread of a host loaded with RTVM_HOST_THREAD_CGROUPS.
 * @controller: a cgroup v1 controller name such as "cpuset" or "cpu"; on a
 *              host where the controller is not mounted as v1, the cgroup v2
 *              (unified) path is returned.  "" asks for the v2 path.
 *
 * Returns: the path inside the hierarchy, such as "/machine/vm1" (lent), or
 * NULL when not loaded or unknown.
 * Privileges: none.
 */
const char *rtvm_thread_get_cgroup(const struct rtvm_thread *t,
				   const char *controller);

#ifdef __cplusplus
}
#endif

#endif /* RTVM_HOST_H */
