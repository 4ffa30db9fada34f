/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Unit tier: rtvm-guest auto's tracepoint reader (examples/guest-auto.c)
 * without a kernel.  Format files are parsed (this kernel's, and a
 * synthetic one whose fields sit elsewhere and have other sizes); perf
 * samples are built byte by byte in the synthetic layout and decoded;
 * the runnable sets and the boost/deboost decisions follow records fed
 * in as a kernel would write them.
 */
#include "config.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "testutil.h"
#include "guest-auto.h"

/* This kernel's (6.18) format files, as tracefs shows them. */
static const char kernel_switch[] =
	"name: sched_switch\n"
	"ID: 372\n"
	"format:\n"
	"\tfield:unsigned short common_type;\toffset:0;\tsize:2;\tsigned:0;\n"
	"\tfield:unsigned char common_flags;\toffset:2;\tsize:1;\tsigned:0;\n"
	"\tfield:unsigned char common_preempt_count;\toffset:3;\tsize:1;\tsigned:0;\n"
	"\tfield:int common_pid;\toffset:4;\tsize:4;\tsigned:1;\n"
	"\n"
	"\tfield:char prev_comm[16];\toffset:8;\tsize:16;\tsigned:0;\n"
	"\tfield:pid_t prev_pid;\toffset:24;\tsize:4;\tsigned:1;\n"
	"\tfield:int prev_prio;\toffset:28;\tsize:4;\tsigned:1;\n"
	"\tfield:long prev_state;\toffset:32;\tsize:8;\tsigned:1;\n"
	"\tfield:char next_comm[16];\toffset:40;\tsize:16;\tsigned:0;\n"
	"\tfield:pid_t next_pid;\toffset:56;\tsize:4;\tsigned:1;\n"
	"\tfield:int next_prio;\toffset:60;\tsize:4;\tsigned:1;\n"
	"\n"
	"print fmt: \"prev_comm=%s prev_pid=%d prev_prio=%d prev_state=%s%s "
	"==> next_comm=%s next_pid=%d next_prio=%d\", REC->prev_comm\n";

/* Synthetic: other ids, the state before the pid, a 2-byte signed
 * prev_prio, an old kernel's "success" field before target_cpu. */
#define SW_ID 900
#define WK_ID 901
#define SW_SIZE 64
#define WK_SIZE 40
static const char synth_switch[] =
	"name: sched_switch\n"
	"ID: 900\n"
	"format:\n"
	"\tfield:unsigned short common_type;\toffset:0;\tsize:2;\tsigned:0;\n"
	"\tfield:int common_pid;\toffset:4;\tsize:4;\tsigned:1;\n"
	"\n"
	"\tfield:char prev_comm[16];\toffset:8;\tsize:16;\tsigned:0;\n"
	"\tfield:long prev_state;\toffset:24;\tsize:8;\tsigned:1;\n"
	"\tfield:pid_t prev_pid;\toffset:32;\tsize:4;\tsigned:1;\n"
	"\tfield:short prev_prio;\toffset:36;\tsize:2;\tsigned:1;\n"
	"\tfield:char next_comm[16];\toffset:40;\tsize:16;\tsigned:0;\n"
	"\tfield:pid_t next_pid;\toffset:56;\tsize:4;\tsigned:1;\n"
	"\tfield:int next_prio;\toffset:60;\tsize:4;\tsigned:1;\n"
	"\n"
	"print fmt: \"prev_pid=%d next_pid=%d\", REC->prev_pid, REC->next_pid\n";
static const char synth_wakeup[] =
	"name: sched_wakeup\n"
	"ID: 901\n"
	"format:\n"
	"\tfield:unsigned short common_type;\toffset:0;\tsize:2;\tsigned:0;\n"
	"\tfield:int common_pid;\toffset:4;\tsize:4;\tsigned:1;\n"
	"\n"
	"\tfield:char comm[16];\toffset:8;\tsize:16;\tsigned:0;\n"
	"\tfield:pid_t pid;\toffset:24;\tsize:4;\tsigned:1;\n"
	"\tfield:int prio;\toffset:28;\tsize:4;\tsigned:1;\n"
	"\tfield:int success;\toffset:32;\tsize:4;\tsigned:1;\n"
	"\tfield:int target_cpu;\toffset:36;\tsize:4;\tsigned:1;\n"
	"\n"
	"print fmt: \"comm=%s pid=%d prio=%d target_cpu=%03d\"\n";

#define HYST 50000 /* ns */
#define S 1	   /* TASK_INTERRUPTIBLE */
#define PREEMPTED 0x100 /* state R with the kernel's preemption flag */

static struct ga_format fmt[2];
static struct ga *a;

static void put(uint8_t *raw, unsigned int off, unsigned int size, int64_t v)
{
	uint64_t u = (uint64_t)v;

	for (unsigned int i = 0; i < size; i++)
		raw[off + i] = (uint8_t)(u >> (8 * i)); /* little-endian */
}

/* A PERF_RECORD_SAMPLE body: time, cpu, reserved, size, raw. */
static size_t sample(uint8_t *body, int64_t time, unsigned int cpu,
		     const uint8_t *raw, unsigned int size)
{
	memset(body, 0, 20);
	put(body, 0, 8, time);
	put(body, 8, 4, cpu);
	put(body, 16, 4, size);
	memcpy(body + 20, raw, size);
	return 20 + size;
}

static struct ga_record decode(const uint8_t *body, size_t len)
{
	struct ga_record r;

	ck_assert_int_eq(ga_decode(fmt, 2, body, len, &r), 0);
	return r;
}

static struct ga_record sw(int64_t t, unsigned int cpu, int prev, int prev_prio,
			   long prev_state, int next, int next_prio)
{
	uint8_t raw[SW_SIZE] = {0}, body[128];

	put(raw, 0, 2, SW_ID);
	put(raw, 24, 8, prev_state);
	put(raw, 32, 4, prev);
	put(raw, 36, 2, prev_prio);
	put(raw, 56, 4, next);
	put(raw, 60, 4, next_prio);
	return decode(body, sample(body, t, cpu, raw, sizeof(raw)));
}

static struct ga_record wk(int64_t t, unsigned int cpu, int pid, int prio,
			   int target)
{
	uint8_t raw[WK_SIZE] = {0}, body[128];

	put(raw, 0, 2, WK_ID);
	put(raw, 24, 4, pid);
	put(raw, 28, 4, prio);
	put(raw, 32, 4, 1); /* success */
	put(raw, 36, 4, target);
	return decode(body, sample(body, t, cpu, raw, sizeof(raw)));
}

static void feed(struct ga_record r)
{
	ga_feed(a, &r);
}

static void setup(void)
{
	ck_assert_int_eq(ga_format_parse(synth_switch, GA_SWITCH, &fmt[0]), 0);
	ck_assert_int_eq(ga_format_parse(synth_wakeup, GA_WAKEUP, &fmt[1]), 0);
	ck_assert_int_eq(ga_new(2, HYST, &a), 0);
}

static void teardown(void)
{
	ga_free(a);
	a = NULL;
}

/* ---- formats and samples ------------------------------------------------- */

START_TEST(test_format_kernel)
{
	struct ga_format f;

	ck_assert_int_eq(ga_format_parse(kernel_switch, GA_SWITCH, &f), 0);
	ck_assert_uint_eq(f.id, 372);
	ck_assert_uint_eq(f.f[GA_PREV_PID].offset, 24);
	ck_assert_uint_eq(f.f[GA_PREV_PRIO].offset, 28);
	ck_assert_uint_eq(f.f[GA_PREV_STATE].offset, 32);
	ck_assert_uint_eq(f.f[GA_PREV_STATE].size, 8);
	ck_assert_uint_eq(f.f[GA_NEXT_PID].offset, 56);
	ck_assert_uint_eq(f.f[GA_NEXT_PRIO].offset, 60);
	ck_assert(f.f[GA_NEXT_PRIO].is_signed);
}
END_TEST

START_TEST(test_format_synthetic)
{
	ck_assert_uint_eq(fmt[0].id, SW_ID);
	ck_assert_uint_eq(fmt[0].f[GA_PREV_PID].offset, 32);
	ck_assert_uint_eq(fmt[0].f[GA_PREV_PRIO].offset, 36);
	ck_assert_uint_eq(fmt[0].f[GA_PREV_PRIO].size, 2);
	ck_assert_uint_eq(fmt[0].f[GA_PREV_STATE].offset, 24);
	ck_assert_uint_eq(fmt[1].id, WK_ID);
	ck_assert_uint_eq(fmt[1].f[GA_PID].offset, 24);
	ck_assert_uint_eq(fmt[1].f[GA_TARGET_CPU].offset, 36);
}
END_TEST

START_TEST(test_format_bad)
{
	char text[sizeof(synth_switch) + 16];
	struct ga_format f = { .id = 12345 };
	char *p;

	/* no ID */
	snprintf(text, sizeof(text), "%s", synth_switch);
	p = strstr(text, "ID:");
	p[0] = 'X';
	ck_assert_int_eq(ga_format_parse(text, GA_SWITCH, &f), -EINVAL);
	/* a field missing: next_prio renamed */
	snprintf(text, sizeof(text), "%s", synth_switch);
	p = strstr(text, "next_prio;");
	memcpy(p, "next_prix", 9);
	ck_assert_int_eq(ga_format_parse(text, GA_SWITCH, &f), -EINVAL);
	/* a size that is no integer's */
	snprintf(text, sizeof(text), "%s", synth_switch);
	p = strstr(text, "size:2;\tsigned:1");
	p[5] = '3';
	ck_assert_int_eq(ga_format_parse(text, GA_SWITCH, &f), -EINVAL);
	/* the wakeup has no prev_pid */
	ck_assert_int_eq(ga_format_parse(synth_wakeup, GA_SWITCH, &f), -EINVAL);
	ck_assert_uint_eq(f.id, 12345); /* not written on failure */
}
END_TEST

START_TEST(test_decode)
{
	struct ga_record r = sw(777, 1, 42, -1, PREEMPTED, 43, 120);
	uint8_t raw[SW_SIZE] = {0}, body[128];
	struct ga_record out;
	size_t len;

	ck_assert_int_eq(r.kind, GA_SWITCH);
	ck_assert_int_eq(r.time_ns, 777);
	ck_assert_uint_eq(r.cpu, 1);
	ck_assert_int_eq(r.v[GA_PREV_PID], 42);
	ck_assert_int_eq(r.v[GA_PREV_PRIO], -1); /* a signed short */
	ck_assert_int_eq(r.v[GA_PREV_STATE], PREEMPTED);
	ck_assert_int_eq(r.v[GA_NEXT_PID], 43);
	ck_assert_int_eq(r.v[GA_NEXT_PRIO], 120);
	r = wk(5, 0, 99, 89, 1);
	ck_assert_int_eq(r.kind, GA_WAKEUP);
	ck_assert_int_eq(r.v[GA_PID], 99);
	ck_assert_int_eq(r.v[GA_PRIO], 89);
	ck_assert_int_eq(r.v[GA_TARGET_CPU], 1);

	/* an id of neither format */
	put(raw, 0, 2, 902);
	len = sample(body, 1, 0, raw, sizeof(raw));
	ck_assert_int_eq(ga_decode(fmt, 2, body, len, &out), -EBADMSG);
	/* a raw record shorter than its fields */
	put(raw, 0, 2, SW_ID);
	len = sample(body, 1, 0, raw, 60);
	ck_assert_int_eq(ga_decode(fmt, 2, body, len, &out), -EBADMSG);
	/* a size beyond the sample */
	len = sample(body, 1, 0, raw, sizeof(raw));
	ck_assert_int_eq(ga_decode(fmt, 2, body, len - 1, &out), -EBADMSG);
	ck_assert_int_eq(ga_decode(fmt, 2, body, 10, &out), -EBADMSG);
}
END_TEST

/* ---- the runnable sets ---------------------------------------------------- */

START_TEST(test_first_wakeup_boosts)
{
	ck_assert_int_eq(ga_action(a, 1, 0), -1);
	/* CPU 0 wakes an RT task onto CPU 1 */
	feed(wk(1000, 0, 10, 89, 1));
	ck_assert_uint_eq(ga_runnable(a, 1), 1);
	ck_assert_uint_eq(ga_runnable(a, 0), 0);
	ck_assert_int_eq(ga_action(a, 1, 1000), 1);
	ck_assert_int_eq(ga_action(a, 0, 1000), -1);
	ga_sent(a, 1, true);
	ck_assert(ga_boosted(a, 1));
	ck_assert_int_eq(ga_action(a, 1, 1000), -1);
	ck_assert_int_eq(ga_next_due(a), INT64_MAX);
}
END_TEST

START_TEST(test_stays_while_one_runnable)
{
	feed(wk(1000, 0, 10, 89, 1));
	ga_sent(a, 1, true);
	feed(wk(1100, 1, 11, 50, 1));
	ck_assert_uint_eq(ga_runnable(a, 1), 2);
	/* 10 runs and blocks, 11 takes over */
	feed(sw(1200, 1, 0, 120, 0, 10, 89));
	feed(sw(1300, 1, 10, 89, S, 11, 50));
	ck_assert_uint_eq(ga_runnable(a, 1), 1);
	ck_assert_int_eq(ga_action(a, 1, 1000000), -1);
	/* 11 is preempted by a normal task: still runnable */
	feed(sw(1400, 1, 11, 50, PREEMPTED, 12, 120));
	ck_assert_uint_eq(ga_runnable(a, 1), 1);
	feed(sw(1500, 1, 12, 120, 0, 11, 50));
	ck_assert_int_eq(ga_action(a, 1, 1000000), -1);
	/* the last one blocks: CPU 1 goes idle, deboost after the window */
	feed(sw(5000, 1, 11, 50, S, 0, 120));
	ck_assert_uint_eq(ga_runnable(a, 1), 0);
	ck_assert_int_eq(ga_next_due(a), 5000 + HYST);
	ck_assert_int_eq(ga_action(a, 1, 5000 + HYST - 1), -1);
	ck_assert_int_eq(ga_action(a, 1, 5000 + HYST), 0);
	ga_sent(a, 1, false);
	ck_assert(!ga_boosted(a, 1));
	ck_assert_int_eq(ga_action(a, 1, 5000 + HYST), -1);
	ck_assert_int_eq(ga_next_due(a), INT64_MAX);
}
END_TEST

START_TEST(test_hysteresis)
{
	feed(wk(1000, 0, 10, 89, 1));
	ga_sent(a, 1, true);
	feed(sw(2000, 1, 10, 89, S, 0, 120));
	ck_assert_int_eq(ga_action(a, 1, 2000 + HYST / 2), -1);
	/* woken again within the window: no deboost, no new boost */
	feed(wk(2000 + HYST / 2, 0, 10, 89, 1));
	ck_assert_int_eq(ga_action(a, 1, 2000 + 10 * HYST), -1);
	ck_assert_int_eq(ga_next_due(a), INT64_MAX);
	ck_assert(ga_boosted(a, 1));
	/* blocked again: the window starts from this block */
	feed(sw(3000 + HYST, 1, 10, 89, S, 0, 120));
	ck_assert_int_eq(ga_action(a, 1, 3000 + HYST), -1);
	ck_assert_int_eq(ga_action(a, 1, 3000 + 2 * HYST), 0);
}
END_TEST

START_TEST(test_non_rt_ignored)
{
	feed(wk(1000, 1, 20, 120, 0));
	feed(wk(1000, 1, 21, 139, 1));
	feed(sw(1100, 0, 0, 120, 0, 20, 120));
	feed(sw(1200, 0, 20, 120, PREEMPTED, 22, 100)); /* 100: nice -20 */
	ck_assert_uint_eq(ga_runnable(a, 0), 0);
	ck_assert_uint_eq(ga_runnable(a, 1), 0);
	ck_assert_int_eq(ga_action(a, 0, 2000), -1);
	ck_assert_int_eq(ga_action(a, 1, 2000), -1);
	/* DEADLINE (prio -1) and FIFO 99 (prio 0) are RT */
	feed(wk(3000, 0, 30, -1, 0));
	feed(wk(3000, 0, 31, 0, 1));
	ck_assert_int_eq(ga_action(a, 0, 3000), 1);
	ck_assert_int_eq(ga_action(a, 1, 3000), 1);
}
END_TEST

START_TEST(test_other_cpus)
{
	/* CPU 1 wakes a task onto CPU 0: CPU 0's set, not CPU 1's */
	feed(wk(1000, 1, 10, 89, 0));
	ck_assert_uint_eq(ga_runnable(a, 0), 1);
	ck_assert_uint_eq(ga_runnable(a, 1), 0);
	ga_sent(a, 0, true);
	/* CPU 1's own traffic leaves CPU 0 alone */
	feed(wk(1100, 0, 11, 89, 1));
	feed(sw(1200, 1, 0, 120, 0, 11, 89));
	feed(sw(1300, 1, 11, 89, S, 0, 120));
	ck_assert_uint_eq(ga_runnable(a, 0), 1);
	ck_assert_uint_eq(ga_runnable(a, 1), 0);
	ck_assert_int_eq(ga_action(a, 0, 10000000), -1);
	/* 10 is pulled to CPU 1 before it runs: it counts there only */
	feed(sw(1400, 1, 0, 120, 0, 10, 89));
	ck_assert_uint_eq(ga_runnable(a, 0), 0);
	ck_assert_uint_eq(ga_runnable(a, 1), 1);
	ck_assert_int_eq(ga_action(a, 0, 1400 + HYST), 0);
	ck_assert_int_eq(ga_action(a, 1, 1400), 1);
	/* records of CPUs beyond the guest's, or onto them, are dropped */
	feed(wk(1500, 0, 12, 89, 2));
	feed(sw(1500, 2, 0, 120, 0, 13, 89));
	ck_assert_uint_eq(ga_runnable(a, 0), 0);
	ck_assert_uint_eq(ga_runnable(a, 1), 1);
	ck_assert_int_eq(ga_action(a, 2, 1500), -1);
}
END_TEST

/* Records of one read come from several rings: one older than what is
 * known of its task changes nothing. */
START_TEST(test_stale_records)
{
	feed(wk(1000, 0, 10, 89, 1));
	feed(sw(1100, 1, 0, 120, 0, 10, 89));
	feed(sw(1300, 1, 10, 89, S, 12, 120));
	feed(wk(1200, 0, 10, 89, 1)); /* before the block above */
	ck_assert_uint_eq(ga_runnable(a, 1), 0);
	/* an idle CPU has nothing runnable, whatever was lost */
	feed(wk(2000, 0, 14, 89, 1));
	feed(sw(2100, 1, 12, 120, S, 0, 120));
	ck_assert_uint_eq(ga_runnable(a, 1), 0);
	/* a task whose policy was lowered while it ran */
	feed(wk(3000, 0, 15, 89, 0));
	feed(sw(3100, 0, 0, 120, 0, 15, 89));
	feed(sw(3200, 0, 15, 120, PREEMPTED, 16, 120));
	ck_assert_uint_eq(ga_runnable(a, 0), 0);
}
END_TEST

START_TEST(test_host_ends)
{
	feed(wk(1000, 0, 10, 89, 1));
	ga_sent(a, 1, true);
	/* the grant ran out: asked again while 10 is runnable */
	ga_host_ended(a, 1, true);
	ck_assert(!ga_boosted(a, 1));
	ck_assert_int_eq(ga_action(a, 1, 2000), 1);
	ga_sent(a, 1, true);
	/* refused (the budget): not again until the set empties */
	ga_host_ended(a, 1, false);
	ck_assert_int_eq(ga_action(a, 1, 3000), -1);
	feed(wk(3100, 0, 11, 89, 1));
	ck_assert_int_eq(ga_action(a, 1, 3100), -1);
	feed(sw(3200, 1, 10, 89, S, 11, 89));
	feed(sw(3300, 1, 11, 89, S, 0, 120));
	ck_assert_int_eq(ga_action(a, 1, 10000000), -1); /* nothing to undo */
	feed(wk(4000, 0, 10, 89, 1));
	ck_assert_int_eq(ga_action(a, 1, 4000), 1);
}
END_TEST

START_TEST(test_many_tasks)
{
	/* more tasks than the table's first size, blocked ones forgotten */
	for (int i = 0; i < 500; i++) {
		feed(wk(1000 + i, 0, 100 + i, 89, 1));
		feed(sw(1000 + i, 1, 0, 120, 0, 100 + i, 89));
		feed(sw(1000 + i, 1, 100 + i, 89, S, 0, 120));
	}
	ck_assert_uint_eq(ga_runnable(a, 1), 0);
	for (int i = 0; i < 300; i++)
		feed(wk(5000000000LL + i, 0, 1000 + i, 89, i % 2));
	ck_assert_uint_eq(ga_runnable(a, 0), 150);
	ck_assert_uint_eq(ga_runnable(a, 1), 150);
}
END_TEST

/* ---- the kernel's own view ------------------------------------------------ */

/* A /proc/PID/stat line: @state, CPU @cpu, policy @policy (field 41);
 * the name has a ") " in it, and negative fields come before the CPU. */
static void stat_line(char *buf, size_t size, int pid, char state, int cpu,
		      int policy)
{
	snprintf(buf, size, "%d (a) b) %c 1 %d %d 0 -1 4194560 120 0 0 0 5 3 "
		 "0 0 -2 0 1 0 123 2347008 200 18446744073709551615 1 1 0 0 "
		 "0 0 0 0 0 0 0 0 17 %d 1 %d 0 0 0 0 0 0 0 0 0 0\n", pid, state,
		 pid, pid, cpu, policy);
}

START_TEST(test_parse_stat)
{
	char line[512];
	bool rt = false;
	unsigned int cpu = 9;

	stat_line(line, sizeof(line), 77, 'R', 1, 1);
	ck_assert_int_eq(ga_parse_stat(line, &rt, &cpu), 0);
	ck_assert(rt);
	ck_assert_uint_eq(cpu, 1);
	/* RR and DEADLINE are real-time too; OTHER, BATCH, IDLE are not */
	stat_line(line, sizeof(line), 77, 'R', 0, 2);
	ck_assert_int_eq(ga_parse_stat(line, &rt, &cpu), 0);
	ck_assert(rt);
	ck_assert_uint_eq(cpu, 0);
	stat_line(line, sizeof(line), 77, 'R', 3, 6);
	ck_assert_int_eq(ga_parse_stat(line, &rt, &cpu), 0);
	ck_assert(rt);
	ck_assert_uint_eq(cpu, 3);
	for (int pol = 0; pol <= 5; pol += (pol == 0 ? 3 : 1)) {
		stat_line(line, sizeof(line), 77, 'R', 1, pol);
		ck_assert_int_eq(ga_parse_stat(line, &rt, &cpu), 0);
		ck_assert_msg(!rt, "policy %d counted as real-time", pol);
	}
	/* blocked, FIFO or not */
	stat_line(line, sizeof(line), 77, 'S', 1, 1);
	ck_assert_int_eq(ga_parse_stat(line, &rt, &cpu), 0);
	ck_assert(!rt);
	/* not a stat line */
	ck_assert_int_eq(ga_parse_stat("77 (x) R 1 2", &rt, &cpu), -EBADMSG);
	ck_assert_int_eq(ga_parse_stat("no parenthesis", &rt, &cpu), -EBADMSG);
	ck_assert_int_eq(ga_parse_stat("77 (x)", &rt, &cpu), -EBADMSG);
	ck_assert_int_eq(ga_parse_stat(NULL, &rt, &cpu), -EBADMSG);
}
END_TEST

/* What /proc says outweighs older records and is outweighed by newer. */
START_TEST(test_observe)
{
	int64_t pids[4];

	feed(wk(1000, 0, 10, 89, 1));
	ga_sent(a, 1, true);
	/* its block was lost; /proc says it sleeps */
	ga_observe(a, 10, false, 1, 2000);
	ck_assert_uint_eq(ga_runnable(a, 1), 0);
	ck_assert_int_eq(ga_next_due(a), 2000 + HYST);
	ck_assert_int_eq(ga_action(a, 1, 2000 + HYST), 0);
	/* a record older than the look is passed over, a newer one counts */
	feed(wk(1500, 0, 10, 89, 1));
	ck_assert_uint_eq(ga_runnable(a, 1), 0);
	feed(wk(2500, 0, 10, 89, 1));
	ck_assert_uint_eq(ga_runnable(a, 1), 1);
	/* a task runnable before any record: found, then moved */
	ga_observe(a, 20, true, 0, 3000);
	ck_assert_uint_eq(ga_runnable(a, 0), 1);
	ga_observe(a, 20, true, 1, 3100);
	ck_assert_uint_eq(ga_runnable(a, 0), 0);
	ck_assert_uint_eq(ga_runnable(a, 1), 2);
	ck_assert_uint_eq(ga_counted(a, pids, 4), 2);
	ck_assert(pids[0] + pids[1] == 30);
	ck_assert_uint_eq(ga_counted(a, NULL, 0), 2);
	/* a CPU out of range changes nothing */
	ga_observe(a, 20, false, 9, 4000);
	ck_assert_uint_eq(ga_runnable(a, 1), 2);
}
END_TEST

static void put_stat(const char *root, int pid, int tid, char state, int cpu,
		     int policy)
{
	char path[512], line[512];
	FILE *f;

	snprintf(path, sizeof(path), "mkdir -p %s/%d/task/%d %s/%d", root, pid,
		 tid, root, tid);
	ck_assert_int_eq(system(path), 0);
	stat_line(line, sizeof(line), tid, state, cpu, policy);
	for (int i = 0; i < 2; i++) {
		if (i == 0)
			snprintf(path, sizeof(path), "%s/%d/task/%d/stat", root,
				 pid, tid);
		else
			snprintf(path, sizeof(path), "%s/%d/stat", root, tid);
		f = fopen(path, "w");
		ck_assert_ptr_nonnull(f);
		fputs(line, f);
		fclose(f);
	}
}

/* A scan of a fixture /proc: only the runnable RT threads count; a
 * recheck drops what blocked or went away. */
START_TEST(test_scan)
{
	char root[] = "/tmp/unit-guest-auto-XXXXXX", cmd[128];

	ck_assert_ptr_nonnull(mkdtemp(root));
	put_stat(root, 100, 100, 'S', 0, 0);  /* a process ... */
	put_stat(root, 100, 101, 'R', 1, 1);  /* ... with a FIFO thread running */
	put_stat(root, 100, 102, 'S', 1, 1);  /* ... and one blocked */
	put_stat(root, 200, 200, 'R', 0, 0);  /* a normal task */
	put_stat(root, 300, 300, 'R', 0, 2);  /* RR, on CPU 0 */
	ck_assert_int_eq(ga_scan(a, root, 1000), 0);
	ck_assert_uint_eq(ga_runnable(a, 1), 1);
	ck_assert_uint_eq(ga_runnable(a, 0), 1);
	/* 101 blocks, 300 goes away: the recheck sees it */
	put_stat(root, 100, 101, 'S', 1, 1);
	snprintf(cmd, sizeof(cmd), "rm -rf %s/300", root);
	ck_assert_int_eq(system(cmd), 0);
	ga_recheck(a, root, 2000);
	ck_assert_uint_eq(ga_runnable(a, 1), 0);
	ck_assert_uint_eq(ga_runnable(a, 0), 0);
	ck_assert_int_eq(ga_scan(a, "/nonexistent-proc", 3000), -ENOENT);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", root);
	ck_assert_int_eq(system(cmd), 0);
}
END_TEST

START_TEST(test_bad_args)
{
	struct ga *b = NULL;

	ck_assert_int_eq(ga_new(0, HYST, &b), -EINVAL);
	ck_assert_int_eq(ga_new(1, -1, &b), -EINVAL);
	ck_assert_ptr_null(b);
	ga_free(NULL);
	ck_assert_int_eq(ga_action(NULL, 0, 0), -1);
	ck_assert_uint_eq(ga_runnable(a, 7), 0);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("unit-guest-auto");
	TCase *tc = tcase_create("unit-guest-auto");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_format_kernel);
	tcase_add_test(tc, test_format_synthetic);
	tcase_add_test(tc, test_format_bad);
	tcase_add_test(tc, test_decode);
	tcase_add_test(tc, test_first_wakeup_boosts);
	tcase_add_test(tc, test_stays_while_one_runnable);
	tcase_add_test(tc, test_hysteresis);
	tcase_add_test(tc, test_non_rt_ignored);
	tcase_add_test(tc, test_other_cpus);
	tcase_add_test(tc, test_stale_records);
	tcase_add_test(tc, test_host_ends);
	tcase_add_test(tc, test_many_tasks);
	tcase_add_test(tc, test_parse_stat);
	tcase_add_test(tc, test_observe);
	tcase_add_test(tc, test_scan);
	tcase_add_test(tc, test_bad_args);
	suite_add_tcase(s, tc);
	return tu_run(s);
}
