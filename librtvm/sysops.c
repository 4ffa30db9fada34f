/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * System calls on threads, behind an operations table: the kernel's for the
 * real host, and a simulation for sysroots that records each call and shows
 * its effect in the fixture's /proc files.  Tests swap the table or inject
 * faults through the context.
 */
#include "config.h"

#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "librtvm-private.h"
#include "ctx.h"

#ifndef SCHED_IDLE
#define SCHED_IDLE 5
#endif
#ifndef SCHED_DEADLINE
#define SCHED_DEADLINE 6
#endif

/* The kernel's struct sched_attr (v0 layout, 48 bytes). */
struct kernel_sched_attr {
	uint32_t size;
	uint32_t sched_policy;
	uint64_t sched_flags;
	int32_t sched_nice;
	uint32_t sched_priority;
	uint64_t sched_runtime;
	uint64_t sched_deadline;
	uint64_t sched_period;
};

static const char *const policy_names[] = {
	[SCHED_OTHER] = "other", [SCHED_FIFO] = "fifo",
	[SCHED_RR] = "rr",	 [SCHED_BATCH] = "batch",
	[SCHED_IDLE] = "idle",	 [SCHED_DEADLINE] = "deadline",
};

static int policy_from_name(const char *name)
{
	for (size_t i = 0; i < ARRAY_SIZE(policy_names); i++)
		if (policy_names[i] && strcmp(policy_names[i], name) == 0)
			return (int)i;
	return -EINVAL;
}

static bool policy_valid(int policy)
{
	return policy >= 0 && (size_t)policy < ARRAY_SIZE(policy_names) &&
	       policy_names[policy];
}

int rtvm_sched_format_buf(const struct rtvm_sched *s, char *buf, size_t size)
{
	int n;

	if (!policy_valid(s->policy))
		return -EINVAL;
	if (s->policy == SCHED_DEADLINE && s->nice)
		n = snprintf(buf, size,
			     "deadline:%" PRIu64 ":%" PRIu64 ":%" PRIu64 ":%d",
			     s->runtime, s->deadline, s->period, s->nice);
	else if (s->policy == SCHED_DEADLINE)
		n = snprintf(buf, size,
			     "deadline:%" PRIu64 ":%" PRIu64 ":%" PRIu64,
			     s->runtime, s->deadline, s->period);
	else
		n = snprintf(buf, size, "%s:%d:%d", policy_names[s->policy],
			     s->priority, s->nice);
	return n < 0 || (size_t)n >= size ? -EOVERFLOW : 0;
}

int rtvm_sched_format(const struct rtvm_sched *s, char **ret)
{
	char buf[RTVM_SCHED_TEXT_MAX];
	int r;

	r = rtvm_sched_format_buf(s, buf, sizeof(buf));
	if (r < 0)
		return r;
	*ret = strdup(buf);
	return *ret ? 0 : -ENOMEM;
}

int rtvm_sched_parse(const char *str, struct rtvm_sched *ret)
{
	struct rtvm_sched s = {0};
	char *copy, *f[5], *save = NULL;
	int n = 0, r = -EINVAL;

	copy = strdup(str);
	if (!copy)
		return -ENOMEM;
	/* Every token is counted, so that one too many is refused. */
	for (char *tok = strtok_r(copy, ":", &save); tok;
	     tok = strtok_r(NULL, ":", &save)) {
		if (n == 5)
			goto out;
		f[n++] = tok;
	}
	if (n < 3)
		goto out;
	s.policy = policy_from_name(f[0]);
	if (s.policy < 0)
		goto out;
	if (s.policy == SCHED_DEADLINE) {
		/* "deadline:RUNTIME:DEADLINE:PERIOD[:NICE]": the nice value
		 * a deadline thread keeps, when it is not 0. */
		if (n < 4 || rtvm_parse_u64(f[1], &s.runtime) < 0 ||
		    rtvm_parse_u64(f[2], &s.deadline) < 0 ||
		    rtvm_parse_u64(f[3], &s.period) < 0 ||
		    (n == 5 && (rtvm_parse_int(f[4], &s.nice) < 0 ||
				s.nice < -20 || s.nice > 19)))
			goto out;
	} else {
		if (n > 3 || rtvm_parse_int(f[1], &s.priority) < 0 ||
		    rtvm_parse_int(f[2], &s.nice) < 0 || s.priority < 0 ||
		    s.priority > 99 || s.nice < -20 || s.nice > 19)
			goto out;
	}
	*ret = s;
	r = 0;
out:
	free(copy);
	return r;
}

/* ---- the kernel ------------------------------------------------------- */

static int kernel_sched_get(struct rtvm_ctx *ctx, struct rtvm_tid t,
			    struct rtvm_sched *ret)
{
	struct kernel_sched_attr a = {0};

	if (syscall(SYS_sched_getattr, t.tid, &a, sizeof(a), 0) < 0)
		return -errno;
	*ret = (struct rtvm_sched){
		.policy = (int)a.sched_policy,
		.priority = (int)a.sched_priority,
		.nice = a.sched_nice,
		.runtime = a.sched_runtime,
		.deadline = a.sched_deadline,
		.period = a.sched_period,
	};
	if (ret->policy != SCHED_DEADLINE)
		ret->runtime = ret->deadline = ret->period = 0;
	if (ret->policy == SCHED_FIFO || ret->policy == SCHED_RR ||
	    ret->policy == SCHED_DEADLINE) {
		int nice;

		/* sched_getattr() says nice 0 for RT and deadline threads,
		 * but they keep a nice value and go back to it with
		 * SCHED_OTHER: getpriority() tells it. */
		errno = 0;
		nice = getpriority(PRIO_PROCESS, (id_t)t.tid);
		if (nice == -1 && errno)
			return -errno;
		ret->nice = nice;
	}
	return 0;
}

static int kernel_sched_set(struct rtvm_ctx *ctx, struct rtvm_tid t,
			    const struct rtvm_sched *s)
{
	struct kernel_sched_attr a = {
		.size = sizeof(a),
		.sched_policy = (uint32_t)s->policy,
		.sched_nice = s->nice,
		.sched_priority = (uint32_t)s->priority,
		.sched_runtime = s->runtime,
		.sched_deadline = s->deadline,
		.sched_period = s->period,
	};

	if (syscall(SYS_sched_setattr, t.tid, &a, 0) < 0)
		return -errno;
	return 0;
}

static int kernel_affinity_get(struct rtvm_ctx *ctx, struct rtvm_tid t,
			       struct rtvm_cpumask *ret)
{
	size_t bytes;
	unsigned long *bits = rtvm_cpumask_bits_mut(ret, &bytes);

	memset(bits, 0, bytes);
	/* The raw system call returns the kernel's mask size or an error. */
	if (syscall(SYS_sched_getaffinity, t.tid, bytes, bits) < 0)
		return -errno;
	return 0;
}

static int kernel_affinity_set(struct rtvm_ctx *ctx, struct rtvm_tid t,
			       const struct rtvm_cpumask *mask)
{
	size_t bytes;
	const unsigned long *bits = rtvm_cpumask_bits(mask, &bytes);

	if (syscall(SYS_sched_setaffinity, t.tid, bytes, bits) < 0)
		return -errno;
	return 0;
}

static int kernel_irq_affinity_set(struct rtvm_ctx *ctx, unsigned int irq,
				   const struct rtvm_cpumask *mask)
{
	char *list;
	int r;

	r = rtvm_cpumask_format_list(mask, &list);
	if (r < 0)
		return r;
	r = rtvm_fs_write(ctx, RTVM_FS_PROC, list, "irq/%u/smp_affinity_list",
			  irq);
	free(list);
	return r;
}

const struct rtvm_sysops rtvm_sysops_kernel = {
	.name = "kernel",
	.sched_get = kernel_sched_get,
	.sched_set = kernel_sched_set,
	.affinity_get = kernel_affinity_get,
	.affinity_set = kernel_affinity_set,
	.cgroup_attach = rtvm_kernel_cgroup_attach,
	.irq_affinity_set = kernel_irq_affinity_set,
};

/* ---- the sysroot simulation ------------------------------------------ */

#define STAT_PRIORITY 18
#define STAT_NICE 19
#define STAT_RT_PRIORITY 40
#define STAT_POLICY 41

/* Split a stat line: fields[1] is "pid", fields[2] the comm, then the rest
 * (1-based like proc(5)).  Returns the number of fields or -EINVAL. */
static int stat_split(char *line, char **fields, int max)
{
	char *open = strchr(line, '('), *close = strrchr(line, ')');
	int n = 0;

	if (!open || !close || close < open || close[1] != ' ' || max < 3)
		return -EINVAL;
	*open = '\0';
	*close = '\0';
	fields[++n] = rtvm_strip(line);
	fields[++n] = open + 1;
	for (char *save = NULL, *tok = strtok_r(close + 2, " ", &save);
	     tok && n + 1 < max; tok = strtok_r(NULL, " ", &save))
		fields[++n] = tok;
	return n;
}

static int sysroot_read_stat(struct rtvm_ctx *ctx, struct rtvm_tid t,
			     char *buf, size_t size, char **fields, int max)
{
	int r;

	r = rtvm_fs_read(ctx, RTVM_FS_PROC, buf, size, "%d/task/%d/stat",
			 t.pid, t.tid);
	if (r == -ENOENT)
		return -ESRCH;
	if (r < 0)
		return r;
	r = stat_split(buf, fields, max);
	return r < STAT_POLICY ? -EIO : r;
}

static int sysroot_sched_get(struct rtvm_ctx *ctx, struct rtvm_tid t,
			     struct rtvm_sched *ret)
{
	char sched[4096];
	struct rtvm_sched s = {0};
	struct rtvm_stat st;
	int r;

	r = rtvm_stat_read(ctx, t, &st);
	if (r < 0)
		return r;
	s.policy = st.policy;
	s.priority = st.rt_priority;
	s.nice = st.nice;
	if (s.policy == SCHED_DEADLINE &&
	    rtvm_fs_read(ctx, RTVM_FS_PROC, sched, sizeof(sched),
			 "%d/task/%d/sched", t.pid, t.tid) >= 0) {
		const char *p;

		if ((p = strstr(sched, "dl.runtime")))
			sscanf(strchr(p, ':') + 1, "%" SCNu64, &s.runtime);
		if ((p = strstr(sched, "dl.deadline")))
			sscanf(strchr(p, ':') + 1, "%" SCNu64, &s.deadline);
		if ((p = strstr(sched, "dl.period")))
			sscanf(strchr(p, ':') + 1, "%" SCNu64, &s.period);
	}
	*ret = s;
	return 0;
}

static int sysroot_record(struct rtvm_ctx *ctx, const char *fmt, ...)
	RTVM_PRINTF(2, 3);

static int sysroot_record(struct rtvm_ctx *ctx, const char *fmt, ...)
{
	va_list ap;
	char *line;
	int r;

	va_start(ap, fmt);
	r = vasprintf(&line, fmt, ap);
	va_end(ap);
	if (r < 0)
		return -ENOMEM;
	r = rtvm_fs_sysroot_log(ctx, line);
	free(line);
	return r;
}

/* Rewrite a stat line with some fields replaced (index 0 = keep). */
static int sysroot_write_stat(struct rtvm_ctx *ctx, struct rtvm_tid t,
			      char **f, int n)
{
	char *out = NULL, *tmp;
	int r;

	if (asprintf(&out, "%s (%s)", f[1], f[2]) < 0)
		return -ENOMEM;
	for (int i = 3; i <= n; i++) {
		r = asprintf(&tmp, "%s %s", out, f[i]);
		free(out);
		if (r < 0)
			return -ENOMEM;
		out = tmp;
	}
	r = asprintf(&tmp, "%s\n", out);
	free(out);
	if (r < 0)
		return -ENOMEM;
	r = rtvm_fs_write(ctx, RTVM_FS_PROC, tmp, "%d/task/%d/stat", t.pid,
			  t.tid);
	free(tmp);
	return r;
}

static int sysroot_sched_set(struct rtvm_ctx *ctx, struct rtvm_tid t,
			     const struct rtvm_sched *s)
{
	char buf[1024], *f[64], prio[16], nice[16], rtprio[16], policy[16];
	bool rt = s->policy == SCHED_FIFO || s->policy == SCHED_RR;
	char *text;
	int n, r, fd;

	if (!policy_valid(s->policy) || s->nice < -20 || s->nice > 19 ||
	    (rt && (s->priority < 1 || s->priority > 99)) ||
	    (!rt && s->priority != 0))
		return -EINVAL;
	if (s->policy == SCHED_DEADLINE &&
	    (s->runtime == 0 || s->runtime > s->deadline ||
	     (s->period && s->deadline > s->period)))
		return -EINVAL;
	n = sysroot_read_stat(ctx, t, buf, sizeof(buf), f, 64);
	if (n < 0)
		return n;
	r = rtvm_sched_format(s, &text);
	if (r < 0)
		return r;
	r = sysroot_record(ctx, "sched_setattr %d/%d %s", t.pid, t.tid, text);
	free(text);
	if (r < 0)
		return r;
	/* What the kernel does: RT, deadline and idle threads keep their
	 * nice value (sched_setattr() ignores sched_nice for them); prio is
	 * -1 - rt_priority for RT, -101 for deadline, 20 + nice otherwise. */
	snprintf(nice, sizeof(nice), "%d",
		 rtvm_sched_keeps_nice(s->policy) ? atoi(f[STAT_NICE]) :
						    s->nice);
	if (rt)
		snprintf(prio, sizeof(prio), "%d", -1 - s->priority);
	else if (s->policy == SCHED_DEADLINE)
		snprintf(prio, sizeof(prio), "-101");
	else
		snprintf(prio, sizeof(prio), "%d", 20 + atoi(nice));
	snprintf(rtprio, sizeof(rtprio), "%d", s->priority);
	snprintf(policy, sizeof(policy), "%d", s->policy);
	f[STAT_PRIORITY] = prio;
	f[STAT_NICE] = nice;
	f[STAT_RT_PRIORITY] = rtprio;
	f[STAT_POLICY] = policy;
	r = sysroot_write_stat(ctx, t, f, n);
	if (r < 0 || s->policy != SCHED_DEADLINE)
		return r;
	r = asprintf(&text,
		     "dl.runtime : %" PRIu64 "\ndl.deadline : %" PRIu64
		     "\ndl.period : %" PRIu64 "\n",
		     s->runtime, s->deadline, s->period);
	if (r < 0)
		return -ENOMEM;
	/* The kernel shows these in the thread's sched file. */
	fd = rtvm_fs_open(ctx, RTVM_FS_PROC, O_WRONLY | O_CREAT | O_TRUNC,
			  "%d/task/%d/sched", t.pid, t.tid);
	if (fd < 0)
		r = fd;
	else {
		r = write(fd, text, strlen(text)) == (ssize_t)strlen(text) ? 0 :
									     -EIO;
		close(fd);
	}
	free(text);
	return r;
}

static int sysroot_affinity_get(struct rtvm_ctx *ctx, struct rtvm_tid t,
				struct rtvm_cpumask *ret)
{
	char *status, *line;
	int r;

	r = rtvm_fs_read_alloc(ctx, RTVM_FS_PROC, &status, "%d/task/%d/status",
			       t.pid, t.tid);
	if (r == -ENOENT)
		return -ESRCH;
	if (r < 0)
		return r;
	line = strstr(status, "\nCpus_allowed_list:");
	if (!line)
		r = -EIO;
	else {
		line += strlen("\nCpus_allowed_list:");
		line[strcspn(line, "\n")] = '\0';
		r = rtvm_cpumask_parse_list(ret, line, 0);
	}
	free(status);
	return r;
}

/* Replace the value of "Key:\t..." in a status file text. */
static int status_replace(char **status, const char *key, const char *value)
{
	char *p = strstr(*status, key), *end, *out;

	if (!p)
		return 0;
	p += strlen(key);
	end = p + strcspn(p, "\n");
	if (asprintf(&out, "%.*s\t%s%s", (int)(p - *status), *status, value,
		     end) < 0)
		return -ENOMEM;
	free(*status);
	*status = out;
	return 0;
}

static int sysroot_affinity_set(struct rtvm_ctx *ctx, struct rtvm_tid t,
				const struct rtvm_cpumask *mask)
{
	char *list = NULL;
	struct rtvm_cpumask *on = NULL;
	struct rtvm_stat st;
	int r;

	r = rtvm_stat_read(ctx, t, &st);
	if (r < 0)
		return r;
	if (st.flags & RTVM_PF_NO_SETAFFINITY)
		return -EINVAL;
	/* Like the kernel: the new mask must hold an online CPU. */
	r = rtvm_ctx_online_cpus(ctx, &on);
	if (r < 0)
		return r;
	if (!rtvm_cpumask_intersects(mask, on)) {
		r = -EINVAL;
		goto out;
	}
	r = rtvm_cpumask_format_list(mask, &list);
	if (r < 0)
		goto out;
	r = sysroot_record(ctx, "sched_setaffinity %d/%d %s", t.pid, t.tid,
			   list);
	if (r == 0)
		r = rtvm_sysroot_show_affinity(ctx, t, mask);
out:
	free(list);
	rtvm_cpumask_free(on);
	return r;
}

int rtvm_sysroot_show_affinity(struct rtvm_ctx *ctx, struct rtvm_tid t,
			       const struct rtvm_cpumask *mask)
{
	char *status = NULL, *list = NULL, *hex = NULL;
	struct rtvm_cpumask *on = NULL;
	int r;

	r = rtvm_cpumask_new(ctx, &on);
	if (r < 0)
		return r;
	r = rtvm_cpumask_op(on, RTVM_CPUMASK_COPY, mask);
	if (r < 0)
		goto out;
	if ((r = rtvm_cpumask_format_list(on, &list)) < 0 ||
	    (r = rtvm_cpumask_format_hex(on, &hex)) < 0)
		goto out;
	r = rtvm_fs_read_alloc(ctx, RTVM_FS_PROC, &status, "%d/task/%d/status",
			       t.pid, t.tid);
	if (r < 0)
		goto out;
	if ((r = status_replace(&status, "\nCpus_allowed:", hex)) < 0 ||
	    (r = status_replace(&status, "\nCpus_allowed_list:", list)) < 0)
		goto out;
	free(list);
	/* Put back the final newline that reading took away. */
	r = asprintf(&list, "%s\n", status) < 0 ? -ENOMEM : 0;
	if (r == 0)
		r = rtvm_fs_write(ctx, RTVM_FS_PROC, list, "%d/task/%d/status",
				  t.pid, t.tid);
out:
	free(status);
	free(list);
	free(hex);
	rtvm_cpumask_free(on);
	return r;
}

/* Like x86's vector allocator: the IRQ is delivered to one CPU of the
 * requested mask (here the first online one). */
static int sysroot_irq_affinity_set(struct rtvm_ctx *ctx, unsigned int irq,
				    const struct rtvm_cpumask *mask)
{
	char buf[64], *list = NULL, *hex = NULL, eff[16];
	struct rtvm_cpumask *on = NULL;
	struct stat st;
	int r, cpu, fd;

	r = rtvm_fs_read(ctx, RTVM_FS_PROC, buf, sizeof(buf),
			 "irq/%u/smp_affinity_list", irq);
	if (r < 0)
		return r;
	/* The kernel: a read-only affinity file (managed, or not
	 * balanceable) refuses writes, also root's. */
	fd = rtvm_fs_open(ctx, RTVM_FS_PROC, O_PATH,
			  "irq/%u/smp_affinity_list", irq);
	if (fd >= 0) {
		bool ro = fstat(fd, &st) == 0 && !(st.st_mode & S_IWUSR);

		close(fd);
		if (ro)
			return -EPERM;
	}
	r = rtvm_ctx_online_cpus(ctx, &on);
	if (r < 0)
		return r;
	r = rtvm_cpumask_op(on, RTVM_CPUMASK_AND, mask);
	if (r < 0)
		goto out;
	cpu = rtvm_cpumask_next(on, -1);
	if (cpu < 0) {
		r = -EINVAL; /* the kernel: no online CPU in the mask */
		goto out;
	}
	if ((r = rtvm_cpumask_format_list(mask, &list)) < 0 ||
	    (r = rtvm_cpumask_format_hex(mask, &hex)) < 0)
		goto out;
	r = sysroot_record(ctx, "irq_set_affinity %u %s", irq, list);
	if (r == 0)
		r = rtvm_fs_write(ctx, RTVM_FS_PROC, list,
				  "irq/%u/smp_affinity_list", irq);
	if (r == 0 && rtvm_fs_read(ctx, RTVM_FS_PROC, buf, sizeof(buf),
				   "irq/%u/smp_affinity", irq) >= 0)
		r = rtvm_fs_write(ctx, RTVM_FS_PROC, hex, "irq/%u/smp_affinity",
				  irq);
	snprintf(eff, sizeof(eff), "%d", cpu);
	if (r == 0 && rtvm_fs_read(ctx, RTVM_FS_PROC, buf, sizeof(buf),
				   "irq/%u/effective_affinity_list", irq) >= 0)
		r = rtvm_fs_write(ctx, RTVM_FS_PROC, eff,
				  "irq/%u/effective_affinity_list", irq);
out:
	free(list);
	free(hex);
	rtvm_cpumask_free(on);
	return r;
}

const struct rtvm_sysops rtvm_sysops_sysroot = {
	.name = "sysroot",
	.sched_get = sysroot_sched_get,
	.sched_set = sysroot_sched_set,
	.affinity_get = sysroot_affinity_get,
	.affinity_set = sysroot_affinity_set,
	.cgroup_attach = rtvm_sysroot_cgroup_attach,
	.irq_affinity_set = sysroot_irq_affinity_set,
};

/* ---- fault-checked entry points -------------------------------------- */

static int fault(struct rtvm_ctx *ctx, enum rtvm_op op, struct rtvm_tid t)
{
	char target[32];

	if (!ctx->faults) /* the usual case: no formatting */
		return 0;
	snprintf(target, sizeof(target), "%d/%d", t.pid, t.tid);
	return rtvm_fault_check(ctx, op, target);
}

int rtvm_sys_sched_get(struct rtvm_ctx *ctx, struct rtvm_tid t,
		       struct rtvm_sched *ret)
{
	int r = fault(ctx, RTVM_OP_SCHED_GET, t);

	return r < 0 ? r : rtvm_ctx_get_sysops(ctx)->sched_get(ctx, t, ret);
}

int rtvm_sys_sched_set(struct rtvm_ctx *ctx, struct rtvm_tid t,
		       const struct rtvm_sched *s)
{
	int r = fault(ctx, RTVM_OP_SCHED_SET, t);

	return r < 0 ? r : rtvm_ctx_get_sysops(ctx)->sched_set(ctx, t, s);
}

bool rtvm_sched_keeps_nice(int policy)
{
	return policy == SCHED_FIFO || policy == SCHED_RR ||
	       policy == SCHED_DEADLINE || policy == SCHED_IDLE;
}

int rtvm_sys_sched_set_exact(struct rtvm_ctx *ctx, struct rtvm_tid t,
			     const struct rtvm_sched *s, int cur_nice)
{
	struct rtvm_sched other = { .policy = SCHED_OTHER, .nice = s->nice };
	int r;

	/* sched_setattr() sets the nice value only with SCHED_OTHER or
	 * SCHED_BATCH: a policy that keeps it gets it in a first step. */
	if (rtvm_sched_keeps_nice(s->policy) && cur_nice != s->nice) {
		r = rtvm_sys_sched_set(ctx, t, &other);
		if (r < 0)
			return r;
	}
	return rtvm_sys_sched_set(ctx, t, s);
}

int rtvm_sys_affinity_get(struct rtvm_ctx *ctx, struct rtvm_tid t,
			  struct rtvm_cpumask *ret)
{
	int r = fault(ctx, RTVM_OP_AFFINITY_GET, t);

	return r < 0 ? r : rtvm_ctx_get_sysops(ctx)->affinity_get(ctx, t, ret);
}

int rtvm_sys_affinity_set(struct rtvm_ctx *ctx, struct rtvm_tid t,
			  const struct rtvm_cpumask *mask)
{
	int r = fault(ctx, RTVM_OP_AFFINITY_SET, t);

	return r < 0 ? r :
		       rtvm_ctx_get_sysops(ctx)->affinity_set(ctx, t, mask);
}

int rtvm_sys_cgroup_attach(struct rtvm_ctx *ctx, struct rtvm_tid t,
			   const char *controller, const char *path)
{
	const struct rtvm_sysops *ops = rtvm_ctx_get_sysops(ctx);
	int r = fault(ctx, RTVM_OP_CGROUP_ATTACH, t);

	if (r < 0)
		return r;
	/* Tables made by tests before this op existed: the context's own. */
	if (ops->cgroup_attach)
		return ops->cgroup_attach(ctx, t, controller, path);
	return rtvm_fs_root_fd(ctx) >= 0 ?
		       rtvm_sysroot_cgroup_attach(ctx, t, controller, path) :
		       rtvm_kernel_cgroup_attach(ctx, t, controller, path);
}

int rtvm_sys_irq_affinity_set(struct rtvm_ctx *ctx, unsigned int irq,
			      const struct rtvm_cpumask *mask)
{
	char target[16];
	int r;

	snprintf(target, sizeof(target), "%u", irq);
	r = rtvm_fault_check(ctx, RTVM_OP_IRQ_AFFINITY_SET, target);
	return r < 0 ? r :
		       rtvm_ctx_get_sysops(ctx)->irq_affinity_set(ctx, irq, mask);
}
