/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* librtvm: Capture.  Include <rtvm/rtvm.h>, which includes this. */
#ifndef RTVM_CAPTURE_H
#define RTVM_CAPTURE_H

#include <rtvm/context.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ------------------------------------------------------------------ */
/* Capture: fixtures from real hosts                                  */
/* ------------------------------------------------------------------ */

/* rtvm_capture(): also copy every thread's files (big on a busy host) */
#define RTVM_CAPTURE_THREADS (1u << 0)

/**
 * rtvm_capture() - copy every file the host model reads into a new
 *      sysroot, so that tests can run on the shape of a real machine.
 * @ctx: the context whose host (or sysroot) is read.
 * @destdir: the directory to fill; it is created when missing and must be
 *           empty otherwise.
 * @flags: 0 or RTVM_CAPTURE_THREADS.
 *
 * Without RTVM_CAPTURE_THREADS only the calling process's threads are
 * copied (none when @ctx reads a sysroot).  Files are copied with their
 * content at the time of the capture; links the library followed become
 * plain files.
 *
 * Returns: 0, or -EINVAL (NULL argument, unknown flags), -ENOTEMPTY
 * (@destdir is not empty), -EEXIST (@destdir is not a directory), -ENOMEM,
 * or the error of reading the host or writing @destdir.
 * Privileges: none; some files are readable only by root, and a capture
 * made as another user leaves them out.
 */
int rtvm_capture(struct rtvm_ctx *ctx, const char *destdir,
		 unsigned int flags);

#ifdef __cplusplus
}
#endif

#endif /* RTVM_CAPTURE_H */
