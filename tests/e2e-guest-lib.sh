# SPDX-License-Identifier: LGPL-2.1-or-later
# The e2e guest harness (sourced, after tests/e2e-libvirt-lib.sh's
# e2e_init): a Debian kernel and a busybox initramfs (tests/guest/
# build-guest.sh) booted as a libvirt domain under the private libvirtd,
# QEMU TCG, no disk, no NIC; its serial console logged to a file; a
# virtio-serial channel whose host end is a unix socket; optionally an
# ivshmem-doorbell device.  See tests/guest/README.md.
#
#   guest_build [-s SCRIPT] [-m MODULE]... [PROG]...  the kernel and initramfs
#   guest_start                  define and boot the domain $name
#   guest_wait_line REGEX [SEC]  wait for a console line (fail on timeout
#                                or when the guest is gone without it)
#   guest_wait_off [SEC]         wait for the guest to power itself off
#   guest_vcpu_tid N             the host thread "CPU N/TCG"
# Settings (before guest_start): GUEST_VCPUS (1), GUEST_MEM_MIB (192),
# GUEST_CMDLINE_EXTRA, GUEST_SHMEM_SERVER (an ivshmem server socket: adds
# the doorbell device; the size is the server's memory fd's: libvirt 9.0
# refuses <size> for ivshmem-doorbell).  After guest_start: $guest_pid,
# $guest_console (the log), $guest_channel (the channel's unix socket),
# $guest_dir.
# Teardown is e2e_cleanup's (the domain is $name; the daemons and QEMU die
# with the namespaces).
GUEST_CHANNEL_NAME=org.librtvm.boost.0

guest_build() {
	guest_dir=$tmp/guest
	mkdir -p "$guest_dir"
	# one cache for every test and build tree that sets it; else the
	# build tree's, which repeated runs share
	cache=${RTVM_GUEST_CACHE:-$top_builddir/tests/guest/cache}
	set +e
	sh "$top_srcdir/tests/guest/build-guest.sh" -o "$guest_dir" -c "$cache" "$@" \
		>"$tmp/build-guest.out" 2>&1
	rc=$?
	set -e
	case $rc in
	0) tail -1 "$tmp/build-guest.out" ;;
	77) skip "$(sed -n 's/^SKIP: //p' "$tmp/build-guest.out" | tail -1)" ;;
	*) fail "build-guest.sh: $(cat "$tmp/build-guest.out")" ;;
	esac
}

guest_start() {
	guest_console=$tmp/console.log
	guest_channel=$tmp/boost.0.sock
	vcpus=${GUEST_VCPUS:-1}
	: >"$guest_console"
	# TCG boot time: quiet (a serial line costs), no PS/2, no speculation
	# mitigations, no timer checks; panic powers off (on_reboot destroy).
	cmdline="console=ttyS0 quiet loglevel=1 panic=-1 mitigations=off i8042.noaux i8042.nokbd i8042.nopnp no_timer_check tsc=reliable ${GUEST_CMDLINE_EXTRA:-}"
	shmem=""
	if [ -n "${GUEST_SHMEM_SERVER:-}" ]; then
		shmem="<shmem name='rtvm-doorbell'>
      <model type='ivshmem-doorbell'/>
      <server path='$GUEST_SHMEM_SERVER'/>
      <msi vectors='$vcpus' ioeventfd='on'/>
    </shmem>"
	fi
	cat >"$tmp/guest.xml" <<-EOF
	<domain type='qemu'>
	  <name>$name</name>
	  <memory unit='MiB'>${GUEST_MEM_MIB:-192}</memory>
	  <vcpu placement='static'>$vcpus</vcpu>
	  <os>
	    <type arch='x86_64' machine='pc'>hvm</type>
	    <kernel>$guest_dir/vmlinuz</kernel>
	    <initrd>$guest_dir/initrd.img</initrd>
	    <cmdline>$cmdline</cmdline>
	  </os>
	  <features><acpi/></features>
	  <on_poweroff>destroy</on_poweroff>
	  <on_reboot>destroy</on_reboot>
	  <on_crash>destroy</on_crash>
	  <devices>
	    <emulator>$(command -v qemu-system-x86_64)</emulator>
	    <controller type='usb' model='none'/>
	    <controller type='virtio-serial' index='0'/>
	    <serial type='file'>
	      <source path='$guest_console'/>
	      <target port='0'/>
	    </serial>
	    <channel type='unix'>
	      <source mode='bind' path='$guest_channel'/>
	      <target type='virtio' name='$GUEST_CHANNEL_NAME'/>
	    </channel>
	    $shmem
	    <memballoon model='none'/>
	  </devices>
	</domain>
	EOF
	guest_t0=$(date +%s%N)
	virsh -q -c qemu:///system create "$tmp/guest.xml" >"$tmp/create.out" 2>&1 ||
		fail "the guest does not start: $(cat "$tmp/create.out")"
	guest_pid=$(cat "/run/libvirt/qemu/$name.pid")
	[ -d "/proc/$guest_pid" ] || fail "no QEMU process $guest_pid"
}

# milliseconds since guest_start
guest_elapsed_ms() {
	echo $((($(date +%s%N) - guest_t0) / 1000000))
}

guest_fail() {
	echo "--- guest console ($guest_console)"
	tail -30 "$guest_console" 2>/dev/null
	fail "$*"
}

guest_wait_line() {
	limit=$((${2:-30} * 10))
	i=0
	until grep -Eq -- "$1" "$guest_console"; do
		i=$((i + 1))
		[ $i -le $limit ] || guest_fail "no console line /$1/ within ${2:-30} s"
		if ! kill -0 "$guest_pid" 2>/dev/null; then
			grep -Eq -- "$1" "$guest_console" && break
			guest_fail "the guest is gone without console line /$1/"
		fi
		sleep 0.1
	done
	grep -E -- "$1" "$guest_console" | head -1
}

guest_wait_off() {
	limit=$((${1:-30} * 10))
	i=0
	while kill -0 "$guest_pid" 2>/dev/null; do
		i=$((i + 1))
		[ $i -le $limit ] || guest_fail "the guest does not power off within ${1:-30} s"
		sleep 0.1
	done
}

guest_vcpu_tid() {
	for t in /proc/"$guest_pid"/task/*; do
		[ "$(cat "$t/comm" 2>/dev/null)" = "CPU $1/TCG" ] && { echo "${t##*/}"; return 0; }
	done
	fail "QEMU $guest_pid has no thread \"CPU $1/TCG\""
}
