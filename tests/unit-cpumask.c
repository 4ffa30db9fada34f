/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Unit tests of the CPU masks (librtvm/cpumask.c). */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* CPU_SET_S */
#endif
#include <check.h>
#include <errno.h>
#include <limits.h>
#include <sched.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rtvm/rtvm.h>

#include "librtvm-private.h" /* rtvm_cpumask_bits() */

#define N(a) (sizeof(a) / sizeof((a)[0]))

/* ---- helpers ---------------------------------------------------------- */

static struct rtvm_cpumask *mask_new(unsigned int nr)
{
	struct rtvm_cpumask *m = NULL;

	ck_assert_int_eq(rtvm_cpumask_new_nr(nr, &m), 0);
	ck_assert_ptr_nonnull(m);
	ck_assert_uint_eq(rtvm_cpumask_nr_cpus(m), nr);
	ck_assert_uint_eq(rtvm_cpumask_weight(m), 0);
	return m;
}

/* A mask of capacity @nr holding @list (which may be ""). */
static struct rtvm_cpumask *mask_of(unsigned int nr, const char *list)
{
	struct rtvm_cpumask *m = mask_new(nr);

	ck_assert_msg(rtvm_cpumask_parse_list(m, list,
					      RTVM_CPUMASK_ALLOW_EMPTY) == 0,
		      "cannot parse \"%s\"", list);
	return m;
}

static char *fmt_list(const struct rtvm_cpumask *m)
{
	char *s = NULL;

	ck_assert_int_eq(rtvm_cpumask_format_list(m, &s), 0);
	ck_assert_ptr_nonnull(s);
	return s;
}

static char *fmt_hex(const struct rtvm_cpumask *m)
{
	char *s = NULL;

	ck_assert_int_eq(rtvm_cpumask_format_hex(m, &s), 0);
	ck_assert_ptr_nonnull(s);
	return s;
}

static void assert_list(const struct rtvm_cpumask *m, const char *expect)
{
	char *s = fmt_list(m);

	ck_assert_str_eq(s, expect);
	free(s);
}

static void assert_hex(const struct rtvm_cpumask *m, const char *expect)
{
	char *s = fmt_hex(m);

	ck_assert_str_eq(s, expect);
	free(s);
}

/* Reference formatters, written the slow and obvious way. */
static void ref_list(const bool *set, unsigned int nr, char *out)
{
	bool first = true;

	*out = '\0';
	for (unsigned int i = 0; i < nr; i++) {
		unsigned int j = i;

		if (!set[i])
			continue;
		while (j + 1 < nr && set[j + 1])
			j++;
		out += sprintf(out, "%s%u", first ? "" : ",", i);
		if (j > i)
			out += sprintf(out, "-%u", j);
		first = false;
		i = j;
	}
}

static void ref_hex(const bool *set, unsigned int nr, char *out)
{
	unsigned int ngroups = (nr + 31) / 32;

	for (unsigned int g = ngroups; g-- > 0;) {
		unsigned int width = 8;

		if (g == ngroups - 1 && nr % 32)
			width = (nr % 32 + 3) / 4;
		for (unsigned int d = width; d-- > 0;) {
			unsigned int v = 0;

			for (unsigned int b = 0; b < 4; b++) {
				unsigned int cpu = g * 32 + d * 4 + b;

				if (cpu < nr && set[cpu])
					v |= 1u << b;
			}
			*out++ = "0123456789abcdef"[v];
		}
		if (g)
			*out++ = ',';
	}
	*out = '\0';
}

/* ---- creation --------------------------------------------------------- */

START_TEST(test_new_limits)
{
	struct rtvm_cpumask *m = NULL;

	ck_assert_int_eq(rtvm_cpumask_new_nr(0, &m), -EINVAL);
	ck_assert_ptr_null(m);
	ck_assert_int_eq(rtvm_cpumask_new_nr(RTVM_CPUMASK_MAX_CPUS + 1, &m),
			 -EINVAL);
	ck_assert_ptr_null(m);
	ck_assert_int_eq(rtvm_cpumask_new_nr(UINT_MAX, &m), -EINVAL);
	ck_assert_int_eq(rtvm_cpumask_new_nr(4, NULL), -EINVAL);

	m = mask_new(1);
	m = rtvm_cpumask_free(m);
	ck_assert_ptr_null(m);
	m = mask_new(RTVM_CPUMASK_MAX_CPUS);
	ck_assert_int_eq(rtvm_cpumask_set(m, RTVM_CPUMASK_MAX_CPUS - 1), 0);
	assert_list(m, "8191");
	rtvm_cpumask_free(m);

	ck_assert_uint_eq(rtvm_cpumask_nr_cpus(NULL), 0);
	ck_assert_ptr_null(rtvm_cpumask_free(NULL));
}
END_TEST

START_TEST(test_dup)
{
	struct rtvm_cpumask *m = mask_of(100, "1,50-60,99"), *d = NULL;

	ck_assert_int_eq(rtvm_cpumask_dup(NULL, &d), -EINVAL);
	ck_assert_int_eq(rtvm_cpumask_dup(m, NULL), -EINVAL);
	ck_assert_int_eq(rtvm_cpumask_dup(m, &d), 0);
	ck_assert_uint_eq(rtvm_cpumask_nr_cpus(d), 100);
	ck_assert(rtvm_cpumask_equal(m, d));
	/* Independent copies. */
	ck_assert_int_eq(rtvm_cpumask_clear(d, 99), 0);
	ck_assert(rtvm_cpumask_test(m, 99));
	assert_list(d, "1,50-60");
	rtvm_cpumask_free(m);
	rtvm_cpumask_free(d);
}
END_TEST

/* ---- set, clear, test, zero, weight ---------------------------------- */

START_TEST(test_bits_ops)
{
	struct rtvm_cpumask *m = mask_new(70);

	ck_assert_int_eq(rtvm_cpumask_set(m, 0), 0);
	ck_assert_int_eq(rtvm_cpumask_set(m, 63), 0);
	ck_assert_int_eq(rtvm_cpumask_set(m, 64), 0);
	ck_assert_int_eq(rtvm_cpumask_set(m, 69), 0);
	ck_assert_int_eq(rtvm_cpumask_set(m, 69), 0); /* idempotent */
	ck_assert_int_eq(rtvm_cpumask_set(m, 70), -EINVAL);
	ck_assert_int_eq(rtvm_cpumask_set(m, UINT_MAX), -EINVAL);
	ck_assert_int_eq(rtvm_cpumask_set(NULL, 0), -EINVAL);
	ck_assert_uint_eq(rtvm_cpumask_weight(m), 4);
	assert_list(m, "0,63-64,69");

	ck_assert(rtvm_cpumask_test(m, 63));
	ck_assert(!rtvm_cpumask_test(m, 62));
	ck_assert(!rtvm_cpumask_test(m, 70));
	ck_assert(!rtvm_cpumask_test(m, UINT_MAX));
	ck_assert(!rtvm_cpumask_test(NULL, 0));

	ck_assert_int_eq(rtvm_cpumask_clear(m, 63), 0);
	ck_assert_int_eq(rtvm_cpumask_clear(m, 1), 0); /* not set: fine */
	ck_assert_int_eq(rtvm_cpumask_clear(m, 70), -EINVAL);
	ck_assert_int_eq(rtvm_cpumask_clear(NULL, 0), -EINVAL);
	ck_assert(!rtvm_cpumask_test(m, 63));
	ck_assert_uint_eq(rtvm_cpumask_weight(m), 3);

	rtvm_cpumask_zero(m);
	rtvm_cpumask_zero(NULL);
	ck_assert_uint_eq(rtvm_cpumask_weight(m), 0);
	assert_list(m, "");
	ck_assert_uint_eq(rtvm_cpumask_weight(NULL), 0);

	ck_assert_int_eq(rtvm_cpumask_parse_list(m, "0-69", 0), 0);
	ck_assert_uint_eq(rtvm_cpumask_weight(m), 70);
	rtvm_cpumask_free(m);
}
END_TEST

/* ---- parse_list -------------------------------------------------------- */

static const struct {
	unsigned int nr;
	const char *in;
	const char *out;
} good_lists[] = {
	{ 64, "0-3,8,10-15", "0-3,8,10-15" },
	{ 64, "5", "5" },
	{ 64, "0", "0" },
	{ 64, "63", "63" },
	{ 64, "0-63", "0-63" },
	{ 64, "3-3", "3" },
	{ 64, "007,0010", "7,10" },
	{ 64, "8,0-3,2", "0-3,8" },	/* unordered, overlapping */
	{ 64, "1,2,3", "1-3" },
	/* strides: G out of every S */
	{ 64, "0-15:2/4", "0-1,4-5,8-9,12-13" },
	{ 64, "0-13:3/4", "0-2,4-6,8-10,12-13" },	/* last group clipped */
	{ 64, "2-9:1/3", "2,5,8" },
	{ 64, "0-7:4/4", "0-7" },
	{ 64, "0-0:1/1", "0" },
	{ 64, "1-63:1/32", "1,33" },
	{ 64, "0-63:1/4294967295", "0" },	/* huge stride, no overflow */
	{ 64, "0-63:4294967295/4294967295", "0-63" },
	{ 64, "0-3:1/2,10", "0,2,10" },
	/* whitespace around items and at the ends */
	{ 64, " 1, 3 \n", "1,3" },
	{ 64, "\t0-2 ,\t5\n", "0-2,5" },
	{ 64, "1\n", "1" },
	{ 64, "\n\n 4-5:1/2 \t", "4" },
	{ 64, "1 ,\n 2", "1-2" },
	{ 1, "0", "0" },
	{ 2, "0-1", "0-1" },
	{ 8192, "8191", "8191" },
	{ 8192, "0-8191:1/1", "0-8191" },
	{ 8192, "0-8191:1/4096", "0,4096" },
};

START_TEST(test_list_good)
{
	struct rtvm_cpumask *m = mask_new(good_lists[_i].nr);

	/* Pre-fill: a successful parse replaces, it does not add. */
	ck_assert_int_eq(rtvm_cpumask_set(m, good_lists[_i].nr - 1), 0);
	ck_assert_msg(rtvm_cpumask_parse_list(m, good_lists[_i].in, 0) == 0,
		      "parse_list(\"%s\") failed", good_lists[_i].in);
	assert_list(m, good_lists[_i].out);
	rtvm_cpumask_free(m);
}
END_TEST

/* Rejected with and without RTVM_CPUMASK_ALLOW_EMPTY, at capacity 64. */
static const char *const bad_lists[] = {
	"3-1", "x", "1,,2", "1,", "1, ", "1,\n", ",1", ",", " , ",
	"1-", "-1", "-", "1--3", "0-15:0/4", "0-15:5/4", "0-15:1/0",
	"0-15:0/0", "0-15:", "0-15:2", "0-15:2/", "0-15:/4", "0-15:2/4:1",
	"1:1/2", "1-3/2", "1 - 3", "1 -3", "1- 3", "1 2", "1;2", "0x1",
	"+1", "1.0", "a-b", "ff", "１", "1\x01", "all", "N",
	"99999", "64", "0-64", "63-64", "0-64:1/2", "99999999999999999999",
	"4294967296", "4294967295", "0-4294967296", "0-15:4294967296/4",
	"0-15:1/4294967296", "18446744073709551617",
};

static void assert_unchanged(struct rtvm_cpumask *m, const char *what)
{
	char *s = fmt_list(m);

	ck_assert_msg(strcmp(s, "1,3,5,60-63") == 0,
		      "mask changed to \"%s\" by \"%s\"", s, what);
	free(s);
}

START_TEST(test_list_bad)
{
	struct rtvm_cpumask *m = mask_of(64, "1,3,5,60-63");
	const char *in = bad_lists[_i];
	int r;

	r = rtvm_cpumask_parse_list(m, in, 0);
	ck_assert_msg(r == -EINVAL, "parse_list(\"%s\") = %d", in, r);
	assert_unchanged(m, in);
	r = rtvm_cpumask_parse_list(m, in, RTVM_CPUMASK_ALLOW_EMPTY);
	ck_assert_msg(r == -EINVAL, "parse_list(\"%s\", ALLOW_EMPTY) = %d",
		      in, r);
	assert_unchanged(m, in);
	rtvm_cpumask_free(m);
}
END_TEST

static const char *const empty_strings[] = { "", " ", "\n", " \t\n ", "\n\n" };

START_TEST(test_list_empty)
{
	struct rtvm_cpumask *m = mask_of(64, "1,3,5,60-63");
	const char *in = empty_strings[_i];

	ck_assert_int_eq(rtvm_cpumask_parse_list(m, in, 0), -EINVAL);
	assert_unchanged(m, in);
	ck_assert_int_eq(rtvm_cpumask_parse_list(m, in,
						 RTVM_CPUMASK_ALLOW_EMPTY), 0);
	ck_assert_uint_eq(rtvm_cpumask_weight(m), 0);
	assert_list(m, "");
	rtvm_cpumask_free(m);
}
END_TEST

START_TEST(test_list_args)
{
	struct rtvm_cpumask *m = mask_of(64, "1,3,5,60-63");

	ck_assert_int_eq(rtvm_cpumask_parse_list(NULL, "1", 0), -EINVAL);
	ck_assert_int_eq(rtvm_cpumask_parse_list(m, NULL, 0), -EINVAL);
	ck_assert_int_eq(rtvm_cpumask_parse_list(m, "1", 1u << 1), -EINVAL);
	ck_assert_int_eq(rtvm_cpumask_parse_list(m, "1", 1u << 31), -EINVAL);
	ck_assert_int_eq(rtvm_cpumask_parse_list(m, "", ~0u), -EINVAL);
	assert_unchanged(m, "bad arguments");
	/* The capacity, not the word size, is the limit. */
	rtvm_cpumask_free(m);
	m = mask_new(33);
	ck_assert_int_eq(rtvm_cpumask_parse_list(m, "33", 0), -EINVAL);
	ck_assert_int_eq(rtvm_cpumask_parse_list(m, "32", 0), 0);
	assert_list(m, "32");
	rtvm_cpumask_free(m);
}
END_TEST

/* ---- parse_hex --------------------------------------------------------- */

static const struct {
	unsigned int nr;
	const char *in;
	const char *out; /* as a list */
} good_hex[] = {
	{ 2, "3", "0-1" },
	{ 2, "1", "0" },
	{ 2, "2", "1" },
	{ 2, "00000003", "0-1" },
	{ 2, "00000000,00000003", "0-1" },
	{ 2, "0,0,0,3", "0-1" },
	{ 1, "00000000,00000000,00000001", "0" },
	{ 40, "ff,ffffffff", "0-39" },
	{ 40, "FF,FFFFFFFF", "0-39" },
	{ 40, "Ff,fFfFfFfF", "0-39" },
	{ 40, "000000ff,ffffffff", "0-39" },
	{ 64, "ffffffff,ffffffff", "0-63" },
	{ 64, "80000000,00000001", "0,63" },
	{ 64, "80000000,1", "0,63" },
	{ 64, "8000,0", "47" },
	{ 64, "1,0", "32" },
	{ 64, "0001", "0" },
	{ 64, "a5", "0,2,5,7" },
	{ 64, "  ff\n", "0-7" },
	{ 64, "\t1\n", "0" },
	{ 64, "\n 00000000,00000010 \n", "4" },
	{ 33, "1,00000000", "32" },
	{ 36, "f,ffffffff", "0-35" },
	{ 100, "8,00000000,00000000,00000000", "99" },
	{ 100, "0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,1", "0" },
};

START_TEST(test_hex_good)
{
	struct rtvm_cpumask *m = mask_new(good_hex[_i].nr);

	ck_assert_int_eq(rtvm_cpumask_set(m, good_hex[_i].nr - 1), 0);
	ck_assert_msg(rtvm_cpumask_parse_hex(m, good_hex[_i].in, 0) == 0,
		      "parse_hex(\"%s\") failed", good_hex[_i].in);
	assert_list(m, good_hex[_i].out);
	rtvm_cpumask_free(m);
}
END_TEST

/* Rejected with and without RTVM_CPUMASK_ALLOW_EMPTY, at capacity 64. */
static const char *const bad_hex[] = {
	"g", "0x3", "x3", "ff,", ",ff", ",", "ff,,ff", "123456789",
	"000000000", "0,000000000", "f f", "ff ,ff", "ff, ff", "ff,\nff",
	"-1", "+1", "ff;ff", "fg", "1,00000000,00000000",
	"10000000000000000", "ffffffff,ffffffff,ffffffff", "8,0,0",
	"1.0",
};

START_TEST(test_hex_bad)
{
	struct rtvm_cpumask *m = mask_of(64, "1,3,5,60-63");
	const char *in = bad_hex[_i];
	int r;

	r = rtvm_cpumask_parse_hex(m, in, 0);
	ck_assert_msg(r == -EINVAL, "parse_hex(\"%s\") = %d", in, r);
	assert_unchanged(m, in);
	r = rtvm_cpumask_parse_hex(m, in, RTVM_CPUMASK_ALLOW_EMPTY);
	ck_assert_msg(r == -EINVAL, "parse_hex(\"%s\", ALLOW_EMPTY) = %d",
		      in, r);
	assert_unchanged(m, in);
	rtvm_cpumask_free(m);
}
END_TEST

/* Bits at or above the capacity, at small capacities. */
START_TEST(test_hex_capacity)
{
	static const struct {
		unsigned int nr;
		const char *in;
	} cases[] = {
		{ 2, "4" }, { 2, "7" }, { 1, "2" }, { 31, "80000000" },
		{ 32, "1,00000000" }, { 33, "2,00000000" },
		{ 36, "10,00000000" }, { 36, "1f,ffffffff" },
		{ 64, "1,00000000,00000000" },
	};

	for (size_t i = 0; i < N(cases); i++) {
		struct rtvm_cpumask *m = mask_new(cases[i].nr);
		int r;

		ck_assert_int_eq(rtvm_cpumask_set(m, 0), 0);
		r = rtvm_cpumask_parse_hex(m, cases[i].in,
					   RTVM_CPUMASK_ALLOW_EMPTY);
		ck_assert_msg(r == -EINVAL, "nr %u parse_hex(\"%s\") = %d",
			      cases[i].nr, cases[i].in, r);
		assert_list(m, "0");
		rtvm_cpumask_free(m);
	}
}
END_TEST

static const char *const zero_hex[] = {
	"", " ", "\n", "0", "00000000", "00000000,00000000", " 0,0\n",
	"0,0,0,0,0,0,0,0,0,0",
};

START_TEST(test_hex_zero)
{
	struct rtvm_cpumask *m = mask_of(64, "1,3,5,60-63");
	const char *in = zero_hex[_i];

	ck_assert_int_eq(rtvm_cpumask_parse_hex(m, in, 0), -EINVAL);
	assert_unchanged(m, in);
	ck_assert_int_eq(rtvm_cpumask_parse_hex(m, in,
						RTVM_CPUMASK_ALLOW_EMPTY), 0);
	ck_assert_uint_eq(rtvm_cpumask_weight(m), 0);
	rtvm_cpumask_free(m);
}
END_TEST

START_TEST(test_hex_args)
{
	struct rtvm_cpumask *m = mask_of(64, "1,3,5,60-63");

	ck_assert_int_eq(rtvm_cpumask_parse_hex(NULL, "1", 0), -EINVAL);
	ck_assert_int_eq(rtvm_cpumask_parse_hex(m, NULL, 0), -EINVAL);
	ck_assert_int_eq(rtvm_cpumask_parse_hex(m, "1", 1u << 1), -EINVAL);
	ck_assert_int_eq(rtvm_cpumask_parse_hex(m, "1", 1u << 31), -EINVAL);
	assert_unchanged(m, "bad arguments");
	rtvm_cpumask_free(m);
}
END_TEST

/* ---- formatting -------------------------------------------------------- */

START_TEST(test_format_list)
{
	static const struct {
		unsigned int nr;
		const char *list;
	} cases[] = {
		{ 1, "" }, { 1, "0" }, { 8, "7" }, { 8, "0-7" }, { 8, "0-1" },
		{ 8, "1,3" }, { 8, "0,2-3,5-7" }, { 64, "0-3,8,10-15" },
		{ 128, "63-64" }, { 128, "0,127" }, { 8192, "0-8191" },
		{ 8192, "4095-4096,8191" },
	};
	char *s = NULL;

	for (size_t i = 0; i < N(cases); i++) {
		struct rtvm_cpumask *m = mask_of(cases[i].nr, cases[i].list);

		assert_list(m, cases[i].list);
		rtvm_cpumask_free(m);
	}
	ck_assert_int_eq(rtvm_cpumask_format_list(NULL, &s), -EINVAL);
	ck_assert_ptr_null(s);
}
END_TEST

START_TEST(test_format_hex)
{
	static const struct {
		unsigned int nr;
		const char *list, *hex;
	} cases[] = {
		{ 1, "", "0" },
		{ 1, "0", "1" },
		{ 2, "0-1", "3" },
		{ 4, "3", "8" },
		{ 5, "4", "10" },
		{ 8, "0-7", "ff" },
		{ 9, "0", "001" },
		{ 31, "30", "40000000" },
		{ 32, "", "00000000" },
		{ 32, "0", "00000001" },
		{ 33, "32", "1,00000000" },
		{ 36, "0-35", "f,ffffffff" },
		{ 40, "0-39", "ff,ffffffff" },
		{ 64, "0-63", "ffffffff,ffffffff" },
		{ 64, "0,63", "80000000,00000001" },
		{ 100, "99", "8,00000000,00000000,00000000" },
		{ 100, "4-7,32", "0,00000000,00000001,000000f0" },
	};
	char *s = NULL;

	for (size_t i = 0; i < N(cases); i++) {
		struct rtvm_cpumask *m = mask_of(cases[i].nr, cases[i].list);

		assert_hex(m, cases[i].hex);
		rtvm_cpumask_free(m);
	}
	ck_assert_int_eq(rtvm_cpumask_format_hex(NULL, &s), -EINVAL);
	ck_assert_ptr_null(s);
}
END_TEST

/* ---- round trips on random masks --------------------------------------- */

static const unsigned int capacities[] = { 1, 2, 31, 32, 33, 64, 100, 8192 };

/* Fill @m and @set with a random mask; densities vary so that both single
 * CPUs and long ranges occur. */
static void random_mask(struct rtvm_cpumask *m, bool *set, unsigned int nr)
{
	static const int per_mille[] = { 0, 2, 50, 300, 500, 700, 950, 1000 };
	int p = per_mille[rand() % (int)N(per_mille)];
	bool ok = true;

	/* One assertion per mask: each passing ck_assert costs a syscall. */
	rtvm_cpumask_zero(m);
	for (unsigned int c = 0; c < nr; c++) {
		set[c] = rand() % 1000 < p;
		if (set[c])
			ok = ok && rtvm_cpumask_set(m, c) == 0;
	}
	ck_assert(ok);
}

START_TEST(test_roundtrip)
{
	unsigned int nr = capacities[_i];
	struct rtvm_cpumask *m = mask_new(nr), *back = mask_new(nr);
	bool *set = calloc(nr, sizeof(*set));
	char *ref = malloc((size_t)nr * 6 + 16);

	ck_assert_ptr_nonnull(set);
	ck_assert_ptr_nonnull(ref);
	srand(4242 + _i);
	for (int iter = 0; iter < 1000; iter++) {
		unsigned int weight = 0, seen = 0;
		bool ok = true;
		char *s;
		int cpu, prev = -1;

		random_mask(m, set, nr);
		for (unsigned int c = 0; c < nr; c++) {
			weight += set[c];
			ok = ok && rtvm_cpumask_test(m, c) == set[c];
		}
		ck_assert(ok);
		ck_assert_uint_eq(rtvm_cpumask_weight(m), weight);
		/* foreach visits exactly the set CPUs, in increasing order */
		rtvm_cpumask_foreach(cpu, m) {
			ok = ok && cpu > prev && (unsigned int)cpu < nr &&
			     set[cpu];
			prev = cpu;
			seen++;
		}
		ck_assert(ok);
		ck_assert_uint_eq(seen, weight);

		/* list -> mask -> list */
		s = fmt_list(m);
		ref_list(set, nr, ref);
		ck_assert_str_eq(s, ref);
		rtvm_cpumask_set(back, 0);
		ck_assert_int_eq(rtvm_cpumask_parse_list(
					 back, s, RTVM_CPUMASK_ALLOW_EMPTY), 0);
		ck_assert(rtvm_cpumask_equal(back, m));
		free(s);
		assert_list(back, ref);

		/* hex -> mask -> hex */
		s = fmt_hex(m);
		ref_hex(set, nr, ref);
		ck_assert_str_eq(s, ref);
		rtvm_cpumask_zero(back);
		ck_assert_int_eq(rtvm_cpumask_parse_hex(
					 back, s, RTVM_CPUMASK_ALLOW_EMPTY), 0);
		ck_assert(rtvm_cpumask_equal(back, m));
		free(s);
		assert_hex(back, ref);
	}
	free(ref);
	free(set);
	rtvm_cpumask_free(m);
	rtvm_cpumask_free(back);
}
END_TEST

/* The reference formatters themselves, so a shared bug cannot hide. */
START_TEST(test_reference)
{
	bool set[40] = { false };
	char buf[128];

	set[0] = set[1] = set[2] = set[5] = set[39] = true;
	ref_list(set, 40, buf);
	ck_assert_str_eq(buf, "0-2,5,39");
	ref_hex(set, 40, buf);
	ck_assert_str_eq(buf, "80,00000027");
	ref_hex(set, 2, buf);
	ck_assert_str_eq(buf, "3");
}
END_TEST

/* ---- comparisons across capacities ------------------------------------- */

START_TEST(test_compare)
{
	struct rtvm_cpumask *small = mask_of(8, "1,5");
	struct rtvm_cpumask *big = mask_of(8192, "1,5");
	struct rtvm_cpumask *empty = mask_new(3), *empty2 = mask_new(4000);

	ck_assert(rtvm_cpumask_equal(small, big));
	ck_assert(rtvm_cpumask_equal(big, small));
	ck_assert(rtvm_cpumask_subset(small, big));
	ck_assert(rtvm_cpumask_subset(big, small));
	ck_assert(rtvm_cpumask_intersects(small, big));
	ck_assert(rtvm_cpumask_equal(empty, empty2));
	ck_assert(rtvm_cpumask_subset(empty, small));
	ck_assert(!rtvm_cpumask_subset(small, empty));
	ck_assert(!rtvm_cpumask_intersects(empty, small));
	ck_assert(!rtvm_cpumask_intersects(empty, empty2));

	ck_assert_int_eq(rtvm_cpumask_set(big, 7000), 0);
	ck_assert(!rtvm_cpumask_equal(small, big));
	ck_assert(!rtvm_cpumask_equal(big, small));
	ck_assert(rtvm_cpumask_subset(small, big));
	ck_assert(!rtvm_cpumask_subset(big, small));
	ck_assert(rtvm_cpumask_intersects(big, small));

	ck_assert_int_eq(rtvm_cpumask_parse_list(big, "0,2-4,6-8191", 0), 0);
	ck_assert(!rtvm_cpumask_intersects(big, small));
	ck_assert(!rtvm_cpumask_intersects(small, big));
	ck_assert(!rtvm_cpumask_subset(small, big));

	ck_assert(rtvm_cpumask_equal(NULL, NULL));
	ck_assert(!rtvm_cpumask_equal(small, NULL));
	ck_assert(!rtvm_cpumask_equal(NULL, small));
	ck_assert(!rtvm_cpumask_subset(NULL, small));
	ck_assert(!rtvm_cpumask_subset(small, NULL));
	ck_assert(!rtvm_cpumask_subset(NULL, NULL));
	ck_assert(!rtvm_cpumask_intersects(small, NULL));
	ck_assert(!rtvm_cpumask_intersects(NULL, small));

	rtvm_cpumask_free(small);
	rtvm_cpumask_free(big);
	rtvm_cpumask_free(empty);
	rtvm_cpumask_free(empty2);
}
END_TEST

/* ---- op ---------------------------------------------------------------- */

/* dst (capacity 70, "1-3,64-69") op src (capacity @nr, @src) == @expect */
static void check_op(enum rtvm_cpumask_op op, unsigned int nr, const char *src,
		     int ret, const char *expect)
{
	struct rtvm_cpumask *d = mask_of(70, "1-3,64-69");
	struct rtvm_cpumask *s = mask_of(nr, src);

	ck_assert_msg(rtvm_cpumask_op(d, op, s) == ret, "op %d with \"%s\"",
		      (int)op, src);
	assert_list(d, expect);
	assert_list(s, src); /* src is never touched */
	rtvm_cpumask_free(d);
	rtvm_cpumask_free(s);
}

START_TEST(test_op)
{
	const char *same = "1-3,64-69";

	check_op(RTVM_CPUMASK_COPY, 8, "0,7", 0, "0,7");
	check_op(RTVM_CPUMASK_COPY, 8192, "5,69", 0, "5,69");
	check_op(RTVM_CPUMASK_COPY, 8192, "", 0, "");
	check_op(RTVM_CPUMASK_COPY, 8192, "5,70", -EINVAL, same);
	check_op(RTVM_CPUMASK_COPY, 8192, "8191", -EINVAL, same);

	check_op(RTVM_CPUMASK_OR, 8, "0,3,7", 0, "0-3,7,64-69");
	check_op(RTVM_CPUMASK_OR, 128, "10,69", 0, "1-3,10,64-69");
	check_op(RTVM_CPUMASK_OR, 128, "10,127", -EINVAL, same);

	check_op(RTVM_CPUMASK_XOR, 8, "0-3", 0, "0,64-69");
	check_op(RTVM_CPUMASK_XOR, 70, "1-3,64-69", 0, "");
	check_op(RTVM_CPUMASK_XOR, 100, "3,70", -EINVAL, same);

	check_op(RTVM_CPUMASK_AND, 8, "2-7", 0, "2-3");
	check_op(RTVM_CPUMASK_AND, 8192, "3,65,100-8191", 0, "3,65");
	check_op(RTVM_CPUMASK_AND, 1, "", 0, "");

	check_op(RTVM_CPUMASK_ANDNOT, 8, "2-7", 0, "1,64-69");
	check_op(RTVM_CPUMASK_ANDNOT, 8192, "3,65,100-8191", 0, "1-2,64,66-69");
	check_op(RTVM_CPUMASK_ANDNOT, 1, "", 0, same);

	check_op((enum rtvm_cpumask_op)5, 8, "0", -EINVAL, same);
	check_op((enum rtvm_cpumask_op)-1, 8, "0", -EINVAL, same);
	check_op((enum rtvm_cpumask_op)1000, 8, "0", -EINVAL, same);
}
END_TEST

START_TEST(test_op_args)
{
	struct rtvm_cpumask *m = mask_of(16, "1-3");

	ck_assert_int_eq(rtvm_cpumask_op(NULL, RTVM_CPUMASK_OR, m), -EINVAL);
	ck_assert_int_eq(rtvm_cpumask_op(m, RTVM_CPUMASK_OR, NULL), -EINVAL);
	/* The same mask on both sides. */
	ck_assert_int_eq(rtvm_cpumask_op(m, RTVM_CPUMASK_OR, m), 0);
	assert_list(m, "1-3");
	ck_assert_int_eq(rtvm_cpumask_op(m, RTVM_CPUMASK_XOR, m), 0);
	assert_list(m, "");
	rtvm_cpumask_free(m);
}
END_TEST

/* ---- iteration --------------------------------------------------------- */

START_TEST(test_next)
{
	struct rtvm_cpumask *m = mask_of(200, "0,63-64,127,128,199");
	const int expect[] = { 0, 63, 64, 127, 128, 199 };
	size_t n = 0;
	int cpu;

	rtvm_cpumask_foreach(cpu, m) {
		ck_assert_uint_lt(n, N(expect));
		ck_assert_int_eq(cpu, expect[n]);
		n++;
	}
	ck_assert_uint_eq(n, N(expect));

	ck_assert_int_eq(rtvm_cpumask_next(m, -1), 0);
	ck_assert_int_eq(rtvm_cpumask_next(m, 0), 63);
	ck_assert_int_eq(rtvm_cpumask_next(m, 62), 63);
	ck_assert_int_eq(rtvm_cpumask_next(m, 64), 127);
	ck_assert_int_eq(rtvm_cpumask_next(m, 129), 199);
	ck_assert_int_eq(rtvm_cpumask_next(m, 198), 199);
	ck_assert_int_eq(rtvm_cpumask_next(m, 199), -1);
	ck_assert_int_eq(rtvm_cpumask_next(m, 200), -1);
	ck_assert_int_eq(rtvm_cpumask_next(m, INT_MAX), -1);
	ck_assert_int_eq(rtvm_cpumask_next(NULL, -1), -1);

	rtvm_cpumask_zero(m);
	ck_assert_int_eq(rtvm_cpumask_next(m, -1), -1);
	n = 0;
	rtvm_cpumask_foreach(cpu, m)
		n++;
	ck_assert_uint_eq(n, 0);
	rtvm_cpumask_free(m);

	m = mask_of(1, "0");
	ck_assert_int_eq(rtvm_cpumask_next(m, -1), 0);
	ck_assert_int_eq(rtvm_cpumask_next(m, 0), -1);
	rtvm_cpumask_free(m);
}
END_TEST

/* ---- layout ------------------------------------------------------------ */

START_TEST(test_bits_layout)
{
	static const unsigned int cpus[] = { 0, 1, 31, 32, 63, 64, 65, 150, 199 };
	struct rtvm_cpumask *m = mask_new(200);
	const unsigned long *bits;
	unsigned long *mut;
	cpu_set_t set;
	size_t bytes = 0;

	CPU_ZERO(&set);
	for (size_t i = 0; i < N(cpus); i++) {
		CPU_SET(cpus[i], &set);
		ck_assert_int_eq(rtvm_cpumask_set(m, cpus[i]), 0);
	}
	bits = rtvm_cpumask_bits(m, &bytes);
	ck_assert_ptr_nonnull(bits);
	/* Whole words, just enough for 200 CPUs. */
	ck_assert_uint_eq(bytes, (200 + 8 * sizeof(long) - 1) / (8 * sizeof(long)) *
				 sizeof(long));
	ck_assert_uint_eq(bytes % sizeof(unsigned long), 0);
	ck_assert_uint_ge(bytes * 8, 200);
	ck_assert_uint_le(bytes, sizeof(set));
	ck_assert_mem_eq(bits, &set, bytes);
	ck_assert_int_eq(CPU_COUNT_S(bytes, (cpu_set_t *)bits), N(cpus));
	ck_assert(CPU_ISSET_S(150, bytes, (cpu_set_t *)bits));

	/* Writes through the mutable view are seen by the mask. */
	mut = rtvm_cpumask_bits_mut(m, &bytes);
	ck_assert_ptr_eq(mut, bits);
	CPU_ZERO_S(bytes, (cpu_set_t *)mut);
	CPU_SET_S(77, bytes, (cpu_set_t *)mut);
	assert_list(m, "77");

	ck_assert_ptr_null(rtvm_cpumask_bits(NULL, &bytes));
	ck_assert_uint_eq(bytes, 0);
	ck_assert_ptr_null(rtvm_cpumask_bits_mut(NULL, NULL));
	rtvm_cpumask_free(m);

	m = mask_of(1, "0");
	bits = rtvm_cpumask_bits(m, &bytes);
	ck_assert_uint_eq(bytes, sizeof(unsigned long));
	ck_assert_uint_eq(bits[0], 1);
	rtvm_cpumask_free(m);
}
END_TEST

/* ---- suite ------------------------------------------------------------- */

static Suite *cpumask_suite(void)
{
	Suite *s = suite_create("cpumask");
	TCase *tc;

	tc = tcase_create("basics");
	tcase_add_test(tc, test_new_limits);
	tcase_add_test(tc, test_dup);
	tcase_add_test(tc, test_bits_ops);
	tcase_add_test(tc, test_next);
	tcase_add_test(tc, test_bits_layout);
	suite_add_tcase(s, tc);

	tc = tcase_create("parse");
	tcase_add_loop_test(tc, test_list_good, 0, (int)N(good_lists));
	tcase_add_loop_test(tc, test_list_bad, 0, (int)N(bad_lists));
	tcase_add_loop_test(tc, test_list_empty, 0, (int)N(empty_strings));
	tcase_add_test(tc, test_list_args);
	tcase_add_loop_test(tc, test_hex_good, 0, (int)N(good_hex));
	tcase_add_loop_test(tc, test_hex_bad, 0, (int)N(bad_hex));
	tcase_add_test(tc, test_hex_capacity);
	tcase_add_loop_test(tc, test_hex_zero, 0, (int)N(zero_hex));
	tcase_add_test(tc, test_hex_args);
	suite_add_tcase(s, tc);

	tc = tcase_create("format");
	tcase_add_test(tc, test_format_list);
	tcase_add_test(tc, test_format_hex);
	tcase_add_test(tc, test_reference);
	suite_add_tcase(s, tc);

	tc = tcase_create("roundtrip");
	tcase_set_timeout(tc, 120); /* 8192 CPUs under sanitizers or valgrind */
	tcase_add_loop_test(tc, test_roundtrip, 0, (int)N(capacities));
	suite_add_tcase(s, tc);

	tc = tcase_create("sets");
	tcase_add_test(tc, test_compare);
	tcase_add_test(tc, test_op);
	tcase_add_test(tc, test_op_args);
	suite_add_tcase(s, tc);

	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(cpumask_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
