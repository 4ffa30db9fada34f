/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * PM QoS holds: keep CPUs out of deep idle states while the caller holds
 * an object, through the global CPU latency request (the kernel drops it
 * with the file descriptor) or the per-CPU resume latency constraints
 * (sysfs settings, recorded as change records and put back on release).
 */
#include "config.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "librtvm-private.h"

/* The largest latency the API accepts: PM_QOS_CPU_LATENCY_DEFAULT_VALUE,
 * below the per-CPU "no constraint" value (S32_MAX) the kernel refuses. */
#define PM_QOS_MAX_US 2000000000u

struct rtvm_pm_qos {
	struct rtvm_ctx *ctx;
	int fd;			 /* the global request, or -1 */
	struct rtvm_changeset *cs; /* per-CPU records (empty for global) */
	/* In a sysroot, the request file is a plain file standing for the
	 * aggregate: put its previous bytes back on release, as the kernel
	 * would when the request goes. */
	bool simulated;
	int32_t previous;
	bool have_previous;
};

static int hold_global(struct rtvm_pm_qos *h, unsigned int latency_us)
{
	int32_t v = (int32_t)latency_us;
	ssize_t n;
	int fd, r;

	h->simulated = rtvm_fs_root_fd(h->ctx) >= 0;
	if (h->simulated) {
		fd = rtvm_fs_open(h->ctx, RTVM_FS_DEV, O_RDONLY,
				  "cpu_dma_latency");
		if (fd >= 0) {
			h->have_previous = read(fd, &h->previous,
						sizeof(h->previous)) ==
					   sizeof(h->previous);
			close(fd);
		}
	}
	fd = rtvm_fs_open(h->ctx, RTVM_FS_DEV, O_WRONLY, "cpu_dma_latency");
	if (fd < 0) {
		err(h->ctx, "PM QoS: cannot open cpu_dma_latency: %s",
		    strerror(-fd));
		return fd;
	}
	/* Four bytes: the binary form the kernel takes as a value. */
	do
		n = write(fd, &v, sizeof(v));
	while (n < 0 && errno == EINTR);
	r = n < 0 ? -errno : (n == sizeof(v) ? 0 : -EIO);
	if (r < 0) {
		err(h->ctx, "PM QoS: cannot request %u us: %s", latency_us,
		    strerror(-r));
		close(fd);
		return r;
	}
	h->fd = fd;
	dbg(h->ctx, "PM QoS: global request %u us", latency_us);
	return 0;
}


static int hold_cpu(struct rtvm_pm_qos *h, int cpu, const char *value)
{
	char rel[128], old[64], *target = NULL;
	int r;

	snprintf(rel, sizeof(rel),
		 "devices/system/cpu/cpu%d/power/pm_qos_resume_latency_us", cpu);
	r = rtvm_fs_read(h->ctx, RTVM_FS_SYS, old, sizeof(old), "%s", rel);
	if (r < 0)
		goto fail;
	rtvm_strip(old);
	if (strcmp(old, value) == 0)
		return 0; /* in force already: nothing to put back */
	r = rtvm_fs_join_path(RTVM_FS_SYS, rel, &target);
	if (r < 0)
		return r;
	r = rtvm_fs_write(h->ctx, RTVM_FS_SYS, value, "%s", rel);
	if (r < 0)
		goto fail;
	r = rtvm_changeset_add(h->cs, RTVM_CHANGE_FILE, target, old, value);
	if (r < 0) /* no record, no change */
		rtvm_fs_write(h->ctx, RTVM_FS_SYS, old, "%s", rel);
	free(target);
	return r;
fail:
	err(h->ctx, "PM QoS: CPU %d resume latency %s: %s", cpu, value,
	    strerror(-r));
	free(target);
	return r;
}

static int hold_cpus(struct rtvm_pm_qos *h, const struct rtvm_cpumask *cpus,
		     unsigned int latency_us)
{
	char value[16];
	int cpu, r;

	r = rtvm_cpus_check_online(h->ctx, cpus);
	if (r < 0)
		return r;
	/* sysfs: "n/a" asks for 0 us, "0" would mean no constraint. */
	if (latency_us == 0)
		snprintf(value, sizeof(value), "n/a");
	else
		snprintf(value, sizeof(value), "%u", latency_us);
	rtvm_cpumask_foreach(cpu, cpus) {
		r = hold_cpu(h, cpu, value);
		if (r < 0) {
			rtvm_changeset_restore(h->cs, 0);
			return r;
		}
	}
	dbg(h->ctx, "PM QoS: %u CPUs at %s", rtvm_cpumask_weight(cpus), value);
	return 0;
}

RTVM_EXPORT int rtvm_pm_qos_hold(struct rtvm_ctx *ctx,
				 const struct rtvm_cpumask *cpus,
				 unsigned int latency_us,
				 struct rtvm_pm_qos **ret)
{
	struct rtvm_pm_qos *h;
	int r;

	if (!ctx || !ret || latency_us > PM_QOS_MAX_US)
		return -EINVAL;
	h = calloc(1, sizeof(*h));
	if (!h)
		return -ENOMEM;
	h->fd = -1;
	h->ctx = rtvm_ref(ctx);
	r = rtvm_changeset_new(ctx, &h->cs);
	if (r == 0)
		r = cpus ? hold_cpus(h, cpus, latency_us) :
			   hold_global(h, latency_us);
	if (r < 0) {
		rtvm_changeset_unref(h->cs);
		rtvm_unref(h->ctx);
		free(h);
		return r;
	}
	*ret = h;
	return 0;
}

RTVM_EXPORT const struct rtvm_changeset *
rtvm_pm_qos_get_changes(const struct rtvm_pm_qos *hold)
{
	return hold ? hold->cs : NULL;
}

RTVM_EXPORT struct rtvm_pm_qos *rtvm_pm_qos_release(struct rtvm_pm_qos *hold)
{
	int r;

	if (!hold)
		return NULL;
	if (hold->fd >= 0) {
		if (hold->simulated && hold->have_previous) {
			ssize_t n;

			do
				n = pwrite(hold->fd, &hold->previous,
					   sizeof(hold->previous), 0);
			while (n < 0 && errno == EINTR);
			if (n != sizeof(hold->previous))
				err(hold->ctx, "PM QoS: cannot put the "
					       "sysroot's cpu_dma_latency back");
		}
		close(hold->fd);
	}
	r = rtvm_changeset_restore(hold->cs, 0);
	if (r < 0)
		err(hold->ctx, "PM QoS: cannot put every CPU back: %s",
		    strerror(-r));
	rtvm_changeset_unref(hold->cs);
	rtvm_unref(hold->ctx);
	free(hold);
	return NULL;
}
