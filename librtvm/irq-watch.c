/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Keeping IRQs where a steering request put them.  Affinity does not stick:
 * a driver that reloads, or a NIC brought down and up, frees its IRQs and
 * asks for new ones with the default affinity; irqbalance or an admin may
 * write over it.  A watch re-applies the request when a network link
 * changes (NETLINK_ROUTE link events), and on a periodic check that also
 * catches new IRQs and anything else.  The caller polls one fd (an epoll
 * fd holding the link monitor and a timerfd) and calls dispatch when it is
 * readable.
 */
#include "config.h"

#include <net/if.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/timerfd.h>
#include <unistd.h>

#include "librtvm-private.h"

#define DEFAULT_INTERVAL_MS 5000

struct rtvm_irq_watch {
	int refcount;
	struct rtvm_ctx *ctx;
	struct rtvm_changeset *cs;
	struct rtvm_irq_steer req; /* deep copy: the caller's may go away */
	struct rtvm_netlink *nl;
	int timerfd, epfd;
};

static struct rtvm_cpumask *mask_copy(const struct rtvm_cpumask *m, int *r)
{
	struct rtvm_cpumask *c = NULL;

	if (!m || *r < 0)
		return NULL;
	*r = rtvm_cpumask_dup(m, &c);
	return c;
}

static char **sels_copy(const char *const *v, int *r)
{
	size_t n = 0;
	char **c;

	if (!v || *r < 0)
		return NULL;
	while (v[n])
		n++;
	c = calloc(n + 1, sizeof(*c));
	if (!c) {
		*r = -ENOMEM;
		return NULL;
	}
	for (size_t i = 0; i < n; i++)
		if (!(c[i] = strdup(v[i]))) {
			*r = -ENOMEM;
			break;
		}
	return c;
}

static void sels_free(const char *const *v)
{
	for (size_t i = 0; v && v[i]; i++)
		free((char *)v[i]);
	free((void *)v);
}

static void watch_free(struct rtvm_irq_watch *w)
{
	rtvm_cpumask_free((struct rtvm_cpumask *)w->req.away_from);
	rtvm_cpumask_free((struct rtvm_cpumask *)w->req.housekeeping);
	rtvm_cpumask_free((struct rtvm_cpumask *)w->req.rt_cpus);
	rtvm_cpumask_free((struct rtvm_cpumask *)w->req.cpus);
	sels_free(w->req.to_rt);
	sels_free(w->req.select);
	rtvm_netlink_close(w->nl);
	if (w->timerfd >= 0)
		close(w->timerfd);
	if (w->epfd >= 0)
		close(w->epfd);
	rtvm_changeset_unref(w->cs);
	rtvm_unref(w->ctx);
	free(w);
}

static int watch_fd(struct rtvm_irq_watch *w, int fd)
{
	struct epoll_event ev = { .events = EPOLLIN, .data.fd = fd };

	return epoll_ctl(w->epfd, EPOLL_CTL_ADD, fd, &ev) < 0 ? -errno : 0;
}

RTVM_EXPORT int rtvm_irq_watch_new(struct rtvm_ctx *ctx,
				   const struct rtvm_irq_steer *req,
				   struct rtvm_changeset *cs,
				   unsigned int interval_ms,
				   struct rtvm_irq_watch **ret)
{
	struct rtvm_irq_watch *w;
	struct rtvm_irq_report *rep = NULL;
	struct itimerspec its = { 0 };
	int r = 0;

	if (!ctx || !req || !cs || !ret)
		return -EINVAL;
	/* The same validation as a steer, with nothing written. */
	{
		struct rtvm_irq_steer dry = *req;

		if (req->size >= sizeof(*req))
			dry.flags |= RTVM_IRQ_STEER_DRY_RUN;
		r = rtvm_irq_steer(ctx, &dry, NULL, &rep);
		rtvm_irq_report_free(rep);
		if (r < 0)
			return r;
	}
	w = calloc(1, sizeof(*w));
	if (!w)
		return -ENOMEM;
	w->refcount = 1;
	w->ctx = rtvm_ref(ctx);
	w->cs = rtvm_changeset_ref(cs);
	w->timerfd = w->epfd = -1;
	w->req = *req;
	w->req.size = sizeof(w->req);
	/* The default affinity is a one-time change of the first steer. */
	w->req.flags &= ~(RTVM_IRQ_STEER_DRY_RUN |
			  RTVM_IRQ_STEER_DEFAULT_AFFINITY);
	w->req.away_from = mask_copy(req->away_from, &r);
	w->req.housekeeping = mask_copy(req->housekeeping, &r);
	w->req.rt_cpus = mask_copy(req->rt_cpus, &r);
	w->req.cpus = mask_copy(req->cpus, &r);
	w->req.to_rt = (const char *const *)sels_copy(req->to_rt, &r);
	w->req.select = (const char *const *)sels_copy(req->select, &r);
	if (r < 0)
		goto fail;
	w->epfd = epoll_create1(EPOLL_CLOEXEC);
	w->timerfd = timerfd_create(CLOCK_MONOTONIC,
				    TFD_NONBLOCK | TFD_CLOEXEC);
	if (w->epfd < 0 || w->timerfd < 0) {
		r = -errno;
		goto fail;
	}
	if (!interval_ms)
		interval_ms = DEFAULT_INTERVAL_MS;
	its.it_interval.tv_sec = interval_ms / 1000;
	its.it_interval.tv_nsec = (long)(interval_ms % 1000) * 1000000L;
	its.it_value = its.it_interval;
	if (timerfd_settime(w->timerfd, 0, &its, NULL) < 0) {
		r = -errno;
		goto fail;
	}
	r = watch_fd(w, w->timerfd);
	if (r < 0)
		goto fail;
	/* Without link events (no netlink here), the periodic check still
	 * keeps the IRQs in place. */
	r = rtvm_netlink_open(ctx, &w->nl);
	if (r == 0)
		r = watch_fd(w, rtvm_netlink_get_fd(w->nl));
	else if (r != -ENOMEM)
		info(ctx, "IRQ watch without link events: %s", strerror(-r));
	if (r == -ENOMEM)
		goto fail;
	*ret = w;
	return 0;
fail:
	watch_free(w);
	return r;
}

RTVM_EXPORT struct rtvm_irq_watch *rtvm_irq_watch_ref(struct rtvm_irq_watch *w)
{
	if (w)
		w->refcount++;
	return w;
}

RTVM_EXPORT struct rtvm_irq_watch *
rtvm_irq_watch_unref(struct rtvm_irq_watch *w)
{
	if (w && --w->refcount == 0)
		watch_free(w);
	return NULL;
}

RTVM_EXPORT int rtvm_irq_watch_get_fd(const struct rtvm_irq_watch *w)
{
	return w ? w->epfd : -EINVAL;
}

struct rtvm_netlink *rtvm_irq_watch_get_netlink(struct rtvm_irq_watch *w)
{
	return w ? w->nl : NULL;
}

/* Which link events mean IRQs may have been made anew: a device that came
 * or went, or went up or down (drivers ask for their IRQs when opened);
 * not carrier or address flags alone. */
static int on_link(const struct rtvm_link_event *ev, void *userdata)
{
	bool *check = userdata;

	if (ev->action != RTVM_LINK_CHANGE || (ev->change & IFF_UP))
		*check = true;
	return 0;
}

RTVM_EXPORT int rtvm_irq_watch_dispatch(struct rtvm_irq_watch *w,
					struct rtvm_irq_report **ret)
{
	struct rtvm_irq_report *rep = NULL;
	uint64_t expired = 0;
	bool check = false;
	int r;

	if (!w || !ret)
		return -EINVAL;
	*ret = NULL;
	if (read(w->timerfd, &expired, sizeof(expired)) ==
		    (ssize_t)sizeof(expired) && expired)
		check = true;
	if (w->nl) {
		r = rtvm_netlink_drain(w->nl, on_link, &check);
		if (r < 0)
			info(w->ctx, "IRQ watch: link events: %s; checking "
				     "everything", strerror(-r));
		if (r < 0)
			check = true;
	}
	if (!check)
		return 0;
	r = rtvm_irq_resteer(w->ctx, &w->req, w->cs, &rep);
	if (r < 0)
		return r;
	r = (int)rtvm_irq_report_tally(rep, RTVM_IRQ_MOVED);
	if (r)
		info(w->ctx, "IRQ watch: %d IRQ(s) had lost their affinity; "
			     "put back", r);
	*ret = rep;
	return r;
}
