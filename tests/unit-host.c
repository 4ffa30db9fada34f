/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Unit tier: the host model on fixture sysroots. */
#include "config.h"

#include <errno.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "librtvm-private.h"
#include "testutil.h"

static struct rtvm_host *load(struct rtvm_ctx *ctx, unsigned int flags)
{
	struct rtvm_host *h;

	ck_assert_int_eq(rtvm_host_new(ctx, flags, &h), 0);
	return h;
}

static const struct rtvm_thread *thread(struct rtvm_host *h, pid_t tid)
{
	const struct rtvm_thread *t;

	ck_assert_msg(rtvm_host_find_thread(h, tid, &t) == 0, "no thread %d",
		      tid);
	return t;
}

static const struct rtvm_thread *by_comm(struct rtvm_host *h,
					 const char *comm)
{
	const struct rtvm_thread *t;

	rtvm_host_foreach_thread(t, h)
		if (strcmp(rtvm_thread_get_comm(t), comm) == 0)
			return t;
	ck_abort_msg("no thread named %s", comm);
	return NULL;
}

static const struct rtvm_cpu *cpu(struct rtvm_host *h, unsigned int n)
{
	const struct rtvm_cpu *c;

	ck_assert_int_eq(rtvm_host_get_cpu(h, n, &c), 0);
	return c;
}

START_TEST(test_host64_cpus)
{
	struct rtvm_ctx *ctx = tu_ctx("host64");
	struct rtvm_host *h = load(ctx, RTVM_HOST_CPUS);
	const struct rtvm_cpu *c;
	const struct rtvm_idle_state *st;
	int n = 0;

	ck_assert_str_eq(tu_list(rtvm_host_get_cpus(h, RTVM_CPUS_POSSIBLE)), "0-63");
	ck_assert_str_eq(tu_list(rtvm_host_get_cpus(h, RTVM_CPUS_PRESENT)), "0-63");
	ck_assert_str_eq(tu_list(rtvm_host_get_cpus(h, RTVM_CPUS_ONLINE)), "0-62");
	ck_assert_str_eq(tu_list(rtvm_host_get_cpus(h, RTVM_CPUS_ISOLATED)),
			 "2-15,34-47");
	ck_assert_str_eq(tu_list(rtvm_host_get_cpus(h, RTVM_CPUS_NOHZ_FULL)),
			 "2-15,34-47");
	ck_assert_ptr_null(rtvm_host_get_cpus(h, 99));
	rtvm_host_foreach_cpu(c, h)
		ck_assert_int_eq(rtvm_cpu_get_id(c), n++);
	ck_assert_int_eq(n, 64);
	ck_assert_int_eq(rtvm_host_get_cpu(h, 64, &c), -ENOENT);

	/* SMT siblings across the two halves, packages, nodes. */
	ck_assert_str_eq(tu_list(rtvm_cpu_get_siblings(cpu(h, 0))), "0,32");
	ck_assert_str_eq(tu_list(rtvm_cpu_get_siblings(cpu(h, 49))), "17,49");
	ck_assert_int_eq(rtvm_cpu_get_package_id(cpu(h, 33)), 0);
	ck_assert_int_eq(rtvm_cpu_get_package_id(cpu(h, 16)), 1);
	ck_assert_int_eq(rtvm_cpu_get_core_id(cpu(h, 33)),
			 rtvm_cpu_get_core_id(cpu(h, 1)));
	ck_assert_int_ne(rtvm_cpu_get_core_id(cpu(h, 2)),
			 rtvm_cpu_get_core_id(cpu(h, 1)));
	ck_assert_int_eq(rtvm_cpu_get_node(cpu(h, 40)), 0);
	ck_assert_int_eq(rtvm_cpu_get_node(cpu(h, 50)), 1);
	ck_assert(rtvm_cpu_is_online(cpu(h, 62)));

	/* The offline CPU: known, but without topology or idle states. */
	ck_assert(!rtvm_cpu_is_online(cpu(h, 63)));
	ck_assert_int_eq(rtvm_cpu_get_core_id(cpu(h, 63)), -ENOENT);
	ck_assert_int_eq(rtvm_cpu_get_package_id(cpu(h, 63)), -ENOENT);
	ck_assert_uint_eq(rtvm_cpu_get_nr_idle_states(cpu(h, 63)), 0);

	/* Idle states: deep states disabled on the isolated CPUs only. */
	ck_assert_uint_eq(rtvm_cpu_get_nr_idle_states(cpu(h, 2)), 4);
	st = rtvm_cpu_get_idle_state(cpu(h, 2), 3);
	ck_assert_str_eq(rtvm_idle_state_get_name(st), "C6");
	ck_assert_int_eq(rtvm_idle_state_get_exit_latency(st), 133);
	ck_assert(rtvm_idle_state_is_disabled(st));
	ck_assert(!rtvm_idle_state_is_disabled(rtvm_cpu_get_idle_state(cpu(h, 0), 3)));
	ck_assert(!rtvm_idle_state_is_disabled(rtvm_cpu_get_idle_state(cpu(h, 2), 1)));
	ck_assert_ptr_null(rtvm_cpu_get_idle_state(cpu(h, 2), 4));
	ck_assert_str_eq(rtvm_cpu_get_governor(cpu(h, 2)), "performance");
	ck_assert_str_eq(rtvm_cpu_get_governor(cpu(h, 0)), "powersave");

	/* Not loaded: no threads, no command line. */
	ck_assert_uint_eq(rtvm_host_get_nr_threads(h), 0);
	ck_assert_ptr_null(rtvm_host_thread_next(h, NULL));
	ck_assert_ptr_null(rtvm_host_get_cmdline(h));
	rtvm_host_unref(h);
	rtvm_unref(ctx);
}
END_TEST

START_TEST(test_host64_cmdline)
{
	struct rtvm_ctx *ctx = tu_ctx("host64");
	struct rtvm_host *h = load(ctx, RTVM_HOST_CMDLINE);
	const char *k, *v;

	ck_assert_int_eq(rtvm_host_find_cmdline_param(h, "isolcpus", &v), 0);
	ck_assert_str_eq(v, "managed_irq,domain,2-15,34-47");
	ck_assert_int_eq(rtvm_host_find_cmdline_param(h, "dyndbg", &v), 0);
	ck_assert_str_eq(v, "file drivers/x +p");
	ck_assert_int_eq(rtvm_host_find_cmdline_param(h, "quiet", &v), 0);
	ck_assert_ptr_null(v);
	/* The kernel treats '-' and '_' alike in parameter names. */
	ck_assert_int_eq(rtvm_host_find_cmdline_param(h, "skew-tick", &v), 0);
	ck_assert_str_eq(v, "1");
	ck_assert_int_eq(rtvm_host_find_cmdline_param(h, "nohz", NULL), -ENOENT);
	ck_assert_int_eq(rtvm_host_get_cmdline_param(h, 0, &k, &v), 0);
	ck_assert_str_eq(k, "BOOT_IMAGE");
	ck_assert_int_eq(rtvm_host_get_cmdline_param(h, 1000, &k, &v), -ENOENT);
	ck_assert_ptr_nonnull(strstr(rtvm_host_get_cmdline(h), "nohz_full="));
	rtvm_host_unref(h);
	rtvm_unref(ctx);
}
END_TEST

START_TEST(test_cmdline_init_args)
{
	struct rtvm_ctx *ctx = tu_ctx("host64");
	struct rtvm_host *h;
	const char *k, *v;
	unsigned int i;

	tu_write(ctx, "proc/cmdline",
		 "root=/dev/vda ro rcu_nocbs=1 rcu-nocbs=2-3 empty= -- --init-flag x=1\n");
	h = load(ctx, RTVM_HOST_CMDLINE);
	for (i = 0; rtvm_host_get_cmdline_param(h, i, &k, &v) == 0; i++)
		ck_assert_msg(strcmp(k, "x") && strcmp(k, "--init-flag"),
			      "init's argument %s taken for a parameter", k);
	ck_assert_uint_eq(i, 5);
	/* The last occurrence wins, whatever its spelling. */
	ck_assert_int_eq(rtvm_host_find_cmdline_param(h, "rcu_nocbs", &v), 0);
	ck_assert_str_eq(v, "2-3");
	ck_assert_int_eq(rtvm_host_find_cmdline_param(h, "empty", &v), 0);
	ck_assert_str_eq(v, "");
	rtvm_host_unref(h);
	rtvm_unref(ctx);
}
END_TEST

START_TEST(test_host64_threads)
{
	struct rtvm_ctx *ctx = tu_ctx("host64");
	struct rtvm_host *h = load(ctx, 0);
	const struct rtvm_thread *t, *prev = NULL;
	unsigned int n = 0, kthreads = 0, percpu = 0;
	int nice;

	rtvm_host_foreach_thread(t, h) {
		if (prev)
			ck_assert(rtvm_thread_get_pid(prev) < rtvm_thread_get_pid(t) ||
				  (rtvm_thread_get_pid(prev) == rtvm_thread_get_pid(t) &&
				   rtvm_thread_get_tid(prev) < rtvm_thread_get_tid(t)));
		prev = t;
		n++;
		kthreads += rtvm_thread_is_kthread(t);
		percpu += rtvm_thread_is_per_cpu(t);
		/* Every per-CPU kthread is a kthread, pinned to one CPU. */
		if (rtvm_thread_is_per_cpu(t)) {
			ck_assert(rtvm_thread_is_kthread(t));
			ck_assert_uint_eq(rtvm_cpumask_weight(rtvm_thread_get_affinity(t)), 1);
			ck_assert_str_eq(rtvm_thread_get_cgroup(t, "cpuset"), "/");
		}
	}
	ck_assert_uint_eq(n, rtvm_host_get_nr_threads(h));
	/* cpuhp, migration, ksoftirqd, rcuc and kworker/N:0H per online CPU */
	ck_assert_uint_eq(percpu, 5 * 63);
	ck_assert_uint_gt(kthreads, percpu);

	t = thread(h, 4250);
	ck_assert_str_eq(rtvm_thread_get_comm(t), "CPU 0/KVM");
	ck_assert_int_eq(rtvm_thread_get_pid(t), 4242);
	ck_assert_int_eq(rtvm_thread_get_policy(t), SCHED_FIFO);
	ck_assert_int_eq(rtvm_thread_get_rt_priority(t), 1);
	ck_assert_str_eq(tu_list(rtvm_thread_get_affinity(t)), "2");
	ck_assert(!rtvm_thread_is_kthread(t));
	ck_assert_ptr_nonnull(strstr(rtvm_thread_get_cgroup(t, "cpuset"), "vcpu0"));
	ck_assert_ptr_nonnull(strstr(rtvm_thread_get_cgroup(t, "cpu"), "vcpu0"));
	ck_assert_ptr_nonnull(strstr(rtvm_thread_get_cgroup(t, "cpuacct"), "vcpu0"));
	ck_assert_ptr_nonnull(rtvm_thread_get_cgroup(t, ""));
	/* Not a v1 controller here: the unified hierarchy answers. */
	ck_assert_str_eq(rtvm_thread_get_cgroup(t, "nosuchctl"),
			 rtvm_thread_get_cgroup(t, ""));

	t = by_comm(h, "migration/5");
	ck_assert(rtvm_thread_is_per_cpu(t));
	ck_assert_int_eq(rtvm_thread_get_policy(t), SCHED_FIFO);
	ck_assert_int_eq(rtvm_thread_get_rt_priority(t), 99);
	ck_assert_str_eq(tu_list(rtvm_thread_get_affinity(t)), "5");
	t = by_comm(h, "ksoftirqd/3");
	ck_assert_int_eq(rtvm_thread_get_policy(t), SCHED_FIFO);
	ck_assert_int_eq(rtvm_thread_get_rt_priority(t), 2);
	t = by_comm(h, "ksoftirqd/0");
	ck_assert_int_eq(rtvm_thread_get_policy(t), SCHED_OTHER);

	t = thread(h, 2);
	ck_assert_str_eq(rtvm_thread_get_comm(t), "kthreadd");
	ck_assert(rtvm_thread_is_kthread(t));
	ck_assert(!rtvm_thread_is_per_cpu(t));
	t = thread(h, 1);
	ck_assert(!rtvm_thread_is_kthread(t));
	ck_assert_str_eq(tu_list(rtvm_thread_get_affinity(t)), "0-1,16-33,48-63");
	t = thread(h, 5000);
	ck_assert_int_eq(rtvm_thread_get_policy(t), SCHED_BATCH);
	ck_assert_int_eq(rtvm_thread_get_nice(t, &nice), 0);
	ck_assert_int_eq(nice, 10);
	ck_assert_uint_gt(rtvm_thread_get_start_time(t),
			  rtvm_thread_get_start_time(thread(h, 1)));
	ck_assert_int_eq(rtvm_host_find_thread(h, 31337, &t), -ENOENT);
	rtvm_host_unref(h);
	rtvm_unref(ctx);
}
END_TEST

START_TEST(test_threads_only_stat)
{
	struct rtvm_ctx *ctx = tu_ctx("host64");
	struct rtvm_host *h;
	const struct rtvm_thread *t;
	char path[1200];

	/* A thread that exits while the scan runs has no stat any more. */
	snprintf(path, sizeof(path), "rm %s/proc/4242/task/4251/stat",
		 rtvm_get_root(ctx));
	ck_assert_int_eq(system(path), 0);
	h = load(ctx, RTVM_HOST_THREADS);
	ck_assert_int_eq(rtvm_host_find_thread(h, 4251, &t), -ENOENT);
	t = thread(h, 4250);
	/* Affinity and cgroups were not asked for. */
	ck_assert_ptr_null(rtvm_thread_get_affinity(t));
	ck_assert_ptr_null(rtvm_thread_get_cgroup(t, "cpuset"));
	ck_assert_ptr_null(rtvm_host_get_cpus(h, RTVM_CPUS_ONLINE));
	rtvm_host_unref(h);
	rtvm_unref(ctx);
}
END_TEST

START_TEST(test_v2host)
{
	struct rtvm_ctx *ctx = tu_ctx("v2host");
	struct rtvm_host *h = load(ctx, 0);
	const struct rtvm_thread *t;

	ck_assert_str_eq(tu_list(rtvm_host_get_cpus(h, RTVM_CPUS_ONLINE)), "0-3");
	ck_assert_str_eq(tu_list(rtvm_host_get_cpus(h, RTVM_CPUS_ISOLATED)), "");
	ck_assert_str_eq(tu_list(rtvm_host_get_cpus(h, RTVM_CPUS_NOHZ_FULL)), "");
	ck_assert_ptr_null(rtvm_cpu_get_governor(cpu(h, 0)));
	ck_assert_uint_eq(rtvm_cpu_get_nr_idle_states(cpu(h, 3)), 2);
	t = by_comm(h, "CPU 1/KVM");
	/* Only the unified hierarchy: every controller answers with it. */
	ck_assert_ptr_nonnull(strstr(rtvm_thread_get_cgroup(t, "cpuset"), "/libvirt/vcpu1"));
	ck_assert_str_eq(rtvm_thread_get_cgroup(t, "cpu"),
			 rtvm_thread_get_cgroup(t, ""));
	t = thread(h, 1);
	ck_assert_str_eq(rtvm_thread_get_cgroup(t, "cpuset"), "/init.scope");
	rtvm_host_unref(h);
	rtvm_unref(ctx);
}
END_TEST

START_TEST(test_vm2cpu_captured)
{
	struct rtvm_ctx *ctx = tu_ctx("vm2cpu");
	struct rtvm_host *h = load(ctx, 0);
	const struct rtvm_thread *t;
	const char *v;

	ck_assert_str_eq(tu_list(rtvm_host_get_cpus(h, RTVM_CPUS_POSSIBLE)), "0-1");
	ck_assert_str_eq(tu_list(rtvm_host_get_cpus(h, RTVM_CPUS_ONLINE)), "0-1");
	ck_assert_uint_eq(rtvm_cpu_get_nr_idle_states(cpu(h, 1)), 2);
	ck_assert_str_eq(rtvm_idle_state_get_name(rtvm_cpu_get_idle_state(cpu(h, 0), 0)),
			 "POLL");
	/* Words after "--" belong to init, not to the kernel. */
	ck_assert_int_eq(rtvm_host_find_cmdline_param(h, "console", &v), 0);
	ck_assert_str_eq(v, "ttyS0");
	ck_assert_int_eq(rtvm_host_find_cmdline_param(h, "--addr", &v), -ENOENT);
	ck_assert_uint_ge(rtvm_host_get_nr_threads(h), 1);
	t = rtvm_host_thread_next(h, NULL);
	ck_assert_str_eq(tu_list(rtvm_thread_get_affinity(t)), "0-1");
	ck_assert_str_eq(rtvm_thread_get_cgroup(t, "cpuset"), "/");
	rtvm_host_unref(h);
	rtvm_unref(ctx);
}
END_TEST

START_TEST(test_bad_hosts)
{
	struct rtvm_ctx *ctx = tu_ctx("host64");
	struct rtvm_host *h = NULL;
	struct rtvm_cpumask *m = NULL;
	char cmd[1200];

	ck_assert_int_eq(rtvm_host_new(ctx, 1u << 20, &h), -EINVAL);
	ck_assert_int_eq(rtvm_host_new(NULL, 0, &h), -EINVAL);
	ck_assert_int_eq(rtvm_host_new(ctx, 0, NULL), -EINVAL);
	tu_write(ctx, "sys/devices/system/cpu/possible", "0-x\n");
	ck_assert_int_eq(rtvm_host_new(ctx, 0, &h), -EINVAL);
	ck_assert_int_eq(rtvm_cpumask_new(ctx, &m), -EINVAL);
	snprintf(cmd, sizeof(cmd), "rm %s/sys/devices/system/cpu/possible",
		 rtvm_get_root(ctx));
	ck_assert_int_eq(system(cmd), 0);
	/* Without cpu/possible the cpuN directories tell the CPUs. */
	ck_assert_int_eq(rtvm_host_new(ctx, RTVM_HOST_CPUS, &h), 0);
	ck_assert_str_eq(tu_list(rtvm_host_get_cpus(h, RTVM_CPUS_POSSIBLE)),
			 "0-63");
	h = rtvm_host_unref(h);
	ck_assert_ptr_null(m);
	/* Without those either, no CPU can be found: that is an error. */
	snprintf(cmd, sizeof(cmd), "rm -r %s/sys/devices/system/cpu",
		 rtvm_get_root(ctx));
	ck_assert_int_eq(system(cmd), 0);
	{
		struct rtvm_ctx *c2;

		ck_assert_int_eq(rtvm_new(&c2), 0);
		ck_assert_int_eq(rtvm_set_root(c2, rtvm_get_root(ctx)), 0);
		ck_assert_int_eq(rtvm_host_new(c2, 0, &h), -ENOENT);
		ck_assert_ptr_null(h);
		rtvm_unref(c2);
	}
	rtvm_unref(ctx);
}
END_TEST

/* ---- the shapes of real servers (tests/fixtures/gen-odd.sh) ---------- */

static struct rtvm_host *odd(const char *shape, struct rtvm_ctx **ret_ctx)
{
	struct rtvm_ctx *ctx;
	char root[600];

	snprintf(root, sizeof(root), "%s/%s", tu_fixture("odd"), shape);
	ck_assert_int_eq(rtvm_new(&ctx), 0);
	ck_assert_int_eq(rtvm_set_root(ctx, root), 0);
	*ret_ctx = ctx;
	return load(ctx, 0);
}

static const char *nodes(struct rtvm_host *h, enum rtvm_node_set which)
{
	return tu_list(rtvm_host_get_nodes(h, which));
}

START_TEST(test_sparse_nodes)
{
	struct rtvm_ctx *ctx;
	struct rtvm_host *h = odd("sparse-nodes", &ctx);

	ck_assert_str_eq(nodes(h, RTVM_NODES_POSSIBLE), "0-2,33-34,45,72-73");
	ck_assert_str_eq(nodes(h, RTVM_NODES_ONLINE), "0,2,33,72");
	ck_assert_str_eq(nodes(h, RTVM_NODES_HAS_CPU), "0,2");
	ck_assert_str_eq(nodes(h, RTVM_NODES_HAS_MEMORY), "0,2,33,72");
	ck_assert_uint_eq(rtvm_cpumask_nr_cpus(rtvm_host_get_nodes(
				  h, RTVM_NODES_POSSIBLE)), RTVM_MAX_NODES);
	ck_assert_int_eq(rtvm_cpu_get_node(cpu(h, 3)), 0);
	ck_assert_int_eq(rtvm_cpu_get_node(cpu(h, 5)), 2);
	ck_assert_ptr_null(rtvm_host_get_nodes(h, 4));
	ck_assert_ptr_null(rtvm_host_get_nodes(NULL, 0));
	rtvm_host_unref(h);
	rtvm_unref(ctx);

	h = odd("gpu-nodes", &ctx);
	ck_assert_str_eq(nodes(h, RTVM_NODES_POSSIBLE), "0,8,250-255");
	ck_assert_str_eq(nodes(h, RTVM_NODES_HAS_MEMORY), "0,250-255");
	ck_assert_str_eq(nodes(h, RTVM_NODES_HAS_CPU), "0");
	rtvm_host_unref(h);
	/* A node id past any kernel's limit: the node view is unknown, the
	 * model still loads. */
	tu_write(ctx, "sys/devices/system/node/possible", "0,5000\n");
	h = load(ctx, RTVM_HOST_CPUS);
	ck_assert_str_eq(nodes(h, RTVM_NODES_POSSIBLE), "0,250-255");
	ck_assert_int_eq(rtvm_cpu_get_node(cpu(h, 1)), 0);
	rtvm_host_unref(h);
	/* No NUMA information at all. */
	{
		char cmd[700];

		snprintf(cmd, sizeof(cmd), "rm -r %s/sys/devices/system/node",
			 rtvm_get_root(ctx));
		ck_assert_int_eq(system(cmd), 0);
	}
	h = load(ctx, RTVM_HOST_CPUS);
	ck_assert_str_eq(nodes(h, RTVM_NODES_ONLINE), "");
	ck_assert_int_eq(rtvm_cpu_get_node(cpu(h, 1)), -ENOENT);
	rtvm_host_unref(h);
	rtvm_unref(ctx);
}
END_TEST

START_TEST(test_dies_clusters_core_types)
{
	struct rtvm_ctx *ctx;
	struct rtvm_host *h = odd("multi-die", &ctx);

	ck_assert_int_eq(rtvm_cpu_get_package_id(cpu(h, 9)), 0);
	ck_assert_int_eq(rtvm_cpu_get_die_id(cpu(h, 9)), 1);
	ck_assert_int_eq(rtvm_cpu_get_core_id(cpu(h, 9)), 1);
	ck_assert_int_eq(rtvm_cpu_get_core_id(cpu(h, 1)), 1);
	ck_assert_int_eq(rtvm_cpu_get_package_id(cpu(h, 17)), 1);
	ck_assert_int_eq(rtvm_cpu_get_die_id(cpu(h, 17)), 0);
	ck_assert_int_eq(rtvm_cpu_get_cluster_id(cpu(h, 17)), -ENOENT);
	ck_assert_int_eq(rtvm_cpu_get_core_type(cpu(h, 17)), RTVM_CORE_UNKNOWN);
	ck_assert_int_eq(rtvm_cpu_get_capacity(cpu(h, 17)), -ENOENT);
	ck_assert_int_eq(rtvm_cpu_get_node(cpu(h, 17)), 2);
	rtvm_host_unref(h);
	rtvm_unref(ctx);

	h = odd("hybrid", &ctx);
	ck_assert_int_eq(rtvm_cpu_get_core_type(cpu(h, 0)),
			 RTVM_CORE_PERFORMANCE);
	ck_assert_int_eq(rtvm_cpu_get_core_type(cpu(h, 7)),
			 RTVM_CORE_PERFORMANCE);
	ck_assert_int_eq(rtvm_cpu_get_core_type(cpu(h, 8)),
			 RTVM_CORE_EFFICIENCY);
	ck_assert_int_eq(rtvm_cpu_get_cluster_id(cpu(h, 3)), 8);
	ck_assert_int_eq(rtvm_cpu_get_cluster_id(cpu(h, 11)), 32);
	ck_assert_str_eq(tu_list(rtvm_cpu_get_siblings(cpu(h, 3))), "2-3");
	rtvm_host_unref(h);
	rtvm_unref(ctx);

	h = odd("biglittle", &ctx);
	ck_assert_int_eq(rtvm_cpu_get_capacity(cpu(h, 0)), 446);
	ck_assert_int_eq(rtvm_cpu_get_core_type(cpu(h, 0)),
			 RTVM_CORE_EFFICIENCY);
	ck_assert_int_eq(rtvm_cpu_get_core_type(cpu(h, 4)),
			 RTVM_CORE_PERFORMANCE);
	ck_assert_int_eq(rtvm_cpu_get_die_id(cpu(h, 4)), -ENOENT); /* -1 */
	ck_assert_int_eq(rtvm_cpu_get_cluster_id(cpu(h, 4)), 1);
	rtvm_host_unref(h);
	/* Capacities all alike: one core type. */
	for (int i = 0; i < 8; i++) {
		char rel[64];

		snprintf(rel, sizeof(rel),
			 "sys/devices/system/cpu/cpu%d/cpu_capacity", i);
		tu_write(ctx, rel, "1024\n");
	}
	h = load(ctx, RTVM_HOST_CPUS);
	ck_assert_int_eq(rtvm_cpu_get_core_type(cpu(h, 4)), RTVM_CORE_UNKNOWN);
	rtvm_host_unref(h);
	rtvm_unref(ctx);
	ck_assert_int_eq(rtvm_cpu_get_die_id(NULL), -EINVAL);
	ck_assert_int_eq(rtvm_cpu_get_cluster_id(NULL), -EINVAL);
	ck_assert_int_eq(rtvm_cpu_get_capacity(NULL), -EINVAL);
	ck_assert_int_eq(rtvm_cpu_get_core_type(NULL), RTVM_CORE_UNKNOWN);
}
END_TEST

START_TEST(test_missing_files_degrade)
{
	struct rtvm_ctx *ctx;
	struct rtvm_host *h = odd("no-summary", &ctx);
	struct rtvm_cpumask *m;

	ck_assert_str_eq(tu_list(rtvm_host_get_cpus(h, RTVM_CPUS_POSSIBLE)),
			 "0-3");
	ck_assert_str_eq(tu_list(rtvm_host_get_cpus(h, RTVM_CPUS_PRESENT)),
			 "0-3");
	ck_assert_str_eq(tu_list(rtvm_host_get_cpus(h, RTVM_CPUS_ONLINE)),
			 "0-2");
	ck_assert_str_eq(tu_list(rtvm_host_get_cpus(h, RTVM_CPUS_ISOLATED)), "");
	ck_assert(rtvm_cpu_is_online(cpu(h, 0))); /* no cpu0/online file */
	ck_assert(!rtvm_cpu_is_online(cpu(h, 3)));
	ck_assert_int_eq(rtvm_cpu_get_core_id(cpu(h, 3)), -ENOENT);
	ck_assert_str_eq(nodes(h, RTVM_NODES_ONLINE), "0"); /* node0/ */
	ck_assert_str_eq(nodes(h, RTVM_NODES_POSSIBLE), "0");
	ck_assert_str_eq(nodes(h, RTVM_NODES_HAS_CPU), "0");
	ck_assert_int_eq(rtvm_cpumask_new(ctx, &m), 0);
	ck_assert_uint_eq(rtvm_cpumask_nr_cpus(m), 4);
	rtvm_cpumask_free(m);
	ck_assert_int_eq(rtvm_ctx_online_cpus(ctx, &m), 0);
	ck_assert_str_eq(tu_list(m), "0-2");
	rtvm_cpumask_free(m);
	rtvm_host_unref(h);
	rtvm_unref(ctx);

	h = odd("no-cmdline", &ctx);
	ck_assert_ptr_null(rtvm_host_get_cmdline(h));
	ck_assert_int_eq(rtvm_host_find_cmdline_param(h, "quiet", NULL),
			 -ENOENT);
	ck_assert_uint_gt(rtvm_host_get_nr_threads(h), 0);
	rtvm_host_unref(h);
	rtvm_unref(ctx);

	h = odd("offline0", &ctx);
	ck_assert_str_eq(tu_list(rtvm_host_get_cpus(h, RTVM_CPUS_ONLINE)),
			 "1-3");
	ck_assert(!rtvm_cpu_is_online(cpu(h, 0)));
	ck_assert_int_eq(rtvm_cpu_get_package_id(cpu(h, 0)), -ENOENT);
	ck_assert_int_eq(rtvm_cpu_get_core_id(cpu(h, 2)), 2);
	rtvm_host_unref(h);
	rtvm_unref(ctx);
}
END_TEST

START_TEST(test_mask_sized_from_host)
{
	struct rtvm_ctx *ctx = tu_ctx("host64");
	struct rtvm_cpumask *m;

	ck_assert_int_eq(rtvm_cpumask_new(ctx, &m), 0);
	ck_assert_uint_eq(rtvm_cpumask_nr_cpus(m), 64);
	ck_assert_int_eq(rtvm_cpumask_parse_list(m, "64", 0), -EINVAL);
	rtvm_cpumask_free(m);
	rtvm_unref(ctx);
	ctx = tu_ctx("v2host");
	ck_assert_int_eq(rtvm_cpumask_new(ctx, &m), 0);
	ck_assert_uint_eq(rtvm_cpumask_nr_cpus(m), 4);
	rtvm_cpumask_free(m);
	rtvm_unref(ctx);
}
END_TEST

START_TEST(test_read_fault_fails_load)
{
	struct rtvm_ctx *ctx = tu_ctx("host64");
	struct rtvm_host *h = NULL;

	ck_assert_int_eq(rtvm_ctx_add_fault(ctx, RTVM_OP_READ, "cpu/online",
					    1, 0, EIO), 0);
	ck_assert_int_eq(rtvm_host_new(ctx, RTVM_HOST_CPUS, &h), -EIO);
	ck_assert_ptr_null(h);
	rtvm_unref(ctx);
}
END_TEST

START_TEST(test_capture_roundtrip)
{
	struct rtvm_ctx *ctx = tu_ctx("host64"), *copy;
	struct rtvm_host *a, *b;
	const struct rtvm_thread *t, *u;
	char dest[1200];

	/* Capturing a sysroot gives a sysroot with the same model. */
	snprintf(dest, sizeof(dest), "%s.capture", rtvm_get_root(ctx));
	ck_assert_int_eq(rtvm_capture(ctx, dest, RTVM_CAPTURE_THREADS), 0);
	ck_assert_int_eq(rtvm_capture(ctx, dest, 0), -ENOTEMPTY);
	ck_assert_int_eq(rtvm_capture(ctx, dest, 1u << 9), -EINVAL);
	ck_assert_int_eq(rtvm_new(&copy), 0);
	ck_assert_int_eq(rtvm_set_root(copy, dest), 0);
	a = load(ctx, 0);
	b = load(copy, 0);
	ck_assert_uint_eq(rtvm_host_get_nr_threads(a), rtvm_host_get_nr_threads(b));
	ck_assert_str_eq(rtvm_host_get_cmdline(a), rtvm_host_get_cmdline(b));
	for (int i = 0; i <= RTVM_CPUS_NOHZ_FULL; i++)
		ck_assert(rtvm_cpumask_equal(rtvm_host_get_cpus(a, i),
					     rtvm_host_get_cpus(b, i)));
	for (t = rtvm_host_thread_next(a, NULL), u = rtvm_host_thread_next(b, NULL);
	     t && u; t = rtvm_host_thread_next(a, t), u = rtvm_host_thread_next(b, u)) {
		ck_assert_int_eq(rtvm_thread_get_tid(t), rtvm_thread_get_tid(u));
		ck_assert_str_eq(rtvm_thread_get_comm(t), rtvm_thread_get_comm(u));
		ck_assert(rtvm_cpumask_equal(rtvm_thread_get_affinity(t),
					     rtvm_thread_get_affinity(u)));
	}
	ck_assert_uint_eq(rtvm_cpu_get_nr_idle_states(cpu(b, 2)), 4);
	rtvm_host_unref(a);
	rtvm_host_unref(b);
	rtvm_unref(copy);
	rtvm_unref(ctx);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("host");
	TCase *tc = tcase_create("host");

	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, test_host64_cpus);
	tcase_add_test(tc, test_host64_cmdline);
	tcase_add_test(tc, test_cmdline_init_args);
	tcase_add_test(tc, test_host64_threads);
	tcase_add_test(tc, test_threads_only_stat);
	tcase_add_test(tc, test_v2host);
	tcase_add_test(tc, test_vm2cpu_captured);
	tcase_add_test(tc, test_bad_hosts);
	tcase_add_test(tc, test_sparse_nodes);
	tcase_add_test(tc, test_dies_clusters_core_types);
	tcase_add_test(tc, test_missing_files_degrade);
	tcase_add_test(tc, test_mask_sized_from_host);
	tcase_add_test(tc, test_read_fault_fails_load);
	tcase_add_test(tc, test_capture_roundtrip);
	suite_add_tcase(s, tc);
	return tu_run(s);
}
