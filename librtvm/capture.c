/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Capture: load the host model with file tracing on, then copy every file
 * it read into a new sysroot.  Fixtures made this way have the shape of the
 * machine they came from rather than the shape someone imagined.
 */
#include "config.h"

#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "librtvm-private.h"

static int open_empty_dir(const char *path)
{
	struct dirent *de;
	DIR *d;
	int fd;

	if (mkdir(path, 0755) < 0 && errno != EEXIST)
		return -errno;
	fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return errno == ENOTDIR ? -EEXIST : -errno;
	d = fdopendir(dup(fd));
	if (!d) {
		close(fd);
		return -errno;
	}
	while ((de = readdir(d)))
		if (strcmp(de->d_name, ".") && strcmp(de->d_name, "..")) {
			closedir(d);
			close(fd);
			return -ENOTEMPTY;
		}
	closedir(d);
	return fd;
}

/* Copy a thread's files, and for a group leader also the same files under
 * its process directory, which is where tools look first. */
static int copy_thread(struct rtvm_ctx *ctx, pid_t pid, pid_t tid, int destfd)
{
	static const char *const files[] = { "stat", "status", "comm",
					     "cgroup" };

	for (size_t i = 0; i < ARRAY_SIZE(files); i++) {
		char rel[96];
		int r;

		snprintf(rel, sizeof(rel), "%d/task/%d/%s", pid, tid, files[i]);
		r = rtvm_fs_copy_out(ctx, RTVM_FS_PROC, rel, destfd);
		if (r == 0 && pid == tid) {
			snprintf(rel, sizeof(rel), "%d/%s", pid, files[i]);
			r = rtvm_fs_copy_out(ctx, RTVM_FS_PROC, rel, destfd);
		}
		/* Vanished or hidden files are left out of the capture. */
		if (r < 0 && r != -ENOENT && r != -ESRCH && r != -EACCES)
			return r;
	}
	return 0;
}

RTVM_EXPORT int rtvm_capture(struct rtvm_ctx *ctx, const char *destdir,
			     unsigned int flags)
{
	struct rtvm_host *host = NULL;
	char **paths = NULL;
	size_t n = 0;
	pid_t self;
	int destfd, r;

	if (!ctx || !destdir || (flags & ~RTVM_CAPTURE_THREADS))
		return -EINVAL;
	/* Our own threads stand in for the host's when threads are off. */
	self = strcmp(rtvm_get_root(ctx), "/") == 0 ? getpid() : 0;
	destfd = open_empty_dir(destdir);
	if (destfd < 0)
		return destfd;
	r = rtvm_trace_start(ctx);
	if (r < 0)
		goto out;
	r = rtvm_host_new(ctx, 0, &host);
	/* The interrupts as the IRQ inventory reads them (without the
	 * process list it names threaded handlers from). */
	if (r == 0)
		r = rtvm_irqs_read_all(ctx);
	/* Copying reads files too: stop recording before. */
	paths = rtvm_trace_end(ctx, &n);
	if (r < 0)
		goto out;
	for (size_t i = 0; i < n; i++) {
		const char *rel, *path = paths[i];
		enum rtvm_fs fs;
		int pid, tid, end = 0;

		r = rtvm_fs_split_path(path, &fs, &rel);
		if (r < 0)
			goto out;
		if (fs == RTVM_FS_PROC &&
		    sscanf(rel, "%d/task/%d/%n", &pid, &tid, &end) == 2 && end) {
			if (!(flags & RTVM_CAPTURE_THREADS) && pid != self)
				continue;
			r = copy_thread(ctx, pid, tid, destfd);
		} else {
			r = rtvm_fs_copy_out(ctx, fs, rel, destfd);
			if (r == -ENOENT || r == -EACCES)
				r = 0;
		}
		if (r < 0) {
			err(ctx, "capture %s: %s", path, strerror(-r));
			goto out;
		}
	}
	/* What cgroup operations read to find the hierarchies. */
	r = rtvm_fs_copy_out(ctx, RTVM_FS_PROC, "self/mountinfo", destfd);
	if (r == -ENOENT)
		r = 0;
out:
	rtvm_trace_stop(ctx);
	for (size_t i = 0; i < n; i++)
		free(paths[i]);
	free(paths);
	rtvm_host_unref(host);
	close(destfd);
	return r;
}
