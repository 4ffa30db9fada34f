/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Helpers shared by the check suites. */
#ifndef RTVM_TESTUTIL_H
#define RTVM_TESTUTIL_H

#include <check.h>
#include <stdbool.h>
#include <rtvm/rtvm.h>

#define EXIT_SKIP 77

/* A fresh, writable copy of fixture @name (a directory under
 * tests/fixtures, or made by tests/fixtures/gen-NAME.sh), removed at exit.
 * Returns its absolute path (static storage per call, do not free). */
const char *tu_fixture(const char *name);
/* A context rooted at a fresh copy of fixture @name. */
struct rtvm_ctx *tu_ctx(const char *name);
/* Read a file of the fixture the context is rooted at. */
char *tu_read(struct rtvm_ctx *ctx, const char *rel);
/* Overwrite a file of the fixture (creating its directories). */
void tu_write(struct rtvm_ctx *ctx, const char *rel, const char *content);
/* A mask from a list, failing the test on error. */
struct rtvm_cpumask *tu_mask(unsigned int nr_cpus, const char *list);
/* The list form of a mask; static storage (4 slots). */
const char *tu_list(const struct rtvm_cpumask *mask);
/* Assert a readiness-check result: its status, that observed and
 * expected are set, that a remedy is given exactly when something is to be
 * done, and (when not NULL) substrings of observed and remedy. */
void tu_expect_check_at(int line, const struct rtvm_check_result *r,
			int status, const char *obs, const char *rem);
#define tu_expect_check(r, st, obs, rem)                                 \
	tu_expect_check_at(__LINE__, (r), (st), (obs), (rem))
/* Live tests that run SCHED_FIFO work on a CPU hold this lock for their
 * whole run, so that "make -j" never runs two of them side by side (one's
 * FIFO 99 spinner would starve the other's threads).  Returns the fd. */
int tu_lock_rt_cpus(void);
/* Sleep one RT bandwidth period (kernel.sched_rt_period_us) and a bit.
 * The FIFO work of the test that held the lock before counts against the
 * CPU's RT runtime of the period it ran in; a case that measures how long
 * a FIFO thread waited calls this after taking the lock, so that the
 * throttling that work earned (the last 5% of a period) does not land on
 * the thread it measures. */
void tu_wait_rt_period(void);
/* 0 when this process is root and may use SCHED_FIFO (its cpu cgroup has
 * RT runtime); else prints why @what cannot run and returns EXIT_SKIP. */
int tu_rt_skip(const char *what);
/* A child process of the test with two sleeping threads, for live tests:
 * tids[0] is its main thread, tids[1] "rtvm-live-a", tids[2]
 * "rtvm-live-b".  It dies with the test (PR_SET_PDEATHSIG). */
struct tu_child {
	pid_t pid;
	pid_t tids[3];
};
struct tu_child tu_spawn_sleepers(void);
/* The same with thread names @a and @b ("CPU 0/KVM": a fake QEMU). */
struct tu_child tu_spawn_named(const char *a, const char *b);
/* Kill and reap the child (again is harmless). */
void tu_reap(struct tu_child *c);
/* Run a shell command, fail the test unless it succeeds, return its
 * standard output (free() it). */
char *tu_run_cmd(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* A small file's text without its trailing newlines; -errno.  Uses only
 * open/read/close. */
int tu_read_text(const char *path, char *buf, size_t size);
/* Live tests that change the host's IRQ affinities call this in main()
 * before any test: it takes a lock that the other such suites wait for
 * (held until exit), saves every smp_affinity_list and
 * default_smp_affinity, and puts them back on SIGINT/SIGTERM/SIGHUP.
 * Returns how many files it saved (0 when the lock failed). */
size_t tu_irq_guard(void);
/* Write back whatever differs from the saved values (after the suite: a
 * test may have failed or crashed mid-change); how many differed. */
unsigned int tu_irq_put_back(void);
/* The saved value of a file, NULL if not saved. */
const char *tu_irq_saved(const char *path);
/* Assert that every saved file has its saved value again. */
void tu_irq_expect_as_before(void);
/* Run a suite in fork mode; returns the exit status for main(). */
int tu_run(Suite *s);

#endif
