/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * rtvm-guest: the guest's side of boost (co-scheduling), run inside a
 * Linux guest.  It asks the host's broker, over the virtio-serial channel
 * org.librtvm.boost.0, to raise the thread of one of the guest's vCPUs to
 * an RT policy while a command runs, and to drop it after.
 *
 *   rtvm-guest hello                      the VM's limits
 *   rtvm-guest boost --fifo 10 -- CMD...  CMD on a boosted vCPU
 *   rtvm-guest bench --count 1000         request -> acknowledgement
 *   rtvm-guest auto --fifo 10             boost each vCPU while an RT task
 *                                         of the guest is runnable on it
 *
 * It uses librtvm's guest API only (libc and the message code), so that
 * it can also be linked static for small guests.
 */
#include "config.h"

#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/wait.h>
#include <poll.h>
#include <time.h>
#include <unistd.h>

#include <rtvm/boost.h>

#include "guest-auto.h"

#define EXIT_USAGE 64

static const char *prog = "rtvm-guest";

static void usage(FILE *f)
{
	fprintf(f,
		"Usage: %s [OPTION]... hello\n"
		"       %s [OPTION]... boost POLICY [--vcpu N] [--until US] -- CMD [ARG]...\n"
		"       %s [OPTION]... bench [--vcpu N] [--count N] [--interval US]\n"
		"       %s [OPTION]... auto [POLICY] [--vcpu N] [--hysteresis US]\n"
		"Ask the host to raise a vCPU of this guest to an RT policy (boost)\n"
		"and to drop it after, through librtvm's broker (rtvm-boost(7)).\n"
		"\n"
		"POLICY: --fifo PRIO, --rr PRIO or --deadline RUNTIME:DEADLINE[:PERIOD]\n"
		"(microseconds).  boost runs CMD on vCPU N (default: the CPU this\n"
		"program starts on) while it is boosted, renews the boost when the\n"
		"host ends it at its grant, deboosts when CMD exits and exits with\n"
		"CMD's status.  auto boosts each vCPU while an RT task (FIFO, RR,\n"
		"DEADLINE) of the guest is runnable on it (default --fifo 1; a\n"
		"priority above the VM's ceiling is lowered to it) until SIGINT or\n"
		"SIGTERM.\n"
		"\n"
		"  -p, --port PATH     the channel: a virtio-serial port or a Unix\n"
		"                      socket (default " RTVM_BOOST_GUEST_PORT ")\n"
		"  -d, --doorbell DIR  boost, bench: the doorbell instead, an ivshmem\n"
		"                      PCI device's directory or a directory of them\n"
		"                      (" RTVM_BOOST_BELL_DEVICES ")\n"
		"  -t, --timeout MS    wait this long for the host (default 5000)\n"
		"  -c, --vcpu N        the vCPU to boost\n"
		"  -u, --until US      ask for at most this long per boost\n"
		"  -n, --count N       bench: boost/deboost pairs (default 1000)\n"
		"  -i, --interval US   bench: pause between pairs (default 1000)\n"
		"      --hysteresis US auto: deboost this long after the last RT\n"
		"                      task stops being runnable (default 50)\n"
		"      --tracefs DIR   auto: tracefs (default /sys/kernel/tracing,\n"
		"                      then /sys/kernel/debug/tracing)\n"
		"      --mount-tracefs auto: mount tracefs on /sys/kernel/tracing\n"
		"                      when none is mounted (unmounted at exit)\n"
		"  -j, --json          print JSON\n"
		"  -h, --help          show this help\n"
		"  -V, --version       show the version\n"
		"\n"
		"Exit status: 0, 1 (refused, no host), 64 (bad usage); boost: CMD's.\n",
		prog, prog, prog, prog);
}

static void fail_usage(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void fail_usage(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "%s: ", prog);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\nTry '%s --help'.\n", prog);
	exit(EXIT_USAGE);
}

static unsigned long parse_num(const char *what, const char *s,
			       unsigned long max)
{
	char *end;
	unsigned long v;

	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno || end == s || *end || v > max || s[0] == '-') {
		fprintf(stderr, "%s: bad %s \"%s\" (0..%lu)\n", prog, what, s,
			max);
		exit(EXIT_USAGE);
	}
	return v;
}

static const char *policy_name(unsigned int p)
{
	switch (p) {
	case RTVM_BOOST_SCHED_OTHER: return "other";
	case RTVM_BOOST_SCHED_FIFO: return "fifo";
	case RTVM_BOOST_SCHED_RR: return "rr";
	case RTVM_BOOST_SCHED_DEADLINE: return "deadline";
	default: return "?";
	}
}

static int64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static struct rtvm_boost_guest *open_or_die(const char *port, int timeout)
{
	struct rtvm_boost_guest *g;
	int r = rtvm_boost_guest_open(port, timeout, &g);

	if (r < 0) {
		fprintf(stderr, "%s: %s: %s%s\n", prog,
			port ? port : RTVM_BOOST_GUEST_PORT, strerror(-r),
			r == -ENOENT ? " (does the VM have the channel "
				       "org.librtvm.boost.0?)"
			: r == -ETIMEDOUT ? " (no broker answered: is "
					    "rtvm-boostd running on the host?)"
					  : "");
		exit(1);
	}
	return g;
}

/* ---- hello ---------------------------------------------------------------- */

static int cmd_hello(struct rtvm_boost_guest *g, bool json)
{
	const struct rtvm_boost_msg *l = rtvm_boost_guest_get_limits(g);
	char pols[64] = "";

	for (unsigned int p = 1; p < 8; p++)
		if (l->policy & RTVM_BOOST_ALLOW(p)) {
			if (json)
				snprintf(pols + strlen(pols), sizeof(pols) - strlen(pols),
					 "%s\"%s\"", pols[0] ? "," : "", policy_name(p));
			else
				snprintf(pols + strlen(pols), sizeof(pols) - strlen(pols),
					 "%s%s", pols[0] ? "," : "", policy_name(p));
		}
	/* Version 2: how far ahead a boost may be armed (start_us). */
	if (json)
		printf("{\"version\":%u,\"vcpus\":%u,\"policies\":[%s],"
		       "\"ceiling\":%u,\"max_boost_us\":%" PRIu32 ","
		       "\"budget_us\":%" PRIu32 ",\"budget_period_us\":%" PRIu32
		       ",\"max_lead_us\":%" PRIu32 "}\n",
		       l->version, l->vcpu, pols, l->priority, l->until_us,
		       l->runtime_us, l->period_us,
		       l->version >= 2 ? l->deadline_us : 0);
	else
		printf("protocol version %u, %u vCPUs; policies %s, priority "
		       "ceiling %u; longest boost %" PRIu32 " us; budget %" PRIu32
		       " us per %" PRIu32 " us per vCPU; boosts armed up to %"
		       PRIu32 " us ahead\n",
		       l->version, l->vcpu, pols[0] ? pols : "none", l->priority,
		       l->until_us, l->runtime_us, l->period_us,
		       l->version >= 2 ? l->deadline_us : 0);
	return 0;
}

/* ---- boost ---------------------------------------------------------------- */

static const char *refusal(const struct rtvm_boost_guest *g,
			   const struct rtvm_boost_msg *ack, char *buf,
			   size_t size)
{
	const struct rtvm_boost_msg *l = rtvm_boost_guest_get_limits(g);
	const char *name = rtvm_boost_reason_to_string(ack->status);

	if (ack->status == RTVM_BOOST_CEILING)
		snprintf(buf, size, "ceiling (this VM may ask for priority %u "
				    "at most)", l->priority);
	else if (ack->status == RTVM_BOOST_BAD_VCPU)
		snprintf(buf, size, "vcpu (the host sees %u vCPUs)", l->vcpu);
	else
		snprintf(buf, size, "%s", name ? name : "unknown reason");
	return buf;
}

static int do_call(struct rtvm_boost_guest *g, struct rtvm_boost_msg *req,
		   struct rtvm_boost_msg *ack, int timeout)
{
	int r = rtvm_boost_guest_call(g, req, ack, timeout);

	if (r < 0) {
		fprintf(stderr, "%s: no answer from the host: %s\n", prog,
			strerror(-r));
		return -1;
	}
	return 0;
}

/* The guest's CPU N is vCPU N: a boosted command runs there. */
static int pin_to_vcpu(unsigned int vcpu)
{
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(vcpu, &set);
	if (sched_setaffinity(0, sizeof(set), &set) < 0) {
		fprintf(stderr, "%s: cannot run on CPU %u: %s\n", prog, vcpu,
			strerror(errno));
		return -1;
	}
	return 0;
}

/* Start CMD; @close_fd (>= 0) is the channel, not CMD's to keep. */
static pid_t spawn(char **argv, int close_fd)
{
	pid_t pid = fork();

	if (pid < 0)
		fprintf(stderr, "%s: fork: %s\n", prog, strerror(errno));
	if (pid == 0) {
		signal(SIGPIPE, SIG_DFL);
		if (close_fd >= 0)
			close(close_fd);
		execvp(argv[0], argv);
		fprintf(stderr, "%s: %s: %s\n", prog, argv[0], strerror(errno));
		_exit(127);
	}
	return pid;
}

static int cmd_boost(struct rtvm_boost_guest *g, struct rtvm_boost_msg *req,
		     char **argv, int timeout)
{
	struct rtvm_boost_msg ack, deboost = { .type = RTVM_BOOST_DEBOOST,
					       .vcpu = req->vcpu };
	struct rtvm_boost_msg boost = *req;
	char why[128];
	int status = 0, r;
	pid_t pid;

	if (pin_to_vcpu(req->vcpu) < 0)
		return 1;
	if (do_call(g, &boost, &ack, timeout) < 0)
		return 1;
	if (ack.status) {
		fprintf(stderr, "%s: boost refused: %s\n", prog,
			refusal(g, &ack, why, sizeof(why)));
		return 1;
	}
	if ((pid = spawn(argv, rtvm_boost_guest_get_fd(g))) < 0) {
		status = 1;
		goto out;
	}
	for (bool watch = true;;) {
		struct pollfd p = { .fd = rtvm_boost_guest_get_fd(g),
				    .events = POLLIN };
		pid_t w = waitpid(pid, &status, watch ? WNOHANG : 0);

		if (w == pid)
			break;
		if (!watch || poll(&p, 1, 20) <= 0 || !(p.revents & (POLLIN | POLLHUP)))
			continue;
		if ((r = rtvm_boost_guest_recv(g, &ack, 0)) == -EAGAIN)
			continue;
		if (r < 0) {
			/* the host end is gone: CMD runs on, unboosted */
			fprintf(stderr, "%s: the channel failed (%s); %s runs on "
				"without boost\n", prog, strerror(-r), argv[0]);
			watch = false;
			continue;
		}
		if (ack.type == (RTVM_BOOST_BOOST | RTVM_BOOST_ACK) && ack.status)
			fprintf(stderr, "%s: renewal refused: %s\n", prog,
				refusal(g, &ack, why, sizeof(why)));
		if (ack.type != (RTVM_BOOST_DEBOOST | RTVM_BOOST_ACK) || !ack.status)
			continue;
		/* The host ended the boost at its grant: ask again.  At the
		 * end of the budget, CMD goes on unboosted. */
		if (ack.status != RTVM_BOOST_EXPIRED) {
			fprintf(stderr, "%s: the host ended the boost: %s\n", prog,
				rtvm_boost_reason_to_string(ack.status));
			continue;
		}
		boost = *req;
		if ((r = rtvm_boost_guest_send(g, &boost)) < 0)
			fprintf(stderr, "%s: cannot renew the boost: %s\n", prog,
				strerror(-r));
	}
	status = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
out:
	if (do_call(g, &deboost, &ack, timeout) < 0)
		return status ? status : 1;
	if (ack.status) {
		fprintf(stderr, "%s: deboost refused: %s\n", prog,
			refusal(g, &ack, why, sizeof(why)));
		return status ? status : 1;
	}
	return status;
}

/* ---- bench ---------------------------------------------------------------- */

static int cmp_i64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;

	return (x > y) - (x < y);
}

static void stat_line(const char *what, int64_t *v, unsigned long n,
		      bool json, bool last)
{
	qsort(v, n, sizeof(*v), cmp_i64);
	if (json)
		printf("\"%s\":{\"median_us\":%.1f,\"p99_us\":%.1f,"
		       "\"max_us\":%.1f}%s",
		       what, v[n / 2] / 1e3, v[n * 99 / 100] / 1e3, v[n - 1] / 1e3,
		       last ? "" : ",");
	else
		printf("%-8s median %8.1f us   p99 %8.1f us   max %8.1f us\n", what,
		       v[n / 2] / 1e3, v[n * 99 / 100] / 1e3, v[n - 1] / 1e3);
}

static int cmd_bench(struct rtvm_boost_guest *g, unsigned int vcpu,
		     unsigned long count, unsigned long interval, int timeout,
		     bool json)
{
	const struct rtvm_boost_msg *l = rtvm_boost_guest_get_limits(g);
	int64_t *tb = calloc(count, sizeof(*tb)), *td = calloc(count, sizeof(*td));
	unsigned long refused = 0, n = 0;
	struct timespec pause = { (time_t)(interval / 1000000),
				  (long)(interval % 1000000) * 1000 };
	uint8_t policy = (l->policy & RTVM_BOOST_ALLOW(RTVM_BOOST_SCHED_FIFO))
				 ? RTVM_BOOST_SCHED_FIFO : RTVM_BOOST_SCHED_RR;

	if (!tb || !td) {
		fprintf(stderr, "%s: out of memory\n", prog);
		goto fail;
	}
	if (!(l->policy & (RTVM_BOOST_ALLOW(RTVM_BOOST_SCHED_FIFO) |
			   RTVM_BOOST_ALLOW(RTVM_BOOST_SCHED_RR)))) {
		fprintf(stderr, "%s: bench boosts with FIFO or RR, and this VM "
			"may use neither\n", prog);
		goto fail;
	}
	for (unsigned long i = 0; i < count; i++) {
		struct rtvm_boost_msg b = { .type = RTVM_BOOST_BOOST, .vcpu = (uint16_t)vcpu,
					    .policy = policy, .priority = 1 };
		struct rtvm_boost_msg d = { .type = RTVM_BOOST_DEBOOST, .vcpu = (uint16_t)vcpu };
		struct rtvm_boost_msg ack;
		int64_t t0 = now_ns(), t1, t2;

		int boost_status;

		if (do_call(g, &b, &ack, timeout) < 0)
			goto fail;
		t1 = now_ns();
		boost_status = ack.status;
		if (do_call(g, &d, &ack, timeout) < 0)
			goto fail;
		t2 = now_ns();
		if (boost_status || ack.status) {
			refused++;
		} else {
			tb[n] = t1 - t0;
			td[n++] = t2 - t1;
		}
		if (interval)
			nanosleep(&pause, NULL);
	}
	if (!n) {
		fprintf(stderr, "%s: every request was refused\n", prog);
		goto fail;
	}
	if (json) {
		printf("{\"pairs\":%lu,\"refused\":%lu,", n, refused);
		stat_line("boost", tb, n, true, false);
		stat_line("deboost", td, n, true, true);
		printf("}\n");
	} else {
		printf("%lu boost/deboost pairs on vCPU %u (%lu refused), "
		       "request -> acknowledgement:\n", n, vcpu, refused);
		stat_line("boost", tb, n, false, false);
		stat_line("deboost", td, n, false, true);
	}
	free(tb);
	free(td);
	return 0;
fail:
	free(tb);
	free(td);
	return 1;
}

/* ---- the doorbell (--doorbell) ------------------------------------------ */

/* Post and look for the answer every 20 us, at most @timeout ms: the tool
 * wants it, the doorbell itself never waits. */
static int bell_call(struct rtvm_boost_bell *g, struct rtvm_boost_msg *req,
		     struct rtvm_boost_msg *ack, int timeout)
{
	int64_t end = now_ns() + (int64_t)timeout * 1000000;
	struct timespec tick = { 0, 20000 };
	struct rtvm_boost_msg m = *req;
	int r;

	while ((r = rtvm_boost_bell_post(g, &m)) == -EBUSY && now_ns() < end)
		nanosleep(&tick, NULL);
	if (r == 0)
		while ((r = rtvm_boost_bell_get_ack(g, req->vcpu, ack)) ==
		       -EAGAIN && now_ns() < end)
			nanosleep(&tick, NULL);
	if (r < 0) {
		fprintf(stderr, "%s: no answer from the host: %s\n", prog,
			strerror(r == -EAGAIN || r == -EBUSY ? ETIMEDOUT : -r));
		return -1;
	}
	return 0;
}

/* boost over the doorbell: the host says nothing when a grant ends, so
 * the boost is asked again when its grant (the ACK's until_us) is over. */
static int cmd_bell_boost(struct rtvm_boost_bell *g, struct rtvm_boost_msg *req,
			  char **argv, int timeout)
{
	struct rtvm_boost_msg ack, deboost = { .type = RTVM_BOOST_DEBOOST,
					       .vcpu = req->vcpu };
	struct timespec tick = { 0, 1000000 };
	int64_t renew;
	int status = 0;
	pid_t pid;

	if (pin_to_vcpu(req->vcpu) < 0)
		return 1;
	if (bell_call(g, req, &ack, timeout) < 0)
		return 1;
	if (ack.status) {
		fprintf(stderr, "%s: boost refused: %s\n", prog,
			rtvm_boost_reason_to_string(ack.status));
		return 1;
	}
	renew = now_ns() + (int64_t)ack.until_us * 1000;
	if ((pid = spawn(argv, -1)) < 0) {
		status = 1;
		goto out;
	}
	while (waitpid(pid, &status, WNOHANG) != pid) {
		struct rtvm_boost_msg m = *req;

		if (renew > 0 && now_ns() >= renew &&
		    rtvm_boost_bell_post(g, &m) == 0)
			renew = 0;
		if (!renew && rtvm_boost_bell_get_ack(g, req->vcpu, &ack) == 0) {
			if (ack.status)
				fprintf(stderr, "%s: renewal refused: %s; %s "
					"runs on without boost\n", prog,
					rtvm_boost_reason_to_string(ack.status),
					argv[0]);
			renew = ack.status ? -1 : now_ns() +
				(int64_t)ack.until_us * 1000;
		}
		nanosleep(&tick, NULL);
	}
	status = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
out:
	if (bell_call(g, &deboost, &ack, timeout) < 0)
		return status ? status : 1;
	return status;
}

static int cmd_bell_bench(struct rtvm_boost_bell *g, unsigned int vcpu,
			  unsigned long count, unsigned long interval,
			  int timeout, bool json)
{
	int64_t *tb = calloc(count, sizeof(*tb)), *td = calloc(count, sizeof(*td));
	struct timespec pause = { (time_t)(interval / 1000000),
				  (long)(interval % 1000000) * 1000 };
	unsigned long refused = 0, n = 0;
	int r = 1;

	for (unsigned long i = 0; tb && td && i < count; i++) {
		struct rtvm_boost_msg b = { .type = RTVM_BOOST_BOOST, .vcpu = (uint16_t)vcpu,
					    .policy = RTVM_BOOST_SCHED_FIFO, .priority = 1 };
		struct rtvm_boost_msg d = { .type = RTVM_BOOST_DEBOOST, .vcpu = (uint16_t)vcpu };
		struct rtvm_boost_msg ab, ad;
		int64_t t0 = now_ns(), t1;

		if (bell_call(g, &b, &ab, timeout) < 0)
			goto out;
		t1 = now_ns();
		if (bell_call(g, &d, &ad, timeout) < 0)
			goto out;
		if (ab.status || ad.status) {
			refused++;
		} else {
			tb[n] = t1 - t0;
			td[n++] = now_ns() - t1;
		}
		if (interval)
			nanosleep(&pause, NULL);
	}
	if (!n) {
		fprintf(stderr, "%s: %s\n", prog, tb && td ? "every request "
			"was refused" : "out of memory");
		goto out;
	}
	if (json) {
		printf("{\"transport\":\"doorbell\",\"pairs\":%lu,\"refused\":%lu,",
		       n, refused);
		stat_line("boost", tb, n, true, false);
		stat_line("deboost", td, n, true, true);
		printf("}\n");
	} else {
		printf("%lu boost/deboost pairs on vCPU %u over the doorbell "
		       "(%lu refused), request -> acknowledgement:\n", n, vcpu,
		       refused);
		stat_line("boost", tb, n, false, false);
		stat_line("deboost", td, n, false, true);
	}
	r = 0;
out:
	free(tb);
	free(td);
	return r;
}

static int run_bell(const char *dir, const char *cmd,
		    struct rtvm_boost_msg *req, char **argv,
		    unsigned long count, unsigned long interval, int timeout,
		    bool json)
{
	struct rtvm_boost_bell *g;
	int r = rtvm_boost_bell_open(dir, &g);

	if (r < 0) {
		fprintf(stderr, "%s: %s: %s%s\n", prog, dir, strerror(-r),
			r == -ENODEV ? " (no ivshmem device with a librtvm "
				       "doorbell: is rtvm-boostd its server?)"
				     : "");
		return 1;
	}
	if (req->vcpu >= rtvm_boost_bell_get_nr_vcpus(g)) {
		fprintf(stderr, "%s: the doorbell has %u vCPUs, no vCPU %u\n",
			prog, rtvm_boost_bell_get_nr_vcpus(g), req->vcpu);
		r = 1;
	} else if (strcmp(cmd, "boost") == 0) {
		r = cmd_bell_boost(g, req, argv, timeout);
	} else {
		r = cmd_bell_bench(g, req->vcpu, count, interval, timeout, json);
	}
	rtvm_boost_bell_close(g);
	return r;
}

/* ---- auto ----------------------------------------------------------------- */

struct auto_opts {
	int64_t hysteresis_ns;
	const char *tracefs;
	bool mount_tracefs, json;
	int vcpu; /* -1: every vCPU */
};

static volatile sig_atomic_t auto_stop;

static void on_stop(int sig)
{
	(void)sig;
	auto_stop = 1;
}

/* The BOOST that auto sends: what was asked, within what HELLO allows. */
static int auto_request(const struct rtvm_boost_msg *l,
			struct rtvm_boost_msg *req)
{
	if (!req->policy) {
		req->policy = (l->policy & RTVM_BOOST_ALLOW(RTVM_BOOST_SCHED_FIFO))
				      ? RTVM_BOOST_SCHED_FIFO : RTVM_BOOST_SCHED_RR;
		req->priority = 1;
	}
	if (!(l->policy & RTVM_BOOST_ALLOW(req->policy))) {
		fprintf(stderr, "%s: auto: this VM may not ask for %s (see "
			"'%s hello')\n", prog, policy_name(req->policy), prog);
		return -1;
	}
	if (req->policy != RTVM_BOOST_SCHED_DEADLINE &&
	    req->priority > l->priority) {
		if (!l->priority) {
			fprintf(stderr, "%s: auto: this VM's priority ceiling is "
				"0\n", prog);
			return -1;
		}
		fprintf(stderr, "%s: auto: priority %u is above this VM's "
			"ceiling; asking for %u\n", prog, req->priority,
			l->priority);
		req->priority = l->priority;
	}
	return 0;
}

struct auto_count {
	uint64_t boosts, deboosts, records, lost, refused, ended;
};

/* The host's answers: refusals are counted (and named once per reason),
 * a grant that ran out is asked for again while RT work is runnable. */
static int auto_acks(struct rtvm_boost_guest *g, struct ga *a,
		     const uint32_t *boost_seq, const uint32_t *deboost_seq,
		     unsigned int nr, struct auto_count *n, uint32_t *told,
		     bool *retry)
{
	struct rtvm_boost_msg ack;
	int r;

	while ((r = rtvm_boost_guest_recv(g, &ack, 0)) == 0) {
		bool mine = ack.vcpu < nr && ack.seq == boost_seq[ack.vcpu];
		char why[128];

		if (!ack.status)
			continue;
		if (ack.type == (RTVM_BOOST_DEBOOST | RTVM_BOOST_ACK) && mine) {
			n->ended++;
			ga_host_ended(a, ack.vcpu, ack.status == RTVM_BOOST_EXPIRED);
			if (ack.status == RTVM_BOOST_EXPIRED)
				continue;
		} else {
			n->refused++;
			if (ack.type == (RTVM_BOOST_BOOST | RTVM_BOOST_ACK) && mine)
				ga_host_ended(a, ack.vcpu, false);
			/* A deboost refused for the rate leaves the vCPU
			 * boosted: it is asked for again a moment later,
			 * unless a boost has been asked for since. */
			if (ack.type == (RTVM_BOOST_DEBOOST | RTVM_BOOST_ACK) &&
			    ack.vcpu < nr && ack.seq == deboost_seq[ack.vcpu] &&
			    ack.status == RTVM_BOOST_RATE &&
			    !ga_boosted(a, ack.vcpu)) {
				ga_sent(a, ack.vcpu, true);
				*retry = true;
			}
		}
		if (ack.status < 32 && !(*told & (1u << ack.status))) {
			*told |= 1u << ack.status;
			fprintf(stderr, "%s: auto: the host %s vCPU %u: %s\n", prog,
				ack.type == (RTVM_BOOST_DEBOOST | RTVM_BOOST_ACK) && mine
					? "ended the boost of" : "refused a request for",
				ack.vcpu, refusal(g, &ack, why, sizeof(why)));
		}
	}
	if (r == -EAGAIN)
		return 0;
	fprintf(stderr, "%s: auto: the channel failed: %s\n", prog, strerror(-r));
	return -1;
}

/* Post what each vCPU needs now: 1 when the channel was full for some, -1
 * when it failed. */
static int auto_post(struct rtvm_boost_guest *g, struct ga *a,
		     const struct rtvm_boost_msg *req, const struct auto_opts *o,
		     uint32_t *boost_seq, uint32_t *deboost_seq, unsigned int nr,
		     struct auto_count *n)
{
	int64_t now = now_ns();
	int full = 0;

	for (unsigned int c = 0; c < nr; c++) {
		struct rtvm_boost_msg m = { .type = RTVM_BOOST_DEBOOST,
					    .vcpu = (uint16_t)c };
		int want = ga_action(a, c, now), r;

		if (want < 0 || (o->vcpu >= 0 && (unsigned int)o->vcpu != c))
			continue;
		if (want)
			m = *req;
		m.vcpu = (uint16_t)c;
		r = rtvm_boost_guest_send(g, &m);
		if (r == -EAGAIN) {
			full = 1;
			continue;
		}
		if (r < 0) {
			fprintf(stderr, "%s: auto: cannot post a request: %s\n",
				prog, strerror(-r));
			return -1;
		}
		ga_sent(a, c, want);
		if (want) {
			boost_seq[c] = m.seq;
			n->boosts++;
		} else {
			deboost_seq[c] = m.seq;
			n->deboosts++;
		}
	}
	return full;
}

static int auto_open_trace(const struct auto_opts *o, unsigned int nr_cpus,
			   struct ga_trace **ret, char *dir, size_t size,
			   bool *mounted)
{
	const char *what;
	int r = ga_tracefs_find(o->tracefs, o->mount_tracefs, dir, size, mounted);

	if (r == -ENOENT && !*mounted) {
		if (o->tracefs)
			fprintf(stderr, "%s: auto: %s has no events/sched "
				"(not a tracefs?)\n", prog, o->tracefs);
		else
			fprintf(stderr, "%s: auto: tracefs is not mounted (neither "
				"/sys/kernel/tracing nor /sys/kernel/debug/tracing "
				"has events/sched); mount it with 'mount -t tracefs "
				"nodev /sys/kernel/tracing', or give --mount-tracefs\n",
				prog);
		return -1;
	}
	if (r < 0) {
		fprintf(stderr, "%s: auto: cannot mount tracefs on "
			"/sys/kernel/tracing: %s\n", prog, strerror(-r));
		return -1;
	}
	r = ga_trace_open(dir, nr_cpus, getpid(), 16, ret, &what);
	if (r < 0) {
		fprintf(stderr, "%s: auto: %s: %s%s\n", prog, what, strerror(-r),
			r == -EACCES || r == -EPERM
				? " (events of every CPU need root or CAP_PERFMON; "
				  "see /proc/sys/kernel/perf_event_paranoid)" : "");
		return -1;
	}
	return 0;
}

/* How often the tasks counted runnable are looked at in /proc. */
#define AUTO_RECHECK_NS 20000000LL

/* Every RT task runnable now, from /proc (@lost: after a ring lost
 * records, which is said once). */
static void auto_scan(struct ga *a, bool lost)
{
	static bool told;
	int64_t t0 = now_ns(); /* before the look: see ga_observe() */
	int r = ga_scan(a, "/proc", t0);

	if (lost && !told) {
		fprintf(stderr, "%s: auto: the kernel dropped trace records (a "
			"ring was full); the tasks are looked at in /proc "
			"instead\n", prog);
		told = true;
	}
	if (r < 0)
		fprintf(stderr, "%s: auto: cannot read /proc: %s\n", prog,
			strerror(-r));
	/* what the scan did not see as runnable, the recheck looks at */
	ga_recheck(a, "/proc", t0);
}

static int cmd_auto(struct rtvm_boost_guest *g, struct rtvm_boost_msg *req,
		    const struct auto_opts *o, int timeout)
{
	const struct rtvm_boost_msg *l = rtvm_boost_guest_get_limits(g);
	long conf = sysconf(_SC_NPROCESSORS_CONF);
	unsigned int nr_cpus = conf > 0 ? (unsigned int)conf : 1;
	unsigned int nr = nr_cpus < l->vcpu ? nr_cpus : l->vcpu;
	struct sigaction sa = { .sa_handler = on_stop };
	struct auto_count n = {0};
	struct ga_trace *t = NULL;
	struct pollfd *p = NULL;
	uint32_t *boost_seq = NULL, *deboost_seq = NULL, told = 0;
	int64_t next_check = 0;
	uint64_t lost_seen = 0;
	sigset_t block, orig;
	struct ga *a = NULL;
	char dir[4096];
	bool mounted = false;
	int rc = 1, full = 0;

	if (o->vcpu >= 0 && (unsigned int)o->vcpu >= nr) {
		fprintf(stderr, "%s: auto: no vCPU %d (the host sees %u, this "
			"guest %u CPUs)\n", prog, o->vcpu, l->vcpu, nr_cpus);
		return 1;
	}
	if (auto_request(l, req) < 0)
		return 1;
	if (ga_new(nr_cpus, o->hysteresis_ns, &a) < 0 ||
	    !(boost_seq = calloc(nr_cpus, sizeof(*boost_seq))) ||
	    !(deboost_seq = calloc(nr_cpus, sizeof(*deboost_seq))) ||
	    !(p = calloc(nr_cpus + 1, sizeof(*p)))) {
		fprintf(stderr, "%s: out of memory\n", prog);
		goto out;
	}
	/* Stop only between two rounds: the signals wait for ppoll. */
	sigemptyset(&block);
	sigaddset(&block, SIGINT);
	sigaddset(&block, SIGTERM);
	sigprocmask(SIG_BLOCK, &block, &orig);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	if (auto_open_trace(o, nr_cpus, &t, dir, sizeof(dir), &mounted) < 0)
		goto out;
	/* RT work runnable before the rings were enabled has no record
	 * there: the kernel is asked once. */
	auto_scan(a, false);
	p[0] = (struct pollfd){ .fd = rtvm_boost_guest_get_fd(g), .events = POLLIN };
	for (unsigned int i = 0; i < nr_cpus; i++)
		p[i + 1] = (struct pollfd){ .fd = ga_trace_fd(t, i), .events = POLLIN };
	while (!auto_stop) {
		const struct ga_record *rec;
		int64_t due = ga_next_due(a), left;
		struct timespec ts;
		size_t nr_rec;
		bool retry = false;

		if (full)
			due = now_ns() + 1000000; /* the host is not reading */
		if (ga_counted(a, NULL, 0) && next_check < due)
			due = next_check;
		left = due == INT64_MAX ? -1 : due - now_ns();
		if (left < 0 && due != INT64_MAX)
			left = 0;
		ts = (struct timespec){ (time_t)(left / 1000000000),
					(long)(left % 1000000000) };
		if (ppoll(p, nr_cpus + 1, left < 0 ? NULL : &ts, &orig) < 0 &&
		    errno != EINTR) {
			fprintf(stderr, "%s: auto: ppoll: %s\n", prog, strerror(errno));
			goto out;
		}
		if (auto_stop)
			break;
		for (unsigned int i = 1; i <= nr_cpus; i++)
			if (p[i].revents & (POLLHUP | POLLERR)) {
				/* its CPU went offline: what is left is read below */
				fprintf(stderr, "%s: auto: the events of CPU %u "
					"ended\n", prog, i - 1);
				p[i].fd = -1;
			}
		if ((p[0].revents & (POLLIN | POLLHUP | POLLERR)) &&
		    auto_acks(g, a, boost_seq, deboost_seq, nr, &n, &told,
			      &retry) < 0)
			goto out;
		if (ga_trace_read(t, &rec, &nr_rec, &n.lost) < 0) {
			fprintf(stderr, "%s: out of memory\n", prog);
			goto out;
		}
		n.records += nr_rec;
		for (size_t i = 0; i < nr_rec; i++)
			ga_feed(a, &rec[i]);
		/* The rings are not the whole truth: records lost when one
		 * was full, and a task's policy changed while it waited to
		 * run, leave tasks counted that run no more, and a boost
		 * that would never end.  After a loss every task is looked
		 * at; while tasks are counted, those every so often. */
		if (n.lost != lost_seen) {
			lost_seen = n.lost;
			auto_scan(a, true);
			next_check = now_ns() + AUTO_RECHECK_NS;
		} else if (ga_counted(a, NULL, 0) && now_ns() >= next_check) {
			ga_recheck(a, "/proc", now_ns());
			next_check = now_ns() + AUTO_RECHECK_NS;
		}
		if ((full = auto_post(g, a, req, o, boost_seq, deboost_seq, nr,
				      &n)) < 0)
			goto out;
		full |= retry;
	}
	rc = 0;
	for (unsigned int c = 0; c < nr; c++) {
		struct rtvm_boost_msg d = { .type = RTVM_BOOST_DEBOOST,
					    .vcpu = (uint16_t)c }, ack;

		if (!ga_boosted(a, c))
			continue;
		if (do_call(g, &d, &ack, timeout) < 0) {
			rc = 1;
			break;
		}
		n.deboosts++;
	}
	if (o->json)
		printf("{\"boosts\":%" PRIu64 ",\"deboosts\":%" PRIu64
		       ",\"records\":%" PRIu64 ",\"lost\":%" PRIu64
		       ",\"refused\":%" PRIu64 ",\"ended\":%" PRIu64 "}\n",
		       n.boosts, n.deboosts, n.records, n.lost, n.refused, n.ended);
	else
		printf("%" PRIu64 " boosts and %" PRIu64 " deboosts sent; %"
		       PRIu64 " records read, %" PRIu64 " lost; %" PRIu64
		       " refused, %" PRIu64 " ended by the host\n", n.boosts,
		       n.deboosts, n.records, n.lost, n.refused, n.ended);
out:
	ga_trace_close(t);
	if (mounted)
		umount2("/sys/kernel/tracing", MNT_DETACH);
	ga_free(a);
	free(boost_seq);
	free(deboost_seq);
	free(p);
	return rc;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "port", required_argument, NULL, 'p' },
		{ "doorbell", required_argument, NULL, 'd' },
		{ "timeout", required_argument, NULL, 't' },
		{ "vcpu", required_argument, NULL, 'c' },
		{ "until", required_argument, NULL, 'u' },
		{ "fifo", required_argument, NULL, 'F' },
		{ "rr", required_argument, NULL, 'R' },
		{ "deadline", required_argument, NULL, 'D' },
		{ "count", required_argument, NULL, 'n' },
		{ "interval", required_argument, NULL, 'i' },
		{ "hysteresis", required_argument, NULL, 'H' + 256 },
		{ "tracefs", required_argument, NULL, 'T' + 256 },
		{ "mount-tracefs", no_argument, NULL, 'M' + 256 },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ 0 },
	};
	struct rtvm_boost_msg req = { .type = RTVM_BOOST_BOOST };
	const char *port = NULL, *doorbell = NULL, *cmd;
	unsigned long count = 1000, interval = 1000;
	int timeout = 5000, c, vcpu = -1, r;
	struct auto_opts ao = { .hysteresis_ns = 50000 };
	struct rtvm_boost_guest *g;
	bool json = false;

	signal(SIGPIPE, SIG_IGN);
	while ((c = getopt_long(argc, argv, "p:d:t:c:u:n:i:jhV", opts, NULL)) != -1) {
		switch (c) {
		case 'p': port = optarg; break;
		case 'd': doorbell = optarg; break;
		case 't':
			timeout = (int)parse_num("timeout", optarg, 3600000);
			if (!timeout)
				fail_usage("bad timeout \"0\" (1..3600000 ms)");
			break;
		case 'c': vcpu = (int)parse_num("vCPU", optarg, 65535); break;
		case 'u': req.until_us = (uint32_t)parse_num("duration", optarg, UINT32_MAX); break;
		case 'F':
		case 'R':
			if (req.policy)
				fail_usage("%s: one policy only", "--fifo/--rr/--deadline");
			req.policy = c == 'F' ? RTVM_BOOST_SCHED_FIFO : RTVM_BOOST_SCHED_RR;
			req.priority = (uint8_t)parse_num("priority", optarg, 99);
			if (!req.priority)
				fail_usage("bad priority \"%s\" (1..99)", optarg);
			break;
		case 'D': {
			unsigned long rt, dl, pe = 0;
			int n = 0;

			if (req.policy)
				fail_usage("%s: one policy only", "--fifo/--rr/--deadline");
			if (strchr(optarg, '-') ||
			    !((sscanf(optarg, "%lu:%lu:%lu%n", &rt, &dl, &pe, &n) == 3 &&
			       !optarg[n]) ||
			      (pe = 0, n = 0,
			       sscanf(optarg, "%lu:%lu%n", &rt, &dl, &n) == 2 && !optarg[n])) ||
			    rt > UINT32_MAX || dl > UINT32_MAX || pe > UINT32_MAX)
				fail_usage("bad deadline parameters \"%s\" "
					   "(RUNTIME:DEADLINE[:PERIOD] in us)", optarg);
			req.policy = RTVM_BOOST_SCHED_DEADLINE;
			req.runtime_us = (uint32_t)rt;
			req.deadline_us = (uint32_t)dl;
			req.period_us = (uint32_t)pe;
			break;
		}
		case 'n': count = parse_num("count", optarg, 10000000); break;
		case 'i': interval = parse_num("interval", optarg, 10000000); break;
		case 'H' + 256:
			ao.hysteresis_ns = (int64_t)parse_num("hysteresis", optarg,
							      10000000) * 1000;
			break;
		case 'T' + 256: ao.tracefs = optarg; break;
		case 'M' + 256: ao.mount_tracefs = true; break;
		case 'j': json = true; break;
		case 'h': usage(stdout); return 0;
		case 'V': printf("%s %s\n", prog, PACKAGE_VERSION); return 0;
		default: usage(stderr); return EXIT_USAGE;
		}
	}
	if (optind >= argc)
		fail_usage("%s", "no command (hello, boost, bench or auto)");
	cmd = argv[optind++];
	if (strcmp(cmd, "boost") == 0 && !req.policy)
		fail_usage("%s", "boost: give --fifo, --rr or --deadline");
	if (strcmp(cmd, "boost") == 0 && optind >= argc)
		fail_usage("%s", "boost: no command to run (-- CMD...)");
	if (strcmp(cmd, "boost") != 0 && optind < argc)
		fail_usage("unexpected argument \"%s\"", argv[optind]);
	if (strcmp(cmd, "hello") && strcmp(cmd, "boost") && strcmp(cmd, "bench") &&
	    strcmp(cmd, "auto"))
		fail_usage("unknown command \"%s\" (hello, boost, bench or auto)", cmd);
	if (!count)
		fail_usage("bad count \"0\" (at least 1)");
	ao.vcpu = vcpu; /* auto: every vCPU unless one is given */
	ao.json = json;
	if (vcpu < 0)
		vcpu = sched_getcpu() >= 0 ? sched_getcpu() : 0;
	req.vcpu = (uint16_t)vcpu;
	if (doorbell && port)
		fail_usage("%s", "--port or --doorbell, not both");
	if (doorbell && strcmp(cmd, "auto") == 0)
		fail_usage("%s", "auto: over --port only, not --doorbell");
	if (doorbell && strcmp(cmd, "hello") == 0)
		fail_usage("%s", "hello: the doorbell has no HELLO (boost or bench)");
	if (doorbell)
		return run_bell(doorbell, cmd, &req, argv + optind, count,
				interval, timeout, json);

	g = open_or_die(port, timeout);
	if (strcmp(cmd, "hello") == 0)
		r = cmd_hello(g, json);
	else if (strcmp(cmd, "boost") == 0)
		r = cmd_boost(g, &req, argv + optind, timeout);
	else if (strcmp(cmd, "auto") == 0)
		r = cmd_auto(g, &req, &ao, timeout);
	else
		r = cmd_bench(g, (unsigned int)vcpu, count, interval, timeout, json);
	rtvm_boost_guest_close(g);
	return r;
}
