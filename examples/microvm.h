/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * A minimal VMM for live tests, rtvm-demo and benchmarks: one KVM VM with
 * 64 KiB of memory and N real-mode vCPUs running one of three guests:
 *
 *  loop	l: out 0x10, al; inc ax; jmp l
 *		every iteration exits to userspace (KVM_EXIT_IO, port 0x10).
 *  wait	l: out 0x12, al; mov ax, [si]; out 0x11, ax; jmp l
 *		the guest "halts" on port 0x12; the vCPU thread sleeps until
 *		the next periodic event is due, writes its sequence number
 *		to the vCPU's event word [si] and enters the guest, which
 *		reads it and answers on port 0x11.  Every sample is: host
 *		timer wake-up of the vCPU thread, VM entry, guest code, VM
 *		exit -- what KVM does for a halted guest's timer interrupt.
 *  poll	mov bx, [si]; l: mov ax, [si]; cmp ax, bx; je l;
 *		mov bx, ax; out 0x11, ax; jmp l
 *		the guest spins on its event word; a timer thread of the
 *		VMM ("microvm-timer") writes the next sequence number when
 *		the event is due; the guest answers on port 0x11.
 *  cosched	(stand-in only) a guest with real-time and other work:
 *		it answers each periodic event as soon as it sees it,
 *		then does work_pct % of a period's worth of CPU work of its
 *		own (microvm_work_unit() at a time, looking for the next
 *		event between units, as an interrupt would come) and halts
 *		when that is done; work it could not do carries over (up
 *		to two periods' worth).  After each answer it calls
 *		on_answer, on the vCPU thread, as guest code would.
 *
 * A sample's latency runs from the event's due time to the moment the vCPU
 * thread sees the guest's answer (the KVM_RUN return of the port 0x11
 * exit), so it always includes guest code run by a scheduled vCPU.
 * Each vCPU runs on its own thread named "CPU N/KVM", as QEMU names them,
 * so librtvm's VM discovery finds them.  No globals, no signals, never
 * prints: functions return 0 or -errno.
 *
 * Where /dev/kvm is missing, MICROVM_BACKEND_THREAD runs the same three
 * guest programs as plain C code on the same threads ("stand-in vCPUs"):
 * named, scheduled and sampled exactly alike, with the same event words
 * and answers, but without a VM -- no VM entries or exits, so a sample
 * lacks the entry/exit cost and the exits counted are the guest's
 * answers (loop: iterations), not KVM's.
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
/* The guest's answer to an event (wait, poll) and its "halt" (wait). */
#define MICROVM_PORT_ANSWER 0x11
#define MICROVM_PORT_WAIT 0x12
/* Guest physical address of vCPU i's event word: EVENT_GPA + 2 * i. */
#define MICROVM_EVENT_GPA 0x3000

enum microvm_backend {
	MICROVM_BACKEND_KVM = 0,	/* a KVM VM (needs /dev/kvm) */
	MICROVM_BACKEND_THREAD,		/* stand-in vCPU threads, no VM */
};

enum microvm_guest {
	MICROVM_GUEST_LOOP = 0,
	MICROVM_GUEST_WAIT,
	MICROVM_GUEST_POLL,
	MICROVM_GUEST_COSCHED,	/* MICROVM_BACKEND_THREAD only */
};

struct microvm_opts {
	unsigned int nr_vcpus;	/* 1 .. MICROVM_MAX_VCPUS */
	int guest;		/* enum microvm_guest */
	uint64_t period_ns;	/* wait, poll: event period (>= 10 us) */
	size_t max_samples;	/* wait, poll: samples kept per vCPU; more
				 * are counted as dropped */
	int timer_cpu;		/* poll: pin the timer thread there, -1: no */
	int timer_prio;		/* poll: SCHED_FIFO priority of the timer
				 * thread (it stands for the hardware timer),
				 * 0: leave it SCHED_OTHER */
	int backend;		/* enum microvm_backend */
	unsigned int work_pct;	/* cosched: CPU work per period, 1..99 % */
	/* cosched: called on the vCPU thread after each answer, with the
	 * time the next event is due (CLOCK_MONOTONIC) */
	void (*on_answer)(void *data, unsigned int vcpu, uint64_t next_due_ns);
	void *data;
};

/* One unit of CPU work (a fixed loop): the cosched guest's, and what a
 * host hog counts, so that their throughput compares. */
void microvm_work_unit(void);

/* One answered event. */
struct microvm_sample {
	uint64_t due_ns;	/* CLOCK_MONOTONIC time the event was due */
	uint32_t latency_ns;	/* due to answer seen (saturates) */
};

struct microvm;

/* Open /dev/kvm, create the VM, its memory and @nr_vcpus vCPUs (1 ..
 * MICROVM_MAX_VCPUS) ready to run the guest loop.  Returns 0, or -EINVAL,
 * -ENOENT/-EACCES (no /dev/kvm), -ENOSYS (unexpected KVM API version),
 * -ENOMEM or the -errno of a failed KVM ioctl.  (The thread backend opens
 * nothing and fails only with -EINVAL or -ENOMEM.) */
int microvm_open(unsigned int nr_vcpus, struct microvm **ret);

/* The same with a guest program and periodic events.  Returns as
 * microvm_open(), and -EINVAL for bad @opts. */
int microvm_open_opts(const struct microvm_opts *opts, struct microvm **ret);

/* Start one thread per vCPU ("CPU N/KVM") that runs KVM_RUN in a loop and
 * counts the exits on MICROVM_PORT.  Returns once every thread is named and
 * its tid known.  Returns 0, or -EINVAL (NULL, already started), -errno of
 * pthread_create (the threads already started are stopped). */
int microvm_start(struct microvm *vm);

unsigned int microvm_nr_vcpus(const struct microvm *vm);

/* The samples of one vCPU so far (wait, poll): *@ret points at the array,
 * the count is returned; entries below the count never change, so they
 * may be read while the VM runs.  0 for a bad index. */
size_t microvm_samples(const struct microvm *vm, unsigned int vcpu,
		       const struct microvm_sample **ret);

/* Events the guest answered late enough that a later one had been raised
 * already (poll; each still has its sample), and samples not kept because
 * the buffer was full. */
uint64_t microvm_coalesced(const struct microvm *vm, unsigned int vcpu);
uint64_t microvm_dropped(const struct microvm *vm, unsigned int vcpu);

/* The poll guest's timer thread, or -ESRCH (not running, other guests). */
pid_t microvm_timer_tid(const struct microvm *vm);

/* PIO exits on MICROVM_PORT of one vCPU so far (0 for a bad index). */
uint64_t microvm_exits(const struct microvm *vm, unsigned int vcpu);

/* cosched: units of the guest's own work done so far. */
uint64_t microvm_work_units(const struct microvm *vm, unsigned int vcpu);

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
