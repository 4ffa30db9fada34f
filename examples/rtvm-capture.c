/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* rtvm-capture: copy the files librtvm reads from this host into a sysroot
 * directory, to make test fixtures from real machines. */
#include "config.h"

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tool.h"

const char *program_name = "rtvm-capture";

static void usage(FILE *f)
{
	fprintf(f,
		"Usage: %s [OPTION]... DIR\n"
		"Copy every file librtvm's host model reads into DIR, a new sysroot\n"
		"that RTVM_SYSROOT=DIR or --sysroot DIR can use later.\n\n"
		"  -t, --all-threads    copy every thread's files (default: only this\n"
		"                       tool's own process stands in for the threads)\n"
		"  -s, --sysroot DIR    capture from a sysroot instead of this host\n"
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
		{ "sysroot", required_argument, NULL, 's' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ 0 },
	};
	const char *sysroot = NULL;
	unsigned int flags = 0;
	bool verbose = false;
	struct rtvm_ctx *ctx;
	int c, r;

	while ((c = getopt_long(argc, argv, "ts:vhV", longopts, NULL)) != -1) {
		switch (c) {
		case 't': flags |= RTVM_CAPTURE_THREADS; break;
		case 's': sysroot = optarg; break;
		case 'v': verbose = true; break;
		case 'h': usage(stdout); return EXIT_SUCCESS;
		case 'V': printf("%s %s\n", program_name, rtvm_version());
			  return EXIT_SUCCESS;
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
	if (r < 0)
		tool_error("capture of %s into %s failed: %s%s",
			   rtvm_get_root(ctx), argv[optind], strerror(-r),
			   r == -ENOTEMPTY ? " (choose a new or empty directory)" : "");
	else
		printf("captured %s into %s\n", rtvm_get_root(ctx), argv[optind]);
	rtvm_unref(ctx);
	return r < 0 ? EXIT_FAILURE : EXIT_SUCCESS;
}
