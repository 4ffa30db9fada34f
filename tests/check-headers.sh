#!/bin/sh
# Each public header compiles on its own, as C99 with -pedantic and as C++,
# and rtvm/rtvm.h includes every area header.
set -eu
top_srcdir=${top_srcdir:-.}
CC=${CC:-cc}
CXX=${CXX:-c++}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail=0
have_cxx=1
command -v "$CXX" >/dev/null 2>&1 || have_cxx=0
n=0
for h in "$top_srcdir"/include/rtvm/*.h; do
	name=${h##*/}
	printf '#include <rtvm/%s>\n#include <rtvm/%s>\nint main(void) { return 0; }\n' \
		"$name" "$name" >"$tmp/t.c"
	if ! "$CC" -std=c99 -pedantic -Wall -Wextra -Werror -I"$top_srcdir/include" \
		-c "$tmp/t.c" -o "$tmp/t.o" 2>"$tmp/err"; then
		echo "FAIL: rtvm/$name does not compile alone as C99 -pedantic:"; cat "$tmp/err"; fail=1
	fi
	if [ "$have_cxx" = 1 ]; then
		cp "$tmp/t.c" "$tmp/t.cc"
		if ! "$CXX" -std=c++11 -pedantic -Wall -Wextra -Werror -I"$top_srcdir/include" \
			-c "$tmp/t.cc" -o "$tmp/t.o" 2>"$tmp/err"; then
			echo "FAIL: rtvm/$name does not compile alone as C++:"; cat "$tmp/err"; fail=1
		fi
	fi
	if [ "$name" != rtvm.h ] && ! grep -q "^#include <rtvm/$name>" "$top_srcdir/include/rtvm/rtvm.h"; then
		echo "FAIL: rtvm/rtvm.h does not include rtvm/$name"; fail=1
	fi
	n=$((n + 1))
done
if [ "$have_cxx" = 0 ]; then
	echo "FAIL: no C++ compiler ($CXX) to check the headers with"; fail=1
fi
[ "$fail" = 0 ] && echo "ok: $n headers compile alone as C99 and C++"
exit "$fail"
