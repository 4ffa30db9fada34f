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
	{ "{" V "\"boost\": {\"enabled\": true}}",
	  ".boost.enabled: unknown key (.boost is reserved" },
	{ "{" V "\"boost\": 1}", ".boost: 1 is not an object" },
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
	{ "{\"version\": 1,", "profile: not JSON" },
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

int main(void)
{
	Suite *s = suite_create("profile");
	TCase *tc = tcase_create("profile");

	tcase_add_test(tc, test_bad_profiles);
	tcase_add_test(tc, test_full_profile);
	tcase_add_test(tc, test_builtins);
	suite_add_tcase(s, tc);
	return tu_run(s);
}
