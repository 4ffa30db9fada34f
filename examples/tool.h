/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Small helpers shared by the example tools; the tools use only the public
 * librtvm API. */
#ifndef RTVM_TOOL_H
#define RTVM_TOOL_H

#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <rtvm/rtvm.h>

struct cJSON;

#define EXIT_USAGE 64 /* EX_USAGE: the same in every tool; rtvm-check uses 0-2 for verdicts */

extern const char *program_name;

void tool_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* A context with the sysroot (option or RTVM_SYSROOT) and stderr logging. */
int tool_new_ctx(const char *sysroot, bool verbose, struct rtvm_ctx **ret);
/* A mask from a CPU list typed by the user, with a clear error. */
int tool_parse_cpus(struct rtvm_ctx *ctx, const char *what, const char *list,
		    struct rtvm_cpumask **ret);
/* A whole number in [min, max] in decimal, or a usage error on stderr
 * naming the option and the value (-EINVAL).  No sign, no spaces, no
 * trailing text. */
int tool_parse_ulong(const char *what, const char *s, unsigned long min,
		     unsigned long max, unsigned long *ret);
/* The same for a signed range (a "-" is allowed only when min < 0). */
int tool_parse_long(const char *what, const char *s, long min, long max,
		    long *ret);
/* The VM of --vm DOMAIN (through libvirt at @uri, NULL: the default) when
 * @domain is given, else of --pid @pid; on failure an error naming the VM
 * and why (the library's log has the details). */
int tool_open_vm(struct rtvm_ctx *ctx, const char *uri, const char *domain,
		 pid_t pid, struct rtvm_vm **ret);
/* The options every tool takes, for its getopt_long tables. */
#define TOOL_COMMON_SHORTOPTS "js:vhV"
#define TOOL_COMMON_LONGOPTS                                                 \
	{ "json", no_argument, NULL, 'j' },                                  \
	{ "sysroot", required_argument, NULL, 's' },                         \
	{ "verbose", no_argument, NULL, 'v' },                               \
	{ "help", no_argument, NULL, 'h' },                                  \
	{ "version", no_argument, NULL, 'V' }
/* Handles option @c when it is one of those: -j sets *json, -s *sysroot,
 * -v *verbose; -h prints @usage and -V the version on stdout and exit 0.
 * False for any other option. */
bool tool_common_option(int c, bool *json, const char **sysroot,
			bool *verbose, void (*usage)(FILE *f));
/* The list form of a mask, or "-" when NULL; static buffer per call slot. */
const char *tool_mask_str(const struct rtvm_cpumask *mask, int slot);
const char *tool_policy_name(int policy);
/* A changeset from a file written by tool_save_changes(); -errno. */
int tool_load_changes(struct rtvm_ctx *ctx, const char *path,
		      struct rtvm_changeset **ret);
/* Save a changeset as JSON (written to PATH.tmp, synced, renamed; the
 * parent directory is created); -errno. */
int tool_save_changes(const struct rtvm_changeset *cs, const char *path);
/* The default state file NAME of a tool: in $RTVM_STATE_DIR, else in the
 * sysroot's (the option's, else RTVM_SYSROOT's) run/rtvm, else in
 * /run/rtvm (malloc'ed; NULL: out of memory). */
char *tool_state_file(const char *sysroot, const char *name);
/* Undo the records of the state file PATH (see tool_restore_file()),
 * remove it and say how many there were, as text or JSON
 * ({"restored_from", "changes"}); with @dry_run, list what it would put
 * back and change nothing.  The tool's exit status. */
int tool_restore_state(struct rtvm_ctx *ctx, const char *path,
		       const char *missing_hint, bool dry_run, bool json);
/* Save @prev's records, then @cs's (restore undoes @cs's first), from
 * copies: @cs stays apart, to be undone alone if the save fails; -errno. */
int tool_save_merged(struct rtvm_ctx *ctx, const struct rtvm_changeset *prev,
		     const struct rtvm_changeset *cs, const char *path);
/* Undo the records saved in PATH, saying what went wrong (@missing_hint
 * is added when PATH does not exist); their count in *ret_count. */
int tool_restore_file(struct rtvm_ctx *ctx, const char *path,
		      const char *missing_hint, unsigned int *ret_count);
/*
 * Names the host hands us (thread names, the kernel command line, IRQ
 * actions, cgroup paths, domain names) are printed escaped: newline, tab
 * and carriage return as \n, \t and \r, a backslash as \\, any other
 * control character and every byte that is not part of valid UTF-8 as
 * \xNN.  Valid UTF-8 passes unchanged.  Match on the raw name; escape only
 * to print.
 */
/* @s escaped, "-" for NULL.  A string that needs no escape comes back as
 * it is; otherwise the result is in one of four static buffers picked by
 * @slot (valid until that slot is used again) and cut with "..." past
 * TOOL_ESCAPE_MAX bytes.  For long text use tool_fputs_escaped(). */
#define TOOL_ESCAPE_MAX 8192
const char *tool_escape(const char *s, int slot);
/* Write @s escaped to @f, whatever its length ("-" for NULL). */
void tool_fputs_escaped(const char *s, FILE *f);
/* A malloc'ed escaped copy of @s (NULL: out of memory, or @s NULL). */
char *tool_escape_dup(const char *s);
/*
 * JSON on stdout is valid UTF-8: the bytes of strings (and keys) that are
 * not valid UTF-8 become the text \xNN (control characters are cJSON's
 * to escape, as \u00NN).  tool_print_json() prints a tree, pretty or on
 * one line; tool_print_json_text() a JSON text the library made.  Both
 * end the output with a newline; -ENOMEM or -EIO.
 */
int tool_print_json(const struct cJSON *root, bool pretty);
int tool_print_json_text(const char *json);
/* @json with its invalid UTF-8 fixed as above; malloc'ed, NULL for out of
 * memory. */
char *tool_json_fix(const char *json);
/* A boost policy (a profile's "boost", an rtvm-boostd VM's "policy") as
 * the JSON object of those keys, every field given (0: the broker's
 * default; "policies" [] : fifo and rr); NULL for out of memory.  And as
 * one line of text, "key value" pairs, into @buf. */
struct cJSON *tool_boost_policy_json(const struct rtvm_boost_policy *p);
void tool_boost_policy_text(const struct rtvm_boost_policy *p, char *buf,
			    size_t size);
/* A whole file as a string (free() it); NULL, said on stderr, when it
 * cannot be read, is empty or holds a NUL byte. */
char *tool_read_file(const char *path);

/* A stream connection to the Unix socket PATH: the descriptor, or -errno
 * (-ENAMETOOLONG for a path too long for a socket address). */
int tool_unix_connect(const char *path);
/* Connect to PATH and read what it says until it closes: a malloc'ed,
 * NUL-terminated text in *ret; 0, or -errno (-EFBIG past
 * TOOL_UNIX_ANSWER_MAX bytes). */
#define TOOL_UNIX_ANSWER_MAX (16u << 20)
int tool_unix_ask(const char *path, char **ret);

#endif
