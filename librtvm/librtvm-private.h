/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Internal interfaces of librtvm: never installed, never exported. */
#ifndef RTVM_PRIVATE_H
#define RTVM_PRIVATE_H

#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdint.h>
#include <syslog.h>

#include "rtvm/rtvm.h"

#define RTVM_EXPORT __attribute__((visibility("default")))
#define RTVM_PRINTF(a, b) __attribute__((format(printf, a, b)))
#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/* ---- logging ---------------------------------------------------------- */

void rtvm_log(struct rtvm_ctx *ctx, int priority, const char *file, int line,
	      const char *fn, const char *format, ...) RTVM_PRINTF(6, 7);
bool rtvm_log_enabled(const struct rtvm_ctx *ctx, int priority);

#define rtvm_log_cond(ctx, prio, ...)                                        \
	do {                                                                 \
		if (rtvm_log_enabled(ctx, prio))                             \
			rtvm_log(ctx, prio, __FILE__, __LINE__, __func__,    \
				 __VA_ARGS__);                               \
	} while (0)
#define dbg(ctx, ...) rtvm_log_cond(ctx, LOG_DEBUG, __VA_ARGS__)
#define info(ctx, ...) rtvm_log_cond(ctx, LOG_INFO, __VA_ARGS__)
#define err(ctx, ...) rtvm_log_cond(ctx, LOG_ERR, __VA_ARGS__)

/* ---- file access (fs.c): the only place that names /proc, /sys, ... --- */

enum rtvm_fs {
	RTVM_FS_PROC = 0,
	RTVM_FS_SYS,
	RTVM_FS_DEV,
	RTVM_FS_RUN,
	RTVM_FS_ETC,
	RTVM_FS_BOOT,
	RTVM_FS_N,
};

/* Paths are printf formats relative to the file system's top. */
int rtvm_fs_open(struct rtvm_ctx *ctx, enum rtvm_fs fs, int flags,
		 const char *fmt, ...) RTVM_PRINTF(4, 5);
/* Open a file for reading, O_NONBLOCK: -EINVAL (said) unless it is a
 * regular file, -EISDIR for a directory.  Every read of a host file goes
 * through this or the readers below, so a FIFO or device planted in a
 * sysroot cannot block or flood a reader. */
int rtvm_fs_open_file(struct rtvm_ctx *ctx, enum rtvm_fs fs, const char *fmt,
		      ...) RTVM_PRINTF(3, 4);
/* Whether @fd (named @what in the error) is a regular file: 0, -EISDIR,
 * or -EINVAL (said) for a FIFO, socket or device. */
int rtvm_fs_check_regular(struct rtvm_ctx *ctx, int fd, const char *what);
/* Read a whole (small) file into buf, NUL-terminated, one trailing newline
 * stripped.  Returns the length, or -errno; -EOVERFLOW if it does not fit. */
int rtvm_fs_read(struct rtvm_ctx *ctx, enum rtvm_fs fs, char *buf,
		 size_t size, const char *fmt, ...) RTVM_PRINTF(5, 6);
/* Same, any size up to 64 MiB (-EFBIG, said, beyond), into malloc'd
 * memory. */
int rtvm_fs_read_alloc(struct rtvm_ctx *ctx, enum rtvm_fs fs, char **ret,
		       const char *fmt, ...) RTVM_PRINTF(4, 5);
/* Read relative to a directory fd from rtvm_fs_open_dir(); the fast path for
 * scanning thousands of /proc entries.  One read(2): for procfs and plain
 * files only, where a short read is the whole file. */
int rtvm_fs_read_at(struct rtvm_ctx *ctx, int dirfd, const char *name,
		    char *buf, size_t size);
/* Read a file kept open (from rtvm_fs_open_file()) again from its start,
 * as rtvm_fs_read() does: procfs answers a pread at 0 with the file's
 * content now.  The length, or -errno; -EOVERFLOW if it does not fit. */
int rtvm_fs_pread(int fd, char *buf, size_t size);
/* Model-specific register @reg of @cpu through dev/cpu/N/msr (the msr
 * driver): 0, or -errno: -ENOENT without the driver, -EPERM or -EACCES
 * without CAP_SYS_RAWIO, -EIO when the CPU has no such register. */
int rtvm_fs_read_msr(struct rtvm_ctx *ctx, unsigned int cpu, uint32_t reg,
		     uint64_t *ret);
/* Write a value in one write(2), as sysfs and procfs want. */
int rtvm_fs_write(struct rtvm_ctx *ctx, enum rtvm_fs fs, const char *value,
		  const char *fmt, ...) RTVM_PRINTF(4, 5);
int rtvm_fs_open_dir(struct rtvm_ctx *ctx, enum rtvm_fs fs, const char *fmt,
		     ...) RTVM_PRINTF(3, 4);
int rtvm_fs_open_dir_at(struct rtvm_ctx *ctx, int dirfd, const char *name);
int rtvm_fs_mkdir(struct rtvm_ctx *ctx, enum rtvm_fs fs, mode_t mode,
		  const char *fmt, ...) RTVM_PRINTF(4, 5);
int rtvm_fs_rmdir(struct rtvm_ctx *ctx, enum rtvm_fs fs, const char *fmt, ...)
	RTVM_PRINTF(3, 4);
/* Remove a file (not a directory). */
int rtvm_fs_unlink(struct rtvm_ctx *ctx, enum rtvm_fs fs, const char *fmt, ...)
	RTVM_PRINTF(3, 4);
/* Make a new file holding @value; -EEXIST when there is one already.  On
 * a failed write the file is removed again. */
int rtvm_fs_create(struct rtvm_ctx *ctx, enum rtvm_fs fs, const char *value,
		   mode_t mode, const char *fmt, ...) RTVM_PRINTF(5, 6);
/* A host path <-> (RTVM_FS_SYS, "fs/cgroup/x"): change records keep
 * host paths, the fs module resolves them. */
int rtvm_fs_split_path(const char *path, enum rtvm_fs *ret_fs,
		       const char **ret_rel);
/* Where a file system is on a host ("/proc"), for messages that name a
 * file: "%s/interrupts", rtvm_fs_top(RTVM_FS_PROC). */
const char *rtvm_fs_top(enum rtvm_fs fs);
int rtvm_fs_join_path(enum rtvm_fs fs, const char *rel, char **ret);
/* Append a line to the sysroot's system-call log (rtvm-syscalls.log). */
int rtvm_fs_sysroot_log(struct rtvm_ctx *ctx, const char *line);
/* Copy a host file into the same place of the tree at @destfd. */
int rtvm_fs_copy_out(struct rtvm_ctx *ctx, enum rtvm_fs fs, const char *rel,
		     int destfd);
/* The sysroot's top directory fd, or -1 on the real host. */
int rtvm_fs_root_fd(const struct rtvm_ctx *ctx);

/* Capture tracing: while on, every file opened for reading is recorded. */
struct rtvm_trace;
int rtvm_trace_start(struct rtvm_ctx *ctx);
/* Stop tracing and hand over the recorded host paths (free each and the
 * array); NULL when nothing was recorded. */
char **rtvm_trace_end(struct rtvm_ctx *ctx, size_t *ret_n);
void rtvm_trace_stop(struct rtvm_ctx *ctx);

/* ---- fault injection (tests) ----------------------------------------- */

enum rtvm_op {
	RTVM_OP_READ = 1u << 0,
	RTVM_OP_WRITE = 1u << 1,
	RTVM_OP_MKDIR = 1u << 2,
	RTVM_OP_RMDIR = 1u << 3,
	RTVM_OP_SCHED_SET = 1u << 4,
	RTVM_OP_AFFINITY_SET = 1u << 5,
	RTVM_OP_SCHED_GET = 1u << 6,
	RTVM_OP_AFFINITY_GET = 1u << 7,
	RTVM_OP_IRQ_AFFINITY_SET = 1u << 8, /* target: the IRQ number */
	RTVM_OP_UNLINK = 1u << 9,
	RTVM_OP_CGROUP_ATTACH = 1u << 10,
};

/* Fail the @nth (1-based) call of an operation in @ops whose target contains
 * @match (NULL: any) with -@err, @count times in a row (0: forever). */
int rtvm_ctx_add_fault(struct rtvm_ctx *ctx, unsigned int ops,
		       const char *match, unsigned int nth, unsigned int count,
		       int err);
void rtvm_ctx_clear_faults(struct rtvm_ctx *ctx);
/* 0, or the negative errno a fault asks for. */
int rtvm_fault_check(struct rtvm_ctx *ctx, enum rtvm_op op,
		     const char *target);

/* ---- system calls on threads (sysops.c) ------------------------------ */

struct rtvm_sched {
	int policy;	  /* SCHED_* */
	int priority;	  /* sched_priority */
	int nice;	  /* also the one RT, deadline and idle threads keep */
	uint64_t runtime; /* SCHED_DEADLINE, ns */
	uint64_t deadline;
	uint64_t period;
};

/* A thread as a syscall target: pid is needed to find the thread's files in
 * a sysroot. */
struct rtvm_tid {
	pid_t pid;
	pid_t tid;
};

struct rtvm_sysops {
	const char *name;
	int (*sched_get)(struct rtvm_ctx *ctx, struct rtvm_tid t,
			 struct rtvm_sched *ret);
	int (*sched_set)(struct rtvm_ctx *ctx, struct rtvm_tid t,
			 const struct rtvm_sched *s);
	int (*affinity_get)(struct rtvm_ctx *ctx, struct rtvm_tid t,
			    struct rtvm_cpumask *ret);
	int (*affinity_set)(struct rtvm_ctx *ctx, struct rtvm_tid t,
			    const struct rtvm_cpumask *mask);
	/* Move a thread into a cgroup: @controller names the v1 hierarchy,
	 * "" the v2 one (where the whole process moves); @path is relative
	 * to the hierarchy's root ("/machine/vm1"). */
	int (*cgroup_attach)(struct rtvm_ctx *ctx, struct rtvm_tid t,
			     const char *controller, const char *path);
	/* An IRQ's smp_affinity_list; the sysroot also moves its effective
	 * affinity, as the kernel's chip would. */
	int (*irq_affinity_set)(struct rtvm_ctx *ctx, unsigned int irq,
				const struct rtvm_cpumask *mask);
};

extern const struct rtvm_sysops rtvm_sysops_kernel;
extern const struct rtvm_sysops rtvm_sysops_sysroot;

/* The ops in force: the kernel's, the sysroot's, or a test's. */
const struct rtvm_sysops *rtvm_ctx_get_sysops(const struct rtvm_ctx *ctx);
void rtvm_ctx_set_sysops(struct rtvm_ctx *ctx, const struct rtvm_sysops *ops);

/* Fault-checked wrappers around the ops table. */
int rtvm_sys_sched_get(struct rtvm_ctx *ctx, struct rtvm_tid t,
		       struct rtvm_sched *ret);
int rtvm_sys_sched_set(struct rtvm_ctx *ctx, struct rtvm_tid t,
		       const struct rtvm_sched *s);
int rtvm_sys_affinity_get(struct rtvm_ctx *ctx, struct rtvm_tid t,
			  struct rtvm_cpumask *ret);
int rtvm_sys_affinity_set(struct rtvm_ctx *ctx, struct rtvm_tid t,
			  const struct rtvm_cpumask *mask);
int rtvm_sys_cgroup_attach(struct rtvm_ctx *ctx, struct rtvm_tid t,
			   const char *controller, const char *path);
/* The two cgroup_attach backends (cgroup.c): libcgroup on the real host,
 * a simulation that edits the fixture's files in a sysroot. */
int rtvm_kernel_cgroup_attach(struct rtvm_ctx *ctx, struct rtvm_tid t,
			      const char *controller, const char *path);
int rtvm_sysroot_cgroup_attach(struct rtvm_ctx *ctx, struct rtvm_tid t,
			       const char *controller, const char *path);
/* Show @mask as the thread's Cpus_allowed in a sysroot's status file (what
 * the kernel shows after sched_setaffinity or a cpuset move). */
int rtvm_sysroot_show_affinity(struct rtvm_ctx *ctx, struct rtvm_tid t,
			       const struct rtvm_cpumask *mask);
int rtvm_sys_irq_affinity_set(struct rtvm_ctx *ctx, unsigned int irq,
			      const struct rtvm_cpumask *mask);

/* Whether sched_setattr() leaves the nice value alone for @policy (RT,
 * deadline, idle): such threads keep theirs, and go back to it with
 * SCHED_OTHER.  The sched_get op reports it for every policy. */
bool rtvm_sched_keeps_nice(int policy);
/* Set @s exactly, nice included: for a policy that keeps the nice value,
 * when the thread's (@cur_nice) differs, SCHED_OTHER with @s->nice comes
 * first. */
int rtvm_sys_sched_set_exact(struct rtvm_ctx *ctx, struct rtvm_tid t,
			     const struct rtvm_sched *s, int cur_nice);

/* Scheduling attributes as change-record text, and back. */
int rtvm_sched_format(const struct rtvm_sched *s, char **ret);
/* The same into @buf; RTVM_SCHED_TEXT_MAX always fits. */
#define RTVM_SCHED_TEXT_MAX 96
int rtvm_sched_format_buf(const struct rtvm_sched *s, char *buf, size_t size);
int rtvm_sched_parse(const char *str, struct rtvm_sched *ret);

/* Thread mutators that record what they change (public in a later API). */
int rtvm_thread_identity(struct rtvm_ctx *ctx, struct rtvm_tid t,
			 unsigned long long *ret_start);
int rtvm_thread_apply_sched(struct rtvm_ctx *ctx, struct rtvm_tid t,
			    const struct rtvm_sched *s,
			    struct rtvm_changeset *cs);
int rtvm_thread_apply_affinity(struct rtvm_ctx *ctx, struct rtvm_tid t,
			       const struct rtvm_cpumask *mask,
			       struct rtvm_changeset *cs);
/* The same for a thread whose start time the caller knows (@start; NULL:
 * read it from the stat file now).  The caller vouches that t.tid is
 * still the thread that started then: a VM operation checks once that
 * its threads are still in the process (see sched.c). */
int rtvm_thread_apply_sched_at(struct rtvm_ctx *ctx, struct rtvm_tid t,
			       const unsigned long long *start,
			       const struct rtvm_sched *s,
			       struct rtvm_changeset *cs);
int rtvm_thread_apply_affinity_at(struct rtvm_ctx *ctx, struct rtvm_tid t,
				  const unsigned long long *start,
				  const struct rtvm_cpumask *mask,
				  struct rtvm_changeset *cs);

/* ---- IRQs (irq.c) ----------------------------------------------------- */
/* The interrupts file of procfs, split line by line for the inventory
 * and the readiness check. */
#define RTVM_INTERRUPTS_LABEL_MAX 15 /* "4294967295", "LOC", "IPI0" */
struct rtvm_interrupts {
	unsigned int *cols;	/* the CPU of each column, ascending */
	unsigned int ncols;
	unsigned int nr_parsed;	/* lines after the header that parsed */
	unsigned int nr_bad;	/* and those that did not */
	unsigned int first_bad;	/* line number of the first (1: header) */
};
struct rtvm_interrupts_line {
	unsigned int lineno;
	const char *label;	/* "24", "LOC" */
	bool numbered;
	unsigned int number;
	const unsigned long long *vals;
	unsigned int nvals;	/* ncols, or 1 for ERR and MIS */
	char *rest;		/* what follows the counts */
};
/* Parse @text (changed in place): the header, then each line, passed to
 * @fn when it parses and counted (and said, the first three) when it does
 * not.  -EBADMSG, said, for a header that does not parse or when none of
 * the lines after it does (a header alone is a host without IRQs); @fn's
 * error ends the parse.  On success free with rtvm_interrupts_done(). */
int rtvm_interrupts_parse(struct rtvm_ctx *ctx, char *text,
			  struct rtvm_interrupts *in,
			  int (*fn)(void *data,
				    const struct rtvm_interrupts *in,
				    const struct rtvm_interrupts_line *l),
			  void *data);
void rtvm_interrupts_done(struct rtvm_interrupts *in);

/* Read everything an IRQ inventory reads, but the process list (for
 * rtvm_capture()'s trace of the files to copy). */
int rtvm_irqs_read_all(struct rtvm_ctx *ctx);
/* Write an IRQ's affinity, retrying transient errors (EAGAIN, EBUSY,
 * ENOMEM, ERANGE) @retries times with a short pause. */
int rtvm_irq_write_affinity(struct rtvm_ctx *ctx, unsigned int irq,
			    const struct rtvm_cpumask *mask,
			    unsigned int retries, unsigned int *ret_attempts);
/* rtvm_irq_steer() for a watch putting IRQs back: selectors that match
 * nothing are no error, and an IRQ whose original affinity @cs holds
 * already is not recorded again. */
int rtvm_irq_resteer(struct rtvm_ctx *ctx, const struct rtvm_irq_steer *req,
		     struct rtvm_changeset *cs, struct rtvm_irq_report **ret);
/* Tests: the link monitor of a watch (a sysroot's takes injected events). */
struct rtvm_netlink *rtvm_irq_watch_get_netlink(struct rtvm_irq_watch *w);

/* ---- change records (change.c) --------------------------------------- */

/* Append a record.  Mutators add it before the change it describes
 * (a journal hook on the context then sees intent: see ctx.h) and drop
 * it with rtvm_changeset_pop() when the change fails. */
int rtvm_changeset_add(struct rtvm_changeset *cs, enum rtvm_change_kind kind,
		       const char *target, const char *old_value,
		       const char *new_value);
/* Drop the newest record. */
void rtvm_changeset_pop(struct rtvm_changeset *cs);
/* Drop record @c of @cs (its change was not made); it need not be the
 * newest. */
void rtvm_changeset_drop(struct rtvm_changeset *cs, struct rtvm_change *c);
/* The newest record, NULL when there is none. */
struct rtvm_change *rtvm_changeset_last(const struct rtvm_changeset *cs);

/*
 * Group commit.  A journal on the context (ctx->intent_ops) makes each
 * record durable before the add returns, unless the mutator has called
 * rtvm_changeset_batch(cs, true): then records (and drops) wait until
 * rtvm_changeset_commit(), which makes them durable together, and the
 * mutator makes no change of a record before the commit that follows
 * it.  rtvm_changeset_made(): one change of a committed batch is made
 * (the journal's crash points for tests).  rtvm_changeset_batch(cs,
 * false) commits what waits and ends the batch.  Without a journal these
 * do nothing and return 0.
 */
struct rtvm_intent_ops {
	int (*record)(void *data, enum rtvm_change_kind kind,
		      const char *target, const char *old_value,
		      const char *new_value);
	/* The newest record of @kind and @target was not acted on. */
	int (*drop)(void *data, enum rtvm_change_kind kind, const char *target);
	int (*commit)(void *data);
	void (*made)(void *data);
};
int rtvm_changeset_batch(struct rtvm_changeset *cs, bool on);
int rtvm_changeset_commit(struct rtvm_changeset *cs);
void rtvm_changeset_made(struct rtvm_changeset *cs);
/* Move every record of @src to the end of @dst, in order; never fails. */
void rtvm_changeset_move(struct rtvm_changeset *dst,
			 struct rtvm_changeset *src);
int rtvm_thread_target_format(struct rtvm_tid t, unsigned long long start,
			      char **ret);
int rtvm_thread_target_parse(const char *str, struct rtvm_tid *ret_t,
			     unsigned long long *ret_start);

/* ---- VMs (vm.c) ------------------------------------------------------ */

/* The context a VM was made with (not a new reference). */
struct rtvm_ctx *rtvm_vm_get_ctx(const struct rtvm_vm *vm);
/* A VM thread's start time (clock ticks after boot), read when the VM was
 * discovered or refreshed: the identity its change records carry.  0 when
 * the discovery did not read it: a VM operation then reads it itself. */
unsigned long long rtvm_vm_thread_get_start(const struct rtvm_vm_thread *t);

/* ---- irqbalance (irqbalance.c) --------------------------------------- */

/* rtvm_irqbalance_probe() for a daemon already found (the readiness check
 * has every thread); @pid <= 0: not running. */
int rtvm_irqbalance_probe_pid(struct rtvm_ctx *ctx, pid_t pid,
			      struct rtvm_irqbalance **ret);
/* The host path of the file read, or the one rtvm_irqbalance_ban() would
 * create; never NULL. */
const char *rtvm_irqbalance_target_file(const struct rtvm_irqbalance *ib);
/* What the file asks for: an enum rtvm_irqbalance_ban and its value (NULL
 * for the automatic ban); -ENOENT without a file. */
int rtvm_irqbalance_file_ban(const struct rtvm_irqbalance *ib,
			     const char **ret_value);
/* The CPUs rtvm_irqbalance_ban() would list for @cpus, in a new mask. */
int rtvm_irqbalance_ban_mask(const struct rtvm_irqbalance *ib,
			     const struct rtvm_cpumask *cpus,
			     struct rtvm_cpumask **ret);

/* ---- link events (netlink.c) ----------------------------------------- */

enum rtvm_link_action {
	RTVM_LINK_NEW = 1, /* a device was registered */
	RTVM_LINK_CHANGE,  /* its flags, state or name changed (up, down) */
	RTVM_LINK_DEL,	   /* it went away */
	RTVM_LINK_LOST,	   /* events were dropped: look at everything again;
			      the other fields are 0 */
};

struct rtvm_link_event {
	enum rtvm_link_action action;
	int ifindex;
	char name[16];	     /* IFNAMSIZ; "" when the kernel did not say */
	unsigned int flags;  /* IFF_* */
	unsigned int change; /* IFF_* that changed (~0u for NEW) */
	bool up;	     /* IFF_UP: administratively up */
	bool lower_up;	     /* IFF_LOWER_UP: carrier */
};

struct rtvm_netlink;

/* Called once per event; a negative return stops the drain with it. */
typedef int (*rtvm_link_fn)(const struct rtvm_link_event *ev,
			    void *userdata);

/* A monitor of the link events of the calling thread's network namespace:
 * a non-blocking NETLINK_ROUTE socket in RTNLGRP_LINK.  In a sysroot, no
 * socket is opened: the fd is the reading end of a socket pair that
 * rtvm_netlink_inject() feeds.  -EPERM/-EPROTONOSUPPORT/-ENOMEM/-EIO. */
int rtvm_netlink_open(struct rtvm_ctx *ctx, struct rtvm_netlink **ret);
/* The fd to poll() for POLLIN; owned by the monitor. */
int rtvm_netlink_get_fd(const struct rtvm_netlink *nl);
/* Whether this is a sysroot's monitor, fed by rtvm_netlink_inject(). */
bool rtvm_netlink_is_fake(const struct rtvm_netlink *nl);
/* Read every pending message without blocking and report the link events
 * in order.  Returns how many were reported (0: none pending), or a
 * negative errno (of the socket, or of @fn). */
int rtvm_netlink_drain(struct rtvm_netlink *nl, rtvm_link_fn fn,
		       void *userdata);
/* Sysroot monitors only (-EOPNOTSUPP otherwise): queue @ev as the kernel
 * would send it. */
int rtvm_netlink_inject(struct rtvm_netlink *nl,
			const struct rtvm_link_event *ev);
/* Close; NULL is ignored.  Returns NULL. */
struct rtvm_netlink *rtvm_netlink_close(struct rtvm_netlink *nl);
/* What libvirt said about a VM's domain (vm-libvirt.c); the VM owns it. */
struct rtvm_vm_libvirt;
void rtvm_vm_libvirt_free(struct rtvm_vm_libvirt *lv);
void rtvm_vm_set_libvirt(struct rtvm_vm *vm, struct rtvm_vm_libvirt *lv);
const struct rtvm_vm_libvirt *rtvm_vm_get_libvirt(const struct rtvm_vm *vm);
/* The QEMU pid of libvirt domain @name from the pid file in libvirt's run
 * directory (RTVM_FS_RUN), checked against that process's command line:
 * -ESRCH when there is no pid file or it is stale, -EBADMSG when it holds
 * no pid, -EINVAL for a name that cannot be a file name. */
int rtvm_libvirt_domain_pid(struct rtvm_ctx *ctx, const char *name,
			    pid_t *ret);

/* ---- cgroups (cgroup.c) ---------------------------------------------- */

/* Where a controller's hierarchy is mounted, as a host path; controller ""
 * asks for the cgroup v2 (unified) mount.  -ENODEV when not mounted. */
int rtvm_cgroup_mount_point(struct rtvm_ctx *ctx, const char *controller,
			    char **ret);
/* Move a thread into "controller:/path" (v1: the thread; v2: its
 * process), through the ops table. */
/* Set a thread's scheduling (@start: its start time when known, else
 * NULL); with RTVM_SCHED_PROVISION_RT an RT policy that RT group
 * scheduling refuses gets its cpu cgroups runtime first (sched.c). */
int rtvm_thread_set_sched_at(struct rtvm_ctx *ctx, struct rtvm_tid t,
			     const unsigned long long *start,
			     const struct rtvm_sched *want, unsigned int flags,
			     struct rtvm_changeset *cs);
/* The RT runtime writes that RTVM_SCHED_PROVISION_RT would make, made
 * up front (a plan's): rtvm_rt_plan_thread() adds to @cs, as FILE records
 * (the cpu.rt_runtime_us host path, the value now, the value given), the
 * writes that give thread @t's cpu cgroup and its ancestors without RT
 * runtime some, top-down; nothing is written.  Later calls on the same
 * @rp see the runtimes earlier ones gave.  Returns 1 and the cgroup in
 * @ret_cgroup (free() it) when there are writes, 0 when none are needed
 * (runtime already, the root cgroup, no RT group scheduling, the thread
 * gone), or -ENOSPC (no RT budget left, logged) and other errors. */
struct rtvm_rt_plan;
int rtvm_rt_plan_new(struct rtvm_ctx *ctx, struct rtvm_rt_plan **ret);
int rtvm_rt_plan_thread(struct rtvm_rt_plan *rp, struct rtvm_tid t,
			struct rtvm_changeset *cs, char **ret_cgroup);
void rtvm_rt_plan_free(struct rtvm_rt_plan *rp);
/* A thread's cgroup ("/machine/vm1") in the v1 hierarchy of @controller,
 * or with "" in cgroup v2; -ENOENT when it has none, -ESRCH when the
 * thread is gone. */
int rtvm_thread_cgroup(struct rtvm_ctx *ctx, struct rtvm_tid t,
		       const char *controller, char **ret);
/* Split "controller:/path" (as records name cgroups; "" is cgroup v2)
 * into a new string and a pointer into @cgroup; -EINVAL when it is not
 * one. */
int rtvm_cgroup_split(const char *cgroup, char **ret_controller,
		      const char **ret_path);
int rtvm_cgroup_attach(struct rtvm_ctx *ctx, const char *cgroup,
		       struct rtvm_tid t);
/* A cgroup's directory as (fs, "fs/cgroup/cpuset/x"): @path "/" or
 * "/x/y".  -ENODEV when the hierarchy is not mounted, -EOPNOTSUPP when
 * it is mounted outside /sys. */
int rtvm_cgroup_dir(struct rtvm_ctx *ctx, const char *controller,
		    const char *path, enum rtvm_fs *ret_fs, char **ret_rel);
/* Create a cgroup; in a sysroot, also the control files the kernel would
 * show in it (copied in kind from its parent). */
int rtvm_cgroup_mkdir(struct rtvm_ctx *ctx, const char *controller,
		      const char *path);
/* Remove "controller:/path": threads still in it (children forked after
 * a move) go to its parent first.  Gone already is success. */
int rtvm_cgroup_remove(struct rtvm_ctx *ctx, const char *cgroup);
/* Write one control file of a cgroup.  In a sysroot, a v2 partition
 * request gets the kernel's verdict for the parent rule. */
int rtvm_cgroup_write(struct rtvm_ctx *ctx, const char *controller,
		      const char *path, const char *file, const char *value);
int rtvm_cgroup_read(struct rtvm_ctx *ctx, const char *controller,
		     const char *path, const char *file, char *buf,
		     size_t size);

/* ---- CPU masks (cpumask.c) ------------------------------------------- */

/* The mask's bits in the layout of cpu_set_t (an array of unsigned long),
 * for sched_setaffinity(2). */
const unsigned long *rtvm_cpumask_bits(const struct rtvm_cpumask *mask,
				       size_t *ret_bytes);
unsigned long *rtvm_cpumask_bits_mut(struct rtvm_cpumask *mask,
				     size_t *ret_bytes);
/* The number of possible CPUs of the context's host. */
int rtvm_ctx_nr_possible_cpus(struct rtvm_ctx *ctx, unsigned int *ret);
/* The host's online CPUs, in a new mask. */
int rtvm_ctx_online_cpus(struct rtvm_ctx *ctx, struct rtvm_cpumask **ret);
/* 0 when @mask is not empty and every CPU of it is online; else -EINVAL
 * with a log line naming the CPU. */
int rtvm_cpus_check_online(struct rtvm_ctx *ctx,
			   const struct rtvm_cpumask *mask);

/* ---- small helpers (util.c) ------------------------------------------ */

int rtvm_parse_int(const char *s, int *ret);
/* A decimal number as the kernel writes one (digits, no sign, no leading
 * zero) up to @max: -EINVAL, -ERANGE past @max. */
int rtvm_parse_uint(const char *s, unsigned int max, unsigned int *ret);
/* A /proc directory name that is a pid or tid (1..PID_MAX_LIMIT). */
#define RTVM_PID_MAX 4194304u
bool rtvm_parse_pid(const char *s, pid_t *ret);
int rtvm_parse_u64(const char *s, uint64_t *ret);
char *rtvm_strip(char *s);

/* Call @fn for every thread of every process in proc (host.c): @taskfd is
 * the process's task directory, @tidname the thread's entry there.
 * Processes that exit meanwhile are skipped; @fn's error ends the scan
 * and is returned. */
int rtvm_proc_foreach_thread(struct rtvm_ctx *ctx,
			     int (*fn)(void *data, pid_t pid, pid_t tid,
				       int taskfd, const char *tidname),
			     void *data);
/* The fields of a thread's stat file that librtvm uses.  The comm
 * may hold spaces and parentheses; the last ')' ends it. */
struct rtvm_stat {
	char comm[64];
	unsigned int flags; /* PF_* */
	int nice;
	unsigned long long utime, stime; /* clock ticks */
	unsigned long long start; /* clock ticks after boot */
	int last_cpu;
	int rt_priority;
	int policy; /* 0..7: stat never shows SCHED_RESET_ON_FORK */
};
/* A stat line: -EBADMSG when a field is missing or not a number, -ERANGE
 * when a number is outside what the kernel writes there; then *ret_err
 * (may be NULL) has the field's proc(5) number and where it starts. */
struct rtvm_stat_error {
	int field;
	const char *at;
};
int rtvm_stat_parse(const char *buf, struct rtvm_stat *ret,
		    struct rtvm_stat_error *ret_err);
/* The same, saying through the context's log which field of which thread's
 * stat file is wrong. */
int rtvm_stat_parse_log(struct rtvm_ctx *ctx, struct rtvm_tid t,
			const char *buf, struct rtvm_stat *ret);
/* Read and parse a thread's stat file (PID/task/TID/stat of procfs);
 * -ESRCH when the thread is gone. */
int rtvm_stat_read(struct rtvm_ctx *ctx, struct rtvm_tid t,
		   struct rtvm_stat *ret);
#define RTVM_PF_KTHREAD 0x00200000u
#define RTVM_PF_NO_SETAFFINITY 0x04000000u

/* ---- strict JSON (json-strict.c) -------------------------------------- */

/* Parse @text as one JSON document, refusing what cJSON lets through:
 * invalid UTF-8, \u0000 and lone surrogate escapes, a key repeated in
 * its object, anything but whitespace after the document, nesting deeper
 * than 64.  Each refusal is logged as "WHAT: PATH: ... at byte N (line
 * L)" with the JSON path (".", ".a.b", ".a[2]") and returns -EINVAL;
 * -ENOMEM.  The tree is the caller's (cJSON_Delete). */
struct cJSON;
/* Strings may hold bytes that are not UTF-8: host values (a cgroup path,
 * a thread name) that the library itself wrote to a journal or changeset
 * and must read back exactly to put them back. */
#define RTVM_JSON_RAW_BYTES (1u << 0)
int rtvm_json_parse_strict(struct rtvm_ctx *ctx, const char *what,
			   const char *text, unsigned int flags,
			   struct cJSON **ret);

/* ---- delay accounting (taskstats.c) ----------------------------------- */

/* One thread's delay accounting: per enum rtvm_monitor_delay, how many
 * delays and their total in ns, as the kernel's struct taskstats of
 * @version has them (0 where its version has no such field). */
struct rtvm_delays {
	unsigned int version;
	uint64_t count[RTVM_MONITOR_DELAY_NR];
	uint64_t ns[RTVM_MONITOR_DELAY_NR];
};
struct rtvm_taskstats;
/* A taskstats client: the kernel's family over generic netlink, or in a
 * sysroot its replies stored as PID/task/TID/taskstats.nl under proc.
 * -EPROTONOSUPPORT (said) without taskstats. */
int rtvm_taskstats_open(struct rtvm_ctx *ctx, struct rtvm_taskstats **ret);
struct rtvm_taskstats *rtvm_taskstats_close(struct rtvm_taskstats *ts);
/* Ask for one thread's figures: 0, -ESRCH (gone), -EPERM, -EBADMSG (a
 * reply the kernel would not send, said), -EIO, -ENOMEM. */
int rtvm_taskstats_query(struct rtvm_taskstats *ts, struct rtvm_tid t,
			 struct rtvm_delays *ret);
/* Parse one reply of @len bytes for thread @tid; @family is the
 * message type it must have, or -1 for any.  An error reply returns its
 * error. */
int rtvm_taskstats_parse(struct rtvm_ctx *ctx, const void *buf, size_t len,
			 int family, pid_t tid, struct rtvm_delays *ret);

/* ---- KVM's statistics in debugfs (kvm-stats.c) ------------------------- */

/* The debugfs directory (an fd) of VMM @pid's VM, and the VM's fd in the
 * VMM: -ENOENT when there is none (no debugfs mounted, no VM, or not
 * KVM), or an open error. */
int rtvm_kvm_vm_dir(struct rtvm_ctx *ctx, pid_t pid, unsigned int *ret_vmfd);
/* The counters of enum rtvm_monitor_kvm now (0 where KVM has none);
 * -EBADMSG (said) for a file that is not a number. */
int rtvm_kvm_vm_read(struct rtvm_ctx *ctx, int dirfd,
		     uint64_t vals[RTVM_MONITOR_KVM_NR]);
const char *rtvm_kvm_stat_name(int kind);

/* ---- the boost broker (boost.c) ---------------------------------------- */

/* The broker's clock, CLOCK_MONOTONIC in ns unless a test sets another
 * (NULL: back to the real one). */
struct rtvm_boost;
void rtvm_boost_set_clock(struct rtvm_boost *b, uint64_t (*now)(void *data),
			  void *data);

/* The doorbell's region, for both ends (boost-msg.c): the header line,
 * and a line's halves (a request at line offset 0, its ACK at 32). */
void rtvm_bell_header_write(uint8_t *mem, unsigned int lines,
			    unsigned int vectors);
/* -ENODEV: no doorbell header, or more lines than @size holds. */
int rtvm_bell_header_read(const uint8_t *mem, size_t size,
			  unsigned int *ret_lines, unsigned int *ret_vectors);
uint32_t rtvm_bell_load_seq(const uint8_t *half);
int rtvm_bell_write_half(uint8_t *half, const struct rtvm_boost_msg *m);
void rtvm_bell_copy_half(uint8_t *dst, const uint8_t *half);

#endif
