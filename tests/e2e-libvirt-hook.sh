#!/bin/sh
# e2e: the libvirt hook (examples/rtvm-libvirt-hook) with a real libvirtd and
# QEMU.  The harness of e2e-libvirt.sh starts its own virtlogd and libvirtd
# with the hook installed in its private /etc/libvirt/hooks, boots a 2-vCPU
# QEMU TCG domain whose <metadata> holds a profile, checks in /proc that the
# hook applied it when the domain started (pins, nice), destroys the domain
# and checks that the hook reverted the journal.  The profile touches only
# the domain's own threads: no sysctl, IRQ or kernel thread (those are
# global, not the test's to change).
#
# The daemons run in private namespaces: see tests/e2e-libvirt-lib.sh.
top_srcdir=${top_srcdir:-.}
. "$top_srcdir/tests/e2e-libvirt-lib.sh"
e2e_enter

# ---- inside the namespaces ------------------------------------------------
tune=$(cd "$top_builddir/examples" && pwd)/rtvm-tune
hook=$(cd "$top_builddir/examples" && pwd)/rtvm-libvirt-hook
e2e_test_cleanup() {
	if [ -f "$tmp/state/libvirt-$name.pid" ]; then
		RTVM_STATE_DIR="$tmp/state" "$tune" revert \
			--pid "$(cat "$tmp/state/libvirt-$name.pid")" >/dev/null
	fi
}
e2e_init rtvm-hook
e2e_setup_dirs
mkdir -p /etc/libvirt/hooks "$tmp/state"
# libvirt runs hooks with a clean environment: the paths go into a wrapper.
cat >/etc/libvirt/hooks/qemu <<HOOK
#!/bin/sh
RTVM_TUNE='$tune' RTVM_STATE_DIR='$tmp/state'
export RTVM_TUNE RTVM_STATE_DIR
exec '$hook' "\$@" 2>>'$tmp/hook.log'
HOOK
chmod 0755 /etc/libvirt/hooks/qemu
e2e_start_daemons

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
