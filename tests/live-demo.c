/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Live tier: rtvm-demo on this machine, short (about a second per mode).
 * Checks the JSON it prints (every field, figures that are consistent with
 * each other, never latency values: this is a shared, nested machine) and
 * that the host afterwards is exactly as before: IRQ affinities
 * (tu_irq_guard, which also puts them back if the test dies), sysctls,
 * PM QoS, kernel-thread priorities, cpusets, no process left.  Also a
 * crashed run (SIGKILL in the tuned mode) whose changes the next run
 * undoes from the state file, and a Ctrl-C.
 *
 * Runs with KVM where /dev/kvm opens and on the stand-in vCPU elsewhere
 * (the demo's --vm auto), and checks that the output says which.  The
 * demo is run with --tuning shield,irq,prio,pmqos: it must not
 * re-prioritize the host's kernel threads on a shared machine (their
 * step is tested against fixtures); RTVM_LIVE_KTHREADS=1 includes it.
 */
#include "config.h"

#include <cjson/cJSON.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "testutil.h"

#define CPUSET "/sys/fs/cgroup/cpuset"

static char demo[512], tune[512], state[300], tmpdir[256];
static const char *steps = "shield,irq,prio,pmqos";
static bool have_kvm;

static void sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

static void add_file(FILE *m, const char *path)
{
	char text[512];

	if (tu_read_text(path, text, sizeof(text)) == 0)
		fprintf(m, "%s=%s\n", path, text);
}

/* Everything the demo may touch, as text (IRQ affinities are the guard's). */
static char *snapshot(void)
{
	static const char *const files[] = {
		"/proc/sys/kernel/sched_rt_runtime_us",
		"/proc/sys/kernel/sched_rt_period_us",
		"/proc/sys/kernel/timer_migration",
		"/proc/sys/kernel/watchdog_cpumask",
		"/proc/sys/vm/stat_interval",
		"/sys/devices/virtual/workqueue/cpumask",
		"/sys/fs/cgroup/cpu/cpu.rt_runtime_us",
		CPUSET "/cpuset.cpus",
		CPUSET "/cpuset.cpu_exclusive",
		CPUSET "/cpuset.sched_load_balance",
	};
	char *buf = NULL, path[300];
	size_t len = 0;
	struct dirent *de;
	FILE *m = open_memstream(&buf, &len);
	DIR *d;

	ck_assert_ptr_nonnull(m);
	for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++)
		add_file(m, files[i]);
	for (int cpu = 0; cpu < 4096; cpu++) {
		snprintf(path, sizeof(path),
			 "/sys/devices/system/cpu/cpu%d/power/"
			 "pm_qos_resume_latency_us", cpu);
		if (access(path, F_OK) != 0)
			break;
		add_file(m, path);
	}
	/* the demo's cgroups, never another suite's */
	d = opendir(CPUSET);
	while (d && (de = readdir(d)))
		if (strncmp(de->d_name, "rtvm-demo", 9) == 0)
			fprintf(m, "cgroup %s\n", de->d_name);
	if (d)
		closedir(d);
	/* kernel threads (children of kthreadd) with their RT priority and
	 * policy: fields 40 and 41 of stat */
	d = opendir("/proc");
	while (d && (de = readdir(d))) {
		char text[1024], *p;
		int ppid = 0, prio = 0, policy = 0;

		if (de->d_name[0] < '0' || de->d_name[0] > '9')
			continue;
		snprintf(path, sizeof(path), "/proc/%s/stat", de->d_name);
		if (tu_read_text(path, text, sizeof(text)) < 0)
			continue;
		p = strrchr(text, ')');
		if (!p || sscanf(p + 2, "%*c %d", &ppid) != 1 || ppid != 2)
			continue;
		for (int f = 3; p && f < 40; f++)
			p = strchr(p + 1, ' ');
		/* only RT ones: kworkers come and go, the demo's changes
		 * show as a FIFO thread that was not there */
		if (p && sscanf(p + 1, "%d %d", &prio, &policy) == 2 &&
		    policy != 0)
			fprintf(m, "kthread %s prio %d policy %d\n",
				de->d_name, prio, policy);
	}
	if (d)
		closedir(d);
	fclose(m);
	return buf;
}

/* Processes of the demo still there (the world's init may take a moment
 * to go): how many after waiting up to 3 s. */
static int leftovers(void)
{
	int n = 0;

	for (int i = 0; i < 30; i++) {
		struct dirent *de;
		DIR *d = opendir("/proc");

		n = 0;
		while (d && (de = readdir(d))) {
			char path[300], comm[64];

			if (de->d_name[0] < '0' || de->d_name[0] > '9')
				continue;
			snprintf(path, sizeof(path), "/proc/%s/comm",
				 de->d_name);
			if (tu_read_text(path, comm, sizeof(comm)) == 0 &&
			    (strncmp(comm, "rtvm-demo", 9) == 0 ||
			     strncmp(comm, "lt-rtvm-demo", 12) == 0))
				n++;
		}
		if (d)
			closedir(d);
		if (n == 0)
			break;
		sleep_ms(100);
	}
	return n;
}

static void expect_same(const char *before)
{
	char *after = snapshot();

	if (strcmp(before, after) != 0)
		fprintf(stderr, "--- before\n%s\n--- after\n%s\n", before,
			after);
	ck_assert_msg(strcmp(before, after) == 0,
		      "host state differs (both are on stderr)");
	free(after);
	tu_irq_expect_as_before();
	ck_assert_int_eq(leftovers(), 0);
	ck_assert_msg(access(state, F_OK) != 0, "state file %s left", state);
}

static double num(cJSON *o, const char *key)
{
	cJSON *v = cJSON_GetObjectItem(o, key);

	ck_assert_msg(cJSON_IsNumber(v), "no number \"%s\"", key);
	return v->valuedouble;
}

/* Run the demo with @args (split on spaces; "2>&1" sends its standard
 * error along) and return its output; it gets SIGTERM (and restores the
 * host) if this test process dies, e.g. on a test timeout. */
static char *run(const char *args, int *status)
{
	char *argv[32], *copy = strdup(args), *save = NULL, *out = NULL;
	size_t len = 0;
	char buf[4096];
	ssize_t n;
	int pfd[2], k = 0;
	bool with_err = false;
	FILE *m;
	pid_t pid;

	ck_assert_ptr_nonnull(copy);
	argv[k++] = (char *)demo;
	argv[k++] = "--state";
	argv[k++] = state;
	argv[k++] = "--tuning";
	argv[k++] = (char *)steps;
	for (char *t = strtok_r(copy, " ", &save); t && k < 30;
	     t = strtok_r(NULL, " ", &save)) {
		if (strcmp(t, "2>&1") == 0)
			with_err = true;
		else
			argv[k++] = t;
	}
	argv[k] = NULL;
	ck_assert_int_eq(pipe(pfd), 0);
	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		prctl(PR_SET_PDEATHSIG, SIGTERM);
		dup2(pfd[1], 1);
		if (with_err)
			dup2(pfd[1], 2);
		close(pfd[0]);
		close(pfd[1]);
		execv(demo, argv);
		_exit(127);
	}
	close(pfd[1]);
	m = open_memstream(&out, &len);
	while ((n = read(pfd[0], buf, sizeof(buf))) > 0)
		fwrite(buf, 1, (size_t)n, m);
	fclose(m);
	close(pfd[0]);
	ck_assert_int_eq(waitpid(pid, status, 0), pid);
	free(copy);
	return out;
}

START_TEST(test_demo_json)
{
	static const char *const names[] = { "idle", "load", "tuned", "prio",
					     "shield", "cosched-static",
					     "cosched-boost", "cosched-none" };
	char *before = snapshot(), *out;
	cJSON *j, *modes, *m, *it;
	unsigned int i = 0;
	int status;

	out = run("--modes all --duration 1 --hogs 1 --json", &status);
	ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0,
		      "rtvm-demo exit %#x: %s", status, out);
	j = cJSON_Parse(out);
	ck_assert_msg(j != NULL, "not JSON: %s", out);
	ck_assert_int_eq((int)num(j, "version"), 1);
	ck_assert(cJSON_IsTrue(cJSON_GetObjectItem(j, "host_restored")));
	ck_assert(cJSON_IsFalse(cJSON_GetObjectItem(j, "interrupted")));
	ck_assert_int_gt((int)num(j, "host_changes_undone"), 0);
	it = cJSON_GetObjectItem(j, "machine");
	ck_assert_int_ge((int)num(it, "cpus"), 2);
	it = cJSON_GetObjectItem(j, "config");
	ck_assert_int_eq((int)num(it, "period_us"), 1000);
	ck_assert_str_eq(cJSON_GetObjectItem(it, "guest")->valuestring,
			 "wait");
	ck_assert_str_eq(cJSON_GetObjectItem(it, "vm")->valuestring,
			 have_kvm ? "kvm" : "stand-in");
	ck_assert(have_kvm == !cJSON_GetObjectItem(it, "vm_note"));
	modes = cJSON_GetObjectItem(j, "modes");
	ck_assert_int_eq(cJSON_GetArraySize(modes), 8);
	cJSON_ArrayForEach(m, modes) {
		double n = num(m, "samples"), sum = 0;
		cJSON *h;

		ck_assert_str_eq(cJSON_GetObjectItem(m, "mode")->valuestring,
				 names[i]);
		/* 1 s at 1 ms: about 1000, but a loaded shared machine may
		 * answer fewer (late answers are still counted) */
		ck_assert_msg(n >= 100 && n <= 1200, "%s: %.0f samples",
			      names[i], n);
		ck_assert(num(m, "p50_us") > 0);
		ck_assert(num(m, "p50_us") <= num(m, "p99_us"));
		ck_assert(num(m, "p99_us") <= num(m, "p99_9_us"));
		ck_assert(num(m, "p99_9_us") <= num(m, "max_us"));
		ck_assert(num(m, "over_1ms_in_gaps") <= num(m, "over_1ms"));
		ck_assert(num(m, "dropped") == 0);
		cJSON_ArrayForEach(h, cJSON_GetObjectItem(m, "histogram"))
			sum += num(h, "count");
		ck_assert_msg(sum == n, "%s: histogram holds %.0f of %.0f",
			      names[i], sum, n);
		ck_assert(cJSON_IsObject(cJSON_GetObjectItem(m, "tuning")));
		i++;
	}
	/* the tuned mode did tune */
	m = cJSON_GetArrayItem(modes, 2);
	it = cJSON_GetObjectItem(m, "tuning");
	ck_assert_msg(cJSON_GetObjectItem(it, "vcpu") != NULL,
		      "tuned mode: vCPU not prioritized: %s",
		      cJSON_PrintUnformatted(m));
	ck_assert(cJSON_GetObjectItem(it, "shield_tasks_moved") != NULL);
	ck_assert(cJSON_GetObjectItem(it, "irqs") != NULL);
	ck_assert(!strstr(steps, "kthreads") ==
		  !cJSON_GetObjectItem(it, "kthreads_changed"));
	/* prio mode: its kernel-thread step only when --tuning has it */
	it = cJSON_GetObjectItem(cJSON_GetArrayItem(modes, 3), "tuning");
	ck_assert(cJSON_GetObjectItem(it, "vcpu") != NULL);
	ck_assert(!strstr(steps, "kthreads") ==
		  !cJSON_GetObjectItem(it, "kthreads_changed"));
	it = cJSON_GetObjectItem(j, "ratios");
	num(it, "tuned_over_idle_p99");
	num(it, "untuned_over_tuned_p99");
	it = cJSON_GetObjectItem(j, "goals");
	ck_assert(cJSON_IsBool(cJSON_GetObjectItem(it,
						   "untuned_p99_10x_tuned")));
	ck_assert(cJSON_IsBool(cJSON_GetObjectItem(it,
						   "cosched_hog_2x_static")));
	it = cJSON_GetObjectItem(j, "outer_host");
	num(it, "stalls_ge_1ms");
	ck_assert(cJSON_IsString(cJSON_GetObjectItem(it, "message")));
	cJSON_Delete(j);
	free(out);
	expect_same(before);
	free(before);
}
END_TEST

/* ---- co-scheduling ------------------------------------------------------ */

#define MAX_TIDS 8

/* What a sampler saw of each vCPU thread ("CPU 0/KVM" of an rtvm-demo
 * process) it found: how often at SCHED_OTHER and at SCHED_FIFO. */
struct seen {
	int n;
	struct { int tid, other, fifo; } t[MAX_TIDS];
};

static int find_vcpu(int *ret_pid)
{
	DIR *d = opendir("/proc"), *td;
	struct dirent *de, *te;
	int tid = 0;

	while (d && !tid && (de = readdir(d))) {
		char path[600], comm[64];

		if (de->d_name[0] < '0' || de->d_name[0] > '9')
			continue;
		snprintf(path, sizeof(path), "/proc/%s/comm", de->d_name);
		if (tu_read_text(path, comm, sizeof(comm)) < 0 ||
		    strncmp(comm, "rtvm-demo", 9) != 0)
			continue;
		snprintf(path, sizeof(path), "/proc/%s/task", de->d_name);
		td = opendir(path);
		while (td && !tid && (te = readdir(td))) {
			snprintf(path, sizeof(path), "/proc/%s/task/%s/comm",
				 de->d_name, te->d_name);
			if (tu_read_text(path, comm, sizeof(comm)) == 0 &&
			    strcmp(comm, "CPU 0/KVM") == 0) {
				tid = atoi(te->d_name);
				*ret_pid = atoi(de->d_name);
			}
		}
		if (td)
			closedir(td);
	}
	if (d)
		closedir(d);
	return tid;
}

/* The policy (field 41 of stat) of a thread, or -1 when it is gone. */
static int policy_of(int pid, int tid)
{
	char path[128], text[1024], *p;
	int policy = -1;

	snprintf(path, sizeof(path), "/proc/%d/task/%d/stat", pid, tid);
	if (tu_read_text(path, text, sizeof(text)) < 0 ||
	    !(p = strrchr(text, ')')))
		return -1;
	for (int f = 2; p && f < 41; f++)
		p = strchr(p + 1, ' ');
	if (!p || sscanf(p + 1, "%d", &policy) != 1)
		return -1;
	return policy;
}

static _Noreturn void sampler(struct seen *seen)
{
	int pid = 0, tid = 0, cur = -1;

	prctl(PR_SET_PDEATHSIG, SIGKILL);
	for (;;) {
		int policy = tid ? policy_of(pid, tid) : -1;

		if (policy < 0) {
			tid = find_vcpu(&pid);
			cur = -1;
			for (int i = 0; tid && i < seen->n; i++)
				if (seen->t[i].tid == tid)
					cur = i;
			if (tid && cur < 0 && seen->n < MAX_TIDS) {
				cur = seen->n++;
				seen->t[cur].tid = tid;
			}
			if (!tid)
				sleep_ms(5);
			continue;
		}
		if (cur >= 0 && policy == 0)
			seen->t[cur].other++;
		else if (cur >= 0 && policy == 1)
			seen->t[cur].fifo++;
		usleep(200);
	}
}

/* --modes cosched: its three configurations in the JSON with their
 * figures, the host as before, and the vCPU thread seen from here: FIFO
 * all along in the static one, SCHED_OTHER all along without priority,
 * and in the co-scheduled one at SCHED_OTHER mostly, boosted to FIFO
 * for a part of the time (each burst, armed ahead of it). */
START_TEST(test_demo_cosched)
{
	static const char *const names[] = { "cosched-static", "cosched-boost",
					     "cosched-none" };
	struct seen *seen = mmap(NULL, sizeof(*seen), PROT_READ | PROT_WRITE,
				 MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	char *before = snapshot(), *out;
	int status, mixed = -1, all_fifo = 0, all_other = 0;
	cJSON *j, *m, *c, *it;
	unsigned int i = 0;
	pid_t spid;

	ck_assert_ptr_ne(seen, MAP_FAILED);
	memset(seen, 0, sizeof(*seen));
	spid = fork();
	ck_assert_int_ge(spid, 0);
	if (spid == 0)
		sampler(seen);
	out = run("--modes cosched --duration 1.5 --json", &status);
	kill(spid, SIGKILL);
	waitpid(spid, NULL, 0);
	ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0,
		      "rtvm-demo exit %#x: %s", status, out);
	j = cJSON_Parse(out);
	ck_assert_msg(j != NULL, "not JSON: %s", out);
	ck_assert(cJSON_IsTrue(cJSON_GetObjectItem(j, "host_restored")));
	ck_assert_int_eq(cJSON_GetArraySize(cJSON_GetObjectItem(j, "modes")),
			 3);
	cJSON_ArrayForEach(m, cJSON_GetObjectItem(j, "modes")) {
		double share;

		ck_assert_str_eq(cJSON_GetObjectItem(m, "mode")->valuestring,
				 names[i]);
		ck_assert(num(m, "samples") >= 100);
		c = cJSON_GetObjectItem(m, "cosched");
		ck_assert_msg(cJSON_IsObject(c), "%s: no cosched", names[i]);
		ck_assert_str_eq(cJSON_GetObjectItem(c, "vm")->valuestring,
				 "stand-in");
		ck_assert(num(c, "hog_units_per_s") > 0);
		ck_assert(num(c, "guest_units_per_s") > 0);
		share = num(c, "vcpu_boosted_share");
		if (i == 0)
			ck_assert(share == 1);
		else if (i == 2)
			ck_assert(share == 0);
		else {
			/* boosted for its bursts, not all along */
			ck_assert_msg(share > 0 && share < 0.6,
				      "boosted share %f", share);
			ck_assert(num(c, "boosts") >= 100);
			ck_assert(num(c, "refused") == 0);
			num(c, "start_late_max_us");
			ck_assert(num(c, "lead_us") > 0);
		}
		i++;
	}
	it = cJSON_GetObjectItem(j, "ratios");
	ck_assert(num(it, "cosched_hog_over_static_hog") > 0);
	ck_assert(num(it, "cosched_p99_over_static_p99") > 0);
	it = cJSON_GetObjectItem(j, "goals");
	ck_assert(cJSON_IsBool(cJSON_GetObjectItem(it,
						   "cosched_hog_2x_static")));
	ck_assert(cJSON_IsBool(cJSON_GetObjectItem(
		it, "cosched_p99_within_1.1x_static")));
	/* the vCPU threads as seen from outside */
	for (int k = 0; k < seen->n; k++) {
		int o = seen->t[k].other, f = seen->t[k].fifo;

		fprintf(stderr, "vCPU thread %d: %d x OTHER, %d x FIFO\n",
			seen->t[k].tid, o, f);
		if (o > 20 && f == 0)
			all_other++;
		else if (f > 20 && o < f / 10)
			all_fifo++;
		else if (o > 20 && f > 0 && f < o)
			mixed = k;
	}
	ck_assert_msg(all_fifo >= 1, "no vCPU thread seen at FIFO all along");
	ck_assert_msg(all_other >= 1, "no vCPU thread seen at OTHER all along");
	ck_assert_msg(mixed >= 0, "no vCPU thread seen at OTHER between bursts "
		      "and at FIFO during them");
	cJSON_Delete(j);
	free(out);
	munmap(seen, sizeof(*seen));
	expect_same(before);
	free(before);
}
END_TEST

/* A run killed in the tuned mode leaves its host-wide changes and its
 * state file; the next run undoes them and says so. */
START_TEST(test_demo_crash)
{
	char *before = snapshot(), *out;
	int status;
	pid_t pid;
	bool tuned = false;

	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		int null = open("/dev/null", O_WRONLY);

		prctl(PR_SET_PDEATHSIG, SIGTERM);
		dup2(null, 1);
		dup2(null, 2);
		execl(demo, demo, "--state", state, "--modes", "tuned",
		      "--tuning", steps, "--duration", "5", "--hogs", "1",
		      (char *)NULL);
		_exit(127);
	}
	/* Kill it in the middle of a step if the state file shows one
	 * (values saved as pending, about to be written), else once the
	 * IRQ records have been there for a while. */
	for (int i = 0, since = -1; i < 5000; i++) {
		char *s = NULL;
		FILE *f = fopen(state, "r");
		size_t size = 0;

		if (f) {
			if (getdelim(&s, &size, '\0', f) > 0) {
				if (strstr(s, "pending_changes") ||
				    strstr(s, "pending_irqs"))
					tuned = true;
				if (since < 0 && strstr(s, "irq_affinity"))
					since = i;
			}
			fclose(f);
		}
		free(s);
		if (since >= 0 && i - since >= 500)
			tuned = true;
		if (tuned)
			break;
		sleep_ms(2);
	}
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
	ck_assert_msg(tuned, "the tuned mode never recorded IRQ changes");
	fprintf(stderr, "killed the demo (state file: %s)\n",
		access(state, F_OK) == 0 ? "kept" : "gone");
	ck_assert_int_eq(access(state, F_OK), 0);

	if (_i == 0) {
		/* The next run undoes it and says so. */
		out = run("--modes idle --duration 0.2 2>&1", &status);
		ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0,
			      "rtvm-demo after a crash: exit %#x: %s", status,
			      out);
		ck_assert_msg(strstr(out, "previous run did not finish") != NULL,
			      "no word of the crashed run: %s", out);
		ck_assert_msg(strstr(out, "host restored") != NULL, "%s", out);
	} else {
		/* Or rtvm-tune revert --demo does. */
		out = tu_run_cmd("'%s' revert --demo --state-dir '%s'", tune,
				 tmpdir);
		ck_assert_msg(strstr(out, "reverted what") != NULL, "%s", out);
		ck_assert_int_ne(access(state, F_OK), 0);
	}
	free(out);
	expect_same(before);
	free(before);
}
END_TEST

/* The stand-in vCPU on request (and without KVM, --vm kvm fails and says
 * why, changing nothing); the text says plainly that there is no VM. */
START_TEST(test_demo_vm)
{
	char *before = snapshot(), *out;
	int status;

	out = run("--vm thread --modes idle --duration 0.2 --hogs 0 2>&1",
		  &status);
	ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0,
		      "rtvm-demo --vm thread: exit %#x: %s", status, out);
	ck_assert_msg(strstr(out, "): NO VM, stand-in vCPU thread,") &&
		      strstr(out, "latency (us), no VM") &&
		      strstr(out, "no VM entry or exit is measured"),
		      "the stand-in is not said: %s", out);
	free(out);
	out = run("--vm kvm --modes idle --duration 0.2 --hogs 0 2>&1",
		  &status);
	if (have_kvm) {
		ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0,
			      "rtvm-demo --vm kvm: exit %#x: %s", status, out);
		ck_assert_msg(strstr(out, "): KVM micro-VM,"), "%s", out);
	} else {
		ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 1,
			      "rtvm-demo --vm kvm without KVM: exit %#x: %s",
			      status, out);
		ck_assert_msg(strstr(out, "/dev/kvm is missing"), "%s", out);
	}
	free(out);
	out = run("--vm vmware 2>&1", &status);
	ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 64 &&
		      strstr(out, "\"vmware\""), "exit %#x: %s", status, out);
	free(out);
	expect_same(before);
	free(before);
}
END_TEST

/* Ctrl-C in a terminal: SIGINT to the whole process group. */
START_TEST(test_demo_interrupt)
{
	char *before = snapshot();
	int status;
	pid_t pid;

	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		int null = open("/dev/null", O_WRONLY);

		setpgid(0, 0);
		prctl(PR_SET_PDEATHSIG, SIGTERM);
		dup2(null, 1);
		dup2(null, 2);
		execl(demo, demo, "--state", state, "--modes", "load,tuned",
		      "--tuning", steps, "--duration", "5", "--hogs", "1",
		      (char *)NULL);
		_exit(127);
	}
	setpgid(pid, pid);
	sleep_ms(3000);		/* into the tuned mode */
	kill(-pid, SIGINT);
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 130,
		      "exit status %#x after SIGINT", status);
	expect_same(before);
	free(before);
}
END_TEST

int main(void)
{
	const char *b = getenv("top_builddir");
	Suite *s;
	TCase *tc;
	int fd;

	snprintf(demo, sizeof(demo), "%s/examples/rtvm-demo", b ? b : ".");
	snprintf(tune, sizeof(tune), "%s/examples/rtvm-tune", b ? b : ".");
	if (geteuid() != 0) {
		printf("SKIP: rtvm-demo needs root\n");
		return EXIT_SKIP;
	}
	fd = open("/dev/kvm", O_RDWR | O_CLOEXEC);
	have_kvm = fd >= 0;
	if (fd >= 0)
		close(fd);
	else
		printf("note: no /dev/kvm (%s): the demo runs on its stand-in "
		       "vCPU\n", strerror(errno));
	if (getenv("RTVM_LIVE_KTHREADS") &&
	    strcmp(getenv("RTVM_LIVE_KTHREADS"), "1") == 0)
		steps = "shield,irq,prio,kthreads,pmqos";
	if (access(demo, X_OK) != 0) {
		printf("SKIP: no %s\n", demo);
		return EXIT_SKIP;
	}
	if (access(CPUSET "/cpuset.cpus", F_OK) != 0) {
		printf("SKIP: no cgroup v1 cpuset hierarchy at %s\n", CPUSET);
		return EXIT_SKIP;
	}
	if (sysconf(_SC_NPROCESSORS_ONLN) < 2) {
		printf("SKIP: needs 2 CPUs\n");
		return EXIT_SKIP;
	}
	if (system("unshare --pid --fork --mount-proc true >/dev/null 2>&1")) {
		printf("SKIP: cannot make a PID namespace (unshare)\n");
		return EXIT_SKIP;
	}
	snprintf(tmpdir, sizeof(tmpdir), "/tmp/rtvm-live-demo.XXXXXX");
	if (!mkdtemp(tmpdir))
		return EXIT_FAILURE;
	snprintf(state, sizeof(state), "%s/demo.json", tmpdir);
	if (tu_irq_guard() < 2) {
		printf("SKIP: no IRQ affinity files\n");
		return EXIT_SKIP;
	}
	tu_lock_rt_cpus();
	s = suite_create("live-demo");
	tc = tcase_create("live");
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, test_demo_json);
	tcase_add_test(tc, test_demo_cosched);
	tcase_add_test(tc, test_demo_vm);
	tcase_add_loop_test(tc, test_demo_crash, 0, 2);
	tcase_add_test(tc, test_demo_interrupt);
	suite_add_tcase(s, tc);
	fd = tu_run(s);
	if (tu_irq_put_back()) {
		printf("FAIL: IRQ settings were left changed; written back\n");
		fd = EXIT_FAILURE;
	}
	/* a failed test may have left the state: undo it */
	if (access(state, F_OK) == 0) {
		char cmd[2048];

		snprintf(cmd, sizeof(cmd),
			 "'%s' --state '%s' --modes idle --duration 0.1 "
			 ">/dev/null 2>&1", demo, state);
		if (system(cmd) != 0)
			fd = EXIT_FAILURE;
	}
	unlink(state);
	rmdir(tmpdir);
	return fd;
}
