/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include <ctype.h>
#include <stdio.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "librtvm-private.h"

int rtvm_parse_int(const char *s, int *ret)
{
	char *end;
	long v;

	if (!s || !*s)
		return -EINVAL;
	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || end == s || *end || v < INT_MIN || v > INT_MAX)
		return -EINVAL;
	*ret = (int)v;
	return 0;
}

int rtvm_parse_u64(const char *s, uint64_t *ret)
{
	unsigned long long v;
	char *end;

	if (!s || !isdigit((unsigned char)*s))
		return -EINVAL;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno || *end)
		return -EINVAL;
	*ret = v;
	return 0;
}

char *rtvm_strip(char *s)
{
	size_t n;

	while (isspace((unsigned char)*s))
		s++;
	n = strlen(s);
	while (n && isspace((unsigned char)s[n - 1]))
		s[--n] = '\0';
	return s;
}

int rtvm_stat_parse(const char *buf, struct rtvm_stat *ret)
{
	const char *open = strchr(buf, '('), *close = strrchr(buf, ')'), *p;
	struct rtvm_stat st = {0};
	int field;

	if (!open || !close || close < open)
		return -EIO;
	snprintf(st.comm, sizeof(st.comm), "%.*s", (int)(close - open - 1),
		 open + 1);
	/* Walk fields 3 .. 41 (proc(5) numbering), parsing only those kept. */
	for (p = close + 1, field = 3; field <= 41; field++) {
		long long v = 0;
		char *end;

		while (*p == ' ')
			p++;
		if (!*p)
			return -EIO;
		switch (field) {
		case 9: case 19: case 22: case 39: case 40: case 41:
			v = strtoll(p, &end, 10);
			if (end == p)
				return -EIO;
			p = end;
			break;
		default:
			p += strcspn(p, " ");
			continue;
		}
		switch (field) {
		case 9: st.flags = (unsigned int)v; break;
		case 19: st.nice = (int)v; break;
		case 22: st.start = (unsigned long long)v; break;
		case 39: st.last_cpu = (int)v; break;
		case 40: st.rt_priority = (int)v; break;
		case 41: st.policy = (int)(v & ~0x40000000LL); break;
		}
	}
	*ret = st;
	return 0;
}
