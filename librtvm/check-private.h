/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Host readiness checks: what each check gets and how it reports.  Checks
 * are functions in a table (check.c); each reads the host through the fs
 * module and the host model and fills one result.
 */
#ifndef RTVM_CHECK_PRIVATE_H
#define RTVM_CHECK_PRIVATE_H

#include "librtvm-private.h"

struct rtvm_check_result;

/* What every check gets.  Read-only. */
struct rtvm_check_env {
	struct rtvm_ctx *ctx;
	/* Loaded with everything: CPUs, cmdline, threads with affinity and
	 * cgroups. */
	struct rtvm_host *host;
	/* The RT CPUs under test (never NULL, may be empty), and the other
	 * online CPUs. */
	const struct rtvm_cpumask *rt;
	const struct rtvm_cpumask *housekeeping;
	/* Options with defaults filled in. */
	unsigned int max_exit_latency_us; /* pm.cstates target */
	unsigned int sample_ms;		  /* extra wait between samples */
	unsigned int noise_ms;		  /* 0: noise.gaps is skipped */
	unsigned int noise_threshold_us;
	int noise_cpu;			  /* the CPU for noise.gaps */
	pid_t vm_pid;			  /* topology.numa: the VM's memory */
	/* Samples taken at the start of the run by the checks that compare
	 * counters over the run (irq.rt_cpus, smi.count); owned by check.c,
	 * filled through rtvm_check_sample(). */
	struct rtvm_check_samples *samples;
};

/* One check: run() fills @res and returns 0, or a negative errno for an
 * internal failure (the run then reports the check as "skip" with the
 * error).  A check never fails the whole run. */
struct rtvm_check_def {
	const char *id;
	const char *title;
	/* Called once at the start of the run, before any check runs, for
	 * checks that sample counters; may be NULL. */
	int (*sample)(const struct rtvm_check_env *env, void **ret_state);
	int (*run)(const struct rtvm_check_env *env, void *state,
		   struct rtvm_check_result *res);
	void (*free_state)(void *state);
};

/* Filling a result.  The strings are printf formats; each setter replaces
 * what was there.  Status is one of enum rtvm_check_status. */
void rtvm_check_set_status(struct rtvm_check_result *res, int status);
void rtvm_check_set_observed(struct rtvm_check_result *res, const char *fmt,
			     ...) RTVM_PRINTF(2, 3);
void rtvm_check_set_expected(struct rtvm_check_result *res, const char *fmt,
			     ...) RTVM_PRINTF(2, 3);
void rtvm_check_set_remedy(struct rtvm_check_result *res, const char *fmt,
			   ...) RTVM_PRINTF(2, 3);
/* A per-CPU line, e.g. cpu 3: "C6 (133 us) enabled". */
void rtvm_check_add_detail(struct rtvm_check_result *res, int cpu,
			   const char *fmt, ...) RTVM_PRINTF(3, 4);
/* Keep the more severe of the current status and @status, in the order
 * pass < info < skip < warn < fail (the enum's numeric order). */
void rtvm_check_worsen(struct rtvm_check_result *res, int status);

/* The check tables of each area, NULL-terminated by id. */
extern const struct rtvm_check_def rtvm_checks_kernel[];
extern const struct rtvm_check_def rtvm_checks_hw[];
extern const struct rtvm_check_def rtvm_checks_sched[];
extern const struct rtvm_check_def rtvm_checks_noise[];

/* noise.c: spin on @cpu for @ms at SCHED_FIFO 99 (through the ops table),
 * reading the clock, and histogram the gaps above @threshold_us. */
struct rtvm_noise_result {
	uint64_t samples;
	uint64_t gaps;		/* gaps above the threshold */
	uint64_t max_gap_ns;
	uint64_t total_gap_ns;
	uint64_t hist[8];	/* >=thr, >=10us, >=50us, >=100us, >=500us,
				   >=1ms, >=5ms, >=20ms */
};
int rtvm_noise_measure(struct rtvm_ctx *ctx, int cpu, unsigned int ms,
		       unsigned int threshold_us,
		       struct rtvm_noise_result *ret);

#endif
