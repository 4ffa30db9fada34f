/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Live tier: real KVM.  A micro-VM (examples/microvm.c) runs a guest loop
 * that exits to userspace on every iteration, and guests that answer
 * periodic events through PIO exits (rtvm-demo's measurement); its vCPU threads are named like
 * QEMU's, found by rtvm_vm_new_from_pid(), made SCHED_FIFO and pinned, and
 * put back.  Only a child process the test starts is ever changed; it dies
 * with the test (PR_SET_PDEATHSIG).  Real-time time is kept short: the
 * vCPUs busy-loop, and only on CPU 1.
 *
 * Built twice: live-kvm (TEST_BACKEND KVM, skipped without /dev/kvm) and
 * live-standin (the stand-in vCPU threads, which need no /dev/kvm): the
 * same tests, so the stand-in is held to what the KVM micro-VM does.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/kvm.h>
#include <sched.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "microvm.h"
#include "testutil.h"

#ifndef TEST_BACKEND
#define TEST_BACKEND MICROVM_BACKEND_KVM
#endif
#define KVM (TEST_BACKEND == MICROVM_BACKEND_KVM)

#define NR_VCPUS 2
#define RT_CPU 1	/* the only CPU a FIFO vCPU may run on */

static void sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* The loop guest on NR_VCPUS vCPUs of the backend under test. */
static int open_loop(struct microvm **vm)
{
	struct microvm_opts o = { .nr_vcpus = NR_VCPUS,
				  .guest = MICROVM_GUEST_LOOP,
				  .timer_cpu = -1, .backend = TEST_BACKEND };

	return microvm_open_opts(&o, vm);
}

START_TEST(test_guest_runs)
{
	struct microvm *vm;
	uint64_t n[NR_VCPUS];
	uint32_t reason;
	double t0, dt;

	ck_assert_int_eq(open_loop(&vm), 0);
	ck_assert_uint_eq(microvm_nr_vcpus(vm), NR_VCPUS);
	ck_assert_int_eq(microvm_vcpu_tid(vm, 0), -ESRCH);
	ck_assert_int_eq(microvm_start(vm), 0);
	ck_assert_int_eq(microvm_start(vm), -EINVAL);
	t0 = now_s();
	for (unsigned int i = 0; i < NR_VCPUS; i++) {
		char path[64], comm[32] = "", expect[16];
		ssize_t len;
		int fd;

		ck_assert_int_gt(microvm_vcpu_tid(vm, i), 0);
		snprintf(path, sizeof(path), "/proc/self/task/%d/comm",
			 microvm_vcpu_tid(vm, i));
		fd = open(path, O_RDONLY | O_CLOEXEC);
		ck_assert_int_ge(fd, 0);
		len = read(fd, comm, sizeof(comm) - 1);
		close(fd);
		ck_assert_int_gt(len, 0);
		comm[strcspn(comm, "\n")] = '\0';
		snprintf(expect, sizeof(expect), "CPU %u/KVM", i);
		ck_assert_str_eq(comm, expect);
	}
	ck_assert_int_ne(microvm_vcpu_tid(vm, 0), microvm_vcpu_tid(vm, 1));
	ck_assert_int_eq(microvm_vcpu_tid(vm, NR_VCPUS), -EINVAL);
	sleep_ms(200);
	microvm_stop(vm);
	dt = now_s() - t0;
	for (unsigned int i = 0; i < NR_VCPUS; i++) {
		n[i] = microvm_exits(vm, i);
		ck_assert_msg(microvm_error(vm, i, &reason) == 0,
			      "vCPU %u stopped: %s, exit reason %u", i,
			      strerror(-microvm_error(vm, i, NULL)), reason);
		ck_assert_msg(n[i] > 100, "vCPU %u: only %llu exits", i,
			      (unsigned long long)n[i]);
		fprintf(stderr, "note: vCPU %u: %llu %s in %.0f ms "
				"(%.0f/s, %.1f us each)\n",
			i, (unsigned long long)n[i],
			KVM ? "PIO exits" : "stand-in iterations", dt * 1e3,
			n[i] / dt,
			dt * 1e6 / n[i]);
	}
	/* Stopped: the counters stand still. */
	sleep_ms(20);
	for (unsigned int i = 0; i < NR_VCPUS; i++)
		ck_assert_uint_eq(microvm_exits(vm, i), n[i]);
	microvm_close(vm);
	microvm_close(NULL);
}
END_TEST

/* The event guests: every event is answered by guest code (the answer
 * carries the event's sequence number, which only the guest read from its
 * memory), due times are a period apart, and nothing is asserted about
 * latency values (a shared, nested machine). */
static void check_events(int guest)
{
	struct microvm_opts o = { .nr_vcpus = 1, .guest = guest,
				  .period_ns = 1000000, .max_samples = 2000,
				  .timer_cpu = -1, .backend = TEST_BACKEND };
	const struct microvm_sample *s;
	struct microvm *vm;
	uint32_t reason;
	size_t n;

	ck_assert_int_eq(microvm_open_opts(&o, &vm), 0);
	ck_assert_int_eq(microvm_samples(vm, 0, &s), 0);
	ck_assert_int_eq(microvm_start(vm), 0);
	if (guest == MICROVM_GUEST_POLL)
		ck_assert_int_gt(microvm_timer_tid(vm), 0);
	else
		ck_assert_int_eq(microvm_timer_tid(vm), -ESRCH);
	sleep_ms(300);
	microvm_stop(vm);
	ck_assert_msg(microvm_error(vm, 0, &reason) == 0,
		      "vCPU stopped: %s, exit reason %u",
		      strerror(-microvm_error(vm, 0, NULL)), reason);
	n = microvm_samples(vm, 0, &s);
	ck_assert_msg(n >= 50, "only %zu answered events in 300 ms", n);
	ck_assert_uint_ge(microvm_exits(vm, 0), n - microvm_coalesced(vm, 0));
	for (size_t i = 1; i < n; i++)
		ck_assert_msg(s[i].due_ns == s[i - 1].due_ns + o.period_ns ||
			      s[i].due_ns > s[i - 1].due_ns + o.period_ns,
			      "sample %zu due %llu after %llu", i,
			      (unsigned long long)s[i].due_ns,
			      (unsigned long long)s[i - 1].due_ns);
	ck_assert_uint_eq(microvm_dropped(vm, 0), 0);
	fprintf(stderr, "note: %s guest: %zu events answered, first %.1f us\n",
		guest == MICROVM_GUEST_POLL ? "poll" : "wait", n,
		s[0].latency_ns / 1e3);
	/* Restartable: the samples go on. */
	ck_assert_int_eq(microvm_start(vm), 0);
	sleep_ms(50);
	microvm_stop(vm);
	ck_assert_uint_gt(microvm_samples(vm, 0, NULL), n);
	ck_assert_int_eq(microvm_error(vm, 0, NULL), 0);
	microvm_close(vm);
}

START_TEST(test_events_wait)
{
	check_events(MICROVM_GUEST_WAIT);
}
END_TEST

START_TEST(test_events_poll)
{
	check_events(MICROVM_GUEST_POLL);
}
END_TEST

START_TEST(test_bad_opts)
{
	struct microvm_opts o = { .nr_vcpus = 1, .guest = MICROVM_GUEST_WAIT,
				  .period_ns = 1000, .max_samples = 10,
				  .timer_cpu = -1, .backend = TEST_BACKEND };
	struct microvm *vm = NULL;

	ck_assert_int_eq(microvm_open_opts(&o, &vm), -EINVAL);
	o.period_ns = 1000000;
	o.backend = 2;
	ck_assert_int_eq(microvm_open_opts(&o, &vm), -EINVAL);
	o.backend = TEST_BACKEND;
	o.period_ns = 1000000;
	o.guest = 7;
	ck_assert_int_eq(microvm_open_opts(&o, &vm), -EINVAL);
	o.guest = MICROVM_GUEST_POLL;
	o.max_samples = 0;
	ck_assert_int_eq(microvm_open_opts(&o, &vm), -EINVAL);
	ck_assert_ptr_null(vm);
}
END_TEST

/* ---- a child VMM, tuned by the library ------------------------------- */

/* Shared with the child (MAP_SHARED before fork): its exit counters. */
struct shared {
	_Atomic uint64_t exits[NR_VCPUS];
	_Atomic int error[NR_VCPUS];
};

struct child {
	pid_t pid;
	pid_t tid[NR_VCPUS];
	struct shared *sh;
};

static _Noreturn void child_main(int out, struct shared *sh)
{
	struct microvm *vm;
	cpu_set_t set;
	int r;

	prctl(PR_SET_PDEATHSIG, SIGKILL);
	if (getppid() == 1)
		_exit(1);
	r = open_loop(&vm);
	if (r == 0)
		r = microvm_start(vm);
	if (write(out, &r, sizeof(r)) != sizeof(r) || r < 0)
		_exit(1);
	for (unsigned int i = 0; i < NR_VCPUS; i++) {
		pid_t tid = microvm_vcpu_tid(vm, i);

		if (write(out, &tid, sizeof(tid)) != sizeof(tid))
			_exit(1);
	}
	close(out);
	/* The main thread (the "emulator") publishes the counters: keep it
	 * off the RT CPU, or a FIFO vCPU there starves it.  The vCPU threads
	 * keep the affinity they were born with. */
	if (sched_getaffinity(0, sizeof(set), &set) == 0) {
		CPU_CLR(RT_CPU, &set);
		if (CPU_COUNT(&set) > 0)
			sched_setaffinity(0, sizeof(set), &set);
	}
	for (;;) {
		for (unsigned int i = 0; i < NR_VCPUS; i++) {
			atomic_store(&sh->exits[i], microvm_exits(vm, i));
			atomic_store(&sh->error[i], microvm_error(vm, i, NULL));
		}
		sleep_ms(2);
	}
}

static struct child spawn(void)
{
	struct child c = {0};
	int p[2], r = 0;

	c.sh = mmap(NULL, sizeof(*c.sh), PROT_READ | PROT_WRITE,
		    MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	ck_assert_ptr_ne(c.sh, MAP_FAILED);
	ck_assert_int_eq(pipe2(p, O_CLOEXEC), 0);
	c.pid = fork();
	ck_assert_int_ge(c.pid, 0);
	if (c.pid == 0) {
		close(p[0]);
		child_main(p[1], c.sh);
	}
	close(p[1]);
	ck_assert_int_eq(read(p[0], &r, sizeof(r)), sizeof(r));
	ck_assert_msg(r == 0, "the child's micro-VM: %s", strerror(-r));
	for (unsigned int i = 0; i < NR_VCPUS; i++) {
		ck_assert_int_eq(read(p[0], &c.tid[i], sizeof(pid_t)),
				 sizeof(pid_t));
		ck_assert_int_gt(c.tid[i], 0);
	}
	close(p[0]);
	return c;
}

static void reap(struct child *c)
{
	if (c->pid > 0) {
		kill(c->pid, SIGKILL);
		waitpid(c->pid, NULL, 0);
		c->pid = 0;
	}
	if (c->sh && c->sh != MAP_FAILED)
		munmap(c->sh, sizeof(*c->sh));
	c->sh = NULL;
}

static void counts(const struct child *c, uint64_t n[NR_VCPUS])
{
	for (unsigned int i = 0; i < NR_VCPUS; i++)
		n[i] = atomic_load(&c->sh->exits[i]);
}

/* Wait until every vCPU made @min more exits than @base (or time out). */
static bool progress(const struct child *c, const uint64_t base[NR_VCPUS],
		     uint64_t min, long timeout_ms)
{
	uint64_t n[NR_VCPUS];

	for (long t = 0; t <= timeout_ms; t += 10) {
		bool all = true;

		counts(c, n);
		for (unsigned int i = 0; i < NR_VCPUS; i++)
			all = all && n[i] >= base[i] + min;
		if (all)
			return true;
		sleep_ms(10);
	}
	return false;
}

/* Whether chrt reports @policy and @prio for every vCPU thread (one
 * command for all, to keep the FIFO window short). */
static bool chrt_says(const pid_t tid[NR_VCPUS], const char *policy, int prio)
{
	char cmd[256] = "", out[2048] = "", expect[128];
	size_t n, len = 0;
	bool ok;
	FILE *f;

	for (unsigned int i = 0; i < NR_VCPUS; i++)
		len += (size_t)snprintf(cmd + len, sizeof(cmd) - len,
					"%schrt -p %d", i ? " && " : "", tid[i]);
	f = popen(cmd, "r");
	if (!f)
		return false;
	n = fread(out, 1, sizeof(out) - 1, f);
	out[n] = '\0';
	ok = pclose(f) == 0;
	for (unsigned int i = 0; ok && i < NR_VCPUS; i++) {
		snprintf(expect, sizeof(expect),
			 "pid %d's current scheduling policy: %s\n", tid[i],
			 policy);
		ok = strstr(out, expect) != NULL;
		snprintf(expect, sizeof(expect),
			 "pid %d's current scheduling priority: %d\n", tid[i],
			 prio);
		ok = ok && strstr(out, expect) != NULL;
	}
	return ok;
}

START_TEST(test_discover_and_tune)
{
	struct rtvm_sched_attr fifo = { .size = sizeof(fifo),
					.policy = SCHED_FIFO, .priority = 1 };
	struct rtvm_sched_attr orig[NR_VCPUS], got;
	cpu_set_t orig_set[NR_VCPUS], set, self_set;
	bool self_moved;
	int r2;
	uint64_t base[NR_VCPUS], n0[NR_VCPUS], n1[NR_VCPUS];
	struct rtvm_changeset *cs;
	struct rtvm_cpumask *cpus;
	struct rtvm_ctx *ctx;
	struct rtvm_vm *vm;
	unsigned int skipped = 99;
	bool fifo_ok = true, chrt_ok = true, pinned_ok = true;
	double t0, fifo_s;
	struct child c;
	int r;

	ck_assert_int_eq(rtvm_new(&ctx), 0);
	ck_assert_int_eq(rtvm_set_root(ctx, "/"), 0);
	c = spawn();
	memset(base, 0, sizeof(base));
	ck_assert_msg(progress(&c, base, 100, 5000),
		      "the child's vCPUs make no progress");

	/* Discovery. */
	ck_assert_int_eq(rtvm_vm_new_from_pid(ctx, c.pid, &vm), 0);
	ck_assert_str_eq(rtvm_vm_get_vmm(vm), "qemu");
	ck_assert_uint_eq(rtvm_vm_get_nr_vcpus(vm), NR_VCPUS);
	for (unsigned int i = 0; i < NR_VCPUS; i++) {
		ck_assert_int_eq(rtvm_vm_get_vcpu_tid(vm, i), c.tid[i]);
		orig[i].size = sizeof(orig[i]);
		ck_assert_int_eq(rtvm_thread_get_sched(ctx, c.pid, c.tid[i],
						       &orig[i]), 0);
		ck_assert_int_eq(orig[i].policy, SCHED_OTHER);
		ck_assert_int_eq(sched_getaffinity(c.tid[i], sizeof(orig_set[i]),
						   &orig_set[i]), 0);
	}
	ck_assert_int_eq(rtvm_vm_get_vcpu_tid(vm, NR_VCPUS), -ENOENT);

	if (sysconf(_SC_NPROCESSORS_ONLN) <= RT_CPU) {
		fprintf(stderr, "note: CPU %d is not online: FIFO part "
				"skipped\n", RT_CPU);
		goto out;
	}

	/* Pin first, then FIFO: a FIFO busy loop must never run on CPU 0.
	 * The changeset restores newest first: SCHED_OTHER, then the
	 * affinity. */
	ck_assert_int_eq(rtvm_changeset_new(ctx, &cs), 0);
	ck_assert_int_eq(rtvm_cpumask_new(ctx, &cpus), 0);
	ck_assert_int_eq(rtvm_cpumask_set(cpus, RT_CPU), 0);
	ck_assert_int_eq(rtvm_vm_pin(vm, RTVM_VM_ROLE_VCPU, cpus, 0, cs, NULL),
			 0);
	for (unsigned int i = 0; i < NR_VCPUS; i++) {
		ck_assert_int_eq(sched_getaffinity(c.tid[i], sizeof(set), &set),
				 0);
		ck_assert_int_eq(CPU_COUNT(&set), 1);
		ck_assert(CPU_ISSET(RT_CPU, &set));
	}

	/* This thread (and the chrt it starts) stays off the RT CPU while
	 * the vCPUs are FIFO there: it must restore them promptly. */
	ck_assert_int_eq(sched_getaffinity(0, sizeof(self_set), &self_set), 0);
	set = self_set;
	CPU_CLR(RT_CPU, &set);
	self_moved = CPU_COUNT(&set) > 0 &&
		     sched_setaffinity(0, sizeof(set), &set) == 0;

	/* From here to the restore, no assertion may leave the vCPUs FIFO:
	 * collect, restore, then check. */
	counts(&c, n0);
	t0 = now_s();
	r = rtvm_vm_set_sched(vm, RTVM_VM_ROLE_VCPU, NULL, &fifo, 0, cs,
			      &skipped);
	if (r == 0) {
		for (unsigned int i = 0; i < NR_VCPUS; i++) {
			got.size = sizeof(got);
			fifo_ok = fifo_ok &&
				  rtvm_thread_get_sched(ctx, c.pid, c.tid[i],
							&got) == 0 &&
				  got.policy == SCHED_FIFO && got.priority == 1;
			pinned_ok = pinned_ok &&
				    sched_getaffinity(c.tid[i], sizeof(set),
						      &set) == 0 &&
				    CPU_COUNT(&set) == 1 &&
				    CPU_ISSET(RT_CPU, &set);
		}
		chrt_ok = chrt_says(c.tid, "SCHED_FIFO", 1);
		sleep_ms(50);
	}
	counts(&c, n1);
	r2 = rtvm_changeset_restore(cs, 0);
	fifo_s = now_s() - t0;
	if (self_moved)
		ck_assert_int_eq(sched_setaffinity(0, sizeof(self_set),
						   &self_set), 0);
	ck_assert_int_eq(r2, 0);

	if (r == -EPERM) {
		/* The test created no cgroup, so it does not provision one. */
		fprintf(stderr, "note: SKIP FIFO part: SCHED_FIFO refused "
				"(EPERM): this process's cpu cgroup has no RT "
				"runtime and is not one the test created\n");
	} else {
		uint64_t total = 0;

		ck_assert_msg(r == 0, "rtvm_vm_set_sched: %s", strerror(-r));
		ck_assert_uint_eq(skipped, 0);
		ck_assert_msg(fifo_ok, "rtvm_thread_get_sched: not FIFO 1");
		ck_assert_msg(chrt_ok, "chrt -p: not SCHED_FIFO priority 1");
		ck_assert_msg(pinned_ok, "a FIFO vCPU left CPU %d", RT_CPU);
		/* Both FIFO 1 on one CPU: the one running keeps the CPU (it
		 * never blocks), so only the sum must grow. */
		for (unsigned int i = 0; i < NR_VCPUS; i++) {
			fprintf(stderr, "note: FIFO on CPU %d: vCPU %u made "
					"%llu exits in %.0f ms\n", RT_CPU, i,
				(unsigned long long)(n1[i] - n0[i]),
				fifo_s * 1e3);
			total += n1[i] - n0[i];
		}
		ck_assert_msg(total > 100, "FIFO vCPUs made %llu exits",
			      (unsigned long long)total);
		ck_assert_msg(fifo_s < 0.3, "FIFO for %.0f ms", fifo_s * 1e3);
	}

	/* Everything is back. */
	for (unsigned int i = 0; i < NR_VCPUS; i++) {
		got.size = sizeof(got);
		ck_assert_int_eq(rtvm_thread_get_sched(ctx, c.pid, c.tid[i],
						       &got), 0);
		ck_assert_int_eq(got.policy, SCHED_OTHER);
		ck_assert_int_eq(got.priority, 0);
		ck_assert_int_eq(got.nice, orig[i].nice);
		ck_assert_int_eq(sched_getaffinity(c.tid[i], sizeof(set), &set),
				 0);
		ck_assert(CPU_EQUAL(&set, &orig_set[i]));
	}
	ck_assert(chrt_says(c.tid, "SCHED_OTHER", 0));
	rtvm_cpumask_free(cpus);
	rtvm_changeset_unref(cs);

out:
	/* Still running, both vCPUs, with no error. */
	counts(&c, base);
	ck_assert_msg(progress(&c, base, 100, 5000),
		      "the vCPUs stalled after the restore");
	for (unsigned int i = 0; i < NR_VCPUS; i++)
		ck_assert_int_eq(atomic_load(&c.sh->error[i]), 0);
	rtvm_vm_unref(vm);
	reap(&c);
	rtvm_unref(ctx);
}
END_TEST

int main(void)
{
	Suite *s;
	TCase *tc;
	int fd, v;

	if (geteuid() != 0) {
		printf("SKIP: the live KVM test makes its own vCPU threads "
		       "SCHED_FIFO and needs root (CAP_SYS_NICE)\n");
		return EXIT_SKIP;
	}
	if (KVM) {
		fd = open("/dev/kvm", O_RDWR | O_CLOEXEC);
		if (fd < 0) {
			printf("SKIP: cannot open /dev/kvm: %s (live-standin "
			       "runs these tests on stand-in vCPUs)\n",
			       strerror(errno));
			return EXIT_SKIP;
		}
		v = ioctl(fd, KVM_GET_API_VERSION, 0);
		close(fd);
		if (v != KVM_API_VERSION) {
			printf("SKIP: /dev/kvm has API version %d, not %d\n",
			       v, KVM_API_VERSION);
			return EXIT_SKIP;
		}
	}
	if (system("command -v chrt >/dev/null") != 0) {
		printf("SKIP: chrt (util-linux) is needed\n");
		return EXIT_SKIP;
	}
	tu_lock_rt_cpus(); /* no FIFO spinner of another live test on CPU 1 */
	s = suite_create(KVM ? "live-kvm" : "live-standin");
	tc = tcase_create("live");
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_guest_runs);
	tcase_add_test(tc, test_events_wait);
	tcase_add_test(tc, test_events_poll);
	tcase_add_test(tc, test_bad_opts);
	tcase_add_test(tc, test_discover_and_tune);
	suite_add_tcase(s, tc);
	return tu_run(s);
}
