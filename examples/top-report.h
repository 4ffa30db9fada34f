/* SPDX-License-Identifier: LGPL-2.1-or-later */
#ifndef RTVM_TOP_REPORT_H
#define RTVM_TOP_REPORT_H

#include <stdbool.h>

/* rtvm-top --report PATH: the recording summarized on stdout (as a JSON
 * document with @json), and drawn to @plot_file (.svg or .png) when not
 * NULL.  Errors are said on stderr; -errno. */
int top_report(const char *path, bool json, const char *plot_file);

#endif
