/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* A boost policy from a JSON object (boost-policy-json.h). */
#include "config.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "boost-policy-json.h"

static const struct {
	const char *key;
	size_t off;
	unsigned long max;
} nums[] = {
	{ "max_priority", offsetof(struct rtvm_boost_policy, max_priority), 99 },
	{ "max_boost_us", offsetof(struct rtvm_boost_policy, max_boost_us), UINT_MAX },
	{ "budget_us", offsetof(struct rtvm_boost_policy, budget_us), UINT_MAX },
	{ "budget_period_us", offsetof(struct rtvm_boost_policy, budget_period_us),
	  UINT_MAX },
	{ "rate", offsetof(struct rtvm_boost_policy, rate), 1000000000 },
	{ "burst", offsetof(struct rtvm_boost_policy, burst), UINT_MAX },
	{ "max_lead_us", offsetof(struct rtvm_boost_policy, max_lead_us), UINT_MAX },
};

__attribute__((format(printf, 3, 4)))
static int refuse(struct boost_policy_json_error *e, const char *where,
		  const char *fmt, ...)
{
	va_list ap;

	snprintf(e->where, sizeof(e->where), "%s", where);
	va_start(ap, fmt);
	vsnprintf(e->what, sizeof(e->what), fmt, ap);
	va_end(ap);
	return -EINVAL;
}

/* A short text of @v, for a message; NULL when out of memory. */
static char *text_of(const cJSON *v)
{
	char *s = cJSON_PrintUnformatted(v);

	if (s && strlen(s) > 40)
		strcpy(s + 37, "...");
	return s;
}

static int bad_value(struct boost_policy_json_error *e, const char *where,
		     const cJSON *v, const char *why)
{
	char *s = text_of(v);

	if (!s)
		return -ENOMEM;
	refuse(e, where, "%s %s", s, why);
	free(s);
	return -EINVAL;
}

static int get_policies(const cJSON *a, unsigned int *ret,
			struct boost_policy_json_error *e)
{
	static const struct {
		const char *name;
		unsigned int bit;
	} names[] = {
		{ "fifo", RTVM_BOOST_ALLOW(RTVM_BOOST_SCHED_FIFO) },
		{ "rr", RTVM_BOOST_ALLOW(RTVM_BOOST_SCHED_RR) },
		{ "deadline", RTVM_BOOST_ALLOW(RTVM_BOOST_SCHED_DEADLINE) },
	};
	const cJSON *n;
	unsigned int mask = 0;
	int i = 0;

	if (!cJSON_IsArray(a))
		return bad_value(e, ".policies", a,
				 "is not a list of \"fifo\", \"rr\", \"deadline\"");
	cJSON_ArrayForEach(n, a) {
		char where[32];
		size_t k;

		snprintf(where, sizeof(where), ".policies[%d]", i++);
		for (k = 0; k < sizeof(names) / sizeof(names[0]); k++)
			if (cJSON_IsString(n) &&
			    strcmp(n->valuestring, names[k].name) == 0)
				break;
		if (k == sizeof(names) / sizeof(names[0]))
			return bad_value(e, where, n,
					 "is not a policy (fifo, rr or deadline)");
		mask |= names[k].bit;
	}
	*ret = mask;
	return 0;
}

int boost_policy_from_json(const cJSON *o, struct rtvm_boost_policy *pol,
			   struct boost_policy_json_error *e)
{
	const cJSON *m;
	int r;

	*e = (struct boost_policy_json_error){0};
	if (!cJSON_IsObject(o))
		return bad_value(e, "", o, "is not an object");
	pol->size = sizeof(*pol);
	cJSON_ArrayForEach(m, o) {
		char where[sizeof(e->where)];
		double d = m->valuedouble;
		size_t i;

		snprintf(where, sizeof(where), ".%s", m->string);
		if (strcmp(m->string, "policies") == 0) {
			if ((r = get_policies(m, &pol->policies, e)) < 0)
				return r;
			continue;
		}
		for (i = 0; i < sizeof(nums) / sizeof(nums[0]); i++)
			if (strcmp(m->string, nums[i].key) == 0)
				break;
		if (i == sizeof(nums) / sizeof(nums[0]))
			return refuse(e, where, "unknown key");
		if (!cJSON_IsNumber(m) || d < 0 || d > (double)nums[i].max ||
		    d != (double)(unsigned long)d) {
			char why[64];

			snprintf(why, sizeof(why), "is not a whole number in 0..%lu",
				 nums[i].max);
			return bad_value(e, where, m, why);
		}
		*(unsigned int *)((char *)pol + nums[i].off) = (unsigned int)d;
	}
	if (pol->budget_period_us && pol->budget_us > pol->budget_period_us)
		return refuse(e, "", "budget_us %u is longer than budget_period_us %u",
			      pol->budget_us, pol->budget_period_us);
	if (!pol->budget_period_us && pol->budget_us)
		return refuse(e, "", "budget_us %u needs budget_period_us",
			      pol->budget_us);
	return 0;
}
