/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Live tier: steer this machine's real IRQs off its last CPU and back.
 *
 * The host's IRQ affinities are shared by everything on the machine, so
 * main() snapshots them before any test runs and writes back whatever
 * differs afterwards (tu_irq_guard): also when a test failed, crashed or
 * timed out, and on SIGINT/SIGTERM/SIGHUP.  A test that leaves anything
 * changed fails. */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "testutil.h"

#define IRQDIR "/proc/irq"

/* The last online CPU: the "RT CPU" of these tests. */
static unsigned int rt_cpu(struct rtvm_ctx *ctx, struct rtvm_cpumask **ret)
{
	struct rtvm_host *host;
	const struct rtvm_cpumask *on;
	int c, last = -1;

	ck_assert_int_eq(rtvm_host_new(ctx, 0, &host), 0);
	on = rtvm_host_get_cpus(host, RTVM_CPUS_ONLINE);
	rtvm_cpumask_foreach(c, on)
		last = c;
	ck_assert_int_gt(last, 0);
	ck_assert_int_eq(rtvm_cpumask_new(ctx, ret), 0);
	rtvm_cpumask_set(*ret, (unsigned int)last);
	rtvm_host_unref(host);
	return (unsigned int)last;
}

START_TEST(test_live_steer_and_restore)
{
	struct rtvm_ctx *ctx;
	struct rtvm_cpumask *rt;
	struct rtvm_irq_steer req = { .size = sizeof(req),
				      .flags = RTVM_IRQ_STEER_DEFAULT_AFFINITY };
	struct rtvm_irq_report *rep;
	struct rtvm_irqs *irqs;
	struct rtvm_changeset *cs;
	const struct rtvm_cpumask *db, *da;
	unsigned int cpu, moved = 0;

	ck_assert_int_eq(rtvm_new(&ctx), 0);
	cpu = rt_cpu(ctx, &rt);
	req.away_from = rt;
	ck_assert_int_eq(rtvm_irqs_new(ctx, &irqs), 0);
	ck_assert_int_eq(rtvm_changeset_new(ctx, &cs), 0);
	ck_assert_int_eq(rtvm_irq_steer(ctx, &req, cs, &rep), 0);
	for (size_t i = 0; i < rtvm_irq_report_count(rep); i++) {
		const struct rtvm_irq_move *m = rtvm_irq_report_get(rep, i);
		const struct rtvm_irq *q;
		char path[64], now[256];
		struct rtvm_cpumask *cur;

		/* The inventory's "movable" (from the kernel's file
		 * modes) agrees with what the kernel then did. */
		if (rtvm_irqs_find(irqs, m->irq, &q) == 0 &&
		    m->error_class != RTVM_IRQ_ERR_GONE)
			ck_assert_msg(rtvm_irq_is_movable(q) ==
					      (m->status == RTVM_IRQ_MOVED),
				      "IRQ %u (%s): movable %d, status %d",
				      m->irq, m->name, rtvm_irq_is_movable(q),
				      m->status);

		snprintf(path, sizeof(path), IRQDIR "/%u/smp_affinity_list",
			 m->irq);
		if (tu_read_text(path, now, sizeof(now)) < 0)
			continue; /* freed meanwhile */
		ck_assert_int_eq(rtvm_cpumask_new(ctx, &cur), 0);
		ck_assert_int_eq(rtvm_cpumask_parse_list(cur, now, 0), 0);
		switch (m->status) {
		case RTVM_IRQ_MOVED:
			moved++;
			ck_assert_msg(rtvm_cpumask_equal(cur, m->wanted),
				      "IRQ %u: %s, wanted %s", m->irq, now,
				      tu_list(m->wanted));
			ck_assert(!rtvm_cpumask_test(cur, cpu));
			ck_assert_uint_ge(m->attempts, 1);
			/* x86 shows where the vector went. */
			if (m->effective && !m->pending)
				ck_assert(rtvm_cpumask_subset(m->effective,
							      m->wanted));
			break;
		case RTVM_IRQ_FAILED:
			/* What the kernel refuses is classified, and
			 * left as it was. */
			ck_assert_msg(m->error_class == RTVM_IRQ_ERR_UNMOVABLE ||
					      m->error_class == RTVM_IRQ_ERR_GONE,
				      "IRQ %u (%s): %s", m->irq, m->name,
				      strerror(-m->error));
			ck_assert_str_eq(now, tu_irq_saved(path));
			printf("IRQ %u (%s) unmovable: %s%s\n", m->irq, m->name,
			       strerror(-m->error),
			       m->managed ? " (managed)" : "");
			break;
		default:
			ck_abort_msg("IRQ %u: status %d", m->irq, m->status);
		}
		rtvm_cpumask_free(cur);
	}
	ck_assert_uint_gt(moved, 0);
	/* New IRQs stay off the CPU too. */
	ck_assert_int_eq(rtvm_irq_report_get_default_affinity(rep, &db, &da), 0);
	ck_assert(!rtvm_cpumask_test(da, cpu));
	{
		char now[256];
		struct rtvm_cpumask *cur;

		ck_assert_int_eq(tu_read_text(IRQDIR "/default_smp_affinity", now,
					   sizeof(now)), 0);
		ck_assert_int_eq(rtvm_cpumask_new(ctx, &cur), 0);
		ck_assert_int_eq(rtvm_cpumask_parse_hex(cur, now, 0), 0);
		ck_assert(rtvm_cpumask_equal(cur, da));
		rtvm_cpumask_free(cur);
	}
	printf("steered %u IRQs off CPU %u; %zu refused\n", moved, cpu,
	       rtvm_irq_report_tally(rep, RTVM_IRQ_FAILED));

	/* The records bring back exactly what was there. */
	ck_assert_int_eq(rtvm_changeset_restore(cs, 0), 0);
	tu_irq_expect_as_before();
	rtvm_irq_report_free(rep);
	rtvm_irqs_unref(irqs);
	rtvm_changeset_unref(cs);
	rtvm_cpumask_free(rt);
	rtvm_unref(ctx);
}
END_TEST

/* One IRQ by number, through a JSON round trip of its record (what the
 * tool saves), then a dry run that must not write. */
START_TEST(test_live_one_irq)
{
	struct rtvm_ctx *ctx;
	struct rtvm_cpumask *rt, *zero;
	struct rtvm_irqs *irqs;
	const struct rtvm_irq *q, *pick = NULL;
	struct rtvm_changeset *cs, *back;
	char *json, path[64], now[256];
	unsigned int irq;

	ck_assert_int_eq(rtvm_new(&ctx), 0);
	rt_cpu(ctx, &rt);
	ck_assert_int_eq(rtvm_cpumask_new(ctx, &zero), 0);
	rtvm_cpumask_set(zero, 0);
	ck_assert_int_eq(rtvm_irqs_new(ctx, &irqs), 0);
	rtvm_irqs_foreach(q, irqs)
		if (!pick && rtvm_irq_is_movable(q) &&
		    !rtvm_cpumask_equal(rtvm_irq_get_affinity(q), zero))
			pick = q;
	if (!pick) {
		printf("no movable IRQ off CPU 0 here: nothing to move\n");
		goto out;
	}
	irq = (unsigned int)rtvm_irq_get_number(pick);
	snprintf(path, sizeof(path), IRQDIR "/%u/smp_affinity_list", irq);
	ck_assert_int_eq(rtvm_changeset_new(ctx, &cs), 0);
	ck_assert_int_eq(rtvm_irq_set_affinity(ctx, irq, zero, cs), 0);
	ck_assert_int_eq(tu_read_text(path, now, sizeof(now)), 0);
	ck_assert_str_eq(now, "0");
	ck_assert_int_eq(rtvm_changeset_to_json(cs, &json), 0);
	ck_assert_int_eq(rtvm_changeset_new_from_json(ctx, json, &back), 0);
	ck_assert_int_eq(rtvm_changeset_restore(back, 0), 0);
	ck_assert_int_eq(tu_read_text(path, now, sizeof(now)), 0);
	ck_assert_str_eq(now, tu_irq_saved(path));
	free(json);
	rtvm_changeset_unref(back);
	rtvm_changeset_unref(cs);
	{
		const char *const sel[] = { "*", NULL };
		struct rtvm_irq_steer req = { .size = sizeof(req),
					      .flags = RTVM_IRQ_STEER_DRY_RUN,
					      .select = sel,
					      .cpus = zero };
		struct rtvm_irq_report *rep;

		ck_assert_int_eq(rtvm_irq_steer(ctx, &req, NULL, &rep), 0);
		ck_assert_uint_gt(rtvm_irq_report_tally(rep, RTVM_IRQ_MOVED), 0);
		rtvm_irq_report_free(rep);
	}
	tu_irq_expect_as_before();
out:
	rtvm_irqs_unref(irqs);
	rtvm_cpumask_free(rt);
	rtvm_cpumask_free(zero);
	rtvm_unref(ctx);
}
END_TEST

int main(void)
{
	Suite *s;
	TCase *tc;
	unsigned int left;
	long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
	int ret;

	if (geteuid() != 0) {
		printf("skip: steering IRQs needs root (writes %s/N/"
		       "smp_affinity_list)\n", IRQDIR);
		return EXIT_SKIP;
	}
	if (ncpu < 2) {
		printf("skip: %ld online CPU: nowhere to steer IRQs to\n", ncpu);
		return EXIT_SKIP;
	}
	if (tu_irq_guard() < 2) {
		printf("skip: no IRQ affinity files under %s\n", IRQDIR);
		return EXIT_SKIP;
	}
	s = suite_create("live-irq-steer");
	tc = tcase_create("live-irq-steer");
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_live_steer_and_restore);
	tcase_add_test(tc, test_live_one_irq);
	suite_add_tcase(s, tc);
	ret = tu_run(s);
	left = tu_irq_put_back();
	if (left) {
		printf("FAIL: %u IRQ setting(s) were left changed; written back\n",
		       left);
		ret = EXIT_FAILURE;
	}
	return ret;
}
