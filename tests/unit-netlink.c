/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Unit tier: the link-event monitor (librtvm/netlink.c).  In a sysroot it
 * is a socket pair fed with kernel-format messages; on the host it only
 * listens, changing nothing. */
#include "config.h"

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "librtvm-private.h"
#include "testutil.h"

struct seen {
	struct rtvm_link_event ev[16];
	unsigned int n;
	int stop_at; /* return -ECANCELED for this event, 0-based */
};

static int collect(const struct rtvm_link_event *ev, void *userdata)
{
	struct seen *s = userdata;

	if ((int)s->n == s->stop_at) {
		s->stop_at = -1;
		return -ECANCELED;
	}
	ck_assert_uint_lt(s->n, 16);
	s->ev[s->n++] = *ev;
	return 0;
}

static void inject(struct rtvm_netlink *nl, enum rtvm_link_action action,
		   int ifindex, const char *name, bool up)
{
	struct rtvm_link_event ev = { .action = action, .ifindex = ifindex,
				      .up = up, .lower_up = up,
				      .change = 1 /* IFF_UP */ };

	snprintf(ev.name, sizeof(ev.name), "%s", name);
	ck_assert_int_eq(rtvm_netlink_inject(nl, &ev), 0);
}

START_TEST(test_fake_events)
{
	struct rtvm_ctx *ctx = tu_ctx("untuned");
	struct rtvm_netlink *nl = NULL;
	struct seen s = { .stop_at = -1 };
	struct rtvm_link_event bad = { .action = 99 };
	struct pollfd p;

	ck_assert_int_eq(rtvm_netlink_open(ctx, &nl), 0);
	ck_assert(rtvm_netlink_is_fake(nl));
	p = (struct pollfd){ .fd = rtvm_netlink_get_fd(nl), .events = POLLIN };
	ck_assert_int_ge(p.fd, 0);
	ck_assert_int_eq(poll(&p, 1, 0), 0);
	ck_assert_int_eq(rtvm_netlink_drain(nl, collect, &s), 0);

	inject(nl, RTVM_LINK_NEW, 7, "eth7", false);
	inject(nl, RTVM_LINK_CHANGE, 7, "eth7", true);
	inject(nl, RTVM_LINK_CHANGE, 7, "eth7", false);
	inject(nl, RTVM_LINK_DEL, 7, "eth7", false);
	inject(nl, RTVM_LINK_LOST, 0, "", false);
	ck_assert_int_eq(poll(&p, 1, 0), 1);
	ck_assert_int_eq(rtvm_netlink_drain(nl, collect, &s), 5);
	ck_assert_uint_eq(s.n, 5);
	ck_assert_int_eq(s.ev[0].action, RTVM_LINK_NEW);
	ck_assert_uint_eq(s.ev[0].change, ~0u);
	ck_assert_int_eq(s.ev[1].action, RTVM_LINK_CHANGE);
	ck_assert(s.ev[1].up && s.ev[1].lower_up);
	ck_assert_uint_eq(s.ev[1].change, 1);
	ck_assert_int_eq(s.ev[2].action, RTVM_LINK_CHANGE);
	ck_assert(!s.ev[2].up);
	ck_assert_int_eq(s.ev[3].action, RTVM_LINK_DEL);
	for (int i = 0; i < 4; i++) {
		ck_assert_int_eq(s.ev[i].ifindex, 7);
		ck_assert_str_eq(s.ev[i].name, "eth7");
	}
	ck_assert_int_eq(s.ev[4].action, RTVM_LINK_LOST);
	ck_assert_int_eq(s.ev[4].ifindex, 0);
	ck_assert_int_eq(poll(&p, 1, 0), 0);

	/* A callback's error stops the drain; the rest waits. */
	s = (struct seen){ .stop_at = 1 };
	inject(nl, RTVM_LINK_CHANGE, 2, "a", true);
	inject(nl, RTVM_LINK_CHANGE, 3, "b", true);
	inject(nl, RTVM_LINK_CHANGE, 4, "c", true);
	ck_assert_int_eq(rtvm_netlink_drain(nl, collect, &s), -ECANCELED);
	ck_assert_uint_eq(s.n, 1);
	ck_assert_int_eq(rtvm_netlink_drain(nl, collect, &s), 1);
	ck_assert_uint_eq(s.n, 2);
	ck_assert_int_eq(s.ev[1].ifindex, 4);

	ck_assert_int_eq(rtvm_netlink_inject(nl, &bad), -EINVAL);
	ck_assert_int_eq(rtvm_netlink_inject(nl, NULL), -EINVAL);
	ck_assert_int_eq(rtvm_netlink_drain(nl, NULL, NULL), -EINVAL);
	ck_assert_int_eq(rtvm_netlink_drain(NULL, collect, &s), -EINVAL);
	ck_assert_int_eq(rtvm_netlink_get_fd(NULL), -EINVAL);
	ck_assert_int_eq(rtvm_netlink_open(NULL, &nl), -EINVAL);
	ck_assert_ptr_null(rtvm_netlink_close(nl));
	ck_assert_ptr_null(rtvm_netlink_close(NULL));
	rtvm_unref(ctx);
}
END_TEST

/* On the host: a real socket that only listens; nothing can be injected. */
START_TEST(test_kernel_socket)
{
	struct rtvm_ctx *ctx;
	struct rtvm_netlink *nl = NULL;
	struct seen s = { .stop_at = -1 };
	struct rtvm_link_event ev = { .action = RTVM_LINK_NEW };

	ck_assert_int_eq(rtvm_new(&ctx), 0);
	ck_assert_int_eq(rtvm_netlink_open(ctx, &nl), 0);
	ck_assert(!rtvm_netlink_is_fake(nl));
	ck_assert_int_ge(rtvm_netlink_get_fd(nl), 0);
	ck_assert_int_eq(rtvm_netlink_inject(nl, &ev), -EOPNOTSUPP);
	ck_assert_int_ge(rtvm_netlink_drain(nl, collect, &s), 0);
	rtvm_netlink_close(nl);
	rtvm_unref(ctx);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("netlink");
	TCase *tc = tcase_create("netlink");

	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_fake_events);
	tcase_add_test(tc, test_kernel_socket);
	suite_add_tcase(s, tc);
	return tu_run(s);
}
