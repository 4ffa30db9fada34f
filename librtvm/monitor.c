/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The VM monitor: per-thread scheduling figures of VMs, what landed on
 * their RT CPUs, per interval.
 *
 * Per thread a sample reads three small procfs files through descriptors
 * kept open since the thread was first seen: schedstat (CPU time, run
 * delay, timeslices), stat (the CPU it ran on, policy, priority) and
 * status (context switches), and sched where the kernel has it
 * (CONFIG_SCHED_DEBUG: the migrations).  A descriptor of procfs stays
 * bound to its thread: once the thread exits it reads ESRCH, even when the
 * tid is reused, so an exit is never mistaken for a counter reset.  The
 * VM's thread list is read again only when that happens or when the task
 * directory's link count (procfs: 2 + the threads) changes.  A sysroot's
 * files are opened afresh at every sample, since a fixture replaces them.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "librtvm-private.h"

enum { F_SCHEDSTAT, F_STAT, F_STATUS, F_SCHED, F_NR };
static const char *const file_names[F_NR] = {
	"schedstat", "stat", "status", "sched",
};

/* The raw, cumulative values of one read. */
struct counters {
	uint64_t cpu, wait, slices; /* schedstat */
	uint64_t vol, invol;	    /* status */
	uint64_t migrations;	    /* sched */
	struct rtvm_delays d;
};

struct mthread {
	pid_t tid;
	int role, index;
	unsigned long long start;
	char *name;
	int fd[F_NR];	  /* -1: not open; -2: the kernel has no such file */
	bool fresh;
	unsigned int have;
	struct rtvm_stat st;
	struct counters last, delta;
	long long rt_runtime, rt_period; /* RTVM_MONITOR_HAVE_RT_LIMIT */
};

struct mvm {
	unsigned int id;
	struct rtvm_vm *vm;
	struct rtvm_cpumask *rt;
	int taskfd;	  /* the process's task directory */
	nlink_t nlink;
	bool rescan;	  /* read the thread list at the next sample */
	unsigned int flags, exited, fresh;
	struct mthread *th;
	unsigned int nth;
	int kvmfd;	  /* KVM's debugfs directory of the VM, or -1 */
	unsigned int kvm_vmfd; /* the VM's fd in the VMM, which names it */
	bool kvm_fresh;	  /* a VM not read before: no interval yet */
	uint64_t kvm_last[RTVM_MONITOR_KVM_NR], kvm[RTVM_MONITOR_KVM_NR];
};

/* Per CPU: the raw fields of proc's stat (ticks) and the interrupt
 * counts. */
enum { T_USER, T_NICE, T_SYSTEM, T_IDLE, T_IOWAIT, T_IRQ, T_SOFTIRQ,
       T_STEAL, T_GUEST, T_NR };
enum { I_DEVICE, I_LOC, I_RES, I_CAL, I_TLB, I_OTHER, I_NR };
struct mcpu {
	unsigned int cpu;
	uint64_t t[T_NR], irq[I_NR];
	uint64_t smi;  /* MSR 0x34 when smi_err is 0 */
	int smi_err;
	struct rtvm_monitor_cpu out;
};

#define MSR_SMI_COUNT 0x34

/* A thread of the last scan for intruders. */
struct seen {
	pid_t tid;
	unsigned long long start, ticks;
};

struct intruder {
	struct rtvm_monitor_intruder out;
	char name[64];
};

struct rtvm_monitor {
	struct rtvm_ctx *ctx;
	unsigned int flags;
	bool sysroot;
	struct mvm *vms;
	unsigned int nvms, next_id;
	unsigned int samples;
	uint64_t t_last, interval, cost;
	uint64_t ns_per_tick;
	struct mcpu *cpus;
	unsigned int ncpus;
	struct seen *seen;
	size_t nseen;
	struct intruder *intr;
	size_t nintr;
	struct rtvm_taskstats *ts;
	int delayacct;
};

/* ---- helpers ------------------------------------------------------------ */

static uint64_t now_ns(clockid_t clk)
{
	struct timespec ts;

	clock_gettime(clk, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static uint64_t delta(uint64_t now, uint64_t last)
{
	return now >= last ? now - last : 0;
}

/* The next unsigned decimal of @*p after blanks; -EBADMSG if none. */
static int next_u64(const char **p, uint64_t *ret)
{
	const char *s = *p;
	char *end;

	while (*s == ' ' || *s == '\t')
		s++;
	if (*s < '0' || *s > '9')
		return -EBADMSG;
	errno = 0;
	*ret = strtoull(s, &end, 10);
	if (errno)
		return -ERANGE;
	if (*end && *end != ' ' && *end != '\t' && *end != '\n')
		return -EBADMSG;
	*p = end;
	return 0;
}

/* The value of "KEY:<blanks>N" at the start of a line of @text. */
static int keyed_u64(const char *text, const char *key, uint64_t *ret)
{
	size_t klen = strlen(key);

	for (const char *l = text; l; l = strchr(l, '\n'), l = l ? l + 1 : l) {
		const char *p;

		if (strncmp(l, key, klen) != 0)
			continue;
		p = l + klen;
		while (*p == ' ' || *p == '\t')
			p++;
		if (*p != ':')
			continue;
		p++;
		return next_u64(&p, ret);
	}
	return -ENOENT;
}

/* ---- one thread --------------------------------------------------------- */

static void thread_close(struct mthread *t)
{
	for (int f = 0; f < F_NR; f++)
		if (t->fd[f] >= 0)
			close(t->fd[f]);
	free(t->name);
}

/* Read file @f of thread @t into @buf: the length, -ESRCH when the thread
 * is gone, -ENOENT when the kernel has no such file. */
static int thread_read(struct rtvm_monitor *m, struct mvm *v,
		       struct mthread *t, int f, char *buf, size_t size)
{
	pid_t pid = rtvm_vm_get_pid(v->vm);
	int r;

	if (t->fd[f] == -2)
		return -ENOENT;
	if (t->fd[f] < 0) {
		r = rtvm_fs_open_file(m->ctx, RTVM_FS_PROC, "%d/task/%d/%s",
				      (int)pid, (int)t->tid, file_names[f]);
		if (r == -ENOENT) {
			/* The thread's directory gone, or a kernel without
			 * the file: stat tells which. */
			if (f == F_STAT)
				return -ESRCH;
			t->fd[f] = -2;
			return -ENOENT;
		}
		if (r < 0)
			return r;
		t->fd[f] = r;
	}
	r = rtvm_fs_pread(t->fd[f], buf, size);
	if (m->sysroot) {
		close(t->fd[f]);
		t->fd[f] = -1;
	}
	if (r == -EOVERFLOW)
		err(m->ctx, "%s/%d/task/%d/%s is longer than %zu bytes, more "
		    "than the kernel writes there", rtvm_fs_top(RTVM_FS_PROC),
		    (int)pid, (int)t->tid, file_names[f], size - 1);
	return r;
}

static int bad_file(struct rtvm_monitor *m, struct mvm *v, struct mthread *t,
		    int f, const char *what)
{
	err(m->ctx, "%s/%d/task/%d/%s: %s", rtvm_fs_top(RTVM_FS_PROC),
	    (int)rtvm_vm_get_pid(v->vm), (int)t->tid, file_names[f], what);
	return -EBADMSG;
}

/* A whole number from a control file or sysctl; -EBADMSG otherwise. */
static int parse_ll(const char *text, long long *ret)
{
	char *end;

	errno = 0;
	*ret = strtoll(text, &end, 10);
	while (*end == '\n' || *end == ' ')
		end++;
	return errno || end == text || *end ? -EBADMSG : 0;
}

/* The RT runtime and period that apply to thread @id: its cpu cgroup's
 * where the kernel has RT group scheduling (cgroup v1 with
 * cpu.rt_runtime_us), else the host's sysctls.  -ESRCH when it is gone,
 * -EBADMSG (logged) for a value that is not a number. */
static int rt_limit(struct rtvm_monitor *m, struct rtvm_tid id,
		    long long *ret_runtime, long long *ret_period)
{
	char rt[32], period[32], *cg = NULL, *text = NULL;
	int r;

	r = rtvm_thread_cgroup(m->ctx, id, "cpu", &cg);
	if (r == -ESRCH)
		return r;
	if (r == 0 &&
	    rtvm_cgroup_read(m->ctx, "cpu", cg, "cpu.rt_runtime_us", rt,
			     sizeof(rt)) >= 0 &&
	    rtvm_cgroup_read(m->ctx, "cpu", cg, "cpu.rt_period_us", period,
			     sizeof(period)) >= 0) {
		r = parse_ll(rt, ret_runtime) < 0 ||
		    parse_ll(period, ret_period) < 0 ? -EBADMSG : 0;
		if (r < 0)
			err(m->ctx, "cpu cgroup %s: cpu.rt_runtime_us \"%s\" or "
			    "cpu.rt_period_us \"%s\" is not a number", cg, rt,
			    period);
		free(cg);
		return r;
	}
	free(cg);
	r = rtvm_sysctl_get(m->ctx, "kernel.sched_rt_runtime_us", &text);
	if (r == 0)
		r = parse_ll(text, ret_runtime);
	free(text);
	text = NULL;
	if (r == 0)
		r = rtvm_sysctl_get(m->ctx, "kernel.sched_rt_period_us", &text);
	if (r == 0)
		r = parse_ll(text, ret_period);
	free(text);
	if (r == -EBADMSG)
		err(m->ctx, "kernel.sched_rt_runtime_us or _period_us is not a "
		    "number");
	return r;
}

/* Whether the RT limit held thread @t back over an interval of @iv ns
 * (see struct rtvm_monitor_thread). */
static bool rt_throttled(const struct mthread *t, uint64_t iv)
{
	uint64_t taken, busy = t->delta.cpu + t->delta.wait;

	if (!(t->have & RTVM_MONITOR_HAVE_RT_LIMIT) || t->rt_runtime < 0 ||
	    t->rt_period <= t->rt_runtime || !iv || busy < iv / 100 * 99)
		return false;
	taken = (uint64_t)(t->rt_period - t->rt_runtime) * 1000;
	if (taken > iv)
		taken = iv;
	return t->delta.wait >= taken / 2;
}

static int thread_sample(struct rtvm_monitor *m, struct mvm *v,
			 struct mthread *t)
{
	struct rtvm_tid id = { rtvm_vm_get_pid(v->vm), t->tid };
	struct counters c = {0};
	unsigned int have = 0;
	char buf[4096];
	const char *p;
	int r;

	r = thread_read(m, v, t, F_STAT, buf, sizeof(buf));
	if (r < 0)
		return r;
	r = rtvm_stat_parse_log(m->ctx, id, buf, &t->st);
	if (r < 0)
		return r;

	r = thread_read(m, v, t, F_SCHEDSTAT, buf, sizeof(buf));
	if (r >= 0) {
		p = buf;
		if (next_u64(&p, &c.cpu) < 0 || next_u64(&p, &c.wait) < 0 ||
		    next_u64(&p, &c.slices) < 0 || *p)
			return bad_file(m, v, t, F_SCHEDSTAT,
					"not three numbers");
		have |= RTVM_MONITOR_HAVE_SCHEDSTAT;
	} else if (r != -ENOENT) {
		return r;
	}

	r = thread_read(m, v, t, F_STATUS, buf, sizeof(buf));
	if (r >= 0) {
		r = keyed_u64(buf, "voluntary_ctxt_switches", &c.vol);
		if (r == 0)
			r = keyed_u64(buf, "nonvoluntary_ctxt_switches",
				      &c.invol);
		if (r < 0)
			return bad_file(m, v, t, F_STATUS, "no context switch "
					"counts (voluntary_ctxt_switches, "
					"nonvoluntary_ctxt_switches)");
		have |= RTVM_MONITOR_HAVE_SWITCHES;
	} else if (r != -ENOENT && r != -EACCES && r != -EPERM) {
		return r;
	}

	r = thread_read(m, v, t, F_SCHED, buf, sizeof(buf));
	if (r >= 0) {
		if (keyed_u64(buf, "se.nr_migrations", &c.migrations) == 0)
			have |= RTVM_MONITOR_HAVE_MIGRATIONS;
	} else if (r != -ENOENT && r != -EACCES && r != -EPERM) {
		return r;
	}

	if ((m->flags & RTVM_MONITOR_RT_LIMIT) &&
	    (t->st.policy == SCHED_FIFO || t->st.policy == SCHED_RR)) {
		/* Unreadable (gone, no such sysctl): the limit is unknown. */
		r = rt_limit(m, id, &t->rt_runtime, &t->rt_period);
		if (r == 0)
			have |= RTVM_MONITOR_HAVE_RT_LIMIT;
		else if (r == -EBADMSG || r == -ENOMEM)
			return r;
	}

	if (m->ts) {
		r = rtvm_taskstats_query(m->ts, id, &c.d);
		if (r == 0)
			have |= RTVM_MONITOR_HAVE_DELAYS;
		else if (r != -EPERM)
			return r;
	}

	if (t->fresh) {
		memset(&t->delta, 0, sizeof(t->delta));
	} else {
		t->delta.cpu = delta(c.cpu, t->last.cpu);
		t->delta.wait = delta(c.wait, t->last.wait);
		t->delta.slices = delta(c.slices, t->last.slices);
		t->delta.vol = delta(c.vol, t->last.vol);
		t->delta.invol = delta(c.invol, t->last.invol);
		t->delta.migrations = delta(c.migrations, t->last.migrations);
		for (int k = 0; k < RTVM_MONITOR_DELAY_NR; k++) {
			t->delta.d.count[k] = delta(c.d.count[k],
						    t->last.d.count[k]);
			t->delta.d.ns[k] = delta(c.d.ns[k], t->last.d.ns[k]);
		}

	}
	t->last = c;
	t->have = have;
	return 0;
}

/* ---- one VM ------------------------------------------------------------- */

static int role_rank(int role)
{
	switch (role) {
	case RTVM_VM_ROLE_VCPU: return 0;
	case RTVM_VM_ROLE_EMULATOR: return 1;
	case RTVM_VM_ROLE_IOTHREAD: return 2;
	default: return 3;
	}
}

static int cmp_mthread(const void *a, const void *b)
{
	const struct mthread *x = a, *y = b;

	if (role_rank(x->role) != role_rank(y->role))
		return role_rank(x->role) - role_rank(y->role);
	if (x->role == RTVM_VM_ROLE_VCPU && x->index != y->index)
		return x->index < y->index ? -1 : 1;
	return x->tid < y->tid ? -1 : x->tid > y->tid;
}

static void vm_drop_kvm(struct mvm *v)
{
	if (v->kvmfd >= 0)
		close(v->kvmfd);
	v->kvmfd = -1;
}

/* KVM's counters of the VM over the interval; the debugfs directory is
 * looked for again whenever the VM's threads are. */
static int vm_sample_kvm(struct rtvm_monitor *m, struct mvm *v, bool rescan)
{
	uint64_t now[RTVM_MONITOR_KVM_NR];
	int r;

	if (rescan) {
		unsigned int vmfd = 0;

		vm_drop_kvm(v);
		r = rtvm_kvm_vm_dir(m->ctx, rtvm_vm_get_pid(v->vm), &vmfd);
		if (r < 0 && r != -ENOENT && r != -EACCES && r != -EPERM)
			return r;
		v->kvmfd = r < 0 ? -1 : r;
		if (r >= 0 && vmfd != v->kvm_vmfd)
			v->kvm_fresh = true;
		v->kvm_vmfd = vmfd;
	}
	memset(v->kvm, 0, sizeof(v->kvm));
	v->flags &= ~RTVM_MONITOR_VM_KVM;
	if (v->kvmfd < 0)
		return 0;
	r = rtvm_kvm_vm_read(m->ctx, v->kvmfd, now);
	if (r == -EPERM || r == -EACCES) {
		/* Some kernels keep KVM's debugfs files closed, root or
		 * not: no KVM figures for this VM, and no failed samples. */
		dbg(m->ctx, "KVM's debugfs statistics of pid %d: %s",
		    (int)rtvm_vm_get_pid(v->vm), strerror(-r));
		vm_drop_kvm(v);
		return 0;
	}
	if (r < 0)
		return r;
	for (int k = 0; !v->kvm_fresh && k < RTVM_MONITOR_KVM_NR; k++)
		v->kvm[k] = delta(now[k], v->kvm_last[k]);
	memcpy(v->kvm_last, now, sizeof(now));
	v->kvm_fresh = false;
	v->flags |= RTVM_MONITOR_VM_KVM;
	return 0;
}

static void vm_drop_threads(struct mvm *v)
{
	vm_drop_kvm(v);
	for (unsigned int i = 0; i < v->nth; i++)
		thread_close(&v->th[i]);
	free(v->th);
	v->th = NULL;
	v->nth = 0;
}

/* Take the VM's thread list again: threads kept keep their descriptors
 * and last values, new ones are fresh, the others are counted as exited. */
static int vm_rescan(struct mvm *v)
{
	const struct rtvm_vm_thread *vt;
	struct mthread *nth;
	unsigned int n = 0, kept = 0, i = 0;
	int r;

	r = rtvm_vm_refresh(v->vm, NULL);
	if (r == -ESRCH) {
		v->exited += v->nth;
		vm_drop_threads(v);
		v->flags = (v->flags & ~RTVM_MONITOR_VM_KVM) |
			   RTVM_MONITOR_VM_GONE;
		memset(v->kvm, 0, sizeof(v->kvm));
		return 0;
	}
	if (r < 0)
		return r;
	rtvm_vm_foreach_thread(vt, v->vm)
		n++;
	nth = calloc(n ? n : 1, sizeof(*nth));
	if (!nth)
		return -ENOMEM;
	rtvm_vm_foreach_thread(vt, v->vm) {
		struct mthread *t = &nth[i++], *old = NULL;
		pid_t tid = rtvm_vm_thread_get_tid(vt);
		unsigned long long start = rtvm_vm_thread_get_start(vt);

		for (unsigned int j = 0; j < v->nth; j++)
			if (v->th[j].tid == tid && v->th[j].start == start &&
			    v->th[j].name) {
				old = &v->th[j];
				break;
			}
		if (old) {
			*t = *old;
			old->name = NULL; /* moved */
			kept++;
		} else {
			t->tid = tid;
			t->start = start;
			t->fresh = true;
			for (int f = 0; f < F_NR; f++)
				t->fd[f] = -1;
		}
		free(t->name);
		t->name = strdup(rtvm_vm_thread_get_name(vt));
		t->role = rtvm_vm_thread_get_role(vt);
		t->index = rtvm_vm_thread_get_index(vt);
		if (t->index < 0)
			t->index = -1;
		if (!t->name) {
			for (unsigned int j = 0; j < i; j++)
				thread_close(&nth[j]);
			free(nth);
			return -ENOMEM;
		}
	}
	/* The old entries not moved: exited (or re-created). */
	for (unsigned int j = 0; j < v->nth; j++)
		if (v->th[j].name) {
			thread_close(&v->th[j]);
			v->exited++;
		}
	free(v->th);
	v->th = nth;
	v->nth = n;
	v->fresh += n - kept;
	if (n)
		qsort(v->th, n, sizeof(*v->th), cmp_mthread);
	return 0;
}

static bool vm_needs_rescan(struct rtvm_monitor *m, struct mvm *v)
{
	struct stat st;
	bool changed = true;

	if (v->taskfd >= 0 && fstat(v->taskfd, &st) == 0) {
		changed = st.st_nlink != v->nlink;
		v->nlink = st.st_nlink;
	}
	return changed || v->rescan || m->sysroot;
}

static int vm_sample(struct rtvm_monitor *m, struct mvm *v)
{
	unsigned int kept = 0;
	bool rescan;
	int r;

	v->exited = v->fresh = 0;
	if (v->flags & RTVM_MONITOR_VM_GONE)
		return 0;
	for (unsigned int i = 0; i < v->nth; i++)
		v->th[i].fresh = false;
	rescan = vm_needs_rescan(m, v);
	if (rescan) {
		v->rescan = false;
		r = vm_rescan(v);
		if (r < 0)
			return r;
		if (v->flags & RTVM_MONITOR_VM_GONE)
			return 0;
	}
	if (m->flags & RTVM_MONITOR_KVM) {
		r = vm_sample_kvm(m, v, rescan);
		if (r < 0)
			return r;
	}
	for (unsigned int i = 0; i < v->nth; i++) {
		r = thread_sample(m, v, &v->th[i]);
		if (r == -ESRCH) {
			/* Exited since the list was read: gone now, and the
			 * list is read again next time. */
			thread_close(&v->th[i]);
			v->exited++;
			v->fresh -= v->th[i].fresh;
			v->rescan = true;
			continue;
		}
		if (r < 0)
			return r;
		v->th[kept++] = v->th[i];
	}
	v->nth = kept;
	return 0;
}

/* ---- CPUs --------------------------------------------------------------- */

static struct mcpu *cpu_find(struct rtvm_monitor *m, unsigned int cpu)
{
	for (unsigned int i = 0; i < m->ncpus; i++)
		if (m->cpus[i].cpu == cpu)
			return &m->cpus[i];
	return NULL;
}

/* The per-CPU lines of proc's stat: the CPUs (in the order given, which
 * is ascending) and their times. */
static int read_proc_stat(struct rtvm_monitor *m, struct mcpu **ret,
			  unsigned int *ret_n)
{
	struct mcpu *cpus = NULL;
	unsigned int n = 0, alloc = 0;
	char *text = NULL, *line, *save = NULL;
	int r;

	r = rtvm_fs_read_alloc(m->ctx, RTVM_FS_PROC, &text, "stat");
	if (r < 0)
		return r;
	for (line = strtok_r(text, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save)) {
		const char *p = line + 3;
		struct mcpu c = {0};
		unsigned int cpu;
		uint64_t v;
		int k;

		if (strncmp(line, "cpu", 3) != 0 || line[3] == ' ')
			continue;
		if (next_u64(&p, &v) < 0 || v >= RTVM_CPUMASK_MAX_CPUS)
			goto bad;
		cpu = (unsigned int)v;
		/* user .. steal since 2.6.11; guest, guest_nice later */
		for (k = 0; k < T_NR && *p; k++)
			if (next_u64(&p, &c.t[k]) < 0)
				goto bad;
		if (k < T_STEAL + 1)
			goto bad;
		if (n && cpu <= cpus[n - 1].cpu)
			goto bad;
		c.cpu = cpu;
		if (n == alloc) {
			struct mcpu *nc;

			alloc = alloc ? 2 * alloc : 16;
			nc = realloc(cpus, alloc * sizeof(*cpus));
			if (!nc) {
				r = -ENOMEM;
				goto out;
			}
			cpus = nc;
		}
		cpus[n++] = c;
		continue;
bad:
		err(m->ctx, "%s/stat: a CPU line the kernel would not write: "
		    "\"%.60s\"", rtvm_fs_top(RTVM_FS_PROC), line);
		r = -EBADMSG;
		goto out;
	}
	r = 0;
	*ret = cpus;
	*ret_n = n;
	cpus = NULL;
out:
	free(cpus);
	free(text);
	return r;
}

static int count_irq(void *data, const struct rtvm_interrupts *in,
		     const struct rtvm_interrupts_line *l)
{
	struct rtvm_monitor *m = data;
	int kind = I_OTHER;

	if (l->nvals != in->ncols)
		return 0; /* ERR, MIS: no per-CPU counts */
	if (l->numbered)
		kind = I_DEVICE;
	else if (!strcmp(l->label, "LOC"))
		kind = I_LOC;
	else if (!strcmp(l->label, "RES"))
		kind = I_RES;
	else if (!strcmp(l->label, "CAL"))
		kind = I_CAL;
	else if (!strcmp(l->label, "TLB"))
		kind = I_TLB;
	for (unsigned int i = 0; i < in->ncols; i++) {
		struct mcpu *c = cpu_find(m, in->cols[i]);

		if (c)
			c->irq[kind] += l->vals[i];
	}
	return 0;
}

static bool is_rt_cpu(const struct rtvm_monitor *m, unsigned int cpu)
{
	for (unsigned int i = 0; i < m->nvms; i++)
		if (rtvm_cpumask_test(m->vms[i].rt, cpu))
			return true;
	return false;
}

static int cpus_sample(struct rtvm_monitor *m)
{
	struct rtvm_interrupts in = {0};
	struct mcpu *old = m->cpus, *cpus = NULL;
	unsigned int nold = m->ncpus, n = 0;
	char *text = NULL;
	int r;

	r = read_proc_stat(m, &cpus, &n);
	if (r < 0)
		return r;
	m->cpus = cpus;
	m->ncpus = n;
	r = rtvm_fs_read_alloc(m->ctx, RTVM_FS_PROC, &text, "interrupts");
	if (r >= 0)
		r = rtvm_interrupts_parse(m->ctx, text, &in, count_irq, m);
	free(text);
	rtvm_interrupts_done(&in);
	if (r < 0) {
		free(m->cpus);
		m->cpus = old;
		m->ncpus = nold;
		return r;
	}
	for (unsigned int i = 0; i < n; i++) {
		struct mcpu *c = &cpus[i], *o = NULL;
		struct rtvm_monitor_cpu *out = &c->out;
		uint64_t d[T_NR] = {0}, q[I_NR] = {0}, smis = 0;
		bool rt = is_rt_cpu(m, c->cpu);

		c->smi_err = -ENODATA;
		if (rt && (m->flags & RTVM_MONITOR_SMI))
			c->smi_err = rtvm_fs_read_msr(m->ctx, c->cpu,
						      MSR_SMI_COUNT, &c->smi);
		for (unsigned int j = 0; j < nold; j++)
			if (old[j].cpu == c->cpu)
				o = &old[j];
		if (o && m->samples) {
			for (int k = 0; k < T_NR; k++)
				d[k] = delta(c->t[k], o->t[k]) * m->ns_per_tick;
			for (int k = 0; k < I_NR; k++)
				q[k] = delta(c->irq[k], o->irq[k]);
			if (c->smi_err == 0 && o->smi_err == 0)
				smis = delta(c->smi, o->smi);
		}
		*out = (struct rtvm_monitor_cpu){
			.size = sizeof(*out),
			.cpu = c->cpu,
			.rt = rt,
			.smis = smis,
			.smi_error = c->smi_err,
			.user_ns = d[T_USER], .nice_ns = d[T_NICE],
			.system_ns = d[T_SYSTEM], .idle_ns = d[T_IDLE],
			.iowait_ns = d[T_IOWAIT], .irq_ns = d[T_IRQ],
			.softirq_ns = d[T_SOFTIRQ], .steal_ns = d[T_STEAL],
			.guest_ns = d[T_GUEST],
			.device_irqs = q[I_DEVICE], .local_timer = q[I_LOC],
			.resched = q[I_RES], .function_calls = q[I_CAL],
			.tlb_shootdowns = q[I_TLB], .other_irqs = q[I_OTHER],
		};
	}
	free(old);
	return 0;
}

/* ---- intruders ---------------------------------------------------------- */

static int cmp_seen(const void *a, const void *b)
{
	const struct seen *x = a, *y = b;

	return x->tid < y->tid ? -1 : x->tid > y->tid;
}

static int cmp_intruder(const void *a, const void *b)
{
	const struct intruder *x = a, *y = b;

	if (x->out.cpu_ns != y->out.cpu_ns)
		return x->out.cpu_ns > y->out.cpu_ns ? -1 : 1;
	return x->out.tid < y->out.tid ? -1 : x->out.tid > y->out.tid;
}

static bool is_vm_pid(const struct rtvm_monitor *m, pid_t pid)
{
	for (unsigned int i = 0; i < m->nvms; i++)
		if (rtvm_vm_get_pid(m->vms[i].vm) == pid)
			return true;
	return false;
}

struct scan {
	struct seen *seen;
	size_t nseen, aseen;
	struct intruder *intr;
	size_t nintr, aintr;
};

static int grow(void **p, size_t *alloc, size_t n, size_t size)
{
	void *np;

	if (n < *alloc)
		return 0;
	*alloc = *alloc ? 2 * *alloc : 256;
	np = realloc(*p, *alloc * size);
	if (!np)
		return -ENOMEM;
	*p = np;
	return 0;
}

static int scan_thread(struct rtvm_monitor *m, struct scan *s, pid_t pid,
		       pid_t tid, const struct rtvm_stat *st)
{
	struct seen key = { .tid = tid }, *prev;
	unsigned long long ticks = st->utime + st->stime, used;
	struct intruder *in;

	if (grow((void **)&s->seen, &s->aseen, s->nseen, sizeof(*s->seen)))
		return -ENOMEM;
	s->seen[s->nseen++] = (struct seen){ tid, st->start, ticks };
	if (!m->samples || st->last_cpu < 0 ||
	    !is_rt_cpu(m, (unsigned int)st->last_cpu) || is_vm_pid(m, pid))
		return 0;
	prev = m->nseen ? bsearch(&key, m->seen, m->nseen, sizeof(key),
				  cmp_seen) : NULL;
	if (prev && prev->start == st->start)
		used = ticks >= prev->ticks ? ticks - prev->ticks : 0;
	else
		used = ticks; /* started during the interval */
	if (!used)
		return 0;
	if (grow((void **)&s->intr, &s->aintr, s->nintr, sizeof(*s->intr)))
		return -ENOMEM;
	in = &s->intr[s->nintr++];
	memset(in, 0, sizeof(*in));
	snprintf(in->name, sizeof(in->name), "%s", st->comm);
	in->out = (struct rtvm_monitor_intruder){
		.size = sizeof(in->out),
		.pid = pid, .tid = tid,
		.cpu = st->last_cpu,
		.kthread = (st->flags & RTVM_PF_KTHREAD) != 0,
		.policy = st->policy,
		.priority = st->rt_priority,
		.cpu_ns = used * m->ns_per_tick,
	};
	return 0;
}

struct scan_ctx {
	struct rtvm_monitor *m;
	struct scan s;
};

static int scan_one(void *data, pid_t pid, pid_t tid, int taskfd,
		    const char *tidname)
{
	struct scan_ctx *sc = data;
	struct rtvm_stat st;
	char path[300], buf[1024];
	int n, r;

	snprintf(path, sizeof(path), "%s/stat", tidname);
	n = rtvm_fs_read_at(sc->m->ctx, taskfd, path, buf, sizeof(buf));
	if (n == -ENOENT || n == -ESRCH)
		return 0; /* exited meanwhile */
	if (n < 0)
		return n;
	r = rtvm_stat_parse_log(sc->m->ctx, (struct rtvm_tid){ pid, tid }, buf,
				&st);
	return r < 0 ? r : scan_thread(sc->m, &sc->s, pid, tid, &st);
}

static int intruders_sample(struct rtvm_monitor *m)
{
	struct scan_ctx sc = { .m = m };
	struct scan *s = &sc.s;
	int r;

	r = rtvm_proc_foreach_thread(m->ctx, scan_one, &sc);
	if (r < 0) {
		free(s->seen);
		free(s->intr);
		return r;
	}
	if (s->nseen)
		qsort(s->seen, s->nseen, sizeof(*s->seen), cmp_seen);
	if (s->nintr)
		qsort(s->intr, s->nintr, sizeof(*s->intr), cmp_intruder);
	for (size_t i = 0; i < s->nintr; i++)
		s->intr[i].out.name = s->intr[i].name;
	free(m->seen);
	free(m->intr);
	m->seen = s->seen;
	m->nseen = s->nseen;
	m->intr = s->intr;
	m->nintr = s->nintr;
	return 0;
}

/* ---- the sampler -------------------------------------------------------- */

RTVM_EXPORT int rtvm_monitor_new(struct rtvm_ctx *ctx, unsigned int flags,
				 struct rtvm_monitor **ret)
{
	struct rtvm_monitor *m;
	long hz = sysconf(_SC_CLK_TCK);
	int r;

	if (!ctx || !ret ||
	    (flags & ~(RTVM_MONITOR_CPUS | RTVM_MONITOR_INTRUDERS |
		       RTVM_MONITOR_SMI | RTVM_MONITOR_TASKSTATS |
		       RTVM_MONITOR_KVM | RTVM_MONITOR_RT_LIMIT)) ||
	    ((flags & RTVM_MONITOR_SMI) && !(flags & RTVM_MONITOR_CPUS)))
		return -EINVAL;
	m = calloc(1, sizeof(*m));
	if (!m)
		return -ENOMEM;
	m->ctx = rtvm_ref(ctx);
	m->flags = flags;
	m->sysroot = rtvm_fs_root_fd(ctx) >= 0;
	m->ns_per_tick = 1000000000u / (uint64_t)(hz > 0 ? hz : 100);
	m->next_id = 1;
	m->delayacct = -ENOENT;
	if (flags & RTVM_MONITOR_TASKSTATS) {
		r = rtvm_taskstats_open(ctx, &m->ts);
		if (r < 0) {
			rtvm_monitor_free(m);
			return r;
		}
	}
	*ret = m;
	return 0;
}

RTVM_EXPORT struct rtvm_monitor *rtvm_monitor_free(struct rtvm_monitor *m)
{
	if (!m)
		return NULL;
	for (unsigned int i = 0; i < m->nvms; i++) {
		struct mvm *v = &m->vms[i];

		vm_drop_threads(v);
		if (v->taskfd >= 0)
			close(v->taskfd);
		rtvm_cpumask_free(v->rt);
		rtvm_vm_unref(v->vm);
	}
	free(m->vms);
	free(m->cpus);
	free(m->seen);
	free(m->intr);
	rtvm_taskstats_close(m->ts);
	rtvm_unref(m->ctx);
	free(m);
	return NULL;
}

/* The CPUs the VM's vCPU threads may run on now. */
static int vcpu_cpus(struct rtvm_monitor *m, struct rtvm_vm *vm,
		     struct rtvm_cpumask **ret)
{
	const struct rtvm_vm_thread *t;
	struct rtvm_cpumask *all = NULL, *one = NULL;
	pid_t pid = rtvm_vm_get_pid(vm);
	int r;

	r = rtvm_cpumask_new(m->ctx, &all);
	if (r == 0)
		r = rtvm_cpumask_new(m->ctx, &one);
	rtvm_vm_foreach_thread(t, vm) {
		if (r < 0)
			break;
		if (rtvm_vm_thread_get_role(t) != RTVM_VM_ROLE_VCPU)
			continue;
		r = rtvm_sys_affinity_get(m->ctx, (struct rtvm_tid){
				pid, rtvm_vm_thread_get_tid(t) }, one);
		if (r == 0)
			r = rtvm_cpumask_op(all, RTVM_CPUMASK_OR, one);
	}
	rtvm_cpumask_free(one);
	if (r < 0) {
		rtvm_cpumask_free(all);
		return r;
	}
	*ret = all;
	return 0;
}

RTVM_EXPORT int rtvm_monitor_add_vm(struct rtvm_monitor *m,
				    struct rtvm_vm *vm,
				    const struct rtvm_cpumask *rt_cpus,
				    unsigned int *ret_id)
{
	struct mvm v = { .taskfd = -1, .kvmfd = -1, .kvm_fresh = true,
			 .rescan = true };
	struct mvm *nv;
	pid_t pid;
	int r;

	if (!m || !vm || (rt_cpus && rtvm_cpumask_weight(rt_cpus) == 0))
		return -EINVAL;
	pid = rtvm_vm_get_pid(vm);
	if (is_vm_pid(m, pid))
		return -EEXIST;
	r = rt_cpus ? rtvm_cpumask_dup(rt_cpus, &v.rt)
		    : vcpu_cpus(m, vm, &v.rt);
	if (r < 0)
		return r;
	r = rtvm_fs_open_dir(m->ctx, RTVM_FS_PROC, "%d/task", (int)pid);
	if (r < 0) {
		rtvm_cpumask_free(v.rt);
		return r == -ENOENT ? -ESRCH : r;
	}
	v.taskfd = r;
	nv = realloc(m->vms, (m->nvms + 1) * sizeof(*nv));
	if (!nv) {
		close(v.taskfd);
		rtvm_cpumask_free(v.rt);
		return -ENOMEM;
	}
	m->vms = nv;
	v.id = m->next_id++;
	v.vm = rtvm_vm_ref(vm);
	m->vms[m->nvms++] = v;
	if (ret_id)
		*ret_id = v.id;
	return 0;
}

/* The time of a sample: a sysroot's uptime when it has one, so that a
 * fixture's two snapshots have the interval it says. */
static uint64_t sample_time(struct rtvm_monitor *m)
{
	char buf[128], *end;
	uint64_t sec, frac = 0;

	if (m->sysroot &&
	    rtvm_fs_read(m->ctx, RTVM_FS_PROC, buf, sizeof(buf), "uptime") > 0 &&
	    buf[0] >= '0' && buf[0] <= '9') {
		unsigned int digits = 0;
		const char *p;

		errno = 0;
		sec = strtoull(buf, &end, 10);
		if (!errno && *end == '.') {
			for (p = end + 1; *p >= '0' && *p <= '9' && digits < 9;
			     p++, digits++)
				frac = frac * 10 + (uint64_t)(*p - '0');
			for (; digits < 9; digits++)
				frac *= 10;
			return sec * 1000000000u + frac;
		}
	}
	return now_ns(CLOCK_MONOTONIC);
}

RTVM_EXPORT int rtvm_monitor_sample(struct rtvm_monitor *m)
{
	uint64_t cost0, t;
	int r = 0;

	if (!m)
		return -EINVAL;
	cost0 = now_ns(CLOCK_THREAD_CPUTIME_ID);
	t = sample_time(m);
	for (unsigned int i = 0; r == 0 && i < m->nvms; i++)
		r = vm_sample(m, &m->vms[i]);
	if (r == 0 && (m->flags & RTVM_MONITOR_CPUS))
		r = cpus_sample(m);
	if (r == 0 && (m->flags & RTVM_MONITOR_INTRUDERS)) {
		r = intruders_sample(m);
		for (unsigned int i = 0; r == 0 && i < m->ncpus; i++) {
			m->cpus[i].out.intruders = 0;
			for (size_t j = 0; j < m->nintr; j++)
				if (m->intr[j].out.cpu == (int)m->cpus[i].cpu)
					m->cpus[i].out.intruders++;
		}
	}
	if (r == 0 && m->ts) {
		char buf[16];
		int n = rtvm_fs_read(m->ctx, RTVM_FS_PROC, buf, sizeof(buf),
				     "sys/kernel/task_delayacct");

		m->delayacct = n < 0 ? -ENOENT : strcmp(buf, "0") != 0;
	}
	if (r < 0)
		return r;
	m->interval = m->samples ? delta(t, m->t_last) : 0;
	m->t_last = t;
	m->samples++;
	m->cost = now_ns(CLOCK_THREAD_CPUTIME_ID) - cost0;
	return 0;
}

RTVM_EXPORT uint64_t rtvm_monitor_get_interval_ns(const struct rtvm_monitor *m)
{
	return m ? m->interval : 0;
}

RTVM_EXPORT uint64_t rtvm_monitor_get_cost_ns(const struct rtvm_monitor *m)
{
	return m ? m->cost : 0;
}

RTVM_EXPORT int rtvm_monitor_get_delayacct(const struct rtvm_monitor *m)
{
	return m ? m->delayacct : -EINVAL;
}

RTVM_EXPORT int rtvm_monitor_get_vm(const struct rtvm_monitor *m,
				    unsigned int i,
				    struct rtvm_monitor_vm *ret)
{
	const struct mvm *v;

	if (!m || !ret || ret->size != sizeof(*ret))
		return -EINVAL;
	if (i >= m->nvms)
		return -ENOENT;
	v = &m->vms[i];
	*ret = (struct rtvm_monitor_vm){
		.size = sizeof(*ret),
		.id = v->id,
		.pid = rtvm_vm_get_pid(v->vm),
		.name = rtvm_vm_get_name(v->vm),
		.rt_cpus = v->rt,
		.flags = v->flags,
		.nr_threads = v->nth,
		.exited = v->exited,
		.fresh = v->fresh,
	};
	memcpy(ret->kvm, v->kvm, sizeof(ret->kvm));
	return 0;
}

RTVM_EXPORT int rtvm_monitor_get_thread(const struct rtvm_monitor *m,
					unsigned int i,
					struct rtvm_monitor_thread *ret)
{
	const struct mthread *t = NULL;
	const struct mvm *v = NULL;

	if (!m || !ret || ret->size != sizeof(*ret))
		return -EINVAL;
	for (unsigned int k = 0; k < m->nvms; k++) {
		if (i < m->vms[k].nth) {
			v = &m->vms[k];
			t = &v->th[i];
			break;
		}
		i -= m->vms[k].nth;
	}
	if (!t)
		return -ENOENT;
	*ret = (struct rtvm_monitor_thread){
		.size = sizeof(*ret),
		.vm_id = v->id,
		.tid = t->tid,
		.role = t->role,
		.index = t->index,
		.name = t->name,
		.fresh = t->fresh,
		.have = t->have,
		.cpu = t->st.last_cpu,
		.policy = t->st.policy,
		.priority = t->st.rt_priority,
		.nice = t->st.nice,
		.cpu_ns = t->delta.cpu,
		.run_delay_ns = t->delta.wait,
		.timeslices = t->delta.slices,
		.voluntary = t->delta.vol,
		.involuntary = t->delta.invol,
		.migrations = t->delta.migrations,
		.total_cpu_ns = t->last.cpu,
		.total_run_delay_ns = t->last.wait,
		.total_voluntary = t->last.vol,
		.total_involuntary = t->last.invol,
		.rt_runtime_us = (t->have & RTVM_MONITOR_HAVE_RT_LIMIT) ?
					 t->rt_runtime : 0,
		.rt_period_us = (t->have & RTVM_MONITOR_HAVE_RT_LIMIT) &&
						t->rt_period > 0 ?
					(uint64_t)t->rt_period : 0,
		.rt_throttled = rt_throttled(t, m->interval),
	};
	memcpy(ret->delay_count, t->delta.d.count, sizeof(ret->delay_count));
	memcpy(ret->delay_ns, t->delta.d.ns, sizeof(ret->delay_ns));
	return 0;
}

RTVM_EXPORT const char *rtvm_monitor_delay_to_string(int kind)
{
	static const char *const names[RTVM_MONITOR_DELAY_NR] = {
		"cpu", "blkio", "swapin", "freepages", "thrashing",
		"compact", "wpcopy", "irq",
	};

	if (kind < 0 || kind >= RTVM_MONITOR_DELAY_NR)
		return NULL;
	return names[kind];
}

RTVM_EXPORT const char *rtvm_monitor_kvm_to_string(int kind)
{
	return rtvm_kvm_stat_name(kind);
}

RTVM_EXPORT int rtvm_monitor_get_cpu(const struct rtvm_monitor *m,
				     unsigned int i,
				     struct rtvm_monitor_cpu *ret)
{
	if (!m || !ret || ret->size != sizeof(*ret))
		return -EINVAL;
	if (i >= m->ncpus)
		return -ENOENT;
	*ret = m->cpus[i].out;
	return 0;
}

RTVM_EXPORT int rtvm_monitor_get_intruder(const struct rtvm_monitor *m,
					  unsigned int i,
					  struct rtvm_monitor_intruder *ret)
{
	if (!m || !ret || ret->size != sizeof(*ret))
		return -EINVAL;
	if (i >= m->nintr)
		return -ENOENT;
	*ret = m->intr[i].out;
	return 0;
}
