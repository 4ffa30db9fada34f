/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Unit tier: the boost doorbell (rtvm-boost(7) DOORBELL) on the v2host
 * sysroot (qemu 777, vCPU threads 790 and 791) with a fake clock.  The
 * test is QEMU's ivshmem-doorbell device: it connects to the broker's
 * ivshmem server, takes the region and the broker's eventfd, and writes
 * lines itself (hostile ones too) or through the guest API.  The bytes
 * are the man page's test vectors.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "librtvm-private.h"
#include "testutil.h"
#include "ivshmem-client.h"

#define QEMU 777
#define VCPU0 790
#define VCPU1 791
#define US 1000ull
#define LINE RTVM_BOOST_BELL_LINE

static uint64_t fake_now;

static uint64_t fake_clock(void *data)
{
	(void)data;
	return fake_now;
}

struct fx {
	struct rtvm_ctx *ctx;
	struct rtvm_vm *vm;
	struct rtvm_boost *b;
	unsigned int id;
	char dir[64], path[96];
	struct ivc qemu;
	uint8_t *mem; /* the region as QEMU maps it */
	size_t size;
};

static void connect_qemu(struct fx *f, unsigned int vectors)
{
	struct stat st;

	ck_assert_int_eq(ivc_connect(f->path, &f->qemu), 0);
	ck_assert_int_ge(rtvm_boost_dispatch(f->b), 0);
	ck_assert_int_eq(ivc_setup(&f->qemu, vectors), 0);
	ck_assert_int_eq(f->qemu.id, 1);
	ck_assert_int_eq(fstat(f->qemu.shm, &st), 0);
	f->size = (size_t)st.st_size;
	f->mem = mmap(NULL, f->size, PROT_READ | PROT_WRITE, MAP_SHARED,
		      f->qemu.shm, 0);
	ck_assert_ptr_ne(f->mem, MAP_FAILED);
}

static struct fx setup_vectors(const struct rtvm_boost_policy *pol,
			       unsigned int vectors)
{
	struct fx f = {0};

	f.ctx = tu_ctx("v2host");
	ck_assert_int_eq(rtvm_vm_new_from_pid(f.ctx, QEMU, &f.vm), 0);
	ck_assert_int_eq(rtvm_boost_new(f.ctx, 0, &f.b), 0);
	fake_now = 1000000 * US;
	rtvm_boost_set_clock(f.b, fake_clock, NULL);
	ck_assert_int_eq(rtvm_boost_add_vm(f.b, f.vm, pol, &f.id), 0);
	strcpy(f.dir, "/tmp/unit-bell-XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(f.dir));
	snprintf(f.path, sizeof(f.path), "%s/bell.sock", f.dir);
	ck_assert_int_eq(rtvm_boost_add_doorbell(f.b, f.id, f.path, vectors, 0),
			 0);
	connect_qemu(&f, vectors ? vectors : 1);
	return f;
}

static struct fx setup(const struct rtvm_boost_policy *pol)
{
	return setup_vectors(pol, 0);
}

static void teardown(struct fx *f)
{
	if (f->mem)
		munmap(f->mem, f->size);
	ivc_close(&f->qemu);
	rtvm_boost_unref(f->b);
	/* The broker removes its socket. */
	ck_assert_int_eq(access(f->path, F_OK), -1);
	ck_assert_int_eq(rmdir(f->dir), 0);
	rtvm_vm_unref(f->vm);
	rtvm_unref(f->ctx);
}

static void expect_sched(struct fx *f, pid_t tid, int policy, int prio)
{
	struct rtvm_sched_attr a = { .size = sizeof(a) };

	ck_assert_int_eq(rtvm_thread_get_sched(f->ctx, QEMU, tid, &a), 0);
	ck_assert_msg(a.policy == policy && a.priority == prio,
		      "thread %d: policy %d prio %d, expected %d %d", tid,
		      a.policy, a.priority, policy, prio);
}

static void ring(struct fx *f)
{
	uint64_t one = 1;

	ck_assert_int_eq(write(f->qemu.ring, &one, sizeof(one)), sizeof(one));
}

static uint8_t *line(struct fx *f, unsigned int vcpu)
{
	return f->mem + (vcpu + 1) * LINE;
}

/* A hostile guest's write: any bytes, seq included, no ordering. */
static void put_request(struct fx *f, unsigned int vcpu, const uint8_t *req)
{
	memcpy(line(f, vcpu), req, RTVM_BOOST_MSG_SIZE);
}

static void hex_eq(const uint8_t *got, const uint8_t *want, size_t n)
{
	for (size_t i = 0; i < n; i++)
		ck_assert_msg(got[i] == want[i], "byte %zu: %02x, expected %02x",
			      i, got[i], want[i]);
}

static struct rtvm_boost_msg ack_of(struct fx *f, unsigned int vcpu)
{
	struct rtvm_boost_msg m;

	ck_assert_int_eq(rtvm_boost_msg_decode(line(f, vcpu) + 32, &m), 0);
	return m;
}

static uint64_t requests(struct fx *f)
{
	struct rtvm_boost_stats s = { .size = sizeof(s) };

	ck_assert_int_eq(rtvm_boost_get_stats(f->b, f->id, -1, &s), 0);
	return s.requests;
}

/* rtvm-boost(7), DOORBELL TEST VECTORS. */
static const uint8_t header_vector[16] = {
	0x72, 0x74, 0x76, 0x6d, 0x62, 0x65, 0x6c, 0x6c,
	0x01, 0x00, 0x02, 0x00, 0x01, 0x00, 0x00, 0x00,
};
static const uint8_t line_vector[64] = {
	/* request: BOOST vCPU 1, FIFO 5, seq 1 */
	0x01, 0x02, 0x01, 0x00, 0x01, 0x00, 0x00, 0x00,
	0x01, 0x05, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	/* ACK: applied FIFO 5, 10000 us left, seq 1 */
	0x01, 0x82, 0x01, 0x00, 0x01, 0x00, 0x00, 0x00,
	0x01, 0x05, 0x00, 0x00, 0x10, 0x27, 0x00, 0x00,
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
};

/* The vectors above as the page shows them: its Doorbell test vectors,
 * 16 bytes to a row, "OFF: 8 bytes  8 bytes". */
static void hex_rows(const uint8_t *b, size_t n, char *out, size_t size)
{
	size_t len = 0;

	for (size_t row = 0; row < n; row += 16) {
		len += (size_t)snprintf(out + len, size - len, "%02zx:", row);
		for (size_t i = row; i < row + 16; i++)
			len += (size_t)snprintf(out + len, size - len, "%s%02x",
						i == row + 8 ? "  " : " ", b[i]);
		len += (size_t)snprintf(out + len, size - len, "\n");
	}
}

START_TEST(test_man_page)
{
	const char *top = getenv("top_srcdir");
	char path[1024], want[512], *text = NULL;
	const char *at;
	size_t len = 0;
	FILE *f;

	snprintf(path, sizeof(path), "%s/man/rtvm-boost.7",
		 top && *top ? top : ".");
	f = fopen(path, "r");
	if (!f && !top)
		return; /* run by hand outside the source tree */
	ck_assert_msg(f != NULL, "cannot open %s", path);
	ck_assert_int_ne(getdelim(&text, &len, '\0', f), -1);
	fclose(f);
	at = strstr(text, "\n.SH TEST VECTORS\n");
	at = at ? strstr(at, "\n.SS Doorbell\n") : NULL;
	ck_assert_msg(at != NULL, "%s has no Doorbell test vectors", path);
	hex_rows(header_vector, sizeof(header_vector), want, sizeof(want));
	ck_assert_msg((at = strstr(at, want)) != NULL,
		      "%s does not show the header:\n%s", path, want);
	hex_rows(line_vector, sizeof(line_vector), want, sizeof(want));
	ck_assert_msg(strstr(at, want) != NULL,
		      "%s does not show the line:\n%s", path, want);
	free(text);
}
END_TEST

START_TEST(test_vectors)
{
	struct fx f = setup(NULL);
	static const uint8_t zero[LINE];

	/* A PCI BAR: a power of two, a page at least. */
	ck_assert_uint_eq(f.size, 4096);
	hex_eq(f.mem, header_vector, sizeof(header_vector));
	hex_eq(f.mem + 16, zero, LINE - 16);
	hex_eq(line(&f, 0), zero, LINE);
	put_request(&f, 1, line_vector);
	ring(&f);
	ck_assert_int_eq(rtvm_boost_dispatch(f.b), 1);
	hex_eq(line(&f, 1), line_vector, LINE);
	expect_sched(&f, VCPU1, SCHED_FIFO, 5);
	expect_sched(&f, VCPU0, SCHED_OTHER, 0);
	/* No ring, no new seq: nothing is read again. */
	ck_assert_int_eq(rtvm_boost_dispatch(f.b), 0);
	ring(&f);
	ck_assert_int_eq(rtvm_boost_dispatch(f.b), 0);
	ck_assert_uint_eq(requests(&f), 1);
	teardown(&f);
}
END_TEST

/* The guest API writes the same bytes and reads the ACK. */
START_TEST(test_guest_api)
{
	struct fx f = setup(NULL);
	struct rtvm_boost_bell *g;
	struct rtvm_boost_msg req = { .type = RTVM_BOOST_BOOST, .vcpu = 1,
				      .policy = RTVM_BOOST_SCHED_FIFO,
				      .priority = 5 };
	struct rtvm_boost_msg ack;

	ck_assert_int_eq(rtvm_boost_bell_open_fd(f.qemu.shm, f.qemu.ring, &g),
			 0);
	ck_assert_uint_eq(rtvm_boost_bell_get_nr_vcpus(g), 2);
	ck_assert_int_eq(rtvm_boost_bell_get_ack(g, 1, &ack), -ENOENT);
	ck_assert_int_eq(rtvm_boost_bell_post(g, &req), 0);
	ck_assert_uint_eq(req.seq, 1);
	ck_assert_uint_eq(req.version, 1);
	hex_eq(line(&f, 1), line_vector, 32);
	/* Posted, not answered: the guest neither waits nor overwrites. */
	ck_assert_int_eq(rtvm_boost_bell_get_ack(g, 1, &ack), -EAGAIN);
	ck_assert_int_eq(rtvm_boost_bell_post(g, &req), -EBUSY);
	ck_assert_int_eq(rtvm_boost_dispatch(f.b), 1);
	ck_assert_int_eq(rtvm_boost_bell_get_ack(g, 1, &ack), 0);
	ck_assert_uint_eq(ack.status, RTVM_BOOST_OK);
	ck_assert_uint_eq(ack.until_us, 10000);
	hex_eq(line(&f, 1), line_vector, LINE);
	expect_sched(&f, VCPU1, SCHED_FIFO, 5);
	req = (struct rtvm_boost_msg){ .type = RTVM_BOOST_DEBOOST, .vcpu = 1 };
	ck_assert_int_eq(rtvm_boost_bell_post(g, &req), 0);
	ck_assert_uint_eq(req.seq, 2);
	ck_assert_int_eq(rtvm_boost_dispatch(f.b), 1);
	ck_assert_int_eq(rtvm_boost_bell_get_ack(g, 1, &ack), 0);
	ck_assert_uint_eq(ack.type, RTVM_BOOST_DEBOOST | RTVM_BOOST_ACK);
	expect_sched(&f, VCPU1, SCHED_OTHER, 0);
	/* Argument errors. */
	req.vcpu = 2;
	ck_assert_int_eq(rtvm_boost_bell_post(g, &req), -EINVAL);
	req = (struct rtvm_boost_msg){ .type = RTVM_BOOST_QUERY };
	ck_assert_int_eq(rtvm_boost_bell_post(g, &req), -EINVAL);
	ck_assert_int_eq(rtvm_boost_bell_get_ack(g, 2, &ack), -EINVAL);
	/* A second handle goes on from the line's seq. */
	rtvm_boost_bell_close(g);
	ck_assert_int_eq(rtvm_boost_bell_open_fd(f.qemu.shm, f.qemu.ring, &g),
			 0);
	req = (struct rtvm_boost_msg){ .type = RTVM_BOOST_DEBOOST, .vcpu = 1 };
	ck_assert_int_eq(rtvm_boost_bell_post(g, &req), 0);
	ck_assert_uint_eq(req.seq, 3);
	rtvm_boost_bell_close(g);
	ck_assert_int_eq(rtvm_boost_bell_open_fd(-1, f.qemu.ring, &g), -EINVAL);
	teardown(&f);
}
END_TEST

/* What a hostile guest may write: every request is judged from one copy,
 * acts on its own line's vCPU only, and is answered with its reason. */
START_TEST(test_hostile_lines)
{
	struct rtvm_boost_policy pol = { .size = sizeof(pol), .burst = 2,
					 .rate = 1 };
	struct fx f = setup(&pol);
	uint8_t req[RTVM_BOOST_MSG_SIZE];
	struct rtvm_boost_msg m;
	static const struct {
		uint8_t type, vcpu, prio;
		int reason;
	} cases[] = {
		{ RTVM_BOOST_BOOST, 0, 5, RTVM_BOOST_BAD_VCPU }, /* another's */
		{ RTVM_BOOST_HELLO, 1, 0, RTVM_BOOST_MALFORMED },
		{ 0x55, 1, 0, RTVM_BOOST_MALFORMED },
		{ RTVM_BOOST_BOOST, 1, 50, RTVM_BOOST_CEILING },
		{ RTVM_BOOST_BOOST, 1, 5, RTVM_BOOST_RATE }, /* malformed ones cost nothing */
	};

	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		m = (struct rtvm_boost_msg){ .version = 1, .type = RTVM_BOOST_BOOST,
					     .vcpu = cases[i].vcpu,
					     .seq = 100 + (uint32_t)i,
					     .policy = RTVM_BOOST_SCHED_FIFO,
					     .priority = cases[i].prio };
		if (cases[i].type != RTVM_BOOST_BOOST)
			m.policy = 0;
		ck_assert_int_eq(rtvm_boost_msg_encode(&m, req), 0);
		req[1] = cases[i].type;
		put_request(&f, 1, req);
		/* junk where only the host writes: it is never read */
		memset(line(&f, 1) + 32, 0xff, 32);
		ring(&f);
		ck_assert_int_eq(rtvm_boost_dispatch(f.b), 1);
		m = ack_of(&f, 1);
		ck_assert_uint_eq(m.type, cases[i].type | RTVM_BOOST_ACK);
		ck_assert_uint_eq(m.seq, 100 + i);
		ck_assert_uint_eq(m.vcpu, cases[i].vcpu);
		ck_assert_int_eq(m.status, cases[i].reason);
		expect_sched(&f, VCPU0, SCHED_OTHER, 0);
		expect_sched(&f, VCPU1, SCHED_OTHER, 0);
	}
	/* A body changed under an answered seq is not a request. */
	req[9] = 1;
	req[1] = RTVM_BOOST_BOOST;
	put_request(&f, 1, req);
	fake_now += 10000000 * US; /* the bucket is full again */
	ring(&f);
	ck_assert_int_eq(rtvm_boost_dispatch(f.b), 0);
	expect_sched(&f, VCPU1, SCHED_OTHER, 0);
	/* Garbage in the header is the guest's business. */
	memset(f.mem, 0xee, LINE);
	memset(req, 0xff, sizeof(req));
	put_request(&f, 0, req);
	ring(&f);
	ck_assert_int_eq(rtvm_boost_dispatch(f.b), 1);
	ck_assert_int_eq(ack_of(&f, 0).status, RTVM_BOOST_MALFORMED);
	ck_assert_uint_eq(ack_of(&f, 0).seq, 0xffffffff);
	ck_assert_uint_eq(requests(&f), ARRAY_SIZE(cases) + 1);
	expect_sched(&f, VCPU0, SCHED_OTHER, 0);
	teardown(&f);
}
END_TEST

static void post_fifo(struct fx *f, unsigned int vcpu, uint32_t seq,
		      uint8_t prio, uint32_t until_us)
{
	struct rtvm_boost_msg m = { .version = 1, .type = RTVM_BOOST_BOOST,
				    .vcpu = (uint16_t)vcpu, .seq = seq,
				    .policy = RTVM_BOOST_SCHED_FIFO,
				    .priority = prio, .until_us = until_us };
	uint8_t req[RTVM_BOOST_MSG_SIZE];

	ck_assert_int_eq(rtvm_boost_msg_encode(&m, req), 0);
	put_request(f, vcpu, req);
	ring(f);
	ck_assert_int_eq(rtvm_boost_dispatch(f->b), 1);
	ck_assert_int_eq(ack_of(f, vcpu).status, RTVM_BOOST_OK);
}

/* The grant runs out: the host ends the boost, and says nothing in the
 * line (the ACK's grant told the guest). */
START_TEST(test_watchdog)
{
	struct fx f = setup(NULL);
	uint8_t before[LINE];

	post_fifo(&f, 0, 1, 3, 2000);
	expect_sched(&f, VCPU0, SCHED_FIFO, 3);
	ck_assert_uint_eq(ack_of(&f, 0).until_us, 2000);
	memcpy(before, line(&f, 0), LINE);
	fake_now += 1999 * US;
	ck_assert_int_eq(rtvm_boost_dispatch(f.b), 0);
	expect_sched(&f, VCPU0, SCHED_FIFO, 3);
	fake_now += 1 * US;
	ck_assert_int_eq(rtvm_boost_dispatch(f.b), 0);
	expect_sched(&f, VCPU0, SCHED_OTHER, 0);
	hex_eq(line(&f, 0), before, LINE);
	teardown(&f);
}
END_TEST

/* QEMU goes: its boosts end; one client at a time; the next one gets a
 * region without requests. */
START_TEST(test_client_goes_away)
{
	struct fx f = setup_vectors(NULL, 2);
	struct rtvm_boost_stats s = { .size = sizeof(s) };
	struct ivc other;
	int64_t v;
	int fd;

	ck_assert_uint_eq(f.qemu.peer0_fds, 2);
	ck_assert_uint_eq(f.mem[12], 2); /* vectors, in the header */
	post_fifo(&f, 0, 1, 2, 0);
	post_fifo(&f, 1, 1, 4, 0);
	/* What the client says is dropped, and it stays connected. */
	ck_assert_int_eq(write(f.qemu.sock, "hello?", 6), 6);
	ck_assert_int_ge(rtvm_boost_dispatch(f.b), 0);
	ck_assert_int_eq(rtvm_boost_get_stats(f.b, f.id, -1, &s), 0);
	ck_assert_int_eq(s.channels, 1);
	ck_assert_uint_eq(s.requests, 2);
	ck_assert_int_eq(ivc_connect(f.path, &other), 0);
	ck_assert_int_ge(rtvm_boost_dispatch(f.b), 0);
	/* turned away: closed before a word */
	ck_assert_int_eq(ivc_recv(&other, &v, &fd), -EPROTO);
	ivc_close(&other);
	expect_sched(&f, VCPU0, SCHED_FIFO, 2);
	munmap(f.mem, f.size);
	f.mem = NULL;
	ivc_close(&f.qemu);
	ck_assert_int_ge(rtvm_boost_dispatch(f.b), 0);
	expect_sched(&f, VCPU0, SCHED_OTHER, 0);
	expect_sched(&f, VCPU1, SCHED_OTHER, 0);
	ck_assert_int_eq(rtvm_boost_get_stats(f.b, f.id, -1, &s), 0);
	ck_assert_int_eq(s.channels, 0);
	ck_assert_uint_eq(s.closed, 2);
	connect_qemu(&f, 2);
	ck_assert_uint_eq(rtvm_bell_load_seq(line(&f, 1)), 0);
	ck_assert_uint_eq(rtvm_bell_load_seq(line(&f, 1) + 32), 0);
	post_fifo(&f, 1, 1, 4, 0);
	expect_sched(&f, VCPU1, SCHED_FIFO, 4);
	teardown(&f);
}
END_TEST

START_TEST(test_add_errors)
{
	struct fx f = setup(NULL);
	char other[128];

	ck_assert_int_eq(rtvm_boost_add_doorbell(f.b, f.id, f.path, 0, 0),
			 -EEXIST);
	snprintf(other, sizeof(other), "%s/other.sock", f.dir);
	ck_assert_int_eq(rtvm_boost_add_doorbell(f.b, f.id + 1, other, 0, 0),
			 -ENOENT);
	ck_assert_int_eq(rtvm_boost_add_doorbell(f.b, f.id, other, 65, 0),
			 -EINVAL);
	ck_assert_int_eq(rtvm_boost_add_doorbell(f.b, f.id, other, 0, 1),
			 -EINVAL);
	ck_assert_int_eq(rtvm_boost_add_doorbell(NULL, f.id, other, 0, 0),
			 -EINVAL);
	ck_assert_int_eq(access(other, F_OK), -1);
	/* Removing the VM removes its socket. */
	ck_assert_int_eq(rtvm_boost_remove_vm(f.b, f.id), 0);
	ck_assert_int_eq(access(f.path, F_OK), -1);
	teardown(&f);
}
END_TEST

START_TEST(test_add_path_in_use)
{
	struct rtvm_ctx *ctx = tu_ctx("v2host");
	struct rtvm_vm *vm;
	struct rtvm_boost *b;
	unsigned int id;
	char dir[] = "/tmp/unit-bell-XXXXXX", path[64];
	int fd;

	ck_assert_ptr_nonnull(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/taken", dir);
	fd = open(path, O_CREAT | O_WRONLY | O_CLOEXEC, 0600);
	ck_assert_int_ge(fd, 0);
	close(fd);
	ck_assert_int_eq(rtvm_vm_new_from_pid(ctx, QEMU, &vm), 0);
	ck_assert_int_eq(rtvm_boost_new(ctx, 0, &b), 0);
	ck_assert_int_eq(rtvm_boost_add_vm(b, vm, NULL, &id), 0);
	ck_assert_int_eq(rtvm_boost_add_doorbell(b, id, path, 0, 0),
			 -EADDRINUSE);
	/* left as it was, and the VM can still get a doorbell */
	ck_assert_int_eq(access(path, F_OK), 0);
	ck_assert_int_eq(unlink(path), 0);
	ck_assert_int_eq(rtvm_boost_add_doorbell(b, id, path, 0, 0), 0);
	rtvm_boost_unref(b);
	ck_assert_int_eq(access(path, F_OK), -1);
	ck_assert_int_eq(rmdir(dir), 0);
	rtvm_vm_unref(vm);
	rtvm_unref(ctx);
}
END_TEST

/* ---- the guest's PCI device, as sysfs shows it ---------------------------- */

static void write_file(const char *dir, const char *name, const void *data,
		       size_t len)
{
	char path[256];
	FILE *fp;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	fp = fopen(path, "w");
	ck_assert_ptr_nonnull(fp);
	ck_assert_uint_eq(fwrite(data, 1, len, fp), len);
	fclose(fp);
}

static void read_file(const char *dir, const char *name, void *data,
		      size_t len)
{
	char path[256];
	FILE *fp;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	fp = fopen(path, "r");
	ck_assert_ptr_nonnull(fp);
	ck_assert_uint_eq(fread(data, 1, len, fp), len);
	fclose(fp);
}

/* A PCI device directory: vendor, device, BAR0 (256 bytes), BAR2. */
static void fake_device(const char *dir, const char *vendor,
			unsigned int vectors, bool bell)
{
	static uint8_t region[4096], regs[256];

	ck_assert_int_eq(mkdir(dir, 0700), 0);
	write_file(dir, "vendor", vendor, strlen(vendor));
	write_file(dir, "device", "0x1110\n", 7);
	memset(region, 0, sizeof(region));
	if (bell)
		rtvm_bell_header_write(region, 2, vectors);
	write_file(dir, "resource0", regs, sizeof(regs));
	write_file(dir, "resource2", region, sizeof(region));
}

START_TEST(test_sysfs_device)
{
	char top[] = "/tmp/unit-bell-pci-XXXXXX", dev[128];
	struct rtvm_boost_bell *g;
	struct rtvm_boost_msg req = { .type = RTVM_BOOST_BOOST, .vcpu = 1,
				      .policy = RTVM_BOOST_SCHED_FIFO,
				      .priority = 5 };
	uint8_t regs[16], region[2 * LINE + 32];

	ck_assert_ptr_nonnull(mkdtemp(top));
	/* Not ivshmem; ivshmem without a doorbell; then the doorbell. */
	snprintf(dev, sizeof(dev), "%s/0000:00:02.0", top);
	fake_device(dev, "0x8086\n", 1, true);
	snprintf(dev, sizeof(dev), "%s/0000:00:03.0", top);
	fake_device(dev, "0x1af4\n", 1, false);
	ck_assert_int_eq(rtvm_boost_bell_open(top, &g), -ENODEV);
	ck_assert_int_eq(rtvm_boost_bell_open(dev, &g), -ENODEV);
	snprintf(dev, sizeof(dev), "%s/0000:00:04.0", top);
	fake_device(dev, "0x1af4\n", 2, true);
	ck_assert_int_eq(rtvm_boost_bell_open(top, &g), 0);
	ck_assert_uint_eq(rtvm_boost_bell_get_nr_vcpus(g), 2);
	ck_assert_int_eq(rtvm_boost_bell_post(g, &req), 0);
	rtvm_boost_bell_close(g);
	/* The request is in BAR2's line 1; the ring in the Doorbell register
	 * (BAR0 offset 12): peer 0, vector 1 (the server set up 2). */
	read_file(dev, "resource2", region, sizeof(region));
	hex_eq(region + 2 * LINE, line_vector, 32);
	read_file(dev, "resource0", regs, sizeof(regs));
	ck_assert_uint_eq(regs[12] | regs[13] << 8 | regs[14] << 16 |
			  (unsigned)regs[15] << 24, 0x00000001);
	ck_assert_int_eq(rtvm_boost_bell_open("/nonexistent", &g), -ENODEV);
	ck_assert_int_eq(rtvm_boost_bell_open(top, NULL), -EINVAL);
	free(tu_run_cmd("rm -rf %s", top));
}
END_TEST

int main(void)
{
	Suite *s = suite_create("unit-boost-doorbell");
	TCase *tc = tcase_create("unit-boost-doorbell");

	tcase_add_test(tc, test_man_page);
	tcase_add_test(tc, test_vectors);
	tcase_add_test(tc, test_guest_api);
	tcase_add_test(tc, test_hostile_lines);
	tcase_add_test(tc, test_watchdog);
	tcase_add_test(tc, test_client_goes_away);
	tcase_add_test(tc, test_add_errors);
	tcase_add_test(tc, test_add_path_in_use);
	tcase_add_test(tc, test_sysfs_device);
	suite_add_tcase(s, tc);
	return tu_run(s);
}
