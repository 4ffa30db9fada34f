/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Unit tier: the readiness-check framework, and whole-host verdicts on a
 * well-tuned RT host and on an untuned server. */
#include "config.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "librtvm-private.h"
#include "testutil.h"

static const char *const all_ids[] = {
	"kernel.preempt_rt", "kernel.config", "cmdline.isolcpus",
	"cmdline.nohz_full", "cmdline.rcu_nocbs", "cmdline.irqaffinity",
	"cmdline.misc", "sched.rt_throttling", "sched.dl_server",
	"sched.rt_group", "sched.priority_order", "sched.busy_fifo",
	"sysctl.timer_migration", "sysctl.nmi_watchdog",
	"sysctl.numa_balancing", "sysctl.stat_interval", "mm.thp", "mm.ksm",
	"mm.swap", "mm.hugepages", "mm.memlock", "pm.cstates", "pm.qos",
	"pm.governor", "irq.rt_cpus", "irq.irqbalance", "wq.cpumask",
	"clock.source", "kvm.params", "smi.count", "noise.gaps",
	"topology.smt", "topology.core_types", "topology.numa",
	"hint.usb_legacy",
};

static struct rtvm_check_report *run(struct rtvm_ctx *ctx, const char *rt,
				     const char *only)
{
	struct rtvm_check_opts o = { .size = sizeof(o), .only = only };
	struct rtvm_check_report *rep;
	struct rtvm_cpumask *m = NULL;

	if (rt) {
		m = tu_mask(64, rt);
		o.rt_cpus = m;
	}
	ck_assert_int_eq(rtvm_check_run(ctx, &o, &rep), 0);
	rtvm_cpumask_free(m);
	return rep;
}

static int status_of(struct rtvm_check_report *rep, const char *id)
{
	const struct rtvm_check_result *r;

	ck_assert_msg(rtvm_check_report_find(rep, id, &r) == 0, "no %s", id);
	return rtvm_check_result_get_status(r);
}

START_TEST(test_bad_arguments)
{
	struct rtvm_ctx *ctx = tu_ctx("host64");
	struct rtvm_check_opts o = { .size = sizeof(o) };
	struct rtvm_check_report *rep = NULL;
	struct rtvm_cpumask *m = tu_mask(64, "2,63");

	ck_assert_int_eq(rtvm_check_run(NULL, &o, &rep), -EINVAL);
	ck_assert_int_eq(rtvm_check_run(ctx, &o, NULL), -EINVAL);
	o.size = 8;
	ck_assert_int_eq(rtvm_check_run(ctx, &o, &rep), -EINVAL);
	o.size = sizeof(o);
	o.flags = 1u << 7;
	ck_assert_int_eq(rtvm_check_run(ctx, &o, &rep), -EINVAL);
	o.flags = 0;
	o.only = "no.such,check";
	ck_assert_int_eq(rtvm_check_run(ctx, &o, &rep), -EINVAL);
	o.only = NULL;
	o.rt_cpus = m; /* CPU 63 is offline */
	ck_assert_int_eq(rtvm_check_run(ctx, &o, &rep), -EINVAL);
	o.rt_cpus = NULL;
	o.flags = RTVM_CHECK_NOISE_CPU;
	o.noise_cpu = 63;
	ck_assert_int_eq(rtvm_check_run(ctx, &o, &rep), -EINVAL);
	ck_assert_ptr_null(rep);
	rtvm_cpumask_free(m);
	rtvm_unref(ctx);
}
END_TEST

START_TEST(test_defaults_and_selection)
{
	struct rtvm_ctx *ctx = tu_ctx("host64");
	struct rtvm_check_report *rep;
	const struct rtvm_check_result *r;
	unsigned int n = 0;

	/* No RT CPUs given: the isolated ones. */
	rep = run(ctx, NULL, "cmdline.,clock.source");
	ck_assert_str_eq(tu_list(rtvm_check_report_get_rt_cpus(rep)), "2-15,34-47");
	rtvm_check_report_foreach(r, rep) {
		const char *id = rtvm_check_result_get_id(r);

		ck_assert(strncmp(id, "cmdline.", 8) == 0 ||
			  strcmp(id, "clock.source") == 0);
		ck_assert_ptr_nonnull(rtvm_check_result_get_title(r));
		n++;
	}
	ck_assert_uint_eq(n, 6);
	ck_assert_int_eq(rtvm_check_report_find(rep, "mm.thp", &r), -ENOENT);
	ck_assert_ptr_eq(rtvm_check_report_ref(rep), rep);
	rtvm_check_report_unref(rep);
	rtvm_check_report_unref(rep);
	rtvm_unref(ctx);
}
END_TEST

START_TEST(test_all_ids_present)
{
	struct rtvm_ctx *ctx = tu_ctx("host64");
	struct rtvm_check_report *rep = run(ctx, "2-15,34-47", NULL);
	const struct rtvm_check_result *r;

	for (size_t i = 0; i < sizeof(all_ids) / sizeof(all_ids[0]); i++)
		ck_assert_msg(rtvm_check_report_find(rep, all_ids[i], &r) == 0,
			      "check %s is missing", all_ids[i]);
	rtvm_check_report_unref(rep);
	rtvm_unref(ctx);
}
END_TEST

/* Every result says what it saw; every warning and failure says what to
 * do; the JSON matches the report. */
static void check_report_shape(struct rtvm_check_report *rep)
{
	const struct rtvm_check_result *r;
	const cJSON *checks, *c;
	char *json;
	cJSON *root;
	unsigned int n = 0, sum = 0;

	rtvm_check_report_foreach(r, rep) {
		int st = rtvm_check_result_get_status(r);
		const char *id = rtvm_check_result_get_id(r);

		ck_assert_msg(*rtvm_check_result_get_observed(r), "%s: no observed", id);
		if (st >= RTVM_CHECK_WARN)
			ck_assert_msg(*rtvm_check_result_get_remedy(r),
				      "%s is %s without a remedy", id,
				      rtvm_check_status_to_string(st));
		n++;
	}
	ck_assert_int_eq(rtvm_check_report_to_json(rep, &json), 0);
	root = cJSON_Parse(json);
	ck_assert_ptr_nonnull(root);
	ck_assert_str_eq(cJSON_GetObjectItem(root, "verdict")->valuestring,
			 rtvm_check_status_to_string(rtvm_check_report_get_verdict(rep)));
	ck_assert_str_eq(cJSON_GetObjectItem(root, "rt_cpus")->valuestring,
			 tu_list(rtvm_check_report_get_rt_cpus(rep)));
	checks = cJSON_GetObjectItem(root, "checks");
	ck_assert_int_eq(cJSON_GetArraySize(checks), (int)n);
	cJSON_ArrayForEach(c, checks) {
		ck_assert_ptr_nonnull(cJSON_GetObjectItem(c, "id"));
		ck_assert_ptr_nonnull(cJSON_GetObjectItem(c, "remedy"));
	}
	for (int s = RTVM_CHECK_PASS; s <= RTVM_CHECK_FAIL; s++)
		sum += rtvm_check_report_get_count(rep, s);
	ck_assert_uint_eq(sum, n);
	cJSON_Delete(root);
	free(json);
}

START_TEST(test_tuned_host_passes)
{
	struct rtvm_ctx *ctx = tu_ctx("rthost");
	struct rtvm_check_report *rep = run(ctx, "2-15,34-47", NULL);
	const struct rtvm_check_result *r;

	rtvm_check_report_foreach(r, rep)
		ck_assert_msg(rtvm_check_result_get_status(r) < RTVM_CHECK_WARN,
			      "tuned host: %s is %s: %s",
			      rtvm_check_result_get_id(r),
			      rtvm_check_status_to_string(rtvm_check_result_get_status(r)),
			      rtvm_check_result_get_observed(r));
	ck_assert_int_eq(rtvm_check_report_get_verdict(rep), RTVM_CHECK_PASS);
	/* The noise detector is off without a duration, and needs the real
	 * CPUs anyway. */
	ck_assert_int_eq(status_of(rep, "noise.gaps"), RTVM_CHECK_SKIP);
	check_report_shape(rep);
	rtvm_check_report_unref(rep);
	rtvm_unref(ctx);
}
END_TEST

START_TEST(test_untuned_server_fails)
{
	static const char *const bad[] = {
		"kernel.preempt_rt", "cmdline.isolcpus", "cmdline.nohz_full",
		"cmdline.rcu_nocbs", "sched.rt_throttling", "sched.rt_group",
		"sysctl.timer_migration", "sysctl.nmi_watchdog", "mm.thp",
		"mm.ksm", "mm.swap", "pm.cstates", "pm.governor",
		"irq.irqbalance", "wq.cpumask", "kvm.params",
	};
	struct rtvm_ctx *ctx = tu_ctx("untuned");
	struct rtvm_check_report *rep = run(ctx, "2-15,34-47", NULL);

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		ck_assert_msg(status_of(rep, bad[i]) >= RTVM_CHECK_WARN,
			      "untuned server: %s is %s", bad[i],
			      rtvm_check_status_to_string(status_of(rep, bad[i])));
	ck_assert_int_eq(rtvm_check_report_get_verdict(rep), RTVM_CHECK_FAIL);
	ck_assert_uint_gt(rtvm_check_report_get_count(rep, RTVM_CHECK_FAIL), 0);
	check_report_shape(rep);
	rtvm_check_report_unref(rep);
	rtvm_unref(ctx);
}
END_TEST

START_TEST(test_noise_needs_real_cpus)
{
	struct rtvm_ctx *ctx = tu_ctx("host64");
	struct rtvm_check_opts o = { .size = sizeof(o), .only = "noise.gaps",
				     .noise_ms = 100 };
	struct rtvm_check_report *rep;
	const struct rtvm_check_result *r;

	ck_assert_int_eq(rtvm_check_run(ctx, &o, &rep), 0);
	ck_assert_int_eq(rtvm_check_report_find(rep, "noise.gaps", &r), 0);
	ck_assert_int_eq(rtvm_check_result_get_status(r), RTVM_CHECK_SKIP);
	ck_assert_int_eq(rtvm_check_report_get_verdict(rep), RTVM_CHECK_PASS);
	rtvm_check_report_unref(rep);
	rtvm_unref(ctx);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("check");
	TCase *tc = tcase_create("check");

	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, test_bad_arguments);
	tcase_add_test(tc, test_defaults_and_selection);
	tcase_add_test(tc, test_all_ids_present);
	tcase_add_test(tc, test_tuned_host_passes);
	tcase_add_test(tc, test_untuned_server_fails);
	tcase_add_test(tc, test_noise_needs_real_cpus);
	suite_add_tcase(s, tc);
	return tu_run(s);
}
