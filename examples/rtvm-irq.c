/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* rtvm-irq: the host's interrupts as librtvm sees them (read-only). */
#include "config.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tool.h"

#define EXIT_UNAVAILABLE 69 /* EX_UNAVAILABLE */
#define MAX_CPU_COLUMNS 8

const char *program_name = "rtvm-irq";

struct opts {
	const char *sysroot;
	const char *cpus;
	bool json;
	bool verbose;
};

static void usage(FILE *f)
{
	fprintf(f,
		"Usage: %s [OPTIONS] list [--cpus LIST]\n"
		"       %s [OPTIONS] show IRQ\n"
		"List the host's interrupts (or a sysroot's): counts, affinity,\n"
		"effective affinity, kind and device.  Read-only.\n\n"
		"  -c, --cpus LIST      with list: per-CPU columns for LIST and a\n"
		"                       \"*\" on IRQs that are delivered to and fired there\n"
		"  -j, --json           JSON instead of a table\n"
		"  -s, --sysroot DIR    read the simulated host in DIR (also RTVM_SYSROOT)\n"
		"  -v, --verbose        log librtvm's debug messages to stderr\n"
		"  -h, --help           this help\n"
		"  -V, --version        the librtvm version\n\n"
		"steer, restore and watch are not implemented yet (exit 69).\n"
		"Exit status: 0 success, 1 when the interrupts cannot be read,\n"
		"64 for bad usage.\n",
		program_name, program_name);
}

static const char *kind_name(const struct rtvm_irq *q)
{
	switch (rtvm_irq_get_kind(q)) {
	case RTVM_IRQ_DEVICE: return "device";
	case RTVM_IRQ_PERCPU: return "percpu";
	case RTVM_IRQ_SYSTEM: return "system";
	default: return "?";
	}
}

static const char *label(const struct rtvm_irq *q, char *buf, size_t size)
{
	int n = rtvm_irq_get_number(q);

	if (n >= 0)
		snprintf(buf, size, "%d", n);
	else
		snprintf(buf, size, "%s", rtvm_irq_get_name(q));
	return buf;
}

/* Delivered to one of @cpus and took interrupts there. */
static bool fires_on(const struct rtvm_irq *q, const struct rtvm_cpumask *cpus)
{
	const struct rtvm_cpumask *eff = rtvm_irq_get_effective_affinity(q);
	int c;

	if (!cpus)
		return false;
	if (!eff)
		eff = rtvm_irq_get_affinity(q);
	rtvm_cpumask_foreach(c, cpus)
		if ((!eff || rtvm_cpumask_test(eff, (unsigned int)c)) &&
		    rtvm_irq_get_count(q, (unsigned int)c))
			return true;
	return false;
}

static cJSON *json_mask(const struct rtvm_cpumask *m)
{
	return m ? cJSON_CreateString(tool_mask_str(m, 0)) : cJSON_CreateNull();
}

static cJSON *json_str(const char *s)
{
	return s ? cJSON_CreateString(s) : cJSON_CreateNull();
}

static cJSON *json_irq(const struct rtvm_irq *q, unsigned int nr_cpus,
		       const struct rtvm_cpumask *cpus)
{
	cJSON *j = cJSON_CreateObject(), *counts = cJSON_CreateObject();
	int n = rtvm_irq_get_number(q);
	char key[16];

	if (n >= 0)
		cJSON_AddNumberToObject(j, "irq", n);
	else
		cJSON_AddNullToObject(j, "irq");
	cJSON_AddStringToObject(j, "name", rtvm_irq_get_name(q));
	cJSON_AddStringToObject(j, "kind", kind_name(q));
	cJSON_AddItemToObject(j, "chip", json_str(rtvm_irq_get_chip(q)));
	cJSON_AddItemToObject(j, "hwirq", json_str(rtvm_irq_get_hwirq(q)));
	cJSON_AddItemToObject(j, "trigger", json_str(rtvm_irq_get_trigger(q)));
	cJSON_AddNumberToObject(j, "total", (double)rtvm_irq_get_total(q));
	for (unsigned int c = 0; c < nr_cpus; c++)
		if (rtvm_irq_get_count(q, c)) {
			snprintf(key, sizeof(key), "%u", c);
			cJSON_AddNumberToObject(counts, key,
						(double)rtvm_irq_get_count(q, c));
		}
	cJSON_AddItemToObject(j, "counts", counts);
	cJSON_AddItemToObject(j, "affinity", json_mask(rtvm_irq_get_affinity(q)));
	cJSON_AddItemToObject(j, "effective_affinity",
			      json_mask(rtvm_irq_get_effective_affinity(q)));
	if (rtvm_irq_get_node(q) >= 0)
		cJSON_AddNumberToObject(j, "node", rtvm_irq_get_node(q));
	else
		cJSON_AddNullToObject(j, "node");
	cJSON_AddBoolToObject(j, "managed", rtvm_irq_is_managed(q));
	cJSON_AddBoolToObject(j, "movable", rtvm_irq_is_movable(q));
	cJSON_AddItemToObject(j, "pci", json_str(rtvm_irq_get_pci(q)));
	cJSON_AddItemToObject(j, "driver", json_str(rtvm_irq_get_driver(q)));
	cJSON_AddItemToObject(j, "netdev", json_str(rtvm_irq_get_netdev(q)));
	if (rtvm_irq_get_thread(q) > 0)
		cJSON_AddNumberToObject(j, "thread", rtvm_irq_get_thread(q));
	else
		cJSON_AddNullToObject(j, "thread");
	if (cpus)
		cJSON_AddBoolToObject(j, "fires_on_cpus", fires_on(q, cpus));
	return j;
}

static int print_json(cJSON *root)
{
	char *text = root ? cJSON_Print(root) : NULL;

	cJSON_Delete(root);
	if (!text) {
		tool_error("out of memory");
		return EXIT_FAILURE;
	}
	puts(text);
	free(text);
	return EXIT_SUCCESS;
}

static void device_str(const struct rtvm_irq *q, char *buf, size_t size)
{
	const char *pci = rtvm_irq_get_pci(q), *drv = rtvm_irq_get_driver(q),
		   *net = rtvm_irq_get_netdev(q);

	if (!pci) {
		snprintf(buf, size, "-");
		return;
	}
	snprintf(buf, size, "%s%s%s%s%s", pci, drv ? " " : "", drv ? drv : "",
		 net ? " " : "", net ? net : "");
}

static int cmd_list(struct rtvm_irqs *irqs, unsigned int nr_cpus,
		    const struct rtvm_cpumask *cpus, bool json)
{
	const struct rtvm_irq *q;
	struct rtvm_cpumask *cols = NULL;
	unsigned int nfire = 0;
	char lb[64], dev[300];
	int c;

	if (json) {
		cJSON *arr = cJSON_CreateArray();

		rtvm_irqs_foreach(q, irqs)
			cJSON_AddItemToArray(arr, json_irq(q, nr_cpus, cpus));
		return print_json(arr);
	}
	/* Per-CPU columns: the selected CPUs, or all of a small host. */
	if (cpus) {
		if (rtvm_cpumask_dup(cpus, &cols) < 0)
			return EXIT_FAILURE;
	} else if (nr_cpus <= MAX_CPU_COLUMNS) {
		if (rtvm_cpumask_new_nr(nr_cpus, &cols) < 0)
			return EXIT_FAILURE;
		for (unsigned int i = 0; i < nr_cpus; i++)
			rtvm_cpumask_set(cols, i);
	}
	printf("%-6s", "IRQ");
	if (cpus)
		printf(" %1s", "*");
	rtvm_cpumask_foreach(c, cols) {
		char h[16];

		snprintf(h, sizeof(h), "CPU%d", c);
		printf(" %10s", h);
	}
	if (!cols)
		printf(" %12s", "TOTAL");
	printf(" %-16s %-16s %-14s %-32s %s\n", "AFFINITY", "EFFECTIVE", "KIND",
	       "DEVICE", "NAME");
	rtvm_irqs_foreach(q, irqs) {
		bool fire = fires_on(q, cpus);
		char kind[32];

		nfire += fire;
		printf("%-6s", label(q, lb, sizeof(lb)));
		if (cpus)
			printf(" %1s", fire ? "*" : "");
		rtvm_cpumask_foreach(c, cols)
			printf(" %10llu", rtvm_irq_get_count(q, (unsigned int)c));
		if (!cols)
			printf(" %12llu", rtvm_irq_get_total(q));
		snprintf(kind, sizeof(kind), "%s%s", kind_name(q),
			 rtvm_irq_is_managed(q) ? "+managed" : "");
		device_str(q, dev, sizeof(dev));
		printf(" %-16s %-16s %-14s %-32s %s\n",
		       tool_mask_str(rtvm_irq_get_affinity(q), 0),
		       tool_mask_str(rtvm_irq_get_effective_affinity(q), 1),
		       kind, dev,
		       rtvm_irq_get_kind(q) == RTVM_IRQ_SYSTEM ?
			       "" : rtvm_irq_get_name(q));
	}
	if (cpus)
		printf("\n%u interrupt line(s) fire on CPUs %s (*)\n", nfire,
		       tool_mask_str(cpus, 2));
	rtvm_cpumask_free(cols);
	return fflush(stdout) == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}

static int cmd_show(struct rtvm_irqs *irqs, unsigned int nr_cpus,
		    const char *arg, bool json)
{
	const struct rtvm_irq *q = NULL;
	char *end, dev[300], lb[64];
	unsigned long n;
	pid_t tid;
	int r;

	errno = 0;
	n = strtoul(arg, &end, 10);
	if (!*arg || *end || errno || n > 0xffffffffUL) {
		/* a system line by its label ("LOC") */
		const struct rtvm_irq *it;

		rtvm_irqs_foreach(it, irqs)
			if (rtvm_irq_get_kind(it) == RTVM_IRQ_SYSTEM &&
			    strcmp(rtvm_irq_get_name(it), arg) == 0)
				q = it;
		r = q ? 0 : -ENOENT;
	} else {
		r = rtvm_irqs_find(irqs, (unsigned int)n, &q);
	}
	if (r < 0) {
		tool_error("no interrupt \"%s\" on this host", arg);
		return EXIT_FAILURE;
	}
	if (json)
		return print_json(json_irq(q, nr_cpus, NULL));
	device_str(q, dev, sizeof(dev));
	tid = rtvm_irq_get_thread(q);
	printf("irq:        %s\n", label(q, lb, sizeof(lb)));
	printf("name:       %s\n", rtvm_irq_get_name(q));
	printf("kind:       %s%s%s\n", kind_name(q),
	       rtvm_irq_is_managed(q) ? ", managed" : "",
	       rtvm_irq_is_movable(q) ? ", movable" : "");
	printf("chip:       %s\n", rtvm_irq_get_chip(q) ? rtvm_irq_get_chip(q) : "-");
	printf("hwirq:      %s\n", rtvm_irq_get_hwirq(q) ? rtvm_irq_get_hwirq(q) : "-");
	printf("trigger:    %s\n",
	       rtvm_irq_get_trigger(q) ? rtvm_irq_get_trigger(q) : "-");
	printf("affinity:   %s\n", tool_mask_str(rtvm_irq_get_affinity(q), 0));
	printf("effective:  %s\n",
	       tool_mask_str(rtvm_irq_get_effective_affinity(q), 1));
	if (rtvm_irq_get_node(q) >= 0)
		printf("node:       %d\n", rtvm_irq_get_node(q));
	else
		printf("node:       -\n");
	printf("device:     %s\n", dev);
	if (tid > 0)
		printf("thread:     %d\n", (int)tid);
	else
		printf("thread:     -\n");
	printf("total:      %llu\n", rtvm_irq_get_total(q));
	for (unsigned int c = 0; c < nr_cpus; c++)
		if (rtvm_irq_get_count(q, c))
			printf("  CPU%-5u  %llu\n", c, rtvm_irq_get_count(q, c));
	return fflush(stdout) == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "cpus", required_argument, NULL, 'c' },
		{ "json", no_argument, NULL, 'j' },
		{ "sysroot", required_argument, NULL, 's' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ 0 },
	};
	struct opts o = { .sysroot = NULL };
	struct rtvm_cpumask *cpus = NULL, *probe = NULL;
	struct rtvm_ctx *ctx = NULL;
	struct rtvm_irqs *irqs = NULL;
	unsigned int nr_cpus;
	const char *cmd;
	int c, r, ret = EXIT_FAILURE;

	while ((c = getopt_long(argc, argv, "c:js:vhV", longopts, NULL)) != -1) {
		switch (c) {
		case 'c': o.cpus = optarg; break;
		case 'j': o.json = true; break;
		case 's': o.sysroot = optarg; break;
		case 'v': o.verbose = true; break;
		case 'h': usage(stdout); return EXIT_SUCCESS;
		case 'V': printf("%s %s\n", program_name, rtvm_version());
			  return EXIT_SUCCESS;
		default: usage(stderr); return EXIT_USAGE;
		}
	}
	if (optind >= argc) {
		usage(stderr);
		return EXIT_USAGE;
	}
	cmd = argv[optind++];
	if (strcmp(cmd, "steer") == 0 || strcmp(cmd, "restore") == 0 ||
	    strcmp(cmd, "watch") == 0) {
		tool_error("%s: not implemented yet", cmd);
		return EXIT_UNAVAILABLE;
	}
	if (strcmp(cmd, "list") == 0) {
		if (optind != argc) {
			tool_error("list takes no arguments");
			return EXIT_USAGE;
		}
	} else if (strcmp(cmd, "show") == 0) {
		if (optind + 1 != argc || o.cpus) {
			tool_error("usage: show IRQ (a number, or LOC, ...)");
			return EXIT_USAGE;
		}
	} else {
		tool_error("unknown command \"%s\" (list, show)", cmd);
		return EXIT_USAGE;
	}

	if (tool_new_ctx(o.sysroot, o.verbose, &ctx) < 0)
		return EXIT_FAILURE;
	if (o.cpus && tool_parse_cpus(ctx, "--cpus", o.cpus, &cpus) < 0) {
		ret = EXIT_USAGE;
		goto out;
	}
	r = rtvm_irqs_new(ctx, &irqs);
	if (r < 0) {
		tool_error("cannot read the interrupts%s%s: %s",
			   o.sysroot ? " of " : "", o.sysroot ? o.sysroot : "",
			   strerror(-r));
		goto out;
	}
	nr_cpus = rtvm_cpumask_new(ctx, &probe) == 0 ?
			  rtvm_cpumask_nr_cpus(probe) : 1;
	rtvm_cpumask_free(probe);
	if (strcmp(cmd, "list") == 0)
		ret = cmd_list(irqs, nr_cpus, cpus, o.json);
	else
		ret = cmd_show(irqs, nr_cpus, argv[optind], o.json);
out:
	rtvm_irqs_unref(irqs);
	rtvm_cpumask_free(cpus);
	rtvm_unref(ctx);
	return ret;
}
