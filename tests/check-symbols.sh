#!/bin/sh
# The exported symbols of librtvm.so are exactly those of librtvm.sym and
# of the public headers, and all carry the rtvm_ prefix.
set -eu
top_srcdir=${top_srcdir:-.}
top_builddir=${top_builddir:-.}
so=$(ls "$top_builddir"/librtvm/.libs/librtvm.so.0 2>/dev/null || true)
[ -n "$so" ] || { echo "librtvm.so.0 not built"; exit 1; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

nm -D --defined-only "$so" | awk '$2 == "T" || $2 == "D" || $2 == "B" || $2 == "R" { sub(/@.*/, "", $3); print $3 }' |
	grep -v '^LIBRTVM_' | sort -u >"$tmp/exported"
sed -n 's/^[[:space:]]*\(rtvm_[a-z0-9_]*\);$/\1/p' "$top_srcdir/librtvm/librtvm.sym" | sort -u >"$tmp/sym"
# Functions declared in the header: names followed by "(" at the start of a
# declaration (after the return type), excluding macros and typedefs.
sed -n 's/^.*[* ]\(rtvm_[a-z0-9_]*\)(.*$/\1/p; s/^\(rtvm_[a-z0-9_]*\)(.*$/\1/p' "$top_srcdir"/include/rtvm/*.h |
	sort -u >"$tmp/header.all"
sed -n 's/^#define \(rtvm_[a-z0-9_]*\)(.*/\1/p' "$top_srcdir"/include/rtvm/*.h | sort -u >"$tmp/macros"
comm -23 "$tmp/header.all" "$tmp/macros" >"$tmp/header"

fail=0
if grep -v '^rtvm_' "$tmp/exported"; then
	echo "FAIL: exported symbols above lack the rtvm_ prefix"; fail=1
fi
if ! diff -u "$tmp/sym" "$tmp/exported"; then
	echo "FAIL: librtvm.so exports differ from librtvm/librtvm.sym (- .sym, + .so)"; fail=1
fi
if ! diff -u "$tmp/header" "$tmp/exported"; then
	echo "FAIL: librtvm.so exports differ from include/rtvm/*.h (- headers, + .so)"; fail=1
fi
# Every symbol must sit in the version node, not be unversioned.
if objdump -T "$so" | awk '$NF ~ /^rtvm_/ && $(NF-1) != "LIBRTVM_0.1" { print; bad = 1 } END { exit !bad }'; then
	echo "FAIL: symbols above are not in node LIBRTVM_0.1"; fail=1
fi
n=$(wc -l <"$tmp/exported")
[ "$fail" = 0 ] && echo "ok: $n symbols exported, versioned and declared"
exit "$fail"
