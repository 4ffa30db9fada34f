/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Live tier: the boost broker on the real kernel.  A fake VM (a child of
 * the test whose sleeping threads are named "CPU 0/KVM" and "CPU 1/KVM",
 * as QEMU names its vCPU threads) and a guest-side client over a Unix
 * stream socket, as a virtio-serial channel's host end is: the vCPU
 * thread's policy is read with chrt and /proc, changing on BOOST and
 * coming back to the original (nice included) after DEBOOST, after the
 * grant runs out, when the guest goes away and when the broker is freed.
 * Only the child's threads are ever changed; they sleep, so SCHED_FIFO
 * costs the host nothing.
 */
#include "config.h"

#include <errno.h>
#include <poll.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <signal.h>
#include <unistd.h>

#include "testutil.h"

struct fx {
	struct tu_child child;
	struct rtvm_ctx *ctx;
	struct rtvm_vm *vm;
	struct rtvm_boost *b;
	unsigned int id;
	int guest; /* the guest's end of the channel */
};

static void log_stderr(struct rtvm_ctx *ctx, int priority, const char *file,
		       int line, const char *fn, const char *format,
		       va_list args)
{
	(void)ctx, (void)priority, (void)file, (void)line, (void)fn;
	fprintf(stderr, "librtvm: ");
	vfprintf(stderr, format, args);
	fputc('\n', stderr);
}

/* chrt's view of a thread: "SCHED_FIFO 5" */
static void expect_chrt(pid_t tid, const char *policy, int prio)
{
	char *out = tu_run_cmd("chrt -p %d", (int)tid), want[64];

	snprintf(want, sizeof(want), "priority: %d\n", prio);
	ck_assert_msg(strstr(out, policy) && strstr(out, want),
		      "chrt -p %d: %s, expected %s %d", (int)tid, out, policy,
		      prio);
	free(out);
}

/* Wait (up to 5 s) until @tid's policy is @policy; the caller checks. */
static void wait_chrt(pid_t tid, const char *policy)
{
	for (int i = 0; i < 500; i++) {
		char *out = tu_run_cmd("chrt -p %d", (int)tid);
		bool there = strstr(out, policy) != NULL;

		free(out);
		if (there)
			return;
		usleep(10000);
	}
}

static int nice_of(pid_t tid)
{
	errno = 0;
	int n = getpriority(PRIO_PROCESS, (id_t)tid);

	ck_assert_int_eq(errno, 0);
	return n;
}

/* Without @pol: the defaults, but a long grant, so that a loaded machine
 * does not end a boost before the test looks at it. */
static struct fx setup(const struct rtvm_boost_policy *pol)
{
	static const struct rtvm_boost_policy slow = {
		.size = sizeof(slow), .max_boost_us = 60000000,
		.budget_us = 1000000, .budget_period_us = 1000000 };
	struct fx f = {0};
	int sv[2];

	if (!pol)
		pol = &slow;

	f.child = tu_spawn_named("CPU 0/KVM", "CPU 1/KVM");
	/* vCPU 1 runs at nice 4: it must come back to exactly that. */
	ck_assert_int_eq(setpriority(PRIO_PROCESS, (id_t)f.child.tids[2], 4), 0);
	ck_assert_int_eq(rtvm_new(&f.ctx), 0);
	rtvm_set_log_fn(f.ctx, log_stderr);
	ck_assert_int_eq(rtvm_vm_new_from_pid(f.ctx, f.child.pid, &f.vm), 0);
	ck_assert_uint_eq(rtvm_vm_get_nr_vcpus(f.vm), 2);
	ck_assert_int_eq(rtvm_vm_get_vcpu_tid(f.vm, 1), f.child.tids[2]);
	ck_assert_int_eq(rtvm_boost_new(f.ctx, 0, &f.b), 0);
	ck_assert_int_eq(rtvm_boost_add_vm(f.b, f.vm, pol, &f.id), 0);
	ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv),
			 0);
	ck_assert_int_eq(rtvm_boost_add_channel(f.b, f.id, sv[0]), 0);
	f.guest = sv[1];
	return f;
}

static void teardown(struct fx *f)
{
	rtvm_boost_unref(f->b);
	rtvm_vm_unref(f->vm);
	rtvm_unref(f->ctx);
	if (f->guest >= 0)
		close(f->guest);
	tu_reap(&f->child);
}

static void send_msg(struct fx *f, struct rtvm_boost_msg m)
{
	uint8_t buf[RTVM_BOOST_MSG_SIZE];

	ck_assert_int_eq(rtvm_boost_msg_encode(&m, buf), 0);
	ck_assert_int_eq(write(f->guest, buf, sizeof(buf)), sizeof(buf));
}

/* Run the broker's loop, as a daemon would, until the guest has an
 * answer (at most @ms), and return it. */
static struct rtvm_boost_msg pump(struct fx *f, int ms)
{
	struct pollfd p[2] = {
		{ .fd = rtvm_boost_get_fd(f->b), .events = POLLIN },
		{ .fd = f->guest, .events = POLLIN },
	};
	uint8_t buf[RTVM_BOOST_MSG_SIZE];
	struct rtvm_boost_msg m;

	for (int waited = 0; !(p[1].revents & POLLIN); waited += 5) {
		ck_assert_msg(waited <= ms, "no answer within %d ms", ms);
		ck_assert_int_ge(poll(p, 2, 5), 0);
		if (p[0].revents & POLLIN)
			ck_assert_int_ge(rtvm_boost_dispatch(f->b), 0);
	}
	ck_assert_int_eq(read(f->guest, buf, sizeof(buf)), sizeof(buf));
	ck_assert_int_eq(rtvm_boost_msg_decode(buf, &m), 0);
	return m;
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

static void hello(struct fx *f)
{
	struct rtvm_boost_msg ack;

	send_msg(f, msg(RTVM_BOOST_HELLO, 2, 1));
	ack = pump(f, 2000);
	ck_assert_uint_eq(ack.type, RTVM_BOOST_HELLO | RTVM_BOOST_ACK);
	ck_assert_uint_eq(ack.status, RTVM_BOOST_OK);
	ck_assert_uint_eq(ack.vcpu, 2);
}

static void expect_original(struct fx *f)
{
	expect_chrt(f->child.tids[1], "SCHED_OTHER", 0);
	expect_chrt(f->child.tids[2], "SCHED_OTHER", 0);
	ck_assert_int_eq(nice_of(f->child.tids[2]), 4);
}

START_TEST(test_boost_deboost)
{
	struct fx f = setup(NULL);
	struct rtvm_boost_msg ack;

	hello(&f);
	send_msg(&f, fifo(1, 2, 5, 0));
	ack = pump(&f, 2000);
	ck_assert_uint_eq(ack.status, RTVM_BOOST_OK);
	expect_chrt(f.child.tids[2], "SCHED_FIFO", 5);
	expect_chrt(f.child.tids[1], "SCHED_OTHER", 0);
	/* Above the ceiling (10): refused, nothing changes. */
	send_msg(&f, fifo(0, 3, 50, 0));
	ack = pump(&f, 2000);
	ck_assert_uint_eq(ack.status, RTVM_BOOST_CEILING);
	expect_chrt(f.child.tids[1], "SCHED_OTHER", 0);
	send_msg(&f, msg(RTVM_BOOST_DEBOOST, 1, 4));
	ack = pump(&f, 2000);
	ck_assert_uint_eq(ack.status, RTVM_BOOST_OK);
	expect_original(&f);
	teardown(&f);
}
END_TEST

/* A guest that never deboosts: the broker's timer ends the boost. */
START_TEST(test_watchdog)
{
	struct rtvm_boost_policy pol = { .size = sizeof(pol),
					 .max_boost_us = 20000 };
	struct fx f = setup(&pol);
	struct rtvm_boost_stats s = { .size = sizeof(s) };
	struct rtvm_boost_msg ack;

	hello(&f);
	send_msg(&f, fifo(1, 7, 3, 0));
	ack = pump(&f, 2000);
	ck_assert_uint_eq(ack.status, RTVM_BOOST_OK);
	ck_assert_uint_eq(ack.until_us, 20000);
	expect_chrt(f.child.tids[2], "SCHED_FIFO", 3);
	ack = pump(&f, 2000);
	ck_assert_uint_eq(ack.type, RTVM_BOOST_DEBOOST | RTVM_BOOST_ACK);
	ck_assert_uint_eq(ack.status, RTVM_BOOST_EXPIRED);
	ck_assert_uint_eq(ack.seq, 7);
	expect_original(&f);
	ck_assert_int_eq(rtvm_boost_get_stats(f.b, f.id, 1, &s), 0);
	ck_assert_uint_eq(s.expired, 1);
	/* boosted for the grant, give or take the loop's wake-up */
	ck_assert_uint_ge(s.boosted_ns, 20000000);
	teardown(&f);
}
END_TEST

START_TEST(test_guest_goes_away)
{
	struct fx f = setup(NULL);

	hello(&f);
	send_msg(&f, fifo(0, 2, 2, 0));
	send_msg(&f, fifo(1, 3, 2, 0));
	ck_assert_uint_eq(pump(&f, 2000).status, RTVM_BOOST_OK);
	ck_assert_uint_eq(pump(&f, 2000).status, RTVM_BOOST_OK);
	expect_chrt(f.child.tids[1], "SCHED_FIFO", 2);
	close(f.guest);
	f.guest = -1;
	ck_assert_int_eq(rtvm_boost_dispatch(f.b), 0);
	expect_original(&f);
	teardown(&f);
}
END_TEST

START_TEST(test_broker_exit)
{
	struct fx f = setup(NULL);

	hello(&f);
	send_msg(&f, fifo(1, 2, 9, 0));
	ck_assert_uint_eq(pump(&f, 2000).status, RTVM_BOOST_OK);
	expect_chrt(f.child.tids[2], "SCHED_FIFO", 9);
	f.b = rtvm_boost_unref(f.b);
	expect_original(&f);
	teardown(&f);
}
END_TEST

/* ---- rtvm-boostd and rtvm-guest ------------------------------------------- */

struct daemon_fx {
	struct tu_child child;
	char dir[64], config[128], sock[128], control[128], state[128];
	pid_t pid;
	const char *bin;
};

static const char *builddir(void)
{
	const char *b = getenv("top_builddir");

	return b && *b ? b : ".";
}

static void wait_file(const char *path)
{
	for (int i = 0; i < 500 && access(path, F_OK) != 0; i++)
		usleep(10000);
	ck_assert_msg(access(path, F_OK) == 0, "%s did not appear", path);
}

static struct daemon_fx start_daemon(void)
{
	struct daemon_fx d = {0};
	FILE *f;

	d.child = tu_spawn_named("CPU 0/KVM", "CPU 1/KVM");
	ck_assert_int_eq(setpriority(PRIO_PROCESS, (id_t)d.child.tids[2], 4), 0);
	strcpy(d.dir, "/tmp/rtvm-boostd-XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(d.dir));
	snprintf(d.config, sizeof(d.config), "%s/boostd.json", d.dir);
	snprintf(d.sock, sizeof(d.sock), "%s/vm1.sock", d.dir);
	snprintf(d.control, sizeof(d.control), "%s/control.sock", d.dir);
	snprintf(d.state, sizeof(d.state), "%s/state.json", d.dir);
	f = fopen(d.config, "w");
	ck_assert_ptr_nonnull(f);
	fprintf(f, "{ \"control\": \"%s\", \"vms\": [ { \"name\": \"vm1\", "
		   "\"pid\": %d, \"listen\": \"%s\", \"policy\": { "
		   "\"policies\": [\"fifo\"], \"max_priority\": 20, "
		   "\"max_boost_us\": 60000000, \"max_lead_us\": 7000, "
		   "\"budget_us\": 1000000, "
		   "\"budget_period_us\": 1000000 } } ] }\n",
		d.control, (int)d.child.pid, d.sock);
	fclose(f);
	d.pid = fork();
	ck_assert_int_ge(d.pid, 0);
	if (d.pid == 0) {
		char bin[512];

		snprintf(bin, sizeof(bin), "%s/examples/rtvm-boostd", builddir());
		execl(bin, bin, "-c", d.config, "--state", d.state, (char *)NULL);
		_exit(127);
	}
	wait_file(d.sock);
	wait_file(d.state);
	return d;
}

static void stop_daemon(struct daemon_fx *d, int sig)
{
	int status;

	if (d->pid > 0) {
		kill(d->pid, sig);
		ck_assert_int_eq(waitpid(d->pid, &status, 0), d->pid);
		if (sig == SIGTERM)
			ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0,
				      "rtvm-boostd exit status %d", status);
		d->pid = 0;
	}
}

static void cleanup_daemon(struct daemon_fx *d)
{
	stop_daemon(d, SIGKILL);
	tu_reap(&d->child);
	free(tu_run_cmd("rm -rf %s", d->dir));
}

/* The guest tool boosts vCPU 1 while CMD runs: CMD itself sees the
 * thread at SCHED_FIFO 7 (chrt prints it); after, it is back. */
START_TEST(test_daemon)
{
	struct daemon_fx d = start_daemon();
	char *out;

	out = tu_run_cmd("%s/examples/rtvm-guest --port %s boost --fifo 7 "
			 "--vcpu 1 -- chrt -p %d", builddir(), d.sock,
			 (int)d.child.tids[2]);
	ck_assert_msg(strstr(out, "SCHED_FIFO") && strstr(out, "priority: 7"),
		      "inside the boost: %s", out);
	free(out);
	expect_chrt(d.child.tids[2], "SCHED_OTHER", 0);
	ck_assert_int_eq(nice_of(d.child.tids[2]), 4);
	/* over the ceiling: refused, named, and CMD does not run */
	out = tu_run_cmd("%s/examples/rtvm-guest --port %s boost --fifo 30 "
			 "--vcpu 1 -- echo ran 2>&1; echo rc=$?", builddir(), d.sock);
	ck_assert_msg(strstr(out, "ceiling") && strstr(out, "rc=1") &&
		      !strstr(out, "ran\n"), "refusal: %s", out);
	free(out);
	out = tu_run_cmd("%s/examples/rtvm-boostd status --json --control %s",
			 builddir(), d.control);
	ck_assert_msg(strstr(out, "\"boosts\":1") && strstr(out, "\"ceiling\":1") &&
		      strstr(out, "\"scheduled\":0"),
		      "status: %s", out);
	free(out);
	out = tu_run_cmd("%s/examples/rtvm-guest --port %s hello --json",
			 builddir(), d.sock);
	ck_assert_msg(strstr(out, "\"ceiling\":20") && strstr(out, "\"vcpus\":2") &&
		      strstr(out, "\"max_lead_us\":7000"),
		      "hello: %s", out);
	free(out);
	stop_daemon(&d, SIGTERM);
	ck_assert_msg(access(d.state, F_OK) != 0, "the journal is left");
	cleanup_daemon(&d);
}
END_TEST

/* A daemon killed while a vCPU is boosted leaves it boosted; restore (or
 * the next start) puts it back from the journal. */
START_TEST(test_daemon_crash)
{
	struct daemon_fx d = start_daemon();
	pid_t guest = fork();
	char *out;

	ck_assert_int_ge(guest, 0);
	if (guest == 0) {
		char bin[512], port[160];

		snprintf(bin, sizeof(bin), "%s/examples/rtvm-guest", builddir());
		snprintf(port, sizeof(port), "%s", d.sock);
		execl(bin, bin, "--port", port, "boost", "--fifo", "3", "--vcpu",
		      "1", "--", "sleep", "30", (char *)NULL);
		_exit(127);
	}
	wait_chrt(d.child.tids[2], "SCHED_FIFO");
	expect_chrt(d.child.tids[2], "SCHED_FIFO", 3);
	stop_daemon(&d, SIGKILL);
	kill(guest, SIGKILL);
	waitpid(guest, NULL, 0);
	expect_chrt(d.child.tids[2], "SCHED_FIFO", 3);
	/* A dry run lists the journal's records and changes nothing. */
	out = tu_run_cmd("%s/examples/rtvm-boostd restore --dry-run --json "
			 "--state %s --control %s 2>&1", builddir(), d.state,
			 d.control);
	ck_assert_msg(strstr(out, "\"dry_run\":\ttrue") &&
		      strstr(out, "\"kind\":\t\"thread_sched\""),
		      "restore --dry-run: %s", out);
	free(out);
	expect_chrt(d.child.tids[2], "SCHED_FIFO", 3);
	ck_assert_msg(access(d.state, F_OK) == 0, "the dry run removed the journal");
	out = tu_run_cmd("%s/examples/rtvm-boostd restore --state %s --control %s 2>&1",
			 builddir(), d.state, d.control);
	ck_assert_msg(strstr(out, "put 2 vCPU threads back"), "restore: %s", out);
	free(out);
	expect_chrt(d.child.tids[2], "SCHED_OTHER", 0);
	ck_assert_int_eq(nice_of(d.child.tids[2]), 4);
	ck_assert_msg(access(d.state, F_OK) != 0, "the journal is left");
	cleanup_daemon(&d);
}
END_TEST

/* rtvm-top --boost asks the daemon at each sample: the boosted vCPU and
 * the refusal show in the JSON, the table and the Prometheus file; with
 * the daemon gone, the figures are unknown and rtvm-top says why. */
START_TEST(test_top_boost)
{
	struct daemon_fx d = start_daemon();
	pid_t guest;
	char *out;

	/* one refusal (over the ceiling), then vCPU 1 boosted for good */
	free(tu_run_cmd("%s/examples/rtvm-guest --port %s boost --fifo 30 "
			"--vcpu 0 -- true 2>&1; true", builddir(), d.sock));
	guest = fork();
	ck_assert_int_ge(guest, 0);
	if (guest == 0) {
		char bin[512];

		snprintf(bin, sizeof(bin), "%s/examples/rtvm-guest", builddir());
		execl(bin, bin, "--port", d.sock, "boost", "--fifo", "3",
		      "--vcpu", "1", "--", "sleep", "30", (char *)NULL);
		_exit(127);
	}
	wait_chrt(d.child.tids[2], "SCHED_FIFO");
	expect_chrt(d.child.tids[2], "SCHED_FIFO", 3);
	out = tu_run_cmd(
		"%s/examples/rtvm-top --pid %d --boost --control %s --count 2 "
		"--interval 200 --no-intruders --json --textfile %s | tail -n 1 | "
		"python3 -c 'import json, sys\n"
		"d = json.load(sys.stdin)\n"
		"vm, = d[\"vms\"]\n"
		"b = vm[\"boost\"]\n"
		"assert b[\"boosted\"] and b[\"boosts_total\"] == 1, b\n"
		"assert b[\"refused_total\"] == 1 and b[\"refused\"] == 0, b\n"
		"v = {t[\"vcpu\"]: t[\"boost\"] for t in vm[\"threads\"] if t[\"role\"] == \"vcpu\"}\n"
		"assert v[1][\"boosted\"] and v[1][\"boosts\"] == 0, v\n"
		"assert v[1][\"boosted_ns\"] >= d[\"interval_ns\"] // 2, (v, d[\"interval_ns\"])\n"
		"assert not v[0][\"boosted\"] and v[0][\"boosted_ns_total\"] == 0, v\n"
		"assert all(\"boost\" not in t for t in vm[\"threads\"] if t[\"role\"] != \"vcpu\")\n"
		"print(\"OK\")' 2>&1",
		builddir(), (int)d.child.pid, d.control, d.dir);
	ck_assert_msg(strstr(out, "OK\n"), "rtvm-top --boost --json: %s", out);
	free(out);
	out = tu_run_cmd("grep -E '^rtvm_vcpu_boosted\\{vm=\"%d\",vcpu=\"1\",tid=\"%d\"\\} 1$|"
			 "^rtvm_vm_boost_refusals_total\\{vm=\"%d\"\\} 1$' %s/rtvm.prom",
			 (int)d.child.pid, (int)d.child.tids[2], (int)d.child.pid,
			 d.dir);
	ck_assert_msg(strstr(out, "rtvm_vcpu_boosted{") &&
		      strstr(out, "rtvm_vm_boost_refusals_total{"),
		      "rtvm.prom: %s", out);
	free(out);
	out = tu_run_cmd("%s/examples/rtvm-top --pid %d --boost --control %s "
			 "--count 1 --interval 100 --no-intruders",
			 builddir(), (int)d.child.pid, d.control);
	printf("%s", out);
	ck_assert_msg(strstr(out, "BOOSTS BOOST%") && strstr(out, "*\n") &&
		      strstr(out, "0 boosts, 0 refused;"),
		      "rtvm-top --boost: %s", out);
	free(out);
	stop_daemon(&d, SIGTERM);
	kill(guest, SIGKILL);
	waitpid(guest, NULL, 0);
	out = tu_run_cmd("%s/examples/rtvm-top --pid %d --boost --control %s "
			 "--count 1 --interval 100 --no-intruders --json 2>&1",
			 builddir(), (int)d.child.pid, d.control);
	ck_assert_msg(strstr(out, "is rtvm-boostd running?") &&
		      strstr(out, "\"boost\":null"), "without the daemon: %s", out);
	free(out);
	cleanup_daemon(&d);
}
END_TEST

int main(void)
{
	Suite *s;
	TCase *tc;

	if (tu_rt_skip("live boost tests"))
		return EXIT_SKIP;
	s = suite_create("live-boost");
	tc = tcase_create("live-boost");
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_boost_deboost);
	tcase_add_test(tc, test_watchdog);
	tcase_add_test(tc, test_guest_goes_away);
	tcase_add_test(tc, test_broker_exit);
	tcase_add_test(tc, test_daemon);
	tcase_add_test(tc, test_daemon_crash);
	tcase_add_test(tc, test_top_boost);
	suite_add_tcase(s, tc);
	return tu_run(s);
}
