/* SPDX-License-Identifier: LGPL-2.1-or-later */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fuzz.h"

static char root[4096];

static int rm_one(const char *path, const struct stat *st, int flag,
		  struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

static void rm_root(void)
{
	if (root[0])
		nftw(root, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

const char *fz_root(void)
{
	if (!root[0]) {
		const char *tmp = getenv("TMPDIR");

		snprintf(root, sizeof(root), "%s/rtvm-fuzz-XXXXXX",
			 tmp && *tmp ? tmp : "/tmp");
		if (!mkdtemp(root))
			abort();
		atexit(rm_root);
	}
	return root;
}

static void mkdirs(char *path)
{
	for (char *p = strchr(path + 1, '/'); p; p = strchr(p + 1, '/')) {
		*p = '\0';
		mkdir(path, 0755);
		*p = '/';
	}
}

void fz_write(const char *rel, const void *data, size_t size)
{
	char path[8192];
	int fd;

	snprintf(path, sizeof(path), "%s/%s", fz_root(), rel);
	mkdirs(path);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0 || (size && write(fd, data, size) != (ssize_t)size))
		abort();
	close(fd);
}

struct rtvm_ctx *fz_ctx(void)
{
	struct rtvm_ctx *ctx;

	if (rtvm_new(&ctx) < 0 || rtvm_set_root(ctx, fz_root()) < 0)
		abort();
	rtvm_set_log_fn(ctx, NULL);
	return ctx;
}

char *fz_string(const uint8_t *data, size_t size)
{
	char *s = malloc(size + 1);

	if (!s)
		abort();
	memcpy(s, data, size);
	s[size] = '\0';
	return s;
}

void fz_split(const uint8_t *data, size_t size, char **parts, size_t n,
	      char **ret_copy)
{
	char *copy = fz_string(data, size), *p = copy, *end = copy + size;

	for (size_t i = 0; i < n; i++) {
		parts[i] = p < end ? p : end;
		if (p < end)
			p += strlen(p) + 1;
	}
	*ret_copy = copy;
}
