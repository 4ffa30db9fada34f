#!/bin/sh
# e2e: a Debian kernel with a busybox initramfs booted by the private
# libvirtd under QEMU TCG (tests/e2e-guest-lib.sh).  A static program in
# the guest (tests/guest/guest-echo) exchanges numbered requests and
# replies over the virtio-serial channel org.librtvm.boost.0 with its
# other half on the host, at the channel's unix socket.  Both ends must
# see the whole exchange in order, and the guest must print the token that
# only the host end knows.  The vCPU thread "CPU 0/TCG" is found and must
# be the thread that ran the guest.
top_srcdir=${top_srcdir:-.}
. "$top_srcdir/tests/e2e-libvirt-lib.sh"
. "$top_srcdir/tests/e2e-guest-lib.sh"
e2e_enter

# ---- inside the namespaces ------------------------------------------------
echo_bin=$(cd "$top_builddir/tests/guest" && pwd)/guest-echo
[ -x "$echo_bin" ] || { echo "FAIL: $echo_bin not built (make check builds it)"; exit 1; }
count=200
e2e_init rtvm-guest
cat >"$tmp/guest.sh" <<EOF
guest-echo guest /dev/virtio-ports/$GUEST_CHANNEL_NAME $count
echo "guest-echo: exit \$?"
EOF
guest_build -s "$tmp/guest.sh" "$echo_bin"
e2e_setup_dirs
e2e_start_daemons

token=rtvm-$$-$(od -A n -N 6 -t x1 /dev/urandom | tr -d ' \n')
guest_start
# The host end connects as soon as QEMU has bound the socket; the guest
# waits for it before its first request.
"$echo_bin" host "$guest_channel" "$token" 60 >"$tmp/host.out" 2>&1 &
host_pid=$!

up=$(guest_wait_line '^rtvm-guest: up' 60)
echo "$up (console after $(guest_elapsed_ms) ms)"
case "$up" in
*"ports: $GUEST_CHANNEL_NAME"*) ;;
*) guest_fail "the guest has no /dev/virtio-ports/$GUEST_CHANNEL_NAME" ;;
esac

# the vCPU thread, while the guest runs
tid=$(guest_vcpu_tid 0)
pol=$(sed 's/^.*) //' "/proc/$guest_pid/task/$tid/stat" | awk '{ print $39 "/" $38 }')
[ "$pol" = 0/0 ] || fail "CPU 0/TCG ($tid) is not SCHED_OTHER: $pol"
echo "vCPU 0: thread $tid of QEMU $guest_pid, policy/prio $pol"

line=$(guest_wait_line '^guest-echo: (ok|exit)' 40)
echo "guest: $line"

# (the guest sleeps a second after its summary: QEMU still runs)
# The vCPU thread ran the guest: it used the most CPU time of QEMU's
# threads (utime + stime, fields 14 and 15), read before QEMU exits.
busiest=$(for t in /proc/"$guest_pid"/task/*; do
	sed 's/^.*) //' "$t/stat" 2>/dev/null | awk -v t="${t##*/}" '{ print $12 + $13, t }'
done | sort -n | tail -1)
[ "${busiest#* }" = "$tid" ] || fail "the busiest QEMU thread is $busiest, not CPU 0/TCG $tid"

guest_wait_line '^guest-echo: exit 0' 5 >/dev/null
guest_wait_line '^rtvm-guest: guest.sh exit' 5 >/dev/null
case "$line" in
"guest-echo: ok $count round trips, token $token,"*) ;;
*) guest_fail "guest: expected $count round trips with the host's token $token: $line" ;;
esac

set +e
wait "$host_pid"; hrc=$?
set -e
host=$(cat "$tmp/host.out")
[ "$hrc" = 0 ] || fail "host end exit $hrc: $host"
echo "$host" | grep -qx "guest-echo: host saw $count requests in order, BYE $count" ||
	fail "host end: $host"
echo "host: $(echo "$host" | tail -1)"

guest_wait_off 30
echo "ok: guest booted, $count requests over $GUEST_CHANNEL_NAME, powered off after $(guest_elapsed_ms) ms"
