#!/bin/sh
# The tools on damaged sysroots (issue 21): a FIFO where a host file should
# be never blocks them (each run is under `timeout`: a hang fails the test),
# and garbage in /proc/interrupts never gives a PASS (a FAIL: the host
# cannot be vouched for).  Each must fail with
# an error that names the file and change nothing.
set -eu
top_srcdir=${top_srcdir:-.}
top_builddir=${top_builddir:-.}
ex="$top_builddir/examples"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail() { echo "FAIL: $*"; exit 1; }
# 20 s: a hang is a failure, not a stuck CI (ASan makes the tools slow).
limit=20

sh "$top_srcdir/tests/fixtures/gen-irqhost.sh" "$tmp/clean"
clean="$(cd "$tmp/clean" && pwd)"

# A fresh copy of the clean tree with FILE replaced by a FIFO.
with_fifo() {
	rm -rf "$tmp/h" && cp -a "$clean" "$tmp/h"
	rm -f "$tmp/h/$1" && mkfifo "$tmp/h/$1"
	root="$(cd "$tmp/h" && pwd)"
}

# run EXPECTED-RC NEEDLE CMD...: CMD ends (no hang) with EXPECTED-RC and
# says NEEDLE on stderr.
run() {
	want=$1 needle=$2
	shift 2
	set +e
	timeout $limit "$@" >"$tmp/out" 2>"$tmp/err"
	rc=$?
	set -e
	[ "$rc" != 124 ] || fail "hangs: $*"
	[ "$rc" = "$want" ] || fail "exit $rc, not $want: $* ($(cat "$tmp/err"))"
	grep -qF -- "$needle" "$tmp/err" || fail "\"$needle\" not said by $*: $(cat "$tmp/err")"
}

stat=proc/4242/task/4250/stat
fifo_msg="/$stat is a FIFO, where a regular file is expected"
with_fifo "$stat"
run 1 "$fifo_msg" "$ex/rtvm-show" --sysroot "$root" threads
run 1 "$fifo_msg" "$ex/rtvm-sched" --sysroot "$root" show --pid 4242
run 1 "$fifo_msg" "$ex/rtvm-tune" --sysroot "$root" --state-dir "$tmp/state" \
	plan --builtin rt-host --pid 4242
[ ! -e "$tmp/state" ] || [ -z "$(ls -A "$tmp/state")" ] || fail "plan left state behind"
# rtvm-check reads threads for its scheduling checks: they cannot pass.
set +e
timeout $limit "$ex/rtvm-check" --sysroot "$root" --rt-cpus 2-15 --json >"$tmp/out" 2>"$tmp/err"
rc=$?
set -e
[ "$rc" != 124 ] || fail "rtvm-check hangs on a FIFO"
grep -qF "$fifo_msg" "$tmp/err" || fail "rtvm-check does not name the FIFO: $(cat "$tmp/err")"

# The summary files: the host model fails, naming each.
for f in proc/cmdline proc/interrupts sys/devices/system/cpu/online; do
	[ -e "$clean/$f" ] || fail "fixture lacks $f"
	with_fifo "$f"
	if [ "$f" = proc/interrupts ]; then
		run 1 "/$f is a FIFO" "$ex/rtvm-irq" --sysroot "$root" list
	else
		run 1 "/$f is a FIFO" "$ex/rtvm-show" --sysroot "$root"
	fi
done

# /proc/interrupts: a valid header, then what the kernel never writes.
rm -rf "$tmp/h" && cp -a "$clean" "$tmp/h"
root="$(cd "$tmp/h" && pwd)"
# The clean tree first: what the check says there.
set +e
"$ex/rtvm-check" --sysroot "$root" --rt-cpus 2-15 --only irq.rt_cpus --json >"$tmp/clean.json" 2>/dev/null
set -e
clean_status=$(python3 -c 'import json,sys; r=json.load(open(sys.argv[1]))["checks"]; print(r[0]["status"])' "$tmp/clean.json")
[ "$clean_status" = warn ] || fail "irqhost's irq.rt_cpus is $clean_status, not warn"
head -n 1 "$clean/proc/interrupts" >"$root/proc/interrupts"
printf ' 24: 99999999999999999999999999 -5 abc\n' >>"$root/proc/interrupts"
head -c 3000 /dev/urandom | tr -d '\000' >>"$root/proc/interrupts"
run 1 "none of its" "$ex/rtvm-irq" --sysroot "$root" list
grep -qF 'line 2 does not parse: " 24: 99999999999999999999999999 -5 abc"' "$tmp/err" ||
	fail "the bad line is not named: $(cat "$tmp/err")"
set +e
"$ex/rtvm-check" --sysroot "$root" --rt-cpus 2-15 --only irq.rt_cpus --json >"$tmp/bad.json" 2>"$tmp/err"
rc=$?
set -e
[ "$rc" = 2 ] || fail "rtvm-check on a damaged interrupts file exits $rc, not 2 (fail)"
python3 - "$tmp/bad.json" <<'EOF' || fail "irq.rt_cpus on garbage: $(cat "$tmp/bad.json")"
import json, sys
r = json.load(open(sys.argv[1]))["checks"][0]
assert r["id"] == "irq.rt_cpus", r
assert r["status"] == "fail", r["status"]
assert "cannot read /proc/interrupts" in r["observed"], r["observed"]
EOF

# A profile with a NUL byte: what follows it must not go unread.
printf '{"version": 1}\000garbage' >"$tmp/nul.json"
run 1 "nul.json: a NUL byte at offset 14" "$ex/rtvm-tune" --sysroot "$clean" \
	--state-dir "$tmp/state" plan --profile "$tmp/nul.json" --pid 4242
printf '{"version": 1}garbage' >"$tmp/trail.json"
run 1 "trailing data after the JSON document at byte 14" "$ex/rtvm-tune" \
	--sysroot "$clean" --state-dir "$tmp/state" plan --profile "$tmp/trail.json" --pid 4242

echo "hostile sysroots: no hang, no PASS on garbage"
