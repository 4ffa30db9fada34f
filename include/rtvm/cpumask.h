/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* librtvm: CPU masks.  Include <rtvm/rtvm.h>, which includes this. */
#ifndef RTVM_CPUMASK_H
#define RTVM_CPUMASK_H

#include <rtvm/context.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ------------------------------------------------------------------ */
/* CPU masks                                                          */
/* ------------------------------------------------------------------ */

/** The largest number of CPUs a mask can hold. */
#define RTVM_CPUMASK_MAX_CPUS 8192

/** rtvm_cpumask_parse_list(), rtvm_cpumask_parse_hex(): accept "" */
#define RTVM_CPUMASK_ALLOW_EMPTY (1u << 0)

struct rtvm_cpumask;

/**
 * rtvm_cpumask_new() - create an empty mask sized for the context's host.
 * @ctx: the context; its host's possible CPUs (/sys/devices/system/cpu/
 *       possible, inside the sysroot) set the mask's capacity.
 * @ret: where the mask is stored; free it with rtvm_cpumask_free().
 *
 * Returns: 0, or -EINVAL (NULL argument), -ENOMEM, or the error of reading
 * the possible CPUs (-ENOENT when the host does not say, -EINVAL when what
 * it says cannot be parsed).
 * Privileges: none.
 */
int rtvm_cpumask_new(struct rtvm_ctx *ctx, struct rtvm_cpumask **ret);

/**
 * rtvm_cpumask_new_nr() - create an empty mask for CPUs 0 .. @nr_cpus - 1.
 * @nr_cpus: 1 .. RTVM_CPUMASK_MAX_CPUS.
 * @ret: where the mask is stored; free it with rtvm_cpumask_free().
 *
 * Returns: 0, or -EINVAL (@ret NULL, @nr_cpus out of range), -ENOMEM.
 * Privileges: none.
 */
int rtvm_cpumask_new_nr(unsigned int nr_cpus, struct rtvm_cpumask **ret);

/**
 * rtvm_cpumask_dup() - copy a mask.
 * @mask: the mask to copy.
 * @ret: where the copy is stored; free it with rtvm_cpumask_free().
 *
 * Returns: 0, or -EINVAL (NULL argument), -ENOMEM.
 * Privileges: none.
 */
int rtvm_cpumask_dup(const struct rtvm_cpumask *mask,
		     struct rtvm_cpumask **ret);

/**
 * rtvm_cpumask_free() - free a mask.
 * @mask: the mask, or NULL.
 *
 * Returns: NULL, always.
 * Privileges: none.
 */
struct rtvm_cpumask *rtvm_cpumask_free(struct rtvm_cpumask *mask);

/**
 * rtvm_cpumask_nr_cpus() - the mask's capacity.
 * @mask: the mask.
 *
 * Returns: the number of CPUs the mask can hold (CPU numbers are below it),
 * or 0 when @mask is NULL.
 * Privileges: none.
 */
unsigned int rtvm_cpumask_nr_cpus(const struct rtvm_cpumask *mask);

/**
 * rtvm_cpumask_parse_list() - set a mask from the kernel's list syntax.
 * @mask: the mask to set.
 * @str: a list such as "0-3,8,10-15" or with strides "0-15:2/4" (groups of 2
 *       out of every 4), with blanks and newlines around items tolerated.
 * @flags: 0 or RTVM_CPUMASK_ALLOW_EMPTY.
 *
 * The whole string is checked before @mask is touched: a bad string never
 * leaves a partial mask.
 *
 * Returns: 0, or -EINVAL for a NULL argument, unknown flags, a malformed list
 * ("3-1", "x", "1,,2"), a CPU number at or above the mask's capacity
 * ("99999"), or an empty list without RTVM_CPUMASK_ALLOW_EMPTY.
 * Privileges: none.
 */
int rtvm_cpumask_parse_list(struct rtvm_cpumask *mask, const char *str,
			    unsigned int flags);

/**
 * rtvm_cpumask_parse_hex() - set a mask from the /proc/irq hex format.
 * @mask: the mask to set.
 * @str: hex digits in 32-bit comma-separated groups, most significant group
 *       first, e.g. "ff,ffffffff" or "00000000,00000003"; leading zeros and
 *       surrounding blanks are allowed.
 * @flags: 0 or RTVM_CPUMASK_ALLOW_EMPTY (accept an all-zero mask).
 *
 * Returns: 0, or -EINVAL for a NULL argument, unknown flags, a malformed
 * string (non-hex digit, a group of more than 8 digits, empty group), a set
 * bit at or above the mask's capacity, or a zero mask without
 * RTVM_CPUMASK_ALLOW_EMPTY.  @mask is unchanged on failure.
 * Privileges: none.
 */
int rtvm_cpumask_parse_hex(struct rtvm_cpumask *mask, const char *str,
			   unsigned int flags);

/**
 * rtvm_cpumask_format_list() - the mask in list syntax, e.g. "0-3,8".
 * @mask: the mask.
 * @ret: where the string is stored ("" for an empty mask); free() it.
 *
 * Returns: 0, or -EINVAL (NULL argument), -ENOMEM.
 * Privileges: none.
 */
int rtvm_cpumask_format_list(const struct rtvm_cpumask *mask, char **ret);

/**
 * rtvm_cpumask_format_hex() - the mask as the kernel prints affinity masks.
 * @mask: the mask.
 * @ret: where the string is stored; free() it.  Groups of 8 hex digits
 *       joined by commas; the first group is only as wide as the capacity
 *       needs ("3" for 2 CPUs, "ffffffff,ffffffff" for 64).
 *
 * Returns: 0, or -EINVAL (NULL argument), -ENOMEM.
 * Privileges: none.
 */
int rtvm_cpumask_format_hex(const struct rtvm_cpumask *mask, char **ret);

/**
 * rtvm_cpumask_set() - add a CPU.
 * @mask: the mask.
 * @cpu: the CPU number.
 *
 * Returns: 0, or -EINVAL (NULL mask, @cpu at or above the capacity).
 * Privileges: none.
 */
int rtvm_cpumask_set(struct rtvm_cpumask *mask, unsigned int cpu);

/**
 * rtvm_cpumask_clear() - remove a CPU.
 * @mask: the mask.
 * @cpu: the CPU number.
 *
 * Returns: 0, or -EINVAL (NULL mask, @cpu at or above the capacity).
 * Privileges: none.
 */
int rtvm_cpumask_clear(struct rtvm_cpumask *mask, unsigned int cpu);

/**
 * rtvm_cpumask_test() - whether a CPU is in the mask.
 * @mask: the mask.
 * @cpu: any CPU number.
 *
 * Returns: true when @cpu is set; false otherwise (also for a NULL mask or a
 * CPU beyond the capacity).
 * Privileges: none.
 */
bool rtvm_cpumask_test(const struct rtvm_cpumask *mask, unsigned int cpu);

/**
 * rtvm_cpumask_zero() - remove every CPU.
 * @mask: the mask (NULL is ignored).
 *
 * Returns: nothing.
 * Privileges: none.
 */
void rtvm_cpumask_zero(struct rtvm_cpumask *mask);

/**
 * rtvm_cpumask_weight() - how many CPUs the mask holds.
 * @mask: the mask.
 *
 * Returns: the count, 0 for a NULL mask.
 * Privileges: none.
 */
unsigned int rtvm_cpumask_weight(const struct rtvm_cpumask *mask);

/**
 * rtvm_cpumask_next() - iterate over the CPUs of a mask.
 * @mask: the mask.
 * @prev: the previous CPU, or -1 to start.
 *
 * Returns: the lowest CPU above @prev that is in @mask, or -1 when there is
 * none (or @mask is NULL).  See rtvm_cpumask_foreach().
 * Privileges: none.
 */
int rtvm_cpumask_next(const struct rtvm_cpumask *mask, int prev);

/** Iterate @cpu (an int) over every CPU of @mask in increasing order. */
#define rtvm_cpumask_foreach(cpu, mask)                                  \
	for ((cpu) = rtvm_cpumask_next((mask), -1); (cpu) >= 0;          \
	     (cpu) = rtvm_cpumask_next((mask), (cpu)))

/** Set operations of rtvm_cpumask_op(). */
enum rtvm_cpumask_op {
	RTVM_CPUMASK_COPY = 0, /* dst = src */
	RTVM_CPUMASK_OR,       /* dst |= src */
	RTVM_CPUMASK_AND,      /* dst &= src */
	RTVM_CPUMASK_ANDNOT,   /* dst &= ~src */
	RTVM_CPUMASK_XOR,      /* dst ^= src */
};

/**
 * rtvm_cpumask_op() - combine two masks in place.
 * @dst: the mask that receives the result.
 * @op: one of enum rtvm_cpumask_op.
 * @src: the other operand; its capacity may differ from @dst's.
 *
 * Returns: 0, or -EINVAL for a NULL mask, an unknown @op, or (COPY, OR and
 * XOR) a CPU of @src at or above @dst's capacity; @dst is unchanged on
 * failure.
 * Privileges: none.
 */
int rtvm_cpumask_op(struct rtvm_cpumask *dst, enum rtvm_cpumask_op op,
		    const struct rtvm_cpumask *src);

/**
 * rtvm_cpumask_equal() - whether two masks hold the same CPUs.
 * @a: a mask.
 * @b: another mask; capacities may differ, masks compare as sets.
 *
 * Returns: true when equal (two NULL masks are equal), false otherwise.
 * Privileges: none.
 */
bool rtvm_cpumask_equal(const struct rtvm_cpumask *a,
			const struct rtvm_cpumask *b);

/**
 * rtvm_cpumask_subset() - whether every CPU of @a is in @b.
 * @a: a mask.
 * @b: another mask.
 *
 * Returns: true or false (false when either is NULL).
 * Privileges: none.
 */
bool rtvm_cpumask_subset(const struct rtvm_cpumask *a,
			 const struct rtvm_cpumask *b);

/**
 * rtvm_cpumask_intersects() - whether @a and @b share a CPU.
 * @a: a mask.
 * @b: another mask.
 *
 * Returns: true or false (false when either is NULL).
 * Privileges: none.
 */
bool rtvm_cpumask_intersects(const struct rtvm_cpumask *a,
			     const struct rtvm_cpumask *b);

#ifdef __cplusplus
}
#endif

#endif /* RTVM_CPUMASK_H */
