/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "librtvm-private.h"
#include "ctx.h"

RTVM_EXPORT const char *rtvm_version(void)
{
	return PACKAGE_VERSION;
}

void rtvm_log(struct rtvm_ctx *ctx, int priority, const char *file, int line,
	      const char *fn, const char *format, ...)
{
	va_list args;

	if (!ctx->log_fn)
		return;
	va_start(args, format);
	ctx->log_fn(ctx, priority, file, line, fn, format, args);
	va_end(args);
}

bool rtvm_log_enabled(const struct rtvm_ctx *ctx, int priority)
{
	return ctx && ctx->log_fn && priority <= ctx->log_priority;
}

static int log_priority_parse(const char *s)
{
	static const char *const names[] = {
		"emerg", "alert", "crit", "err", "warning", "notice", "info",
		"debug",
	};
	int prio;

	if (rtvm_parse_int(s, &prio) == 0)
		return prio >= LOG_EMERG && prio <= LOG_DEBUG ? prio : -EINVAL;
	for (size_t i = 0; i < ARRAY_SIZE(names); i++)
		if (strcasecmp(s, names[i]) == 0)
			return (int)i;
	return -EINVAL;
}

RTVM_EXPORT int rtvm_new(struct rtvm_ctx **ret)
{
	struct rtvm_ctx *ctx;
	const char *env;
	int r;

	if (!ret)
		return -EINVAL;
	ctx = calloc(1, sizeof(*ctx));
	if (!ctx)
		return -ENOMEM;
	ctx->refcount = 1;
	ctx->log_priority = LOG_ERR;
	ctx->rootfd = -1;
	ctx->ops = &rtvm_sysops_kernel;
	ctx->tune_crash_point = -1;

	env = secure_getenv("RTVM_LOG");
	if (env && *env) {
		r = log_priority_parse(env);
		if (r >= 0)
			ctx->log_priority = r;
	}
	env = secure_getenv("RTVM_SYSROOT");
	if (env && *env) {
		r = rtvm_set_root(ctx, env);
		if (r < 0) {
			rtvm_unref(ctx);
			return r;
		}
	}
	*ret = ctx;
	return 0;
}

RTVM_EXPORT struct rtvm_ctx *rtvm_ref(struct rtvm_ctx *ctx)
{
	if (ctx)
		ctx->refcount++;
	return ctx;
}

RTVM_EXPORT struct rtvm_ctx *rtvm_unref(struct rtvm_ctx *ctx)
{
	if (!ctx || --ctx->refcount > 0)
		return NULL;
	if (ctx->rootfd >= 0)
		close(ctx->rootfd);
	rtvm_trace_stop(ctx);
	rtvm_ctx_clear_faults(ctx);
	free(ctx->root);
	free(ctx->state_dir);
	free(ctx);
	return NULL;
}

RTVM_EXPORT int rtvm_set_log_fn(struct rtvm_ctx *ctx, rtvm_log_fn fn)
{
	if (!ctx)
		return -EINVAL;
	ctx->log_fn = fn;
	return 0;
}

RTVM_EXPORT int rtvm_get_log_priority(const struct rtvm_ctx *ctx)
{
	return ctx ? ctx->log_priority : -EINVAL;
}

RTVM_EXPORT int rtvm_set_log_priority(struct rtvm_ctx *ctx, int priority)
{
	if (!ctx || priority < LOG_EMERG || priority > LOG_DEBUG)
		return -EINVAL;
	ctx->log_priority = priority;
	return 0;
}

RTVM_EXPORT int rtvm_set_userdata(struct rtvm_ctx *ctx, void *userdata)
{
	if (!ctx)
		return -EINVAL;
	ctx->userdata = userdata;
	return 0;
}

RTVM_EXPORT void *rtvm_get_userdata(const struct rtvm_ctx *ctx)
{
	return ctx ? ctx->userdata : NULL;
}

RTVM_EXPORT int rtvm_set_root(struct rtvm_ctx *ctx, const char *path)
{
	char *copy;
	int fd;

	if (!ctx || (path && path[0] != '/'))
		return -EINVAL;
	if (!path || strcmp(path, "/") == 0) {
		if (ctx->rootfd >= 0)
			close(ctx->rootfd);
		ctx->rootfd = -1;
		free(ctx->root);
		ctx->root = NULL;
		ctx->nr_possible = 0;
		ctx->ops = &rtvm_sysops_kernel;
		dbg(ctx, "root: the real host");
		return 0;
	}
	fd = open(path, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	copy = realpath(path, NULL);
	if (!copy) {
		int r = -errno;

		close(fd);
		return r;
	}
	if (ctx->rootfd >= 0)
		close(ctx->rootfd);
	ctx->rootfd = fd;
	free(ctx->root);
	ctx->root = copy;
	ctx->nr_possible = 0;
	/* A sysroot is a simulated host: its pids are not this machine's. */
	ctx->ops = &rtvm_sysops_sysroot;
	dbg(ctx, "root: sysroot %s", copy);
	return 0;
}

RTVM_EXPORT const char *rtvm_get_root(const struct rtvm_ctx *ctx)
{
	if (!ctx)
		return NULL;
	return ctx->root ? ctx->root : "/";
}

const struct rtvm_sysops *rtvm_ctx_get_sysops(const struct rtvm_ctx *ctx)
{
	return ctx->ops;
}

void rtvm_ctx_set_sysops(struct rtvm_ctx *ctx, const struct rtvm_sysops *ops)
{
	ctx->ops = ops;
}

/* ---- fault injection -------------------------------------------------- */

int rtvm_ctx_add_fault(struct rtvm_ctx *ctx, unsigned int ops,
		       const char *match, unsigned int nth, unsigned int count,
		       int err)
{
	struct rtvm_fault *f;

	if (!ctx || !ops || nth == 0 || err <= 0)
		return -EINVAL;
	f = calloc(1, sizeof(*f));
	if (!f)
		return -ENOMEM;
	if (match && !(f->match = strdup(match))) {
		free(f);
		return -ENOMEM;
	}
	f->ops = ops;
	f->nth = nth;
	f->count = count;
	f->err = err;
	f->next = ctx->faults;
	ctx->faults = f;
	return 0;
}

void rtvm_ctx_clear_faults(struct rtvm_ctx *ctx)
{
	while (ctx->faults) {
		struct rtvm_fault *f = ctx->faults;

		ctx->faults = f->next;
		free(f->match);
		free(f);
	}
}

int rtvm_fault_check(struct rtvm_ctx *ctx, enum rtvm_op op, const char *target)
{
	for (struct rtvm_fault *f = ctx->faults; f; f = f->next) {
		if (!(f->ops & op))
			continue;
		if (f->match && (!target || !strstr(target, f->match)))
			continue;
		if (++f->seen < f->nth)
			continue;
		if (f->count && f->seen >= f->nth + f->count)
			continue;
		dbg(ctx, "fault injected: op %#x on %s: %s", (unsigned)op,
		    target ? target : "?", strerror(f->err));
		return -f->err;
	}
	return 0;
}
