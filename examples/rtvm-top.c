/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* rtvm-top: what the threads of RT VMs use and suffer on this host, and
 * what lands on their RT CPUs; live, as JSON or CSV lines, or exported to
 * Prometheus. */
#include "config.h"

#include <arpa/inet.h>
#include <cjson/cJSON.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <limits.h>
#include <math.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "tool.h"
#include "top-boost.h"
#include "top-report.h"

const char *program_name = "rtvm-top";

#define MAX_VMS 64

struct opts {
	const char *sysroot;
	const char *uri;
	const char *rt_cpus;
	const char *prometheus;
	const char *textfile;
	const char *record, *report, *plot;
	const char *state_dir;
	const char *control;
	const char *doms[MAX_VMS];
	pid_t pids[MAX_VMS];
	unsigned int ndoms, npids;
	unsigned int interval_ms;
	unsigned long count; /* intervals to report, 0: until interrupted */
	bool all, tuned, json, csv, delays, kvm, no_intruders, boost, verbose;
};

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static void usage(FILE *f)
{
	fprintf(f,
		"Usage: %s [OPTION]... (--pid PID | --vm DOMAIN | --tuned | --all)...\n"
		"       %s --report FILE [--json] [--plot FILE]\n"
		"Show what the threads of VMs use and suffer on this host, per\n"
		"interval: CPU time, run delay, preemptions, migrations, and the\n"
		"interrupts and other threads that landed on the VMs' RT CPUs.\n\n"
		"  -p, --pid PID          a VMM process (QEMU, Firecracker, ...)\n"
		"      --vm DOMAIN        a running libvirt domain\n"
		"      --uri URI          libvirt's URI (default qemu:///system)\n"
		"  -a, --all              every VMM process of the host\n"
		"      --tuned            every VM with a profile applied by\n"
		"                         rtvm-tune, with the profile's RT CPUs\n"
		"      --state-dir DIR    rtvm-tune's state directory (default\n"
		"                         $RTVM_STATE_DIR, else /run/rtvm)\n"
		"  -c, --rt-cpus LIST     the VMs' RT CPUs (default: the CPUs each\n"
		"                         VM's vCPU threads may run on)\n"
		"  -i, --interval MS      time between samples (default 1000)\n"
		"  -n, --count N          stop after N intervals (default: run until\n"
		"                         interrupted)\n"
		"  -j, --json             one JSON object per interval, one per line\n"
		"      --csv              one CSV row per thread and interval\n"
		"  -d, --delays           delay accounting (taskstats; CAP_NET_ADMIN)\n"
		"  -k, --kvm              KVM's counters per VM (exits, halts,\n"
		"                         injected IRQs), where debugfs is mounted\n"
		"      --no-intruders     do not scan every thread for intruders\n"
		"  -b, --boost            the boost broker's figures per VM and vCPU\n"
		"                         (boosts, boosted time, refusals), asked\n"
		"                         of rtvm-boostd at each sample\n"
		"      --control PATH     rtvm-boostd's status socket (default\n"
		"                         $RTVM_STATE_DIR/boostd.sock)\n"
		"      --prometheus [ADDR:]PORT\n"
		"                         serve /metrics over HTTP (ADDR defaults to\n"
		"                         127.0.0.1; PORT 0: any free port, said)\n"
		"      --textfile DIR     write DIR/rtvm.prom for node_exporter\n"
		"      --record FILE      also write each sample to FILE, one JSON\n"
		"                         object per line (the --json lines)\n"
		"      --report FILE      summarize a recording: percentiles of each\n"
		"                         thread's CPU%%, run delay and preemptions,\n"
		"                         the RT CPUs' interrupts and intruders\n"
		"      --plot FILE        with --report: time series of the run delay\n"
		"                         and preemptions (.svg or .png, gnuplot)\n"
		"  -s, --sysroot DIR      read the simulated host in DIR (also RTVM_SYSROOT)\n"
		"  -v, --verbose          log what librtvm does to stderr\n"
		"  -h, --help             this help\n"
		"  -V, --version          the librtvm version\n\n"
		"Exit status: 0 on success, 1 when the VMs or the host cannot be\n"
		"read, 64 for bad usage.\n",
		program_name, program_name);
}

enum { OPT_VM = 256, OPT_URI, OPT_CSV, OPT_NO_INTRUDERS, OPT_PROMETHEUS,
       OPT_TEXTFILE, OPT_RECORD, OPT_REPORT, OPT_PLOT, OPT_TUNED,
       OPT_STATE_DIR, OPT_CONTROL };

static int parse_args(int argc, char **argv, struct opts *o)
{
	static const struct option longopts[] = {
		{ "pid", required_argument, NULL, 'p' },
		{ "vm", required_argument, NULL, OPT_VM },
		{ "uri", required_argument, NULL, OPT_URI },
		{ "all", no_argument, NULL, 'a' },
		{ "rt-cpus", required_argument, NULL, 'c' },
		{ "interval", required_argument, NULL, 'i' },
		{ "count", required_argument, NULL, 'n' },
		{ "csv", no_argument, NULL, OPT_CSV },
		{ "delays", no_argument, NULL, 'd' },
		{ "kvm", no_argument, NULL, 'k' },
		{ "no-intruders", no_argument, NULL, OPT_NO_INTRUDERS },
		{ "boost", no_argument, NULL, 'b' },
		{ "control", required_argument, NULL, OPT_CONTROL },
		{ "prometheus", required_argument, NULL, OPT_PROMETHEUS },
		{ "textfile", required_argument, NULL, OPT_TEXTFILE },
		{ "record", required_argument, NULL, OPT_RECORD },
		{ "tuned", no_argument, NULL, OPT_TUNED },
		{ "state-dir", required_argument, NULL, OPT_STATE_DIR },
		{ "report", required_argument, NULL, OPT_REPORT },
		{ "plot", required_argument, NULL, OPT_PLOT },
		TOOL_COMMON_LONGOPTS,
		{ NULL, 0, NULL, 0 }
	};
	unsigned long v;
	int c;

	o->interval_ms = 1000;
	while ((c = getopt_long(argc, argv,
				"p:ac:i:n:dkb" TOOL_COMMON_SHORTOPTS,
				longopts, NULL)) != -1) {
		if (tool_common_option(c, &o->json, &o->sysroot,
				       &o->verbose, usage))
			continue;
		switch (c) {
		case 'p':
			if (tool_parse_ulong("--pid", optarg, 1, INT_MAX, &v) < 0)
				return -EINVAL;
			if (o->npids == MAX_VMS) {
				tool_error("--pid: at most %d VMs", MAX_VMS);
				return -EINVAL;
			}
			o->pids[o->npids++] = (pid_t)v;
			break;
		case OPT_VM:
			if (o->ndoms == MAX_VMS) {
				tool_error("--vm: at most %d VMs", MAX_VMS);
				return -EINVAL;
			}
			o->doms[o->ndoms++] = optarg;
			break;
		case OPT_URI: o->uri = optarg; break;
		case 'a': o->all = true; break;
		case 'c': o->rt_cpus = optarg; break;
		case 'i':
			/* Below 10 ms the sampler cannot keep its pace. */
			if (tool_parse_ulong("--interval (ms)", optarg, 10, 3600000,
					     &v) < 0)
				return -EINVAL;
			o->interval_ms = (unsigned int)v;
			break;
		case 'n':
			if (tool_parse_ulong("--count", optarg, 1, ULONG_MAX / 2,
					     &v) < 0)
				return -EINVAL;
			o->count = v;
			break;
		case OPT_CSV: o->csv = true; break;
		case 'd': o->delays = true; break;
		case 'k': o->kvm = true; break;
		case OPT_NO_INTRUDERS: o->no_intruders = true; break;
		case 'b': o->boost = true; break;
		case OPT_CONTROL: o->control = optarg; break;
		case OPT_PROMETHEUS: o->prometheus = optarg; break;
		case OPT_TEXTFILE: o->textfile = optarg; break;
		case OPT_RECORD: o->record = optarg; break;
		case OPT_TUNED: o->tuned = true; break;
		case OPT_STATE_DIR: o->state_dir = optarg; break;
		case OPT_REPORT: o->report = optarg; break;
		case OPT_PLOT: o->plot = optarg; break;
		default: usage(stderr); return -EINVAL;
		}
	}
	if (optind < argc) {
		tool_error("unexpected argument \"%s\"", tool_escape(argv[optind], 0));
		return -EINVAL;
	}
	if (o->plot && !o->report) {
		tool_error("--plot draws a recording: give --report FILE");
		return -EINVAL;
	}
	if (o->report) {
		/* A recording is read, no host: the options of sampling
		 * have nothing to act on. */
		const char *live = o->npids ? "--pid" : o->ndoms ? "--vm" :
				   o->all ? "--all" : o->tuned ? "--tuned" :
				   o->record ? "--record" :
				   o->csv ? "--csv" : o->prometheus ?
				   "--prometheus" : o->textfile ? "--textfile" :
				   o->count ? "--count" : o->boost ? "--boost" :
				   NULL;

		if (live) {
			tool_error("--report reads a recording; %s samples the "
				   "host: give one or the other", live);
			return -EINVAL;
		}
		return 0;
	}
	if (!o->npids && !o->ndoms && !o->all && !o->tuned) {
		tool_error("which VMs? Give --pid PID, --vm DOMAIN, --tuned or "
			   "--all");
		return -EINVAL;
	}
	if (o->state_dir && (!o->tuned || o->state_dir[0] != '/')) {
		tool_error("--state-dir: %s", o->tuned ? "an absolute directory, "
			   "please" : "it names where --tuned reads from");
		return -EINVAL;
	}
	if (o->json && o->csv) {
		tool_error("--json and --csv: choose one");
		return -EINVAL;
	}
	if (o->control && !o->boost) {
		tool_error("--control names where --boost asks: give --boost too");
		return -EINVAL;
	}
	return 0;
}

/* ---- finding the VMs ------------------------------------------------------ */

static int add_vm(struct rtvm_monitor *m, struct rtvm_vm *vm,
		  const struct rtvm_cpumask *rt)
{
	int r = rtvm_monitor_add_vm(m, vm, rt, NULL);

	if (r == -EEXIST)
		r = 0; /* named twice */
	else if (r < 0)
		tool_error("pid %d: %s", (int)rtvm_vm_get_pid(vm), strerror(-r));
	rtvm_vm_unref(vm);
	return r;
}

/* Every process of the host whose threads are named like a VMM's. */
static int add_all(struct rtvm_ctx *ctx, struct rtvm_monitor *m,
		   const struct rtvm_cpumask *rt, unsigned int *ret_n)
{
	struct rtvm_host *h = NULL;
	const struct rtvm_thread *t;
	pid_t last = 0;
	int r;

	r = rtvm_host_new(ctx, RTVM_HOST_THREADS, &h);
	if (r < 0) {
		tool_error("cannot read the host's threads: %s", strerror(-r));
		return r;
	}
	*ret_n = 0;
	rtvm_host_foreach_thread(t, h) {
		pid_t pid = rtvm_thread_get_pid(t);
		struct rtvm_vm *vm = NULL;

		if (pid == last || rtvm_thread_is_kthread(t))
			continue;
		last = pid;
		r = rtvm_vm_new_from_pid(ctx, pid, &vm);
		if (r == -ENOENT || r == -ESRCH)
			continue; /* not a VMM, or gone */
		if (r == 0)
			r = add_vm(m, vm, rt);
		if (r < 0)
			break;
		(*ret_n)++;
	}
	rtvm_host_unref(h);
	return r < 0 && r != -ENOENT && r != -ESRCH ? r : 0;
}

/* The VMs of rtvm-tune's journals, each with its profile's RT CPUs unless
 * --rt-cpus says otherwise; a journaled VM that no longer runs is left out
 * with a note. */
static int add_tuned(struct rtvm_ctx *ctx, struct rtvm_monitor *m,
		     const struct opts *o, const struct rtvm_cpumask *rt,
		     unsigned int *ret_n)
{
	const cJSON *v;
	char *text = NULL;
	cJSON *doc;
	int r;

	if (o->state_dir && (r = rtvm_set_state_dir(ctx, o->state_dir)) < 0) {
		tool_error("--state-dir %s: %s", tool_escape(o->state_dir, 0),
			   strerror(-r));
		return r;
	}
	r = rtvm_tune_status(ctx, NULL, &text);
	if (r < 0) {
		tool_error("--tuned: rtvm-tune's state: %s", strerror(-r));
		return r;
	}
	doc = cJSON_Parse(text);
	free(text);
	if (!doc) {
		tool_error("--tuned: rtvm-tune's state: %s", strerror(EBADMSG));
		return -EBADMSG;
	}
	*ret_n = 0;
	cJSON_ArrayForEach(v, cJSON_GetObjectItemCaseSensitive(doc, "vms")) {
		const char *id = cJSON_GetStringValue(
			cJSON_GetObjectItemCaseSensitive(v, "vm"));
		const char *cpus = cJSON_GetStringValue(
			cJSON_GetObjectItemCaseSensitive(v, "rt_cpus"));
		struct rtvm_cpumask *mask = NULL;
		struct rtvm_vm *vm = NULL;
		char *end;
		long pid = 0;

		if (!id)
			continue;
		if (!strncmp(id, "pid-", 4)) {
			errno = 0;
			pid = strtol(id + 4, &end, 10);
			if (errno || *end || pid <= 0)
				pid = 0;
		}
		if (pid)
			r = rtvm_vm_new_from_pid(ctx, (pid_t)pid, &vm);
		else
			r = rtvm_vm_new_from_libvirt(ctx, o->uri, id, &vm);
		if (r == -ESRCH || r == -ENOENT) {
			fprintf(stderr, "%s: VM %s has a profile applied but does "
				"not run (rtvm-tune revert cleans up after it)\n",
				program_name, tool_escape(id, 0));
			continue;
		}
		if (r == 0 && !rt && cpus && *cpus &&
		    (r = rtvm_cpumask_new(ctx, &mask)) == 0)
			r = rtvm_cpumask_parse_list(mask, cpus, 0);
		if (r == 0) {
			r = add_vm(m, vm, rt ? rt : mask);
			vm = NULL; /* add_vm took it */
		}
		rtvm_vm_unref(vm);
		rtvm_cpumask_free(mask);
		if (r < 0) {
			tool_error("--tuned: VM %s: %s", tool_escape(id, 0),
				   strerror(-r));
			break;
		}
		(*ret_n)++;
	}
	cJSON_Delete(doc);
	return r < 0 ? r : 0;
}

static int add_vms(struct rtvm_ctx *ctx, struct rtvm_monitor *m,
		   const struct opts *o, const struct rtvm_cpumask *rt)
{
	unsigned int n = 0;
	int r;

	for (unsigned int i = 0; i < o->npids; i++) {
		struct rtvm_vm *vm = NULL;

		r = tool_open_vm(ctx, NULL, NULL, o->pids[i], &vm);
		if (r < 0)
			return r;
		r = add_vm(m, vm, rt);
		if (r < 0)
			return r;
	}
	for (unsigned int i = 0; i < o->ndoms; i++) {
		struct rtvm_vm *vm = NULL;

		r = tool_open_vm(ctx, o->uri, o->doms[i], 0, &vm);
		if (r < 0)
			return r;
		r = add_vm(m, vm, rt);
		if (r < 0)
			return r;
	}
	if (o->tuned) {
		r = add_tuned(ctx, m, o, rt, &n);
		if (r < 0)
			return r;
		if (n == 0 && !o->npids && !o->ndoms && !o->all) {
			tool_error("--tuned: no running VM has a profile applied "
				   "(rtvm-tune status lists the journals)");
			return -ENOENT;
		}
	}
	if (o->all) {
		r = add_all(ctx, m, rt, &n);
		if (r < 0)
			return r;
		if (n == 0 && !o->npids && !o->ndoms && !o->tuned) {
			tool_error("--all: no VMM process on this host (no "
				   "threads named like vCPUs)");
			return -ENOENT;
		}
	}
	return 0;
}

/* ---- one sample's figures --------------------------------------------------- */

/* A thread's share of the interval, in percent. */
static double pct(uint64_t ns, uint64_t interval)
{
	return interval ? 100.0 * (double)ns / (double)interval : 0.0;
}

static double per_s(uint64_t n, uint64_t interval)
{
	return interval ? (double)n * 1e9 / (double)interval : 0.0;
}

static const char *role_label(const struct rtvm_monitor_thread *t, char *buf,
			      size_t size)
{
	if (t->role == RTVM_VM_ROLE_VCPU)
		snprintf(buf, size, "vcpu%d", t->index);
	else
		snprintf(buf, size, "%s", rtvm_vm_role_to_string(t->role));
	return buf;
}

static const char *sched_label(const struct rtvm_monitor_thread *t, char *buf,
			       size_t size)
{
	if (t->priority > 0)
		snprintf(buf, size, "%s %d", tool_policy_name(t->policy),
			 t->priority);
	else
		snprintf(buf, size, "%s", tool_policy_name(t->policy));
	return buf;
}

/* How much a thread was disturbed: preemptions first, then waiting. */
static int cmp_disturbed(const void *a, const void *b)
{
	const struct rtvm_monitor_thread *x = a, *y = b;

	if ((x->role == RTVM_VM_ROLE_VCPU) != (y->role == RTVM_VM_ROLE_VCPU))
		return x->role == RTVM_VM_ROLE_VCPU ? -1 : 1;
	if (x->involuntary != y->involuntary)
		return x->involuntary > y->involuntary ? -1 : 1;
	if (x->run_delay_ns != y->run_delay_ns)
		return x->run_delay_ns > y->run_delay_ns ? -1 : 1;
	return x->tid < y->tid ? -1 : x->tid > y->tid;
}

/* The threads of the VM with id @id, most disturbed first (free()). */
static struct rtvm_monitor_thread *vm_threads(const struct rtvm_monitor *m,
					      unsigned int id, unsigned int *ret_n)
{
	struct rtvm_monitor_thread t = { .size = sizeof(t) }, *all = NULL;
	unsigned int n = 0;

	for (unsigned int i = 0; rtvm_monitor_get_thread(m, i, &t) == 0; i++) {
		struct rtvm_monitor_thread *na;

		if (t.vm_id != id)
			continue;
		na = realloc(all, (n + 1) * sizeof(*all));
		if (!na)
			break;
		all = na;
		all[n++] = t;
	}
	if (n)
		qsort(all, n, sizeof(*all), cmp_disturbed);
	*ret_n = n;
	return all;
}

/* ---- text ------------------------------------------------------------------ */

/* Why an RT CPU's SMIs were not counted (rtvm_monitor_cpu.smi_error). */
static const char *smi_why(int error)
{
	switch (error) {
	case -ENOENT: return "no /dev/cpu/N/msr (modprobe msr)";
	case -EPERM:
	case -EACCES: return "MSR 0x34 needs CAP_SYS_RAWIO (root)";
	case -EIO: return "this CPU has no SMI count (MSR 0x34 is Intel's)";
	case -ENODATA: return "not counted";
	default: return strerror(-error);
	}
}

/* A vCPU's boost columns: boosts in the interval and the share of it
 * boosted ("-" where the broker does not know the thread). */
static void boost_cells(const struct top_boost *b, pid_t pid,
			const struct rtvm_monitor_thread *t, uint64_t iv)
{
	struct top_boost_fig f;

	if (t->role == RTVM_VM_ROLE_VCPU && top_boost_get(b, pid, t->tid, &f) &&
	    f.delta_known)
		/* The broker's interval and ours differ by the time between
		 * the two reads: a share past 100% is that skew. */
		printf(" %6" PRIu64 " %6.1f%s", f.boosts,
		       fmin(pct(f.boosted_ns, iv), 100.0), f.boosted ? "*" : "");
	else
		printf(" %6s %6s", "-", "-");
}

static void print_text(const struct rtvm_monitor *m,
		       const struct top_boost *b, bool tty)
{
	uint64_t iv = rtvm_monitor_get_interval_ns(m);
	struct rtvm_monitor_vm v = { .size = sizeof(v) };
	struct rtvm_monitor_cpu c = { .size = sizeof(c) };
	struct rtvm_monitor_intruder in = { .size = sizeof(in) };
	const char *smi_note = NULL;
	bool any = false;
	char smi[24];

	if (tty)
		fputs("\033[H\033[J", stdout);
	printf("rtvm-top: interval %.3f s, sampler %.3f ms CPU\n",
	       (double)iv / 1e9, (double)rtvm_monitor_get_cost_ns(m) / 1e6);
	for (unsigned int i = 0; rtvm_monitor_get_vm(m, i, &v) == 0; i++) {
		struct rtvm_monitor_thread *th;
		unsigned int n;

		printf("\nVM %d%s%s%s  RT CPUs %s  %u threads", (int)v.pid,
		       v.name ? " (" : "", v.name ? tool_escape(v.name, 0) : "",
		       v.name ? ")" : "", tool_mask_str(v.rt_cpus, 0),
		       v.nr_threads);
		if (v.exited || v.fresh)
			printf(" (%u exited, %u new)", v.exited, v.fresh);
		if (v.flags & RTVM_MONITOR_VM_GONE)
			printf("  GONE");
		putchar('\n');
		if (!v.nr_threads)
			continue;
		if (b) {
			struct top_boost_fig f;

			if (!top_boost_get(b, v.pid, 0, &f))
				printf("  boost: not a VM of rtvm-boostd\n");
			else if (!f.delta_known)
				printf("  boost: %" PRIu64 " boosts, %" PRIu64
				       " refused since the broker started\n",
				       f.boosts_total, f.refused_total);
			else
				printf("  boost: %" PRIu64 " requests, %" PRIu64
				       " boosts, %" PRIu64 " refused; %" PRIu64
				       " refused since the broker started\n",
				       f.requests, f.boosts, f.refused,
				       f.refused_total);
		}
		if (v.flags & RTVM_MONITOR_VM_KVM)
			printf("  KVM: %" PRIu64 " exits, %" PRIu64 " halt exits, "
			       "%" PRIu64 "/%" PRIu64 " halt polls ok, %" PRIu64
			       " IRQs injected, %" PRIu64 " preempted\n",
			       v.kvm[RTVM_MONITOR_KVM_EXITS],
			       v.kvm[RTVM_MONITOR_KVM_HALT_EXITS],
			       v.kvm[RTVM_MONITOR_KVM_HALT_POLL_OK],
			       v.kvm[RTVM_MONITOR_KVM_HALT_POLL_TRIED],
			       v.kvm[RTVM_MONITOR_KVM_IRQ_INJECTIONS],
			       v.kvm[RTVM_MONITOR_KVM_PREEMPTED]);
		printf("  %-8s %-16s %7s %4s %-9s %6s %9s %8s %8s %6s%s\n",
		       "ROLE", "NAME", "TID", "CPU", "SCHED", "CPU%",
		       "WAIT-ms", "PREEMPT", "BLOCK", "MIGR",
		       b ? " BOOSTS BOOST%" : "");
		th = vm_threads(m, v.id, &n);
		for (unsigned int k = 0; k < n; k++) {
			const struct rtvm_monitor_thread *t = &th[k];
			char role[32], sched[32], migr[24] = "-";

			if (t->have & RTVM_MONITOR_HAVE_MIGRATIONS)
				snprintf(migr, sizeof(migr), "%" PRIu64,
					 t->migrations);

			printf("  %-8s %-16s %7d %4d %-9s %6.1f %9.3f %8" PRIu64
			       " %8" PRIu64 " %6s",
			       role_label(t, role, sizeof(role)),
			       tool_escape(t->name, 0), (int)t->tid, t->cpu,
			       sched_label(t, sched, sizeof(sched)),
			       pct(t->cpu_ns, iv), (double)t->run_delay_ns / 1e6,
			       t->involuntary, t->voluntary, migr);
			if (b)
				boost_cells(b, v.pid, t, iv);
			putchar('\n');
		}
		for (unsigned int k = 0; k < n; k++) {
			const struct rtvm_monitor_thread *t = &th[k];
			char role[32];

			if (t->rt_throttled)
				printf("  RT throttling held %s back: it ran %.1f%% "
				       "and waited %.1f%% of the interval (RT "
				       "runtime %" PRId64 " of %" PRIu64 " us)\n",
				       role_label(t, role, sizeof(role)),
				       pct(t->cpu_ns, iv),
				       pct(t->run_delay_ns, iv),
				       t->rt_runtime_us, t->rt_period_us);
		}
		free(th);
	}
	for (unsigned int i = 0; rtvm_monitor_get_cpu(m, i, &c) == 0; i++) {
		uint64_t busy = c.user_ns + c.nice_ns + c.system_ns +
				c.irq_ns + c.softirq_ns + c.steal_ns;

		if (!c.rt)
			continue;
		if (!any)
			printf("\nRT CPUs  %6s %6s %6s %7s %7s %7s %7s %7s %7s %9s "
			       "%5s\n", "BUSY%", "IRQ%", "SIRQ%", "DEVIRQ", "LOC",
			       "RES", "CAL", "TLB", "OTHER", "INTRUDERS", "SMI");
		any = true;
		if (c.smi_error == 0)
			snprintf(smi, sizeof(smi), "%" PRIu64, c.smis);
		else
			snprintf(smi, sizeof(smi), "-");
		if (c.smi_error && !smi_note)
			smi_note = smi_why(c.smi_error);
		printf("  %-6u %6.1f %6.1f %6.1f %7" PRIu64 " %7" PRIu64
		       " %7" PRIu64 " %7" PRIu64 " %7" PRIu64 " %7" PRIu64
		       " %9u %5s\n", c.cpu, pct(busy, iv), pct(c.irq_ns, iv),
		       pct(c.softirq_ns, iv), c.device_irqs, c.local_timer,
		       c.resched, c.function_calls, c.tlb_shootdowns,
		       c.other_irqs, c.intruders, smi);
	}
	if (smi_note)
		printf("  SMI -: %s\n", smi_note);
	for (unsigned int i = 0; rtvm_monitor_get_intruder(m, i, &in) == 0 &&
				  i < 10; i++) {
		if (i == 0)
			printf("\nOn the RT CPUs  %7s %7s %-16s %4s %9s\n",
			       "PID", "TID", "NAME", "CPU", "CPU-ms");
		printf("  %-13s %7d %7d %-16s %4d %9.1f\n",
		       in.kthread ? "kernel thread" : "task", (int)in.pid,
		       (int)in.tid, tool_escape(in.name, 0), in.cpu,
		       (double)in.cpu_ns / 1e6);
	}
}

/* ---- JSON and CSV ------------------------------------------------------------ */

/* {"boosts", "boosted_ns", ..."_total", "boosted"} of a VM (tid 0) or a
 * vCPU thread; the interval's counts null when unknown, and the whole
 * object null when the broker does not know the VM or thread. */
static void json_boost(cJSON *o, const struct top_boost *b, pid_t pid,
		       pid_t tid)
{
	struct top_boost_fig f;
	cJSON *jb;

	if (!top_boost_get(b, pid, tid, &f)) {
		cJSON_AddNullToObject(o, "boost");
		return;
	}
	jb = cJSON_AddObjectToObject(o, "boost");
#define PAIR(field)                                                           \
	do {                                                                  \
		if (f.delta_known)                                            \
			cJSON_AddNumberToObject(jb, #field, (double)f.field); \
		else                                                          \
			cJSON_AddNullToObject(jb, #field);                    \
		cJSON_AddNumberToObject(jb, #field "_total",                  \
					(double)f.field##_total);             \
	} while (0)
	PAIR(boosts);
	PAIR(boosted_ns);
	if (!tid) {
		PAIR(requests);
		PAIR(refused);
	}
#undef PAIR
	cJSON_AddBoolToObject(jb, "boosted", f.boosted);
}

static cJSON *json_sample(const struct rtvm_monitor *m,
			  const struct top_boost *b)
{
	struct rtvm_monitor_vm v = { .size = sizeof(v) };
	struct rtvm_monitor_thread t = { .size = sizeof(t) };
	struct rtvm_monitor_cpu c = { .size = sizeof(c) };
	struct rtvm_monitor_intruder in = { .size = sizeof(in) };
	cJSON *root = cJSON_CreateObject(), *vms, *cpus, *intr;
	int da = rtvm_monitor_get_delayacct(m);

	cJSON_AddNumberToObject(root, "time", (double)time(NULL));
	cJSON_AddNumberToObject(root, "interval_ns",
				(double)rtvm_monitor_get_interval_ns(m));
	cJSON_AddNumberToObject(root, "sampler_cpu_ns",
				(double)rtvm_monitor_get_cost_ns(m));
	if (da >= 0)
		cJSON_AddBoolToObject(root, "delayacct", da);
	else
		cJSON_AddNullToObject(root, "delayacct");
	vms = cJSON_AddArrayToObject(root, "vms");
	for (unsigned int i = 0; rtvm_monitor_get_vm(m, i, &v) == 0; i++) {
		cJSON *jv = cJSON_CreateObject(), *ths;

		cJSON_AddNumberToObject(jv, "id", v.id);
		cJSON_AddNumberToObject(jv, "pid", v.pid);
		if (v.name)
			cJSON_AddStringToObject(jv, "name", tool_escape(v.name, 0));
		else
			cJSON_AddNullToObject(jv, "name");
		cJSON_AddStringToObject(jv, "rt_cpus", tool_mask_str(v.rt_cpus, 0));
		cJSON_AddBoolToObject(jv, "gone", v.flags & RTVM_MONITOR_VM_GONE);
		cJSON_AddNumberToObject(jv, "exited", v.exited);
		cJSON_AddNumberToObject(jv, "new", v.fresh);
		if (v.flags & RTVM_MONITOR_VM_KVM) {
			cJSON *kv = cJSON_AddObjectToObject(jv, "kvm");

			for (int k = 0; k < RTVM_MONITOR_KVM_NR; k++)
				cJSON_AddNumberToObject(kv,
					rtvm_monitor_kvm_to_string(k),
					(double)v.kvm[k]);
		} else {
			cJSON_AddNullToObject(jv, "kvm");
		}
		if (b)
			json_boost(jv, b, v.pid, 0);
		ths = cJSON_AddArrayToObject(jv, "threads");
		for (unsigned int k = 0; rtvm_monitor_get_thread(m, k, &t) == 0; k++) {
			cJSON *jt;

			if (t.vm_id != v.id)
				continue;
			jt = cJSON_CreateObject();
			cJSON_AddNumberToObject(jt, "tid", t.tid);
			cJSON_AddStringToObject(jt, "role", rtvm_vm_role_to_string(t.role));
			if (t.index >= 0)
				cJSON_AddNumberToObject(jt, "vcpu", t.index);
			cJSON_AddStringToObject(jt, "name", tool_escape(t.name, 0));
			cJSON_AddBoolToObject(jt, "new", t.fresh);
			cJSON_AddNumberToObject(jt, "cpu", t.cpu);
			cJSON_AddStringToObject(jt, "policy", tool_policy_name(t.policy));
			cJSON_AddNumberToObject(jt, "priority", t.priority);
			cJSON_AddNumberToObject(jt, "nice", t.nice);
#define FIG(bit, key, val)                                                   \
	do {                                                                 \
		if (t.have & (bit))                                          \
			cJSON_AddNumberToObject(jt, key, (double)(val));     \
		else                                                         \
			cJSON_AddNullToObject(jt, key);                      \
	} while (0)
			FIG(RTVM_MONITOR_HAVE_SCHEDSTAT, "cpu_ns", t.cpu_ns);
			FIG(RTVM_MONITOR_HAVE_SCHEDSTAT, "run_delay_ns", t.run_delay_ns);
			FIG(RTVM_MONITOR_HAVE_SCHEDSTAT, "timeslices", t.timeslices);
			FIG(RTVM_MONITOR_HAVE_SWITCHES, "voluntary", t.voluntary);
			FIG(RTVM_MONITOR_HAVE_SWITCHES, "involuntary", t.involuntary);
			FIG(RTVM_MONITOR_HAVE_MIGRATIONS, "migrations", t.migrations);
#undef FIG
			if (t.have & RTVM_MONITOR_HAVE_DELAYS) {
				cJSON *d = cJSON_AddObjectToObject(jt, "delays");

				for (int k2 = 0; k2 < RTVM_MONITOR_DELAY_NR; k2++) {
					cJSON *e = cJSON_AddObjectToObject(
						d, rtvm_monitor_delay_to_string(k2));

					cJSON_AddNumberToObject(e, "count",
								(double)t.delay_count[k2]);
					cJSON_AddNumberToObject(e, "ns",
								(double)t.delay_ns[k2]);
				}
			} else {
				cJSON_AddNullToObject(jt, "delays");
			}
			if (t.have & RTVM_MONITOR_HAVE_RT_LIMIT) {
				cJSON *rl = cJSON_AddObjectToObject(jt, "rt_limit");

				cJSON_AddNumberToObject(rl, "runtime_us",
							(double)t.rt_runtime_us);
				cJSON_AddNumberToObject(rl, "period_us",
							(double)t.rt_period_us);
				cJSON_AddBoolToObject(rl, "throttled",
						      t.rt_throttled);
			} else {
				cJSON_AddNullToObject(jt, "rt_limit");
			}
			if (b && t.role == RTVM_VM_ROLE_VCPU)
				json_boost(jt, b, v.pid, t.tid);
			cJSON_AddItemToArray(ths, jt);
		}
		cJSON_AddItemToArray(vms, jv);
	}
	cpus = cJSON_AddArrayToObject(root, "cpus");
	for (unsigned int i = 0; rtvm_monitor_get_cpu(m, i, &c) == 0; i++) {
		cJSON *jc = cJSON_CreateObject(), *irq;

		cJSON_AddNumberToObject(jc, "cpu", c.cpu);
		cJSON_AddBoolToObject(jc, "rt", c.rt);
#define NS(f) cJSON_AddNumberToObject(jc, #f, (double)c.f)
		NS(user_ns); NS(nice_ns); NS(system_ns); NS(idle_ns);
		NS(iowait_ns); NS(irq_ns); NS(softirq_ns); NS(steal_ns);
		NS(guest_ns);
#undef NS
		irq = cJSON_AddObjectToObject(jc, "interrupts");
		cJSON_AddNumberToObject(irq, "device", (double)c.device_irqs);
		cJSON_AddNumberToObject(irq, "LOC", (double)c.local_timer);
		cJSON_AddNumberToObject(irq, "RES", (double)c.resched);
		cJSON_AddNumberToObject(irq, "CAL", (double)c.function_calls);
		cJSON_AddNumberToObject(irq, "TLB", (double)c.tlb_shootdowns);
		cJSON_AddNumberToObject(irq, "other", (double)c.other_irqs);
		cJSON_AddNumberToObject(jc, "intruders", c.intruders);
		if (c.smi_error == 0)
			cJSON_AddNumberToObject(jc, "smis", (double)c.smis);
		else
			cJSON_AddNullToObject(jc, "smis");
		if (c.rt && c.smi_error)
			cJSON_AddStringToObject(jc, "smis_unread",
						smi_why(c.smi_error));
		cJSON_AddItemToArray(cpus, jc);
	}
	intr = cJSON_AddArrayToObject(root, "intruders");
	for (unsigned int i = 0; rtvm_monitor_get_intruder(m, i, &in) == 0; i++) {
		cJSON *ji = cJSON_CreateObject();

		cJSON_AddNumberToObject(ji, "pid", in.pid);
		cJSON_AddNumberToObject(ji, "tid", in.tid);
		cJSON_AddStringToObject(ji, "name", tool_escape(in.name, 0));
		cJSON_AddNumberToObject(ji, "cpu", in.cpu);
		cJSON_AddBoolToObject(ji, "kthread", in.kthread);
		cJSON_AddStringToObject(ji, "policy", tool_policy_name(in.policy));
		cJSON_AddNumberToObject(ji, "priority", in.priority);
		cJSON_AddNumberToObject(ji, "cpu_ns", (double)in.cpu_ns);
		cJSON_AddItemToArray(intr, ji);
	}
	return root;
}

/* A CSV field: quoted, with quotes doubled. */
static void csv_str(const char *s)
{
	putchar('"');
	for (const char *p = tool_escape(s, 0); *p; p++) {
		if (*p == '"')
			putchar('"');
		putchar(*p);
	}
	putchar('"');
}

static void print_csv(const struct rtvm_monitor *m, bool header)
{
	struct rtvm_monitor_vm v = { .size = sizeof(v) };
	struct rtvm_monitor_thread t = { .size = sizeof(t) };
	long now = (long)time(NULL);

	if (header)
		puts("time,interval_ns,vm_pid,tid,role,vcpu,name,cpu,policy,"
		     "priority,cpu_ns,run_delay_ns,timeslices,voluntary,"
		     "involuntary,migrations");
	for (unsigned int i = 0; rtvm_monitor_get_thread(m, i, &t) == 0; i++) {
		pid_t pid = 0;

		for (unsigned int k = 0; rtvm_monitor_get_vm(m, k, &v) == 0; k++)
			if (v.id == t.vm_id)
				pid = v.pid;
		printf("%ld,%" PRIu64 ",%d,%d,%s,", now,
		       rtvm_monitor_get_interval_ns(m), (int)pid, (int)t.tid,
		       rtvm_vm_role_to_string(t.role));
		if (t.index >= 0)
			printf("%d", t.index);
		putchar(',');
		csv_str(t.name);
		printf(",%d,%s,%d,%" PRIu64 ",%" PRIu64 ",%" PRIu64 ",%" PRIu64
		       ",%" PRIu64 ",", t.cpu, tool_policy_name(t.policy),
		       t.priority, t.cpu_ns, t.run_delay_ns, t.timeslices,
		       t.voluntary, t.involuntary);
		if (t.have & RTVM_MONITOR_HAVE_MIGRATIONS)
			printf("%" PRIu64, t.migrations);
		putchar('\n');
	}
}

/* ---- Prometheus --------------------------------------------------------------- */

/* A label value of the exposition format: backslash, quote and newline
 * escaped. */
static void prom_label(FILE *f, const char *s)
{
	for (const char *p = tool_escape(s, 0); *p; p++) {
		if (*p == '\\' || *p == '"')
			fputc('\\', f);
		fputc(*p, f);
	}
}

/* The vm label's value: the domain's name, else the VMM's pid. */
static void prom_vm(FILE *f, const char *name, pid_t pid)
{
	if (name)
		prom_label(f, name);
	else
		fprintf(f, "%d", (int)pid);
}

/* The broker's counters: per vCPU thread, and per VM its requests and
 * refusals. */
static void prom_boost(FILE *f, const struct rtvm_monitor *m,
		       const struct top_boost *b)
{
	static const struct {
		const char *name, *type, *help;
	} metrics[] = {
		{ "rtvm_vcpu_boosts_total", "counter",
		  "boosts the broker applied to the vCPU" },
		{ "rtvm_vcpu_boosted_seconds_total", "counter",
		  "time the vCPU spent boosted" },
		{ "rtvm_vcpu_boosted", "gauge",
		  "1 while the vCPU is boosted" },
		{ "rtvm_vm_boost_requests_total", "counter",
		  "boost messages of the VM's guest, refused ones included" },
		{ "rtvm_vm_boost_refusals_total", "counter",
		  "boost requests the broker refused" },
	};
	struct rtvm_monitor_vm v = { .size = sizeof(v) };
	struct rtvm_monitor_thread t = { .size = sizeof(t) };
	struct top_boost_fig fig;

	for (size_t k = 0; k < sizeof(metrics) / sizeof(metrics[0]); k++) {
		fprintf(f, "# HELP %s %s\n# TYPE %s %s\n", metrics[k].name,
			metrics[k].help, metrics[k].name, metrics[k].type);
		for (unsigned int i = 0; rtvm_monitor_get_vm(m, i, &v) == 0; i++) {
			if (k >= 3) {
				if (!top_boost_get(b, v.pid, 0, &fig))
					continue;
				fprintf(f, "%s{vm=\"", metrics[k].name);
				prom_vm(f, v.name, v.pid);
				fprintf(f, "\"} %" PRIu64 "\n", k == 3 ?
					fig.requests_total : fig.refused_total);
				continue;
			}
			for (unsigned int j = 0; rtvm_monitor_get_thread(m, j, &t) == 0; j++) {
				if (t.vm_id != v.id || t.role != RTVM_VM_ROLE_VCPU ||
				    !top_boost_get(b, v.pid, t.tid, &fig))
					continue;
				fprintf(f, "%s{vm=\"", metrics[k].name);
				prom_vm(f, v.name, v.pid);
				fprintf(f, "\",vcpu=\"%d\",tid=\"%d\"} ", t.index,
					(int)t.tid);
				if (k == 0)
					fprintf(f, "%" PRIu64 "\n", fig.boosts_total);
				else if (k == 1)
					fprintf(f, "%.9f\n",
						(double)fig.boosted_ns_total / 1e9);
				else
					fprintf(f, "%d\n", fig.boosted);
			}
		}
	}
}

/* The metrics of the last sample, in the text exposition format. */
static char *prom_text(const struct rtvm_monitor *m, const struct top_boost *b)
{
	struct rtvm_monitor_vm v = { .size = sizeof(v) };
	struct rtvm_monitor_thread t = { .size = sizeof(t) };
	struct rtvm_monitor_cpu c = { .size = sizeof(c) };
	static const struct {
		const char *name, *type, *help;
	} th_metrics[] = {
		{ "rtvm_thread_cpu_seconds_total", "counter",
		  "CPU time the thread used" },
		{ "rtvm_thread_run_delay_seconds_total", "counter",
		  "time the thread waited on a run queue" },
		{ "rtvm_thread_involuntary_switches_total", "counter",
		  "times the thread was preempted" },
		{ "rtvm_thread_voluntary_switches_total", "counter",
		  "times the thread blocked" },
		{ "rtvm_thread_rt_throttled", "gauge",
		  "1 when RT throttling held the RT thread back in the last "
		  "interval" },
	};
	char *buf = NULL;
	size_t size = 0;
	FILE *f = open_memstream(&buf, &size);

	if (!f)
		return NULL;
	for (size_t k = 0; k < sizeof(th_metrics) / sizeof(th_metrics[0]); k++) {
		fprintf(f, "# HELP %s %s\n# TYPE %s %s\n", th_metrics[k].name,
			th_metrics[k].help, th_metrics[k].name,
			th_metrics[k].type);
		for (unsigned int i = 0; rtvm_monitor_get_thread(m, i, &t) == 0; i++) {
			const char *vmname = NULL;
			pid_t pid = 0;
			unsigned int need = k < 2 ? RTVM_MONITOR_HAVE_SCHEDSTAT :
					    k < 4 ? RTVM_MONITOR_HAVE_SWITCHES :
						    RTVM_MONITOR_HAVE_RT_LIMIT;

			if (!(t.have & need))
				continue;
			for (unsigned int j = 0; rtvm_monitor_get_vm(m, j, &v) == 0; j++)
				if (v.id == t.vm_id) {
					pid = v.pid;
					vmname = v.name;
				}
			fprintf(f, "%s{vm=\"", th_metrics[k].name);
			prom_vm(f, vmname, pid);
			fprintf(f, "\",role=\"%s\",tid=\"%d\"",
				rtvm_vm_role_to_string(t.role), (int)t.tid);
			if (t.index >= 0)
				fprintf(f, ",vcpu=\"%d\"", t.index);
			fprintf(f, ",thread=\"");
			prom_label(f, t.name);
			fputs("\"} ", f);
			switch (k) {
			case 0: fprintf(f, "%.9f\n", (double)t.total_cpu_ns / 1e9); break;
			case 1: fprintf(f, "%.9f\n", (double)t.total_run_delay_ns / 1e9); break;
			case 2: fprintf(f, "%" PRIu64 "\n", t.total_involuntary); break;
			case 3: fprintf(f, "%" PRIu64 "\n", t.total_voluntary); break;
			default: fprintf(f, "%d\n", t.rt_throttled); break;
			}
		}
	}
	if (b)
		prom_boost(f, m, b);
	fputs("# HELP rtvm_cpu_interrupts_per_second interrupts that landed on "
	      "an RT CPU, over the last interval\n"
	      "# TYPE rtvm_cpu_interrupts_per_second gauge\n", f);
	for (unsigned int i = 0; rtvm_monitor_get_cpu(m, i, &c) == 0; i++) {
		uint64_t iv = rtvm_monitor_get_interval_ns(m);
		const struct { const char *kind; uint64_t n; } k[] = {
			{ "device", c.device_irqs }, { "LOC", c.local_timer },
			{ "RES", c.resched }, { "CAL", c.function_calls },
			{ "TLB", c.tlb_shootdowns }, { "other", c.other_irqs },
		};

		if (!c.rt)
			continue;
		for (size_t j = 0; j < sizeof(k) / sizeof(k[0]); j++)
			fprintf(f, "rtvm_cpu_interrupts_per_second{cpu=\"%u\","
				"kind=\"%s\"} %.3f\n", c.cpu, k[j].kind,
				per_s(k[j].n, iv));
	}
	fputs("# HELP rtvm_cpu_intruders threads not of a monitored VM that ran "
	      "on an RT CPU in the last interval\n"
	      "# TYPE rtvm_cpu_intruders gauge\n", f);
	for (unsigned int i = 0; rtvm_monitor_get_cpu(m, i, &c) == 0; i++)
		if (c.rt)
			fprintf(f, "rtvm_cpu_intruders{cpu=\"%u\"} %u\n", c.cpu,
				c.intruders);
	fputs("# HELP rtvm_cpu_smis system management interrupts on an RT CPU "
	      "in the last interval (MSR 0x34)\n"
	      "# TYPE rtvm_cpu_smis gauge\n", f);
	for (unsigned int i = 0; rtvm_monitor_get_cpu(m, i, &c) == 0; i++)
		if (c.rt && c.smi_error == 0)
			fprintf(f, "rtvm_cpu_smis{cpu=\"%u\"} %" PRIu64 "\n",
				c.cpu, c.smis);
	fprintf(f, "# HELP rtvm_sampler_cpu_seconds CPU time of rtvm-top's last "
		"sample\n# TYPE rtvm_sampler_cpu_seconds gauge\n"
		"rtvm_sampler_cpu_seconds %.9f\n",
		(double)rtvm_monitor_get_cost_ns(m) / 1e9);
	if (fclose(f) != 0) {
		free(buf);
		return NULL;
	}
	return buf;
}

/* Write DIR/rtvm.prom whole: a temporary file renamed over it. */
static int write_textfile(const char *dir, const char *text)
{
	char tmp[PATH_MAX], path[PATH_MAX];
	FILE *f;

	snprintf(path, sizeof(path), "%s/rtvm.prom", dir);
	snprintf(tmp, sizeof(tmp), "%s/.rtvm.prom.%d", dir, (int)getpid());
	f = fopen(tmp, "w");
	if (!f) {
		tool_error("--textfile: %s: %s", tool_escape(tmp, 0), strerror(errno));
		return -errno;
	}
	if (fputs(text, f) < 0 || fclose(f) != 0 || rename(tmp, path) < 0) {
		int e = errno;

		unlink(tmp);
		tool_error("--textfile: %s: %s", tool_escape(path, 0), strerror(e));
		return -e;
	}
	return 0;
}

static int listen_on(const char *spec)
{
	struct sockaddr_in sa = { .sin_family = AF_INET };
	char host[64] = "127.0.0.1";
	const char *colon = strrchr(spec, ':');
	unsigned long port;
	socklen_t len;
	int fd, one = 1;

	if (colon) {
		if ((size_t)(colon - spec) >= sizeof(host)) {
			tool_error("--prometheus: \"%s\" is not ADDR:PORT",
				   tool_escape(spec, 0));
			return -EINVAL;
		}
		snprintf(host, sizeof(host), "%.*s", (int)(colon - spec), spec);
	}
	if (tool_parse_ulong("--prometheus port", colon ? colon + 1 : spec, 0,
			     65535, &port) < 0)
		return -EINVAL;
	if (inet_pton(AF_INET, host, &sa.sin_addr) != 1) {
		tool_error("--prometheus: \"%s\" is not an IPv4 address",
			   tool_escape(host, 0));
		return -EINVAL;
	}
	sa.sin_port = htons((uint16_t)port);
	fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return -errno;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 ||
	    listen(fd, 16) < 0) {
		int e = errno;

		tool_error("--prometheus %s:%lu: %s", host, port, strerror(e));
		close(fd);
		return -e;
	}
	/* Port 0: the kernel picks one; say which, as for any port. */
	len = sizeof(sa);
	if (getsockname(fd, (struct sockaddr *)&sa, &len) == 0)
		fprintf(stderr, "%s: serving http://%s:%u/metrics\n",
			program_name, host, (unsigned int)ntohs(sa.sin_port));
	return fd;
}

/* Answer one HTTP request: GET /metrics gets the text, anything else a
 * 404.  One short request per connection, read with a short timeout. */
/* Write all of @len bytes (a socket may take them in parts). */
static bool write_all(int fd, const char *buf, size_t len)
{
	while (len) {
		ssize_t n = write(fd, buf, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return false;
		buf += n;
		len -= (size_t)n;
	}
	return true;
}

static void serve_one(int lfd, const char *text)
{
	char req[2048], head[256];
	struct pollfd p;
	const char *body;
	size_t len = 0;
	ssize_t n;
	int fd;

	fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
	if (fd < 0)
		return;
	/* The request line, whole: a client may send it in parts.  A
	 * client that says nothing for 2 s is dropped. */
	p = (struct pollfd){ .fd = fd, .events = POLLIN };
	while (len < sizeof(req) - 1) {
		if (poll(&p, 1, 2000) != 1)
			break;
		n = read(fd, req + len, sizeof(req) - 1 - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		len += (size_t)n;
		req[len] = '\0';
		if (strstr(req, "\r\n"))
			break;
	}
	if (!len) {
		close(fd);
		return;
	}
	req[len] = '\0';
	if (!strncmp(req, "GET /metrics ", 13) || !strncmp(req, "GET /metrics?", 13)) {
		body = text ? text : "";
		snprintf(head, sizeof(head), "HTTP/1.1 200 OK\r\nContent-Type: "
			 "text/plain; version=0.0.4; charset=utf-8\r\n"
			 "Content-Length: %zu\r\nConnection: close\r\n\r\n",
			 strlen(body));
	} else {
		body = "not found: rtvm-top serves /metrics\n";
		snprintf(head, sizeof(head), "HTTP/1.1 404 Not Found\r\n"
			 "Content-Type: text/plain\r\nContent-Length: %zu\r\n"
			 "Connection: close\r\n\r\n", strlen(body));
	}
	if (write_all(fd, head, strlen(head)))
		write_all(fd, body, strlen(body));
	close(fd);
}

/* Wait @ms, answering scrapes meanwhile; false when interrupted. */
static bool wait_interval(int lfd, unsigned int ms, const char *text)
{
	struct timespec end, now;

	clock_gettime(CLOCK_MONOTONIC, &end);
	end.tv_sec += ms / 1000;
	end.tv_nsec += (long)(ms % 1000) * 1000000L;
	if (end.tv_nsec >= 1000000000L) {
		end.tv_sec++;
		end.tv_nsec -= 1000000000L;
	}
	while (!stop) {
		struct pollfd p = { .fd = lfd, .events = POLLIN };
		long left;

		clock_gettime(CLOCK_MONOTONIC, &now);
		left = (end.tv_sec - now.tv_sec) * 1000 +
		       (end.tv_nsec - now.tv_nsec) / 1000000;
		if (left <= 0)
			return true;
		if (poll(&p, lfd >= 0 ? 1 : 0, (int)left) == 1)
			serve_one(lfd, text);
	}
	return false;
}

/* One sample as the line --json prints and --record writes (valid
 * UTF-8, see tool_json_fix()); NULL for out of memory. */
static char *sample_line(const struct rtvm_monitor *m, const struct top_boost *b)
{
	cJSON *root = json_sample(m, b);
	char *text = root ? cJSON_PrintUnformatted(root) : NULL;
	char *fixed = text ? tool_json_fix(text) : NULL;

	free(text);
	cJSON_Delete(root);
	return fixed;
}

/* Ask rtvm-boostd for its counters; say so when it stops or starts
 * answering (once per change, not at every interval). */
static void ask_broker(struct top_boost *b, const char *control)
{
	static int last = 1; /* 1: not asked yet */
	const char *why = "";
	int r = top_boost_sample(b, &why);

	if (r < 0 && r != last)
		fprintf(stderr, "%s: --boost: %s: %s (%s); the boost figures "
			"are unknown until it answers\n", program_name,
			tool_escape(control, 0), strerror(-r), why);
	else if (r == 0 && last < 0)
		fprintf(stderr, "%s: --boost: %s answers again\n",
			program_name, tool_escape(control, 0));
	last = r;
}

int main(int argc, char **argv)
{
	struct opts o = {0};
	struct rtvm_ctx *ctx = NULL;
	struct rtvm_monitor *m = NULL;
	struct rtvm_cpumask *rt = NULL;
	struct top_boost *boost = NULL;
	char *control = NULL;
	unsigned int flags = RTVM_MONITOR_CPUS | RTVM_MONITOR_SMI |
			     RTVM_MONITOR_RT_LIMIT;
	char *prom = NULL, *line = NULL;
	FILE *rec = NULL;
	bool tty;
	int r, lfd = -1, ret = EXIT_FAILURE;

	if (parse_args(argc, argv, &o) < 0)
		return EXIT_USAGE;
	if (o.report)
		return top_report(o.report, o.json, o.plot) < 0 ? EXIT_FAILURE
								: EXIT_SUCCESS;
	tty = isatty(STDOUT_FILENO) && !o.json && !o.csv;
	if (tool_new_ctx(o.sysroot, o.verbose, &ctx) < 0)
		return EXIT_FAILURE;
	if (o.rt_cpus && tool_parse_cpus(ctx, "--rt-cpus", o.rt_cpus, &rt) < 0) {
		ret = EXIT_USAGE;
		goto out;
	}
	if (o.prometheus) {
		lfd = listen_on(o.prometheus);
		if (lfd < 0) {
			ret = lfd == -EINVAL ? EXIT_USAGE : EXIT_FAILURE;
			goto out;
		}
	}
	if (!o.no_intruders)
		flags |= RTVM_MONITOR_INTRUDERS;
	if (o.delays)
		flags |= RTVM_MONITOR_TASKSTATS;
	if (o.kvm)
		flags |= RTVM_MONITOR_KVM;
	r = rtvm_monitor_new(ctx, flags, &m);
	if (r < 0) {
		tool_error("cannot start the sampler: %s%s", strerror(-r),
			   r == -EPROTONOSUPPORT ? " (a kernel without "
			   "CONFIG_TASKSTATS: leave out --delays)" : "");
		goto out;
	}
	if (add_vms(ctx, m, &o, rt) < 0)
		goto out;
	if (o.boost) {
		control = o.control ? strdup(o.control) :
				      tool_state_file(o.sysroot, "boostd.sock");
		if (!control || !(boost = top_boost_new(control))) {
			tool_error("out of memory");
			goto out;
		}
		ask_broker(boost, control);
	}
	if (o.record && !(rec = fopen(o.record, "we"))) {
		tool_error("--record %s: %s", tool_escape(o.record, 0),
			   strerror(errno));
		goto out;
	}
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	signal(SIGPIPE, SIG_IGN);
	r = rtvm_monitor_sample(m);
	for (unsigned long n = 0; r == 0 && (!o.count || n < o.count); n++) {
		if (!wait_interval(lfd, o.interval_ms, prom))
			break;
		r = rtvm_monitor_sample(m);
		if (r < 0)
			break;
		if (boost)
			ask_broker(boost, control);
		if (n == 0 && o.delays && rtvm_monitor_get_delayacct(m) == 0)
			fprintf(stderr, "%s: delay accounting is off: the delays "
				"but the CPU's are 0 (sysctl "
				"kernel.task_delayacct=1 turns it on)\n", program_name);
		if (lfd >= 0 || o.textfile) {
			free(prom);
			prom = prom_text(m, boost);
			if (!prom) {
				r = -ENOMEM;
				break;
			}
			if (o.textfile && write_textfile(o.textfile, prom) < 0)
				goto out;
		}
		free(line);
		line = rec || o.json ? sample_line(m, boost) : NULL;
		if ((rec || o.json) && !line) {
			r = -ENOMEM;
			break;
		}
		/* Flushed at every interval: a recorder killed mid-run
		 * leaves whole lines. */
		if (rec && (fprintf(rec, "%s\n", line) < 0 || fflush(rec) != 0)) {
			tool_error("--record %s: %s", tool_escape(o.record, 0),
				   strerror(errno));
			goto out;
		}
		if ((lfd >= 0 || o.textfile) && !o.json && !o.csv)
			continue; /* an exporter: no table */
		if (o.json) {
			if (puts(line) == EOF)
				r = -EIO;
		} else if (o.csv) {
			print_csv(m, n == 0);
		} else {
			print_text(m, boost, tty);
		}
		if (fflush(stdout) != 0)
			r = -errno;
	}
	if (r < 0) {
		tool_error("sampling failed: %s", strerror(-r));
		goto out;
	}
	ret = EXIT_SUCCESS;
out:
	free(line);
	if (rec && fclose(rec) != 0 && ret == EXIT_SUCCESS) {
		tool_error("--record %s: %s", tool_escape(o.record, 0),
			   strerror(errno));
		ret = EXIT_FAILURE;
	}
	free(prom);
	if (lfd >= 0)
		close(lfd);
	top_boost_free(boost);
	free(control);
	rtvm_monitor_free(m);
	rtvm_cpumask_free(rt);
	rtvm_unref(ctx);
	return ret;
}
