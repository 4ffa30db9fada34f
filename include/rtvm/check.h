/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* librtvm: Host readiness checks.  Include <rtvm/rtvm.h>, which includes this. */
#ifndef RTVM_CHECK_H
#define RTVM_CHECK_H

#include <rtvm/context.h>
#include <rtvm/cpumask.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ------------------------------------------------------------------ */
/* Host readiness checks                                              */
/* ------------------------------------------------------------------ */

/** A check's outcome, in increasing severity.  The verdict of a run is the
 * worst of pass, warn and fail; info and skip do not count. */
enum rtvm_check_status {
	RTVM_CHECK_PASS = 0,
	RTVM_CHECK_INFO,
	RTVM_CHECK_SKIP,
	RTVM_CHECK_WARN,
	RTVM_CHECK_FAIL,
};

/* rtvm_check_opts.flags: run noise.gaps on noise_cpu, not the last RT CPU */
#define RTVM_CHECK_NOISE_CPU (1u << 0)

/** Options of rtvm_check_run(); zero fields take the defaults. */
struct rtvm_check_opts {
	size_t size;			 /* sizeof(struct rtvm_check_opts) */
	unsigned int flags;		 /* RTVM_CHECK_* */
	const struct rtvm_cpumask *rt_cpus; /* NULL: the isolated CPUs */
	const char *only;		 /* "id,prefix.,..." or NULL for all */
	unsigned int max_exit_latency_us; /* pm.cstates target (default 10) */
	unsigned int sample_ms;		 /* wait between counter samples (0) */
	unsigned int noise_ms;		 /* noise.gaps duration; 0 skips it */
	unsigned int noise_threshold_us; /* gap threshold (default 20) */
	unsigned int noise_cpu;		 /* with RTVM_CHECK_NOISE_CPU */
	pid_t vm_pid;			 /* a VM's VMM process: topology.numa
					  * relates its memory's nodes to
					  * the RT CPUs; 0: none */
};

struct rtvm_check_report;
struct rtvm_check_result;

/**
 * rtvm_check_run() - check whether the host is ready for RT VMs on the
 *      given RT CPUs, and say why not and what to do.
 * @ctx: the context (a sysroot is checked like a host, except noise.gaps,
 *       which needs the real CPUs and is skipped there).
 * @opts: options, or NULL for the defaults; @opts->size must be set.
 * @ret: where the report is stored (one reference).
 *
 * Each check is independent: one that cannot look (a missing file, no
 * privilege) reports "skip" with the reason; the run itself fails only for
 * bad arguments or an unreadable host.  Counters (IRQs and SMIs on RT CPUs)
 * are sampled at the start and at the end of the run, @opts->sample_ms
 * apart at least.  With @opts->noise_ms the run spins a SCHED_FIFO thread
 * of its own on one RT CPU for that long.
 *
 * With @opts->vm_pid, topology.numa also says on which nodes that
 * process's memory is (its numa_maps in procfs) and whether the RT CPUs
 * are on them.
 *
 * Returns: 0, or -EINVAL (NULL @ctx or @ret, a wrong @opts->size, unknown
 * flags, an RT CPU that is offline or not a CPU of the host, @opts->only
 * naming no known check, an offline noise CPU, a negative @opts->vm_pid),
 * -ENOMEM, or the error of loading the host model.
 * Privileges: none for most checks; root for smi.count (MSR device),
 * irq.irqbalance's environment file and noise.gaps (SCHED_FIFO).  What
 * cannot be read is reported as "skip".
 */
int rtvm_check_run(struct rtvm_ctx *ctx, const struct rtvm_check_opts *opts,
		   struct rtvm_check_report **ret);

/**
 * rtvm_check_report_ref() - take a reference on a report.
 * @report: the report, or NULL.
 *
 * Returns: @report.
 * Privileges: none.
 */
struct rtvm_check_report *
rtvm_check_report_ref(struct rtvm_check_report *report);

/**
 * rtvm_check_report_unref() - drop a reference; the last frees the report.
 * @report: the report, or NULL.
 *
 * Returns: NULL, always.
 * Privileges: none.
 */
struct rtvm_check_report *
rtvm_check_report_unref(struct rtvm_check_report *report);

/**
 * rtvm_check_report_get_verdict() - the worst status among pass, warn and
 *      fail of all results.
 * @report: the report.
 *
 * Returns: RTVM_CHECK_PASS, RTVM_CHECK_WARN or RTVM_CHECK_FAIL, or -EINVAL
 * for NULL.
 * Privileges: none.
 */
int rtvm_check_report_get_verdict(const struct rtvm_check_report *report);

/**
 * rtvm_check_report_get_count() - how many results have a status.
 * @report: the report.
 * @status: an enum rtvm_check_status.
 *
 * Returns: the count, 0 for NULL or an unknown status.
 * Privileges: none.
 */
unsigned int rtvm_check_report_get_count(const struct rtvm_check_report *report,
					 int status);

/**
 * rtvm_check_report_get_rt_cpus() - the RT CPUs that were checked.
 * @report: the report.
 *
 * Returns: the mask (lent), or NULL for NULL.
 * Privileges: none.
 */
const struct rtvm_cpumask *
rtvm_check_report_get_rt_cpus(const struct rtvm_check_report *report);

/**
 * rtvm_check_report_next() - iterate over the results in check order.
 * @report: the report.
 * @prev: the previous result, or NULL to start.
 *
 * Returns: the next result (lent), or NULL at the end.
 * Privileges: none.
 */
const struct rtvm_check_result *
rtvm_check_report_next(const struct rtvm_check_report *report,
		       const struct rtvm_check_result *prev);

/** Iterate @r (a const struct rtvm_check_result *) over a report. */
#define rtvm_check_report_foreach(r, report)                             \
	for ((r) = rtvm_check_report_next((report), NULL); (r);           \
	     (r) = rtvm_check_report_next((report), (r)))

/**
 * rtvm_check_report_find() - a result by check id.
 * @report: the report.
 * @id: a check id such as "pm.cstates".
 * @ret: where the result (lent) is stored.
 *
 * Returns: 0, -ENOENT when the report has no such check, -EINVAL (NULL).
 * Privileges: none.
 */
int rtvm_check_report_find(const struct rtvm_check_report *report,
			   const char *id,
			   const struct rtvm_check_result **ret);

/**
 * rtvm_check_report_to_json() - the report as JSON.
 * @report: the report.
 * @ret: where the document is stored; free() it.  Its form is
 *       {"verdict": "pass|warn|fail", "rt_cpus": "LIST", "counts": {...},
 *       "checks": [{"id", "title", "status", "observed", "expected",
 *       "remedy", "details": [{"cpu", "text"}]}, ...]}.
 *
 * Returns: 0, or -EINVAL (NULL argument), -ENOMEM.
 * Privileges: none.
 */
int rtvm_check_report_to_json(const struct rtvm_check_report *report,
			      char **ret);

/**
 * rtvm_check_status_to_string() - "pass", "info", "skip", "warn", "fail".
 * @status: an enum rtvm_check_status.
 *
 * Returns: a static string, or NULL for an unknown status.
 * Privileges: none.
 */
const char *rtvm_check_status_to_string(int status);

/**
 * rtvm_check_result_get_id() - the check's id, e.g. "cmdline.nohz_full".
 * @r: the result.
 *
 * Returns: the id (static), or NULL for NULL.
 * Privileges: none.
 */
const char *rtvm_check_result_get_id(const struct rtvm_check_result *r);

/**
 * rtvm_check_result_get_title() - a one-line description of the check.
 * @r: the result.
 *
 * Returns: the title (static), or NULL for NULL.
 * Privileges: none.
 */
const char *rtvm_check_result_get_title(const struct rtvm_check_result *r);

/**
 * rtvm_check_result_get_status() - the check's status.
 * @r: the result.
 *
 * Returns: an enum rtvm_check_status, or -EINVAL for NULL.
 * Privileges: none.
 */
int rtvm_check_result_get_status(const struct rtvm_check_result *r);

/**
 * rtvm_check_result_get_observed() - what the check found, in text.
 * @r: the result.
 *
 * Returns: the text (lent), "" when there is none, NULL for NULL.
 * Privileges: none.
 */
const char *rtvm_check_result_get_observed(const struct rtvm_check_result *r);

/**
 * rtvm_check_result_get_expected() - what an RT host has, in text.
 * @r: the result.
 *
 * Returns: the text (lent), "" when there is none, NULL for NULL.
 * Privileges: none.
 */
const char *rtvm_check_result_get_expected(const struct rtvm_check_result *r);

/**
 * rtvm_check_result_get_remedy() - a concrete fix: a command to run or a
 *      kernel command-line change.
 * @r: the result.
 *
 * Returns: the text (lent), "" when nothing is to be done, NULL for NULL.
 * Privileges: none.
 */
const char *rtvm_check_result_get_remedy(const struct rtvm_check_result *r);

/**
 * rtvm_check_result_get_nr_details() - how many per-CPU lines it has.
 * @r: the result.
 *
 * Returns: the count, 0 for NULL.
 * Privileges: none.
 */
unsigned int rtvm_check_result_get_nr_details(const struct rtvm_check_result *r);

/**
 * rtvm_check_result_get_detail() - one per-CPU line.
 * @r: the result.
 * @index: 0 .. rtvm_check_result_get_nr_details() - 1.
 * @ret_cpu: where the CPU is stored (-1 for a line about no one CPU).
 * @ret_text: where the text (lent) is stored.
 *
 * Returns: 0, -ENOENT for a bad @index, -EINVAL (NULL argument).
 * Privileges: none.
 */
int rtvm_check_result_get_detail(const struct rtvm_check_result *r,
				 unsigned int index, int *ret_cpu,
				 const char **ret_text);

#ifdef __cplusplus
}
#endif

#endif /* RTVM_CHECK_H */
