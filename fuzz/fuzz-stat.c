/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* /proc/PID/task/TID/stat: what parses is within its fields' ranges. */
#include "config.h"

#include <stdlib.h>

#include "librtvm-private.h"
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = fz_string(data, size);
	struct rtvm_stat_error e;
	struct rtvm_stat st;
	int r = rtvm_stat_parse(s, &st, &e);

	if (r == 0) {
		fz_assert(st.nice >= -20 && st.nice <= 19);
		fz_assert(st.rt_priority >= 0 && st.rt_priority <= 99);
		fz_assert(st.policy >= 0 && st.policy <= 7);
		fz_assert(st.last_cpu >= -1 &&
			  st.last_cpu < RTVM_CPUMASK_MAX_CPUS);
	} else {
		fz_assert(r == -EBADMSG || r == -ERANGE);
		fz_assert(e.field >= 2 && e.field <= 42);
		fz_assert(e.at >= s && e.at <= s + size);
	}
	free(s);
	return 0;
}
