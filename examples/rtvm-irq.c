/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* rtvm-irq: the host's interrupts as librtvm sees them, and steering them
 * away from the RT CPUs (or onto them) with every change saved for restore. */
#include "config.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "tool.h"

#define MAX_CPU_COLUMNS 8

const char *program_name = "rtvm-irq";

#define MAX_SELECTORS 64

struct opts {
	const char *sysroot;
	const char *cpus;
	const char *away_from, *housekeeping, *rt_cpus, *to;
	const char *to_rt[MAX_SELECTORS + 1], *irqs[MAX_SELECTORS + 1];
	unsigned int n_to_rt, n_irqs, retries, interval;
	const char *save;
	bool json, verbose, dry_run, no_threads, no_default, ban_irqbalance;
};

static void usage(FILE *f)
{
	fprintf(f,
		"Usage: %s [OPTIONS] list [--cpus LIST]\n"
		"       %s [OPTIONS] show IRQ\n"
		"       %s [OPTIONS] steer --away-from LIST [--to-rt SEL]... "
		"[--irq SEL... --to LIST]\n"
		"       %s [OPTIONS] restore [FILE] [--dry-run]\n"
		"       %s [OPTIONS] watch (the options of steer) [--interval MS]\n"
		"List the host's interrupts (or a sysroot's): counts, affinity,\n"
		"effective affinity, kind and device; steer them and undo it.\n\n"
		"Commands:\n"
		"  list                 every interrupt line\n"
		"  show IRQ             one (a number, or LOC, RES, ...)\n"
		"  steer                set affinities by rule; every change is saved\n"
		"                       (see --save) so that \"restore\" undoes it\n"
		"  restore [FILE]       undo the changes saved in FILE (default: the\n"
		"                       state file), then remove it\n"
		"  watch                steer, then keep the IRQs there: check again\n"
		"                       when a network link comes, goes, or is set up\n"
		"                       or down, and every --interval; stop with\n"
		"                       Ctrl-C (the steering stays: use restore)\n\n"
		"Options:\n"
		"  -c, --cpus LIST      with list: per-CPU columns for LIST and a\n"
		"                       \"*\" on IRQs that are delivered to and fired there\n"
		"  -a, --away-from LIST steer: move every movable IRQ off these (RT) CPUs;\n"
		"                       an IRQ keeps the rest of its CPUs, or goes to\n"
		"                       the housekeeping CPUs; default_smp_affinity too\n"
		"      --housekeeping LIST  where IRQs left with no CPU go (default:\n"
		"                       the online CPUs not in --away-from)\n"
		"  -r, --to-rt SEL      steer: IRQs that go to the RT CPUs instead\n"
		"                       (devices passed through to the RT VM); repeatable\n"
		"      --rt-cpus LIST   where --to-rt IRQs go (default: --away-from)\n"
		"  -i, --irq SEL        steer: IRQs to set to --to LIST; repeatable\n"
		"  -t, --to LIST        the CPUs for --irq\n"
		"      --no-threads     leave the irq/N-name handler threads alone\n"
		"      --no-default     leave /proc/irq/default_smp_affinity alone\n"
		"      --retries N      retries of a busy IRQ (default 3)\n"
		"      --ban-irqbalance add the --away-from CPUs to irqbalance's\n"
		"                       IRQBALANCE_BANNED_CPULIST (a backup is kept;\n"
		"                       restore puts the file back); without it, steer\n"
		"                       only warns when irqbalance would undo it\n"
		"      --interval MS    watch: check every MS milliseconds (default 5000)\n"
		"      --save FILE      where steer saves its changes (default\n"
		"                       $RTVM_STATE_DIR/irq-steer.json, RTVM_STATE_DIR\n"
		"                       defaulting to /run/rtvm, or SYSROOT/run/rtvm)\n"
		"  -n, --dry-run        steer, restore: show what would change, change\n"
		"                       nothing\n"
		"  -j, --json           JSON instead of a table\n"
		"  -s, --sysroot DIR    use the simulated host in DIR (also RTVM_SYSROOT)\n"
		"  -v, --verbose        log librtvm's debug messages to stderr\n"
		"  -h, --help           this help\n"
		"  -V, --version        the librtvm version\n\n"
		"SEL: an IRQ number or range (\"42\", \"40-47\"), driver:GLOB, pci:GLOB,\n"
		"net:GLOB, name:GLOB, or a GLOB on the IRQ's name (\"eth0-*\").\n"

		"Exit status: 0 success (IRQs the kernel does not let move are\n"
		"reported, not errors), 1 failure or an IRQ that could not move for\n"
		"another reason, 64 bad usage.\n",
		program_name, program_name, program_name, program_name,
		program_name);
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
		snprintf(buf, size, "%s", tool_escape(rtvm_irq_get_name(q), 3));
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
	int r = tool_print_json(root, true);

	cJSON_Delete(root);
	return r < 0 ? EXIT_FAILURE : EXIT_SUCCESS;
}

static void device_str(const struct rtvm_irq *q, char *buf, size_t size)
{
	const char *pci = rtvm_irq_get_pci(q), *drv = rtvm_irq_get_driver(q),
		   *net = rtvm_irq_get_netdev(q);

	if (!pci) {
		snprintf(buf, size, "-");
		return;
	}
	snprintf(buf, size, "%s%s%s%s%s", tool_escape(pci, 0), drv ? " " : "",
		 drv ? tool_escape(drv, 1) : "", net ? " " : "",
		 net ? tool_escape(net, 2) : "");
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
			       "" : tool_escape(rtvm_irq_get_name(q), 0));
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
	printf("name:       %s\n", tool_escape(rtvm_irq_get_name(q), 0));
	printf("kind:       %s%s%s\n", kind_name(q),
	       rtvm_irq_is_managed(q) ? ", managed" : "",
	       rtvm_irq_is_movable(q) ? ", movable" : "");
	printf("chip:       %s\n", tool_escape(rtvm_irq_get_chip(q), 0));
	printf("hwirq:      %s\n", tool_escape(rtvm_irq_get_hwirq(q), 0));
	printf("trigger:    %s\n", tool_escape(rtvm_irq_get_trigger(q), 0));
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

/* ---- steer, restore ------------------------------------------------------ */

static const char *status_name(const struct rtvm_irq_move *m, bool dry_run)
{
	switch (m->status) {
	case RTVM_IRQ_MOVED: return dry_run ? "would move" : "moved";
	case RTVM_IRQ_UNCHANGED: return "unchanged";
	case RTVM_IRQ_FAILED: return "FAILED";
	default: return "?";
	}
}

static cJSON *json_move(const struct rtvm_irq_move *m, bool dry_run)
{
	cJSON *j = cJSON_CreateObject();

	cJSON_AddNumberToObject(j, "irq", m->irq);
	cJSON_AddStringToObject(j, "name", m->name);
	cJSON_AddStringToObject(j, "status",
				m->status == RTVM_IRQ_MOVED ?
					(dry_run ? "would_move" : "moved") :
				m->status == RTVM_IRQ_UNCHANGED ? "unchanged" :
								  "failed");
	cJSON_AddItemToObject(j, "before", json_mask(m->before));
	cJSON_AddItemToObject(j, "wanted", json_mask(m->wanted));
	cJSON_AddItemToObject(j, "effective", json_mask(m->effective));
	cJSON_AddBoolToObject(j, "managed", m->managed);
	cJSON_AddBoolToObject(j, "narrowed", m->narrowed);
	cJSON_AddBoolToObject(j, "pending", m->pending);
	cJSON_AddNumberToObject(j, "attempts", m->attempts);
	if (m->status == RTVM_IRQ_FAILED) {
		cJSON_AddStringToObject(j, "error", strerror(-m->error));
		cJSON_AddStringToObject(j, "error_class",
			rtvm_irq_error_class_to_string(m->error_class));
	} else {
		cJSON_AddNullToObject(j, "error");
		cJSON_AddNullToObject(j, "error_class");
	}
	if (m->thread)
		cJSON_AddNumberToObject(j, "thread", m->thread);
	else
		cJSON_AddNullToObject(j, "thread");
	if (m->thread_error)
		cJSON_AddStringToObject(j, "thread_error",
					strerror(-m->thread_error));
	else
		cJSON_AddNullToObject(j, "thread_error");
	return j;
}

static void print_move(const struct rtvm_irq_move *m, bool dry_run)
{
	char note[256] = "";
	size_t len = 0;

#define NOTE(...)                                                         \
	len += (size_t)snprintf(note + len, len < sizeof(note) ?          \
			sizeof(note) - len : 0, __VA_ARGS__)
	if (m->status == RTVM_IRQ_FAILED)
		NOTE("%s: %s%s", rtvm_irq_error_class_to_string(m->error_class),
		     strerror(-m->error), m->managed ? ", managed by the kernel" : "");
	if (m->pending)
		NOTE("%smoves with its next interrupt", len ? "; " : "");
	if (m->thread && m->status == RTVM_IRQ_MOVED && !dry_run)
		NOTE("%sthread %d %s", len ? "; " : "", (int)m->thread,
		     m->thread_error ? strerror(-m->thread_error) : "moved");
#undef NOTE
	printf("%-6u %-10s %-16s %-16s %-10s %-24s %s\n", m->irq,
	       status_name(m, dry_run), tool_mask_str(m->before, 0),
	       tool_mask_str(m->wanted, 1),
	       m->effective ? tool_mask_str(m->effective, 2) : "-",
	       tool_escape(m->name, 0), note);
}

static int steer_output(const struct rtvm_irq_report *rep,
			const struct opts *o, const char *saved,
			unsigned int changes, cJSON *ib_json)
{
	const struct rtvm_cpumask *db = NULL, *da = NULL;
	size_t n = rtvm_irq_report_count(rep);
	bool have_def = rtvm_irq_report_get_default_affinity(rep, &db, &da) == 0;
	unsigned int by_class[8] = { 0 };

	for (size_t i = 0; i < n; i++) {
		const struct rtvm_irq_move *m = rtvm_irq_report_get(rep, i);

		if (m->status == RTVM_IRQ_FAILED && m->error_class >= 0 &&
		    m->error_class < 8)
			by_class[m->error_class]++;
	}
	if (o->json) {
		cJSON *root = cJSON_CreateObject(), *arr = cJSON_CreateArray();

		cJSON_AddBoolToObject(root, "dry_run", o->dry_run);
		cJSON_AddNumberToObject(root, "moved",
			(double)rtvm_irq_report_tally(rep, RTVM_IRQ_MOVED));
		cJSON_AddNumberToObject(root, "unchanged",
			(double)rtvm_irq_report_tally(rep, RTVM_IRQ_UNCHANGED));
		cJSON_AddNumberToObject(root, "failed",
			(double)rtvm_irq_report_tally(rep, RTVM_IRQ_FAILED));
		if (have_def) {
			cJSON *d = cJSON_CreateObject();

			cJSON_AddItemToObject(d, "before", json_mask(db));
			cJSON_AddItemToObject(d, "after", json_mask(da));
			cJSON_AddItemToObject(root, "default_affinity", d);
		} else {
			cJSON_AddNullToObject(root, "default_affinity");
		}
		cJSON_AddItemToObject(root, "saved", json_str(saved));
		if (ib_json)
			cJSON_AddItemToObject(root, "irqbalance", ib_json);
		else
			cJSON_AddNullToObject(root, "irqbalance");
		cJSON_AddNumberToObject(root, "changes", changes);
		for (size_t i = 0; i < n; i++)
			cJSON_AddItemToArray(arr,
				json_move(rtvm_irq_report_get(rep, i), o->dry_run));
		cJSON_AddItemToObject(root, "irqs", arr);
		return print_json(root);
	}
	if (n) {
		printf("%-6s %-10s %-16s %-16s %-10s %-24s %s\n", "IRQ", "STATUS",
		       "BEFORE", "WANTED", "EFFECTIVE", "NAME", "NOTE");
		for (size_t i = 0; i < n; i++)
			print_move(rtvm_irq_report_get(rep, i), o->dry_run);
	}
	if (have_def)
		printf("default_smp_affinity: %s -> %s%s\n", tool_mask_str(db, 0),
		       tool_mask_str(da, 1),
		       o->dry_run ? " (dry run)" : "");
	printf("%zu %s, %zu unchanged, %zu failed",
	       rtvm_irq_report_tally(rep, RTVM_IRQ_MOVED),
	       o->dry_run ? "would move" : "moved",
	       rtvm_irq_report_tally(rep, RTVM_IRQ_UNCHANGED),
	       rtvm_irq_report_tally(rep, RTVM_IRQ_FAILED));
	if (rtvm_irq_report_tally(rep, RTVM_IRQ_FAILED))
		printf(" (%u unmovable, %u no vector space, %u busy, %u other)",
		       by_class[RTVM_IRQ_ERR_UNMOVABLE],
		       by_class[RTVM_IRQ_ERR_NOSPACE],
		       by_class[RTVM_IRQ_ERR_TRANSIENT],
		       by_class[RTVM_IRQ_ERR_OTHER] + by_class[RTVM_IRQ_ERR_GONE]);
	printf("\n");
	cJSON_Delete(ib_json);
	if (saved)
		printf("%u change%s saved to %s; undo with: %s restore%s%s\n",
		       changes, changes == 1 ? "" : "s", saved, program_name,
		       o->save ? " " : "", o->save ? o->save : "");
	return fflush(stdout) == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}

static int parse_opt_cpus(struct rtvm_ctx *ctx, const char *what,
			  const char *list, struct rtvm_cpumask **ret)
{
	return list ? tool_parse_cpus(ctx, what, list, ret) : 0;
}

/* irqbalance: say when it would undo the steering; with --ban-irqbalance
 * add the RT CPUs to its banned list (recorded in @cs).  The JSON of what
 * was found goes to *ret_json.  Returns 1 when irqbalance must be
 * restarted, 0, or -1 on an error already reported. */
static int irqbalance(struct rtvm_ctx *ctx, const struct opts *o,
		      const struct rtvm_cpumask *away, struct rtvm_changeset *cs,
		      cJSON **ret_json)
{
	struct rtvm_irqbalance *ib = NULL;
	cJSON *j;
	pid_t pid;
	int fights, r;

	if (!away)
		return 0;
	r = rtvm_irqbalance_probe(ctx, &ib);
	if (r < 0) {
		tool_error("cannot tell whether irqbalance runs: %s",
			   strerror(-r));
		return 0; /* the steering itself is done */
	}
	pid = rtvm_irqbalance_get_pid(ib);
	fights = pid > 0 ? rtvm_irqbalance_fights(ib, away) : 0;
	j = cJSON_CreateObject();
	cJSON_AddBoolToObject(j, "running", pid > 0);
	if (pid > 0)
		cJSON_AddNumberToObject(j, "pid", pid);
	cJSON_AddItemToObject(j, "banned",
			      json_mask(rtvm_irqbalance_get_banned(ib)));
	cJSON_AddBoolToObject(j, "fights", fights > 0);
	r = 0;
	if (o->ban_irqbalance && !o->dry_run) {
		r = rtvm_irqbalance_ban(ctx, away, cs);
		if (r < 0) {
			tool_error("cannot ban CPUs %s in irqbalance's file: %s; "
				   "undoing the steering",
				   tool_mask_str(away, 0), strerror(-r));
			cJSON_Delete(j);
			rtvm_irqbalance_unref(ib);
			return -1;
		}
		cJSON_AddBoolToObject(j, "restart_needed", r > 0);
		if (!o->json && r > 0)
			printf("irqbalance: CPUs %s added to its banned list in "
			       "%s; restart it to apply (systemctl restart "
			       "irqbalance)\n", tool_mask_str(away, 0),
			       rtvm_irqbalance_get_file(ib) ?
				       rtvm_irqbalance_get_file(ib) :
				       "its environment file");
	} else if (fights > 0 && !o->json) {
		printf("warning: irqbalance (pid %d) does not keep off CPUs %s "
		       "and may move IRQs back; use --ban-irqbalance, or stop "
		       "it\n", (int)pid, tool_mask_str(away, 0));
	}
	rtvm_irqbalance_unref(ib);
	*ret_json = j;
	return r > 0;
}

/* One line per check that put IRQs back (a JSON line with --json). */
static void print_put_back(const struct rtvm_irq_report *rep, int n, bool json)
{
	time_t t = time(NULL);
	cJSON *j = NULL, *a = NULL;
	char when[32];

	strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%S", localtime(&t));
	if (json) {
		j = cJSON_CreateObject();
		a = cJSON_CreateArray();
		cJSON_AddStringToObject(j, "time", when);
		cJSON_AddItemToObject(j, "put_back", a);
	} else {
		printf("%s: put back %d IRQ(s):", when, n);
	}
	for (size_t i = 0; i < rtvm_irq_report_count(rep); i++) {
		const struct rtvm_irq_move *m = rtvm_irq_report_get(rep, i);

		if (m->status != RTVM_IRQ_MOVED)
			continue;
		if (json)
			cJSON_AddItemToArray(a, json_move(m, false));
		else
			printf(" %u", m->irq);
	}
	if (json) {
		tool_print_json(j, false);
		cJSON_Delete(j);
	} else {
		printf("\n");
	}
	fflush(stdout);
}

static volatile sig_atomic_t stop_watch;

static void on_stop(int sig)
{
	(void)sig;
	stop_watch = 1;
}

/* Keep the steering in place until SIGINT or SIGTERM; the records of what
 * it puts back go to the same file. */
static int watch_loop(struct rtvm_ctx *ctx, const struct opts *o,
		      const struct rtvm_irq_steer *req, struct rtvm_changeset *cs,
		      const struct rtvm_changeset *prev, const char *path)
{
	struct sigaction sa = { .sa_handler = on_stop };
	struct rtvm_irq_watch *w = NULL;
	unsigned int saved = rtvm_changeset_get_count(cs);
	int r;

	r = rtvm_irq_watch_new(ctx, req, cs, o->interval, &w);
	if (r < 0) {
		tool_error("watch: %s", strerror(-r));
		return EXIT_FAILURE;
	}
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	if (!o->json)
		printf("watching (checks every %u ms and on link changes; "
		       "Ctrl-C to stop)\n", o->interval ? o->interval : 5000);
	fflush(stdout);
	while (!stop_watch) {
		struct pollfd p = { .fd = rtvm_irq_watch_get_fd(w),
				    .events = POLLIN };
		struct rtvm_irq_report *rep = NULL;

		if (poll(&p, 1, -1) < 0) {
			if (errno == EINTR)
				continue;
			r = -errno;
			break;
		}
		r = rtvm_irq_watch_dispatch(w, &rep);
		if (r < 0) {
			tool_error("watch: %s", strerror(-r));
			break;
		}
		if (r > 0)
			print_put_back(rep, r, o->json);
		rtvm_irq_report_free(rep);
		if (rtvm_changeset_get_count(cs) != saved) {
			r = tool_save_merged(ctx, prev, cs, path);
			if (r < 0)
				tool_error("cannot save the changes to %s: %s",
					   path, strerror(-r));
			saved = rtvm_changeset_get_count(cs);
		}
		r = 0;
	}
	rtvm_irq_watch_unref(w);
	if (!o->json)
		printf("watch stopped; the steering stays (undo: %s restore%s%s)\n",
		       program_name, o->save ? " " : "", o->save ? o->save : "");
	return r < 0 ? EXIT_FAILURE : EXIT_SUCCESS;
}

static int cmd_steer(struct rtvm_ctx *ctx, const struct opts *o, bool watch)
{
	struct rtvm_cpumask *away = NULL, *hk = NULL, *rt = NULL, *to = NULL;
	struct rtvm_changeset *cs = NULL, *prev = NULL;
	struct rtvm_irq_report *rep = NULL;
	struct rtvm_irq_steer req = { .size = sizeof(req) };
	char *path = NULL;
	cJSON *ib_json = NULL;
	unsigned int changes;
	int r, ib_restart, ret = EXIT_FAILURE;

	if (parse_opt_cpus(ctx, "--away-from", o->away_from, &away) < 0 ||
	    parse_opt_cpus(ctx, "--housekeeping", o->housekeeping, &hk) < 0 ||
	    parse_opt_cpus(ctx, "--rt-cpus", o->rt_cpus, &rt) < 0 ||
	    parse_opt_cpus(ctx, "--to", o->to, &to) < 0) {
		ret = EXIT_USAGE;
		goto out;
	}
	req.away_from = away;
	req.housekeeping = hk;
	req.rt_cpus = rt;
	req.cpus = to;
	req.to_rt = o->n_to_rt ? o->to_rt : NULL;
	req.select = o->n_irqs ? o->irqs : NULL;
	req.retries = o->retries;
	req.flags = (o->dry_run ? RTVM_IRQ_STEER_DRY_RUN : 0) |
		    (o->no_threads ? RTVM_IRQ_STEER_NO_THREADS : 0) |
		    (away && !o->no_default ? RTVM_IRQ_STEER_DEFAULT_AFFINITY : 0);
	path = o->save ? strdup(o->save) :
			 tool_state_file(o->sysroot, "irq-steer.json");
	if (!path || rtvm_changeset_new(ctx, &cs) < 0) {
		tool_error("out of memory");
		goto out;
	}
	/* A second steer adds to the first one's records: restore still
	 * brings back what was there before the first. */
	if (!o->dry_run) {
		r = tool_load_changes(ctx, path, &prev);
		if (r < 0 && r != -ENOENT) {
			tool_error("%s: cannot load the earlier changes: %s", path,
				   strerror(-r));
			goto out;
		}
	}
	r = rtvm_irq_steer(ctx, &req, cs, &rep);
	if (r < 0) {
		tool_error("steer: %s%s", strerror(-r),
			   r == -EPERM ? " (run as root)" :
			   r == -EINVAL || r == -ENOENT ? " (see the message above)" : "");
		ret = r == -EINVAL || r == -ENOENT ? EXIT_USAGE : EXIT_FAILURE;
		goto out;
	}
	ib_restart = irqbalance(ctx, o, away, cs, &ib_json);
	if (ib_restart < 0) {
		rtvm_changeset_restore(cs, 0);
		goto out;
	}
	changes = rtvm_changeset_get_count(cs);
	if (!o->dry_run && changes) {
		r = tool_save_merged(ctx, prev, cs, path);
		if (r < 0) {
			tool_error("cannot save the changes to %s (%s): undoing "
				   "them", path, strerror(-r));
			rtvm_changeset_restore(cs, 0);
			goto out;
		}
	}
	ret = steer_output(rep, o, !o->dry_run && changes ? path : NULL,
			   changes, ib_json);
	ib_json = NULL;
	if (watch && ret == EXIT_SUCCESS) {
		req.flags &= ~RTVM_IRQ_STEER_DEFAULT_AFFINITY;
		ret = watch_loop(ctx, o, &req, cs, prev, path);
		goto out;
	}
	for (size_t i = 0; ret == EXIT_SUCCESS && i < rtvm_irq_report_count(rep);
	     i++) {
		const struct rtvm_irq_move *m = rtvm_irq_report_get(rep, i);

		if (m->status == RTVM_IRQ_FAILED &&
		    m->error_class != RTVM_IRQ_ERR_UNMOVABLE)
			ret = EXIT_FAILURE;
	}
out:
	cJSON_Delete(ib_json);
	rtvm_irq_report_free(rep);
	rtvm_changeset_unref(cs);
	rtvm_changeset_unref(prev);
	rtvm_cpumask_free(away);
	rtvm_cpumask_free(hk);
	rtvm_cpumask_free(rt);
	rtvm_cpumask_free(to);
	free(path);
	return ret;
}

static int cmd_restore(struct rtvm_ctx *ctx, const struct opts *o,
		       const char *file)
{
	char *path = file ? strdup(file) :
			    tool_state_file(o->sysroot, "irq-steer.json");
	int ret;

	if (!path) {
		tool_error("out of memory");
		return EXIT_FAILURE;
	}
	ret = tool_restore_state(ctx, path, " (nothing was steered, or it was "
					    "restored already)", o->dry_run, o->json);
	free(path);
	return ret;
}

enum {
	OPT_HOUSEKEEPING = 256,
	OPT_RT_CPUS,
	OPT_NO_THREADS,
	OPT_NO_DEFAULT,
	OPT_RETRIES,
	OPT_SAVE,
	OPT_INTERVAL,
	OPT_BAN_IRQBALANCE,
};

static int add_sel(const char **v, unsigned int *n, const char *sel)
{
	if (*n >= MAX_SELECTORS) {
		tool_error("at most %d selectors per option", MAX_SELECTORS);
		return -1;
	}
	v[(*n)++] = sel;
	v[*n] = NULL;
	return 0;
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "cpus", required_argument, NULL, 'c' },
		{ "away-from", required_argument, NULL, 'a' },
		{ "housekeeping", required_argument, NULL, OPT_HOUSEKEEPING },
		{ "to-rt", required_argument, NULL, 'r' },
		{ "rt-cpus", required_argument, NULL, OPT_RT_CPUS },
		{ "irq", required_argument, NULL, 'i' },
		{ "to", required_argument, NULL, 't' },
		{ "no-threads", no_argument, NULL, OPT_NO_THREADS },
		{ "no-default", no_argument, NULL, OPT_NO_DEFAULT },
		{ "retries", required_argument, NULL, OPT_RETRIES },
		{ "save", required_argument, NULL, OPT_SAVE },
		{ "interval", required_argument, NULL, OPT_INTERVAL },
		{ "ban-irqbalance", no_argument, NULL, OPT_BAN_IRQBALANCE },
		{ "dry-run", no_argument, NULL, 'n' },
		TOOL_COMMON_LONGOPTS,
		{ 0 },
	};
	struct opts o = { .sysroot = NULL };
	struct rtvm_cpumask *cpus = NULL, *probe = NULL;
	struct rtvm_ctx *ctx = NULL;
	struct rtvm_irqs *irqs = NULL;
	unsigned int nr_cpus;
	const char *cmd;
	bool steering, watch;
	int c, r, ret = EXIT_FAILURE;

	while ((c = getopt_long(argc, argv,
				"c:a:r:i:t:n" TOOL_COMMON_SHORTOPTS,
				longopts, NULL)) != -1) {
		if (tool_common_option(c, &o.json, &o.sysroot, &o.verbose, usage))
			continue;
		switch (c) {
		case 'c': o.cpus = optarg; break;
		case 'a': o.away_from = optarg; break;
		case OPT_HOUSEKEEPING: o.housekeeping = optarg; break;
		case 'r':
			if (add_sel(o.to_rt, &o.n_to_rt, optarg) < 0)
				return EXIT_USAGE;
			break;
		case OPT_RT_CPUS: o.rt_cpus = optarg; break;
		case 'i':
			if (add_sel(o.irqs, &o.n_irqs, optarg) < 0)
				return EXIT_USAGE;
			break;
		case 't': o.to = optarg; break;
		case OPT_NO_THREADS: o.no_threads = true; break;
		case OPT_NO_DEFAULT: o.no_default = true; break;
		case OPT_RETRIES: {
			unsigned long v;

			if (tool_parse_ulong("--retries", optarg, 0, 100, &v) < 0)
				return EXIT_USAGE;
			o.retries = (unsigned int)v;
			break;
		}
		case OPT_SAVE: o.save = optarg; break;
		case OPT_BAN_IRQBALANCE: o.ban_irqbalance = true; break;
		case OPT_INTERVAL: {
			unsigned long v;

			if (tool_parse_ulong("--interval (ms)", optarg, 10,
					     86400000, &v) < 0)
				return EXIT_USAGE;
			o.interval = (unsigned int)v;
			break;
		}
		case 'n': o.dry_run = true; break;
		default: usage(stderr); return EXIT_USAGE;
		}
	}
	if (optind >= argc) {
		usage(stderr);
		return EXIT_USAGE;
	}
	cmd = argv[optind++];
	watch = strcmp(cmd, "watch") == 0;
	steering = watch || strcmp(cmd, "steer") == 0 ||
		   strcmp(cmd, "restore") == 0;
	if ((o.away_from || o.housekeeping || o.rt_cpus || o.to || o.n_to_rt ||
	     o.n_irqs || o.no_threads || o.no_default || o.retries || o.save ||
	     (o.dry_run && strcmp(cmd, "restore") != 0) || o.ban_irqbalance) &&
	    strcmp(cmd, "steer") != 0 && !watch) {
		tool_error("%s: steering options are for steer and watch only",
			   cmd);
		return EXIT_USAGE;
	}
	if (o.ban_irqbalance && !o.away_from) {
		tool_error("--ban-irqbalance needs --away-from (the CPUs to ban)");
		return EXIT_USAGE;
	}
	if (o.interval && !watch) {
		tool_error("--interval is for watch only");
		return EXIT_USAGE;
	}
	if (watch && o.dry_run) {
		tool_error("watch: --dry-run would watch nothing");
		return EXIT_USAGE;
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
	} else if (strcmp(cmd, "steer") == 0 || watch) {
		if (optind != argc || o.cpus) {
			tool_error("%s takes options only (--cpus is for list; "
				   "did you mean --to?)", cmd);
			return EXIT_USAGE;
		}
		if (!o.away_from && !o.n_to_rt && !o.n_irqs) {
			tool_error("steer: give --away-from LIST, --to-rt SEL or "
				   "--irq SEL --to LIST");
			return EXIT_USAGE;
		}
		if (!!o.n_irqs != !!o.to) {
			tool_error("steer: --irq and --to go together");
			return EXIT_USAGE;
		}
		if (o.n_to_rt && !o.away_from && !o.rt_cpus) {
			tool_error("steer: --to-rt needs --away-from or --rt-cpus");
			return EXIT_USAGE;
		}
	} else if (strcmp(cmd, "restore") == 0) {
		if (optind + 1 < argc || o.cpus) {
			tool_error("usage: restore [FILE]");
			return EXIT_USAGE;
		}
	} else {
		tool_error("unknown command \"%s\" (list, show, steer, restore, "
			   "watch)", cmd);
		return EXIT_USAGE;
	}

	if (tool_new_ctx(o.sysroot, o.verbose, &ctx) < 0)
		return EXIT_FAILURE;
	if (steering) {
		ret = strcmp(cmd, "restore") == 0 ?
			      cmd_restore(ctx, &o, optind < argc ? argv[optind] :
								    NULL) :
			      cmd_steer(ctx, &o, strcmp(cmd, "watch") == 0);
		goto out;
	}
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
