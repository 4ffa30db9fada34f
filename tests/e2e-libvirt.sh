#!/bin/sh
# e2e: a real libvirtd and QEMU.  The harness starts its own virtlogd and
# libvirtd, boots a 2-vCPU QEMU TCG domain without disk or NIC, finds its
# threads through librtvm (rtvm-sched --vm), sets FIFO and pinning (with RT
# runtime for libvirt's "machine" cpu cgroup), checks them in /proc, puts
# everything back, does the same through the Python binding, monitors the
# domain by name (rtvm-top --vm) and destroys it.
#
# The daemons run in private namespaces: see tests/e2e-libvirt-lib.sh.
top_srcdir=${top_srcdir:-.}
. "$top_srcdir/tests/e2e-libvirt-lib.sh"
e2e_enter

# ---- inside the namespaces ------------------------------------------------
sched=$(cd "$top_builddir/examples" && pwd)/rtvm-sched
saved=""
restored=""
e2e_test_cleanup() {
	if [ -n "$saved" ] && [ -z "$restored" ]; then
		"$sched" restore "$tmp/sched.json" >/dev/null
	fi
}
e2e_init rtvm-e2e
e2e_setup_dirs
e2e_start_daemons

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
# libvirt's cgroups of the vCPU have no RT runtime again
rt_runtime_back() {
	[ -n "$rtgroup" ] || return 0
	d="$vcg"
	while [ -n "$d" ] && [ "$d" != / ]; do
		[ "$(cat "$cpucg$d/cpu.rt_runtime_us")" = 0 ] ||
			fail "$1: $d keeps RT runtime $(cat "$cpucg$d/cpu.rt_runtime_us")"
		d=${d%/*}
	done
}
rt_runtime_back "rtvm-sched restore"

# ---- the same domain through the Python binding -----------------------------
# (skipped, and said so, where python3 or a non-ASan librtvm is missing)
lib="$top_builddir/librtvm/.libs/librtvm.so.0"
if ! command -v python3 >/dev/null 2>&1; then
	echo "note: no python3: the binding's libvirt VM is not tested"
elif ldd "$lib" 2>/dev/null | grep -q libasan; then
	echo "note: librtvm is built with ASan, which python3 cannot load: the binding's libvirt VM is not tested"
else
	RTVM_LIBRARY="$(cd "$(dirname "$lib")" && pwd)/librtvm.so.0" \
	PYTHONPATH="$top_srcdir/bindings/python" PYTHONDONTWRITEBYTECODE=1 \
	python3 - "$name" "$pid" "$tid0" "$tid1" >"$tmp/py.out" 2>&1 <<'PYEOF' ||
import sys
import rtvm

name, pid, tid0, tid1 = sys.argv[1], *map(int, sys.argv[2:])


def policy(tid):
    f = open("/proc/%d/task/%d/stat" % (pid, tid)).read().rsplit(")", 1)[1].split()
    return int(f[38]), int(f[37])  # policy, RT priority


ctx = rtvm.Context()
vm = ctx.libvirt_vm(name, "qemu:///system")
assert (vm.name, vm.pid, vm.nr_vcpus) == (name, pid, 2), (vm.name, vm.pid, vm.nr_vcpus)
assert [vm.vcpu_tid(0), vm.vcpu_tid(1)] == [tid0, tid1]
assert str(vm.libvirt_pin(rtvm.Role.VCPU, 1)) == "0"
assert str(vm.libvirt_pin(rtvm.Role.EMULATOR)) == "0"
threads = list(vm)
assert sorted(t.index for t in threads if t.role == rtvm.Role.VCPU) == [0, 1], threads
assert [t.tid for t in threads if t.role == rtvm.Role.EMULATOR] == [pid], threads
# FIFO 2 on vCPU 0 (RT runtime for libvirt's cgroup provisioned and
# recorded), then everything put back from the records.
cs = rtvm.Changeset(ctx)
try:
    vm.set_sched(rtvm.Role.VCPU, rtvm.Policy.FIFO, 2, vcpus=[0], changes=cs,
                 provision_rt=True)
    assert policy(tid0) == (1, 2), policy(tid0)
    assert policy(tid1) == (0, 0), policy(tid1)
finally:
    cs.restore()
assert policy(tid0) == (0, 0), policy(tid0)
print("python: %s: pid %d, vCPUs %d %d, FIFO 2 set and restored (%d records)"
      % (name, pid, tid0, tid1, len(cs)))
PYEOF
		fail "the Python binding on domain $name: $(cat "$tmp/py.out")"
	cat "$tmp/py.out"
	rt_runtime_back "the Python binding's restore"
fi

# ---- the monitor, by domain name ------------------------------------------------
top=$(cd "$top_builddir/examples" && pwd)/rtvm-top
"$top" --vm "$name" --count 2 --interval 200 --json >"$tmp/top.json" 2>"$tmp/err" ||
	fail "rtvm-top --vm: $(cat "$tmp/err")"
python3 - "$tmp/top.json" "$pid" "$name" "$tid0" "$tid1" <<'EOF' || fail "rtvm-top --vm JSON: $(head -c 600 "$tmp/top.json")"
import json, sys
lines = [json.loads(l) for l in open(sys.argv[1])]
assert len(lines) == 2, len(lines)
for d in lines:
    vm, = d["vms"]
    assert vm["pid"] == int(sys.argv[2]) and vm["name"] == sys.argv[3], vm
    assert not vm["gone"], vm
    vcpus = {t["vcpu"]: t for t in vm["threads"] if t["role"] == "vcpu"}
    assert sorted(vcpus) == [0, 1], vcpus
    assert vcpus[0]["tid"] == int(sys.argv[4]) and vcpus[1]["tid"] == int(sys.argv[5]), vcpus
    for t in vm["threads"]:
        assert t["cpu_ns"] is not None and t["involuntary"] is not None, t
    assert d["interval_ns"] > 100000000, d["interval_ns"]
EOF

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
echo "ok: libvirt domain $name: 2 TCG vCPUs found, FIFO 1 on CPU 1, restored, monitored by name"
