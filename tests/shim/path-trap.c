/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * path-trap: an LD_PRELOAD object for tests only.  libcgroup cannot be
 * pointed at a sysroot; this shim points it there by rewriting the paths
 * it opens.  Absolute paths under /sys/fs/cgroup, and the mount and
 * controller tables (/proc/mounts, /proc/self/mounts,
 * /proc/self/mountinfo, /proc/cgroups), are prefixed with the directory
 * named by RTVM_PATH_TRAP, a fixture sysroot.
 *
 * Without RTVM_PATH_TRAP every /sys/fs/cgroup path fails with EACCES, so
 * that a test that lost its fixture can never reach the real hierarchy;
 * the /proc tables are then read from the host (reading is harmless).
 * Paths relative to a directory fd are the library's own sysroot access
 * and pass untouched.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#define CGROOT "/sys/fs/cgroup"

/* Tests look this up to know that the shim is loaded. */
__attribute__((visibility("default"))) const int rtvm_path_trap_loaded = 1;

static const char *const tables[] = {
	"/proc/mounts", "/proc/self/mounts", "/proc/self/mountinfo",
	"/proc/cgroups",
};

/* Whether @path is one the shim redirects, and whether it is a cgroup one. */
static bool trapped(const char *path, bool *cgroup)
{
	size_t n = strlen(CGROOT);

	*cgroup = false;
	if (!path || path[0] != '/')
		return false;
	if (strncmp(path, CGROOT, n) == 0 &&
	    (path[n] == '\0' || path[n] == '/')) {
		*cgroup = true;
		return true;
	}
	for (size_t i = 0; i < sizeof(tables) / sizeof(tables[0]); i++)
		if (strcmp(path, tables[i]) == 0)
			return true;
	return false;
}

/*
 * The path to use instead of @path, in @buf; NULL with errno set when the
 * call must fail.  @path itself when it is not trapped, or trapped without
 * a fixture for a table of /proc.
 */
static const char *redirect(const char *path, char *buf, size_t size)
{
	const char *root = getenv("RTVM_PATH_TRAP");
	bool cgroup;

	if (!trapped(path, &cgroup))
		return path;
	if (!root || !*root) {
		if (!cgroup)
			return path;
		errno = EACCES;
		return NULL;
	}
	if ((size_t)snprintf(buf, size, "%s%s", root, path) >= size) {
		errno = ENAMETOOLONG;
		return NULL;
	}
	return buf;
}

/* The next definition of a libc function (libc's, or a sanitizer's
 * interceptor loaded before the shim). */
#define NEXT(name, type, ...)                                              \
	static type (*next)(__VA_ARGS__);                                  \
	if (!next)                                                         \
		next = (type(*)(__VA_ARGS__))dlsym(RTLD_NEXT, name);       \
	if (!next) {                                                       \
		errno = ENOSYS;                                            \
		return ERRVAL;                                             \
	}

#define REDIRECT(p)                                                        \
	char buf_[PATH_MAX];                                               \
	const char *p_ = redirect(p, buf_, sizeof(buf_));                  \
	if (!p_)                                                           \
		return ERRVAL;

/* Mode arguments exist only with O_CREAT or O_TMPFILE. */
static mode_t open_mode(int flags, va_list ap)
{
	return (flags & O_CREAT) || (flags & O_TMPFILE) == O_TMPFILE ?
		       (mode_t)va_arg(ap, int) :
		       0;
}

#define ERRVAL -1

int open(const char *path, int flags, ...)
{
	va_list ap;
	mode_t mode;

	NEXT("open", int, const char *, int, ...);
	REDIRECT(path);
	va_start(ap, flags);
	mode = open_mode(flags, ap);
	va_end(ap);
	return next(p_, flags, mode);
}

int open64(const char *path, int flags, ...)
{
	va_list ap;
	mode_t mode;

	NEXT("open64", int, const char *, int, ...);
	REDIRECT(path);
	va_start(ap, flags);
	mode = open_mode(flags, ap);
	va_end(ap);
	return next(p_, flags, mode);
}

int openat(int dirfd, const char *path, int flags, ...)
{
	va_list ap;
	mode_t mode;

	NEXT("openat", int, int, const char *, int, ...);
	REDIRECT(path);
	va_start(ap, flags);
	mode = open_mode(flags, ap);
	va_end(ap);
	return next(dirfd, p_, flags, mode);
}

int openat64(int dirfd, const char *path, int flags, ...)
{
	va_list ap;
	mode_t mode;

	NEXT("openat64", int, int, const char *, int, ...);
	REDIRECT(path);
	va_start(ap, flags);
	mode = open_mode(flags, ap);
	va_end(ap);
	return next(dirfd, p_, flags, mode);
}

int mkdir(const char *path, mode_t mode)
{
	NEXT("mkdir", int, const char *, mode_t);
	REDIRECT(path);
	return next(p_, mode);
}

int rmdir(const char *path)
{
	NEXT("rmdir", int, const char *);
	REDIRECT(path);
	return next(p_);
}

int access(const char *path, int mode)
{
	NEXT("access", int, const char *, int);
	REDIRECT(path);
	return next(p_, mode);
}

int stat(const char *path, struct stat *st)
{
	NEXT("stat", int, const char *, struct stat *);
	REDIRECT(path);
	return next(p_, st);
}

int lstat(const char *path, struct stat *st)
{
	NEXT("lstat", int, const char *, struct stat *);
	REDIRECT(path);
	return next(p_, st);
}

int stat64(const char *path, struct stat64 *st)
{
	NEXT("stat64", int, const char *, struct stat64 *);
	REDIRECT(path);
	return next(p_, st);
}

int lstat64(const char *path, struct stat64 *st)
{
	NEXT("lstat64", int, const char *, struct stat64 *);
	REDIRECT(path);
	return next(p_, st);
}

int chmod(const char *path, mode_t mode)
{
	NEXT("chmod", int, const char *, mode_t);
	REDIRECT(path);
	return next(p_, mode);
}

int chown(const char *path, uid_t uid, gid_t gid)
{
	NEXT("chown", int, const char *, uid_t, gid_t);
	REDIRECT(path);
	return next(p_, uid, gid);
}

ssize_t readlink(const char *path, char *out, size_t size)
{
	NEXT("readlink", ssize_t, const char *, char *, size_t);
	REDIRECT(path);
	return next(p_, out, size);
}

/* Mounting is never a test's business: refused under the trap. */
int mount(const char *src, const char *target, const char *type,
	  unsigned long flags, const void *data)
{
	bool cgroup;

	NEXT("mount", int, const char *, const char *, const char *,
	     unsigned long, const void *);
	if (trapped(target, &cgroup)) {
		errno = EPERM;
		return -1;
	}
	return next(src, target, type, flags, data);
}

int umount(const char *target)
{
	bool cgroup;

	NEXT("umount", int, const char *);
	if (trapped(target, &cgroup)) {
		errno = EPERM;
		return -1;
	}
	return next(target);
}

#undef ERRVAL
#define ERRVAL NULL

FILE *fopen(const char *path, const char *mode)
{
	NEXT("fopen", FILE *, const char *, const char *);
	REDIRECT(path);
	return next(p_, mode);
}

FILE *fopen64(const char *path, const char *mode)
{
	NEXT("fopen64", FILE *, const char *, const char *);
	REDIRECT(path);
	return next(p_, mode);
}

DIR *opendir(const char *path)
{
	NEXT("opendir", DIR *, const char *);
	REDIRECT(path);
	return next(p_);
}

/* realpath() of a redirected path answers with the path the caller asked
 * about (the fixture's prefix taken off), so that prefixes it compares
 * still match. */
char *realpath(const char *path, char *resolved)
{
	char *r, *root = NULL, *out;
	size_t n;

	NEXT("realpath", char *, const char *, char *);
	REDIRECT(path);
	if (p_ == path)
		return next(path, resolved);
	r = next(p_, NULL);
	if (r)
		root = next(getenv("RTVM_PATH_TRAP"), NULL);
	if (!r || !root) {
		free(r);
		return NULL;
	}
	n = strlen(root);
	out = strncmp(r, root, n) == 0 && r[n] == '/' ? r + n : r;
	free(root);
	if (strlen(out) >= PATH_MAX) {
		free(r);
		errno = ENAMETOOLONG;
		return NULL;
	}
	if (!resolved) {
		resolved = strdup(out);
		free(r);
		return resolved;
	}
	memmove(resolved, out, strlen(out) + 1);
	free(r);
	return resolved;
}

/* What realpath() becomes with _FORTIFY_SOURCE. */
char *__realpath_chk(const char *path, char *resolved, size_t size);

char *__realpath_chk(const char *path, char *resolved, size_t size)
{
	(void)size;
	return realpath(path, resolved);
}
