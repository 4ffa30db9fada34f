#!/bin/sh
# e2e: guest-driven boost through a real VMM.  The private libvirtd boots
# the Debian kernel and busybox initramfs of tests/e2e-guest-lib.sh under
# QEMU TCG; the static rtvm-guest inside asks, over the virtio-serial
# channel org.librtvm.boost.0, for vCPU 0 to be boosted while a command
# runs.  rtvm-boostd on the host (connected to the channel's unix socket,
# the VM named by QEMU's pid) applies it: the thread "CPU 0/TCG" must be
# SCHED_FIFO 5 while the guest's command runs and SCHED_OTHER again after;
# a request above the VM's ceiling is refused and counted (the guest
# pauses after each step, so that the host looks while QEMU runs).  Only the QEMU
# that this test started is changed.
top_srcdir=${top_srcdir:-.}
. "$top_srcdir/tests/e2e-libvirt-lib.sh"
. "$top_srcdir/tests/e2e-guest-lib.sh"
e2e_enter

# ---- inside the namespaces ------------------------------------------------
guest_bin=$(cd "$top_builddir/tests/guest" && pwd)/rtvm-guest
boostd=$(cd "$top_builddir/examples" && pwd)/rtvm-boostd
sched=$(cd "$top_builddir/examples" && pwd)/rtvm-sched
[ -x "$guest_bin" ] || { echo "FAIL: $guest_bin not built (make check builds it)"; exit 1; }
e2e_init rtvm-boost
cat >"$tmp/guest.sh" <<EOF
rtvm-guest --timeout 60000 hello
echo "boost-test: hello exit \$?"
rtvm-guest --timeout 10000 boost --fifo 5 --vcpu 0 -- sh -c 'echo boost-test: inside; sleep 4; echo boost-test: leaving'
echo "boost-test: boost exit \$?"
sleep 6
rtvm-guest --timeout 10000 boost --fifo 50 --vcpu 0 -- echo boost-test: ran-unboosted
echo "boost-test: ceiling exit \$?"
sleep 4
EOF
guest_build -s "$tmp/guest.sh" "$guest_bin"
e2e_setup_dirs
e2e_start_daemons
guest_start

# vCPU 0 as /proc shows it: "policy/rt_priority" (stat fields 41 and 40)
vcpu_sched() {
	sed 's/^.*) //' "/proc/$guest_pid/task/$tid/stat" | awk '{ print $39 "/" $38 }'
}
tid=$(guest_vcpu_tid 0)
# With CONFIG_RT_GROUP_SCHED the vCPU's cpu cgroup needs RT runtime: give
# it as an operator would (rtvm-sched, recorded), then put the thread back
# to SCHED_OTHER for the guest to boost; the records are restored below.
if [ -e /sys/fs/cgroup/cpu/cpu.rt_runtime_us ]; then
	"$sched" set --pid "$guest_pid" --vcpus 0 --fifo 1 --provision-rt \
		--save "$tmp/sched.json" >/dev/null 2>"$tmp/err" ||
		fail "rtvm-sched --provision-rt: $(cat "$tmp/err")"
	chrt -o -p 0 "$tid"
fi
cat >"$tmp/boostd.json" <<EOF
{ "control": "$tmp/boostd.sock",
  "vms": [ { "name": "guest", "pid": $guest_pid, "connect": "$guest_channel",
             "policy": { "policies": ["fifo"], "max_priority": 10,
                         "max_boost_us": 10000000, "budget_us": 1000000,
                         "budget_period_us": 1000000 } } ] }
EOF
"$boostd" -c "$tmp/boostd.json" --state "$tmp/boostd-state.json" >"$tmp/boostd.log" 2>&1 &
boostd_pid=$!

up=$(guest_wait_line '^rtvm-guest: up' 60)
echo "$up (console after $(guest_elapsed_ms) ms)"
line=$(guest_wait_line '^boost-test: hello exit' 60)
case "$line" in "boost-test: hello exit 0"*) ;; *) guest_fail "rtvm-guest hello: $line" ;; esac
grep -E '^protocol version 2, 1 vCPUs; policies fifo, priority ceiling 10' "$guest_console" >/dev/null ||
	guest_fail "rtvm-guest hello printed no limits"

guest_wait_line '^boost-test: inside' 30 >/dev/null
during=$(vcpu_sched)
[ "$during" = 1/5 ] || fail "CPU 0/TCG ($tid) is $during while boosted, not SCHED_FIFO 5 (1/5); boostd: $(cat "$tmp/boostd.log")"
echo "vCPU 0: thread $tid of QEMU $guest_pid at policy/prio $during while the guest's command runs"
line=$(guest_wait_line '^boost-test: boost exit' 30)
case "$line" in "boost-test: boost exit 0"*) ;; *) guest_fail "rtvm-guest boost: $line" ;; esac
after=$(vcpu_sched)
[ "$after" = 0/0 ] || fail "CPU 0/TCG is $after after the deboost, not SCHED_OTHER (0/0)"
echo "vCPU 0: back to policy/prio $after"

line=$(guest_wait_line '^boost-test: ceiling exit' 30)
case "$line" in "boost-test: ceiling exit 1"*) ;; *) guest_fail "a boost above the ceiling: $line" ;; esac
grep -q 'ran-unboosted' "$guest_console" && guest_fail "the command ran although its boost was refused"
grep -q 'boost refused: ceiling' "$guest_console" || guest_fail "the refusal does not name the ceiling"
status=$("$boostd" status --json --control "$tmp/boostd.sock") || fail "rtvm-boostd status failed"
if [ -e "$tmp/sched.json" ]; then
	# cgroups that left with QEMU are no longer there to restore
	"$sched" restore "$tmp/sched.json" >/dev/null 2>"$tmp/err" ||
		grep -q 'No such file' "$tmp/err" || fail "rtvm-sched restore: $(cat "$tmp/err")"
fi
echo "$status" | grep -q '"ceiling":1' || fail "status does not count the refusal: $status"
echo "$status" | grep -q '"boosts":1,' || fail "status does not count one boost: $status"

guest_wait_off 30
kill -TERM "$boostd_pid"
wait "$boostd_pid" || fail "rtvm-boostd exit $?: $(cat "$tmp/boostd.log")"
[ ! -e "$tmp/boostd-state.json" ] || fail "rtvm-boostd left its journal"
echo "ok: the guest boosted its vCPU over $GUEST_CHANNEL_NAME (FIFO 5 on the host, back after), a boost above the ceiling was refused; powered off after $(guest_elapsed_ms) ms"
