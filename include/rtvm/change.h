/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* librtvm: Change records.  Include <rtvm/rtvm.h>, which includes this. */
#ifndef RTVM_CHANGE_H
#define RTVM_CHANGE_H

#include <rtvm/context.h>

#ifdef __cplusplus
extern "C" {
#endif

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
 * The JSON is read strictly: UTF-8 only, no \u0000, no key twice in an
 * object, nothing but whitespace after the document.
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

#ifdef __cplusplus
}
#endif

#endif /* RTVM_CHANGE_H */
