/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Unit tier: the IRQ inventory on fixture sysroots. */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "testutil.h"

static struct rtvm_irqs *load(struct rtvm_ctx *ctx)
{
	struct rtvm_irqs *irqs;

	ck_assert_int_eq(rtvm_irqs_new(ctx, &irqs), 0);
	return irqs;
}

static const struct rtvm_irq *irq(struct rtvm_irqs *irqs, unsigned int n)
{
	const struct rtvm_irq *q;

	ck_assert_msg(rtvm_irqs_find(irqs, n, &q) == 0, "no IRQ %u", n);
	ck_assert_int_eq(rtvm_irq_get_number(q), (int)n);
	return q;
}

static const struct rtvm_irq *sysline(struct rtvm_irqs *irqs,
				      const char *label)
{
	const struct rtvm_irq *q;

	rtvm_irqs_foreach(q, irqs)
		if (rtvm_irq_get_kind(q) == RTVM_IRQ_SYSTEM &&
		    strcmp(rtvm_irq_get_name(q), label) == 0)
			return q;
	ck_abort_msg("no system line %s", label);
	return NULL;
}

START_TEST(test_counts_and_order)
{
	struct rtvm_ctx *ctx = tu_ctx("irqhost");
	struct rtvm_irqs *irqs = load(ctx);
	const struct rtvm_irq *q;
	unsigned int numbered = 0, sys = 0, percpu = 0;
	int last = -1;
	bool seen_sys = false;

	rtvm_irqs_foreach(q, irqs) {
		if (rtvm_irq_get_kind(q) == RTVM_IRQ_SYSTEM) {
			ck_assert_int_eq(rtvm_irq_get_number(q), -ENOENT);
			seen_sys = true;
			sys++;
			continue;
		}
		ck_assert_msg(!seen_sys, "numbered IRQ after system lines");
		ck_assert_int_gt(rtvm_irq_get_number(q), last);
		last = rtvm_irq_get_number(q);
		numbered++;
		if (rtvm_irq_get_kind(q) == RTVM_IRQ_PERCPU)
			percpu++;
	}
	ck_assert_uint_eq(numbered, 6 + 65 + 192 + 3);
	ck_assert_uint_eq(sys, 7);
	ck_assert_uint_eq(percpu, 2);
	ck_assert_int_eq(last, 316);
	/* System lines in file order. */
	q = rtvm_irqs_next(irqs, irq(irqs, 316));
	ck_assert_str_eq(rtvm_irq_get_name(q), "NMI");
	q = rtvm_irqs_next(irqs, q);
	ck_assert_str_eq(rtvm_irq_get_name(q), "LOC");
	rtvm_irqs_unref(irqs);
	rtvm_unref(ctx);
}
END_TEST

START_TEST(test_legacy)
{
	struct rtvm_ctx *ctx = tu_ctx("irqhost");
	struct rtvm_irqs *irqs = load(ctx);
	const struct rtvm_irq *q;

	q = irq(irqs, 0);
	ck_assert_str_eq(rtvm_irq_get_name(q), "timer");
	ck_assert_str_eq(rtvm_irq_get_chip(q), "IO-APIC");
	ck_assert_str_eq(rtvm_irq_get_hwirq(q), "2");
	ck_assert_str_eq(rtvm_irq_get_trigger(q), "edge");
	ck_assert_uint_eq(rtvm_irq_get_count(q, 0), 1000);
	ck_assert_uint_eq(rtvm_irq_get_count(q, 1), 0);
	ck_assert_uint_eq(rtvm_irq_get_total(q), 1000);
	ck_assert_int_eq(rtvm_irq_get_kind(q), RTVM_IRQ_DEVICE);
	ck_assert_ptr_null(rtvm_irq_get_pci(q));
	ck_assert_ptr_null(rtvm_irq_get_driver(q));

	/* "9-fasteoi": the flow stays, the trigger comes from sysfs. */
	q = irq(irqs, 9);
	ck_assert_str_eq(rtvm_irq_get_name(q), "acpi");
	ck_assert_str_eq(rtvm_irq_get_hwirq(q), "9-fasteoi");
	ck_assert_str_eq(rtvm_irq_get_trigger(q), "level");
	ck_assert_str_eq(tu_list(rtvm_irq_get_affinity(q)), "0-1,16-33,48-63");
	ck_assert_str_eq(tu_list(rtvm_irq_get_effective_affinity(q)), "17");
	ck_assert_uint_eq(rtvm_irq_get_count(q, 17), 1009);
	ck_assert(rtvm_irq_is_movable(q));
	ck_assert(!rtvm_irq_is_managed(q));

	/* No action in procfs: sysfs' actions names it; INTx of a PCI dev. */
	q = irq(irqs, 16);
	ck_assert_str_eq(rtvm_irq_get_name(q), "ehci_hcd:usb1");
	ck_assert_str_eq(rtvm_irq_get_pci(q), "0000:00:1a.0");
	ck_assert_str_eq(rtvm_irq_get_driver(q), "ehci-pci");
	ck_assert_ptr_null(rtvm_irq_get_netdev(q));

	ck_assert_int_eq(rtvm_irq_get_node(irq(irqs, 8)), -ENOENT);
	ck_assert_int_eq(rtvm_irq_get_node(irq(irqs, 9)), 0);
	ck_assert_int_eq(rtvm_irq_get_thread(irq(irqs, 9)), 0);
	rtvm_irqs_unref(irqs);
	rtvm_unref(ctx);
}
END_TEST

START_TEST(test_nics)
{
	struct rtvm_ctx *ctx = tu_ctx("irqhost");
	struct rtvm_irqs *irqs = load(ctx);
	const struct rtvm_irq *q;

	q = irq(irqs, 125);
	ck_assert_str_eq(rtvm_irq_get_name(q), "eth0-TxRx-3");
	ck_assert_str_eq(rtvm_irq_get_chip(q), "IR-PCI-MSIX-0000:18:00.0");
	ck_assert_str_eq(rtvm_irq_get_hwirq(q), "524291");
	ck_assert_str_eq(rtvm_irq_get_trigger(q), "edge");
	ck_assert_str_eq(rtvm_irq_get_pci(q), "0000:18:00.0");
	ck_assert_str_eq(rtvm_irq_get_driver(q), "ice");
	ck_assert_str_eq(rtvm_irq_get_netdev(q), "eth0");
	ck_assert_str_eq(tu_list(rtvm_irq_get_affinity(q)), "4");
	ck_assert_uint_eq(rtvm_irq_get_count(q, 4), 1125);
	ck_assert_uint_eq(rtvm_irq_get_total(q), 1125);
	ck_assert_int_eq(rtvm_irq_get_thread(q), 1100);
	ck_assert(rtvm_irq_is_movable(q));
	ck_assert(!rtvm_irq_is_managed(q));

	/* Affinity wide, effective one CPU. */
	q = irq(irqs, 186 + 5);
	ck_assert_str_eq(rtvm_irq_get_name(q), "eth1-TxRx-5");
	ck_assert_str_eq(rtvm_irq_get_netdev(q), "eth1");
	ck_assert_str_eq(rtvm_irq_get_pci(q), "0000:18:00.1");
	ck_assert_str_eq(tu_list(rtvm_irq_get_affinity(q)), "0-63");
	ck_assert_str_eq(tu_list(rtvm_irq_get_effective_affinity(q)), "5");
	ck_assert(rtvm_irq_is_movable(q));

	q = irq(irqs, 250);
	ck_assert_str_eq(rtvm_irq_get_name(q), "mlx5_comp0@pci:0000:3b:00.0");
	ck_assert_str_eq(rtvm_irq_get_driver(q), "mlx5_core");
	ck_assert_str_eq(rtvm_irq_get_netdev(q), "ens2f0");
	ck_assert_int_eq(rtvm_irq_get_node(q), 1);
	ck_assert_str_eq(tu_list(rtvm_irq_get_effective_affinity(q)), "62");
	ck_assert_uint_eq(rtvm_irq_get_count(q, 62), 1250);

	/* Only the chip names the device. */
	q = irq(irqs, 316);
	ck_assert_str_eq(rtvm_irq_get_pci(q), "0000:00:17.0");
	ck_assert_ptr_null(rtvm_irq_get_driver(q));
	ck_assert_str_eq(rtvm_irq_get_name(q), "ahci[0000:00:17.0]");
	rtvm_irqs_unref(irqs);
	rtvm_unref(ctx);
}
END_TEST

START_TEST(test_nvme_managed)
{
	struct rtvm_ctx *ctx = tu_ctx("irqhost");
	struct rtvm_irqs *irqs = load(ctx);
	const struct rtvm_irq *q;

	q = irq(irqs, 24);
	ck_assert_str_eq(rtvm_irq_get_name(q), "nvme0q0");
	ck_assert(!rtvm_irq_is_managed(q));
	ck_assert(rtvm_irq_is_movable(q));
	for (unsigned int k = 1; k <= 64; k++) {
		q = irq(irqs, 24 + k);
		ck_assert_str_eq(rtvm_irq_get_driver(q), "nvme");
		ck_assert_str_eq(rtvm_irq_get_pci(q), "0000:5e:00.0");
		ck_assert_ptr_null(rtvm_irq_get_netdev(q));
		ck_assert_msg(rtvm_irq_is_managed(q), "nvme0q%u", k);
		ck_assert(!rtvm_irq_is_movable(q));
	}
	/* The queue of offline CPU 63: shut down. */
	q = irq(irqs, 88);
	ck_assert_str_eq(tu_list(rtvm_irq_get_affinity(q)), "63");
	ck_assert_uint_eq(rtvm_cpumask_weight(rtvm_irq_get_effective_affinity(q)), 0);
	ck_assert_uint_eq(rtvm_irq_get_total(q), 0);
	rtvm_irqs_unref(irqs);
	rtvm_unref(ctx);
}
END_TEST

START_TEST(test_percpu_and_system)
{
	struct rtvm_ctx *ctx = tu_ctx("irqhost");
	struct rtvm_irqs *irqs = load(ctx);
	const struct rtvm_irq *q;
	unsigned long long sum = 0;

	q = irq(irqs, 314);
	ck_assert_int_eq(rtvm_irq_get_kind(q), RTVM_IRQ_PERCPU);
	ck_assert_str_eq(rtvm_irq_get_name(q), "timer0");
	ck_assert_ptr_null(rtvm_irq_get_affinity(q));
	ck_assert(!rtvm_irq_is_movable(q));
	ck_assert(!rtvm_irq_is_managed(q));
	ck_assert_int_eq(rtvm_irq_get_node(q), -ENOENT);
	ck_assert_uint_eq(rtvm_irq_get_count(q, 62), 72);

	q = sysline(irqs, "LOC");
	ck_assert_ptr_null(rtvm_irq_get_chip(q));
	ck_assert_ptr_null(rtvm_irq_get_affinity(q));
	ck_assert(!rtvm_irq_is_movable(q));
	ck_assert_uint_eq(rtvm_irq_get_count(q, 0), 5120000);
	ck_assert_uint_eq(rtvm_irq_get_count(q, 62), 5120062);
	/* Offline CPU 63 has no column, beyond the mask: 0. */
	ck_assert_uint_eq(rtvm_irq_get_count(q, 63), 0);
	ck_assert_uint_eq(rtvm_irq_get_count(q, 100000), 0);
	for (unsigned int c = 0; c < 63; c++)
		sum += 5120000 + c;
	ck_assert_uint_eq(rtvm_irq_get_total(q), sum);

	q = sysline(irqs, "ERR");
	ck_assert_uint_eq(rtvm_irq_get_total(q), 3);
	ck_assert_uint_eq(rtvm_irq_get_count(q, 0), 0);
	ck_assert_uint_eq(rtvm_irq_get_total(sysline(irqs, "MIS")), 1);
	sysline(irqs, "RES");
	sysline(irqs, "CAL");
	sysline(irqs, "TLB");
	sysline(irqs, "NMI");
	rtvm_irqs_unref(irqs);
	rtvm_unref(ctx);
}
END_TEST

START_TEST(test_find_and_args)
{
	struct rtvm_ctx *ctx = tu_ctx("irqhost");
	struct rtvm_irqs *irqs = load(ctx), *none = (void *)0x1;
	const struct rtvm_irq *q = (void *)0x1;

	ck_assert_int_eq(rtvm_irqs_find(irqs, 2, &q), -ENOENT);
	ck_assert_int_eq(rtvm_irqs_find(irqs, 317, &q), -ENOENT);
	ck_assert_ptr_eq(q, (void *)0x1);
	ck_assert_int_eq(rtvm_irqs_find(NULL, 0, &q), -EINVAL);
	ck_assert_int_eq(rtvm_irqs_find(irqs, 0, NULL), -EINVAL);
	ck_assert_int_eq(rtvm_irqs_new(NULL, &none), -EINVAL);
	ck_assert_int_eq(rtvm_irqs_new(ctx, NULL), -EINVAL);
	ck_assert_ptr_eq(none, (void *)0x1);
	ck_assert_int_eq(rtvm_irq_get_number(NULL), -EINVAL);
	ck_assert_int_eq(rtvm_irq_get_kind(NULL), -EINVAL);
	ck_assert_int_eq(rtvm_irq_get_node(NULL), -EINVAL);
	ck_assert_int_eq(rtvm_irq_get_thread(NULL), -EINVAL);
	ck_assert_ptr_null(rtvm_irq_get_name(NULL));
	ck_assert_uint_eq(rtvm_irq_get_total(NULL), 0);
	ck_assert(!rtvm_irq_is_managed(NULL));
	ck_assert(!rtvm_irq_is_movable(NULL));
	ck_assert_ptr_null(rtvm_irqs_next(NULL, NULL));
	ck_assert_ptr_null(rtvm_irqs_unref(NULL));
	ck_assert_ptr_null(rtvm_irqs_ref(NULL));
	ck_assert_ptr_eq(rtvm_irqs_ref(irqs), irqs);
	rtvm_irqs_unref(irqs);
	rtvm_irqs_unref(irqs);
	rtvm_unref(ctx);
}
END_TEST

START_TEST(test_missing)
{
	struct rtvm_ctx *ctx = tu_ctx("vm2cpu");
	struct rtvm_irqs *irqs = (void *)0x1;
	char path[1024];

	snprintf(path, sizeof(path), "%s/proc/interrupts", rtvm_get_root(ctx));
	ck_assert_int_eq(unlink(path), 0);

	ck_assert_int_eq(rtvm_irqs_new(ctx, &irqs), -ENOENT);
	ck_assert_ptr_eq(irqs, (void *)0x1);
	rtvm_unref(ctx);
}
END_TEST

/* Malformed lines are skipped; an arm64 layout ("Level"/"Edge" column). */
START_TEST(test_malformed_and_arm64)
{
	struct rtvm_ctx *ctx = tu_ctx("vm2cpu");
	struct rtvm_irqs *irqs;
	const struct rtvm_irq *q;
	unsigned int n = 0;

	tu_write(ctx, "proc/interrupts",
		 "           CPU0       CPU1       CPU3\n"
		 " 11:       1200         34          5     GICv3  27 Level     arch_timer\n"
		 " 12:          7          0          0     GICv3  33 Level     uart-pl011\n"
		 " 13:          7          0                GICv3  34 Level     short\n"
		 "garbage line without colon\n"
		 " 1x:          1          2          3     GICv3  35 Edge      bad\n"
		 " 14:          1          x          3     GICv3  36 Edge      bad2\n"
		 " 15:          0          0          0  ITS-MSI 524288 Edge      nvme0q1, other\n"
		 "IPI0:      100        200        300       Rescheduling interrupts\n"
		 "Err:          9\n");
	ck_assert_int_eq(rtvm_irqs_new(ctx, &irqs), 0);
	rtvm_irqs_foreach(q, irqs)
		n++;
	ck_assert_uint_eq(n, 5);
	/* Lines 4-7 (13 is short, then no colon, "1x", an "x" count). */
	{
		unsigned int first = 0;

		ck_assert_int_eq(rtvm_irqs_get_unparsed(irqs, &first), 4);
		ck_assert_uint_eq(first, 4);
	}
	q = irq(irqs, 11);
	ck_assert_str_eq(rtvm_irq_get_chip(q), "GICv3");
	ck_assert_str_eq(rtvm_irq_get_hwirq(q), "27");
	ck_assert_str_eq(rtvm_irq_get_trigger(q), "level");
	ck_assert_str_eq(rtvm_irq_get_name(q), "arch_timer");
	ck_assert_int_eq(rtvm_irq_get_kind(q), RTVM_IRQ_PERCPU);
	ck_assert_uint_eq(rtvm_irq_get_count(q, 3), 5);
	ck_assert_uint_eq(rtvm_irq_get_count(q, 2), 0);
	ck_assert_uint_eq(rtvm_irq_get_total(q), 1239);
	ck_assert_int_eq(rtvm_irqs_find(irqs, 13, &q), -ENOENT);
	ck_assert_int_eq(rtvm_irqs_find(irqs, 14, &q), -ENOENT);
	q = irq(irqs, 15);
	ck_assert_str_eq(rtvm_irq_get_name(q), "nvme0q1, other");
	ck_assert_str_eq(rtvm_irq_get_trigger(q), "edge");
	ck_assert_ptr_null(rtvm_irq_get_affinity(q));
	ck_assert(!rtvm_irq_is_managed(q));
	q = sysline(irqs, "IPI0");
	ck_assert_uint_eq(rtvm_irq_get_count(q, 3), 300);
	ck_assert_uint_eq(rtvm_irq_get_total(sysline(irqs, "Err")), 9);
	rtvm_irqs_unref(irqs);

	/* Without a header, the file is not the interrupts file. */
	tu_write(ctx, "proc/interrupts", "  0: 1 2 IO-APIC 2-edge timer\n");
	ck_assert_int_eq(rtvm_irqs_new(ctx, &irqs), -EBADMSG);
	rtvm_unref(ctx);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("irq");
	TCase *tc = tcase_create("irq");

	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, test_counts_and_order);
	tcase_add_test(tc, test_legacy);
	tcase_add_test(tc, test_nics);
	tcase_add_test(tc, test_nvme_managed);
	tcase_add_test(tc, test_percpu_and_system);
	tcase_add_test(tc, test_find_and_args);
	tcase_add_test(tc, test_missing);
	tcase_add_test(tc, test_malformed_and_arm64);
	suite_add_tcase(s, tc);
	return tu_run(s);
}
