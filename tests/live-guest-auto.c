/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Live tier: rtvm-guest auto on the real kernel, with this host standing
 * in for the guest.  rtvm-boostd brokers for a fake VM (a child whose
 * sleeping threads are named "CPU 0/KVM" and "CPU 1/KVM"); rtvm-guest
 * auto runs in a private mount namespace, where it mounts tracefs (the
 * host never sees it), and reads the sched tracepoints of both CPUs.  A
 * SCHED_FIFO task of the test's own, on CPU 1, spins: the fake vCPU 1 is
 * boosted (at the VM's ceiling, below what auto was asked for); it
 * blocks: vCPU 1 is put back.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/perf_event.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "testutil.h"

static const char *builddir(void)
{
	const char *b = getenv("top_builddir");

	return b && *b ? b : ".";
}

static long long mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000LL + ts.tv_nsec / 1000000;
}

static bool is_fifo(pid_t tid, int prio)
{
	char *out = tu_run_cmd("chrt -p %d", (int)tid), want[64];
	bool yes;

	snprintf(want, sizeof(want), "priority: %d\n", prio);
	yes = strstr(out, "SCHED_FIFO") && strstr(out, want);
	free(out);
	return yes;
}

static bool is_other(pid_t tid)
{
	char *out = tu_run_cmd("chrt -p %d", (int)tid);
	bool yes = strstr(out, "SCHED_OTHER") != NULL;

	free(out);
	return yes;
}

static int tracefs_mounts(void)
{
	FILE *f = fopen("/proc/self/mounts", "r");
	char line[1024];
	int n = 0;

	ck_assert_ptr_nonnull(f);
	while (fgets(line, sizeof(line), f))
		n += strstr(line, " tracefs ") != NULL;
	fclose(f);
	return n;
}

static char *slurp(const char *path)
{
	char *buf = calloc(1, 65536);
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	ck_assert_ptr_nonnull(buf);
	if (fd >= 0) {
		ssize_t n = read(fd, buf, 65535);

		buf[n > 0 ? n : 0] = '\0';
		close(fd);
	}
	return buf;
}

/* The value of "key":N in a JSON line, -1 when absent. */
static long json_num(const char *json, const char *key)
{
	char k[64];
	const char *p;

	snprintf(k, sizeof(k), "\"%s\":", key);
	p = strstr(json, k);
	return p ? strtol(p + strlen(k), NULL, 10) : -1;
}

/* ---- the fake VM's broker ------------------------------------------------- */

struct fx {
	struct tu_child vm;
	char dir[64], sock[128], out[128], err[128];
	pid_t boostd, guest, rt;
	int rt_cmd;		  /* 's': spin, 'q': exit */
	volatile int *rt_stop;	  /* shared with the RT task: [0] stop, */
	volatile int *rt_spinning; /* [1] set while it spins */
};

static void wait_file(const char *path)
{
	for (int i = 0; i < 500 && access(path, F_OK) != 0; i++)
		usleep(10000);
	ck_assert_msg(access(path, F_OK) == 0, "%s did not appear", path);
}

static void start_boostd(struct fx *f)
{
	char config[128];
	FILE *c;

	f->vm = tu_spawn_named("CPU 0/KVM", "CPU 1/KVM");
	ck_assert_int_eq(setpriority(PRIO_PROCESS, (id_t)f->vm.tids[2], 4), 0);
	strcpy(f->dir, "/tmp/rtvm-auto-XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(f->dir));
	snprintf(config, sizeof(config), "%s/boostd.json", f->dir);
	snprintf(f->sock, sizeof(f->sock), "%s/vm1.sock", f->dir);
	snprintf(f->out, sizeof(f->out), "%s/auto.out", f->dir);
	snprintf(f->err, sizeof(f->err), "%s/auto.err", f->dir);
	c = fopen(config, "w");
	ck_assert_ptr_nonnull(c);
	fprintf(c, "{ \"control\": \"%s/control.sock\", "
		   "\"vms\": [ { \"name\": \"vm1\", \"pid\": %d, "
		   "\"listen\": \"%s\", \"policy\": { \"policies\": [\"fifo\"], "
		   "\"max_priority\": 20, \"max_boost_us\": 60000000, "
		   "\"budget_us\": 1000000, \"budget_period_us\": 1000000 } } ] }\n",
		f->dir, (int)f->vm.pid, f->sock);
	fclose(c);
	f->boostd = fork();
	ck_assert_int_ge(f->boostd, 0);
	if (f->boostd == 0) {
		char bin[512], state[160];

		prctl(PR_SET_PDEATHSIG, SIGTERM); /* a failed test leaves none */
		snprintf(bin, sizeof(bin), "%s/examples/rtvm-boostd", builddir());
		snprintf(state, sizeof(state), "%s/state.json", f->dir);
		execl(bin, bin, "-c", config, "--state", state, (char *)NULL);
		_exit(127);
	}
	wait_file(f->sock);
}

/* rtvm-guest auto in a mount namespace of its own (unshare execs it:
 * its pid is the tool's). */
static void start_auto(struct fx *f)
{
	f->guest = fork();
	ck_assert_int_ge(f->guest, 0);
	if (f->guest == 0) {
		char bin[512];
		int out = open(f->out, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
		int err = open(f->err, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);

		prctl(PR_SET_PDEATHSIG, SIGKILL);
		if (out < 0 || err < 0 || dup2(out, 1) < 0 || dup2(err, 2) < 0)
			_exit(126);
		snprintf(bin, sizeof(bin), "%s/examples/rtvm-guest", builddir());
		execlp("unshare", "unshare", "--mount", "--propagation", "private",
		       bin, "--port", f->sock, "auto", "--fifo", "50",
		       "--mount-tracefs", "--json", (char *)NULL);
		_exit(127);
	}
}

static void expect_auto_running(struct fx *f)
{
	int status;

	if (waitpid(f->guest, &status, WNOHANG) == f->guest) {
		char *err = slurp(f->err);

		f->guest = 0;
		ck_abort_msg("rtvm-guest auto exited (status %d): %s", status, err);
	}
}

/* The test's RT task: SCHED_FIFO 1 on CPU 1, blocked on a pipe; 's' makes
 * it spin until rt_block() (or 10 s of CPU at most), 'q' exit. */
static void start_rt(struct fx *f)
{
	int pipefd[2];

	int *shared = mmap(NULL, 2 * sizeof(int), PROT_READ | PROT_WRITE,
			   MAP_SHARED | MAP_ANONYMOUS, -1, 0);

	ck_assert_ptr_ne(shared, MAP_FAILED);
	f->rt_stop = &shared[0];
	f->rt_spinning = &shared[1];
	ck_assert_int_eq(pipe2(pipefd, O_CLOEXEC), 0);
	f->rt = fork();
	ck_assert_int_ge(f->rt, 0);
	if (f->rt == 0) {
		struct sched_param sp = { .sched_priority = 1 };
		cpu_set_t set;
		char c;

		prctl(PR_SET_PDEATHSIG, SIGKILL);
		CPU_ZERO(&set);
		CPU_SET(1, &set);
		if (sched_setaffinity(0, sizeof(set), &set) < 0 ||
		    sched_setscheduler(0, SCHED_FIFO, &sp) < 0)
			_exit(1);
		while (read(pipefd[0], &c, 1) == 1 && c == 's') {
			struct timespec t0, t;

			*f->rt_spinning = 1;
			clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t0);
			do
				clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
			while (!*f->rt_stop && t.tv_sec - t0.tv_sec < 10);
			*f->rt_spinning = 0;
		}
		_exit(0);
	}
	close(pipefd[0]);
	f->rt_cmd = pipefd[1];
}

/* Wait (3 s at most) until the RT task is spinning, or is not. */
static void rt_wait(struct fx *f, int spinning, const char *what)
{
	for (int i = 0; i < 3000 && *f->rt_spinning != spinning; i++)
		usleep(1000);
	ck_assert_msg(*f->rt_spinning == spinning, "the RT task did not %s "
		      "within 3 s", what);
}

/* 's': it spins (and is known to, before this returns); 'q': it exits.
 * One word at a time: a word sent while it still spun would wait in the
 * pipe, and make it spin again right after a later rt_block(). */
static void rt_say(struct fx *f, char c)
{
	*f->rt_stop = 0;
	ck_assert_int_eq(write(f->rt_cmd, &c, 1), 1);
	if (c == 's')
		rt_wait(f, 1, "start spinning");
}

/* it stops spinning and goes to block on its pipe */
static void rt_block(struct fx *f)
{
	*f->rt_stop = 1;
	rt_wait(f, 0, "stop spinning");
}

static void teardown(struct fx *f)
{
	if (f->rt > 0) {
		*f->rt_stop = 1;
		kill(f->rt, SIGKILL);
		waitpid(f->rt, NULL, 0);
	}
	if (f->guest > 0) {
		kill(f->guest, SIGKILL);
		waitpid(f->guest, NULL, 0);
	}
	if (f->boostd > 0) {
		kill(f->boostd, SIGTERM);
		waitpid(f->boostd, NULL, 0);
	}
	tu_reap(&f->vm);
	free(tu_run_cmd("rm -rf %s", f->dir));
}

/* vCPU 1 is boosted to FIFO 20 (8 s at most) and stays so the whole
 * time the RT task spins (hysteresis or not). */
static void expect_boost(struct fx *f, pid_t vcpu1, const char *how)
{
	long long t0 = mono_ms();
	int i;

	for (i = 0; i < 800 && !is_fifo(vcpu1, 20); i++) {
		expect_auto_running(f);
		usleep(10000);
	}
	ck_assert_msg(is_fifo(vcpu1, 20), "vCPU 1 was not boosted to FIFO 20 "
		      "in %lld ms while a FIFO task that %s spun on CPU 1: %s",
		      mono_ms() - t0, how, slurp(f->err));
	for (i = 0; i < 5; i++) {
		usleep(10000);
		ck_assert_msg(is_fifo(vcpu1, 20), "vCPU 1 lost its boost while "
			      "the FIFO task (it %s) was still runnable: %s", how,
			      slurp(f->err));
	}
}

/* The RT task blocks: vCPU 1 is put back (10 s at most). */
static void expect_deboost(struct fx *f, pid_t vcpu1)
{
	long long t0;
	int i;

	rt_block(f);
	t0 = mono_ms();
	for (i = 0; i < 1000 && !is_other(vcpu1); i++)
		usleep(10000);
	ck_assert_msg(is_other(vcpu1), "vCPU 1 stayed boosted %lld ms after "
		      "the FIFO task blocked (%d looks): %s", mono_ms() - t0,
		      i, slurp(f->err));
	errno = 0;
	ck_assert_int_eq(getpriority(PRIO_PROCESS, (id_t)vcpu1), 4);
}

START_TEST(test_auto)
{
	struct fx f = {0};
	pid_t vcpu1;
	int mounts = tracefs_mounts(), status;
	long boosts, deboosts, records;
	char *out, *err;

	start_boostd(&f);
	vcpu1 = f.vm.tids[2];
	start_rt(&f);
	/* Spinning before auto starts: no record of it comes, the tool's
	 * look at /proc when it starts finds it. */
	rt_say(&f, 's');
	start_auto(&f);
	expect_boost(&f, vcpu1, "already spun when auto started");
	expect_deboost(&f, vcpu1);
	/* From the records: the rings are enabled by now (the tool boosted
	 * after it enabled them); the wakeup, the switches. */
	rt_say(&f, 's');
	expect_boost(&f, vcpu1, "was woken");
	expect_deboost(&f, vcpu1);
	rt_say(&f, 'q');
	ck_assert_int_eq(waitpid(f.rt, &status, 0), f.rt);
	f.rt = 0;
	ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0,
		      "the RT task could not become SCHED_FIFO on CPU 1");

	kill(f.guest, SIGTERM);
	ck_assert_int_eq(waitpid(f.guest, &status, 0), f.guest);
	f.guest = 0;
	out = slurp(f.out);
	err = slurp(f.err);
	ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0,
		      "rtvm-guest auto: status %d, %s", status, err);
	ck_assert_msg(strstr(err, "priority 50 is above this VM's ceiling; "
			     "asking for 20"), "no word of the ceiling: %s", err);
	boosts = json_num(out, "boosts");
	deboosts = json_num(out, "deboosts");
	records = json_num(out, "records");
	ck_assert_msg(boosts >= 2 && deboosts >= 2 && records >= 2 &&
		      json_num(out, "lost") >= 0 && json_num(out, "refused") == 0,
		      "counters: %s", out);
	printf("rtvm-guest auto: %s", out);
	/* every boost was ended by a deboost, sent at the latest on exit */
	ck_assert_int_eq(boosts, deboosts);
	ck_assert_int_eq(tracefs_mounts(), mounts);
	free(out);
	free(err);
	teardown(&f);
}
END_TEST

/* Without tracefs, auto says so and how to mount it, and mounts nothing:
 * in a mount namespace whose tracefs and debugfs are taken away. */
START_TEST(test_no_tracefs)
{
	struct fx f = {0};
	char *out;

	start_boostd(&f);
	out = tu_run_cmd("unshare --mount --propagation private sh -c '"
			 "umount -l /sys/kernel/tracing 2>/dev/null; "
			 "umount -l /sys/kernel/debug/tracing 2>/dev/null; "
			 "umount -l /sys/kernel/debug 2>/dev/null; "
			 "%s/examples/rtvm-guest --port %s auto; echo rc=$?; "
			 "grep -c \" tracefs \" /proc/self/mounts; true' 2>&1",
			 builddir(), f.sock);
	ck_assert_msg(strstr(out, "tracefs is not mounted") &&
		      strstr(out, "mount -t tracefs nodev /sys/kernel/tracing") &&
		      strstr(out, "--mount-tracefs") && strstr(out, "rc=1\n0\n"),
		      "without tracefs: %s", out);
	free(out);
	out = tu_run_cmd("%s/examples/rtvm-guest --port %s auto --tracefs "
			 "%s 2>&1; echo rc=$?", builddir(), f.sock, f.dir);
	ck_assert_msg(strstr(out, "has no events/sched") && strstr(out, "rc=1"),
		      "--tracefs without events: %s", out);
	free(out);
	teardown(&f);
}
END_TEST

/* Can this process have a mount namespace with tracefs, and perf events
 * of a tracepoint on every CPU?  0, or why not. */
static const char *probe(void)
{
	static const char *const why[] = {
		NULL,
		"no private mount namespace (unshare(CLONE_NEWNS) refused)",
		"tracefs cannot be mounted in a private mount namespace",
		"no sched:sched_switch tracepoint in tracefs",
		"perf_event_open of a tracepoint on a CPU is refused",
	};
	pid_t pid = fork();
	int status;

	if (pid < 0)
		return "no fork for the probe";
	if (pid == 0) {
		struct perf_event_attr attr = { .type = PERF_TYPE_TRACEPOINT,
						.size = sizeof(attr) };
		char id[32];

		if (unshare(CLONE_NEWNS) < 0 ||
		    mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0)
			_exit(1);
		if (mount("nodev", "/sys/kernel/tracing", "tracefs", 0, NULL) < 0)
			_exit(2);
		if (tu_read_text("/sys/kernel/tracing/events/sched/sched_switch/id",
				 id, sizeof(id)) < 0)
			_exit(3);
		attr.config = strtoull(id, NULL, 10);
		if (syscall(SYS_perf_event_open, &attr, -1, 0, -1, 0) < 0)
			_exit(4);
		_exit(0);
	}
	if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status) ||
	    WEXITSTATUS(status) > 4)
		return "the probe died";
	return why[WEXITSTATUS(status)];
}

int main(void)
{
	const char *no;
	Suite *s;
	TCase *tc;

	if (tu_rt_skip("live guest-auto tests (perf events of every CPU, a "
		       "mount namespace)"))
		return EXIT_SKIP;
	if (sysconf(_SC_NPROCESSORS_ONLN) < 2) {
		printf("skip: the test's RT task runs on CPU 1\n");
		return EXIT_SKIP;
	}
	if (system("command -v unshare >/dev/null") != 0) {
		printf("skip: no unshare(1)\n");
		return EXIT_SKIP;
	}
	if ((no = probe())) {
		printf("skip: %s\n", no);
		return EXIT_SKIP;
	}
	/* The RT task spins on CPU 1: no other suite's spinner beside it. */
	if (tu_lock_rt_cpus() < 0) {
		printf("cannot take the RT-CPU lock\n");
		return EXIT_FAILURE;
	}
	/* The lock's previous holder may have spun at FIFO on CPU 1 most
	 * of this RT period: our task would be throttled (RT limit
	 * kernel.sched_rt_runtime_us), and not stop when told to. */
	tu_wait_rt_period();
	s = suite_create("live-guest-auto");
	tc = tcase_create("live-guest-auto");
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, test_auto);
	tcase_add_test(tc, test_no_tracefs);
	suite_add_tcase(s, tc);
	return tu_run(s);
}
