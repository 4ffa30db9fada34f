/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Host readiness checks of the hardware and what drives it: idle states,
 * PM QoS, cpufreq, device IRQs on RT CPUs, irqbalance, workqueue masks,
 * the clock source, KVM module parameters and SMIs.
 *
 * Remedies name host paths; they are built with rtvm_fs_join_path() so
 * that only the fs module spells where the pseudo file systems live.
 */
#include "config.h"

#include <ctype.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "check-private.h"

/* PM_QOS_CPU_LATENCY_DEFAULT_VALUE: what /dev/cpu_dma_latency reads with
 * no request in force. */
#define QOS_GLOBAL_DEFAULT 2000000000
#define MSR_SMI_COUNT 0x34
/* cpuidle never has more (CPUIDLE_STATE_MAX is 10). */
#define MAX_IDLE_STATES 16

/* ---- small helpers ------------------------------------------------------ */

/* A growing string; on allocation failure it stops growing and says so. */
struct sb {
	char *s;
	size_t len, size;
	bool oom;
};

static void sb_add(struct sb *b, const char *fmt, ...) RTVM_PRINTF(2, 3);

static void sb_add(struct sb *b, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (b->oom)
		return;
	for (;;) {
		size_t room = b->size - b->len;

		va_start(ap, fmt);
		n = vsnprintf(b->s ? b->s + b->len : NULL, b->s ? room : 0, fmt,
			      ap);
		va_end(ap);
		if (n < 0) {
			b->oom = true;
			return;
		}
		if (b->s && (size_t)n < room) {
			b->len += (size_t)n;
			return;
		}
		size_t size = (b->size ? b->size : 128);
		while (size < b->len + (size_t)n + 1)
			size *= 2;
		char *s = realloc(b->s, size);

		if (!s) {
			b->oom = true;
			return;
		}
		if (!b->s)
			s[0] = '\0';
		b->s = s;
		b->size = size;
	}
}

static const char *sb_str(const struct sb *b)
{
	return b->s && !b->oom ? b->s : "";
}

static void sb_free(struct sb *b)
{
	free(b->s);
	*b = (struct sb){0};
}

/* Append a mask in list syntax ("2-15,34-47"). */
static void sb_add_list(struct sb *b, const struct rtvm_cpumask *m)
{
	char *l = NULL;

	if (rtvm_cpumask_format_list(m, &l) < 0) {
		b->oom = true;
		return;
	}
	sb_add(b, "%s", l);
	free(l);
}

/* Append a host path, such as the sysfs file a remedy writes: "%s/%s"
 * of the file system's top and @rel. */
static void sb_add_path(struct sb *b, enum rtvm_fs fs, const char *rel)
{
	char *full = NULL;

	if (rtvm_fs_join_path(fs, rel, &full) < 0) {
		b->oom = true;
		return;
	}
	sb_add(b, "%s", full);
	free(full);
}

static struct rtvm_cpumask *mask_like(const struct rtvm_check_env *env)
{
	struct rtvm_cpumask *m = NULL;
	unsigned int nr = rtvm_cpumask_nr_cpus(env->rt);

	if (rtvm_cpumask_new_nr(nr ? nr : 1, &m) < 0)
		return NULL;
	return m;
}

/* Most checks look at the RT CPUs only: with none, there is nothing to
 * say. */
static bool no_rt_cpus(const struct rtvm_check_env *env,
		       struct rtvm_check_result *res)
{
	if (rtvm_cpumask_weight(env->rt) > 0)
		return false;
	rtvm_check_set_status(res, RTVM_CHECK_SKIP);
	rtvm_check_set_observed(res, "no RT CPUs: none given and none "
				     "isolated");
	return true;
}

static const char *plural(unsigned int n, const char *one, const char *many)
{
	return n == 1 ? one : many;
}

/* "CPU 4" or "CPUs 2-15,34-47" */
static void sb_add_cpus(struct sb *b, const struct rtvm_cpumask *m)
{
	sb_add(b, "%s ", plural(rtvm_cpumask_weight(m), "CPU", "CPUs"));
	sb_add_list(b, m);
}

/* The first sentence of a remedy that writes @value to the same file of
 * several CPUs (devices/system/cpu/cpuN/@file): the exact command for the
 * first, then the list. */
static void sb_add_percpu_write(struct sb *b, const struct rtvm_cpumask *m,
				const char *value, const char *file,
				const char *what)
{
	char rel[256];

	snprintf(rel, sizeof(rel), "devices/system/cpu/cpu%d/%s",
		 rtvm_cpumask_next(m, -1), file);
	sb_add(b, "echo %s > ", value);
	sb_add_path(b, RTVM_FS_SYS, rel);
	if (what)
		sb_add(b, " (%s)", what);
	if (rtvm_cpumask_weight(m) > 1) {
		sb_add(b, ", and likewise for each CPU of ");
		sb_add_list(b, m);
	}
}

static long long ms_between(const struct timespec *a, const struct timespec *b)
{
	return (long long)(b->tv_sec - a->tv_sec) * 1000 +
	       (b->tv_nsec - a->tv_nsec) / 1000000;
}

static const struct rtvm_cpu *host_cpu(const struct rtvm_check_env *env,
				       int cpu)
{
	const struct rtvm_cpu *c = NULL;

	if (rtvm_host_get_cpu(env->host, (unsigned int)cpu, &c) < 0)
		return NULL;
	return c;
}

/* ---- PM QoS readers (shared by pm.cstates and pm.qos) ------------------ */

/* The per-CPU resume latency constraint, with sysfs semantics: "0" is no
 * constraint (returns 1), "n/a" is 0 us, N is N us (return 0, *ret_us).
 * -ENOENT when the kernel has no such file. */
static int qos_cpu(struct rtvm_ctx *ctx, int cpu, int *ret_us)
{
	char buf[64];
	int r, v;

	r = rtvm_fs_read(ctx, RTVM_FS_SYS, buf, sizeof(buf),
			 "devices/system/cpu/cpu%d/power/"
			 "pm_qos_resume_latency_us",
			 cpu);
	if (r < 0)
		return r;
	if (strcmp(rtvm_strip(buf), "n/a") == 0) {
		*ret_us = 0;
		return 0;
	}
	r = rtvm_parse_int(rtvm_strip(buf), &v);
	if (r < 0 || v < 0)
		return -EINVAL;
	if (v == 0)
		return 1;
	*ret_us = v;
	return 0;
}

/* The aggregate of the global CPU latency requests: opening the device
 * adds a request at the default (no constraint), which does not change
 * the aggregate, and closing it drops that request again. */
static int qos_global(struct rtvm_ctx *ctx, int *ret_us)
{
	int32_t v;
	ssize_t n;
	int fd;

	fd = rtvm_fs_open(ctx, RTVM_FS_DEV, O_RDONLY, "cpu_dma_latency");
	if (fd < 0)
		return fd;
	do
		n = read(fd, &v, sizeof(v));
	while (n < 0 && errno == EINTR);
	n = n < 0 ? -errno : (n == sizeof(v) ? 0 : -EIO);
	close(fd);
	if (n < 0)
		return (int)n;
	*ret_us = v;
	return 0;
}

/* The strictest latency constraint in force on @cpu, or -1 when none is
 * known to be. */
static int qos_effective(const struct rtvm_check_env *env, int cpu,
			 int global)
{
	int us = -1;

	if (qos_cpu(env->ctx, cpu, &us) != 0)
		us = -1;
	if (global >= 0 && global < QOS_GLOBAL_DEFAULT &&
	    (us < 0 || global < us))
		us = global;
	return us;
}

static int qos_global_constraint(const struct rtvm_check_env *env)
{
	int g;

	if (qos_global(env->ctx, &g) < 0 || g < 0 || g >= QOS_GLOBAL_DEFAULT)
		return -1;
	return g;
}

/* Whether @cpu has an enabled idle state deeper than the target. */
static bool has_deep_state(const struct rtvm_check_env *env, int cpu)
{
	const struct rtvm_cpu *c = host_cpu(env, cpu);
	unsigned int n = rtvm_cpu_get_nr_idle_states(c);

	for (unsigned int i = 0; i < n; i++) {
		const struct rtvm_idle_state *s = rtvm_cpu_get_idle_state(c, i);
		int lat = rtvm_idle_state_get_exit_latency(s);

		if (!rtvm_idle_state_is_disabled(s) && lat >= 0 &&
		    (unsigned int)lat > env->max_exit_latency_us)
			return true;
	}
	return false;
}

/* ---- pm.cstates --------------------------------------------------------- */

static int run_cstates(const struct rtvm_check_env *env, void *state,
		       struct rtvm_check_result *res)
{
	struct rtvm_cpumask *bad[MAX_IDLE_STATES] = {0}, *cpus = NULL,
			    *covered = NULL;
	const char *names[MAX_IDLE_STATES] = {0};
	int lats[MAX_IDLE_STATES] = {0};
	unsigned int with_idle = 0, max = env->max_exit_latency_us;
	struct sb obs = {0}, rem = {0};
	char driver[64];
	int cpu, r = 0, global;

	(void)state;
	if (no_rt_cpus(env, res))
		return 0;
	rtvm_check_set_expected(res, "no enabled idle state with an exit "
				     "latency above %u us on the RT CPUs",
				max);
	cpus = mask_like(env);
	covered = mask_like(env);
	if (!cpus || !covered) {
		r = -ENOMEM;
		goto out;
	}
	global = qos_global_constraint(env);
	rtvm_cpumask_foreach(cpu, env->rt) {
		const struct rtvm_cpu *c = host_cpu(env, cpu);
		unsigned int n = rtvm_cpu_get_nr_idle_states(c);
		struct sb line = {0};
		int qos;

		if (n)
			with_idle++;
		for (unsigned int i = 0; i < n && i < MAX_IDLE_STATES; i++) {
			const struct rtvm_idle_state *s =
				rtvm_cpu_get_idle_state(c, i);
			int lat = rtvm_idle_state_get_exit_latency(s);

			if (rtvm_idle_state_is_disabled(s) || lat < 0 ||
			    (unsigned int)lat <= max)
				continue;
			if (!bad[i] && !(bad[i] = mask_like(env))) {
				r = -ENOMEM;
				sb_free(&line);
				goto out;
			}
			rtvm_cpumask_set(bad[i], (unsigned int)cpu);
			if (!names[i]) {
				names[i] = rtvm_idle_state_get_name(s);
				lats[i] = lat;
			}
			sb_add(&line, "%s%s (%d us)", line.len ? ", " : "",
			       rtvm_idle_state_get_name(s), lat);
		}
		if (line.len) {
			rtvm_cpumask_set(cpus, (unsigned int)cpu);
			qos = qos_effective(env, cpu, global);
			if (qos >= 0 && (unsigned int)qos <= max)
				rtvm_cpumask_set(covered, (unsigned int)cpu);
			rtvm_check_add_detail(res, cpu, "%s enabled%s",
					      sb_str(&line),
					      qos >= 0 && (unsigned int)qos <= max ?
						      " (not entered while a PM "
						      "QoS constraint is in force)" :
						      "");
		}
		sb_free(&line);
	}
	if (!with_idle) {
		rtvm_check_set_status(res, RTVM_CHECK_PASS);
		rtvm_check_set_observed(res, "no cpuidle states on the RT CPUs "
					     "(no cpuidle driver): they idle in "
					     "the architecture's default state");
		goto out;
	}
	if (rtvm_cpumask_weight(cpus) == 0) {
		rtvm_check_set_status(res, RTVM_CHECK_PASS);
		sb_add(&obs, "no enabled idle state above %u us on RT ", max);
		sb_add_cpus(&obs, env->rt);
		rtvm_check_set_observed(res, "%s", sb_str(&obs));
		goto out;
	}

	for (unsigned int i = 0; i < MAX_IDLE_STATES; i++) {
		if (!bad[i])
			continue;
		sb_add(&obs, "%s%s (%d us) enabled on ", obs.len ? "; " : "",
		       names[i], lats[i]);
		sb_add_cpus(&obs, bad[i]);
		if (rem.len)
			sb_add(&rem, "; ");
		char file[64];

		snprintf(file, sizeof(file), "cpuidle/state%u/disable", i);
		sb_add_percpu_write(&rem, bad[i], "1", file, names[i]);
	}
	if (rtvm_fs_read(env->ctx, RTVM_FS_SYS, driver, sizeof(driver),
			 "devices/system/cpu/cpuidle/current_driver") < 0)
		driver[0] = '\0';
	rtvm_strip(driver);
	if (strcmp(driver, "acpi_idle") == 0)
		sb_add(&rem, "; or boot with processor.max_cstate=1");
	else if (!*driver || strcmp(driver, "intel_idle") == 0)
		sb_add(&rem, "; or boot with intel_idle.max_cstate=1");
	sb_add(&rem, "; or, at run time, hold a PM QoS request while the RT "
		     "VMs run: rtvm_pm_qos_hold(ctx, rt_cpus, %u, &hold)",
	       max);
	if (rtvm_cpumask_equal(covered, cpus)) {
		/* The governor honours the constraint: harmless while it
		 * lasts, so a hint rather than a warning. */
		rtvm_check_set_status(res, RTVM_CHECK_INFO);
		sb_add(&obs, "; a PM QoS constraint of at most %u us keeps "
			     "them from being entered",
		       max);
	} else {
		rtvm_check_set_status(res, RTVM_CHECK_WARN);
	}
	rtvm_check_set_observed(res, "%s", sb_str(&obs));
	rtvm_check_set_remedy(res, "%s", sb_str(&rem));
out:
	for (unsigned int i = 0; i < MAX_IDLE_STATES; i++)
		rtvm_cpumask_free(bad[i]);
	rtvm_cpumask_free(cpus);
	rtvm_cpumask_free(covered);
	sb_free(&obs);
	sb_free(&rem);
	return r;
}

/* ---- groups of CPUs by a text value ------------------------------------ */

#define MAX_GROUPS 16

struct groups {
	unsigned int n;
	char *text[MAX_GROUPS];
	struct rtvm_cpumask *cpus[MAX_GROUPS];
};

static int groups_add(struct groups *g, const struct rtvm_check_env *env,
		      const char *text, int cpu)
{
	unsigned int i;

	for (i = 0; i < g->n; i++)
		if (strcmp(g->text[i], text) == 0)
			break;
	if (i == g->n) {
		if (g->n == MAX_GROUPS) {
			/* The rest share the last group. */
			i = MAX_GROUPS - 1;
			if (strcmp(g->text[i], "(other values)") != 0) {
				free(g->text[i]);
				g->text[i] = strdup("(other values)");
				if (!g->text[i])
					return -ENOMEM;
			}
		} else {
			g->text[i] = strdup(text);
			g->cpus[i] = mask_like(env);
			g->n++;
			if (!g->text[i] || !g->cpus[i])
				return -ENOMEM;
		}
	}
	return rtvm_cpumask_set(g->cpus[i], (unsigned int)cpu);
}

/* "powersave on CPUs 2-15, ondemand on CPU 34" */
static void sb_add_groups(struct sb *b, const struct groups *g,
			  const char *prefix)
{
	for (unsigned int i = 0; i < g->n; i++) {
		sb_add(b, "%s%s%s on ", i ? ", " : "", prefix, g->text[i]);
		sb_add_cpus(b, g->cpus[i]);
	}
}

static void groups_free(struct groups *g)
{
	for (unsigned int i = 0; i < g->n; i++) {
		free(g->text[i]);
		rtvm_cpumask_free(g->cpus[i]);
	}
	*g = (struct groups){0};
}

/* ---- pm.qos ------------------------------------------------------------- */

static int run_qos(const struct rtvm_check_env *env, void *state,
		   struct rtvm_check_result *res)
{
	struct rtvm_cpumask *ok = NULL, *bad = NULL, *unknown = NULL,
			    *deep = NULL;
	unsigned int max = env->max_exit_latency_us;
	struct groups vals = {0};
	struct sb obs = {0}, rem = {0};
	int cpu, r = 0, g = -1, gr;
	char maxtext[16];

	(void)state;
	if (no_rt_cpus(env, res))
		return 0;
	if (max)
		snprintf(maxtext, sizeof(maxtext), "%u", max);
	else
		snprintf(maxtext, sizeof(maxtext), "n/a");
	rtvm_check_set_expected(res, "a wake-up latency constraint of at most "
				     "%u us on every RT CPU (per-CPU "
				     "pm_qos_resume_latency_us or "
				     "/dev/cpu_dma_latency)",
				max);
	ok = mask_like(env);
	bad = mask_like(env);
	unknown = mask_like(env);
	deep = mask_like(env);
	if (!ok || !bad || !unknown || !deep) {
		r = -ENOMEM;
		goto out;
	}
	gr = qos_global(env->ctx, &g);
	rtvm_cpumask_foreach(cpu, env->rt) {
		char text[64];
		int us = -1, c;

		c = qos_cpu(env->ctx, cpu, &us);
		if (c == 0 && us == 0)
			snprintf(text, sizeof(text), "n/a (0 us)");
		else if (c == 0)
			snprintf(text, sizeof(text), "%d (%d us)", us, us);
		else if (c == 1)
			snprintf(text, sizeof(text), "0 (no constraint)");
		else if (c == -ENOENT)
			snprintf(text, sizeof(text), "missing");
		else
			snprintf(text, sizeof(text), "unreadable (%s)",
				 strerror(-c));
		r = groups_add(&vals, env, text, cpu);
		if (r < 0)
			goto out;
		if (c != 0)
			us = -1;
		if (gr == 0 && g >= 0 && g < QOS_GLOBAL_DEFAULT &&
		    (us < 0 || g < us))
			us = g;
		if (us >= 0 && (unsigned int)us <= max)
			rtvm_cpumask_set(ok, (unsigned int)cpu);
		else if (c < 0 && gr < 0)
			rtvm_cpumask_set(unknown, (unsigned int)cpu);
		else
			rtvm_cpumask_set(bad, (unsigned int)cpu);
		if (us < 0 || (unsigned int)us > max)
			rtvm_check_add_detail(res, cpu, "resume latency %s: "
							"no constraint of at "
							"most %u us",
					      text, max);
		if (has_deep_state(env, cpu))
			rtvm_cpumask_set(deep, (unsigned int)cpu);
	}

	sb_add_groups(&obs, &vals, "pm_qos_resume_latency_us ");
	if (gr == 0 && g >= QOS_GLOBAL_DEFAULT)
		sb_add(&obs, "; /dev/cpu_dma_latency: no request (%d)", g);
	else if (gr == 0)
		sb_add(&obs, "; /dev/cpu_dma_latency: %d us", g);
	else if (gr == -ENOENT)
		sb_add(&obs, "; no /dev/cpu_dma_latency");
	else
		sb_add(&obs, "; /dev/cpu_dma_latency unknown (%s)",
		       strerror(-gr));

	if (rtvm_cpumask_weight(ok) == rtvm_cpumask_weight(env->rt)) {
		rtvm_check_set_status(res, RTVM_CHECK_PASS);
	} else if (rtvm_cpumask_weight(unknown) ==
		   rtvm_cpumask_weight(env->rt)) {
		rtvm_check_set_status(res, RTVM_CHECK_SKIP);
	} else {
		struct rtvm_cpumask *lacking = NULL;

		if (rtvm_cpumask_dup(bad, &lacking) < 0 ||
		    rtvm_cpumask_op(lacking, RTVM_CPUMASK_OR, unknown) < 0) {
			rtvm_cpumask_free(lacking);
			r = -ENOMEM;
			goto out;
		}
		sb_add(&obs, "; no constraint of at most %u us on ", max);
		sb_add_cpus(&obs, lacking);
		if (!rtvm_cpumask_intersects(lacking, deep)) {
			/* Nothing deeper than the target can be entered
			 * anyway: a hold would change nothing. */
			rtvm_check_set_status(res, RTVM_CHECK_INFO);
			sb_add(&obs, " (not needed: no enabled idle state "
				     "there is above %u us)",
			       max);
		} else {
			rtvm_check_set_status(res, RTVM_CHECK_WARN);
		}
		sb_add(&rem, "hold a PM QoS request while the RT VMs run: "
			     "rtvm_pm_qos_hold(ctx, rt_cpus, %u, &hold) (NULL "
			     "for rt_cpus holds /dev/cpu_dma_latency, every "
			     "CPU); or ",
		       max);
		sb_add_percpu_write(&rem, lacking, maxtext,
				    "power/pm_qos_resume_latency_us",
				    NULL);
		sb_add(&rem, " (\"n/a\" asks for 0 us; \"0\" removes the "
			     "constraint)");
		rtvm_check_set_remedy(res, "%s", sb_str(&rem));
		rtvm_cpumask_free(lacking);
	}
	rtvm_check_set_observed(res, "%s", sb_str(&obs));
out:
	groups_free(&vals);
	rtvm_cpumask_free(ok);
	rtvm_cpumask_free(bad);
	rtvm_cpumask_free(unknown);
	rtvm_cpumask_free(deep);
	sb_free(&obs);
	sb_free(&rem);
	return r;
}

/* ---- pm.governor -------------------------------------------------------- */

/* Turbo or boost: an informational detail and a word in @obs. */
static int turbo_detail(const struct rtvm_check_env *env,
			struct rtvm_check_result *res, struct sb *obs)
{
	static const struct {
		const char *rel, *name, *on_value, *off_value;
	} knobs[] = {
		{ "devices/system/cpu/intel_pstate/no_turbo", "turbo", "0", "1" },
		{ "devices/system/cpu/cpufreq/boost", "boost", "1", "0" },
	};
	struct sb d = {0};
	char buf[32];

	for (size_t i = 0; i < ARRAY_SIZE(knobs); i++) {
		bool on;

		if (rtvm_fs_read(env->ctx, RTVM_FS_SYS, buf, sizeof(buf), "%s",
				 knobs[i].rel) < 0)
			continue;
		on = strcmp(rtvm_strip(buf), knobs[i].on_value) == 0;
		sb_add(&d, "%s %s (", knobs[i].name, on ? "on" : "off");
		sb_add_path(&d, RTVM_FS_SYS, knobs[i].rel);
		sb_add(&d, " reads %s)", buf);
		if (on) {
			sb_add(&d, ": the clock varies with load and "
				   "temperature; for steadier timing: echo %s > ",
			       knobs[i].off_value);
			sb_add_path(&d, RTVM_FS_SYS, knobs[i].rel);
		}
		if (d.oom) {
			sb_free(&d);
			return -ENOMEM;
		}
		rtvm_check_add_detail(res, -1, "%s", sb_str(&d));
		sb_add(obs, "; %s %s", knobs[i].name, on ? "on" : "off");
		sb_free(&d);
		break;
	}
	return 0;
}

static int run_governor(const struct rtvm_check_env *env, void *state,
			struct rtvm_check_result *res)
{
	struct groups bad_gov = {0}, bad_epp = {0};
	struct rtvm_cpumask *gov_cpus = NULL, *epp_cpus = NULL;
	struct sb obs = {0}, rem = {0};
	unsigned int with_freq = 0;
	char buf[64];
	int cpu, r = 0;

	(void)state;
	if (no_rt_cpus(env, res))
		return 0;
	rtvm_check_set_expected(res, "governor performance (and energy "
				     "performance preference performance "
				     "where the driver has one) on every "
				     "RT CPU");
	gov_cpus = mask_like(env);
	epp_cpus = mask_like(env);
	if (!gov_cpus || !epp_cpus) {
		r = -ENOMEM;
		goto out;
	}
	rtvm_cpumask_foreach(cpu, env->rt) {
		const char *gov = rtvm_cpu_get_governor(host_cpu(env, cpu));

		if (!gov) {
			rtvm_check_add_detail(res, cpu, "no cpufreq");
			continue;
		}
		with_freq++;
		if (strcmp(gov, "performance") != 0) {
			rtvm_check_add_detail(res, cpu, "governor %s", gov);
			rtvm_cpumask_set(gov_cpus, (unsigned int)cpu);
			if ((r = groups_add(&bad_gov, env, gov, cpu)) < 0)
				goto out;
		}
		if (rtvm_fs_read(env->ctx, RTVM_FS_SYS, buf, sizeof(buf),
				 "devices/system/cpu/cpu%d/cpufreq/"
				 "energy_performance_preference",
				 cpu) >= 0 &&
		    strcmp(rtvm_strip(buf), "performance") != 0) {
			rtvm_check_add_detail(res, cpu,
					      "energy_performance_preference %s",
					      rtvm_strip(buf));
			rtvm_cpumask_set(epp_cpus, (unsigned int)cpu);
			if ((r = groups_add(&bad_epp, env, rtvm_strip(buf),
					    cpu)) < 0)
				goto out;
		}
	}
	if (!with_freq) {
		rtvm_check_set_status(res, RTVM_CHECK_SKIP);
		rtvm_check_set_observed(res, "no cpufreq (a VM, or cpufreq "
					     "disabled)");
		goto out;
	}
	if (bad_gov.n)
		sb_add_groups(&obs, &bad_gov, "governor ");
	if (bad_epp.n) {
		if (obs.len)
			sb_add(&obs, "; ");
		sb_add_groups(&obs, &bad_epp, "energy_performance_preference ");
	}
	if (!obs.len) {
		sb_add(&obs, "governor performance on RT ");
		sb_add_cpus(&obs, env->rt);
	}

	/* Turbo changes the clock with load and temperature: timing varies,
	 * but it is a trade-off, not a fault. */
	r = turbo_detail(env, res, &obs);
	if (r < 0)
		goto out;
	rtvm_check_set_observed(res, "%s", sb_str(&obs));

	if (!bad_gov.n && !bad_epp.n) {
		rtvm_check_set_status(res, RTVM_CHECK_PASS);
		goto out;
	}
	rtvm_check_set_status(res, RTVM_CHECK_WARN);
	if (bad_gov.n) {
		sb_add_percpu_write(&rem, gov_cpus, "performance",
				    "cpufreq/scaling_governor",
				    NULL);
		sb_add(&rem, " (or: cpupower -c ");
		sb_add_list(&rem, gov_cpus);
		sb_add(&rem, " frequency-set -g performance)");
	}
	if (bad_epp.n) {
		if (rem.len)
			sb_add(&rem, "; ");
		sb_add_percpu_write(&rem, epp_cpus, "performance",
				    "cpufreq/energy_performance_preference",
				    NULL);
	}
	rtvm_check_set_remedy(res, "%s", sb_str(&rem));
out:
	groups_free(&bad_gov);
	groups_free(&bad_epp);
	rtvm_cpumask_free(gov_cpus);
	rtvm_cpumask_free(epp_cpus);
	sb_free(&obs);
	sb_free(&rem);
	return r;
}

/* ---- irq.rt_cpus: the interrupts file of procfs ---------------------- */

struct irq_line {
	char label[16];	 /* "125", "LOC" */
	bool is_irq;
	bool global;	 /* ERR, MIS: one count for the machine */
	char *desc;	 /* what follows the counts */
	uint64_t *rt;	 /* counts on the RT CPUs, by RT index */
};

struct irq_snap {
	int err;
	unsigned int nr_unparsed, first_unparsed;
	struct timespec t;
	unsigned int nrt;
	int *rt_cpu;	 /* RT index -> CPU */
	size_t n;
	struct irq_line *lines;
};

static void irq_snap_free(void *p)
{
	struct irq_snap *s = p;

	if (!s)
		return;
	for (size_t i = 0; i < s->n; i++) {
		free(s->lines[i].desc);
		free(s->lines[i].rt);
	}
	free(s->lines);
	free(s->rt_cpu);
	free(s);
}

struct irq_parse_state {
	struct irq_snap *s;
	const int *rt_index;	/* CPU -> RT index, -1 */
	unsigned int nr;	/* length of rt_index */
	size_t alloc;
};

static int irq_add_line(void *data, const struct rtvm_interrupts *in,
			const struct rtvm_interrupts_line *pl)
{
	struct irq_parse_state *ps = data;
	struct irq_snap *s = ps->s;
	struct irq_line *l;

	if (s->n == ps->alloc) {
		size_t a = ps->alloc ? ps->alloc * 2 : 64;
		struct irq_line *nl = realloc(s->lines, a * sizeof(*nl));

		if (!nl)
			return -ENOMEM;
		s->lines = nl;
		ps->alloc = a;
	}
	l = &s->lines[s->n];
	*l = (struct irq_line){0};
	snprintf(l->label, sizeof(l->label), "%s", pl->label);
	l->is_irq = pl->numbered;
	l->rt = calloc(s->nrt ? s->nrt : 1, sizeof(*l->rt));
	if (!l->rt)
		return -ENOMEM;
	s->n++;
	l->desc = strdup(rtvm_strip(pl->rest));
	if (!l->desc)
		return -ENOMEM;
	/* ERR and MIS: one count for the machine, none on a CPU. */
	l->global = !l->is_irq && !*l->desc;
	if (l->global)
		return 0;
	for (unsigned int c = 0; c < pl->nvals; c++)
		if (in->cols[c] < ps->nr && ps->rt_index[in->cols[c]] >= 0)
			l->rt[ps->rt_index[in->cols[c]]] = pl->vals[c];
	return 0;
}

/* Every line of the interrupts file; keep the counts of the RT CPUs. */
static int irq_parse(const struct rtvm_check_env *env, struct irq_snap *s)
{
	unsigned int nr = rtvm_cpumask_nr_cpus(env->rt), k = 0;
	struct irq_parse_state ps = { .s = s, .nr = nr };
	struct rtvm_interrupts in;
	int *rt_index = NULL, cpu, r;
	char *buf = NULL;

	clock_gettime(CLOCK_MONOTONIC, &s->t);
	r = rtvm_fs_read_alloc(env->ctx, RTVM_FS_PROC, &buf, "interrupts");
	if (r < 0)
		return r;
	s->nrt = rtvm_cpumask_weight(env->rt);
	rt_index = malloc((nr ? nr : 1) * sizeof(*rt_index));
	s->rt_cpu = malloc((s->nrt ? s->nrt : 1) * sizeof(*s->rt_cpu));
	if (!rt_index || !s->rt_cpu) {
		r = -ENOMEM;
		goto out;
	}
	for (unsigned int i = 0; i < nr; i++)
		rt_index[i] = -1;
	rtvm_cpumask_foreach(cpu, env->rt) {
		rt_index[cpu] = (int)k;
		s->rt_cpu[k++] = cpu;
	}
	ps.rt_index = rt_index;
	r = rtvm_interrupts_parse(env->ctx, buf, &in, irq_add_line, &ps);
	if (r == 0) {
		s->nr_unparsed = in.nr_bad;
		s->first_unparsed = in.first_bad;
		rtvm_interrupts_done(&in);
	}
out:
	free(rt_index);
	free(buf);
	return r;
}

static int sample_irqs(const struct rtvm_check_env *env, void **ret_state)
{
	struct irq_snap *s = calloc(1, sizeof(*s));

	if (!s)
		return -ENOMEM;
	s->err = irq_parse(env, s);
	if (s->err == -ENOMEM) {
		irq_snap_free(s);
		return -ENOMEM;
	}
	*ret_state = s;
	return 0;
}

/* The action names of an IRQ: what follows the chip and the
 * "hwirq-flow" fields ("IR-PCI-MSI 1048580-edge eth0-TxRx-3"). */
static const char *irq_name(const char *desc)
{
	const char *p = desc;

	for (int field = 0; field < 3 && *p; field++) {
		const char *end = p + strcspn(p, " \t");
		bool skip;

		if (field == 0)
			skip = true; /* the chip */
		else if (field == 1) /* hwirq-flow, or a bare hwirq */
			skip = strpbrk(p, "0123456789-") &&
			       strpbrk(p, "0123456789-") < end;
		else /* GENERIC_IRQ_SHOW_LEVEL's "Level"/"Edge" */
			skip = strncmp(p, "Level", 5) == 0 ||
			       strncmp(p, "Edge", 4) == 0;
		if (!skip)
			break;
		p = end;
		while (*p == ' ' || *p == '\t')
			p++;
	}
	return *p ? p : desc;
}

static const struct irq_line *irq_find(const struct irq_snap *s,
				       const char *label, size_t hint)
{
	if (!s || s->err)
		return NULL;
	if (hint < s->n && strcmp(s->lines[hint].label, label) == 0)
		return &s->lines[hint];
	for (size_t i = 0; i < s->n; i++)
		if (strcmp(s->lines[i].label, label) == 0)
			return &s->lines[i];
	return NULL;
}

/* An IRQ's effective affinity, or the requested one where the kernel
 * does not say. */
static int irq_affinity(const struct rtvm_check_env *env, const char *irq,
			struct rtvm_cpumask *m, char *text, size_t size)
{
	int r;

	r = rtvm_fs_read(env->ctx, RTVM_FS_PROC, text, size,
			 "irq/%s/effective_affinity_list", irq);
	if (r < 0)
		r = rtvm_fs_read(env->ctx, RTVM_FS_PROC, text, size,
				 "irq/%s/smp_affinity_list", irq);
	if (r < 0)
		return r;
	rtvm_strip(text);
	return rtvm_cpumask_parse_list(m, text, RTVM_CPUMASK_ALLOW_EMPTY);
}

/* What to do about an interrupts file the kernel would not write. */
static const char damaged_remedy[] =
	"the file is damaged (the kernel writes no such line): in a sysroot, "
	"capture it again with rtvm-capture; on a running host, report it with "
	"the kernel's version";

static int run_irqs(const struct rtvm_check_env *env, void *state,
		    struct rtvm_check_result *res)
{
	struct irq_snap *before = state, now = {0};
	struct rtvm_cpumask *aff = NULL, *hit = NULL;
	struct sb obs = {0}, rem = {0}, irqs = {0}, others = {0};
	unsigned int nbad = 0, ndev = 0;
	char rel[64];
	uint64_t grown_total = 0;
	const char *first_bad = NULL;
	long long ms = -1;
	int r;

	if (no_rt_cpus(env, res))
		return 0;
	rtvm_check_set_expected(res, "no device interrupts on the RT CPUs: "
				     "every IRQ's effective affinity within "
				     "the housekeeping CPUs");
	r = irq_parse(env, &now);
	if (r == -ENOMEM)
		goto out;
	if (r < 0) {
		/* Missing or hidden: nothing to say.  There but damaged (lines
		 * that do not parse, a FIFO, too large): a host that cannot
		 * be vouched for fails. */
		bool absent = r == -ENOENT || r == -EACCES || r == -EPERM;

		rtvm_check_set_status(res, absent ? RTVM_CHECK_SKIP :
						    RTVM_CHECK_FAIL);
		sb_add(&obs, "cannot read ");
		sb_add_path(&obs, RTVM_FS_PROC, "interrupts");
		sb_add(&obs, ": %s", strerror(-r));
		rtvm_check_set_observed(res, "%s", sb_str(&obs));
		if (!absent)
			rtvm_check_set_remedy(res, "%s", damaged_remedy);
		r = 0;
		goto out;
	}
	if (before && !before->err)
		ms = ms_between(&before->t, &now.t);
	if (rtvm_cpumask_new_nr(RTVM_CPUMASK_MAX_CPUS, &aff) < 0 ||
	    !(hit = mask_like(env))) {
		r = -ENOMEM;
		goto out;
	}

	for (size_t i = 0; i < now.n; i++) {
		const struct irq_line *l = &now.lines[i];
		const struct irq_line *p = irq_find(before, l->label, i);
		uint64_t total = 0, grown = 0;
		char afftext[1024];
		bool intersects;

		if (l->global)
			continue;
		rtvm_cpumask_zero(hit);
		for (unsigned int k = 0; k < now.nrt; k++) {
			total += l->rt[k];
			if (p && l->rt[k] > p->rt[k])
				grown += l->rt[k] - p->rt[k];
			if (l->rt[k])
				rtvm_cpumask_set(hit, (unsigned int)now.rt_cpu[k]);
		}
		if (!l->is_irq) {
			/* Timer, IPIs, ...: the kernel's own, not movable. */
			if (total || grown)
				rtvm_check_add_detail(res, -1,
						      "%s (%s): %llu on RT CPUs "
						      "since boot, +%llu during "
						      "the run",
						      l->label, l->desc,
						      (unsigned long long)total,
						      (unsigned long long)grown);
			continue;
		}
		ndev++;
		if (irq_affinity(env, l->label, aff, afftext,
				 sizeof(afftext)) < 0) {
			rtvm_cpumask_zero(aff);
			snprintf(afftext, sizeof(afftext), "unknown");
		}
		intersects = rtvm_cpumask_intersects(aff, env->rt);
		if (grown || (intersects && total)) {
			struct sb d = {0};

			nbad++;
			grown_total += grown;
			if (!first_bad)
				first_bad = l->label;
			else
				sb_add(&others, "%s%s", others.len ? "," : "",
				       l->label);
			sb_add(&irqs, "%s%s (%s)", irqs.len ? ", " : "",
			       l->label, irq_name(l->desc));
			sb_add(&d, "IRQ %s (%s): %llu on RT ", l->label,
			       irq_name(l->desc), (unsigned long long)total);
			sb_add_cpus(&d, hit);
			sb_add(&d, " since boot, +%llu during the run; "
				   "effective affinity %s",
			       (unsigned long long)grown, afftext);
			rtvm_check_add_detail(res,
					      rtvm_cpumask_weight(hit) == 1 ?
						      rtvm_cpumask_next(hit, -1) :
						      -1,
					      "%s", sb_str(&d));
			sb_free(&d);
		} else if (intersects) {
			rtvm_check_add_detail(res, -1,
					      "IRQ %s (%s): effective affinity "
					      "%s includes RT CPUs; it has not "
					      "fired there",
					      l->label, irq_name(l->desc),
					      afftext);
		}
	}

	if (!nbad && now.nr_unparsed) {
		/* Never a PASS about lines it could not read. */
		rtvm_check_set_status(res, RTVM_CHECK_WARN);
		rtvm_check_set_remedy(res, "%s", damaged_remedy);
		sb_add(&obs, "%u %s of ", now.nr_unparsed,
		       plural(now.nr_unparsed, "line", "lines"));
		sb_add_path(&obs, RTVM_FS_PROC, "interrupts");
		sb_add(&obs, " %s not parse (first: line %u), so no verdict "
			     "on RT ", plural(now.nr_unparsed, "does", "do"),
		       now.first_unparsed);
		sb_add_cpus(&obs, env->rt);
		sb_add(&obs, " (none of the %u IRQs read fires there)", ndev);
		rtvm_check_set_observed(res, "%s", sb_str(&obs));
		goto out;
	}
	if (!nbad) {
		rtvm_check_set_status(res, RTVM_CHECK_PASS);
		sb_add(&obs, "no device IRQ fires on RT ");
		sb_add_cpus(&obs, env->rt);
		sb_add(&obs, " (%u IRQs", ndev);
		if (ms >= 0)
			sb_add(&obs, ", sampled %lld ms apart", ms);
		sb_add(&obs, ")");
		rtvm_check_set_observed(res, "%s", sb_str(&obs));
		goto out;
	}
	rtvm_check_set_status(res, RTVM_CHECK_WARN);
	sb_add(&obs, "%u %s on RT CPUs: %s", nbad, plural(nbad, "IRQ fires",
							  "IRQs fire"),
	       sb_str(&irqs));
	if (ms >= 0)
		sb_add(&obs, "; +%llu interrupts there during the run (%lld ms)",
		       (unsigned long long)grown_total, ms);
	if (now.nr_unparsed)
		sb_add(&obs, "; %u more %s of the file did not parse (first: "
			     "line %u)", now.nr_unparsed,
		       plural(now.nr_unparsed, "line", "lines"),
		       now.first_unparsed);
	rtvm_check_set_observed(res, "%s", sb_str(&obs));

	if (rtvm_cpumask_weight(env->housekeeping) == 0) {
		rtvm_check_set_remedy(res, "leave at least one online CPU out "
					   "of the RT set to take the IRQs");
		goto out;
	}
	sb_add(&rem, "echo ");
	sb_add_list(&rem, env->housekeeping);
	snprintf(rel, sizeof(rel), "irq/%s/smp_affinity_list", first_bad);
	sb_add(&rem, " > ");
	sb_add_path(&rem, RTVM_FS_PROC, rel);
	if (nbad > 1)
		sb_add(&rem, ", and likewise for IRQs %s", sb_str(&others));
	sb_add(&rem, " (or with rtvm-irq, later); a write that fails with EIO "
		     "is a managed IRQ: isolcpus=managed_irq keeps those off "
		     "RT CPUs where the device has queues elsewhere");
	rtvm_check_set_remedy(res, "%s", sb_str(&rem));
out:
	for (size_t i = 0; i < now.n; i++) {
		free(now.lines[i].desc);
		free(now.lines[i].rt);
	}
	free(now.lines);
	free(now.rt_cpu);
	rtvm_cpumask_free(aff);
	rtvm_cpumask_free(hit);
	sb_free(&obs);
	sb_free(&rem);
	sb_free(&irqs);
	sb_free(&others);
	return r;
}

/* ---- irq.irqbalance ----------------------------------------------------- */

static const char *ban_key(int kind)
{
	return kind == RTVM_IRQBALANCE_BAN_CPUS ? "IRQBALANCE_BANNED_CPUS" :
						  "IRQBALANCE_BANNED_CPULIST";
}

/* "IRQBALANCE_BANNED_CPULIST=2-15", or the automatic ban in words. */
static void sb_add_ban(struct sb *b, int kind, const char *value)
{
	if (kind == RTVM_IRQBALANCE_BAN_AUTO)
		sb_add(b, "no list (its own ban of isolated and nohz_full "
			  "CPUs)");
	else
		sb_add(b, "%s=%s", ban_key(kind), value);
}

static int run_irqbalance(const struct rtvm_check_env *env, void *state,
			  struct rtvm_check_result *res)
{
	const struct rtvm_thread *t;
	struct rtvm_irqbalance *ib = NULL;
	struct rtvm_cpumask *missing = NULL, *want = NULL;
	const struct rtvm_cpumask *banned;
	const char *etc_name, *value, *fvalue;
	struct sb obs = {0}, rem = {0};
	int r, kind, fkind;
	pid_t pid = -1;

	(void)state;
	if (no_rt_cpus(env, res))
		return 0;
	rtvm_check_set_expected(res, "irqbalance not running, or banned from "
				     "every RT CPU");
	rtvm_host_foreach_thread(t, env->host) {
		if (strcmp(rtvm_thread_get_comm(t), "irqbalance") == 0) {
			pid = rtvm_thread_get_pid(t);
			break;
		}
	}
	if (pid < 0) {
		rtvm_check_set_status(res, RTVM_CHECK_PASS);
		rtvm_check_set_observed(res, "irqbalance is not running");
		return 0;
	}
	r = rtvm_irqbalance_probe_pid(env->ctx, pid, &ib);
	if (r < 0)
		return r;
	etc_name = rtvm_irqbalance_target_file(ib);
	kind = rtvm_irqbalance_get_ban_kind(ib);
	value = rtvm_irqbalance_get_ban_value(ib);
	banned = rtvm_irqbalance_get_banned(ib);

	/* The file is what the next start will use. */
	if (rtvm_irqbalance_is_stale(ib)) {
		struct sb d = {0};

		fkind = rtvm_irqbalance_file_ban(ib, &fvalue);
		sb_add(&d, "%s sets ", etc_name);
		sb_add_ban(&d, fkind, fvalue);
		sb_add(&d, " but the running irqbalance has ");
		sb_add_ban(&d, kind, value);
		sb_add(&d, ": restart it to apply the file");
		rtvm_check_add_detail(res, -1, "%s", sb_str(&d));
		sb_free(&d);
	}
	if (!banned)
		rtvm_check_add_detail(res, -1, "cannot parse %s=%s",
				      ban_key(kind), value);

	if (!(missing = mask_like(env))) {
		r = -ENOMEM;
		goto out;
	}
	rtvm_cpumask_op(missing, RTVM_CPUMASK_COPY, env->rt);
	if (banned)
		rtvm_cpumask_op(missing, RTVM_CPUMASK_ANDNOT, banned);

	sb_add(&obs, "irqbalance (pid %d) runs; banned: ", (int)pid);
	if (banned)
		sb_add_list(&obs, banned);
	if (!rtvm_cpumask_weight(banned))
		sb_add(&obs, "none");
	if (kind == RTVM_IRQBALANCE_BAN_AUTO)
		sb_add(&obs, ", through its own ban of isolated and nohz_full "
			     "CPUs (no list set)");
	else
		sb_add(&obs, ", through %s=%s", ban_key(kind), value);
	if (rtvm_irqbalance_get_source(ib) != RTVM_IRQBALANCE_FROM_ENVIRON)
		sb_add(&obs, " (read from %s: the daemon's environment is "
			     "readable by root only)",
		       rtvm_irqbalance_get_file(ib) ?
			       etc_name :
			       "defaults, no environment file");
	if (!rtvm_cpumask_weight(missing)) {
		rtvm_check_set_status(res, RTVM_CHECK_PASS);
		rtvm_check_set_observed(res, "%s", sb_str(&obs));
		goto out;
	}
	rtvm_check_set_status(res, RTVM_CHECK_WARN);
	sb_add(&obs, "; it may move IRQs onto RT ");
	sb_add_cpus(&obs, missing);
	rtvm_check_set_observed(res, "%s", sb_str(&obs));

	/* What rtvm_irqbalance_ban() would write: the bans in force and the
	 * RT CPUs. */
	r = rtvm_irqbalance_ban_mask(ib, env->rt, &want);
	if (r < 0)
		goto out;
	sb_add(&rem, "set IRQBALANCE_BANNED_CPULIST=");
	sb_add_list(&rem, want);
	sb_add(&rem, " in %s", etc_name);
	if (kind == RTVM_IRQBALANCE_BAN_CPUS)
		sb_add(&rem, " and remove IRQBALANCE_BANNED_CPUS (it takes "
			     "precedence)");
	sb_add(&rem, ", then restart irqbalance (systemctl restart "
		     "irqbalance); or stop it (systemctl disable --now "
		     "irqbalance) and steer IRQs yourself");
	rtvm_check_set_remedy(res, "%s", sb_str(&rem));
out:
	rtvm_irqbalance_unref(ib);
	rtvm_cpumask_free(missing);
	rtvm_cpumask_free(want);
	sb_free(&obs);
	sb_free(&rem);
	return r;
}

/* ---- wq.cpumask --------------------------------------------------------- */

static int run_wq(const struct rtvm_check_env *env, void *state,
		  struct rtvm_check_result *res)
{
	static const struct {
		const char *what, *rel;
	} files[] = {
		{ "unbound workqueues", "devices/virtual/workqueue/cpumask" },
		{ "writeback", "bus/workqueue/devices/writeback/cpumask" },
	};
	struct rtvm_cpumask *m = NULL, *over = NULL;
	struct sb obs = {0}, rem = {0};
	unsigned int found = 0, bad = 0;
	char *hk = NULL;
	int r = 0;

	(void)state;
	if (no_rt_cpus(env, res))
		return 0;
	rtvm_check_set_expected(res, "unbound workqueue and writeback "
				     "cpumasks within the housekeeping CPUs");
	if (rtvm_cpumask_new_nr(RTVM_CPUMASK_MAX_CPUS, &m) < 0 ||
	    !(over = mask_like(env)) ||
	    rtvm_cpumask_format_hex(env->housekeeping, &hk) < 0) {
		r = -ENOMEM;
		goto out;
	}
	for (size_t i = 0; i < ARRAY_SIZE(files); i++) {
		char buf[2048];
		int cpu;

		r = rtvm_fs_read(env->ctx, RTVM_FS_SYS, buf, sizeof(buf), "%s",
				 files[i].rel);
		if (r == -ENOENT) {
			r = 0;
			continue;
		}
		found++;
		if (obs.len)
			sb_add(&obs, "; ");
		if (r < 0) {
			sb_add(&obs, "%s cpumask unreadable (%s)", files[i].what,
			       strerror(-r));
			r = 0;
			continue;
		}
		rtvm_strip(buf);
		if (rtvm_cpumask_parse_hex(m, buf, RTVM_CPUMASK_ALLOW_EMPTY) < 0) {
			sb_add(&obs, "%s cpumask \"%s\" does not parse",
			       files[i].what, buf);
			continue;
		}
		rtvm_cpumask_zero(over);
		rtvm_cpumask_foreach(cpu, m)
			if (rtvm_cpumask_test(env->rt, (unsigned int)cpu))
				rtvm_cpumask_set(over, (unsigned int)cpu);
		if (!rtvm_cpumask_weight(over)) {
			sb_add(&obs, "%s cpumask %s", files[i].what, buf);
			continue;
		}
		bad++;
		sb_add(&obs, "%s cpumask %s covers RT ", files[i].what, buf);
		sb_add_cpus(&obs, over);
		{
			struct sb d = {0};

			sb_add_path(&d, RTVM_FS_SYS, files[i].rel);
			sb_add(&d, " reads %s: RT ", buf);
			sb_add_cpus(&d, over);
			rtvm_check_add_detail(res, -1, "%s", sb_str(&d));
			sb_free(&d);
		}
		if (rem.len)
			sb_add(&rem, "; ");
		sb_add(&rem, "echo %s > ", hk);
		sb_add_path(&rem, RTVM_FS_SYS, files[i].rel);
	}
	if (!found) {
		rtvm_check_set_status(res, RTVM_CHECK_SKIP);
		rtvm_check_set_observed(res, "no workqueue cpumask in sysfs");
		goto out;
	}
	rtvm_check_set_observed(res, "%s", sb_str(&obs));
	if (!bad) {
		rtvm_check_set_status(res, RTVM_CHECK_PASS);
		goto out;
	}
	rtvm_check_set_status(res, RTVM_CHECK_WARN);
	if (rtvm_cpumask_weight(env->housekeeping) == 0)
		rtvm_check_set_remedy(res, "leave at least one online CPU out "
					   "of the RT set for workqueues");
	else
		rtvm_check_set_remedy(res, "%s (the housekeeping CPUs)",
				      sb_str(&rem));
out:
	rtvm_cpumask_free(m);
	rtvm_cpumask_free(over);
	free(hk);
	sb_free(&obs);
	sb_free(&rem);
	return r;
}

/* ---- clock.source ------------------------------------------------------- */

static bool has_word(const char *list, const char *word)
{
	size_t n = strlen(word);

	for (const char *p = list; (p = strstr(p, word)); p += n)
		if ((p == list || isspace((unsigned char)p[-1])) &&
		    (!p[n] || isspace((unsigned char)p[n])))
			return true;
	return false;
}

static int run_clock(const struct rtvm_check_env *env, void *state,
		     struct rtvm_check_result *res)
{
	char cur[128], avail[512];
	int r;

	(void)state;
	rtvm_check_set_expected(res, "tsc");
	r = rtvm_fs_read(env->ctx, RTVM_FS_SYS, cur, sizeof(cur),
			 "devices/system/clocksource/clocksource0/"
			 "current_clocksource");
	if (r < 0) {
		rtvm_check_set_status(res, RTVM_CHECK_SKIP);
		rtvm_check_set_observed(res, "no current clock source in sysfs "
					     "(%s)",
					strerror(-r));
		return 0;
	}
	rtvm_strip(cur);
	if (rtvm_fs_read(env->ctx, RTVM_FS_SYS, avail, sizeof(avail),
			 "devices/system/clocksource/clocksource0/"
			 "available_clocksource") < 0)
		snprintf(avail, sizeof(avail), "unknown");
	rtvm_strip(avail);
	if (strcmp(cur, "tsc") == 0) {
		rtvm_check_set_status(res, RTVM_CHECK_PASS);
		rtvm_check_set_observed(res, "tsc");
		return 0;
	}
	if (strcmp(cur, "kvm-clock") == 0) {
		rtvm_check_set_status(res, RTVM_CHECK_INFO);
		rtvm_check_set_observed(res, "kvm-clock: this host is itself a "
					     "guest (available: %s)",
					avail);
		return 0;
	}
	rtvm_check_set_status(res, RTVM_CHECK_WARN);
	rtvm_check_set_observed(res, "%s (available: %s): reading it is "
				     "slow, and timers are coarser",
				cur, avail);
	if (has_word(avail, "tsc")) {
		struct sb rem = {0};

		sb_add(&rem, "echo tsc > ");
		sb_add_path(&rem, RTVM_FS_SYS, "devices/system/clocksource/"
					       "clocksource0/current_clocksource");
		sb_add(&rem, "; to keep it across boots: clocksource=tsc "
			     "tsc=reliable on the kernel command line");
		if (rem.oom) {
			sb_free(&rem);
			return -ENOMEM;
		}
		rtvm_check_set_remedy(res, "%s", sb_str(&rem));
		sb_free(&rem);
	} else
		rtvm_check_set_remedy(res, "the kernel marked the TSC unstable "
					   "(dmesg: \"Marking clocksource "
					   "'tsc' as unstable\"); if it is "
					   "known good (constant_tsc and "
					   "nonstop_tsc in cpuinfo), boot "
					   "with tsc=reliable");
	return 0;
}

/* ---- kvm.params ----------------------------------------------------------- */

enum want { WANT_INFO, WANT_ZERO, WANT_OFF };

static bool is_off(const char *v)
{
	return strcmp(v, "N") == 0 || strcmp(v, "n") == 0 ||
	       strcmp(v, "0") == 0 || strcmp(v, "off") == 0 ||
	       strcmp(v, "never") == 0;
}

static int run_kvm(const struct rtvm_check_env *env, void *state,
		   struct rtvm_check_result *res)
{
	static const struct {
		const char *module, *param;
		enum want want;
		const char *set; /* the modprobe.d value */
		const char *why;
	} params[] = {
		{ "kvm", "kvmclock_periodic_sync", WANT_OFF, "0",
		  "a periodic kvmclock update every 300 s on every vCPU" },
		{ "kvm", "nx_huge_pages", WANT_OFF, "off",
		  "iTLB multihit mitigation: huge pages split, recovery "
		  "thread" },
		{ "kvm_intel", "ple_gap", WANT_ZERO, "0",
		  "pause-loop exits take spinning vCPUs off their CPU" },
		{ "kvm", "halt_poll_ns", WANT_INFO, NULL,
		  "idle vCPUs poll this long before they halt: lower wake-up "
		  "latency for CPU time" },
		{ "kvm", "lapic_timer_advance_ns", WANT_INFO, NULL,
		  "guest timer deadlines are programmed this early (-1: "
		  "adaptive)" },
		{ "kvm", "lapic_timer_advance", WANT_INFO, NULL,
		  "guest timer deadlines are programmed early, by an "
		  "adaptive amount" },
		{ "kvm_amd", "pause_filter_count", WANT_INFO, NULL,
		  "AMD's pause-loop exits (0: off)" },
	};
	static const char *const vendors[] = { "kvm_intel", "kvm_amd",
					       "kvm_pvm" };
	struct sb obs = {0}, rem = {0}, kvm = {0}, intel = {0};
	const char *vendor = "";
	unsigned int bad = 0;
	bool nx_bad = false;
	int fd;

	(void)state;
	rtvm_check_set_expected(res, "kvm kvmclock_periodic_sync=N "
				     "nx_huge_pages=N, kvm_intel ple_gap=0 "
				     "(tuned realtime-virtual-host)");
	fd = rtvm_fs_open_dir(env->ctx, RTVM_FS_SYS, "module/kvm");
	if (fd < 0) {
		rtvm_check_set_status(res, RTVM_CHECK_SKIP);
		rtvm_check_set_observed(res, "kvm module not loaded");
		return 0;
	}
	close(fd);
	/* The module that depends on kvm, for the reload command. */
	for (size_t i = 0; i < ARRAY_SIZE(vendors) && !*vendor; i++) {
		fd = rtvm_fs_open_dir(env->ctx, RTVM_FS_SYS, "module/%s",
				      vendors[i]);
		if (fd >= 0) {
			vendor = vendors[i];
			close(fd);
		}
	}
	for (size_t i = 0; i < ARRAY_SIZE(params); i++) {
		char v[64];
		bool ok;

		if (rtvm_fs_read(env->ctx, RTVM_FS_SYS, v, sizeof(v),
				 "module/%s/parameters/%s", params[i].module,
				 params[i].param) < 0)
			continue;
		rtvm_strip(v);
		if (params[i].want == WANT_INFO) {
			rtvm_check_add_detail(res, -1, "%s.%s=%s: %s",
					      params[i].module, params[i].param,
					      v, params[i].why);
			continue;
		}
		ok = params[i].want == WANT_OFF ? is_off(v) :
						  strcmp(v, "0") == 0;
		rtvm_check_add_detail(res, -1, "%s.%s=%s%s%s",
				      params[i].module, params[i].param, v,
				      ok ? "" : ": ", ok ? "" : params[i].why);
		sb_add(&obs, "%s%s=%s", obs.len ? ", " : "", params[i].param, v);
		if (ok)
			continue;
		bad++;
		if (strcmp(params[i].param, "nx_huge_pages") == 0)
			nx_bad = true;
		sb_add(strcmp(params[i].module, "kvm") == 0 ? &kvm : &intel,
		       " %s=%s", params[i].param, params[i].set);
	}
	if (!obs.len)
		sb_add(&obs, "kvm loaded; none of the parameters that matter "
			     "for RT guests is exposed");
	rtvm_check_set_observed(res, "%s", sb_str(&obs));
	if (!bad) {
		rtvm_check_set_status(res, RTVM_CHECK_PASS);
		goto out;
	}
	rtvm_check_set_status(res, RTVM_CHECK_WARN);
	sb_add(&rem, "add to /etc/modprobe.d/rtvm-kvm.conf:");
	if (kvm.len)
		sb_add(&rem, " \"options kvm%s\"", sb_str(&kvm));
	if (intel.len)
		sb_add(&rem, "%s \"options kvm_intel%s\"", kvm.len ? " and" : "",
		       sb_str(&intel));
	sb_add(&rem, ", then reload the modules with no VM running "
		     "(modprobe -r %s%skvm; modprobe %s)",
	       vendor, *vendor ? " " : "", *vendor ? vendor : "kvm");
	if (nx_bad) {
		sb_add(&rem, "; nx_huge_pages also changes at run time: echo "
			     "off > ");
		sb_add_path(&rem, RTVM_FS_SYS, "module/kvm/parameters/"
					       "nx_huge_pages");
		sb_add(&rem, " (only where the CPU is not affected by iTLB "
			     "multihit, or the guests are trusted)");
	}
	rtvm_check_set_remedy(res, "%s", sb_str(&rem));
out:
	sb_free(&obs);
	sb_free(&rem);
	sb_free(&kvm);
	sb_free(&intel);
	return 0;
}

/* ---- SMIs: MSR 0x34 --------------------------------------------------- */

struct smi_snap {
	struct timespec t;
	char vendor[32]; /* "" when unknown */
	unsigned int n;
	int *cpu;
	uint64_t *count;
	int *err;
};

static void smi_snap_free(void *p)
{
	struct smi_snap *s = p;

	if (!s)
		return;
	free(s->cpu);
	free(s->count);
	free(s->err);
	free(s);
}

static int read_vendor(struct rtvm_ctx *ctx, char *out, size_t size)
{
	char *buf = NULL, *p;
	int r;

	out[0] = '\0';
	r = rtvm_fs_read_alloc(ctx, RTVM_FS_PROC, &buf, "cpuinfo");
	if (r < 0)
		return r;
	for (p = buf; p && *p; p = strchr(p, '\n'), p = p ? p + 1 : NULL) {
		if (strncmp(p, "vendor_id", 9) == 0) {
			char *colon = strchr(p, ':'), *eol;

			if (!colon)
				break;
			colon++;
			while (*colon == ' ' || *colon == '\t')
				colon++;
			eol = colon + strcspn(colon, "\n");
			snprintf(out, size, "%.*s", (int)(eol - colon), colon);
			rtvm_strip(out);
			break;
		}
	}
	free(buf);
	return out[0] ? 0 : -ENOENT;
}

static struct smi_snap *smi_take(const struct rtvm_check_env *env)
{
	struct smi_snap *s = calloc(1, sizeof(*s));
	unsigned int n = rtvm_cpumask_weight(env->rt), k = 0;
	int cpu;

	if (!s)
		return NULL;
	read_vendor(env->ctx, s->vendor, sizeof(s->vendor));
	s->cpu = calloc(n ? n : 1, sizeof(*s->cpu));
	s->count = calloc(n ? n : 1, sizeof(*s->count));
	s->err = calloc(n ? n : 1, sizeof(*s->err));
	if (!s->cpu || !s->count || !s->err) {
		smi_snap_free(s);
		return NULL;
	}
	s->n = n;
	/* Not an Intel CPU: nothing to read. */
	if (s->vendor[0] && strcmp(s->vendor, "GenuineIntel") != 0)
		return s;
	rtvm_cpumask_foreach(cpu, env->rt) {
		s->cpu[k] = cpu;
		s->err[k] = rtvm_fs_read_msr(env->ctx, (unsigned int)cpu,
					     MSR_SMI_COUNT, &s->count[k]);
		k++;
	}
	clock_gettime(CLOCK_MONOTONIC, &s->t);
	return s;
}

static int sample_smi(const struct rtvm_check_env *env, void **ret_state)
{
	struct smi_snap *s = smi_take(env);

	if (!s)
		return -ENOMEM;
	*ret_state = s;
	return 0;
}

/* Why SMIs cannot be counted, or NULL when they can. */
static const char *smi_unmeasurable(const struct smi_snap *a,
				    const struct smi_snap *b, char *buf,
				    size_t size)
{
	if (b->vendor[0] && strcmp(b->vendor, "GenuineIntel") != 0) {
		snprintf(buf, size, "not an Intel CPU (vendor %s): MSR 0x34 "
				    "does not exist",
			 b->vendor);
		return buf;
	}
	for (int pass = 0; pass < 2; pass++) {
		const struct smi_snap *s = pass ? a : b;

		for (unsigned int k = 0; s && k < s->n; k++) {
			int e = s->err[k];

			if (!e)
				continue;
			if (e == -ENOENT || e == -ENODEV)
				snprintf(buf, size, "no /dev/cpu/N/msr: msr "
						    "module not loaded "
						    "(modprobe msr)");
			else if (e == -EACCES || e == -EPERM)
				snprintf(buf, size, "permission denied (needs "
						    "root)");
			else if (e == -EIO)
				snprintf(buf, size, "MSR 0x34 cannot be read "
						    "on CPU %d (EIO): this CPU "
						    "model or hypervisor lacks "
						    "MSR_SMI_COUNT",
					 s->cpu[k]);
			else
				snprintf(buf, size, "cannot read MSR 0x34 on "
						    "CPU %d: %s",
					 s->cpu[k], strerror(-e));
			return buf;
		}
	}
	return NULL;
}

static int run_smi(const struct rtvm_check_env *env, void *state,
		   struct rtvm_check_result *res)
{
	struct smi_snap *before = state, *now;
	struct rtvm_cpumask *grew = NULL;
	struct groups boot = {0};
	struct sb obs = {0};
	uint64_t total = 0;
	const char *why;
	char reason[160];
	int r = 0;

	if (no_rt_cpus(env, res))
		return 0;
	rtvm_check_set_expected(res, "no SMIs on the RT CPUs during the run");
	now = smi_take(env);
	if (!now)
		return -ENOMEM;
	if (before && before->n != now->n)
		before = NULL;
	why = smi_unmeasurable(before, now, reason, sizeof(reason));
	if (why) {
		rtvm_check_set_status(res, RTVM_CHECK_SKIP);
		rtvm_check_set_observed(res, "%s", why);
		goto out;
	}
	if (!(grew = mask_like(env))) {
		r = -ENOMEM;
		goto out;
	}
	for (unsigned int k = 0; k < now->n; k++) {
		uint64_t d = before && now->count[k] > before->count[k] ?
				     now->count[k] - before->count[k] :
				     0;
		char text[32];

		total += d;
		if (d)
			rtvm_cpumask_set(grew, (unsigned int)now->cpu[k]);
		if (now->count[k])
			rtvm_check_add_detail(res, now->cpu[k],
					      "MSR_SMI_COUNT %llu (+%llu during "
					      "the run)",
					      (unsigned long long)now->count[k],
					      (unsigned long long)d);
		snprintf(text, sizeof(text), "%llu",
			 (unsigned long long)now->count[k]);
		if ((r = groups_add(&boot, env, text, now->cpu[k])) < 0)
			goto out;
	}
	if (total) {
		rtvm_check_set_status(res, RTVM_CHECK_FAIL);
		sb_add(&obs, "%llu SMIs on RT CPUs during the run (%lld ms): ",
		       (unsigned long long)total,
		       ms_between(&before->t, &now->t));
		sb_add_cpus(&obs, grew);
		rtvm_check_set_remedy(res, "SMIs come from the firmware: "
					   "disable what raises them in the "
					   "BIOS/UEFI setup (USB legacy "
					   "support, power and thermal "
					   "management by the BIOS, error "
					   "logging) or ask the vendor for "
					   "its low-latency profile; see "
					   "hint.usb_legacy");
	} else {
		rtvm_check_set_status(res, RTVM_CHECK_INFO);
		sb_add(&obs, "no SMI on RT CPUs during the run");
		if (before)
			sb_add(&obs, " (%lld ms)",
			       ms_between(&before->t, &now->t));
	}
	sb_add(&obs, "; since boot: ");
	sb_add_groups(&obs, &boot, "");
	rtvm_check_set_observed(res, "%s", sb_str(&obs));
out:
	smi_snap_free(now);
	rtvm_cpumask_free(grew);
	groups_free(&boot);
	sb_free(&obs);
	return r;
}

/* ---- hint.usb_legacy ---------------------------------------------------- */

static int run_hints(const struct rtvm_check_env *env, void *state,
		     struct rtvm_check_result *res)
{
	struct smi_snap *before = state, *now;
	uint64_t since_boot = 0, during = 0;
	const char *why;
	char reason[160];

	if (no_rt_cpus(env, res))
		return 0;
	rtvm_check_set_expected(res, "no SMIs");
	now = smi_take(env);
	if (!now)
		return -ENOMEM;
	if (before && before->n != now->n)
		before = NULL;
	why = smi_unmeasurable(before, now, reason, sizeof(reason));
	if (!why)
		for (unsigned int k = 0; k < now->n; k++) {
			if (now->count[k] > since_boot)
				since_boot = now->count[k];
			if (before && now->count[k] > before->count[k])
				during += now->count[k] - before->count[k];
		}
	rtvm_check_set_status(res, RTVM_CHECK_INFO);
	if (why)
		rtvm_check_set_observed(res, "SMIs cannot be counted here (%s)",
					why);
	else if (since_boot || during)
		rtvm_check_set_observed(res, "SMIs counted on RT CPUs: up to "
					     "%llu since boot, +%llu during "
					     "the run",
					(unsigned long long)since_boot,
					(unsigned long long)during);
	else
		rtvm_check_set_observed(res, "no SMIs counted on the RT CPUs");
	if (why || since_boot || during)
		rtvm_check_set_remedy(res, "disable USB legacy support (USB "
					   "keyboard and mouse emulation) in "
					   "the BIOS/UEFI setup: the firmware "
					   "serves it with SMIs, which stop "
					   "every CPU (Ma et al. measured SMIs "
					   "and power management as the main "
					   "latency left on a tuned KVM host)");
	smi_snap_free(now);
	return 0;
}

/* ---- topology.smt --------------------------------------------------------- */

/* An SMT sibling shares the core's pipeline and caches with its RT
 * thread: housekeeping work there slows the RT vCPU down. */
static int run_smt(const struct rtvm_check_env *env, void *state,
		   struct rtvm_check_result *res)
{
	struct rtvm_cpumask *sibs;
	struct sb rem = {0}, obs = {0};
	unsigned int known = 0;
	int cpu;

	(void)state;
	if (no_rt_cpus(env, res))
		return 0;
	rtvm_check_set_expected(res, "no housekeeping work on the SMT siblings "
				     "of RT CPUs");
	if (!(sibs = mask_like(env)))
		return -ENOMEM;
	rtvm_cpumask_foreach(cpu, env->rt) {
		const struct rtvm_cpumask *s =
			rtvm_cpu_get_siblings(host_cpu(env, cpu));
		int sib;

		known += s != NULL;
		rtvm_cpumask_foreach(sib, s) {
			if (sib == cpu ||
			    !rtvm_cpumask_test(env->housekeeping,
					       (unsigned int)sib))
				continue;
			rtvm_cpumask_set(sibs, (unsigned int)sib);
			rtvm_check_add_detail(res, cpu, "SMT sibling %d of RT "
							"CPU %d runs "
							"housekeeping work",
					      sib, cpu);
		}
	}
	if (!known) {
		rtvm_check_set_status(res, RTVM_CHECK_SKIP);
		rtvm_check_set_observed(res, "the kernel gives no SMT siblings "
					     "(topology/thread_siblings_list) "
					     "for the RT CPUs");
	} else if (rtvm_cpumask_weight(sibs)) {
		rtvm_check_set_status(res, RTVM_CHECK_WARN);
		sb_add(&obs, "housekeeping SMT siblings of RT CPUs: ");
		sb_add_list(&obs, sibs);
		rtvm_check_set_observed(res, "%s", sb_str(&obs));
		sb_add(&rem, "make both threads of each RT core RT (add CPUs ");
		sb_add_list(&rem, sibs);
		sb_add(&rem, " to the RT set), or take the siblings offline: ");
		sb_add_percpu_write(&rem, sibs, "0", "online", NULL);
		sb_add(&rem, " (or boot with nosmt)");
		rtvm_check_set_remedy(res, "%s", sb_str(&rem));
	} else {
		rtvm_check_set_status(res, RTVM_CHECK_PASS);
		rtvm_check_set_observed(res, "no SMT sibling of an RT CPU runs "
					     "housekeeping work");
	}
	rtvm_cpumask_free(sibs);
	sb_free(&obs);
	sb_free(&rem);
	return 0;
}

/* ---- topology.core_types -------------------------------------------------- */

/* Hybrid CPUs: an RT vCPU on an efficiency core runs slower than its
 * siblings on performance cores, and a VM whose RT vCPUs mix the two has
 * vCPUs of different speed. */
static int run_core_types(const struct rtvm_check_env *env, void *state,
			  struct rtvm_check_result *res)
{
	struct rtvm_cpumask *perf = NULL, *eff = NULL, *host_perf = NULL;
	const struct rtvm_cpu *c;
	struct sb obs = {0}, rem = {0};
	int cpu, r = 0;

	(void)state;
	if (no_rt_cpus(env, res))
		return 0;
	rtvm_check_set_expected(res, "RT CPUs all of one core type, "
				     "performance cores");
	perf = mask_like(env);
	eff = mask_like(env);
	host_perf = mask_like(env);
	if (!perf || !eff || !host_perf) {
		r = -ENOMEM;
		goto out;
	}
	rtvm_host_foreach_cpu(c, env->host)
		if (rtvm_cpu_get_core_type(c) == RTVM_CORE_PERFORMANCE &&
		    rtvm_cpu_is_online(c))
			rtvm_cpumask_set(host_perf,
					 (unsigned int)rtvm_cpu_get_id(c));
	rtvm_cpumask_foreach(cpu, env->rt) {
		enum rtvm_core_type t = rtvm_cpu_get_core_type(host_cpu(env, cpu));
		int cap = rtvm_cpu_get_capacity(host_cpu(env, cpu));

		if (t == RTVM_CORE_UNKNOWN)
			continue;
		rtvm_cpumask_set(t == RTVM_CORE_PERFORMANCE ? perf : eff,
				 (unsigned int)cpu);
		if (cap >= 0)
			rtvm_check_add_detail(res, cpu, "%s core, capacity %d",
					      t == RTVM_CORE_PERFORMANCE ?
						      "performance" : "efficiency",
					      cap);
		else
			rtvm_check_add_detail(res, cpu, "%s core",
					      t == RTVM_CORE_PERFORMANCE ?
						      "performance" : "efficiency");
	}
	if (!rtvm_cpumask_weight(perf) && !rtvm_cpumask_weight(eff)) {
		rtvm_check_set_status(res, RTVM_CHECK_SKIP);
		rtvm_check_set_observed(res, "no core types here: one type of "
					     "core, or the kernel tells none "
					     "(no cpu_core/cpu_atom, cpu_capacity "
					     "alike or missing)");
		goto out;
	}
	if (rtvm_cpumask_weight(perf) && rtvm_cpumask_weight(eff)) {
		rtvm_check_set_status(res, RTVM_CHECK_WARN);
		sb_add(&obs, "RT CPUs mix core types: performance ");
		sb_add_cpus(&obs, perf);
		sb_add(&obs, ", efficiency ");
		sb_add_cpus(&obs, eff);
	} else if (rtvm_cpumask_weight(eff)) {
		rtvm_check_set_status(res, RTVM_CHECK_WARN);
		sb_add(&obs, "RT CPUs are efficiency cores: ");
		sb_add_cpus(&obs, eff);
	} else {
		rtvm_check_set_status(res, RTVM_CHECK_PASS);
		sb_add(&obs, "RT CPUs are performance cores: ");
		sb_add_cpus(&obs, perf);
	}
	rtvm_check_set_observed(res, "%s", sb_str(&obs));
	if (rtvm_cpumask_weight(eff)) {
		sb_add(&rem, "give the RT vCPUs performance cores (an RT vCPU on "
			     "an efficiency core runs slower, and so does its "
			     "worst case)");
		if (rtvm_cpumask_weight(host_perf)) {
			sb_add(&rem, "; this host's are ");
			sb_add_cpus(&rem, host_perf);
		}
		rtvm_check_set_remedy(res, "%s", sb_str(&rem));
	}
out:
	rtvm_cpumask_free(perf);
	rtvm_cpumask_free(eff);
	rtvm_cpumask_free(host_perf);
	sb_free(&obs);
	sb_free(&rem);
	return r;
}

/* ---- topology.numa -------------------------------------------------------- */

/* The nodes whose share of a VM's memory is counted; numa_maps names
 * others too, their pages are left out. */
#define RTVM_NUMA_SEEN 1024

/* Devices passed through to guests (bound to vfio-pci) on NUMA nodes
 * that hold none of the RT CPUs: "; vfio-pci 0000:3b:00.0 on node 1".
 * How many such devices there are. */
static unsigned int far_devices(const struct rtvm_check_env *env,
				const struct rtvm_cpumask *nodes, struct sb *obs)
{
	unsigned int far = 0, seen = 0;
	struct dirent *de;
	DIR *d;
	int fd = rtvm_fs_open_dir(env->ctx, RTVM_FS_SYS, "bus/pci/drivers/vfio-pci");

	if (fd < 0)
		return 0;
	if (!(d = fdopendir(fd))) {
		close(fd);
		return 0;
	}
	while ((de = readdir(d))) {
		char buf[32];
		int node;

		/* the bound devices are links named by address: 0000:3b:00.0 */
		if (!strchr(de->d_name, ':') ||
		    rtvm_fs_read(env->ctx, RTVM_FS_SYS, buf, sizeof(buf),
				 "bus/pci/devices/%s/numa_node", de->d_name) < 0 ||
		    sscanf(buf, "%d", &node) != 1)
			continue;
		seen++;
		if (node < 0 || rtvm_cpumask_test(nodes, (unsigned int)node))
			continue;
		far++;
		sb_add(obs, "; vfio-pci %s on node %d", de->d_name, node);
	}
	closedir(d);
	if (seen && !far)
		sb_add(obs, "; passed-through devices (vfio-pci): %u, all on "
			    "these nodes", seen);
	return far;
}

/* Where a process's memory is: the pages of each node over its mappings
 * (numa_maps: "N0=120 N1=4 ... kernelpagesize_kB=4"), in KiB.  A mapping
 * that is not resident says nothing.  -errno, or how many nodes hold some. */
static int vm_memory_nodes(const struct rtvm_check_env *env,
			   unsigned long long *kib, unsigned int nr)
{
	char *text = NULL, *line, *save = NULL;
	int r, held = 0;

	r = rtvm_fs_read_alloc(env->ctx, RTVM_FS_PROC, &text, "%d/numa_maps",
			       (int)env->vm_pid);
	if (r < 0)
		return r;
	memset(kib, 0, nr * sizeof(*kib));
	for (line = strtok_r(text, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save)) {
		unsigned long long page_kib = 4;
		char *p = strstr(line, " kernelpagesize_kB=");

		if (p)
			page_kib = strtoull(p + 19, NULL, 10);
		for (p = line; (p = strstr(p, " N")); p++) {
			unsigned long node;
			char *end;

			if (!isdigit((unsigned char)p[2]))
				continue;
			node = strtoul(p + 2, &end, 10);
			if (*end != '=' || node >= nr)
				continue;
			kib[node] += strtoull(end + 1, NULL, 10) * page_kib;
		}
	}
	free(text);
	for (unsigned int i = 0; i < nr; i++)
		held += kib[i] > 0;
	return held;
}

/* "; VM 4242's memory: node 0 3.9 GiB (97%), node 1 120 MiB (3%)", and
 * whether an RT CPU is on a node that holds less than a tenth of it. */
static bool vm_memory(const struct rtvm_check_env *env,
		      const struct rtvm_cpumask *rt_nodes, struct sb *obs)
{
	unsigned long long kib[RTVM_NUMA_SEEN], total = 0;
	bool far = false;
	int r, node;

	r = vm_memory_nodes(env, kib, RTVM_NUMA_SEEN);
	if (r < 0) {
		sb_add(obs, "; VM %d's memory: cannot read its numa_maps (%s)",
		       (int)env->vm_pid, strerror(-r));
		return false;
	}
	for (unsigned int i = 0; i < RTVM_NUMA_SEEN; i++)
		total += kib[i];
	if (!total) {
		sb_add(obs, "; VM %d has no resident memory", (int)env->vm_pid);
		return false;
	}
	sb_add(obs, "; VM %d's memory:", (int)env->vm_pid);
	for (unsigned int i = 0, first = 1; i < RTVM_NUMA_SEEN; i++) {
		if (!kib[i])
			continue;
		sb_add(obs, "%s node %u ", first ? "" : ",", i);
		if (kib[i] >= 1024 * 1024)
			sb_add(obs, "%.1f GiB", kib[i] / (1024.0 * 1024.0));
		else
			sb_add(obs, "%llu MiB", kib[i] / 1024);
		sb_add(obs, " (%llu%%)", kib[i] * 100 / total);
		first = 0;
	}
	rtvm_cpumask_foreach(node, rt_nodes)
		if ((unsigned int)node >= RTVM_NUMA_SEEN ||
		    kib[node] * 10 < total)
			far = true;
	if (far)
		sb_add(obs, "; RT CPUs on a node with less than a tenth of it");
	return far;
}

/* RT CPUs over several NUMA nodes or dies: a VM placed on them reaches
 * part of its memory and devices across the interconnect; devices passed
 * through from another node do the same.  Information with the figures;
 * the VM's own placement is the profile's business. */
static int run_numa(const struct rtvm_check_env *env, void *state,
		    struct rtvm_check_result *res)
{
	struct rtvm_cpumask *nodes = NULL;
	unsigned int dies = 0, known = 0, far;
	int cpu, node, seen[64][2], nseen = 0;
	struct sb obs = {0};

	(void)state;
	if (no_rt_cpus(env, res))
		return 0;
	rtvm_check_set_expected(res, "each RT VM's CPUs on one NUMA node and "
				     "die");
	if (rtvm_cpumask_new_nr(RTVM_MAX_NODES, &nodes) < 0)
		return -ENOMEM;
	rtvm_cpumask_foreach(cpu, env->rt) {
		const struct rtvm_cpu *c = host_cpu(env, cpu);
		int pkg = rtvm_cpu_get_package_id(c), die = rtvm_cpu_get_die_id(c);
		bool dup = false;

		if ((node = rtvm_cpu_get_node(c)) >= 0 &&
		    rtvm_cpumask_set(nodes, (unsigned int)node) == 0)
			known++;
		if (pkg < 0)
			continue;
		for (int i = 0; i < nseen; i++)
			dup = dup || (seen[i][0] == pkg && seen[i][1] == die);
		if (!dup && nseen < 64) {
			seen[nseen][0] = pkg;
			seen[nseen++][1] = die;
			dies++;
		}
	}
	if (!known && !dies) {
		rtvm_check_set_status(res, RTVM_CHECK_SKIP);
		rtvm_check_set_observed(res, "the kernel tells neither NUMA "
					     "nodes nor packages of the RT CPUs");
		rtvm_cpumask_free(nodes);
		return 0;
	}
	rtvm_check_set_status(res, rtvm_cpumask_weight(nodes) > 1 || dies > 1 ?
					   RTVM_CHECK_INFO : RTVM_CHECK_PASS);
	if (known) {
		sb_add(&obs, "RT CPUs on %u NUMA node%s (",
		       rtvm_cpumask_weight(nodes),
		       rtvm_cpumask_weight(nodes) == 1 ? "" : "s");
		sb_add_list(&obs, nodes);
		sb_add(&obs, ")");
	} else {
		sb_add(&obs, "NUMA nodes unknown");
	}
	if (dies)
		sb_add(&obs, ", %u package/die%s", dies, dies == 1 ? "" : "s");
	rtvm_cpumask_foreach(node, nodes) {
		struct rtvm_cpumask *on = mask_like(env);

		if (!on)
			break;
		rtvm_cpumask_foreach(cpu, env->rt)
			if (rtvm_cpu_get_node(host_cpu(env, cpu)) == node)
				rtvm_cpumask_set(on, (unsigned int)cpu);
		sb_add(&obs, "; node %d: ", node);
		sb_add_cpus(&obs, on);
		rtvm_cpumask_free(on);
	}
	far = known ? far_devices(env, nodes, &obs) : 0;
	if (known && env->vm_pid && vm_memory(env, nodes, &obs))
		far++;
	if (far)
		rtvm_check_set_status(res, RTVM_CHECK_INFO);
	rtvm_check_set_observed(res, "%s", sb_str(&obs));
	if (rtvm_cpumask_weight(nodes) > 1 || dies > 1 || far)
		rtvm_check_set_remedy(res, "place each RT VM's vCPUs on RT CPUs "
					   "of one node and die, with its "
					   "memory (numatune) and its "
					   "passed-through devices on that "
					   "node");
	rtvm_cpumask_free(nodes);
	sb_free(&obs);
	return 0;
}

/* ---- the table ------------------------------------------------------------ */

const struct rtvm_check_def rtvm_checks_hw[] = {
	{ .id = "pm.cstates",
	  .title = "No deep idle states on RT CPUs",
	  .run = run_cstates },
	{ .id = "pm.qos",
	  .title = "A PM QoS wake-up latency constraint on RT CPUs",
	  .run = run_qos },
	{ .id = "pm.governor",
	  .title = "cpufreq governor performance on RT CPUs",
	  .run = run_governor },
	{ .id = "irq.rt_cpus",
	  .title = "No device interrupts on RT CPUs",
	  .sample = sample_irqs,
	  .run = run_irqs,
	  .free_state = irq_snap_free },
	{ .id = "irq.irqbalance",
	  .title = "irqbalance keeps off RT CPUs",
	  .run = run_irqbalance },
	{ .id = "wq.cpumask",
	  .title = "Unbound workqueues off RT CPUs",
	  .run = run_wq },
	{ .id = "clock.source",
	  .title = "TSC clock source",
	  .run = run_clock },
	{ .id = "kvm.params",
	  .title = "KVM module parameters for RT guests",
	  .run = run_kvm },
	{ .id = "smi.count",
	  .title = "No SMIs on RT CPUs during the run",
	  .sample = sample_smi,
	  .run = run_smi,
	  .free_state = smi_snap_free },
	{ .id = "topology.smt",
	  .title = "No housekeeping work on SMT siblings of RT CPUs",
	  .run = run_smt },
	{ .id = "topology.core_types",
	  .title = "RT CPUs on performance cores of one type",
	  .run = run_core_types },
	{ .id = "topology.numa",
	  .title = "RT CPUs on one NUMA node and die",
	  .run = run_numa },
	{ .id = "hint.usb_legacy",
	  .title = "Firmware hints: USB legacy emulation and SMIs",
	  .sample = sample_smi,
	  .run = run_hints,
	  .free_state = smi_snap_free },
	{ .id = NULL },
};
