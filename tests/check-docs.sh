#!/bin/sh
# Every exported symbol has a documentation block in a public header,
# "/**" then " * NAME() - summary", with its errors ("Returns:") and the
# privileges it needs ("Privileges:").  The overview man page exists.
set -eu
top_srcdir=${top_srcdir:-.}
sym="$top_srcdir/librtvm/librtvm.sym"
fail=0
for name in $(sed -n 's/^[[:space:]]*\(rtvm_[a-z0-9_]*\);$/\1/p' "$sym"); do
	block=$(awk -v n="$name" '
		/^\/\*\*/ { inb = 1; buf = ""; next }
		inb && /\*\// { inb = 0; if (buf ~ ("\n \\* " n "\\(\\) - ")) { print buf; exit } next }
		inb { buf = buf "\n" $0 }' "$top_srcdir"/include/rtvm/*.h)
	if [ -z "$block" ]; then
		echo "FAIL: $name has no documentation block in include/rtvm/"; fail=1; continue
	fi
	for key in "Returns:" "Privileges:"; do
		case "$block" in
		*"$key"*) ;;
		*) echo "FAIL: the documentation of $name lacks \"$key\""; fail=1 ;;
		esac
	done
done
for page in man/librtvm.3 man/rtvm-show.1 man/rtvm-capture.1 man/rtvm-check.1 man/rtvm-sched.1 man/rtvm-irq.1 man/rtvm-shield.1 man/rtvm-demo.1 man/rtvm-tune.1 man/rtvm-profile.5; do
	[ -s "$top_srcdir/$page" ] || { echo "FAIL: $page is missing"; fail=1; }
done
[ "$fail" = 0 ] && echo "ok: every exported function is documented"
exit "$fail"
