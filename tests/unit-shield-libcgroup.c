/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Unit tier: shields through the real host's cgroup backend, libcgroup
 * included, on fixture sysroots.  libcgroup reads the mount table and
 * writes tasks files by absolute paths; tests/shim/path-trap.so, preloaded
 * by re-executing this program, sends those paths into the fixture named
 * by RTVM_PATH_TRAP.
 *
 * The context is a sysroot's, with the kernel's cgroup_attach: libcgroup
 * writes a tid into the fixture's tasks file (checked here, each time),
 * and then the sysroot simulation does what the kernel would do besides
 * (the /proc views, the old cgroup's tasks file), so that the shield's
 * re-scans see the move.
 */
#include "config.h"

#include <dirent.h>
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <link.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <syslog.h>
#include <unistd.h>

#include "librtvm-private.h"
#include "testutil.h"

#define CS "sys/fs/cgroup/cpuset"
#define G "sys/fs/cgroup"
#define TRAP_ENV "RTVM_PATH_TRAP"

static char log_last[1024];

static void log_capture(struct rtvm_ctx *ctx, int priority, const char *file,
			int line, const char *fn, const char *format,
			va_list args)
{
	if (priority <= LOG_ERR)
		vsnprintf(log_last, sizeof(log_last), format, args);
}

/* ---- files -------------------------------------------------------------- */

/* A file's content, or NULL when it does not exist. */
static char *slurp(const char *path)
{
	char *buf = NULL, chunk[4096];
	size_t size = 0, n;
	FILE *in = fopen(path, "re"), *out;

	if (!in) {
		ck_assert_msg(errno == ENOENT, "%s: %s", path, strerror(errno));
		return NULL;
	}
	out = open_memstream(&buf, &size);
	ck_assert_ptr_nonnull(out);
	while ((n = fread(chunk, 1, sizeof(chunk), in)) > 0)
		fwrite(chunk, 1, n, out);
	fclose(in);
	fclose(out);
	return buf;
}

static void put_back(const char *path, const char *content)
{
	FILE *f;

	if (!content) {
		ck_assert_msg(unlink(path) == 0 || errno == ENOENT, "%s", path);
		return;
	}
	f = fopen(path, "we");
	ck_assert_msg(f != NULL, "%s: %s", path, strerror(errno));
	fputs(content, f);
	ck_assert_int_eq(fclose(f), 0);
}

/* Whether two files hold the same text, final newlines aside. */
static bool same_text(const char *a, const char *b)
{
	char *x = slurp(a), *y = slurp(b);
	size_t nx = x ? strlen(x) : 0, ny = y ? strlen(y) : 0;
	bool same;

	while (nx && x[nx - 1] == '\n')
		nx--;
	while (ny && y[ny - 1] == '\n')
		ny--;
	same = x && y && nx == ny && memcmp(x, y, nx) == 0;
	free(x);
	free(y);
	return same;
}

/* Every regular file under @a is under @b with the same text. */
static void tree_within(const char *a, const char *b)
{
	struct dirent *de;
	DIR *d = opendir(a);

	ck_assert_msg(d != NULL, "%s is missing", a);
	while ((de = readdir(d))) {
		char pa[2048], pb[2048];
		struct stat st;

		if (strcmp(de->d_name, ".") == 0 ||
		    strcmp(de->d_name, "..") == 0 ||
		    strcmp(de->d_name, "rtvm-syscalls.log") == 0)
			continue;
		snprintf(pa, sizeof(pa), "%s/%s", a, de->d_name);
		snprintf(pb, sizeof(pb), "%s/%s", b, de->d_name);
		ck_assert_int_eq(lstat(pa, &st), 0);
		if (S_ISDIR(st.st_mode))
			tree_within(pa, pb);
		else if (S_ISREG(st.st_mode))
			ck_assert_msg(same_text(pa, pb), "%s differs", pb);
	}
	closedir(d);
}

static void snapshot(struct rtvm_ctx *ctx)
{
	free(tu_run_cmd("rm -rf '%s.before' && cp -a '%s' '%s.before'",
			rtvm_get_root(ctx), rtvm_get_root(ctx),
			rtvm_get_root(ctx)));
}

static void expect_unchanged(struct rtvm_ctx *ctx)
{
	char before[1024];

	snprintf(before, sizeof(before), "%s.before", rtvm_get_root(ctx));
	tree_within(before, rtvm_get_root(ctx));
	tree_within(rtvm_get_root(ctx), before);
	free(tu_run_cmd("rm -rf '%s'", before));
}

static void expect_file(struct rtvm_ctx *ctx, const char *rel,
			const char *want)
{
	char *s = tu_read(ctx, rel);
	size_t n = strlen(s);

	if (n && s[n - 1] == '\n')
		s[n - 1] = '\0';
	ck_assert_msg(strcmp(s, want) == 0, "%s: \"%s\", want \"%s\"", rel, s,
		      want);
	free(s);
}

/* A file of the fixture by its full path (one at a time). */
static const char *fx(struct rtvm_ctx *ctx, const char *rel)
{
	static char path[2048];

	snprintf(path, sizeof(path), "%s/%s", rtvm_get_root(ctx), rel);
	return path;
}

/* ---- the real host, never written ------------------------------------- */

/* Whether a real path exists, asked of the kernel directly: the shim
 * would send a libc call into the fixture. */
static bool real_exists(const char *path)
{
	return syscall(SYS_faccessat, AT_FDCWD, path, F_OK) == 0;
}

static char *real_cgroup_of_init, *real_cgroup_of_self;

/* Fixture thread 1 is the host's pid 1 too: had libcgroup escaped the
 * fixture, the host's init would have moved. */
static void real_host_before(void)
{
	real_cgroup_of_init = slurp("/proc/1/cgroup");
	real_cgroup_of_self = slurp("/proc/self/cgroup");
}

static void expect_real_host_untouched(void)
{
	static const char *const made[] = {
		"/sys/fs/cgroup/cpuset/rtvm-rt",
		"/sys/fs/cgroup/cpuset/rtvm-housekeeping",
		"/sys/fs/cgroup/cpuset/nonexistent",
		"/sys/fs/cgroup/rtvm-rt",
		"/sys/fs/cgroup/unified/rtvm-rt",
	};
	char *init = slurp("/proc/1/cgroup"), *self = slurp("/proc/self/cgroup");

	for (size_t i = 0; i < ARRAY_SIZE(made); i++)
		ck_assert_msg(!real_exists(made[i]), "the real %s exists",
			      made[i]);
	if (real_cgroup_of_init && init)
		ck_assert_str_eq(init, real_cgroup_of_init);
	ck_assert_ptr_nonnull(self);
	ck_assert_str_eq(self, real_cgroup_of_self);
	free(init);
	free(self);
	free(real_cgroup_of_init);
	free(real_cgroup_of_self);
}

/* ---- libcgroup as the cgroup_attach operation ------------------------- */

/* What libcgroup (or the v2 backend) wrote, attach by attach. */
static struct {
	char file[256]; /* relative to the sysroot */
	pid_t id;
} writes[64];
static unsigned int nr_writes;

static int kernel_attach(struct rtvm_ctx *ctx, struct rtvm_tid t,
			 const char *controller, const char *path)
{
	/* v1: a thread; v2: a process, or a thread apart from its main one
	 * (within a threaded subtree). */
	const char *name = *controller	     ? "tasks" :
			   t.tid != t.pid ? "cgroup.threads" :
					    "cgroup.procs";
	pid_t id = *controller || t.tid != t.pid ? t.tid : t.pid;
	char file[2048], *saved, *got, *end;
	enum rtvm_fs fs;
	char *rel;
	int r;

	r = rtvm_cgroup_dir(ctx, controller, path, &fs, &rel);
	if (r < 0)
		return r;
	ck_assert_int_eq(fs, RTVM_FS_SYS);
	snprintf(file, sizeof(file), "%s/sys/%s/%s", rtvm_get_root(ctx), rel,
		 name);
	saved = slurp(file);
	r = rtvm_kernel_cgroup_attach(ctx, t, controller, path);
	if (r == 0) {
		/* A plain file keeps only the last write: the id alone. */
		got = slurp(file);
		ck_assert_msg(got != NULL, "%s was not written", file);
		ck_assert_msg(strtol(got, &end, 10) == id &&
				      (!*end || strcmp(end, "\n") == 0),
			      "%s: \"%s\", want %d", file, got, (int)id);
		free(got);
		ck_assert_uint_lt(nr_writes, ARRAY_SIZE(writes));
		snprintf(writes[nr_writes].file, sizeof(writes[0].file),
			 "sys/%s/%s", rel, name);
		writes[nr_writes++].id = id;
	}
	free(rel);
	/* The kernel's file lists every member: the simulation keeps it. */
	put_back(file, saved);
	free(saved);
	return r < 0 ? r : rtvm_sysroot_cgroup_attach(ctx, t, controller, path);
}

static struct rtvm_sysops ops;

static bool wrote(const char *file, pid_t id)
{
	for (unsigned int i = 0; i < nr_writes; i++)
		if (writes[i].id == id && strcmp(writes[i].file, file) == 0)
			return true;
	return false;
}

/*
 * A fixture's context whose cgroup moves go through the real backend.
 * libcgroup reads /proc/cgroups and /proc/mounts, which the fixtures do
 * not have: they are made from the fixture's mountinfo.
 */
static struct rtvm_ctx *new_ctx(const char *fixture)
{
	struct rtvm_ctx *ctx = tu_ctx(fixture);
	bool v1 = strcmp(fixture, "v2host") != 0;
	char *out;

	rtvm_set_log_fn(ctx, log_capture);
	log_last[0] = '\0';
	out = tu_run_cmd("cd '%s' && awk '{ for (i = 7; $i != \"-\"; i++) ; "
			 "print $(i + 2), $5, $(i + 1), $6 \",\" $(i + 3), "
			 "0, 0 }' proc/self/mountinfo >proc/mounts && "
			 "ln -sf ../mounts proc/self/mounts",
			 rtvm_get_root(ctx));
	free(out);
	tu_write(ctx, "proc/cgroups",
		 v1 ? "#subsys_name\thierarchy\tnum_cgroups\tenabled\n"
		      "cpuset\t12\t3\t1\n"
		      "cpu\t11\t80\t1\n"
		      "cpuacct\t11\t80\t1\n"
		      "blkio\t10\t80\t1\n"
		      "memory\t9\t120\t1\n"
		      "devices\t8\t80\t1\n"
		      "freezer\t7\t2\t1\n"
		      "net_cls\t6\t1\t1\n"
		      "perf_event\t5\t1\t1\n"
		      "net_prio\t6\t1\t1\n"
		      "hugetlb\t4\t1\t1\n"
		      "pids\t3\t90\t1\n"
		      "rdma\t2\t1\t1\n"
		      "misc\t1\t1\t1\n" :
		      "#subsys_name\thierarchy\tnum_cgroups\tenabled\n"
		      "cpuset\t0\t60\t1\n"
		      "cpu\t0\t60\t1\n"
		      "io\t0\t60\t1\n"
		      "memory\t0\t60\t1\n"
		      "pids\t0\t60\t1\n");
	/* systemd's hierarchy of a hybrid host has no controllers: the
	 * kernel shows an empty file (libcgroup 2.0.2 crashes on a lone
	 * newline there). */
	if (v1)
		tu_write(ctx, G "/unified/cgroup.controllers", "");
	ck_assert_int_eq(setenv(TRAP_ENV, rtvm_get_root(ctx), 1), 0);
	ops = rtvm_sysops_sysroot;
	ops.name = "libcgroup";
	ops.cgroup_attach = kernel_attach;
	rtvm_ctx_set_sysops(ctx, &ops);
	nr_writes = 0;
	real_host_before();
	return ctx;
}

static struct rtvm_cpumask *mask(struct rtvm_ctx *ctx, const char *list)
{
	struct rtvm_cpumask *m;

	ck_assert_int_eq(rtvm_cpumask_new(ctx, &m), 0);
	ck_assert_int_eq(rtvm_cpumask_parse_list(m, list, 0), 0);
	return m;
}

static int count_kind(const struct rtvm_shield_report *rep, int kind)
{
	return (int)rtvm_shield_report_get_count(rep, kind);
}

/* ---- cgroup v1 ---------------------------------------------------------- */

START_TEST(test_create_destroy_v1)
{
	struct rtvm_ctx *ctx = new_ctx("host64");
	struct rtvm_cpumask *rt = mask(ctx, "4-15,36-47");
	struct rtvm_shield_report *rep = NULL;
	const struct rtvm_shield_item *it;
	struct rtvm_changeset *cs;
	unsigned int moved = 0;
	char *s;

	snapshot(ctx);
	ck_assert_int_eq(rtvm_changeset_new(ctx, &cs), 0);
	ck_assert_int_eq(rtvm_shield_create(ctx, rt, NULL, NULL, 0, cs, &rep),
			 0);
	/* as with the simulated backend: each mover moved once */
	ck_assert_int_eq(count_kind(rep, RTVM_SHIELD_MOVED), 6);
	ck_assert_int_eq(count_kind(rep, RTVM_SHIELD_NOT_MOVED), 0);
	ck_assert_uint_eq(nr_writes, 6);
	rtvm_shield_report_foreach(it, rep) {
		if (rtvm_shield_item_get_kind(it) != RTVM_SHIELD_MOVED)
			continue;
		ck_assert_msg(wrote(CS "/rtvm-housekeeping/tasks",
				    rtvm_shield_item_get_tid(it)),
			      "libcgroup did not write tid %d",
			      rtvm_shield_item_get_tid(it));
		moved++;
	}
	ck_assert_uint_eq(moved, 6);
	s = tu_read(ctx, "proc/1/cgroup");
	ck_assert_msg(strstr(s, "13:cpuset:/rtvm-housekeeping\n"), "%s", s);
	free(s);
	s = tu_read(ctx, CS "/rtvm-housekeeping/tasks");
	ck_assert_msg(strncmp(s, "1\n", 2) == 0, "%s", s);
	free(s);
	expect_real_host_untouched();

	/* undo moves them back into the root cpuset, by libcgroup again */
	real_host_before();
	ck_assert_int_eq(rtvm_shield_destroy(ctx, NULL, cs, 0), 0);
	ck_assert_uint_eq(nr_writes, 12);
	ck_assert(wrote(CS "/tasks", 1));
	expect_unchanged(ctx);
	expect_real_host_untouched();
	rtvm_shield_report_free(rep);
	rtvm_changeset_unref(cs);
	rtvm_cpumask_free(rt);
	rtvm_unref(ctx);
}
END_TEST

START_TEST(test_add_threads_per_vcpu_v1)
{
	struct rtvm_ctx *ctx = new_ctx("host64");
	struct rtvm_cpumask *rt = mask(ctx, "4-15");
	struct rtvm_changeset *cs;
	pid_t vcpus[2] = { 4250, 4251 };
	char *s;

	snapshot(ctx);
	ck_assert_int_eq(rtvm_changeset_new(ctx, &cs), 0);
	ck_assert_int_eq(rtvm_shield_create(ctx, rt, NULL, NULL, 0, cs, NULL),
			 0);
	nr_writes = 0;
	ck_assert_int_eq(rtvm_shield_add_threads(ctx, NULL, vcpus, 2,
						 RTVM_SHIELD_PER_VCPU, cs),
			 0);
	ck_assert_uint_eq(nr_writes, 2);
	ck_assert(wrote(CS "/rtvm-rt/vcpu0/tasks", 4250));
	ck_assert(wrote(CS "/rtvm-rt/vcpu1/tasks", 4251));
	expect_file(ctx, CS "/rtvm-rt/vcpu1/tasks", "4251");
	s = tu_read(ctx, "proc/4242/task/4251/cgroup");
	ck_assert_msg(strstr(s, "13:cpuset:/rtvm-rt/vcpu1\n"), "%s", s);
	free(s);
	ck_assert_int_eq(rtvm_shield_destroy(ctx, NULL, cs, 0), 0);
	expect_unchanged(ctx);
	expect_real_host_untouched();
	rtvm_changeset_unref(cs);
	rtvm_cpumask_free(rt);
	rtvm_unref(ctx);
}
END_TEST

/* libcgroup's answers reach the caller as errnos, and it creates nothing
 * where no cgroup is. */
START_TEST(test_libcgroup_errors_v1)
{
	struct rtvm_ctx *ctx = new_ctx("host64");
	struct rtvm_tid init = { 1, 1 };

	ck_assert_int_eq(rtvm_kernel_cgroup_attach(ctx, init, "cpuset",
						   "/nonexistent"),
			 -ENOENT);
	ck_assert(access(fx(ctx, CS "/nonexistent"), F_OK) != 0);
	/* a controller no hierarchy has */
	ck_assert_int_lt(rtvm_kernel_cgroup_attach(ctx, init, "nosuch", "/"),
			 0);
	ck_assert_uint_eq(nr_writes, 0);
	expect_real_host_untouched();
	rtvm_unref(ctx);
}
END_TEST

/* ---- cgroup v2 ---------------------------------------------------------- */

/*
 * On v2 the backend writes cgroup.procs itself (libcgroup 2.0 does not in
 * a tree without controllers): the same operation, checked the same way.
 * A single-threaded process (the fixture's init, so that an escape from
 * the fixture would show on the host's): a v2 move takes the whole
 * process, and the record of a multi-threaded one names only the thread
 * asked for.
 */
START_TEST(test_create_add_destroy_v2)
{
	struct rtvm_ctx *ctx = new_ctx("v2host");
	struct rtvm_cpumask *rt = mask(ctx, "2-3");
	struct rtvm_changeset *cs;
	pid_t init = 1;
	char *s;
	int r;

	snapshot(ctx);
	ck_assert_int_eq(rtvm_changeset_new(ctx, &cs), 0);
	ck_assert_int_eq(rtvm_shield_create(ctx, rt, NULL, NULL, 0, cs, NULL),
			 0);
	expect_file(ctx, G "/rtvm-rt/cpuset.cpus.partition", "isolated");
	ck_assert_int_eq(rtvm_shield_add_threads(ctx, NULL, &init, 1, 0, cs),
			 0);
	ck_assert_uint_eq(nr_writes, 1);
	ck_assert(wrote(G "/rtvm-rt/cgroup.procs", 1));
	s = tu_read(ctx, "proc/1/cgroup");
	ck_assert_msg(strcmp(s, "0::/rtvm-rt\n") == 0, "%s", s);
	free(s);
	r = rtvm_shield_destroy(ctx, NULL, cs, 0);
	ck_assert_msg(r == 0, "%s: %s", strerror(-r), log_last);
	ck_assert_uint_eq(nr_writes, 2);
	ck_assert(wrote(G "/init.scope/cgroup.procs", 1));
	ck_assert(access(fx(ctx, G "/rtvm-rt"), F_OK) != 0);
	expect_unchanged(ctx);
	expect_real_host_untouched();
	rtvm_changeset_unref(cs);
	rtvm_cpumask_free(rt);
	rtvm_unref(ctx);
}
END_TEST

/* v2, one threaded cgroup per vCPU: the process through cgroup.procs, each
 * vCPU thread through its cgroup's cgroup.threads. */
START_TEST(test_add_threads_per_vcpu_v2)
{
	struct rtvm_ctx *ctx = new_ctx("v2host");
	struct rtvm_cpumask *rt = mask(ctx, "2-3");
	struct rtvm_changeset *cs;
	pid_t vcpus[2] = { 790, 791 };

	snapshot(ctx);
	ck_assert_int_eq(rtvm_changeset_new(ctx, &cs), 0);
	ck_assert_int_eq(rtvm_shield_create(ctx, rt, NULL, NULL, 0, cs, NULL),
			 0);
	ck_assert_int_eq(rtvm_shield_add_threads(ctx, NULL, vcpus, 2,
						 RTVM_SHIELD_PER_VCPU, cs),
			 0);
	ck_assert_uint_eq(nr_writes, 3);
	ck_assert(wrote(G "/rtvm-rt/cgroup.procs", 777));
	ck_assert(wrote(G "/rtvm-rt/vcpu0/cgroup.threads", 790));
	ck_assert(wrote(G "/rtvm-rt/vcpu1/cgroup.threads", 791));
	ck_assert_int_eq(rtvm_shield_destroy(ctx, NULL, cs, 0), 0);
	/* back: each thread to rtvm-rt, the process to libvirt's emulator,
	 * each vCPU thread to libvirt's vcpuN */
	ck_assert(wrote(G "/rtvm-rt/cgroup.threads", 790));
	ck_assert(wrote(G "/machine.slice/machine-qemu\\x2d1\\x2dvm1.scope"
			  "/libvirt/emulator/cgroup.procs", 777));
	ck_assert(wrote(G "/machine.slice/machine-qemu\\x2d1\\x2dvm1.scope"
			  "/libvirt/vcpu1/cgroup.threads", 791));
	ck_assert_uint_eq(nr_writes, 8);
	expect_unchanged(ctx);
	expect_real_host_untouched();
	rtvm_changeset_unref(cs);
	rtvm_cpumask_free(rt);
	rtvm_unref(ctx);
}
END_TEST

/* ---- the shim itself ---------------------------------------------------- */

START_TEST(test_trap)
{
	struct rtvm_ctx *ctx = new_ctx("host64");
	char buf[4096], *p;
	struct stat st, in_fixture;
	FILE *f;

	/* redirected: the fixture's file, named as the host's */
	ck_assert_int_eq(stat("/sys/fs/cgroup/cpuset/cpuset.cpus", &st), 0);
	ck_assert_int_eq(stat(fx(ctx, CS "/cpuset.cpus"), &in_fixture), 0);
	ck_assert(st.st_ino == in_fixture.st_ino);
	p = realpath("/sys/fs/cgroup/cpuset/../cpuset/tasks", buf);
	ck_assert_ptr_nonnull(p);
	ck_assert_str_eq(p, "/sys/fs/cgroup/cpuset/tasks");
	f = fopen("/proc/mounts", "re");
	ck_assert_ptr_nonnull(f);
	ck_assert_ptr_nonnull(fgets(buf, sizeof(buf), f));
	fclose(f);
	ck_assert_msg(strncmp(buf, "sysfs /sys sysfs", 16) == 0, "%s", buf);

	/* no fixture: every cgroup path refused */
	ck_assert_int_eq(unsetenv(TRAP_ENV), 0);
	errno = 0;
	ck_assert_ptr_null(fopen("/sys/fs/cgroup/cpuset/tasks", "we"));
	ck_assert_int_eq(errno, EACCES);
	ck_assert_int_eq(open("/sys/fs/cgroup/cpuset/tasks", O_WRONLY), -1);
	ck_assert_int_eq(errno, EACCES);
	ck_assert_int_eq(openat(AT_FDCWD, "/sys/fs/cgroup", O_RDONLY), -1);
	ck_assert_int_eq(errno, EACCES);
	ck_assert_int_eq(mkdir("/sys/fs/cgroup/cpuset/rtvm-rt", 0755), -1);
	ck_assert_int_eq(errno, EACCES);
	ck_assert_int_eq(rmdir("/sys/fs/cgroup/cpuset/rtvm-rt"), -1);
	ck_assert_int_eq(errno, EACCES);
	ck_assert_int_eq(stat("/sys/fs/cgroup", &st), -1);
	ck_assert_int_eq(errno, EACCES);
	ck_assert_int_eq(access("/sys/fs/cgroup/cpuset", F_OK), -1);
	ck_assert_int_eq(errno, EACCES);
	ck_assert_ptr_null(opendir("/sys/fs/cgroup"));
	ck_assert_int_eq(errno, EACCES);
	/* what is not the hierarchy passes */
	ck_assert_int_eq(stat("/sys/fs/cgroupx", &st) == 0 || errno == ENOENT,
			 1);
	expect_real_host_untouched();
	rtvm_unref(ctx);
}
END_TEST

/* ---- loading the shim ------------------------------------------------- */

static int find_asan(struct dl_phdr_info *info, size_t size, void *data)
{
	const char **ret = data;

	if (info->dlpi_name && strstr(info->dlpi_name, "libasan")) {
		*ret = info->dlpi_name;
		return 1;
	}
	return 0;
}

/*
 * Run again with the shim preloaded, unless it is loaded already (as
 * make check-valgrind does it).  An ASan runtime must stay first in the
 * list of preloaded objects; its interceptors then call the shim's
 * functions, which call libc's.
 */
static void load_shim(char **argv)
{
	const char *asan = NULL, *old = getenv("LD_PRELOAD");
	char *list;

	if (dlsym(RTLD_DEFAULT, "rtvm_path_trap_loaded"))
		return;
	if (getenv("RTVM_PATH_TRAP_REEXEC")) {
		fprintf(stderr, "%s is not loaded after re-executing\n",
			PATH_TRAP_SO);
		exit(EXIT_FAILURE);
	}
	if (access(PATH_TRAP_SO, R_OK) != 0) {
		fprintf(stderr, "%s: %s\n", PATH_TRAP_SO, strerror(errno));
		exit(EXIT_FAILURE);
	}
	dl_iterate_phdr(find_asan, &asan);
	if (asprintf(&list, "%s%s%s%s%s", asan ? asan : "", asan ? ":" : "",
		     PATH_TRAP_SO, old && *old ? ":" : "", old ? old : "") < 0)
		exit(EXIT_FAILURE);
	setenv("LD_PRELOAD", list, 1);
	setenv("RTVM_PATH_TRAP_REEXEC", "1", 1);
	free(list);
	execv("/proc/self/exe", argv);
	fprintf(stderr, "cannot re-execute %s: %s\n", argv[0], strerror(errno));
	exit(EXIT_FAILURE);
}

int main(int argc, char **argv)
{
	Suite *s;
	TCase *tc;

	(void)argc;
	load_shim(argv);
	/* Until a test names its fixture, the real hierarchy is refused. */
	unsetenv(TRAP_ENV);
	s = suite_create("shield-libcgroup");
	tc = tcase_create("shield-libcgroup");
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_create_destroy_v1);
	tcase_add_test(tc, test_add_threads_per_vcpu_v1);
	tcase_add_test(tc, test_libcgroup_errors_v1);
	tcase_add_test(tc, test_create_add_destroy_v2);
	tcase_add_test(tc, test_add_threads_per_vcpu_v2);
	tcase_add_test(tc, test_trap);
	suite_add_tcase(s, tc);
	return tu_run(s);
}
