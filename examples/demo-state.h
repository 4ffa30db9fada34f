/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* rtvm-demo's state file, shared with rtvm-tune (revert --demo). */
#ifndef RTVM_DEMO_STATE_H
#define RTVM_DEMO_STATE_H

#include <stdbool.h>
#include <rtvm/rtvm.h>

#define DEMO_CPUSET_ROOT "/sys/fs/cgroup/cpuset"
#define DEMO_DEFAULT_STATE "/run/rtvm/demo.json"

/* A whole (small) file, NULL when it cannot be opened (errno says why);
 * free() it. */
char *demo_slurp(const char *path);
/* Remove the demo's cpuset scope DIR and what is below it. */
void demo_remove_scope(const char *dir);
/* A run that did not finish left STATE: undo what it recorded and remove
 * the file.  1 when something was undone (said on stderr unless @quiet),
 * 0 when there is no such file, -EBUSY when its demo still runs, or the
 * error of undoing (the file is kept). */
int demo_recover(struct rtvm_ctx *ctx, const char *state, bool quiet);

#endif
