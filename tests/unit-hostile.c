/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Damaged host files in a sysroot: a FIFO where a file should be, lines of
 * /proc/interrupts that do not parse, numbers out of range.  Each must give
 * an error that names the file (or a check that does not pass), never a
 * hang and never a silent "nothing there".
 */
#include "config.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <syslog.h>
#include <unistd.h>

#include "testutil.h"

static char log_text[8192];

static void log_capture(struct rtvm_ctx *ctx, int priority, const char *file,
			int line, const char *fn, const char *format,
			va_list args)
{
	size_t len = strlen(log_text);

	if (priority > LOG_ERR || len + 2 >= sizeof(log_text))
		return;
	vsnprintf(log_text + len, sizeof(log_text) - len - 1, format, args);
	strcat(log_text, "\n");
}

static struct rtvm_ctx *ctx_of(const char *fixture)
{
	struct rtvm_ctx *ctx = tu_ctx(fixture);

	rtvm_set_log_fn(ctx, log_capture);
	log_text[0] = '\0';
	return ctx;
}

#define expect_log(needle)                                                 \
	ck_assert_msg(strstr(log_text, (needle)) != NULL,                  \
		      "\"%s\" not in the log: \"%s\"", (needle), log_text)

/* Replace a file of the sysroot by a FIFO nobody writes to. */
static void plant_fifo(struct rtvm_ctx *ctx, const char *rel)
{
	char path[4096];

	snprintf(path, sizeof(path), "%s/%s", rtvm_get_root(ctx), rel);
	ck_assert_int_eq(unlink(path), 0);
	ck_assert_int_eq(mkfifo(path, 0600), 0);
}

/* ---- FIFOs, devices, directories --------------------------------------- */

START_TEST(test_fifo_thread_stat)
{
	struct rtvm_ctx *ctx = ctx_of("host64");
	struct rtvm_host *h = NULL;
	struct rtvm_vm *vm = NULL;

	plant_fifo(ctx, "proc/4242/task/4250/stat");
	/* A blocking open or read would hang here (the case's timeout). */
	ck_assert_int_eq(rtvm_host_new(ctx, RTVM_HOST_THREADS, &h), -EINVAL);
	expect_log("/proc/4242/task/4250/stat is a FIFO, where a regular file "
		   "is expected");
	log_text[0] = '\0';
	ck_assert_int_eq(rtvm_vm_new_from_pid(ctx, 4242, &vm), -EINVAL);
	expect_log("/proc/4242/task/4250/stat is a FIFO");
	ck_assert_ptr_null(vm);
	/* Without threads the model does not read it. */
	ck_assert_int_eq(rtvm_host_new(ctx, RTVM_HOST_CPUS, &h), 0);
	rtvm_host_unref(h);
	rtvm_unref(ctx);
}
END_TEST

START_TEST(test_fifo_summary_files)
{
	static const char *const files[] = {
		"proc/cmdline", "proc/interrupts", "sys/devices/system/cpu/online",
	};

	for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		struct rtvm_ctx *ctx = ctx_of("host64");
		struct rtvm_host *h = NULL;
		struct rtvm_irqs *irqs = NULL;
		char want[256];

		if (strcmp(files[i], "proc/interrupts") == 0)
			tu_write(ctx, files[i], "  CPU0\n");
		plant_fifo(ctx, files[i]);
		snprintf(want, sizeof(want), "/%s is a FIFO", files[i]);
		if (strcmp(files[i], "proc/interrupts") == 0)
			ck_assert_int_eq(rtvm_irqs_new(ctx, &irqs), -EINVAL);
		else
			ck_assert_int_eq(rtvm_host_new(ctx, 0, &h), -EINVAL);
		expect_log(want);
		rtvm_unref(ctx);
	}
}
END_TEST

START_TEST(test_directory_and_device)
{
	struct rtvm_ctx *ctx = ctx_of("host64");
	struct rtvm_host *h = NULL;
	char path[4096];

	/* A directory where the command line should be. */
	snprintf(path, sizeof(path), "%s/proc/cmdline", rtvm_get_root(ctx));
	ck_assert_int_eq(unlink(path), 0);
	ck_assert_int_eq(mkdir(path, 0755), 0);
	ck_assert_int_eq(rtvm_host_new(ctx, 0, &h), -EISDIR);
	expect_log("/proc/cmdline is a directory");
	/* A link to a device inside the tree: /dev/zero would never end.
	 * (A sysroot's absolute links resolve inside it, so the link goes
	 * to the tree's own dev/zero: a copy of the real node is not
	 * possible unprivileged, a FIFO stands in for it.) */
	ck_assert_int_eq(rmdir(path), 0);
	snprintf(path, sizeof(path), "%s/dev", rtvm_get_root(ctx));
	mkdir(path, 0755);
	snprintf(path, sizeof(path), "%s/dev/zero", rtvm_get_root(ctx));
	ck_assert_int_eq(mkfifo(path, 0600), 0);
	snprintf(path, sizeof(path), "%s/proc/cmdline", rtvm_get_root(ctx));
	ck_assert_int_eq(symlink("/dev/zero", path), 0);
	log_text[0] = '\0';
	ck_assert_int_eq(rtvm_host_new(ctx, 0, &h), -EINVAL);
	expect_log("/proc/cmdline is a FIFO");
	rtvm_unref(ctx);
}
END_TEST

START_TEST(test_journal_fifo_and_nul)
{
	struct rtvm_ctx *ctx = ctx_of("host64");
	char path[4096], *json = NULL;
	FILE *f;

	/* A FIFO among the journals of the state directory. */
	tu_write(ctx, "run/rtvm/pid-1.journal", "");
	plant_fifo(ctx, "run/rtvm/pid-1.journal");
	ck_assert_int_eq(rtvm_tune_status(ctx, NULL, &json), -EINVAL);
	expect_log("pid-1.journal is a FIFO");
	/* A NUL byte would hide the lines after it. */
	snprintf(path, sizeof(path), "%s/run/rtvm/pid-1.journal",
		 rtvm_get_root(ctx));
	ck_assert_int_eq(unlink(path), 0);
	f = fopen(path, "w");
	ck_assert_ptr_nonnull(f);
	fwrite("{}\n\0{}\n", 1, 6, f);
	fclose(f);
	log_text[0] = '\0';
	ck_assert_int_eq(rtvm_tune_status(ctx, NULL, &json), -EBADMSG);
	expect_log("journal pid-1.journal: a NUL byte at offset 3");
	rtvm_unref(ctx);
}
END_TEST

/* ---- numbers out of range ---------------------------------------------- */

START_TEST(test_stat_out_of_range)
{
	static const struct {
		const char *from, *to, *msg;
		int err;
	} cases[] = {
		{ " -2 0 5 ", " -2 -99999999999999999 5 ",
		  "field 19 (nice) is out of its range: \"-99999999999999999\"",
		  -ERANGE },
		{ " -2 0 5 ", " -2 -21 5 ", "field 19 (nice) is out of its range",
		  -ERANGE },
		{ " -2 0 5 ", " -2 x 5 ", "field 19 (nice) does not parse: \"x\"",
		  -EBADMSG },
		{ " -2 0 5 ", " -2 99999999999999999999 5 ",
		  "field 19 (nice) is out of its range", -ERANGE },
		{ " -2 0 5 ", " -2  0 5 ", "field 19 (nice) does not parse",
		  -EBADMSG },
		{ " 2 1 1 0 351183 ", " 2 100 1 0 351183 ",
		  "field 40 (rt_priority) is out of its range: \"100\"",
		  -ERANGE },
		{ " 2 1 1 0 351183 ", " 2 1 8 0 351183 ",
		  "field 41 (policy) is out of its range: \"8\"", -ERANGE },
		/* Cut after the policy: "$" ends the line there. */
		{ " 2 1 1 0 351183 ", " 2 1 1$", "field 42", -EBADMSG },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct rtvm_ctx *ctx = ctx_of("host64");
		struct rtvm_host *h = NULL;
		char *stat = tu_read(ctx, "proc/4242/task/4250/stat");
		char *at = strstr(stat, cases[i].from), line[2048];

		ck_assert_ptr_nonnull(at);
		snprintf(line, sizeof(line), "%.*s%.*s%s", (int)(at - stat), stat,
			 (int)strcspn(cases[i].to, "$"), cases[i].to,
			 strchr(cases[i].to, '$') ? "" :
						    at + strlen(cases[i].from));
		tu_write(ctx, "proc/4242/task/4250/stat", line);
		ck_assert_int_eq(rtvm_host_new(ctx, RTVM_HOST_THREADS, &h),
				 cases[i].err);
		expect_log("/proc/4242/task/4250/stat: ");
		expect_log(cases[i].msg);
		free(stat);
		rtvm_unref(ctx);
	}
}
END_TEST

START_TEST(test_file_too_long)
{
	struct rtvm_ctx *ctx = ctx_of("host64");
	struct rtvm_host *h = NULL;
	char *stat = tu_read(ctx, "proc/4242/task/4250/stat"), line[4096];

	/* A stat line is some 300 bytes; 3,000 is no kernel's. */
	snprintf(line, sizeof(line), "%s%3000s", stat, "");
	tu_write(ctx, "proc/4242/task/4250/stat", line);
	ck_assert_int_eq(rtvm_host_new(ctx, RTVM_HOST_THREADS, &h),
			 -EOVERFLOW);
	expect_log("/proc/4242/task/4250/stat is longer than 1022 bytes, more "
		   "than the kernel writes there");
	free(stat);
	rtvm_unref(ctx);
}
END_TEST

START_TEST(test_pid_dirs_out_of_range)
{
	struct rtvm_ctx *ctx = ctx_of("host64");
	struct rtvm_host *h = NULL;
	const struct rtvm_thread *t;
	unsigned int before = 0, after = 0;
	char *stat = tu_read(ctx, "proc/4242/task/4250/stat");

	ck_assert_int_eq(rtvm_host_new(ctx, RTVM_HOST_THREADS, &h), 0);
	rtvm_host_foreach_thread(t, h)
		before++;
	rtvm_host_unref(h);
	/* Names that are no pid: past PID_MAX_LIMIT (atoi would wrap them
	 * to some other thread), a leading zero, a sign. */
	tu_write(ctx, "proc/99999999999999999999/task/99999999999999999999/stat",
		 stat);
	tu_write(ctx, "proc/4194305/task/4194305/stat", stat);
	tu_write(ctx, "proc/04242/task/04250/stat", stat);
	tu_write(ctx, "proc/4242/task/+4250/stat", stat);
	ck_assert_int_eq(rtvm_host_new(ctx, RTVM_HOST_THREADS, &h), 0);
	rtvm_host_foreach_thread(t, h) {
		ck_assert_int_gt(rtvm_thread_get_tid(t), 0);
		after++;
	}
	ck_assert_uint_eq(after, before);
	rtvm_host_unref(h);
	free(stat);
	rtvm_unref(ctx);
}
END_TEST

/* ---- /proc/interrupts --------------------------------------------------- */

static const char header[] = "           CPU0       CPU1       CPU2       CPU3\n";

START_TEST(test_interrupts_garbage)
{
	struct rtvm_ctx *ctx = ctx_of("host64");
	struct rtvm_irqs *irqs = NULL;
	unsigned char noise[4096];
	char text[8192];
	unsigned int seed = 21;

	/* Random bytes after a valid header: no line parses. */
	for (size_t i = 0; i < sizeof(noise) - 1; i++) {
		seed = seed * 1103515245u + 12345u;
		noise[i] = (unsigned char)(seed >> 16) | 1; /* no NUL */
	}
	noise[sizeof(noise) - 1] = '\0';
	snprintf(text, sizeof(text), "%s%s\n", header, (char *)noise);
	tu_write(ctx, "proc/interrupts", text);
	ck_assert_int_eq(rtvm_irqs_new(ctx, &irqs), -EBADMSG);
	expect_log("after the header parses");

	/* The line of the report. */
	log_text[0] = '\0';
	snprintf(text, sizeof(text),
		 "%s 24: 99999999999999999999999999 -5 abc\n", header);
	tu_write(ctx, "proc/interrupts", text);
	ck_assert_int_eq(rtvm_irqs_new(ctx, &irqs), -EBADMSG);
	expect_log("/proc/interrupts: line 2 does not parse: \" 24: "
		   "99999999999999999999999999 -5 abc\"");
	expect_log("none of its 1 lines after the header parses");

	/* A header alone is a host without IRQs: an empty inventory. */
	tu_write(ctx, "proc/interrupts", header);
	ck_assert_int_eq(rtvm_irqs_new(ctx, &irqs), 0);
	ck_assert_ptr_null(rtvm_irqs_next(irqs, NULL));
	ck_assert_int_eq(rtvm_irqs_get_unparsed(irqs, NULL), 0);
	rtvm_irqs_unref(irqs);

	/* System lines only: nothing numbered to sort (UBSan: qsort must
	 * not be given a NULL array). */
	snprintf(text, sizeof(text), "%sLOC:  1 2 3 4  Local timer interrupts\n"
		 "ERR:  0\n", header);
	tu_write(ctx, "proc/interrupts", text);
	ck_assert_int_eq(rtvm_irqs_new(ctx, &irqs), 0);
	ck_assert_int_eq(rtvm_irqs_get_unparsed(irqs, NULL), 0);
	ck_assert_ptr_nonnull(rtvm_irqs_next(irqs, NULL));
	rtvm_irqs_unref(irqs);
	rtvm_unref(ctx);
}
END_TEST

START_TEST(test_interrupts_header)
{
	struct rtvm_ctx *ctx = ctx_of("host64");
	struct rtvm_irqs *irqs = NULL;
	size_t size = 200000 * 12 + 64, len = 0;
	char *text = malloc(size);

	ck_assert_ptr_nonnull(text);
	/* 200,000 columns: refused at the first past the largest CPU id,
	 * without reading the other 190,000 (once a second of sscanf). */
	for (unsigned int c = 0; c < 200000; c++)
		len += (size_t)snprintf(text + len, size - len, " CPU%u", c);
	snprintf(text + len, size - len, "\n");
	tu_write(ctx, "proc/interrupts", text);
	ck_assert_int_eq(rtvm_irqs_new(ctx, &irqs), -EBADMSG);
	expect_log("line 1, column 8193: \"CPU8192\" is not CPU0..CPU8191 in "
		   "ascending order");
	/* A column twice. */
	log_text[0] = '\0';
	tu_write(ctx, "proc/interrupts", "  CPU0 CPU1 CPU1\n");
	ck_assert_int_eq(rtvm_irqs_new(ctx, &irqs), -EBADMSG);
	expect_log("column 3: \"CPU1\"");
	/* No column at all. */
	log_text[0] = '\0';
	tu_write(ctx, "proc/interrupts", "    \n 0: 1 IO-APIC 2-edge timer\n");
	ck_assert_int_eq(rtvm_irqs_new(ctx, &irqs), -EBADMSG);
	expect_log("line 1 has no CPU column");
	free(text);
	rtvm_unref(ctx);
}
END_TEST

static int run_check(struct rtvm_ctx *ctx, const char *rt, char *observed,
		     size_t size)
{
	struct rtvm_cpumask *m = tu_mask(64, rt);
	struct rtvm_check_opts o = { .size = sizeof(o), .only = "irq.rt_cpus",
				     .rt_cpus = m };
	struct rtvm_check_report *rep;
	const struct rtvm_check_result *r;
	int status;

	ck_assert_int_eq(rtvm_check_run(ctx, &o, &rep), 0);
	ck_assert_int_eq(rtvm_check_report_find(rep, "irq.rt_cpus", &r), 0);
	status = rtvm_check_result_get_status(r);
	snprintf(observed, size, "%s", rtvm_check_result_get_observed(r));
	rtvm_check_report_unref(rep);
	rtvm_cpumask_free(m);
	return status;
}

START_TEST(test_check_never_passes_on_garbage)
{
	struct rtvm_ctx *ctx = ctx_of("rthost");
	char obs[4096], *good, text[16384];
	const char *rt = "2-15,34-47";

	/* The tuned host passes... */
	ck_assert_int_eq(run_check(ctx, rt, obs, sizeof(obs)), RTVM_CHECK_PASS);
	/* ...but not with lines it could not read. */
	good = tu_read(ctx, "proc/interrupts");
	snprintf(text, sizeof(text), "%s\n 24: 99999999999999999999999999 -5 "
		 "abc\n", good);
	tu_write(ctx, "proc/interrupts", text);
	ck_assert_int_eq(run_check(ctx, rt, obs, sizeof(obs)), RTVM_CHECK_WARN);
	ck_assert_msg(strstr(obs, "1 line of /proc/interrupts does not parse "
				  "(first: line ") && strstr(obs, "no verdict"),
		      "%s", obs);
	/* Nothing after the header parses: the file cannot be read. */
	snprintf(text, sizeof(text), "%.*s\n#!@ garbage\n\x01\x02\x03\n",
		 (int)strcspn(good, "\n"), good);
	tu_write(ctx, "proc/interrupts", text);
	ck_assert_int_eq(run_check(ctx, rt, obs, sizeof(obs)), RTVM_CHECK_FAIL);
	ck_assert_msg(strstr(obs, "cannot read /proc/interrupts: Bad message"),
		      "%s", obs);
	free(good);
	rtvm_unref(ctx);

	/* An untuned host warns, and says what it could not read. */
	ctx = ctx_of("untuned");
	good = tu_read(ctx, "proc/interrupts");
	snprintf(text, sizeof(text), "%sgarbage\n", good);
	tu_write(ctx, "proc/interrupts", text);
	ck_assert_int_eq(run_check(ctx, rt, obs, sizeof(obs)), RTVM_CHECK_WARN);
	ck_assert_msg(strstr(obs, "1 more line of the file did not parse"),
		      "%s", obs);
	free(good);
	rtvm_unref(ctx);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("hostile");
	TCase *tc = tcase_create("hostile");

	/* Short: a read that blocks on a FIFO fails the case. */
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, test_fifo_thread_stat);
	tcase_add_test(tc, test_fifo_summary_files);
	tcase_add_test(tc, test_directory_and_device);
	tcase_add_test(tc, test_journal_fifo_and_nul);
	tcase_add_test(tc, test_stat_out_of_range);
	tcase_add_test(tc, test_pid_dirs_out_of_range);
	tcase_add_test(tc, test_file_too_long);
	tcase_add_test(tc, test_interrupts_garbage);
	tcase_add_test(tc, test_interrupts_header);
	tcase_add_test(tc, test_check_never_passes_on_garbage);
	suite_add_tcase(s, tc);
	return tu_run(s);
}
