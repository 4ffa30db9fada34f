/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* rtvm-tune: plan, apply and revert a whole real-time VM setup from a
 * profile, with a crash-safe journal; show what is applied and drift. */
#include "config.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "demo-state.h"
#include "tool.h"

const char *program_name = "rtvm-tune";

struct opts {
	const char *cmd;
	const char *sysroot;
	const char *profile;
	const char *builtin;
	const char *vm;
	const char *uri;
	const char *state_dir;
	long pid;
	unsigned long watch_ms; /* reconcile --watch: 0 = once */
	bool dry_run, json, verbose, demo;
};

enum { OPT_PROFILE = 0x100, OPT_BUILTIN, OPT_VM, OPT_PID, OPT_URI,
       OPT_STATE_DIR, OPT_DRY_RUN, OPT_DEMO, OPT_WATCH };

static void usage(FILE *f)
{
	fprintf(f,
		"Usage: %s [--sysroot DIR] [-v] COMMAND [OPTION]...\n"
		"Apply a real-time profile to a VM all or nothing, and put the host back\n"
		"exactly, also after a crash (a journal in the state directory).\n\n"
		"  plan   --profile FILE|--builtin NAME [--vm NAME|--pid PID] [--json]\n"
		"      the exact changes an apply would make now; changes nothing\n"
		"  apply  --profile FILE|--builtin NAME [--vm NAME|--pid PID]\n"
		"         [--dry-run] [--json]\n"
		"      make them (--dry-run: the plan only); the profile applied to the VM\n"
		"      already changes nothing, another one is refused: revert it first\n"
		"  revert --vm NAME|--pid PID|--profile FILE [--dry-run] [--json]\n"
		"  revert --demo           undo what a crashed rtvm-demo left (its\n"
		"                          state file demo.json in the state directory)\n"
		"      put back everything the VM's journal records\n"
		"  status [--vm NAME|--pid PID] [--json]\n"
		"      what is applied for which VM, and drift\n"
		"  reconcile [--vm NAME|--pid PID] [--dry-run] [--json] [--watch MS]\n"
		"      put settings that drifted back to what the profile applied\n"
		"      (every VM without --vm/--pid); safe to run from a timer;\n"
		"      --watch: again every MS ms until SIGINT/SIGTERM, saying only\n"
		"      what it put back (--json: one line per such round)\n"
		"  recover [--dry-run] [--json]\n"
		"      after a crash or at boot: revert every apply that did not\n"
		"      finish, and what a killed rtvm-demo left; finished ones stay\n"
		"  profiles [--json]       the built-in profiles, one line each\n"
		"  show --builtin NAME|--profile FILE\n"
		"      the profile's document (valid JSON, to start one's own from)\n\n"
		"  --profile FILE          a profile (man rtvm-profile)\n"
		"  --builtin NAME          a built-in profile (see profiles)\n"
		"  --vm NAME               a libvirt domain (name or UUID)\n"
		"  --uri URI               its libvirt URI (default qemu:///system)\n"
		"  --pid PID               a VMM process without libvirt\n"
		"  --state-dir DIR         journals (default $RTVM_STATE_DIR or /run/rtvm)\n"
		"  -j, --json              machine-readable output\n"
		"  -s, --sysroot DIR       act on the simulated host in DIR (also RTVM_SYSROOT)\n"
		"  -v, --verbose           log what the library does\n"
		"  -h, --help, -V, --version\n\n"
		"Exit status: 0 done (also: the profile was applied already), 1 failed\n"
		"(an apply changed nothing), 2 settings drifted and stay so (apply: see\n"
		"status; reconcile: those it could not put back), 64 bad usage.\n",
		program_name);
}

static int parse_args(int argc, char **argv, struct opts *o)
{
	static const struct option longopts[] = {
		{ "profile", required_argument, NULL, OPT_PROFILE },
		{ "builtin", required_argument, NULL, OPT_BUILTIN },
		{ "vm", required_argument, NULL, OPT_VM },
		{ "pid", required_argument, NULL, OPT_PID },
		{ "uri", required_argument, NULL, OPT_URI },
		{ "state-dir", required_argument, NULL, OPT_STATE_DIR },
		{ "dry-run", no_argument, NULL, OPT_DRY_RUN },
		{ "demo", no_argument, NULL, OPT_DEMO },
		{ "watch", required_argument, NULL, OPT_WATCH },
		TOOL_COMMON_LONGOPTS,
		{ 0 },
	};
	int c;

	while ((c = getopt_long(argc, argv,
				TOOL_COMMON_SHORTOPTS,
				longopts, NULL)) != -1) {
		if (tool_common_option(c, &o->json, &o->sysroot,
				       &o->verbose, usage))
			continue;
		switch (c) {
		case OPT_PROFILE: o->profile = optarg; break;
		case OPT_BUILTIN: o->builtin = optarg; break;
		case OPT_VM: o->vm = optarg; break;
		case OPT_URI: o->uri = optarg; break;
		case OPT_STATE_DIR: o->state_dir = optarg; break;
		case OPT_DRY_RUN: o->dry_run = true; break;
		case OPT_DEMO: o->demo = true; break;
		case OPT_WATCH:
			if (tool_parse_ulong("--watch", optarg, 10, 86400000,
					     &o->watch_ms) < 0)
				return -EINVAL;
			break;
		case OPT_PID:
			if (tool_parse_long("--pid", optarg, 1, INT_MAX,
					    &o->pid) < 0)
				return -EINVAL;
			break;
		default:
			usage(stderr);
			return -EINVAL;
		}
	}
	if (optind >= argc) {
		tool_error("no command: plan, apply, revert, status, reconcile, "
			   "recover, profiles or show (see --help)");
		return -EINVAL;
	}
	o->cmd = argv[optind++];
	if (optind < argc) {
		tool_error("unexpected argument \"%s\"", argv[optind]);
		return -EINVAL;
	}
	if (strcmp(o->cmd, "plan") && strcmp(o->cmd, "apply") &&
	    strcmp(o->cmd, "revert") && strcmp(o->cmd, "status") &&
	    strcmp(o->cmd, "recover") && strcmp(o->cmd, "reconcile") &&
	    strcmp(o->cmd, "profiles") && strcmp(o->cmd, "show")) {
		tool_error("unknown command \"%s\": plan, apply, revert, status, "
			   "reconcile, recover, profiles or show", o->cmd);
		return -EINVAL;
	}
	if ((!strcmp(o->cmd, "profiles") || !strcmp(o->cmd, "show")) &&
	    (o->vm || o->pid || o->uri || o->dry_run || o->demo ||
	     o->state_dir || (!strcmp(o->cmd, "profiles") &&
			      (o->profile || o->builtin)))) {
		tool_error("%s takes %s--json only", o->cmd,
			   strcmp(o->cmd, "show") ? "" :
			   "--builtin NAME or --profile FILE, and ");
		return -EINVAL;
	}
	if (!strcmp(o->cmd, "show") && !o->profile && !o->builtin) {
		tool_error("show: --builtin NAME or --profile FILE is required");
		return -EINVAL;
	}
	if (o->profile && o->builtin) {
		tool_error("give --profile or --builtin, not both");
		return -EINVAL;
	}
	if (o->vm && o->pid) {
		tool_error("give --vm or --pid, not both");
		return -EINVAL;
	}
	if ((!strcmp(o->cmd, "plan") || !strcmp(o->cmd, "apply")) &&
	    !o->profile && !o->builtin) {
		tool_error("%s: --profile FILE or --builtin NAME is required",
			   o->cmd);
		return -EINVAL;
	}
	/* An option of another command is a mistake, not a no-op. */
	if (!strcmp(o->cmd, "status") && (o->profile || o->builtin || o->dry_run)) {
		tool_error("status takes --vm, --pid and --json; not %s",
			   o->profile ? "--profile" : o->builtin ? "--builtin" :
								    "--dry-run");
		return -EINVAL;
	}
	if (o->watch_ms && (strcmp(o->cmd, "reconcile") || o->dry_run)) {
		tool_error("--watch is for reconcile, without --dry-run");
		return -EINVAL;
	}
	if (!strcmp(o->cmd, "reconcile") && (o->profile || o->builtin)) {
		tool_error("reconcile takes --vm, --pid, --dry-run and --json; "
			   "not %s", o->profile ? "--profile" : "--builtin");
		return -EINVAL;
	}
	if (!strcmp(o->cmd, "revert") && o->builtin) {
		tool_error("revert takes --vm, --pid, --profile, --demo, "
			   "--dry-run and --json; not --builtin");
		return -EINVAL;
	}
	if (!strcmp(o->cmd, "recover") &&
	    (o->profile || o->builtin || o->vm || o->pid)) {
		tool_error("recover takes --dry-run, --json and --state-dir; not %s",
			   o->profile ? "--profile" : o->builtin ? "--builtin" :
			   o->vm ? "--vm" : "--pid");
		return -EINVAL;
	}
	if (!strcmp(o->cmd, "plan") && o->dry_run) {
		tool_error("plan changes nothing already: --dry-run is for apply "
			   "and revert");
		return -EINVAL;
	}
	if (o->demo && (strcmp(o->cmd, "revert") || o->vm || o->pid ||
			o->profile || o->builtin || o->dry_run)) {
		tool_error("--demo goes with revert alone");
		return -1;
	}
	if (!strcmp(o->cmd, "revert") && !o->vm && !o->pid && !o->profile &&
	    !o->demo) {
		tool_error("revert: --vm NAME, --pid PID, --profile FILE or --demo "
			   "is required");
		return -EINVAL;
	}
	if (o->state_dir && o->state_dir[0] != '/') {
		tool_error("--state-dir: \"%s\" is not an absolute path",
			   o->state_dir);
		return -EINVAL;
	}
	return 0;
}

/* 0, 1 for a runtime failure, EXIT_USAGE for a bad profile file. */
static int load_profile(struct rtvm_ctx *ctx, const struct opts *o,
			struct rtvm_profile **ret)
{
	char *text;
	int r;

	if (o->builtin) {
		r = rtvm_profile_new_builtin(ctx, o->builtin, ret);
		if (r < 0) {
			char names[256] = "";
			const char *n;

			for (unsigned int i = 0;
			     (n = rtvm_profile_get_builtin(i, NULL)); i++)
				snprintf(names + strlen(names),
					 sizeof(names) - strlen(names), "%s%s",
					 i ? ", " : "", n);
			tool_error("--builtin: \"%s\" is not a built-in profile "
				   "(%s)", tool_escape(o->builtin, 0), names);
			return EXIT_USAGE;
		}
		return 0;
	}
	text = tool_read_file(o->profile);
	if (!text)
		return 1;
	r = rtvm_profile_new_from_json(ctx, text, ret);
	free(text);
	if (r < 0) {
		tool_error("%s: not a valid profile (the error is above)",
			   o->profile);
		return 1;
	}
	return 0;
}

/* The VM's journal id without looking the VM up. */
static int vm_id(const struct opts *o, const struct rtvm_profile *p,
		 char *buf, size_t size)
{
	const char *dom = NULL;
	pid_t pid = 0;

	if (o->vm) {
		snprintf(buf, size, "%s", o->vm);
		return 0;
	}
	if (o->pid) {
		snprintf(buf, size, "pid-%ld", o->pid);
		return 0;
	}
	if (p && rtvm_profile_get_vm(p, NULL, &dom, &pid) == 0) {
		if (dom)
			snprintf(buf, size, "%s", dom);
		else
			snprintf(buf, size, "pid-%d", pid);
		return 0;
	}
	return -ENOENT;
}

static int find_vm(struct rtvm_ctx *ctx, const struct opts *o,
		   const struct rtvm_profile *p, struct rtvm_vm **ret)
{
	const char *uri = o->uri, *dom = NULL;
	pid_t pid = (pid_t)o->pid;

	if (!o->vm && !o->pid &&
	    rtvm_profile_get_vm(p, uri ? NULL : &uri, &dom, &pid) < 0) {
		tool_error("no VM: give --vm NAME or --pid PID, or a profile with \"vm\"");
		return EXIT_USAGE;
	}
	if (o->vm)
		dom = o->vm;
	return tool_open_vm(ctx, uri, dom, pid, ret) < 0 ? 1 : 0;
}

/* Who serves a profile's "boost" policy: not rtvm-tune. */
#define BOOST_NOTE                                                             \
	"rtvm-boostd serves it (a VM's \"profile\" key, rtvm-boostd(8)); "     \
	"apply starts no broker"

/* The profile's boost policy as "boost" of a plan's JSON; NULL when it
 * has none (or out of memory). */
static cJSON *boost_json(const struct rtvm_profile *p)
{
	struct rtvm_boost_policy pol;
	cJSON *o, *j;

	if (!p || rtvm_profile_get_boost_policy(p, &pol) < 0)
		return NULL;
	if (!(j = tool_boost_policy_json(&pol)))
		return NULL;
	o = cJSON_CreateObject();
	if (!o || !cJSON_AddStringToObject(o, "served_by", "rtvm-boostd") ||
	    !cJSON_AddStringToObject(o, "note", BOOST_NOTE)) {
		cJSON_Delete(j);
		cJSON_Delete(o);
		return NULL;
	}
	cJSON_AddItemToObject(o, "policy", j);
	return o;
}

/* The same as lines of text on @f. */
static void print_boost(const struct rtvm_profile *p, FILE *f)
{
	struct rtvm_boost_policy pol;
	char text[512];

	if (!p || rtvm_profile_get_boost_policy(p, &pol) < 0)
		return;
	tool_boost_policy_text(&pol, text, sizeof(text));
	fprintf(f, "boost policy: %s\n  (" BOOST_NOTE ")\n", text);
}

static const char *name_of(const cJSON *o, const char *key)
{
	const char *s = cJSON_GetStringValue(cJSON_GetObjectItem(o, key));

	return s ? s : "(no name)";
}

/* A difference apply's plan (another profile for a VM that has one):
 * its steps with what each does, "add", "change" or "put back".  1 for
 * a plan that is not one, to print as a first apply's. */
static int print_update(const struct rtvm_plan *plan, unsigned int n,
			const char *verb)
{
	unsigned int count[3] = { 0 };
	static const char *const what[3] = { "add", "change", "put back" };
	const cJSON *st, *steps;
	cJSON *root = NULL;
	char *text = NULL;

	if (rtvm_plan_to_json(plan, &text) == 0)
		root = cJSON_Parse(text);
	free(text);
	if (!root || !cJSON_IsTrue(cJSON_GetObjectItem(root, "update"))) {
		cJSON_Delete(root);
		return 1;
	}
	steps = cJSON_GetObjectItem(root, "steps");
	cJSON_ArrayForEach(st, steps) {
		const char *d = cJSON_GetStringValue(cJSON_GetObjectItem(st, "diff"));

		for (int i = 0; d && i < 3; i++)
			count[i] += !cJSON_IsTrue(cJSON_GetObjectItem(st, "lease")) &&
				    strcmp(d, what[i]) == 0;
	}
	printf("VM %s: profile %s replaces %s: %u change%s %s: %u added, %u changed, %u put back\n",
	       tool_escape(rtvm_plan_get_vm_id(plan), 0),
	       tool_escape(name_of(root, "profile"), 1),
	       tool_escape(name_of(root, "previous_profile"), 2),
	       n, n == 1 ? "" : "s", verb, count[0], count[1], count[2]);
	cJSON_ArrayForEach(st, steps) {
		const char *d = cJSON_GetStringValue(cJSON_GetObjectItem(st, "diff"));

		if (cJSON_IsTrue(cJSON_GetObjectItem(st, "lease")))
			continue;
		printf("%-8s %-16s %-44s %s -> %s\n", d ? d : "",
		       cJSON_GetStringValue(cJSON_GetObjectItem(st, "kind")),
		       tool_escape(cJSON_GetStringValue(cJSON_GetObjectItem(st, "target")), 0),
		       tool_escape(cJSON_GetStringValue(cJSON_GetObjectItem(st, "old")), 1),
		       tool_escape(cJSON_GetStringValue(cJSON_GetObjectItem(st, "new")), 2));
	}
	cJSON_Delete(root);
	return 0;
}

static void print_plan(const struct rtvm_plan *plan,
		       const struct rtvm_profile *p, bool json,
		       const char *verb)
{
	const struct rtvm_change *c;
	unsigned int n;
	char *text;

	if (json) {
		cJSON *boost = boost_json(p), *root;

		if (rtvm_plan_to_json(plan, &text) < 0) {
			cJSON_Delete(boost);
			return;
		}
		root = boost ? cJSON_Parse(text) : NULL;
		if (root && cJSON_IsObject(root)) {
			cJSON_AddItemToObject(root, "boost", boost);
			tool_print_json(root, false);
		} else {
			cJSON_Delete(boost);
			tool_print_json_text(text);
		}
		cJSON_Delete(root);
		free(text);
		return;
	}
	n = rtvm_changeset_get_count(rtvm_plan_get_changes(plan));
	if (print_update(plan, n, verb) == 0) {
		print_boost(p, stdout);
		return;
	}
	printf("VM %s: %u change%s %s\n",
	       tool_escape(rtvm_plan_get_vm_id(plan), 0), n,
	       n == 1 ? "" : "s", verb);
	rtvm_changeset_foreach(c, rtvm_plan_get_changes(plan))
		printf("%-16s %-44s %s -> %s\n",
		       rtvm_change_kind_to_string(rtvm_change_get_kind(c)),
		       tool_escape(rtvm_change_get_target(c), 0),
		       tool_escape(rtvm_change_get_old_value(c), 1),
		       tool_escape(rtvm_change_get_new_value(c), 2));
	print_boost(p, stdout);
}

/* "--vm NAME" or "--pid PID" for a journal id, for hints. */
static void id_option(const char *id, char *buf, size_t size)
{
	if (!strncmp(id, "pid-", 4))
		snprintf(buf, size, "--pid %s", id + 4);
	else
		snprintf(buf, size, "--vm %s", id);
}

/* The profile is applied to the VM already: nothing was (or would be)
 * written.  Returns 2 for an apply when settings drifted since, else 0. */
static int print_applied(const struct rtvm_plan *plan,
			 const struct rtvm_profile *p, bool json, bool apply)
{
	const char *id = rtvm_plan_get_vm_id(plan);
	int drift = rtvm_plan_get_drift_count(plan);
	char opt[300];

	if (json) {
		print_plan(plan, p, true, NULL);
	} else {
		printf("VM %s: already applied: 0 changes%s\n",
		       tool_escape(id, 0),
		       apply ? "" : " (an apply would change nothing)");
		print_boost(p, stdout);
	}
	if (drift > 0) {
		id_option(id, opt, sizeof(opt));
		tool_error("VM %s: %d setting%s drifted since the apply and %s "
			   "not put back: see rtvm-tune status %s",
			   tool_escape(id, 0), drift, drift == 1 ? "" : "s",
			   drift == 1 ? "is" : "are", tool_escape(opt, 1));
	}
	return apply && drift > 0 ? 2 : 0;
}

static int cmd_plan_apply(struct rtvm_ctx *ctx, const struct opts *o)
{
	struct rtvm_profile *p = NULL;
	struct rtvm_vm *vm = NULL;
	struct rtvm_plan *plan = NULL;
	bool apply = !strcmp(o->cmd, "apply") && !o->dry_run;
	int r;

	r = load_profile(ctx, o, &p);
	if (r == 0)
		r = find_vm(ctx, o, p, &vm);
	if (r == 0) {
		int e = apply ? rtvm_tune_apply(ctx, p, vm, 0, &plan) :
				rtvm_tune_plan(ctx, p, vm, &plan);

		if (e == -EEXIST) {
			char id[256], opt[300];

			/* The library's log says what differs; the id as
			 * the journal has it. */
			if (rtvm_vm_get_name(vm))
				snprintf(id, sizeof(id), "%s", rtvm_vm_get_name(vm));
			else
				snprintf(id, sizeof(id), "pid-%d", rtvm_vm_get_pid(vm));
			id_option(id, opt, sizeof(opt));
			tool_error("%s: VM %s has a profile applied that this one cannot replace; revert "
				   "it first (rtvm-tune revert %s), then apply "
				   "this one%s",
				   apply ? "apply" : "plan", tool_escape(id, 0),
				   tool_escape(opt, 1),
				   apply ? " (nothing changed)" : "");
			r = 1;
		} else if (e < 0) {
			tool_error("%s: %s%s", apply ? "apply" : "plan",
				   strerror(-e),
				   apply ? " (nothing changed)" : "");
			r = 1;
		} else if (rtvm_plan_is_applied(plan) > 0) {
			r = print_applied(plan, p, o->json, apply);
		} else {
			print_plan(plan, p, o->json,
				   apply ? "applied" : "planned (dry run)");
		}
	}
	rtvm_plan_unref(plan);
	rtvm_vm_unref(vm);
	rtvm_profile_unref(p);
	return r;
}

/* The demo's state file: demo.json in --state-dir, else its default (the
 * demo does not read RTVM_STATE_DIR). */
static void demo_path(const struct opts *o, char *path, size_t size)
{
	if (o->state_dir && *o->state_dir)
		snprintf(path, size, "%s/demo.json", o->state_dir);
	else
		snprintf(path, size, "%s", DEMO_DEFAULT_STATE);
}

/* {"KEY": VALUE, "reverted": REVERTED} on one line. */
static void print_reverted(const char *key, const char *value, bool reverted)
{
	cJSON *j = cJSON_CreateObject();

	cJSON_AddStringToObject(j, key, value);
	cJSON_AddBoolToObject(j, "reverted", reverted);
	tool_print_json(j, false);
	cJSON_Delete(j);
}

/* What a crashed rtvm-demo left: its state file in the state directory. */
static int revert_demo(struct rtvm_ctx *ctx, const struct opts *o)
{
	char path[PATH_MAX];
	int r;

	demo_path(o, path, sizeof(path));
	r = demo_recover(ctx, path, true);
	if (r < 0)
		return 1;
	if (o->json)
		print_reverted("demo", path, r);
	else
		printf(r ? "rtvm-demo: reverted what %s recorded\n" :
			   "rtvm-demo: nothing to revert (no %s)\n", path);
	return 0;
}

/* What a revert of @id would put back: the VM's status (rtvm-tune status
 * --json's document, with --json), changing nothing. */
static int revert_dry_run(struct rtvm_ctx *ctx, const struct opts *o,
			  const char *id)
{
	cJSON *root, *vm;
	char *json;
	int r;

	r = rtvm_tune_status(ctx, id, &json);
	if (r < 0) {
		tool_error("revert %s: %s", tool_escape(id, 0), strerror(-r));
		return 1;
	}
	if (o->json) {
		r = tool_print_json_text(json);
		free(json);
		return r < 0;
	}
	root = cJSON_Parse(json);
	free(json);
	if (!root) {
		tool_error("revert: out of memory");
		return 1;
	}
	vm = cJSON_GetArrayItem(cJSON_GetObjectItem(root, "vms"), 0);
	if (!vm)
		printf("dry run: VM %s has no journal: nothing to revert\n",
		       tool_escape(id, 0));
	else
		printf("dry run: VM %s: revert would put back the %d steps of "
		       "profile %s (RT CPUs %s%s) and remove its journal\n",
		       tool_escape(id, 0),
		       (int)cJSON_GetNumberValue(cJSON_GetObjectItem(vm, "steps")),
		       tool_escape(cJSON_GetStringValue(cJSON_GetObjectItem(vm, "profile")), 1),
		       tool_escape(cJSON_GetStringValue(cJSON_GetObjectItem(vm, "rt_cpus")), 2),
		       cJSON_IsTrue(cJSON_GetObjectItem(vm, "complete")) ?
			       "" : "; the apply did not finish");
	cJSON_Delete(root);
	return 0;
}

static int cmd_revert(struct rtvm_ctx *ctx, const struct opts *o)
{
	struct rtvm_profile *p = NULL;
	char id[256];
	int r = 0;

	if (o->demo)
		return revert_demo(ctx, o);

	if (!o->vm && !o->pid)
		r = load_profile(ctx, o, &p);
	if (r == 0 && vm_id(o, p, id, sizeof(id)) < 0) {
		tool_error("revert: the profile selects no VM; give --vm or --pid");
		r = EXIT_USAGE;
	}
	rtvm_profile_unref(p);
	if (r)
		return r;
	if (o->dry_run)
		return revert_dry_run(ctx, o, id);
	r = rtvm_tune_revert(ctx, id, 0);
	if (r < 0) {
		tool_error("revert %s: %s", tool_escape(id, 0), strerror(-r));
		return 1;
	}
	if (!o->json)
		printf("VM %s: reverted\n", tool_escape(id, 0));
	else
		print_reverted("vm", id, true);
	return 0;
}

/* The built-in profiles: name and description, or JSON. */
static int cmd_profiles(const struct opts *o)
{
	cJSON *root = o->json ? cJSON_CreateArray() : NULL;
	const char *name, *desc;
	int r = 0;

	for (unsigned int i = 0; (name = rtvm_profile_get_builtin(i, &desc));
	     i++) {
		cJSON *e;

		if (!o->json) {
			printf("%-12s %s\n", name, desc);
			continue;
		}
		e = cJSON_CreateObject();
		if (!root || !e || !cJSON_AddItemToArray(root, e)) {
			cJSON_Delete(e);
			r = -ENOMEM;
			break;
		}
		if (!cJSON_AddStringToObject(e, "name", name) ||
		    !cJSON_AddStringToObject(e, "description", desc)) {
			r = -ENOMEM;
			break;
		}
	}
	if (o->json && r == 0)
		r = tool_print_json(root, true);
	cJSON_Delete(root);
	if (r < 0)
		tool_error("profiles: %s", strerror(-r));
	return r < 0;
}

/* A profile's document, pretty-printed. */
static int cmd_show(struct rtvm_ctx *ctx, const struct opts *o)
{
	struct rtvm_profile *p = NULL;
	char *json = NULL;
	cJSON *root;
	int r = load_profile(ctx, o, &p);

	if (r)
		return r;
	r = rtvm_profile_to_json(p, &json);
	root = r == 0 ? cJSON_Parse(json) : NULL;
	free(json);
	r = root ? tool_print_json(root, true) : -ENOMEM;
	cJSON_Delete(root);
	/* stdout stays the document; who serves its boost beside it. */
	if (r == 0)
		print_boost(p, stderr);
	rtvm_profile_unref(p);
	if (r < 0)
		tool_error("show: %s", strerror(-r));
	return r < 0;
}

static int cmd_status(struct rtvm_ctx *ctx, const struct opts *o)
{
	char id[256], *json;
	bool one = vm_id(o, NULL, id, sizeof(id)) == 0;
	int r;

	r = rtvm_tune_status(ctx, one ? id : NULL, &json);
	if (r < 0) {
		tool_error("status: %s", strerror(-r));
		return 1;
	}
	if (o->json) {
		r = tool_print_json_text(json);
	} else {
		cJSON *root = cJSON_Parse(json), *vm, *d;

		if (!cJSON_GetArraySize(cJSON_GetObjectItem(root, "vms")))
			printf("no profile applied\n");
		cJSON_ArrayForEach(vm, cJSON_GetObjectItem(root, "vms")) {
			cJSON *drift = cJSON_GetObjectItem(vm, "drift");

			printf("VM %s: profile %s, RT CPUs %s, %d steps, %s, %d drifted\n",
			       tool_escape(cJSON_GetStringValue(cJSON_GetObjectItem(vm, "vm")), 0),
			       tool_escape(cJSON_GetStringValue(cJSON_GetObjectItem(vm, "profile")), 1),
			       tool_escape(cJSON_GetStringValue(cJSON_GetObjectItem(vm, "rt_cpus")), 2),
			       (int)cJSON_GetNumberValue(cJSON_GetObjectItem(vm, "steps")),
			       cJSON_IsTrue(cJSON_GetObjectItem(vm, "complete")) ?
				       "applied" : "UNFINISHED (revert it)",
			       cJSON_GetArraySize(drift));
			cJSON_ArrayForEach(d, drift)
				printf("  drift %-16s %-40s applied %s, now %s\n",
				       tool_escape(cJSON_GetStringValue(cJSON_GetObjectItem(d, "kind")), 0),
				       tool_escape(cJSON_GetStringValue(cJSON_GetObjectItem(d, "target")), 1),
				       tool_escape(cJSON_GetStringValue(cJSON_GetObjectItem(d, "applied")), 2),
				       tool_escape(cJSON_GetStringValue(cJSON_GetObjectItem(d, "now")) ?:
						   cJSON_GetStringValue(cJSON_GetObjectItem(d, "error")), 3));
		}
		cJSON_Delete(root);
	}
	free(json);
	return r < 0;
}

/* Drifted settings put back (or, with --dry-run, listed as status finds
 * them).  Exit 2 when a setting stays drifted: the others are put back.
 * A round of --watch (@quiet) says only the VMs it put something back
 * for or could not, and an unfinished apply once. */
static int reconcile_once(struct rtvm_ctx *ctx, const struct opts *o,
			  bool quiet)
{
	static bool told_unfinished;
	char id[256], *json = NULL;
	bool one = vm_id(o, NULL, id, sizeof(id)) == 0;
	cJSON *root, *vm, *d;
	int r, failed;

	if (o->dry_run)
		r = rtvm_tune_status(ctx, one ? id : NULL, &json);
	else
		r = rtvm_tune_reconcile(ctx, one ? id : NULL, 0, &json);
	if (r < 0 && r != -EAGAIN) {
		tool_error("reconcile: %s", strerror(-r));
		return 1;
	}
	root = json ? cJSON_Parse(json) : NULL;
	if (!root) {
		free(json);
		tool_error("reconcile: out of memory");
		return 1;
	}
	if (o->json) {
		bool any = r == -EAGAIN;
		int p = 0;

		cJSON_ArrayForEach(vm, cJSON_GetObjectItem(root, "vms"))
			any |= cJSON_GetArraySize(cJSON_GetObjectItem(vm, "reconciled")) > 0;
		if (!quiet)
			p = tool_print_json_text(json);
		else if (any && (p = tool_print_json(root, false)) == 0)
			p = fflush(stdout) == 0 ? 0 : -EIO;
		free(json);
		cJSON_Delete(root);
		return p < 0 ? 1 : r == -EAGAIN ? 2 : 0;
	}
	free(json);
	failed = (int)cJSON_GetNumberValue(cJSON_GetObjectItem(root, "failed"));
	cJSON_ArrayForEach(vm, cJSON_GetObjectItem(root, "vms")) {
		cJSON *list = cJSON_GetObjectItem(vm, o->dry_run ? "drift" :
							       "reconciled");
		const char *name = cJSON_GetStringValue(cJSON_GetObjectItem(vm, "vm"));
		int n = cJSON_GetArraySize(list);

		if (!cJSON_IsTrue(cJSON_GetObjectItem(vm, "complete"))) {
			if (!quiet || !told_unfinished)
				printf("VM %s: UNFINISHED apply: revert it\n",
				       tool_escape(name, 0));
			told_unfinished = true;
			continue;
		}
		if (quiet && !n)
			continue;
		printf("VM %s: %d %s\n", tool_escape(name, 0), n,
		       o->dry_run ? (n == 1 ? "setting would be put back" :
					      "settings would be put back") :
				    (n == 1 ? "setting drifted" :
					      "settings drifted"));
		cJSON_ArrayForEach(d, list) {
			const char *res = cJSON_GetStringValue(
				cJSON_GetObjectItem(d, "result"));
			const char *now = cJSON_GetStringValue(
				cJSON_GetObjectItem(d, "now"));

			printf("  %-16s %-40s %s -> %s%s%s\n",
			       tool_escape(cJSON_GetStringValue(cJSON_GetObjectItem(d, "kind")), 0),
			       tool_escape(cJSON_GetStringValue(cJSON_GetObjectItem(d, "target")), 1),
			       tool_escape(now ? now : "(unread)", 2),
			       tool_escape(cJSON_GetStringValue(cJSON_GetObjectItem(d, "applied")), 3),
			       o->dry_run ? "" : res && !strcmp(res, "put back") ?
			       ": put back" : ": NOT put back, ",
			       o->dry_run || (res && !strcmp(res, "put back")) ? "" :
			       tool_escape(cJSON_GetStringValue(cJSON_GetObjectItem(d, "reason")) ?:
					   "unfinished", 0));
			/* A vCPU thread re-created (a new tid) since the
			 * apply: given its role's values, journaled. */
			if (cJSON_GetStringValue(cJSON_GetObjectItem(d, "recreated_from")))
				printf("  %-16s (thread \"%s\" re-created; was %s)\n", "",
				       tool_escape(cJSON_GetStringValue(cJSON_GetObjectItem(d, "name")) ?: "", 0),
				       tool_escape(cJSON_GetStringValue(cJSON_GetObjectItem(d, "recreated_from")), 1));
		}
	}
	if (!quiet && !cJSON_GetArraySize(cJSON_GetObjectItem(root, "vms")))
		printf("no profile applied\n");
	cJSON_Delete(root);
	fflush(stdout);
	if (r == -EAGAIN)
		tool_error("reconcile: %d setting%s not put back (see above)",
			   failed, failed == 1 ? "" : "s");
	return r == -EAGAIN ? 2 : 0;
}

static volatile sig_atomic_t watch_stop;

static void on_watch_signal(int sig)
{
	(void)sig;
	watch_stop = 1;
}

/* Once, or with --watch every watch_ms until SIGINT/SIGTERM: then exit 0
 * when the last round put everything back, else that round's code. */
static int cmd_reconcile(struct rtvm_ctx *ctx, const struct opts *o)
{
	struct sigaction sa = { .sa_handler = on_watch_signal };
	int r;

	if (!o->watch_ms)
		return reconcile_once(ctx, o, false);
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	do {
		struct timespec t = { (time_t)(o->watch_ms / 1000),
				      (long)(o->watch_ms % 1000) * 1000000 };

		r = reconcile_once(ctx, o, true);
		if (r == 1)
			return 1; /* the state directory itself failed */
		while (!watch_stop && nanosleep(&t, &t) < 0 && errno == EINTR)
			;
	} while (!watch_stop);
	return r;
}

/* Every journal whose apply did not finish is reverted; finished applies
 * are the VMs' and stay.  What is a crashed apply's and what is a running
 * VM's is the journal's "complete" mark. */
static int cmd_recover(struct rtvm_ctx *ctx, const struct opts *o)
{
	cJSON *root, *vm, *out = cJSON_CreateArray();
	char *json;
	bool demo = false;
	int r, failed = 0, n = 0;

	r = rtvm_tune_status(ctx, NULL, &json);
	if (r < 0) {
		tool_error("recover: %s", strerror(-r));
		cJSON_Delete(out);
		return 1;
	}
	root = cJSON_Parse(json);
	free(json);
	cJSON_ArrayForEach(vm, cJSON_GetObjectItem(root, "vms")) {
		const char *id = cJSON_GetStringValue(cJSON_GetObjectItem(vm, "vm"));
		cJSON *e;

		if (!id || cJSON_IsTrue(cJSON_GetObjectItem(vm, "complete")))
			continue;
		n++;
		r = o->dry_run ? 0 : rtvm_tune_revert(ctx, id, 0);
		if (r < 0) {
			tool_error("recover: revert %s: %s (the journal is kept)",
				   tool_escape(id, 0), strerror(-r));
			failed++;
		} else if (!o->json) {
			printf("VM %s: unfinished apply %s\n", tool_escape(id, 0),
			       o->dry_run ? "would be reverted" : "reverted");
		}
		e = cJSON_CreateObject();
		cJSON_AddStringToObject(e, "vm", id);
		cJSON_AddBoolToObject(e, "reverted", !o->dry_run && r == 0);
		if (r < 0)
			cJSON_AddStringToObject(e, "error", strerror(-r));
		cJSON_AddItemToArray(out, e);
	}
	cJSON_Delete(root);
	if (!o->dry_run) {
		char path[PATH_MAX];

		demo_path(o, path, sizeof(path));
		r = demo_recover(ctx, path, true);
		if (r < 0)
			failed++;
		else if (r > 0 && !o->json)
			printf("rtvm-demo: reverted what %s recorded\n", path);
		demo = r > 0;
	}
	if (o->json) {
		cJSON *doc = cJSON_CreateObject();

		cJSON_AddBoolToObject(doc, "dry_run", o->dry_run);
		cJSON_AddBoolToObject(doc, "demo_reverted", demo);
		cJSON_AddItemToObject(doc, "unfinished", out);
		if (tool_print_json(doc, false) < 0)
			failed++;
		cJSON_Delete(doc);
	} else {
		cJSON_Delete(out);
		if (!n)
			printf("no unfinished apply\n");
	}
	return failed ? 1 : 0;
}

int main(int argc, char **argv)
{
	struct opts o = { 0 };
	struct rtvm_ctx *ctx;
	int r;

	if (parse_args(argc, argv, &o) < 0)
		return EXIT_USAGE;
	if (tool_new_ctx(o.sysroot, o.verbose, &ctx) < 0)
		return 1;
	if (o.state_dir && rtvm_set_state_dir(ctx, o.state_dir) < 0) {
		rtvm_unref(ctx);
		return EXIT_USAGE;
	}
	if (!strcmp(o.cmd, "plan") || !strcmp(o.cmd, "apply"))
		r = cmd_plan_apply(ctx, &o);
	else if (!strcmp(o.cmd, "revert"))
		r = cmd_revert(ctx, &o);
	else if (!strcmp(o.cmd, "recover"))
		r = cmd_recover(ctx, &o);
	else if (!strcmp(o.cmd, "reconcile"))
		r = cmd_reconcile(ctx, &o);
	else if (!strcmp(o.cmd, "profiles"))
		r = cmd_profiles(&o);
	else if (!strcmp(o.cmd, "show"))
		r = cmd_show(ctx, &o);
	else
		r = cmd_status(ctx, &o);
	rtvm_unref(ctx);
	return r;
}
