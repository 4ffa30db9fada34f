/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Finding cgroup hierarchies and moving threads between cgroups. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "librtvm-private.h"

/* Whether a comma-separated option list holds @opt. */
static bool has_option(const char *list, const char *opt)
{
	size_t n = strlen(opt);

	for (const char *s = list; *s;) {
		size_t len = strcspn(s, ",");

		if (len == n && strncmp(s, opt, n) == 0)
			return true;
		s += len + (s[len] == ',');
	}
	return false;
}

int rtvm_cgroup_mount_point(struct rtvm_ctx *ctx, const char *controller,
			    char **ret)
{
	char *info, *line, *save = NULL, *found = NULL;
	int r;

	r = rtvm_fs_read_alloc(ctx, RTVM_FS_PROC, &info, "self/mountinfo");
	if (r < 0)
		return r;
	/* "ID PARENT MAJ:MIN ROOT MOUNTPOINT OPTS [TAGS...] - TYPE SRC SUPER" */
	for (line = strtok_r(info, "\n", &save); line && !found;
	     line = strtok_r(NULL, "\n", &save)) {
		char mnt[4096], type[64], super[1024], *dash;

		dash = strstr(line, " - ");
		if (!dash || sscanf(line, "%*s %*s %*s %*s %4095s", mnt) != 1 ||
		    sscanf(dash + 3, "%63s %*s %1023s", type, super) != 2)
			continue;
		if (*controller ? (strcmp(type, "cgroup") == 0 &&
				   has_option(super, controller)) :
				  strcmp(type, "cgroup2") == 0)
			found = strdup(mnt);
	}
	free(info);
	if (!found)
		return -ENODEV;
	*ret = found;
	return 0;
}

int rtvm_cgroup_attach(struct rtvm_ctx *ctx, const char *cgroup, pid_t tid)
{
	const char *colon = strchr(cgroup, ':'), *rel;
	char *controller, *mnt = NULL, value[32];
	enum rtvm_fs fs;
	int r;

	if (!colon || colon[1] != '/')
		return -EINVAL;
	controller = strndup(cgroup, (size_t)(colon - cgroup));
	if (!controller)
		return -ENOMEM;
	r = rtvm_cgroup_mount_point(ctx, controller, &mnt);
	if (r < 0)
		goto out;
	r = rtvm_fs_split_path(mnt, &fs, &rel);
	if (r < 0) {
		err(ctx, "cgroup hierarchy %s is mounted outside /sys: %s",
		    *controller ? controller : "v2", mnt);
		r = -EOPNOTSUPP;
		goto out;
	}
	snprintf(value, sizeof(value), "%d", tid);
	/* v1 moves one thread through "tasks"; v2 moves the process. */
	r = rtvm_fs_write(ctx, fs, value, "%s%s/%s", rel,
			  strcmp(colon + 1, "/") == 0 ? "" : colon + 1,
			  *controller ? "tasks" : "cgroup.procs");
out:
	free(mnt);
	free(controller);
	return r;
}
