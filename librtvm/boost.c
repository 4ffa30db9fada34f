/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The boost broker: guests ask, through a channel or their VMM, for one of
 * their vCPU threads to be raised to an RT policy and dropped back after.
 * Every request is judged against the VM's policy (allowed policies, a
 * priority ceiling, the longest single boost, a budget of boosted time per
 * period, a request rate); nothing a guest sends can act on another VM's
 * threads, keep a boost beyond its grant, or make the broker block.
 *
 * A guest may also arm a boost to start later (version 2: a BOOST's
 * start_us), so that its vCPU is raised before its next event instead of
 * after the guest has seen it, which is too late when the vCPU waits
 * behind other tasks of its CPU.  One armed boost per vCPU; it is judged
 * when asked for (policy, ceiling, lead) and again when it starts (budget,
 * and the policy of the moment).
 *
 * One epoll fd holds the channels and a timerfd armed at the earliest end
 * or start of a boost; rtvm_boost_dispatch() does all the work in the
 * caller's loop.
 */
#include "config.h"

#include <endian.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/timerfd.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>
#include <fcntl.h>

#include "librtvm-private.h"

#define NSEC 1000000000ull
#define USEC 1000ull
#define BATCH 64			  /* requests per channel per dispatch */
#define OUT_MAX (2 * BATCH * RTVM_BOOST_MSG_SIZE) /* unread acks kept */
#define TRAIL 4096			  /* audit trail entries */

struct channel;
struct doorbell;

/* What an epoll event's data.ptr points at (besides the broker itself,
 * for the timer): the first field of both. */
enum { SRC_CHANNEL = 1, SRC_BELL };

struct vcpu {
	pid_t tid;
	bool boosted;
	int end_reason;		/* EXPIRED or BUDGET, when the grant ends */
	struct rtvm_sched orig; /* the thread's attributes before the boost */
	struct rtvm_sched applied;
	uint32_t boost_seq;
	struct channel *owner;	/* who asked (NULL: rtvm_boost_request) */
	uint64_t expiry;	/* when the grant ends */
	uint64_t acct;		/* boosted time counted up to here */
	uint64_t window;	/* start of the budget period */
	uint64_t used;		/* boosted time in this period */
	bool armed;		/* a boost waits for its start */
	uint64_t start_at;
	struct rtvm_boost_msg pending; /* the armed BOOST, start_us 0 */
	struct channel *pending_owner;
	struct rtvm_boost_stats st;
};

struct bvm {
	struct rtvm_boost *b;
	unsigned int id;
	struct rtvm_vm *vm;
	struct rtvm_changeset *journal; /* the vCPUs as they were when added */
	struct rtvm_boost_policy pol;
	unsigned int nr;
	struct vcpu *v;
	uint64_t credit, credit_at; /* request rate: a token bucket, in ns */
	struct rtvm_boost_stats st; /* requests, refusals, dropped acks */
	struct doorbell *bell;
	struct bvm *next;
};

struct channel {
	int src;
	struct bvm *vm;
	struct doorbell *bell; /* a doorbell's client: no messages on fd */
	int fd;
	uint8_t version; /* agreed by HELLO; 0 before */
	bool socket;	 /* else a pipe or character device: write() */
	size_t in_len, out_len;
	bool want_out;
	uint8_t in[RTVM_BOOST_MSG_SIZE];
	uint8_t out[OUT_MAX];
	struct channel *next;
};

/* A VM's doorbell (rtvm-boost(7) DOORBELL): the broker is the ivshmem
 * server of its VMM. */
struct doorbell {
	int src;		/* SRC_BELL: the first field, as a channel's */
	struct bvm *vm;
	int lfd, efd, memfd;	/* listening socket, peer 0's eventfd, region */
	bool bound;
	uint8_t *mem;
	size_t size;
	unsigned int vectors;
	char *path;
	struct channel *conn;	/* the VMM, or NULL */
	uint32_t *acked;	/* per line: the seq answered last; the host's
				 * own copy, never read back from the region */
};

struct rtvm_boost {
	struct rtvm_ctx *ctx;
	int epfd, tfd;
	uint64_t armed; /* the timerfd's expiry, 0: disarmed */
	unsigned int next_id;
	struct bvm *vms;
	struct channel *chans;
	uint64_t (*now)(void *data);
	void *now_data;
	struct rtvm_boost_event *trail;
	unsigned int trail_head, trail_len;
	uint64_t trail_lost;
};

static uint64_t monotonic_ns(void *data)
{
	struct timespec ts;

	(void)data;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * NSEC + (uint64_t)ts.tv_nsec;
}

void rtvm_boost_set_clock(struct rtvm_boost *b, uint64_t (*now)(void *data),
			  void *data)
{
	b->now = now ? now : monotonic_ns;
	b->now_data = data;
}

static uint64_t now_ns(const struct rtvm_boost *b)
{
	return b->now(b->now_data);
}

/* ---- the audit trail ------------------------------------------------------ */

static void trail_add(struct rtvm_boost *b, uint64_t now, const struct bvm *vm,
		      pid_t tid, const struct rtvm_boost_msg *req,
		      const struct rtvm_boost_msg *ack)
{
	struct rtvm_boost_event *e;

	if (b->trail_len == TRAIL) {
		b->trail_head = (b->trail_head + 1) % TRAIL;
		b->trail_len--;
		b->trail_lost++;
	}
	e = &b->trail[(b->trail_head + b->trail_len++) % TRAIL];
	*e = (struct rtvm_boost_event){
		.size = sizeof(*e), .time_ns = now, .id = vm->id, .tid = tid,
		.ack = *ack,
	};
	if (req)
		e->request = *req;
}

RTVM_EXPORT int rtvm_boost_next_event(struct rtvm_boost *b,
				      struct rtvm_boost_event *ret,
				      uint64_t *ret_lost)
{
	if (!b || !ret || ret->size != sizeof(*ret))
		return -EINVAL;
	if (ret_lost)
		*ret_lost = b->trail_lost;
	if (!b->trail_len)
		return -EAGAIN;
	*ret = b->trail[b->trail_head];
	b->trail_head = (b->trail_head + 1) % TRAIL;
	b->trail_len--;
	return 0;
}

/* ---- acknowledgements on a channel ---------------------------------------- */

static void chan_watch_out(struct channel *c, bool on)
{
	struct epoll_event ev = { .events = EPOLLIN | (on ? EPOLLOUT : 0),
				  .data.ptr = c };

	if (c->want_out != on &&
	    epoll_ctl(c->vm->b->epfd, EPOLL_CTL_MOD, c->fd, &ev) == 0)
		c->want_out = on;
}

/* Write what is queued; keep a partly written message for later, so that
 * the stream stays framed. */
static void chan_flush(struct channel *c)
{
	while (c->out_len) {
		/* A peer that went away must not kill the caller with
		 * SIGPIPE: sockets get MSG_NOSIGNAL. */
		ssize_t n = c->socket ? send(c->fd, c->out, c->out_len,
					     MSG_NOSIGNAL)
				      : write(c->fd, c->out, c->out_len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		memmove(c->out, c->out + n, c->out_len - (size_t)n);
		c->out_len -= (size_t)n;
	}
	chan_watch_out(c, c->out_len > 0);
}

static void chan_queue(struct channel *c, const struct rtvm_boost_msg *ack)
{
	/* A doorbell answers requests in their line only (rtvm-boost(7)). */
	if (c->bell)
		return;
	if (c->out_len + RTVM_BOOST_MSG_SIZE > sizeof(c->out)) {
		c->vm->st.acks_dropped++;
		return;
	}
	if (rtvm_boost_msg_encode(ack, c->out + c->out_len) == 0)
		c->out_len += RTVM_BOOST_MSG_SIZE;
}

/* ---- budget and time ------------------------------------------------------ */

/* Count boosted time up to @now and move the budget period along. */
static void account(const struct bvm *vm, struct vcpu *v, uint64_t now)
{
	uint64_t period = vm->pol.budget_period_us * USEC;

	if (now >= v->window + period) {
		uint64_t start = now - (now - v->window) % period;

		if (v->boosted) {
			/* The boost ran through the new period's start:
			 * what lies after it is the new period's. */
			v->st.boosted_ns += start - v->acct;
			v->acct = start;
		}
		v->window = start;
		v->used = 0;
	}
	if (v->boosted && now > v->acct) {
		v->st.boosted_ns += now - v->acct;
		v->used += now - v->acct;
		v->acct = now;
	}
}

static bool rate_ok(struct bvm *vm, uint64_t now)
{
	uint64_t cost = NSEC / vm->pol.rate, cap = cost * vm->pol.burst;

	if (now > vm->credit_at) {
		uint64_t add = now - vm->credit_at;

		vm->credit = add >= cap - vm->credit ? cap : vm->credit + add;
		vm->credit_at = now;
	}
	if (vm->credit < cost)
		return false;
	vm->credit -= cost;
	return true;
}

/* ---- applying and ending boosts ------------------------------------------- */

static struct rtvm_tid vcpu_tid(const struct bvm *vm, const struct vcpu *v)
{
	return (struct rtvm_tid){ .pid = rtvm_vm_get_pid(vm->vm),
				  .tid = v->tid };
}

/* Put the thread back; the bookkeeping ends the boost either way, since
 * a thread that cannot be put back (gone) cannot be boosted either. */
static void end_boost(struct bvm *vm, struct vcpu *v, uint64_t now)
{
	struct rtvm_ctx *ctx = vm->b->ctx;
	int r;

	account(vm, v, now);
	/* RT and deadline policies keep the nice value: it is still orig's. */
	r = rtvm_sys_sched_set_exact(ctx, vcpu_tid(vm, v), &v->orig,
				     v->orig.nice);
	if (r < 0)
		err(ctx, "boost: cannot put thread %d of VM %u back: %s",
		    (int)v->tid, vm->id, strerror(-r));
	v->boosted = false;
	v->owner = NULL;
}

/* The host ends a boost: @reason EXPIRED or BUDGET (the guest hears of
 * it), or 0 when its channel or the broker closes. */
static void end_by_host(struct bvm *vm, struct vcpu *v, uint64_t now,
			int reason)
{
	struct rtvm_boost_msg ack = {
		.version = RTVM_BOOST_VERSION,
		.type = RTVM_BOOST_DEBOOST | RTVM_BOOST_ACK,
		.vcpu = (uint16_t)(v - vm->v),
		.seq = v->boost_seq,
		.status = (uint16_t)reason,
	};
	struct channel *owner = v->owner;

	end_boost(vm, v, now);
	if (reason == RTVM_BOOST_BUDGET)
		v->st.budget_ends++;
	else if (reason == RTVM_BOOST_EXPIRED)
		v->st.expired++;
	else
		v->st.closed++;
	trail_add(vm->b, now, vm, v->tid, NULL, &ack);
	if (owner && reason) {
		if (owner->version)
			ack.version = owner->version;
		chan_queue(owner, &ack);
		chan_flush(owner);
	}
}

/* End the boosts that @only asked for (NULL: all), and drop its armed
 * ones. */
static void end_all(struct bvm *vm, const struct channel *only)
{
	uint64_t now = now_ns(vm->b);

	for (unsigned int i = 0; i < vm->nr; i++) {
		struct vcpu *v = &vm->v[i];

		if (v->boosted && (!only || v->owner == only))
			end_by_host(vm, v, now, 0);
		if (v->armed && (!only || v->pending_owner == only))
			v->armed = false;
	}
}

static void rearm(struct rtvm_boost *b)
{
	uint64_t next = 0;
	struct itimerspec its = {0};

	for (struct bvm *vm = b->vms; vm; vm = vm->next)
		for (unsigned int i = 0; i < vm->nr; i++) {
			const struct vcpu *v = &vm->v[i];

			if (v->boosted && (!next || v->expiry < next))
				next = v->expiry;
			if (v->armed && (!next || v->start_at < next))
				next = v->start_at;
		}
	if (next == b->armed)
		return;
	its.it_value.tv_sec = (time_t)(next / NSEC);
	its.it_value.tv_nsec = (long)(next % NSEC);
	if (timerfd_settime(b->tfd, TFD_TIMER_ABSTIME, &its, NULL) == 0)
		b->armed = next;
}

static int do_boost(struct bvm *vm, struct vcpu *v, struct channel *c,
		    const struct rtvm_boost_msg *m, uint64_t now);
static void bell_free(struct doorbell *db);
static void fill_state(const struct vcpu *v, uint64_t now,
		       struct rtvm_boost_msg *ack);

/* An armed boost is due: applied like a BOOST that came now; one that
 * cannot be (budget, a policy changed meanwhile, sched_setattr) is
 * refused, counted, and told with an ACK(DEBOOST) of the host's own, as
 * a boost the host ends is. */
static void start_armed(struct bvm *vm, struct vcpu *v, uint64_t now)
{
	struct channel *owner = v->pending_owner;
	struct rtvm_boost_msg ack = {
		.version = v->pending.version,
		.type = RTVM_BOOST_BOOST | RTVM_BOOST_ACK,
		.vcpu = v->pending.vcpu,
		.seq = v->pending.seq,
	};
	int reason;

	v->armed = false;
	if (now - v->start_at > v->st.start_late_max_ns)
		v->st.start_late_max_ns = now - v->start_at;
	reason = do_boost(vm, v, owner, &v->pending, now);
	if (reason == RTVM_BOOST_OK) {
		v->st.started++;
		fill_state(v, now, &ack);
		trail_add(vm->b, now, vm, v->tid, &v->pending, &ack);
		return;
	}
	vm->st.refused[reason]++;
	ack.type = RTVM_BOOST_DEBOOST | RTVM_BOOST_ACK;
	ack.status = (uint16_t)reason;
	trail_add(vm->b, now, vm, v->tid, &v->pending, &ack);
	if (owner) {
		chan_queue(owner, &ack);
		chan_flush(owner);
	}
}

static void expire(struct rtvm_boost *b, uint64_t now)
{
	for (struct bvm *vm = b->vms; vm; vm = vm->next)
		for (unsigned int i = 0; i < vm->nr; i++) {
			struct vcpu *v = &vm->v[i];

			if (v->boosted && v->expiry <= now)
				end_by_host(vm, v, now, v->end_reason);
			if (v->armed && v->start_at <= now)
				start_armed(vm, v, now);
		}
}

/* ---- judging requests ----------------------------------------------------- */

static int check_boost(const struct bvm *vm, const struct rtvm_boost_msg *m)
{
	const struct rtvm_boost_policy *p = &vm->pol;
	uint64_t period;

	switch (m->policy) {
	case RTVM_BOOST_SCHED_FIFO:
	case RTVM_BOOST_SCHED_RR:
		if (m->priority < 1 || m->priority > 99 || m->runtime_us ||
		    m->deadline_us || m->period_us)
			return RTVM_BOOST_PARAMS;
		if (!(p->policies & RTVM_BOOST_ALLOW(m->policy)))
			return RTVM_BOOST_POLICY;
		return m->priority > p->max_priority ? RTVM_BOOST_CEILING
						     : RTVM_BOOST_OK;
	case RTVM_BOOST_SCHED_DEADLINE:
		period = m->period_us ? m->period_us : m->deadline_us;
		/* The kernel's smallest runtime is 1024 ns. */
		if (m->priority || m->runtime_us < 2 ||
		    m->runtime_us > m->deadline_us || m->deadline_us > period)
			return RTVM_BOOST_PARAMS;
		if (!(p->policies & RTVM_BOOST_ALLOW(m->policy)))
			return RTVM_BOOST_POLICY;
		/* No more bandwidth than the budget's share of the CPU. */
		if ((uint64_t)m->runtime_us * p->budget_period_us >
		    (uint64_t)p->budget_us * period)
			return RTVM_BOOST_PARAMS;
		return RTVM_BOOST_OK;
	default:
		return RTVM_BOOST_PARAMS;
	}
}

static void fill_state(const struct vcpu *v, uint64_t now,
		       struct rtvm_boost_msg *ack)
{
	/* version 2: an armed boost's time to go (only version 2 arms) */
	if (v->armed && v->start_at > now)
		ack->start_us = (uint32_t)((v->start_at - now) / USEC);
	if (!v->boosted)
		return;
	ack->policy = (uint8_t)v->applied.policy;
	ack->priority = (uint8_t)v->applied.priority;
	ack->until_us = v->expiry > now ? (uint32_t)((v->expiry - now) / USEC)
					: 0;
	if (v->applied.policy == RTVM_BOOST_SCHED_DEADLINE) {
		ack->runtime_us = (uint32_t)(v->applied.runtime / USEC);
		ack->deadline_us = (uint32_t)(v->applied.deadline / USEC);
		ack->period_us = (uint32_t)(v->applied.period / USEC);
	}
}

/* Whether the vCPU thread's cpuset is exclusive (cgroup v1
 * cpuset.cpu_exclusive, v2 a partition root): a root domain of its own, as
 * a shield makes, where SCHED_DEADLINE is admitted for a thread pinned
 * there and the kernel itself enforces the runtime.  Anything unreadable
 * is no. */
static bool in_exclusive_cpuset(struct bvm *vm, struct vcpu *v)
{
	static const struct {
		const char *controller, *file, *yes[2];
	} kinds[] = {
		{ "cpuset", "cpuset.cpu_exclusive", { "1", NULL } },
		{ "", "cpuset.cpus.partition", { "root", "isolated" } },
	};
	struct rtvm_ctx *ctx = vm->b->ctx;
	bool yes = false;

	for (size_t k = 0; k < ARRAY_SIZE(kinds) && !yes; k++) {
		char *path = NULL, *rel = NULL, buf[64];
		enum rtvm_fs fs;

		if (rtvm_thread_cgroup(ctx, vcpu_tid(vm, v),
				       kinds[k].controller, &path) < 0)
			continue;
		if (rtvm_cgroup_dir(ctx, kinds[k].controller, path, &fs,
				    &rel) == 0 &&
		    rtvm_fs_read(ctx, fs, buf, sizeof(buf), "%s/%s", rel,
				 kinds[k].file) >= 0) {
			rtvm_strip(buf);
			for (size_t i = 0; i < 2; i++)
				yes = yes || (kinds[k].yes[i] &&
					      strcmp(buf, kinds[k].yes[i]) == 0);
		}
		free(rel);
		free(path);
	}
	return yes;
}

/* The type checks of a BOOST that do not depend on time. */
static int judge(struct bvm *vm, struct vcpu *v, const struct rtvm_boost_msg *m)
{
	int reason = check_boost(vm, m);

	if (reason)
		return reason;
	if (m->policy == RTVM_BOOST_SCHED_DEADLINE &&
	    !in_exclusive_cpuset(vm, v)) {
		dbg(vm->b->ctx, "boost: no DEADLINE for thread %d of VM %u: "
		    "its cpuset is not exclusive (a shield's is)", (int)v->tid,
		    vm->id);
		return RTVM_BOOST_POLICY;
	}
	return RTVM_BOOST_OK;
}

static int do_boost(struct bvm *vm, struct vcpu *v, struct channel *c,
		    const struct rtvm_boost_msg *m, uint64_t now)
{
	const struct rtvm_boost_policy *p = &vm->pol;
	uint64_t budget = p->budget_us * USEC, max = p->max_boost_us * USEC;
	uint64_t grant, left;
	struct rtvm_sched s;
	int reason = judge(vm, v, m), r;

	if (reason)
		return reason;
	account(vm, v, now);
	if (v->used >= budget && budget < p->budget_period_us * USEC)
		return RTVM_BOOST_BUDGET;
	/* A budget of the whole period is no budget. */
	left = budget < p->budget_period_us * USEC ? budget - v->used : UINT64_MAX;
	grant = m->until_us && m->until_us * USEC < max ? m->until_us * USEC
							 : max;
	if (!v->boosted) {
		r = rtvm_sys_sched_get(vm->b->ctx, vcpu_tid(vm, v), &v->orig);
		if (r < 0) {
			err(vm->b->ctx, "boost: thread %d of VM %u: %s",
			    (int)v->tid, vm->id, strerror(-r));
			return RTVM_BOOST_FAILED;
		}
	}
	s = (struct rtvm_sched){ .policy = m->policy,
				 .priority = m->priority,
				 .nice = v->orig.nice };
	if (m->policy == RTVM_BOOST_SCHED_DEADLINE) {
		s.runtime = m->runtime_us * USEC;
		s.deadline = m->deadline_us * USEC;
		s.period = (m->period_us ? m->period_us : m->deadline_us) * USEC;
	}
	r = rtvm_sys_sched_set(vm->b->ctx, vcpu_tid(vm, v), &s);
	if (r < 0) {
		err(vm->b->ctx, "boost: cannot boost thread %d of VM %u: %s",
		    (int)v->tid, vm->id, strerror(-r));
		return RTVM_BOOST_FAILED;
	}
	if (!v->boosted) {
		v->boosted = true;
		v->acct = now;
	}
	v->applied = s;
	v->end_reason = left < grant ? RTVM_BOOST_BUDGET : RTVM_BOOST_EXPIRED;
	v->expiry = now + (left < grant ? left : grant);
	v->boost_seq = m->seq;
	v->owner = c;
	v->st.boosts++;
	return RTVM_BOOST_OK;
}

/* A BOOST to start @m->start_us from now: judged now by what does not
 * change until then (its parameters, policy, ceiling, and the VM's
 * longest lead); the budget and the thread are judged when it starts.
 * It replaces an armed boost, not the boost in force.  On success @ack
 * tells what is armed: the boost, its grant at most, and start_us. */
static int arm(struct bvm *vm, struct vcpu *v, struct channel *c,
	       const struct rtvm_boost_msg *m, uint64_t now,
	       struct rtvm_boost_msg *ack)
{
	int reason = judge(vm, v, m);
	uint32_t max = vm->pol.max_boost_us;

	if (reason)
		return reason;
	if (m->start_us > vm->pol.max_lead_us)
		return RTVM_BOOST_LEAD;
	v->armed = true;
	v->start_at = now + m->start_us * USEC;
	v->pending = *m;
	v->pending.start_us = 0;
	v->pending_owner = c;
	v->st.scheduled++;
	ack->policy = m->policy;
	ack->priority = m->priority;
	ack->until_us = m->until_us && m->until_us < max ? m->until_us : max;
	ack->runtime_us = m->runtime_us;
	ack->deadline_us = m->deadline_us;
	ack->period_us = m->policy == RTVM_BOOST_SCHED_DEADLINE &&
			 !m->period_us ? m->deadline_us : m->period_us;
	ack->start_us = m->start_us;
	return RTVM_BOOST_OK;
}

/* Judge one request (@form: the decoder's verdict) and answer in @ack.
 * @line: the doorbell line it was read from, which is the only vCPU it
 * may act on; -1 for a stream's. */
static void handle(struct bvm *vm, struct channel *c,
		   const struct rtvm_boost_msg *m, int form, uint64_t now,
		   int line, struct rtvm_boost_msg *ack)
{
	/* Without a stream (a doorbell), a request speaks its own version. */
	uint8_t agreed = c && !c->bell ? c->version :
			 m->version && m->version <= RTVM_BOOST_VERSION ?
			 m->version : RTVM_BOOST_VERSION;
	struct vcpu *v = NULL;
	int reason = RTVM_BOOST_OK;

	*ack = (struct rtvm_boost_msg){
		.version = agreed ? agreed : RTVM_BOOST_VERSION,
		.type = m->type | RTVM_BOOST_ACK,
		.vcpu = m->vcpu,
		.seq = m->seq,
	};
	vm->st.requests++;
	if (form < 0 || (m->type & RTVM_BOOST_ACK))
		reason = RTVM_BOOST_MALFORMED;
	else if (!rate_ok(vm, now))
		reason = RTVM_BOOST_RATE;
	else if (m->type == RTVM_BOOST_HELLO) {
		const struct rtvm_boost_policy *p = &vm->pol;

		agreed = m->version < RTVM_BOOST_VERSION ? m->version
							 : RTVM_BOOST_VERSION;
		if (c)
			c->version = agreed;
		*ack = (struct rtvm_boost_msg){
			.version = agreed,
			.type = RTVM_BOOST_HELLO | RTVM_BOOST_ACK,
			.vcpu = (uint16_t)vm->nr,
			.seq = m->seq,
			.policy = (uint8_t)p->policies,
			.priority = (uint8_t)p->max_priority,
			.until_us = p->max_boost_us,
			.runtime_us = p->budget_us,
			.period_us = p->budget_period_us,
			/* version 2: how far ahead a boost may start */
			.deadline_us = agreed >= 2 ? p->max_lead_us : 0,
		};
	} else if (!agreed)
		reason = RTVM_BOOST_NO_HELLO;
	else if (m->version != agreed)
		reason = RTVM_BOOST_BAD_VERSION;
	else if (m->vcpu >= vm->nr || (line >= 0 && m->vcpu != line))
		reason = RTVM_BOOST_BAD_VCPU;
	else {
		v = &vm->v[m->vcpu];
		if (m->type == RTVM_BOOST_BOOST && m->start_us) {
			reason = arm(vm, v, c, m, now, ack);
			if (reason == RTVM_BOOST_OK)
				goto done;
		} else if (m->type == RTVM_BOOST_BOOST) {
			reason = do_boost(vm, v, c, m, now);
		} else if (m->type == RTVM_BOOST_DEBOOST) {
			/* Everything back: the armed boost too. */
			v->armed = false;
			if (v->boosted) {
				end_boost(vm, v, now);
				v->st.deboosts++;
			}
		} else {
			account(vm, v, now);
		}
		/* Refused or not, the answer tells the vCPU's state. */
		fill_state(v, now, ack);
	}
done:
	ack->status = (uint16_t)reason;
	if (reason)
		vm->st.refused[reason]++;
	trail_add(vm->b, now, vm, v ? v->tid : 0, m, ack);
}

/* ---- channels ------------------------------------------------------------- */

static struct bvm *find_vm(struct rtvm_boost *b, unsigned int id)
{
	struct bvm *vm;

	for (vm = b->vms; vm && vm->id != id; vm = vm->next)
		;
	return vm;
}


static void chan_close(struct channel *c)
{
	struct rtvm_boost *b = c->vm->b;

	for (struct channel **pp = &b->chans; *pp; pp = &(*pp)->next)
		if (*pp == c) {
			*pp = c->next;
			break;
		}
	end_all(c->vm, c);
	if (c->bell)
		c->bell->conn = NULL;
	epoll_ctl(b->epfd, EPOLL_CTL_DEL, c->fd, NULL);
	close(c->fd);
	free(c);
}

/* One read of at most BATCH messages; returns how many were handled, or
 * -1 when the channel was closed. */
static int chan_read(struct channel *c, uint64_t now)
{
	uint8_t buf[BATCH * RTVM_BOOST_MSG_SIZE];
	size_t len = c->in_len, off = 0;
	ssize_t n;
	int count = 0;

	memcpy(buf, c->in, c->in_len);
	do
		n = read(c->fd, buf + len, sizeof(buf) - len);
	while (n < 0 && errno == EINTR);
	if (n == 0 || (n < 0 && errno != EAGAIN)) {
		chan_close(c);
		return -1;
	}
	if (n > 0)
		len += (size_t)n;
	for (; len - off >= RTVM_BOOST_MSG_SIZE; off += RTVM_BOOST_MSG_SIZE) {
		struct rtvm_boost_msg m, ack;
		int form = rtvm_boost_msg_decode(buf + off, &m);

		handle(c->vm, c, &m, form, now, -1, &ack);
		chan_queue(c, &ack);
		count++;
	}
	c->in_len = len - off;
	memcpy(c->in, buf + off, c->in_len);
	chan_flush(c);
	return count;
}

/* A channel of @vm on @fd, which it owns from now on, also on failure. */
static int chan_add(struct bvm *vm, int fd, struct channel **ret)
{
	struct epoll_event ev = { .events = EPOLLIN };
	struct channel *c = calloc(1, sizeof(*c));
	struct stat st;
	int fl = fcntl(fd, F_GETFL);

	if (!c || fl < 0 || fcntl(fd, F_SETFL, fl | O_NONBLOCK) < 0) {
		int r = c ? -errno : -ENOMEM;

		free(c);
		close(fd);
		return r;
	}
	c->src = SRC_CHANNEL;
	c->vm = vm;
	c->fd = fd;
	c->socket = fstat(fd, &st) == 0 && S_ISSOCK(st.st_mode);
	ev.data.ptr = c;
	if (epoll_ctl(vm->b->epfd, EPOLL_CTL_ADD, fd, &ev) < 0) {
		int r = -errno;

		free(c);
		close(fd);
		return r;
	}
	c->next = vm->b->chans;
	vm->b->chans = c;
	*ret = c;
	return 0;
}

RTVM_EXPORT int rtvm_boost_add_channel(struct rtvm_boost *b, unsigned int id,
				       int fd)
{
	struct channel *c;
	struct bvm *vm;

	if (!b || fd < 0) {
		if (fd >= 0)
			close(fd);
		return -EINVAL;
	}
	if (!(vm = find_vm(b, id))) {
		close(fd);
		return -ENOENT;
	}
	return chan_add(vm, fd, &c);
}

/* ---- the doorbell: an ivshmem server and the lines ------------------------ */

#define LINE RTVM_BOOST_BELL_LINE
#define ACK_HALF 32	/* a line's ACK half */
#define CLIENT_ID 1	/* the VMM's ivshmem peer ID; the broker is peer 0 */

/* One message of QEMU's ivshmem server protocol: a little-endian int64,
 * with a descriptor passed beside it when @pass >= 0. */
static int ivshmem_send(int fd, int64_t value, int pass)
{
	uint64_t le = htole64((uint64_t)value);
	struct iovec iov = { .iov_base = &le, .iov_len = sizeof(le) };
	union {
		struct cmsghdr h;
		char buf[CMSG_SPACE(sizeof(int))];
	} ctl;
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1 };
	ssize_t n;

	if (pass >= 0) {
		struct cmsghdr *cm;

		memset(&ctl, 0, sizeof(ctl));
		mh.msg_control = ctl.buf;
		mh.msg_controllen = sizeof(ctl.buf);
		cm = CMSG_FIRSTHDR(&mh);
		cm->cmsg_level = SOL_SOCKET;
		cm->cmsg_type = SCM_RIGHTS;
		cm->cmsg_len = CMSG_LEN(sizeof(int));
		memcpy(CMSG_DATA(cm), &pass, sizeof(int));
	}
	n = sendmsg(fd, &mh, MSG_NOSIGNAL | MSG_DONTWAIT);
	if (n < 0)
		return -errno;
	return n == sizeof(le) ? 0 : -EIO;
}

/* What an ivshmem server tells a new client: protocol version 0, the
 * client's peer ID, the region (ID -1), then each peer's eventfds, one
 * message per vector: the broker's (peer 0, one eventfd for all vectors)
 * and the client's own last, which ends QEMU's setup.  Nobody else rings
 * the client, so its own eventfds are not kept. */
static int bell_handshake(struct doorbell *db, int fd)
{
	int r = ivshmem_send(fd, 0, -1);

	if (r == 0)
		r = ivshmem_send(fd, CLIENT_ID, -1);
	if (r == 0)
		r = ivshmem_send(fd, -1, db->memfd);
	for (unsigned int i = 0; r == 0 && i < db->vectors; i++)
		r = ivshmem_send(fd, 0, db->efd);
	for (unsigned int i = 0; r == 0 && i < db->vectors; i++) {
		int e = eventfd(0, EFD_CLOEXEC);

		r = e < 0 ? -errno : ivshmem_send(fd, CLIENT_ID, e);
		if (e >= 0)
			close(e);
	}
	return r;
}

/* A region for a new client: the header, and no request in any line. */
static void bell_reset(struct doorbell *db)
{
	memset(db->mem, 0, db->size);
	rtvm_bell_header_write(db->mem, db->vm->nr, db->vectors);
	memset(db->acked, 0, db->vm->nr * sizeof(*db->acked));
}

/* A few connections per dispatch: a flood of them cannot hold the loop. */
static void bell_accept(struct doorbell *db)
{
	struct rtvm_ctx *ctx = db->vm->b->ctx;
	int fd, r;

	for (int i = 0; i < 8 && (fd = accept4(db->lfd, NULL, NULL,
					       SOCK_NONBLOCK | SOCK_CLOEXEC)) >= 0;
	     i++) {
		if (db->conn) {
			dbg(ctx, "boost: doorbell %s of VM %u has its client; "
			    "another one turned away", db->path, db->vm->id);
			close(fd);
			continue;
		}
		bell_reset(db);
		r = bell_handshake(db, fd);
		if (r < 0) {
			err(ctx, "boost: doorbell %s of VM %u: handshake: %s",
			    db->path, db->vm->id, strerror(-r));
			close(fd);
			continue;
		}
		r = chan_add(db->vm, fd, &db->conn);
		if (r < 0) {
			err(ctx, "boost: doorbell %s of VM %u: %s", db->path,
			    db->vm->id, strerror(-r));
			continue;
		}
		db->conn->bell = db;
	}
}

/* A client says nothing after the handshake: what it sends is dropped
 * (descriptors passed with it too, a few reads per dispatch), and its end
 * closes the channel. */
static void bell_client_input(struct channel *c)
{
	char buf[1024];
	ssize_t n;

	for (int i = 0; i < 8; i++) {
		n = recv(c->fd, buf, sizeof(buf), MSG_DONTWAIT);
		if (n == 0 || (n < 0 && errno != EINTR && errno != EAGAIN)) {
			chan_close(c);
			return;
		}
		if (n < 0 && errno == EAGAIN)
			return;
	}
}

/* Answer each line whose request is new.  The guest may write the line at
 * any time: its request half is copied once and only the copy is judged
 * (with the line's index as the only vCPU it may name); the answer goes
 * into the ACK half, its seq last. */
static int bell_scan(struct doorbell *db, uint64_t now)
{
	int count = 0;

	for (unsigned int i = 0; i < db->vm->nr; i++) {
		uint8_t *line = db->mem + (i + 1) * LINE;
		uint8_t req[RTVM_BOOST_MSG_SIZE];
		struct rtvm_boost_msg m, ack;
		int form;

		if (rtvm_bell_load_seq(line) == db->acked[i])
			continue;
		rtvm_bell_copy_half(req, line);
		form = rtvm_boost_msg_decode(req, &m);
		if (m.seq == db->acked[i])
			continue; /* changed back while copied */
		if (m.type != RTVM_BOOST_BOOST && m.type != RTVM_BOOST_DEBOOST)
			form = -EBADMSG;
		handle(db->vm, db->conn, &m, form, now, (int)i, &ack);
		rtvm_bell_write_half(line + ACK_HALF, &ack);
		db->acked[i] = m.seq;
		count++;
	}
	return count;
}

static int bell_service(struct doorbell *db, uint64_t now)
{
	uint64_t rings;

	bell_accept(db);
	/* Any number of rings is one reason to look. */
	while (read(db->efd, &rings, sizeof(rings)) < 0 && errno == EINTR)
		;
	return db->conn ? bell_scan(db, now) : 0;
}

static void bell_free(struct doorbell *db)
{
	struct rtvm_boost *b;

	if (!db)
		return;
	b = db->vm->b; /* its client's channel is closed already */
	if (db->lfd >= 0) {
		epoll_ctl(b->epfd, EPOLL_CTL_DEL, db->lfd, NULL);
		close(db->lfd);
	}
	if (db->efd >= 0) {
		epoll_ctl(b->epfd, EPOLL_CTL_DEL, db->efd, NULL);
		close(db->efd);
	}
	if (db->bound)
		unlink(db->path);
	if (db->mem != MAP_FAILED)
		munmap(db->mem, db->size);
	if (db->memfd >= 0)
		close(db->memfd);
	db->vm->bell = NULL;
	free(db->path);
	free(db->acked);
	free(db);
}

/* A power of two (a PCI BAR's size), at least a page. */
static size_t bell_region_size(unsigned int lines)
{
	size_t need = (lines + 1ull) * LINE, size = 4096;

	while (size < need)
		size *= 2;
	return size;
}

static int bell_open(struct doorbell *db)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct epoll_event ev = { .events = EPOLLIN, .data.ptr = db };
	int epfd = db->vm->b->epfd;

	db->memfd = memfd_create("rtvm-boost-doorbell",
				 MFD_CLOEXEC | MFD_ALLOW_SEALING);
	if (db->memfd < 0)
		return -errno;
	/* Sealed at its size: no client can shrink it under the broker's
	 * mapping (a SIGBUS here). */
	if (ftruncate(db->memfd, (off_t)db->size) < 0 ||
	    fcntl(db->memfd, F_ADD_SEALS,
		  F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_SEAL) < 0)
		return -errno;
	db->mem = mmap(NULL, db->size, PROT_READ | PROT_WRITE, MAP_SHARED,
		       db->memfd, 0);
	if (db->mem == MAP_FAILED)
		return -errno;
	db->efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (db->efd < 0)
		return -errno;
	db->lfd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (db->lfd < 0)
		return -errno;
	strcpy(sa.sun_path, db->path);
	if (bind(db->lfd, (struct sockaddr *)&sa, sizeof(sa)) < 0)
		return -errno;
	db->bound = true;
	if (listen(db->lfd, 4) < 0 ||
	    epoll_ctl(epfd, EPOLL_CTL_ADD, db->lfd, &ev) < 0 ||
	    epoll_ctl(epfd, EPOLL_CTL_ADD, db->efd, &ev) < 0)
		return -errno;
	bell_reset(db);
	return 0;
}

RTVM_EXPORT int rtvm_boost_add_doorbell(struct rtvm_boost *b, unsigned int id,
					const char *path, unsigned int vectors,
					unsigned int flags)
{
	struct sockaddr_un sa;
	struct doorbell *db;
	struct bvm *vm;
	int r;

	if (!b || !path || flags || vectors > RTVM_BOOST_BELL_MAX_VECTORS ||
	    strlen(path) >= sizeof(sa.sun_path))
		return -EINVAL;
	if (!(vm = find_vm(b, id)))
		return -ENOENT;
	if (vm->bell)
		return -EEXIST;
	db = calloc(1, sizeof(*db));
	if (!db)
		return -ENOMEM;
	*db = (struct doorbell){
		.src = SRC_BELL, .vm = vm, .lfd = -1, .efd = -1, .memfd = -1,
		.mem = MAP_FAILED, .size = bell_region_size(vm->nr),
		.vectors = vectors ? vectors : 1, .path = strdup(path),
		.acked = calloc(vm->nr, sizeof(*db->acked)),
	};
	vm->bell = db;
	r = db->path && db->acked ? bell_open(db) : -ENOMEM;
	if (r < 0)
		bell_free(db);
	return r;
}

/* ---- the broker ----------------------------------------------------------- */


RTVM_EXPORT int rtvm_boost_new(struct rtvm_ctx *ctx, unsigned int flags,
			       struct rtvm_boost **ret)
{
	struct epoll_event ev = { .events = EPOLLIN };
	struct rtvm_boost *b;

	if (!ctx || !ret || flags)
		return -EINVAL;
	b = calloc(1, sizeof(*b));
	if (!b)
		return -ENOMEM;
	b->trail = calloc(TRAIL, sizeof(*b->trail));
	b->epfd = epoll_create1(EPOLL_CLOEXEC);
	b->tfd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
	ev.data.ptr = b;
	if (!b->trail || b->epfd < 0 || b->tfd < 0 ||
	    epoll_ctl(b->epfd, EPOLL_CTL_ADD, b->tfd, &ev) < 0) {
		int r = !b->trail ? -ENOMEM : -errno;

		if (b->epfd >= 0)
			close(b->epfd);
		if (b->tfd >= 0)
			close(b->tfd);
		free(b->trail);
		free(b);
		return r;
	}
	b->ctx = rtvm_ref(ctx);
	b->next_id = 1;
	rtvm_boost_set_clock(b, NULL, NULL);
	*ret = b;
	return 0;
}

static void vm_free(struct bvm *vm)
{
	rtvm_changeset_unref(vm->journal);
	rtvm_vm_unref(vm->vm);
	free(vm->v);
	free(vm);
}

RTVM_EXPORT int rtvm_boost_remove_vm(struct rtvm_boost *b, unsigned int id)
{
	struct bvm **pp, *vm;

	if (!b)
		return -EINVAL;
	for (pp = &b->vms; *pp && (*pp)->id != id; pp = &(*pp)->next)
		;
	if (!(vm = *pp))
		return -ENOENT;
	for (struct channel *c = b->chans, *next; c; c = next) {
		next = c->next;
		if (c->vm == vm)
			chan_close(c);
	}
	end_all(vm, NULL);
	bell_free(vm->bell);
	*pp = vm->next;
	vm_free(vm);
	rearm(b);
	return 0;
}

RTVM_EXPORT struct rtvm_boost *rtvm_boost_unref(struct rtvm_boost *b)
{
	if (!b)
		return NULL;
	while (b->vms)
		rtvm_boost_remove_vm(b, b->vms->id);
	close(b->tfd);
	close(b->epfd);
	rtvm_unref(b->ctx);
	free(b->trail);
	free(b);
	return NULL;
}

static int policy_fill(const struct rtvm_boost_policy *in,
		       struct rtvm_boost_policy *p)
{
	const unsigned int known = RTVM_BOOST_ALLOW(RTVM_BOOST_SCHED_FIFO) |
				   RTVM_BOOST_ALLOW(RTVM_BOOST_SCHED_RR) |
				   RTVM_BOOST_ALLOW(RTVM_BOOST_SCHED_DEADLINE);

	*p = (struct rtvm_boost_policy){ .size = sizeof(*p) };
	if (in) {
		if (in->size != sizeof(*in))
			return -EINVAL;
		*p = *in;
	}
	if (!p->policies)
		p->policies = RTVM_BOOST_ALLOW(RTVM_BOOST_SCHED_FIFO) |
			      RTVM_BOOST_ALLOW(RTVM_BOOST_SCHED_RR);
	if (!p->max_priority)
		p->max_priority = 10;
	if (!p->max_boost_us)
		p->max_boost_us = 10000;
	if (!p->budget_us && !p->budget_period_us) {
		p->budget_us = 500000;
		p->budget_period_us = 1000000;
	}
	if (!p->rate)
		p->rate = 20000;
	if (!p->burst)
		p->burst = 64;
	if (!p->max_lead_us)
		p->max_lead_us = 100000;
	if ((p->policies & ~known) || p->max_priority > 99 ||
	    !p->budget_period_us || p->budget_us > p->budget_period_us ||
	    p->rate > NSEC)
		return -EINVAL;
	return 0;
}

/* A record of the vCPU thread's attributes as they are: what putting it
 * back after a dead broker means.  A thread gone meanwhile is left out. */
static int journal_vcpu(struct bvm *vm, struct vcpu *v)
{
	char *target = NULL, text[RTVM_SCHED_TEXT_MAX];
	unsigned long long start;
	struct rtvm_sched s;
	int r;

	r = rtvm_thread_identity(vm->b->ctx, vcpu_tid(vm, v), &start);
	if (r == 0)
		r = rtvm_sys_sched_get(vm->b->ctx, vcpu_tid(vm, v), &s);
	if (r == -ESRCH || r == -ENOENT)
		return 0;
	if (r == 0)
		r = rtvm_sched_format_buf(&s, text, sizeof(text));
	if (r == 0)
		r = rtvm_thread_target_format(vcpu_tid(vm, v), start, &target);
	if (r == 0)
		r = rtvm_changeset_add(vm->journal, RTVM_CHANGE_THREAD_SCHED,
				       target, text, text);
	free(target);
	return r;
}

RTVM_EXPORT const struct rtvm_changeset *
rtvm_boost_get_changes(struct rtvm_boost *b, unsigned int id)
{
	struct bvm *vm = b ? find_vm(b, id) : NULL;

	return vm ? vm->journal : NULL;
}

RTVM_EXPORT int rtvm_boost_add_vm(struct rtvm_boost *b, struct rtvm_vm *vm,
				  const struct rtvm_boost_policy *policy,
				  unsigned int *ret_id)
{
	struct bvm *bv;
	uint64_t now;
	int r;

	if (!b || !vm || !ret_id)
		return -EINVAL;
	for (bv = b->vms; bv; bv = bv->next)
		if (rtvm_vm_get_pid(bv->vm) == rtvm_vm_get_pid(vm))
			return -EEXIST;
	bv = calloc(1, sizeof(*bv));
	if (!bv)
		return -ENOMEM;
	r = policy_fill(policy, &bv->pol);
	if (r < 0) {
		free(bv);
		return r;
	}
	bv->nr = rtvm_vm_get_nr_vcpus(vm);
	if (!bv->nr) {
		free(bv);
		return -ENOENT;
	}
	bv->v = calloc(bv->nr, sizeof(*bv->v));
	if (!bv->v) {
		free(bv);
		return -ENOMEM;
	}
	now = now_ns(b);
	bv->b = b;
	bv->vm = vm;
	r = rtvm_changeset_new(b->ctx, &bv->journal);
	for (unsigned int i = 0; r == 0 && i < bv->nr; i++) {
		pid_t tid = rtvm_vm_get_vcpu_tid(vm, i);

		/* A vCPU without a thread cannot be boosted: -ENOENT at
		 * request time becomes RTVM_BOOST_FAILED. */
		bv->v[i].tid = tid > 0 ? tid : 0;
		bv->v[i].window = now;
		bv->v[i].st.size = sizeof(bv->v[i].st);
		if (tid > 0)
			r = journal_vcpu(bv, &bv->v[i]);
	}
	if (r < 0) {
		bv->vm = NULL;
		vm_free(bv);
		return r;
	}
	bv->vm = rtvm_vm_ref(vm);
	bv->id = b->next_id++;
	bv->credit = NSEC / bv->pol.rate * bv->pol.burst;
	bv->credit_at = now;
	bv->next = b->vms;
	b->vms = bv;
	*ret_id = bv->id;
	return 0;
}

RTVM_EXPORT int rtvm_boost_set_policy(struct rtvm_boost *b, unsigned int id,
				      const struct rtvm_boost_policy *policy)
{
	struct rtvm_boost_policy p;
	struct bvm *vm;
	int r;

	if (!b)
		return -EINVAL;
	if (!(vm = find_vm(b, id)))
		return -ENOENT;
	if ((r = policy_fill(policy, &p)) < 0)
		return r;
	/* The periods keep their start; a bucket never holds more than the
	 * new burst. */
	vm->pol = p;
	if (vm->credit > NSEC / p.rate * p.burst)
		vm->credit = NSEC / p.rate * p.burst;
	return 0;
}

RTVM_EXPORT int rtvm_boost_get_fd(const struct rtvm_boost *b)
{
	return b ? b->epfd : -EINVAL;
}

RTVM_EXPORT int rtvm_boost_dispatch(struct rtvm_boost *b)
{
	struct epoll_event evs[16];
	uint64_t now;
	int n, count = 0;

	if (!b)
		return -EINVAL;
	do
		n = epoll_wait(b->epfd, evs, ARRAY_SIZE(evs), 0);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return -errno;
	now = now_ns(b);
	for (int i = 0; i < n; i++) {
		struct channel *c = evs[i].data.ptr;

		if (evs[i].data.ptr == b) {
			uint64_t ticks;

			/* Fired: one-shot, so no longer armed (EAGAIN: it was
			 * re-armed meanwhile, and still is). */
			if (read(b->tfd, &ticks, sizeof(ticks)) > 0)
				b->armed = 0;
			continue;
		}
		if (c->src == SRC_BELL) { /* the first field of both */
			count += bell_service((struct doorbell *)c, now);
			continue;
		}
		if (evs[i].events & EPOLLOUT)
			chan_flush(c);
		if (c->bell && (evs[i].events & (EPOLLIN | EPOLLHUP | EPOLLERR)))
			bell_client_input(c);
		else if (evs[i].events & (EPOLLIN | EPOLLHUP | EPOLLERR)) {
			int r = chan_read(c, now);

			if (r > 0)
				count += r;
		}
	}
	expire(b, now);
	rearm(b);
	return count;
}

RTVM_EXPORT int rtvm_boost_request(struct rtvm_boost *b, unsigned int id,
				   const struct rtvm_boost_msg *req,
				   struct rtvm_boost_msg *ret_ack)
{
	struct bvm *vm;
	uint64_t now;
	uint8_t wire[RTVM_BOOST_MSG_SIZE];
	struct rtvm_boost_msg m;
	int form;

	if (!b || !req || !ret_ack)
		return -EINVAL;
	if (!(vm = find_vm(b, id)))
		return -ENOENT;
	/* Judge the form as a channel would: through the wire bytes. */
	form = rtvm_boost_msg_encode(req, wire);
	if (form == 0)
		form = rtvm_boost_msg_decode(wire, &m);
	else
		m = *req;
	now = now_ns(b);
	expire(b, now);
	handle(vm, NULL, &m, form, now, -1, ret_ack);
	rearm(b);
	return 0;
}

RTVM_EXPORT int rtvm_boost_get_stats(struct rtvm_boost *b, unsigned int id,
				     int vcpu, struct rtvm_boost_stats *ret)
{
	struct bvm *vm;
	uint64_t now;

	if (!b || !ret || ret->size != sizeof(*ret))
		return -EINVAL;
	if (!(vm = find_vm(b, id)))
		return -ENOENT;
	if (vcpu < -1 || vcpu >= (int)vm->nr)
		return -EINVAL;
	now = now_ns(b);
	for (unsigned int i = 0; i < vm->nr; i++)
		account(vm, &vm->v[i], now);
	if (vcpu >= 0) {
		*ret = vm->v[vcpu].st;
		ret->boosted = vm->v[vcpu].boosted;
		return 0;
	}
	*ret = vm->st;
	ret->size = sizeof(*ret);
	for (struct channel *c = b->chans; c; c = c->next)
		ret->channels += c->vm == vm;
	for (unsigned int i = 0; i < vm->nr; i++) {
		const struct rtvm_boost_stats *s = &vm->v[i].st;

		ret->boosts += s->boosts;
		ret->deboosts += s->deboosts;
		ret->expired += s->expired;
		ret->budget_ends += s->budget_ends;
		ret->closed += s->closed;
		ret->boosted_ns += s->boosted_ns;
		ret->scheduled += s->scheduled;
		ret->started += s->started;
		if (s->start_late_max_ns > ret->start_late_max_ns)
			ret->start_late_max_ns = s->start_late_max_ns;
		ret->boosted += vm->v[i].boosted;
	}
	return 0;
}
