/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * rtvm-libvirt-hook: libvirt's QEMU hook for librtvm.  libvirt runs it as
 * "qemu DOMAIN OPERATION SUB-OPERATION EXTRA" with the domain XML on
 * standard input.  A domain whose <metadata> holds an <rtvm:profile>
 * element (namespace https://librtvm.org/xmlns/profile/1) gets that profile
 * applied when QEMU has started and reverted when it has stopped; other
 * domains are left alone.
 *
 * The hook never calls back into libvirtd (which waits for it): the QEMU
 * pid comes from libvirt's pid file, the VM's journal is "pid-PID", and the
 * pid is kept in the state directory for "stopped".  An apply runs in a
 * child process with a time bound: past it the child is killed and its
 * journal reverted (the journal is exact after a kill at any point), so
 * libvirtd is never held longer than RTVM_HOOK_TIMEOUT seconds.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include <libxml/parser.h>
#include <libxml/xpath.h>
#include <libxml/xpathInternals.h>

#include "tool.h"

#define RTVM_XMLNS "https://librtvm.org/xmlns/profile/1"
#define MAX_XML (4u << 20)
#define DEFAULT_TIMEOUT 30

const char *program_name = "rtvm-libvirt-hook";

static const char *domain = "";
static const char *operation = "";

/* One line per action: to libvirt's log (our stderr) and to syslog.  The
 * message can quote the domain XML and library messages quote files of
 * the host: all of it is escaped, and stays one line. */
static void say(int prio, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static void say(int prio, const char *fmt, ...)
{
	const char *dom = tool_escape(domain, 0), *op = tool_escape(operation, 1);
	char msg[1024], *esc;
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	esc = tool_escape_dup(msg);
	fprintf(stderr, "rtvm libvirt-hook: %s %s: %s\n", dom, op,
		esc ? esc : "(a message, lost: out of memory)");
	syslog(prio, "%s %s: %s", dom, op,
	       esc ? esc : "(a message, lost: out of memory)");
	free(esc);
}

static void log_lib(struct rtvm_ctx *ctx, int priority, const char *file,
		    int line, const char *fn, const char *format, va_list args)
{
	char msg[1024];

	vsnprintf(msg, sizeof(msg), format, args);
	say(priority, "librtvm: %s", msg);
}

/* A domain name that can be part of a file name in the state directory. */
static bool safe_name(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n > 200 || s[0] == '.' || s[0] == '-')
		return false;
	for (; *s; s++)
		if (*s == '/' || (unsigned char)*s < 0x21 || *s == 0x7f)
			return false;
	return true;
}

static int read_all(int fd, char **ret)
{
	size_t len = 0, size = 65536;
	char *buf = malloc(size + 1);

	if (!buf)
		return -ENOMEM;
	for (;;) {
		ssize_t n;

		if (len == size) {
			char *p;

			if (size >= MAX_XML) {
				free(buf);
				return -EFBIG;
			}
			size *= 2;
			p = realloc(buf, size + 1);
			if (!p) {
				free(buf);
				return -ENOMEM;
			}
			buf = p;
		}
		n = read(fd, buf + len, size - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			int e = -errno;

			free(buf);
			return e;
		}
		if (n == 0)
			break;
		len += (size_t)n;
	}
	buf[len] = '\0';
	*ret = buf;
	return (int)len;
}

/* The profile the domain XML carries.  Returns 1 with *ret_builtin or
 * *ret_json set (strdup'd), 0 when the domain has none, -EBADMSG for XML
 * that does not parse or a profile element that is not usable. */
struct spec {
	char *builtin;
	char *json;
	char *name; /* the XML's <name> */
};

static int find_profile(const char *xml, size_t len, struct spec *s)
{
	xmlDocPtr doc;
	xmlXPathContextPtr xp = NULL;
	xmlXPathObjectPtr res = NULL;
	int r = 0;

	/* No network, no entity expansion: the XML is libvirt's, but a hook
	 * reads it as input and nothing more. */
	doc = xmlReadMemory(xml, (int)len, "domain.xml", NULL,
			    XML_PARSE_NONET | XML_PARSE_NOERROR |
				    XML_PARSE_NOWARNING);
	if (!doc) {
		const xmlError *e = xmlGetLastError();

		say(LOG_ERR, "the domain XML does not parse: %s",
		    e && e->message ? e->message : "unknown error");
		return -EBADMSG;
	}
	xp = xmlXPathNewContext(doc);
	if (!xp || xmlXPathRegisterNs(xp, BAD_CAST "rtvm", BAD_CAST RTVM_XMLNS) != 0) {
		r = -ENOMEM;
		goto out;
	}
	res = xmlXPathEvalExpression(BAD_CAST "string(/domain/name)", xp);
	if (res && res->stringval && res->stringval[0])
		s->name = strdup((const char *)res->stringval);
	xmlXPathFreeObject(res);
	res = xmlXPathEvalExpression(BAD_CAST "/domain/metadata/rtvm:profile", xp);
	if (!res) {
		r = -ENOMEM;
		goto out;
	}
	if (!res->nodesetval || res->nodesetval->nodeNr == 0)
		goto out;
	if (res->nodesetval->nodeNr > 1) {
		say(LOG_ERR, "the domain has %d rtvm:profile elements; one at most",
		    res->nodesetval->nodeNr);
		r = -EBADMSG;
		goto out;
	}
	{
		xmlNodePtr node = res->nodesetval->nodeTab[0];
		xmlChar *b = xmlGetProp(node, BAD_CAST "builtin");
		xmlChar *text = xmlNodeGetContent(node);
		const char *t = (const char *)text;

		while (t && (*t == ' ' || *t == '\t' || *t == '\n' || *t == '\r'))
			t++;
		if (b && t && *t) {
			say(LOG_ERR, "rtvm:profile has both builtin=\"%s\" and a "
			    "profile in its text; give one", (const char *)b);
			r = -EBADMSG;
		} else if (b) {
			s->builtin = strdup((const char *)b);
			r = s->builtin ? 1 : -ENOMEM;
		} else if (t && *t) {
			s->json = strdup(t);
			r = s->json ? 1 : -ENOMEM;
		} else {
			say(LOG_ERR, "rtvm:profile is empty: give builtin=\"NAME\" "
			    "or a profile (man rtvm-profile) as its text");
			r = -EBADMSG;
		}
		xmlFree(b);
		xmlFree(text);
	}
out:
	xmlXPathFreeObject(res);
	xmlXPathFreeContext(xp);
	xmlFreeDoc(doc);
	return r;
}

static int load_profile(struct rtvm_ctx *ctx, const struct spec *s,
			struct rtvm_profile **ret)
{
	int r;

	if (s->builtin) {
		r = rtvm_profile_new_builtin(ctx, s->builtin, ret);
		if (r == -ENOENT)
			say(LOG_ERR, "no built-in profile \"%s\" (rtvm-tune "
			    "--help lists them)", s->builtin);
	} else {
		r = rtvm_profile_new_from_json(ctx, s->json, ret);
	}
	if (r < 0 && r != -ENOENT)
		say(LOG_ERR, "the domain's profile is not valid: %s (the "
		    "librtvm line above names the field)", strerror(-r));
	return r;
}

/* Where the hook keeps the QEMU pid of a tuned domain. */
static char *pid_file(const char *state)
{
	char *p = NULL;

	if (asprintf(&p, "%s/libvirt-%s.pid", state, domain) < 0)
		return NULL;
	return p;
}

static pid_t read_pid(const char *path)
{
	char buf[32];
	long v;
	char *end;
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	ssize_t n;

	if (fd < 0)
		return -errno;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return -EBADMSG;
	buf[n] = '\0';
	errno = 0;
	v = strtol(buf, &end, 10);
	if (errno || end == buf || (*end && *end != '\n') || v <= 0 || v > 0x3fffffff)
		return -EBADMSG;
	return (pid_t)v;
}

static int write_pid(const char *path, pid_t pid)
{
	char tmp[4200], buf[32];
	int fd, n;

	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0)
		return -errno;
	n = snprintf(buf, sizeof(buf), "%d\n", (int)pid);
	if (write(fd, buf, (size_t)n) != n || fsync(fd) < 0) {
		int e = errno ? -errno : -EIO;

		close(fd);
		unlink(tmp);
		return e;
	}
	close(fd);
	return rename(tmp, path) < 0 ? -errno : 0;
}

/* The state directory: $RTVM_STATE_DIR, else run/rtvm in the sysroot. */
static char *state_dir(struct rtvm_ctx *ctx)
{
	const char *env = getenv("RTVM_STATE_DIR");
	const char *root = rtvm_get_root(ctx);
	char *p = NULL;

	if (env && env[0] == '/')
		return strdup(env);
	if (asprintf(&p, "%s/run/rtvm", root ? root : "") < 0)
		return NULL;
	return p;
}

static unsigned int timeout_s(void)
{
	const char *e = getenv("RTVM_HOOK_TIMEOUT");
	char *end;
	unsigned long v;

	if (!e || !*e)
		return DEFAULT_TIMEOUT;
	v = strtoul(e, &end, 10);
	if (*end || v == 0 || v > 3600) {
		say(LOG_WARNING, "RTVM_HOOK_TIMEOUT=%s is not 1..3600 seconds; "
		    "using %d", e, DEFAULT_TIMEOUT);
		return DEFAULT_TIMEOUT;
	}
	return (unsigned int)v;
}

static int revert(struct rtvm_ctx *ctx, pid_t pid)
{
	char id[32];
	int r;

	snprintf(id, sizeof(id), "pid-%d", (int)pid);
	r = rtvm_tune_revert(ctx, id, 0);
	if (r == -ENOENT)
		return 0;
	return r;
}

/* The profile is applied and settings drifted since (libvirtd restarted
 * while a driver reset an IRQ, someone re-prioritized a thread): put
 * them back to what was applied, as rtvm-tune reconcile does.  The
 * journal stays the first apply's, so the stop still reverts exactly. */
static void reconcile(struct rtvm_ctx *ctx, const struct rtvm_plan *plan,
		      pid_t qemu)
{
	int n = rtvm_plan_get_drift_count(plan);
	const char *s = n == 1 ? "" : "s";
	char *json = NULL;
	int r = rtvm_tune_reconcile(ctx, rtvm_plan_get_vm_id(plan), 0, &json);

	if (r == 0)
		say(LOG_INFO, "%d setting%s drifted since the apply to pid %d: "
		    "reconciled (put back)", n, s, (int)qemu);
	else
		say(LOG_WARNING, "%d setting%s drifted since the apply to pid "
		    "%d; reconcile failed: %s (rtvm-tune status --pid %d)", n,
		    s, (int)qemu, r == -EAGAIN ? "some could not be put back" :
		    strerror(-r), (int)qemu);
	free(json);
}

/* Apply in a child bounded by the timeout; past it the child is killed and
 * whatever its journal holds is reverted.  Returns 0, 1 when the profile
 * was applied already (nothing written), 2 when another profile is applied
 * to the VM (it stays), or -errno. */
static int apply_bounded(struct rtvm_ctx *ctx, const struct rtvm_profile *p,
			 pid_t qemu)
{
	unsigned int limit = timeout_s();
	struct timespec start, now;
	int status = 0;
	pid_t child;

	fflush(stderr);
	child = fork();
	if (child < 0)
		return -errno;
	if (child == 0) {
		struct rtvm_plan *plan = NULL;
		struct rtvm_vm *vm = NULL;
		int r = rtvm_vm_new_from_pid(ctx, qemu, &vm);

		if (r == 0)
			r = rtvm_tune_apply(ctx, p, vm, 0, &plan);
		else
			say(LOG_ERR, "QEMU pid %d: %s", (int)qemu, strerror(-r));
		if (r == 0 && rtvm_plan_is_applied(plan) > 0) {
			r = 1;
			if (rtvm_plan_get_drift_count(plan) > 0)
				reconcile(ctx, plan, qemu);
		}
		rtvm_plan_unref(plan);
		rtvm_vm_unref(vm);
		/* The exit code carries the errno (1..123), 126 for "applied
		 * already", 124 for "another profile applied". */
		_exit(r == 1 ? 126 : r == -EEXIST ? 124 :
		      r < 0 ? (-r > 123 ? 123 : -r) : 0);
	}
	clock_gettime(CLOCK_MONOTONIC, &start);
	for (;;) {
		pid_t w = waitpid(child, &status, WNOHANG);

		if (w == child)
			break;
		if (w < 0 && errno != EINTR)
			return -errno;
		clock_gettime(CLOCK_MONOTONIC, &now);
		if (now.tv_sec - start.tv_sec >= (time_t)limit) {
			kill(child, SIGKILL);
			waitpid(child, &status, 0);
			say(LOG_ERR, "apply took longer than %u s: stopped; "
			    "reverting what it made", limit);
			revert(ctx, qemu);
			return -ETIMEDOUT;
		}
		usleep(10000);
	}
	if (!WIFEXITED(status)) {
		revert(ctx, qemu);
		return -EINTR;
	}
	switch (WEXITSTATUS(status)) {
	case 0:
		return 0;
	case 126:
		return 1;
	case 124:
		return 2;
	default:
		return -WEXITSTATUS(status);
	}
}

static int op_started(struct rtvm_ctx *ctx, const struct spec *s,
		      const char *state, bool reconnect)
{
	struct rtvm_profile *p = NULL;
	char *pidf = pid_file(state), *lvpid = NULL;
	const char *root = rtvm_get_root(ctx);
	pid_t qemu;
	int r;

	if (!pidf)
		return -ENOMEM;
	r = load_profile(ctx, s, &p);
	if (r < 0)
		goto out;
	if (asprintf(&lvpid, "%s/run/libvirt/qemu/%s.pid", root ? root : "",
		     domain) < 0) {
		r = -ENOMEM;
		goto out;
	}
	qemu = read_pid(lvpid);
	if (qemu < 0) {
		r = qemu;
		say(LOG_ERR, "cannot read QEMU's pid from %s: %s", lvpid,
		    strerror(-r));
		goto out;
	}
	if (mkdir(state, 0700) < 0 && errno != EEXIST) {
		r = -errno;
		say(LOG_ERR, "state directory %s: %s", state, strerror(-r));
		goto out;
	}
	r = write_pid(pidf, qemu);
	if (r < 0) {
		say(LOG_ERR, "cannot write %s: %s", pidf, strerror(-r));
		goto out;
	}
	r = apply_bounded(ctx, p, qemu);
	if (r == 1) {
		say(LOG_INFO, "profile %s already applied to pid %d%s",
		    rtvm_profile_get_name(p) ? rtvm_profile_get_name(p) : "",
		    (int)qemu, reconnect ? " (libvirtd reconnected)" : "");
		r = 0;
	} else if (r == 2) {
		/* Its journal stays the VM's: the pid file too, so that the
		 * stop reverts it. */
		say(LOG_ERR, "another profile is applied to pid %d already; "
		    "it stays: revert it first (rtvm-tune revert --pid %d)",
		    (int)qemu, (int)qemu);
		r = -EEXIST;
	} else if (r == 0) {
		say(LOG_INFO, "profile applied to pid %d", (int)qemu);
	} else {
		say(LOG_ERR, "apply failed (nothing changed): %s", strerror(-r));
		unlink(pidf);
	}
out:
	rtvm_profile_unref(p);
	free(lvpid);
	free(pidf);
	return r;
}

static int op_stopped(struct rtvm_ctx *ctx, const char *state)
{
	char *pidf = pid_file(state);
	pid_t qemu;
	int r;

	if (!pidf)
		return -ENOMEM;
	qemu = read_pid(pidf);
	if (qemu == -ENOENT) {
		free(pidf);
		return 0; /* not tuned, or reverted already */
	}
	if (qemu < 0) {
		say(LOG_ERR, "%s: %s", pidf, strerror(-qemu));
		free(pidf);
		return qemu;
	}
	r = revert(ctx, qemu);
	if (r == 0) {
		unlink(pidf);
		say(LOG_INFO, "profile reverted");
	} else {
		say(LOG_ERR, "revert failed (%s); the journal is kept: "
		    "rtvm-tune revert --pid %d", strerror(-r), (int)qemu);
	}
	free(pidf);
	return r;
}

static void usage(FILE *f)
{
	fprintf(f,
		"Usage: %s DOMAIN OPERATION [SUB-OPERATION [EXTRA]] <DOMAIN-XML\n"
		"libvirt's QEMU hook for librtvm: applies the profile in a domain's\n"
		"<metadata> (<rtvm:profile xmlns:rtvm=\"" RTVM_XMLNS "\"\n"
		"builtin=\"NAME\"/> or a profile as the element's text) when the domain\n"
		"has started, and reverts it when it has stopped.\n\n"
		"Install as /etc/libvirt/hooks/qemu.d/rtvm (libvirt >= 6.5) and restart\n"
		"libvirtd.  Operations: prepare (checks the profile), started, reconnect\n"
		"(apply, or keep what is applied), stopped and release (revert);\n"
		"others pass.\n\n"
		"Environment: RTVM_STATE_DIR (journals, default /run/rtvm),\n"
		"RTVM_HOOK_TIMEOUT (seconds an apply may take, default %d),\n"
		"RTVM_HOOK_LENIENT=1 (a failed apply lets the domain run untuned),\n"
		"RTVM_SYSROOT (tests: a simulated host).\n\n"
		"  -h, --help, -V, --version\n\n"
		"Exit status: 0 done or nothing to do, 1 failed (libvirt stops the\n"
		"domain; nothing changed), 64 bad usage.\n",
		program_name, DEFAULT_TIMEOUT);
}

int main(int argc, char **argv)
{
	struct spec s = { 0 };
	struct rtvm_ctx *ctx = NULL;
	char *xml = NULL, *state = NULL;
	bool lenient, checks_profile;
	int r, n, rc = 0;

	if (argc >= 2 && (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help"))) {
		usage(stdout);
		return 0;
	}
	if (argc >= 2 && (!strcmp(argv[1], "-V") || !strcmp(argv[1], "--version"))) {
		printf("%s %s\n", program_name, PACKAGE_VERSION);
		return 0;
	}
	if (argc < 3) {
		usage(stderr);
		return EXIT_USAGE;
	}
	domain = argv[1];
	operation = argv[2];
	lenient = getenv("RTVM_HOOK_LENIENT") && *getenv("RTVM_HOOK_LENIENT");
	openlog("rtvm-libvirt-hook", LOG_PID, LOG_DAEMON);
	checks_profile = !strcmp(operation, "prepare") ||
			 !strcmp(operation, "started") ||
			 !strcmp(operation, "reconnect");
	if (!safe_name(domain)) {
		/* Nothing of ours can belong to it: let libvirt go on. */
		say(LOG_WARNING, "domain name is not a safe file name: left alone");
		domain = "?";
		goto out;
	}
	n = read_all(STDIN_FILENO, &xml);
	if (n < 0) {
		say(LOG_ERR, "cannot read the domain XML: %s", strerror(-n));
		rc = checks_profile && !lenient;
		goto out;
	}
	if (!checks_profile && strcmp(operation, "stopped") &&
	    strcmp(operation, "release"))
		goto out; /* migrate, restore, ...: keep libvirt's XML */

	r = rtvm_new(&ctx);
	if (r < 0) {
		say(LOG_ERR, "cannot create a librtvm context: %s", strerror(-r));
		rc = 1;
		goto out;
	}
	rtvm_set_log_fn(ctx, log_lib);
	state = state_dir(ctx);
	if (!state || rtvm_set_state_dir(ctx, state) < 0) {
		say(LOG_ERR, "bad state directory %s", state ? state : "(none)");
		rc = 1;
		goto out;
	}
	if (!strcmp(operation, "stopped") || !strcmp(operation, "release")) {
		rc = op_stopped(ctx, state) < 0;
		goto out;
	}
	r = n > 0 ? find_profile(xml, (size_t)n, &s) : 0;
	if (r == 0)
		goto out; /* not a real-time domain */
	if (r > 0 && s.name && strcmp(s.name, domain)) {
		say(LOG_ERR, "the XML describes domain \"%s\"", s.name);
		r = -EINVAL;
	}
	if (r < 0) {
		rc = !lenient;
		goto out;
	}
	if (!strcmp(operation, "prepare")) {
		struct rtvm_profile *p = NULL;

		r = load_profile(ctx, &s, &p);
		rtvm_profile_unref(p);
		rc = r < 0 && !lenient;
		goto out;
	}
	r = op_started(ctx, &s, state, !strcmp(operation, "reconnect"));
	rc = r < 0 && !lenient;
out:
	free(s.builtin);
	free(s.json);
	free(s.name);
	free(state);
	free(xml);
	rtvm_unref(ctx);
	closelog();
	return rc;
}
