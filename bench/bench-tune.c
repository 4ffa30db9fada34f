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
 *   tuna         `tuna -t TIDS -c 1 -m -p fifo:1` and `taskset -p -c 0 PID`
 *                (tuna -t PID would move every thread of the process);
 *                undone with `-p other:0` and the original CPUs
 *
 * The profile: RT CPU 1, housekeeping CPU 0, the four vCPUs FIFO 1 on CPU
 * 1, the emulator on CPU 0.  Host-wide settings (sysctls, IRQs, kernel
 * threads, PM QoS) are left out on purpose: they are global, and this
 * machine is shared.  The journal lives in a directory of its own under
 * /run (tmpfs, as /run/rtvm), removed at the end.
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
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <spawn.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <rtvm/rtvm.h>

extern char **environ;

#define NR_VCPUS 4

static const char profile_json[] =
	"{\"version\": 1, \"name\": \"bench\", \"rt_cpus\": \"1\","
	" \"housekeeping_cpus\": \"0\","
	" \"vcpus\": [{\"pcpu\": 1}, {\"pcpu\": 1}, {\"pcpu\": 1}, {\"pcpu\": 1}],"
	" \"policies\": {\"rt_vcpu\": {\"policy\": \"fifo\", \"priority\": 1},"
	"   \"emulator\": {\"cpus\": \"0\"}}}";

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static void *vcpu_thread(void *arg)
{
	char name[16];

	snprintf(name, sizeof(name), "CPU %ld/KVM", (long)(intptr_t)arg);
	pthread_setname_np(pthread_self(), name);
	for (;;)
		pause();
	return NULL;
}

static pid_t start_vm(pid_t *tids)
{
	pid_t parent = getpid(), pid = fork();

	if (pid < 0)
		return -1;
	if (pid == 0) {
		sigset_t all;

		if (prctl(PR_SET_PDEATHSIG, SIGKILL) < 0 || getppid() != parent)
			_exit(1);
		prctl(PR_SET_NAME, "qemu-system-x86");
		sigfillset(&all);
		pthread_sigmask(SIG_SETMASK, &all, NULL);
		for (long i = 0; i < NR_VCPUS; i++) {
			pthread_t th;

			if (pthread_create(&th, NULL, vcpu_thread,
					   (void *)(intptr_t)i))
				_exit(1);
		}
		for (;;)
			pause();
	}
	/* Wait for the names. */
	for (int tries = 0; tries < 5000; tries++) {
		char path[384], comm[32];
		struct dirent *de;
		int named = 0;
		DIR *d;

		snprintf(path, sizeof(path), "/proc/%d/task", pid);
		d = opendir(path);
		while (d && (de = readdir(d))) {
			FILE *f;
			int idx;

			if (de->d_name[0] == '.')
				continue;
			snprintf(path, sizeof(path), "/proc/%d/task/%s/comm", pid,
				 de->d_name);
			f = fopen(path, "re");
			if (f && fgets(comm, sizeof(comm), f) &&
			    sscanf(comm, "CPU %d/KVM", &idx) == 1 && idx >= 0 &&
			    idx < NR_VCPUS) {
				tids[idx] = atoi(de->d_name);
				named++;
			}
			if (f)
				fclose(f);
		}
		if (d)
			closedir(d);
		if (named == NR_VCPUS)
			return pid;
		usleep(1000);
	}
	kill(pid, SIGKILL);
	return -1;
}

/* Every vCPU FIFO 1 on CPU 1 and the emulator on CPU 0 (@rt), or every
 * thread SCHED_OTHER on CPUs 0-1. */
static bool state_ok(pid_t pid, const pid_t *tids, bool rt)
{
	cpu_set_t set;

	for (int i = 0; i < NR_VCPUS; i++) {
		int pol = sched_getscheduler(tids[i]);

		if (sched_getaffinity(tids[i], sizeof(set), &set) < 0)
			return false;
		if (rt ? pol != SCHED_FIFO || CPU_COUNT(&set) != 1 ||
				 !CPU_ISSET(1, &set) :
			 pol != SCHED_OTHER || CPU_COUNT(&set) != 2)
			return false;
	}
	if (sched_getaffinity(pid, sizeof(set), &set) < 0)
		return false;
	return rt ? CPU_COUNT(&set) == 1 && CPU_ISSET(0, &set) :
		    CPU_COUNT(&set) == 2;
}

static int run(char *const argv[])
{
	int status;
	pid_t pid;

	posix_spawn_file_actions_t fa;
	int r;

	/* Their chatter ("pid N's new affinity list") goes nowhere. */
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
	r = posix_spawnp(&pid, argv[0], &fa, NULL, argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	if (r != 0)
		return -1;
	if (waitpid(pid, &status, 0) < 0)
		return -1;
	return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : -1;
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

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static void report(const char *name, double *ms, int n)
{
	if (n == 0) {
		printf("%-22s n/a\n", name);
		return;
	}
	qsort(ms, (size_t)n, sizeof(*ms), cmp_double);
	printf("%-22s median %8.2f ms  p90 %8.2f  max %8.2f  (n=%d)\n", name,
	       ms[n / 2], ms[(n * 9) / 10 < n ? (n * 9) / 10 : n - 1],
	       ms[n - 1], n);
}

int main(int argc, char **argv)
{
	int rounds = argc > 1 ? atoi(argv[1]) : 30, tuna_rounds = 5;
	double *a_lib, *r_lib, *a_sh, *r_sh, a_tu[16], r_tu[16];
	int n_lib = 0, n_sh = 0, n_tu = 0, rc = 1;
	char state[] = "/run/rtvm-bench.XXXXXX";
	struct rtvm_profile *prof = NULL;
	struct rtvm_ctx *ctx = NULL;
	pid_t pid, tids[NR_VCPUS];
	cpu_set_t both;

	if (rounds < 1 || rounds > 10000) {
		fprintf(stderr, "usage: bench-tune [ROUNDS]\n");
		return 2;
	}
	a_lib = calloc((size_t)rounds, sizeof(double));
	r_lib = calloc((size_t)rounds, sizeof(double));
	a_sh = calloc((size_t)rounds, sizeof(double));
	r_sh = calloc((size_t)rounds, sizeof(double));
	if (!a_lib || !r_lib || !a_sh || !r_sh)
		return 1;
	pid = start_vm(tids);
	if (pid < 0) {
		fprintf(stderr, "bench-tune: cannot start the VM child\n");
		return 1;
	}
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
	if (rtvm_new(&ctx) < 0 || rtvm_set_state_dir(ctx, state) < 0 ||
	    rtvm_profile_new_from_json(ctx, profile_json, &prof) < 0) {
		fprintf(stderr, "bench-tune: librtvm setup failed\n");
		goto out;
	}
	for (int k = 0; k < rounds; k++) {
		struct rtvm_vm *vm = NULL;
		char id[32];
		double t0, t1;
		int r;

		t0 = now_ms();
		r = rtvm_vm_new_from_pid(ctx, pid, &vm);
		if (r == 0)
			r = rtvm_tune_apply(ctx, prof, vm, 0, NULL);
		t1 = now_ms();
		rtvm_vm_unref(vm);
		if (r < 0 || !state_ok(pid, tids, true)) {
			fprintf(stderr, "bench-tune: librtvm apply: %s\n",
				r < 0 ? strerror(-r) : "wrong state");
			goto out;
		}
		a_lib[k] = t1 - t0;
		snprintf(id, sizeof(id), "pid-%d", pid);
		t0 = now_ms();
		r = rtvm_tune_revert(ctx, id, 0);
		t1 = now_ms();
		if (r < 0 || !state_ok(pid, tids, false)) {
			fprintf(stderr, "bench-tune: librtvm revert: %s\n",
				r < 0 ? strerror(-r) : "wrong state");
			goto out;
		}
		r_lib[k] = t1 - t0;
		n_lib++;

		t0 = now_ms();
		r = script_apply(pid, tids);
		t1 = now_ms();
		if (r < 0 || !state_ok(pid, tids, true)) {
			fprintf(stderr, "bench-tune: chrt+taskset apply failed\n");
			goto out;
		}
		a_sh[k] = t1 - t0;
		t0 = now_ms();
		r = script_revert(pid, tids);
		t1 = now_ms();
		if (r < 0 || !state_ok(pid, tids, false)) {
			fprintf(stderr, "bench-tune: chrt+taskset revert failed\n");
			goto out;
		}
		r_sh[k] = t1 - t0;
		n_sh++;

		if (k < tuna_rounds) {
			t0 = now_ms();
			r = tuna_apply(pid, tids);
			t1 = now_ms();
			if (r < 0 || !state_ok(pid, tids, true)) {
				/* tuna is optional: say so, stop using it. */
				fprintf(stderr, "bench-tune: tuna apply failed; "
						"tuna left out\n");
				tuna_revert(pid, tids);
				script_revert(pid, tids);
				tuna_rounds = 0;
				continue;
			}
			a_tu[n_tu] = t1 - t0;
			t0 = now_ms();
			r = tuna_revert(pid, tids);
			t1 = now_ms();
			if (r < 0 || !state_ok(pid, tids, false)) {
				fprintf(stderr, "bench-tune: tuna revert failed\n");
				script_revert(pid, tids);
				tuna_rounds = 0;
				continue;
			}
			r_tu[n_tu++] = t1 - t0;
		}
	}
	printf("bench-tune: %d vCPUs FIFO 1 on CPU 1, emulator on CPU 0; "
	       "journal in %s\n", NR_VCPUS, state);
	report("librtvm apply", a_lib, n_lib);
	report("librtvm revert", r_lib, n_lib);
	report("chrt+taskset apply", a_sh, n_sh);
	report("chrt+taskset revert", r_sh, n_sh);
	report("tuna apply", a_tu, n_tu);
	report("tuna revert", r_tu, n_tu);
	rc = 0;
out:
	if (ctx) {
		char id[32];

		snprintf(id, sizeof(id), "pid-%d", pid);
		rtvm_tune_revert(ctx, id, 0); /* after a failure: -ENOENT is fine */
	}
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
	{
		char path[64];

		snprintf(path, sizeof(path), "%s/lock", state);
		unlink(path);
		rmdir(state);
	}
	rtvm_profile_unref(prof);
	rtvm_unref(ctx);
	free(a_lib);
	free(r_lib);
	free(a_sh);
	free(r_sh);
	return rc;
}
