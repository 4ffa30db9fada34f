/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The state file of rtvm-demo: what a run that did not finish leaves to
 * undo.  Read by rtvm-demo at its next start and by rtvm-tune revert
 * --demo. */
#include "config.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "demo-state.h"
#include "tool.h"

char *demo_slurp(const char *path)
{
	FILE *f = fopen(path, "r");
	char *buf = NULL;
	size_t size = 0;

	if (!f)
		return NULL;
	if (getdelim(&buf, &size, '\0', f) < 0) {
		free(buf);
		buf = strdup("");
	}
	fclose(f);
	return buf;
}

void demo_remove_scope(const char *dir)
{
	char cmd[PATH_MAX * 2 + 128];

	if (!dir[0] || access(dir, F_OK) != 0)
		return;
	/* Deepest first; the namespace's tasks may take a moment to go. */
	for (int i = 0; i < 100; i++) {
		snprintf(cmd, sizeof(cmd),
			 "find '%s' -mindepth 1 -depth -type d -exec rmdir {} + "
			 "2>/dev/null; rmdir '%s' 2>/dev/null", dir, dir);
		if (system(cmd) < 0 || access(dir, F_OK) != 0)
			return;
		usleep(50000);
	}
	tool_error("cannot remove %s", dir);
}

/* Put back what a state file records; returns how many records. */
static int undo_state(struct rtvm_ctx *ctx, const char *text,
		      unsigned int *count)
{
	cJSON *j = cJSON_Parse(text), *it;
	int r = 0, r2;

	*count = 0;
	if (!j)
		return -EINVAL;
	/* IRQs whose move had started: their affinity before. */
	cJSON_ArrayForEach(it, cJSON_GetObjectItem(j, "pending_irqs")) {
		cJSON *irq = cJSON_GetObjectItem(it, "irq"),
		      *before = cJSON_GetObjectItem(it, "before");
		struct rtvm_cpumask *m = NULL;

		if (!cJSON_IsNumber(irq) || !cJSON_IsString(before))
			continue;
		if (rtvm_cpumask_new(ctx, &m) == 0 &&
		    rtvm_cpumask_parse_list(m, before->valuestring, 0) == 0) {
			r2 = rtvm_irq_set_affinity(ctx,
						   (unsigned int)irq->valueint,
						   m, NULL);
			if (r2 < 0 && r2 != -ENOENT && r == 0)
				r = r2;
			(*count)++;
		}
		rtvm_cpumask_free(m);
	}
	for (int k = 0; k < 3; k++) {
		static const char *const keys[] = { "changes", "pm_qos",
						    "pending_changes" };
		cJSON *c = cJSON_GetObjectItem(j, keys[k]);
		struct rtvm_changeset *cs = NULL;
		char *s;

		if (!c)
			continue;
		s = cJSON_PrintUnformatted(c);
		r2 = s ? rtvm_changeset_new_from_json(ctx, s, &cs) : -ENOMEM;
		free(s);
		if (r2 == 0) {
			*count += rtvm_changeset_get_count(cs);
			r2 = rtvm_changeset_restore(cs, 0);
		}
		if (r2 < 0 && r == 0)
			r = r2;
		rtvm_changeset_unref(cs);
	}
	it = cJSON_GetObjectItem(j, "scope");
	if (cJSON_IsString(it) &&
	    strncmp(it->valuestring, DEMO_CPUSET_ROOT "/rtvm-demo-",
		    strlen(DEMO_CPUSET_ROOT "/rtvm-demo-")) == 0)
		demo_remove_scope(it->valuestring);
	cJSON_Delete(j);
	return r;
}

/* A previous run that did not finish: undo what it recorded. */
int demo_recover(struct rtvm_ctx *ctx, const char *state, bool quiet)
{
	char *text = demo_slurp(state), comm[64] = "", path[64];
	unsigned int n = 0;
	cJSON *j, *pid;
	int r;

	if (!text)
		return errno == ENOENT ? 0 : -errno;
	j = cJSON_Parse(text);
	pid = j ? cJSON_GetObjectItem(j, "pid") : NULL;
	if (cJSON_IsNumber(pid) && pid->valueint != getpid()) {
		char *c;

		snprintf(path, sizeof(path), "/proc/%d/comm", pid->valueint);
		c = demo_slurp(path);
		if (c)
			snprintf(comm, sizeof(comm), "%s", c);
		free(c);
		comm[strcspn(comm, "\n")] = '\0';
		if (strcmp(comm, "rtvm-demo") == 0) {
			tool_error("another rtvm-demo is running (pid %d, "
				   "state file %s)", pid->valueint, state);
			cJSON_Delete(j);
			free(text);
			return -EBUSY;
		}
	}
	cJSON_Delete(j);
	r = undo_state(ctx, text, &n);
	free(text);
	if (r < 0) {
		tool_error("a previous run did not finish and undoing its "
			   "%u change(s) from %s failed: %s; fix by hand, then "
			   "remove the file", n, state, strerror(-r));
		return r;
	}
	unlink(state);
	if (!quiet)
		fprintf(stderr, "%s: a previous run did not finish: restored "
				"its %u recorded change(s) from %s\n",
			program_name, n, state);
	return 1;
}

