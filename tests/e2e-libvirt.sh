#!/bin/sh
# e2e: a real libvirtd and QEMU.  The harness starts its own virtlogd and
# libvirtd, boots a 2-vCPU QEMU TCG domain without disk or NIC, finds its
# threads through librtvm (rtvm-sched --vm), sets FIFO and pinning (with RT
# runtime for libvirt's "machine" cpu cgroup), checks them in /proc, puts
# everything back and destroys the domain.
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
sched=$(cd "$top_builddir/examples" && pwd)/rtvm-sched
name="rtvm-e2e-$$-$(date +%s)"
tmp=$(mktemp -d /tmp/rtvm-e2e.XXXXXX)
dirs="/etc/libvirt /run/libvirt /var/lib/libvirt /var/log/libvirt /var/cache/libvirt"
made_dirs=""
mounted=""
saved=""
restored=""
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
	if [ -n "$saved" ] && [ -z "$restored" ]; then
		"$sched" restore "$tmp/sched.json" >/dev/null
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
mkdir -p /var/log/libvirt/qemu /run/libvirt

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

# ---- the domain ------------------------------------------------------------
cat >"$tmp/dom.xml" <<EOF
<domain type='qemu'>
  <name>$name</name>
  <memory unit='MiB'>64</memory>
  <vcpu placement='static'>2</vcpu>
  <cputune>
    <vcpupin vcpu='1' cpuset='0'/>
    <emulatorpin cpuset='0'/>
  </cputune>
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
EOF
virsh -q -c qemu:///system create "$tmp/dom.xml" >"$tmp/create.out" 2>&1 ||
	fail "the domain does not start: $(cat "$tmp/create.out")"
pid=$(cat "/run/libvirt/qemu/$name.pid")
[ -d "/proc/$pid" ] || fail "no QEMU process $pid"

# ---- discovery through the library ----------------------------------------
"$sched" show --vm "$name" --json >"$tmp/show.json" 2>"$tmp/err" ||
	fail "rtvm-sched show --vm: $(cat "$tmp/err")"
python3 - "$tmp/show.json" "$pid" "$name" >"$tmp/tids" <<'EOF' || fail "show --vm JSON: $(cat "$tmp/show.json")"
import json, sys
d = json.load(open(sys.argv[1]))
assert d["pid"] == int(sys.argv[2]), d["pid"]
assert d["domain"] == sys.argv[3], d["domain"]
assert d["nr_vcpus"] == 2, d["nr_vcpus"]
v = sorted((t for t in d["threads"] if t["role"] == "vcpu"), key=lambda t: t["vcpu"])
assert [t["vcpu"] for t in v] == [0, 1], v
assert [t["name"] for t in v] == ["CPU 0/TCG", "CPU 1/TCG"], v
# libvirt's pins: vCPU 1 and the emulator on CPU 0, vCPU 0 unpinned.
assert v[1]["libvirt_pin"] == "0", v[1]
emu = [t for t in d["threads"] if t["role"] == "emulator"]
assert len(emu) == 1 and emu[0]["tid"] == d["pid"] and emu[0]["libvirt_pin"] == "0", emu
print(v[0]["tid"], v[1]["tid"])
EOF
read -r tid0 tid1 <"$tmp/tids"
for t in $tid0 $tid1; do
	comm=$(cat "/proc/$pid/task/$t/comm")
	case "$comm" in "CPU "[01]"/TCG") ;; *) fail "thread $t is \"$comm\"" ;; esac
done

# policy and RT priority of a thread from its stat (fields 41 and 40)
policy() {
	sed 's/^.*) //' "/proc/$pid/task/$1/stat" | awk '{ print $39 "/" $38 }'
}
cpus() {
	awk '/^Cpus_allowed_list:/ { print $2 }' "/proc/$pid/task/$1/status"
}
before0=$(cpus "$tid0") before1=$(cpus "$tid1") before_emu=$(cpus "$pid")
[ "$before1" = 0 ] || fail "libvirt did not pin vCPU 1 to CPU 0: $before1"
[ "$(policy "$tid0")" = 0/0 ] || fail "vCPU 0 is not SCHED_OTHER: $(policy "$tid0")"

# ---- RT group scheduling: libvirt's cgroup has no RT runtime --------------
vcg=$(awk -F: '$2 ~ /(^|,)cpu(,|$)/ { print $3 }' "/proc/$pid/task/$tid0/cgroup")
rtgroup=""
if [ -n "$cpucg" ] && [ -f "$cpucg$vcg/cpu.rt_runtime_us" ] &&
	[ "$(cat "$cpucg$vcg/cpu.rt_runtime_us")" = 0 ]; then
	rtgroup=1
	echo "vCPU 0 is in cpu cgroup $vcg without RT runtime"
	set +e
	"$sched" set --vm "$name" --fifo 1 >"$tmp/out" 2>"$tmp/err"; rc=$?
	set -e
	[ "$rc" = 1 ] || fail "FIFO in a cgroup without RT runtime: exit $rc"
	grep -q "rt_runtime_us 0" "$tmp/err" || fail "the EPERM is not explained: $(cat "$tmp/err")"
	[ "$(policy "$tid0")" = 0/0 ] || fail "vCPU 0 changed after a refusal"
fi

# ---- FIFO 1 and pinning: vCPUs on CPU 1, the emulator on CPU 0 ------------
saved=1
"$sched" set --vm "$name" --fifo 1 --pin 1 --emulator-pin 0 --provision-rt \
	--save "$tmp/sched.json" >"$tmp/out" 2>"$tmp/err" ||
	fail "rtvm-sched set --vm: $(cat "$tmp/err")"
for t in $tid0 $tid1; do
	[ "$(policy "$t")" = 1/1 ] || fail "thread $t: policy/prio $(policy "$t"), expected 1/1"
	[ "$(cpus "$t")" = 1 ] || fail "thread $t: CPUs $(cpus "$t"), expected 1"
done
[ "$(cpus "$pid")" = 0 ] || fail "emulator on $(cpus "$pid")"
if [ -n "$rtgroup" ]; then
	[ "$(cat "$cpucg$vcg/cpu.rt_runtime_us")" -gt 0 ] ||
		fail "no RT runtime given to $vcg"
	echo "RT runtime records: $(grep -o 'rt_runtime_us' "$tmp/sched.json" | wc -l)"
	grep -q "cpu.rt_runtime_us" "$tmp/sched.json" || fail "RT runtime not recorded"
fi

# ---- restore -----------------------------------------------------------------
"$sched" restore "$tmp/sched.json" >/dev/null 2>"$tmp/err" ||
	fail "rtvm-sched restore: $(cat "$tmp/err")"
restored=1
for t in $tid0 $tid1; do
	[ "$(policy "$t")" = 0/0 ] || fail "thread $t not restored: $(policy "$t")"
done
[ "$(cpus "$tid0")" = "$before0" ] || fail "vCPU 0 on $(cpus "$tid0"), was $before0"
[ "$(cpus "$tid1")" = "$before1" ] || fail "vCPU 1 on $(cpus "$tid1"), was $before1"
[ "$(cpus "$pid")" = "$before_emu" ] || fail "emulator on $(cpus "$pid"), was $before_emu"
if [ -n "$rtgroup" ]; then
	d="$vcg"
	while [ -n "$d" ] && [ "$d" != / ]; do
		[ "$(cat "$cpucg$d/cpu.rt_runtime_us")" = 0 ] ||
			fail "$d keeps RT runtime $(cat "$cpucg$d/cpu.rt_runtime_us")"
		d=${d%/*}
	done
fi

# ---- destroy -------------------------------------------------------------------
virsh -q -c qemu:///system destroy "$name" >/dev/null || fail "virsh destroy"
i=0
while [ -d "/proc/$pid" ]; do
	i=$((i + 1))
	[ $i -lt 50 ] || fail "QEMU $pid survives destroy"
	sleep 0.1
done
set +e
"$sched" show --vm "$name" >/dev/null 2>"$tmp/err"; rc=$?
set -e
[ "$rc" = 1 ] && grep -q "$name" "$tmp/err" || fail "show --vm of a destroyed domain: exit $rc"
echo "ok: libvirt domain $name: 2 TCG vCPUs found, FIFO 1 on CPU 1, restored"
