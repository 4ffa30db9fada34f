/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* A thread's stat, status and cgroup files (the input's three parts,
 * split at NUL bytes) through the host model's thread inventory. */
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const files[] = { "stat", "status", "cgroup" };
	struct rtvm_ctx *ctx = fz_ctx();
	struct rtvm_host *h = NULL;
	char *parts[3], *copy, rel[64];

	fz_split(data, size, parts, 3, &copy);
	fz_write("sys/devices/system/cpu/possible", "0-3\n", 4);
	fz_write("sys/devices/system/cpu/online", "0-3\n", 4);
	for (size_t i = 0; i < 3; i++) {
		snprintf(rel, sizeof(rel), "proc/7/task/7/%s", files[i]);
		fz_write(rel, parts[i], strlen(parts[i]));
	}
	if (rtvm_host_new(ctx, RTVM_HOST_CPUS | RTVM_HOST_THREADS |
				       RTVM_HOST_THREAD_AFFINITY |
				       RTVM_HOST_THREAD_CGROUPS,
			  &h) == 0) {
		const struct rtvm_thread *t;

		rtvm_host_foreach_thread(t, h) {
			const char *comm = rtvm_thread_get_comm(t);

			fz_assert(comm && strlen(comm) < 64);
			(void)rtvm_thread_get_cgroup(t, "cpuset");
			(void)rtvm_thread_get_affinity(t);
		}
		rtvm_host_unref(h);
	}
	free(copy);
	rtvm_unref(ctx);
	return 0;
}
