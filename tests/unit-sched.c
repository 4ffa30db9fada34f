/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Unit tier: scheduling policies and pinning of threads, VMs and kernel
 * threads against the host64 sysroot, whose syscall simulation logs each
 * call in rtvm-syscalls.log. */
#include "config.h"

#include <errno.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>

#include "librtvm-private.h"
#include "testutil.h"

#ifndef SCHED_DEADLINE
#define SCHED_DEADLINE 6
#endif

#define QEMU 4242
#define VCPU0 4250
#define VCPU1 4251
#define IOTH 4252

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
	struct rtvm_ctx *ctx = tu_ctx("host64");

	rtvm_set_log_fn(ctx, log_capture);
	log_last[0] = '\0';
	return ctx;
}

static struct rtvm_changeset *new_cs(struct rtvm_ctx *ctx)
{
	struct rtvm_changeset *cs;

	ck_assert_int_eq(rtvm_changeset_new(ctx, &cs), 0);
	return cs;
}

/* The sysroot's syscall log ("" when nothing was called); freed by caller. */
static char *calls(struct rtvm_ctx *ctx)
{
	char path[1024];

	snprintf(path, sizeof(path), "%s/rtvm-syscalls.log", rtvm_get_root(ctx));
	if (access(path, F_OK) != 0)
		return strdup("");
	return tu_read(ctx, "rtvm-syscalls.log");
}

static void calls_reset(struct rtvm_ctx *ctx)
{
	tu_write(ctx, "rtvm-syscalls.log", "");
}

static struct rtvm_sched_attr attr(int policy, int prio, int nice)
{
	return (struct rtvm_sched_attr){ .size = sizeof(struct rtvm_sched_attr),
					 .policy = policy,
					 .priority = prio,
					 .nice = nice };
}

static struct rtvm_sched_attr get(struct rtvm_ctx *ctx, pid_t pid, pid_t tid)
{
	struct rtvm_sched_attr a = { .size = sizeof(a) };

	ck_assert_int_eq(rtvm_thread_get_sched(ctx, pid, tid, &a), 0);
	return a;
}

static void expect_policy(struct rtvm_ctx *ctx, pid_t pid, pid_t tid,
			  int policy, int prio)
{
	struct rtvm_sched_attr a = get(ctx, pid, tid);

	ck_assert_msg(a.policy == policy && a.priority == prio,
		      "thread %d: policy %d prio %d, expected %d %d", tid,
		      a.policy, a.priority, policy, prio);
}

/* A thread's affinity as the sysroot shows it. */
static char *affinity(struct rtvm_ctx *ctx, pid_t pid, pid_t tid)
{
	char rel[128], *status, *p, *out;

	snprintf(rel, sizeof(rel), "proc/%d/task/%d/status", pid, tid);
	status = tu_read(ctx, rel);
	p = strstr(status, "Cpus_allowed_list:");
	ck_assert_ptr_nonnull(p);
	p += strlen("Cpus_allowed_list:");
	p += strspn(p, " \t");
	out = strndup(p, strcspn(p, "\n"));
	free(status);
	return out;
}

static void expect_affinity(struct rtvm_ctx *ctx, pid_t pid, pid_t tid,
			    const char *list)
{
	char *a = affinity(ctx, pid, tid);

	ck_assert_msg(strcmp(a, list) == 0, "thread %d on %s, expected %s", tid,
		      a, list);
	free(a);
}

static struct rtvm_vm *new_vm(struct rtvm_ctx *ctx)
{
	struct rtvm_vm *vm;

	ck_assert_int_eq(rtvm_vm_new_from_pid(ctx, QEMU, &vm), 0);
	return vm;
}

/* ---- validation --------------------------------------------------------- */

START_TEST(test_validation)
{
	static const struct {
		struct rtvm_sched_attr a;
		const char *why;
	} bad[] = {
		{ { .size = 8, .policy = SCHED_OTHER }, "size 8" },
		{ { .size = sizeof(struct rtvm_sched_attr), .policy = 7 }, "policy 7" },
		{ { .size = sizeof(struct rtvm_sched_attr), .policy = -1 }, "policy -1" },
		{ { .size = sizeof(struct rtvm_sched_attr), .policy = SCHED_FIFO,
		    .priority = 120 }, "priority 120 is outside 1..99 for SCHED_FIFO" },
		{ { .size = sizeof(struct rtvm_sched_attr), .policy = SCHED_FIFO },
		  "priority 0 is outside 1..99 for SCHED_FIFO" },
		{ { .size = sizeof(struct rtvm_sched_attr), .policy = SCHED_RR,
		    .priority = 100 }, "priority 100 is outside 1..99 for SCHED_RR" },
		{ { .size = sizeof(struct rtvm_sched_attr), .policy = SCHED_OTHER,
		    .priority = 5 }, "priority 5 must be 0 for SCHED_OTHER" },
		{ { .size = sizeof(struct rtvm_sched_attr), .policy = SCHED_DEADLINE,
		    .priority = 1, .runtime_ns = 2000, .deadline_ns = 5000 },
		  "priority 1 must be 0 for SCHED_DEADLINE" },
		{ { .size = sizeof(struct rtvm_sched_attr), .policy = SCHED_BATCH,
		    .nice = 25 }, "nice 25 is outside -20..19" },
		{ { .size = sizeof(struct rtvm_sched_attr), .policy = SCHED_OTHER,
		    .nice = -21 }, "nice -21 is outside -20..19" },
		{ { .size = sizeof(struct rtvm_sched_attr), .policy = SCHED_DEADLINE,
		    .runtime_ns = 9, .deadline_ns = 5 }, "deadline runtime 9 > deadline 5" },
		{ { .size = sizeof(struct rtvm_sched_attr), .policy = SCHED_DEADLINE,
		    .runtime_ns = 2000, .deadline_ns = 9000, .period_ns = 5000 },
		  "deadline 9000 > period 5000" },
		{ { .size = sizeof(struct rtvm_sched_attr), .policy = SCHED_DEADLINE,
		    .runtime_ns = 10, .deadline_ns = 5000 }, "runtime 10 is below" },
		{ { .size = sizeof(struct rtvm_sched_attr), .policy = SCHED_DEADLINE },
		  "runtime 0 is below" },
		{ { .size = sizeof(struct rtvm_sched_attr), .policy = SCHED_FIFO,
		    .priority = 1, .runtime_ns = 5 }, "deadline parameters given for SCHED_FIFO" },
	};
	struct rtvm_ctx *ctx = new_ctx();
	struct rtvm_changeset *cs = new_cs(ctx);
	struct rtvm_sched_attr ok = attr(SCHED_FIFO, 10, 0), g = { .size = 3 };
	struct rtvm_cpumask *m;
	struct rtvm_vm *vm = new_vm(ctx);
	unsigned int skipped = 42;
	char *log;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		log_last[0] = '\0';
		ck_assert_int_eq(rtvm_thread_set_sched(ctx, QEMU, VCPU0, &bad[i].a,
						       0, cs), -EINVAL);
		ck_assert_msg(strstr(log_last, bad[i].why) != NULL,
			      "case %zu: log \"%s\" lacks \"%s\"", i, log_last,
			      bad[i].why);
		log_last[0] = '\0';
		ck_assert_int_eq(rtvm_vm_set_sched(vm, RTVM_VM_ROLE_VCPU, NULL,
						   &bad[i].a, 0, cs, &skipped),
				 -EINVAL);
		ck_assert_ptr_nonnull(strstr(log_last, bad[i].why));
	}
	ck_assert_int_eq(rtvm_thread_set_sched(NULL, QEMU, VCPU0, &ok, 0, cs), -EINVAL);
	ck_assert_int_eq(rtvm_thread_set_sched(ctx, QEMU, VCPU0, NULL, 0, cs), -EINVAL);
	ck_assert_int_eq(rtvm_thread_set_sched(ctx, 0, VCPU0, &ok, 0, cs), -EINVAL);
	ck_assert_int_eq(rtvm_thread_set_sched(ctx, QEMU, -1, &ok, 0, cs), -EINVAL);
	ck_assert_int_eq(rtvm_thread_set_sched(ctx, QEMU, VCPU0, &ok, 2, cs), -EINVAL);
	ck_assert_int_eq(rtvm_thread_set_sched(ctx, QEMU, 9999, &ok, 0, cs), -ESRCH);
	ck_assert_int_eq(rtvm_thread_get_sched(ctx, QEMU, VCPU0, &g), -EINVAL);
	ck_assert_int_eq(rtvm_thread_get_sched(ctx, QEMU, VCPU0, NULL), -EINVAL);
	g.size = sizeof(g);
	ck_assert_int_eq(rtvm_thread_get_sched(NULL, QEMU, VCPU0, &g), -EINVAL);
	ck_assert_int_eq(rtvm_thread_get_sched(ctx, QEMU, 9999, &g), -ESRCH);
	ck_assert_int_eq(rtvm_thread_get_sched(ctx, 5000, VCPU0, &g), -ESRCH);

	/* affinity */
	m = tu_mask(64, "");
	ck_assert_int_eq(rtvm_thread_set_affinity(ctx, QEMU, VCPU0, m, cs), -EINVAL);
	ck_assert_ptr_nonnull(strstr(log_last, "empty"));
	rtvm_cpumask_free(m);
	m = tu_mask(64, "2,63");
	ck_assert_int_eq(rtvm_thread_set_affinity(ctx, QEMU, VCPU0, m, cs), -EINVAL);
	ck_assert_ptr_nonnull(strstr(log_last, "CPU 63 is not online"));
	rtvm_cpumask_free(m);
	m = tu_mask(64, "0-1");
	ck_assert_int_eq(rtvm_thread_set_affinity(ctx, 25, 25, m, cs), -EINVAL);
	ck_assert_ptr_nonnull(strstr(log_last, "ksoftirqd/2"));
	ck_assert_int_eq(rtvm_thread_set_affinity(ctx, QEMU, 9999, m, cs), -ESRCH);
	ck_assert_int_eq(rtvm_thread_set_affinity(ctx, QEMU, VCPU0, NULL, cs), -EINVAL);
	ck_assert_int_eq(rtvm_thread_set_affinity(NULL, QEMU, VCPU0, m, cs), -EINVAL);

	/* VMs */
	ck_assert_int_eq(rtvm_vm_set_sched(NULL, RTVM_VM_ROLE_VCPU, NULL, &ok, 0, cs,
					   NULL), -EINVAL);
	ck_assert_int_eq(rtvm_vm_set_sched(vm, 9, NULL, &ok, 0, cs, NULL), -EINVAL);
	ck_assert_ptr_nonnull(strstr(log_last, "role 9"));
	ck_assert_int_eq(rtvm_vm_set_sched(vm, RTVM_VM_ROLE_EMULATOR, m, &ok, 0, cs,
					   NULL), -EINVAL);
	ck_assert_ptr_nonnull(strstr(log_last, "vCPU mask"));
	ck_assert_int_eq(rtvm_vm_set_sched(vm, RTVM_VM_ROLE_VCPU, NULL, &ok, 4, cs,
					   NULL), -EINVAL);
	rtvm_cpumask_free(m);
	m = tu_mask(64, "1,5");
	ck_assert_int_eq(rtvm_vm_set_sched(vm, RTVM_VM_ROLE_VCPU, m, &ok, 0, cs,
					   &skipped), -EINVAL);
	ck_assert_ptr_nonnull(strstr(log_last, "no vCPU 5"));
	rtvm_cpumask_free(m);
	m = tu_mask(64, "4");
	ck_assert_int_eq(rtvm_vm_pin(vm, RTVM_VM_ROLE_VCPU, m, RTVM_VM_PIN_ONE_TO_ONE,
				     cs, NULL), -EINVAL);
	ck_assert_ptr_nonnull(strstr(log_last, "2 vCPUs on 1 CPUs"));
	ck_assert_int_eq(rtvm_vm_pin(vm, RTVM_VM_ROLE_EMULATOR, m,
				     RTVM_VM_PIN_ONE_TO_ONE, cs, NULL), -EINVAL);
	ck_assert_int_eq(rtvm_vm_pin(vm, RTVM_VM_ROLE_VCPU, m, 2, cs, NULL), -EINVAL);
	ck_assert_int_eq(rtvm_vm_pin(vm, 9, m, 0, cs, NULL), -EINVAL);
	ck_assert_int_eq(rtvm_vm_pin(vm, RTVM_VM_ROLE_VCPU, NULL, 0, cs, NULL), -EINVAL);
	ck_assert_int_eq(rtvm_vm_pin(NULL, RTVM_VM_ROLE_VCPU, m, 0, cs, NULL), -EINVAL);
	rtvm_cpumask_free(m);
	m = tu_mask(64, "");
	ck_assert_int_eq(rtvm_vm_pin(vm, RTVM_VM_ROLE_VCPU, m, 0, cs, NULL), -EINVAL);

	/* kernel threads */
	ck_assert_int_eq(rtvm_kthreads_apply(ctx, m, NULL, cs), -EINVAL);
	rtvm_cpumask_free(m);
	m = tu_mask(64, "2");
	ck_assert_int_eq(rtvm_kthreads_apply(NULL, m, NULL, cs), -EINVAL);
	ck_assert_int_eq(rtvm_kthreads_apply(ctx, NULL, NULL, cs), -EINVAL);
	ck_assert_int_eq(rtvm_kthreads_apply(ctx, m, "rt-guest", cs), -ENOENT);
	ck_assert_ptr_nonnull(strstr(log_last, "rt-guest"));
	rtvm_cpumask_free(m);

	/* Nothing was changed or recorded. */
	ck_assert_uint_eq(skipped, 42);
	ck_assert_uint_eq(rtvm_changeset_get_count(cs), 0);
	log = calls(ctx);
	ck_assert_str_eq(log, "");
	free(log);
	rtvm_vm_unref(vm);
	rtvm_changeset_unref(cs);
	rtvm_unref(ctx);
}
END_TEST

/* ---- threads ------------------------------------------------------------ */

START_TEST(test_roundtrip)
{
	struct rtvm_sched_attr cases[] = {
		attr(SCHED_OTHER, 0, 5),  attr(SCHED_BATCH, 0, -3),
		attr(SCHED_IDLE, 0, 0),	  attr(SCHED_FIFO, 50, 0),
		attr(SCHED_RR, 10, 0),	  attr(SCHED_DEADLINE, 0, 0),
		attr(SCHED_DEADLINE, 0, 0), attr(SCHED_OTHER, 0, 0),
	};
	struct rtvm_ctx *ctx = new_ctx();
	struct rtvm_changeset *cs = new_cs(ctx);

	cases[5].runtime_ns = 1000000;
	cases[5].deadline_ns = 5000000;
	cases[5].period_ns = 10000000;
	cases[6].runtime_ns = 1000000;
	cases[6].deadline_ns = 10000000; /* period 0: the deadline */
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct rtvm_sched_attr g;

		ck_assert_int_eq(rtvm_thread_set_sched(ctx, QEMU, IOTH, &cases[i], 0,
						       cs), 0);
		g = get(ctx, QEMU, IOTH);
		ck_assert_int_eq(g.size, sizeof(g));
		ck_assert_int_eq(g.policy, cases[i].policy);
		ck_assert_int_eq(g.priority, cases[i].priority);
		ck_assert_int_eq(g.nice, cases[i].nice);
		ck_assert_uint_eq(g.runtime_ns, cases[i].runtime_ns);
		ck_assert_uint_eq(g.deadline_ns, cases[i].deadline_ns);
		ck_assert_uint_eq(g.period_ns, cases[i].period_ns ?
						       cases[i].period_ns :
						       cases[i].deadline_ns);
	}
	/* Each change was recorded, even the last back to the start. */
	ck_assert_uint_eq(rtvm_changeset_get_count(cs), 8);
	ck_assert_int_eq(rtvm_changeset_restore(cs, 0), 0);
	expect_policy(ctx, QEMU, IOTH, SCHED_OTHER, 0);
	rtvm_changeset_unref(cs);
	rtvm_unref(ctx);
}
END_TEST

START_TEST(test_rt_keeps_nice)
{
	struct rtvm_ctx *ctx = new_ctx();
	struct rtvm_sched_attr a = attr(SCHED_FIFO, 3, 0);
	struct rtvm_changeset *cs = new_cs(ctx);
	const struct rtvm_change *c;

	/* backup (5000) is BATCH nice 10: FIFO keeps nice 10 */
	ck_assert_int_eq(rtvm_thread_set_sched(ctx, 5000, 5000, &a, 0, cs), 0);
	ck_assert_int_eq(get(ctx, 5000, 5000).nice, 10);
	c = rtvm_changeset_next(cs, NULL);
	ck_assert_str_eq(rtvm_change_get_old_value(c), "batch:0:10");
	ck_assert_str_eq(rtvm_change_get_new_value(c), "fifo:3:10");
	/* Already in force: nothing done, nothing recorded. */
	calls_reset(ctx);
	ck_assert_int_eq(rtvm_thread_set_sched(ctx, 5000, 5000, &a, 0, cs), 0);
	ck_assert_uint_eq(rtvm_changeset_get_count(cs), 1);
	rtvm_changeset_unref(cs);
	rtvm_unref(ctx);
}
END_TEST

START_TEST(test_restore_original)
{
	struct rtvm_ctx *ctx = new_ctx();
	struct rtvm_changeset *cs = new_cs(ctx);
	struct rtvm_sched_attr other = attr(SCHED_OTHER, 0, 0);
	char *json;

	expect_policy(ctx, QEMU, VCPU0, SCHED_FIFO, 1);
	ck_assert_int_eq(rtvm_thread_set_sched(ctx, QEMU, VCPU0, &other, 0, cs), 0);
	expect_policy(ctx, QEMU, VCPU0, SCHED_OTHER, 0);
	/* through JSON, as a journal would */
	ck_assert_int_eq(rtvm_changeset_to_json(cs, &json), 0);
	rtvm_changeset_unref(cs);
	ck_assert_int_eq(rtvm_changeset_new_from_json(ctx, json, &cs), 0);
	free(json);
	ck_assert_int_eq(rtvm_changeset_restore(cs, 0), 0);
	expect_policy(ctx, QEMU, VCPU0, SCHED_FIFO, 1);
	rtvm_changeset_unref(cs);
	rtvm_unref(ctx);
}
END_TEST

/* Give IOTH @policy/@prio with a nice value it keeps underneath: nice
 * first (with SCHED_OTHER), then the policy; nothing recorded. */
static void keeps_nice_setup(struct rtvm_ctx *ctx, struct rtvm_sched_attr *a,
			     int nice)
{
	struct rtvm_sched_attr other = attr(SCHED_OTHER, 0, nice);

	ck_assert_int_eq(rtvm_thread_set_sched(ctx, QEMU, IOTH, &other, 0,
					       NULL), 0);
	a->nice = nice;
	ck_assert_int_eq(rtvm_thread_set_sched(ctx, QEMU, IOTH, a, 0, NULL), 0);
}

/* The nice value of IOTH as its stat file shows it (for every policy). */
static int stat_nice(struct rtvm_ctx *ctx)
{
	struct rtvm_stat st;
	char *text = tu_read(ctx, "proc/4242/task/4252/stat");

	ck_assert_int_eq(rtvm_stat_parse(text, &st, NULL), 0);
	free(text);
	return st.nice;
}

START_TEST(test_restore_keeps_nice)
{
	struct rtvm_sched_attr fifo = attr(SCHED_FIFO, 10, 0);
	struct rtvm_sched_attr idle = attr(SCHED_IDLE, 0, 0);
	struct rtvm_sched_attr dl = attr(SCHED_DEADLINE, 0, 0);
	struct rtvm_sched_attr other0 = attr(SCHED_OTHER, 0, 0);
	struct rtvm_sched_attr *originals[] = { &fifo, &idle, &dl };
	const char *old_text[] = { "fifo:10:5", "idle:0:-7",
				   "deadline:1000000:5000000:5000000:4" };
	const int nices[] = { 5, -7, 4 };
	struct rtvm_ctx *ctx = new_ctx();

	dl.runtime_ns = 1000000;
	dl.deadline_ns = 5000000;
	for (size_t i = 0; i < ARRAY_SIZE(originals); i++) {
		struct rtvm_changeset *cs = new_cs(ctx);
		struct rtvm_sched_attr g;
		char *json, *log, *p;

		/* A thread with a policy that keeps a nice value of its own
		 * goes to SCHED_OTHER nice 0, and back through a journal. */
		keeps_nice_setup(ctx, originals[i], nices[i]);
		ck_assert_int_eq(stat_nice(ctx), nices[i]);
		ck_assert_int_eq(rtvm_thread_set_sched(ctx, QEMU, IOTH, &other0,
						       0, cs), 0);
		ck_assert_int_eq(stat_nice(ctx), 0);
		ck_assert_str_eq(rtvm_change_get_old_value(
					 rtvm_changeset_next(cs, NULL)),
				 old_text[i]);
		ck_assert_int_eq(rtvm_changeset_to_json(cs, &json), 0);
		rtvm_changeset_unref(cs);
		ck_assert_int_eq(rtvm_changeset_new_from_json(ctx, json, &cs), 0);
		free(json);
		calls_reset(ctx);
		ck_assert_int_eq(rtvm_changeset_restore(cs, 0), 0);
		g = get(ctx, QEMU, IOTH);
		ck_assert_int_eq(g.policy, originals[i]->policy);
		ck_assert_int_eq(g.priority, originals[i]->priority);
		ck_assert_int_eq(g.runtime_ns, originals[i]->runtime_ns);
		ck_assert_msg(stat_nice(ctx) == nices[i],
			      "%s restored with nice %d, expected %d",
			      old_text[i], stat_nice(ctx), nices[i]);
		/* Two steps: SCHED_OTHER with the nice value, then the
		 * policy. */
		log = calls(ctx);
		p = strstr(log, "sched_setattr 4242/4252 other:0:");
		ck_assert_ptr_nonnull(p);
		ck_assert_int_eq(atoi(p + strlen("sched_setattr 4242/4252 "
						 "other:0:")),
				 nices[i]);
		ck_assert_ptr_nonnull(strstr(p, old_text[i]));
		free(log);
		rtvm_changeset_unref(cs);
	}
	rtvm_unref(ctx);
}
END_TEST

START_TEST(test_restore_other_nice_from_rt)
{
	struct rtvm_sched_attr other = attr(SCHED_OTHER, 0, 6);
	struct rtvm_sched_attr fifo = attr(SCHED_FIFO, 2, 0);
	struct rtvm_sched_attr idle = attr(SCHED_IDLE, 0, 3);
	struct rtvm_ctx *ctx = new_ctx();
	struct rtvm_changeset *cs = new_cs(ctx);
	char *log;

	ck_assert_int_eq(rtvm_thread_set_sched(ctx, QEMU, IOTH, &other, 0, NULL),
			 0);
	/* FIFO keeps nice 6, then back to exactly SCHED_OTHER nice 6, in one
	 * call. */
	ck_assert_int_eq(rtvm_thread_set_sched(ctx, QEMU, IOTH, &fifo, 0, cs), 0);
	ck_assert_int_eq(stat_nice(ctx), 6);
	calls_reset(ctx);
	ck_assert_int_eq(rtvm_changeset_restore(cs, 0), 0);
	ck_assert_int_eq(get(ctx, QEMU, IOTH).policy, SCHED_OTHER);
	ck_assert_int_eq(stat_nice(ctx), 6);
	log = calls(ctx);
	ck_assert_str_eq(log, "sched_setattr 4242/4252 other:0:6\n");
	free(log);
	rtvm_changeset_unref(cs);
	/* SCHED_IDLE gets the nice value asked for, though sched_setattr()
	 * alone would keep the old one. */
	cs = new_cs(ctx);
	ck_assert_int_eq(rtvm_thread_set_sched(ctx, QEMU, IOTH, &idle, 0, cs), 0);
	ck_assert_int_eq(get(ctx, QEMU, IOTH).policy, SCHED_IDLE);
	ck_assert_int_eq(stat_nice(ctx), 3);
	ck_assert_int_eq(rtvm_changeset_restore(cs, 0), 0);
	ck_assert_int_eq(get(ctx, QEMU, IOTH).policy, SCHED_OTHER);
	ck_assert_int_eq(stat_nice(ctx), 6);
	/* The second step fails: the first is undone, nothing recorded. */
	ck_assert_int_eq(rtvm_ctx_add_fault(ctx, RTVM_OP_SCHED_SET, "4242/4252",
					    2, 1, EPERM), 0);
	ck_assert_int_eq(rtvm_thread_set_sched(ctx, QEMU, IOTH, &idle, 0, cs),
			 -EPERM);
	ck_assert_int_eq(get(ctx, QEMU, IOTH).policy, SCHED_OTHER);
	ck_assert_int_eq(stat_nice(ctx), 6);
	ck_assert_uint_eq(rtvm_changeset_get_count(cs), 1);
	rtvm_changeset_unref(cs);
	rtvm_unref(ctx);
}
END_TEST

START_TEST(test_thread_affinity)
{
	struct rtvm_ctx *ctx = new_ctx();
	struct rtvm_changeset *cs = new_cs(ctx);
	struct rtvm_cpumask *m = tu_mask(64, "16-17");

	expect_affinity(ctx, QEMU, IOTH, "0-1,16-33,48-62");
	ck_assert_int_eq(rtvm_thread_set_affinity(ctx, QEMU, IOTH, m, cs), 0);
	expect_affinity(ctx, QEMU, IOTH, "16-17");
	ck_assert_uint_eq(rtvm_changeset_get_count(cs), 1);
	ck_assert_int_eq(rtvm_changeset_restore(cs, 0), 0);
	expect_affinity(ctx, QEMU, IOTH, "0-1,16-33,48-62");
	rtvm_cpumask_free(m);
	rtvm_changeset_unref(cs);
	rtvm_unref(ctx);
}
END_TEST

/* ---- VMs ---------------------------------------------------------------- */

START_TEST(test_vm_set_sched_mask)
{
	struct rtvm_ctx *ctx = new_ctx();
	struct rtvm_changeset *cs = new_cs(ctx);
	struct rtvm_vm *vm = new_vm(ctx);
	struct rtvm_cpumask *m = tu_mask(64, "1");
	struct rtvm_sched_attr a = attr(SCHED_FIFO, 10, 0);
	unsigned int skipped = 42;
	char *log;

	ck_assert_int_eq(rtvm_vm_set_sched(vm, RTVM_VM_ROLE_VCPU, m, &a, 0, cs,
					   &skipped), 0);
	ck_assert_uint_eq(skipped, 0);
	log = calls(ctx);
	ck_assert_str_eq(log, "sched_setattr 4242/4251 fifo:10:0\n");
	free(log);
	expect_policy(ctx, QEMU, VCPU0, SCHED_FIFO, 1);
	expect_policy(ctx, QEMU, VCPU1, SCHED_FIFO, 10);
	ck_assert_uint_eq(rtvm_changeset_get_count(cs), 1);
	/* the emulator role, all of its threads: just the main thread */
	a = attr(SCHED_OTHER, 0, -5);
	ck_assert_int_eq(rtvm_vm_set_sched(vm, RTVM_VM_ROLE_EMULATOR, NULL, &a, 0,
					   cs, NULL), 0);
	ck_assert_int_eq(get(ctx, QEMU, QEMU).nice, -5);
	ck_assert_int_eq(get(ctx, QEMU, IOTH).nice, 0);
	ck_assert_uint_eq(rtvm_changeset_get_count(cs), 2);
	ck_assert_int_eq(rtvm_changeset_restore(cs, 0), 0);
	expect_policy(ctx, QEMU, VCPU1, SCHED_FIFO, 1);
	ck_assert_int_eq(get(ctx, QEMU, QEMU).nice, 0);
	rtvm_cpumask_free(m);
	rtvm_vm_unref(vm);
	rtvm_changeset_unref(cs);
	rtvm_unref(ctx);
}
END_TEST

START_TEST(test_vm_pin)
{
	struct rtvm_ctx *ctx = new_ctx();
	struct rtvm_changeset *cs = new_cs(ctx);
	struct rtvm_vm *vm = new_vm(ctx);
	struct rtvm_cpumask *m = tu_mask(64, "5,9,12");
	unsigned int skipped = 42;

	ck_assert_int_eq(rtvm_vm_pin(vm, RTVM_VM_ROLE_VCPU, m,
				     RTVM_VM_PIN_ONE_TO_ONE, cs, &skipped), 0);
	ck_assert_uint_eq(skipped, 0);
	expect_affinity(ctx, QEMU, VCPU0, "5");
	expect_affinity(ctx, QEMU, VCPU1, "9");
	rtvm_cpumask_free(m);
	m = tu_mask(64, "0-1");
	ck_assert_int_eq(rtvm_vm_pin(vm, RTVM_VM_ROLE_IOTHREAD, m, 0, cs, NULL), 0);
	expect_affinity(ctx, QEMU, IOTH, "0-1");
	expect_affinity(ctx, QEMU, QEMU, "0-1,16-33,48-62");
	ck_assert_uint_eq(rtvm_changeset_get_count(cs), 3);
	ck_assert_int_eq(rtvm_changeset_restore(cs, 0), 0);
	expect_affinity(ctx, QEMU, VCPU0, "2");
	expect_affinity(ctx, QEMU, VCPU1, "3");
	expect_affinity(ctx, QEMU, IOTH, "0-1,16-33,48-62");
	rtvm_cpumask_free(m);
	rtvm_vm_unref(vm);
	rtvm_changeset_unref(cs);
	rtvm_unref(ctx);
}
END_TEST

START_TEST(test_vm_fault_rolls_back)
{
	struct rtvm_ctx *ctx = new_ctx();
	struct rtvm_changeset *cs = new_cs(ctx);
	struct rtvm_vm *vm = new_vm(ctx);
	struct rtvm_sched_attr a = attr(SCHED_FIFO, 10, 0);
	struct rtvm_cpumask *m = tu_mask(64, "6-7");
	unsigned int skipped = 42;

	/* an earlier record of the caller's stays as it is */
	ck_assert_int_eq(rtvm_changeset_add(cs, RTVM_CHANGE_SYSCTL, "kernel.x",
					    "1", "0"), 0);
	ck_assert_int_eq(rtvm_ctx_add_fault(ctx, RTVM_OP_SCHED_SET, "4242/4251",
					    1, 0, EIO), 0);
	ck_assert_int_eq(rtvm_vm_set_sched(vm, RTVM_VM_ROLE_VCPU, NULL, &a, 0, cs,
					   &skipped), -EIO);
	ck_assert_uint_eq(skipped, 42);
	expect_policy(ctx, QEMU, VCPU0, SCHED_FIFO, 1);
	expect_policy(ctx, QEMU, VCPU1, SCHED_FIFO, 1);
	ck_assert_uint_eq(rtvm_changeset_get_count(cs), 1);
	/* the same for pinning */
	ck_assert_int_eq(rtvm_ctx_add_fault(ctx, RTVM_OP_AFFINITY_SET, "4242/4251",
					    1, 0, EIO), 0);
	ck_assert_int_eq(rtvm_vm_pin(vm, RTVM_VM_ROLE_VCPU, m,
				     RTVM_VM_PIN_ONE_TO_ONE, cs, NULL), -EIO);
	expect_affinity(ctx, QEMU, VCPU0, "2");
	expect_affinity(ctx, QEMU, VCPU1, "3");
	ck_assert_uint_eq(rtvm_changeset_get_count(cs), 1);
	rtvm_cpumask_free(m);
	rtvm_vm_unref(vm);
	rtvm_changeset_unref(cs);
	rtvm_unref(ctx);
}
END_TEST

START_TEST(test_vm_esrch_skipped)
{
	struct rtvm_ctx *ctx = new_ctx();
	struct rtvm_changeset *cs = new_cs(ctx);
	struct rtvm_vm *vm = new_vm(ctx);
	struct rtvm_sched_attr a = attr(SCHED_RR, 20, 0);
	struct rtvm_cpumask *m = tu_mask(64, "8");
	unsigned int skipped = 42;

	ck_assert_int_eq(rtvm_ctx_add_fault(ctx, RTVM_OP_SCHED_SET, "4242/4251",
					    1, 0, ESRCH), 0);
	ck_assert_int_eq(rtvm_vm_set_sched(vm, RTVM_VM_ROLE_VCPU, NULL, &a, 0, cs,
					   &skipped), 0);
	ck_assert_uint_eq(skipped, 1);
	expect_policy(ctx, QEMU, VCPU0, SCHED_RR, 20);
	expect_policy(ctx, QEMU, VCPU1, SCHED_FIFO, 1);
	ck_assert_uint_eq(rtvm_changeset_get_count(cs), 1);
	ck_assert_int_eq(rtvm_ctx_add_fault(ctx, RTVM_OP_AFFINITY_SET, "4242/4250",
					    1, 0, ESRCH), 0);
	skipped = 42;
	ck_assert_int_eq(rtvm_vm_pin(vm, RTVM_VM_ROLE_VCPU, m, 0, cs, &skipped), 0);
	ck_assert_uint_eq(skipped, 1);
	expect_affinity(ctx, QEMU, VCPU0, "2");
	expect_affinity(ctx, QEMU, VCPU1, "8");
	ck_assert_uint_eq(rtvm_changeset_get_count(cs), 2);
	rtvm_cpumask_free(m);
	rtvm_vm_unref(vm);
	rtvm_changeset_unref(cs);
	rtvm_unref(ctx);
}
END_TEST

/* ---- kernel threads ----------------------------------------------------- */

/* host64: CPU N's rcuc is tid 12 + 6N, its ksoftirqd 13 + 6N. */
START_TEST(test_vm_thread_gone_after_discovery)
{
	struct rtvm_ctx *ctx = new_ctx();
	struct rtvm_changeset *cs = new_cs(ctx);
	struct rtvm_vm *vm = new_vm(ctx);
	struct rtvm_sched_attr a = attr(SCHED_RR, 20, 0);
	struct rtvm_cpumask *m = tu_mask(64, "8");
	unsigned long long start;
	const struct rtvm_change *c;
	unsigned int skipped = 42;
	char from[1024], to[1024], want[64], *log;

	/* vCPU 1 leaves the process after discovery: the one listing of the
	 * task directory per operation skips it before any system call. */
	snprintf(from, sizeof(from), "%s/proc/4242/task/4251", rtvm_get_root(ctx));
	snprintf(to, sizeof(to), "%s/proc/4242/task/gone", rtvm_get_root(ctx));
	ck_assert_int_eq(rename(from, to), 0);
	calls_reset(ctx);
	ck_assert_int_eq(rtvm_vm_set_sched(vm, RTVM_VM_ROLE_VCPU, NULL, &a, 0, cs,
					   &skipped), 0);
	ck_assert_uint_eq(skipped, 1);
	skipped = 42;
	ck_assert_int_eq(rtvm_vm_pin(vm, RTVM_VM_ROLE_VCPU, m, 0, cs, &skipped), 0);
	ck_assert_uint_eq(skipped, 1);
	log = calls(ctx);
	ck_assert_ptr_null(strstr(log, "4251"));
	free(log);
	/* The records carry the start time read at discovery. */
	ck_assert_int_eq(rtvm_thread_identity(ctx, (struct rtvm_tid){ QEMU, VCPU0 },
					      &start), 0);
	snprintf(want, sizeof(want), "4242/4250@%llu", start);
	ck_assert_uint_eq(rtvm_changeset_get_count(cs), 2);
	for (c = rtvm_changeset_next(cs, NULL); c; c = rtvm_changeset_next(cs, c))
		ck_assert_str_eq(rtvm_change_get_target(c), want);
	ck_assert_int_eq(rtvm_changeset_restore(cs, 0), 0);
	expect_policy(ctx, QEMU, VCPU0, SCHED_FIFO, 1);
	expect_affinity(ctx, QEMU, VCPU0, "2");
	ck_assert_int_eq(rename(to, from), 0);
	rtvm_cpumask_free(m);
	rtvm_vm_unref(vm);
	rtvm_changeset_unref(cs);
	rtvm_unref(ctx);
}
END_TEST

#define RCUC(n) (12 + 6 * (n))
#define KSOFTIRQD(n) (13 + 6 * (n))

START_TEST(test_kthreads_apply)
{
	struct rtvm_ctx *ctx = new_ctx();
	struct rtvm_changeset *cs = new_cs(ctx);
	struct rtvm_sched_attr other = attr(SCHED_OTHER, 0, 0),
			       fifo1 = attr(SCHED_FIFO, 1, 0);
	struct rtvm_cpumask *m = tu_mask(64, "2-3");
	char *log;

	/* host64's isolated CPUs are tuned already: untune 2 and 3 */
	for (int n = 2; n <= 3; n++) {
		ck_assert_int_eq(rtvm_thread_set_sched(ctx, KSOFTIRQD(n), KSOFTIRQD(n),
						       &other, 0, NULL), 0);
		ck_assert_int_eq(rtvm_thread_set_sched(ctx, RCUC(n), RCUC(n), &fifo1,
						       0, NULL), 0);
	}
	calls_reset(ctx);
	ck_assert_int_eq(rtvm_kthreads_apply(ctx, m, "rt-host", cs), 0);
	log = calls(ctx);
	ck_assert_str_eq(log, "sched_setattr 24/24 fifo:4:0\n"
			      "sched_setattr 25/25 fifo:2:0\n"
			      "sched_setattr 30/30 fifo:4:0\n"
			      "sched_setattr 31/31 fifo:2:0\n");
	free(log);
	ck_assert_uint_eq(rtvm_changeset_get_count(cs), 4);
	expect_policy(ctx, KSOFTIRQD(2), KSOFTIRQD(2), SCHED_FIFO, 2);
	expect_policy(ctx, RCUC(3), RCUC(3), SCHED_FIFO, 4);
	/* applied twice: nothing to do */
	calls_reset(ctx);
	ck_assert_int_eq(rtvm_kthreads_apply(ctx, m, NULL, cs), 0);
	log = calls(ctx);
	ck_assert_str_eq(log, "");
	free(log);
	ck_assert_int_eq(rtvm_changeset_restore(cs, 0), 0);
	for (int n = 2; n <= 3; n++) {
		expect_policy(ctx, KSOFTIRQD(n), KSOFTIRQD(n), SCHED_OTHER, 0);
		expect_policy(ctx, RCUC(n), RCUC(n), SCHED_FIFO, 1);
	}
	/* CPU 0 (housekeeping) was never touched */
	expect_policy(ctx, KSOFTIRQD(0), KSOFTIRQD(0), SCHED_OTHER, 0);
	rtvm_cpumask_free(m);
	rtvm_changeset_unref(cs);
	rtvm_unref(ctx);
}
END_TEST

START_TEST(test_kthreads_all_or_nothing)
{
	struct rtvm_ctx *ctx = new_ctx();
	struct rtvm_changeset *cs = new_cs(ctx);
	struct rtvm_cpumask *m = tu_mask(64, "0-1");

	/* housekeeping CPUs: ksoftirqd OTHER, rcuc FIFO 1 */
	ck_assert_int_eq(rtvm_ctx_add_fault(ctx, RTVM_OP_SCHED_SET, "19/19", 1,
					    0, EPERM), 0);
	ck_assert_int_eq(rtvm_kthreads_apply(ctx, m, NULL, cs), -EPERM);
	ck_assert_uint_eq(rtvm_changeset_get_count(cs), 0);
	expect_policy(ctx, KSOFTIRQD(0), KSOFTIRQD(0), SCHED_OTHER, 0);
	expect_policy(ctx, RCUC(0), RCUC(0), SCHED_FIFO, 1);
	expect_policy(ctx, RCUC(1), RCUC(1), SCHED_FIFO, 1);
	rtvm_ctx_clear_faults(ctx);
	ck_assert_int_eq(rtvm_kthreads_apply(ctx, m, NULL, cs), 0);
	ck_assert_uint_eq(rtvm_changeset_get_count(cs), 4);
	rtvm_cpumask_free(m);
	rtvm_changeset_unref(cs);
	rtvm_unref(ctx);
}
END_TEST

/* ---- RT group scheduling ------------------------------------------------ */

#define CPUCG "sys/fs/cgroup/cpu,cpuacct"

static void rt_tree(struct rtvm_ctx *ctx)
{
	tu_write(ctx, CPUCG "/cpu.rt_runtime_us", "950000\n");
	tu_write(ctx, CPUCG "/cpu.rt_period_us", "1000000\n");
	tu_write(ctx, CPUCG "/machine/cpu.rt_runtime_us", "0\n");
	tu_write(ctx, CPUCG "/machine/vm1/cpu.rt_runtime_us", "0\n");
	tu_write(ctx, "proc/4242/task/4250/cgroup",
		 "13:cpuset:/machine/vm1\n12:cpu,cpuacct:/machine/vm1\n"
		 "0::/machine/vm1\n");
}

static void expect_file(struct rtvm_ctx *ctx, const char *rel, const char *v)
{
	char *s = tu_read(ctx, rel);

	ck_assert_msg(strcmp(rtvm_strip(s), v) == 0, "%s: %s, expected %s", rel,
		      s, v);
	free(s);
}

START_TEST(test_rt_group)
{
	struct rtvm_ctx *ctx = new_ctx();
	struct rtvm_changeset *cs = new_cs(ctx);
	struct rtvm_sched_attr a = attr(SCHED_FIFO, 5, 0);
	const struct rtvm_change *c;
	char *log;

	rt_tree(ctx);
	/* the kernel's refusal, once */
	ck_assert_int_eq(rtvm_ctx_add_fault(ctx, RTVM_OP_SCHED_SET, "4242/4250",
					    1, 1, EPERM), 0);
	ck_assert_int_eq(rtvm_thread_set_sched(ctx, QEMU, VCPU0, &a, 0, cs), -EPERM);
	ck_assert_str_eq(log_last,
			 "SCHED_FIFO refused for thread 4250: its cpu cgroup "
			 "/machine/vm1 has cpu.rt_runtime_us 0 "
			 "(CONFIG_RT_GROUP_SCHED); pass RTVM_SCHED_PROVISION_RT");
	ck_assert_uint_eq(rtvm_changeset_get_count(cs), 0);
	expect_file(ctx, CPUCG "/machine/cpu.rt_runtime_us", "0");
	expect_file(ctx, CPUCG "/machine/vm1/cpu.rt_runtime_us", "0");
	log = calls(ctx);
	ck_assert_str_eq(log, "");
	free(log);

	rtvm_ctx_clear_faults(ctx);
	ck_assert_int_eq(rtvm_ctx_add_fault(ctx, RTVM_OP_SCHED_SET, "4242/4250",
					    1, 1, EPERM), 0);
	ck_assert_int_eq(rtvm_thread_set_sched(ctx, QEMU, VCPU0, &a,
					       RTVM_SCHED_PROVISION_RT, cs), 0);
	expect_policy(ctx, QEMU, VCPU0, SCHED_FIFO, 5);
	expect_file(ctx, CPUCG "/machine/cpu.rt_runtime_us", "10000");
	expect_file(ctx, CPUCG "/machine/vm1/cpu.rt_runtime_us", "10000");
	/* top-down, then the thread */
	ck_assert_uint_eq(rtvm_changeset_get_count(cs), 3);
	c = rtvm_changeset_next(cs, NULL);
	ck_assert_int_eq(rtvm_change_get_kind(c), RTVM_CHANGE_FILE);
	ck_assert_str_eq(rtvm_change_get_target(c),
			 "/sys/fs/cgroup/cpu,cpuacct/machine/cpu.rt_runtime_us");
	ck_assert_str_eq(rtvm_change_get_old_value(c), "0");
	ck_assert_str_eq(rtvm_change_get_new_value(c), "10000");
	c = rtvm_changeset_next(cs, c);
	ck_assert_str_eq(rtvm_change_get_target(c),
			 "/sys/fs/cgroup/cpu,cpuacct/machine/vm1/cpu.rt_runtime_us");
	c = rtvm_changeset_next(cs, c);
	ck_assert_int_eq(rtvm_change_get_kind(c), RTVM_CHANGE_THREAD_SCHED);

	ck_assert_int_eq(rtvm_changeset_restore(cs, 0), 0);
	expect_policy(ctx, QEMU, VCPU0, SCHED_FIFO, 1);
	expect_file(ctx, CPUCG "/machine/cpu.rt_runtime_us", "0");
	expect_file(ctx, CPUCG "/machine/vm1/cpu.rt_runtime_us", "0");
	rtvm_changeset_unref(cs);
	rtvm_unref(ctx);
}
END_TEST

/* libvirt's cgroup v1 layout: one cpu cgroup per vCPU under the domain's.
 * The first vCPU's provisioning gives the domain's cgroup runtime that
 * its one child then holds; the second vCPU needs the domain's cgroup
 * (and "machine") raised, not -ENOSPC. */
START_TEST(test_rt_group_per_vcpu)
{
	struct rtvm_ctx *ctx = new_ctx();
	struct rtvm_changeset *cs = new_cs(ctx);
	struct rtvm_sched_attr a = attr(SCHED_FIFO, 5, 0);
	struct rtvm_vm *vm;
	unsigned int skipped = 9;

#define DOMCG CPUCG "/machine/vm1.libvirt-qemu"
	tu_write(ctx, CPUCG "/cpu.rt_runtime_us", "950000\n");
	tu_write(ctx, CPUCG "/cpu.rt_period_us", "1000000\n");
	tu_write(ctx, CPUCG "/machine/cpu.rt_runtime_us", "0\n");
	tu_write(ctx, DOMCG "/cpu.rt_runtime_us", "0\n");
	tu_write(ctx, DOMCG "/vcpu0/cpu.rt_runtime_us", "0\n");
	tu_write(ctx, DOMCG "/vcpu1/cpu.rt_runtime_us", "0\n");
	tu_write(ctx, DOMCG "/emulator/cpu.rt_runtime_us", "0\n");
	tu_write(ctx, "proc/4242/task/4250/cgroup",
		 "12:cpu,cpuacct:/machine/vm1.libvirt-qemu/vcpu0\n");
	tu_write(ctx, "proc/4242/task/4251/cgroup",
		 "12:cpu,cpuacct:/machine/vm1.libvirt-qemu/vcpu1\n");
	vm = new_vm(ctx);
	ck_assert_int_eq(rtvm_ctx_add_fault(ctx, RTVM_OP_SCHED_SET, "4242/4250",
					    1, 1, EPERM), 0);
	ck_assert_int_eq(rtvm_ctx_add_fault(ctx, RTVM_OP_SCHED_SET, "4242/4251",
					    1, 1, EPERM), 0);
	ck_assert_int_eq(rtvm_vm_set_sched(vm, RTVM_VM_ROLE_VCPU, NULL, &a,
					   RTVM_SCHED_PROVISION_RT, cs,
					   &skipped), 0);
	ck_assert_uint_eq(skipped, 0);
	expect_policy(ctx, QEMU, VCPU0, SCHED_FIFO, 5);
	expect_policy(ctx, QEMU, VCPU1, SCHED_FIFO, 5);
	expect_file(ctx, CPUCG "/machine/cpu.rt_runtime_us", "20000");
	expect_file(ctx, DOMCG "/cpu.rt_runtime_us", "20000");
	expect_file(ctx, DOMCG "/vcpu0/cpu.rt_runtime_us", "10000");
	expect_file(ctx, DOMCG "/vcpu1/cpu.rt_runtime_us", "10000");
	expect_file(ctx, DOMCG "/emulator/cpu.rt_runtime_us", "0");
	/* machine, domain, vcpu0, thread; machine, domain, vcpu1, thread */
	ck_assert_uint_eq(rtvm_changeset_get_count(cs), 8);

	ck_assert_int_eq(rtvm_changeset_restore(cs, 0), 0);
	expect_file(ctx, CPUCG "/machine/cpu.rt_runtime_us", "0");
	expect_file(ctx, DOMCG "/cpu.rt_runtime_us", "0");
	expect_file(ctx, DOMCG "/vcpu0/cpu.rt_runtime_us", "0");
	expect_file(ctx, DOMCG "/vcpu1/cpu.rt_runtime_us", "0");

	/* The root cannot be raised: no room there is -ENOSPC, and nothing
	 * stays changed. */
	rtvm_ctx_clear_faults(ctx);
	tu_write(ctx, CPUCG "/machine.slice/cpu.rt_runtime_us", "935000\n");
	ck_assert_int_eq(rtvm_ctx_add_fault(ctx, RTVM_OP_SCHED_SET, "4242/4250",
					    1, 1, EPERM), 0);
	ck_assert_int_eq(rtvm_ctx_add_fault(ctx, RTVM_OP_SCHED_SET, "4242/4251",
					    1, 1, EPERM), 0);
	ck_assert_int_eq(rtvm_vm_set_sched(vm, RTVM_VM_ROLE_VCPU, NULL, &a,
					   RTVM_SCHED_PROVISION_RT, cs,
					   &skipped), -ENOSPC);
	ck_assert_ptr_nonnull(strstr(log_last, "no RT budget"));
	expect_file(ctx, CPUCG "/machine/cpu.rt_runtime_us", "0");
	expect_file(ctx, DOMCG "/cpu.rt_runtime_us", "0");
	expect_file(ctx, DOMCG "/vcpu0/cpu.rt_runtime_us", "0");
	expect_policy(ctx, QEMU, VCPU0, SCHED_FIFO, 1);
#undef DOMCG
	rtvm_vm_unref(vm);
	rtvm_changeset_unref(cs);
	rtvm_unref(ctx);
}
END_TEST

START_TEST(test_rt_group_failures)
{
	struct rtvm_ctx *ctx = new_ctx();
	struct rtvm_changeset *cs = new_cs(ctx);
	struct rtvm_sched_attr a = attr(SCHED_RR, 5, 0);
	struct rtvm_vm *vm;
	unsigned int skipped;

	rt_tree(ctx);
	/* still refused after provisioning: the runtimes go back */
	ck_assert_int_eq(rtvm_ctx_add_fault(ctx, RTVM_OP_SCHED_SET, "4242/4250",
					    1, 2, EPERM), 0);
	ck_assert_int_eq(rtvm_thread_set_sched(ctx, QEMU, VCPU0, &a,
					       RTVM_SCHED_PROVISION_RT, cs), -EPERM);
	ck_assert_ptr_nonnull(strstr(log_last, "still fails"));
	ck_assert_uint_eq(rtvm_changeset_get_count(cs), 0);
	expect_file(ctx, CPUCG "/machine/cpu.rt_runtime_us", "0");
	expect_file(ctx, CPUCG "/machine/vm1/cpu.rt_runtime_us", "0");
	expect_policy(ctx, QEMU, VCPU0, SCHED_FIFO, 1);

	/* no budget left at the root */
	rtvm_ctx_clear_faults(ctx);
	tu_write(ctx, CPUCG "/machine.slice/cpu.rt_runtime_us", "950000\n");
	ck_assert_int_eq(rtvm_ctx_add_fault(ctx, RTVM_OP_SCHED_SET, "4242/4250",
					    1, 1, EPERM), 0);
	ck_assert_int_eq(rtvm_thread_set_sched(ctx, QEMU, VCPU0, &a,
					       RTVM_SCHED_PROVISION_RT, cs), -ENOSPC);
	ck_assert_ptr_nonnull(strstr(log_last, "no RT budget"));
	ck_assert_uint_eq(rtvm_changeset_get_count(cs), 0);
	expect_file(ctx, CPUCG "/machine/cpu.rt_runtime_us", "0");

	/* smaller than the default: what remains */
	rtvm_ctx_clear_faults(ctx);
	tu_write(ctx, CPUCG "/machine.slice/cpu.rt_runtime_us", "946000\n");
	vm = new_vm(ctx);
	ck_assert_int_eq(rtvm_ctx_add_fault(ctx, RTVM_OP_SCHED_SET, "4242/4250",
					    1, 1, EPERM), 0);
	ck_assert_int_eq(rtvm_vm_set_sched(vm, RTVM_VM_ROLE_VCPU, NULL, &a,
					   RTVM_SCHED_PROVISION_RT, cs, &skipped), 0);
	expect_file(ctx, CPUCG "/machine/cpu.rt_runtime_us", "4000");
	expect_file(ctx, CPUCG "/machine/vm1/cpu.rt_runtime_us", "4000");
	ck_assert_uint_eq(rtvm_changeset_get_count(cs), 4);
	ck_assert_int_eq(rtvm_changeset_restore(cs, 0), 0);
	expect_file(ctx, CPUCG "/machine/cpu.rt_runtime_us", "0");
	expect_policy(ctx, QEMU, VCPU0, SCHED_FIFO, 1);
	expect_policy(ctx, QEMU, VCPU1, SCHED_FIFO, 1);

	/* a plain EPERM (cgroup with runtime): no hint about cgroups */
	rtvm_ctx_clear_faults(ctx);
	tu_write(ctx, CPUCG "/machine/cpu.rt_runtime_us", "10000\n");
	tu_write(ctx, CPUCG "/machine/vm1/cpu.rt_runtime_us", "10000\n");
	ck_assert_int_eq(rtvm_ctx_add_fault(ctx, RTVM_OP_SCHED_SET, "4242/4250",
					    1, 1, EPERM), 0);
	ck_assert_int_eq(rtvm_thread_set_sched(ctx, QEMU, VCPU0, &a,
					       RTVM_SCHED_PROVISION_RT, cs), -EPERM);
	ck_assert_ptr_nonnull(strstr(log_last, "CAP_SYS_NICE"));
	expect_file(ctx, CPUCG "/machine/cpu.rt_runtime_us", "10000");
	rtvm_vm_unref(vm);
	rtvm_changeset_unref(cs);
	rtvm_unref(ctx);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("sched");
	TCase *tc = tcase_create("sched");

	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_validation);
	tcase_add_test(tc, test_roundtrip);
	tcase_add_test(tc, test_rt_keeps_nice);
	tcase_add_test(tc, test_restore_original);
	tcase_add_test(tc, test_restore_keeps_nice);
	tcase_add_test(tc, test_restore_other_nice_from_rt);
	tcase_add_test(tc, test_thread_affinity);
	tcase_add_test(tc, test_vm_set_sched_mask);
	tcase_add_test(tc, test_vm_pin);
	tcase_add_test(tc, test_vm_fault_rolls_back);
	tcase_add_test(tc, test_vm_esrch_skipped);
	tcase_add_test(tc, test_vm_thread_gone_after_discovery);
	tcase_add_test(tc, test_kthreads_apply);
	tcase_add_test(tc, test_kthreads_all_or_nothing);
	tcase_add_test(tc, test_rt_group);
	tcase_add_test(tc, test_rt_group_failures);
	tcase_add_test(tc, test_rt_group_per_vcpu);
	suite_add_tcase(s, tc);
	return tu_run(s);
}
