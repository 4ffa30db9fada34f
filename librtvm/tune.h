/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Profiles as tune.c reads them (profile.c parses them). */
#ifndef RTVM_TUNE_PRIVATE_H
#define RTVM_TUNE_PRIVATE_H

#include <stdbool.h>

#include "librtvm-private.h"

#define RTVM_PROFILE_VERSION 1

/* The roles a profile gives policies to. */
enum prof_role {
	PROF_RT_VCPU = 0,
	PROF_VCPU,     /* the vCPUs that are not real-time */
	PROF_EMULATOR, /* the main thread and the helper threads */
	PROF_IOTHREAD,
	PROF_NR_ROLES,
};

/* Where a role's threads may run. */
enum prof_cpus {
	PROF_CPUS_DEFAULT = 0, /* the role's default (housekeeping) */
	PROF_CPUS_HOUSEKEEPING,
	PROF_CPUS_RT,
	PROF_CPUS_LIST,
};

struct prof_policy {
	bool has_sched; /* a "policy" was given: the threads get it */
	struct rtvm_sched sched;
	bool has_nice;
	enum prof_cpus cpus;
	char *cpu_list; /* PROF_CPUS_LIST */
};

struct prof_vcpu {
	int pcpu;
	bool rt;
	int priority; /* 0: the rt_vcpu policy's */
};

struct prof_irq {
	char *match; /* an rtvm_irq_match() selector */
	char *cpus;  /* CPU list, a subset of the RT CPUs */
};

struct prof_knob {
	bool set;
	long long value;
};

struct rtvm_profile {
	int refcount;
	struct rtvm_ctx *ctx;
	char *json; /* the document, as given */
	char *normal; /* the document compact with its keys sorted: what a
		       * journal records, and what "the same profile" is */
	char *name;
	/* VM selector */
	char *vm_uri, *vm_domain;
	pid_t vm_pid;
	char *rt_cpus, *hk_cpus; /* NULL: isolated CPUs / the rest */
	struct prof_vcpu *vcpus;
	unsigned int nr_vcpus;
	char *rt_vcpus; /* a mask of vCPU indexes; NULL: all */
	struct prof_policy roles[PROF_NR_ROLES];
	bool irq_away;
	struct prof_irq *irqs;
	unsigned int nr_irqs;
	char *kthreads; /* a kthread profile name, NULL: leave them */
	struct prof_knob rt_runtime, timer_migration, ksm, pm_qos;
	char *thp;	       /* always, madvise, never */
	bool wq_set;
	enum prof_cpus wq_cpus; /* HOUSEKEEPING or LIST */
	char *wq_list;
	bool provision_rt; /* give cpu cgroups RT runtime (RT_GROUP_SCHED) */
	bool shield;
	char *shield_scope; /* NULL: "/" */
	bool shield_per_vcpu, shield_kthreads;
	/* "boost": the policy rtvm-boostd gives the VM's guest; false for
	 * no key and for {} */
	bool has_boost;
	struct rtvm_boost_policy boost;
};

/* The scheduling attributes of kthread profile @profile for the kernel
 * thread @comm when its CPU is in @cpus: 1 and @ret set, 0 when no rule
 * applies, -ENOENT for an unknown profile (sched.c). */
int rtvm_kthread_rule(const char *profile, const char *comm,
		      const struct rtvm_cpumask *cpus, struct rtvm_sched *ret);

/* Tests: SIGKILL the calling process at crash point @point of the next
 * apply, -1 for none.  Points are counted as the apply passes them: 0
 * once the journal exists, then one after each record's intent (synced,
 * or still waiting for its batch's commit) and one after each change
 * made; a plan of n steps without a shield has the points 0 .. 2n. */
void rtvm_tune_set_crash_point(struct rtvm_ctx *ctx, int point);

#endif
