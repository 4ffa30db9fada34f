/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The guest's end of a boost channel: a virtio-serial port (or, for tests
 * and VMMs, a Unix socket).  Requests are posted; the guest reads the
 * answers when it wants them.  This file uses libc and boost-msg.c only,
 * so that a static guest tool can be built from the two.
 */
#include "config.h"

#include <fcntl.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "librtvm-private.h"

struct rtvm_boost_guest {
	int fd;
	bool socket;
	uint32_t seq;
	uint8_t version;
	size_t in_len;
	uint8_t in[RTVM_BOOST_MSG_SIZE];
	struct rtvm_boost_msg limits;
};

static int64_t ms_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int open_channel(const char *path, bool *ret_socket)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct stat st;
	int fd;

	if (stat(path, &st) < 0)
		return -errno;
	*ret_socket = S_ISSOCK(st.st_mode);
	if (!*ret_socket) {
		fd = open(path, O_RDWR | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);
		return fd < 0 ? -errno : fd;
	}
	if (strlen(path) >= sizeof(sa.sun_path))
		return -ENAMETOOLONG;
	strcpy(sa.sun_path, path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 ||
	    fcntl(fd, F_SETFL, O_NONBLOCK) < 0) {
		int r = -errno;

		close(fd);
		return r;
	}
	return fd;
}

/* Write one message whole; -EAGAIN when not even a byte fits. */
static int put(struct rtvm_boost_guest *g, const struct rtvm_boost_msg *m)
{
	uint8_t buf[RTVM_BOOST_MSG_SIZE];
	size_t off = 0;
	int r = rtvm_boost_msg_encode(m, buf);

	if (r < 0)
		return r;
	while (off < sizeof(buf)) {
		ssize_t n = g->socket ? send(g->fd, buf + off, sizeof(buf) - off,
					     MSG_NOSIGNAL)
				      : write(g->fd, buf + off, sizeof(buf) - off);

		if (n > 0) {
			off += (size_t)n;
			continue;
		}
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN && off == 0)
			return -EAGAIN;
		if (n < 0 && errno == EAGAIN) {
			/* A message is never left half written: the stream
			 * would lose its framing. */
			struct pollfd p = { .fd = g->fd, .events = POLLOUT };

			poll(&p, 1, 100);
			continue;
		}
		return n == 0 || errno == EPIPE ? -EPIPE : -errno;
	}
	return 0;
}

RTVM_EXPORT int rtvm_boost_guest_recv(struct rtvm_boost_guest *g,
				      struct rtvm_boost_msg *ret,
				      int timeout_ms)
{
	int64_t end = ms_now() + (timeout_ms > 0 ? timeout_ms : 0);

	if (!g || !ret)
		return -EINVAL;
	for (;;) {
		struct pollfd p = { .fd = g->fd, .events = POLLIN };
		ssize_t n = read(g->fd, g->in + g->in_len,
				 sizeof(g->in) - g->in_len);
		int wait;

		if (n > 0) {
			g->in_len += (size_t)n;
			if (g->in_len < sizeof(g->in))
				continue;
			g->in_len = 0;
			return rtvm_boost_msg_decode(g->in, ret) < 0 ? -EPROTO
								     : 0;
		}
		if (n == 0)
			return -EPIPE;
		if (errno == EINTR)
			continue;
		if (errno != EAGAIN)
			return -errno;
		wait = timeout_ms < 0 ? -1 : (int)(end - ms_now());
		if (timeout_ms >= 0 && wait <= 0)
			return -EAGAIN;
		/* A virtio port without its host end reads as a hangup:
		 * wait for it like for data. */
		if (poll(&p, 1, wait) < 0 && errno != EINTR)
			return -errno;
		if ((p.revents & POLLHUP) && !g->socket) {
			struct timespec ts = { 0, 10000000 };

			nanosleep(&ts, NULL);
		}
	}
}

RTVM_EXPORT int rtvm_boost_guest_send(struct rtvm_boost_guest *g,
				      struct rtvm_boost_msg *req)
{
	if (!g || !req || req->type < RTVM_BOOST_BOOST ||
	    req->type > RTVM_BOOST_QUERY)
		return -EINVAL;
	if (req->type == RTVM_BOOST_BOOST && req->start_us && g->version < 2)
		return -EOPNOTSUPP;
	req->version = g->version;
	req->seq = ++g->seq;
	return put(g, req);
}

RTVM_EXPORT int rtvm_boost_guest_call(struct rtvm_boost_guest *g,
				      struct rtvm_boost_msg *req,
				      struct rtvm_boost_msg *ret,
				      int timeout_ms)
{
	int64_t end = ms_now() + (timeout_ms > 0 ? timeout_ms : 0);
	int r;

	if (!ret)
		return -EINVAL;
	r = rtvm_boost_guest_send(g, req);
	while (r == 0) {
		int left = timeout_ms < 0 ? -1 : (int)(end - ms_now());

		r = rtvm_boost_guest_recv(g, ret, left < 0 && timeout_ms >= 0
							  ? 0 : left);
		if (r == 0 && ret->seq == req->seq &&
		    ret->type == (req->type | RTVM_BOOST_ACK))
			return 0;
	}
	/* sent, but no answer in time: not the full channel's -EAGAIN */
	return r == -EAGAIN && req->seq == g->seq ? -ETIMEDOUT : r;
}

/* A virtio port polls POLLHUP while its host end is not connected, and
 * what is written then is lost: wait for the host (until @end). */
static int wait_host(int fd, int64_t end)
{
	for (;;) {
		struct pollfd p = { .fd = fd, .events = POLLOUT };
		struct timespec ts = { 0, 20000000 };

		if (poll(&p, 1, 100) > 0 && !(p.revents & POLLHUP) &&
		    (p.revents & POLLOUT))
			return 0;
		if (ms_now() >= end)
			return -ETIMEDOUT;
		if (p.revents & POLLHUP) /* at once: do not spin the vCPU */
			nanosleep(&ts, NULL);
	}
}

RTVM_EXPORT int rtvm_boost_guest_open(const char *path, int timeout_ms,
				      struct rtvm_boost_guest **ret)
{
	struct rtvm_boost_msg hello = { .version = RTVM_BOOST_VERSION,
					.type = RTVM_BOOST_HELLO, .seq = 1 };
	struct rtvm_boost_guest *g;
	int64_t end;
	int r;

	if (!ret || timeout_ms < 1)
		return -EINVAL;
	g = calloc(1, sizeof(*g));
	if (!g)
		return -ENOMEM;
	g->fd = open_channel(path ? path : RTVM_BOOST_GUEST_PORT, &g->socket);
	if (g->fd < 0) {
		r = g->fd;
		free(g);
		return r;
	}
	g->seq = 1;
	/* The guest's vCPU count, as it sees it: the host compares. */
	hello.vcpu = (uint16_t)sysconf(_SC_NPROCESSORS_CONF);
	end = ms_now() + timeout_ms;
	r = g->socket ? 0 : wait_host(g->fd, end);
	while (r == 0 && (r = put(g, &hello)) == -EAGAIN && ms_now() < end) {
		struct timespec ts = { 0, 10000000 };

		nanosleep(&ts, NULL);
	}
	while (r == 0) {
		int left = (int)(end - ms_now());

		r = rtvm_boost_guest_recv(g, &g->limits, left > 0 ? left : 0);
		if (r == 0 && g->limits.type == (RTVM_BOOST_HELLO | RTVM_BOOST_ACK))
			break;
	}
	if (r == -EAGAIN)
		r = -ETIMEDOUT;
	if (r == 0 && (g->limits.status != RTVM_BOOST_OK ||
		       !g->limits.version ||
		       g->limits.version > RTVM_BOOST_VERSION))
		r = -EPROTO;
	if (r < 0) {
		rtvm_boost_guest_close(g);
		return r;
	}
	g->version = g->limits.version;
	*ret = g;
	return 0;
}

RTVM_EXPORT struct rtvm_boost_guest *
rtvm_boost_guest_close(struct rtvm_boost_guest *g)
{
	if (g) {
		close(g->fd);
		free(g);
	}
	return NULL;
}

RTVM_EXPORT const struct rtvm_boost_msg *
rtvm_boost_guest_get_limits(const struct rtvm_boost_guest *g)
{
	return g ? &g->limits : NULL;
}

RTVM_EXPORT int rtvm_boost_guest_get_fd(const struct rtvm_boost_guest *g)
{
	return g ? g->fd : -EINVAL;
}
