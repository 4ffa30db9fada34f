/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* rtvm-top --report: a recording (rtvm-top --record FILE, the --json lines)
 * summarized per thread and per RT CPU, with percentiles of the per-interval
 * figures, and drawn as time series through gnuplot. */
#include "config.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tool.h"
#include "top-report.h"

/* The figures of one interval of one thread. */
struct point {
	double t_s;	    /* since the recording's first sample */
	double cpu_pct;	    /* of the interval */
	double delay_pct;   /* run delay, of the interval */
	double preempt_s;   /* involuntary switches per second */
};

struct series {
	int vm_pid, tid, vcpu; /* vcpu -1: not a vCPU */
	char *vm_name, *name, *role;
	struct point *p;
	size_t n, cap;
	double delay_ns, cpu_ns, involuntary; /* totals */
	size_t throttled; /* intervals RT throttling held it back */
};

struct cpu_total {
	int cpu;
	bool rt;
	double irq[6];	 /* device, LOC, RES, CAL, TLB, other */
	double busy_ns;
	double smis;	 /* over the intervals where they were counted */
	size_t smi_intervals;
};

struct intruder_total {
	int pid, cpu;
	char *name;
	double cpu_ns;
	unsigned int samples;
};

struct recording {
	struct series *s;
	size_t ns;
	struct cpu_total *c;
	size_t nc;
	struct intruder_total *in;
	size_t nin;
	size_t samples;
	double first_time, last_time, elapsed_s;
};

static const char *const irq_keys[6] = { "device", "LOC", "RES", "CAL",
					 "TLB", "other" };

static double num(const cJSON *o, const char *key, double dflt)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);

	return cJSON_IsNumber(v) ? v->valuedouble : dflt;
}

static const char *str(const cJSON *o, const char *key)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);

	return cJSON_IsString(v) ? v->valuestring : NULL;
}

/* Grows *@p (of *@cap elements of @size) to hold @n + 1; -ENOMEM. */
static int grow(void **p, size_t *cap, size_t n, size_t size)
{
	void *q;
	size_t c;

	if (n < *cap)
		return 0;
	c = *cap ? *cap * 2 : 16;
	q = realloc(*p, c * size);
	if (!q)
		return -ENOMEM;
	memset((char *)q + *cap * size, 0, (c - *cap) * size);
	*p = q;
	*cap = c;
	return 0;
}

static struct series *find_series(struct recording *rec, size_t *cap,
				  const cJSON *vm, const cJSON *th)
{
	int pid = (int)num(vm, "pid", -1), tid = (int)num(th, "tid", -1);
	const char *vname = str(vm, "name"), *name = str(th, "name");
	const char *role = str(th, "role");
	struct series *s;

	for (size_t i = 0; i < rec->ns; i++)
		if (rec->s[i].vm_pid == pid && rec->s[i].tid == tid)
			return &rec->s[i];
	if (grow((void **)&rec->s, cap, rec->ns, sizeof(*rec->s)) < 0)
		return NULL;
	s = &rec->s[rec->ns];
	s->vm_pid = pid;
	s->tid = tid;
	s->vcpu = (int)num(th, "vcpu", -1);
	s->vm_name = vname ? strdup(vname) : NULL;
	s->name = strdup(name ? name : "?");
	s->role = strdup(role ? role : "?");
	if (!s->name || !s->role || (vname && !s->vm_name)) {
		free(s->vm_name);
		free(s->name);
		free(s->role);
		return NULL;
	}
	rec->ns++;
	return s;
}

/* One sample line into @rec; -EBADMSG when it is not an rtvm-top sample. */
static int add_sample(struct recording *rec, size_t caps[3], const cJSON *j)
{
	const cJSON *vms = cJSON_GetObjectItemCaseSensitive(j, "vms");
	const cJSON *cpus = cJSON_GetObjectItemCaseSensitive(j, "cpus");
	const cJSON *intr = cJSON_GetObjectItemCaseSensitive(j, "intruders");
	const cJSON *vm, *th, *c, *in;
	double iv = num(j, "interval_ns", -1), t;

	if (!cJSON_IsObject(j) || iv < 0 || !cJSON_IsArray(vms))
		return -EBADMSG;
	t = num(j, "time", 0);
	if (rec->samples == 0)
		rec->first_time = t;
	rec->last_time = t;
	rec->elapsed_s += iv / 1e9;
	rec->samples++;
	cJSON_ArrayForEach(vm, vms) {
		cJSON_ArrayForEach(th, cJSON_GetObjectItemCaseSensitive(vm, "threads")) {
			struct series *s = find_series(rec, &caps[0], vm, th);
			double cpu = num(th, "cpu_ns", NAN);
			double delay = num(th, "run_delay_ns", NAN);
			double inv = num(th, "involuntary", NAN);
			struct point *p;

			if (!s || grow((void **)&s->p, &s->cap, s->n,
				       sizeof(*s->p)) < 0)
				return -ENOMEM;
			p = &s->p[s->n++];
			p->t_s = rec->elapsed_s;
			p->cpu_pct = iv > 0 ? 100.0 * cpu / iv : NAN;
			p->delay_pct = iv > 0 ? 100.0 * delay / iv : NAN;
			p->preempt_s = iv > 0 ? inv * 1e9 / iv : NAN;
			if (!isnan(cpu))
				s->cpu_ns += cpu;
			if (!isnan(delay))
				s->delay_ns += delay;
			if (!isnan(inv))
				s->involuntary += inv;
			if (cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(
				    cJSON_GetObjectItemCaseSensitive(th, "rt_limit"),
				    "throttled")))
				s->throttled++;
		}
	}
	cJSON_ArrayForEach(c, cpus) {
		const cJSON *irq = cJSON_GetObjectItemCaseSensitive(c, "interrupts");
		int cpu = (int)num(c, "cpu", -1);
		struct cpu_total *ct = NULL;

		for (size_t i = 0; i < rec->nc; i++)
			if (rec->c[i].cpu == cpu)
				ct = &rec->c[i];
		if (!ct) {
			if (grow((void **)&rec->c, &caps[1], rec->nc,
				 sizeof(*rec->c)) < 0)
				return -ENOMEM;
			ct = &rec->c[rec->nc++];
			ct->cpu = cpu;
		}
		ct->rt = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(c, "rt"));
		for (int k = 0; k < 6; k++)
			ct->irq[k] += num(irq, irq_keys[k], 0);
		if (cJSON_IsNumber(cJSON_GetObjectItemCaseSensitive(c, "smis"))) {
			ct->smis += num(c, "smis", 0);
			ct->smi_intervals++;
		}
		ct->busy_ns += num(c, "user_ns", 0) + num(c, "nice_ns", 0) +
			       num(c, "system_ns", 0) + num(c, "irq_ns", 0) +
			       num(c, "softirq_ns", 0) + num(c, "steal_ns", 0);
	}
	cJSON_ArrayForEach(in, intr) {
		int pid = (int)num(in, "pid", -1), cpu = (int)num(in, "cpu", -1);
		const char *name = str(in, "name");
		struct intruder_total *it = NULL;

		for (size_t i = 0; i < rec->nin; i++)
			if (rec->in[i].pid == pid && rec->in[i].cpu == cpu &&
			    !strcmp(rec->in[i].name, name ? name : "?"))
				it = &rec->in[i];
		if (!it) {
			if (grow((void **)&rec->in, &caps[2], rec->nin,
				 sizeof(*rec->in)) < 0 ||
			    !(rec->in[rec->nin].name = strdup(name ? name : "?")))
				return -ENOMEM;
			it = &rec->in[rec->nin++];
			it->pid = pid;
			it->cpu = cpu;
		}
		it->cpu_ns += num(in, "cpu_ns", 0);
		it->samples++;
	}
	return 0;
}

static void recording_free(struct recording *rec)
{
	for (size_t i = 0; i < rec->ns; i++) {
		free(rec->s[i].vm_name);
		free(rec->s[i].name);
		free(rec->s[i].role);
		free(rec->s[i].p);
	}
	for (size_t i = 0; i < rec->nin; i++)
		free(rec->in[i].name);
	free(rec->s);
	free(rec->c);
	free(rec->in);
}

/* Reads @path; an error on stderr naming the file and line. */
static int load(const char *path, struct recording *rec)
{
	size_t caps[3] = { 0 }, len = 0, lineno = 0;
	FILE *f = fopen(path, "r");
	char *line = NULL;
	ssize_t n;
	int r = 0;

	if (!f) {
		r = -errno;
		tool_error("--report %s: %s", tool_escape(path, 0), strerror(-r));
		return r;
	}
	while ((n = getline(&line, &len, f)) > 0) {
		bool last = line[n - 1] != '\n';
		cJSON *j;

		lineno++;
		if (n == 1 && line[0] == '\n')
			continue; /* an empty line */
		j = cJSON_ParseWithLength(line, (size_t)n);
		if (!j && last) {
			/* A recording cut off mid-line (the recorder was
			 * killed): the whole lines before it still count. */
			fprintf(stderr, "%s: %s:%zu: the last line is cut off; "
				"it is left out\n", program_name,
				tool_escape(path, 0), lineno);
			break;
		}
		r = j ? add_sample(rec, caps, j) : -EBADMSG;
		cJSON_Delete(j);
		if (r < 0) {
			tool_error("%s:%zu: %s", tool_escape(path, 0), lineno,
				   r == -EBADMSG ? "not an rtvm-top sample "
				   "(rtvm-top --record or --json writes them)" :
				   strerror(-r));
			break;
		}
	}
	if (r == 0 && ferror(f)) {
		r = -EIO;
		tool_error("--report %s: %s", tool_escape(path, 0), strerror(EIO));
	}
	if (r == 0 && rec->samples == 0) {
		r = -ENODATA;
		tool_error("--report %s: no samples in the file",
			   tool_escape(path, 0));
	}
	free(line);
	fclose(f);
	return r;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

struct pcts {
	double p50, p99, max;
	size_t n; /* intervals with the figure */
};

/* Nearest-rank percentiles of one field of @s's points, NaNs left out. */
static struct pcts percentiles(const struct series *s, size_t off)
{
	struct pcts r = { NAN, NAN, NAN, 0 };
	double *v = malloc((s->n ? s->n : 1) * sizeof(*v));

	if (!v)
		return r;
	for (size_t i = 0; i < s->n; i++) {
		double x = *(const double *)((const char *)&s->p[i] + off);

		if (!isnan(x))
			v[r.n++] = x;
	}
	if (r.n) {
		qsort(v, r.n, sizeof(*v), cmp_double);
		r.p50 = v[(size_t)ceil(0.50 * (double)r.n) - 1];
		r.p99 = v[(size_t)ceil(0.99 * (double)r.n) - 1];
		r.max = v[r.n - 1];
	}
	free(v);
	return r;
}

static const size_t fields[3] = { offsetof(struct point, cpu_pct),
				  offsetof(struct point, delay_pct),
				  offsetof(struct point, preempt_s) };
static const char *const field_keys[3] = { "cpu_pct", "run_delay_pct",
					   "preemptions_per_s" };

static void print_text(const char *path, const struct recording *rec)
{
	int last_vm = -1;

	printf("%s: %zu samples over %.1f s\n", tool_escape(path, 0),
	       rec->samples, rec->elapsed_s);
	for (size_t i = 0; i < rec->ns; i++) {
		const struct series *s = &rec->s[i];
		struct pcts p[3];
		char who[48];

		if (s->vm_pid != last_vm) {
			last_vm = s->vm_pid;
			printf("\nVM %d%s%s%s\n  %-16s %7s %5s | %-20s | %-20s | "
			       "%-20s | %9s %8s\n", s->vm_pid,
			       s->vm_name ? " (" : "",
			       s->vm_name ? tool_escape(s->vm_name, 0) : "",
			       s->vm_name ? ")" : "", "THREAD", "TID", "N",
			       "CPU% p50/p99/max", "WAIT% p50/p99/max",
			       "PREEMPT/s p50/p99/mx", "WAIT-ms", "PREEMPT");
		}
		for (int k = 0; k < 3; k++)
			p[k] = percentiles(s, fields[k]);
		if (s->vcpu >= 0)
			snprintf(who, sizeof(who), "vcpu%d", s->vcpu);
		else
			snprintf(who, sizeof(who), "%s", s->role);
		printf("  %-16s %7d %5zu | %6.1f %6.1f %6.1f | %6.2f %6.2f %6.2f "
		       "| %6.0f %6.0f %6.0f | %9.1f %8.0f  %s\n", who, s->tid,
		       s->n, p[0].p50, p[0].p99, p[0].max, p[1].p50, p[1].p99,
		       p[1].max, p[2].p50, p[2].p99, p[2].max,
		       s->delay_ns / 1e6, s->involuntary,
		       tool_escape(s->name, 0));
		if (s->throttled)
			printf("  %-16s RT throttling held it back in %zu of %zu "
			       "intervals\n", who, s->throttled, s->n);
	}
	for (size_t i = 0; i < rec->nc; i++) {
		const struct cpu_total *c = &rec->c[i];

		if (!c->rt)
			continue;
		printf("\nRT CPU %d: busy %.1f%%; per second: device IRQs %.1f, "
		       "LOC %.1f, RES %.1f, CAL %.1f, TLB %.1f, other %.1f\n",
		       c->cpu, rec->elapsed_s > 0 ?
		       100.0 * c->busy_ns / (rec->elapsed_s * 1e9) : 0.0,
		       c->irq[0] / rec->elapsed_s, c->irq[1] / rec->elapsed_s,
		       c->irq[2] / rec->elapsed_s, c->irq[3] / rec->elapsed_s,
		       c->irq[4] / rec->elapsed_s, c->irq[5] / rec->elapsed_s);
		if (c->smi_intervals)
			printf("  SMIs %.0f in %zu of %zu intervals counted\n",
			       c->smis, c->smi_intervals, rec->samples);
		else
			printf("  SMIs not counted (MSR 0x34 was not readable)\n");
		for (size_t k = 0; k < rec->nin; k++)
			if (rec->in[k].cpu == c->cpu)
				printf("  intruder %-16s pid %-7d %9.1f ms CPU in "
				       "%u samples\n",
				       tool_escape(rec->in[k].name, 0),
				       rec->in[k].pid, rec->in[k].cpu_ns / 1e6,
				       rec->in[k].samples);
	}
}

/* A figure or null (NaN: the recording did not have it). */
static void add_num(cJSON *o, const char *key, double v)
{
	if (isnan(v))
		cJSON_AddNullToObject(o, key);
	else
		cJSON_AddNumberToObject(o, key, v);
}

static int print_json(const char *path, const struct recording *rec)
{
	cJSON *root = cJSON_CreateObject(), *vms, *cpus, *jv = NULL;
	int last_vm = -1, r;

	cJSON_AddStringToObject(root, "file", tool_escape(path, 0));
	cJSON_AddNumberToObject(root, "samples", (double)rec->samples);
	cJSON_AddNumberToObject(root, "elapsed_s", rec->elapsed_s);
	cJSON_AddNumberToObject(root, "first_time", rec->first_time);
	cJSON_AddNumberToObject(root, "last_time", rec->last_time);
	vms = cJSON_AddArrayToObject(root, "vms");
	for (size_t i = 0; i < rec->ns; i++) {
		const struct series *s = &rec->s[i];
		cJSON *jt = cJSON_CreateObject();

		if (s->vm_pid != last_vm || !jv) {
			last_vm = s->vm_pid;
			jv = cJSON_CreateObject();
			cJSON_AddNumberToObject(jv, "pid", s->vm_pid);
			if (s->vm_name)
				cJSON_AddStringToObject(jv, "name", s->vm_name);
			else
				cJSON_AddNullToObject(jv, "name");
			cJSON_AddArrayToObject(jv, "threads");
			cJSON_AddItemToArray(vms, jv);
		}
		cJSON_AddNumberToObject(jt, "tid", s->tid);
		cJSON_AddStringToObject(jt, "role", s->role);
		if (s->vcpu >= 0)
			cJSON_AddNumberToObject(jt, "vcpu", s->vcpu);
		cJSON_AddStringToObject(jt, "name", s->name);
		cJSON_AddNumberToObject(jt, "intervals", (double)s->n);
		for (int k = 0; k < 3; k++) {
			struct pcts p = percentiles(s, fields[k]);
			cJSON *jp = cJSON_AddObjectToObject(jt, field_keys[k]);

			add_num(jp, "p50", p.p50);
			add_num(jp, "p99", p.p99);
			add_num(jp, "max", p.max);
		}
		cJSON_AddNumberToObject(jt, "cpu_ns", s->cpu_ns);
		cJSON_AddNumberToObject(jt, "run_delay_ns", s->delay_ns);
		cJSON_AddNumberToObject(jt, "involuntary", s->involuntary);
		cJSON_AddNumberToObject(jt, "rt_throttled_intervals",
					(double)s->throttled);
		cJSON_AddItemToArray(cJSON_GetObjectItemCaseSensitive(jv, "threads"),
				     jt);
	}
	cpus = cJSON_AddArrayToObject(root, "cpus");
	for (size_t i = 0; i < rec->nc; i++) {
		const struct cpu_total *c = &rec->c[i];
		cJSON *jc = cJSON_CreateObject(), *irq, *intr;

		cJSON_AddNumberToObject(jc, "cpu", c->cpu);
		cJSON_AddBoolToObject(jc, "rt", c->rt);
		cJSON_AddNumberToObject(jc, "busy_ns", c->busy_ns);
		irq = cJSON_AddObjectToObject(jc, "interrupts");
		for (int k = 0; k < 6; k++)
			cJSON_AddNumberToObject(irq, irq_keys[k], c->irq[k]);
		if (c->smi_intervals)
			cJSON_AddNumberToObject(jc, "smis", c->smis);
		else
			cJSON_AddNullToObject(jc, "smis");
		cJSON_AddNumberToObject(jc, "smi_intervals",
					(double)c->smi_intervals);
		intr = cJSON_AddArrayToObject(jc, "intruders");
		for (size_t k = 0; k < rec->nin; k++) {
			cJSON *ji;

			if (rec->in[k].cpu != c->cpu)
				continue;
			ji = cJSON_CreateObject();
			cJSON_AddNumberToObject(ji, "pid", rec->in[k].pid);
			cJSON_AddStringToObject(ji, "name", rec->in[k].name);
			cJSON_AddNumberToObject(ji, "cpu_ns", rec->in[k].cpu_ns);
			cJSON_AddNumberToObject(ji, "samples", rec->in[k].samples);
			cJSON_AddItemToArray(intr, ji);
		}
		cJSON_AddItemToArray(cpus, jc);
	}
	r = tool_print_json(root, true);
	cJSON_Delete(root);
	return r;
}

/* Time series of the vCPUs' run delay and preemptions, one line each. */
static int plot(const struct recording *rec, const char *out)
{
	char dat[] = "/tmp/rtvm-top-plot.XXXXXX";
	size_t len = strlen(out);
	bool png = len > 4 && !strcmp(out + len - 4, ".png"), first = true;
	FILE *f, *g;
	int fd, r;

	if (system("command -v gnuplot >/dev/null 2>&1") != 0)
		return -ENOENT;
	fd = mkstemp(dat);
	if (fd < 0)
		return -errno;
	f = fdopen(fd, "w");
	if (!f) {
		r = -errno;
		close(fd);
		unlink(dat);
		return r;
	}
	for (size_t i = 0; i < rec->ns; i++) {
		for (size_t k = 0; k < rec->s[i].n; k++)
			fprintf(f, "%.6f %.4f %.2f\n", rec->s[i].p[k].t_s,
				rec->s[i].p[k].delay_pct,
				rec->s[i].p[k].preempt_s);
		fprintf(f, "\n\n");
	}
	if (fclose(f) != 0) {
		r = -errno;
		unlink(dat);
		return r;
	}
	g = popen("gnuplot", "w");
	if (!g) {
		r = -errno;
		unlink(dat);
		return r;
	}
	fprintf(g, "set terminal %s size 1000,700\nset output '%s'\n"
		   "set multiplot layout 2,1 title 'rtvm-top: %zu samples'\n"
		   "set key outside right\nset xlabel 'seconds'\n",
		png ? "pngcairo" : "svg", out, rec->samples);
	for (int panel = 0; panel < 2; panel++) {
		fprintf(g, "set ylabel '%s'\nplot ",
			panel ? "preemptions per second" : "run delay (% of time)");
		first = true;
		for (size_t i = 0; i < rec->ns; i++) {
			const struct series *s = &rec->s[i];
			char title[96];

			if (s->vcpu >= 0)
				snprintf(title, sizeof(title), "VM %d vcpu%d",
					 s->vm_pid, s->vcpu);
			else
				snprintf(title, sizeof(title), "VM %d %s %d",
					 s->vm_pid, s->role, s->tid);
			fprintf(g, "%s'%s' index %zu using 1:%d with lines "
				   "title '%s'", first ? "" : ", ", dat, i,
				panel ? 3 : 2, title);
			first = false;
		}
		fprintf(g, "\n");
	}
	fprintf(g, "unset multiplot\n");
	r = pclose(g);
	unlink(dat);
	return r == 0 ? 0 : -EIO;
}

int top_report(const char *path, bool json, const char *plot_file)
{
	struct recording rec = { 0 };
	int r = load(path, &rec);

	if (r == 0)
		r = json ? print_json(path, &rec) : (print_text(path, &rec), 0);
	if (r == 0 && plot_file && strchr(plot_file, '\'')) {
		/* gnuplot's script quotes the name with ' */
		tool_error("--plot: \"%s\": a file name with ' is not taken",
			   tool_escape(plot_file, 0));
		r = -EINVAL;
	} else if (r == 0 && plot_file) {
		r = plot(&rec, plot_file);
		if (r == -ENOENT)
			tool_error("--plot: gnuplot is not installed (Debian: "
				   "gnuplot-nox)");
		else if (r < 0)
			tool_error("--plot: gnuplot failed to write %s",
				   tool_escape(plot_file, 0));
	}
	recording_free(&rec);
	return r;
}
