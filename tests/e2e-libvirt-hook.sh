#!/bin/sh
# e2e: the libvirt hook (examples/libvirt-hook) with a real libvirtd and
# QEMU.  The harness of e2e-libvirt.sh starts its own virtlogd and libvirtd
# with the hook installed in its private /etc/libvirt/hooks, boots a 2-vCPU
# QEMU TCG domain whose <metadata> holds a profile, checks in /proc that the
# hook applied it when the domain started (pins, nice), destroys the domain
# and checks that the hook reverted the journal.  The profile touches only
# the domain's own threads: no sysctl, IRQ or kernel thread (those are
# global, not the test's to change).
#
# Isolation on a shared host: the test runs itself in private mount and PID
# namespaces.  libvirt's directories (/etc/libvirt, /run/libvirt,
# /var/lib/libvirt, /var/log/libvirt, /var/cache/libvirt) are tmpfs there,
# with a config of the test's own, so no other libvirtd is seen or
# touched; the daemons and QEMU die with the namespace.  No network: no
# NIC, no default network, no firewall rules.  What is global -- cgroups
# libvirt makes, mount points created for the tmpfs -- is removed at exit.
set -eu
top_srcdir=${top_srcdir:-.}
top_builddir=${top_builddir:-.}
skip() { echo "SKIP: $*"; exit 77; }
PATH=$PATH:/usr/sbin:/sbin
export PATH

if [ -z "${RTVM_E2E_INNER:-}" ]; then
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
fi

# ---- inside the namespaces ------------------------------------------------
tune=$(cd "$top_builddir/examples" && pwd)/rtvm-tune
hook=$(cd "$top_srcdir/examples" && pwd)/libvirt-hook
name="rtvm-hook-$$-$(date +%s)"
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

fail() {
	echo "FAIL: $*"
	for f in /var/log/libvirt/libvirtd.log "/var/log/libvirt/qemu/$name.log"; do
		[ -f "$f" ] && { echo "--- $f"; tail -20 "$f"; }
	done
	exit 1
}

cleanup() {
	rc=$?
	set +e
	if [ -f "$tmp/state/libvirt-$name.pid" ]; then
		RTVM_STATE_DIR="$tmp/state" "$tune" revert \
			--pid "$(cat "$tmp/state/libvirt-$name.pid")" >/dev/null
	fi
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
trap cleanup EXIT
trap 'exit 1' INT TERM HUP

# ---- private libvirt directories and config ------------------------------
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
cat >/etc/libvirt/libvirtd.conf <<EOF
unix_sock_group = "root"
unix_sock_rw_perms = "0700"
auth_unix_ro = "none"
auth_unix_rw = "none"
log_outputs = "3:file:/var/log/libvirt/libvirtd.log"
EOF
cat >/etc/libvirt/virtlogd.conf <<EOF
log_outputs = "3:file:/var/log/libvirt/virtlogd.log"
EOF
# QEMU as root without a security driver, in the cpu cgroup only (the one
# this test is about), without per-domain mount namespaces.
cat >/etc/libvirt/qemu.conf <<EOF
user = "root"
group = "root"
dynamic_ownership = 0
remember_owner = 0
security_driver = "none"
cgroup_controllers = [ "cpu" ]
namespaces = [ ]
EOF
mkdir -p /var/log/libvirt/qemu /run/libvirt /etc/libvirt/hooks "$tmp/state"
# libvirt runs hooks with a clean environment: the paths go into a wrapper.
cat >/etc/libvirt/hooks/qemu <<HOOK
#!/bin/sh
RTVM_TUNE='$tune' RTVM_STATE_DIR='$tmp/state'
export RTVM_TUNE RTVM_STATE_DIR
exec sh '$hook' "\$@" 2>>'$tmp/hook.log'
HOOK
chmod 0755 /etc/libvirt/hooks/qemu

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

# ---- the domain, with a profile in its metadata ---------------------------
cat >"$tmp/dom.xml" <<DOM
<domain type='qemu'>
  <name>$name</name>
  <memory unit='MiB'>64</memory>
  <vcpu placement='static'>2</vcpu>
  <metadata>
    <rtvm:profile xmlns:rtvm="https://librtvm.org/xmlns/profile/1">
      {"version": 1, "name": "e2e-hook", "rt_cpus": "1",
       "housekeeping_cpus": "0",
       "vcpus": [{"pcpu": 1}, {"pcpu": 0, "rt": false}],
       "policies": {"emulator": {"policy": "other", "nice": 5, "cpus": "0"}}}
    </rtvm:profile>
  </metadata>
  <os><type arch='x86_64' machine='pc'>hvm</type><boot dev='hd'/></os>
  <on_poweroff>destroy</on_poweroff>
  <on_reboot>destroy</on_reboot>
  <on_crash>destroy</on_crash>
  <devices>
    <emulator>$(command -v qemu-system-x86_64)</emulator>
    <controller type='usb' model='none'/>
    <memballoon model='none'/>
  </devices>
</domain>
DOM
virsh -q -c qemu:///system create "$tmp/dom.xml" >"$tmp/create.out" 2>&1 ||
	fail "the domain does not start: $(cat "$tmp/create.out") $(cat "$tmp/hook.log" 2>/dev/null)"
pid=$(cat "/run/libvirt/qemu/$name.pid")
[ -d "/proc/$pid" ] || fail "no QEMU process $pid"

cpus() {
	awk '/^Cpus_allowed_list:/ { print $2 }' "/proc/$pid/task/$1/status"
}
nice_of() {
	sed 's/^.*) //' "/proc/$pid/task/$1/stat" | awk '{ print $17 }'
}
tid_of() {
	for t in /proc/$pid/task/*; do
		[ "$(cat "$t/comm")" = "$1" ] && { echo "${t##*/}"; return; }
	done
}
tid0=$(tid_of "CPU 0/TCG") tid1=$(tid_of "CPU 1/TCG")
[ -n "$tid0" ] && [ -n "$tid1" ] || fail "no TCG vCPU threads"

# ---- applied on start ------------------------------------------------------
[ -f "$tmp/state/pid-$pid.journal" ] || fail "no journal: $(cat "$tmp/hook.log")"
grep -q "profile applied to pid $pid" "$tmp/hook.log" || fail "hook log: $(cat "$tmp/hook.log")"
[ "$(cpus "$tid0")" = 1 ] || fail "vCPU 0 on $(cpus "$tid0"), expected 1"
[ "$(cpus "$tid1")" = 0 ] || fail "vCPU 1 on $(cpus "$tid1"), expected 0"
[ "$(cpus "$pid")" = 0 ] || fail "emulator on $(cpus "$pid"), expected 0"
[ "$(nice_of "$pid")" = 5 ] || fail "emulator nice $(nice_of "$pid"), expected 5"
RTVM_STATE_DIR="$tmp/state" "$tune" status | grep -q "profile e2e-hook.*0 drifted" ||
	fail "status: $(RTVM_STATE_DIR="$tmp/state" "$tune" status)"

# ---- reverted on destroy ---------------------------------------------------
virsh -q -c qemu:///system destroy "$name" >/dev/null || fail "virsh destroy"
i=0
while [ -f "$tmp/state/pid-$pid.journal" ]; do
	i=$((i + 1))
	[ $i -lt 50 ] || fail "journal kept after destroy: $(cat "$tmp/hook.log")"
	sleep 0.1
done
grep -q "profile reverted" "$tmp/hook.log" || fail "hook log: $(cat "$tmp/hook.log")"
[ ! -f "$tmp/state/libvirt-$name.pid" ] || fail "hook kept its pid file"
echo "ok: libvirt domain $name: hook applied the profile on start, reverted on destroy"
