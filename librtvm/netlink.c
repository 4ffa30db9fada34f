/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Link events for keeping IRQ affinity in place: a driver that brings a
 * network device up or down, or registers a new one, may free and request
 * its interrupts again, and new IRQs come with the kernel's default
 * affinity.  The monitor is a NETLINK_ROUTE socket subscribed to
 * RTNLGRP_LINK; the caller polls its fd and drains it.
 *
 * In a sysroot there is no kernel to listen to: the monitor is one end of
 * a datagram socket pair, and rtvm_netlink_inject() writes the same
 * netlink messages into the other end, so that callers and tests drive
 * the very code that parses the kernel's.
 */
#include "config.h"

#include <linux/if.h>
#include <linux/rtnetlink.h>
#include <netlink/attr.h>
#include <netlink/msg.h>
#include <netlink/netlink.h>
#include <netlink/socket.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "librtvm-private.h"

/* Larger than any RTM_NEWLINK the kernel sends (it sizes them to fit a
 * page or two; devices with many VFs send more, and such a message is
 * reported as lost events rather than read in part). */
#define RECV_BUF (64u << 10)
/* The socket's receive buffer: a burst of link events (a driver reload
 * with many queues) should not overrun it. */
#define RCVBUF_SIZE (1u << 20)

struct rtvm_netlink {
	struct rtvm_ctx *ctx;
	struct nl_sock *sk;	/* the kernel's; NULL in a sysroot */
	int fd;			/* what the caller polls */
	int inject_fd;		/* a sysroot's writing end, else -1 */
	unsigned char *buf;
};

/* libnl's error codes are its own. */
static int nl_to_errno(int nlerr)
{
	switch (nlerr < 0 ? -nlerr : nlerr) {
	case NLE_NOMEM:
		return -ENOMEM;
	case NLE_PERM:
		return -EPERM;
	case NLE_NOACCESS:
		return -EACCES;
	case NLE_AGAIN:
		return -EAGAIN;
	case NLE_BAD_SOCK:
		return -EBADF;
	case NLE_PROTO_MISMATCH:
	case NLE_OPNOTSUPP:
	case NLE_AF_NOSUPPORT:
		return -EPROTONOSUPPORT;
	case NLE_INVAL:
		return -EINVAL;
	default:
		return -EIO;
	}
}

static int open_kernel(struct rtvm_netlink *nl)
{
	int r;

	nl->sk = nl_socket_alloc();
	if (!nl->sk)
		return -ENOMEM;
	/* Multicast notifications carry no sequence numbers to check. */
	nl_socket_disable_seq_check(nl->sk);
	r = nl_connect(nl->sk, NETLINK_ROUTE);
	if (r == 0)
		r = nl_socket_add_membership(nl->sk, RTNLGRP_LINK);
	if (r == 0)
		r = nl_socket_set_nonblocking(nl->sk);
	if (r < 0) {
		err(nl->ctx, "link monitor: cannot open a NETLINK_ROUTE "
			     "socket: %s",
		    nl_geterror(r));
		return nl_to_errno(r);
	}
	/* Best effort: without it, an overrun is reported as lost events. */
	if (nl_socket_set_buffer_size(nl->sk, RCVBUF_SIZE, 0) < 0)
		dbg(nl->ctx, "link monitor: keeping the default receive "
			     "buffer");
	nl->fd = nl_socket_get_fd(nl->sk);
	return 0;
}

static int open_fake(struct rtvm_netlink *nl)
{
	int sv[2];

	if (socketpair(AF_UNIX, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0,
		       sv) < 0)
		return -errno;
	nl->fd = sv[0];
	nl->inject_fd = sv[1];
	return 0;
}

int rtvm_netlink_open(struct rtvm_ctx *ctx, struct rtvm_netlink **ret)
{
	struct rtvm_netlink *nl;
	int r;

	if (!ctx || !ret)
		return -EINVAL;
	nl = calloc(1, sizeof(*nl));
	if (!nl)
		return -ENOMEM;
	nl->ctx = rtvm_ref(ctx);
	nl->fd = nl->inject_fd = -1;
	nl->buf = malloc(RECV_BUF);
	if (!nl->buf)
		r = -ENOMEM;
	else if (rtvm_fs_root_fd(ctx) >= 0)
		r = open_fake(nl);
	else
		r = open_kernel(nl);
	if (r < 0) {
		rtvm_netlink_close(nl);
		return r;
	}
	*ret = nl;
	return 0;
}

int rtvm_netlink_get_fd(const struct rtvm_netlink *nl)
{
	return nl ? nl->fd : -EINVAL;
}

bool rtvm_netlink_is_fake(const struct rtvm_netlink *nl)
{
	return nl && !nl->sk;
}

struct rtvm_netlink *rtvm_netlink_close(struct rtvm_netlink *nl)
{
	if (!nl)
		return NULL;
	if (nl->sk)
		nl_socket_free(nl->sk); /* closes nl->fd */
	else if (nl->fd >= 0)
		close(nl->fd);
	if (nl->inject_fd >= 0)
		close(nl->inject_fd);
	free(nl->buf);
	rtvm_unref(nl->ctx);
	free(nl);
	return NULL;
}

/* One link message as an event; false for what is not one (another
 * address family's view of the link, such as a bridge port's). */
static bool parse_link(struct nlmsghdr *h, struct rtvm_link_event *ev)
{
	struct ifinfomsg *ifi;
	struct nlattr *name;

	if (!nlmsg_valid_hdr(h, sizeof(*ifi)))
		return false;
	ifi = nlmsg_data(h);
	if (ifi->ifi_family != AF_UNSPEC)
		return false;
	*ev = (struct rtvm_link_event){
		.ifindex = ifi->ifi_index,
		.flags = ifi->ifi_flags,
		.change = ifi->ifi_change,
		.up = ifi->ifi_flags & IFF_UP,
		.lower_up = ifi->ifi_flags & IFF_LOWER_UP,
	};
	/* The kernel announces a newly registered device with every flag
	 * marked as changed. */
	if (h->nlmsg_type == RTM_DELLINK)
		ev->action = RTVM_LINK_DEL;
	else if (ifi->ifi_change == ~0u)
		ev->action = RTVM_LINK_NEW;
	else
		ev->action = RTVM_LINK_CHANGE;
	name = nlmsg_find_attr(h, sizeof(*ifi), IFLA_IFNAME);
	if (name)
		nla_strlcpy(ev->name, name, sizeof(ev->name));
	return true;
}

static const char *action_name(enum rtvm_link_action a)
{
	return a == RTVM_LINK_NEW ? "new" :
	       a == RTVM_LINK_DEL ? "del" : "change";
}

static int report_lost(struct rtvm_netlink *nl, rtvm_link_fn fn,
		       void *userdata, unsigned int *n)
{
	struct rtvm_link_event ev = { .action = RTVM_LINK_LOST };

	dbg(nl->ctx, "link monitor: events were lost");
	(*n)++;
	return fn(&ev, userdata);
}

int rtvm_netlink_drain(struct rtvm_netlink *nl, rtvm_link_fn fn,
		       void *userdata)
{
	unsigned int n = 0;
	int r;

	if (!nl || !fn)
		return -EINVAL;
	for (;;) {
		struct sockaddr_nl from = { 0 };
		struct iovec iov = { nl->buf, RECV_BUF };
		struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1 };
		struct nlmsghdr *h;
		ssize_t len;
		int left;

		if (nl->sk) {
			mh.msg_name = &from;
			mh.msg_namelen = sizeof(from);
		}
		len = recvmsg(nl->fd, &mh, MSG_DONTWAIT);
		if (len < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				break;
			if (errno == ENOBUFS) {
				/* The kernel dropped some: the caller must
				 * look at everything again. */
				r = report_lost(nl, fn, userdata, &n);
				if (r < 0)
					return r;
				continue;
			}
			r = -errno;
			err(nl->ctx, "link monitor: %s", strerror(-r));
			return r;
		}
		if (mh.msg_flags & MSG_TRUNC) {
			r = report_lost(nl, fn, userdata, &n);
			if (r < 0)
				return r;
			continue;
		}
		/* Only the kernel's word counts. */
		if (nl->sk &&
		    (mh.msg_namelen < sizeof(from) || from.nl_pid != 0))
			continue;
		left = (int)len;
		for (h = (struct nlmsghdr *)nl->buf; nlmsg_ok(h, left);
		     h = nlmsg_next(h, &left)) {
			struct rtvm_link_event ev;

			if (h->nlmsg_type == NLMSG_OVERRUN)
				r = report_lost(nl, fn, userdata, &n);
			else if ((h->nlmsg_type == RTM_NEWLINK ||
				  h->nlmsg_type == RTM_DELLINK) &&
				 parse_link(h, &ev)) {
				dbg(nl->ctx, "link monitor: %s %d (%s) %s",
				    action_name(ev.action), ev.ifindex,
				    ev.name, ev.up ? "up" : "down");
				n++;
				r = fn(&ev, userdata);
			} else
				r = 0;
			if (r < 0)
				return r;
		}
	}
	return (int)n;
}

int rtvm_netlink_inject(struct rtvm_netlink *nl,
			const struct rtvm_link_event *ev)
{
	struct ifinfomsg ifi = { .ifi_family = AF_UNSPEC };
	struct nl_msg *msg;
	struct nlmsghdr *h;
	ssize_t n;
	int r = 0, type;

	if (!nl || !ev)
		return -EINVAL;
	if (nl->inject_fd < 0)
		return -EOPNOTSUPP;
	switch (ev->action) {
	case RTVM_LINK_NEW:
	case RTVM_LINK_CHANGE:
		type = RTM_NEWLINK;
		break;
	case RTVM_LINK_DEL:
		type = RTM_DELLINK;
		break;
	case RTVM_LINK_LOST:
		type = NLMSG_OVERRUN;
		break;
	default:
		err(nl->ctx, "link monitor: unknown event action %d",
		    (int)ev->action);
		return -EINVAL;
	}
	msg = nlmsg_alloc_simple(type, 0);
	if (!msg)
		return -ENOMEM;
	if (type != NLMSG_OVERRUN) {
		ifi.ifi_index = ev->ifindex;
		ifi.ifi_flags = ev->flags | (ev->up ? IFF_UP : 0) |
				(ev->lower_up ? IFF_LOWER_UP : 0);
		ifi.ifi_change = ev->action == RTVM_LINK_NEW ? ~0u : ev->change;
		r = nlmsg_append(msg, &ifi, sizeof(ifi), NLMSG_ALIGNTO);
		if (r == 0 && ev->name[0])
			r = nla_put_string(msg, IFLA_IFNAME, ev->name);
	}
	if (r < 0) {
		nlmsg_free(msg);
		return nl_to_errno(r);
	}
	h = nlmsg_hdr(msg);
	n = send(nl->inject_fd, h, h->nlmsg_len, MSG_DONTWAIT);
	r = n < 0 ? -errno : (n == (ssize_t)h->nlmsg_len ? 0 : -EIO);
	nlmsg_free(msg);
	return r;
}
