/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Scheduling: policies and pinning of threads, of a VM's threads by role,
 * and of per-CPU kernel threads.  Every system call goes through the
 * operations table (sysops.c) and every change through the recording
 * mutators of change.c, so sysroots simulate them and restore is exact.
 */
#include "config.h"

#include <dirent.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "librtvm-private.h"
#include "tune.h"

#ifndef SCHED_BATCH
#define SCHED_BATCH 3
#endif
#ifndef SCHED_IDLE
#define SCHED_IDLE 5
#endif
#ifndef SCHED_DEADLINE
#define SCHED_DEADLINE 6
#endif

/* The kernel's smallest deadline runtime (1 << DL_SCALE ns). */
#define DL_MIN_RUNTIME_NS 1024ull
/* RT runtime given to each cgroup level that has none, in us. */
#define RT_PROVISION_US 10000ll
/* Kernel default of cpu.rt_period_us, when a cgroup does not say. */
#define RT_DEFAULT_PERIOD_US 1000000ll
/* The kernel's fixed-point bandwidth ratio (BW_SHIFT). */
#define BW_SHIFT 20

static const char *policy_name(int policy)
{
	switch (policy) {
	case SCHED_OTHER: return "SCHED_OTHER";
	case SCHED_FIFO: return "SCHED_FIFO";
	case SCHED_RR: return "SCHED_RR";
	case SCHED_BATCH: return "SCHED_BATCH";
	case SCHED_IDLE: return "SCHED_IDLE";
	case SCHED_DEADLINE: return "SCHED_DEADLINE";
	default: return NULL;
	}
}

static bool policy_rt(int policy)
{
	return policy == SCHED_FIFO || policy == SCHED_RR ||
	       policy == SCHED_DEADLINE;
}

/* ---- validation ------------------------------------------------------- */

/* Check @a and turn it into the internal form; -EINVAL with a log line
 * that names the bad value. */
static int attr_to_sched(struct rtvm_ctx *ctx, const struct rtvm_sched_attr *a,
			 struct rtvm_sched *ret)
{
	const char *name;
	uint64_t period;

	if (a->size != sizeof(*a)) {
		err(ctx, "struct rtvm_sched_attr size %zu, expected %zu", a->size,
		    sizeof(*a));
		return -EINVAL;
	}
	name = policy_name(a->policy);
	if (!name) {
		err(ctx, "unknown scheduling policy %d", a->policy);
		return -EINVAL;
	}
	if (a->policy == SCHED_FIFO || a->policy == SCHED_RR) {
		if (a->priority < 1 || a->priority > 99) {
			err(ctx, "priority %d is outside 1..99 for %s",
			    a->priority, name);
			return -EINVAL;
		}
	} else if (a->priority != 0) {
		err(ctx, "priority %d must be 0 for %s", a->priority, name);
		return -EINVAL;
	}
	if (a->nice < -20 || a->nice > 19) {
		err(ctx, "nice %d is outside -20..19", a->nice);
		return -EINVAL;
	}
	if (a->policy == SCHED_DEADLINE) {
		period = a->period_ns ? a->period_ns : a->deadline_ns;
		if (a->runtime_ns > a->deadline_ns) {
			err(ctx, "deadline runtime %llu > deadline %llu",
			    a->runtime_ns, a->deadline_ns);
			return -EINVAL;
		}
		if (a->deadline_ns > period) {
			err(ctx, "deadline %llu > period %llu", a->deadline_ns,
			    (unsigned long long)period);
			return -EINVAL;
		}
		if (a->runtime_ns < DL_MIN_RUNTIME_NS) {
			err(ctx, "deadline runtime %llu is below the minimum %llu ns",
			    a->runtime_ns, DL_MIN_RUNTIME_NS);
			return -EINVAL;
		}
		if (period >> 63) {
			err(ctx, "deadline period %llu is too large",
			    (unsigned long long)period);
			return -EINVAL;
		}
	} else if (a->runtime_ns || a->deadline_ns || a->period_ns) {
		err(ctx, "deadline parameters given for %s", name);
		return -EINVAL;
	}
	*ret = (struct rtvm_sched){
		.policy = a->policy,
		.priority = a->priority,
		.nice = a->nice,
		.runtime = a->policy == SCHED_DEADLINE ? a->runtime_ns : 0,
		.deadline = a->policy == SCHED_DEADLINE ? a->deadline_ns : 0,
		/* The kernel reports an unset period as the deadline. */
		.period = a->policy == SCHED_DEADLINE ?
				  (a->period_ns ? a->period_ns : a->deadline_ns) :
				  0,
	};
	return 0;
}

static bool tid_valid(pid_t pid, pid_t tid)
{
	return pid > 0 && tid > 0;
}


/* ---- private changesets ------------------------------------------------ */

/* End a private changeset: hand its records to @dst when @r says success,
 * else put back what it changed.  Returns @r. */
static int changeset_finish(struct rtvm_changeset *tmp,
			    struct rtvm_changeset *dst, int r)
{
	if (r < 0)
		rtvm_changeset_restore(tmp, 0);
	else if (dst)
		rtvm_changeset_move(dst, tmp);
	rtvm_changeset_unref(tmp);
	return r < 0 ? r : 0;
}

/* ---- RT group scheduling ---------------------------------------------- */

/* The runtimes a dry run of provisioning has given so far: its later
 * reads see them, as they would see the writes. */
struct rt_given {
	char *cg;
	long long runtime;
};

struct rt_dry {
	struct rt_given *v;
	unsigned int n, alloc;
};

/* Where the cpu controller's hierarchy is, for the fs module. */
struct cpu_hier {
	enum rtvm_fs fs;
	char *mnt; /* host path; rel points into it */
	const char *rel;
	struct rt_dry *dry; /* non-NULL: record, do not write */
};

static int cpu_hier_open(struct rtvm_ctx *ctx, struct cpu_hier *h)
{
	int r;

	r = rtvm_cgroup_mount_point(ctx, "cpu", &h->mnt);
	if (r < 0)
		return r;
	r = rtvm_fs_split_path(h->mnt, &h->fs, &h->rel);
	if (r < 0) {
		free(h->mnt);
		h->mnt = NULL;
		return -EOPNOTSUPP;
	}
	return 0;
}

/* A cgroup's file, relative to the fs top: @cg is "" for the root. */
static int cg_file(const struct cpu_hier *h, const char *cg, const char *file,
		   char **ret)
{
	return asprintf(ret, "%s%s/%s", h->rel, cg, file) < 0 ? -ENOMEM : 0;
}

static int cg_read_ll(struct rtvm_ctx *ctx, const struct cpu_hier *h,
		      const char *cg, const char *file, long long *ret)
{
	char buf[64], *rel, *end;
	long long v;
	int r;

	if (h->dry && strcmp(file, "cpu.rt_runtime_us") == 0)
		for (unsigned int i = h->dry->n; i-- > 0;)
			if (strcmp(h->dry->v[i].cg, cg) == 0) {
				*ret = h->dry->v[i].runtime;
				return 0;
			}
	r = cg_file(h, cg, file, &rel);
	if (r < 0)
		return r;
	r = rtvm_fs_read(ctx, h->fs, buf, sizeof(buf), "%s", rel);
	free(rel);
	if (r < 0)
		return r;
	errno = 0;
	v = strtoll(buf, &end, 10);
	if (errno || end == buf || *rtvm_strip(end))
		return -EIO;
	*ret = v;
	return 0;
}

/* A cgroup's RT bandwidth as the kernel's fixed-point ratio. */
static int cg_ratio(struct rtvm_ctx *ctx, const struct cpu_hier *h,
		    const char *cg, uint64_t *ret, long long *ret_period)
{
	long long runtime, period;
	int r;

	r = cg_read_ll(ctx, h, cg, "cpu.rt_runtime_us", &runtime);
	if (r < 0)
		return r;
	if (cg_read_ll(ctx, h, cg, "cpu.rt_period_us", &period) < 0 ||
	    period <= 0)
		period = RT_DEFAULT_PERIOD_US;
	if (runtime < 0 || runtime > period) /* -1: unlimited */
		runtime = period;
	*ret = ((uint64_t)runtime << BW_SHIFT) / (uint64_t)period;
	if (ret_period)
		*ret_period = period;
	return 0;
}

/* The RT bandwidth the children of @cg hold together. */
static int cg_children_ratio(struct rtvm_ctx *ctx, const struct cpu_hier *h,
			     const char *cg, uint64_t *ret)
{
	char *rel, *child;
	struct dirent *de;
	uint64_t sum = 0, one;
	DIR *d;
	int fd, r;

	r = cg_file(h, cg, "", &rel);
	if (r < 0)
		return r;
	fd = rtvm_fs_open_dir(ctx, h->fs, "%s", rel);
	free(rel);
	if (fd < 0)
		return fd;
	d = fdopendir(fd);
	if (!d) {
		r = -errno;
		close(fd);
		return r;
	}
	r = 0;
	while ((de = readdir(d))) {
		if (de->d_name[0] == '.' ||
		    (de->d_type != DT_DIR && de->d_type != DT_UNKNOWN))
			continue;
		if (asprintf(&child, "%s/%s", cg, de->d_name) < 0) {
			r = -ENOMEM;
			break;
		}
		if (cg_ratio(ctx, h, child, &one, NULL) == 0)
			sum += one;
		free(child);
	}
	closedir(d);
	if (r < 0)
		return r;
	*ret = sum;
	return 0;
}

/* Record and write a cgroup's cpu.rt_runtime_us. */
static int rt_write(struct rtvm_ctx *ctx, const struct cpu_hier *h,
		    const char *cg, long long old_us, long long new_us,
		    struct rtvm_changeset *cs)
{
	char *rel = NULL, *host = NULL, old[32], value[32];
	int r;

	snprintf(old, sizeof(old), "%lld", old_us);
	snprintf(value, sizeof(value), "%lld", new_us);
	if ((r = cg_file(h, cg, "cpu.rt_runtime_us", &rel)) < 0 ||
	    (r = rtvm_fs_join_path(h->fs, rel, &host)) < 0)
		goto out;
	/* Recorded first: whatever happens next, restore knows. */
	r = rtvm_changeset_add(cs, RTVM_CHANGE_FILE, host, old, value);
	if (r < 0)
		goto out;
	if (h->dry) {
		struct rt_dry *d = h->dry;

		if (d->n == d->alloc) {
			unsigned int a = d->alloc ? 2 * d->alloc : 8;
			struct rt_given *v = realloc(d->v, a * sizeof(*v));

			if (!v) {
				r = -ENOMEM;
				goto out;
			}
			d->v = v;
			d->alloc = a;
		}
		d->v[d->n].cg = strdup(cg);
		if (!d->v[d->n].cg) {
			r = -ENOMEM;
			goto out;
		}
		d->v[d->n++].runtime = new_us;
		dbg(ctx, "cpu cgroup %s: cpu.rt_runtime_us %s -> %s (planned)",
		    cg, old, value);
		goto out;
	}
	r = rtvm_fs_write(ctx, h->fs, value, "%s", rel);
	if (r < 0) {
		err(ctx, "cannot give cpu cgroup %s RT runtime %s us: %s", cg,
		    value, strerror(-r));
		goto out;
	}
	info(ctx, "cpu cgroup %s: cpu.rt_runtime_us %s -> %s", cg, old, value);
out:
	free(rel);
	free(host);
	return r;
}

/*
 * Make @need (a bandwidth ratio) free in cgroup @cg (a path, "" for the
 * root) for a new child, by raising @cg's runtime, and its ancestors' in
 * turn, by what is missing.  A cgroup that already gave all its runtime to
 * one child (libvirt's vcpu0) then has room for a sibling (vcpu1).  The
 * root is never raised.  Writes go top-down, each recorded in @cs.
 */
static int rt_make_room(struct rtvm_ctx *ctx, const struct cpu_hier *h,
			const char *cg, uint64_t need, unsigned int depth,
			struct rtvm_changeset *cs)
{
	uint64_t ratio, used, missing;
	long long runtime, period, add;
	char *parent, *slash;
	int r;

	if (depth > 64)
		return -EINVAL;
	r = cg_ratio(ctx, h, cg, &ratio, &period);
	if (r == 0)
		r = cg_children_ratio(ctx, h, cg, &used);
	if (r < 0)
		return r;
	if (ratio >= used && ratio - used >= need)
		return 0;
	if (!*cg) {
		err(ctx, "cannot give RT runtime below the root cpu cgroup: it "
			 "has no RT budget left");
		return -ENOSPC;
	}
	r = cg_read_ll(ctx, h, cg, "cpu.rt_runtime_us", &runtime);
	if (r < 0)
		return r;
	missing = used + need - ratio;
	/* The smallest runtime whose ratio (rounded down, as the kernel
	 * does) reaches what is needed. */
	add = (long long)(((ratio + missing) * (uint64_t)period +
			   (1ull << BW_SHIFT) - 1) >> BW_SHIFT) - runtime;
	if (runtime < 0 || runtime + add > period) {
		err(ctx, "cannot give cpu cgroup %s %lld us more RT runtime: "
			 "above its period", cg, add);
		return -ENOSPC;
	}
	parent = strdup(cg);
	if (!parent)
		return -ENOMEM;
	slash = strrchr(parent, '/');
	if (slash)
		*slash = '\0';
	else
		parent[0] = '\0';
	/* The parent's children then hold this much more, as the kernel
	 * counts it. */
	r = rt_make_room(ctx, h, parent,
			 ((uint64_t)(runtime + add) << BW_SHIFT) /
			 (uint64_t)period - ratio, depth + 1, cs);
	free(parent);
	if (r < 0)
		return r;
	return rt_write(ctx, h, cg, runtime, runtime + add, cs);
}

/* Give RT runtime to @cg and the ancestors between it and the first one
 * that has some, top-down, recording each write in @cs. */
static int rt_provision(struct rtvm_ctx *ctx, const struct cpu_hier *h,
			const char *cg, struct rtvm_changeset *cs)
{
	size_t len = strlen(cg), ends[64], n = 0, k, plen;
	uint64_t ratio, used = 0, avail;
	long long runtime, period, give, prev_give = 0, prev_period = 1;
	char *path = NULL;
	int r;

	/* "/machine/vm1": levels "/machine" and "/machine/vm1" */
	if (cg[0] != '/' || len < 2 || cg[len - 1] == '/')
		return -EINVAL;
	for (size_t i = 1; i <= len; i++)
		if (cg[i] == '/' || cg[i] == '\0') {
			if (n == ARRAY_SIZE(ends))
				return -EINVAL;
			ends[n++] = i;
		}
	path = strdup(cg);
	if (!path)
		return -ENOMEM;
	/* The first level below the root whose runtime is 0. */
	for (k = 0; k < n; k++) {
		path[ends[k]] = '\0';
		r = cg_read_ll(ctx, h, path, "cpu.rt_runtime_us", &runtime);
		path[ends[k]] = cg[ends[k]];
		if (r < 0)
			goto out;
		if (runtime == 0)
			break;
	}
	r = 0;
	if (k == n) /* nothing to give */
		goto out;
	/* What its parent has, less what the parent's children hold. */
	plen = k ? ends[k - 1] : 0;
	path[plen] = '\0';
	r = cg_ratio(ctx, h, path, &ratio, NULL);
	if (r == 0)
		r = cg_children_ratio(ctx, h, path, &used);
	path[plen] = cg[plen];
	if (r < 0)
		goto out;
	avail = ratio > used ? ratio - used : 0;
	if (k > 0) {
		/* Below a cgroup that has runtime (a VM's, whose other vCPU
		 * took it all): raise it rather than give nothing. */
		uint64_t want;

		path[ends[k]] = '\0';
		r = cg_read_ll(ctx, h, path, "cpu.rt_period_us", &period);
		path[ends[k]] = cg[ends[k]];
		if (r < 0 || period <= 0)
			period = RT_DEFAULT_PERIOD_US;
		/* Rounded up: the runtime given below comes out whole. */
		want = (((uint64_t)RT_PROVISION_US << BW_SHIFT) +
			(uint64_t)period - 1) / (uint64_t)period;
		path[plen] = '\0';
		if (avail < want) {
			r = rt_make_room(ctx, h, path, want - avail, 0, cs);
			if (r == 0)
				r = cg_ratio(ctx, h, path, &ratio, NULL);
			if (r == 0)
				r = cg_children_ratio(ctx, h, path, &used);
			avail = ratio > used ? ratio - used : 0;
		}
		path[plen] = cg[plen];
		if (r < 0)
			goto out;
	}
	for (; k < n; k++) {
		path[ends[k]] = '\0';
		r = cg_read_ll(ctx, h, path, "cpu.rt_runtime_us", &runtime);
		if (r < 0)
			goto out;
		r = cg_ratio(ctx, h, path, &ratio, &period);
		if (r < 0)
			goto out;
		if (prev_give)
			give = prev_give * period / prev_period;
		else
			give = (long long)((avail * (uint64_t)period) >> BW_SHIFT);
		if (give > RT_PROVISION_US)
			give = RT_PROVISION_US;
		if (give <= 0) {
			err(ctx, "cannot give cpu cgroup %s RT runtime: its "
				 "parent has no RT budget left",
			    path);
			r = -ENOSPC;
			goto out;
		}
		r = rt_write(ctx, h, path, runtime, give, cs);
		if (r < 0)
			goto out;
		path[ends[k]] = cg[ends[k]];
		/* Its children had none (a parent without runtime has no
		 * children with some): all of it is theirs. */
		prev_give = give;
		prev_period = period;
	}
	r = 0;
out:
	free(path);
	return r;
}

/* The kernel refused an RT policy with EPERM: explain it, and with
 * RTVM_SCHED_PROVISION_RT give the thread's cpu cgroup RT runtime and try
 * again.  Returns -EPERM when nothing can be done. */
static int rt_group_retry(struct rtvm_ctx *ctx, struct rtvm_tid t,
			  const struct rtvm_sched *s, unsigned int flags,
			  struct rtvm_changeset *cs)
{
	struct cpu_hier h = {0};
	struct rtvm_changeset *tmp;
	char *cg = NULL;
	long long runtime;
	int r;

	if (rtvm_thread_cgroup(ctx, t, "cpu", &cg) < 0 ||
	    cpu_hier_open(ctx, &h) < 0 || strcmp(cg, "/") == 0 ||
	    cg_read_ll(ctx, &h, cg, "cpu.rt_runtime_us", &runtime) < 0 ||
	    runtime != 0) {
		err(ctx, "%s refused for thread %d: not permitted (needs "
			 "CAP_SYS_NICE or an RLIMIT_RTPRIO)",
		    policy_name(s->policy), t.tid);
		r = -EPERM;
		goto out;
	}
	if (!(flags & RTVM_SCHED_PROVISION_RT)) {
		err(ctx, "%s refused for thread %d: its cpu cgroup %s has "
			 "cpu.rt_runtime_us 0 (CONFIG_RT_GROUP_SCHED); pass "
			 "RTVM_SCHED_PROVISION_RT",
		    policy_name(s->policy), t.tid, cg);
		r = -EPERM;
		goto out;
	}
	/* A private set: undone as a whole if the retry fails, and its file
	 * records come before the thread's so restore lowers runtime after
	 * the thread has left its RT policy. */
	r = rtvm_changeset_new(ctx, &tmp);
	if (r < 0)
		goto out;
	r = rt_provision(ctx, &h, cg, tmp);
	if (r >= 0) {
		r = rtvm_thread_apply_sched(ctx, t, s, tmp);
		if (r < 0)
			err(ctx, "%s for thread %d still fails after giving cpu "
				 "cgroup %s RT runtime: %s",
			    policy_name(s->policy), t.tid, cg, strerror(-r));
	}
	r = changeset_finish(tmp, cs, r);
out:
	free(h.mnt);
	free(cg);
	return r;
}

/* ---- RT runtime in a plan ---------------------------------------------- */

struct rtvm_rt_plan {
	struct rtvm_ctx *ctx;
	struct cpu_hier h;
	bool have; /* the cpu controller is mounted where fs reaches it */
	struct rt_dry dry;
};

int rtvm_rt_plan_new(struct rtvm_ctx *ctx, struct rtvm_rt_plan **ret)
{
	struct rtvm_rt_plan *rp = calloc(1, sizeof(*rp));

	if (!rp)
		return -ENOMEM;
	rp->ctx = ctx;
	/* No cpu hierarchy (cgroup v2, not mounted): no RT group
	 * scheduling to provision for. */
	rp->have = cpu_hier_open(ctx, &rp->h) == 0;
	rp->h.dry = &rp->dry;
	*ret = rp;
	return 0;
}

void rtvm_rt_plan_free(struct rtvm_rt_plan *rp)
{
	if (!rp)
		return;
	for (unsigned int i = 0; i < rp->dry.n; i++)
		free(rp->dry.v[i].cg);
	free(rp->dry.v);
	free(rp->h.mnt);
	free(rp);
}

int rtvm_rt_plan_thread(struct rtvm_rt_plan *rp, struct rtvm_tid t,
			struct rtvm_changeset *cs, char **ret_cgroup)
{
	struct rtvm_ctx *ctx = rp->ctx;
	long long runtime;
	char *cg = NULL;
	int r;

	*ret_cgroup = NULL;
	if (!rp->have)
		return 0;
	r = rtvm_thread_cgroup(ctx, t, "cpu", &cg);
	if (r == -ENOENT || r == -ESRCH) {
		free(cg);
		return 0;
	}
	if (r < 0)
		return r;
	/* The root group always has RT time; without the file the kernel
	 * has no RT group scheduling. */
	if (strcmp(cg, "/") == 0 ||
	    cg_read_ll(ctx, &rp->h, cg, "cpu.rt_runtime_us", &runtime) < 0 ||
	    runtime != 0) {
		free(cg);
		return 0;
	}
	r = rt_provision(ctx, &rp->h, cg, cs);
	if (r < 0) {
		err(ctx, "thread %d/%d: cpu cgroup %s has cpu.rt_runtime_us 0 "
			 "and cannot be given RT runtime: %s",
		    t.pid, t.tid, cg, strerror(-r));
		free(cg);
		return r;
	}
	*ret_cgroup = cg;
	return 1;
}

/* ---- threads ---------------------------------------------------------- */

int rtvm_thread_set_sched_at(struct rtvm_ctx *ctx, struct rtvm_tid t,
			     const unsigned long long *start,
			     const struct rtvm_sched *want, unsigned int flags,
			     struct rtvm_changeset *cs)
{
	struct rtvm_sched s = *want;
	int r;

	/* RT policies keep the nice value: the mutator records the one that
	 * stays. */
	r = rtvm_thread_apply_sched_at(ctx, t, start, &s, cs);
	if (r == -EPERM && policy_rt(s.policy))
		return rt_group_retry(ctx, t, &s, flags, cs);
	if (r < 0 && r != -ESRCH)
		err(ctx, "%s for thread %d/%d: %s", policy_name(s.policy), t.pid,
		    t.tid, strerror(-r));
	return r;
}

RTVM_EXPORT int rtvm_thread_get_sched(struct rtvm_ctx *ctx, pid_t pid,
				      pid_t tid, struct rtvm_sched_attr *ret)
{
	struct rtvm_tid t = { pid, tid };
	unsigned long long start;
	struct rtvm_sched s;
	int r;

	if (!ctx || !ret || !tid_valid(pid, tid) || ret->size != sizeof(*ret))
		return -EINVAL;
	if ((r = rtvm_thread_identity(ctx, t, &start)) < 0 ||
	    (r = rtvm_sys_sched_get(ctx, t, &s)) < 0)
		return r;
	*ret = (struct rtvm_sched_attr){
		.size = sizeof(*ret),
		.policy = s.policy,
		.priority = s.priority,
		.nice = s.nice,
		.runtime_ns = s.runtime,
		.deadline_ns = s.deadline,
		.period_ns = s.period,
	};
	return 0;
}

RTVM_EXPORT int rtvm_thread_set_sched(struct rtvm_ctx *ctx, pid_t pid,
				      pid_t tid,
				      const struct rtvm_sched_attr *attr,
				      unsigned int flags,
				      struct rtvm_changeset *cs)
{
	struct rtvm_sched s;
	int r;

	if (!ctx || !attr || !tid_valid(pid, tid) ||
	    (flags & ~RTVM_SCHED_PROVISION_RT))
		return -EINVAL;
	r = attr_to_sched(ctx, attr, &s);
	if (r < 0)
		return r;
	return rtvm_thread_set_sched_at(ctx, (struct rtvm_tid){ pid, tid },
					NULL, &s, flags, cs);
}

/* The thread's stat, when it says its affinity is fixed (a per-CPU kernel
 * thread): then -EINVAL, logged. */
static int check_settable(struct rtvm_ctx *ctx, struct rtvm_tid t,
			  struct rtvm_stat *st)
{
	int r;

	r = rtvm_stat_read(ctx, t, st);
	if (r < 0)
		return r;
	if (st->flags & RTVM_PF_NO_SETAFFINITY) {
		err(ctx, "thread %d (%s) is a per-CPU kernel thread: its "
			 "affinity cannot change",
		    t.tid, st->comm);
		return -EINVAL;
	}
	return 0;
}

/* @start: the thread's start time when a VM's discovery read it, or
 * NULL. */
static int set_affinity(struct rtvm_ctx *ctx, struct rtvm_tid t,
			const unsigned long long *start,
			const struct rtvm_cpumask *mask,
			struct rtvm_changeset *cs)
{
	struct rtvm_stat st;
	int r;

	/* A lone thread's stat is read anyway: it is checked first, and its
	 * start time serves the record.  A VM's threads are user threads
	 * whose start time is known: the stat file is read only to explain
	 * a refusal. */
	if (!start) {
		r = check_settable(ctx, t, &st);
		if (r < 0)
			return r;
		start = &st.start;
	}
	r = rtvm_thread_apply_affinity_at(ctx, t, start, mask, cs);
	if (r == -EINVAL && check_settable(ctx, t, &st) == -EINVAL)
		return r;
	if (r < 0 && r != -ESRCH)
		err(ctx, "affinity of thread %d/%d: %s", t.pid, t.tid,
		    strerror(-r));
	return r;
}

RTVM_EXPORT int rtvm_thread_set_affinity(struct rtvm_ctx *ctx, pid_t pid,
					 pid_t tid,
					 const struct rtvm_cpumask *mask,
					 struct rtvm_changeset *cs)
{
	int r;

	if (!ctx || !mask || !tid_valid(pid, tid))
		return -EINVAL;
	r = rtvm_cpus_check_online(ctx, mask);
	if (r < 0)
		return r;
	return set_affinity(ctx, (struct rtvm_tid){ pid, tid }, NULL, mask, cs);
}

/* ---- VMs -------------------------------------------------------------- */

/*
 * The tids now in a process's task directory, sorted.  One listing per VM
 * operation checks that the threads found at discovery are still threads
 * of the process, so a tid that has since gone to another process is
 * never touched; then the start times read at discovery serve the change
 * records, and no thread's stat file is read again.
 */
struct tid_set {
	pid_t *tids;
	size_t n;
};

static int cmp_pid(const void *a, const void *b)
{
	pid_t x = *(const pid_t *)a, y = *(const pid_t *)b;

	return (x > y) - (x < y);
}

static int list_tids(struct rtvm_ctx *ctx, pid_t pid, struct tid_set *ret)
{
	size_t alloc = 0;
	struct dirent *de;
	DIR *d;
	int fd, r = 0;

	*ret = (struct tid_set){ 0 };
	fd = rtvm_fs_open_dir(ctx, RTVM_FS_PROC, "%d/task", (int)pid);
	if (fd == -ENOENT || fd == -ESRCH || fd == -ENOTDIR)
		return 0; /* the process is gone: every thread is skipped */
	if (fd < 0)
		return fd;
	d = fdopendir(fd);
	if (!d) {
		r = -errno;
		close(fd);
		return r;
	}
	while ((de = readdir(d))) {
		int tid;

		if (rtvm_parse_int(de->d_name, &tid) < 0 || tid <= 0)
			continue;
		if (ret->n == alloc) {
			size_t a = alloc ? alloc * 2 : 64;
			pid_t *n = realloc(ret->tids, a * sizeof(*n));

			if (!n) {
				r = -ENOMEM;
				break;
			}
			ret->tids = n;
			alloc = a;
		}
		ret->tids[ret->n++] = tid;
	}
	closedir(d);
	if (r < 0) {
		free(ret->tids);
		*ret = (struct tid_set){ 0 };
		return r;
	}
	if (ret->n)
		qsort(ret->tids, ret->n, sizeof(*ret->tids), cmp_pid);
	return 0;
}

static bool tid_set_has(const struct tid_set *set, pid_t tid)
{
	return set->n && bsearch(&tid, set->tids, set->n, sizeof(*set->tids),
				 cmp_pid);
}

static bool role_valid(int role)
{
	return role >= RTVM_VM_ROLE_OTHER && role <= RTVM_VM_ROLE_IOTHREAD;
}

/* Whether @t is selected by role and vCPU mask. */
static bool vm_selects(const struct rtvm_vm_thread *t, int role,
		       const struct rtvm_cpumask *vcpus)
{
	int index;

	if (rtvm_vm_thread_get_role(t) != role)
		return false;
	if (!vcpus)
		return true;
	index = rtvm_vm_thread_get_index(t);
	return index >= 0 && rtvm_cpumask_test(vcpus, (unsigned int)index);
}

RTVM_EXPORT int rtvm_vm_set_sched(struct rtvm_vm *vm, int role,
				  const struct rtvm_cpumask *vcpus,
				  const struct rtvm_sched_attr *attr,
				  unsigned int flags, struct rtvm_changeset *cs,
				  unsigned int *ret_skipped)
{
	const struct rtvm_vm_thread *t;
	struct rtvm_changeset *tmp;
	struct tid_set live;
	struct rtvm_ctx *ctx;
	struct rtvm_sched s;
	unsigned int skipped = 0;
	pid_t pid;
	int idx, r;

	if (!vm || !attr || (flags & ~RTVM_SCHED_PROVISION_RT))
		return -EINVAL;
	ctx = rtvm_vm_get_ctx(vm);
	pid = rtvm_vm_get_pid(vm);
	if (!role_valid(role)) {
		err(ctx, "unknown VM thread role %d", role);
		return -EINVAL;
	}
	if (vcpus && role != RTVM_VM_ROLE_VCPU) {
		err(ctx, "a vCPU mask is given for %s threads",
		    rtvm_vm_role_to_string(role));
		return -EINVAL;
	}
	rtvm_cpumask_foreach(idx, vcpus) {
		if (rtvm_vm_get_vcpu_tid(vm, (unsigned int)idx) < 0) {
			err(ctx, "VM %d has no vCPU %d (it has %u)", pid, idx,
			    rtvm_vm_get_nr_vcpus(vm));
			return -EINVAL;
		}
	}
	r = attr_to_sched(ctx, attr, &s);
	if (r < 0)
		return r;
	r = list_tids(ctx, pid, &live);
	if (r < 0)
		return r;
	r = rtvm_changeset_new(ctx, &tmp);
	if (r < 0) {
		free(live.tids);
		return r;
	}
	rtvm_vm_foreach_thread(t, vm) {
		unsigned long long start;
		pid_t tid = rtvm_vm_thread_get_tid(t);

		if (!vm_selects(t, role, vcpus))
			continue;
		start = rtvm_vm_thread_get_start(t);
		/* 0: a discovery that did not read it; read it now. */
		r = tid_set_has(&live, tid) ?
			    rtvm_thread_set_sched_at(
				    ctx, (struct rtvm_tid){ pid, tid },
				    start ? &start : NULL, &s, flags, tmp) :
			    -ESRCH;
		if (r == -ESRCH) {
			dbg(ctx, "VM %d thread %d is gone: skipped", pid,
			    rtvm_vm_thread_get_tid(t));
			skipped++;
			r = 0;
		}
		if (r < 0)
			break;
	}
	r = changeset_finish(tmp, cs, r);
	if (r == 0 && ret_skipped)
		*ret_skipped = skipped;
	free(live.tids);
	return r;
}

RTVM_EXPORT int rtvm_vm_pin(struct rtvm_vm *vm, int role,
			    const struct rtvm_cpumask *cpus, unsigned int flags,
			    struct rtvm_changeset *cs, unsigned int *ret_skipped)
{
	const struct rtvm_vm_thread *t;
	struct rtvm_cpumask *one = NULL;
	struct rtvm_changeset *tmp;
	struct tid_set live = { 0 };
	struct rtvm_ctx *ctx;
	unsigned int skipped = 0, nr_vcpus;
	int *nth = NULL, cpu, r;
	pid_t pid;

	if (!vm || !cpus || (flags & ~RTVM_VM_PIN_ONE_TO_ONE))
		return -EINVAL;
	ctx = rtvm_vm_get_ctx(vm);
	pid = rtvm_vm_get_pid(vm);
	if (!role_valid(role)) {
		err(ctx, "unknown VM thread role %d", role);
		return -EINVAL;
	}
	r = rtvm_cpus_check_online(ctx, cpus);
	if (r < 0)
		return r;
	if (flags & RTVM_VM_PIN_ONE_TO_ONE) {
		if (role != RTVM_VM_ROLE_VCPU) {
			err(ctx, "one-to-one pinning is for vCPUs, not %s threads",
			    rtvm_vm_role_to_string(role));
			return -EINVAL;
		}
		nr_vcpus = rtvm_vm_get_nr_vcpus(vm);
		if (rtvm_cpumask_weight(cpus) < nr_vcpus) {
			err(ctx, "one-to-one pinning of %u vCPUs on %u CPUs",
			    nr_vcpus, rtvm_cpumask_weight(cpus));
			return -EINVAL;
		}
		/* vCPU i -> the i-th CPU of the mask */
		nth = calloc(nr_vcpus ? nr_vcpus : 1, sizeof(*nth));
		if (!nth)
			return -ENOMEM;
		cpu = -1;
		for (unsigned int i = 0; i < nr_vcpus; i++)
			nth[i] = cpu = rtvm_cpumask_next(cpus, cpu);
		r = rtvm_cpumask_dup(cpus, &one);
		if (r < 0) {
			free(nth);
			return r;
		}
	}
	r = list_tids(ctx, pid, &live);
	if (r < 0)
		goto out;
	r = rtvm_changeset_new(ctx, &tmp);
	if (r < 0)
		goto out;
	rtvm_vm_foreach_thread(t, vm) {
		const struct rtvm_cpumask *mask = cpus;
		unsigned long long start;
		pid_t tid = rtvm_vm_thread_get_tid(t);
		int index;

		if (rtvm_vm_thread_get_role(t) != role)
			continue;
		if (nth) {
			index = rtvm_vm_thread_get_index(t);
			if (index < 0 || (unsigned int)index >= nr_vcpus)
				continue;
			rtvm_cpumask_zero(one);
			rtvm_cpumask_set(one, (unsigned int)nth[index]);
			mask = one;
		}
		start = rtvm_vm_thread_get_start(t);
		r = tid_set_has(&live, tid) ?
			    set_affinity(ctx, (struct rtvm_tid){ pid, tid },
					 start ? &start : NULL, mask, tmp) :
			    -ESRCH;
		if (r == -ESRCH) {
			skipped++;
			r = 0;
		}
		if (r < 0)
			break;
	}
	r = changeset_finish(tmp, cs, r);
	if (r == 0 && ret_skipped)
		*ret_skipped = skipped;
out:
	free(live.tids);
	rtvm_cpumask_free(one);
	free(nth);
	return r;
}

/* ---- kernel threads --------------------------------------------------- */

struct kthread_rule {
	const char *prefix; /* the comm is PREFIX + a CPU number */
	int policy;
	int priority;
};

static const struct kthread_rule rt_host_rules[] = {
	{ "ksoftirqd/", SCHED_FIFO, 2 },
	{ "ktimers/", SCHED_FIFO, 2 },
	{ "rcuc/", SCHED_FIFO, 4 },
	/* Named per CPU on some kernels only (else per RCU node): those
	 * whose number is not one of @cpus are left alone. */
	{ "rcub/", SCHED_FIFO, 4 },
};

static const struct {
	const char *name;
	const struct kthread_rule *rules;
	size_t nr_rules;
} kthread_profiles[] = {
	{ "rt-host", rt_host_rules, ARRAY_SIZE(rt_host_rules) },
};

/* The rule for a kernel thread's comm when its CPU is in @cpus. */
static const struct kthread_rule *
kthread_match(const struct kthread_rule *rules, size_t n, const char *comm,
	      const struct rtvm_cpumask *cpus)
{
	for (size_t i = 0; i < n; i++) {
		size_t len = strlen(rules[i].prefix);
		int cpu;

		if (strncmp(comm, rules[i].prefix, len) != 0)
			continue;
		if (rtvm_parse_int(comm + len, &cpu) < 0 || cpu < 0 ||
		    !strchr("0123456789", comm[len]))
			return NULL;
		return rtvm_cpumask_test(cpus, (unsigned int)cpu) ? &rules[i] :
								    NULL;
	}
	return NULL;
}

RTVM_EXPORT int rtvm_kthreads_apply(struct rtvm_ctx *ctx,
				    const struct rtvm_cpumask *cpus,
				    const char *profile,
				    struct rtvm_changeset *cs)
{
	const struct kthread_rule *rules = NULL, *rule;
	const struct rtvm_thread *t;
	struct rtvm_changeset *tmp;
	struct rtvm_host *host;
	size_t nr_rules = 0;
	int r;

	if (!ctx || !cpus)
		return -EINVAL;
	if (rtvm_cpumask_weight(cpus) == 0) {
		err(ctx, "kernel threads: empty CPU mask");
		return -EINVAL;
	}
	if (!profile)
		profile = "rt-host";
	for (size_t i = 0; i < ARRAY_SIZE(kthread_profiles); i++)
		if (strcmp(kthread_profiles[i].name, profile) == 0) {
			rules = kthread_profiles[i].rules;
			nr_rules = kthread_profiles[i].nr_rules;
		}
	if (!rules) {
		err(ctx, "unknown kernel thread profile \"%s\"", profile);
		return -ENOENT;
	}
	r = rtvm_host_new(ctx, RTVM_HOST_THREADS, &host);
	if (r < 0)
		return r;
	r = rtvm_changeset_new(ctx, &tmp);
	if (r < 0) {
		rtvm_host_unref(host);
		return r;
	}
	rtvm_host_foreach_thread(t, host) {
		struct rtvm_sched s = { 0 };

		if (!rtvm_thread_is_kthread(t))
			continue;
		rule = kthread_match(rules, nr_rules, rtvm_thread_get_comm(t),
				     cpus);
		if (!rule)
			continue;
		s.policy = rule->policy;
		s.priority = rule->priority;
		r = rtvm_thread_set_sched_at(
			ctx,
			(struct rtvm_tid){ rtvm_thread_get_pid(t),
					   rtvm_thread_get_tid(t) },
			NULL, &s, 0, tmp);
		if (r == -ESRCH) /* its CPU went offline meanwhile */
			r = 0;
		if (r < 0)
			break;
	}
	rtvm_host_unref(host);
	return changeset_finish(tmp, cs, r);
}

int rtvm_kthread_rule(const char *profile, const char *comm,
		      const struct rtvm_cpumask *cpus, struct rtvm_sched *ret)
{
	const struct kthread_rule *rule;

	for (size_t i = 0; i < ARRAY_SIZE(kthread_profiles); i++) {
		if (strcmp(kthread_profiles[i].name, profile) != 0)
			continue;
		rule = kthread_match(kthread_profiles[i].rules,
				     kthread_profiles[i].nr_rules, comm, cpus);
		if (!rule)
			return 0;
		*ret = (struct rtvm_sched){ .policy = rule->policy,
					    .priority = rule->priority };
		return 1;
	}
	return -ENOENT;
}
