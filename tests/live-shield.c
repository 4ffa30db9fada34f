/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Live tier: a shield on this machine's real cgroup v1 cpuset hierarchy,
 * made safe twice over:
 *  - the test runs itself again in a private PID namespace (unshare
 *    --pid --fork --mount-proc), where /proc and the cgroup task files list
 *    only the test's own processes;
 *  - the shield's scope is a cpuset the test makes,
 *    /sys/fs/cgroup/cpuset/rtvm-shield-test-PID, holding only the
 *    namespace; main() removes it whatever happens.
 * Host-wide settings (workqueue masks) are never touched: a scoped shield
 * leaves them alone.
 *
 * Inside, the namespace's init spawns sleepers, a process with threads and
 * one that keeps forking during the move, shields CPU 1, checks every
 * task's cpuset and affinity from /proc, puts two threads in per-vCPU
 * cpusets, destroys the shield and checks that everything is back.
 */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include "testutil.h"

#define CPUSET "/sys/fs/cgroup/cpuset"

static char scope[128];	    /* "/rtvm-shield-test-PID" */
static char scope_dir[256]; /* CPUSET scope */

/* ---- inside the namespace --------------------------------------------- */

static int failures;

#define expect(cond, ...)                                                 \
	do {                                                              \
		if (!(cond)) {                                            \
			fprintf(stderr, "FAIL line %d: ", __LINE__);      \
			fprintf(stderr, __VA_ARGS__);                     \
			fputc('\n', stderr);                              \
			failures++;                                       \
		}                                                         \
	} while (0)

static void log_stderr(struct rtvm_ctx *ctx, int priority, const char *file,
		       int line, const char *fn, const char *format,
		       va_list args)
{
	if (priority > LOG_INFO)
		return;
	fprintf(stderr, "librtvm: ");
	vfprintf(stderr, format, args);
	fputc('\n', stderr);
}

static char *slurp(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static char *slurp(const char *fmt, ...)
{
	char path[512], *buf = NULL;
	size_t size = 0;
	va_list ap;
	FILE *f;

	va_start(ap, fmt);
	vsnprintf(path, sizeof(path), fmt, ap);
	va_end(ap);
	f = fopen(path, "r");
	if (!f)
		return NULL;
	if (getdelim(&buf, &size, '\0', f) < 0) {
		free(buf);
		buf = strdup("");
	}
	fclose(f);
	return buf;
}

static void spit(const char *path, const char *value)
{
	FILE *f = fopen(path, "w");

	if (!f || fputs(value, f) < 0 || fclose(f) != 0) {
		fprintf(stderr, "cannot write %s to %s: %s\n", value, path,
			strerror(errno));
		exit(1);
	}
}

/* A thread's cpuset (from /proc/PID/task/TID/cgroup), "" when gone. */
static void task_cpuset(pid_t pid, pid_t tid, char *buf, size_t size)
{
	char *cg = slurp("/proc/%d/task/%d/cgroup", pid, tid), *p;

	buf[0] = '\0';
	if (!cg)
		return;
	p = strstr(cg, ":cpuset:");
	if (p) {
		p += strlen(":cpuset:");
		snprintf(buf, size, "%.*s", (int)strcspn(p, "\n"), p);
	}
	free(cg);
}

static void task_affinity(pid_t pid, pid_t tid, char *buf, size_t size)
{
	char *st = slurp("/proc/%d/task/%d/status", pid, tid), *p;

	buf[0] = '\0';
	if (!st)
		return;
	p = strstr(st, "Cpus_allowed_list:\t");
	if (p) {
		p += strlen("Cpus_allowed_list:\t");
		snprintf(buf, size, "%.*s", (int)strcspn(p, "\n"), p);
	}
	free(st);
}

/* Every thread of every process of the namespace is in @want (a cpuset
 * path) with affinity @aff, except the tids in @skip. */
static unsigned int check_all(const char *want, const char *aff,
			      const pid_t *skip, unsigned int nskip)
{
	unsigned int n = 0;
	struct dirent *de;
	DIR *proc = opendir("/proc");

	if (!proc) {
		expect(0, "cannot open /proc");
		return 0;
	}
	while ((de = readdir(proc))) {
		char path[300];
		struct dirent *te;
		DIR *task;
		pid_t pid = atoi(de->d_name);

		if (pid <= 0)
			continue;
		snprintf(path, sizeof(path), "/proc/%d/task", pid);
		task = opendir(path);
		if (!task)
			continue;
		while ((te = readdir(task))) {
			pid_t tid = atoi(te->d_name);
			char cg[512], a[256];
			bool skipped = false;

			if (tid <= 0)
				continue;
			for (unsigned int i = 0; i < nskip; i++)
				skipped |= skip[i] == tid;
			if (skipped)
				continue;
			task_cpuset(pid, tid, cg, sizeof(cg));
			task_affinity(pid, tid, a, sizeof(a));
			if (!cg[0])
				continue; /* exited meanwhile */
			n++;
			expect(strcmp(cg, want) == 0, "task %d/%d in %s, not %s",
			       pid, tid, cg, want);
			expect(strcmp(a, aff) == 0,
			       "task %d/%d has affinity %s, not %s", pid, tid, a,
			       aff);
		}
		closedir(task);
	}
	closedir(proc);
	return n;
}

/* A process that forks a child every millisecond, each sleeping for a
 * minute, until it has made @max: the move races with these forks. */
static pid_t spawn_forker(unsigned int max)
{
	pid_t pid = fork();

	if (pid != 0)
		return pid;
	prctl(PR_SET_NAME, "rtvm-forker");
	for (unsigned int i = 0; i < max; i++) {
		struct timespec ms = { 0, 1000000 };

		if (fork() == 0) {
			prctl(PR_SET_NAME, "rtvm-forked");
			sleep(60);
			_exit(0);
		}
		nanosleep(&ms, NULL);
	}
	for (;;)
		pause();
}

static pid_t spawn_sleeper(void)
{
	pid_t pid = fork();

	if (pid == 0) {
		prctl(PR_SET_NAME, "rtvm-sleeper");
		for (;;)
			pause();
	}
	return pid;
}

static int thread_pipe = -1;

static void *thread_main(void *arg)
{
	pid_t tid = (pid_t)syscall(SYS_gettid);

	if (write(thread_pipe, &tid, sizeof(tid)) != sizeof(tid))
		_exit(1);
	for (;;)
		pause();
	return arg;
}

/* A process with two sleeping threads besides its main one; the test's
 * helpers in testutil.c assert through check, which this mode is not. */
static pid_t spawn_threads(pid_t *tids)
{
	int p[2];
	pid_t pid;

	if (pipe(p) < 0)
		exit(1);
	pid = fork();
	if (pid == 0) {
		pthread_t t;

		prctl(PR_SET_NAME, "rtvm-threads");
		thread_pipe = p[1];
		for (int i = 0; i < 2; i++)
			if (pthread_create(&t, NULL, thread_main, NULL) != 0)
				_exit(1);
		for (;;)
			pause();
	}
	close(p[1]);
	for (int i = 0; i < 2; i++)
		if (read(p[0], &tids[i], sizeof(tids[i])) != sizeof(tids[i]))
			exit(1);
	close(p[0]);
	return pid;
}

static struct rtvm_cpumask *cpus(struct rtvm_ctx *ctx, const char *list)
{
	struct rtvm_cpumask *m;

	if (rtvm_cpumask_new(ctx, &m) < 0 ||
	    rtvm_cpumask_parse_list(m, list, 0) < 0)
		exit(1);
	return m;
}

static int inner(void)
{
	struct rtvm_cpumask *rt, *hk;
	struct rtvm_shield_report *rep = NULL, *st = NULL;
	struct rtvm_changeset *cs;
	struct rtvm_ctx *ctx;
	pid_t threads_pid;
	char path[512], hk_cg[300], rt_cg[300], *s;
	pid_t forker, vcpus[2];
	unsigned int n;
	int r;

	if (getpid() != 1) {
		fprintf(stderr, "inner mode must be PID 1 of a new namespace\n");
		return 1;
	}
	/* Join the scope before anything is spawned: all that follows is
	 * in it. */
	snprintf(path, sizeof(path), "%s/tasks", scope_dir);
	spit(path, "0");
	snprintf(hk_cg, sizeof(hk_cg), "%s/rtvm-housekeeping", scope);
	snprintf(rt_cg, sizeof(rt_cg), "%s/rtvm-rt", scope);

	for (int i = 0; i < 20; i++)
		spawn_sleeper();
	threads_pid = spawn_threads(vcpus);
	forker = spawn_forker(400);
	usleep(20000); /* the forker is under way */

	if (rtvm_new(&ctx) < 0)
		return 1;
	rtvm_set_log_fn(ctx, log_stderr);
	rtvm_set_log_priority(ctx, LOG_INFO);
	rt = cpus(ctx, "1");
	hk = cpus(ctx, "0");
	if (rtvm_changeset_new(ctx, &cs) < 0)
		return 1;

	/* bad input first: nothing may change */
	r = rtvm_shield_create(ctx, rt, rt, scope, 0, cs, &rep);
	expect(r == -EINVAL, "overlapping masks: %d", r);
	expect(rtvm_changeset_get_count(cs) == 0, "records after bad input");

	/* --dry-run changes nothing */
	r = rtvm_shield_create(ctx, rt, hk, scope, RTVM_SHIELD_DRY_RUN, cs,
			       &rep);
	expect(r == 0, "dry run: %s", strerror(-r));
	expect(rtvm_shield_report_get_count(rep, RTVM_SHIELD_MOVED) >= 23,
	       "dry run lists %u moves",
	       rtvm_shield_report_get_count(rep, RTVM_SHIELD_MOVED));
	rep = rtvm_shield_report_free(rep);
	snprintf(path, sizeof(path), "%s/rtvm-rt", scope_dir);
	expect(access(path, F_OK) != 0, "dry run made %s", path);

	r = rtvm_shield_create(ctx, rt, hk, scope, 0, cs, &rep);
	expect(r == 0, "create: %s", strerror(-r));
	if (r < 0)
		return 1;
	fprintf(stderr, "shield: %u moved, %u not moved, %u rounds\n",
		rtvm_shield_report_get_count(rep, RTVM_SHIELD_MOVED),
		rtvm_shield_report_get_count(rep, RTVM_SHIELD_NOT_MOVED),
		rtvm_shield_report_get_rounds(rep));
	expect(rtvm_shield_report_get_count(rep, RTVM_SHIELD_NOT_MOVED) == 0,
	       "tasks not moved");
	expect(rtvm_shield_report_get_count(rep, RTVM_SHIELD_FILE) == 0,
	       "a scoped shield wrote host files");
	expect(rtvm_shield_report_get_count(rep, RTVM_SHIELD_NOTE) == 1,
	       "no note about cpu_exclusive");
	rep = rtvm_shield_report_free(rep);

	/* nothing left in the scope's own cpuset, forks included */
	s = slurp("%s/tasks", scope_dir);
	expect(s && !*s, "tasks left in the scope: %s", s ? s : "?");
	free(s);
	s = slurp("%s/rtvm-rt/cpuset.cpus", scope_dir);
	expect(s && strcmp(s, "1\n") == 0, "RT cpus %s", s ? s : "?");
	free(s);
	/* the test's scope is not exclusive (that would keep every other
	 * cpuset of the machine off CPUs 0-1): neither is the RT cpuset */
	s = slurp("%s/rtvm-rt/cpuset.cpu_exclusive", scope_dir);
	expect(s && strcmp(s, "0\n") == 0, "cpu_exclusive %s", s ? s : "?");
	free(s);
	s = slurp("%s/rtvm-rt/cpuset.sched_load_balance", scope_dir);
	expect(s && strcmp(s, "0\n") == 0, "sched_load_balance %s", s ? s : "?");
	free(s);
	n = check_all(hk_cg, "0", NULL, 0);
	expect(n >= 25, "only %u tasks seen", n);

	/* the forker's later children are born in housekeeping */
	usleep(100000);
	n = check_all(hk_cg, "0", NULL, 0);
	fprintf(stderr, "%u tasks in housekeeping after the forks\n", n);

	r = rtvm_shield_status(ctx, scope, &st);
	if (r < 0) {
		expect(0, "status: %s", strerror(-r));
		return 1;
	}
	expect(rtvm_shield_report_is_active(st), "status: not active");
	expect(rtvm_shield_report_get_count(st, RTVM_SHIELD_STRAY) == 0,
	       "status: %u strays",
	       rtvm_shield_report_get_count(st, RTVM_SHIELD_STRAY));
	st = rtvm_shield_report_free(st);

	/* two "vCPU" threads, one cpuset each */
	r = rtvm_shield_add_threads(ctx, scope, vcpus, 2, RTVM_SHIELD_PER_VCPU,
				    cs);
	expect(r == -EINVAL, "two per-vCPU cpusets on one RT CPU: %d", r);
	r = rtvm_shield_add_threads(ctx, scope, vcpus, 1, RTVM_SHIELD_PER_VCPU,
				    cs);
	expect(r == 0, "add_threads: %s", strerror(-r));
	{
		char cg[512], a[64], want[400];

		snprintf(want, sizeof(want), "%s/vcpu0", rt_cg);
		task_cpuset(threads_pid, vcpus[0], cg, sizeof(cg));
		task_affinity(threads_pid, vcpus[0], a, sizeof(a));
		expect(strcmp(cg, want) == 0, "vCPU thread in %s", cg);
		expect(strcmp(a, "1") == 0, "vCPU thread affinity %s", a);
		/* the other threads of that process stay */
		task_cpuset(threads_pid, vcpus[1], cg, sizeof(cg));
		expect(strcmp(cg, hk_cg) == 0, "its sibling thread in %s", cg);
	}
	r = rtvm_shield_status(ctx, scope, &st);
	if (r < 0) {
		expect(0, "status: %s", strerror(-r));
		return 1;
	}
	expect(rtvm_shield_report_get_count(st, RTVM_SHIELD_IN_RT) == 1,
	       "status: %u in RT",
	       rtvm_shield_report_get_count(st, RTVM_SHIELD_IN_RT));
	st = rtvm_shield_report_free(st);

	r = rtvm_shield_destroy(ctx, scope, cs, 0);
	expect(r == 0, "destroy: %s", strerror(-r));
	n = check_all(scope, "0-1", NULL, 0);
	fprintf(stderr, "%u tasks back in %s\n", n, scope);
	snprintf(path, sizeof(path), "%s/rtvm-rt", scope_dir);
	expect(access(path, F_OK) != 0, "%s is left", path);
	snprintf(path, sizeof(path), "%s/rtvm-housekeeping", scope_dir);
	expect(access(path, F_OK) != 0, "%s is left", path);
	s = slurp("%s/cpuset.sched_load_balance", scope_dir);
	expect(s && strcmp(s, "1\n") == 0, "scope sched_load_balance %s",
	       s ? s : "?");
	free(s);

	kill(forker, SIGKILL);
	rtvm_changeset_unref(cs);
	rtvm_cpumask_free(rt);
	rtvm_cpumask_free(hk);
	rtvm_unref(ctx);
	fprintf(stderr, "%s\n", failures ? "FAILED" : "ok");
	return failures ? 1 : 0;
}

/* ---- outside: the test-owned cpuset and the namespace ------------------- */

static void remove_scope(void)
{
	char cmd[600];

	if (!scope_dir[0])
		return;
	/* Deepest first; tasks of the dead namespace may take a moment. */
	for (int i = 0; i < 100; i++) {
		snprintf(cmd, sizeof(cmd),
			 "find '%s' -mindepth 1 -depth -type d -exec rmdir {} + "
			 "2>/dev/null; rmdir '%s' 2>/dev/null",
			 scope_dir, scope_dir);
		if (system(cmd) < 0)
			break;
		if (access(scope_dir, F_OK) != 0)
			return;
		usleep(50000);
	}
	fprintf(stderr, "cannot remove %s\n", scope_dir);
}

static void on_signal(int sig)
{
	remove_scope();
	signal(sig, SIG_DFL);
	raise(sig);
}

static int skip(const char *why)
{
	printf("SKIP: %s\n", why);
	return EXIT_SKIP;
}

static char self[4096];

START_TEST(test_live_shield)
{
	char cmd[8192];
	int status;

	snprintf(cmd, sizeof(cmd),
		 "unshare --pid --fork --mount-proc '%s' --inner '%s'", self,
		 scope);
	status = system(cmd);
	ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0,
		      "the namespace run failed (status %#x); see the log",
		      status);
}
END_TEST

int main(int argc, char **argv)
{
	char *cpus, *mems, path[300];
	ssize_t n;
	int ret;

	if (argc == 3 && strcmp(argv[1], "--inner") == 0) {
		snprintf(scope, sizeof(scope), "%s", argv[2]);
		snprintf(scope_dir, sizeof(scope_dir), "%s%s", CPUSET, scope);
		return inner();
	}
	if (geteuid() != 0)
		return skip("needs root");
	if (access(CPUSET "/cpuset.cpus", F_OK) != 0)
		return skip("no cgroup v1 cpuset hierarchy at " CPUSET);
	if (system("unshare --pid --fork --mount-proc true >/dev/null 2>&1") != 0)
		return skip("cannot make a PID namespace (unshare)");
	cpus = slurp(CPUSET "/cpuset.effective_cpus");
	mems = slurp(CPUSET "/cpuset.mems");
	if (!cpus || strcmp(cpus, "0-1\n") != 0) {
		free(cpus);
		free(mems);
		return skip("the test expects CPUs 0-1 in the root cpuset");
	}
	n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	if (n <= 0)
		return skip("cannot find this program");
	self[n] = '\0';

	snprintf(scope, sizeof(scope), "/rtvm-shield-test-%d", getpid());
	snprintf(scope_dir, sizeof(scope_dir), "%s%s", CPUSET, scope);
	if (mkdir(scope_dir, 0755) < 0) {
		fprintf(stderr, "cannot make %s: %s\n", scope_dir,
			strerror(errno));
		scope_dir[0] = '\0';
		return 1;
	}
	atexit(remove_scope);
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	snprintf(path, sizeof(path), "%s/cpuset.cpus", scope_dir);
	spit(path, cpus);
	snprintf(path, sizeof(path), "%s/cpuset.mems", scope_dir);
	spit(path, mems);
	free(cpus);
	free(mems);

	{
		Suite *s = suite_create("live-shield");
		TCase *tc = tcase_create("live-shield");

		tcase_set_timeout(tc, 120);
		tcase_add_test(tc, test_live_shield);
		suite_add_tcase(s, tc);
		ret = tu_run(s);
	}
	remove_scope();
	return ret;
}
