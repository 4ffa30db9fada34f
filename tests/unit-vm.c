/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Unit tier: finding a VMM's threads on fixture sysroots. */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "librtvm-private.h"
#include "testutil.h"

static struct rtvm_vm *vm_new(struct rtvm_ctx *ctx, pid_t pid)
{
	struct rtvm_vm *vm = NULL;

	ck_assert_int_eq(rtvm_vm_new_from_pid(ctx, pid, &vm), 0);
	ck_assert_ptr_nonnull(vm);
	return vm;
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

static unsigned int nr_threads(struct rtvm_vm *vm)
{
	const struct rtvm_vm_thread *t;
	unsigned int n = 0;

	rtvm_vm_foreach_thread(t, vm)
		n++;
	return n;
}

/* Add thread @tid named @comm to process @pid of the fixture: host64's
 * vnc_worker stat line with the ids and the comm changed. */
static void add_thread(struct rtvm_ctx *ctx, pid_t pid, pid_t tid,
		       const char *comm)
{
	char *tmpl = tu_read(ctx, "proc/4242/task/4253/stat"), *rest;
	char rel[256], line[2048];

	rest = strrchr(tmpl, ')');
	ck_assert_ptr_nonnull(rest);
	snprintf(line, sizeof(line), "%d (%s%s", (int)tid, comm, rest);
	snprintf(rel, sizeof(rel), "proc/%d/task/%d/stat", (int)pid, (int)tid);
	tu_write(ctx, rel, line);
	snprintf(line, sizeof(line), "%s\n", comm);
	snprintf(rel, sizeof(rel), "proc/%d/task/%d/comm", (int)pid, (int)tid);
	tu_write(ctx, rel, line);
	free(tmpl);
}

static void remove_dir(struct rtvm_ctx *ctx, const char *rel)
{
	char cmd[1200];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s/%s'", rtvm_get_root(ctx), rel);
	ck_assert_int_eq(system(cmd), 0);
}

START_TEST(test_host64_qemu)
{
	struct rtvm_ctx *ctx = tu_ctx("host64");
	struct rtvm_vm *vm = vm_new(ctx, 4242);
	const struct rtvm_vm_thread *t;
	static const pid_t order[] = { 4242, 4250, 4251, 4252, 4253 };
	unsigned int n = 0;

	ck_assert_int_eq(rtvm_vm_get_pid(vm), 4242);
	ck_assert_str_eq(rtvm_vm_get_vmm(vm), "qemu");
	ck_assert_uint_eq(rtvm_vm_get_nr_vcpus(vm), 2);
	ck_assert_int_eq(rtvm_vm_get_vcpu_tid(vm, 0), 4250);
	ck_assert_int_eq(rtvm_vm_get_vcpu_tid(vm, 1), 4251);
	ck_assert_int_eq(rtvm_vm_get_vcpu_tid(vm, 2), -ENOENT);
	ck_assert_int_eq(rtvm_vm_get_vcpu_tid(vm, 4096), -ENOENT);

	rtvm_vm_foreach_thread(t, vm) {
		ck_assert_uint_lt(n, ARRAY_SIZE(order));
		ck_assert_int_eq(rtvm_vm_thread_get_tid(t), order[n]);
		n++;
	}
	ck_assert_uint_eq(n, ARRAY_SIZE(order));

	t = vm_thread(vm, 4242);
	ck_assert_int_eq(rtvm_vm_thread_get_role(t), RTVM_VM_ROLE_EMULATOR);
	ck_assert_int_eq(rtvm_vm_thread_get_index(t), -ENOENT);
	ck_assert_str_eq(rtvm_vm_thread_get_name(t), "qemu-system-x86");

	t = vm_thread(vm, 4250);
	ck_assert_int_eq(rtvm_vm_thread_get_role(t), RTVM_VM_ROLE_VCPU);
	ck_assert_int_eq(rtvm_vm_thread_get_index(t), 0);
	ck_assert_str_eq(rtvm_vm_thread_get_name(t), "CPU 0/KVM");
	t = vm_thread(vm, 4251);
	ck_assert_int_eq(rtvm_vm_thread_get_role(t), RTVM_VM_ROLE_VCPU);
	ck_assert_int_eq(rtvm_vm_thread_get_index(t), 1);

	t = vm_thread(vm, 4252);
	ck_assert_int_eq(rtvm_vm_thread_get_role(t), RTVM_VM_ROLE_IOTHREAD);
	ck_assert_int_eq(rtvm_vm_thread_get_index(t), -ENOENT);
	ck_assert_str_eq(rtvm_vm_thread_get_name(t), "iothread0");

	t = vm_thread(vm, 4253);
	ck_assert_int_eq(rtvm_vm_thread_get_role(t), RTVM_VM_ROLE_OTHER);
	ck_assert_str_eq(rtvm_vm_thread_get_name(t), "vnc_worker");

	/* References: the VM keeps the context alive. */
	ck_assert_ptr_eq(rtvm_vm_ref(vm), vm);
	ck_assert_ptr_null(rtvm_vm_unref(vm));
	ck_assert_int_eq(rtvm_vm_get_pid(vm), 4242);
	rtvm_unref(ctx);
	ck_assert_uint_eq(rtvm_vm_get_nr_vcpus(vm), 2);
	ck_assert_ptr_null(rtvm_vm_unref(vm));
}
END_TEST

START_TEST(test_v2host_qemu)
{
	struct rtvm_ctx *ctx = tu_ctx("v2host");
	struct rtvm_vm *vm = vm_new(ctx, 777);

	ck_assert_str_eq(rtvm_vm_get_vmm(vm), "qemu");
	ck_assert_uint_eq(rtvm_vm_get_nr_vcpus(vm), 2);
	ck_assert_int_eq(rtvm_vm_get_vcpu_tid(vm, 0), 790);
	ck_assert_int_eq(rtvm_vm_get_vcpu_tid(vm, 1), 791);
	ck_assert_int_eq(rtvm_vm_thread_get_role(vm_thread(vm, 777)),
			 RTVM_VM_ROLE_EMULATOR);
	rtvm_vm_unref(vm);
	rtvm_unref(ctx);
}
END_TEST

START_TEST(test_errors)
{
	struct rtvm_ctx *ctx = tu_ctx("host64");
	struct rtvm_vm *vm = (struct rtvm_vm *)&ctx; /* must stay untouched */
	struct rtvm_vm *const sentinel = vm;
	bool changed = false;

	ck_assert_int_eq(rtvm_vm_new_from_pid(ctx, 1, &vm), -ENOENT);
	ck_assert_int_eq(rtvm_vm_new_from_pid(ctx, 5000, &vm), -ENOENT);
	ck_assert_int_eq(rtvm_vm_new_from_pid(ctx, 99999, &vm), -ESRCH);
	/* A thread id is not a process id. */
	ck_assert_int_eq(rtvm_vm_new_from_pid(ctx, 4250, &vm), -ESRCH);
	ck_assert_int_eq(rtvm_vm_new_from_pid(NULL, 4242, &vm), -EINVAL);
	ck_assert_int_eq(rtvm_vm_new_from_pid(ctx, 0, &vm), -EINVAL);
	ck_assert_int_eq(rtvm_vm_new_from_pid(ctx, -4242, &vm), -EINVAL);
	ck_assert_int_eq(rtvm_vm_new_from_pid(ctx, 4242, NULL), -EINVAL);
	ck_assert_ptr_eq(vm, sentinel);

	ck_assert_int_eq(rtvm_vm_refresh(NULL, &changed), -EINVAL);
	ck_assert_int_eq(rtvm_vm_get_pid(NULL), -EINVAL);
	ck_assert_ptr_null(rtvm_vm_get_vmm(NULL));
	ck_assert_uint_eq(rtvm_vm_get_nr_vcpus(NULL), 0);
	ck_assert_int_eq(rtvm_vm_get_vcpu_tid(NULL, 0), -EINVAL);
	ck_assert_ptr_null(rtvm_vm_thread_next(NULL, NULL));
	ck_assert_int_eq(rtvm_vm_thread_get_tid(NULL), -EINVAL);
	ck_assert_int_eq(rtvm_vm_thread_get_role(NULL), -EINVAL);
	ck_assert_int_eq(rtvm_vm_thread_get_index(NULL), -EINVAL);
	ck_assert_ptr_null(rtvm_vm_thread_get_name(NULL));
	ck_assert_ptr_null(rtvm_vm_ref(NULL));
	ck_assert_ptr_null(rtvm_vm_unref(NULL));

	ck_assert_str_eq(rtvm_vm_role_to_string(RTVM_VM_ROLE_OTHER), "other");
	ck_assert_str_eq(rtvm_vm_role_to_string(RTVM_VM_ROLE_VCPU), "vcpu");
	ck_assert_str_eq(rtvm_vm_role_to_string(RTVM_VM_ROLE_EMULATOR),
			 "emulator");
	ck_assert_str_eq(rtvm_vm_role_to_string(RTVM_VM_ROLE_IOTHREAD),
			 "iothread");
	ck_assert_ptr_null(rtvm_vm_role_to_string(4));
	ck_assert_ptr_null(rtvm_vm_role_to_string(-1));
	rtvm_unref(ctx);
}
END_TEST

START_TEST(test_refresh)
{
	struct rtvm_ctx *ctx = tu_ctx("host64");
	struct rtvm_vm *vm = vm_new(ctx, 4242);
	const struct rtvm_vm_thread *t;
	bool changed = false;

	/* Nothing happened. */
	ck_assert_int_eq(rtvm_vm_refresh(vm, &changed), 0);
	ck_assert(!changed);
	ck_assert_int_eq(rtvm_vm_refresh(vm, NULL), 0);

	/* A vCPU is hot-plugged. */
	add_thread(ctx, 4242, 4254, "CPU 2/KVM");
	ck_assert_int_eq(rtvm_vm_refresh(vm, &changed), 0);
	ck_assert(changed);
	ck_assert_uint_eq(rtvm_vm_get_nr_vcpus(vm), 3);
	ck_assert_int_eq(rtvm_vm_get_vcpu_tid(vm, 2), 4254);
	ck_assert_uint_eq(nr_threads(vm), 6);
	t = vm_thread(vm, 4254);
	ck_assert_int_eq(rtvm_vm_thread_get_role(t), RTVM_VM_ROLE_VCPU);
	ck_assert_int_eq(rtvm_vm_thread_get_index(t), 2);

	ck_assert_int_eq(rtvm_vm_refresh(vm, &changed), 0);
	ck_assert(!changed);

	/* vCPU 1 goes: the count is still the highest index plus one. */
	remove_dir(ctx, "proc/4242/task/4251");
	ck_assert_int_eq(rtvm_vm_refresh(vm, &changed), 0);
	ck_assert(changed);
	ck_assert_uint_eq(rtvm_vm_get_nr_vcpus(vm), 3);
	ck_assert_int_eq(rtvm_vm_get_vcpu_tid(vm, 1), -ENOENT);
	ck_assert_int_eq(rtvm_vm_get_vcpu_tid(vm, 0), 4250);
	ck_assert_uint_eq(nr_threads(vm), 5);

	/* vCPU 2 goes too. */
	remove_dir(ctx, "proc/4242/task/4254");
	ck_assert_int_eq(rtvm_vm_refresh(vm, &changed), 0);
	ck_assert(changed);
	ck_assert_uint_eq(rtvm_vm_get_nr_vcpus(vm), 1);
	ck_assert_int_eq(rtvm_vm_get_vcpu_tid(vm, 2), -ENOENT);

	/* A renamed thread changes the set too (OTHER -> IOTHREAD). */
	add_thread(ctx, 4242, 4253, "IO iothread1");
	ck_assert_int_eq(rtvm_vm_refresh(vm, &changed), 0);
	ck_assert(changed);
	t = vm_thread(vm, 4253);
	ck_assert_int_eq(rtvm_vm_thread_get_role(t), RTVM_VM_ROLE_IOTHREAD);
	ck_assert_str_eq(rtvm_vm_thread_get_name(t), "iothread1");

	/* The process is gone: the VM stays as it was. */
	remove_dir(ctx, "proc/4242");
	changed = true;
	ck_assert_int_eq(rtvm_vm_refresh(vm, &changed), -ESRCH);
	ck_assert(changed);
	ck_assert_uint_eq(rtvm_vm_get_nr_vcpus(vm), 1);
	ck_assert_int_eq(rtvm_vm_get_vcpu_tid(vm, 0), 4250);
	ck_assert_uint_eq(nr_threads(vm), 4);
	ck_assert_str_eq(rtvm_vm_thread_get_name(vm_thread(vm, 4253)),
			 "iothread1");
	ck_assert_str_eq(rtvm_vm_get_vmm(vm), "qemu");

	rtvm_vm_unref(vm);
	rtvm_unref(ctx);
}
END_TEST

START_TEST(test_refresh_no_vcpus_left)
{
	struct rtvm_ctx *ctx = tu_ctx("host64");
	struct rtvm_vm *vm = vm_new(ctx, 4242);
	bool changed = false;

	/* A VM shutting down: no vCPU threads, still a QEMU. */
	remove_dir(ctx, "proc/4242/task/4250");
	remove_dir(ctx, "proc/4242/task/4251");
	ck_assert_int_eq(rtvm_vm_refresh(vm, &changed), 0);
	ck_assert(changed);
	ck_assert_uint_eq(rtvm_vm_get_nr_vcpus(vm), 0);
	ck_assert_int_eq(rtvm_vm_get_vcpu_tid(vm, 0), -ENOENT);
	ck_assert_str_eq(rtvm_vm_get_vmm(vm), "qemu");
	ck_assert_int_eq(rtvm_vm_thread_get_role(vm_thread(vm, 4252)),
			 RTVM_VM_ROLE_IOTHREAD);
	/* A new VM from the same process is no longer recognized. */
	{
		struct rtvm_vm *other;

		ck_assert_int_eq(rtvm_vm_new_from_pid(ctx, 4242, &other),
				 -ENOENT);
	}
	rtvm_vm_unref(vm);
	rtvm_unref(ctx);
}
END_TEST

START_TEST(test_strict_names)
{
	struct rtvm_ctx *ctx = tu_ctx("host64");
	static const char *const bad[] = {
		"CPU 3/KVMx", "CPU x/KVM", "CPU -1/KVM", "CPU 01/KVM",
		"CPU /KVM", "CPU 3/kvm", "xCPU 3/KVM", "CPU 3 /KVM",
		"CPU +3/KVM", "IO ", "IO", "vcpu4", "fc_vcpu 5",
		"CPU 99999/KVM",
	};
	struct rtvm_vm *vm;
	const struct rtvm_vm_thread *t;
	pid_t tid = 4300;

	for (size_t i = 0; i < ARRAY_SIZE(bad); i++)
		add_thread(ctx, 4242, tid++, bad[i]);
	add_thread(ctx, 4242, tid, "CPU 7/TCG");
	vm = vm_new(ctx, 4242);
	ck_assert_str_eq(rtvm_vm_get_vmm(vm), "qemu");
	ck_assert_uint_eq(rtvm_vm_get_nr_vcpus(vm), 8);
	ck_assert_int_eq(rtvm_vm_get_vcpu_tid(vm, 7), tid);
	for (int i = 2; i < 7; i++)
		ck_assert_int_eq(rtvm_vm_get_vcpu_tid(vm, (unsigned int)i),
				 -ENOENT);
	for (tid = 4300; tid < 4300 + (pid_t)ARRAY_SIZE(bad); tid++) {
		t = vm_thread(vm, tid);
		ck_assert_msg(rtvm_vm_thread_get_role(t) == RTVM_VM_ROLE_OTHER,
			      "\"%s\" is not OTHER",
			      rtvm_vm_thread_get_name(t));
		ck_assert_int_eq(rtvm_vm_thread_get_index(t), -ENOENT);
	}
	rtvm_vm_unref(vm);
	rtvm_unref(ctx);
}
END_TEST

/* The role comes from the raw name: one with a newline in it is no vCPU,
 * whatever a tool prints for it. */
START_TEST(test_control_chars)
{
	struct rtvm_ctx *ctx = tu_ctx("host64");
	struct rtvm_vm *vm;
	const struct rtvm_vm_thread *t;

	add_thread(ctx, 4242, 4251, "CPU 1/KVM\nx");
	add_thread(ctx, 4242, 4260, "CPU 2/KVM\xff");
	vm = vm_new(ctx, 4242);
	ck_assert_uint_eq(rtvm_vm_get_nr_vcpus(vm), 1);
	ck_assert_int_eq(rtvm_vm_get_vcpu_tid(vm, 0), 4250);
	ck_assert_int_eq(rtvm_vm_get_vcpu_tid(vm, 1), -ENOENT);
	t = vm_thread(vm, 4250);
	ck_assert_int_eq(rtvm_vm_thread_get_role(t), RTVM_VM_ROLE_VCPU);
	ck_assert_int_eq(rtvm_vm_thread_get_index(t), 0);
	ck_assert_str_eq(rtvm_vm_thread_get_name(t), "CPU 0/KVM");
	t = vm_thread(vm, 4251);
	ck_assert_int_eq(rtvm_vm_thread_get_role(t), RTVM_VM_ROLE_OTHER);
	ck_assert_int_eq(rtvm_vm_thread_get_index(t), -ENOENT);
	ck_assert_str_eq(rtvm_vm_thread_get_name(t), "CPU 1/KVM\nx");
	t = vm_thread(vm, 4260);
	ck_assert_int_eq(rtvm_vm_thread_get_role(t), RTVM_VM_ROLE_OTHER);
	ck_assert_str_eq(rtvm_vm_thread_get_name(t), "CPU 2/KVM\xff");
	rtvm_vm_unref(vm);
	rtvm_unref(ctx);
}
END_TEST

START_TEST(test_vcpu_collision)
{
	struct rtvm_ctx *ctx = tu_ctx("host64");
	struct rtvm_vm *vm;
	const struct rtvm_vm_thread *t;

	/* A higher tid and a lower tid both claim vCPUs 0 and 1. */
	add_thread(ctx, 4242, 4260, "CPU 0/KVM");
	add_thread(ctx, 4242, 4249, "CPU 1/KVM");
	vm = vm_new(ctx, 4242);
	ck_assert_uint_eq(rtvm_vm_get_nr_vcpus(vm), 2);
	ck_assert_int_eq(rtvm_vm_get_vcpu_tid(vm, 0), 4250);
	ck_assert_int_eq(rtvm_vm_get_vcpu_tid(vm, 1), 4249);
	t = vm_thread(vm, 4260);
	ck_assert_int_eq(rtvm_vm_thread_get_role(t), RTVM_VM_ROLE_OTHER);
	ck_assert_int_eq(rtvm_vm_thread_get_index(t), -ENOENT);
	t = vm_thread(vm, 4251);
	ck_assert_int_eq(rtvm_vm_thread_get_role(t), RTVM_VM_ROLE_OTHER);
	t = vm_thread(vm, 4249);
	ck_assert_int_eq(rtvm_vm_thread_get_role(t), RTVM_VM_ROLE_VCPU);
	ck_assert_int_eq(rtvm_vm_thread_get_index(t), 1);
	rtvm_vm_unref(vm);
	rtvm_unref(ctx);
}
END_TEST

START_TEST(test_firecracker)
{
	struct rtvm_ctx *ctx = tu_ctx("host64");
	struct rtvm_vm *vm;
	const struct rtvm_vm_thread *t;

	add_thread(ctx, 6000, 6000, "firecracker");
	add_thread(ctx, 6000, 6001, "fc_api");
	add_thread(ctx, 6000, 6003, "fc_vcpu 1");
	add_thread(ctx, 6000, 6002, "fc_vcpu 0");
	/* Names of other VMMs mean nothing here. */
	add_thread(ctx, 6000, 6004, "CPU 2/KVM");
	vm = vm_new(ctx, 6000);
	ck_assert_str_eq(rtvm_vm_get_vmm(vm), "firecracker");
	ck_assert_uint_eq(rtvm_vm_get_nr_vcpus(vm), 2);
	ck_assert_int_eq(rtvm_vm_get_vcpu_tid(vm, 0), 6002);
	ck_assert_int_eq(rtvm_vm_get_vcpu_tid(vm, 1), 6003);
	ck_assert_int_eq(rtvm_vm_get_vcpu_tid(vm, 2), -ENOENT);
	ck_assert_uint_eq(nr_threads(vm), 5);
	t = vm_thread(vm, 6000);
	ck_assert_int_eq(rtvm_vm_thread_get_role(t), RTVM_VM_ROLE_EMULATOR);
	ck_assert_str_eq(rtvm_vm_thread_get_name(t), "firecracker");
	t = vm_thread(vm, 6001);
	ck_assert_int_eq(rtvm_vm_thread_get_role(t), RTVM_VM_ROLE_OTHER);
	ck_assert_str_eq(rtvm_vm_thread_get_name(t), "fc_api");
	t = vm_thread(vm, 6003);
	ck_assert_int_eq(rtvm_vm_thread_get_role(t), RTVM_VM_ROLE_VCPU);
	ck_assert_int_eq(rtvm_vm_thread_get_index(t), 1);
	ck_assert_str_eq(rtvm_vm_thread_get_name(t), "fc_vcpu 1");
	t = vm_thread(vm, 6004);
	ck_assert_int_eq(rtvm_vm_thread_get_role(t), RTVM_VM_ROLE_OTHER);
	rtvm_vm_unref(vm);
	rtvm_unref(ctx);
}
END_TEST

START_TEST(test_cloud_hypervisor)
{
	struct rtvm_ctx *ctx = tu_ctx("host64");
	struct rtvm_vm *vm;
	const struct rtvm_vm_thread *t;
	pid_t prev = 0;
	unsigned int n = 0;

	add_thread(ctx, 7000, 7000, "cloud-hypervisor");
	add_thread(ctx, 7000, 7001, "http-server");
	for (int i = 0; i < 4; i++) {
		char name[16];

		snprintf(name, sizeof(name), "vcpu%d", i);
		add_thread(ctx, 7000, 7010 + i, name);
	}
	vm = vm_new(ctx, 7000);
	ck_assert_str_eq(rtvm_vm_get_vmm(vm), "cloud-hypervisor");
	ck_assert_uint_eq(rtvm_vm_get_nr_vcpus(vm), 4);
	for (unsigned int i = 0; i < 4; i++)
		ck_assert_int_eq(rtvm_vm_get_vcpu_tid(vm, i), 7010 + (int)i);
	rtvm_vm_foreach_thread(t, vm) {
		ck_assert_int_gt(rtvm_vm_thread_get_tid(t), prev);
		prev = rtvm_vm_thread_get_tid(t);
		n++;
	}
	ck_assert_uint_eq(n, 6);
	ck_assert_int_eq(rtvm_vm_thread_get_role(vm_thread(vm, 7000)),
			 RTVM_VM_ROLE_EMULATOR);
	ck_assert_int_eq(rtvm_vm_thread_get_role(vm_thread(vm, 7001)),
			 RTVM_VM_ROLE_OTHER);
	ck_assert_int_eq(rtvm_vm_thread_get_index(vm_thread(vm, 7013)), 3);
	rtvm_vm_unref(vm);
	rtvm_unref(ctx);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("vm");
	TCase *tc = tcase_create("vm");

	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, test_host64_qemu);
	tcase_add_test(tc, test_v2host_qemu);
	tcase_add_test(tc, test_errors);
	tcase_add_test(tc, test_refresh);
	tcase_add_test(tc, test_refresh_no_vcpus_left);
	tcase_add_test(tc, test_strict_names);
	tcase_add_test(tc, test_control_chars);
	tcase_add_test(tc, test_vcpu_collision);
	tcase_add_test(tc, test_firecracker);
	tcase_add_test(tc, test_cloud_hypervisor);
	suite_add_tcase(s, tc);
	return tu_run(s);
}
