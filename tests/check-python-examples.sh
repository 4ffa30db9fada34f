#!/bin/sh
# The Python examples (bindings/python/examples) on a fixture sysroot: the
# libvirt hook applies a domain's profile on "started" and reverts it on
# "stopped"; the agent applies and reverts (--once), and its dry run
# changes nothing.  Skips (77) as check-python.sh does.
set -eu
top_srcdir=${top_srcdir:-.}
top_builddir=${top_builddir:-.}
command -v python3 >/dev/null 2>&1 || { echo "skip: no python3"; exit 77; }
lib="$top_builddir/librtvm/.libs/librtvm.so.0"
[ -e "$lib" ] || { echo "FAIL: $lib was not built"; exit 1; }
if ldd "$lib" 2>/dev/null | grep -q 'libasan'; then
	echo "skip: $lib is built with ASan, which python3 cannot load"
	exit 77
fi
ex="$top_srcdir/bindings/python/examples"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
RTVM_LIBRARY="$(cd "$(dirname "$lib")" && pwd)/librtvm.so.0"
PYTHONPATH="$top_srcdir/bindings/python"
PYTHONDONTWRITEBYTECODE=1
export RTVM_LIBRARY PYTHONPATH PYTHONDONTWRITEBYTECODE
root="$tmp/irqhost"
sh "$top_srcdir/tests/fixtures/gen-irqhost.sh" "$root" >/dev/null
root=$(cd "$root" && pwd)
rt="$root/proc/sys/kernel/sched_rt_runtime_us"
mkdir -p "$(dirname "$rt")"
echo 950000 >"$rt"
profile='{"version": 1, "name": "t", "rt_cpus": "2-3", "housekeeping_cpus": "0-1", "host": {"sched_rt_runtime_us": -1}}'
fail() { echo "FAIL: $*"; exit 1; }

for e in libvirt-hook.py nova-agent.py; do
	python3 "$ex/$e" --help | grep -q -- --sysroot || fail "$e --help"
done

# the hook
mkdir -p "$root/run/libvirt/qemu"
echo 4242 >"$root/run/libvirt/qemu/vm1.pid"
xml="<domain type='kvm'><name>vm1</name><metadata><rtvm:profile xmlns:rtvm='https://librtvm.org/xmlns/profile/1'>$profile</rtvm:profile></metadata></domain>"
hook() { printf '%s' "$xml" | python3 "$ex/libvirt-hook.py" --sysroot "$root" "$@"; }
hook vm1 prepare begin - || fail "hook prepare"
[ "$(cat "$rt")" = 950000 ] || fail "prepare changed the host"
hook vm1 started begin - 2>/dev/null || fail "hook started"
[ "$(cat "$rt")" = -1 ] || fail "started did not apply the profile"
[ -e "$root/run/rtvm/pid-4242.journal" ] || fail "no journal"
hook vm1 stopped end - || fail "hook stopped"
[ "$(cat "$rt")" = 950000 ] || fail "stopped did not revert"
[ ! -e "$root/run/rtvm/pid-4242.journal" ] || fail "journal left"
printf '<domain><name>plain</name></domain>' |
	python3 "$ex/libvirt-hook.py" --sysroot "$root" plain started begin - ||
	fail "a domain without a profile"
if printf '%s' "$xml" | python3 "$ex/libvirt-hook.py" --sysroot "$root" \
		'../x' started begin - 2>/dev/null; then
	fail "an unsafe domain name was accepted"
fi
if printf '<domain' | python3 "$ex/libvirt-hook.py" --sysroot "$root" \
		vm1 started begin - 2>/dev/null; then
	fail "malformed XML was accepted"
fi

# the agent
printf '%s' "$profile" >"$tmp/p.json"
python3 "$ex/nova-agent.py" --sysroot "$root" --pid 4242 \
	--profile "$tmp/p.json" --dry-run >"$tmp/plan" || fail "dry run"
grep -q '"pid-4242"' "$tmp/plan" || fail "dry run: no plan"
[ "$(cat "$rt")" = 950000 ] || fail "the dry run changed the host"
out=$(python3 "$ex/nova-agent.py" --sysroot "$root" --pid 4242 \
	--profile "$tmp/p.json" --once) || fail "agent --once"
echo "$out" | grep -q '^applied t to pid-4242' || fail "agent said: $out"
[ "$(cat "$rt")" = 950000 ] || fail "the agent did not revert"
if python3 "$ex/nova-agent.py" --sysroot "$root" --pid 999999 2>/dev/null; then
	fail "the agent accepted a missing VM"
fi
echo "ok: the Python examples on a fixture"
