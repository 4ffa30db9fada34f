/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <getopt.h>
#include <sched.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
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

/* Library messages may quote what a file of the host holds: formatted
 * first, then printed escaped, as one line. */
static void log_stderr(struct rtvm_ctx *ctx, int priority, const char *file,
		       int line, const char *fn, const char *format,
		       va_list args)
{
	char *msg = NULL, *esc = NULL;

	if (vasprintf(&msg, format, args) < 0)
		msg = NULL;
	esc = msg ? tool_escape_dup(msg) : NULL;
	fprintf(stderr, "%s: librtvm: %s: %s\n", program_name, fn,
		esc ? esc : "(a message, lost: out of memory)");
	free(esc);
	free(msg);
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

bool tool_common_option(int c, bool *json, const char **sysroot,
			bool *verbose, void (*usage)(FILE *f))
{
	switch (c) {
	case 'j': *json = true; return true;
	case 's': *sysroot = optarg; return true;
	case 'v': *verbose = true; return true;
	case 'h':
		usage(stdout);
		exit(EXIT_SUCCESS);
	case 'V':
		printf("%s %s\n", program_name, rtvm_version());
		exit(EXIT_SUCCESS);
	default:
		return false;
	}
}

int tool_parse_long(const char *what, const char *s, long min, long max,
		    long *ret)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || end == s || *end || v < min || v > max ||
	    (min >= 0 && s[0] == '-')) {
		tool_error("%s: \"%s\" is not a whole number from %ld to %ld",
			   what, tool_escape(s, 0), min, max);
		return -EINVAL;
	}
	*ret = v;
	return 0;
}

int tool_parse_ulong(const char *what, const char *s, unsigned long min,
		     unsigned long max, unsigned long *ret)
{
	unsigned long v;
	char *end;

	errno = 0;
	v = strtoul(s, &end, 10);
	/* strtoul takes "-1" for ULONG_MAX: a sign is refused outright. */
	if (errno || end == s || *end || s[0] == '-' || v < min || v > max) {
		tool_error("%s: \"%s\" is not a whole number from %lu to %lu",
			   what, tool_escape(s, 0), min, max);
		return -EINVAL;
	}
	*ret = v;
	return 0;
}

int tool_open_vm(struct rtvm_ctx *ctx, const char *uri, const char *domain,
		 pid_t pid, struct rtvm_vm **ret)
{
	int r;

	if (domain) {
		r = rtvm_vm_new_from_libvirt(ctx, uri, domain, ret);
		if (r < 0)
			tool_error("--vm %s: %s", tool_escape(domain, 0),
				   r == -ENOENT ? "no such domain, or no vCPU "
				   "threads (see above)" :
				   r == -ESRCH ? "not running on this host" :
				   strerror(-r));
		return r;
	}
	r = rtvm_vm_new_from_pid(ctx, pid, ret);
	if (r < 0)
		tool_error("--pid %d: %s", (int)pid,
			   r == -ESRCH ? "no such process" :
			   r == -ENOENT ? "no vCPU threads (not a VMM, or QEMU "
			   "without -name debug-threads=on)" :
			   strerror(-r));
	return r;
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
	ssize_t n = getdelim(&buf, &size, '\0', f);

	if (n < 0) {
		free(buf);
		buf = NULL;
		tool_error("cannot read %s: empty or unreadable", path);
	} else if (buf[n - 1] == '\0') {
		/* getdelim stopped at a NUL: what follows would go unread. */
		tool_error("%s: a NUL byte at offset %zd; a text file has none",
			   path, n - 1);
		free(buf);
		buf = NULL;
	}
	fclose(f);
	return buf;
}

/* ---- state files ------------------------------------------------------- */

char *tool_state_file(const char *sysroot, const char *name)
{
	const char *dir = getenv("RTVM_STATE_DIR");
	const char *root = sysroot ? sysroot : getenv("RTVM_SYSROOT");
	char *path = NULL;
	int r;

	if (dir && *dir)
		r = asprintf(&path, "%s/%s", dir, name);
	else if (root && *root)
		r = asprintf(&path, "%s/run/rtvm/%s", root, name);
	else
		r = asprintf(&path, "/run/rtvm/%s", name);
	return r < 0 ? NULL : path;
}

static bool add_string_or_null(cJSON *o, const char *key, const char *s)
{
	return s ? cJSON_AddStringToObject(o, key, s) != NULL :
		   cJSON_AddNullToObject(o, key) != NULL;
}

/* What restore would do with PATH's records, newest first, as text or as
 * JSON ({"restored_from", "changes", "dry_run": true, "records"}). */
static int restore_dry_run(struct rtvm_ctx *ctx, const char *path,
			   const char *missing_hint, bool json)
{
	struct rtvm_changeset *cs = NULL;
	const struct rtvm_change *c, **v;
	cJSON *root = NULL, *recs;
	unsigned int n, i = 0;
	int r;

	r = tool_load_changes(ctx, path, &cs);
	if (r < 0) {
		tool_error("cannot load %s: %s%s", path, strerror(-r),
			   r == -ENOENT && missing_hint ? missing_hint : "");
		return EXIT_FAILURE;
	}
	n = rtvm_changeset_get_count(cs);
	v = calloc(n ? n : 1, sizeof(*v));
	if (!v)
		goto oom;
	rtvm_changeset_foreach(c, cs)
		v[i++] = c;
	if (!json) {
		printf("dry run: restore would put back %u change%s from %s "
		       "(newest first), then remove it\n",
		       n, n == 1 ? "" : "s", path);
		for (i = n; i-- > 0;)
			printf("  %-10s %s: %s -> %s\n",
			       rtvm_change_kind_to_string(
				       rtvm_change_get_kind(v[i])),
			       tool_escape(rtvm_change_get_target(v[i]), 0),
			       tool_escape(rtvm_change_get_new_value(v[i]), 1),
			       tool_escape(rtvm_change_get_old_value(v[i]), 2));
		r = 0;
		goto out;
	}
	root = cJSON_CreateObject();
	if (!root || !cJSON_AddStringToObject(root, "restored_from", path) ||
	    !cJSON_AddNumberToObject(root, "changes", n) ||
	    !cJSON_AddBoolToObject(root, "dry_run", true) ||
	    !(recs = cJSON_AddArrayToObject(root, "records")))
		goto oom;
	for (i = n; i-- > 0;) {
		cJSON *o = cJSON_CreateObject();

		if (!o || !cJSON_AddItemToArray(recs, o)) {
			cJSON_Delete(o);
			goto oom;
		}
		if (!add_string_or_null(o, "kind", rtvm_change_kind_to_string(
						   rtvm_change_get_kind(v[i]))) ||
		    !add_string_or_null(o, "target",
					rtvm_change_get_target(v[i])) ||
		    !add_string_or_null(o, "from",
					rtvm_change_get_new_value(v[i])) ||
		    !add_string_or_null(o, "to",
					rtvm_change_get_old_value(v[i])))
			goto oom;
	}
	r = tool_print_json(root, true);
	goto out;
oom:
	tool_error("out of memory");
	r = -ENOMEM;
out:
	cJSON_Delete(root);
	free(v);
	rtvm_changeset_unref(cs);
	return r < 0 ? EXIT_FAILURE : EXIT_SUCCESS;
}

int tool_restore_state(struct rtvm_ctx *ctx, const char *path,
		       const char *missing_hint, bool dry_run, bool json)
{
	cJSON *root;
	unsigned int n = 0;
	int r;

	if (dry_run)
		return restore_dry_run(ctx, path, missing_hint, json);
	if (tool_restore_file(ctx, path, missing_hint, &n) < 0)
		return EXIT_FAILURE;
	if (unlink(path) < 0)
		tool_error("restored, but cannot remove %s: %s", path,
			   strerror(errno));
	if (!json) {
		printf("restored %u change%s from %s\n", n, n == 1 ? "" : "s",
		       path);
		return EXIT_SUCCESS;
	}
	root = cJSON_CreateObject();
	if (!root || !cJSON_AddStringToObject(root, "restored_from", path) ||
	    !cJSON_AddNumberToObject(root, "changes", n)) {
		tool_error("out of memory");
		r = -ENOMEM;
	} else {
		r = tool_print_json(root, true);
	}
	cJSON_Delete(root);
	return r < 0 ? EXIT_FAILURE : EXIT_SUCCESS;
}

/* A copy of @src's records at the end of @dst. */
static int append_copy(struct rtvm_ctx *ctx, struct rtvm_changeset *dst,
		       const struct rtvm_changeset *src)
{
	struct rtvm_changeset *copy = NULL;
	char *json = NULL;
	int r;

	r = rtvm_changeset_to_json(src, &json);
	if (r == 0)
		r = rtvm_changeset_new_from_json(ctx, json, &copy);
	if (r == 0)
		r = rtvm_changeset_append(dst, copy);
	rtvm_changeset_unref(copy);
	free(json);
	return r;
}

int tool_save_merged(struct rtvm_ctx *ctx, const struct rtvm_changeset *prev,
		     const struct rtvm_changeset *cs, const char *path)
{
	struct rtvm_changeset *all = NULL;
	int r;

	r = rtvm_changeset_new(ctx, &all);
	if (r == 0 && prev)
		r = append_copy(ctx, all, prev);
	if (r == 0)
		r = append_copy(ctx, all, cs);
	if (r == 0)
		r = tool_save_changes(all, path);
	rtvm_changeset_unref(all);
	return r;
}

/* ---- escaping host-provided text ----------------------------------------- */

/*
 * The length (2 to 4) of the well-formed UTF-8 sequence @s starts, or 0:
 * a stray continuation byte, a lead byte that no valid sequence has (0xc0,
 * 0xc1, 0xf5 and up), an overlong form, a UTF-16 surrogate, a code point
 * past U+10FFFF, or a sequence cut short.  The second byte's range is what
 * rules out the overlong forms, the surrogates and the code points too
 * large.  Never reads past a NUL.
 */
static size_t utf8_len(const unsigned char *s)
{
	unsigned char lo = 0x80, hi = 0xbf;
	size_t n;

	if (s[0] >= 0xc2 && s[0] <= 0xdf) {
		n = 2;
	} else if (s[0] >= 0xe0 && s[0] <= 0xef) {
		n = 3;
		if (s[0] == 0xe0)
			lo = 0xa0;
		else if (s[0] == 0xed)
			hi = 0x9f;
	} else if (s[0] >= 0xf0 && s[0] <= 0xf4) {
		n = 4;
		if (s[0] == 0xf0)
			lo = 0x90;
		else if (s[0] == 0xf4)
			hi = 0x8f;
	} else {
		return 0;
	}
	if (s[1] < lo || s[1] > hi)
		return 0;
	for (size_t i = 2; i < n; i++)
		if ((s[i] & 0xc0) != 0x80)
			return 0;
	return n;
}

/* The printable form of the character at @s into @out (at most 4 bytes,
 * no NUL); its length is returned and the input bytes it took in *used. */
static size_t escape_char(const char *s, char out[4], size_t *used)
{
	static const char hexdigits[] = "0123456789abcdef";
	unsigned char c = (unsigned char)*s;
	size_t n;

	*used = 1;
	switch (c) {
	case '\n': memcpy(out, "\\n", 2); return 2;
	case '\t': memcpy(out, "\\t", 2); return 2;
	case '\r': memcpy(out, "\\r", 2); return 2;
	}
	if (c >= 0x20 && c < 0x7f) {
		out[0] = (char)c;
		return 1;
	}
	if (c >= 0x80 && (n = utf8_len((const unsigned char *)s)) > 0) {
		memcpy(out, s, n);
		*used = n;
		return n;
	}
	out[0] = '\\';
	out[1] = 'x';
	out[2] = hexdigits[c >> 4];
	out[3] = hexdigits[c & 15];
	return 4;
}

/* Whether @s prints as it is: every escape is longer than the byte it
 * stands for, and a character that passes is copied as it is. */
static bool needs_escape(const char *s)
{
	char u[4];
	size_t used;

	for (; *s; s += used)
		if (escape_char(s, u, &used) != used)
			return true;
	return false;
}

const char *tool_escape(const char *s, int slot)
{
	static char bufs[4][TOOL_ESCAPE_MAX];
	char *b = bufs[slot & 3], u[4];
	size_t len = 0, n, used;

	if (!s)
		return "-";
	if (!needs_escape(s))
		return s;
	for (; *s; s += used) {
		n = escape_char(s, u, &used);
		/* Room for this character, "..." and the NUL. */
		if (len + n + 4 > TOOL_ESCAPE_MAX) {
			memcpy(b + len, "...", 3);
			len += 3;
			break;
		}
		memcpy(b + len, u, n);
		len += n;
	}
	b[len] = '\0';
	return b;
}

void tool_fputs_escaped(const char *s, FILE *f)
{
	char u[4];
	size_t used;

	if (!s) {
		fputc('-', f);
		return;
	}
	for (; *s; s += used)
		fwrite(u, 1, escape_char(s, u, &used), f);
}

char *tool_escape_dup(const char *s)
{
	char *out, *p;
	size_t used;

	/* No character grows past 4 bytes ("\xNN"). */
	if (!s || !(out = malloc(strlen(s) * 4 + 1)))
		return NULL;
	for (p = out; *s; s += used)
		p += escape_char(s, p, &used);
	*p = '\0';
	return out;
}

/*
 * The JSON cJSON writes is ASCII outside its strings, so the bytes that
 * are not valid UTF-8 are string bytes, and the JSON escape of "\xNN"
 * ("\\xNN") can take their place right in the text.  Working on the text
 * rather than on the tree serves the library's JSON (change records, check
 * reports, plans) as well as the tools' own, and gives what replacing each
 * string of the tree would.
 */
/* The length of @s fixed, and the fixed text in @out unless NULL. */
static size_t json_fix_into(const unsigned char *s, char *out)
{
	static const char hexdigits[] = "0123456789abcdef";
	size_t len = 0, n;

	for (; *s; s += n) {
		n = *s < 0x80 ? 1 : utf8_len(s);
		if (n) {
			if (out)
				memcpy(out + len, s, n);
			len += n;
			continue;
		}
		n = 1;
		if (out) {
			memcpy(out + len, "\\\\x", 3);
			out[len + 3] = hexdigits[*s >> 4];
			out[len + 4] = hexdigits[*s & 15];
		}
		len += 5;
	}
	return len;
}

char *tool_json_fix(const char *json)
{
	const unsigned char *s = (const unsigned char *)json;
	size_t len = json_fix_into(s, NULL);
	char *out = malloc(len + 1);

	if (!out)
		return NULL;
	json_fix_into(s, out);
	out[len] = '\0';
	return out;
}

int tool_print_json_text(const char *json)
{
	char *text = tool_json_fix(json);
	size_t len;
	int r = 0;

	if (!text) {
		tool_error("out of memory");
		return -ENOMEM;
	}
	len = strlen(text);
	if (fputs(text, stdout) < 0 ||
	    ((!len || text[len - 1] != '\n') && putchar('\n') == EOF))
		r = -EIO;
	free(text);
	return r;
}

int tool_print_json(const struct cJSON *root, bool pretty)
{
	char *text = NULL;
	int r;

	if (root)
		text = pretty ? cJSON_Print(root) : cJSON_PrintUnformatted(root);
	if (!text) {
		tool_error("out of memory");
		return -ENOMEM;
	}
	r = tool_print_json_text(text);
	free(text);
	return r;
}

/* ---- Unix sockets ---------------------------------------------------------- */

int tool_unix_connect(const char *path)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd, r;

	if (strlen(path) >= sizeof(sa.sun_path))
		return -ENAMETOOLONG;
	strcpy(sa.sun_path, path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		r = -errno;
		close(fd);
		return r;
	}
	return fd;
}

int tool_unix_ask(const char *path, char **ret)
{
	size_t len = 0, size = 4096;
	char *buf = malloc(size), *grown;
	int fd = tool_unix_connect(path), r = 0;
	ssize_t n;

	if (fd < 0 || !buf) {
		r = fd < 0 ? fd : -ENOMEM;
		goto out;
	}
	for (;;) {
		if (size - len < 2) {
			if (size >= TOOL_UNIX_ANSWER_MAX) {
				r = -EFBIG;
				goto out;
			}
			grown = realloc(buf, size * 2);
			if (!grown) {
				r = -ENOMEM;
				goto out;
			}
			buf = grown;
			size *= 2;
		}
		n = read(fd, buf + len, size - 1 - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			r = -errno;
			goto out;
		}
		if (n == 0)
			break;
		len += (size_t)n;
	}
	buf[len] = '\0';
	*ret = buf;
	buf = NULL;
out:
	if (fd >= 0)
		close(fd);
	free(buf);
	return r;
}

static const struct {
	const char *name;
	unsigned int policy;
} boost_names[] = {
	{ "fifo", RTVM_BOOST_SCHED_FIFO },
	{ "rr", RTVM_BOOST_SCHED_RR },
	{ "deadline", RTVM_BOOST_SCHED_DEADLINE },
};

#define BOOST_FIELDS(X)                                                        \
	X(max_priority) X(max_boost_us) X(budget_us) X(budget_period_us)      \
	X(rate) X(burst) X(max_lead_us)

cJSON *tool_boost_policy_json(const struct rtvm_boost_policy *p)
{
	cJSON *o = cJSON_CreateObject(), *a = cJSON_AddArrayToObject(o, "policies");

	if (!a) {
		cJSON_Delete(o);
		return NULL;
	}
	for (size_t i = 0; i < sizeof(boost_names) / sizeof(boost_names[0]); i++)
		if (p->policies & RTVM_BOOST_ALLOW(boost_names[i].policy))
			cJSON_AddItemToArray(a, cJSON_CreateString(boost_names[i].name));
#define X(f)                                                                   \
	if (!cJSON_AddNumberToObject(o, #f, p->f)) {                           \
		cJSON_Delete(o);                                               \
		return NULL;                                                   \
	}
	BOOST_FIELDS(X)
#undef X
	return o;
}

void tool_boost_policy_text(const struct rtvm_boost_policy *p, char *buf,
			    size_t size)
{
	size_t n = 0;

#define ADD(...)                                                               \
	do {                                                                   \
		if (n < size)                                                  \
			n += (size_t)snprintf(buf + n, size - n, __VA_ARGS__); \
	} while (0)
	buf[0] = '\0';
	ADD("policies ");
	if (!p->policies)
		ADD("fifo,rr (default)");
	for (size_t i = 0, k = 0; i < sizeof(boost_names) / sizeof(boost_names[0]); i++)
		if (p->policies & RTVM_BOOST_ALLOW(boost_names[i].policy))
			ADD("%s%s", k++ ? "," : "", boost_names[i].name);
#define X(f)                                                                   \
	if (p->f)                                                              \
		ADD(", " #f " %u", p->f);                                      \
	else                                                                   \
		ADD(", " #f " default");
	BOOST_FIELDS(X)
#undef X
#undef ADD
}
