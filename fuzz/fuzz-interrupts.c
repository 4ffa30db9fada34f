/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* /proc/interrupts, through the whole inventory (chip, hwirq, trigger,
 * actions of each line) and the readiness check's own pass over it. */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct rtvm_ctx *ctx = fz_ctx();
	struct rtvm_irqs *irqs = NULL;
	const struct rtvm_irq *q;
	unsigned int first = 0;

	fz_write("sys/devices/system/cpu/possible", "0-7\n", 4);
	fz_write("proc/interrupts", data, size);
	if (rtvm_irqs_new(ctx, &irqs) == 0) {
		int bad = rtvm_irqs_get_unparsed(irqs, &first);

		fz_assert(bad >= 0 && (bad == 0) == (first == 0));
		rtvm_irqs_foreach(q, irqs) {
			const char *name = rtvm_irq_get_name(q);

			fz_assert(name != NULL);
			(void)strlen(name);
			(void)rtvm_irq_get_total(q);
			(void)rtvm_irq_get_count(q, 0);
			(void)rtvm_irq_get_chip(q);
			(void)rtvm_irq_get_trigger(q);
		}
		rtvm_irqs_unref(irqs);
	}
	rtvm_unref(ctx);
	return 0;
}
