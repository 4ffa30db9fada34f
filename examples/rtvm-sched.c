/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* rtvm-sched: show and set the scheduling of a VM's threads (vCPUs,
 * emulator, iothreads) and of the per-CPU kernel threads under them, with
 * change records that "restore" undoes. */
#include "config.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tool.h"

const char *program_name = "rtvm-sched";

#ifndef SCHED_DEADLINE
#define SCHED_DEADLINE 6
#endif

struct opts {
	const char *cmd;
	const char *file;
	const char *sysroot;
	const char *vm;
	const char *uri;
	const char *vcpus;
	const char *pin;
	const char *emulator_pin;
	const char *cpus;
	const char *profile;
	const char *save;
	pid_t pid;
	bool emulator, iothreads, one_to_one, provision, dry_run, json, verbose;
	bool has_policy, has_nice;
	struct rtvm_sched_attr attr;
};

enum {
	OPT_FIFO = 0x100, OPT_RR, OPT_OTHER, OPT_BATCH, OPT_IDLE, OPT_DEADLINE,
	OPT_NICE, OPT_PIN, OPT_ONE_TO_ONE, OPT_EMULATOR_PIN, OPT_PROVISION,
	OPT_SAVE, OPT_DRY_RUN, OPT_VM, OPT_EMULATOR, OPT_IOTHREADS, OPT_VCPUS,
	OPT_CPUS, OPT_PROFILE, OPT_URI,
};

static void usage(FILE *f)
{
	fprintf(f,
		"Usage: %s [--sysroot DIR] [-v] COMMAND [OPTION]...\n"
		"Show and set the scheduling of a VM's threads and of the kernel threads\n"
		"of its CPUs; every change is recorded so that \"restore\" undoes it.\n\n"
		"  show (--pid PID | --vm NAME) [--json]\n"
		"      the VM's threads: tid, role, vCPU, policy, priority, nice, affinity\n"
		"      (and with --vm the pins libvirt has)\n"
		"  set (--pid PID | --vm NAME) [--vcpus LIST] [--emulator] [--iothreads]\n"
		"      (--fifo N | --rr N | --other [--nice N] | --batch | --idle |\n"
		"       --deadline RUNTIME_US:DEADLINE_US:PERIOD_US)\n"
		"      [--pin LIST [--one-to-one]] [--emulator-pin LIST] [--provision-rt]\n"
		"      [--save FILE] [--dry-run] [--json]\n"
		"      without --vcpus, --emulator or --iothreads: all vCPUs\n"
		"  restore [FILE] [--dry-run] [--json]\n"
		"      undo the changes saved in FILE (default: the state file, where\n"
		"      set and kthreads record theirs unless --save names another)\n"
		"  kthreads --cpus LIST [--profile rt-host] [--save FILE] [--dry-run]\n"
		"           [--json]\n"
		"      ksoftirqd/ktimers FIFO 2, rcuc/rcub FIFO 4 on those CPUs\n\n"
		"  --pid PID               the VMM process (QEMU, Firecracker, cloud-hypervisor)\n"
		"  --vm NAME               a running libvirt domain, by name or UUID\n"
		"  --uri URI               its libvirt connection (default qemu:///system)\n"
		"  -s, --sysroot DIR       act on the simulated host in DIR (also RTVM_SYSROOT)\n"
		"  -v, --verbose           log what the library does\n"
		"  -h, --help, -V, --version\n\n"
		"Exit status: 0 done, 1 failed (nothing changed), 64 bad usage.\n",
		program_name);
}

static int set_policy(struct opts *o, int policy, const char *opt,
		      const char *prio)
{
	long v = 0;

	if (o->has_policy) {
		tool_error("%s: give only one policy", opt);
		return -EINVAL;
	}
	if (prio && tool_parse_long(opt, prio, 1, 99, &v) < 0)
		return -EINVAL;
	o->has_policy = true;
	o->attr.policy = policy;
	o->attr.priority = (int)v;
	return 0;
}

static int parse_deadline(struct opts *o, const char *s)
{
	unsigned long long rt, dl, per;
	char tail;

	if (set_policy(o, SCHED_DEADLINE, "--deadline", NULL) < 0)
		return -EINVAL;
	if (sscanf(s, "%llu:%llu:%llu%c", &rt, &dl, &per, &tail) != 3 ||
	    rt == 0 || rt > dl || dl > per || per > 4000000000ull) {
		tool_error("--deadline: \"%s\" is not RUNTIME_US:DEADLINE_US:"
			   "PERIOD_US with 0 < runtime <= deadline <= period", s);
		return -EINVAL;
	}
	o->attr.runtime_ns = rt * 1000;
	o->attr.deadline_ns = dl * 1000;
	o->attr.period_ns = per * 1000;
	return 0;
}

static int parse_args(int argc, char **argv, struct opts *o)
{
	static const struct option longopts[] = {
		{ "pid", required_argument, NULL, 'p' },
		{ "vm", required_argument, NULL, OPT_VM },
		{ "uri", required_argument, NULL, OPT_URI },
		{ "vcpus", required_argument, NULL, OPT_VCPUS },
		{ "emulator", no_argument, NULL, OPT_EMULATOR },
		{ "iothreads", no_argument, NULL, OPT_IOTHREADS },
		{ "fifo", required_argument, NULL, OPT_FIFO },
		{ "rr", required_argument, NULL, OPT_RR },
		{ "other", no_argument, NULL, OPT_OTHER },
		{ "nice", required_argument, NULL, OPT_NICE },
		{ "batch", no_argument, NULL, OPT_BATCH },
		{ "idle", no_argument, NULL, OPT_IDLE },
		{ "deadline", required_argument, NULL, OPT_DEADLINE },
		{ "pin", required_argument, NULL, OPT_PIN },
		{ "one-to-one", no_argument, NULL, OPT_ONE_TO_ONE },
		{ "emulator-pin", required_argument, NULL, OPT_EMULATOR_PIN },
		{ "provision-rt", no_argument, NULL, OPT_PROVISION },
		{ "cpus", required_argument, NULL, OPT_CPUS },
		{ "profile", required_argument, NULL, OPT_PROFILE },
		{ "save", required_argument, NULL, OPT_SAVE },
		{ "dry-run", no_argument, NULL, OPT_DRY_RUN },
		TOOL_COMMON_LONGOPTS,
		{ 0 },
	};
	long v;
	int c;

	o->attr.size = sizeof(o->attr);
	while ((c = getopt_long(argc, argv,
				"p:" TOOL_COMMON_SHORTOPTS,
				longopts, NULL)) != -1) {
		if (tool_common_option(c, &o->json, &o->sysroot,
				       &o->verbose, usage))
			continue;
		switch (c) {
		case 'p':
			if (tool_parse_long("--pid", optarg, 1, INT_MAX, &v) < 0)
				return -EINVAL;
			o->pid = (pid_t)v;
			break;
		case OPT_VM: o->vm = optarg; break;
		case OPT_URI: o->uri = optarg; break;
		case OPT_VCPUS: o->vcpus = optarg; break;
		case OPT_EMULATOR: o->emulator = true; break;
		case OPT_IOTHREADS: o->iothreads = true; break;
		case OPT_FIFO:
			if (set_policy(o, SCHED_FIFO, "--fifo", optarg) < 0)
				return -EINVAL;
			break;
		case OPT_RR:
			if (set_policy(o, SCHED_RR, "--rr", optarg) < 0)
				return -EINVAL;
			break;
		case OPT_OTHER:
			if (set_policy(o, SCHED_OTHER, "--other", NULL) < 0)
				return -EINVAL;
			break;
		case OPT_BATCH:
			if (set_policy(o, SCHED_BATCH, "--batch", NULL) < 0)
				return -EINVAL;
			break;
		case OPT_IDLE:
			if (set_policy(o, SCHED_IDLE, "--idle", NULL) < 0)
				return -EINVAL;
			break;
		case OPT_DEADLINE:
			if (parse_deadline(o, optarg) < 0)
				return -EINVAL;
			break;
		case OPT_NICE:
			if (tool_parse_long("--nice", optarg, -20, 19, &v) < 0)
				return -EINVAL;
			o->has_nice = true;
			o->attr.nice = (int)v;
			break;
		case OPT_PIN: o->pin = optarg; break;
		case OPT_ONE_TO_ONE: o->one_to_one = true; break;
		case OPT_EMULATOR_PIN: o->emulator_pin = optarg; break;
		case OPT_PROVISION: o->provision = true; break;
		case OPT_CPUS: o->cpus = optarg; break;
		case OPT_PROFILE: o->profile = optarg; break;
		case OPT_SAVE: o->save = optarg; break;
		case OPT_DRY_RUN: o->dry_run = true; break;
		default: return -EINVAL;
		}
	}
	if (optind >= argc) {
		tool_error("no command: show, set, restore or kthreads (see --help)");
		return -EINVAL;
	}
	o->cmd = argv[optind++];
	if (strcmp(o->cmd, "restore") == 0 && optind < argc)
		o->file = argv[optind++];
	if (optind < argc) {
		tool_error("unexpected argument \"%s\"", argv[optind]);
		return -EINVAL;
	}
	if (strcmp(o->cmd, "show") && strcmp(o->cmd, "set") &&
	    strcmp(o->cmd, "restore") && strcmp(o->cmd, "kthreads")) {
		tool_error("unknown command \"%s\": show, set, restore or "
			   "kthreads", o->cmd);
		return -EINVAL;
	}
	if (o->has_nice && (!o->has_policy || (o->attr.policy != SCHED_OTHER &&
					       o->attr.policy != SCHED_BATCH))) {
		tool_error("--nice goes with --other or --batch");
		return -EINVAL;
	}
	if (o->vm && o->pid) {
		tool_error("give --pid or --vm, not both");
		return -EINVAL;
	}
	if (o->uri && !o->vm) {
		tool_error("--uri goes with --vm");
		return -EINVAL;
	}
	if (o->vm && !*o->vm) {
		tool_error("--vm: empty domain name");
		return -EINVAL;
	}
	if (o->one_to_one && !o->pin) {
		tool_error("--one-to-one goes with --pin");
		return -EINVAL;
	}
	if (strcmp(o->cmd, "kthreads") == 0) {
		if (!o->cpus) {
			tool_error("kthreads: --cpus LIST is required");
			return -EINVAL;
		}
		if (o->profile && strcmp(o->profile, "rt-host")) {
			tool_error("--profile: unknown profile \"%s\" (known: "
				   "rt-host)", o->profile);
			return -EINVAL;
		}
	} else if (o->cpus || o->profile) {
		tool_error("--cpus and --profile go with kthreads");
		return -EINVAL;
	}
	/* The options of set belong to set alone (kthreads takes a save
	 * too): one given to show or restore is a mistake.  A dry run goes
	 * with every command that changes something. */
	if (strcmp(o->cmd, "set") &&
	    (o->has_policy || o->has_nice || o->pin || o->emulator_pin ||
	     o->vcpus || o->emulator || o->iothreads || o->provision ||
	     (o->save && strcmp(o->cmd, "kthreads")))) {
		tool_error("%s: a policy, --nice, --pin, --emulator-pin, --vcpus, "
			   "--emulator, --iothreads, --provision-rt%s go with set",
			   o->cmd,
			   strcmp(o->cmd, "kthreads") ? ", --save" : "");
		return -EINVAL;
	}
	if (o->dry_run && !strcmp(o->cmd, "show")) {
		tool_error("show: --dry-run goes with set, kthreads and restore");
		return -EINVAL;
	}
	if ((!strcmp(o->cmd, "restore") || !strcmp(o->cmd, "kthreads")) &&
	    (o->pid || o->vm)) {
		tool_error("%s: %s goes with show and set", o->cmd,
			   o->pid ? "--pid" : "--vm");
		return -EINVAL;
	}
	if (strcmp(o->cmd, "set") == 0 && !o->has_policy && !o->pin &&
	    !o->emulator_pin) {
		tool_error("set: give a policy (--fifo N, --rr N, --other, "
			   "--batch, --idle, --deadline), --pin or --emulator-pin");
		return -EINVAL;
	}
	return 0;
}

/* ---- show --------------------------------------------------------------- */

static void attr_str(const struct rtvm_sched_attr *a, char *buf, size_t size)
{
	if (a->policy == SCHED_DEADLINE)
		snprintf(buf, size, "DEADLINE %llu:%llu:%llu us",
			 a->runtime_ns / 1000, a->deadline_ns / 1000,
			 a->period_ns / 1000);
	else if (a->policy == SCHED_FIFO || a->policy == SCHED_RR)
		snprintf(buf, size, "%s %d", tool_policy_name(a->policy),
			 a->priority);
	else
		snprintf(buf, size, "%s nice %d", tool_policy_name(a->policy),
			 a->nice);
}

/* The VM of --pid or --vm; with --vm, o->pid becomes its QEMU's pid. */
static int open_vm(struct rtvm_ctx *ctx, struct opts *o, struct rtvm_vm **ret)
{
	int r = tool_open_vm(ctx, o->uri, o->vm, o->pid, ret);

	if (r == 0)
		o->pid = rtvm_vm_get_pid(*ret);
	return r;
}

/* The pin libvirt has for @vt, or NULL. */
static const struct rtvm_cpumask *libvirt_pin(const struct rtvm_vm *vm,
					       const struct rtvm_vm_thread *vt)
{
	const struct rtvm_cpumask *m = NULL;
	int role = rtvm_vm_thread_get_role(vt);
	unsigned long index = 0;

	if (!rtvm_vm_get_name(vm) || role == RTVM_VM_ROLE_OTHER)
		return NULL;
	if (role == RTVM_VM_ROLE_VCPU) {
		index = (unsigned long)rtvm_vm_thread_get_index(vt);
	} else if (role == RTVM_VM_ROLE_IOTHREAD) {
		/* libvirt names its iothreads "iothreadN", N the id. */
		const char *name = rtvm_vm_thread_get_name(vt);
		char *end;

		if (strncmp(name, "iothread", 8) != 0)
			return NULL;
		index = strtoul(name + 8, &end, 10);
		if (end == name + 8 || *end || index > UINT_MAX)
			return NULL;
	}
	if (rtvm_vm_get_libvirt_pin(vm, role, (unsigned int)index, &m) < 0)
		return NULL;
	return m;
}

static int cmd_show(struct rtvm_ctx *ctx, struct opts *o)
{
	const struct rtvm_vm_thread *vt;
	struct rtvm_host *host = NULL;
	struct rtvm_vm *vm = NULL;
	cJSON *root = NULL, *arr = NULL;
	int r;

	if (open_vm(ctx, o, &vm) < 0)
		return EXIT_FAILURE;
	r = rtvm_host_new(ctx, RTVM_HOST_CPUS | RTVM_HOST_THREAD_AFFINITY, &host);
	if (r < 0) {
		tool_error("cannot read the host's threads: %s", strerror(-r));
		rtvm_vm_unref(vm);
		return EXIT_FAILURE;
	}
	if (o->json) {
		root = cJSON_CreateObject();
		cJSON_AddNumberToObject(root, "pid", o->pid);
		if (o->vm)
			cJSON_AddStringToObject(root, "domain",
						rtvm_vm_get_name(vm));
		cJSON_AddStringToObject(root, "vmm", rtvm_vm_get_vmm(vm));
		cJSON_AddNumberToObject(root, "nr_vcpus", rtvm_vm_get_nr_vcpus(vm));
		arr = cJSON_AddArrayToObject(root, "threads");
	} else {
		if (o->vm)
			printf("domain %s: QEMU pid %d\n",
			       tool_escape(rtvm_vm_get_name(vm), 0), (int)o->pid);
		printf("%-8s %-9s %-5s %-15s %-14s %-5s %-12s%s\n", "TID",
		       "ROLE", "VCPU", "NAME", "POLICY", "NICE", "AFFINITY",
		       o->vm ? " LIBVIRT-PIN" : "");
	}
	rtvm_vm_foreach_thread(vt, vm) {
		struct rtvm_sched_attr a = { .size = sizeof(a) };
		const struct rtvm_thread *t = NULL;
		pid_t tid = rtvm_vm_thread_get_tid(vt);
		int idx = rtvm_vm_thread_get_index(vt);
		const struct rtvm_cpumask *lvpin = libvirt_pin(vm, vt);
		const char *aff, *role;
		char pol[128];

		if (rtvm_thread_get_sched(ctx, o->pid, tid, &a) < 0)
			continue; /* exited meanwhile */
		rtvm_host_find_thread(host, tid, &t);
		aff = tool_mask_str(t ? rtvm_thread_get_affinity(t) : NULL, 0);
		role = rtvm_vm_role_to_string(rtvm_vm_thread_get_role(vt));
		attr_str(&a, pol, sizeof(pol));
		if (o->json) {
			cJSON *j = cJSON_CreateObject();

			cJSON_AddNumberToObject(j, "tid", tid);
			cJSON_AddStringToObject(j, "role", role);
			if (idx >= 0)
				cJSON_AddNumberToObject(j, "vcpu", idx);
			else
				cJSON_AddNullToObject(j, "vcpu");
			cJSON_AddStringToObject(j, "name", rtvm_vm_thread_get_name(vt));
			cJSON_AddStringToObject(j, "policy", tool_policy_name(a.policy));
			cJSON_AddNumberToObject(j, "priority", a.priority);
			cJSON_AddNumberToObject(j, "nice", a.nice);
			if (a.policy == SCHED_DEADLINE) {
				cJSON_AddNumberToObject(j, "runtime_us", (double)(a.runtime_ns / 1000));
				cJSON_AddNumberToObject(j, "deadline_us", (double)(a.deadline_ns / 1000));
				cJSON_AddNumberToObject(j, "period_us", (double)(a.period_ns / 1000));
			}
			cJSON_AddStringToObject(j, "affinity", aff);
			if (lvpin)
				cJSON_AddStringToObject(j, "libvirt_pin",
							tool_mask_str(lvpin, 1));
			else if (o->vm)
				cJSON_AddNullToObject(j, "libvirt_pin");
			cJSON_AddItemToArray(arr, j);
		} else {
			char vc[16] = "-";

			if (idx >= 0)
				snprintf(vc, sizeof(vc), "%d", idx);
			printf("%-8d %-9s %-5s %-15s %-14s %-5d %-12s", (int)tid,
			       role, vc, tool_escape(rtvm_vm_thread_get_name(vt), 0),
			       pol, a.nice, aff);
			if (o->vm)
				printf(" %s", lvpin ? tool_mask_str(lvpin, 1) : "-");
			putchar('\n');
		}
	}
	r = root ? tool_print_json(root, true) : 0;
	cJSON_Delete(root);
	rtvm_host_unref(host);
	rtvm_vm_unref(vm);
	return r < 0 ? EXIT_FAILURE : EXIT_SUCCESS;
}

/* ---- set ---------------------------------------------------------------- */

/* Record the changes in the state file (or --save's), after the records
 * already there, so that one restore brings back what was there before
 * the first; then print them (or their JSON).  A change that cannot be
 * recorded is undone: nothing stays changed that restore would not know. */
static int report_changes(struct rtvm_ctx *ctx, struct rtvm_changeset *cs,
			  const struct opts *o)
{
	struct rtvm_changeset *prev = NULL;
	const struct rtvm_change *c;
	char *json = NULL, *path;
	int r = 0;

	path = o->save ? strdup(o->save) : tool_state_file(o->sysroot,
							    "sched.json");
	if (!path) {
		tool_error("out of memory");
		r = -ENOMEM;
	} else if (rtvm_changeset_get_count(cs)) {
		r = tool_load_changes(ctx, path, &prev);
		if (r == -ENOENT)
			r = 0;
		if (r == 0)
			r = tool_save_merged(ctx, prev, cs, path);
		if (r < 0) {
			tool_error("cannot record the changes in %s: %s; they "
				   "are undone", path, strerror(-r));
			if (rtvm_changeset_restore(cs, 0) < 0)
				tool_error("could not undo every change");
		}
	}
	rtvm_changeset_unref(prev);
	if (r == 0 && o->json) {
		if (rtvm_changeset_to_json(cs, &json) < 0) {
			tool_error("cannot serialize the changes");
			r = -ENOMEM;
		} else {
			r = tool_print_json_text(json);
		}
		free(json);
	} else if (r == 0) {
		rtvm_changeset_foreach(c, cs)
			printf("%s %s: %s -> %s\n",
			       rtvm_change_kind_to_string(rtvm_change_get_kind(c)),
			       tool_escape(rtvm_change_get_target(c), 0),
			       tool_escape(rtvm_change_get_old_value(c), 1),
			       tool_escape(rtvm_change_get_new_value(c), 2));
		if (rtvm_changeset_get_count(cs))
			printf("recorded in %s: \"%s restore%s%s\" undoes it\n",
			       path, program_name, o->save ? " " : "",
			       o->save ? o->save : "");
	}
	free(path);
	return r;
}

/* Whether @vt is one of the threads "set" selects. */
static bool selected(const struct rtvm_vm_thread *vt, const struct opts *o,
		     const struct rtvm_cpumask *vcpus)
{
	switch (rtvm_vm_thread_get_role(vt)) {
	case RTVM_VM_ROLE_VCPU:
		if (!o->vcpus && (o->emulator || o->iothreads))
			return false;
		return !vcpus || rtvm_cpumask_test(vcpus,
				(unsigned int)rtvm_vm_thread_get_index(vt));
	case RTVM_VM_ROLE_EMULATOR: return o->emulator;
	case RTVM_VM_ROLE_IOTHREAD: return o->iothreads;
	default: return false;
	}
}

static int dry_run(struct rtvm_ctx *ctx, struct rtvm_vm *vm,
		   const struct opts *o, const struct rtvm_cpumask *vcpus,
		   const struct rtvm_cpumask *pin,
		   const struct rtvm_cpumask *emu_pin)
{
	const struct rtvm_vm_thread *vt;
	struct rtvm_host *host = NULL;
	int k = 0, r;

	r = rtvm_host_new(ctx, RTVM_HOST_CPUS | RTVM_HOST_THREAD_AFFINITY, &host);
	if (r < 0) {
		tool_error("cannot read the host's threads: %s", strerror(-r));
		return EXIT_FAILURE;
	}
	printf("dry run: nothing is changed\n");
	rtvm_vm_foreach_thread(vt, vm) {
		struct rtvm_sched_attr a = { .size = sizeof(a) };
		const struct rtvm_thread *t = NULL;
		pid_t tid = rtvm_vm_thread_get_tid(vt);
		int role = rtvm_vm_thread_get_role(vt);
		bool sel = selected(vt, o, vcpus);
		char now[128], new[128], tpin[32] = "";
		const char *aff, *sep = "";

		if (!sel && !(emu_pin && role == RTVM_VM_ROLE_EMULATOR))
			continue;
		if (rtvm_thread_get_sched(ctx, o->pid, tid, &a) < 0)
			continue;
		rtvm_host_find_thread(host, tid, &t);
		aff = tool_mask_str(t ? rtvm_thread_get_affinity(t) : NULL, 0);
		attr_str(&a, now, sizeof(now));
		printf("%d %s %s:", (int)tid, rtvm_vm_role_to_string(role),
		       tool_escape(rtvm_vm_thread_get_name(vt), 0));
		if (sel && o->has_policy) {
			attr_str(&o->attr, new, sizeof(new));
			printf(" %s -> %s", now, new);
			sep = ",";
		}
		if (sel && pin && role == RTVM_VM_ROLE_VCPU) {
			if (o->one_to_one) {
				int cpu = -1;

				for (int i = 0; i <= k; i++)
					cpu = rtvm_cpumask_next(pin, cpu);
				snprintf(tpin, sizeof(tpin), "%d", cpu);
				k++;
			}
			printf("%s affinity %s -> %s", sep, aff,
			       *tpin ? tpin : tool_mask_str(pin, 1));
		} else if (sel && pin) {
			printf("%s affinity %s -> %s", sep, aff,
			       tool_mask_str(pin, 1));
		}
		if (emu_pin && role == RTVM_VM_ROLE_EMULATOR)
			printf("%s affinity %s -> %s", sep, aff,
			       tool_mask_str(emu_pin, 1));
		putchar('\n');
	}
	rtvm_host_unref(host);
	return EXIT_SUCCESS;
}

static const char *role_list[] = { "vCPUs", "emulator", "iothreads" };

static int apply_set(struct rtvm_ctx *ctx, struct rtvm_vm *vm,
		     const struct opts *o, const struct rtvm_cpumask *vcpus,
		     const struct rtvm_cpumask *pin,
		     const struct rtvm_cpumask *emu_pin, struct rtvm_changeset *cs)
{
	static const int roles[] = { RTVM_VM_ROLE_VCPU, RTVM_VM_ROLE_EMULATOR,
				     RTVM_VM_ROLE_IOTHREAD };
	bool want[3] = { o->vcpus || (!o->emulator && !o->iothreads),
			 o->emulator, o->iothreads };
	unsigned int flags = o->provision ? RTVM_SCHED_PROVISION_RT : 0;
	int r;

	for (unsigned int i = 0; i < 3 && o->has_policy; i++) {
		if (!want[i])
			continue;
		r = rtvm_vm_set_sched(vm, roles[i], i == 0 ? vcpus : NULL,
				      &o->attr, flags, cs, NULL);
		if (r < 0) {
			tool_error("cannot set the policy of the %s: %s%s",
				   role_list[i], strerror(-r),
				   r == -EPERM ? " (need CAP_SYS_NICE; with "
				   "CONFIG_RT_GROUP_SCHED try --provision-rt)" : "");
			return r;
		}
	}
	if (pin && (!vcpus || o->one_to_one)) {
		for (unsigned int i = 0; i < 3; i++) {
			if (!want[i] || (i > 0 && o->one_to_one))
				continue;
			r = rtvm_vm_pin(vm, roles[i], pin, i == 0 && o->one_to_one ?
					RTVM_VM_PIN_ONE_TO_ONE : 0, cs, NULL);
			if (r < 0) {
				tool_error("cannot pin the %s to %s: %s",
					   role_list[i], o->pin, strerror(-r));
				return r;
			}
		}
	} else if (pin) {
		/* Some vCPUs only: thread by thread; the caller undoes all on
		 * error. */
		const struct rtvm_vm_thread *vt;

		rtvm_vm_foreach_thread(vt, vm) {
			if (!selected(vt, o, vcpus))
				continue;
			r = rtvm_thread_set_affinity(ctx, o->pid,
						     rtvm_vm_thread_get_tid(vt),
						     pin, cs);
			if (r < 0 && r != -ESRCH) {
				tool_error("cannot pin thread %d to %s: %s",
					   (int)rtvm_vm_thread_get_tid(vt),
					   o->pin, strerror(-r));
				return r;
			}
		}
	}
	if (emu_pin) {
		r = rtvm_vm_pin(vm, RTVM_VM_ROLE_EMULATOR, emu_pin, 0, cs, NULL);
		if (r < 0) {
			tool_error("cannot pin the emulator to %s: %s",
				   o->emulator_pin, strerror(-r));
			return r;
		}
	}
	return 0;
}

static int cmd_set(struct rtvm_ctx *ctx, struct opts *o)
{
	struct rtvm_cpumask *vcpus = NULL, *pin = NULL, *emu_pin = NULL;
	struct rtvm_changeset *cs = NULL;
	struct rtvm_vm *vm = NULL;
	int ret = EXIT_USAGE, r;

	if (o->vcpus) {
		unsigned int nr;

		if (rtvm_cpumask_new_nr(RTVM_CPUMASK_MAX_CPUS, &vcpus) < 0)
			goto out;
		if (rtvm_cpumask_parse_list(vcpus, o->vcpus, 0) < 0) {
			tool_error("--vcpus: \"%s\" is not a list of vCPU indexes "
				   "(like 0-3,6)", o->vcpus);
			goto out;
		}
		ret = EXIT_FAILURE;
		if (open_vm(ctx, o, &vm) < 0)
			goto out;
		nr = rtvm_vm_get_nr_vcpus(vm);
		if (rtvm_cpumask_next(vcpus, (int)nr - 1) >= 0) {
			tool_error("--vcpus: the VM has vCPUs 0-%u only, not %d",
				   nr - 1, rtvm_cpumask_next(vcpus, (int)nr - 1));
			ret = EXIT_USAGE;
			goto out;
		}
	}
	ret = EXIT_USAGE;
	if (o->pin && tool_parse_cpus(ctx, "--pin", o->pin, &pin) < 0)
		goto out;
	if (o->emulator_pin &&
	    tool_parse_cpus(ctx, "--emulator-pin", o->emulator_pin, &emu_pin) < 0)
		goto out;
	ret = EXIT_FAILURE;
	if (!vm && open_vm(ctx, o, &vm) < 0)
		goto out;
	if (o->dry_run) {
		ret = dry_run(ctx, vm, o, vcpus, pin, emu_pin);
		goto out;
	}
	if ((r = rtvm_changeset_new(ctx, &cs)) < 0) {
		tool_error("%s", strerror(-r));
		goto out;
	}
	if (apply_set(ctx, vm, o, vcpus, pin, emu_pin, cs) < 0) {
		if (rtvm_changeset_restore(cs, 0) < 0)
			tool_error("could not undo every change made before the "
				   "error");
		goto out;
	}
	ret = report_changes(ctx, cs, o) < 0 ? EXIT_FAILURE : EXIT_SUCCESS;
out:
	rtvm_changeset_unref(cs);
	rtvm_vm_unref(vm);
	rtvm_cpumask_free(vcpus);
	rtvm_cpumask_free(pin);
	rtvm_cpumask_free(emu_pin);
	return ret;
}

/* ---- restore, kthreads -------------------------------------------------- */

static int cmd_restore(struct rtvm_ctx *ctx, const struct opts *o)
{
	char *path = o->file ? strdup(o->file) :
			       tool_state_file(o->sysroot, "sched.json");
	int ret;

	if (!path) {
		tool_error("out of memory");
		return EXIT_FAILURE;
	}
	ret = tool_restore_state(ctx, path, " (nothing was set, or it was "
					    "restored already)", o->dry_run, o->json);
	free(path);
	return ret;
}

/* The rt-host profile: tuned's realtime-virtual-host. */
static int profile_prio(const char *comm, int *ret_cpu)
{
	static const struct { const char *prefix; int prio; } p[] = {
		{ "ksoftirqd/", 2 }, { "ktimers/", 2 },
		{ "rcuc/", 4 }, { "rcub/", 4 },
	};

	for (unsigned int i = 0; i < sizeof(p) / sizeof(p[0]); i++) {
		size_t n = strlen(p[i].prefix);
		char *end;
		long cpu;

		if (strncmp(comm, p[i].prefix, n) || !comm[n])
			continue;
		cpu = strtol(comm + n, &end, 10);
		if (*end || cpu < 0)
			continue;
		*ret_cpu = (int)cpu;
		return p[i].prio;
	}
	return -1;
}

static int cmd_kthreads(struct rtvm_ctx *ctx, const struct opts *o)
{
	struct rtvm_cpumask *cpus = NULL;
	struct rtvm_changeset *cs = NULL;
	int ret = EXIT_FAILURE, r;

	if (tool_parse_cpus(ctx, "--cpus", o->cpus, &cpus) < 0)
		return EXIT_USAGE;
	if (o->dry_run) {
		const struct rtvm_thread *t;
		struct rtvm_host *host = NULL;

		r = rtvm_host_new(ctx, RTVM_HOST_THREADS, &host);
		if (r < 0) {
			tool_error("cannot read the host's threads: %s", strerror(-r));
			goto out;
		}
		printf("dry run: nothing is changed\n");
		rtvm_host_foreach_thread(t, host) {
			int cpu, prio;

			if (!rtvm_thread_is_kthread(t) ||
			    (prio = profile_prio(rtvm_thread_get_comm(t), &cpu)) < 0 ||
			    !rtvm_cpumask_test(cpus, (unsigned int)cpu))
				continue;
			printf("%d %s: %s %d -> FIFO %d\n", (int)rtvm_thread_get_tid(t),
			       tool_escape(rtvm_thread_get_comm(t), 0),
			       tool_policy_name(rtvm_thread_get_policy(t)),
			       rtvm_thread_get_rt_priority(t), prio);
		}
		rtvm_host_unref(host);
		ret = EXIT_SUCCESS;
		goto out;
	}
	if ((r = rtvm_changeset_new(ctx, &cs)) < 0) {
		tool_error("%s", strerror(-r));
		goto out;
	}
	r = rtvm_kthreads_apply(ctx, cpus, o->profile, cs);
	if (r < 0) {
		tool_error("cannot set the kernel threads of CPUs %s: %s%s",
			   o->cpus, strerror(-r),
			   r == -EPERM ? " (run as root)" : "");
		goto out;
	}
	ret = report_changes(ctx, cs, o) < 0 ? EXIT_FAILURE : EXIT_SUCCESS;
out:
	rtvm_changeset_unref(cs);
	rtvm_cpumask_free(cpus);
	return ret;
}

int main(int argc, char **argv)
{
	struct opts o = { 0 };
	struct rtvm_ctx *ctx = NULL;
	int ret, r;

	if (parse_args(argc, argv, &o) < 0)
		return EXIT_USAGE;
	if ((strcmp(o.cmd, "show") == 0 || strcmp(o.cmd, "set") == 0) &&
	    !o.pid && !o.vm) {
		tool_error("%s: --pid PID or --vm NAME is required", o.cmd);
		return EXIT_USAGE;
	}
	r = tool_new_ctx(o.sysroot, o.verbose, &ctx);
	if (r < 0)
		return r == -ENOMEM ? EXIT_FAILURE : EXIT_USAGE;
	if (strcmp(o.cmd, "show") == 0)
		ret = cmd_show(ctx, &o);
	else if (strcmp(o.cmd, "set") == 0)
		ret = cmd_set(ctx, &o);
	else if (strcmp(o.cmd, "restore") == 0)
		ret = cmd_restore(ctx, &o);
	else
		ret = cmd_kthreads(ctx, &o);
	rtvm_unref(ctx);
	return ret;
}
