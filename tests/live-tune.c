/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Live tier: crash injection on the real kernel.  A profile is applied to a
 * fake VM (a child process with threads named "CPU 0/KVM" and "CPU 1/KVM")
 * by a process that SIGKILLs itself at every crash point of the apply;
 * after each kill, a revert from the journal must give every thread of the
 * VM its original policy, priority, nice value and affinity back.
 *
 * Safe on a shared machine:
 *  - the test runs itself again in a private PID namespace (unshare --pid
 *    --fork --mount-proc): the only processes it can see are its own;
 *  - the profile touches only the fake VM's threads (pins, FIFO, nice):
 *    no sysctl, IRQ, kernel thread, cgroup or PM QoS, nothing global;
 *  - the journal lives in a directory of the test's own, removed at exit.
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
#include <sys/wait.h>
#include <unistd.h>

#include "tune.h"
#include "testutil.h"

#define NR_VCPUS 2

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

static int inner(void)
{
	char state[] = "/tmp/rtvm-live-tune.XXXXXX", id[32] = "", *before = NULL,
	     *after = NULL, *applied = NULL;
	struct rtvm_profile *p = NULL;
	struct rtvm_plan *plan = NULL;
	struct rtvm_ctx *ctx = NULL;
	struct rtvm_vm *vm = NULL;
	unsigned int n = 0, point;
	int ret = 1, r;
	pid_t pid;

	if (rtvm_new(&ctx) < 0)
		return 1;
	pid = start_vm();
	if (pid < 0) {
		rtvm_unref(ctx);
		return 1;
	}
	/* Wait until both threads have their names. */
	for (int tries = 0; tries < 2000; tries++) {
		if (rtvm_vm_new_from_pid(ctx, pid, &vm) == 0 &&
		    rtvm_vm_get_nr_vcpus(vm) == NR_VCPUS)
			break;
		vm = rtvm_vm_unref(vm);
		usleep(1000);
	}
	CHECK(vm && rtvm_vm_get_nr_vcpus(vm) == NR_VCPUS, "no fake VM");
	CHECK(mkdtemp(state), "mkdtemp: %s", strerror(errno));
	CHECK(rtvm_set_state_dir(ctx, state) == 0, "state dir");
	CHECK(rtvm_profile_new_from_json(ctx, profile_json, &p) == 0, "profile");
	snprintf(id, sizeof(id), "pid-%d", pid);
	before = thread_state(pid);

	/* A full apply first: the profile takes effect (or the kernel
	 * refuses FIFO here: no RT runtime for this cgroup, a skip). */
	r = rtvm_tune_apply(ctx, p, vm, 0, &plan);
	if (r == -EPERM) {
		printf("SKIP: FIFO refused (no RT runtime in this cpu cgroup)\n");
		ret = EXIT_SKIP;
		goto out;
	}
	CHECK(r == 0, "apply: %s", strerror(-r));
	n = rtvm_changeset_get_count(rtvm_plan_get_changes(plan));
	applied = thread_state(pid);
	CHECK(strstr(applied, "rt 2 policy 1"), "no FIFO 2 thread:\n%s", applied);
	CHECK(strstr(applied, "nice 4 rt 0 policy 0"), "no nice 4 emulator:\n%s",
	      applied);
	CHECK(rtvm_tune_revert(ctx, id, 0) == 0, "revert");
	after = thread_state(pid);
	CHECK(strcmp(before, after) == 0, "after revert:\n%s\nbefore:\n%s", after,
	      before);
	free(after);
	after = NULL;
	CHECK(n >= 6, "only %u steps", n);

	for (point = 0; point <= 2 * n; point++) {
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
		CHECK(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL,
		      "point %u: not killed (status %#x)", point, status);
		r = rtvm_tune_revert(ctx, id, 0);
		CHECK(r == 0, "point %u: revert: %s", point, strerror(-r));
		after = thread_state(pid);
		CHECK(strcmp(before, after) == 0,
		      "point %u: after revert:\n%s\nbefore:\n%s", point, after,
		      before);
		free(after);
		after = NULL;
	}
	printf("ok: %u steps, killed at each of %u points, reverted exactly\n",
	       n, 2 * n + 1);
	ret = 0;
out:
	if (ctx)
		rtvm_tune_revert(ctx, id, 0); /* a failed check mid-way */
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
	{
		char path[64];

		snprintf(path, sizeof(path), "%s/lock", state);
		unlink(path);
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

int main(int argc, char **argv)
{
	Suite *s;
	TCase *tc;
	ssize_t n;
	int lock, r;

	if (argc == 2 && strcmp(argv[1], "--inner") == 0)
		return inner();
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
	suite_add_tcase(s, tc);
	r = tu_run(s);
	close(lock);
	return r;
}
