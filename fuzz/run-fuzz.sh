#!/bin/sh
# Run each libFuzzer target for FUZZ_SECONDS (default 20) on a copy of its
# seed corpus (fuzz/corpus/NAME), so that what it finds stays out of the
# tree.  Fails on the first crash, leak or broken invariant, and keeps the
# input that caused it (crash-*, leak-*, ...) in the current directory.
# Usage: run-fuzz.sh CORPUS-DIR TARGET...
set -eu
corpus=$1
shift
secs=${FUZZ_SECONDS:-20}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
for t in "$@"; do
	name=$(basename "$t")
	name=${name#fuzz-}
	mkdir -p "$work/$name"
	[ -d "$corpus/$name" ] && cp "$corpus/$name"/* "$work/$name"/ 2>/dev/null || true
	echo "==== $name: ${secs}s, $(ls "$work/$name" | wc -l) seeds"
	# -timeout: one input over 10 s is a hang; -rss_limit_mb: a leak or
	# an allocation the input controls.
	if ! "$t" -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 \
		-print_final_stats=1 "$work/$name" >"$work/$name.log" 2>&1; then
		tail -n 60 "$work/$name.log"
		echo "FAIL: fuzz target $name (input kept in $(pwd))"
		exit 1
	fi
	grep -E '^stat::number_of_executed_units|^#[0-9]+.*DONE' "$work/$name.log" | tail -n 2
	echo "corpus now $(ls "$work/$name" | wc -l) inputs"
done
echo "fuzzing: $# targets, ${secs}s each, no crash"
