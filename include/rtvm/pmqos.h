/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* librtvm: PM QoS holds.  Include <rtvm/rtvm.h>, which includes this. */
#ifndef RTVM_PMQOS_H
#define RTVM_PMQOS_H

#include <rtvm/context.h>
#include <rtvm/cpumask.h>
#include <rtvm/change.h>

#ifdef __cplusplus
extern "C" {
#endif

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

#ifdef __cplusplus
}
#endif

#endif /* RTVM_PMQOS_H */
