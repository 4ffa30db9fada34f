/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The boost broker's state machine, driven through a channel as a guest
 * would: the input is a policy (4 bytes) and then records of one byte of
 * clock advance and 32 bytes of message.  Every request gets one
 * acknowledgement that decodes, and when the broker goes every vCPU is
 * back at its attributes from before (the host model's v2host fixture, a
 * QEMU with two vCPUs, in the run's sysroot).
 */
#include "config.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "librtvm-private.h"
#include "fuzz.h"

#define QEMU 777
static const pid_t vcpus[] = { 790, 791 };

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static uint64_t now_ns;

static uint64_t fake_clock(void *data)
{
	(void)data;
	return now_ns;
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	char cmd[8192];

	(void)argc;
	(void)argv;
	snprintf(cmd, sizeof(cmd), "sh '%s/tests/fixtures/gen-v2host.sh' '%s'",
		 RTVM_SRCDIR, fz_root());
	if (system(cmd) != 0)
		abort();
	return 0;
}

static void sched_of(struct rtvm_ctx *ctx, struct rtvm_sched_attr *a)
{
	for (size_t i = 0; i < 2; i++) {
		a[i] = (struct rtvm_sched_attr){ .size = sizeof(a[i]) };
		fz_assert(rtvm_thread_get_sched(ctx, QEMU, vcpus[i], &a[i]) == 0);
	}
}

/* Take every acknowledgement waiting: each decodes as one. */
static unsigned int drain(int guest)
{
	uint8_t buf[RTVM_BOOST_MSG_SIZE];
	struct rtvm_boost_msg ack;
	unsigned int n = 0;

	while (read(guest, buf, sizeof(buf)) == (ssize_t)sizeof(buf)) {
		fz_assert(rtvm_boost_msg_decode(buf, &ack) == 0);
		fz_assert(ack.type & RTVM_BOOST_ACK);
		n++;
	}
	return n;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct rtvm_sched_attr before[2], after[2];
	struct rtvm_boost_policy pol = { .size = sizeof(pol) };
	struct rtvm_ctx *ctx = fz_ctx();
	struct rtvm_boost *b = NULL;
	struct rtvm_vm *vm = NULL;
	unsigned int id, sent = 0, acked = 0;
	int sv[2];

	if (size < 4)
		goto out_ctx;
	pol.max_priority = 1 + data[0] % 99;
	pol.max_boost_us = 100 + data[1] * 100u;
	if (data[2] & 1) {
		pol.budget_us = 1000u * (1 + data[2] / 2);
		pol.budget_period_us = 1000u * 256;
	}
	pol.rate = data[3] & 1 ? 0 : 1000;
	data += 4;
	size -= 4;
	sched_of(ctx, before);
	fz_assert(rtvm_vm_new_from_pid(ctx, QEMU, &vm) == 0);
	fz_assert(rtvm_boost_new(ctx, 0, &b) == 0);
	now_ns = 1000000000ull;
	rtvm_boost_set_clock(b, fake_clock, NULL);
	fz_assert(rtvm_boost_add_vm(b, vm, &pol, &id) == 0);
	fz_assert(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) == 0);
	fz_assert(fcntl(sv[1], F_SETFL, O_NONBLOCK) == 0);
	fz_assert(rtvm_boost_add_channel(b, id, sv[0]) == 0);
	for (; size >= 1 + RTVM_BOOST_MSG_SIZE;
	     data += 1 + RTVM_BOOST_MSG_SIZE, size -= 1 + RTVM_BOOST_MSG_SIZE) {
		now_ns += (uint64_t)data[0] * 100000ull;
		fz_assert(write(sv[1], data + 1, RTVM_BOOST_MSG_SIZE) ==
			  RTVM_BOOST_MSG_SIZE);
		sent++;
		fz_assert(rtvm_boost_dispatch(b) >= 0);
		acked += drain(sv[1]);
	}
	/* One acknowledgement per request, and the host's own notices (a
	 * boost that ran out) on top. */
	fz_assert(acked >= sent);
	rtvm_boost_unref(b);
	sched_of(ctx, after);
	for (size_t i = 0; i < 2; i++)
		fz_assert(before[i].policy == after[i].policy &&
			  before[i].priority == after[i].priority &&
			  before[i].nice == after[i].nice);
	close(sv[1]);
	rtvm_vm_unref(vm);
out_ctx:
	rtvm_unref(ctx);
	return 0;
}
