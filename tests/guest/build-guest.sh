#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# Build a bootable test guest from Debian packages only: Debian's kernel
# (vmlinuz and a few modules, taken from the package with dpkg-deb, never
# installed on the host) and an initramfs of busybox-static, the modules,
# the static programs given and a guest script that /init runs before it
# powers the guest off.  See tests/guest/README.md.
#
#   build-guest.sh -o OUTDIR [-c CACHE] [-s SCRIPT] [-m MODULE]... [PROG]...
#
# OUTDIR gets vmlinuz, initrd.img (uncompressed newc cpio) and
# kernel-version.
# PROGs are copied to /bin of the guest under their own names.  Modules are
# loaded in dependency order; virtio_pci and virtio_console always are.
# Exit 77 (with the reason) when the packages cannot be had: no cache and
# no way to download them.
#
# The downloaded packages are cached in CACHE (default $RTVM_GUEST_CACHE,
# else ./guest-cache), keyed by package version: once cached, nothing is
# downloaded and a build takes about a second.  The initramfs is
# reproducible: the same inputs give the same bytes.
set -eu
PATH=$PATH:/usr/sbin:/sbin
export LC_ALL=C

usage() {
	echo "usage: $0 -o OUTDIR [-c CACHE] [-s SCRIPT] [-m MODULE]... [PROG]..." >&2
	exit 64
}
skip() { echo "SKIP: $*" >&2; exit 77; }
die() { echo "build-guest: $*" >&2; exit 1; }

out="" cache=${RTVM_GUEST_CACHE:-} script="" mods="virtio_pci virtio_console"
while getopts o:c:s:m:h opt; do
	case $opt in
	o) out=$OPTARG ;;
	c) cache=$OPTARG ;;
	s) script=$OPTARG ;;
	m) mods="$mods $OPTARG" ;;
	*) usage ;;
	esac
done
shift $((OPTIND - 1))
[ -n "$out" ] || usage
[ -n "$cache" ] || cache=$PWD/guest-cache
[ -z "$script" ] || [ -f "$script" ] || die "guest script $script: no such file"
for p in "$@"; do
	[ -f "$p" ] && [ -x "$p" ] || die "program $p: not an executable file"
	# a dynamic program would find no libc in the guest
	if od -A n -t x1 -N 4 "$p" | grep -q '7f 45 4c 46' &&
		LC_ALL=C readelf -l "$p" 2>/dev/null | grep -q 'INTERP'; then
		die "program $p is dynamically linked: the guest has no libc (link it -static)"
	fi
done
for b in dpkg-deb apt-get apt-cache; do
	command -v $b >/dev/null 2>&1 || skip "$b missing (not a Debian host)"
done
mkdir -p "$cache" "$out"
cache=$(cd "$cache" && pwd)
out=$(cd "$out" && pwd)

# ---- packages ----------------------------------------------------------
# What is cached is used as it is, without asking apt (quick, offline, and
# the same kernel from run to run); RTVM_GUEST_REFRESH=1 asks apt again.
# The kernel: RTVM_GUEST_KERNEL (a linux-image-VERSION-amd64 package), else
# the newest one cached, else what Debian's linux-image-amd64 points at.
cached() {
	ls "$cache" 2>/dev/null | grep -E "^$1_[^_]*_amd64\.deb\$" | sort -V | tail -1
}
kpkg=${RTVM_GUEST_KERNEL:-}
if [ -z "$kpkg" ] && [ -z "${RTVM_GUEST_REFRESH:-}" ]; then
	kpkg=$(cached 'linux-image-[0-9][^_]*-amd64' | sed 's/_.*//')
fi
if [ -z "$kpkg" ]; then
	kpkg=$(apt-cache depends linux-image-amd64 2>/dev/null |
		awk '$1 == "Depends:" && $2 ~ /^linux-image-[0-9]/ { print $2; exit }')
fi
[ -n "$kpkg" ] || skip "no linux-image-amd64 in apt's lists and none cached in $cache (apt-get update, or a network)"

# fetch PKG: the .deb of PKG in the cache, downloaded (apt's candidate) if
# none is there; its path on stdout
fetch() {
	deb=$(cached "$1")
	if [ -n "$deb" ] && [ -z "${RTVM_GUEST_REFRESH:-}" ]; then
		echo "$cache/$deb"
		return 0
	fi
	ver=$(apt-cache policy "$1" 2>/dev/null | awk '$1 == "Candidate:" { print $2 }')
	[ -n "$ver" ] && [ "$ver" != "(none)" ] ||
		skip "package $1 neither in apt's lists nor cached in $cache (apt-get update?)"
	# dpkg's file names write an epoch "1:" as "1%3a"
	deb="$cache/${1}_$(echo "$ver" | sed 's/:/%3a/')_amd64.deb"
	if [ ! -s "$deb" ]; then
		# as root apt warns that _apt cannot write the cache: harmless
		# stale lists name a version the mirror dropped: update once
		(cd "$cache" && apt-get download -q "$1=$ver" >"$cache/apt.log" 2>&1) ||
			{ apt-get update -qq >>"$cache/apt.log" 2>&1 &&
			ver=$(apt-cache policy "$1" | awk '$1 == "Candidate:" { print $2 }') &&
			deb="$cache/${1}_$(echo "$ver" | sed 's/:/%3a/')_amd64.deb" &&
			(cd "$cache" && apt-get download -q "$1=$ver" >>"$cache/apt.log" 2>&1); } ||
			skip "cannot download $1 $ver: $(tail -1 "$cache/apt.log")"
	fi
	echo "$deb"
}
kdeb=$(fetch "$kpkg")
bdeb=$(fetch busybox-static)

# Only what a guest may load is unpacked from the kernel package: the
# kernel itself and the virtio, vsock and UIO modules (~10 MB of ~400).
kdir=$cache/$(basename "$kdeb" .deb)
if [ ! -f "$kdir/.done" ]; then
	rm -rf "$kdir"
	mkdir -p "$kdir"
	dpkg-deb --fsys-tarfile "$kdeb" | tar -x -C "$kdir" --wildcards \
		'./boot/vmlinuz-*' './boot/config-*' './lib/modules/*/modules.order' \
		'./lib/modules/*/kernel/drivers/virtio/*' \
		'./lib/modules/*/kernel/drivers/char/*' \
		'./lib/modules/*/kernel/drivers/uio/*' \
		'./lib/modules/*/kernel/net/vmw_vsock/*' ||
		die "cannot unpack $kdeb"
	touch "$kdir/.done"
fi
bdir=$cache/$(basename "$bdeb" .deb)
if [ ! -f "$bdir/.done" ]; then
	rm -rf "$bdir"
	mkdir -p "$bdir"
	dpkg-deb -x "$bdeb" "$bdir" || die "cannot unpack $bdeb"
	touch "$bdir/.done"
fi
kver=$(ls "$kdir/lib/modules")
mdir=$kdir/lib/modules/$kver/kernel

# ---- modules in dependency order ------------------------------------------
# A module's dependencies are in its .modinfo ("depends=a,b"), which is
# what depmod reads too; this needs no kmod on the host.
modpath() {
	f=$(find "$mdir" -name "$1.ko" -o -name "$1.ko.xz" | head -1)
	[ -n "$f" ] || die "module $1 is not in $kver's virtio, char, uio or vsock directories"
	echo "$f"
}
moddeps() {
	f=$(modpath "$1")
	case $f in *.xz) xz -dc "$f" ;; *) cat "$f" ;; esac |
		tr '\0' '\n' | sed -n 's/^depends=//p' | tr ',' ' '
}
order=""
visit() {
	case " $order " in *" $1 "*) return 0 ;; esac
	modpath "$1" >/dev/null
	for d in $(moddeps "$1"); do visit "$d"; done
	order="$order $1"
}
for m in $mods; do visit "$(echo "$m" | tr - _)"; done

# ---- the initramfs tree --------------------------------------------------
root=$out/root
rm -rf "$root"
mkdir -p "$root/bin" "$root/dev" "$root/proc" "$root/sys" "$root/tmp" \
	"$root/run" "$root/etc" "$root/lib/modules"
cp "$bdir/bin/busybox" "$root/bin/busybox"
for m in $order; do
	f=$(modpath "$m")
	# busybox's insmod reads plain ELF only
	case $f in
	*.xz) xz -dc "$f" >"$root/lib/modules/$m.ko" ;;
	*) cp "$f" "$root/lib/modules/$m.ko" ;;
	esac
	echo "$m" >>"$root/etc/modules"
done
for p in "$@"; do cp "$p" "$root/bin/$(basename "$p")"; done
if [ -n "$script" ]; then
	cp "$script" "$root/guest.sh"
else
	echo 'echo "rtvm-guest: no guest script"' >"$root/guest.sh"
fi
cat >"$root/init" <<'EOF'
#!/bin/busybox sh
# The guest's PID 1: mount, load modules, name the virtio ports as udev
# would, run /guest.sh, power off.  The host reads these lines on ttyS0.
/bin/busybox --install -s /bin
export PATH=/bin
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
mount -t tmpfs tmpfs /tmp
mount -t tmpfs tmpfs /run
for m in $(cat /etc/modules); do
	insmod /lib/modules/$m.ko || echo "rtvm-guest: insmod $m failed"
done
# /dev/virtio-ports/NAME, as udev's rule makes it.  The ports and their
# names come after the module loads (the device's control queue names
# them): wait for them, up to 10 s, on a loaded host too.
i=0
while [ $i -lt 50 ]; do
	named=0
	for p in /sys/class/virtio-ports/*; do
		[ -s "$p/name" ] && named=1
	done
	[ $named = 1 ] && break
	sleep 0.2 2>/dev/null || sleep 1
	i=$((i + 1))
done
mkdir -p /dev/virtio-ports
for p in /sys/class/virtio-ports/*; do
	[ -f "$p/name" ] || continue
	ln -sf "../${p##*/}" "/dev/virtio-ports/$(cat "$p/name")"
done
echo "rtvm-guest: up $(cut -d' ' -f1 /proc/uptime) s, kernel $(uname -r), $(grep -c ^processor /proc/cpuinfo) CPUs, ports: $(ls /dev/virtio-ports | tr '\n' ' ')"
sh /guest.sh
echo "rtvm-guest: guest.sh exit $?"
sync
poweroff -f
EOF
chmod 0755 "$root/init" "$root/guest.sh" "$root/bin/"*

# Reproducible: sorted names, one timestamp, root-owned, no compression
# (the kernel reads it as is; gzip costs TCG boot time for ~2 MB).
find "$root" -exec touch -h -d @0 {} +
if command -v cpio >/dev/null 2>&1; then
	(cd "$root" && find . -mindepth 1 | sort |
		cpio -o -H newc -R 0:0 --reproducible --quiet) >"$out/initrd.img.tmp"
else
	# busybox's cpio writes newc too; it keeps the tree's owner (root here)
	(cd "$root" && find . -mindepth 1 | sort |
		"$root/bin/busybox" cpio -o -H newc) >"$out/initrd.img.tmp" 2>/dev/null
fi
mv "$out/initrd.img.tmp" "$out/initrd.img"
cp "$kdir/boot/vmlinuz-$kver" "$out/vmlinuz"
rm -rf "$root"
echo "$kver" >"$out/kernel-version"
echo "build-guest: $out: kernel $kver, modules:$order, programs: $* ($(wc -c <"$out/initrd.img") bytes of initramfs)"
