/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Unit tier: irqbalance awareness (librtvm/irqbalance.c) on the rthost and
 * untuned fixtures, whose irqbalance is pid 700 with /etc/default/
 * irqbalance.  Only fixture files are read and written: never this
 * machine's /etc. */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>

#include "librtvm-private.h"
#include "testutil.h"

#define RT "2-15,34-47"
#define FILE_REL "etc/default/irqbalance"
#define BACKUP_REL "etc/default/irqbalance.rtvm-backup"

static char log_all[8192];

static void log_capture(struct rtvm_ctx *ctx, int priority, const char *file,
			int line, const char *fn, const char *format,
			va_list args)
{
	size_t len = strlen(log_all);

	(void)ctx, (void)priority, (void)file, (void)line, (void)fn;
	if (len + 2 >= sizeof(log_all))
		return;
	vsnprintf(log_all + len, sizeof(log_all) - len - 1, format, args);
	strcat(log_all, "\n");
}

static struct rtvm_ctx *ctx_for(const char *fixture)
{
	struct rtvm_ctx *ctx = tu_ctx(fixture);

	log_all[0] = '\0';
	rtvm_set_log_fn(ctx, log_capture);
	return ctx;
}

static struct rtvm_irqbalance *probe(struct rtvm_ctx *ctx)
{
	struct rtvm_irqbalance *ib = NULL;

	ck_assert_int_eq(rtvm_irqbalance_probe(ctx, &ib), 0);
	ck_assert_ptr_nonnull(ib);
	return ib;
}

static void sh(struct rtvm_ctx *ctx, const char *cmd)
{
	char full[2048];

	snprintf(full, sizeof(full), "cd '%s' && %s", rtvm_get_root(ctx), cmd);
	ck_assert_msg(system(full) == 0, "failed: %s", cmd);
}

static bool exists(struct rtvm_ctx *ctx, const char *rel)
{
	char path[1024];

	snprintf(path, sizeof(path), "%s/%s", rtvm_get_root(ctx), rel);
	return access(path, F_OK) == 0;
}

static int fights(struct rtvm_irqbalance *ib, const char *list)
{
	struct rtvm_cpumask *m = tu_mask(64, list);
	int r = rtvm_irqbalance_fights(ib, m);

	rtvm_cpumask_free(m);
	return r;
}

static int ban(struct rtvm_ctx *ctx, const char *list,
	       struct rtvm_changeset *cs)
{
	struct rtvm_cpumask *m = tu_mask(64, list);
	int r = rtvm_irqbalance_ban(ctx, m, cs);

	rtvm_cpumask_free(m);
	return r;
}

static struct rtvm_changeset *new_cs(struct rtvm_ctx *ctx)
{
	struct rtvm_changeset *cs;

	ck_assert_int_eq(rtvm_changeset_new(ctx, &cs), 0);
	return cs;
}

/* Restore through the JSON form, as a tool would after a restart. */
static void restore_via_json(struct rtvm_ctx *ctx, struct rtvm_changeset *cs)
{
	struct rtvm_changeset *back;
	char *json;

	ck_assert_int_eq(rtvm_changeset_to_json(cs, &json), 0);
	ck_assert_int_eq(rtvm_changeset_new_from_json(ctx, json, &back), 0);
	ck_assert_int_eq(rtvm_changeset_restore(back, 0), 0);
	/* Twice is harmless. */
	ck_assert_int_eq(rtvm_changeset_restore(back, 0), 0);
	rtvm_changeset_unref(back);
	free(json);
}

#define expect_log(needle)                                                  \
	ck_assert_msg(strstr(log_all, (needle)) != NULL,                    \
		      "\"%s\" not in the log: %s", (needle), log_all)

/* ---- probing ---------------------------------------------------------- */

START_TEST(test_running_from_environ)
{
	struct rtvm_ctx *ctx = ctx_for("rthost");
	struct rtvm_irqbalance *ib = probe(ctx);

	ck_assert_int_eq(rtvm_irqbalance_get_pid(ib), 700);
	ck_assert_int_eq(rtvm_irqbalance_get_source(ib),
			 RTVM_IRQBALANCE_FROM_ENVIRON);
	ck_assert_int_eq(rtvm_irqbalance_get_ban_kind(ib),
			 RTVM_IRQBALANCE_BAN_CPULIST);
	ck_assert_str_eq(rtvm_irqbalance_get_ban_value(ib), RT);
	ck_assert_str_eq(tu_list(rtvm_irqbalance_get_banned(ib)), RT);
	ck_assert_str_eq(rtvm_irqbalance_get_file(ib), "/etc/default/irqbalance");
	ck_assert(!rtvm_irqbalance_is_stale(ib));
	ck_assert_int_eq(fights(ib, RT), 0);
	ck_assert_int_eq(fights(ib, "3-5"), 0);
	ck_assert_int_eq(fights(ib, "1-2"), 1);
	ck_assert_int_eq(rtvm_irqbalance_fights(ib, NULL), -EINVAL);
	ck_assert_ptr_eq(rtvm_irqbalance_ref(ib), ib);
	ck_assert_ptr_null(rtvm_irqbalance_unref(ib));
	ck_assert_ptr_null(rtvm_irqbalance_unref(ib));

	/* NULL everywhere. */
	ck_assert_int_eq(rtvm_irqbalance_probe(NULL, &ib), -EINVAL);
	ck_assert_int_eq(rtvm_irqbalance_probe(ctx, NULL), -EINVAL);
	ck_assert_int_eq(rtvm_irqbalance_get_pid(NULL), -EINVAL);
	ck_assert_int_eq(rtvm_irqbalance_get_source(NULL), -EINVAL);
	ck_assert_int_eq(rtvm_irqbalance_get_ban_kind(NULL), -EINVAL);
	ck_assert_ptr_null(rtvm_irqbalance_get_ban_value(NULL));
	ck_assert_ptr_null(rtvm_irqbalance_get_banned(NULL));
	ck_assert_ptr_null(rtvm_irqbalance_get_file(NULL));
	ck_assert(!rtvm_irqbalance_is_stale(NULL));
	ck_assert_ptr_null(rtvm_irqbalance_ref(NULL));
	rtvm_unref(ctx);
}
END_TEST

START_TEST(test_not_running)
{
	struct rtvm_ctx *ctx = ctx_for("rthost");
	struct rtvm_irqbalance *ib;

	/* Another process named alike does not count; only "irqbalance". */
	sh(ctx, "rm -r proc/700 && mkdir -p proc/701 && "
		"echo irqbalance-x >proc/701/comm");
	ib = probe(ctx);
	ck_assert_int_eq(rtvm_irqbalance_get_pid(ib), 0);
	/* What its next start would ban: the file's list. */
	ck_assert_int_eq(rtvm_irqbalance_get_source(ib),
			 RTVM_IRQBALANCE_FROM_FILE);
	ck_assert_int_eq(rtvm_irqbalance_get_ban_kind(ib),
			 RTVM_IRQBALANCE_BAN_CPULIST);
	ck_assert_str_eq(rtvm_irqbalance_get_ban_value(ib), RT);
	ck_assert_int_eq(fights(ib, "0-1"), 0); /* it does not run */
	ck_assert(!rtvm_irqbalance_is_stale(ib));
	rtvm_irqbalance_unref(ib);

	/* No file either: its defaults, the isolated and nohz_full CPUs. */
	sh(ctx, "rm " FILE_REL);
	ib = probe(ctx);
	ck_assert_int_eq(rtvm_irqbalance_get_source(ib),
			 RTVM_IRQBALANCE_FROM_DEFAULTS);
	ck_assert_int_eq(rtvm_irqbalance_get_ban_kind(ib),
			 RTVM_IRQBALANCE_BAN_AUTO);
	ck_assert_ptr_null(rtvm_irqbalance_get_ban_value(ib));
	ck_assert_ptr_null(rtvm_irqbalance_get_file(ib));
	ck_assert_str_eq(tu_list(rtvm_irqbalance_get_banned(ib)), RT);
	rtvm_irqbalance_unref(ib);
	rtvm_unref(ctx);
}
END_TEST

START_TEST(test_environ_vs_file)
{
	struct rtvm_ctx *ctx = ctx_for("rthost");
	struct rtvm_irqbalance *ib;

	/* The daemon was started without a list: its own ban is in force,
	 * and the file's list waits for a restart. */
	tu_write(ctx, "proc/700/environ", "LANG=C.UTF-8");
	ib = probe(ctx);
	ck_assert_int_eq(rtvm_irqbalance_get_source(ib),
			 RTVM_IRQBALANCE_FROM_ENVIRON);
	ck_assert_int_eq(rtvm_irqbalance_get_ban_kind(ib),
			 RTVM_IRQBALANCE_BAN_AUTO);
	ck_assert_str_eq(tu_list(rtvm_irqbalance_get_banned(ib)), RT);
	ck_assert(rtvm_irqbalance_is_stale(ib));
	rtvm_irqbalance_unref(ib);

	/* A list in the environment; the same CPUs written otherwise are
	 * not stale, other CPUs are. */
	sh(ctx, "printf 'A=1\\0IRQBALANCE_BANNED_CPULIST=2-15,34-39,40-47\\0' "
		">proc/700/environ");
	ib = probe(ctx);
	ck_assert_str_eq(rtvm_irqbalance_get_ban_value(ib), "2-15,34-39,40-47");
	ck_assert(!rtvm_irqbalance_is_stale(ib));
	rtvm_irqbalance_unref(ib);
	sh(ctx, "printf 'IRQBALANCE_BANNED_CPULIST=0-1\\0' >proc/700/environ");
	ib = probe(ctx);
	ck_assert_str_eq(tu_list(rtvm_irqbalance_get_banned(ib)), "0-1");
	ck_assert(rtvm_irqbalance_is_stale(ib));
	ck_assert_int_eq(fights(ib, RT), 1);
	rtvm_irqbalance_unref(ib);

	/* Not root: the environment cannot be read, the file stands in
	 * (quotes removed). */
	sh(ctx, "rm proc/700/environ");
	ib = probe(ctx);
	ck_assert_int_eq(rtvm_irqbalance_get_pid(ib), 700);
	ck_assert_int_eq(rtvm_irqbalance_get_source(ib),
			 RTVM_IRQBALANCE_FROM_FILE);
	ck_assert_str_eq(rtvm_irqbalance_get_ban_value(ib), RT);
	ck_assert(!rtvm_irqbalance_is_stale(ib));
	rtvm_irqbalance_unref(ib);

	/* Red Hat's file, "export" and single quotes; the last assignment
	 * wins; comments do not count. */
	sh(ctx, "rm " FILE_REL);
	tu_write(ctx, "etc/sysconfig/irqbalance",
		 "# IRQBALANCE_BANNED_CPULIST=7\n"
		 "IRQBALANCE_BANNED_CPULIST=5\n"
		 "  export IRQBALANCE_BANNED_CPULIST='3-4'  \n"
		 "#IRQBALANCE_BANNED_CPULIST=6\n");
	ib = probe(ctx);
	ck_assert_str_eq(rtvm_irqbalance_get_file(ib),
			 "/etc/sysconfig/irqbalance");
	ck_assert_str_eq(rtvm_irqbalance_get_ban_value(ib), "3-4");
	ck_assert_str_eq(tu_list(rtvm_irqbalance_get_banned(ib)), "3-4");
	rtvm_irqbalance_unref(ib);
	rtvm_unref(ctx);
}
END_TEST

START_TEST(test_hex_precedence)
{
	struct rtvm_ctx *ctx = ctx_for("rthost");
	struct rtvm_irqbalance *ib;

	sh(ctx, "printf 'IRQBALANCE_BANNED_CPULIST=2-15,34-47\\0"
		"IRQBALANCE_BANNED_CPUS=0000fffc,0000000c\\0' "
		">proc/700/environ");
	ib = probe(ctx);
	ck_assert_int_eq(rtvm_irqbalance_get_ban_kind(ib),
			 RTVM_IRQBALANCE_BAN_CPUS);
	ck_assert_str_eq(rtvm_irqbalance_get_ban_value(ib), "0000fffc,0000000c");
	ck_assert_str_eq(tu_list(rtvm_irqbalance_get_banned(ib)), "2-3,34-47");
	ck_assert_int_eq(fights(ib, RT), 1);
	rtvm_irqbalance_unref(ib);

	/* An empty hex mask is no mask: the list counts. */
	sh(ctx, "printf 'IRQBALANCE_BANNED_CPUS=\\0"
		"IRQBALANCE_BANNED_CPULIST=4\\0' >proc/700/environ");
	ib = probe(ctx);
	ck_assert_int_eq(rtvm_irqbalance_get_ban_kind(ib),
			 RTVM_IRQBALANCE_BAN_CPULIST);
	ck_assert_str_eq(tu_list(rtvm_irqbalance_get_banned(ib)), "4");
	rtvm_irqbalance_unref(ib);

	/* The same order in the file. */
	sh(ctx, "rm proc/700/environ");
	tu_write(ctx, FILE_REL, "IRQBALANCE_BANNED_CPUS=\"3\"\n"
				"IRQBALANCE_BANNED_CPULIST=\"2-15\"\n");
	ib = probe(ctx);
	ck_assert_int_eq(rtvm_irqbalance_get_ban_kind(ib),
			 RTVM_IRQBALANCE_BAN_CPUS);
	ck_assert_str_eq(tu_list(rtvm_irqbalance_get_banned(ib)), "0-1");
	rtvm_irqbalance_unref(ib);
	rtvm_unref(ctx);
}
END_TEST

START_TEST(test_auto_ban)
{
	struct rtvm_ctx *ctx = ctx_for("untuned");
	struct rtvm_irqbalance *ib = probe(ctx);

	/* Untuned: no list, nothing isolated: nothing banned. */
	ck_assert_int_eq(rtvm_irqbalance_get_source(ib),
			 RTVM_IRQBALANCE_FROM_ENVIRON);
	ck_assert_int_eq(rtvm_irqbalance_get_ban_kind(ib),
			 RTVM_IRQBALANCE_BAN_AUTO);
	ck_assert_uint_eq(rtvm_cpumask_weight(rtvm_irqbalance_get_banned(ib)), 0);
	ck_assert_int_eq(fights(ib, "2"), 1);
	rtvm_irqbalance_unref(ib);

	/* The isolated and the nohz_full CPUs, together. */
	tu_write(ctx, "sys/devices/system/cpu/isolated", "2-3\n");
	tu_write(ctx, "sys/devices/system/cpu/nohz_full", "3-5\n");
	ib = probe(ctx);
	ck_assert_str_eq(tu_list(rtvm_irqbalance_get_banned(ib)), "2-5");
	ck_assert_int_eq(fights(ib, "2-5"), 0);
	ck_assert_int_eq(fights(ib, "2-6"), 1);
	rtvm_irqbalance_unref(ib);

	/* Old kernels print "(null)"; kernels without it have no file. */
	tu_write(ctx, "sys/devices/system/cpu/nohz_full", "(null)\n");
	ib = probe(ctx);
	ck_assert_str_eq(tu_list(rtvm_irqbalance_get_banned(ib)), "2-3");
	rtvm_irqbalance_unref(ib);
	sh(ctx, "rm sys/devices/system/cpu/nohz_full");
	ib = probe(ctx);
	ck_assert_str_eq(tu_list(rtvm_irqbalance_get_banned(ib)), "2-3");
	rtvm_irqbalance_unref(ib);
	rtvm_unref(ctx);
}
END_TEST

START_TEST(test_bad_values)
{
	struct rtvm_ctx *ctx = ctx_for("rthost");
	struct rtvm_irqbalance *ib;
	char *before;

	sh(ctx, "printf 'IRQBALANCE_BANNED_CPULIST=2-x\\0' >proc/700/environ");
	ib = probe(ctx);
	ck_assert_ptr_null(rtvm_irqbalance_get_banned(ib));
	ck_assert_str_eq(rtvm_irqbalance_get_ban_value(ib), "2-x");
	/* Nothing we can name is protected. */
	ck_assert_int_eq(fights(ib, "2"), 1);
	expect_log("IRQBALANCE_BANNED_CPULIST=\"2-x\"");
	rtvm_irqbalance_unref(ib);

	sh(ctx, "rm proc/700/environ");
	tu_write(ctx, FILE_REL, "IRQBALANCE_BANNED_CPUS=zz\n");
	log_all[0] = '\0';
	ib = probe(ctx);
	ck_assert_ptr_null(rtvm_irqbalance_get_banned(ib));
	expect_log("IRQBALANCE_BANNED_CPUS=\"zz\" (/etc/default/irqbalance)");
	rtvm_irqbalance_unref(ib);

	/* Bad bans change nothing and say why. */
	before = tu_read(ctx, FILE_REL);
	ck_assert_int_eq(ban(ctx, "", NULL), -EINVAL);
	expect_log("empty CPU mask");
	ck_assert_int_eq(ban(ctx, "2,63", NULL), -EINVAL);
	expect_log("CPU 63 is not online");
	ck_assert_int_eq(rtvm_irqbalance_ban(NULL, NULL, NULL), -EINVAL);
	ck_assert_int_eq(rtvm_irqbalance_ban(ctx, NULL, NULL), -EINVAL);
	/* A file that is not text is left alone. */
	sh(ctx, "printf 'A=1\\0B=2\\n' >" FILE_REL);
	ck_assert_int_eq(ban(ctx, "2", NULL), -EINVAL);
	expect_log("/etc/default/irqbalance holds a NUL byte");
	ck_assert(!exists(ctx, BACKUP_REL));
	sh(ctx, "printf 'A=1\\0B=2\\n' | cmp - " FILE_REL);
	free(before);
	rtvm_unref(ctx);
}
END_TEST

/* ---- banning ------------------------------------------------------------ */

START_TEST(test_ban_and_restore)
{
	struct rtvm_ctx *ctx = ctx_for("untuned");
	struct rtvm_changeset *cs = new_cs(ctx);
	struct rtvm_irqbalance *ib;
	const struct rtvm_change *c;
	char *orig = tu_read(ctx, FILE_REL), *now, *want, *tmpl;
	size_t at;

	/* Running without a list: the file changes, a restart applies it. */
	ck_assert_int_eq(ban(ctx, "2-3", cs), 1);
	now = tu_read(ctx, FILE_REL);
	/* Added right after the commented template, all else the same. */
	tmpl = strstr(orig, "#IRQBALANCE_BANNED_CPULIST=\n");
	ck_assert_ptr_nonnull(tmpl);
	at = (size_t)(tmpl - orig) + strlen("#IRQBALANCE_BANNED_CPULIST=\n");
	ck_assert_int_ge(asprintf(&want, "%.*sIRQBALANCE_BANNED_CPULIST=2-3\n%s",
				  (int)at, orig, orig + at), 0);
	ck_assert_str_eq(now, want);
	free(want);
	free(now);
	/* The backup is the old file. */
	now = tu_read(ctx, BACKUP_REL);
	ck_assert_str_eq(now, orig);
	free(now);

	/* Two records: the backup made, the file changed. */
	ck_assert_uint_eq(rtvm_changeset_get_count(cs), 2);
	c = rtvm_changeset_next(cs, NULL);
	ck_assert_int_eq(rtvm_change_get_kind(c), RTVM_CHANGE_FILE);
	ck_assert_str_eq(rtvm_change_get_target(c),
			 "/etc/default/irqbalance.rtvm-backup");
	ck_assert_ptr_null(rtvm_change_get_old_value(c));
	c = rtvm_changeset_next(cs, c);
	ck_assert_str_eq(rtvm_change_get_target(c), "/etc/default/irqbalance");
	ck_assert_str_eq(rtvm_change_get_old_value(c), orig);

	/* The running daemon still has its old bans. */
	ib = probe(ctx);
	ck_assert(rtvm_irqbalance_is_stale(ib));
	ck_assert_int_eq(rtvm_irqbalance_get_ban_kind(ib),
			 RTVM_IRQBALANCE_BAN_AUTO);
	rtvm_irqbalance_unref(ib);

	/* Again: nothing more to do, the backup is not replaced. */
	ck_assert_int_eq(ban(ctx, "2-3", cs), 1);
	ck_assert_uint_eq(rtvm_changeset_get_count(cs), 2);

	/* Once restarted with the file, nothing is to be done. */
	sh(ctx, "printf 'IRQBALANCE_BANNED_CPULIST=2-3\\0' >proc/700/environ");
	ck_assert_int_eq(ban(ctx, "3", cs), 0);
	ck_assert_uint_eq(rtvm_changeset_get_count(cs), 2);

	/* Restore: the old bytes, and no backup left. */
	restore_via_json(ctx, cs);
	now = tu_read(ctx, FILE_REL);
	ck_assert_str_eq(now, orig);
	ck_assert_uint_eq(strlen(now), strlen(orig));
	free(now);
	ck_assert(!exists(ctx, BACKUP_REL));
	free(orig);
	rtvm_changeset_unref(cs);
	rtvm_unref(ctx);
}
END_TEST

/* Ban @list on a file holding @before (no daemon environment, so the file
 * is in force), expect @after, then restore byte for byte. */
static void ban_case(const char *before, const char *list, const char *after)
{
	struct rtvm_ctx *ctx = ctx_for("untuned");
	struct rtvm_changeset *cs = new_cs(ctx);
	char *now;

	sh(ctx, "rm proc/700/environ");
	tu_write(ctx, FILE_REL, before);
	ck_assert_int_eq(ban(ctx, list, cs), 1);
	now = tu_read(ctx, FILE_REL);
	ck_assert_msg(strcmp(now, after) == 0, "ban %s on\n%s\ngave\n%s\nnot\n%s",
		      list, before, now, after);
	free(now);
	restore_via_json(ctx, cs);
	now = tu_read(ctx, FILE_REL);
	ck_assert_str_eq(now, before);
	free(now);
	ck_assert(!exists(ctx, BACKUP_REL));
	rtvm_changeset_unref(cs);
	rtvm_unref(ctx);
}

START_TEST(test_ban_quoting)
{
	/* Each assignment keeps its quotes and "export"; the bans in force
	 * are kept. */
	ban_case("A=1\nIRQBALANCE_BANNED_CPULIST=\"4\"\nB=2\n", "2",
		 "A=1\nIRQBALANCE_BANNED_CPULIST=\"2,4\"\nB=2\n");
	ban_case("  export IRQBALANCE_BANNED_CPULIST='4'   \n", "5",
		 "  export IRQBALANCE_BANNED_CPULIST='4-5'\n");
	ban_case("IRQBALANCE_BANNED_CPULIST=1\r\nIRQBALANCE_BANNED_CPULIST=\n",
		 "2", "IRQBALANCE_BANNED_CPULIST=2\nIRQBALANCE_BANNED_CPULIST=2\n");
	/* A hex mask would win over the list: it is commented out, and its
	 * CPUs stay banned. */
	ban_case("IRQBALANCE_BANNED_CPUS=3\nIRQBALANCE_ARGS=\"--x\"\n", "4",
		 "#IRQBALANCE_BANNED_CPUS=3\nIRQBALANCE_ARGS=\"--x\"\n"
		 "IRQBALANCE_BANNED_CPULIST=0-1,4\n");
	/* An empty hex mask is harmless and stays. */
	ban_case("IRQBALANCE_BANNED_CPUS=\n", "4",
		 "IRQBALANCE_BANNED_CPUS=\nIRQBALANCE_BANNED_CPULIST=4\n");
	/* No newline at the end; an empty file. */
	ban_case("# hi\nIRQBALANCE_ARGS=", "4",
		 "# hi\nIRQBALANCE_ARGS=\nIRQBALANCE_BANNED_CPULIST=4\n");
	ban_case("", "4", "IRQBALANCE_BANNED_CPULIST=4\n");
	/* The template as last line without a newline. */
	ban_case("A=1\n#IRQBALANCE_BANNED_CPULIST=", "4",
		 "A=1\n#IRQBALANCE_BANNED_CPULIST=\nIRQBALANCE_BANNED_CPULIST=4\n");
}
END_TEST

START_TEST(test_ban_in_force_already)
{
	struct rtvm_ctx *ctx = ctx_for("rthost");
	struct rtvm_changeset *cs = new_cs(ctx);
	char *orig = tu_read(ctx, FILE_REL), *now;

	/* rthost bans the RT CPUs in the file and the daemon. */
	ck_assert_int_eq(ban(ctx, "3-5", cs), 0);
	ck_assert_uint_eq(rtvm_changeset_get_count(cs), 0);
	ck_assert(!exists(ctx, BACKUP_REL));
	now = tu_read(ctx, FILE_REL);
	ck_assert_str_eq(now, orig);
	free(now);
	free(orig);
	rtvm_changeset_unref(cs);
	rtvm_unref(ctx);
}
END_TEST

START_TEST(test_ban_creates_file)
{
	struct rtvm_ctx *ctx = ctx_for("untuned");
	struct rtvm_changeset *cs = new_cs(ctx);
	char *now;

	sh(ctx, "rm " FILE_REL);
	ck_assert_int_eq(ban(ctx, "2", cs), 1);
	now = tu_read(ctx, FILE_REL);
	ck_assert_str_eq(now, "IRQBALANCE_BANNED_CPULIST=2\n");
	free(now);
	ck_assert(!exists(ctx, BACKUP_REL));
	ck_assert_uint_eq(rtvm_changeset_get_count(cs), 1);
	ck_assert_ptr_null(rtvm_change_get_old_value(rtvm_changeset_next(cs, NULL)));
	restore_via_json(ctx, cs);
	ck_assert(!exists(ctx, FILE_REL));
	rtvm_changeset_unref(cs);

	/* Red Hat's place when only /etc/sysconfig exists. */
	cs = new_cs(ctx);
	sh(ctx, "rmdir etc/default && mkdir etc/sysconfig");
	ck_assert_int_eq(ban(ctx, "2", cs), 1);
	ck_assert(exists(ctx, "etc/sysconfig/irqbalance"));
	ck_assert_int_eq(rtvm_changeset_restore(cs, 0), 0);
	ck_assert(!exists(ctx, "etc/sysconfig/irqbalance"));
	rtvm_changeset_unref(cs);

	/* Neither: nowhere to write. */
	cs = new_cs(ctx);
	sh(ctx, "rmdir etc/sysconfig");
	ck_assert_int_eq(ban(ctx, "2", cs), -ENOENT);
	expect_log("cannot create /etc/default/irqbalance");
	ck_assert_uint_eq(rtvm_changeset_get_count(cs), 0);
	rtvm_changeset_unref(cs);
	rtvm_unref(ctx);
}
END_TEST

START_TEST(test_ban_keeps_old_backup)
{
	struct rtvm_ctx *ctx = ctx_for("untuned");
	struct rtvm_changeset *cs = new_cs(ctx);
	char *now;

	tu_write(ctx, BACKUP_REL, "older\n");
	ck_assert_int_eq(ban(ctx, "2", cs), 1);
	now = tu_read(ctx, BACKUP_REL);
	ck_assert_str_eq(now, "older\n");
	free(now);
	ck_assert_uint_eq(rtvm_changeset_get_count(cs), 1);
	ck_assert_int_eq(rtvm_changeset_restore(cs, 0), 0);
	ck_assert(exists(ctx, BACKUP_REL));
	rtvm_changeset_unref(cs);
	rtvm_unref(ctx);
}
END_TEST

START_TEST(test_ban_failure_changes_nothing)
{
	struct rtvm_ctx *ctx = ctx_for("untuned");
	struct rtvm_changeset *cs = new_cs(ctx);
	char *orig = tu_read(ctx, FILE_REL), *now;

	/* The file's write fails after the backup was made: the backup
	 * goes again. */
	rtvm_ctx_add_fault(ctx, RTVM_OP_WRITE, "/etc/default/irqbalance", 2, 1,
			   EIO);
	ck_assert_int_eq(ban(ctx, "2", cs), -EIO);
	expect_log("cannot write /etc/default/irqbalance");
	ck_assert(!exists(ctx, BACKUP_REL));
	now = tu_read(ctx, FILE_REL);
	ck_assert_str_eq(now, orig);
	free(now);
	ck_assert_uint_eq(rtvm_changeset_get_count(cs), 0);

	/* The backup cannot be made. */
	rtvm_ctx_clear_faults(ctx);
	rtvm_ctx_add_fault(ctx, RTVM_OP_WRITE, "rtvm-backup", 1, 1, EACCES);
	ck_assert_int_eq(ban(ctx, "2", cs), -EACCES);
	now = tu_read(ctx, FILE_REL);
	ck_assert_str_eq(now, orig);
	free(now);
	ck_assert_uint_eq(rtvm_changeset_get_count(cs), 0);
	rtvm_ctx_clear_faults(ctx);

	/* And now it works. */
	ck_assert_int_eq(ban(ctx, "2", cs), 1);
	ck_assert_uint_eq(rtvm_changeset_get_count(cs), 2);
	free(orig);
	rtvm_changeset_unref(cs);
	rtvm_unref(ctx);
}
END_TEST

/* Created-file records: removed on restore in /etc and /run only. */
START_TEST(test_created_file_records)
{
	struct rtvm_ctx *ctx = ctx_for("untuned");
	struct rtvm_changeset *cs = new_cs(ctx);

	tu_write(ctx, "run/rtvm-test", "x");
	tu_write(ctx, "sys/kernel/rtvm-test", "y");
	ck_assert_int_eq(rtvm_changeset_add(cs, RTVM_CHANGE_FILE, "/run/rtvm-test",
					    NULL, "x"), 0);
	ck_assert_int_eq(rtvm_changeset_add(cs, RTVM_CHANGE_FILE,
					    "/sys/kernel/rtvm-test", NULL, "y"),
			 0);
	ck_assert_int_eq(rtvm_changeset_add(cs, RTVM_CHANGE_FILE,
					    "/etc/rtvm-gone", NULL, "z"), 0);
	ck_assert_int_eq(rtvm_changeset_restore(cs, 0), 0);
	ck_assert(!exists(ctx, "run/rtvm-test"));
	ck_assert(exists(ctx, "sys/kernel/rtvm-test"));
	rtvm_changeset_unref(cs);
	rtvm_unref(ctx);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("irqbalance");
	TCase *tc = tcase_create("irqbalance");

	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, test_running_from_environ);
	tcase_add_test(tc, test_not_running);
	tcase_add_test(tc, test_environ_vs_file);
	tcase_add_test(tc, test_hex_precedence);
	tcase_add_test(tc, test_auto_ban);
	tcase_add_test(tc, test_bad_values);
	tcase_add_test(tc, test_ban_and_restore);
	tcase_add_test(tc, test_ban_quoting);
	tcase_add_test(tc, test_ban_in_force_already);
	tcase_add_test(tc, test_ban_creates_file);
	tcase_add_test(tc, test_ban_keeps_old_backup);
	tcase_add_test(tc, test_ban_failure_changes_nothing);
	tcase_add_test(tc, test_created_file_records);
	suite_add_tcase(s, tc);
	return tu_run(s);
}
