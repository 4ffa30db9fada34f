/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* What several benchmarks share: the fake VM child, running a tool,
 * and the row of figures with the cost per item. */
#ifndef BENCH_UTIL_H
#define BENCH_UTIL_H

#include <stdbool.h>
#include <stdio.h>
#include <sys/types.h>

#include "stats.h"

/*
 * A child process holding @nr threads blocked in pause() (64 KiB stacks,
 * every signal blocked), named with @name_fmt and the thread's index
 * ("CPU %u/KVM" gives QEMU's vCPU names) or left unnamed when @name_fmt is
 * NULL.  The child dies with its parent (PR_SET_PDEATHSIG).  tids[i] is
 * thread i (only when named), read back from /proc once every thread
 * exists there.
 */
struct bench_vm {
	pid_t pid;
	unsigned int nr;
	pid_t *tids;
};

/* 0, or -1 after saying on stderr why (prefixed with @who). */
int bench_vm_start(struct bench_vm *vm, const char *who, const char *comm,
		   unsigned int nr, const char *name_fmt);
/* Kill and reap the child, free the tids; safe to call twice. */
void bench_vm_stop(struct bench_vm *vm);

/* posix_spawnp @argv with stdout on @out_fd and stderr on @err_fd (-1:
 * inherited), and wait.  Returns the wait status, or -errno when it could
 * not start. */
int bench_spawn_wait(char *const argv[], int out_fd, int err_fd);
/* The same, with the child's resource usage in @ru (when not NULL). */
struct rusage;
int bench_spawn_wait_rusage(char *const argv[], int out_fd, int err_fd,
			    struct rusage *ru);
/* Whether @name is an executable in $PATH. */
bool bench_in_path(const char *name);

/* The floors' bare system calls.  Each returns 0 or -errno. */
/* sched_setattr(2) of @tid to @policy and @priority, as a raw call. */
int bench_setattr(pid_t tid, int policy, unsigned int priority);
/* sched_getattr(2) of @tid, as a raw call: its policy and RT priority. */
int bench_getattr(pid_t tid, unsigned int *policy, unsigned int *priority);
/* mkdir the cpuset directory @dir and write its cpus and mems. */
int bench_cg_make(const char *dir, const char *cpus, const char *mems);
/* Every tid listed in @from/tasks to @to/tasks: one read, one open of
 * the target, one write per tid (tids that exited meanwhile are fine). */
int bench_cg_move(const char *from, const char *to);
/* Write, fdatasync and close @path: one synced journal record. */
int bench_synced_write(const char *path, const char *text);

/*
 * A series of samples in ms.  bench_row() prints "name runs median p99
 * max" and the median per item in us (@items > 0), under the header of
 * bench_row_header(); bench_ratio() prints "a/b = x.xx" of two medians, or
 * nothing when either is missing.
 */
struct bench_series {
	const char *name;
	double *ms;
	unsigned int n, cap;
	struct bench_stats st; /* after bench_series_stats() */
};

int bench_series_init(struct bench_series *s, const char *name,
		      unsigned int cap);
void bench_series_add(struct bench_series *s, double ms);
/* Computes st; returns false without samples. */
bool bench_series_stats(struct bench_series *s);
void bench_series_free(struct bench_series *s);

void bench_row_header(const char *item);
void bench_row(struct bench_series *s, unsigned long items);
/* "  LABEL = 1.23x" of the medians of @a and @b, with @goal (a text such
 * as "<= 2x") when given; returns the ratio, or 0 when one is missing. */
double bench_ratio(const char *label, struct bench_series *a,
		   struct bench_series *b, const char *goal);

#endif
