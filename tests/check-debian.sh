#!/bin/sh
# debian/ agrees with the tree: the symbols file lists exactly the symbols
# of librtvm.sym (scripts/gen-debian-symbols.sh writes it), and the package
# version is the one configure.ac declares.
set -eu
top_srcdir=${top_srcdir:-.}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail=0
mkdir -p "$tmp/librtvm" "$tmp/debian"
cp "$top_srcdir/librtvm/librtvm.sym" "$tmp/librtvm/"
sh "$top_srcdir/scripts/gen-debian-symbols.sh" "$tmp"
if ! diff -u "$top_srcdir/debian/librtvm0.symbols" "$tmp/debian/librtvm0.symbols"; then
	echo "FAIL: debian/librtvm0.symbols differs from librtvm/librtvm.sym (run scripts/gen-debian-symbols.sh)"
	fail=1
fi
ac=$(sed -n 's/^AC_INIT(\[librtvm\], \[\([^]]*\)\].*/\1/p' "$top_srcdir/configure.ac")
deb=$(sed -n '1s/^librtvm (\([^)]*\)).*/\1/p' "$top_srcdir/debian/changelog")
if [ "$ac" != "${deb%%-*}" ]; then
	echo "FAIL: debian/changelog has version $deb, configure.ac $ac"; fail=1
fi
[ "$fail" = 0 ] && echo "ok: debian/ symbols and version agree with the tree ($deb)"
exit "$fail"
