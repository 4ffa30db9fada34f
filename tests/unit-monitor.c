/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Unit tier: the VM monitor on fixture sysroots, two (or more) snapshots
 * written by each test. */
#include "config.h"

#include <errno.h>
#include <linux/genetlink.h>
#include <linux/netlink.h>
#include <linux/taskstats.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "librtvm-private.h"
#include "testutil.h"

/* host64: QEMU 4242 with vCPUs 4250 and 4251, iothread 4252, vnc_worker
 * 4253; 64 CPUs.  Proc's stat and interrupts cover CPUs 0-3 here. */
#define VM 4242

static void schedstat(struct rtvm_ctx *ctx, pid_t tid, unsigned long long cpu,
		      unsigned long long wait, unsigned long long slices)
{
	char rel[128], text[128];

	snprintf(rel, sizeof(rel), "proc/%d/task/%d/schedstat", VM, (int)tid);
	snprintf(text, sizeof(text), "%llu %llu %llu\n", cpu, wait, slices);
	tu_write(ctx, rel, text);
}

/* Replace the "KEY:\tN" line of a thread's status. */
static void status_set(struct rtvm_ctx *ctx, pid_t pid, pid_t tid,
		       const char *key, unsigned long long v)
{
	char rel[128], *text, *line, out[8192];
	size_t klen = strlen(key), len = 0;

	snprintf(rel, sizeof(rel), "proc/%d/task/%d/status", (int)pid, (int)tid);
	text = tu_read(ctx, rel);
	for (line = strtok(text, "\n"); line; line = strtok(NULL, "\n")) {
		if (!strncmp(line, key, klen) && line[klen] == ':')
			len += (size_t)snprintf(out + len, sizeof(out) - len,
						"%s:\t%llu\n", key, v);
		else
			len += (size_t)snprintf(out + len, sizeof(out) - len,
						"%s\n", line);
	}
	free(text);
	tu_write(ctx, rel, out);
}

static void switches(struct rtvm_ctx *ctx, pid_t tid, unsigned long long vol,
		     unsigned long long invol)
{
	status_set(ctx, VM, tid, "voluntary_ctxt_switches", vol);
	status_set(ctx, VM, tid, "nonvoluntary_ctxt_switches", invol);
}

/* Set field @field (proc(5) numbering, >= 3) of a thread's stat. */
static void stat_set(struct rtvm_ctx *ctx, pid_t pid, pid_t tid, int field,
		     unsigned long long v)
{
	char rel[128], out[2048], *text, *rest, *tok, *save = NULL;
	size_t len;
	int f = 3;

	snprintf(rel, sizeof(rel), "proc/%d/task/%d/stat", (int)pid, (int)tid);
	text = tu_read(ctx, rel);
	rest = strrchr(text, ')');
	ck_assert_ptr_nonnull(rest);
	rest[1] = '\0';
	len = (size_t)snprintf(out, sizeof(out), "%s", text);
	for (tok = strtok_r(rest + 2, " \n", &save); tok;
	     tok = strtok_r(NULL, " \n", &save), f++) {
		if (f == field)
			len += (size_t)snprintf(out + len, sizeof(out) - len,
						" %llu", v);
		else
			len += (size_t)snprintf(out + len, sizeof(out) - len,
						" %s", tok);
	}
	snprintf(out + len, sizeof(out) - len, "\n");
	free(text);
	tu_write(ctx, rel, out);
}

static void uptime(struct rtvm_ctx *ctx, const char *secs)
{
	char text[64];

	snprintf(text, sizeof(text), "%s 100.00\n", secs);
	tu_write(ctx, "proc/uptime", text);
}

/* All four VM threads' schedstat at @k-fold values. */
static void snapshot(struct rtvm_ctx *ctx, unsigned long long k)
{
	schedstat(ctx, 4250, 1000000 * k, 2000 * k, 10 * k);
	schedstat(ctx, 4251, 500000 * k, 100 * k, 5 * k);
	schedstat(ctx, 4252, 1000 * k, 0, k);
	schedstat(ctx, 4253, 0, 0, 0);
}

static struct rtvm_monitor *monitor(struct rtvm_ctx *ctx, unsigned int flags,
				    const char *rt_list)
{
	struct rtvm_monitor *m = NULL;
	struct rtvm_vm *vm = NULL;
	struct rtvm_cpumask *rt = rt_list ? tu_mask(64, rt_list) : NULL;

	ck_assert_int_eq(rtvm_monitor_new(ctx, flags, &m), 0);
	ck_assert_int_eq(rtvm_vm_new_from_pid(ctx, VM, &vm), 0);
	ck_assert_int_eq(rtvm_monitor_add_vm(m, vm, rt, NULL), 0);
	ck_assert_int_eq(rtvm_monitor_add_vm(m, vm, rt, NULL), -EEXIST);
	rtvm_vm_unref(vm);
	rtvm_cpumask_free(rt);
	return m;
}

static struct rtvm_monitor_thread thread_of(struct rtvm_monitor *m,
					    pid_t tid)
{
	struct rtvm_monitor_thread t = { .size = sizeof(t) };

	for (unsigned int i = 0; rtvm_monitor_get_thread(m, i, &t) == 0; i++)
		if (t.tid == tid)
			return t;
	ck_abort_msg("thread %d not sampled", (int)tid);
	return t;
}

static bool has_thread(struct rtvm_monitor *m, pid_t tid)
{
	struct rtvm_monitor_thread t = { .size = sizeof(t) };

	for (unsigned int i = 0; rtvm_monitor_get_thread(m, i, &t) == 0; i++)
		if (t.tid == tid)
			return true;
	return false;
}

START_TEST(test_deltas)
{
	struct rtvm_ctx *ctx = tu_ctx("host64");
	struct rtvm_monitor *m;
	struct rtvm_monitor_thread t = { .size = sizeof(t) };
	struct rtvm_monitor_vm v = { .size = sizeof(v) };
	static const pid_t order[] = { 4250, 4251, 4242, 4252, 4253 };

	uptime(ctx, "1000.00");
	snapshot(ctx, 1);
	switches(ctx, 4250, 100, 7);
	m = monitor(ctx, 0, "2-3");
	ck_assert_int_eq(rtvm_monitor_sample(m), 0);
	ck_assert_uint_eq(rtvm_monitor_get_interval_ns(m), 0);
	t = thread_of(m, 4250);
	ck_assert(t.fresh);
	ck_assert_uint_eq(t.cpu_ns, 0);

	uptime(ctx, "1001.50");
	snapshot(ctx, 3);
	switches(ctx, 4250, 160, 19);
	ck_assert_int_eq(rtvm_monitor_sample(m), 0);
	ck_assert_uint_eq(rtvm_monitor_get_interval_ns(m), 1500000000ull);

	/* vCPUs by index, the emulator, the iothread, the others */
	for (unsigned int i = 0; i < 5; i++) {
		ck_assert_int_eq(rtvm_monitor_get_thread(m, i, &t), 0);
		ck_assert_int_eq(t.tid, order[i]);
	}
	ck_assert_int_eq(rtvm_monitor_get_thread(m, 5, &t), -ENOENT);

	t = thread_of(m, 4250);
	ck_assert(!t.fresh);
	ck_assert_int_eq(t.role, RTVM_VM_ROLE_VCPU);
	ck_assert_int_eq(t.index, 0);
	ck_assert_str_eq(t.name, "CPU 0/KVM");
	ck_assert_uint_eq(t.have & (RTVM_MONITOR_HAVE_SCHEDSTAT |
				    RTVM_MONITOR_HAVE_SWITCHES),
			  RTVM_MONITOR_HAVE_SCHEDSTAT | RTVM_MONITOR_HAVE_SWITCHES);
	ck_assert(!(t.have & RTVM_MONITOR_HAVE_MIGRATIONS)); /* no sched file */
	ck_assert_uint_eq(t.cpu_ns, 2000000);
	ck_assert_uint_eq(t.run_delay_ns, 4000);
	ck_assert_uint_eq(t.timeslices, 20);
	ck_assert_uint_eq(t.voluntary, 60);
	ck_assert_uint_eq(t.involuntary, 12);
	ck_assert_uint_eq(t.total_cpu_ns, 3000000);
	ck_assert_uint_eq(t.total_involuntary, 19);
	/* host64's vCPU 0: SCHED_FIFO 1 (policy field 41), CPU 2 */
	ck_assert_int_eq(t.policy, 1);
	ck_assert_int_eq(t.priority, 1);
	ck_assert_int_eq(t.cpu, 2);

	t = thread_of(m, 4252);
	ck_assert_int_eq(t.role, RTVM_VM_ROLE_IOTHREAD);
	ck_assert_int_eq(t.index, -1);
	ck_assert_uint_eq(t.cpu_ns, 2000);
	ck_assert_uint_eq(t.involuntary, 0);

	ck_assert_int_eq(rtvm_monitor_get_vm(m, 0, &v), 0);
	ck_assert_int_eq(v.pid, VM);
	ck_assert_str_eq(tu_list(v.rt_cpus), "2-3");
	ck_assert_uint_eq(v.nr_threads, 5);
	ck_assert_uint_eq(v.exited, 0);
	ck_assert_uint_eq(v.fresh, 0);
	ck_assert_int_eq(rtvm_monitor_get_vm(m, 1, &v), -ENOENT);
	ck_assert_int_eq(rtvm_monitor_get_delayacct(m), -ENOENT);
	rtvm_monitor_free(m);
	rtvm_unref(ctx);
}
END_TEST

/* A counter that goes backwards (wrapped, or reset) counts 0. */
START_TEST(test_backwards)
{
	struct rtvm_ctx *ctx = tu_ctx("host64");
	struct rtvm_monitor *m;
	struct rtvm_monitor_thread t;

	snapshot(ctx, 5);
	switches(ctx, 4250, 18446744073709551610ull, 3);
	m = monitor(ctx, 0, NULL);
	ck_assert_int_eq(rtvm_monitor_sample(m), 0);
	snapshot(ctx, 2);
	switches(ctx, 4250, 4, 9);
	ck_assert_int_eq(rtvm_monitor_sample(m), 0);
	t = thread_of(m, 4250);
	ck_assert_uint_eq(t.cpu_ns, 0);
	ck_assert_uint_eq(t.voluntary, 0);
	ck_assert_uint_eq(t.involuntary, 6);
	/* and the next interval counts from the new values */
	snapshot(ctx, 3);
	ck_assert_int_eq(rtvm_monitor_sample(m), 0);
	ck_assert_uint_eq(thread_of(m, 4250).cpu_ns, 1000000);
	rtvm_monitor_free(m);
	rtvm_unref(ctx);
}
END_TEST

/* A thread that exits and a vCPU hot-added between two samples. */
START_TEST(test_exit_and_hotplug)
{
	struct rtvm_ctx *ctx = tu_ctx("host64");
	struct rtvm_monitor *m;
	struct rtvm_monitor_vm v = { .size = sizeof(v) };
	struct rtvm_monitor_thread t;
	char cmd[1024], *stat, *rest, line[2048];

	snapshot(ctx, 1);
	m = monitor(ctx, 0, "2-3");
	ck_assert_int_eq(rtvm_monitor_sample(m), 0);

	snprintf(cmd, sizeof(cmd), "rm -r '%s/proc/%d/task/4251'",
		 rtvm_get_root(ctx), VM);
	ck_assert_int_eq(system(cmd), 0);
	/* vCPU 2: vCPU 0's files under a new tid */
	snprintf(cmd, sizeof(cmd), "cp -r '%s/proc/%d/task/4250' '%s/proc/%d/task/4260'",
		 rtvm_get_root(ctx), VM, rtvm_get_root(ctx), VM);
	ck_assert_int_eq(system(cmd), 0);
	stat = tu_read(ctx, "proc/4242/task/4260/stat");
	rest = strrchr(stat, ')');
	snprintf(line, sizeof(line), "4260 (CPU 2/KVM%s", rest);
	tu_write(ctx, "proc/4242/task/4260/stat", line);
	tu_write(ctx, "proc/4242/task/4260/comm", "CPU 2/KVM\n");
	free(stat);
	snapshot(ctx, 2);
	schedstat(ctx, 4260, 70, 7, 1);
	ck_assert_int_eq(rtvm_monitor_sample(m), 0);

	ck_assert_int_eq(rtvm_monitor_get_vm(m, 0, &v), 0);
	ck_assert_uint_eq(v.exited, 1);
	ck_assert_uint_eq(v.fresh, 1);
	ck_assert_uint_eq(v.nr_threads, 5);
	ck_assert(!has_thread(m, 4251));
	t = thread_of(m, 4260);
	ck_assert(t.fresh);
	ck_assert_int_eq(t.index, 2);
	ck_assert_uint_eq(t.cpu_ns, 0);
	ck_assert_uint_eq(thread_of(m, 4250).cpu_ns, 1000000);

	schedstat(ctx, 4260, 170, 7, 2);
	ck_assert_int_eq(rtvm_monitor_sample(m), 0);
	t = thread_of(m, 4260);
	ck_assert(!t.fresh);
	ck_assert_uint_eq(t.cpu_ns, 100);
	ck_assert_int_eq(rtvm_monitor_get_vm(m, 0, &v), 0);
	ck_assert_uint_eq(v.exited, 0);
	ck_assert_uint_eq(v.fresh, 0);

	/* the whole VM exits */
	snprintf(cmd, sizeof(cmd), "rm -r '%s/proc/%d'", rtvm_get_root(ctx), VM);
	ck_assert_int_eq(system(cmd), 0);
	ck_assert_int_eq(rtvm_monitor_sample(m), 0);
	ck_assert_int_eq(rtvm_monitor_get_vm(m, 0, &v), 0);
	ck_assert_uint_eq(v.flags & RTVM_MONITOR_VM_GONE, RTVM_MONITOR_VM_GONE);
	ck_assert_uint_eq(v.nr_threads, 0);
	ck_assert_uint_eq(v.exited, 5);
	ck_assert_int_eq(rtvm_monitor_get_thread(m, 0, &t), -ENOENT);
	rtvm_monitor_free(m);
	rtvm_unref(ctx);
}
END_TEST

static void proc_stat(struct rtvm_ctx *ctx, unsigned int k)
{
	char text[1024];

	snprintf(text, sizeof(text),
		 "cpu  %u 0 %u 1000 0 0 0 0 0 0\n"
		 "cpu0 %u 0 %u 500 0 0 0 0 0 0\n"
		 "cpu1 %u 0 0 500 0 0 0 0 0 0\n"
		 "cpu2 %u 1 %u 0 0 %u %u 3 %u 0\n"
		 "cpu3 0 0 0 %u 0 0 0 0 0 0\n"
		 "intr 0\nctxt 1\nbtime 1\n",
		 10 * k, 5 * k, k, k, 2 * k, 4 * k, 3 * k, k, k, k, 100 * k);
	tu_write(ctx, "proc/stat", text);
}

static void interrupts(struct rtvm_ctx *ctx, unsigned int k)
{
	char text[2048];

	snprintf(text, sizeof(text),
		 "           CPU0       CPU1       CPU2       CPU3\n"
		 "  0:         %-10u 0          0          0   IO-APIC   2-edge      timer\n"
		 " 24:         0          0          %-10u 0   PCI-MSI 1-edge      eth0\n"
		 " 25:         0          0          %-10u %-3u PCI-MSI 2-edge      eth0\n"
		 "NMI:         0          0          %-10u 0   Non-maskable interrupts\n"
		 "LOC:         %-10u 0          %-10u 0   Local timer interrupts\n"
		 "RES:         0          0          %-10u 0   Rescheduling interrupts\n"
		 "CAL:         0          0          %-10u 0   Function call interrupts\n"
		 "TLB:         0          0          %-10u 0   TLB shootdowns\n"
		 "ERR:          0\n"
		 "MIS:          0\n",
		 k, 3 * k, k, k, k, 100 * k, 250 * k, 2 * k, 5 * k, 7 * k);
	tu_write(ctx, "proc/interrupts", text);
}

START_TEST(test_cpus)
{
	struct rtvm_ctx *ctx = tu_ctx("host64");
	struct rtvm_monitor *m;
	struct rtvm_monitor_cpu c = { .size = sizeof(c) };
	long hz = sysconf(_SC_CLK_TCK);
	uint64_t tick = 1000000000ull / (uint64_t)hz;

	snapshot(ctx, 1);
	proc_stat(ctx, 1);
	interrupts(ctx, 1);
	m = monitor(ctx, RTVM_MONITOR_CPUS, "2-3");
	ck_assert_int_eq(rtvm_monitor_get_cpu(m, 0, &c), -ENOENT);
	ck_assert_int_eq(rtvm_monitor_sample(m), 0);
	ck_assert_int_eq(rtvm_monitor_get_cpu(m, 2, &c), 0);
	ck_assert_uint_eq(c.user_ns, 0); /* no interval yet */
	proc_stat(ctx, 3);
	interrupts(ctx, 3);
	ck_assert_int_eq(rtvm_monitor_sample(m), 0);

	ck_assert_int_eq(rtvm_monitor_get_cpu(m, 2, &c), 0);
	ck_assert_uint_eq(c.cpu, 2);
	ck_assert(c.rt);
	ck_assert_uint_eq(c.user_ns, 2 * 4 * tick);
	ck_assert_uint_eq(c.nice_ns, 0);
	ck_assert_uint_eq(c.system_ns, 2 * 3 * tick);
	ck_assert_uint_eq(c.irq_ns, 2 * tick);
	ck_assert_uint_eq(c.softirq_ns, 2 * tick);
	ck_assert_uint_eq(c.steal_ns, 0);
	ck_assert_uint_eq(c.guest_ns, 2 * tick);
	ck_assert_uint_eq(c.device_irqs, 2 * 4);  /* IRQ 24 and 25 */
	ck_assert_uint_eq(c.local_timer, 2 * 250);
	ck_assert_uint_eq(c.resched, 2 * 2);
	ck_assert_uint_eq(c.function_calls, 2 * 5);
	ck_assert_uint_eq(c.tlb_shootdowns, 2 * 7);
	ck_assert_uint_eq(c.other_irqs, 2 * 1); /* NMI; ERR and MIS are not per CPU */

	ck_assert_int_eq(rtvm_monitor_get_cpu(m, 3, &c), 0);
	ck_assert(c.rt);
	ck_assert_uint_eq(c.device_irqs, 2);
	ck_assert_uint_eq(c.idle_ns, 2 * 100 * tick);
	ck_assert_int_eq(rtvm_monitor_get_cpu(m, 0, &c), 0);
	ck_assert(!c.rt);
	ck_assert_uint_eq(c.local_timer, 200);
	ck_assert_int_eq(rtvm_monitor_get_cpu(m, 4, &c), -ENOENT);

	/* A damaged stat: an error, and the last results stay. */
	tu_write(ctx, "proc/stat", "cpu  1 2 3 4\ncpu2 1 2 x 4 5 6 7 8\n");
	ck_assert_int_eq(rtvm_monitor_sample(m), -EBADMSG);
	ck_assert_int_eq(rtvm_monitor_get_cpu(m, 2, &c), 0);
	ck_assert_uint_eq(c.tlb_shootdowns, 2 * 7);
	tu_write(ctx, "proc/stat", "cpu3 1 2 3 4 5 6 7 8\ncpu2 1 2 3 4 5 6 7 8\n");
	ck_assert_int_eq(rtvm_monitor_sample(m), -EBADMSG); /* not ascending */
	rtvm_monitor_free(m);
	rtvm_unref(ctx);
}
END_TEST

/* The msr driver's file of @cpu in the fixture: @count at 0x34. */
static void msr_file(struct rtvm_ctx *ctx, int cpu, uint64_t count)
{
	char rel[64], path[1024];
	uint8_t buf[0x40] = {0};
	FILE *f;

	snprintf(rel, sizeof(rel), "dev/cpu/%d/msr", cpu);
	tu_write(ctx, rel, "");
	snprintf(path, sizeof(path), "%s/%s", rtvm_get_root(ctx), rel);
	memcpy(buf + 0x34, &count, sizeof(count));
	f = fopen(path, "w");
	ck_assert_ptr_nonnull(f);
	ck_assert_uint_eq(fwrite(buf, 1, sizeof(buf), f), sizeof(buf));
	fclose(f);
}

/* SMIs counted on the RT CPUs from MSR 0x34, and why not where they
 * cannot be. */
START_TEST(test_smi)
{
	struct rtvm_ctx *ctx = tu_ctx("host64");
	struct rtvm_monitor_cpu c = { .size = sizeof(c) };
	struct rtvm_monitor *m = NULL;

	snapshot(ctx, 1);
	proc_stat(ctx, 1);
	interrupts(ctx, 1);
	msr_file(ctx, 2, 5);
	msr_file(ctx, 0, 100);
	ck_assert_int_eq(rtvm_monitor_new(ctx, RTVM_MONITOR_SMI, &m), -EINVAL);
	m = monitor(ctx, RTVM_MONITOR_CPUS | RTVM_MONITOR_SMI, "2-3");
	ck_assert_int_eq(rtvm_monitor_sample(m), 0);
	ck_assert_int_eq(rtvm_monitor_get_cpu(m, 2, &c), 0);
	ck_assert_int_eq(c.smi_error, 0);
	ck_assert_uint_eq(c.smis, 0); /* no interval yet */
	msr_file(ctx, 2, 12);
	msr_file(ctx, 0, 200);
	proc_stat(ctx, 2);
	ck_assert_int_eq(rtvm_monitor_sample(m), 0);
	ck_assert_int_eq(rtvm_monitor_get_cpu(m, 2, &c), 0);
	ck_assert_int_eq(c.smi_error, 0);
	ck_assert_uint_eq(c.smis, 7);
	ck_assert_int_eq(rtvm_monitor_get_cpu(m, 3, &c), 0);
	ck_assert_int_eq(c.smi_error, -ENOENT); /* no msr driver's file */
	ck_assert_uint_eq(c.smis, 0);
	ck_assert_int_eq(rtvm_monitor_get_cpu(m, 0, &c), 0);
	ck_assert_int_eq(c.smi_error, -ENODATA); /* not an RT CPU: not read */
	ck_assert_uint_eq(c.smis, 0);

	/* Refused: said, and the next readable interval starts afresh. */
	rtvm_ctx_add_fault(ctx, RTVM_OP_READ, "/msr", 1, 0, EACCES);
	msr_file(ctx, 2, 20);
	ck_assert_int_eq(rtvm_monitor_sample(m), 0);
	ck_assert_int_eq(rtvm_monitor_get_cpu(m, 2, &c), 0);
	ck_assert_int_eq(c.smi_error, -EACCES);
	ck_assert_uint_eq(c.smis, 0);
	rtvm_ctx_clear_faults(ctx);
	msr_file(ctx, 2, 21);
	ck_assert_int_eq(rtvm_monitor_sample(m), 0);
	ck_assert_int_eq(rtvm_monitor_get_cpu(m, 2, &c), 0);
	ck_assert_int_eq(c.smi_error, 0);
	ck_assert_uint_eq(c.smis, 0); /* 20 -> 21 was not seen whole */
	msr_file(ctx, 2, 24);
	ck_assert_int_eq(rtvm_monitor_sample(m), 0);
	ck_assert_int_eq(rtvm_monitor_get_cpu(m, 2, &c), 0);
	ck_assert_uint_eq(c.smis, 3);
	rtvm_monitor_free(m);

	/* Not asked for: not read. */
	m = monitor(ctx, RTVM_MONITOR_CPUS, "2-3");
	ck_assert_int_eq(rtvm_monitor_sample(m), 0);
	ck_assert_int_eq(rtvm_monitor_get_cpu(m, 2, &c), 0);
	ck_assert_int_eq(c.smi_error, -ENODATA);
	rtvm_monitor_free(m);
	rtvm_unref(ctx);
}
END_TEST

/* Another process's thread that ran on an RT CPU; the VM's own threads
 * are never intruders. */
START_TEST(test_intruders)
{
	struct rtvm_ctx *ctx = tu_ctx("host64");
	struct rtvm_monitor *m;
	struct rtvm_monitor_intruder in = { .size = sizeof(in) };
	struct rtvm_monitor_cpu c = { .size = sizeof(c) };
	uint64_t tick = 1000000000ull / (uint64_t)sysconf(_SC_CLK_TCK);
	char *comm;

	snapshot(ctx, 1);
	proc_stat(ctx, 1);
	interrupts(ctx, 1);
	/* pid 1 (systemd) on CPU 3 */
	stat_set(ctx, 1, 1, 39, 3);
	stat_set(ctx, 1, 1, 14, 100);
	m = monitor(ctx, RTVM_MONITOR_CPUS | RTVM_MONITOR_INTRUDERS, "2-3");
	ck_assert_int_eq(rtvm_monitor_sample(m), 0);
	ck_assert_int_eq(rtvm_monitor_get_intruder(m, 0, &in), -ENOENT);
	stat_set(ctx, 1, 1, 14, 107);
	stat_set(ctx, 1, 1, 15, 1000); /* stime, from the fixture's value up */
	stat_set(ctx, VM, 4250, 14, 100000); /* the VM's own: not counted */
	proc_stat(ctx, 2);
	interrupts(ctx, 2);
	ck_assert_int_eq(rtvm_monitor_sample(m), 0);
	ck_assert_int_eq(rtvm_monitor_get_intruder(m, 0, &in), 0);
	ck_assert_int_eq(in.pid, 1);
	ck_assert_int_eq(in.tid, 1);
	ck_assert_int_eq(in.cpu, 3);
	ck_assert(!in.kthread);
	comm = tu_read(ctx, "proc/1/comm");
	comm[strcspn(comm, "\n")] = '\0';
	ck_assert_str_eq(in.name, comm);
	free(comm);
	ck_assert_uint_ge(in.cpu_ns, 7 * tick);
	ck_assert_int_eq(rtvm_monitor_get_intruder(m, 1, &in), -ENOENT);
	ck_assert_int_eq(rtvm_monitor_get_cpu(m, 3, &c), 0);
	ck_assert_uint_eq(c.intruders, 1);
	ck_assert_int_eq(rtvm_monitor_get_cpu(m, 2, &c), 0);
	ck_assert_uint_eq(c.intruders, 0);
	/* nothing ran since */
	ck_assert_int_eq(rtvm_monitor_sample(m), 0);
	ck_assert_int_eq(rtvm_monitor_get_intruder(m, 0, &in), -ENOENT);
	rtvm_monitor_free(m);
	rtvm_unref(ctx);
}
END_TEST

/* One TASKSTATS_CMD_NEW reply for @tid, as the kernel sends it. */
static size_t ts_reply(unsigned char *buf, pid_t tid, uint16_t version,
		       uint64_t cpu_count, uint64_t cpu_ns, uint64_t blkio_ns,
		       uint64_t irq_ns)
{
	size_t stlen = sizeof(struct taskstats) + 64, off = 0;
	struct nlmsghdr *nh = (struct nlmsghdr *)buf;
	struct genlmsghdr *gh;
	struct nlattr *aggr, *a;
	unsigned char *st;
	uint64_t v;

	memset(buf, 0, 1024);
	ck_assert_uint_lt(NLMSG_HDRLEN + GENL_HDRLEN + 3 * NLA_HDRLEN + 8 + stlen, 1024);
	off = NLMSG_HDRLEN;
	gh = (struct genlmsghdr *)(buf + off);
	gh->cmd = TASKSTATS_CMD_NEW;
	gh->version = 1;
	off += GENL_HDRLEN;
	aggr = (struct nlattr *)(buf + off);
	aggr->nla_type = TASKSTATS_TYPE_AGGR_PID | NLA_F_NESTED;
	off += NLA_HDRLEN;
	a = (struct nlattr *)(buf + off);
	a->nla_type = TASKSTATS_TYPE_PID;
	a->nla_len = NLA_HDRLEN + 4;
	memcpy(buf + off + NLA_HDRLEN, &(uint32_t){ (uint32_t)tid }, 4);
	off += NLA_ALIGN(a->nla_len);
	a = (struct nlattr *)(buf + off);
	a->nla_type = TASKSTATS_TYPE_STATS;
	a->nla_len = (uint16_t)(NLA_HDRLEN + stlen);
	st = buf + off + NLA_HDRLEN;
	memcpy(st, &version, 2);
	memcpy(st + offsetof(struct taskstats, cpu_count), &cpu_count, 8);
	memcpy(st + offsetof(struct taskstats, cpu_delay_total), &cpu_ns, 8);
	v = 1;
	memcpy(st + offsetof(struct taskstats, blkio_count), &v, 8);
	memcpy(st + offsetof(struct taskstats, blkio_delay_total), &blkio_ns, 8);
	/* version 14's IRQ delay follows version 13's last field */
	memcpy(st + sizeof(struct taskstats), &v, 8);
	memcpy(st + sizeof(struct taskstats) + 8, &irq_ns, 8);
	off += NLA_ALIGN(a->nla_len);
	aggr->nla_len = (uint16_t)(buf + off - (unsigned char *)aggr);
	nh->nlmsg_len = (uint32_t)off;
	nh->nlmsg_type = 0x17; /* the family's id, whatever it is */
	return off;
}

static void write_bytes(struct rtvm_ctx *ctx, const char *rel,
			const unsigned char *buf, size_t len)
{
	char path[1024];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", rtvm_get_root(ctx), rel);
	f = fopen(path, "w");
	ck_assert_ptr_nonnull(f);
	ck_assert_uint_eq(fwrite(buf, 1, len, f), len);
	fclose(f);
}

static void ts_all(struct rtvm_ctx *ctx, uint16_t version, uint64_t k)
{
	static const pid_t tids[] = { 4242, 4250, 4251, 4252, 4253 };
	unsigned char buf[1024];

	for (size_t i = 0; i < sizeof(tids) / sizeof(tids[0]); i++) {
		char rel[128];
		size_t len = ts_reply(buf, tids[i], version, 3 * k, 1000 * k,
				      50 * k, 9 * k);

		snprintf(rel, sizeof(rel), "proc/%d/task/%d/taskstats.nl", VM,
			 (int)tids[i]);
		write_bytes(ctx, rel, buf, len);
	}
}

START_TEST(test_taskstats)
{
	struct rtvm_ctx *ctx = tu_ctx("host64");
	struct rtvm_monitor *m;
	struct rtvm_monitor_thread t;
	unsigned char buf[1024];
	size_t len;

	snapshot(ctx, 1);
	tu_write(ctx, "proc/sys/kernel/task_delayacct", "1\n");
	ts_all(ctx, 14, 1);
	m = monitor(ctx, RTVM_MONITOR_TASKSTATS, NULL);
	ck_assert_int_eq(rtvm_monitor_sample(m), 0);
	ck_assert_int_eq(rtvm_monitor_get_delayacct(m), 1);
	ts_all(ctx, 14, 4);
	ck_assert_int_eq(rtvm_monitor_sample(m), 0);
	t = thread_of(m, 4250);
	ck_assert(t.have & RTVM_MONITOR_HAVE_DELAYS);
	ck_assert_uint_eq(t.delay_count[RTVM_MONITOR_DELAY_CPU], 9);
	ck_assert_uint_eq(t.delay_ns[RTVM_MONITOR_DELAY_CPU], 3000);
	ck_assert_uint_eq(t.delay_ns[RTVM_MONITOR_DELAY_BLKIO], 150);
	ck_assert_uint_eq(t.delay_ns[RTVM_MONITOR_DELAY_IRQ], 27);
	ck_assert_uint_eq(t.delay_ns[RTVM_MONITOR_DELAY_SWAPIN], 0);

	/* A version 13 kernel has no IRQ delay: the bytes there are not it. */
	ts_all(ctx, 13, 5);
	ck_assert_int_eq(rtvm_monitor_sample(m), 0);
	t = thread_of(m, 4250);
	ck_assert_uint_eq(t.delay_ns[RTVM_MONITOR_DELAY_CPU], 1000);
	ck_assert_uint_eq(t.delay_ns[RTVM_MONITOR_DELAY_IRQ], 0);

	/* A reply for another thread is not this thread's. */
	len = ts_reply(buf, 4251, 14, 1, 1, 1, 1);
	write_bytes(ctx, "proc/4242/task/4250/taskstats.nl", buf, len);
	ck_assert_int_eq(rtvm_monitor_sample(m), -EBADMSG);
	/* Nor is a truncated one. */
	len = ts_reply(buf, 4250, 14, 1, 1, 1, 1);
	write_bytes(ctx, "proc/4242/task/4250/taskstats.nl", buf, len - 200);
	ck_assert_int_eq(rtvm_monitor_sample(m), -EBADMSG);
	tu_write(ctx, "proc/sys/kernel/task_delayacct", "0\n");
	ts_all(ctx, 14, 6);
	ck_assert_int_eq(rtvm_monitor_sample(m), 0);
	ck_assert_int_eq(rtvm_monitor_get_delayacct(m), 0);
	rtvm_monitor_free(m);
	rtvm_unref(ctx);
}
END_TEST

static void kvm_stats(struct rtvm_ctx *ctx, const char *dir, unsigned int k)
{
	static const char *const names[] = { "exits", "halt_exits",
		"halt_successful_poll", "halt_attempted_poll", "halt_wait_ns",
		"irq_injections", "preemption_reported" };
	char rel[256], text[32];

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		snprintf(rel, sizeof(rel), "sys/kernel/debug/kvm/%s/%s", dir,
			 names[i]);
		snprintf(text, sizeof(text), "%u\n", (unsigned int)(i + 1) * k);
		tu_write(ctx, rel, text);
	}
}

/* KVM's counters from debugfs: the VM of the highest fd of pid 4242,
 * not another process's. */
START_TEST(test_kvm)
{
	struct rtvm_ctx *ctx = tu_ctx("host64");
	struct rtvm_monitor_vm v = { .size = sizeof(v) };
	struct rtvm_monitor *m;

	snapshot(ctx, 1);
	m = monitor(ctx, RTVM_MONITOR_KVM, NULL);
	ck_assert_int_eq(rtvm_monitor_sample(m), 0);
	ck_assert_int_eq(rtvm_monitor_get_vm(m, 0, &v), 0);
	ck_assert_uint_eq(v.flags & RTVM_MONITOR_VM_KVM, 0); /* no debugfs */
	ck_assert_uint_eq(v.kvm[RTVM_MONITOR_KVM_EXITS], 0);
	rtvm_monitor_free(m);

	kvm_stats(ctx, "4242-9", 1000);
	kvm_stats(ctx, "4242-12", 10);
	kvm_stats(ctx, "42420-15", 7777);
	m = monitor(ctx, RTVM_MONITOR_KVM, NULL);
	ck_assert_int_eq(rtvm_monitor_sample(m), 0);
	ck_assert_int_eq(rtvm_monitor_get_vm(m, 0, &v), 0);
	ck_assert(v.flags & RTVM_MONITOR_VM_KVM);
	ck_assert_uint_eq(v.kvm[RTVM_MONITOR_KVM_EXITS], 0); /* no interval */
	kvm_stats(ctx, "4242-12", 25);
	kvm_stats(ctx, "42420-15", 9999);
	ck_assert_int_eq(rtvm_monitor_sample(m), 0);
	ck_assert_int_eq(rtvm_monitor_get_vm(m, 0, &v), 0);
	ck_assert_uint_eq(v.kvm[RTVM_MONITOR_KVM_EXITS], 15);
	ck_assert_uint_eq(v.kvm[RTVM_MONITOR_KVM_HALT_EXITS], 30);
	ck_assert_uint_eq(v.kvm[RTVM_MONITOR_KVM_PREEMPTED], 7 * 15);
	ck_assert_str_eq(rtvm_monitor_kvm_to_string(RTVM_MONITOR_KVM_PREEMPTED),
			 "preemption_reported");
	ck_assert_ptr_null(rtvm_monitor_kvm_to_string(RTVM_MONITOR_KVM_NR));
	/* a statistic this kernel lacks is 0; one that is no number fails */
	tu_write(ctx, "sys/kernel/debug/kvm/4242-12/exits", "12x\n");
	ck_assert_int_eq(rtvm_monitor_sample(m), -EBADMSG);
	rtvm_monitor_free(m);
	rtvm_unref(ctx);
}
END_TEST

/* RT throttling: vCPU 0's cpu cgroup has 10 ms of RT runtime per 100 ms,
 * vCPU 1's cgroup none of its own (the sysctls apply).  Over 1 s vCPU 0
 * ran 100 ms and waited 900: held back; vCPU 1 ran all of it: not. */
#define LIBVIRT_CG "sys/fs/cgroup/cpu,cpuacct/machine.slice/" \
		   "machine-qemu\\x2d1\\x2dvm1.scope/libvirt"
START_TEST(test_rt_limit)
{
	struct rtvm_ctx *ctx = tu_ctx("host64");
	struct rtvm_monitor *m;
	struct rtvm_monitor_thread t;

	tu_write(ctx, LIBVIRT_CG "/vcpu0/cpu.rt_runtime_us", "10000\n");
	tu_write(ctx, LIBVIRT_CG "/vcpu0/cpu.rt_period_us", "100000\n");
	tu_write(ctx, "proc/sys/kernel/sched_rt_runtime_us", "950000\n");
	tu_write(ctx, "proc/sys/kernel/sched_rt_period_us", "1000000\n");
	uptime(ctx, "100.00");
	schedstat(ctx, 4250, 0, 0, 0);
	schedstat(ctx, 4251, 0, 0, 0);
	m = monitor(ctx, RTVM_MONITOR_RT_LIMIT, "2-3");
	ck_assert_int_eq(rtvm_monitor_sample(m), 0);
	uptime(ctx, "101.00");
	schedstat(ctx, 4250, 100000000, 900000000, 10);
	schedstat(ctx, 4251, 1000000000, 0, 1);
	ck_assert_int_eq(rtvm_monitor_sample(m), 0);

	t = thread_of(m, 4250);
	ck_assert(t.have & RTVM_MONITOR_HAVE_RT_LIMIT);
	ck_assert_int_eq(t.rt_runtime_us, 10000);
	ck_assert_uint_eq(t.rt_period_us, 100000);
	ck_assert(t.rt_throttled);
	t = thread_of(m, 4251);
	ck_assert(t.have & RTVM_MONITOR_HAVE_RT_LIMIT);
	ck_assert_int_eq(t.rt_runtime_us, 950000);
	ck_assert_uint_eq(t.rt_period_us, 1000000);
	ck_assert(!t.rt_throttled);
	t = thread_of(m, 4252); /* SCHED_OTHER: no RT limit */
	ck_assert(!(t.have & RTVM_MONITOR_HAVE_RT_LIMIT));
	ck_assert(!t.rt_throttled);

	/* vCPU 0 blocked half the interval: not CPU-bound, not throttled
	 * (a thread that sleeps waits for no runtime); no limit at all
	 * (-1): never throttled. */
	uptime(ctx, "102.00");
	schedstat(ctx, 4250, 150000000, 1350000000, 20);
	tu_write(ctx, "proc/sys/kernel/sched_rt_runtime_us", "-1\n");
	schedstat(ctx, 4251, 1100000000, 900000000, 2);
	ck_assert_int_eq(rtvm_monitor_sample(m), 0);
	ck_assert(!thread_of(m, 4250).rt_throttled);
	t = thread_of(m, 4251);
	ck_assert_int_eq(t.rt_runtime_us, -1);
	ck_assert(!t.rt_throttled);

	/* A value the kernel would not write: an error naming it. */
	tu_write(ctx, LIBVIRT_CG "/vcpu0/cpu.rt_runtime_us", "lots\n");
	uptime(ctx, "103.00");
	ck_assert_int_eq(rtvm_monitor_sample(m), -EBADMSG);
	rtvm_monitor_free(m);

	/* Without the flag nothing is read. */
	m = monitor(ctx, 0, "2-3");
	ck_assert_int_eq(rtvm_monitor_sample(m), 0);
	ck_assert(!(thread_of(m, 4250).have & RTVM_MONITOR_HAVE_RT_LIMIT));
	rtvm_monitor_free(m);
	rtvm_unref(ctx);
}
END_TEST

START_TEST(test_bad_files)
{
	struct rtvm_ctx *ctx = tu_ctx("host64");
	struct rtvm_monitor *m;

	snapshot(ctx, 1);
	m = monitor(ctx, 0, NULL);
	ck_assert_int_eq(rtvm_monitor_sample(m), 0);
	tu_write(ctx, "proc/4242/task/4250/schedstat", "1 2\n");
	ck_assert_int_eq(rtvm_monitor_sample(m), -EBADMSG);
	tu_write(ctx, "proc/4242/task/4250/schedstat", "1 2 3 4\n");
	ck_assert_int_eq(rtvm_monitor_sample(m), -EBADMSG);
	tu_write(ctx, "proc/4242/task/4250/schedstat", "1 -2 3\n");
	ck_assert_int_eq(rtvm_monitor_sample(m), -EBADMSG);
	snapshot(ctx, 1);
	status_set(ctx, VM, 4251, "nonvoluntary_ctxt_switches", 0);
	tu_write(ctx, "proc/4242/task/4251/status", "Name:\tx\n");
	ck_assert_int_eq(rtvm_monitor_sample(m), -EBADMSG);
	rtvm_monitor_free(m);
	rtvm_unref(ctx);
}
END_TEST

START_TEST(test_args)
{
	struct rtvm_ctx *ctx = tu_ctx("host64");
	struct rtvm_monitor *m = NULL;
	struct rtvm_monitor_thread t = { .size = 1 };
	struct rtvm_monitor_vm v = { .size = 1 };
	struct rtvm_monitor_cpu c = { .size = 1 };
	struct rtvm_monitor_intruder in = { .size = 1 };
	struct rtvm_cpumask *empty = tu_mask(64, "");
	struct rtvm_vm *vm = NULL;

	ck_assert_int_eq(rtvm_monitor_new(NULL, 0, &m), -EINVAL);
	ck_assert_int_eq(rtvm_monitor_new(ctx, 1u << 30, &m), -EINVAL);
	ck_assert_ptr_null(m);
	ck_assert_int_eq(rtvm_monitor_new(ctx, 0, &m), 0);
	ck_assert_int_eq(rtvm_vm_new_from_pid(ctx, VM, &vm), 0);
	ck_assert_int_eq(rtvm_monitor_add_vm(m, vm, empty, NULL), -EINVAL);
	ck_assert_int_eq(rtvm_monitor_add_vm(NULL, vm, NULL, NULL), -EINVAL);
	ck_assert_int_eq(rtvm_monitor_sample(NULL), -EINVAL);
	ck_assert_int_eq(rtvm_monitor_get_thread(m, 0, &t), -EINVAL);
	ck_assert_int_eq(rtvm_monitor_get_vm(m, 0, &v), -EINVAL);
	ck_assert_int_eq(rtvm_monitor_get_cpu(m, 0, &c), -EINVAL);
	ck_assert_int_eq(rtvm_monitor_get_intruder(m, 0, &in), -EINVAL);
	ck_assert_int_eq(rtvm_monitor_get_delayacct(NULL), -EINVAL);
	ck_assert_str_eq(rtvm_monitor_delay_to_string(RTVM_MONITOR_DELAY_IRQ), "irq");
	ck_assert_ptr_null(rtvm_monitor_delay_to_string(RTVM_MONITOR_DELAY_NR));
	ck_assert_ptr_null(rtvm_monitor_delay_to_string(-1));
	ck_assert_ptr_null(rtvm_monitor_free(NULL));
	rtvm_vm_unref(vm);
	rtvm_cpumask_free(empty);
	rtvm_monitor_free(m);
	rtvm_unref(ctx);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("monitor");
	TCase *tc = tcase_create("monitor");

	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, test_deltas);
	tcase_add_test(tc, test_backwards);
	tcase_add_test(tc, test_exit_and_hotplug);
	tcase_add_test(tc, test_cpus);
	tcase_add_test(tc, test_smi);
	tcase_add_test(tc, test_intruders);
	tcase_add_test(tc, test_taskstats);
	tcase_add_test(tc, test_kvm);
	tcase_add_test(tc, test_rt_limit);
	tcase_add_test(tc, test_bad_files);
	tcase_add_test(tc, test_args);
	suite_add_tcase(s, tc);
	return tu_run(s);
}
