/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * bench-sched: apply an RT policy and pinning to every vCPU thread of a
 * 64-vCPU process, three ways, side by side in one run:
 *
 *   librtvm      rtvm_vm_new_from_pid + rtvm_vm_set_sched(vCPU, all,
 *                SCHED_FIFO 1) + rtvm_vm_pin(vCPU, last CPU), recorded in a
 *                changeset
 *   raw          sched_setattr + sched_setaffinity per vCPU tid, the system
 *                calls librtvm makes (the floor: the tids are known in
 *                advance, nothing is read back or recorded)
 *   raw+find     the same after finding the vCPU threads as librtvm must:
 *                the task directory listed, each thread's comm read
 *   chrt+taskset `chrt -f -p 1 TID` and `taskset -p -c CPU TID` per vCPU
 *                tid, each started with posix_spawn and waited for (what
 *                orchestration scripts do today)
 *
 * The "VM" is a child process with 64 threads named "CPU N/KVM" (QEMU's
 * vCPU names) blocked in pause(), plus its main thread.  Every round runs
 * each method once (the order rotates every round) and ends with every
 * thread back at SCHED_OTHER and the child's original affinity, checked,
 * so every method does real work.
 *
 * The program prints figures -- median, p99, max and ratios -- and never
 * passes or fails on time: the exit status is 0 when the measurements ran,
 * 1 on a setup error (not root, no RT runtime, ...), 2 on bad usage.
 *
 * Safety: only the child's threads are changed; the child dies with the
 * benchmark (PR_SET_PDEATHSIG) and is killed at the end.  The threads
 * sleep, so an RT priority on them costs the machine nothing.
 */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <spawn.h>
#include <stdint.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <rtvm/rtvm.h>

#include "bench-util.h"

#define RT_POLICY SCHED_FIFO
#define RT_PRIO 1

enum { M_RTVM, M_RAW, M_RAW_FIND, M_SCRIPT, NR_METHODS };

static unsigned int nr_vcpus = 64;
static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

/* ---- state checks (never timed) --------------------------------------- */

/*
 * Check that every vCPU thread is at SCHED_FIFO 1 on @rt_cpu only (@rt) or
 * at SCHED_OTHER with affinity @full (!@rt).  Says what differs.
 */
static int check_state(const pid_t *tids, bool rt, int rt_cpu,
		       const cpu_set_t *full, const char *what)
{
	for (unsigned int i = 0; i < nr_vcpus; i++) {
		struct sched_param sp;
		cpu_set_t set, want;
		int pol = sched_getscheduler(tids[i]);

		if (pol < 0 || sched_getparam(tids[i], &sp) < 0 ||
		    sched_getaffinity(tids[i], sizeof(set), &set) < 0) {
			fprintf(stderr, "bench-sched: %s: thread %d: %s\n", what,
				(int)tids[i], strerror(errno));
			return -1;
		}
		if (rt) {
			CPU_ZERO(&want);
			CPU_SET(rt_cpu, &want);
		} else {
			want = *full;
		}
		if (pol != (rt ? RT_POLICY : SCHED_OTHER) ||
		    sp.sched_priority != (rt ? RT_PRIO : 0) ||
		    !CPU_EQUAL(&set, &want)) {
			fprintf(stderr,
				"bench-sched: %s: thread %d (CPU %u/KVM) has "
				"policy %d priority %d and %d CPUs; expected "
				"policy %d priority %d and %d CPUs\n",
				what, (int)tids[i], i, pol, sp.sched_priority,
				CPU_COUNT(&set), rt ? RT_POLICY : SCHED_OTHER,
				rt ? RT_PRIO : 0, CPU_COUNT(&want));
			return -1;
		}
	}
	return 0;
}

/* Put every vCPU thread back at SCHED_OTHER and @full, with system calls. */
static int undo_raw(const pid_t *tids, const cpu_set_t *full)
{
	struct sched_param sp = { .sched_priority = 0 };
	int ret = 0;

	for (unsigned int i = 0; i < nr_vcpus; i++) {
		if (sched_setscheduler(tids[i], SCHED_OTHER, &sp) < 0 ||
		    sched_setaffinity(tids[i], sizeof(*full), full) < 0)
			ret = -errno;
	}
	return ret;
}

/* ---- the methods -------------------------------------------------------- */

struct rtvm_run {
	struct rtvm_ctx *ctx;
	struct rtvm_cpumask *last; /* the last CPU */
	pid_t child;
};

/*
 * librtvm: discover, set the policy, pin, into a changeset.  @ms is the
 * whole, @discover_ms rtvm_vm_new_from_pid alone; then the changeset is
 * restored (@restore_ms) and everything freed, untimed.
 */
static int run_rtvm(struct rtvm_run *rr, const pid_t *tids, int rt_cpu,
		    const cpu_set_t *full, double *ms, double *discover_ms,
		    double *restore_ms)
{
	const struct rtvm_sched_attr attr = {
		.size = sizeof(attr),
		.policy = RT_POLICY,
		.priority = RT_PRIO,
	};
	struct rtvm_changeset *cs = NULL;
	struct rtvm_vm *vm = NULL;
	unsigned int skipped = 0;
	double t0, t1, t2;
	const char *step;
	int r;

	t0 = bench_now_ms();
	step = "rtvm_changeset_new";
	r = rtvm_changeset_new(rr->ctx, &cs);
	if (r == 0) {
		step = "rtvm_vm_new_from_pid";
		t1 = bench_now_ms();
		r = rtvm_vm_new_from_pid(rr->ctx, rr->child, &vm);
		*discover_ms = bench_now_ms() - t1;
	}
	if (r == 0) {
		step = "rtvm_vm_set_sched";
		r = rtvm_vm_set_sched(vm, RTVM_VM_ROLE_VCPU, NULL, &attr, 0, cs,
				      &skipped);
	}
	if (r == 0) {
		step = "rtvm_vm_pin";
		r = rtvm_vm_pin(vm, RTVM_VM_ROLE_VCPU, rr->last, 0, cs, &skipped);
	}
	t2 = bench_now_ms();
	*ms = t2 - t0;
	if (r < 0) {
		fprintf(stderr, "bench-sched: %s: %s\n", step, strerror(-r));
		if (r == -EPERM && strcmp(step, "rtvm_vm_set_sched") == 0)
			fprintf(stderr,
				"bench-sched: SCHED_FIFO was refused: the cpu "
				"cgroup of this process has no RT runtime "
				"(CONFIG_RT_GROUP_SCHED; cpu.rt_runtime_us is 0)\n");
	} else if (skipped || rtvm_vm_get_nr_vcpus(vm) != nr_vcpus ||
		   rtvm_changeset_get_count(cs) != 2 * nr_vcpus) {
		fprintf(stderr,
			"bench-sched: librtvm found %u vCPUs, skipped %u, "
			"recorded %u changes; expected %d, 0, %d\n",
			rtvm_vm_get_nr_vcpus(vm), skipped,
			rtvm_changeset_get_count(cs), nr_vcpus, 2 * nr_vcpus);
		r = -EIO;
	}
	if (r == 0 && check_state(tids, true, rt_cpu, full,
				  "after librtvm") < 0)
		r = -EIO;
	/* Restore: timed on its own, never part of the apply time. */
	if (cs) {
		int rr2;

		t1 = bench_now_ms();
		rr2 = rtvm_changeset_restore(cs, 0);
		*restore_ms = bench_now_ms() - t1;
		if (rr2 < 0) {
			fprintf(stderr, "bench-sched: rtvm_changeset_restore: "
					"%s\n",
				strerror(-rr2));
			if (r == 0)
				r = rr2;
		}
	}
	rtvm_vm_unref(vm);
	rtvm_changeset_unref(cs);
	if (r < 0)
		undo_raw(tids, full); /* whatever happened, leave no RT */
	return r;
}

/* Raw system calls: the floor.  The same two calls librtvm makes per
 * thread to change it: sched_setattr(2) and sched_setaffinity(2). */
static int run_raw(const pid_t *tids, int rt_cpu, double *ms)
{
	cpu_set_t one;
	double t0;

	CPU_ZERO(&one);
	CPU_SET(rt_cpu, &one);
	t0 = bench_now_ms();
	for (unsigned int i = 0; i < nr_vcpus; i++) {
		int e = -bench_setattr(tids[i], RT_POLICY, RT_PRIO);

		if (!e && sched_setaffinity(tids[i], sizeof(one), &one) < 0)
			e = errno;
		if (e) {
			fprintf(stderr, "bench-sched: thread %d: %s\n",
				(int)tids[i], strerror(e));
			return -e;
		}
	}
	*ms = bench_now_ms() - t0;
	return 0;
}

/* The floor with the discovery no tool can skip: list the process's task
 * directory and read each thread's comm to find the vCPUs ("CPU N/..."),
 * then the two calls per vCPU. */
static int run_raw_find(pid_t pid, int rt_cpu, double *ms)
{
	unsigned int found = 0;
	char path[64], comm[64];
	struct dirent *de;
	cpu_set_t one;
	double t0;
	int dfd, e = 0;
	DIR *d;

	CPU_ZERO(&one);
	CPU_SET(rt_cpu, &one);
	t0 = bench_now_ms();
	snprintf(path, sizeof(path), "/proc/%d/task", (int)pid);
	dfd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	d = dfd >= 0 ? fdopendir(dfd) : NULL;
	if (!d) {
		e = errno;
		if (dfd >= 0)
			close(dfd);
		fprintf(stderr, "bench-sched: %s: %s\n", path, strerror(e));
		return -e;
	}
	while (!e && (de = readdir(d))) {
		pid_t tid = (pid_t)atoi(de->d_name);
		ssize_t n;
		int fd;

		if (tid <= 0)
			continue;
		snprintf(path, sizeof(path), "%d/comm", (int)tid);
		fd = openat(dfd, path, O_RDONLY | O_CLOEXEC);
		n = fd >= 0 ? read(fd, comm, sizeof(comm)) : -1;
		if (fd >= 0)
			close(fd);
		if (n < 4 || strncmp(comm, "CPU ", 4) != 0)
			continue;
		e = -bench_setattr(tid, RT_POLICY, RT_PRIO);
		if (!e && sched_setaffinity(tid, sizeof(one), &one) < 0)
			e = errno;
		found++;
	}
	closedir(d);
	*ms = bench_now_ms() - t0;
	if (!e && found != nr_vcpus)
		e = ESRCH;
	if (e)
		fprintf(stderr, "bench-sched: raw+find: %u vCPU threads found: "
			"%s\n", found, strerror(e));
	return -e;
}

/* The script way: chrt and taskset per thread. */
static int run_script(const pid_t *tids, int rt_cpu, int devnull,
		      bool keep_stderr, double *ms)
{
	char tid[16], cpu[16], prio[16];
	char *chrt_argv[] = { "chrt", "-f", "-p", prio, tid, NULL };
	char *taskset_argv[] = { "taskset", "-p", "-c", cpu, tid, NULL };
	double t0;

	snprintf(prio, sizeof(prio), "%d", RT_PRIO);
	snprintf(cpu, sizeof(cpu), "%d", rt_cpu);
	t0 = bench_now_ms();
	for (unsigned int i = 0; i < nr_vcpus; i++) {
		int r;

		snprintf(tid, sizeof(tid), "%d", (int)tids[i]);
		r = bench_spawn_wait(chrt_argv, devnull,
				     keep_stderr ? -1 : devnull);
		if (r == 0)
			r = bench_spawn_wait(taskset_argv, devnull,
					     keep_stderr ? -1 : devnull);
		if (r != 0) {
			if (r < 0)
				fprintf(stderr, "bench-sched: cannot start "
						"chrt/taskset: %s\n",
					strerror(-r));
			else
				fprintf(stderr, "bench-sched: chrt/taskset on "
						"thread %d: wait status %#x\n",
					(int)tids[i], r);
			return -EIO;
		}
	}
	*ms = bench_now_ms() - t0;
	return 0;
}

/* ---- main ------------------------------------------------------------- */

static void usage(FILE *f)
{
	fprintf(f,
		"Usage: bench-sched [OPTION]...\n"
		"Time applying SCHED_FIFO 1 and pinning to the N vCPU threads of\n"
		"a child process: librtvm vs the floor (raw system calls) vs\n"
		"chrt+taskset.\n\n"
		"  -n, --vcpus N        vCPU threads (default 64)\n"
		"  -r, --runs N         rounds (default 15)\n"
		"  -s, --script-runs N  rounds of chrt+taskset, which spawns two\n"
		"                       processes per thread (default: --runs)\n"
		"  -h, --help           this help\n\n"
		"Needs root.  Exit status: 0 when the measurements ran, 1 on a\n"
		"setup error, 2 for bad usage.  Time never makes it fail.\n");
}

static bool parse_long(const char *s, long lo, long hi, long *ret)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || end == s || *end || v < lo || v > hi)
		return false;
	*ret = v;
	return true;
}

/* Can we set an RT policy at all?  One thread, then back. */
static int probe_rt(const pid_t *tids, const cpu_set_t *full)
{
	struct sched_param sp = { .sched_priority = RT_PRIO };

	if (sched_setscheduler(tids[0], RT_POLICY, &sp) < 0) {
		int e = errno;

		if (e == EPERM)
			fprintf(stderr,
				"bench-sched: SCHED_FIFO is refused (EPERM) even "
				"as root: the cpu cgroup of this process has no "
				"RT runtime (CONFIG_RT_GROUP_SCHED with "
				"cpu.rt_runtime_us 0); run it from a cgroup that "
				"has RT runtime\n");
		else
			fprintf(stderr, "bench-sched: sched_setscheduler: %s\n",
				strerror(e));
		return -1;
	}
	if (undo_raw(tids, full) < 0) {
		fprintf(stderr, "bench-sched: cannot undo: %s\n",
			strerror(errno));
		return -1;
	}
	return 0;
}

int main(int argc, char *argv[])
{
	static const struct option longopts[] = {
		{ "vcpus", required_argument, NULL, 'n' },
		{ "runs", required_argument, NULL, 'r' },
		{ "script-runs", required_argument, NULL, 's' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	static const char *const names[NR_METHODS] = {
		[M_RTVM] = "librtvm", [M_RAW] = "floor (raw syscalls)",
		[M_RAW_FIND] = "floor+discover", [M_SCRIPT] = "chrt+taskset",
	};
	struct bench_series m[NR_METHODS], discover, apply, restore;
	struct rtvm_run rr = { 0 };
	struct bench_vm vm = { 0 };
	bool have_full = false;
	cpu_set_t full;
	struct sigaction sa;
	struct utsname u;
	long runs = 15, script_runs = -1, n = 64;
	int opt, r, ret = 1, devnull = -1, rt_cpu = -1;
	pid_t *tids;

	while ((opt = getopt_long(argc, argv, "n:r:s:h", longopts, NULL)) !=
	       -1) {
		switch (opt) {
		case 'n':
			if (!parse_long(optarg, 1, 100000, &n))
				goto bad_usage;
			break;
		case 'r':
			if (!parse_long(optarg, 1, 100000, &runs))
				goto bad_usage;
			break;
		case 's':
			if (!parse_long(optarg, 0, 100000, &script_runs))
				goto bad_usage;
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
	if (script_runs < 0 || script_runs > runs)
		script_runs = runs;
	nr_vcpus = (unsigned int)n;

	if (geteuid() != 0) {
		fprintf(stderr,
			"bench-sched: needs root: it gives the threads of its "
			"own child an RT policy (CAP_SYS_NICE); run it as root\n");
		return 1;
	}
	for (int i = 0; i < NR_METHODS; i++)
		bench_series_init(&m[i], names[i], (unsigned int)runs);
	bench_series_init(&discover, "  librtvm discover", (unsigned int)runs);
	bench_series_init(&apply, "  librtvm apply", (unsigned int)runs);
	bench_series_init(&restore, "librtvm restore", (unsigned int)runs);
	if (!m[0].ms || !m[1].ms || !m[2].ms || !m[3].ms || !discover.ms ||
	    !apply.ms || !restore.ms) {
		fprintf(stderr, "bench-sched: out of memory\n");
		goto out;
	}

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);

	devnull = open("/dev/null", O_RDWR | O_CLOEXEC);
	if (devnull < 0) {
		fprintf(stderr, "bench-sched: /dev/null: %s\n", strerror(errno));
		goto out;
	}
	r = rtvm_new(&rr.ctx);
	if (r == 0)
		r = rtvm_cpumask_new(rr.ctx, &rr.last);
	if (r < 0) {
		fprintf(stderr, "bench-sched: librtvm: %s\n", strerror(-r));
		goto out;
	}

	fprintf(stderr, "starting a child with %u vCPU threads...\n",
		nr_vcpus);
	if (bench_vm_start(&vm, "bench-sched", "bench-vmm", nr_vcpus,
			   "CPU %u/KVM") < 0)
		goto out;
	rr.child = vm.pid;
	tids = vm.tids;

	/* The full affinity is what the child got; the target is its last
	 * CPU. */
	if (sched_getaffinity(tids[0], sizeof(full), &full) < 0) {
		fprintf(stderr, "bench-sched: sched_getaffinity: %s\n",
			strerror(errno));
		goto out;
	}
	have_full = true;
	for (int c = 0; c < CPU_SETSIZE; c++)
		if (CPU_ISSET(c, &full))
			rt_cpu = c;
	if (rt_cpu < 0 || CPU_COUNT(&full) < 2)
		fprintf(stderr, "note: the child may run on %d CPU(s) only; "
				"pinning to CPU %d changes nothing in the kernel "
				"but is still made\n",
			CPU_COUNT(&full), rt_cpu);
	rtvm_cpumask_set(rr.last, (unsigned int)rt_cpu);
	if (check_state(tids, false, rt_cpu, &full, "at the start") < 0 ||
	    probe_rt(tids, &full) < 0)
		goto out;

	/* A warm-up round, untimed: it checks that every method works here
	 * (chrt and taskset included) and warms the caches. */
	{
		double a, b, c;

		fprintf(stderr, "warm-up round...\n");
		if (run_rtvm(&rr, tids, rt_cpu, &full, &a, &b, &c) < 0)
			goto out;
		if (check_state(tids, false, rt_cpu, &full,
				"after librtvm's restore") < 0)
			goto out;
		r = run_raw(tids, rt_cpu, &a);
		if (r == 0)
			r = check_state(tids, true, rt_cpu, &full, "after raw");
		undo_raw(tids, &full);
		if (r < 0)
			goto out;
		r = run_raw_find(vm.pid, rt_cpu, &a);
		if (r == 0)
			r = check_state(tids, true, rt_cpu, &full,
					"after raw+find");
		undo_raw(tids, &full);
		if (r < 0)
			goto out;
		if (script_runs) {
			r = run_script(tids, rt_cpu, devnull, true, &a);
			if (r == 0)
				r = check_state(tids, true, rt_cpu, &full,
						"after chrt+taskset");
			undo_raw(tids, &full);
			if (r < 0)
				goto out;
		}
	}

	fprintf(stderr, "%ld rounds (%ld with chrt+taskset)...\n", runs,
		script_runs);
	for (long round = 0; round < runs && !stop; round++) {
		for (int k = 0; k < NR_METHODS && !stop; k++) {
			int meth = (int)((round + k) % NR_METHODS);
			double ms = 0, dms = 0, rms = 0;

			switch (meth) {
			case M_RTVM:
				r = run_rtvm(&rr, tids, rt_cpu, &full, &ms, &dms,
					     &rms);
				if (r == 0) {
					bench_series_add(&discover, dms);
					bench_series_add(&apply, ms - dms);
					bench_series_add(&restore, rms);
				}
				break;
			case M_RAW:
				r = run_raw(tids, rt_cpu, &ms);
				if (r == 0)
					r = check_state(tids, true, rt_cpu, &full,
							"after raw");
				undo_raw(tids, &full);
				break;
			case M_RAW_FIND:
				r = run_raw_find(vm.pid, rt_cpu, &ms);
				if (r == 0)
					r = check_state(tids, true, rt_cpu, &full,
							"after raw+find");
				undo_raw(tids, &full);
				break;
			default:
				if (round >= script_runs)
					continue;
				r = run_script(tids, rt_cpu, devnull, false, &ms);
				if (r == 0)
					r = check_state(tids, true, rt_cpu, &full,
							"after chrt+taskset");
				undo_raw(tids, &full);
				break;
			}
			if (r < 0)
				goto out;
			/* Every round ends with everything back. */
			if (check_state(tids, false, rt_cpu, &full,
					"after the undo") < 0)
				goto out;
			bench_series_add(&m[meth], ms);
		}
	}
	if (stop)
		fprintf(stderr, "interrupted: printing what was measured\n");

	if (uname(&u) < 0)
		snprintf(u.release, sizeof(u.release), "unknown");
	printf("bench-sched: SCHED_FIFO %d + pinning to CPU %d of %u vCPU "
	       "threads, librtvm %s, kernel %s, %ld online CPUs\n\n",
	       RT_PRIO, rt_cpu, nr_vcpus, rtvm_version(), u.release,
	       sysconf(_SC_NPROCESSORS_ONLN));
	bench_row_header("thread");
	bench_row(&m[M_RTVM], nr_vcpus);
	bench_row(&discover, nr_vcpus);
	bench_row(&apply, nr_vcpus);
	bench_row(&m[M_RAW], nr_vcpus);
	bench_row(&m[M_RAW_FIND], nr_vcpus);
	bench_row(&m[M_SCRIPT], nr_vcpus);
	printf("\n");
	bench_row(&restore, nr_vcpus);
	printf("  (rtvm_changeset_restore, timed apart; not in the librtvm "
	       "row)\n");
	printf("\nlibrtvm      = rtvm_changeset_new + rtvm_vm_new_from_pid + "
	       "rtvm_vm_set_sched(vCPU, all, FIFO %d) + rtvm_vm_pin(vCPU, CPU "
	       "%d); discover = rtvm_vm_new_from_pid alone, apply = the rest\n",
	       RT_PRIO, rt_cpu);
	printf("floor        = sched_setattr + sched_setaffinity per vCPU "
	       "tid (tids known beforehand, nothing read back or recorded)\n");
	printf("floor+discover = the same after listing /proc/PID/task and "
	       "reading each thread's comm (how any tool finds the vCPUs)\n");
	printf("chrt+taskset = posix_spawn + wait of `chrt -f -p %d TID` and "
	       "`taskset -p -c %d TID` per vCPU tid\n",
	       RT_PRIO, rt_cpu);
	printf("\nratios of medians (figures, not a verdict):\n");
	bench_ratio("librtvm/floor", &m[M_RTVM], &m[M_RAW], "<= 2x");
	bench_ratio("librtvm apply only/floor", &apply, &m[M_RAW], "<= 2x");
	bench_ratio("librtvm/floor+discover", &m[M_RTVM], &m[M_RAW_FIND],
		    "<= 2x");
	bench_ratio("chrt+taskset/librtvm", &m[M_SCRIPT], &m[M_RTVM], NULL);
	if (nr_vcpus == 64 && bench_series_stats(&m[M_RTVM]))
		printf("  librtvm total %.3f ms (goal for 64 vCPUs: <= 1 ms)\n",
		       m[M_RTVM].st.median);
	ret = 0;
out:
	if (vm.pid > 0 && have_full)
		undo_raw(vm.tids, &full); /* harmless if already back */
	bench_vm_stop(&vm);
	if (devnull >= 0)
		close(devnull);
	rtvm_cpumask_free(rr.last);
	rtvm_unref(rr.ctx);
	for (int i = 0; i < NR_METHODS; i++)
		bench_series_free(&m[i]);
	bench_series_free(&discover);
	bench_series_free(&apply);
	bench_series_free(&restore);
	return ret;

bad_usage:
	usage(stderr);
	return 2;
}
