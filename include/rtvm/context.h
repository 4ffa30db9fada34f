/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* librtvm: Context and logging.  Include <rtvm/rtvm.h>, which includes this. */
#ifndef RTVM_CONTEXT_H
#define RTVM_CONTEXT_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ------------------------------------------------------------------ */
/* Context                                                            */
/* ------------------------------------------------------------------ */

struct rtvm_ctx;

/**
 * rtvm_new() - create a library context.
 * @ret: where the new context is stored (one reference).
 *
 * The context reads RTVM_LOG (a syslog priority: "err", "info", "debug" or a
 * number) and RTVM_SYSROOT (see rtvm_set_root()) from the environment with
 * secure_getenv(), so both are ignored in set-uid programs.  A context and
 * the objects made from it are used by one thread at a time.
 *
 * Returns: 0, or -EINVAL (@ret is NULL), -ENOMEM, or the error of opening the
 * directory named by RTVM_SYSROOT (-ENOENT, -ENOTDIR, -EACCES).
 * Privileges: none.
 */
int rtvm_new(struct rtvm_ctx **ret);

/**
 * rtvm_ref() - take a reference on a context.
 * @ctx: the context, or NULL.
 *
 * Returns: @ctx.  Never fails.
 * Privileges: none.
 */
struct rtvm_ctx *rtvm_ref(struct rtvm_ctx *ctx);

/**
 * rtvm_unref() - drop a reference; the last one frees the context.
 * @ctx: the context, or NULL.
 *
 * Returns: NULL, always, so callers can write "ctx = rtvm_unref(ctx)".
 * Privileges: none.
 */
struct rtvm_ctx *rtvm_unref(struct rtvm_ctx *ctx);

/**
 * rtvm_log_fn - type of a log function.
 *
 * @priority is a syslog(3) priority (LOG_ERR .. LOG_DEBUG); @format and
 * @args are a vprintf(3) pair.  The message carries no trailing newline.
 */
typedef void (*rtvm_log_fn)(struct rtvm_ctx *ctx, int priority,
			    const char *file, int line, const char *fn,
			    const char *format, va_list args);

/**
 * rtvm_set_log_fn() - route the context's log messages to @fn.
 * @ctx: the context.
 * @fn: the log function, or NULL for none (the default: the library is
 *      silent until a caller installs a function).
 *
 * Returns: 0, or -EINVAL when @ctx is NULL.
 * Privileges: none.
 */
int rtvm_set_log_fn(struct rtvm_ctx *ctx, rtvm_log_fn fn);

/**
 * rtvm_get_log_priority() - the highest syslog priority that is logged.
 * @ctx: the context.
 *
 * Returns: the priority (LOG_ERR by default, or what RTVM_LOG said), or
 * -EINVAL when @ctx is NULL.
 * Privileges: none.
 */
int rtvm_get_log_priority(const struct rtvm_ctx *ctx);

/**
 * rtvm_set_log_priority() - log messages up to @priority.
 * @ctx: the context.
 * @priority: LOG_EMERG (0) .. LOG_DEBUG (7).
 *
 * Returns: 0, or -EINVAL for a NULL @ctx or a priority outside 0..7.
 * Privileges: none.
 */
int rtvm_set_log_priority(struct rtvm_ctx *ctx, int priority);

/**
 * rtvm_set_userdata() - attach a caller pointer to the context.
 * @ctx: the context.
 * @userdata: any pointer; the library never dereferences it.
 *
 * Returns: 0, or -EINVAL when @ctx is NULL.
 * Privileges: none.
 */
int rtvm_set_userdata(struct rtvm_ctx *ctx, void *userdata);

/**
 * rtvm_get_userdata() - the pointer given to rtvm_set_userdata().
 * @ctx: the context.
 *
 * Returns: the pointer, or NULL (also when @ctx is NULL).
 * Privileges: none.
 */
void *rtvm_get_userdata(const struct rtvm_ctx *ctx);

/**
 * rtvm_version() - the library's version string, e.g. "0.1.0".
 *
 * Returns: a static string.  Never fails.
 * Privileges: none.
 */
const char *rtvm_version(void);

/**
 * rtvm_set_root() - act on a simulated host (a sysroot) instead of this one.
 * @ctx: the context.
 * @path: a directory holding proc/, sys/, dev/, run/ and etc/ trees, or
 *        NULL or "/" for the real host.
 *
 * Every file the library reads or writes under /proc, /sys, /dev, /run and
 * /etc is then resolved inside @path, absolute symbolic links included.
 * While a sysroot is set the library never acts on the real host: system
 * calls on threads (scheduling policy, affinity, nice) are recorded in the
 * sysroot's files instead of being made, because the pids of a sysroot are
 * not pids of this machine.
 *
 * Returns: 0, or -EINVAL (@ctx NULL, @path empty or relative), -ENOMEM, or
 * the error of opening @path (-ENOENT, -ENOTDIR, -EACCES).  On failure the
 * previous root stays in force.
 * Privileges: none.
 */
int rtvm_set_root(struct rtvm_ctx *ctx, const char *path);

/**
 * rtvm_get_root() - the sysroot in force.
 * @ctx: the context.
 *
 * Returns: the absolute path of the sysroot, "/" for the real host, or NULL
 * when @ctx is NULL.
 * Privileges: none.
 */
const char *rtvm_get_root(const struct rtvm_ctx *ctx);

#ifdef __cplusplus
}
#endif

#endif /* RTVM_CONTEXT_H */
