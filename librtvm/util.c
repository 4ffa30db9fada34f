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

int rtvm_parse_uint(const char *s, unsigned int max, unsigned int *ret)
{
	unsigned long long v = 0;

	if (!*s || (s[0] == '0' && s[1]))
		return -EINVAL;
	for (; *s; s++) {
		if (!isdigit((unsigned char)*s))
			return -EINVAL;
		v = v * 10 + (unsigned int)(*s - '0');
		if (v > max)
			return -ERANGE;
	}
	*ret = (unsigned int)v;
	return 0;
}

bool rtvm_parse_pid(const char *s, pid_t *ret)
{
	unsigned int v;

	if (rtvm_parse_uint(s, RTVM_PID_MAX, &v) < 0 || v == 0)
		return false;
	*ret = (pid_t)v;
	return true;
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

/* One decimal field of a stat line at *p, within min..max; the field must
 * end at a blank or the end of the line. */
static int stat_field(const char **p, long long min, long long max,
		      long long *ret)
{
	const char *s = *p;
	char *end;
	long long v;

	if (!isdigit((unsigned char)*s) &&
	    !(*s == '-' && isdigit((unsigned char)s[1])))
		return -EBADMSG;
	errno = 0;
	if (*s == '-') {
		v = strtoll(s, &end, 10);
	} else {
		unsigned long long u = strtoull(s, &end, 10);

		if (!errno && u > (unsigned long long)LLONG_MAX)
			errno = ERANGE;
		v = (long long)u;
	}
	if (*end && *end != ' ' && *end != '\n')
		return -EBADMSG;
	if (errno == ERANGE || v < min || v > max)
		return -ERANGE;
	*p = end;
	*ret = v;
	return 0;
}

int rtvm_stat_parse(const char *buf, struct rtvm_stat *ret,
		    struct rtvm_stat_error *ret_err)
{
	const char *open = strchr(buf, '('), *close = strrchr(buf, ')'), *p = NULL;
	struct rtvm_stat st = {0};
	int field = 2, r = -EBADMSG;

	if (!open || !close || close < open || close - open - 1 > 64)
		goto bad;
	snprintf(st.comm, sizeof(st.comm), "%.*s", (int)(close - open - 1),
		 open + 1);
	/* Walk fields 3 .. 41 (proc(5) numbering), parsing only those kept;
	 * the others must be there, one word each, and field 42 too (every
	 * kernel since 2.6.18 writes it), which ends the policy. */
	for (p = close + 1, field = 3; field <= 42; field++) {
		long long v = 0;

		if (*p != ' ') {
			r = -EBADMSG;
			goto bad;
		}
		p++;
		switch (field) {
		case 9: r = stat_field(&p, 0, UINT_MAX, &v); break;
		case 14: case 15: r = stat_field(&p, 0, LLONG_MAX, &v); break;
		case 19: r = stat_field(&p, -20, 19, &v); break;
		case 22: r = stat_field(&p, 0, LLONG_MAX, &v); break;
		case 39: r = stat_field(&p, -1, RTVM_CPUMASK_MAX_CPUS - 1, &v); break;
		case 40: r = stat_field(&p, 0, 99, &v); break;
		case 41: r = stat_field(&p, 0, 7, &v); break; /* SCHED_EXT */
		default:
			r = *p && *p != ' ' ? 0 : -EBADMSG;
			p += strcspn(p, " ");
			break;
		}
		if (r < 0)
			goto bad;
		switch (field) {
		case 9: st.flags = (unsigned int)v; break;
		case 14: st.utime = (unsigned long long)v; break;
		case 15: st.stime = (unsigned long long)v; break;
		case 19: st.nice = (int)v; break;
		case 22: st.start = (unsigned long long)v; break;
		case 39: st.last_cpu = (int)v; break;
		case 40: st.rt_priority = (int)v; break;
		case 41: st.policy = (int)v; break;
		}
	}
	*ret = st;
	return 0;
bad:
	if (ret_err)
		*ret_err = (struct rtvm_stat_error){ field, p ? p : buf };
	return r;
}

int rtvm_stat_parse_log(struct rtvm_ctx *ctx, struct rtvm_tid t,
			const char *buf, struct rtvm_stat *ret)
{
	static const char *const names[43] = {
		[2] = "comm", [9] = "flags", [14] = "utime",
		[15] = "stime", [19] = "nice", [22] = "starttime",
		[39] = "processor", [40] = "rt_priority", [41] = "policy",
	};
	struct rtvm_stat_error e = {0};
	int r = rtvm_stat_parse(buf, ret, &e);

	if (r < 0)
		err(ctx, "%s/%d/task/%d/stat: field %d%s%s%s %s: \"%.*s\"",
		    rtvm_fs_top(RTVM_FS_PROC), (int)t.pid, (int)t.tid, e.field,
		    names[e.field] ? " (" : "",
		    names[e.field] ? names[e.field] : "",
		    names[e.field] ? ")" : "",
		    r == -ERANGE ? "is out of its range" : "does not parse",
		    (int)strcspn(e.at, " \n") > 40 ? 40 : (int)strcspn(e.at, " \n"),
		    e.at);
	return r;
}

int rtvm_stat_read(struct rtvm_ctx *ctx, struct rtvm_tid t,
		   struct rtvm_stat *ret)
{
	char buf[1024];
	int r;

	r = rtvm_fs_read(ctx, RTVM_FS_PROC, buf, sizeof(buf), "%d/task/%d/stat",
			 (int)t.pid, (int)t.tid);
	if (r == -ENOENT)
		return -ESRCH;
	if (r < 0)
		return r;
	return rtvm_stat_parse_log(ctx, t, buf, ret);
}
