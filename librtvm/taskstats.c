/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Delay accounting through the kernel's taskstats family of generic
 * netlink: one TASKSTATS_CMD_GET request per thread, answered by one
 * TASKSTATS_CMD_NEW message holding the thread's struct taskstats (nested
 * in TASKSTATS_TYPE_AGGR_PID).  libnl-genl resolves the family and sends
 * the request; the answer is parsed here, from its bytes, by the same code
 * for the kernel's replies and for the ones a sysroot holds.
 */
#include "config.h"

#include <linux/genetlink.h>
#include <linux/netlink.h>
#include <linux/taskstats.h>
#include <netlink/genl/ctrl.h>
#include <netlink/genl/genl.h>
#include <netlink/msg.h>
#include <netlink/netlink.h>
#include <netlink/socket.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "librtvm-private.h"

/* The reply is a struct taskstats of the kernel's version: 328 bytes in
 * version 13, a little more in each later one. */
#define REPLY_MAX 4096

/* Version 14 (Linux 6.9) appended the IRQ delay after the version 13
 * fields; the headers a build has may be older. */
#if TASKSTATS_VERSION >= 14
#define IRQ_OFFSET offsetof(struct taskstats, irq_count)
#else
#define IRQ_OFFSET sizeof(struct taskstats)
#endif

struct rtvm_taskstats {
	struct rtvm_ctx *ctx;
	struct nl_sock *sk; /* NULL in a sysroot */
	int family;
	unsigned char *buf;
};

int rtvm_taskstats_open(struct rtvm_ctx *ctx, struct rtvm_taskstats **ret)
{
	struct rtvm_taskstats *ts;
	int r;

	ts = calloc(1, sizeof(*ts));
	if (!ts)
		return -ENOMEM;
	ts->ctx = ctx;
	ts->buf = malloc(REPLY_MAX);
	if (!ts->buf) {
		free(ts);
		return -ENOMEM;
	}
	if (rtvm_fs_root_fd(ctx) >= 0) {
		*ret = ts;
		return 0;
	}
	ts->sk = nl_socket_alloc();
	if (!ts->sk) {
		r = -ENOMEM;
		goto fail;
	}
	/* One answer per request: no acknowledgement after it. */
	nl_socket_disable_auto_ack(ts->sk);
	r = genl_connect(ts->sk);
	if (r < 0) {
		err(ctx, "generic netlink: %s", nl_geterror(r));
		r = -EPROTONOSUPPORT;
		goto fail;
	}
	ts->family = genl_ctrl_resolve(ts->sk, TASKSTATS_GENL_NAME);
	if (ts->family < 0) {
		err(ctx, "the kernel has no %s family of generic netlink "
		    "(CONFIG_TASKSTATS): %s", TASKSTATS_GENL_NAME,
		    nl_geterror(ts->family));
		r = -EPROTONOSUPPORT;
		goto fail;
	}
	*ret = ts;
	return 0;
fail:
	rtvm_taskstats_close(ts);
	return r;
}

struct rtvm_taskstats *rtvm_taskstats_close(struct rtvm_taskstats *ts)
{
	if (!ts)
		return NULL;
	if (ts->sk)
		nl_socket_free(ts->sk);
	free(ts->buf);
	free(ts);
	return NULL;
}

/* The attribute of @type among the @len bytes at @p, or NULL. */
static const struct nlattr *find_attr(const void *p, size_t len, int type)
{
	const struct nlattr *a = p;
	int rem = (int)len;

	for (; nla_ok(a, rem); a = nla_next(a, &rem))
		if (nla_type(a) == type)
			return a;
	return NULL;
}

static uint64_t get_u64(const unsigned char *p, size_t off)
{
	uint64_t v;

	memcpy(&v, p + off, sizeof(v));
	return v;
}

int rtvm_taskstats_parse(struct rtvm_ctx *ctx, const void *buf, size_t len,
			 int family, pid_t tid, struct rtvm_delays *ret)
{
	static const size_t off[RTVM_MONITOR_DELAY_NR] = {
		offsetof(struct taskstats, cpu_count),
		offsetof(struct taskstats, blkio_count),
		offsetof(struct taskstats, swapin_count),
		offsetof(struct taskstats, freepages_count),
		offsetof(struct taskstats, thrashing_count),
		offsetof(struct taskstats, compact_count),
		offsetof(struct taskstats, wpcopy_count),
		IRQ_OFFSET,
	};
	const struct nlmsghdr *nh = buf;
	const struct nlattr *aggr, *a;
	const unsigned char *st;
	struct rtvm_delays d = {0};
	uint16_t version;
	size_t stlen;

	if (len < NLMSG_HDRLEN || nh->nlmsg_len < NLMSG_HDRLEN ||
	    nh->nlmsg_len > len)
		goto bad;
	if (nh->nlmsg_type == NLMSG_ERROR) {
		const struct nlmsgerr *e = NLMSG_DATA(nh);

		if (nh->nlmsg_len < NLMSG_LENGTH(sizeof(*e)) || e->error >= 0)
			goto bad;
		return e->error; /* -ESRCH: the thread is gone */
	}
	if ((family >= 0 && nh->nlmsg_type != family) ||
	    nh->nlmsg_type < NLMSG_MIN_TYPE ||
	    nh->nlmsg_len < NLMSG_LENGTH(GENL_HDRLEN))
		goto bad;
	if (((const struct genlmsghdr *)NLMSG_DATA(nh))->cmd !=
	    TASKSTATS_CMD_NEW)
		goto bad;
	aggr = find_attr((const char *)NLMSG_DATA(nh) + GENL_HDRLEN,
			 nh->nlmsg_len - NLMSG_LENGTH(GENL_HDRLEN),
			 TASKSTATS_TYPE_AGGR_PID);
	if (!aggr)
		goto bad;
	a = find_attr(nla_data(aggr), (size_t)nla_len(aggr), TASKSTATS_TYPE_PID);
	if (!a || nla_len(a) != sizeof(uint32_t) ||
	    nla_get_u32((struct nlattr *)a) != (uint32_t)tid)
		goto bad;
	a = find_attr(nla_data(aggr), (size_t)nla_len(aggr),
		      TASKSTATS_TYPE_STATS);
	/* Version 1's struct ends after cpu_run_virtual_total. */
	if (!a || nla_len(a) < (int)offsetof(struct taskstats, ac_comm))
		goto bad;
	st = nla_data(a);
	stlen = (size_t)nla_len(a);
	memcpy(&version, st, sizeof(version));
	d.version = version;
	for (int k = 0; k < RTVM_MONITOR_DELAY_NR; k++) {
		/* A field the kernel's version does not have is 0. */
		if (k == RTVM_MONITOR_DELAY_IRQ && version < 14)
			continue;
		if (off[k] + 2 * sizeof(uint64_t) > stlen)
			continue;
		d.count[k] = get_u64(st, off[k]);
		d.ns[k] = get_u64(st, off[k] + sizeof(uint64_t));
	}
	*ret = d;
	return 0;
bad:
	err(ctx, "taskstats reply for thread %d is not one the kernel sends "
	    "(%zu bytes)", (int)tid, len);
	return -EBADMSG;
}

int rtvm_taskstats_query(struct rtvm_taskstats *ts, struct rtvm_tid t,
			 struct rtvm_delays *ret)
{
	struct sockaddr_nl peer;
	unsigned char *reply = NULL;
	struct nl_msg *msg;
	int n, r;

	if (!ts->sk) {
		/* A sysroot: the reply as the kernel would send it. */
		int fd = rtvm_fs_open_file(ts->ctx, RTVM_FS_PROC,
					   "%d/task/%d/taskstats.nl",
					   (int)t.pid, (int)t.tid);
		ssize_t len;

		if (fd < 0)
			return fd == -ENOENT ? -ESRCH : fd;
		len = read(fd, ts->buf, REPLY_MAX);
		r = len < 0 ? -errno : 0;
		close(fd);
		if (r < 0)
			return r;
		return rtvm_taskstats_parse(ts->ctx, ts->buf, (size_t)len, -1,
					    t.tid, ret);
	}
	msg = nlmsg_alloc();
	if (!msg)
		return -ENOMEM;
	if (!genlmsg_put(msg, NL_AUTO_PORT, NL_AUTO_SEQ, ts->family, 0, 0,
			 TASKSTATS_CMD_GET, TASKSTATS_VERSION) ||
	    nla_put_u32(msg, TASKSTATS_CMD_ATTR_PID, (uint32_t)t.tid) < 0) {
		nlmsg_free(msg);
		return -ENOMEM;
	}
	n = nl_send_auto(ts->sk, msg);
	nlmsg_free(msg);
	if (n < 0)
		return n == -NLE_PERM ? -EPERM : -EIO;
	n = nl_recv(ts->sk, &peer, &reply, NULL);
	if (n <= 0) {
		free(reply);
		return n == -NLE_PERM ? -EPERM : -EIO;
	}
	r = rtvm_taskstats_parse(ts->ctx, reply, (size_t)n, ts->family,
				 t.tid, ret);
	free(reply);
	return r;
}
