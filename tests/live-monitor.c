/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Live tier: the VM monitor on the real kernel.  A fake VM (a child
 * process with a busy thread named "CPU 0/KVM") and a hog (another child)
 * run on CPUs the test picks; the monitor must see the preemptions and run
 * delay the hog causes when they share a CPU, and none of them when the
 * vCPU is SCHED_FIFO alone on its CPU.  Only the test's own children are
 * pinned or prioritized (each does it to itself); they die with the test.
 */
#include "config.h"

#include <errno.h>
#include <glob.h>
#include <inttypes.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "microvm.h"
#include "testutil.h"

struct spin_arg {
	int cpu, policy, fd;
};

/* Pin the calling thread, set its policy, report its tid (or -errno of
 * the policy), spin. */
static void *spin(void *p)
{
	struct spin_arg *a = p;
	struct sched_param sp = { .sched_priority = a->policy ? 1 : 0 };
	cpu_set_t set;
	pid_t msg = (pid_t)syscall(SYS_gettid);

	CPU_ZERO(&set);
	CPU_SET(a->cpu, &set);
	if (sched_setaffinity(0, sizeof(set), &set) < 0)
		_exit(1);
	if (a->policy && sched_setscheduler(0, a->policy, &sp) < 0)
		msg = -errno;
	if (write(a->fd, &msg, sizeof(msg)) != sizeof(msg))
		_exit(1);
	if (msg < 0)
		for (;;)
			pause();
	for (volatile unsigned long i = 0;; i++)
		;
	return NULL;
}

/* A child: with @vcpu_name a fake VM whose main thread sleeps and whose
 * thread @vcpu_name spins; without, a hog spinning on its main thread.
 * Returns the pid; *ret_tid is the spinner's tid, or -errno when its
 * policy was refused. */
static pid_t spawn(const char *vcpu_name, int cpu, int policy, pid_t *ret_tid)
{
	static struct spin_arg arg;
	int p[2];
	pid_t pid;

	ck_assert_int_eq(pipe(p), 0);
	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		pthread_t t;

		prctl(PR_SET_PDEATHSIG, SIGKILL);
		arg = (struct spin_arg){ cpu, policy, p[1] };
		if (!vcpu_name) {
			prctl(PR_SET_NAME, "rtvm-live-hog");
			spin(&arg);
		}
		if (pthread_create(&t, NULL, spin, &arg) != 0 ||
		    pthread_setname_np(t, vcpu_name) != 0)
			_exit(1);
		for (;;)
			pause();
	}
	close(p[1]);
	ck_assert_int_eq(read(p[0], ret_tid, sizeof(*ret_tid)), sizeof(*ret_tid));
	close(p[0]);
	return pid;
}

static void reap(pid_t pid)
{
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
}

/* Sample over @ms; the fake VM's vCPU thread and the CPU's figures. */
static void watch(pid_t vm_pid, int cpu, unsigned int flags, unsigned int ms,
		  struct rtvm_monitor **ret_m, struct rtvm_monitor_thread *ret)
{
	struct rtvm_ctx *ctx = NULL;
	struct rtvm_monitor *m = NULL;
	struct rtvm_vm *vm = NULL;
	struct rtvm_cpumask *rt;
	char list[16];
	bool found = false;
	int r;

	ck_assert_int_eq(rtvm_new(&ctx), 0);
	snprintf(list, sizeof(list), "%d", cpu);
	rt = tu_mask((unsigned int)sysconf(_SC_NPROCESSORS_CONF), list);
	r = rtvm_monitor_new(ctx, flags, &m);
	ck_assert_msg(r == 0, "rtvm_monitor_new: %s", strerror(-r));
	/* The thread names itself just after it exists. */
	for (int i = 0; i < 100; i++) {
		r = rtvm_vm_new_from_pid(ctx, vm_pid, &vm);
		if (r != -ENOENT)
			break;
		usleep(10000);
	}
	ck_assert_int_eq(r, 0);
	ck_assert_int_eq(rtvm_monitor_add_vm(m, vm, rt, NULL), 0);
	ck_assert_int_eq(rtvm_monitor_sample(m), 0);
	usleep(ms * 1000);
	ck_assert_int_eq(rtvm_monitor_sample(m), 0);
	ck_assert_uint_ge(rtvm_monitor_get_interval_ns(m), ms * 1000000ull);
	for (unsigned int i = 0; rtvm_monitor_get_thread(m, i, ret) == 0; i++)
		if (ret->role == RTVM_VM_ROLE_VCPU) {
			found = true;
			break;
		}
	ck_assert(found);
	rtvm_vm_unref(vm);
	rtvm_cpumask_free(rt);
	rtvm_unref(ctx);
	*ret_m = m;
}

static int last_cpu(void)
{
	return (int)sysconf(_SC_NPROCESSORS_ONLN) - 1;
}

/* Sharing a CPU with a hog under CFS: preempted, waiting. */
START_TEST(test_hog_same_cpu)
{
	struct rtvm_monitor_thread t = { .size = sizeof(t) };
	struct rtvm_monitor_intruder in = { .size = sizeof(in) };
	struct rtvm_monitor_cpu c = { .size = sizeof(c) };
	struct rtvm_monitor *m;
	int cpu = last_cpu();
	pid_t vtid, htid, vm, hog;
	bool hog_seen = false;
	int lock = tu_lock_rt_cpus(); /* no FIFO spinner of another test */

	vm = spawn("CPU 0/KVM", cpu, 0, &vtid);
	hog = spawn(NULL, cpu, 0, &htid);
	watch(vm, cpu, RTVM_MONITOR_CPUS | RTVM_MONITOR_INTRUDERS, 600, &m, &t);
	printf("shared CPU %d: vCPU cpu %.1f ms, run delay %.1f ms, "
	       "%" PRIu64 " preemptions, %" PRIu64 " blocks\n", cpu,
	       (double)t.cpu_ns / 1e6, (double)t.run_delay_ns / 1e6,
	       t.involuntary, t.voluntary);
	ck_assert_int_eq(t.tid, vtid);
	ck_assert_int_eq(t.cpu, cpu);
	ck_assert(t.have & RTVM_MONITOR_HAVE_SCHEDSTAT);
	ck_assert(t.have & RTVM_MONITOR_HAVE_SWITCHES);
	ck_assert_uint_ge(t.involuntary, 3);
	ck_assert_uint_ge(t.run_delay_ns, 50000000ull);
	ck_assert_uint_ge(t.cpu_ns, 50000000ull);
	for (unsigned int i = 0; rtvm_monitor_get_intruder(m, i, &in) == 0; i++)
		if (in.tid == htid) {
			hog_seen = true;
			ck_assert_int_eq(in.pid, hog);
			ck_assert_str_eq(in.name, "rtvm-live-hog");
			ck_assert_int_eq(in.cpu, cpu);
			ck_assert_uint_gt(in.cpu_ns, 0);
		} else {
			ck_assert_int_ne(in.pid, vm); /* the VM's own: never */
		}
	ck_assert_msg(hog_seen, "the hog is not among the intruders");
	for (unsigned int i = 0; rtvm_monitor_get_cpu(m, i, &c) == 0; i++)
		if ((int)c.cpu == cpu) {
			ck_assert(c.rt);
			ck_assert_uint_ge(c.intruders, 1);
			ck_assert_uint_ge(c.user_ns + c.system_ns, 300000000ull);
		}
	rtvm_monitor_free(m);
	reap(hog);
	reap(vm);
	close(lock);
}
END_TEST

/* SCHED_FIFO alone on its CPU, the hog elsewhere: the CFS tasks of the
 * host cannot preempt it.  Higher RT and stop-class kernel threads
 * (migration/N, a watchdog) still can, a few times per interval on a
 * busy CI machine, so the bound on preemptions is loose: far below the
 * one-per-tick of a vCPU sharing its CPU with a hog (test_hog_same_cpu:
 * about 75 in 300 ms), which is what this case tells apart. */
START_TEST(test_fifo_alone)
{
	struct rtvm_monitor_thread t = { .size = sizeof(t) };
	struct rtvm_monitor *m;
	int cpu = last_cpu();
	pid_t vtid, htid, vm, hog;
	int lock = tu_lock_rt_cpus();

	tu_wait_rt_period(); /* no RT throttling earned by the test before */
	vm = spawn("CPU 0/KVM", cpu, SCHED_FIFO, &vtid);
	if (vtid < 0) {
		printf("note: SCHED_FIFO refused (%s): this case needs RT "
		       "runtime in the test's cpu cgroup\n", strerror(-vtid));
		reap(vm);
		close(lock);
		return;
	}
	hog = spawn(NULL, 0, 0, &htid);
	watch(vm, cpu, RTVM_MONITOR_RT_LIMIT, 300, &m, &t);
	printf("FIFO vCPU on CPU %d: cpu %.1f ms, run delay %.3f ms, "
	       "%" PRIu64 " preemptions\n", cpu, (double)t.cpu_ns / 1e6,
	       (double)t.run_delay_ns / 1e6, t.involuntary);
	ck_assert_int_eq(t.policy, SCHED_FIFO);
	ck_assert_int_eq(t.priority, 1);
	ck_assert_uint_le(t.involuntary, 15);
	ck_assert_msg(t.run_delay_ns <= 10000000ull,
		      "a FIFO vCPU alone waited %.1f ms in 300 ms (RT limit "
		      "%" PRId64 "/%" PRIu64 " us, throttled %d)",
		      (double)t.run_delay_ns / 1e6, t.rt_runtime_us,
		      t.rt_period_us, t.rt_throttled);
	ck_assert_uint_ge(t.cpu_ns, 200000000ull);
	rtvm_monitor_free(m);
	reap(hog);
	reap(vm);
	close(lock);
}
END_TEST

/* Delay accounting through taskstats over generic netlink. */
START_TEST(test_taskstats)
{
	struct rtvm_monitor_thread t = { .size = sizeof(t) };
	struct rtvm_monitor *m = NULL;
	int cpu = last_cpu();
	pid_t vtid, htid, vm, hog;
	int lock = tu_lock_rt_cpus();

	vm = spawn("CPU 0/KVM", cpu, 0, &vtid);
	hog = spawn(NULL, cpu, 0, &htid);
	watch(vm, cpu, RTVM_MONITOR_TASKSTATS, 400, &m, &t);
	printf("taskstats: cpu delay %" PRIu64 " x, %.1f ms; delayacct %d\n",
	       t.delay_count[RTVM_MONITOR_DELAY_CPU],
	       (double)t.delay_ns[RTVM_MONITOR_DELAY_CPU] / 1e6,
	       rtvm_monitor_get_delayacct(m));
	ck_assert(t.have & RTVM_MONITOR_HAVE_DELAYS);
	/* The CPU delay comes from the scheduler's own accounting, on
	 * whether or not kernel.task_delayacct is. */
	ck_assert_uint_ge(t.delay_count[RTVM_MONITOR_DELAY_CPU], 1);
	ck_assert_uint_ge(t.delay_ns[RTVM_MONITOR_DELAY_CPU], 10000000ull);
	ck_assert_int_ge(rtvm_monitor_get_delayacct(m), 0);
	rtvm_monitor_free(m);
	reap(hog);
	reap(vm);
	close(lock);
}
END_TEST

/* KVM's own counters of a micro-VM, from debugfs, mounted for the test
 * in a mount namespace of its own (the host's mounts stay as they are). */
START_TEST(test_kvm)
{
	struct rtvm_monitor_thread t = { .size = sizeof(t) };
	struct rtvm_monitor_vm v = { .size = sizeof(v) };
	struct rtvm_monitor *m;
	int p[2], err = 0;
	pid_t vm;

	if (unshare(CLONE_NEWNS) < 0 ||
	    mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0 ||
	    (mount("debugfs", "/sys/kernel/debug", "debugfs", 0, NULL) < 0 &&
	     errno != EBUSY)) {
		printf("note: the KVM case does not run: no debugfs in a "
		       "private mount namespace (%s)\n", strerror(errno));
		return;
	}
	ck_assert_int_eq(pipe(p), 0);
	vm = fork();
	ck_assert_int_ge(vm, 0);
	if (vm == 0) {
		struct microvm_opts o = { .nr_vcpus = 1,
					  .guest = MICROVM_GUEST_LOOP };
		struct microvm *mv = NULL;

		prctl(PR_SET_PDEATHSIG, SIGKILL);
		err = microvm_open_opts(&o, &mv);
		if (err == 0)
			err = microvm_start(mv);
		if (write(p[1], &err, sizeof(err)) != sizeof(err))
			_exit(1);
		for (;;)
			pause();
	}
	close(p[1]);
	ck_assert_int_eq(read(p[0], &err, sizeof(err)), sizeof(err));
	close(p[0]);
	ck_assert_msg(err == 0, "micro-VM: %s", strerror(-err));
	watch(vm, last_cpu(), RTVM_MONITOR_KVM, 300, &m, &t);
	ck_assert_int_eq(rtvm_monitor_get_vm(m, 0, &v), 0);
	if (!(v.flags & RTVM_MONITOR_VM_KVM)) {
		char pattern[64];
		glob_t g;
		FILE *f;

		/* Is it this kernel that refuses (some keep KVM's debugfs
		 * files closed, EPERM even for root)? */
		snprintf(pattern, sizeof(pattern),
			 "/sys/kernel/debug/kvm/%d-*/exits", (int)vm);
		ck_assert_msg(glob(pattern, 0, NULL, &g) == 0,
			      "KVM made no debugfs directory for the VM (%s)",
			      pattern);
		f = fopen(g.gl_pathv[0], "r");
		ck_assert_msg(!f, "%s is readable, but the monitor has no KVM "
			      "figures", g.gl_pathv[0]);
		printf("note: the KVM case does not run: %s: %s (this kernel "
		       "keeps KVM's debugfs statistics closed)\n",
		       g.gl_pathv[0], strerror(errno));
		globfree(&g);
		rtvm_monitor_free(m);
		reap(vm);
		return;
	}
	printf("KVM: %" PRIu64 " exits, %" PRIu64 " halt exits in 300 ms\n",
	       v.kvm[RTVM_MONITOR_KVM_EXITS], v.kvm[RTVM_MONITOR_KVM_HALT_EXITS]);
	ck_assert(v.flags & RTVM_MONITOR_VM_KVM);
	/* the loop guest exits to the VMM on every iteration, never halts */
	ck_assert_uint_ge(v.kvm[RTVM_MONITOR_KVM_EXITS], 1000);
	ck_assert_uint_eq(v.kvm[RTVM_MONITOR_KVM_HALT_EXITS], 0);
	rtvm_monitor_free(m);
	reap(vm);
}
END_TEST

/* RT throttling on the real kernel: the FIFO spinner alone on its CPU, in
 * a cpu cgroup of the test's own with 10 ms of RT runtime per 100 ms, is
 * held back, and the monitor says so with that cgroup's limit.  The
 * cgroup is removed by the case, and by the parent's teardown if the case
 * failed. */
static char throttle_cg[128];

static void throttle_cleanup(void)
{
	if (throttle_cg[0])
		rmdir(throttle_cg);
}

static int write_str(const char *dir, const char *file, const char *value)
{
	char path[256];
	FILE *f;
	int r = 0;

	snprintf(path, sizeof(path), "%s/%s", dir, file);
	f = fopen(path, "we");
	if (!f)
		return -errno;
	if (fputs(value, f) < 0)
		r = -errno;
	if (fclose(f) != 0 && r == 0)
		r = -errno;
	return r;
}

START_TEST(test_rt_throttled)
{
	struct rtvm_monitor_thread t = { .size = sizeof(t) };
	struct sched_param sp = { .sched_priority = 1 };
	struct rtvm_monitor *m;
	int cpu = last_cpu(), lock = tu_lock_rt_cpus(), r;
	pid_t vtid, vm;
	char tid[16];

	if (mkdir(throttle_cg, 0755) < 0) {
		printf("note: the RT throttling case does not run: %s: %s (it "
		       "needs the cgroup v1 cpu hierarchy there)\n", throttle_cg,
		       strerror(errno));
		close(lock);
		return;
	}
	r = write_str(throttle_cg, "cpu.rt_period_us", "100000");
	if (r == 0)
		r = write_str(throttle_cg, "cpu.rt_runtime_us", "10000");
	if (r < 0) {
		printf("note: the RT throttling case does not run: %s: RT "
		       "runtime: %s (it needs CONFIG_RT_GROUP_SCHED and 10%% "
		       "of the root group's runtime free)\n", throttle_cg,
		       strerror(-r));
		throttle_cleanup();
		close(lock);
		return;
	}
	vm = spawn("CPU 0/KVM", cpu, 0, &vtid);
	snprintf(tid, sizeof(tid), "%d", (int)vtid);
	ck_assert_int_eq(write_str(throttle_cg, "tasks", tid), 0);
	ck_assert_msg(sched_setscheduler(vtid, SCHED_FIFO, &sp) == 0,
		      "SCHED_FIFO in %s: %s", throttle_cg, strerror(errno));
	watch(vm, cpu, RTVM_MONITOR_RT_LIMIT, 500, &m, &t);
	printf("FIFO vCPU with 10%% RT runtime: cpu %.1f ms, run delay %.1f ms "
	       "in %.1f ms, limit %" PRId64 "/%" PRIu64 " us, throttled %d\n",
	       (double)t.cpu_ns / 1e6, (double)t.run_delay_ns / 1e6,
	       (double)rtvm_monitor_get_interval_ns(m) / 1e6, t.rt_runtime_us,
	       t.rt_period_us, t.rt_throttled);
	ck_assert_int_eq(t.policy, SCHED_FIFO);
	ck_assert(t.have & RTVM_MONITOR_HAVE_RT_LIMIT);
	ck_assert_int_eq(t.rt_runtime_us, 10000);
	ck_assert_uint_eq(t.rt_period_us, 100000);
	ck_assert(t.rt_throttled);
	/* 10% of the CPU, give or take a period at the interval's ends */
	ck_assert_uint_le(t.cpu_ns, rtvm_monitor_get_interval_ns(m) / 4);
	rtvm_monitor_free(m);
	reap(vm);
	throttle_cleanup();
	close(lock);
}
END_TEST

/* Whether this kernel answers taskstats requests of this process. */
static int taskstats_usable(void)
{
	struct rtvm_monitor *m = NULL;
	struct rtvm_ctx *ctx = NULL;
	int r;

	if (rtvm_new(&ctx) < 0)
		return -ENOMEM;
	r = rtvm_monitor_new(ctx, RTVM_MONITOR_TASKSTATS, &m);
	rtvm_monitor_free(m);
	rtvm_unref(ctx);
	return r;
}

int main(void)
{
	Suite *s = suite_create("live-monitor");
	TCase *tc = tcase_create("live-monitor");
	int r;

	if (sysconf(_SC_NPROCESSORS_ONLN) < 2) {
		printf("SKIP: needs 2 CPUs (one for the vCPU, one for the rest)\n");
		return EXIT_SKIP;
	}
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_hog_same_cpu);
	tcase_add_test(tc, test_fifo_alone);
	if (access("/dev/kvm", R_OK | W_OK) == 0)
		tcase_add_test(tc, test_kvm);
	else
		printf("note: the KVM case does not run: no usable /dev/kvm "
		       "(%s); rtvm_monitor's KVM statistics are not tested\n",
		       strerror(errno));
	r = taskstats_usable();
	if (r == 0)
		tcase_add_test(tc, test_taskstats);
	else
		printf("note: the taskstats case does not run: %s (it needs "
		       "CONFIG_TASKSTATS and CAP_NET_ADMIN)\n", strerror(-r));
	suite_add_tcase(s, tc);
	/* its own case: the unchecked teardown runs in this process, after
	 * the case's child is gone, and removes a cgroup it left */
	snprintf(throttle_cg, sizeof(throttle_cg),
		 "/sys/fs/cgroup/cpu/rtvm-live-throttle-%d", (int)getpid());
	tc = tcase_create("rt-throttling");
	tcase_set_timeout(tc, 60);
	tcase_add_unchecked_fixture(tc, NULL, throttle_cleanup);
	tcase_add_test(tc, test_rt_throttled);
	suite_add_tcase(s, tc);
	return tu_run(s);
}
