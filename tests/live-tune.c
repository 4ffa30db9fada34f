/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Live tier: crash injection on the real kernel.  A profile is applied to a
 * fake VM (a child process with threads named "CPU 0/KVM" and "CPU 1/KVM")
 * by a process that SIGKILLs itself at every crash point of the apply;
 * after each kill, a revert from the journal must give every thread of the
 * VM its original policy, priority, nice value and affinity back.
 *
 * A second case adds a shield, RT runtime and host-wide settings: the
 * fake VM lives in a cpuset and a cpu cgroup the test makes (its cpu
 * cgroup has no RT runtime, as a new cgroup under CONFIG_RT_GROUP_SCHED),
 * the profile shields CPU 1 in that cpuset, provisions RT runtime for
 * FIFO, moves the machine's IRQs off CPU 1 and sets timer_migration 0;
 * after every kill, the threads' cgroups, the cgroups made, the runtime,
 * every IRQ's affinity and the sysctl must be as before too.
 *
 * Safe on a shared machine:
 *  - the test runs itself again in a private PID namespace (unshare --pid
 *    --fork --mount-proc): the only processes it can see are its own;
 *  - the profile touches only the fake VM's threads (pins, FIFO, nice),
 *    cgroups the test made and, in the second case, IRQ affinities and
 *    kernel.timer_migration, which the test saves first and writes back
 *    at the end, on failure and on SIGINT/SIGTERM/SIGHUP (tu_irq_guard;
 *    no other suite moves IRQs meanwhile); never a kernel thread or
 *    another process, never PM QoS;
 *  - the journal lives in a directory of the test's own, removed at exit,
 *    and so are the test's cgroups, whatever happens.
 */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "tune.h"
#include "testutil.h"

#define NR_VCPUS 2
#define CPUSET "/sys/fs/cgroup/cpuset"
#define CPU_V1 "/sys/fs/cgroup/cpu"

/* The shield case's cgroups: "/rtvm-tune-test-PID" in both hierarchies. */
static char cg_name[64];

static const char profile_json[] =
	"{\"version\": 1, \"name\": \"live\", \"rt_cpus\": \"1\","
	" \"housekeeping_cpus\": \"0\","
	" \"vcpus\": [{\"pcpu\": 1}, {\"pcpu\": 0, \"rt\": false}],"
	" \"policies\": {\"rt_vcpu\": {\"policy\": \"fifo\", \"priority\": 2},"
	"   \"vcpu\": {\"policy\": \"batch\", \"nice\": 3},"
	"   \"emulator\": {\"policy\": \"other\", \"nice\": 4, \"cpus\": \"0\"}}}";

static void *vcpu_thread(void *arg)
{
	char name[16];

	snprintf(name, sizeof(name), "CPU %ld/KVM", (long)(intptr_t)arg);
	pthread_setname_np(pthread_self(), name);
	for (;;)
		pause();
	return NULL;
}

static pid_t start_vm(void)
{
	pid_t pid = fork();

	if (pid == 0) {
		sigset_t all;

		prctl(PR_SET_PDEATHSIG, SIGKILL);
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
	return pid;
}

/* Every thread's scheduling and affinity, as /proc shows them. */
static char *thread_state(pid_t pid)
{
	char path[384], line[256], *out = NULL;
	size_t len = 0;
	struct dirent *de;
	FILE *mem = open_memstream(&out, &len);
	DIR *d;

	snprintf(path, sizeof(path), "/proc/%d/task", pid);
	d = opendir(path);
	while (d && (de = readdir(d))) {
		FILE *f;

		if (de->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "/proc/%d/task/%s/stat", pid,
			 de->d_name);
		f = fopen(path, "r");
		if (f && fgets(line, sizeof(line), f)) {
			const char *p = strrchr(line, ')');
			int prio, nice, rt, pol;

			/* fields after the comm: 18 priority, 19 nice, 40
			 * rt_priority, 41 policy (1-based, from pid) */
			if (p && sscanf(p + 2,
					"%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u "
					"%*u %*u %*d %*d %d %d %*d %*d %*u %*u %*d "
					"%*u %*u %*u %*u %*u %*u %*u %*u %*u %*u %*u "
					"%*u %*u %*d %*d %d %d",
					&prio, &nice, &rt, &pol) == 4)
				fprintf(mem, "%s: prio %d nice %d rt %d policy %d\n",
					de->d_name, prio, nice, rt, pol);
		}
		if (f)
			fclose(f);
		snprintf(path, sizeof(path), "/proc/%d/task/%s/status", pid,
			 de->d_name);
		f = fopen(path, "r");
		while (f && fgets(line, sizeof(line), f))
			if (strncmp(line, "Cpus_allowed_list:", 18) == 0)
				fprintf(mem, "%s: %s", de->d_name, line);
		if (f)
			fclose(f);
		/* its cgroups (the shield moves threads) */
		snprintf(path, sizeof(path), "/proc/%d/task/%s/cgroup", pid,
			 de->d_name);
		f = fopen(path, "r");
		while (f && fgets(line, sizeof(line), f))
			if (strstr(line, "cpuset") || strstr(line, ":cpu"))
				fprintf(mem, "%s: %s", de->d_name, line);
		if (f)
			fclose(f);
	}
	if (d)
		closedir(d);
	fclose(mem);
	return out;
}

#define CHECK(cond, ...)                                                  \
	do {                                                              \
		if (!(cond)) {                                            \
			printf("FAIL: " __VA_ARGS__);                     \
			printf("\n");                                     \
			goto out;                                         \
		}                                                         \
	} while (0)

static int write_file(const char *path, const char *value)
{
	FILE *f = fopen(path, "w");
	int r;

	if (!f)
		return -errno;
	r = fputs(value, f) < 0 ? -EIO : 0;
	if (fclose(f) != 0 && r == 0)
		r = -errno;
	return r;
}

/* What a shell command prints. */
static char *command_output(const char *cmd)
{
	char *out = NULL, line[512];
	size_t len = 0;
	FILE *mem = open_memstream(&out, &len), *p = popen(cmd, "r");

	while (p && fgets(line, sizeof(line), p))
		fputs(line, mem);
	if (p)
		pclose(p);
	fclose(mem);
	return out;
}

/* The shield case's cgroups as they are: the cpusets below the test's
 * (the shield's), the scope's load balancing, the cpu cgroup's runtime. */
static char *cgroup_state(void)
{
	char cmd[512];

	snprintf(cmd, sizeof(cmd),
		 "cd " CPUSET "/%s && find . -type d | sort && "
		 "cat cpuset.sched_load_balance cpuset.cpus && "
		 "cat " CPU_V1 "/%s/cpu.rt_runtime_us 2>/dev/null",
		 cg_name, cg_name);
	return command_output(cmd);
}

/* Every IRQ's affinity, the default one and the sysctl the shield case
 * sets. */
static char *host_state(void)
{
	return command_output("grep -H . /proc/irq/*/smp_affinity_list"
			      " /proc/irq/default_smp_affinity"
			      " /proc/sys/kernel/timer_migration");
}

/* Everything a revert must give back. */
static char *state_of(pid_t pid, bool shield)
{
	char *t = thread_state(pid), *c = shield ? cgroup_state() : NULL,
	     *h = shield ? host_state() : NULL, *all;

	if (asprintf(&all, "%s%s%s", t, c ? c : "", h ? h : "") < 0)
		all = NULL;
	free(t);
	free(c);
	free(h);
	return all;
}

static int inner(bool shield)
{
	char state[] = "/tmp/rtvm-live-tune.XXXXXX", id[32] = "", *before = NULL,
	     *after = NULL, *applied = NULL, path[256], json[1024];
	struct rtvm_profile *p = NULL;
	struct rtvm_plan *plan = NULL;
	struct rtvm_ctx *ctx = NULL;
	struct rtvm_vm *vm = NULL;
	unsigned int n = 0, point, killed = 0;
	int ret = 1, r;
	pid_t pid;

	if (rtvm_new(&ctx) < 0)
		return 1;
	if (shield) {
		/* Into the test's cgroups before the VM is spawned: all
		 * that the shield moves is the namespace's. */
		snprintf(path, sizeof(path), CPUSET "/%s/cgroup.procs", cg_name);
		r = write_file(path, "0");
		snprintf(path, sizeof(path), CPU_V1 "/%s/cgroup.procs", cg_name);
		if (r == 0 && access(path, F_OK) == 0)
			r = write_file(path, "0");
		if (r < 0) {
			printf("FAIL: cannot join the test's cgroups: %s\n",
			       strerror(-r));
			rtvm_unref(ctx);
			return 1;
		}
	}
	pid = start_vm();
	if (pid < 0) {
		rtvm_unref(ctx);
		return 1;
	}
	/* Wait until both threads have their names (vCPU 1 may be named
	 * before vCPU 0: the count alone would say 2 already). */
	for (int tries = 0; tries < 2000; tries++) {
		if (rtvm_vm_new_from_pid(ctx, pid, &vm) == 0 &&
		    rtvm_vm_get_nr_vcpus(vm) == NR_VCPUS &&
		    rtvm_vm_get_vcpu_tid(vm, 0) > 0 &&
		    rtvm_vm_get_vcpu_tid(vm, 1) > 0)
			break;
		vm = rtvm_vm_unref(vm);
		usleep(1000);
	}
	CHECK(vm && rtvm_vm_get_vcpu_tid(vm, 0) > 0 &&
		      rtvm_vm_get_vcpu_tid(vm, 1) > 0,
	      "no fake VM");
	CHECK(mkdtemp(state), "mkdtemp: %s", strerror(errno));
	CHECK(rtvm_set_state_dir(ctx, state) == 0, "state dir");
	if (shield)
		/* The profile of the first case, shielded, with RT runtime. */
		snprintf(json, sizeof(json),
			 "%.*s, \"shield\": {\"scope\": \"/%s\"},"
			 " \"provision_rt_runtime\": true,"
			 " \"irqs\": {\"away_from_rt\": true},"
			 " \"host\": {\"timer_migration\": 0}}",
			 (int)strlen(profile_json) - 1, profile_json, cg_name);
	else
		snprintf(json, sizeof(json), "%s", profile_json);
	CHECK(rtvm_profile_new_from_json(ctx, json, &p) == 0, "profile %s", json);
	snprintf(id, sizeof(id), "pid-%d", pid);
	before = state_of(pid, shield);

	/* A full apply first: the profile takes effect (or the kernel
	 * refuses FIFO here: no RT runtime for this cgroup, a skip). */
	r = rtvm_tune_apply(ctx, p, vm, 0, &plan);
	if (r == -EPERM && !shield) {
		printf("SKIP: FIFO refused (no RT runtime in this cpu cgroup)\n");
		ret = EXIT_SKIP;
		goto out;
	}
	CHECK(r == 0, "apply: %s", strerror(-r));
	n = rtvm_changeset_get_count(rtvm_plan_get_changes(plan));
	applied = state_of(pid, shield);
	CHECK(strstr(applied, "rt 2 policy 1"), "no FIFO 2 thread:\n%s", applied);
	CHECK(strstr(applied, "nice 4 rt 0 policy 0"), "no nice 4 emulator:\n%s",
	      applied);
	if (shield) {
		FILE *f;
		long runtime = -1;

		snprintf(path, sizeof(path), "cpuset:/%s/rtvm-rt\n", cg_name);
		CHECK(strstr(applied, path), "no thread in the RT cpuset:\n%s",
		      applied);
		/* RT group scheduling: the cgroup got runtime for FIFO. */
		snprintf(path, sizeof(path), CPU_V1 "/%s/cpu.rt_runtime_us",
			 cg_name);
		f = fopen(path, "r");
		if (f) {
			if (fscanf(f, "%ld", &runtime) != 1)
				runtime = -1;
			fclose(f);
			CHECK(runtime > 0, "%s: %ld after apply", path, runtime);
			CHECK(strstr(before, "\n0\n"), "runtime before:\n%s",
			      before);
		}
	}
	CHECK(rtvm_tune_revert(ctx, id, 0) == 0, "revert");
	after = state_of(pid, shield);
	CHECK(strcmp(before, after) == 0, "after revert:\n%s\nbefore:\n%s", after,
	      before);
	free(after);
	after = NULL;
	CHECK(n >= 6, "only %u steps", n);

	/* Every point of an apply, to its end: without a shield the plan
	 * counts them (2n + 1); the shield's records are counted as they
	 * are made, so that sweep goes on until an apply finishes. */
	for (point = 0; shield ? point < 8 * n + 100 : point <= 2 * n; point++) {
		int status;
		pid_t c;

		fflush(stdout);
		c = fork();
		if (c == 0) {
			struct rtvm_vm *v;

			rtvm_tune_set_crash_point(ctx, (int)point);
			if (rtvm_vm_new_from_pid(ctx, pid, &v) < 0)
				_exit(3);
			_exit(rtvm_tune_apply(ctx, p, v, 0, NULL) == 0 ? 0 : 4);
		}
		CHECK(c > 0 && waitpid(c, &status, 0) == c, "fork");
		CHECK((WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL) ||
			      (shield && WIFEXITED(status) &&
			       WEXITSTATUS(status) == 0),
		      "point %u: not killed (status %#x)", point, status);
		r = rtvm_tune_revert(ctx, id, 0);
		CHECK(r == 0, "point %u: revert: %s", point, strerror(-r));
		after = state_of(pid, shield);
		CHECK(strcmp(before, after) == 0,
		      "point %u: after revert:\n%s\nbefore:\n%s", point, after,
		      before);
		free(after);
		after = NULL;
		if (WIFEXITED(status))
			break; /* the apply finished: no point left */
		killed++;
	}
	CHECK(!shield || point < 8 * n + 100, "the apply never finished");
	printf("ok: %u steps planned, killed at each of %u points, reverted exactly\n",
	       n, killed);
	ret = 0;
out:
	if (ctx)
		rtvm_tune_revert(ctx, id, 0); /* a failed check mid-way */
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
	{
		char lock[64];

		snprintf(lock, sizeof(lock), "%s/lock", state);
		unlink(lock);
		rmdir(state);
	}
	free(before);
	free(after);
	free(applied);
	rtvm_plan_unref(plan);
	rtvm_profile_unref(p);
	rtvm_vm_unref(vm);
	rtvm_unref(ctx);
	return ret;
}

/* ---- outside: the shield case's cgroups ----------------------------- */

static bool cgroups_made;
static char timer_migration[16]; /* as it was, "" when not saved */

static void put_back_host(void)
{
	if (timer_migration[0] &&
	    write_file("/proc/sys/kernel/timer_migration", timer_migration) == 0)
		timer_migration[0] = '\0';
	tu_irq_put_back();
}

static void remove_cgroups(void)
{
	char cmd[600];

	if (!cgroups_made)
		return;
	/* Deepest first; the dead namespace's tasks may take a moment. */
	for (int i = 0; i < 100; i++) {
		snprintf(cmd, sizeof(cmd),
			 "find " CPUSET "/%s -depth -type d -exec rmdir {} + "
			 "2>/dev/null; rmdir " CPU_V1 "/%s 2>/dev/null",
			 cg_name, cg_name);
		if (system(cmd) < 0)
			break;
		snprintf(cmd, sizeof(cmd), CPUSET "/%s", cg_name);
		if (access(cmd, F_OK) != 0) {
			snprintf(cmd, sizeof(cmd), CPU_V1 "/%s", cg_name);
			if (access(cmd, F_OK) != 0) {
				cgroups_made = false;
				return;
			}
		}
		usleep(50000);
	}
	fprintf(stderr, "cannot remove the cgroups %s\n", cg_name);
}

static void on_signal(int sig)
{
	remove_cgroups();
	put_back_host();
	signal(sig, SIG_DFL);
	raise(sig);
}

/* The test's cpuset (CPUs 0-1, the root's mems) and cpu cgroup. */
static const char *make_cgroups(void)
{
	char path[256], mems[64] = "";
	FILE *f;

	if (access(CPUSET "/cpuset.cpus", F_OK) != 0)
		return "no cgroup v1 cpuset hierarchy at " CPUSET;
	f = fopen(CPUSET "/cpuset.mems", "r");
	if (!f || !fgets(mems, sizeof(mems), f)) {
		if (f)
			fclose(f);
		return "cannot read the root cpuset's mems";
	}
	fclose(f);
	snprintf(cg_name, sizeof(cg_name), "rtvm-tune-test-%d", getpid());
	snprintf(path, sizeof(path), CPUSET "/%s", cg_name);
	if (mkdir(path, 0755) < 0)
		return "cannot make a cpuset";
	cgroups_made = true;
	atexit(remove_cgroups);
	/* The host settings the profile changes, saved (IRQs: with the
	 * machine-wide lock that keeps other IRQ suites out). */
	if (tu_irq_guard() < 2 ||
	    tu_read_text("/proc/sys/kernel/timer_migration", timer_migration,
			 sizeof(timer_migration)) < 0)
		return "cannot save the IRQ affinities and timer_migration";
	atexit(put_back_host);
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	signal(SIGHUP, on_signal);
	snprintf(path, sizeof(path), CPUSET "/%s/cpuset.cpus", cg_name);
	if (write_file(path, "0-1") < 0)
		return "cannot give the test's cpuset CPUs 0-1";
	snprintf(path, sizeof(path), CPUSET "/%s/cpuset.mems", cg_name);
	if (write_file(path, mems) < 0)
		return "cannot give the test's cpuset mems";
	snprintf(path, sizeof(path), CPU_V1 "/%s", cg_name);
	if (access(CPU_V1, F_OK) == 0 && mkdir(path, 0755) < 0)
		return "cannot make a cpu cgroup";
	return NULL;
}

static char self[4096];

START_TEST(test_live_crash)
{
	char cmd[8192];
	int status;

	snprintf(cmd, sizeof(cmd), "unshare --pid --fork --mount-proc '%s' --inner",
		 self);
	status = system(cmd);
	ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0,
		      "the namespace run failed (status %#x); see the log",
		      status);
}
END_TEST

START_TEST(test_live_crash_shield)
{
	const char *why = make_cgroups();
	char cmd[8192];
	int status;

	if (why) {
		remove_cgroups();
		ck_abort_msg("%s", why);
	}
	snprintf(cmd, sizeof(cmd),
		 "unshare --pid --fork --mount-proc '%s' --inner-shield '%s'",
		 self, cg_name);
	status = system(cmd);
	remove_cgroups();
	ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0,
		      "the namespace run failed (status %#x); see the log",
		      status);
	/* The reverts left nothing for the guard to write back. */
	tu_irq_expect_as_before();
}
END_TEST

int main(int argc, char **argv)
{
	Suite *s;
	TCase *tc;
	ssize_t n;
	int lock, r;

	if (argc == 2 && strcmp(argv[1], "--inner") == 0)
		return inner(false);
	if (argc == 3 && strcmp(argv[1], "--inner-shield") == 0) {
		snprintf(cg_name, sizeof(cg_name), "%s", argv[2]);
		return inner(true);
	}
	if (geteuid() != 0) {
		printf("SKIP: needs root\n");
		return EXIT_SKIP;
	}
	if (system("unshare --pid --fork --mount-proc true >/dev/null 2>&1") != 0) {
		printf("SKIP: cannot make a PID namespace (unshare)\n");
		return EXIT_SKIP;
	}
	n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	if (n <= 0)
		return EXIT_SKIP;
	self[n] = '\0';
	/* A FIFO thread (asleep) on CPU 1: never beside another live
	 * test's RT work. */
	lock = tu_lock_rt_cpus();
	s = suite_create("live-tune");
	tc = tcase_create("live-tune");
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, test_live_crash);
	/* check has no skipped cases: this one is left out, and says so */
	if (access(CPUSET "/cpuset.cpus", F_OK) == 0)
		tcase_add_test(tc, test_live_crash_shield);
	else
		printf("SKIP: the shield case: no cgroup v1 cpuset hierarchy at " CPUSET "\n");
	suite_add_tcase(s, tc);
	r = tu_run(s);
	close(lock);
	return r;
}
