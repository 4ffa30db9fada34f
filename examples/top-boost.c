/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* rtvm-top --boostd: rtvm-boostd's counters (its status document, one JSON
 * object per connection, rtvm-boostd(8)) turned into per-interval figures
 * for the VMs and vCPU threads that rtvm-top shows. */
#include "config.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "tool.h"
#include "top-boost.h"

/* The daemon's totals for one VM (tid 0) or one vCPU thread. */
struct entry {
	pid_t pid, tid;
	struct top_boost_fig f; /* the *_total fields and boosted */
};

struct top_boost {
	const char *path;
	struct entry *now, *prev;
	size_t nr_now, nr_prev;
	bool have_now, have_prev;
};

struct top_boost *top_boost_new(const char *path)
{
	struct top_boost *b = calloc(1, sizeof(*b));

	if (b)
		b->path = path;
	return b;
}

void top_boost_free(struct top_boost *b)
{
	if (!b)
		return;
	free(b->now);
	free(b->prev);
	free(b);
}

static uint64_t count(const cJSON *o, const char *key)
{
	double v = cJSON_GetNumberValue(cJSON_GetObjectItem(o, key));

	return v > 0 && v < 1.8e19 ? (uint64_t)v : 0;
}

static uint64_t ms_to_ns(const cJSON *o, const char *key)
{
	double v = cJSON_GetNumberValue(cJSON_GetObjectItem(o, key));

	return v > 0 && v < 1.8e13 ? (uint64_t)(v * 1e6 + 0.5) : 0;
}

/* The entries of one status document; -EBADMSG when it is not one. */
static int parse(const char *text, struct entry **ret, size_t *ret_nr)
{
	cJSON *root = cJSON_Parse(text), *vm, *v, *why;
	struct entry *e = NULL, *grown;
	size_t nr = 0, size = 0;
	int r = 0;

	if (!cJSON_IsArray(cJSON_GetObjectItem(root, "vms"))) {
		cJSON_Delete(root);
		return -EBADMSG;
	}
	cJSON_ArrayForEach(vm, cJSON_GetObjectItem(root, "vms")) {
		cJSON *st = cJSON_GetObjectItem(vm, "stats");
		pid_t pid = (pid_t)count(vm, "pid");
		int n = cJSON_GetArraySize(cJSON_GetObjectItem(vm, "vcpus"));

		if (!st || pid <= 0)
			continue; /* not found (yet) */
		if (nr + 1 + (size_t)n > size) {
			size = (nr + 1 + (size_t)n) * 2;
			grown = realloc(e, size * sizeof(*e));
			if (!grown) {
				r = -ENOMEM;
				break;
			}
			e = grown;
		}
		e[nr] = (struct entry){ .pid = pid };
		e[nr].f.boosts_total = count(st, "boosts");
		e[nr].f.boosted_ns_total = ms_to_ns(st, "boosted_ms");
		e[nr].f.requests_total = count(st, "requests");
		cJSON_ArrayForEach(why, cJSON_GetObjectItem(st, "refused"))
			if (cJSON_IsNumber(why) && why->valuedouble > 0)
				e[nr].f.refused_total += (uint64_t)why->valuedouble;
		e[nr].f.boosted = count(st, "boosted") > 0;
		nr++;
		cJSON_ArrayForEach(v, cJSON_GetObjectItem(vm, "vcpus")) {
			pid_t tid = (pid_t)count(v, "tid");

			if (tid <= 0)
				continue;
			e[nr] = (struct entry){ .pid = pid, .tid = tid };
			e[nr].f.boosts_total = count(v, "boosts");
			e[nr].f.boosted_ns_total = ms_to_ns(v, "boosted_ms");
			e[nr].f.boosted = count(v, "boosted") > 0;
			nr++;
		}
	}
	cJSON_Delete(root);
	if (r < 0) {
		free(e);
		return r;
	}
	*ret = e;
	*ret_nr = nr;
	return 0;
}

int top_boost_sample(struct top_boost *b, const char **ret_why)
{
	struct entry *e = NULL;
	char *text = NULL;
	size_t nr = 0;
	int r;

	r = tool_unix_ask(b->path, &text);
	if (r == 0) {
		r = parse(text, &e, &nr);
		if (r == -EBADMSG)
			*ret_why = "the answer is not rtvm-boostd's status";
	} else {
		*ret_why = "is rtvm-boostd running?";
	}
	free(text);
	/* After a failed answer, the next good one has nothing to count
	 * from: its deltas are unknown, never made up. */
	free(b->prev);
	b->prev = b->now;
	b->nr_prev = b->nr_now;
	b->have_prev = b->have_now;
	b->now = e;
	b->nr_now = nr;
	b->have_now = r == 0;
	return r;
}

static const struct entry *find(const struct entry *e, size_t nr, pid_t pid,
				pid_t tid)
{
	for (size_t i = 0; i < nr; i++)
		if (e[i].pid == pid && e[i].tid == tid)
			return &e[i];
	return NULL;
}

/* now - before; a daemon that restarted counts from zero. */
static uint64_t delta(uint64_t now, uint64_t before)
{
	return now >= before ? now - before : now;
}

bool top_boost_get(const struct top_boost *b, pid_t pid, pid_t tid,
		   struct top_boost_fig *ret)
{
	const struct entry *now, *before;

	if (!b || !b->have_now || !(now = find(b->now, b->nr_now, pid, tid)))
		return false;
	*ret = now->f;
	ret->delta_known = b->have_prev;
	if (!b->have_prev)
		return true;
	before = find(b->prev, b->nr_prev, pid, tid);
	if (before) {
		ret->boosts = delta(now->f.boosts_total, before->f.boosts_total);
		ret->boosted_ns = delta(now->f.boosted_ns_total,
					before->f.boosted_ns_total);
		ret->requests = delta(now->f.requests_total,
				      before->f.requests_total);
		ret->refused = delta(now->f.refused_total,
				     before->f.refused_total);
	} else {
		/* New to the daemon since the last answer: everything it
		 * counted is this interval's. */
		ret->boosts = now->f.boosts_total;
		ret->boosted_ns = now->f.boosted_ns_total;
		ret->requests = now->f.requests_total;
		ret->refused = now->f.refused_total;
	}
	return true;
}
