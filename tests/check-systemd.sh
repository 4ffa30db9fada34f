#!/bin/sh
# The systemd units pass "systemd-analyze verify" with their commands
# pointing at this build's tools, and keep the hardening they promise.
set -eu
top_srcdir=${top_srcdir:-.}
top_builddir=${top_builddir:-.}
command -v systemd-analyze >/dev/null 2>&1 || {
	echo "SKIP: no systemd-analyze (Debian package systemd) to verify the units with"; exit 77; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
bindir=$(cd "$top_builddir/examples" && pwd)
fail=0
n=0
for in in "$top_srcdir"/systemd/*.service.in; do
	unit=$(basename "$in" .in)
	sed "s|@bindir@|$bindir|g" "$in" >"$tmp/$unit"
	if ! (cd "$tmp" && systemd-analyze verify --man=no "$tmp/$unit") >"$tmp/out" 2>&1; then
		echo "FAIL: $unit:"; cat "$tmp/out"; fail=1
	fi
	for key in NoNewPrivileges=yes ProtectHome=yes PrivateTmp=yes CapabilityBoundingSet= \
		RuntimeDirectory=rtvm RuntimeDirectoryPreserve=yes; do
		grep -q "^$key" "$tmp/$unit" || { echo "FAIL: $unit lacks $key"; fail=1; }
	done
	n=$((n + 1))
done
# Timers, beside the services they start (generated above).
for t in "$top_srcdir"/systemd/*.timer; do
	unit=$(basename "$t")
	cp "$t" "$tmp/$unit"
	[ -e "$tmp/${unit%.timer}.service" ] || { echo "FAIL: $unit has no service"; fail=1; }
	if ! (cd "$tmp" && systemd-analyze verify --man=no "$tmp/$unit") >"$tmp/out" 2>&1; then
		echo "FAIL: $unit:"; cat "$tmp/out"; fail=1
	fi
	n=$((n + 1))
done
[ "$n" -gt 0 ] || { echo "FAIL: no units"; fail=1; }
[ "$fail" = 0 ] && echo "ok: $n units verified"
exit "$fail"
