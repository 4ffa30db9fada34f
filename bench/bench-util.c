/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <spawn.h>
#include <stdlib.h>
#include <stdint.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bench-util.h"

extern char **environ;

#define VM_TIMEOUT_MS 120000

/* ---- the fake VM -------------------------------------------------------- */

static void *idle_main(void *arg)
{
	(void)arg;
	for (;;)
		pause(); /* every signal is blocked: only SIGKILL ends us */
	return NULL;
}

/* In the child: the threads, then 0 or the failing errno on @fd. */
static void __attribute__((noreturn))
vm_child(int fd, pid_t parent, const char *comm, unsigned int nr,
	 const char *name_fmt)
{
	pthread_attr_t attr;
	sigset_t all;
	int err;

	if (prctl(PR_SET_PDEATHSIG, SIGKILL) < 0 || getppid() != parent)
		_exit(1);
	prctl(PR_SET_NAME, comm);
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, NULL); /* inherited by threads */
	err = pthread_attr_init(&attr);
	if (err == 0)
		err = pthread_attr_setstacksize(&attr, 64 * 1024);
	if (err == 0)
		err = pthread_attr_setdetachstate(&attr,
						  PTHREAD_CREATE_DETACHED);
	for (unsigned int i = 0; err == 0 && i < nr; i++) {
		char name[16];
		pthread_t th;

		err = pthread_create(&th, &attr, idle_main, NULL);
		if (err == 0 && name_fmt) {
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat-nonliteral"
			snprintf(name, sizeof(name), name_fmt, i);
#pragma GCC diagnostic pop
			err = pthread_setname_np(th, name);
		}
	}
	if (write(fd, &err, sizeof(err)) != (ssize_t)sizeof(err) || err)
		_exit(1);
	close(fd);
	idle_main(NULL);
	_exit(0);
}

/* How many threads /proc lists for the child, and (named) tids[] by the
 * index in their names; returns the number of named threads found. */
static unsigned int vm_scan(struct bench_vm *vm, const char *name_fmt,
			    unsigned int *ret_total)
{
	char path[64], comm[32];
	unsigned int total = 0, named = 0;
	struct dirent *de;
	DIR *d;

	snprintf(path, sizeof(path), "/proc/%d/task", (int)vm->pid);
	d = opendir(path);
	while (d && (de = readdir(d))) {
		unsigned int idx;
		ssize_t n;
		int fd;

		if (de->d_name[0] == '.')
			continue;
		total++;
		if (!name_fmt)
			continue;
		snprintf(path, sizeof(path), "%.20s/comm", de->d_name);
		fd = openat(dirfd(d), path, O_RDONLY | O_CLOEXEC);
		if (fd < 0)
			continue;
		n = read(fd, comm, sizeof(comm) - 1);
		close(fd);
		if (n <= 0)
			continue;
		comm[n] = '\0';
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat-nonliteral"
		if (sscanf(comm, name_fmt, &idx) == 1 && idx < vm->nr &&
		    !vm->tids[idx]) {
#pragma GCC diagnostic pop
			vm->tids[idx] = (pid_t)atoi(de->d_name);
			named++;
		}
	}
	if (d)
		closedir(d);
	*ret_total = total;
	return named;
}

int bench_vm_start(struct bench_vm *vm, const char *who, const char *comm,
		   unsigned int nr, const char *name_fmt)
{
	pid_t parent = getpid();
	struct pollfd pfd;
	double deadline;
	int p[2], r, err = -1;

	vm->pid = 0;
	vm->nr = nr;
	vm->tids = calloc(nr ? nr : 1, sizeof(*vm->tids));
	if (!vm->tids || pipe2(p, O_CLOEXEC) < 0) {
		fprintf(stderr, "%s: %s\n", who, strerror(errno));
		return -1;
	}
	fflush(NULL);
	vm->pid = fork();
	if (vm->pid < 0) {
		fprintf(stderr, "%s: fork: %s\n", who, strerror(errno));
		vm->pid = 0;
		close(p[0]);
		close(p[1]);
		return -1;
	}
	if (vm->pid == 0) {
		close(p[0]);
		vm_child(p[1], parent, comm, nr, name_fmt);
	}
	close(p[1]);
	pfd = (struct pollfd){ .fd = p[0], .events = POLLIN };
	do
		r = poll(&pfd, 1, VM_TIMEOUT_MS);
	while (r < 0 && errno == EINTR);
	if (r <= 0 || read(p[0], &err, sizeof(err)) != (ssize_t)sizeof(err)) {
		close(p[0]);
		fprintf(stderr, "%s: the fake VM did not report (%s)\n", who,
			r == 0 ? "timeout" : "it died");
		return -1;
	}
	close(p[0]);
	if (err) {
		fprintf(stderr,
			"%s: the fake VM cannot create its %u threads: %s (see "
			"kernel.threads-max, pids.max, RLIMIT_NPROC)\n",
			who, nr, strerror(err));
		return -1;
	}
	/* What every tool reads is /proc: wait until it shows them all. */
	deadline = bench_now_ms() + VM_TIMEOUT_MS;
	for (;;) {
		unsigned int total, named;

		memset(vm->tids, 0, nr * sizeof(*vm->tids));
		named = vm_scan(vm, name_fmt, &total);
		if (total == nr + 1 && (!name_fmt || named == nr))
			return 0;
		if (bench_now_ms() > deadline) {
			fprintf(stderr,
				"%s: /proc/%d/task lists %u threads (%u named); "
				"expected %u\n",
				who, (int)vm->pid, total, named, nr + 1);
			return -1;
		}
		usleep(10000);
	}
}

void bench_vm_stop(struct bench_vm *vm)
{
	if (vm->pid > 0) {
		kill(vm->pid, SIGKILL);
		while (waitpid(vm->pid, NULL, 0) < 0 && errno == EINTR)
			;
	}
	vm->pid = 0;
	free(vm->tids);
	vm->tids = NULL;
}

/* ---- tools ---------------------------------------------------------- */

int bench_spawn_wait(char *const argv[], int out_fd, int err_fd)
{
	return bench_spawn_wait_rusage(argv, out_fd, err_fd, NULL);
}

int bench_spawn_wait_rusage(char *const argv[], int out_fd, int err_fd,
			    struct rusage *ru)
{
	posix_spawn_file_actions_t fa;
	int status = 0, r;
	pid_t pid;

	r = posix_spawn_file_actions_init(&fa);
	if (r == 0 && out_fd >= 0)
		r = posix_spawn_file_actions_adddup2(&fa, out_fd, STDOUT_FILENO);
	if (r == 0 && err_fd >= 0)
		r = posix_spawn_file_actions_adddup2(&fa, err_fd, STDERR_FILENO);
	if (r == 0)
		r = posix_spawnp(&pid, argv[0], &fa, NULL, argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	if (r != 0)
		return -r;
	while (wait4(pid, &status, 0, ru) < 0)
		if (errno != EINTR)
			return -errno;
	return status;
}

bool bench_in_path(const char *name)
{
	const char *path = getenv("PATH");
	char *copy, *dir, *save = NULL;
	bool found = false;

	if (!path || !*path)
		path = "/usr/local/bin:/usr/bin:/bin";
	copy = strdup(path);
	if (!copy)
		return false;
	for (dir = strtok_r(copy, ":", &save); dir && !found;
	     dir = strtok_r(NULL, ":", &save)) {
		char full[PATH_MAX];

		snprintf(full, sizeof(full), "%s/%s", dir, name);
		found = access(full, X_OK) == 0;
	}
	free(copy);
	return found;
}

/* ---- floors -------------------------------------------------------- */

/* The kernel's struct sched_attr (v0, 48 bytes). */
struct raw_sched_attr {
	uint32_t size, policy;
	uint64_t flags;
	int32_t nice;
	uint32_t priority;
	uint64_t runtime, deadline, period;
};

int bench_setattr(pid_t tid, int policy, unsigned int priority)
{
	const struct raw_sched_attr attr = {
		.size = sizeof(attr),
		.policy = (uint32_t)policy,
		.priority = priority,
	};

	return syscall(SYS_sched_setattr, tid, &attr, 0) < 0 ? -errno : 0;
}

int bench_getattr(pid_t tid, unsigned int *policy, unsigned int *priority)
{
	struct raw_sched_attr attr = { 0 };

	if (syscall(SYS_sched_getattr, tid, &attr, sizeof(attr), 0) < 0)
		return -errno;
	*policy = attr.policy;
	*priority = attr.priority;
	return 0;
}

static int write_file(const char *dir, const char *file, const char *text)
{
	char path[PATH_MAX];
	int fd, r = 0;

	snprintf(path, sizeof(path), "%s/%s", dir, file);
	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (write(fd, text, strlen(text)) < 0)
		r = -errno;
	close(fd);
	return r;
}

int bench_cg_make(const char *dir, const char *cpus, const char *mems)
{
	int r;

	if (mkdir(dir, 0755) < 0)
		return -errno;
	r = write_file(dir, "cpuset.cpus", cpus);
	return r < 0 ? r : write_file(dir, "cpuset.mems", mems);
}

int bench_cg_move(const char *from, const char *to)
{
	char path[PATH_MAX], *text = NULL, *save = NULL;
	size_t size = 0;
	int fd, r = 0;
	FILE *f;

	snprintf(path, sizeof(path), "%s/tasks", from);
	f = fopen(path, "re");
	if (!f)
		return -errno;
	if (getdelim(&text, &size, '\0', f) < 0 && ferror(f))
		r = -EIO;
	fclose(f);
	snprintf(path, sizeof(path), "%s/tasks", to);
	fd = r < 0 ? -1 : open(path, O_WRONLY | O_CLOEXEC);
	if (r == 0 && fd < 0)
		r = -errno;
	for (char *t = r < 0 || !text ? NULL : strtok_r(text, "\n", &save);
	     t && r == 0; t = strtok_r(NULL, "\n", &save))
		if (write(fd, t, strlen(t)) < 0 && errno != ESRCH)
			r = -errno;
	if (fd >= 0)
		close(fd);
	free(text);
	return r;
}

int bench_synced_write(const char *path, const char *text)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	int r = 0;

	if (fd < 0)
		return -errno;
	if (write(fd, text, strlen(text)) < 0 || fdatasync(fd) < 0)
		r = -errno;
	close(fd);
	return r;
}

/* ---- figures -------------------------------------------------------- */

int bench_series_init(struct bench_series *s, const char *name,
		      unsigned int cap)
{
	memset(s, 0, sizeof(*s));
	s->name = name;
	s->ms = calloc(cap ? cap : 1, sizeof(*s->ms));
	s->cap = cap;
	return s->ms ? 0 : -1;
}

void bench_series_add(struct bench_series *s, double ms)
{
	if (s->n < s->cap)
		s->ms[s->n++] = ms;
}

bool bench_series_stats(struct bench_series *s)
{
	return bench_stats(s->ms, s->n, &s->st) == 0;
}

void bench_series_free(struct bench_series *s)
{
	free(s->ms);
	s->ms = NULL;
	s->n = s->cap = 0;
}

void bench_row_header(const char *item)
{
	printf("%-24s %5s %11s %11s %11s %9s %s\n", "method", "runs",
	       "median ms", "p99 ms", "max ms", "us per", item);
}

void bench_row(struct bench_series *s, unsigned long items)
{
	if (!bench_series_stats(s)) {
		printf("%-24s     - (not run)\n", s->name);
		return;
	}
	printf("%-24s %5u %11.3f %11.3f %11.3f", s->name, s->n, s->st.median,
	       s->st.p99, s->st.max);
	if (items)
		printf(" %9.2f", s->st.median * 1e3 / (double)items);
	putchar('\n');
}

double bench_ratio(const char *label, struct bench_series *a,
		   struct bench_series *b, const char *goal)
{
	double x;

	if (!bench_series_stats(a) || !bench_series_stats(b) ||
	    b->st.median <= 0)
		return 0;
	x = a->st.median / b->st.median;
	printf("  %-36s %7.2fx", label, x);
	if (goal)
		printf("   (goal %s)", goal);
	putchar('\n');
	return x;
}
