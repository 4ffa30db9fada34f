/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Host readiness: run the check tables of each area against one host and
 * RT CPU set, and collect one verdict with reasons and remedies.
 */
#include "config.h"

#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "check-private.h"

#define DEFAULT_MAX_EXIT_LATENCY_US 10
#define DEFAULT_NOISE_THRESHOLD_US 20

struct detail {
	int cpu;
	char *text;
};

struct rtvm_check_result {
	const struct rtvm_check_def *def;
	int status;
	char *observed;
	char *expected;
	char *remedy;
	struct detail *details;
	unsigned int nr_details;
	void *state; /* from def->sample() */
};

struct rtvm_check_report {
	int refcount;
	struct rtvm_cpumask *rt;
	struct rtvm_check_result *results;
	unsigned int nr;
};

static const struct rtvm_check_def *const tables[] = {
	rtvm_checks_kernel,
	rtvm_checks_hw,
	rtvm_checks_sched,
	rtvm_checks_noise,
};

static const char *const status_names[] = {
	[RTVM_CHECK_PASS] = "pass", [RTVM_CHECK_INFO] = "info",
	[RTVM_CHECK_SKIP] = "skip", [RTVM_CHECK_WARN] = "warn",
	[RTVM_CHECK_FAIL] = "fail",
};

RTVM_EXPORT const char *rtvm_check_status_to_string(int status)
{
	if (status < 0 || (size_t)status >= ARRAY_SIZE(status_names))
		return NULL;
	return status_names[status];
}

/* ---- filling results -------------------------------------------------- */

static void vset(char **field, const char *fmt, va_list ap)
{
	char *s;

	if (vasprintf(&s, fmt, ap) < 0)
		return; /* out of memory: the field stays as it was */
	free(*field);
	*field = s;
}

void rtvm_check_set_status(struct rtvm_check_result *res, int status)
{
	if (rtvm_check_status_to_string(status))
		res->status = status;
}

void rtvm_check_worsen(struct rtvm_check_result *res, int status)
{
	if (rtvm_check_status_to_string(status) && status > res->status)
		res->status = status;
}

#define SETTER(name, field)                                                \
	void name(struct rtvm_check_result *res, const char *fmt, ...)       \
	{                                                                    \
		va_list ap;                                                  \
                                                                             \
		va_start(ap, fmt);                                           \
		vset(&res->field, fmt, ap);                                  \
		va_end(ap);                                                  \
	}
SETTER(rtvm_check_set_observed, observed)
SETTER(rtvm_check_set_expected, expected)
SETTER(rtvm_check_set_remedy, remedy)

void rtvm_check_add_detail(struct rtvm_check_result *res, int cpu,
			   const char *fmt, ...)
{
	struct detail *n;
	char *text;
	va_list ap;
	int r;

	va_start(ap, fmt);
	r = vasprintf(&text, fmt, ap);
	va_end(ap);
	if (r < 0)
		return;
	n = realloc(res->details, (res->nr_details + 1) * sizeof(*n));
	if (!n) {
		free(text);
		return;
	}
	res->details = n;
	n[res->nr_details++] = (struct detail){ cpu, text };
}

/* ---- selecting checks ------------------------------------------------- */

/* Whether @id is selected by @only: a list of ids and "prefix." items. */
static bool selected(const char *only, const char *id)
{
	if (!only)
		return true;
	for (const char *s = only; *s;) {
		size_t n = strcspn(s, ", ");

		if (n && ((s[n - 1] == '.' && strncmp(id, s, n) == 0) ||
			  (strlen(id) == n && strncmp(id, s, n) == 0)))
			return true;
		s += n;
		s += strspn(s, ", ");
	}
	return false;
}

/* ---- the run ---------------------------------------------------------- */

static void result_clear(struct rtvm_check_result *r)
{
	if (r->state && r->def->free_state)
		r->def->free_state(r->state);
	free(r->observed);
	free(r->expected);
	free(r->remedy);
	for (unsigned int i = 0; i < r->nr_details; i++)
		free(r->details[i].text);
	free(r->details);
}

static int env_setup(struct rtvm_ctx *ctx, const struct rtvm_check_opts *o,
		     struct rtvm_check_env *env, struct rtvm_cpumask **rt,
		     struct rtvm_cpumask **hk)
{
	const struct rtvm_cpumask *online;
	int r, cpu;

	r = rtvm_host_new(ctx, 0, &env->host);
	if (r < 0)
		return r;
	online = rtvm_host_get_cpus(env->host, RTVM_CPUS_ONLINE);
	if ((r = rtvm_cpumask_new(ctx, rt)) < 0 ||
	    (r = rtvm_cpumask_new(ctx, hk)) < 0)
		return r;
	r = rtvm_cpumask_op(*rt, RTVM_CPUMASK_COPY,
			    o->rt_cpus ? o->rt_cpus :
					 rtvm_host_get_cpus(env->host,
							    RTVM_CPUS_ISOLATED));
	if (r < 0 || !rtvm_cpumask_subset(*rt, online)) {
		struct rtvm_cpumask *bad = NULL;

		if (rtvm_cpumask_dup(o->rt_cpus, &bad) == 0 &&
		    rtvm_cpumask_op(bad, RTVM_CPUMASK_ANDNOT, online) == 0) {
			char *list = NULL;

			rtvm_cpumask_format_list(bad, &list);
			err(ctx, "RT CPUs %s are not online CPUs of this host",
			    list ? list : "?");
			free(list);
		}
		rtvm_cpumask_free(bad);
		return -EINVAL;
	}
	rtvm_cpumask_op(*hk, RTVM_CPUMASK_COPY, online);
	rtvm_cpumask_op(*hk, RTVM_CPUMASK_ANDNOT, *rt);
	env->ctx = ctx;
	env->rt = *rt;
	env->housekeeping = *hk;
	env->max_exit_latency_us = o->max_exit_latency_us ?
					   o->max_exit_latency_us :
					   DEFAULT_MAX_EXIT_LATENCY_US;
	env->sample_ms = o->sample_ms;
	env->noise_ms = o->noise_ms;
	env->noise_threshold_us = o->noise_threshold_us ?
					  o->noise_threshold_us :
					  DEFAULT_NOISE_THRESHOLD_US;
	if (o->vm_pid < 0) {
		err(ctx, "VM pid %d is not a process id", (int)o->vm_pid);
		return -EINVAL;
	}
	env->vm_pid = o->vm_pid;
	if (o->flags & RTVM_CHECK_NOISE_CPU) {
		if (!rtvm_cpumask_test(online, o->noise_cpu)) {
			err(ctx, "noise CPU %u is not an online CPU",
			    o->noise_cpu);
			return -EINVAL;
		}
		env->noise_cpu = (int)o->noise_cpu;
	} else {
		/* The last RT CPU: CPU 0 is the likeliest housekeeper. */
		env->noise_cpu = -1;
		rtvm_cpumask_foreach(cpu, *rt)
			env->noise_cpu = cpu;
	}
	return 0;
}

static void sleep_ms(unsigned int ms)
{
	struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000 };

	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

RTVM_EXPORT int rtvm_check_run(struct rtvm_ctx *ctx,
			       const struct rtvm_check_opts *opts,
			       struct rtvm_check_report **ret)
{
	struct rtvm_check_opts defaults = { .size = sizeof(defaults) };
	struct rtvm_check_env env = {0};
	struct rtvm_cpumask *rt = NULL, *hk = NULL;
	struct rtvm_check_report *rep = NULL;
	unsigned int n = 0;
	int r;

	if (!ctx || !ret)
		return -EINVAL;
	if (!opts)
		opts = &defaults;
	if (opts->size != sizeof(*opts) || (opts->flags & ~RTVM_CHECK_NOISE_CPU))
		return -EINVAL;
	for (size_t t = 0; t < ARRAY_SIZE(tables); t++)
		for (const struct rtvm_check_def *d = tables[t]; d->id; d++)
			n += selected(opts->only, d->id);
	if (n == 0) {
		err(ctx, "no check is called \"%s\"", opts->only);
		return -EINVAL;
	}
	r = env_setup(ctx, opts, &env, &rt, &hk);
	if (r < 0)
		goto out;
	rep = calloc(1, sizeof(*rep));
	if (!rep || !(rep->results = calloc(n, sizeof(*rep->results)))) {
		r = -ENOMEM;
		goto out;
	}
	rep->refcount = 1;
	for (size_t t = 0; t < ARRAY_SIZE(tables); t++)
		for (const struct rtvm_check_def *d = tables[t]; d->id; d++)
			if (selected(opts->only, d->id))
				rep->results[rep->nr++].def = d;
	/* Counters first, so that the whole run lies between two samples. */
	for (unsigned int i = 0; i < rep->nr; i++) {
		struct rtvm_check_result *res = &rep->results[i];

		if (res->def->sample &&
		    (r = res->def->sample(&env, &res->state)) < 0) {
			rtvm_check_set_status(res, RTVM_CHECK_SKIP);
			rtvm_check_set_observed(res, "cannot sample: %s",
						strerror(-r));
		}
	}
	if (env.sample_ms)
		sleep_ms(env.sample_ms);
	for (unsigned int i = 0; i < rep->nr; i++) {
		struct rtvm_check_result *res = &rep->results[i];

		if (res->status == RTVM_CHECK_SKIP && res->observed)
			continue; /* its sample failed */
		r = res->def->run(&env, res->state, res);
		if (r < 0) {
			rtvm_check_set_status(res, RTVM_CHECK_SKIP);
			rtvm_check_set_observed(res, "cannot check: %s",
						strerror(-r));
		}
		dbg(ctx, "check %s: %s", res->def->id,
		    status_names[res->status]);
	}
	rep->rt = rt;
	rt = NULL;
	*ret = rep;
	rep = NULL;
	r = 0;
out:
	rtvm_check_report_unref(rep);
	rtvm_cpumask_free(rt);
	rtvm_cpumask_free(hk);
	rtvm_host_unref(env.host);
	return r;
}

RTVM_EXPORT struct rtvm_check_report *
rtvm_check_report_ref(struct rtvm_check_report *report)
{
	if (report)
		report->refcount++;
	return report;
}

RTVM_EXPORT struct rtvm_check_report *
rtvm_check_report_unref(struct rtvm_check_report *report)
{
	if (!report || --report->refcount > 0)
		return NULL;
	for (unsigned int i = 0; report->results && i < report->nr; i++)
		result_clear(&report->results[i]);
	free(report->results);
	rtvm_cpumask_free(report->rt);
	free(report);
	return NULL;
}

RTVM_EXPORT int
rtvm_check_report_get_verdict(const struct rtvm_check_report *report)
{
	int v = RTVM_CHECK_PASS;

	if (!report)
		return -EINVAL;
	for (unsigned int i = 0; i < report->nr; i++)
		if (report->results[i].status >= RTVM_CHECK_WARN &&
		    report->results[i].status > v)
			v = report->results[i].status;
	return v;
}

RTVM_EXPORT unsigned int
rtvm_check_report_get_count(const struct rtvm_check_report *report,
			    int status)
{
	unsigned int n = 0;

	if (!report)
		return 0;
	for (unsigned int i = 0; i < report->nr; i++)
		n += report->results[i].status == status;
	return n;
}

RTVM_EXPORT const struct rtvm_cpumask *
rtvm_check_report_get_rt_cpus(const struct rtvm_check_report *report)
{
	return report ? report->rt : NULL;
}

RTVM_EXPORT const struct rtvm_check_result *
rtvm_check_report_next(const struct rtvm_check_report *report,
		       const struct rtvm_check_result *prev)
{
	size_t i;

	if (!report || !report->nr)
		return NULL;
	i = prev ? (size_t)(prev - report->results) + 1 : 0;
	return i < report->nr ? &report->results[i] : NULL;
}

RTVM_EXPORT int rtvm_check_report_find(const struct rtvm_check_report *report,
				       const char *id,
				       const struct rtvm_check_result **ret)
{
	if (!report || !id || !ret)
		return -EINVAL;
	for (unsigned int i = 0; i < report->nr; i++) {
		if (strcmp(report->results[i].def->id, id) == 0) {
			*ret = &report->results[i];
			return 0;
		}
	}
	return -ENOENT;
}

RTVM_EXPORT int rtvm_check_report_to_json(const struct rtvm_check_report *report,
					  char **ret)
{
	cJSON *root, *checks, *counts;
	char *rt = NULL, *out;

	if (!report || !ret)
		return -EINVAL;
	if (rtvm_cpumask_format_list(report->rt, &rt) < 0)
		return -ENOMEM;
	root = cJSON_CreateObject();
	if (!root ||
	    !cJSON_AddStringToObject(root, "verdict",
				     status_names[rtvm_check_report_get_verdict(report)]) ||
	    !cJSON_AddStringToObject(root, "rt_cpus", rt) ||
	    !(counts = cJSON_AddObjectToObject(root, "counts")) ||
	    !(checks = cJSON_AddArrayToObject(root, "checks")))
		goto nomem;
	for (int s = 0; s < (int)ARRAY_SIZE(status_names); s++)
		if (!cJSON_AddNumberToObject(counts, status_names[s],
					     rtvm_check_report_get_count(report, s)))
			goto nomem;
	for (unsigned int i = 0; i < report->nr; i++) {
		const struct rtvm_check_result *r = &report->results[i];
		cJSON *o = cJSON_CreateObject(), *details;

		if (!o)
			goto nomem;
		cJSON_AddItemToArray(checks, o);
		if (!cJSON_AddStringToObject(o, "id", r->def->id) ||
		    !cJSON_AddStringToObject(o, "title", r->def->title) ||
		    !cJSON_AddStringToObject(o, "status", status_names[r->status]) ||
		    !cJSON_AddStringToObject(o, "observed", r->observed ? r->observed : "") ||
		    !cJSON_AddStringToObject(o, "expected", r->expected ? r->expected : "") ||
		    !cJSON_AddStringToObject(o, "remedy", r->remedy ? r->remedy : "") ||
		    !(details = cJSON_AddArrayToObject(o, "details")))
			goto nomem;
		for (unsigned int k = 0; k < r->nr_details; k++) {
			cJSON *d = cJSON_CreateObject();

			if (!d)
				goto nomem;
			cJSON_AddItemToArray(details, d);
			if (!cJSON_AddNumberToObject(d, "cpu", r->details[k].cpu) ||
			    !cJSON_AddStringToObject(d, "text", r->details[k].text))
				goto nomem;
		}
	}
	out = cJSON_Print(root);
	cJSON_Delete(root);
	free(rt);
	if (!out)
		return -ENOMEM;
	*ret = out;
	return 0;
nomem:
	cJSON_Delete(root);
	free(rt);
	return -ENOMEM;
}

#define GETTER(name, field)                                                \
	RTVM_EXPORT const char *name(const struct rtvm_check_result *r)     \
	{                                                                  \
		if (!r)                                                    \
			return NULL;                                       \
		return r->field ? r->field : "";                           \
	}
GETTER(rtvm_check_result_get_observed, observed)
GETTER(rtvm_check_result_get_expected, expected)
GETTER(rtvm_check_result_get_remedy, remedy)

RTVM_EXPORT const char *rtvm_check_result_get_id(const struct rtvm_check_result *r)
{
	return r ? r->def->id : NULL;
}

RTVM_EXPORT const char *
rtvm_check_result_get_title(const struct rtvm_check_result *r)
{
	return r ? r->def->title : NULL;
}

RTVM_EXPORT int rtvm_check_result_get_status(const struct rtvm_check_result *r)
{
	return r ? r->status : -EINVAL;
}

RTVM_EXPORT unsigned int
rtvm_check_result_get_nr_details(const struct rtvm_check_result *r)
{
	return r ? r->nr_details : 0;
}

RTVM_EXPORT int rtvm_check_result_get_detail(const struct rtvm_check_result *r,
					     unsigned int index, int *ret_cpu,
					     const char **ret_text)
{
	if (!r || !ret_cpu || !ret_text)
		return -EINVAL;
	if (index >= r->nr_details)
		return -ENOENT;
	*ret_cpu = r->details[index].cpu;
	*ret_text = r->details[index].text;
	return 0;
}
