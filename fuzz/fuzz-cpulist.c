/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* CPU lists and hex masks: what parses formats back to the same mask. */
#include <stdlib.h>

#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void round_trip(struct rtvm_cpumask *m, unsigned int nr, bool hex)
{
	struct rtvm_cpumask *again = NULL;
	char *text = NULL;

	fz_assert((hex ? rtvm_cpumask_format_hex(m, &text) :
			 rtvm_cpumask_format_list(m, &text)) == 0);
	fz_assert(rtvm_cpumask_new_nr(nr, &again) == 0);
	fz_assert((hex ? rtvm_cpumask_parse_hex(again, text,
						RTVM_CPUMASK_ALLOW_EMPTY) :
			 rtvm_cpumask_parse_list(again, text,
						 RTVM_CPUMASK_ALLOW_EMPTY)) == 0);
	fz_assert(rtvm_cpumask_equal(m, again));
	rtvm_cpumask_free(again);
	free(text);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* The first byte picks the mask's size and the flags. */
	unsigned int nr = size ? 1u + (unsigned int)data[0] * 32u : 64;
	unsigned int flags = size && (data[0] & 1) ? RTVM_CPUMASK_ALLOW_EMPTY : 0;
	char *s = fz_string(size ? data + 1 : data, size ? size - 1 : 0);
	struct rtvm_cpumask *m = NULL;

	fz_assert(rtvm_cpumask_new_nr(nr, &m) == 0);
	if (rtvm_cpumask_parse_list(m, s, flags) == 0)
		round_trip(m, nr, false);
	if (rtvm_cpumask_parse_hex(m, s, flags) == 0)
		round_trip(m, nr, true);
	rtvm_cpumask_free(m);
	free(s);
	return 0;
}
