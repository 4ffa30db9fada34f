/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * VMs from libvirt: the domain is looked up through a read-only
 * connection, its QEMU process found from the pid file libvirt keeps in its
 * run directory, and its threads classified by vm.c's naming rules (libvirt
 * always starts QEMU with debug-threads=on).  libvirt is also asked for the
 * pins it already has (vcpupin, emulatorpin, iothreadpin), so a tool can
 * show or keep them.  The run directory goes through the fs module, so a
 * sysroot can stand in for the host's processes.
 */
#include "config.h"

#include <dlfcn.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libvirt/libvirt.h>
#include <libvirt/virterror.h>

#include "librtvm-private.h"

#define DEFAULT_URI "qemu:///system"
#define LIBVIRT_SONAME "libvirt.so.0"

/*
 * libvirt is loaded when a VM is first looked up through it, not when a
 * program starts: it brings some 60 shared libraries, and every tool
 * would pay for them (about 10 ms) whether it uses libvirt or not.  The
 * functions used here are called through pointers of their own types.
 * Sanitizer builds link libvirt all the same (see Makefile.am: ASan's XDR
 * interceptors need libtirpc loaded at start).
 */
#define LV_FUNCS(X)                                                        \
	X(virConnSetErrorFunc) X(virConnectClose) X(virConnectOpenReadOnly) \
	X(virDomainFree) X(virDomainGetEmulatorPinInfo)                    \
	X(virDomainGetIOThreadInfo) X(virDomainGetName)                    \
	X(virDomainGetVcpuPinInfo) X(virDomainGetVcpusFlags)               \
	X(virDomainIOThreadInfoFree) X(virDomainIsActive)                  \
	X(virDomainLookupByName) X(virDomainLookupByUUIDString)            \
	X(virGetLastError) X(virGetLastErrorMessage) X(virNodeGetCPUMap)   \
	X(virSetErrorFunc)

#define LV_POINTER(f) static __typeof__(f) *lv_##f;
LV_FUNCS(LV_POINTER)
#undef LV_POINTER

static pthread_once_t lv_once = PTHREAD_ONCE_INIT;
static char lv_error[256]; /* why loading failed, "" when it did not */

static void lv_load(void)
{
	void *h = dlopen(LIBVIRT_SONAME, RTLD_NOW | RTLD_LOCAL);
	const char *e;

	if (!h) {
		e = dlerror();
		snprintf(lv_error, sizeof(lv_error), "%s",
			 e ? e : "cannot be loaded");
		return;
	}
#define LV_RESOLVE(f)                                                     \
	if (!lv_error[0] && !(*(void **)&lv_##f = dlsym(h, #f)))          \
		snprintf(lv_error, sizeof(lv_error), "%s has no %s",      \
			 LIBVIRT_SONAME, #f);
	LV_FUNCS(LV_RESOLVE)
#undef LV_RESOLVE
	/* Kept loaded: libvirt has threads and handlers of its own. */
}

/* 0 once libvirt's library is loaded, else -ELIBACC (logged). */
static int lv_open(struct rtvm_ctx *ctx)
{
	pthread_once(&lv_once, lv_load);
	if (lv_error[0]) {
		err(ctx, "libvirt: %s", lv_error);
		return -ELIBACC;
	}
	return 0;
}

/* A libvirt function, through its pointer. */
#define LV(f) (*lv_##f)

struct lv_pin {
	unsigned int id; /* vCPU index or iothread id */
	struct rtvm_cpumask *mask;
};

struct rtvm_vm_libvirt {
	char *name;
	struct lv_pin *vcpus;
	unsigned int nr_vcpus;
	struct lv_pin *iothreads;
	unsigned int nr_iothreads;
	struct rtvm_cpumask *emulator;
};

void rtvm_vm_libvirt_free(struct rtvm_vm_libvirt *lv)
{
	if (!lv)
		return;
	for (unsigned int i = 0; i < lv->nr_vcpus; i++)
		rtvm_cpumask_free(lv->vcpus[i].mask);
	for (unsigned int i = 0; i < lv->nr_iothreads; i++)
		rtvm_cpumask_free(lv->iothreads[i].mask);
	free(lv->vcpus);
	free(lv->iothreads);
	rtvm_cpumask_free(lv->emulator);
	free(lv->name);
	free(lv);
}

/* ---- the pid file ------------------------------------------------------ */

/* Whether QEMU's command line @cmd (@len bytes, NUL-separated arguments)
 * names domain @name: libvirt passes "-name guest=NAME,..." with commas of
 * the name doubled; older ones "-name NAME". */
static bool cmdline_names(const char *cmd, size_t len, const char *name)
{
	const char *end = cmd + len, *prev = NULL;

	for (const char *a = cmd; a < end; a += strlen(a) + 1) {
		if (prev && strcmp(prev, "-name") == 0) {
			const char *p = a, *n = name;

			if (strcmp(a, name) == 0)
				return true;
			if (strncmp(p, "guest=", 6) != 0)
				goto next;
			for (p += 6; *n; n++) {
				if (*p++ != *n)
					goto next;
				if (*n == ',' && *p++ != ',')
					goto next;
			}
			if (*p == '\0' || (*p == ',' && p[1] != ','))
				return true;
		}
next:
		prev = a;
	}
	return false;
}

int rtvm_libvirt_domain_pid(struct rtvm_ctx *ctx, const char *name,
			    pid_t *ret)
{
	char buf[64], *cmd = NULL;
	int r, pid;

	if (!*name || strchr(name, '/') || strcmp(name, "..") == 0 ||
	    strcmp(name, ".") == 0) {
		err(ctx, "\"%s\" is not a libvirt domain name", name);
		return -EINVAL;
	}
	r = rtvm_fs_read(ctx, RTVM_FS_RUN, buf, sizeof(buf),
			 "libvirt/qemu/%s.pid", name);
	if (r == -ENOENT) {
		err(ctx, "domain %s: no pid file libvirt/qemu/%s.pid in the run "
		    "directory (not a running QEMU domain of this host)", name,
		    name);
		return -ESRCH;
	}
	if (r < 0) {
		err(ctx, "domain %s: cannot read its pid file: %s", name,
		    strerror(-r));
		return r;
	}
	if (rtvm_parse_int(rtvm_strip(buf), &pid) < 0 || pid <= 0) {
		err(ctx, "domain %s: pid file holds \"%s\", not a pid", name,
		    buf);
		return -EBADMSG;
	}
	/* A pid file that outlived its QEMU (a crash, a host reboot with a
	 * persistent run directory) may name an unrelated process. */
	r = rtvm_fs_read_alloc(ctx, RTVM_FS_PROC, &cmd, "%d/cmdline", pid);
	if (r == -ENOENT || r == -ESRCH || (r >= 0 &&
					    !cmdline_names(cmd, (size_t)r, name))) {
		err(ctx, "domain %s: pid %d of its pid file is %s (stale pid "
		    "file)", name, pid, r < 0 ? "gone" : "not its QEMU");
		free(cmd);
		return -ESRCH;
	}
	free(cmd);
	if (r < 0) {
		err(ctx, "domain %s: cannot read the command line of pid %d: %s",
		    name, pid, strerror(-r));
		return r;
	}
	*ret = (pid_t)pid;
	return 0;
}

/* ---- libvirt ----------------------------------------------------------- */

/* libvirt's default error function prints every error on stderr; the
 * library must not print.  Errors are still kept per thread, and are read
 * back below and logged through the context. */
static void lv_quiet(void *userdata, virErrorPtr e)
{
}

static void lv_forward(void *userdata, virErrorPtr e)
{
	struct rtvm_ctx *ctx = userdata;

	if (e && e->message)
		dbg(ctx, "libvirt: %s", e->message);
}

static const char *lv_msg(void)
{
	const char *m = LV(virGetLastErrorMessage)();

	return m ? m : "unknown libvirt error";
}

static int lv_code(void)
{
	virErrorPtr e = LV(virGetLastError)();

	return e ? e->code : VIR_ERR_OK;
}

/* Only local URIs: "driver:///path" or "driver+unix:///path". */
static bool uri_is_local(const char *uri)
{
	const char *p = strstr(uri, "://");

	return p && p[3] == '/';
}

static bool uri_is_session(const char *uri)
{
	const char *p = strstr(uri, ":///");
	size_t n;

	if (!p)
		return false;
	p += 3;
	n = strcspn(p, "?");
	return n == 8 && strncmp(p, "/session", 8) == 0;
}

static int lookup(struct rtvm_ctx *ctx, virConnectPtr conn, const char *uri,
		  const char *domain, virDomainPtr *ret)
{
	virDomainPtr dom;
	int code;

	dom = LV(virDomainLookupByName)(conn, domain);
	if (!dom && lv_code() == VIR_ERR_NO_DOMAIN)
		dom = LV(virDomainLookupByUUIDString)(conn, domain);
	if (dom) {
		*ret = dom;
		return 0;
	}
	code = lv_code();
	/* Not a UUID (VIR_ERR_INVALID_ARG) after not a name: unknown. */
	if (code == VIR_ERR_NO_DOMAIN || code == VIR_ERR_INVALID_ARG) {
		err(ctx, "libvirt at %s has no domain \"%s\" (by name or UUID)",
		    uri, domain);
		return -ENOENT;
	}
	err(ctx, "libvirt at %s: cannot look up domain \"%s\": %s", uri,
	    domain, lv_msg());
	return code == VIR_ERR_ACCESS_DENIED ? -EACCES : -EIO;
}

/* A libvirt CPU map of @nr_host CPUs as a mask of the context's host. */
static int map_to_mask(struct rtvm_ctx *ctx, const unsigned char *map,
		       int maplen, struct rtvm_cpumask **ret)
{
	struct rtvm_cpumask *m;
	unsigned int cap;
	int r;

	r = rtvm_cpumask_new(ctx, &m);
	if (r < 0)
		return r;
	cap = rtvm_cpumask_nr_cpus(m);
	for (unsigned int cpu = 0; cpu < (unsigned int)maplen * 8; cpu++) {
		if (!VIR_CPU_USABLE(map, maplen, 0, cpu))
			continue;
		if (cpu >= cap) {
			dbg(ctx, "libvirt pin names CPU %u, beyond this host's %u",
			    cpu, cap);
			continue;
		}
		rtvm_cpumask_set(m, cpu);
	}
	*ret = m;
	return 0;
}

/*
 * The pins libvirt has.  Drivers that cannot say (VIR_ERR_NO_SUPPORT) leave
 * them unknown; that is no error, the threads are still found.
 */
static int read_pins(struct rtvm_ctx *ctx, virConnectPtr conn,
		     virDomainPtr dom, struct rtvm_vm_libvirt *lv)
{
	virDomainIOThreadInfoPtr *io = NULL;
	unsigned char *maps = NULL;
	int ncpus, maplen, n, r = 0;

	ncpus = LV(virNodeGetCPUMap)(conn, NULL, NULL, 0);
	if (ncpus <= 0) {
		dbg(ctx, "domain %s: libvirt gives no host CPU count: %s; pins "
		    "unknown", lv->name, lv_msg());
		return 0;
	}
	maplen = VIR_CPU_MAPLEN(ncpus);

	n = LV(virDomainGetVcpusFlags)(dom, VIR_DOMAIN_AFFECT_LIVE |
				   VIR_DOMAIN_VCPU_MAXIMUM);
	if (n > 0 && (size_t)n <= (size_t)(1u << 20) / (size_t)maplen)
		maps = calloc((size_t)n, (size_t)maplen);
	if (n > 0 && maps)
		n = LV(virDomainGetVcpuPinInfo)(dom, n, maps, maplen,
					    VIR_DOMAIN_AFFECT_LIVE);
	if (n > 0 && maps) {
		lv->vcpus = calloc((size_t)n, sizeof(*lv->vcpus));
		if (!lv->vcpus) {
			r = -ENOMEM;
			goto out;
		}
		for (int i = 0; i < n; i++) {
			r = map_to_mask(ctx, VIR_GET_CPUMAP(maps, maplen, i),
					maplen, &lv->vcpus[i].mask);
			if (r < 0)
				goto out;
			lv->vcpus[i].id = (unsigned int)i;
			lv->nr_vcpus++;
		}
	} else if (n > 0) {
		r = -ENOMEM;
		goto out;
	} else {
		dbg(ctx, "domain %s: no vCPU pins from libvirt: %s", lv->name,
		    lv_msg());
	}
	free(maps);
	maps = calloc(1, (size_t)maplen);
	if (!maps) {
		r = -ENOMEM;
		goto out;
	}
	if (LV(virDomainGetEmulatorPinInfo)(dom, maps, maplen,
					VIR_DOMAIN_AFFECT_LIVE) > 0) {
		r = map_to_mask(ctx, maps, maplen, &lv->emulator);
		if (r < 0)
			goto out;
	} else {
		dbg(ctx, "domain %s: no emulator pin from libvirt: %s",
		    lv->name, lv_msg());
	}

	n = LV(virDomainGetIOThreadInfo)(dom, &io, VIR_DOMAIN_AFFECT_LIVE);
	if (n < 0) {
		dbg(ctx, "domain %s: no iothread pins from libvirt: %s",
		    lv->name, lv_msg());
		n = 0;
	}
	if (n > 0) {
		lv->iothreads = calloc((size_t)n, sizeof(*lv->iothreads));
		if (!lv->iothreads) {
			r = -ENOMEM;
			goto out;
		}
	}
	for (int i = 0; i < n; i++) {
		struct lv_pin *p = &lv->iothreads[lv->nr_iothreads];

		r = map_to_mask(ctx, io[i]->cpumap, io[i]->cpumaplen, &p->mask);
		if (r < 0)
			goto out;
		p->id = io[i]->iothread_id;
		lv->nr_iothreads++;
	}
out:
	for (int i = 0; io && i < n; i++)
		LV(virDomainIOThreadInfoFree)(io[i]);
	free(io);
	free(maps);
	return r;
}

/* Everything libvirt says about the domain, then its pid; the connection is
 * closed before the threads are read. */
static int query(struct rtvm_ctx *ctx, const char *uri, const char *domain,
		 struct rtvm_vm_libvirt *lv, int *ret_nr_vcpus, pid_t *ret_pid)
{
	virConnectPtr conn;
	virDomainPtr dom = NULL;
	const char *name;
	int r, code;

	r = lv_open(ctx);
	if (r < 0)
		return r;
	LV(virSetErrorFunc)(NULL, lv_quiet);
	conn = LV(virConnectOpenReadOnly)(uri);
	if (!conn) {
		code = lv_code();
		err(ctx, "cannot connect to libvirt at %s: %s", uri, lv_msg());
		return code == VIR_ERR_AUTH_FAILED ||
		       code == VIR_ERR_ACCESS_DENIED ||
		       code == VIR_ERR_AUTH_CANCELLED ? -EACCES : -ECONNREFUSED;
	}
	LV(virConnSetErrorFunc)(conn, ctx, lv_forward);
	r = lookup(ctx, conn, uri, domain, &dom);
	if (r < 0)
		goto out;
	name = LV(virDomainGetName)(dom);
	lv->name = strdup(name ? name : domain);
	if (!lv->name) {
		r = -ENOMEM;
		goto out;
	}
	r = LV(virDomainIsActive)(dom);
	if (r == 0) {
		err(ctx, "domain %s at %s is not running", lv->name, uri);
		r = -ESRCH;
		goto out;
	}
	if (r < 0) {
		err(ctx, "domain %s at %s: cannot get its state: %s", lv->name,
		    uri, lv_msg());
		r = -EIO;
		goto out;
	}
	*ret_nr_vcpus = LV(virDomainGetVcpusFlags)(dom, VIR_DOMAIN_AFFECT_LIVE);
	r = read_pins(ctx, conn, dom, lv);
	if (r < 0)
		goto out;
	r = rtvm_libvirt_domain_pid(ctx, lv->name, ret_pid);
out:
	if (dom)
		LV(virDomainFree)(dom);
	LV(virConnSetErrorFunc)(conn, NULL, NULL);
	LV(virConnectClose)(conn);
	return r;
}

RTVM_EXPORT int rtvm_vm_new_from_libvirt(struct rtvm_ctx *ctx, const char *uri,
					 const char *domain,
					 struct rtvm_vm **ret)
{
	struct rtvm_vm_libvirt *lv;
	struct rtvm_vm *vm = NULL;
	unsigned int found = 0;
	int r, nr_vcpus = -1;
	pid_t pid = 0;

	if (!ctx || !domain || !ret)
		return -EINVAL;
	if (!*domain) {
		err(ctx, "empty libvirt domain name");
		return -EINVAL;
	}
	uri = uri ? uri : DEFAULT_URI;
	if (!uri_is_local(uri)) {
		err(ctx, "libvirt URI %s is not of this host (or not a URI): a "
		    "VM's threads can only be tuned where it runs", uri);
		return -EOPNOTSUPP;
	}
	if (uri_is_session(uri)) {
		err(ctx, "libvirt URI %s: session domains keep their pid files "
		    "elsewhere; give the QEMU pid instead", uri);
		return -EOPNOTSUPP;
	}
	lv = calloc(1, sizeof(*lv));
	if (!lv)
		return -ENOMEM;
	r = query(ctx, uri, domain, lv, &nr_vcpus, &pid);
	if (r < 0)
		goto fail;
	r = rtvm_vm_new_from_pid(ctx, pid, &vm);
	if (r == -ENOENT)
		err(ctx, "domain %s: QEMU pid %d has no threads named like vCPUs",
		    lv->name, (int)pid);
	else if (r == -ESRCH)
		err(ctx, "domain %s: QEMU pid %d is gone", lv->name, (int)pid);
	if (r < 0)
		goto fail;
	/* The naming rules against libvirt's count: a vCPU being plugged
	 * meanwhile is a race, not an error, but worth a line. */
	for (unsigned int i = 0; i < rtvm_vm_get_nr_vcpus(vm); i++)
		if (rtvm_vm_get_vcpu_tid(vm, i) > 0)
			found++;
	if (nr_vcpus >= 0 && found != (unsigned int)nr_vcpus)
		info(ctx, "domain %s: libvirt counts %d vCPUs, %u vCPU threads "
		     "found in pid %d", lv->name, nr_vcpus, found, (int)pid);
	dbg(ctx, "domain %s at %s: QEMU pid %d, %u vCPUs", lv->name, uri,
	    (int)pid, found);
	rtvm_vm_set_libvirt(vm, lv);
	*ret = vm;
	return 0;
fail:
	rtvm_vm_libvirt_free(lv);
	return r;
}

RTVM_EXPORT const char *rtvm_vm_get_name(const struct rtvm_vm *vm)
{
	const struct rtvm_vm_libvirt *lv = vm ? rtvm_vm_get_libvirt(vm) : NULL;

	return lv ? lv->name : NULL;
}

RTVM_EXPORT int rtvm_vm_get_libvirt_pin(const struct rtvm_vm *vm, int role,
					unsigned int index,
					const struct rtvm_cpumask **ret)
{
	const struct rtvm_vm_libvirt *lv;
	const struct lv_pin *pins;
	unsigned int n;

	if (!vm || !ret)
		return -EINVAL;
	switch (role) {
	case RTVM_VM_ROLE_VCPU:
	case RTVM_VM_ROLE_EMULATOR:
	case RTVM_VM_ROLE_IOTHREAD:
		break;
	default:
		err(rtvm_vm_get_ctx(vm), "libvirt pins no threads of role %d",
		    role);
		return -EINVAL;
	}
	lv = rtvm_vm_get_libvirt(vm);
	if (!lv)
		return -ENOENT;
	if (role == RTVM_VM_ROLE_EMULATOR) {
		if (!lv->emulator)
			return -ENOENT;
		*ret = lv->emulator;
		return 0;
	}
	pins = role == RTVM_VM_ROLE_VCPU ? lv->vcpus : lv->iothreads;
	n = role == RTVM_VM_ROLE_VCPU ? lv->nr_vcpus : lv->nr_iothreads;
	for (unsigned int i = 0; i < n; i++) {
		if (pins[i].id == index) {
			*ret = pins[i].mask;
			return 0;
		}
	}
	return -ENOENT;
}
