/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Unit tier: the boost broker's state machine, policy, budget, watchdog
 * and rate limit, with a fake clock, on the v2host sysroot (qemu 777 with
 * vCPU threads 790 and 791, SCHED_OTHER), whose syscall simulation shows
 * each boost in the fixture's /proc.  Channels are socketpairs.
 */
#include "config.h"

#include <errno.h>
#include <inttypes.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "librtvm-private.h"
#include "testutil.h"

#define QEMU 777
#define VCPU0 790
#define VCPU1 791
#define US 1000ull

static uint64_t fake_now;

static uint64_t fake_clock(void *data)
{
	(void)data;
	return fake_now;
}

struct fx {
	struct rtvm_ctx *ctx;
	struct rtvm_vm *vm;
	struct rtvm_boost *b;
	unsigned int id;
};

static struct fx setup(const struct rtvm_boost_policy *pol)
{
	struct fx f = {0};
	struct rtvm_sched_attr nice3 = { .size = sizeof(nice3),
					 .policy = SCHED_OTHER, .nice = 3 };

	f.ctx = tu_ctx("v2host");
	/* vCPU 0 runs at nice 3: a deboost must give it back exactly. */
	ck_assert_int_eq(rtvm_thread_set_sched(f.ctx, QEMU, VCPU0, &nice3, 0,
					       NULL), 0);
	ck_assert_int_eq(rtvm_vm_new_from_pid(f.ctx, QEMU, &f.vm), 0);
	ck_assert_int_eq(rtvm_boost_new(f.ctx, 0, &f.b), 0);
	fake_now = 1000000 * US;
	rtvm_boost_set_clock(f.b, fake_clock, NULL);
	ck_assert_int_eq(rtvm_boost_add_vm(f.b, f.vm, pol, &f.id), 0);
	return f;
}

static void teardown(struct fx *f)
{
	rtvm_boost_unref(f->b);
	rtvm_vm_unref(f->vm);
	rtvm_unref(f->ctx);
}

static struct rtvm_sched_attr sched_of(struct fx *f, pid_t tid)
{
	struct rtvm_sched_attr a = { .size = sizeof(a) };

	ck_assert_int_eq(rtvm_thread_get_sched(f->ctx, QEMU, tid, &a), 0);
	return a;
}

static void expect_sched(struct fx *f, pid_t tid, int policy, int prio,
			 int nice)
{
	struct rtvm_sched_attr a = sched_of(f, tid);

	ck_assert_msg(a.policy == policy && a.priority == prio && a.nice == nice,
		      "thread %d: policy %d prio %d nice %d, expected %d %d %d",
		      tid, a.policy, a.priority, a.nice, policy, prio, nice);
}

static struct rtvm_boost_msg msg(uint8_t type, uint16_t vcpu, uint32_t seq)
{
	return (struct rtvm_boost_msg){ .version = 1, .type = type,
					.vcpu = vcpu, .seq = seq };
}

static struct rtvm_boost_msg fifo(uint16_t vcpu, uint32_t seq, uint8_t prio,
				  uint32_t until_us)
{
	struct rtvm_boost_msg m = msg(RTVM_BOOST_BOOST, vcpu, seq);

	m.policy = RTVM_BOOST_SCHED_FIFO;
	m.priority = prio;
	m.until_us = until_us;
	return m;
}

/* Send @m directly; the acknowledgement's status. */
static int ask(struct fx *f, struct rtvm_boost_msg m, struct rtvm_boost_msg *ack)
{
	struct rtvm_boost_msg a;

	ck_assert_int_eq(rtvm_boost_request(f->b, f->id, &m, &a), 0);
	ck_assert_int_eq(a.type, m.type | RTVM_BOOST_ACK);
	ck_assert_uint_eq(a.seq, m.seq);
	if (ack)
		*ack = a;
	return a.status;
}

static struct rtvm_boost_stats stats(struct fx *f, int vcpu)
{
	struct rtvm_boost_stats s = { .size = sizeof(s) };

	ck_assert_int_eq(rtvm_boost_get_stats(f->b, f->id, vcpu, &s), 0);
	return s;
}

static void advance(struct fx *f, uint64_t us)
{
	fake_now += us * US;
	ck_assert_int_ge(rtvm_boost_dispatch(f->b), 0);
}

/* ---- boost, query, deboost ------------------------------------------------ */

START_TEST(test_boost_deboost)
{
	struct fx f = setup(NULL);
	const struct rtvm_changeset *cs;
	const struct rtvm_change *c;
	struct rtvm_boost_msg ack;
	struct rtvm_boost_stats s;

	ck_assert_int_eq(ask(&f, msg(RTVM_BOOST_HELLO, 2, 1), &ack), 0);
	/* The HELLO answer tells the VM's limits (the defaults). */
	ck_assert_uint_eq(ack.version, 1);
	ck_assert_uint_eq(ack.vcpu, 2);
	ck_assert_uint_eq(ack.policy, RTVM_BOOST_ALLOW(1) | RTVM_BOOST_ALLOW(2));
	ck_assert_uint_eq(ack.priority, 10);
	ck_assert_uint_eq(ack.until_us, 10000);
	ck_assert_uint_eq(ack.runtime_us, 500000);
	ck_assert_uint_eq(ack.period_us, 1000000);

	/* The journal: each vCPU as it was when the VM was added. */
	cs = rtvm_boost_get_changes(f.b, f.id);
	ck_assert_uint_eq(rtvm_changeset_get_count(cs), 2);
	c = rtvm_changeset_next(cs, NULL);
	ck_assert_ptr_nonnull(strstr(rtvm_change_get_target(c), "777/790@"));
	ck_assert_str_eq(rtvm_change_get_old_value(c), "other:0:3");
	ck_assert_ptr_null(rtvm_boost_get_changes(f.b, f.id + 1));

	ck_assert_int_eq(ask(&f, fifo(0, 2, 5, 0), &ack), RTVM_BOOST_OK);
	ck_assert_uint_eq(ack.policy, RTVM_BOOST_SCHED_FIFO);
	ck_assert_uint_eq(ack.priority, 5);
	ck_assert_uint_eq(ack.until_us, 10000);
	expect_sched(&f, VCPU0, SCHED_FIFO, 5, 3);
	expect_sched(&f, VCPU1, SCHED_OTHER, 0, 0);

	advance(&f, 4000);
	ck_assert_int_eq(ask(&f, msg(RTVM_BOOST_QUERY, 0, 3), &ack), 0);
	ck_assert_uint_eq(ack.policy, RTVM_BOOST_SCHED_FIFO);
	ck_assert_uint_eq(ack.until_us, 6000);
	s = stats(&f, 0);
	ck_assert_int_eq(s.boosted, 1);
	ck_assert_uint_eq(s.boosted_ns, 4000 * US);

	/* A second BOOST replaces the first: new priority, new grant. */
	ck_assert_int_eq(ask(&f, fifo(0, 4, 8, 2000), &ack), 0);
	ck_assert_uint_eq(ack.until_us, 2000);
	expect_sched(&f, VCPU0, SCHED_FIFO, 8, 3);

	advance(&f, 1000);
	ck_assert_int_eq(ask(&f, msg(RTVM_BOOST_DEBOOST, 0, 5), &ack), 0);
	ck_assert_uint_eq(ack.policy, 0);
	ck_assert_uint_eq(ack.priority, 0);
	expect_sched(&f, VCPU0, SCHED_OTHER, 0, 3);
	/* Deboosting what is not boosted is harmless. */
	ck_assert_int_eq(ask(&f, msg(RTVM_BOOST_DEBOOST, 0, 6), NULL), 0);
	ck_assert_int_eq(ask(&f, msg(RTVM_BOOST_DEBOOST, 1, 7), NULL), 0);
	expect_sched(&f, VCPU1, SCHED_OTHER, 0, 0);

	s = stats(&f, 0);
	ck_assert_uint_eq(s.boosts, 2);
	ck_assert_uint_eq(s.deboosts, 1);
	ck_assert_uint_eq(s.boosted_ns, 5000 * US);
	ck_assert_int_eq(s.boosted, 0);
	s = stats(&f, -1);
	ck_assert_uint_eq(s.requests, 7);
	ck_assert_uint_eq(s.boosts, 2);
	teardown(&f);
}
END_TEST

START_TEST(test_deadline)
{
	struct rtvm_boost_policy pol = {
		.size = sizeof(pol),
		.policies = RTVM_BOOST_ALLOW(RTVM_BOOST_SCHED_DEADLINE),
		.budget_us = 300, .budget_period_us = 1000,
		.max_boost_us = 50000,
	};
	struct fx f = setup(&pol);
	struct rtvm_boost_msg m = msg(RTVM_BOOST_BOOST, 1, 1), ack;
	struct rtvm_sched_attr a;

	m.policy = RTVM_BOOST_SCHED_DEADLINE;
	m.runtime_us = 200;
	m.deadline_us = 1000;
	/* Only in an exclusive cpuset (a partition root on cgroup v2, as a
	 * shield makes): elsewhere the kernel would not admit a pinned
	 * deadline thread, nor enforce its runtime on its own. */
	ck_assert_int_eq(ask(&f, m, &ack), RTVM_BOOST_POLICY);
	tu_write(f.ctx, "sys/fs/cgroup/machine.slice/machine-qemu\\x2d1\\x2dvm1"
		 ".scope/libvirt/vcpu1/cpuset.cpus.partition", "root invalid\n");
	ck_assert_int_eq(ask(&f, m, &ack), RTVM_BOOST_POLICY);
	tu_write(f.ctx, "sys/fs/cgroup/machine.slice/machine-qemu\\x2d1\\x2dvm1"
		 ".scope/libvirt/vcpu1/cpuset.cpus.partition", "root\n");
	m.seq = 2;
	ck_assert_int_eq(ask(&f, m, &ack), RTVM_BOOST_OK);
	ck_assert_uint_eq(ack.runtime_us, 200);
	ck_assert_uint_eq(ack.deadline_us, 1000);
	ck_assert_uint_eq(ack.period_us, 1000); /* period 0: the deadline */
	/* budget 300 of 1000: the grant ends with the budget */
	ck_assert_uint_eq(ack.until_us, 300);
	a = sched_of(&f, VCPU1);
	ck_assert_int_eq(a.policy, 6);
	ck_assert_uint_eq(a.runtime_ns, 200 * US);
	ck_assert_uint_eq(a.deadline_ns, 1000 * US);
	ck_assert_uint_eq(a.period_ns, 1000 * US);
	ck_assert_int_eq(ask(&f, msg(RTVM_BOOST_DEBOOST, 1, 2), NULL), 0);
	expect_sched(&f, VCPU1, SCHED_OTHER, 0, 0);

	/* More bandwidth than the budget's share, bad orders, FIFO. */
	m.runtime_us = 400;
	ck_assert_int_eq(ask(&f, m, NULL), RTVM_BOOST_PARAMS);
	m.runtime_us = 200;
	m.period_us = 500; /* deadline 1000 > period */
	ck_assert_int_eq(ask(&f, m, NULL), RTVM_BOOST_PARAMS);
	m.period_us = 0;
	m.runtime_us = 1; /* below the kernel's 1024 ns */
	ck_assert_int_eq(ask(&f, m, NULL), RTVM_BOOST_PARAMS);
	m.runtime_us = 200;
	m.priority = 3;
	ck_assert_int_eq(ask(&f, m, NULL), RTVM_BOOST_PARAMS);
	ck_assert_int_eq(ask(&f, fifo(1, 9, 1, 0), NULL), RTVM_BOOST_POLICY);
	expect_sched(&f, VCPU1, SCHED_OTHER, 0, 0);
	teardown(&f);
}
END_TEST

/* ---- refusals: counted, answered, never applied --------------------------- */

START_TEST(test_refusals)
{
	struct fx f = setup(NULL);
	struct rtvm_boost_msg m, ack;
	struct rtvm_boost_stats s;

	ck_assert_int_eq(ask(&f, fifo(2, 1, 5, 0), &ack), RTVM_BOOST_BAD_VCPU);
	ck_assert_uint_eq(ack.vcpu, 2);
	ck_assert_int_eq(ask(&f, fifo(0xffff, 2, 5, 0), NULL),
			 RTVM_BOOST_BAD_VCPU);
	ck_assert_int_eq(ask(&f, fifo(0, 3, 11, 0), NULL), RTVM_BOOST_CEILING);
	ck_assert_int_eq(ask(&f, fifo(0, 4, 99, 0), NULL), RTVM_BOOST_CEILING);
	ck_assert_int_eq(ask(&f, fifo(0, 5, 0, 0), NULL), RTVM_BOOST_PARAMS);
	ck_assert_int_eq(ask(&f, fifo(0, 6, 100, 0), NULL), RTVM_BOOST_PARAMS);
	m = fifo(0, 7, 5, 0);
	m.runtime_us = 10;
	ck_assert_int_eq(ask(&f, m, NULL), RTVM_BOOST_PARAMS);
	m = fifo(0, 8, 5, 0);
	m.policy = 3; /* SCHED_BATCH is no boost */
	ck_assert_int_eq(ask(&f, m, NULL), RTVM_BOOST_PARAMS);
	m.policy = RTVM_BOOST_SCHED_DEADLINE; /* not allowed by default */
	m.priority = 0;
	m.runtime_us = 10;
	m.deadline_us = 100;
	ck_assert_int_eq(ask(&f, m, NULL), RTVM_BOOST_POLICY);
	m = fifo(0, 9, 5, 0);
	m.version = 3;
	ck_assert_int_eq(ask(&f, m, NULL), RTVM_BOOST_BAD_VERSION);
	m = fifo(0, 10, 5, 0);
	m.features = 1; /* a field a version 1 BOOST does not use */
	ck_assert_int_eq(ask(&f, m, NULL), RTVM_BOOST_MALFORMED);
	m = msg(RTVM_BOOST_BOOST | RTVM_BOOST_ACK, 0, 11); /* guests ask */
	ck_assert_int_eq(ask(&f, m, NULL), RTVM_BOOST_MALFORMED);
	m = msg(RTVM_BOOST_DEBOOST, 0, 12);
	m.priority = 1;
	ck_assert_int_eq(ask(&f, m, NULL), RTVM_BOOST_MALFORMED);
	/* an unknown type is answered too: 5 by 0x85 (ask() checks it) */
	ck_assert_int_eq(ask(&f, msg(5, 0, 13), NULL), RTVM_BOOST_MALFORMED);

	expect_sched(&f, VCPU0, SCHED_OTHER, 0, 3);
	expect_sched(&f, VCPU1, SCHED_OTHER, 0, 0);
	s = stats(&f, -1);
	ck_assert_uint_eq(s.requests, 14);
	ck_assert_uint_eq(s.boosts, 0);
	ck_assert_uint_eq(s.refused[RTVM_BOOST_BAD_VCPU], 2);
	ck_assert_uint_eq(s.refused[RTVM_BOOST_CEILING], 2);
	ck_assert_uint_eq(s.refused[RTVM_BOOST_PARAMS], 4);
	ck_assert_uint_eq(s.refused[RTVM_BOOST_POLICY], 1);
	ck_assert_uint_eq(s.refused[RTVM_BOOST_BAD_VERSION], 1);
	ck_assert_uint_eq(s.refused[RTVM_BOOST_MALFORMED], 4);
	teardown(&f);
}
END_TEST

START_TEST(test_failed_apply)
{
	struct fx f = setup(NULL);

	ck_assert_int_eq(rtvm_ctx_add_fault(f.ctx, RTVM_OP_SCHED_SET, "777/791",
					    1, 1, EPERM), 0);
	ck_assert_int_eq(ask(&f, fifo(1, 1, 5, 0), NULL), RTVM_BOOST_FAILED);
	ck_assert_int_eq(stats(&f, 1).boosted, 0);
	expect_sched(&f, VCPU1, SCHED_OTHER, 0, 0);
	ck_assert_int_eq(ask(&f, fifo(1, 2, 5, 0), NULL), RTVM_BOOST_OK);
	ck_assert_uint_eq(stats(&f, -1).refused[RTVM_BOOST_FAILED], 1);
	teardown(&f);
}
END_TEST

/* ---- the host ends boosts: grant, budget ---------------------------------- */

START_TEST(test_watchdog)
{
	struct rtvm_boost_policy pol = { .size = sizeof(pol),
					 .max_boost_us = 1000 };
	struct fx f = setup(&pol);
	struct rtvm_boost_event ev = { .size = sizeof(ev) };
	struct rtvm_boost_msg ack;
	uint64_t lost;

	/* A guest that never deboosts: the maximum ends it. */
	ck_assert_int_eq(ask(&f, fifo(0, 41, 5, 0), &ack), 0);
	ck_assert_uint_eq(ack.until_us, 1000);
	/* Asking for longer than the maximum gets the maximum. */
	ck_assert_int_eq(ask(&f, fifo(1, 42, 5, 5000), &ack), 0);
	ck_assert_uint_eq(ack.until_us, 1000);
	advance(&f, 999);
	expect_sched(&f, VCPU0, SCHED_FIFO, 5, 3);
	advance(&f, 1);
	expect_sched(&f, VCPU0, SCHED_OTHER, 0, 3);
	expect_sched(&f, VCPU1, SCHED_OTHER, 0, 0);
	ck_assert_uint_eq(stats(&f, 0).expired, 1);
	ck_assert_uint_eq(stats(&f, -1).expired, 2);
	ck_assert_uint_eq(stats(&f, 0).boosted_ns, 1000 * US);

	/* A requested duration shorter than the maximum ends it sooner. */
	ck_assert_int_eq(ask(&f, fifo(0, 43, 5, 300), &ack), 0);
	ck_assert_uint_eq(ack.until_us, 300);
	advance(&f, 300);
	expect_sched(&f, VCPU0, SCHED_OTHER, 0, 3);

	/* The trail: 3 requests, 3 ends by the host with the boost's seq. */
	for (int i = 0; i < 6; i++) {
		ck_assert_int_eq(rtvm_boost_next_event(f.b, &ev, &lost), 0);
		if (ev.request.type == 0) {
			ck_assert_uint_eq(ev.ack.type,
					  RTVM_BOOST_DEBOOST | RTVM_BOOST_ACK);
			ck_assert_uint_eq(ev.ack.status, RTVM_BOOST_EXPIRED);
			ck_assert_uint_ge(ev.ack.seq, 41);
		}
	}
	ck_assert_int_eq(ev.tid, VCPU0);
	ck_assert_uint_eq(ev.ack.seq, 43);
	ck_assert_int_eq(rtvm_boost_next_event(f.b, &ev, &lost), -EAGAIN);
	ck_assert_uint_eq(lost, 0);
	teardown(&f);
}
END_TEST

START_TEST(test_budget)
{
	struct rtvm_boost_policy pol = { .size = sizeof(pol),
					 .max_boost_us = 1500,
					 .budget_us = 2000,
					 .budget_period_us = 10000 };
	struct fx f = setup(&pol);
	struct rtvm_boost_msg ack;
	struct rtvm_boost_stats s;

	ck_assert_int_eq(ask(&f, fifo(1, 1, 5, 0), &ack), 0);
	ck_assert_uint_eq(ack.until_us, 1500);
	advance(&f, 1500);
	expect_sched(&f, VCPU1, SCHED_OTHER, 0, 0);
	/* 500 us of budget left: that is the grant, and the budget ends it. */
	ck_assert_int_eq(ask(&f, fifo(1, 2, 5, 0), &ack), 0);
	ck_assert_uint_eq(ack.until_us, 500);
	advance(&f, 500);
	expect_sched(&f, VCPU1, SCHED_OTHER, 0, 0);
	ck_assert_int_eq(ask(&f, fifo(1, 3, 5, 0), &ack), RTVM_BOOST_BUDGET);
	expect_sched(&f, VCPU1, SCHED_OTHER, 0, 0);
	/* Other vCPUs have their own budget. */
	ck_assert_int_eq(ask(&f, fifo(0, 4, 5, 100), NULL), 0);
	s = stats(&f, 1);
	ck_assert_uint_eq(s.expired, 1);
	ck_assert_uint_eq(s.budget_ends, 1);
	ck_assert_uint_eq(s.boosted_ns, 2000 * US);
	/* The next period gives the budget back. */
	advance(&f, 8000);
	ck_assert_int_eq(ask(&f, fifo(1, 5, 5, 0), &ack), 0);
	ck_assert_uint_eq(ack.until_us, 1500);
	ck_assert_uint_eq(stats(&f, -1).refused[RTVM_BOOST_BUDGET], 1);
	teardown(&f);
}
END_TEST

/* A guest that asks again and again, never deboosting: boosted for the
 * budget of each period, not more. */
START_TEST(test_budget_flood)
{
	struct rtvm_boost_policy pol = { .size = sizeof(pol),
					 .max_boost_us = 10000,
					 .budget_us = 300000,
					 .budget_period_us = 1000000 };
	struct fx f = setup(&pol);
	struct rtvm_boost_stats s;

	for (uint32_t i = 0; i < 3000; i++) {
		ask(&f, fifo(0, i, 5, 0), NULL);
		advance(&f, 1000);
	}
	s = stats(&f, 0);
	ck_assert_msg(s.boosted_ns <= 3 * 300000 * US &&
		      s.boosted_ns >= 3 * 300000 * US - 2000 * US,
		      "boosted %" PRIu64 " ns in 3 periods of a 300 ms budget",
		      s.boosted_ns);
	ck_assert_uint_gt(s.budget_ends, 0);
	teardown(&f);
}
END_TEST

/* A budget of the whole period is no budget: the grant is the maximum. */
START_TEST(test_budget_whole_period)
{
	struct rtvm_boost_policy pol = { .size = sizeof(pol),
					 .max_boost_us = 5000,
					 .budget_us = 1000,
					 .budget_period_us = 1000 };
	struct fx f = setup(&pol);
	struct rtvm_boost_msg ack;

	ck_assert_int_eq(ask(&f, fifo(0, 1, 5, 0), &ack), 0);
	ck_assert_uint_eq(ack.until_us, 5000);
	advance(&f, 4999);
	expect_sched(&f, VCPU0, SCHED_FIFO, 5, 3);
	advance(&f, 1);
	expect_sched(&f, VCPU0, SCHED_OTHER, 0, 3);
	ck_assert_uint_eq(stats(&f, 0).expired, 1);
	ck_assert_uint_eq(stats(&f, 0).budget_ends, 0);
	teardown(&f);
}
END_TEST

/* A boost that runs through the start of a period: what lies after it is
 * the new period's, so no period sees more than the budget. */
START_TEST(test_budget_across_periods)
{
	struct rtvm_boost_policy pol = { .size = sizeof(pol),
					 .max_boost_us = 800,
					 .budget_us = 1000,
					 .budget_period_us = 2000 };
	struct fx f = setup(&pol);
	struct rtvm_boost_msg ack;

	advance(&f, 1600); /* 400 us before the period ends */
	ck_assert_int_eq(ask(&f, fifo(0, 1, 5, 0), &ack), 0);
	ck_assert_uint_eq(ack.until_us, 800);
	advance(&f, 800); /* 400 us in each period */
	ck_assert_uint_eq(stats(&f, 0).expired, 1);
	ck_assert_int_eq(ask(&f, fifo(0, 2, 5, 0), &ack), 0);
	ck_assert_uint_eq(ack.until_us, 600); /* 1000 - 400 */
	ck_assert_uint_eq(stats(&f, 0).boosted_ns, 800 * US);
	teardown(&f);
}
END_TEST

START_TEST(test_rate)
{
	struct rtvm_boost_policy pol = { .size = sizeof(pol),
					 .rate = 1000, .burst = 4 };
	struct fx f = setup(&pol);

	for (uint32_t i = 0; i < 4; i++)
		ck_assert_int_eq(ask(&f, msg(RTVM_BOOST_QUERY, 0, i), NULL), 0);
	ck_assert_int_eq(ask(&f, fifo(0, 4, 5, 0), NULL), RTVM_BOOST_RATE);
	expect_sched(&f, VCPU0, SCHED_OTHER, 0, 3);
	advance(&f, 1000); /* one request's worth */
	ck_assert_int_eq(ask(&f, fifo(0, 5, 5, 0), NULL), 0);
	ck_assert_int_eq(ask(&f, msg(RTVM_BOOST_DEBOOST, 0, 6), NULL),
			 RTVM_BOOST_RATE);
	advance(&f, 1000000); /* the bucket holds no more than the burst */
	for (uint32_t i = 0; i < 4; i++)
		ck_assert_int_eq(ask(&f, msg(RTVM_BOOST_QUERY, 0, 7 + i), NULL), 0);
	ck_assert_int_eq(ask(&f, msg(RTVM_BOOST_QUERY, 0, 11), NULL),
			 RTVM_BOOST_RATE);
	ck_assert_uint_eq(stats(&f, -1).refused[RTVM_BOOST_RATE], 3);
	teardown(&f);
}
END_TEST

/* ---- channels ------------------------------------------------------------- */

static void put(int fd, struct rtvm_boost_msg m)
{
	uint8_t buf[RTVM_BOOST_MSG_SIZE];

	ck_assert_int_eq(rtvm_boost_msg_encode(&m, buf), 0);
	ck_assert_int_eq(write(fd, buf, sizeof(buf)), sizeof(buf));
}

static struct rtvm_boost_msg get_ack(int fd)
{
	uint8_t buf[RTVM_BOOST_MSG_SIZE];
	struct rtvm_boost_msg m;

	ck_assert_int_eq(read(fd, buf, sizeof(buf)), sizeof(buf));
	ck_assert_int_eq(rtvm_boost_msg_decode(buf, &m), 0);
	return m;
}

static int channel(struct fx *f)
{
	int sv[2];

	ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv),
			 0);
	ck_assert_int_eq(rtvm_boost_add_channel(f->b, f->id, sv[0]), 0);
	return sv[1];
}

START_TEST(test_channel)
{
	struct fx f = setup(NULL);
	int guest = channel(&f);
	uint8_t half[RTVM_BOOST_MSG_SIZE];
	struct rtvm_boost_msg m = fifo(1, 2, 7, 0), ack;

	put(guest, fifo(0, 1, 5, 0));
	ck_assert_int_eq(rtvm_boost_dispatch(f.b), 1);
	ack = get_ack(guest);
	ck_assert_uint_eq(ack.status, RTVM_BOOST_NO_HELLO);
	expect_sched(&f, VCPU0, SCHED_OTHER, 0, 3);

	/* HELLO from a newer guest: the host's version is agreed. */
	m = msg(RTVM_BOOST_HELLO, 2, 1);
	m.version = 3;
	put(guest, m);
	ck_assert_int_eq(rtvm_boost_dispatch(f.b), 1);
	ack = get_ack(guest);
	ck_assert_uint_eq(ack.status, 0);
	ck_assert_uint_eq(ack.version, 2);
	ck_assert_uint_eq(ack.vcpu, 2);
	/* and from a version 1 guest: 1, and the channel stays at 1 */
	put(guest, msg(RTVM_BOOST_HELLO, 2, 1));
	ck_assert_int_eq(rtvm_boost_dispatch(f.b), 1);
	ack = get_ack(guest);
	ck_assert_uint_eq(ack.version, 1);
	ck_assert_uint_eq(ack.deadline_us, 0); /* no lead in version 1 */

	/* A message in two pieces is one request. */
	m = fifo(1, 2, 7, 0);
	ck_assert_int_eq(rtvm_boost_msg_encode(&m, half), 0);
	ck_assert_int_eq(write(guest, half, 10), 10);
	ck_assert_int_eq(rtvm_boost_dispatch(f.b), 0);
	expect_sched(&f, VCPU1, SCHED_OTHER, 0, 0);
	ck_assert_int_eq(write(guest, half + 10, 22), 22);
	ck_assert_int_eq(rtvm_boost_dispatch(f.b), 1);
	ack = get_ack(guest);
	ck_assert_uint_eq(ack.status, 0);
	ck_assert_uint_eq(ack.seq, 2);
	expect_sched(&f, VCPU1, SCHED_FIFO, 7, 0);

	/* The grant runs out: the guest hears it on its channel. */
	advance(&f, 10000);
	ack = get_ack(guest);
	ck_assert_uint_eq(ack.type, RTVM_BOOST_DEBOOST | RTVM_BOOST_ACK);
	ck_assert_uint_eq(ack.status, RTVM_BOOST_EXPIRED);
	ck_assert_uint_eq(ack.seq, 2);
	ck_assert_uint_eq(ack.vcpu, 1);
	expect_sched(&f, VCPU1, SCHED_OTHER, 0, 0);

	/* Pipelined requests, answered in order. */
	put(guest, fifo(0, 3, 5, 0));
	put(guest, fifo(1, 4, 6, 0));
	put(guest, msg(RTVM_BOOST_QUERY, 1, 5));
	ck_assert_int_eq(rtvm_boost_dispatch(f.b), 3);
	ck_assert_uint_eq(get_ack(guest).seq, 3);
	ck_assert_uint_eq(get_ack(guest).seq, 4);
	ack = get_ack(guest);
	ck_assert_uint_eq(ack.seq, 5);
	ck_assert_uint_eq(ack.priority, 6);

	/* The guest goes away: its boosts end. */
	ck_assert_int_eq(stats(&f, -1).channels, 1);
	close(guest);
	ck_assert_int_eq(rtvm_boost_dispatch(f.b), 0);
	ck_assert_int_eq(stats(&f, -1).channels, 0);
	expect_sched(&f, VCPU0, SCHED_OTHER, 0, 3);
	expect_sched(&f, VCPU1, SCHED_OTHER, 0, 0);
	ck_assert_uint_eq(stats(&f, -1).closed, 2);
	teardown(&f);
}
END_TEST

/* A guest that writes as fast as it can and never reads: each dispatch
 * handles at most 64 requests, and answers it cannot deliver are dropped
 * and counted, never waited for. */
START_TEST(test_flood)
{
	struct rtvm_boost_policy pol = { .size = sizeof(pol),
					 .rate = 100000, .burst = 100 };
	struct fx f = setup(&pol);
	int sv[2], guest, sndbuf = 4096, n, total = 0, sent = 0;
	uint8_t buf[64 * RTVM_BOOST_MSG_SIZE];
	struct rtvm_boost_msg m = msg(RTVM_BOOST_HELLO, 2, 0);
	struct rtvm_boost_stats s;

	/* A small send buffer on the broker's end, so that it fills. */
	ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	ck_assert_int_eq(setsockopt(sv[0], SOL_SOCKET, SO_SNDBUF, &sndbuf,
				    sizeof(sndbuf)), 0);
	ck_assert_int_eq(rtvm_boost_add_channel(f.b, f.id, sv[0]), 0);
	guest = sv[1];
	ck_assert_int_eq(fcntl(guest, F_SETFL, O_NONBLOCK), 0);
	put(guest, m);
	for (int i = 0; i < 64; i++) {
		m = fifo((uint16_t)(i % 3), (uint32_t)i, (uint8_t)(i / 3 % 12), 0);
		ck_assert_int_eq(rtvm_boost_msg_encode(&m, buf + i * 32), 0);
	}
	for (int round = 0; round < 200; round++) {
		ssize_t w = write(guest, buf, sizeof(buf));

		if (w > 0)
			sent += (int)w;
		n = rtvm_boost_dispatch(f.b);
		ck_assert_int_ge(n, 0);
		ck_assert_int_le(n, 64);
		total += n;
		fake_now += 100 * US;
	}
	while ((n = rtvm_boost_dispatch(f.b)) > 0)
		total += n;
	ck_assert_int_eq(total, 1 + sent / 32);
	s = stats(&f, -1);
	ck_assert_uint_eq(s.requests, (uint64_t)total);
	ck_assert_uint_gt(s.acks_dropped, 0);
	ck_assert_uint_gt(s.refused[RTVM_BOOST_RATE], 0);
	ck_assert_uint_gt(s.refused[RTVM_BOOST_BAD_VCPU], 0);
	ck_assert_uint_gt(s.refused[RTVM_BOOST_CEILING], 0);
	ck_assert_uint_gt(s.refused[RTVM_BOOST_PARAMS], 0);
	ck_assert_uint_gt(s.boosts, 0);
	close(guest);
	ck_assert_int_eq(rtvm_boost_dispatch(f.b), 0);
	expect_sched(&f, VCPU0, SCHED_OTHER, 0, 3);
	expect_sched(&f, VCPU1, SCHED_OTHER, 0, 0);
	teardown(&f);
}
END_TEST

/* ---- lifetime and arguments ----------------------------------------------- */

START_TEST(test_set_policy)
{
	struct fx f = setup(NULL);
	struct rtvm_boost_policy pol = { .size = sizeof(pol),
					 .max_priority = 20 };
	struct rtvm_boost_msg ack;

	ck_assert_int_eq(ask(&f, fifo(0, 1, 15, 0), NULL), RTVM_BOOST_CEILING);
	ck_assert_int_eq(ask(&f, fifo(1, 2, 5, 0), NULL), 0);
	ck_assert_int_eq(rtvm_boost_set_policy(f.b, f.id, &pol), 0);
	/* the boost in force keeps its grant */
	ck_assert_int_eq(ask(&f, msg(RTVM_BOOST_QUERY, 1, 3), &ack), 0);
	ck_assert_uint_eq(ack.priority, 5);
	ck_assert_uint_eq(ack.until_us, 10000);
	ck_assert_int_eq(ask(&f, fifo(0, 4, 15, 0), NULL), 0);
	expect_sched(&f, VCPU0, SCHED_FIFO, 15, 3);
	pol.max_priority = 100;
	ck_assert_int_eq(rtvm_boost_set_policy(f.b, f.id, &pol), -EINVAL);
	ck_assert_int_eq(rtvm_boost_set_policy(f.b, f.id + 1, NULL), -ENOENT);
	ck_assert_int_eq(rtvm_boost_set_policy(NULL, f.id, NULL), -EINVAL);
	/* back to the defaults: ceiling 10 again */
	ck_assert_int_eq(rtvm_boost_set_policy(f.b, f.id, NULL), 0);
	ck_assert_int_eq(ask(&f, fifo(0, 5, 15, 0), NULL), RTVM_BOOST_CEILING);
	teardown(&f);
}
END_TEST

START_TEST(test_unref_restores)
{
	struct fx f = setup(NULL);
	struct rtvm_boost_event ev = { .size = sizeof(ev) };
	uint64_t lost;

	ck_assert_int_eq(ask(&f, fifo(0, 1, 5, 0), NULL), 0);
	ck_assert_int_eq(ask(&f, fifo(1, 2, 9, 0), NULL), 0);
	expect_sched(&f, VCPU1, SCHED_FIFO, 9, 0);
	/* The trail keeps the last 4096 entries. */
	for (uint32_t i = 0; i < 5000; i++)
		ask(&f, msg(RTVM_BOOST_QUERY, 0, i), NULL);
	ck_assert_int_eq(rtvm_boost_next_event(f.b, &ev, &lost), 0);
	ck_assert_uint_eq(lost, 5002 - 4096);
	ck_assert_uint_eq(ev.request.seq, 5002 - 4096 - 2);
	rtvm_boost_unref(f.b);
	f.b = NULL;
	expect_sched(&f, VCPU0, SCHED_OTHER, 0, 3);
	expect_sched(&f, VCPU1, SCHED_OTHER, 0, 0);
	teardown(&f);
}
END_TEST

START_TEST(test_remove_vm)
{
	struct fx f = setup(NULL);
	int guest = channel(&f);
	char c;

	ck_assert_int_eq(ask(&f, fifo(1, 1, 5, 0), NULL), 0);
	ck_assert_int_eq(rtvm_boost_remove_vm(f.b, f.id), 0);
	expect_sched(&f, VCPU1, SCHED_OTHER, 0, 0);
	/* its channel is closed */
	ck_assert_int_eq(read(guest, &c, 1), 0);
	close(guest);
	ck_assert_int_eq(rtvm_boost_remove_vm(f.b, f.id), -ENOENT);
	ck_assert_int_eq(rtvm_boost_request(f.b, f.id, &(struct rtvm_boost_msg){0},
					    &(struct rtvm_boost_msg){0}), -ENOENT);
	teardown(&f);
}
END_TEST

START_TEST(test_bad_args)
{
	struct fx f = setup(NULL);
	struct rtvm_boost_policy pol = { .size = sizeof(pol) };
	struct rtvm_boost_stats s = { .size = sizeof(s) };
	struct rtvm_boost_event ev = { .size = 1 };
	struct rtvm_boost *b2;
	unsigned int id;
	int sv[2];

	ck_assert_int_eq(rtvm_boost_new(NULL, 0, &b2), -EINVAL);
	ck_assert_int_eq(rtvm_boost_new(f.ctx, 1, &b2), -EINVAL);
	ck_assert_int_eq(rtvm_boost_add_vm(f.b, f.vm, NULL, &id), -EEXIST);
	ck_assert_int_eq(rtvm_boost_new(f.ctx, 0, &b2), 0);
	pol.max_priority = 100;
	ck_assert_int_eq(rtvm_boost_add_vm(b2, f.vm, &pol, &id), -EINVAL);
	pol.max_priority = 0;
	pol.budget_us = 2000;
	pol.budget_period_us = 1000;
	ck_assert_int_eq(rtvm_boost_add_vm(b2, f.vm, &pol, &id), -EINVAL);
	pol.budget_us = 0;
	pol.budget_period_us = 0;
	pol.policies = RTVM_BOOST_ALLOW(3);
	ck_assert_int_eq(rtvm_boost_add_vm(b2, f.vm, &pol, &id), -EINVAL);
	pol.policies = 0;
	pol.size = 8;
	ck_assert_int_eq(rtvm_boost_add_vm(b2, f.vm, &pol, &id), -EINVAL);
	rtvm_boost_unref(b2);

	ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	/* an unknown VM: refused, and the fd is the broker's (closed) */
	ck_assert_int_eq(rtvm_boost_add_channel(f.b, f.id + 1, sv[0]), -ENOENT);
	ck_assert_int_eq(fcntl(sv[0], F_GETFD), -1);
	close(sv[1]);
	ck_assert_int_eq(rtvm_boost_add_channel(f.b, f.id, -1), -EINVAL);
	ck_assert_int_eq(rtvm_boost_get_stats(f.b, f.id, 2, &s), -EINVAL);
	ck_assert_int_eq(rtvm_boost_get_stats(f.b, f.id, -2, &s), -EINVAL);
	ck_assert_int_eq(rtvm_boost_get_stats(f.b, f.id + 1, 0, &s), -ENOENT);
	s.size = 0;
	ck_assert_int_eq(rtvm_boost_get_stats(f.b, f.id, 0, &s), -EINVAL);
	ck_assert_int_eq(rtvm_boost_next_event(f.b, &ev, NULL), -EINVAL);
	ck_assert_int_eq(rtvm_boost_get_fd(NULL), -EINVAL);
	ck_assert_int_ge(rtvm_boost_get_fd(f.b), 0);
	ck_assert_int_eq(rtvm_boost_dispatch(NULL), -EINVAL);
	ck_assert_ptr_null(rtvm_boost_unref(NULL));
	teardown(&f);
}
END_TEST

/* ---- version 2: boosts that start later ---------------------------------- */

static struct rtvm_boost_msg armed(uint16_t vcpu, uint32_t seq, uint8_t prio,
				   uint32_t until_us, uint32_t start_us)
{
	struct rtvm_boost_msg m = fifo(vcpu, seq, prio, until_us);

	m.version = 2;
	m.start_us = start_us;
	return m;
}

START_TEST(test_armed)
{
	struct fx f = setup(NULL);
	struct rtvm_boost_event ev = { .size = sizeof(ev) };
	struct rtvm_boost_msg ack, m;
	struct rtvm_boost_stats s;

	/* Armed 800 us ahead: nothing changes until then. */
	ck_assert_int_eq(ask(&f, armed(0, 2, 5, 300, 800), &ack), 0);
	ck_assert_uint_eq(ack.version, 2);
	ck_assert_uint_eq(ack.policy, RTVM_BOOST_SCHED_FIFO);
	ck_assert_uint_eq(ack.priority, 5);
	ck_assert_uint_eq(ack.until_us, 300);
	ck_assert_uint_eq(ack.start_us, 800);
	ck_assert_uint_eq(stats(&f, 0).scheduled, 1);
	expect_sched(&f, VCPU0, SCHED_OTHER, 0, 3);
	advance(&f, 500);
	expect_sched(&f, VCPU0, SCHED_OTHER, 0, 3);
	m = msg(RTVM_BOOST_QUERY, 0, 3);
	m.version = 2;
	ck_assert_int_eq(ask(&f, m, &ack), 0);
	ck_assert_uint_eq(ack.policy, 0);
	ck_assert_uint_eq(ack.start_us, 300);
	/* Due: the timer's dispatch starts it, 20 us late here. */
	advance(&f, 320);
	expect_sched(&f, VCPU0, SCHED_FIFO, 5, 3);
	s = stats(&f, 0);
	ck_assert_uint_eq(s.started, 1);
	ck_assert_uint_eq(s.boosts, 1);
	ck_assert_int_eq(s.boosted, 1);
	ck_assert_uint_eq(s.start_late_max_ns, 20 * US);
	ck_assert_uint_eq(stats(&f, -1).start_late_max_ns, 20 * US);
	/* Its grant counts from its start, and ends it: the thread exactly
	 * as it was, nice 3. */
	advance(&f, 299);
	expect_sched(&f, VCPU0, SCHED_FIFO, 5, 3);
	advance(&f, 1);
	expect_sched(&f, VCPU0, SCHED_OTHER, 0, 3);
	s = stats(&f, 0);
	ck_assert_uint_eq(s.expired, 1);
	ck_assert_uint_eq(s.boosted_ns, 300 * US);
	/* The trail: the request, the start (the request again, with an OK
	 * ACK(BOOST) of what was applied), then the end. */
	ck_assert_int_eq(rtvm_boost_next_event(f.b, &ev, NULL), 0);
	ck_assert_uint_eq(ev.ack.start_us, 800);
	ck_assert_int_eq(rtvm_boost_next_event(f.b, &ev, NULL), 0); /* QUERY */
	ck_assert_int_eq(rtvm_boost_next_event(f.b, &ev, NULL), 0);
	ck_assert_uint_eq(ev.request.type, RTVM_BOOST_BOOST);
	ck_assert_uint_eq(ev.request.seq, 2);
	ck_assert_uint_eq(ev.ack.status, RTVM_BOOST_OK);
	ck_assert_uint_eq(ev.ack.priority, 5);
	ck_assert_uint_eq(ev.ack.start_us, 0);
	ck_assert_uint_eq(ev.ack.until_us, 300);
	ck_assert_int_eq(rtvm_boost_next_event(f.b, &ev, NULL), 0);
	ck_assert_uint_eq(ev.ack.status, RTVM_BOOST_EXPIRED);

	/* A boost in force stays while the next one is armed; the armed one
	 * replaces it when it starts; the original comes back at the end. */
	ck_assert_int_eq(ask(&f, fifo(1, 4, 3, 0), NULL), 0);
	ck_assert_int_eq(ask(&f, armed(1, 5, 7, 100, 50), &ack), 0);
	expect_sched(&f, VCPU1, SCHED_FIFO, 3, 0);
	advance(&f, 50);
	expect_sched(&f, VCPU1, SCHED_FIFO, 7, 0);
	advance(&f, 100);
	expect_sched(&f, VCPU1, SCHED_OTHER, 0, 0);

	/* DEBOOST drops an armed boost as well; a newer one replaces it. */
	ck_assert_int_eq(ask(&f, armed(0, 6, 5, 0, 100), NULL), 0);
	ck_assert_int_eq(ask(&f, msg(RTVM_BOOST_DEBOOST, 0, 7), &ack), 0);
	ck_assert_uint_eq(ack.start_us, 0);
	ck_assert_int_eq(ask(&f, armed(1, 8, 5, 0, 100), NULL), 0);
	ck_assert_int_eq(ask(&f, armed(1, 9, 6, 0, 200), NULL), 0);
	advance(&f, 150);
	expect_sched(&f, VCPU0, SCHED_OTHER, 0, 3);
	expect_sched(&f, VCPU1, SCHED_OTHER, 0, 0);
	advance(&f, 50);
	expect_sched(&f, VCPU1, SCHED_FIFO, 6, 0);
	ck_assert_uint_eq(stats(&f, -1).scheduled, 5);
	ck_assert_uint_eq(stats(&f, -1).started, 3);
	teardown(&f);
	/* and the broker's end put vCPU 1 back */
}
END_TEST

START_TEST(test_armed_refusals)
{
	struct rtvm_boost_policy pol = { .size = sizeof(pol),
					 .max_lead_us = 1000 };
	struct fx f = setup(&pol);
	struct rtvm_boost_msg ack, m;
	struct rtvm_boost_stats s;

	/* Judged when asked: the lead, the ceiling, the parameters, the
	 * policy; nothing is armed then. */
	ck_assert_int_eq(ask(&f, armed(0, 1, 5, 0, 1001), &ack),
			 RTVM_BOOST_LEAD);
	ck_assert_uint_eq(ack.start_us, 0);
	ck_assert_str_eq(rtvm_boost_reason_to_string(RTVM_BOOST_LEAD), "lead");
	ck_assert_int_eq(ask(&f, armed(0, 2, 11, 0, 100), NULL),
			 RTVM_BOOST_CEILING);
	ck_assert_int_eq(ask(&f, armed(0, 3, 0, 0, 100), NULL),
			 RTVM_BOOST_PARAMS);
	m = armed(0, 4, 0, 0, 100);
	m.policy = RTVM_BOOST_SCHED_DEADLINE;
	m.runtime_us = 10;
	m.deadline_us = 100;
	ck_assert_int_eq(ask(&f, m, NULL), RTVM_BOOST_POLICY);
	ck_assert_int_eq(ask(&f, armed(2, 5, 5, 0, 100), NULL),
			 RTVM_BOOST_BAD_VCPU);
	/* A version 1 BOOST has no start: its field must be zero. */
	m = armed(0, 6, 5, 0, 100);
	m.version = 1;
	ck_assert_int_eq(ask(&f, m, NULL), RTVM_BOOST_MALFORMED);
	advance(&f, 2000);
	expect_sched(&f, VCPU0, SCHED_OTHER, 0, 3);
	s = stats(&f, -1);
	ck_assert_uint_eq(s.scheduled, 0);
	ck_assert_uint_eq(s.boosts, 0);
	ck_assert_uint_eq(s.refused[RTVM_BOOST_LEAD], 1);
	ck_assert_uint_eq(s.refused[RTVM_BOOST_CEILING], 1);
	/* The lead limit itself is fine, and rate-limited like any request. */
	ck_assert_int_eq(ask(&f, armed(0, 7, 5, 0, 1000), NULL), 0);
	teardown(&f);
}
END_TEST

/* The budget is judged at the start: an armed boost whose vCPU has used
 * its budget by then is refused, counted, and the trail says so. */
START_TEST(test_armed_budget)
{
	struct rtvm_boost_policy pol = { .size = sizeof(pol),
					 .budget_us = 1000,
					 .budget_period_us = 100000 };
	struct fx f = setup(&pol);
	struct rtvm_boost_event ev = { .size = sizeof(ev) };
	struct rtvm_boost_msg ack;

	ck_assert_int_eq(ask(&f, armed(0, 1, 5, 0, 500), &ack), 0);
	ck_assert_int_eq(ask(&f, fifo(0, 2, 5, 0), &ack), 0);
	ck_assert_uint_eq(ack.until_us, 1000);
	ck_assert_uint_eq(ack.start_us, 500); /* still armed */
	advance(&f, 500);
	/* the armed one replaced the boost, with what the budget left */
	expect_sched(&f, VCPU0, SCHED_FIFO, 5, 3);
	ck_assert_int_eq(ask(&f, armed(0, 3, 5, 0, 600), NULL), 0);
	advance(&f, 500); /* the budget ends the boost */
	expect_sched(&f, VCPU0, SCHED_OTHER, 0, 3);
	advance(&f, 100); /* the armed one finds no budget */
	expect_sched(&f, VCPU0, SCHED_OTHER, 0, 3);
	ck_assert_uint_eq(stats(&f, -1).refused[RTVM_BOOST_BUDGET], 1);
	ck_assert_uint_eq(stats(&f, 0).started, 1);
	while (rtvm_boost_next_event(f.b, &ev, NULL) == 0)
		if (ev.request.seq == 3 &&
		    ev.ack.type == (RTVM_BOOST_DEBOOST | RTVM_BOOST_ACK))
			break;
	ck_assert_uint_eq(ev.request.seq, 3);
	ck_assert_uint_eq(ev.ack.status, RTVM_BOOST_BUDGET);
	teardown(&f);
}
END_TEST

/* Over a channel: version 2 agreed in HELLO, the host's own ACK(DEBOOST)
 * for an armed boost that cannot start, and a closed channel drops what
 * it armed. */
START_TEST(test_armed_channel)
{
	struct rtvm_boost_policy pol = { .size = sizeof(pol),
					 .budget_us = 100,
					 .budget_period_us = 100000 };
	struct fx f = setup(&pol);
	int guest = channel(&f);
	struct rtvm_boost_msg m = msg(RTVM_BOOST_HELLO, 2, 1), ack;

	m.version = 2;
	put(guest, m);
	ck_assert_int_eq(rtvm_boost_dispatch(f.b), 1);
	ack = get_ack(guest);
	ck_assert_uint_eq(ack.version, 2);
	ck_assert_uint_eq(ack.deadline_us, 100000); /* the longest lead */
	put(guest, armed(0, 2, 5, 0, 100));
	ck_assert_int_eq(rtvm_boost_dispatch(f.b), 1);
	ck_assert_uint_eq(get_ack(guest).start_us, 100);
	advance(&f, 100);
	expect_sched(&f, VCPU0, SCHED_FIFO, 5, 3);
	advance(&f, 100); /* the budget ends it: told */
	ack = get_ack(guest);
	ck_assert_uint_eq(ack.type, RTVM_BOOST_DEBOOST | RTVM_BOOST_ACK);
	ck_assert_uint_eq(ack.status, RTVM_BOOST_BUDGET);
	put(guest, armed(0, 3, 5, 0, 100));
	ck_assert_int_eq(rtvm_boost_dispatch(f.b), 1);
	get_ack(guest);
	advance(&f, 100); /* no budget at the start: told, with its seq */
	ack = get_ack(guest);
	ck_assert_uint_eq(ack.type, RTVM_BOOST_DEBOOST | RTVM_BOOST_ACK);
	ck_assert_uint_eq(ack.seq, 3);
	ck_assert_uint_eq(ack.version, 2);
	ck_assert_uint_eq(ack.status, RTVM_BOOST_BUDGET);
	/* The next period; armed, then the channel closes first. */
	advance(&f, 100000);
	put(guest, armed(1, 4, 5, 0, 100));
	ck_assert_int_eq(rtvm_boost_dispatch(f.b), 1);
	close(guest);
	ck_assert_int_ge(rtvm_boost_dispatch(f.b), 0);
	advance(&f, 200);
	expect_sched(&f, VCPU1, SCHED_OTHER, 0, 0);
	ck_assert_uint_eq(stats(&f, 1).started, 0);
	ck_assert_int_eq(stats(&f, -1).channels, 0);
	teardown(&f);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("boost");
	TCase *tc = tcase_create("boost");

	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_boost_deboost);
	tcase_add_test(tc, test_deadline);
	tcase_add_test(tc, test_refusals);
	tcase_add_test(tc, test_failed_apply);
	tcase_add_test(tc, test_watchdog);
	tcase_add_test(tc, test_budget);
	tcase_add_test(tc, test_budget_across_periods);
	tcase_add_test(tc, test_budget_whole_period);
	tcase_add_test(tc, test_budget_flood);
	tcase_add_test(tc, test_rate);
	tcase_add_test(tc, test_channel);
	tcase_add_test(tc, test_flood);
	tcase_add_test(tc, test_set_policy);
	tcase_add_test(tc, test_unref_restores);
	tcase_add_test(tc, test_remove_vm);
	tcase_add_test(tc, test_bad_args);
	tcase_add_test(tc, test_armed);
	tcase_add_test(tc, test_armed_refusals);
	tcase_add_test(tc, test_armed_budget);
	tcase_add_test(tc, test_armed_channel);
	suite_add_tcase(s, tc);
	return tu_run(s);
}
