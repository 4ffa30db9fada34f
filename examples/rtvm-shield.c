/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* rtvm-shield: give RT CPUs to nobody but the RT VM: make, show and remove
 * a cpuset shield (cgroup v1 cpusets or a v2 isolated partition). */
#include "config.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tool.h"

const char *program_name = "rtvm-shield";

struct opts {
	const char *cmd;
	const char *sysroot;
	const char *rt_cpus;
	const char *housekeeping;
	const char *scope;
	const char *save;
	const char *from;
	const char *tids;
	bool dry_run, json, verbose, no_kthreads, no_workqueue, per_vcpu;
};

enum {
	OPT_RT = 0x100, OPT_HK, OPT_SCOPE, OPT_SAVE, OPT_FROM, OPT_DRY_RUN,
	OPT_NO_KTHREADS, OPT_NO_WORKQUEUE, OPT_TIDS, OPT_PER_VCPU,
};

static void usage(FILE *f)
{
	fprintf(f,
		"Usage: %s [--sysroot DIR] [-v] COMMAND [OPTION]...\n"
		"Keep the host off the RT CPUs with cpusets (cgroup v1) or an isolated\n"
		"partition (cgroup v2); every change is recorded for undo.\n\n"
		"  create --rt-cpus LIST [--housekeeping LIST] [--no-kthreads]\n"
		"         [--no-workqueue] [--save FILE] [--dry-run] [--json]\n"
		"      make the shield and move every movable task to housekeeping\n"
		"  status [--json]\n"
		"      the shield's CPUs, the tasks in it, and what else runs on them\n"
		"  add --tids LIST [--per-vcpu] [--save FILE] [--dry-run] [--json]\n"
		"      put threads (a VM's vCPUs) into the RT cgroup\n"
		"  destroy [--from FILE] [--dry-run] [--json]\n"
		"      undo the records of create and add (the state file, or FILE\n"
		"      from --save), then remove whatever is left of the shield\n\n"
		"  Records go to the state file /run/rtvm/shield.json unless --save\n"
		"  names another (RTVM_STATE_DIR moves it).\n\n"
		"  --scope CGROUP          build the shield inside this cpuset cgroup and\n"
		"                          move only its tasks (default /: the host)\n"
		"  -s, --sysroot DIR       act on the simulated host in DIR (also RTVM_SYSROOT)\n"
		"  -v, --verbose           log what the library does\n"
		"  -h, --help, -V, --version\n\n"
		"Exit status: 0 done, 1 failed (nothing changed), 64 bad usage.\n",
		program_name);
}

static int parse_args(int argc, char **argv, struct opts *o)
{
	static const struct option longopts[] = {
		{ "rt-cpus", required_argument, NULL, OPT_RT },
		{ "housekeeping", required_argument, NULL, OPT_HK },
		{ "scope", required_argument, NULL, OPT_SCOPE },
		{ "save", required_argument, NULL, OPT_SAVE },
		{ "from", required_argument, NULL, OPT_FROM },
		{ "tids", required_argument, NULL, OPT_TIDS },
		{ "per-vcpu", no_argument, NULL, OPT_PER_VCPU },
		{ "no-kthreads", no_argument, NULL, OPT_NO_KTHREADS },
		{ "no-workqueue", no_argument, NULL, OPT_NO_WORKQUEUE },
		{ "dry-run", no_argument, NULL, OPT_DRY_RUN },
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
		case OPT_RT: o->rt_cpus = optarg; break;
		case OPT_HK: o->housekeeping = optarg; break;
		case OPT_SCOPE: o->scope = optarg; break;
		case OPT_SAVE: o->save = optarg; break;
		case OPT_FROM: o->from = optarg; break;
		case OPT_TIDS: o->tids = optarg; break;
		case OPT_PER_VCPU: o->per_vcpu = true; break;
		case OPT_NO_KTHREADS: o->no_kthreads = true; break;
		case OPT_NO_WORKQUEUE: o->no_workqueue = true; break;
		case OPT_DRY_RUN: o->dry_run = true; break;
		default:
			usage(stderr);
			return -EINVAL;
		}
	}
	if (optind >= argc) {
		tool_error("no command: create, status, add or destroy (see "
			   "--help)");
		return -EINVAL;
	}
	o->cmd = argv[optind++];
	if (optind < argc) {
		tool_error("unexpected argument \"%s\"", argv[optind]);
		return -EINVAL;
	}
	if (strcmp(o->cmd, "create") && strcmp(o->cmd, "status") &&
	    strcmp(o->cmd, "add") && strcmp(o->cmd, "destroy")) {
		tool_error("unknown command \"%s\": create, status, add or "
			   "destroy", o->cmd);
		return -EINVAL;
	}
	if (strcmp(o->cmd, "create") == 0 && !o->rt_cpus) {
		tool_error("create: --rt-cpus LIST is required");
		return -EINVAL;
	}
	if (strcmp(o->cmd, "add") == 0 && !o->tids) {
		tool_error("add: --tids LIST is required");
		return -EINVAL;
	}
	/* An option of another command is a mistake, not a no-op. */
	{
		static const struct {
			const char *name, *cmds;
		} only[] = {
			{ "--rt-cpus", "create" },
			{ "--housekeeping", "create" },
			{ "--no-kthreads", "create" },
			{ "--no-workqueue", "create" },
			{ "--tids", "add" },
			{ "--per-vcpu", "add" },
			{ "--save", "create add" },
			{ "--from", "destroy" },
			{ "--dry-run", "create add destroy" },
			{ "--json", "create status add destroy" },
		};
		const bool given[] = {
			o->rt_cpus, o->housekeeping, o->no_kthreads,
			o->no_workqueue, o->tids, o->per_vcpu, o->save,
			o->from, o->dry_run, o->json,
		};

		for (size_t i = 0; i < sizeof(only) / sizeof(only[0]); i++) {
			const char *at = strstr(only[i].cmds, o->cmd);
			size_t len = strlen(o->cmd);

			if (given[i] &&
			    !(at && (at[len] == ' ' || !at[len]) &&
			      (at == only[i].cmds || at[-1] == ' '))) {
				tool_error("%s is not an option of %s (it belongs "
					   "to %s)",
					   only[i].name, o->cmd, only[i].cmds);
				return -EINVAL;
			}
		}
	}
	return 0;
}

/* Save a changeset (atomically); a message on failure. */
/* Where create and add record their changes and destroy finds them:
 * @file (--save or --from), else the state file shield.json. */
static char *records_path(const struct opts *o, const char *file)
{
	char *path = file ? strdup(file) : tool_state_file(o->sysroot,
							   "shield.json");

	if (!path)
		tool_error("out of memory");
	return path;
}

/* @cs's records added to those of @path (an add after a create); -errno
 * with the error said. */
static int save_changes(struct rtvm_ctx *ctx, const struct rtvm_changeset *cs,
			const char *path)
{
	struct rtvm_changeset *prev = NULL;
	int r = tool_load_changes(ctx, path, &prev);

	if (r == -ENOENT)
		r = 0;
	if (r == 0)
		r = tool_save_merged(ctx, prev, cs, path);
	if (r < 0)
		tool_error("cannot record the changes in %s: %s",
			   tool_escape(path, 0), strerror(-r));
	rtvm_changeset_unref(prev);
	return r;
}

/* ---- output --------------------------------------------------------- */

/* A report's kind as the tool shows it: in a dry run nothing moved. */
static const char *kind_str(int kind, bool dry)
{
	if (dry && kind == RTVM_SHIELD_MOVED)
		return "would-move";
	if (dry && kind == RTVM_SHIELD_NOT_MOVED)
		return "would-stay";
	return rtvm_shield_item_kind_to_string(kind);
}

static void print_report(const struct rtvm_shield_report *rep, bool dry)
{
	const struct rtvm_shield_item *it;

	if (rtvm_shield_report_get_rt_cpus(rep))
		printf("shield %s%s: RT CPUs %s, housekeeping %s (cgroup v%d)\n",
		       tool_escape(rtvm_shield_report_get_cgroup(rep), 0),
		       dry ? " (dry run)" :
			     (rtvm_shield_report_is_active(rep) ? "" :
								  " (none)"),
		       tool_mask_str(rtvm_shield_report_get_rt_cpus(rep), 0),
		       tool_mask_str(rtvm_shield_report_get_housekeeping(rep), 1),
		       rtvm_shield_report_get_cgroup_version(rep));
	else
		printf("no shield (%s)\n",
		       tool_escape(rtvm_shield_report_get_cgroup(rep), 0));
	rtvm_shield_report_foreach(it, rep) {
		int kind = rtvm_shield_item_get_kind(it);
		const char *reason = rtvm_shield_item_get_reason(it);
		const char *target = rtvm_shield_item_get_target(it);
		const char *old = rtvm_shield_item_get_old(it);
		bool moving = target && (kind == RTVM_SHIELD_MOVED ||
					 kind == RTVM_SHIELD_NOT_MOVED);

		if (kind == RTVM_SHIELD_CGROUP || kind == RTVM_SHIELD_FILE)
			printf("%-10s %s: %s -> %s\n", kind_str(kind, dry),
			       tool_escape(target, 0), tool_escape(old, 1),
			       tool_escape(rtvm_shield_item_get_new(it), 2));
		else if (kind == RTVM_SHIELD_NOTE)
			printf("%-10s %s: %s\n", kind_str(kind, dry),
			       tool_escape(target ? target : "", 0),
			       tool_escape(reason ? reason : "", 1));
		else
			printf("%-10s %7d %7d %-16s %s%s%s%s%s\n",
			       kind_str(kind, dry), rtvm_shield_item_get_pid(it),
			       rtvm_shield_item_get_tid(it),
			       tool_escape(rtvm_shield_item_get_comm(it), 0),
			       tool_escape(old ? old : "", 1),
			       moving ? " -> " : "",
			       moving ? tool_escape(target, 2) : "",
			       reason ? ": " : "",
			       reason ? tool_escape(reason, 3) : "");
	}
	if (dry)
		printf("%u would move, %u would stay, %u per-CPU kernel "
		       "threads (dry run: nothing changed)\n",
		       rtvm_shield_report_get_count(rep, RTVM_SHIELD_MOVED),
		       rtvm_shield_report_get_count(rep, RTVM_SHIELD_NOT_MOVED),
		       rtvm_shield_report_get_count(rep, RTVM_SHIELD_PER_CPU));
	else
		printf("%u moved, %u not moved, %u per-CPU kernel threads, "
		       "%u stray, %u in the RT cgroup\n",
		       rtvm_shield_report_get_count(rep, RTVM_SHIELD_MOVED),
		       rtvm_shield_report_get_count(rep, RTVM_SHIELD_NOT_MOVED),
		       rtvm_shield_report_get_count(rep, RTVM_SHIELD_PER_CPU),
		       rtvm_shield_report_get_count(rep, RTVM_SHIELD_STRAY),
		       rtvm_shield_report_get_count(rep, RTVM_SHIELD_IN_RT));
}

static int add_str(cJSON *o, const char *key, const char *value)
{
	if (!value)
		return 0;
	return cJSON_AddStringToObject(o, key, value) ? 0 : -ENOMEM;
}

/* The document of every command: a shield report, and @cs (when not
 * NULL) as "changeset"; NULL for out of memory. */
static cJSON *report_json(const struct rtvm_shield_report *rep, bool dry,
			  const struct rtvm_changeset *cs)
{
	const struct rtvm_shield_item *it;
	cJSON *root = cJSON_CreateObject(), *items, *counts, *changes;
	char *csjson = NULL;
	bool ok = false;

	if (!root)
		return NULL;
	if (!cJSON_AddBoolToObject(root, "active",
				   rtvm_shield_report_is_active(rep)) ||
	    !cJSON_AddBoolToObject(root, "dry_run", dry) ||
	    !cJSON_AddNumberToObject(root, "cgroup_version",
				     rtvm_shield_report_get_cgroup_version(rep)) ||
	    add_str(root, "cgroup", rtvm_shield_report_get_cgroup(rep)) < 0 ||
	    !cJSON_AddNumberToObject(root, "rounds",
				     rtvm_shield_report_get_rounds(rep)))
		goto out;
	if (rtvm_shield_report_get_rt_cpus(rep) &&
	    (add_str(root, "rt_cpus",
		     tool_mask_str(rtvm_shield_report_get_rt_cpus(rep), 0)) < 0 ||
	     add_str(root, "housekeeping",
		     tool_mask_str(rtvm_shield_report_get_housekeeping(rep),
				   1)) < 0))
		goto out;
	counts = cJSON_AddObjectToObject(root, "counts");
	if (!counts)
		goto out;
	for (int k = RTVM_SHIELD_MOVED; k <= RTVM_SHIELD_NOTE; k++) {
		char key[32];

		/* "would_move", "per_cpu": JSON keys without dashes. */
		snprintf(key, sizeof(key), "%s", kind_str(k, dry));
		for (char *c = key; *c; c++)
			if (*c == '-')
				*c = '_';
		if (!cJSON_AddNumberToObject(counts, key,
					     rtvm_shield_report_get_count(rep, k)))
			goto out;
	}
	items = cJSON_AddArrayToObject(root, "items");
	if (!items)
		goto out;
	rtvm_shield_report_foreach(it, rep) {
		cJSON *o = cJSON_CreateObject();

		if (!o)
			goto out;
		cJSON_AddItemToArray(items, o);
		if (add_str(o, "kind",
			    kind_str(rtvm_shield_item_get_kind(it), dry)) < 0 ||
		    (rtvm_shield_item_get_tid(it) > 0 &&
		     (!cJSON_AddNumberToObject(o, "pid",
					       rtvm_shield_item_get_pid(it)) ||
		      !cJSON_AddNumberToObject(o, "tid",
					       rtvm_shield_item_get_tid(it)))) ||
		    add_str(o, "comm", rtvm_shield_item_get_comm(it)) < 0 ||
		    add_str(o, "target", rtvm_shield_item_get_target(it)) < 0 ||
		    add_str(o, "old", rtvm_shield_item_get_old(it)) < 0 ||
		    add_str(o, "new", rtvm_shield_item_get_new(it)) < 0 ||
		    add_str(o, "reason", rtvm_shield_item_get_reason(it)) < 0)
			goto out;
	}
	if (cs) {
		if (rtvm_changeset_to_json(cs, &csjson) < 0 ||
		    !(changes = cJSON_Parse(csjson)))
			goto out;
		cJSON_AddItemToObject(root, "changeset", changes);
	}
	ok = true;
out:
	free(csjson);
	if (!ok) {
		cJSON_Delete(root);
		return NULL;
	}
	return root;
}

static int print_json(const struct rtvm_shield_report *rep, bool dry,
		      const struct rtvm_changeset *cs)
{
	cJSON *root = report_json(rep, dry, cs);
	int r;

	if (!root) {
		tool_error("out of memory");
		return -ENOMEM;
	}
	r = tool_print_json(root, true);
	cJSON_Delete(root);
	return r;
}

/* ---- commands --------------------------------------------------------- */

static int cmd_create(struct rtvm_ctx *ctx, const struct opts *o)
{
	struct rtvm_cpumask *rt = NULL, *hk = NULL;
	struct rtvm_shield_report *rep = NULL;
	struct rtvm_changeset *cs = NULL;
	unsigned int flags = 0;
	int r, ret = EXIT_FAILURE;

	if (tool_parse_cpus(ctx, "--rt-cpus", o->rt_cpus, &rt) < 0 ||
	    (o->housekeeping &&
	     tool_parse_cpus(ctx, "--housekeeping", o->housekeeping, &hk) < 0)) {
		ret = EXIT_USAGE;
		goto out;
	}
	if (o->dry_run)
		flags |= RTVM_SHIELD_DRY_RUN;
	if (o->no_kthreads)
		flags |= RTVM_SHIELD_NO_KTHREADS;
	if (o->no_workqueue)
		flags |= RTVM_SHIELD_NO_WORKQUEUE;
	if (rtvm_changeset_new(ctx, &cs) < 0)
		goto out;
	r = rtvm_shield_create(ctx, rt, hk, o->scope, flags, cs, &rep);
	if (r < 0) {
		tool_error("create: %s (nothing changed)", strerror(-r));
		ret = r == -EINVAL ? EXIT_USAGE : EXIT_FAILURE;
		goto out;
	}
	if (!o->dry_run) {
		/* Recorded, or undone: no shield is left that restore cannot
		 * take back exactly. */
		char *path = records_path(o, o->save);

		r = path ? save_changes(ctx, cs, path) : -ENOMEM;
		free(path);
		if (r < 0) {
			if (rtvm_shield_destroy(ctx, o->scope, cs, 0) < 0)
				tool_error("and the shield could not be undone: "
					   "run destroy");
			else
				tool_error("the shield is undone");
			goto out;
		}
	}
	if (o->json)
		r = print_json(rep, o->dry_run, o->dry_run ? NULL : cs);
	else
		print_report(rep, o->dry_run);
	ret = r < 0 ? EXIT_FAILURE : 0;
out:
	rtvm_shield_report_free(rep);
	rtvm_changeset_unref(cs);
	rtvm_cpumask_free(rt);
	rtvm_cpumask_free(hk);
	return ret;
}

static int cmd_status(struct rtvm_ctx *ctx, const struct opts *o)
{
	struct rtvm_shield_report *rep = NULL;
	int r;

	r = rtvm_shield_status(ctx, o->scope, &rep);
	if (r < 0) {
		tool_error("status: %s", strerror(-r));
		return EXIT_FAILURE;
	}
	if (o->json)
		r = print_json(rep, false, NULL);
	else
		print_report(rep, false);
	rtvm_shield_report_free(rep);
	return r < 0 ? EXIT_FAILURE : 0;
}

/* add's document: the shield as status reports it after the add (in a
 * dry run: as it is), "added" the thread ids, "per_vcpu", and the records
 * of a real add as "changeset". */
static int print_add_json(struct rtvm_ctx *ctx, const struct opts *o,
			  const pid_t *tids, unsigned int n,
			  const struct rtvm_changeset *cs)
{
	struct rtvm_shield_report *rep = NULL;
	cJSON *root = NULL, *added;
	int r = rtvm_shield_status(ctx, o->scope, &rep);

	if (r < 0) {
		tool_error("add: the shield's status: %s", strerror(-r));
		return r;
	}
	r = -ENOMEM;
	root = report_json(rep, o->dry_run, cs);
	if (!root || !cJSON_AddBoolToObject(root, "per_vcpu", o->per_vcpu) ||
	    !(added = cJSON_AddArrayToObject(root, "added")))
		goto out;
	for (unsigned int i = 0; i < n; i++) {
		cJSON *v = cJSON_CreateNumber(tids[i]);

		if (!v)
			goto out;
		cJSON_AddItemToArray(added, v);
	}
	r = tool_print_json(root, true);
out:
	if (r == -ENOMEM)
		tool_error("out of memory");
	cJSON_Delete(root);
	rtvm_shield_report_free(rep);
	return r;
}

static int cmd_add(struct rtvm_ctx *ctx, const struct opts *o)
{
	struct rtvm_changeset *cs = NULL;
	pid_t *tids = NULL;
	unsigned int n = 0;
	char *copy = strdup(o->tids), *save = NULL;
	int r, ret = EXIT_FAILURE;

	if (!copy)
		return EXIT_FAILURE;
	for (char *tok = strtok_r(copy, ",", &save); tok;
	     tok = strtok_r(NULL, ",", &save)) {
		long v;
		pid_t *nt;

		if (tool_parse_long("--tids", tok, 1, INT_MAX, &v) < 0) {
			ret = EXIT_USAGE;
			goto out;
		}
		nt = realloc(tids, (n + 1) * sizeof(*nt));
		if (!nt)
			goto out;
		tids = nt;
		tids[n++] = (pid_t)v;
	}
	if (!n) {
		tool_error("--tids: no thread ids in \"%s\"", o->tids);
		ret = EXIT_USAGE;
		goto out;
	}
	if (o->dry_run) {
		/* What the real add would refuse, checked: a shield to add
		 * to, and threads that exist. */
		struct rtvm_shield_report *rep = NULL;
		struct rtvm_host *host = NULL;
		const struct rtvm_thread *t;

		r = rtvm_shield_status(ctx, o->scope, &rep);
		if (r < 0 || !rtvm_shield_report_is_active(rep)) {
			tool_error("add: %s", r < 0 ? strerror(-r) :
						       "no shield in the scope");
			rtvm_shield_report_free(rep);
			goto out;
		}
		rtvm_shield_report_free(rep);
		r = rtvm_host_new(ctx, RTVM_HOST_THREADS, &host);
		for (unsigned int i = 0; r == 0 && i < n; i++)
			if (rtvm_host_find_thread(host, tids[i], &t) < 0) {
				tool_error("add: no thread %d", (int)tids[i]);
				r = -ESRCH;
			}
		rtvm_host_unref(host);
		if (r < 0)
			goto out;
		if (o->json)
			r = print_add_json(ctx, o, tids, n, NULL);
		else
			printf("would put %u threads into the RT cgroup%s\n", n,
			       o->per_vcpu ? ", one cpuset each" : "");
		ret = r < 0 ? EXIT_FAILURE : 0;
		goto out;
	}
	if (rtvm_changeset_new(ctx, &cs) < 0)
		goto out;
	r = rtvm_shield_add_threads(ctx, o->scope, tids, n,
				    o->per_vcpu ? RTVM_SHIELD_PER_VCPU : 0, cs);
	if (r < 0) {
		tool_error("add: %s (nothing changed)", strerror(-r));
		goto out;
	}
	{
		char *path = records_path(o, o->save);

		r = path ? save_changes(ctx, cs, path) : -ENOMEM;
		free(path);
		if (r < 0) {
			tool_error("%s", rtvm_changeset_restore(cs, 0) < 0 ?
				   "and the threads could not all be put back" :
				   "the threads are put back");
			goto out;
		}
	}
	if (o->json)
		/* The threads are in; a report that fails to print does not
		 * undo that (the records are in --save). */
		r = print_add_json(ctx, o, tids, n, cs);
	else
		printf("%u threads in the RT cgroup\n", n);
	ret = r < 0 ? EXIT_FAILURE : 0;
out:
	free(copy);
	free(tids);
	rtvm_changeset_unref(cs);
	return ret;
}

/*
 * destroy's document: the shield as status found it before (its CPUs and
 * the tasks it held), "active" as it is after, "removed" when a shield
 * went (in a dry run: would go), and the records undone as "restored"
 * and "changeset".
 */
static int print_destroy_json(const struct rtvm_shield_report *before,
			      bool dry, const struct rtvm_changeset *cs)
{
	bool was = rtvm_shield_report_is_active(before);
	cJSON *root = report_json(before, dry, cs), *active;
	int r = -ENOMEM;

	if (!root)
		goto out;
	active = cJSON_CreateBool(dry && was);
	if (!active)
		goto out;
	cJSON_ReplaceItemInObjectCaseSensitive(root, "active", active);
	if (!cJSON_AddBoolToObject(root, "removed", was) ||
	    !cJSON_AddNumberToObject(root, "restored",
				     cs ? rtvm_changeset_get_count(cs) : 0))
		goto out;
	r = tool_print_json(root, true);
out:
	if (r == -ENOMEM)
		tool_error("out of memory");
	cJSON_Delete(root);
	return r;
}

static int cmd_destroy(struct rtvm_ctx *ctx, const struct opts *o)
{
	struct rtvm_shield_report *before = NULL;
	struct rtvm_changeset *cs = NULL;
	char *path = records_path(o, o->from);
	int r, ret = EXIT_FAILURE;

	if (!path)
		return EXIT_FAILURE;
	/* The records of --from, else of the state file when there is one:
	 * without records, what is in the shield goes to the scope. */
	r = tool_load_changes(ctx, path, &cs);
	if (r < 0 && (o->from || r != -ENOENT)) {
		tool_error("cannot load %s: %s", tool_escape(path, 0),
			   strerror(-r));
		goto out;
	}
	if (o->json) {
		r = rtvm_shield_status(ctx, o->scope, &before);
		if (r < 0) {
			tool_error("destroy: %s (nothing changed)", strerror(-r));
			goto out;
		}
	}
	if (o->dry_run && !o->json) {
		const struct rtvm_change *c;

		rtvm_changeset_foreach(c, cs)
			printf("would restore %s %s to \"%s\"\n",
			       rtvm_change_kind_to_string(rtvm_change_get_kind(c)),
			       tool_escape(rtvm_change_get_target(c), 0),
			       rtvm_change_get_old_value(c) ?
				       tool_escape(rtvm_change_get_old_value(c), 1) :
				       "(removed)");
	}
	r = rtvm_shield_destroy(ctx, o->scope, cs,
				o->dry_run ? RTVM_SHIELD_DRY_RUN : 0);
	if (r < 0) {
		tool_error("destroy: %s", strerror(-r));
		goto out;
	}
	if (!o->dry_run) {
		/* The shield is gone: records left in the state file (of
		 * adds after a create --save) are of nothing now. */
		char *state = tool_state_file(o->sysroot, "shield.json");

		if (state && unlink(state) < 0 && errno != ENOENT)
			tool_error("cannot remove %s: %s", tool_escape(state, 0),
				   strerror(errno));
		free(state);
	}
	if (o->json)
		r = print_destroy_json(before, o->dry_run, cs);
	else if (!o->dry_run)
		printf("shield removed\n");
	ret = r < 0 ? EXIT_FAILURE : 0;
out:
	rtvm_shield_report_free(before);
	rtvm_changeset_unref(cs);
	free(path);
	return ret;
}

int main(int argc, char **argv)
{
	struct opts o = { 0 };
	struct rtvm_ctx *ctx = NULL;
	int ret, r;

	if (parse_args(argc, argv, &o) < 0)
		return EXIT_USAGE;
	r = tool_new_ctx(o.sysroot, o.verbose, &ctx);
	if (r < 0)
		return r == -ENOMEM ? EXIT_FAILURE : EXIT_USAGE;
	if (strcmp(o.cmd, "create") == 0)
		ret = cmd_create(ctx, &o);
	else if (strcmp(o.cmd, "status") == 0)
		ret = cmd_status(ctx, &o);
	else if (strcmp(o.cmd, "add") == 0)
		ret = cmd_add(ctx, &o);
	else
		ret = cmd_destroy(ctx, &o);
	rtvm_unref(ctx);
	return ret;
}
