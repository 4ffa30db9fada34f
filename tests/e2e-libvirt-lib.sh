# SPDX-License-Identifier: LGPL-2.1-or-later
# The harness of the e2e tests (sourced): a private virtlogd and libvirtd.
#
# Isolation on a shared host: the test runs itself in private mount and PID
# namespaces.  libvirt's directories (/etc/libvirt, /run/libvirt,
# /var/lib/libvirt, /var/log/libvirt, /var/cache/libvirt) are tmpfs there,
# with a config of the test's own, so no other libvirtd is seen or
# touched; the daemons and QEMU die with the namespace.  No network: no
# NIC, no default network, no firewall rules.  What is global -- cgroups
# libvirt makes, mount points created for the tmpfs -- is removed at exit.
#
# A test: e2e_enter (re-runs it inside the namespaces, holding the RT-CPU
# lock), e2e_init PREFIX (names, temp dir, exit trap), optionally a function
# e2e_test_cleanup (its own undo, run first at exit), e2e_setup_dirs, its
# own files under /etc/libvirt, e2e_start_daemons; then $name and $tmp.
set -eu
top_srcdir=${top_srcdir:-.}
top_builddir=${top_builddir:-.}
skip() { echo "SKIP: $*"; exit 77; }
PATH=$PATH:/usr/sbin:/sbin
export PATH

e2e_enter() {
	[ -z "${RTVM_E2E_INNER:-}" ] || return 0
	[ "$(id -u)" = 0 ] || skip "not root"
	for b in libvirtd virtlogd virsh qemu-system-x86_64 unshare flock \
		timeout python3; do
		command -v "$b" >/dev/null 2>&1 ||
			skip "$b missing (apt-get install --no-install-recommends libvirt-daemon libvirt-daemon-driver-qemu libvirt-clients qemu-system-x86)"
	done
	[ -d /sys/fs/cgroup ] || skip "no /sys/fs/cgroup"
	# FIFO work on CPU 1: never beside another live test's.
	# (the machine's lock, shared with every build tree's tests)
	lock=/run/lock/librtvm-tests-rt-cpus.lock
	[ -w /run/lock ] || lock=/tmp/librtvm-tests-rt-cpus.lock
	exec 9>"$lock"
	flock 9
	RTVM_E2E_INNER=1 top_srcdir=$top_srcdir top_builddir=$top_builddir
	export RTVM_E2E_INNER top_srcdir top_builddir
	# The test must never hang make check: after 100 s unshare gets TERM
	# and passes it on to the test, whose trap cleans up.
	exec timeout -k 15 100 unshare --mount --propagation private --pid \
		--kill-child=TERM --mount-proc sh "$0"
}

e2e_init() {
	name="$1-$$-$(date +%s)"
	tmp=$(mktemp -d /tmp/rtvm-e2e.XXXXXX)
	dirs="/etc/libvirt /run/libvirt /var/lib/libvirt /var/log/libvirt /var/cache/libvirt"
	made_dirs=""
	mounted=""
	# The v1 hierarchies (and the v2 one) where libvirt may put "machine".
	cg_roots=$(awk '$3 == "cgroup" || $3 == "cgroup2" { print $2 }' /proc/self/mounts)
	cpucg=$(awk '$3 == "cgroup" && $4 ~ /(^|,)cpu(,|$)/ { print $2; exit }' /proc/self/mounts)
	pre_machine=""
	for r in $cg_roots; do
		for m in machine machine.slice; do
			[ -d "$r/$m" ] && pre_machine="$pre_machine $r/$m"
		done
	done
	trap e2e_cleanup EXIT
	trap 'exit 1' INT TERM HUP
}

fail() {
	echo "FAIL: $*"
	for f in /var/log/libvirt/libvirtd.log "/var/log/libvirt/qemu/$name.log"; do
		[ -f "$f" ] && { echo "--- $f"; tail -20 "$f"; }
	done
	exit 1
}

e2e_cleanup() {
	rc=$?
	set +e
	# the test's own undo first (its changes, while libvirtd still runs)
	command -v e2e_test_cleanup >/dev/null 2>&1 && e2e_test_cleanup
	if [ -S /run/libvirt/libvirt-sock ]; then
		virsh -q -c qemu:///system destroy "$name" >/dev/null 2>&1
	fi
	for p in /run/libvirt/qemu/"$name".pid /run/libvirt/libvirtd.pid \
		 /run/libvirt/virtlogd.pid; do
		[ -f "$p" ] && kill -TERM "$(cat "$p")" 2>/dev/null
	done
	sleep 0.3
	for p in /run/libvirt/qemu/"$name".pid /run/libvirt/libvirtd.pid \
		 /run/libvirt/virtlogd.pid; do
		[ -f "$p" ] && kill -KILL "$(cat "$p")" 2>/dev/null
	done
	# The domain's cgroups if libvirt left them, and "machine" if this
	# test made it and it is empty now.
	for r in $cg_roots; do
		for m in machine machine.slice; do
			d="$r/$m"
			[ -d "$d" ] || continue
			for v in "$d/"*"$name"*; do
				[ -d "$v" ] || continue
				find "$v" -depth -type d -exec rmdir {} \; 2>/dev/null
			done
			case " $pre_machine " in
			*" $d "*) ;;
			*) rmdir "$d" 2>/dev/null ;;
			esac
		done
	done
	for d in $mounted; do umount -l "$d"; done
	for d in $made_dirs; do rmdir "$d" 2>/dev/null; done
	rm -rf "$tmp"
	exit $rc
}

# ---- private libvirt directories and config ------------------------------
e2e_setup_dirs() {
	# A hybrid host (v1 controllers beside a cgroup2 tree at .../unified):
	# libvirt 9 then asks the v2 tree for v1-only hierarchies and fails the
	# start.  The cpu controller is v1 here; hide the v2 tree from this
	# namespace only.
	if [ -n "$cpucg" ]; then
		for u in $(awk '$3 == "cgroup2" { print $2 }' /proc/self/mounts); do
			umount -l "$u"
		done
		cg_roots=$(awk '$3 == "cgroup" { print $2 }' /proc/self/mounts)
	fi
	for d in $dirs; do
		if [ ! -d "$d" ]; then
			mkdir -p "$d"
			made_dirs="$d $made_dirs"
		fi
		mount -t tmpfs -o mode=0755 "rtvm-e2e" "$d"
		mounted="$d $mounted"
	done
	# Debian's libvirtd looks its built-in QEMU user (libvirt-qemu) up before
	# reading qemu.conf: give it one in private copies of passwd and group
	# rather than adding a user to the host.
	for f in passwd group; do
		cp "/etc/$f" "$tmp/$f"
		grep -q '^libvirt-qemu:' "$tmp/$f" && continue
		if [ $f = passwd ]; then
			echo 'libvirt-qemu:x:64055:64055:rtvm e2e:/nonexistent:/usr/sbin/nologin' >>"$tmp/$f"
		else
			echo 'libvirt-qemu:x:64055:' >>"$tmp/$f"
		fi
		mount --bind "$tmp/$f" "/etc/$f"
		mounted="/etc/$f $mounted"
	done
	cat >/etc/libvirt/libvirtd.conf <<-EOF
	unix_sock_group = "root"
	unix_sock_rw_perms = "0700"
	auth_unix_ro = "none"
	auth_unix_rw = "none"
	log_outputs = "3:file:/var/log/libvirt/libvirtd.log"
	EOF
	cat >/etc/libvirt/virtlogd.conf <<-EOF
	log_outputs = "3:file:/var/log/libvirt/virtlogd.log"
	EOF
	# QEMU as root without a security driver, in the cpu cgroup only (the one
	# this test is about), without per-domain mount namespaces.
	cat >/etc/libvirt/qemu.conf <<-EOF
	user = "root"
	group = "root"
	dynamic_ownership = 0
	remember_owner = 0
	security_driver = "none"
	cgroup_controllers = [ "cpu" ]
	namespaces = [ ]
	EOF
	mkdir -p /var/log/libvirt/qemu /run/libvirt
}

e2e_start_daemons() {
	virtlogd -d -p /run/libvirt/virtlogd.pid || fail "virtlogd does not start"
	libvirtd -d -p /run/libvirt/libvirtd.pid || fail "libvirtd does not start"
	i=0
	until virsh -q -c qemu:///system version >/dev/null 2>&1; do
		i=$((i + 1))
		[ $i -lt 100 ] || fail "libvirtd does not answer"
		[ -f /run/libvirt/libvirtd.pid ] &&
			! kill -0 "$(cat /run/libvirt/libvirtd.pid)" 2>/dev/null &&
			fail "libvirtd died"
		sleep 0.2
	done
}
