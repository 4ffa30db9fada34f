/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * bench-boost: the latency of a guest boost over the Unix stream transport
 * and over the shared-memory doorbell, and the CPU cost of the broker,
 * with the peer tool and the system calls the same work cannot avoid
 * timed side by side in one run:
 *
 *   boost         rtvm_boost_guest_call(BOOST vCPU 0, SCHED_FIFO 1): the
 *                 request, the broker thread applying it, its ACK
 *   deboost       rtvm_boost_guest_call(DEBOOST vCPU 0), the same way
 *   chrt          posix_spawn + wait of `chrt -f -p 1 TID`
 *   chrt-back     posix_spawn + wait of `chrt -o -p 0 TID`
 *   floor-rtt     32 bytes to an echo thread and back over a socketpair
 *                 (the transport's floor)
 *   floor-setattr sched_setattr(FIFO 1) + sched_setattr(OTHER) on the tid
 *                 (the kernel work of a boost and a deboost)
 *   bell-boost    rtvm_boost_bell_post(BOOST vCPU 0, SCHED_FIFO 1) into the
 *                 doorbell's line, its ring (the broker's eventfd, as QEMU
 *                 writes it for the guest's register write), the broker
 *                 thread applying it, until the line's ACK is there
 *   bell-deboost  the same with DEBOOST
 *   floor-bell    an eventfd write to a thread that waits in poll(), which
 *                 reads it and stores a word in shared memory that the
 *                 caller waits for the same way (the doorbell's floor)
 *
 * The doorbell has no way to wake the guest (it must never wait for the
 * host), so the caller waits for an ACK, and for floor-bell's word, in a
 * sched_yield() loop: on a small machine the answering thread may need
 * the caller's CPU.  The test side of the doorbell is QEMU's: it connects
 * to the broker's ivshmem server and takes the region and the eventfd.
 *
 * The "VM" is a child process whose two threads are named "CPU 0/KVM" and
 * "CPU 1/KVM" (QEMU's vCPU names) and sleep in pause().  The broker runs
 * in a thread of the benchmark (poll + rtvm_boost_dispatch) and accepts
 * the guest's connections on a Unix socket in a private directory; the
 * guest side is rtvm_boost_guest_open() on that socket, in the main thread.
 * The variants run round-robin, and each round starts with a different one,
 * so that the noise of a shared machine hits them all alike.  Every round
 * checks, untimed, that vCPU 0 is at SCHED_FIFO 1 after a boost and at
 * SCHED_OTHER after the way back.
 *
 * Where the answering thread (broker, echo) ran, on the caller's CPU or
 * the other one, is recorded per sample and the medians are split by it:
 * nothing is pinned, and on a small machine the scheduler's choice moves
 * the figures more than anything else.
 *
 * Then the broker's cost: its thread's CPU time over the latency runs (read
 * through pthread_getcpuclockid(), while it sleeps), next to the echo
 * thread's per round trip, and two floods of QUERY requests written back to
 * back on a second channel whose ACKs are never read: one at the VM's rate
 * limit, one after rtvm_boost_set_policy() put the limit out of the way.
 *
 * The program prints figures and never passes or fails on time: the exit
 * status is 0 when the measurements ran, 1 on a setup error (not root, no
 * RT runtime, ...), 2 on bad usage.
 *
 * Safety: only the child's vCPU 0 thread is ever given an RT policy, and it
 * sleeps, so that costs the machine nothing.  Nothing else is pinned or
 * re-prioritized.  The child dies with the benchmark (PR_SET_PDEATHSIG) and
 * is killed and reaped at the end.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <spawn.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <rtvm/rtvm.h>

#include "bench-util.h"
#include "../tests/ivshmem-client.h"

extern char **environ;

#define NR_VCPUS 2
#define BOOST_VCPU 0
#define RT_PRIO 1
#define CALL_TIMEOUT_MS 5000
#define SETUP_TIMEOUT_MS 10000
#define FLOOD_TIMEOUT_MS 300000
#define WARMUP_ROUNDS 20
#define GOAL_P99_US 50.0
#define FLOOD_CHUNK 256 /* messages per write of the flood */

enum { V_BOOST, V_DEBOOST, V_CHRT, V_CHRT_BACK, V_RTT, V_SETATTR,
       V_BELL_BOOST, V_BELL_DEBOOST, V_BELL_FLOOR, NR_VARIANTS };
/* What a round runs, in turn: a boost is always followed by its deboost,
 * and chrt by chrt-back, so that the way back does real work. */
enum { U_BOOST, U_CHRT, U_RTT, U_SETATTR, U_BELL, U_BELL_FLOOR, NR_UNITS };

struct series {
	const char *name;
	double *us;
	unsigned char *same; /* per sample: the peer thread ran on our CPU */
	unsigned int n;
	struct bench_stats st;
};

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static uint64_t clock_ns(clockid_t clk)
{
	struct timespec ts;

	if (clock_gettime(clk, &ts) < 0)
		return 0;
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static void log_stderr(struct rtvm_ctx *ctx, int priority, const char *file,
		       int line, const char *fn, const char *format,
		       va_list args)
{
	(void)ctx, (void)priority, (void)file, (void)line, (void)fn;
	fprintf(stderr, "librtvm: ");
	vfprintf(stderr, format, args);
	fputc('\n', stderr);
}

/* ---- scheduling: checks and the raw system calls ------------------------ */

/* The kernel's struct sched_attr (version 0, 48 bytes). */
struct bench_sched_attr {
	uint32_t size, sched_policy;
	uint64_t sched_flags;
	int32_t sched_nice;
	uint32_t sched_priority;
	uint64_t sched_runtime, sched_deadline, sched_period;
};

static const struct bench_sched_attr attr_fifo = {
	.size = sizeof(attr_fifo),
	.sched_policy = SCHED_FIFO,
	.sched_priority = RT_PRIO,
};
static const struct bench_sched_attr attr_other = {
	.size = sizeof(attr_other),
	.sched_policy = SCHED_OTHER,
};

static int setattr(pid_t tid, const struct bench_sched_attr *a)
{
	return syscall(SYS_sched_setattr, tid, a, 0) < 0 ? -errno : 0;
}

/* Untimed: is @tid at @policy with @prio?  Says what differs. */
static int check_policy(pid_t tid, int policy, int prio, const char *what)
{
	struct sched_param sp;
	int pol = sched_getscheduler(tid);

	if (pol < 0 || sched_getparam(tid, &sp) < 0) {
		fprintf(stderr, "bench-boost: %s: thread %d: %s\n", what,
			(int)tid, strerror(errno));
		return -1;
	}
	if (pol != policy || sp.sched_priority != prio) {
		fprintf(stderr,
			"bench-boost: %s: thread %d has policy %d priority %d; "
			"expected policy %d priority %d\n",
			what, (int)tid, pol, sp.sched_priority, policy, prio);
		return -1;
	}
	return 0;
}

/* ---- the broker thread -------------------------------------------------- */

struct broker {
	struct rtvm_boost *b;
	unsigned int id;
	int listen_fd;
	int wake[2];	      /* a pipe: a byte on it stops the thread */
	pthread_t thread;
	bool running;
	clockid_t cpu_clock;  /* the thread's CPU-time clock */
	pthread_mutex_t lock; /* around every rtvm_boost_* call */
	atomic_uint_fast64_t handled; /* sum of rtvm_boost_dispatch() */
	atomic_uint_fast64_t target;  /* when handled reaches it (0: never) */
	atomic_uint_fast64_t done_ns; /* ... CLOCK_MONOTONIC is stored here */
	atomic_int error;	      /* the first error, a negative errno */
	atomic_int cpu;		      /* where the last dispatch ran */
};

/* Where the echo thread last echoed. */
static atomic_int echo_cpu = -1;

static void broker_fail(struct broker *br, int r)
{
	int zero = 0;

	atomic_compare_exchange_strong(&br->error, &zero, r);
}

static void *broker_main(void *arg)
{
	struct broker *br = arg;
	struct pollfd p[3] = {
		{ .fd = rtvm_boost_get_fd(br->b), .events = POLLIN },
		{ .fd = br->listen_fd, .events = POLLIN },
		{ .fd = br->wake[0], .events = POLLIN },
	};

	for (;;) {
		int n = poll(p, 3, -1), r;

		if (n < 0) {
			if (errno == EINTR)
				continue;
			broker_fail(br, -errno);
			break;
		}
		if (p[2].revents)
			break;
		if (p[1].revents & POLLIN) {
			int fd = accept4(br->listen_fd, NULL, NULL,
					 SOCK_CLOEXEC);

			if (fd >= 0) {
				pthread_mutex_lock(&br->lock);
				r = rtvm_boost_add_channel(br->b, br->id, fd);
				pthread_mutex_unlock(&br->lock);
				if (r < 0)
					broker_fail(br, r);
			} else if (errno != EAGAIN && errno != EINTR &&
				   errno != ECONNABORTED) {
				broker_fail(br, -errno);
			}
		}
		if (p[0].revents & POLLIN) {
			uint64_t total, t;

			atomic_store(&br->cpu, sched_getcpu());
			pthread_mutex_lock(&br->lock);
			r = rtvm_boost_dispatch(br->b);
			pthread_mutex_unlock(&br->lock);
			if (r < 0) {
				broker_fail(br, r);
				break;
			}
			total = atomic_fetch_add(&br->handled, (uint64_t)r) +
				(uint64_t)r;
			t = atomic_load(&br->target);
			if (t && total >= t && !atomic_load(&br->done_ns))
				atomic_store(&br->done_ns, now_ns());
		}
	}
	return NULL;
}

static int broker_stats(struct broker *br, struct rtvm_boost_stats *st)
{
	int r;

	*st = (struct rtvm_boost_stats){ .size = sizeof(*st) };
	pthread_mutex_lock(&br->lock);
	r = rtvm_boost_get_stats(br->b, br->id, -1, st);
	pthread_mutex_unlock(&br->lock);
	if (r < 0)
		fprintf(stderr, "bench-boost: rtvm_boost_get_stats: %s\n",
			strerror(-r));
	return r;
}

/* ---- the echo thread of floor-rtt -------------------------------------- */

static int read_full(int fd, void *buf, size_t len)
{
	size_t off = 0;

	while (off < len) {
		ssize_t n = read(fd, (char *)buf + off, len - off);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return n == 0 ? -EPIPE : -errno;
		off += (size_t)n;
	}
	return 0;
}

static int write_full(int fd, const void *buf, size_t len)
{
	size_t off = 0;

	while (off < len) {
		ssize_t n = send(fd, (const char *)buf + off, len - off,
				 MSG_NOSIGNAL);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return n == 0 ? -EPIPE : -errno;
		off += (size_t)n;
	}
	return 0;
}

static void *echo_main(void *arg)
{
	int fd = *(int *)arg;
	uint8_t buf[RTVM_BOOST_MSG_SIZE];

	while (read_full(fd, buf, sizeof(buf)) == 0) {
		atomic_store(&echo_cpu, sched_getcpu());
		if (write_full(fd, buf, sizeof(buf)) < 0)
			break;
	}
	return NULL;
}

/* ---- the thread of floor-bell ------------------------------------------- */

struct bell_echo {
	int efd;		 /* rung by the caller */
	atomic_bool quit;
	atomic_uint_fast32_t word; /* the answer, in shared memory */
	atomic_int cpu;
};

static void *bell_echo_main(void *arg)
{
	struct bell_echo *e = arg;
	struct pollfd p = { .fd = e->efd, .events = POLLIN };
	uint64_t v;

	while (!atomic_load(&e->quit)) {
		if (poll(&p, 1, -1) < 0 && errno != EINTR)
			break;
		if (read(e->efd, &v, sizeof(v)) != sizeof(v))
			continue;
		atomic_store(&e->cpu, sched_getcpu());
		atomic_fetch_add_explicit(&e->word, 1, memory_order_release);
	}
	return NULL;
}

/* ---- the variants -------------------------------------------------------- */

struct bench {
	struct rtvm_boost_guest *g;
	struct broker *br;
	pid_t tid;	  /* vCPU 0's thread */
	int echo_fd;	  /* our end of the echo socketpair */
	struct rtvm_boost_bell *bell; /* the guest's end of the doorbell */
	struct bell_echo be;
	int devnull;
	bool chrt_ok;
	char chrt_note[160];
	struct series s[NR_VARIANTS];
};

static void report_broker_error(struct broker *br)
{
	int e = atomic_load(&br->error);

	if (e)
		fprintf(stderr, "bench-boost: the broker thread failed: %s\n",
			strerror(-e));
}

/* @peer_cpu: where the thread that answered ran, -1: no such thread. */
static void record(struct bench *bb, int v, bool timed, double us,
		   int peer_cpu)
{
	struct series *s = &bb->s[v];

	if (!timed)
		return;
	s->same[s->n] = peer_cpu < 0 ? 2 : peer_cpu == sched_getcpu();
	s->us[s->n++] = us;
}

/* Wait, giving the CPU away, until @done or CALL_TIMEOUT_MS. */
static bool yield_until(bool (*done)(struct bench *), struct bench *bb)
{
	uint64_t end = now_ns() + CALL_TIMEOUT_MS * 1000000ull;

	while (!done(bb)) {
		if (now_ns() > end)
			return false;
		sched_yield();
	}
	return true;
}

static struct rtvm_boost_msg bell_ack;

static bool bell_answered(struct bench *bb)
{
	return rtvm_boost_bell_get_ack(bb->bell, BOOST_VCPU, &bell_ack) == 0;
}

/* One guest request and its ACK, over the channel or (@bell) the
 * doorbell; *us its round trip.  A refusal is a setup error. */
static int boost_call(struct bench *bb, bool bell, uint8_t type, double *us)
{
	struct rtvm_boost_msg req = { .type = type, .vcpu = BOOST_VCPU }, ack;
	const char *name = type == RTVM_BOOST_BOOST ? "BOOST" : "DEBOOST";
	uint64_t t0;
	int r;

	if (type == RTVM_BOOST_BOOST) {
		req.policy = RTVM_BOOST_SCHED_FIFO;
		req.priority = RT_PRIO;
	}
	t0 = now_ns();
	if (!bell) {
		r = rtvm_boost_guest_call(bb->g, &req, &ack, CALL_TIMEOUT_MS);
	} else {
		r = rtvm_boost_bell_post(bb->bell, &req);
		if (r == 0 && !yield_until(bell_answered, bb))
			r = -ETIMEDOUT;
		ack = bell_ack;
	}
	*us = (double)(now_ns() - t0) / 1e3;
	if (r < 0) {
		fprintf(stderr, "bench-boost: %s %s: %s\n",
			bell ? "doorbell" : "rtvm_boost_guest_call", name,
			strerror(-r));
		report_broker_error(bb->br);
		return -1;
	}
	if (ack.status != RTVM_BOOST_OK || ack.seq != req.seq) {
		const char *why = rtvm_boost_reason_to_string(ack.status);

		fprintf(stderr, "bench-boost: %s refused: %s (%u)\n", name,
			why ? why : "unknown reason", ack.status);
		return -1;
	}
	return 0;
}

/* A boost and its deboost, each checked in the thread's policy. */
static int boost_pair(struct bench *bb, bool bell, bool timed)
{
	double us;

	if (boost_call(bb, bell, RTVM_BOOST_BOOST, &us) < 0 ||
	    check_policy(bb->tid, SCHED_FIFO, RT_PRIO, "after a boost's ACK") < 0)
		return -1;
	record(bb, bell ? V_BELL_BOOST : V_BOOST, timed, us,
	       atomic_load(&bb->br->cpu));
	if (boost_call(bb, bell, RTVM_BOOST_DEBOOST, &us) < 0 ||
	    check_policy(bb->tid, SCHED_OTHER, 0, "after a deboost's ACK") < 0)
		return -1;
	record(bb, bell ? V_BELL_DEBOOST : V_DEBOOST, timed, us,
	       atomic_load(&bb->br->cpu));
	return 0;
}

/* `chrt -f -p 1 TID` (@fifo) or `chrt -o -p 0 TID`; returns as
 * bench_spawn_wait(), *us the time. */
static int run_chrt(struct bench *bb, bool fifo, bool keep_stderr,
		    double *us)
{
	char tid[16], prio[8];
	char *argv[] = { "chrt", fifo ? "-f" : "-o", "-p", prio, tid, NULL };
	uint64_t t0;
	int r;

	snprintf(tid, sizeof(tid), "%d", (int)bb->tid);
	snprintf(prio, sizeof(prio), "%d", fifo ? RT_PRIO : 0);
	t0 = now_ns();
	r = bench_spawn_wait(argv, bb->devnull,
			     keep_stderr ? -1 : bb->devnull);
	*us = (double)(now_ns() - t0) / 1e3;
	return r;
}

static int run_rtt(struct bench *bb, uint32_t seq, double *us)
{
	uint8_t out[RTVM_BOOST_MSG_SIZE] = { 1, RTVM_BOOST_QUERY },
		in[RTVM_BOOST_MSG_SIZE];
	uint64_t t0;
	int r;

	memcpy(out + 4, &seq, sizeof(seq));
	t0 = now_ns();
	r = write_full(bb->echo_fd, out, sizeof(out));
	if (r == 0)
		r = read_full(bb->echo_fd, in, sizeof(in));
	*us = (double)(now_ns() - t0) / 1e3;
	if (r == 0 && memcmp(in, out, sizeof(in)) != 0)
		r = -EBADMSG;
	if (r < 0)
		fprintf(stderr, "bench-boost: echo round trip: %s\n",
			strerror(-r));
	return r;
}

static int run_setattr(struct bench *bb, double *us)
{
	uint64_t t0 = now_ns();
	int r = setattr(bb->tid, &attr_fifo);

	if (r == 0)
		r = setattr(bb->tid, &attr_other);
	*us = (double)(now_ns() - t0) / 1e3;
	if (r < 0)
		fprintf(stderr, "bench-boost: sched_setattr on thread %d: %s\n",
			(int)bb->tid, strerror(-r));
	return r;
}

static uint_fast32_t bell_floor_want;

static bool bell_floor_answered(struct bench *bb)
{
	return atomic_load_explicit(&bb->be.word, memory_order_acquire) ==
	       bell_floor_want;
}

static int run_bell_floor(struct bench *bb, double *us)
{
	uint64_t one = 1, t0;
	int r = 0;

	bell_floor_want = atomic_load(&bb->be.word) + 1;
	t0 = now_ns();
	if (write(bb->be.efd, &one, sizeof(one)) != sizeof(one))
		r = -errno;
	else if (!yield_until(bell_floor_answered, bb))
		r = -ETIMEDOUT;
	*us = (double)(now_ns() - t0) / 1e3;
	if (r < 0)
		fprintf(stderr, "bench-boost: floor-bell: %s\n", strerror(-r));
	return r;
}

/* One unit of a round, timed or not; every state is checked untimed. */
static int run_unit(struct bench *bb, int unit, bool timed, uint32_t seq)
{
	double us;
	int r;

	switch (unit) {
	case U_BOOST:
		return boost_pair(bb, false, timed);
	case U_CHRT:
		if (!bb->chrt_ok)
			return 0;
		r = run_chrt(bb, true, false, &us);
		if (r != 0 || check_policy(bb->tid, SCHED_FIFO, RT_PRIO,
					   "after chrt -f") < 0) {
			fprintf(stderr, "bench-boost: chrt -f -p %d %d: %s %d\n",
				RT_PRIO, (int)bb->tid,
				r < 0 ? "error" : "wait status", r);
			return -1;
		}
		record(bb, V_CHRT, timed, us, -1);
		r = run_chrt(bb, false, false, &us);
		if (r != 0 || check_policy(bb->tid, SCHED_OTHER, 0,
					   "after chrt -o") < 0) {
			fprintf(stderr, "bench-boost: chrt -o -p 0 %d: %s %d\n",
				(int)bb->tid, r < 0 ? "error" : "wait status",
				r);
			return -1;
		}
		record(bb, V_CHRT_BACK, timed, us, -1);
		return 0;
	case U_RTT:
		if (run_rtt(bb, seq, &us) < 0)
			return -1;
		record(bb, V_RTT, timed, us, atomic_load(&echo_cpu));
		return 0;
	case U_BELL:
		return boost_pair(bb, true, timed);
	case U_BELL_FLOOR:
		if (run_bell_floor(bb, &us) < 0)
			return -1;
		record(bb, V_BELL_FLOOR, timed, us, atomic_load(&bb->be.cpu));
		return 0;
	default:
		if (run_setattr(bb, &us) < 0 ||
		    check_policy(bb->tid, SCHED_OTHER, 0,
				 "after floor-setattr") < 0)
			return -1;
		record(bb, V_SETATTR, timed, us, -1);
		return 0;
	}
}

/* The first chrt run, untimed: is chrt here, and does it work? */
static void probe_chrt(struct bench *bb)
{
	double us;
	int r = run_chrt(bb, true, true, &us);

	if (r == -ENOENT || (r > 0 && WIFEXITED(r) && WEXITSTATUS(r) == 127)) {
		snprintf(bb->chrt_note, sizeof(bb->chrt_note),
			 "skipped: chrt is not installed (util-linux)");
	} else if (r != 0) {
		snprintf(bb->chrt_note, sizeof(bb->chrt_note),
			 "skipped: `chrt -f -p %d TID` failed (%s %d)", RT_PRIO,
			 r < 0 ? "error" : "wait status", r < 0 ? -r : r);
	} else if (check_policy(bb->tid, SCHED_FIFO, RT_PRIO,
				"after chrt -f") < 0) {
		snprintf(bb->chrt_note, sizeof(bb->chrt_note),
			 "skipped: `chrt -f -p %d TID` did not set SCHED_FIFO",
			 RT_PRIO);
	} else {
		r = run_chrt(bb, false, true, &us);
		if (r == 0 && check_policy(bb->tid, SCHED_OTHER, 0,
					   "after chrt -o") == 0)
			bb->chrt_ok = true;
		else
			snprintf(bb->chrt_note, sizeof(bb->chrt_note),
				 "skipped: `chrt -o -p 0 TID` failed");
	}
	setattr(bb->tid, &attr_other); /* whatever chrt left */
	if (!bb->chrt_ok)
		fprintf(stderr, "note: chrt rows %s\n", bb->chrt_note);
}

/* ---- the flood ----------------------------------------------------------- */

struct flood_result {
	const char *label;
	unsigned int rate, burst; /* the VM's request rate during it */
	uint64_t n;
	double wall_ms, write_ms, cpu_ms;
	struct rtvm_boost_stats before, after;
	bool done;
};

/* Write @n QUERY requests on @fd, in whole chunks, without reading. */
static int flood_write(int fd, uint8_t version, uint64_t n)
{
	static uint8_t buf[FLOOD_CHUNK * RTVM_BOOST_MSG_SIZE];
	struct rtvm_boost_msg m = { .version = version,
				    .type = RTVM_BOOST_QUERY,
				    .vcpu = BOOST_VCPU };
	uint64_t queued = 0;
	size_t off = 0, len = 0;

	m.seq = 1000; /* the channel's HELLO was 1; the host does not judge */
	while (queued < n || off < len) {
		ssize_t w;

		if (stop)
			return -EINTR;
		if (off == len) {
			uint64_t k = n - queued < FLOOD_CHUNK ? n - queued
							      : FLOOD_CHUNK;

			for (uint64_t i = 0; i < k; i++) {
				m.seq++;
				rtvm_boost_msg_encode(
					&m, buf + i * RTVM_BOOST_MSG_SIZE);
			}
			off = 0;
			len = (size_t)k * RTVM_BOOST_MSG_SIZE;
			queued += k;
		}
		w = send(fd, buf + off, len - off, MSG_NOSIGNAL);
		if (w > 0) {
			off += (size_t)w;
		} else if (w < 0 && errno == EAGAIN) {
			struct pollfd p = { .fd = fd, .events = POLLOUT };

			poll(&p, 1, 100);
		} else if (!(w < 0 && errno == EINTR)) {
			return w == 0 ? -EPIPE : -errno;
		}
	}
	return 0;
}

static int run_flood(struct broker *br, const char *path, uint64_t n,
		     struct flood_result *res)
{
	struct rtvm_boost_guest *fg = NULL;
	uint64_t start, cpu0, base, deadline;
	int r;

	res->n = n;
	r = rtvm_boost_guest_open(path, CALL_TIMEOUT_MS, &fg);
	if (r < 0) {
		fprintf(stderr, "bench-boost: rtvm_boost_guest_open(%s) for "
				"the flood: %s\n",
			path, strerror(-r));
		report_broker_error(br);
		return -1;
	}
	if (broker_stats(br, &res->before) < 0)
		goto fail;
	/* The broker is idle here (the HELLO is answered): what its clock
	 * and counter say now is where the flood starts. */
	base = atomic_load(&br->handled);
	atomic_store(&br->done_ns, 0);
	atomic_store(&br->target, base + n);
	cpu0 = clock_ns(br->cpu_clock);
	start = now_ns();
	r = flood_write(rtvm_boost_guest_get_fd(fg),
			rtvm_boost_guest_get_limits(fg)->version, n);
	res->write_ms = (double)(now_ns() - start) / 1e6;
	if (r < 0) {
		if (r != -EINTR)
			fprintf(stderr, "bench-boost: flood write: %s\n",
				strerror(-r));
		goto fail;
	}
	deadline = start + FLOOD_TIMEOUT_MS * 1000000ull;
	while (!atomic_load(&br->done_ns) && !stop &&
	       !atomic_load(&br->error) && now_ns() < deadline) {
		struct timespec ts = { 0, 200000 };

		nanosleep(&ts, NULL);
	}
	if (!atomic_load(&br->done_ns)) {
		if (!stop)
			fprintf(stderr, "bench-boost: the broker handled %" PRIu64
					" of the %" PRIu64 " flood requests\n",
				atomic_load(&br->handled) - base, n);
		report_broker_error(br);
		goto fail;
	}
	res->wall_ms = (double)(atomic_load(&br->done_ns) - start) / 1e6;
	res->cpu_ms = (double)(clock_ns(br->cpu_clock) - cpu0) / 1e6;
	atomic_store(&br->target, 0);
	if (broker_stats(br, &res->after) < 0)
		goto fail;
	res->done = true;
	rtvm_boost_guest_close(fg);
	return 0;
fail:
	atomic_store(&br->target, 0);
	rtvm_boost_guest_close(fg);
	return -1;
}

/* ---- output -------------------------------------------------------------- */

static const char *const variant_what[NR_VARIANTS] = {
	[V_BOOST] = "rtvm_boost_guest_call(BOOST vCPU 0 SCHED_FIFO 1): request "
		    "-> the broker applies it -> ACK",
	[V_DEBOOST] = "rtvm_boost_guest_call(DEBOOST vCPU 0): request -> the "
		      "broker puts the thread back -> ACK",
	[V_CHRT] = "posix_spawn + wait of `chrt -f -p 1 TID`",
	[V_CHRT_BACK] = "posix_spawn + wait of `chrt -o -p 0 TID`",
	[V_RTT] = "32 bytes to an echo thread and back over a socketpair "
		  "(write, its read + write, read)",
	[V_SETATTR] = "sched_setattr(TID, FIFO 1) + sched_setattr(TID, OTHER), "
		      "raw system calls",
	[V_BELL_BOOST] = "rtvm_boost_bell_post(BOOST vCPU 0 SCHED_FIFO 1) + "
			 "ring -> the broker applies it -> the line's ACK "
			 "(waited for with sched_yield)",
	[V_BELL_DEBOOST] = "rtvm_boost_bell_post(DEBOOST vCPU 0) + ring -> "
			   "the broker puts the thread back -> the line's ACK",
	[V_BELL_FLOOR] = "eventfd write -> a thread's poll wakes, reads it and "
			 "stores a shared word -> seen (sched_yield wait)",
};

static void json_string(const char *s)
{
	putchar('"');
	for (; *s; s++) {
		if (*s == '"' || *s == '\\')
			printf("\\%c", *s);
		else if ((unsigned char)*s < 0x20)
			printf("\\u%04x", (unsigned char)*s);
		else
			putchar(*s);
	}
	putchar('"');
}

struct summary {
	uint64_t lat_requests;
	double lat_cpu_ms;
	struct rtvm_boost_stats lat_before, lat_after;
	bool lat_stats;
	double echo_cpu_ms; /* the echo thread's, over the latency runs */
	struct flood_result flood[2];
	uint64_t flood_n;
};

static double ratio(double a, double b)
{
	return b > 0 ? a / b : 0;
}

/* The samples of @s whose answering thread ran on the caller's CPU (or on
 * another one): how many, and their median (0 without any). */
struct split {
	unsigned int n[2]; /* [0] other CPU, [1] same CPU */
	double median[2];
};

static void split_by_cpu(const struct series *s, struct split *ret)
{
	double *v = malloc((s->n ? s->n : 1) * sizeof(*v));

	*ret = (struct split){ 0 };
	for (int same = 0; v && same < 2; same++) {
		struct bench_stats st;
		unsigned int k = 0;

		for (unsigned int i = 0; i < s->n; i++)
			if (s->same[i] == same)
				v[k++] = s->us[i];
		ret->n[same] = k;
		if (bench_stats(v, k, &st) == 0)
			ret->median[same] = st.median;
	}
	free(v);
}

static const int split_variants[] = { V_BOOST, V_DEBOOST, V_RTT,
				      V_BELL_BOOST, V_BELL_DEBOOST,
				      V_BELL_FLOOR };

static bool is_split(int v)
{
	for (size_t i = 0; i < sizeof(split_variants) / sizeof(int); i++)
		if (split_variants[i] == v)
			return true;
	return false;
}

static double per_1000_ms(const struct summary *sm)
{
	return sm->lat_requests ? sm->lat_cpu_ms * 1000 / sm->lat_requests
				: 0;
}

static void print_text(const struct bench *bb, const struct summary *sm,
		       long runs)
{
	const struct series *s = bb->s;
	const struct flood_result *f;
	struct utsname u;

	if (uname(&u) < 0)
		snprintf(u.release, sizeof(u.release), "unknown");
	printf("bench-boost: boost latency over a Unix stream socket and the "
	       "ivshmem doorbell, and broker cost; librtvm %s, kernel %s, %ld "
	       "online CPUs\n",
	       rtvm_version(), u.release, sysconf(_SC_NPROCESSORS_ONLN));
	printf("vCPU %d of a fake QEMU (thread %d), SCHED_FIFO %d; %ld "
	       "rounds, round-robin, each round starting with another "
	       "variant\n\n",
	       BOOST_VCPU, (int)bb->tid, RT_PRIO, runs);
	printf("%-14s %6s %11s %11s %11s\n", "variant", "runs", "median us",
	       "p99 us", "max us");
	for (int i = 0; i < NR_VARIANTS; i++) {
		if (!s[i].n) {
			printf("%-14s %s\n", s[i].name,
			       (i == V_CHRT || i == V_CHRT_BACK) && !bb->chrt_ok
				       ? bb->chrt_note
				       : "not measured");
			continue;
		}
		printf("%-14s %6u %11.2f %11.2f %11.2f\n", s[i].name, s[i].n,
		       s[i].st.median, s[i].st.p99, s[i].st.max);
	}
	printf("\n");
	for (int i = 0; i < NR_VARIANTS; i++)
		printf("%-14s = %s\n", s[i].name, variant_what[i]);
	if (s[V_BOOST].n && s[V_RTT].n) {
		printf("\nratios: boost/floor-rtt median = %.2fx, p99 = %.2fx",
		       ratio(s[V_BOOST].st.median, s[V_RTT].st.median),
		       ratio(s[V_BOOST].st.p99, s[V_RTT].st.p99));
		if (s[V_CHRT].n)
			printf("; chrt/boost median = %.1fx",
			       ratio(s[V_CHRT].st.median, s[V_BOOST].st.median));
		printf("\n");
	}
	if (s[V_BELL_BOOST].n && s[V_BELL_FLOOR].n)
		printf("ratios: bell-boost/floor-bell median = %.2fx, p99 = "
		       "%.2fx; bell-boost/boost median = %.2fx, p99 = %.2fx\n",
		       ratio(s[V_BELL_BOOST].st.median, s[V_BELL_FLOOR].st.median),
		       ratio(s[V_BELL_BOOST].st.p99, s[V_BELL_FLOOR].st.p99),
		       ratio(s[V_BELL_BOOST].st.median, s[V_BOOST].st.median),
		       ratio(s[V_BELL_BOOST].st.p99, s[V_BOOST].st.p99));
	if (s[V_BOOST].n && s[V_DEBOOST].n && s[V_RTT].n && s[V_SETATTR].n)
		printf("boost + deboost medians = %.2f us; their floors "
		       "(2 x floor-rtt + floor-setattr medians) = %.2f us\n",
		       s[V_BOOST].st.median + s[V_DEBOOST].st.median,
		       2 * s[V_RTT].st.median + s[V_SETATTR].st.median);
	if (s[V_BOOST].n)
		printf("goal p99 <= %.0f us: boost p99 %.2f us: %s (a figure, "
		       "not a verdict)\n",
		       GOAL_P99_US, s[V_BOOST].st.p99,
		       s[V_BOOST].st.p99 <= GOAL_P99_US ? "met" : "not met");
	printf("\nplacement (the scheduler's, nothing is pinned): where the "
	       "answering thread ran\n");
	for (size_t i = 0; i < sizeof(split_variants) / sizeof(int); i++) {
		const struct series *v = &s[split_variants[i]];
		struct split sp;

		if (!v->n)
			continue;
		split_by_cpu(v, &sp);
		printf("  %-13s %s on the caller's CPU in %3.0f%% of runs "
		       "(median %.2f us), on the other CPU in %3.0f%% (median "
		       "%.2f us)\n",
		       v->name, split_variants[i] == V_RTT ||
				 split_variants[i] == V_BELL_FLOOR ? "echo  "
								   : "broker",
		       100.0 * sp.n[1] / v->n, sp.median[1],
		       100.0 * sp.n[0] / v->n, sp.median[0]);
	}
	if (sm->lat_requests) {
		printf("\nbroker cost over the latency runs: %" PRIu64
		       " requests, %.3f ms CPU in the broker thread = %.3f ms "
		       "per 1000 requests (%.2f us each)\n",
		       sm->lat_requests, sm->lat_cpu_ms, per_1000_ms(sm),
		       per_1000_ms(sm));
		if (s[V_RTT].n)
			printf("  floor: the echo thread of floor-rtt used "
			       "%.2f us CPU per round trip\n",
			       sm->echo_cpu_ms * 1e3 / s[V_RTT].n);
		if (sm->lat_stats)
			printf("  counters: requests %" PRIu64 ", boosts %" PRIu64
			       ", deboosts %" PRIu64 ", refused by rate %" PRIu64
			       ", expired %" PRIu64 "\n",
			       sm->lat_after.requests - sm->lat_before.requests,
			       sm->lat_after.boosts - sm->lat_before.boosts,
			       sm->lat_after.deboosts - sm->lat_before.deboosts,
			       sm->lat_after.refused[RTVM_BOOST_RATE] -
				       sm->lat_before.refused[RTVM_BOOST_RATE],
			       sm->lat_after.expired - sm->lat_before.expired);
	}
	for (int i = 0; i < 2; i++) {
		f = &sm->flood[i];
		if (!f->done)
			continue;
		printf("\nflood, %s (rate %u/s, burst %u): %" PRIu64
		       " QUERY requests of vCPU %d written back to back on a "
		       "second channel, %d per write, ACKs never read\n",
		       f->label, f->rate, f->burst, f->n, BOOST_VCPU,
		       FLOOD_CHUNK);
		printf("  wall time            %10.1f ms (first write to the "
		       "dispatch that handled the last; writing took %.1f ms)\n",
		       f->wall_ms, f->write_ms);
		printf("  broker CPU           %10.1f ms (%.0f%% of the wall "
		       "time)\n",
		       f->cpu_ms, 100 * ratio(f->cpu_ms, f->wall_ms));
		printf("  handled per second   %10.0f\n",
		       ratio((double)f->n, f->wall_ms / 1e3));
		printf("  broker CPU/request   %10.1f ns\n",
		       ratio(f->cpu_ms * 1e6, (double)f->n));
		printf("  counters             requests %" PRIu64
		       ", refused by rate %" PRIu64 ", acks dropped %" PRIu64
		       "\n",
		       f->after.requests - f->before.requests,
		       f->after.refused[RTVM_BOOST_RATE] -
			       f->before.refused[RTVM_BOOST_RATE],
		       f->after.acks_dropped - f->before.acks_dropped);
	}
	if (sm->flood_n == 0)
		printf("\nflood: not run (--flood 0)\n");
}

static void print_json(const struct bench *bb, const struct summary *sm,
		       long runs)
{
	const struct series *s = bb->s;
	const struct flood_result *f;
	struct utsname u;

	if (uname(&u) < 0)
		snprintf(u.release, sizeof(u.release), "unknown");
	printf("{\n  \"benchmark\": \"boost\",\n  \"librtvm_version\": ");
	json_string(rtvm_version());
	printf(",\n  \"kernel\": ");
	json_string(u.release);
	printf(",\n  \"online_cpus\": %ld,\n", sysconf(_SC_NPROCESSORS_ONLN));
	printf("  \"transports\": [\"unix stream socket\", "
	       "\"ivshmem doorbell\"],\n");
	printf("  \"vcpu\": %d, \"vcpu_tid\": %d, \"policy\": \"SCHED_FIFO\", "
	       "\"priority\": %d,\n",
	       BOOST_VCPU, (int)bb->tid, RT_PRIO);
	printf("  \"rounds\": %ld,\n  \"variants\": [", runs);
	for (int i = 0; i < NR_VARIANTS; i++) {
		printf("%s\n    {\"name\": ", i ? "," : "");
		json_string(s[i].name);
		printf(", \"what\": ");
		json_string(variant_what[i]);
		if (!s[i].n) {
			printf(", \"skipped\": ");
			json_string((i == V_CHRT || i == V_CHRT_BACK) &&
						    !bb->chrt_ok
					    ? bb->chrt_note
					    : "not measured");
			printf("}");
			continue;
		}
		printf(", \"runs\": %u, \"median_us\": %.3f, \"p99_us\": %.3f, "
		       "\"max_us\": %.3f, \"min_us\": %.3f",
		       s[i].n, s[i].st.median, s[i].st.p99, s[i].st.max,
		       s[i].st.min);
		if (is_split(i)) {
			struct split sp;

			split_by_cpu(&s[i], &sp);
			printf(", \"peer_on_same_cpu\": %u, "
			       "\"median_us_same_cpu\": %.3f, "
			       "\"peer_on_other_cpu\": %u, "
			       "\"median_us_other_cpu\": %.3f",
			       sp.n[1], sp.median[1], sp.n[0], sp.median[0]);
		}
		printf("}");
	}
	printf("\n  ]");
	if (s[V_BOOST].n && s[V_RTT].n) {
		printf(",\n  \"ratios\": {\"boost_vs_floor_rtt_median\": %.3f, "
		       "\"boost_vs_floor_rtt_p99\": %.3f",
		       ratio(s[V_BOOST].st.median, s[V_RTT].st.median),
		       ratio(s[V_BOOST].st.p99, s[V_RTT].st.p99));
		if (s[V_CHRT].n)
			printf(", \"chrt_vs_boost_median\": %.3f",
			       ratio(s[V_CHRT].st.median, s[V_BOOST].st.median));
		if (s[V_BELL_BOOST].n && s[V_BELL_FLOOR].n)
			printf(", \"bell_boost_vs_floor_bell_median\": %.3f, "
			       "\"bell_boost_vs_floor_bell_p99\": %.3f, "
			       "\"bell_boost_vs_boost_median\": %.3f, "
			       "\"bell_boost_vs_boost_p99\": %.3f",
			       ratio(s[V_BELL_BOOST].st.median,
				     s[V_BELL_FLOOR].st.median),
			       ratio(s[V_BELL_BOOST].st.p99,
				     s[V_BELL_FLOOR].st.p99),
			       ratio(s[V_BELL_BOOST].st.median,
				     s[V_BOOST].st.median),
			       ratio(s[V_BELL_BOOST].st.p99, s[V_BOOST].st.p99));
		printf("}");
	}
	if (s[V_BOOST].n)
		printf(",\n  \"goal\": {\"boost_p99_us_at_most\": %.0f, "
		       "\"boost_p99_us\": %.3f, \"met\": %s}",
		       GOAL_P99_US, s[V_BOOST].st.p99,
		       s[V_BOOST].st.p99 <= GOAL_P99_US ? "true" : "false");
	if (sm->lat_requests)
		printf(",\n  \"broker_latency_runs\": {\"requests\": %" PRIu64
		       ", \"cpu_ms\": %.3f, \"cpu_ms_per_1000_requests\": %.3f"
		       ", \"echo_cpu_us_per_round_trip\": %.3f}",
		       sm->lat_requests, sm->lat_cpu_ms, per_1000_ms(sm),
		       s[V_RTT].n ? sm->echo_cpu_ms * 1e3 / s[V_RTT].n : 0);
	for (int i = 0; i < 2; i++) {
		f = &sm->flood[i];
		if (!f->done)
			continue;
		printf(",\n  \"flood_%s\": {\"rate\": %u, \"burst\": %u, "
		       "\"requests_written\": %" PRIu64
		       ", \"per_write\": %d, \"wall_ms\": %.3f, \"write_ms\": %.3f"
		       ", \"broker_cpu_ms\": %.3f, \"handled_per_second\": %.0f"
		       ", \"broker_cpu_ns_per_request\": %.1f"
		       ", \"requests\": %" PRIu64 ", \"refused_rate\": %" PRIu64
		       ", \"acks_dropped\": %" PRIu64 "}",
		       i ? "unlimited" : "rate_limited", f->rate, f->burst, f->n,
		       FLOOD_CHUNK, f->wall_ms, f->write_ms, f->cpu_ms,
		       ratio((double)f->n, f->wall_ms / 1e3),
		       ratio(f->cpu_ms * 1e6, (double)f->n),
		       f->after.requests - f->before.requests,
		       f->after.refused[RTVM_BOOST_RATE] -
			       f->before.refused[RTVM_BOOST_RATE],
		       f->after.acks_dropped - f->before.acks_dropped);
	}
	printf("\n}\n");
}

static void usage(FILE *out)
{
	fprintf(out,
		"Usage: bench-boost [OPTION]...\n"
		"Time a guest boost (SCHED_FIFO 1 on vCPU 0 of a fake QEMU) over a\n"
		"Unix stream socket and over the ivshmem doorbell, its deboost,\n"
		"chrt doing the same, and the floors (a bare socket round trip,\n"
		"an eventfd -> poll wakeup, the bare sched_setattr pair);\n"
		"then the broker's CPU cost and a flood of QUERY requests.\n\n"
		"  -r, --runs N    rounds of every variant (default 2000)\n"
		"  -f, --flood N   QUERY requests of the flood (default 1000000,\n"
		"                  0: no flood)\n"
		"  -j, --json      print the figures as JSON\n"
		"  -h, --help      this help\n\n"
		"Needs root (SCHED_FIFO).  Exit status: 0 when the measurements\n"
		"ran, 1 on a setup error, 2 for bad usage.  Time never makes it\n"
		"fail.\n");
}

static int parse_count(const char *s, unsigned long long min,
		       unsigned long long max, unsigned long long *ret)
{
	char *end;

	errno = 0;
	if (*s == '-')
		return -1;
	*ret = strtoull(s, &end, 10);
	return errno || end == s || *end || *ret < min || *ret > max ? -1 : 0;
}

/* ---- main ---------------------------------------------------------------- */

int main(int argc, char *argv[])
{
	static const struct option longopts[] = {
		{ "runs", required_argument, NULL, 'r' },
		{ "flood", required_argument, NULL, 'f' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	static const char *const names[NR_VARIANTS] = {
		[V_BOOST] = "boost", [V_DEBOOST] = "deboost",
		[V_CHRT] = "chrt", [V_CHRT_BACK] = "chrt-back",
		[V_RTT] = "floor-rtt", [V_SETATTR] = "floor-setattr",
		[V_BELL_BOOST] = "bell-boost", [V_BELL_DEBOOST] = "bell-deboost",
		[V_BELL_FLOOR] = "floor-bell",
	};
	const struct rtvm_boost_policy policy = {
		.size = sizeof(policy),
		.policies = RTVM_BOOST_ALLOW(RTVM_BOOST_SCHED_FIFO),
		.max_priority = RT_PRIO,
		.max_boost_us = 1000000,     /* no grant runs out mid-round */
		.budget_us = 1000000,	     /* budget == period: no limit */
		.budget_period_us = 1000000,
		.rate = 1000000,
		.burst = 1000,
	};
	struct broker br = { .listen_fd = -1, .wake = { -1, -1 }, .cpu = -1,
			     .lock = PTHREAD_MUTEX_INITIALIZER };
	struct bench bb = { .echo_fd = -1, .devnull = -1,
			    .be = { .efd = -1, .cpu = -1 } };
	struct ivc qemu = { .sock = -1, .shm = -1, .ring = -1 };
	char bell_path[sizeof(((struct sockaddr_un *)0)->sun_path)];
	struct summary sm = { 0 };
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	char dir[] = "/tmp/bench-boost.XXXXXX";
	bool have_dir = false, have_sock = false, echo_running = false;
	bool bell_echo_running = false;
	pthread_t bell_echo_thread;
	const struct rtvm_boost_msg *lim;
	struct rtvm_ctx *ctx = NULL;
	struct rtvm_vm *vm = NULL;
	unsigned long long val;
	pthread_t echo_thread;
	clockid_t echo_clock = CLOCK_MONOTONIC;
	sigset_t block, old;
	struct sigaction sig;
	long runs = 2000;
	uint64_t flood_n = 1000000;
	int opt, r, ret = 1, sv[2] = { -1, -1 };
	bool json = false;
	struct bench_vm fake = { 0 };
	pid_t child = 0;

	while ((opt = getopt_long(argc, argv, "r:f:jh", longopts, NULL)) !=
	       -1) {
		switch (opt) {
		case 'r':
			if (parse_count(optarg, 1, 1000000, &val) < 0)
				goto bad_usage;
			runs = (long)val;
			break;
		case 'f':
			if (parse_count(optarg, 0, 1000000000, &val) < 0)
				goto bad_usage;
			flood_n = val;
			break;
		case 'j':
			json = true;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			goto bad_usage;
		}
	}
	if (optind < argc)
		goto bad_usage;
	sm.flood_n = flood_n;

	if (geteuid() != 0) {
		fprintf(stderr,
			"bench-boost: needs root: its broker gives a thread of "
			"its own child SCHED_FIFO (CAP_SYS_NICE); run it as "
			"root\n");
		return 1;
	}
	for (int i = 0; i < NR_VARIANTS; i++) {
		bb.s[i].name = names[i];
		bb.s[i].us = calloc((size_t)runs, sizeof(double));
		bb.s[i].same = calloc((size_t)runs, 1);
		if (!bb.s[i].us || !bb.s[i].same) {
			fprintf(stderr, "bench-boost: out of memory\n");
			goto out;
		}
	}

	/* The child first, before this process has any other thread. */
	fprintf(stderr, "starting a fake QEMU with %d vCPU threads...\n",
		NR_VCPUS);
	if (bench_vm_start(&fake, "bench-boost", "bench-boost-vmm", NR_VCPUS,
			   "CPU %u/KVM") < 0)
		goto out;
	child = fake.pid;

	memset(&sig, 0, sizeof(sig));
	sig.sa_handler = on_signal;
	sigemptyset(&sig.sa_mask);
	sigaction(SIGINT, &sig, NULL);
	sigaction(SIGTERM, &sig, NULL);
	sigaction(SIGHUP, &sig, NULL);

	bb.devnull = open("/dev/null", O_RDWR | O_CLOEXEC);
	if (bb.devnull < 0) {
		fprintf(stderr, "bench-boost: /dev/null: %s\n", strerror(errno));
		goto out;
	}
	r = rtvm_new(&ctx);
	if (r < 0) {
		fprintf(stderr, "bench-boost: rtvm_new: %s\n", strerror(-r));
		goto out;
	}
	rtvm_set_log_fn(ctx, log_stderr);
	r = rtvm_vm_new_from_pid(ctx, child, &vm);
	if (r < 0) {
		fprintf(stderr, "bench-boost: rtvm_vm_new_from_pid(%d): %s\n",
			(int)child, strerror(-r));
		goto out;
	}
	if (rtvm_vm_get_nr_vcpus(vm) != NR_VCPUS ||
	    rtvm_vm_get_vcpu_tid(vm, BOOST_VCPU) <= 0) {
		fprintf(stderr, "bench-boost: librtvm found %u vCPUs in the "
				"child; expected %d\n",
			rtvm_vm_get_nr_vcpus(vm), NR_VCPUS);
		goto out;
	}
	bb.tid = rtvm_vm_get_vcpu_tid(vm, BOOST_VCPU);
	if (check_policy(bb.tid, SCHED_OTHER, 0, "at the start") < 0)
		goto out;

	/* Can this process give SCHED_FIFO at all?  Once, and back. */
	r = setattr(bb.tid, &attr_fifo);
	if (r < 0) {
		if (r == -EPERM)
			fprintf(stderr,
				"bench-boost: SCHED_FIFO is refused (EPERM) "
				"even as root: the cpu cgroup of this process "
				"has no RT runtime (CONFIG_RT_GROUP_SCHED with "
				"cpu.rt_runtime_us 0); run it from a cgroup "
				"that has RT runtime\n");
		else
			fprintf(stderr, "bench-boost: sched_setattr: %s\n",
				strerror(-r));
		goto out;
	}
	if (setattr(bb.tid, &attr_other) < 0 ||
	    check_policy(bb.tid, SCHED_OTHER, 0, "after the probe") < 0)
		goto out;

	/* The broker, and the socket it accepts the guest's channels on. */
	r = rtvm_boost_new(ctx, 0, &br.b);
	if (r == 0)
		r = rtvm_boost_add_vm(br.b, vm, &policy, &br.id);
	if (r < 0) {
		fprintf(stderr, "bench-boost: the broker: %s\n", strerror(-r));
		goto out;
	}
	if (!mkdtemp(dir)) {
		fprintf(stderr, "bench-boost: mkdtemp: %s\n", strerror(errno));
		goto out;
	}
	have_dir = true;
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s/boost.sock", dir);
	br.listen_fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC |
					       SOCK_NONBLOCK, 0);
	if (br.listen_fd < 0 ||
	    bind(br.listen_fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 ||
	    (have_sock = true, listen(br.listen_fd, 4) < 0) ||
	    pipe2(br.wake, O_CLOEXEC) < 0 ||
	    socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0) {
		fprintf(stderr, "bench-boost: the socket %s: %s\n", sa.sun_path,
			strerror(errno));
		goto out;
	}
	bb.echo_fd = sv[0];
	bb.br = &br;
	/* The doorbell: the broker is its ivshmem server. */
	snprintf(bell_path, sizeof(bell_path), "%s/bell.sock", dir);
	r = rtvm_boost_add_doorbell(br.b, br.id, bell_path, 1, 0);
	bb.be.efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (r < 0 || bb.be.efd < 0) {
		fprintf(stderr, "bench-boost: the doorbell %s: %s\n", bell_path,
			strerror(r < 0 ? -r : errno));
		goto out;
	}

	/* The helper threads leave the signals to the main thread. */
	sigemptyset(&block);
	sigaddset(&block, SIGINT);
	sigaddset(&block, SIGTERM);
	sigaddset(&block, SIGHUP);
	pthread_sigmask(SIG_BLOCK, &block, &old);
	r = pthread_create(&br.thread, NULL, broker_main, &br);
	if (r == 0) {
		br.running = true;
		r = pthread_getcpuclockid(br.thread, &br.cpu_clock);
	}
	if (r == 0) {
		r = pthread_create(&echo_thread, NULL, echo_main, &sv[1]);
		echo_running = r == 0;
	}
	if (r == 0)
		r = pthread_getcpuclockid(echo_thread, &echo_clock);
	if (r == 0) {
		r = pthread_create(&bell_echo_thread, NULL, bell_echo_main,
				   &bb.be);
		bell_echo_running = r == 0;
	}
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (r != 0) {
		fprintf(stderr, "bench-boost: threads: %s\n", strerror(r));
		goto out;
	}

	/* The guest's channel. */
	r = rtvm_boost_guest_open(sa.sun_path, CALL_TIMEOUT_MS, &bb.g);
	if (r < 0) {
		fprintf(stderr, "bench-boost: rtvm_boost_guest_open(%s): %s\n",
			sa.sun_path, strerror(-r));
		report_broker_error(&br);
		goto out;
	}
	lim = rtvm_boost_guest_get_limits(bb.g);
	if (lim->vcpu != NR_VCPUS ||
	    !(lim->policy & RTVM_BOOST_ALLOW(RTVM_BOOST_SCHED_FIFO)) ||
	    lim->priority < RT_PRIO) {
		fprintf(stderr, "bench-boost: the HELLO's ACK says %u vCPUs, "
				"policies %#x, ceiling %u\n",
			lim->vcpu, lim->policy, lim->priority);
		goto out;
	}

	/* QEMU's side of the doorbell (the broker thread answers), then the
	 * guest's. */
	r = ivc_connect(bell_path, &qemu);
	if (r == 0)
		r = ivc_setup(&qemu, 1);
	if (r == 0)
		r = rtvm_boost_bell_open_fd(qemu.shm, qemu.ring, &bb.bell);
	if (r < 0) {
		fprintf(stderr, "bench-boost: the doorbell's client: %s\n",
			strerror(-r));
		report_broker_error(&br);
		goto out;
	}

	/* Untimed: chrt, then warm-up rounds that check every variant. */
	fprintf(stderr, "warm-up...\n");
	probe_chrt(&bb);
	for (int w = 0; w < WARMUP_ROUNDS && !stop; w++)
		for (int k = 0; k < NR_UNITS; k++)
			if ((k != U_CHRT || w == 0) &&
			    run_unit(&bb, k, false, (uint32_t)w) < 0)
				goto out;

	fprintf(stderr, "%ld rounds...\n", runs);
	if (broker_stats(&br, &sm.lat_before) == 0)
		sm.lat_stats = true;
	{
		uint64_t h0 = atomic_load(&br.handled);
		uint64_t c0 = clock_ns(br.cpu_clock);
		uint64_t e0 = clock_ns(echo_clock);

		for (long round = 0; round < runs && !stop; round++)
			for (int k = 0; k < NR_UNITS && !stop; k++)
				if (run_unit(&bb, (int)((round + k) % NR_UNITS),
					     true, (uint32_t)round) < 0)
					goto out;
		sm.lat_cpu_ms = (double)(clock_ns(br.cpu_clock) - c0) / 1e6;
		sm.lat_requests = atomic_load(&br.handled) - h0;
		sm.echo_cpu_ms = (double)(clock_ns(echo_clock) - e0) / 1e6;
	}
	if (sm.lat_stats && broker_stats(&br, &sm.lat_after) < 0)
		sm.lat_stats = false;

	if (flood_n && !stop) {
		/* Once at the VM's rate (what the counters say about it),
		 * once with the rate limit out of the way: the most a policy
		 * allows, a token a nanosecond, so every QUERY is judged. */
		struct rtvm_boost_policy unlimited = policy;

		unlimited.rate = 1000000000;
		sm.flood[0] = (struct flood_result){
			.label = "at the VM's rate limit",
			.rate = policy.rate, .burst = policy.burst };
		sm.flood[1] = (struct flood_result){
			.label = "rate limit out of the way",
			.rate = unlimited.rate, .burst = unlimited.burst };
		fprintf(stderr, "floods of %" PRIu64 " requests...\n", flood_n);
		if (run_flood(&br, sa.sun_path, flood_n, &sm.flood[0]) < 0 &&
		    !stop)
			goto out;
		if (!stop) {
			pthread_mutex_lock(&br.lock);
			r = rtvm_boost_set_policy(br.b, br.id, &unlimited);
			pthread_mutex_unlock(&br.lock);
			if (r < 0) {
				fprintf(stderr, "bench-boost: "
						"rtvm_boost_set_policy: %s\n",
					strerror(-r));
				goto out;
			}
		}
		if (!stop &&
		    run_flood(&br, sa.sun_path, flood_n, &sm.flood[1]) < 0 &&
		    !stop)
			goto out;
	}
	if (stop)
		fprintf(stderr, "interrupted: printing what was measured\n");

	for (int i = 0; i < NR_VARIANTS; i++)
		if (bb.s[i].n)
			bench_stats(bb.s[i].us, bb.s[i].n, &bb.s[i].st);
	if (json)
		print_json(&bb, &sm, runs);
	else
		print_text(&bb, &sm, runs);
	ret = 0;
out:
	bb.g = rtvm_boost_guest_close(bb.g);
	bb.bell = rtvm_boost_bell_close(bb.bell);
	ivc_close(&qemu);
	if (bell_echo_running) {
		uint64_t one = 1;

		atomic_store(&bb.be.quit, true);
		if (write(bb.be.efd, &one, sizeof(one)) != sizeof(one))
			pthread_cancel(bell_echo_thread);
		pthread_join(bell_echo_thread, NULL);
	}
	if (bb.be.efd >= 0)
		close(bb.be.efd);
	if (br.running) {
		char c = 0;

		if (write(br.wake[1], &c, 1) != 1)
			pthread_cancel(br.thread);
		pthread_join(br.thread, NULL);
	}
	/* Ends every boost: the thread gets back what it had. */
	br.b = rtvm_boost_unref(br.b);
	if (echo_running) {
		shutdown(sv[0], SHUT_RDWR);
		pthread_join(echo_thread, NULL);
	}
	if (child > 0 && bb.tid > 0)
		setattr(bb.tid, &attr_other); /* whatever a failure left */
	bench_vm_stop(&fake);
	for (int i = 0; i < 2; i++) {
		if (sv[i] >= 0)
			close(sv[i]);
		if (br.wake[i] >= 0)
			close(br.wake[i]);
	}
	if (br.listen_fd >= 0)
		close(br.listen_fd);
	if (have_sock)
		unlink(sa.sun_path);
	if (have_dir)
		rmdir(dir);
	if (bb.devnull >= 0)
		close(bb.devnull);
	rtvm_vm_unref(vm);
	rtvm_unref(ctx);
	for (int i = 0; i < NR_VARIANTS; i++) {
		free(bb.s[i].us);
		free(bb.s[i].same);
	}
	return ret;

bad_usage:
	usage(stderr);
	return 2;
}
