/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Live tier: a real QEMU's ivshmem-doorbell device with the broker as its
 * ivshmem server.  QEMU runs stopped (-S, TCG, no guest code, no KVM)
 * with the qtest protocol on its stdio: the test is the guest's driver
 * through qtest, programs the
 * device's BARs in PCI config space, reads the region's header through
 * BAR2, writes a request line there and rings the Doorbell register (BAR0
 * offset 12).  QEMU turns the write into a write to the broker's eventfd;
 * the fake VM's vCPU thread (a child of the test named "CPU 1/KVM") is
 * seen at SCHED_FIFO, the ACK in the line, and the thread back after
 * DEBOOST and after QEMU's end.  Skips (77) without root, SCHED_FIFO or
 * qemu-system-x86_64.
 */
#include "config.h"

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "testutil.h"

#define QEMU_BIN "qemu-system-x86_64"
#define CFG(reg) (0x80000000u | 5u << 11 | (reg)) /* bus 0, slot 5 */
#define BAR0 0xfebf0000u
#define BAR2 0xfe000000u

struct qemu {
	pid_t pid;
	FILE *in, *out; /* qtest's commands and answers */
};

static pid_t start_qemu(const char *bell, struct qemu *q)
{
	char dev[64], chr[160];
	int to[2], from[2];

	snprintf(chr, sizeof(chr), "socket,path=%s,id=bell", bell);
	snprintf(dev, sizeof(dev), "ivshmem-doorbell,chardev=bell,vectors=1,"
		 "addr=05.0");
	ck_assert_int_eq(pipe(to), 0);
	ck_assert_int_eq(pipe(from), 0);
	q->pid = fork();
	ck_assert_int_ge(q->pid, 0);
	if (q->pid == 0) {
		dup2(to[0], 0);
		dup2(from[1], 1);
		close(to[1]);
		close(from[0]);
		execlp(QEMU_BIN, QEMU_BIN, "-machine", "pc", "-accel", "tcg",
		       "-S", "-qtest", "stdio", "-qtest-log", "/dev/null",
		       "-display", "none", "-nodefaults",
		       "-no-user-config", "-chardev", chr, "-device", dev,
		       (char *)NULL);
		_exit(127);
	}
	close(to[0]);
	close(from[1]);
	q->in = fdopen(to[1], "w");
	q->out = fdopen(from[0], "r");
	ck_assert_ptr_nonnull(q->in);
	ck_assert_ptr_nonnull(q->out);
	return q->pid;
}

/* One qtest command; its answer after "OK" (lent until the next one). */
static const char *qt(struct qemu *q, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static const char *qt(struct qemu *q, const char *fmt, ...)
{
	static char line[512];
	va_list ap;

	va_start(ap, fmt);
	vfprintf(q->in, fmt, ap);
	va_end(ap);
	fputc('\n', q->in);
	fflush(q->in);
	do
		ck_assert_ptr_nonnull(fgets(line, sizeof(line), q->out));
	while (strncmp(line, "IRQ", 3) == 0);
	ck_assert_msg(strncmp(line, "OK", 2) == 0, "qtest: %s", line);
	line[strcspn(line, "\n")] = 0;
	return line[2] == ' ' ? line + 3 : line + 2;
}

static void stop_qemu(struct qemu *q)
{
	if (q->pid <= 0)
		return;
	fclose(q->in);
	fclose(q->out);
	kill(q->pid, SIGTERM);
	waitpid(q->pid, NULL, 0);
	q->pid = 0;
}

static void hex_of(const uint8_t *b, size_t n, char *out)
{
	for (size_t i = 0; i < n; i++)
		sprintf(out + 2 * i, "%02x", b[i]);
}

static int channels(struct rtvm_boost *b, unsigned int id)
{
	struct rtvm_boost_stats s = { .size = sizeof(s) };

	ck_assert_int_eq(rtvm_boost_get_stats(b, id, -1, &s), 0);
	return s.channels;
}

static void pump(struct rtvm_boost *b, int ms)
{
	struct pollfd p = { .fd = rtvm_boost_get_fd(b), .events = POLLIN };

	if (poll(&p, 1, ms) > 0)
		ck_assert_int_ge(rtvm_boost_dispatch(b), 0);
}

static bool policy_is(pid_t tid, const char *name, int prio)
{
	char *out = tu_run_cmd("chrt -p %d", (int)tid), want[32];
	bool yes;

	snprintf(want, sizeof(want), "priority: %d\n", prio);
	yes = strstr(out, name) && strstr(out, want);
	free(out);
	return yes;
}

/* Write a request into vCPU 1's line through BAR2, ring through BAR0, and
 * run the broker until the ACK's seq is in the line (the answer's bytes). */
static const char *ask(struct rtvm_boost *b, struct qemu *q,
		       struct rtvm_boost_msg m)
{
	uint8_t req[RTVM_BOOST_MSG_SIZE];
	char hex[2 * RTVM_BOOST_MSG_SIZE + 1], want[16];
	const char *ack = NULL;

	ck_assert_int_eq(rtvm_boost_msg_encode(&m, req), 0);
	hex_of(req, sizeof(req), hex);
	qt(q, "write 0x%x 32 0x%s", BAR2 + 2 * 64, hex);
	qt(q, "writel 0x%x 0x0", BAR0 + 12); /* peer 0, vector 0 */
	/* the ACK's seq is bytes 36-39 of the line, little-endian */
	snprintf(want, sizeof(want), "0x%02x000000", (unsigned)m.seq);
	for (int i = 0; i < 400; i++) {
		pump(b, 5);
		ack = qt(q, "read 0x%x 4", BAR2 + 2 * 64 + 36);
		if (strcmp(ack, want) == 0)
			return qt(q, "read 0x%x 32", BAR2 + 2 * 64 + 32);
	}
	ck_abort_msg("no ACK of seq %u in the line: %s", m.seq, ack);
	return NULL;
}

START_TEST(test_qemu_ivshmem_doorbell)
{
	struct tu_child child = tu_spawn_named("CPU 0/KVM", "CPU 1/KVM");
	struct rtvm_boost_msg boost = { .version = 1, .type = RTVM_BOOST_BOOST,
					.vcpu = 1, .seq = 1,
					.policy = RTVM_BOOST_SCHED_FIFO,
					.priority = 5 };
	struct rtvm_boost_msg deboost = { .version = 1,
					  .type = RTVM_BOOST_DEBOOST,
					  .vcpu = 1, .seq = 2 };
	char dir[] = "/tmp/live-bell-qemu-XXXXXX", bell[96];
	struct rtvm_ctx *ctx;
	struct rtvm_vm *vm;
	struct rtvm_boost *b;
	struct qemu q = {0};
	unsigned int id;
	const char *ack;

	ck_assert_ptr_nonnull(mkdtemp(dir));
	snprintf(bell, sizeof(bell), "%s/vm.ivshmem", dir);
	ck_assert_int_eq(rtvm_new(&ctx), 0);
	ck_assert_int_eq(rtvm_vm_new_from_pid(ctx, child.pid, &vm), 0);
	ck_assert_int_eq(rtvm_boost_new(ctx, 0, &b), 0);
	ck_assert_int_eq(rtvm_boost_add_vm(b, vm, NULL, &id), 0);
	ck_assert_int_eq(rtvm_boost_add_doorbell(b, id, bell, 1, 0), 0);
	start_qemu(bell, &q);
	/* QEMU takes the handshake while it creates the device. */
	for (int i = 0; i < 2000 && !channels(b, id); i++)
		pump(b, 5);
	ck_assert_int_eq(channels(b, id), 1);
	ck_assert_str_eq(qt(&q, "outl 0xcf8 0x%x", CFG(0x00)), "");
	ck_assert_str_eq(qt(&q, "inl 0xcfc"), "0x11101af4");
	qt(&q, "outl 0xcf8 0x%x", CFG(0x10));
	qt(&q, "outl 0xcfc 0x%x", BAR0);
	qt(&q, "outl 0xcf8 0x%x", CFG(0x18)); /* BAR2: 64-bit */
	qt(&q, "outl 0xcfc 0x%x", BAR2);
	qt(&q, "outl 0xcf8 0x%x", CFG(0x1c));
	qt(&q, "outl 0xcfc 0x0");
	qt(&q, "outl 0xcf8 0x%x", CFG(0x04));
	qt(&q, "outl 0xcfc 0x2"); /* memory space on */
	/* The header: "rtvmbell", layout 1, 2 vCPU lines, 1 vector. */
	ck_assert_str_eq(qt(&q, "read 0x%x 16", BAR2),
			 "0x7274766d62656c6c0100020001000000");

	ack = ask(b, &q, boost);
	ck_assert_msg(strncmp(ack, "0x0182010001000000010500", 24) == 0,
		      "ACK(BOOST): %s", ack);
	ck_assert(policy_is(child.tids[2], "SCHED_FIFO", 5));
	ck_assert(policy_is(child.tids[1], "SCHED_OTHER", 0));
	ack = ask(b, &q, deboost);
	ck_assert_msg(strncmp(ack, "0x0183010002000000000000", 24) == 0,
		      "ACK(DEBOOST): %s", ack);
	ck_assert(policy_is(child.tids[2], "SCHED_OTHER", 0));
	/* Boosted when QEMU goes: the broker ends it. */
	boost.seq = 3;
	ask(b, &q, boost);
	ck_assert(policy_is(child.tids[2], "SCHED_FIFO", 5));
	stop_qemu(&q);
	for (int i = 0; i < 400 && channels(b, id); i++)
		pump(b, 5);
	ck_assert_int_eq(channels(b, id), 0);
	ck_assert(policy_is(child.tids[2], "SCHED_OTHER", 0));

	rtvm_boost_unref(b);
	rtvm_vm_unref(vm);
	rtvm_unref(ctx);
	tu_reap(&child);
	free(tu_run_cmd("rm -rf %s", dir));
}
END_TEST

int main(void)
{
	Suite *s;
	TCase *tc;

	if (tu_rt_skip("the live QEMU doorbell tests"))
		return EXIT_SKIP;
	if (system(QEMU_BIN " -device help 2>/dev/null | "
		   "grep -q '\"ivshmem-doorbell\"'") != 0) {
		printf("skip: no " QEMU_BIN " with the ivshmem-doorbell "
		       "device\n");
		return EXIT_SKIP;
	}
	s = suite_create("live-boost-qemu");
	tc = tcase_create("live-boost-qemu");
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_qemu_ivshmem_doorbell);
	suite_add_tcase(s, tc);
	return tu_run(s);
}
