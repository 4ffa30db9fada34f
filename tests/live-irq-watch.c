/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Live tier: an IRQ watch reacts to a link set down and up.
 *
 * The test moves into a network namespace of its own and makes a veth pair
 * there (a dummy device where the kernel has the driver), so the link
 * events are its own; the IRQ it steers is one of this machine's (IRQs
 * are not per namespace).  Every IRQ affinity is snapshotted in main() and
 * written back after the suite, also when a test fails (tu_irq_guard). */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "testutil.h"

#define DEV "rtvmw0"
#define PEER "rtvmw1"
#define NETNS_SELF "/proc/self/ns/net"

static ino_t netns_inode(void)
{
	struct stat st;

	ck_assert_int_eq(stat(NETNS_SELF, &st), 0);
	return st.st_ino;
}

/* Dispatch until a check happens (link events come in a burst). */
static int dispatch_check(struct rtvm_irq_watch *w,
			  struct rtvm_irq_report **rep)
{
	struct pollfd p = { .fd = rtvm_irq_watch_get_fd(w), .events = POLLIN };

	for (int i = 0; i < 50; i++) {
		int r;

		if (poll(&p, 1, 100) < 0)
			return -errno;
		r = rtvm_irq_watch_dispatch(w, rep);
		if (r < 0 || *rep)
			return r;
	}
	return -ETIMEDOUT;
}

START_TEST(test_live_watch_link)
{
	struct rtvm_ctx *ctx;
	struct rtvm_cpumask *zero;
	struct rtvm_irqs *irqs;
	const struct rtvm_irq *q, *pick = NULL;
	struct rtvm_changeset *cs;
	struct rtvm_irq_watch *w;
	struct rtvm_irq_report *rep = NULL;
	char sel[16], path[64], now[256];
	const char *select[] = { sel, NULL };
	struct rtvm_irq_steer req = { .size = sizeof(req),
				      .flags = RTVM_IRQ_STEER_NO_THREADS,
				      .select = select };
	ino_t host_ns = netns_inode();
	int r;

	ck_assert_int_eq(unshare(CLONE_NEWNET), 0);
	ck_assert_msg(netns_inode() != host_ns, "still in the host's netns");
	if (system("ip link add " DEV " type dummy 2>/dev/null") != 0)
		free(tu_run_cmd("ip link add " DEV " type veth peer name " PEER));

	ck_assert_int_eq(rtvm_new(&ctx), 0);
	ck_assert_int_eq(rtvm_cpumask_new(ctx, &zero), 0);
	rtvm_cpumask_set(zero, 0);
	req.cpus = zero;
	ck_assert_int_eq(rtvm_irqs_new(ctx, &irqs), 0);
	rtvm_irqs_foreach(q, irqs)
		if (!pick && rtvm_irq_is_movable(q) &&
		    !rtvm_cpumask_equal(rtvm_irq_get_affinity(q), zero))
			pick = q;
	ck_assert_msg(pick != NULL, "no movable IRQ off CPU 0 to steer");
	snprintf(sel, sizeof(sel), "%d", rtvm_irq_get_number(pick));
	snprintf(path, sizeof(path), "/proc/irq/%s/smp_affinity_list", sel);
	rtvm_irqs_unref(irqs);

	ck_assert_int_eq(rtvm_changeset_new(ctx, &cs), 0);
	ck_assert_int_eq(rtvm_irq_steer(ctx, &req, cs, &rep), 0);
	rep = rtvm_irq_report_free(rep);
	ck_assert_int_eq(tu_read_text(path, now, sizeof(now)), 0);
	ck_assert_str_eq(now, "0");
	ck_assert_int_eq(rtvm_irq_watch_new(ctx, &req, cs, 3600 * 1000, &w), 0);

	/* What a driver's reset does: the old affinity is back. */
	{
		int fd = open(path, O_WRONLY | O_CLOEXEC);

		ck_assert_int_ge(fd, 0);
		ck_assert_int_gt(write(fd, tu_irq_saved(path),
				       strlen(tu_irq_saved(path))), 0);
		close(fd);
	}
	/* The link goes down and up: the watch hears it and looks. */
	free(tu_run_cmd("ip link set " DEV " up"));
	r = dispatch_check(w, &rep);
	ck_assert_int_ge(r, 0);
	ck_assert_ptr_nonnull(rep);
	ck_assert_int_eq(tu_read_text(path, now, sizeof(now)), 0);
	ck_assert_str_eq(now, "0");
	ck_assert_int_eq(rtvm_irq_report_tally(rep, RTVM_IRQ_MOVED), 1);
	printf("watch: link up put IRQ %s back on CPU 0\n", sel);
	rep = rtvm_irq_report_free(rep);
	free(tu_run_cmd("ip link set " DEV " down"));
	r = dispatch_check(w, &rep);
	ck_assert_int_eq(r, 0); /* a check, nothing lost this time */
	ck_assert_ptr_nonnull(rep);
	rep = rtvm_irq_report_free(rep);

	rtvm_irq_watch_unref(w);
	ck_assert_int_eq(rtvm_changeset_get_count(cs), 1);
	ck_assert_int_eq(rtvm_changeset_restore(cs, 0), 0);
	tu_irq_expect_as_before();
	free(tu_run_cmd("ip link del " DEV));
	rtvm_changeset_unref(cs);
	rtvm_cpumask_free(zero);
	rtvm_unref(ctx);
}
END_TEST

/* Whether this process may make a network namespace: tried in a child. */
static bool can_unshare_net(void)
{
	pid_t pid = fork();
	int st;

	if (pid == 0)
		_exit(unshare(CLONE_NEWNET) == 0 ? 0 : 1);
	return pid > 0 && waitpid(pid, &st, 0) == pid && WIFEXITED(st) &&
	       WEXITSTATUS(st) == 0;
}

int main(void)
{
	Suite *s;
	TCase *tc;
	unsigned int left;
	int ret;

	if (geteuid() != 0) {
		printf("skip: steering IRQs needs root\n");
		return EXIT_SKIP;
	}
	if (sysconf(_SC_NPROCESSORS_ONLN) < 2) {
		printf("skip: one online CPU: nowhere to steer IRQs to\n");
		return EXIT_SKIP;
	}
	if (access(NETNS_SELF, R_OK) != 0 || !can_unshare_net()) {
		printf("skip: cannot make a network namespace for the test's "
		       "links\n");
		return EXIT_SKIP;
	}
	if (system("ip -V >/dev/null 2>&1") != 0) {
		printf("skip: ip(8) (iproute2) is not installed\n");
		return EXIT_SKIP;
	}
	if (tu_irq_guard() < 2) {
		printf("skip: no IRQ affinity files under /proc/irq\n");
		return EXIT_SKIP;
	}
	s = suite_create("live-irq-watch");
	tc = tcase_create("live-irq-watch");
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_live_watch_link);
	suite_add_tcase(s, tc);
	ret = tu_run(s);
	left = tu_irq_put_back();
	if (left) {
		printf("FAIL: %u IRQ setting(s) were left changed; written back\n",
		       left);
		ret = EXIT_FAILURE;
	}
	return ret;
}
