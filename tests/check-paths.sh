#!/bin/sh
# Only librtvm/fs.c may name /proc/ or /sys/: everything else goes through
# it, so that a sysroot redirects all of the library's file access.
set -eu
top_srcdir=${top_srcdir:-.}
bad=$(grep -ln -e '/proc/' -e '/sys/' "$top_srcdir"/librtvm/*.[ch] | grep -v '/fs\.c$' || true)
if [ -n "$bad" ]; then
	grep -n -e '/proc/' -e '/sys/' $bad
	echo "FAIL: the files above name /proc/ or /sys/; use the fs module (librtvm/fs.c)"
	exit 1
fi
echo "ok: only librtvm/fs.c names /proc/ and /sys/"
