/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Host readiness checks about the kernel: PREEMPT_RT and its build options,
 * the command line against the RT CPUs, RT throttling and group budgets,
 * sysctls and memory.  Each check only reads; remedies are text.
 */
#include "config.h"

#include <ctype.h>
#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/resource.h>
#include <unistd.h>
#include <zlib.h>

#include "check-private.h"

#define CMDLINE "the kernel command line"

/* ---- small helpers ------------------------------------------------------ */

/* Skip with the reason a file could not be read. */
static void skip_err(struct rtvm_check_result *res, const char *what, int err,
		     const char *remedy)
{
	rtvm_check_set_status(res, RTVM_CHECK_SKIP);
	rtvm_check_set_observed(res, "cannot read %s: %s", what, strerror(-err));
	rtvm_check_set_remedy(res, "%s", err == -EACCES || err == -EPERM ?
					     "run the check as root" : remedy);
}

/* A host path for messages, built by the fs module. */
static char *host_path(enum rtvm_fs fs, const char *rel)
{
	char *p = NULL;

	return rtvm_fs_join_path(fs, rel, &p) < 0 ? NULL : p;
}

/* Close an open_memstream(): its text, or NULL (and *buf NULL) when out
 * of memory. */
static char *stream_done(FILE *f, char **buf)
{
	bool bad = ferror(f);

	if (fclose(f) != 0 || bad) {
		free(*buf);
		*buf = NULL;
	}
	return *buf;
}

static char *list_of(const struct rtvm_cpumask *m)
{
	char *s = NULL;

	return rtvm_cpumask_format_list(m, &s) < 0 ? NULL : s;
}

/* ---- kernel config ------------------------------------------------------ */

/* The build config: proc's config.gz (CONFIG_IKCONFIG_PROC), else the copy
 * distributions install as boot/config-$(uname -r) (Debian's kernels do not
 * build IKCONFIG).  zlib passes a plain file through, so either form reads.
 * @ret_src gets the host path that was read, or the one that was missing. */
static int kconfig_read(int fd, char **ret)
{
	size_t len = 0, size = 0;
	char *buf = NULL;
	gzFile gz;
	int n, r = 0;

	gz = gzdopen(fd, "rb");
	if (!gz) {
		close(fd);
		return -ENOMEM;
	}
	do {
		if (size - len < 65536) {
			char *p;

			if (size >= (16u << 20)) {
				r = -EFBIG;
				break;
			}
			size = size ? size * 2 : 262144;
			p = realloc(buf, size + 1);
			if (!p) {
				r = -ENOMEM;
				break;
			}
			buf = p;
		}
		n = gzread(gz, buf + len, (unsigned int)(size - len));
		if (n < 0)
			r = -EIO;
		else
			len += (size_t)n;
	} while (n > 0 && r == 0);
	gzclose(gz);
	if (r == 0) {
		buf[len] = '\0';
		/* Anything else (a truncated or foreign file) says nothing. */
		if (!strstr(buf, "CONFIG_"))
			r = -EINVAL;
	}
	if (r < 0) {
		free(buf);
		return r;
	}
	*ret = buf;
	return 0;
}

static int kconfig_load(struct rtvm_ctx *ctx, char **ret, char **ret_src)
{
	char release[256], rel[300];
	int fd, r;

	*ret_src = host_path(RTVM_FS_PROC, "config.gz");
	fd = rtvm_fs_open_file(ctx, RTVM_FS_PROC, "config.gz");
	if (fd != -ENOENT)
		return fd < 0 ? fd : kconfig_read(fd, ret);
	r = rtvm_fs_read(ctx, RTVM_FS_PROC, release, sizeof(release),
			 "sys/kernel/osrelease");
	if (r <= 0 || strchr(release, '/'))
		return -ENOENT;
	snprintf(rel, sizeof(rel), "config-%s", release);
	fd = rtvm_fs_open_file(ctx, RTVM_FS_BOOT, "%s", rel);
	if (fd == -ENOENT) {
		/* Name both places in the message. */
		char *boot = host_path(RTVM_FS_BOOT, rel), *both = NULL;

		if (*ret_src && boot &&
		    asprintf(&both, "%s or %s", *ret_src, boot) < 0)
			both = NULL;
		free(boot);
		if (both) {
			free(*ret_src);
			*ret_src = both;
		}
		return fd;
	}
	free(*ret_src);
	*ret_src = host_path(RTVM_FS_BOOT, rel);
	return fd < 0 ? fd : kconfig_read(fd, ret);
}

/* An option's value ("y", "m", a string), or NULL when it is not set. */
static const char *kconfig_get(const char *cfg, const char *opt, char *buf,
			       size_t size)
{
	size_t n = strlen(opt);
	const char *l = cfg;

	while (l) {
		if (strncmp(l, "CONFIG_", 7) == 0 && strncmp(l + 7, opt, n) == 0 &&
		    l[7 + n] == '=') {
			const char *v = l + 8 + n;

			snprintf(buf, size, "%.*s", (int)strcspn(v, "\n"), v);
			return strcmp(buf, "n") == 0 ? NULL : buf;
		}
		l = strchr(l, '\n');
		l = l ? l + 1 : NULL;
	}
	return NULL;
}

static int run_preempt_rt(const struct rtvm_check_env *env, void *state,
			  struct rtvm_check_result *res)
{
	char rt[16], version[512], val[64], *cfg = NULL, *src = NULL;
	const char *how = NULL;
	bool looked = false;
	int r;

	if (rtvm_fs_read(env->ctx, RTVM_FS_SYS, rt, sizeof(rt),
			 "kernel/realtime") >= 0) {
		looked = true;
		if (strcmp(rt, "1") == 0)
			how = "kernel/realtime reads 1";
	}
	r = rtvm_fs_read(env->ctx, RTVM_FS_PROC, version, sizeof(version),
			 "sys/kernel/version");
	if (r >= 0) {
		looked = true;
		if (!how && strstr(version, "PREEMPT_RT"))
			how = "the kernel version says PREEMPT_RT";
	} else
		snprintf(version, sizeof(version), "unknown");
	if (kconfig_load(env->ctx, &cfg, &src) == 0) {
		looked = true;
		if (!how && kconfig_get(cfg, "PREEMPT_RT", val, sizeof(val)))
			how = "CONFIG_PREEMPT_RT=y";
	}
	rtvm_check_set_expected(res, "a PREEMPT_RT kernel");
	if (how) {
		rtvm_check_set_status(res, RTVM_CHECK_PASS);
		rtvm_check_set_observed(res, "PREEMPT_RT (%s): version \"%s\"",
					how, version);
	} else if (!looked) {
		rtvm_check_set_status(res, RTVM_CHECK_SKIP);
		rtvm_check_set_observed(res, "cannot tell: no kernel/realtime, "
					"kernel version or kernel config to read");
		rtvm_check_set_remedy(res, "run \"uname -v\" on the host and "
				      "look for PREEMPT_RT");
	} else {
		rtvm_check_set_status(res, RTVM_CHECK_FAIL);
		rtvm_check_set_observed(res, "not PREEMPT_RT: version \"%s\"%s",
					version, cfg ? ", CONFIG_PREEMPT_RT not set" : "");
		rtvm_check_set_remedy(res, "boot a PREEMPT_RT kernel (Debian: "
				      "apt-get install linux-image-rt-amd64)");
	}
	free(cfg);
	free(src);
	return 0;
}

static int run_kconfig(const struct rtvm_check_env *env, void *state,
		       struct rtvm_check_result *res)
{
	static const char *const opts[] = {
		"PREEMPT_RT", "NO_HZ_FULL", "RT_GROUP_SCHED", "ACPI_PROCESSOR",
		"CPU_IDLE", "CPU_IDLE_GOV_MENU", "CPU_IDLE_GOV_TEO",
		"CPU_IDLE_GOV_HALTPOLL", "TASK_DELAY_ACCT",
	};
	char *cfg = NULL, *obs = NULL, *src = NULL, val[64];
	const char *missing[2];
	unsigned int nmissing = 0;
	size_t olen;
	FILE *f;
	int r;

	rtvm_check_set_expected(res, "NO_HZ_FULL=y and ACPI_PROCESSOR=y; "
				"RT_GROUP_SCHED unset or RT time given to the "
				"VMs' cgroups");
	r = kconfig_load(env->ctx, &cfg, &src);
	if (r < 0) {
		skip_err(res, src ? src : "the kernel config", r,
			 "modprobe configs (needs CONFIG_IKCONFIG_PROC), or "
			 "install the kernel's config as /boot/config-$(uname -r)");
		free(src);
		return 0;
	}
	f = open_memstream(&obs, &olen);
	if (!f) {
		free(cfg);
		free(src);
		return -ENOMEM;
	}
	for (size_t i = 0; i < ARRAY_SIZE(opts); i++) {
		const char *v = kconfig_get(cfg, opts[i], val, sizeof(val));

		fprintf(f, "%s%s=%s", i ? " " : "", opts[i], v ? v : "n");
	}
	fprintf(f, " (from %s)", src ? src : "the kernel config");
	free(src);
	rtvm_check_set_status(res, RTVM_CHECK_PASS);
	if (!kconfig_get(cfg, "NO_HZ_FULL", val, sizeof(val))) {
		missing[nmissing++] = "CONFIG_NO_HZ_FULL=y";
		rtvm_check_add_detail(res, -1, "NO_HZ_FULL is not set: the "
				      "tick cannot stop on RT CPUs, nohz_full= "
				      "is ignored");
	}
	if (!kconfig_get(cfg, "ACPI_PROCESSOR", val, sizeof(val))) {
		missing[nmissing++] = "CONFIG_ACPI_PROCESSOR=y";
		rtvm_check_add_detail(res, -1, "ACPI_PROCESSOR is not set: no "
				      "acpi_idle, processor.max_cstate= or "
				      "acpi-cpufreq to limit idle and frequency");
	}
	if (kconfig_get(cfg, "RT_GROUP_SCHED", val, sizeof(val))) {
		rtvm_check_worsen(res, RTVM_CHECK_INFO);
		rtvm_check_add_detail(res, -1, "RT_GROUP_SCHED=y: SCHED_FIFO/RR "
				      "fail with EPERM in cpu cgroups whose "
				      "cpu.rt_runtime_us is 0 (see sched.rt_group)");
	}
	if (!kconfig_get(cfg, "TASK_DELAY_ACCT", val, sizeof(val)))
		rtvm_check_add_detail(res, -1, "TASK_DELAY_ACCT is not set: no "
				      "per-thread run delay for monitoring");
	free(cfg);
	if (!stream_done(f, &obs))
		return -ENOMEM;
	rtvm_check_set_observed(res, "%s", obs);
	free(obs);
	if (nmissing) {
		rtvm_check_worsen(res, RTVM_CHECK_WARN);
		rtvm_check_set_remedy(res, "install a kernel built with %s%s%s "
				      "(Debian: apt-get install linux-image-rt-amd64)",
				      missing[0], nmissing > 1 ? " and " : "",
				      nmissing > 1 ? missing[1] : "");
	}
	return 0;
}

/* ---- command line ------------------------------------------------------- */

static bool skip_no_rt(const struct rtvm_check_env *env,
		       struct rtvm_check_result *res)
{
	if (rtvm_cpumask_weight(env->rt))
		return false;
	rtvm_check_set_status(res, RTVM_CHECK_SKIP);
	rtvm_check_set_observed(res, "no RT CPUs given and none isolated");
	rtvm_check_set_expected(res, "RT CPUs to judge the host by");
	rtvm_check_set_remedy(res, "name the RT CPUs (rtvm_check_opts.rt_cpus)");
	return true;
}

/* The checks that judge CPU lists need RT CPUs and a command line. */
static bool cmdline_unusable(const struct rtvm_check_env *env,
			     struct rtvm_check_result *res, bool need_rt)
{
	if (!rtvm_host_get_cmdline(env->host)) {
		rtvm_check_set_status(res, RTVM_CHECK_SKIP);
		rtvm_check_set_expected(res, "a readable kernel command line");
		rtvm_check_set_observed(res, "the kernel command line could not "
					"be read");
		rtvm_check_set_remedy(res, "run the check where the host's "
				      "command line is readable");
		return true;
	}
	return need_rt && skip_no_rt(env, res);
}

/* A kernel CPU list as a mask wide enough for any list: the kernel's syntax
 * with "all" and "N" (the last possible CPU). */
static int parse_cpus(const struct rtvm_check_env *env, const char *str,
		      struct rtvm_cpumask **ret)
{
	struct rtvm_cpumask *m = NULL;
	unsigned int nr = 0;
	char *s, *w;
	int r;

	r = rtvm_ctx_nr_possible_cpus(env->ctx, &nr);
	if (r < 0)
		return r;
	if (!str)
		str = ""; /* a bare "rcu_nocbs": no CPU */
	s = malloc(strlen(str) * 5 + 16);
	if (!s)
		return -ENOMEM;
	w = s;
	if (strcasecmp(str, "all") == 0)
		w += sprintf(w, "0-%u", nr - 1);
	else
		for (const char *p = str; *p; p++) {
			if (*p == 'N' && (p == str || strchr(",-", p[-1])) &&
			    (!p[1] || strchr(",-:", p[1])))
				w += sprintf(w, "%u", nr - 1);
			else
				*w++ = *p;
		}
	*w = '\0';
	r = rtvm_cpumask_new_nr(RTVM_CPUMASK_MAX_CPUS, &m);
	if (r == 0)
		r = rtvm_cpumask_parse_list(m, s, RTVM_CPUMASK_ALLOW_EMPTY);
	free(s);
	if (r < 0) {
		rtvm_cpumask_free(m);
		return r;
	}
	*ret = m;
	return 0;
}

#define ISOL_NOHZ (1u << 0)
#define ISOL_DOMAIN (1u << 1)
#define ISOL_MANAGED_IRQ (1u << 2)

/* "managed_irq,domain,2-15": the kernel reads leading words ending in ','
 * as flags; none known means "domain". */
static const char *isolcpus_split(const char *v, unsigned int *ret_flags)
{
	static const struct {
		const char *name;
		unsigned int flag;
	} names[] = { { "nohz", ISOL_NOHZ }, { "domain", ISOL_DOMAIN },
		      { "managed_irq", ISOL_MANAGED_IRQ } };
	unsigned int flags = 0;

	while (v && isalpha((unsigned char)*v) && v[strcspn(v, ",")]) {
		size_t n = strcspn(v, ",");

		for (size_t i = 0; i < ARRAY_SIZE(names); i++)
			if (strlen(names[i].name) == n &&
			    strncmp(v, names[i].name, n) == 0)
				flags |= names[i].flag;
		v += n + 1;
	}
	*ret_flags = flags ? flags : ISOL_DOMAIN;
	return v;
}

/* A CPU-list parameter judged against the RT CPUs. */
struct cpus_param {
	const char *key;
	bool exclude;	   /* irqaffinity: must leave the RT CPUs out */
	int applied;	   /* the host set showing what the kernel did, or -1 */
	const char *implied_by; /* a parameter that does the job as well */
	const char *why;   /* what an RT CPU outside (inside) it suffers */
	const char *ignored_remedy;
};

static const struct cpus_param cpus_params[] = {
	{ "isolcpus", false, RTVM_CPUS_ISOLATED, NULL,
	  "not isolated: load balancing and unbound work reach it",
	  "check the kernel log for isolcpus errors (dmesg | grep -i isol)" },
	{ "nohz_full", false, RTVM_CPUS_NOHZ_FULL, NULL,
	  "not in nohz_full: the scheduler tick interrupts it",
	  "boot a kernel with CONFIG_NO_HZ_FULL=y (Debian: apt-get install "
	  "linux-image-rt-amd64)" },
	/* nohz_full CPUs have their RCU callbacks offloaded too. */
	{ "rcu_nocbs", false, -1, "nohz_full",
	  "not in rcu_nocbs: RCU callbacks run on it", NULL },
	{ "irqaffinity", true, -1, NULL,
	  "in irqaffinity: device interrupts may start on it", NULL },
};

static int check_cpus_param(const struct rtvm_check_env *env,
			    struct rtvm_check_result *res,
			    const struct cpus_param *p)
{
	struct rtvm_cpumask *have = NULL, *bad = NULL, *want = NULL;
	char *rtl = NULL, *badl = NULL, *wantl = NULL, flagstr[48] = "";
	bool isolcpus = strcmp(p->key, "isolcpus") == 0, present, parsed = true;
	const char *value = NULL, *list;
	unsigned int flags = 0;
	int cpu, r;

	if (cmdline_unusable(env, res, true))
		return 0;
	present = rtvm_host_find_cmdline_param(env->host, p->key, &value) == 0;
	list = isolcpus && present ? isolcpus_split(value, &flags) : value;
	/* Without irqaffinity= interrupts may start on any CPU. */
	r = parse_cpus(env, present ? list : p->exclude ? "all" : "", &have);
	if (r == -EINVAL) {
		parsed = false;
		r = parse_cpus(env, "", &have);
	}
	if (r < 0)
		return r;
	/* Another parameter may cover the RT CPUs for this one. */
	if (p->implied_by) {
		struct rtvm_cpumask *im = NULL;
		const char *iv;

		if (rtvm_host_find_cmdline_param(env->host, p->implied_by, &iv) == 0 &&
		    parse_cpus(env, iv, &im) == 0)
			rtvm_cpumask_op(have, RTVM_CPUMASK_OR, im);
		rtvm_cpumask_free(im);
	}
	r = -ENOMEM;
	if (rtvm_cpumask_new_nr(RTVM_CPUMASK_MAX_CPUS, &bad) < 0 ||
	    rtvm_cpumask_new_nr(RTVM_CPUMASK_MAX_CPUS, &want) < 0)
		goto out;
	if (p->exclude) {
		/* Keep the user's list minus the RT CPUs while a housekeeping
		 * CPU remains in it; otherwise propose the housekeeping CPUs. */
		rtvm_cpumask_op(bad, RTVM_CPUMASK_COPY, have);
		rtvm_cpumask_op(bad, RTVM_CPUMASK_AND, env->rt);
		rtvm_cpumask_op(want, RTVM_CPUMASK_COPY, have);
		rtvm_cpumask_op(want, RTVM_CPUMASK_ANDNOT, env->rt);
		if (!rtvm_cpumask_intersects(want, env->housekeeping))
			rtvm_cpumask_op(want, RTVM_CPUMASK_COPY, env->housekeeping);
	} else {
		/* Add the RT CPUs to what is isolated already: other VMs may
		 * own the rest. */
		rtvm_cpumask_op(bad, RTVM_CPUMASK_COPY, env->rt);
		rtvm_cpumask_op(bad, RTVM_CPUMASK_ANDNOT, have);
		rtvm_cpumask_op(want, RTVM_CPUMASK_COPY, have);
		rtvm_cpumask_op(want, RTVM_CPUMASK_OR, env->rt);
	}
	if (isolcpus)
		snprintf(flagstr, sizeof(flagstr), "%smanaged_irq,domain,",
			 flags & ISOL_NOHZ ? "nohz," : "");
	rtl = list_of(env->rt);
	badl = list_of(bad);
	wantl = list_of(want);
	if (!rtl || !badl || !wantl)
		goto out;
	r = 0;

	if (p->exclude)
		rtvm_check_set_expected(res, "%s=%s or another list without the "
					"RT CPUs %s", p->key, wantl, rtl);
	else
		rtvm_check_set_expected(res, "%s=%s%s (the RT CPUs %s or more)",
					p->key, flagstr, wantl, rtl);
	if (present)
		rtvm_check_set_remedy(res, "replace \"%s%s%s\" with \"%s=%s%s\" on "
				      CMDLINE, p->key, value ? "=" : "",
				      value ? value : "", p->key, flagstr, wantl);
	else
		rtvm_check_set_remedy(res, "add \"%s=%s%s\" to " CMDLINE, p->key,
				      flagstr, wantl);
	if (!parsed) {
		rtvm_check_set_status(res, RTVM_CHECK_WARN);
		rtvm_check_set_observed(res, "%s=%s is not a CPU list", p->key,
					value);
		goto out;
	}
	if (rtvm_cpumask_weight(bad)) {
		rtvm_check_set_status(res, RTVM_CHECK_WARN);
		if (present)
			rtvm_check_set_observed(res, "%s%s%s %s the RT CPUs %s",
						p->key, value ? "=" : "",
						value ? value : "", p->exclude ?
						"includes" : "leaves out", badl);
		else if (p->exclude)
			rtvm_check_set_observed(res, "no %s= on " CMDLINE ": "
						"device interrupts may start on "
						"any CPU", p->key);
		else
			rtvm_check_set_observed(res, "no %s= on " CMDLINE "%s%s",
						p->key, p->implied_by ?
						" and RT CPUs outside " : "",
						p->implied_by ? p->implied_by : "");
		rtvm_cpumask_foreach(cpu, bad)
			rtvm_check_add_detail(res, cpu, "%s", p->why);
		goto out;
	}
	rtvm_check_set_status(res, RTVM_CHECK_PASS);
	rtvm_check_set_remedy(res, "%s", "");
	if (!present) {
		rtvm_check_set_observed(res, "no %s=, but %s= covers the RT CPUs %s",
					p->key, p->implied_by, rtl);
		goto out;
	}
	rtvm_check_set_observed(res, "%s=%s %s the RT CPUs %s", p->key,
				value ? value : "",
				p->exclude ? "leaves out" : "covers", rtl);
	if (isolcpus && (~flags & (ISOL_MANAGED_IRQ | ISOL_DOMAIN))) {
		rtvm_check_set_status(res, RTVM_CHECK_WARN);
		rtvm_check_set_observed(res, "isolcpus=%s lacks %s%s%s", value,
					flags & ISOL_MANAGED_IRQ ? "" :
					"managed_irq (managed device interrupts "
					"may land on the RT CPUs)",
					flags & (ISOL_MANAGED_IRQ | ISOL_DOMAIN) ?
					"" : " and ",
					flags & ISOL_DOMAIN ? "" :
					"domain (the RT CPUs stay in load balancing)");
		rtvm_check_set_remedy(res, "replace \"isolcpus=%s\" with "
				      "\"isolcpus=%s%s\" on " CMDLINE, value,
				      flagstr, wantl);
		goto out;
	}
	/* The command line asks; the host's sets say what the kernel did. */
	if (p->applied >= 0) {
		const struct rtvm_cpumask *done =
			rtvm_host_get_cpus(env->host, (enum rtvm_cpu_set)p->applied);
		char *donel;

		if (!done || rtvm_cpumask_subset(env->rt, done))
			goto out;
		donel = list_of(done);
		rtvm_check_set_status(res, RTVM_CHECK_WARN);
		rtvm_check_set_observed(res, "%s=%s is on " CMDLINE ", but the "
					"kernel applied only \"%s\"", p->key,
					value ? value : "", donel ? donel : "?");
		rtvm_check_set_remedy(res, "%s", p->ignored_remedy);
		rtvm_cpumask_foreach(cpu, env->rt)
			if (!rtvm_cpumask_test(done, (unsigned int)cpu))
				rtvm_check_add_detail(res, cpu, "%s", p->why);
		free(donel);
	}
out:
	free(rtl);
	free(badl);
	free(wantl);
	rtvm_cpumask_free(have);
	rtvm_cpumask_free(bad);
	rtvm_cpumask_free(want);
	return r;
}

static int run_isolcpus(const struct rtvm_check_env *env, void *state,
			struct rtvm_check_result *res)
{
	return check_cpus_param(env, res, &cpus_params[0]);
}

static int run_nohz_full(const struct rtvm_check_env *env, void *state,
			 struct rtvm_check_result *res)
{
	return check_cpus_param(env, res, &cpus_params[1]);
}

static int run_rcu_nocbs(const struct rtvm_check_env *env, void *state,
			 struct rtvm_check_result *res)
{
	return check_cpus_param(env, res, &cpus_params[2]);
}

static int run_irqaffinity(const struct rtvm_check_env *env, void *state,
			   struct rtvm_check_result *res)
{
	return check_cpus_param(env, res, &cpus_params[3]);
}

/* Whether the command line has "key" or "key=value". */
static bool cmdline_has(const struct rtvm_host *host, const char *param)
{
	const char *eq = strchr(param, '='), *v = NULL;
	char key[64];

	snprintf(key, sizeof(key), "%.*s",
		 (int)(eq ? (size_t)(eq - param) : strlen(param)), param);
	if (rtvm_host_find_cmdline_param(host, key, &v) < 0)
		return false;
	return eq ? v && strcmp(v, eq + 1) == 0 : true;
}

static int run_cmdline_misc(const struct rtvm_check_env *env, void *state,
			    struct rtvm_check_result *res)
{
	static const struct {
		const char *want, *alt, *why;
	} need[] = {
		{ "skew_tick=1", NULL,
		  "per-CPU ticks fire together and contend for jiffies_lock" },
		{ "tsc=reliable", "tsc=nowatchdog",
		  "the clocksource watchdog's timer runs on every CPU" },
		{ "nosoftlockup", "nowatchdog",
		  "the soft-lockup watchdog wakes up on every CPU" },
	};
	static const char *const notes[] = {
		"intel_idle.max_cstate", "processor.max_cstate", "idle",
		"intel_pstate",
	};
	char *miss = NULL, *note = NULL;
	unsigned int nmiss = 0, nnote = 0;
	size_t mlen, nlen;
	FILE *mf, *nf;

	if (cmdline_unusable(env, res, false))
		return 0;
	mf = open_memstream(&miss, &mlen);
	nf = open_memstream(&note, &nlen);
	if (!mf || !nf) {
		if (mf)
			fclose(mf);
		if (nf)
			fclose(nf);
		free(miss);
		free(note);
		return -ENOMEM;
	}
	for (size_t i = 0; i < ARRAY_SIZE(need); i++) {
		if (cmdline_has(env->host, need[i].want) ||
		    (need[i].alt && cmdline_has(env->host, need[i].alt)))
			continue;
		fprintf(mf, "%s%s", nmiss++ ? " " : "", need[i].want);
		rtvm_check_add_detail(res, -1, "%s missing: %s", need[i].want,
				      need[i].why);
	}
	/* Idle and frequency settings: worth knowing, not wrong. */
	for (size_t i = 0; i < ARRAY_SIZE(notes); i++) {
		const char *v = NULL;

		if (rtvm_host_find_cmdline_param(env->host, notes[i], &v) < 0)
			continue;
		fprintf(nf, "%s%s%s%s", nnote++ ? " " : "", notes[i],
			v ? "=" : "", v ? v : "");
		if (strcmp(notes[i], "intel_pstate") == 0)
			rtvm_check_add_detail(res, -1, "intel_pstate=%s: frequency "
					      "scaling by %s", v ? v : "",
					      v && strcmp(v, "disable") == 0 ?
					      "acpi-cpufreq" : "intel_pstate");
		else
			rtvm_check_add_detail(res, -1, "%s%s%s limits idle states "
					      "on every CPU (PM QoS can limit the "
					      "RT CPUs alone)", notes[i],
					      v ? "=" : "", v ? v : "");
	}
	if (!stream_done(mf, &miss)) {
		fclose(nf);
		free(note);
		return -ENOMEM;
	}
	if (!stream_done(nf, &note)) {
		free(miss);
		return -ENOMEM;
	}
	rtvm_check_set_expected(res, "skew_tick=1 tsc=reliable nosoftlockup");
	if (*miss) {
		rtvm_check_set_status(res, RTVM_CHECK_WARN);
		rtvm_check_set_observed(res, "missing: %s%s%s", miss,
					*note ? "; also: " : "", note);
		rtvm_check_set_remedy(res, "add \"%s\" to " CMDLINE
				      " (replacing any other value)", miss);
	} else {
		rtvm_check_set_status(res, RTVM_CHECK_PASS);
		rtvm_check_set_observed(res, "skew_tick=1 tsc=reliable "
					"nosoftlockup present%s%s",
					*note ? "; also: " : "", note);
	}
	free(miss);
	free(note);
	return 0;
}

/* ---- scheduler ---------------------------------------------------------- */

static int run_rt_throttling(const struct rtvm_check_env *env, void *state,
			     struct rtvm_check_result *res)
{
	char *rt = NULL, *period = NULL;
	long long run, per;
	int r;

	rtvm_check_set_expected(res, "kernel.sched_rt_runtime_us = -1 (RT "
				"tasks never throttled)");
	r = rtvm_sysctl_get(env->ctx, "kernel.sched_rt_runtime_us", &rt);
	if (r < 0) {
		skip_err(res, "kernel.sched_rt_runtime_us", r,
			 "check that the kernel has RT scheduling sysctls");
		return 0;
	}
	if (strcmp(rt, "-1") == 0) {
		rtvm_check_set_status(res, RTVM_CHECK_PASS);
		rtvm_check_set_observed(res, "kernel.sched_rt_runtime_us = -1");
		free(rt);
		return 0;
	}
	rtvm_sysctl_get(env->ctx, "kernel.sched_rt_period_us", &period);
	rtvm_check_set_status(res, RTVM_CHECK_WARN);
	if (period && sscanf(rt, "%lld", &run) == 1 &&
	    sscanf(period, "%lld", &per) == 1 && per > run)
		rtvm_check_set_observed(res, "kernel.sched_rt_runtime_us = %s of "
					"kernel.sched_rt_period_us = %s: RT tasks "
					"stop for %lld us of every period", rt,
					period, per - run);
	else
		rtvm_check_set_observed(res, "kernel.sched_rt_runtime_us = %s", rt);
	rtvm_check_set_remedy(res, "sysctl -w kernel.sched_rt_runtime_us=-1");
	free(rt);
	free(period);
	return 0;
}

/* The fair server (6.12+) reserves time for SCHED_OTHER on each CPU and
 * preempts RT tasks for it: RT throttling under another name. */
static int run_dl_server(const struct rtvm_check_env *env, void *state,
			 struct rtvm_check_result *res)
{
	char buf[32], *dir, *loop = NULL, *badl = NULL, *unkl = NULL;
	struct rtvm_cpumask *bad = NULL, *unk = NULL;
	unsigned long long rt_ns = 0, per_ns = 0;
	size_t llen;
	FILE *f;
	int cpu, r;

	if (skip_no_rt(env, res))
		return 0;
	dir = host_path(RTVM_FS_SYS, "kernel/debug/sched/fair_server");
	if (!dir)
		return -ENOMEM;
	rtvm_check_set_expected(res, "fair server runtime 0 on the RT CPUs");
	r = rtvm_fs_open_dir(env->ctx, RTVM_FS_SYS, "kernel/debug/sched/fair_server");
	if (r == -ENOENT) {
		int fd = rtvm_fs_open_dir(env->ctx, RTVM_FS_SYS,
					  "kernel/debug/sched");

		if (fd >= 0) {
			/* debugfs is there and has no fair server. */
			close(fd);
			rtvm_check_set_status(res, RTVM_CHECK_PASS);
			rtvm_check_set_observed(res, "no fair server (kernel before "
						"6.12): only RT throttling limits "
						"RT tasks");
			free(dir);
			return 0;
		}
		if (fd != -ENOENT)
			r = fd;
	}
	if (r >= 0)
		close(r);
	if (r < 0) {
		char *dbg = host_path(RTVM_FS_SYS, "kernel/debug");

		skip_err(res, dir, r, "");
		if (r != -EACCES && r != -EPERM)
			rtvm_check_set_remedy(res, "mount debugfs (mount -t debugfs "
					      "none %s) and run the check as root",
					      dbg ? dbg : "debugfs");
		free(dbg);
		free(dir);
		return 0;
	}
	r = -ENOMEM;
	if (rtvm_cpumask_new_nr(RTVM_CPUMASK_MAX_CPUS, &bad) < 0 ||
	    rtvm_cpumask_new_nr(RTVM_CPUMASK_MAX_CPUS, &unk) < 0)
		goto out;
	f = open_memstream(&loop, &llen);
	if (!f)
		goto out;
	rtvm_cpumask_foreach(cpu, env->rt) {
		unsigned long long v, p = 0;

		if (rtvm_fs_read(env->ctx, RTVM_FS_SYS, buf, sizeof(buf),
				 "kernel/debug/sched/fair_server/cpu%d/runtime",
				 cpu) < 0 || sscanf(buf, "%llu", &v) != 1) {
			rtvm_cpumask_set(unk, (unsigned int)cpu);
			continue;
		}
		if (v == 0)
			continue;
		if (rtvm_fs_read(env->ctx, RTVM_FS_SYS, buf, sizeof(buf),
				 "kernel/debug/sched/fair_server/cpu%d/period",
				 cpu) >= 0)
			sscanf(buf, "%llu", &p);
		if (!rt_ns) {
			rt_ns = v;
			per_ns = p;
		}
		rtvm_cpumask_set(bad, (unsigned int)cpu);
		fprintf(f, " %d", cpu);
		rtvm_check_add_detail(res, cpu, "fair server runtime %llu ns "
				      "per %llu ns", v, p);
	}
	if (!stream_done(f, &loop) || !(badl = list_of(bad)) ||
	    !(unkl = list_of(unk)))
		goto out;
	r = 0;
	if (rtvm_cpumask_weight(bad)) {
		rtvm_check_set_status(res, RTVM_CHECK_WARN);
		rtvm_check_set_observed(res, "the fair server takes %llu ms of "
					"every %llu ms from RT tasks on CPUs %s "
					"whenever normal tasks are runnable",
					rt_ns / 1000000, per_ns / 1000000, badl);
		rtvm_check_set_remedy(res, "for c in%s; do echo 0 > "
				      "%s/cpu$c/runtime; done", loop, dir);
	} else if (rtvm_cpumask_weight(unk)) {
		rtvm_check_set_status(res, RTVM_CHECK_SKIP);
		rtvm_check_set_observed(res, "fair server runtime unreadable on "
					"CPUs %s (0 on the other RT CPUs)", unkl);
		rtvm_check_set_remedy(res, "run the check as root");
	} else {
		rtvm_check_set_status(res, RTVM_CHECK_PASS);
		rtvm_check_set_observed(res, "fair server runtime 0 on the RT CPUs");
	}
out:
	free(dir);
	free(loop);
	free(badl);
	free(unkl);
	rtvm_cpumask_free(bad);
	rtvm_cpumask_free(unk);
	return r;
}

struct cg_seen {
	char *path;
	unsigned int threads;
	pid_t tid;
	const char *comm;
};

static int cg_note(struct cg_seen **cgs, size_t *n, const char *path,
		   const struct rtvm_thread *t)
{
	struct cg_seen *c;

	/* Threads of one process come together: look from the end. */
	for (size_t i = *n; i-- > 0;)
		if (strcmp((*cgs)[i].path, path) == 0) {
			(*cgs)[i].threads++;
			return 0;
		}
	c = realloc(*cgs, (*n + 1) * sizeof(*c));
	if (!c)
		return -ENOMEM;
	*cgs = c;
	c = &c[*n];
	*c = (struct cg_seen){ .path = strdup(path), .threads = 1,
			       .tid = rtvm_thread_get_tid(t),
			       .comm = rtvm_thread_get_comm(t) };
	if (!c->path)
		return -ENOMEM;
	(*n)++;
	return 0;
}

/* The remedy starts at the highest ancestor of @path without RT time: a
 * child's budget counts against its parent's. */
static void top_without_rt(struct rtvm_ctx *ctx, enum rtvm_fs fs,
			   const char *rel, const char *path, char *top,
			   size_t size)
{
	char buf[32];

	snprintf(top, size, "%s", path);
	for (char *s = top + 1; (s = strchr(s, '/')); s++) {
		*s = '\0';
		if (rtvm_fs_read(ctx, fs, buf, sizeof(buf), "%s%s/cpu.rt_runtime_us",
				 rel, top) >= 0 && strcmp(buf, "0") == 0)
			return;
		*s = '/';
	}
}

static int run_rt_group(const struct rtvm_check_env *env, void *state,
			struct rtvm_check_result *res)
{
	const struct rtvm_thread *t;
	struct cg_seen *cgs = NULL;
	size_t ncgs = 0, nbad = 0, olen;
	char *mnt = NULL, *obs = NULL, *global = NULL, buf[32], root_rt[32];
	char top[4096];
	bool unlimited;
	const char *rel, *first = NULL;
	enum rtvm_fs fs;
	FILE *f = NULL;
	int r;

	rtvm_check_set_expected(res, "no cpu cgroup holding threads with "
				"cpu.rt_runtime_us 0");
	r = rtvm_cgroup_mount_point(env->ctx, "cpu", &mnt);
	if (r == -ENODEV) {
		rtvm_check_set_status(res, RTVM_CHECK_PASS);
		rtvm_check_set_observed(res, "no cpu cgroup v1 hierarchy: no RT "
					"budgets per cgroup");
		return 0;
	}
	if (r < 0) {
		skip_err(res, "the mount table", r, "run the check on the host");
		return 0;
	}
	if (rtvm_fs_split_path(mnt, &fs, &rel) < 0) {
		rtvm_check_set_status(res, RTVM_CHECK_SKIP);
		rtvm_check_set_observed(res, "the cpu hierarchy is mounted at %s, "
					"outside the places the library reads", mnt);
		rtvm_check_set_remedy(res, "mount the cpu controller under "
				      "the sysfs cgroup directory");
		goto out;
	}
	r = rtvm_fs_read(env->ctx, fs, root_rt, sizeof(root_rt),
			 "%s/cpu.rt_runtime_us", rel);
	if (r == -ENOENT) {
		rtvm_check_set_status(res, RTVM_CHECK_PASS);
		rtvm_check_set_observed(res, "no cpu.rt_runtime_us in %s: no RT "
					"group scheduling", mnt);
		r = 0;
		goto out;
	}
	if (r < 0) {
		skip_err(res, "cpu.rt_runtime_us", r, "run the check on the host");
		r = 0;
		goto out;
	}
	rtvm_host_foreach_thread(t, env->host) {
		const char *cg = rtvm_thread_get_cgroup(t, "cpu");

		if (cg && strcmp(cg, "/") != 0 &&
		    (r = cg_note(&cgs, &ncgs, cg, t)) < 0)
			goto out;
	}
	r = -ENOMEM;
	f = open_memstream(&obs, &olen);
	if (!f)
		goto out;
	for (size_t i = 0; i < ncgs; i++) {
		if (rtvm_fs_read(env->ctx, fs, buf, sizeof(buf),
				 "%s%s/cpu.rt_runtime_us", rel, cgs[i].path) < 0 ||
		    strcmp(buf, "0") != 0)
			continue;
		if (nbad < 5)
			fprintf(f, "%s%s (%u thread%s)", nbad ? ", " : "",
				cgs[i].path, cgs[i].threads,
				cgs[i].threads > 1 ? "s" : "");
		if (!nbad)
			first = cgs[i].path;
		nbad++;
		rtvm_check_add_detail(res, -1, "%s: cpu.rt_runtime_us 0, %u "
				      "thread%s (e.g. %d %s)", cgs[i].path,
				      cgs[i].threads, cgs[i].threads > 1 ? "s" : "",
				      (int)cgs[i].tid, cgs[i].comm ? cgs[i].comm : "?");
	}
	if (nbad > 5)
		fprintf(f, " and %zu more", nbad - 5);
	if (!stream_done(f, &obs))
		goto out;
	r = 0;
	if (!nbad) {
		rtvm_check_set_status(res, RTVM_CHECK_PASS);
		rtvm_check_set_observed(res, "every cpu cgroup with threads has "
					"RT time (root cpu.rt_runtime_us %s)", root_rt);
		goto out;
	}
	/* Without RT bandwidth control the kernel does not refuse. */
	rtvm_sysctl_get(env->ctx, "kernel.sched_rt_runtime_us", &global);
	unlimited = global && strcmp(global, "-1") == 0;
	top_without_rt(env->ctx, fs, rel, first, top, sizeof(top));
	rtvm_check_set_remedy(res, "%sgive these cgroups RT time, parents "
			      "first: echo %s > %s%s/cpu.rt_runtime_us, then "
			      "each child", unlimited ? "" :
			      "sysctl -w kernel.sched_rt_runtime_us=-1 "
			      "(SCHED_FIFO is then allowed in any cgroup), or ",
			      root_rt, mnt, top);
	if (unlimited) {
		rtvm_check_set_status(res, RTVM_CHECK_INFO);
		rtvm_check_set_observed(res, "%zu cpu cgroup%s with threads and "
					"cpu.rt_runtime_us 0: %s; allowed while "
					"kernel.sched_rt_runtime_us = -1, but RT "
					"threads cannot be moved into them", nbad,
					nbad > 1 ? "s" : "", obs);
	} else {
		rtvm_check_set_status(res, RTVM_CHECK_WARN);
		rtvm_check_set_observed(res, "SCHED_FIFO/RR fail with EPERM in "
					"%zu cpu cgroup%s with threads and "
					"cpu.rt_runtime_us 0: %s", nbad,
					nbad > 1 ? "s" : "", obs);
	}
out:
	for (size_t i = 0; i < ncgs; i++)
		free(cgs[i].path);
	free(cgs);
	free(global);
	free(obs);
	free(mnt);
	return r;
}

/* ---- sysctls ------------------------------------------------------------ */

struct sysctl_want {
	const char *name;
	long value;
	bool at_least;
	const char *why; /* what the wrong value costs the RT CPUs */
};

static const struct sysctl_want sysctl_wants[] = {
	{ "kernel.timer_migration", 0, false,
	  "timers of idle CPUs migrate to busy ones, the RT CPUs included" },
	{ "kernel.nmi_watchdog", 0, false,
	  "the NMI watchdog interrupts every CPU periodically" },
	{ "kernel.numa_balancing", 0, false,
	  "NUMA balancing unmaps memory to sample it: vCPUs take page faults" },
	{ "vm.stat_interval", 10, true,
	  "the vmstat worker wakes up on every CPU each interval" },
};

static int check_sysctl(const struct rtvm_check_env *env,
			struct rtvm_check_result *res,
			const struct sysctl_want *w)
{
	char *v = NULL, *end;
	bool numeric, ok;
	long n;
	int r;

	rtvm_check_set_expected(res, "%s %s %ld", w->name,
				w->at_least ? ">=" : "=", w->value);
	r = rtvm_sysctl_get(env->ctx, w->name, &v);
	if (r == -ENOENT) {
		rtvm_check_set_status(res, RTVM_CHECK_SKIP);
		rtvm_check_set_observed(res, "this kernel has no %s", w->name);
		rtvm_check_set_remedy(res, "nothing to set: the feature behind %s "
				      "is not built in", w->name);
		return 0;
	}
	if (r < 0) {
		skip_err(res, w->name, r, "run the check on the host");
		return 0;
	}
	errno = 0;
	n = strtol(v, &end, 10);
	numeric = !errno && end != v && !*end;
	ok = numeric && (w->at_least ? n >= w->value : n == w->value);
	rtvm_check_set_status(res, ok ? RTVM_CHECK_PASS : RTVM_CHECK_WARN);
	rtvm_check_set_observed(res, "%s = %s%s%s", w->name, v,
				ok ? "" : numeric ? ": " : " (not a number)",
				ok || !numeric ? "" : w->why);
	if (!ok)
		rtvm_check_set_remedy(res, "sysctl -w %s=%ld", w->name, w->value);
	free(v);
	return 0;
}

#define SYSCTL_RUN(i, fn)                                                    \
	static int fn(const struct rtvm_check_env *env, void *state,         \
		      struct rtvm_check_result *res)                         \
	{                                                                    \
		return check_sysctl(env, res, &sysctl_wants[i]);             \
	}
SYSCTL_RUN(0, run_timer_migration)
SYSCTL_RUN(1, run_nmi_watchdog)
SYSCTL_RUN(2, run_numa_balancing)
SYSCTL_RUN(3, run_stat_interval)

/* ---- memory ------------------------------------------------------------- */

static int run_thp(const struct rtvm_check_env *env, void *state,
		   struct rtvm_check_result *res)
{
	char buf[128], mode[32] = "", *path;
	const char *open;
	int r;

	path = host_path(RTVM_FS_SYS, "kernel/mm/transparent_hugepage/enabled");
	if (!path)
		return -ENOMEM;
	rtvm_check_set_expected(res, "[never]");
	r = rtvm_fs_read(env->ctx, RTVM_FS_SYS, buf, sizeof(buf),
			 "kernel/mm/transparent_hugepage/enabled");
	open = r >= 0 ? strchr(buf, '[') : NULL;
	if (r == -ENOENT) {
		rtvm_check_set_status(res, RTVM_CHECK_PASS);
		rtvm_check_set_observed(res, "no transparent hugepages in this "
					"kernel");
	} else if (r < 0) {
		skip_err(res, path, r, "run the check on the host");
	} else if (!open || sscanf(open + 1, "%31[^]]", mode) != 1) {
		rtvm_check_set_status(res, RTVM_CHECK_SKIP);
		rtvm_check_set_observed(res, "cannot parse \"%s\"", buf);
		rtvm_check_set_remedy(res, "cat %s and compare with [never]", path);
	} else if (strcmp(mode, "never") == 0) {
		rtvm_check_set_status(res, RTVM_CHECK_PASS);
		rtvm_check_set_observed(res, "%s", buf);
	} else {
		/* QEMU asks for THP on guest RAM, so even madvise applies to
		 * it; always also pays compaction in any fault. */
		bool always = strcmp(mode, "always") == 0;

		rtvm_check_set_status(res, always ? RTVM_CHECK_WARN : RTVM_CHECK_INFO);
		rtvm_check_set_observed(res, "%s: %s", buf, always ?
					"khugepaged and compaction stall any "
					"process's page faults" :
					"memory that asks for it (QEMU's guest "
					"RAM) gets THP and khugepaged work");
		rtvm_check_set_remedy(res, "echo never > %s (transparent_hugepage="
				      "never on the kernel command line keeps it)",
				      path);
	}
	free(path);
	return 0;
}

static int run_ksm(const struct rtvm_check_env *env, void *state,
		   struct rtvm_check_result *res)
{
	char buf[16], *path;
	int r;

	path = host_path(RTVM_FS_SYS, "kernel/mm/ksm/run");
	if (!path)
		return -ENOMEM;
	rtvm_check_set_expected(res, "0 (off) or 2 (off, pages unmerged)");
	r = rtvm_fs_read(env->ctx, RTVM_FS_SYS, buf, sizeof(buf),
			 "kernel/mm/ksm/run");
	if (r == -ENOENT) {
		rtvm_check_set_status(res, RTVM_CHECK_PASS);
		rtvm_check_set_observed(res, "no KSM in this kernel");
	} else if (r < 0) {
		skip_err(res, path, r, "run the check on the host");
	} else if (strcmp(buf, "0") == 0 || strcmp(buf, "2") == 0) {
		rtvm_check_set_status(res, RTVM_CHECK_PASS);
		rtvm_check_set_observed(res, "ksm run = %s", buf);
	} else {
		rtvm_check_set_status(res, RTVM_CHECK_WARN);
		rtvm_check_set_observed(res, "ksm run = %s: ksmd scans guest "
					"memory and merged pages take "
					"copy-on-write faults", buf);
		rtvm_check_set_remedy(res, "echo 2 > %s (stop KSM and unmerge; "
				      "also stop ksmtuned)", path);
	}
	free(path);
	return 0;
}

static int run_swap(const struct rtvm_check_env *env, void *state,
		    struct rtvm_check_result *res)
{
	char *swaps = NULL, *obs = NULL, *line, *save = NULL;
	unsigned int n = 0;
	size_t olen;
	FILE *f;
	int r;

	rtvm_check_set_expected(res, "no active swap");
	r = rtvm_fs_read_alloc(env->ctx, RTVM_FS_PROC, &swaps, "swaps");
	if (r == -ENOENT) {
		rtvm_check_set_status(res, RTVM_CHECK_PASS);
		rtvm_check_set_observed(res, "no swap support in this kernel");
		return 0;
	}
	if (r < 0) {
		skip_err(res, "the swap table", r, "run the check on the host");
		return 0;
	}
	f = open_memstream(&obs, &olen);
	if (!f) {
		free(swaps);
		return -ENOMEM;
	}
	/* "Filename Type Size Used Priority", then one line per area. */
	line = strtok_r(swaps, "\n", &save);
	while ((line = strtok_r(NULL, "\n", &save))) {
		char name[256], type[32];
		unsigned long long size, used;

		if (sscanf(line, "%255s %31s %llu %llu", name, type, &size,
			   &used) != 4)
			continue;
		fprintf(f, "%s%s (%s, %llu MiB, %llu MiB used)", n ? ", " : "",
			name, type, size / 1024, used / 1024);
		n++;
	}
	free(swaps);
	if (!stream_done(f, &obs))
		return -ENOMEM;
	if (!n) {
		rtvm_check_set_status(res, RTVM_CHECK_PASS);
		rtvm_check_set_observed(res, "no active swap");
	} else {
		rtvm_check_set_status(res, RTVM_CHECK_WARN);
		rtvm_check_set_observed(res, "swap active: %s", obs);
		rtvm_check_set_remedy(res, "swapoff -a (and remove the swap "
				      "entries from /etc/fstab)");
	}
	free(obs);
	return 0;
}

static int run_hugepages(const struct rtvm_check_env *env, void *state,
			 struct rtvm_check_result *res)
{
	unsigned long long total = 0, size_kb = 0, gig = 0, other = 0;
	char *meminfo = NULL, *obs = NULL, *p, buf[32];
	bool gig_supported = false;
	struct dirent *de;
	size_t olen;
	FILE *f;
	DIR *d;
	int fd;

	rtvm_check_set_expected(res, "1 GiB hugepages reserved for RT guests");
	f = open_memstream(&obs, &olen);
	if (!f)
		return -ENOMEM;
	/* Every page size the kernel offers, the boot-time 1 GiB pool too. */
	fd = rtvm_fs_open_dir(env->ctx, RTVM_FS_SYS, "kernel/mm/hugepages");
	d = fd >= 0 ? fdopendir(fd) : NULL;
	if (fd >= 0 && !d)
		close(fd);
	while (d && (de = readdir(d))) {
		unsigned long long kb, nr;

		if (sscanf(de->d_name, "hugepages-%llukB", &kb) != 1)
			continue;
		gig_supported |= kb == 1048576;
		if (rtvm_fs_read(env->ctx, RTVM_FS_SYS, buf, sizeof(buf),
				 "kernel/mm/hugepages/%s/nr_hugepages",
				 de->d_name) < 0 || sscanf(buf, "%llu", &nr) != 1 ||
		    !nr)
			continue;
		fprintf(f, "%s%llu x %llu kB", gig + other ? ", " : "", nr, kb);
		if (kb == 1048576)
			gig += nr;
		else
			other += nr;
	}
	if (d)
		closedir(d);
	else if (rtvm_fs_read_alloc(env->ctx, RTVM_FS_PROC, &meminfo,
				    "meminfo") >= 0) {
		/* No sysfs: the default size's pool from meminfo. */
		if ((p = strstr(meminfo, "HugePages_Total:")))
			sscanf(p + 16, "%llu", &total);
		if ((p = strstr(meminfo, "Hugepagesize:")))
			sscanf(p + 13, "%llu", &size_kb);
		if (total)
			fprintf(f, "%llu x %llu kB", total, size_kb);
		if (size_kb == 1048576)
			gig = total;
		else
			other = total;
		free(meminfo);
	} else {
		fclose(f);
		free(obs);
		rtvm_check_set_status(res, RTVM_CHECK_SKIP);
		rtvm_check_set_observed(res, "cannot read the hugepage pools");
		rtvm_check_set_remedy(res, "run the check on the host");
		return 0;
	}
	if (!stream_done(f, &obs))
		return -ENOMEM;
	if (gig) {
		rtvm_check_set_status(res, RTVM_CHECK_PASS);
		rtvm_check_set_observed(res, "hugepages reserved: %s", obs);
	} else if (other) {
		rtvm_check_set_status(res, RTVM_CHECK_INFO);
		rtvm_check_set_observed(res, "hugepages reserved: %s; 1 GiB pages "
					"would cut TLB misses further", obs);
		if (gig_supported)
			rtvm_check_set_remedy(res, "add \"hugepagesz=1G hugepages=N\" "
					      "to " CMDLINE " (N: GiB of RT guest "
					      "memory)");
	} else {
		rtvm_check_set_status(res, RTVM_CHECK_WARN);
		rtvm_check_set_observed(res, "no hugepages reserved: RT VMs want "
					"locked hugepage-backed memory");
		if (gig_supported)
			rtvm_check_set_remedy(res, "add \"default_hugepagesz=1G "
					      "hugepagesz=1G hugepages=N\" to "
					      CMDLINE " (N: GiB of RT guest memory)");
		else
			rtvm_check_set_remedy(res, "sysctl -w vm.nr_hugepages=N "
					      "(N: 2 MiB pages of RT guest memory)");
	}
	free(obs);
	return 0;
}

static void fmt_limit(char *buf, size_t size, unsigned long long v, bool inf)
{
	if (inf)
		snprintf(buf, size, "unlimited");
	else
		snprintf(buf, size, "%llu bytes (%llu KiB)", v, v / 1024);
}

static int run_memlock(const struct rtvm_check_env *env, void *state,
		       struct rtvm_check_result *res)
{
	unsigned long long soft = 0, hard = 0;
	bool soft_inf, hard_inf;
	char s[64], h[64];

	rtvm_check_set_expected(res, "RLIMIT_MEMLOCK unlimited");
	if (rtvm_fs_root_fd(env->ctx) < 0) {
		struct rlimit rl;

		/* On the real host the limit of this very process. */
		if (getrlimit(RLIMIT_MEMLOCK, &rl) < 0)
			return -errno;
		soft_inf = rl.rlim_cur == RLIM_INFINITY;
		hard_inf = rl.rlim_max == RLIM_INFINITY;
		soft = rl.rlim_cur;
		hard = rl.rlim_max;
	} else {
		/* A sysroot's "process" is its limits file. */
		char *limits = NULL, *p, a[32], b[32];
		int r = rtvm_fs_read_alloc(env->ctx, RTVM_FS_PROC, &limits,
					   "self/limits");

		if (r < 0) {
			skip_err(res, "the process limits", r,
				 "run the check on the host");
			return 0;
		}
		p = strstr(limits, "Max locked memory");
		if (!p || sscanf(p + 17, "%31s %31s", a, b) != 2) {
			free(limits);
			rtvm_check_set_status(res, RTVM_CHECK_SKIP);
			rtvm_check_set_observed(res, "no \"Max locked memory\" limit");
			rtvm_check_set_remedy(res, "run \"ulimit -l\" on the host");
			return 0;
		}
		free(limits);
		soft_inf = strcmp(a, "unlimited") == 0;
		hard_inf = strcmp(b, "unlimited") == 0;
		soft = strtoull(a, NULL, 10);
		hard = strtoull(b, NULL, 10);
	}
	fmt_limit(s, sizeof(s), soft, soft_inf);
	fmt_limit(h, sizeof(h), hard, hard_inf);
	if (soft_inf) {
		rtvm_check_set_status(res, RTVM_CHECK_PASS);
		rtvm_check_set_observed(res, "RLIMIT_MEMLOCK soft %s, hard %s", s, h);
		return 0;
	}
	rtvm_check_set_status(res, RTVM_CHECK_WARN);
	rtvm_check_set_observed(res, "RLIMIT_MEMLOCK soft %s, hard %s: locking "
				"guest memory beyond it fails without "
				"CAP_IPC_LOCK", s, h);
	rtvm_check_set_remedy(res, "ulimit -l unlimited (LimitMEMLOCK=infinity "
			      "for a systemd service, or \"* - memlock unlimited\" "
			      "in /etc/security/limits.conf)");
	return 0;
}

/* ---- the table ---------------------------------------------------------- */

const struct rtvm_check_def rtvm_checks_kernel[] = {
	{ .id = "kernel.preempt_rt", .title = "PREEMPT_RT kernel",
	  .run = run_preempt_rt },
	{ .id = "kernel.config", .title = "kernel build options for RT",
	  .run = run_kconfig },
	{ .id = "cmdline.isolcpus", .title = "isolcpus= covers the RT CPUs",
	  .run = run_isolcpus },
	{ .id = "cmdline.nohz_full", .title = "nohz_full= covers the RT CPUs",
	  .run = run_nohz_full },
	{ .id = "cmdline.rcu_nocbs", .title = "rcu_nocbs= covers the RT CPUs",
	  .run = run_rcu_nocbs },
	{ .id = "cmdline.irqaffinity",
	  .title = "irqaffinity= leaves the RT CPUs out",
	  .run = run_irqaffinity },
	{ .id = "cmdline.misc",
	  .title = "skew_tick, tsc and soft-lockup parameters",
	  .run = run_cmdline_misc },
	{ .id = "sched.rt_throttling", .title = "RT throttling off",
	  .run = run_rt_throttling },
	{ .id = "sched.dl_server", .title = "fair server off on the RT CPUs",
	  .run = run_dl_server },
	{ .id = "sched.rt_group", .title = "RT time of cpu cgroups with threads",
	  .run = run_rt_group },
	{ .id = "sysctl.timer_migration", .title = "timer migration off",
	  .run = run_timer_migration },
	{ .id = "sysctl.nmi_watchdog", .title = "NMI watchdog off",
	  .run = run_nmi_watchdog },
	{ .id = "sysctl.numa_balancing", .title = "NUMA balancing off",
	  .run = run_numa_balancing },
	{ .id = "sysctl.stat_interval", .title = "vmstat interval >= 10 s",
	  .run = run_stat_interval },
	{ .id = "mm.thp", .title = "transparent hugepages off", .run = run_thp },
	{ .id = "mm.ksm", .title = "KSM off", .run = run_ksm },
	{ .id = "mm.swap", .title = "no active swap", .run = run_swap },
	{ .id = "mm.hugepages", .title = "hugepages reserved",
	  .run = run_hugepages },
	{ .id = "mm.memlock", .title = "memory locking unlimited",
	  .run = run_memlock },
	{ .id = NULL },
};
