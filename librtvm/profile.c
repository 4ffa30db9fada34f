/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Profiles: the desired real-time setup of one VM, as a versioned JSON
 * document (man rtvm-profile(5)).  Parsing is strict: every error names
 * the JSON path and the value, and unknown keys are errors, because a
 * misspelt knob that is silently ignored leaves a host untuned.
 */
#include "config.h"

#include <cjson/cJSON.h>
#include <stddef.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "boost-policy-json.h"
#include "tune.h"

#ifndef SCHED_BATCH
#define SCHED_BATCH 3
#endif
#ifndef SCHED_IDLE
#define SCHED_IDLE 5
#endif

#define PATH_MAX_LEN 128

static const char *const role_keys[PROF_NR_ROLES] = {
	[PROF_RT_VCPU] = "rt_vcpu",
	[PROF_VCPU] = "vcpu",
	[PROF_EMULATOR] = "emulator",
	[PROF_IOTHREAD] = "iothread",
};

/* The built-in profiles, in the same schema as user profiles. */
static const struct {
	const char *name;
	const char *description; /* one line, for listings */
	const char *json;
} builtins[] = {
	/* tuned's realtime-virtual-host, as far as it can be applied at
	 * runtime (no boot parameters): RT vCPUs FIFO 1 alone on their
	 * CPUs, everything else, IRQs and unbound work on housekeeping. */
	{ "rt-host",
	  "tuned's realtime-virtual-host at runtime: RT vCPUs FIFO 1, the "
	  "rest, IRQs and unbound work on housekeeping, RT host settings",
	  "{\"version\": 1, \"name\": \"rt-host\","
	  " \"policies\": {"
	  "  \"rt_vcpu\": {\"policy\": \"fifo\", \"priority\": 1},"
	  "  \"vcpu\": {\"cpus\": \"housekeeping\"},"
	  "  \"emulator\": {\"cpus\": \"housekeeping\"},"
	  "  \"iothread\": {\"cpus\": \"housekeeping\"}},"
	  " \"irqs\": {\"away_from_rt\": true},"
	  " \"kthreads\": \"rt-host\","
	  " \"host\": {\"sched_rt_runtime_us\": -1, \"timer_migration\": 0,"
	  "  \"thp\": \"never\", \"ksm\": 0, \"pm_qos_resume_latency_us\": 0,"
	  "  \"workqueue_mask\": \"housekeeping\"}}" },
	/* OpenStack Nova's hw:cpu_realtime: FIFO 1 on the RT vCPUs, the
	 * emulator threads on housekeeping CPUs; nothing host-wide. */
	{ "nova-rt",
	  "OpenStack Nova's hw:cpu_realtime: RT vCPUs FIFO 1, emulator and "
	  "iothreads on housekeeping; nothing host-wide",
	  "{\"version\": 1, \"name\": \"nova-rt\","
	  " \"policies\": {"
	  "  \"rt_vcpu\": {\"policy\": \"fifo\", \"priority\": 1},"
	  "  \"emulator\": {\"policy\": \"other\", \"cpus\": \"housekeeping\"},"
	  "  \"iothread\": {\"cpus\": \"housekeeping\"}}}" },
	/* KubeVirt's dedicatedCpuPlacement with realtime and
	 * isolateEmulatorThread: the vCPUs FIFO 1 on their dedicated CPUs,
	 * the emulator thread off them; the kubelet owns the host, so
	 * nothing host-wide but the RT CPUs' PM QoS. */
	{ "kubevirt-rt",
	  "KubeVirt's dedicated CPUs with realtime: RT vCPUs FIFO 1, the "
	  "emulator on housekeeping, PM QoS 0 on the RT CPUs",
	  "{\"version\": 1, \"name\": \"kubevirt-rt\","
	  " \"policies\": {"
	  "  \"rt_vcpu\": {\"policy\": \"fifo\", \"priority\": 1},"
	  "  \"emulator\": {\"policy\": \"other\", \"cpus\": \"housekeeping\"}},"
	  " \"host\": {\"pm_qos_resume_latency_us\": 0}}" },
};

struct parser {
	struct rtvm_ctx *ctx;
	struct rtvm_profile *p;
};

RTVM_PRINTF(3, 4)
static int perr(struct parser *ps, const char *path, const char *fmt, ...)
{
	char msg[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	err(ps->ctx, "profile: %s: %s", path[0] ? path : ".", msg);
	return -EINVAL;
}

static void sub(char *dst, const char *path, const char *key)
{
	/* Paths are short; a long one is cut, never overrun. */
	if (snprintf(dst, PATH_MAX_LEN, "%s.%s", path, key) >= PATH_MAX_LEN)
		dst[PATH_MAX_LEN - 1] = '\0';
}

static void idx(char *dst, const char *path, int i)
{
	if (snprintf(dst, PATH_MAX_LEN, "%s[%d]", path, i) >= PATH_MAX_LEN)
		dst[PATH_MAX_LEN - 1] = '\0';
}

/* A short text of a JSON value for error messages. */
static void show(const cJSON *v, char *buf, size_t size)
{
	char *s = cJSON_PrintUnformatted(v);

	snprintf(buf, size, "%s", s ? s : "?");
	if (s && strlen(s) >= size && size > 4)
		memcpy(buf + size - 4, "...", 4);
	free(s);
}

/* Every member of @o must be one of @keys (NULL-terminated). */
static int check_keys(struct parser *ps, const cJSON *o, const char *path,
		      const char *const *keys)
{
	const cJSON *m;
	char p[PATH_MAX_LEN];

	cJSON_ArrayForEach(m, o) {
		bool known = false;

		for (const char *const *k = keys; *k; k++)
			if (strcmp(*k, m->string) == 0)
				known = true;
		if (!known) {
			sub(p, path, m->string);
			return perr(ps, p, "unknown key");
		}
	}
	return 0;
}

static int want_object(struct parser *ps, const cJSON *v, const char *path)
{
	char buf[48];

	if (cJSON_IsObject(v))
		return 0;
	show(v, buf, sizeof(buf));
	return perr(ps, path, "%s is not an object", buf);
}

static int get_string(struct parser *ps, const cJSON *v, const char *path,
		      char **ret)
{
	char buf[48];

	if (!cJSON_IsString(v)) {
		show(v, buf, sizeof(buf));
		return perr(ps, path, "%s is not a string", buf);
	}
	*ret = strdup(v->valuestring);
	return *ret ? 0 : -ENOMEM;
}

static int get_int(struct parser *ps, const cJSON *v, const char *path,
		   long long min, long long max, long long *ret)
{
	char buf[48];
	double d;

	show(v, buf, sizeof(buf));
	if (!cJSON_IsNumber(v))
		return perr(ps, path, "%s is not a number", buf);
	d = v->valuedouble;
	if (d < (double)min || d > (double)max)
		return perr(ps, path, "%s is outside %lld..%lld", buf, min, max);
	if (d != (double)(long long)d)
		return perr(ps, path, "%s is not an integer", buf);
	*ret = (long long)d;
	return 0;
}

static int get_bool(struct parser *ps, const cJSON *v, const char *path,
		    bool *ret)
{
	char buf[48];

	if (!cJSON_IsBool(v)) {
		show(v, buf, sizeof(buf));
		return perr(ps, path, "%s is not true or false", buf);
	}
	*ret = cJSON_IsTrue(v);
	return 0;
}

/* A CPU list checked for its syntax (the host's CPUs are checked when a
 * plan is made). */
static int get_cpus(struct parser *ps, const cJSON *v, const char *path,
		    char **ret)
{
	struct rtvm_cpumask *m;
	int r;

	r = get_string(ps, v, path, ret);
	if (r < 0)
		return r;
	r = rtvm_cpumask_new_nr(RTVM_CPUMASK_MAX_CPUS, &m);
	if (r < 0)
		return r;
	r = rtvm_cpumask_parse_list(m, *ret, 0);
	rtvm_cpumask_free(m);
	if (r < 0)
		return perr(ps, path, "\"%s\" is not a CPU list", *ret);
	return 0;
}

static int parse_policy_name(const char *s, int *ret)
{
	static const struct {
		const char *name;
		int policy;
	} names[] = {
		{ "other", SCHED_OTHER }, { "batch", SCHED_BATCH },
		{ "idle", SCHED_IDLE },	  { "fifo", SCHED_FIFO },
		{ "rr", SCHED_RR },
	};

	for (size_t i = 0; i < ARRAY_SIZE(names); i++)
		if (strcmp(names[i].name, s) == 0) {
			*ret = names[i].policy;
			return 0;
		}
	return -EINVAL;
}

static bool policy_is_rt(int policy)
{
	return policy == SCHED_FIFO || policy == SCHED_RR;
}

static int parse_where(struct parser *ps, const cJSON *v, const char *path,
		       enum prof_cpus *ret, char **ret_list)
{
	char *s;
	int r;

	r = get_string(ps, v, path, &s);
	if (r < 0)
		return r;
	if (strcmp(s, "housekeeping") == 0) {
		*ret = PROF_CPUS_HOUSEKEEPING;
	} else if (strcmp(s, "rt") == 0) {
		*ret = PROF_CPUS_RT;
	} else {
		free(s);
		s = NULL;
		r = get_cpus(ps, v, path, &s);
		if (r < 0) {
			free(s);
			return r;
		}
		*ret = PROF_CPUS_LIST;
		*ret_list = s;
		return 0;
	}
	free(s);
	return 0;
}

static int parse_policy(struct parser *ps, const cJSON *o, const char *path,
			struct prof_policy *pol)
{
	static const char *const keys[] = { "policy", "priority", "nice",
					    "cpus", NULL };
	const cJSON *v;
	char p[PATH_MAX_LEN], *name = NULL;
	long long n;
	int r;

	if ((r = want_object(ps, o, path)) < 0 ||
	    (r = check_keys(ps, o, path, keys)) < 0)
		return r;
	if ((v = cJSON_GetObjectItemCaseSensitive(o, "policy"))) {
		sub(p, path, "policy");
		r = get_string(ps, v, p, &name);
		if (r < 0)
			return r;
		r = parse_policy_name(name, &pol->sched.policy);
		if (r < 0)
			r = perr(ps, p,
				 "\"%s\" is not one of other, batch, idle, fifo, rr",
				 name);
		free(name);
		if (r < 0)
			return r;
		pol->has_sched = true;
	}
	if ((v = cJSON_GetObjectItemCaseSensitive(o, "priority"))) {
		sub(p, path, "priority");
		if (!pol->has_sched || !policy_is_rt(pol->sched.policy))
			return perr(ps, p,
				    "a priority needs policy fifo or rr");
		r = get_int(ps, v, p, 1, 99, &n);
		if (r < 0)
			return r;
		pol->sched.priority = (int)n;
	} else if (pol->has_sched && policy_is_rt(pol->sched.policy)) {
		sub(p, path, "priority");
		return perr(ps, p, "missing (policy fifo and rr need 1..99)");
	}
	if ((v = cJSON_GetObjectItemCaseSensitive(o, "nice"))) {
		sub(p, path, "nice");
		if (!pol->has_sched || policy_is_rt(pol->sched.policy))
			return perr(ps, p,
				    "a nice value needs policy other, batch or idle");
		r = get_int(ps, v, p, -20, 19, &n);
		if (r < 0)
			return r;
		pol->sched.nice = (int)n;
		pol->has_nice = true;
	}
	if ((v = cJSON_GetObjectItemCaseSensitive(o, "cpus"))) {
		sub(p, path, "cpus");
		r = parse_where(ps, v, p, &pol->cpus, &pol->cpu_list);
		if (r < 0)
			return r;
	}
	return 0;
}

static int parse_vm(struct parser *ps, const cJSON *o, const char *path)
{
	static const char *const keys[] = { "uri", "domain", "pid", NULL };
	const cJSON *v;
	char p[PATH_MAX_LEN];
	long long n;
	int r;

	if ((r = want_object(ps, o, path)) < 0 ||
	    (r = check_keys(ps, o, path, keys)) < 0)
		return r;
	if ((v = cJSON_GetObjectItemCaseSensitive(o, "uri"))) {
		sub(p, path, "uri");
		if ((r = get_string(ps, v, p, &ps->p->vm_uri)) < 0)
			return r;
	}
	if ((v = cJSON_GetObjectItemCaseSensitive(o, "domain"))) {
		sub(p, path, "domain");
		if ((r = get_string(ps, v, p, &ps->p->vm_domain)) < 0)
			return r;
		if (!ps->p->vm_domain[0])
			return perr(ps, p, "\"\" is not a domain name");
	}
	if ((v = cJSON_GetObjectItemCaseSensitive(o, "pid"))) {
		sub(p, path, "pid");
		if ((r = get_int(ps, v, p, 1, 4194304, &n)) < 0)
			return r;
		ps->p->vm_pid = (pid_t)n;
		if (ps->p->vm_domain || ps->p->vm_uri)
			return perr(ps, p,
				    "a pid and a libvirt domain exclude each other");
	}
	if (ps->p->vm_uri && !ps->p->vm_domain) {
		sub(p, path, "domain");
		return perr(ps, p, "missing (a uri needs a domain)");
	}
	return 0;
}

static int parse_vcpus(struct parser *ps, const cJSON *a, const char *path)
{
	static const char *const keys[] = { "pcpu", "rt", "priority", NULL };
	struct rtvm_profile *pr = ps->p;
	const cJSON *o, *v;
	char p[PATH_MAX_LEN], q[PATH_MAX_LEN], buf[48];
	long long n;
	int i = 0, r;

	if (!cJSON_IsArray(a)) {
		show(a, buf, sizeof(buf));
		return perr(ps, path, "%s is not an array", buf);
	}
	pr->nr_vcpus = (unsigned int)cJSON_GetArraySize(a);
	if (pr->nr_vcpus == 0)
		return perr(ps, path, "[] lists no vCPU");
	pr->vcpus = calloc(pr->nr_vcpus, sizeof(*pr->vcpus));
	if (!pr->vcpus)
		return -ENOMEM;
	cJSON_ArrayForEach(o, a) {
		struct prof_vcpu *vc = &pr->vcpus[i];

		idx(p, path, i++);
		if ((r = want_object(ps, o, p)) < 0 ||
		    (r = check_keys(ps, o, p, keys)) < 0)
			return r;
		sub(q, p, "pcpu");
		v = cJSON_GetObjectItemCaseSensitive(o, "pcpu");
		if (!v)
			return perr(ps, q, "missing");
		if ((r = get_int(ps, v, q, 0, RTVM_CPUMASK_MAX_CPUS - 1, &n)) < 0)
			return r;
		vc->pcpu = (int)n;
		vc->rt = true;
		if ((v = cJSON_GetObjectItemCaseSensitive(o, "rt"))) {
			sub(q, p, "rt");
			if ((r = get_bool(ps, v, q, &vc->rt)) < 0)
				return r;
		}
		if ((v = cJSON_GetObjectItemCaseSensitive(o, "priority"))) {
			sub(q, p, "priority");
			if (!vc->rt)
				return perr(ps, q, "only RT vCPUs have a priority");
			if ((r = get_int(ps, v, q, 1, 99, &n)) < 0)
				return r;
			vc->priority = (int)n;
		}
	}
	return 0;
}

static int parse_irqs(struct parser *ps, const cJSON *o, const char *path)
{
	static const char *const keys[] = { "away_from_rt", "to_rt", NULL };
	static const char *const ekeys[] = { "match", "cpus", NULL };
	struct rtvm_profile *pr = ps->p;
	const cJSON *v, *e;
	char p[PATH_MAX_LEN], q[PATH_MAX_LEN], s[PATH_MAX_LEN], buf[48];
	int i = 0, r;

	if ((r = want_object(ps, o, path)) < 0 ||
	    (r = check_keys(ps, o, path, keys)) < 0)
		return r;
	if ((v = cJSON_GetObjectItemCaseSensitive(o, "away_from_rt"))) {
		sub(p, path, "away_from_rt");
		if ((r = get_bool(ps, v, p, &pr->irq_away)) < 0)
			return r;
	}
	v = cJSON_GetObjectItemCaseSensitive(o, "to_rt");
	if (!v)
		return 0;
	sub(p, path, "to_rt");
	if (!cJSON_IsArray(v)) {
		show(v, buf, sizeof(buf));
		return perr(ps, p, "%s is not an array", buf);
	}
	pr->nr_irqs = (unsigned int)cJSON_GetArraySize(v);
	pr->irqs = calloc(pr->nr_irqs ? pr->nr_irqs : 1, sizeof(*pr->irqs));
	if (!pr->irqs)
		return -ENOMEM;
	cJSON_ArrayForEach(e, v) {
		struct prof_irq *pi = &pr->irqs[i];
		const cJSON *f;

		idx(q, p, i++);
		if ((r = want_object(ps, e, q)) < 0 ||
		    (r = check_keys(ps, e, q, ekeys)) < 0)
			return r;
		sub(s, q, "match");
		if (!(f = cJSON_GetObjectItemCaseSensitive(e, "match")))
			return perr(ps, s, "missing");
		if ((r = get_string(ps, f, s, &pi->match)) < 0)
			return r;
		if (!pi->match[0])
			return perr(ps, s, "\"\" selects nothing");
		sub(s, q, "cpus");
		if (!(f = cJSON_GetObjectItemCaseSensitive(e, "cpus")))
			return perr(ps, s, "missing");
		if ((r = get_cpus(ps, f, s, &pi->cpus)) < 0)
			return r;
	}
	return 0;
}

static int parse_host(struct parser *ps, const cJSON *o, const char *path)
{
	static const char *const keys[] = {
		"sched_rt_runtime_us", "timer_migration", "thp", "ksm",
		"pm_qos_resume_latency_us", "workqueue_mask", NULL
	};
	static const struct {
		const char *key;
		size_t off;
		long long min, max;
	} ints[] = {
		{ "sched_rt_runtime_us", offsetof(struct rtvm_profile, rt_runtime),
		  -1, 1000000 },
		{ "timer_migration",
		  offsetof(struct rtvm_profile, timer_migration), 0, 1 },
		{ "ksm", offsetof(struct rtvm_profile, ksm), 0, 2 },
		{ "pm_qos_resume_latency_us",
		  offsetof(struct rtvm_profile, pm_qos), 0, 2000000000 },
	};
	struct rtvm_profile *pr = ps->p;
	const cJSON *v;
	char p[PATH_MAX_LEN];
	int r;

	if ((r = want_object(ps, o, path)) < 0 ||
	    (r = check_keys(ps, o, path, keys)) < 0)
		return r;
	for (size_t i = 0; i < ARRAY_SIZE(ints); i++) {
		struct prof_knob *k = (void *)((char *)pr + ints[i].off);

		if (!(v = cJSON_GetObjectItemCaseSensitive(o, ints[i].key)))
			continue;
		sub(p, path, ints[i].key);
		r = get_int(ps, v, p, ints[i].min, ints[i].max, &k->value);
		if (r < 0)
			return r;
		k->set = true;
	}
	if ((v = cJSON_GetObjectItemCaseSensitive(o, "thp"))) {
		sub(p, path, "thp");
		if ((r = get_string(ps, v, p, &pr->thp)) < 0)
			return r;
		if (strcmp(pr->thp, "always") && strcmp(pr->thp, "madvise") &&
		    strcmp(pr->thp, "never"))
			return perr(ps, p,
				    "\"%s\" is not one of always, madvise, never",
				    pr->thp);
	}
	if ((v = cJSON_GetObjectItemCaseSensitive(o, "workqueue_mask"))) {
		sub(p, path, "workqueue_mask");
		r = parse_where(ps, v, p, &pr->wq_cpus, &pr->wq_list);
		if (r < 0)
			return r;
		if (pr->wq_cpus == PROF_CPUS_RT)
			return perr(ps, p,
				    "\"rt\": unbound work belongs on housekeeping CPUs");
		pr->wq_set = true;
	}
	return 0;
}

/* A cgroup path: absolute, no empty, "." or ".." component. */
static bool cgroup_path_ok(const char *s)
{
	if (s[0] != '/' || strlen(s) > 256)
		return false;
	for (const char *c = s + 1; *c;) {
		size_t n = strcspn(c, "/");

		if (n == 0 || (n == 1 && c[0] == '.') ||
		    (n == 2 && c[0] == '.' && c[1] == '.'))
			return false;
		c += n;
		if (*c == '/' && !*++c)
			return false;
	}
	return true;
}

static int parse_shield(struct parser *ps, const cJSON *o, const char *path)
{
	static const char *const keys[] = { "scope", "per_vcpu", "kthreads",
					    NULL };
	struct rtvm_profile *pr = ps->p;
	const cJSON *v;
	char p[PATH_MAX_LEN];
	int r;

	if ((r = want_object(ps, o, path)) < 0 ||
	    (r = check_keys(ps, o, path, keys)) < 0)
		return r;
	pr->shield = true;
	pr->shield_kthreads = true;
	if ((v = cJSON_GetObjectItemCaseSensitive(o, "scope"))) {
		sub(p, path, "scope");
		if ((r = get_string(ps, v, p, &pr->shield_scope)) < 0)
			return r;
		if (!cgroup_path_ok(pr->shield_scope))
			return perr(ps, p, "\"%s\" is not a cgroup path (\"/\", \"/a/b\")",
				    pr->shield_scope);
	}
	if ((v = cJSON_GetObjectItemCaseSensitive(o, "per_vcpu"))) {
		sub(p, path, "per_vcpu");
		if ((r = get_bool(ps, v, p, &pr->shield_per_vcpu)) < 0)
			return r;
	}
	if ((v = cJSON_GetObjectItemCaseSensitive(o, "kthreads"))) {
		sub(p, path, "kthreads");
		if ((r = get_bool(ps, v, p, &pr->shield_kthreads)) < 0)
			return r;
	}
	return 0;
}

/* The same keys, limits and checks as an rtvm-boostd VM's "policy": one
 * validator for both (boost-policy-json.c). */
static int parse_boost(struct parser *ps, const cJSON *o, const char *path)
{
	struct boost_policy_json_error e;
	char p[PATH_MAX_LEN];
	int r;

	if ((r = want_object(ps, o, path)) < 0)
		return r;
	ps->p->boost = (struct rtvm_boost_policy){ .size = sizeof(ps->p->boost) };
	r = boost_policy_from_json(o, &ps->p->boost, &e);
	if (r == -EINVAL) {
		if (snprintf(p, sizeof(p), "%s%s", path, e.where) >= (int)sizeof(p))
			p[sizeof(p) - 1] = '\0';
		return perr(ps, p, "%s", e.what);
	}
	if (r < 0)
		return r;
	/* {} asks for nothing: no boost, as in the first schema. */
	ps->p->has_boost = o->child != NULL;
	return 0;
}

static int parse(struct parser *ps, const cJSON *root)
{
	static const char *const keys[] = {
		"version", "name", "vm", "rt_cpus", "housekeeping_cpus",
		"vcpus", "rt_vcpus", "policies", "provision_rt_runtime",
		"shield", "irqs", "kthreads", "host", "boost", NULL
	};
	static const char *const pkeys[] = { "rt_vcpu", "vcpu", "emulator",
					     "iothread", NULL };
	struct rtvm_profile *pr = ps->p;
	const cJSON *v;
	char p[PATH_MAX_LEN];
	long long n;
	int r;

	if ((r = want_object(ps, root, "")) < 0 ||
	    (r = check_keys(ps, root, "", keys)) < 0)
		return r;
	v = cJSON_GetObjectItemCaseSensitive(root, "version");
	if (!v)
		return perr(ps, ".version", "missing");
	if ((r = get_int(ps, v, ".version", 1, 1000000, &n)) < 0)
		return r;
	if (n != RTVM_PROFILE_VERSION)
		return perr(ps, ".version", "%lld is not supported (this library reads %d)",
			    n, RTVM_PROFILE_VERSION);
	if ((v = cJSON_GetObjectItemCaseSensitive(root, "name")) &&
	    (r = get_string(ps, v, ".name", &pr->name)) < 0)
		return r;
	if ((v = cJSON_GetObjectItemCaseSensitive(root, "vm")) &&
	    (r = parse_vm(ps, v, ".vm")) < 0)
		return r;
	if ((v = cJSON_GetObjectItemCaseSensitive(root, "rt_cpus")) &&
	    (r = get_cpus(ps, v, ".rt_cpus", &pr->rt_cpus)) < 0)
		return r;
	if ((v = cJSON_GetObjectItemCaseSensitive(root, "housekeeping_cpus")) &&
	    (r = get_cpus(ps, v, ".housekeeping_cpus", &pr->hk_cpus)) < 0)
		return r;
	if ((v = cJSON_GetObjectItemCaseSensitive(root, "vcpus")) &&
	    (r = parse_vcpus(ps, v, ".vcpus")) < 0)
		return r;
	if ((v = cJSON_GetObjectItemCaseSensitive(root, "rt_vcpus"))) {
		if (pr->vcpus)
			return perr(ps, ".rt_vcpus",
				    "give either .vcpus or .rt_vcpus, not both");
		if ((r = get_cpus(ps, v, ".rt_vcpus", &pr->rt_vcpus)) < 0)
			return r;
	}
	if ((v = cJSON_GetObjectItemCaseSensitive(root, "policies"))) {
		if ((r = want_object(ps, v, ".policies")) < 0 ||
		    (r = check_keys(ps, v, ".policies", pkeys)) < 0)
			return r;
		for (int i = 0; i < PROF_NR_ROLES; i++) {
			const cJSON *o =
				cJSON_GetObjectItemCaseSensitive(v, role_keys[i]);

			if (!o)
				continue;
			sub(p, ".policies", role_keys[i]);
			if ((r = parse_policy(ps, o, p, &pr->roles[i])) < 0)
				return r;
		}
		if (pr->roles[PROF_RT_VCPU].has_sched &&
		    !policy_is_rt(pr->roles[PROF_RT_VCPU].sched.policy))
			return perr(ps, ".policies.rt_vcpu.policy",
				    "RT vCPUs need fifo or rr");
	}
	if ((v = cJSON_GetObjectItemCaseSensitive(root, "provision_rt_runtime")) &&
	    (r = get_bool(ps, v, ".provision_rt_runtime", &pr->provision_rt)) < 0)
		return r;
	if ((v = cJSON_GetObjectItemCaseSensitive(root, "shield")) &&
	    !cJSON_IsNull(v) && (r = parse_shield(ps, v, ".shield")) < 0)
		return r;
	if ((v = cJSON_GetObjectItemCaseSensitive(root, "irqs")) &&
	    (r = parse_irqs(ps, v, ".irqs")) < 0)
		return r;
	if ((v = cJSON_GetObjectItemCaseSensitive(root, "kthreads")) &&
	    !cJSON_IsNull(v)) {
		struct rtvm_cpumask *m = NULL;
		struct rtvm_sched s;

		if ((r = get_string(ps, v, ".kthreads", &pr->kthreads)) < 0)
			return r;
		r = rtvm_cpumask_new_nr(1, &m);
		if (r == 0)
			r = rtvm_kthread_rule(pr->kthreads, "x", m, &s);
		rtvm_cpumask_free(m);
		if (r == -ENOENT)
			return perr(ps, ".kthreads",
				    "\"%s\" is not a kernel thread profile (rt-host)",
				    pr->kthreads);
		if (r < 0)
			return r;
	}
	if ((v = cJSON_GetObjectItemCaseSensitive(root, "host")) &&
	    (r = parse_host(ps, v, ".host")) < 0)
		return r;
	if ((v = cJSON_GetObjectItemCaseSensitive(root, "boost")) &&
	    (r = parse_boost(ps, v, ".boost")) < 0)
		return r;
	return 0;
}

RTVM_EXPORT struct rtvm_profile *rtvm_profile_ref(struct rtvm_profile *p)
{
	if (p)
		p->refcount++;
	return p;
}

RTVM_EXPORT struct rtvm_profile *rtvm_profile_unref(struct rtvm_profile *p)
{
	if (!p || --p->refcount > 0)
		return NULL;
	for (int i = 0; i < PROF_NR_ROLES; i++)
		free(p->roles[i].cpu_list);
	for (unsigned int i = 0; i < p->nr_irqs; i++) {
		free(p->irqs[i].match);
		free(p->irqs[i].cpus);
	}
	free(p->irqs);
	free(p->vcpus);
	free(p->json);
	free(p->normal);
	free(p->name);
	free(p->vm_uri);
	free(p->vm_domain);
	free(p->rt_cpus);
	free(p->hk_cpus);
	free(p->rt_vcpus);
	free(p->kthreads);
	free(p->thp);
	free(p->wq_list);
	free(p->shield_scope);
	rtvm_unref(p->ctx);
	free(p);
	return NULL;
}

static int cmp_key(const void *a, const void *b)
{
	const cJSON *x = *(cJSON *const *)a, *y = *(cJSON *const *)b;

	return strcmp(x->string, y->string);
}

/* Every object's members in byte order of their keys, at every depth.
 * Keys are unique (the strict parser refuses a key twice), so the order
 * is total and two documents that differ only in key order and
 * whitespace print the same. */
static int sort_keys(cJSON *v)
{
	unsigned int n = 0, i = 0;
	cJSON *c, **arr;

	for (c = v->child; c; c = c->next) {
		int r = sort_keys(c);

		if (r < 0)
			return r;
		n++;
	}
	if (!cJSON_IsObject(v) || n < 2)
		return 0;
	arr = malloc(n * sizeof(*arr));
	if (!arr)
		return -ENOMEM;
	for (c = v->child; c; c = c->next)
		arr[i++] = c;
	qsort(arr, n, sizeof(*arr), cmp_key);
	for (i = 0; i < n; i++) {
		arr[i]->prev = i ? arr[i - 1] : arr[n - 1]; /* cJSON: the
							    * head's prev is
							    * the tail */
		arr[i]->next = i + 1 < n ? arr[i + 1] : NULL;
	}
	v->child = arr[0];
	free(arr);
	return 0;
}

RTVM_EXPORT int rtvm_profile_new_from_json(struct rtvm_ctx *ctx,
					   const char *json,
					   struct rtvm_profile **ret)
{
	struct parser ps = { .ctx = ctx };
	cJSON *root;
	int r;

	if (!ctx || !json || !ret)
		return -EINVAL;
	/* Strict below the schema too: UTF-8, no repeated key, nothing
	 * after the document (json-strict.c). */
	r = rtvm_json_parse_strict(ctx, "profile", json, 0, &root);
	if (r < 0)
		return r;
	ps.p = calloc(1, sizeof(*ps.p));
	if (!ps.p) {
		cJSON_Delete(root);
		return -ENOMEM;
	}
	ps.p->refcount = 1;
	ps.p->ctx = rtvm_ref(ctx);
	r = parse(&ps, root);
	if (r == 0) {
		ps.p->json = cJSON_PrintUnformatted(root);
		if (!ps.p->json)
			r = -ENOMEM;
	}
	if (r == 0)
		r = sort_keys(root);
	if (r == 0) {
		ps.p->normal = cJSON_PrintUnformatted(root);
		if (!ps.p->normal)
			r = -ENOMEM;
	}
	cJSON_Delete(root);
	if (r < 0) {
		rtvm_profile_unref(ps.p);
		return r;
	}
	*ret = ps.p;
	return 0;
}

RTVM_EXPORT int rtvm_profile_new_builtin(struct rtvm_ctx *ctx,
					 const char *name,
					 struct rtvm_profile **ret)
{
	if (!ctx || !name || !ret)
		return -EINVAL;
	for (size_t i = 0; i < ARRAY_SIZE(builtins); i++)
		if (strcmp(builtins[i].name, name) == 0)
			return rtvm_profile_new_from_json(ctx, builtins[i].json,
							  ret);
	err(ctx, "no built-in profile \"%s\" (rt-host, nova-rt, kubevirt-rt)",
	    name);
	return -ENOENT;
}

RTVM_EXPORT const char *rtvm_profile_get_builtin(unsigned int index,
						 const char **ret_description)
{
	if (index >= ARRAY_SIZE(builtins))
		return NULL;
	if (ret_description)
		*ret_description = builtins[index].description;
	return builtins[index].name;
}

RTVM_EXPORT const char *rtvm_profile_get_name(const struct rtvm_profile *p)
{
	return p ? p->name : NULL;
}

RTVM_EXPORT int rtvm_profile_to_json(const struct rtvm_profile *p,
				     char **ret)
{
	if (!p || !ret)
		return -EINVAL;
	*ret = strdup(p->json);
	return *ret ? 0 : -ENOMEM;
}

RTVM_EXPORT int rtvm_profile_get_vm(const struct rtvm_profile *p,
				    const char **ret_uri,
				    const char **ret_domain, pid_t *ret_pid)
{
	if (!p)
		return -EINVAL;
	if (ret_uri)
		*ret_uri = p->vm_uri;
	if (ret_domain)
		*ret_domain = p->vm_domain;
	if (ret_pid)
		*ret_pid = p->vm_pid;
	return p->vm_domain || p->vm_pid ? 0 : -ENOENT;
}

RTVM_EXPORT int rtvm_profile_get_boost_policy(const struct rtvm_profile *p,
					     struct rtvm_boost_policy *ret)
{
	if (!p || !ret)
		return -EINVAL;
	if (!p->has_boost)
		return -ENOENT;
	*ret = p->boost;
	return 0;
}
