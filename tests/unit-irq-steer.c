/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Unit tier: IRQ steering on the irqhost fixture (64 CPUs, CPU 63
 * offline, three NICs, managed NVMe queues), with the kernel's refusals
 * injected through the operations table. */
#include "config.h"

#include <errno.h>
#include <net/if.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "librtvm-private.h"
#include "testutil.h"

#define NR 64
#ifndef IFF_LOWER_UP
#define IFF_LOWER_UP 0x10000 /* linux/if.h; not in glibc's net/if.h */
#endif

/* Every smp_affinity_list of the fixture plus default_smp_affinity, as
 * one string: what "nothing changed" and "restored" compare. */
static char *snapshot(struct rtvm_ctx *ctx)
{
	struct rtvm_irqs *irqs;
	const struct rtvm_irq *q;
	char *out = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&out, &len);

	ck_assert_ptr_nonnull(f);
	ck_assert_int_eq(rtvm_irqs_new(ctx, &irqs), 0);
	rtvm_irqs_foreach(q, irqs) {
		int n = rtvm_irq_get_number(q);
		char rel[64], *v, *e;

		if (n < 0 || !rtvm_irq_get_affinity(q))
			continue;
		snprintf(rel, sizeof(rel), "proc/irq/%d/smp_affinity_list", n);
		v = tu_read(ctx, rel);
		snprintf(rel, sizeof(rel), "proc/irq/%d/effective_affinity_list",
			 n);
		e = tu_read(ctx, rel);
		fprintf(f, "%d:%s/%s\n", n, rtvm_strip(v), rtvm_strip(e));
		free(v);
		free(e);
	}
	rtvm_irqs_unref(irqs);
	{
		char *d = tu_read(ctx, "proc/irq/default_smp_affinity");

		fprintf(f, "default:%s\n", rtvm_strip(d));
		free(d);
	}
	fclose(f);
	return out;
}

/* Drop the "/effective" part of every line of a snapshot, in place. */
static char *requested_only(char *snap)
{
	char *out = snap;

	for (const char *in = snap; *in;) {
		if (*in == '/')
			in += strcspn(in, "\n");
		else
			*out++ = *in++;
	}
	*out = '\0';
	return snap;
}

/* Two snapshots are the same but for the effective affinities (the
 * simulated chip's choice, which a restore does not name). */
static void expect_same_requested(char *before, char *after)
{
	ck_assert_str_eq(requested_only(before), requested_only(after));
}

static char *rd(struct rtvm_ctx *ctx, unsigned int irq, const char *file)
{
	char rel[64];
	char *v;

	snprintf(rel, sizeof(rel), "proc/irq/%u/%s", irq, file);
	v = tu_read(ctx, rel);
	rtvm_strip(v);
	return v;
}

static void expect_aff(struct rtvm_ctx *ctx, unsigned int irq,
		       const char *list)
{
	char *v = rd(ctx, irq, "smp_affinity_list");

	ck_assert_msg(strcmp(v, list) == 0, "IRQ %u: affinity %s, want %s",
		      irq, v, list);
	free(v);
}

static const struct rtvm_irq_move *find(const struct rtvm_irq_report *rep,
					unsigned int irq)
{
	for (size_t i = 0; i < rtvm_irq_report_count(rep); i++)
		if (rtvm_irq_report_get(rep, i)->irq == irq)
			return rtvm_irq_report_get(rep, i);
	return NULL;
}

START_TEST(test_match)
{
	struct rtvm_ctx *ctx = tu_ctx("irqhost");
	struct rtvm_irqs *irqs;
	const struct rtvm_irq *q, *sys = NULL;

	ck_assert_int_eq(rtvm_irqs_new(ctx, &irqs), 0);
	ck_assert_int_eq(rtvm_irqs_find(irqs, 125, &q), 0);
	ck_assert_int_eq(rtvm_irq_match(q, "125"), 1);
	ck_assert_int_eq(rtvm_irq_match(q, "124"), 0);
	ck_assert_int_eq(rtvm_irq_match(q, "120-130"), 1);
	ck_assert_int_eq(rtvm_irq_match(q, "126-130"), 0);
	ck_assert_int_eq(rtvm_irq_match(q, "eth0-TxRx-*"), 1);
	ck_assert_int_eq(rtvm_irq_match(q, "name:eth0-TxRx-3"), 1);
	ck_assert_int_eq(rtvm_irq_match(q, "eth1-*"), 0);
	ck_assert_int_eq(rtvm_irq_match(q, "driver:ice"), 1);
	ck_assert_int_eq(rtvm_irq_match(q, "driver:mlx*"), 0);
	ck_assert_int_eq(rtvm_irq_match(q, "pci:0000:18:00.*"), 1);
	ck_assert_int_eq(rtvm_irq_match(q, "net:eth0"), 1);
	ck_assert_int_eq(rtvm_irq_match(q, "net:eth1"), 0);
	/* "1*" is a name glob, not a number. */
	ck_assert_int_eq(rtvm_irq_match(q, "1*"), 0);
	ck_assert_int_eq(rtvm_irq_match(q, "driver:"), -EINVAL);
	ck_assert_int_eq(rtvm_irq_match(q, "7-3"), -EINVAL);
	ck_assert_int_eq(rtvm_irq_match(q, "7-"), -EINVAL);
	ck_assert_int_eq(rtvm_irq_match(q, "99999999999"), -EINVAL);
	ck_assert_int_eq(rtvm_irq_match(q, ""), -EINVAL);
	ck_assert_int_eq(rtvm_irq_match(NULL, "1"), -EINVAL);
	ck_assert_int_eq(rtvm_irq_match(q, NULL), -EINVAL);
	/* IRQ 9 has no driver: a driver glob never matches it. */
	ck_assert_int_eq(rtvm_irqs_find(irqs, 9, &q), 0);
	ck_assert_int_eq(rtvm_irq_match(q, "driver:*"), 0);
	ck_assert_int_eq(rtvm_irq_match(q, "acpi"), 1);
	/* System lines have no number: nothing matches them. */
	rtvm_irqs_foreach(q, irqs)
		if (rtvm_irq_get_kind(q) == RTVM_IRQ_SYSTEM)
			sys = q;
	ck_assert_ptr_nonnull(sys);
	ck_assert_int_eq(rtvm_irq_match(sys, "*"), 0);
	rtvm_irqs_unref(irqs);
	rtvm_unref(ctx);
}
END_TEST

START_TEST(test_away_and_restore)
{
	struct rtvm_ctx *ctx = tu_ctx("irqhost");
	struct rtvm_cpumask *rt = tu_mask(NR, "4-7");
	struct rtvm_irq_steer req = { .size = sizeof(req), .away_from = rt };
	struct rtvm_irq_report *rep = NULL;
	struct rtvm_changeset *cs;
	const struct rtvm_irq_move *m;
	char *before = snapshot(ctx), *after;
	size_t moved, unchanged, failed;
	int irq_records = 0, thread_records = 0;
	const struct rtvm_change *c;

	ck_assert_int_eq(rtvm_changeset_new(ctx, &cs), 0);
	ck_assert_int_eq(rtvm_irq_steer(ctx, &req, cs, &rep), 0);
	moved = rtvm_irq_report_tally(rep, RTVM_IRQ_MOVED);
	unchanged = rtvm_irq_report_tally(rep, RTVM_IRQ_UNCHANGED);
	failed = rtvm_irq_report_tally(rep, RTVM_IRQ_FAILED);
	ck_assert_uint_eq(moved + unchanged + failed, rtvm_irq_report_count(rep));
	ck_assert_uint_gt(moved, 10);
	ck_assert_uint_eq(unchanged, 0); /* a rule takes only what is on 4-7 */

	/* eth0-TxRx-3 had CPU 4 alone: it goes to every housekeeping CPU,
	 * and its threaded handler (tid 1100) goes along. */
	m = find(rep, 125);
	ck_assert_ptr_nonnull(m);
	ck_assert_int_eq(m->status, RTVM_IRQ_MOVED);
	ck_assert_str_eq(m->name, "eth0-TxRx-3");
	ck_assert_str_eq(tu_list(m->before), "4");
	ck_assert_str_eq(tu_list(m->wanted), "0-3,8-62");
	ck_assert_str_eq(tu_list(m->effective), "0");
	ck_assert(m->narrowed);
	ck_assert(!m->pending);
	ck_assert_uint_eq(m->attempts, 1);
	ck_assert_int_eq(m->thread, 1100);
	ck_assert_int_eq(m->thread_error, 0);
	expect_aff(ctx, 125, "0-3,8-62");
	{
		char *st = tu_read(ctx, "proc/1100/task/1100/status");

		ck_assert_ptr_nonnull(strstr(st, "Cpus_allowed_list:\t0-3,8-62"));
		free(st);
	}
	/* An IRQ spread over all CPUs keeps the others, the offline 63
	 * too (the kernel accepts it). */
	m = find(rep, 191);
	ck_assert_ptr_nonnull(m);
	ck_assert_str_eq(tu_list(m->wanted), "0-3,8-63");
	/* An IRQ already off 4-7 is not touched. */
	ck_assert_ptr_null(find(rep, 9));
	expect_aff(ctx, 9, "0-1,16-33,48-63");

	rtvm_changeset_foreach(c, cs) {
		if (rtvm_change_get_kind(c) == RTVM_CHANGE_IRQ_AFFINITY)
			irq_records++;
		else if (rtvm_change_get_kind(c) == RTVM_CHANGE_THREAD_AFFINITY)
			thread_records++;
	}
	ck_assert_int_eq(irq_records, (int)moved);
	ck_assert_int_eq(thread_records, 1);

	/* Steering again finds only the managed NVMe queues on 4-7. */
	ck_assert_uint_eq(failed, 4);
	rep = rtvm_irq_report_free(rep);
	ck_assert_int_eq(rtvm_irq_steer(ctx, &req, cs, &rep), 0);
	ck_assert_uint_eq(rtvm_irq_report_count(rep), 4);
	ck_assert_uint_eq(rtvm_irq_report_tally(rep, RTVM_IRQ_FAILED), 4);

	/* Undo: every affinity back, compared as text of the files. */
	ck_assert_int_eq(rtvm_changeset_restore(cs, 0), 0);
	after = snapshot(ctx);
	expect_same_requested(before, after);
	expect_aff(ctx, 125, "4");
	{
		char *st = tu_read(ctx, "proc/1100/task/1100/status");

		ck_assert_ptr_nonnull(strstr(st, "Cpus_allowed_list:\t4\n"));
		free(st);
	}
	free(before);
	free(after);
	rtvm_irq_report_free(rep);
	rtvm_changeset_unref(cs);
	rtvm_cpumask_free(rt);
	rtvm_unref(ctx);
}
END_TEST

START_TEST(test_to_rt_and_select)
{
	struct rtvm_ctx *ctx = tu_ctx("irqhost");
	struct rtvm_cpumask *rt = tu_mask(NR, "4-7"), *one = tu_mask(NR, "1");
	const char *const to_rt[] = { "net:eth1", NULL };
	const char *const sel[] = { "acpi", "16", NULL };
	struct rtvm_irq_steer req = {
		.size = sizeof(req),
		.away_from = rt,
		.to_rt = to_rt,
		.select = sel,
		.cpus = one,
		.flags = RTVM_IRQ_STEER_NO_THREADS,
	};
	struct rtvm_irq_report *rep = NULL;
	const struct rtvm_irq_move *m;

	ck_assert_int_eq(rtvm_irq_steer(ctx, &req, NULL, &rep), 0);
	/* Pass-through NIC: every eth1 queue on the RT CPUs. */
	for (unsigned int i = 186; i < 186 + 64; i++) {
		m = find(rep, i);
		ck_assert_msg(m && strcmp(tu_list(m->wanted), "4-7") == 0,
			      "IRQ %u not sent to the RT CPUs", i);
		expect_aff(ctx, i, "4-7");
	}
	/* Selected IRQs on CPU 1, by name and by number. */
	expect_aff(ctx, 9, "1");
	expect_aff(ctx, 16, "1");
	/* The rest away from 4-7; the thread is not looked for, and stays
	 * (NO_THREADS). */
	expect_aff(ctx, 125, "0-3,8-62");
	m = find(rep, 125);
	ck_assert_int_eq(m->thread, 0);
	{
		char *st = tu_read(ctx, "proc/1100/task/1100/status");

		ck_assert_ptr_nonnull(strstr(st, "Cpus_allowed_list:\t4\n"));
		free(st);
	}
	rtvm_irq_report_free(rep);

	/* rt_cpus apart from away_from: pass-through IRQs go there. */
	{
		struct rtvm_cpumask *r2 = tu_mask(NR, "6");
		struct rtvm_irq_steer req2 = { .size = sizeof(req2),
					       .to_rt = to_rt,
					       .rt_cpus = r2 };

		ck_assert_int_eq(rtvm_irq_steer(ctx, &req2, NULL, &rep), 0);
		ck_assert_uint_eq(rtvm_irq_report_count(rep), 64);
		expect_aff(ctx, 190, "6");
		expect_aff(ctx, 125, "0-3,8-62"); /* no bulk rule this time */
		rtvm_irq_report_free(rep);
		rtvm_cpumask_free(r2);
	}
	rtvm_cpumask_free(rt);
	rtvm_cpumask_free(one);
	rtvm_unref(ctx);
}
END_TEST

/* The kernel's refusals, one per IRQ, never stop the batch. */
START_TEST(test_error_classes)
{
	struct rtvm_ctx *ctx = tu_ctx("irqhost");
	struct rtvm_cpumask *rt = tu_mask(NR, "4-7");
	struct rtvm_irq_steer req = { .size = sizeof(req), .away_from = rt,
				      .retries = 3 };
	struct rtvm_irq_report *rep = NULL;
	struct rtvm_changeset *cs;
	const struct rtvm_irq_move *m;

	/* eth0 queues 125-128 have CPUs 4-7. */
	ck_assert_int_eq(rtvm_ctx_add_fault(ctx, RTVM_OP_IRQ_AFFINITY_SET,
					    "125", 1, 0, EIO), 0);
	ck_assert_int_eq(rtvm_ctx_add_fault(ctx, RTVM_OP_IRQ_AFFINITY_SET,
					    "126", 1, 2, EBUSY), 0);
	ck_assert_int_eq(rtvm_ctx_add_fault(ctx, RTVM_OP_IRQ_AFFINITY_SET,
					    "127", 1, 0, ENOSPC), 0);
	ck_assert_int_eq(rtvm_ctx_add_fault(ctx, RTVM_OP_IRQ_AFFINITY_SET,
					    "128", 1, 0, EAGAIN), 0);
	ck_assert_int_eq(rtvm_changeset_new(ctx, &cs), 0);
	ck_assert_int_eq(rtvm_irq_steer(ctx, &req, cs, &rep), 0);

	m = find(rep, 125);
	ck_assert_int_eq(m->status, RTVM_IRQ_FAILED);
	ck_assert_int_eq(m->error, -EIO);
	ck_assert_int_eq(m->error_class, RTVM_IRQ_ERR_UNMOVABLE);
	ck_assert_uint_eq(m->attempts, 1); /* permanent: no retry */
	ck_assert_int_eq(m->thread_error, 0);
	expect_aff(ctx, 125, "4");

	m = find(rep, 126); /* busy twice, then it moves */
	ck_assert_int_eq(m->status, RTVM_IRQ_MOVED);
	ck_assert_uint_eq(m->attempts, 3);
	expect_aff(ctx, 126, "0-3,8-62");

	m = find(rep, 127);
	ck_assert_int_eq(m->status, RTVM_IRQ_FAILED);
	ck_assert_int_eq(m->error_class, RTVM_IRQ_ERR_NOSPACE);
	ck_assert_str_eq(rtvm_irq_error_class_to_string(m->error_class),
			 "no-space");

	m = find(rep, 128); /* busy for good: 1 + 3 retries */
	ck_assert_int_eq(m->status, RTVM_IRQ_FAILED);
	ck_assert_int_eq(m->error_class, RTVM_IRQ_ERR_TRANSIENT);
	ck_assert_uint_eq(m->attempts, 4);
	expect_aff(ctx, 128, "7");

	/* The rest of the batch moved; failures left no records. */
	/* ...and the four managed NVMe queues on 4-7 (read-only). */
	ck_assert_uint_eq(rtvm_irq_report_tally(rep, RTVM_IRQ_FAILED), 3 + 4);
	expect_aff(ctx, 191, "0-3,8-63");
	expect_aff(ctx, 129, "8"); /* never on 4-7: not touched */
	{
		const struct rtvm_change *c;

		rtvm_changeset_foreach(c, cs)
			if (rtvm_change_get_kind(c) == RTVM_CHANGE_IRQ_AFFINITY)
				ck_assert_str_ne(rtvm_change_get_target(c), "125");
	}
	ck_assert_str_eq(rtvm_irq_error_class_to_string(RTVM_IRQ_ERR_TRANSIENT),
			 "transient");
	ck_assert_ptr_null(rtvm_irq_error_class_to_string(99));
	ck_assert_ptr_null(rtvm_irq_error_class_to_string(-1));
	rtvm_irq_report_free(rep);
	rtvm_changeset_unref(cs);
	rtvm_cpumask_free(rt);
	rtvm_unref(ctx);
}
END_TEST

/* Managed queues: the kernel answers EIO; the report says "managed". */
START_TEST(test_managed)
{
	struct rtvm_ctx *ctx = tu_ctx("irqhost");
	struct rtvm_cpumask *rt = tu_mask(NR, "4-7");
	struct rtvm_irq_steer req = { .size = sizeof(req), .away_from = rt };
	struct rtvm_irq_report *rep = NULL;
	const struct rtvm_irq_move *m;

	/* nvme0q5..8 (IRQs 29-32) are managed, on CPUs 4-7: their affinity
	 * files are read-only, and the kernel refuses with EPERM. */
	ck_assert_int_eq(rtvm_irq_steer(ctx, &req, NULL, &rep), 0);
	for (unsigned int irq = 29; irq <= 32; irq++) {
		m = find(rep, irq);
		ck_assert_ptr_nonnull(m);
		ck_assert_int_eq(m->status, RTVM_IRQ_FAILED);
		ck_assert_int_eq(m->error, -EPERM);
		ck_assert_int_eq(m->error_class, RTVM_IRQ_ERR_UNMOVABLE);
		ck_assert(m->managed);
		expect_aff(ctx, irq, irq == 29 ? "4" : irq == 30 ? "5" :
				     irq == 31 ? "6" : "7");
	}
	ck_assert_uint_eq(rtvm_irq_report_tally(rep, RTVM_IRQ_FAILED), 4);
	/* The admin queue (IRQ 24) is not managed; neither is a moved IRQ,
	 * nor one the kernel refused for a passing reason. */
	ck_assert(!find(rep, 125)->managed);
	rtvm_irq_report_free(rep);
	rtvm_cpumask_free(rt);
	rtvm_unref(ctx);
}
END_TEST

/* A read-only IRQ that is not an MSI vector is unmovable, not managed. */
START_TEST(test_read_only_not_msi)
{
	struct rtvm_ctx *ctx = tu_ctx("irqhost");
	struct rtvm_cpumask *rt = tu_mask(NR, "17");
	struct rtvm_irq_steer req = { .size = sizeof(req), .away_from = rt };
	struct rtvm_irq_report *rep = NULL;
	struct rtvm_irqs *irqs;
	const struct rtvm_irq *q;
	const struct rtvm_irq_move *m;
	char path[1024];

	snprintf(path, sizeof(path), "%s/proc/irq/9/smp_affinity_list",
		 rtvm_get_root(ctx));
	ck_assert_int_eq(chmod(path, 0444), 0);
	ck_assert_int_eq(rtvm_irqs_new(ctx, &irqs), 0);
	ck_assert_int_eq(rtvm_irqs_find(irqs, 9, &q), 0);
	ck_assert(!rtvm_irq_is_movable(q));
	ck_assert(!rtvm_irq_is_managed(q));
	rtvm_irqs_unref(irqs);
	ck_assert_int_eq(rtvm_irq_steer(ctx, &req, NULL, &rep), 0);
	m = find(rep, 9);
	ck_assert_int_eq(m->status, RTVM_IRQ_FAILED);
	ck_assert_int_eq(m->error_class, RTVM_IRQ_ERR_UNMOVABLE);
	ck_assert(!m->managed);
	rtvm_irq_report_free(rep);
	rtvm_cpumask_free(rt);
	rtvm_unref(ctx);
}
END_TEST

/* A pending move: the chip has not yet moved the vector (x86 without
 * interrupt remapping moves it with the next interrupt). */
static int stuck_irq_affinity_set(struct rtvm_ctx *ctx, unsigned int irq,
				  const struct rtvm_cpumask *mask)
{
	char *list;
	int r;

	ck_assert_int_eq(rtvm_cpumask_format_list(mask, &list), 0);
	r = rtvm_fs_write(ctx, RTVM_FS_PROC, list, "irq/%u/smp_affinity_list",
			  irq);
	free(list);
	return r;
}

START_TEST(test_pending)
{
	struct rtvm_ctx *ctx = tu_ctx("irqhost");
	struct rtvm_sysops ops = rtvm_sysops_sysroot;
	struct rtvm_cpumask *two = tu_mask(NR, "2");
	const struct rtvm_irq_move *m;
	struct rtvm_irq_report *rep;
	const char *const sel[] = { "125", NULL };
	struct rtvm_irq_steer req = { .size = sizeof(req), .select = sel,
				      .cpus = two };

	ops.irq_affinity_set = stuck_irq_affinity_set;
	rtvm_ctx_set_sysops(ctx, &ops);
	ck_assert_int_eq(rtvm_irq_steer(ctx, &req, NULL, &rep), 0);
	m = rtvm_irq_report_get(rep, 0);
	ck_assert_int_eq(m->status, RTVM_IRQ_MOVED);
	ck_assert_str_eq(tu_list(m->effective), "4");
	ck_assert(m->pending);
	ck_assert(!m->narrowed);
	ck_assert_ptr_null(rtvm_irq_report_get(rep, 1));
	rtvm_irq_report_free(rep);
	rtvm_cpumask_free(two);
	rtvm_unref(ctx);
}
END_TEST

START_TEST(test_dry_run_and_default)
{
	struct rtvm_ctx *ctx = tu_ctx("irqhost");
	struct rtvm_cpumask *rt = tu_mask(NR, "0-31");
	struct rtvm_irq_steer req = {
		.size = sizeof(req),
		.away_from = rt,
		.flags = RTVM_IRQ_STEER_DRY_RUN |
			 RTVM_IRQ_STEER_DEFAULT_AFFINITY,
	};
	const struct rtvm_cpumask *b, *a;
	struct rtvm_irq_report *rep;
	struct rtvm_changeset *cs;
	char *before = snapshot(ctx), *after, *d;

	ck_assert_int_eq(rtvm_changeset_new(ctx, &cs), 0);
	ck_assert_int_eq(rtvm_irq_steer(ctx, &req, cs, &rep), 0);
	ck_assert_uint_gt(rtvm_irq_report_tally(rep, RTVM_IRQ_MOVED), 100);
	ck_assert_uint_eq(rtvm_irq_report_get(rep, 0)->attempts, 0);
	ck_assert_ptr_null(rtvm_irq_report_get(rep, 0)->effective);
	ck_assert_int_eq(rtvm_irq_report_get_default_affinity(rep, &b, &a), 0);
	ck_assert_str_eq(tu_list(b), "0-1,16-33,48-63");
	ck_assert_str_eq(tu_list(a), "32-33,48-63");
	ck_assert_uint_eq(rtvm_changeset_get_count(cs), 0);
	after = snapshot(ctx);
	ck_assert_str_eq(before, after);
	free(after);
	rtvm_irq_report_free(rep);

	/* For real: default_smp_affinity in hex, recorded, undone. */
	req.flags = RTVM_IRQ_STEER_DEFAULT_AFFINITY;
	ck_assert_int_eq(rtvm_irq_steer(ctx, &req, cs, &rep), 0);
	d = tu_read(ctx, "proc/irq/default_smp_affinity");
	ck_assert_str_eq(rtvm_strip(d), "ffff0003,00000000");
	free(d);
	ck_assert_int_eq(rtvm_changeset_restore(cs, 0), 0);
	d = tu_read(ctx, "proc/irq/default_smp_affinity");
	ck_assert_str_eq(rtvm_strip(d), "ffff0003,ffff0003");
	free(d);
	rtvm_irq_report_free(rep);
	/* Without the flag, the report has no default affinity. */
	req.flags = RTVM_IRQ_STEER_DRY_RUN;
	ck_assert_int_eq(rtvm_irq_steer(ctx, &req, NULL, &rep), 0);
	ck_assert_int_eq(rtvm_irq_report_get_default_affinity(rep, &b, &a),
			 -ENOENT);
	rtvm_irq_report_free(rep);
	free(before);
	rtvm_changeset_unref(cs);
	rtvm_cpumask_free(rt);
	rtvm_unref(ctx);
}
END_TEST

/* Not root: stop at the first refusal and undo what this call did. */
START_TEST(test_eacces_rolls_back)
{
	struct rtvm_ctx *ctx = tu_ctx("irqhost");
	struct rtvm_cpumask *rt = tu_mask(NR, "4-7");
	struct rtvm_irq_steer req = { .size = sizeof(req), .away_from = rt };
	struct rtvm_irq_report *rep = NULL;
	struct rtvm_changeset *cs;
	char *before = snapshot(ctx), *after;

	ck_assert_int_eq(rtvm_ctx_add_fault(ctx, RTVM_OP_IRQ_AFFINITY_SET,
					    NULL, 5, 1, EACCES), 0);
	ck_assert_int_eq(rtvm_changeset_new(ctx, &cs), 0);
	ck_assert_int_eq(rtvm_irq_steer(ctx, &req, cs, &rep), -EPERM);
	ck_assert_ptr_null(rep);
	ck_assert_uint_eq(rtvm_changeset_get_count(cs), 0);
	after = snapshot(ctx);
	expect_same_requested(before, after);
	free(before);
	free(after);
	rtvm_changeset_unref(cs);
	rtvm_cpumask_free(rt);
	rtvm_unref(ctx);
}
END_TEST

START_TEST(test_bad_input)
{
	struct rtvm_ctx *ctx = tu_ctx("irqhost");
	struct rtvm_cpumask *rt = tu_mask(NR, "4-7"), *off = tu_mask(NR, "62-63");
	struct rtvm_cpumask *empty = tu_mask(NR, ""), *all = tu_mask(NR, "0-62");
	struct rtvm_cpumask *hk = tu_mask(NR, "0-5");
	const char *const unknown[] = { "999", NULL };
	const char *const nomatch[] = { "net:eth9", NULL };
	const char *const bad[] = { "7-3", NULL };
	struct rtvm_irq_report *rep = NULL;
	struct rtvm_irq_steer req;
	char *before = snapshot(ctx), *after;

#define EXPECT(err_, ...)                                                 \
	do {                                                              \
		req = (struct rtvm_irq_steer){ .size = sizeof(req),       \
					       __VA_ARGS__ };             \
		ck_assert_int_eq(rtvm_irq_steer(ctx, &req, NULL, &rep),   \
				 err_);                                   \
		ck_assert_ptr_null(rep);                                  \
	} while (0)

	req = (struct rtvm_irq_steer){ .size = 8, .away_from = rt };
	ck_assert_int_eq(rtvm_irq_steer(ctx, &req, NULL, &rep), -EINVAL);
	EXPECT(-EINVAL, .away_from = rt, .flags = 1u << 30);
	EXPECT(-EINVAL, .flags = 0);			     /* no rule */
	EXPECT(-EINVAL, .away_from = off);		     /* CPU 63 offline */
	EXPECT(-EINVAL, .away_from = empty);
	EXPECT(-EINVAL, .away_from = all);		     /* no housekeeping */
	EXPECT(-EINVAL, .away_from = rt, .housekeeping = hk); /* overlap */
	EXPECT(-EINVAL, .select = unknown, .cpus = rt);	     /* no IRQ 999 */
	EXPECT(-ENOENT, .away_from = rt, .to_rt = nomatch);
	EXPECT(-EINVAL, .select = bad, .cpus = rt);
	EXPECT(-EINVAL, .select = unknown);		     /* no CPUs */
	EXPECT(-EINVAL, .cpus = rt);			     /* no IRQs */
	EXPECT(-EINVAL, .to_rt = nomatch);		     /* no RT CPUs */
	EXPECT(-EINVAL, .select = bad, .cpus = off);
	EXPECT(-EINVAL, .flags = RTVM_IRQ_STEER_DEFAULT_AFFINITY,
	       .select = bad, .cpus = rt);
#undef EXPECT
	ck_assert_int_eq(rtvm_irq_steer(NULL, &req, NULL, &rep), -EINVAL);
	ck_assert_int_eq(rtvm_irq_steer(ctx, NULL, NULL, &rep), -EINVAL);
	ck_assert_int_eq(rtvm_irq_set_affinity(ctx, 999, rt, NULL), -EINVAL);
	ck_assert_int_eq(rtvm_irq_set_affinity(ctx, 125, NULL, NULL), -EINVAL);
	ck_assert_int_eq(rtvm_irq_set_affinity(ctx, 125, off, NULL), -EINVAL);
	ck_assert_int_eq(rtvm_irq_set_affinity(ctx, 125, empty, NULL), -EINVAL);
	after = snapshot(ctx);
	ck_assert_str_eq(before, after);
	{
		char path[1024];

		snprintf(path, sizeof(path), "%s/rtvm-syscalls.log",
			 rtvm_get_root(ctx));
		ck_assert_msg(access(path, F_OK) != 0, "%s: written", path);
	}
	free(before);
	free(after);
	rtvm_cpumask_free(rt);
	rtvm_cpumask_free(off);
	rtvm_cpumask_free(empty);
	rtvm_cpumask_free(all);
	rtvm_cpumask_free(hk);
	rtvm_unref(ctx);
}
END_TEST

START_TEST(test_set_affinity)
{
	struct rtvm_ctx *ctx = tu_ctx("irqhost");
	struct rtvm_cpumask *two = tu_mask(NR, "2-3"), *four = tu_mask(NR, "4");
	struct rtvm_changeset *cs;
	char *log;

	ck_assert_int_eq(rtvm_changeset_new(ctx, &cs), 0);
	ck_assert_int_eq(rtvm_irq_set_affinity(ctx, 125, two, cs), 0);
	expect_aff(ctx, 125, "2-3");
	ck_assert_uint_eq(rtvm_changeset_get_count(cs), 1); /* no thread */
	/* Already there: nothing written, nothing recorded. */
	ck_assert_int_eq(rtvm_irq_set_affinity(ctx, 125, two, cs), 0);
	ck_assert_uint_eq(rtvm_changeset_get_count(cs), 1);
	log = tu_read(ctx, "rtvm-syscalls.log");
	ck_assert_ptr_nonnull(strstr(log, "irq_set_affinity 125 2-3"));
	ck_assert_ptr_null(strstr(strstr(log, "irq_set_affinity 125 2-3") + 1,
				  "irq_set_affinity 125"));
	free(log);
	/* The kernel's errors come back as they are. */
	ck_assert_int_eq(rtvm_ctx_add_fault(ctx, RTVM_OP_IRQ_AFFINITY_SET,
					    "126", 1, 0, EIO), 0);
	ck_assert_int_eq(rtvm_irq_set_affinity(ctx, 126, two, cs), -EIO);
	ck_assert_int_eq(rtvm_ctx_add_fault(ctx, RTVM_OP_IRQ_AFFINITY_SET,
					    "127", 1, 0, ENOSPC), 0);
	ck_assert_int_eq(rtvm_irq_set_affinity(ctx, 127, two, cs), -ENOSPC);
	/* Per-CPU IRQ 314 has no affinity file: unmovable. */
	ck_assert_int_eq(rtvm_irq_set_affinity(ctx, 314, two, cs), -EIO);
	ck_assert_uint_eq(rtvm_changeset_get_count(cs), 1);
	ck_assert_int_eq(rtvm_changeset_restore(cs, 0), 0);
	expect_aff(ctx, 125, "4");
	ck_assert_int_eq(rtvm_irq_set_affinity(ctx, 125, four, NULL), 0);
	rtvm_changeset_unref(cs);
	rtvm_cpumask_free(two);
	rtvm_cpumask_free(four);
	rtvm_unref(ctx);
}
END_TEST

/* A restore retries a busy IRQ like a steer does. */
START_TEST(test_restore_retries)
{
	struct rtvm_ctx *ctx = tu_ctx("irqhost");
	struct rtvm_cpumask *two = tu_mask(NR, "2");
	struct rtvm_changeset *cs;

	ck_assert_int_eq(rtvm_changeset_new(ctx, &cs), 0);
	ck_assert_int_eq(rtvm_irq_set_affinity(ctx, 125, two, cs), 0);
	ck_assert_int_eq(rtvm_ctx_add_fault(ctx, RTVM_OP_IRQ_AFFINITY_SET,
					    "125", 1, 2, EBUSY), 0);
	ck_assert_int_eq(rtvm_changeset_restore(cs, 0), 0);
	expect_aff(ctx, 125, "4");
	rtvm_changeset_unref(cs);
	rtvm_cpumask_free(two);
	rtvm_unref(ctx);
}
END_TEST


/* The captured 2-CPU VM (this machine): its virtio and ACPI IRQs off CPU 1
 * and back, exactly. */
START_TEST(test_vm2cpu)
{
	struct rtvm_ctx *ctx = tu_ctx("vm2cpu");
	struct rtvm_cpumask *one;
	struct rtvm_irq_steer req = { .size = sizeof(req),
				      .flags = RTVM_IRQ_STEER_DEFAULT_AFFINITY };
	struct rtvm_irq_report *rep;
	struct rtvm_changeset *cs;
	char *before = snapshot(ctx), *after;

	ck_assert_int_eq(rtvm_cpumask_new(ctx, &one), 0);
	rtvm_cpumask_set(one, 1);
	req.away_from = one;
	ck_assert_int_eq(rtvm_changeset_new(ctx, &cs), 0);
	ck_assert_int_eq(rtvm_irq_steer(ctx, &req, cs, &rep), 0);
	ck_assert_uint_eq(rtvm_irq_report_tally(rep, RTVM_IRQ_MOVED), 19);
	ck_assert_str_eq(find(rep, 26)->name, "ttyS0");
	expect_aff(ctx, 26, "0");
	{
		char *d = tu_read(ctx, "proc/irq/default_smp_affinity");

		ck_assert_str_eq(rtvm_strip(d), "1");
		free(d);
	}
	ck_assert_int_eq(rtvm_changeset_restore(cs, 0), 0);
	after = snapshot(ctx);
	expect_same_requested(before, after);
	free(before);
	free(after);
	rtvm_irq_report_free(rep);
	rtvm_changeset_unref(cs);
	rtvm_cpumask_free(one);
	rtvm_unref(ctx);
}
END_TEST

/* ---- the watch: affinity that stays put --------------------------------- */

static void inject(struct rtvm_irq_watch *w, enum rtvm_link_action action,
		   unsigned int change, bool up)
{
	struct rtvm_link_event ev = { .action = action, .ifindex = 7,
				      .change = change, .up = up,
				      .flags = up ? IFF_UP : 0 };

	snprintf(ev.name, sizeof(ev.name), "eth0");
	ck_assert_int_eq(rtvm_netlink_inject(rtvm_irq_watch_get_netlink(w),
					     &ev), 0);
}

static bool readable(int fd, int timeout_ms)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };

	return poll(&p, 1, timeout_ms) == 1;
}

static unsigned int irq_records(const struct rtvm_changeset *cs,
				const char *irq)
{
	const struct rtvm_change *c;
	unsigned int n = 0;

	rtvm_changeset_foreach(c, cs)
		n += rtvm_change_get_kind(c) == RTVM_CHANGE_IRQ_AFFINITY &&
		     strcmp(rtvm_change_get_target(c), irq) == 0;
	return n;
}

/* A link set up again (a driver that re-requested its IRQs with the
 * default affinity): the watch puts the IRQ back, and records nothing new
 * for it, so a restore still brings back the first original. */
START_TEST(test_watch_link_event)
{
	struct rtvm_ctx *ctx = tu_ctx("irqhost");
	struct rtvm_cpumask *rt = tu_mask(NR, "4-7");
	struct rtvm_irq_steer req = { .size = sizeof(req), .away_from = rt };
	struct rtvm_irq_report *rep = NULL;
	struct rtvm_changeset *cs;
	struct rtvm_irq_watch *w;
	unsigned int count;
	char *before = snapshot(ctx), *after;

	ck_assert_int_eq(rtvm_changeset_new(ctx, &cs), 0);
	ck_assert_int_eq(rtvm_irq_steer(ctx, &req, cs, &rep), 0);
	rep = rtvm_irq_report_free(rep);
	count = rtvm_changeset_get_count(cs);
	ck_assert_int_eq(rtvm_irq_watch_new(ctx, &req, cs, 3600 * 1000, &w), 0);
	ck_assert_int_ge(rtvm_irq_watch_get_fd(w), 0);
	/* Nothing due: no check, no report. */
	ck_assert(!readable(rtvm_irq_watch_get_fd(w), 0));
	ck_assert_int_eq(rtvm_irq_watch_dispatch(w, &rep), 0);
	ck_assert_ptr_null(rep);

	/* The driver's reset: IRQ 125 is back on CPU 4. */
	tu_write(ctx, "proc/irq/125/smp_affinity_list", "4\n");
	/* Carrier only: not a reason to look. */
	inject(w, RTVM_LINK_CHANGE, IFF_LOWER_UP, true);
	ck_assert(readable(rtvm_irq_watch_get_fd(w), 1000));
	ck_assert_int_eq(rtvm_irq_watch_dispatch(w, &rep), 0);
	ck_assert_ptr_null(rep);
	expect_aff(ctx, 125, "4");
	/* Set up: the watch looks and puts it back. */
	inject(w, RTVM_LINK_CHANGE, IFF_UP, true);
	ck_assert(readable(rtvm_irq_watch_get_fd(w), 1000));
	ck_assert_int_eq(rtvm_irq_watch_dispatch(w, &rep), 1);
	ck_assert_ptr_nonnull(rep);
	ck_assert_int_eq(find(rep, 125)->status, RTVM_IRQ_MOVED);
	ck_assert_str_eq(tu_list(find(rep, 125)->before), "4");
	expect_aff(ctx, 125, "0-3,8-62");
	rep = rtvm_irq_report_free(rep);
	ck_assert_uint_eq(rtvm_changeset_get_count(cs), count);
	ck_assert_uint_eq(irq_records(cs, "125"), 1);
	/* A new device, and a removed one, are reasons too. */
	tu_write(ctx, "proc/irq/126/smp_affinity_list", "5\n");
	inject(w, RTVM_LINK_NEW, ~0u, false);
	ck_assert_int_eq(rtvm_irq_watch_dispatch(w, &rep), 1);
	rep = rtvm_irq_report_free(rep);
	expect_aff(ctx, 126, "0-3,8-62");
	/* Nothing lost: a check that changes nothing. */
	inject(w, RTVM_LINK_DEL, 0, false);
	ck_assert_int_eq(rtvm_irq_watch_dispatch(w, &rep), 0);
	ck_assert_ptr_nonnull(rep);
	ck_assert_uint_eq(rtvm_irq_report_tally(rep, RTVM_IRQ_MOVED), 0);
	rep = rtvm_irq_report_free(rep);

	rtvm_irq_watch_unref(w);
	ck_assert_int_eq(rtvm_changeset_restore(cs, 0), 0);
	after = snapshot(ctx);
	expect_same_requested(before, after);
	free(before);
	free(after);
	rtvm_changeset_unref(cs);
	rtvm_cpumask_free(rt);
	rtvm_unref(ctx);
}
END_TEST

/* The periodic check: an IRQ that appeared since (a driver loaded) is
 * steered too, and its original affinity recorded. */
START_TEST(test_watch_interval_new_irq)
{
	struct rtvm_ctx *ctx = tu_ctx("irqhost");
	struct rtvm_cpumask *rt = tu_mask(NR, "4-7");
	const char *to_rt[] = { "net:eth9", "eth1-*", NULL };
	struct rtvm_irq_steer req = { .size = sizeof(req), .away_from = rt,
				      .to_rt = (const char *const *)to_rt };
	struct rtvm_irq_report *rep = NULL;
	struct rtvm_changeset *cs;
	struct rtvm_irq_watch *w;
	char *ints, *line, *nl, *add;

	/* Strict when first given: eth9 does not exist. */
	ck_assert_int_eq(rtvm_changeset_new(ctx, &cs), 0);
	ck_assert_int_eq(rtvm_irq_watch_new(ctx, &req, cs, 20, &w), -ENOENT);
	to_rt[0] = "eth1-TxRx-0";
	ck_assert_int_eq(rtvm_irq_watch_new(ctx, &req, cs, 20, &w), 0);
	/* The watch made its own copy of the rules. */
	to_rt[1] = "no-such-irq";
	/* IRQ 400 appears: a copy of 125's line and files, on CPU 5. */
	ints = tu_read(ctx, "proc/interrupts");
	line = strstr(ints, "125:");
	ck_assert_ptr_nonnull(line);
	nl = strchr(line, '\n');
	ck_assert_int_ge(asprintf(&add, "%s400:%.*s\n", ints,
				  (int)(nl - line - 4), line + 4), 0);
	tu_write(ctx, "proc/interrupts", add);
	tu_write(ctx, "proc/irq/400/smp_affinity_list", "5\n");
	tu_write(ctx, "proc/irq/400/smp_affinity", "20\n");
	tu_write(ctx, "proc/irq/400/effective_affinity_list", "5\n");
	free(ints);
	free(add);

	ck_assert(readable(rtvm_irq_watch_get_fd(w), 5000));
	ck_assert_int_ge(rtvm_irq_watch_dispatch(w, &rep), 1);
	ck_assert_ptr_nonnull(find(rep, 400));
	ck_assert_int_eq(find(rep, 400)->status, RTVM_IRQ_MOVED);
	expect_aff(ctx, 400, "0-3,8-62");
	expect_aff(ctx, 186 + 1, "4-7"); /* eth1-TxRx-1 by the rule */
	ck_assert_uint_eq(irq_records(cs, "400"), 1);
	rtvm_irq_report_free(rep);
	rtvm_irq_watch_unref(w);
	ck_assert_int_eq(rtvm_changeset_restore(cs, 0), 0);
	expect_aff(ctx, 400, "5");
	expect_aff(ctx, 187, "0-63");
	rtvm_changeset_unref(cs);
	rtvm_cpumask_free(rt);
	rtvm_unref(ctx);
}
END_TEST

START_TEST(test_watch_bad_input)
{
	struct rtvm_ctx *ctx = tu_ctx("irqhost");
	struct rtvm_cpumask *off = tu_mask(NR, "63");
	struct rtvm_irq_steer req = { .size = sizeof(req), .away_from = off };
	struct rtvm_irq_report *rep;
	struct rtvm_changeset *cs;
	struct rtvm_irq_watch *w = NULL;

	ck_assert_int_eq(rtvm_changeset_new(ctx, &cs), 0);
	ck_assert_int_eq(rtvm_irq_watch_new(ctx, &req, cs, 0, &w), -EINVAL);
	ck_assert_ptr_null(w);
	req.away_from = NULL;
	ck_assert_int_eq(rtvm_irq_watch_new(ctx, &req, cs, 0, &w), -EINVAL);
	ck_assert_int_eq(rtvm_irq_watch_new(ctx, &req, NULL, 0, &w), -EINVAL);
	ck_assert_int_eq(rtvm_irq_watch_new(NULL, &req, cs, 0, &w), -EINVAL);
	ck_assert_int_eq(rtvm_irq_watch_get_fd(NULL), -EINVAL);
	ck_assert_int_eq(rtvm_irq_watch_dispatch(NULL, &rep), -EINVAL);
	ck_assert_ptr_null(rtvm_irq_watch_unref(NULL));
	ck_assert_ptr_null(rtvm_irq_watch_ref(NULL));
	ck_assert_uint_eq(rtvm_changeset_get_count(cs), 0);
	rtvm_changeset_unref(cs);
	rtvm_cpumask_free(off);
	rtvm_unref(ctx);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("irq-steer");
	TCase *tc = tcase_create("steer");

	tcase_add_test(tc, test_match);
	tcase_add_test(tc, test_away_and_restore);
	tcase_add_test(tc, test_to_rt_and_select);
	tcase_add_test(tc, test_error_classes);
	tcase_add_test(tc, test_managed);
	tcase_add_test(tc, test_read_only_not_msi);
	tcase_add_test(tc, test_pending);
	tcase_add_test(tc, test_dry_run_and_default);
	tcase_add_test(tc, test_eacces_rolls_back);
	tcase_add_test(tc, test_bad_input);
	tcase_add_test(tc, test_set_affinity);
	tcase_add_test(tc, test_restore_retries);
	tcase_add_test(tc, test_vm2cpu);
	tcase_add_test(tc, test_watch_link_event);
	tcase_add_test(tc, test_watch_interval_new_irq);
	tcase_add_test(tc, test_watch_bad_input);
	tcase_set_timeout(tc, 60);
	suite_add_tcase(s, tc);
	return tu_run(s);
}
