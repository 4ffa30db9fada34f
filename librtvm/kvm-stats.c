/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * KVM's own counters of a VM, from debugfs: KVM keeps a directory
 * kvm/PID-FD per VM (the VMM's pid, the VM's file descriptor in it) with
 * one file per statistic, the vCPU statistics summed over the VM's vCPUs.
 * Read only where debugfs is mounted; librtvm never mounts it.
 *
 * Per vCPU, KVM has its binary statistics (KVM_GET_STATS_FD), but KVM
 * answers the ioctls of a VM or vCPU descriptor only in the process that
 * created the VM (-EIO elsewhere, even for a copy taken with
 * pidfd_getfd(2)), so only the VMM itself can read them.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "librtvm-private.h"

/* KVM's names for enum rtvm_monitor_kvm (generic and x86 vCPU stats). */
static const char *const kvm_names[RTVM_MONITOR_KVM_NR] = {
	"exits", "halt_exits", "halt_successful_poll", "halt_attempted_poll",
	"halt_wait_ns", "irq_injections", "preemption_reported",
};

const char *rtvm_kvm_stat_name(int kind)
{
	return kind >= 0 && kind < RTVM_MONITOR_KVM_NR ? kvm_names[kind] : NULL;
}

int rtvm_kvm_vm_dir(struct rtvm_ctx *ctx, pid_t pid, unsigned int *ret_vmfd)
{
	char prefix[32], name[300] = "";
	unsigned int best = 0;
	struct dirent *de;
	bool found = false;
	int dfd, r;
	DIR *d;

	dfd = rtvm_fs_open_dir(ctx, RTVM_FS_SYS, "kernel/debug/kvm");
	if (dfd < 0)
		return dfd;
	d = fdopendir(dfd);
	if (!d) {
		close(dfd);
		return -errno;
	}
	snprintf(prefix, sizeof(prefix), "%d-", (int)pid);
	/* A VMM with more than one VM: the one with the highest fd, the
	 * last made. */
	while ((de = readdir(d))) {
		unsigned int fd;

		if (strncmp(de->d_name, prefix, strlen(prefix)) != 0 ||
		    rtvm_parse_uint(de->d_name + strlen(prefix), INT32_MAX,
				    &fd) < 0 || (found && fd < best))
			continue;
		snprintf(name, sizeof(name), "%s", de->d_name);
		best = fd;
		found = true;
	}
	if (found)
		*ret_vmfd = best;
	r = found ? rtvm_fs_open_dir_at(ctx, dirfd(d), name) : -ENOENT;
	closedir(d);
	return r;
}

int rtvm_kvm_vm_read(struct rtvm_ctx *ctx, int dirfd,
		     uint64_t vals[RTVM_MONITOR_KVM_NR])
{
	for (int k = 0; k < RTVM_MONITOR_KVM_NR; k++) {
		char buf[32];
		int r;

		vals[k] = 0;
		r = rtvm_fs_read_at(ctx, dirfd, kvm_names[k], buf, sizeof(buf));
		if (r == -ENOENT)
			continue; /* not a statistic of this kernel or arch */
		if (r < 0)
			return r;
		buf[strcspn(buf, "\n")] = '\0';
		if (rtvm_parse_u64(buf, &vals[k]) < 0) {
			err(ctx, "KVM's debugfs statistic %s is not a number: "
			    "\"%.20s\"", kvm_names[k], buf);
			return -EBADMSG;
		}
	}
	return 0;
}
