/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The host model: a read-only snapshot of CPUs, the kernel command line and
 * every thread, read from the context's root.
 */
#include "config.h"

#include <ctype.h>
#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "librtvm-private.h"
#include "ctx.h"

#define RTVM_HOST_ALL                                                      \
	(RTVM_HOST_CPUS | RTVM_HOST_CMDLINE | RTVM_HOST_THREADS |          \
	 RTVM_HOST_THREAD_AFFINITY | RTVM_HOST_THREAD_CGROUPS)
#define NR_SETS (RTVM_CPUS_NOHZ_FULL + 1)
#define NR_NODE_SETS (RTVM_NODES_HAS_MEMORY + 1)

struct rtvm_idle_state {
	char *name;
	int latency;
	bool disabled;
};

struct rtvm_cpu {
	unsigned int id;
	bool possible;
	bool online;
	int core_id;
	int package_id;
	int die_id;
	int cluster_id;
	int node;
	int capacity;
	enum rtvm_core_type core_type;
	struct rtvm_cpumask *siblings;
	char *governor;
	unsigned int nr_idle;
	struct rtvm_idle_state *idle;
};

struct rtvm_thread {
	pid_t pid;
	pid_t tid;
	struct rtvm_stat st;
	struct rtvm_cpumask *affinity;
	char *cgroups; /* the thread's cgroup file, NUL-separated lines */
};

struct cmdline_param {
	char *key;
	char *value;
};

struct rtvm_host {
	int refcount;
	struct rtvm_ctx *ctx;
	unsigned int flags;
	struct rtvm_cpumask *sets[NR_SETS];
	struct rtvm_cpumask *nodes[NR_NODE_SETS];
	unsigned int nr_cpus;
	struct rtvm_cpu *cpus;
	char *cmdline;
	struct cmdline_param *params;
	unsigned int nr_params;
	struct rtvm_thread *threads;
	unsigned int nr_threads;
};

/* ---- possible CPUs ---------------------------------------------------- */

/* The numbers N of the "<prefix>N" entries of a sysfs directory, set in
 * @mask (numbers beyond its size are left out): how CPUs and nodes are
 * found where the summary files (cpu/possible, node/online) are missing.
 * Returns the count set, or -errno (-ENOENT: no such directory). */
static int scan_numbered(struct rtvm_ctx *ctx, const char *dir,
			 const char *prefix, struct rtvm_cpumask *mask)
{
	size_t plen = strlen(prefix);
	struct dirent *de;
	int fd, n = 0;
	DIR *d;

	fd = rtvm_fs_open_dir(ctx, RTVM_FS_SYS, "%s", dir);
	if (fd < 0)
		return fd;
	d = fdopendir(fd);
	if (!d) {
		close(fd);
		return -errno;
	}
	while ((de = readdir(d))) {
		const char *num = de->d_name + plen;
		int v;

		if (strncmp(de->d_name, prefix, plen) != 0 || !*num ||
		    !isdigit((unsigned char)*num) ||
		    rtvm_parse_int(num, &v) < 0 || v < 0)
			continue;
		if (rtvm_cpumask_set(mask, (unsigned int)v) == 0)
			n++;
	}
	closedir(d);
	return n;
}

int rtvm_ctx_nr_possible_cpus(struct rtvm_ctx *ctx, unsigned int *ret)
{
	struct rtvm_cpumask *m;
	char buf[4096];
	int r, last = -1, cpu;

	if (ctx->nr_possible) {
		*ret = ctx->nr_possible;
		return 0;
	}
	r = rtvm_fs_read(ctx, RTVM_FS_SYS, buf, sizeof(buf),
			 "devices/system/cpu/possible");
	if (r == -ENOENT) {
		/* Older kernels, some containers: the cpuN directories. */
		r = rtvm_cpumask_new_nr(RTVM_CPUMASK_MAX_CPUS, &m);
		if (r < 0)
			return r;
		r = scan_numbered(ctx, "devices/system/cpu", "cpu", m);
		if (r > 0)
			rtvm_cpumask_foreach(cpu, m)
				last = cpu;
		rtvm_cpumask_free(m);
		if (r <= 0) {
			err(ctx, "no CPUs found: neither "
				 "devices/system/cpu/possible nor cpuN "
				 "directories");
			return r < 0 ? r : -ENOENT;
		}
		ctx->nr_possible = (unsigned int)last + 1;
		*ret = ctx->nr_possible;
		return 0;
	}
	if (r < 0)
		return r;
	r = rtvm_cpumask_new_nr(RTVM_CPUMASK_MAX_CPUS, &m);
	if (r < 0)
		return r;
	r = rtvm_cpumask_parse_list(m, buf, 0);
	if (r == 0)
		rtvm_cpumask_foreach(cpu, m)
			last = cpu;
	rtvm_cpumask_free(m);
	if (r < 0) {
		err(ctx, "cannot parse possible CPUs \"%s\"", buf);
		return r;
	}
	ctx->nr_possible = (unsigned int)last + 1;
	*ret = ctx->nr_possible;
	return 0;
}

RTVM_EXPORT int rtvm_cpumask_new(struct rtvm_ctx *ctx,
				 struct rtvm_cpumask **ret)
{
	unsigned int nr;
	int r;

	if (!ctx || !ret)
		return -EINVAL;
	r = rtvm_ctx_nr_possible_cpus(ctx, &nr);
	return r < 0 ? r : rtvm_cpumask_new_nr(nr, ret);
}

/* Where cpu/online is missing: the cpuN directories whose cpuN/online
 * does not read 0 (CPU 0 often has no such file: it cannot go offline). */
static int derive_online(struct rtvm_ctx *ctx, struct rtvm_cpumask *on)
{
	struct rtvm_cpumask *dirs;
	int r, cpu;

	r = rtvm_cpumask_new_nr(rtvm_cpumask_nr_cpus(on), &dirs);
	if (r < 0)
		return r;
	r = scan_numbered(ctx, "devices/system/cpu", "cpu", dirs);
	if (r >= 0) {
		r = 0;
		rtvm_cpumask_foreach(cpu, dirs) {
			char buf[16];

			if (rtvm_fs_read(ctx, RTVM_FS_SYS, buf, sizeof(buf),
					 "devices/system/cpu/cpu%d/online",
					 cpu) >= 0 &&
			    strcmp(rtvm_strip(buf), "0") == 0)
				continue;
			rtvm_cpumask_set(on, (unsigned int)cpu);
		}
	}
	rtvm_cpumask_free(dirs);
	return r;
}

int rtvm_ctx_online_cpus(struct rtvm_ctx *ctx, struct rtvm_cpumask **ret)
{
	struct rtvm_cpumask *on;
	char buf[8192];
	bool derive;
	int r;

	r = rtvm_fs_read(ctx, RTVM_FS_SYS, buf, sizeof(buf),
			 "devices/system/cpu/online");
	if (r < 0 && r != -ENOENT)
		return r;
	derive = r == -ENOENT; /* older kernels: from cpuN/online */
	r = rtvm_cpumask_new(ctx, &on);
	if (r < 0)
		return r;
	if (derive) {
		r = derive_online(ctx, on);
		if (r == 0 && rtvm_cpumask_weight(on) == 0)
			r = -ENOENT;
	} else if ((r = rtvm_cpumask_parse_list(on, buf, 0)) < 0) {
		err(ctx, "cannot parse online CPUs \"%s\"", buf);
	}
	if (r < 0) {
		rtvm_cpumask_free(on);
		return r;
	}
	*ret = on;
	return 0;
}

int rtvm_cpus_check_online(struct rtvm_ctx *ctx,
			   const struct rtvm_cpumask *mask)
{
	struct rtvm_cpumask *on = NULL;
	int cpu, r;

	if (rtvm_cpumask_weight(mask) == 0) {
		err(ctx, "empty CPU mask");
		return -EINVAL;
	}
	r = rtvm_ctx_online_cpus(ctx, &on);
	if (r < 0)
		return r;
	rtvm_cpumask_foreach(cpu, mask) {
		if (!rtvm_cpumask_test(on, (unsigned int)cpu)) {
			err(ctx, "CPU %d is not online", cpu);
			r = -EINVAL;
			break;
		}
	}
	rtvm_cpumask_free(on);
	return r;
}

/* ---- CPUs ------------------------------------------------------------- */

static int read_int(struct rtvm_ctx *ctx, int *ret, const char *fmt, ...)
	RTVM_PRINTF(3, 4);

static int read_int(struct rtvm_ctx *ctx, int *ret, const char *fmt, ...)
{
	char path[256], buf[64];
	va_list ap;
	int r;

	va_start(ap, fmt);
	vsnprintf(path, sizeof(path), fmt, ap);
	va_end(ap);
	r = rtvm_fs_read(ctx, RTVM_FS_SYS, buf, sizeof(buf), "%s", path);
	if (r < 0)
		return r;
	return rtvm_parse_int(rtvm_strip(buf), ret);
}

/* A list file of @nr bits (CPUs, or nodes with RTVM_MAX_NODES); "(null)"
 * reads as an empty set, and so does a missing file when @optional (then
 * @ret_missing, if given, says so). */
static int read_list(struct rtvm_host *h, unsigned int nr,
		     struct rtvm_cpumask **ret, bool optional,
		     bool *ret_missing, const char *path)
{
	char buf[8192];
	int r;

	if (ret_missing)
		*ret_missing = false;
	r = rtvm_cpumask_new_nr(nr, ret);
	if (r < 0)
		return r;
	r = rtvm_fs_read(h->ctx, RTVM_FS_SYS, buf, sizeof(buf), "%s", path);
	if (r == -ENOENT && optional) {
		if (ret_missing)
			*ret_missing = true;
		return 0;
	}
	if (r < 0)
		return r;
	if (strcmp(rtvm_strip(buf), "(null)") == 0)
		return 0;
	r = rtvm_cpumask_parse_list(*ret, buf, RTVM_CPUMASK_ALLOW_EMPTY);
	if (r < 0)
		err(h->ctx, "%s: cannot parse the %s list \"%s\"", path,
		    nr == RTVM_MAX_NODES ? "node" : "CPU", buf);
	return r;
}

/* A CPU list file; missing (when @optional) or "(null)": an empty set. */
static int read_set(struct rtvm_host *h, struct rtvm_cpumask **ret,
		    bool optional, const char *fmt, ...) RTVM_PRINTF(4, 5);

static int read_set(struct rtvm_host *h, struct rtvm_cpumask **ret,
		    bool optional, const char *fmt, ...)
{
	char path[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(path, sizeof(path), fmt, ap);
	va_end(ap);
	return read_list(h, h->nr_cpus, ret, optional, NULL, path);
}

static int load_idle_states(struct rtvm_host *h, struct rtvm_cpu *c)
{
	for (unsigned int i = 0;; i++) {
		struct rtvm_idle_state *n, *s;
		char name[64];
		int r, dis = 0;

		r = rtvm_fs_read(h->ctx, RTVM_FS_SYS, name, sizeof(name),
				 "devices/system/cpu/cpu%u/cpuidle/state%u/name",
				 c->id, i);
		if (r == -ENOENT)
			return 0;
		if (r < 0)
			return r;
		n = realloc(c->idle, (i + 1) * sizeof(*n));
		if (!n)
			return -ENOMEM;
		c->idle = n;
		s = &c->idle[i];
		*s = (struct rtvm_idle_state){ .latency = -1 };
		c->nr_idle = i + 1;
		s->name = strdup(rtvm_strip(name));
		if (!s->name)
			return -ENOMEM;
		read_int(h->ctx, &s->latency,
			 "devices/system/cpu/cpu%u/cpuidle/state%u/latency",
			 c->id, i);
		read_int(h->ctx, &dis,
			 "devices/system/cpu/cpu%u/cpuidle/state%u/disable",
			 c->id, i);
		s->disabled = dis != 0;
	}
}

static int load_cpu(struct rtvm_host *h, struct rtvm_cpu *c)
{
	char buf[256];
	int r;

	c->online = rtvm_cpumask_test(h->sets[RTVM_CPUS_ONLINE], c->id);
	/* Offline CPUs have no topology: -1 stands for unknown. */
	if (read_int(h->ctx, &c->core_id,
		     "devices/system/cpu/cpu%u/topology/core_id", c->id) < 0)
		c->core_id = -1;
	if (read_int(h->ctx, &c->package_id,
		     "devices/system/cpu/cpu%u/topology/physical_package_id",
		     c->id) < 0)
		c->package_id = -1;
	/* die_id (5.2), cluster_id (5.16): -1 where the kernel has none or
	 * says -1 itself (no such level on this machine). */
	if (read_int(h->ctx, &c->die_id,
		     "devices/system/cpu/cpu%u/topology/die_id", c->id) < 0)
		c->die_id = -1;
	/* x86 says 65535 (BAD_APICID) for an unknown cluster */
	if (read_int(h->ctx, &c->cluster_id,
		     "devices/system/cpu/cpu%u/topology/cluster_id", c->id) < 0 ||
	    c->cluster_id >= 65535)
		c->cluster_id = -1;
	if (read_int(h->ctx, &c->capacity,
		     "devices/system/cpu/cpu%u/cpu_capacity", c->id) < 0)
		c->capacity = -1;
	r = read_set(h, &c->siblings, true,
		     "devices/system/cpu/cpu%u/topology/thread_siblings_list",
		     c->id);
	if (r < 0)
		return r;
	if (rtvm_cpumask_weight(c->siblings) == 0)
		c->siblings = rtvm_cpumask_free(c->siblings);
	r = rtvm_fs_read(h->ctx, RTVM_FS_SYS, buf, sizeof(buf),
			 "devices/system/cpu/cpu%u/cpufreq/scaling_governor",
			 c->id);
	if (r >= 0 && !(c->governor = strdup(rtvm_strip(buf))))
		return -ENOMEM;
	return load_idle_states(h, c);
}

/* A node's CPUs: its cpulist, or where the kernel (before 2.6.26) or a
 * dump of it has none, its cpumap mask; neither: none known. */
static int read_node_cpus(struct rtvm_host *h, int node,
			  struct rtvm_cpumask **ret)
{
	char path[64], buf[8192];
	bool missing;
	int r;

	snprintf(path, sizeof(path), "devices/system/node/node%d/cpulist",
		 node);
	r = read_list(h, h->nr_cpus, ret, true, &missing, path);
	if (r < 0 || !missing)
		return r;
	r = rtvm_fs_read(h->ctx, RTVM_FS_SYS, buf, sizeof(buf),
			 "devices/system/node/node%d/cpumap", node);
	if (r == -ENOENT)
		return 0;
	if (r < 0)
		return r;
	r = rtvm_cpumask_parse_hex(*ret, rtvm_strip(buf),
				   RTVM_CPUMASK_ALLOW_EMPTY);
	if (r < 0)
		err(h->ctx, "%s/devices/system/node/node%d/cpumap: cannot "
		    "parse the CPU mask \"%s\"", rtvm_fs_top(RTVM_FS_SYS),
		    node, buf);
	return r;
}

/* The node sets: node/possible, online, has_cpu and has_memory, node ids
 * up to RTVM_MAX_NODES (sparse on many boards, high for GPU and CXL memory
 * nodes).  A set the kernel does not list is derived (online: the nodeN
 * directories; possible: online); a list that does not parse is left
 * empty, as unknown, and logged: the node view degrades, never the model. */
static int load_nodes(struct rtvm_host *h)
{
	static const char *const files[NR_NODE_SETS] = {
		[RTVM_NODES_POSSIBLE] = "devices/system/node/possible",
		[RTVM_NODES_ONLINE] = "devices/system/node/online",
		[RTVM_NODES_HAS_CPU] = "devices/system/node/has_cpu",
		[RTVM_NODES_HAS_MEMORY] = "devices/system/node/has_memory",
	};
	bool missing[NR_NODE_SETS];
	int node, cpu, r;

	for (int i = 0; i < NR_NODE_SETS; i++) {
		r = read_list(h, RTVM_MAX_NODES, &h->nodes[i], true,
			      &missing[i], files[i]);
		if (r == -ENOMEM)
			return r;
		if (r < 0) {
			rtvm_cpumask_zero(h->nodes[i]);
			missing[i] = true;
		}
	}
	if (missing[RTVM_NODES_ONLINE] &&
	    scan_numbered(h->ctx, "devices/system/node", "node",
			  h->nodes[RTVM_NODES_ONLINE]) < 0)
		rtvm_cpumask_zero(h->nodes[RTVM_NODES_ONLINE]);
	if (missing[RTVM_NODES_POSSIBLE])
		rtvm_cpumask_op(h->nodes[RTVM_NODES_POSSIBLE], RTVM_CPUMASK_COPY,
				h->nodes[RTVM_NODES_ONLINE]);
	rtvm_cpumask_foreach(node, h->nodes[RTVM_NODES_ONLINE]) {
		struct rtvm_cpumask *cpus = NULL;

		r = read_node_cpus(h, node, &cpus);
		if (r == -ENOMEM) {
			rtvm_cpumask_free(cpus);
			return r;
		}
		if (r == 0) {
			rtvm_cpumask_foreach(cpu, cpus)
				h->cpus[cpu].node = node;
			/* has_cpu from the node's own CPUs where the kernel
			 * gives no list of it */
			if (missing[RTVM_NODES_HAS_CPU] &&
			    rtvm_cpumask_weight(cpus) > 0)
				rtvm_cpumask_set(h->nodes[RTVM_NODES_HAS_CPU],
						 (unsigned int)node);
		}
		rtvm_cpumask_free(cpus);
	}
	return 0;
}

/* Core types where the kernel tells them: Intel hybrid parts list their
 * P- and E-cores in the PMU devices cpu_core/cpus and cpu_atom/cpus; ARM
 * big.LITTLE (and others with asymmetric capacity) gives cpu_capacity,
 * whose highest value marks the performance cores. */
static int load_core_types(struct rtvm_host *h)
{
	static const struct {
		const char *path;
		enum rtvm_core_type type;
	} pmu[] = {
		{ "devices/cpu_core/cpus", RTVM_CORE_PERFORMANCE },
		{ "devices/cpu_atom/cpus", RTVM_CORE_EFFICIENCY },
	};
	int cpu, r, max = -1, min = -1;
	bool hybrid = false;

	for (size_t i = 0; i < 2; i++) {
		struct rtvm_cpumask *m = NULL;
		bool missing;

		r = read_list(h, h->nr_cpus, &m, true, &missing, pmu[i].path);
		if (r == -ENOMEM) {
			rtvm_cpumask_free(m);
			return r;
		}
		if (r == 0 && !missing) {
			hybrid = true;
			rtvm_cpumask_foreach(cpu, m)
				h->cpus[cpu].core_type = pmu[i].type;
		}
		rtvm_cpumask_free(m);
	}
	if (hybrid)
		return 0;
	for (unsigned int i = 0; i < h->nr_cpus; i++) {
		int c = h->cpus[i].capacity;

		if (c < 0)
			continue;
		max = max < 0 || c > max ? c : max;
		min = min < 0 || c < min ? c : min;
	}
	if (max < 0 || max == min)
		return 0; /* no capacities, or all alike: one core type */
	for (unsigned int i = 0; i < h->nr_cpus; i++)
		if (h->cpus[i].capacity >= 0)
			h->cpus[i].core_type = h->cpus[i].capacity == max ?
						       RTVM_CORE_PERFORMANCE :
						       RTVM_CORE_EFFICIENCY;
	return 0;
}

/* The CPU sets.  Required: that the CPUs can be found at all (cpu/possible
 * or cpuN directories, see rtvm_ctx_nr_possible_cpus()).  Derived where
 * missing: possible from the cpuN directories, present from possible,
 * online from cpuN/online.  isolated and nohz_full missing: empty. */
static int load_cpu_sets(struct rtvm_host *h)
{
	static const char *const files[NR_SETS] = {
		[RTVM_CPUS_POSSIBLE] = "possible",
		[RTVM_CPUS_PRESENT] = "present",
		[RTVM_CPUS_ONLINE] = "online",
		[RTVM_CPUS_ISOLATED] = "isolated",
		[RTVM_CPUS_NOHZ_FULL] = "nohz_full",
	};
	bool missing[NR_SETS];
	char path[64];
	int r;

	for (int i = 0; i < NR_SETS; i++) {
		snprintf(path, sizeof(path), "devices/system/cpu/%s", files[i]);
		r = read_list(h, h->nr_cpus, &h->sets[i], true, &missing[i],
			      path);
		if (r < 0)
			return r;
	}
	if (missing[RTVM_CPUS_POSSIBLE]) {
		r = scan_numbered(h->ctx, "devices/system/cpu", "cpu",
				  h->sets[RTVM_CPUS_POSSIBLE]);
		if (r < 0)
			return r;
	}
	if (missing[RTVM_CPUS_PRESENT])
		rtvm_cpumask_op(h->sets[RTVM_CPUS_PRESENT], RTVM_CPUMASK_COPY,
				h->sets[RTVM_CPUS_POSSIBLE]);
	if (missing[RTVM_CPUS_ONLINE]) {
		r = derive_online(h->ctx, h->sets[RTVM_CPUS_ONLINE]);
		if (r < 0)
			return r;
	}
	return 0;
}

static int load_cpus(struct rtvm_host *h)
{
	int r, cpu;

	r = load_cpu_sets(h);
	if (r < 0)
		return r;
	h->cpus = calloc(h->nr_cpus, sizeof(*h->cpus));
	if (!h->cpus)
		return -ENOMEM;
	for (unsigned int i = 0; i < h->nr_cpus; i++)
		h->cpus[i] = (struct rtvm_cpu){ .id = i, .core_id = -1,
						.package_id = -1, .die_id = -1,
						.cluster_id = -1, .node = -1,
						.capacity = -1 };
	rtvm_cpumask_foreach(cpu, h->sets[RTVM_CPUS_POSSIBLE]) {
		h->cpus[cpu].possible = true;
		r = load_cpu(h, &h->cpus[cpu]);
		if (r < 0)
			return r;
	}
	r = load_core_types(h);
	return r < 0 ? r : load_nodes(h);
}

/* ---- command line ----------------------------------------------------- */

/* Split like the kernel: blanks separate words unless quoted; quotes go. */
static char *next_word(char **p)
{
	char *s = *p, *out, *w;
	bool quoted = false;

	while (isspace((unsigned char)*s))
		s++;
	if (!*s)
		return NULL;
	out = w = s;
	for (; *s && (quoted || !isspace((unsigned char)*s)); s++) {
		if (*s == '"')
			quoted = !quoted;
		else
			*w++ = *s;
	}
	*p = *s ? s + 1 : s;
	*w = '\0';
	return out;
}

static int load_cmdline(struct rtvm_host *h)
{
	char *work, *p, *word;
	int r;

	r = rtvm_fs_read_alloc(h->ctx, RTVM_FS_PROC, &h->cmdline, "cmdline");
	if (r == -ENOENT || r == -EACCES) {
		/* Optional: the command line is unknown (NULL), and the
		 * checks that need it skip with that reason. */
		dbg(h->ctx, "host: no kernel command line: %s", strerror(-r));
		return 0;
	}
	if (r < 0)
		return r;
	work = strdup(h->cmdline);
	if (!work)
		return -ENOMEM;
	p = work;
	r = 0;
	while ((word = next_word(&p)) && strcmp(word, "--") != 0) {
		struct cmdline_param *n;
		char *eq = strchr(word, '=');

		n = realloc(h->params, (h->nr_params + 1) * sizeof(*n));
		if (!n) {
			r = -ENOMEM;
			break;
		}
		h->params = n;
		n = &h->params[h->nr_params++];
		*n = (struct cmdline_param){0};
		if (eq)
			*eq = '\0';
		n->key = strdup(word);
		n->value = eq ? strdup(eq + 1) : NULL;
		if (!n->key || (eq && !n->value)) {
			r = -ENOMEM;
			break;
		}
	}
	free(work);
	return r;
}

/* ---- threads ---------------------------------------------------------- */

static int add_thread(struct rtvm_host *h, unsigned int *alloc, pid_t pid,
		      pid_t tid, int taskfd, const char *tidname)
{
	struct rtvm_thread *t;
	char name[300], buf[1024];
	int r;

	snprintf(name, sizeof(name), "%s/stat", tidname);
	r = rtvm_fs_read_at(h->ctx, taskfd, name, buf, sizeof(buf));
	if (r == -ENOENT || r == -ESRCH)
		return 0; /* exited meanwhile */
	if (r < 0)
		return r;
	if (h->nr_threads == *alloc) {
		unsigned int a = *alloc ? *alloc * 2 : 1024;
		struct rtvm_thread *n = realloc(h->threads, a * sizeof(*n));

		if (!n)
			return -ENOMEM;
		h->threads = n;
		*alloc = a;
	}
	t = &h->threads[h->nr_threads];
	*t = (struct rtvm_thread){ .pid = pid, .tid = tid };
	/* The kernel never writes a stat line that does not parse: one that
	 * does not is a damaged tree, and a model without that thread would
	 * vouch for what it could not read. */
	r = rtvm_stat_parse_log(h->ctx, (struct rtvm_tid){ pid, t->tid }, buf,
				&t->st);
	if (r < 0)
		return r;
	if (h->flags & RTVM_HOST_THREAD_AFFINITY) {
		struct rtvm_tid id = { pid, t->tid };

		r = rtvm_cpumask_new_nr(h->nr_cpus, &t->affinity);
		if (r < 0)
			return r;
		r = rtvm_sys_affinity_get(h->ctx, id, t->affinity);
		if (r == -ESRCH || r == -ENOENT) {
			rtvm_cpumask_free(t->affinity);
			return 0;
		}
		if (r < 0) /* hidden from us: keep the thread, say nothing */
			rtvm_cpumask_zero(t->affinity);
	}
	if (h->flags & RTVM_HOST_THREAD_CGROUPS) {
		char cg[4096];

		snprintf(name, sizeof(name), "%s/cgroup", tidname);
		r = rtvm_fs_read_at(h->ctx, taskfd, name, cg, sizeof(cg));
		if (r == -ENOENT || r == -ESRCH) {
			rtvm_cpumask_free(t->affinity);
			return 0;
		}
		/* Kept as NUL-separated lines so getters can lend paths. */
		if (r >= 0) {
			t->cgroups = malloc((size_t)r + 2);
			if (!t->cgroups) {
				rtvm_cpumask_free(t->affinity);
				return -ENOMEM;
			}
			memcpy(t->cgroups, cg, (size_t)r + 1);
			t->cgroups[r + 1] = '\0';
			for (char *p = t->cgroups; (p = strchr(p, '\n'));)
				*p++ = '\0';
		}
	}
	h->nr_threads++;
	return 0;
}

static int cmp_thread(const void *a, const void *b)
{
	const struct rtvm_thread *x = a, *y = b;

	if (x->pid != y->pid)
		return x->pid < y->pid ? -1 : 1;
	return (x->tid > y->tid) - (x->tid < y->tid);
}

int rtvm_proc_foreach_thread(struct rtvm_ctx *ctx,
			     int (*fn)(void *data, pid_t pid, pid_t tid,
				       int taskfd, const char *tidname),
			     void *data)
{
	struct dirent *de;
	DIR *proc;
	int fd, r = 0;

	fd = rtvm_fs_open_dir(ctx, RTVM_FS_PROC, ".");
	if (fd < 0)
		return fd;
	proc = fdopendir(fd);
	if (!proc) {
		close(fd);
		return -errno;
	}
	while (r == 0 && (de = readdir(proc))) {
		struct dirent *te;
		char path[300];
		DIR *task;
		pid_t pid, tid;
		int taskfd;

		if (!rtvm_parse_pid(de->d_name, &pid))
			continue;
		snprintf(path, sizeof(path), "%s/task", de->d_name);
		taskfd = rtvm_fs_open_dir_at(ctx, dirfd(proc), path);
		if (taskfd < 0)
			continue; /* exited meanwhile */
		task = fdopendir(taskfd);
		if (!task) {
			close(taskfd);
			r = -errno;
			break;
		}
		while (r == 0 && (te = readdir(task)))
			if (rtvm_parse_pid(te->d_name, &tid))
				r = fn(data, pid, tid, taskfd, te->d_name);
		closedir(task);
	}
	closedir(proc);
	return r;
}

struct load_threads {
	struct rtvm_host *h;
	unsigned int alloc;
};

static int load_one(void *data, pid_t pid, pid_t tid, int taskfd,
		    const char *tidname)
{
	struct load_threads *lt = data;

	return add_thread(lt->h, &lt->alloc, pid, tid, taskfd, tidname);
}

static int load_threads(struct rtvm_host *h)
{
	struct load_threads lt = { h, 0 };
	int r;

	r = rtvm_proc_foreach_thread(h->ctx, load_one, &lt);
	if (r == 0 && h->nr_threads) /* none: no array to hand qsort */
		qsort(h->threads, h->nr_threads, sizeof(*h->threads),
		      cmp_thread);
	return r;
}

/* ---- the host object -------------------------------------------------- */

RTVM_EXPORT int rtvm_host_new(struct rtvm_ctx *ctx, unsigned int flags,
			      struct rtvm_host **ret)
{
	struct rtvm_host *h;
	int r;

	if (!ctx || !ret || (flags & ~RTVM_HOST_ALL))
		return -EINVAL;
	if (!flags)
		flags = RTVM_HOST_ALL;
	if (flags & (RTVM_HOST_THREAD_AFFINITY | RTVM_HOST_THREAD_CGROUPS))
		flags |= RTVM_HOST_THREADS;
	h = calloc(1, sizeof(*h));
	if (!h)
		return -ENOMEM;
	h->refcount = 1;
	h->ctx = rtvm_ref(ctx);
	h->flags = flags;
	r = rtvm_ctx_nr_possible_cpus(ctx, &h->nr_cpus);
	if (r == 0 && (flags & RTVM_HOST_CPUS))
		r = load_cpus(h);
	if (r == 0 && (flags & RTVM_HOST_CMDLINE))
		r = load_cmdline(h);
	if (r == 0 && (flags & RTVM_HOST_THREADS))
		r = load_threads(h);
	if (r < 0) {
		err(ctx, "cannot load the host model: %s", strerror(-r));
		rtvm_host_unref(h);
		return r;
	}
	dbg(ctx, "host: %u CPUs, %u threads", h->nr_cpus, h->nr_threads);
	*ret = h;
	return 0;
}

RTVM_EXPORT struct rtvm_host *rtvm_host_ref(struct rtvm_host *host)
{
	if (host)
		host->refcount++;
	return host;
}

RTVM_EXPORT struct rtvm_host *rtvm_host_unref(struct rtvm_host *h)
{
	if (!h || --h->refcount > 0)
		return NULL;
	for (int i = 0; i < NR_SETS; i++)
		rtvm_cpumask_free(h->sets[i]);
	for (int i = 0; i < NR_NODE_SETS; i++)
		rtvm_cpumask_free(h->nodes[i]);
	for (unsigned int i = 0; h->cpus && i < h->nr_cpus; i++) {
		struct rtvm_cpu *c = &h->cpus[i];

		rtvm_cpumask_free(c->siblings);
		free(c->governor);
		for (unsigned int k = 0; k < c->nr_idle; k++)
			free(c->idle[k].name);
		free(c->idle);
	}
	free(h->cpus);
	free(h->cmdline);
	for (unsigned int i = 0; i < h->nr_params; i++) {
		free(h->params[i].key);
		free(h->params[i].value);
	}
	free(h->params);
	for (unsigned int i = 0; i < h->nr_threads; i++) {
		rtvm_cpumask_free(h->threads[i].affinity);
		free(h->threads[i].cgroups);
	}
	free(h->threads);
	rtvm_unref(h->ctx);
	free(h);
	return NULL;
}

RTVM_EXPORT const struct rtvm_cpumask *
rtvm_host_get_cpus(const struct rtvm_host *host, enum rtvm_cpu_set which)
{
	if (!host || (unsigned int)which >= NR_SETS)
		return NULL;
	return host->sets[which];
}

RTVM_EXPORT int rtvm_host_get_cpu(const struct rtvm_host *host,
				  unsigned int cpu,
				  const struct rtvm_cpu **ret)
{
	if (!host || !ret)
		return -EINVAL;
	if (!host->cpus || cpu >= host->nr_cpus || !host->cpus[cpu].possible)
		return -ENOENT;
	*ret = &host->cpus[cpu];
	return 0;
}

RTVM_EXPORT const struct rtvm_cpu *
rtvm_host_cpu_next(const struct rtvm_host *host, const struct rtvm_cpu *prev)
{
	unsigned int i;

	if (!host || !host->cpus)
		return NULL;
	for (i = prev ? prev->id + 1 : 0; i < host->nr_cpus; i++)
		if (host->cpus[i].possible)
			return &host->cpus[i];
	return NULL;
}

RTVM_EXPORT int rtvm_cpu_get_id(const struct rtvm_cpu *cpu)
{
	return cpu ? (int)cpu->id : -EINVAL;
}

RTVM_EXPORT bool rtvm_cpu_is_online(const struct rtvm_cpu *cpu)
{
	return cpu && cpu->online;
}

RTVM_EXPORT int rtvm_cpu_get_core_id(const struct rtvm_cpu *cpu)
{
	if (!cpu)
		return -EINVAL;
	return cpu->core_id >= 0 ? cpu->core_id : -ENOENT;
}

RTVM_EXPORT int rtvm_cpu_get_package_id(const struct rtvm_cpu *cpu)
{
	if (!cpu)
		return -EINVAL;
	return cpu->package_id >= 0 ? cpu->package_id : -ENOENT;
}

RTVM_EXPORT const struct rtvm_cpumask *
rtvm_host_get_nodes(const struct rtvm_host *host, enum rtvm_node_set which)
{
	if (!host || (unsigned int)which >= NR_NODE_SETS)
		return NULL;
	return host->nodes[which];
}

RTVM_EXPORT int rtvm_cpu_get_die_id(const struct rtvm_cpu *cpu)
{
	if (!cpu)
		return -EINVAL;
	return cpu->die_id >= 0 ? cpu->die_id : -ENOENT;
}

RTVM_EXPORT int rtvm_cpu_get_cluster_id(const struct rtvm_cpu *cpu)
{
	if (!cpu)
		return -EINVAL;
	return cpu->cluster_id >= 0 ? cpu->cluster_id : -ENOENT;
}

RTVM_EXPORT int rtvm_cpu_get_capacity(const struct rtvm_cpu *cpu)
{
	if (!cpu)
		return -EINVAL;
	return cpu->capacity >= 0 ? cpu->capacity : -ENOENT;
}

RTVM_EXPORT enum rtvm_core_type rtvm_cpu_get_core_type(const struct rtvm_cpu *cpu)
{
	return cpu ? cpu->core_type : RTVM_CORE_UNKNOWN;
}

RTVM_EXPORT int rtvm_cpu_get_node(const struct rtvm_cpu *cpu)
{
	if (!cpu)
		return -EINVAL;
	return cpu->node >= 0 ? cpu->node : -ENOENT;
}

RTVM_EXPORT const struct rtvm_cpumask *
rtvm_cpu_get_siblings(const struct rtvm_cpu *cpu)
{
	return cpu ? cpu->siblings : NULL;
}

RTVM_EXPORT const char *rtvm_cpu_get_governor(const struct rtvm_cpu *cpu)
{
	return cpu ? cpu->governor : NULL;
}

RTVM_EXPORT unsigned int rtvm_cpu_get_nr_idle_states(const struct rtvm_cpu *cpu)
{
	return cpu ? cpu->nr_idle : 0;
}

RTVM_EXPORT const struct rtvm_idle_state *
rtvm_cpu_get_idle_state(const struct rtvm_cpu *cpu, unsigned int index)
{
	if (!cpu || index >= cpu->nr_idle)
		return NULL;
	return &cpu->idle[index];
}

RTVM_EXPORT const char *
rtvm_idle_state_get_name(const struct rtvm_idle_state *state)
{
	return state ? state->name : NULL;
}

RTVM_EXPORT int
rtvm_idle_state_get_exit_latency(const struct rtvm_idle_state *state)
{
	return state ? state->latency : -EINVAL;
}

RTVM_EXPORT bool rtvm_idle_state_is_disabled(const struct rtvm_idle_state *state)
{
	return state && state->disabled;
}

RTVM_EXPORT const char *rtvm_host_get_cmdline(const struct rtvm_host *host)
{
	return host ? host->cmdline : NULL;
}

RTVM_EXPORT int rtvm_host_get_cmdline_param(const struct rtvm_host *host,
					    unsigned int index,
					    const char **ret_key,
					    const char **ret_value)
{
	if (!host || !ret_key || !ret_value)
		return -EINVAL;
	if (index >= host->nr_params)
		return -ENOENT;
	*ret_key = host->params[index].key;
	*ret_value = host->params[index].value;
	return 0;
}

static bool param_name_eq(const char *a, const char *b)
{
	for (; *a && *b; a++, b++) {
		char x = *a == '-' ? '_' : *a, y = *b == '-' ? '_' : *b;

		if (x != y)
			return false;
	}
	return *a == *b;
}

RTVM_EXPORT int rtvm_host_find_cmdline_param(const struct rtvm_host *host,
					     const char *key,
					     const char **ret_value)
{
	if (!host || !key)
		return -EINVAL;
	for (unsigned int i = host->nr_params; i-- > 0;) {
		if (param_name_eq(host->params[i].key, key)) {
			if (ret_value)
				*ret_value = host->params[i].value;
			return 0;
		}
	}
	return -ENOENT;
}

RTVM_EXPORT unsigned int rtvm_host_get_nr_threads(const struct rtvm_host *host)
{
	return host ? host->nr_threads : 0;
}

RTVM_EXPORT const struct rtvm_thread *
rtvm_host_thread_next(const struct rtvm_host *host,
		      const struct rtvm_thread *prev)
{
	size_t i;

	if (!host || !host->nr_threads)
		return NULL;
	i = prev ? (size_t)(prev - host->threads) + 1 : 0;
	return i < host->nr_threads ? &host->threads[i] : NULL;
}

RTVM_EXPORT int rtvm_host_find_thread(const struct rtvm_host *host,
				      pid_t tid,
				      const struct rtvm_thread **ret)
{
	if (!host || !ret)
		return -EINVAL;
	for (unsigned int i = 0; i < host->nr_threads; i++) {
		if (host->threads[i].tid == tid) {
			*ret = &host->threads[i];
			return 0;
		}
	}
	return -ENOENT;
}

RTVM_EXPORT pid_t rtvm_thread_get_pid(const struct rtvm_thread *t)
{
	return t ? t->pid : -EINVAL;
}

RTVM_EXPORT pid_t rtvm_thread_get_tid(const struct rtvm_thread *t)
{
	return t ? t->tid : -EINVAL;
}

RTVM_EXPORT const char *rtvm_thread_get_comm(const struct rtvm_thread *t)
{
	return t ? t->st.comm : NULL;
}

RTVM_EXPORT bool rtvm_thread_is_kthread(const struct rtvm_thread *t)
{
	return t && (t->st.flags & RTVM_PF_KTHREAD);
}

RTVM_EXPORT bool rtvm_thread_is_per_cpu(const struct rtvm_thread *t)
{
	return t && (t->st.flags & RTVM_PF_NO_SETAFFINITY);
}

RTVM_EXPORT int rtvm_thread_get_policy(const struct rtvm_thread *t)
{
	return t ? t->st.policy : -EINVAL;
}

RTVM_EXPORT int rtvm_thread_get_rt_priority(const struct rtvm_thread *t)
{
	return t ? t->st.rt_priority : -EINVAL;
}

RTVM_EXPORT int rtvm_thread_get_nice(const struct rtvm_thread *t, int *ret)
{
	if (!t || !ret)
		return -EINVAL;
	*ret = t->st.nice;
	return 0;
}

RTVM_EXPORT int rtvm_thread_get_last_cpu(const struct rtvm_thread *t)
{
	return t ? t->st.last_cpu : -EINVAL;
}

RTVM_EXPORT unsigned long long
rtvm_thread_get_start_time(const struct rtvm_thread *t)
{
	return t ? t->st.start : 0;
}

RTVM_EXPORT const struct rtvm_cpumask *
rtvm_thread_get_affinity(const struct rtvm_thread *t)
{
	return t ? t->affinity : NULL;
}

RTVM_EXPORT const char *rtvm_thread_get_cgroup(const struct rtvm_thread *t,
					       const char *controller)
{
	const char *v2 = NULL;
	size_t clen;

	if (!t || !t->cgroups || !controller)
		return NULL;
	clen = strlen(controller);
	/* Lines are "ID:CONTROLLERS:PATH"; v2's has no controllers. */
	for (const char *line = t->cgroups; *line; line += strlen(line) + 1) {
		const char *c = strchr(line, ':'), *p;

		if (!c || !(p = strchr(c + 1, ':')))
			continue;
		if (p == c + 1) {
			v2 = p + 1;
			continue;
		}
		for (const char *s = c + 1; clen && s < p;) {
			size_t n = strcspn(s, ",:");

			if (n == clen && strncmp(s, controller, n) == 0)
				return p + 1;
			s += n + 1;
		}
	}
	return v2;
}
