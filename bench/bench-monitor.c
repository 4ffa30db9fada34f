/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * bench-monitor: the cost of one rtvm_monitor_sample() for a VM of 1, 4
 * and 16 vCPU threads, side by side in one run with the tools that give
 * the same figures and with the floor:
 *
 *   librtvm    rtvm_monitor_sample() of a sampler holding the VM, with no
 *              flag, with RTVM_MONITOR_CPUS, _INTRUDERS, _TASKSTATS each,
 *              and with the three together; CPU time per sample from
 *              rtvm_monitor_get_cost_ns()
 *   floor      pread of each thread's schedstat, stat and status through
 *              descriptors opened once: the reads no sampler can avoid
 *   ps         `ps -L -p PID -o lwp,psr,cls,rtprio,ni,time,comm`
 *   pidstat    `pidstat -h -t -u -w -R -p PID` (CPU, switches, policy)
 *   virsh      `virsh domstats DOMAIN`, only when a libvirt domain runs
 *
 * The fake VM is a child whose threads are named "CPU n/KVM" and sleep.
 * Every round takes one sample of each method, the order rotating; the
 * tools, being processes, run in the first --tool-runs rounds only.  A
 * tool's CPU time is its user + system time (wait4).  Run it through
 * bench/run-bench.sh: in a private PID namespace, RTVM_MONITOR_INTRUDERS
 * scans only the benchmark's threads.
 *
 * This program only reads.  Figures only: exit status 0 when the
 * measurements ran, 1 on a setup error, 2 on bad usage.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include <rtvm/rtvm.h>

#include "bench-util.h"

#define MAX_SIZES 8
#define GOAL_SAMPLE_MS 1.0   /* per sample, for a 16-vCPU VM */
#define GOAL_CPU_PCT 0.1     /* of one CPU per VM at 1 Hz */

enum {
	M_BASE, M_CPUS, M_INTRUDERS, M_TASKSTATS, M_ALL, NR_LIB,
	M_FLOOR = NR_LIB, M_PS, M_PIDSTAT, M_VIRSH, NR_METHODS
};

static const unsigned int lib_flags[NR_LIB] = {
	[M_BASE] = 0,
	[M_CPUS] = RTVM_MONITOR_CPUS,
	[M_INTRUDERS] = RTVM_MONITOR_INTRUDERS,
	[M_TASKSTATS] = RTVM_MONITOR_TASKSTATS,
	[M_ALL] = RTVM_MONITOR_CPUS | RTVM_MONITOR_INTRUDERS |
		  RTVM_MONITOR_TASKSTATS,
};

static const char *const names[NR_METHODS] = {
	[M_BASE] = "librtvm", [M_CPUS] = "librtvm +CPUS",
	[M_INTRUDERS] = "librtvm +INTRUDERS",
	[M_TASKSTATS] = "librtvm +TASKSTATS",
	[M_ALL] = "librtvm +all three", [M_FLOOR] = "floor (pread)",
	[M_PS] = "ps -L", [M_PIDSTAT] = "pidstat -t", [M_VIRSH] = "virsh domstats",
};

struct method {
	struct bench_series wall, cpu; /* ms per sample */
	struct rtvm_monitor *mon;      /* librtvm's */
	char skip[256];		       /* why it is not run */
};

/* The floor's descriptors: three files per thread. */
struct floor {
	int *fd;
	unsigned int n;
};

static double thread_cpu_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static int floor_open(struct floor *f, const struct bench_vm *vm)
{
	static const char *const files[] = { "schedstat", "stat", "status" };
	char path[96];

	f->n = 0;
	f->fd = calloc(3 * (vm->nr + 1), sizeof(*f->fd));
	if (!f->fd)
		return -1;
	for (unsigned int i = 0; i <= vm->nr; i++) {
		pid_t tid = i < vm->nr ? vm->tids[i] : vm->pid;

		for (int k = 0; k < 3; k++) {
			snprintf(path, sizeof(path), "/proc/%d/task/%d/%s",
				 (int)vm->pid, (int)tid, files[k]);
			f->fd[f->n] = open(path, O_RDONLY | O_CLOEXEC);
			if (f->fd[f->n] < 0)
				return -1;
			f->n++;
		}
	}
	return 0;
}

static void floor_close(struct floor *f)
{
	for (unsigned int i = 0; i < f->n; i++)
		close(f->fd[i]);
	free(f->fd);
	f->fd = NULL;
	f->n = 0;
}

static int floor_sample(const struct floor *f)
{
	char buf[4096];

	for (unsigned int i = 0; i < f->n; i++)
		if (pread(f->fd[i], buf, sizeof(buf), 0) <= 0)
			return -1;
	return 0;
}

/* One sample of method @k: wall and CPU time in ms.  Returns 0, or -1
 * after saying why. */
static int sample(struct method *m, int k, const struct floor *f,
		  char *const argv[], int devnull, double *wall, double *cpu)
{
	struct rusage ru;
	double t0, c0;
	int r;

	if (k < NR_LIB) {
		t0 = bench_now_ms();
		r = rtvm_monitor_sample(m->mon);
		*wall = bench_now_ms() - t0;
		*cpu = (double)rtvm_monitor_get_cost_ns(m->mon) / 1e6;
		if (r < 0)
			fprintf(stderr, "bench-monitor: %s: rtvm_monitor_sample: "
					"%s\n", names[k], strerror(-r));
		return r < 0 ? -1 : 0;
	}
	if (k == M_FLOOR) {
		t0 = bench_now_ms();
		c0 = thread_cpu_ms();
		r = floor_sample(f);
		*cpu = thread_cpu_ms() - c0;
		*wall = bench_now_ms() - t0;
		if (r < 0)
			fprintf(stderr, "bench-monitor: floor: pread: %s\n",
				strerror(errno));
		return r;
	}
	t0 = bench_now_ms();
	r = bench_spawn_wait_rusage(argv, devnull, devnull, &ru);
	*wall = bench_now_ms() - t0;
	*cpu = ru.ru_utime.tv_sec * 1e3 + ru.ru_utime.tv_usec / 1e3 +
	       ru.ru_stime.tv_sec * 1e3 + ru.ru_stime.tv_usec / 1e3;
	if (r != 0) {
		snprintf(m->skip, sizeof(m->skip), "%s failed (wait status %#x)",
			 argv[0], (unsigned int)r);
		return -1;
	}
	return 0;
}

/* The first running libvirt domain's name, or "" with @why. */
static void find_domain(char *dom, size_t size, char *why, size_t wsize,
			int devnull)
{
	char *argv[] = { "timeout", "5", "virsh", "-q", "list", "--name", NULL };
	char tmpl[] = "/tmp/bench-monitor-XXXXXX";
	int fd, st;
	ssize_t n;

	*dom = '\0';
	if (!bench_in_path("virsh")) {
		snprintf(why, wsize, "virsh is not installed");
		return;
	}
	fd = mkostemp(tmpl, O_CLOEXEC);
	if (fd < 0) {
		snprintf(why, wsize, "mkstemp: %s", strerror(errno));
		return;
	}
	unlink(tmpl);
	st = bench_spawn_wait(argv, fd, devnull);
	n = pread(fd, dom, size - 1, 0);
	close(fd);
	dom[n > 0 ? n : 0] = '\0';
	dom[strcspn(dom, "\n")] = '\0';
	if (st != 0)
		snprintf(why, wsize, "`virsh list` failed (no libvirtd to talk "
				     "to here, wait status %#x)",
			 (unsigned int)st);
	else if (!*dom)
		snprintf(why, wsize, "no libvirt domain is running");
	if (st != 0)
		*dom = '\0';
}

static void print_row(int k, struct method *m, unsigned int threads)
{
	struct bench_series *w = &m->wall, *c = &m->cpu;

	if (m->skip[0] || !bench_series_stats(w) || !bench_series_stats(c)) {
		printf("%-20s skipped: %s\n", names[k],
		       m->skip[0] ? m->skip : "no samples");
		return;
	}
	printf("%-20s %5u %10.1f %10.1f %10.1f %10.1f %8.1f %9.4f%%\n",
	       names[k], w->n, w->st.median * 1e3, w->st.p99 * 1e3,
	       w->st.max * 1e3, c->st.median * 1e3,
	       w->st.median * 1e3 / threads, c->st.median / 1e3 * 100);
}

static int run_size(struct rtvm_ctx *ctx, unsigned int nvcpu,
		    unsigned int samples, unsigned int tool_runs,
		    const char *domain, const char *no_virsh, int devnull)
{
	char pid_s[16], *ps_argv[] = { "ps", "-L", "-p", pid_s, "-o",
				       "lwp,psr,cls,rtprio,ni,time,comm", NULL };
	char *pidstat_argv[] = { "pidstat", "-h", "-t", "-u", "-w", "-R", "-p",
				 pid_s, NULL };
	char *virsh_argv[] = { "virsh", "domstats", (char *)domain, NULL };
	char *const *argv[NR_METHODS] = {
		[M_PS] = ps_argv, [M_PIDSTAT] = pidstat_argv,
		[M_VIRSH] = virsh_argv,
	};
	struct method m[NR_METHODS];
	struct floor f = { 0 };
	struct bench_vm vm = { 0 };
	struct rtvm_vm *rv = NULL;
	unsigned int threads = nvcpu + 1;
	int ret = -1, r;

	memset(m, 0, sizeof(m));
	for (int k = 0; k < NR_METHODS; k++)
		if (bench_series_init(&m[k].wall, names[k], samples) < 0 ||
		    bench_series_init(&m[k].cpu, names[k], samples) < 0)
			goto out;
	if (bench_vm_start(&vm, "bench-monitor", "qemu-system-x86", nvcpu,
			   "CPU %u/KVM") < 0)
		goto out;
	snprintf(pid_s, sizeof(pid_s), "%d", (int)vm.pid);
	if (floor_open(&f, &vm) < 0) {
		fprintf(stderr, "bench-monitor: the floor's files: %s\n",
			strerror(errno));
		goto out;
	}
	r = rtvm_vm_new_from_pid(ctx, vm.pid, &rv);
	if (r < 0) {
		fprintf(stderr, "bench-monitor: rtvm_vm_new_from_pid: %s\n",
			strerror(-r));
		goto out;
	}
	for (int k = 0; k < NR_LIB; k++) {
		r = rtvm_monitor_new(ctx, lib_flags[k], &m[k].mon);
		if (r == 0)
			r = rtvm_monitor_add_vm(m[k].mon, rv, NULL, NULL);
		if (r == 0)
			r = rtvm_monitor_sample(m[k].mon); /* the baseline */
		if (r < 0)
			snprintf(m[k].skip, sizeof(m[k].skip), "%s%s",
				 strerror(-r),
				 r == -EPERM ? " (taskstats needs "
					       "CAP_NET_ADMIN)" : "");
	}
	for (int k = M_PS; k < NR_METHODS; k++)
		if (k == M_VIRSH ? !domain[0] : !bench_in_path(argv[k][0]))
			snprintf(m[k].skip, sizeof(m[k].skip), "%s",
				 k == M_VIRSH ? no_virsh :
				 k == M_PIDSTAT ? "pidstat is not installed "
						  "(Debian: sysstat)" :
						  "ps is not installed");

	for (unsigned int round = 0; round < samples; round++) {
		for (int j = 0; j < NR_METHODS; j++) {
			int k = (int)((round + (unsigned int)j) % NR_METHODS);
			double wall, cpu;

			if (m[k].skip[0] || (k >= M_PS && round >= tool_runs))
				continue;
			if (sample(&m[k], k, &f, argv[k], devnull, &wall,
				   &cpu) < 0) {
				if (k < M_PS)
					goto out;
				continue; /* a tool that fails is skipped */
			}
			bench_series_add(&m[k].wall, wall);
			bench_series_add(&m[k].cpu, cpu);
		}
	}

	printf("\nVM of %u vCPU threads (%u threads with its main thread), %u "
	       "samples (tools: %u)\n",
	       nvcpu, threads, samples, tool_runs);
	printf("%-20s %5s %10s %10s %10s %10s %8s %10s\n", "method", "runs",
	       "median us", "p99 us", "max us", "CPU us", "us/thr",
	       "CPU @1 Hz");
	for (int k = 0; k < NR_METHODS; k++)
		print_row(k, &m[k], threads);
	printf("ratios of medians (wall):\n");
	bench_ratio("librtvm/floor", &m[M_BASE].wall, &m[M_FLOOR].wall, NULL);
	bench_ratio("librtvm +all three/floor", &m[M_ALL].wall,
		    &m[M_FLOOR].wall, NULL);
	bench_ratio("ps/librtvm", &m[M_PS].wall, &m[M_BASE].wall, NULL);
	bench_ratio("pidstat/librtvm", &m[M_PIDSTAT].wall, &m[M_BASE].wall,
		    NULL);
	bench_ratio("virsh/librtvm", &m[M_VIRSH].wall, &m[M_BASE].wall, NULL);
	printf("goals (figures, not a verdict):\n");
	for (int k = 0; k < NR_LIB; k++) {
		double cpu_pct, wall_ms;

		if (m[k].skip[0] || !m[k].wall.n)
			continue;
		cpu_pct = m[k].cpu.st.median / 1e3 * 100;
		wall_ms = m[k].wall.st.median;
		printf("  %-20s CPU at 1 Hz %.4f%% (< %.1f%%: %s)", names[k],
		       cpu_pct, GOAL_CPU_PCT,
		       cpu_pct < GOAL_CPU_PCT ? "met" : "not met");
		if (nvcpu == 16)
			printf("; per sample %.3f ms median, %.3f ms p99 (< %.0f "
			       "ms: %s)",
			       wall_ms, m[k].wall.st.p99, GOAL_SAMPLE_MS,
			       wall_ms < GOAL_SAMPLE_MS ? "met" : "not met");
		putchar('\n');
	}
	fflush(stdout);
	ret = 0;
out:
	for (int k = 0; k < NR_METHODS; k++) {
		rtvm_monitor_free(m[k].mon);
		bench_series_free(&m[k].wall);
		bench_series_free(&m[k].cpu);
	}
	rtvm_vm_unref(rv);
	floor_close(&f);
	bench_vm_stop(&vm);
	return ret;
}

static void usage(FILE *f)
{
	fprintf(f,
		"Usage: bench-monitor [OPTION]...\n"
		"Time one rtvm_monitor_sample() of a fake VM against its floor\n"
		"(pread of open files), ps, pidstat and virsh domstats.\n\n"
		"  -n, --vcpus LIST     vCPU counts (default 1,4,16)\n"
		"  -s, --samples N      samples of each librtvm variant and the\n"
		"                       floor (default 500)\n"
		"  -t, --tool-runs N    samples of each tool (default 30)\n"
		"  -h, --help           this help\n\n"
		"Run it through bench/run-bench.sh.  Exit status: 0 when the\n"
		"measurements ran, 1 on a setup error, 2 for bad usage.\n");
}

int main(int argc, char *argv[])
{
	static const struct option longopts[] = {
		{ "vcpus", required_argument, NULL, 'n' },
		{ "samples", required_argument, NULL, 's' },
		{ "tool-runs", required_argument, NULL, 't' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	unsigned int sizes[MAX_SIZES] = { 1, 4, 16 }, nr_sizes = 3;
	unsigned long samples = 500, tool_runs = 30;
	char domain[256], no_virsh[256] = "";
	struct rtvm_ctx *ctx = NULL;
	int opt, ret = 1, devnull;
	char *end, *s;

	while ((opt = getopt_long(argc, argv, "n:s:t:h", longopts, NULL)) !=
	       -1) {
		switch (opt) {
		case 'n':
			nr_sizes = 0;
			for (s = optarg; *s; s = end + (*end == ',')) {
				unsigned long v = strtoul(s, &end, 10);

				if (end == s || (*end && *end != ',') || !v ||
				    v > 4096 || nr_sizes == MAX_SIZES)
					goto bad_usage;
				sizes[nr_sizes++] = (unsigned int)v;
			}
			if (!nr_sizes)
				goto bad_usage;
			break;
		case 's':
		case 't':
			errno = 0;
			*(opt == 's' ? &samples : &tool_runs) =
				strtoul(optarg, &end, 10);
			if (errno || end == optarg || *end || !samples ||
			    samples > 1000000 || tool_runs > 1000000)
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
	if (tool_runs > samples)
		tool_runs = samples;

	devnull = open("/dev/null", O_RDWR | O_CLOEXEC);
	if (devnull < 0 || rtvm_new(&ctx) < 0) {
		fprintf(stderr, "bench-monitor: setup: %s\n", strerror(errno));
		return 1;
	}
	find_domain(domain, sizeof(domain), no_virsh, sizeof(no_virsh),
		    devnull);
	printf("bench-monitor: librtvm %s, %ld online CPUs, %s; virsh: %s\n",
	       rtvm_version(), sysconf(_SC_NPROCESSORS_ONLN),
	       getpid() == 1 ? "private PID namespace" :
			       "NOT in a private PID namespace (INTRUDERS scans "
			       "every thread of the host)",
	       domain[0] ? domain : no_virsh);
	printf("CPU us = CPU time per sample (librtvm: rtvm_monitor_get_cost_ns; "
	       "floor: this thread's; tools: user + system of the process); "
	       "CPU @1 Hz = that as a share of one CPU at one sample a "
	       "second\n");
	for (unsigned int z = 0; z < nr_sizes; z++)
		if (run_size(ctx, sizes[z], (unsigned int)samples,
			     (unsigned int)tool_runs, domain, no_virsh,
			     devnull) < 0)
			goto out;
	ret = 0;
out:
	rtvm_unref(ctx);
	close(devnull);
	return ret;

bad_usage:
	usage(stderr);
	return 2;
}
