/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include <errno.h>
#include <sched.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <syslog.h>
#include <unistd.h>

#include "tool.h"

void tool_error(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "%s: ", program_name);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

static void log_stderr(struct rtvm_ctx *ctx, int priority, const char *file,
		       int line, const char *fn, const char *format,
		       va_list args)
{
	fprintf(stderr, "%s: librtvm: %s: ", program_name, fn);
	vfprintf(stderr, format, args);
	fputc('\n', stderr);
}

/* A relative sysroot is taken against the current directory, as
 * util-linux and hwloc take theirs.  Returns a malloc'ed absolute path,
 * NULL (said) when it does not resolve. */
static char *absolute_root(const char *what, const char *path)
{
	char *abs = realpath(path, NULL);

	if (!abs)
		tool_error("%s %s: %s", what, path, strerror(errno));
	return abs;
}

int tool_new_ctx(const char *sysroot, bool verbose, struct rtvm_ctx **ret)
{
	const char *env = getenv("RTVM_SYSROOT");
	char *abs = NULL;
	struct rtvm_ctx *ctx;
	int r;

	if (env && *env && env[0] != '/') {
		abs = absolute_root("RTVM_SYSROOT", env);
		if (!abs || setenv("RTVM_SYSROOT", abs, 1) < 0) {
			free(abs);
			return -ENOENT;
		}
		free(abs);
		abs = NULL;
	}
	if (sysroot && sysroot[0] != '/') {
		abs = absolute_root("sysroot", sysroot);
		if (!abs)
			return -ENOENT;
		sysroot = abs;
	}
	r = rtvm_new(&ctx);
	if (r < 0) {
		tool_error("cannot create a librtvm context (RTVM_SYSROOT=%s): %s",
			   getenv("RTVM_SYSROOT") ? getenv("RTVM_SYSROOT") : "",
			   strerror(-r));
		free(abs);
		return r;
	}
	rtvm_set_log_fn(ctx, log_stderr);
	if (verbose)
		rtvm_set_log_priority(ctx, LOG_DEBUG);
	if (sysroot) {
		r = rtvm_set_root(ctx, sysroot);
		if (r < 0) {
			tool_error("sysroot %s: %s", sysroot, strerror(-r));
			rtvm_unref(ctx);
			free(abs);
			return r;
		}
	}
	free(abs);
	*ret = ctx;
	return 0;
}

int tool_parse_cpus(struct rtvm_ctx *ctx, const char *what, const char *list,
		    struct rtvm_cpumask **ret)
{
	struct rtvm_cpumask *m;
	int r;

	r = rtvm_cpumask_new(ctx, &m);
	if (r < 0) {
		tool_error("cannot size a CPU mask for this host: %s",
			   strerror(-r));
		return r;
	}
	r = rtvm_cpumask_parse_list(m, list, 0);
	if (r < 0) {
		tool_error("%s: \"%s\" is not a CPU list of this host (CPUs 0-%u, "
			   "syntax like 0-3,8,10-15)",
			   what, list, rtvm_cpumask_nr_cpus(m) - 1);
		rtvm_cpumask_free(m);
		return r;
	}
	*ret = m;
	return 0;
}

const char *tool_mask_str(const struct rtvm_cpumask *mask, int slot)
{
	static char bufs[4][4096];
	char *s;

	if (!mask || rtvm_cpumask_format_list(mask, &s) < 0)
		return "-";
	snprintf(bufs[slot & 3], sizeof(bufs[0]), "%s", s);
	free(s);
	return bufs[slot & 3];
}

const char *tool_policy_name(int policy)
{
	switch (policy) {
	case SCHED_OTHER: return "OTHER";
	case SCHED_FIFO: return "FIFO";
	case SCHED_RR: return "RR";
	case SCHED_BATCH: return "BATCH";
	case SCHED_IDLE: return "IDLE";
	case 6: return "DEADLINE";
	default: return "?";
	}
}

int tool_load_changes(struct rtvm_ctx *ctx, const char *path,
		      struct rtvm_changeset **ret)
{
	char *json = NULL;
	size_t len = 0;
	FILE *f, *m;
	char buf[4096];
	size_t n;
	int r;

	f = fopen(path, "r");
	if (!f)
		return -errno;
	m = open_memstream(&json, &len);
	while (m && (n = fread(buf, 1, sizeof(buf), f)) > 0)
		fwrite(buf, 1, n, m);
	r = ferror(f) ? -EIO : 0;
	fclose(f);
	if (!m || fclose(m) != 0 || !json) {
		free(json);
		return -ENOMEM;
	}
	if (r == 0)
		r = rtvm_changeset_new_from_json(ctx, json, ret);
	free(json);
	return r;
}

int tool_save_changes(const struct rtvm_changeset *cs, const char *path)
{
	char *json = NULL, *tmp = NULL, *dir = NULL, *slash;
	FILE *f = NULL;
	int r;

	r = rtvm_changeset_to_json(cs, &json);
	if (r < 0)
		return r;
	if (asprintf(&tmp, "%s.tmp", path) < 0 || !(dir = strdup(path))) {
		r = -ENOMEM;
		goto out;
	}
	slash = strrchr(dir, '/');
	if (slash && slash != dir) {
		*slash = '\0';
		if (mkdir(dir, 0755) < 0 && errno != EEXIST) {
			r = -errno;
			goto out;
		}
	}
	/* Written whole, then renamed: a crash leaves the old file or the
	 * new one, never half of one. */
	f = fopen(tmp, "w");
	if (!f || fputs(json, f) < 0 || fputc('\n', f) < 0 || fflush(f) != 0 ||
	    fsync(fileno(f)) < 0) {
		r = -errno;
		goto out;
	}
	r = fclose(f) == 0 ? 0 : -errno;
	f = NULL;
	if (r == 0 && rename(tmp, path) < 0)
		r = -errno;
out:
	if (f)
		fclose(f);
	if (r < 0 && tmp)
		unlink(tmp);
	free(json);
	free(tmp);
	free(dir);
	return r;
}

int tool_restore_file(struct rtvm_ctx *ctx, const char *path,
		      const char *missing_hint, unsigned int *ret_count)
{
	struct rtvm_changeset *cs = NULL;
	int r;

	r = tool_load_changes(ctx, path, &cs);
	if (r < 0) {
		tool_error("cannot load %s: %s%s", path, strerror(-r),
			   r == -ENOENT && missing_hint ? missing_hint :
			   r == -EINVAL || r == -EBADMSG ?
				   " (not a change record file)" : "");
		return r;
	}
	r = rtvm_changeset_restore(cs, 0);
	if (r < 0)
		tool_error("restore from %s: %s (the file is kept; run restore "
			   "again)", path, strerror(-r));
	*ret_count = rtvm_changeset_get_count(cs);
	rtvm_changeset_unref(cs);
	return r;
}

char *tool_read_file(const char *path)
{
	FILE *f = fopen(path, "r");
	char *buf = NULL;
	size_t size = 0;

	if (!f) {
		tool_error("cannot read %s: %s", path, strerror(errno));
		return NULL;
	}
	if (getdelim(&buf, &size, '\0', f) < 0) {
		free(buf);
		buf = NULL;
		tool_error("cannot read %s: empty or unreadable", path);
	}
	fclose(f);
	return buf;
}
