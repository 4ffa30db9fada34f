/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* A minimal VMM: see microvm.h. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/kvm.h>
#include <pthread.h>
#include <semaphore.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "microvm.h"

#define MEM_SIZE (64u * 1024u)

/* l: out 0x10, al (E6 10); inc ax (40); jmp short l (EB FB) */
static const uint8_t guest_code[] = { 0xe6, MICROVM_PORT, 0x40, 0xeb, 0xfb };

struct vcpu {
	struct microvm *vm;
	unsigned int index;
	int fd;
	struct kvm_run *run;
	pthread_t thread;
	bool running;		   /* thread started, not joined */
	_Atomic pid_t tid;
	_Atomic uint64_t exits;
	_Atomic int error;
	_Atomic uint32_t exit_reason;
};

struct microvm {
	int kvm, vm;
	void *mem;
	size_t run_size;
	unsigned int nr_vcpus;
	atomic_bool stop;
	sem_t ready;		   /* posted by each thread once named */
	struct vcpu vcpu[];
};

static int kvm_err(void)
{
	return errno ? -errno : -EIO;
}

static int setup_vcpu(struct microvm *vm, struct vcpu *v)
{
	struct kvm_sregs sregs;
	struct kvm_regs regs;

	v->fd = ioctl(vm->vm, KVM_CREATE_VCPU, (unsigned long)v->index);
	if (v->fd < 0)
		return kvm_err();
	v->run = mmap(NULL, vm->run_size, PROT_READ | PROT_WRITE, MAP_SHARED,
		      v->fd, 0);
	if (v->run == MAP_FAILED) {
		v->run = NULL;
		return kvm_err();
	}
	if (ioctl(v->fd, KVM_GET_SREGS, &sregs) < 0)
		return kvm_err();
	/* Real mode, CS:IP = 0000:1000 */
	sregs.cs.base = 0;
	sregs.cs.selector = 0;
	if (ioctl(v->fd, KVM_SET_SREGS, &sregs) < 0)
		return kvm_err();
	memset(&regs, 0, sizeof(regs));
	regs.rip = MICROVM_CODE_GPA;
	regs.rflags = 0x2;
	regs.rax = v->index << 8;  /* ah tells the vCPUs apart */
	if (ioctl(v->fd, KVM_SET_REGS, &regs) < 0)
		return kvm_err();
	return 0;
}

int microvm_open(unsigned int nr_vcpus, struct microvm **ret)
{
	struct kvm_userspace_memory_region region;
	struct microvm *vm;
	int r, size;

	if (!ret || nr_vcpus == 0 || nr_vcpus > MICROVM_MAX_VCPUS)
		return -EINVAL;
	vm = calloc(1, sizeof(*vm) + nr_vcpus * sizeof(vm->vcpu[0]));
	if (!vm)
		return -ENOMEM;
	vm->kvm = -1;
	vm->vm = -1;
	vm->mem = MAP_FAILED;
	vm->nr_vcpus = nr_vcpus;
	atomic_init(&vm->stop, false);
	for (unsigned int i = 0; i < nr_vcpus; i++) {
		vm->vcpu[i].vm = vm;
		vm->vcpu[i].index = i;
		vm->vcpu[i].fd = -1;
		atomic_init(&vm->vcpu[i].tid, 0);
		atomic_init(&vm->vcpu[i].exits, 0);
		atomic_init(&vm->vcpu[i].error, 0);
		atomic_init(&vm->vcpu[i].exit_reason, 0);
	}
	if (sem_init(&vm->ready, 0, 0) < 0) {
		r = -errno;
		free(vm);
		return r;
	}
	vm->kvm = open("/dev/kvm", O_RDWR | O_CLOEXEC);
	if (vm->kvm < 0) {
		r = -errno;
		goto fail;
	}
	errno = 0;
	if (ioctl(vm->kvm, KVM_GET_API_VERSION, 0) != KVM_API_VERSION) {
		r = -ENOSYS;
		goto fail;
	}
	size = ioctl(vm->kvm, KVM_GET_VCPU_MMAP_SIZE, 0);
	if (size < (int)sizeof(struct kvm_run)) {
		r = size < 0 ? kvm_err() : -ENOSYS;
		goto fail;
	}
	vm->run_size = (size_t)size;
	vm->vm = ioctl(vm->kvm, KVM_CREATE_VM, 0UL);
	if (vm->vm < 0) {
		r = kvm_err();
		goto fail;
	}
	vm->mem = mmap(NULL, MEM_SIZE, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (vm->mem == MAP_FAILED) {
		r = -errno;
		goto fail;
	}
	memcpy((uint8_t *)vm->mem + MICROVM_CODE_GPA, guest_code,
	       sizeof(guest_code));
	region = (struct kvm_userspace_memory_region){
		.slot = 0,
		.guest_phys_addr = 0,
		.memory_size = MEM_SIZE,
		.userspace_addr = (uintptr_t)vm->mem,
	};
	if (ioctl(vm->vm, KVM_SET_USER_MEMORY_REGION, &region) < 0) {
		r = kvm_err();
		goto fail;
	}
	for (unsigned int i = 0; i < nr_vcpus; i++) {
		r = setup_vcpu(vm, &vm->vcpu[i]);
		if (r < 0)
			goto fail;
	}
	*ret = vm;
	return 0;
fail:
	microvm_close(vm);
	return r;
}

static void fail_vcpu(struct vcpu *v, int error, uint32_t reason)
{
	atomic_store(&v->exit_reason, reason);
	atomic_store(&v->error, error);
}

static void *vcpu_thread(void *arg)
{
	struct vcpu *v = arg;
	struct microvm *vm = v->vm;
	struct kvm_run *run = v->run;
	char name[16];

	snprintf(name, sizeof(name), "CPU %u/KVM", v->index);
	/* Named before the tid is published: discovery never sees it
	 * unnamed. */
	pthread_setname_np(pthread_self(), name);
	atomic_store(&v->tid, (pid_t)syscall(SYS_gettid));
	sem_post(&vm->ready);

	while (!atomic_load_explicit(&vm->stop, memory_order_relaxed)) {
		if (ioctl(v->fd, KVM_RUN, 0) < 0) {
			if (errno == EINTR || errno == EAGAIN)
				continue;
			fail_vcpu(v, -errno, 0);
			break;
		}
		if (run->exit_reason == KVM_EXIT_IO &&
		    run->io.port == MICROVM_PORT &&
		    run->io.direction == KVM_EXIT_IO_OUT) {
			atomic_fetch_add_explicit(&v->exits, 1,
						  memory_order_relaxed);
			continue;
		}
		if (run->exit_reason == KVM_EXIT_INTR)
			continue;
		/* KVM_EXIT_HLT, _SHUTDOWN, _FAIL_ENTRY, _INTERNAL_ERROR, or
		 * anything else the guest loop never causes. */
		fail_vcpu(v, -EIO, run->exit_reason);
		break;
	}
	return NULL;
}

int microvm_start(struct microvm *vm)
{
	unsigned int started = 0;
	int r = 0;

	if (!vm)
		return -EINVAL;
	for (unsigned int i = 0; i < vm->nr_vcpus; i++)
		if (vm->vcpu[i].running)
			return -EINVAL;
	atomic_store(&vm->stop, false);
	for (unsigned int i = 0; i < vm->nr_vcpus; i++) {
		struct vcpu *v = &vm->vcpu[i];

		atomic_store(&v->tid, 0);
		r = -pthread_create(&v->thread, NULL, vcpu_thread, v);
		if (r < 0)
			break;
		v->running = true;
		started++;
	}
	for (unsigned int i = 0; i < started; i++)
		while (sem_wait(&vm->ready) < 0)
			; /* EINTR */
	if (r < 0)
		microvm_stop(vm);
	return r;
}

unsigned int microvm_nr_vcpus(const struct microvm *vm)
{
	return vm ? vm->nr_vcpus : 0;
}

uint64_t microvm_exits(const struct microvm *vm, unsigned int vcpu)
{
	if (!vm || vcpu >= vm->nr_vcpus)
		return 0;
	return atomic_load(&vm->vcpu[vcpu].exits);
}

pid_t microvm_vcpu_tid(const struct microvm *vm, unsigned int vcpu)
{
	pid_t tid;

	if (!vm || vcpu >= vm->nr_vcpus)
		return -EINVAL;
	tid = atomic_load(&vm->vcpu[vcpu].tid);
	return tid > 0 ? tid : -ESRCH;
}

int microvm_error(const struct microvm *vm, unsigned int vcpu,
		  uint32_t *ret_exit_reason)
{
	const struct vcpu *v;
	int error;

	if (!vm || vcpu >= vm->nr_vcpus)
		return -EINVAL;
	v = &vm->vcpu[vcpu];
	error = atomic_load(&v->error);
	if (ret_exit_reason)
		*ret_exit_reason = error ? atomic_load(&v->exit_reason) : 0;
	return error;
}

void microvm_stop(struct microvm *vm)
{
	if (!vm)
		return;
	/* The guest exits on every loop iteration, so each thread sees the
	 * flag within microseconds of its next exit. */
	atomic_store(&vm->stop, true);
	for (unsigned int i = 0; i < vm->nr_vcpus; i++) {
		struct vcpu *v = &vm->vcpu[i];

		if (!v->running)
			continue;
		pthread_join(v->thread, NULL);
		v->running = false;
		atomic_store(&v->tid, 0);
	}
}

void microvm_close(struct microvm *vm)
{
	if (!vm)
		return;
	microvm_stop(vm);
	for (unsigned int i = 0; i < vm->nr_vcpus; i++) {
		struct vcpu *v = &vm->vcpu[i];

		if (v->run)
			munmap(v->run, vm->run_size);
		if (v->fd >= 0)
			close(v->fd);
	}
	if (vm->vm >= 0)
		close(vm->vm);
	if (vm->mem != MAP_FAILED)
		munmap(vm->mem, MEM_SIZE);
	if (vm->kvm >= 0)
		close(vm->kvm);
	sem_destroy(&vm->ready);
	free(vm);
}
