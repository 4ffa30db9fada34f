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

#include "stats.h"

extern char **environ;

#define NR_VCPUS 64
#define RT_POLICY SCHED_FIFO
#define RT_PRIO 1
#define SPAWN_TIMEOUT_MS 30000

enum { M_RTVM, M_RAW, M_SCRIPT, NR_METHODS };

struct series {
	const char *name;
	double *ms;
	unsigned int n;
	double median, p99, max, min;
};

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

/* ---- the child: a fake QEMU with 64 vCPU threads ----------------------- */

static void *vcpu_thread(void *arg)
{
	char name[16];

	snprintf(name, sizeof(name), "CPU %ld/KVM", (long)(intptr_t)arg);
	pthread_setname_np(pthread_self(), name);
	for (;;)
		pause(); /* every signal is blocked: only SIGKILL ends us */
	return NULL;
}

static void __attribute__((noreturn)) child_main(int fd, pid_t parent)
{
	pthread_attr_t attr;
	sigset_t all;
	int err;

	if (prctl(PR_SET_PDEATHSIG, SIGKILL) < 0 || getppid() != parent)
		_exit(1);
	prctl(PR_SET_NAME, "bench-vmm");
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, NULL); /* inherited by threads */
	err = pthread_attr_init(&attr);
	if (err == 0)
		err = pthread_attr_setstacksize(&attr, 64 * 1024);
	if (err == 0)
		err = pthread_attr_setdetachstate(&attr,
						  PTHREAD_CREATE_DETACHED);
	for (long i = 0; err == 0 && i < NR_VCPUS; i++) {
		pthread_t th;

		err = pthread_create(&th, &attr, vcpu_thread, (void *)(intptr_t)i);
	}
	if (write(fd, &err, sizeof(err)) != (ssize_t)sizeof(err) || err)
		_exit(1);
	close(fd);
	for (;;)
		pause();
}

static void kill_child(pid_t *child)
{
	if (*child > 0) {
		kill(*child, SIGKILL);
		while (waitpid(*child, NULL, 0) < 0 && errno == EINTR)
			;
		*child = 0;
	}
}

/*
 * Read the vCPU tids of @pid from /proc/PID/task/TID/comm: tids[i] runs
 * "CPU i/KVM".  Returns how many threads the process has (all of them),
 * or -1.
 */
static int read_vcpu_tids(pid_t pid, pid_t *tids)
{
	char path[384], comm[64];
	struct dirent *de;
	int total = 0;
	DIR *d;

	for (int i = 0; i < NR_VCPUS; i++)
		tids[i] = 0;
	snprintf(path, sizeof(path), "/proc/%d/task", (int)pid);
	d = opendir(path);
	if (!d)
		return -1;
	while ((de = readdir(d))) {
		FILE *f;
		int idx;

		if (de->d_name[0] == '.')
			continue;
		total++;
		snprintf(path, sizeof(path), "/proc/%d/task/%s/comm", (int)pid,
			 de->d_name);
		f = fopen(path, "re");
		if (!f)
			continue;
		if (fgets(comm, sizeof(comm), f) &&
		    sscanf(comm, "CPU %d/KVM", &idx) == 1 && idx >= 0 &&
		    idx < NR_VCPUS)
			tids[idx] = (pid_t)atoi(de->d_name);
		fclose(f);
	}
	closedir(d);
	return total;
}

/* Fork the child and wait until its 64 named vCPU threads and its main
 * thread exist in /proc. */
static int start_child(pid_t *ret, pid_t *tids)
{
	pid_t parent = getpid(), pid;
	struct pollfd pfd;
	double deadline;
	int p[2], r, err = -1;

	if (pipe2(p, O_CLOEXEC) < 0) {
		fprintf(stderr, "bench-sched: pipe: %s\n", strerror(errno));
		return -1;
	}
	fflush(NULL);
	pid = fork();
	if (pid < 0) {
		fprintf(stderr, "bench-sched: fork: %s\n", strerror(errno));
		close(p[0]);
		close(p[1]);
		return -1;
	}
	if (pid == 0) {
		close(p[0]);
		child_main(p[1], parent);
	}
	close(p[1]);
	*ret = pid;
	pfd = (struct pollfd){ .fd = p[0], .events = POLLIN };
	do
		r = poll(&pfd, 1, SPAWN_TIMEOUT_MS);
	while (r < 0 && errno == EINTR && !stop);
	if (r <= 0 || read(p[0], &err, sizeof(err)) != (ssize_t)sizeof(err)) {
		close(p[0]);
		fprintf(stderr, "bench-sched: the child did not report (%s)\n",
			r == 0 ? "timeout" : "it died");
		return -1;
	}
	close(p[0]);
	if (err) {
		fprintf(stderr, "bench-sched: the child cannot create its "
				"threads: %s\n",
			strerror(err));
		return -1;
	}
	/* The names are set by the threads themselves: wait until /proc
	 * shows all 65 threads and every "CPU N/KVM". */
	deadline = bench_now_ms() + SPAWN_TIMEOUT_MS;
	for (;;) {
		int total = read_vcpu_tids(pid, tids), named = 0;

		for (int i = 0; i < NR_VCPUS; i++)
			named += tids[i] > 0;
		if (total == NR_VCPUS + 1 && named == NR_VCPUS)
			return 0;
		if (stop || bench_now_ms() > deadline) {
			fprintf(stderr,
				"bench-sched: the child has %d threads, %d named "
				"like vCPUs; expected %d and %d\n",
				total, named, NR_VCPUS + 1, NR_VCPUS);
			return -1;
		}
		usleep(1000);
	}
}

/* ---- state checks (never timed) --------------------------------------- */

/*
 * Check that every vCPU thread is at SCHED_FIFO 1 on @rt_cpu only (@rt) or
 * at SCHED_OTHER with affinity @full (!@rt).  Says what differs.
 */
static int check_state(const pid_t *tids, bool rt, int rt_cpu,
		       const cpu_set_t *full, const char *what)
{
	for (int i = 0; i < NR_VCPUS; i++) {
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
				"bench-sched: %s: thread %d (CPU %d/KVM) has "
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

	for (int i = 0; i < NR_VCPUS; i++) {
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
	} else if (skipped || rtvm_vm_get_nr_vcpus(vm) != NR_VCPUS ||
		   rtvm_changeset_get_count(cs) != 2 * NR_VCPUS) {
		fprintf(stderr,
			"bench-sched: librtvm found %u vCPUs, skipped %u, "
			"recorded %u changes; expected %d, 0, %d\n",
			rtvm_vm_get_nr_vcpus(vm), skipped,
			rtvm_changeset_get_count(cs), NR_VCPUS, 2 * NR_VCPUS);
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

/* The kernel's struct sched_attr (v0, 48 bytes), as librtvm passes it. */
struct raw_sched_attr {
	uint32_t size, policy;
	uint64_t flags;
	int32_t nice;
	uint32_t priority;
	uint64_t runtime, deadline, period;
};

/* Raw system calls: the floor.  The same two calls librtvm makes per
 * thread to change it: sched_setattr(2) and sched_setaffinity(2). */
static int run_raw(const pid_t *tids, int rt_cpu, double *ms)
{
	const struct raw_sched_attr attr = {
		.size = sizeof(attr),
		.policy = RT_POLICY,
		.priority = RT_PRIO,
	};
	cpu_set_t one;
	double t0;

	CPU_ZERO(&one);
	CPU_SET(rt_cpu, &one);
	t0 = bench_now_ms();
	for (int i = 0; i < NR_VCPUS; i++) {
		if (syscall(SYS_sched_setattr, tids[i], &attr, 0) < 0 ||
		    sched_setaffinity(tids[i], sizeof(one), &one) < 0) {
			int e = errno;

			fprintf(stderr, "bench-sched: thread %d: %s\n",
				(int)tids[i], strerror(e));
			return -e;
		}
	}
	*ms = bench_now_ms() - t0;
	return 0;
}

/* Spawn argv with stdout (and stderr unless @keep_stderr) on /dev/null,
 * wait; returns the wait status or -errno. */
static int spawn_wait(char *const argv[], int devnull, bool keep_stderr)
{
	posix_spawn_file_actions_t fa;
	int status = 0, r;
	pid_t pid;

	r = posix_spawn_file_actions_init(&fa);
	if (r == 0)
		r = posix_spawn_file_actions_adddup2(&fa, devnull,
						     STDOUT_FILENO);
	if (r == 0 && !keep_stderr)
		r = posix_spawn_file_actions_adddup2(&fa, devnull,
						     STDERR_FILENO);
	if (r == 0)
		r = posix_spawnp(&pid, argv[0], &fa, NULL, argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	if (r != 0)
		return -r;
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return -errno;
	return status;
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
	for (int i = 0; i < NR_VCPUS; i++) {
		int r;

		snprintf(tid, sizeof(tid), "%d", (int)tids[i]);
		r = spawn_wait(chrt_argv, devnull, keep_stderr);
		if (r == 0)
			r = spawn_wait(taskset_argv, devnull, keep_stderr);
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

/* ---- statistics and output -------------------------------------------- */

static void compute_stats(struct series *s)
{
	struct bench_stats st;

	if (bench_stats(s->ms, s->n, &st) == 0) {
		s->median = st.median;
		s->p99 = st.p99;
		s->min = st.min;
		s->max = st.max;
	}
}

static void print_row(const struct series *s)
{
	printf("%-22s %4u %10.3f %10.3f %10.3f %12.2f\n", s->name, s->n,
	       s->median, s->p99, s->max, s->median * 1e3 / NR_VCPUS);
}

static void usage(FILE *f)
{
	fprintf(f,
		"Usage: bench-sched [OPTION]...\n"
		"Time applying SCHED_FIFO 1 and pinning to the 64 vCPU threads of\n"
		"a child process: librtvm vs raw system calls vs chrt+taskset.\n\n"
		"  -r, --runs N    rounds (default 15)\n"
		"  -h, --help      this help\n\n"
		"Needs root.  Exit status: 0 when the measurements ran, 1 on a\n"
		"setup error, 2 for bad usage.  Time never makes it fail.\n");
}

int main(int argc, char *argv[])
{
	static const struct option longopts[] = {
		{ "runs", required_argument, NULL, 'r' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct series m[NR_METHODS] = {
		[M_RTVM] = { .name = "librtvm" },
		[M_RAW] = { .name = "raw syscalls" },
		[M_SCRIPT] = { .name = "chrt+taskset" },
	};
	struct series discover = { .name = "  librtvm discover" };
	struct series apply = { .name = "  librtvm apply" };
	struct series restore = { .name = "librtvm restore" };
	struct rtvm_run rr = { 0 };
	pid_t tids[NR_VCPUS] = { 0 };
	bool have_full = false;
	cpu_set_t full;
	struct sigaction sa;
	struct utsname u;
	long runs = 15;
	int opt, r, ret = 1, devnull = -1, rt_cpu = -1;
	pid_t child = 0;

	while ((opt = getopt_long(argc, argv, "r:h", longopts, NULL)) != -1) {
		char *end;

		switch (opt) {
		case 'r':
			errno = 0;
			runs = strtol(optarg, &end, 10);
			if (errno || end == optarg || *end || runs < 1 ||
			    runs > 100000)
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

	if (geteuid() != 0) {
		fprintf(stderr,
			"bench-sched: needs root: it gives the threads of its "
			"own child an RT policy (CAP_SYS_NICE); run it as root\n");
		return 1;
	}
	for (int i = 0; i < NR_METHODS; i++)
		m[i].ms = calloc((size_t)runs, sizeof(double));
	discover.ms = calloc((size_t)runs, sizeof(double));
	apply.ms = calloc((size_t)runs, sizeof(double));
	restore.ms = calloc((size_t)runs, sizeof(double));
	if (!m[0].ms || !m[1].ms || !m[2].ms || !discover.ms || !apply.ms ||
	    !restore.ms) {
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

	fprintf(stderr, "starting a child with %d vCPU threads...\n", NR_VCPUS);
	if (start_child(&child, tids) < 0)
		goto out;
	rr.child = child;

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
	if (check_state(tids, false, rt_cpu, &full, "at the start") < 0)
		goto out;

	/* Can we set an RT policy at all?  One thread, then back. */
	{
		struct sched_param sp = { .sched_priority = RT_PRIO };

		if (sched_setscheduler(tids[0], RT_POLICY, &sp) < 0) {
			int e = errno;

			if (e == EPERM)
				fprintf(stderr,
					"bench-sched: SCHED_FIFO is refused "
					"(EPERM) even as root: the cpu cgroup of "
					"this process has no RT runtime "
					"(CONFIG_RT_GROUP_SCHED with "
					"cpu.rt_runtime_us 0); run it from a "
					"cgroup that has RT runtime\n");
			else
				fprintf(stderr, "bench-sched: "
						"sched_setscheduler: %s\n",
					strerror(e));
			goto out;
		}
		if (undo_raw(tids, &full) < 0) {
			fprintf(stderr, "bench-sched: cannot undo: %s\n",
				strerror(errno));
			goto out;
		}
	}

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
		r = run_script(tids, rt_cpu, devnull, true, &a);
		if (r == 0)
			r = check_state(tids, true, rt_cpu, &full,
					"after chrt+taskset");
		undo_raw(tids, &full);
		if (r < 0)
			goto out;
	}

	fprintf(stderr, "%ld rounds...\n", runs);
	for (long round = 0; round < runs && !stop; round++) {
		for (int k = 0; k < NR_METHODS && !stop; k++) {
			int meth = (int)((round + k) % NR_METHODS);
			double ms = 0, dms = 0, rms = 0;

			switch (meth) {
			case M_RTVM:
				r = run_rtvm(&rr, tids, rt_cpu, &full, &ms, &dms,
					     &rms);
				if (r == 0) {
					discover.ms[discover.n++] = dms;
					apply.ms[apply.n++] = ms - dms;
					restore.ms[restore.n++] = rms;
				}
				break;
			case M_RAW:
				r = run_raw(tids, rt_cpu, &ms);
				if (r == 0)
					r = check_state(tids, true, rt_cpu, &full,
							"after raw");
				undo_raw(tids, &full);
				break;
			default:
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
			m[meth].ms[m[meth].n++] = ms;
		}
	}
	if (stop)
		fprintf(stderr, "interrupted: printing what was measured\n");

	for (int i = 0; i < NR_METHODS; i++)
		compute_stats(&m[i]);
	compute_stats(&discover);
	compute_stats(&apply);
	compute_stats(&restore);

	if (uname(&u) < 0)
		snprintf(u.release, sizeof(u.release), "unknown");
	printf("bench-sched: SCHED_FIFO %d + pinning to CPU %d of %d vCPU "
	       "threads, librtvm %s, kernel %s, %ld online CPUs\n\n",
	       RT_PRIO, rt_cpu, NR_VCPUS, rtvm_version(), u.release,
	       sysconf(_SC_NPROCESSORS_ONLN));
	printf("%-22s %4s %10s %10s %10s %12s\n", "method", "runs",
	       "median ms", "p99 ms", "max ms", "per-thread us");
	print_row(&m[M_RTVM]);
	if (discover.n) {
		print_row(&discover);
		print_row(&apply);
	}
	print_row(&m[M_RAW]);
	print_row(&m[M_SCRIPT]);
	if (restore.n) {
		printf("\n");
		print_row(&restore);
		printf("  (rtvm_changeset_restore, timed apart; not in the "
		       "librtvm row)\n");
	}
	printf("\nlibrtvm      = rtvm_changeset_new + rtvm_vm_new_from_pid + "
	       "rtvm_vm_set_sched(vCPU, all, FIFO %d) + rtvm_vm_pin(vCPU, CPU "
	       "%d); discover = rtvm_vm_new_from_pid alone, apply = the rest\n",
	       RT_PRIO, rt_cpu);
	printf("raw syscalls = sched_setattr + sched_setaffinity per vCPU "
	       "tid (tids known beforehand, nothing read back or recorded)\n");
	printf("chrt+taskset = posix_spawn + wait of `chrt -f -p %d TID` and "
	       "`taskset -p -c %d TID` per vCPU tid\n",
	       RT_PRIO, rt_cpu);
	if (m[M_RTVM].n && m[M_RAW].n && m[M_SCRIPT].n && m[M_RTVM].median > 0 &&
	    m[M_RAW].median > 0) {
		printf("\nratios of medians: chrt+taskset/librtvm = %.1fx, "
		       "librtvm/raw = %.2fx (apply only: %.2fx)\n",
		       m[M_SCRIPT].median / m[M_RTVM].median,
		       m[M_RTVM].median / m[M_RAW].median,
		       apply.median / m[M_RAW].median);
		printf("goals (figures, not a verdict): librtvm total <= 1 ms: "
		       "%.3f ms; per-thread cost within 2x of raw: %.2f us vs "
		       "%.2f us = %.2fx (apply only: %.2f us = %.2fx)\n",
		       m[M_RTVM].median, m[M_RTVM].median * 1e3 / NR_VCPUS,
		       m[M_RAW].median * 1e3 / NR_VCPUS,
		       m[M_RTVM].median / m[M_RAW].median,
		       apply.median * 1e3 / NR_VCPUS,
		       apply.median / m[M_RAW].median);
	}
	ret = 0;
out:
	if (child > 0 && have_full)
		undo_raw(tids, &full); /* harmless if already back */
	kill_child(&child);
	if (devnull >= 0)
		close(devnull);
	rtvm_cpumask_free(rr.last);
	rtvm_unref(rr.ctx);
	for (int i = 0; i < NR_METHODS; i++)
		free(m[i].ms);
	free(discover.ms);
	free(apply.ms);
	free(restore.ms);
	return ret;

bad_usage:
	usage(stderr);
	return 2;
}
