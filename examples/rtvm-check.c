/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* rtvm-check: is this host ready for real-time VMs on the given CPUs?  One
 * verdict, and for each check what was found, what an RT host has and what
 * to do.  The exit status is the verdict. */
#include "config.h"

#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tool.h"

const char *program_name = "rtvm-check";

/* The verdict is the exit status (0 pass, 1 warn, 2 fail), so usage and
 * internal errors take the sysexits(3) codes. */
#define EXIT_VERDICT_PASS 0
#define EXIT_VERDICT_WARN 1
#define EXIT_VERDICT_FAIL 2

#define EXIT_INTERNAL 70  /* EX_SOFTWARE */

#define MAX_NOISE_S 3600

struct opts {
	const char *rt_cpus;
	const char *only;
	const char *sysroot;
	bool json;
	bool verbose;
	unsigned int flags;
	unsigned int noise_ms;
	unsigned int noise_cpu;
	unsigned int threshold_us;
	unsigned int sample_ms;
	unsigned int max_latency_us;
	unsigned int vm_pid;
};

enum {
	OPT_NOISE_CPU = 0x100,
	OPT_THRESHOLD,
	OPT_SAMPLE,
	OPT_MAX_LATENCY,
	OPT_PID,
};

static void usage(FILE *f)
{
	fprintf(f,
		"Usage: %s [OPTION]...\n"
		"Check whether this host (or a sysroot) is ready to run real-time VMs\n"
		"on its RT CPUs, and say why not and what to do.\n\n"
		"  -c, --rt-cpus LIST     the CPUs that will run RT vCPUs (default: the\n"
		"                         isolated CPUs, isolcpus=/nohz_full=)\n"
		"  -o, --only IDS         only these checks: ids and prefixes ending in\n"
		"                         '.', comma-separated (e.g. pm.,noise.gaps)\n"
		"  -n, --noise SECONDS    also spin a SCHED_FIFO 99 thread on one RT CPU\n"
		"                         for this long and report the gaps (root)\n"
		"      --noise-cpu N      spin on CPU N (default: the last RT CPU)\n"
		"      --threshold US     count gaps longer than US microseconds (20)\n"
		"      --sample MS        wait MS between the counter samples (IRQs,\n"
		"                         SMIs on RT CPUs) (default 0: the run's length)\n"
		"      --max-latency US   deepest idle-state exit latency allowed on RT\n"
		"                         CPUs (10)\n"
		"      --pid PID          a VM's VMM process: topology.numa says on which\n"
		"                         nodes its memory is, beside the RT CPUs'\n"
		"  -j, --json             print the report as JSON\n"
		"  -s, --sysroot DIR      check the simulated host in DIR (also RTVM_SYSROOT)\n"
		"  -v, --verbose          show every result in full, log librtvm to stderr\n"
		"  -h, --help             this help\n"
		"  -V, --version          the librtvm version\n\n"
		"Exit status: 0 pass, 1 warn, 2 fail (the verdict; info and skip do\n"
		"not count); 64 bad usage (an unknown option, a bad CPU list or value,\n"
		"an offline CPU, --only naming no check, a bad sysroot); 70 an internal\n"
		"error (the host cannot be read, out of memory).\n",
		program_name);
}

/* tool_parse_ulong for the unsigned int fields of struct opts. */
static int parse_uint(const char *opt, const char *s, unsigned int min,
		      unsigned int max, unsigned int *ret)
{
	unsigned long v;
	int r = tool_parse_ulong(opt, s, min, max, &v);

	if (r == 0)
		*ret = (unsigned int)v;
	return r;
}

/* Seconds, fractions allowed ("1.5"), to milliseconds. */
static int parse_seconds(const char *opt, const char *s, unsigned int *ret_ms)
{
	double v;
	char *end;

	errno = 0;
	v = strtod(s, &end);
	if (errno || end == s || *end || !isfinite(v) || v < 0.001 ||
	    v > MAX_NOISE_S) {
		tool_error("%s: \"%s\" is not a duration in seconds from 0.001 "
			   "to %d", opt, s, MAX_NOISE_S);
		return -EINVAL;
	}
	*ret_ms = (unsigned int)(v * 1000.0 + 0.5);
	return 0;
}

static int parse_args(int argc, char **argv, struct opts *o)
{
	static const struct option longopts[] = {
		{ "rt-cpus", required_argument, NULL, 'c' },
		{ "only", required_argument, NULL, 'o' },
		{ "noise", required_argument, NULL, 'n' },
		{ "noise-cpu", required_argument, NULL, OPT_NOISE_CPU },
		{ "threshold", required_argument, NULL, OPT_THRESHOLD },
		{ "sample", required_argument, NULL, OPT_SAMPLE },
		{ "max-latency", required_argument, NULL, OPT_MAX_LATENCY },
		{ "pid", required_argument, NULL, OPT_PID },
		TOOL_COMMON_LONGOPTS,
		{ 0 },
	};
	int c, r = 0;

	while ((c = getopt_long(argc, argv,
				"c:o:n:" TOOL_COMMON_SHORTOPTS,
				longopts, NULL)) != -1) {
		if (tool_common_option(c, &o->json, &o->sysroot,
				       &o->verbose, usage))
			continue;
		switch (c) {
		case 'c': o->rt_cpus = optarg; break;
		case 'o': o->only = optarg; break;
		case 'n':
			r = parse_seconds("--noise", optarg, &o->noise_ms);
			break;
		case OPT_NOISE_CPU:
			r = parse_uint("--noise-cpu", optarg, 0, INT_MAX,
				       &o->noise_cpu);
			o->flags |= RTVM_CHECK_NOISE_CPU;
			break;
		case OPT_THRESHOLD:
			r = parse_uint("--threshold", optarg, 1, 1000000,
				       &o->threshold_us);
			break;
		case OPT_SAMPLE:
			r = parse_uint("--sample", optarg, 0, 3600000,
				       &o->sample_ms);
			break;
		case OPT_PID:
			r = parse_uint("--pid", optarg, 1, INT_MAX, &o->vm_pid);
			break;
		case OPT_MAX_LATENCY:
			r = parse_uint("--max-latency", optarg, 1, 1000000,
				       &o->max_latency_us);
			break;
		default: usage(stderr); return -EINVAL;
		}
		if (r < 0)
			return r;
	}
	if (optind < argc) {
		tool_error("unexpected argument \"%s\" (see --help)", argv[optind]);
		return -EINVAL;
	}
	if (o->only && !o->only[strspn(o->only, ", ")]) {
		tool_error("--only: \"%s\" names no check", o->only);
		return -EINVAL;
	}
	return 0;
}

/* ---- the table -------------------------------------------------------- */

struct style {
	bool on;
};

static const char *status_colour(int status)
{
	switch (status) {
	case RTVM_CHECK_PASS: return "\033[32m";   /* green */
	case RTVM_CHECK_INFO: return "\033[36m";   /* cyan */
	case RTVM_CHECK_SKIP: return "\033[2m";    /* dim */
	case RTVM_CHECK_WARN: return "\033[1;33m"; /* bold yellow */
	case RTVM_CHECK_FAIL: return "\033[1;31m"; /* bold red */
	default: return "";
	}
}

static const char *status_label(int status)
{
	switch (status) {
	case RTVM_CHECK_PASS: return "PASS";
	case RTVM_CHECK_INFO: return "INFO";
	case RTVM_CHECK_SKIP: return "SKIP";
	case RTVM_CHECK_WARN: return "WARN";
	case RTVM_CHECK_FAIL: return "FAIL";
	default: return "?";
	}
}

static void print_status(const struct style *st, int status)
{
	if (st->on)
		printf("%s%-4s\033[0m", status_colour(status), status_label(status));
	else
		printf("%-4s", status_label(status));
}

/* One line: @ind spaces, @before, @text escaped (the library's texts can
 * quote thread names and files of the host), @after. */
static void print_text(int ind, const char *before, const char *text,
		       const char *after)
{
	printf("%*s%s", ind, "", before);
	tool_fputs_escaped(text, stdout);
	printf("%s\n", after);
}

static void print_table(const struct rtvm_check_report *rep,
			const struct opts *o, const struct style *st)
{
	const struct rtvm_check_result *r;
	int idw = (int)strlen("ID");

	rtvm_check_report_foreach(r, rep) {
		int n = (int)strlen(rtvm_check_result_get_id(r));

		if (n > idw)
			idw = n;
	}
	printf("%s%-6s %-*s  %s%s\n", st->on ? "\033[1m" : "", "STATUS", idw,
	       "ID", "OBSERVED", st->on ? "\033[0m" : "");
	rtvm_check_report_foreach(r, rep) {
		int status = rtvm_check_result_get_status(r);
		const char *exp = rtvm_check_result_get_expected(r);
		const char *fix = rtvm_check_result_get_remedy(r);
		unsigned int nd = rtvm_check_result_get_nr_details(r);
		bool full = o->verbose || status >= RTVM_CHECK_WARN;
		int ind = 6 + 1 + idw + 2;

		print_status(st, status);
		printf("   %-*s  ", idw, rtvm_check_result_get_id(r));
		print_text(0, "", rtvm_check_result_get_observed(r), "");
		if (o->verbose)
			print_text(ind, "(", rtvm_check_result_get_title(r), ")");
		if (full && *exp)
			print_text(ind, "expected: ", exp, "");
		if ((full || status == RTVM_CHECK_SKIP || status == RTVM_CHECK_INFO) &&
		    *fix)
			print_text(ind, "remedy:   ", fix, "");
		if (!full && status != RTVM_CHECK_INFO)
			continue;
		for (unsigned int i = 0; i < nd; i++) {
			const char *text;
			int cpu;

			if (rtvm_check_result_get_detail(r, i, &cpu, &text) < 0)
				continue;
			if (cpu >= 0)
				printf("%*s  cpu %d: ", ind, "", cpu);
			else
				printf("%*s  ", ind, "");
			print_text(0, "", text, "");
		}
	}
}

static void print_summary(const struct rtvm_check_report *rep,
			  const struct style *st)
{
	static const int order[] = { RTVM_CHECK_PASS, RTVM_CHECK_INFO,
				     RTVM_CHECK_SKIP, RTVM_CHECK_WARN,
				     RTVM_CHECK_FAIL };
	unsigned int total = 0;
	int verdict = rtvm_check_report_get_verdict(rep);

	for (size_t i = 0; i < sizeof(order) / sizeof(order[0]); i++)
		total += rtvm_check_report_get_count(rep, order[i]);
	printf("\n%u check%s on RT CPUs %s:", total, total == 1 ? "" : "s",
	       rtvm_cpumask_weight(rtvm_check_report_get_rt_cpus(rep)) ?
		       tool_mask_str(rtvm_check_report_get_rt_cpus(rep), 0) :
		       "(none)");
	for (size_t i = 0; i < sizeof(order) / sizeof(order[0]); i++)
		printf("%s %u %s", i ? "," : "",
		       rtvm_check_report_get_count(rep, order[i]),
		       rtvm_check_status_to_string(order[i]));
	printf(".  Verdict: ");
	print_status(st, verdict);
	putchar('\n');
}

/* ---- errors --------------------------------------------------------- */

/* rtvm_check_run() said -EINVAL although the options are well formed:
 * find out which value the host rejects. */
static void explain_einval(struct rtvm_ctx *ctx, const struct opts *o,
			   const struct rtvm_cpumask *rt)
{
	const struct rtvm_cpumask *online;
	struct rtvm_host *h = NULL;
	struct rtvm_cpumask *off = NULL;

	if (rtvm_host_new(ctx, RTVM_HOST_CPUS, &h) < 0) {
		tool_error("the options are not valid for this host");
		return;
	}
	online = rtvm_host_get_cpus(h, RTVM_CPUS_ONLINE);
	if (rt && rtvm_cpumask_dup(rt, &off) == 0 &&
	    rtvm_cpumask_op(off, RTVM_CPUMASK_ANDNOT, online) == 0 &&
	    rtvm_cpumask_weight(off))
		tool_error("--rt-cpus: \"%s\" names CPUs that are not online: %s "
			   "(online: %s)", o->rt_cpus, tool_mask_str(off, 0),
			   tool_mask_str(online, 1));
	else if ((o->flags & RTVM_CHECK_NOISE_CPU) &&
		 !rtvm_cpumask_test(online, o->noise_cpu))
		tool_error("--noise-cpu: CPU %u is not online (online: %s)",
			   o->noise_cpu, tool_mask_str(online, 0));
	else if (o->only)
		tool_error("--only: \"%s\" names no known check (ids look like "
			   "\"pm.cstates\"; a prefix ends with '.', like \"pm.\")",
			   o->only);
	else
		tool_error("the options are not valid for this host");
	rtvm_cpumask_free(off);
	rtvm_host_unref(h);
}

static bool use_colour(void)
{
	const char *t = getenv("TERM");

	return isatty(STDOUT_FILENO) && !getenv("NO_COLOR") &&
	       !(t && strcmp(t, "dumb") == 0);
}

int main(int argc, char **argv)
{
	struct opts o = {0};
	struct rtvm_ctx *ctx = NULL;
	struct rtvm_cpumask *rt = NULL;
	struct rtvm_check_report *rep = NULL;
	struct rtvm_check_opts co = { .size = sizeof(co) };
	struct style st = { .on = false };
	int r, ret = EXIT_INTERNAL, verdict;

	if (parse_args(argc, argv, &o) < 0)
		return EXIT_USAGE;
	r = tool_new_ctx(o.sysroot, o.verbose, &ctx);
	if (r < 0)
		return r == -ENOMEM ? EXIT_INTERNAL : EXIT_USAGE;
	if (o.rt_cpus && tool_parse_cpus(ctx, "--rt-cpus", o.rt_cpus, &rt) < 0) {
		ret = EXIT_USAGE;
		goto out;
	}
	co.flags = o.flags;
	co.rt_cpus = rt;
	co.only = o.only;
	co.max_exit_latency_us = o.max_latency_us;
	co.sample_ms = o.sample_ms;
	co.noise_ms = o.noise_ms;
	co.noise_threshold_us = o.threshold_us;
	co.noise_cpu = o.noise_cpu;
	co.vm_pid = (pid_t)o.vm_pid;

	if (o.noise_ms && !o.json && isatty(STDERR_FILENO))
		fprintf(stderr, "%s: measuring noise for %g s ...\n",
			program_name, o.noise_ms / 1000.0);
	r = rtvm_check_run(ctx, &co, &rep);
	if (r == -EINVAL) {
		explain_einval(ctx, &o, rt);
		ret = EXIT_USAGE;
		goto out;
	}
	if (r < 0) {
		tool_error("cannot check %s: %s", rtvm_get_root(ctx),
			   strerror(-r));
		goto out;
	}

	if (o.json) {
		char *text;

		r = rtvm_check_report_to_json(rep, &text);
		if (r < 0) {
			tool_error("cannot format the report: %s", strerror(-r));
			goto out;
		}
		r = tool_print_json_text(text);
		free(text);
		if (r < 0)
			goto out;
	} else {
		st.on = use_colour();
		print_table(rep, &o, &st);
		print_summary(rep, &st);
	}
	if (!o.rt_cpus &&
	    rtvm_cpumask_weight(rtvm_check_report_get_rt_cpus(rep)) == 0)
		fprintf(o.json ? stderr : stdout,
			"%shint: this host has no isolated CPUs, so the per-CPU "
			"checks had nothing to look at; name the CPUs that will "
			"run RT vCPUs with --rt-cpus LIST (e.g. --rt-cpus 2-3)\n",
			o.json ? "" : "\n");

	verdict = rtvm_check_report_get_verdict(rep);
	ret = verdict == RTVM_CHECK_FAIL ? EXIT_VERDICT_FAIL :
	      verdict == RTVM_CHECK_WARN ? EXIT_VERDICT_WARN :
					   EXIT_VERDICT_PASS;
	if (fflush(stdout) != 0) {
		tool_error("cannot write the report: %s", strerror(errno));
		ret = EXIT_INTERNAL;
	}
out:
	rtvm_check_report_unref(rep);
	rtvm_cpumask_free(rt);
	rtvm_unref(ctx);
	return ret;
}
