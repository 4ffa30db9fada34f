/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Small helpers shared by the example tools; the tools use only the public
 * librtvm API. */
#ifndef RTVM_TOOL_H
#define RTVM_TOOL_H

#include <stdbool.h>
#include <rtvm/rtvm.h>

#define EXIT_USAGE 64 /* EX_USAGE: the same in every tool; rtvm-check uses 0-2 for verdicts */

extern const char *program_name;

void tool_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* A context with the sysroot (option or RTVM_SYSROOT) and stderr logging. */
int tool_new_ctx(const char *sysroot, bool verbose, struct rtvm_ctx **ret);
/* A mask from a CPU list typed by the user, with a clear error. */
int tool_parse_cpus(struct rtvm_ctx *ctx, const char *what, const char *list,
		    struct rtvm_cpumask **ret);
/* The list form of a mask, or "-" when NULL; static buffer per call slot. */
const char *tool_mask_str(const struct rtvm_cpumask *mask, int slot);
const char *tool_policy_name(int policy);
/* A changeset from a file written by tool_save_changes(); -errno. */
int tool_load_changes(struct rtvm_ctx *ctx, const char *path,
		      struct rtvm_changeset **ret);
/* Save a changeset as JSON (written to PATH.tmp, synced, renamed; the
 * parent directory is created); -errno. */
int tool_save_changes(const struct rtvm_changeset *cs, const char *path);
/* Undo the records saved in PATH, saying what went wrong (@missing_hint
 * is added when PATH does not exist); their count in *ret_count. */
int tool_restore_file(struct rtvm_ctx *ctx, const char *path,
		      const char *missing_hint, unsigned int *ret_count);
/* A whole file as a string (free() it); NULL, said on stderr, when it
 * cannot be read or is empty. */
char *tool_read_file(const char *path);

#endif
