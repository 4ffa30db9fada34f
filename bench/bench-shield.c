/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * bench-shield: make and remove a CPU shield for N sleeping processes
 * (or P processes of T threads each), librtvm vs cset vs tuna, side by
 * side in one run:
 *
 *   librtvm  rtvm_shield_create(RT = last CPU, scope = a test-owned cpuset
 *            /rtvm-bench-shield-ID holding the N processes) with a
 *            changeset, then rtvm_shield_destroy() with that changeset
 *   cset     `cset shield --cpu RT --kthread on`, then `cset shield
 *            --reset`, each started with posix_spawn and waited for
 *   tuna     `tuna --cpus RT --isolate` (affinity of every thread it sees,
 *            and of every IRQ), then `tuna --cpus RT --include`
 *   floor    the bare system calls of the same shield in the same scope
 *            (run_floor)
 *
 * cset cannot be scoped: it always makes /system and /user at the cpuset
 * root and moves every task of the root cpuset that it can see.  So it
 * only runs when this program is PID 1 of a private PID namespace
 * (bench/run-bench.sh does that): a cgroup's tasks file lists only the
 * tasks of the reader's PID namespace, and a task id written to it is
 * looked up there too, so cset sees and moves only this benchmark's own
 * processes, never a kernel thread or a process of the host.  That is
 * checked before cset first runs (the root cpuset's tasks file must list
 * nothing but tasks of this namespace, and no kernel thread), and
 * /system and /user must not exist beforehand.  After every reset they
 * must be gone; rmdir of a cpuset that still held any task, seen or not,
 * would fail, so their removal also shows that no host task was in them.
 *
 * tuna has no cgroups, but it also rewrites the affinity of every IRQ of
 * the host, which no namespace confines.  So tuna, too, runs only as PID
 * 1 of a private PID namespace, and every /proc/irq/N/smp_affinity_list
 * and /proc/irq/default_smp_affinity is read before each tuna run and
 * whatever differs is written back after it (untimed), at the end, and
 * from the handler of SIGINT/SIGTERM/SIGHUP.
 *
 * cset's exclusive /system and /user cannot coexist with a sibling cpuset
 * that overlaps them, so the librtvm scope exists only during librtvm's
 * runs: each librtvm run makes it, moves the N processes in, times create
 * and destroy, moves them back to the root cpuset and removes it
 * (untimed).  Every step is checked from /proc (cpuset and affinity of
 * every process), untimed.
 *
 * The program prints figures -- median, p99, max and ratios -- and never
 * passes or fails on time: the exit status is 0 when the measurements ran,
 * 1 on a setup error, 2 on bad usage.
 *
 * Safety: the processes are this program's children, they sleep, and they
 * die with it (PR_SET_PDEATHSIG).  Every cpuset it (or cset) made is
 * removed at the end, on errors and on SIGINT/SIGTERM/SIGHUP too, after
 * its tasks are moved back to the root cpuset.
 */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <rtvm/rtvm.h>

#include "bench-util.h"

#define CPUSET_ROOT "/sys/fs/cgroup/cpuset"
#define PF_KTHREAD 0x00200000u
#define MAX_SIZES 8
#define MAX_IRQ_SNAP 2048

enum {
	S_RTVM_CREATE, S_RTVM_DESTROY, S_RTVM_TOTAL,
	S_CSET_CREATE, S_CSET_RESET, S_CSET_TOTAL,
	S_TUNA_ISOLATE, S_TUNA_INCLUDE, S_TUNA_TOTAL,
	S_FLOOR_CREATE, S_FLOOR_DESTROY, S_FLOOR_TOTAL, NR_SERIES
};

/* One size: @procs processes of @threads threads each. */
struct size {
	long procs, threads;
};

struct series {
	const char *name;
	double *ms;
	unsigned int n;
	double median, p99, max;
};

static volatile sig_atomic_t stop;
static char scope_name[64];	/* "/rtvm-bench-shield-ID" */
static bool scope_made;
static bool cset_owned;	/* /system and /user are cset's, made by us */
static pid_t *kids;
static unsigned int nr_kids, kid_threads = 1;

/* The host's IRQ affinities before a tuna run. */
static struct {
	char path[64];
	char value[256];
} irq_snap[MAX_IRQ_SNAP];
static size_t nr_irq_snap;

/* A small file without its final newlines; open/read/close only, so
 * that the signal handler can use it. */
static int read_text(const char *path, char *buf, size_t size)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return -1;
	n = read(fd, buf, size - 1);
	close(fd);
	if (n < 0)
		return -1;
	while (n > 0 && buf[n - 1] == '\n')
		n--;
	buf[n] = '\0';
	return 0;
}

static int irq_snapshot(void)
{
	struct dirent *de;
	DIR *d = opendir("/proc/irq");

	if (!d)
		return -errno;
	nr_irq_snap = 0;
	while ((de = readdir(d)) && nr_irq_snap < MAX_IRQ_SNAP - 1) {
		if (de->d_name[0] < '0' || de->d_name[0] > '9')
			continue;
		snprintf(irq_snap[nr_irq_snap].path,
			 sizeof(irq_snap[0].path),
			 "/proc/irq/%.16s/smp_affinity_list", de->d_name);
		if (read_text(irq_snap[nr_irq_snap].path,
			      irq_snap[nr_irq_snap].value,
			      sizeof(irq_snap[0].value)) == 0)
			nr_irq_snap++;
	}
	closedir(d);
	snprintf(irq_snap[nr_irq_snap].path, sizeof(irq_snap[0].path),
		 "/proc/irq/default_smp_affinity");
	if (read_text(irq_snap[nr_irq_snap].path, irq_snap[nr_irq_snap].value,
		      sizeof(irq_snap[0].value)) == 0)
		nr_irq_snap++;
	return 0;
}

/*
 * Write back every IRQ affinity that differs from the snapshot; how many
 * were written, and in *@failed how many could not be.  open/read/write/
 * close only: also run from the signal handler.
 */
static unsigned int irq_put_back(unsigned int *failed)
{
	unsigned int n = 0, bad = 0;

	for (size_t i = 0; i < nr_irq_snap; i++) {
		char now[256];
		int fd;

		if (read_text(irq_snap[i].path, now, sizeof(now)) < 0 ||
		    strcmp(now, irq_snap[i].value) == 0)
			continue;
		fd = open(irq_snap[i].path, O_WRONLY | O_CLOEXEC);
		if (fd >= 0 && write(fd, irq_snap[i].value,
				     strlen(irq_snap[i].value)) > 0)
			n++;
		else
			bad++;
		if (fd >= 0)
			close(fd);
	}
	if (failed)
		*failed = bad;
	return n;
}

static void on_signal(int sig)
{
	(void)sig;
	irq_put_back(NULL);
	stop = 1;
}

/* ---- cpuset files ------------------------------------------------------ */

static void cs_path(char *buf, size_t size, const char *cg, const char *file)
{
	snprintf(buf, size, "%s%s%s%s", CPUSET_ROOT,
		 strcmp(cg, "/") == 0 ? "" : cg, file ? "/" : "", file ? file : "");
}

static int write_str(const char *path, const char *s)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC), r = 0;

	if (fd < 0)
		return -errno;
	if (write(fd, s, strlen(s)) < 0)
		r = -errno;
	close(fd);
	return r;
}

/* The whole of a small file, NUL-terminated; NULL with errno set. */
static char *read_all(const char *path)
{
	size_t size = 4096, len = 0;
	char *buf = malloc(size);
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0 || !buf) {
		int e = fd < 0 ? errno : ENOMEM;

		free(buf);
		if (fd >= 0)
			close(fd);
		errno = e;
		return NULL;
	}
	while ((n = read(fd, buf + len, size - len - 1)) > 0) {
		len += (size_t)n;
		if (len + 1 == size) {
			char *nb = realloc(buf, size * 2);

			if (!nb) {
				n = -1;
				errno = ENOMEM;
				break;
			}
			buf = nb;
			size *= 2;
		}
	}
	close(fd);
	if (n < 0) {
		free(buf);
		return NULL;
	}
	buf[len] = '\0';
	return buf;
}

static int read_line(const char *path, char *buf, size_t size)
{
	char *s = read_all(path);

	if (!s)
		return -errno;
	s[strcspn(s, "\n")] = '\0';
	snprintf(buf, size, "%s", s);
	free(s);
	return 0;
}

static bool cg_exists(const char *cg)
{
	char p[512];

	cs_path(p, sizeof(p), cg, NULL);
	return access(p, F_OK) == 0;
}

/* Move every task listed in @from's tasks file to @to; tasks that exit
 * meanwhile are fine. */
static int move_all(const char *from, const char *to)
{
	char p[512], *text, *save = NULL;
	int fd, first = 0;

	cs_path(p, sizeof(p), from, "tasks");
	text = read_all(p);
	if (!text)
		return errno == ENOENT ? 0 : -errno;
	cs_path(p, sizeof(p), to, "tasks");
	fd = open(p, O_WRONLY | O_CLOEXEC);
	if (fd < 0) {
		free(text);
		return -errno;
	}
	for (char *t = strtok_r(text, "\n", &save); t;
	     t = strtok_r(NULL, "\n", &save))
		if (write(fd, t, strlen(t)) < 0 && errno != ESRCH && !first)
			first = -errno;
	close(fd);
	free(text);
	return first;
}

/* Remove a cpuset and everything below it, deepest first, its tasks going
 * to the root cpuset first. */
static int remove_tree(const char *cg)
{
	char p[512], sub[512];
	struct dirent *de;
	int first = 0, r;
	DIR *d;

	cs_path(p, sizeof(p), cg, NULL);
	d = opendir(p);
	if (!d)
		return errno == ENOENT ? 0 : -errno;
	while ((de = readdir(d))) {
		if (de->d_type != DT_DIR || de->d_name[0] == '.')
			continue;
		snprintf(sub, sizeof(sub), "%s/%s", cg, de->d_name);
		r = remove_tree(sub);
		if (r < 0 && !first)
			first = r;
	}
	closedir(d);
	r = move_all(cg, "/");
	if (r < 0 && !first)
		first = r;
	if (rmdir(p) < 0 && errno != ENOENT) {
		r = -errno;
		fprintf(stderr, "bench-shield: cannot remove cpuset %s: %s%s\n",
			p, strerror(-r),
			r == -EBUSY ? " (it still holds tasks this namespace "
				      "cannot see)" :
				      "");
		if (!first)
			first = r;
	}
	return first;
}

/* Everything this run made goes away; safe to call more than once. */
static int cleanup(void)
{
	int r, first = 0;

	if (scope_made) {
		r = remove_tree(scope_name);
		if (r == 0)
			scope_made = false;
		first = r;
	}
	if (cset_owned) {
		/* What `cset shield --reset` does, if cset did not. */
		r = remove_tree("/user");
		if (r == 0)
			r = remove_tree("/system");
		if (r == 0)
			cset_owned = false;
		if (r < 0 && !first)
			first = r;
	}
	return first;
}

static void cleanup_at_exit(void)
{
	cleanup();
	irq_put_back(NULL);
}

/* ---- the sleeping processes --------------------------------------------- */

static void kill_kids(void)
{
	for (unsigned int i = 0; i < nr_kids; i++)
		kill(kids[i], SIGKILL);
	for (unsigned int i = 0; i < nr_kids; i++)
		while (waitpid(kids[i], NULL, 0) < 0 && errno == EINTR)
			;
	nr_kids = 0;
}

static void *sleeper(void *arg)
{
	(void)arg;
	for (;;)
		pause();
	return NULL;
}

/* A child's life: @threads - 1 more threads, a byte on @ready once they
 * exist ('!' when they could not be made), then sleep. */
static void sleeper_main(unsigned int threads, int ready)
{
	pthread_attr_t attr;
	char ok = '+';

	if (pthread_attr_init(&attr) != 0 ||
	    pthread_attr_setstacksize(&attr, 64 * 1024) != 0)
		ok = '!';
	for (unsigned int t = 1; ok == '+' && t < threads; t++) {
		pthread_t th;

		if (pthread_create(&th, &attr, sleeper, NULL) != 0)
			ok = '!';
	}
	if (write(ready, &ok, 1) != 1 || ok != '+')
		_exit(1);
	close(ready);
	sleeper(NULL);
}

static long read_long(const char *path)
{
	char buf[64];

	if (read_text(path, buf, sizeof(buf)) < 0)
		return -1;
	return strcmp(buf, "max") == 0 ? LONG_MAX : strtol(buf, NULL, 10);
}

/* Whether the kernel lets us make @n more threads; says which limit does
 * not (the benchmark raises none). */
static int check_limits(long n)
{
	long tmax = read_long("/proc/sys/kernel/threads-max");
	long pmax = read_long("/proc/sys/kernel/pid_max");
	long maps = read_long("/proc/sys/vm/max_map_count");
	char line[512], path[600];
	FILE *f = fopen("/proc/self/cgroup", "re");
	int bad = 0;

	if (tmax >= 0 && tmax < n + 1024) {
		fprintf(stderr, "bench-shield: kernel.threads-max is %ld: too "
				"low for %ld threads\n", tmax, n);
		bad = 1;
	}
	if (pmax >= 0 && pmax < n + 1024) {
		fprintf(stderr, "bench-shield: kernel.pid_max is %ld: too low "
				"for %ld threads\n", pmax, n);
		bad = 1;
	}
	if (maps >= 0 && maps < 2 * n + 256) {
		fprintf(stderr, "bench-shield: vm.max_map_count is %ld: too low "
				"for %ld thread stacks\n", maps, n);
		bad = 1;
	}
	while (f && fgets(line, sizeof(line), f)) {
		char *c = strstr(line, ":pids:");
		long v;

		if (!c)
			continue;
		c[strcspn(c, "\n")] = '\0';
		snprintf(path, sizeof(path), "/sys/fs/cgroup/pids%s/pids.max",
			 strcmp(c + 6, "/") ? c + 6 : "");
		v = read_long(path);
		if (v >= 0 && v < n + 64) {
			fprintf(stderr, "bench-shield: %s is %ld: too low for "
					"%ld threads\n", path, v, n);
			bad = 1;
		}
	}
	if (f)
		fclose(f);
	return bad ? -EAGAIN : 0;
}

static int spawn_kids(unsigned int n, unsigned int threads)
{
	pid_t self = getpid();
	sigset_t all;
	int ready[2];

	if (check_limits((long)n * threads) < 0)
		return -EAGAIN;
	kids = calloc(n, sizeof(*kids));
	if (!kids || pipe2(ready, O_CLOEXEC) < 0)
		return -ENOMEM;
	kid_threads = threads;
	for (unsigned int i = 0; i < n; i++) {
		pid_t pid = fork();

		if (pid < 0) {
			int e = errno;

			fprintf(stderr,
				"bench-shield: fork of process %u of %u: %s "
				"(check pids.max of this cgroup, RLIMIT_NPROC "
				"and kernel.pid_max)\n",
				i + 1, n, strerror(e));
			close(ready[0]);
			close(ready[1]);
			return -e;
		}
		if (pid == 0) {
			if (prctl(PR_SET_PDEATHSIG, SIGKILL) < 0 ||
			    getppid() != self)
				_exit(1);
			prctl(PR_SET_NAME, "bench-sleeper");
			sigfillset(&all);
			sigprocmask(SIG_SETMASK, &all, NULL);
			close(ready[0]);
			sleeper_main(threads, ready[1]);
		}
		kids[nr_kids++] = pid;
	}
	close(ready[1]);
	/* Every thread exists before the first measurement. */
	for (unsigned int i = 0; i < n; i++) {
		char c = 0;
		ssize_t r;

		while ((r = read(ready[0], &c, 1)) < 0 && errno == EINTR)
			;
		if (r != 1 || c != '+') {
			fprintf(stderr, "bench-shield: a process could not start "
					"its %u threads (see the limits of "
					"kernel.threads-max, pids.max, "
					"RLIMIT_NPROC)\n", threads);
			close(ready[0]);
			return -EAGAIN;
		}
	}
	close(ready[0]);
	return 0;
}

/* Thread @tid of process @pid is in cpuset @cg (any, when NULL), and may
 * (or may not) run on @rt_cpu. */
static int check_thread(pid_t pid, pid_t tid, const char *cg, int rt_cpu,
			bool rt_allowed, const char *when)
{
	char p[96], cur[512];
	cpu_set_t set;

	snprintf(p, sizeof(p), "/proc/%d/task/%d/cpuset", (int)pid, (int)tid);
	if (read_line(p, cur, sizeof(cur)) < 0 ||
	    sched_getaffinity(tid, sizeof(set), &set) < 0) {
		fprintf(stderr, "bench-shield: %s: thread %d/%d: %s\n", when,
			(int)pid, (int)tid, strerror(errno));
		return -EIO;
	}
	if ((cg && strcmp(cur, cg) != 0) ||
	    (CPU_ISSET(rt_cpu, &set) != 0) != rt_allowed) {
		fprintf(stderr,
			"bench-shield: %s: thread %d/%d is in cpuset %s (want "
			"%s) and %s CPU %d (want %s)\n",
			when, (int)pid, (int)tid, cur, cg ? cg : "any",
			CPU_ISSET(rt_cpu, &set) ? "may run on" :
						  "may not run on",
			rt_cpu, rt_allowed ? "allowed" : "not allowed");
		return -EIO;
	}
	return 0;
}

/* Every thread of every child is in cpuset @cg (any, when NULL), and may
 * (or may not) run on @rt_cpu; all @kid_threads of them exist. */
static int check_kids(const char *cg, int rt_cpu, bool rt_allowed,
		      const char *when)
{
	for (unsigned int i = 0; i < nr_kids; i++) {
		char p[64];
		unsigned int n = 0;
		struct dirent *de;
		DIR *d;
		int r = 0;

		if (kid_threads == 1) {
			r = check_thread(kids[i], kids[i], cg, rt_cpu,
					 rt_allowed, when);
			if (r < 0)
				return r;
			continue;
		}
		snprintf(p, sizeof(p), "/proc/%d/task", (int)kids[i]);
		d = opendir(p);
		if (!d) {
			fprintf(stderr, "bench-shield: %s: %s: %s\n", when, p,
				strerror(errno));
			return -EIO;
		}
		while (r == 0 && (de = readdir(d))) {
			if (de->d_name[0] == '.')
				continue;
			n++;
			r = check_thread(kids[i], atoi(de->d_name), cg, rt_cpu,
					 rt_allowed, when);
		}
		closedir(d);
		if (r < 0)
			return r;
		if (n != kid_threads) {
			fprintf(stderr, "bench-shield: %s: process %d has %u "
					"threads, not %u\n", when,
				(int)kids[i], n, kid_threads);
			return -EIO;
		}
	}
	return 0;
}

/* Whole processes, every thread with them: cgroup.procs. */
static int move_kids(const char *cg)
{
	char p[512], num[16];
	int fd, r = 0;

	cs_path(p, sizeof(p), cg, "cgroup.procs");
	fd = open(p, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	for (unsigned int i = 0; r == 0 && i < nr_kids; i++) {
		snprintf(num, sizeof(num), "%d", (int)kids[i]);
		if (write(fd, num, strlen(num)) < 0)
			r = -errno;
	}
	close(fd);
	if (r < 0)
		fprintf(stderr, "bench-shield: moving the processes to %s: %s\n",
			p, strerror(-r));
	return r;
}

/* ---- librtvm -------------------------------------------------------- */

struct rtvm_run {
	struct rtvm_ctx *ctx;
	struct rtvm_cpumask *rt;
	int rt_cpu;
	char root_cpus[256], root_mems[256];
	unsigned int moved, rounds; /* of the last run */
};

static int make_scope(struct rtvm_run *rr)
{
	char p[512];
	int r;

	cs_path(p, sizeof(p), scope_name, NULL);
	if (mkdir(p, 0755) < 0) {
		fprintf(stderr, "bench-shield: mkdir %s: %s\n", p,
			strerror(errno));
		return -errno;
	}
	scope_made = true;
	cs_path(p, sizeof(p), scope_name, "cpuset.cpus");
	r = write_str(p, rr->root_cpus);
	if (r == 0) {
		cs_path(p, sizeof(p), scope_name, "cpuset.mems");
		r = write_str(p, rr->root_mems);
	}
	if (r < 0) {
		fprintf(stderr, "bench-shield: writing %s: %s\n", p,
			strerror(-r));
		return r;
	}
	return move_kids(scope_name);
}

/* Untimed: the scope goes, so that cset's exclusive cpusets fit.  @r, or
 * the error of its removal. */
static int drop_scope(int r)
{
	if (scope_made) {
		int u = remove_tree(scope_name);

		if (u == 0)
			scope_made = false;
		if (r == 0)
			r = u;
	}
	return r;
}

static int run_rtvm(struct rtvm_run *rr, double *create_ms,
		    double *destroy_ms)
{
	struct rtvm_shield_report *rep = NULL;
	struct rtvm_changeset *cs = NULL;
	char hk[128];
	double t0, t1;
	int r;

	r = make_scope(rr);
	if (r == 0)
		r = check_kids(scope_name, rr->rt_cpu, true,
			       "librtvm: in the scope");
	if (r < 0)
		goto out;
	snprintf(hk, sizeof(hk), "%s/rtvm-housekeeping", scope_name);

	t0 = bench_now_ms();
	r = rtvm_changeset_new(rr->ctx, &cs);
	if (r == 0)
		r = rtvm_shield_create(rr->ctx, rr->rt, NULL, scope_name, 0, cs,
				       &rep);
	t1 = bench_now_ms();
	if (r < 0) {
		fprintf(stderr, "bench-shield: rtvm_shield_create: %s\n",
			strerror(-r));
		goto out;
	}
	*create_ms = t1 - t0;
	rr->moved = rtvm_shield_report_get_count(rep, RTVM_SHIELD_MOVED);
	rr->rounds = rtvm_shield_report_get_rounds(rep);
	r = check_kids(hk, rr->rt_cpu, false, "after rtvm_shield_create");
	if (r < 0)
		goto out;

	t0 = bench_now_ms();
	r = rtvm_shield_destroy(rr->ctx, scope_name, cs, 0);
	t1 = bench_now_ms();
	if (r < 0) {
		fprintf(stderr, "bench-shield: rtvm_shield_destroy: %s\n",
			strerror(-r));
		goto out;
	}
	*destroy_ms = t1 - t0;
	r = check_kids(scope_name, rr->rt_cpu, true,
		       "after rtvm_shield_destroy");
out:
	rtvm_shield_report_free(rep);
	rtvm_changeset_unref(cs);
	return drop_scope(r);
}

/* ---- the floor ------------------------------------------------------ */

/*
 * What no shield of the scope can avoid, timed as create and destroy:
 * make the RT and housekeeping cpusets (cpus and mems), move every task
 * of the scope to housekeeping; then every task back and both removed.
 * Nothing is planned, checked or recorded.  The scope is made and
 * removed around it, untimed, as for librtvm.
 */
static int run_floor(struct rtvm_run *rr, double *create_ms,
		     double *destroy_ms)
{
	char scope[512], hk[512], rt[512], hk_cg[128], hk_cpus[256], rt_cpu[16];
	double t0;
	int r;

	snprintf(hk_cg, sizeof(hk_cg), "%s/rtvm-housekeeping", scope_name);
	snprintf(rt_cpu, sizeof(rt_cpu), "%d", rr->rt_cpu);
	/* The housekeeping CPUs: all but the last (the RT CPU). */
	if (rr->rt_cpu == 1)
		snprintf(hk_cpus, sizeof(hk_cpus), "0");
	else
		snprintf(hk_cpus, sizeof(hk_cpus), "0-%d", rr->rt_cpu - 1);
	r = make_scope(rr);
	if (r == 0)
		r = check_kids(scope_name, rr->rt_cpu, true, "floor: in the scope");
	if (r < 0)
		goto out;

	cs_path(scope, sizeof(scope), scope_name, NULL);
	cs_path(hk, sizeof(hk), scope_name, "rtvm-housekeeping");
	cs_path(rt, sizeof(rt), scope_name, "rtvm-rt");
	t0 = bench_now_ms();
	r = bench_cg_make(rt, rt_cpu, rr->root_mems);
	if (r == 0)
		r = bench_cg_make(hk, hk_cpus, rr->root_mems);
	if (r == 0)
		r = bench_cg_move(scope, hk);
	*create_ms = bench_now_ms() - t0;
	if (r < 0) {
		fprintf(stderr, "bench-shield: floor create: %s\n",
			strerror(-r));
		goto out;
	}
	r = check_kids(hk_cg, rr->rt_cpu, false, "after the floor's create");
	if (r < 0)
		goto out;

	t0 = bench_now_ms();
	r = bench_cg_move(hk, scope);
	if (r == 0 && rmdir(hk) < 0)
		r = -errno;
	if (r == 0 && rmdir(rt) < 0)
		r = -errno;
	*destroy_ms = bench_now_ms() - t0;
	if (r < 0) {
		fprintf(stderr, "bench-shield: floor destroy: %s\n",
			strerror(-r));
		goto out;
	}
	r = check_kids(scope_name, rr->rt_cpu, true,
		       "after the floor's destroy");
out:
	return drop_scope(r);
}

/* ---- cset ------------------------------------------------------------ */

static bool is_kthread(const char *tid)
{
	char p[64], *s, *rp;
	unsigned long flags = 0;
	bool k = false;

	snprintf(p, sizeof(p), "/proc/%s/stat", tid);
	s = read_all(p);
	if (!s)
		return false;
	/* Field 9 (flags) comes 6 fields after the ')' that ends comm. */
	rp = strrchr(s, ')');
	if (rp && sscanf(rp + 1, " %*c %*d %*d %*d %*d %*d %lu", &flags) == 1)
		k = flags & PF_KTHREAD;
	free(s);
	return k;
}

/* Why cset must not run here, or NULL when it may. */
static const char *cset_unsafe(char *why, size_t size)
{
	char p[512], *text, *save = NULL;
	unsigned int n = 0;

	if (getpid() != 1) {
		snprintf(why, size,
			 "not PID 1 of a private PID namespace (run it with "
			 "bench/run-bench.sh as root): cset would move every "
			 "process of the host");
		return why;
	}
	if (cg_exists("/system") || cg_exists("/user")) {
		snprintf(why, size,
			 "a cpuset %s/system or /user exists already: cset "
			 "would take it over",
			 CPUSET_ROOT);
		return why;
	}
	cs_path(p, sizeof(p), "/", "tasks");
	text = read_all(p);
	if (!text) {
		snprintf(why, size, "cannot read the root cpuset's tasks: %s",
			 strerror(errno));
		return why;
	}
	for (char *t = strtok_r(text, "\n", &save); t && !*why;
	     t = strtok_r(NULL, "\n", &save)) {
		char proc[64];

		n++;
		snprintf(proc, sizeof(proc), "/proc/%s", t);
		if (access(proc, F_OK) < 0)
			snprintf(why, size,
				 "the root cpuset lists task %s, which this "
				 "namespace's /proc does not show: the tasks "
				 "file is not confined here",
				 t);
		else if (is_kthread(t))
			snprintf(why, size,
				 "the root cpuset lists kernel thread %s: the "
				 "tasks file is not confined here",
				 t);
	}
	free(text);
	if (!*why && n > nr_kids * kid_threads + 16)
		snprintf(why, size,
			 "the root cpuset lists %u tasks, more than this "
			 "benchmark's %u threads",
			 n, nr_kids * kid_threads + 1);
	return *why ? why : NULL;
}

struct cset_run {
	char cpu[16];
	int devnull, err_fd;	/* err_fd: a temporary file for messages */
};

static void show_tool_error(struct cset_run *cr, const char *what,
			    int status)
{
	char buf[1024];
	ssize_t n;

	if (status < 0) {
		fprintf(stderr, "bench-shield: cannot start cset: %s\n",
			strerror(-status));
		return;
	}
	fprintf(stderr, "bench-shield: `%s` failed (wait status %#x):\n",
		what, status);
	if (lseek(cr->err_fd, 0, SEEK_SET) == 0 &&
	    (n = read(cr->err_fd, buf, sizeof(buf) - 1)) > 0) {
		buf[n] = '\0';
		fprintf(stderr, "%s", buf);
	}
}

static int run_cset(struct cset_run *cr, int rt_cpu, bool verbose,
		    double *create_ms, double *reset_ms)
{
	char *shield[] = { "cset", "shield", "--cpu", cr->cpu,
			   "--kthread", "on", NULL };
	char *reset[] = { "cset", "shield", "--reset", NULL };
	int err_fd = verbose ? cr->err_fd : cr->devnull;
	double t0, t1;
	int st, r = 0;

	if (cg_exists("/system") || cg_exists("/user")) {
		fprintf(stderr, "bench-shield: %s/system or /user appeared: "
				"not running cset\n", CPUSET_ROOT);
		return -EEXIST;
	}
	if (verbose && (ftruncate(cr->err_fd, 0) < 0 ||
			lseek(cr->err_fd, 0, SEEK_SET) < 0))
		return -errno;
	cset_owned = true;
	t0 = bench_now_ms();
	st = bench_spawn_wait(shield, err_fd, err_fd);
	t1 = bench_now_ms();
	if (st != 0) {
		if (verbose)
			show_tool_error(cr, "cset shield --cpu ... --kthread "
					    "on", st);
		r = -EIO;
		goto out;
	}
	*create_ms = t1 - t0;
	r = check_kids("/system", rt_cpu, false, "after cset shield");
	if (r < 0)
		goto out;

	if (verbose && (ftruncate(cr->err_fd, 0) < 0 ||
			lseek(cr->err_fd, 0, SEEK_SET) < 0)) {
		r = -errno;
		goto out;
	}
	t0 = bench_now_ms();
	st = bench_spawn_wait(reset, err_fd, err_fd);
	t1 = bench_now_ms();
	if (st != 0) {
		if (verbose)
			show_tool_error(cr, "cset shield --reset", st);
		r = -EIO;
		goto out;
	}
	*reset_ms = t1 - t0;
	if (cg_exists("/system") || cg_exists("/user")) {
		fprintf(stderr, "bench-shield: cset shield --reset left "
				"%s/system or /user behind\n", CPUSET_ROOT);
		r = -EIO;
		goto out;
	}
	cset_owned = false;
	r = check_kids("/", rt_cpu, true, "after cset shield --reset");
out:
	if (cset_owned && cleanup() < 0 && r == 0)
		r = -EIO;
	return r;
}

/* ---- tuna ------------------------------------------------------------ */

static cpu_set_t all_cpus;
/* Why `tuna --include` is not run (tuna 0.15's fails on every call):
 * the benchmark then undoes --isolate itself, untimed. */
static char tuna_include_broken[256];

/* Why tuna must not run here, or NULL when it may. */
static const char *tuna_unsafe(char *why, size_t size)
{
	unsigned int n = 0;
	struct dirent *de;
	DIR *d;

	if (getpid() != 1) {
		snprintf(why, size,
			 "not PID 1 of a private PID namespace (run it with "
			 "bench/run-bench.sh as root): tuna would re-pin every "
			 "thread of the host");
		return why;
	}
	d = opendir("/proc");
	if (!d) {
		snprintf(why, size, "cannot list /proc: %s", strerror(errno));
		return why;
	}
	while ((de = readdir(d)) && !*why) {
		if (de->d_name[0] < '0' || de->d_name[0] > '9')
			continue;
		n++;
		if (is_kthread(de->d_name))
			snprintf(why, size,
				 "/proc shows kernel thread %s: it is not "
				 "this namespace's own /proc",
				 de->d_name);
	}
	closedir(d);
	if (!*why && n > nr_kids + 16)
		snprintf(why, size,
			 "/proc shows %u processes, more than this benchmark's "
			 "%u",
			 n, nr_kids + 1);
	if (!*why && irq_snapshot() < 0)
		snprintf(why, size, "cannot read /proc/irq: %s",
			 strerror(errno));
	return *why ? why : NULL;
}

/* After a failed tuna: every thread of ours may use every CPU again. */
static void unpin_all(void)
{
	char p[64];
	struct dirent *de;
	DIR *d;

	for (unsigned int i = 0; i <= nr_kids; i++) {
		snprintf(p, sizeof(p), "/proc/%d/task",
			 i < nr_kids ? (int)kids[i] : (int)getpid());
		d = opendir(p);
		while (d && (de = readdir(d)))
			if (de->d_name[0] != '.')
				sched_setaffinity(atoi(de->d_name),
						  sizeof(all_cpus), &all_cpus);
		if (d)
			closedir(d);
	}
}

static int run_tuna(struct cset_run *cr, int rt_cpu, bool verbose,
		    double *isolate_ms, double *include_ms,
		    unsigned int *irqs_moved)
{
	char *isolate[] = { "tuna", "--cpus", cr->cpu, "--isolate", NULL };
	char *include[] = { "tuna", "--cpus", cr->cpu, "--include", NULL };
	int err_fd = verbose ? cr->err_fd : cr->devnull;
	unsigned int failed = 0;
	double t0, t1;
	int st, r;

	r = irq_snapshot();
	if (r < 0) {
		fprintf(stderr, "bench-shield: /proc/irq: %s\n", strerror(-r));
		return r;
	}
	if (verbose && (ftruncate(cr->err_fd, 0) < 0 ||
			lseek(cr->err_fd, 0, SEEK_SET) < 0))
		return -errno;
	t0 = bench_now_ms();
	st = bench_spawn_wait(isolate, err_fd, err_fd);
	t1 = bench_now_ms();
	/* Untimed, at once: the host's IRQs as they were. */
	*irqs_moved = irq_put_back(&failed);
	if (failed) {
		fprintf(stderr, "bench-shield: %u IRQ affinities changed by "
				"tuna could not be written back\n", failed);
		r = -EIO;
	}
	if (st != 0) {
		if (verbose)
			show_tool_error(cr, "tuna --cpus ... --isolate", st);
		unpin_all();
		return -EIO;
	}
	*isolate_ms = t1 - t0;
	if (r == 0)
		r = check_kids(NULL, rt_cpu, false, "after tuna --isolate");
	if (*tuna_include_broken) {
		unpin_all();
		*include_ms = 0;
		goto check;
	}
	if (verbose && (ftruncate(cr->err_fd, 0) < 0 ||
			lseek(cr->err_fd, 0, SEEK_SET) < 0))
		r = r < 0 ? r : -errno;
	t0 = bench_now_ms();
	st = bench_spawn_wait(include, err_fd, err_fd);
	t1 = bench_now_ms();
	irq_put_back(NULL);
	if (st != 0) {
		/* Not a reason to drop tuna's isolate figures. */
		show_tool_error(cr, "tuna --cpus ... --include", st);
		snprintf(tuna_include_broken, sizeof(tuna_include_broken),
			 "`tuna --cpus N --include` failed (wait status %#x, "
			 "its messages are above); the benchmark undoes "
			 "--isolate itself, untimed", st);
		unpin_all();
		*include_ms = 0;
		goto check;
	}
	*include_ms = t1 - t0;
check:
	if (r == 0)
		r = check_kids(NULL, rt_cpu, true, "after tuna --include");
	if (r < 0)
		unpin_all();
	return r;
}

/* ---- statistics and output -------------------------------------------- */

static void compute_stats(struct series *s)
{
	struct bench_stats st;

	if (bench_stats(s->ms, s->n, &st) == 0) {
		s->median = st.median;
		s->p99 = st.p99;
		s->max = st.max;
	}
}

static void print_row(const struct series *s, const struct series *base)
{
	if (!s->n)
		return;
	printf("%-16s %4u %11.3f %11.3f %11.3f", s->name, s->n, s->median,
	       s->p99, s->max);
	if (base && base->n && base->median > 0)
		printf(" %9.1fx", s->median / base->median);
	printf("\n");
}

static double ratio_of(const struct series *a, const struct series *b)
{
	return a->n && b->n && b->median > 0 ? a->median / b->median : 0;
}

/* Per-thread costs and the ratios the issue sets goals for. */
static void print_per_thread(const struct series *s, long threads)
{
	static const struct { int create, destroy; const char *name; } m[] = {
		{ S_RTVM_CREATE, S_RTVM_DESTROY, "librtvm" },
		{ S_FLOOR_CREATE, S_FLOOR_DESTROY, "floor" },
		{ S_CSET_CREATE, S_CSET_RESET, "cset" },
		{ S_TUNA_ISOLATE, S_TUNA_INCLUDE, "tuna" },
	};

	printf("per thread (median / %ld):", threads);
	for (size_t i = 0; i < sizeof(m) / sizeof(m[0]); i++)
		if (s[m[i].create].n)
			printf(" %s %.2f + %.2f us;", m[i].name,
			       s[m[i].create].median * 1e3 / (double)threads,
			       s[m[i].destroy].n ? s[m[i].destroy].median * 1e3 /
							   (double)threads :
						   0);
	printf("\n");
	if (!s[S_FLOOR_CREATE].n || !s[S_RTVM_CREATE].n)
		return;
	printf("librtvm/floor: create %.2fx, destroy %.2fx (goal <= 2x)",
	       ratio_of(&s[S_RTVM_CREATE], &s[S_FLOOR_CREATE]),
	       ratio_of(&s[S_RTVM_DESTROY], &s[S_FLOOR_DESTROY]));
	if (s[S_CSET_TOTAL].n)
		printf("; cset/librtvm total %.2fx (goal >= 5x at 2,000 and "
		       "10,000)",
		       ratio_of(&s[S_CSET_TOTAL], &s[S_RTVM_TOTAL]));
	printf("\n");
}

static void usage(FILE *f)
{
	fprintf(f,
		"Usage: bench-shield [OPTION]...\n"
		"Time making and removing a CPU shield for N sleeping processes:\n"
		"librtvm (in a test-owned cpuset) vs `cset shield` (at the cpuset\n"
		"root) and `tuna --isolate` (both only as PID 1 of a private PID\n"
		"namespace: run-bench.sh; tuna's IRQ changes are written back).\n\n"
		"  -p, --procs LIST    counts, e.g. 200,2000 (the default); PxT is\n"
		"                      P processes of T threads each (20x500)\n"
		"  -r, --runs N        librtvm rounds per count (default 15)\n"
		"  -c, --cset-runs N   cset and tuna rounds per count (default 5)\n"
		"      --no-cset       no cset\n"
		"      --no-tuna       no tuna\n"
		"  -h, --help          this help\n\n"
		"Needs root and a cgroup v1 cpuset hierarchy at %s.\n"
		"Exit status: 0 when the measurements ran, 1 on a setup error,\n"
		"2 for bad usage.  Time never makes it fail.\n",
		CPUSET_ROOT);
}

static int parse_count(const char *s, long lo, long hi, long *ret)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || end == s || (*end && *end != ',' && *end != 'x') ||
	    v < lo || v > hi)
		return -EINVAL;
	*ret = v;
	return (int)(end - s);
}

int main(int argc, char *argv[])
{
	static const struct option longopts[] = {
		{ "procs", required_argument, NULL, 'p' },
		{ "runs", required_argument, NULL, 'r' },
		{ "cset-runs", required_argument, NULL, 'c' },
		{ "no-cset", no_argument, NULL, 'n' },
		{ "no-tuna", no_argument, NULL, 'T' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct size sizes[MAX_SIZES] = { { 200, 1 }, { 2000, 1 } };
	long runs = 15, cset_runs = 5;
	unsigned int nr_sizes = 2;
	struct rtvm_run rr = { .rt_cpu = -1 };
	struct cset_run cr = { .devnull = -1, .err_fd = -1 };
	char why_buf[512] = "", tmpl[] = "/tmp/bench-shield-XXXXXX";
	char tuna_why[512] = "";
	const char *no_cset = NULL, *no_tuna = NULL;
	struct sigaction sa;
	struct utsname u;
	cpu_set_t all;
	int opt, r, ret = 1;

	while ((opt = getopt_long(argc, argv, "p:r:c:h", longopts, NULL)) !=
	       -1) {
		const char *s;
		long v;

		switch (opt) {
		case 'p':
			nr_sizes = 0;
			for (s = optarg; *s; s += r + (s[r] == ',')) {
				long t = 1;
				int rt;

				r = parse_count(s, 1, 100000, &v);
				if (r < 0 || nr_sizes == MAX_SIZES)
					goto bad_usage;
				if (s[r] == 'x') {
					rt = parse_count(s + r + 1, 1, 100000,
							 &t);
					if (rt < 0 || v * t > 100000)
						goto bad_usage;
					r += 1 + rt;
				} else if (s[r] && s[r] != ',') {
					goto bad_usage;
				}
				sizes[nr_sizes].procs = v;
				sizes[nr_sizes++].threads = t;
			}
			if (!nr_sizes)
				goto bad_usage;
			break;
		case 'r':
			if (parse_count(optarg, 1, 100000, &runs) < 0 ||
			    strpbrk(optarg, ",x"))
				goto bad_usage;
			break;
		case 'c':
			if (parse_count(optarg, 1, 100000, &cset_runs) < 0 ||
			    strpbrk(optarg, ",x"))
				goto bad_usage;
			break;
		case 'n':
			no_cset = "--no-cset";
			break;
		case 'T':
			no_tuna = "--no-tuna";
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			goto bad_usage;
		}
	}
	if (optind < argc)
		goto bad_usage;

	if (geteuid() != 0) {
		fprintf(stderr, "bench-shield: needs root: it makes cpusets and "
				"moves its own processes between them\n");
		return 1;
	}
	cs_path(why_buf, sizeof(why_buf), "/", "cpuset.cpus");
	if (read_line(why_buf, rr.root_cpus, sizeof(rr.root_cpus)) < 0) {
		fprintf(stderr, "bench-shield: no cgroup v1 cpuset hierarchy at "
				"%s: %s\n", CPUSET_ROOT, strerror(errno));
		return 1;
	}
	cs_path(why_buf, sizeof(why_buf), "/", "cpuset.mems");
	if (read_line(why_buf, rr.root_mems, sizeof(rr.root_mems)) < 0) {
		fprintf(stderr, "bench-shield: %s: %s\n", why_buf,
			strerror(errno));
		return 1;
	}
	why_buf[0] = '\0';
	if (sched_getaffinity(0, sizeof(all), &all) < 0 || CPU_COUNT(&all) < 2) {
		fprintf(stderr, "bench-shield: needs at least 2 CPUs to shield "
				"one\n");
		return 1;
	}
	all_cpus = all;
	for (int c = 0; c < CPU_SETSIZE; c++)
		if (CPU_ISSET(c, &all))
			rr.rt_cpu = c;
	snprintf(cr.cpu, sizeof(cr.cpu), "%d", rr.rt_cpu);
	snprintf(scope_name, sizeof(scope_name), "/rtvm-bench-shield-%lx",
		 (unsigned long)time(NULL) ^ ((unsigned long)getpid() << 16));
	if (cg_exists(scope_name)) {
		fprintf(stderr, "bench-shield: cpuset %s exists already\n",
			scope_name);
		return 1;
	}

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	atexit(cleanup_at_exit);

	cr.devnull = open("/dev/null", O_RDWR | O_CLOEXEC);
	cr.err_fd = mkostemp(tmpl, O_CLOEXEC);
	if (cr.devnull < 0 || cr.err_fd < 0) {
		fprintf(stderr, "bench-shield: /dev/null or %s: %s\n", tmpl,
			strerror(errno));
		goto out;
	}
	unlink(tmpl);
	r = rtvm_new(&rr.ctx);
	if (r == 0)
		r = rtvm_set_log_priority(rr.ctx, 3 /* LOG_ERR */);
	if (r == 0)
		r = rtvm_cpumask_new(rr.ctx, &rr.rt);
	if (r == 0)
		r = rtvm_cpumask_set(rr.rt, (unsigned int)rr.rt_cpu);
	if (r < 0) {
		fprintf(stderr, "bench-shield: librtvm: %s\n", strerror(-r));
		goto out;
	}
	if (uname(&u) < 0)
		snprintf(u.release, sizeof(u.release), "unknown");
	printf("bench-shield: shield CPU %d (housekeeping: the other %d), "
	       "librtvm %s, kernel %s, %s\n",
	       rr.rt_cpu, CPU_COUNT(&all) - 1, rtvm_version(), u.release,
	       getpid() == 1 ? "PID 1 of a private PID namespace" :
			       "NOT in a private PID namespace");
	printf("librtvm: rtvm_shield_create + rtvm_shield_destroy(changeset) "
	       "in scope cpuset %s\n",
	       scope_name);
	printf("cset:    `cset shield --cpu %d --kthread on` + `cset shield "
	       "--reset` at the cpuset root (/system, /user)\n",
	       rr.rt_cpu);
	printf("tuna:    `tuna --cpus %d --isolate` + `tuna --cpus %d "
	       "--include` (affinities only; IRQs written back untimed)\n",
	       rr.rt_cpu, rr.rt_cpu);

	for (unsigned int z = 0; z < nr_sizes && !stop; z++) {
		struct series s[NR_SERIES] = {
			[S_RTVM_CREATE] = { .name = "librtvm create" },
			[S_RTVM_DESTROY] = { .name = "librtvm destroy" },
			[S_RTVM_TOTAL] = { .name = "librtvm total" },
			[S_CSET_CREATE] = { .name = "cset shield" },
			[S_CSET_RESET] = { .name = "cset reset" },
			[S_CSET_TOTAL] = { .name = "cset total" },
			[S_TUNA_ISOLATE] = { .name = "tuna isolate" },
			[S_TUNA_INCLUDE] = { .name = "tuna include" },
			[S_TUNA_TOTAL] = { .name = "tuna total" },
			[S_FLOOR_CREATE] = { .name = "floor create" },
			[S_FLOOR_DESTROY] = { .name = "floor destroy" },
			[S_FLOOR_TOTAL] = { .name = "floor total" },
		};
		bool have_cset = !no_cset, have_tuna = !no_tuna;
		unsigned int irqs = 0;
		long nproc = sizes[z].procs, nthr = sizes[z].threads;
		double a = 0, b = 0;
		long total = runs > cset_runs ? runs : cset_runs;

		for (int i = 0; i < NR_SERIES; i++) {
			s[i].ms = calloc((size_t)total, sizeof(double));
			if (!s[i].ms) {
				fprintf(stderr, "bench-shield: out of memory\n");
				goto out;
			}
		}
		fprintf(stderr, "starting %ld sleeping processes of %ld "
				"threads...\n", nproc, nthr);
		if (spawn_kids((unsigned int)nproc, (unsigned int)nthr) < 0 ||
		    check_kids("/", rr.rt_cpu, true, "at the start") < 0)
			goto next_fail;

		/* Untimed warm-up: does each tool work here? */
		fprintf(stderr, "warm-up round...\n");
		if (run_rtvm(&rr, &a, &b) < 0 || run_floor(&rr, &a, &b) < 0)
			goto next_fail;
		if (have_cset && !no_cset &&
		    (no_cset = cset_unsafe(why_buf, sizeof(why_buf))))
			have_cset = false;
		if (have_cset &&
		    run_cset(&cr, rr.rt_cpu, true, &a, &b) < 0) {
			snprintf(why_buf, sizeof(why_buf),
				 "cset failed in the warm-up round (its "
				 "messages are above)");
			no_cset = why_buf;
			have_cset = false;
		}
		if (cleanup() < 0)
			goto next_fail;
		if (have_tuna && !no_tuna &&
		    (no_tuna = tuna_unsafe(tuna_why, sizeof(tuna_why))))
			have_tuna = false;
		if (have_tuna &&
		    run_tuna(&cr, rr.rt_cpu, true, &a, &b, &irqs) < 0) {
			snprintf(tuna_why, sizeof(tuna_why),
				 "tuna failed in the warm-up round (its "
				 "messages are above)");
			no_tuna = tuna_why;
			have_tuna = false;
		}

		fprintf(stderr, "%ld rounds...\n", total);
		for (long round = 0; round < total && !stop; round++) {
			/* Rotate who goes first. */
			for (int k = 0; k < 4 && !stop; k++) {
				int tool = (int)((round + k) % 4);
				bool cset = tool == 1;

				if (tool == 3) {
					if (round >= runs)
						continue;
					if (run_floor(&rr, &a, &b) < 0)
						goto next_fail;
					s[S_FLOOR_CREATE].ms[s[S_FLOOR_CREATE].n++] = a;
					s[S_FLOOR_DESTROY].ms[s[S_FLOOR_DESTROY].n++] = b;
					s[S_FLOOR_TOTAL].ms[s[S_FLOOR_TOTAL].n++] = a + b;
				} else if (tool == 2) {
					if (!have_tuna || round >= cset_runs)
						continue;
					if (run_tuna(&cr, rr.rt_cpu, false, &a,
						     &b, &irqs) < 0) {
						run_tuna(&cr, rr.rt_cpu, true,
							 &a, &b, &irqs);
						goto next_fail;
					}
					s[S_TUNA_ISOLATE].ms[s[S_TUNA_ISOLATE].n++] = a;
					if (*tuna_include_broken)
						continue;
					s[S_TUNA_INCLUDE].ms[s[S_TUNA_INCLUDE].n++] = b;
					s[S_TUNA_TOTAL].ms[s[S_TUNA_TOTAL].n++] = a + b;
				} else if (!cset && round < runs) {
					if (run_rtvm(&rr, &a, &b) < 0)
						goto next_fail;
					s[S_RTVM_CREATE].ms[s[S_RTVM_CREATE].n++] = a;
					s[S_RTVM_DESTROY].ms[s[S_RTVM_DESTROY].n++] = b;
					s[S_RTVM_TOTAL].ms[s[S_RTVM_TOTAL].n++] = a + b;
				} else if (cset && have_cset && round < cset_runs) {
					if (run_cset(&cr, rr.rt_cpu, false, &a,
						     &b) < 0) {
						/* Once more, to show why. */
						run_cset(&cr, rr.rt_cpu, true,
							 &a, &b);
						goto next_fail;
					}
					s[S_CSET_CREATE].ms[s[S_CSET_CREATE].n++] = a;
					s[S_CSET_RESET].ms[s[S_CSET_RESET].n++] = b;
					s[S_CSET_TOTAL].ms[s[S_CSET_TOTAL].n++] = a + b;
				}
			}
		}
		for (int i = 0; i < NR_SERIES; i++)
			compute_stats(&s[i]);
		printf("\n%ld sleeping processes x %ld threads = %ld threads "
		       "(librtvm moved %u per run in %u rounds)\n",
		       nproc, nthr, nproc * nthr, rr.moved, rr.rounds);
		printf("%-16s %4s %11s %11s %11s %10s\n", "method", "runs",
		       "median ms", "p99 ms", "max ms", "vs librtvm");
		print_row(&s[S_RTVM_CREATE], NULL);
		print_row(&s[S_RTVM_DESTROY], NULL);
		print_row(&s[S_RTVM_TOTAL], NULL);
		print_row(&s[S_CSET_CREATE], &s[S_RTVM_CREATE]);
		print_row(&s[S_CSET_RESET], &s[S_RTVM_DESTROY]);
		print_row(&s[S_CSET_TOTAL], &s[S_RTVM_TOTAL]);
		print_row(&s[S_TUNA_ISOLATE], &s[S_RTVM_CREATE]);
		print_row(&s[S_TUNA_INCLUDE], &s[S_RTVM_DESTROY]);
		print_row(&s[S_TUNA_TOTAL], &s[S_RTVM_TOTAL]);
		print_row(&s[S_FLOOR_CREATE], NULL);
		print_row(&s[S_FLOOR_DESTROY], NULL);
		print_row(&s[S_FLOOR_TOTAL], NULL);
		if (!have_cset)
			printf("cset: not run: %s\n",
			       no_cset ? no_cset : "?");
		if (!have_tuna)
			printf("tuna: not run: %s\n",
			       no_tuna ? no_tuna : "?");
		else
			printf("tuna: changed %u IRQ affinities of the host per "
			       "isolate, all written back\n", irqs);
		if (have_tuna && *tuna_include_broken)
			printf("tuna include: not timed: %s\n",
			       tuna_include_broken);
		print_per_thread(s, nproc * nthr);
		fflush(stdout);
		for (int i = 0; i < NR_SERIES; i++)
			free(s[i].ms);
		kill_kids();
		free(kids);
		kids = NULL;
		continue;
next_fail:
		for (int i = 0; i < NR_SERIES; i++)
			free(s[i].ms);
		goto out;
	}
	if (stop)
		fprintf(stderr, "interrupted\n");
	ret = 0;
out:
	if (cleanup() < 0) {
		fprintf(stderr, "bench-shield: could not remove every cpuset it "
				"made (see above)\n");
		ret = 1;
	}
	kill_kids();
	free(kids);
	kids = NULL;
	if (cr.devnull >= 0)
		close(cr.devnull);
	if (cr.err_fd >= 0)
		close(cr.err_fd);
	rtvm_cpumask_free(rr.rt);
	rtvm_unref(rr.ctx);
	return ret;

bad_usage:
	usage(stderr);
	return 2;
}
