#!/bin/sh
# The tools on fixture sysroots: --help, --json, filters, clear errors and
# exit codes for bad input.
set -eu
top_srcdir=${top_srcdir:-.}
top_builddir=${top_builddir:-.}
show="$top_builddir/examples/rtvm-show"
capture="$top_builddir/examples/rtvm-capture"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail() { echo "FAIL: $*"; exit 1; }

sh "$top_srcdir/tests/fixtures/gen-host64.sh" "$tmp/host64"
root="$(cd "$tmp/host64" && pwd)"

"$show" --help | grep -q -- '--sysroot' || fail "rtvm-show --help lacks --sysroot"
"$capture" --help | grep -q -- '--all-threads' || fail "rtvm-capture --help"

# JSON: parseable and true to the fixture.
"$show" --sysroot "$root" --json >"$tmp/all.json" || fail "rtvm-show --json"
grep -q '"isolated":[[:space:]]*"2-15,34-47"' "$tmp/all.json" || fail "isolated CPUs in JSON"
grep -q '"comm":[[:space:]]*"CPU 0/KVM"' "$tmp/all.json" || fail "vCPU thread in JSON"
if command -v python3 >/dev/null 2>&1; then
	python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); assert len(d["cpus"]["cpus"]) == 64' "$tmp/all.json" ||
		fail "JSON does not parse or lacks 64 CPUs"
fi

# The environment variable works like --sysroot.
RTVM_SYSROOT="$root" "$show" cpus | grep -q '^possible 0-63' || fail "RTVM_SYSROOT"

# Filters: threads that may run on CPU 5 and match a pattern.
out=$("$show" --sysroot "$root" --cpus 5 --pattern 'migration/*' threads)
echo "$out" | grep -q 'migration/5$' || fail "filter lost migration/5"
if echo "$out" | grep -q 'migration/6$'; then fail "filter kept migration/6"; fi

# Bad input: exit 64, the bad value named, nothing printed on stdout.
set +e
"$show" --sysroot "$root" --cpus 0-99 >"$tmp/out" 2>"$tmp/err"; rc=$?
set -e
[ "$rc" = 64 ] || fail "bad --cpus exit code $rc"
grep -q '"0-99"' "$tmp/err" || fail "bad --cpus not named: $(cat "$tmp/err")"
[ ! -s "$tmp/out" ] || fail "output despite bad input"
set +e
"$show" bogus 2>"$tmp/err"; rc=$?
"$show" --sysroot relative/dir 2>>"$tmp/err"; rc2=$?
"$show" --sysroot /nonexistent-rtvm 2>>"$tmp/err"; rc3=$?
set -e
[ "$rc" = 64 ] || fail "unknown section exit $rc"
[ "$rc2" = 1 ] && [ "$rc3" = 1 ] || fail "bad sysroot exit $rc2 $rc3"
grep -q '"bogus"' "$tmp/err" || fail "unknown section not named"
grep -q '/nonexistent-rtvm' "$tmp/err" || fail "bad sysroot not named"

# Capture a sysroot and show the copy: the same CPUs and threads.
"$capture" --sysroot "$root" --all-threads "$tmp/copy" >/dev/null || fail "capture"
"$show" --sysroot "$root" --json cpus threads | sed 's|"root":.*||' >"$tmp/a"
"$show" --sysroot "$(cd "$tmp/copy" && pwd)" --json cpus threads | sed 's|"root":.*||' >"$tmp/b"
cmp -s "$tmp/a" "$tmp/b" || fail "the captured copy shows differently"
set +e
"$capture" --sysroot "$root" "$tmp/copy" 2>"$tmp/err"; rc=$?
set -e
[ "$rc" = 1 ] && grep -q 'empty directory' "$tmp/err" || fail "capture into a full dir"

# rtvm-check on the fixture: JSON with the RT CPUs, noise needs real CPUs,
# exit 64 and the bad value named for bad usage, 0/1/2 for the verdict.
check="$top_builddir/examples/rtvm-check"
"$check" --help | grep -q -- '--rt-cpus' || fail "rtvm-check --help"
set +e
"$check" --sysroot "$root" --rt-cpus 2-15,34-47 --json >"$tmp/check.json"; rc=$?
set -e
[ "$rc" -le 2 ] || fail "rtvm-check exit $rc"
grep -q '"rt_cpus":[[:space:]]*"2-15,34-47"' "$tmp/check.json" || fail "rtvm-check JSON rt_cpus"
set +e
"$check" --sysroot "$root" --only noise.gaps --noise 1 >"$tmp/out" 2>&1; rc=$?
set -e
[ "$rc" = 0 ] || fail "noise.gaps in a sysroot: exit $rc"
grep -q 'real CPUs' "$tmp/out" || fail "noise.gaps in a sysroot does not say why it skips"
set +e
"$check" --sysroot "$root" --rt-cpus 0-99 >"$tmp/out" 2>"$tmp/err"; rc=$?
"$check" --bogus 2>/dev/null; rc2=$?
set -e
[ "$rc" = 64 ] && [ "$rc2" = 64 ] || fail "rtvm-check bad usage exits $rc $rc2"
grep -q '0-99' "$tmp/err" || fail "rtvm-check does not name the bad CPU list"

# And this very machine, read-only.
"$show" --json >/dev/null || fail "rtvm-show on this host"
echo "ok: rtvm-show and rtvm-capture"
