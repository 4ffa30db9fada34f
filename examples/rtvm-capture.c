/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* rtvm-capture: copy the files librtvm reads from this host into a sysroot
 * directory, to make test fixtures from real machines. */
#include "config.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <ftw.h>
#include <getopt.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "tool.h"

const char *program_name = "rtvm-capture";

/* What a capture left in its directory: nftw() has no user pointer. */
static unsigned long long walk_files, walk_bytes;

static int count_one(const char *path, const struct stat *st, int type,
		     struct FTW *ftw)
{
	(void)path;
	(void)ftw;
	if (type == FTW_F && S_ISREG(st->st_mode)) {
		walk_files++;
		walk_bytes += (unsigned long long)st->st_size;
	}
	return 0;
}

static void count_files(const char *dir, unsigned long long *files,
			unsigned long long *bytes)
{
	walk_files = walk_bytes = 0;
	/* A directory that is not there holds nothing: no error. */
	(void)nftw(dir, count_one, 16, FTW_PHYS);
	*files = walk_files;
	*bytes = walk_bytes;
}

/* The capture as one JSON object; @r is rtvm_capture()'s result. */
static int print_json(struct rtvm_ctx *ctx, const char *dest, bool threads,
		      int r, const char *hint)
{
	unsigned long long files = 0, bytes = 0;
	char *abs = realpath(dest, NULL);
	cJSON *root = cJSON_CreateObject();
	int ret = -ENOMEM;

	/* A directory the capture refused holds someone else's files. */
	if (r != -ENOTEMPTY && r != -EEXIST)
		count_files(dest, &files, &bytes);
	if (!root ||
	    !cJSON_AddStringToObject(root, "source", rtvm_get_root(ctx)) ||
	    !cJSON_AddStringToObject(root, "destination", abs ? abs : dest) ||
	    !cJSON_AddBoolToObject(root, "all_threads", threads) ||
	    !cJSON_AddBoolToObject(root, "captured", r == 0) ||
	    !cJSON_AddNumberToObject(root, "files", (double)files) ||
	    !cJSON_AddNumberToObject(root, "bytes", (double)bytes))
		goto out;
	if (r == 0) {
		if (!cJSON_AddNullToObject(root, "error"))
			goto out;
	} else if (!cJSON_AddStringToObject(root, "error", strerror(-r)) ||
		   !cJSON_AddNumberToObject(root, "errno", -r) ||
		   (hint && !cJSON_AddStringToObject(root, "hint", hint))) {
		goto out;
	}
	ret = tool_print_json(root, true);
out:
	if (ret == -ENOMEM)
		tool_error("out of memory");
	cJSON_Delete(root);
	free(abs);
	return ret;
}

static void usage(FILE *f)
{
	fprintf(f,
		"Usage: %s [OPTION]... DIR\n"
		"Copy every file librtvm's host model reads into DIR, a new sysroot\n"
		"that RTVM_SYSROOT=DIR or --sysroot DIR can use later.\n\n"
		"  -t, --all-threads    copy every thread's files (default: only this\n"
		"                       tool's own process stands in for the threads)\n"
		"  -s, --sysroot DIR    capture from a sysroot instead of this host\n"
		"  -j, --json           say what was captured as one JSON object\n"
		"  -v, --verbose        log what librtvm does to stderr\n"
		"  -h, --help           this help\n"
		"  -V, --version        the librtvm version\n\n"
		"DIR must be missing or empty.  Exit status: 0 on success, 1 on\n"
		"failure, 64 for bad usage.\n",
		program_name);
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "all-threads", no_argument, NULL, 't' },
		TOOL_COMMON_LONGOPTS,
		{ 0 },
	};
	const char *sysroot = NULL;
	unsigned int flags = 0;
	bool verbose = false, json = false;
	const char *hint = NULL;
	struct rtvm_ctx *ctx;
	int c, r;

	while ((c = getopt_long(argc, argv,
				"t" TOOL_COMMON_SHORTOPTS,
				longopts, NULL)) != -1) {
		if (tool_common_option(c, &json, &sysroot, &verbose, usage))
			continue;
		switch (c) {
		case 't': flags |= RTVM_CAPTURE_THREADS; break;
		default: usage(stderr); return EXIT_USAGE;
		}
	}
	if (optind != argc - 1) {
		tool_error("expected one destination directory");
		usage(stderr);
		return EXIT_USAGE;
	}
	if (tool_new_ctx(sysroot, verbose, &ctx) < 0)
		return EXIT_FAILURE;
	r = rtvm_capture(ctx, argv[optind], flags);
	if (r == -ENOTEMPTY)
		hint = "choose a new or empty directory";
	if (r < 0)
		tool_error("capture of %s into %s failed: %s%s%s%s",
			   rtvm_get_root(ctx), argv[optind], strerror(-r),
			   hint ? " (" : "", hint ? hint : "", hint ? ")" : "");
	if (json) {
		if (print_json(ctx, argv[optind],
			       flags & RTVM_CAPTURE_THREADS, r, hint) < 0 &&
		    r == 0)
			r = -EIO;
	} else if (r == 0) {
		printf("captured %s into %s\n", rtvm_get_root(ctx), argv[optind]);
	}
	rtvm_unref(ctx);
	return r < 0 ? EXIT_FAILURE : EXIT_SUCCESS;
}
