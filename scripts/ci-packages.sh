#!/bin/sh
# Build the Debian packages from a clean export of HEAD, check them with
# lintian, install them with apt, smoke-test what they installed, purge
# them and check that nothing they installed is left.  Run by .ci/run as
# root after the test suite (which has run the package's unit tier already).
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
ver=$(sed -n '1s/^librtvm (\([^)]*\)).*/\1/p' "$top/debian/changelog")
tmp=$(mktemp -d /tmp/rtvm-deb.XXXXXX)
pkgs="librtvm0 librtvm-dev rtvm-tools python3-rtvm"
cleanup() {
	# shellcheck disable=SC2086
	dpkg -s $pkgs >/dev/null 2>&1 && apt-get purge -y -qq $pkgs >/dev/null 2>&1
	rm -rf "$tmp"
}
trap cleanup EXIT
say() { printf 'ci-packages: %s\n' "$*"; }

for p in $pkgs; do
	if dpkg -s "$p" >/dev/null 2>&1; then
		say "$p is installed already: remove it first"; exit 1
	fi
done
(cd "$top" && git archive --prefix="librtvm-$ver/" HEAD) | tar -x -C "$tmp"
say "dpkg-buildpackage -us -uc -b"
(cd "$tmp/librtvm-$ver" && DEB_BUILD_OPTIONS="nocheck parallel=$(nproc)" \
	dpkg-buildpackage -us -uc -b >"$tmp/build.log" 2>&1) ||
	{ tail -50 "$tmp/build.log"; say "package build failed"; exit 1; }

# lintian warns when run as root; it reads the packages as nobody.
chmod -R a+rX "$tmp"
say "lintian --fail-on error"
su nobody -s /bin/sh -c "HOME=$tmp lintian --fail-on error --display-level '>=warning' $tmp/librtvm_${ver}_*.changes"

debs=""
for p in $pkgs; do
	debs="$debs $(ls "$tmp/${p}_${ver}"_*.deb)"
done
say "apt-get install$debs"
# shellcheck disable=SC2086
apt-get install -y -qq --no-install-recommends $debs >"$tmp/install.log" 2>&1 ||
	{ cat "$tmp/install.log"; exit 1; }
for p in $pkgs; do dpkg -L "$p"; done | sort -u >"$tmp/files"

say "smoke tests of the installed files"
out=$(/usr/bin/rtvm-check --json || true)
printf '%s' "$out" | python3 -c 'import json, sys; d = json.load(sys.stdin); assert d["verdict"] in ("pass", "warn", "fail"), d["verdict"]; print("rtvm-check --json: verdict", d["verdict"], "with", len(d["checks"]), "checks")'
mkdir "$tmp/consumer"
cc -o "$tmp/consumer/consumer" "$top/tests/consumer.c" $(pkg-config --cflags --libs librtvm)
sh "$top/tests/fixtures/gen-host64.sh" "$tmp/consumer/host64"
"$tmp/consumer/consumer" "$tmp/consumer/host64"
(cd / && /usr/bin/python3 -c 'import rtvm; print("python3: rtvm", rtvm.version(), "from", rtvm.__file__)')

say "apt-get purge"
# shellcheck disable=SC2086
apt-get purge -y -qq $pkgs >/dev/null
left=0
while read -r f; do
	# Shared directories stay; those that are librtvm's own must go.
	case "$f" in
	*rtvm*) ;;
	*) [ -d "$f" ] && continue ;;
	esac
	if [ -e "$f" ] || [ -L "$f" ]; then echo "left behind: $f"; left=1; fi
done <"$tmp/files"
[ "$left" = 0 ] || { say "files left after purge"; exit 1; }
say "ok: $(wc -l <"$tmp/files") paths installed, smoke-tested and removed"
