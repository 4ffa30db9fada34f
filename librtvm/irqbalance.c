/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * irqbalance awareness: whether the daemon runs, which CPUs it keeps IRQs
 * off and where that comes from, and writing IRQBALANCE_BANNED_CPULIST into
 * its environment file so that it stops undoing IRQ steering.
 *
 * irqbalance settles its banned CPUs once, when it starts: the hex mask
 * IRQBALANCE_BANNED_CPUS (deprecated) when set and not empty, else the list
 * IRQBALANCE_BANNED_CPULIST, else the isolated and nohz_full CPUs.  Its
 * service reads those variables from an environment file in /etc, so the
 * file says what the next start will do and the running daemon's own
 * environment says what is in force now.
 */
#include "config.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "librtvm-private.h"

#define KEY_HEX "IRQBALANCE_BANNED_CPUS"
#define KEY_LIST "IRQBALANCE_BANNED_CPULIST"
#define BACKUP_SUFFIX ".rtvm-backup"
#define DAEMON_COMM "irqbalance"

/* Relative to /etc, in the order the files are looked for: Debian's, then
 * Red Hat's. */
static const char *const env_files[] = { "default/irqbalance",
					 "sysconfig/irqbalance" };

/* The bans one environment asks for. */
struct bans {
	int kind;		    /* enum rtvm_irqbalance_ban */
	char *value;		    /* NULL for the automatic ban */
	struct rtvm_cpumask *mask;  /* NULL when the value does not parse */
};

struct rtvm_irqbalance {
	int refcount;
	struct rtvm_ctx *ctx;
	pid_t pid;		/* 0: not running */
	int source;		/* enum rtvm_irqbalance_source */
	char *file;		/* host path of the file read, or to make */
	char *file_rel;		/* the same, relative to /etc */
	bool file_exists;
	char *file_text;	/* its bytes, NUL-terminated */
	size_t file_len;
	bool env_read;		/* the daemon's environment was read */
	struct bans env, infile, autoban;
	const struct bans *in_force;
};

/* ---- reading ------------------------------------------------------------ */

/* A whole file, byte for byte (rtvm_fs_read_alloc() drops a newline). */
static int read_raw(struct rtvm_ctx *ctx, enum rtvm_fs fs, const char *rel,
		    char **ret, size_t *ret_len)
{
	size_t len = 0, size = 4096;
	char *buf = NULL;
	int fd, r = 0;

	fd = rtvm_fs_open_file(ctx, fs, "%s", rel);
	if (fd < 0)
		return fd;
	for (;;) {
		ssize_t n;

		if (!buf || len + 1 >= size) {
			char *b;

			if (buf)
				size *= 2;
			if (size > (16u << 20)) {
				r = -EFBIG;
				break;
			}
			b = realloc(buf, size);
			if (!b) {
				r = -ENOMEM;
				break;
			}
			buf = b;
		}
		n = read(fd, buf + len, size - 1 - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			r = -errno;
			break;
		}
		if (n == 0)
			break;
		len += (size_t)n;
	}
	close(fd);
	if (r < 0) {
		free(buf);
		return r;
	}
	buf[len] = '\0';
	*ret = buf;
	*ret_len = len;
	return 0;
}

/* The value of @key in a NUL-separated environment block, or NULL. */
static const char *environ_get(const char *env, size_t len, const char *key)
{
	size_t kl = strlen(key);

	for (const char *p = env; p < env + len; p += strlen(p) + 1)
		if (strncmp(p, key, kl) == 0 && p[kl] == '=')
			return p + kl + 1;
	return NULL;
}

static const char *skip_blanks(const char *p, const char *end)
{
	while (p < end && (*p == ' ' || *p == '\t'))
		p++;
	return p;
}

/* Whether the line [@p, @eol) of an environment file assigns @key
 * ("KEY=VALUE", optionally after blanks and "export"); *@ret_value points
 * at the value then. */
static bool line_assigns(const char *p, const char *eol, const char *key,
			 const char **ret_value)
{
	size_t kl = strlen(key);

	p = skip_blanks(p, eol);
	if (eol - p > 7 && strncmp(p, "export", 6) == 0 &&
	    (p[6] == ' ' || p[6] == '\t'))
		p = skip_blanks(p + 6, eol);
	if ((size_t)(eol - p) <= kl || strncmp(p, key, kl) != 0 || p[kl] != '=')
		return false;
	*ret_value = p + kl + 1;
	return true;
}

/* The value [@v, @eol) without trailing blanks and matching quotes;
 * *@ret_quote gets the quote character, or 0. */
static void value_span(const char *v, const char *eol, const char **ret_start,
		       size_t *ret_len, char *ret_quote)
{
	size_t n = (size_t)(eol - v);

	while (n && (v[n - 1] == ' ' || v[n - 1] == '\t' || v[n - 1] == '\r'))
		n--;
	*ret_quote = 0;
	if (n >= 2 && (v[0] == '"' || v[0] == '\'') && v[n - 1] == v[0]) {
		*ret_quote = v[0];
		v++;
		n -= 2;
	}
	*ret_start = v;
	*ret_len = n;
}

static const char *line_end(const char *p)
{
	const char *eol = strchr(p, '\n');

	return eol ? eol : p + strlen(p);
}

/* The value of @key in a shell-style environment file (KEY=VALUE lines,
 * optional quotes, '#' comments); the last assignment wins, as in the
 * shell.  *@ret is NULL when the file does not set it. */
static int envfile_get(const char *text, const char *key, char **ret)
{
	char *found = NULL;

	for (const char *p = text; *p;) {
		const char *eol = line_end(p), *v, *start;
		char quote;
		size_t n;

		if (line_assigns(p, eol, key, &v)) {
			value_span(v, eol, &start, &n, &quote);
			free(found);
			found = strndup(start, n);
			if (!found)
				return -ENOMEM;
		}
		p = *eol ? eol + 1 : eol;
	}
	*ret = found;
	return 0;
}

/* irqbalance's choice among its variables: a non-empty hex mask, else a
 * non-empty list, else its own ban.  Takes the strings. */
static void bans_pick(struct bans *b, char *hex, char *list)
{
	if (hex && *hex) {
		b->kind = RTVM_IRQBALANCE_BAN_CPUS;
		b->value = hex;
		free(list);
	} else if (list && *list) {
		b->kind = RTVM_IRQBALANCE_BAN_CPULIST;
		b->value = list;
		free(hex);
	} else {
		b->kind = RTVM_IRQBALANCE_BAN_AUTO;
		free(hex);
		free(list);
	}
}

static const char *ban_key(int kind)
{
	return kind == RTVM_IRQBALANCE_BAN_CPUS ? KEY_HEX : KEY_LIST;
}

/* The isolated and nohz_full CPUs, which irqbalance bans when told
 * nothing. */
static int auto_mask(struct rtvm_ctx *ctx, struct rtvm_cpumask *mask)
{
	static const char *const files[] = { "isolated", "nohz_full" };
	char buf[8192];
	int r;

	for (size_t i = 0; i < ARRAY_SIZE(files); i++) {
		struct rtvm_cpumask *m = NULL;

		r = rtvm_fs_read(ctx, RTVM_FS_SYS, buf, sizeof(buf),
				 "devices/system/cpu/%s", files[i]);
		if (r == -ENOENT)
			continue; /* kernels without CPU isolation */
		if (r < 0)
			return r;
		rtvm_strip(buf);
		if (strcmp(buf, "(null)") == 0) /* old kernels' empty */
			continue;
		r = rtvm_cpumask_new_nr(RTVM_CPUMASK_MAX_CPUS, &m);
		if (r < 0)
			return r;
		r = rtvm_cpumask_parse_list(m, buf, RTVM_CPUMASK_ALLOW_EMPTY);
		if (r == 0)
			r = rtvm_cpumask_op(mask, RTVM_CPUMASK_OR, m);
		else
			err(ctx, "irqbalance: cannot parse the %s CPUs \"%s\"",
			    files[i], buf);
		rtvm_cpumask_free(m);
		if (r < 0)
			return r;
	}
	return 0;
}

/* Fill b->mask; a value that does not parse leaves it NULL and is named
 * in the log. */
static int bans_mask(struct rtvm_irqbalance *ib, struct bans *b,
		     const char *where)
{
	struct rtvm_cpumask *m = NULL;
	int r;

	r = rtvm_cpumask_new_nr(RTVM_CPUMASK_MAX_CPUS, &m);
	if (r < 0)
		return r;
	switch (b->kind) {
	case RTVM_IRQBALANCE_BAN_CPUS:
		r = rtvm_cpumask_parse_hex(m, b->value,
					   RTVM_CPUMASK_ALLOW_EMPTY);
		break;
	case RTVM_IRQBALANCE_BAN_CPULIST:
		r = rtvm_cpumask_parse_list(m, b->value,
					    RTVM_CPUMASK_ALLOW_EMPTY);
		break;
	default:
		/* Computed once, first; the others copy it. */
		r = b == &ib->autoban ? auto_mask(ib->ctx, m) :
		    ib->autoban.mask ?
					rtvm_cpumask_op(m, RTVM_CPUMASK_COPY,
							ib->autoban.mask) :
					-EINVAL;
		if (r == -ENOMEM) {
			rtvm_cpumask_free(m);
			return r;
		}
		break;
	}
	if (r < 0) {
		if (b->value)
			err(ib->ctx, "irqbalance: cannot parse %s=\"%s\" (%s)",
			    ban_key(b->kind), b->value, where);
		rtvm_cpumask_free(m);
		return 0;
	}
	b->mask = m;
	return 0;
}

/* The pid of the irqbalance process, 0 when none runs. */
static int find_daemon(struct rtvm_ctx *ctx, pid_t *ret)
{
	struct dirent *de;
	DIR *proc;
	int fd;

	*ret = 0;
	fd = rtvm_fs_open_dir(ctx, RTVM_FS_PROC, ".");
	if (fd < 0)
		return fd;
	proc = fdopendir(fd);
	if (!proc) {
		close(fd);
		return -errno;
	}
	while ((de = readdir(proc))) {
		char path[300], comm[64];
		pid_t pid;

		if (!rtvm_parse_pid(de->d_name, &pid))
			continue;
		snprintf(path, sizeof(path), "%s/comm", de->d_name);
		if (rtvm_fs_read_at(ctx, dirfd(proc), path, comm,
				    sizeof(comm)) < 0)
			continue; /* exited meanwhile */
		if (strcmp(comm, DAEMON_COMM) == 0 && (!*ret || pid < *ret))
			*ret = pid; /* the first one started, if several */
	}
	closedir(proc);
	return 0;
}

/* Which environment file: the first that exists, else the one the
 * distribution's layout asks for. */
static int find_file(struct rtvm_irqbalance *ib)
{
	const char *rel = NULL;
	int r;

	for (size_t i = 0; i < ARRAY_SIZE(env_files); i++) {
		r = read_raw(ib->ctx, RTVM_FS_ETC, env_files[i], &ib->file_text,
			     &ib->file_len);
		if (r == -ENOMEM)
			return r;
		if (r == 0) {
			rel = env_files[i];
			ib->file_exists = true;
			break;
		}
		if (r != -ENOENT)
			dbg(ib->ctx, "irqbalance: cannot read /etc/%s: %s",
			    env_files[i], strerror(-r));
	}
	if (!rel) {
		int fd = rtvm_fs_open_dir(ib->ctx, RTVM_FS_ETC, "default");

		rel = env_files[0];
		if (fd >= 0)
			close(fd);
		else if ((fd = rtvm_fs_open_dir(ib->ctx, RTVM_FS_ETC,
						"sysconfig")) >= 0) {
			rel = env_files[1];
			close(fd);
		}
	}
	ib->file_rel = strdup(rel);
	if (!ib->file_rel)
		return -ENOMEM;
	return rtvm_fs_join_path(RTVM_FS_ETC, rel, &ib->file);
}

static void bans_clear(struct bans *b)
{
	free(b->value);
	rtvm_cpumask_free(b->mask);
	*b = (struct bans){ 0 };
}

int rtvm_irqbalance_probe_pid(struct rtvm_ctx *ctx, pid_t pid,
			      struct rtvm_irqbalance **ret)
{
	struct rtvm_irqbalance *ib;
	char *block = NULL, *hex = NULL, *list = NULL;
	int r, len;

	ib = calloc(1, sizeof(*ib));
	if (!ib)
		return -ENOMEM;
	ib->refcount = 1;
	ib->ctx = rtvm_ref(ctx);
	ib->pid = pid > 0 ? pid : 0;

	r = bans_mask(ib, &ib->autoban, "isolated and nohz_full CPUs");
	if (r < 0)
		goto fail;

	/* What the running daemon was started with.  Only root may read
	 * another user's environment: without it, the file stands in. */
	if (ib->pid) {
		len = rtvm_fs_read_alloc(ctx, RTVM_FS_PROC, &block,
					 "%d/environ", (int)ib->pid);
		if (len >= 0) {
			size_t n = (size_t)len;
			const char *h = environ_get(block, n, KEY_HEX),
				   *l = environ_get(block, n, KEY_LIST);

			ib->env_read = true;
			hex = h ? strdup(h) : NULL;
			list = l ? strdup(l) : NULL;
			free(block);
			if ((h && !hex) || (l && !list)) {
				free(hex);
				free(list);
				r = -ENOMEM;
				goto fail;
			}
			bans_pick(&ib->env, hex, list);
			hex = list = NULL;
			r = bans_mask(ib, &ib->env, "the daemon's environment");
			if (r < 0)
				goto fail;
		} else {
			dbg(ctx, "irqbalance: cannot read the environment of "
				 "pid %d: %s", (int)ib->pid, strerror(-len));
		}
	}

	r = find_file(ib);
	if (r < 0)
		goto fail;
	if (ib->file_exists) {
		if ((r = envfile_get(ib->file_text, KEY_HEX, &hex)) < 0 ||
		    (r = envfile_get(ib->file_text, KEY_LIST, &list)) < 0) {
			free(hex);
			goto fail;
		}
		bans_pick(&ib->infile, hex, list);
		r = bans_mask(ib, &ib->infile, ib->file);
		if (r < 0)
			goto fail;
	}
	if (ib->env_read) {
		ib->source = RTVM_IRQBALANCE_FROM_ENVIRON;
		ib->in_force = &ib->env;
	} else if (ib->file_exists) {
		ib->source = RTVM_IRQBALANCE_FROM_FILE;
		ib->in_force = &ib->infile;
	} else {
		ib->source = RTVM_IRQBALANCE_FROM_DEFAULTS;
		ib->in_force = &ib->autoban;
	}
	dbg(ctx, "irqbalance: pid %d, bans %s%s%s from %s", (int)ib->pid,
	    ib->in_force->value ? ban_key(ib->in_force->kind) : "auto",
	    ib->in_force->value ? "=" : "",
	    ib->in_force->value ? ib->in_force->value : "",
	    ib->source == RTVM_IRQBALANCE_FROM_ENVIRON ? "its environment" :
							 ib->file);
	*ret = ib;
	return 0;
fail:
	rtvm_irqbalance_unref(ib);
	return r;
}

/* ---- the object --------------------------------------------------------- */

RTVM_EXPORT int rtvm_irqbalance_probe(struct rtvm_ctx *ctx,
				      struct rtvm_irqbalance **ret)
{
	pid_t pid;
	int r;

	if (!ctx || !ret)
		return -EINVAL;
	r = find_daemon(ctx, &pid);
	if (r < 0)
		return r;
	return rtvm_irqbalance_probe_pid(ctx, pid, ret);
}

RTVM_EXPORT struct rtvm_irqbalance *
rtvm_irqbalance_ref(struct rtvm_irqbalance *ib)
{
	if (ib)
		ib->refcount++;
	return ib;
}

RTVM_EXPORT struct rtvm_irqbalance *
rtvm_irqbalance_unref(struct rtvm_irqbalance *ib)
{
	if (!ib || --ib->refcount > 0)
		return NULL;
	bans_clear(&ib->env);
	bans_clear(&ib->infile);
	bans_clear(&ib->autoban);
	free(ib->file);
	free(ib->file_rel);
	free(ib->file_text);
	rtvm_unref(ib->ctx);
	free(ib);
	return NULL;
}

RTVM_EXPORT pid_t rtvm_irqbalance_get_pid(const struct rtvm_irqbalance *ib)
{
	return ib ? ib->pid : -EINVAL;
}

RTVM_EXPORT int rtvm_irqbalance_get_source(const struct rtvm_irqbalance *ib)
{
	return ib ? ib->source : -EINVAL;
}

RTVM_EXPORT int rtvm_irqbalance_get_ban_kind(const struct rtvm_irqbalance *ib)
{
	return ib ? ib->in_force->kind : -EINVAL;
}

RTVM_EXPORT const char *
rtvm_irqbalance_get_ban_value(const struct rtvm_irqbalance *ib)
{
	return ib ? ib->in_force->value : NULL;
}

RTVM_EXPORT const struct rtvm_cpumask *
rtvm_irqbalance_get_banned(const struct rtvm_irqbalance *ib)
{
	return ib ? ib->in_force->mask : NULL;
}

RTVM_EXPORT const char *
rtvm_irqbalance_get_file(const struct rtvm_irqbalance *ib)
{
	return ib && ib->file_exists ? ib->file : NULL;
}

const char *rtvm_irqbalance_target_file(const struct rtvm_irqbalance *ib)
{
	return ib->file;
}

int rtvm_irqbalance_file_ban(const struct rtvm_irqbalance *ib,
			     const char **ret_value)
{
	if (!ib->file_exists)
		return -ENOENT;
	*ret_value = ib->infile.value;
	return ib->infile.kind;
}

/* Whether two environments configure the same bans: the same rule, and
 * the same CPUs ("0-1" and "0,1" are the same; the same text when either
 * does not parse). */
static bool bans_equal(const struct bans *a, const struct bans *b)
{
	if (a->kind != b->kind)
		return false;
	if (a->kind == RTVM_IRQBALANCE_BAN_AUTO)
		return true;
	if (a->mask && b->mask)
		return rtvm_cpumask_equal(a->mask, b->mask);
	return strcmp(a->value, b->value) == 0;
}

RTVM_EXPORT bool rtvm_irqbalance_is_stale(const struct rtvm_irqbalance *ib)
{
	return ib && ib->pid && ib->env_read && ib->file_exists &&
	       !bans_equal(&ib->env, &ib->infile);
}

RTVM_EXPORT int rtvm_irqbalance_fights(const struct rtvm_irqbalance *ib,
				       const struct rtvm_cpumask *cpus)
{
	if (!ib || !cpus)
		return -EINVAL;
	if (!ib->pid)
		return 0;
	/* A ban that does not parse protects nothing we can name. */
	if (!ib->in_force->mask)
		return rtvm_cpumask_weight(cpus) > 0;
	return !rtvm_cpumask_subset(cpus, ib->in_force->mask);
}

/* ---- banning ------------------------------------------------------------ */

int rtvm_irqbalance_ban_mask(const struct rtvm_irqbalance *ib,
			     const struct rtvm_cpumask *cpus,
			     struct rtvm_cpumask **ret)
{
	const struct rtvm_cpumask *now = ib->in_force->mask;
	struct rtvm_cpumask *m = NULL;
	int r;

	r = rtvm_cpumask_new_nr(RTVM_CPUMASK_MAX_CPUS, &m);
	if (r < 0)
		return r;
	/* A list replaces irqbalance's own ban, so that one is kept
	 * explicitly, like any other ban in force. */
	r = rtvm_cpumask_op(m, RTVM_CPUMASK_COPY, cpus);
	if (r == 0 && now)
		r = rtvm_cpumask_op(m, RTVM_CPUMASK_OR, now);
	if (r < 0) {
		rtvm_cpumask_free(m);
		return r;
	}
	*ret = m;
	return 0;
}

/* A growing string for the new file; ENOMEM sticks. */
struct text {
	char *s;
	size_t len, size;
	bool oom;
};

static void text_add(struct text *t, const char *s, size_t n)
{
	if (t->oom)
		return;
	if (t->len + n + 1 > t->size) {
		size_t size = t->size ? t->size : 256;
		char *p;

		while (size < t->len + n + 1)
			size *= 2;
		p = realloc(t->s, size);
		if (!p) {
			t->oom = true;
			return;
		}
		t->s = p;
		t->size = size;
	}
	memcpy(t->s + t->len, s, n);
	t->len += n;
	t->s[t->len] = '\0';
}

static void text_str(struct text *t, const char *s)
{
	text_add(t, s, strlen(s));
}

/* Whether the line is the commented-out template of the list
 * ("#IRQBALANCE_BANNED_CPULIST="), after which a new one reads best. */
static bool line_is_template(const char *p, const char *eol)
{
	const char *v;

	p = skip_blanks(p, eol);
	if (p == eol || *p != '#')
		return false;
	return line_assigns(p + 1, eol, KEY_LIST, &v);
}

/* @text with the list set to @list: every assignment of it rewritten in
 * its own quoting, a non-empty hex mask commented out (it would take
 * precedence), and the list added after its commented template or at the
 * end when the file had none.  Everything else is kept byte for byte. */
static int rewrite(const char *text, const char *list, char **ret)
{
	struct text t = { 0 };
	size_t insert_at = (size_t)-1;
	bool found = false;

	for (const char *p = text; *p;) {
		const char *eol = line_end(p), *v, *start;
		const char *next = *eol ? eol + 1 : eol;
		size_t n;
		char quote;

		if (line_assigns(p, eol, KEY_LIST, &v)) {
			char q[2] = { 0, 0 };

			value_span(v, eol, &start, &n, &quote);
			q[0] = quote;
			text_add(&t, p, (size_t)(v - p));
			text_str(&t, q);
			text_str(&t, list);
			text_str(&t, q);
			text_add(&t, eol, (size_t)(next - eol));
			found = true;
		} else if (line_assigns(p, eol, KEY_HEX, &v) &&
			   (value_span(v, eol, &start, &n, &quote), n > 0)) {
			text_str(&t, "#");
			text_add(&t, p, (size_t)(next - p));
		} else {
			text_add(&t, p, (size_t)(next - p));
			if (line_is_template(p, eol))
				insert_at = t.len;
		}
		p = next;
	}
	if (!found) {
		struct text line = { 0 };
		char *tail = NULL;

		if (insert_at == (size_t)-1)
			insert_at = t.len;
		if (insert_at > 0 && t.s[insert_at - 1] != '\n')
			text_str(&line, "\n");
		text_str(&line, KEY_LIST "=");
		text_str(&line, list);
		text_str(&line, "\n");
		if (!t.oom && insert_at < t.len) {
			tail = strdup(t.s + insert_at);
			if (!tail)
				t.oom = true;
			else
				t.len = insert_at;
		}
		if (!line.oom)
			text_add(&t, line.s, line.len);
		else
			t.oom = true;
		if (tail)
			text_str(&t, tail);
		free(tail);
		free(line.s);
	}
	if (t.oom || !t.s) {
		free(t.s);
		return -ENOMEM;
	}
	*ret = t.s;
	return 0;
}

/* Make the changes into @local; on failure what was done is undone by the
 * caller through it. */
static int write_file(struct rtvm_irqbalance *ib, const char *new_text,
		      struct rtvm_changeset *local)
{
	struct rtvm_ctx *ctx = ib->ctx;
	char *backup = NULL;
	int r;

	if (!ib->file_exists) {
		r = rtvm_fs_create(ctx, RTVM_FS_ETC, new_text, 0644, "%s",
				   ib->file_rel);
		if (r < 0) {
			err(ctx, "irqbalance: cannot create %s: %s", ib->file,
			    strerror(-r));
			return r;
		}
		r = rtvm_changeset_add(local, RTVM_CHANGE_FILE, ib->file, NULL,
				       new_text);
		if (r < 0) /* no record, no change */
			rtvm_fs_unlink(ctx, RTVM_FS_ETC, "%s", ib->file_rel);
		return r;
	}

	/* The backup holds the file as it was before librtvm first changed
	 * it: an older one is kept. */
	if (asprintf(&backup, "%s" BACKUP_SUFFIX, ib->file) < 0)
		return -ENOMEM;
	r = rtvm_fs_create(ctx, RTVM_FS_ETC, ib->file_text, 0644,
			   "%s" BACKUP_SUFFIX, ib->file_rel);
	if (r == 0) {
		r = rtvm_changeset_add(local, RTVM_CHANGE_FILE, backup, NULL,
				       ib->file_text);
		if (r < 0)
			rtvm_fs_unlink(ctx, RTVM_FS_ETC, "%s" BACKUP_SUFFIX,
				       ib->file_rel);
	} else if (r == -EEXIST) {
		dbg(ctx, "irqbalance: %s exists, kept", backup);
		r = 0;
	} else {
		err(ctx, "irqbalance: cannot create %s: %s", backup,
		    strerror(-r));
	}
	free(backup);
	if (r < 0)
		return r;

	r = rtvm_fs_write(ctx, RTVM_FS_ETC, new_text, "%s", ib->file_rel);
	if (r < 0) {
		err(ctx, "irqbalance: cannot write %s: %s", ib->file,
		    strerror(-r));
		return r;
	}
	r = rtvm_changeset_add(local, RTVM_CHANGE_FILE, ib->file, ib->file_text,
			       new_text);
	if (r < 0) /* no record, no change */
		rtvm_fs_write(ctx, RTVM_FS_ETC, ib->file_text, "%s",
			      ib->file_rel);
	return r;
}

RTVM_EXPORT int rtvm_irqbalance_ban(struct rtvm_ctx *ctx,
				    const struct rtvm_cpumask *cpus,
				    struct rtvm_changeset *cs)
{
	struct rtvm_irqbalance *ib = NULL;
	struct rtvm_changeset *local = NULL;
	struct rtvm_cpumask *want = NULL;
	char *list = NULL, *new_text = NULL;
	int r;

	if (!ctx || !cpus)
		return -EINVAL;
	r = rtvm_cpus_check_online(ctx, cpus);
	if (r < 0)
		return r;
	r = rtvm_irqbalance_probe(ctx, &ib);
	if (r < 0)
		return r;
	if (ib->file_exists && strlen(ib->file_text) != ib->file_len) {
		err(ctx, "irqbalance: %s holds a NUL byte: not an environment "
			 "file, left alone",
		    ib->file);
		r = -EINVAL;
		goto out;
	}
	if ((r = rtvm_irqbalance_ban_mask(ib, cpus, &want)) < 0 ||
	    (r = rtvm_cpumask_format_list(want, &list)) < 0)
		goto out;
	if (ib->file_exists)
		r = rewrite(ib->file_text, list, &new_text);
	else if (asprintf(&new_text, KEY_LIST "=%s\n", list) < 0)
		r = -ENOMEM;
	if (r < 0)
		goto out;

	if (!ib->file_exists || strcmp(new_text, ib->file_text) != 0) {
		r = rtvm_changeset_new(ctx, &local);
		if (r < 0)
			goto out;
		r = write_file(ib, new_text, local);
		if (r < 0) {
			rtvm_changeset_restore(local, 0);
			goto out;
		}
		info(ctx, "irqbalance: %s sets " KEY_LIST "=%s", ib->file,
		     list);
		if (cs)
			rtvm_changeset_move(cs, local);
	}
	/* The daemon reads its environment once: unless it already bans
	 * exactly these CPUs, only a restart applies the file. */
	r = ib->pid && !(ib->env_read && ib->env.mask &&
			 rtvm_cpumask_equal(ib->env.mask, want));
out:
	rtvm_changeset_unref(local);
	rtvm_irqbalance_unref(ib);
	rtvm_cpumask_free(want);
	free(list);
	free(new_text);
	return r;
}
