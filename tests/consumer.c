/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * A program outside the tree: built by "make installcheck" against the
 * installed librtvm with pkg-config alone, run on the host64 fixture.
 */
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <rtvm/rtvm.h>

static int failures;

#define expect(cond, ...)                                                  \
	do {                                                               \
		if (!(cond)) {                                             \
			fprintf(stderr, "consumer: " __VA_ARGS__);         \
			fputc('\n', stderr);                               \
			failures++;                                        \
		}                                                          \
	} while (0)

int main(int argc, char **argv)
{
	struct rtvm_cpumask *rt, *hk;
	const struct rtvm_thread *t;
	struct rtvm_host *host;
	struct rtvm_ctx *ctx;
	char *list;

	if (argc != 2) {
		fprintf(stderr, "usage: consumer SYSROOT\n");
		return 2;
	}
	if (rtvm_new(&ctx) < 0 || rtvm_set_root(ctx, argv[1]) < 0 ||
	    rtvm_host_new(ctx, 0, &host) < 0) {
		fprintf(stderr, "consumer: cannot read %s\n", argv[1]);
		return 1;
	}
	printf("librtvm %s on %s\n", rtvm_version(), rtvm_get_root(ctx));

	rtvm_cpumask_new(ctx, &rt);
	rtvm_cpumask_new(ctx, &hk);
	expect(rtvm_cpumask_nr_cpus(rt) == 64, "capacity %u",
	       rtvm_cpumask_nr_cpus(rt));
	rtvm_cpumask_parse_hex(rt, "0000fffc,0000fffc", 0);
	expect(rtvm_cpumask_equal(rt, rtvm_host_get_cpus(host, RTVM_CPUS_ISOLATED)),
	       "isolated CPUs differ from 2-15,34-47");
	rtvm_cpumask_op(hk, RTVM_CPUMASK_COPY, rtvm_host_get_cpus(host, RTVM_CPUS_ONLINE));
	rtvm_cpumask_op(hk, RTVM_CPUMASK_ANDNOT, rt);
	rtvm_cpumask_format_list(hk, &list);
	printf("housekeeping CPUs: %s\n", list);
	expect(strcmp(list, "0-1,16-33,48-62") == 0, "housekeeping %s", list);
	free(list);

	expect(rtvm_host_find_thread(host, 4250, &t) == 0, "no vCPU thread");
	if (failures == 0) {
		printf("thread 4250: %s, policy %d, priority %d\n",
		       rtvm_thread_get_comm(t), rtvm_thread_get_policy(t),
		       rtvm_thread_get_rt_priority(t));
		expect(strcmp(rtvm_thread_get_comm(t), "CPU 0/KVM") == 0, "comm");
		expect(rtvm_thread_get_policy(t) == SCHED_FIFO, "policy");
		expect(rtvm_cpumask_subset(rtvm_thread_get_affinity(t), rt),
		       "vCPU not on an RT CPU");
	}
	rtvm_cpumask_free(rt);
	rtvm_cpumask_free(hk);
	rtvm_host_unref(host);
	rtvm_unref(ctx);
	printf("%s\n", failures ? "FAILED" : "all answers correct");
	return failures ? 1 : 0;
}
