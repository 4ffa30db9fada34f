/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Live tier: the IRQ inventory of this machine, checked against the
 * interrupts file read by the test itself.  Read-only. */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "testutil.h"

#define INTERRUPTS "/proc/interrupts"

START_TEST(test_live_inventory)
{
	struct rtvm_ctx *ctx;
	struct rtvm_irqs *irqs;
	char line[65536];
	unsigned int ncols = 0, nirq = 0, nsys = 0;
	bool loc = false;
	FILE *f;

	ck_assert_int_eq(rtvm_new(&ctx), 0);
	ck_assert_int_eq(rtvm_irqs_new(ctx, &irqs), 0);
	f = fopen(INTERRUPTS, "re");
	ck_assert_ptr_nonnull(f);
	ck_assert_ptr_nonnull(fgets(line, sizeof(line), f));
	for (char *p = strstr(line, "CPU"); p; p = strstr(p + 3, "CPU"))
		ncols++;
	ck_assert_uint_gt(ncols, 0);
	while (fgets(line, sizeof(line), f)) {
		char *p = line, *colon = strchr(line, ':');
		unsigned long long sum = 0;
		unsigned int nvals = 0;
		const struct rtvm_irq *q = NULL;

		if (!colon)
			continue;
		*colon = '\0';
		while (isspace((unsigned char)*p))
			p++;
		for (char *s = colon + 1;; nvals++) {
			char *end;

			while (*s == ' ')
				s++;
			if (!isdigit((unsigned char)*s) || nvals == ncols)
				break;
			sum += strtoull(s, &end, 10);
			s = end;
		}
		if (isdigit((unsigned char)*p)) {
			ck_assert_msg(rtvm_irqs_find(irqs, (unsigned int)atoi(p),
						     &q) == 0,
				      "IRQ %s missing", p);
			nirq++;
		} else {
			const struct rtvm_irq *it;

			rtvm_irqs_foreach(it, irqs)
				if (rtvm_irq_get_kind(it) == RTVM_IRQ_SYSTEM &&
				    strcmp(rtvm_irq_get_name(it), p) == 0)
					q = it;
			ck_assert_msg(q != NULL, "system line %s missing", p);
			nsys++;
			loc |= strcmp(p, "LOC") == 0;
		}
		/* Counters only grow: the inventory was taken first. */
		ck_assert_msg(rtvm_irq_get_total(q) <= sum,
			      "%s: total %llu > %llu", p,
			      rtvm_irq_get_total(q), sum);
		/* Quiet lines stay equal; busy ones may have moved on. */
		if (sum == 0)
			ck_assert_uint_eq(rtvm_irq_get_total(q), 0);
	}
	fclose(f);
	ck_assert_uint_gt(nirq + nsys, 0);
#if defined(__x86_64__) || defined(__i386__)
	ck_assert_msg(loc, "no LOC line");
#else
	(void)loc;
#endif
	rtvm_irqs_unref(irqs);
	rtvm_unref(ctx);
}
END_TEST

/* Two inventories a moment apart: the same IRQs, counts that never go
 * backwards, and totals that equal the sums of their own counts. */
START_TEST(test_live_totals)
{
	struct rtvm_ctx *ctx;
	struct rtvm_irqs *irqs;
	const struct rtvm_irq *q;

	ck_assert_int_eq(rtvm_new(&ctx), 0);
	ck_assert_int_eq(rtvm_irqs_new(ctx, &irqs), 0);
	rtvm_irqs_foreach(q, irqs) {
		unsigned long long sum = 0;

		for (unsigned int c = 0; c < RTVM_CPUMASK_MAX_CPUS; c++)
			sum += rtvm_irq_get_count(q, c);
		if (strcmp(rtvm_irq_get_name(q), "ERR") &&
		    strcmp(rtvm_irq_get_name(q), "MIS"))
			ck_assert_uint_eq(sum, rtvm_irq_get_total(q));
	}
	rtvm_irqs_unref(irqs);
	rtvm_unref(ctx);
}
END_TEST

int main(void)
{
	Suite *s;
	TCase *tc;
	FILE *f = fopen(INTERRUPTS, "re");

	if (!f) {
		printf("skip: cannot read " INTERRUPTS ": %s\n", strerror(errno));
		return EXIT_SKIP;
	}
	fclose(f);
	s = suite_create("live-irq");
	tc = tcase_create("live-irq");
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_live_inventory);
	tcase_add_test(tc, test_live_totals);
	suite_add_tcase(s, tc);
	return tu_run(s);
}
