/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * rtvm-demo: what librtvm does, in one command and without a VM image.
 *
 * A KVM micro-VM (examples/microvm.c) answers a periodic event; the time
 * from the event's due time to the guest's answer is measured with the
 * host idle, under general-purpose load, and under the same load with
 * librtvm's tuning, and the host is left as it was.  Where /dev/kvm is
 * missing (or with --vm thread) the same guest program runs on a stand-in
 * vCPU thread, named and tuned like a vCPU, and the output says so.
 * The cosched modes compare static prioritization with co-scheduling (the
 * guest arms boosts ahead of its events through a boost broker) for a
 * guest with work of its own beside a hog, on the stand-in.
 *
 * Two processes:
 *  - the outer one (in the host's PID namespace) checks /dev/kvm, undoes a
 *    crashed run's changes (state file), makes the demo's own cpuset
 *    cgroup (the shield's scope), applies and reverts the host-wide
 *    settings (IRQ affinity, kernel-thread priorities, PM QoS) on request,
 *    and keeps their records in the state file (written before and after
 *    every step) until they are undone;
 *  - the inner one, the demo world, runs in a new PID namespace (unshare
 *    --pid --fork --mount-proc) inside that cgroup: the load, the
 *    micro-VM, the shield (scoped: it moves only the demo's tasks, and
 *    /proc lists only them) and the vCPU's priority and pinning.
 * They talk over a socket pair: one request line, one answer line.
 */
#include "config.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <math.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "demo-state.h"
#include "microvm.h"
#include "tool.h"

const char *program_name = "rtvm-demo";

#define CPUSET_ROOT DEMO_CPUSET_ROOT
#define DEFAULT_STATE DEMO_DEFAULT_STATE
#define STALL_NS 1000000ull	/* a gap detector wake-up this late: a stall */
#define GAP_NS 200000ull	/* this late: noted, for attribution */
#define OUTLIER_NS 1000000ull	/* a sample this late: a multi-ms outlier */
#define WARMUP_MS 300
#define MAX_MODES 8
/* Co-scheduling: the guest's own work per period, how far ahead of its
 * next event it has itself boosted, and for how long at most. */
#define COSCHED_WORK_PCT 80
#define COSCHED_LEAD_NS 150000ull
#define COSCHED_HOLD_NS 300000ull

/* What a mode does, as flags. */
enum {
	T_LOAD = 1 << 0,    /* CPU hogs and I/O load */
	T_SHIELD = 1 << 1,  /* RT CPU shielded (scoped cpuset) */
	T_IRQ = 1 << 2,	    /* movable IRQs off the RT CPU */
	T_PRIO = 1 << 3,    /* vCPU SCHED_FIFO, pinned to the RT CPU */
	T_KTHREADS = 1 << 4, /* kernel-thread priorities on the RT CPU */
	T_PMQOS = 1 << 5,   /* PM QoS hold on the RT CPU */
	T_COSCHED = 1 << 6, /* the guest with work of its own, pinned with a
			     * host hog on the RT CPU */
	T_BOOST = 1 << 7,   /* the guest boosts its vCPU through a broker */
};
#define T_GLOBAL (T_IRQ | T_KTHREADS | T_PMQOS)

static const struct mode_def {
	const char *name, *title;
	unsigned int flags;
} mode_defs[] = {
	{ "idle", "idle baseline", 0 },
	{ "load", "load, no tuning", T_LOAD },
	{ "tuned", "load, librtvm tuning",
	  T_LOAD | T_SHIELD | T_IRQ | T_PRIO | T_KTHREADS | T_PMQOS },
	{ "prio", "load, prioritization only", T_LOAD | T_PRIO | T_KTHREADS },
	{ "shield", "load, shielding only", T_LOAD | T_SHIELD | T_IRQ },
	/* --modes cosched: the three, side by side */
	{ "cosched-static", "RT+hog, static FIFO vCPU", T_COSCHED | T_PRIO },
	{ "cosched-boost", "RT+hog, co-scheduling", T_COSCHED | T_BOOST },
	{ "cosched-none", "RT+hog, no priority", T_COSCHED },
};

struct opts {
	const struct mode_def *modes[MAX_MODES];
	struct mode_def defs[MAX_MODES]; /* mode_defs with --tuning applied */
	unsigned int steps;	/* --tuning: the steps any mode may take */
	unsigned int nr_modes;
	double duration;	/* seconds per mode */
	unsigned int period_us;
	int rt_cpu;		/* -1: the last online CPU */
	const char *housekeeping;
	int guest;
	int vm;			/* DEMO_VM_* */
	unsigned int hogs;	/* per CPU */
	bool io, json, dry_run, verbose;
	const char *plot;	/* image file, or NULL */
	const char *state;
	int inner_fd;		/* >= 0: this is the demo world */
	const char *scope;	/* inner: the cpuset scope */
};

enum { DEMO_VM_AUTO = 0, DEMO_VM_KVM, DEMO_VM_THREAD };

static const char standin_note[] =
	"no VM: the guest program runs on a stand-in vCPU thread (no "
	"/dev/kvm), so no VM entry or exit is measured; with KVM each sample "
	"also holds the VM entry, the guest's own code and the exit";

static volatile sig_atomic_t interrupted;

static void on_signal(int sig)
{
	interrupted = sig;
}

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static void sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) < 0 && errno == EINTR && !interrupted)
		;
}

static void usage(FILE *f)
{
	fprintf(f,
		"Usage: %s [OPTION]...\n"
		"Run a KVM micro-VM that answers a periodic event and show its response\n"
		"latency idle, under load, and under load with librtvm's tuning; the host\n"
		"is put back as it was (also on Ctrl-C, and after a crash on the next run).\n\n"
		"  -m, --modes LIST      idle,load,tuned (default), also prio (prioritization\n"
		"                        only), shield (shielding only) and cosched (static\n"
		"                        prioritization, co-scheduling and none, for a guest\n"
		"                        with work of its own beside a hog); \"all\" for all\n"
		"  -d, --duration SEC    measuring time per mode (default 4)\n"
		"  -p, --period US       event period in microseconds (default 1000)\n"
		"      --rt-cpu N        the RT CPU (default: the last online CPU)\n"
		"      --housekeeping LIST  CPUs for everything else (default: the others)\n"
		"      --guest wait|poll wait: the guest halts until the event (default);\n"
		"                        poll: the guest spins on a memory word\n"
		"      --vm auto|kvm|thread  kvm: a KVM micro-VM; thread: a stand-in vCPU\n"
		"                        thread, no VM; auto (default): kvm where /dev/kvm\n"
		"                        opens, else thread\n"
		"      --tuning LIST     the tuning steps taken: shield,irq,prio,kthreads,pmqos\n"
		"                        (default: all; prio and shield take their share)\n"
		"      --hogs N          CPU hogs per CPU (default 2)\n"
		"      --no-io           no I/O load (write + fsync)\n"
		"      --plot FILE       histogram image (.svg or .png) through gnuplot\n"
		"      --state FILE      state file for crash recovery (default %s)\n"
		"      --dry-run         show what each mode would change, change nothing\n"
		"  -j, --json            all figures as JSON on standard output\n"
		"  -v, --verbose         log what the library does\n"
		"  -h, --help, -V, --version\n\n"
		"Needs root (and /dev/kvm for a VM).  Exit status: 0 done, 1 failed, 64 bad usage,\n"
		"130 interrupted (the host is restored in every case).\n",
		program_name, DEFAULT_STATE);
}

enum {
	OPT_RT = 0x100, OPT_HK, OPT_GUEST, OPT_HOGS, OPT_NO_IO, OPT_PLOT,
	OPT_STATE, OPT_DRY_RUN, OPT_INNER, OPT_SCOPE, OPT_TUNING, OPT_VM,
};

static const struct {
	const char *name;
	unsigned int flag;
} tuning_names[] = {
	{ "shield", T_SHIELD }, { "irq", T_IRQ }, { "prio", T_PRIO },
	{ "kthreads", T_KTHREADS }, { "pmqos", T_PMQOS },
};

/* --tuning: which steps the demo takes (the tuned mode all of them, the
 * prio and shield modes their share). */
static int parse_tuning(struct opts *o, const char *list)
{
	char *copy = strdup(list), *save = NULL, *tok;
	unsigned int flags = T_LOAD | T_COSCHED;
	int r = 0;

	if (!copy)
		return -ENOMEM;
	for (tok = strtok_r(copy, ",", &save); tok;
	     tok = strtok_r(NULL, ",", &save)) {
		unsigned int f = 0;

		for (size_t i = 0; i < 5; i++)
			if (strcmp(tok, tuning_names[i].name) == 0)
				f = tuning_names[i].flag;
		if (!f) {
			tool_error("--tuning: unknown step \"%s\" (shield, "
				   "irq, prio, kthreads, pmqos)", tok);
			r = -EINVAL;
			break;
		}
		/* a boost is a prioritization, asked for by the guest */
		flags |= f | (f == T_PRIO ? T_BOOST : 0);
	}
	free(copy);
	if (r == 0)
		o->steps = flags;
	return r;
}

static int parse_modes(struct opts *o, const char *list)
{
	char *copy = strdup(list), *save = NULL, *tok;
	int r = 0;

	if (!copy)
		return -ENOMEM;
	o->nr_modes = 0;
	if (strcmp(list, "all") == 0) {
		for (unsigned int i = 0; i < MAX_MODES; i++)
			o->modes[o->nr_modes++] = &o->defs[i];
		free(copy);
		return 0;
	}
	for (tok = strtok_r(copy, ",", &save); tok && r == 0;
	     tok = strtok_r(NULL, ",", &save)) {
		/* "cosched" is its three configurations */
		bool group = strcmp(tok, "cosched") == 0;
		unsigned int found = 0;

		for (unsigned int i = 0; i < MAX_MODES; i++) {
			if (group ? !(mode_defs[i].flags & T_COSCHED)
				  : strcmp(tok, mode_defs[i].name) != 0)
				continue;
			found++;
			if (o->nr_modes == MAX_MODES) {
				tool_error("--modes: at most %d modes",
					   MAX_MODES);
				r = -EINVAL;
				break;
			}
			o->modes[o->nr_modes++] = &o->defs[i];
		}
		if (!found) {
			tool_error("--modes: unknown mode \"%s\" (idle, load, "
				   "tuned, prio, shield, cosched, all)", tok);
			r = -EINVAL;
		}
	}
	if (r == 0 && o->nr_modes == 0) {
		tool_error("--modes: empty list");
		r = -EINVAL;
	}
	free(copy);
	return r;
}

static int parse_uint(const char *what, const char *s, unsigned long min,
		      unsigned long max, unsigned long *ret)
{
	char *end;
	unsigned long v;

	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno || end == s || *end || s[0] == '-' || v < min || v > max) {
		tool_error("%s: \"%s\" is not a number from %lu to %lu", what,
			   s, min, max);
		return -EINVAL;
	}
	*ret = v;
	return 0;
}

static int parse_args(int argc, char **argv, struct opts *o)
{
	static const struct option longopts[] = {
		{ "modes", required_argument, NULL, 'm' },
		{ "duration", required_argument, NULL, 'd' },
		{ "period", required_argument, NULL, 'p' },
		{ "rt-cpu", required_argument, NULL, OPT_RT },
		{ "housekeeping", required_argument, NULL, OPT_HK },
		{ "guest", required_argument, NULL, OPT_GUEST },
		{ "vm", required_argument, NULL, OPT_VM },
		{ "hogs", required_argument, NULL, OPT_HOGS },
		{ "no-io", no_argument, NULL, OPT_NO_IO },
		{ "plot", required_argument, NULL, OPT_PLOT },
		{ "state", required_argument, NULL, OPT_STATE },
		{ "dry-run", no_argument, NULL, OPT_DRY_RUN },
		{ "inner", required_argument, NULL, OPT_INNER },
		{ "scope", required_argument, NULL, OPT_SCOPE },
		{ "tuning", required_argument, NULL, OPT_TUNING },
		{ "json", no_argument, NULL, 'j' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ 0 },
	};
	unsigned long v;
	char *end;
	int c;

	*o = (struct opts){ .duration = 4, .period_us = 1000, .rt_cpu = -1,
			    .guest = MICROVM_GUEST_WAIT, .hogs = 2, .io = true,
			    .state = DEFAULT_STATE, .inner_fd = -1 };
	memcpy(o->defs, mode_defs, sizeof(o->defs));
	o->steps = ~0u;
	parse_modes(o, "idle,load,tuned");
	while ((c = getopt_long(argc, argv, "m:d:p:jvhV", longopts, NULL)) !=
	       -1) {
		switch (c) {
		case 'm':
			if (parse_modes(o, optarg) < 0)
				return -EINVAL;
			break;
		case 'd':
			errno = 0;
			o->duration = strtod(optarg, &end);
			if (errno || end == optarg || *end ||
			    !(o->duration >= 0.1 && o->duration <= 3600)) {
				tool_error("--duration: \"%s\" is not a number "
					   "of seconds from 0.1 to 3600", optarg);
				return -EINVAL;
			}
			break;
		case 'p':
			if (parse_uint("--period", optarg, 50, 1000000, &v) < 0)
				return -EINVAL;
			o->period_us = (unsigned int)v;
			break;
		case OPT_RT:
			if (parse_uint("--rt-cpu", optarg, 0, 8191, &v) < 0)
				return -EINVAL;
			o->rt_cpu = (int)v;
			break;
		case OPT_HK: o->housekeeping = optarg; break;
		case OPT_GUEST:
			if (strcmp(optarg, "wait") == 0)
				o->guest = MICROVM_GUEST_WAIT;
			else if (strcmp(optarg, "poll") == 0)
				o->guest = MICROVM_GUEST_POLL;
			else {
				tool_error("--guest: \"%s\" is neither wait "
					   "nor poll", optarg);
				return -EINVAL;
			}
			break;
		case OPT_VM:
			if (strcmp(optarg, "auto") == 0)
				o->vm = DEMO_VM_AUTO;
			else if (strcmp(optarg, "kvm") == 0)
				o->vm = DEMO_VM_KVM;
			else if (strcmp(optarg, "thread") == 0)
				o->vm = DEMO_VM_THREAD;
			else {
				tool_error("--vm: \"%s\" is not auto, kvm or "
					   "thread", optarg);
				return -EINVAL;
			}
			break;
		case OPT_HOGS:
			if (parse_uint("--hogs", optarg, 0, 64, &v) < 0)
				return -EINVAL;
			o->hogs = (unsigned int)v;
			break;
		case OPT_NO_IO: o->io = false; break;
		case OPT_PLOT: o->plot = optarg; break;
		case OPT_STATE: o->state = optarg; break;
		case OPT_DRY_RUN: o->dry_run = true; break;
		case OPT_INNER:
			if (parse_uint("--inner", optarg, 0, INT_MAX, &v) < 0)
				return -EINVAL;
			o->inner_fd = (int)v;
			break;
		case OPT_SCOPE: o->scope = optarg; break;
		case OPT_TUNING:
			if (parse_tuning(o, optarg) < 0)
				return -EINVAL;
			break;
		case 'j': o->json = true; break;
		case 'v': o->verbose = true; break;
		case 'h':
			usage(stdout);
			exit(0);
		case 'V':
			printf("%s %s\n", program_name, rtvm_version());
			exit(0);
		default:
			usage(stderr);
			return -EINVAL;
		}
	}
	if (optind < argc) {
		tool_error("unexpected argument \"%s\"", argv[optind]);
		return -EINVAL;
	}
	for (unsigned int i = 0; i < MAX_MODES; i++)
		o->defs[i].flags &= o->steps;
	if (o->state[0] != '/') {
		tool_error("--state: \"%s\" is not an absolute path", o->state);
		return -EINVAL;
	}
	if (o->plot) {
		size_t n = strlen(o->plot);

		if (n < 5 || (strcmp(o->plot + n - 4, ".svg") &&
			      strcmp(o->plot + n - 4, ".png"))) {
			tool_error("--plot: \"%s\" does not end in .svg or .png",
				   o->plot);
			return -EINVAL;
		}
	}
	return 0;
}

/* ---- small file helpers (the tool's own cgroup and state file) ------ */


static int spit(const char *path, const char *text)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC);
	ssize_t n;
	int r = 0;

	if (fd < 0)
		return -errno;
	n = write(fd, text, strlen(text));
	if (n < 0)
		r = -errno;
	else if ((size_t)n != strlen(text))
		r = -EIO;
	close(fd);
	return r;
}

/* Written whole to PATH.tmp, synced and renamed: a crash leaves the old
 * state or the new one. */
static int write_state_file(const char *path, const char *text)
{
	char tmp[PATH_MAX], dir[PATH_MAX], *slash;
	int fd, r = 0;

	snprintf(dir, sizeof(dir), "%s", path);
	slash = strrchr(dir, '/');
	if (slash && slash != dir) {
		*slash = '\0';
		if (mkdir(dir, 0755) < 0 && errno != EEXIST)
			return -errno;
	}
	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0)
		return -errno;
	if (write(fd, text, strlen(text)) != (ssize_t)strlen(text) ||
	    fsync(fd) < 0)
		r = errno ? -errno : -EIO;
	if (close(fd) < 0 && r == 0)
		r = -errno;
	if (r == 0 && rename(tmp, path) < 0)
		r = -errno;
	if (r < 0)
		unlink(tmp);
	return r;
}

/* ---- statistics ------------------------------------------------------ */

/* Histogram bucket upper bounds in microseconds (1-2-5 steps). */
static const double bucket_us[] = {
	5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000, 10000, 20000, 50000,
	100000, INFINITY,
};
#define NR_BUCKETS (sizeof(bucket_us) / sizeof(bucket_us[0]))

struct gap {
	uint64_t start, end;	/* CLOCK_MONOTONIC ns */
};

struct result {
	const struct mode_def *def;
	size_t n;
	double p50, p99, p999, max, mean; /* microseconds */
	uint64_t hist[NR_BUCKETS];
	uint64_t coalesced, dropped, over_1ms, over_1ms_in_gap;
	unsigned int stalls[2];	/* RT CPU, housekeeping CPU */
	double stall_max_us[2], stall_total_ms[2];
	cJSON *tuning;		/* what was applied, for --json */
	char note[256];		/* a tuning step that did not work */
	bool done;
	/* co-scheduling: per second of the window, and the broker's view */
	double hog_ups, guest_ups, boosted_ms, window_s, start_late_max_us;
	uint64_t boosts, refused;
};

static int cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return x < y ? -1 : x > y;
}

static double pct(const uint32_t *v, size_t n, double p)
{
	size_t i;

	if (n == 0)
		return 0;
	/* nearest rank */
	i = (size_t)ceil(p / 100.0 * (double)n);
	if (i > 0)
		i--;
	if (i >= n)
		i = n - 1;
	return v[i] / 1e3;
}

/* Whether a gap detector woke late, during the sample, by at least half
 * the sample's latency: then the CPUs were not running for most of it (a
 * long sample overlaps short gaps of the host's own interrupts by chance;
 * those do not count). */
static bool in_gap(const struct gap *g, size_t ng, uint64_t a, uint64_t b)
{
	uint64_t need = (b - a) / 2;

	for (size_t i = 0; i < ng; i++)
		if (g[i].start < b && g[i].end > a &&
		    g[i].end - g[i].start >= need)
			return true;
	return false;
}

static void compute(struct result *res, const struct microvm_sample *s,
		    size_t n, const struct gap *g, size_t ng)
{
	uint32_t *v = malloc((n ? n : 1) * sizeof(*v));
	double sum = 0;

	res->n = n;
	if (!v)
		return;
	for (size_t i = 0; i < n; i++) {
		double us = s[i].latency_ns / 1e3;
		size_t b = 0;

		v[i] = s[i].latency_ns;
		sum += us;
		while (b + 1 < NR_BUCKETS && us > bucket_us[b])
			b++;
		res->hist[b]++;
		if (s[i].latency_ns >= OUTLIER_NS) {
			res->over_1ms++;
			if (in_gap(g, ng, s[i].due_ns,
				   s[i].due_ns + s[i].latency_ns))
				res->over_1ms_in_gap++;
		}
	}
	qsort(v, n, sizeof(*v), cmp_u32);
	res->p50 = pct(v, n, 50);
	res->p99 = pct(v, n, 99);
	res->p999 = pct(v, n, 99.9);
	res->max = n ? v[n - 1] / 1e3 : 0;
	res->mean = n ? sum / (double)n : 0;
	free(v);
}

/* ---- the gap detector -------------------------------------------------- */

/* A thread on one CPU, at high SCHED_FIFO priority (above the vCPU and
 * the load), that wakes every millisecond and notes how late it woke.
 * No task of this host can hold it off, and interrupts and kernel
 * sections take far less than a millisecond, so a multi-ms gap is time
 * the whole virtual CPU was not running: the outer host of a nested VM.
 * One runs on the RT CPU (idle most of the time: the guest halts between
 * events; its wake-ups cost the vCPU a few microseconds now and then),
 * one on a housekeeping CPU. */
struct gapdet {
	pthread_t thread;
	atomic_bool stop;
	int cpu;
	bool fifo;		/* it got its priority */
	pthread_mutex_t lock;
	struct gap *gaps;
	size_t n, cap;
};

static void *gap_thread(void *arg)
{
	struct gapdet *gd = arg;
	/* half a period off the vCPU's events, which start on the 1 ms
	 * grid of their own start: rarely at the same time */
	uint64_t next = now_ns() + 1500000;

	pthread_setname_np(pthread_self(), "rtvm-demo-gaps");
	while (!atomic_load(&gd->stop)) {
		struct timespec ts = { (time_t)(next / 1000000000u),
				       (long)(next % 1000000000u) };
		uint64_t t;

		clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL);
		t = now_ns();
		if (t > next + GAP_NS) {
			pthread_mutex_lock(&gd->lock);
			if (gd->n == gd->cap) {
				size_t cap = gd->cap ? 2 * gd->cap : 256;
				struct gap *g = realloc(gd->gaps,
							cap * sizeof(*g));

				if (g) {
					gd->gaps = g;
					gd->cap = cap;
				}
			}
			if (gd->n < gd->cap)
				gd->gaps[gd->n++] = (struct gap){ next, t };
			pthread_mutex_unlock(&gd->lock);
		}
		next += 1000000;
		if (next < t)
			next = t + 1000000;
	}
	return NULL;
}

static int gapdet_start(struct gapdet *gd, int cpu)
{
	struct sched_param sp = { .sched_priority = 90 };
	pthread_attr_t attr;
	cpu_set_t set;
	int r;

	memset(gd, 0, sizeof(*gd));
	pthread_mutex_init(&gd->lock, NULL);
	gd->cpu = cpu;
	pthread_attr_init(&attr);
	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	pthread_attr_setaffinity_np(&attr, sizeof(set), &set);
	pthread_attr_setinheritsched(&attr, PTHREAD_EXPLICIT_SCHED);
	pthread_attr_setschedpolicy(&attr, SCHED_FIFO);
	pthread_attr_setschedparam(&attr, &sp);
	r = pthread_create(&gd->thread, &attr, gap_thread, gd);
	gd->fifo = r == 0;
	if (r == EPERM) {
		/* no RT runtime for this cgroup: a plain thread still sees
		 * the outer host, and the load too (said in the output) */
		pthread_attr_setinheritsched(&attr, PTHREAD_INHERIT_SCHED);
		r = pthread_create(&gd->thread, &attr, gap_thread, gd);
	}
	pthread_attr_destroy(&attr);
	return -r;
}

static void gapdet_stop(struct gapdet *gd)
{
	atomic_store(&gd->stop, true);
	pthread_join(gd->thread, NULL);
}

/* The gaps that overlap [a, b), appended to *@ret (n so far in *@n);
 * the stalls among them counted. */
static void gapdet_window(struct gapdet *gd, uint64_t a, uint64_t b,
			  struct gap **ret, size_t *n, unsigned int *stalls,
			  double *max_us, double *total_ms)
{
	struct gap *g2;

	*stalls = 0;
	*max_us = 0;
	*total_ms = 0;
	pthread_mutex_lock(&gd->lock);
	g2 = realloc(*ret, (*n + gd->n + 1) * sizeof(**ret));
	if (g2)
		*ret = g2;
	for (size_t i = 0; g2 && i < gd->n; i++) {
		const struct gap *g = &gd->gaps[i];
		uint64_t late = g->end - g->start;

		if (g->end <= a || g->start >= b)
			continue;
		(*ret)[(*n)++] = *g;
		if (late < STALL_NS)
			continue;
		(*stalls)++;
		if (late / 1e3 > *max_us)
			*max_us = late / 1e3;
		*total_ms += late / 1e6;
	}
	pthread_mutex_unlock(&gd->lock);
}

/* ---- the load ------------------------------------------------------------ */

struct load {
	pid_t pids[256];
	unsigned int n;
};

static _Noreturn void hog_main(void)
{
	volatile unsigned long x = 0;

	prctl(PR_SET_NAME, "rtvm-demo-hog");
	for (;;)
		x++;
}

/* write + fsync on an unlinked temporary file, 4 MiB at most */
static _Noreturn void io_main(void)
{
	char path[] = "/var/tmp/rtvm-demo-io.XXXXXX";
	static char buf[64 * 1024];
	off_t off = 0;
	int fd;

	prctl(PR_SET_NAME, "rtvm-demo-io");
	fd = mkstemp(path);
	if (fd < 0) {
		snprintf(path, sizeof(path), "/tmp/rtvm-demo-io.XXXXXX");
		fd = mkstemp(path);
	}
	if (fd < 0)
		_exit(1);
	unlink(path);
	memset(buf, 0xa5, sizeof(buf));
	for (;;) {
		if (pwrite(fd, buf, sizeof(buf), off) < 0)
			_exit(1);
		fdatasync(fd);
		off += sizeof(buf);
		if (off >= 4 * 1024 * 1024)
			off = 0;
	}
}

static int load_start(struct load *l, unsigned int hogs, bool io, int keep_fd)
{
	unsigned int total = hogs + (io ? 1 : 0);

	l->n = 0;
	for (unsigned int i = 0; i < total && l->n < 256; i++) {
		pid_t pid = fork();

		if (pid < 0)
			return -errno;
		if (pid == 0) {
			prctl(PR_SET_PDEATHSIG, SIGKILL);
			close(keep_fd);
			signal(SIGINT, SIG_DFL);
			signal(SIGTERM, SIG_DFL);
			if (i < hogs)
				hog_main();
			io_main();
		}
		l->pids[l->n++] = pid;
	}
	return 0;
}

/* The general-purpose hog of the co-scheduling modes: one process pinned
 * to the RT CPU, counting its units of work where the demo reads them. */
static int hog_start(struct load *l, int cpu, _Atomic uint64_t *units,
		     int keep_fd)
{
	pid_t pid = fork();

	if (pid < 0)
		return -errno;
	if (pid == 0) {
		cpu_set_t set;

		prctl(PR_SET_PDEATHSIG, SIGKILL);
		prctl(PR_SET_NAME, "rtvm-demo-hog");
		close(keep_fd);
		signal(SIGINT, SIG_DFL);
		signal(SIGTERM, SIG_DFL);
		CPU_ZERO(&set);
		CPU_SET(cpu, &set);
		if (sched_setaffinity(0, sizeof(set), &set) < 0)
			_exit(1);
		for (;;) {
			microvm_work_unit();
			atomic_fetch_add_explicit(units, 1,
						  memory_order_relaxed);
		}
	}
	l->pids[l->n++] = pid;
	return 0;
}

static void load_stop(struct load *l)
{
	for (unsigned int i = 0; i < l->n; i++)
		kill(l->pids[i], SIGKILL);
	for (unsigned int i = 0; i < l->n; i++)
		while (waitpid(l->pids[i], NULL, 0) < 0 && errno == EINTR)
			;
	l->n = 0;
}

/* ---- the inner side: the demo world ---------------------------------- */

struct world {
	const struct opts *o;
	struct rtvm_ctx *ctx;
	struct rtvm_cpumask *rt, *hk;
	int fd;			/* to the outer process */
	FILE *in;
	int nr_cpus;
	struct gapdet gd[2];	/* on the RT CPU, on a housekeeping CPU */
};

/* One request to the outer process; its answer line (without "ok ")
 * is stored in @ret (free it). */
static int ask_outer(struct world *w, const char *req, char **ret)
{
	char *line = NULL;
	size_t size = 0;
	int r;

	*ret = NULL;
	if (dprintf(w->fd, "%s\n", req) < 0)
		return -EPIPE;
	if (getline(&line, &size, w->in) < 0) {
		free(line);
		return -EPIPE;
	}
	line[strcspn(line, "\n")] = '\0';
	r = strncmp(line, "ok", 2) == 0 ? 0 : -EIO;
	*ret = strdup(line + (line[2] == ' ' ? 3 : 2));
	free(line);
	return r;
}

static void progress(const struct world *w, unsigned int i,
		     const struct mode_def *d, double t, size_t n)
{
	if (w->o->json || !isatty(STDERR_FILENO))
		return;
	fprintf(stderr, "\r[%u/%u] %-26s %4.1f/%.1f s  %7zu samples ", i + 1,
		w->o->nr_modes, d->title, t, w->o->duration, n);
	fflush(stderr);
}

static void note(struct result *res, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static void note(struct result *res, const char *fmt, ...)
{
	size_t len = strlen(res->note);
	va_list ap;

	if (len && len + 2 < sizeof(res->note)) {
		strcat(res->note, "; ");
		len += 2;
	}
	va_start(ap, fmt);
	vsnprintf(res->note + len, sizeof(res->note) - len, fmt, ap);
	va_end(ap);
}

/* ---- co-scheduling: the host's broker and the guest's channel -------- */

/* The broker runs on a thread of its own on the housekeeping CPU, at an
 * RT priority, as rtvm-boostd would: its timer starts the boosts the
 * guest arms.  The guest end of the channel is used by the vCPU thread
 * only (the guest's code); the broker by its thread, and by the demo
 * under the lock for its counters. */
struct cosched {
	struct rtvm_boost *b;
	unsigned int id;
	int listen_fd, hk_cpu;
	pthread_t thread;
	bool running, fifo;
	atomic_bool stop;
	pthread_mutex_t lock;
	_Atomic(struct rtvm_boost_guest *) guest;
	char dir[64], path[80];
};

static void *broker_thread(void *arg)
{
	struct cosched *c = arg;
	int fd;

	pthread_setname_np(pthread_self(), "rtvm-demo-brok");
	fd = accept4(c->listen_fd, NULL, NULL, SOCK_CLOEXEC);
	pthread_mutex_lock(&c->lock);
	if (fd >= 0)
		rtvm_boost_add_channel(c->b, c->id, fd);
	pthread_mutex_unlock(&c->lock);
	while (!atomic_load(&c->stop)) {
		struct pollfd p = { .fd = rtvm_boost_get_fd(c->b),
				    .events = POLLIN };

		if (poll(&p, 1, 20) > 0) {
			pthread_mutex_lock(&c->lock);
			rtvm_boost_dispatch(c->b);
			pthread_mutex_unlock(&c->lock);
		}
	}
	return NULL;
}

/* The guest's code after each answer: its RT burst is over, so it gives
 * the boost back and asks for the next one a little before its next
 * event; posted, never waited for. */
static void cosched_answer(void *data, unsigned int vcpu, uint64_t next_due)
{
	struct cosched *c = data;
	struct rtvm_boost_guest *g = atomic_load(&c->guest);
	struct rtvm_boost_msg m = { .type = RTVM_BOOST_DEBOOST,
				    .vcpu = (uint16_t)vcpu }, ack;
	uint64_t now = now_ns(), at = next_due - COSCHED_LEAD_NS;

	if (!g)
		return;
	while (rtvm_boost_guest_recv(g, &ack, 0) == 0)
		; /* the answers: the broker counts what it refused */
	rtvm_boost_guest_send(g, &m);
	m = (struct rtvm_boost_msg){
		.type = RTVM_BOOST_BOOST, .vcpu = (uint16_t)vcpu,
		.policy = RTVM_BOOST_SCHED_FIFO, .priority = 1,
		.until_us = (uint32_t)((COSCHED_LEAD_NS + COSCHED_HOLD_NS) /
				       1000),
		.start_us = at > now + 1000 ? (uint32_t)((at - now) / 1000) : 1,
	};
	rtvm_boost_guest_send(g, &m);
}

static int cosched_start(struct world *w, struct cosched *c)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct sched_param sp = { .sched_priority = 50 };
	struct rtvm_boost_guest *g = NULL;
	struct rtvm_vm *vm = NULL;
	pthread_attr_t attr;
	cpu_set_t set;
	int r;

	c->listen_fd = -1;
	pthread_mutex_init(&c->lock, NULL);
	r = rtvm_boost_new(w->ctx, 0, &c->b);
	if (r == 0)
		r = rtvm_vm_new_from_pid(w->ctx, getpid(), &vm);
	if (r == 0)
		r = rtvm_boost_add_vm(c->b, vm, NULL, &c->id);
	rtvm_vm_unref(vm);
	if (r < 0)
		return r;
	snprintf(c->dir, sizeof(c->dir), "/tmp/rtvm-demo-boost.XXXXXX");
	if (!mkdtemp(c->dir))
		return -errno;
	snprintf(c->path, sizeof(c->path), "%s/channel", c->dir);
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", c->path);
	c->listen_fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (c->listen_fd < 0 ||
	    bind(c->listen_fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 ||
	    listen(c->listen_fd, 1) < 0)
		return -errno;
	pthread_attr_init(&attr);
	CPU_ZERO(&set);
	CPU_SET(c->hk_cpu, &set);
	pthread_attr_setaffinity_np(&attr, sizeof(set), &set);
	pthread_attr_setinheritsched(&attr, PTHREAD_EXPLICIT_SCHED);
	pthread_attr_setschedpolicy(&attr, SCHED_FIFO);
	pthread_attr_setschedparam(&attr, &sp);
	r = pthread_create(&c->thread, &attr, broker_thread, c);
	c->fifo = r == 0;
	if (r == EPERM) {
		pthread_attr_setinheritsched(&attr, PTHREAD_INHERIT_SCHED);
		r = pthread_create(&c->thread, &attr, broker_thread, c);
	}
	pthread_attr_destroy(&attr);
	if (r)
		return -r;
	c->running = true;
	/* The guest's end, as rtvm-guest opens its port: HELLO first. */
	r = rtvm_boost_guest_open(c->path, 2000, &g);
	if (r == 0 && rtvm_boost_guest_get_limits(g)->version < 2) {
		rtvm_boost_guest_close(g);
		r = -EPROTO;
	}
	if (r == 0)
		atomic_store(&c->guest, g);
	return r;
}

static void cosched_stats(struct cosched *c, struct rtvm_boost_stats *st)
{
	*st = (struct rtvm_boost_stats){ .size = sizeof(*st) };
	if (!c->b)
		return;
	pthread_mutex_lock(&c->lock);
	rtvm_boost_get_stats(c->b, c->id, -1, st);
	pthread_mutex_unlock(&c->lock);
}

/* After the vCPU stopped: the broker puts back what it boosted. */
static void cosched_stop(struct cosched *c)
{
	if (c->running) {
		atomic_store(&c->stop, true);
		if (!atomic_load(&c->guest) && c->listen_fd >= 0)
			shutdown(c->listen_fd, SHUT_RDWR); /* end accept() */
		pthread_join(c->thread, NULL);
	}
	rtvm_boost_guest_close(atomic_load(&c->guest));
	rtvm_boost_unref(c->b);
	if (c->listen_fd >= 0)
		close(c->listen_fd);
	if (c->path[0])
		unlink(c->path);
	if (c->dir[0])
		rmdir(c->dir);
	pthread_mutex_destroy(&c->lock);
}

/* Apply the inner part of a mode's tuning (shield, vCPU priority and
 * pinning), recording it in @cs. */
static void tune_inner(struct world *w, const struct mode_def *d,
		       struct microvm *vm, struct rtvm_changeset *cs,
		       struct result *res)
{
	struct rtvm_sched_attr fifo = { .size = sizeof(fifo),
					.policy = SCHED_FIFO, .priority = 1 };
	pid_t tid = microvm_vcpu_tid(vm, 0);
	struct rtvm_shield_report *rep = NULL;
	int r;

	if (d->flags & T_SHIELD) {
		r = rtvm_shield_create(w->ctx, w->rt, w->hk, w->o->scope, 0, cs,
				       &rep);
		if (r == 0)
			r = rtvm_shield_add_threads(w->ctx, w->o->scope, &tid,
						    1, 0, cs);
		if (r < 0)
			note(res, "shield: %s", strerror(-r));
		else
			cJSON_AddNumberToObject(
				res->tuning, "shield_tasks_moved",
				rtvm_shield_report_get_count(rep,
							     RTVM_SHIELD_MOVED));
		rtvm_shield_report_free(rep);
	}
	/* co-scheduling pins the vCPU beside its hog in every configuration */
	if (d->flags & (T_PRIO | T_COSCHED)) {
		struct rtvm_vm *v = NULL;

		r = rtvm_vm_new_from_pid(w->ctx, getpid(), &v);
		if (r == 0)
			r = rtvm_vm_pin(v, RTVM_VM_ROLE_VCPU, w->rt,
					RTVM_VM_PIN_ONE_TO_ONE, cs, NULL);
		if (r == 0 && (d->flags & T_PRIO))
			r = rtvm_vm_set_sched(v, RTVM_VM_ROLE_VCPU, NULL, &fifo,
					      RTVM_SCHED_PROVISION_RT, cs, NULL);
		if (r < 0)
			note(res, "vCPU priority: %s", strerror(-r));
		else
			cJSON_AddStringToObject(
				res->tuning, "vcpu",
				d->flags & T_PRIO ? "SCHED_FIFO 1, pinned" :
				d->flags & T_BOOST ?
					"SCHED_OTHER, pinned, boosted by the "
					"guest to SCHED_FIFO 1 through the "
					"broker" :
					"SCHED_OTHER, pinned");
		rtvm_vm_unref(v);
	}
}

static int run_mode(struct world *w, unsigned int idx, struct result *res)
{
	const struct mode_def *d = w->o->modes[idx];
	const struct opts *o = w->o;
	uint64_t period = (uint64_t)o->period_us * 1000;
	size_t max = (size_t)((o->duration * 1e3 + WARMUP_MS + 2000) * 1e6 /
			      (double)period) + 1000;
	struct microvm_opts mo = {
		.nr_vcpus = 1, .guest = o->guest, .period_ns = period,
		.max_samples = max, .timer_cpu = w->gd[1].cpu, .timer_prio = 95,
		.backend = o->vm == DEMO_VM_THREAD ? MICROVM_BACKEND_THREAD :
						     MICROVM_BACKEND_KVM,
	};
	struct cosched co = { .hk_cpu = w->gd[1].cpu };
	struct rtvm_boost_stats st0, st1;
	_Atomic uint64_t *hog_units = NULL;
	uint64_t hog0 = 0, guest0 = 0;
	struct rtvm_changeset *cs = NULL;
	const struct microvm_sample *s;
	struct load load = { .n = 0 };
	struct microvm *vm = NULL;
	size_t first, last;
	uint64_t t0, t1;
	struct gap *gaps = NULL;
	size_t ng = 0;
	char *answer = NULL;
	int r;

	res->def = d;
	res->tuning = cJSON_CreateObject();
	r = rtvm_changeset_new(w->ctx, &cs);
	if (r < 0)
		return r;
	if (d->flags & T_LOAD) {
		r = load_start(&load, o->hogs * (unsigned int)w->nr_cpus, o->io,
			       w->fd);
		if (r < 0) {
			tool_error("cannot start the load: %s", strerror(-r));
			goto out;
		}
	}
	if (d->flags & T_COSCHED) {
		/* The guest with work of its own is the stand-in's: the
		 * micro-VM's real-mode guests have none, nor a channel. */
		mo.guest = MICROVM_GUEST_COSCHED;
		mo.backend = MICROVM_BACKEND_THREAD;
		mo.work_pct = COSCHED_WORK_PCT;
		mo.on_answer = d->flags & T_BOOST ? cosched_answer : NULL;
		mo.data = &co;
		if (o->vm != DEMO_VM_THREAD)
			note(res, "on the stand-in vCPU (no VM)");
		hog_units = mmap(NULL, sizeof(*hog_units),
				 PROT_READ | PROT_WRITE,
				 MAP_SHARED | MAP_ANONYMOUS, -1, 0);
		r = hog_units == MAP_FAILED ? -errno :
		    hog_start(&load, o->rt_cpu, hog_units, w->fd);
		if (hog_units == MAP_FAILED)
			hog_units = NULL;
		if (r < 0) {
			tool_error("cannot start the hog: %s", strerror(-r));
			goto out;
		}
	}
	r = microvm_open_opts(&mo, &vm);
	if (r == 0)
		r = microvm_start(vm);
	if (r < 0) {
		tool_error("micro-VM: %s", strerror(-r));
		goto out;
	}
	tune_inner(w, d, vm, cs, res);
	if (d->flags & T_BOOST) {
		r = cosched_start(w, &co);
		if (r < 0)
			note(res, "boost broker: %s", strerror(-r));
		else if (!co.fifo)
			note(res, "the broker could not get SCHED_FIFO");
	}
	if (d->flags & T_GLOBAL) {
		char req[64];

		snprintf(req, sizeof(req), "apply%s%s%s",
			 d->flags & T_IRQ ? " irq" : "",
			 d->flags & T_KTHREADS ? " kthreads" : "",
			 d->flags & T_PMQOS ? " pmqos" : "");
		r = ask_outer(w, req, &answer);
		if (answer) {
			cJSON *j = cJSON_Parse(answer);

			if (j && cJSON_IsObject(j)) {
				cJSON *it;

				cJSON_ArrayForEach(it, j)
					cJSON_AddItemToObject(
						res->tuning, it->string,
						cJSON_Duplicate(it, true));
				it = cJSON_GetObjectItem(j, "note");
				if (cJSON_IsString(it))
					note(res, "%s", it->valuestring);
			} else if (r < 0) {
				note(res, "%s", answer);
			}
			cJSON_Delete(j);
		}
		free(answer);
		answer = NULL;
		if (r == -EPIPE) {
			tool_error("lost the outer process");
			goto out;
		}
	}

	t0 = now_ns();
	sleep_ms(WARMUP_MS);
	first = microvm_samples(vm, 0, NULL);
	cosched_stats(&co, &st0);
	if (hog_units)
		hog0 = atomic_load(hog_units);
	guest0 = microvm_work_units(vm, 0);
	t0 = now_ns();
	while (!interrupted) {
		double t = (now_ns() - t0) / 1e9;

		if (t >= o->duration)
			break;
		progress(w, idx, d, t, microvm_samples(vm, 0, NULL) - first);
		sleep_ms(t + 0.25 < o->duration ?
				 250 : (long)((o->duration - t) * 1e3) + 1);
	}
	t1 = now_ns();
	last = microvm_samples(vm, 0, &s);
	if (d->flags & T_COSCHED) {
		double secs = (t1 - t0) / 1e9;

		cosched_stats(&co, &st1);
		res->window_s = secs;
		res->hog_ups = (atomic_load(hog_units) - hog0) / secs;
		res->guest_ups = (microvm_work_units(vm, 0) - guest0) / secs;
		/* static: boosted all along; none: never */
		res->boosted_ms = d->flags & T_PRIO ? secs * 1e3 :
				  (st1.boosted_ns - st0.boosted_ns) / 1e6;
		res->boosts = st1.boosts - st0.boosts;
		for (int k = 1; k < RTVM_BOOST_NR_REASONS; k++)
			res->refused += st1.refused[k] - st0.refused[k];
		res->start_late_max_us = st1.start_late_max_ns / 1e3;
	}
	if (co.b) {
		/* The boosts end while the vCPU thread is there to be put
		 * back; its later requests find the channel closed. */
		pthread_mutex_lock(&co.lock);
		rtvm_boost_remove_vm(co.b, co.id);
		pthread_mutex_unlock(&co.lock);
	}
	progress(w, idx, d, (t1 - t0) / 1e9, last - first);
	/* Only samples due inside the window count. */
	while (last > first && s[last - 1].due_ns > t1)
		last--;

	/* Undo, newest first: the global settings, then ours. */
	if (d->flags & T_GLOBAL) {
		if (ask_outer(w, "revert", &answer) < 0)
			tool_error("the outer process could not revert: %s",
				   answer ? answer : "lost");
		free(answer);
	}
	r = rtvm_changeset_restore(cs, 0);
	if (r < 0)
		tool_error("%s: undoing the tuning: %s", d->name, strerror(-r));
	if (d->flags & T_SHIELD)
		rtvm_shield_destroy(w->ctx, o->scope, NULL, 0);
	for (int k = 0; k < 2; k++)
		gapdet_window(&w->gd[k], t0, t1, &gaps, &ng, &res->stalls[k],
			      &res->stall_max_us[k], &res->stall_total_ms[k]);
	microvm_stop(vm);
	if (co.b) {
		cosched_stop(&co);
		co.b = NULL;
	}
	if (microvm_error(vm, 0, NULL))
		tool_error("%s: the vCPU stopped: %s", d->name,
			   strerror(-microvm_error(vm, 0, NULL)));
	compute(res, s + first, last - first, gaps, ng);
	res->coalesced = microvm_coalesced(vm, 0);
	res->dropped = microvm_dropped(vm, 0);
	res->done = !interrupted || res->n > 0;
	free(gaps);
	r = 0;
out:
	microvm_close(vm);
	if (co.b)
		cosched_stop(&co);
	load_stop(&load);
	if (hog_units)
		munmap(hog_units, sizeof(*hog_units));
	rtvm_changeset_unref(cs);
	return r;
}

/* ---- output ------------------------------------------------------------- */

static bool nested_host(void)
{
	char *s = demo_slurp("/proc/cpuinfo");
	bool yes = s && strstr(s, " hypervisor") != NULL;

	free(s);
	return yes;
}

static const struct result *find(const struct result *r, unsigned int n,
				 const char *name)
{
	for (unsigned int i = 0; i < n; i++)
		if (r[i].done && strcmp(r[i].def->name, name) == 0)
			return &r[i];
	return NULL;
}

static void print_hist(const struct result *r)
{
	uint64_t top = 1;
	double lo = 0;

	for (size_t b = 0; b < NR_BUCKETS; b++)
		if (r->hist[b] > top)
			top = r->hist[b];
	printf("\n%s (%zu samples)\n", r->def->title, r->n);
	for (size_t b = 0; b < NR_BUCKETS; b++) {
		char range[32];
		int bar;

		if (r->hist[b] == 0) {
			lo = bucket_us[b];
			continue;
		}
		if (isinf(bucket_us[b]))
			snprintf(range, sizeof(range), "> %g us", lo);
		else
			snprintf(range, sizeof(range), "%g-%g us", lo,
				 bucket_us[b]);
		bar = r->hist[b] ? 1 + (int)(49.0 * (double)r->hist[b] /
					     (double)top) : 0;
		printf("  %-16s %7llu %.*s\n", range,
		       (unsigned long long)r->hist[b], bar,
		       "##################################################");
		lo = bucket_us[b];
	}
}

static int plot(const struct opts *o, const struct result *res, unsigned int n)
{
	char dat[] = "/tmp/rtvm-demo-plot.XXXXXX";
	bool png;
	FILE *f, *g;
	int fd, r;

	if (system("command -v gnuplot >/dev/null 2>&1") != 0)
		return -ENOENT;
	fd = mkstemp(dat);
	if (fd < 0 || !(f = fdopen(fd, "w")))
		return -errno;
	/* one block per mode: bucket index, count */
	for (unsigned int i = 0; i < n; i++) {
		for (size_t b = 0; b < NR_BUCKETS; b++)
			fprintf(f, "%zu %llu\n", b,
				(unsigned long long)res[i].hist[b]);
		fprintf(f, "\n\n");
	}
	fclose(f);
	png = strcmp(o->plot + strlen(o->plot) - 4, ".png") == 0;
	g = popen("gnuplot", "w");
	if (!g) {
		unlink(dat);
		return -errno;
	}
	fprintf(g, "set terminal %s size 900,500\nset output '%s'\n",
		png ? "pngcairo" : "svg", o->plot);
	fprintf(g, "set title 'rtvm-demo: guest response latency, period %u us'\n"
		   "set style data histograms\nset style fill solid 0.8\n"
		   "set logscale y\nset yrange [0.8:*]\nset ylabel 'samples'\n"
		   "set xlabel 'latency (us, upper bound)'\nset xtics (",
		o->period_us);
	for (size_t b = 0; b < NR_BUCKETS; b++)
		if (isinf(bucket_us[b]))
			fprintf(g, "%s'more' %zu", b ? ", " : "", b);
		else
			fprintf(g, "%s'%g' %zu", b ? ", " : "", bucket_us[b], b);
	fprintf(g, ")\nset boxwidth 0.8/%u\nplot ", n);
	for (unsigned int i = 0; i < n; i++)
		fprintf(g, "%s'%s' index %u using ($1-0.4+0.8*(%u+0.5)/%u):"
			   "($2 > 0 ? $2 : 1/0) with boxes title '%s'",
			i ? ", " : "", dat, i, i, n, res[i].def->title);
	fprintf(g, "\n");
	r = pclose(g);
	unlink(dat);
	return r == 0 ? 0 : -EIO;
}

static cJSON *result_json(const struct result *r)
{
	cJSON *j = cJSON_CreateObject(), *h = cJSON_CreateArray();

	cJSON_AddStringToObject(j, "mode", r->def->name);
	cJSON_AddStringToObject(j, "title", r->def->title);
	cJSON_AddBoolToObject(j, "load", r->def->flags & T_LOAD);
	cJSON_AddNumberToObject(j, "samples", (double)r->n);
	cJSON_AddNumberToObject(j, "p50_us", r->p50);
	cJSON_AddNumberToObject(j, "p99_us", r->p99);
	cJSON_AddNumberToObject(j, "p99_9_us", r->p999);
	cJSON_AddNumberToObject(j, "max_us", r->max);
	cJSON_AddNumberToObject(j, "mean_us", r->mean);
	cJSON_AddNumberToObject(j, "coalesced", (double)r->coalesced);
	cJSON_AddNumberToObject(j, "dropped", (double)r->dropped);
	cJSON_AddNumberToObject(j, "over_1ms", (double)r->over_1ms);
	cJSON_AddNumberToObject(j, "over_1ms_in_gaps",
				(double)r->over_1ms_in_gap);
	for (int k = 0; k < 2; k++) {
		cJSON *g = cJSON_CreateObject();

		cJSON_AddNumberToObject(g, "stalls_ge_1ms", r->stalls[k]);
		cJSON_AddNumberToObject(g, "longest_us", r->stall_max_us[k]);
		cJSON_AddNumberToObject(g, "total_ms", r->stall_total_ms[k]);
		cJSON_AddItemToObject(j, k ? "stalls_housekeeping_cpu" :
					     "stalls_rt_cpu", g);
	}
	for (size_t b = 0; b < NR_BUCKETS; b++) {
		cJSON *e = cJSON_CreateObject();

		if (isinf(bucket_us[b]))
			cJSON_AddNullToObject(e, "le_us");
		else
			cJSON_AddNumberToObject(e, "le_us", bucket_us[b]);
		cJSON_AddNumberToObject(e, "count", (double)r->hist[b]);
		cJSON_AddItemToArray(h, e);
	}
	cJSON_AddItemToObject(j, "histogram", h);
	cJSON_AddItemToObject(j, "tuning", cJSON_Duplicate(r->tuning, true));
	if (r->def->flags & T_COSCHED) {
		cJSON *c = cJSON_CreateObject();

		cJSON_AddStringToObject(c, "vm", "stand-in");
		cJSON_AddNumberToObject(c, "guest_work_pct", COSCHED_WORK_PCT);
		cJSON_AddNumberToObject(c, "hog_units_per_s", r->hog_ups);
		cJSON_AddNumberToObject(c, "guest_units_per_s", r->guest_ups);
		cJSON_AddNumberToObject(c, "vcpu_boosted_ms", r->boosted_ms);
		cJSON_AddNumberToObject(c, "vcpu_boosted_share",
					r->window_s > 0 ? r->boosted_ms / 1e3 /
							  r->window_s : 0);
		if (r->def->flags & T_BOOST) {
			cJSON_AddNumberToObject(c, "lead_us",
						COSCHED_LEAD_NS / 1e3);
			cJSON_AddNumberToObject(c, "boosts", (double)r->boosts);
			cJSON_AddNumberToObject(c, "refused",
						(double)r->refused);
			cJSON_AddNumberToObject(c, "start_late_max_us",
						r->start_late_max_us);
		}
		cJSON_AddItemToObject(j, "cosched", c);
	}
	if (r->note[0])
		cJSON_AddStringToObject(j, "note", r->note);
	return j;
}

/* Co-scheduling against static prioritization: hog throughput and RT
 * p99, as ratios, with their goals (>= 2x, <= 1.1x). */
static bool cosched_ratios(const struct result *res, unsigned int n,
			   double *hog, double *p99)
{
	const struct result *st = find(res, n, "cosched-static"),
			    *co = find(res, n, "cosched-boost");

	if (!st || !co || st->hog_ups <= 0 || st->p99 <= 0)
		return false;
	*hog = co->hog_ups / st->hog_ups;
	*p99 = co->p99 / st->p99;
	return true;
}

static void report(struct world *w, struct result *res, unsigned int n)
{
	double co_hog = 0, co_p99 = 0;
	bool co = cosched_ratios(res, n, &co_hog, &co_p99);
	const struct opts *o = w->o;
	const struct result *idle = find(res, n, "idle"),
			    *load = find(res, n, "load"),
			    *tuned = find(res, n, "tuned");
	unsigned int gaps = 0, over = 0, over_in = 0;
	double gap_max = 0;
	char cpus[32];
	bool nested = nested_host();
	char outer[512] = "";
	cJSON *j, *modes, *ratios, *goals;
	struct utsname u;

	uname(&u);
	for (unsigned int i = 0; i < n; i++) {
		over += (unsigned int)res[i].over_1ms;
		over_in += (unsigned int)res[i].over_1ms_in_gap;
		for (int k = 0; k < 2; k++) {
			gaps += res[i].stalls[k];
			if (res[i].stall_max_us[k] > gap_max)
				gap_max = res[i].stall_max_us[k];
		}
	}
	snprintf(cpus, sizeof(cpus), "CPUs %d and %d", w->gd[0].cpu,
		 w->gd[1].cpu);
	if (gaps)
		snprintf(outer, sizeof(outer),
			 "the gap detectors on %s saw %u stall(s) of 1 ms "
			 "or more (longest %.1f ms) that no task of this host "
			 "can cause%s; %u of the %u samples over 1 ms overlap a "
			 "stall. No host tuning removes these: judge on "
			 "p99/p99.9", cpus, gaps, gap_max / 1e3,
			 nested ? " (this machine is a VM: the outer host "
				  "did not run it)" : "",
			 over_in, over);

	if (o->json) {
		j = cJSON_CreateObject();
		cJSON_AddNumberToObject(j, "version", 1);
		{
			cJSON *m = cJSON_CreateObject();

			cJSON_AddStringToObject(m, "hostname", u.nodename);
			cJSON_AddStringToObject(m, "kernel", u.release);
			cJSON_AddNumberToObject(m, "cpus", w->nr_cpus);
			cJSON_AddBoolToObject(m, "nested", nested);
			cJSON_AddItemToObject(j, "machine", m);
		}
		{
			cJSON *c = cJSON_CreateObject();

			cJSON_AddNumberToObject(c, "period_us", o->period_us);
			cJSON_AddNumberToObject(c, "duration_s", o->duration);
			cJSON_AddStringToObject(c, "guest",
						o->guest == MICROVM_GUEST_POLL ?
							"poll" : "wait");
			cJSON_AddStringToObject(c, "vm",
						o->vm == DEMO_VM_THREAD ?
							"stand-in" : "kvm");
			if (o->vm == DEMO_VM_THREAD)
				cJSON_AddStringToObject(c, "vm_note",
							standin_note);
			cJSON_AddStringToObject(c, "rt_cpus",
						tool_mask_str(w->rt, 0));
			cJSON_AddStringToObject(c, "housekeeping",
						tool_mask_str(w->hk, 1));
			cJSON_AddNumberToObject(c, "hogs_per_cpu", o->hogs);
			cJSON_AddBoolToObject(c, "io_load", o->io);
			cJSON_AddBoolToObject(c, "gap_detector_fifo",
					      w->gd[0].fifo && w->gd[1].fifo);
			cJSON_AddItemToObject(j, "config", c);
		}
		modes = cJSON_CreateArray();
		for (unsigned int i = 0; i < n; i++)
			if (res[i].done)
				cJSON_AddItemToArray(modes,
						     result_json(&res[i]));
		cJSON_AddItemToObject(j, "modes", modes);
		ratios = cJSON_CreateObject();
		goals = cJSON_CreateObject();
		if (idle && tuned && idle->p99 > 0) {
			cJSON_AddNumberToObject(ratios, "tuned_over_idle_p99",
						tuned->p99 / idle->p99);
			cJSON_AddBoolToObject(goals,
					      "tuned_p99_within_1.5x_idle",
					      tuned->p99 <= 1.5 * idle->p99);
		}
		if (load && tuned && tuned->p99 > 0) {
			cJSON_AddNumberToObject(ratios, "untuned_over_tuned_p99",
						load->p99 / tuned->p99);
			cJSON_AddBoolToObject(goals, "untuned_p99_10x_tuned",
					      load->p99 >= 10 * tuned->p99);
		}
		if (co) {
			cJSON_AddNumberToObject(ratios,
						"cosched_hog_over_static_hog",
						co_hog);
			cJSON_AddNumberToObject(ratios,
						"cosched_p99_over_static_p99",
						co_p99);
			cJSON_AddBoolToObject(goals, "cosched_hog_2x_static",
					      co_hog >= 2);
			cJSON_AddBoolToObject(goals,
					      "cosched_p99_within_1.1x_static",
					      co_p99 <= 1.1);
		}
		cJSON_AddItemToObject(j, "ratios", ratios);
		cJSON_AddItemToObject(j, "goals", goals);
		{
			cJSON *h = cJSON_CreateObject();

			cJSON_AddStringToObject(h, "cpus", cpus);
			cJSON_AddNumberToObject(h, "stalls_ge_1ms", gaps);
			cJSON_AddNumberToObject(h, "longest_us", gap_max);
			cJSON_AddNumberToObject(h, "samples_over_1ms", over);
			cJSON_AddNumberToObject(h, "samples_over_1ms_in_stalls",
						over_in);
			cJSON_AddStringToObject(h, "message", outer);
			cJSON_AddItemToObject(j, "outer_host", h);
		}
		cJSON_AddBoolToObject(j, "interrupted", interrupted != 0);
		{
			char *text = cJSON_PrintUnformatted(j);
			char *ans = NULL;

			/* The outer process prints it, once the host is
			 * restored (and says so in it). */
			if (text) {
				char *req = NULL;

				if (asprintf(&req, "result %s", text) > 0)
					ask_outer(w, req, &ans);
				free(req);
			}
			free(ans);
			free(text);
		}
		cJSON_Delete(j);
		return;
	}

	if (isatty(STDERR_FILENO))
		fprintf(stderr, "\r%-70s\r", "");
	printf("rtvm-demo on %s (%s, %d CPUs%s): %s, %s guest, "
	       "event every %u us\n", tool_escape(u.nodename, 0),
	       tool_escape(u.release, 1), w->nr_cpus,
	       nested ? ", nested VM" : "",
	       o->vm == DEMO_VM_THREAD ? "NO VM, stand-in vCPU thread" :
					 "KVM micro-VM",
	       o->guest == MICROVM_GUEST_POLL ? "polling" : "halting",
	       o->period_us);
	printf("RT CPU %s, housekeeping %s; load: %u CPU hogs%s\n\n",
	       tool_mask_str(w->rt, 0), tool_mask_str(w->hk, 1),
	       o->hogs * (unsigned int)w->nr_cpus,
	       o->io ? " + write/fsync I/O" : "");
	if (o->vm == DEMO_VM_THREAD)
		printf("%s.\n\n", standin_note);
	printf("%-28s %9s %9s %9s %9s %8s\n",
	       o->vm == DEMO_VM_THREAD ? "latency (us), no VM" :
					 "latency (us)", "p50", "p99",
	       "p99.9", "max", "samples");
	for (unsigned int i = 0; i < n; i++) {
		if (!res[i].done)
			continue;
		printf("%-28s %9.1f %9.1f %9.1f %9.1f %8zu\n",
		       res[i].def->title, res[i].p50, res[i].p99, res[i].p999,
		       res[i].max, res[i].n);
	}
	for (unsigned int i = 0; i < n; i++)
		if (res[i].done && res[i].note[0])
			printf("  note (%s): %s\n", res[i].def->name,
			       tool_escape(res[i].note, 0));
	printf("\n");
	if (idle && tuned && idle->p99 > 0)
		printf("tuned p99 / idle p99:     %5.2fx  (goal <= 1.5x: %s)\n",
		       tuned->p99 / idle->p99,
		       tuned->p99 <= 1.5 * idle->p99 ? "met" : "NOT met");
	if (load && tuned && tuned->p99 > 0)
		printf("untuned p99 / tuned p99:  %5.2fx  (goal >= 10x: %s)\n",
		       load->p99 / tuned->p99,
		       load->p99 >= 10 * tuned->p99 ? "met" : "NOT met");
	if (find(res, n, "cosched-static") || find(res, n, "cosched-boost") ||
	    find(res, n, "cosched-none")) {
		printf("\nco-scheduling: a guest with %d%% work of its own and "
		       "a hog, both on CPU %s (stand-in vCPU)\n",
		       COSCHED_WORK_PCT, tool_mask_str(w->rt, 0));
		printf("%-28s %12s %14s %14s\n", "", "hog units/s",
		       "guest units/s", "vCPU boosted");
		for (unsigned int i = 0; i < n; i++)
			if (res[i].done && (res[i].def->flags & T_COSCHED))
				printf("%-28s %12.0f %14.0f %13.1f%%\n",
				       res[i].def->title, res[i].hog_ups,
				       res[i].guest_ups,
				       res[i].window_s > 0 ?
					       res[i].boosted_ms / 10 /
						       res[i].window_s : 0);
	}
	if (co) {
		const struct result *b = find(res, n, "cosched-boost");

		printf("co-scheduling: %llu boosts armed %.0f us ahead, %llu "
		       "refused, latest start %.1f us late\n",
		       (unsigned long long)b->boosts, COSCHED_LEAD_NS / 1e3,
		       (unsigned long long)b->refused, b->start_late_max_us);
		printf("hog throughput, co-scheduling / static: %5.2fx  "
		       "(goal >= 2x: %s)\n", co_hog,
		       co_hog >= 2 ? "met" : "NOT met");
		printf("RT p99, co-scheduling / static:         %5.2fx  "
		       "(goal <= 1.1x: %s)\n", co_p99,
		       co_p99 <= 1.1 ? "met" : "NOT met");
	}
	if (outer[0])
		printf("outer host: %s.\n", tool_escape(outer, 0));
	else
		printf("outer host: the gap detectors on %s saw no stall of "
		       "1 ms or more.\n", cpus);
	if (!w->gd[0].fifo || !w->gd[1].fifo)
		printf("  (the gap detector could not get SCHED_FIFO: its "
		       "stalls include load)\n");
	for (unsigned int i = 0; i < n; i++)
		if (res[i].done)
			print_hist(&res[i]);
	if (o->plot) {
		int r = plot(o, res, n);

		if (r == -ENOENT)
			printf("\n(no gnuplot: install gnuplot-nox for %s)\n",
			       o->plot);
		else if (r < 0)
			printf("\n(gnuplot failed to write %s)\n", o->plot);
		else
			printf("\nhistogram image: %s\n", o->plot);
	}
	fflush(stdout);
}

static int inner_main(const struct opts *o)
{
	struct result res[MAX_MODES];
	struct world w = { .o = o, .fd = o->inner_fd };
	char path[PATH_MAX], pid[32];
	unsigned int done = 0;
	int r, hk_cpu;

	memset(res, 0, sizeof(res));
	fcntl(w.fd, F_SETFD, FD_CLOEXEC);
	w.in = fdopen(dup(w.fd), "r");
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	signal(SIGHUP, on_signal);
	signal(SIGPIPE, SIG_IGN);
	/* Join the scope before anything is started: every task of the
	 * demo world is in it, and only those are. */
	snprintf(path, sizeof(path), "%s%s/cgroup.procs", CPUSET_ROOT,
		 o->scope);
	snprintf(pid, sizeof(pid), "%d", getpid());
	r = spit(path, pid);
	if (r < 0) {
		tool_error("cannot join %s: %s", path, strerror(-r));
		return 1;
	}
	r = tool_new_ctx(NULL, o->verbose, &w.ctx);
	if (r < 0)
		return 1;
	w.nr_cpus = (int)sysconf(_SC_NPROCESSORS_ONLN);
	if (rtvm_cpumask_new(w.ctx, &w.rt) < 0)
		return 1;
	rtvm_cpumask_set(w.rt, (unsigned int)(o->rt_cpu));
	if (o->housekeeping) {
		if (tool_parse_cpus(w.ctx, "--housekeeping", o->housekeeping,
				    &w.hk) < 0)
			return 1;
	} else {
		if (rtvm_cpumask_new(w.ctx, &w.hk) < 0)
			return 1;
		for (int c = 0; c < w.nr_cpus; c++)
			if (c != o->rt_cpu)
				rtvm_cpumask_set(w.hk, (unsigned int)c);
	}
	hk_cpu = rtvm_cpumask_next(w.hk, -1);
	r = gapdet_start(&w.gd[0], o->rt_cpu);
	if (r == 0)
		r = gapdet_start(&w.gd[1], hk_cpu);
	if (r < 0) {
		tool_error("cannot start the gap detectors: %s", strerror(-r));
		return 1;
	}
	for (unsigned int i = 0; i < o->nr_modes && !interrupted; i++) {
		r = run_mode(&w, i, &res[i]);
		if (r < 0)
			break;
		done = i + 1;
	}
	gapdet_stop(&w.gd[0]);
	gapdet_stop(&w.gd[1]);
	if (isatty(STDERR_FILENO) && !o->json)
		fputc('\n', stderr);
	report(&w, res, done);
	for (unsigned int i = 0; i < MAX_MODES; i++)
		cJSON_Delete(res[i].tuning);
	free(w.gd[0].gaps);
	free(w.gd[1].gaps);
	rtvm_cpumask_free(w.rt);
	rtvm_cpumask_free(w.hk);
	rtvm_unref(w.ctx);
	if (w.in)
		fclose(w.in);
	if (interrupted)
		return 130;
	return r < 0 ? 1 : 0;
}

/* ---- the outer side: host-wide settings and the state file ----------- */

struct outer {
	const struct opts *o;
	struct rtvm_ctx *ctx;
	struct rtvm_cpumask *rt, *hk;
	char scope[64], scope_dir[PATH_MAX];
	struct rtvm_changeset *cs;	/* host-wide records, applied */
	struct rtvm_pm_qos *hold;
	cJSON *pending;			/* IRQ affinities about to change */
	cJSON *pending_cs;		/* other values about to change, as
					 * change records (changeset JSON) */
	unsigned int restored;		/* records undone so far */
};

static int o_rt_cpu(const struct outer *st)
{
	return rtvm_cpumask_next(st->rt, -1);
}

/* The state file: what a crashed run leaves to undo. */
static int save_state(struct outer *st)
{
	cJSON *j = cJSON_CreateObject();
	char *text = NULL, *cs = NULL;
	int r;

	cJSON_AddNumberToObject(j, "version", 1);
	cJSON_AddNumberToObject(j, "pid", getpid());
	cJSON_AddStringToObject(j, "scope", st->scope_dir);
	if (rtvm_changeset_to_json(st->cs, &cs) == 0)
		cJSON_AddItemToObject(j, "changes", cJSON_Parse(cs));
	free(cs);
	cs = NULL;
	if (st->hold &&
	    rtvm_changeset_to_json(rtvm_pm_qos_get_changes(st->hold), &cs) == 0)
		cJSON_AddItemToObject(j, "pm_qos", cJSON_Parse(cs));
	free(cs);
	if (st->pending)
		cJSON_AddItemToObject(j, "pending_irqs",
				      cJSON_Duplicate(st->pending, true));
	if (st->pending_cs)
		cJSON_AddItemToObject(j, "pending_changes",
				      cJSON_Duplicate(st->pending_cs, true));
	text = cJSON_Print(j);
	cJSON_Delete(j);
	if (!text)
		return -ENOMEM;
	r = write_state_file(st->o->state, text);
	free(text);
	if (r < 0)
		tool_error("cannot write the state file %s: %s", st->o->state,
			   strerror(-r));
	return r;
}

static cJSON *irq_summary(const struct rtvm_irq_report *rep)
{
	cJSON *j = cJSON_CreateObject();

	cJSON_AddNumberToObject(j, "moved",
				(double)rtvm_irq_report_tally(rep,
							      RTVM_IRQ_MOVED));
	cJSON_AddNumberToObject(j, "unchanged",
				(double)rtvm_irq_report_tally(
					rep, RTVM_IRQ_UNCHANGED));
	cJSON_AddNumberToObject(j, "failed",
				(double)rtvm_irq_report_tally(rep,
							      RTVM_IRQ_FAILED));
	return j;
}

static void add_note(cJSON *ans, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static void add_note(cJSON *ans, const char *fmt, ...)
{
	cJSON *old = cJSON_GetObjectItem(ans, "note");
	char buf[256], *s = NULL;
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	if (old && asprintf(&s, "%s; %s", old->valuestring, buf) > 0) {
		cJSON_ReplaceItemInObject(ans, "note", cJSON_CreateString(s));
		free(s);
	} else {
		cJSON_AddStringToObject(ans, "note", buf);
	}
}

static void pending_add(struct outer *st, const char *kind,
			const char *target, const char *old);
static void pending_clear(struct outer *st);

static void apply_irq(struct outer *st, cJSON *ans)
{
	struct rtvm_irq_steer req = {
		.size = sizeof(req),
		.flags = RTVM_IRQ_STEER_DEFAULT_AFFINITY |
			 RTVM_IRQ_STEER_DRY_RUN,
		.away_from = st->rt, .housekeeping = st->hk,
	};
	struct rtvm_irq_report *rep = NULL;
	struct rtvm_changeset *cs = NULL;
	int r;

	/* First what would move, with the affinity before: saved, so that
	 * a crash in the middle of the writes is undone too. */
	r = rtvm_irq_steer(st->ctx, &req, NULL, &rep);
	if (r < 0) {
		add_note(ans, "IRQ steering: %s", strerror(-r));
		return;
	}
	cJSON_Delete(st->pending);
	st->pending = cJSON_CreateArray();
	for (size_t i = 0; i < rtvm_irq_report_count(rep); i++) {
		const struct rtvm_irq_move *m = rtvm_irq_report_get(rep, i);
		cJSON *e;

		if (!m || m->status != RTVM_IRQ_MOVED)
			continue;
		e = cJSON_CreateObject();
		cJSON_AddNumberToObject(e, "irq", m->irq);
		cJSON_AddStringToObject(e, "before", tool_mask_str(m->before,
								   0));
		cJSON_AddItemToArray(st->pending, e);
	}
	{
		const struct rtvm_cpumask *before = NULL, *after = NULL;
		char *hex = NULL;

		if (rtvm_irq_report_get_default_affinity(rep, &before,
							 &after) == 0 &&
		    before && after && !rtvm_cpumask_equal(before, after) &&
		    rtvm_cpumask_format_hex(before, &hex) == 0)
			pending_add(st, "file", "/proc/irq/default_smp_affinity",
				    hex);
		free(hex);
	}
	rtvm_irq_report_free(rep);
	rep = NULL;
	if (save_state(st) < 0) {
		pending_clear(st);
		add_note(ans, "IRQ steering skipped: no state file");
		return;
	}
	req.flags &= ~RTVM_IRQ_STEER_DRY_RUN;
	r = rtvm_changeset_new(st->ctx, &cs);
	if (r == 0)
		r = rtvm_irq_steer(st->ctx, &req, cs, &rep);
	if (r == 0 || cs)
		rtvm_changeset_append(st->cs, cs);
	rtvm_changeset_unref(cs);
	cJSON_Delete(st->pending);
	st->pending = NULL;
	pending_clear(st);
	save_state(st);
	if (r < 0) {
		add_note(ans, "IRQ steering: %s", strerror(-r));
		return;
	}
	cJSON_AddItemToObject(ans, "irqs", irq_summary(rep));
	if (rtvm_irq_report_tally(rep, RTVM_IRQ_FAILED))
		add_note(ans, "%zu IRQ(s) could not leave the RT CPU "
			      "(managed or unmovable)",
			 rtvm_irq_report_tally(rep, RTVM_IRQ_FAILED));
	rtvm_irq_report_free(rep);
}

/* A change record, in the changeset JSON form, of a value about to be
 * written: undoing it writes the value it has now (harmless if the write
 * never happened). */
static void pending_add(struct outer *st, const char *kind,
			const char *target, const char *old)
{
	cJSON *c = cJSON_CreateObject();

	if (!st->pending_cs) {
		st->pending_cs = cJSON_CreateObject();
		cJSON_AddNumberToObject(st->pending_cs, "version", 1);
		cJSON_AddItemToObject(st->pending_cs, "changes",
				      cJSON_CreateArray());
	}
	cJSON_AddStringToObject(c, "kind", kind);
	cJSON_AddStringToObject(c, "target", target);
	cJSON_AddStringToObject(c, "old", old);
	cJSON_AddItemToArray(cJSON_GetObjectItem(st->pending_cs, "changes"), c);
}

static void pending_clear(struct outer *st)
{
	cJSON_Delete(st->pending_cs);
	st->pending_cs = NULL;
}

/* The RT CPU's kernel threads that rtvm_kthreads_apply()'s rt-host
 * profile may change, with their scheduling now. */
static void pending_kthreads(struct outer *st)
{
	static const char *const prefixes[] = { "ksoftirqd/", "ktimers/",
						"rcuc/", "rcub/" };
	static const char *const names[] = { "other", "fifo", "rr", "batch",
					     "", "idle" };
	const struct rtvm_thread *t;
	struct rtvm_host *host;

	if (rtvm_host_new(st->ctx, RTVM_HOST_THREADS, &host) < 0)
		return;
	rtvm_host_foreach_thread(t, host) {
		const char *comm = rtvm_thread_get_comm(t);
		int policy = rtvm_thread_get_policy(t), nice = 0;
		char target[64], old[64];

		if (!rtvm_thread_is_kthread(t) || !comm || policy < 0 ||
		    policy > 5 || !names[policy][0])
			continue;
		for (size_t i = 0; i < 4; i++) {
			size_t len = strlen(prefixes[i]);

			if (strncmp(comm, prefixes[i], len) != 0 ||
			    atoi(comm + len) != o_rt_cpu(st))
				continue;
			rtvm_thread_get_nice(t, &nice);
			snprintf(target, sizeof(target), "%d/%d@%llu",
				 rtvm_thread_get_pid(t), rtvm_thread_get_tid(t),
				 rtvm_thread_get_start_time(t));
			snprintf(old, sizeof(old), "%s:%d:%d", names[policy],
				 rtvm_thread_get_rt_priority(t), nice);
			pending_add(st, "thread_sched", target, old);
		}
	}
	rtvm_host_unref(host);
}

static void pending_pm_qos(struct outer *st)
{
	char path[128], *old;

	snprintf(path, sizeof(path), "/sys/devices/system/cpu/cpu%d/power/"
		 "pm_qos_resume_latency_us", o_rt_cpu(st));
	old = demo_slurp(path);
	if (!old)
		return;
	old[strcspn(old, "\n")] = '\0';
	pending_add(st, "file", path, old);
	free(old);
}

static void apply_global(struct outer *st, const char *what, cJSON *ans)
{
	struct rtvm_changeset *cs = NULL;
	int r;

	if (strstr(what, " irq"))
		apply_irq(st, ans);
	if (strstr(what, " kthreads")) {
		/* Saved first, so that a crash in the middle is undone. */
		pending_kthreads(st);
		if (save_state(st) < 0) {
			pending_clear(st);
			add_note(ans, "kernel threads skipped: no state file");
			goto pmqos;
		}
		r = rtvm_changeset_new(st->ctx, &cs);
		if (r == 0)
			r = rtvm_kthreads_apply(st->ctx, st->rt, NULL, cs);
		cJSON_AddNumberToObject(ans, "kthreads_changed",
					rtvm_changeset_get_count(cs));
		rtvm_changeset_append(st->cs, cs);
		rtvm_changeset_unref(cs);
		pending_clear(st);
		save_state(st);
		if (r < 0)
			add_note(ans, "kernel threads: %s", strerror(-r));
	}
pmqos:
	if (strstr(what, " pmqos")) {
		pending_pm_qos(st);
		if (save_state(st) < 0) {
			pending_clear(st);
			add_note(ans, "PM QoS skipped: no state file");
			return;
		}
		r = rtvm_pm_qos_hold(st->ctx, st->rt, 0, &st->hold);
		pending_clear(st);
		save_state(st);
		if (r < 0)
			add_note(ans, "PM QoS: %s", strerror(-r));
		else
			cJSON_AddStringToObject(ans, "pm_qos",
						"resume latency 0 us");
	}
}

static int revert_global(struct outer *st)
{
	int r;

	st->restored += rtvm_changeset_get_count(st->cs);
	if (st->hold)
		st->restored += rtvm_changeset_get_count(
			rtvm_pm_qos_get_changes(st->hold));
	st->hold = rtvm_pm_qos_release(st->hold);
	r = rtvm_changeset_restore(st->cs, 0);
	rtvm_changeset_unref(st->cs);
	st->cs = NULL;
	if (rtvm_changeset_new(st->ctx, &st->cs) < 0)
		return -ENOMEM;
	if (r < 0)
		tool_error("restoring host settings: %s", strerror(-r));
	save_state(st);
	return r;
}

static int make_scope(struct outer *st)
{
	char path[PATH_MAX + 32], *cpus, *mems;
	int r;

	if (access(CPUSET_ROOT "/cpuset.cpus", F_OK) != 0) {
		tool_error("no cgroup v1 cpuset hierarchy at " CPUSET_ROOT
			   ": the demo needs one for its scoped shield");
		return -ENODEV;
	}
	snprintf(st->scope, sizeof(st->scope), "/rtvm-demo-%d", getpid());
	snprintf(st->scope_dir, sizeof(st->scope_dir), "%s%s", CPUSET_ROOT,
		 st->scope);
	if (mkdir(st->scope_dir, 0755) < 0) {
		r = -errno;
		tool_error("cannot make %s: %s", st->scope_dir, strerror(-r));
		st->scope_dir[0] = '\0';
		return r;
	}
	cpus = demo_slurp(CPUSET_ROOT "/cpuset.effective_cpus");
	mems = demo_slurp(CPUSET_ROOT "/cpuset.effective_mems");
	snprintf(path, sizeof(path), "%s/cpuset.cpus", st->scope_dir);
	r = cpus ? spit(path, cpus) : -EIO;
	snprintf(path, sizeof(path), "%s/cpuset.mems", st->scope_dir);
	if (r == 0)
		r = mems ? spit(path, mems) : -EIO;
	free(cpus);
	free(mems);
	if (r < 0)
		tool_error("cannot set up %s: %s", st->scope_dir, strerror(-r));
	return r;
}

/* The vCPU the demo runs: DEMO_VM_KVM, or DEMO_VM_THREAD (asked for, or
 * auto where /dev/kvm is missing, which is said), or -errno (said). */
static int pick_vm(int want)
{
	int fd, e;

	if (want == DEMO_VM_THREAD)
		return DEMO_VM_THREAD;
	fd = open("/dev/kvm", O_RDWR | O_CLOEXEC);
	e = errno;
	if (fd >= 0) {
		close(fd);
		return DEMO_VM_KVM;
	}
	if ((e == ENOENT || e == ENODEV || e == ENXIO) && want == DEMO_VM_AUTO) {
		fprintf(stderr, "%s: /dev/kvm is missing, so the guest runs "
			"on a stand-in vCPU thread: no VM (--vm kvm insists "
			"on one)\n", program_name);
		return DEMO_VM_THREAD;
	}
	if (e == ENOENT || e == ENODEV || e == ENXIO)
		tool_error("/dev/kvm is missing: this machine has no KVM (load "
			   "kvm_intel or kvm_amd; in a VM, enable nested "
			   "virtualization; --vm thread runs without it)");
	else if (e == EACCES || e == EPERM)
		tool_error("access to /dev/kvm denied: run as root (the demo "
			   "also changes host settings)");
	else
		tool_error("cannot open /dev/kvm: %s", strerror(e));
	return -e;
}

static void dry_run(const struct opts *o, struct outer *st, int vm)
{
	printf("rtvm-demo --dry-run: nothing is changed.  RT CPU %s, "
	       "housekeeping %s, %s\n", tool_mask_str(st->rt, 0),
	       tool_mask_str(st->hk, 1),
	       vm == DEMO_VM_THREAD ? "no VM (stand-in vCPU thread)" :
				      "KVM micro-VM");
	for (unsigned int i = 0; i < o->nr_modes; i++) {
		unsigned int f = o->modes[i]->flags;

		printf("%u. %s (%.1f s):%s%s%s%s%s%s%s\n", i + 1,
		       o->modes[i]->title, o->duration,
		       f & T_LOAD ? " load;" : " no load;",
		       f & T_SHIELD ? " shield the RT CPU (demo cgroup only);"
				    : "",
		       f & T_IRQ ? " movable IRQs to housekeeping;" : "",
		       f & T_PRIO ? " vCPU SCHED_FIFO 1 pinned;" : "",
		       f & T_KTHREADS ? " kernel-thread priorities;" : "",
		       f & T_PMQOS ? " PM QoS 0 us on the RT CPU;" : "",
		       f & ~T_LOAD ? "" : " no tuning");
		if (f & T_COSCHED)
			printf("   a hog pinned to the RT CPU; the stand-in vCPU "
			       "pinned there%s\n", f & T_BOOST ?
			       ", boosted through a boost broker ahead of each "
			       "event" : "");
	}
	if (o->nr_modes) {
		struct rtvm_irq_steer req = {
			.size = sizeof(req),
			.flags = RTVM_IRQ_STEER_DEFAULT_AFFINITY |
				 RTVM_IRQ_STEER_DRY_RUN,
			.away_from = st->rt, .housekeeping = st->hk,
		};
		struct rtvm_irq_report *rep = NULL;

		if (rtvm_irq_steer(st->ctx, &req, NULL, &rep) == 0) {
			printf("IRQ steering would move %zu IRQ(s):",
			       rtvm_irq_report_tally(rep, RTVM_IRQ_MOVED));
			for (size_t i = 0; i < rtvm_irq_report_count(rep); i++) {
				const struct rtvm_irq_move *m =
					rtvm_irq_report_get(rep, i);

				if (m && m->status == RTVM_IRQ_MOVED)
					printf(" %u (%s -> %s)", m->irq,
					       tool_mask_str(m->before, 0),
					       tool_mask_str(m->wanted, 1));
			}
			printf("\n");
		}
		rtvm_irq_report_free(rep);
	}
	printf("state file: %s\n", o->state);
}

/* Runs the world, serves its requests; returns its exit status. */
static int serve(struct outer *st, int sock, pid_t child)
{
	FILE *in = fdopen(dup(sock), "r");
	char *line = NULL, *result = NULL;
	size_t size = 0;
	bool killed = false;
	int status = 0;
	uint64_t deadline = 0;

	for (;;) {
		struct pollfd p = { .fd = sock, .events = POLLIN };
		int n;

		if (interrupted && !killed) {
			/* unshare --kill-child passes SIGTERM on to the
			 * world, which undoes its part and exits. */
			kill(child, SIGKILL);
			killed = true;
			deadline = now_ns() + 10000000000ull;
		}
		if (killed && now_ns() > deadline)
			break;
		n = poll(&p, 1, 200);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			continue;
		if (getline(&line, &size, in) < 0)
			break; /* EOF: every task of the world is gone */
		line[strcspn(line, "\n")] = '\0';
		if (strncmp(line, "apply", 5) == 0) {
			cJSON *ans = cJSON_CreateObject();
			char *text;

			apply_global(st, line + 5, ans);
			text = cJSON_PrintUnformatted(ans);
			dprintf(sock, "ok %s\n", text ? text : "{}");
			free(text);
			cJSON_Delete(ans);
		} else if (strcmp(line, "revert") == 0) {
			int r = revert_global(st);

			dprintf(sock, "%s %s\n", r < 0 ? "err" : "ok",
				r < 0 ? strerror(-r) : "");
		} else if (strncmp(line, "result ", 7) == 0) {
			free(result);
			result = strdup(line + 7);
			dprintf(sock, "ok\n");
		} else {
			dprintf(sock, "err unknown request\n");
		}
	}
	free(line);
	fclose(in);
	while (waitpid(child, &status, 0) < 0 && errno == EINTR)
		;
	/* The host, whatever happened. */
	revert_global(st);
	demo_remove_scope(st->scope_dir);
	if (access(st->scope_dir, F_OK) != 0)
		unlink(st->o->state);
	if (result) {
		cJSON *j = cJSON_Parse(result);

		if (j) {
			cJSON_AddBoolToObject(j, "host_restored",
					      access(st->o->state, F_OK) != 0);
			cJSON_AddNumberToObject(j, "host_changes_undone",
						st->restored);
			tool_print_json(j, true);
			cJSON_Delete(j);
		}
		free(result);
	}
	if (interrupted)
		return interrupted == SIGALRM ? 1 : 130;
	return WIFEXITED(status) ? WEXITSTATUS(status) : 1;
}

static int outer_run(int argc, char **argv, const struct opts *o,
		     struct outer *st)
{
	char self[PATH_MAX], fdarg[16];
	int sv[2], status, r, nr_cpus, vm;
	ssize_t len;
	pid_t child;
	char **args;

	if (geteuid() != 0) {
		tool_error("needs root: the demo makes a PID namespace and "
			   "tunes the host (and puts it back)");
		return 1;
	}
	vm = pick_vm(o->vm);
	if (vm < 0)
		return 1;
	r = tool_new_ctx(NULL, o->verbose, &st->ctx);
	if (r < 0)
		return 1;
	nr_cpus = (int)sysconf(_SC_NPROCESSORS_ONLN);
	if (nr_cpus < 2) {
		tool_error("needs at least 2 online CPUs (an RT CPU and a "
			   "housekeeping CPU)");
		return 1;
	}
	if (o->rt_cpu >= nr_cpus) {
		tool_error("--rt-cpu: CPU %d is not online (CPUs 0-%d)",
			   o->rt_cpu, nr_cpus - 1);
		return 64;
	}
	if (rtvm_cpumask_new(st->ctx, &st->rt) < 0)
		return 1;
	rtvm_cpumask_set(st->rt, (unsigned int)o->rt_cpu);
	if (o->housekeeping) {
		if (tool_parse_cpus(st->ctx, "--housekeeping", o->housekeeping,
				    &st->hk) < 0)
			return 64;
		if (rtvm_cpumask_test(st->hk, (unsigned int)o->rt_cpu)) {
			tool_error("--housekeeping: \"%s\" holds the RT CPU %d",
				   o->housekeeping, o->rt_cpu);
			return 64;
		}
	} else {
		if (rtvm_cpumask_new(st->ctx, &st->hk) < 0)
			return 1;
		for (int c = 0; c < nr_cpus; c++)
			if (c != o->rt_cpu)
				rtvm_cpumask_set(st->hk, (unsigned int)c);
	}
	if (o->dry_run) {
		dry_run(o, st, vm);
		return 0;
	}
	r = demo_recover(st->ctx, o->state, false);
	if (r < 0)
		return 1;
	if (rtvm_changeset_new(st->ctx, &st->cs) < 0)
		return 1;
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	signal(SIGHUP, on_signal);
	signal(SIGPIPE, SIG_IGN);
	/* The scope is recorded before it exists: a crash right after
	 * mkdir still finds it. */
	snprintf(st->scope_dir, sizeof(st->scope_dir), "%s/rtvm-demo-%d",
		 CPUSET_ROOT, getpid());
	if (save_state(st) < 0)
		return 1;
	if (make_scope(st) < 0) {
		demo_remove_scope(st->scope_dir);
		unlink(o->state);
		return 1;
	}
	len = readlink("/proc/self/exe", self, sizeof(self) - 1);
	if (len <= 0 || socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0,
				   sv) < 0) {
		tool_error("cannot set up the demo world: %s", strerror(errno));
		demo_remove_scope(st->scope_dir);
		unlink(o->state);
		return 1;
	}
	self[len] = '\0';
	snprintf(fdarg, sizeof(fdarg), "%d", sv[1]);
	args = calloc((size_t)argc + 12, sizeof(*args));
	if (!args)
		return 1;
	{
		int k = 0;

		args[k++] = "unshare";
		args[k++] = "--pid";
		args[k++] = "--mount-proc";
		args[k++] = "--kill-child=SIGTERM";
		args[k++] = self;
		args[k++] = "--inner";
		args[k++] = fdarg;
		args[k++] = "--scope";
		args[k++] = st->scope;
		for (int i = 1; i < argc; i++)
			args[k++] = argv[i];
		/* Last: it wins over the user's --vm auto. */
		args[k++] = "--vm";
		args[k++] = vm == DEMO_VM_THREAD ? "thread" : "kvm";
		args[k] = NULL;
	}
	child = fork();
	if (child < 0) {
		tool_error("fork: %s", strerror(errno));
		return 1;
	}
	if (child == 0) {
		close(sv[0]);
		fcntl(sv[1], F_SETFD, 0); /* passed on to the world */
		/* If this process dies, unshare does, and --kill-child
		 * ends the world: nothing runs tuned unattended. */
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		if (getppid() == 1)
			_exit(1);
		signal(SIGINT, SIG_DFL);
		signal(SIGTERM, SIG_DFL);
		signal(SIGHUP, SIG_DFL);
		execvp("unshare", args);
		fprintf(stderr, "%s: cannot run unshare (util-linux): %s\n",
			program_name, strerror(errno));
		_exit(127);
	}
	free(args);
	close(sv[1]);
	/* A watchdog: a run that overruns its modes by far (a starved vCPU,
	 * a stuck step) stops and restores the host instead of going on. */
	signal(SIGALRM, on_signal);
	alarm(60 + (unsigned int)(o->nr_modes * (o->duration + 5)));
	status = serve(st, sv[0], child);
	alarm(0);
	close(sv[0]);
	if (interrupted == SIGALRM)
		tool_error("the demo overran its %u mode(s) by more than a "
			   "minute: stopped", o->nr_modes);
	if (!o->json)
		printf("host restored: %u recorded host setting(s) put back, "
		       "demo cgroup removed%s\n", st->restored,
		       access(o->state, F_OK) == 0 ?
			       "; NOT all: the state file remains" : "");
	if (access(o->state, F_OK) == 0)
		status = status ? status : 1;
	return status;
}

static int outer_main(int argc, char **argv, const struct opts *o)
{
	struct outer st = { .o = o };
	int status = outer_run(argc, argv, o, &st);

	rtvm_changeset_unref(st.cs);
	rtvm_cpumask_free(st.rt);
	rtvm_cpumask_free(st.hk);
	rtvm_unref(st.ctx);
	return status;
}

int main(int argc, char **argv)
{
	struct opts o;

	if (parse_args(argc, argv, &o) < 0)
		return EXIT_USAGE;
	if (o.rt_cpu < 0) {
		long n = sysconf(_SC_NPROCESSORS_ONLN);

		o.rt_cpu = n > 1 ? (int)n - 1 : 0;
	}
	if (o.inner_fd >= 0) {
		if (!o.scope)
			return EXIT_USAGE;
		return inner_main(&o);
	}
	return outer_main(argc, argv, &o);
}
