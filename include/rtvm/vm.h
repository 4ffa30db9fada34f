/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* librtvm: VMs.  Include <rtvm/rtvm.h>, which includes this. */
#ifndef RTVM_VM_H
#define RTVM_VM_H

#include <rtvm/context.h>
#include <rtvm/cpumask.h>
#include <rtvm/host.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ------------------------------------------------------------------ */
/* VMs: finding a VMM's threads                                       */
/* ------------------------------------------------------------------ */

/** What a thread of a VM does. */
enum rtvm_vm_role {
	RTVM_VM_ROLE_OTHER = 0,	/* a helper thread (vnc, worker, ...) */
	RTVM_VM_ROLE_VCPU,	/* runs one vCPU */
	RTVM_VM_ROLE_EMULATOR,	/* the main (emulator) thread */
	RTVM_VM_ROLE_IOTHREAD,	/* an I/O thread */
};

struct rtvm_vm;
struct rtvm_vm_thread;

/**
 * rtvm_vm_new_from_pid() - find the threads of a VMM process by their
 *      names, without libvirt.
 * @ctx: the context; the VM holds a reference on it.
 * @pid: the VMM's process id (QEMU, Firecracker, cloud-hypervisor).
 * @ret: where the VM is stored (one reference).
 *
 * Thread names are matched against a table of VMM naming rules: QEMU's
 * "CPU N/KVM" and "CPU N/TCG" vCPUs and "IO NAME" iothreads, Firecracker's
 * "fc_vcpu N", cloud-hypervisor's "vcpuN".  The main thread is the
 * emulator; other threads have RTVM_VM_ROLE_OTHER.
 *
 * Returns: 0, or -EINVAL (NULL argument, @pid <= 0), -ESRCH (no such
 * process), -ENOENT (the process has no thread named like a vCPU: not a
 * VMM, or one that names no threads), -ENOMEM.
 * Privileges: none.
 */
int rtvm_vm_new_from_pid(struct rtvm_ctx *ctx, pid_t pid,
			 struct rtvm_vm **ret);

/**
 * rtvm_vm_new_from_libvirt() - find the threads of a running libvirt QEMU
 *      domain of this host.
 * @ctx: the context; the VM holds a reference on it.
 * @uri: the libvirt connection URI, or NULL for "qemu:///system".  Only
 *       local URIs of the system instance: a VM's threads can be tuned only
 *       on the host it runs on.
 * @domain: the domain's name or UUID.
 * @ret: where the VM is stored (one reference).
 *
 * A read-only libvirt connection looks the domain up and reads the pins
 * libvirt has for it (vcpupin, emulatorpin, iothreadpin: see
 * rtvm_vm_get_libvirt_pin()).  The QEMU pid comes from the pid file in
 * libvirt's run directory (libvirt/qemu/NAME.pid, inside the sysroot if
 * one is set), checked against that process's command line; its threads
 * are then found as by rtvm_vm_new_from_pid(), and their count checked
 * against libvirt's.  The connection is closed before returning.
 *
 * libvirt prints its errors on standard error unless told otherwise: this
 * function sets libvirt's process-wide error function to one that prints
 * nothing, and logs libvirt's messages through the context instead.
 *
 * Returns: 0, or -EINVAL (NULL argument, empty @domain, a name that cannot
 * be a file name), -EOPNOTSUPP (a remote or session URI), -ECONNREFUSED
 * (no libvirt at @uri: the log names the URI and libvirt's reason),
 * -EACCES (libvirt refused), -ENOENT (no such domain, or its QEMU has no
 * threads named like vCPUs: the log says which), -ESRCH (the domain is not
 * running, or its pid file is missing or stale), -EBADMSG (a pid file
 * without a pid), -EIO (another libvirt error, logged), -ELIBACC
 * (libvirt's library, libvirt.so.0, cannot be loaded: the log says why;
 * librtvm loads it on first use, not at start), -ENOMEM.
 * Privileges: libvirt's read-only access (its read-only socket); reading
 * libvirt's run directory (usually anyone).
 */
int rtvm_vm_new_from_libvirt(struct rtvm_ctx *ctx, const char *uri,
			     const char *domain, struct rtvm_vm **ret);

/**
 * rtvm_vm_get_name() - the libvirt domain's name of a VM found with
 *      rtvm_vm_new_from_libvirt().
 * @vm: the VM.
 *
 * Returns: the name (lent), or NULL for a VM found by pid, or NULL @vm.
 * Privileges: none.
 */
const char *rtvm_vm_get_name(const struct rtvm_vm *vm);

/**
 * rtvm_vm_get_libvirt_pin() - the CPUs libvirt pins a thread of the VM to,
 *      as libvirt said when the VM was found (a refresh does not ask
 *      again).  Where the domain's XML pins nothing, libvirt reports the
 *      CPUs the thread may use (all, or the domain's cpuset).
 * @vm: a VM from rtvm_vm_new_from_libvirt().
 * @role: RTVM_VM_ROLE_VCPU, RTVM_VM_ROLE_EMULATOR or RTVM_VM_ROLE_IOTHREAD.
 * @index: the vCPU index, or the iothread id (libvirt's iothread_id, the N
 *         of QEMU's "IO iothreadN"); ignored for the emulator.
 * @ret: where the mask is stored (lent by @vm).
 *
 * Returns: 0, or -EINVAL (NULL argument, another role), -ENOENT (a VM not
 * from libvirt, no such vCPU or iothread, or libvirt could not say).
 * Privileges: none.
 */
int rtvm_vm_get_libvirt_pin(const struct rtvm_vm *vm, int role,
			    unsigned int index,
			    const struct rtvm_cpumask **ret);

/**
 * rtvm_vm_ref() - take a reference on a VM.
 * @vm: the VM, or NULL.
 *
 * Returns: @vm.
 * Privileges: none.
 */
struct rtvm_vm *rtvm_vm_ref(struct rtvm_vm *vm);

/**
 * rtvm_vm_unref() - drop a reference; the last frees the VM.
 * @vm: the VM, or NULL.
 *
 * Returns: NULL, always.
 * Privileges: none.
 */
struct rtvm_vm *rtvm_vm_unref(struct rtvm_vm *vm);

/**
 * rtvm_vm_refresh() - read the VMM's threads again, noticing vCPUs and
 *      threads that were added or are gone.  Thread objects got before are
 *      invalid afterwards.
 * @vm: the VM.
 * @ret_changed: where to store whether anything changed (may be NULL).
 *
 * Returns: 0, or -EINVAL (NULL @vm), -ESRCH (the process is gone), -ENOMEM.
 * The VM is unchanged on failure.
 * Privileges: none.
 */
int rtvm_vm_refresh(struct rtvm_vm *vm, bool *ret_changed);

/**
 * rtvm_vm_get_pid() - the VMM's process id.
 * @vm: the VM.
 *
 * Returns: the pid, or -EINVAL for NULL.
 * Privileges: none.
 */
pid_t rtvm_vm_get_pid(const struct rtvm_vm *vm);

/**
 * rtvm_vm_get_vmm() - which naming rules matched: "qemu", "firecracker"
 *      or "cloud-hypervisor".
 * @vm: the VM.
 *
 * Returns: a static string, or NULL for NULL.
 * Privileges: none.
 */
const char *rtvm_vm_get_vmm(const struct rtvm_vm *vm);

/**
 * rtvm_vm_get_nr_vcpus() - how many vCPUs the VM has: the highest vCPU
 *      index found plus one.
 * @vm: the VM.
 *
 * Returns: the count, 0 for NULL.
 * Privileges: none.
 */
unsigned int rtvm_vm_get_nr_vcpus(const struct rtvm_vm *vm);

/**
 * rtvm_vm_get_vcpu_tid() - the thread that runs a vCPU.
 * @vm: the VM.
 * @index: the vCPU index.
 *
 * Returns: the tid, -ENOENT when no thread runs that vCPU (an index out of
 * range, or a vCPU whose thread is not found), -EINVAL for NULL.
 * Privileges: none.
 */
pid_t rtvm_vm_get_vcpu_tid(const struct rtvm_vm *vm, unsigned int index);

/**
 * rtvm_vm_thread_next() - iterate over the VM's threads, by tid.
 * @vm: the VM.
 * @prev: the previous thread, or NULL to start.
 *
 * Returns: the next thread (lent by @vm until the next refresh), or NULL.
 * Privileges: none.
 */
const struct rtvm_vm_thread *rtvm_vm_thread_next(const struct rtvm_vm *vm,
						 const struct rtvm_vm_thread *prev);

/** Iterate @t (a const struct rtvm_vm_thread *) over the VM's threads. */
#define rtvm_vm_foreach_thread(t, vm)                                    \
	for ((t) = rtvm_vm_thread_next((vm), NULL); (t);                  \
	     (t) = rtvm_vm_thread_next((vm), (t)))

/**
 * rtvm_vm_thread_get_tid() - the thread id.
 * @t: the thread.
 *
 * Returns: the tid, or -EINVAL for NULL.
 * Privileges: none.
 */
pid_t rtvm_vm_thread_get_tid(const struct rtvm_vm_thread *t);

/**
 * rtvm_vm_thread_get_role() - what the thread does.
 * @t: the thread.
 *
 * Returns: an enum rtvm_vm_role, or -EINVAL for NULL.
 * Privileges: none.
 */
int rtvm_vm_thread_get_role(const struct rtvm_vm_thread *t);

/**
 * rtvm_vm_thread_get_index() - the vCPU index of a vCPU thread.
 * @t: the thread.
 *
 * Returns: the index, -ENOENT for other roles, -EINVAL for NULL.
 * Privileges: none.
 */
int rtvm_vm_thread_get_index(const struct rtvm_vm_thread *t);

/**
 * rtvm_vm_thread_get_name() - the thread's name (its comm), or for an
 *      iothread the iothread's id ("iothread0" for "IO iothread0").
 * @t: the thread.
 *
 * Returns: the name (lent), or NULL for NULL.
 * Privileges: none.
 */
const char *rtvm_vm_thread_get_name(const struct rtvm_vm_thread *t);

/**
 * rtvm_vm_role_to_string() - "vcpu", "emulator", "iothread" or "other".
 * @role: an enum rtvm_vm_role.
 *
 * Returns: a static string, or NULL for an unknown role.
 * Privileges: none.
 */
const char *rtvm_vm_role_to_string(int role);

#ifdef __cplusplus
}
#endif

#endif /* RTVM_VM_H */
