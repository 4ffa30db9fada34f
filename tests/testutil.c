/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <sys/wait.h>
#include <sys/syscall.h>
#include <sys/prctl.h>
#include <stdarg.h>
#include <signal.h>
#include <pthread.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "testutil.h"

static char tmpbase[256];
static pid_t tmpowner;

/* Copies made by this process; forked tests remove their own at exit. */
static char mine[16][512];
static unsigned int nr_mine;
static pid_t mine_owner;

static void cleanup(void)
{
	char cmd[600];

	for (unsigned int i = 0; getpid() == mine_owner && i < nr_mine; i++) {
		snprintf(cmd, sizeof(cmd), "rm -rf '%s'", mine[i]);
		if (system(cmd) != 0)
			fprintf(stderr, "cannot remove %s\n", mine[i]);
	}
	/* The parent removes the shared directory and the bases in it. */
	if (tmpbase[0] && getpid() == tmpowner) {
		snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpbase);
		if (system(cmd) != 0)
			fprintf(stderr, "cannot remove %s\n", tmpbase);
	}
}

static const char *srcdir(void)
{
	const char *s = getenv("top_srcdir");

	return s && *s ? s : ".";
}

static bool setup_tmpbase(void)
{
	const char *tmp = getenv("TMPDIR");
	struct stat st;

	if (tmpbase[0])
		return true;
	/* Fixtures have thousands of small files: tmpfs copies them fast. */
	if (!tmp || !*tmp)
		tmp = stat("/dev/shm", &st) == 0 && access("/dev/shm", W_OK) == 0 ?
			      "/dev/shm" : "/tmp";
	snprintf(tmpbase, sizeof(tmpbase), "%s/rtvm-test.XXXXXX", tmp);
	if (!mkdtemp(tmpbase)) {
		perror(tmpbase);
		tmpbase[0] = '\0';
		return false;
	}
	tmpowner = getpid();
	atexit(cleanup);
	return true;
}

const char *tu_fixture(const char *name)
{
	static char paths[16][512];
	static unsigned int n;
	char base[512], src[512], cmd[1600], *dest = paths[n++ % 16];
	struct stat st;

	ck_assert(setup_tmpbase());
	/* Made once per test program (forked tests share the parent's
	 * directory), then copied for each test so writes stay private. */
	snprintf(base, sizeof(base), "%s/%s.base", tmpbase, name);
	if (stat(base, &st) != 0) {
		snprintf(src, sizeof(src), "%s/tests/fixtures/%s", srcdir(), name);
		if (stat(src, &st) == 0 && S_ISDIR(st.st_mode))
			/* Git keeps no read-only modes; a read-only source
			 * tree (distcheck) must not add them: to the library
			 * a read-only affinity file means a managed IRQ. */
			snprintf(cmd, sizeof(cmd),
				 "cp -R '%s' '%s' && chmod -R u+w '%s'", src, base,
				 base);
		else
			snprintf(cmd, sizeof(cmd),
				 "sh '%s/tests/fixtures/gen-%s.sh' '%s'", srcdir(),
				 name, base);
		ck_assert_msg(system(cmd) == 0, "cannot make fixture %s: %s",
			      name, cmd);
	}
	snprintf(dest, 512, "%s/%s.%d.%u", tmpbase, name, (int)getpid(), n);
	snprintf(cmd, sizeof(cmd), "cp -R '%s' '%s'", base, dest);
	ck_assert_msg(system(cmd) == 0, "cannot copy fixture %s", name);
	if (mine_owner != getpid()) {
		mine_owner = getpid();
		nr_mine = 0;
		if (getpid() != tmpowner)
			atexit(cleanup);
	}
	if (nr_mine < 16)
		snprintf(mine[nr_mine++], sizeof(mine[0]), "%s", dest);
	return dest;
}

struct rtvm_ctx *tu_ctx(const char *name)
{
	struct rtvm_ctx *ctx;

	ck_assert_int_eq(rtvm_new(&ctx), 0);
	ck_assert_int_eq(rtvm_set_root(ctx, tu_fixture(name)), 0);
	return ctx;
}

char *tu_read(struct rtvm_ctx *ctx, const char *rel)
{
	char path[1024], *buf;
	FILE *f;
	long len;

	snprintf(path, sizeof(path), "%s/%s", rtvm_get_root(ctx), rel);
	f = fopen(path, "r");
	ck_assert_msg(f != NULL, "cannot open %s", path);
	fseek(f, 0, SEEK_END);
	len = ftell(f);
	rewind(f);
	buf = calloc(1, (size_t)len + 1);
	ck_assert_ptr_nonnull(buf);
	ck_assert_int_eq(fread(buf, 1, (size_t)len, f), (size_t)len);
	fclose(f);
	return buf;
}

void tu_write(struct rtvm_ctx *ctx, const char *rel, const char *content)
{
	char path[1024], cmd[1200];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", rtvm_get_root(ctx), rel);
	snprintf(cmd, sizeof(cmd), "mkdir -p \"$(dirname '%s')\"", path);
	ck_assert_int_eq(system(cmd), 0);
	f = fopen(path, "w");
	ck_assert_msg(f != NULL, "cannot write %s", path);
	fputs(content, f);
	fclose(f);
}

struct rtvm_cpumask *tu_mask(unsigned int nr_cpus, const char *list)
{
	struct rtvm_cpumask *m;

	ck_assert_int_eq(rtvm_cpumask_new_nr(nr_cpus, &m), 0);
	ck_assert_int_eq(rtvm_cpumask_parse_list(m, list,
						 RTVM_CPUMASK_ALLOW_EMPTY), 0);
	return m;
}

const char *tu_list(const struct rtvm_cpumask *mask)
{
	static char bufs[4][1024];
	static unsigned int n;
	char *s, *out = bufs[n++ % 4];

	if (!mask)
		return "(null)";
	ck_assert_int_eq(rtvm_cpumask_format_list(mask, &s), 0);
	snprintf(out, 1024, "%s", s);
	free(s);
	return out;
}

/* Status, and substrings of observed and remedy (NULL: not looked at).
 * Every result says what it saw and expected; all but pass and info say
 * what to do, and a pass has nothing to do. */
void tu_expect_check_at(int line, const struct rtvm_check_result *r, int st,
			const char *obs, const char *rem)
{
	const char *id = rtvm_check_result_get_id(r);
	const char *o = rtvm_check_result_get_observed(r);
	const char *x = rtvm_check_result_get_remedy(r);
	int got = rtvm_check_result_get_status(r);

	ck_assert_msg(got == st, "line %d: %s is %s, not %s: \"%s\" / \"%s\"",
		      line, id, rtvm_check_status_to_string(got),
		      rtvm_check_status_to_string(st), o, x);
	ck_assert_msg(*o, "line %d: %s observed nothing", line, id);
	ck_assert_msg(*rtvm_check_result_get_expected(r),
		      "line %d: %s expects nothing", line, id);
	if (st >= RTVM_CHECK_SKIP)
		ck_assert_msg(*x, "line %d: %s is %s without a remedy", line, id,
			      rtvm_check_status_to_string(st));
	if (st == RTVM_CHECK_PASS)
		ck_assert_msg(!*x, "line %d: %s passes with remedy \"%s\"", line,
			      id, x);
	if (obs)
		ck_assert_msg(strstr(o, obs), "line %d: %s observed \"%s\", "
			      "not \"%s\"", line, id, o, obs);
	if (rem)
		ck_assert_msg(strstr(x, rem), "line %d: %s remedy \"%s\", not "
			      "\"%s\"", line, id, x, rem);
}

/* An exclusive lock on NAME, held until the descriptor is closed or the
 * process exits.  The locks are the machine's, not the build tree's: two
 * test runs from two trees (a developer's and CI's, or distcheck's) share
 * the CPUs and the IRQs too. */
static int lock_file(const char *name)
{
	const char *dir = access("/run/lock", W_OK) == 0 ? "/run/lock" : "/tmp";
	char path[512];
	int fd;

	snprintf(path, sizeof(path), "%s/librtvm-tests-%s", dir, name);
	fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
	if (fd < 0) {
		perror(path);
		return -1;
	}
	while (flock(fd, LOCK_EX) < 0 && errno == EINTR)
		;
	return fd;
}

int tu_lock_rt_cpus(void)
{
	return lock_file("rt-cpus.lock");
}

void tu_wait_rt_period(void)
{
	FILE *f = fopen("/proc/sys/kernel/sched_rt_period_us", "re");
	long us = 1000000;

	if (f) {
		if (fscanf(f, "%ld", &us) != 1 || us <= 0 || us > 10000000)
			us = 1000000;
		fclose(f);
	}
	usleep((useconds_t)(us + us / 10));
}

int tu_rt_skip(const char *what)
{
	if (geteuid() != 0) {
		printf("skip: %s need root (CAP_SYS_NICE)\n", what);
		return EXIT_SKIP;
	}
	if (system("chrt -f 1 true 2>/dev/null") != 0) {
		printf("skip: this process may not use SCHED_FIFO (its cpu "
		       "cgroup has no RT runtime?)\n");
		return EXIT_SKIP;
	}
	return 0;
}

struct sleeper_arg {
	const char *name;
	int fd;
	pid_t index;
};

static void *sleeper(void *p)
{
	struct sleeper_arg *a = p;
	/* Named before reporting, and with its index: threads report in any
	 * order. */
	pid_t msg[2] = { a->index, (pid_t)syscall(SYS_gettid) };

	if (pthread_setname_np(pthread_self(), a->name) != 0 ||
	    write(a->fd, msg, sizeof(msg)) != sizeof(msg))
		_exit(1);
	for (;;)
		pause();
	return NULL;
}

struct tu_child tu_spawn_sleepers(void)
{
	return tu_spawn_named("rtvm-live-a", "rtvm-live-b");
}

struct tu_child tu_spawn_named(const char *a, const char *b)
{
	static struct sleeper_arg args[2];
	struct tu_child c = {0};
	int p[2];

	ck_assert_int_eq(pipe(p), 0);
	c.pid = fork();
	ck_assert_int_ge(c.pid, 0);
	if (c.pid == 0) {
		pid_t msg[2] = { 0, getpid() };
		pthread_t t;

		prctl(PR_SET_PDEATHSIG, SIGKILL);
		if (write(p[1], msg, sizeof(msg)) != sizeof(msg))
			_exit(1);
		for (int i = 0; i < 2; i++) {
			args[i] = (struct sleeper_arg){
				i ? b : a, p[1], i + 1
			};
			if (pthread_create(&t, NULL, sleeper, &args[i]) != 0)
				_exit(1);
		}
		for (;;)
			pause();
	}
	close(p[1]);
	for (int i = 0; i < 3; i++) {
		pid_t msg[2];

		ck_assert_int_eq(read(p[0], msg, sizeof(msg)), sizeof(msg));
		ck_assert(msg[0] >= 0 && msg[0] < 3 && msg[1] > 0);
		c.tids[msg[0]] = msg[1];
	}
	close(p[0]);
	return c;
}

void tu_reap(struct tu_child *c)
{
	if (c->pid <= 0)
		return;
	kill(c->pid, SIGKILL);
	waitpid(c->pid, NULL, 0);
	c->pid = 0;
}

char *tu_run_cmd(const char *fmt, ...)
{
	char cmd[4096], *out = calloc(1, 8192);
	va_list ap;
	size_t n;
	FILE *f;
	int len;

	ck_assert_ptr_nonnull(out);
	va_start(ap, fmt);
	len = vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	/* A command cut short would run something else. */
	ck_assert_msg(len >= 0 && (size_t)len < sizeof(cmd),
		      "command longer than %zu bytes: %.80s...", sizeof(cmd), cmd);
	f = popen(cmd, "r");
	ck_assert_msg(f != NULL, "cannot run %s", cmd);
	n = fread(out, 1, 8191, f);
	out[n] = '\0';
	ck_assert_msg(pclose(f) == 0, "%s failed: %s", cmd, out);
	return out;
}

int tu_run(Suite *s)
{
	SRunner *sr = srunner_create(s);
	int failed;

	if (!setup_tmpbase()) {
		srunner_free(sr);
		return EXIT_FAILURE;
	}
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}

/* ---- the host's IRQ affinities, put back whatever happens ---------------- */

#define IRQ_GUARD_MAX 4096

struct irq_saved {
	char path[300];
	char value[256];
};

static struct irq_saved irq_snap[IRQ_GUARD_MAX];
static size_t irq_nsnap;

/* open/read/close only: also used from a signal handler. */
int tu_read_text(const char *path, char *buf, size_t size)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return -errno;
	n = read(fd, buf, size - 1);
	close(fd);
	if (n < 0)
		return -errno;
	while (n > 0 && buf[n - 1] == '\n')
		n--;
	buf[n] = '\0';
	return 0;
}

unsigned int tu_irq_put_back(void)
{
	unsigned int differed = 0;

	for (size_t i = 0; i < irq_nsnap; i++) {
		char now[256];
		int fd;

		if (tu_read_text(irq_snap[i].path, now, sizeof(now)) < 0 ||
		    strcmp(now, irq_snap[i].value) == 0)
			continue; /* freed meanwhile, or as it was */
		differed++;
		fd = open(irq_snap[i].path, O_WRONLY | O_CLOEXEC);
		if (fd >= 0) {
			/* A failed write shows in tu_irq_expect_as_before(). */
			ssize_t n = write(fd, irq_snap[i].value,
					  strlen(irq_snap[i].value));

			(void)n;
			close(fd);
		}
	}
	return differed;
}

static void irq_guard_signal(int sig)
{
	tu_irq_put_back();
	signal(sig, SIG_DFL);
	raise(sig);
}

size_t tu_irq_guard(void)
{
	struct dirent *de;
	DIR *d;

	/* Two suites that snapshot and put back must not interleave: one
	 * would save the other's changes as "before". */
	if (lock_file("irq-affinity.lock") < 0)
		return 0;
	d = opendir("/proc/irq");
	irq_nsnap = 0;
	while (d && (de = readdir(d)) && irq_nsnap < IRQ_GUARD_MAX - 1) {
		struct irq_saved *s = &irq_snap[irq_nsnap];

		if (de->d_name[0] < '0' || de->d_name[0] > '9')
			continue;
		snprintf(s->path, sizeof(s->path),
			 "/proc/irq/%s/smp_affinity_list", de->d_name);
		if (tu_read_text(s->path, s->value, sizeof(s->value)) == 0)
			irq_nsnap++;
	}
	if (d)
		closedir(d);
	snprintf(irq_snap[irq_nsnap].path, sizeof(irq_snap[irq_nsnap].path),
		 "/proc/irq/default_smp_affinity");
	if (tu_read_text(irq_snap[irq_nsnap].path, irq_snap[irq_nsnap].value,
			 sizeof(irq_snap[irq_nsnap].value)) == 0)
		irq_nsnap++;
	signal(SIGINT, irq_guard_signal);
	signal(SIGTERM, irq_guard_signal);
	signal(SIGHUP, irq_guard_signal);
	return irq_nsnap;
}

const char *tu_irq_saved(const char *path)
{
	for (size_t i = 0; i < irq_nsnap; i++)
		if (strcmp(irq_snap[i].path, path) == 0)
			return irq_snap[i].value;
	return NULL;
}

void tu_irq_expect_as_before(void)
{
	for (size_t i = 0; i < irq_nsnap; i++) {
		char now[256];

		if (tu_read_text(irq_snap[i].path, now, sizeof(now)) < 0)
			continue;
		ck_assert_msg(strcmp(now, irq_snap[i].value) == 0,
			      "%s is %s, was %s", irq_snap[i].path, now,
			      irq_snap[i].value);
	}
}
