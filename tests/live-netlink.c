/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Live tier: the link-event monitor (librtvm/netlink.c) on the real
 * kernel.  Everything happens in a network namespace the test makes for
 * itself: a device is added there, set up and down and removed, and the
 * monitor opened there must report each step.  The host's own network
 * namespace and its devices are never touched. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <poll.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "librtvm-private.h"
#include "testutil.h"

#define NETNS_SELF "/proc/self/ns/net"
#define DEV "rtvmt0"
#define PEER "rtvmt1"

struct log {
	struct rtvm_link_event ev[256];
	unsigned int n;
};

static int collect(const struct rtvm_link_event *ev, void *userdata)
{
	struct log *l = userdata;

	if (l->n < ARRAY_SIZE(l->ev))
		l->ev[l->n++] = *ev;
	return 0;
}

static long long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000LL + ts.tv_nsec / 1000000;
}

/* Poll and drain until an event of @action on DEV with IFF_UP == @up
 * (-1: either) arrives after index *@from, for up to five seconds.
 * Returns its index. */
static unsigned int wait_for(struct rtvm_netlink *nl, struct log *l,
			     unsigned int *from, enum rtvm_link_action action,
			     int up)
{
	long long end = now_ms() + 5000;

	for (;;) {
		struct pollfd p = { .fd = rtvm_netlink_get_fd(nl),
				    .events = POLLIN };

		for (unsigned int i = *from; i < l->n; i++) {
			const struct rtvm_link_event *e = &l->ev[i];

			ck_assert_int_ne(e->action, RTVM_LINK_LOST);
			if (e->action == action && strcmp(e->name, DEV) == 0 &&
			    (up < 0 || e->up == (bool)up)) {
				*from = i + 1;
				return i;
			}
		}
		*from = l->n;
		ck_assert_msg(now_ms() < end, "no %s event for " DEV " (up %d) "
			      "within 5 s (%u events seen)",
			      action == RTVM_LINK_NEW ? "new" :
			      action == RTVM_LINK_DEL ? "del" : "change",
			      up, l->n);
		ck_assert_int_ge(poll(&p, 1, 200), 0);
		ck_assert_int_ge(rtvm_netlink_drain(nl, collect, l), 0);
	}
}

static ino_t netns_inode(void)
{
	struct stat st;

	ck_assert_int_eq(stat(NETNS_SELF, &st), 0);
	return st.st_ino;
}

START_TEST(test_link_events)
{
	static struct log l;
	struct rtvm_ctx *ctx;
	struct rtvm_netlink *nl = NULL;
	unsigned int from = 0, i;
	ino_t host_ns = netns_inode();
	int host_fd, ifindex;
	bool veth = false;

	/* Into a network namespace of our own, and make sure of it before
	 * any device is touched. */
	host_fd = open(NETNS_SELF, O_RDONLY | O_CLOEXEC);
	ck_assert_int_ge(host_fd, 0);
	ck_assert_int_eq(unshare(CLONE_NEWNET), 0);
	ck_assert_msg(netns_inode() != host_ns, "still in the host's netns");

	ck_assert_int_eq(rtvm_new(&ctx), 0);
	ck_assert_int_eq(rtvm_netlink_open(ctx, &nl), 0);
	ck_assert(!rtvm_netlink_is_fake(nl));

	/* A dummy device where the kernel has them, else a veth pair. */
	if (system("ip link add " DEV " type dummy 2>/dev/null") != 0) {
		free(tu_run_cmd("ip link add " DEV " type veth peer name " PEER));
		veth = true;
	}
	ifindex = (int)if_nametoindex(DEV);
	ck_assert_int_gt(ifindex, 0);
	i = wait_for(nl, &l, &from, RTVM_LINK_NEW, 0);
	ck_assert_int_eq(l.ev[i].ifindex, ifindex);

	free(tu_run_cmd("ip link set " DEV " up"));
	i = wait_for(nl, &l, &from, RTVM_LINK_CHANGE, 1);
	ck_assert_int_eq(l.ev[i].ifindex, ifindex);
	ck_assert(l.ev[i].flags & IFF_UP);

	free(tu_run_cmd("ip link set " DEV " down"));
	i = wait_for(nl, &l, &from, RTVM_LINK_CHANGE, 0);
	ck_assert_int_eq(l.ev[i].ifindex, ifindex);
	ck_assert(!(l.ev[i].flags & IFF_UP));

	free(tu_run_cmd("ip link set " DEV " up"));
	wait_for(nl, &l, &from, RTVM_LINK_CHANGE, 1);

	free(tu_run_cmd("ip link del " DEV));
	i = wait_for(nl, &l, &from, RTVM_LINK_DEL, -1);
	ck_assert_int_eq(l.ev[i].ifindex, ifindex);
	(void)veth; /* the peer goes with it */

	/* Nothing but our namespace's devices was reported. */
	for (i = 0; i < l.n; i++)
		ck_assert_msg(strcmp(l.ev[i].name, DEV) == 0 ||
			      strcmp(l.ev[i].name, PEER) == 0 ||
			      strcmp(l.ev[i].name, "lo") == 0,
			      "event for %s, outside the test's namespace",
			      l.ev[i].name);
	rtvm_netlink_close(nl);
	rtvm_unref(ctx);
	/* Back home; the namespace goes with its last user. */
	ck_assert_int_eq(setns(host_fd, CLONE_NEWNET), 0);
	close(host_fd);
	ck_assert(netns_inode() == host_ns);
}
END_TEST

/* Whether this process may make a network namespace: tried in a child. */
static bool can_unshare_net(void)
{
	int status;
	pid_t pid = fork();

	if (pid == 0)
		_exit(unshare(CLONE_NEWNET) == 0 ? 0 : 1);
	if (pid < 0 || waitpid(pid, &status, 0) != pid)
		return false;
	return WIFEXITED(status) && WEXITSTATUS(status) == 0;
}

int main(void)
{
	Suite *s;
	TCase *tc;

	if (geteuid() != 0) {
		printf("skip: making a network namespace and devices needs "
		       "root\n");
		return EXIT_SKIP;
	}
	if (access(NETNS_SELF, R_OK) != 0 || !can_unshare_net()) {
		printf("skip: no network namespaces here\n");
		return EXIT_SKIP;
	}
	if (system("command -v ip >/dev/null 2>&1") != 0) {
		printf("skip: no ip(8) (iproute2) to make a test device\n");
		return EXIT_SKIP;
	}
	s = suite_create("live-netlink");
	tc = tcase_create("live-netlink");
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_link_events);
	suite_add_tcase(s, tc);
	return tu_run(s);
}
