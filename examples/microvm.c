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
#include <sched.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "microvm.h"

#define MEM_SIZE (64u * 1024u)

/* l: out 0x10, al (E6 10); inc ax (40); jmp short l (EB FB) */
static const uint8_t guest_loop[] = { 0xe6, MICROVM_PORT, 0x40, 0xeb, 0xfb };

/* 0: l: out 0x12, al		E6 12
 * 2:    mov ax, [si]		8B 04
 * 4:    out 0x11, ax		E7 11
 * 6:    jmp short l		EB F8 */
static const uint8_t guest_wait[] = {
	0xe6, MICROVM_PORT_WAIT, 0x8b, 0x04, 0xe7, MICROVM_PORT_ANSWER,
	0xeb, 0xf8,
};

/*  0:    mov bx, [si]		8B 1C
 *  2: l: mov ax, [si]		8B 04
 *  4:    cmp ax, bx		39 D8
 *  6:    je l			74 FA
 *  8:    mov bx, ax		89 C3
 * 10:    out 0x11, ax		E7 11
 * 12:    jmp short l		EB F4 */
static const uint8_t guest_poll[] = {
	0x8b, 0x1c, 0x8b, 0x04, 0x39, 0xd8, 0x74, 0xfa, 0x89, 0xc3,
	0xe7, MICROVM_PORT_ANSWER, 0xeb, 0xf4,
};

/* Due times of the poll guest's recent events, by sequence number. */
#define DUE_RING 4096u

struct vcpu {
	struct microvm *vm;
	unsigned int index;
	int fd;
	struct kvm_run *run;
	pthread_t thread;
	bool running;		   /* thread started, not joined */
	_Atomic pid_t tid;
	_Atomic uint64_t exits;
	_Atomic uint64_t units;	   /* cosched: work done */
	_Atomic int error;
	_Atomic uint32_t exit_reason;
	/* events (wait, poll) */
	struct microvm_sample *samples;
	_Atomic size_t nr_samples;
	_Atomic uint64_t coalesced, dropped;
	uint16_t seq;		   /* wait: the last event raised */
	uint64_t due;		   /* wait: when it was due */
	bool pending;		   /* wait: raised, not answered yet */
	uint16_t answered;	   /* poll: the last sequence answered */
};

struct microvm {
	int kvm, vm;
	void *mem;
	size_t run_size;
	unsigned int nr_vcpus;
	struct microvm_opts opts;
	atomic_bool stop;
	sem_t ready;		   /* posted by each thread once named */
	/* the poll guest's timer */
	pthread_t timer;
	bool timer_running;
	atomic_bool timer_stop;
	_Atomic pid_t timer_tid;
	_Atomic uint16_t seq;	   /* the last event raised */
	_Atomic uint64_t due[DUE_RING];
	struct vcpu vcpu[];
};

static int kvm_err(void)
{
	return errno ? -errno : -EIO;
}

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static void sleep_until(uint64_t t)
{
	struct timespec ts = { (time_t)(t / 1000000000u),
			       (long)(t % 1000000000u) };

	while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL) ==
	       EINTR)
		;
}

/* The event word of a vCPU in guest memory; host and guest both access it
 * as one aligned 16-bit word. */
static _Atomic uint16_t *event_word(struct microvm *vm, unsigned int i)
{
	return (_Atomic uint16_t *)((uint8_t *)vm->mem + MICROVM_EVENT_GPA +
				    2 * i);
}

static uint16_t code_gpa(int guest)
{
	return guest == MICROVM_GUEST_LOOP ? MICROVM_CODE_GPA :
	       guest == MICROVM_GUEST_WAIT ? MICROVM_CODE_GPA + 0x100 :
					     MICROVM_CODE_GPA + 0x200;
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
	regs.rip = code_gpa(vm->opts.guest);
	regs.rflags = 0x2;
	regs.rax = v->index << 8;  /* ah tells the vCPUs apart */
	regs.rsi = MICROVM_EVENT_GPA + 2 * v->index;
	if (ioctl(v->fd, KVM_SET_REGS, &regs) < 0)
		return kvm_err();
	return 0;
}

int microvm_open(unsigned int nr_vcpus, struct microvm **ret)
{
	struct microvm_opts o = { .nr_vcpus = nr_vcpus,
				  .guest = MICROVM_GUEST_LOOP,
				  .timer_cpu = -1 };

	return microvm_open_opts(&o, ret);
}

int microvm_open_opts(const struct microvm_opts *opts, struct microvm **ret)
{
	struct kvm_userspace_memory_region region;
	unsigned int nr_vcpus;
	struct microvm *vm;
	int r, size;

	if (!ret || !opts)
		return -EINVAL;
	nr_vcpus = opts->nr_vcpus;
	if (nr_vcpus == 0 || nr_vcpus > MICROVM_MAX_VCPUS)
		return -EINVAL;
	if (opts->guest != MICROVM_GUEST_LOOP &&
	    opts->guest != MICROVM_GUEST_WAIT &&
	    opts->guest != MICROVM_GUEST_POLL &&
	    opts->guest != MICROVM_GUEST_COSCHED)
		return -EINVAL;
	/* The cosched guest has no real-mode program: the stand-in's. */
	if (opts->guest == MICROVM_GUEST_COSCHED &&
	    (opts->backend != MICROVM_BACKEND_THREAD || opts->work_pct < 1 ||
	     opts->work_pct > 99))
		return -EINVAL;
	if (opts->backend != MICROVM_BACKEND_KVM &&
	    opts->backend != MICROVM_BACKEND_THREAD)
		return -EINVAL;
	if (opts->guest != MICROVM_GUEST_LOOP &&
	    (opts->period_ns < 10000 || opts->period_ns > 10000000000ull ||
	     opts->max_samples == 0 || opts->timer_prio < 0 ||
	     opts->timer_prio > 99 || opts->timer_cpu >= CPU_SETSIZE))
		return -EINVAL;
	vm = calloc(1, sizeof(*vm) + nr_vcpus * sizeof(vm->vcpu[0]));
	if (!vm)
		return -ENOMEM;
	vm->kvm = -1;
	vm->vm = -1;
	vm->mem = MAP_FAILED;
	vm->nr_vcpus = nr_vcpus;
	vm->opts = *opts;
	atomic_init(&vm->stop, false);
	atomic_init(&vm->timer_stop, false);
	atomic_init(&vm->timer_tid, 0);
	atomic_init(&vm->seq, 0);
	for (unsigned int i = 0; i < DUE_RING; i++)
		atomic_init(&vm->due[i], 0);
	for (unsigned int i = 0; i < nr_vcpus; i++) {
		vm->vcpu[i].vm = vm;
		vm->vcpu[i].index = i;
		vm->vcpu[i].fd = -1;
		atomic_init(&vm->vcpu[i].tid, 0);
		atomic_init(&vm->vcpu[i].exits, 0);
		atomic_init(&vm->vcpu[i].units, 0);
		atomic_init(&vm->vcpu[i].error, 0);
		atomic_init(&vm->vcpu[i].exit_reason, 0);
		atomic_init(&vm->vcpu[i].nr_samples, 0);
		atomic_init(&vm->vcpu[i].coalesced, 0);
		atomic_init(&vm->vcpu[i].dropped, 0);
	}
	if (opts->guest != MICROVM_GUEST_LOOP) {
		for (unsigned int i = 0; i < nr_vcpus; i++) {
			vm->vcpu[i].samples =
				calloc(opts->max_samples,
				       sizeof(struct microvm_sample));
			if (!vm->vcpu[i].samples) {
				for (unsigned int j = 0; j < i; j++)
					free(vm->vcpu[j].samples);
				free(vm);
				return -ENOMEM;
			}
		}
	}
	if (sem_init(&vm->ready, 0, 0) < 0) {
		r = -errno;
		free(vm);
		return r;
	}
	vm->mem = mmap(NULL, MEM_SIZE, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (vm->mem == MAP_FAILED) {
		r = -errno;
		goto fail;
	}
	memcpy((uint8_t *)vm->mem + code_gpa(MICROVM_GUEST_LOOP), guest_loop,
	       sizeof(guest_loop));
	memcpy((uint8_t *)vm->mem + code_gpa(MICROVM_GUEST_WAIT), guest_wait,
	       sizeof(guest_wait));
	memcpy((uint8_t *)vm->mem + code_gpa(MICROVM_GUEST_POLL), guest_poll,
	       sizeof(guest_poll));
	if (opts->backend == MICROVM_BACKEND_THREAD) {
		/* The stand-in uses the memory for its event words only. */
		*ret = vm;
		return 0;
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

static void add_sample(struct vcpu *v, uint64_t due, uint64_t now)
{
	size_t n = atomic_load_explicit(&v->nr_samples, memory_order_relaxed);
	uint64_t lat = now > due ? now - due : 0;

	if (n >= v->vm->opts.max_samples) {
		atomic_fetch_add_explicit(&v->dropped, 1,
					  memory_order_relaxed);
		return;
	}
	v->samples[n].due_ns = due;
	v->samples[n].latency_ns = lat > UINT32_MAX ? UINT32_MAX :
						      (uint32_t)lat;
	/* Published after the entry is written: readers see whole ones. */
	atomic_store_explicit(&v->nr_samples, n + 1, memory_order_release);
}

/* The wait guest halts: sleep until the next event is due, then hand it
 * to the guest (the thread enters the guest right after). */
static void raise_wait_event(struct vcpu *v)
{
	struct microvm *vm = v->vm;
	uint64_t period = vm->opts.period_ns, now = now_ns();

	if (v->pending)
		return; /* halted again without answering: same event */
	if (v->due == 0 || now > v->due + 1000 * period)
		/* first event, or stopped for long: start afresh (events
		 * missed while late are still counted below) */
		v->due = now + period;
	else
		/* Periodic, like a guest's timer: an event due while the
		 * last was late is due now and its latency counts. */
		v->due += period;
	sleep_until(v->due);
	v->seq++;
	atomic_store_explicit(event_word(vm, v->index), v->seq,
			      memory_order_release);
	v->pending = true;
}

static void answer(struct vcpu *v, uint16_t value, uint64_t now)
{
	struct microvm *vm = v->vm;

	if (vm->opts.guest == MICROVM_GUEST_WAIT) {
		if (!v->pending || value != v->seq)
			return;
		v->pending = false;
		add_sample(v, v->due, now);
		return;
	}
	/* poll: every event raised since the last answer is answered now
	 * (the guest saw only the newest); each gets its sample.  A value
	 * not ahead of the last answer (a restart) answers nothing. */
	if ((uint16_t)(value - v->answered) == 0 ||
	    (uint16_t)(value - v->answered) >= DUE_RING) {
		v->answered = value;
		return;
	}
	for (uint16_t s = v->answered + 1; s != (uint16_t)(value + 1); s++) {
		uint64_t due = atomic_load(&vm->due[s % DUE_RING]);

		if (s != value)
			atomic_fetch_add_explicit(&v->coalesced, 1,
						  memory_order_relaxed);
		if (due)
			add_sample(v, due, now);
	}
	v->answered = value;
}

static void *timer_thread(void *arg)
{
	struct microvm *vm = arg;
	uint64_t due;

	pthread_setname_np(pthread_self(), "microvm-timer");
	atomic_store(&vm->timer_tid, (pid_t)syscall(SYS_gettid));
	sem_post(&vm->ready);
	due = now_ns() + vm->opts.period_ns;
	while (!atomic_load_explicit(&vm->timer_stop, memory_order_relaxed)) {
		uint16_t seq;

		sleep_until(due);
		seq = (uint16_t)(atomic_load(&vm->seq) + 1);
		/* The due time first: the guest may answer at once. */
		atomic_store(&vm->due[seq % DUE_RING], due);
		atomic_store(&vm->seq, seq);
		for (unsigned int i = 0; i < vm->nr_vcpus; i++)
			atomic_store_explicit(event_word(vm, i), seq,
					      memory_order_release);
		due += vm->opts.period_ns;
		if (now_ns() > due + 1000 * vm->opts.period_ns)
			due = now_ns() + vm->opts.period_ns;
	}
	return NULL;
}

#if defined(__x86_64__) || defined(__i386__)
#define cpu_relax() __builtin_ia32_pause()
#else
#define cpu_relax() ((void)0)
#endif

void microvm_work_unit(void)
{
	volatile unsigned int x = 0;

	for (unsigned int i = 0; i < 1000; i++)
		x++;
}

static uint64_t thread_cpu_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* The cosched guest (see microvm.h): its backlog of work is CPU time, so
 * that it wants the same share of its CPU however fast the CPU is.  All
 * of the thread's CPU time counts, the answers and the clock reads too:
 * it wants work_pct % of the CPU, not more. */
static void cosched_run(struct vcpu *v)
{
	struct microvm *vm = v->vm;
	uint64_t period = vm->opts.period_ns;
	uint64_t work = period * vm->opts.work_pct / 100, backlog = 0;
	uint64_t due = now_ns() + period, mark = thread_cpu_ns();

	while (!atomic_load_explicit(&vm->stop, memory_order_relaxed)) {
		uint64_t now = now_ns(), cpu;

		if (now >= due) {
			atomic_fetch_add_explicit(&v->exits, 1,
						  memory_order_relaxed);
			add_sample(v, due, now);
			/* Periodic; after a long stop, start afresh. */
			due = now > due + 1000 * period ? now + period
							 : due + period;
			if (vm->opts.on_answer)
				vm->opts.on_answer(vm->opts.data, v->index,
						   due);
			backlog = backlog + work > 2 * period ? 2 * period
							       : backlog + work;
			continue;
		}
		if (!backlog) {
			sleep_until(due);	/* halt */
			continue;
		}
		microvm_work_unit();
		atomic_fetch_add_explicit(&v->units, 1, memory_order_relaxed);
		cpu = thread_cpu_ns();
		backlog = cpu - mark < backlog ? backlog - (cpu - mark) : 0;
		mark = cpu;
	}
}

/* The stand-in vCPU: the guest programs of microvm.h written in C and run
 * by the vCPU thread itself, where KVM would enter the guest.  The event
 * words, the waits and the answers are the same; what is missing is the
 * VM entry and exit around each answer. */
static void standin_run(struct vcpu *v)
{
	struct microvm *vm = v->vm;
	_Atomic uint16_t *ev = event_word(vm, v->index);
	uint16_t seen;

	switch (vm->opts.guest) {
	case MICROVM_GUEST_LOOP:	/* l: out 0x10; inc ax; jmp l */
		while (!atomic_load_explicit(&vm->stop, memory_order_relaxed))
			atomic_fetch_add_explicit(&v->exits, 1,
						  memory_order_relaxed);
		return;
	case MICROVM_GUEST_WAIT:	/* l: halt; answer [si]; jmp l */
		while (!atomic_load_explicit(&vm->stop, memory_order_relaxed)) {
			uint16_t value;

			raise_wait_event(v);
			value = atomic_load_explicit(ev, memory_order_acquire);
			atomic_fetch_add_explicit(&v->exits, 1,
						  memory_order_relaxed);
			answer(v, value, now_ns());
		}
		return;
	case MICROVM_GUEST_POLL:	/* spin until [si] changes; answer */
		seen = atomic_load_explicit(ev, memory_order_acquire);
		while (!atomic_load_explicit(&vm->stop, memory_order_relaxed)) {
			uint16_t value = atomic_load_explicit(
				ev, memory_order_acquire);

			if (value == seen) {
				cpu_relax();
				continue;
			}
			seen = value;
			atomic_fetch_add_explicit(&v->exits, 1,
						  memory_order_relaxed);
			answer(v, value, now_ns());
		}
		return;
	}
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
	if (vm->opts.guest == MICROVM_GUEST_COSCHED) {
		cosched_run(v);
		return NULL;
	}
	if (vm->opts.backend == MICROVM_BACKEND_THREAD) {
		standin_run(v);
		return NULL;
	}

	while (!atomic_load_explicit(&vm->stop, memory_order_relaxed)) {
		uint64_t now;

		if (ioctl(v->fd, KVM_RUN, 0) < 0) {
			if (errno == EINTR || errno == EAGAIN)
				continue;
			fail_vcpu(v, -errno, 0);
			break;
		}
		/* The answer's time: right after KVM_RUN returned. */
		now = now_ns();
		if (run->exit_reason == KVM_EXIT_IO &&
		    run->io.direction == KVM_EXIT_IO_OUT) {
			const uint8_t *data = (const uint8_t *)run +
					      run->io.data_offset;
			uint16_t value = data[0];

			if (run->io.size >= 2)
				value |= (uint16_t)(data[1] << 8);
			if (run->io.port == MICROVM_PORT &&
			    vm->opts.guest == MICROVM_GUEST_LOOP) {
				atomic_fetch_add_explicit(&v->exits, 1,
							  memory_order_relaxed);
				continue;
			}
			if (run->io.port == MICROVM_PORT_ANSWER &&
			    vm->opts.guest != MICROVM_GUEST_LOOP) {
				atomic_fetch_add_explicit(&v->exits, 1,
							  memory_order_relaxed);
				answer(v, value, now);
				continue;
			}
			if (run->io.port == MICROVM_PORT_WAIT &&
			    vm->opts.guest == MICROVM_GUEST_WAIT) {
				raise_wait_event(v);
				continue;
			}
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

/* The poll guest's timer: a thread of the VMM that stands for the
 * hardware timer; pinned and made FIFO as asked, so that the event is
 * raised on time whatever the load (the measurement is about the vCPU). */
static int start_timer(struct microvm *vm)
{
	pthread_attr_t attr;
	int r;

	r = -pthread_attr_init(&attr);
	if (r < 0)
		return r;
	if (vm->opts.timer_cpu >= 0) {
		cpu_set_t set;

		CPU_ZERO(&set);
		CPU_SET(vm->opts.timer_cpu, &set);
		r = -pthread_attr_setaffinity_np(&attr, sizeof(set), &set);
	}
	if (r == 0 && vm->opts.timer_prio > 0) {
		struct sched_param sp = {
			.sched_priority = vm->opts.timer_prio };

		r = -pthread_attr_setinheritsched(&attr,
						  PTHREAD_EXPLICIT_SCHED);
		if (r == 0)
			r = -pthread_attr_setschedpolicy(&attr, SCHED_FIFO);
		if (r == 0)
			r = -pthread_attr_setschedparam(&attr, &sp);
	}
	atomic_store(&vm->timer_stop, false);
	if (r == 0)
		r = -pthread_create(&vm->timer, &attr, timer_thread, vm);
	pthread_attr_destroy(&attr);
	if (r < 0)
		return r;
	vm->timer_running = true;
	while (sem_wait(&vm->ready) < 0)
		; /* EINTR */
	return 0;
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
	if (vm->timer_running)
		return -EINVAL;
	atomic_store(&vm->stop, false);
	if (vm->opts.guest == MICROVM_GUEST_POLL) {
		r = start_timer(vm);
		if (r < 0)
			return r;
	}
	for (unsigned int i = 0; i < vm->nr_vcpus; i++) {
		struct vcpu *v = &vm->vcpu[i];

		atomic_store(&v->tid, 0);
		v->pending = false;
		v->due = 0;
		v->answered = atomic_load(&vm->seq);
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

size_t microvm_samples(const struct microvm *vm, unsigned int vcpu,
		       const struct microvm_sample **ret)
{
	if (!vm || vcpu >= vm->nr_vcpus || !vm->vcpu[vcpu].samples) {
		if (ret)
			*ret = NULL;
		return 0;
	}
	if (ret)
		*ret = vm->vcpu[vcpu].samples;
	return atomic_load_explicit(&vm->vcpu[vcpu].nr_samples,
				    memory_order_acquire);
}

uint64_t microvm_coalesced(const struct microvm *vm, unsigned int vcpu)
{
	if (!vm || vcpu >= vm->nr_vcpus)
		return 0;
	return atomic_load(&vm->vcpu[vcpu].coalesced);
}

uint64_t microvm_dropped(const struct microvm *vm, unsigned int vcpu)
{
	if (!vm || vcpu >= vm->nr_vcpus)
		return 0;
	return atomic_load(&vm->vcpu[vcpu].dropped);
}

pid_t microvm_timer_tid(const struct microvm *vm)
{
	pid_t tid;

	if (!vm || !vm->timer_running)
		return -ESRCH;
	tid = atomic_load(&vm->timer_tid);
	return tid > 0 ? tid : -ESRCH;
}

uint64_t microvm_exits(const struct microvm *vm, unsigned int vcpu)
{
	if (!vm || vcpu >= vm->nr_vcpus)
		return 0;
	return atomic_load(&vm->vcpu[vcpu].exits);
}

uint64_t microvm_work_units(const struct microvm *vm, unsigned int vcpu)
{
	if (!vm || vcpu >= vm->nr_vcpus)
		return 0;
	return atomic_load(&vm->vcpu[vcpu].units);
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
	/* The loop guest exits on every iteration, the wait guest at least
	 * once a period, the poll guest on the timer's next event (the
	 * timer stops last): each thread sees the flag soon. */
	atomic_store(&vm->stop, true);
	for (unsigned int i = 0; i < vm->nr_vcpus; i++) {
		struct vcpu *v = &vm->vcpu[i];

		if (!v->running)
			continue;
		pthread_join(v->thread, NULL);
		v->running = false;
		atomic_store(&v->tid, 0);
	}
	if (vm->timer_running) {
		atomic_store(&vm->timer_stop, true);
		pthread_join(vm->timer, NULL);
		vm->timer_running = false;
		atomic_store(&vm->timer_tid, 0);
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
		free(v->samples);
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
