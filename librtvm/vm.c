/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * VMs without libvirt: a VMM process's threads, classified by the names
 * the VMM gives them.  Only that process's task directory is read.
 */
#include "config.h"

#include <ctype.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "librtvm-private.h"

/* Above any VMM's vCPU limit (KVM allows 4096); bounds the index table. */
#define VM_MAX_VCPUS 65536u

/*
 * Naming rules.  A pattern is matched against the whole comm: "%u" takes a
 * decimal index (digits only, no leading zero), a trailing "%s" takes a
 * non-empty name, anything else must be equal.  The VMM is the one whose
 * vCPU rule matched; only its rules classify the other threads.  Another
 * VMM is one more line.
 */
struct vm_rule {
	const char *vmm;
	enum rtvm_vm_role role;
	const char *pattern;
};

static const struct vm_rule vm_rules[] = {
	{ "qemu", RTVM_VM_ROLE_VCPU, "CPU %u/KVM" },
	{ "qemu", RTVM_VM_ROLE_VCPU, "CPU %u/TCG" },
	{ "qemu", RTVM_VM_ROLE_IOTHREAD, "IO %s" },
	{ "firecracker", RTVM_VM_ROLE_VCPU, "fc_vcpu %u" },
	{ "firecracker", RTVM_VM_ROLE_EMULATOR, "firecracker" },
	{ "firecracker", RTVM_VM_ROLE_OTHER, "fc_api" },
	{ "cloud-hypervisor", RTVM_VM_ROLE_VCPU, "vcpu%u" },
	{ "cloud-hypervisor", RTVM_VM_ROLE_EMULATOR, "cloud-hypervisor" },
};

struct rtvm_vm_thread {
	pid_t tid;
	enum rtvm_vm_role role;
	int index;	/* vCPU index, -1 for other roles */
	unsigned long long start; /* from the stat read at discovery */
	char comm[64];
	unsigned int name_off; /* the name is comm + name_off */
};

/* What one scan of the task directory found. */
struct vm_scan {
	const char *vmm;
	struct rtvm_vm_thread *threads; /* by tid */
	unsigned int nr_threads;
	pid_t *vcpu_tids; /* by index, 0 for none */
	unsigned int nr_vcpus;
};

struct rtvm_vm {
	int refcount;
	struct rtvm_ctx *ctx;
	pid_t pid;
	struct vm_scan s;
	struct rtvm_vm_libvirt *lv; /* NULL unless found through libvirt */
};

static void scan_free(struct vm_scan *s)
{
	free(s->threads);
	free(s->vcpu_tids);
	*s = (struct vm_scan){ .vmm = s->vmm };
}

/* Whether @comm fits @pattern; the index and name go to @ret_*. */
static bool rule_match(const char *pattern, const char *comm,
		       unsigned int *ret_index, const char **ret_name)
{
	const char *p = pattern, *c = comm;

	while (*p) {
		if (p[0] == '%' && p[1] == 'u') {
			unsigned long v = 0;

			if (!isdigit((unsigned char)*c) ||
			    (c[0] == '0' && isdigit((unsigned char)c[1])))
				return false;
			for (; isdigit((unsigned char)*c); c++) {
				v = v * 10 + (unsigned long)(*c - '0');
				if (v >= VM_MAX_VCPUS)
					return false;
			}
			*ret_index = (unsigned int)v;
			p += 2;
		} else if (p[0] == '%' && p[1] == 's' && !p[2]) {
			if (!*c)
				return false;
			*ret_name = c;
			return true;
		} else if (*p++ != *c++) {
			return false;
		}
	}
	return *c == '\0';
}

/* The rule of @vmm (NULL: any VMM's vCPU rule) that @comm fits, or NULL. */
static const struct vm_rule *classify(const char *vmm, const char *comm,
				      unsigned int *ret_index,
				      const char **ret_name)
{
	for (size_t i = 0; i < ARRAY_SIZE(vm_rules); i++) {
		const struct vm_rule *r = &vm_rules[i];

		if (vmm ? strcmp(r->vmm, vmm) != 0 : r->role != RTVM_VM_ROLE_VCPU)
			continue;
		if (rule_match(r->pattern, comm, ret_index, ret_name))
			return r;
	}
	return NULL;
}

static int cmp_tid(const void *a, const void *b)
{
	const struct rtvm_vm_thread *x = a, *y = b;

	return (x->tid > y->tid) - (x->tid < y->tid);
}

/* Read the tids and comms of @pid's threads into @s, sorted by tid. */
static int read_threads(struct rtvm_ctx *ctx, pid_t pid, struct vm_scan *s)
{
	unsigned int alloc = 0;
	bool leader = false;
	struct dirent *de;
	DIR *dir;
	int fd, r = 0;

	fd = rtvm_fs_open_dir(ctx, RTVM_FS_PROC, "%d/task", (int)pid);
	if (fd == -ENOENT || fd == -ESRCH || fd == -ENOTDIR)
		return -ESRCH;
	if (fd < 0)
		return fd;
	dir = fdopendir(fd);
	if (!dir) {
		r = -errno;
		close(fd);
		return r;
	}
	while ((de = readdir(dir))) {
		struct rtvm_vm_thread *t;
		struct rtvm_stat st;
		char name[300], buf[1024];
		pid_t tid;

		if (!rtvm_parse_pid(de->d_name, &tid))
			continue;
		snprintf(name, sizeof(name), "%s/stat", de->d_name);
		r = rtvm_fs_read_at(ctx, dirfd(dir), name, buf, sizeof(buf));
		if (r == -ENOENT || r == -ESRCH) {
			r = 0; /* exited meanwhile */
			continue;
		}
		if (r < 0)
			break;
		r = rtvm_stat_parse_log(ctx, (struct rtvm_tid){ pid, tid }, buf,
					&st);
		if (r < 0)
			break;
		if (s->nr_threads == alloc) {
			unsigned int a = alloc ? alloc * 2 : 16;
			struct rtvm_vm_thread *n =
				realloc(s->threads, a * sizeof(*n));

			if (!n) {
				r = -ENOMEM;
				break;
			}
			s->threads = n;
			alloc = a;
		}
		t = &s->threads[s->nr_threads++];
		*t = (struct rtvm_vm_thread){ .tid = tid,
					      .index = -1,
					      .start = st.start };
		memcpy(t->comm, st.comm, sizeof(t->comm));
		if (t->tid == pid)
			leader = true;
	}
	closedir(dir);
	if (r < 0)
		return r;
	/* A thread id that is not a process id, or a process that is gone. */
	if (!leader)
		return -ESRCH;
	qsort(s->threads, s->nr_threads, sizeof(*s->threads), cmp_tid);
	return 0;
}

/*
 * One scan of @pid.  With s->vmm NULL the first vCPU-named thread (by tid)
 * picks the VMM, and none is -ENOENT; a refresh keeps the VM's VMM.
 */
static int scan(struct rtvm_ctx *ctx, pid_t pid, struct vm_scan *s)
{
	unsigned int max = 0;
	bool any = false;
	int r;

	r = read_threads(ctx, pid, s);
	if (r < 0)
		return r;
	for (unsigned int i = 0; !s->vmm && i < s->nr_threads; i++) {
		const struct vm_rule *rule;
		const char *name;
		unsigned int index;

		rule = classify(NULL, s->threads[i].comm, &index, &name);
		if (rule)
			s->vmm = rule->vmm;
	}
	if (!s->vmm)
		return -ENOENT;

	for (unsigned int i = 0; i < s->nr_threads; i++) {
		struct rtvm_vm_thread *t = &s->threads[i];
		const struct vm_rule *rule;
		const char *name = NULL;
		unsigned int index = 0;

		rule = classify(s->vmm, t->comm, &index, &name);
		if (t->tid == pid) {
			t->role = RTVM_VM_ROLE_EMULATOR;
			continue;
		}
		if (!rule)
			continue;
		t->role = rule->role;
		if (t->role == RTVM_VM_ROLE_IOTHREAD && name)
			t->name_off = (unsigned int)(name - t->comm);
		if (t->role == RTVM_VM_ROLE_VCPU) {
			t->index = (int)index;
			if (!any || index > max)
				max = index;
			any = true;
		}
	}
	if (!any)
		return 0;
	s->nr_vcpus = max + 1;
	s->vcpu_tids = calloc(s->nr_vcpus, sizeof(*s->vcpu_tids));
	if (!s->vcpu_tids)
		return -ENOMEM;
	/* Threads are in tid order: the first claim of an index wins. */
	for (unsigned int i = 0; i < s->nr_threads; i++) {
		struct rtvm_vm_thread *t = &s->threads[i];

		if (t->role != RTVM_VM_ROLE_VCPU)
			continue;
		if (s->vcpu_tids[t->index]) {
			info(ctx, "vm %d: threads %d and %d both claim vCPU %d; "
			     "keeping %d", (int)pid, (int)s->vcpu_tids[t->index],
			     (int)t->tid, t->index, (int)s->vcpu_tids[t->index]);
			t->role = RTVM_VM_ROLE_OTHER;
			t->index = -1;
			continue;
		}
		s->vcpu_tids[t->index] = t->tid;
	}
	return 0;
}

RTVM_EXPORT int rtvm_vm_new_from_pid(struct rtvm_ctx *ctx, pid_t pid,
				     struct rtvm_vm **ret)
{
	struct rtvm_vm *vm;
	int r;

	if (!ctx || !ret || pid <= 0)
		return -EINVAL;
	vm = calloc(1, sizeof(*vm));
	if (!vm)
		return -ENOMEM;
	vm->refcount = 1;
	vm->pid = pid;
	r = scan(ctx, pid, &vm->s);
	if (r < 0) {
		dbg(ctx, "vm %d: %s", (int)pid, strerror(-r));
		scan_free(&vm->s);
		free(vm);
		return r;
	}
	vm->ctx = rtvm_ref(ctx);
	dbg(ctx, "vm %d: %s, %u threads, %u vCPUs", (int)pid, vm->s.vmm,
	    vm->s.nr_threads, vm->s.nr_vcpus);
	*ret = vm;
	return 0;
}

RTVM_EXPORT struct rtvm_vm *rtvm_vm_ref(struct rtvm_vm *vm)
{
	if (vm)
		vm->refcount++;
	return vm;
}

RTVM_EXPORT struct rtvm_vm *rtvm_vm_unref(struct rtvm_vm *vm)
{
	if (!vm || --vm->refcount > 0)
		return NULL;
	scan_free(&vm->s);
	rtvm_vm_libvirt_free(vm->lv);
	rtvm_unref(vm->ctx);
	free(vm);
	return NULL;
}

static bool same_threads(const struct vm_scan *a, const struct vm_scan *b)
{
	if (a->nr_threads != b->nr_threads)
		return false;
	for (unsigned int i = 0; i < a->nr_threads; i++) {
		const struct rtvm_vm_thread *x = &a->threads[i],
					    *y = &b->threads[i];

		if (x->tid != y->tid || x->role != y->role ||
		    x->index != y->index)
			return false;
	}
	return true;
}

RTVM_EXPORT int rtvm_vm_refresh(struct rtvm_vm *vm, bool *ret_changed)
{
	struct vm_scan s = { .vmm = NULL };
	bool changed;
	int r;

	if (!vm)
		return -EINVAL;
	s.vmm = vm->s.vmm;
	r = scan(vm->ctx, vm->pid, &s);
	if (r < 0) {
		dbg(vm->ctx, "vm %d: refresh: %s", (int)vm->pid, strerror(-r));
		scan_free(&s);
		return r;
	}
	changed = !same_threads(&vm->s, &s);
	scan_free(&vm->s);
	vm->s = s;
	if (changed)
		dbg(vm->ctx, "vm %d: now %u threads, %u vCPUs", (int)vm->pid,
		    s.nr_threads, s.nr_vcpus);
	if (ret_changed)
		*ret_changed = changed;
	return 0;
}

RTVM_EXPORT pid_t rtvm_vm_get_pid(const struct rtvm_vm *vm)
{
	return vm ? vm->pid : -EINVAL;
}

RTVM_EXPORT const char *rtvm_vm_get_vmm(const struct rtvm_vm *vm)
{
	return vm ? vm->s.vmm : NULL;
}

RTVM_EXPORT unsigned int rtvm_vm_get_nr_vcpus(const struct rtvm_vm *vm)
{
	return vm ? vm->s.nr_vcpus : 0;
}

RTVM_EXPORT pid_t rtvm_vm_get_vcpu_tid(const struct rtvm_vm *vm,
				       unsigned int index)
{
	if (!vm)
		return -EINVAL;
	if (index >= vm->s.nr_vcpus || !vm->s.vcpu_tids[index])
		return -ENOENT;
	return vm->s.vcpu_tids[index];
}

RTVM_EXPORT const struct rtvm_vm_thread *
rtvm_vm_thread_next(const struct rtvm_vm *vm, const struct rtvm_vm_thread *prev)
{
	size_t i;

	if (!vm || !vm->s.nr_threads)
		return NULL;
	i = prev ? (size_t)(prev - vm->s.threads) + 1 : 0;
	return i < vm->s.nr_threads ? &vm->s.threads[i] : NULL;
}

RTVM_EXPORT pid_t rtvm_vm_thread_get_tid(const struct rtvm_vm_thread *t)
{
	return t ? t->tid : -EINVAL;
}

RTVM_EXPORT int rtvm_vm_thread_get_role(const struct rtvm_vm_thread *t)
{
	return t ? (int)t->role : -EINVAL;
}

RTVM_EXPORT int rtvm_vm_thread_get_index(const struct rtvm_vm_thread *t)
{
	if (!t)
		return -EINVAL;
	return t->role == RTVM_VM_ROLE_VCPU ? t->index : -ENOENT;
}

RTVM_EXPORT const char *rtvm_vm_thread_get_name(const struct rtvm_vm_thread *t)
{
	return t ? t->comm + t->name_off : NULL;
}

RTVM_EXPORT const char *rtvm_vm_role_to_string(int role)
{
	switch (role) {
	case RTVM_VM_ROLE_OTHER: return "other";
	case RTVM_VM_ROLE_VCPU: return "vcpu";
	case RTVM_VM_ROLE_EMULATOR: return "emulator";
	case RTVM_VM_ROLE_IOTHREAD: return "iothread";
	default: return NULL;
	}
}

struct rtvm_ctx *rtvm_vm_get_ctx(const struct rtvm_vm *vm)
{
	return vm->ctx;
}

void rtvm_vm_set_libvirt(struct rtvm_vm *vm, struct rtvm_vm_libvirt *lv)
{
	rtvm_vm_libvirt_free(vm->lv);
	vm->lv = lv;
}

const struct rtvm_vm_libvirt *rtvm_vm_get_libvirt(const struct rtvm_vm *vm)
{
	return vm->lv;
}

unsigned long long rtvm_vm_thread_get_start(const struct rtvm_vm_thread *t)
{
	return t->start;
}
