/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * All file access of the library.  Paths are given relative to one of the
 * host's pseudo file systems and resolved inside the context's root, so a
 * captured tree of another machine can stand in for this one.  This is the
 * only source file that knows where those file systems live.
 */
#include "config.h"

#include <fcntl.h>
#include <limits.h>
#include <linux/openat2.h>
#include <stdatomic.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "librtvm-private.h"
#include "ctx.h"

static const char *const fs_top[RTVM_FS_N] = {
	[RTVM_FS_PROC] = "proc",
	[RTVM_FS_SYS] = "sys",
	[RTVM_FS_DEV] = "dev",
	[RTVM_FS_RUN] = "run",
	[RTVM_FS_ETC] = "etc",
	[RTVM_FS_BOOT] = "boot",
};

static void trace_add(struct rtvm_ctx *ctx, const char *path);

int rtvm_fs_root_fd(const struct rtvm_ctx *ctx)
{
	return ctx->rootfd;
}

/* Without openat2 (old kernels, valgrind): resolve the path by hand, one
 * component at a time, so that links and ".." cannot leave the root; what
 * is finally opened holds neither. */
static int open_in_root_slow(struct rtvm_ctx *ctx, const char *path,
			     int flags, mode_t mode)
{
	char done[PATH_MAX], link[PATH_MAX], *rest, *joined;
	size_t len = 0;
	int links = 0, fd;

	rest = strdup(path);
	if (!rest)
		return -ENOMEM;
	done[0] = '\0';
	while (*rest) {
		char *comp = rest, *next = rest + strcspn(rest, "/");
		ssize_t n;

		if (*next)
			*next++ = '\0';
		if (strcmp(comp, "..") == 0) {
			char *up = strrchr(done, '/');

			len = up ? (size_t)(up - done) : 0;
			done[len] = '\0';
		} else if (*comp && strcmp(comp, ".") != 0) {
			if (len + strlen(comp) + 2 > sizeof(done)) {
				free(rest);
				return -ENAMETOOLONG;
			}
			len += (size_t)sprintf(done + len, "%s%s", len ? "/" : "",
					       comp);
			n = readlinkat(ctx->rootfd, done, link, sizeof(link) - 1);
			if (n >= 0) {
				char *up;

				if (++links > 40) {
					free(rest);
					return -ELOOP;
				}
				link[n] = '\0';
				/* The link gives way to its target, taken from
				 * the top of the root when absolute. */
				up = strrchr(done, '/');
				len = link[0] == '/' || !up ? 0 : (size_t)(up - done);
				done[len] = '\0';
				if (asprintf(&joined, "%s/%s", link, next) < 0) {
					free(rest);
					return -ENOMEM;
				}
				free(rest);
				rest = joined;
				continue;
			}
		}
		memmove(rest, next, strlen(next) + 1);
	}
	free(rest);
	fd = openat(ctx->rootfd, len ? done : ".", flags | O_CLOEXEC | O_NOFOLLOW,
		    mode);
	return fd < 0 ? -errno : fd;
}

static atomic_bool no_openat2;

/* openat() inside the sysroot: absolute links and ".." stay inside it. */
static int open_in_root(struct rtvm_ctx *ctx, const char *path, int flags,
			mode_t mode)
{
	struct open_how how = {
		.flags = (uint64_t)(flags | O_CLOEXEC),
		.mode = (flags & O_CREAT) ? mode : 0,
		.resolve = RESOLVE_IN_ROOT,
	};
	int fd;

	/* Once the kernel (or valgrind) said it has no openat2, do not ask
	 * again on every open. */
	if (atomic_load_explicit(&no_openat2, memory_order_relaxed))
		return open_in_root_slow(ctx, path, flags, mode);
	fd = (int)syscall(SYS_openat2, ctx->rootfd, path, &how, sizeof(how));
	if (fd < 0 && errno == ENOSYS) {
		atomic_store_explicit(&no_openat2, true, memory_order_relaxed);
		return open_in_root_slow(ctx, path, flags, mode);
	}
	return fd < 0 ? -errno : fd;
}

static int vformat(char **ret, const char *fmt, va_list ap)
{
	return vasprintf(ret, fmt, ap) < 0 ? -ENOMEM : 0;
}

static int open_rel(struct rtvm_ctx *ctx, enum rtvm_fs fs, const char *rel,
		    int flags, mode_t mode)
{
	char *path;
	int fd, r;

	if ((unsigned)fs >= RTVM_FS_N || !rel)
		return -EINVAL;
	if (asprintf(&path, "/%s/%s", fs_top[fs], rel) < 0)
		return -ENOMEM;
	r = rtvm_fault_check(ctx, (flags & O_ACCMODE) == O_RDONLY ?
					  RTVM_OP_READ : RTVM_OP_WRITE, path);
	if (r < 0) {
		free(path);
		return r;
	}
	if (ctx->rootfd >= 0)
		fd = open_in_root(ctx, path + 1, flags, mode);
	else {
		fd = open(path, flags | O_CLOEXEC, mode);
		if (fd < 0)
			fd = -errno;
	}
	if (fd >= 0 && ctx->trace && (flags & O_ACCMODE) == O_RDONLY &&
	    !(flags & O_DIRECTORY))
		trace_add(ctx, path);
	free(path);
	return fd;
}

/* open_rel() with a printf-formatted path. */
static int vopen(struct rtvm_ctx *ctx, enum rtvm_fs fs, int flags,
		 const char *fmt, va_list ap)
{
	char *rel;
	int r;

	r = vformat(&rel, fmt, ap);
	if (r < 0)
		return r;
	r = open_rel(ctx, fs, rel, flags, 0644);
	free(rel);
	return r;
}

int rtvm_fs_open(struct rtvm_ctx *ctx, enum rtvm_fs fs, int flags,
		 const char *fmt, ...)
{
	va_list ap;
	int r;

	va_start(ap, fmt);
	r = vopen(ctx, fs, flags, fmt, ap);
	va_end(ap);
	return r;
}

static const char *file_type_name(mode_t mode)
{
	switch (mode & S_IFMT) {
	case S_IFIFO: return "a FIFO";
	case S_IFSOCK: return "a socket";
	case S_IFCHR: return "a character device";
	case S_IFBLK: return "a block device";
	case S_IFDIR: return "a directory";
	default: return "not a regular file";
	}
}

/* Whether fd, opened as @what, is a regular file; -EISDIR for a directory,
 * -EINVAL (said) for a FIFO, socket or device, which would block a read or
 * feed it without end. */
int rtvm_fs_check_regular(struct rtvm_ctx *ctx, int fd, const char *what)
{
	struct stat st;

	if (fstat(fd, &st) < 0)
		return -errno;
	if (S_ISREG(st.st_mode))
		return 0;
	err(ctx, "%s is %s, where a regular file is expected", what,
	    file_type_name(st.st_mode));
	return S_ISDIR(st.st_mode) ? -EISDIR : -EINVAL;
}

/* procfs and sysfs of the running kernel hold no FIFOs or devices where
 * the library reads, so the check costs a system call only where someone
 * else made the tree: a sysroot, or /etc, /run, /boot. */
static bool needs_type_check(const struct rtvm_ctx *ctx, enum rtvm_fs fs)
{
	return ctx->rootfd >= 0 || (fs != RTVM_FS_PROC && fs != RTVM_FS_SYS);
}

/* Open a file to read it: never blocks in open or read (O_NONBLOCK), and
 * only a regular file is accepted. */
static int open_file(struct rtvm_ctx *ctx, enum rtvm_fs fs, const char *rel)
{
	char *what = NULL;
	int fd, r;

	fd = open_rel(ctx, fs, rel, O_RDONLY | O_NONBLOCK, 0);
	if (fd < 0 || !needs_type_check(ctx, fs))
		return fd;
	if (rtvm_fs_join_path(fs, rel, &what) < 0)
		what = NULL;
	r = rtvm_fs_check_regular(ctx, fd, what ? what : rel);
	free(what);
	if (r < 0) {
		close(fd);
		return r;
	}
	return fd;
}

static int vopen_file(struct rtvm_ctx *ctx, enum rtvm_fs fs, const char *fmt,
		      va_list ap, char **ret_rel)
{
	char *rel;
	int fd, r;

	r = vformat(&rel, fmt, ap);
	if (r < 0)
		return r;
	fd = open_file(ctx, fs, rel);
	if (ret_rel && fd >= 0)
		*ret_rel = rel;
	else
		free(rel);
	return fd;
}

int rtvm_fs_open_file(struct rtvm_ctx *ctx, enum rtvm_fs fs, const char *fmt,
		      ...)
{
	va_list ap;
	int r;

	va_start(ap, fmt);
	r = vopen_file(ctx, fs, fmt, ap, NULL);
	va_end(ap);
	return r;
}

/* Read all of fd into buf; sysfs and procfs files may come in pieces.
 * @at_start: from offset 0 with pread (a file kept open), else from the
 * file position. */
static int read_whole(int fd, char *buf, size_t size, bool at_start)
{
	size_t len = 0;

	if (size < 2)
		return -EINVAL;
	for (;;) {
		ssize_t n = at_start ? pread(fd, buf + len, size - 1 - len, (off_t)len)
				     : read(fd, buf + len, size - 1 - len);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		if (n == 0)
			break;
		len += (size_t)n;
		if (len == size - 1) {
			char c;

			/* Full: only an end of file right here fits. */
			n = at_start ? pread(fd, &c, 1, (off_t)len) : read(fd, &c, 1);
			if (n != 0)
				return n < 0 ? -errno : -EOVERFLOW;
			break;
		}
	}
	if (len && buf[len - 1] == '\n')
		len--;
	buf[len] = '\0';
	return (int)len;
}

int rtvm_fs_pread(int fd, char *buf, size_t size)
{
	return read_whole(fd, buf, size, true);
}

int rtvm_fs_read_msr(struct rtvm_ctx *ctx, unsigned int cpu, uint32_t reg,
		     uint64_t *ret)
{
	uint64_t v = 0;
	ssize_t n;
	int fd, r;

	/* A character device on a host, a plain file in a sysroot; never
	 * blocks on a FIFO planted there. */
	fd = rtvm_fs_open(ctx, RTVM_FS_DEV, O_RDONLY | O_NONBLOCK,
			  "cpu/%u/msr", cpu);
	if (fd < 0)
		return fd;
	do
		n = pread(fd, &v, sizeof(v), reg);
	while (n < 0 && errno == EINTR);
	r = n < 0 ? -errno : (n == sizeof(v) ? 0 : -EIO);
	close(fd);
	if (r == 0)
		*ret = v;
	return r;
}

int rtvm_fs_read(struct rtvm_ctx *ctx, enum rtvm_fs fs, char *buf,
		 size_t size, const char *fmt, ...)
{
	char *rel = NULL;
	va_list ap;
	int fd, r;

	va_start(ap, fmt);
	fd = vopen_file(ctx, fs, fmt, ap, &rel);
	va_end(ap);
	if (fd < 0)
		return fd;
	r = read_whole(fd, buf, size, false);
	close(fd);
	if (r == -EOVERFLOW)
		err(ctx, "/%s/%s is longer than %zu bytes, more than the kernel "
		    "writes there", fs_top[fs], rel, size - 1);
	free(rel);
	return r;
}

/* The largest file read whole: /proc/interrupts of a 1,024-CPU host with
 * a few thousand IRQs is some 30 MiB. */
#define READ_ALLOC_MAX (64u << 20)

int rtvm_fs_read_alloc(struct rtvm_ctx *ctx, enum rtvm_fs fs, char **ret,
		       const char *fmt, ...)
{
	size_t size = 4096;
	char *buf = NULL, *rel = NULL;
	va_list ap;
	int fd, r;

	va_start(ap, fmt);
	fd = vopen_file(ctx, fs, fmt, ap, &rel);
	va_end(ap);
	if (fd < 0)
		return fd;
	for (;;) {
		char *n = realloc(buf, size);

		if (!n) {
			r = -ENOMEM;
			break;
		}
		buf = n;
		r = read_whole(fd, buf, size, false);
		if (r != -EOVERFLOW)
			break;
		if (size >= READ_ALLOC_MAX) {
			err(ctx, "/%s/%s is larger than %u MiB, more than the "
			    "kernel writes there", fs_top[fs], rel,
			    READ_ALLOC_MAX >> 20);
			r = -EFBIG;
			break;
		}
		/* Pseudo files cannot be re-read in place: start over. */
		if (lseek(fd, 0, SEEK_SET) < 0) {
			r = -errno;
			break;
		}
		size *= 4;
	}
	close(fd);
	free(rel);
	if (r < 0) {
		free(buf);
		return r;
	}
	*ret = buf;
	return r;
}

static int fd_host_path(struct rtvm_ctx *ctx, int dirfd, const char *name,
			char **ret)
{
	char link[64], target[4096];
	const char *p = target;
	ssize_t n;

	/* Our own fd table: not part of the host being modelled. */
	snprintf(link, sizeof(link), "/proc/self/fd/%d", dirfd);
	n = readlink(link, target, sizeof(target) - 1);
	if (n < 0)
		return -errno;
	target[n] = '\0';
	if (ctx->root) {
		size_t rl = strlen(ctx->root);

		if (strncmp(target, ctx->root, rl) != 0)
			return -EXDEV;
		p += rl;
	}
	return asprintf(ret, "%s/%s", p, name) < 0 ? -ENOMEM : 0;
}

int rtvm_fs_read_at(struct rtvm_ctx *ctx, int dirfd, const char *name,
		    char *buf, size_t size)
{
	ssize_t n;
	int fd, r;

	if (size < 2)
		return -EINVAL;
	if (ctx->faults) {
		char *path = NULL;

		if (fd_host_path(ctx, dirfd, name, &path) == 0)
			r = rtvm_fault_check(ctx, RTVM_OP_READ, path);
		else
			r = rtvm_fault_check(ctx, RTVM_OP_READ, name);
		free(path);
		if (r < 0)
			return r;
	}
	fd = openat(dirfd, name, O_RDONLY | O_NONBLOCK | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0)
		return -errno;
	/* Only a sysroot can hold something other than procfs's own files
	 * here (see needs_type_check()). */
	if (ctx->rootfd >= 0) {
		char *path = NULL;

		if (fd_host_path(ctx, dirfd, name, &path) < 0)
			path = NULL;
		r = rtvm_fs_check_regular(ctx, fd, path ? path : name);
		free(path);
		if (r < 0) {
			close(fd);
			return r;
		}
	}
	/* One read: procfs fills the buffer with all that fits, so a short
	 * read is the whole file and the end-of-file read can be skipped.
	 * This is a tenth of the system calls of a 10,000-thread scan. */
	do
		n = read(fd, buf, size - 1);
	while (n < 0 && errno == EINTR);
	r = n < 0 ? -errno : ((size_t)n == size - 1 ? -EOVERFLOW : (int)n);
	close(fd);
	if (r == -EOVERFLOW) {
		char *path = NULL;

		if (fd_host_path(ctx, dirfd, name, &path) < 0)
			path = NULL;
		err(ctx, "%s is longer than %zu bytes, more than the kernel "
		    "writes there", path ? path : name, size - 2);
		free(path);
	}
	if (r > 0 && buf[r - 1] == '\n')
		r--;
	if (r >= 0)
		buf[r] = '\0';
	if (r >= 0 && ctx->trace) {
		char *path;

		if (fd_host_path(ctx, dirfd, name, &path) == 0) {
			trace_add(ctx, path);
			free(path);
		}
	}
	return r;
}

int rtvm_fs_write(struct rtvm_ctx *ctx, enum rtvm_fs fs, const char *value,
		  const char *fmt, ...)
{
	size_t len = strlen(value);
	va_list ap;
	ssize_t n;
	int fd, r;

	/* O_TRUNC: in a sysroot (and /etc) the file is a plain file. */
	va_start(ap, fmt);
	fd = vopen(ctx, fs, O_WRONLY | O_TRUNC, fmt, ap);
	va_end(ap);
	if (fd < 0)
		return fd;
	do
		n = write(fd, value, len);
	while (n < 0 && errno == EINTR);
	r = n < 0 ? -errno : ((size_t)n == len ? 0 : -EIO);
	if (close(fd) < 0 && r == 0)
		r = -errno;
	return r;
}

int rtvm_fs_open_dir(struct rtvm_ctx *ctx, enum rtvm_fs fs, const char *fmt,
		     ...)
{
	va_list ap;
	int r;

	va_start(ap, fmt);
	r = vopen(ctx, fs, O_RDONLY | O_DIRECTORY, fmt, ap);
	va_end(ap);
	return r;
}

int rtvm_fs_open_dir_at(struct rtvm_ctx *ctx, int dirfd, const char *name)
{
	int fd = openat(dirfd, name, O_RDONLY | O_DIRECTORY | O_CLOEXEC |
					     O_NOFOLLOW);

	return fd < 0 ? -errno : fd;
}

enum path_op { OP_MKDIR, OP_RMDIR, OP_UNLINK };

static int path_op(struct rtvm_ctx *ctx, enum rtvm_fs fs, enum path_op op,
		   mode_t mode, const char *fmt, va_list ap)
{
	static const enum rtvm_op fault_op[] = {
		[OP_MKDIR] = RTVM_OP_MKDIR,
		[OP_RMDIR] = RTVM_OP_RMDIR,
		[OP_UNLINK] = RTVM_OP_UNLINK,
	};
	char *rel, *path = NULL, *base;
	int parent, r;

	if ((unsigned)fs >= RTVM_FS_N)
		return -EINVAL;
	r = vformat(&rel, fmt, ap);
	if (r < 0)
		return r;
	if (asprintf(&path, "/%s/%s", fs_top[fs], rel) < 0) {
		free(rel);
		return -ENOMEM;
	}
	free(rel);
	r = rtvm_fault_check(ctx, fault_op[op], path);
	if (r < 0)
		goto out;
	/* Resolve the parent inside the root, then act on the last name. */
	base = strrchr(path, '/');
	*base++ = '\0';
	if (ctx->rootfd >= 0)
		parent = open_in_root(ctx, path + 1, O_PATH | O_DIRECTORY, 0);
	else {
		parent = open(path, O_PATH | O_DIRECTORY | O_CLOEXEC);
		if (parent < 0)
			parent = -errno;
	}
	if (parent < 0) {
		r = parent;
		goto out;
	}
	switch (op) {
	case OP_MKDIR:
		r = mkdirat(parent, base, mode);
		break;
	case OP_RMDIR:
		r = unlinkat(parent, base, AT_REMOVEDIR);
		break;
	case OP_UNLINK:
		r = unlinkat(parent, base, 0);
		break;
	}
	r = r < 0 ? -errno : 0;
	close(parent);
out:
	free(path);
	return r;
}

int rtvm_fs_mkdir(struct rtvm_ctx *ctx, enum rtvm_fs fs, mode_t mode,
		  const char *fmt, ...)
{
	va_list ap;
	int r;

	va_start(ap, fmt);
	r = path_op(ctx, fs, OP_MKDIR, mode, fmt, ap);
	va_end(ap);
	return r;
}

int rtvm_fs_rmdir(struct rtvm_ctx *ctx, enum rtvm_fs fs, const char *fmt, ...)
{
	va_list ap;
	int r;

	va_start(ap, fmt);
	r = path_op(ctx, fs, OP_RMDIR, 0, fmt, ap);
	va_end(ap);
	return r;
}

int rtvm_fs_unlink(struct rtvm_ctx *ctx, enum rtvm_fs fs, const char *fmt, ...)
{
	va_list ap;
	int r;

	va_start(ap, fmt);
	r = path_op(ctx, fs, OP_UNLINK, 0, fmt, ap);
	va_end(ap);
	return r;
}

int rtvm_fs_create(struct rtvm_ctx *ctx, enum rtvm_fs fs, const char *value,
		   mode_t mode, const char *fmt, ...)
{
	size_t len = strlen(value), done = 0;
	char *rel;
	va_list ap;
	int fd, r;

	va_start(ap, fmt);
	r = vformat(&rel, fmt, ap);
	va_end(ap);
	if (r < 0)
		return r;
	/* O_EXCL: never replaces a file someone else made meanwhile. */
	fd = open_rel(ctx, fs, rel, O_WRONLY | O_CREAT | O_EXCL, mode);
	if (fd < 0) {
		free(rel);
		return fd;
	}
	while (done < len) {
		ssize_t n = write(fd, value + done, len - done);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			r = n < 0 ? -errno : -EIO;
			break;
		}
		done += (size_t)n;
	}
	if (close(fd) < 0 && r == 0)
		r = -errno;
	if (r < 0) {
		/* No half-written file is left behind. */
		rtvm_fs_unlink(ctx, fs, "%s", rel);
	}
	free(rel);
	return r;
}

int rtvm_fs_split_path(const char *path, enum rtvm_fs *ret_fs,
		       const char **ret_rel)
{
	if (!path || path[0] != '/')
		return -EINVAL;
	for (int i = 0; i < RTVM_FS_N; i++) {
		size_t n = strlen(fs_top[i]);

		if (strncmp(path + 1, fs_top[i], n) == 0 && path[n + 1] == '/' &&
		    path[n + 2]) {
			*ret_fs = (enum rtvm_fs)i;
			*ret_rel = path + n + 2;
			return 0;
		}
	}
	return -EINVAL;
}

const char *rtvm_fs_top(enum rtvm_fs fs)
{
	static const char *const tops[RTVM_FS_N] = {
		[RTVM_FS_PROC] = "/proc", [RTVM_FS_SYS] = "/sys",
		[RTVM_FS_DEV] = "/dev",	  [RTVM_FS_RUN] = "/run",
		[RTVM_FS_ETC] = "/etc",	  [RTVM_FS_BOOT] = "/boot",
	};

	return (unsigned)fs < RTVM_FS_N ? tops[fs] : "?";
}

int rtvm_fs_join_path(enum rtvm_fs fs, const char *rel, char **ret)
{
	if ((unsigned)fs >= RTVM_FS_N)
		return -EINVAL;
	return asprintf(ret, "/%s/%s", fs_top[fs], rel) < 0 ? -ENOMEM : 0;
}

/* ---- capture tracing -------------------------------------------------- */

int rtvm_trace_start(struct rtvm_ctx *ctx)
{
	if (ctx->trace)
		return -EBUSY;
	ctx->trace = calloc(1, sizeof(*ctx->trace));
	return ctx->trace ? 0 : -ENOMEM;
}

static void trace_add(struct rtvm_ctx *ctx, const char *path)
{
	struct rtvm_trace *t = ctx->trace;
	char *copy;

	if (t->n == t->alloc) {
		size_t alloc = t->alloc ? t->alloc * 2 : 256;
		char **n = realloc(t->paths, alloc * sizeof(*n));

		if (!n)
			return;
		t->paths = n;
		t->alloc = alloc;
	}
	copy = strdup(path);
	if (copy)
		t->paths[t->n++] = copy;
}

char **rtvm_trace_end(struct rtvm_ctx *ctx, size_t *ret_n)
{
	struct rtvm_trace *t = ctx->trace;
	char **paths;

	if (!t) {
		*ret_n = 0;
		return NULL;
	}
	paths = t->paths;
	*ret_n = t->n;
	free(t);
	ctx->trace = NULL;
	return paths;
}

void rtvm_trace_stop(struct rtvm_ctx *ctx)
{
	struct rtvm_trace *t = ctx->trace;

	if (!t)
		return;
	for (size_t i = 0; i < t->n; i++)
		free(t->paths[i]);
	free(t->paths);
	free(t);
	ctx->trace = NULL;
}

/* A sysroot keeps a log of the system calls made on its behalf, beside its
 * /proc and /sys, so tests and users can see what would have happened. */
int rtvm_fs_sysroot_log(struct rtvm_ctx *ctx, const char *line)
{
	size_t len = strlen(line);
	char *out;
	ssize_t n;
	int fd;

	if (ctx->rootfd < 0)
		return -EINVAL;
	fd = openat(ctx->rootfd, "rtvm-syscalls.log",
		    O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0644);
	if (fd < 0)
		return -errno;
	out = malloc(len + 1);
	if (!out) {
		close(fd);
		return -ENOMEM;
	}
	memcpy(out, line, len);
	out[len] = '\n';
	n = write(fd, out, len + 1);
	free(out);
	close(fd);
	return n == (ssize_t)len + 1 ? 0 : (n < 0 ? -errno : -EIO);
}

/* Create the directories of @rel under @dirfd, like mkdir -p. */
static int mkdirs_at(int dirfd, char *rel)
{
	for (char *p = strchr(rel, '/'); p; p = strchr(p + 1, '/')) {
		*p = '\0';
		if (mkdirat(dirfd, rel, 0755) < 0 && errno != EEXIST) {
			int r = -errno;

			*p = '/';
			return r;
		}
		*p = '/';
	}
	return 0;
}

/* Copy one host file into the same place of the tree at @destfd, byte for
 * byte (config.gz is binary). */
int rtvm_fs_copy_out(struct rtvm_ctx *ctx, enum rtvm_fs fs, const char *rel,
		     int destfd)
{
	char *dest = NULL, buf[65536];
	int r, in, out;
	ssize_t n;

	if ((unsigned)fs >= RTVM_FS_N)
		return -EINVAL;
	in = open_file(ctx, fs, rel);
	if (in < 0)
		return in;
	if (asprintf(&dest, "%s/%s", fs_top[fs], rel) < 0) {
		close(in);
		return -ENOMEM;
	}
	r = mkdirs_at(destfd, dest);
	out = r < 0 ? r :
		      openat(destfd, dest,
			     O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW,
			     0644);
	if (r == 0 && out < 0)
		r = -errno;
	while (r == 0 && (n = read(in, buf, sizeof(buf))) != 0) {
		if (n < 0)
			r = errno == EINTR ? 0 : -errno;
		else if (write(out, buf, (size_t)n) != n)
			r = -EIO;
	}
	if (out >= 0 && close(out) < 0 && r == 0)
		r = -errno;
	close(in);
	free(dest);
	return r;
}
