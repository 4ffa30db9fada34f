#!/bin/sh
# Every symbol of librtvm.sym is bound by the Python module (named in one
# of its _fn("rtvm_...") declarations) or listed in bindings/python/C-ONLY
# with the reason it is not.  Fails naming each symbol that is neither, and
# each entry of either list that is no symbol (or has no reason).
set -eu
top_srcdir=${top_srcdir:-.}
sym="$top_srcdir/librtvm/librtvm.sym"
py="$top_srcdir/bindings/python/rtvm.py"
conly="$top_srcdir/bindings/python/C-ONLY"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

sed -n 's/^[[:space:]]*\(rtvm_[a-z0-9_]*\);$/\1/p' "$sym" | sort -u >"$tmp/sym"
grep -o '_fn("rtvm_[a-z0-9_]*"' "$py" | sed 's/^_fn("//; s/"$//' |
	sort -u >"$tmp/bound"
# C-ONLY: "SYMBOL  reason", '#' comments and blank lines ignored.
grep -v '^[[:space:]]*\(#\|$\)' "$conly" >"$tmp/conly.lines" || true
awk 'NF < 2 { print $1 }' "$tmp/conly.lines" >"$tmp/noreason"
awk '{ print $1 }' "$tmp/conly.lines" | sort >"$tmp/conly.all"
sort -u "$tmp/conly.all" >"$tmp/conly"

fail=0
for s in $(sort -u "$tmp/bound" "$tmp/conly" | comm -23 "$tmp/sym" -); do
	echo "FAIL: $s is neither bound in bindings/python/rtvm.py nor listed in bindings/python/C-ONLY"
	fail=1
done
for s in $(sort -u "$tmp/bound" "$tmp/conly" | comm -13 "$tmp/sym" -); do
	echo "FAIL: $s is bound or listed but is not in librtvm.sym"
	fail=1
done
for s in $(comm -12 "$tmp/bound" "$tmp/conly"); do
	echo "FAIL: $s is bound, and listed in C-ONLY as not"
	fail=1
done
for s in $(uniq -d "$tmp/conly.all") $(cat "$tmp/noreason"); do
	echo "FAIL: C-ONLY: $s is listed twice or without a reason"
	fail=1
done
[ "$fail" = 0 ] || exit 1
echo "ok: $(wc -l <"$tmp/sym") symbols: $(wc -l <"$tmp/bound") bound, $(wc -l <"$tmp/conly") C-only"
