/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Shared by the libFuzzer targets: a private sysroot made once per run, in
 * which each input is written as host files before the library reads them.
 * A broken invariant is a crash (__builtin_trap), so libFuzzer keeps it.
 */
#ifndef RTVM_FUZZ_H
#define RTVM_FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <rtvm/rtvm.h>

#define fz_assert(cond)                                                    \
	do {                                                               \
		if (!(cond))                                               \
			__builtin_trap();                                  \
	} while (0)

/* The run's sysroot (made on first use, removed at exit). */
const char *fz_root(void);
/* Write @size bytes as file @rel of the sysroot (directories made). */
void fz_write(const char *rel, const void *data, size_t size);
/* A context rooted at the sysroot, without logging. */
struct rtvm_ctx *fz_ctx(void);
/* The input as a NUL-terminated string (malloc'ed). */
char *fz_string(const uint8_t *data, size_t size);
/* Split the input at NUL bytes into at most @n parts; the parts point
 * into one malloc'ed copy (*ret_copy), and missing ones are "". */
void fz_split(const uint8_t *data, size_t size, char **parts, size_t n,
	      char **ret_copy);

#endif
