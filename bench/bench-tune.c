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
 * Run it through bench/run-bench.sh (BENCH=bench/bench-tune): in a private
 * PID namespace, librtvm and tuna see only the benchmark's processes.
 * The "VM" is a child with four threads named "CPU N/KVM" blocked in
 * pause(); it dies with the benchmark.  Prints figures; exit 0 when the
 * measurements ran, 1 on a setup error.
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

/* Prints "A/B" of two medians. */
static void ratio(const char *what, double a, double b, const char *goal)
{
	if (a > 0 && b > 0)
		printf("  %-44s %6.2fx%s%s\n", what, a / b, goal ? "  goal " : "",
		       goal ? goal : "");
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
	    series_init(&fls, rounds))
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
			      tids, false, &sh))
			goto out;
		if (shielded &&
		    (lib_round(ctx, sprof, pid, tids, true, &libs) ||
		     cmd_round(floor_shield_apply, floor_shield_revert,
			       "floor, shield", pid, tids, true, &fls) ||
		     cmd_round(script_shield_apply, script_shield_revert,
			       "sh+chrt+taskset", pid, tids, true, &shs)))
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
	return rc;
usage:
	fprintf(stderr, "usage: bench-tune [--threads N] [ROUNDS]\n"
			"  N more idle threads in the shield's scope (default "
			"0), ROUNDS (default 30)\n");
	return 2;
}
