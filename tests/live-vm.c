/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Live tier: find the threads of a process that names its threads like
 * QEMU, on the real host.  The test only reads; the only process it
 * signals is the child it starts, which dies with it (PR_SET_PDEATHSIG).
 */
#include "config.h"

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "librtvm-private.h"
#include "testutil.h"

static const char *const names[] = { "CPU 0/KVM", "CPU 1/KVM",
				     "IO iothread0", "CPU 2/KVM" };

struct child {
	pid_t pid;
	int cmd;	   /* a byte here starts the next thread */
	int tids;	   /* where the child reports its tids */
	pid_t tid[4];	   /* the threads of names[] */
};

struct thread_arg {
	const char *name;
	int fd;
	pid_t index;
};

static void *named_sleeper(void *p)
{
	struct thread_arg *a = p;
	/* Which thread and its tid: threads report in any order. */
	pid_t msg[2] = { a->index, (pid_t)syscall(SYS_gettid) };

	/* Named before it is reported, so the parent never sees it unnamed. */
	if (pthread_setname_np(pthread_self(), a->name) != 0 ||
	    write(a->fd, msg, sizeof(msg)) != sizeof(msg))
		_exit(1);
	for (;;)
		pause();
	return NULL;
}

static void child_main(int cmd, int out)
{
	static struct thread_arg args[4];
	pthread_t t;
	char c;

	prctl(PR_SET_PDEATHSIG, SIGKILL);
	for (size_t i = 0; i < 4; i++) {
		args[i] = (struct thread_arg){ names[i], out, (pid_t)i };
		if (i == 3 && read(cmd, &c, 1) != 1)
			_exit(1);
		if (pthread_create(&t, NULL, named_sleeper, &args[i]) != 0)
			_exit(1);
	}
	for (;;)
		pause();
}

static void read_tid(struct child *c)
{
	pid_t msg[2];

	ck_assert_int_eq(read(c->tids, msg, sizeof(msg)), sizeof(msg));
	ck_assert(msg[0] >= 0 && msg[0] < 4);
	ck_assert_int_gt(msg[1], 0);
	c->tid[msg[0]] = msg[1];
}

static struct child spawn(void)
{
	struct child c = {0};
	int cmd[2], out[2];

	ck_assert_int_eq(pipe(cmd), 0);
	ck_assert_int_eq(pipe(out), 0);
	c.pid = fork();
	ck_assert_int_ge(c.pid, 0);
	if (c.pid == 0) {
		close(cmd[1]);
		close(out[0]);
		child_main(cmd[0], out[1]);
		_exit(0);
	}
	close(cmd[0]);
	close(out[1]);
	c.cmd = cmd[1];
	c.tids = out[0];
	for (int i = 0; i < 3; i++)
		read_tid(&c);
	return c;
}

static void reap(struct child *c)
{
	if (c->pid <= 0)
		return;
	kill(c->pid, SIGKILL);
	waitpid(c->pid, NULL, 0);
	close(c->cmd);
	close(c->tids);
	c->pid = 0;
}

static struct rtvm_ctx *real_ctx(void)
{
	struct rtvm_ctx *ctx;

	ck_assert_int_eq(rtvm_new(&ctx), 0);
	ck_assert_int_eq(rtvm_set_root(ctx, "/"), 0);
	return ctx;
}

static const struct rtvm_vm_thread *vm_thread(struct rtvm_vm *vm, pid_t tid)
{
	const struct rtvm_vm_thread *t;

	rtvm_vm_foreach_thread(t, vm)
		if (rtvm_vm_thread_get_tid(t) == tid)
			return t;
	ck_abort_msg("no thread %d", tid);
	return NULL;
}

START_TEST(test_live_vm)
{
	struct rtvm_ctx *ctx = real_ctx();
	struct child c = spawn();
	struct rtvm_vm *vm;
	const struct rtvm_vm_thread *t;
	bool changed = true;
	unsigned int n = 0;
	pid_t prev = 0;

	ck_assert_int_eq(rtvm_vm_new_from_pid(ctx, c.pid, &vm), 0);
	ck_assert_int_eq(rtvm_vm_get_pid(vm), c.pid);
	ck_assert_str_eq(rtvm_vm_get_vmm(vm), "qemu");
	ck_assert_uint_eq(rtvm_vm_get_nr_vcpus(vm), 2);
	ck_assert_int_eq(rtvm_vm_get_vcpu_tid(vm, 0), c.tid[0]);
	ck_assert_int_eq(rtvm_vm_get_vcpu_tid(vm, 1), c.tid[1]);
	ck_assert_int_eq(rtvm_vm_get_vcpu_tid(vm, 2), -ENOENT);
	rtvm_vm_foreach_thread(t, vm) {
		ck_assert_int_gt(rtvm_vm_thread_get_tid(t), prev);
		prev = rtvm_vm_thread_get_tid(t);
		n++;
	}
	ck_assert_uint_eq(n, 4);
	ck_assert_int_eq(rtvm_vm_thread_get_role(vm_thread(vm, c.pid)),
			 RTVM_VM_ROLE_EMULATOR);
	t = vm_thread(vm, c.tid[2]);
	ck_assert_int_eq(rtvm_vm_thread_get_role(t), RTVM_VM_ROLE_IOTHREAD);
	ck_assert_str_eq(rtvm_vm_thread_get_name(t), "iothread0");

	ck_assert_int_eq(rtvm_vm_refresh(vm, &changed), 0);
	ck_assert(!changed);

	/* Hot-plug a third vCPU. */
	ck_assert_int_eq(write(c.cmd, "+", 1), 1);
	read_tid(&c);
	ck_assert_int_eq(rtvm_vm_refresh(vm, &changed), 0);
	ck_assert(changed);
	ck_assert_uint_eq(rtvm_vm_get_nr_vcpus(vm), 3);
	ck_assert_int_eq(rtvm_vm_get_vcpu_tid(vm, 2), c.tid[3]);
	ck_assert_int_eq(rtvm_vm_get_vcpu_tid(vm, 0), c.tid[0]);

	/* The VMM dies: the VM keeps what it knew. */
	reap(&c);
	changed = false;
	ck_assert_int_eq(rtvm_vm_refresh(vm, &changed), -ESRCH);
	ck_assert(!changed);
	ck_assert_uint_eq(rtvm_vm_get_nr_vcpus(vm), 3);
	rtvm_vm_unref(vm);
	rtvm_unref(ctx);
}
END_TEST

START_TEST(test_live_not_a_vmm)
{
	struct rtvm_ctx *ctx = real_ctx();
	struct rtvm_vm *vm;

	/* This test process names no thread like a vCPU. */
	ck_assert_int_eq(rtvm_vm_new_from_pid(ctx, getpid(), &vm), -ENOENT);
	rtvm_unref(ctx);
}
END_TEST

int main(void)
{
	Suite *s;
	TCase *tc;
	struct rtvm_ctx *ctx;
	int fd;

	if (rtvm_new(&ctx) < 0 || rtvm_set_root(ctx, "/") < 0) {
		printf("SKIP: cannot create a library context\n");
		return EXIT_SKIP;
	}
	fd = rtvm_fs_open_dir(ctx, RTVM_FS_PROC, "self/task");
	rtvm_unref(ctx);
	if (fd < 0) {
		printf("SKIP: the proc file system is not readable: %s\n",
		       strerror(-fd));
		return EXIT_SKIP;
	}
	close(fd);
	s = suite_create("live-vm");
	tc = tcase_create("live");
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_live_vm);
	tcase_add_test(tc, test_live_not_a_vmm);
	suite_add_tcase(s, tc);
	return tu_run(s);
}
