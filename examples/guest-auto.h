/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * rtvm-guest auto: which guest CPUs have a runnable real-time task, from
 * the kernel's sched_switch and sched_wakeup tracepoints.  Three layers,
 * so that the first two can be tested without a kernel:
 *   - a tracepoint's format file parsed into field offsets, and a perf
 *     sample decoded with them (ga_format_parse, ga_decode);
 *   - the runnable set per CPU and the boost each CPU's vCPU should have
 *     (struct ga: ga_feed, ga_action, ga_sent, ga_host_ended);
 *   - the perf events and their ring buffers (struct ga_trace).
 * libc only, like the rest of rtvm-guest.
 */
#ifndef RTVM_GUEST_AUTO_H
#define RTVM_GUEST_AUTO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

enum ga_kind { GA_SWITCH, GA_WAKEUP };

enum ga_field_id {
	GA_PREV_PID, GA_PREV_PRIO, GA_PREV_STATE, GA_NEXT_PID, GA_NEXT_PRIO,
	GA_PID = 0, GA_PRIO, GA_TARGET_CPU,
	GA_NR_FIELDS = 5
};

struct ga_field {
	unsigned int offset, size; /* size 0: not in the format */
	bool is_signed;
};

/* One tracepoint: its id and where its fields are in a raw record. */
struct ga_format {
	enum ga_kind kind;
	unsigned int id;
	struct ga_field f[GA_NR_FIELDS];
};

/* Parse the text of events/sched/NAME/format (sched_switch for
 * GA_SWITCH; sched_wakeup or sched_wakeup_new for GA_WAKEUP).  -EINVAL
 * when the ID or a field is missing, or a field is not 1, 2, 4 or 8
 * bytes. */
int ga_format_parse(const char *text, enum ga_kind kind,
		    struct ga_format *ret);

/* A decoded record.  Switch: prev/next; wakeup: pid, prio, target_cpu. */
struct ga_record {
	int64_t time_ns;  /* CLOCK_MONOTONIC */
	unsigned int cpu; /* the CPU that recorded it */
	enum ga_kind kind;
	int64_t v[GA_NR_FIELDS];
	unsigned long seq; /* the order read in, for records of equal time */
};

/* The body of a PERF_RECORD_SAMPLE of sample_type TIME | CPU | RAW:
 * u64 time, u32 cpu, u32 reserved, u32 size, size bytes of the raw
 * record (which starts with its u16 type, one of @fmt's ids).  -EBADMSG
 * for a short or unknown record. */
int ga_decode(const struct ga_format *fmt, size_t nr_fmt, const void *body,
	      size_t len, struct ga_record *ret);

/* The kernel's numbering: below 100 is real-time (FIFO, RR; DEADLINE
 * is -1). */
#define GA_RT_PRIO 100

struct ga;

/* @hysteresis_ns: how long a CPU's set must stay empty before its
 * deboost falls due.  -EINVAL, -ENOMEM. */
int ga_new(unsigned int nr_cpus, int64_t hysteresis_ns, struct ga **ret);
void ga_free(struct ga *a);
/* One record, in time order (out of order ones older than what is known
 * of a task are passed over). */
void ga_feed(struct ga *a, const struct ga_record *r);
/* The RT tasks runnable on @cpu. */
unsigned int ga_runnable(const struct ga *a, unsigned int cpu);
/* Whether a boost of @cpu is asked for and not ended. */
bool ga_boosted(const struct ga *a, unsigned int cpu);
/* What @cpu's vCPU needs at @now: 1 a BOOST, 0 a DEBOOST, -1 nothing. */
int ga_action(const struct ga *a, unsigned int cpu, int64_t now);
/* The request of ga_action() was posted. */
void ga_sent(struct ga *a, unsigned int cpu, bool boosted);
/* The host ended or refused @cpu's boost.  @again: ask again while the
 * set stays non-empty (a grant that ran out); otherwise only once the set
 * has emptied and filled again (a refusal, the budget). */
void ga_host_ended(struct ga *a, unsigned int cpu, bool again);
/* The earliest time a deboost falls due, INT64_MAX when none does. */
int64_t ga_next_due(const struct ga *a);

/* What the kernel says of a task now (/proc/PID/stat): whether it is an
 * RT task (FIFO, RR, DEADLINE) in state R, and its CPU.  @time: taken
 * before the look, so that records older than it are passed over for
 * this task and newer ones still count. */
void ga_observe(struct ga *a, int64_t pid, bool rt_runnable, unsigned int cpu,
		int64_t time);
/* The tasks counted runnable, at most @max of them into @pids; returns
 * how many there are. */
size_t ga_counted(const struct ga *a, int64_t *pids, size_t max);

/* The text of /proc/PID/stat (or .../task/TID/stat): *ret_rt_runnable
 * when its state is R and its policy FIFO, RR or DEADLINE, *ret_cpu the
 * CPU it last ran on.  -EBADMSG when the text is not of that form. */
int ga_parse_stat(const char *text, bool *ret_rt_runnable,
		  unsigned int *ret_cpu);
/* Look at task @pid under @proc (normally "/proc"): 0, -ENOENT when it is
 * gone, or what reading or ga_parse_stat() failed with. */
int ga_task_state(const char *proc, int64_t pid, bool *ret_rt_runnable,
		  unsigned int *ret_cpu);
/* ga_observe() every task under @proc that is in state R at an RT
 * policy (each thread of each process): what the rings cannot tell, such
 * as RT work that was runnable before they were enabled, or whose
 * records were lost.  -errno when @proc cannot be read. */
int ga_scan(struct ga *a, const char *proc, int64_t time);
/* Check each task counted runnable against @proc, one look each: a task
 * gone, blocked or no longer RT stops counting. */
void ga_recheck(struct ga *a, const char *proc, int64_t time);

/* ---- the kernel side ------------------------------------------------------ */

/* The tracefs directory with events/sched: @given if not NULL, else
 * /sys/kernel/tracing or /sys/kernel/debug/tracing.  With @mount, a
 * tracefs is mounted on /sys/kernel/tracing when none is found
 * (*ret_mounted is then set).  -ENOENT: none. */
int ga_tracefs_find(const char *given, bool mount, char *path, size_t size,
		    bool *ret_mounted);

struct ga_trace;

/* Per CPU, the tracepoints as perf events into one ring buffer of
 * @pages pages (a power of 2); CPUs that are offline are left out.
 * Events of @self are filtered out.  On failure, *ret_what names the
 * step. */
int ga_trace_open(const char *tracefs, unsigned int nr_cpus, pid_t self,
		  unsigned int pages, struct ga_trace **ret,
		  const char **ret_what);
void ga_trace_close(struct ga_trace *t);
/* CPU @i's descriptor to poll for POLLIN (-1: offline). */
int ga_trace_fd(const struct ga_trace *t, unsigned int i);
/* Everything in the rings, decoded and sorted by time; the array is
 * owned by @t until the next call.  *ret_lost grows by the records the
 * kernel dropped. */
int ga_trace_read(struct ga_trace *t, const struct ga_record **ret,
		  size_t *ret_nr, uint64_t *ret_lost);

#endif
