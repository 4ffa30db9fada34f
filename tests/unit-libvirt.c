/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Unit tier: VMs from libvirt without a libvirt daemon.  libvirt's test
 * driver (test:///default, or a node XML file given as test:///PATH) runs
 * inside the client library and stands in for libvirtd; the QEMU process
 * is host64's pid 4242, found through a pid file written into the fixture.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <libvirt/libvirt.h>
#include <libvirt/virterror.h>

#include "librtvm-private.h"
#include "testutil.h"

#define QEMU 4242
#define TEST_UUID "6695eb01-f6a4-8304-79aa-97f2502e193f"

static char log_all[4096];

static void log_capture(struct rtvm_ctx *ctx, int priority, const char *file,
			int line, const char *fn, const char *format,
			va_list args)
{
	size_t n = strlen(log_all);

	if (priority <= LOG_ERR && n + 2 < sizeof(log_all)) {
		vsnprintf(log_all + n, sizeof(log_all) - n - 1, format, args);
		strcat(log_all, "\n");
	}
}

static struct rtvm_ctx *new_ctx(void)
{
	struct rtvm_ctx *ctx = tu_ctx("host64");

	rtvm_set_log_fn(ctx, log_capture);
	log_all[0] = '\0';
	return ctx;
}

/* Write a file of the fixture byte for byte (a command line holds NULs). */
static void write_bytes(struct rtvm_ctx *ctx, const char *rel,
			const char *data, size_t len)
{
	char path[1024];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", rtvm_get_root(ctx), rel);
	f = fopen(path, "w");
	ck_assert_ptr_nonnull(f);
	ck_assert_uint_eq(fwrite(data, 1, len, f), len);
	ck_assert_int_eq(fclose(f), 0);
}

/* Make pid 4242 QEMU of domain @guest: "-name guest=GUEST,..." */
static void set_cmdline(struct rtvm_ctx *ctx, const char *guest)
{
	char buf[512];
	int n;

	n = snprintf(buf, sizeof(buf), "/usr/bin/qemu-system-x86_64%c-name%c"
		     "guest=%s,debug-threads=on%c-S%c", 0, 0, guest, 0, 0);
	write_bytes(ctx, "proc/4242/cmdline", buf, (size_t)n);
}

static void set_pidfile(struct rtvm_ctx *ctx, const char *name,
			const char *content)
{
	char rel[256];

	snprintf(rel, sizeof(rel), "run/libvirt/qemu/%s.pid", name);
	tu_write(ctx, rel, content);
}

START_TEST(test_pidfile)
{
	struct rtvm_ctx *ctx = new_ctx();
	pid_t pid = 0;

	/* host64's QEMU is domain vm1. */
	ck_assert_int_eq(rtvm_libvirt_domain_pid(ctx, "vm1", &pid), -ESRCH);
	ck_assert_ptr_nonnull(strstr(log_all, "libvirt/qemu/vm1.pid"));
	set_pidfile(ctx, "vm1", "4242\n");
	ck_assert_int_eq(rtvm_libvirt_domain_pid(ctx, "vm1", &pid), 0);
	ck_assert_int_eq(pid, QEMU);

	/* A pid file naming another domain's QEMU, or a dead process: stale. */
	set_pidfile(ctx, "vm2", "4242");
	log_all[0] = '\0';
	pid = 0;
	ck_assert_int_eq(rtvm_libvirt_domain_pid(ctx, "vm2", &pid), -ESRCH);
	ck_assert_ptr_nonnull(strstr(log_all, "stale"));
	ck_assert_int_eq(pid, 0);
	set_pidfile(ctx, "vm2", "99999");
	ck_assert_int_eq(rtvm_libvirt_domain_pid(ctx, "vm2", &pid), -ESRCH);
	/* "vm" is a prefix of "vm1", not its name. */
	set_pidfile(ctx, "vm", "4242");
	ck_assert_int_eq(rtvm_libvirt_domain_pid(ctx, "vm", &pid), -ESRCH);

	/* Garbage. */
	log_all[0] = '\0';
	set_pidfile(ctx, "vm2", "forty-two");
	ck_assert_int_eq(rtvm_libvirt_domain_pid(ctx, "vm2", &pid), -EBADMSG);
	ck_assert_ptr_nonnull(strstr(log_all, "forty-two"));
	set_pidfile(ctx, "vm2", "-5");
	ck_assert_int_eq(rtvm_libvirt_domain_pid(ctx, "vm2", &pid), -EBADMSG);
	set_pidfile(ctx, "vm2", "");
	ck_assert_int_eq(rtvm_libvirt_domain_pid(ctx, "vm2", &pid), -EBADMSG);

	/* Names that would leave the directory. */
	log_all[0] = '\0';
	ck_assert_int_eq(rtvm_libvirt_domain_pid(ctx, "../../etc/x", &pid),
			 -EINVAL);
	ck_assert_ptr_nonnull(strstr(log_all, "../../etc/x"));
	ck_assert_int_eq(rtvm_libvirt_domain_pid(ctx, "..", &pid), -EINVAL);
	ck_assert_int_eq(rtvm_libvirt_domain_pid(ctx, "", &pid), -EINVAL);
	ck_assert_int_eq(pid, 0);
	rtvm_unref(ctx);
}
END_TEST

/* Commas of a name are doubled in "-name guest=...", and old libvirt
 * passes "-name NAME". */
START_TEST(test_pidfile_cmdline_forms)
{
	struct rtvm_ctx *ctx = new_ctx();
	static const char old[] = "qemu\0-name\0a,b\0-S";
	pid_t pid = 0;

	set_pidfile(ctx, "a,b", "4242");
	set_cmdline(ctx, "a,,b");
	ck_assert_int_eq(rtvm_libvirt_domain_pid(ctx, "a,b", &pid), 0);
	ck_assert_int_eq(pid, QEMU);
	/* "a" must not match "guest=a,,b": its comma is part of the name. */
	set_pidfile(ctx, "a", "4242");
	ck_assert_int_eq(rtvm_libvirt_domain_pid(ctx, "a", &pid), -ESRCH);
	/* Not doubled: "a" then an option "b". */
	set_cmdline(ctx, "a,b");
	ck_assert_int_eq(rtvm_libvirt_domain_pid(ctx, "a,b", &pid), -ESRCH);
	write_bytes(ctx, "proc/4242/cmdline", old, sizeof(old));
	ck_assert_int_eq(rtvm_libvirt_domain_pid(ctx, "a,b", &pid), 0);
	/* A name only as another option's value does not count. */
	ck_assert_int_eq(rtvm_libvirt_domain_pid(ctx, "-S", &pid), -ESRCH);
	rtvm_unref(ctx);
}
END_TEST

/* The whole path through libvirt's test driver: domain "test" (running,
 * two vCPUs, nothing pinned: libvirt reports the test node's CPUs 0-7). */
START_TEST(test_default_domain)
{
	struct rtvm_ctx *ctx = new_ctx();
	const struct rtvm_cpumask *m;
	struct rtvm_vm *vm = NULL;

	set_pidfile(ctx, "test", "4242");
	set_cmdline(ctx, "test");
	ck_assert_int_eq(rtvm_vm_new_from_libvirt(ctx, "test:///default", "test",
						  &vm), 0);
	ck_assert_str_eq(log_all, "");
	ck_assert_int_eq(rtvm_vm_get_pid(vm), QEMU);
	ck_assert_str_eq(rtvm_vm_get_name(vm), "test");
	ck_assert_str_eq(rtvm_vm_get_vmm(vm), "qemu");
	ck_assert_uint_eq(rtvm_vm_get_nr_vcpus(vm), 2);
	ck_assert_int_eq(rtvm_vm_get_vcpu_tid(vm, 1), 4251);
	ck_assert_int_eq(rtvm_vm_get_libvirt_pin(vm, RTVM_VM_ROLE_VCPU, 1, &m),
			 0);
	ck_assert_str_eq(tu_list(m), "0-7");
	ck_assert_int_eq(rtvm_vm_get_libvirt_pin(vm, RTVM_VM_ROLE_EMULATOR, 99,
						 &m), 0);
	ck_assert_str_eq(tu_list(m), "0-7");
	ck_assert_int_eq(rtvm_vm_get_libvirt_pin(vm, RTVM_VM_ROLE_VCPU, 2, &m),
			 -ENOENT);
	ck_assert_int_eq(rtvm_vm_get_libvirt_pin(vm, RTVM_VM_ROLE_IOTHREAD, 0,
						 &m), -ENOENT);
	ck_assert_int_eq(rtvm_vm_get_libvirt_pin(vm, RTVM_VM_ROLE_OTHER, 0, &m),
			 -EINVAL);
	ck_assert_int_eq(rtvm_vm_get_libvirt_pin(vm, RTVM_VM_ROLE_VCPU, 0,
						 NULL), -EINVAL);
	/* A refresh keeps what libvirt said. */
	ck_assert_int_eq(rtvm_vm_refresh(vm, NULL), 0);
	ck_assert_str_eq(rtvm_vm_get_name(vm), "test");
	rtvm_vm_unref(vm);

	/* By UUID. */
	vm = NULL;
	ck_assert_int_eq(rtvm_vm_new_from_libvirt(ctx, "test:///default",
						  TEST_UUID, &vm), 0);
	ck_assert_str_eq(rtvm_vm_get_name(vm), "test");
	rtvm_vm_unref(vm);
	rtvm_unref(ctx);
}
END_TEST

/* A node file with pins on every role. */
START_TEST(test_node_pins)
{
	static const char node[] =
		"<node>\n"
		" <cpu><mhz>2000</mhz><model>i686</model><nodes>1</nodes>"
		"<sockets>1</sockets><cores>4</cores><threads>1</threads></cpu>\n"
		" <domain type='test'>\n"
		"  <name>vm1</name><memory>65536</memory>\n"
		"  <vcpu placement='static'>2</vcpu><iothreads>2</iothreads>\n"
		"  <cputune>\n"
		"   <vcpupin vcpu='0' cpuset='2'/><vcpupin vcpu='1' cpuset='3'/>\n"
		"   <emulatorpin cpuset='0-1'/>\n"
		"   <iothreadpin iothread='2' cpuset='1'/>\n"
		"  </cputune>\n"
		"  <os><type>hvm</type></os>\n"
		" </domain>\n"
		"</node>\n";
	struct rtvm_ctx *ctx = new_ctx();
	const struct rtvm_cpumask *m;
	struct rtvm_vm *vm = NULL;
	char uri[1200];

	tu_write(ctx, "node.xml", node);
	snprintf(uri, sizeof(uri), "test://%s/node.xml", rtvm_get_root(ctx));
	set_pidfile(ctx, "vm1", "4242");
	ck_assert_int_eq(rtvm_vm_new_from_libvirt(ctx, uri, "vm1", &vm), 0);
	ck_assert_int_eq(rtvm_vm_get_libvirt_pin(vm, RTVM_VM_ROLE_VCPU, 0, &m),
			 0);
	ck_assert_str_eq(tu_list(m), "2");
	ck_assert_int_eq(rtvm_vm_get_libvirt_pin(vm, RTVM_VM_ROLE_VCPU, 1, &m),
			 0);
	ck_assert_str_eq(tu_list(m), "3");
	ck_assert_int_eq(rtvm_vm_get_libvirt_pin(vm, RTVM_VM_ROLE_EMULATOR, 0,
						 &m), 0);
	ck_assert_str_eq(tu_list(m), "0-1");
	ck_assert_int_eq(rtvm_vm_get_libvirt_pin(vm, RTVM_VM_ROLE_IOTHREAD, 2,
						 &m), 0);
	ck_assert_str_eq(tu_list(m), "1");
	/* Not pinned: what libvirt reports (here the emulator's CPUs). */
	ck_assert_int_eq(rtvm_vm_get_libvirt_pin(vm, RTVM_VM_ROLE_IOTHREAD, 1,
						 &m), 0);
	ck_assert_uint_ge(rtvm_cpumask_weight(m), 1);
	ck_assert_int_eq(rtvm_vm_get_libvirt_pin(vm, RTVM_VM_ROLE_IOTHREAD, 3,
						 &m), -ENOENT);
	rtvm_vm_unref(vm);
	rtvm_unref(ctx);
}
END_TEST

START_TEST(test_errors)
{
	struct rtvm_ctx *ctx = new_ctx();
	struct rtvm_vm *vm = NULL, *pvm = NULL;
	const struct rtvm_cpumask *m;

	ck_assert_int_eq(rtvm_vm_new_from_libvirt(NULL, NULL, "x", &vm), -EINVAL);
	ck_assert_int_eq(rtvm_vm_new_from_libvirt(ctx, NULL, NULL, &vm), -EINVAL);
	ck_assert_int_eq(rtvm_vm_new_from_libvirt(ctx, NULL, "x", NULL), -EINVAL);
	ck_assert_int_eq(rtvm_vm_new_from_libvirt(ctx, NULL, "", &vm), -EINVAL);

	/* Unknown domain: named, with the URI. */
	ck_assert_int_eq(rtvm_vm_new_from_libvirt(ctx, "test:///default",
						  "nosuchvm", &vm), -ENOENT);
	ck_assert_ptr_nonnull(strstr(log_all, "\"nosuchvm\""));
	ck_assert_ptr_nonnull(strstr(log_all, "test:///default"));

	/* Running, but no pid file: not a QEMU domain of this host. */
	log_all[0] = '\0';
	ck_assert_int_eq(rtvm_vm_new_from_libvirt(ctx, "test:///default", "test",
						  &vm), -ESRCH);
	ck_assert_ptr_nonnull(strstr(log_all, "test.pid"));

	/* A QEMU without vCPU-named threads. */
	set_pidfile(ctx, "test", "1");
	write_bytes(ctx, "proc/1/cmdline", "qemu\0-name\0guest=test", 21);
	log_all[0] = '\0';
	ck_assert_int_eq(rtvm_vm_new_from_libvirt(ctx, "test:///default", "test",
						  &vm), -ENOENT);
	ck_assert_ptr_nonnull(strstr(log_all, "no threads named like vCPUs"));

	/* No such driver, no daemon: the URI is named. */
	log_all[0] = '\0';
	ck_assert_int_eq(rtvm_vm_new_from_libvirt(ctx, "bogus:///system", "test",
						  &vm), -ECONNREFUSED);
	ck_assert_ptr_nonnull(strstr(log_all, "bogus:///system"));
	log_all[0] = '\0';
	ck_assert_int_eq(rtvm_vm_new_from_libvirt(ctx,
			"qemu+unix:///system?socket=/nonexistent/rtvm.sock",
			"test", &vm), -ECONNREFUSED);
	ck_assert_ptr_nonnull(strstr(log_all, "/nonexistent/rtvm.sock"));

	/* Remote and session URIs, refused before connecting. */
	ck_assert_int_eq(rtvm_vm_new_from_libvirt(ctx,
			"qemu+ssh://elsewhere.invalid/system", "test", &vm),
			 -EOPNOTSUPP);
	ck_assert_int_eq(rtvm_vm_new_from_libvirt(ctx, "qemu:///session",
						  "test", &vm), -EOPNOTSUPP);
	ck_assert_int_eq(rtvm_vm_new_from_libvirt(ctx, "not a uri", "test",
						  &vm), -EOPNOTSUPP);
	ck_assert_ptr_null(vm);

	/* A VM found by pid has no libvirt data. */
	ck_assert_int_eq(rtvm_vm_new_from_pid(ctx, QEMU, &pvm), 0);
	ck_assert_ptr_null(rtvm_vm_get_name(pvm));
	ck_assert_int_eq(rtvm_vm_get_libvirt_pin(pvm, RTVM_VM_ROLE_VCPU, 0, &m),
			 -ENOENT);
	ck_assert_ptr_null(rtvm_vm_get_name(NULL));
	ck_assert_int_eq(rtvm_vm_get_libvirt_pin(NULL, RTVM_VM_ROLE_VCPU, 0, &m),
			 -EINVAL);
	rtvm_vm_unref(pvm);
	rtvm_unref(ctx);
}
END_TEST

/* A domain that is defined but shut off.  The test driver's default state
 * is shared by the connections of one process, so the test's own
 * connection stops the domain the library then looks up. */
START_TEST(test_inactive)
{
	struct rtvm_ctx *ctx = new_ctx();
	struct rtvm_vm *vm = NULL;
	virConnectPtr conn;
	virDomainPtr dom;

	set_pidfile(ctx, "test", "4242");
	set_cmdline(ctx, "test");
	conn = virConnectOpen("test:///default");
	ck_assert_ptr_nonnull(conn);
	dom = virDomainLookupByName(conn, "test");
	ck_assert_ptr_nonnull(dom);
	ck_assert_int_eq(virDomainDestroy(dom), 0);
	ck_assert_int_eq(rtvm_vm_new_from_libvirt(ctx, "test:///default", "test",
						  &vm), -ESRCH);
	ck_assert_ptr_nonnull(strstr(log_all, "not running"));
	ck_assert_ptr_null(vm);
	virDomainFree(dom);
	virConnectClose(conn);
	rtvm_unref(ctx);
}
END_TEST

/* libvirt's errors never reach standard error. */
START_TEST(test_silent)
{
	struct rtvm_ctx *ctx = new_ctx();
	struct rtvm_vm *vm = NULL;
	char path[] = "/tmp/rtvm-unit-libvirt-XXXXXX", buf[256];
	int fd, saved;
	ssize_t n;

	fd = mkstemp(path);
	ck_assert_int_ge(fd, 0);
	unlink(path);
	saved = dup(STDERR_FILENO);
	ck_assert_int_ge(saved, 0);
	ck_assert_int_ge(dup2(fd, STDERR_FILENO), 0);
	rtvm_vm_new_from_libvirt(ctx, "bogus:///system", "x", &vm);
	rtvm_vm_new_from_libvirt(ctx, "test:///default", "nosuchvm", &vm);
	ck_assert_int_ge(dup2(saved, STDERR_FILENO), 0);
	close(saved);
	n = pread(fd, buf, sizeof(buf) - 1, 0);
	buf[n > 0 ? n : 0] = '\0';
	close(fd);
	ck_assert_msg(n == 0, "libvirt printed: %s", buf);
	ck_assert_ptr_nonnull(strstr(log_all, "nosuchvm"));
	rtvm_unref(ctx);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("libvirt");
	TCase *tc = tcase_create("libvirt");

	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_pidfile);
	tcase_add_test(tc, test_pidfile_cmdline_forms);
	tcase_add_test(tc, test_default_domain);
	tcase_add_test(tc, test_node_pins);
	tcase_add_test(tc, test_errors);
	tcase_add_test(tc, test_inactive);
	tcase_add_test(tc, test_silent);
	suite_add_tcase(s, tc);
	return tu_run(s);
}
