/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Transactions: plan, apply and revert a profile for one VM.
 *
 * A plan is a list of single writes, each with the value its target has
 * now.  An apply runs them in order and, before each write, appends the
 * write's target and original value to the VM's journal in the state
 * directory and syncs it: the journal records intent.  Group commit: the
 * records of a batch of steps (or of the shield's task moves) are written
 * and synced at once, then the batch's writes are made.  Whatever point a
 * crash stops the apply at, the journal names a superset of what was
 * changed, and writing an original value back to a target that was not
 * changed yet is harmless, so a revert restores the host exactly.
 *
 * Several VMs: RT CPUs are leased to one VM (its journal's header says
 * which); host-wide settings and IRQ affinities are shared.  A VM whose
 * plan meets a shared setting another VM holds takes a lease on it (a
 * journal record with the holder's original value that writes nothing),
 * and a revert leaves a shared setting alone while another journal holds
 * it: the last holder's revert puts the original back.
 *
 * Re-apply: the journal's header records the profile's normal form and
 * the VMM process.  The same profile again for the same process and CPUs
 * is a plan without steps that writes nothing, not even the journal (a
 * new journal would hold today's values as originals); what drifted since
 * is told, not put back.  A changed profile is a difference apply
 * (plan_update(), plan_difference()): planned from the values before the
 * VM's first apply, it writes what differs from the host now and puts
 * back what the new profile no longer wants, appending to the VM's
 * journal after an "update" line, so that a revert, newest record first,
 * still ends at the state before the first apply.  The shield is kept as
 * it is: a profile that changes it must be applied after a revert.
 */
#include "config.h"

#include <cjson/cJSON.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ctx.h"
#include "tune.h"

#define JOURNAL_VERSION 1
#define JOURNAL_SUFFIX ".journal"

/* What a step of a difference apply does to the VM's applied profile. */
enum step_diff {
	DIFF_NONE = 0,	/* a first apply's step */
	DIFF_ADD,	/* a setting the old profile did not make */
	DIFF_CHANGE,	/* one it made, to another value */
	DIFF_PUT_BACK,	/* one it made and the new one does not: the
			 * value before the first apply */
};

struct step {
	enum rtvm_change_kind kind;
	char *target, *old, *new;
	char *name; /* a thread's role name ("CPU 0/KVM"), to find it again
		     * when its tid is re-created; NULL for other steps and
		     * in journals of librtvm before it recorded one */
	bool shared; /* a host-wide setting or an IRQ: reference counted */
	bool lease;  /* held by another VM already: nothing to write */
	bool predicted; /* the shield's: shown, made by the shield (which
			 * journals what it really does) */
	bool by_shield; /* journaled by the shield as it made it */
	enum step_diff diff; /* a difference apply's: what the step does */
};

struct steps {
	struct step *v;
	unsigned int n, alloc;
};

struct journal {
	char *vm_id;
	char *profile;
	char *rt_cpus, *hk_cpus;
	char *document;	  /* the profile's normal form; NULL in journals
			   * of librtvm before it recorded one */
	char *vm_process; /* "PID@START" of the VMM; NULL as document */
	bool complete;
	struct steps steps;
};

struct rtvm_plan {
	struct rtvm_ctx *ctx;
	char *vm_id, *profile, *rt_list, *hk_list;
	char *document, *vm_process; /* for the journal's header */
	struct steps steps;
	struct rtvm_changeset *changes;
	/* The VM's journal records this profile already: no steps, and
	 * what drifted since (an array as rtvm_tune_status()'s). */
	bool applied;
	/* A difference apply: it appends to the VM's journal, whose header
	 * before it was this (for a rollback), and at its end it drops the
	 * records of the settings in @release (put back, or held by another
	 * VM only now). */
	bool update;
	char *prev_profile, *prev_rt, *prev_hk, *prev_document;
	struct steps release;
	cJSON *drift;
	unsigned int nr_drift;
	/* What apply hands to the library rather than to single writes. */
	bool provision_rt;
	bool shield;
	char *shield_scope;
	unsigned int shield_flags;  /* rtvm_shield_create() */
	unsigned int vcpu_flags;    /* rtvm_shield_add_threads() */
	pid_t *rt_tids;		    /* the RT vCPUs, in vCPU order */
	unsigned int nr_rt_tids;
};

/* ---- small helpers ------------------------------------------------------ */

static void steps_free(struct steps *s)
{
	for (unsigned int i = 0; i < s->n; i++) {
		free(s->v[i].target);
		free(s->v[i].old);
		free(s->v[i].new);
		free(s->v[i].name);
	}
	free(s->v);
	*s = (struct steps){ 0 };
}

static int steps_add(struct steps *s, enum rtvm_change_kind kind,
		     const char *target, const char *old, const char *new,
		     bool shared, bool lease)
{
	struct step *st;

	if (s->n == s->alloc) {
		unsigned int a = s->alloc ? 2 * s->alloc : 32;
		struct step *v = realloc(s->v, a * sizeof(*v));

		if (!v)
			return -ENOMEM;
		s->v = v;
		s->alloc = a;
	}
	st = &s->v[s->n];
	*st = (struct step){ .kind = kind, .shared = shared, .lease = lease };
	st->target = strdup(target);
	st->old = old ? strdup(old) : NULL;
	st->new = new ? strdup(new) : NULL;
	if (!st->target || (old && !st->old) || (new && !st->new)) {
		free(st->target);
		free(st->old);
		free(st->new);
		return -ENOMEM;
	}
	s->n++;
	return 0;
}

/* Give the newest step of @s the thread role name @name (may be NULL). */
static int steps_name_last(struct steps *s, const char *name)
{
	struct step *st = &s->v[s->n - 1];

	if (!name)
		return 0;
	free(st->name);
	st->name = strdup(name);
	return st->name ? 0 : -ENOMEM;
}

/* Drop the newest step of @kind on @target (any, when @target is NULL):
 * a "cancel" line, its change not made. */
static void steps_drop_newest(struct steps *s, enum rtvm_change_kind kind,
			      const char *target)
{
	unsigned int i = s->n;
	struct step *st;

	while (i > 0 && target &&
	       (s->v[i - 1].kind != kind || strcmp(s->v[i - 1].target, target)))
		i--;
	if (i == 0)
		return;
	st = &s->v[i - 1];
	free(st->target);
	free(st->old);
	free(st->new);
	free(st->name);
	memmove(st, st + 1, (s->n - i) * sizeof(*st));
	s->n--;
}

/* Append a copy of @st, all but its values: @old and @new. */
static int steps_copy(struct steps *dst, const struct step *st,
		      const char *old, const char *new)
{
	int r = steps_add(dst, st->kind, st->target, old, new, st->shared,
			  st->lease);

	if (r == 0)
		r = steps_name_last(dst, st->name);
	if (r == 0) {
		dst->v[dst->n - 1].predicted = st->predicted;
		dst->v[dst->n - 1].by_shield = st->by_shield;
		dst->v[dst->n - 1].diff = st->diff;
	}
	return r;
}

static int steps_move(struct steps *dst, struct steps *src)
{
	for (unsigned int i = 0; i < src->n; i++) {
		const struct step *st = &src->v[i];
		int r = steps_copy(dst, st, st->old, st->new);

		if (r < 0)
			return r;
	}
	steps_free(src);
	return 0;
}

static void journal_free(struct journal *j)
{
	if (!j)
		return;
	free(j->vm_id);
	free(j->profile);
	free(j->rt_cpus);
	free(j->hk_cpus);
	free(j->document);
	free(j->vm_process);
	steps_free(&j->steps);
	free(j);
}

static void journals_free(struct journal **js, unsigned int n)
{
	for (unsigned int i = 0; i < n; i++)
		journal_free(js[i]);
	free(js);
}

static bool id_valid(const char *id)
{
	if (!id || !id[0] || strlen(id) > 200 || id[0] == '.')
		return false;
	for (const char *p = id; *p; p++)
		if (!strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
			    "0123456789._-", *p))
			return false;
	return true;
}

static int mask_from_list(struct rtvm_ctx *ctx, const char *list,
			  struct rtvm_cpumask **ret)
{
	int r = rtvm_cpumask_new(ctx, ret);

	if (r < 0)
		return r;
	r = rtvm_cpumask_parse_list(*ret, list, RTVM_CPUMASK_ALLOW_EMPTY);
	if (r < 0)
		*ret = rtvm_cpumask_free(*ret);
	return r;
}

static const char *kind_name(enum rtvm_change_kind k)
{
	return rtvm_change_kind_to_string((int)k);
}

/* ---- the state directory ------------------------------------------------ */

RTVM_EXPORT int rtvm_set_state_dir(struct rtvm_ctx *ctx, const char *path)
{
	char *dup = NULL;

	if (!ctx || (path && path[0] != '/'))
		return -EINVAL;
	if (path && !(dup = strdup(path)))
		return -ENOMEM;
	free(ctx->state_dir);
	ctx->state_dir = dup;
	return 0;
}

/* The state directory's fd, created when missing with @create; without,
 * a directory that is not there is -ENOENT, not logged (nothing applied
 * yet: a plan or a status has no journal to read, and leaves none). */
static int state_open(struct rtvm_ctx *ctx, bool create)
{
	const char *dir = ctx->state_dir;
	int fd;

	if (!dir) {
		const char *env = secure_getenv("RTVM_STATE_DIR");

		if (env && env[0] == '/')
			dir = env;
	}
	if (dir) {
		if (create && mkdir(dir, 0700) < 0 && errno != EEXIST) {
			int r = -errno;

			err(ctx, "state directory %s: %s", dir, strerror(-r));
			return r;
		}
		fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (fd < 0) {
			int r = -errno;

			if (create || r != -ENOENT)
				err(ctx, "state directory %s: %s", dir,
				    strerror(-r));
			return r;
		}
		return fd;
	}
	if (create) {
		fd = rtvm_fs_mkdir(ctx, RTVM_FS_RUN, 0700, "rtvm");
		if (fd < 0 && fd != -EEXIST) {
			err(ctx, "state directory run/rtvm: %s", strerror(-fd));
			return fd;
		}
	}
	fd = rtvm_fs_open_dir(ctx, RTVM_FS_RUN, "rtvm");
	if (fd < 0 && (create || fd != -ENOENT))
		err(ctx, "state directory run/rtvm: %s", strerror(-fd));
	return fd;
}

/* An exclusive lock on the state directory: applies and reverts of all
 * processes take turns.  Returns the lock's fd. */
static int state_lock(struct rtvm_ctx *ctx, int dirfd)
{
	int fd = openat(dirfd, "lock", O_RDWR | O_CREAT | O_CLOEXEC, 0600);

	if (fd < 0) {
		err(ctx, "state directory lock: %s", strerror(errno));
		return -errno;
	}
	while (flock(fd, LOCK_EX) < 0) {
		if (errno != EINTR) {
			int r = -errno;

			close(fd);
			return r;
		}
	}
	return fd;
}

/* The state directory and its lock, for an apply or a revert. */
static int state_open_locked(struct rtvm_ctx *ctx, int *ret_dirfd,
			     int *ret_lockfd)
{
	int dirfd = state_open(ctx, true), lockfd;

	if (dirfd < 0)
		return dirfd;
	lockfd = state_lock(ctx, dirfd);
	if (lockfd < 0) {
		close(dirfd);
		return lockfd;
	}
	*ret_dirfd = dirfd;
	*ret_lockfd = lockfd;
	return 0;
}

static int read_fd_alloc(int fd, char **ret)
{
	size_t len = 0, alloc = 4096;
	char *buf = malloc(alloc);

	if (!buf)
		return -ENOMEM;
	for (;;) {
		ssize_t n;

		if (alloc - len < 2) {
			char *b = realloc(buf, alloc * 2);

			if (!b) {
				free(buf);
				return -ENOMEM;
			}
			buf = b;
			alloc *= 2;
		}
		n = read(fd, buf + len, alloc - len - 1);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			int r = -errno;

			free(buf);
			return r;
		}
		if (n == 0)
			break;
		len += (size_t)n;
	}
	buf[len] = '\0';
	*ret = buf;
	return (int)len;
}

static int json_str(const cJSON *o, const char *key, char **ret)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);

	*ret = NULL;
	if (!v || cJSON_IsNull(v))
		return 0;
	if (!cJSON_IsString(v))
		return -EBADMSG;
	*ret = strdup(v->valuestring);
	return *ret ? 0 : -ENOMEM;
}

/* Parse a journal.  A last line without its newline was being written
 * when the process died: its write never started, so it is ignored. */
static int journal_parse(struct rtvm_ctx *ctx, const char *name, char *text,
			 struct journal **ret)
{
	struct journal *j = calloc(1, sizeof(*j));
	char *line = text, *nl;
	unsigned int lineno = 0;
	int r = 0;

	if (!j)
		return -ENOMEM;
	for (; (nl = strchr(line, '\n')); line = nl + 1) {
		cJSON *o;

		*nl = '\0';
		lineno++;
		/* The strict parser logs what is wrong, and where in the
		 * line; this names the line. */
		o = NULL;
		r = rtvm_json_parse_strict(ctx, "journal", line,
					   RTVM_JSON_RAW_BYTES, &o);
		if (r == -ENOMEM)
			break;
		if (r < 0 || !cJSON_IsObject(o)) {
			cJSON_Delete(o);
			err(ctx, "journal %s: line %u does not parse", name,
			    lineno);
			r = -EBADMSG;
			break;
		}
		if (lineno == 1) {
			const cJSON *v = cJSON_GetObjectItemCaseSensitive(
				o, "rtvm_journal");

			if (!cJSON_IsNumber(v) || v->valueint != JOURNAL_VERSION ||
			    json_str(o, "vm", &j->vm_id) < 0 || !j->vm_id ||
			    json_str(o, "profile", &j->profile) < 0 ||
			    json_str(o, "rt_cpus", &j->rt_cpus) < 0 ||
			    !j->rt_cpus ||
			    json_str(o, "housekeeping_cpus", &j->hk_cpus) < 0 ||
			    json_str(o, "document", &j->document) < 0 ||
			    json_str(o, "vm_process", &j->vm_process) < 0) {
				err(ctx, "journal %s: bad header", name);
				r = -EBADMSG;
			}
		} else if (cJSON_IsTrue(
				   cJSON_GetObjectItemCaseSensitive(o, "complete"))) {
			j->complete = true;
		} else if (cJSON_IsTrue(
				   cJSON_GetObjectItemCaseSensitive(o, "update"))) {
			/* A difference apply begins (or a failed one's
			 * rollback ends): the VM's profile from here on,
			 * complete again only with a "complete" after it. */
			char *profile = NULL, *rt = NULL, *hk = NULL, *doc = NULL;

			if (json_str(o, "profile", &profile) < 0 ||
			    json_str(o, "rt_cpus", &rt) < 0 || !rt ||
			    json_str(o, "housekeeping_cpus", &hk) < 0 ||
			    json_str(o, "document", &doc) < 0 || !doc) {
				err(ctx, "journal %s: line %u: bad update", name,
				    lineno);
				r = -EBADMSG;
				free(profile);
				free(rt);
				free(hk);
				free(doc);
			} else {
				free(j->profile);
				free(j->rt_cpus);
				free(j->hk_cpus);
				free(j->document);
				j->profile = profile;
				j->rt_cpus = rt;
				j->hk_cpus = hk;
				j->document = doc;
				j->complete = false;
			}
		} else if (cJSON_IsTrue(
				   cJSON_GetObjectItemCaseSensitive(o, "cancel"))) {
			/* The newest intent on the target was not acted on
			 * (without one, as librtvm wrote before batches:
			 * the newest of all). */
			const cJSON *t = cJSON_GetObjectItemCaseSensitive(
				o, "target");
			const char *ks = cJSON_GetStringValue(
				cJSON_GetObjectItemCaseSensitive(o, "kind"));
			int k = 0;

			for (int i = 1; ks && rtvm_change_kind_to_string(i); i++)
				if (strcmp(ks, rtvm_change_kind_to_string(i)) == 0)
					k = i;
			if (t && (!cJSON_IsString(t) || !k)) {
				err(ctx, "journal %s: line %u: bad cancel", name,
				    lineno);
				r = -EBADMSG;
			} else {
				steps_drop_newest(&j->steps,
						  (enum rtvm_change_kind)k,
						  cJSON_GetStringValue(t));
			}
		} else {
			char *kind = NULL, *target = NULL, *old = NULL,
			     *new = NULL, *tname = NULL;
			int k = -1;

			r = json_str(o, "kind", &kind);
			if (r == 0)
				r = json_str(o, "target", &target);
			if (r == 0)
				r = json_str(o, "old", &old);
			if (r == 0)
				r = json_str(o, "new", &new);
			/* Optional: journals before it have none. */
			if (r == 0)
				r = json_str(o, "name", &tname);
			for (int i = 1; kind && rtvm_change_kind_to_string(i); i++)
				if (strcmp(kind, rtvm_change_kind_to_string(i)) == 0)
					k = i;
			if (r == 0 && (k < 0 || !target)) {
				err(ctx, "journal %s: line %u: bad step", name,
				    lineno);
				r = -EBADMSG;
			}
			if (r == 0)
				r = steps_add(&j->steps, (enum rtvm_change_kind)k,
					      target, old, new,
					      cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(
						      o, "shared")),
					      cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(
						      o, "lease")));
			if (r == 0)
				r = steps_name_last(&j->steps, tname);
			if (r == 0)
				j->steps.v[j->steps.n - 1].by_shield = cJSON_IsTrue(
					cJSON_GetObjectItemCaseSensitive(o, "by_shield"));
			free(tname);
			free(kind);
			free(target);
			free(old);
			free(new);
		}
		cJSON_Delete(o);
		if (r < 0)
			break;
	}
	if (r == 0 && lineno == 0) {
		err(ctx, "journal %s: empty", name);
		r = -EBADMSG;
	}
	if (r < 0) {
		journal_free(j);
		return r;
	}
	*ret = j;
	return 0;
}

static int journal_load(struct rtvm_ctx *ctx, int dirfd, const char *name,
			struct journal **ret)
{
	char *text = NULL;
	int fd, r;

	fd = openat(dirfd, name, O_RDONLY | O_NONBLOCK | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0)
		return -errno;
	r = rtvm_fs_check_regular(ctx, fd, name);
	if (r == 0)
		r = read_fd_alloc(fd, &text);
	close(fd);
	if (r < 0)
		return r;
	/* A NUL would end the text early and hide the lines after it. */
	if (strlen(text) != (size_t)r) {
		err(ctx, "journal %s: a NUL byte at offset %zu", name,
		    strlen(text));
		free(text);
		return -EBADMSG;
	}
	r = journal_parse(ctx, name, text, ret);
	free(text);
	return r;
}

static bool has_suffix(const char *s, const char *suffix)
{
	size_t ls = strlen(s), lx = strlen(suffix);

	return ls > lx && strcmp(s + ls - lx, suffix) == 0;
}

/* A cgroup's RT runtime that an apply provisioned: a budget that the
 * applies of several VMs in the same cgroups (libvirt's machine.slice)
 * raise in turn.  A revert takes back what its VM added, not the value its
 * VM found, and more runtime than its VM added is not drift. */
static bool is_rt_runtime(enum rtvm_change_kind kind, const char *target)
{
	return kind == RTVM_CHANGE_FILE &&
	       has_suffix(target, "/cpu.rt_runtime_us");
}

/* A runtime value: microseconds, -1 (no limit) refused. */
static bool runtime_parse(const char *s, long long *ret)
{
	char *end;

	if (!s || !*s)
		return false;
	errno = 0;
	*ret = strtoll(s, &end, 10);
	return !errno && !*end && *ret >= 0;
}

/* The runtime the first @n records of @s for @st's target added in all,
 * and the newest of them; false where a value is not a number. */
static bool runtime_added(const struct steps *s, unsigned int n,
			  const struct step *st, long long *ret,
			  const struct step **ret_newest)
{
	long long o, v;

	*ret = 0;
	for (unsigned int i = 0; i < n; i++) {
		const struct step *x = &s->v[i];

		if (x->kind != st->kind || strcmp(x->target, st->target) != 0)
			continue;
		if (!runtime_parse(x->old, &o) || !runtime_parse(x->new, &v))
			return false;
		*ret += v - o;
		if (ret_newest)
			*ret_newest = x;
	}
	return true;
}

/* Every journal of the state directory. */
static int journals_load(struct rtvm_ctx *ctx, int dirfd,
			 struct journal ***ret, unsigned int *ret_n)
{
	struct journal **js = NULL;
	unsigned int n = 0;
	struct dirent *de;
	int fd, r = 0;
	DIR *d;

	*ret = NULL;
	*ret_n = 0;
	if (dirfd < 0) /* no state directory: nothing applied */
		return 0;
	fd = dup(dirfd);
	if (fd < 0)
		return -errno;
	d = fdopendir(fd);
	if (!d) {
		close(fd);
		return -errno;
	}
	rewinddir(d);
	while ((de = readdir(d))) {
		struct journal *j = NULL, **v;

		if (!has_suffix(de->d_name, JOURNAL_SUFFIX))
			continue;
		r = journal_load(ctx, dirfd, de->d_name, &j);
		if (r == -ENOENT)
			continue;
		if (r < 0)
			break;
		v = realloc(js, (n + 1) * sizeof(*v));
		if (!v) {
			journal_free(j);
			r = -ENOMEM;
			break;
		}
		js = v;
		js[n++] = j;
	}
	closedir(d);
	if (r < 0) {
		journals_free(js, n);
		return r;
	}
	*ret = js;
	*ret_n = n;
	return 0;
}

/* ---- reading the values plans compare ----------------------------------- */

static bool is_wq_mask(const char *rel)
{
	return has_suffix(rel, "workqueue/cpumask");
}

/* A file holding a hex CPU mask, compared in canonical form. */
static bool is_mask_file(const char *rel)
{
	return is_wq_mask(rel) || has_suffix(rel, "irq/default_smp_affinity");
}

/* A file's value as a record keeps it: THP's "always [madvise] never"
 * becomes "madvise", a hex CPU mask its canonical form. */
static int file_value(struct rtvm_ctx *ctx, const char *target, char **ret)
{
	const char *rel;
	enum rtvm_fs fs;
	char *buf, *open_b, *close_b;
	int r;

	r = rtvm_fs_split_path(target, &fs, &rel);
	if (r < 0)
		return r;
	r = rtvm_fs_read_alloc(ctx, fs, &buf, "%s", rel);
	if (r < 0)
		return r;
	rtvm_strip(buf);
	if ((open_b = strchr(buf, '[')) && (close_b = strchr(open_b, ']'))) {
		*close_b = '\0';
		memmove(buf, open_b + 1, strlen(open_b + 1) + 1);
	} else if (is_mask_file(rel)) {
		struct rtvm_cpumask *m;

		r = rtvm_cpumask_new(ctx, &m);
		if (r == 0)
			r = rtvm_cpumask_parse_hex(m, buf, RTVM_CPUMASK_ALLOW_EMPTY);
		free(buf);
		buf = NULL;
		if (r == 0)
			r = rtvm_cpumask_format_hex(m, &buf);
		rtvm_cpumask_free(m);
		if (r < 0)
			return r;
	}
	*ret = buf;
	return 0;
}

/* The thread a target names, if it is still the same thread. */
static int target_thread(struct rtvm_ctx *ctx, const char *target,
			 struct rtvm_tid *t, unsigned long long *start)
{
	unsigned long long now;
	int r;

	r = rtvm_thread_target_parse(target, t, start);
	if (r < 0)
		return r;
	r = rtvm_thread_identity(ctx, *t, &now);
	if (r < 0)
		return r;
	return now == *start ? 0 : -ESRCH;
}

/* The value a step's target has now, in the form its record keeps;
 * @like is a value of the record (a cgroup membership names its
 * controller). */
static int current_value(struct rtvm_ctx *ctx, enum rtvm_change_kind kind,
			 const char *target, const char *like, char **ret)
{
	struct rtvm_cpumask *m = NULL;
	unsigned long long start;
	struct rtvm_sched s;
	struct rtvm_tid t;
	char buf[256];
	int r;

	switch (kind) {
	case RTVM_CHANGE_SYSCTL:
		return rtvm_sysctl_get(ctx, target, ret);
	case RTVM_CHANGE_FILE:
		return file_value(ctx, target, ret);
	case RTVM_CHANGE_IRQ_AFFINITY:
		r = rtvm_fs_read(ctx, RTVM_FS_PROC, buf, sizeof(buf),
				 "irq/%s/smp_affinity_list", target);
		if (r < 0)
			return r;
		*ret = strdup(rtvm_strip(buf));
		return *ret ? 0 : -ENOMEM;
	case RTVM_CHANGE_THREAD_SCHED:
		r = target_thread(ctx, target, &t, &start);
		if (r == 0)
			r = rtvm_sys_sched_get(ctx, t, &s);
		if (r == 0)
			r = rtvm_sched_format(&s, ret);
		return r;
	case RTVM_CHANGE_THREAD_AFFINITY:
		r = target_thread(ctx, target, &t, &start);
		if (r == 0)
			r = rtvm_cpumask_new(ctx, &m);
		if (r == 0)
			r = rtvm_sys_affinity_get(ctx, t, m);
		if (r == 0)
			r = rtvm_cpumask_format_list(m, ret);
		rtvm_cpumask_free(m);
		return r;
	case RTVM_CHANGE_CGROUP_ATTACH: {
		char *ctl = NULL, *path = NULL;
		const char *unused;

		r = like ? rtvm_cgroup_split(like, &ctl, &unused) : -EINVAL;
		if (r == 0)
			r = target_thread(ctx, target, &t, &start);
		if (r == 0)
			r = rtvm_thread_cgroup(ctx, t, ctl, &path);
		if (r == 0 && asprintf(ret, "%s:%s", ctl, path) < 0)
			r = -ENOMEM;
		free(ctl);
		free(path);
		return r;
	}
	default:
		return -EINVAL;
	}
}

/* By kind and target, newest last. */
static int cmp_step_index(const void *a, const void *b, void *data)
{
	const struct steps *s = data;
	const struct step *x = &s->v[*(const unsigned int *)a];
	const struct step *y = &s->v[*(const unsigned int *)b];
	int c = (int)x->kind - (int)y->kind;

	if (!c)
		c = strcmp(x->target, y->target);
	if (!c)
		c = *(const unsigned int *)a < *(const unsigned int *)b ? -1 : 1;
	return c;
}

/* Which steps hold a target's last value: a thread the shield moved and
 * then put into the RT cgroup has two records, and only the newer one
 * says what it should have now. */
static int newest_steps(const struct steps *s, bool **ret)
{
	unsigned int *idx = malloc((s->n ? s->n : 1) * sizeof(*idx));
	bool *last = calloc(s->n ? s->n : 1, sizeof(*last));

	if (!idx || !last) {
		free(idx);
		free(last);
		return -ENOMEM;
	}
	for (unsigned int i = 0; i < s->n; i++)
		idx[i] = i;
	qsort_r(idx, s->n, sizeof(*idx), cmp_step_index, (void *)s);
	for (unsigned int i = 0; i < s->n; i++) {
		const struct step *a = &s->v[idx[i]], *b;

		b = i + 1 < s->n ? &s->v[idx[i + 1]] : NULL;
		last[idx[i]] = !b || a->kind != b->kind ||
			       strcmp(a->target, b->target) != 0;
	}
	free(idx);
	*ret = last;
	return 0;
}

/* Calls @fn for each setting @j records whose value now is not the value
 * applied (the newest step per target): @now is its value, or NULL with
 * @e saying why it cannot be read.  Threads and files that are gone have
 * nothing to keep and are not drift.  Stops at @fn's first error. */
static int foreach_drift(struct rtvm_ctx *ctx, const struct journal *j,
			 int (*fn)(const struct step *st, const char *now,
				   int e, void *data),
			 void *data)
{
	bool *last = NULL;
	int r = 0;

	if (newest_steps(&j->steps, &last) < 0)
		return -ENOMEM;
	for (unsigned int i = 0; r == 0 && i < j->steps.n; i++) {
		const struct step *st = &j->steps.v[i];
		long long vnow, vadded;
		char *now = NULL;
		int e;

		if (!st->new || !last[i])
			continue;
		e = current_value(ctx, st->kind, st->target, st->new, &now);
		if (e == -ESRCH || e == -ENOENT) /* gone: nothing to keep */
			continue;
		/* RT runtime: drift only when less is left than this VM's
		 * apply added (another VM's revert took its own share). */
		if (e == 0 && is_rt_runtime(st->kind, st->target) &&
		    runtime_parse(now, &vnow) &&
		    runtime_added(&j->steps, j->steps.n, st, &vadded, NULL) &&
		    vnow >= vadded) {
			free(now);
			continue;
		}
		if (e == 0 && strcmp(now, st->new) != 0)
			r = fn(st, now, 0, data);
		else if (e < 0)
			r = fn(st, NULL, e, data);
		free(now);
	}
	free(last);
	return r;
}

/* {"kind", "target", "applied", "now" or "error"}: one drifted setting. */
static cJSON *drift_json(const struct step *st, const char *now, int e)
{
	cJSON *d = cJSON_CreateObject();

	if (!d || !cJSON_AddStringToObject(d, "kind", kind_name(st->kind)) ||
	    !cJSON_AddStringToObject(d, "target", st->target) ||
	    !cJSON_AddStringToObject(d, "applied", st->new) ||
	    !(now ? cJSON_AddStringToObject(d, "now", now) :
		    cJSON_AddStringToObject(d, "error", strerror(-e)))) {
		cJSON_Delete(d);
		return NULL;
	}
	return d;
}

static int drift_add(const struct step *st, const char *now, int e,
		     void *data)
{
	cJSON *d = drift_json(st, now, e);

	if (!d)
		return -ENOMEM;
	cJSON_AddItemToArray(data, d);
	return 0;
}

/* ---- re-created vCPU threads -------------------------------------------- */

/* The VM process @j was applied to, when it still runs (the same start
 * time): else -ESRCH, and old journals without one say nothing. */
static int journal_process(struct rtvm_ctx *ctx, const struct journal *j,
			   pid_t *ret)
{
	unsigned long long start, now;
	int pid, n = 0;

	if (!j->vm_process ||
	    sscanf(j->vm_process, "%d@%llu%n", &pid, &start, &n) != 2 ||
	    j->vm_process[n] || pid <= 0)
		return -ESRCH;
	if (rtvm_thread_identity(ctx, (struct rtvm_tid){ pid, pid }, &now) < 0 ||
	    now != start)
		return -ESRCH;
	*ret = pid;
	return 0;
}

/* The value the applied @applied means for thread @t: a policy that
 * keeps the nice value keeps the new thread's own (as a plan has it). */
static int recreated_want(struct rtvm_ctx *ctx, enum rtvm_change_kind kind,
			  struct rtvm_tid t, const char *applied, char **ret)
{
	struct rtvm_sched s, cur;
	int r;

	if (kind != RTVM_CHANGE_THREAD_SCHED) {
		*ret = strdup(applied);
		return *ret ? 0 : -ENOMEM;
	}
	r = rtvm_sched_parse(applied, &s);
	if (r == 0 && rtvm_sched_keeps_nice(s.policy)) {
		r = rtvm_sys_sched_get(ctx, t, &cur);
		s.nice = cur.nice;
	}
	return r < 0 ? r : rtvm_sched_format(&s, ret);
}

/* Whether a step newer than @i of its kind names the same thread role
 * (the role's thread was found again already, or was re-created again):
 * that one decides. */
static bool role_newer(const struct steps *s, unsigned int i)
{
	for (unsigned int k = i + 1; k < s->n; k++)
		if (s->v[k].kind == s->v[i].kind && s->v[k].name &&
		    strcmp(s->v[k].name, s->v[i].name) == 0)
			return true;
	return false;
}

/* The vCPU thread of @vm named @name, if exactly one is. */
static int thread_named(struct rtvm_ctx *ctx, struct rtvm_vm *vm,
			const char *name, struct rtvm_tid *ret,
			unsigned long long *ret_start)
{
	const struct rtvm_vm_thread *t, *found = NULL;
	unsigned int n = 0;

	rtvm_vm_foreach_thread(t, vm) {
		const char *tn = rtvm_vm_thread_get_name(t);

		if (rtvm_vm_thread_get_role(t) == RTVM_VM_ROLE_VCPU && tn &&
		    strcmp(tn, name) == 0) {
			found = t;
			n++;
		}
	}
	if (n != 1) {
		if (n > 1)
			dbg(ctx, "VM %d: %u threads named \"%s\": none taken",
			    rtvm_vm_get_pid(vm), n, name);
		return -ESRCH;
	}
	*ret = (struct rtvm_tid){ rtvm_vm_get_pid(vm),
				  rtvm_vm_thread_get_tid(found) };
	*ret_start = rtvm_vm_thread_get_start(found);
	return *ret_start ? 0 : rtvm_thread_identity(ctx, *ret, ret_start);
}

/*
 * Calls @fn for each vCPU thread @j recorded by name whose tid is gone
 * while the VM process still runs and a thread of that name exists now
 * (re-created, as after CPU hot-plug): @was is the gone thread's step,
 * @st the step the new thread needs (its value now as the original, the
 * applied one as the new).  A new thread that has the value already
 * needs none.  Stops at @fn's first error.
 */
static int foreach_recreated(struct rtvm_ctx *ctx, const struct journal *j,
			     int (*fn)(const struct step *was,
				       const struct step *st, void *data),
			     void *data)
{
	struct rtvm_vm *vm = NULL;
	bool *last = NULL;
	pid_t pid;
	int r = 0;

	if (!j->complete || journal_process(ctx, j, &pid) < 0)
		return 0;
	if (newest_steps(&j->steps, &last) < 0)
		return -ENOMEM;
	for (unsigned int i = 0; r == 0 && i < j->steps.n; i++) {
		const struct step *was = &j->steps.v[i];
		unsigned long long start;
		struct rtvm_tid t;
		char target[64], *now = NULL, *want = NULL;
		struct step st;

		if (!was->name || !was->new || !last[i] ||
		    (was->kind != RTVM_CHANGE_THREAD_SCHED &&
		     was->kind != RTVM_CHANGE_THREAD_AFFINITY) ||
		    target_thread(ctx, was->target, &t, &start) != -ESRCH ||
		    t.pid != pid || role_newer(&j->steps, i))
			continue;
		if (!vm) {
			r = rtvm_vm_new_from_pid(ctx, pid, &vm);
			if (r < 0) {
				dbg(ctx, "VM %s: process %d: %s", j->vm_id, pid,
				    strerror(-r));
				r = 0;
				break;
			}
		}
		if (thread_named(ctx, vm, was->name, &t, &start) < 0)
			continue;
		snprintf(target, sizeof(target), "%d/%d@%llu", t.pid, t.tid,
			 start);
		r = current_value(ctx, was->kind, target, was->new, &now);
		if (r == 0)
			r = recreated_want(ctx, was->kind, t, was->new, &want);
		if (r == 0 && strcmp(now, want) != 0) {
			st = (struct step){ .kind = was->kind, .target = target,
					    .old = now, .new = want,
					    .name = was->name };
			r = fn(was, &st, data);
		}
		if (r == -ESRCH) /* exited meanwhile */
			r = 0;
		free(now);
		free(want);
	}
	rtvm_vm_unref(vm);
	free(last);
	return r;
}

/* A re-created thread's step as drift: as drift_json()'s, and the gone
 * thread's target as "recreated_from", the role's "name". */
static cJSON *recreated_json(const struct step *was, const struct step *st)
{
	cJSON *d = drift_json(st, st->old, 0);

	if (d && (!cJSON_AddStringToObject(d, "recreated_from", was->target) ||
		  !cJSON_AddStringToObject(d, "name", st->name))) {
		cJSON_Delete(d);
		d = NULL;
	}
	return d;
}

static int recreated_add(const struct step *was, const struct step *st,
			 void *data)
{
	cJSON *d = recreated_json(was, st);

	if (!d)
		return -ENOMEM;
	cJSON_AddItemToArray(data, d);
	return 0;
}

/* Drift of @j into the empty array @drift (as rtvm_tune_status() has
 * it); their number in @ret_n (may be NULL). */
static int journal_drift(struct rtvm_ctx *ctx, const struct journal *j,
			 cJSON *drift, unsigned int *ret_n)
{
	int r = foreach_drift(ctx, j, drift_add, drift);

	if (r == 0)
		r = foreach_recreated(ctx, j, recreated_add, drift);
	if (r == 0 && ret_n)
		*ret_n = (unsigned int)cJSON_GetArraySize(drift);
	return r;
}

/* ---- plans -------------------------------------------------------------- */

struct builder {
	struct rtvm_ctx *ctx;
	const struct rtvm_profile *p;
	struct rtvm_plan *plan;
	struct rtvm_vm *vm;
	struct steps vm_steps; /* the VM's pins and priorities */
	struct journal **others;
	unsigned int nr_others;
	struct rtvm_cpumask *online, *rt, *hk;
	/* A difference apply: the VM's own journal, whose settings the
	 * plan sees at their values before its first apply, and its shield
	 * kept as it is. */
	const struct journal *self;
	bool keep_shield;
};

/* The value a difference apply plans from: the original @kind @target
 * had before the VM's first apply (its oldest record's), or NULL for a
 * setting the VM's journal does not record (its value now counts). */
static const struct step *original(const struct builder *b,
				   enum rtvm_change_kind kind,
				   const char *target)
{
	if (!b->self)
		return NULL;
	for (unsigned int i = 0; i < b->self->steps.n; i++) {
		const struct step *st = &b->self->steps.v[i];

		if (st->kind == kind && !st->by_shield && !st->lease &&
		    strcmp(st->target, target) == 0)
			return st->old ? st : NULL;
	}
	return NULL;
}

/* A setting's value for the plan: its original() or its value now. */
static int planned_value(const struct builder *b, enum rtvm_change_kind kind,
			 const char *target, const char *want, char **ret)
{
	const struct step *o = original(b, kind, target);

	if (!o)
		return current_value(b->ctx, kind, target, want, ret);
	*ret = strdup(o->old);
	return *ret ? 0 : -ENOMEM;
}

/* The first other VM's record of a target. */
static const struct step *held_by(const struct builder *b,
				  enum rtvm_change_kind kind,
				  const char *target, const char **ret_vm)
{
	for (unsigned int i = 0; i < b->nr_others; i++) {
		const struct steps *s = &b->others[i]->steps;

		if (b->others[i] == b->self)
			continue;
		for (unsigned int k = 0; k < s->n; k++)
			if (s->v[k].kind == kind &&
			    strcmp(s->v[k].target, target) == 0) {
				*ret_vm = b->others[i]->vm_id;
				return &s->v[k];
			}
	}
	return NULL;
}

/* A shared setting: a write when it differs and nobody holds it, a lease
 * when another VM holds it with the same value, -EBUSY with another. */
static int want_shared(struct builder *b, enum rtvm_change_kind kind,
		       const char *target, const char *want)
{
	const struct step *h;
	const char *vm;
	char *cur;
	int r;

	h = held_by(b, kind, target, &vm);
	if (h) {
		if (!h->new || strcmp(h->new, want) != 0) {
			err(b->ctx,
			    "%s %s: VM %s holds it at \"%s\", this profile wants \"%s\"",
			    kind_name(kind), target, vm, h->new ? h->new : "",
			    want);
			return -EBUSY;
		}
		return steps_add(&b->plan->steps, kind, target, h->old, want,
				 true, true);
	}
	r = planned_value(b, kind, target, want, &cur);
	if (r < 0) {
		err(b->ctx, "%s %s: %s", kind_name(kind), target, strerror(-r));
		return r;
	}
	if (strcmp(cur, want) != 0)
		r = steps_add(&b->plan->steps, kind, target, cur, want, true,
			      false);
	free(cur);
	return r;
}

static int plan_host(struct builder *b)
{
	const struct rtvm_profile *p = b->p;
	char val[32], *target = NULL;
	int r = 0;

	if (p->rt_runtime.set) {
		snprintf(val, sizeof(val), "%lld", p->rt_runtime.value);
		r = want_shared(b, RTVM_CHANGE_SYSCTL,
				"kernel.sched_rt_runtime_us", val);
		if (r < 0)
			return r;
	}
	if (p->timer_migration.set) {
		snprintf(val, sizeof(val), "%lld", p->timer_migration.value);
		r = want_shared(b, RTVM_CHANGE_SYSCTL, "kernel.timer_migration",
				val);
		if (r < 0)
			return r;
	}
	if (p->thp) {
		r = rtvm_fs_join_path(RTVM_FS_SYS,
				      "kernel/mm/transparent_hugepage/enabled",
				      &target);
		if (r == 0)
			r = want_shared(b, RTVM_CHANGE_FILE, target, p->thp);
		free(target);
		target = NULL;
		if (r < 0)
			return r;
	}
	if (p->ksm.set) {
		snprintf(val, sizeof(val), "%lld", p->ksm.value);
		r = rtvm_fs_join_path(RTVM_FS_SYS, "kernel/mm/ksm/run", &target);
		if (r == 0)
			r = want_shared(b, RTVM_CHANGE_FILE, target, val);
		free(target);
		target = NULL;
		if (r < 0)
			return r;
	}
	if (p->wq_set) {
		struct rtvm_cpumask *m = NULL;
		char *hex = NULL;

		if (p->wq_cpus == PROF_CPUS_LIST) {
			r = mask_from_list(b->ctx, p->wq_list, &m);
			if (r == 0)
				r = rtvm_cpus_check_online(b->ctx, m);
		} else {
			r = rtvm_cpumask_dup(b->hk, &m);
		}
		if (r == 0)
			r = rtvm_cpumask_format_hex(m, &hex);
		if (r == 0)
			r = rtvm_fs_join_path(RTVM_FS_SYS,
					      "devices/virtual/workqueue/cpumask",
					      &target);
		if (r == 0)
			r = want_shared(b, RTVM_CHANGE_FILE, target, hex);
		rtvm_cpumask_free(m);
		free(hex);
		free(target);
	}
	return r;
}

static int plan_pm_qos(struct builder *b)
{
	char rel[128], want[32], *target, *cur;
	int cpu, r;

	if (!b->p->pm_qos.set)
		return 0;
	/* sysfs: "n/a" asks for 0 us, "0" would mean no constraint. */
	if (b->p->pm_qos.value == 0)
		snprintf(want, sizeof(want), "n/a");
	else
		snprintf(want, sizeof(want), "%lld", b->p->pm_qos.value);
	rtvm_cpumask_foreach(cpu, b->rt) {
		snprintf(rel, sizeof(rel),
			 "devices/system/cpu/cpu%d/power/pm_qos_resume_latency_us",
			 cpu);
		r = rtvm_fs_join_path(RTVM_FS_SYS, rel, &target);
		if (r < 0)
			return r;
		r = planned_value(b, RTVM_CHANGE_FILE, target, want, &cur);
		if (r < 0) {
			err(b->ctx, "PM QoS of CPU %d: %s", cpu, strerror(-r));
		} else {
			if (strcmp(cur, want) != 0)
				r = steps_add(&b->plan->steps, RTVM_CHANGE_FILE,
					      target, cur, want, false, false);
			free(cur);
		}
		free(target);
		if (r < 0)
			return r;
	}
	return 0;
}

static int plan_irqs(struct builder *b)
{
	const struct rtvm_profile *p = b->p;
	struct rtvm_cpumask **to = NULL;
	const struct rtvm_irq *q;
	struct rtvm_irqs *irqs;
	char *hk = NULL;
	int r;

	if (!p->irq_away && !p->nr_irqs)
		return 0;
	to = calloc(p->nr_irqs + 1, sizeof(*to));
	if (!to)
		return -ENOMEM;
	r = rtvm_cpumask_format_list(b->hk, &hk);
	for (unsigned int i = 0; r == 0 && i < p->nr_irqs; i++) {
		r = mask_from_list(b->ctx, p->irqs[i].cpus, &to[i]);
		if (r == 0 && (!rtvm_cpumask_weight(to[i]) ||
			       !rtvm_cpumask_subset(to[i], b->rt))) {
			err(b->ctx,
			    "profile: .irqs.to_rt[%u].cpus: \"%s\" is not a subset of the RT CPUs %s",
			    i, p->irqs[i].cpus, b->plan->rt_list);
			r = -EINVAL;
		}
	}
	if (r == 0) {
		r = rtvm_irqs_new(b->ctx, &irqs);
		if (r < 0)
			err(b->ctx, "IRQs: cannot read the inventory: %s",
			    strerror(-r));
	}
	if (r < 0)
		goto out;
	rtvm_irqs_foreach(q, irqs) {
		const struct rtvm_cpumask *aff = rtvm_irq_get_affinity(q);
		const struct step *h, *o;
		struct rtvm_cpumask *was = NULL;
		const char *vm;
		char target[16], *cur = NULL, *want = NULL;
		int to_rt = -1;

		if (rtvm_irq_get_kind(q) != RTVM_IRQ_DEVICE || !aff ||
		    !rtvm_irq_is_movable(q))
			continue;
		for (unsigned int i = 0; i < p->nr_irqs && to_rt < 0; i++)
			if (rtvm_irq_match(q, p->irqs[i].match) > 0)
				to_rt = (int)i;
		snprintf(target, sizeof(target), "%d", rtvm_irq_get_number(q));
		o = original(b, RTVM_CHANGE_IRQ_AFFINITY, target);
		if (o) {
			r = mask_from_list(b->ctx, o->old, &was);
			if (r < 0)
				break;
			aff = was;
		}
		h = held_by(b, RTVM_CHANGE_IRQ_AFFINITY, target, &vm);
		if (to_rt >= 0) {
			if (h) {
				err(b->ctx, "IRQ %s is held by VM %s", target,
				    vm);
				rtvm_cpumask_free(was);
				r = -EBUSY;
				break;
			}
			r = rtvm_cpumask_format_list(aff, &cur);
			if (r == 0)
				r = rtvm_cpumask_format_list(to[to_rt], &want);
			if (r == 0 && strcmp(cur, want) != 0)
				r = steps_add(&b->plan->steps,
					      RTVM_CHANGE_IRQ_AFFINITY, target,
					      cur, want, false, false);
		} else if (p->irq_away && h) {
			struct rtvm_cpumask *hm = NULL;

			/* Another VM moved it: it must stay off these RT
			 * CPUs too, and this VM keeps it there when the
			 * other VM goes. */
			r = mask_from_list(b->ctx, h->new ? h->new : "", &hm);
			if (r == 0 && rtvm_cpumask_intersects(hm, b->rt)) {
				err(b->ctx,
				    "IRQ %s: VM %s holds it on CPUs %s, which include RT CPUs %s",
				    target, vm, h->new, b->plan->rt_list);
				r = -EBUSY;
			}
			rtvm_cpumask_free(hm);
			if (r == 0)
				r = steps_add(&b->plan->steps,
					      RTVM_CHANGE_IRQ_AFFINITY, target,
					      h->old, h->new, true, true);
		} else if (p->irq_away && rtvm_cpumask_intersects(aff, b->rt)) {
			r = rtvm_cpumask_format_list(aff, &cur);
			if (r == 0)
				r = steps_add(&b->plan->steps,
					      RTVM_CHANGE_IRQ_AFFINITY, target,
					      cur, hk, true, false);
		}
		rtvm_cpumask_free(was);
		free(cur);
		free(want);
		if (r < 0)
			break;
	}
	rtvm_irqs_unref(irqs);
	/* IRQs requested later start on housekeeping CPUs too; shared, as
	 * all VMs of a host have the same housekeeping CPUs. */
	if (r == 0 && p->irq_away) {
		char *hex = NULL, *target = NULL;

		r = rtvm_cpumask_format_hex(b->hk, &hex);
		if (r == 0)
			r = rtvm_fs_join_path(RTVM_FS_PROC,
					      "irq/default_smp_affinity", &target);
		if (r == 0)
			r = want_shared(b, RTVM_CHANGE_FILE, target, hex);
		free(hex);
		free(target);
	}
out:
	for (unsigned int i = 0; i < p->nr_irqs; i++)
		rtvm_cpumask_free(to[i]);
	free(to);
	free(hk);
	return r;
}

/* A scheduling step for a thread when @want (nice aside) differs. */
static int want_sched(struct builder *b, struct steps *out, struct rtvm_tid t,
		      unsigned long long start, struct rtvm_sched want,
		      bool keep_nice)
{
	char target[64], oldt[RTVM_SCHED_TEXT_MAX], newt[RTVM_SCHED_TEXT_MAX];
	const struct step *o;
	struct rtvm_sched cur;
	int r;

	snprintf(target, sizeof(target), "%d/%d@%llu", t.pid, t.tid, start);
	o = original(b, RTVM_CHANGE_THREAD_SCHED, target);
	r = o ? rtvm_sched_parse(o->old, &cur) : rtvm_sys_sched_get(b->ctx, t, &cur);
	if (r < 0) {
		err(b->ctx, "thread %d/%d: %s", t.pid, t.tid, strerror(-r));
		return r;
	}
	/* RT policies keep the thread's nice value (see sched.c). */
	if (keep_nice || rtvm_sched_keeps_nice(want.policy))
		want.nice = cur.nice;
	if ((r = rtvm_sched_format_buf(&cur, oldt, sizeof(oldt))) < 0 ||
	    (r = rtvm_sched_format_buf(&want, newt, sizeof(newt))) < 0)
		return r;
	if (strcmp(oldt, newt) == 0)
		return 0;
	return steps_add(out, RTVM_CHANGE_THREAD_SCHED, target, oldt, newt,
			 false, false);
}

static int want_affinity(struct builder *b, struct steps *out,
			 struct rtvm_tid t, unsigned long long start,
			 const struct rtvm_cpumask *want)
{
	struct rtvm_cpumask *cur = NULL;
	char target[64], *oldt = NULL, *newt = NULL;
	const struct step *o;
	int r;

	snprintf(target, sizeof(target), "%d/%d@%llu", t.pid, t.tid, start);
	o = original(b, RTVM_CHANGE_THREAD_AFFINITY, target);
	r = rtvm_cpumask_new(b->ctx, &cur);
	if (r == 0)
		r = o ? rtvm_cpumask_parse_list(cur, o->old, 0) :
			rtvm_sys_affinity_get(b->ctx, t, cur);
	if (r == 0 && !rtvm_cpumask_equal(cur, want)) {
		r = rtvm_cpumask_format_list(cur, &oldt);
		if (r == 0)
			r = rtvm_cpumask_format_list(want, &newt);
		if (r == 0)
			r = steps_add(out, RTVM_CHANGE_THREAD_AFFINITY, target,
				      oldt, newt, false, false);
	}
	if (r < 0)
		err(b->ctx, "thread %d/%d: %s", t.pid, t.tid, strerror(-r));
	rtvm_cpumask_free(cur);
	free(oldt);
	free(newt);
	return r;
}

static int plan_kthreads(struct builder *b)
{
	const struct rtvm_thread *t;
	struct rtvm_host *host;
	int r;

	if (!b->p->kthreads)
		return 0;
	r = rtvm_host_new(b->ctx, RTVM_HOST_THREADS, &host);
	if (r < 0)
		return r;
	rtvm_host_foreach_thread(t, host) {
		struct rtvm_sched s;

		if (!rtvm_thread_is_kthread(t))
			continue;
		r = rtvm_kthread_rule(b->p->kthreads, rtvm_thread_get_comm(t),
				      b->rt, &s);
		if (r <= 0)
			continue;
		r = want_sched(b, &b->plan->steps,
			       (struct rtvm_tid){ rtvm_thread_get_pid(t),
						  rtvm_thread_get_tid(t) },
			       rtvm_thread_get_start_time(t), s, true);
		if (r == -ESRCH)
			r = 0;
		if (r < 0)
			break;
	}
	rtvm_host_unref(host);
	return r < 0 ? r : 0;
}

/* The @n-th CPU of @m (from 0), -1 past the last. */
static int nth_cpu(const struct rtvm_cpumask *m, unsigned int n)
{
	int cpu = rtvm_cpumask_next(m, -1);

	while (cpu >= 0 && n--)
		cpu = rtvm_cpumask_next(m, cpu);
	return cpu;
}

/* The CPUs of a role's policy; a new mask. */
static int role_cpus(struct builder *b, const struct prof_policy *pol,
		     const char *path, struct rtvm_cpumask **ret)
{
	int r;

	switch (pol->cpus) {
	case PROF_CPUS_RT:
		return rtvm_cpumask_dup(b->rt, ret);
	case PROF_CPUS_LIST:
		r = mask_from_list(b->ctx, pol->cpu_list, ret);
		if (r == 0 && rtvm_cpus_check_online(b->ctx, *ret) < 0) {
			err(b->ctx, "profile: %s.cpus: \"%s\" is not online",
			    path, pol->cpu_list);
			*ret = rtvm_cpumask_free(*ret);
			r = -EINVAL;
		}
		return r;
	default:
		return rtvm_cpumask_dup(b->hk, ret);
	}
}

/*
 * RT group scheduling: the kernel refuses SCHED_FIFO and SCHED_RR to a
 * thread whose cpu cgroup has cpu.rt_runtime_us 0.  With
 * "provision_rt_runtime" the cgroups of the threads that get such a
 * policy, and their ancestors without runtime, get some: the writes are
 * steps of their own, after the pins and before the priorities, so the
 * plan shows them and the apply journals them as any other.  Without it
 * the plan warns that the apply will be refused.
 */
static int plan_rt_runtime(struct builder *b, const struct steps *sched)
{
	struct rtvm_rt_plan *rp = NULL;
	struct rtvm_changeset *cs = NULL;
	const struct rtvm_change *c;
	int r;

	r = rtvm_rt_plan_new(b->ctx, &rp);
	if (r == 0)
		r = rtvm_changeset_new(b->ctx, &cs);
	for (unsigned int i = 0; r == 0 && i < sched->n; i++) {
		const struct step *st = &sched->v[i];
		unsigned long long start;
		struct rtvm_sched s;
		struct rtvm_tid t;
		char *cg = NULL;

		if (rtvm_sched_parse(st->new, &s) < 0 ||
		    (s.policy != SCHED_FIFO && s.policy != SCHED_RR) ||
		    rtvm_thread_target_parse(st->target, &t, &start) < 0)
			continue;
		r = rtvm_rt_plan_thread(rp, t, cs, &cg);
		if (r > 0 && !b->p->provision_rt)
			rtvm_log_cond(b->ctx, LOG_WARNING,
				      "thread %d/%d: its cpu cgroup %s has cpu.rt_runtime_us 0: the kernel will refuse its RT policy (%s); set \"provision_rt_runtime\": true in the profile",
				      t.pid, t.tid, cg, st->new);
		free(cg);
		/* Not asked to provision: the apply's refusal tells. */
		if (r > 0 || (r < 0 && r != -ENOMEM && !b->p->provision_rt))
			r = 0;
	}
	if (r == 0 && b->p->provision_rt)
		rtvm_changeset_foreach(c, cs) {
			r = steps_add(&b->vm_steps, rtvm_change_get_kind(c),
				      rtvm_change_get_target(c),
				      rtvm_change_get_old_value(c),
				      rtvm_change_get_new_value(c), false,
				      false);
			if (r < 0)
				break;
		}
	rtvm_changeset_unref(cs);
	rtvm_rt_plan_free(rp);
	return r;
}

static int plan_vm(struct builder *b, struct rtvm_vm *vm)
{
	const struct rtvm_profile *p = b->p;
	unsigned int nr = rtvm_vm_get_nr_vcpus(vm);
	struct rtvm_cpumask *cpus[PROF_NR_ROLES] = { 0 }, *one = NULL,
			    *rtv = NULL;
	static const char *const paths[PROF_NR_ROLES] = {
		".policies.rt_vcpu", ".policies.vcpu", ".policies.emulator",
		".policies.iothread"
	};
	const struct rtvm_vm_thread *t;
	struct steps sched = { 0 };
	int *pcpu = NULL, r = 0, next;
	bool *is_rt = NULL;
	pid_t *rt_tid = NULL;

	pcpu = calloc(nr ? nr : 1, sizeof(*pcpu));
	is_rt = calloc(nr ? nr : 1, sizeof(*is_rt));
	rt_tid = calloc(nr ? nr : 1, sizeof(*rt_tid));
	if (!pcpu || !is_rt || !rt_tid) {
		r = -ENOMEM;
		goto out;
	}
	for (int i = 0; i < PROF_NR_ROLES && r == 0; i++)
		r = role_cpus(b, &p->roles[i], paths[i], &cpus[i]);
	if (r == 0)
		r = rtvm_cpumask_new(b->ctx, &one);
	if (r < 0)
		goto out;
	/* The vCPU map: the profile's, or the RT vCPUs one-to-one on the
	 * RT CPUs in order. */
	if (p->vcpus) {
		if (p->nr_vcpus != nr) {
			err(b->ctx,
			    "profile: .vcpus: lists %u vCPUs, the VM has %u",
			    p->nr_vcpus, nr);
			r = -EINVAL;
			goto out;
		}
		for (unsigned int i = 0; i < nr; i++) {
			pcpu[i] = p->vcpus[i].pcpu;
			is_rt[i] = p->vcpus[i].rt;
			if (is_rt[i] ? !rtvm_cpumask_test(b->rt, (unsigned)pcpu[i]) :
				       !rtvm_cpumask_test(b->online, (unsigned)pcpu[i])) {
				err(b->ctx,
				    "profile: .vcpus[%u].pcpu: %d is not %s (%s)",
				    i, pcpu[i],
				    is_rt[i] ? "an RT CPU" : "online",
				    is_rt[i] ? b->plan->rt_list : "");
				r = -EINVAL;
				goto out;
			}
		}
	} else {
		if (p->rt_vcpus) {
			r = rtvm_cpumask_new_nr(RTVM_CPUMASK_MAX_CPUS, &rtv);
			if (r == 0)
				r = rtvm_cpumask_parse_list(rtv, p->rt_vcpus, 0);
			if (r < 0)
				goto out;
		}
		next = -1;
		for (unsigned int i = 0; i < nr; i++) {
			is_rt[i] = !rtv || rtvm_cpumask_test(rtv, i);
			if (!is_rt[i])
				continue;
			next = rtvm_cpumask_next(b->rt, next);
			if (next < 0) {
				err(b->ctx,
				    "profile: the VM's RT vCPUs outnumber the RT CPUs %s",
				    b->plan->rt_list);
				r = -EINVAL;
				goto out;
			}
			pcpu[i] = next;
		}
		if (rtv && rtvm_cpumask_next(rtv, (int)nr - 1) >= 0) {
			err(b->ctx, "profile: .rt_vcpus: \"%s\" names vCPUs the VM (%u) does not have",
			    p->rt_vcpus, nr);
			r = -EINVAL;
			goto out;
		}
	}
	/* Pins first, priorities after: an RT thread never runs at its
	 * priority on a CPU it is leaving. */
	rtvm_vm_foreach_thread(t, vm) {
		struct rtvm_tid tid = { rtvm_vm_get_pid(vm),
					rtvm_vm_thread_get_tid(t) };
		unsigned long long start = rtvm_vm_thread_get_start(t);
		const struct prof_policy *pol;
		const struct rtvm_cpumask *want;
		struct rtvm_sched s = { 0 };
		int i = rtvm_vm_thread_get_index(t);
		bool has_sched;

		if (!start) {
			r = rtvm_thread_identity(b->ctx, tid, &start);
			if (r == -ESRCH)
				continue;
			if (r < 0)
				break;
		}
		switch (rtvm_vm_thread_get_role(t)) {
		case RTVM_VM_ROLE_VCPU:
			if (i < 0 || (unsigned int)i >= nr)
				continue;
			pol = &p->roles[is_rt[i] ? PROF_RT_VCPU : PROF_VCPU];
			if (is_rt[i])
				rt_tid[i] = tid.tid;
			if (is_rt[i] || p->vcpus) {
				rtvm_cpumask_zero(one);
				rtvm_cpumask_set(one, (unsigned int)pcpu[i]);
				want = one;
			} else {
				want = cpus[PROF_VCPU];
			}
			s = pol->sched;
			has_sched = pol->has_sched;
			if (is_rt[i] && p->vcpus && p->vcpus[i].priority) {
				if (!has_sched)
					s.policy = SCHED_FIFO;
				s.priority = p->vcpus[i].priority;
				has_sched = true;
			}
			break;
		case RTVM_VM_ROLE_IOTHREAD:
			pol = &p->roles[PROF_IOTHREAD];
			want = cpus[PROF_IOTHREAD];
			s = pol->sched;
			has_sched = pol->has_sched;
			break;
		default: /* the emulator and its helper threads */
			pol = &p->roles[PROF_EMULATOR];
			want = cpus[PROF_EMULATOR];
			s = pol->sched;
			has_sched = pol->has_sched;
			break;
		}
		{
			/* A vCPU thread's steps carry its name ("CPU 0/KVM"):
			 * one re-created after CPU hot-plug (a new tid) is
			 * found again by reconcile. */
			const char *name =
				rtvm_vm_thread_get_role(t) == RTVM_VM_ROLE_VCPU ?
					rtvm_vm_thread_get_name(t) :
					NULL;
			unsigned int na = b->vm_steps.n, ns = sched.n;

			r = want_affinity(b, &b->vm_steps, tid, start, want);
			if (r == 0 && b->vm_steps.n > na)
				r = steps_name_last(&b->vm_steps, name);
			if (r == 0 && has_sched)
				r = want_sched(b, &sched, tid, start, s,
					       !pol->has_nice);
			if (r == 0 && sched.n > ns)
				r = steps_name_last(&sched, name);
		}
		if (r == -ESRCH) /* exited meanwhile */
			r = 0;
		if (r < 0)
			break;
	}
	if (r == 0)
		r = plan_rt_runtime(b, &sched);
	if (r == 0)
		r = steps_move(&b->vm_steps, &sched);
	/* The RT vCPUs' threads, in vCPU order, for the shield. */
	if (r == 0 && !(b->plan->rt_tids = calloc(nr ? nr : 1, sizeof(pid_t))))
		r = -ENOMEM;
	for (unsigned int i = 0; r == 0 && i < nr; i++) {
		if (!is_rt[i])
			continue;
		if (p->shield_per_vcpu &&
		    pcpu[i] != nth_cpu(b->rt, b->plan->nr_rt_tids)) {
			err(b->ctx,
			    "profile: .shield.per_vcpu: vCPU %u is on CPU %d, not on RT CPU number %u of %s (per-vCPU cpusets take the RT CPUs in order)",
			    i, pcpu[i], b->plan->nr_rt_tids, b->plan->rt_list);
			r = -EINVAL;
		} else if (rt_tid[i]) {
			b->plan->rt_tids[b->plan->nr_rt_tids++] = rt_tid[i];
		}
	}
out:
	steps_free(&sched);
	for (int i = 0; i < PROF_NR_ROLES; i++)
		rtvm_cpumask_free(cpus[i]);
	rtvm_cpumask_free(one);
	rtvm_cpumask_free(rtv);
	free(pcpu);
	free(is_rt);
	free(rt_tid);
	return r;
}

/* A predicted step: what the shield's dry run says it will do. */
static int add_predicted(struct builder *b, enum rtvm_change_kind kind,
			 const char *target, const char *old, const char *new)
{
	int r = steps_add(&b->plan->steps, kind, target, old, new, false,
			  false);

	if (r == 0)
		b->plan->steps.v[b->plan->steps.n - 1].predicted = true;
	return r;
}

/* "cpuset:/machine.slice" and "cpuset.cpus" -> the file's host path. */
static int cgroup_file_target(struct rtvm_ctx *ctx, const char *cgroup,
			      const char *file, char **ret)
{
	char *ctl = NULL, *rel = NULL, *path = NULL;
	const char *cg;
	enum rtvm_fs fs;
	int r;

	r = rtvm_cgroup_split(cgroup, &ctl, &cg);
	if (r == 0)
		r = rtvm_cgroup_dir(ctx, ctl, cg, &fs, &rel);
	if (r == 0 && asprintf(&path, "%s/%s", rel, file) < 0)
		r = -ENOMEM;
	if (r == 0)
		r = rtvm_fs_join_path(fs, path, ret);
	free(ctl);
	free(rel);
	free(path);
	return r;
}

/* The shield, as its dry run sees it, and the RT vCPUs moving into it.
 * One VM at a time holds the shield: its cgroups are the host's. */
static int plan_shield(struct builder *b)
{
	const struct rtvm_profile *p = b->p;
	struct rtvm_plan *plan = b->plan;
	struct rtvm_shield_report *rep = NULL;
	const struct rtvm_shield_item *it;
	const char *rt_cg, *unused;
	char *ctl = NULL;
	int r;

	if (!p->shield || b->keep_shield)
		return 0;
	for (unsigned int i = 0; i < b->nr_others; i++)
		for (unsigned int k = 0; k < b->others[i]->steps.n; k++) {
			const struct step *st = &b->others[i]->steps.v[k];

			if (st->kind == RTVM_CHANGE_CGROUP_CREATE &&
			    has_suffix(st->target, "/rtvm-rt")) {
				err(b->ctx,
				    "profile: .shield: VM %s holds the shield %s",
				    b->others[i]->vm_id, st->target);
				return -EBUSY;
			}
		}
	plan->shield = true;
	plan->shield_scope = strdup(p->shield_scope ? p->shield_scope : "/");
	if (!plan->shield_scope)
		return -ENOMEM;
	/* The unbound workqueue mask is the host knob's when the profile
	 * sets it (shared with other VMs). */
	plan->shield_flags = (p->shield_kthreads ? 0 : RTVM_SHIELD_NO_KTHREADS) |
			     (p->wq_set ? RTVM_SHIELD_NO_WORKQUEUE : 0);
	plan->vcpu_flags = p->shield_per_vcpu ? RTVM_SHIELD_PER_VCPU : 0;
	r = rtvm_shield_create(b->ctx, b->rt, b->hk, plan->shield_scope,
			       plan->shield_flags | RTVM_SHIELD_DRY_RUN, NULL,
			       &rep);
	if (r < 0)
		return r;
	rtvm_shield_report_foreach(it, rep) {
		const char *target = rtvm_shield_item_get_target(it);
		const char *old = rtvm_shield_item_get_old(it);
		const char *new = rtvm_shield_item_get_new(it);
		struct rtvm_tid t = { rtvm_shield_item_get_pid(it),
				      rtvm_shield_item_get_tid(it) };
		unsigned long long start;
		char *host = NULL, *tt = NULL;

		switch (rtvm_shield_item_get_kind(it)) {
		case RTVM_SHIELD_NOTE: /* a cgroup it makes, with its CPUs */
			if (new)
				r = add_predicted(b, RTVM_CHANGE_CGROUP_CREATE,
						  target, NULL, NULL);
			break;
		case RTVM_SHIELD_CGROUP: /* another cgroup narrowed */
			r = cgroup_file_target(b->ctx, target, "cpuset.cpus",
					       &host);
			if (r == 0)
				r = add_predicted(b, RTVM_CHANGE_FILE, host, old,
						  new);
			break;
		case RTVM_SHIELD_FILE:
			r = add_predicted(b, RTVM_CHANGE_FILE, target, old, new);
			break;
		case RTVM_SHIELD_MOVED:
			if (rtvm_thread_identity(b->ctx, t, &start) < 0)
				break; /* gone meanwhile */
			r = rtvm_thread_target_format(t, start, &tt);
			if (r == 0)
				r = add_predicted(b, RTVM_CHANGE_CGROUP_ATTACH, tt,
						  old, target);
			break;
		default:
			break;
		}
		free(host);
		free(tt);
		if (r < 0)
			goto out;
	}
	/* Then the RT vCPUs go into the RT cgroup (each its own with
	 * per_vcpu), from housekeeping where the shield put them. */
	rt_cg = rtvm_shield_report_get_cgroup(rep);
	r = rtvm_cgroup_split(rt_cg, &ctl, &unused);
	if (r < 0)
		goto out;
	for (unsigned int i = 0; i < plan->nr_rt_tids; i++) {
		struct rtvm_tid t = { rtvm_vm_get_pid(b->vm), plan->rt_tids[i] };
		unsigned long long start;
		char *tt = NULL, *cur = NULL, *from = NULL, *to = NULL;

		if (rtvm_thread_identity(b->ctx, t, &start) < 0)
			continue;
		r = rtvm_thread_target_format(t, start, &tt);
		if (r == 0)
			r = rtvm_thread_cgroup(b->ctx, t, ctl, &cur);
		if (r == 0 && asprintf(&from, "%s:%s", ctl, cur) < 0)
			r = -ENOMEM;
		if (r == 0 && (p->shield_per_vcpu ?
				       asprintf(&to, "%s/vcpu%u", rt_cg, i) :
				       asprintf(&to, "%s", rt_cg)) < 0)
			r = -ENOMEM;
		if (r == 0 && p->shield_per_vcpu)
			r = add_predicted(b, RTVM_CHANGE_CGROUP_CREATE, to, NULL,
					  NULL);
		if (r == 0)
			r = add_predicted(b, RTVM_CHANGE_CGROUP_ATTACH, tt, from,
					  to);
		free(tt);
		free(cur);
		free(from);
		free(to);
		if (r < 0)
			break;
	}
out:
	free(ctl);
	rtvm_shield_report_free(rep);
	return r;
}

static int plan_cpus(struct builder *b)
{
	const struct rtvm_profile *p = b->p;
	char buf[4096];
	int r;

	r = rtvm_ctx_online_cpus(b->ctx, &b->online);
	if (r < 0)
		return r;
	if (p->rt_cpus) {
		r = mask_from_list(b->ctx, p->rt_cpus, &b->rt);
	} else {
		r = rtvm_fs_read(b->ctx, RTVM_FS_SYS, buf, sizeof(buf),
				 "devices/system/cpu/isolated");
		if (r >= 0)
			r = mask_from_list(b->ctx, rtvm_strip(buf), &b->rt);
	}
	if (r < 0)
		return r;
	if (!rtvm_cpumask_weight(b->rt)) {
		err(b->ctx, "profile: no .rt_cpus, and the host isolates no CPU");
		return -EINVAL;
	}
	if (rtvm_cpus_check_online(b->ctx, b->rt) < 0) {
		err(b->ctx, "profile: .rt_cpus: %s are not all online",
		    p->rt_cpus ? p->rt_cpus : "(isolated)");
		return -EINVAL;
	}
	if (p->hk_cpus) {
		r = mask_from_list(b->ctx, p->hk_cpus, &b->hk);
		if (r < 0)
			return r;
		if (rtvm_cpus_check_online(b->ctx, b->hk) < 0) {
			err(b->ctx,
			    "profile: .housekeeping_cpus: \"%s\" are not all online",
			    p->hk_cpus);
			return -EINVAL;
		}
	} else {
		r = rtvm_cpumask_dup(b->online, &b->hk);
		if (r == 0)
			r = rtvm_cpumask_op(b->hk, RTVM_CPUMASK_ANDNOT, b->rt);
		if (r < 0)
			return r;
	}
	if (rtvm_cpumask_intersects(b->hk, b->rt) ||
	    !rtvm_cpumask_weight(b->hk)) {
		err(b->ctx,
		    "profile: housekeeping CPUs must be some CPUs that are not RT CPUs");
		return -EINVAL;
	}
	r = rtvm_cpumask_format_list(b->rt, &b->plan->rt_list);
	if (r == 0)
		r = rtvm_cpumask_format_list(b->hk, &b->plan->hk_list);
	return r;
}

static bool str_same(const char *a, const char *b)
{
	return a == b || (a && b && strcmp(a, b) == 0);
}

/* Whether profiles @a and @b make the same shield for the same RT vCPUs
 * (their CPUs aside, which the caller compares as resolved). */
static bool shield_same(const struct rtvm_profile *a,
			const struct rtvm_profile *b)
{
	if (a->shield != b->shield || !str_same(a->shield_scope, b->shield_scope) ||
	    a->shield_per_vcpu != b->shield_per_vcpu ||
	    a->shield_kthreads != b->shield_kthreads || a->wq_set != b->wq_set ||
	    !str_same(a->rt_vcpus, b->rt_vcpus) || a->nr_vcpus != b->nr_vcpus)
		return false;
	for (unsigned int i = 0; i < a->nr_vcpus; i++)
		if (a->vcpus[i].pcpu != b->vcpus[i].pcpu ||
		    a->vcpus[i].rt != b->vcpus[i].rt)
			return false;
	return true;
}

/* Another profile, or the same one meaning other CPUs now, for a VM
 * whose journal @j is complete: a difference apply.  It keeps the VM's
 * shield as it is, so a profile that changes the shield is -EEXIST. */
static int plan_update(struct builder *b, const struct journal *j)
{
	struct rtvm_plan *plan = b->plan;
	const char *id = plan->vm_id, *name = j->profile ? j->profile : "(no name)";
	struct rtvm_profile *q = NULL;
	bool shield = false, marked = false, same;
	int r;

	for (unsigned int i = 0; i < j->steps.n; i++) {
		marked |= j->steps.v[i].by_shield;
		shield |= j->steps.v[i].kind == RTVM_CHANGE_CGROUP_CREATE;
	}
	if (shield && !marked) {
		err(b->ctx,
		    "VM %s has profile %s applied with a shield by a journal of an older librtvm, which does not mark the shield's records: revert it first",
		    id, name);
		return -EEXIST;
	}
	if (shield || b->p->shield) {
		r = rtvm_profile_new_from_json(b->ctx, j->document, &q);
		if (r == -ENOMEM)
			return r;
		same = r == 0 && shield == b->p->shield && shield_same(q, b->p) &&
		       strcmp(j->rt_cpus, plan->rt_list) == 0 &&
		       strcmp(j->hk_cpus ? j->hk_cpus : "", plan->hk_list) == 0;
		rtvm_profile_unref(q);
		if (!same) {
			err(b->ctx,
			    "VM %s has profile %s applied; this one changes the shield (whether there is one, its CPUs, scope, per-vCPU cpusets, kernel threads, workqueue mask, or which vCPUs are RT): revert it first, a difference apply keeps the shield as it is",
			    id, name);
			return -EEXIST;
		}
		b->keep_shield = true;
	}
	if ((j->profile && !(plan->prev_profile = strdup(j->profile))) ||
	    !(plan->prev_rt = strdup(j->rt_cpus)) ||
	    !(plan->prev_hk = strdup(j->hk_cpus ? j->hk_cpus : "")) ||
	    !(plan->prev_document = strdup(j->document)))
		return -ENOMEM;
	b->self = j;
	plan->update = true;
	return 0;
}

/* The VM's own journal, when it has one.  The same profile applied
 * already is 1: nothing to do but to say what drifted since.  "The same"
 * is the profile's normal form (rtvm_profile's "normal": key order and
 * whitespace aside, the same document), for the same VMM process (a VM
 * restarted under its old name has new threads), resolving to the same
 * RT and housekeeping CPUs now.  Another profile is plan_update()'s. */
static int plan_self(struct builder *b)
{
	struct rtvm_plan *plan = b->plan;
	const struct journal *j = NULL;
	const char *id = plan->vm_id, *name;
	int r;

	for (unsigned int i = 0; i < b->nr_others && !j; i++)
		if (strcmp(b->others[i]->vm_id, id) == 0)
			j = b->others[i];
	if (!j)
		return 0;
	name = j->profile ? j->profile : "(no name)";
	if (!j->complete) {
		err(b->ctx, "VM %s has an unfinished apply of profile %s: revert it first",
		    id, name);
		return -EBUSY;
	}
	if (!j->document || !j->vm_process) {
		err(b->ctx,
		    "VM %s has profile %s applied already, and its journal (of an older librtvm) does not record the document to compare: revert it first",
		    id, name);
		return -EEXIST;
	}
	if (strcmp(j->vm_process, plan->vm_process) != 0) {
		err(b->ctx,
		    "VM %s has profile %s applied already for its process %s, which is not this one (%s): revert it first",
		    id, name, j->vm_process, plan->vm_process);
		return -EEXIST;
	}
	if (strcmp(j->document, plan->document) != 0 ||
	    strcmp(j->rt_cpus, plan->rt_list) != 0 ||
	    strcmp(j->hk_cpus ? j->hk_cpus : "", plan->hk_list) != 0)
		return plan_update(b, j);
	plan->drift = cJSON_CreateArray();
	if (!plan->drift)
		return -ENOMEM;
	r = journal_drift(b->ctx, j, plan->drift, &plan->nr_drift);
	if (r < 0)
		return r;
	if (plan->nr_drift)
		rtvm_log_cond(b->ctx, LOG_WARNING,
			      "VM %s: profile %s is applied already; %u of its settings drifted since (not put back)",
			      id, name, plan->nr_drift);
	plan->applied = true;
	return 1;
}

static const struct step *steps_find(const struct steps *s,
				     enum rtvm_change_kind kind,
				     const char *target)
{
	for (unsigned int i = 0; i < s->n; i++)
		if (s->v[i].kind == kind && strcmp(s->v[i].target, target) == 0)
			return &s->v[i];
	return NULL;
}

/* Whether a VM thread gets SCHED_FIFO or SCHED_RR by one of @s. */
static bool wants_rt(const struct steps *s, pid_t vm_pid)
{
	for (unsigned int i = 0; i < s->n; i++) {
		const struct step *st = &s->v[i];
		unsigned long long start;
		struct rtvm_sched sc;
		struct rtvm_tid t;

		if (st->kind == RTVM_CHANGE_THREAD_SCHED && st->new &&
		    rtvm_sched_parse(st->new, &sc) == 0 &&
		    (sc.policy == SCHED_FIFO || sc.policy == SCHED_RR) &&
		    rtvm_thread_target_parse(st->target, &t, &start) == 0 &&
		    t.pid == vm_pid)
			return true;
	}
	return false;
}

/*
 * A difference apply's steps, from the plan made from the original values
 * (plan->steps: what a first apply of this profile would write, from the
 * values before the VM's first apply) and the VM's journal: each setting
 * the plan wants gets its value where it has another now (added, or
 * changed from the old profile's); each setting the journal records that
 * the plan leaves alone is put back to its original, newest record first
 * (the order a revert has), and its records are dropped at the end
 * (plan->release).  A put back setting that another VM holds is that
 * VM's: its records are dropped, nothing is written.  RT runtime the old
 * profile provisioned stays while a VM thread still gets an RT policy.
 * Each step's old value is the value now: a revert, newest record first,
 * still ends at the original.
 */
static int plan_difference(struct builder *b)
{
	const struct journal *j = b->self;
	struct rtvm_plan *plan = b->plan;
	struct steps out = { 0 };
	bool *last = NULL, rt = wants_rt(&plan->steps, rtvm_vm_get_pid(b->vm));
	int r;

	r = newest_steps(&j->steps, &last);
	for (unsigned int i = j->steps.n; r == 0 && i-- > 0;) {
		const struct step *st = &j->steps.v[i], *o, *h;
		const char *vm;
		char *now = NULL;

		/* RT runtime stays while a thread gets an RT policy, and
		 * while another VM's apply raised it too: the revert takes
		 * back what this VM added. */
		if (!last[i] || st->by_shield ||
		    steps_find(&plan->steps, st->kind, st->target) ||
		    (is_rt_runtime(st->kind, st->target) &&
		     (rt || held_by(b, st->kind, st->target, &vm))))
			continue;
		o = original(b, st->kind, st->target);
		h = st->shared ? held_by(b, st->kind, st->target, &vm) : NULL;
		r = o && !h ? current_value(b->ctx, st->kind, st->target, o->old,
					    &now) :
			      -ENOENT;
		if (r == 0 && strcmp(now, o->old) != 0) {
			r = steps_copy(&out, st, now, o->old);
			if (r == 0)
				out.v[out.n - 1].diff = DIFF_PUT_BACK;
		} else if (r == -ESRCH || r == -ENOENT) {
			r = 0; /* gone, a lease or held by another VM */
		} else if (r < 0) {
			err(b->ctx, "%s %s: %s", kind_name(st->kind), st->target,
			    strerror(-r));
		}
		/* One "cancel" for each of its records, the put back's
		 * included. */
		for (unsigned int k = 0; r == 0 && k < j->steps.n; k++)
			if (j->steps.v[k].kind == st->kind &&
			    strcmp(j->steps.v[k].target, st->target) == 0)
				r = steps_copy(&plan->release, st, NULL, NULL);
		if (r == 0 && out.n && out.v[out.n - 1].diff == DIFF_PUT_BACK &&
		    out.v[out.n - 1].kind == st->kind &&
		    strcmp(out.v[out.n - 1].target, st->target) == 0)
			r = steps_copy(&plan->release, st, NULL, NULL);
		free(now);
	}
	for (unsigned int i = 0; r == 0 && i < plan->steps.n; i++) {
		const struct step *st = &plan->steps.v[i], *was;
		char *now = NULL;

		was = steps_find(&j->steps, st->kind, st->target);
		if (st->lease) {
			if (!was)
				r = steps_copy(&out, st, st->old, st->new);
			continue;
		}
		r = current_value(b->ctx, st->kind, st->target, st->new, &now);
		if (r == 0 && strcmp(now, st->new) != 0) {
			r = steps_copy(&out, st, now, st->new);
			if (r == 0)
				out.v[out.n - 1].diff = was ? DIFF_CHANGE : DIFF_ADD;
		} else if (r == -ESRCH || r == -ENOENT) {
			r = 0; /* gone since the plan read it */
		} else if (r < 0) {
			err(b->ctx, "%s %s: %s", kind_name(st->kind), st->target,
			    strerror(-r));
		}
		free(now);
	}
	free(last);
	if (r == 0) {
		steps_free(&plan->steps);
		plan->steps = out;
	} else {
		steps_free(&out);
	}
	return r;
}

/* Check the other VMs' journals: unfinished applies and leased CPUs. */
static int plan_leases(struct builder *b)
{
	for (unsigned int i = 0; i < b->nr_others; i++) {
		const struct journal *j = b->others[i];
		struct rtvm_cpumask *m = NULL;
		int r;

		if (strcmp(j->vm_id, b->plan->vm_id) == 0)
			continue; /* plan_self()'s */
		if (!j->complete) {
			err(b->ctx,
			    "VM %s has an unfinished apply: revert it first",
			    j->vm_id);
			return -EBUSY;
		}
		r = mask_from_list(b->ctx, j->rt_cpus, &m);
		if (r < 0)
			return r;
		if (rtvm_cpumask_intersects(m, b->rt)) {
			char *both = NULL;

			rtvm_cpumask_op(m, RTVM_CPUMASK_AND, b->rt);
			rtvm_cpumask_format_list(m, &both);
			err(b->ctx, "RT CPUs %s are leased to VM %s",
			    both ? both : "?", j->vm_id);
			free(both);
			rtvm_cpumask_free(m);
			return -EBUSY;
		}
		rtvm_cpumask_free(m);
	}
	return 0;
}

static int vm_id_of(struct rtvm_vm *vm, char **ret)
{
	const char *name = rtvm_vm_get_name(vm);
	int r;

	if (name)
		*ret = strdup(name);
	else if ((r = asprintf(ret, "pid-%d", rtvm_vm_get_pid(vm))) < 0)
		*ret = NULL;
	return *ret ? 0 : -ENOMEM;
}

/* "PID@START": the VMM process, as the VM's journal names it. */
static int vm_process_of(struct rtvm_ctx *ctx, struct rtvm_vm *vm, char **ret)
{
	struct rtvm_tid t = { rtvm_vm_get_pid(vm), rtvm_vm_get_pid(vm) };
	unsigned long long start;
	int r;

	r = rtvm_thread_identity(ctx, t, &start);
	if (r < 0) {
		err(ctx, "VM process %d: %s", t.pid, strerror(-r));
		return r;
	}
	if (asprintf(ret, "%d@%llu", t.pid, start) < 0) {
		*ret = NULL;
		return -ENOMEM;
	}
	return 0;
}

static int plan_make(struct rtvm_ctx *ctx, const struct rtvm_profile *p,
		     struct rtvm_vm *vm, int dirfd, struct rtvm_plan **ret)
{
	struct builder b = { .ctx = ctx, .p = p, .vm = vm };
	struct rtvm_plan *plan;
	int r;

	plan = calloc(1, sizeof(*plan));
	if (!plan)
		return -ENOMEM;
	plan->ctx = rtvm_ref(ctx);
	b.plan = plan;
	r = vm_id_of(vm, &plan->vm_id);
	if (r == 0 && !id_valid(plan->vm_id)) {
		err(ctx, "VM id \"%s\" cannot name a journal", plan->vm_id);
		r = -EINVAL;
	}
	if (r == 0 && p->name && !(plan->profile = strdup(p->name)))
		r = -ENOMEM;
	if (r == 0 && !(plan->document = strdup(p->normal)))
		r = -ENOMEM;
	if (r == 0)
		r = vm_process_of(ctx, vm, &plan->vm_process);
	if (r == 0)
		r = journals_load(ctx, dirfd, &b.others, &b.nr_others);
	if (r == 0)
		r = plan_cpus(&b);
	if (r == 0 && (r = plan_self(&b)) > 0) {
		r = 0;
		goto done;
	}
	if (r == 0)
		r = plan_leases(&b);
	/* The safe order: host-wide settings, interrupts, kernel threads,
	 * the shield, the VM's pins then priorities, and PM QoS last. */
	if (r == 0)
		r = plan_host(&b);
	if (r == 0)
		r = plan_irqs(&b);
	if (r == 0)
		r = plan_kthreads(&b);
	if (r == 0)
		r = plan_vm(&b, vm);
	if (r == 0)
		r = plan_shield(&b);
	if (r == 0)
		r = steps_move(&plan->steps, &b.vm_steps);
	if (r == 0)
		r = plan_pm_qos(&b);
	if (r == 0 && b.self)
		r = plan_difference(&b);
	plan->provision_rt = p->provision_rt;
done:
	if (r == 0)
		r = rtvm_changeset_new(ctx, &plan->changes);
	for (unsigned int i = 0; r == 0 && i < plan->steps.n; i++) {
		const struct step *st = &plan->steps.v[i];

		if (!st->lease)
			r = rtvm_changeset_add(plan->changes, st->kind,
					       st->target, st->old, st->new);
	}
	journals_free(b.others, b.nr_others);
	steps_free(&b.vm_steps);
	rtvm_cpumask_free(b.online);
	rtvm_cpumask_free(b.rt);
	rtvm_cpumask_free(b.hk);
	if (r < 0) {
		rtvm_plan_unref(plan);
		return r;
	}
	*ret = plan;
	return 0;
}

RTVM_EXPORT struct rtvm_plan *rtvm_plan_unref(struct rtvm_plan *plan)
{
	if (!plan)
		return NULL;
	steps_free(&plan->steps);
	rtvm_changeset_unref(plan->changes);
	free(plan->vm_id);
	free(plan->profile);
	free(plan->rt_list);
	free(plan->hk_list);
	free(plan->document);
	free(plan->vm_process);
	free(plan->prev_profile);
	free(plan->prev_rt);
	free(plan->prev_hk);
	free(plan->prev_document);
	steps_free(&plan->release);
	cJSON_Delete(plan->drift);
	free(plan->shield_scope);
	free(plan->rt_tids);
	rtvm_unref(plan->ctx);
	free(plan);
	return NULL;
}

RTVM_EXPORT const char *rtvm_plan_get_vm_id(const struct rtvm_plan *plan)
{
	return plan ? plan->vm_id : NULL;
}

RTVM_EXPORT int rtvm_plan_is_applied(const struct rtvm_plan *plan)
{
	return plan ? plan->applied : -EINVAL;
}

RTVM_EXPORT int rtvm_plan_get_drift_count(const struct rtvm_plan *plan)
{
	if (!plan)
		return -EINVAL;
	return (int)plan->nr_drift;
}

RTVM_EXPORT const struct rtvm_changeset *
rtvm_plan_get_changes(const struct rtvm_plan *plan)
{
	return plan ? plan->changes : NULL;
}

static const char *diff_name(enum step_diff d)
{
	static const char *const names[] = {
		[DIFF_ADD] = "add", [DIFF_CHANGE] = "change",
		[DIFF_PUT_BACK] = "put back",
	};

	return names[d];
}

static cJSON *step_json(const struct step *st, int index)
{
	cJSON *o = cJSON_CreateObject();

	if (!o)
		return NULL;
	if ((index >= 0 && !cJSON_AddNumberToObject(o, "step", index)) ||
	    !cJSON_AddStringToObject(o, "kind", kind_name(st->kind)) ||
	    !cJSON_AddStringToObject(o, "target", st->target) ||
	    (st->old && !cJSON_AddStringToObject(o, "old", st->old)) ||
	    (st->new && !cJSON_AddStringToObject(o, "new", st->new)) ||
	    (st->name && !cJSON_AddStringToObject(o, "name", st->name)) ||
	    !cJSON_AddBoolToObject(o, "shared", st->shared) ||
	    !cJSON_AddBoolToObject(o, "lease", st->lease) ||
	    (st->predicted && !cJSON_AddTrueToObject(o, "predicted")) ||
	    (st->by_shield && !cJSON_AddTrueToObject(o, "by_shield")) ||
	    (st->diff && !cJSON_AddStringToObject(o, "diff", diff_name(st->diff)))) {
		cJSON_Delete(o);
		return NULL;
	}
	return o;
}

RTVM_EXPORT int rtvm_plan_to_json(const struct rtvm_plan *plan, char **ret)
{
	cJSON *root, *arr;

	if (!plan || !ret)
		return -EINVAL;
	root = cJSON_CreateObject();
	if (!root)
		return -ENOMEM;
	if (!cJSON_AddNumberToObject(root, "version", 1) ||
	    !cJSON_AddStringToObject(root, "vm", plan->vm_id) ||
	    !(plan->profile ? cJSON_AddStringToObject(root, "profile", plan->profile) :
			      cJSON_AddNullToObject(root, "profile")) ||
	    !cJSON_AddStringToObject(root, "rt_cpus", plan->rt_list) ||
	    !cJSON_AddStringToObject(root, "housekeeping_cpus", plan->hk_list) ||
	    !cJSON_AddBoolToObject(root, "applied", plan->applied) ||
	    !cJSON_AddBoolToObject(root, "update", plan->update) ||
	    (plan->update &&
	     !(plan->prev_profile ?
		       cJSON_AddStringToObject(root, "previous_profile", plan->prev_profile) :
		       cJSON_AddNullToObject(root, "previous_profile"))) ||
	    !(arr = cJSON_AddArrayToObject(root, "steps")))
		goto oom;
	if (plan->applied) {
		cJSON *d = cJSON_Duplicate(plan->drift, true);

		if (!d)
			goto oom;
		cJSON_AddItemToObject(root, "drift", d);
	}
	for (unsigned int i = 0; i < plan->steps.n; i++) {
		cJSON *o = step_json(&plan->steps.v[i], -1);

		if (!o)
			goto oom;
		cJSON_AddItemToArray(arr, o);
	}
	*ret = cJSON_Print(root);
	cJSON_Delete(root);
	return *ret ? 0 : -ENOMEM;
oom:
	cJSON_Delete(root);
	return -ENOMEM;
}

RTVM_EXPORT int rtvm_tune_plan(struct rtvm_ctx *ctx,
			       const struct rtvm_profile *p,
			       struct rtvm_vm *vm, struct rtvm_plan **ret)
{
	int dirfd, r;

	if (!ctx || !p || !vm || !ret)
		return -EINVAL;
	dirfd = state_open(ctx, false);
	if (dirfd < 0 && dirfd != -ENOENT)
		return dirfd;
	r = plan_make(ctx, p, vm, dirfd, ret);
	if (dirfd >= 0)
		close(dirfd);
	return r;
}

/* ---- the journal -------------------------------------------------------- */

/* Records made durable together, at most: a crash loses no more than
 * this many intents of changes not made yet, and the buffer stays small. */
#define JOURNAL_BATCH 256

static void crash_point(struct rtvm_ctx *ctx, unsigned int point)
{
	/* Tests only: die as a power cut would stop the apply (what the
	 * journal keeps in memory is lost with it). */
	if (ctx->tune_crash_point >= 0 &&
	    (unsigned int)ctx->tune_crash_point == point)
		kill(getpid(), SIGKILL);
}

void rtvm_tune_set_crash_point(struct rtvm_ctx *ctx, int point)
{
	ctx->tune_crash_point = point;
}

static int write_all(int fd, const char *buf, size_t len)
{
	while (len) {
		ssize_t n = write(fd, buf, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		buf += n;
		len -= (size_t)n;
	}
	return 0;
}

/* Append one line and make it durable before the caller goes on. */
/* A journal's "cancel" line: the newest record of @kind on @target was
 * not made.  NULL for out of memory. */
static cJSON *cancel_json(enum rtvm_change_kind kind, const char *target)
{
	cJSON *o = cJSON_CreateObject();

	if (o && cJSON_AddTrueToObject(o, "cancel") &&
	    cJSON_AddStringToObject(o, "kind", kind_name(kind)) &&
	    cJSON_AddStringToObject(o, "target", target))
		return o;
	cJSON_Delete(o);
	return NULL;
}

static int journal_append(int fd, cJSON *o)
{
	char *text = cJSON_PrintUnformatted(o);
	size_t len;
	int r;

	if (!text)
		return -ENOMEM;
	len = strlen(text);
	text[len] = '\n'; /* the NUL is not written */
	r = write_all(fd, text, len + 1);
	free(text);
	if (r == 0 && fdatasync(fd) < 0)
		r = -errno;
	return r;
}

static int sync_dir(int dirfd)
{
	return fsync(dirfd) < 0 ? -errno : 0;
}

/* The profile's fields of a header (or an "update" line); false for out
 * of memory. */
static bool profile_fields(cJSON *o, const char *profile, const char *rt,
			   const char *hk, const char *document)
{
	return (profile ? cJSON_AddStringToObject(o, "profile", profile) :
			  cJSON_AddNullToObject(o, "profile")) &&
	       cJSON_AddStringToObject(o, "rt_cpus", rt) &&
	       cJSON_AddStringToObject(o, "housekeeping_cpus", hk) &&
	       cJSON_AddStringToObject(o, "document", document);
}

/* An "update" line: the VM's profile from here on. */
static cJSON *update_json(const char *profile, const char *rt, const char *hk,
			  const char *document)
{
	cJSON *o = cJSON_CreateObject();

	if (o && cJSON_AddTrueToObject(o, "update") &&
	    profile_fields(o, profile, rt, hk, document))
		return o;
	cJSON_Delete(o);
	return NULL;
}

/* A difference apply's journal: the VM's, to append to, with the
 * "update" line that begins it (synced). */
static int journal_reopen(struct rtvm_ctx *ctx, int dirfd,
			  const struct rtvm_plan *plan)
{
	char name[256];
	cJSON *o;
	int fd, r;

	snprintf(name, sizeof(name), "%s%s", plan->vm_id, JOURNAL_SUFFIX);
	fd = openat(dirfd, name, O_WRONLY | O_APPEND | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0) {
		r = -errno;
		err(ctx, "journal %s: %s", name, strerror(-r));
		return r;
	}
	o = update_json(plan->profile, plan->rt_list, plan->hk_list,
			plan->document);
	r = o ? journal_append(fd, o) : -ENOMEM;
	cJSON_Delete(o);
	if (r < 0) {
		close(fd);
		err(ctx, "journal %s: %s", name, strerror(-r));
		return r;
	}
	return fd;
}

/* Make the journal: its header goes to a temporary file that is synced
 * and renamed into place, so that a journal never exists without it. */
static int journal_create(struct rtvm_ctx *ctx, int dirfd,
			  const struct rtvm_plan *plan)
{
	char name[256], tmp[272];
	cJSON *o;
	int fd, r;

	snprintf(name, sizeof(name), "%s%s", plan->vm_id, JOURNAL_SUFFIX);
	snprintf(tmp, sizeof(tmp), ".%s.tmp", name);
	fd = openat(dirfd, tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0) {
		r = -errno;
		err(ctx, "journal %s: %s", tmp, strerror(-r));
		return r;
	}
	o = cJSON_CreateObject();
	if (!o || !cJSON_AddNumberToObject(o, "rtvm_journal", JOURNAL_VERSION) ||
	    !cJSON_AddStringToObject(o, "vm", plan->vm_id) ||
	    !profile_fields(o, plan->profile, plan->rt_list, plan->hk_list,
			    plan->document) ||
	    !cJSON_AddStringToObject(o, "vm_process", plan->vm_process))
		r = -ENOMEM;
	else
		r = journal_append(fd, o);
	cJSON_Delete(o);
	if (r == 0 && fsync(fd) < 0)
		r = -errno;
	if (r == 0 && renameat(dirfd, tmp, dirfd, name) < 0)
		r = -errno;
	if (r == 0)
		r = sync_dir(dirfd);
	if (r < 0) {
		close(fd);
		unlinkat(dirfd, tmp, 0);
		err(ctx, "journal %s: %s", name, strerror(-r));
		return r;
	}
	return fd;
}

static int journal_remove(int dirfd, const char *vm_id)
{
	char name[256];

	snprintf(name, sizeof(name), "%s%s", vm_id, JOURNAL_SUFFIX);
	if (unlinkat(dirfd, name, 0) < 0 && errno != ENOENT)
		return -errno;
	return sync_dir(dirfd);
}

/*
 * An apply in progress: what its journal holds, in order, and the lines
 * not written yet (group commit: a batch's records are written and
 * synced at once, before any of its changes is made).
 *
 * Crash points, counted as the apply passes them: 0 once the journal
 * exists, then one after each record's intent (written or still
 * waiting in the batch) and one after each change made.
 */
struct applier {
	struct rtvm_ctx *ctx;
	const struct rtvm_plan *plan;
	int fd;
	struct steps done;
	char *buf; /* lines waiting for the commit */
	size_t len, alloc;
	int err;   /* a line that could not be kept: the commit fails */
	unsigned int point;
	bool after_pending; /* a library record's change point not passed */
	bool in_shield;	    /* the shield makes the changes recorded */
};

static void passed(struct applier *a)
{
	crash_point(a->ctx, ++a->point);
}

/* Keep one line for the next commit. */
static int journal_keep(struct applier *a, cJSON *o)
{
	char *text = o ? cJSON_PrintUnformatted(o) : NULL;
	size_t n;

	if (!text)
		return a->err = -ENOMEM;
	n = strlen(text);
	if (a->len + n + 1 > a->alloc) {
		size_t sz = 2 * (a->len + n + 1) + 4096;
		char *b = realloc(a->buf, sz);

		if (!b) {
			free(text);
			return a->err = -ENOMEM;
		}
		a->buf = b;
		a->alloc = sz;
	}
	memcpy(a->buf + a->len, text, n);
	a->buf[a->len + n] = '\n';
	a->len += n + 1;
	free(text);
	return 0;
}

/* keep a line made for it (NULL: out of memory), and free it. */
static int keep_line(struct applier *a, cJSON *o)
{
	int r = journal_keep(a, o);

	cJSON_Delete(o);
	return r;
}

static cJSON *complete_json(void)
{
	cJSON *o = cJSON_CreateObject();

	if (o && cJSON_AddTrueToObject(o, "complete"))
		return o;
	cJSON_Delete(o);
	return NULL;
}

/* Write what waits and make it durable: one sync for the batch. */
static int journal_commit(void *data)
{
	struct applier *a = data;
	int r = a->err;

	if (r == 0 && a->len) {
		r = write_all(a->fd, a->buf, a->len);
		if (r == 0 && fdatasync(a->fd) < 0)
			r = -errno;
		a->len = 0;
	}
	if (r < 0) {
		a->err = r;
		err(a->ctx, "journal of %s: %s", a->plan->vm_id, strerror(-r));
	}
	return r;
}

/* A step's intent: kept for the batch's commit, or made durable now
 * when no batch is open. */
static int journal_step(struct applier *a, const struct step *st)
{
	cJSON *o;
	int r;

	if (a->after_pending) {
		a->after_pending = false;
		passed(a);
	}
	/* Kept before it is written: a rollback then covers it. */
	r = steps_copy(&a->done, st, st->old, st->new);
	if (r == 0) {
		o = step_json(st, (int)a->done.n - 1);
		r = journal_keep(a, o);
		cJSON_Delete(o);
	}
	if (r == 0 && !a->ctx->intent_batch)
		r = journal_commit(a);
	if (r < 0) {
		err(a->ctx, "journal of %s: %s", a->plan->vm_id, strerror(-r));
		return r;
	}
	passed(a);
	return 0;
}

/* The journal as the context's intent hook while the library makes
 * changes of its own (the shield, RT runtime): each record it adds,
 * before the change. */
static int journal_record(void *data, enum rtvm_change_kind kind,
			  const char *target, const char *old_value,
			  const char *new_value)
{
	struct applier *a = data;
	struct step st = {
		.kind = kind,
		.target = (char *)target,
		.old = (char *)old_value,
		.new = (char *)new_value,
		/* the workqueue masks are host-wide, as the knob's */
		.shared = kind == RTVM_CHANGE_FILE && is_wq_mask(target),
		.by_shield = a->in_shield,
	};
	int r = journal_step(a, &st);

	/* In a batch the library tells each change it makes. */
	a->after_pending = r == 0 && !a->ctx->intent_batch;
	return r;
}

/* The newest record of @kind and @target, "cancel" in the journal: its
 * change was not made. */
static int journal_drop(void *data, enum rtvm_change_kind kind,
			const char *target)
{
	struct applier *a = data;
	cJSON *o = cancel_json(kind, target);
	int r = o ? journal_keep(a, o) : (a->err = -ENOMEM);

	cJSON_Delete(o);
	if (r == 0 && !a->ctx->intent_batch)
		r = journal_commit(a);
	steps_drop_newest(&a->done, kind, target);
	return r;
}

static void journal_made(void *data)
{
	passed(data);
}

static const struct rtvm_intent_ops journal_ops = {
	.record = journal_record,
	.drop = journal_drop,
	.commit = journal_commit,
	.made = journal_made,
};

/* The shield and the RT vCPUs in it: the library records each change
 * through the hook before it makes it. */
static int shield_do(struct applier *a)
{
	const struct rtvm_plan *plan = a->plan;
	struct rtvm_cpumask *rt = NULL, *hk = NULL;
	int r;

	r = mask_from_list(a->ctx, plan->rt_list, &rt);
	if (r == 0)
		r = mask_from_list(a->ctx, plan->hk_list, &hk);
	a->in_shield = true;
	if (r == 0)
		r = rtvm_shield_create(a->ctx, rt, hk, plan->shield_scope,
				       plan->shield_flags, NULL, NULL);
	if (r == 0 && plan->nr_rt_tids)
		r = rtvm_shield_add_threads(a->ctx, plan->shield_scope,
					    plan->rt_tids, plan->nr_rt_tids,
					    plan->vcpu_flags, NULL);
	a->in_shield = false;
	if (r < 0)
		err(a->ctx, "apply: shield in %s: %s", plan->shield_scope,
		    strerror(-r));
	rtvm_cpumask_free(rt);
	rtvm_cpumask_free(hk);
	return r;
}

/* Make one step's write; @provision_rt: an RT policy provisions RT
 * runtime for the thread's cpu cgroup (journaled through the hook). */
static int step_do(struct rtvm_ctx *ctx, bool provision_rt,
		   const struct step *st)
{
	struct rtvm_cpumask *m = NULL;
	unsigned long long start;
	struct rtvm_sched s;
	struct rtvm_tid t;
	const char *rel;
	enum rtvm_fs fs;
	int r;

	if (st->lease)
		return 0;
	switch (st->kind) {
	case RTVM_CHANGE_SYSCTL:
		return rtvm_sysctl_set(ctx, st->target, st->new, NULL);
	case RTVM_CHANGE_FILE:
		r = rtvm_fs_split_path(st->target, &fs, &rel);
		if (r == 0)
			r = rtvm_fs_write(ctx, fs, st->new, "%s", rel);
		return r;
	case RTVM_CHANGE_IRQ_AFFINITY:
		r = mask_from_list(ctx, st->new, &m);
		if (r == 0)
			r = rtvm_irq_write_affinity(ctx, (unsigned int)atoi(st->target),
						    m, 3, NULL);
		rtvm_cpumask_free(m);
		return r;
	case RTVM_CHANGE_THREAD_SCHED:
		r = rtvm_thread_target_parse(st->target, &t, &start);
		if (r == 0)
			r = rtvm_sched_parse(st->new, &s);
		/* With RT runtime to provision, its writes are journaled
		 * through the hook. */
		if (r == 0)
			r = rtvm_thread_set_sched_at(
				ctx, t, &start, &s,
				provision_rt ? RTVM_SCHED_PROVISION_RT : 0,
				NULL);
		return r;
	case RTVM_CHANGE_THREAD_AFFINITY:
		r = rtvm_thread_target_parse(st->target, &t, &start);
		if (r == 0)
			r = mask_from_list(ctx, st->new, &m);
		if (r == 0)
			r = rtvm_thread_apply_affinity_at(ctx, t, &start, m, NULL);
		rtvm_cpumask_free(m);
		return r;
	case RTVM_CHANGE_CGROUP_ATTACH:
		/* Only reconcile writes these (apply hands the shield to
		 * the library): a task back into the cgroup it was put in. */
		r = target_thread(ctx, st->target, &t, &start);
		if (r == 0)
			r = rtvm_cgroup_attach(ctx, st->new, t);
		return r;
	default:
		return -EINVAL;
	}
}

/*
 * The record that puts back the RT runtime @steps (the first @n) raised
 * for the target of steps->v[@i], the oldest of its records: the value
 * now less what each record added, so that the runtime another VM's apply
 * added since stays, whichever VM is reverted first.  Unless @all_written
 * (a finished apply's records), the newest record's raise counts only
 * where it was made: a crash or a failure between a record and its write
 * leaves the value at the record's old one.  Where the values do not
 * add up (not numbers, or less now than this VM added) the oldest record's
 * old value is put back, as for any other file.
 */
static int restore_runtime(struct rtvm_ctx *ctx, const struct steps *steps,
			   unsigned int n, unsigned int i, bool all_written,
			   struct rtvm_changeset *cs)
{
	const struct step *st = &steps->v[i], *newest = st;
	long long now, added, o, v, give = -1;
	char *cur = NULL, val[32];
	int r;

	r = current_value(ctx, st->kind, st->target, st->old, &cur);
	if (r == -ENOENT)
		return 0; /* the cgroup is gone */
	if (r < 0)
		return r;
	if (runtime_added(steps, n, st, &added, &newest) &&
	    runtime_parse(cur, &now)) {
		if (!all_written && strcmp(cur, newest->new) != 0 &&
		    strcmp(cur, newest->old) == 0 &&
		    runtime_parse(newest->old, &o) &&
		    runtime_parse(newest->new, &v))
			added -= v - o; /* recorded, not written */
		give = now - added;
	}
	if (give >= 0)
		snprintf(val, sizeof(val), "%lld", give);
	r = rtvm_changeset_add(cs, st->kind, st->target,
			       give >= 0 ? val : st->old, cur);
	free(cur);
	return r;
}

/* Put back the steps of @steps (the first @n), newest first, but the
 * shared ones another journal of @others still holds.  @all_written: a
 * finished apply's records, each of them made. */
static int restore_steps(struct rtvm_ctx *ctx, const struct steps *steps,
			 unsigned int n, bool all_written,
			 struct journal **others,
			 unsigned int nr_others, const char *self)
{
	struct rtvm_changeset *cs;
	int r;

	r = rtvm_changeset_new(ctx, &cs);
	if (r < 0)
		return r;
	for (unsigned int i = 0; i < n && r == 0; i++) {
		const struct step *st = &steps->v[i];
		bool held = false;

		if (st->shared)
			for (unsigned int k = 0; k < nr_others && !held; k++) {
				if (strcmp(others[k]->vm_id, self) == 0)
					continue;
				for (unsigned int m = 0;
				     m < others[k]->steps.n && !held; m++)
					held = others[k]->steps.v[m].kind == st->kind &&
					       strcmp(others[k]->steps.v[m].target,
						      st->target) == 0;
			}
		if (held) {
			dbg(ctx, "%s %s: another VM holds it", kind_name(st->kind),
			    st->target);
			continue;
		}
		if (st->old && is_rt_runtime(st->kind, st->target)) {
			/* Once, at the oldest of the target's records. */
			if (steps_find(steps, st->kind, st->target) == st)
				r = restore_runtime(ctx, steps, n, i,
						    all_written, cs);
			continue;
		}
		if (st->old || st->kind == RTVM_CHANGE_CGROUP_CREATE)
			r = rtvm_changeset_add(cs, st->kind, st->target, st->old,
					       st->new);
	}
	if (r == 0)
		r = rtvm_changeset_restore(cs, 0);
	rtvm_changeset_unref(cs);
	return r;
}

/* Steps that the library adds records to (RT runtime for an RT policy)
 * or makes itself (the shield's) stay out of batches: their journal
 * order is the order of their changes. */
static bool batchable(const struct rtvm_plan *plan, const struct step *st)
{
	return !st->predicted &&
	       !(plan->provision_rt && st->kind == RTVM_CHANGE_THREAD_SCHED);
}

static int apply_locked(struct rtvm_ctx *ctx, int dirfd,
			const struct rtvm_plan *plan)
{
	struct applier a = { .ctx = ctx, .plan = plan };
	struct journal **others = NULL;
	unsigned int nr_others = 0;
	bool shield_done = false;
	int r = 0, r2;

	a.fd = plan->update ? journal_reopen(ctx, dirfd, plan) :
			      journal_create(ctx, dirfd, plan);
	if (a.fd < 0)
		return a.fd;
	crash_point(ctx, 0);
	ctx->intent_ops = &journal_ops;
	ctx->intent_data = &a;
	for (unsigned int i = 0; i < plan->steps.n && r == 0;) {
		unsigned int end = i + 1;

		if (plan->steps.v[i].predicted) {
			if (!shield_done)
				r = shield_do(&a);
			shield_done = true;
			i++;
			continue;
		}
		if (batchable(plan, &plan->steps.v[i]))
			while (end < plan->steps.n && end - i < JOURNAL_BATCH &&
			       batchable(plan, &plan->steps.v[end]))
				end++;
		/* Intent first: the batch's original values are durable
		 * (one sync) before its first write, so no write is ever
		 * unrecorded. */
		ctx->intent_batch = true;
		for (unsigned int k = i; k < end && r == 0; k++)
			r = journal_step(&a, &plan->steps.v[k]);
		ctx->intent_batch = false;
		if (r == 0)
			r = journal_commit(&a);
		for (; i < end && r == 0; i++) {
			const struct step *st = &plan->steps.v[i];

			r = step_do(ctx, plan->provision_rt, st);
			if (r < 0) {
				err(ctx, "apply %s %s = %s: %s",
				    kind_name(st->kind), st->target,
				    st->new ? st->new : "", strerror(-r));
				break;
			}
			/* The RT runtime it recorded is made with it. */
			a.after_pending = false;
			passed(&a);
		}
	}
	if (r == 0 && a.after_pending) {
		a.after_pending = false;
		passed(&a);
	}
	ctx->intent_ops = NULL;
	ctx->intent_data = NULL;
	ctx->intent_batch = false;
	/* A difference apply drops the records of what it put back, and
	 * the journal is complete: one commit. */
	for (unsigned int i = 0; r == 0 && i < plan->release.n; i++)
		r = keep_line(&a, cancel_json(plan->release.v[i].kind,
					      plan->release.v[i].target));
	if (r == 0)
		r = keep_line(&a, complete_json());
	if (r == 0)
		r = journal_commit(&a);
	if (r == 0) {
		close(a.fd);
		free(a.buf);
		steps_free(&a.done);
		return 0;
	}
	/* Roll back what the journal holds, the failing step included (it
	 * may have half happened). */
	r2 = journals_load(ctx, dirfd, &others, &nr_others);
	if (r2 == 0)
		r2 = restore_steps(ctx, &a.done, a.done.n, false, others,
				   nr_others, plan->vm_id);
	journals_free(others, nr_others);
	/* A difference apply's journal is the old profile's again: its
	 * records cancelled, the old header, complete.  Unless the journal
	 * could not be written: it stays unfinished, for a revert. */
	if (r2 == 0 && plan->update) {
		r2 = a.err;
		a.len = 0;
		for (unsigned int i = a.done.n; r2 == 0 && i-- > 0;)
			r2 = keep_line(&a, cancel_json(a.done.v[i].kind,
						       a.done.v[i].target));
		if (r2 == 0)
			r2 = keep_line(&a, update_json(plan->prev_profile,
						       plan->prev_rt,
						       plan->prev_hk,
						       plan->prev_document));
		if (r2 == 0)
			r2 = keep_line(&a, complete_json());
		if (r2 == 0)
			r2 = journal_commit(&a);
	} else if (r2 == 0) {
		r2 = journal_remove(dirfd, plan->vm_id);
	}
	free(a.buf);
	close(a.fd);
	steps_free(&a.done);
	if (r2 < 0)
		err(ctx, "rollback of %s: %s; the journal is kept, revert it",
		    plan->vm_id, strerror(-r2));
	return r;
}

RTVM_EXPORT int rtvm_tune_apply(struct rtvm_ctx *ctx,
				const struct rtvm_profile *p,
				struct rtvm_vm *vm, unsigned int flags,
				struct rtvm_plan **ret_plan)
{
	struct rtvm_plan *plan = NULL;
	int dirfd, lockfd, r;

	if (!ctx || !p || !vm || flags)
		return -EINVAL;
	r = state_open_locked(ctx, &dirfd, &lockfd);
	if (r < 0)
		return r;
	/* Planned under the lock: the leases it checks stay true. */
	r = plan_make(ctx, p, vm, dirfd, &plan);
	/* Applied already: nothing is written, the journal stays as it is
	 * (a new one would lose the original values). */
	if (r == 0 && !plan->applied)
		r = apply_locked(ctx, dirfd, plan);
	close(lockfd);
	close(dirfd);
	if (r == 0 && ret_plan)
		*ret_plan = plan;
	else
		rtvm_plan_unref(plan);
	return r;
}

RTVM_EXPORT int rtvm_tune_revert(struct rtvm_ctx *ctx, const char *vm_id,
				 unsigned int flags)
{
	struct journal **js = NULL, *self = NULL;
	unsigned int n = 0;
	int dirfd, lockfd, r;

	if (!ctx || !vm_id || flags)
		return -EINVAL;
	if (!id_valid(vm_id)) {
		err(ctx, "VM id \"%s\" cannot name a journal", vm_id);
		return -EINVAL;
	}
	r = state_open_locked(ctx, &dirfd, &lockfd);
	if (r < 0)
		return r;
	r = journals_load(ctx, dirfd, &js, &n);
	for (unsigned int i = 0; r == 0 && i < n; i++)
		if (strcmp(js[i]->vm_id, vm_id) == 0)
			self = js[i];
	if (r == 0 && !self) {
		err(ctx, "no profile is applied to VM %s", vm_id);
		r = -ENOENT;
	}
	if (r == 0)
		r = restore_steps(ctx, &self->steps, self->steps.n,
				  self->complete, js, n, vm_id);
	if (r == 0)
		r = journal_remove(dirfd, vm_id);
	else if (self)
		err(ctx, "revert of %s: %s; the journal is kept", vm_id,
		    strerror(-r));
	journals_free(js, n);
	close(lockfd);
	close(dirfd);
	return r;
}

/* ---- reconcile ---------------------------------------------------------- */

struct reconciler {
	struct rtvm_ctx *ctx;
	const char *vm_id;
	cJSON *arr;
	unsigned int failed;
	int dirfd;
	int fd;		    /* the journal, opened to append; -1 until then */
	unsigned int steps; /* its steps, the appended ones included */
};

/* One drifted setting written back to its applied value; the outcome in
 * the document ("result": "put back", or "error"). */
static int reconcile_one(const struct step *st, const char *now, int e,
			 void *data)
{
	struct reconciler *rc = data;
	cJSON *d = drift_json(st, now, e);
	int r;

	if (!d)
		return -ENOMEM;
	cJSON_AddItemToArray(rc->arr, d);
	/* RT runtime is a recorded setting of its own: not provisioned
	 * again here, put back like the others. */
	r = step_do(rc->ctx, false, st);
	if (r == 0) {
		info(rc->ctx, "VM %s: %s %s put back to %s (was %s)", rc->vm_id,
		     kind_name(st->kind), st->target, st->new,
		     now ? now : strerror(-e));
		return cJSON_AddStringToObject(d, "result", "put back") ?
			       0 : -ENOMEM;
	}
	rc->failed++;
	err(rc->ctx, "VM %s: %s %s stays %s: %s", rc->vm_id,
	    kind_name(st->kind), st->target, now ? now : "unread",
	    strerror(-r));
	return cJSON_AddStringToObject(d, "result", "error") &&
	       cJSON_AddStringToObject(d, "reason", strerror(-r)) ? 0 : -ENOMEM;
}

/* A re-created vCPU thread given its role's applied value: the step is
 * appended to the journal and made durable before the change, as apply
 * does (a revert then puts the new thread back to its own values; a
 * crash leaves a journal that reverts exactly).  A change that fails is
 * cancelled in the journal. */
static int reconcile_recreated(const struct step *was, const struct step *st,
			       void *data)
{
	struct reconciler *rc = data;
	cJSON *d = recreated_json(was, st), *o;
	char name[256];
	int r;

	if (!d)
		return -ENOMEM;
	cJSON_AddItemToArray(rc->arr, d);
	if (rc->fd < 0) {
		snprintf(name, sizeof(name), "%s%s", rc->vm_id, JOURNAL_SUFFIX);
		rc->fd = openat(rc->dirfd, name,
				O_WRONLY | O_APPEND | O_CLOEXEC | O_NOFOLLOW);
		if (rc->fd < 0) {
			r = -errno;
			err(rc->ctx, "journal %s: %s", name, strerror(-r));
			return r;
		}
	}
	o = step_json(st, (int)rc->steps);
	r = o ? journal_append(rc->fd, o) : -ENOMEM;
	cJSON_Delete(o);
	if (r < 0) {
		err(rc->ctx, "journal of %s: %s", rc->vm_id, strerror(-r));
		return r;
	}
	rc->steps++;
	r = step_do(rc->ctx, false, st);
	if (r == 0) {
		info(rc->ctx, "VM %s: %s %s (\"%s\", re-created; was %s) set to "
			      "%s (was %s)",
		     rc->vm_id, kind_name(st->kind), st->target, st->name,
		     was->target, st->new, st->old);
		return cJSON_AddStringToObject(d, "result", "put back") ?
			       0 : -ENOMEM;
	}
	rc->failed++;
	err(rc->ctx, "VM %s: %s %s (\"%s\", re-created) stays %s: %s",
	    rc->vm_id, kind_name(st->kind), st->target, st->name, st->old,
	    strerror(-r));
	o = cancel_json(st->kind, st->target);
	if (!o)
		return -ENOMEM;
	/* Without the cancel line the record stays: its revert writes the
	 * thread's value of now, which changes nothing. */
	if (journal_append(rc->fd, o) == 0)
		rc->steps--;
	cJSON_Delete(o);
	return cJSON_AddStringToObject(d, "result", "error") &&
	       cJSON_AddStringToObject(d, "reason", strerror(-r)) ? 0 : -ENOMEM;
}

RTVM_EXPORT int rtvm_tune_reconcile(struct rtvm_ctx *ctx, const char *vm_id,
				    unsigned int flags, char **ret_json)
{
	struct journal **js = NULL;
	unsigned int n = 0, found = 0, failed = 0;
	cJSON *root = NULL, *arr;
	int dirfd, lockfd, r;

	if (!ctx || !ret_json || flags)
		return -EINVAL;
	r = state_open_locked(ctx, &dirfd, &lockfd);
	if (r < 0)
		return r;
	r = journals_load(ctx, dirfd, &js, &n);
	if (r < 0)
		goto out;
	root = cJSON_CreateObject();
	if (!root || !cJSON_AddNumberToObject(root, "version", 1) ||
	    !(arr = cJSON_AddArrayToObject(root, "vms"))) {
		r = -ENOMEM;
		goto out;
	}
	for (unsigned int i = 0; i < n && r == 0; i++) {
		struct reconciler rc = { ctx, js[i]->vm_id, NULL, 0, dirfd, -1,
					 js[i]->steps.n };
		cJSON *o;

		if (vm_id && strcmp(js[i]->vm_id, vm_id) != 0)
			continue;
		found++;
		o = cJSON_CreateObject();
		if (!o) {
			r = -ENOMEM;
			break;
		}
		cJSON_AddItemToArray(arr, o);
		if (!cJSON_AddStringToObject(o, "vm", js[i]->vm_id) ||
		    !cJSON_AddBoolToObject(o, "complete", js[i]->complete) ||
		    !(rc.arr = cJSON_AddArrayToObject(o, "reconciled"))) {
			r = -ENOMEM;
			break;
		}
		if (!js[i]->complete) {
			/* An apply that did not finish is reverted, not
			 * completed behind its caller's back. */
			err(ctx, "VM %s: its apply did not finish; revert it "
			    "(nothing reconciled)", js[i]->vm_id);
			failed++;
			continue;
		}
		r = foreach_drift(ctx, js[i], reconcile_one, &rc);
		if (r == 0)
			r = foreach_recreated(ctx, js[i], reconcile_recreated,
					      &rc);
		if (rc.fd >= 0)
			close(rc.fd);
		failed += rc.failed;
	}
	if (r == 0 && vm_id && !found) {
		err(ctx, "no profile is applied to VM %s", vm_id);
		r = -ENOENT;
	}
	if (r == 0 && !cJSON_AddNumberToObject(root, "failed", failed))
		r = -ENOMEM;
	if (r == 0) {
		*ret_json = cJSON_Print(root);
		if (!*ret_json)
			r = -ENOMEM;
	}
	if (r == 0 && failed)
		r = -EAGAIN;
out:
	cJSON_Delete(root);
	journals_free(js, n);
	close(lockfd);
	close(dirfd);
	return r;
}

/* ---- status ------------------------------------------------------------- */

static int status_vm(struct rtvm_ctx *ctx, const struct journal *j,
		     cJSON *arr)
{
	cJSON *o = cJSON_CreateObject(), *drift;

	if (!o)
		return -ENOMEM;
	cJSON_AddItemToArray(arr, o);
	if (!cJSON_AddStringToObject(o, "vm", j->vm_id) ||
	    !(j->profile ? cJSON_AddStringToObject(o, "profile", j->profile) :
			   cJSON_AddNullToObject(o, "profile")) ||
	    !cJSON_AddStringToObject(o, "rt_cpus", j->rt_cpus) ||
	    !cJSON_AddBoolToObject(o, "complete", j->complete) ||
	    !cJSON_AddNumberToObject(o, "steps", j->steps.n) ||
	    !(drift = cJSON_AddArrayToObject(o, "drift")))
		return -ENOMEM;
	return journal_drift(ctx, j, drift, NULL);
}

RTVM_EXPORT int rtvm_tune_status(struct rtvm_ctx *ctx, const char *vm_id,
				 char **ret_json)
{
	struct journal **js = NULL;
	unsigned int n = 0, found = 0;
	cJSON *root = NULL, *arr;
	int dirfd, r;

	if (!ctx || !ret_json)
		return -EINVAL;
	dirfd = state_open(ctx, false);
	if (dirfd < 0 && dirfd != -ENOENT)
		return dirfd;
	r = journals_load(ctx, dirfd, &js, &n);
	if (dirfd >= 0)
		close(dirfd);
	if (r < 0)
		return r;
	root = cJSON_CreateObject();
	if (!root || !cJSON_AddNumberToObject(root, "version", 1) ||
	    !(arr = cJSON_AddArrayToObject(root, "vms"))) {
		r = -ENOMEM;
		goto out;
	}
	for (unsigned int i = 0; i < n && r == 0; i++) {
		if (vm_id && strcmp(js[i]->vm_id, vm_id) != 0)
			continue;
		found++;
		r = status_vm(ctx, js[i], arr);
	}
	if (r == 0 && vm_id && !found) {
		err(ctx, "no profile is applied to VM %s", vm_id);
		r = -ENOENT;
	}
	if (r == 0) {
		*ret_json = cJSON_Print(root);
		if (!*ret_json)
			r = -ENOMEM;
	}
out:
	cJSON_Delete(root);
	journals_free(js, n);
	return r;
}
