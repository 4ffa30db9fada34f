/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * bench-threads: take an inventory of every thread of the host with librtvm,
 * with its floor (the bare reads of every thread's stat), with
 * `ps -eLo pid,tid,cls,rtprio,psr,comm` and with `tuna --show_threads`,
 * side by side in one run, while a child process holds N idle threads.
 *
 * The tools run round-robin (the order rotates every round) so that the
 * noise of a shared machine hits all of them alike.  The program prints
 * figures -- median, p99, max and the ratio of each tool's median to
 * librtvm's -- and never passes or fails on time: the exit status is 0 when
 * the measurements ran, 1 on a setup error, 2 on bad usage.
 *
 * Run it through bench/run-bench.sh, which puts it in a private PID
 * namespace so that every tool sees only the benchmark's own threads.
 *
 * This program only reads: it changes no scheduling, affinity, IRQ, sysctl
 * or cgroup setting of anything.
 */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <spawn.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <rtvm/rtvm.h>

#include "bench-util.h"

extern char **environ;


/*
 * The floor is what no inventory can avoid: list /proc and each process's
 * task directory, and read each thread's stat once through the directory
 * descriptor (openat, read, close), parsing nothing.
 *
 * tuna --show_threads lists processes only: it reads one stat file per
 * process and never looks at the threads of a process.  With
 * --affect_children it lists every thread, which is the inventory the
 * other tools take; both are timed, as "tuna" and "tuna-C".
 */
enum { TOOL_RTVM, TOOL_FLOOR, TOOL_PS, TOOL_TUNA, TOOL_TUNA_C, NR_TOOLS };

struct tool {
	const char *name;
	const char *cmd;	 /* what is timed, for the reader */
	const char *const *argv; /* NULL for librtvm (in-process) */
	bool enabled;
	char skip[256];		 /* why the tool was skipped, when it was */
	unsigned int runs;	 /* runs asked for */
	unsigned int n;		 /* runs done */
	double *ms;		 /* one sample per run */
	double median, p99, max, min;
	long seen;		 /* threads (tuna: lines) in the counting run */
	long seen_child;	 /* of which belong to the child (not tuna) */
};

static const char *const ps_argv[] = {
	"ps", "-eLo", "pid,tid,cls,rtprio,psr,comm", NULL
};
static const char *const tuna_argv[] = { "tuna", "--show_threads", NULL };
static const char *const tuna_c_argv[] = {
	"tuna", "--affect_children", "--show_threads", NULL
};

static volatile sig_atomic_t stop;
/* The fields the benchmark reads are summed here so no read is optimized
 * away. */
static volatile unsigned long long sink;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

/* ---- setup checks ----------------------------------------------------- */

/* The first number in a file, or -1 when it cannot be read; "max" is
 * LONG_MAX. */
static long read_number(const char *path)
{
	char buf[64];
	long v = -1;
	FILE *f = fopen(path, "re");

	if (!f)
		return -1;
	if (fgets(buf, sizeof(buf), f)) {
		if (strncmp(buf, "max", 3) == 0)
			v = LONG_MAX;
		else if (sscanf(buf, "%ld", &v) != 1)
			v = -1;
	}
	fclose(f);
	return v;
}

/* Threads that exist on the whole machine (4th field of /proc/loadavg is
 * "running/total"; the total is global even inside a PID namespace). */
static long machine_threads(void)
{
	long running, total;
	double a, b, c;
	FILE *f = fopen("/proc/loadavg", "re");
	int n;

	if (!f)
		return -1;
	n = fscanf(f, "%lf %lf %lf %ld/%ld", &a, &b, &c, &running, &total);
	fclose(f);
	return n == 5 ? total : -1;
}

/* pids.max of our cgroup (v2, or v1's pids hierarchy), -1 when unknown. */
static long cgroup_pids_max(char *where, size_t size)
{
	char line[4096], path[4200];
	long best = -1;
	FILE *f = fopen("/proc/self/cgroup", "re");

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		char *ctrl = strchr(line, ':'), *cg;
		long v;

		if (!ctrl || !(cg = strchr(ctrl + 1, ':')))
			continue;
		*cg++ = '\0';
		ctrl++;
		cg[strcspn(cg, "\n")] = '\0';
		if (*ctrl == '\0')
			snprintf(path, sizeof(path), "/sys/fs/cgroup%s/pids.max",
				 strcmp(cg, "/") ? cg : "");
		else if (strcmp(ctrl, "pids") == 0)
			snprintf(path, sizeof(path),
				 "/sys/fs/cgroup/pids%s/pids.max",
				 strcmp(cg, "/") ? cg : "");
		else
			continue;
		v = read_number(path);
		if (v >= 0 && (best < 0 || v < best)) {
			best = v;
			snprintf(where, size, "%s", path);
		}
	}
	fclose(f);
	return best;
}

/*
 * Check that the kernel lets us create @n more threads; say clearly which
 * limit is too low.  The benchmark never raises a limit itself.
 */
static int check_limits(long n, bool quiet)
{
	long threads_max = read_number("/proc/sys/kernel/threads-max");
	long pid_max = read_number("/proc/sys/kernel/pid_max");
	long maps = read_number("/proc/sys/vm/max_map_count");
	long total = machine_threads();
	char where[4200] = "";
	long pids = cgroup_pids_max(where, sizeof(where));
	long used = total > 0 ? total : 0;
	int bad = 0;

	if (!quiet)
		fprintf(stderr,
			"limits: kernel.threads-max=%ld kernel.pid_max=%ld "
			"vm.max_map_count=%ld, %ld threads exist on the machine\n",
			threads_max, pid_max, maps, total);
	if (threads_max >= 0 && threads_max - used < n + 16) {
		fprintf(stderr,
			"bench-threads: kernel.threads-max is %ld and %ld threads "
			"exist: no room for %ld more; lower --threads or raise "
			"kernel.threads-max (this benchmark changes no sysctl)\n",
			threads_max, used, n);
		bad = 1;
	}
	if (pid_max >= 0 && pid_max - used < n + 16) {
		fprintf(stderr,
			"bench-threads: kernel.pid_max is %ld and %ld threads "
			"exist: not enough free pids for %ld more threads; lower "
			"--threads or raise kernel.pid_max\n",
			pid_max, used, n);
		bad = 1;
	}
	/* Each thread stack is two mappings: the stack and its guard page. */
	if (maps >= 0 && maps < 2 * n + 256) {
		fprintf(stderr,
			"bench-threads: vm.max_map_count is %ld, too low for %ld "
			"thread stacks (about %ld mappings); lower --threads or "
			"raise vm.max_map_count\n",
			maps, n, 2 * n + 256);
		bad = 1;
	}
	if (pids >= 0 && pids != LONG_MAX && pids < n + 16) {
		fprintf(stderr,
			"bench-threads: %s is %ld, too low for %ld threads\n",
			where, pids, n);
		bad = 1;
	}
	if (geteuid() != 0) {
		struct rlimit rl;

		if (getrlimit(RLIMIT_NPROC, &rl) == 0 &&
		    rl.rlim_cur != RLIM_INFINITY && (long)rl.rlim_cur < n + 16) {
			fprintf(stderr,
				"bench-threads: RLIMIT_NPROC (ulimit -u) is %ld, "
				"too low for %ld threads of this user\n",
				(long)rl.rlim_cur, n);
			bad = 1;
		}
	}
	return bad ? -1 : 0;
}

/* ---- running the tools ------------------------------------------------ */

/* librtvm: the inventory plus reading what ps prints of every thread. */
static int run_rtvm(struct rtvm_ctx *ctx, pid_t child, double *ms,
		    long *seen, long *seen_child)
{
	const struct rtvm_thread *t;
	unsigned long long sum = 0;
	struct rtvm_host *h;
	long nr = 0, nr_child = 0;
	double t0 = bench_now_ms();
	int r;

	r = rtvm_host_new(ctx, RTVM_HOST_THREADS, &h);
	if (r < 0)
		return r;
	rtvm_host_foreach_thread(t, h) {
		pid_t pid = rtvm_thread_get_pid(t);

		sum += (unsigned long long)pid;
		sum += (unsigned long long)rtvm_thread_get_tid(t);
		sum += (unsigned long long)rtvm_thread_get_policy(t);
		sum += (unsigned long long)rtvm_thread_get_rt_priority(t);
		sum += (unsigned long long)rtvm_thread_get_last_cpu(t);
		sum += strlen(rtvm_thread_get_comm(t));
		nr++;
		nr_child += pid == child;
	}
	rtvm_host_unref(h);
	*ms = bench_now_ms() - t0;
	sink += sum;
	if (seen)
		*seen = nr;
	if (seen_child)
		*seen_child = nr_child;
	return 0;
}

/* The floor: the system calls of the scan, nothing parsed or kept. */
static int run_floor(pid_t child, double *ms, long *seen, long *seen_child)
{
	unsigned long long sum = 0;
	long nr = 0, nr_child = 0;
	struct dirent *de, *te;
	double t0 = bench_now_ms();
	char buf[1024], path[300];
	DIR *pd = opendir("/proc");

	if (!pd)
		return -errno;
	while ((de = readdir(pd))) {
		pid_t pid;
		DIR *td;
		int fd;

		if (de->d_name[0] < '1' || de->d_name[0] > '9')
			continue;
		pid = (pid_t)atoi(de->d_name);
		snprintf(path, sizeof(path), "%s/task", de->d_name);
		fd = openat(dirfd(pd), path,
			    O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (fd < 0 || !(td = fdopendir(fd))) {
			if (fd >= 0)
				close(fd);
			continue;
		}
		while ((te = readdir(td))) {
			ssize_t n;

			if (te->d_name[0] == '.')
				continue;
			snprintf(path, sizeof(path), "%s/stat", te->d_name);
			fd = openat(dirfd(td), path, O_RDONLY | O_CLOEXEC);
			if (fd < 0)
				continue;
			n = read(fd, buf, sizeof(buf));
			close(fd);
			if (n <= 0)
				continue;
			sum += (unsigned char)buf[0];
			nr++;
			nr_child += pid == child;
		}
		closedir(td);
	}
	closedir(pd);
	*ms = bench_now_ms() - t0;
	sink += sum;
	if (seen)
		*seen = nr;
	if (seen_child)
		*seen_child = nr_child;
	return 0;
}

/*
 * Run an external tool and wait for it.  Its stdout goes to /dev/null, or,
 * when @lines is given, to a pipe whose lines are counted (those that start
 * with @child's pid in @lines_child).  The tool's stderr is kept only when
 * @keep_stderr.  Returns the wait status, or -errno when it cannot start.
 */
static int run_tool(const char *const argv[], int devnull, bool keep_stderr,
		    pid_t child, double *ms, long *lines, long *lines_child)
{
	posix_spawn_file_actions_t fa;
	int p[2] = { -1, -1 }, status = 0, r;
	double t0;
	pid_t pid;

	if (lines && pipe2(p, O_CLOEXEC) < 0)
		return -errno;
	r = posix_spawn_file_actions_init(&fa);
	if (r == 0)
		r = posix_spawn_file_actions_adddup2(&fa, lines ? p[1] : devnull,
						     STDOUT_FILENO);
	if (r == 0 && !keep_stderr)
		r = posix_spawn_file_actions_adddup2(&fa, devnull,
						     STDERR_FILENO);
	t0 = bench_now_ms();
	if (r == 0)
		r = posix_spawnp(&pid, argv[0], &fa, NULL, (char *const *)argv,
				 environ);
	posix_spawn_file_actions_destroy(&fa);
	if (lines) {
		close(p[1]);
		if (r == 0) {
			FILE *f = fdopen(p[0], "re");
			char *line = NULL;
			size_t size = 0;

			*lines = 0;
			*lines_child = 0;
			if (f) {
				while (getline(&line, &size, f) > 0) {
					(*lines)++;
					*lines_child += strtol(line, NULL, 10) ==
							child;
				}
				free(line);
				fclose(f);
				p[0] = -1;
			}
		}
		if (p[0] >= 0)
			close(p[0]);
	}
	if (r != 0)
		return -r;
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return -errno;
	*ms = bench_now_ms() - t0;
	return status;
}

static void describe_status(int status, char *buf, size_t size)
{
	if (status < 0)
		snprintf(buf, size, "cannot start: %s", strerror(-status));
	else if (WIFEXITED(status))
		snprintf(buf, size, "exit status %d", WEXITSTATUS(status));
	else if (WIFSIGNALED(status))
		snprintf(buf, size, "killed by signal %d", WTERMSIG(status));
	else
		snprintf(buf, size, "wait status %#x", status);
}

/* ---- statistics and output -------------------------------------------- */

/* Median, p99 (nearest rank), max and min of the samples. */
static void compute_stats(struct tool *t)
{
	struct bench_stats st;

	if (bench_stats(t->ms, t->n, &st) == 0) {
		t->median = st.median;
		t->p99 = st.p99;
		t->min = st.min;
		t->max = st.max;
	}
}

static void json_string(const char *s)
{
	putchar('"');
	for (; *s; s++) {
		if (*s == '"' || *s == '\\')
			printf("\\%c", *s);
		else if ((unsigned char)*s < 0x20)
			printf("\\u%04x", (unsigned char)*s);
		else
			putchar(*s);
	}
	putchar('"');
}

static void print_json(const struct tool *tools, long nthreads, pid_t child)
{
	const struct tool *rt = &tools[TOOL_RTVM];
	struct utsname u;
	bool first = true;

	if (uname(&u) < 0)
		snprintf(u.release, sizeof(u.release), "unknown");
	printf("{\n  \"benchmark\": \"threads\",\n");
	printf("  \"librtvm_version\": ");
	json_string(rtvm_version());
	printf(",\n  \"kernel\": ");
	json_string(u.release);
	printf(",\n  \"online_cpus\": %ld,\n", sysconf(_SC_NPROCESSORS_ONLN));
	printf("  \"private_pid_namespace\": %s,\n",
	       getpid() == 1 ? "true" : "false");
	printf("  \"threads_spawned\": %ld,\n", nthreads);
	printf("  \"child_pid\": %d,\n", (int)child);
	printf("  \"tools\": [");
	for (int i = 0; i < NR_TOOLS; i++) {
		const struct tool *t = &tools[i];

		printf("%s\n    {\"name\": ", first ? "" : ",");
		first = false;
		json_string(t->name);
		printf(", \"command\": ");
		json_string(t->cmd);
		if (!t->enabled || t->n == 0) {
			printf(", \"skipped\": ");
			json_string(t->skip[0] ? t->skip : "not run");
			printf("}");
			continue;
		}
		printf(", \"runs\": %u, \"median_ms\": %.3f, \"p99_ms\": %.3f, "
		       "\"max_ms\": %.3f, \"min_ms\": %.3f",
		       t->n, t->median, t->p99, t->max, t->min);
		if (i == TOOL_FLOOR && t->median > 0)
			printf(", \"librtvm_vs_floor\": %.2f",
			       rt->median / t->median);
		else if (rt->n && rt->median > 0)
			printf(", \"ratio_vs_librtvm\": %.2f",
			       t->median / rt->median);
		if (rt->seen > 0)
			printf(", \"us_per_thread\": %.3f",
			       t->median * 1e3 / (double)rt->seen);
		if (i == TOOL_TUNA || i == TOOL_TUNA_C)
			printf(", \"lines_seen\": %ld", t->seen);
		else
			printf(", \"threads_seen\": %ld, "
			       "\"threads_of_child\": %ld",
			       t->seen, t->seen_child);
		printf(", \"samples_ms\": [");
		for (unsigned int k = 0; k < t->n; k++)
			printf("%s%.3f", k ? ", " : "", t->ms[k]);
		printf("]}");
	}
	printf("\n  ]\n}\n");
}

static bool measured(const struct tool *t)
{
	return t->enabled && t->n > 0;
}

static void print_table(const struct tool *tools, long nthreads, pid_t child)
{
	const struct tool *rt = &tools[TOOL_RTVM];
	const struct tool *ps = &tools[TOOL_PS];
	const struct tool *tuna = &tools[TOOL_TUNA];
	const struct tool *tuna_c = &tools[TOOL_TUNA_C];
	const char *sep = "";
	struct utsname u;

	if (uname(&u) < 0)
		snprintf(u.release, sizeof(u.release), "unknown");
	printf("bench-threads: inventory of all threads, librtvm %s, kernel %s, "
	       "%ld online CPUs\n",
	       rtvm_version(), u.release, sysconf(_SC_NPROCESSORS_ONLN));
	printf("%ld idle threads in child %d; private PID namespace: %s\n\n",
	       nthreads, (int)child,
	       getpid() == 1 ? "yes" : "no (other processes are counted too)");

	printf("seen in the counting run (not timed):\n");
	printf("  librtvm  %6ld threads (%ld of the child)\n", rt->seen,
	       rt->seen_child);
	if (measured(&tools[TOOL_FLOOR]))
		printf("  floor    %6ld threads (%ld of the child)\n",
		       tools[TOOL_FLOOR].seen, tools[TOOL_FLOOR].seen_child);
	if (measured(ps))
		printf("  ps       %6ld threads (%ld of the child; ps also lists "
		       "itself)\n",
		       ps->seen, ps->seen_child);
	if (measured(tuna))
		printf("  tuna     %6ld lines   (one per process)\n", tuna->seen);
	if (measured(tuna_c))
		printf("  tuna-C   %6ld lines   (one per process and thread)\n",
		       tuna_c->seen);

	printf("\n%-8s %5s %11s %11s %11s %12s   %s\n", "tool", "runs",
	       "median ms", "p99 ms", "max ms", "us/thread", "ratio of medians");
	for (int i = 0; i < NR_TOOLS; i++) {
		const struct tool *t = &tools[i];

		if (!measured(t)) {
			printf("%-8s skipped: %s\n", t->name,
			       t->skip[0] ? t->skip : "not run");
			continue;
		}
		printf("%-8s %5u %11.2f %11.2f %11.2f %12.2f", t->name, t->n,
		       t->median, t->p99, t->max,
		       rt->seen > 0 ? t->median * 1e3 / (double)rt->seen : 0);
		if (i == TOOL_FLOOR && measured(rt) && t->median > 0)
			printf("   librtvm/floor = %.2fx", rt->median / t->median);
		else if (i != TOOL_RTVM && measured(rt) && rt->median > 0)
			printf("   %s/librtvm = %.1fx", t->name,
			       t->median / rt->median);
		putchar('\n');
	}
	printf("\n");
	for (int i = 0; i < NR_TOOLS; i++)
		printf("%-8s = %s\n", tools[i].name, tools[i].cmd);

	if (!measured(rt) || rt->median <= 0)
		return;
	printf("\ngoals (figures, not a verdict):");
	if (measured(&tools[TOOL_FLOOR]) && tools[TOOL_FLOOR].median > 0)
		printf(" librtvm/floor <= 2x: %.2fx;",
		       rt->median / tools[TOOL_FLOOR].median);
	if (measured(ps)) {
		printf(" ps/librtvm >= 3x: %.1fx", ps->median / rt->median);
		sep = ";";
	}
	if (measured(tuna) || measured(tuna_c)) {
		printf("%s tuna/librtvm >= 20x:", sep);
		if (measured(tuna))
			printf(" %.1fx (tuna)", tuna->median / rt->median);
		if (measured(tuna_c))
			printf("%s %.1fx (tuna-C)", measured(tuna) ? "," : "",
			       tuna_c->median / rt->median);
	}
	putchar('\n');
}

/* ---- main ------------------------------------------------------------- */

static void usage(FILE *f)
{
	fprintf(f,
		"Usage: bench-threads [OPTION]...\n"
		"Time an inventory of every thread: librtvm vs its floor (the bare\n"
		"system calls) vs ps vs tuna.\n\n"
		"  --threads N     idle threads to spawn (default 10000)\n"
		"  --runs N        runs of librtvm, the floor and ps (default 15)\n"
		"  --tuna-runs N   runs of each tuna command, which is slow\n"
		"                  (default 3)\n"
		"  --no-ps         do not run ps\n"
		"  --no-tuna       do not run tuna\n"
		"  --json          print the figures as JSON\n"
		"  -h, --help      this help\n\n"
		"Run it through bench/run-bench.sh (a private PID namespace).\n"
		"Exit status: 0 when the measurements ran, 1 on a setup error,\n"
		"2 for bad usage.  Time never makes it fail.\n");
}

static bool parse_count(const char *s, long min, long max, long *ret)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || end == s || *end || v < min || v > max)
		return false;
	*ret = v;
	return true;
}

int main(int argc, char *argv[])
{
	enum { OPT_THREADS = 256, OPT_RUNS, OPT_TUNA_RUNS, OPT_NO_PS,
	       OPT_NO_TUNA, OPT_JSON };
	static const struct option longopts[] = {
		{ "threads", required_argument, NULL, OPT_THREADS },
		{ "runs", required_argument, NULL, OPT_RUNS },
		{ "tuna-runs", required_argument, NULL, OPT_TUNA_RUNS },
		{ "no-ps", no_argument, NULL, OPT_NO_PS },
		{ "no-tuna", no_argument, NULL, OPT_NO_TUNA },
		{ "json", no_argument, NULL, OPT_JSON },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct tool tools[NR_TOOLS] = {
		[TOOL_RTVM] = { .name = "librtvm", .enabled = true,
				.cmd = "rtvm_host_new(RTVM_HOST_THREADS) + read "
				       "pid,tid,policy,rtprio,last_cpu,comm of "
				       "each thread + rtvm_host_unref" },
		[TOOL_FLOOR] = { .name = "floor", .enabled = true,
				 .cmd = "opendir /proc, each PID/task through "
					"openat, each TID/stat: openat + one "
					"read + close (nothing parsed)" },
		[TOOL_PS] = { .name = "ps", .argv = ps_argv, .enabled = true,
			      .cmd = "ps -eLo pid,tid,cls,rtprio,psr,comm "
				     ">/dev/null" },
		[TOOL_TUNA] = { .name = "tuna", .argv = tuna_argv,
				.enabled = true,
				.cmd = "tuna --show_threads >/dev/null "
				       "(processes only)" },
		[TOOL_TUNA_C] = { .name = "tuna-C", .argv = tuna_c_argv,
				  .enabled = true,
				  .cmd = "tuna --affect_children --show_threads "
					 ">/dev/null (every thread)" },
	};
	long nthreads = 10000, runs = 15, tuna_runs = 3;
	struct rtvm_ctx *ctx = NULL;
	struct sigaction sa;
	bool json = false;
	unsigned int rounds;
	struct bench_vm vm = { 0 };
	pid_t child = 0;
	int opt, r, ret = 1, devnull = -1;

	while ((opt = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		switch (opt) {
		case OPT_THREADS:
			if (!parse_count(optarg, 1, 4000000, &nthreads))
				goto bad_usage;
			break;
		case OPT_RUNS:
			if (!parse_count(optarg, 1, 100000, &runs))
				goto bad_usage;
			break;
		case OPT_TUNA_RUNS:
			if (!parse_count(optarg, 1, 100000, &tuna_runs))
				goto bad_usage;
			break;
		case OPT_NO_PS:
			tools[TOOL_PS].enabled = false;
			snprintf(tools[TOOL_PS].skip, sizeof(tools[0].skip),
				 "--no-ps");
			break;
		case OPT_NO_TUNA:
			for (int i = TOOL_TUNA; i <= TOOL_TUNA_C; i++) {
				tools[i].enabled = false;
				snprintf(tools[i].skip, sizeof(tools[i].skip),
					 "--no-tuna");
			}
			break;
		case OPT_JSON:
			json = true;
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

	tools[TOOL_RTVM].runs = tools[TOOL_PS].runs = (unsigned int)runs;
	tools[TOOL_FLOOR].runs = (unsigned int)runs;
	tools[TOOL_TUNA].runs = (unsigned int)tuna_runs;
	tools[TOOL_TUNA_C].runs = (unsigned int)tuna_runs;
	for (int i = 0; i < NR_TOOLS; i++) {
		tools[i].ms = calloc(tools[i].runs, sizeof(double));
		if (!tools[i].ms) {
			fprintf(stderr, "bench-threads: out of memory\n");
			goto out;
		}
	}

	/* Inside a PID namespace we are its init: without handlers, SIGINT
	 * and SIGTERM would not reach us at all. */
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);

	if (getpid() != 1)
		fprintf(stderr, "note: not in a private PID namespace; every "
				"tool also inventories the machine's other "
				"processes (use bench/run-bench.sh)\n");
	if (check_limits(nthreads, json) < 0)
		goto out;
	devnull = open("/dev/null", O_RDWR | O_CLOEXEC);
	if (devnull < 0) {
		fprintf(stderr, "bench-threads: /dev/null: %s\n",
			strerror(errno));
		goto out;
	}
	r = rtvm_new(&ctx);
	if (r < 0) {
		fprintf(stderr, "bench-threads: rtvm_new: %s\n", strerror(-r));
		goto out;
	}

	if (!json)
		fprintf(stderr, "spawning %ld idle threads (stacks of 64 KiB)...\n",
			nthreads);
	if (bench_vm_start(&vm, "bench-threads", "bench-idle",
			   (unsigned int)nthreads, NULL) < 0) {
		check_limits(nthreads, false); /* say which limit it may be */
		goto out;
	}
	child = vm.pid;

	/*
	 * The counting run, also a warm-up that fills the dentry and inode
	 * caches for everyone: not timed.  It shows that the tools inventory
	 * the same threads, and finds out whether ps and tuna work here.
	 */
	r = run_rtvm(ctx, child, &tools[TOOL_RTVM].ms[0], &tools[TOOL_RTVM].seen,
		     &tools[TOOL_RTVM].seen_child);
	if (r < 0) {
		fprintf(stderr, "bench-threads: rtvm_host_new: %s\n",
			strerror(-r));
		goto out;
	}
	run_floor(child, &tools[TOOL_FLOOR].ms[0], &tools[TOOL_FLOOR].seen,
		  &tools[TOOL_FLOOR].seen_child);
	for (int i = TOOL_PS; i < NR_TOOLS; i++) {
		struct tool *t = &tools[i];
		char why[128];
		double ms;

		if (!t->enabled)
			continue;
		if (!bench_in_path(t->argv[0])) {
			t->enabled = false;
			snprintf(t->skip, sizeof(t->skip),
				 "%s is not installed (not found in $PATH)",
				 t->argv[0]);
			fprintf(stderr, "%s skipped: %s\n", t->name, t->skip);
			continue;
		}
		if (!json)
			fprintf(stderr, "counting run of %s...\n", t->name);
		r = run_tool(t->argv, devnull, true, child, &ms, &t->seen,
			     &t->seen_child);
		if (r != 0) {
			describe_status(r, why, sizeof(why));
			t->enabled = false;
			snprintf(t->skip, sizeof(t->skip), "%s failed here (%s)",
				 t->argv[0], why);
			fprintf(stderr, "%s skipped: %s\n", t->name, t->skip);
		} else if (i == TOOL_PS && t->seen > 0) {
			t->seen--; /* the header line */
		}
	}

	/*
	 * Round-robin: every round runs each tool once, starting with a
	 * different tool each round.  tuna's fewer runs are spread evenly
	 * over the rounds.
	 */
	rounds = 0;
	for (int i = 0; i < NR_TOOLS; i++)
		if (tools[i].enabled && tools[i].runs > rounds)
			rounds = tools[i].runs;
	for (unsigned int round = 0; round < rounds && !stop; round++) {
		double done[NR_TOOLS];

		for (int i = 0; i < NR_TOOLS; i++)
			done[i] = -1;

		for (int k = 0; k < NR_TOOLS && !stop; k++) {
			int i = (int)((round + (unsigned int)k) % NR_TOOLS);
			struct tool *t = &tools[i];
			double ms = 0;

			if (!t->enabled || t->n >= t->runs)
				continue;
			if ((i == TOOL_TUNA || i == TOOL_TUNA_C) &&
			    (round + 1) * t->runs / rounds ==
				    round * t->runs / rounds)
				continue;
			if (i == TOOL_FLOOR) {
				r = run_floor(child, &ms, NULL, NULL);
				if (r < 0) {
					fprintf(stderr, "bench-threads: floor: "
						"%s\n", strerror(-r));
					goto out;
				}
			} else if (i == TOOL_RTVM) {
				r = run_rtvm(ctx, child, &ms, NULL, NULL);
				if (r < 0) {
					fprintf(stderr,
						"bench-threads: rtvm_host_new: "
						"%s\n",
						strerror(-r));
					goto out;
				}
			} else {
				r = run_tool(t->argv, devnull, false, child, &ms,
					     NULL, NULL);
				if (r != 0) {
					char why[128];

					describe_status(r, why, sizeof(why));
					fprintf(stderr,
						"%s failed in round %u (%s), "
						"sample dropped\n",
						t->name, round + 1, why);
					continue;
				}
			}
			t->ms[t->n++] = ms;
			done[i] = ms;
		}
		if (json)
			continue;
		fprintf(stderr, "round %u/%u:", round + 1, rounds);
		for (int i = 0; i < NR_TOOLS; i++)
			if (done[i] >= 0)
				fprintf(stderr, " %s %.2f ms", tools[i].name,
					done[i]);
		fputc('\n', stderr);
	}
	if (stop) {
		fprintf(stderr, "bench-threads: interrupted\n");
		ret = 130;
		goto out;
	}

	for (int i = 0; i < NR_TOOLS; i++)
		compute_stats(&tools[i]);
	if (json)
		print_json(tools, nthreads, child);
	else
		print_table(tools, nthreads, child);
	ret = 0;
out:
	bench_vm_stop(&vm);
	rtvm_unref(ctx);
	if (devnull >= 0)
		close(devnull);
	for (int i = 0; i < NR_TOOLS; i++)
		free(tools[i].ms);
	return ret;

bad_usage:
	usage(stderr);
	return 2;
}
