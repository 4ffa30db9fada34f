/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The guest's end of a boost doorbell (rtvm-boost(7) DOORBELL): the shared
 * region with a line per vCPU, and a way to ring: the ivshmem device's
 * Doorbell register, or an eventfd.  Posting never waits for the host;
 * the guest reads a line's ACK when it wants it.  Like boost-guest.c,
 * this uses libc and boost-msg.c only.
 */
#include "config.h"

#include <dirent.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "librtvm-private.h"

#define REG_DOORBELL 12	 /* ivshmem BAR0: (peer << 16) | vector */
#define BROKER_PEER 0	 /* the broker's peer ID as ivshmem server */
#define ACK_HALF 32

struct rtvm_boost_bell {
	uint8_t *mem;
	size_t size;
	volatile uint32_t *regs; /* mapped BAR0, or NULL: ring_fd */
	size_t regs_size;
	int ring_fd;
	unsigned int lines, vectors;
	uint32_t *seq;		 /* per line: the last request's */
};

static int bell_new(uint8_t *mem, size_t size, struct rtvm_boost_bell **ret)
{
	struct rtvm_boost_bell *g;
	unsigned int lines, vectors;
	int r = rtvm_bell_header_read(mem, size, &lines, &vectors);

	if (r < 0)
		return r;
	g = calloc(1, sizeof(*g));
	if (!g || !(g->seq = calloc(lines, sizeof(*g->seq)))) {
		free(g);
		return -ENOMEM;
	}
	g->mem = mem;
	g->size = size;
	g->ring_fd = -1;
	g->lines = lines;
	g->vectors = vectors;
	/* Go on from the line's last request (an earlier user's): a new seq
	 * must differ from the one the host answered last. */
	for (unsigned int i = 0; i < lines; i++)
		g->seq[i] = rtvm_bell_load_seq(mem + (i + 1) * RTVM_BOOST_BELL_LINE);
	*ret = g;
	return 0;
}

static int map_fd(int fd, size_t min, size_t *ret_size, void **ret)
{
	struct stat st;
	void *p;

	if (fstat(fd, &st) < 0)
		return -errno;
	if (st.st_size < (off_t)min)
		return -ENODEV;
	p = mmap(NULL, (size_t)st.st_size, PROT_READ | PROT_WRITE, MAP_SHARED,
		 fd, 0);
	if (p == MAP_FAILED)
		return -errno;
	*ret_size = (size_t)st.st_size;
	*ret = p;
	return 0;
}

RTVM_EXPORT int rtvm_boost_bell_open_fd(int shm_fd, int ring_fd,
					struct rtvm_boost_bell **ret)
{
	struct rtvm_boost_bell *g;
	size_t size;
	void *mem;
	int r;

	if (shm_fd < 0 || ring_fd < 0 || !ret)
		return -EINVAL;
	r = map_fd(shm_fd, 2 * RTVM_BOOST_BELL_LINE, &size, &mem);
	if (r < 0)
		return r;
	r = bell_new(mem, size, &g);
	if (r == 0 && (g->ring_fd = fcntl(ring_fd, F_DUPFD_CLOEXEC, 0)) < 0) {
		r = -errno;
		rtvm_boost_bell_close(g);
		return r;
	}
	if (r < 0) {
		munmap(mem, size);
		return r;
	}
	*ret = g;
	return 0;
}

static int read_hex(int dirfd, const char *name, unsigned long *ret)
{
	char buf[32];
	int fd = openat(dirfd, name, O_RDONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return -errno;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return -ENODEV;
	buf[n] = 0;
	*ret = strtoul(buf, NULL, 16);
	return 0;
}

static int map_resource(int dirfd, const char *name, size_t min,
			size_t *ret_size, void **ret)
{
	int fd = openat(dirfd, name, O_RDWR | O_CLOEXEC), r;

	if (fd < 0)
		return -errno;
	r = map_fd(fd, min, ret_size, ret);
	close(fd);
	return r;
}

/* One PCI device's directory: an ivshmem device whose BAR2 holds a
 * doorbell region. */
static int open_device(int dirfd, struct rtvm_boost_bell **ret)
{
	unsigned long vendor, device;
	size_t size, regs_size;
	void *mem, *regs;
	int r;

	if (read_hex(dirfd, "vendor", &vendor) < 0 ||
	    read_hex(dirfd, "device", &device) < 0 ||
	    vendor != RTVM_BOOST_BELL_PCI_VENDOR ||
	    device != RTVM_BOOST_BELL_PCI_DEVICE)
		return -ENODEV;
	r = map_resource(dirfd, "resource2", 2 * RTVM_BOOST_BELL_LINE, &size,
			 &mem);
	if (r < 0)
		return r;
	r = map_resource(dirfd, "resource0", REG_DOORBELL + 4, &regs_size,
			 &regs);
	if (r < 0) {
		munmap(mem, size);
		return r;
	}
	r = bell_new(mem, size, ret);
	if (r < 0) {
		munmap(regs, regs_size);
		munmap(mem, size);
		return r;
	}
	(*ret)->regs = regs;
	(*ret)->regs_size = regs_size;
	return 0;
}

RTVM_EXPORT int rtvm_boost_bell_open(const char *dir,
				     struct rtvm_boost_bell **ret)
{
	int dirfd, r = -ENODEV;
	DIR *d;

	if (!ret)
		return -EINVAL;
	dirfd = open(dir ? dir : RTVM_BOOST_BELL_DEVICES,
		     O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dirfd < 0)
		return errno == ENOENT || errno == ENOTDIR ? -ENODEV : -errno;
	if (faccessat(dirfd, "resource2", F_OK, 0) == 0) {
		r = open_device(dirfd, ret);
		close(dirfd);
		return r;
	}
	/* A directory of devices: the first doorbell; an error of one that
	 * is an ivshmem device (not root: -EACCES) beats -ENODEV. */
	d = fdopendir(dirfd);
	if (!d) {
		r = -errno;
		close(dirfd);
		return r;
	}
	for (struct dirent *e; (e = readdir(d));) {
		int fd, q;

		if (e->d_name[0] == '.')
			continue;
		fd = openat(dirfd, e->d_name, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (fd < 0)
			continue;
		q = open_device(fd, ret);
		close(fd);
		if (q == 0) {
			r = 0;
			break;
		}
		if (q != -ENODEV)
			r = q;
	}
	closedir(d);
	return r;
}

RTVM_EXPORT struct rtvm_boost_bell *
rtvm_boost_bell_close(struct rtvm_boost_bell *g)
{
	if (!g)
		return NULL;
	if (g->regs)
		munmap((void *)g->regs, g->regs_size);
	if (g->ring_fd >= 0)
		close(g->ring_fd);
	munmap(g->mem, g->size);
	free(g->seq);
	free(g);
	return NULL;
}

RTVM_EXPORT unsigned int
rtvm_boost_bell_get_nr_vcpus(const struct rtvm_boost_bell *g)
{
	return g ? g->lines : 0;
}

static uint8_t *line_of(const struct rtvm_boost_bell *g, unsigned int vcpu)
{
	return g->mem + (vcpu + 1) * RTVM_BOOST_BELL_LINE;
}

static void ring(struct rtvm_boost_bell *g, unsigned int vcpu)
{
	uint32_t vector = vcpu < g->vectors ? vcpu : 0;
	uint64_t one = 1;

	if (g->regs) {
		/* The register write comes after the seq's store. */
		__atomic_thread_fence(__ATOMIC_SEQ_CST);
		g->regs[REG_DOORBELL / 4] = BROKER_PEER << 16 | vector;
	} else if (write(g->ring_fd, &one, sizeof(one)) < 0) {
		/* EAGAIN: the counter is full, the host has rings to read. */
	}
}

RTVM_EXPORT int rtvm_boost_bell_post(struct rtvm_boost_bell *g,
				     struct rtvm_boost_msg *req)
{
	struct rtvm_boost_msg m;
	uint8_t *line;
	int r;

	if (!g || !req || req->vcpu >= g->lines ||
	    (req->type != RTVM_BOOST_BOOST && req->type != RTVM_BOOST_DEBOOST))
		return -EINVAL;
	line = line_of(g, req->vcpu);
	if (rtvm_bell_load_seq(line + ACK_HALF) != g->seq[req->vcpu])
		return -EBUSY;
	m = *req;
	m.version = req->type == RTVM_BOOST_BOOST && req->start_us ? 2 : 1;
	m.seq = g->seq[req->vcpu] + 1;
	r = rtvm_bell_write_half(line, &m);
	if (r < 0)
		return r;
	g->seq[req->vcpu] = m.seq;
	*req = m;
	ring(g, req->vcpu);
	return 0;
}

RTVM_EXPORT int rtvm_boost_bell_get_ack(struct rtvm_boost_bell *g,
					unsigned int vcpu,
					struct rtvm_boost_msg *ret)
{
	uint8_t buf[RTVM_BOOST_MSG_SIZE];
	struct rtvm_boost_msg m;
	uint32_t seq;

	if (!g || !ret || vcpu >= g->lines)
		return -EINVAL;
	seq = rtvm_bell_load_seq(line_of(g, vcpu) + ACK_HALF);
	if (seq != g->seq[vcpu])
		return -EAGAIN;
	rtvm_bell_copy_half(buf, line_of(g, vcpu) + ACK_HALF);
	if (!buf[0] && !buf[1])
		return -ENOENT; /* never written */
	if (rtvm_boost_msg_decode(buf, &m) < 0 || !(m.type & RTVM_BOOST_ACK))
		return -EPROTO;
	*ret = m;
	return 0;
}
