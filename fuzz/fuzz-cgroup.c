/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* mountinfo and a thread's cgroup file (the input's two parts, split at a
 * NUL byte): where the cpuset hierarchy is and where the thread is in it. */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "librtvm-private.h"
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const controllers[] = { "cpuset", "cpu", "" };
	struct rtvm_ctx *ctx = fz_ctx();
	char *parts[2], *copy;

	fz_split(data, size, parts, 2, &copy);
	fz_write("proc/self/mountinfo", parts[0], strlen(parts[0]));
	fz_write("proc/7/task/7/cgroup", parts[1], strlen(parts[1]));
	for (size_t i = 0; i < sizeof(controllers) / sizeof(*controllers); i++) {
		char *mnt = NULL, *path = NULL, *rel = NULL;
		enum rtvm_fs fs;

		if (rtvm_cgroup_mount_point(ctx, controllers[i], &mnt) == 0) {
			fz_assert(mnt && *mnt);
			free(mnt);
		}
		if (rtvm_thread_cgroup(ctx, (struct rtvm_tid){ 7, 7 },
				       controllers[i], &path) == 0) {
			fz_assert(path && path[0] == '/');
			if (rtvm_cgroup_dir(ctx, controllers[i], path, &fs,
					    &rel) == 0)
				free(rel);
			free(path);
		}
	}
	free(copy);
	rtvm_unref(ctx);
	return 0;
}
