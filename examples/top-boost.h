/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* rtvm-top --boostd: the boost broker's figures per VM and vCPU, read from
 * rtvm-boostd's status socket at each sample. */
#ifndef RTVM_TOP_BOOST_H
#define RTVM_TOP_BOOST_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

/* A counter over the last interval and since the daemon started. */
struct top_boost_fig {
	uint64_t boosts, boosts_total;
	uint64_t boosted_ns, boosted_ns_total;
	uint64_t requests, requests_total; /* VM only */
	uint64_t refused, refused_total;   /* VM only */
	bool boosted;			   /* boosted at the sample (VM: any
					    * of its vCPUs) */
	bool delta_known;		   /* false: no answer the interval
					    * before, only the totals count */
};

struct top_boost;

/* A reader of the daemon's status socket @path (kept, not copied). */
struct top_boost *top_boost_new(const char *path);
void top_boost_free(struct top_boost *b);
/* Ask the daemon once more; the deltas are against the previous answer
 * (a daemon that restarted counts from zero again).  0, or -errno: the
 * figures are then unknown until an answer comes, and @ret_why says
 * what went wrong (static text). */
int top_boost_sample(struct top_boost *b, const char **ret_why);
/* The figures of the VM whose VMM is @pid (@tid 0), or of its vCPU thread
 * @tid: true when the daemon knows it. */
bool top_boost_get(const struct top_boost *b, pid_t pid, pid_t tid,
		   struct top_boost_fig *ret);

#endif
