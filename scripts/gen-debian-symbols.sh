#!/bin/sh
# Write debian/librtvm0.symbols from librtvm/librtvm.sym: every symbol of
# node LIBRTVM_X.Y carries the release X.Y.0 that brought it in.  Run it
# after adding symbols; tests/check-debian.sh fails until the two agree.
set -eu
top=${1:-$(dirname "$0")/..}
awk '
	/^LIBRTVM_[0-9.]+ *\{/ { node = $1; sub(/ *\{.*/, "", node); ver = node;
		sub(/^LIBRTVM_/, "", ver); print " " node "@" node " " ver ".0"; next }
	node && /^[ \t]*rtvm_[a-z0-9_]*;/ { s = $1; sub(/;$/, "", s);
		print " " s "@" node " " ver ".0" }
' "$top/librtvm/librtvm.sym" | sort -u >"$top/debian/librtvm0.symbols.tmp"
{ echo "librtvm.so.0 librtvm0 #MINVER#"; echo "* Build-Depends-Package: librtvm-dev"; cat "$top/debian/librtvm0.symbols.tmp"; } \
	>"$top/debian/librtvm0.symbols"
rm -f "$top/debian/librtvm0.symbols.tmp"
