/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * bench-tune: full apply and full revert of a profile for a 4-vCPU VM,
 * three ways, side by side:
 *
 *   librtvm      rtvm_vm_new_from_pid + rtvm_tune_apply (the plan read
 *                from the host, a journal record synced before each
 *                write), then rtvm_tune_revert from the journal
 *   chrt+taskset `taskset -p -c 1 TID` and `chrt -f -p 1 TID` per vCPU and
 *                `taskset -p -c 0 PID` for the emulator, each spawned and
 *                waited for; undone the same way (nothing is recorded)
 *   floor        the same writes with nothing read, planned or checked,
 *                after one synced journal record (see floor_apply)
 *   tuna         `tuna -t TIDS -c 1 -m -p fifo:1` and `taskset -p -c 0 PID`
 *                (tuna -t PID would move every thread of the process);
 *                undone with `-p other:0` and the original CPUs
 *
 * The profile: RT CPU 1, housekeeping CPU 0, the four vCPUs FIFO 1 on CPU
 * 1, the emulator on CPU 0.  Host-wide settings (sysctls, IRQs, kernel
 * threads, PM QoS) are left out on purpose: they are global, and this
 * machine is shared.  The journal lives in a directory of its own under
 * /run (as /run/rtvm), removed at the end.
 *
 * Then the same with a shield, scoped as bench-shield is: the benchmark
 * and its VM live in a cpuset of their own (CPUs 0-1), the profile
 * shields CPU 1 in it (rtvm-housekeeping, rtvm-rt with the vCPUs), and
 * the equivalent by commands is one sh script making the two cpusets and
 * moving the scope's tasks, then chrt + taskset as above (tuna --isolate
 * would move the host's IRQs too, so it is not run here).
 *
 * Then, with the profile applied (and again with the shielded one), the
 * two calls that should find nothing to do, each timed per call:
 *
 *   re-apply     rtvm_tune_apply of the same profile to the same VM: must
 *                return 0 with rtvm_plan_is_applied() 1, no changes and
 *                no drift; goal "no writes, < 1 ms for a 4-vCPU VM"
 *   reconcile    rtvm_tune_reconcile of the VM: must report nothing put
 *                back
 *   floor        what both cannot skip: the state directory's lock, the
 *                journal read once, and each journaled setting read back
 *                with bare calls (sched_getattr + sched_getaffinity per
 *                vCPU, the emulator's affinity; with the shield also
 *                /proc/TID/cgroup of every task in the two cpusets)
 *
 * After every such call, the journal's inode, size and times, the state
 * directory's times and each thread's policy, priority, CPUs (and cpuset)
 * are compared with what they were before the first: a call that wrote
 * fails the benchmark (exit 1).
 *
 * Run it through bench/run-bench.sh (BENCH=bench/bench-tune): in a private
 * PID namespace, librtvm and tuna see only the benchmark's processes.
 * The "VM" is a child with four threads named "CPU N/KVM" blocked in
 * pause(); it dies with the benchmark.  Prints figures; exit 0 when the
 * measurements ran, 1 on a setup error, a wrong state after a call, or a
 * re-apply or reconcile that wrote.
 */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <rtvm/rtvm.h>

#include "bench-util.h"

#define NR_VCPUS 4
#define CPUSET "/sys/fs/cgroup/cpuset"

static char scope[64]; /* "rtvm-bench-tune-PID" below CPUSET, or "" */
static char scope_mems[64];
static char journal[64]; /* the floor's journal, in the state directory */
static pid_t host_pid;   /* the child holding the host's other threads */

static const char profile_json[] =
	"{\"version\": 1, \"name\": \"bench\", \"rt_cpus\": \"1\","
	" \"housekeeping_cpus\": \"0\","
	" \"vcpus\": [{\"pcpu\": 1}, {\"pcpu\": 1}, {\"pcpu\": 1}, {\"pcpu\": 1}],"
	" \"policies\": {\"rt_vcpu\": {\"policy\": \"fifo\", \"priority\": 1},"
	"   \"emulator\": {\"cpus\": \"0\"}}}";

/* Whether thread @tid's cpuset is @want ("/x/y"). */
static bool in_cpuset(pid_t tid, const char *want)
{
	char path[64], line[256] = "";
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/cpuset", tid);
	f = fopen(path, "re");
	if (!f)
		return false;
	if (!fgets(line, sizeof(line), f))
		line[0] = '\0';
	fclose(f);
	line[strcspn(line, "\n")] = '\0';
	return strcmp(line, want) == 0;
}

/* Every vCPU FIFO 1 on CPU 1 and the emulator on CPU 0 (@rt), or every
 * thread SCHED_OTHER on CPUs 0-1; with @shield, the vCPUs in the RT
 * cpuset when @rt, every thread in the scope when not. */
static bool state_ok(pid_t pid, const pid_t *tids, bool rt, bool shield)
{
	char rt_cg[128], hk_cg[160], scope_cg[128];
	cpu_set_t set;

	snprintf(scope_cg, sizeof(scope_cg), "/%s", scope);
	snprintf(rt_cg, sizeof(rt_cg), "/%s/rtvm-rt", scope);
	for (int i = 0; i < NR_VCPUS; i++) {
		int pol = sched_getscheduler(tids[i]);

		if (sched_getaffinity(tids[i], sizeof(set), &set) < 0)
			return false;
		if (rt ? pol != SCHED_FIFO || CPU_COUNT(&set) != 1 ||
				 !CPU_ISSET(1, &set) :
			 pol != SCHED_OTHER || CPU_COUNT(&set) != 2)
			return false;
		if (shield && !in_cpuset(tids[i], rt ? rt_cg : scope_cg))
			return false;
	}
	if (shield && !rt && !in_cpuset(pid, scope_cg))
		return false;
	/* The host's other threads: housekeeping under the shield. */
	snprintf(hk_cg, sizeof(hk_cg), "/%s/rtvm-housekeeping", scope);
	if (shield && host_pid > 0 &&
	    !in_cpuset(host_pid, rt ? hk_cg : scope_cg))
		return false;
	if (sched_getaffinity(pid, sizeof(set), &set) < 0)
		return false;
	return rt ? CPU_COUNT(&set) == 1 && CPU_ISSET(0, &set) :
		    CPU_COUNT(&set) == 2;
}

/* Their chatter ("pid N's new affinity list") goes nowhere. */
static int devnull = -1;

static int run(char *const argv[])
{
	return bench_spawn_wait(argv, devnull, -1) == 0 ? 0 : -1;
}

static int runf(const char *fmt, ...)
{
	char line[512], *argv[16], *save, *tok;
	int n = 0;
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	for (tok = strtok_r(line, " ", &save); tok && n < 15;
	     tok = strtok_r(NULL, " ", &save))
		argv[n++] = tok;
	argv[n] = NULL;
	return run(argv);
}

static int script_apply(pid_t pid, const pid_t *tids)
{
	for (int i = 0; i < NR_VCPUS; i++)
		if (runf("taskset -p -c 1 %d", tids[i]) ||
		    runf("chrt -f -p 1 %d", tids[i]))
			return -1;
	return runf("taskset -p -c 0 %d", pid);
}

static int script_revert(pid_t pid, const pid_t *tids)
{
	for (int i = 0; i < NR_VCPUS; i++)
		if (runf("chrt -o -p 0 %d", tids[i]) ||
		    runf("taskset -p -c 0-1 %d", tids[i]))
			return -1;
	return runf("taskset -p -c 0-1 %d", pid);
}

/* tuna moves a whole process when given its pid: the emulator thread
 * alone is pinned with taskset. */
static int tuna_apply(pid_t pid, const pid_t *tids)
{
	return runf("tuna -t %d,%d,%d,%d -c 1 -m -p fifo:1", tids[0], tids[1],
		    tids[2], tids[3]) ||
	       runf("taskset -p -c 0 %d", pid);
}

static int tuna_revert(pid_t pid, const pid_t *tids)
{
	return runf("tuna -t %d,%d,%d,%d -c 0-1 -m -p other:0", tids[0],
		    tids[1], tids[2], tids[3]) ||
	       runf("taskset -p -c 0-1 %d", pid);
}

/* Run a shell script, formatted. */
static int run_sh(const char *fmt, ...)
{
	char sh[1024];
	char *argv[] = { "sh", "-c", sh, NULL };
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(sh, sizeof(sh), fmt, ap);
	va_end(ap);
	return run(argv);
}

/* The shield by commands: one script makes the cpusets and moves the
 * scope's tasks (what an admin's script or cset does), then chrt and
 * taskset per thread. */
static int script_shield_apply(pid_t pid, const pid_t *tids)
{
	if (run_sh("set -e; cd " CPUSET "/%s; mkdir rtvm-housekeeping rtvm-rt;"
		   " cat cpuset.mems > rtvm-housekeeping/cpuset.mems;"
		   " echo 0 > rtvm-housekeeping/cpuset.cpus;"
		   " cat cpuset.mems > rtvm-rt/cpuset.mems;"
		   " echo 1 > rtvm-rt/cpuset.cpus;"
		   " echo 0 > rtvm-rt/cpuset.sched_load_balance;"
		   " for t in $(cat tasks); do echo $t > rtvm-housekeeping/tasks"
		   " 2>/dev/null || :; done;"
		   " for t in %d %d %d %d; do echo $t > rtvm-rt/tasks; done",
		   scope, tids[0], tids[1], tids[2], tids[3]))
		return -1;
	return script_apply(pid, tids);
}

static int script_shield_revert(pid_t pid, const pid_t *tids)
{
	if (script_revert(pid, tids))
		return -1;
	return run_sh("set -e; cd " CPUSET "/%s;"
		      " for t in $(cat rtvm-rt/tasks rtvm-housekeeping/tasks);"
		      " do echo $t > tasks 2>/dev/null || :; done;"
		      " rmdir rtvm-rt rtvm-housekeeping",
		      scope);
}

/* The benchmark's own cpuset "rtvm-bench-tune-@id", CPUs 0-1 and the
 * root's mems, holding the benchmark and its VM.  Returns 0, or -1 (no
 * cpuset hierarchy, ...). */
static int scope_make(pid_t vm, pid_t host, const char *id)
{
	char path[256], *mems = scope_mems, pids[64];
	FILE *f;
	int fd;

	f = fopen(CPUSET "/cpuset.mems", "re");
	if (!f)
		return -1;
	if (!fgets(mems, sizeof(scope_mems), f))
		mems[0] = '\0';
	mems[strcspn(mems, "\n")] = '\0';
	fclose(f);
	snprintf(scope, sizeof(scope), "rtvm-bench-tune-%s", id);
	snprintf(path, sizeof(path), CPUSET "/%s", scope);
	if (mkdir(path, 0755) < 0) {
		scope[0] = '\0';
		return -1;
	}
	snprintf(pids, sizeof(pids), "0");
	const char *files[][2] = { { "cpuset.cpus", "0-1" },
				   { "cpuset.mems", mems },
				   { "cgroup.procs", pids } };
	for (size_t i = 0; i < 3; i++) {
		snprintf(path, sizeof(path), CPUSET "/%s/%s", scope, files[i][0]);
		fd = open(path, O_WRONLY | O_CLOEXEC);
		if (fd < 0 || write(fd, files[i][1], strlen(files[i][1])) < 0) {
			if (fd >= 0)
				close(fd);
			return -1;
		}
		close(fd);
	}
	snprintf(path, sizeof(path), CPUSET "/%s/cgroup.procs", scope);
	fd = open(path, O_WRONLY | O_CLOEXEC);
	for (int i = 0; fd >= 0 && i < 2; i++) {
		snprintf(pids, sizeof(pids), "%d", (int)(i ? host : vm));
		if ((i == 0 || host > 0) && write(fd, pids, strlen(pids)) < 0) {
			close(fd);
			return -1;
		}
	}
	if (fd < 0)
		return -1;
	close(fd);
	return 0;
}

/* Everything back to the root cpuset, the scope's cpusets removed. */
static void scope_remove(void)
{
	if (!scope[0])
		return;
	if (run_sh("cd " CPUSET " && for t in $(cat %s/rtvm-rt/tasks"
		   " %s/rtvm-housekeeping/tasks %s/tasks 2>/dev/null); do"
		   " echo $t > tasks 2>/dev/null; done;"
		   " rmdir %s/rtvm-rt %s/rtvm-housekeeping 2>/dev/null; rmdir %s",
		   scope, scope, scope, scope, scope, scope) < 0)
		fprintf(stderr, "bench-tune: cannot remove cpuset %s\n", scope);
	scope[0] = '\0';
}

/*
 * The floor of a profile: the same writes with nothing read, planned or
 * checked, and one synced journal record first (a group commit of the
 * whole apply); the revert makes the writes back and removes the journal.
 */
static int floor_sched(pid_t pid, const pid_t *tids, bool rt)
{
	cpu_set_t one, hk, both;

	CPU_ZERO(&one);
	CPU_SET(1, &one);
	CPU_ZERO(&hk);
	CPU_SET(0, &hk);
	CPU_ZERO(&both);
	CPU_SET(0, &both);
	CPU_SET(1, &both);
	for (int i = 0; i < NR_VCPUS; i++)
		if (bench_setattr(tids[i], rt ? SCHED_FIFO : SCHED_OTHER,
				  rt ? 1 : 0) < 0 ||
		    sched_setaffinity(tids[i], sizeof(one), rt ? &one : &both) < 0)
			return -1;
	return sched_setaffinity(pid, sizeof(hk), rt ? &hk : &both);
}

static int floor_apply(pid_t pid, const pid_t *tids)
{
	if (bench_synced_write(journal, "{\"floor\": \"intent of every write\"}\n"))
		return -1;
	return floor_sched(pid, tids, true);
}

static int floor_revert(pid_t pid, const pid_t *tids)
{
	if (floor_sched(pid, tids, false))
		return -1;
	return unlink(journal);
}

/* With the shield: the two cpusets made, every task of the scope moved to
 * housekeeping (one open, one write per tid) and the vCPUs to RT. */
static int floor_shield_apply(pid_t pid, const pid_t *tids)
{
	char sc[128], hk[160], rt[160], num[16];
	int fd, r = 0;

	snprintf(sc, sizeof(sc), CPUSET "/%s", scope);
	snprintf(hk, sizeof(hk), "%s/rtvm-housekeeping", sc);
	snprintf(rt, sizeof(rt), "%s/rtvm-rt", sc);
	if (bench_synced_write(journal, "{\"floor\": \"intent of every write\"}\n") ||
	    bench_cg_make(hk, "0", scope_mems) || bench_cg_make(rt, "1", scope_mems) ||
	    bench_cg_move(sc, hk))
		return -1;
	snprintf(rt, sizeof(rt), "%s/rtvm-rt/tasks", sc);
	fd = open(rt, O_WRONLY | O_CLOEXEC);
	for (int i = 0; fd >= 0 && r == 0 && i < NR_VCPUS; i++) {
		snprintf(num, sizeof(num), "%d", (int)tids[i]);
		if (write(fd, num, strlen(num)) < 0)
			r = -1;
	}
	if (fd < 0)
		return -1;
	close(fd);
	return r < 0 ? r : floor_sched(pid, tids, true);
}

static int floor_shield_revert(pid_t pid, const pid_t *tids)
{
	char sc[128], hk[160], rt[160];

	snprintf(sc, sizeof(sc), CPUSET "/%s", scope);
	snprintf(hk, sizeof(hk), "%s/rtvm-housekeeping", sc);
	snprintf(rt, sizeof(rt), "%s/rtvm-rt", sc);
	if (floor_sched(pid, tids, false) || bench_cg_move(rt, sc) ||
	    bench_cg_move(hk, sc) || rmdir(rt) < 0 || rmdir(hk) < 0)
		return -1;
	return unlink(journal);
}

/* Prints the figures; returns the median (0 when there are none). */
static double report(const char *name, const double *ms, int n)
{
	struct bench_stats st;

	if (bench_stats(ms, (unsigned int)n, &st) < 0) {
		printf("%-26s n/a\n", name);
		return 0;
	}
	printf("%-26s median %8.2f ms  p99 %8.2f  max %8.2f  (n=%d)\n", name,
	       st.median, st.p99, st.max, n);
	return st.median;
}

/* The figures of one method: apply and revert times. */
struct series {
	double *apply, *revert;
	int n;
};

static int series_init(struct series *s, int rounds)
{
	s->apply = calloc((size_t)rounds, sizeof(double));
	s->revert = calloc((size_t)rounds, sizeof(double));
	s->n = 0;
	return s->apply && s->revert ? 0 : -1;
}

static void series_free(struct series *s)
{
	free(s->apply);
	free(s->revert);
}

/* One librtvm apply and revert of @prof, checked. */
static int lib_round(struct rtvm_ctx *ctx, struct rtvm_profile *prof,
		     pid_t pid, const pid_t *tids, bool shield,
		     struct series *s)
{
	struct rtvm_vm *vm = NULL;
	char id[32];
	double t0, t1;
	int r;

	t0 = bench_now_ms();
	r = rtvm_vm_new_from_pid(ctx, pid, &vm);
	if (r == 0)
		r = rtvm_tune_apply(ctx, prof, vm, 0, NULL);
	t1 = bench_now_ms();
	rtvm_vm_unref(vm);
	if (r < 0 || !state_ok(pid, tids, true, shield)) {
		fprintf(stderr, "bench-tune: librtvm apply: %s\n",
			r < 0 ? strerror(-r) : "wrong state");
		return -1;
	}
	s->apply[s->n] = t1 - t0;
	snprintf(id, sizeof(id), "pid-%d", pid);
	t0 = bench_now_ms();
	r = rtvm_tune_revert(ctx, id, 0);
	t1 = bench_now_ms();
	if (r < 0 || !state_ok(pid, tids, false, shield)) {
		fprintf(stderr, "bench-tune: librtvm revert: %s\n",
			r < 0 ? strerror(-r) : "wrong state");
		return -1;
	}
	s->revert[s->n++] = t1 - t0;
	return 0;
}

/* One apply and revert by commands, checked. */
static int cmd_round(int (*apply)(pid_t, const pid_t *),
		     int (*revert)(pid_t, const pid_t *), const char *name,
		     pid_t pid, const pid_t *tids, bool shield,
		     struct series *s)
{
	double t0, t1;
	int r;

	t0 = bench_now_ms();
	r = apply(pid, tids);
	t1 = bench_now_ms();
	if (r < 0 || !state_ok(pid, tids, true, shield)) {
		fprintf(stderr, "bench-tune: %s apply failed\n", name);
		return -1;
	}
	s->apply[s->n] = t1 - t0;
	t0 = bench_now_ms();
	r = revert(pid, tids);
	t1 = bench_now_ms();
	if (r < 0 || !state_ok(pid, tids, false, shield)) {
		fprintf(stderr, "bench-tune: %s revert failed\n", name);
		return -1;
	}
	s->revert[s->n++] = t1 - t0;
	return 0;
}

/*
 * Re-apply and reconcile with nothing to do: the profile is applied, a
 * second rtvm_tune_apply() of it must find it so and write nothing, a
 * reconcile must find no drift.  Each call's result is checked against a
 * snapshot of the journal file and of every setting the profile made.
 */
#define IDLE_CALLS 10 /* timed calls of each kind per round */

/* One thread's settings, as read with bare system calls. */
struct thread_settings {
	unsigned int policy, priority;
	cpu_set_t cpus;
};

/* The VM's: vCPUs 0..NR_VCPUS-1 then the emulator (policy not read). */
struct vm_settings {
	struct thread_settings t[NR_VCPUS + 1];
};

static char lib_journal[96]; /* librtvm's journal of the VM */
static char state_lock_path[96]; /* the state directory's lock */

static int settings_read(pid_t pid, const pid_t *tids, struct vm_settings *vs)
{
	for (int i = 0; i < NR_VCPUS; i++)
		if (bench_getattr(tids[i], &vs->t[i].policy,
				  &vs->t[i].priority) < 0 ||
		    sched_getaffinity(tids[i], sizeof(vs->t[i].cpus),
				      &vs->t[i].cpus) < 0)
			return -1;
	vs->t[NR_VCPUS].policy = vs->t[NR_VCPUS].priority = 0;
	return sched_getaffinity(pid, sizeof(vs->t[NR_VCPUS].cpus),
				 &vs->t[NR_VCPUS].cpus);
}

static bool settings_same(const struct vm_settings *a,
			  const struct vm_settings *b)
{
	for (int i = 0; i <= NR_VCPUS; i++)
		if (a->t[i].policy != b->t[i].policy ||
		    a->t[i].priority != b->t[i].priority ||
		    !CPU_EQUAL(&a->t[i].cpus, &b->t[i].cpus))
			return false;
	return true;
}

/* What a write to the state directory would change: the journal's
 * inode, size and times, the directory's times (a file made, renamed or
 * removed). */
struct files_seen {
	struct stat journal, dir;
};

static int files_read(const char *state, struct files_seen *fs)
{
	return stat(lib_journal, &fs->journal) < 0 || stat(state, &fs->dir) < 0 ?
		       -1 : 0;
}

static bool ts_same(struct timespec a, struct timespec b)
{
	return a.tv_sec == b.tv_sec && a.tv_nsec == b.tv_nsec;
}

static bool files_same(const struct files_seen *a, const struct files_seen *b)
{
	return a->journal.st_ino == b->journal.st_ino &&
	       a->journal.st_size == b->journal.st_size &&
	       ts_same(a->journal.st_mtim, b->journal.st_mtim) &&
	       ts_same(a->journal.st_ctim, b->journal.st_ctim) &&
	       ts_same(a->dir.st_mtim, b->dir.st_mtim) &&
	       ts_same(a->dir.st_ctim, b->dir.st_ctim);
}

/* With a shield, where each task of the scope is: /proc/TID/cgroup of
 * every tid in the two cpusets' tasks files, read and thrown away. */
static int floor_cgroups(void)
{
	static const char *const sub[] = { "rtvm-housekeeping", "rtvm-rt" };
	char path[192], line[4096];
	FILE *f;

	for (size_t k = 0; k < 2; k++) {
		snprintf(path, sizeof(path), CPUSET "/%s/%s/tasks", scope, sub[k]);
		f = fopen(path, "re");
		if (!f)
			return -1;
		while (fgets(line, sizeof(line), f)) {
			int fd;

			snprintf(path, sizeof(path), "/proc/%d/cgroup", atoi(line));
			fd = open(path, O_RDONLY | O_CLOEXEC);
			if (fd < 0)
				continue; /* gone meanwhile */
			while (read(fd, line, sizeof(line)) > 0)
				;
			close(fd);
		}
		fclose(f);
	}
	return 0;
}

/*
 * The floor of a re-apply or reconcile: what neither can skip.  The state
 * directory's lock taken, the journal read once, and the current value of
 * each setting it records read back: sched_getattr + sched_getaffinity
 * per vCPU, the emulator's affinity (with @shield, each task's cgroup).
 * Nothing is parsed or compared.
 */
static int floor_idle(pid_t pid, const pid_t *tids, bool shield)
{
	static char buf[65536];
	struct vm_settings vs;
	int lock, fd, r = 0;
	ssize_t n;

	lock = open(state_lock_path, O_RDWR | O_CLOEXEC);
	if (lock < 0 || flock(lock, LOCK_EX) < 0)
		goto fail;
	fd = open(lib_journal, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		goto fail;
	while ((n = read(fd, buf, sizeof(buf))) > 0)
		;
	close(fd);
	if (n < 0 || settings_read(pid, tids, &vs) < 0 ||
	    (shield && floor_cgroups() < 0))
		r = -1;
	close(lock);
	return r;
fail:
	if (lock >= 0)
		close(lock);
	return -1;
}

/* The figures of the three: one sample per call. */
struct idle_series {
	double *reapply, *reconcile, *floor;
	int n;
	long put_back; /* settings reconcile reported put back: must stay 0 */
};

static int idle_init(struct idle_series *s, int calls)
{
	s->reapply = calloc((size_t)calls, sizeof(double));
	s->reconcile = calloc((size_t)calls, sizeof(double));
	s->floor = calloc((size_t)calls, sizeof(double));
	s->n = 0;
	s->put_back = 0;
	return s->reapply && s->reconcile && s->floor ? 0 : -1;
}

static void idle_free(struct idle_series *s)
{
	free(s->reapply);
	free(s->reconcile);
	free(s->floor);
}

/* How many entries a reconcile document lists ("reconciled": one object
 * with a "kind" per setting put back or failed). */
static long count_reconciled(const char *json)
{
	long n = 0;

	for (const char *p = json; (p = strstr(p, "\"kind\"")); p++)
		n++;
	return n;
}

/* Whether a timed call left everything as it found it; says what not. */
static bool untouched(const char *what, const char *state, pid_t pid,
		      const pid_t *tids, bool shield,
		      const struct files_seen *fs0, const struct vm_settings *vs0)
{
	struct files_seen fs;
	struct vm_settings vs;

	if (files_read(state, &fs) < 0 || !files_same(fs0, &fs)) {
		fprintf(stderr, "bench-tune: %s wrote to the state directory "
				"(the journal or the directory changed)\n", what);
		return false;
	}
	if (settings_read(pid, tids, &vs) < 0 || !settings_same(vs0, &vs) ||
	    !state_ok(pid, tids, true, shield)) {
		fprintf(stderr, "bench-tune: %s changed the VM's settings\n",
			what);
		return false;
	}
	return true;
}

/*
 * One round: @prof applied (untimed), then IDLE_CALLS times each of a
 * re-apply, a reconcile and their floor, in turns (each call starts the
 * turn once in three), each librtvm call checked to have written nothing;
 * then reverted (untimed).
 */
static int idle_round(struct rtvm_ctx *ctx, struct rtvm_profile *prof,
		      const char *state, pid_t pid, const pid_t *tids,
		      bool shield, struct idle_series *s)
{
	struct rtvm_vm *vm = NULL;
	struct files_seen fs0;
	struct vm_settings vs0;
	char id[32];
	int r;

	snprintf(id, sizeof(id), "pid-%d", pid);
	r = rtvm_vm_new_from_pid(ctx, pid, &vm);
	if (r == 0)
		r = rtvm_tune_apply(ctx, prof, vm, 0, NULL);
	if (r < 0 || !state_ok(pid, tids, true, shield) ||
	    files_read(state, &fs0) < 0 || settings_read(pid, tids, &vs0) < 0) {
		fprintf(stderr, "bench-tune: apply before the re-apply: %s\n",
			r < 0 ? strerror(-r) : "wrong state");
		goto fail;
	}
	for (int j = 0; j < IDLE_CALLS; j++) {
		for (int u = 0; u < 3; u++) {
			struct rtvm_plan *plan = NULL;
			char *json = NULL;
			double t0, t1;
			long n;

			switch ((u + j) % 3) {
			case 0:
				t0 = bench_now_ms();
				r = rtvm_tune_apply(ctx, prof, vm, 0, &plan);
				t1 = bench_now_ms();
				if (r < 0 || rtvm_plan_is_applied(plan) != 1 ||
				    rtvm_changeset_get_count(
					    rtvm_plan_get_changes(plan)) != 0 ||
				    rtvm_plan_get_drift_count(plan) != 0) {
					fprintf(stderr, "bench-tune: re-apply: %s\n",
						r < 0 ? strerror(-r) :
							"not found applied, or "
							"with changes or drift");
					rtvm_plan_unref(plan);
					goto fail;
				}
				rtvm_plan_unref(plan);
				if (!untouched("re-apply", state, pid, tids,
					       shield, &fs0, &vs0))
					goto fail;
				s->reapply[s->n] = t1 - t0;
				break;
			case 1:
				t0 = bench_now_ms();
				r = rtvm_tune_reconcile(ctx, id, 0, &json);
				t1 = bench_now_ms();
				n = json ? count_reconciled(json) : 0;
				free(json);
				s->put_back += n;
				if (r < 0 || n != 0) {
					fprintf(stderr, "bench-tune: reconcile: %s\n",
						r < 0 ? strerror(-r) :
							"put settings back");
					goto fail;
				}
				if (!untouched("reconcile", state, pid, tids,
					       shield, &fs0, &vs0))
					goto fail;
				s->reconcile[s->n] = t1 - t0;
				break;
			default:
				t0 = bench_now_ms();
				r = floor_idle(pid, tids, shield);
				t1 = bench_now_ms();
				if (r < 0) {
					fprintf(stderr, "bench-tune: re-read "
							"floor: %s\n",
						strerror(errno));
					goto fail;
				}
				s->floor[s->n] = t1 - t0;
				break;
			}
		}
		s->n++;
	}
	rtvm_vm_unref(vm);
	r = rtvm_tune_revert(ctx, id, 0);
	if (r < 0 || !state_ok(pid, tids, false, shield)) {
		fprintf(stderr, "bench-tune: revert after the re-apply: %s\n",
			r < 0 ? strerror(-r) : "wrong state");
		return -1;
	}
	return 0;
fail:
	rtvm_vm_unref(vm);
	return -1;
}

/* Prints "A/B" of two medians. */
static void ratio(const char *what, double a, double b, const char *goal)
{
	if (a > 0 && b > 0)
		printf("  %-44s %6.2fx%s%s\n", what, a / b, goal ? "  goal " : "",
		       goal ? goal : "");
}

/* The rows of the re-apply and reconcile with nothing to do, their
 * floor, the ratios and the goal. */
static void idle_report(struct idle_series *s)
{
	struct bench_stats st;
	double ra, rc, fl;

	ra = report("librtvm re-apply", s->reapply, s->n);
	rc = report("librtvm reconcile", s->reconcile, s->n);
	fl = report("floor re-read", s->floor, s->n);
	printf("  per call: re-apply %.1f us, reconcile %.1f us, floor %.1f us "
	       "(medians)\n", ra * 1e3, rc * 1e3, fl * 1e3);
	ratio("librtvm / floor, re-apply (median)", ra, fl, NULL);
	ratio("librtvm / floor, reconcile (median)", rc, fl, NULL);
	printf("  %d re-applies and %d reconciles wrote nothing; reconcile "
	       "put back %ld settings\n", s->n, s->n, s->put_back);
	if (bench_stats(s->reapply, (unsigned int)s->n, &st) == 0)
		printf("  goal no writes, < 1 ms for a %d-vCPU VM: re-apply "
		       "median %.3f ms %s, p99 %.3f ms %s\n", NR_VCPUS,
		       st.median, st.median < 1 ? "met" : "not met", st.p99,
		       st.p99 < 1 ? "met" : "not met");
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "threads", required_argument, NULL, 'n' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int rounds = 30, tuna_rounds = 5, rc = 1, opt;
	long nthreads = 0;
	struct series lib = { 0 }, sh = { 0 }, tu = { 0 }, fl = { 0 },
		      libs = { 0 }, shs = { 0 }, fls = { 0 };
	struct idle_series idle = { 0 }, idles = { 0 };
	char state[] = "/run/rtvm-bench.XXXXXX", json[1024];
	struct rtvm_profile *prof = NULL, *sprof = NULL;
	struct bench_vm vm = { 0 }, host = { 0 };
	struct rtvm_ctx *ctx = NULL;
	bool shielded, made = false;
	const pid_t *tids;
	cpu_set_t both;
	pid_t pid;

	while ((opt = getopt_long(argc, argv, "n:h", longopts, NULL)) != -1) {
		if (opt != 'n')
			goto usage;
		nthreads = strtol(optarg, NULL, 10);
		if (nthreads < 0 || nthreads > 100000)
			goto usage;
	}
	if (optind < argc)
		rounds = atoi(argv[optind++]);
	if (optind < argc || rounds < 1 || rounds > 10000)
		goto usage;
	if (series_init(&lib, rounds) || series_init(&sh, rounds) ||
	    series_init(&tu, tuna_rounds) || series_init(&fl, rounds) ||
	    series_init(&libs, rounds) || series_init(&shs, rounds) ||
	    series_init(&fls, rounds) ||
	    idle_init(&idle, rounds * IDLE_CALLS) ||
	    idle_init(&idles, rounds * IDLE_CALLS))
		goto out;
	devnull = open("/dev/null", O_WRONLY | O_CLOEXEC);
	if (devnull < 0 ||
	    bench_vm_start(&vm, "bench-tune", "qemu-system-x86", NR_VCPUS,
			   "CPU %u/KVM") < 0 ||
	    (nthreads > 0 && bench_vm_start(&host, "bench-tune", "bench-idle",
					    (unsigned int)nthreads, NULL) < 0))
		goto out;
	pid = vm.pid;
	tids = vm.tids;
	host_pid = host.pid;
	/* The child starts on CPUs 0-1: what every revert must give back. */
	CPU_ZERO(&both);
	CPU_SET(0, &both);
	CPU_SET(1, &both);
	sched_setaffinity(pid, sizeof(both), &both);
	for (int i = 0; i < NR_VCPUS; i++)
		sched_setaffinity(tids[i], sizeof(both), &both);
	if (!mkdtemp(state)) {
		fprintf(stderr, "bench-tune: mkdtemp %s: %s\n", state,
			strerror(errno));
		goto out;
	}
	made = true;
	snprintf(journal, sizeof(journal), "%s/floor.journal", state);
	snprintf(lib_journal, sizeof(lib_journal), "%s/pid-%d.journal", state,
		 (int)pid);
	snprintf(state_lock_path, sizeof(state_lock_path), "%s/lock", state);
	/* Named after the state directory: unique on the machine, also
	 * when run as pid 1 of a namespace. */
	shielded = scope_make(pid, host.pid, strrchr(state, '.') + 1) == 0;
	if (!shielded) {
		fprintf(stderr, "bench-tune: no cpuset scope (%s): the shielded "
				"runs are left out\n",
			strerror(errno));
		scope_remove();
	}
	snprintf(json, sizeof(json), "%.*s, \"shield\": {\"scope\": \"/%s\"}}",
		 (int)strlen(profile_json) - 1, profile_json, scope);
	if (rtvm_new(&ctx) < 0 || rtvm_set_state_dir(ctx, state) < 0 ||
	    rtvm_profile_new_from_json(ctx, profile_json, &prof) < 0 ||
	    (shielded && rtvm_profile_new_from_json(ctx, json, &sprof) < 0)) {
		fprintf(stderr, "bench-tune: librtvm setup failed\n");
		goto out;
	}
	for (int k = 0; k < rounds; k++) {
		if (lib_round(ctx, prof, pid, tids, false, &lib) ||
		    cmd_round(floor_apply, floor_revert, "floor", pid, tids,
			      false, &fl) ||
		    cmd_round(script_apply, script_revert, "chrt+taskset", pid,
			      tids, false, &sh) ||
		    idle_round(ctx, prof, state, pid, tids, false, &idle))
			goto out;
		if (shielded &&
		    (lib_round(ctx, sprof, pid, tids, true, &libs) ||
		     cmd_round(floor_shield_apply, floor_shield_revert,
			       "floor, shield", pid, tids, true, &fls) ||
		     cmd_round(script_shield_apply, script_shield_revert,
			       "sh+chrt+taskset", pid, tids, true, &shs) ||
		     idle_round(ctx, sprof, state, pid, tids, true, &idles)))
			goto out;
		if (k < tuna_rounds &&
		    cmd_round(tuna_apply, tuna_revert, "tuna", pid, tids, false,
			      &tu)) {
			/* tuna is optional: say so, stop using it. */
			fprintf(stderr, "bench-tune: tuna left out\n");
			tuna_revert(pid, tids);
			script_revert(pid, tids);
			tuna_rounds = 0;
		}
	}
	printf("bench-tune: %d vCPUs FIFO 1 on CPU 1, emulator on CPU 0; "
	       "journal in %s; %ld more host threads in the scope\n", NR_VCPUS,
	       state, nthreads);
	{
		double la = report("librtvm apply", lib.apply, lib.n),
		       lr = report("librtvm revert", lib.revert, lib.n),
		       fa = report("floor apply", fl.apply, fl.n),
		       fr = report("floor revert", fl.revert, fl.n),
		       ca = report("chrt+taskset apply", sh.apply, sh.n),
		       cr = report("chrt+taskset revert", sh.revert, sh.n),
		       ta = report("tuna apply", tu.apply, tu.n),
		       tr = report("tuna revert", tu.revert, tu.n);

		ratio("librtvm / floor, apply (median)", la, fa, "<= 2x");
		ratio("librtvm / floor, revert (median)", lr, fr, "<= 2x");
		ratio("chrt+taskset / librtvm, apply (median)", ca, la, NULL);
		ratio("chrt+taskset / librtvm, revert (median)", cr, lr, NULL);
		ratio("tuna / librtvm, apply (median)", ta, la, NULL);
		ratio("tuna / librtvm, revert (median)", tr, lr, NULL);
	}
	printf("with the profile applied already (%d calls of each per round):\n",
	       IDLE_CALLS);
	idle_report(&idle);
	if (shielded) {
		/* The tasks a shield moves: the host's, the VM's, ours. */
		long moved = nthreads + NR_VCPUS + 2;
		double la, lr, fa, fr, ca, cr;

		printf("with a shield of CPU 1 in cpuset /%s (%ld tasks in it):\n",
		       scope, moved);
		la = report("librtvm apply", libs.apply, libs.n);
		lr = report("librtvm revert", libs.revert, libs.n);
		fa = report("floor apply", fls.apply, fls.n);
		fr = report("floor revert", fls.revert, fls.n);
		ca = report("sh+chrt+taskset apply", shs.apply, shs.n);
		cr = report("sh+chrt+taskset revert", shs.revert, shs.n);
		printf("  per task: librtvm %.2f + %.2f us, floor %.2f + %.2f us\n",
		       la * 1e3 / (double)moved, lr * 1e3 / (double)moved,
		       fa * 1e3 / (double)moved, fr * 1e3 / (double)moved);
		ratio("librtvm / floor, apply (median)", la, fa,
		      "<= 3x for 2,000 threads");
		ratio("librtvm / floor, revert (median)", lr, fr, NULL);
		ratio("sh+chrt+taskset / librtvm, apply (median)", ca, la, NULL);
		ratio("sh+chrt+taskset / librtvm, revert (median)", cr, lr, NULL);
		printf("with the shielded profile applied already:\n");
		idle_report(&idles);
	}
	printf("goal: apply and revert <= 20 ms each (figures, not a verdict)\n");
	rc = 0;
out:
	if (ctx) {
		char id[32];

		snprintf(id, sizeof(id), "pid-%d", vm.pid);
		rtvm_tune_revert(ctx, id, 0); /* after a failure: -ENOENT is fine */
	}
	bench_vm_stop(&vm);
	bench_vm_stop(&host);
	scope_remove();
	if (made) {
		char path[64];

		snprintf(path, sizeof(path), "%s/lock", state);
		unlink(path);
		unlink(journal);
		rmdir(state);
	}
	if (devnull >= 0)
		close(devnull);
	rtvm_profile_unref(prof);
	rtvm_profile_unref(sprof);
	rtvm_unref(ctx);
	series_free(&lib);
	series_free(&sh);
	series_free(&tu);
	series_free(&fl);
	series_free(&libs);
	series_free(&shs);
	series_free(&fls);
	idle_free(&idle);
	idle_free(&idles);
	return rc;
usage:
	fprintf(stderr, "usage: bench-tune [--threads N] [ROUNDS]\n"
			"  N more idle threads in the shield's scope (default "
			"0), ROUNDS (default 30)\n");
	return 2;
}
