/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * rtvm-boostd: librtvm's boost broker as a daemon, for libvirt domains
 * and plain VMM processes.  Guests ask, over their channel (the host end
 * of a virtio-serial port, rtvm-boost(7)), for their vCPU threads to be
 * raised to an RT policy and dropped after; each VM's policy in the JSON
 * configuration bounds what they get (rtvm-boostd(8)).
 *
 *   rtvm-boostd [-c FILE]          run until SIGTERM; SIGHUP reloads
 *   rtvm-boostd status [--json]    the running daemon's counters
 *   rtvm-boostd --dry-run          read the configuration, find the VMs
 *   rtvm-boostd restore            put back what a crashed daemon left
 *
 * The vCPU threads' attributes are journaled when a VM is added, so that
 * the next start (or restore) puts back what a crash left boosted.
 */
#include "config.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <stdint.h>
#include <poll.h>
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "boost-policy-json.h"
#include "tool.h"

const char *program_name = "rtvm-boostd";

#define DEFAULT_CONFIG "/etc/rtvm/boostd.json"
#define MAX_VMS 256
#define LOG_PER_SEC 20 /* refusal lines per second, at most */
_Static_assert(RTVM_BOOST_BELL_MAX_VECTORS == 64, "doorbell_vectors says 1 to 64");

struct dvm {
	char *name;
	pid_t pid;	  /* "pid", or 0 */
	char *pidfile;	  /* "pidfile" */
	char *domain;	  /* "libvirt" */
	char *uri;	  /* "uri" */
	char *connect;	  /* the channel: connect to this socket */
	char *listen;	  /* or listen on this one */
	char *doorbell;	  /* and be the ivshmem server on this one */
	unsigned int vectors; /* "doorbell_vectors": 0 = 1 */
	struct rtvm_boost_policy pol;
	char *profile;	  /* "profile": its "boost" gives pol's defaults */
	/* running */
	unsigned int id;  /* in the broker, 0 while not found */
	struct rtvm_vm *vm;
	int listen_fd;
	bool told;	  /* "not found" said once */
};

struct config {
	char *control;
	unsigned int nr;
	struct dvm vms[MAX_VMS];
};

struct daemon {
	struct rtvm_ctx *ctx;
	struct rtvm_boost *b;
	struct config cfg;
	const char *config_path, *state_path, *control_path;
	bool verbose;
	int control_fd, sig_fd;
	time_t log_second;
	unsigned int logged, unlogged;
};

/* ---- configuration ---------------------------------------------------------- */

static void config_free(struct config *c)
{
	for (unsigned int i = 0; i < c->nr; i++) {
		struct dvm *v = &c->vms[i];

		free(v->name);
		free(v->pidfile);
		free(v->domain);
		free(v->uri);
		free(v->connect);
		free(v->listen);
		free(v->doorbell);
		free(v->profile);
	}
	free(c->control);
	*c = (struct config){0};
}

static int bad(const char *path, const char *where, const char *what)
{
	tool_error("%s: %s: %s", path, where, what);
	return -EINVAL;
}

static int get_uint(const char *path, const char *where, const cJSON *o,
		    unsigned long max, unsigned int *ret)
{
	char msg[128];

	if (!cJSON_IsNumber(o) || o->valuedouble < 0 || o->valuedouble > max ||
	    o->valuedouble != (double)(unsigned long)o->valuedouble) {
		char *text = cJSON_PrintUnformatted(o);

		snprintf(msg, sizeof(msg), "%s is not a whole number in 0..%lu",
			 text ? text : "?", max);
		free(text);
		return bad(path, where, msg);
	}
	*ret = (unsigned int)o->valuedouble;
	return 0;
}

static int get_string(const char *path, const char *where, const cJSON *o,
		      char **ret)
{
	if (!cJSON_IsString(o) || !o->valuestring[0])
		return bad(path, where, "must be a non-empty string");
	*ret = strdup(o->valuestring);
	return *ret ? 0 : -ENOMEM;
}

/* The policy keys (boost-policy-json.c, the validator of a profile's
 * "boost" too) laid over @p. */
static int parse_policy(const char *path, const char *at, const cJSON *o,
			struct rtvm_boost_policy *p)
{
	struct boost_policy_json_error e;
	char where[192];
	int r = boost_policy_from_json(o, p, &e);

	if (r == -EINVAL) {
		snprintf(where, sizeof(where), "%s%s", at, e.where);
		return bad(path, where, e.what);
	}
	if (r < 0)
		tool_error("%s: %s: %s", path, at, strerror(-r));
	return r;
}

/* The "boost" of the profile @file (relative: to the configuration's
 * directory) as @v's policy, before the entry's own "policy" keys. */
static int profile_policy(struct rtvm_ctx *ctx, const char *path,
			  const char *where, const char *file,
			  struct rtvm_boost_policy *ret)
{
	struct rtvm_profile *p = NULL;
	const char *slash = strrchr(path, '/');
	char *full = NULL, *text;
	int r;

	if (file[0] != '/' && slash &&
	    asprintf(&full, "%.*s/%s", (int)(slash - path), path, file) < 0)
		return -ENOMEM;
	text = tool_read_file(full ? full : file);
	if (!text) {
		free(full);
		return bad(path, where, "the profile cannot be read (above)");
	}
	r = rtvm_profile_new_from_json(ctx, text, &p);
	free(text);
	if (r == 0) {
		r = rtvm_profile_get_boost_policy(p, ret);
		if (r == -ENOENT) {
			char msg[PATH_MAX + 64];

			snprintf(msg, sizeof(msg), "\"%s\" has no \"boost\" policy",
				 full ? full : file);
			r = bad(path, where, msg);
		}
	} else if (r == -EINVAL) {
		char msg[PATH_MAX + 64];

		snprintf(msg, sizeof(msg), "\"%s\" is not a valid profile (the "
			 "error is above)", full ? full : file);
		r = bad(path, where, msg);
	}
	if (r < 0 && r != -EINVAL)
		tool_error("%s: %s: %s", path, where, strerror(-r));
	rtvm_profile_unref(p);
	free(full);
	return r;
}

static int parse_vm(struct rtvm_ctx *ctx, const char *path,
		    unsigned int index, const cJSON *o, struct dvm *v)
{
	char at[64], where[128];
	const cJSON *e, *policy = NULL;
	int r = 0, ids = 0;

	snprintf(at, sizeof(at), "vms[%u]", index);
	if (!cJSON_IsObject(o))
		return bad(path, at, "must be an object");
	cJSON_ArrayForEach(e, o) {
		unsigned int pid;

		snprintf(where, sizeof(where), "%s.%s", at, e->string);
		if (strcmp(e->string, "name") == 0)
			r = get_string(path, where, e, &v->name);
		else if (strcmp(e->string, "pid") == 0) {
			r = get_uint(path, where, e, INT_MAX, &pid);
			if (r == 0 && !pid)
				r = bad(path, where, "0 is no process");
			v->pid = (pid_t)pid;
			ids++;
		} else if (strcmp(e->string, "pidfile") == 0) {
			r = get_string(path, where, e, &v->pidfile);
			ids++;
		} else if (strcmp(e->string, "libvirt") == 0) {
			r = get_string(path, where, e, &v->domain);
			ids++;
		} else if (strcmp(e->string, "uri") == 0)
			r = get_string(path, where, e, &v->uri);
		else if (strcmp(e->string, "connect") == 0)
			r = get_string(path, where, e, &v->connect);
		else if (strcmp(e->string, "listen") == 0)
			r = get_string(path, where, e, &v->listen);
		else if (strcmp(e->string, "doorbell") == 0)
			r = get_string(path, where, e, &v->doorbell);
		else if (strcmp(e->string, "doorbell_vectors") == 0) {
			r = get_uint(path, where, e, RTVM_BOOST_BELL_MAX_VECTORS,
				     &v->vectors);
			if (r == 0 && !v->vectors)
				r = bad(path, where, "0 is no vector count "
					"(1 to 64)");
		}
		else if (strcmp(e->string, "policy") == 0)
			policy = e; /* over the profile's, below */
		else if (strcmp(e->string, "profile") == 0)
			r = get_string(path, where, e, &v->profile);
		else
			r = bad(path, where, "unknown key");
		if (r < 0)
			return r;
	}
	if (!v->name)
		return bad(path, at, "has no \"name\"");
	if (ids != 1)
		return bad(path, at, "needs exactly one of \"pid\", \"pidfile\", \"libvirt\"");
	if (!v->connect == !v->listen)
		return bad(path, at, "needs exactly one channel: \"connect\" or \"listen\"");
	if (v->vectors && !v->doorbell)
		return bad(path, at, "\"doorbell_vectors\" without a \"doorbell\"");
	if (v->uri && !v->domain)
		return bad(path, at, "\"uri\" is for \"libvirt\" VMs");
	if ((v->connect && strlen(v->connect) >= sizeof(((struct sockaddr_un *)0)->sun_path)) ||
	    (v->listen && strlen(v->listen) >= sizeof(((struct sockaddr_un *)0)->sun_path)) ||
	    (v->doorbell && strlen(v->doorbell) >= sizeof(((struct sockaddr_un *)0)->sun_path)))
		return bad(path, at, "socket path too long");
	v->pol = (struct rtvm_boost_policy){ .size = sizeof(v->pol) };
	/* Without a context (status only wants "control") the profile is
	 * not read. */
	if (v->profile && ctx) {
		snprintf(where, sizeof(where), "%s.profile", at);
		if ((r = profile_policy(ctx, path, where, v->profile, &v->pol)) < 0)
			return r;
	}
	if (policy) {
		snprintf(where, sizeof(where), "%s.policy", at);
		if ((r = parse_policy(path, where, policy, &v->pol)) < 0)
			return r;
	}
	v->listen_fd = -1;
	return 0;
}

static int config_load(struct rtvm_ctx *ctx, const char *path,
		       struct config *c)
{
	char *text;
	cJSON *root, *vms, *e;
	int r = 0;

	*c = (struct config){0};
	if (!(text = tool_read_file(path)))
		return -EINVAL;
	root = cJSON_Parse(text);
	free(text);
	if (!cJSON_IsObject(root)) {
		cJSON_Delete(root);
		return bad(path, "the file", "is not a JSON object");
	}
	cJSON_ArrayForEach(e, root) {
		if (strcmp(e->string, "vms") == 0 || strcmp(e->string, "control") == 0)
			continue;
		r = bad(path, e->string, "unknown key");
		goto out;
	}
	if ((e = cJSON_GetObjectItemCaseSensitive(root, "control")) &&
	    (r = get_string(path, "control", e, &c->control)) < 0)
		goto out;
	vms = cJSON_GetObjectItemCaseSensitive(root, "vms");
	if (!cJSON_IsArray(vms)) {
		r = bad(path, "vms", "must be a list of VMs");
		goto out;
	}
	cJSON_ArrayForEach(e, vms) {
		if (c->nr == MAX_VMS) {
			r = bad(path, "vms", "more than 256 VMs");
			goto out;
		}
		c->nr++;
		if ((r = parse_vm(ctx, path, c->nr - 1, e, &c->vms[c->nr - 1])) < 0)
			goto out;
		for (unsigned int i = 0; i + 1 < c->nr; i++)
			if (strcmp(c->vms[i].name, c->vms[c->nr - 1].name) == 0) {
				r = bad(path, c->vms[i].name, "two VMs of this name");
				goto out;
			}
	}
out:
	cJSON_Delete(root);
	if (r < 0)
		config_free(c);
	return r;
}

/* ---- finding VMs ------------------------------------------------------------ */

static int resolve(struct daemon *d, struct dvm *v, struct rtvm_vm **ret)
{
	pid_t pid = v->pid;

	if (v->domain)
		return rtvm_vm_new_from_libvirt(d->ctx, v->uri ? v->uri : "qemu:///system",
						v->domain, ret);
	if (v->pidfile) {
		FILE *f = fopen(v->pidfile, "r");
		int p = 0;

		if (!f)
			return -errno;
		if (fscanf(f, "%d", &p) != 1 || p <= 0)
			p = 0;
		fclose(f);
		if (!p)
			return -EBADMSG;
		pid = p;
	}
	return rtvm_vm_new_from_pid(d->ctx, pid, ret);
}

static const char *vm_what(const struct dvm *v, char *buf, size_t size)
{
	if (v->domain)
		snprintf(buf, size, "libvirt domain %s", v->domain);
	else if (v->pidfile)
		snprintf(buf, size, "the process in %s", v->pidfile);
	else
		snprintf(buf, size, "process %d", (int)v->pid);
	return buf;
}

/* Append a copy of @src (the broker keeps its own). */
static int append_copy(struct rtvm_ctx *ctx, struct rtvm_changeset *dst,
		       const struct rtvm_changeset *src)
{
	struct rtvm_changeset *copy = NULL;
	char *text = NULL;
	int r = rtvm_changeset_to_json(src, &text);

	if (r == 0)
		r = rtvm_changeset_new_from_json(ctx, text, &copy);
	if (r == 0)
		r = rtvm_changeset_append(dst, copy);
	rtvm_changeset_unref(copy);
	free(text);
	return r;
}

static int save_journal(struct daemon *d)
{
	struct rtvm_changeset *all;
	int r = rtvm_changeset_new(d->ctx, &all);

	for (unsigned int i = 0; r == 0 && i < d->cfg.nr; i++)
		if (d->cfg.vms[i].id)
			r = append_copy(d->ctx, all,
					rtvm_boost_get_changes(d->b, d->cfg.vms[i].id));
	if (r == 0)
		r = tool_save_changes(all, d->state_path);
	if (r < 0)
		tool_error("cannot write the journal %s: %s", d->state_path,
			   strerror(-r));
	rtvm_changeset_unref(all);
	return r;
}

static void vm_drop(struct daemon *d, struct dvm *v, const char *why)
{
	if (v->id) {
		rtvm_boost_remove_vm(d->b, v->id);
		fprintf(stderr, "%s: VM %s: %s; its boosts ended\n", program_name,
			v->name, why);
	}
	v->id = 0;
	v->vm = rtvm_vm_unref(v->vm);
	if (v->listen_fd >= 0) {
		close(v->listen_fd);
		unlink(v->listen);
		v->listen_fd = -1;
	}
}

static int listen_on(const char *path)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);

	if (fd < 0)
		return -errno;
	strcpy(sa.sun_path, path);
	unlink(path);
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 || listen(fd, 8) < 0) {
		int r = -errno;

		close(fd);
		return r;
	}
	return fd;
}

/* Find VMs not found yet, notice the ones that exited, connect channels. */
static void housekeeping(struct daemon *d, bool dry_run)
{
	char what[160];

	for (unsigned int i = 0; i < d->cfg.nr; i++) {
		struct dvm *v = &d->cfg.vms[i];
		struct rtvm_boost_stats s = { .size = sizeof(s) };
		bool changed;
		int r;

		if (v->id && rtvm_vm_refresh(v->vm, &changed) < 0) {
			vm_drop(d, v, "its process is gone");
			save_journal(d);
		}
		if (!v->id && !dry_run) {
			struct rtvm_vm *vm;

			r = resolve(d, v, &vm);
			if (r < 0) {
				if (!v->told)
					fprintf(stderr, "%s: VM %s: %s not found (%s); "
						"looking again every second\n",
						program_name, v->name,
						vm_what(v, what, sizeof(what)),
						strerror(-r));
				v->told = true;
				continue;
			}
			v->vm = vm;
			/* journaled before any boost can come */
			r = rtvm_boost_add_vm(d->b, vm, &v->pol, &v->id);
			if (r == 0 && (r = save_journal(d)) < 0)
				rtvm_boost_remove_vm(d->b, v->id);
			if (r < 0) {
				tool_error("VM %s: cannot add it: %s", v->name,
					   strerror(-r));
				v->id = 0;
				v->vm = rtvm_vm_unref(v->vm);
				continue;
			}
			v->told = false;
			fprintf(stderr, "%s: VM %s: %s, pid %d, %u vCPUs\n",
				program_name, v->name, vm_what(v, what, sizeof(what)),
				(int)rtvm_vm_get_pid(vm), rtvm_vm_get_nr_vcpus(vm));
			if (v->listen) {
				v->listen_fd = listen_on(v->listen);
				if (v->listen_fd < 0)
					tool_error("VM %s: cannot listen on %s: %s",
						   v->name, v->listen,
						   strerror(-v->listen_fd));
			}
			if (v->doorbell) {
				unlink(v->doorbell); /* an earlier run's */
				r = rtvm_boost_add_doorbell(d->b, v->id,
							    v->doorbell, v->vectors, 0);
				if (r < 0)
					tool_error("VM %s: cannot serve the doorbell "
						   "%s: %s", v->name, v->doorbell,
						   strerror(-r));
			}
		}
		if (!v->id || !v->connect ||
		    rtvm_boost_get_stats(d->b, v->id, -1, &s) < 0 || s.channels)
			continue;
		r = tool_unix_connect(v->connect);
		if (r >= 0 && (r = rtvm_boost_add_channel(d->b, v->id, r)) == 0)
			fprintf(stderr, "%s: VM %s: channel %s connected\n",
				program_name, v->name, v->connect);
	}
}

/* ---- the audit trail in the log --------------------------------------------- */

static const char *type_name(unsigned int t)
{
	static const char *const n[] = { "?", "HELLO", "BOOST", "DEBOOST", "QUERY" };

	t &= ~(unsigned int)RTVM_BOOST_ACK;
	return t < 5 ? n[t] : "?";
}

static const char *vm_name(const struct daemon *d, unsigned int id)
{
	for (unsigned int i = 0; i < d->cfg.nr; i++)
		if (d->cfg.vms[i].id == id)
			return d->cfg.vms[i].name;
	return "?";
}

static void log_trail(struct daemon *d)
{
	struct rtvm_boost_event ev = { .size = sizeof(ev) };
	time_t now = time(NULL);

	while (rtvm_boost_next_event(d->b, &ev, NULL) == 0) {
		/* refusals, and boosts the host ended at their limit */
		bool refused = ev.ack.status != 0;

		if (!refused && !d->verbose)
			continue;
		if (now != d->log_second) {
			if (d->unlogged)
				fprintf(stderr, "%s: %u more refusals not logged\n",
					program_name, d->unlogged);
			d->log_second = now;
			d->logged = d->unlogged = 0;
		}
		if (refused && d->logged >= LOG_PER_SEC) {
			d->unlogged++;
			continue;
		}
		d->logged += refused;
		if (!ev.request.type)
			fprintf(stderr, "%s: VM %s vCPU %u: boost ended by the host: %s\n",
				program_name, vm_name(d, ev.id), ev.ack.vcpu,
				rtvm_boost_reason_to_string(ev.ack.status));
		else
			fprintf(stderr, "%s: VM %s vCPU %u: %s policy %u priority %u "
				"seq %u: %s\n", program_name, vm_name(d, ev.id),
				ev.request.vcpu, type_name(ev.request.type),
				ev.request.policy, ev.request.priority, ev.request.seq,
				refused ? rtvm_boost_reason_to_string(ev.ack.status)
					: "ok");
	}
}

/* ---- status ----------------------------------------------------------------- */

static cJSON *stats_json(const struct rtvm_boost_stats *s, bool vm)
{
	cJSON *o = cJSON_CreateObject(), *ref;

	cJSON_AddNumberToObject(o, "boosted", s->boosted);
	cJSON_AddNumberToObject(o, "boosts", (double)s->boosts);
	cJSON_AddNumberToObject(o, "deboosts", (double)s->deboosts);
	cJSON_AddNumberToObject(o, "expired", (double)s->expired);
	cJSON_AddNumberToObject(o, "budget_ends", (double)s->budget_ends);
	cJSON_AddNumberToObject(o, "closed", (double)s->closed);
	cJSON_AddNumberToObject(o, "boosted_ms", (double)s->boosted_ns / 1e6);
	cJSON_AddNumberToObject(o, "scheduled", (double)s->scheduled);
	cJSON_AddNumberToObject(o, "started", (double)s->started);
	cJSON_AddNumberToObject(o, "start_late_max_us",
				(double)s->start_late_max_ns / 1e3);
	if (!vm)
		return o;
	cJSON_AddNumberToObject(o, "channels", s->channels);
	cJSON_AddNumberToObject(o, "requests", (double)s->requests);
	cJSON_AddNumberToObject(o, "acks_dropped", (double)s->acks_dropped);
	ref = cJSON_AddObjectToObject(o, "refused");
	for (int r = 1; r < RTVM_BOOST_NR_REASONS; r++)
		if (r != RTVM_BOOST_EXPIRED)
			cJSON_AddNumberToObject(ref, rtvm_boost_reason_to_string(r),
						(double)s->refused[r]);
	return o;
}

static char *status_json(struct daemon *d)
{
	cJSON *root = cJSON_CreateObject(), *vms;
	char *text;

	cJSON_AddNumberToObject(root, "pid", getpid());
	cJSON_AddStringToObject(root, "config", d->config_path);
	vms = cJSON_AddArrayToObject(root, "vms");
	for (unsigned int i = 0; i < d->cfg.nr; i++) {
		struct dvm *v = &d->cfg.vms[i];
		struct rtvm_boost_stats s = { .size = sizeof(s) };
		cJSON *o = cJSON_CreateObject(), *list;

		cJSON_AddStringToObject(o, "name", v->name);
		cJSON_AddBoolToObject(o, "found", v->id != 0);
		cJSON_AddItemToArray(vms, o);
		if (!v->id || rtvm_boost_get_stats(d->b, v->id, -1, &s) < 0)
			continue;
		cJSON_AddNumberToObject(o, "pid", rtvm_vm_get_pid(v->vm));
		cJSON_AddItemToObject(o, "stats", stats_json(&s, true));
		list = cJSON_AddArrayToObject(o, "vcpus");
		for (unsigned int c = 0; c < rtvm_vm_get_nr_vcpus(v->vm); c++) {
			cJSON *j;

			if (rtvm_boost_get_stats(d->b, v->id, (int)c, &s) < 0)
				break;
			j = stats_json(&s, false);
			cJSON_AddNumberToObject(j, "vcpu", c);
			cJSON_AddNumberToObject(j, "tid", rtvm_vm_get_vcpu_tid(v->vm, c));
			cJSON_AddItemToArray(list, j);
		}
	}
	text = cJSON_PrintUnformatted(root);
	cJSON_Delete(root);
	return text;
}

static void answer_status(struct daemon *d)
{
	int fd = accept4(d->control_fd, NULL, NULL, SOCK_CLOEXEC);
	char *text;

	if (fd < 0)
		return;
	text = status_json(d);
	if (text && (write(fd, text, strlen(text)) < 0 || write(fd, "\n", 1) < 0))
		tool_error("status: %s", strerror(errno));
	free(text);
	close(fd);
}

static int cmd_status(const char *control, bool json)
{
	cJSON *root, *vm;
	char *buf = NULL;
	int r = tool_unix_ask(control, &buf);

	if (r < 0) {
		tool_error("%s: %s (is rtvm-boostd running?)", control, strerror(-r));
		return 1;
	}
	if (json) {
		r = tool_print_json_text(buf);
		free(buf);
		return r < 0;
	}
	root = cJSON_Parse(buf);
	free(buf);
	if (!root) {
		tool_error("%s: the daemon's answer is not JSON", control);
		return 1;
	}
	printf("rtvm-boostd pid %d, %s\n",
	       (int)cJSON_GetNumberValue(cJSON_GetObjectItem(root, "pid")),
	       tool_escape(cJSON_GetStringValue(cJSON_GetObjectItem(root, "config")), 0));
	printf("%-16s %7s %4s %8s %8s %8s %8s %8s %10s\n", "VM", "PID", "CHAN",
	       "REQUESTS", "BOOSTS", "BOOSTED", "EXPIRED", "REFUSED", "BOOSTED-MS");
	cJSON_ArrayForEach(vm, cJSON_GetObjectItem(root, "vms")) {
		cJSON *s = cJSON_GetObjectItem(vm, "stats"), *why;
		double refused = 0;

		if (!s) {
			printf("%-16s %7s (not found)\n",
			       tool_escape(cJSON_GetStringValue(cJSON_GetObjectItem(vm, "name")), 0),
			       "-");
			continue;
		}
		cJSON_ArrayForEach(why, cJSON_GetObjectItem(s, "refused"))
			refused += why->valuedouble;
		printf("%-16s %7d %4d %8.0f %8.0f %8d %8.0f %8.0f %10.1f\n",
		       tool_escape(cJSON_GetStringValue(cJSON_GetObjectItem(vm, "name")), 0),
		       (int)cJSON_GetNumberValue(cJSON_GetObjectItem(vm, "pid")),
		       (int)cJSON_GetNumberValue(cJSON_GetObjectItem(s, "channels")),
		       cJSON_GetNumberValue(cJSON_GetObjectItem(s, "requests")),
		       cJSON_GetNumberValue(cJSON_GetObjectItem(s, "boosts")),
		       (int)cJSON_GetNumberValue(cJSON_GetObjectItem(s, "boosted")),
		       cJSON_GetNumberValue(cJSON_GetObjectItem(s, "expired")),
		       refused,
		       cJSON_GetNumberValue(cJSON_GetObjectItem(s, "boosted_ms")));
	}
	cJSON_Delete(root);
	return 0;
}

/* ---- reload ----------------------------------------------------------------- */

static bool same_vm(const struct dvm *a, const struct dvm *b)
{
#define SAME(f) ((!a->f && !b->f) || (a->f && b->f && strcmp(a->f, b->f) == 0))
	return a->pid == b->pid && SAME(name) && SAME(pidfile) && SAME(domain) &&
	       SAME(uri) && SAME(connect) && SAME(listen) && SAME(doorbell) &&
	       a->vectors == b->vectors;
#undef SAME
}

/* Keep the VMs that stayed (with their boosts, under their new policy),
 * drop the others, and let housekeeping find the new ones. */
static void reload(struct daemon *d)
{
	struct config next;
	unsigned int kept = 0;

	if (config_load(d->ctx, d->config_path, &next) < 0) {
		tool_error("reload: %s is not valid; the running configuration "
			   "stays", d->config_path);
		return;
	}
	for (unsigned int i = 0; i < d->cfg.nr; i++) {
		struct dvm *old = &d->cfg.vms[i];
		struct dvm *nv = NULL;

		for (unsigned int j = 0; j < next.nr && !nv; j++)
			if (same_vm(old, &next.vms[j]))
				nv = &next.vms[j];
		if (!nv) {
			vm_drop(d, old, "removed from the configuration");
			continue;
		}
		/* the running state moves over */
		nv->id = old->id;
		nv->vm = old->vm;
		nv->listen_fd = old->listen_fd;
		old->id = 0;
		old->vm = NULL;
		old->listen_fd = -1;
		if (nv->id && rtvm_boost_set_policy(d->b, nv->id, &nv->pol) < 0)
			tool_error("VM %s: the new policy is refused; it keeps the old",
				   nv->name);
		kept++;
	}
	config_free(&d->cfg);
	d->cfg = next;
	save_journal(d);
	fprintf(stderr, "%s: reloaded %s: %u VMs, %u kept with their boosts\n",
		program_name, d->config_path, d->cfg.nr, kept);
}

/* ---- main ------------------------------------------------------------------- */

static int recover(struct daemon *d)
{
	unsigned int n = 0;
	int r;

	if (access(d->state_path, F_OK) != 0)
		return 0;
	r = tool_restore_file(d->ctx, d->state_path, NULL, &n);
	if (r < 0)
		return r;
	unlink(d->state_path);
	fprintf(stderr, "%s: a previous rtvm-boostd did not exit cleanly: put %u "
		"vCPU threads back as they were (%s)\n", program_name, n,
		d->state_path);
	return 0;
}

static void usage(FILE *f)
{
	fprintf(f,
		"Usage: %s [OPTION]...             run the boost broker\n"
		"       %s [OPTION]... status      the running daemon's counters\n"
		"       %s [OPTION]... restore     put back what a crashed daemon left\n"
		"Let the VMs of the configuration boost their vCPU threads within\n"
		"their policy (rtvm-boostd(8), the protocol in rtvm-boost(7)).\n"
		"\n"
		"  -c, --config FILE   the configuration (default " DEFAULT_CONFIG ")\n"
		"      --control PATH  the status socket (default: the configuration's\n"
		"                      \"control\", else $RTVM_STATE_DIR/boostd.sock)\n"
		"      --state FILE    the journal (default $RTVM_STATE_DIR/boostd.json;\n"
		"                      RTVM_STATE_DIR defaults to /run/rtvm, or\n"
		"                      the sysroot's run/rtvm)\n"
		"  -n, --dry-run       read the configuration and look for its VMs;\n"
		"                      change nothing (restore: list what it would\n"
		"                      put back)\n"
		"  -s, --sysroot DIR   use the simulated host in DIR\n"
		"  -j, --json          status, --dry-run, restore --dry-run: print JSON\n"
		"  -v, --verbose       log every request, and librtvm's debug messages\n"
		"  -h, --help          show this help\n"
		"  -V, --version       show the version\n"
		"\n"
		"Signals: SIGTERM and SIGINT end every boost and exit; SIGHUP reloads\n"
		"the configuration, keeping the VMs that stay and their boosts.\n"
		"Exit status: 0, 1 (failure), 64 (bad usage or configuration).\n",
		program_name, program_name, program_name);
}

static int dry_run(struct daemon *d, bool json)
{
	cJSON *root = cJSON_CreateObject(), *vms = cJSON_AddArrayToObject(root, "vms");
	char what[160];

	if (!json)
		printf("%s: %u VMs\n", d->config_path, d->cfg.nr);
	for (unsigned int i = 0; i < d->cfg.nr; i++) {
		struct dvm *v = &d->cfg.vms[i];
		struct rtvm_vm *vm = NULL;
		int r = resolve(d, v, &vm);
		cJSON *o = cJSON_CreateObject();

		cJSON_AddStringToObject(o, "name", v->name);
		cJSON_AddStringToObject(o, "vm", vm_what(v, what, sizeof(what)));
		cJSON_AddStringToObject(o, "channel", v->connect ? v->connect : v->listen);
		cJSON_AddStringToObject(o, "channel_mode", v->connect ? "connect" : "listen");
		if (v->doorbell) {
			cJSON_AddStringToObject(o, "doorbell", v->doorbell);
			cJSON_AddNumberToObject(o, "doorbell_vectors",
						v->vectors ? v->vectors : 1);
		}
		if (v->profile)
			cJSON_AddStringToObject(o, "profile", v->profile);
		cJSON_AddItemToObject(o, "policy", tool_boost_policy_json(&v->pol));
		cJSON_AddBoolToObject(o, "found", r == 0);
		if (r == 0) {
			cJSON_AddNumberToObject(o, "pid", rtvm_vm_get_pid(vm));
			cJSON_AddNumberToObject(o, "vcpus", rtvm_vm_get_nr_vcpus(vm));
		} else {
			cJSON_AddStringToObject(o, "error", strerror(-r));
		}
		cJSON_AddItemToArray(vms, o);
		if (!json && r == 0)
			printf("  %s: %s: pid %d, %u vCPUs; channel: %s %s\n", v->name,
			       what, (int)rtvm_vm_get_pid(vm), rtvm_vm_get_nr_vcpus(vm),
			       v->connect ? "connect to" : "listen on",
			       v->connect ? v->connect : v->listen);
		else if (!json)
			printf("  %s: %s: not found (%s)\n", v->name, what, strerror(-r));
		if (!json) {
			char pol[512];

			tool_boost_policy_text(&v->pol, pol, sizeof(pol));
			if (v->profile)
				printf("    policy (profile %s, then the entry's "
				       "keys): %s\n", tool_escape(v->profile, 0), pol);
			else
				printf("    policy: %s\n", pol);
		}
		rtvm_vm_unref(vm);
	}
	if (json && tool_print_json(root, true) < 0) {
		cJSON_Delete(root);
		return 1;
	}
	cJSON_Delete(root);
	return 0;
}

static int64_t mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int run(struct daemon *d)
{
	sigset_t mask;
	int64_t last;
	int r = 0;

	sigemptyset(&mask);
	sigaddset(&mask, SIGINT);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGHUP);
	sigprocmask(SIG_BLOCK, &mask, NULL);
	d->sig_fd = signalfd(-1, &mask, SFD_CLOEXEC);
	if (d->sig_fd < 0 || rtvm_boost_new(d->ctx, 0, &d->b) < 0) {
		tool_error("cannot set up: %s", strerror(errno));
		return 1;
	}
	d->control_fd = listen_on(d->control_path);
	if (d->control_fd < 0) {
		tool_error("cannot listen on %s: %s", d->control_path,
			   strerror(-d->control_fd));
		return 1;
	}
	fprintf(stderr, "%s: %u VMs in %s; status on %s\n", program_name,
		d->cfg.nr, d->config_path, d->control_path);
	housekeeping(d, false);
	last = mono_ms();
	for (;;) {
		struct pollfd p[3 + MAX_VMS];
		struct dvm *owner[3 + MAX_VMS];
		nfds_t n = 0;

		p[n++] = (struct pollfd){ .fd = rtvm_boost_get_fd(d->b), .events = POLLIN };
		p[n++] = (struct pollfd){ .fd = d->sig_fd, .events = POLLIN };
		p[n++] = (struct pollfd){ .fd = d->control_fd, .events = POLLIN };
		for (unsigned int i = 0; i < d->cfg.nr; i++)
			if (d->cfg.vms[i].listen_fd >= 0) {
				owner[n] = &d->cfg.vms[i];
				p[n++] = (struct pollfd){ .fd = d->cfg.vms[i].listen_fd,
							  .events = POLLIN };
			}
		if (poll(p, n, 1000) < 0 && errno != EINTR) {
			tool_error("poll: %s", strerror(errno));
			r = 1;
			break;
		}
		if (p[0].revents & POLLIN) {
			rtvm_boost_dispatch(d->b);
			log_trail(d);
		}
		if (p[1].revents & POLLIN) {
			struct signalfd_siginfo si;

			if (read(d->sig_fd, &si, sizeof(si)) == sizeof(si)) {
				if (si.ssi_signo == SIGHUP)
					reload(d);
				else
					break;
			}
		}
		if (p[2].revents & POLLIN)
			answer_status(d);
		for (nfds_t i = 3; i < n; i++) {
			int fd;

			if (!(p[i].revents & POLLIN))
				continue;
			fd = accept4(p[i].fd, NULL, NULL, SOCK_CLOEXEC);
			if (fd >= 0 && rtvm_boost_add_channel(d->b, owner[i]->id, fd) == 0 &&
			    d->verbose)
				fprintf(stderr, "%s: VM %s: a guest connected on %s\n",
					program_name, owner[i]->name, owner[i]->listen);
		}
		if (mono_ms() - last >= 1000) {
			housekeeping(d, false);
			last = mono_ms();
		}
	}
	fprintf(stderr, "%s: exiting: every boost ends\n", program_name);
	return r;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "control", required_argument, NULL, 'C' },
		{ "state", required_argument, NULL, 'S' },
		{ "dry-run", no_argument, NULL, 'n' },
		{ "sysroot", required_argument, NULL, 's' },
		{ "json", no_argument, NULL, 'j' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ 0 },
	};
	struct daemon d = { .config_path = DEFAULT_CONFIG, .control_fd = -1,
			    .sig_fd = -1 };
	const char *sysroot = NULL, *cmd = NULL;
	char *state = NULL, *control = NULL;
	bool json = false, dry = false;
	int c, r;

	signal(SIGPIPE, SIG_IGN);
	while ((c = getopt_long(argc, argv, "c:ns:jvhV", opts, NULL)) != -1) {
		switch (c) {
		case 'c': d.config_path = optarg; break;
		case 'C': d.control_path = optarg; break;
		case 'S': d.state_path = optarg; break;
		case 'n': dry = true; break;
		case 's': sysroot = optarg; break;
		case 'j': json = true; break;
		case 'v': d.verbose = true; break;
		case 'h': usage(stdout); return 0;
		case 'V': printf("%s %s\n", program_name, PACKAGE_VERSION); return 0;
		default: usage(stderr); return EXIT_USAGE;
		}
	}
	if (optind < argc)
		cmd = argv[optind++];
	if (optind < argc || (cmd && strcmp(cmd, "status") && strcmp(cmd, "restore"))) {
		tool_error("unknown command \"%s\" (status or restore)",
			   optind < argc ? argv[optind] : cmd);
		return EXIT_USAGE;
	}
	if (!d.state_path)
		d.state_path = state = tool_state_file(sysroot, "boostd.json");
	if (cmd && strcmp(cmd, "status") == 0) {
		struct config cfg;

		/* the configuration's socket, if it names one */
		if (!d.control_path && access(d.config_path, R_OK) == 0 &&
		    config_load(NULL, d.config_path, &cfg) == 0) {
			if (cfg.control)
				d.control_path = control = strdup(cfg.control);
			config_free(&cfg);
		}
		if (!d.control_path)
			d.control_path = control =
				tool_state_file(sysroot, "boostd.sock");
		r = cmd_status(d.control_path, json);
		goto out;
	}
	if (tool_new_ctx(sysroot, d.verbose, &d.ctx) < 0) {
		r = 1;
		goto out;
	}
	if (cmd) { /* restore */
		int fd;

		if (!d.control_path)
			d.control_path = control =
				tool_state_file(sysroot, "boostd.sock");
		fd = tool_unix_connect(d.control_path);

		if (fd >= 0) {
			close(fd);
			tool_error("rtvm-boostd is running (it answers on %s): "
				   "stop it, and it puts everything back itself",
				   d.control_path);
			r = 1;
		} else if (access(d.state_path, F_OK) != 0) {
			printf("nothing to restore: no %s (the last rtvm-boostd "
			       "exited cleanly)\n", d.state_path);
			r = 0;
		} else if (dry) {
			r = tool_restore_state(d.ctx, d.state_path, NULL, true,
					       json);
		} else {
			r = recover(&d) < 0;
		}
		goto out;
	}
	if (config_load(d.ctx, d.config_path, &d.cfg) < 0) {
		r = EXIT_USAGE;
		goto out;
	}
	if (!d.control_path)
		d.control_path = d.cfg.control ?
			d.cfg.control :
			(control = tool_state_file(sysroot, "boostd.sock"));
	if (dry) {
		r = dry_run(&d, json);
		goto out;
	}
	if (recover(&d) < 0) {
		r = 1;
		goto out;
	}
	r = run(&d);
	/* every boost ends with the broker; then nothing is left to recover */
	d.b = rtvm_boost_unref(d.b);
	for (unsigned int i = 0; i < d.cfg.nr; i++)
		vm_drop(&d, &d.cfg.vms[i], "the daemon exits");
	unlink(d.state_path);
	if (d.control_fd >= 0) {
		close(d.control_fd);
		unlink(d.control_path);
	}
out:
	if (d.sig_fd >= 0)
		close(d.sig_fd);
	config_free(&d.cfg);
	rtvm_boost_unref(d.b);
	rtvm_unref(d.ctx);
	free(state);
	free(control);
	return r;
}
