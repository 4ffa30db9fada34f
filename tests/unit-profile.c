/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Unit tier: profile parsing.  A table of malformed profiles, each with
 * the error path (and value) its log line must name; the built-ins and a
 * full profile parse. */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <time.h>

#include "tune.h"
#include "testutil.h"

static char log_last[512];

static void log_capture(struct rtvm_ctx *ctx, int priority, const char *file,
			int line, const char *fn, const char *format,
			va_list args)
{
	if (priority <= LOG_ERR)
		vsnprintf(log_last, sizeof(log_last), format, args);
}

static struct rtvm_ctx *new_ctx(void)
{
	struct rtvm_ctx *ctx;

	ck_assert_int_eq(rtvm_new(&ctx), 0);
	rtvm_set_log_fn(ctx, log_capture);
	log_last[0] = '\0';
	return ctx;
}

#define V "\"version\": 1, "

static const struct {
	const char *json;
	const char *expect; /* in the log line: "profile: PATH: ..." */
} bad[] = {
	{ "[1]", "profile: .: [1] is not an object" },
	{ "{}", ".version: missing" },
	{ "{\"version\": 2}", ".version: 2 is not supported" },
	{ "{\"version\": \"1\"}", ".version: \"1\" is not a number" },
	{ "{\"version\": 1.5}", ".version: 1.5 is not an integer" },
	{ "{" V "\"bogus\": 1}", ".bogus: unknown key" },
	{ "{" V "\"name\": 7}", ".name: 7 is not a string" },
	{ "{" V "\"vm\": []}", ".vm: [] is not an object" },
	{ "{" V "\"vm\": {\"pid\": 0}}", ".vm.pid: 0 is outside 1..4194304" },
	{ "{" V "\"vm\": {\"uri\": \"qemu:///system\"}}",
	  ".vm.domain: missing" },
	{ "{" V "\"vm\": {\"domain\": \"a\", \"pid\": 5}}",
	  ".vm.pid: a pid and a libvirt domain exclude each other" },
	{ "{" V "\"vm\": {\"name\": \"a\"}}", ".vm.name: unknown key" },
	{ "{" V "\"rt_cpus\": \"2-x\"}", ".rt_cpus: \"2-x\" is not a CPU list" },
	{ "{" V "\"housekeeping_cpus\": 1}",
	  ".housekeeping_cpus: 1 is not a string" },
	{ "{" V "\"vcpus\": {}}", ".vcpus: {} is not an array" },
	{ "{" V "\"vcpus\": []}", ".vcpus: [] lists no vCPU" },
	{ "{" V "\"vcpus\": [{\"pcpu\": 2}, {\"pcpu\": 3}, "
	  "{\"pcpu\": 4, \"priority\": 120}]}",
	  ".vcpus[2].priority: 120 is outside 1..99" },
	{ "{" V "\"vcpus\": [{\"pcpu\": 2}, {}]}", ".vcpus[1].pcpu: missing" },
	{ "{" V "\"vcpus\": [{\"pcpu\": -1}]}",
	  ".vcpus[0].pcpu: -1 is outside 0..8191" },
	{ "{" V "\"vcpus\": [{\"pcpu\": 1, \"rt\": 1}]}",
	  ".vcpus[0].rt: 1 is not true or false" },
	{ "{" V "\"vcpus\": [{\"pcpu\": 1, \"rt\": false, \"priority\": 3}]}",
	  ".vcpus[0].priority: only RT vCPUs have a priority" },
	{ "{" V "\"vcpus\": [{\"pcpu\": 1, \"cpu\": 2}]}",
	  ".vcpus[0].cpu: unknown key" },
	{ "{" V "\"vcpus\": [{\"pcpu\": 1}], \"rt_vcpus\": \"0\"}",
	  ".rt_vcpus: give either .vcpus or .rt_vcpus" },
	{ "{" V "\"policies\": {\"rt\": {}}}", ".policies.rt: unknown key" },
	{ "{" V "\"policies\": {\"rt_vcpu\": {\"policy\": \"fifo\"}}}",
	  ".policies.rt_vcpu.priority: missing" },
	{ "{" V "\"policies\": {\"rt_vcpu\": {\"policy\": \"other\"}}}",
	  ".policies.rt_vcpu.policy: RT vCPUs need fifo or rr" },
	{ "{" V "\"policies\": {\"emulator\": {\"policy\": \"deadline\"}}}",
	  ".policies.emulator.policy: \"deadline\" is not one of" },
	{ "{" V "\"policies\": {\"emulator\": {\"policy\": \"fifo\", "
	  "\"priority\": 0}}}",
	  ".policies.emulator.priority: 0 is outside 1..99" },
	{ "{" V "\"policies\": {\"vcpu\": {\"policy\": \"other\", "
	  "\"nice\": 20}}}",
	  ".policies.vcpu.nice: 20 is outside -20..19" },
	{ "{" V "\"policies\": {\"vcpu\": {\"nice\": 1}}}",
	  ".policies.vcpu.nice: a nice value needs policy other" },
	{ "{" V "\"policies\": {\"iothread\": {\"priority\": 5}}}",
	  ".policies.iothread.priority: a priority needs policy fifo or rr" },
	{ "{" V "\"policies\": {\"iothread\": {\"cpus\": \"0-\"}}}",
	  ".policies.iothread.cpus: \"0-\" is not a CPU list" },
	{ "{" V "\"irqs\": {\"away_from_rt\": \"yes\"}}",
	  ".irqs.away_from_rt: \"yes\" is not true or false" },
	{ "{" V "\"irqs\": {\"to_rt\": [{\"match\": \"eth0*\"}]}}",
	  ".irqs.to_rt[0].cpus: missing" },
	{ "{" V "\"irqs\": {\"to_rt\": [{\"cpus\": \"2\"}]}}",
	  ".irqs.to_rt[0].match: missing" },
	{ "{" V "\"irqs\": {\"to_rt\": [{\"match\": \"a\", \"cpus\": \"2\", "
	  "\"x\": 1}]}}",
	  ".irqs.to_rt[0].x: unknown key" },
	{ "{" V "\"irqs\": {\"steer\": true}}", ".irqs.steer: unknown key" },
	{ "{" V "\"kthreads\": \"rt-guest\"}",
	  ".kthreads: \"rt-guest\" is not a kernel thread profile" },
	{ "{" V "\"host\": {\"sched_rt_runtime_us\": -2}}",
	  ".host.sched_rt_runtime_us: -2 is outside -1..1000000" },
	{ "{" V "\"host\": {\"timer_migration\": 2}}",
	  ".host.timer_migration: 2 is outside 0..1" },
	{ "{" V "\"host\": {\"thp\": \"off\"}}",
	  ".host.thp: \"off\" is not one of always, madvise, never" },
	{ "{" V "\"host\": {\"ksm\": true}}", ".host.ksm: true is not a number" },
	{ "{" V "\"host\": {\"pm_qos_resume_latency_us\": -5}}",
	  ".host.pm_qos_resume_latency_us: -5 is outside 0..2000000000" },
	{ "{" V "\"host\": {\"workqueue_mask\": \"rt\"}}",
	  ".host.workqueue_mask: \"rt\": unbound work belongs on housekeeping" },
	{ "{" V "\"host\": {\"swappiness\": 10}}",
	  ".host.swappiness: unknown key" },
	{ "{" V "\"boost\": {\"enabled\": true}}", ".boost.enabled: unknown key" },
	{ "{" V "\"boost\": 1}", ".boost: 1 is not an object" },
	{ "{" V "\"boost\": {\"max_priority\": 100}}",
	  ".boost.max_priority: 100 is not a whole number in 0..99" },
	{ "{" V "\"boost\": {\"max_priority\": -1}}",
	  ".boost.max_priority: -1 is not a whole number in 0..99" },
	{ "{" V "\"boost\": {\"max_boost_us\": 1.5}}",
	  ".boost.max_boost_us: 1.5 is not a whole number in 0..4294967295" },
	{ "{" V "\"boost\": {\"budget_us\": 4294967296}}",
	  ".boost.budget_us: 4294967296 is not a whole number in 0..4294967295" },
	{ "{" V "\"boost\": {\"rate\": 1000000001}}",
	  ".boost.rate: 1000000001 is not a whole number in 0..1000000000" },
	{ "{" V "\"boost\": {\"burst\": \"3\"}}",
	  ".boost.burst: \"3\" is not a whole number" },
	{ "{" V "\"boost\": {\"max_lead_us\": null}}",
	  ".boost.max_lead_us: null is not a whole number" },
	{ "{" V "\"boost\": {\"budget_period_us\": true}}",
	  ".boost.budget_period_us: true is not a whole number" },
	{ "{" V "\"boost\": {\"policies\": \"fifo\"}}",
	  ".boost.policies: \"fifo\" is not a list of \"fifo\", \"rr\", \"deadline\"" },
	{ "{" V "\"boost\": {\"policies\": [\"fifo\", \"idle\"]}}",
	  ".boost.policies[1]: \"idle\" is not a policy (fifo, rr or deadline)" },
	{ "{" V "\"boost\": {\"policies\": [6]}}",
	  ".boost.policies[0]: 6 is not a policy" },
	{ "{" V "\"boost\": {\"budget_us\": 20, \"budget_period_us\": 10}}",
	  ".boost: budget_us 20 is longer than budget_period_us 10" },
	{ "{" V "\"boost\": {\"budget_us\": 5}}",
	  ".boost: budget_us 5 needs budget_period_us" },
	{ "{" V "\"boost\": {\"vm\": \"x\"}}", ".boost.vm: unknown key" },
	{ "{" V "\"boost\": {\"doorbell_vectors\": 2}}",
	  ".boost.doorbell_vectors: unknown key" },
	{ "{" V "\"provision_rt_runtime\": 1}",
	  ".provision_rt_runtime: 1 is not true or false" },
	{ "{" V "\"shield\": true}", ".shield: true is not an object" },
	{ "{" V "\"shield\": {\"scope\": \"machine\"}}",
	  ".shield.scope: \"machine\" is not a cgroup path" },
	{ "{" V "\"shield\": {\"scope\": \"/a/../b\"}}",
	  ".shield.scope: \"/a/../b\" is not a cgroup path" },
	{ "{" V "\"shield\": {\"scope\": \"/a//b\"}}",
	  ".shield.scope: \"/a//b\" is not a cgroup path" },
	{ "{" V "\"shield\": {\"scope\": \"/a/\"}}",
	  ".shield.scope: \"/a/\" is not a cgroup path" },
	{ "{" V "\"shield\": {\"per_vcpu\": \"yes\"}}",
	  ".shield.per_vcpu: \"yes\" is not true or false" },
	{ "{" V "\"shield\": {\"cpus\": \"2\"}}", ".shield.cpus: unknown key" },
	{ "{\"version\": 1,", "profile: .: not JSON at byte 14 (line 1)" },
	/* Strict JSON below the schema: the path, the byte and the line. */
	{ "{\"version\":1}garbage",
	  "profile: .: trailing data after the JSON document at byte 13 (line 1)" },
	{ "{\"version\": 1}\n\n  x",
	  "profile: .: trailing data after the JSON document at byte 18 (line 3)" },
	{ "{\"version\": 1}{}",
	  "profile: .: trailing data after the JSON document at byte 14" },
	{ "{" V "\"version\": 1}",
	  "profile: .version: duplicate key (it repeats an earlier one) at byte 15 (line 1)" },
	{ "{" V "\"vcpus\": [{\"pcpu\": 2, \"pcpu\": 3}]}",
	  "profile: .vcpus[0].pcpu: duplicate key (it repeats an earlier one) at byte 37" },
	{ "{" V "\"policies\": {\"emulator\": {\"policy\": \"other\", "
	  "\"cpus\": \"0\", \"policy\": \"fifo\"}}}",
	  "profile: .policies.emulator.policy: duplicate key (it repeats an earlier one) at byte 73" },
	{ "{" V "\"name\": \"a\", \"n\\u0061me\": \"b\"}",
	  "profile: .name: duplicate key (it repeats an earlier one) at byte 28" },
	{ "{" V "\"name\": \"a\\u0000b\"}",
	  "profile: .name: \\u0000 in a string at byte 25 (line 1)" },
	{ "{" V "\"\\u0000\": 1}", "profile: .: \\u0000 in a key at byte 16 (line 1)" },
	{ "{" V "\"name\": \"\\uD800\"}",
	  "profile: .name: lone surrogate \\uD800 at byte 24 (line 1)" },
	{ "{" V "\"name\": \"\\ud800\\u0041\"}",
	  "profile: .name: lone surrogate \\uD800 at byte 24" },
	{ "{" V "\"name\": \"x\\uDC00\"}",
	  "profile: .name: lone surrogate \\uDC00 at byte 25" },
	{ "{" V "\"name\": \"\\x\"}", "profile: .name: invalid escape in a string at byte 24" },
	{ "{" V "\"name\": \"a\tb\"}",
	  "profile: .name: control character U+0009 in a string (escape it) at byte 25" },
	{ "{" V "\"name\": \"\xff\"}",
	  "profile: .name: invalid UTF-8 (a byte that UTF-8 never uses) at byte 24 (line 1)" },
	{ "{" V "\"name\": \"\xc0\xaf\"}",
	  "profile: .name: invalid UTF-8 (an overlong form) at byte 24 (line 1)" },
	{ "{" V "\"name\": \"\xed\xa0\x80\"}",
	  "profile: .name: invalid UTF-8 (a UTF-16 surrogate) at byte 24 (line 1)" },
	{ "{" V "\"name\": \"\xe2\x82\"}",
	  "profile: .name: invalid UTF-8 (a truncated sequence) at byte 24 (line 1)" },
	{ "{" V "\"name\": \"\xf4\x90\x80\x80\"}",
	  "profile: .name: invalid UTF-8 (a code point above U+10FFFF) at byte 24" },
	{ "{" V "\"name\": \"a\x80\"}",
	  "profile: .name: invalid UTF-8 (a stray continuation byte) at byte 25" },
	{ "{" V "\"n\xff" "me\": 1}",
	  "profile: .: invalid UTF-8 (a byte that UTF-8 never uses) at byte 17" },
	{ "{" V "\xc3\xa9}",
	  "profile: .: not JSON at byte 15 (line 1)" },
	{ "{" V "\xc3}",
	  "profile: .: invalid UTF-8 (a truncated sequence) at byte 15 (line 1)" },
	{ "{" V "\"vcpus\": [{\"pcpu\": 01}]}",
	  "profile: .vcpus[0]: not JSON at byte 35" },
	{ "", "profile: .: not JSON at byte 0 (line 1)" },
};

START_TEST(test_bad_profiles)
{
	struct rtvm_ctx *ctx = new_ctx();
	struct rtvm_profile *p = (void *)0x1;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		log_last[0] = '\0';
		ck_assert_msg(rtvm_profile_new_from_json(ctx, bad[i].json, &p) ==
				      -EINVAL,
			      "accepted: %s", bad[i].json);
		ck_assert_msg(strstr(log_last, bad[i].expect) != NULL,
			      "%s: logged \"%s\", expected \"%s\"",
			      bad[i].json, log_last, bad[i].expect);
	}
	rtvm_unref(ctx);
}
END_TEST

START_TEST(test_full_profile)
{
	static const char json[] =
		"{\"version\": 1, \"name\": \"two-rt\","
		" \"vm\": {\"uri\": \"qemu:///system\", \"domain\": \"vm1\"},"
		" \"rt_cpus\": \"2-3\", \"housekeeping_cpus\": \"0-1\","
		" \"vcpus\": [{\"pcpu\": 2}, {\"pcpu\": 3, \"priority\": 2},"
		"             {\"pcpu\": 1, \"rt\": false}],"
		" \"policies\": {\"rt_vcpu\": {\"policy\": \"fifo\", \"priority\": 1},"
		"   \"vcpu\": {\"policy\": \"other\", \"nice\": -5},"
		"   \"emulator\": {\"cpus\": \"0\"},"
		"   \"iothread\": {\"policy\": \"rr\", \"priority\": 3, \"cpus\": \"housekeeping\"}},"
		" \"irqs\": {\"away_from_rt\": true,"
		"   \"to_rt\": [{\"match\": \"eth0-TxRx-3\", \"cpus\": \"3\"}]},"
		" \"kthreads\": \"rt-host\","
		" \"host\": {\"sched_rt_runtime_us\": -1, \"timer_migration\": 0,"
		"   \"thp\": \"never\", \"ksm\": 0, \"pm_qos_resume_latency_us\": 10,"
		"   \"workqueue_mask\": \"0-1\"},"
		" \"shield\": {\"scope\": \"/machine.slice\", \"per_vcpu\": true,"
		"   \"kthreads\": false},"
		" \"provision_rt_runtime\": true,"
		" \"boost\": {}}";
	struct rtvm_ctx *ctx = new_ctx();
	struct rtvm_profile *p;
	const char *uri, *dom;
	char *text;
	pid_t pid;

	ck_assert_int_eq(rtvm_profile_new_from_json(ctx, json, &p), 0);
	ck_assert_str_eq(rtvm_profile_get_name(p), "two-rt");
	ck_assert_int_eq(rtvm_profile_get_vm(p, &uri, &dom, &pid), 0);
	ck_assert_str_eq(uri, "qemu:///system");
	ck_assert_str_eq(dom, "vm1");
	ck_assert_int_eq(pid, 0);
	ck_assert_int_eq(p->nr_vcpus, 3);
	ck_assert(p->shield && p->shield_per_vcpu && !p->shield_kthreads &&
		  p->provision_rt);
	ck_assert_str_eq(p->shield_scope, "/machine.slice");
	ck_assert_int_eq(p->vcpus[1].priority, 2);
	ck_assert(!p->vcpus[2].rt);
	ck_assert_int_eq(p->roles[PROF_VCPU].sched.nice, -5);
	ck_assert_int_eq(p->roles[PROF_IOTHREAD].sched.priority, 3);
	ck_assert_int_eq(p->roles[PROF_EMULATOR].cpus, PROF_CPUS_LIST);
	ck_assert_int_eq(p->nr_irqs, 1);
	ck_assert(p->irq_away);
	ck_assert_int_eq(p->rt_runtime.value, -1);
	ck_assert(p->timer_migration.set && p->timer_migration.value == 0);
	ck_assert_str_eq(p->thp, "never");
	ck_assert_int_eq(p->pm_qos.value, 10);
	ck_assert_int_eq(p->wq_cpus, PROF_CPUS_LIST);
	/* The document round-trips. */
	ck_assert_int_eq(rtvm_profile_to_json(p, &text), 0);
	rtvm_profile_unref(p);
	ck_assert_int_eq(rtvm_profile_new_from_json(ctx, text, &p), 0);
	ck_assert_str_eq(rtvm_profile_get_name(p), "two-rt");
	free(text);
	rtvm_profile_unref(p);
	rtvm_unref(ctx);
}
END_TEST

/* "boost": rtvm-boostd's policy keys, through the getter. */
START_TEST(test_boost_policy)
{
	static const char json[] =
		"{\"version\": 1, \"boost\": {\"policies\": [\"rr\", \"deadline\"],"
		" \"max_priority\": 99, \"max_boost_us\": 2000, \"budget_us\": 300,"
		" \"budget_period_us\": 1000, \"rate\": 1000000000, \"burst\": 8,"
		" \"max_lead_us\": 4294967295}}";
	struct rtvm_ctx *ctx = new_ctx();
	struct rtvm_boost_policy pol, again;
	struct rtvm_profile *p;
	char *text;

	ck_assert_int_eq(rtvm_profile_new_from_json(ctx, json, &p), 0);
	memset(&pol, 0xa5, sizeof(pol));
	ck_assert_int_eq(rtvm_profile_get_boost_policy(p, &pol), 0);
	ck_assert_uint_eq(pol.size, sizeof(pol));
	ck_assert_uint_eq(pol.policies,
			  RTVM_BOOST_ALLOW(RTVM_BOOST_SCHED_RR) |
				  RTVM_BOOST_ALLOW(RTVM_BOOST_SCHED_DEADLINE));
	ck_assert_uint_eq(pol.max_priority, 99);
	ck_assert_uint_eq(pol.max_boost_us, 2000);
	ck_assert_uint_eq(pol.budget_us, 300);
	ck_assert_uint_eq(pol.budget_period_us, 1000);
	ck_assert_uint_eq(pol.rate, 1000000000);
	ck_assert_uint_eq(pol.burst, 8);
	ck_assert_uint_eq(pol.max_lead_us, 4294967295u);
	ck_assert_int_eq(rtvm_profile_get_boost_policy(p, NULL), -EINVAL);
	ck_assert_int_eq(rtvm_profile_get_boost_policy(NULL, &pol), -EINVAL);
	/* The document round-trips with its policy. */
	ck_assert_int_eq(rtvm_profile_to_json(p, &text), 0);
	rtvm_profile_unref(p);
	ck_assert_int_eq(rtvm_profile_new_from_json(ctx, text, &p), 0);
	free(text);
	ck_assert_int_eq(rtvm_profile_get_boost_policy(p, &again), 0);
	ck_assert_mem_eq(&pol, &again, sizeof(pol));
	rtvm_profile_unref(p);

	/* Keys left out are 0 (the broker's defaults); a budget equal to
	 * its period (no budget) is fine. */
	ck_assert_int_eq(rtvm_profile_new_from_json(ctx,
		"{\"version\": 1, \"boost\": {\"max_priority\": 5,"
		" \"budget_us\": 7, \"budget_period_us\": 7}}", &p), 0);
	ck_assert_int_eq(rtvm_profile_get_boost_policy(p, &pol), 0);
	ck_assert_uint_eq(pol.policies, 0);
	ck_assert_uint_eq(pol.max_priority, 5);
	ck_assert_uint_eq(pol.max_boost_us, 0);
	ck_assert_uint_eq(pol.rate, 0);
	rtvm_profile_unref(p);

	/* No key and an empty object: no boost. */
	ck_assert_int_eq(rtvm_profile_new_from_json(ctx,
		"{\"version\": 1, \"boost\": {}}", &p), 0);
	ck_assert_int_eq(rtvm_profile_get_boost_policy(p, &pol), -ENOENT);
	rtvm_profile_unref(p);
	ck_assert_int_eq(rtvm_profile_new_from_json(ctx, "{\"version\": 1}", &p), 0);
	ck_assert_int_eq(rtvm_profile_get_boost_policy(p, &pol), -ENOENT);
	rtvm_profile_unref(p);
	/* The built-in profiles have none. */
	ck_assert_int_eq(rtvm_profile_new_builtin(ctx, "rt-host", &p), 0);
	ck_assert_int_eq(rtvm_profile_get_boost_policy(p, &pol), -ENOENT);
	rtvm_profile_unref(p);
	rtvm_unref(ctx);
}
END_TEST

START_TEST(test_builtins)
{
	struct rtvm_ctx *ctx = new_ctx();
	struct rtvm_profile *p;

	ck_assert_int_eq(rtvm_profile_new_builtin(ctx, "rt-host", &p), 0);
	ck_assert_str_eq(rtvm_profile_get_name(p), "rt-host");
	ck_assert_int_eq(rtvm_profile_get_vm(p, NULL, NULL, NULL), -ENOENT);
	ck_assert_str_eq(p->kthreads, "rt-host");
	ck_assert(p->wq_set && p->wq_cpus == PROF_CPUS_HOUSEKEEPING);
	ck_assert_int_eq(p->roles[PROF_RT_VCPU].sched.policy, 1 /* FIFO */);
	rtvm_profile_unref(p);
	ck_assert_int_eq(rtvm_profile_new_builtin(ctx, "nova-rt", &p), 0);
	ck_assert_int_eq(p->roles[PROF_RT_VCPU].sched.priority, 1);
	ck_assert(!p->kthreads && !p->thp && !p->irq_away);
	rtvm_profile_unref(p);
	ck_assert_int_eq(rtvm_profile_new_builtin(ctx, "tuned", &p), -ENOENT);
	ck_assert(strstr(log_last, "\"tuned\"") != NULL);
	ck_assert_int_eq(rtvm_profile_new_builtin(ctx, NULL, &p), -EINVAL);
	ck_assert_int_eq(rtvm_profile_new_from_json(NULL, "{}", &p), -EINVAL);
	rtvm_unref(ctx);
}
END_TEST

/* What strict JSON still accepts: whitespace after the document, UTF-8
 * text raw or escaped, surrogate pairs, 64 levels of nesting. */
START_TEST(test_strict_accepts)
{
	static const char *const names[] = {
		"{\"version\": 1, \"name\": \"M\xc3\xbc" "ller \xe2\x9c\x93\"}",
		"{\"version\": 1, \"name\": \"M\\u00fcller \\u2713\"}",
		"{\"version\": 1, \"name\": \"M\\u00FCller \\u2713\"} \n\t\r\n",
	};
	struct rtvm_ctx *ctx = new_ctx();
	struct rtvm_profile *p, *q;
	char json[512], *text;
	size_t len;

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		ck_assert_msg(rtvm_profile_new_from_json(ctx, names[i], &p) == 0,
			      "refused %s: %s", names[i], log_last);
		ck_assert_str_eq(rtvm_profile_get_name(p),
				 "M\xc3\xbcller \xe2\x9c\x93");
		/* The document written back is read back alike. */
		ck_assert_int_eq(rtvm_profile_to_json(p, &text), 0);
		ck_assert_int_eq(rtvm_profile_new_from_json(ctx, text, &q), 0);
		ck_assert_str_eq(rtvm_profile_get_name(q),
				 rtvm_profile_get_name(p));
		free(text);
		rtvm_profile_unref(q);
		rtvm_profile_unref(p);
	}
	/* A pair of surrogate escapes is one character (U+1F600). */
	ck_assert_int_eq(rtvm_profile_new_from_json(ctx,
		"{\"version\": 1, \"name\": \"\\uD83D\\ude00!\"}", &p), 0);
	ck_assert_str_eq(rtvm_profile_get_name(p), "\xf0\x9f\x98\x80!");
	rtvm_profile_unref(p);
	/* The same keys in two objects are no repeat; "\/" is "/". */
	ck_assert_int_eq(rtvm_profile_new_from_json(ctx,
		"{\"version\": 1, \"policies\": {\"vcpu\": {\"cpus\": \"0\"},"
		" \"emulator\": {\"cpus\": \"0\"}},"
		" \"shield\": {\"scope\": \"\\/a\\/b\"}}", &p), 0);
	ck_assert_str_eq(p->shield_scope, "/a/b");
	rtvm_profile_unref(p);
	/* Nesting: the object and 63 arrays are 64 levels, past the
	 * scanner (the schema refuses them); a 65th level is not. */
	len = (size_t)snprintf(json, sizeof(json), "{\"version\": 1, \"name\": ");
	for (int i = 0; i < 64; i++)
		json[len + (size_t)i] = '[';
	for (int i = 0; i < 64; i++)
		json[len + 64 + (size_t)i] = ']';
	strcpy(json + len + 128, "}");
	log_last[0] = '\0';
	ck_assert_int_eq(rtvm_profile_new_from_json(ctx, json, &p), -EINVAL);
	ck_assert_msg(strstr(log_last,
			     "profile: .name[0][0][0]") &&
		      strstr(log_last, "nested deeper than 64 levels at byte 86 (line 1)"),
		      "logged \"%s\"", log_last);
	memmove(json + len, json + len + 1, strlen(json + len + 1) + 1);
	memmove(json + len + 63, json + len + 64, strlen(json + len + 64) + 1);
	log_last[0] = '\0';
	ck_assert_int_eq(rtvm_profile_new_from_json(ctx, json, &p), -EINVAL);
	ck_assert_msg(strstr(log_last, "profile: .name: [[[") &&
		      strstr(log_last, "is not a string"),
		      "logged \"%s\"", log_last);
	rtvm_unref(ctx);
}
END_TEST

static bool under_valgrind(void)
{
	const char *p = getenv("LD_PRELOAD");

	return p && strstr(p, "vgpreload");
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* A hostile profile: 100,000 keys in one object.  All distinct, the
 * scanner lets them through to the schema; a repeat at the end is found
 * (the first repeat in the text is named); either in well under a
 * second (a check of every pair would take many). */
START_TEST(test_strict_many_keys)
{
	enum { N = 100000 };
	double limit = under_valgrind() ? 60.0 : 1.0, t0, t;
	struct rtvm_ctx *ctx = new_ctx();
	struct rtvm_profile *p = NULL;
	char *json = malloc(N * 16 + 64), expect[128];
	size_t len, at;

	ck_assert_ptr_nonnull(json);
	len = (size_t)sprintf(json, "{\"version\": 1");
	for (unsigned int i = 0; i < N; i++)
		len += (size_t)sprintf(json + len, ", \"k%u\": 0", i);
	strcpy(json + len, "}");
	t0 = now_s();
	ck_assert_int_eq(rtvm_profile_new_from_json(ctx, json, &p), -EINVAL);
	t = now_s() - t0;
	ck_assert_msg(strstr(log_last, "profile: .k0: unknown key"),
		      "logged \"%s\"", log_last);
	ck_assert_msg(t < limit, "distinct keys: %.2f s", t);

	at = len + 2;
	sprintf(json + len, ", \"k\\u0037\": 1, \"k3\": 1}");
	snprintf(expect, sizeof(expect),
		 "profile: .k7: duplicate key (it repeats an earlier one) at byte %zu (line 1)",
		 at);
	t0 = now_s();
	ck_assert_int_eq(rtvm_profile_new_from_json(ctx, json, &p), -EINVAL);
	t = now_s() - t0;
	ck_assert_msg(strstr(log_last, expect), "logged \"%s\", expected \"%s\"",
		      log_last, expect);
	ck_assert_msg(t < limit, "a repeated key: %.2f s", t);
	free(json);
	rtvm_unref(ctx);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("profile");
	TCase *tc = tcase_create("profile");

	tcase_add_test(tc, test_bad_profiles);
	tcase_add_test(tc, test_full_profile);
	tcase_add_test(tc, test_boost_policy);
	tcase_add_test(tc, test_builtins);
	tcase_add_test(tc, test_strict_accepts);
	tcase_add_test(tc, test_strict_many_keys);
	tcase_set_timeout(tc, 120); /* 100,000 keys under valgrind */
	suite_add_tcase(s, tc);
	return tu_run(s);
}
