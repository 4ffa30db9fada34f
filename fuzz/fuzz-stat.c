/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* /proc/PID/task/TID/stat: what parses is within its fields' ranges, and
 * what does not is said (through a log callback that formats it). */
#include "config.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include "librtvm-private.h"
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void log_format(struct rtvm_ctx *ctx, int priority, const char *file,
		       int line, const char *fn, const char *format,
		       va_list args)
{
	char buf[512];

	(void)ctx, (void)priority, (void)file, (void)line, (void)fn;
	vsnprintf(buf, sizeof(buf), format, args);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct rtvm_ctx *ctx;
	char *s = fz_string(data, size);
	struct rtvm_stat st2;
	struct rtvm_stat_error e;
	struct rtvm_stat st;
	int r = rtvm_stat_parse(s, &st, &e);

	if (!ctx) {
		ctx = fz_ctx();
		rtvm_set_log_fn(ctx, log_format);
	}
	fz_assert(rtvm_stat_parse_log(ctx, (struct rtvm_tid){ 1, 1 }, s,
				      &st2) == r);

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
