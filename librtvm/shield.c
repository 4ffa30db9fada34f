/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * CPU shields: a housekeeping cpuset for the host and an exclusive RT
 * cpuset (cgroup v1), or an isolated partition (cgroup v2), built inside a
 * scope cgroup ("/" for the whole host).  Everything is validated before
 * the first write, recorded in a changeset as it is done, and undone from
 * that changeset when a later step fails.
 */
#include "config.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "librtvm-private.h"

#define RT_NAME "rtvm-rt"
#define HK_NAME "rtvm-housekeeping"
/* Passes over the scope's tasks before giving up on a fork storm. */
#define MAX_ROUNDS 64

#define CREATE_FLAGS                                                       \
	(RTVM_SHIELD_DRY_RUN | RTVM_SHIELD_NO_KTHREADS |                   \
	 RTVM_SHIELD_NO_WORKQUEUE)

struct rtvm_shield_item {
	int kind;
	pid_t pid, tid;
	char *comm, *target, *old, *new, *reason;
};

struct rtvm_shield_report {
	bool active;
	int version;
	char *cgroup;
	struct rtvm_cpumask *rt, *hk;
	unsigned int rounds;
	struct rtvm_shield_item *items;
	unsigned int n, alloc;
};

/* What the shield needs to know about its hierarchy and scope. */
struct shield {
	struct rtvm_ctx *ctx;
	int version;
	const char *ctl;	/* "cpuset" (v1) or "" (v2) */
	char *scope;		/* "/" or "/a/b" */
	char *rt_path, *hk_path;
	struct rtvm_cpumask *rt, *hk, *scope_cpus;
	char mems[256];
	bool hk_default;	/* housekeeping: what the RT CPUs leave */
	unsigned int flags;
	struct rtvm_shield_report *rep;
	struct rtvm_changeset *cs; /* private: undone on failure */
};

static const char *const kind_names[] = {
	[RTVM_SHIELD_MOVED] = "moved",	     [RTVM_SHIELD_NOT_MOVED] = "not-moved",
	[RTVM_SHIELD_PER_CPU] = "per-cpu",   [RTVM_SHIELD_STRAY] = "stray",
	[RTVM_SHIELD_IN_RT] = "in-rt",	     [RTVM_SHIELD_CGROUP] = "cgroup",
	[RTVM_SHIELD_FILE] = "file",	     [RTVM_SHIELD_NOTE] = "note",
};

/* ---- the report ------------------------------------------------------- */

static int report_add(struct rtvm_shield_report *rep, int kind, pid_t pid,
		      pid_t tid, const char *comm, const char *target,
		      const char *old, const char *new, const char *reason)
{
	struct rtvm_shield_item *it;

	if (rep->n == rep->alloc) {
		unsigned int a = rep->alloc ? rep->alloc * 2 : 64;
		struct rtvm_shield_item *n = realloc(rep->items, a * sizeof(*n));

		if (!n)
			return -ENOMEM;
		rep->items = n;
		rep->alloc = a;
	}
	it = &rep->items[rep->n];
	*it = (struct rtvm_shield_item){ .kind = kind, .pid = pid, .tid = tid };
	if ((comm && !(it->comm = strdup(comm))) ||
	    (target && !(it->target = strdup(target))) ||
	    (old && !(it->old = strdup(old))) ||
	    (new && !(it->new = strdup(new))) ||
	    (reason && !(it->reason = strdup(reason)))) {
		free(it->comm);
		free(it->target);
		free(it->old);
		free(it->new);
		return -ENOMEM;
	}
	rep->n++;
	return 0;
}

RTVM_EXPORT struct rtvm_shield_report *
rtvm_shield_report_free(struct rtvm_shield_report *rep)
{
	if (!rep)
		return NULL;
	for (unsigned int i = 0; i < rep->n; i++) {
		struct rtvm_shield_item *it = &rep->items[i];

		free(it->comm);
		free(it->target);
		free(it->old);
		free(it->new);
		free(it->reason);
	}
	free(rep->items);
	free(rep->cgroup);
	rtvm_cpumask_free(rep->rt);
	rtvm_cpumask_free(rep->hk);
	free(rep);
	return NULL;
}

RTVM_EXPORT bool
rtvm_shield_report_is_active(const struct rtvm_shield_report *rep)
{
	return rep && rep->active;
}

RTVM_EXPORT int
rtvm_shield_report_get_cgroup_version(const struct rtvm_shield_report *rep)
{
	return rep ? rep->version : -EINVAL;
}

RTVM_EXPORT const char *
rtvm_shield_report_get_cgroup(const struct rtvm_shield_report *rep)
{
	return rep ? rep->cgroup : NULL;
}

RTVM_EXPORT const struct rtvm_cpumask *
rtvm_shield_report_get_rt_cpus(const struct rtvm_shield_report *rep)
{
	return rep ? rep->rt : NULL;
}

RTVM_EXPORT const struct rtvm_cpumask *
rtvm_shield_report_get_housekeeping(const struct rtvm_shield_report *rep)
{
	return rep ? rep->hk : NULL;
}

RTVM_EXPORT unsigned int
rtvm_shield_report_get_rounds(const struct rtvm_shield_report *rep)
{
	return rep ? rep->rounds : 0;
}

RTVM_EXPORT unsigned int
rtvm_shield_report_get_count(const struct rtvm_shield_report *rep, int kind)
{
	unsigned int n = 0;

	for (unsigned int i = 0; rep && i < rep->n; i++)
		if (kind < 0 || rep->items[i].kind == kind)
			n++;
	return n;
}

RTVM_EXPORT const struct rtvm_shield_item *
rtvm_shield_report_next(const struct rtvm_shield_report *rep,
			const struct rtvm_shield_item *prev)
{
	size_t i;

	if (!rep || !rep->n)
		return NULL;
	i = prev ? (size_t)(prev - rep->items) + 1 : 0;
	return i < rep->n ? &rep->items[i] : NULL;
}

RTVM_EXPORT int rtvm_shield_item_get_kind(const struct rtvm_shield_item *it)
{
	return it ? it->kind : -EINVAL;
}

RTVM_EXPORT const char *rtvm_shield_item_kind_to_string(int kind)
{
	if (kind < 0 || (size_t)kind >= ARRAY_SIZE(kind_names))
		return NULL;
	return kind_names[kind];
}

RTVM_EXPORT pid_t rtvm_shield_item_get_pid(const struct rtvm_shield_item *it)
{
	return it ? it->pid : -EINVAL;
}

RTVM_EXPORT pid_t rtvm_shield_item_get_tid(const struct rtvm_shield_item *it)
{
	return it ? it->tid : -EINVAL;
}

RTVM_EXPORT const char *
rtvm_shield_item_get_comm(const struct rtvm_shield_item *it)
{
	return it ? it->comm : NULL;
}

RTVM_EXPORT const char *
rtvm_shield_item_get_target(const struct rtvm_shield_item *it)
{
	return it ? it->target : NULL;
}

RTVM_EXPORT const char *
rtvm_shield_item_get_old(const struct rtvm_shield_item *it)
{
	return it ? it->old : NULL;
}

RTVM_EXPORT const char *
rtvm_shield_item_get_new(const struct rtvm_shield_item *it)
{
	return it ? it->new : NULL;
}

RTVM_EXPORT const char *
rtvm_shield_item_get_reason(const struct rtvm_shield_item *it)
{
	return it ? it->reason : NULL;
}

/* ---- small helpers ---------------------------------------------------- */

static void shield_clear(struct shield *s)
{
	free(s->scope);
	free(s->rt_path);
	free(s->hk_path);
	rtvm_cpumask_free(s->rt);
	rtvm_cpumask_free(s->hk);
	rtvm_cpumask_free(s->scope_cpus);
	rtvm_changeset_unref(s->cs);
	rtvm_shield_report_free(s->rep);
}

/* A child's path: "/" + "x" is "/x". */
static char *child_path(const char *parent, const char *name)
{
	char *p;

	if (asprintf(&p, "%s/%s", strcmp(parent, "/") == 0 ? "" : parent,
		     name) < 0)
		return NULL;
	return p;
}

/* "controller:/path", as change records name cgroups. */
static char *cg_name(const struct shield *s, const char *path)
{
	char *p;

	return asprintf(&p, "%s:%s", s->ctl, path) < 0 ? NULL : p;
}

static const char *mask_str(const struct rtvm_cpumask *m, char **keep)
{
	free(*keep);
	*keep = NULL;
	if (rtvm_cpumask_format_list(m, keep) < 0)
		return "?";
	return *keep;
}

/* A CPU list file of a cgroup, in a new mask; "" reads as empty. */
static int read_cpus(struct shield *s, const char *path, const char *file,
		     struct rtvm_cpumask **ret)
{
	char buf[4096];
	int r;

	r = rtvm_cgroup_read(s->ctx, s->ctl, path, file, buf, sizeof(buf));
	if (r < 0)
		return r;
	r = rtvm_cpumask_new(s->ctx, ret);
	if (r < 0)
		return r;
	r = rtvm_cpumask_parse_list(*ret, buf, RTVM_CPUMASK_ALLOW_EMPTY);
	if (r < 0) {
		err(s->ctx, "cgroup %s: cannot parse %s \"%s\"", path, file, buf);
		*ret = rtvm_cpumask_free(*ret);
	}
	return r;
}

static int write_list(struct shield *s, const char *path, const char *file,
		      const struct rtvm_cpumask *m)
{
	char *list;
	int r;

	r = rtvm_cpumask_format_list(m, &list);
	if (r < 0)
		return r;
	r = rtvm_cgroup_write(s->ctx, s->ctl, path, file, list);
	if (r < 0)
		err(s->ctx, "cgroup %s: cannot write %s \"%s\": %s", path, file,
		    list, strerror(-r));
	free(list);
	return r;
}

/* Write a control file and record its old value for undo. */
static int write_recorded(struct shield *s, const char *path,
			  const char *file, const char *old, const char *value)
{
	enum rtvm_fs fs;
	char *rel = NULL, *host = NULL;
	int r;

	r = rtvm_cgroup_dir(s->ctx, s->ctl, path, &fs, &rel);
	if (r < 0)
		return r;
	r = asprintf(&host, "%s/%s", rel, file) < 0 ? -ENOMEM : 0;
	free(rel);
	rel = NULL;
	if (r == 0)
		r = rtvm_fs_join_path(fs, host, &rel);
	free(host);
	if (r < 0)
		return r;
	/* An empty value ("inherit" in v2) is written as a lone newline:
	 * a write of no bytes may not reach the kernel's handler. */
	if (!*old)
		old = "\n";
	r = rtvm_changeset_add(s->cs, RTVM_CHANGE_FILE, rel, old, value);
	if (r == 0 && (r = rtvm_cgroup_write(s->ctx, s->ctl, path, file,
					     value)) < 0) {
		rtvm_changeset_pop(s->cs);
		err(s->ctx, "cgroup %s: cannot write %s \"%s\": %s", path, file,
		    value, strerror(-r));
	}
	free(rel);
	return r;
}

static int cmp_names(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The directories below a cgroup, as a NULL-terminated array of names. */
static int list_children(struct shield *s, const char *path, char ***ret)
{
	char **names = NULL;
	struct dirent *de;
	enum rtvm_fs fs;
	size_t n = 0;
	char *rel;
	DIR *d;
	int fd, r = 0;

	r = rtvm_cgroup_dir(s->ctx, s->ctl, path, &fs, &rel);
	if (r < 0)
		return r;
	fd = rtvm_fs_open_dir(s->ctx, fs, "%s", rel);
	free(rel);
	if (fd < 0)
		return fd;
	d = fdopendir(fd);
	if (!d) {
		close(fd);
		return -errno;
	}
	names = calloc(1, sizeof(*names));
	while (names && (de = readdir(d))) {
		struct stat st;
		char **nn;

		if (de->d_name[0] == '.' ||
		    fstatat(dirfd(d), de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0 ||
		    !S_ISDIR(st.st_mode))
			continue;
		nn = realloc(names, (n + 2) * sizeof(*nn));
		if (!nn) {
			r = -ENOMEM;
			break;
		}
		names = nn;
		names[n] = strdup(de->d_name);
		if (!names[n]) {
			r = -ENOMEM;
			break;
		}
		names[++n] = NULL;
	}
	closedir(d);
	if (!names)
		return -ENOMEM;
	if (r == 0)
		qsort(names, n, sizeof(*names), cmp_names);
	if (r < 0) {
		for (size_t i = 0; i < n; i++)
			free(names[i]);
		free(names);
		return r;
	}
	*ret = names;
	return 0;
}

static void free_names(char **names)
{
	for (size_t i = 0; names && names[i]; i++)
		free(names[i]);
	free(names);
}

static bool cgroup_exists(struct shield *s, const char *path)
{
	char buf[64];

	return rtvm_cgroup_read(s->ctx, s->ctl, path, "cgroup.procs", buf,
				sizeof(buf)) != -ENOENT;
}

/* ---- finding the hierarchy and the scope ------------------------------- */

static int find_hierarchy(struct shield *s)
{
	char buf[1024], *mnt = NULL;
	int r;

	r = rtvm_cgroup_mount_point(s->ctx, "cpuset", &mnt);
	if (r == 0) {
		free(mnt);
		s->version = 1;
		s->ctl = "cpuset";
		return 0;
	}
	r = rtvm_cgroup_mount_point(s->ctx, "", &mnt);
	if (r < 0) {
		err(s->ctx, "no cpuset controller: neither a cgroup v1 cpuset "
			    "hierarchy nor cgroup v2 is mounted");
		return -ENODEV;
	}
	free(mnt);
	s->version = 2;
	s->ctl = "";
	r = rtvm_cgroup_read(s->ctx, "", "/", "cgroup.controllers", buf,
			     sizeof(buf));
	if (r < 0 || !strstr(buf, "cpuset")) {
		err(s->ctx, "no cpuset controller: cgroup v2 root lists "
			    "controllers \"%s\"",
		    r < 0 ? "?" : buf);
		return -ENODEV;
	}
	return 0;
}

/* Normalize and check the scope; read its CPUs and mems. */
static int find_scope(struct shield *s, const char *scope)
{
	char buf[1024];
	size_t len;
	int r;

	if (!scope || !*scope)
		scope = "/";
	len = strlen(scope);
	if (scope[0] != '/' || strstr(scope, "/..") || strstr(scope, "//") ||
	    strchr(scope, '\n')) {
		err(s->ctx, "bad scope cgroup \"%s\": an absolute path without "
			    "\"..\" is needed",
		    scope);
		return -EINVAL;
	}
	s->scope = strndup(scope, len > 1 && scope[len - 1] == '/' ? len - 1 :
								       len);
	if (!s->scope)
		return -ENOMEM;
	s->rt_path = child_path(s->scope, RT_NAME);
	s->hk_path = child_path(s->scope, HK_NAME);
	if (!s->rt_path || !s->hk_path)
		return -ENOMEM;
	r = read_cpus(s, s->scope,
		      s->version == 1 ? "cpuset.cpus" : "cpuset.cpus.effective",
		      &s->scope_cpus);
	if (r == -ENOENT) {
		err(s->ctx, "scope cgroup %s:%s does not exist", s->ctl,
		    s->scope);
		return r;
	}
	if (r < 0)
		return r;
	if (s->version == 1) {
		r = rtvm_cgroup_read(s->ctx, s->ctl, s->scope, "cpuset.mems",
				     s->mems, sizeof(s->mems));
		if (r < 0)
			return r;
	} else {
		r = rtvm_cgroup_read(s->ctx, "", s->scope,
				     "cgroup.subtree_control", buf, sizeof(buf));
		if (r < 0)
			return r;
		if (!strstr(buf, "cpuset")) {
			err(s->ctx, "cgroup v2: the cpuset controller is not "
				    "enabled below %s (cgroup.subtree_control "
				    "\"%s\")",
			    s->scope, buf);
			return -EOPNOTSUPP;
		}
	}
	return 0;
}

/* ---- validation ------------------------------------------------------- */

static int check_masks(struct shield *s, const struct rtvm_cpumask *rt,
		       const struct rtvm_cpumask *hk)
{
	struct rtvm_cpumask *both = NULL;
	char *keep = NULL;
	int r;

	if (rtvm_cpumask_weight(rt) == 0) {
		err(s->ctx, "the RT CPU mask is empty");
		return -EINVAL;
	}
	if ((r = rtvm_cpumask_new(s->ctx, &s->rt)) < 0 ||
	    (r = rtvm_cpumask_op(s->rt, RTVM_CPUMASK_COPY, rt)) < 0)
		goto bad_cpu;
	r = rtvm_cpus_check_online(s->ctx, s->rt);
	if (r < 0) {
		err(s->ctx, "RT CPUs %s: not all online", mask_str(rt, &keep));
		goto out;
	}
	if (hk) {
		if (rtvm_cpumask_weight(hk) == 0) {
			err(s->ctx, "the housekeeping CPU mask is empty");
			r = -EINVAL;
			goto out;
		}
		if ((r = rtvm_cpumask_new(s->ctx, &s->hk)) < 0 ||
		    (r = rtvm_cpumask_op(s->hk, RTVM_CPUMASK_COPY, hk)) < 0)
			goto bad_cpu;
		r = rtvm_cpus_check_online(s->ctx, s->hk);
		if (r < 0) {
			err(s->ctx, "housekeeping CPUs %s: not all online",
			    mask_str(hk, &keep));
			goto out;
		}
		if (rtvm_cpumask_intersects(s->rt, s->hk)) {
			r = rtvm_cpumask_dup(s->rt, &both);
			if (r == 0)
				rtvm_cpumask_op(both, RTVM_CPUMASK_AND, s->hk);
			err(s->ctx, "RT and housekeeping CPUs overlap on %s",
			    both ? mask_str(both, &keep) : "?");
			r = -EINVAL;
			goto out;
		}
	} else {
		r = rtvm_ctx_online_cpus(s->ctx, &s->hk);
		if (r < 0)
			goto out;
		s->hk_default = true;
		rtvm_cpumask_op(s->hk, RTVM_CPUMASK_ANDNOT, s->rt);
		if (rtvm_cpumask_weight(s->hk) == 0) {
			err(s->ctx, "no housekeeping CPU left: every online CPU "
				    "is in the RT CPUs %s",
			    mask_str(rt, &keep));
			r = -EINVAL;
			goto out;
		}
	}
	r = 0;
	goto out;
bad_cpu:
	/* A mask wider than the host: its high CPUs do not exist. */
	err(s->ctx, "CPUs %s: some do not exist on this host (%u possible)",
	    mask_str(hk && s->rt ? hk : rt, &keep),
	    s->rt ? rtvm_cpumask_nr_cpus(s->rt) : 0);
	r = -EINVAL;
out:
	rtvm_cpumask_free(both);
	free(keep);
	return r;
}

static int check_scope_cpus(struct shield *s)
{
	struct rtvm_cpumask *need = NULL;
	char *a = NULL, *b = NULL;
	int r;

	/* By default, housekeeping is what the scope has besides the RT
	 * CPUs, not every online CPU: a scope may hold fewer. */
	if (s->hk_default) {
		rtvm_cpumask_op(s->hk, RTVM_CPUMASK_AND, s->scope_cpus);
		if (rtvm_cpumask_weight(s->hk) == 0) {
			err(s->ctx, "no housekeeping CPU left: scope cgroup "
				    "%s:%s has only CPUs %s",
			    s->ctl, s->scope, mask_str(s->scope_cpus, &a));
			free(a);
			return -EINVAL;
		}
	}
	r = rtvm_cpumask_dup(s->rt, &need);
	if (r < 0)
		return r;
	rtvm_cpumask_op(need, RTVM_CPUMASK_OR, s->hk);
	if (!rtvm_cpumask_subset(need, s->scope_cpus)) {
		rtvm_cpumask_op(need, RTVM_CPUMASK_ANDNOT, s->scope_cpus);
		err(s->ctx, "CPUs %s are not in scope cgroup %s:%s (CPUs %s)",
		    mask_str(need, &a), s->ctl, s->scope,
		    mask_str(s->scope_cpus, &b));
		r = -EINVAL;
	}
	rtvm_cpumask_free(need);
	free(a);
	free(b);
	return r;
}

/* A cpuset to narrow: children come before their parents in the list. */
struct narrow {
	char *path;
	char *old, *new;
};

struct narrow_list {
	struct narrow *v;
	size_t n;
};

static void narrow_free(struct narrow_list *l)
{
	for (size_t i = 0; i < l->n; i++) {
		free(l->v[i].path);
		free(l->v[i].old);
		free(l->v[i].new);
	}
	free(l->v);
}

static int narrow_add(struct narrow_list *l, const char *path,
		      const struct rtvm_cpumask *old,
		      const struct rtvm_cpumask *new)
{
	struct narrow *v = realloc(l->v, (l->n + 1) * sizeof(*v));
	int r;

	if (!v)
		return -ENOMEM;
	l->v = v;
	v = &l->v[l->n];
	*v = (struct narrow){ .path = strdup(path) };
	r = v->path ? 0 : -ENOMEM;
	if (r == 0)
		r = rtvm_cpumask_format_list(old, &v->old);
	if (r == 0)
		r = rtvm_cpumask_format_list(new, &v->new);
	l->n++; /* freed by narrow_free() either way */
	return r;
}

/* v1: walk a cpuset subtree, children first, noting cpusets that use RT
 * CPUs.  @top says whether @path is a sibling of the RT cpuset, where
 * exclusivity matters. */
static int plan_v1_subtree(struct shield *s, const char *path,
			   unsigned int depth, struct narrow_list *l)
{
	struct rtvm_cpumask *cpus = NULL, *new = NULL;
	char **kids = NULL, buf[16], *a = NULL;
	bool top = depth == 1;
	int r;

	r = list_children(s, path, &kids);
	for (size_t i = 0; r == 0 && kids[i]; i++) {
		char *p = child_path(path, kids[i]);

		r = p ? plan_v1_subtree(s, p, depth + 1, l) : -ENOMEM;
		free(p);
	}
	free_names(kids);
	/* The scope itself is not narrowed: only what is below it. */
	if (r < 0 || depth == 0)
		return r;
	r = read_cpus(s, path, "cpuset.cpus", &cpus);
	if (r < 0)
		return r;
	if (!rtvm_cpumask_intersects(cpus, s->rt))
		goto out;
	if (top && rtvm_cgroup_read(s->ctx, s->ctl, path, "cpuset.cpu_exclusive",
				    buf, sizeof(buf)) >= 0 &&
	    strcmp(buf, "1") == 0) {
		err(s->ctx, "cpuset %s is cpu_exclusive on CPUs %s, which "
			    "overlap the RT CPUs",
		    path, mask_str(cpus, &a));
		r = -EBUSY;
		goto out;
	}
	r = rtvm_cpumask_dup(cpus, &new);
	if (r < 0)
		goto out;
	rtvm_cpumask_op(new, RTVM_CPUMASK_ANDNOT, s->rt);
	if (rtvm_cpumask_weight(new) == 0) {
		err(s->ctx, "cpuset %s runs only on RT CPUs (%s) and cannot be "
			    "narrowed to housekeeping: move its tasks or remove "
			    "it first",
		    path, mask_str(cpus, &a));
		r = -EBUSY;
		goto out;
	}
	r = narrow_add(l, path, cpus, new);
out:
	rtvm_cpumask_free(cpus);
	rtvm_cpumask_free(new);
	free(a);
	return r;
}

static bool is_systemd_unit(const char *name)
{
	return strcmp(name, "system.slice") == 0 ||
	       strcmp(name, "user.slice") == 0 ||
	       strcmp(name, "init.scope") == 0;
}

/* v2: siblings of the partition.  Explicit CPUs overlapping the RT CPUs
 * are narrowed; systemd's slices get housekeeping whatever they had. */
static int plan_v2_siblings(struct shield *s, struct narrow_list *l)
{
	char **kids = NULL, buf[256], *a = NULL;
	int r;

	r = list_children(s, s->scope, &kids);
	for (size_t i = 0; r == 0 && kids[i]; i++) {
		struct rtvm_cpumask *cpus = NULL, *excl = NULL, *new = NULL;
		char *p = child_path(s->scope, kids[i]);

		if (!p) {
			r = -ENOMEM;
			break;
		}
		if (strcmp(kids[i], RT_NAME) == 0)
			goto next;
		r = read_cpus(s, p, "cpuset.cpus", &cpus);
		if (r == -ENOENT) { /* cpuset not enabled here: inherits */
			r = 0;
			goto next;
		}
		if (r < 0)
			goto next;
		if (read_cpus(s, p, "cpuset.cpus.exclusive", &excl) == 0 &&
		    rtvm_cpumask_intersects(excl, s->rt)) {
			err(s->ctx, "cgroup %s holds CPUs %s exclusively, which "
				    "overlap the RT CPUs",
			    p, mask_str(excl, &a));
			r = -EBUSY;
			goto next;
		}
		if (rtvm_cgroup_read(s->ctx, "", p, "cpuset.cpus.partition", buf,
				     sizeof(buf)) >= 0 &&
		    strncmp(buf, "member", 6) != 0) {
			struct rtvm_cpumask *eff = NULL;

			if (read_cpus(s, p, "cpuset.cpus.effective", &eff) == 0 &&
			    rtvm_cpumask_intersects(eff, s->rt)) {
				err(s->ctx, "cgroup %s is a %s partition on CPUs "
					    "%s, which overlap the RT CPUs",
				    p, buf, mask_str(eff, &a));
				r = -EBUSY;
			}
			rtvm_cpumask_free(eff);
			if (r < 0)
				goto next;
		}
		if (is_systemd_unit(kids[i])) {
			if (!rtvm_cpumask_equal(cpus, s->hk))
				r = narrow_add(l, p, cpus, s->hk);
			goto next;
		}
		if (!rtvm_cpumask_intersects(cpus, s->rt))
			goto next;
		r = rtvm_cpumask_dup(cpus, &new);
		if (r < 0)
			goto next;
		rtvm_cpumask_op(new, RTVM_CPUMASK_ANDNOT, s->rt);
		if (rtvm_cpumask_weight(new) == 0) {
			err(s->ctx, "cgroup %s runs only on RT CPUs (%s) and "
				    "cannot be narrowed to housekeeping",
			    p, mask_str(cpus, &a));
			r = -EBUSY;
			goto next;
		}
		r = narrow_add(l, p, cpus, new);
next:
		rtvm_cpumask_free(cpus);
		rtvm_cpumask_free(excl);
		rtvm_cpumask_free(new);
		free(p);
	}
	free_names(kids);
	free(a);
	return r;
}

/* ---- moving tasks (v1) ------------------------------------------------ */

/* Tids never to try again: per-CPU kthreads, refusals. */
struct tidset {
	pid_t *v;
	size_t n, alloc;
};

static bool tidset_has(const struct tidset *t, pid_t tid)
{
	for (size_t i = 0; i < t->n; i++)
		if (t->v[i] == tid)
			return true;
	return false;
}

static int tidset_add(struct tidset *t, pid_t tid)
{
	if (t->n == t->alloc) {
		size_t a = t->alloc ? t->alloc * 2 : 64;
		pid_t *v = realloc(t->v, a * sizeof(*v));

		if (!v)
			return -ENOMEM;
		t->v = v;
		t->alloc = a;
	}
	t->v[t->n++] = tid;
	return 0;
}

/*
 * Moves go in batches (group commit): the records of up to BATCH tasks
 * first, then one commit that makes them durable in a journal on the
 * context, then the moves.  A move that fails drops its records.
 */
#define BATCH 256

struct move {
	const struct rtvm_thread *t;
	struct rtvm_change *aff, *att; /* its records; aff NULL: not pinned */
	struct rtvm_cpumask *keep;     /* NULL: no affinity to set after */
};

struct moves {
	struct move v[BATCH];
	unsigned int n, next; /* next: the first not moved yet */
};

/* Record the move of one thread of the scope to housekeeping: its cgroup
 * and, when it was pinned more narrowly than its cpuset, its affinity. */
static int move_record(struct shield *s, struct moves *b,
		       const struct rtvm_thread *t, const char *from,
		       const char *to)
{
	struct rtvm_tid id = { rtvm_thread_get_pid(t), rtvm_thread_get_tid(t) };
	struct move *m = &b->v[b->n];
	struct rtvm_cpumask *aff = NULL, *keep = NULL;
	char *target = NULL, *oldl = NULL, *newl = NULL;
	bool pinned;
	int r;

	*m = (struct move){ .t = t };
	/* The scan read the affinity a moment ago: no second system call
	 * per task unless it could not. */
	if (rtvm_thread_get_affinity(t))
		r = rtvm_cpumask_dup(rtvm_thread_get_affinity(t), &aff);
	else if ((r = rtvm_cpumask_new(s->ctx, &aff)) == 0)
		r = rtvm_sys_affinity_get(s->ctx, id, aff);
	if (r == 0)
		r = rtvm_thread_target_format(id, rtvm_thread_get_start_time(t),
					      &target);
	if (r < 0)
		goto out;
	pinned = !rtvm_cpumask_equal(aff, s->scope_cpus);
	if (pinned) {
		/* Older than the move, so that undo moves back first and
		 * then re-pins. */
		r = rtvm_cpumask_dup(aff, &keep);
		if (r == 0) {
			rtvm_cpumask_op(keep, RTVM_CPUMASK_AND, s->hk);
			if (rtvm_cpumask_weight(keep) == 0)
				rtvm_cpumask_op(keep, RTVM_CPUMASK_OR, s->hk);
			r = rtvm_cpumask_format_list(aff, &oldl);
		}
		if (r == 0)
			r = rtvm_cpumask_format_list(keep, &newl);
		if (r == 0)
			r = rtvm_changeset_add(s->cs,
					       RTVM_CHANGE_THREAD_AFFINITY,
					       target, oldl, newl);
		if (r < 0)
			goto out;
		m->aff = rtvm_changeset_last(s->cs);
	}
	r = rtvm_changeset_add(s->cs, RTVM_CHANGE_CGROUP_ATTACH, target, from,
			       to);
	if (r < 0) {
		rtvm_changeset_drop(s->cs, m->aff);
		goto out;
	}
	m->att = rtvm_changeset_last(s->cs);
	if (pinned && !rtvm_cpumask_equal(keep, s->hk)) {
		m->keep = keep;
		keep = NULL;
	}
	b->n++;
out:
	rtvm_cpumask_free(aff);
	rtvm_cpumask_free(keep);
	free(target);
	free(oldl);
	free(newl);
	return r;
}

/* Forget the moves of @b not made: their records go. */
static void moves_drop(struct shield *s, struct moves *b)
{
	while (b->n > b->next) {
		struct move *m = &b->v[--b->n];

		rtvm_changeset_drop(s->cs, m->att);
		rtvm_changeset_drop(s->cs, m->aff);
		rtvm_cpumask_free(m->keep);
	}
	b->n = b->next = 0;
}

/* Make the next move of @b, recorded and committed: 0, or the error of
 * the attach with the move's records dropped. */
static int move_one(struct shield *s, struct moves *b, const char *from,
		    const char *to)
{
	struct move *m = &b->v[b->next++];
	const struct rtvm_thread *t = m->t;
	struct rtvm_tid id = { rtvm_thread_get_pid(t), rtvm_thread_get_tid(t) };
	int r;

	r = rtvm_sys_cgroup_attach(s->ctx, id, s->ctl, s->hk_path);
	if (r < 0) {
		rtvm_changeset_drop(s->cs, m->att);
		rtvm_changeset_drop(s->cs, m->aff);
	} else {
		if (m->keep)
			rtvm_sys_affinity_set(s->ctx, id, m->keep);
		rtvm_changeset_made(s->cs);
		r = report_add(s->rep, RTVM_SHIELD_MOVED, id.pid, id.tid,
			       rtvm_thread_get_comm(t), to, from, NULL,
			       m->aff ? "pinned: keeps its CPUs on housekeeping" :
					NULL);
	}
	rtvm_cpumask_free(m->keep);
	m->keep = NULL;
	return r;
}

/* Whether every tid in the scope's tasks file is one not to move: then
 * the scope is clean and no new scan is needed. */
static int scope_settled(struct shield *s, const struct tidset *skip)
{
	enum rtvm_fs fs;
	char *rel, *text = NULL, *save = NULL;
	bool settled = true;
	int r;

	r = rtvm_cgroup_dir(s->ctx, s->ctl, s->scope, &fs, &rel);
	if (r < 0)
		return r;
	r = rtvm_fs_read_alloc(s->ctx, fs, &text, "%s/tasks", rel);
	free(rel);
	if (r < 0)
		return r;
	for (char *tok = strtok_r(text, "\n", &save); tok && settled;
	     tok = strtok_r(NULL, "\n", &save))
		if (!tidset_has(skip, atoi(tok)))
			settled = false;
	free(text);
	return settled;
}

static const char *refusal(int err)
{
	switch (err) {
	case EINVAL:
		return "the kernel refused to move it (a bound kernel thread)";
	case EPERM:
	case EACCES:
		return "not permitted";
	case ENOSPC:
		return "the target cpuset has no CPUs or mems";
	default:
		return strerror(err);
	}
}

/* Commit the records of @b and make its moves.  A thread that exited
 * meanwhile is skipped, one the kernel refuses is reported and never
 * tried again; any other error stops the moves (those not made are
 * dropped by the caller). */
static int moves_run(struct shield *s, struct moves *b, struct tidset *skip,
		     unsigned int *moved, const char *from, const char *to)
{
	int r = rtvm_changeset_commit(s->cs);

	while (r == 0 && b->next < b->n) {
		const struct rtvm_thread *t = b->v[b->next].t;
		pid_t tid = rtvm_thread_get_tid(t);

		r = move_one(s, b, from, to);
		if (r == 0) {
			(*moved)++;
		} else if (r == -ESRCH || r == -ENOENT) {
			r = 0; /* exited meanwhile */
		} else if (r == -EINVAL) {
			if ((r = tidset_add(skip, tid)) == 0)
				r = report_add(s->rep, RTVM_SHIELD_NOT_MOVED,
					       rtvm_thread_get_pid(t), tid,
					       rtvm_thread_get_comm(t), to, from,
					       NULL, refusal(EINVAL));
		} else {
			err(s->ctx, "cannot move thread %d (%s) to %s: %s", tid,
			    rtvm_thread_get_comm(t), to, strerror(-r));
		}
	}
	if (r == 0)
		b->n = b->next = 0;
	return r;
}

static int move_tasks(struct shield *s, bool dry)
{
	struct tidset skip = { 0 };
	struct moves *b = calloc(1, sizeof(*b));
	struct rtvm_host *host = NULL;
	char *keep = NULL, *from = NULL, *to = NULL;
	const struct rtvm_thread *t;
	int r = 0;

	from = cg_name(s, s->scope);
	to = cg_name(s, s->hk_path);
	if (!from || !to || !b) {
		r = -ENOMEM;
		goto out;
	}
	if (!dry)
		rtvm_changeset_batch(s->cs, true);
	for (unsigned int round = 1; round <= MAX_ROUNDS; round++) {
		unsigned int moved = 0;

		s->rep->rounds = round;
		if (round > 1) {
			r = scope_settled(s, &skip);
			if (r < 0)
				goto out;
			if (r) {
				r = 0;
				break;
			}
		}
		host = rtvm_host_unref(host);
		r = rtvm_host_new(s->ctx,
				  RTVM_HOST_THREADS | RTVM_HOST_THREAD_CGROUPS |
					  RTVM_HOST_THREAD_AFFINITY,
				  &host);
		if (r < 0)
			goto out;
		rtvm_host_foreach_thread(t, host) {
			const char *cg = rtvm_thread_get_cgroup(t, "cpuset");
			pid_t tid = rtvm_thread_get_tid(t);
			const char *why = NULL;

			if (!cg || strcmp(cg, s->scope) != 0 ||
			    tidset_has(&skip, tid))
				continue;
			if (rtvm_thread_is_per_cpu(t)) {
				const struct rtvm_cpumask *a =
					rtvm_thread_get_affinity(t);

				if ((r = tidset_add(&skip, tid)) < 0)
					goto out;
				if (a && rtvm_cpumask_intersects(a, s->rt) &&
				    (r = report_add(s->rep, RTVM_SHIELD_PER_CPU,
						    rtvm_thread_get_pid(t), tid,
						    rtvm_thread_get_comm(t), cg,
						    mask_str(a, &keep), NULL,
						    "per-CPU kernel thread: "
						    "stays on its CPU")) < 0)
					goto out;
				continue;
			}
			if (rtvm_thread_is_kthread(t) &&
			    (s->flags & RTVM_SHIELD_NO_KTHREADS))
				why = "unbound kernel thread, left by request";
			if (!why && dry) {
				if ((r = tidset_add(&skip, tid)) < 0 ||
				    (r = report_add(s->rep, RTVM_SHIELD_MOVED,
						    rtvm_thread_get_pid(t), tid,
						    rtvm_thread_get_comm(t), to,
						    from, NULL, "dry run")) < 0)
					goto out;
				continue;
			}
			if (!why) {
				r = move_record(s, b, t, from, to);
				if (r == 0 && b->n == BATCH)
					r = moves_run(s, b, &skip, &moved,
						      from, to);
				if (r < 0)
					goto out;
				continue;
			}
			if ((r = tidset_add(&skip, tid)) < 0 ||
			    (r = report_add(s->rep, RTVM_SHIELD_NOT_MOVED,
					    rtvm_thread_get_pid(t), tid,
					    rtvm_thread_get_comm(t), to, from,
					    NULL, why)) < 0)
				goto out;
		}
		if (dry)
			break;
		r = moves_run(s, b, &skip, &moved, from, to);
		if (r < 0)
			goto out;
		if (moved == 0 && round > 1)
			break;
		if (round == MAX_ROUNDS) {
			err(s->ctx, "tasks keep appearing in %s after %u passes "
				    "(a fork storm?)",
			    from, round);
			r = -EAGAIN;
		}
	}
out:
	if (b) {
		int r2;

		moves_drop(s, b);
		r2 = rtvm_changeset_batch(s->cs, false);
		if (r == 0)
			r = r2;
	}
	free(b);
	rtvm_host_unref(host);
	free(skip.v);
	free(keep);
	free(from);
	free(to);
	return r;
}

/* ---- host-wide masks -------------------------------------------------- */

static int set_mask_file(struct shield *s, const char *rel, bool dry)
{
	char old[1024], *hex = NULL, *host = NULL;
	struct rtvm_cpumask *cur = NULL;
	int r;

	r = rtvm_fs_read(s->ctx, RTVM_FS_SYS, old, sizeof(old), "%s", rel);
	if (r == -ENOENT)
		return 0;
	if (r < 0)
		return r;
	rtvm_strip(old);
	if ((r = rtvm_cpumask_format_hex(s->hk, &hex)) < 0 ||
	    (r = rtvm_fs_join_path(RTVM_FS_SYS, rel, &host)) < 0 ||
	    (r = rtvm_cpumask_new(s->ctx, &cur)) < 0)
		goto out;
	if (rtvm_cpumask_parse_hex(cur, old, 0) == 0 &&
	    rtvm_cpumask_equal(cur, s->hk))
		goto out;
	if (!dry) {
		r = rtvm_changeset_add(s->cs, RTVM_CHANGE_FILE, host, old, hex);
		if (r < 0)
			goto out;
		r = rtvm_fs_write(s->ctx, RTVM_FS_SYS, hex, "%s", rel);
		if (r < 0) {
			rtvm_changeset_pop(s->cs);
			err(s->ctx, "cannot write %s to %s: %s", hex, host,
			    strerror(-r));
			goto out;
		}
	}
	r = report_add(s->rep, RTVM_SHIELD_FILE, 0, 0, NULL, host, old, hex,
		       dry ? "dry run" : NULL);
out:
	rtvm_cpumask_free(cur);
	free(hex);
	free(host);
	return r;
}

/* The unbound workqueue mask first: per-workqueue masks must meet it. */
static int set_workqueues(struct shield *s, bool dry)
{
	struct dirent *de;
	DIR *d;
	int fd, r;

	r = set_mask_file(s, "devices/virtual/workqueue/cpumask", dry);
	if (r < 0)
		return r;
	fd = rtvm_fs_open_dir(s->ctx, RTVM_FS_SYS, "devices/virtual/workqueue");
	if (fd == -ENOENT)
		return 0;
	if (fd < 0)
		return fd;
	d = fdopendir(fd);
	if (!d) {
		close(fd);
		return -errno;
	}
	while (r == 0 && (de = readdir(d))) {
		char rel[512];
		struct stat st;

		if (de->d_name[0] == '.' ||
		    fstatat(dirfd(d), de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0 ||
		    !S_ISDIR(st.st_mode))
			continue;
		snprintf(rel, sizeof(rel), "devices/virtual/workqueue/%s/cpumask",
			 de->d_name);
		r = set_mask_file(s, rel, dry);
	}
	closedir(d);
	return r;
}

/* ---- creating --------------------------------------------------------- */

/* A dry run says which cgroups it would make, as notes. */
static int plan_notes(struct shield *s)
{
	char *rt = NULL, *hk = NULL, *name = NULL, *why = NULL;
	int r = -ENOMEM;

	if (rtvm_cpumask_format_list(s->rt, &rt) < 0 ||
	    rtvm_cpumask_format_list(s->hk, &hk) < 0)
		goto out;
	if (s->version == 1) {
		if (!(name = cg_name(s, s->hk_path)) ||
		    asprintf(&why, "dry run: would be made with CPUs %s and "
				   "take the scope's tasks", hk) < 0)
			goto out;
		r = report_add(s->rep, RTVM_SHIELD_NOTE, 0, 0, NULL, name, NULL,
			       hk, why);
		free(name);
		free(why);
		name = why = NULL;
		if (r < 0)
			goto out;
		r = -ENOMEM;
	}
	if (!(name = cg_name(s, s->rt_path)) ||
	    asprintf(&why, "dry run: would be made with CPUs %s, %s", rt,
		     s->version == 1 ? "without load balancing" :
				       "an isolated partition") < 0)
		goto out;
	r = report_add(s->rep, RTVM_SHIELD_NOTE, 0, 0, NULL, name, NULL, rt,
		       why);
out:
	free(rt);
	free(hk);
	free(name);
	free(why);
	return r;
}

static int make_cgroup(struct shield *s, const char *path)
{
	char *name = cg_name(s, path);
	int r;

	if (!name)
		return -ENOMEM;
	/* Recorded first: a journal on the context has seen the intent. */
	r = rtvm_changeset_add(s->cs, RTVM_CHANGE_CGROUP_CREATE, name, NULL,
			       NULL);
	if (r == 0 && (r = rtvm_cgroup_mkdir(s->ctx, s->ctl, path)) < 0) {
		rtvm_changeset_pop(s->cs);
		err(s->ctx, "cannot create cgroup %s: %s", name, strerror(-r));
	}
	free(name);
	return r;
}

static int apply_narrow(struct shield *s, const struct narrow_list *l,
			bool dry)
{
	int r = 0;

	for (size_t i = 0; r == 0 && i < l->n; i++) {
		char *name = cg_name(s, l->v[i].path);

		if (!name)
			return -ENOMEM;
		if (!dry)
			r = write_recorded(s, l->v[i].path, "cpuset.cpus",
					   l->v[i].old, l->v[i].new);
		if (r == 0)
			r = report_add(s->rep, RTVM_SHIELD_CGROUP, 0, 0, NULL,
				       name, l->v[i].old, l->v[i].new,
				       dry ? "dry run" : "narrowed to "
							 "housekeeping CPUs");
		free(name);
	}
	return r;
}

static int create_v1(struct shield *s)
{
	char buf[16];
	int r;

	if ((r = make_cgroup(s, s->hk_path)) < 0 ||
	    (r = write_list(s, s->hk_path, "cpuset.cpus", s->hk)) < 0 ||
	    (r = rtvm_cgroup_write(s->ctx, s->ctl, s->hk_path, "cpuset.mems",
				   s->mems)) < 0)
		return r;
	if ((r = make_cgroup(s, s->rt_path)) < 0 ||
	    (r = write_list(s, s->rt_path, "cpuset.cpus", s->rt)) < 0 ||
	    (r = rtvm_cgroup_write(s->ctx, s->ctl, s->rt_path, "cpuset.mems",
				   s->mems)) < 0)
		return r;
	/* v1 allows an exclusive cpuset only below an exclusive parent; a
	 * scope is never changed from inside, so there it stays shared. */
	r = rtvm_cgroup_read(s->ctx, s->ctl, s->scope, "cpuset.cpu_exclusive",
			     buf, sizeof(buf));
	if (r < 0)
		return r;
	if (strcmp(buf, "1") != 0) {
		char *name = cg_name(s, s->rt_path);

		r = name ? report_add(s->rep, RTVM_SHIELD_NOTE, 0, 0, NULL, name,
				      NULL, NULL,
				      "not cpu_exclusive: the scope is not "
				      "exclusive") :
			   -ENOMEM;
		free(name);
		if (r < 0)
			return r;
	} else {
		r = rtvm_cgroup_write(s->ctx, s->ctl, s->rt_path,
				      "cpuset.cpu_exclusive", "1");
		if (r < 0) {
			err(s->ctx, "cpuset %s: the kernel refused "
				    "cpu_exclusive: %s%s",
			    s->rt_path, strerror(-r),
			    r == -EINVAL ? " (another cpuset of the scope "
					   "overlaps its CPUs)" :
					   "");
			return r == -EINVAL ? -EBUSY : r;
		}
	}
	r = rtvm_cgroup_write(s->ctx, s->ctl, s->rt_path,
			      "cpuset.sched_load_balance", "0");
	if (r < 0)
		return r;
	/* The RT CPUs leave the scheduler's balancing only when the scope
	 * stops balancing across all of its CPUs. */
	r = rtvm_cgroup_read(s->ctx, s->ctl, s->scope,
			     "cpuset.sched_load_balance", buf, sizeof(buf));
	if (r >= 0 && strcmp(buf, "0") != 0)
		r = write_recorded(s, s->scope, "cpuset.sched_load_balance", buf,
				   "0");
	return r < 0 ? r : 0;
}

/* Turn "isolated invalid (reason)" into an error naming the reason. */
static int check_partition(struct shield *s, const char *want)
{
	char buf[512];
	int r;

	r = rtvm_cgroup_read(s->ctx, "", s->rt_path, "cpuset.cpus.partition",
			     buf, sizeof(buf));
	if (r < 0)
		return r;
	if (strcmp(buf, want) == 0)
		return 0;
	err(s->ctx, "cgroup %s: the kernel made the partition \"%s\", not "
		    "\"%s\"",
	    s->rt_path, buf, want);
	return -EINVAL;
}

static int create_v2(struct shield *s)
{
	const char *type = "isolated";
	bool has_excl;
	char buf[64];
	int r;

	if ((r = make_cgroup(s, s->rt_path)) < 0 ||
	    (r = write_list(s, s->rt_path, "cpuset.cpus", s->rt)) < 0)
		return r;
	has_excl = rtvm_cgroup_read(s->ctx, "", s->rt_path,
				    "cpuset.cpus.exclusive", buf,
				    sizeof(buf)) >= 0;
	if (has_excl) {
		r = write_list(s, s->rt_path, "cpuset.cpus.exclusive", s->rt);
		if (r < 0)
			return r == -EINVAL ? -EBUSY : r;
	}
	r = rtvm_cgroup_write(s->ctx, "", s->rt_path, "cpuset.cpus.partition",
			      type);
	if (r == -EINVAL) {
		/* Kernels before 6.2 know only "root" partitions. */
		info(s->ctx, "cgroup %s: no isolated partitions here, using "
			     "\"root\"",
		     s->rt_path);
		type = "root";
		r = rtvm_cgroup_write(s->ctx, "", s->rt_path,
				      "cpuset.cpus.partition", type);
	}
	if (r < 0) {
		err(s->ctx, "cgroup %s: cannot make it a partition: %s",
		    s->rt_path, strerror(-r));
		return r;
	}
	return check_partition(s, type);
}

static int report_new(struct shield *s)
{
	s->rep = calloc(1, sizeof(*s->rep));
	if (!s->rep)
		return -ENOMEM;
	s->rep->version = s->version;
	return 0;
}

static int report_finish(struct shield *s, const char *path)
{
	struct rtvm_shield_report *rep = s->rep;

	rep->cgroup = cg_name(s, path);
	if (!rep->cgroup)
		return -ENOMEM;
	if (s->rt) {
		rep->rt = s->rt;
		s->rt = NULL;
	}
	if (s->hk) {
		rep->hk = s->hk;
		s->hk = NULL;
	}
	return 0;
}

RTVM_EXPORT int rtvm_shield_create(struct rtvm_ctx *ctx,
				   const struct rtvm_cpumask *rt_cpus,
				   const struct rtvm_cpumask *housekeeping,
				   const char *scope, unsigned int flags,
				   struct rtvm_changeset *cs,
				   struct rtvm_shield_report **ret)
{
	struct shield s = { .ctx = ctx, .flags = flags };
	struct narrow_list narrow = { 0 };
	bool dry = flags & RTVM_SHIELD_DRY_RUN;
	int r;

	if (!ctx || !rt_cpus)
		return -EINVAL;
	if (flags & ~CREATE_FLAGS) {
		err(ctx, "rtvm_shield_create: unknown flags %#x",
		    flags & ~CREATE_FLAGS);
		return -EINVAL;
	}
	if ((r = check_masks(&s, rt_cpus, housekeeping)) < 0 ||
	    (r = find_hierarchy(&s)) < 0 || (r = find_scope(&s, scope)) < 0 ||
	    (r = check_scope_cpus(&s)) < 0)
		goto out;
	if (cgroup_exists(&s, s.rt_path)) {
		err(ctx, "a shield exists already: %s:%s", s.ctl, s.rt_path);
		r = -EEXIST;
		goto out;
	}
	if (s.version == 2 && strcmp(s.scope, "/") != 0) {
		char buf[64];

		/* Without cpuset.cpus.exclusive a partition's parent must be
		 * a partition root itself. */
		if (rtvm_cgroup_read(ctx, "", s.scope, "cpuset.cpus.exclusive",
				     buf, sizeof(buf)) == -ENOENT &&
		    (rtvm_cgroup_read(ctx, "", s.scope, "cpuset.cpus.partition",
				      buf, sizeof(buf)) < 0 ||
		     strcmp(buf, "member") == 0)) {
			err(ctx, "cgroup v2 without cpuset.cpus.exclusive: an "
				 "isolated partition must be made below the "
				 "root or another partition, not below %s",
			    s.scope);
			r = -EOPNOTSUPP;
			goto out;
		}
	}
	r = s.version == 1 ? plan_v1_subtree(&s, s.scope, 0, &narrow) : 0;
	if (r == 0 && s.version == 2)
		r = plan_v2_siblings(&s, &narrow);
	if (r < 0)
		goto out;
	if ((r = report_new(&s)) < 0 ||
	    (r = rtvm_changeset_new(ctx, &s.cs)) < 0)
		goto out;

	/* Everything is checked: from here on, each step is recorded and a
	 * failure undoes all of them. */
	r = apply_narrow(&s, &narrow, dry);
	if (r == 0)
		r = dry ? plan_notes(&s) :
			  s.version == 1 ? create_v1(&s) : create_v2(&s);
	if (r == 0 && s.version == 1)
		r = move_tasks(&s, dry);
	if (r == 0 && strcmp(s.scope, "/") == 0 &&
	    !(flags & RTVM_SHIELD_NO_WORKQUEUE))
		r = set_workqueues(&s, dry);
	if (r == 0)
		r = report_finish(&s, s.rt_path);
	if (r < 0) {
		int u = rtvm_changeset_restore(s.cs, 0);

		if (u < 0)
			err(ctx, "shield: undoing a failed creation failed too: "
				 "%s",
			    strerror(-u));
		goto out;
	}
	s.rep->active = !dry;
	info(ctx, "shield %s:%s%s: %u tasks %s, %u not movable, %u per-CPU "
		  "kthreads left, %u rounds",
	     s.ctl, s.rt_path, dry ? " (dry run)" : "",
	     rtvm_shield_report_get_count(s.rep, RTVM_SHIELD_MOVED),
	     dry ? "would move" : "moved",
	     rtvm_shield_report_get_count(s.rep, RTVM_SHIELD_NOT_MOVED),
	     rtvm_shield_report_get_count(s.rep, RTVM_SHIELD_PER_CPU),
	     s.rep->rounds);
	if (cs)
		rtvm_changeset_move(cs, s.cs);
	if (ret) {
		*ret = s.rep;
		s.rep = NULL;
	}
out:
	narrow_free(&narrow);
	shield_clear(&s);
	return r;
}

/* ---- status ------------------------------------------------------------ */

static bool in_subtree(const char *cg, const char *top)
{
	size_t n = strlen(top);

	if (strcmp(top, "/") == 0)
		return cg[0] == '/';
	return strncmp(cg, top, n) == 0 && (cg[n] == '\0' || cg[n] == '/');
}

RTVM_EXPORT int rtvm_shield_status(struct rtvm_ctx *ctx, const char *scope,
				   struct rtvm_shield_report **ret)
{
	struct shield s = { .ctx = ctx };
	struct rtvm_host *host = NULL;
	const struct rtvm_thread *t;
	char *keep = NULL;
	int r;

	if (!ctx || !ret)
		return -EINVAL;
	if ((r = find_hierarchy(&s)) < 0 || (r = find_scope(&s, scope)) < 0 ||
	    (r = report_new(&s)) < 0)
		goto out;
	if (!cgroup_exists(&s, s.rt_path))
		goto done;
	s.rep->active = true;
	if ((r = read_cpus(&s, s.rt_path, "cpuset.cpus", &s.rt)) < 0)
		goto out;
	if (s.version == 1 && cgroup_exists(&s, s.hk_path))
		r = read_cpus(&s, s.hk_path, "cpuset.cpus", &s.hk);
	else {
		r = rtvm_cpumask_dup(s.scope_cpus, &s.hk);
		if (r == 0)
			rtvm_cpumask_op(s.hk, RTVM_CPUMASK_ANDNOT, s.rt);
	}
	if (r < 0)
		goto out;
	r = rtvm_host_new(ctx,
			  RTVM_HOST_THREADS | RTVM_HOST_THREAD_CGROUPS |
				  RTVM_HOST_THREAD_AFFINITY,
			  &host);
	if (r < 0)
		goto out;
	rtvm_host_foreach_thread(t, host) {
		const char *cg = rtvm_thread_get_cgroup(t, "cpuset");
		const struct rtvm_cpumask *a = rtvm_thread_get_affinity(t);
		int kind;
		const char *why;

		if (!cg || !in_subtree(cg, s.scope))
			continue;
		if (in_subtree(cg, s.rt_path)) {
			kind = RTVM_SHIELD_IN_RT;
			why = NULL;
		} else if (!a || !rtvm_cpumask_intersects(a, s.rt)) {
			continue;
		} else if (rtvm_thread_is_per_cpu(t)) {
			kind = RTVM_SHIELD_PER_CPU;
			why = "per-CPU kernel thread";
		} else {
			kind = RTVM_SHIELD_STRAY;
			why = rtvm_thread_is_kthread(t) ?
				      "unbound kernel thread allowed on RT CPUs" :
				      "task allowed on RT CPUs outside the "
				      "shield";
		}
		r = report_add(s.rep, kind, rtvm_thread_get_pid(t),
			       rtvm_thread_get_tid(t), rtvm_thread_get_comm(t),
			       cg, a ? mask_str(a, &keep) : NULL, NULL, why);
		if (r < 0)
			goto out;
	}
done:
	r = report_finish(&s, s.rt_path);
	if (r < 0)
		goto out;
	*ret = s.rep;
	s.rep = NULL;
out:
	rtvm_host_unref(host);
	free(keep);
	shield_clear(&s);
	return r;
}

/* ---- destroy ------------------------------------------------------------ */

/* Remove a cgroup and the cgroups below it, deepest first. */
static int remove_tree(struct shield *s, const char *path, bool dry)
{
	char **kids = NULL, *name;
	int r;

	r = list_children(s, path, &kids);
	if (r == -ENOENT)
		return 0;
	for (size_t i = 0; r == 0 && kids[i]; i++) {
		char *p = child_path(path, kids[i]);

		r = p ? remove_tree(s, p, dry) : -ENOMEM;
		free(p);
	}
	free_names(kids);
	if (r < 0)
		return r;
	name = cg_name(s, path);
	if (!name)
		return -ENOMEM;
	if (dry) {
		info(s->ctx, "would remove cgroup %s (its tasks go to %s)", name,
		     s->scope);
	} else {
		if (s->version == 2)
			rtvm_cgroup_write(s->ctx, "", path,
					  "cpuset.cpus.partition", "member");
		r = rtvm_cgroup_remove(s->ctx, name);
		if (r < 0)
			err(s->ctx, "cannot remove cgroup %s: %s", name,
			    strerror(-r));
	}
	free(name);
	return r;
}

RTVM_EXPORT int rtvm_shield_destroy(struct rtvm_ctx *ctx, const char *scope,
				    struct rtvm_changeset *cs,
				    unsigned int flags)
{
	struct shield s = { .ctx = ctx };
	bool dry = flags & RTVM_SHIELD_DRY_RUN;
	int r, first = 0;

	if (!ctx)
		return -EINVAL;
	if (flags & ~RTVM_SHIELD_DRY_RUN) {
		err(ctx, "rtvm_shield_destroy: unknown flags %#x",
		    flags & ~RTVM_SHIELD_DRY_RUN);
		return -EINVAL;
	}
	if ((r = find_hierarchy(&s)) < 0 || (r = find_scope(&s, scope)) < 0)
		goto out;
	if (cs && !dry)
		first = rtvm_changeset_restore(cs, 0);
	else if (cs)
		info(ctx, "would restore %u change records",
		     rtvm_changeset_get_count(cs));
	/* Whatever the records did not cover: cgroups made by another
	 * process, tasks forked inside the shield. */
	r = remove_tree(&s, s.rt_path, dry);
	if (r < 0 && !first)
		first = r;
	if (s.version == 1) {
		r = remove_tree(&s, s.hk_path, dry);
		if (r < 0 && !first)
			first = r;
	}
	r = first;
out:
	shield_clear(&s);
	return r;
}

/* ---- VM threads ------------------------------------------------------- */

/* cpuset in the RT cgroup's cgroup.subtree_control (a threaded
 * controller: the RT cgroup may keep processes of its own). */
static int enable_cpuset_v2(struct shield *s)
{
	char buf[256];
	int r;

	r = rtvm_cgroup_read(s->ctx, s->ctl, s->rt_path,
			     "cgroup.subtree_control", buf, sizeof(buf));
	if (r < 0)
		return r;
	for (char *save = NULL, *w = strtok_r(buf, " +", &save); w;
	     w = strtok_r(NULL, " +", &save))
		if (strcmp(w, "cpuset") == 0)
			return 0;
	return write_recorded(s, s->rt_path, "cgroup.subtree_control",
			      "-cpuset", "+cpuset");
}

/* Record that thread @u went from its cgroup to @to without moving it:
 * its process's move took it along. */
static int record_carried(struct shield *s, const struct rtvm_thread *u,
			  const char *to)
{
	struct rtvm_tid id = { rtvm_thread_get_pid(u), rtvm_thread_get_tid(u) };
	const char *cur = rtvm_thread_get_cgroup(u, s->ctl);
	char *target = NULL, *from = NULL;
	int r;

	r = rtvm_thread_target_format(id, rtvm_thread_get_start_time(u),
				      &target);
	if (r == 0 && !(from = cg_name(s, cur ? cur : "/")))
		r = -ENOMEM;
	if (r == 0)
		r = rtvm_changeset_add(s->cs, RTVM_CHANGE_CGROUP_ATTACH, target,
				       from, to);
	free(target);
	free(from);
	return r;
}

/*
 * v2: a process moves as a whole, so its main thread's cgroup is the one
 * it came from.  Its other threads may sit in threaded cgroups of their
 * own (libvirt's vcpuN): each of those gets a record of its own, older
 * than the process's, so that undo puts the process back first and then
 * each thread into its threaded cgroup.  Returns the main thread, or
 * NULL with -ESRCH.
 */
static int add_process_v2(struct shield *s, struct rtvm_host *host,
			  const struct rtvm_thread *t, const char *to,
			  const struct rtvm_thread **ret_main)
{
	pid_t pid = rtvm_thread_get_pid(t);
	const struct rtvm_thread *main_t = NULL, *u;
	const char *main_cg;
	int r = 0;

	if (rtvm_host_find_thread(host, pid, &main_t) < 0)
		return -ESRCH;
	main_cg = rtvm_thread_get_cgroup(main_t, s->ctl);
	rtvm_host_foreach_thread(u, host) {
		const char *cg = rtvm_thread_get_cgroup(u, s->ctl);

		if (rtvm_thread_get_pid(u) != pid || u == main_t || !cg ||
		    (main_cg && strcmp(cg, main_cg) == 0))
			continue;
		r = record_carried(s, u, to);
		if (r < 0)
			return r;
	}
	*ret_main = main_t;
	return 0;
}

/* Move @t (v2: its process, unless @thread_from names where this thread
 * alone moves from) to @path, and record it. */
static int add_one(struct shield *s, struct rtvm_host *host,
		   const struct rtvm_thread *t, const char *path,
		   const char *thread_from)
{
	struct rtvm_tid id = { rtvm_thread_get_pid(t), rtvm_thread_get_tid(t) };
	const char *cur;
	char *target = NULL, *from = NULL, *to = NULL;
	int r;

	if (s->version == 2 && !thread_from) {
		to = cg_name(s, path);
		if (!to)
			return -ENOMEM;
		r = add_process_v2(s, host, t, to, &t);
		free(to);
		to = NULL;
		if (r < 0)
			return r;
		id.tid = id.pid; /* the process moves */
	}
	cur = thread_from ? thread_from : rtvm_thread_get_cgroup(t, s->ctl);
	if ((r = rtvm_thread_target_format(
		     id, rtvm_thread_get_start_time(t), &target)) < 0)
		return r;
	from = cg_name(s, cur ? cur : "/");
	to = cg_name(s, path);
	if (!from || !to) {
		r = -ENOMEM;
		goto out;
	}
	r = rtvm_changeset_add(s->cs, RTVM_CHANGE_CGROUP_ATTACH, target, from,
			       to);
	if (r < 0)
		goto out;
	r = rtvm_sys_cgroup_attach(s->ctx, id, s->ctl, path);
	if (r < 0) {
		rtvm_changeset_pop(s->cs);
		err(s->ctx, "cannot move thread %d into %s: %s", id.tid, to,
		    strerror(-r));
	}
out:
	free(target);
	free(from);
	free(to);
	return r;
}

/* v2, one cgroup per vCPU: the cgroup is threaded (cpuset is a threaded
 * controller), the process goes into the RT cgroup, its thread into the
 * vCPU's.  (The caller refused main threads: they cannot leave their
 * process's cgroup.) */
static int add_vcpu_v2(struct shield *s, struct rtvm_host *host,
		       const struct rtvm_thread *t, const char *path,
		       struct tidset *moved)
{
	const struct rtvm_thread *main_t = NULL;
	pid_t pid = rtvm_thread_get_pid(t);
	const char *cur;
	int r;

	if (rtvm_host_find_thread(host, pid, &main_t) < 0)
		return -ESRCH;
	/* The process once: the inventory is older than the move, so a
	 * second vCPU of it must not move it again. */
	cur = rtvm_thread_get_cgroup(main_t, s->ctl);
	if (!tidset_has(moved, pid) && (!cur || strcmp(cur, s->rt_path))) {
		r = add_one(s, host, main_t, s->rt_path, NULL);
		if (r == 0)
			r = tidset_add(moved, pid);
		if (r < 0)
			return r;
	}
	/* Where the process's move took it, or where it already was. */
	return add_one(s, host, t, path,
		       tidset_has(moved, pid) ?
			       s->rt_path :
			       rtvm_thread_get_cgroup(t, s->ctl));
}

RTVM_EXPORT int rtvm_shield_add_threads(struct rtvm_ctx *ctx,
					const char *scope, const pid_t *tids,
					unsigned int n, unsigned int flags,
					struct rtvm_changeset *cs)
{
	struct shield s = { .ctx = ctx };
	const struct rtvm_thread **found = NULL;
	struct rtvm_host *host = NULL;
	struct tidset moved = { 0 };
	int r, cpu = -1;

	if (!ctx || !tids || !n)
		return -EINVAL;
	if (flags & ~RTVM_SHIELD_PER_VCPU) {
		err(ctx, "rtvm_shield_add_threads: unknown flags %#x",
		    flags & ~RTVM_SHIELD_PER_VCPU);
		return -EINVAL;
	}
	if ((r = find_hierarchy(&s)) < 0 || (r = find_scope(&s, scope)) < 0)
		goto out;
	if (!cgroup_exists(&s, s.rt_path)) {
		err(ctx, "no shield in %s:%s", s.ctl, s.scope);
		r = -ENOENT;
		goto out;
	}
	if ((r = read_cpus(&s, s.rt_path, "cpuset.cpus", &s.rt)) < 0)
		goto out;
	if ((flags & RTVM_SHIELD_PER_VCPU) && n > rtvm_cpumask_weight(s.rt)) {
		err(ctx, "%u threads but only %u RT CPUs: one each is needed",
		    n, rtvm_cpumask_weight(s.rt));
		r = -EINVAL;
		goto out;
	}
	if (s.version == 1 &&
	    (r = rtvm_cgroup_read(ctx, s.ctl, s.rt_path, "cpuset.mems", s.mems,
				  sizeof(s.mems))) < 0)
		goto out;
	found = calloc(n, sizeof(*found));
	if (!found) {
		r = -ENOMEM;
		goto out;
	}
	r = rtvm_host_new(ctx, RTVM_HOST_THREADS | RTVM_HOST_THREAD_CGROUPS,
			  &host);
	if (r < 0)
		goto out;
	for (unsigned int i = 0; i < n; i++) {
		if (rtvm_host_find_thread(host, tids[i], &found[i]) < 0) {
			err(ctx, "no thread %d", tids[i]);
			r = -ESRCH;
			goto out;
		}
		if ((flags & RTVM_SHIELD_PER_VCPU) && s.version == 2 &&
		    rtvm_thread_get_pid(found[i]) == tids[i]) {
			err(ctx, "thread %d is its process's main thread: on "
				 "cgroup v2 it cannot have a cgroup apart from "
				 "its process", tids[i]);
			r = -EINVAL;
			goto out;
		}
	}
	if ((r = rtvm_changeset_new(ctx, &s.cs)) < 0)
		goto out;
	/* v2: the vCPU cgroups need the cpuset controller below the RT
	 * partition.  The record's old value is the write that undoes it. */
	if ((flags & RTVM_SHIELD_PER_VCPU) && s.version == 2 &&
	    (r = enable_cpuset_v2(&s)) < 0)
		goto out;
	for (unsigned int i = 0; r == 0 && i < n; i++) {
		char *path = NULL, name[32];

		if (!(flags & RTVM_SHIELD_PER_VCPU)) {
			pid_t pid = rtvm_thread_get_pid(found[i]);

			/* v2: a process once, however many of its threads
			 * are asked for. */
			if (s.version == 2 && tidset_has(&moved, pid))
				continue;
			r = add_one(&s, host, found[i], s.rt_path, NULL);
			if (r == 0 && s.version == 2)
				r = tidset_add(&moved, pid);
			continue;
		}
		cpu = rtvm_cpumask_next(s.rt, cpu);
		snprintf(name, sizeof(name), "vcpu%u", i);
		path = child_path(s.rt_path, name);
		if (!path) {
			r = -ENOMEM;
			break;
		}
		snprintf(name, sizeof(name), "%d", cpu);
		if (s.version == 2) {
			if ((r = make_cgroup(&s, path)) == 0 &&
			    (r = rtvm_cgroup_write(ctx, s.ctl, path,
						   "cgroup.type",
						   "threaded")) == 0 &&
			    (r = rtvm_cgroup_write(ctx, s.ctl, path,
						   "cpuset.cpus", name)) == 0)
				r = add_vcpu_v2(&s, host, found[i], path,
						&moved);
			if (r < 0)
				err(ctx, "cgroup %s: %s", path, strerror(-r));
		} else if ((r = make_cgroup(&s, path)) == 0 &&
			   (r = rtvm_cgroup_write(ctx, s.ctl, path,
						  "cpuset.cpus", name)) == 0 &&
			   (r = rtvm_cgroup_write(ctx, s.ctl, path,
						  "cpuset.mems", s.mems)) == 0 &&
			   (r = rtvm_cgroup_write(ctx, s.ctl, path,
						  "cpuset.sched_load_balance",
						  "0")) == 0) {
			r = add_one(&s, host, found[i], path, NULL);
		}
		free(path);
	}
	if (r < 0) {
		rtvm_changeset_restore(s.cs, 0);
		goto out;
	}
	if (cs)
		rtvm_changeset_move(cs, s.cs);
out:
	free(moved.v);
	free(found);
	rtvm_host_unref(host);
	shield_clear(&s);
	return r;
}
