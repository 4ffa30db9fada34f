/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * bench-boost-canary: what a hostile guest can take from the host.
 *
 * A fake VM (a child whose thread "CPU 0/KVM" spins) and a SCHED_OTHER
 * canary thread that spins too share one CPU.  A hostile guest floods the
 * broker with BOOST requests for that vCPU and never deboosts.  Printed,
 * per one-second window: the canary's share of the CPU without boosts
 * (the baseline) and under the flood, next to the floor the VM's budget
 * promises (the canary keeps its baseline share of the time the budget
 * leaves unboosted); the vCPU's share; and the broker's CPU per request.
 * Figures, never a verdict.
 *
 * Only the benchmark's own threads and its child are pinned or given an
 * RT policy; the boosted thread holds SCHED_FIFO at most the budget's
 * share (30% by default) of each second.
 */
#define _GNU_SOURCE
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <rtvm/rtvm.h>

#include "stats.h"

static atomic_bool stop;

static void pin(int cpu)
{
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	sched_setaffinity(0, sizeof(set), &set);
}

static void *spin(void *arg)
{
	(void)arg;
	while (!atomic_load_explicit(&stop, memory_order_relaxed))
		;
	return NULL;
}

static int vcpu_report, vcpu_cpu;

/* The fake VM's vCPU thread, named as QEMU names it: spins on its CPU. */
static void *vcpu_main(void *arg)
{
	pid_t tid = (pid_t)syscall(SYS_gettid);

	(void)arg;
	prctl(PR_SET_NAME, "CPU 0/KVM");
	pin(vcpu_cpu);
	if (write(vcpu_report, &tid, sizeof(tid)) != sizeof(tid))
		_exit(1);
	for (;;)
		;
	return NULL;
}

/* The fake VM: its vCPU thread spins on @cpu. */
static pid_t spawn_vm(int cpu, pid_t *ret_tid)
{
	int p[2];
	pid_t pid;

	if (pipe(p) < 0)
		return -1;
	pid = fork();
	if (pid == 0) {
		pthread_t t;

		prctl(PR_SET_PDEATHSIG, SIGKILL);
		vcpu_report = p[1];
		vcpu_cpu = cpu;
		if (pthread_create(&t, NULL, vcpu_main, NULL) != 0)
			_exit(1);
		for (;;)
			pause();
	}
	close(p[1]);
	if (pid < 0 || read(p[0], ret_tid, sizeof(*ret_tid)) != sizeof(*ret_tid)) {
		close(p[0]);
		return -1;
	}
	close(p[0]);
	return pid;
}

/* ns the thread has run, from its schedstat (the kernel's own count). */
static uint64_t run_ns(pid_t pid, pid_t tid)
{
	char path[64];
	unsigned long long ns = 0;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/task/%d/schedstat", (int)pid, (int)tid);
	if ((f = fopen(path, "r"))) {
		if (fscanf(f, "%llu", &ns) != 1)
			ns = 0;
		fclose(f);
	}
	return ns;
}

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static uint64_t thread_cpu_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

struct flood {
	int fd;
	int cpu;
};

/* The hostile guest: HELLO, then BOOST FIFO 10 on vCPU 0, 64 at a time
 * every millisecond, never a DEBOOST, never reading an answer. */
static void *guest(void *arg)
{
	struct flood *fl = arg;
	uint8_t buf[64 * RTVM_BOOST_MSG_SIZE];
	struct rtvm_boost_msg m = { .version = 1, .type = RTVM_BOOST_HELLO,
				    .vcpu = 1, .seq = 0 };
	struct timespec ms = { 0, 1000000 };

	pin(fl->cpu);
	rtvm_boost_msg_encode(&m, buf);
	if (write(fl->fd, buf, RTVM_BOOST_MSG_SIZE) < 0)
		return NULL;
	m = (struct rtvm_boost_msg){ .version = 1, .type = RTVM_BOOST_BOOST,
				     .policy = RTVM_BOOST_SCHED_FIFO,
				     .priority = 10 };
	while (!atomic_load(&stop)) {
		for (int i = 0; i < 64; i++) {
			m.seq++;
			rtvm_boost_msg_encode(&m, buf + i * RTVM_BOOST_MSG_SIZE);
		}
		if (write(fl->fd, buf, sizeof(buf)) < 0 && errno != EAGAIN)
			break;
		nanosleep(&ms, NULL);
	}
	return NULL;
}

struct windows {
	double canary[64], vcpu[64];
	unsigned int n;
};

/* Run the loop for @secs one-second windows: the broker (if any) is
 * dispatched, the canary's and the vCPU's run time sampled. */
static void measure(struct rtvm_boost *b, pthread_t canary, pid_t pid,
		    pid_t tid, unsigned int secs, struct windows *w)
{
	clockid_t cid;
	struct timespec ts;
	uint64_t t0 = now_ns(), c0, v0 = run_ns(pid, tid);

	pthread_getcpuclockid(canary, &cid);
	clock_gettime(cid, &ts);
	c0 = (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
	w->n = 0;
	while (w->n < secs && w->n < 64) {
		struct pollfd p = { .fd = b ? rtvm_boost_get_fd(b) : -1,
				    .events = POLLIN };
		uint64_t t = now_ns(), c, v;

		if (t - t0 >= 1000000000u) {
			clock_gettime(cid, &ts);
			c = (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
			v = run_ns(pid, tid);
			w->canary[w->n] = (double)(c - c0) / (double)(t - t0);
			w->vcpu[w->n++] = (double)(v - v0) / (double)(t - t0);
			t0 = t;
			c0 = c;
			v0 = v;
		}
		if (poll(&p, 1, 5) > 0 && b)
			rtvm_boost_dispatch(b);
	}
}

static void print_row(const char *name, const double *v, unsigned int n)
{
	struct bench_stats s;
	double pct[64];

	for (unsigned int i = 0; i < n; i++)
		pct[i] = v[i] * 100;
	if (bench_stats(pct, n, &s) == 0)
		printf("  %-22s median %5.1f%%   min %5.1f%%   max %5.1f%%\n", name,
		       s.median, s.min, s.max);
}

static double median(const double *v, unsigned int n)
{
	struct bench_stats s;

	return bench_stats(v, n, &s) == 0 ? s.median : 0;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "seconds", required_argument, NULL, 's' },
		{ "budget", required_argument, NULL, 'b' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	unsigned int secs = 5, budget_pct = 30;
	int cpu = (int)sysconf(_SC_NPROCESSORS_ONLN) - 1, other = 0, c, sv[2];
	struct rtvm_boost_policy pol = { .size = sizeof(pol) };
	struct rtvm_boost_stats st = { .size = sizeof(st) };
	struct windows base, hostile;
	struct rtvm_ctx *ctx = NULL;
	struct rtvm_vm *vm = NULL;
	struct rtvm_boost *b = NULL;
	pthread_t canary, flooder;
	struct flood fl;
	unsigned int id;
	uint64_t cpu0, cpu1;
	pid_t pid, tid;
	int ret = 1;

	while ((c = getopt_long(argc, argv, "s:b:h", opts, NULL)) != -1) {
		switch (c) {
		case 's': secs = (unsigned int)atoi(optarg); break;
		case 'b': budget_pct = (unsigned int)atoi(optarg); break;
		case 'h':
			printf("Usage: %s [--seconds N (1..60, default 5)] "
			       "[--budget PERCENT (1..99, default 30)]\n"
			       "A spinning fake vCPU and a SCHED_OTHER canary share "
			       "the last CPU while a hostile guest floods BOOST\n"
			       "requests; prints the canary's share per second.  "
			       "Needs root.\n", argv[0]);
			return 0;
		default: return 2;
		}
	}
	if (secs < 1 || secs > 60 || budget_pct < 1 || budget_pct > 99) {
		fprintf(stderr, "%s: --seconds 1..60, --budget 1..99\n", argv[0]);
		return 2;
	}
	if (geteuid() != 0) {
		fprintf(stderr, "%s: needs root (SCHED_FIFO for the boosts)\n", argv[0]);
		return 1;
	}
	if (cpu < 1) {
		fprintf(stderr, "%s: needs 2 CPUs (the guest and broker run on "
			"another than the shared one)\n", argv[0]);
		return 1;
	}
	pid = spawn_vm(cpu, &tid);
	if (pid < 0) {
		fprintf(stderr, "%s: cannot start the fake VM\n", argv[0]);
		return 1;
	}
	pin(other);
	if (pthread_create(&canary, NULL, spin, NULL) != 0) {
		kill(pid, SIGKILL);
		return 1;
	}
	{
		cpu_set_t set;

		CPU_ZERO(&set);
		CPU_SET(cpu, &set);
		pthread_setaffinity_np(canary, sizeof(set), &set);
	}
	printf("bench-boost-canary: CPU %d shared by a spinning vCPU (thread %d) "
	       "and a SCHED_OTHER canary; budget %u%% of each second, %u s per "
	       "phase\n", cpu, (int)tid, budget_pct, secs);

	measure(NULL, canary, pid, tid, secs, &base);

	pol.max_priority = 10;
	pol.max_boost_us = 10000;
	pol.budget_us = budget_pct * 10000;
	pol.budget_period_us = 1000000;
	{
		int r = rtvm_new(&ctx);
		const char *step = "rtvm_new";

		if (r == 0 && (step = "rtvm_vm_new_from_pid",
			       r = rtvm_vm_new_from_pid(ctx, pid, &vm)) == 0 &&
		    (step = "rtvm_boost_new", r = rtvm_boost_new(ctx, 0, &b)) == 0 &&
		    (step = "rtvm_boost_add_vm",
		     r = rtvm_boost_add_vm(b, vm, &pol, &id)) == 0 &&
		    (step = "socketpair",
		     r = socketpair(AF_UNIX, SOCK_STREAM, 0, sv) < 0 ? -errno : 0) == 0)
			step = "rtvm_boost_add_channel",
			r = rtvm_boost_add_channel(b, id, sv[0]);
		if (r < 0) {
			fprintf(stderr, "%s: %s: %s\n", argv[0], step, strerror(-r));
			goto out;
		}
	}
	fcntl(sv[1], F_SETFL, O_NONBLOCK);
	fl = (struct flood){ .fd = sv[1], .cpu = other };
	if (pthread_create(&flooder, NULL, guest, &fl) != 0)
		goto out;
	cpu0 = thread_cpu_ns();
	measure(b, canary, pid, tid, secs, &hostile);
	cpu1 = thread_cpu_ns();
	/* Counters now, and the boost ended before anything waits: only the
	 * broker's loop ends boosts, and the canary shares the vCPU's CPU. */
	rtvm_boost_get_stats(b, id, -1, &st);
	b = rtvm_boost_unref(b);
	atomic_store(&stop, true);
	pthread_join(flooder, NULL);
	pthread_join(canary, NULL);

	printf("\nshare of CPU %d per one-second window:\n", cpu);
	printf(" no boost (baseline):\n");
	print_row("canary", base.canary, base.n);
	print_row("vCPU", base.vcpu, base.n);
	printf(" hostile guest (BOOST flood, never DEBOOST):\n");
	print_row("canary", hostile.canary, hostile.n);
	print_row("vCPU", hostile.vcpu, hostile.n);
	printf("\ncanary under the flood / baseline: %.2fx (the budget leaves "
	       ">= %.2fx: %s)\n",
	       median(hostile.canary, hostile.n) / median(base.canary, base.n),
	       (100 - budget_pct) / 100.0,
	       median(hostile.canary, hostile.n) / median(base.canary, base.n) >=
			       (100 - budget_pct) / 100.0 - 0.05
		       ? "kept" : "not kept");
	printf("broker: %" PRIu64 " requests, %" PRIu64 " boosts applied, refused: "
	       "%" PRIu64 " rate, %" PRIu64 " budget; %" PRIu64 " acks dropped; "
	       "boosted %.0f ms in %u s\n",
	       st.requests, st.boosts, st.refused[RTVM_BOOST_RATE],
	       st.refused[RTVM_BOOST_BUDGET], st.acks_dropped,
	       st.boosted_ns / 1e6, secs);
	printf("broker CPU: %.1f ms in %u s (%.2f%% of a CPU), %.0f ns per request\n",
	       (cpu1 - cpu0) / 1e6, secs, (cpu1 - cpu0) / (secs * 1e7),
	       st.requests ? (double)(cpu1 - cpu0) / (double)st.requests : 0);
	ret = 0;
out:
	atomic_store(&stop, true);
	rtvm_boost_unref(b);
	rtvm_vm_unref(vm);
	rtvm_unref(ctx);
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
	return ret;
}
