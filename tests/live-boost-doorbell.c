/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Live tier: the boost doorbell on the real kernel.  A fake VM (a child of
 * the test whose sleeping threads are named "CPU 0/KVM" and "CPU 1/KVM",
 * as QEMU names its vCPU threads), the broker as its ivshmem server, and
 * the test as QEMU (it speaks the client's side of the ivshmem server
 * protocol and takes the region and the broker's eventfd) and as the
 * guest (the guest API on those descriptors).  The vCPU thread's policy
 * is read from /proc/PID/task/TID/stat and with chrt: it changes on a
 * posted BOOST and comes back after DEBOOST, the watchdog, QEMU's end and
 * the broker's.  Then rtvm-boostd serves the doorbell and rtvm-guest
 * --doorbell uses it through a fake PCI device directory whose resource2
 * is the region.  Only the child's sleeping threads are ever changed.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "testutil.h"
#include "ivshmem-client.h"

struct fx {
	struct tu_child child;
	struct rtvm_ctx *ctx;
	struct rtvm_vm *vm;
	struct rtvm_boost *b;
	unsigned int id;
	char dir[64], path[96];
	struct ivc qemu;
	struct rtvm_boost_bell *g;
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

/* Fields 40 (rt_priority) and 41 (policy) of the thread's stat. */
static void proc_sched(const struct fx *f, pid_t tid, int *policy, int *prio)
{
	char path[96], buf[1024], *p;
	int field = 3;

	snprintf(path, sizeof(path), "/proc/%d/task/%d/stat", (int)f->child.pid,
		 (int)tid);
	ck_assert_int_eq(tu_read_text(path, buf, sizeof(buf)), 0);
	p = strrchr(buf, ')'); /* the name may hold spaces: "CPU 1/KVM" */
	ck_assert_ptr_nonnull(p);
	p += 2;
	for (; field < 40; field++) {
		p = strchr(p, ' ');
		ck_assert_ptr_nonnull(p);
		p++;
	}
	ck_assert_int_eq(sscanf(p, "%d %d", prio, policy), 2);
}

static void expect_sched(const struct fx *f, pid_t tid, const char *name,
			 int policy, int prio)
{
	char *out = tu_run_cmd("chrt -p %d", (int)tid), want[64];
	int pol, pr;

	proc_sched(f, tid, &pol, &pr);
	ck_assert_msg(pol == policy && pr == prio,
		      "/proc: thread %d policy %d priority %d, expected %d %d",
		      (int)tid, pol, pr, policy, prio);
	snprintf(want, sizeof(want), "priority: %d\n", prio);
	ck_assert_msg(strstr(out, name) && strstr(out, want),
		      "chrt -p %d: %s, expected %s %d", (int)tid, out, name,
		      prio);
	free(out);
}

static void expect_original(const struct fx *f)
{
	expect_sched(f, f->child.tids[1], "SCHED_OTHER", 0, 0);
	expect_sched(f, f->child.tids[2], "SCHED_OTHER", 0, 0);
	errno = 0;
	ck_assert_int_eq(getpriority(PRIO_PROCESS, (id_t)f->child.tids[2]), 4);
	ck_assert_int_eq(errno, 0);
}

/* Run the broker's loop, as a daemon would, until @done says so (at most
 * @ms: a hung broker fails here, a slow one does not). */
static void pump_until(struct fx *f, bool (*done)(struct fx *), int ms)
{
	struct pollfd p = { .fd = rtvm_boost_get_fd(f->b), .events = POLLIN };

	for (int waited = 0; !done(f); waited += 5) {
		ck_assert_msg(waited <= ms, "nothing within %d ms", ms);
		ck_assert_int_ge(poll(&p, 1, 5), 0);
		if (p.revents & POLLIN)
			ck_assert_int_ge(rtvm_boost_dispatch(f->b), 0);
	}
}

static bool qemu_connected(struct fx *f)
{
	struct rtvm_boost_stats s = { .size = sizeof(s) };

	ck_assert_int_eq(rtvm_boost_get_stats(f->b, f->id, -1, &s), 0);
	return s.channels == 1;
}

static struct fx setup(unsigned int max_boost_us)
{
	struct rtvm_boost_policy pol = {
		.size = sizeof(pol), .max_boost_us = max_boost_us,
		.budget_us = 1000000, .budget_period_us = 1000000 };
	struct fx f = {0};

	f.child = tu_spawn_named("CPU 0/KVM", "CPU 1/KVM");
	/* vCPU 1 runs at nice 4: it must come back to exactly that. */
	ck_assert_int_eq(setpriority(PRIO_PROCESS, (id_t)f.child.tids[2], 4), 0);
	ck_assert_int_eq(rtvm_new(&f.ctx), 0);
	rtvm_set_log_fn(f.ctx, log_stderr);
	ck_assert_int_eq(rtvm_vm_new_from_pid(f.ctx, f.child.pid, &f.vm), 0);
	ck_assert_uint_eq(rtvm_vm_get_nr_vcpus(f.vm), 2);
	ck_assert_int_eq(rtvm_boost_new(f.ctx, 0, &f.b), 0);
	ck_assert_int_eq(rtvm_boost_add_vm(f.b, f.vm, &pol, &f.id), 0);
	strcpy(f.dir, "/tmp/live-bell-XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(f.dir));
	snprintf(f.path, sizeof(f.path), "%s/vm.ivshmem", f.dir);
	ck_assert_int_eq(rtvm_boost_add_doorbell(f.b, f.id, f.path, 1, 0), 0);
	ck_assert_int_eq(ivc_connect(f.path, &f.qemu), 0);
	pump_until(&f, qemu_connected, 2000);
	ck_assert_int_eq(ivc_setup(&f.qemu, 1), 0);
	ck_assert_int_eq(rtvm_boost_bell_open_fd(f.qemu.shm, f.qemu.ring, &f.g),
			 0);
	ck_assert_uint_eq(rtvm_boost_bell_get_nr_vcpus(f.g), 2);
	return f;
}

static void teardown(struct fx *f)
{
	rtvm_boost_bell_close(f->g);
	ivc_close(&f->qemu);
	rtvm_boost_unref(f->b);
	rtvm_vm_unref(f->vm);
	rtvm_unref(f->ctx);
	tu_reap(&f->child);
	free(tu_run_cmd("rm -rf %s", f->dir));
}

static unsigned int want_vcpu;

static bool acked(struct fx *f)
{
	struct rtvm_boost_msg m;

	return rtvm_boost_bell_get_ack(f->g, want_vcpu, &m) == 0;
}

/* Post and run the broker until the line has its answer. */
static struct rtvm_boost_msg post(struct fx *f, struct rtvm_boost_msg req)
{
	struct rtvm_boost_msg ack;

	ck_assert_int_eq(rtvm_boost_bell_post(f->g, &req), 0);
	want_vcpu = req.vcpu;
	pump_until(f, acked, 2000);
	ck_assert_int_eq(rtvm_boost_bell_get_ack(f->g, req.vcpu, &ack), 0);
	ck_assert_uint_eq(ack.seq, req.seq);
	return ack;
}

static struct rtvm_boost_msg fifo(uint16_t vcpu, uint8_t prio)
{
	return (struct rtvm_boost_msg){ .type = RTVM_BOOST_BOOST, .vcpu = vcpu,
					.policy = RTVM_BOOST_SCHED_FIFO,
					.priority = prio };
}

static struct rtvm_boost_msg deboost(uint16_t vcpu)
{
	return (struct rtvm_boost_msg){ .type = RTVM_BOOST_DEBOOST,
					.vcpu = vcpu };
}

START_TEST(test_boost_deboost)
{
	struct fx f = setup(60000000);

	ck_assert_uint_eq(post(&f, fifo(1, 5)).status, RTVM_BOOST_OK);
	expect_sched(&f, f.child.tids[2], "SCHED_FIFO", 1, 5);
	expect_sched(&f, f.child.tids[1], "SCHED_OTHER", 0, 0);
	/* Above the ceiling (10): refused, nothing changes. */
	ck_assert_uint_eq(post(&f, fifo(0, 50)).status, RTVM_BOOST_CEILING);
	expect_sched(&f, f.child.tids[1], "SCHED_OTHER", 0, 0);
	ck_assert_uint_eq(post(&f, deboost(1)).status, RTVM_BOOST_OK);
	expect_original(&f);
	teardown(&f);
}
END_TEST

static bool expired(struct fx *f)
{
	struct rtvm_boost_stats s = { .size = sizeof(s) };

	ck_assert_int_eq(rtvm_boost_get_stats(f->b, f->id, 1, &s), 0);
	return s.expired == 1;
}

/* A guest that never deboosts: the broker's timer ends the boost. */
START_TEST(test_watchdog)
{
	struct fx f = setup(20000);
	struct rtvm_boost_msg ack = post(&f, fifo(1, 3));

	ck_assert_uint_eq(ack.status, RTVM_BOOST_OK);
	ck_assert_uint_le(ack.until_us, 20000);
	expect_sched(&f, f.child.tids[2], "SCHED_FIFO", 1, 3);
	pump_until(&f, expired, 2000);
	expect_original(&f);
	teardown(&f);
}
END_TEST

static bool qemu_gone(struct fx *f)
{
	return !qemu_connected(f);
}

START_TEST(test_qemu_goes_away)
{
	struct fx f = setup(60000000);

	ck_assert_uint_eq(post(&f, fifo(0, 2)).status, RTVM_BOOST_OK);
	ck_assert_uint_eq(post(&f, fifo(1, 2)).status, RTVM_BOOST_OK);
	expect_sched(&f, f.child.tids[1], "SCHED_FIFO", 1, 2);
	ivc_close(&f.qemu);
	pump_until(&f, qemu_gone, 2000);
	expect_original(&f);
	teardown(&f);
}
END_TEST

START_TEST(test_broker_exit)
{
	struct fx f = setup(60000000);

	ck_assert_uint_eq(post(&f, fifo(1, 9)).status, RTVM_BOOST_OK);
	expect_sched(&f, f.child.tids[2], "SCHED_FIFO", 1, 9);
	f.b = rtvm_boost_unref(f.b);
	expect_original(&f);
	ck_assert_int_eq(access(f.path, F_OK), -1);
	teardown(&f);
}
END_TEST

/* ---- rtvm-boostd and rtvm-guest --doorbell -------------------------------- */

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

/* QEMU's part in the guest's ring: the register write becomes a write
 * to the broker's eventfd.  The stand-in writes it every millisecond (a
 * ring with nothing new costs the broker one look at each line). */
static atomic_bool ringing;

static void *ringer(void *arg)
{
	const int *fd = arg;
	uint64_t one = 1;

	while (atomic_load(&ringing)) {
		if (write(*fd, &one, sizeof(one)) < 0)
			break;
		usleep(1000);
	}
	return NULL;
}

static void put_file(const char *dir, const char *name, const void *data,
		     size_t len)
{
	char path[256];
	int fd;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(write(fd, data, len), (ssize_t)len);
	close(fd);
}

START_TEST(test_daemon_and_guest_tool)
{
	struct tu_child child = tu_spawn_named("CPU 0/KVM", "CPU 1/KVM");
	char dir[] = "/tmp/live-bell-XXXXXX", config[128], sock[128], bell[160];
	char control[128], state[128], dev[96], link[128], *out;
	static const uint8_t regs[256];
	struct ivc qemu;
	pthread_t t;
	pid_t daemon;
	int status, r;
	FILE *f;

	ck_assert_int_eq(setpriority(PRIO_PROCESS, (id_t)child.tids[2], 4), 0);
	ck_assert_ptr_nonnull(mkdtemp(dir));
	snprintf(config, sizeof(config), "%s/boostd.json", dir);
	snprintf(sock, sizeof(sock), "%s/vm1.sock", dir);
	snprintf(bell, sizeof(bell), "%s/vm1.ivshmem", dir);
	snprintf(control, sizeof(control), "%s/control.sock", dir);
	snprintf(state, sizeof(state), "%s/state.json", dir);
	f = fopen(config, "w");
	ck_assert_ptr_nonnull(f);
	fprintf(f, "{ \"control\": \"%s\", \"vms\": [ { \"name\": \"vm1\", "
		   "\"pid\": %d, \"listen\": \"%s\", \"doorbell\": \"%s\", "
		   "\"doorbell_vectors\": 2, "
		   "\"policy\": { \"max_priority\": 20, "
		   "\"max_boost_us\": 60000000, \"budget_us\": 1000000, "
		   "\"budget_period_us\": 1000000 } } ] }\n",
		control, (int)child.pid, sock, bell);
	fclose(f);
	daemon = fork();
	ck_assert_int_ge(daemon, 0);
	if (daemon == 0) {
		char bin[512];

		snprintf(bin, sizeof(bin), "%s/examples/rtvm-boostd", builddir());
		execl(bin, bin, "-c", config, "--state", state, (char *)NULL);
		_exit(127);
	}
	wait_file(bell);
	/* The test is QEMU: it takes the region and the eventfd (the socket
	 * exists from bind(), before the daemon listens on it). */
	for (int i = 0; i < 200 && (r = ivc_connect(bell, &qemu)) == -ECONNREFUSED; i++)
		usleep(10000);
	ck_assert_msg(r == 0, "connect to %s: %s", bell, strerror(-r));
	ck_assert_int_eq(ivc_setup(&qemu, 2), 0); /* doorbell_vectors */
	/* The guest's view: a PCI device whose BAR2 is the region. */
	snprintf(dev, sizeof(dev), "%s/0000:00:05.0", dir);
	ck_assert_int_eq(mkdir(dev, 0700), 0);
	put_file(dev, "vendor", "0x1af4\n", 7);
	put_file(dev, "device", "0x1110\n", 7);
	put_file(dev, "resource0", regs, sizeof(regs));
	snprintf(link, sizeof(link), "/proc/%d/fd/%d", (int)getpid(), qemu.shm);
	snprintf(bell, sizeof(bell), "%s/resource2", dev);
	ck_assert_int_eq(symlink(link, bell), 0);
	atomic_store(&ringing, true);
	ck_assert_int_eq(pthread_create(&t, NULL, ringer, &qemu.ring), 0);

	out = tu_run_cmd("%s/examples/rtvm-guest --doorbell %s boost --fifo 7 "
			 "--vcpu 1 -- chrt -p %d 2>&1", builddir(), dir,
			 (int)child.tids[2]);
	ck_assert_msg(strstr(out, "SCHED_FIFO") && strstr(out, "priority: 7"),
		      "inside the boost: %s", out);
	free(out);
	out = tu_run_cmd("chrt -p %d", (int)child.tids[2]);
	ck_assert_msg(strstr(out, "SCHED_OTHER"), "after: %s", out);
	free(out);
	errno = 0;
	ck_assert_int_eq(getpriority(PRIO_PROCESS, (id_t)child.tids[2]), 4);
	/* over the ceiling: refused, named, and CMD does not run */
	out = tu_run_cmd("%s/examples/rtvm-guest --doorbell %s boost --fifo 30 "
			 "--vcpu 1 -- echo ran 2>&1; echo rc=$?", builddir(), dev);
	ck_assert_msg(strstr(out, "ceiling") && strstr(out, "rc=1") &&
		      !strstr(out, "ran\n"), "refusal: %s", out);
	free(out);
	out = tu_run_cmd("%s/examples/rtvm-guest --doorbell %s bench --vcpu 0 "
			 "--count 20 --interval 0 --json", builddir(), dev);
	ck_assert_msg(strstr(out, "\"transport\":\"doorbell\",\"pairs\":20,"
				  "\"refused\":0"), "bench: %s", out);
	free(out);
	out = tu_run_cmd("%s/examples/rtvm-guest --doorbell %s/none boost "
			 "--fifo 1 -- true 2>&1; echo rc=$?", builddir(), dir);
	ck_assert_msg(strstr(out, "/none") && strstr(out, "rc=1"), "none: %s",
		      out);
	free(out);

	atomic_store(&ringing, false);
	pthread_join(t, NULL);
	ivc_close(&qemu);
	kill(daemon, SIGTERM);
	ck_assert_int_eq(waitpid(daemon, &status, 0), daemon);
	ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0,
		      "rtvm-boostd exit status %d", status);
	snprintf(bell, sizeof(bell), "%s/vm1.ivshmem", dir);
	ck_assert_msg(access(bell, F_OK) != 0, "the doorbell socket is left");
	out = tu_run_cmd("chrt -p %d", (int)child.tids[1]);
	ck_assert_msg(strstr(out, "SCHED_OTHER"), "vCPU 0 after: %s", out);
	free(out);
	tu_reap(&child);
	free(tu_run_cmd("rm -rf %s", dir));
}
END_TEST

int main(void)
{
	Suite *s;
	TCase *tc;

	if (tu_rt_skip("live doorbell tests"))
		return EXIT_SKIP;
	s = suite_create("live-boost-doorbell");
	tc = tcase_create("live-boost-doorbell");
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_boost_deboost);
	tcase_add_test(tc, test_watchdog);
	tcase_add_test(tc, test_qemu_goes_away);
	tcase_add_test(tc, test_broker_exit);
	tcase_add_test(tc, test_daemon_and_guest_tool);
	suite_add_tcase(s, tc);
	return tu_run(s);
}
