/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * librtvm - prepare a Linux/KVM host for real-time virtual machines.
 *
 * Conventions (see librtvm(3)):
 *  - Functions that can fail return int: >= 0 on success, a negative errno
 *    value on failure.  Outputs go through ret_* pointers, last in the
 *    argument list, and are left untouched on failure.
 *  - Getters lend: a returned "const char *" or "const struct ... *" lives as
 *    long as the object it came from.  Functions named *_dup, *_format_* and
 *    *_to_json hand over memory that the caller releases with free().
 *  - Unknown bits in a flags word are -EINVAL.
 *  - The library never prints, exits or aborts; it logs through the
 *    context's log function (silent unless RTVM_LOG or rtvm_set_log_priority
 *    says otherwise).
 *
 * Every public function is documented below with its errors and the
 * privileges it needs.
 */
#ifndef RTVM_RTVM_H
#define RTVM_RTVM_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ------------------------------------------------------------------ */
/* Context                                                            */
/* ------------------------------------------------------------------ */

struct rtvm_ctx;

/**
 * rtvm_new() - create a library context.
 * @ret: where the new context is stored (one reference).
 *
 * The context reads RTVM_LOG (a syslog priority: "err", "info", "debug" or a
 * number) and RTVM_SYSROOT (see rtvm_set_root()) from the environment with
 * secure_getenv(), so both are ignored in set-uid programs.  A context and
 * the objects made from it are used by one thread at a time.
 *
 * Returns: 0, or -EINVAL (@ret is NULL), -ENOMEM, or the error of opening the
 * directory named by RTVM_SYSROOT (-ENOENT, -ENOTDIR, -EACCES).
 * Privileges: none.
 */
int rtvm_new(struct rtvm_ctx **ret);

/**
 * rtvm_ref() - take a reference on a context.
 * @ctx: the context, or NULL.
 *
 * Returns: @ctx.  Never fails.
 * Privileges: none.
 */
struct rtvm_ctx *rtvm_ref(struct rtvm_ctx *ctx);

/**
 * rtvm_unref() - drop a reference; the last one frees the context.
 * @ctx: the context, or NULL.
 *
 * Returns: NULL, always, so callers can write "ctx = rtvm_unref(ctx)".
 * Privileges: none.
 */
struct rtvm_ctx *rtvm_unref(struct rtvm_ctx *ctx);

/**
 * rtvm_log_fn - type of a log function.
 *
 * @priority is a syslog(3) priority (LOG_ERR .. LOG_DEBUG); @format and
 * @args are a vprintf(3) pair.  The message carries no trailing newline.
 */
typedef void (*rtvm_log_fn)(struct rtvm_ctx *ctx, int priority,
			    const char *file, int line, const char *fn,
			    const char *format, va_list args);

/**
 * rtvm_set_log_fn() - route the context's log messages to @fn.
 * @ctx: the context.
 * @fn: the log function, or NULL for none (the default: the library is
 *      silent until a caller installs a function).
 *
 * Returns: 0, or -EINVAL when @ctx is NULL.
 * Privileges: none.
 */
int rtvm_set_log_fn(struct rtvm_ctx *ctx, rtvm_log_fn fn);

/**
 * rtvm_get_log_priority() - the highest syslog priority that is logged.
 * @ctx: the context.
 *
 * Returns: the priority (LOG_ERR by default, or what RTVM_LOG said), or
 * -EINVAL when @ctx is NULL.
 * Privileges: none.
 */
int rtvm_get_log_priority(const struct rtvm_ctx *ctx);

/**
 * rtvm_set_log_priority() - log messages up to @priority.
 * @ctx: the context.
 * @priority: LOG_EMERG (0) .. LOG_DEBUG (7).
 *
 * Returns: 0, or -EINVAL for a NULL @ctx or a priority outside 0..7.
 * Privileges: none.
 */
int rtvm_set_log_priority(struct rtvm_ctx *ctx, int priority);

/**
 * rtvm_set_userdata() - attach a caller pointer to the context.
 * @ctx: the context.
 * @userdata: any pointer; the library never dereferences it.
 *
 * Returns: 0, or -EINVAL when @ctx is NULL.
 * Privileges: none.
 */
int rtvm_set_userdata(struct rtvm_ctx *ctx, void *userdata);

/**
 * rtvm_get_userdata() - the pointer given to rtvm_set_userdata().
 * @ctx: the context.
 *
 * Returns: the pointer, or NULL (also when @ctx is NULL).
 * Privileges: none.
 */
void *rtvm_get_userdata(const struct rtvm_ctx *ctx);

/**
 * rtvm_version() - the library's version string, e.g. "0.1.0".
 *
 * Returns: a static string.  Never fails.
 * Privileges: none.
 */
const char *rtvm_version(void);

/**
 * rtvm_set_root() - act on a simulated host (a sysroot) instead of this one.
 * @ctx: the context.
 * @path: a directory holding proc/, sys/, dev/, run/ and etc/ trees, or
 *        NULL or "/" for the real host.
 *
 * Every file the library reads or writes under /proc, /sys, /dev, /run and
 * /etc is then resolved inside @path, absolute symbolic links included.
 * While a sysroot is set the library never acts on the real host: system
 * calls on threads (scheduling policy, affinity, nice) are recorded in the
 * sysroot's files instead of being made, because the pids of a sysroot are
 * not pids of this machine.
 *
 * Returns: 0, or -EINVAL (@ctx NULL, @path empty or relative), -ENOMEM, or
 * the error of opening @path (-ENOENT, -ENOTDIR, -EACCES).  On failure the
 * previous root stays in force.
 * Privileges: none.
 */
int rtvm_set_root(struct rtvm_ctx *ctx, const char *path);

/**
 * rtvm_get_root() - the sysroot in force.
 * @ctx: the context.
 *
 * Returns: the absolute path of the sysroot, "/" for the real host, or NULL
 * when @ctx is NULL.
 * Privileges: none.
 */
const char *rtvm_get_root(const struct rtvm_ctx *ctx);

/* ------------------------------------------------------------------ */
/* CPU masks                                                          */
/* ------------------------------------------------------------------ */

/** The largest number of CPUs a mask can hold. */
#define RTVM_CPUMASK_MAX_CPUS 8192

/** rtvm_cpumask_parse_list(), rtvm_cpumask_parse_hex(): accept "" */
#define RTVM_CPUMASK_ALLOW_EMPTY (1u << 0)

struct rtvm_cpumask;

/**
 * rtvm_cpumask_new() - create an empty mask sized for the context's host.
 * @ctx: the context; its host's possible CPUs (/sys/devices/system/cpu/
 *       possible, inside the sysroot) set the mask's capacity.
 * @ret: where the mask is stored; free it with rtvm_cpumask_free().
 *
 * Returns: 0, or -EINVAL (NULL argument), -ENOMEM, or the error of reading
 * the possible CPUs (-ENOENT when the host does not say, -EINVAL when what
 * it says cannot be parsed).
 * Privileges: none.
 */
int rtvm_cpumask_new(struct rtvm_ctx *ctx, struct rtvm_cpumask **ret);

/**
 * rtvm_cpumask_new_nr() - create an empty mask for CPUs 0 .. @nr_cpus - 1.
 * @nr_cpus: 1 .. RTVM_CPUMASK_MAX_CPUS.
 * @ret: where the mask is stored; free it with rtvm_cpumask_free().
 *
 * Returns: 0, or -EINVAL (@ret NULL, @nr_cpus out of range), -ENOMEM.
 * Privileges: none.
 */
int rtvm_cpumask_new_nr(unsigned int nr_cpus, struct rtvm_cpumask **ret);

/**
 * rtvm_cpumask_dup() - copy a mask.
 * @mask: the mask to copy.
 * @ret: where the copy is stored; free it with rtvm_cpumask_free().
 *
 * Returns: 0, or -EINVAL (NULL argument), -ENOMEM.
 * Privileges: none.
 */
int rtvm_cpumask_dup(const struct rtvm_cpumask *mask,
		     struct rtvm_cpumask **ret);

/**
 * rtvm_cpumask_free() - free a mask.
 * @mask: the mask, or NULL.
 *
 * Returns: NULL, always.
 * Privileges: none.
 */
struct rtvm_cpumask *rtvm_cpumask_free(struct rtvm_cpumask *mask);

/**
 * rtvm_cpumask_nr_cpus() - the mask's capacity.
 * @mask: the mask.
 *
 * Returns: the number of CPUs the mask can hold (CPU numbers are below it),
 * or 0 when @mask is NULL.
 * Privileges: none.
 */
unsigned int rtvm_cpumask_nr_cpus(const struct rtvm_cpumask *mask);

/**
 * rtvm_cpumask_parse_list() - set a mask from the kernel's list syntax.
 * @mask: the mask to set.
 * @str: a list such as "0-3,8,10-15" or with strides "0-15:2/4" (groups of 2
 *       out of every 4), with blanks and newlines around items tolerated.
 * @flags: 0 or RTVM_CPUMASK_ALLOW_EMPTY.
 *
 * The whole string is checked before @mask is touched: a bad string never
 * leaves a partial mask.
 *
 * Returns: 0, or -EINVAL for a NULL argument, unknown flags, a malformed list
 * ("3-1", "x", "1,,2"), a CPU number at or above the mask's capacity
 * ("99999"), or an empty list without RTVM_CPUMASK_ALLOW_EMPTY.
 * Privileges: none.
 */
int rtvm_cpumask_parse_list(struct rtvm_cpumask *mask, const char *str,
			    unsigned int flags);

/**
 * rtvm_cpumask_parse_hex() - set a mask from the /proc/irq hex format.
 * @mask: the mask to set.
 * @str: hex digits in 32-bit comma-separated groups, most significant group
 *       first, e.g. "ff,ffffffff" or "00000000,00000003"; leading zeros and
 *       surrounding blanks are allowed.
 * @flags: 0 or RTVM_CPUMASK_ALLOW_EMPTY (accept an all-zero mask).
 *
 * Returns: 0, or -EINVAL for a NULL argument, unknown flags, a malformed
 * string (non-hex digit, a group of more than 8 digits, empty group), a set
 * bit at or above the mask's capacity, or a zero mask without
 * RTVM_CPUMASK_ALLOW_EMPTY.  @mask is unchanged on failure.
 * Privileges: none.
 */
int rtvm_cpumask_parse_hex(struct rtvm_cpumask *mask, const char *str,
			   unsigned int flags);

/**
 * rtvm_cpumask_format_list() - the mask in list syntax, e.g. "0-3,8".
 * @mask: the mask.
 * @ret: where the string is stored ("" for an empty mask); free() it.
 *
 * Returns: 0, or -EINVAL (NULL argument), -ENOMEM.
 * Privileges: none.
 */
int rtvm_cpumask_format_list(const struct rtvm_cpumask *mask, char **ret);

/**
 * rtvm_cpumask_format_hex() - the mask as the kernel prints affinity masks.
 * @mask: the mask.
 * @ret: where the string is stored; free() it.  Groups of 8 hex digits
 *       joined by commas; the first group is only as wide as the capacity
 *       needs ("3" for 2 CPUs, "ffffffff,ffffffff" for 64).
 *
 * Returns: 0, or -EINVAL (NULL argument), -ENOMEM.
 * Privileges: none.
 */
int rtvm_cpumask_format_hex(const struct rtvm_cpumask *mask, char **ret);

/**
 * rtvm_cpumask_set() - add a CPU.
 * @mask: the mask.
 * @cpu: the CPU number.
 *
 * Returns: 0, or -EINVAL (NULL mask, @cpu at or above the capacity).
 * Privileges: none.
 */
int rtvm_cpumask_set(struct rtvm_cpumask *mask, unsigned int cpu);

/**
 * rtvm_cpumask_clear() - remove a CPU.
 * @mask: the mask.
 * @cpu: the CPU number.
 *
 * Returns: 0, or -EINVAL (NULL mask, @cpu at or above the capacity).
 * Privileges: none.
 */
int rtvm_cpumask_clear(struct rtvm_cpumask *mask, unsigned int cpu);

/**
 * rtvm_cpumask_test() - whether a CPU is in the mask.
 * @mask: the mask.
 * @cpu: any CPU number.
 *
 * Returns: true when @cpu is set; false otherwise (also for a NULL mask or a
 * CPU beyond the capacity).
 * Privileges: none.
 */
bool rtvm_cpumask_test(const struct rtvm_cpumask *mask, unsigned int cpu);

/**
 * rtvm_cpumask_zero() - remove every CPU.
 * @mask: the mask (NULL is ignored).
 *
 * Returns: nothing.
 * Privileges: none.
 */
void rtvm_cpumask_zero(struct rtvm_cpumask *mask);

/**
 * rtvm_cpumask_weight() - how many CPUs the mask holds.
 * @mask: the mask.
 *
 * Returns: the count, 0 for a NULL mask.
 * Privileges: none.
 */
unsigned int rtvm_cpumask_weight(const struct rtvm_cpumask *mask);

/**
 * rtvm_cpumask_next() - iterate over the CPUs of a mask.
 * @mask: the mask.
 * @prev: the previous CPU, or -1 to start.
 *
 * Returns: the lowest CPU above @prev that is in @mask, or -1 when there is
 * none (or @mask is NULL).  See rtvm_cpumask_foreach().
 * Privileges: none.
 */
int rtvm_cpumask_next(const struct rtvm_cpumask *mask, int prev);

/** Iterate @cpu (an int) over every CPU of @mask in increasing order. */
#define rtvm_cpumask_foreach(cpu, mask)                                  \
	for ((cpu) = rtvm_cpumask_next((mask), -1); (cpu) >= 0;          \
	     (cpu) = rtvm_cpumask_next((mask), (cpu)))

/** Set operations of rtvm_cpumask_op(). */
enum rtvm_cpumask_op {
	RTVM_CPUMASK_COPY = 0, /* dst = src */
	RTVM_CPUMASK_OR,       /* dst |= src */
	RTVM_CPUMASK_AND,      /* dst &= src */
	RTVM_CPUMASK_ANDNOT,   /* dst &= ~src */
	RTVM_CPUMASK_XOR,      /* dst ^= src */
};

/**
 * rtvm_cpumask_op() - combine two masks in place.
 * @dst: the mask that receives the result.
 * @op: one of enum rtvm_cpumask_op.
 * @src: the other operand; its capacity may differ from @dst's.
 *
 * Returns: 0, or -EINVAL for a NULL mask, an unknown @op, or (COPY, OR and
 * XOR) a CPU of @src at or above @dst's capacity; @dst is unchanged on
 * failure.
 * Privileges: none.
 */
int rtvm_cpumask_op(struct rtvm_cpumask *dst, enum rtvm_cpumask_op op,
		    const struct rtvm_cpumask *src);

/**
 * rtvm_cpumask_equal() - whether two masks hold the same CPUs.
 * @a: a mask.
 * @b: another mask; capacities may differ, masks compare as sets.
 *
 * Returns: true when equal (two NULL masks are equal), false otherwise.
 * Privileges: none.
 */
bool rtvm_cpumask_equal(const struct rtvm_cpumask *a,
			const struct rtvm_cpumask *b);

/**
 * rtvm_cpumask_subset() - whether every CPU of @a is in @b.
 * @a: a mask.
 * @b: another mask.
 *
 * Returns: true or false (false when either is NULL).
 * Privileges: none.
 */
bool rtvm_cpumask_subset(const struct rtvm_cpumask *a,
			 const struct rtvm_cpumask *b);

/**
 * rtvm_cpumask_intersects() - whether @a and @b share a CPU.
 * @a: a mask.
 * @b: another mask.
 *
 * Returns: true or false (false when either is NULL).
 * Privileges: none.
 */
bool rtvm_cpumask_intersects(const struct rtvm_cpumask *a,
			     const struct rtvm_cpumask *b);

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
 * Returns: 0, or -EINVAL (NULL argument, unknown flags), -ENOMEM, -ENOENT
 * when the host lacks /sys/devices/system/cpu/possible or /proc, or another
 * error of reading them.
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
 * Returns: the command line (lent), or NULL when not loaded.
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

/* ------------------------------------------------------------------ */
/* Change records                                                     */
/* ------------------------------------------------------------------ */

/** What a change record changed. */
enum rtvm_change_kind {
	RTVM_CHANGE_FILE = 1,	     /* a file's content (sysfs, procfs, /etc);
				      * without an old value: a created file */
	RTVM_CHANGE_SYSCTL,	     /* a /proc/sys entry, by dotted name */
	RTVM_CHANGE_IRQ_AFFINITY,    /* an IRQ's smp_affinity_list */
	RTVM_CHANGE_THREAD_SCHED,    /* policy, priority, nice, deadline */
	RTVM_CHANGE_THREAD_AFFINITY, /* a thread's CPU affinity */
	RTVM_CHANGE_CGROUP_ATTACH,   /* a thread's cgroup membership */
	RTVM_CHANGE_CGROUP_CREATE,   /* a cgroup that was created */
};

struct rtvm_changeset;
struct rtvm_change;

/**
 * rtvm_changeset_new() - create an empty set of change records.
 * @ctx: the context; the set holds a reference on it.
 * @ret: where the set is stored (one reference).
 *
 * Every mutating function of the library appends what it changed to a
 * caller's changeset, in order, so that rtvm_changeset_restore() can undo
 * it and rtvm_changeset_to_json() can persist it.
 *
 * Returns: 0, or -EINVAL (NULL argument), -ENOMEM.
 * Privileges: none.
 */
int rtvm_changeset_new(struct rtvm_ctx *ctx, struct rtvm_changeset **ret);

/**
 * rtvm_changeset_ref() - take a reference on a changeset.
 * @cs: the set, or NULL.
 *
 * Returns: @cs.
 * Privileges: none.
 */
struct rtvm_changeset *rtvm_changeset_ref(struct rtvm_changeset *cs);

/**
 * rtvm_changeset_unref() - drop a reference; the last frees the set.
 * @cs: the set, or NULL.
 *
 * Returns: NULL, always.
 * Privileges: none.
 */
struct rtvm_changeset *rtvm_changeset_unref(struct rtvm_changeset *cs);

/**
 * rtvm_changeset_get_count() - how many records the set holds.
 * @cs: the set.
 *
 * Returns: the count, 0 for NULL.
 * Privileges: none.
 */
unsigned int rtvm_changeset_get_count(const struct rtvm_changeset *cs);

/**
 * rtvm_changeset_append() - move every record of one set to the end of
 *      another, in order (a restore of @dst then undoes both, newest
 *      first).
 * @dst: the set that grows.
 * @src: the set that is emptied.
 *
 * Returns: 0, or -EINVAL for NULL or when both are the same set.
 * Privileges: none.
 */
int rtvm_changeset_append(struct rtvm_changeset *dst,
			  struct rtvm_changeset *src);

/**
 * rtvm_changeset_next() - iterate over the records in the order made.
 * @cs: the set.
 * @prev: the previous record, or NULL to start.
 *
 * Returns: the next record (lent by @cs), or NULL at the end.
 * Privileges: none.
 */
const struct rtvm_change *rtvm_changeset_next(const struct rtvm_changeset *cs,
					      const struct rtvm_change *prev);

/** Iterate @c (a const struct rtvm_change *) over the records of @cs. */
#define rtvm_changeset_foreach(c, cs)                                    \
	for ((c) = rtvm_changeset_next((cs), NULL); (c);                  \
	     (c) = rtvm_changeset_next((cs), (c)))

/**
 * rtvm_change_get_kind() - what the record changed.
 * @c: the record.
 *
 * Returns: an enum rtvm_change_kind, or -EINVAL for NULL.
 * Privileges: none.
 */
int rtvm_change_get_kind(const struct rtvm_change *c);

/**
 * rtvm_change_kind_to_string() - the JSON name of a kind, e.g. "sysctl".
 * @kind: an enum rtvm_change_kind.
 *
 * Returns: a static string, or NULL for an unknown kind.
 * Privileges: none.
 */
const char *rtvm_change_kind_to_string(int kind);

/**
 * rtvm_change_get_target() - what was changed, in text: a path for files
 *      and cgroups ("cpuset:/rtvm/rt"), a dotted name for sysctls, an IRQ
 *      number, or "PID/TID@STARTTIME" for threads.
 * @c: the record.
 *
 * Returns: the target (lent), or NULL for NULL.
 * Privileges: none.
 */
const char *rtvm_change_get_target(const struct rtvm_change *c);

/**
 * rtvm_change_get_old_value() - the value before the change, in text.
 * @c: the record.
 *
 * Thread scheduling values read "POLICY:PRIORITY:NICE" or, for deadline,
 * "deadline:RUNTIME:DEADLINE:PERIOD" (nanoseconds); affinities are CPU
 * lists; created cgroups and files (configuration files in /etc or /run,
 * which restore removes) have no old value.
 *
 * Returns: the value (lent), NULL when there was none or @c is NULL.
 * Privileges: none.
 */
const char *rtvm_change_get_old_value(const struct rtvm_change *c);

/**
 * rtvm_change_get_new_value() - the value the change set, in text.
 * @c: the record.
 *
 * Returns: the value (lent), NULL when there is none or @c is NULL.
 * Privileges: none.
 */
const char *rtvm_change_get_new_value(const struct rtvm_change *c);

/**
 * rtvm_changeset_to_json() - serialize a changeset.
 * @cs: the set.
 * @ret: where a JSON document is stored; free() it.  Its form is
 *       {"version": 1, "changes": [{"kind": ..., "target": ..., "old": ...,
 *       "new": ...}, ...]}, with "old"/"new" omitted when absent.
 *
 * Returns: 0, or -EINVAL (NULL argument), -ENOMEM.
 * Privileges: none.
 */
int rtvm_changeset_to_json(const struct rtvm_changeset *cs, char **ret);

/**
 * rtvm_changeset_new_from_json() - rebuild a changeset from its JSON form.
 * @ctx: the context.
 * @json: a document made by rtvm_changeset_to_json().
 * @ret: where the new set is stored (one reference).
 *
 * Returns: 0, or -EINVAL (NULL argument; malformed JSON, unknown version or
 * kind, a missing or mistyped field, or a target that does not parse for
 * its kind; the log names which), -ENOMEM.
 * Privileges: none.
 */
int rtvm_changeset_new_from_json(struct rtvm_ctx *ctx, const char *json,
				 struct rtvm_changeset **ret);

/**
 * rtvm_changeset_restore() - put every recorded target back to its old
 *      value, newest record first.
 * @cs: the set.
 * @flags: must be 0.
 *
 * A failing record does not stop the others, and is tried once more after
 * them (a pin that a thread's cpuset allows only once an older record has
 * put the thread back into its cgroup).  A thread whose tid now names
 * another thread (a different start time) is gone: it is skipped, never
 * touched.  Restoring twice is harmless.
 *
 * Returns: 0 when every record was restored or its target is gone, else the
 * first error: -EINVAL (NULL @cs, unknown flags), -EPERM/-EACCES (not
 * privileged), -EIO or another error of the kernel for that write.
 * Privileges: those of the changes being undone: root for /proc/sys and
 * /proc/irq, CAP_SYS_NICE for other users' threads, write access to cgroups.
 */
int rtvm_changeset_restore(struct rtvm_changeset *cs, unsigned int flags);

/**
 * rtvm_sysctl_get() - read a sysctl by its dotted name.
 * @ctx: the context.
 * @name: e.g. "kernel.sched_rt_runtime_us"; a dotted name maps to
 *        /proc/sys/kernel/sched_rt_runtime_us.
 * @ret: where the value, without the trailing newline, is stored; free() it.
 *
 * Returns: 0, or -EINVAL (NULL argument, a name that is empty, has "..",
 * '/' or starts or ends with a dot), -ENOENT (no such sysctl), -EACCES, -EIO.
 * Privileges: none for most sysctls; root for a few.
 */
int rtvm_sysctl_get(struct rtvm_ctx *ctx, const char *name, char **ret);

/**
 * rtvm_sysctl_set() - write a sysctl and record the change.
 * @ctx: the context.
 * @name: the dotted name, as for rtvm_sysctl_get().
 * @value: the new value.
 * @cs: the changeset that receives the record (old and new value), or NULL
 *      to keep no record.  Nothing is recorded when the write fails or the
 *      value is already in force.
 *
 * Returns: 0, or -EINVAL (bad name, NULL @value, or the kernel refused the
 * value), -ENOENT, -EPERM/-EACCES (not root), -ENOMEM, -EIO.
 * Privileges: root (CAP_SYS_ADMIN for most sysctls).
 */
int rtvm_sysctl_set(struct rtvm_ctx *ctx, const char *name, const char *value,
		    struct rtvm_changeset *cs);

/* ------------------------------------------------------------------ */
/* Capture: fixtures from real hosts                                  */
/* ------------------------------------------------------------------ */

/* rtvm_capture(): also copy every thread's files (big on a busy host) */
#define RTVM_CAPTURE_THREADS (1u << 0)

/**
 * rtvm_capture() - copy every file the host model reads into a new
 *      sysroot, so that tests can run on the shape of a real machine.
 * @ctx: the context whose host (or sysroot) is read.
 * @destdir: the directory to fill; it is created when missing and must be
 *           empty otherwise.
 * @flags: 0 or RTVM_CAPTURE_THREADS.
 *
 * Without RTVM_CAPTURE_THREADS only the calling process's threads are
 * copied (none when @ctx reads a sysroot).  Files are copied with their
 * content at the time of the capture; links the library followed become
 * plain files.
 *
 * Returns: 0, or -EINVAL (NULL argument, unknown flags), -ENOTEMPTY
 * (@destdir is not empty), -EEXIST (@destdir is not a directory), -ENOMEM,
 * or the error of reading the host or writing @destdir.
 * Privileges: none; some files are readable only by root, and a capture
 * made as another user leaves them out.
 */
int rtvm_capture(struct rtvm_ctx *ctx, const char *destdir,
		 unsigned int flags);

/* ------------------------------------------------------------------ */
/* Host readiness checks                                              */
/* ------------------------------------------------------------------ */

/** A check's outcome, in increasing severity.  The verdict of a run is the
 * worst of pass, warn and fail; info and skip do not count. */
enum rtvm_check_status {
	RTVM_CHECK_PASS = 0,
	RTVM_CHECK_INFO,
	RTVM_CHECK_SKIP,
	RTVM_CHECK_WARN,
	RTVM_CHECK_FAIL,
};

/* rtvm_check_opts.flags: run noise.gaps on noise_cpu, not the last RT CPU */
#define RTVM_CHECK_NOISE_CPU (1u << 0)

/** Options of rtvm_check_run(); zero fields take the defaults. */
struct rtvm_check_opts {
	size_t size;			 /* sizeof(struct rtvm_check_opts) */
	unsigned int flags;		 /* RTVM_CHECK_* */
	const struct rtvm_cpumask *rt_cpus; /* NULL: the isolated CPUs */
	const char *only;		 /* "id,prefix.,..." or NULL for all */
	unsigned int max_exit_latency_us; /* pm.cstates target (default 10) */
	unsigned int sample_ms;		 /* wait between counter samples (0) */
	unsigned int noise_ms;		 /* noise.gaps duration; 0 skips it */
	unsigned int noise_threshold_us; /* gap threshold (default 20) */
	unsigned int noise_cpu;		 /* with RTVM_CHECK_NOISE_CPU */
};

struct rtvm_check_report;
struct rtvm_check_result;

/**
 * rtvm_check_run() - check whether the host is ready for RT VMs on the
 *      given RT CPUs, and say why not and what to do.
 * @ctx: the context (a sysroot is checked like a host, except noise.gaps,
 *       which needs the real CPUs and is skipped there).
 * @opts: options, or NULL for the defaults; @opts->size must be set.
 * @ret: where the report is stored (one reference).
 *
 * Each check is independent: one that cannot look (a missing file, no
 * privilege) reports "skip" with the reason; the run itself fails only for
 * bad arguments or an unreadable host.  Counters (IRQs and SMIs on RT CPUs)
 * are sampled at the start and at the end of the run, @opts->sample_ms
 * apart at least.  With @opts->noise_ms the run spins a SCHED_FIFO thread
 * of its own on one RT CPU for that long.
 *
 * Returns: 0, or -EINVAL (NULL @ctx or @ret, a wrong @opts->size, unknown
 * flags, an RT CPU that is offline or not a CPU of the host, @opts->only
 * naming no known check, an offline noise CPU), -ENOMEM, or the error of
 * loading the host model.
 * Privileges: none for most checks; root for smi.count (MSR device),
 * irq.irqbalance's environment file and noise.gaps (SCHED_FIFO).  What
 * cannot be read is reported as "skip".
 */
int rtvm_check_run(struct rtvm_ctx *ctx, const struct rtvm_check_opts *opts,
		   struct rtvm_check_report **ret);

/**
 * rtvm_check_report_ref() - take a reference on a report.
 * @report: the report, or NULL.
 *
 * Returns: @report.
 * Privileges: none.
 */
struct rtvm_check_report *
rtvm_check_report_ref(struct rtvm_check_report *report);

/**
 * rtvm_check_report_unref() - drop a reference; the last frees the report.
 * @report: the report, or NULL.
 *
 * Returns: NULL, always.
 * Privileges: none.
 */
struct rtvm_check_report *
rtvm_check_report_unref(struct rtvm_check_report *report);

/**
 * rtvm_check_report_get_verdict() - the worst status among pass, warn and
 *      fail of all results.
 * @report: the report.
 *
 * Returns: RTVM_CHECK_PASS, RTVM_CHECK_WARN or RTVM_CHECK_FAIL, or -EINVAL
 * for NULL.
 * Privileges: none.
 */
int rtvm_check_report_get_verdict(const struct rtvm_check_report *report);

/**
 * rtvm_check_report_get_count() - how many results have a status.
 * @report: the report.
 * @status: an enum rtvm_check_status.
 *
 * Returns: the count, 0 for NULL or an unknown status.
 * Privileges: none.
 */
unsigned int rtvm_check_report_get_count(const struct rtvm_check_report *report,
					 int status);

/**
 * rtvm_check_report_get_rt_cpus() - the RT CPUs that were checked.
 * @report: the report.
 *
 * Returns: the mask (lent), or NULL for NULL.
 * Privileges: none.
 */
const struct rtvm_cpumask *
rtvm_check_report_get_rt_cpus(const struct rtvm_check_report *report);

/**
 * rtvm_check_report_next() - iterate over the results in check order.
 * @report: the report.
 * @prev: the previous result, or NULL to start.
 *
 * Returns: the next result (lent), or NULL at the end.
 * Privileges: none.
 */
const struct rtvm_check_result *
rtvm_check_report_next(const struct rtvm_check_report *report,
		       const struct rtvm_check_result *prev);

/** Iterate @r (a const struct rtvm_check_result *) over a report. */
#define rtvm_check_report_foreach(r, report)                             \
	for ((r) = rtvm_check_report_next((report), NULL); (r);           \
	     (r) = rtvm_check_report_next((report), (r)))

/**
 * rtvm_check_report_find() - a result by check id.
 * @report: the report.
 * @id: a check id such as "pm.cstates".
 * @ret: where the result (lent) is stored.
 *
 * Returns: 0, -ENOENT when the report has no such check, -EINVAL (NULL).
 * Privileges: none.
 */
int rtvm_check_report_find(const struct rtvm_check_report *report,
			   const char *id,
			   const struct rtvm_check_result **ret);

/**
 * rtvm_check_report_to_json() - the report as JSON.
 * @report: the report.
 * @ret: where the document is stored; free() it.  Its form is
 *       {"verdict": "pass|warn|fail", "rt_cpus": "LIST", "counts": {...},
 *       "checks": [{"id", "title", "status", "observed", "expected",
 *       "remedy", "details": [{"cpu", "text"}]}, ...]}.
 *
 * Returns: 0, or -EINVAL (NULL argument), -ENOMEM.
 * Privileges: none.
 */
int rtvm_check_report_to_json(const struct rtvm_check_report *report,
			      char **ret);

/**
 * rtvm_check_status_to_string() - "pass", "info", "skip", "warn", "fail".
 * @status: an enum rtvm_check_status.
 *
 * Returns: a static string, or NULL for an unknown status.
 * Privileges: none.
 */
const char *rtvm_check_status_to_string(int status);

/**
 * rtvm_check_result_get_id() - the check's id, e.g. "cmdline.nohz_full".
 * @r: the result.
 *
 * Returns: the id (static), or NULL for NULL.
 * Privileges: none.
 */
const char *rtvm_check_result_get_id(const struct rtvm_check_result *r);

/**
 * rtvm_check_result_get_title() - a one-line description of the check.
 * @r: the result.
 *
 * Returns: the title (static), or NULL for NULL.
 * Privileges: none.
 */
const char *rtvm_check_result_get_title(const struct rtvm_check_result *r);

/**
 * rtvm_check_result_get_status() - the check's status.
 * @r: the result.
 *
 * Returns: an enum rtvm_check_status, or -EINVAL for NULL.
 * Privileges: none.
 */
int rtvm_check_result_get_status(const struct rtvm_check_result *r);

/**
 * rtvm_check_result_get_observed() - what the check found, in text.
 * @r: the result.
 *
 * Returns: the text (lent), "" when there is none, NULL for NULL.
 * Privileges: none.
 */
const char *rtvm_check_result_get_observed(const struct rtvm_check_result *r);

/**
 * rtvm_check_result_get_expected() - what an RT host has, in text.
 * @r: the result.
 *
 * Returns: the text (lent), "" when there is none, NULL for NULL.
 * Privileges: none.
 */
const char *rtvm_check_result_get_expected(const struct rtvm_check_result *r);

/**
 * rtvm_check_result_get_remedy() - a concrete fix: a command to run or a
 *      kernel command-line change.
 * @r: the result.
 *
 * Returns: the text (lent), "" when nothing is to be done, NULL for NULL.
 * Privileges: none.
 */
const char *rtvm_check_result_get_remedy(const struct rtvm_check_result *r);

/**
 * rtvm_check_result_get_nr_details() - how many per-CPU lines it has.
 * @r: the result.
 *
 * Returns: the count, 0 for NULL.
 * Privileges: none.
 */
unsigned int rtvm_check_result_get_nr_details(const struct rtvm_check_result *r);

/**
 * rtvm_check_result_get_detail() - one per-CPU line.
 * @r: the result.
 * @index: 0 .. rtvm_check_result_get_nr_details() - 1.
 * @ret_cpu: where the CPU is stored (-1 for a line about no one CPU).
 * @ret_text: where the text (lent) is stored.
 *
 * Returns: 0, -ENOENT for a bad @index, -EINVAL (NULL argument).
 * Privileges: none.
 */
int rtvm_check_result_get_detail(const struct rtvm_check_result *r,
				 unsigned int index, int *ret_cpu,
				 const char **ret_text);

/* ------------------------------------------------------------------ */
/* PM QoS holds                                                       */
/* ------------------------------------------------------------------ */

struct rtvm_pm_qos;

/**
 * rtvm_pm_qos_hold() - keep CPUs out of deep idle states for as long as
 *      the caller holds the returned object.
 * @ctx: the context.
 * @cpus: the CPUs to hold, through their per-CPU resume latency
 *        (power/pm_qos_resume_latency_us), or NULL for the global
 *        /dev/cpu_dma_latency request, which covers every CPU.
 * @latency_us: the largest wake-up latency allowed, 0 for the shallowest
 *              state only.
 * @ret: where the hold is stored; rtvm_pm_qos_release() ends it.
 *
 * The global request lasts while its file stays open, and the kernel drops
 * it when the process dies.  Per-CPU values are sysfs settings: the hold
 * records each CPU's previous value and puts it back on release; if the
 * process dies first, nothing does, so callers that may crash should keep
 * the hold's change records (see rtvm_pm_qos_get_changes()).
 *
 * Returns: 0, or -EINVAL (NULL @ctx or @ret, an empty mask, an offline
 * CPU, a latency above 2000000000), -ENOENT (the kernel has no such file:
 * no PM QoS support for that CPU), -EACCES/-EPERM (not root), -ENOMEM.  On
 * failure every CPU already set is put back.
 * Privileges: root (write access to /dev/cpu_dma_latency or sysfs).
 */
int rtvm_pm_qos_hold(struct rtvm_ctx *ctx, const struct rtvm_cpumask *cpus,
		     unsigned int latency_us, struct rtvm_pm_qos **ret);

/**
 * rtvm_pm_qos_get_changes() - the change records of a per-CPU hold.
 * @hold: the hold.
 *
 * Returns: the records (lent; empty for the global request), or NULL for
 * NULL.
 * Privileges: none.
 */
const struct rtvm_changeset *rtvm_pm_qos_get_changes(const struct rtvm_pm_qos *hold);

/**
 * rtvm_pm_qos_release() - end a hold and put the previous values back.
 * @hold: the hold, or NULL.
 *
 * Returns: NULL, always.  A failure to restore a CPU is logged.
 * Privileges: those of rtvm_pm_qos_hold().
 */
struct rtvm_pm_qos *rtvm_pm_qos_release(struct rtvm_pm_qos *hold);

/* ------------------------------------------------------------------ */
/* VMs: finding a VMM's threads                                       */
/* ------------------------------------------------------------------ */

/** What a thread of a VM does. */
enum rtvm_vm_role {
	RTVM_VM_ROLE_OTHER = 0,	/* a helper thread (vnc, worker, ...) */
	RTVM_VM_ROLE_VCPU,	/* runs one vCPU */
	RTVM_VM_ROLE_EMULATOR,	/* the main (emulator) thread */
	RTVM_VM_ROLE_IOTHREAD,	/* an I/O thread */
};

struct rtvm_vm;
struct rtvm_vm_thread;

/**
 * rtvm_vm_new_from_pid() - find the threads of a VMM process by their
 *      names, without libvirt.
 * @ctx: the context; the VM holds a reference on it.
 * @pid: the VMM's process id (QEMU, Firecracker, cloud-hypervisor).
 * @ret: where the VM is stored (one reference).
 *
 * Thread names are matched against a table of VMM naming rules: QEMU's
 * "CPU N/KVM" and "CPU N/TCG" vCPUs and "IO NAME" iothreads, Firecracker's
 * "fc_vcpu N", cloud-hypervisor's "vcpuN".  The main thread is the
 * emulator; other threads have RTVM_VM_ROLE_OTHER.
 *
 * Returns: 0, or -EINVAL (NULL argument, @pid <= 0), -ESRCH (no such
 * process), -ENOENT (the process has no thread named like a vCPU: not a
 * VMM, or one that names no threads), -ENOMEM.
 * Privileges: none.
 */
int rtvm_vm_new_from_pid(struct rtvm_ctx *ctx, pid_t pid,
			 struct rtvm_vm **ret);

/**
 * rtvm_vm_new_from_libvirt() - find the threads of a running libvirt QEMU
 *      domain of this host.
 * @ctx: the context; the VM holds a reference on it.
 * @uri: the libvirt connection URI, or NULL for "qemu:///system".  Only
 *       local URIs of the system instance: a VM's threads can be tuned only
 *       on the host it runs on.
 * @domain: the domain's name or UUID.
 * @ret: where the VM is stored (one reference).
 *
 * A read-only libvirt connection looks the domain up and reads the pins
 * libvirt has for it (vcpupin, emulatorpin, iothreadpin: see
 * rtvm_vm_get_libvirt_pin()).  The QEMU pid comes from the pid file in
 * libvirt's run directory (libvirt/qemu/NAME.pid, inside the sysroot if
 * one is set), checked against that process's command line; its threads
 * are then found as by rtvm_vm_new_from_pid(), and their count checked
 * against libvirt's.  The connection is closed before returning.
 *
 * libvirt prints its errors on standard error unless told otherwise: this
 * function sets libvirt's process-wide error function to one that prints
 * nothing, and logs libvirt's messages through the context instead.
 *
 * Returns: 0, or -EINVAL (NULL argument, empty @domain, a name that cannot
 * be a file name), -EOPNOTSUPP (a remote or session URI), -ECONNREFUSED
 * (no libvirt at @uri: the log names the URI and libvirt's reason),
 * -EACCES (libvirt refused), -ENOENT (no such domain, or its QEMU has no
 * threads named like vCPUs: the log says which), -ESRCH (the domain is not
 * running, or its pid file is missing or stale), -EBADMSG (a pid file
 * without a pid), -EIO (another libvirt error, logged), -ELIBACC
 * (libvirt's library, libvirt.so.0, cannot be loaded: the log says why;
 * librtvm loads it on first use, not at start), -ENOMEM.
 * Privileges: libvirt's read-only access (its read-only socket); reading
 * libvirt's run directory (usually anyone).
 */
int rtvm_vm_new_from_libvirt(struct rtvm_ctx *ctx, const char *uri,
			     const char *domain, struct rtvm_vm **ret);

/**
 * rtvm_vm_get_name() - the libvirt domain's name of a VM found with
 *      rtvm_vm_new_from_libvirt().
 * @vm: the VM.
 *
 * Returns: the name (lent), or NULL for a VM found by pid, or NULL @vm.
 * Privileges: none.
 */
const char *rtvm_vm_get_name(const struct rtvm_vm *vm);

/**
 * rtvm_vm_get_libvirt_pin() - the CPUs libvirt pins a thread of the VM to,
 *      as libvirt said when the VM was found (a refresh does not ask
 *      again).  Where the domain's XML pins nothing, libvirt reports the
 *      CPUs the thread may use (all, or the domain's cpuset).
 * @vm: a VM from rtvm_vm_new_from_libvirt().
 * @role: RTVM_VM_ROLE_VCPU, RTVM_VM_ROLE_EMULATOR or RTVM_VM_ROLE_IOTHREAD.
 * @index: the vCPU index, or the iothread id (libvirt's iothread_id, the N
 *         of QEMU's "IO iothreadN"); ignored for the emulator.
 * @ret: where the mask is stored (lent by @vm).
 *
 * Returns: 0, or -EINVAL (NULL argument, another role), -ENOENT (a VM not
 * from libvirt, no such vCPU or iothread, or libvirt could not say).
 * Privileges: none.
 */
int rtvm_vm_get_libvirt_pin(const struct rtvm_vm *vm, int role,
			    unsigned int index,
			    const struct rtvm_cpumask **ret);

/**
 * rtvm_vm_ref() - take a reference on a VM.
 * @vm: the VM, or NULL.
 *
 * Returns: @vm.
 * Privileges: none.
 */
struct rtvm_vm *rtvm_vm_ref(struct rtvm_vm *vm);

/**
 * rtvm_vm_unref() - drop a reference; the last frees the VM.
 * @vm: the VM, or NULL.
 *
 * Returns: NULL, always.
 * Privileges: none.
 */
struct rtvm_vm *rtvm_vm_unref(struct rtvm_vm *vm);

/**
 * rtvm_vm_refresh() - read the VMM's threads again, noticing vCPUs and
 *      threads that were added or are gone.  Thread objects got before are
 *      invalid afterwards.
 * @vm: the VM.
 * @ret_changed: where to store whether anything changed (may be NULL).
 *
 * Returns: 0, or -EINVAL (NULL @vm), -ESRCH (the process is gone), -ENOMEM.
 * The VM is unchanged on failure.
 * Privileges: none.
 */
int rtvm_vm_refresh(struct rtvm_vm *vm, bool *ret_changed);

/**
 * rtvm_vm_get_pid() - the VMM's process id.
 * @vm: the VM.
 *
 * Returns: the pid, or -EINVAL for NULL.
 * Privileges: none.
 */
pid_t rtvm_vm_get_pid(const struct rtvm_vm *vm);

/**
 * rtvm_vm_get_vmm() - which naming rules matched: "qemu", "firecracker"
 *      or "cloud-hypervisor".
 * @vm: the VM.
 *
 * Returns: a static string, or NULL for NULL.
 * Privileges: none.
 */
const char *rtvm_vm_get_vmm(const struct rtvm_vm *vm);

/**
 * rtvm_vm_get_nr_vcpus() - how many vCPUs the VM has: the highest vCPU
 *      index found plus one.
 * @vm: the VM.
 *
 * Returns: the count, 0 for NULL.
 * Privileges: none.
 */
unsigned int rtvm_vm_get_nr_vcpus(const struct rtvm_vm *vm);

/**
 * rtvm_vm_get_vcpu_tid() - the thread that runs a vCPU.
 * @vm: the VM.
 * @index: the vCPU index.
 *
 * Returns: the tid, -ENOENT when no thread runs that vCPU (an index out of
 * range, or a vCPU whose thread is not found), -EINVAL for NULL.
 * Privileges: none.
 */
pid_t rtvm_vm_get_vcpu_tid(const struct rtvm_vm *vm, unsigned int index);

/**
 * rtvm_vm_thread_next() - iterate over the VM's threads, by tid.
 * @vm: the VM.
 * @prev: the previous thread, or NULL to start.
 *
 * Returns: the next thread (lent by @vm until the next refresh), or NULL.
 * Privileges: none.
 */
const struct rtvm_vm_thread *rtvm_vm_thread_next(const struct rtvm_vm *vm,
						 const struct rtvm_vm_thread *prev);

/** Iterate @t (a const struct rtvm_vm_thread *) over the VM's threads. */
#define rtvm_vm_foreach_thread(t, vm)                                    \
	for ((t) = rtvm_vm_thread_next((vm), NULL); (t);                  \
	     (t) = rtvm_vm_thread_next((vm), (t)))

/**
 * rtvm_vm_thread_get_tid() - the thread id.
 * @t: the thread.
 *
 * Returns: the tid, or -EINVAL for NULL.
 * Privileges: none.
 */
pid_t rtvm_vm_thread_get_tid(const struct rtvm_vm_thread *t);

/**
 * rtvm_vm_thread_get_role() - what the thread does.
 * @t: the thread.
 *
 * Returns: an enum rtvm_vm_role, or -EINVAL for NULL.
 * Privileges: none.
 */
int rtvm_vm_thread_get_role(const struct rtvm_vm_thread *t);

/**
 * rtvm_vm_thread_get_index() - the vCPU index of a vCPU thread.
 * @t: the thread.
 *
 * Returns: the index, -ENOENT for other roles, -EINVAL for NULL.
 * Privileges: none.
 */
int rtvm_vm_thread_get_index(const struct rtvm_vm_thread *t);

/**
 * rtvm_vm_thread_get_name() - the thread's name (its comm), or for an
 *      iothread the iothread's id ("iothread0" for "IO iothread0").
 * @t: the thread.
 *
 * Returns: the name (lent), or NULL for NULL.
 * Privileges: none.
 */
const char *rtvm_vm_thread_get_name(const struct rtvm_vm_thread *t);

/**
 * rtvm_vm_role_to_string() - "vcpu", "emulator", "iothread" or "other".
 * @role: an enum rtvm_vm_role.
 *
 * Returns: a static string, or NULL for an unknown role.
 * Privileges: none.
 */
const char *rtvm_vm_role_to_string(int role);

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

/* ------------------------------------------------------------------ */
/* IRQs: a read-only inventory                                        */
/* ------------------------------------------------------------------ */

/** What an interrupt line is. */
enum rtvm_irq_kind {
	RTVM_IRQ_DEVICE = 0, /* a numbered device interrupt */
	RTVM_IRQ_PERCPU,     /* a numbered per-CPU interrupt (timers, IPIs) */
	RTVM_IRQ_SYSTEM,     /* a line of counters such as LOC, RES, CAL, TLB, NMI */
};

struct rtvm_irqs;
struct rtvm_irq;

/**
 * rtvm_irqs_new() - take an inventory of the host's interrupts from
 *      /proc/interrupts, /proc/irq/N and /sys/kernel/irq/N.
 * @ctx: the context; the inventory holds a reference on it.
 * @ret: where the inventory is stored (one reference).
 *
 * Each numbered IRQ gets its per-CPU counts, chip, hwirq, trigger, actions,
 * affinity, effective affinity, node, its kind, whether the kernel manages
 * its affinity or refuses to move it, the PCI device, driver and network
 * interface it belongs to where /sys says so (msi_irqs), and its threaded
 * handler's kernel thread (irq/N-name) if any.  System lines (LOC, RES,
 * ...) come with their per-CPU counts.
 *
 * Returns: 0, or -EINVAL (NULL argument), -ENOENT (no /proc/interrupts),
 * -ENOMEM, or the error of reading /proc/interrupts.
 * Privileges: none.
 */
int rtvm_irqs_new(struct rtvm_ctx *ctx, struct rtvm_irqs **ret);

/**
 * rtvm_irqs_ref() - take a reference on an inventory.
 * @irqs: the inventory, or NULL.
 *
 * Returns: @irqs.
 * Privileges: none.
 */
struct rtvm_irqs *rtvm_irqs_ref(struct rtvm_irqs *irqs);

/**
 * rtvm_irqs_unref() - drop a reference; the last frees the inventory.
 * @irqs: the inventory, or NULL.
 *
 * Returns: NULL, always.
 * Privileges: none.
 */
struct rtvm_irqs *rtvm_irqs_unref(struct rtvm_irqs *irqs);

/**
 * rtvm_irqs_next() - iterate: numbered IRQs in increasing number, then the
 *      system lines in /proc/interrupts order.
 * @irqs: the inventory.
 * @prev: the previous entry, or NULL to start.
 *
 * Returns: the next entry (lent), or NULL at the end.
 * Privileges: none.
 */
const struct rtvm_irq *rtvm_irqs_next(const struct rtvm_irqs *irqs,
				      const struct rtvm_irq *prev);

/** Iterate @q (a const struct rtvm_irq *) over an inventory. */
#define rtvm_irqs_foreach(q, irqs)                                       \
	for ((q) = rtvm_irqs_next((irqs), NULL); (q);                     \
	     (q) = rtvm_irqs_next((irqs), (q)))

/**
 * rtvm_irqs_find() - a numbered IRQ.
 * @irqs: the inventory.
 * @irq: the IRQ number.
 * @ret: where the entry (lent) is stored.
 *
 * Returns: 0, -ENOENT (no such IRQ), -EINVAL (NULL argument).
 * Privileges: none.
 */
int rtvm_irqs_find(const struct rtvm_irqs *irqs, unsigned int irq,
		   const struct rtvm_irq **ret);

/**
 * rtvm_irq_get_number() - the IRQ number.
 * @q: the entry.
 *
 * Returns: the number, -ENOENT for a system line, -EINVAL for NULL.
 * Privileges: none.
 */
int rtvm_irq_get_number(const struct rtvm_irq *q);

/**
 * rtvm_irq_get_name() - the actions ("eth0-TxRx-3", comma-separated when
 *      shared) of a numbered IRQ, or the label of a system line ("LOC").
 * @q: the entry.
 *
 * Returns: the name (lent; "" when no handler is registered), NULL for NULL.
 * Privileges: none.
 */
const char *rtvm_irq_get_name(const struct rtvm_irq *q);

/**
 * rtvm_irq_get_kind() - an enum rtvm_irq_kind.
 * @q: the entry.
 *
 * Returns: the kind, or -EINVAL for NULL.
 * Privileges: none.
 */
int rtvm_irq_get_kind(const struct rtvm_irq *q);

/**
 * rtvm_irq_get_chip() - the interrupt chip ("IR-PCI-MSIX-0000:03:00.0",
 *      "IO-APIC"), for a numbered IRQ.
 * @q: the entry.
 *
 * Returns: the chip (lent), NULL when unknown or for NULL.
 * Privileges: none.
 */
const char *rtvm_irq_get_chip(const struct rtvm_irq *q);

/**
 * rtvm_irq_get_hwirq() - the hardware IRQ number as the kernel shows it.
 * @q: the entry.
 *
 * Returns: the text (lent, e.g. "524288"; the trigger of "2-edge" is split
 * off into rtvm_irq_get_trigger()), NULL when unknown.
 * Privileges: none.
 */
const char *rtvm_irq_get_hwirq(const struct rtvm_irq *q);

/**
 * rtvm_irq_get_trigger() - "edge" or "level", where the kernel says.
 * @q: the entry.
 *
 * Returns: the trigger (lent), NULL when unknown.
 * Privileges: none.
 */
const char *rtvm_irq_get_trigger(const struct rtvm_irq *q);

/**
 * rtvm_irq_get_count() - the interrupts one CPU has taken.
 * @q: the entry.
 * @cpu: the CPU.
 *
 * Returns: the count; 0 for a CPU without a column (offline) or NULL.
 * Privileges: none.
 */
unsigned long long rtvm_irq_get_count(const struct rtvm_irq *q,
				      unsigned int cpu);

/**
 * rtvm_irq_get_total() - the interrupts all CPUs have taken.
 * @q: the entry.
 *
 * Returns: the sum, 0 for NULL.
 * Privileges: none.
 */
unsigned long long rtvm_irq_get_total(const struct rtvm_irq *q);

/**
 * rtvm_irq_get_affinity() - the CPUs the IRQ may be delivered to
 *      (smp_affinity_list).
 * @q: a numbered IRQ.
 *
 * Returns: the mask (lent), NULL for system lines or when unreadable.
 * Privileges: none.
 */
const struct rtvm_cpumask *rtvm_irq_get_affinity(const struct rtvm_irq *q);

/**
 * rtvm_irq_get_effective_affinity() - the CPUs the chip actually delivers
 *      it to (effective_affinity_list), which may be narrower.
 * @q: a numbered IRQ.
 *
 * Returns: the mask (lent), NULL when the kernel does not say.
 * Privileges: none.
 */
const struct rtvm_cpumask *
rtvm_irq_get_effective_affinity(const struct rtvm_irq *q);

/**
 * rtvm_irq_get_node() - the NUMA node of the IRQ's device.
 * @q: a numbered IRQ.
 *
 * Returns: the node, -ENOENT when unknown (or -1 in the kernel), -EINVAL for
 * NULL.
 * Privileges: none.
 */
int rtvm_irq_get_node(const struct rtvm_irq *q);

/**
 * rtvm_irq_is_managed() - whether the kernel manages the IRQ's affinity
 *      (multi-queue devices' managed IRQs cannot be moved from userspace).
 * @q: the entry.
 *
 * The kernel makes the affinity files of such an IRQ read-only; an MSI
 * vector with a read-only file (or, in a sysroot whose captured files lost
 * their modes, a queue named like NVMe's or virtio's with a narrowed
 * affinity) counts as managed.
 *
 * Returns: true or false (false for NULL).
 * Privileges: none.
 */
bool rtvm_irq_is_managed(const struct rtvm_irq *q);

/**
 * rtvm_irq_is_movable() - whether userspace can change its affinity: a
 *      numbered device IRQ with a writable affinity file that is neither
 *      managed nor per-CPU.
 * @q: the entry.
 *
 * Returns: true or false (false for NULL).
 * Privileges: none.
 */
bool rtvm_irq_is_movable(const struct rtvm_irq *q);

/**
 * rtvm_irq_get_pci() - the PCI address of the device the IRQ belongs to
 *      (through /sys/bus/pci/devices/ADDR/msi_irqs or the chip name).
 * @q: the entry.
 *
 * Returns: "0000:03:00.0" (lent), or NULL when not a PCI device's IRQ.
 * Privileges: none.
 */
const char *rtvm_irq_get_pci(const struct rtvm_irq *q);

/**
 * rtvm_irq_get_driver() - the driver bound to the IRQ's PCI device.
 * @q: the entry.
 *
 * Returns: the driver name (lent), or NULL when unknown.
 * Privileges: none.
 */
const char *rtvm_irq_get_driver(const struct rtvm_irq *q);

/**
 * rtvm_irq_get_netdev() - the network interface of the IRQ's PCI device.
 * @q: the entry.
 *
 * Returns: the interface name (lent), or NULL when none.
 * Privileges: none.
 */
const char *rtvm_irq_get_netdev(const struct rtvm_irq *q);

/**
 * rtvm_irq_get_thread() - the kernel thread of a threaded handler
 *      ("irq/125-eth0-TxRx-3").
 * @q: the entry.
 *
 * Returns: its tid, 0 when the IRQ has none, -EINVAL for NULL.
 * Privileges: none.
 */
pid_t rtvm_irq_get_thread(const struct rtvm_irq *q);

/* ------------------------------------------------------------------ */
/* IRQs: steering                                                     */
/* ------------------------------------------------------------------ */

/**
 * rtvm_irq_match() - whether an IRQ matches a selector.
 * @q: an entry of an inventory.
 * @selector: "N" or "N-M" (IRQ numbers), "driver:GLOB", "pci:GLOB",
 *      "net:GLOB", "name:GLOB", or a bare GLOB matched against the actions
 *      ("eth0-TxRx-*", "nvme*").  Globs are fnmatch(3) patterns.
 *
 * Only numbered IRQs match.
 *
 * Returns: 1 when it matches, 0 when not, -EINVAL for NULL arguments or a
 * malformed selector ("driver:" with nothing after it, "7-3").
 * Privileges: none.
 */
int rtvm_irq_match(const struct rtvm_irq *q, const char *selector);

/** Flags of struct rtvm_irq_steer. */
#define RTVM_IRQ_STEER_DRY_RUN (1u << 0)	  /* plan only, change nothing */
#define RTVM_IRQ_STEER_NO_THREADS (1u << 1)	  /* leave irq/N-name threads */
#define RTVM_IRQ_STEER_DEFAULT_AFFINITY (1u << 2) /* also default_smp_affinity */

/**
 * struct rtvm_irq_steer - where IRQs should go.
 * @size: sizeof(struct rtvm_irq_steer), for later extension.
 * @flags: RTVM_IRQ_STEER_*.
 * @away_from: move every movable device IRQ off these CPUs (the RT CPUs):
 *      its affinity loses them, and an IRQ left with no CPU goes to
 *      @housekeeping.  NULL: no bulk move.
 * @housekeeping: the CPUs IRQs moved away go to when their own affinity
 *      has none left; NULL: the online CPUs not in @away_from.
 * @to_rt: NULL-terminated selectors (see rtvm_irq_match()) of IRQs that
 *      must go to the RT CPUs instead: devices passed through to the RT VM.
 * @rt_cpus: where @to_rt IRQs go; NULL: @away_from.
 * @select: NULL-terminated selectors of IRQs to set to @cpus.
 * @cpus: the affinity for @select.
 * @retries: how often a transient error (EAGAIN, EBUSY, ENOMEM, ERANGE) is
 *      retried per IRQ; 0: 3.
 *
 * An IRQ takes the first rule that matches it: @to_rt, then @select, then
 * @away_from.
 */
struct rtvm_irq_steer {
	size_t size;
	unsigned int flags;
	const struct rtvm_cpumask *away_from;
	const struct rtvm_cpumask *housekeeping;
	const char *const *to_rt;
	const struct rtvm_cpumask *rt_cpus;
	const char *const *select;
	const struct rtvm_cpumask *cpus;
	unsigned int retries;
};

/** What happened to one IRQ. */
enum rtvm_irq_status {
	RTVM_IRQ_MOVED = 1, /* its affinity was changed (or would be: dry run) */
	RTVM_IRQ_UNCHANGED, /* it already had the wanted affinity */
	RTVM_IRQ_FAILED,    /* the kernel refused: see error and error_class */
};

/** Why a move failed, as callers act on it. */
enum rtvm_irq_error_class {
	RTVM_IRQ_ERR_NONE = 0,
	RTVM_IRQ_ERR_TRANSIENT, /* EAGAIN, EBUSY, ENOMEM, ERANGE after retries */
	RTVM_IRQ_ERR_NOSPACE,	/* ENOSPC: no free vector on the target CPUs */
	RTVM_IRQ_ERR_UNMOVABLE, /* EIO, EPERM: the kernel keeps it where it is */
	RTVM_IRQ_ERR_GONE,	/* ENOENT: the IRQ was freed meanwhile */
	RTVM_IRQ_ERR_OTHER,	/* EINVAL and the rest */
};

/**
 * struct rtvm_irq_move - one IRQ of a steering report (read only).
 * @irq: the IRQ number.
 * @name: its actions.
 * @status: an enum rtvm_irq_status.
 * @error_class: an enum rtvm_irq_error_class (FAILED only).
 * @error: the last write's -errno (FAILED only), else 0.
 * @attempts: writes made (retries included; 0 in a dry run).
 * @managed: the kernel manages its affinity (a managed queue IRQ).
 * @narrowed: the chip delivers to fewer CPUs than asked (x86: one).
 * @pending: the effective affinity is still outside the new affinity; the
 *      move completes with the IRQ's next interrupt.
 * @thread: its irq/N-name kernel thread, 0 if none.
 * @thread_error: moving the thread failed with this -errno, else 0.
 * @before: the affinity before.
 * @wanted: the affinity asked for.
 * @effective: the effective affinity read back after the write (NULL when
 *      the kernel does not show it, and in a dry run).
 */
struct rtvm_irq_move {
	unsigned int irq;
	const char *name;
	int status;
	int error_class;
	int error;
	unsigned int attempts;
	bool managed;
	bool narrowed;
	bool pending;
	pid_t thread;
	int thread_error;
	const struct rtvm_cpumask *before;
	const struct rtvm_cpumask *wanted;
	const struct rtvm_cpumask *effective;
};

struct rtvm_irq_report;

/**
 * rtvm_irq_steer() - set the affinity of IRQs by rule, record the old ones.
 * @ctx: the context.
 * @req: the rules (struct rtvm_irq_steer).
 * @cs: where each change is recorded (the IRQ's old affinity, the irq/N
 *      thread's old affinity, default_smp_affinity), for
 *      rtvm_changeset_restore(); NULL records nothing.
 * @ret: where the report is stored: every IRQ a rule chose, moved,
 *      unchanged or failed (free with rtvm_irq_report_free()).
 *
 * Everything is validated before the first write.  A failure on one IRQ
 * never stops the batch: it is classified in the report.  After each write
 * the affinity and effective affinity are read back.  The threaded handler
 * of a moved IRQ is moved with it (unless RTVM_IRQ_STEER_NO_THREADS).
 *
 * Returns: 0 (look at the report for failed IRQs), or, with nothing changed:
 * -EINVAL (a NULL or empty mask, a CPU that is not online, no housekeeping
 * CPU left, a malformed selector, an IRQ number that does not exist, a
 * too small @req->size), -ENOENT (a selector that matches no IRQ), -EPERM
 * (not allowed to write /proc/irq: the changes already made are undone),
 * -ENOMEM, or the error of rtvm_irqs_new().
 * Privileges: root (writing /proc/irq/N/smp_affinity_list), CAP_SYS_NICE
 * for the irq/N threads; none with RTVM_IRQ_STEER_DRY_RUN.
 */
int rtvm_irq_steer(struct rtvm_ctx *ctx, const struct rtvm_irq_steer *req,
		   struct rtvm_changeset *cs, struct rtvm_irq_report **ret);

/**
 * rtvm_irq_set_affinity() - set the affinity of one IRQ, retrying
 *      transient errors, and record the old one.
 * @ctx: the context.
 * @irq: the IRQ number.
 * @cpus: its new affinity.
 * @cs: where the change is recorded, or NULL.
 *
 * A shortcut for rtvm_irq_steer() with one "N" selector, without moving
 * the irq/N thread.
 *
 * Returns: 0 (also when it had @cpus already), -EINVAL (NULL or empty
 * @cpus, a CPU not online, no such IRQ), -EIO (the kernel does not let it
 * move: per-CPU or managed), -ENOSPC (no vector free on @cpus), -EBUSY or
 * -EAGAIN (still busy after the retries), -EPERM (not root).
 * Privileges: root.
 */
int rtvm_irq_set_affinity(struct rtvm_ctx *ctx, unsigned int irq,
			  const struct rtvm_cpumask *cpus,
			  struct rtvm_changeset *cs);

/**
 * rtvm_irq_report_count() - the IRQs of a report.
 * @rep: the report.
 *
 * Returns: their number, 0 for NULL.
 * Privileges: none.
 */
size_t rtvm_irq_report_count(const struct rtvm_irq_report *rep);

/**
 * rtvm_irq_report_get() - one IRQ of a report, in IRQ number order.
 * @rep: the report.
 * @i: its index, below rtvm_irq_report_count().
 *
 * Returns: the entry (valid until the report is freed), NULL when out of
 * range.
 * Privileges: none.
 */
const struct rtvm_irq_move *rtvm_irq_report_get(const struct rtvm_irq_report *rep,
					       size_t i);

/**
 * rtvm_irq_report_tally() - how many IRQs of a report have a status.
 * @rep: the report.
 * @status: an enum rtvm_irq_status.
 *
 * Returns: the count, 0 for NULL.
 * Privileges: none.
 */
size_t rtvm_irq_report_tally(const struct rtvm_irq_report *rep, int status);

/**
 * rtvm_irq_report_get_default_affinity() - default_smp_affinity before and
 *      after, when RTVM_IRQ_STEER_DEFAULT_AFFINITY was asked for.
 * @rep: the report.
 * @before: where the old mask is stored (not a copy), or NULL.
 * @after: where the new one is stored, or NULL.
 *
 * Returns: 0, -ENOENT when the report did not touch it, -EINVAL for NULL.
 * Privileges: none.
 */
int rtvm_irq_report_get_default_affinity(const struct rtvm_irq_report *rep,
					 const struct rtvm_cpumask **before,
					 const struct rtvm_cpumask **after);

/**
 * rtvm_irq_report_free() - free a report.
 * @rep: the report, or NULL.
 *
 * Returns: NULL.
 * Privileges: none.
 */
struct rtvm_irq_report *rtvm_irq_report_free(struct rtvm_irq_report *rep);

struct rtvm_irq_watch;

/**
 * rtvm_irq_watch_new() - keep IRQs where a steering request puts them.
 * @ctx: the context; the watch holds a reference.
 * @req: the rules (copied); usually the ones just given to
 *      rtvm_irq_steer().  RTVM_IRQ_STEER_DEFAULT_AFFINITY and
 *      RTVM_IRQ_STEER_DRY_RUN are ignored after the first check.
 * @cs: where re-applied changes are recorded (the watch holds a
 *      reference).  An IRQ whose original affinity the set holds already
 *      is not recorded again, so a restore brings back the affinities from
 *      before the first steer.
 * @interval_ms: how often to check every IRQ anyway (new IRQs, writes by
 *      others); 0: 5000.
 * @ret: where the watch is stored.
 *
 * Affinity does not stick: a driver reload or a link set down and up
 * frees IRQs and allocates new ones with the default affinity.  The watch
 * re-applies @req when a network link is added, removed, or set up or
 * down (NETLINK_ROUTE link events of the calling thread's network
 * namespace), and at every interval.  Selectors that match nothing then
 * are no error (the device may be away).  Nothing is written until
 * rtvm_irq_watch_dispatch().
 *
 * Returns: 0, or what rtvm_irq_steer() returns for @req (validated with
 * nothing written), -EINVAL (NULL argument), -ENOMEM, -EMFILE.  Without
 * netlink (not permitted, or a sysroot) the watch still checks every
 * interval.
 * Privileges: none to create; root to dispatch.
 */
int rtvm_irq_watch_new(struct rtvm_ctx *ctx, const struct rtvm_irq_steer *req,
		       struct rtvm_changeset *cs, unsigned int interval_ms,
		       struct rtvm_irq_watch **ret);

/**
 * rtvm_irq_watch_ref() - take a reference on a watch.
 * @w: the watch, or NULL.
 *
 * Returns: @w.
 * Privileges: none.
 */
struct rtvm_irq_watch *rtvm_irq_watch_ref(struct rtvm_irq_watch *w);

/**
 * rtvm_irq_watch_unref() - drop a reference; the last closes the watch.
 * @w: the watch, or NULL.
 *
 * Returns: NULL.
 * Privileges: none.
 */
struct rtvm_irq_watch *rtvm_irq_watch_unref(struct rtvm_irq_watch *w);

/**
 * rtvm_irq_watch_get_fd() - the fd to poll for POLLIN; when it is readable,
 *      call rtvm_irq_watch_dispatch().
 * @w: the watch.
 *
 * Returns: the fd (owned by the watch), -EINVAL for NULL.
 * Privileges: none.
 */
int rtvm_irq_watch_get_fd(const struct rtvm_irq_watch *w);

/**
 * rtvm_irq_watch_dispatch() - handle what woke the watch, without
 *      blocking: on a link event or when the interval has passed, apply
 *      the rules again.
 * @w: the watch.
 * @ret: where the report of that check is stored (NULL when there was
 *      nothing to check); free it with rtvm_irq_report_free().
 *
 * Returns: how many IRQs had lost their affinity and were put back (0
 * also when nothing was due), or the error of rtvm_irq_steer() (-EPERM
 * when not root, -ENOMEM).
 * Privileges: root.
 */
int rtvm_irq_watch_dispatch(struct rtvm_irq_watch *w,
			    struct rtvm_irq_report **ret);

/**
 * rtvm_irq_error_class_to_string() - "transient", "no-space", "unmovable",
 *      "gone", "other" or "none".
 * @cls: an enum rtvm_irq_error_class.
 *
 * Returns: the name, NULL for an unknown value.
 * Privileges: none.
 */
const char *rtvm_irq_error_class_to_string(int cls);
/* irqbalance: whether it will undo IRQ steering                      */
/* ------------------------------------------------------------------ */

/** Where the bans of rtvm_irqbalance_get_banned() were read. */
enum rtvm_irqbalance_source {
	RTVM_IRQBALANCE_FROM_ENVIRON = 0, /* the running daemon's environment */
	RTVM_IRQBALANCE_FROM_FILE,	  /* its environment file in /etc */
	RTVM_IRQBALANCE_FROM_DEFAULTS,	  /* neither: no file, not readable */
};

/** Which of irqbalance's rules bans the CPUs, in its order of precedence. */
enum rtvm_irqbalance_ban {
	RTVM_IRQBALANCE_BAN_AUTO = 0, /* no variable: isolated + nohz_full */
	RTVM_IRQBALANCE_BAN_CPULIST,  /* IRQBALANCE_BANNED_CPULIST */
	RTVM_IRQBALANCE_BAN_CPUS,     /* IRQBALANCE_BANNED_CPUS (hex; wins) */
};

struct rtvm_irqbalance;

/**
 * rtvm_irqbalance_probe() - find out whether irqbalance runs and which CPUs
 *      it keeps interrupts off.
 * @ctx: the context; the result holds a reference on it.
 * @ret: where the result is stored (one reference).
 *
 * irqbalance settles its banned CPUs when it starts: IRQBALANCE_BANNED_CPUS
 * (a hex mask) when set and not empty, else IRQBALANCE_BANNED_CPULIST, else
 * the isolated and nohz_full CPUs.  The bans in force are read from the
 * running daemon's environment (/proc/PID/environ, readable by root only);
 * without it, from its environment file, /etc/default/irqbalance or else
 * /etc/sysconfig/irqbalance (shell syntax: KEY=VALUE, optional quotes and
 * "export", '#' comments, the last assignment wins); without either, the
 * automatic ban.  When irqbalance does not run, the result says what its
 * next start would ban.  A value that does not parse is logged, naming it.
 *
 * Returns: 0, or -EINVAL (NULL argument), -ENOMEM, or the error of listing
 * the processes.
 * Privileges: none; root to read the daemon's environment.
 */
int rtvm_irqbalance_probe(struct rtvm_ctx *ctx, struct rtvm_irqbalance **ret);

/**
 * rtvm_irqbalance_ref() - take a reference on a probe result.
 * @ib: the result, or NULL.
 *
 * Returns: @ib.
 * Privileges: none.
 */
struct rtvm_irqbalance *rtvm_irqbalance_ref(struct rtvm_irqbalance *ib);

/**
 * rtvm_irqbalance_unref() - drop a reference; the last frees the result.
 * @ib: the result, or NULL.
 *
 * Returns: NULL, always.
 * Privileges: none.
 */
struct rtvm_irqbalance *rtvm_irqbalance_unref(struct rtvm_irqbalance *ib);

/**
 * rtvm_irqbalance_get_pid() - the daemon's process.
 * @ib: the result.
 *
 * Returns: its pid, 0 when irqbalance does not run, -EINVAL for NULL.
 * Privileges: none.
 */
pid_t rtvm_irqbalance_get_pid(const struct rtvm_irqbalance *ib);

/**
 * rtvm_irqbalance_get_source() - where the bans were read.
 * @ib: the result.
 *
 * Returns: an enum rtvm_irqbalance_source, or -EINVAL for NULL.
 * Privileges: none.
 */
int rtvm_irqbalance_get_source(const struct rtvm_irqbalance *ib);

/**
 * rtvm_irqbalance_get_ban_kind() - which rule bans the CPUs.
 * @ib: the result.
 *
 * Returns: an enum rtvm_irqbalance_ban, or -EINVAL for NULL.
 * Privileges: none.
 */
int rtvm_irqbalance_get_ban_kind(const struct rtvm_irqbalance *ib);

/**
 * rtvm_irqbalance_get_ban_value() - the value of the variable in force,
 *      as written ("2-15,34-47", "0000fffc"), without quotes.
 * @ib: the result.
 *
 * Returns: the value (lent), NULL for the automatic ban or NULL @ib.
 * Privileges: none.
 */
const char *rtvm_irqbalance_get_ban_value(const struct rtvm_irqbalance *ib);

/**
 * rtvm_irqbalance_get_banned() - the CPUs irqbalance keeps IRQs off.
 * @ib: the result.
 *
 * Returns: the mask (lent; may be empty), or NULL when the value in force
 * does not parse (the log names it) or @ib is NULL.
 * Privileges: none.
 */
const struct rtvm_cpumask *
rtvm_irqbalance_get_banned(const struct rtvm_irqbalance *ib);

/**
 * rtvm_irqbalance_get_file() - the environment file that was read.
 * @ib: the result.
 *
 * Returns: its host path, "/etc/default/irqbalance" or
 * "/etc/sysconfig/irqbalance" (lent), or NULL when there is none.
 * Privileges: none.
 */
const char *rtvm_irqbalance_get_file(const struct rtvm_irqbalance *ib);

/**
 * rtvm_irqbalance_is_stale() - whether the running daemon's bans differ
 *      from those of its environment file, so that a restart would change
 *      them (e.g. after rtvm_irqbalance_ban()).
 * @ib: the result.
 *
 * Returns: true or false; false when irqbalance does not run, its
 * environment is unreadable, there is no file, or @ib is NULL.
 * Privileges: none.
 */
bool rtvm_irqbalance_is_stale(const struct rtvm_irqbalance *ib);

/**
 * rtvm_irqbalance_fights() - whether irqbalance may move interrupts onto
 *      some of the given CPUs, undoing steering away from them.
 * @ib: the result.
 * @cpus: the CPUs to keep free of interrupts, e.g. the RT CPUs.
 *
 * Returns: 1 when irqbalance runs and does not ban every CPU of @cpus (or
 * its ban does not parse), 0 when it does not run or bans them all,
 * -EINVAL for a NULL argument.
 * Privileges: none.
 */
int rtvm_irqbalance_fights(const struct rtvm_irqbalance *ib,
			   const struct rtvm_cpumask *cpus);

/**
 * rtvm_irqbalance_ban() - make irqbalance keep off CPUs, through
 *      IRQBALANCE_BANNED_CPULIST in its environment file.
 * @ctx: the context.
 * @cpus: the CPUs to ban; added to the bans in force (see
 *        rtvm_irqbalance_probe()), so that no CPU is unbanned, not even one
 *        of the automatic ban, which a list replaces.
 * @cs: where the change records go (NULL: none).
 *
 * The file of rtvm_irqbalance_get_file() keeps every other line byte for
 * byte: assignments of the list are rewritten in their own quoting; a
 * non-empty IRQBALANCE_BANNED_CPUS, which would win over the list, is
 * commented out; without an assignment, the list is added after its
 * commented-out template ("#IRQBALANCE_BANNED_CPULIST=") or at the end.
 * Without a file, /etc/default/irqbalance is created (or
 * /etc/sysconfig/irqbalance where only /etc/sysconfig exists).  The first
 * change also copies the file to FILE.rtvm-backup, an older copy is kept.
 * Each file is one RTVM_CHANGE_FILE record, so rtvm_changeset_restore()
 * puts the old bytes back and removes the files it made.  The daemon is
 * never restarted: it reads the file when it starts.
 *
 * Returns: 1 when irqbalance runs and needs a restart (systemctl restart
 * irqbalance) to apply the bans, 0 when it does not run or bans exactly
 * these CPUs already; or -EINVAL (NULL argument, empty mask, offline CPU,
 * a file holding a NUL byte; the log names it), -EACCES/-EPERM (not root),
 * -ENOENT (neither /etc/default nor /etc/sysconfig exists), -ENOMEM, -EIO.
 * On failure nothing is changed.
 * Privileges: root (write access to /etc).
 */
int rtvm_irqbalance_ban(struct rtvm_ctx *ctx, const struct rtvm_cpumask *cpus,
			struct rtvm_changeset *cs);

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
 * ".vcpus[2].priority: 120 is outside 1..99".  CPU numbers are checked
 * against the host when a plan is made.
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
 *        iothreads on housekeeping CPUs).
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
 * tasks forked meanwhile included.  RT runtime that
 * "provision_rt_runtime" gives cpu cgroups is not in the plan: the kernel
 * tells only when it refuses a policy.
 *
 * Returns: 0, or -EINVAL (NULL argument; CPUs that are offline, RT CPUs
 * that are housekeeping too, a vCPU map that does not fit the VM: the log
 * names the value), -EBUSY (RT CPUs, a setting or the shield held by
 * another VM, or an unfinished apply of another VM: the log names it;
 * one VM at a time holds a shield), the errors of rtvm_shield_create()
 * for a profile with a shield, -EEXIST (the VM
 * has a profile applied already), -ENOENT (a host setting the kernel
 * does not have), -ENOMEM, or an error reading the host.
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
 * and original value are appended to the VM's journal and synced, so that
 * rtvm_tune_revert() can undo it even when the process dies at any point.
 * The shield and RT runtime provisioning record each of their writes the
 * same way, before they make it.
 * When a step fails, the steps made are undone, the journal removed, and
 * the step's error returned.
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
 * puts them back.  The journal is removed when everything was restored.
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
 *       for an apply that did not finish (revert it).
 *
 * Returns: 0, or -EINVAL (NULL @ctx or @ret_json), -ENOENT (no journal for
 * @vm_id), -EBADMSG, -ENOMEM.
 * Privileges: read access to the state directory.
 */
int rtvm_tune_status(struct rtvm_ctx *ctx, const char *vm_id,
		     char **ret_json);

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
 *       "housekeeping_cpus": LIST, "steps": [{"kind": ..., "target": ...,
 *       "old": ..., "new": ..., "shared": BOOL, "lease": BOOL}, ...]}; a
 *       lease writes nothing.
 *
 * Returns: 0, or -EINVAL (NULL argument), -ENOMEM.
 * Privileges: none.
 */
int rtvm_plan_to_json(const struct rtvm_plan *plan, char **ret);

#ifdef __cplusplus
}
#endif

#endif /* RTVM_RTVM_H */
