#!/bin/sh
# Install what librtvm needs to build, test and benchmark, from Debian's
# packages.  Idempotent: packages already present are left alone.  The
# libvirt daemon and QEMU are for the e2e test, which runs them itself
# (no default network, no service started here).  The e2e guest
# (tests/guest/build-guest.sh) downloads its kernel and busybox-static
# packages itself, without installing them; cpio packs its initramfs.
# debhelper, dh-python and lintian build and check the Debian packages
# (scripts/ci-packages.sh).  clang and its runtimes build the libFuzzer
# targets (fuzz/).  curl scrapes rtvm-top's Prometheus endpoint.  sysstat's
# pidstat is bench-monitor's peer.
set -eu
PKGS="autoconf automake libtool pkg-config make gcc g++ check \
libcgroup-dev libnl-3-dev libnl-genl-3-dev libnl-route-3-dev libcjson-dev \
libvirt-dev libxml2-dev zlib1g-dev procps util-linux valgrind xz-utils python3 tuna rt-tests \
gnuplot-nox sysstat \
debhelper dh-python python3-all lintian fakeroot dpkg-dev \
libvirt-daemon libvirt-daemon-driver-qemu libvirt-clients qemu-system-x86 \
cpio binutils libc6-dev \
clang libclang-rt-14-dev curl"
# promtool (Prometheus's checker of the exposition format, for rtvm-top's
# test) is taken out of Debian's prometheus package without installing
# it: the package would also install and start a Prometheus server.
install_promtool() {
	command -v promtool >/dev/null 2>&1 && return 0
	[ "$(id -u)" = 0 ] || return 0
	d=$(mktemp -d)
	if (cd "$d" && apt-get download -qq prometheus >/dev/null 2>&1 &&
	    dpkg-deb -x prometheus_*.deb x &&
	    install -m 0755 x/usr/bin/promtool /usr/local/bin/promtool); then
		echo "install-deps: promtool from Debian's prometheus package"
	else
		echo "install-deps: promtool not available (its check is left out)"
	fi
	rm -rf "$d"
}
missing=""
for p in $PKGS; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' ||
		missing="$missing $p"
done
if [ -z "$missing" ]; then
	echo "install-deps: all packages present"
	install_promtool
	exit 0
fi
if [ "$(id -u)" != 0 ]; then
	echo "install-deps: missing:$missing; run as root (or: sudo $0)" >&2
	exit 1
fi
echo "install-deps: installing$missing"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
# shellcheck disable=SC2086
apt-get install -y -qq --no-install-recommends $missing
install_promtool
