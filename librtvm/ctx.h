/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The context's layout, shared by the few modules that keep state in it. */
#ifndef RTVM_CTX_H
#define RTVM_CTX_H

#include "librtvm-private.h"

struct rtvm_fault {
	struct rtvm_fault *next;
	char *match;
	unsigned int ops;
	unsigned int nth;
	unsigned int count;
	unsigned int seen;
	int err;
};

struct rtvm_trace {
	char **paths;
	size_t n, alloc;
};

struct rtvm_ctx {
	int refcount;
	rtvm_log_fn log_fn;
	int log_priority;
	void *userdata;
	char *root;		/* NULL on the real host */
	int rootfd;		/* O_PATH fd of root, -1 on the real host */
	unsigned int nr_possible; /* cached; 0 until read */
	const struct rtvm_sysops *ops;
	struct rtvm_fault *faults;
	struct rtvm_trace *trace;
	char *state_dir;	/* NULL: RTVM_STATE_DIR, else run/rtvm */
	int tune_crash_point;	/* tests: see tune.h; -1: none */
	/* While set, every record added to any changeset of this context
	 * is passed to it first (tune.c journals it); an error fails the
	 * add.  Mutators record before they change, so the journal sees
	 * intent.  See struct rtvm_intent_ops. */
	const struct rtvm_intent_ops *intent_ops;
	void *intent_data;
	bool intent_batch; /* rtvm_changeset_batch(): records wait for commit */
};

#endif
