/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Finding cgroup hierarchies, creating and removing cgroups and moving
 * threads between them.
 *
 * On the real host, threads move through libcgroup (cgroup_init() reads the
 * mount table once).  libcgroup cannot be pointed at a sysroot, so there
 * the same operation is simulated on the fixture's files, as sysops.c does
 * for scheduling calls.  Control files are read and written through the fs
 * module in both cases: that keeps per-file errors, fault injection and
 * change records exact.
 */
#include "config.h"

#include <fcntl.h>
#include <libcgroup.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

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
	/* "ID PARENT MAJ:MIN ROOT MOUNTPOINT OPTS [TAGS...] - TYPE SRC SUPER";
	 * the kernel writes no other line. */
	for (line = strtok_r(info, "\n", &save); line && !found;
	     line = strtok_r(NULL, "\n", &save)) {
		char mnt[4096], type[64], super[1024], *dash;

		dash = strstr(line, " - ");
		if (!dash || sscanf(line, "%*s %*s %*s %*s %4095s", mnt) != 1 ||
		    sscanf(dash + 3, "%63s %*s %1023s", type, super) != 2) {
			err(ctx, "%s/self/mountinfo: \"%.60s\" is not a "
			    "mount line", rtvm_fs_top(RTVM_FS_PROC), line);
			free(info);
			return -EBADMSG;
		}
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

int rtvm_cgroup_dir(struct rtvm_ctx *ctx, const char *controller,
		    const char *path, enum rtvm_fs *ret_fs, char **ret_rel)
{
	char *mnt = NULL;
	const char *rel;
	int r;

	if (!path || path[0] != '/' || strstr(path, "/.."))
		return -EINVAL;
	r = rtvm_cgroup_mount_point(ctx, controller, &mnt);
	if (r < 0)
		return r;
	r = rtvm_fs_split_path(mnt, ret_fs, &rel);
	if (r < 0) {
		err(ctx, "cgroup hierarchy %s is mounted outside /sys: %s",
		    *controller ? controller : "v2", mnt);
		free(mnt);
		return -EOPNOTSUPP;
	}
	r = asprintf(ret_rel, "%s%s", rel, strcmp(path, "/") == 0 ? "" : path);
	free(mnt);
	return r < 0 ? -ENOMEM : 0;
}

int rtvm_cgroup_split(const char *cgroup, char **ret_controller,
		      const char **ret_path)
{
	const char *colon = strchr(cgroup, ':');

	if (!colon || colon[1] != '/')
		return -EINVAL;
	*ret_controller = strndup(cgroup, (size_t)(colon - cgroup));
	*ret_path = colon + 1;
	return *ret_controller ? 0 : -ENOMEM;
}

int rtvm_thread_cgroup(struct rtvm_ctx *ctx, struct rtvm_tid t,
		       const char *controller, char **ret)
{
	size_t want = strlen(controller);
	char *text, *line, *save = NULL, *found = NULL;
	int r;

	r = rtvm_fs_read_alloc(ctx, RTVM_FS_PROC, &text, "%d/task/%d/cgroup",
			       t.pid, t.tid);
	if (r == -ENOENT)
		return -ESRCH;
	if (r < 0)
		return r;
	/* "ID:CONTROLLERS:PATH"; cgroup v2 is "0::PATH".  The kernel writes
	 * no other line: one is a damaged file, not a thread outside. */
	for (line = strtok_r(text, "\n", &save); line && !found && r >= 0;
	     line = strtok_r(NULL, "\n", &save)) {
		char *c1 = strchr(line, ':'), *c2 = c1 ? strchr(c1 + 1, ':') : NULL;

		if (!c2 || c2[1] != '/' || c1 == line ||
		    strspn(line, "0123456789") != (size_t)(c1 - line)) {
			err(ctx, "%s/%d/task/%d/cgroup: \"%.60s\" is not "
			    "ID:CONTROLLERS:PATH", rtvm_fs_top(RTVM_FS_PROC),
			    (int)t.pid, (int)t.tid, line);
			r = -EBADMSG;
			break;
		}
		*c2 = '\0';
		for (char *s = c1 + 1;;) {
			size_t len = strcspn(s, ",");

			if (len == want && strncmp(s, controller, len) == 0) {
				found = strdup(c2 + 1);
				if (!found)
					r = -ENOMEM;
				break;
			}
			if (!s[len])
				break;
			s += len + 1;
		}
	}
	free(text);
	if (r < 0)
		return r;
	if (!found)
		return -ENOENT;
	*ret = found;
	return 0;
}

int rtvm_cgroup_attach(struct rtvm_ctx *ctx, const char *cgroup,
		       struct rtvm_tid t)
{
	const char *path;
	char *controller;
	int r;

	r = rtvm_cgroup_split(cgroup, &controller, &path);
	if (r < 0)
		return r;
	r = rtvm_sys_cgroup_attach(ctx, t, controller, path);
	if (r < 0 && r != -ESRCH) {
		/* A thread in the cgroup already needs nothing, even one the
		 * kernel would not move (a bound kernel thread): a journal
		 * may name a move that a crash stopped before it was made.
		 * Checked only on failure. */
		char *now = NULL;

		if (rtvm_thread_cgroup(ctx, t, controller, &now) == 0 &&
		    strcmp(now, path) == 0)
			r = 0;
		free(now);
	}
	free(controller);
	return r;
}

int rtvm_cgroup_read(struct rtvm_ctx *ctx, const char *controller,
		     const char *path, const char *file, char *buf,
		     size_t size)
{
	enum rtvm_fs fs;
	char *rel;
	int r;

	r = rtvm_cgroup_dir(ctx, controller, path, &fs, &rel);
	if (r < 0)
		return r;
	r = rtvm_fs_read(ctx, fs, buf, size, "%s/%s", rel, file);
	free(rel);
	if (r >= 0)
		rtvm_strip(buf);
	return r;
}

/* ---- the kernel: libcgroup -------------------------------------------- */

/* libcgroup logs to stdout unless told otherwise, and a library must not
 * print: its messages are dropped, ours name what failed. */
static void quiet_logger(void *userdata, int level, const char *fmt,
			 va_list ap)
{
}

static pthread_once_t lcg_once = PTHREAD_ONCE_INIT;
static int lcg_init_result;

static void lcg_init(void)
{
	cgroup_set_logger(quiet_logger, CGROUP_LOG_ERROR, NULL);
	lcg_init_result = cgroup_init();
}

/* A libcgroup result as a negative errno. */
static int lcg_errno(int code)
{
	int e;

	switch (code) {
	case 0:
		return 0;
	case ECGOTHER:
		e = cgroup_get_last_errno();
		return e > 0 ? -e : -EIO;
	case ECGROUPNOTMOUNTED:
	case ECGROUPSUBSYSNOTMOUNTED:
		return -ENODEV;
	case ECGROUPNOTEXIST:
		return -ENOENT;
	case ECGROUPNOTOWNER:
	case ECGROUPNOTALLOWED:
		return -EPERM;
	case ECGINVAL:
		return -EINVAL;
	default:
		return -EIO;
	}
}

int rtvm_kernel_cgroup_attach(struct rtvm_ctx *ctx, struct rtvm_tid t,
			      const char *controller, const char *path)
{
	struct cgroup *cg;
	char value[32];
	enum rtvm_fs fs;
	char *rel;
	int r;

	if (!*controller) {
		/* v2 moves whole processes, by a file libcgroup 2.0 does not
		 * write for us in a tree without controllers; a thread that
		 * is not its process's main one moves alone, inside its
		 * threaded subtree. */
		bool thread = t.tid != t.pid;

		r = rtvm_cgroup_dir(ctx, "", path, &fs, &rel);
		if (r < 0)
			return r;
		snprintf(value, sizeof(value), "%d", thread ? t.tid : t.pid);
		r = rtvm_fs_write(ctx, fs, value, "%s/%s", rel,
				  thread ? "cgroup.threads" : "cgroup.procs");
		free(rel);
		return r;
	}
	pthread_once(&lcg_once, lcg_init);
	if (lcg_init_result) {
		err(ctx, "libcgroup: cannot read the mounted hierarchies: %s",
		    cgroup_strerror(lcg_init_result));
		return lcg_errno(lcg_init_result);
	}
	cg = cgroup_new_cgroup(path);
	if (!cg)
		return -ENOMEM;
	if (!cgroup_add_controller(cg, controller))
		r = -ENOMEM;
	else
		r = lcg_errno(cgroup_attach_task_pid(cg, t.tid));
	cgroup_free(&cg);
	/* The kernel says ESRCH for a thread that exited meanwhile. */
	return r;
}

/* ---- the sysroot simulation ------------------------------------------ */

static int sysroot_log(struct rtvm_ctx *ctx, const char *fmt, ...)
	RTVM_PRINTF(2, 3);

static int sysroot_log(struct rtvm_ctx *ctx, const char *fmt, ...)
{
	va_list ap;
	char *line;
	int r;

	va_start(ap, fmt);
	r = vasprintf(&line, fmt, ap);
	va_end(ap);
	if (r < 0)
		return -ENOMEM;
	r = rtvm_fs_sysroot_log(ctx, line);
	free(line);
	return r;
}

/* Replace the path of one line of a /proc cgroup file; sets *old_path to
 * a copy of the previous path. */
static int replace_cgroup_line(const char *text, const char *controller,
			       const char *path, char **ret, char **old_path)
{
	size_t clen = strlen(controller), cap = strlen(text) + strlen(path) + 2;
	char *out = malloc(cap), *o = out;
	const char *line = text;

	if (!out)
		return -ENOMEM;
	*old_path = NULL;
	while (*line) {
		size_t len = strcspn(line, "\n");
		const char *c = memchr(line, ':', len), *p = NULL;
		bool match = false;

		if (c)
			p = memchr(c + 1, ':', len - (size_t)(c + 1 - line));
		if (p && !*controller)
			match = p == c + 1;
		for (const char *s = c ? c + 1 : NULL; p && *controller && s < p;) {
			size_t n = strcspn(s, ",:");

			if (n == clen && strncmp(s, controller, n) == 0)
				match = true;
			s += n + 1;
		}
		if (match && !*old_path) {
			*old_path = strndup(p + 1, len - (size_t)(p + 1 - line));
			o += sprintf(o, "%.*s%s\n", (int)(p + 1 - line), line,
				     path);
		} else {
			o += sprintf(o, "%.*s\n", (int)len, line);
		}
		line += len + (line[len] == '\n');
	}
	*o = '\0';
	if (!*old_path) {
		free(out);
		return -ENOENT;
	}
	*ret = out;
	return 0;
}

/* Remove @tid's line from a tasks file and append it to another: what the
 * kernel's tasks files would show after the move. */
static int move_in_tasks_file(struct rtvm_ctx *ctx, enum rtvm_fs fs,
			      const char *from, const char *to, pid_t tid)
{
	char *text = NULL, *out, *o, value[32];
	int r, fd;

	r = rtvm_fs_read_alloc(ctx, fs, &text, "%s/tasks", from);
	if (r >= 0) {
		out = malloc(strlen(text) + 2);
		if (!out) {
			free(text);
			return -ENOMEM;
		}
		o = out;
		for (char *save = NULL, *tok = strtok_r(text, "\n", &save);
		     tok; tok = strtok_r(NULL, "\n", &save))
			if (atoi(tok) != tid)
				o += sprintf(o, "%s\n", tok);
		*o = '\0';
		fd = rtvm_fs_open(ctx, fs, O_WRONLY | O_TRUNC, "%s/tasks", from);
		if (fd >= 0) {
			if (write(fd, out, strlen(out)) < 0)
				r = -errno;
			close(fd);
		}
		free(out);
		free(text);
	}
	/* The kernel lists tasks in ascending order: keep it so. */
	text = NULL;
	r = rtvm_fs_read_alloc(ctx, fs, &text, "%s/tasks", to);
	if (r < 0 && r != -ENOENT)
		return r;
	out = malloc((text ? strlen(text) : 0) + 32);
	if (!out) {
		free(text);
		return -ENOMEM;
	}
	o = out;
	snprintf(value, sizeof(value), "%d\n", tid);
	for (char *save = NULL, *tok = text ? strtok_r(text, "\n", &save) : NULL;
	     tok; tok = strtok_r(NULL, "\n", &save)) {
		if (value[0] && atoi(tok) > tid) {
			o += sprintf(o, "%s", value);
			value[0] = '\0';
		}
		if (atoi(tok) != tid)
			o += sprintf(o, "%s\n", tok);
	}
	o += sprintf(o, "%s", value);
	free(text);
	fd = rtvm_fs_open(ctx, fs, O_WRONLY | O_TRUNC | O_CREAT, "%s/tasks", to);
	r = fd < 0 ? fd : 0;
	if (fd >= 0) {
		if (write(fd, out, strlen(out)) < 0)
			r = -errno;
		close(fd);
	}
	free(out);
	return r;
}

/* The CPUs a cpuset gives its threads, in a new mask. */
static int cpuset_cpus(struct rtvm_ctx *ctx, enum rtvm_fs fs, const char *rel,
		       bool v2, struct rtvm_cpumask **ret)
{
	char buf[4096];
	int r;

	r = rtvm_fs_read(ctx, fs, buf, sizeof(buf), "%s/%s", rel,
			 v2 ? "cpuset.cpus.effective" : "cpuset.cpus");
	if (r < 0)
		return r;
	r = rtvm_cpumask_new(ctx, ret);
	if (r < 0)
		return r;
	r = rtvm_cpumask_parse_list(*ret, rtvm_strip(buf),
				    RTVM_CPUMASK_ALLOW_EMPTY);
	if (r < 0)
		*ret = rtvm_cpumask_free(*ret);
	return r;
}

/* One thread of a sysroot moves: its cgroup file, tasks files and, for a
 * cpuset, its affinity change as the kernel's would. */
static int sysroot_move_thread(struct rtvm_ctx *ctx, struct rtvm_tid t,
			       const char *controller, const char *path,
			       enum rtvm_fs fs, const char *rel)
{
	char *text = NULL, *out = NULL, *old = NULL, *oldrel = NULL;
	struct rtvm_cpumask *cpus = NULL;
	struct rtvm_stat st;
	int r;

	r = rtvm_stat_read(ctx, t, &st);
	if (r < 0)
		return r;
	/* The kernel refuses to move bound threads between cpusets. */
	if ((st.flags & RTVM_PF_NO_SETAFFINITY) &&
	    (!*controller || strcmp(controller, "cpuset") == 0))
		return -EINVAL;
	r = rtvm_fs_read_alloc(ctx, RTVM_FS_PROC, &text, "%d/task/%d/cgroup",
			       t.pid, t.tid);
	if (r == -ENOENT)
		return -ESRCH;
	if (r < 0)
		return r;
	r = replace_cgroup_line(text, controller, path, &out, &old);
	if (r < 0)
		goto out;
	if (!*controller || strcmp(controller, "cpuset") == 0) {
		r = cpuset_cpus(ctx, fs, rel, !*controller, &cpus);
		if (r < 0)
			goto out;
		if (rtvm_cpumask_weight(cpus) == 0) {
			r = -ENOSPC; /* as the kernel: no CPUs to run on */
			goto out;
		}
	}
	r = rtvm_fs_write(ctx, RTVM_FS_PROC, out, "%d/task/%d/cgroup", t.pid,
			  t.tid);
	if (r == 0 && t.pid == t.tid)
		r = rtvm_fs_write(ctx, RTVM_FS_PROC, out, "%d/cgroup", t.pid);
	if (r == 0 && *controller) {
		r = rtvm_cgroup_dir(ctx, controller, old, &fs, &oldrel);
		if (r == 0)
			r = move_in_tasks_file(ctx, fs, oldrel, rel, t.tid);
	}
	if (r == 0 && cpus)
		r = rtvm_sysroot_show_affinity(ctx, t, cpus);
out:
	rtvm_cpumask_free(cpus);
	free(oldrel);
	free(old);
	free(out);
	free(text);
	return r;
}

/* Whether a v2 thread may move to @path alone: -EOPNOTSUPP (the
 * kernel's answer) when @path is a domain cgroup its process is not in. */
static int sysroot_thread_target_ok(struct rtvm_ctx *ctx, struct rtvm_tid t,
				    const char *path, enum rtvm_fs fs,
				    const char *rel)
{
	char type[64], *text = NULL;
	const char *p;
	size_t n;
	int r;

	r = rtvm_fs_read(ctx, fs, type, sizeof(type), "%s/cgroup.type", rel);
	if (r >= 0 && strstr(type, "threaded"))
		return 0;
	r = rtvm_fs_read_alloc(ctx, RTVM_FS_PROC, &text, "%d/cgroup", t.pid);
	if (r < 0)
		return r == -ENOENT ? -ESRCH : r;
	p = strstr(text, "0::");
	n = strlen(path);
	r = p && strncmp(p + 3, path, n) == 0 &&
		    (p[3 + n] == '\n' || p[3 + n] == '\0') ?
		    0 :
		    -EOPNOTSUPP;
	free(text);
	return r;
}

int rtvm_sysroot_cgroup_attach(struct rtvm_ctx *ctx, struct rtvm_tid t,
			       const char *controller, const char *path)
{
	struct stat st;
	enum rtvm_fs fs;
	char *rel;
	int r, fd;

	r = rtvm_cgroup_dir(ctx, controller, path, &fs, &rel);
	if (r < 0)
		return r;
	fd = rtvm_fs_open(ctx, fs, O_RDONLY | O_DIRECTORY, "%s", rel);
	if (fd < 0) {
		r = fd;
		goto out;
	}
	r = fstat(fd, &st) < 0 ? -errno : 0;
	close(fd);
	if (r < 0)
		goto out;
	r = sysroot_log(ctx, "cgroup_attach %s:%s %d/%d", controller, path,
			t.pid, t.tid);
	if (r < 0)
		goto out;
	if (*controller) {
		r = sysroot_move_thread(ctx, t, controller, path, fs, rel);
	} else if (t.tid != t.pid) {
		/* v2, one thread: the kernel keeps it in its threaded
		 * subtree; here, the target must be threaded or the cgroup
		 * its process is in. */
		r = sysroot_thread_target_ok(ctx, t, path, fs, rel);
		if (r == 0)
			r = sysroot_move_thread(ctx, t, controller, path, fs,
						rel);
	} else {
		struct dirent *de;
		DIR *d;

		/* v2: the whole process moves. */
		fd = rtvm_fs_open_dir(ctx, RTVM_FS_PROC, "%d/task", t.pid);
		if (fd < 0) {
			r = fd == -ENOENT ? -ESRCH : fd;
			goto out;
		}
		d = fdopendir(fd);
		if (!d) {
			close(fd);
			r = -errno;
			goto out;
		}
		while (r == 0 && (de = readdir(d))) {
			pid_t tid;

			if (rtvm_parse_pid(de->d_name, &tid))
				r = sysroot_move_thread(
					ctx, (struct rtvm_tid){ t.pid, tid },
					controller, path, fs, rel);
		}
		closedir(d);
	}
out:
	free(rel);
	return r;
}

/* ---- creating, writing and removing ------------------------------------ */

/* What a new cgroup's control file reads, from the parent's same file
 * (NULL: the parent's value, inherited or effective). */
static const char *new_cgroup_value(const char *name)
{
	static const struct {
		const char *name, *value;
	} fresh[] = {
		{ "tasks", "" },
		{ "cgroup.procs", "" },
		{ "cgroup.threads", "" },
		{ "cgroup.subtree_control", "\n" },
		{ "cgroup.type", "domain\n" },
		{ "cpuset.cpus", "\n" },
		{ "cpuset.mems", "\n" },
		{ "cpuset.cpus.exclusive", "\n" },
		{ "cpuset.cpus.partition", "member\n" },
		{ "cpuset.cpu_exclusive", "0\n" },
		{ "cpuset.mem_exclusive", "0\n" },
		{ "cpuset.sched_load_balance", "1\n" },
	};

	for (size_t i = 0; i < ARRAY_SIZE(fresh); i++)
		if (strcmp(fresh[i].name, name) == 0)
			return fresh[i].value;
	return NULL;
}

/* The kernel fills a new cgroup directory with its control files; a
 * sysroot's mkdir makes an empty one, so they are made here. */
static int sysroot_fill(struct rtvm_ctx *ctx, enum rtvm_fs fs,
			const char *parent, const char *child)
{
	struct dirent *de;
	DIR *d;
	int fd, r = 0;

	fd = rtvm_fs_open_dir(ctx, fs, "%s", parent);
	if (fd < 0)
		return fd;
	d = fdopendir(fd);
	if (!d) {
		close(fd);
		return -errno;
	}
	while (r == 0 && (de = readdir(d))) {
		const char *value = new_cgroup_value(de->d_name);
		char *copy = NULL;
		struct stat st;
		int out;

		if (fstatat(dirfd(d), de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0 ||
		    !S_ISREG(st.st_mode))
			continue;
		/* Files only the root has. */
		if (strcmp(de->d_name, "release_agent") == 0 ||
		    strcmp(de->d_name, "cgroup.sane_behavior") == 0 ||
		    strcmp(de->d_name, "cpuset.cpus.isolated") == 0)
			continue;
		if (!value) {
			r = rtvm_fs_read_alloc(ctx, fs, &copy, "%s/%s", parent,
					       de->d_name);
			if (r < 0)
				break;
			r = 0;
		}
		out = rtvm_fs_open(ctx, fs, O_WRONLY | O_CREAT | O_TRUNC,
				   "%s/%s", child, de->d_name);
		if (out < 0) {
			free(copy);
			r = out;
			break;
		}
		if (copy) {
			if (dprintf(out, "%s\n", copy) < 0)
				r = -EIO;
		} else if (*value && write(out, value, strlen(value)) < 0) {
			r = -errno;
		}
		close(out);
		free(copy);
	}
	closedir(d);
	return r;
}

static int sysroot_empty_dir(struct rtvm_ctx *ctx, enum rtvm_fs fs,
			     const char *rel);

/* The v2 root has none of the files a child of it gets, such as
 * cgroup.type and, where the root enables cpuset, cpuset.cpus and the
 * partition: make those a fresh v2 child has. */
static int sysroot_fill_v2(struct rtvm_ctx *ctx, enum rtvm_fs fs,
			   const char *rel)
{
	static const char *const always[] = { "cgroup.type", "cgroup.procs",
					      "cgroup.threads" };
	static const char *const cpuset[] = { "cpuset.cpus", "cpuset.mems",
					      "cpuset.cpus.partition" };
	char *parent, buf[1024];
	int r = 0, fd;
	bool has_cpuset;

	parent = strdup(rel);
	if (!parent)
		return -ENOMEM;
	*strrchr(parent, '/') = '\0';
	has_cpuset = rtvm_fs_read(ctx, fs, buf, sizeof(buf),
				  "%s/cgroup.subtree_control", parent) >= 0 &&
		     strstr(buf, "cpuset");
	for (size_t i = 0; r == 0 && i < ARRAY_SIZE(always) + ARRAY_SIZE(cpuset);
	     i++) {
		const char *name = i < ARRAY_SIZE(always) ?
					   always[i] :
					   cpuset[i - ARRAY_SIZE(always)];
		const char *value = new_cgroup_value(name);

		if (i >= ARRAY_SIZE(always) && !has_cpuset)
			break;
		fd = rtvm_fs_open(ctx, fs, O_WRONLY | O_CREAT | O_EXCL, "%s/%s",
				  rel, name);
		if (fd == -EEXIST)
			continue;
		if (fd < 0) {
			r = fd;
			break;
		}
		if (*value && write(fd, value, strlen(value)) < 0)
			r = -errno;
		close(fd);
	}
	if (r == 0 && has_cpuset &&
	    rtvm_fs_read(ctx, fs, buf, sizeof(buf), "%s/cpuset.cpus.effective",
			 parent) >= 0) {
		fd = rtvm_fs_open(ctx, fs, O_WRONLY | O_CREAT | O_TRUNC,
				  "%s/cpuset.cpus.effective", rel);
		if (fd < 0)
			r = fd;
		else {
			if (dprintf(fd, "%s\n", buf) < 0)
				r = -EIO;
			close(fd);
		}
	}
	free(parent);
	return r;
}

int rtvm_cgroup_mkdir(struct rtvm_ctx *ctx, const char *controller,
		      const char *path)
{
	char *rel, *parent;
	enum rtvm_fs fs;
	int r;

	r = rtvm_cgroup_dir(ctx, controller, path, &fs, &rel);
	if (r < 0)
		return r;
	r = rtvm_fs_mkdir(ctx, fs, 0755, "%s", rel);
	if (r == 0 && rtvm_fs_root_fd(ctx) >= 0) {
		parent = strdup(rel);
		if (!parent)
			r = -ENOMEM;
		else {
			*strrchr(parent, '/') = '\0';
			r = sysroot_fill(ctx, fs, parent, rel);
			free(parent);
		}
		if (r == 0 && !*controller)
			r = sysroot_fill_v2(ctx, fs, rel);
		if (r < 0) {
			sysroot_empty_dir(ctx, fs, rel);
			rtvm_fs_rmdir(ctx, fs, "%s", rel);
		}
	}
	free(rel);
	return r;
}

/* Whether a v2 cgroup is a partition root (the root cgroup is one). */
static bool v2_partition_root(struct rtvm_ctx *ctx, enum rtvm_fs fs,
			      const char *rel)
{
	char buf[256];
	int r;

	r = rtvm_fs_read(ctx, fs, buf, sizeof(buf), "%s/cpuset.cpus.partition",
			 rel);
	if (r == -ENOENT)
		return true;
	rtvm_strip(buf);
	return r >= 0 && (strcmp(buf, "root") == 0 ||
			  strcmp(buf, "isolated") == 0);
}

int rtvm_cgroup_write(struct rtvm_ctx *ctx, const char *controller,
		      const char *path, const char *file, const char *value)
{
	char *rel, *parent = NULL, *verdict = NULL, type[64];
	enum rtvm_fs fs;
	int r;

	r = rtvm_cgroup_dir(ctx, controller, path, &fs, &rel);
	if (r < 0)
		return r;
	/* A sysroot cannot judge partitions as the kernel does; it applies
	 * the rule that matters most: a partition's parent must be one. */
	if (rtvm_fs_root_fd(ctx) >= 0 && !*controller &&
	    strcmp(file, "cpuset.cpus.partition") == 0 &&
	    strcmp(value, "member") != 0 && (parent = strdup(rel))) {
		*strrchr(parent, '/') = '\0';
		if (!v2_partition_root(ctx, fs, parent) &&
		    asprintf(&verdict, "%s invalid (Parent is not a partition "
				       "root)",
			     value) < 0)
			r = -ENOMEM;
		free(parent);
	}
	if (r == 0)
		r = rtvm_fs_write(ctx, fs, verdict ? verdict : value, "%s/%s",
				  rel, file);
	/* The sysroot keeps no v2 effective CPUs up to date, except for a
	 * threaded cgroup's own list: its threads move in next and take
	 * their affinity from it (a vCPU cgroup is made and filled at once,
	 * never narrowed and restored). */
	if (r == 0 && rtvm_fs_root_fd(ctx) >= 0 && !*controller &&
	    strcmp(file, "cpuset.cpus") == 0 && *value &&
	    rtvm_fs_read(ctx, fs, type, sizeof(type), "%s/cgroup.type",
			 rel) >= 0 &&
	    strcmp(rtvm_strip(type), "threaded") == 0)
		r = rtvm_fs_write(ctx, fs, value, "%s/cpuset.cpus.effective",
				  rel);
	free(verdict);
	free(rel);
	return r;
}

/* The process of a thread in a sysroot, whose /proc has only leaders at
 * the top. */
static pid_t sysroot_find_pid(struct rtvm_ctx *ctx, pid_t tid)
{
	struct dirent *de;
	pid_t pid = 0;
	DIR *d;
	int fd;

	fd = rtvm_fs_open_dir(ctx, RTVM_FS_PROC, ".");
	if (fd < 0)
		return 0;
	d = fdopendir(fd);
	if (!d) {
		close(fd);
		return 0;
	}
	while (!pid && (de = readdir(d))) {
		char rel[300];
		struct stat st;
		pid_t p;

		if (!rtvm_parse_pid(de->d_name, &p))
			continue;
		snprintf(rel, sizeof(rel), "%s/task/%d", de->d_name, tid);
		if (fstatat(dirfd(d), rel, &st, AT_SYMLINK_NOFOLLOW) == 0)
			pid = p;
	}
	closedir(d);
	return pid;
}

/* Move every thread still in a cgroup to its parent (v1: "tasks"; v2:
 * processes).  Threads that exit meanwhile are fine. */
static int sweep(struct rtvm_ctx *ctx, const char *controller,
		 const char *path, enum rtvm_fs fs, const char *rel)
{
	char *text = NULL, *parent, *save = NULL;
	int r, first = 0;

	r = rtvm_fs_read_alloc(ctx, fs, &text, "%s/%s", rel,
			       *controller ? "tasks" : "cgroup.procs");
	if (r == -ENOENT)
		return 0;
	if (r < 0)
		return r;
	parent = strdup(path);
	if (!parent) {
		free(text);
		return -ENOMEM;
	}
	*strrchr(parent, '/') = '\0';
	for (char *tok = strtok_r(text, "\n", &save); tok;
	     tok = strtok_r(NULL, "\n", &save)) {
		struct rtvm_tid t;
		int id;

		if (rtvm_parse_int(tok, &id) < 0 || id <= 0)
			continue;
		/* The kernel finds the thread by its id alone; a sysroot
		 * needs the process too. */
		t = (struct rtvm_tid){ id, id };
		if (*controller && rtvm_fs_root_fd(ctx) >= 0)
			t.pid = sysroot_find_pid(ctx, id);
		r = t.pid ? rtvm_sys_cgroup_attach(ctx, t, controller,
						   *parent ? parent : "/") :
			    -ESRCH;
		if (r < 0 && r != -ESRCH && !first)
			first = r;
	}
	free(parent);
	free(text);
	return first;
}

/* A sysroot's cgroup directory holds plain files: remove them first. */
static int sysroot_empty_dir(struct rtvm_ctx *ctx, enum rtvm_fs fs,
			     const char *rel)
{
	struct dirent *de;
	DIR *d;
	int fd;

	fd = rtvm_fs_open_dir(ctx, fs, "%s", rel);
	if (fd < 0)
		return fd;
	d = fdopendir(fd);
	if (!d) {
		close(fd);
		return -errno;
	}
	while ((de = readdir(d)))
		if (de->d_name[0] != '.')
			unlinkat(dirfd(d), de->d_name, 0);
	closedir(d);
	return 0;
}

int rtvm_cgroup_remove(struct rtvm_ctx *ctx, const char *cgroup)
{
	const char *path;
	char *controller, *rel = NULL;
	enum rtvm_fs fs;
	int r;

	r = rtvm_cgroup_split(cgroup, &controller, &path);
	if (r < 0)
		return r;
	if (strcmp(path, "/") == 0) {
		r = -EINVAL;
		goto out;
	}
	r = rtvm_cgroup_dir(ctx, controller, path, &fs, &rel);
	if (r < 0)
		goto out;
	r = sweep(ctx, controller, path, fs, rel);
	if (r < 0)
		goto out;
	if (rtvm_fs_root_fd(ctx) >= 0) {
		r = sysroot_empty_dir(ctx, fs, rel);
		if (r < 0)
			goto out;
	}
	r = rtvm_fs_rmdir(ctx, fs, "%s", rel);
out:
	free(rel);
	free(controller);
	return r == -ENOENT ? 0 : r;
}
