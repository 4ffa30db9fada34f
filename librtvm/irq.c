/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The host's interrupts: a read-only inventory (the interrupts file of
 * procfs, the irq/N directories of procfs and kernel/irq/N of sysfs, the
 * PCI devices' msi_irqs, the threaded handlers' kernel threads), and
 * steering: affinity by rule, with an error class per IRQ and undo records.
 */
#include "config.h"

#include <ctype.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <limits.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "librtvm-private.h"

struct rtvm_irq {
	bool numbered;
	unsigned int number;
	char *name;	/* actions, or the system line's label */
	enum rtvm_irq_kind kind;
	char *chip;
	char *hwirq;
	const char *trigger; /* static: "edge", "level" */
	unsigned long long *counts; /* by CPU */
	unsigned int nr_counts;
	unsigned long long total;
	struct rtvm_cpumask *aff;
	struct rtvm_cpumask *eff;
	int node;
	bool read_only; /* smp_affinity_list has no write permission */
	bool managed;
	bool movable;
	char *pci;
	char *driver;
	char *netdev;
	pid_t thread;
};

struct rtvm_irqs {
	int refcount;
	struct rtvm_ctx *ctx;
	bool sysroot;
	int irqdir; /* the irq directory of procfs, for short lookups */
	unsigned int nr_cpus; /* length of every counts array */
	size_t n, nr_numbered;
	struct rtvm_irq *v;   /* numbered, sorted, then system lines */
	unsigned int nr_unparsed, first_unparsed; /* lines of interrupts */
};

static void irq_clear(struct rtvm_irq *q)
{
	free(q->name);
	free(q->chip);
	free(q->hwirq);
	free(q->counts);
	rtvm_cpumask_free(q->aff);
	rtvm_cpumask_free(q->eff);
	free(q->pci);
	free(q->driver);
	free(q->netdev);
}

/* What an inventory may leave out (steering needs no node, and the PCI
 * devices and handler threads only when its rules use them). */
#define LOAD_NO_PCI (1u << 0)
#define LOAD_NO_THREADS (1u << 1)
#define LOAD_NO_NODE (1u << 2)
#define LOAD_AFFINITY_ONLY (1u << 3) /* no effective affinity, no file mode */

static void irqs_free(struct rtvm_irqs *irqs)
{
	if (irqs->irqdir >= 0)
		close(irqs->irqdir);
	for (size_t i = 0; i < irqs->n; i++)
		irq_clear(&irqs->v[i]);
	free(irqs->v);
	rtvm_unref(irqs->ctx);
	free(irqs);
}

/* ---- the interrupts file ---------------------------------------------- */

#define PROC rtvm_fs_top(RTVM_FS_PROC) /* in messages */

/* Where "CPU<n>" starts at @p: n, and the end in *end; -1 if it is not. */
static long header_column(const char *p, const char **end)
{
	unsigned long c = 0;
	const char *s = p + 3;

	if (strncmp(p, "CPU", 3) != 0 || !isdigit((unsigned char)*s))
		return -1;
	for (; isdigit((unsigned char)*s); s++) {
		c = c * 10 + (unsigned long)(*s - '0');
		if (c >= RTVM_CPUMASK_MAX_CPUS)
			return -1;
	}
	if (*s && *s != ' ' && *s != '\t')
		return -1;
	*end = s;
	return (long)c;
}

/* The header: "CPU0 CPU1 ...", one column per online CPU, ascending. */
static int parse_header(struct rtvm_ctx *ctx, const char *line,
			struct rtvm_interrupts *in)
{
	size_t alloc = 0;

	for (const char *p = line; *p;) {
		const char *end = p;
		long c;

		while (*p == ' ' || *p == '\t')
			p++;
		if (!*p)
			break;
		c = header_column(p, &end);
		if (c < 0 ||
		    (in->ncols && (unsigned int)c <= in->cols[in->ncols - 1])) {
			size_t len = strcspn(p, " \t");

			err(ctx, "%s/interrupts: line 1, column %u: \"%.*s\" "
			    "is not CPU0..CPU%u in ascending order",
			    PROC, in->ncols + 1, len > 24 ? 24 : (int)len, p,
			    RTVM_CPUMASK_MAX_CPUS - 1);
			return -EBADMSG;
		}
		if (in->ncols == alloc) {
			size_t a = alloc ? alloc * 2 : 64;
			unsigned int *n = realloc(in->cols, a * sizeof(*n));

			if (!n)
				return -ENOMEM;
			in->cols = n;
			alloc = a;
		}
		in->cols[in->ncols++] = (unsigned int)c;
		p = end;
	}
	if (!in->ncols) {
		err(ctx, "%s/interrupts: line 1 has no CPU column", PROC);
		return -EBADMSG;
	}
	return 0;
}

/* One line after the header, split into *l (@vals has room for every
 * column); false when it does not parse. */
static bool split_line(const struct rtvm_interrupts *in, char *line,
		       unsigned long long *vals, struct rtvm_interrupts_line *l)
{
	char *p = line, *colon = strchr(line, ':');

	if (!colon)
		return false;
	while (*p == ' ' || *p == '\t')
		p++;
	if (colon == p || colon - p > RTVM_INTERRUPTS_LABEL_MAX)
		return false;
	for (char *s = p; s < colon; s++)
		if (!isalnum((unsigned char)*s) && !ispunct((unsigned char)*s))
			return false;
	l->numbered = isdigit((unsigned char)*p);
	if (l->numbered) {
		char *end;
		unsigned long n;

		errno = 0;
		n = strtoul(p, &end, 10);
		if (errno || end != colon || n > 0xffffffffUL)
			return false;
		l->number = (unsigned int)n;
	}
	l->label = p;
	p = colon + 1;
	l->nvals = 0;
	for (; l->nvals < in->ncols; l->nvals++) {
		char *end;

		while (*p == ' ' || *p == '\t')
			p++;
		if (!isdigit((unsigned char)*p))
			break;
		errno = 0;
		vals[l->nvals] = strtoull(p, &end, 10);
		if (errno || (*end && *end != ' ' && *end != '\t'))
			return false;
		p = end;
	}
	l->vals = vals;
	l->rest = p;
	/* A numbered IRQ has a count for every column; ERR and MIS one. */
	if (l->nvals != in->ncols && (l->numbered || l->nvals != 1))
		return false;
	*colon = '\0'; /* the label's end */
	return true;
}

int rtvm_interrupts_parse(struct rtvm_ctx *ctx, char *text,
			  struct rtvm_interrupts *in,
			  int (*fn)(void *data,
				    const struct rtvm_interrupts *in,
				    const struct rtvm_interrupts_line *l),
			  void *data)
{
	unsigned long long *vals = NULL;
	unsigned int lineno = 1, nr_lines = 0;
	char *line = text, *next;
	int r;

	*in = (struct rtvm_interrupts){0};
	next = strchr(line, '\n');
	if (next)
		*next++ = '\0';
	r = parse_header(ctx, line, in);
	if (r < 0)
		goto fail;
	vals = malloc(in->ncols * sizeof(*vals));
	if (!vals) {
		r = -ENOMEM;
		goto fail;
	}
	for (line = next; line && *line; line = next) {
		struct rtvm_interrupts_line l = { .lineno = ++lineno };

		next = strchr(line, '\n');
		if (next)
			*next++ = '\0';
		if (!line[strspn(line, " \t")])
			continue; /* blank */
		nr_lines++;
		if (!split_line(in, line, vals, &l)) {
			if (!in->nr_bad++)
				in->first_bad = lineno;
			if (in->nr_bad <= 3)
				err(ctx, "%s/interrupts: line %u does not "
				    "parse: \"%.60s\"", PROC, lineno, line);
			continue;
		}
		in->nr_parsed++;
		r = fn(data, in, &l);
		if (r < 0)
			goto fail;
	}
	if (in->nr_bad > 3)
		err(ctx, "%s/interrupts: %u lines do not parse (first: "
		    "line %u)", PROC, in->nr_bad, in->first_bad);
	if (nr_lines && !in->nr_parsed) {
		err(ctx, "%s/interrupts: none of its %u lines after the "
		    "header parses", PROC, nr_lines);
		r = -EBADMSG;
		goto fail;
	}
	free(vals);
	return 0;
fail:
	free(vals);
	rtvm_interrupts_done(in);
	return r;
}

void rtvm_interrupts_done(struct rtvm_interrupts *in)
{
	free(in->cols);
	*in = (struct rtvm_interrupts){0};
}

static char *next_token(char **p, size_t *len)
{
	char *s = *p;

	while (*s == ' ' || *s == '\t')
		s++;
	*len = strcspn(s, " \t");
	*p = s + *len;
	return *len ? s : NULL;
}

/* What follows the counts of a numbered IRQ: chip, hwirq (x86 appends the
 * flow, "524288-edge"; GENERIC_IRQ_SHOW_LEVEL adds a "Level"/"Edge"
 * column), then the actions. */
static int parse_desc(struct rtvm_irq *q, char *desc)
{
	char *p = desc, *tok, *save;
	size_t len;

	tok = next_token(&p, &len);
	if (!tok)
		return 0;
	q->chip = strndup(tok, len);
	if (!q->chip)
		return -ENOMEM;
	save = p;
	tok = next_token(&p, &len);
	if (tok && (isdigit((unsigned char)*tok) || *tok == '-')) {
		char *dash = memchr(tok, '-', len);
		size_t hl = dash ? (size_t)(dash - tok) : len;

		if (dash) {
			size_t fl = len - hl - 1;

			if (fl == 4 && strncmp(dash + 1, "edge", 4) == 0)
				q->trigger = "edge";
			else if (fl == 5 && strncmp(dash + 1, "level", 5) == 0)
				q->trigger = "level";
			else if (hl)
				hl = len; /* "9-fasteoi": keep the flow */
		}
		if (hl) {
			q->hwirq = strndup(tok, hl);
			if (!q->hwirq)
				return -ENOMEM;
		}
		save = p;
		tok = next_token(&p, &len);
	}
	if (tok && len == 5 && strncmp(tok, "Level", 5) == 0) {
		q->trigger = "level";
		save = p;
	} else if (tok && len == 4 && strncmp(tok, "Edge", 4) == 0) {
		q->trigger = "edge";
		save = p;
	}
	q->name = strdup(rtvm_strip(save));
	return q->name ? 0 : -ENOMEM;
}

static int add_entry(struct rtvm_irqs *irqs, size_t *alloc,
		     struct rtvm_irq **ret)
{
	if (irqs->n == *alloc) {
		size_t a = *alloc ? *alloc * 2 : 64;
		struct rtvm_irq *nv = realloc(irqs->v, a * sizeof(*nv));

		if (!nv)
			return -ENOMEM;
		irqs->v = nv;
		*alloc = a;
	}
	*ret = &irqs->v[irqs->n];
	**ret = (struct rtvm_irq){ .node = -ENOENT };
	(*ret)->counts = calloc(irqs->nr_cpus, sizeof(*(*ret)->counts));
	if (!(*ret)->counts)
		return -ENOMEM;
	(*ret)->nr_counts = irqs->nr_cpus;
	irqs->n++;
	return 0;
}

struct load_state {
	struct rtvm_irqs *irqs;
	size_t alloc;
	unsigned int nr_possible;
};

/* Every counts array is as long as the larger of the possible CPUs and the
 * last column. */
static void set_nr_cpus(struct load_state *ls, const struct rtvm_interrupts *in)
{
	unsigned int max = in->cols[in->ncols - 1] + 1;

	ls->irqs->nr_cpus = max > ls->nr_possible ? max : ls->nr_possible;
}

/* One line the parser gave: a numbered IRQ has a count for every column;
 * a system line as many (LOC, RES, ...) or one (ERR, MIS). */
static int add_line(void *data, const struct rtvm_interrupts *in,
		    const struct rtvm_interrupts_line *l)
{
	struct load_state *ls = data;
	struct rtvm_irqs *irqs = ls->irqs;
	struct rtvm_irq *q;
	int r;

	if (!irqs->nr_cpus)
		set_nr_cpus(ls, in);
	r = add_entry(irqs, &ls->alloc, &q);
	if (r < 0)
		return r;
	q->numbered = l->numbered;
	q->number = l->number;
	if (l->nvals == in->ncols) {
		for (unsigned int i = 0; i < l->nvals; i++) {
			q->counts[in->cols[i]] = l->vals[i];
			q->total += l->vals[i];
		}
	} else {
		/* A machine-wide counter (ERR, MIS): the total only, no CPU
		 * took it in particular, so every per-CPU count is 0. */
		q->total = l->vals[0];
	}
	if (l->numbered) {
		q->kind = RTVM_IRQ_DEVICE;
		return parse_desc(q, l->rest);
	}
	q->kind = RTVM_IRQ_SYSTEM;
	q->name = strdup(l->label);
	return q->name ? 0 : -ENOMEM;
}

/* ---- per IRQ: the irq/N directories ------------------------------------ */

static int read_mask(struct rtvm_irqs *irqs, struct rtvm_cpumask **ret,
		     const char *file, unsigned int irq)
{
	char buf[8192];
	int r;

	if (irqs->irqdir >= 0) {
		char name[128];

		snprintf(name, sizeof(name), "%u/%s", irq, file);
		r = rtvm_fs_read_at(irqs->ctx, irqs->irqdir, name, buf,
				    sizeof(buf));
	} else {
		r = rtvm_fs_read(irqs->ctx, RTVM_FS_PROC, buf, sizeof(buf),
				 "irq/%u/%s", irq, file);
	}
	if (r < 0)
		return r;
	r = rtvm_cpumask_new(irqs->ctx, ret);
	if (r < 0)
		return r;
	r = rtvm_cpumask_parse_list(*ret, rtvm_strip(buf),
				    RTVM_CPUMASK_ALLOW_EMPTY);
	if (r < 0) {
		dbg(irqs->ctx, "IRQ %u: bad CPU list \"%s\"", irq, buf);
		*ret = rtvm_cpumask_free(*ret);
	}
	return 0;
}

static int fill_sys(struct rtvm_irqs *irqs, struct rtvm_irq *q)
{
	char buf[512];
	int r;

	if (!q->chip && rtvm_fs_read(irqs->ctx, RTVM_FS_SYS, buf, sizeof(buf),
				     "kernel/irq/%u/chip_name", q->number) > 0) {
		q->chip = strdup(rtvm_strip(buf));
		if (!q->chip)
			return -ENOMEM;
	}
	if (!q->hwirq && rtvm_fs_read(irqs->ctx, RTVM_FS_SYS, buf, sizeof(buf),
				      "kernel/irq/%u/hwirq", q->number) > 0) {
		q->hwirq = strdup(rtvm_strip(buf));
		if (!q->hwirq)
			return -ENOMEM;
	}
	if (!q->trigger && rtvm_fs_read(irqs->ctx, RTVM_FS_SYS, buf,
					sizeof(buf), "kernel/irq/%u/type",
					q->number) > 0) {
		rtvm_strip(buf);
		if (strcmp(buf, "edge") == 0)
			q->trigger = "edge";
		else if (strcmp(buf, "level") == 0)
			q->trigger = "level";
	}
	if (q->name && !*q->name) {
		r = rtvm_fs_read(irqs->ctx, RTVM_FS_SYS, buf, sizeof(buf),
				 "kernel/irq/%u/actions", q->number);
		if (r > 0 && *rtvm_strip(buf)) {
			char *n = strdup(rtvm_strip(buf));

			if (!n)
				return -ENOMEM;
			free(q->name);
			q->name = n;
		}
	}
	if (!q->name) {
		q->name = strdup("");
		if (!q->name)
			return -ENOMEM;
	}
	return 0;
}

/* Drivers whose queue IRQs are allocated with managed affinity
 * (pci_alloc_irq_vectors_affinity): NVMe I/O queues and virtio's
 * request/input/output queues.  The kernel makes the affinity file of an
 * IRQ it does not let userspace move read-only (irq_can_set_affinity_usr),
 * which is the answer on a live host; captured sysroots do not keep file
 * modes, so there the inventory also recognizes these queues by name and
 * by a narrowed affinity. */
static bool managed_queue_name(const char *name)
{
	const char *q;

	if (strncmp(name, "nvme", 4) == 0) {
		q = name + 4;
		while (isdigit((unsigned char)*q))
			q++;
		/* "nvme0q0" is the admin queue, not managed. */
		return q > name + 4 && *q == 'q' && isdigit((unsigned char)q[1]) &&
		       strcmp(q, "q0") != 0;
	}
	if (strncmp(name, "virtio", 6) == 0) {
		static const char *const kinds[] = { "-req.", "-request.",
						     "-input.", "-output." };

		for (size_t i = 0; i < ARRAY_SIZE(kinds); i++)
			if (strstr(name, kinds[i]))
				return true;
	}
	return false;
}

static void classify(struct rtvm_irq *q, const struct rtvm_cpumask *online,
		     bool sysroot)
{
	bool narrower, by_name;

	q->managed = false;
	q->movable = false;
	if (q->kind != RTVM_IRQ_DEVICE || !q->aff)
		return;
	by_name = q->name && managed_queue_name(q->name);
	if (q->read_only) {
		/* Managed affinity exists for MSI vectors only; other
		 * read-only lines are pinned for another reason. */
		q->managed = by_name || (q->chip && strstr(q->chip, "MSI"));
		return;
	}
	q->movable = true;
	if (!sysroot)
		return; /* the kernel said it is writable */
	/* Managed queues get a spread subset of the CPUs (or their
	 * effective affinity is narrower than the requested one). */
	narrower = online &&
		   ((q->eff && !rtvm_cpumask_equal(q->eff, q->aff) &&
		     rtvm_cpumask_subset(q->eff, q->aff)) ||
		    (!rtvm_cpumask_subset(online, q->aff)));
	q->managed = by_name && narrower;
	q->movable = !q->managed;
}

/* Whether a file lacks the owner's write permission. */
static bool read_only(struct rtvm_ctx *ctx, const char *file, unsigned int irq)
{
	struct stat st;
	int fd = rtvm_fs_open(ctx, RTVM_FS_PROC, O_PATH, "irq/%u/%s", irq, file);
	bool ro;

	if (fd < 0)
		return false;
	ro = fstat(fd, &st) == 0 && !(st.st_mode & S_IWUSR);
	close(fd);
	return ro;
}

static int load_irq(struct rtvm_irqs *irqs, struct rtvm_irq *q,
		    unsigned int flags)
{
	char buf[64];
	int r, node;

	r = read_mask(irqs, &q->aff, "smp_affinity_list", q->number);
	if (r == -ENOMEM)
		return r;
	/* Per-CPU IRQs have no affinity a user could set. */
	if (r == -ENOENT &&
	    rtvm_fs_read(irqs->ctx, RTVM_FS_PROC, buf, sizeof(buf),
			 "irq/%u/smp_affinity", q->number) == -ENOENT)
		q->kind = RTVM_IRQ_PERCPU;
	/* ARM GIC: hwirq 0-31 are SGIs and PPIs, banked per CPU. */
	if (q->chip && strncmp(q->chip, "GIC", 3) == 0 && q->hwirq &&
	    rtvm_parse_uint(q->hwirq, 31, &(unsigned int){ 0 }) == 0)
		q->kind = RTVM_IRQ_PERCPU;
	if (q->kind != RTVM_IRQ_DEVICE)
		q->aff = rtvm_cpumask_free(q->aff);
	if (flags & LOAD_AFFINITY_ONLY)
		return fill_sys(irqs, q);
	if (q->aff)
		q->read_only = read_only(irqs->ctx, "smp_affinity_list",
					 q->number);
	r = read_mask(irqs, &q->eff, "effective_affinity_list",
		      q->number);
	if (r == -ENOMEM)
		return r;
	if (!(flags & LOAD_NO_NODE) &&
	    rtvm_fs_read(irqs->ctx, RTVM_FS_PROC, buf, sizeof(buf),
			 "irq/%u/node", q->number) > 0 &&
	    rtvm_parse_int(rtvm_strip(buf), &node) == 0 && node >= 0)
		q->node = node;
	return fill_sys(irqs, q);
}

/* ---- PCI devices -------------------------------------------------------- */

static struct rtvm_irq *find_mut(struct rtvm_irqs *irqs, unsigned int irq)
{
	size_t lo = 0, hi = irqs->nr_numbered;

	while (lo < hi) {
		size_t mid = (lo + hi) / 2;

		if (irqs->v[mid].number == irq)
			return &irqs->v[mid];
		if (irqs->v[mid].number < irq)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

static int set_dev(struct rtvm_irq *q, const char *addr, const char *driver,
		   const char *netdev)
{
	if (q->pci)
		return 0; /* the first device that names it */
	q->pci = strdup(addr);
	q->driver = driver ? strdup(driver) : NULL;
	q->netdev = netdev ? strdup(netdev) : NULL;
	if (!q->pci || (driver && !q->driver) || (netdev && !q->netdev))
		return -ENOMEM;
	return 0;
}

static int load_pci_dev(struct rtvm_irqs *irqs, const char *addr)
{
	char driver[256] = "", netdev[256] = "", buf[4096];
	struct dirent *de;
	bool have_driver = false, have_netdev = false;
	DIR *d;
	int fd, r = 0;

	if (rtvm_fs_read(irqs->ctx, RTVM_FS_SYS, buf, sizeof(buf),
			 "bus/pci/devices/%s/uevent", addr) > 0) {
		char *save = NULL;

		for (char *l = strtok_r(buf, "\n", &save); l;
		     l = strtok_r(NULL, "\n", &save))
			if (strncmp(l, "DRIVER=", 7) == 0 && l[7]) {
				snprintf(driver, sizeof(driver), "%s", l + 7);
				have_driver = true;
			}
	}
	fd = rtvm_fs_open_dir(irqs->ctx, RTVM_FS_SYS, "bus/pci/devices/%s/net",
			      addr);
	if (fd >= 0) {
		d = fdopendir(fd);
		if (!d) {
			close(fd);
			return -errno;
		}
		while ((de = readdir(d)))
			if (de->d_name[0] != '.' &&
			    (!have_netdev || strcmp(de->d_name, netdev) < 0)) {
				/* several: the first by name, deterministic */
				snprintf(netdev, sizeof(netdev), "%s",
					 de->d_name);
				have_netdev = true;
			}
		closedir(d);
	}

	fd = rtvm_fs_open_dir(irqs->ctx, RTVM_FS_SYS,
			      "bus/pci/devices/%s/msi_irqs", addr);
	if (fd >= 0) {
		d = fdopendir(fd);
		if (!d) {
			close(fd);
			return -errno;
		}
		while (r == 0 && (de = readdir(d))) {
			struct rtvm_irq *q;
			unsigned int n;

			if (rtvm_parse_uint(de->d_name, UINT_MAX, &n) < 0)
				continue;
			q = find_mut(irqs, n);
			if (q)
				r = set_dev(q, addr, have_driver ? driver : NULL,
					    have_netdev ? netdev : NULL);
		}
		closedir(d);
		if (r < 0)
			return r;
	}
	/* Legacy INTx: the irq file ("0" when the device has none). */
	if (rtvm_fs_read(irqs->ctx, RTVM_FS_SYS, buf, sizeof(buf),
			 "bus/pci/devices/%s/irq", addr) > 0) {
		int n;
		struct rtvm_irq *q;

		if (rtvm_parse_int(rtvm_strip(buf), &n) == 0 && n > 0 &&
		    (q = find_mut(irqs, (unsigned int)n)) && q->name &&
		    *q->name && q->kind == RTVM_IRQ_DEVICE)
			r = set_dev(q, addr, have_driver ? driver : NULL,
				    have_netdev ? netdev : NULL);
	}
	return r;
}

static int load_pci(struct rtvm_irqs *irqs)
{
	struct dirent *de;
	DIR *d;
	int fd, r = 0;

	fd = rtvm_fs_open_dir(irqs->ctx, RTVM_FS_SYS, "bus/pci/devices");
	if (fd < 0)
		return fd == -ENOMEM ? fd : 0; /* no PCI bus */
	d = fdopendir(fd);
	if (!d) {
		close(fd);
		return -errno;
	}
	while (r == 0 && (de = readdir(d)))
		if (de->d_name[0] != '.')
			r = load_pci_dev(irqs, de->d_name);
	closedir(d);
	if (r < 0)
		return r;
	/* Where /sys does not say, an MSI chip name may
	 * ("IR-PCI-MSIX-0000:18:00.0"). */
	for (size_t i = 0; i < irqs->nr_numbered; i++) {
		struct rtvm_irq *q = &irqs->v[i];
		const char *c = q->chip ? strstr(q->chip, "-MSI") : NULL;

		if (q->pci || !c)
			continue;
		c = strchr(c + 1, '-');
		if (c && strlen(c + 1) == 12 && c[5] == ':' && c[8] == ':' &&
		    c[11] == '.') {
			q->pci = strdup(c + 1);
			if (!q->pci)
				return -ENOMEM;
		}
	}
	return 0;
}

/* ---- threaded handlers ---------------------------------------------------- */

/* Threaded handlers are kernel threads of their own, so the processes of
 * procfs are enough: no walk through every thread of every process. */
static void load_threads(struct rtvm_irqs *irqs)
{
	struct dirent *de;
	DIR *d;
	int fd;

	fd = rtvm_fs_open_dir(irqs->ctx, RTVM_FS_PROC, ".");
	if (fd < 0)
		return; /* no threads to name: not an error for IRQs */
	d = fdopendir(fd);
	if (!d) {
		close(fd);
		return;
	}
	while ((de = readdir(d))) {
		char name[300], comm[64];
		struct rtvm_irq *q;
		unsigned int n;
		int used = 0;
		pid_t tid;

		if (!rtvm_parse_pid(de->d_name, &tid))
			continue;
		snprintf(name, sizeof(name), "%s/comm", de->d_name);
		if (rtvm_fs_read_at(irqs->ctx, dirfd(d), name, comm,
				    sizeof(comm)) < 0 ||
		    sscanf(comm, "irq/%u-%n", &n, &used) != 1 || !used)
			continue;
		q = find_mut(irqs, n);
		if (q && !q->thread)
			q->thread = tid;
	}
	closedir(d);
}

/* ---- the inventory --------------------------------------------------------- */

static int cmp_irq(const void *a, const void *b)
{
	const struct rtvm_irq *x = a, *y = b;

	return (x->number > y->number) - (x->number < y->number);
}

static int load(struct rtvm_irqs *irqs, unsigned int flags)
{
	struct rtvm_interrupts in = {0};
	struct load_state ls = { .irqs = irqs };
	struct rtvm_cpumask *online = NULL;
	char *buf = NULL;
	int r;

	r = rtvm_fs_read_alloc(irqs->ctx, RTVM_FS_PROC, &buf, "interrupts");
	if (r < 0)
		return r;
	if (rtvm_ctx_nr_possible_cpus(irqs->ctx, &ls.nr_possible) < 0)
		ls.nr_possible = 0;
	r = rtvm_interrupts_parse(irqs->ctx, buf, &in, add_line, &ls);
	if (r < 0)
		goto out;
	set_nr_cpus(&ls, &in);
	irqs->nr_unparsed = in.nr_bad;
	irqs->first_unparsed = in.first_bad;
	/* Numbered first, by number; the system lines keep their order
	 * (they are all after the numbered ones in the file on x86, not
	 * on every architecture). */
	{
		struct rtvm_irq *tmp = malloc((irqs->n ? irqs->n : 1) *
					      sizeof(*tmp));
		size_t k = 0;

		if (!tmp) {
			r = -ENOMEM;
			goto out;
		}
		for (size_t i = 0; i < irqs->n; i++)
			if (irqs->v[i].numbered)
				tmp[k++] = irqs->v[i];
		irqs->nr_numbered = k;
		for (size_t i = 0; i < irqs->n; i++)
			if (!irqs->v[i].numbered)
				tmp[k++] = irqs->v[i];
		if (irqs->n)
			memcpy(irqs->v, tmp, irqs->n * sizeof(*tmp));
		free(tmp);
		if (irqs->nr_numbered) /* qsort's array must not be NULL */
			qsort(irqs->v, irqs->nr_numbered, sizeof(*irqs->v),
			      cmp_irq);
	}
	/* The CPUs with a column are the online ones. */
	r = rtvm_cpumask_new_nr(irqs->nr_cpus, &online);
	if (r < 0)
		goto out;
	for (unsigned int i = 0; i < in.ncols; i++)
		rtvm_cpumask_set(online, in.cols[i]);
	for (size_t i = 0; i < irqs->nr_numbered; i++) {
		r = load_irq(irqs, &irqs->v[i], flags);
		if (r < 0)
			goto out;
	}
	r = flags & LOAD_NO_PCI ? 0 : load_pci(irqs);
	if (r < 0)
		goto out;
	for (size_t i = 0; i < irqs->nr_numbered; i++)
		classify(&irqs->v[i], online, irqs->sysroot);
	if (!(flags & LOAD_NO_THREADS))
		load_threads(irqs);
	r = 0;
out:
	rtvm_cpumask_free(online);
	rtvm_interrupts_done(&in);
	free(buf);
	return r;
}

static int irqs_new(struct rtvm_ctx *ctx, unsigned int flags,
		    struct rtvm_irqs **ret)
{
	struct rtvm_irqs *irqs;
	int r;

	if (!ctx || !ret)
		return -EINVAL;
	irqs = calloc(1, sizeof(*irqs));
	if (!irqs)
		return -ENOMEM;
	irqs->refcount = 1;
	irqs->ctx = rtvm_ref(ctx);
	irqs->sysroot = strcmp(rtvm_get_root(ctx), "/") != 0;
	irqs->irqdir = rtvm_fs_open_dir(ctx, RTVM_FS_PROC, "irq");
	r = load(irqs, flags);
	if (r < 0) {
		dbg(ctx, "IRQ inventory failed: %d", r);
		irqs_free(irqs);
		return r;
	}
	*ret = irqs;
	return 0;
}

RTVM_EXPORT int rtvm_irqs_new(struct rtvm_ctx *ctx, struct rtvm_irqs **ret)
{
	return irqs_new(ctx, 0, ret);
}

/* Read every file of a directory (relative to @fs), and of the directory
 * one level down with @sub ("IF/ifindex"), so that a trace sees them. */
static void read_dir_files(struct rtvm_ctx *ctx, enum rtvm_fs fs,
			   const char *dir, const char *sub)
{
	struct dirent *de;
	DIR *d;
	int fd = rtvm_fs_open_dir(ctx, fs, "%s", dir);

	if (fd < 0)
		return;
	d = fdopendir(fd);
	if (!d) {
		close(fd);
		return;
	}
	while ((de = readdir(d))) {
		char buf[256];

		if (de->d_name[0] == '.')
			continue;
		rtvm_fs_read(ctx, fs, buf, sizeof(buf), "%s/%s%s%s", dir,
			     de->d_name, sub ? "/" : "", sub ? sub : "");
	}
	closedir(d);
}

int rtvm_irqs_read_all(struct rtvm_ctx *ctx)
{
	struct rtvm_irqs *irqs = NULL;
	struct dirent *de;
	char buf[256];
	DIR *d;
	int fd, r = irqs_new(ctx, LOAD_NO_THREADS, &irqs);

	rtvm_irqs_unref(irqs);
	/* A host without interrupts to read is captured without them. */
	if (r < 0)
		return r == -ENOENT || r == -EACCES ? 0 : r;
	rtvm_fs_read(ctx, RTVM_FS_PROC, buf, sizeof(buf),
		     "irq/default_smp_affinity");
	/* The inventory only lists these directories; a capture needs a
	 * file in them to keep the names. */
	fd = rtvm_fs_open_dir(ctx, RTVM_FS_SYS, "bus/pci/devices");
	if (fd < 0)
		return 0;
	d = fdopendir(fd);
	if (!d) {
		close(fd);
		return 0;
	}
	while ((de = readdir(d))) {
		char dir[512];

		if (de->d_name[0] == '.')
			continue;
		snprintf(dir, sizeof(dir), "bus/pci/devices/%s/msi_irqs",
			 de->d_name);
		read_dir_files(ctx, RTVM_FS_SYS, dir, NULL);
		snprintf(dir, sizeof(dir), "bus/pci/devices/%s/net", de->d_name);
		read_dir_files(ctx, RTVM_FS_SYS, dir, "ifindex");
	}
	closedir(d);
	return 0;
}

RTVM_EXPORT struct rtvm_irqs *rtvm_irqs_ref(struct rtvm_irqs *irqs)
{
	if (irqs)
		irqs->refcount++;
	return irqs;
}

RTVM_EXPORT struct rtvm_irqs *rtvm_irqs_unref(struct rtvm_irqs *irqs)
{
	if (irqs && --irqs->refcount == 0)
		irqs_free(irqs);
	return NULL;
}

RTVM_EXPORT int rtvm_irqs_get_unparsed(const struct rtvm_irqs *irqs,
				      unsigned int *ret_first_line)
{
	if (!irqs)
		return -EINVAL;
	if (ret_first_line)
		*ret_first_line = irqs->first_unparsed;
	return (int)irqs->nr_unparsed;
}

RTVM_EXPORT const struct rtvm_irq *rtvm_irqs_next(const struct rtvm_irqs *irqs,
						  const struct rtvm_irq *prev)
{
	size_t i;

	if (!irqs || !irqs->n)
		return NULL;
	if (!prev)
		return &irqs->v[0];
	if (prev < irqs->v || prev >= irqs->v + irqs->n)
		return NULL;
	i = (size_t)(prev - irqs->v) + 1;
	return i < irqs->n ? &irqs->v[i] : NULL;
}

RTVM_EXPORT int rtvm_irqs_find(const struct rtvm_irqs *irqs, unsigned int irq,
			       const struct rtvm_irq **ret)
{
	const struct rtvm_irq *q;

	if (!irqs || !ret)
		return -EINVAL;
	q = find_mut((struct rtvm_irqs *)irqs, irq);
	if (!q)
		return -ENOENT;
	*ret = q;
	return 0;
}

RTVM_EXPORT int rtvm_irq_get_number(const struct rtvm_irq *q)
{
	if (!q)
		return -EINVAL;
	if (!q->numbered)
		return -ENOENT;
	return q->number > INT32_MAX ? -ENOENT : (int)q->number;
}

RTVM_EXPORT const char *rtvm_irq_get_name(const struct rtvm_irq *q)
{
	return q ? q->name : NULL;
}

RTVM_EXPORT int rtvm_irq_get_kind(const struct rtvm_irq *q)
{
	return q ? (int)q->kind : -EINVAL;
}

RTVM_EXPORT const char *rtvm_irq_get_chip(const struct rtvm_irq *q)
{
	return q ? q->chip : NULL;
}

RTVM_EXPORT const char *rtvm_irq_get_hwirq(const struct rtvm_irq *q)
{
	return q ? q->hwirq : NULL;
}

RTVM_EXPORT const char *rtvm_irq_get_trigger(const struct rtvm_irq *q)
{
	return q ? q->trigger : NULL;
}

RTVM_EXPORT unsigned long long rtvm_irq_get_count(const struct rtvm_irq *q,
						  unsigned int cpu)
{
	if (!q || cpu >= q->nr_counts)
		return 0;
	return q->counts[cpu];
}

RTVM_EXPORT unsigned long long rtvm_irq_get_total(const struct rtvm_irq *q)
{
	return q ? q->total : 0;
}

RTVM_EXPORT const struct rtvm_cpumask *
rtvm_irq_get_affinity(const struct rtvm_irq *q)
{
	return q ? q->aff : NULL;
}

RTVM_EXPORT const struct rtvm_cpumask *
rtvm_irq_get_effective_affinity(const struct rtvm_irq *q)
{
	return q ? q->eff : NULL;
}

RTVM_EXPORT int rtvm_irq_get_node(const struct rtvm_irq *q)
{
	return q ? q->node : -EINVAL;
}

RTVM_EXPORT bool rtvm_irq_is_managed(const struct rtvm_irq *q)
{
	return q && q->managed;
}

RTVM_EXPORT bool rtvm_irq_is_movable(const struct rtvm_irq *q)
{
	return q && q->movable;
}

RTVM_EXPORT const char *rtvm_irq_get_pci(const struct rtvm_irq *q)
{
	return q ? q->pci : NULL;
}

RTVM_EXPORT const char *rtvm_irq_get_driver(const struct rtvm_irq *q)
{
	return q ? q->driver : NULL;
}

RTVM_EXPORT const char *rtvm_irq_get_netdev(const struct rtvm_irq *q)
{
	return q ? q->netdev : NULL;
}

RTVM_EXPORT pid_t rtvm_irq_get_thread(const struct rtvm_irq *q)
{
	return q ? q->thread : -EINVAL;
}

/* ---- selectors ------------------------------------------------------------ */

enum sel_kind { SEL_RANGE, SEL_DRIVER, SEL_PCI, SEL_NET, SEL_NAME };

struct sel {
	enum sel_kind kind;
	const char *glob;
	unsigned int lo, hi;
};

static int parse_uint(const char *s, size_t len, unsigned int *ret)
{
	unsigned long v = 0;

	if (!len || len > 10)
		return -EINVAL;
	for (size_t i = 0; i < len; i++) {
		if (!isdigit((unsigned char)s[i]))
			return -EINVAL;
		v = v * 10 + (unsigned long)(s[i] - '0');
	}
	if (v > 0xffffffffUL)
		return -EINVAL;
	*ret = (unsigned int)v;
	return 0;
}

static int sel_parse(const char *s, struct sel *ret)
{
	static const struct {
		const char *prefix;
		enum sel_kind kind;
	} prefixes[] = {
		{ "driver:", SEL_DRIVER }, { "pci:", SEL_PCI },
		{ "net:", SEL_NET },	   { "name:", SEL_NAME },
	};
	const char *dash;

	*ret = (struct sel){ .kind = SEL_NAME, .glob = s };
	if (!*s)
		return -EINVAL;
	for (size_t i = 0; i < ARRAY_SIZE(prefixes); i++) {
		size_t pl = strlen(prefixes[i].prefix);

		if (strncmp(s, prefixes[i].prefix, pl) == 0) {
			ret->kind = prefixes[i].kind;
			ret->glob = s + pl;
			return *ret->glob ? 0 : -EINVAL;
		}
	}
	if (!isdigit((unsigned char)*s))
		return 0;
	dash = strchr(s, '-');
	if (parse_uint(s, dash ? (size_t)(dash - s) : strlen(s), &ret->lo) < 0) {
		/* "1*" and the like: a glob on the name */
		return strspn(s, "0123456789-") == strlen(s) ? -EINVAL : 0;
	}
	ret->hi = ret->lo;
	if (dash && (parse_uint(dash + 1, strlen(dash + 1), &ret->hi) < 0 ||
		     ret->hi < ret->lo))
		return -EINVAL;
	ret->kind = SEL_RANGE;
	return 0;
}

static bool glob_match(const char *glob, const char *s)
{
	return s && fnmatch(glob, s, 0) == 0;
}

/* The actions are comma-separated when handlers share the line: match the
 * whole name or any one action. */
static bool name_match(const char *glob, const char *name)
{
	const char *p = name;

	if (!name)
		return false;
	if (glob_match(glob, name))
		return true;
	while (p && *p) {
		const char *comma = strchr(p, ',');
		size_t len = comma ? (size_t)(comma - p) : strlen(p);
		char one[256];

		while (*p == ' ' && len) {
			p++;
			len--;
		}
		if (len < sizeof(one)) {
			memcpy(one, p, len);
			one[len] = '\0';
			if (glob_match(glob, one))
				return true;
		}
		p = comma ? comma + 1 : NULL;
	}
	return false;
}

static bool sel_match(const struct sel *sel, const struct rtvm_irq *q)
{
	if (!q->numbered)
		return false;
	switch (sel->kind) {
	case SEL_RANGE:
		return q->number >= sel->lo && q->number <= sel->hi;
	case SEL_DRIVER:
		return glob_match(sel->glob, q->driver);
	case SEL_PCI:
		return glob_match(sel->glob, q->pci);
	case SEL_NET:
		return glob_match(sel->glob, q->netdev);
	case SEL_NAME:
		return name_match(sel->glob, q->name);
	}
	return false;
}

RTVM_EXPORT int rtvm_irq_match(const struct rtvm_irq *q, const char *selector)
{
	struct sel sel;

	if (!q || !selector || sel_parse(selector, &sel) < 0)
		return -EINVAL;
	return sel_match(&sel, q);
}

/* ---- writing an affinity ---------------------------------------------------- */

static bool transient(int r)
{
	return r == -EAGAIN || r == -EBUSY || r == -ENOMEM || r == -ERANGE;
}

int rtvm_irq_write_affinity(struct rtvm_ctx *ctx, unsigned int irq,
			    const struct rtvm_cpumask *mask,
			    unsigned int retries, unsigned int *ret_attempts)
{
	unsigned int attempts = 0;
	int r;

	do {
		if (attempts)
			usleep(1000 * attempts); /* 1, 2, 3... ms */
		r = rtvm_sys_irq_affinity_set(ctx, irq, mask);
		attempts++;
	} while (transient(r) && attempts <= retries);
	if (ret_attempts)
		*ret_attempts = attempts;
	return r;
}

static int error_class(int r)
{
	switch (r) {
	case 0:
		return RTVM_IRQ_ERR_NONE;
	case -EAGAIN:
	case -EBUSY:
	case -ENOMEM:
	case -ERANGE:
		return RTVM_IRQ_ERR_TRANSIENT;
	case -ENOSPC:
		return RTVM_IRQ_ERR_NOSPACE;
	case -EIO:
	case -EPERM:
		return RTVM_IRQ_ERR_UNMOVABLE;
	case -ENOENT:
		return RTVM_IRQ_ERR_GONE;
	}
	return RTVM_IRQ_ERR_OTHER;
}

RTVM_EXPORT const char *rtvm_irq_error_class_to_string(int cls)
{
	static const char *const names[] = {
		[RTVM_IRQ_ERR_NONE] = "none",
		[RTVM_IRQ_ERR_TRANSIENT] = "transient",
		[RTVM_IRQ_ERR_NOSPACE] = "no-space",
		[RTVM_IRQ_ERR_UNMOVABLE] = "unmovable",
		[RTVM_IRQ_ERR_GONE] = "gone",
		[RTVM_IRQ_ERR_OTHER] = "other",
	};

	if (cls < 0 || (size_t)cls >= ARRAY_SIZE(names))
		return NULL;
	return names[cls];
}

/* ---- the report ----------------------------------------------------------- */

struct rtvm_irq_report {
	struct rtvm_irq_move *v;
	size_t n;
	struct rtvm_cpumask *def_before, *def_after;
};

static void move_clear(struct rtvm_irq_move *m)
{
	free((char *)m->name);
	rtvm_cpumask_free((struct rtvm_cpumask *)m->before);
	rtvm_cpumask_free((struct rtvm_cpumask *)m->wanted);
	rtvm_cpumask_free((struct rtvm_cpumask *)m->effective);
}

RTVM_EXPORT struct rtvm_irq_report *
rtvm_irq_report_free(struct rtvm_irq_report *rep)
{
	if (!rep)
		return NULL;
	for (size_t i = 0; i < rep->n; i++)
		move_clear(&rep->v[i]);
	free(rep->v);
	rtvm_cpumask_free(rep->def_before);
	rtvm_cpumask_free(rep->def_after);
	free(rep);
	return NULL;
}

RTVM_EXPORT size_t rtvm_irq_report_count(const struct rtvm_irq_report *rep)
{
	return rep ? rep->n : 0;
}

RTVM_EXPORT const struct rtvm_irq_move *
rtvm_irq_report_get(const struct rtvm_irq_report *rep, size_t i)
{
	return rep && i < rep->n ? &rep->v[i] : NULL;
}

RTVM_EXPORT size_t rtvm_irq_report_tally(const struct rtvm_irq_report *rep,
					 int status)
{
	size_t n = 0;

	for (size_t i = 0; rep && i < rep->n; i++)
		n += rep->v[i].status == status;
	return n;
}

RTVM_EXPORT int
rtvm_irq_report_get_default_affinity(const struct rtvm_irq_report *rep,
				     const struct rtvm_cpumask **before,
				     const struct rtvm_cpumask **after)
{
	if (!rep)
		return -EINVAL;
	if (!rep->def_after)
		return -ENOENT;
	if (before)
		*before = rep->def_before;
	if (after)
		*after = rep->def_after;
	return 0;
}

/* ---- steering ------------------------------------------------------------- */

struct steer {
	struct rtvm_ctx *ctx;
	const struct rtvm_irq_steer *req;
	struct rtvm_cpumask *online, *housekeeping;
	const struct rtvm_cpumask *rt;
	struct sel *to_rt, *select;
	size_t n_to_rt, n_select;
	struct rtvm_irqs *irqs;
	struct rtvm_irq_report *rep;
	struct rtvm_changeset *done; /* this call's records, for rollback */
	/* A watch re-applying: selectors that match nothing are fine (the
	 * device may be away), and an IRQ whose original affinity @known
	 * holds already is not recorded twice. */
	bool lenient;
	const struct rtvm_changeset *known;
};

static int check_mask(struct steer *st, const char *what,
		      const struct rtvm_cpumask *mask)
{
	int r = rtvm_cpus_check_online(st->ctx, mask);

	if (r < 0)
		err(st->ctx, "IRQ steering: bad %s CPUs", what);
	return r;
}

static int parse_sels(struct steer *st, const char *what,
		      const char *const *list, struct sel **ret, size_t *ret_n)
{
	size_t n = 0;

	while (list && list[n])
		n++;
	if (!n)
		return 0;
	*ret = calloc(n, sizeof(**ret));
	if (!*ret)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++) {
		if (sel_parse(list[i], &(*ret)[i]) < 0) {
			err(st->ctx, "bad %s selector \"%s\"", what, list[i]);
			return -EINVAL;
		}
	}
	*ret_n = n;
	return 0;
}

/* Every selector must name something: a number that exists, a pattern
 * that matches (a typo would otherwise steer nothing, silently). */
static int check_sels(struct steer *st, const char *const *list,
		      const struct sel *sels, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		const struct rtvm_irq *q;
		bool found = false;

		rtvm_irqs_foreach(q, st->irqs)
			if (sel_match(&sels[i], q)) {
				found = true;
				break;
			}
		if (found)
			continue;
		if (sels[i].kind == SEL_RANGE) {
			err(st->ctx, "IRQ %s does not exist", list[i]);
			return -EINVAL;
		}
		err(st->ctx, "no IRQ matches \"%s\"", list[i]);
		return -ENOENT;
	}
	return 0;
}

static bool any_match(const struct sel *sels, size_t n,
		      const struct rtvm_irq *q)
{
	for (size_t i = 0; i < n; i++)
		if (sel_match(&sels[i], q))
			return true;
	return false;
}

static int mask_dup(struct rtvm_ctx *ctx, const struct rtvm_cpumask *src,
		    struct rtvm_cpumask **ret)
{
	int r = rtvm_cpumask_new(ctx, ret);

	if (r == 0 && (r = rtvm_cpumask_op(*ret, RTVM_CPUMASK_COPY, src)) < 0)
		*ret = rtvm_cpumask_free(*ret);
	return r;
}

/* A mask minus the away-from CPUs, in *ret: what it had (a node's CPUs,
 * say; offline ones too, as the kernel allows) stays, and when no online
 * CPU is left, the housekeeping CPUs. */
static int away(struct steer *st, const struct rtvm_cpumask *from,
		struct rtvm_cpumask **ret)
{
	int r = mask_dup(st->ctx, from, ret);

	if (r == 0)
		r = rtvm_cpumask_op(*ret, RTVM_CPUMASK_ANDNOT,
				    st->req->away_from);
	if (r == 0 && !rtvm_cpumask_intersects(*ret, st->online))
		r = rtvm_cpumask_op(*ret, RTVM_CPUMASK_COPY, st->housekeeping);
	return r;
}

/* The affinity an IRQ should have, in *ret (NULL: no rule takes it). */
static int wanted_for(struct steer *st, const struct rtvm_irq *q,
		      struct rtvm_cpumask **ret)
{
	const struct rtvm_irq_steer *req = st->req;
	int r;

	*ret = NULL;
	if (any_match(st->to_rt, st->n_to_rt, q))
		return mask_dup(st->ctx, st->rt, ret);
	if (any_match(st->select, st->n_select, q))
		return mask_dup(st->ctx, req->cpus, ret);
	if (!req->away_from || q->kind != RTVM_IRQ_DEVICE || !q->aff ||
	    !rtvm_cpumask_intersects(q->aff, req->away_from))
		return 0;
	r = away(st, q->aff, ret);
	if (r < 0)
		*ret = rtvm_cpumask_free(*ret);
	return r;
}

static int plan(struct steer *st)
{
	const struct rtvm_irq *q;
	size_t alloc = 0;
	int r;

	rtvm_irqs_foreach(q, st->irqs) {
		struct rtvm_cpumask *want;
		struct rtvm_irq_move *m;

		if (!q->numbered)
			continue;
		r = wanted_for(st, q, &want);
		if (r < 0)
			return r;
		if (!want)
			continue;
		if (st->rep->n == alloc) {
			size_t a = alloc ? alloc * 2 : 32;
			struct rtvm_irq_move *nv;

			nv = realloc(st->rep->v, a * sizeof(*nv));
			if (!nv) {
				rtvm_cpumask_free(want);
				return -ENOMEM;
			}
			st->rep->v = nv;
			alloc = a;
		}
		m = &st->rep->v[st->rep->n++];
		*m = (struct rtvm_irq_move){
			.irq = q->number,
			.wanted = want,
			.thread = q->thread > 0 ? q->thread : 0,
		};
		m->name = strdup(q->name ? q->name : "");
		if (!m->name)
			return -ENOMEM;
		if (q->aff && (r = mask_dup(st->ctx, q->aff,
					    (struct rtvm_cpumask **)&m->before)) < 0)
			return r;
		if (q->kind != RTVM_IRQ_DEVICE || !q->aff) {
			/* Per-CPU lines have no affinity to set. */
			m->status = RTVM_IRQ_FAILED;
			m->error = -EIO;
			m->error_class = RTVM_IRQ_ERR_UNMOVABLE;
		} else if (rtvm_cpumask_equal(q->aff, want)) {
			m->status = RTVM_IRQ_UNCHANGED;
		} else {
			m->status = RTVM_IRQ_MOVED;
		}
	}
	return 0;
}

static int read_back(struct steer *st, struct rtvm_irq_move *m)
{
	struct rtvm_cpumask *eff = NULL;
	int r;

	r = read_mask(st->irqs, &eff, "effective_affinity_list", m->irq);
	if (r == -ENOMEM)
		return r;
	if (!eff)
		return 0; /* not shown by this kernel */
	m->effective = eff;
	m->pending = !rtvm_cpumask_subset(eff, m->wanted);
	m->narrowed = !m->pending && !rtvm_cpumask_equal(eff, m->wanted);
	return 0;
}

static bool recorded(const struct rtvm_changeset *cs, const char *irq)
{
	const struct rtvm_change *c;

	rtvm_changeset_foreach(c, cs)
		if (rtvm_change_get_kind(c) == RTVM_CHANGE_IRQ_AFFINITY &&
		    strcmp(rtvm_change_get_target(c), irq) == 0)
			return true;
	return false;
}

/* After the kernel refused to move an IRQ for good: is it a managed one?
 * (The steering inventory skips the file modes; one failure is worth the
 * look.) */
static bool refused_as_managed(struct steer *st, const struct rtvm_irq_move *m)
{
	const struct rtvm_irq *q = find_mut(st->irqs, m->irq);
	bool by_name = managed_queue_name(m->name);

	if (!q)
		return false;
	if (read_only(st->ctx, "smp_affinity_list", m->irq))
		return by_name || (q->chip && strstr(q->chip, "MSI"));
	/* Captured sysroots lose file modes: the name must do there. */
	return st->irqs->sysroot && by_name;
}

static int apply_one(struct steer *st, struct rtvm_irq_move *m)
{
	unsigned int retries = st->req->retries ? st->req->retries : 3;
	char *old = NULL, *new = NULL;
	int r;

	r = rtvm_irq_write_affinity(st->ctx, m->irq, m->wanted, retries,
				    &m->attempts);
	if (r == -EACCES)
		return r; /* not root: the caller stops and undoes */
	if (r < 0) {
		m->status = RTVM_IRQ_FAILED;
		m->error = r;
		m->error_class = error_class(r);
		m->managed = m->error_class == RTVM_IRQ_ERR_UNMOVABLE &&
			     refused_as_managed(st, m);
		info(st->ctx, "IRQ %u (%s): cannot move it: %s (%s)", m->irq,
		     m->name, strerror(-r),
		     rtvm_irq_error_class_to_string(m->error_class));
		return 0;
	}
	m->managed = false; /* it moved */
	if ((r = rtvm_cpumask_format_list(m->before, &old)) < 0 ||
	    (r = rtvm_cpumask_format_list(m->wanted, &new)) < 0)
		goto out;
	{
		char target[16];

		snprintf(target, sizeof(target), "%u", m->irq);
		if (!recorded(st->known, target))
			r = rtvm_changeset_add(st->done,
					       RTVM_CHANGE_IRQ_AFFINITY, target,
					       old, new);
	}
	if (r < 0)
		goto out;
	r = read_back(st, m);
	if (r == 0 && m->thread && !(st->req->flags & RTVM_IRQ_STEER_NO_THREADS)) {
		struct rtvm_tid t = { .pid = m->thread, .tid = m->thread };

		m->thread_error = rtvm_thread_apply_affinity(st->ctx, t,
							     m->wanted,
							     st->done);
		if (m->thread_error == -ESRCH)
			m->thread_error = 0; /* the handler was freed */
		else if (m->thread_error == -ENOMEM)
			r = -ENOMEM;
	}
out:
	free(old);
	free(new);
	return r;
}

static int steer_default(struct steer *st)
{
	struct rtvm_irq_report *rep = st->rep;
	char buf[1024], *hex = NULL, *oldhex = NULL, *path = NULL;
	int r;

	r = rtvm_fs_read(st->ctx, RTVM_FS_PROC, buf, sizeof(buf),
			 "irq/default_smp_affinity");
	if (r < 0)
		return r == -ENOENT ? 0 : r;
	if ((r = rtvm_cpumask_new(st->ctx, &rep->def_before)) < 0 ||
	    (r = rtvm_cpumask_parse_hex(rep->def_before, rtvm_strip(buf),
					RTVM_CPUMASK_ALLOW_EMPTY)) < 0 ||
	    (r = away(st, rep->def_before, &rep->def_after)) < 0)
		return r;
	if ((st->req->flags & RTVM_IRQ_STEER_DRY_RUN) ||
	    rtvm_cpumask_equal(rep->def_before, rep->def_after))
		return 0;
	if ((r = rtvm_cpumask_format_hex(rep->def_after, &hex)) < 0 ||
	    (r = rtvm_cpumask_format_hex(rep->def_before, &oldhex)) < 0)
		goto out;
	r = rtvm_fs_join_path(RTVM_FS_PROC, "irq/default_smp_affinity", &path);
	if (r == 0)
		r = rtvm_fs_write(st->ctx, RTVM_FS_PROC, hex,
				  "irq/default_smp_affinity");
	if (r == 0)
		r = rtvm_changeset_add(st->done, RTVM_CHANGE_FILE, path, oldhex,
				       hex);
out:
	free(path);
	free(hex);
	free(oldhex);
	return r;
}

static int validate(struct steer *st)
{
	const struct rtvm_irq_steer *req = st->req;
	int r;

	if (req->size < sizeof(*req)) {
		err(st->ctx, "struct rtvm_irq_steer: size %zu, need %zu",
		    req->size, sizeof(*req));
		return -EINVAL;
	}
	if (req->flags & ~(RTVM_IRQ_STEER_DRY_RUN | RTVM_IRQ_STEER_NO_THREADS |
			   RTVM_IRQ_STEER_DEFAULT_AFFINITY)) {
		err(st->ctx, "unknown IRQ steering flags %#x", req->flags);
		return -EINVAL;
	}
	if (!req->away_from && !(req->select && req->select[0]) &&
	    !(req->to_rt && req->to_rt[0])) {
		err(st->ctx, "IRQ steering: no rule (away-from, select or "
			     "to-RT)");
		return -EINVAL;
	}
	if ((req->select && req->select[0]) != !!req->cpus) {
		err(st->ctx, "IRQ steering: selected IRQs need CPUs, and CPUs "
			     "need selected IRQs");
		return -EINVAL;
	}
	if ((req->to_rt && req->to_rt[0]) && !req->rt_cpus && !req->away_from) {
		err(st->ctx, "IRQ steering: IRQs for the RT CPUs, but no RT "
			     "CPUs");
		return -EINVAL;
	}
	if ((req->flags & RTVM_IRQ_STEER_DEFAULT_AFFINITY) && !req->away_from) {
		err(st->ctx, "IRQ steering: the default affinity needs "
			     "away-from CPUs");
		return -EINVAL;
	}
	if ((req->away_from && (r = check_mask(st, "away-from",
					       req->away_from)) < 0) ||
	    (req->housekeeping && (r = check_mask(st, "housekeeping",
						  req->housekeeping)) < 0) ||
	    (req->rt_cpus && (r = check_mask(st, "RT", req->rt_cpus)) < 0) ||
	    (req->cpus && (r = check_mask(st, "target", req->cpus)) < 0))
		return r;
	if ((r = parse_sels(st, "to-RT", req->to_rt, &st->to_rt,
			    &st->n_to_rt)) < 0 ||
	    (r = parse_sels(st, "IRQ", req->select, &st->select,
			    &st->n_select)) < 0)
		return r;
	st->rt = req->rt_cpus ? req->rt_cpus : req->away_from;
	if ((r = rtvm_ctx_online_cpus(st->ctx, &st->online)) < 0)
		return r;
	if (req->housekeeping) {
		r = mask_dup(st->ctx, req->housekeeping, &st->housekeeping);
		if (r == 0 && req->away_from &&
		    rtvm_cpumask_intersects(req->housekeeping, req->away_from)) {
			char *both = NULL;

			rtvm_cpumask_op(st->housekeeping, RTVM_CPUMASK_AND,
					req->away_from);
			rtvm_cpumask_format_list(st->housekeeping, &both);
			err(st->ctx, "IRQ steering: CPUs %s are both "
				     "housekeeping and away-from CPUs",
			    both ? both : "?");
			free(both);
			r = -EINVAL;
		}
	} else {
		r = mask_dup(st->ctx, st->online, &st->housekeeping);
		if (r == 0 && req->away_from)
			r = rtvm_cpumask_op(st->housekeeping,
					    RTVM_CPUMASK_ANDNOT, req->away_from);
		if (r == 0 && !rtvm_cpumask_weight(st->housekeeping)) {
			err(st->ctx, "IRQ steering: no online CPU is left for "
				     "housekeeping");
			r = -EINVAL;
		}
	}
	return r;
}

static unsigned int load_flags(const struct steer *st)
{
	unsigned int flags = LOAD_NO_NODE | LOAD_NO_PCI | LOAD_AFFINITY_ONLY;

	for (size_t i = 0; i < st->n_to_rt; i++)
		if (st->to_rt[i].kind != SEL_RANGE &&
		    st->to_rt[i].kind != SEL_NAME)
			flags &= ~LOAD_NO_PCI;
	for (size_t i = 0; i < st->n_select; i++)
		if (st->select[i].kind != SEL_RANGE &&
		    st->select[i].kind != SEL_NAME)
			flags &= ~LOAD_NO_PCI;
	if (st->req->flags & RTVM_IRQ_STEER_NO_THREADS)
		flags |= LOAD_NO_THREADS;
	return flags;
}

static int steer(struct steer *st, struct rtvm_changeset *cs)
{
	int r;

	r = validate(st);
	if (r < 0)
		return r;
	r = irqs_new(st->ctx, load_flags(st), &st->irqs);
	if (r < 0)
		return r;
	if (!st->lenient &&
	    ((r = check_sels(st, st->req->to_rt, st->to_rt, st->n_to_rt)) < 0 ||
	     (r = check_sels(st, st->req->select, st->select,
			     st->n_select)) < 0))
		return r;
	st->rep = calloc(1, sizeof(*st->rep));
	if (!st->rep)
		return -ENOMEM;
	r = plan(st);
	if (r < 0)
		return r;
	r = rtvm_changeset_new(st->ctx, &st->done);
	if (r < 0)
		return r;
	if (st->req->flags & RTVM_IRQ_STEER_DEFAULT_AFFINITY) {
		r = steer_default(st);
		if (r < 0)
			goto fail;
	}
	if (st->req->flags & RTVM_IRQ_STEER_DRY_RUN)
		return 0;
	for (size_t i = 0; i < st->rep->n; i++) {
		if (st->rep->v[i].status != RTVM_IRQ_MOVED)
			continue;
		r = apply_one(st, &st->rep->v[i]);
		if (r < 0)
			goto fail;
	}
	if (cs)
		rtvm_changeset_move(cs, st->done);
	return 0;
fail:
	if (r == -EACCES) {
		err(st->ctx, "writing IRQ affinities needs root");
		r = -EPERM;
	}
	rtvm_changeset_restore(st->done, 0);
	return r;
}

static int steer_run(struct steer *st, struct rtvm_changeset *cs,
		     struct rtvm_irq_report **ret)
{
	int r = steer(st, cs);

	if (r == 0) {
		*ret = st->rep;
		st->rep = NULL;
	}
	rtvm_irq_report_free(st->rep);
	rtvm_changeset_unref(st->done);
	rtvm_irqs_unref(st->irqs);
	rtvm_cpumask_free(st->online);
	rtvm_cpumask_free(st->housekeeping);
	free(st->to_rt);
	free(st->select);
	return r;
}

RTVM_EXPORT int rtvm_irq_steer(struct rtvm_ctx *ctx,
			       const struct rtvm_irq_steer *req,
			       struct rtvm_changeset *cs,
			       struct rtvm_irq_report **ret)
{
	struct steer st = { .ctx = ctx, .req = req };

	if (!ctx || !req || !ret)
		return -EINVAL;
	return steer_run(&st, cs, ret);
}

int rtvm_irq_resteer(struct rtvm_ctx *ctx, const struct rtvm_irq_steer *req,
		     struct rtvm_changeset *cs, struct rtvm_irq_report **ret)
{
	struct steer st = { .ctx = ctx, .req = req, .lenient = true,
			    .known = cs };

	return steer_run(&st, cs, ret);
}

RTVM_EXPORT int rtvm_irq_set_affinity(struct rtvm_ctx *ctx, unsigned int irq,
				      const struct rtvm_cpumask *cpus,
				      struct rtvm_changeset *cs)
{
	char sel[16];
	const char *const select[] = { sel, NULL };
	struct rtvm_irq_steer req = {
		.size = sizeof(req),
		.flags = RTVM_IRQ_STEER_NO_THREADS,
		.select = select,
		.cpus = cpus,
	};
	struct rtvm_irq_report *rep = NULL;
	const struct rtvm_irq_move *m;
	int r;

	if (!cpus)
		return -EINVAL;
	snprintf(sel, sizeof(sel), "%u", irq);
	r = rtvm_irq_steer(ctx, &req, cs, &rep);
	if (r < 0)
		return r;
	m = rtvm_irq_report_get(rep, 0);
	r = m && m->status == RTVM_IRQ_FAILED ? m->error : 0;
	rtvm_irq_report_free(rep);
	return r;
}
