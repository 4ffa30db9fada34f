/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * CPU masks: fixed-capacity bitmaps laid out like glibc's cpu_set_t, with
 * the kernel's two text forms, lists ("0-3,8") and hex ("ff,ffffffff").
 *
 * Invariant: bits at or above nr_cpus are always zero.  Readers still mask
 * them off (word()), so masks of different capacities compare as sets.
 */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "librtvm-private.h"

#define BITS_PER_LONG (CHAR_BIT * sizeof(unsigned long))
#define WORDS(nr) (((size_t)(nr) + BITS_PER_LONG - 1) / BITS_PER_LONG)
#define MAX_WORDS WORDS(RTVM_CPUMASK_MAX_CPUS)

struct rtvm_cpumask {
	unsigned int nr_cpus;
	size_t nwords;
	unsigned long bits[];
};

/* The bits of word @i that name CPUs below the capacity. */
static unsigned long valid_bits(const struct rtvm_cpumask *m, size_t i)
{
	size_t rem = m->nr_cpus % BITS_PER_LONG;

	if (i >= m->nwords)
		return 0;
	if (i + 1 < m->nwords || rem == 0)
		return ~0UL;
	return (1UL << rem) - 1;
}

/* Word @i of @m as a set: 0 past the end, whatever the capacity. */
static unsigned long word(const struct rtvm_cpumask *m, size_t i)
{
	return i < m->nwords ? m->bits[i] & valid_bits(m, i) : 0;
}

static void set_bit(unsigned long *bits, unsigned int cpu)
{
	bits[cpu / BITS_PER_LONG] |= 1UL << (cpu % BITS_PER_LONG);
}

RTVM_EXPORT int rtvm_cpumask_new_nr(unsigned int nr_cpus,
				    struct rtvm_cpumask **ret)
{
	struct rtvm_cpumask *m;
	size_t nwords = WORDS(nr_cpus);

	if (!ret || nr_cpus == 0 || nr_cpus > RTVM_CPUMASK_MAX_CPUS)
		return -EINVAL;
	m = calloc(1, sizeof(*m) + nwords * sizeof(unsigned long));
	if (!m)
		return -ENOMEM;
	m->nr_cpus = nr_cpus;
	m->nwords = nwords;
	*ret = m;
	return 0;
}

RTVM_EXPORT int rtvm_cpumask_dup(const struct rtvm_cpumask *mask,
				 struct rtvm_cpumask **ret)
{
	struct rtvm_cpumask *m;
	size_t size;

	if (!mask || !ret)
		return -EINVAL;
	size = sizeof(*m) + mask->nwords * sizeof(unsigned long);
	m = malloc(size);
	if (!m)
		return -ENOMEM;
	memcpy(m, mask, size);
	*ret = m;
	return 0;
}

RTVM_EXPORT struct rtvm_cpumask *rtvm_cpumask_free(struct rtvm_cpumask *mask)
{
	free(mask);
	return NULL;
}

RTVM_EXPORT unsigned int rtvm_cpumask_nr_cpus(const struct rtvm_cpumask *mask)
{
	return mask ? mask->nr_cpus : 0;
}

const unsigned long *rtvm_cpumask_bits(const struct rtvm_cpumask *mask,
				       size_t *ret_bytes)
{
	if (ret_bytes)
		*ret_bytes = mask ? mask->nwords * sizeof(unsigned long) : 0;
	return mask ? mask->bits : NULL;
}

unsigned long *rtvm_cpumask_bits_mut(struct rtvm_cpumask *mask,
				     size_t *ret_bytes)
{
	if (ret_bytes)
		*ret_bytes = mask ? mask->nwords * sizeof(unsigned long) : 0;
	return mask ? mask->bits : NULL;
}

/* ---- parsing ---------------------------------------------------------- */

/* The kernel's isspace() for ASCII: blanks and newlines. */
static bool is_blank(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' ||
	       c == '\f';
}

static const char *skip_blanks(const char *s)
{
	while (is_blank(*s))
		s++;
	return s;
}

/* A decimal number; NULL when there is none or it does not fit. */
static const char *parse_num(const char *s, unsigned int *ret)
{
	unsigned long long v = 0;

	if (*s < '0' || *s > '9')
		return NULL;
	for (; *s >= '0' && *s <= '9'; s++) {
		v = v * 10 + (unsigned int)(*s - '0');
		if (v > UINT_MAX)
			return NULL;
	}
	*ret = (unsigned int)v;
	return s;
}

/*
 * Items "N", "N-M" or "N-M:G/S" joined by commas, blanks around items.
 * Unlike the kernel, empty items ("1,,2", "1,") are errors: they are typos.
 */
static int parse_list(const char *s, unsigned int nr_cpus, unsigned long *bits)
{
	s = skip_blanks(s);
	if (!*s)
		return 0; /* empty: parse() decides */
	for (;;) {
		unsigned int start, end, group, stride;

		s = parse_num(s, &start);
		if (!s)
			return -EINVAL;
		end = start;
		group = stride = 0;
		if (*s == '-') {
			s = parse_num(s + 1, &end);
			if (!s)
				return -EINVAL;
			if (*s == ':') {
				s = parse_num(s + 1, &group);
				if (!s || *s != '/')
					return -EINVAL;
				s = parse_num(s + 1, &stride);
				if (!s || group == 0 || group > stride)
					return -EINVAL;
			}
		}
		if (start > end || end >= nr_cpus)
			return -EINVAL;
		if (!stride)
			group = stride = end - start + 1;

		/* Written to avoid overflow: a stride may be near UINT_MAX. */
		for (unsigned int base = start;;) {
			unsigned int last =
				group - 1 > end - base ? end : base + group - 1;

			for (unsigned int cpu = base; cpu <= last; cpu++)
				set_bit(bits, cpu);
			if (stride > end - base)
				break;
			base += stride;
		}

		s = skip_blanks(s);
		if (!*s)
			return 0;
		if (*s != ',')
			return -EINVAL;
		s = skip_blanks(s + 1);
	}
}

static int hex_digit(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Comma-separated groups of 1..8 hex digits, most significant first. */
static int parse_hex(const char *s, unsigned int nr_cpus, unsigned long *bits)
{
	const char *end;
	size_t ngroups = 1;

	s = skip_blanks(s);
	end = s + strlen(s);
	while (end > s && is_blank(end[-1]))
		end--;
	if (s == end)
		return 0; /* empty: parse() decides */
	for (const char *p = s; p < end; p++)
		ngroups += *p == ',';

	for (size_t g = ngroups; g-- > 0;) {
		unsigned int v = 0, n = 0;
		size_t bit;

		for (; s < end && *s != ','; s++, n++) {
			int d = hex_digit(*s);

			if (d < 0 || n == 8)
				return -EINVAL;
			v = v << 4 | (unsigned int)d;
		}
		if (n == 0)
			return -EINVAL;
		s++; /* the comma; past @end only after the last group */
		if (!v)
			continue; /* zero groups may lie beyond the capacity */
		if (g > nr_cpus / 32)
			return -EINVAL;
		bit = g * 32;
		if (bit + 31 - (unsigned int)__builtin_clz(v) >= nr_cpus)
			return -EINVAL;
		bits[bit / BITS_PER_LONG] |= (unsigned long)v
					     << (bit % BITS_PER_LONG);
	}
	return 0;
}

typedef int (*parse_fn)(const char *s, unsigned int nr_cpus,
			unsigned long *bits);

/* Parse into a temporary so that @mask is untouched on failure. */
static int parse(struct rtvm_cpumask *mask, const char *str,
		 unsigned int flags, parse_fn fn)
{
	unsigned long tmp[MAX_WORDS] = { 0 };
	bool zero = true;
	int r;

	if (!mask || !str || (flags & ~RTVM_CPUMASK_ALLOW_EMPTY))
		return -EINVAL;
	r = fn(str, mask->nr_cpus, tmp);
	if (r < 0)
		return r;
	/* An empty string, or hex zeros, is an empty mask. */
	for (size_t i = 0; i < mask->nwords; i++)
		zero = zero && !tmp[i];
	if (zero && !(flags & RTVM_CPUMASK_ALLOW_EMPTY))
		return -EINVAL;
	memcpy(mask->bits, tmp, mask->nwords * sizeof(unsigned long));
	return 0;
}

RTVM_EXPORT int rtvm_cpumask_parse_list(struct rtvm_cpumask *mask,
					const char *str, unsigned int flags)
{
	return parse(mask, str, flags, parse_list);
}

RTVM_EXPORT int rtvm_cpumask_parse_hex(struct rtvm_cpumask *mask,
				       const char *str, unsigned int flags)
{
	return parse(mask, str, flags, parse_hex);
}

/* ---- formatting ------------------------------------------------------- */

RTVM_EXPORT int rtvm_cpumask_format_list(const struct rtvm_cpumask *mask,
					 char **ret)
{
	size_t digits;
	char *buf, *p;
	int cpu;

	if (!mask || !ret)
		return -EINVAL;
	/* Each CPU costs at most its digits and a separator ("1,3" or
	 * "1-2,"), and no CPU number is wider than nr_cpus. */
	digits = (size_t)snprintf(NULL, 0, "%u", mask->nr_cpus);
	buf = malloc((size_t)mask->nr_cpus * (digits + 1) + 1);
	if (!buf)
		return -ENOMEM;
	p = buf;
	*p = '\0';
	for (cpu = rtvm_cpumask_next(mask, -1); cpu >= 0;) {
		int last = cpu;

		while (rtvm_cpumask_next(mask, last) == last + 1)
			last++;
		p += sprintf(p, "%s%d", p == buf ? "" : ",", cpu);
		if (last > cpu)
			p += sprintf(p, "-%d", last);
		cpu = rtvm_cpumask_next(mask, last);
	}
	*ret = buf;
	return 0;
}

RTVM_EXPORT int rtvm_cpumask_format_hex(const struct rtvm_cpumask *mask,
					char **ret)
{
	unsigned int ngroups, rem;
	int width;
	char *buf, *p;

	if (!mask || !ret)
		return -EINVAL;
	/* As the kernel's "%*pb": the top group only as wide as needed. */
	ngroups = (mask->nr_cpus + 31) / 32;
	rem = mask->nr_cpus % 32;
	width = rem ? (int)(rem + 3) / 4 : 8;
	buf = malloc((size_t)ngroups * 9);
	if (!buf)
		return -ENOMEM;
	p = buf;
	for (unsigned int g = ngroups; g-- > 0;) {
		size_t bit = (size_t)g * 32;
		unsigned long v = word(mask, bit / BITS_PER_LONG) >>
				  (bit % BITS_PER_LONG);

		p += sprintf(p, "%s%0*lx", g + 1 < ngroups ? "," : "", width,
			     v & 0xffffffffUL);
		width = 8;
	}
	*ret = buf;
	return 0;
}

/* ---- bits ------------------------------------------------------------- */

RTVM_EXPORT int rtvm_cpumask_set(struct rtvm_cpumask *mask, unsigned int cpu)
{
	if (!mask || cpu >= mask->nr_cpus)
		return -EINVAL;
	set_bit(mask->bits, cpu);
	return 0;
}

RTVM_EXPORT int rtvm_cpumask_clear(struct rtvm_cpumask *mask, unsigned int cpu)
{
	if (!mask || cpu >= mask->nr_cpus)
		return -EINVAL;
	mask->bits[cpu / BITS_PER_LONG] &= ~(1UL << (cpu % BITS_PER_LONG));
	return 0;
}

RTVM_EXPORT bool rtvm_cpumask_test(const struct rtvm_cpumask *mask,
				   unsigned int cpu)
{
	if (!mask || cpu >= mask->nr_cpus)
		return false;
	return mask->bits[cpu / BITS_PER_LONG] >> (cpu % BITS_PER_LONG) & 1;
}

RTVM_EXPORT void rtvm_cpumask_zero(struct rtvm_cpumask *mask)
{
	if (mask)
		memset(mask->bits, 0, mask->nwords * sizeof(unsigned long));
}

RTVM_EXPORT unsigned int rtvm_cpumask_weight(const struct rtvm_cpumask *mask)
{
	unsigned int n = 0;

	if (!mask)
		return 0;
	for (size_t i = 0; i < mask->nwords; i++)
		n += (unsigned int)__builtin_popcountl(word(mask, i));
	return n;
}

RTVM_EXPORT int rtvm_cpumask_next(const struct rtvm_cpumask *mask, int prev)
{
	unsigned int start;
	size_t i;
	unsigned long w;

	if (!mask)
		return -1;
	if (prev < 0)
		prev = -1; /* any negative value starts over */
	if ((unsigned int)prev + 1 >= mask->nr_cpus)
		return -1; /* also keeps prev + 1 from overflowing */
	start = (unsigned int)prev + 1;
	i = start / BITS_PER_LONG;
	w = word(mask, i) & (~0UL << (start % BITS_PER_LONG));
	while (!w) {
		if (++i >= mask->nwords)
			return -1;
		w = word(mask, i);
	}
	return (int)(i * BITS_PER_LONG) + __builtin_ctzl(w);
}

/* ---- sets ------------------------------------------------------------- */

RTVM_EXPORT int rtvm_cpumask_op(struct rtvm_cpumask *dst,
				enum rtvm_cpumask_op op,
				const struct rtvm_cpumask *src)
{
	if (!dst || !src || (unsigned int)op > RTVM_CPUMASK_XOR)
		return -EINVAL;
	/* Results that could add CPUs of @src must fit in @dst: check all of
	 * @src before writing anything. */
	if (op == RTVM_CPUMASK_COPY || op == RTVM_CPUMASK_OR ||
	    op == RTVM_CPUMASK_XOR)
		for (size_t i = 0; i < src->nwords; i++)
			if (word(src, i) & ~valid_bits(dst, i))
				return -EINVAL;

	for (size_t i = 0; i < dst->nwords; i++) {
		unsigned long d = word(dst, i), s = word(src, i);

		switch (op) {
		case RTVM_CPUMASK_COPY:
			d = s;
			break;
		case RTVM_CPUMASK_OR:
			d |= s;
			break;
		case RTVM_CPUMASK_AND:
			d &= s;
			break;
		case RTVM_CPUMASK_ANDNOT:
			d &= ~s;
			break;
		case RTVM_CPUMASK_XOR:
			d ^= s;
			break;
		}
		dst->bits[i] = d & valid_bits(dst, i);
	}
	return 0;
}

static size_t max_words(const struct rtvm_cpumask *a,
			const struct rtvm_cpumask *b)
{
	return a->nwords > b->nwords ? a->nwords : b->nwords;
}

RTVM_EXPORT bool rtvm_cpumask_equal(const struct rtvm_cpumask *a,
				    const struct rtvm_cpumask *b)
{
	if (!a || !b)
		return a == b;
	for (size_t i = 0; i < max_words(a, b); i++)
		if (word(a, i) != word(b, i))
			return false;
	return true;
}

RTVM_EXPORT bool rtvm_cpumask_subset(const struct rtvm_cpumask *a,
				     const struct rtvm_cpumask *b)
{
	if (!a || !b)
		return false;
	for (size_t i = 0; i < a->nwords; i++)
		if (word(a, i) & ~word(b, i))
			return false;
	return true;
}

RTVM_EXPORT bool rtvm_cpumask_intersects(const struct rtvm_cpumask *a,
					 const struct rtvm_cpumask *b)
{
	if (!a || !b)
		return false;
	for (size_t i = 0; i < max_words(a, b); i++)
		if (word(a, i) & word(b, i))
			return true;
	return false;
}
