#!/bin/sh
# The Python bindings (bindings/python) against the library just built, on
# fresh fixture sysroots.  Skips (77) without python3.
set -eu
top_srcdir=${top_srcdir:-.}
top_builddir=${top_builddir:-.}
if ! command -v python3 >/dev/null 2>&1; then
	echo "skip: python3 is not installed"
	exit 77
fi
lib="$top_builddir/librtvm/.libs/librtvm.so.0"
[ -e "$lib" ] || { echo "FAIL: $lib was not built"; exit 1; }
# An ASan build of the library cannot be loaded into an uninstrumented
# python3 (the ASan runtime must come first); the other builds test it.
if ldd "$lib" 2>/dev/null | grep -q 'libasan'; then
	echo "skip: $lib is built with ASan, which python3 cannot load"
	exit 77
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
sh "$top_srcdir/tests/fixtures/gen-irqhost.sh" "$tmp/irqhost"
sh "$top_srcdir/tests/fixtures/gen-host64.sh" "$tmp/host64"
RTVM_LIBRARY="$(cd "$(dirname "$lib")" && pwd)/librtvm.so.0" \
RTVM_IRQHOST="$(cd "$tmp/irqhost" && pwd)" \
RTVM_HOST64="$(cd "$tmp/host64" && pwd)" \
RTVM_FIXTURES="$(cd "$top_srcdir/tests/fixtures" && pwd)" \
PYTHONPATH="$top_srcdir/bindings/python" \
PYTHONDONTWRITEBYTECODE=1 \
	python3 "$top_srcdir/bindings/python/test_rtvm.py"

# pip install bindings/python (pyproject.toml, setuptools, no network) into
# a scratch directory, on a copy so that the build leaves nothing in the
# source tree; its version is the package's.
want=$(sed -n 's/^AC_INIT(\[librtvm\], \[\([^]]*\)\].*/\1/p' "$top_srcdir/configure.ac")
got=$(sed -n 's/^version = "\(.*\)"$/\1/p' "$top_srcdir/bindings/python/pyproject.toml")
[ "$want" = "$got" ] || { echo "FAIL: pyproject.toml version $got, configure.ac $want"; exit 1; }
if /usr/bin/python3 -c 'import pip, wheel' 2>/dev/null; then
	cp -r "$top_srcdir/bindings/python" "$tmp/src"
	/usr/bin/python3 -m pip install -q --no-build-isolation --no-index \
		--no-deps --target "$tmp/site" "$tmp/src" 2>&1 | grep -v 'root. user' || true
	RTVM_LIBRARY="$(cd "$(dirname "$lib")" && pwd)/librtvm.so.0" \
	PYTHONPATH="$tmp/site" PYTHONDONTWRITEBYTECODE=1 /usr/bin/python3 -c \
		'import rtvm, sys; assert rtvm.__file__.startswith(sys.argv[1]), rtvm.__file__; print("pip install: rtvm", rtvm.version())' "$tmp/site"
else
	echo "note: no pip/setuptools/wheel for /usr/bin/python3: pip install not tried"
fi
