#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# run-bench.sh - run a benchmark the safe way: in a private PID namespace
# with its own /proc, so that librtvm, ps, tuna and cset inventory (and
# move) only the benchmark's own threads, never the other processes of the
# machine.
#
# Usage: [BENCH=path/to/bench-threads] bench/run-bench.sh [OPTION]...
#   (from the build directory; the options go to the benchmark, see its
#   --help; e.g. BENCH=bench/bench-shield runs cset only this way)
#
# BENCH defaults to bench/bench-threads in the current directory.  In a
# libtool build that is a wrapper script; exec'ing it is fine (it execs the
# real binary, which keeps the namespace's pid 1).
set -eu

bench=${BENCH:-bench/bench-threads}

if [ ! -x "$bench" ]; then
	echo "run-bench.sh: $bench is not an executable; build the tree and" \
	     "run this from the build directory, or set BENCH" >&2
	exit 1
fi
case $bench in
	*/*) ;;
	*) bench=./$bench ;;	# not a $PATH lookup
esac

# unshare --pid needs CAP_SYS_ADMIN; try it once before relying on it.
# --kill-child: if unshare is killed, the benchmark (the namespace's init)
# gets SIGKILL, and with it every process of the namespace.
if [ "$(id -u)" -eq 0 ] && command -v unshare >/dev/null 2>&1 &&
   unshare --pid --fork --mount-proc --kill-child true >/dev/null 2>&1; then
	exec unshare --pid --fork --mount-proc --kill-child "$bench" "$@"
fi

echo "run-bench.sh: note: cannot create a private PID namespace (needs root" \
     "and unshare(1)); running directly, so every tool also inventories" \
     "the machine's other processes" >&2
exec "$bench" "$@"
