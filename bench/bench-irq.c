/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * bench-irq: steer IRQs off the last CPU, librtvm vs tuna, side by side in
 * one run.
 *
 *   librtvm      rtvm_irq_steer() in this process (context made once),
 *                every change recorded in a changeset
 *   rtvm-irq     the tool: `rtvm-irq steer --away-from LAST --no-default
 *                --save FILE`, started with posix_spawn
 *   tuna         `tuna --irqs=* --cpus 0 --move`, the same way
 *   floor        one write per smp_affinity_list, the IRQs known
 *                beforehand (floor_steer)
 *   floor+read   the same with the old value read first, as a steer
 *                that records what it changes must
 *
 * Two scenes:
 *
 *   fixture  N IRQs (default 1,000) in files shaped like /proc/irq and
 *            /proc/interrupts, with this machine's CPU count.  librtvm
 *            reads them as a sysroot; for the two processes the files are
 *            bind-mounted over /proc/irq and /proc/interrupts in the
 *            benchmark's private mount namespace, so both tools do the
 *            same reads and writes.  Then librtvm alone at N/8..2N, to show
 *            the cost per IRQ stays flat (linear in N).
 *   real     this machine's own IRQs.  Every affinity (and
 *            default_smp_affinity) is snapshotted first and written back
 *            after every round, at the end, and on SIGINT/SIGTERM/SIGHUP.
 *
 * Run it through bench/run-bench.sh (root, a private PID namespace with its
 * own /proc and mount namespace): tuna then sees only the benchmark's own
 * processes, and the bind mounts stay private.  Without that, only the
 * librtvm rows of the fixture scene run.
 *
 * Figures only: median, p99, max, and ratios of medians.  Exit status 0
 * when the measurements ran, 1 on a setup error, 2 on bad usage.
 */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <rtvm/rtvm.h>

#include "bench-util.h"

#define FIRST_IRQ 100
#define MAX_SNAP 4096

struct series {
	const char *name;
	double *ms;
	unsigned int n;
	double median, p99, max;
};

static void stats(struct series *s)
{
	struct bench_stats st;

	if (bench_stats(s->ms, s->n, &st) == 0) {
		s->median = st.median;
		s->p99 = st.p99;
		s->max = st.max;
	}
}

static void add(struct series *s, double ms)
{
	s->ms[s->n++] = ms;
}

static void print_table(const char *title, struct series *s, int n,
			unsigned int irqs)
{
	printf("\n%s\n", title);
	printf("%-10s %5s %11s %11s %11s %12s %10s\n", "method", "runs",
	       "median ms", "p99 ms", "max ms", "us per IRQ", "vs librtvm");
	for (int i = 0; i < n; i++) {
		stats(&s[i]);
		if (!s[i].n) {
			printf("%-10s %5s (not run)\n", s[i].name, "-");
			continue;
		}
		printf("%-10s %5u %11.3f %11.3f %11.3f %12.2f %9.1fx\n",
		       s[i].name, s[i].n, s[i].median, s[i].p99, s[i].max,
		       s[i].median * 1e3 / irqs,
		       s[0].n && s[0].median > 0 ? s[i].median / s[0].median : 0);
	}
}

/* librtvm against its floor and its peer, for the goals of the issue. */
static void print_ratios(struct series *s, unsigned int irqs)
{
	if (!s[0].n || s[0].median <= 0)
		return;
	printf("ratios of medians at %u IRQs (figures, not a verdict):\n", irqs);
	if (s[3].n && s[3].median > 0)
		printf("  librtvm/floor = %.2fx (goal <= 2x)\n",
		       s[0].median / s[3].median);
	if (s[4].n && s[4].median > 0)
		printf("  librtvm/floor+read = %.2fx (the floor of an undoable "
		       "steer: the old value read too)\n",
		       s[0].median / s[4].median);
	if (s[2].n)
		printf("  tuna/librtvm  = %.2fx (goal >= 10x)\n",
		       s[2].median / s[0].median);
}

/* ---- files ------------------------------------------------------------ */

static int put(const char *dir, const char *rel, const char *text)
{
	char path[4096];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, rel);
	f = fopen(path, "w");
	if (!f || fputs(text, f) < 0 || fclose(f) != 0) {
		fprintf(stderr, "bench-irq: cannot write %s: %s\n", path,
			strerror(errno));
		return -1;
	}
	return 0;
}

static int mkdirs(const char *dir, const char *rel)
{
	char path[4096];

	snprintf(path, sizeof(path), "%s/%s", dir, rel);
	for (char *p = path + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(path, 0755) < 0 && errno != EEXIST)
			return -1;
		*p = '/';
	}
	return mkdir(path, 0755) < 0 && errno != EEXIST ? -1 : 0;
}

static void all_cpus(unsigned int ncpu, char *list, size_t ls, char *hex,
		     size_t hs)
{
	if (ncpu == 1)
		snprintf(list, ls, "0");
	else
		snprintf(list, ls, "0-%u", ncpu - 1);
	/* up to 32 CPUs: one hex word is enough for this benchmark */
	snprintf(hex, hs, "%x", ncpu >= 32 ? 0xffffffffu : (1u << ncpu) - 1);
}

/* Every IRQ back on all CPUs (untimed, between runs). */
static int reset_fixture(const char *dir, unsigned int nirq, unsigned int ncpu)
{
	char list[64], hex[64], rel[128];

	all_cpus(ncpu, list, sizeof(list), hex, sizeof(hex));
	for (unsigned int i = 0; i < nirq; i++) {
		unsigned int irq = FIRST_IRQ + i;

		snprintf(rel, sizeof(rel), "proc/irq/%u/smp_affinity_list", irq);
		if (put(dir, rel, list) < 0)
			return -1;
		snprintf(rel, sizeof(rel), "proc/irq/%u/smp_affinity", irq);
		if (put(dir, rel, hex) < 0)
			return -1;
	}
	return 0;
}

/* A sysroot with @nirq MSI-X IRQs of one NIC on @ncpu CPUs. */
static int make_fixture(const char *dir, unsigned int nirq, unsigned int ncpu)
{
	char list[64], hex[64], rel[128], eff[16];
	FILE *f;
	char path[4096];

	all_cpus(ncpu, list, sizeof(list), hex, sizeof(hex));
	if (mkdirs(dir, "proc/irq") < 0 ||
	    mkdirs(dir, "sys/devices/system/cpu") < 0)
		return -1;
	if (put(dir, "sys/devices/system/cpu/online", list) < 0 ||
	    put(dir, "sys/devices/system/cpu/possible", list) < 0 ||
	    put(dir, "sys/devices/system/cpu/present", list) < 0 ||
	    put(dir, "proc/irq/default_smp_affinity", hex) < 0)
		return -1;
	snprintf(path, sizeof(path), "%s/proc/interrupts", dir);
	f = fopen(path, "w");
	if (!f)
		return -1;
	fprintf(f, "     ");
	for (unsigned int c = 0; c < ncpu; c++)
		fprintf(f, "      CPU%-4u", c);
	fputc('\n', f);
	for (unsigned int i = 0; i < nirq; i++) {
		unsigned int irq = FIRST_IRQ + i;

		fprintf(f, "%4u:", irq);
		for (unsigned int c = 0; c < ncpu; c++)
			fprintf(f, " %10u", c == i % ncpu ? 1000 + i : 0);
		fprintf(f, "  PCI-MSIX-0000:01:00.0 %u-edge      eth0-TxRx-%u\n",
			524288 + i, i);
		snprintf(rel, sizeof(rel), "proc/irq/%u/eth0-TxRx-%u", irq, i);
		if (mkdirs(dir, rel) < 0)
			break;
		snprintf(rel, sizeof(rel), "proc/irq/%u/effective_affinity_list",
			 irq);
		snprintf(eff, sizeof(eff), "%u", i % ncpu);
		if (put(dir, rel, eff) < 0)
			break;
		snprintf(rel, sizeof(rel), "proc/irq/%u/node", irq);
		if (put(dir, rel, "0") < 0)
			break;
	}
	fprintf(f, "LOC:");
	for (unsigned int c = 0; c < ncpu; c++)
		fprintf(f, " %10u", 5000 + c);
	fprintf(f, "   Local timer interrupts\n");
	if (fclose(f) != 0)
		return -1;
	return reset_fixture(dir, nirq, ncpu);
}

/* ---- processes ------------------------------------------------------- */

/* Run argv to completion, output to /dev/null; its wall time in ms, or a
 * negative value when it could not run or failed. */
static double run(char *const argv[])
{
	int devnull = open("/dev/null", O_WRONLY | O_CLOEXEC), st;
	double t0;

	if (devnull < 0)
		return -1;
	t0 = bench_now_ms();
	st = bench_spawn_wait(argv, devnull, devnull);
	t0 = bench_now_ms() - t0;
	close(devnull);
	return st == 0 ? t0 : -1;
}

/* ---- the real IRQs: snapshot and put back ---------------------------- */

struct saved {
	char path[300];
	char value[256];
};

static struct saved snap[MAX_SNAP];
static size_t nsnap;

static int read_text(const char *path, char *buf, size_t size)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return -1;
	n = read(fd, buf, size - 1);
	close(fd);
	if (n < 0)
		return -1;
	while (n > 0 && buf[n - 1] == '\n')
		n--;
	buf[n] = '\0';
	return 0;
}

static void take_snapshot(void)
{
	struct dirent *de;
	DIR *d = opendir("/proc/irq");

	nsnap = 0;
	while (d && (de = readdir(d)) && nsnap < MAX_SNAP - 1) {
		if (de->d_name[0] < '0' || de->d_name[0] > '9')
			continue;
		snprintf(snap[nsnap].path, sizeof(snap[nsnap].path),
			 "/proc/irq/%s/smp_affinity_list", de->d_name);
		if (read_text(snap[nsnap].path, snap[nsnap].value,
			      sizeof(snap[nsnap].value)) == 0)
			nsnap++;
	}
	if (d)
		closedir(d);
	snprintf(snap[nsnap].path, sizeof(snap[nsnap].path),
		 "/proc/irq/default_smp_affinity");
	if (read_text(snap[nsnap].path, snap[nsnap].value,
		      sizeof(snap[nsnap].value)) == 0)
		nsnap++;
}

/* open/read/write/close only: also run from a signal handler. */
static unsigned int put_back(void)
{
	unsigned int n = 0;

	for (size_t i = 0; i < nsnap; i++) {
		char now[256];
		int fd;

		if (read_text(snap[i].path, now, sizeof(now)) < 0 ||
		    strcmp(now, snap[i].value) == 0)
			continue;
		fd = open(snap[i].path, O_WRONLY | O_CLOEXEC);
		if (fd >= 0) {
			if (write(fd, snap[i].value, strlen(snap[i].value)) > 0)
				n++;
			close(fd);
		}
	}
	return n;
}

static void on_signal(int sig)
{
	put_back();
	signal(sig, SIG_DFL);
	raise(sig);
}

/* ---- the runs ---------------------------------------------------------- */

struct env {
	unsigned int ncpu, runs;
	const char *tool, *tuna;
	bool private_ns;
	char last[16];
	char *state;
};

static double lib_steer(struct rtvm_ctx *ctx, unsigned int last, bool restore,
			unsigned int *ret_moved)
{
	struct rtvm_cpumask *away = NULL;
	struct rtvm_changeset *cs = NULL;
	struct rtvm_irq_report *rep = NULL;
	struct rtvm_irq_steer req = { .size = sizeof(req) };
	double t;
	int r;

	if (rtvm_cpumask_new(ctx, &away) < 0 ||
	    rtvm_changeset_new(ctx, &cs) < 0)
		return -1;
	rtvm_cpumask_set(away, last);
	req.away_from = away;
	t = bench_now_ms();
	r = rtvm_irq_steer(ctx, &req, cs, &rep);
	t = bench_now_ms() - t;
	if (r == 0 && ret_moved)
		*ret_moved = (unsigned int)rtvm_irq_report_tally(rep,
							RTVM_IRQ_MOVED);
	if (restore)
		rtvm_changeset_restore(cs, 0);
	rtvm_irq_report_free(rep);
	rtvm_changeset_unref(cs);
	rtvm_cpumask_free(away);
	return r == 0 ? t : -1;
}

/*
 * The floor: one write per IRQ's smp_affinity_list (open, write, close
 * through a descriptor of @irqdir), the value known beforehand: what no
 * steer can avoid.  With @read_old, also the read of the value it had
 * (open, read, close) before the write: what a steer that can be undone
 * cannot avoid.
 */
static double floor_steer(const char *irqdir, unsigned int nirq,
			  unsigned int ncpu, bool read_old)
{
	char path[32], val[16], old[64];
	double t = bench_now_ms();
	int dfd = open(irqdir, O_RDONLY | O_DIRECTORY | O_CLOEXEC), r = 0;
	size_t len;

	if (dfd < 0)
		return -1;
	len = (size_t)(ncpu > 2 ? snprintf(val, sizeof(val), "0-%u", ncpu - 2) :
				  snprintf(val, sizeof(val), "0"));
	for (unsigned int i = 0; r == 0 && i < nirq; i++) {
		int fd;

		snprintf(path, sizeof(path), "%u/smp_affinity_list",
			 FIRST_IRQ + i);
		if (read_old) {
			fd = openat(dfd, path, O_RDONLY | O_CLOEXEC);
			if (fd < 0 || read(fd, old, sizeof(old)) <= 0)
				r = -1;
			if (fd >= 0)
				close(fd);
		}
		/* O_TRUNC: the fixture's files are tmpfs files, where a
		 * shorter value must cut the old one off to replace it (as
		 * librtvm's write does; procfs ignores it). */
		fd = openat(dfd, path, O_WRONLY | O_TRUNC | O_CLOEXEC);
		if (fd < 0 || write(fd, val, len) != (ssize_t)len)
			r = -1;
		if (fd >= 0)
			close(fd);
	}
	close(dfd);
	return r == 0 ? bench_now_ms() - t : -1;
}

static double tool_steer(const struct env *e)
{
	char *argv[] = { (char *)e->tool, "steer", "--away-from",
			 (char *)e->last, "--no-default", "--save", e->state,
			 NULL };
	double t = run(argv);

	unlink(e->state);
	return t;
}

static double tuna_steer(const struct env *e)
{
	char *argv[] = { (char *)e->tuna, "--irqs=*", "--cpus", "0", "--move",
			 NULL };

	return run(argv);
}

static int scene_fixture(struct env *e, unsigned int nirq)
{
	char dir[] = "/dev/shm/bench-irq.XXXXXX", src[4200];
	struct series s[5] = { { .name = "librtvm" }, { .name = "rtvm-irq" },
			       { .name = "tuna" }, { .name = "floor" },
			       { .name = "floor+read" } };
	struct rtvm_ctx *ctx = NULL;
	char irqdir[4200];
	bool mounted = false;
	unsigned int moved = 0;
	char title[128];
	bool made = false;
	int ret = 1;

	for (int i = 0; i < 5; i++)
		s[i].ms = calloc(e->runs, sizeof(double));
	made = mkdtemp(dir) != NULL;
	if (!made || make_fixture(dir, nirq, e->ncpu) < 0 ||
	    rtvm_new(&ctx) < 0 || rtvm_set_root(ctx, dir) < 0) {
		fprintf(stderr, "bench-irq: cannot make the fixture\n");
		goto out;
	}
	if (e->private_ns) {
		snprintf(src, sizeof(src), "%s/proc/irq", dir);
		if (mount(src, "/proc/irq", "none", MS_BIND, NULL) == 0) {
			snprintf(src, sizeof(src), "%s/proc/interrupts", dir);
			if (mount(src, "/proc/interrupts", "none", MS_BIND,
				  NULL) == 0)
				mounted = true;
			else
				umount("/proc/irq");
		}
		if (!mounted)
			fprintf(stderr, "bench-irq: cannot bind the fixture over "
					"/proc/irq: %s; tools not run\n",
				strerror(errno));
	}
	/* With the files bound over /proc, librtvm takes the same paths as
	 * on a real host (no sysroot simulation): like for like. */
	if (mounted) {
		rtvm_unref(ctx);
		ctx = NULL;
		if (rtvm_new(&ctx) < 0)
			goto out;
	}
	snprintf(irqdir, sizeof(irqdir), "%s/proc/irq",
		 mounted ? "" : dir);
	/* Untimed warm-up, and the count of what moves. */
	lib_steer(ctx, e->ncpu - 1, false, &moved);
	reset_fixture(dir, nirq, e->ncpu);
	for (unsigned int r = 0; r < e->runs; r++) {
		for (unsigned int k = 0; k < 5; k++) {
			unsigned int m = (r + k) % 5;
			double t = -1;

			if (m == 0)
				t = lib_steer(ctx, e->ncpu - 1, false, NULL);
			else if (m >= 3)
				t = floor_steer(irqdir, nirq, e->ncpu, m == 4);
			else if (m == 1 && mounted && e->tool)
				t = tool_steer(e);
			else if (m == 2 && mounted && e->tuna)
				t = tuna_steer(e);
			if (t >= 0)
				add(&s[m], t);
			reset_fixture(dir, nirq, e->ncpu);
		}
	}
	snprintf(title, sizeof(title),
		 "fixture: %u IRQs on %u CPUs, every one moved off CPU %u "
		 "(librtvm moved %u; %s)", nirq, e->ncpu, e->ncpu - 1, moved,
		 mounted ? "files bound over /proc" : "as a sysroot");
	print_table(title, s, 5, nirq);
	print_ratios(s, nirq);
	ret = 0;
out:
	if (mounted) {
		umount("/proc/interrupts");
		umount("/proc/irq");
	}
	rtvm_unref(ctx);
	if (made) {
		char cmd[4200];

		snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
		if (system(cmd) != 0)
			fprintf(stderr, "bench-irq: cannot remove %s\n", dir);
	}
	for (int i = 0; i < 5; i++)
		free(s[i].ms);
	return ret;
}

static void scene_linear(struct env *e, unsigned int nirq)
{
	static const unsigned int div[] = { 8, 4, 2, 1 };

	printf("\nlinearity: librtvm and its floor alone, the same steer on "
	       "fixtures of several sizes (as a sysroot)\n");
	printf("%8s %5s %11s %11s %12s %14s %14s\n", "IRQs", "runs",
	       "median ms", "p99 ms", "us per IRQ", "floor us/IRQ",
	       "librtvm/floor");
	for (unsigned int k = 0; k < 5; k++) {
		unsigned int n = k < 4 ? nirq / div[k] : nirq * 2;
		char dir[] = "/dev/shm/bench-irq.XXXXXX", cmd[128];
		struct series s = { .name = "librtvm" }, f = { .name = "floor" };
		struct rtvm_ctx *ctx = NULL;
		char irqdir[64];

		s.ms = calloc(e->runs, sizeof(double));
		f.ms = calloc(e->runs, sizeof(double));
		if (!n || !s.ms || !f.ms || !mkdtemp(dir) ||
		    make_fixture(dir, n, e->ncpu) < 0 || rtvm_new(&ctx) < 0 ||
		    rtvm_set_root(ctx, dir) < 0) {
			free(s.ms);
			free(f.ms);
			rtvm_unref(ctx);
			continue;
		}
		snprintf(irqdir, sizeof(irqdir), "%s/proc/irq", dir);
		for (unsigned int r = 0; r < e->runs; r++) {
			double t = lib_steer(ctx, e->ncpu - 1, false, NULL);

			if (t >= 0)
				add(&s, t);
			reset_fixture(dir, n, e->ncpu);
			t = floor_steer(irqdir, n, e->ncpu, false);
			if (t >= 0)
				add(&f, t);
			reset_fixture(dir, n, e->ncpu);
		}
		stats(&s);
		stats(&f);
		printf("%8u %5u %11.3f %11.3f %12.2f %14.2f %13.2fx\n", n, s.n,
		       s.median, s.p99, s.n ? s.median * 1e3 / n : 0,
		       f.n ? f.median * 1e3 / n : 0,
		       f.n && f.median > 0 ? s.median / f.median : 0);
		free(s.ms);
		free(f.ms);
		rtvm_unref(ctx);
		snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
		if (system(cmd) != 0)
			fprintf(stderr, "bench-irq: cannot remove %s\n", dir);
	}
}

static int scene_real(struct env *e)
{
	struct series s[3] = { { .name = "librtvm" }, { .name = "rtvm-irq" },
			       { .name = "tuna" } };
	struct rtvm_ctx *ctx = NULL;
	unsigned int moved = 0, left;
	char title[160];

	if (geteuid() != 0) {
		printf("\nreal: skipped (not root)\n");
		return 0;
	}
	for (int i = 0; i < 3; i++)
		s[i].ms = calloc(e->runs, sizeof(double));
	take_snapshot();
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	signal(SIGHUP, on_signal);
	if (rtvm_new(&ctx) < 0)
		goto out;
	lib_steer(ctx, e->ncpu - 1, true, &moved);
	put_back();
	for (unsigned int r = 0; r < e->runs; r++) {
		for (unsigned int k = 0; k < 3; k++) {
			unsigned int m = (r + k) % 3;
			double t = -1;

			if (m == 0)
				t = lib_steer(ctx, e->ncpu - 1, true, NULL);
			else if (m == 1 && e->tool)
				t = tool_steer(e);
			else if (m == 2 && e->tuna && e->private_ns)
				t = tuna_steer(e); /* it exits 0 also when an
						    * IRQ refuses */
			if (t >= 0)
				add(&s[m], t);
			put_back();
		}
	}
	snprintf(title, sizeof(title),
		 "real: this machine's IRQs, %u moved off CPU %u each run "
		 "(written back after every run)", moved, e->ncpu - 1);
	print_table(title, s, 3, moved ? moved : 1);
out:
	left = put_back();
	if (left)
		fprintf(stderr, "bench-irq: wrote back %u IRQ settings\n", left);
	signal(SIGINT, SIG_DFL);
	signal(SIGTERM, SIG_DFL);
	signal(SIGHUP, SIG_DFL);
	rtvm_unref(ctx);
	for (int i = 0; i < 3; i++)
		free(s[i].ms);
	return 0;
}

static void usage(FILE *f)
{
	fprintf(f,
		"Usage: bench-irq [OPTION]...\n"
		"Time steering IRQs off the last CPU: librtvm, rtvm-irq and tuna\n"
		"(tuna --irqs=* --cpus 0 --move) on a fixture and on this\n"
		"machine's IRQs (every affinity is written back).  Run it through\n"
		"bench/run-bench.sh (private PID and mount namespace).\n\n"
		"  -n, --irqs N      IRQs of the fixture (default 1000)\n"
		"  -r, --runs N      rounds (default 11)\n"
		"      --tool PATH   rtvm-irq (default examples/.libs/rtvm-irq,\n"
		"                    else examples/rtvm-irq)\n"
		"      --no-real     skip this machine's IRQs\n"
		"  -h, --help        this help\n\n"
		"Exit status: 0 when the measurements ran, 1 on a setup error,\n"
		"2 for bad usage.  Time never makes it fail.\n");
}

int main(int argc, char *argv[])
{
	static const struct option longopts[] = {
		{ "irqs", required_argument, NULL, 'n' },
		{ "runs", required_argument, NULL, 'r' },
		{ "tool", required_argument, NULL, 't' },
		{ "no-real", no_argument, NULL, 'R' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct env e = { .runs = 11 };
	unsigned int nirq = 1000;
	bool real = true;
	long ncpu = sysconf(_SC_NPROCESSORS_CONF);
	char state[] = "/tmp/bench-irq-state.XXXXXX";
	int c, fd;

	while ((c = getopt_long(argc, argv, "n:r:h", longopts, NULL)) != -1) {
		switch (c) {
		case 'n': nirq = (unsigned int)strtoul(optarg, NULL, 10); break;
		case 'r': e.runs = (unsigned int)strtoul(optarg, NULL, 10); break;
		case 't': e.tool = optarg; break;
		case 'R': real = false; break;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return 2;
		}
	}
	if (nirq < 8 || nirq > 100000 || e.runs < 1 || e.runs > 1000 ||
	    optind != argc) {
		usage(stderr);
		return 2;
	}
	if (ncpu < 2 || ncpu > 32) {
		fprintf(stderr, "bench-irq: needs 2 to 32 CPUs, this machine has "
				"%ld\n", ncpu);
		return 1;
	}
	e.ncpu = (unsigned int)ncpu;
	snprintf(e.last, sizeof(e.last), "%u", e.ncpu - 1);
	fd = mkstemp(state);
	if (fd < 0)
		return 1;
	close(fd);
	unlink(state);
	e.state = state;
	if (!e.tool && access("examples/.libs/rtvm-irq", X_OK) == 0) {
		/* the binary itself, not libtool's wrapper script */
		e.tool = "examples/.libs/rtvm-irq";
		setenv("LD_LIBRARY_PATH", "librtvm/.libs", 1);
	} else if (!e.tool && access("examples/rtvm-irq", X_OK) == 0) {
		e.tool = "examples/rtvm-irq";
	}
	e.tuna = access("/usr/bin/tuna", X_OK) == 0 ? "/usr/bin/tuna" : NULL;
	/* PID 1 of a namespace that run-bench.sh made, with its own /proc. */
	e.private_ns = getpid() == 1 && geteuid() == 0;
	printf("bench-irq: %u CPUs, %u rounds; rtvm-irq: %s; tuna: %s; %s\n",
	       e.ncpu, e.runs, e.tool ? e.tool : "not found",
	       e.tuna ? e.tuna : "not installed",
	       e.private_ns ? "private PID and mount namespace" :
			      "NOT in a private namespace: tools skipped");
	if (scene_fixture(&e, nirq) != 0)
		return 1;
	scene_linear(&e, nirq);
	if (real)
		scene_real(&e);
	return 0;
}
