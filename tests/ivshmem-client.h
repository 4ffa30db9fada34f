/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * QEMU's side of the ivshmem server protocol, for tests and benchmarks:
 * connect to a server, take the region and the eventfds it hands out, as
 * an ivshmem-doorbell device does.  Header-only so that bench/ can use it.
 */
#ifndef RTVM_TESTS_IVSHMEM_CLIENT_H
#define RTVM_TESTS_IVSHMEM_CLIENT_H

#include <endian.h>
#include <errno.h>
#include <stdint.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>
#include <unistd.h>

struct ivc {
	int sock;
	int64_t id;	   /* the peer ID the server gave us */
	int shm;	   /* the region */
	int ring;	   /* peer 0's eventfd of vector 0: rings the broker */
	unsigned int peer0_fds, own_fds;
};

static inline int ivc_connect(const char *path, struct ivc *c)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct timeval tv = { .tv_sec = 5 };

	*c = (struct ivc){ .sock = -1, .id = -1, .shm = -1, .ring = -1 };
	if (strlen(path) >= sizeof(sa.sun_path))
		return -EINVAL;
	strcpy(sa.sun_path, path);
	c->sock = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (c->sock < 0)
		return -errno;
	setsockopt(c->sock, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	if (connect(c->sock, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		int e = errno;

		close(c->sock);
		c->sock = -1;
		return -e;
	}
	return 0;
}

/* One message: the int64, and the descriptor beside it or -1. */
static inline int ivc_recv(struct ivc *c, int64_t *ret, int *ret_fd)
{
	uint64_t le;
	union {
		struct cmsghdr h;
		char buf[CMSG_SPACE(sizeof(int))];
	} ctl;
	struct iovec iov = { .iov_base = &le, .iov_len = sizeof(le) };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1,
			     .msg_control = ctl.buf,
			     .msg_controllen = sizeof(ctl.buf) };
	struct cmsghdr *cm;
	ssize_t n = recvmsg(c->sock, &mh, MSG_CMSG_CLOEXEC);

	if (n < 0)
		return -errno;
	if (n != sizeof(le))
		return -EPROTO;
	*ret = (int64_t)le64toh(le);
	*ret_fd = -1;
	cm = CMSG_FIRSTHDR(&mh);
	if (cm && cm->cmsg_level == SOL_SOCKET && cm->cmsg_type == SCM_RIGHTS)
		memcpy(ret_fd, CMSG_DATA(cm), sizeof(int));
	return 0;
}

/* What QEMU reads before it runs: version 0, its ID, the region (ID -1),
 * then eventfds per peer until its own come; @vectors of each. */
static inline int ivc_setup(struct ivc *c, unsigned int vectors)
{
	int64_t v = 0;
	int fd = -1, r;

	if ((r = ivc_recv(c, &v, &fd)) < 0)
		return r;
	if (v != 0 || fd >= 0)
		return -EPROTO;
	if ((r = ivc_recv(c, &c->id, &fd)) < 0)
		return r;
	if (c->id < 0 || fd >= 0)
		return -EPROTO;
	if ((r = ivc_recv(c, &v, &c->shm)) < 0)
		return r;
	if (v != -1 || c->shm < 0)
		return -EPROTO;
	while (c->own_fds < vectors) {
		if ((r = ivc_recv(c, &v, &fd)) < 0)
			return r;
		if (fd < 0)
			return -EPROTO;
		if (v == 0 && c->peer0_fds++ == 0)
			c->ring = fd;
		else
			close(fd);
		if (v == c->id)
			c->own_fds++;
	}
	return c->ring >= 0 && c->peer0_fds == vectors ? 0 : -EPROTO;
}

static inline void ivc_close(struct ivc *c)
{
	if (c->sock >= 0)
		close(c->sock);
	if (c->shm >= 0)
		close(c->shm);
	if (c->ring >= 0)
		close(c->ring);
	c->sock = c->shm = c->ring = -1;
}

#endif
