/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Change records: what the library changed on the host, with the value it
 * had before, so that it can be persisted as JSON and put back.
 */
#include "config.h"

#include <cjson/cJSON.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctx.h"

#ifndef SCHED_IDLE
#define SCHED_IDLE 5
#endif

#define CHANGESET_JSON_VERSION 1

struct rtvm_change {
	struct rtvm_change *next;
	enum rtvm_change_kind kind;
	char *target; /* these point into text */
	char *old_value;
	char *new_value;
	char text[]; /* one allocation per record: a VM has many */
};

struct rtvm_changeset {
	int refcount;
	struct rtvm_ctx *ctx;
	struct rtvm_change *head, *tail;
	unsigned int count;
};

static const char *const kind_names[] = {
	[RTVM_CHANGE_FILE] = "file",
	[RTVM_CHANGE_SYSCTL] = "sysctl",
	[RTVM_CHANGE_IRQ_AFFINITY] = "irq_affinity",
	[RTVM_CHANGE_THREAD_SCHED] = "thread_sched",
	[RTVM_CHANGE_THREAD_AFFINITY] = "thread_affinity",
	[RTVM_CHANGE_CGROUP_ATTACH] = "cgroup_attach",
	[RTVM_CHANGE_CGROUP_CREATE] = "cgroup_create",
};

RTVM_EXPORT const char *rtvm_change_kind_to_string(int kind)
{
	if (kind <= 0 || (size_t)kind >= ARRAY_SIZE(kind_names))
		return NULL;
	return kind_names[kind];
}

static int kind_from_string(const char *s)
{
	for (size_t i = 1; i < ARRAY_SIZE(kind_names); i++)
		if (strcmp(kind_names[i], s) == 0)
			return (int)i;
	return -EINVAL;
}

RTVM_EXPORT int rtvm_changeset_new(struct rtvm_ctx *ctx,
				   struct rtvm_changeset **ret)
{
	struct rtvm_changeset *cs;

	if (!ctx || !ret)
		return -EINVAL;
	cs = calloc(1, sizeof(*cs));
	if (!cs)
		return -ENOMEM;
	cs->refcount = 1;
	cs->ctx = rtvm_ref(ctx);
	*ret = cs;
	return 0;
}

RTVM_EXPORT struct rtvm_changeset *rtvm_changeset_ref(struct rtvm_changeset *cs)
{
	if (cs)
		cs->refcount++;
	return cs;
}

static void change_free(struct rtvm_change *c)
{
	free(c);
}

RTVM_EXPORT struct rtvm_changeset *
rtvm_changeset_unref(struct rtvm_changeset *cs)
{
	if (!cs || --cs->refcount > 0)
		return NULL;
	while (cs->head) {
		struct rtvm_change *c = cs->head;

		cs->head = c->next;
		change_free(c);
	}
	rtvm_unref(cs->ctx);
	free(cs);
	return NULL;
}

int rtvm_changeset_add(struct rtvm_changeset *cs, enum rtvm_change_kind kind,
		       const char *target, const char *old_value,
		       const char *new_value)
{
	size_t lt, lo, ln;
	struct rtvm_change *c;

	if (!rtvm_change_kind_to_string((int)kind) || !target)
		return -EINVAL;
	if (cs->ctx->intent_ops) {
		int r = cs->ctx->intent_ops->record(cs->ctx->intent_data, kind,
						    target, old_value,
						    new_value);

		if (r < 0)
			return r;
	}
	lt = strlen(target) + 1;
	lo = old_value ? strlen(old_value) + 1 : 0;
	ln = new_value ? strlen(new_value) + 1 : 0;
	c = malloc(sizeof(*c) + lt + lo + ln);
	if (!c)
		return -ENOMEM;
	*c = (struct rtvm_change){ .kind = kind, .target = c->text };
	memcpy(c->target, target, lt);
	if (old_value) {
		c->old_value = c->text + lt;
		memcpy(c->old_value, old_value, lo);
	}
	if (new_value) {
		c->new_value = c->text + lt + lo;
		memcpy(c->new_value, new_value, ln);
	}
	if (cs->tail)
		cs->tail->next = c;
	else
		cs->head = c;
	cs->tail = c;
	cs->count++;
	return 0;
}

void rtvm_changeset_drop(struct rtvm_changeset *cs, struct rtvm_change *c)
{
	struct rtvm_change *prev = NULL;

	if (!c)
		return;
	/* A journal that saw the intent hears that it was not acted on
	 * (a cgroup that already existed is not the journal's to remove). */
	if (cs->ctx->intent_ops)
		cs->ctx->intent_ops->drop(cs->ctx->intent_data, c->kind,
					  c->target);
	if (cs->head != c) {
		for (prev = cs->head; prev->next != c; prev = prev->next)
			;
		prev->next = c->next;
	} else {
		cs->head = c->next;
	}
	if (cs->tail == c)
		cs->tail = prev;
	cs->count--;
	change_free(c);
}

void rtvm_changeset_pop(struct rtvm_changeset *cs)
{
	rtvm_changeset_drop(cs, cs->tail);
}

struct rtvm_change *rtvm_changeset_last(const struct rtvm_changeset *cs)
{
	return cs->tail;
}

int rtvm_changeset_batch(struct rtvm_changeset *cs, bool on)
{
	if (!cs->ctx->intent_ops)
		return 0;
	if (on) {
		cs->ctx->intent_batch = true;
		return 0;
	}
	cs->ctx->intent_batch = false;
	return cs->ctx->intent_ops->commit(cs->ctx->intent_data);
}

int rtvm_changeset_commit(struct rtvm_changeset *cs)
{
	return cs->ctx->intent_ops ?
		       cs->ctx->intent_ops->commit(cs->ctx->intent_data) : 0;
}

void rtvm_changeset_made(struct rtvm_changeset *cs)
{
	if (cs->ctx->intent_ops)
		cs->ctx->intent_ops->made(cs->ctx->intent_data);
}

void rtvm_changeset_move(struct rtvm_changeset *dst,
			 struct rtvm_changeset *src)
{
	if (!src->head)
		return;
	if (dst->tail)
		dst->tail->next = src->head;
	else
		dst->head = src->head;
	dst->tail = src->tail;
	dst->count += src->count;
	src->head = src->tail = NULL;
	src->count = 0;
}

RTVM_EXPORT int rtvm_changeset_append(struct rtvm_changeset *dst,
				      struct rtvm_changeset *src)
{
	if (!dst || !src || dst == src)
		return -EINVAL;
	rtvm_changeset_move(dst, src);
	return 0;
}

RTVM_EXPORT unsigned int
rtvm_changeset_get_count(const struct rtvm_changeset *cs)
{
	return cs ? cs->count : 0;
}

RTVM_EXPORT const struct rtvm_change *
rtvm_changeset_next(const struct rtvm_changeset *cs,
		    const struct rtvm_change *prev)
{
	if (!cs)
		return NULL;
	return prev ? prev->next : cs->head;
}

RTVM_EXPORT int rtvm_change_get_kind(const struct rtvm_change *c)
{
	return c ? (int)c->kind : -EINVAL;
}

RTVM_EXPORT const char *rtvm_change_get_target(const struct rtvm_change *c)
{
	return c ? c->target : NULL;
}

RTVM_EXPORT const char *rtvm_change_get_old_value(const struct rtvm_change *c)
{
	return c ? c->old_value : NULL;
}

RTVM_EXPORT const char *rtvm_change_get_new_value(const struct rtvm_change *c)
{
	return c ? c->new_value : NULL;
}

/* ---- targets ---------------------------------------------------------- */

int rtvm_thread_target_format(struct rtvm_tid t, unsigned long long start,
			      char **ret)
{
	return asprintf(ret, "%d/%d@%llu", t.pid, t.tid, start) < 0 ? -ENOMEM :
								       0;
}

int rtvm_thread_target_parse(const char *str, struct rtvm_tid *ret_t,
			     unsigned long long *ret_start)
{
	unsigned long long start;
	int pid, tid, n = 0;

	if (sscanf(str, "%d/%d@%llu%n", &pid, &tid, &start, &n) != 3 ||
	    str[n] || pid <= 0 || tid <= 0 || !strchr("123456789", str[0]))
		return -EINVAL;
	*ret_t = (struct rtvm_tid){ pid, tid };
	*ret_start = start;
	return 0;
}

/* "kernel.sched_rt_runtime_us" -> "sys/kernel/sched_rt_runtime_us" */
static int sysctl_path(const char *name, char **ret)
{
	char *p;

	if (!name || !*name || name[0] == '.' || name[strlen(name) - 1] == '.' ||
	    strchr(name, '/') || strstr(name, ".."))
		return -EINVAL;
	if (asprintf(ret, "sys/%s", name) < 0)
		return -ENOMEM;
	for (p = *ret; *p; p++)
		if (*p == '.')
			*p = '/';
	return 0;
}

static bool cgroup_target_valid(const char *s)
{
	const char *colon = strchr(s, ':');

	return colon && colon[1] == '/' && !strstr(colon, "/..");
}

static bool irq_target_valid(const char *s)
{
	int irq;

	return rtvm_parse_int(s, &irq) == 0 && irq >= 0;
}

/* Whether a record's target parses for its kind. */
static bool target_valid(enum rtvm_change_kind kind, const char *target)
{
	struct rtvm_tid t;
	unsigned long long start;
	enum rtvm_fs fs;
	const char *rel;
	char *path;

	switch (kind) {
	case RTVM_CHANGE_FILE:
		return rtvm_fs_split_path(target, &fs, &rel) == 0 &&
		       !strstr(target, "/..");
	case RTVM_CHANGE_SYSCTL:
		if (sysctl_path(target, &path) < 0)
			return false;
		free(path);
		return true;
	case RTVM_CHANGE_IRQ_AFFINITY:
		return irq_target_valid(target);
	case RTVM_CHANGE_THREAD_SCHED:
	case RTVM_CHANGE_THREAD_AFFINITY:
	case RTVM_CHANGE_CGROUP_ATTACH:
		return rtvm_thread_target_parse(target, &t, &start) == 0;
	case RTVM_CHANGE_CGROUP_CREATE:
		return cgroup_target_valid(target);
	}
	return false;
}

/* ---- JSON ------------------------------------------------------------- */

RTVM_EXPORT int rtvm_changeset_to_json(const struct rtvm_changeset *cs,
				       char **ret)
{
	cJSON *root, *arr;
	char *out;

	if (!cs || !ret)
		return -EINVAL;
	root = cJSON_CreateObject();
	if (!root)
		return -ENOMEM;
	if (!cJSON_AddNumberToObject(root, "version", CHANGESET_JSON_VERSION) ||
	    !(arr = cJSON_AddArrayToObject(root, "changes")))
		goto nomem;
	for (const struct rtvm_change *c = cs->head; c; c = c->next) {
		cJSON *o = cJSON_CreateObject();

		if (!o)
			goto nomem;
		cJSON_AddItemToArray(arr, o);
		if (!cJSON_AddStringToObject(o, "kind", kind_names[c->kind]) ||
		    !cJSON_AddStringToObject(o, "target", c->target) ||
		    (c->old_value &&
		     !cJSON_AddStringToObject(o, "old", c->old_value)) ||
		    (c->new_value &&
		     !cJSON_AddStringToObject(o, "new", c->new_value)))
			goto nomem;
	}
	out = cJSON_Print(root);
	cJSON_Delete(root);
	if (!out)
		return -ENOMEM;
	*ret = out;
	return 0;
nomem:
	cJSON_Delete(root);
	return -ENOMEM;
}

/* A string member, or NULL when absent; -EINVAL when of another type. */
static int json_string(const cJSON *o, const char *key, const char **ret)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);

	if (!v) {
		*ret = NULL;
		return 0;
	}
	if (!cJSON_IsString(v))
		return -EINVAL;
	*ret = v->valuestring;
	return 0;
}

RTVM_EXPORT int rtvm_changeset_new_from_json(struct rtvm_ctx *ctx,
					     const char *json,
					     struct rtvm_changeset **ret)
{
	struct rtvm_changeset *cs = NULL;
	const cJSON *version, *changes, *o;
	cJSON *root;
	int r, i = 0;

	if (!ctx || !json || !ret)
		return -EINVAL;
	r = rtvm_json_parse_strict(ctx, "changeset", json, RTVM_JSON_RAW_BYTES,
				   &root);
	if (r < 0)
		return r;
	r = -EINVAL;
	version = cJSON_GetObjectItemCaseSensitive(root, "version");
	changes = cJSON_GetObjectItemCaseSensitive(root, "changes");
	if (!cJSON_IsNumber(version) ||
	    version->valuedouble != CHANGESET_JSON_VERSION) {
		err(ctx, "changeset: .version is missing or not %d",
		    CHANGESET_JSON_VERSION);
		goto out;
	}
	if (!cJSON_IsArray(changes)) {
		err(ctx, "changeset: .changes is missing or not an array");
		goto out;
	}
	r = rtvm_changeset_new(ctx, &cs);
	if (r < 0)
		goto out;
	cJSON_ArrayForEach(o, changes) {
		const char *kind, *target, *old_value, *new_value;
		int k;

		r = -EINVAL;
		if (!cJSON_IsObject(o) || json_string(o, "kind", &kind) < 0 ||
		    json_string(o, "target", &target) < 0 ||
		    json_string(o, "old", &old_value) < 0 ||
		    json_string(o, "new", &new_value) < 0 || !kind ||
		    !target) {
			err(ctx, "changeset: .changes[%d] needs string fields "
				 "kind and target (old and new are strings)",
			    i);
			goto out;
		}
		k = kind_from_string(kind);
		if (k < 0) {
			err(ctx, "changeset: .changes[%d].kind: unknown \"%s\"",
			    i, kind);
			goto out;
		}
		if (!target_valid((enum rtvm_change_kind)k, target)) {
			err(ctx, "changeset: .changes[%d].target: \"%s\" is not "
				 "a valid %s target",
			    i, target, kind);
			goto out;
		}
		r = rtvm_changeset_add(cs, (enum rtvm_change_kind)k, target,
				       old_value, new_value);
		if (r < 0)
			goto out;
		i++;
	}
	*ret = cs;
	cs = NULL;
	r = 0;
out:
	rtvm_changeset_unref(cs);
	cJSON_Delete(root);
	return r;
}

/* ---- sysctls ---------------------------------------------------------- */

RTVM_EXPORT int rtvm_sysctl_get(struct rtvm_ctx *ctx, const char *name,
				char **ret)
{
	char *path, *value;
	int r;

	if (!ctx || !ret)
		return -EINVAL;
	r = sysctl_path(name, &path);
	if (r < 0)
		return r;
	r = rtvm_fs_read_alloc(ctx, RTVM_FS_PROC, &value, "%s", path);
	free(path);
	if (r < 0)
		return r;
	*ret = value;
	return 0;
}

RTVM_EXPORT int rtvm_sysctl_set(struct rtvm_ctx *ctx, const char *name,
				const char *value, struct rtvm_changeset *cs)
{
	char *path = NULL, *old = NULL;
	int r;

	if (!ctx || !value)
		return -EINVAL;
	r = sysctl_path(name, &path);
	if (r < 0)
		return r;
	r = rtvm_fs_read_alloc(ctx, RTVM_FS_PROC, &old, "%s", path);
	if (r < 0)
		goto out;
	if (strcmp(old, value) == 0)
		goto out; /* already in force: nothing to undo */
	r = rtvm_fs_write(ctx, RTVM_FS_PROC, value, "%s", path);
	if (r < 0) {
		err(ctx, "sysctl %s=%s: %s", name, value, strerror(-r));
		goto out;
	}
	if (cs) {
		r = rtvm_changeset_add(cs, RTVM_CHANGE_SYSCTL, name, old, value);
		if (r < 0) /* no record, no change */
			rtvm_fs_write(ctx, RTVM_FS_PROC, old, "%s", path);
	}
out:
	free(old);
	free(path);
	return r < 0 ? r : 0;
}

/* ---- thread mutators -------------------------------------------------- */

int rtvm_thread_identity(struct rtvm_ctx *ctx, struct rtvm_tid t,
			 unsigned long long *ret_start)
{
	struct rtvm_stat st;
	int r;

	r = rtvm_stat_read(ctx, t, &st);
	if (r < 0)
		return r;
	*ret_start = st.start;
	return 0;
}

/* The start time a change record carries: the caller's (@known, which it
 * vouches for), or the stat file's. */
static int change_start(struct rtvm_ctx *ctx, struct rtvm_tid t,
			const unsigned long long *known,
			unsigned long long *ret)
{
	if (known) {
		*ret = *known;
		return 0;
	}
	return rtvm_thread_identity(ctx, t, ret);
}

static bool sched_equal(const struct rtvm_sched *a, const struct rtvm_sched *b)
{
	return a->policy == b->policy && a->priority == b->priority &&
	       a->nice == b->nice && a->runtime == b->runtime &&
	       a->deadline == b->deadline && a->period == b->period;
}

int rtvm_thread_apply_sched(struct rtvm_ctx *ctx, struct rtvm_tid t,
			    const struct rtvm_sched *s,
			    struct rtvm_changeset *cs)
{
	return rtvm_thread_apply_sched_at(ctx, t, NULL, s, cs);
}

int rtvm_thread_apply_sched_at(struct rtvm_ctx *ctx, struct rtvm_tid t,
			       const unsigned long long *known,
			       const struct rtvm_sched *s,
			       struct rtvm_changeset *cs)
{
	struct rtvm_sched old, want = *s;
	char target[64], oldtext[RTVM_SCHED_TEXT_MAX], newtext[RTVM_SCHED_TEXT_MAX];
	unsigned long long start;
	int r;

	if ((r = change_start(ctx, t, known, &start)) < 0 ||
	    (r = rtvm_sys_sched_get(ctx, t, &old)) < 0)
		return r;
	/* RT and deadline policies keep the thread's nice value (and go
	 * back to it with SCHED_OTHER): record the one that stays.  Idle
	 * gets the nice value asked for. */
	if (rtvm_sched_keeps_nice(want.policy) && want.policy != SCHED_IDLE)
		want.nice = old.nice;
	if (sched_equal(&old, &want))
		return 0;
	/* Texts on the stack: a VM operation makes one record per thread. */
	snprintf(target, sizeof(target), "%d/%d@%llu", t.pid, t.tid, start);
	if ((r = rtvm_sched_format_buf(&old, oldtext, sizeof(oldtext))) < 0 ||
	    (r = rtvm_sched_format_buf(&want, newtext, sizeof(newtext))) < 0)
		return r;
	if (cs && (r = rtvm_changeset_add(cs, RTVM_CHANGE_THREAD_SCHED, target,
					  oldtext, newtext)) < 0)
		return r;
	r = rtvm_sys_sched_set_exact(ctx, t, &want, old.nice);
	if (r < 0 && rtvm_sched_keeps_nice(want.policy) &&
	    want.nice != old.nice) {
		struct rtvm_sched now;

		/* The first of two steps may have been made: undo it, so
		 * that a failure changes nothing. */
		if (rtvm_sys_sched_get(ctx, t, &now) == 0 &&
		    !sched_equal(&now, &old))
			rtvm_sys_sched_set_exact(ctx, t, &old, now.nice);
	}
	if (r < 0 && cs)
		rtvm_changeset_pop(cs);
	return r;
}

int rtvm_thread_apply_affinity(struct rtvm_ctx *ctx, struct rtvm_tid t,
			       const struct rtvm_cpumask *mask,
			       struct rtvm_changeset *cs)
{
	return rtvm_thread_apply_affinity_at(ctx, t, NULL, mask, cs);
}

int rtvm_thread_apply_affinity_at(struct rtvm_ctx *ctx, struct rtvm_tid t,
				  const unsigned long long *known,
				  const struct rtvm_cpumask *mask,
				  struct rtvm_changeset *cs)
{
	struct rtvm_cpumask *old = NULL;
	char target[64], *oldtext = NULL, *newtext = NULL;
	unsigned long long start;
	int r;

	if ((r = change_start(ctx, t, known, &start)) < 0 ||
	    (r = rtvm_cpumask_new(ctx, &old)) < 0)
		return r;
	if ((r = rtvm_sys_affinity_get(ctx, t, old)) < 0)
		goto out;
	if (rtvm_cpumask_equal(old, mask))
		goto out;
	snprintf(target, sizeof(target), "%d/%d@%llu", t.pid, t.tid, start);
	if ((r = rtvm_cpumask_format_list(old, &oldtext)) < 0 ||
	    (r = rtvm_cpumask_format_list(mask, &newtext)) < 0)
		goto out;
	if (cs && (r = rtvm_changeset_add(cs, RTVM_CHANGE_THREAD_AFFINITY,
					  target, oldtext, newtext)) < 0)
		goto out;
	r = rtvm_sys_affinity_set(ctx, t, mask);
	if (r < 0 && cs)
		rtvm_changeset_pop(cs);
out:
	rtvm_cpumask_free(old);
	free(oldtext);
	free(newtext);
	return r;
}

/* ---- restore ---------------------------------------------------------- */

/*
 * The threads one restore has checked, by record target.  A VM's records
 * name each thread once per kind of change: its stat file is read once
 * per restore, not once per record.  A verdict holds for the restore as
 * it holds between reading the stat file and the system call.
 */
struct seen {
	const char **targets; /* open addressing; NULL: a free slot */
	int *verdicts;	       /* 0: the same thread, -ESRCH: gone */
	size_t mask;
};

#define NICE_UNKNOWN (-100)

static int seen_init(struct seen *seen, unsigned int count)
{
	size_t size = 16;

	while (size < 2 * (size_t)count)
		size *= 2;
	seen->targets = calloc(size, sizeof(*seen->targets));
	seen->verdicts = calloc(size, sizeof(*seen->verdicts));
	seen->mask = size - 1;
	if (!seen->targets || !seen->verdicts) {
		free(seen->targets);
		free(seen->verdicts);
		*seen = (struct seen){ 0 };
		return -ENOMEM;
	}
	return 0;
}

static void seen_free(struct seen *seen)
{
	free(seen->targets);
	free(seen->verdicts);
}

/* The slot of @target: its own, or the free one it would take. */
static size_t seen_slot(const struct seen *seen, const char *target)
{
	size_t h = 14695981039346656037ull;

	for (const char *p = target; *p; p++)
		h = (h ^ (unsigned char)*p) * 1099511628211ull;
	for (h &= seen->mask; seen->targets[h]; h = (h + 1) & seen->mask)
		if (strcmp(seen->targets[h], target) == 0)
			break;
	return h;
}

/* The thread a record names, if it still exists: -ESRCH when it is gone
 * or its tid now belongs to another thread.  @ret_nice gets its nice
 * value when its stat file was read, else NICE_UNKNOWN. */
static int record_thread(struct rtvm_ctx *ctx, struct seen *seen,
			 const struct rtvm_change *c, struct rtvm_tid *ret,
			 int *ret_nice)
{
	unsigned long long start;
	struct rtvm_stat st;
	size_t slot = 0;
	int r;

	*ret_nice = NICE_UNKNOWN;
	r = rtvm_thread_target_parse(c->target, ret, &start);
	if (r < 0)
		return r;
	if (seen->targets) {
		slot = seen_slot(seen, c->target);
		if (seen->targets[slot])
			return seen->verdicts[slot];
	}
	r = rtvm_stat_read(ctx, *ret, &st);
	if (r == 0 && st.start != start)
		r = -ESRCH;
	if (r == 0)
		*ret_nice = st.nice;
	if (seen->targets && (r == 0 || r == -ESRCH)) {
		seen->targets[slot] = c->target;
		seen->verdicts[slot] = r;
	}
	return r;
}

/* Put back a thread's scheduling attributes exactly: a policy that keeps
 * the nice value may need the original one set first (the stat file, or
 * the sched_get op, tells the thread's). */
static int restore_sched(struct rtvm_ctx *ctx, struct rtvm_tid t,
			 const struct rtvm_sched *s, int nice)
{
	struct rtvm_sched cur;
	int r;

	if (nice == NICE_UNKNOWN && rtvm_sched_keeps_nice(s->policy)) {
		r = rtvm_sys_sched_get(ctx, t, &cur);
		if (r < 0)
			return r;
		nice = cur.nice;
	}
	return rtvm_sys_sched_set_exact(ctx, t, s, nice);
}

/* A thread record's outcome @r: a thread that is gone (or whose tid
 * another thread has now) has nothing to put back, which is said. */
static int thread_gone(struct rtvm_ctx *ctx, const struct rtvm_change *c,
		       int r)
{
	if (r != -ESRCH)
		return r;
	info(ctx, "restore %s %s: the thread is gone; skipped",
	     kind_names[c->kind], c->target);
	return 0;
}

static int restore_one(struct rtvm_ctx *ctx, struct seen *seen,
		       const struct rtvm_change *c)
{
	struct rtvm_cpumask *mask = NULL;
	struct rtvm_sched s;
	struct rtvm_tid t;
	const char *rel;
	enum rtvm_fs fs;
	char *path;
	int r, nice;

	if (!c->old_value && c->kind != RTVM_CHANGE_CGROUP_CREATE &&
	    c->kind != RTVM_CHANGE_FILE)
		return 0;
	switch (c->kind) {
	case RTVM_CHANGE_FILE:
		r = rtvm_fs_split_path(c->target, &fs, &rel);
		if (r < 0)
			return r;
		if (c->old_value)
			return rtvm_fs_write(ctx, fs, c->old_value, "%s", rel);
		/* No old content: the change created the file.  Only
		 * configuration files are ever created; kernel files are
		 * not the library's to remove. */
		if (fs != RTVM_FS_ETC && fs != RTVM_FS_RUN)
			return 0;
		r = rtvm_fs_unlink(ctx, fs, "%s", rel);
		return r == -ENOENT ? 0 : r;
	case RTVM_CHANGE_SYSCTL:
		r = sysctl_path(c->target, &path);
		if (r < 0)
			return r;
		r = rtvm_fs_write(ctx, RTVM_FS_PROC, c->old_value, "%s", path);
		free(path);
		return r;
	case RTVM_CHANGE_IRQ_AFFINITY:
		r = rtvm_cpumask_new(ctx, &mask);
		if (r == 0)
			r = rtvm_cpumask_parse_list(mask, c->old_value, 0);
		if (r == 0)
			r = rtvm_irq_write_affinity(ctx, (unsigned int)atoi(c->target),
						    mask, 3, NULL);
		rtvm_cpumask_free(mask);
		return r == -ENOENT ? 0 : r; /* the IRQ was freed */
	case RTVM_CHANGE_THREAD_SCHED:
		r = rtvm_sched_parse(c->old_value, &s);
		if (r == 0)
			r = record_thread(ctx, seen, c, &t, &nice);
		if (r == 0)
			r = restore_sched(ctx, t, &s, nice);
		return thread_gone(ctx, c, r);
	case RTVM_CHANGE_THREAD_AFFINITY:
		r = rtvm_cpumask_new(ctx, &mask);
		if (r == 0)
			r = rtvm_cpumask_parse_list(mask, c->old_value, 0);
		if (r == 0)
			r = record_thread(ctx, seen, c, &t, &nice);
		if (r == 0)
			r = rtvm_sys_affinity_set(ctx, t, mask);
		rtvm_cpumask_free(mask);
		return thread_gone(ctx, c, r);
	case RTVM_CHANGE_CGROUP_ATTACH:
		r = record_thread(ctx, seen, c, &t, &nice);
		if (r == 0)
			r = rtvm_cgroup_attach(ctx, c->old_value, t);
		return thread_gone(ctx, c, r);
	case RTVM_CHANGE_CGROUP_CREATE:
		return rtvm_cgroup_remove(ctx, c->target);
	}
	return -EINVAL;
}

RTVM_EXPORT int rtvm_changeset_restore(struct rtvm_changeset *cs,
				       unsigned int flags)
{
	struct rtvm_change **list, **again;
	struct seen seen;
	unsigned int n = 0, failed = 0;
	int first = 0;

	if (!cs || flags)
		return -EINVAL;
	if (!cs->count)
		return 0;
	/* Newest first: later changes may depend on earlier ones.  The
	 * list's second half keeps the records that failed. */
	list = malloc(2 * cs->count * sizeof(*list));
	if (!list || seen_init(&seen, cs->count) < 0) {
		free(list);
		return -ENOMEM;
	}
	for (struct rtvm_change *c = cs->head; c; c = c->next)
		list[n++] = c;
	/* A record may fail until older ones are restored (a pin that the
	 * thread's cpuset allows only once it is back in its cgroup): the
	 * failed ones are tried again after the pass, newest first still. */
	again = list + n;
	while (n-- > 0) {
		int r = restore_one(cs->ctx, &seen, list[n]);

		if (r < 0) {
			dbg(cs->ctx, "restore %s %s: %s; tried again after "
				     "the others",
			    kind_names[list[n]->kind], list[n]->target,
			    strerror(-r));
			again[failed++] = list[n];
		}
	}
	for (unsigned int i = 0; i < failed; i++) {
		int r = restore_one(cs->ctx, &seen, again[i]);

		if (r < 0) {
			err(cs->ctx, "restore %s %s: %s",
			    kind_names[again[i]->kind], again[i]->target,
			    strerror(-r));
			if (!first)
				first = r;
		}
	}
	seen_free(&seen);
	free(list);
	return first;
}
