/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* rtvm-show: print librtvm's model of the host (CPUs, command line,
 * threads) as a table or as JSON. */
#include "config.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <fnmatch.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tool.h"

const char *program_name = "rtvm-show";

struct opts {
	const char *sysroot;
	const char *cpus;
	const char *pattern;
	bool json;
	bool verbose;
	bool show_cpus, show_cmdline, show_threads;
};

static void usage(FILE *f)
{
	fprintf(f,
		"Usage: %s [OPTION]... [cpus|cmdline|threads|all]...\n"
		"Print librtvm's model of this host (or of a sysroot).\n\n"
		"  -c, --cpus LIST      only these CPUs; threads that may run on them\n"
		"  -p, --pattern GLOB   only threads whose name matches GLOB\n"
		"  -j, --json           JSON instead of tables\n"
		"  -s, --sysroot DIR    read the simulated host in DIR (also RTVM_SYSROOT)\n"
		"  -v, --verbose        log what librtvm does to stderr\n"
		"  -h, --help           this help\n"
		"  -V, --version        the librtvm version\n\n"
		"Without a section, all are shown.  Exit status: 0 on success,\n"
		"1 when the host cannot be read, 64 for bad usage.\n",
		program_name);
}

static bool thread_selected(const struct rtvm_thread *t,
			    const struct rtvm_cpumask *cpus,
			    const char *pattern)
{
	if (pattern && fnmatch(pattern, rtvm_thread_get_comm(t), 0) != 0)
		return false;
	return !cpus || rtvm_cpumask_intersects(rtvm_thread_get_affinity(t),
						cpus);
}

static const char *idle_summary(const struct rtvm_cpu *c, char *buf,
				size_t size)
{
	size_t len = 0;

	buf[0] = '\0';
	for (unsigned int i = 0; i < rtvm_cpu_get_nr_idle_states(c); i++) {
		const struct rtvm_idle_state *s = rtvm_cpu_get_idle_state(c, i);

		len += (size_t)snprintf(buf + len, len < size ? size - len : 0,
					"%s%s:%d%s", i ? " " : "",
					tool_escape(rtvm_idle_state_get_name(s), 0),
					rtvm_idle_state_get_exit_latency(s),
					rtvm_idle_state_is_disabled(s) ? "(off)" : "");
	}
	return len ? buf : "-";
}

static const char *core_type_name(enum rtvm_core_type t)
{
	return t == RTVM_CORE_PERFORMANCE ? "performance" :
	       t == RTVM_CORE_EFFICIENCY ? "efficiency" : NULL;
}

/* A topology id for the table: "-" when the kernel does not say. */
static const char *id_str(int v, char *buf, size_t size)
{
	if (v < 0)
		return "-";
	snprintf(buf, size, "%d", v);
	return buf;
}

struct topo_key {
	int package, die, cluster, core;
};

static int cmp_key(const void *a, const void *b)
{
	return memcmp(a, b, sizeof(struct topo_key));
}

/* Packages, dies and cores of the online CPUs whose topology is known: a
 * core is package + die + cluster + core id (core ids repeat per die). */
struct topo_count {
	unsigned int packages, dies, cores, threads;
};

static struct topo_count count_topology(struct rtvm_host *h)
{
	const struct rtvm_cpumask *on = rtvm_host_get_cpus(h, RTVM_CPUS_ONLINE);
	struct topo_count n = { 0 };
	struct topo_key *k = calloc(rtvm_cpumask_weight(on) + 1, sizeof(*k));
	const struct rtvm_cpu *c;
	size_t nk = 0;

	if (!k)
		return n;
	rtvm_host_foreach_cpu(c, h) {
		if (!rtvm_cpu_is_online(c) || rtvm_cpu_get_core_id(c) < 0)
			continue;
		k[nk++] = (struct topo_key){ rtvm_cpu_get_package_id(c),
					     rtvm_cpu_get_die_id(c),
					     rtvm_cpu_get_cluster_id(c),
					     rtvm_cpu_get_core_id(c) };
	}
	n.threads = (unsigned int)nk;
	qsort(k, nk, sizeof(*k), cmp_key);
	for (size_t i = 0; i < nk; i++) {
		bool pkg = i == 0 || k[i].package != k[i - 1].package;
		bool die = pkg || k[i].die != k[i - 1].die;

		n.packages += pkg;
		n.dies += die;
		n.cores += die || k[i].cluster != k[i - 1].cluster ||
			   k[i].core != k[i - 1].core;
	}
	free(k);
	return n;
}

static void print_cpus(struct rtvm_host *h, const struct rtvm_cpumask *sel)
{
	struct topo_count n = count_topology(h);
	const struct rtvm_cpu *c;
	char idle[512], b[5][16];

	printf("possible %s  online %s  isolated %s  nohz_full %s\n",
	       tool_mask_str(rtvm_host_get_cpus(h, RTVM_CPUS_POSSIBLE), 0),
	       tool_mask_str(rtvm_host_get_cpus(h, RTVM_CPUS_ONLINE), 1),
	       tool_mask_str(rtvm_host_get_cpus(h, RTVM_CPUS_ISOLATED), 2),
	       tool_mask_str(rtvm_host_get_cpus(h, RTVM_CPUS_NOHZ_FULL), 3));
	printf("nodes possible %s  online %s  with CPUs %s  with memory %s\n",
	       tool_mask_str(rtvm_host_get_nodes(h, RTVM_NODES_POSSIBLE), 0),
	       tool_mask_str(rtvm_host_get_nodes(h, RTVM_NODES_ONLINE), 1),
	       tool_mask_str(rtvm_host_get_nodes(h, RTVM_NODES_HAS_CPU), 2),
	       tool_mask_str(rtvm_host_get_nodes(h, RTVM_NODES_HAS_MEMORY), 3));
	printf("online: %u package(s), %u die(s), %u core(s), %u thread(s) "
	       "with known topology\n", n.packages, n.dies, n.cores, n.threads);
	printf("%4s %-6s %4s %4s %4s %4s %4s %-5s %-10s %-4s %-4s %-12s %s\n",
	       "CPU", "STATE", "PKG", "DIE", "CLU", "CORE", "NODE", "TYPE",
	       "SIBLINGS", "ISOL", "NOHZ", "GOVERNOR",
	       "IDLE STATES (exit latency us)");
	rtvm_host_foreach_cpu(c, h) {
		int id = rtvm_cpu_get_id(c);

		if (sel && !rtvm_cpumask_test(sel, (unsigned)id))
			continue;
		printf("%4d %-6s %4s %4s %4s %4s %4s %-5s %-10s %-4s %-4s %-12s "
		       "%s\n", id, rtvm_cpu_is_online(c) ? "online" : "off",
		       id_str(rtvm_cpu_get_package_id(c), b[0], 16),
		       id_str(rtvm_cpu_get_die_id(c), b[1], 16),
		       id_str(rtvm_cpu_get_cluster_id(c), b[2], 16),
		       id_str(rtvm_cpu_get_core_id(c), b[3], 16),
		       id_str(rtvm_cpu_get_node(c), b[4], 16),
		       rtvm_cpu_get_core_type(c) == RTVM_CORE_PERFORMANCE ? "P" :
		       rtvm_cpu_get_core_type(c) == RTVM_CORE_EFFICIENCY ? "E" :
									  "-",
		       tool_mask_str(rtvm_cpu_get_siblings(c), 0),
		       rtvm_cpumask_test(rtvm_host_get_cpus(h, RTVM_CPUS_ISOLATED),
					 (unsigned)id) ? "yes" : "-",
		       rtvm_cpumask_test(rtvm_host_get_cpus(h, RTVM_CPUS_NOHZ_FULL),
					 (unsigned)id) ? "yes" : "-",
		       tool_escape(rtvm_cpu_get_governor(c), 1),
		       idle_summary(c, idle, sizeof(idle)));
	}
}

static void print_cmdline(struct rtvm_host *h)
{
	const char *k, *v;

	if (!rtvm_host_get_cmdline(h)) {
		printf("unknown (this host has no readable /proc/cmdline)\n");
		return;
	}
	/* As long as the kernel allows: streamed, not through a buffer. */
	tool_fputs_escaped(rtvm_host_get_cmdline(h), stdout);
	putchar('\n');
	for (unsigned int i = 0; rtvm_host_get_cmdline_param(h, i, &k, &v) == 0; i++)
		printf("  %-24s %s\n", tool_escape(k, 0),
		       v ? tool_escape(v, 1) : "(flag)");
}

static void print_threads(struct rtvm_host *h, const struct opts *o,
			  const struct rtvm_cpumask *sel)
{
	const struct rtvm_thread *t;

	printf("%7s %7s %-8s %4s %4s %4s %-12s %-5s %-24s %s\n", "PID", "TID",
	       "POLICY", "PRIO", "NICE", "CPU", "AFFINITY", "KIND", "CPUSET",
	       "COMM");
	rtvm_host_foreach_thread(t, h) {
		const char *cs = rtvm_thread_get_cgroup(t, "cpuset");
		int nice = 0;

		if (!thread_selected(t, sel, o->pattern))
			continue;
		rtvm_thread_get_nice(t, &nice);
		printf("%7d %7d %-8s %4d %4d %4d %-12s %-5s %-24s %s\n",
		       rtvm_thread_get_pid(t), rtvm_thread_get_tid(t),
		       tool_policy_name(rtvm_thread_get_policy(t)),
		       rtvm_thread_get_rt_priority(t), nice,
		       rtvm_thread_get_last_cpu(t),
		       tool_mask_str(rtvm_thread_get_affinity(t), 0),
		       rtvm_thread_is_per_cpu(t) ? "kcpu" :
		       rtvm_thread_is_kthread(t) ? "kthr" : "user",
		       tool_escape(cs, 1), tool_escape(rtvm_thread_get_comm(t), 2));
	}
}

static cJSON *json_mask(const struct rtvm_cpumask *m)
{
	char *s;
	cJSON *j;

	if (!m || rtvm_cpumask_format_list(m, &s) < 0)
		return cJSON_CreateNull();
	j = cJSON_CreateString(s);
	free(s);
	return j;
}

static cJSON *json_cpus(struct rtvm_host *h, const struct rtvm_cpumask *sel)
{
	static const char *const sets[] = { "possible", "present", "online",
					    "isolated", "nohz_full" };
	static const char *const nodes[] = { "possible", "online", "has_cpu",
					     "has_memory" };
	cJSON *o = cJSON_CreateObject(), *list = cJSON_CreateArray(), *jn;
	struct topo_count n = count_topology(h);
	const struct rtvm_cpu *c;

	for (int i = 0; i < 5; i++)
		cJSON_AddItemToObject(o, sets[i],
				      json_mask(rtvm_host_get_cpus(h, i)));
	jn = cJSON_AddObjectToObject(o, "nodes");
	for (int i = 0; i < 4; i++)
		cJSON_AddItemToObject(jn, nodes[i],
				      json_mask(rtvm_host_get_nodes(h, i)));
	jn = cJSON_AddObjectToObject(o, "topology");
	cJSON_AddNumberToObject(jn, "packages", n.packages);
	cJSON_AddNumberToObject(jn, "dies", n.dies);
	cJSON_AddNumberToObject(jn, "cores", n.cores);
	cJSON_AddNumberToObject(jn, "threads", n.threads);
	rtvm_host_foreach_cpu(c, h) {
		cJSON *j = cJSON_CreateObject(), *idle = cJSON_CreateArray();
		int id = rtvm_cpu_get_id(c), v;

		if (sel && !rtvm_cpumask_test(sel, (unsigned)id))
			continue;
		cJSON_AddNumberToObject(j, "cpu", id);
		cJSON_AddBoolToObject(j, "online", rtvm_cpu_is_online(c));
		if ((v = rtvm_cpu_get_package_id(c)) >= 0)
			cJSON_AddNumberToObject(j, "package", v);
		if ((v = rtvm_cpu_get_die_id(c)) >= 0)
			cJSON_AddNumberToObject(j, "die", v);
		if ((v = rtvm_cpu_get_cluster_id(c)) >= 0)
			cJSON_AddNumberToObject(j, "cluster", v);
		if ((v = rtvm_cpu_get_core_id(c)) >= 0)
			cJSON_AddNumberToObject(j, "core", v);
		if (core_type_name(rtvm_cpu_get_core_type(c)))
			cJSON_AddStringToObject(
				j, "core_type",
				core_type_name(rtvm_cpu_get_core_type(c)));
		if ((v = rtvm_cpu_get_capacity(c)) >= 0)
			cJSON_AddNumberToObject(j, "capacity", v);
		if ((v = rtvm_cpu_get_node(c)) >= 0)
			cJSON_AddNumberToObject(j, "node", v);
		cJSON_AddItemToObject(j, "siblings",
				      json_mask(rtvm_cpu_get_siblings(c)));
		if (rtvm_cpu_get_governor(c))
			cJSON_AddStringToObject(j, "governor",
						rtvm_cpu_get_governor(c));
		for (unsigned int i = 0; i < rtvm_cpu_get_nr_idle_states(c); i++) {
			const struct rtvm_idle_state *s =
				rtvm_cpu_get_idle_state(c, i);
			cJSON *js = cJSON_CreateObject();

			cJSON_AddStringToObject(js, "name",
						rtvm_idle_state_get_name(s));
			cJSON_AddNumberToObject(js, "exit_latency_us",
						rtvm_idle_state_get_exit_latency(s));
			cJSON_AddBoolToObject(js, "disabled",
					      rtvm_idle_state_is_disabled(s));
			cJSON_AddItemToArray(idle, js);
		}
		cJSON_AddItemToObject(j, "idle_states", idle);
		cJSON_AddItemToArray(list, j);
	}
	cJSON_AddItemToObject(o, "cpus", list);
	return o;
}

static cJSON *json_cmdline(struct rtvm_host *h)
{
	cJSON *o = cJSON_CreateObject(), *params = cJSON_CreateArray();
	const char *k, *v;

	if (rtvm_host_get_cmdline(h))
		cJSON_AddStringToObject(o, "raw", rtvm_host_get_cmdline(h));
	else
		cJSON_AddNullToObject(o, "raw"); /* unknown */
	for (unsigned int i = 0; rtvm_host_get_cmdline_param(h, i, &k, &v) == 0; i++) {
		cJSON *p = cJSON_CreateObject();

		cJSON_AddStringToObject(p, "key", k);
		cJSON_AddItemToObject(p, "value", v ? cJSON_CreateString(v) :
						      cJSON_CreateNull());
		cJSON_AddItemToArray(params, p);
	}
	cJSON_AddItemToObject(o, "params", params);
	return o;
}

static cJSON *json_threads(struct rtvm_host *h, const struct opts *o,
			   const struct rtvm_cpumask *sel)
{
	cJSON *list = cJSON_CreateArray();
	const struct rtvm_thread *t;

	rtvm_host_foreach_thread(t, h) {
		cJSON *j, *cg;
		int nice = 0;

		if (!thread_selected(t, sel, o->pattern))
			continue;
		j = cJSON_CreateObject();
		rtvm_thread_get_nice(t, &nice);
		cJSON_AddNumberToObject(j, "pid", rtvm_thread_get_pid(t));
		cJSON_AddNumberToObject(j, "tid", rtvm_thread_get_tid(t));
		cJSON_AddStringToObject(j, "comm", rtvm_thread_get_comm(t));
		cJSON_AddStringToObject(j, "policy",
					tool_policy_name(rtvm_thread_get_policy(t)));
		cJSON_AddNumberToObject(j, "rt_priority",
					rtvm_thread_get_rt_priority(t));
		cJSON_AddNumberToObject(j, "nice", nice);
		cJSON_AddNumberToObject(j, "last_cpu", rtvm_thread_get_last_cpu(t));
		cJSON_AddItemToObject(j, "affinity",
				      json_mask(rtvm_thread_get_affinity(t)));
		cJSON_AddBoolToObject(j, "kthread", rtvm_thread_is_kthread(t));
		cJSON_AddBoolToObject(j, "per_cpu", rtvm_thread_is_per_cpu(t));
		cg = cJSON_CreateObject();
		cJSON_AddItemToObject(j, "cgroups", cg);
		for (int i = 0; i < 2; i++) {
			const char *ctl = i ? "cpu" : "cpuset";
			const char *p = rtvm_thread_get_cgroup(t, ctl);

			cJSON_AddItemToObject(cg, ctl, p ? cJSON_CreateString(p) :
							    cJSON_CreateNull());
		}
		cJSON_AddItemToArray(list, j);
	}
	return list;
}

static int parse_args(int argc, char **argv, struct opts *o)
{
	static const struct option longopts[] = {
		{ "cpus", required_argument, NULL, 'c' },
		{ "pattern", required_argument, NULL, 'p' },
		TOOL_COMMON_LONGOPTS,
		{ 0 },
	};
	int c;

	while ((c = getopt_long(argc, argv,
				"c:p:" TOOL_COMMON_SHORTOPTS,
				longopts, NULL)) != -1) {
		if (tool_common_option(c, &o->json, &o->sysroot,
				       &o->verbose, usage))
			continue;
		switch (c) {
		case 'c': o->cpus = optarg; break;
		case 'p': o->pattern = optarg; break;
		default: usage(stderr); return -EINVAL;
		}
	}
	for (int i = optind; i < argc; i++) {
		if (strcmp(argv[i], "cpus") == 0)
			o->show_cpus = true;
		else if (strcmp(argv[i], "cmdline") == 0)
			o->show_cmdline = true;
		else if (strcmp(argv[i], "threads") == 0)
			o->show_threads = true;
		else if (strcmp(argv[i], "all") == 0)
			o->show_cpus = o->show_cmdline = o->show_threads = true;
		else {
			tool_error("unknown section \"%s\" (cpus, cmdline, "
				   "threads or all)", argv[i]);
			return -EINVAL;
		}
	}
	if (!o->show_cpus && !o->show_cmdline && !o->show_threads)
		o->show_cpus = o->show_cmdline = o->show_threads = true;
	return 0;
}

int main(int argc, char **argv)
{
	struct opts o = {0};
	struct rtvm_ctx *ctx = NULL;
	struct rtvm_host *h = NULL;
	struct rtvm_cpumask *sel = NULL;
	unsigned int flags = 0;
	int r, ret = EXIT_FAILURE;

	if (parse_args(argc, argv, &o) < 0)
		return EXIT_USAGE;
	if (tool_new_ctx(o.sysroot, o.verbose, &ctx) < 0)
		return EXIT_FAILURE;
	if (o.cpus && tool_parse_cpus(ctx, "--cpus", o.cpus, &sel) < 0) {
		ret = EXIT_USAGE;
		goto out;
	}
	if (o.show_cpus)
		flags |= RTVM_HOST_CPUS;
	if (o.show_cmdline)
		flags |= RTVM_HOST_CMDLINE;
	if (o.show_threads)
		flags |= RTVM_HOST_THREAD_AFFINITY | RTVM_HOST_THREAD_CGROUPS;
	r = rtvm_host_new(ctx, flags, &h);
	if (r < 0) {
		tool_error("cannot read the host model of %s: %s",
			   rtvm_get_root(ctx), strerror(-r));
		goto out;
	}
	if (o.json) {
		cJSON *root = cJSON_CreateObject();
		cJSON_AddStringToObject(root, "root", rtvm_get_root(ctx));
		if (o.show_cpus)
			cJSON_AddItemToObject(root, "cpus", json_cpus(h, sel));
		if (o.show_cmdline)
			cJSON_AddItemToObject(root, "cmdline", json_cmdline(h));
		if (o.show_threads)
			cJSON_AddItemToObject(root, "threads",
					      json_threads(h, &o, sel));
		r = tool_print_json(root, true);
		cJSON_Delete(root);
		if (r < 0)
			goto out;
	} else {
		if (o.show_cpus)
			print_cpus(h, sel);
		if (o.show_cmdline) {
			if (o.show_cpus)
				putchar('\n');
			print_cmdline(h);
		}
		if (o.show_threads) {
			if (o.show_cpus || o.show_cmdline)
				putchar('\n');
			print_threads(h, &o, sel);
		}
	}
	ret = fflush(stdout) == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
out:
	rtvm_cpumask_free(sel);
	rtvm_host_unref(h);
	rtvm_unref(ctx);
	return ret;
}
