/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * A minimal VMM for live tests, the demo and benchmarks: one KVM VM with
 * 64 KiB of memory and N real-mode vCPUs that loop
 *
 *	l: out 0x10, al; inc ax; jmp l
 *
 * so that every iteration exits to userspace (KVM_EXIT_IO on port 0x10).
 * Each vCPU runs on its own thread named "CPU N/KVM", as QEMU names them,
 * so librtvm's VM discovery finds them.  No globals, no signals, never
 * prints: functions return 0 or -errno.
 */
#ifndef RTVM_MICROVM_H
#define RTVM_MICROVM_H

#include <stdint.h>
#include <sys/types.h>

/* The I/O port the guest writes to on every loop iteration. */
#define MICROVM_PORT 0x10
/* Guest physical address of the code; the guest memory is 64 KiB at 0. */
#define MICROVM_CODE_GPA 0x1000
#define MICROVM_MAX_VCPUS 64

struct microvm;

/* Open /dev/kvm, create the VM, its memory and @nr_vcpus vCPUs (1 ..
 * MICROVM_MAX_VCPUS) ready to run the guest loop.  Returns 0, or -EINVAL,
 * -ENOENT/-EACCES (no /dev/kvm), -ENOSYS (unexpected KVM API version),
 * -ENOMEM or the -errno of a failed KVM ioctl. */
int microvm_open(unsigned int nr_vcpus, struct microvm **ret);

/* Start one thread per vCPU ("CPU N/KVM") that runs KVM_RUN in a loop and
 * counts the exits on MICROVM_PORT.  Returns once every thread is named and
 * its tid known.  Returns 0, or -EINVAL (NULL, already started), -errno of
 * pthread_create (the threads already started are stopped). */
int microvm_start(struct microvm *vm);

unsigned int microvm_nr_vcpus(const struct microvm *vm);

/* PIO exits on MICROVM_PORT of one vCPU so far (0 for a bad index). */
uint64_t microvm_exits(const struct microvm *vm, unsigned int vcpu);

/* The thread id of a started vCPU, or -EINVAL (bad index), -ESRCH (not
 * started). */
pid_t microvm_vcpu_tid(const struct microvm *vm, unsigned int vcpu);

/* Why a vCPU's thread stopped on its own: 0 (it did not), -errno of a
 * failed KVM_RUN, or -EIO for an unexpected exit (KVM_EXIT_HLT, _SHUTDOWN,
 * _FAIL_ENTRY, _INTERNAL_ERROR, I/O elsewhere, ...), whose KVM exit reason
 * is stored in @ret_exit_reason (may be NULL; 0 otherwise). */
int microvm_error(const struct microvm *vm, unsigned int vcpu,
		  uint32_t *ret_exit_reason);

/* Ask every vCPU thread to stop after its next exit and join them.  The
 * counters stay readable; the VM can be started again. */
void microvm_stop(struct microvm *vm);

/* Stop, then release every fd, mapping and the VM itself.  NULL is fine. */
void microvm_close(struct microvm *vm);

#endif
