/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* librtvm: IRQs.  Include <rtvm/rtvm.h>, which includes this. */
#ifndef RTVM_IRQ_H
#define RTVM_IRQ_H

#include <rtvm/context.h>
#include <rtvm/cpumask.h>
#include <rtvm/change.h>

#ifdef __cplusplus
extern "C" {
#endif

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
 * Returns: 0, or -EINVAL (NULL argument; or /proc/interrupts is a FIFO,
 * device or socket), -ENOENT (no /proc/interrupts), -EBADMSG (its header
 * does not parse, or none of the lines after it does), -ENOMEM, or the
 * error of reading /proc/interrupts.
 * Privileges: none.
 */
int rtvm_irqs_new(struct rtvm_ctx *ctx, struct rtvm_irqs **ret);

/**
 * rtvm_irqs_get_unparsed() - how many lines of /proc/interrupts after its
 *      header did not parse (and were left out of the inventory).
 * @irqs: the inventory.
 * @ret_first_line: where the line number of the first is stored (the
 *      header is line 1; 0 when all parsed), or NULL.
 *
 * The kernel writes no such lines; a count above 0 means the file (or the
 * sysroot it came from) is damaged, and what the inventory says about
 * interrupts on a CPU cannot be vouched for.  Each of the first three is
 * also said through the context's log with its line number.
 *
 * Returns: the count, or -EINVAL (NULL @irqs).
 * Privileges: none.
 */
int rtvm_irqs_get_unparsed(const struct rtvm_irqs *irqs,
			   unsigned int *ret_first_line);

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

#ifdef __cplusplus
}
#endif

#endif /* RTVM_IRQ_H */
