/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* rtvm-guest auto: runnable real-time tasks per CPU (guest-auto.h). */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/perf_event.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "guest-auto.h"

/* ---- format files --------------------------------------------------------- */

static const char *const field_names[][GA_NR_FIELDS] = {
	[GA_SWITCH] = { "prev_pid", "prev_prio", "prev_state", "next_pid",
			"next_prio" },
	[GA_WAKEUP] = { "pid", "prio", "target_cpu" },
};

/* "field:int prev_prio;	offset:28;	size:4;	signed:1;" */
static int parse_field(const char *line, const char **ret_name,
		       size_t *ret_len, struct ga_field *ret)
{
	const char *semi = strchr(line, ';'), *end, *start;
	const char *o = strstr(line, "offset:"), *s = strstr(line, "size:"),
		   *g = strstr(line, "signed:");
	int sig;

	if (!semi || !o || !s || !g)
		return -EINVAL;
	end = semi;
	if (end > line && end[-1] == ']') /* char prev_comm[16] */
		while (end > line && *end != '[')
			end--;
	for (start = end; start > line && (start[-1] == '_' ||
		(start[-1] >= 'a' && start[-1] <= 'z') ||
		(start[-1] >= 'A' && start[-1] <= 'Z') ||
		(start[-1] >= '0' && start[-1] <= '9')); start--)
		;
	if (sscanf(o, "offset:%u", &ret->offset) != 1 ||
	    sscanf(s, "size:%u", &ret->size) != 1 ||
	    sscanf(g, "signed:%d", &sig) != 1)
		return -EINVAL;
	ret->is_signed = sig != 0;
	*ret_name = start;
	*ret_len = (size_t)(end - start);
	return 0;
}

int ga_format_parse(const char *text, enum ga_kind kind, struct ga_format *ret)
{
	struct ga_format f = { .kind = kind };
	unsigned int nr = kind == GA_SWITCH ? 5 : 3;
	bool have_id = false;

	if (!text || !ret || (kind != GA_SWITCH && kind != GA_WAKEUP))
		return -EINVAL;
	for (const char *p = text; *p;) {
		size_t n = strcspn(p, "\n"), len;
		char line[512];
		const char *name, *l = line;
		struct ga_field fd;

		/* one line at a time, so that a search stays in it */
		snprintf(line, sizeof(line), "%.*s", (int)n, p);
		p += n + (p[n] == '\n');
		l += strspn(l, " \t");
		if (strncmp(l, "ID:", 3) == 0)
			have_id = sscanf(l, "ID: %u", &f.id) == 1;
		else if (strncmp(l, "field:", 6) == 0 &&
			 parse_field(l + 6, &name, &len, &fd) == 0)
			for (unsigned int i = 0; i < nr; i++)
				if (strlen(field_names[kind][i]) == len &&
				    strncmp(name, field_names[kind][i], len) == 0)
					f.f[i] = fd;
	}
	if (!have_id)
		return -EINVAL;
	for (unsigned int i = 0; i < nr; i++) {
		unsigned int sz = f.f[i].size;

		if (sz != 1 && sz != 2 && sz != 4 && sz != 8)
			return -EINVAL;
	}
	*ret = f;
	return 0;
}

/* ---- samples -------------------------------------------------------------- */

static int64_t get_field(const uint8_t *raw, const struct ga_field *f)
{
	uint8_t u8;
	uint16_t u16;
	uint32_t u32;
	uint64_t u64 = 0;

	switch (f->size) {
	case 1:
		memcpy(&u8, raw + f->offset, 1);
		return f->is_signed ? (int64_t)(int8_t)u8 : (int64_t)u8;
	case 2:
		memcpy(&u16, raw + f->offset, 2);
		return f->is_signed ? (int64_t)(int16_t)u16 : (int64_t)u16;
	case 4:
		memcpy(&u32, raw + f->offset, 4);
		return f->is_signed ? (int64_t)(int32_t)u32 : (int64_t)u32;
	default:
		memcpy(&u64, raw + f->offset, 8);
		return (int64_t)u64;
	}
}

int ga_decode(const struct ga_format *fmt, size_t nr_fmt, const void *body,
	      size_t len, struct ga_record *ret)
{
	const uint8_t *p = body;
	uint64_t time;
	uint32_t cpu, size;
	uint16_t type;

	if (len < 20)
		return -EBADMSG;
	memcpy(&time, p, 8);
	memcpy(&cpu, p + 8, 4);
	memcpy(&size, p + 16, 4);
	if (size > len - 20 || size < 2)
		return -EBADMSG;
	p += 20;
	memcpy(&type, p, 2);
	for (size_t i = 0; i < nr_fmt; i++) {
		const struct ga_format *f = &fmt[i];
		struct ga_record r = { .time_ns = (int64_t)time, .cpu = cpu,
				       .kind = f->kind };

		if (f->id != type)
			continue;
		for (unsigned int k = 0; k < GA_NR_FIELDS; k++) {
			if (!f->f[k].size)
				continue;
			if (f->f[k].offset + f->f[k].size > size)
				return -EBADMSG;
			r.v[k] = get_field(p, &f->f[k]);
		}
		*ret = r;
		return 0;
	}
	return -EBADMSG;
}

/* ---- the runnable sets ---------------------------------------------------- */

/* What is known of an RT task: where it is runnable, if it is, and the
 * time of the record that said so.  Blocked tasks stay a while, so that
 * a record older than the one that blocked them is passed over. */
struct ga_task {
	int64_t pid;
	unsigned int cpu;
	bool runnable;
	int64_t time;
};

struct ga_cpu {
	unsigned int nr;   /* runnable RT tasks */
	bool boosted;      /* what was last asked */
	bool held;         /* refused: not again until the set has emptied */
	int64_t empty_at;  /* when nr last became 0 */
};

struct ga {
	unsigned int nr_cpus;
	int64_t hysteresis;
	int64_t latest;
	struct ga_cpu *cpu;
	struct ga_task *task;
	size_t nr_tasks, cap;
};

/* A blocked task is forgotten this long after its last record: far more
 * than the records of one read of the rings can be apart. */
#define GA_FORGET_NS 1000000000LL

int ga_new(unsigned int nr_cpus, int64_t hysteresis_ns, struct ga **ret)
{
	struct ga *a;

	if (!nr_cpus || hysteresis_ns < 0 || !ret)
		return -EINVAL;
	a = calloc(1, sizeof(*a));
	if (!a || !(a->cpu = calloc(nr_cpus, sizeof(*a->cpu)))) {
		free(a);
		return -ENOMEM;
	}
	a->nr_cpus = nr_cpus;
	a->hysteresis = hysteresis_ns;
	*ret = a;
	return 0;
}

void ga_free(struct ga *a)
{
	if (a) {
		free(a->cpu);
		free(a->task);
		free(a);
	}
}

static void forget_old(struct ga *a)
{
	size_t n = 0;

	for (size_t i = 0; i < a->nr_tasks; i++)
		if (a->task[i].runnable ||
		    a->latest - a->task[i].time < GA_FORGET_NS)
			a->task[n++] = a->task[i];
	a->nr_tasks = n;
}

static struct ga_task *find_task(struct ga *a, int64_t pid, bool add)
{
	struct ga_task *t;

	for (size_t i = 0; i < a->nr_tasks; i++)
		if (a->task[i].pid == pid)
			return &a->task[i];
	if (!add)
		return NULL;
	if (a->nr_tasks == a->cap)
		forget_old(a);
	if (a->nr_tasks == a->cap) {
		size_t cap = a->cap ? a->cap * 2 : 64;
		struct ga_task *n = realloc(a->task, cap * sizeof(*n));

		if (!n)
			return NULL; /* the task goes unseen */
		a->task = n;
		a->cap = cap;
	}
	t = &a->task[a->nr_tasks++];
	*t = (struct ga_task){ .pid = pid, .time = INT64_MIN };
	return t;
}

static void set_runnable(struct ga *a, struct ga_task *t, bool runnable,
			 unsigned int cpu, int64_t time)
{
	if (t->runnable && --a->cpu[t->cpu].nr == 0) {
		a->cpu[t->cpu].empty_at = time;
		a->cpu[t->cpu].held = false;
	}
	t->runnable = runnable;
	t->cpu = cpu;
	t->time = time;
	if (runnable)
		a->cpu[cpu].nr++;
}

/* A record says that @pid is (or is not) a runnable RT task on @cpu. */
static void note(struct ga *a, int64_t pid, bool rt_runnable, unsigned int cpu,
		 int64_t time)
{
	struct ga_task *t;

	if (pid <= 0) /* the idle task */
		return;
	t = find_task(a, pid, rt_runnable);
	if (t && time >= t->time)
		set_runnable(a, t, rt_runnable, cpu, time);
}

void ga_feed(struct ga *a, const struct ga_record *r)
{
	if (!a || !r || r->cpu >= a->nr_cpus)
		return;
	if (r->time_ns > a->latest)
		a->latest = r->time_ns;
	if (r->kind == GA_WAKEUP) {
		if (r->v[GA_TARGET_CPU] >= 0 &&
		    r->v[GA_TARGET_CPU] < (int64_t)a->nr_cpus)
			note(a, r->v[GA_PID], r->v[GA_PRIO] < GA_RT_PRIO,
			     (unsigned int)r->v[GA_TARGET_CPU], r->time_ns);
		return;
	}
	/* A task switched out in state R (with or without the preemption
	 * flag above the state bits) is still runnable. */
	note(a, r->v[GA_PREV_PID], r->v[GA_PREV_PRIO] < GA_RT_PRIO &&
	     (r->v[GA_PREV_STATE] & 0xff) == 0, r->cpu, r->time_ns);
	note(a, r->v[GA_NEXT_PID], r->v[GA_NEXT_PRIO] < GA_RT_PRIO, r->cpu,
	     r->time_ns);
	/* A CPU going idle has nothing runnable: whatever is still counted
	 * there came from a lost or superseded record. */
	if (r->v[GA_NEXT_PID] == 0)
		for (size_t i = 0; i < a->nr_tasks; i++) {
			struct ga_task *t = &a->task[i];

			if (t->runnable && t->cpu == r->cpu && t->time <= r->time_ns)
				set_runnable(a, t, false, r->cpu, r->time_ns);
		}
}

unsigned int ga_runnable(const struct ga *a, unsigned int cpu)
{
	return a && cpu < a->nr_cpus ? a->cpu[cpu].nr : 0;
}

bool ga_boosted(const struct ga *a, unsigned int cpu)
{
	return a && cpu < a->nr_cpus && a->cpu[cpu].boosted;
}

int ga_action(const struct ga *a, unsigned int cpu, int64_t now)
{
	const struct ga_cpu *c;

	if (!a || cpu >= a->nr_cpus)
		return -1;
	c = &a->cpu[cpu];
	if (c->nr && !c->boosted && !c->held)
		return 1;
	if (!c->nr && c->boosted && now - c->empty_at >= a->hysteresis)
		return 0;
	return -1;
}

void ga_sent(struct ga *a, unsigned int cpu, bool boosted)
{
	if (a && cpu < a->nr_cpus)
		a->cpu[cpu].boosted = boosted;
}

void ga_host_ended(struct ga *a, unsigned int cpu, bool again)
{
	if (!a || cpu >= a->nr_cpus)
		return;
	a->cpu[cpu].boosted = false;
	a->cpu[cpu].held = !again && a->cpu[cpu].nr;
}

int64_t ga_next_due(const struct ga *a)
{
	int64_t due = INT64_MAX;

	for (unsigned int i = 0; a && i < a->nr_cpus; i++)
		if (a->cpu[i].boosted && !a->cpu[i].nr &&
		    a->cpu[i].empty_at + a->hysteresis < due)
			due = a->cpu[i].empty_at + a->hysteresis;
	return due;
}

/* ---- the kernel's own view of a task --------------------------------------- */

void ga_observe(struct ga *a, int64_t pid, bool rt_runnable, unsigned int cpu,
		int64_t time)
{
	if (!a || cpu >= a->nr_cpus)
		return;
	if (time > a->latest)
		a->latest = time;
	note(a, pid, rt_runnable, cpu, time);
}

size_t ga_counted(const struct ga *a, int64_t *pids, size_t max)
{
	size_t n = 0;

	for (size_t i = 0; a && i < a->nr_tasks; i++)
		if (a->task[i].runnable) {
			if (n < max)
				pids[n] = a->task[i].pid;
			n++;
		}
	return n;
}

int ga_parse_stat(const char *text, bool *ret_rt_runnable,
		  unsigned int *ret_cpu)
{
	/* "pid (comm) S ppid ...": the name may hold anything, ')' too */
	const char *p = text ? strrchr(text, ')') : NULL;
	unsigned long cpu = 0, policy = 0;
	char state;
	int field;

	if (!p || p[1] != ' ' || !p[2])
		return -EBADMSG;
	state = p[2];
	p += 3;
	/* field 3 is the state; the CPU is field 39, the policy field 41 */
	for (field = 4; field <= 41; field++) {
		char *end;
		unsigned long v;

		if (*p != ' ')
			return -EBADMSG;
		p++;
		errno = 0;
		v = strtoul(p, &end, 10);
		if (end == p || errno) {
			/* negative fields (priority, nice) come before both */
			if (*p == '-' && field < 39) {
				(void)strtol(p, &end, 10);
				if (end == p + 1)
					return -EBADMSG;
			} else {
				return -EBADMSG;
			}
		}
		if (field == 39)
			cpu = v;
		else if (field == 41)
			policy = v;
		p = end;
	}
	if (cpu > UINT32_MAX)
		return -EBADMSG;
	/* 1 SCHED_FIFO, 2 SCHED_RR, 6 SCHED_DEADLINE */
	*ret_rt_runnable = state == 'R' &&
			   (policy == 1 || policy == 2 || policy == 6);
	*ret_cpu = (unsigned int)cpu;
	return 0;
}

int ga_task_state(const char *proc, int64_t pid, bool *ret_rt_runnable,
		  unsigned int *ret_cpu)
{
	char path[4200], text[1024];
	ssize_t n;
	int fd;

	if (!proc || pid <= 0)
		return -EINVAL;
	/* /proc/TID works for any thread, listed or not */
	snprintf(path, sizeof(path), "%s/%lld/stat", proc, (long long)pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	n = read(fd, text, sizeof(text) - 1);
	if (n < 0) {
		int r = -errno;

		close(fd);
		return r == -ESRCH ? -ENOENT : r;
	}
	close(fd);
	text[n] = '\0';
	return ga_parse_stat(text, ret_rt_runnable, ret_cpu);
}

static bool all_digits(const char *s)
{
	if (!*s)
		return false;
	for (; *s; s++)
		if (*s < '0' || *s > '9')
			return false;
	return true;
}

int ga_scan(struct ga *a, const char *proc, int64_t time)
{
	struct dirent *e;
	DIR *d;

	if (!a || !proc)
		return -EINVAL;
	if (!(d = opendir(proc)))
		return -errno;
	while ((e = readdir(d))) {
		char dir[4200];
		struct dirent *t;
		DIR *td;

		if (!all_digits(e->d_name))
			continue;
		snprintf(dir, sizeof(dir), "%s/%s/task", proc, e->d_name);
		if (!(td = opendir(dir)))
			continue; /* gone meanwhile */
		while ((t = readdir(td))) {
			int64_t tid;
			bool rt;
			unsigned int cpu;

			if (!all_digits(t->d_name))
				continue;
			tid = strtoll(t->d_name, NULL, 10);
			/* only what is runnable: a blocked task is not news */
			if (ga_task_state(proc, tid, &rt, &cpu) == 0 && rt)
				ga_observe(a, tid, true, cpu, time);
		}
		closedir(td);
	}
	closedir(d);
	return 0;
}

void ga_recheck(struct ga *a, const char *proc, int64_t time)
{
	/* A copy: ga_observe() may grow the task table under the loop. */
	size_t n = ga_counted(a, NULL, 0);
	int64_t *pids = n ? malloc(n * sizeof(*pids)) : NULL;

	if (!pids)
		return; /* nothing counted, or no memory: the next round */
	ga_counted(a, pids, n);
	for (size_t i = 0; i < n; i++) {
		struct ga_task *t = find_task(a, pids[i], false);
		bool rt = false;
		unsigned int cpu = t ? t->cpu : 0;
		int r = ga_task_state(proc, pids[i], &rt, &cpu);

		/* gone (or no task's stat): it runs nothing; another error
		 * says nothing of it */
		if (r < 0 && r != -ENOENT && r != -ESRCH && r != -EBADMSG)
			continue;
		ga_observe(a, pids[i], r == 0 && rt, cpu, time);
	}
	free(pids);
}

/* ---- tracefs -------------------------------------------------------------- */

static bool has_sched_events(const char *dir)
{
	char p[4200];

	snprintf(p, sizeof(p), "%s/events/sched/sched_switch/format", dir);
	return access(p, R_OK) == 0;
}

int ga_tracefs_find(const char *given, bool mount_it, char *path, size_t size,
		    bool *ret_mounted)
{
	static const char *const known[] = { "/sys/kernel/tracing",
					     "/sys/kernel/debug/tracing" };

	*ret_mounted = false;
	if (given) {
		if (!has_sched_events(given))
			return -ENOENT;
		snprintf(path, size, "%s", given);
		return 0;
	}
	for (size_t i = 0; i < sizeof(known) / sizeof(known[0]); i++)
		if (has_sched_events(known[i])) {
			snprintf(path, size, "%s", known[i]);
			return 0;
		}
	if (!mount_it)
		return -ENOENT;
	if (mount("nodev", known[0], "tracefs", 0, NULL) < 0)
		return -errno;
	*ret_mounted = true;
	if (!has_sched_events(known[0]))
		return -ENOENT; /* the caller unmounts */
	snprintf(path, size, "%s", known[0]);
	return 0;
}

/* ---- perf events ---------------------------------------------------------- */

struct ga_ring {
	int fd; /* the event the ring belongs to; the others write into it */
	struct perf_event_mmap_page *meta;
	size_t map_size;
};

struct ga_trace {
	unsigned int nr_cpus, nr_fmt;
	size_t data_size;
	struct ga_format fmt[3];
	struct ga_ring *ring;
	int *fds; /* every event, for close */
	size_t nr_fds;
	struct ga_record *rec;
	size_t nr_rec, cap_rec;
	unsigned long seq;
	uint8_t *tmp;
};

static int read_format(const char *tracefs, const char *event,
		       enum ga_kind kind, struct ga_format *ret)
{
	char path[4200], text[8192];
	ssize_t n;
	int fd, r;

	snprintf(path, sizeof(path), "%s/events/sched/%s/format", tracefs, event);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	n = read(fd, text, sizeof(text) - 1);
	r = n < 0 ? -errno : 0;
	close(fd);
	if (r < 0)
		return r;
	text[n] = '\0';
	return ga_format_parse(text, kind, ret);
}

static int open_event(struct ga_trace *t, const struct ga_format *f,
		      unsigned int cpu, bool wake, const char *filter,
		      int group)
{
	struct perf_event_attr attr = {
		.type = PERF_TYPE_TRACEPOINT,
		.size = sizeof(attr),
		.config = f->id,
		.sample_period = 1,
		.sample_type = PERF_SAMPLE_TIME | PERF_SAMPLE_CPU |
			       PERF_SAMPLE_RAW,
		.disabled = 1,
		.wakeup_events = wake ? 1 : 0,
		.use_clockid = 1,
		.clockid = CLOCK_MONOTONIC,
	};
	int fd = (int)syscall(SYS_perf_event_open, &attr, -1, (int)cpu, -1,
			      PERF_FLAG_FD_CLOEXEC);

	if (fd < 0)
		return -errno;
	t->fds[t->nr_fds++] = fd;
	if (ioctl(fd, PERF_EVENT_IOC_SET_FILTER, filter) < 0 ||
	    (group >= 0 && ioctl(fd, PERF_EVENT_IOC_SET_OUTPUT, group) < 0))
		return -errno;
	return fd;
}

int ga_trace_open(const char *tracefs, unsigned int nr_cpus, pid_t self,
		  unsigned int pages, struct ga_trace **ret,
		  const char **ret_what)
{
	size_t page = (size_t)sysconf(_SC_PAGESIZE);
	char rt[160], other[] = "prev_prio >= 100 && next_prio >= 100",
	     woken[80];
	struct ga_trace *t;
	int r;

	*ret_what = "arguments";
	if (!nr_cpus || !pages || (pages & (pages - 1)))
		return -EINVAL;
	t = calloc(1, sizeof(*t));
	if (!t)
		return -ENOMEM;
	t->nr_cpus = nr_cpus;
	t->data_size = pages * page;
	t->ring = calloc(nr_cpus, sizeof(*t->ring));
	t->fds = calloc(nr_cpus * 4, sizeof(*t->fds));
	t->tmp = malloc(65536); /* a record's size is a u16 */
	r = -ENOMEM;
	if (!t->ring || !t->fds || !t->tmp)
		goto fail;
	*ret_what = "events/sched/sched_switch/format";
	if ((r = read_format(tracefs, "sched_switch", GA_SWITCH, &t->fmt[0])) < 0)
		goto fail;
	*ret_what = "events/sched/sched_wakeup/format";
	if ((r = read_format(tracefs, "sched_wakeup", GA_WAKEUP, &t->fmt[1])) < 0)
		goto fail;
	/* wakeup_new (a forked RT task's first wakeup) where the kernel has it */
	t->nr_fmt = read_format(tracefs, "sched_wakeup_new", GA_WAKEUP,
				&t->fmt[2]) == 0 ? 3 : 2;
	/* Waking on RT records only; a CPU's other switches are read along
	 * (they tell when RT tasks are gone: idle, a lowered policy).  Run
	 * at an RT policy itself, this program would wake itself for ever:
	 * it is no RT task here, but the other side of its switches is. */
	snprintf(rt, sizeof(rt), "(prev_prio < 100 && prev_pid != %d) || "
		 "(next_prio < 100 && next_pid != %d)", (int)self, (int)self);
	snprintf(woken, sizeof(woken), "prio < 100 && pid != %d", (int)self);
	for (unsigned int c = 0; c < nr_cpus; c++) {
		struct ga_ring *g = &t->ring[c];
		int fd;

		g->fd = -1;
		*ret_what = "perf_event_open(sched:sched_switch)";
		fd = open_event(t, &t->fmt[0], c, true, rt, -1);
		if (fd == -ENODEV)
			continue; /* an offline CPU: nothing runs there */
		if (fd < 0) {
			r = fd;
			goto fail;
		}
		g->fd = fd;
		g->map_size = page + t->data_size;
		*ret_what = "mmap of the perf ring buffer";
		g->meta = mmap(NULL, g->map_size, PROT_READ | PROT_WRITE,
			       MAP_SHARED, fd, 0);
		if (g->meta == MAP_FAILED) {
			g->meta = NULL;
			r = -errno;
			goto fail;
		}
		*ret_what = "perf_event_open(sched:sched_switch), other tasks";
		if ((r = open_event(t, &t->fmt[0], c, false, other, fd)) < 0)
			goto fail;
		for (unsigned int k = 1; k < t->nr_fmt; k++) {
			*ret_what = "perf_event_open(sched:sched_wakeup)";
			if ((r = open_event(t, &t->fmt[k], c, true, woken, fd)) < 0)
				goto fail;
		}
	}
	*ret_what = "PERF_EVENT_IOC_ENABLE";
	for (size_t i = 0; i < t->nr_fds; i++)
		if (ioctl(t->fds[i], PERF_EVENT_IOC_ENABLE, 0) < 0) {
			r = -errno;
			goto fail;
		}
	*ret = t;
	return 0;
fail:
	ga_trace_close(t);
	return r;
}

void ga_trace_close(struct ga_trace *t)
{
	if (!t)
		return;
	for (unsigned int c = 0; t->ring && c < t->nr_cpus; c++)
		if (t->ring[c].meta)
			munmap(t->ring[c].meta, t->ring[c].map_size);
	for (size_t i = 0; i < t->nr_fds; i++)
		close(t->fds[i]);
	free(t->ring);
	free(t->fds);
	free(t->rec);
	free(t->tmp);
	free(t);
}

int ga_trace_fd(const struct ga_trace *t, unsigned int i)
{
	return i < t->nr_cpus ? t->ring[i].fd : -EINVAL;
}

static int by_time(const void *x, const void *y)
{
	const struct ga_record *a = x, *b = y;

	if (a->time_ns != b->time_ns)
		return a->time_ns < b->time_ns ? -1 : 1;
	return (a->seq > b->seq) - (a->seq < b->seq);
}

static int add_record(struct ga_trace *t, const void *body, size_t len)
{
	struct ga_record r;

	if (ga_decode(t->fmt, t->nr_fmt, body, len, &r) < 0)
		return 0; /* not ours: passed over */
	if (t->nr_rec == t->cap_rec) {
		size_t cap = t->cap_rec ? t->cap_rec * 2 : 256;
		struct ga_record *n = realloc(t->rec, cap * sizeof(*n));

		if (!n)
			return -ENOMEM;
		t->rec = n;
		t->cap_rec = cap;
	}
	r.seq = t->seq++;
	t->rec[t->nr_rec++] = r;
	return 0;
}

int ga_trace_read(struct ga_trace *t, const struct ga_record **ret,
		  size_t *ret_nr, uint64_t *ret_lost)
{
	int r = 0;

	t->nr_rec = 0;
	for (unsigned int c = 0; c < t->nr_cpus; c++) {
		struct perf_event_mmap_page *m = t->ring[c].meta;
		const uint8_t *data;
		uint64_t size, head, tail;

		if (!m)
			continue;
		data = (const uint8_t *)m + m->data_offset;
		size = m->data_size ? m->data_size : t->data_size;
		head = __atomic_load_n(&m->data_head, __ATOMIC_ACQUIRE);
		tail = m->data_tail;

		while (tail < head && r == 0) {
			struct perf_event_header h;
			uint64_t off = tail % size;
			const uint8_t *rec = data + off;

			if (off + sizeof(h) <= size) {
				memcpy(&h, rec, sizeof(h));
			} else {
				memcpy(t->tmp, rec, size - off);
				memcpy(t->tmp + (size - off), data, sizeof(h) - (size - off));
				memcpy(&h, t->tmp, sizeof(h));
			}
			if (h.size < sizeof(h) || h.size > head - tail)
				break;
			if (off + h.size > size) { /* wrapped: copy it whole */
				memcpy(t->tmp, rec, size - off);
				memcpy(t->tmp + (size - off), data, h.size - (size - off));
				rec = t->tmp;
			}
			if (h.type == PERF_RECORD_SAMPLE) {
				r = add_record(t, rec + sizeof(h), h.size - sizeof(h));
			} else if (h.type == PERF_RECORD_LOST &&
				   h.size >= sizeof(h) + 16) {
				uint64_t lost;

				memcpy(&lost, rec + sizeof(h) + 8, 8);
				*ret_lost += lost;
			}
			tail += h.size;
		}
		__atomic_store_n(&m->data_tail, tail, __ATOMIC_RELEASE);
	}
	qsort(t->rec, t->nr_rec, sizeof(*t->rec), by_time);
	*ret = t->rec;
	*ret_nr = t->nr_rec;
	return r;
}
