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
cmp -s "$tmp/a" "$tmp/b" ||
	fail "the captured copy shows differently: $(diff "$tmp/a" "$tmp/b" | head -20)"
set +e
"$capture" --sysroot "$root" "$tmp/copy" 2>"$tmp/err"; rc=$?
set -e
[ "$rc" = 1 ] && grep -q 'empty directory' "$tmp/err" || fail "capture into a full dir"
# --json: one object saying where, how many files, and what failed.
"$capture" --sysroot "$root" --json "$tmp/copy2" >"$tmp/cap.json" || fail "capture --json"
n=$(find "$tmp/copy2" -type f | wc -l)
grep -q '"captured":[[:space:]]*true' "$tmp/cap.json" &&
	grep -q "\"files\":[[:space:]]*$n,\$" "$tmp/cap.json" &&
	grep -q '"error":[[:space:]]*null' "$tmp/cap.json" &&
	grep -q "\"source\":[[:space:]]*\"$root\"" "$tmp/cap.json" ||
	fail "capture --json: $(cat "$tmp/cap.json")"
set +e
"$capture" --sysroot "$root" --json "$tmp/copy2" >"$tmp/cap.json" 2>/dev/null; rc=$?
set -e
[ "$rc" = 1 ] && grep -q '"captured":[[:space:]]*false' "$tmp/cap.json" &&
	grep -q '"files":[[:space:]]*0,' "$tmp/cap.json" &&
	grep -q '"error":[[:space:]]*"' "$tmp/cap.json" ||
	fail "capture --json into a full dir: exit $rc, $(cat "$tmp/cap.json")"
if command -v python3 >/dev/null 2>&1; then
	python3 -c 'import json,sys; json.load(open(sys.argv[1]))' "$tmp/cap.json" ||
		fail "capture --json does not parse"
fi

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

# rtvm-sched on the fixture: show the VM, change one vCPU and put it back
# byte for byte, name bad values.
sched="$top_builddir/examples/rtvm-sched"
n=$("$sched" --sysroot "$root" show --pid 4242 --json | grep -c '"role":[[:space:]]*"vcpu"')
[ "$n" = 2 ] || fail "rtvm-sched show lists $n vCPUs"
cp "$root/proc/4242/task/4251/stat" "$tmp/4251"
cp "$root/proc/4242/task/4250/stat" "$tmp/4250"
"$sched" --sysroot "$root" set --pid 4242 --vcpus 1 --fifo 5 --save "$tmp/sched.json" >/dev/null ||
	fail "rtvm-sched set"
if cmp -s "$tmp/4251" "$root/proc/4242/task/4251/stat"; then fail "vCPU 1 unchanged"; fi
cmp -s "$tmp/4250" "$root/proc/4242/task/4250/stat" || fail "vCPU 0 changed"
"$sched" --sysroot "$root" restore "$tmp/sched.json" >/dev/null || fail "rtvm-sched restore"
cmp -s "$tmp/4251" "$root/proc/4242/task/4251/stat" || fail "vCPU 1 not restored byte for byte"
# Without --save: the state file (the sysroot's run/rtvm/sched.json), to
# which a second set adds; one restore without a FILE undoes both.
"$sched" --sysroot "$root" set --pid 4242 --vcpus 1 --fifo 5 >"$tmp/out" ||
	fail "rtvm-sched set (state file)"
grep -q "recorded in $root/run/rtvm/sched.json" "$tmp/out" || fail "set does not say where: $(cat "$tmp/out")"
"$sched" --sysroot "$root" set --pid 4242 --vcpus 1 --fifo 7 --json >"$tmp/out.json" ||
	fail "rtvm-sched set --json (state file)"
python3 -c 'import json,sys; json.load(open(sys.argv[1]))' "$tmp/out.json" || fail "set --json"
# restore --dry-run lists the records newest first and changes nothing.
cp "$root/run/rtvm/sched.json" "$tmp/sched.state"
cp "$root/proc/4242/task/4251/stat" "$tmp/4251.set"
"$sched" --sysroot "$root" restore --dry-run --json >"$tmp/out.json" || fail "rtvm-sched restore --dry-run"
python3 - "$tmp/out.json" <<'PYEOF2' || fail "restore --dry-run --json: $(cat "$tmp/out.json")"
import json, sys
d = json.load(open(sys.argv[1]))
assert d["dry_run"] is True and d["changes"] == len(d["records"]) >= 2, d
# the newest record first: FIFO 7 goes back to FIFO 5
first = d["records"][0]
assert first["kind"] == "thread_sched", first
assert (first["from"], first["to"]) == ("fifo:7:0", "fifo:5:0"), first
PYEOF2
cmp -s "$tmp/sched.state" "$root/run/rtvm/sched.json" || fail "restore --dry-run touched the state file"
cmp -s "$tmp/4251.set" "$root/proc/4242/task/4251/stat" || fail "restore --dry-run changed vCPU 1"
"$sched" --sysroot "$root" restore --dry-run | grep -q "dry run: restore would put back" ||
	fail "restore --dry-run (text)"
rc=0; "$sched" --sysroot "$root" show --pid 4242 --dry-run >/dev/null 2>&1 || rc=$?
[ "$rc" = 64 ] || fail "show --dry-run: exit $rc, not 64"
"$sched" --sysroot "$root" restore --json >"$tmp/out.json" || fail "rtvm-sched restore (state file)"
python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); assert d["changes"] >= 2, d' "$tmp/out.json" ||
	fail "restore --json: $(cat "$tmp/out.json")"
cmp -s "$tmp/4251" "$root/proc/4242/task/4251/stat" || fail "vCPU 1 not restored from the state file"
[ ! -e "$root/run/rtvm/sched.json" ] || fail "the state file is left after restore"
set +e
"$sched" --sysroot "$root" restore >/dev/null 2>"$tmp/err"; rc=$?
set -e
[ "$rc" = 1 ] && grep -q "nothing was set" "$tmp/err" || fail "a second restore: exit $rc, $(cat "$tmp/err")"
set +e
"$sched" --sysroot "$root" set --pid 4242 --fifo 120 2>"$tmp/err"; rc=$?
"$sched" --sysroot "$root" show --pid 4242 --vm vm1 2>/dev/null; rc2=$?
set -e
[ "$rc" = 64 ] && grep -q 120 "$tmp/err" || fail "rtvm-sched --fifo 120: exit $rc"
[ "$rc2" = 64 ] || fail "rtvm-sched --pid with --vm: exit $rc2"

# rtvm-sched --vm: libvirt's test driver (in the client library, no
# daemon) has the fixture's QEMU as domain vm1 with its vCPUs pinned; the
# pid file is the fixture's.
cat >"$tmp/node.xml" <<'EOF'
<node>
 <cpu><mhz>2000</mhz><model>i686</model><nodes>1</nodes><sockets>1</sockets><cores>4</cores><threads>1</threads></cpu>
 <domain type='test'>
  <name>vm1</name><memory>65536</memory><vcpu placement='static'>2</vcpu>
  <cputune><vcpupin vcpu='0' cpuset='2'/><vcpupin vcpu='1' cpuset='3'/></cputune>
  <os><type>hvm</type></os>
 </domain>
</node>
EOF
mkdir -p "$root/run/libvirt/qemu"
echo 4242 >"$root/run/libvirt/qemu/vm1.pid"
uri="test://$(cd "$tmp" && pwd)/node.xml"
"$sched" --sysroot "$root" show --vm vm1 --uri "$uri" --json >"$tmp/vm.json" || fail "rtvm-sched show --vm"
grep -q '"domain":[[:space:]]*"vm1"' "$tmp/vm.json" || fail "show --vm: no domain"
grep -q '"libvirt_pin":[[:space:]]*"3"' "$tmp/vm.json" || fail "show --vm: no libvirt pin"
"$sched" --sysroot "$root" set --vm vm1 --uri "$uri" --vcpus 1 --fifo 5 --save "$tmp/vm-sched.json" >/dev/null ||
	fail "rtvm-sched set --vm"
if cmp -s "$tmp/4251" "$root/proc/4242/task/4251/stat"; then fail "--vm: vCPU 1 unchanged"; fi
"$sched" --sysroot "$root" restore "$tmp/vm-sched.json" >/dev/null || fail "rtvm-sched restore (--vm)"
cmp -s "$tmp/4251" "$root/proc/4242/task/4251/stat" || fail "--vm: vCPU 1 not restored"
set +e
"$sched" --sysroot "$root" show --vm nosuchvm --uri "$uri" >"$tmp/out" 2>"$tmp/err"; rc=$?
"$sched" --sysroot "$root" show --vm vm1 --uri "bogus:///system" 2>"$tmp/err2"; rc2=$?
"$sched" --sysroot "$root" show --uri "$uri" 2>/dev/null; rc3=$?
set -e
[ "$rc" = 1 ] && grep -q nosuchvm "$tmp/err" || fail "--vm nosuchvm: exit $rc: $(cat "$tmp/err")"
[ ! -s "$tmp/out" ] || fail "--vm nosuchvm printed on stdout"
[ "$rc2" = 1 ] && grep -q 'bogus:///system' "$tmp/err2" || fail "--uri bogus: exit $rc2"
[ "$rc3" = 64 ] || fail "--uri without --vm: exit $rc3"

# rtvm-shield: dry run changes nothing, create/destroy round trip, usage.
shield="$top_builddir/examples/rtvm-shield"
"$shield" --help | grep -q -- '--rt-cpus' || fail "rtvm-shield --help"
"$shield" --sysroot "$root" create --rt-cpus 8-15 --dry-run --json >"$tmp/sh.json" ||
	fail "rtvm-shield create --dry-run"
grep -q '"kind":[[:space:]]*"would-move"' "$tmp/sh.json" || fail "shield dry run lists no move"
! grep -q '"kind":[[:space:]]*"moved"' "$tmp/sh.json" || fail "shield dry run says moved"
grep -q '"would_move":[[:space:]]*[1-9]' "$tmp/sh.json" || fail "shield dry run counts no move"
"$shield" --sysroot "$root" create --rt-cpus 8-15 --dry-run >"$tmp/sh.txt" ||
	fail "rtvm-shield create --dry-run (text)"
grep -q '^[1-9][0-9]* would move, ' "$tmp/sh.txt" || fail "shield dry run summary: $(tail -1 "$tmp/sh.txt")"
! grep -q -e ' moved, ' -e '^moved ' "$tmp/sh.txt" || fail "shield dry run text says moved"
[ ! -e "$root/sys/fs/cgroup/cpuset/rtvm-rt" ] || fail "shield dry run made a cgroup"
"$shield" --sysroot "$root" create --rt-cpus 8-15 --save "$tmp/shield.json" >/dev/null ||
	fail "rtvm-shield create"
grep -q 'rtvm-housekeeping' "$root/proc/5000/cgroup" || fail "backup not moved"
"$shield" --sysroot "$root" status | grep -q 'RT CPUs 8-15' || fail "rtvm-shield status"
"$shield" --sysroot "$root" destroy --from "$tmp/shield.json" >/dev/null ||
	fail "rtvm-shield destroy"
grep -q '^13:cpuset:/$' "$root/proc/5000/cgroup" || fail "backup not moved back"
[ ! -e "$root/sys/fs/cgroup/cpuset/rtvm-rt" ] || fail "shield cgroup left"
# destroy --json: the shield found, what it restores, the document shape
# of create and status; a dry run keeps the shield.
"$shield" --sysroot "$root" create --rt-cpus 8-15 --save "$tmp/shield.json" >/dev/null ||
	fail "rtvm-shield create (again)"
"$shield" --sysroot "$root" destroy --from "$tmp/shield.json" --dry-run --json \
	>"$tmp/dj.json" || fail "rtvm-shield destroy --dry-run --json"
[ -d "$root/sys/fs/cgroup/cpuset/rtvm-rt" ] || fail "destroy --dry-run removed the shield"
grep -q '"dry_run":[[:space:]]*true' "$tmp/dj.json" &&
	grep -q '"active":[[:space:]]*true' "$tmp/dj.json" &&
	grep -q '"removed":[[:space:]]*true' "$tmp/dj.json" ||
	fail "destroy --dry-run --json: $(head -c 400 "$tmp/dj.json")"
"$shield" --sysroot "$root" destroy --from "$tmp/shield.json" --json >"$tmp/dj.json" ||
	fail "rtvm-shield destroy --json"
[ ! -e "$root/sys/fs/cgroup/cpuset/rtvm-rt" ] || fail "shield cgroup left after destroy --json"
grep -q '^13:cpuset:/$' "$root/proc/5000/cgroup" || fail "destroy --json: backup not moved back"
grep -q '"active":[[:space:]]*false' "$tmp/dj.json" &&
	grep -q '"removed":[[:space:]]*true' "$tmp/dj.json" &&
	grep -q '"rt_cpus":[[:space:]]*"8-15"' "$tmp/dj.json" &&
	grep -q '"restored":[[:space:]]*[1-9]' "$tmp/dj.json" ||
	fail "destroy --json: $(head -c 400 "$tmp/dj.json")"
if command -v python3 >/dev/null 2>&1; then
	"$shield" --sysroot "$root" status --json >"$tmp/st.json"
	python3 -c '
import json, sys
d, s = json.load(open(sys.argv[1])), json.load(open(sys.argv[2]))
missing = set(s) - set(d)
assert not missing, "destroy lacks %s" % sorted(missing)
assert d["restored"] == len(d["changeset"]["changes"]), d["restored"]
' "$tmp/dj.json" "$tmp/st.json" || fail "destroy --json and status --json differ in shape"
fi
# Without --save and --from: create records into the state file, destroy
# undoes those records exactly and removes the file.
"$shield" --sysroot "$root" create --rt-cpus 8-15 >/dev/null || fail "rtvm-shield create (state file)"
[ -s "$root/run/rtvm/shield.json" ] || fail "create left no state file"
grep -q 'rtvm-housekeeping' "$root/proc/5000/cgroup" || fail "state file: backup not moved"
"$shield" --sysroot "$root" destroy --json >"$tmp/dj.json" || fail "rtvm-shield destroy (state file)"
grep -q '^13:cpuset:/$' "$root/proc/5000/cgroup" || fail "destroy from the state file: backup not moved back"
grep -q '"restored":[[:space:]]*[1-9]' "$tmp/dj.json" || fail "destroy from the state file restored nothing"
[ ! -e "$root/run/rtvm/shield.json" ] || fail "destroy kept the state file"
[ ! -e "$root/sys/fs/cgroup/cpuset/rtvm-rt" ] || fail "shield cgroup left (state file)"
"$shield" --sysroot "$root" destroy --json >"$tmp/dj.json" || fail "destroy --json without a shield"
grep -q '"removed":[[:space:]]*false' "$tmp/dj.json" || fail "destroy --json without a shield: removed"
# add --json: the shield after the add, the thread ids added, and the
# records; the dry run names the same threads and changes nothing.
"$shield" --sysroot "$root" create --rt-cpus 8-15 --save "$tmp/shield.json" >/dev/null ||
	fail "rtvm-shield create (for add)"
cp "$root/proc/4242/task/4251/cgroup" "$tmp/4251.cg"
"$shield" --sysroot "$root" add --tids 4251 --dry-run --json >"$tmp/add.json" ||
	fail "rtvm-shield add --dry-run --json"
cmp -s "$tmp/4251.cg" "$root/proc/4242/task/4251/cgroup" || fail "add --dry-run moved the thread"
"$shield" --sysroot "$root" add --tids 4251 --json --save "$tmp/add-cs.json" >"$tmp/add2.json" ||
	fail "rtvm-shield add --json"
if command -v python3 >/dev/null 2>&1; then
	python3 -c '
import json, sys
dry, real = json.load(open(sys.argv[1])), json.load(open(sys.argv[2]))
assert dry["dry_run"] and dry["added"] == [4251] and "changeset" not in dry, dry
assert not real["dry_run"] and real["added"] == [4251] and real["active"], real
assert real["per_vcpu"] is False
assert [i["tid"] for i in real["items"] if i["kind"] == "in-rt"] == [4251], real["items"]
assert real["changeset"]["changes"], real["changeset"]
' "$tmp/add.json" "$tmp/add2.json" || fail "rtvm-shield add --json: $(head -c 600 "$tmp/add2.json")"
fi
"$shield" --sysroot "$root" destroy --from "$tmp/shield.json" >/dev/null || fail "destroy after add"
[ ! -e "$root/sys/fs/cgroup/cpuset/rtvm-rt" ] || fail "shield cgroup left after add"
set +e
"$shield" --sysroot "$root" add --tids 5000 --dry-run 2>"$tmp/err"; rc=$?
set -e
[ "$rc" = 1 ] && grep -q 'no shield' "$tmp/err" || fail "shield add --dry-run without a shield: exit $rc"
set +e
"$shield" --sysroot "$root" create --rt-cpus 8-15 --housekeeping 0-8 2>"$tmp/err"; rc=$?
"$shield" --sysroot "$root" create 2>/dev/null; rc2=$?
set -e
[ "$rc" = 64 ] && grep -q 'overlap on 8' "$tmp/err" || fail "shield overlap: exit $rc"
[ "$rc2" = 64 ] || fail "shield create without --rt-cpus: exit $rc2"
set +e
"$shield" --sysroot "$root" status --tids 5 2>"$tmp/err"; rc=$?
set -e
[ "$rc" = 64 ] && grep -q -- '--tids is not an option of status' "$tmp/err" ||
	fail "shield option of another command: exit $rc"

# rtvm-irq on the IRQ fixture: a dry run changes nothing, steer moves the
# IRQs off the RT CPUs and saves the changes in the sysroot's state file,
# restore puts every affinity back, bad selectors and CPUs exit 64.
irq="$top_builddir/examples/rtvm-irq"
sh "$top_srcdir/tests/fixtures/gen-irqhost.sh" "$tmp/irqhost"
iroot="$(cd "$tmp/irqhost" && pwd)"
snap() { (cd "$iroot/proc/irq" && for f in */smp_affinity_list default_smp_affinity; do
	printf '%s %s\n' "$f" "$(cat "$f")"; done); }
snap >"$tmp/irq.before"
"$irq" --sysroot "$iroot" steer --away-from 4-7 --to-rt net:eth1 --dry-run --json >"$tmp/dry.json" ||
	fail "rtvm-irq steer --dry-run"
grep -q '"status":[[:space:]]*"would_move"' "$tmp/dry.json" || fail "dry run lists no move"
snap | cmp -s - "$tmp/irq.before" || fail "rtvm-irq --dry-run changed the sysroot"
[ ! -e "$iroot/run/rtvm/irq-steer.json" ] || fail "dry run saved changes"
"$irq" --sysroot "$iroot" steer --away-from 4-7 --to-rt net:eth1 >"$tmp/out" || fail "rtvm-irq steer"
grep -q 'saved to .*irq-steer.json' "$tmp/out" || fail "steer does not say where it saved"
[ "$(cat "$iroot/proc/irq/125/smp_affinity_list")" = "0-3,8-62" ] || fail "IRQ 125 not moved"
[ "$(cat "$iroot/proc/irq/190/smp_affinity_list")" = "4-7" ] || fail "eth1 IRQ 190 not on the RT CPUs"
"$irq" --sysroot "$iroot" steer --irq acpi --to 1 >/dev/null || fail "rtvm-irq steer --irq"
snap >"$tmp/irq.steered"
"$irq" --sysroot "$iroot" restore --dry-run --json >"$tmp/dry.json" || fail "rtvm-irq restore --dry-run"
python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); assert d["dry_run"] and any(r["kind"] == "irq_affinity" and r["target"] == "125" for r in d["records"]), d' \
	"$tmp/dry.json" || fail "restore --dry-run lists no IRQ 125: $(head -c 300 "$tmp/dry.json")"
snap | cmp -s - "$tmp/irq.steered" || fail "rtvm-irq restore --dry-run changed the sysroot"
"$irq" --sysroot "$iroot" restore >/dev/null || fail "rtvm-irq restore"
snap | cmp -s - "$tmp/irq.before" || fail "rtvm-irq restore differs: $(snap | diff - "$tmp/irq.before" | head -3)"
[ ! -e "$iroot/run/rtvm/irq-steer.json" ] || fail "restore kept the state file"
set +e
"$irq" --sysroot "$iroot" steer --away-from 4-7 --to-rt net:eth9 2>"$tmp/err"; rc=$?
"$irq" --sysroot "$iroot" steer --away-from 0-99 2>>"$tmp/err"; rc2=$?
"$irq" --sysroot "$iroot" steer --irq 9 2>/dev/null; rc3=$?
"$irq" --sysroot "$iroot" watch --away-from 4-7 --dry-run 2>/dev/null; rc5=$?
"$irq" --sysroot "$iroot" restore 2>/dev/null; rc4=$?
set -e
[ "$rc" = 64 ] && grep -q 'net:eth9' "$tmp/err" || fail "unknown --to-rt: exit $rc"
[ "$rc2" = 64 ] && grep -q '0-99' "$tmp/err" || fail "bad --away-from: exit $rc2"
[ "$rc3" = 64 ] || fail "--irq without --to: exit $rc3"
[ "$rc5" = 64 ] || fail "watch --dry-run: exit $rc5"
[ "$rc4" = 1 ] || fail "restore with nothing saved: exit $rc4"
snap | cmp -s - "$tmp/irq.before" || fail "bad input changed the sysroot"
# --ban-irqbalance: irqbalance's file gets the RT CPUs, restore removes
# the file it created.
[ ! -e "$iroot/etc/default/irqbalance" ] || fail "the fixture has an irqbalance file already"
mkdir -p "$iroot/etc/default"
"$irq" --sysroot "$iroot" steer --away-from 4-7 --ban-irqbalance --json >"$tmp/ib.json" || fail "steer --ban-irqbalance"
grep -q '^IRQBALANCE_BANNED_CPULIST=.*' "$iroot/etc/default/irqbalance" || fail "no banned list written"
grep -q '"irqbalance":' "$tmp/ib.json" || fail "steer JSON lacks irqbalance"
"$irq" --sysroot "$iroot" restore >/dev/null || fail "restore after --ban-irqbalance"
[ ! -e "$iroot/etc/default/irqbalance" ] || fail "restore left irqbalance's file"
snap | cmp -s - "$tmp/irq.before" || fail "restore after --ban-irqbalance differs"
# watch: steer, then put back an IRQ whose affinity was lost; Ctrl-C
# leaves the steering in place and restore undoes all of it.
"$irq" --sysroot "$iroot" watch --away-from 4-7 --interval 50 >"$tmp/watch.out" 2>&1 &
wpid=$!
i=0
until grep -q '^watching' "$tmp/watch.out" || [ $i -ge 100 ]; do sleep 0.1; i=$((i + 1)); done
[ "$(cat "$iroot/proc/irq/125/smp_affinity_list")" = "0-3,8-62" ] || fail "watch did not steer"
echo 4 >"$iroot/proc/irq/125/smp_affinity_list"
i=0
until [ "$(cat "$iroot/proc/irq/125/smp_affinity_list")" = "0-3,8-62" ] || [ $i -ge 100 ]; do
	sleep 0.1; i=$((i + 1))
done
kill -INT "$wpid"
wait "$wpid" || fail "watch exit $?: $(cat "$tmp/watch.out")"
grep -q 'put back 1 IRQ(s): 125' "$tmp/watch.out" || fail "watch did not put IRQ 125 back: $(cat "$tmp/watch.out")"
grep -q 'the steering stays' "$tmp/watch.out" || fail "watch did not say how it left things"
"$irq" --sysroot "$iroot" restore >/dev/null || fail "restore after watch"
snap | cmp -s - "$tmp/irq.before" || fail "restore after watch differs"

# rtvm-demo: help and bad usage (exit 64, the bad value named, nothing on
# stdout); the live run is tests/live-demo.
demo="$top_builddir/examples/rtvm-demo"
"$demo" --help | grep -q -- '--modes' || fail "rtvm-demo --help"
for bad in "--modes idle,bogus:bogus" "--duration 0:0" "--period 10:10" \
	"--guest spin:spin" "--tuning prio,magic:magic" "--plot out.gif:out.gif" \
	"--state relative.json:relative.json" "extra:extra"; do
	val=${bad##*:}
	bad=${bad%:*}
	set +e
	# shellcheck disable=SC2086
	"$demo" $bad >"$tmp/out" 2>"$tmp/err"; rc=$?
	set -e
	[ "$rc" = 64 ] || fail "rtvm-demo $bad: exit $rc"
	[ ! -s "$tmp/out" ] || fail "rtvm-demo $bad printed on stdout"
	grep -q -- "$val" "$tmp/err" || fail "rtvm-demo $bad does not name $val: $(cat "$tmp/err")"
done
# rtvm-tune: plan changes nothing, apply/status/revert round trip on the
# irqhost fixture with host knobs, drift, bad profiles and usage.
tune="$top_builddir/examples/rtvm-tune"
troot="$tmp/tunehost"
sh "$top_srcdir/tests/fixtures/gen-irqhost.sh" "$troot"
troot="$(cd "$troot" && pwd)"
mkdir -p "$troot/proc/sys/kernel" "$troot/sys/kernel/mm/transparent_hugepage" \
	"$troot/sys/kernel/mm/ksm" "$troot/sys/devices/virtual/workqueue"
echo 950000 >"$troot/proc/sys/kernel/sched_rt_runtime_us"
printf 'cpu  1 2 3 4 5 6 7 8 0 0\ncpu0 1 2 3 4 5 6 7 8 0 0\ncpu2 1 2 3 4 5 6 7 8 0 0\n' >"$troot/proc/stat" # for rtvm-top
echo 1 >"$troot/proc/sys/kernel/timer_migration"
# A kernel shows "always [madvise] never" and takes "madvise": a fixture
# file would keep the word written, so it holds the word (unit-tune tests
# the brackets).
echo madvise >"$troot/sys/kernel/mm/transparent_hugepage/enabled"
echo 1 >"$troot/sys/kernel/mm/ksm/run"
echo ffffffff,ffffffff >"$troot/sys/devices/virtual/workqueue/cpumask"
c=0
while [ $c -le 62 ]; do
	mkdir -p "$troot/sys/devices/system/cpu/cpu$c/power"
	echo 0 >"$troot/sys/devices/system/cpu/cpu$c/power/pm_qos_resume_latency_us"
	c=$((c + 1))
done
tsnap() { (cd "$troot" && find proc sys -type f ! -name 'effective_affinity*' -print0 | sort -z | xargs -0 awk '{ print FILENAME ": " $0 }' | md5sum); }
tsnap >"$tmp/tune.before"
"$tune" --help | grep -q -- '--builtin' || fail "rtvm-tune --help"
"$tune" --sysroot "$troot" plan --builtin rt-host --pid 4242 --json >"$tmp/plan.json" ||
	fail "rtvm-tune plan"
grep -q '"target":[[:space:]]*"kernel.sched_rt_runtime_us"' "$tmp/plan.json" || fail "plan lacks the RT runtime"
# A profile's "boost": plan prints it and says rtvm-boostd serves it;
# show keeps stdout the document and says it on stderr.
printf '{"version": 1, "name": "bp", "policies": {"rt_vcpu": {"policy": "fifo", "priority": 1}}, "boost": {"policies": ["fifo", "deadline"], "max_priority": 20, "rate": 500, "burst": 9}}\n' >"$tmp/bprof.json"
"$tune" --sysroot "$troot" plan --profile "$tmp/bprof.json" --pid 4242 >"$tmp/plan.out" ||
	fail "rtvm-tune plan with a boost policy"
grep -q '^boost policy: policies fifo,deadline, max_priority 20,.* rate 500, burst 9' "$tmp/plan.out" &&
	grep -q 'rtvm-boostd serves it.*apply starts no broker' "$tmp/plan.out" ||
	fail "rtvm-tune plan does not print the boost policy: $(cat "$tmp/plan.out")"
"$tune" --sysroot "$troot" plan --profile "$tmp/bprof.json" --pid 4242 --json >"$tmp/plan.json" ||
	fail "rtvm-tune plan --json with a boost policy"
python3 -c '
import json, sys
b = json.load(open(sys.argv[1]))["boost"]
assert b["served_by"] == "rtvm-boostd", b
assert b["policy"] == {"policies": ["fifo", "deadline"], "max_priority": 20, "max_boost_us": 0, "budget_us": 0, "budget_period_us": 0, "rate": 500, "burst": 9, "max_lead_us": 0}, b
' "$tmp/plan.json" || fail "rtvm-tune plan --json boost: $(cat "$tmp/plan.json")"
"$tune" --sysroot "$troot" plan --builtin rt-host --pid 4242 --json | grep -q '"boost"' &&
	fail "rtvm-tune plan --json: a boost for a profile without one"
"$tune" show --profile "$tmp/bprof.json" >"$tmp/show.out" 2>"$tmp/err" || fail "rtvm-tune show with a boost policy"
python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); assert d["boost"]["max_priority"] == 20, d' "$tmp/show.out" &&
	grep -q 'boost policy: .*max_priority 20' "$tmp/err" && grep -q 'rtvm-boostd serves it' "$tmp/err" ||
	fail "rtvm-tune show boost: $(cat "$tmp/show.out" "$tmp/err")"
"$tune" --sysroot "$troot" apply --builtin rt-host --pid 4242 --dry-run >/dev/null || fail "apply --dry-run"
tsnap | cmp -s - "$tmp/tune.before" || fail "plan or dry run changed the host"
[ ! -e "$troot/run/rtvm/pid-4242.journal" ] || fail "dry run left a journal"
"$tune" --sysroot "$troot" status --json >"$tmp/st0.json" || fail "status before any apply"
grep -q '"vms":[[:space:]]*\[\]' "$tmp/st0.json" || fail "status before any apply: $(cat "$tmp/st0.json")"
[ ! -e "$troot/run/rtvm" ] || fail "plan, dry run or status created the state directory"
"$tune" --sysroot "$troot" apply --builtin rt-host --pid 4242 >/dev/null || fail "rtvm-tune apply"
[ "$(cat "$troot/proc/sys/kernel/timer_migration")" = 0 ] || fail "apply left timer_migration"
"$tune" --sysroot "$troot" status | grep -q 'VM pid-4242: profile rt-host.*0 drifted' || fail "status"
# rtvm-top --tuned: the journal's VM, with the profile's RT CPUs.
"$top_builddir/examples/rtvm-top" --sysroot "$troot" --tuned --count 1 --interval 10 \
	--json >"$tmp/tuned.json" 2>"$tmp/err" || fail "rtvm-top --tuned: $(cat "$tmp/err")"
want=$("$tune" --sysroot "$troot" status --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["vms"][0]["rt_cpus"])')
python3 -c '
import json, sys
d = json.loads(open(sys.argv[1]).readline())
vm, = d["vms"]
assert vm["pid"] == 4242 and vm["rt_cpus"] == sys.argv[2], (vm["pid"], vm["rt_cpus"], sys.argv[2])
assert [c["cpu"] for c in d["cpus"] if c["rt"]] == [2], d["cpus"]  # cpu0 and cpu2 in the fixture
' "$tmp/tuned.json" "$want" || fail "rtvm-top --tuned: $(head -c 300 "$tmp/tuned.json")"
echo 1 >"$troot/proc/sys/kernel/timer_migration"
"$tune" --sysroot "$troot" status --json | grep -q '"now":[[:space:]]*"1"' || fail "status shows no drift"
# the built-in profiles: listed, each shown as a valid profile
"$tune" profiles --json | python3 -c 'import json,sys; d=json.load(sys.stdin); assert [p["name"] for p in d] == ["rt-host", "nova-rt", "kubevirt-rt"] and all(p["description"] for p in d), d' ||
	fail "rtvm-tune profiles --json"
for b in rt-host nova-rt kubevirt-rt; do
	"$tune" show --builtin "$b" | python3 -c 'import json,sys; d=json.load(sys.stdin); assert d["version"] == 1 and d["name"] == sys.argv[1], d' "$b" ||
		fail "rtvm-tune show --builtin $b"
done
rc=0; "$tune" show --builtin nope 2>"$tmp/err" || rc=$?
[ "$rc" = 64 ] && grep -q 'rt-host, nova-rt, kubevirt-rt' "$tmp/err" || fail "show --builtin nope: exit $rc: $(cat "$tmp/err")"
tsnap >"$tmp/tune.applied"
"$tune" --sysroot "$troot" revert --pid 4242 --dry-run | grep -q "dry run: VM pid-4242: revert would put back the [1-9][0-9]* steps" ||
	fail "rtvm-tune revert --dry-run (text)"
"$tune" --sysroot "$troot" revert --pid 4242 --dry-run --json |
	python3 -c 'import json,sys; d=json.load(sys.stdin); assert d["vms"][0]["vm"] == "pid-4242", d' ||
	fail "rtvm-tune revert --dry-run --json"
tsnap | cmp -s - "$tmp/tune.applied" || fail "revert --dry-run changed the host"
[ -e "$troot/run/rtvm/pid-4242.journal" ] || fail "revert --dry-run removed the journal"
"$tune" --sysroot "$troot" revert --pid 4242 --json >"$tmp/rev.json" || fail "rtvm-tune revert"
python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); assert d == {"vm": "pid-4242", "reverted": True}, d' \
	"$tmp/rev.json" || fail "revert --json: $(cat "$tmp/rev.json")"
echo 1 >"$troot/proc/sys/kernel/timer_migration" # our drift, not the tool's
tsnap | cmp -s - "$tmp/tune.before" || fail "revert left the host changed"
# Re-apply: the profile applied already writes nothing (not a byte of the
# sysroot, its journal and rtvm-syscalls.log included), says so, exits 0;
# drift is said and exits 2; another profile is refused, naming the VM.
tdigest() { (cd "$troot" && { find . | LC_ALL=C sort; find . -type f -print0 | LC_ALL=C sort -z | xargs -0 md5sum; } | md5sum); }
"$tune" --sysroot "$troot" apply --builtin rt-host --pid 4242 >/dev/null || fail "re-apply: first apply"
[ -s "$troot/rtvm-syscalls.log" ] || fail "re-apply: the first apply made no system call"
tdigest >"$tmp/tune.applied"
set +e
"$tune" --sysroot "$troot" apply --builtin rt-host --pid 4242 >"$tmp/out" 2>"$tmp/err"; rc=$?
set -e
[ "$rc" = 0 ] || fail "re-apply exit $rc: $(cat "$tmp/err")"
[ "$(cat "$tmp/out")" = "VM pid-4242: already applied: 0 changes" ] || fail "re-apply said: $(cat "$tmp/out")"
[ ! -s "$tmp/err" ] || fail "re-apply without drift warned: $(cat "$tmp/err")"
"$tune" --sysroot "$troot" plan --builtin rt-host --pid 4242 >"$tmp/out" || fail "plan of an applied profile"
grep -qx 'VM pid-4242: already applied: 0 changes (an apply would change nothing)' "$tmp/out" ||
	fail "plan of an applied profile said: $(cat "$tmp/out")"
"$tune" --sysroot "$troot" apply --builtin rt-host --pid 4242 --json >"$tmp/out" || fail "re-apply --json"
grep -q '"applied":[[:space:]]*true' "$tmp/out" && grep -q '"steps":[[:space:]]*\[\]' "$tmp/out" ||
	fail "re-apply --json: $(cat "$tmp/out")"
tdigest | cmp -s - "$tmp/tune.applied" || fail "re-apply or its plan changed the sysroot"
# Another profile: the difference is applied (a plan shows it first and
# changes nothing); the first profile again brings the host back.
tsnap >"$tmp/tune.rthost"
"$tune" --sysroot "$troot" plan --builtin nova-rt --pid 4242 >"$tmp/out" || fail "plan of another profile"
grep -q '^VM pid-4242: profile nova-rt replaces rt-host: [1-9][0-9]* changes planned (dry run): 0 added, 0 changed, [1-9][0-9]* put back$' "$tmp/out" &&
	grep -q '^put back sysctl  *kernel.timer_migration  *0 -> 1$' "$tmp/out" ||
	fail "plan of another profile: $(head -3 "$tmp/out")"
tdigest | cmp -s - "$tmp/tune.applied" || fail "the plan of another profile changed the sysroot"
"$tune" --sysroot "$troot" apply --builtin nova-rt --pid 4242 --json >"$tmp/out" || fail "difference apply"
python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
steps = [s for s in d["steps"] if not s["lease"]]
assert d["update"] and d["profile"] == "nova-rt" and d["previous_profile"] == "rt-host", d
assert steps and all(s["diff"] == "put back" for s in steps), steps[:3]
' "$tmp/out" || fail "difference apply --json: $(head -c 300 "$tmp/out")"
"$tune" --sysroot "$troot" status | grep -q 'VM pid-4242: profile nova-rt.*applied, 0 drifted' || fail "status after the difference apply"
"$tune" --sysroot "$troot" apply --builtin rt-host --pid 4242 >"$tmp/out" || fail "difference apply back"
grep -q '^VM pid-4242: profile rt-host replaces nova-rt: .* [1-9][0-9]* added, 0 changed, 0 put back$' "$tmp/out" ||
	fail "difference apply back said: $(head -1 "$tmp/out")"
tsnap | cmp -s - "$tmp/tune.rthost" || fail "rt-host again: the host differs from its first apply"
tdigest >"$tmp/tune.applied"
echo 1 >"$troot/proc/sys/kernel/timer_migration" # drift
set +e
"$tune" --sysroot "$troot" apply --builtin rt-host --pid 4242 >"$tmp/out" 2>"$tmp/err"; rc=$?
set -e
[ "$rc" = 2 ] || fail "re-apply with drift: exit $rc"
[ "$(cat "$tmp/out")" = "VM pid-4242: already applied: 0 changes" ] || fail "re-apply with drift said: $(cat "$tmp/out")"
grep -q 'VM pid-4242: 1 setting drifted since the apply and is not put back: see rtvm-tune status --pid 4242' "$tmp/err" ||
	fail "re-apply with drift warned: $(cat "$tmp/err")"
[ "$(cat "$troot/proc/sys/kernel/timer_migration")" = 1 ] || fail "re-apply put drift back"
# reconcile: the drift put back (a dry run lists it and changes nothing),
# then nothing to do; the revert after it restores the host as before.
"$tune" --sysroot "$troot" reconcile --pid 4242 --dry-run >"$tmp/out" || fail "reconcile --dry-run"
grep -q '^VM pid-4242: 1 setting would be put back$' "$tmp/out" &&
	grep -q 'kernel.timer_migration .* 1 -> 0$' "$tmp/out" ||
	fail "reconcile --dry-run said: $(cat "$tmp/out")"
[ "$(cat "$troot/proc/sys/kernel/timer_migration")" = 1 ] || fail "reconcile --dry-run put drift back"
"$tune" --sysroot "$troot" reconcile >"$tmp/out" || fail "reconcile: exit $?"
grep -q 'kernel.timer_migration .* 1 -> 0: put back$' "$tmp/out" || fail "reconcile said: $(cat "$tmp/out")"
[ "$(cat "$troot/proc/sys/kernel/timer_migration")" = 0 ] || fail "reconcile left the drift"
tdigest | cmp -s - "$tmp/tune.applied" || fail "reconcile did not bring back the applied state"
"$tune" --sysroot "$troot" reconcile --json >"$tmp/out" || fail "reconcile --json"
python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
assert d["failed"] == 0 and [v["reconciled"] for v in d["vms"]] == [[]], d
' "$tmp/out" || fail "reconcile --json with nothing drifted: $(cat "$tmp/out")"
set +e
"$tune" --sysroot "$troot" reconcile --builtin rt-host 2>/dev/null; rc=$?
"$tune" --sysroot "$troot" reconcile --pid 999 2>"$tmp/err"; rc2=$?
set -e
[ "$rc" = 64 ] || fail "reconcile --builtin: exit $rc"
[ "$rc2" = 1 ] && grep -q 'No such file' "$tmp/err" || fail "reconcile of an unknown VM: exit $rc2: $(cat "$tmp/err")"
# reconcile --watch: quiet while nothing drifts, puts drift back within
# a round, one JSON line per round that did, exit 0 on SIGTERM.
"$tune" --sysroot "$troot" reconcile --watch 50 --json >"$tmp/watch.out" 2>"$tmp/watch.err" &
wpid=$!
sleep 0.3
[ ! -s "$tmp/watch.out" ] || fail "reconcile --watch said something with nothing drifted: $(cat "$tmp/watch.out")"
echo 1 >"$troot/proc/sys/kernel/timer_migration"
i=0
while [ "$(cat "$troot/proc/sys/kernel/timer_migration")" != 0 ] && [ $i -lt 100 ]; do
	sleep 0.05; i=$((i + 1))
done
[ "$(cat "$troot/proc/sys/kernel/timer_migration")" = 0 ] || fail "reconcile --watch left the drift"
sleep 0.2
kill -TERM $wpid
wrc=0; wait $wpid || wrc=$?
[ "$wrc" = 0 ] || fail "reconcile --watch: exit $wrc on SIGTERM: $(cat "$tmp/watch.err")"
python3 -c '
import json, sys
lines = open(sys.argv[1]).read().splitlines()
assert len(lines) == 1, lines
d = json.loads(lines[0])
r = d["vms"][0]["reconciled"]
assert len(r) == 1 and r[0]["target"] == "kernel.timer_migration" and r[0]["result"] == "put back", d
' "$tmp/watch.out" || fail "reconcile --watch --json said: $(cat "$tmp/watch.out")"
set +e
"$tune" --sysroot "$troot" reconcile --watch 5 2>"$tmp/err"; rc=$?
"$tune" --sysroot "$troot" status --watch 100 2>>"$tmp/err"; rc2=$?
"$tune" --sysroot "$troot" reconcile --watch 100 --dry-run 2>>"$tmp/err"; rc3=$?
set -e
[ "$rc" = 64 ] && [ "$rc2" = 64 ] && [ "$rc3" = 64 ] && grep -q -- '--watch.*"5"\|"5".*--watch' "$tmp/err" ||
	fail "reconcile --watch usage: exits $rc $rc2 $rc3: $(cat "$tmp/err")"
echo 1 >"$troot/proc/sys/kernel/timer_migration" # drift again, for the revert
"$tune" --sysroot "$troot" revert --pid 4242 >/dev/null || fail "revert after re-apply"
tsnap | cmp -s - "$tmp/tune.before" || fail "revert after re-apply left the host changed"
# recover: a finished apply stays; one whose journal lacks the completion
# mark (the process died in its middle) is reverted.
"$tune" --sysroot "$troot" apply --builtin rt-host --pid 4242 >/dev/null || fail "apply 2"
"$tune" --sysroot "$troot" recover | grep -q 'no unfinished apply' || fail "recover touched a finished apply"
"$tune" --sysroot "$troot" status | grep -q 'pid-4242.*applied' || fail "recover: status"
sed -i '/"complete"/d' "$troot/run/rtvm/pid-4242.journal"
"$tune" --sysroot "$troot" status | grep -q 'UNFINISHED' || fail "status of an unfinished apply"
"$tune" --sysroot "$troot" recover --dry-run --json | grep -q '"vm":"pid-4242","reverted":false' ||
	fail "recover --dry-run: $("$tune" --sysroot "$troot" recover --dry-run --json)"
[ -e "$troot/run/rtvm/pid-4242.journal" ] || fail "recover --dry-run reverted"
"$tune" --sysroot "$troot" recover | grep -q 'VM pid-4242: unfinished apply reverted' || fail "recover"
[ ! -e "$troot/run/rtvm/pid-4242.journal" ] || fail "recover kept the journal"
tsnap | cmp -s - "$tmp/tune.before" || fail "recover left the host changed"
set +e
"$tune" --sysroot "$troot" recover --pid 4242 2>"$tmp/err"; rc=$?
set -e
[ "$rc" = 64 ] && grep -q 'recover takes' "$tmp/err" || fail "recover --pid exit $rc"
# RT group scheduling: libvirt's per-vCPU cpu cgroups without RT runtime.
# With provision_rt_runtime the plan lists the cpu.rt_runtime_us writes
# (JSON and text, counted), before the vCPUs' priorities; the apply makes
# them, revert takes them back.
rroot="$tmp/rtgroup"
sh "$top_srcdir/tests/fixtures/gen-irqhost.sh" "$rroot"
rcg="$rroot/sys/fs/cgroup/cpu,cpuacct"
lv='machine.slice/machine-qemu\x2d1\x2dvm1.scope/libvirt'
echo 950000 >"$rcg/cpu.rt_runtime_us"
echo 1000000 >"$rcg/cpu.rt_period_us"
for d in machine.slice 'machine.slice/machine-qemu\x2d1\x2dvm1.scope' "$lv" "$lv/vcpu0" "$lv/vcpu1" "$lv/emulator"; do
	echo 0 >"$rcg/$d/cpu.rt_runtime_us"
done
cat >"$tmp/prov.json" <<'EOF_PROV'
{"version": 1, "name": "prov", "rt_cpus": "2-3", "housekeeping_cpus": "0-1",
 "policies": {"rt_vcpu": {"policy": "fifo", "priority": 5}},
 "provision_rt_runtime": true}
EOF_PROV
"$tune" --sysroot "$rroot" plan --profile "$tmp/prov.json" --pid 4242 --json >"$tmp/prov.plan" 2>"$tmp/err" ||
	fail "plan with provision_rt_runtime: $(cat "$tmp/err")"
python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
steps = d["steps"]
rt = [(s["target"].split("cpu,cpuacct/")[1], s["old"], s["new"]) for s in steps
      if s["kind"] == "file" and s["target"].endswith("/cpu.rt_runtime_us")]
lv = "machine.slice/machine-qemu\\x2d1\\x2dvm1.scope/libvirt"
want = [(lv + "/vcpu0/cpu.rt_runtime_us", "0", "10000"),
        (lv + "/vcpu1/cpu.rt_runtime_us", "0", "10000")]
assert [x for x in rt if "/vcpu" in x[0]] == want, rt
assert ("machine.slice/cpu.rt_runtime_us", "0", "10000") == rt[0], rt
last = max(i for i, s in enumerate(steps) if s["target"].endswith("/cpu.rt_runtime_us"))
sched = [i for i, s in enumerate(steps) if s["kind"] == "thread_sched" and s["target"].startswith("4242/425")]
assert sched and last < min(sched), (last, sched)
' "$tmp/prov.plan" || fail "plan --json does not list the RT runtime: $(head -c 2000 "$tmp/prov.plan")"
"$tune" --sysroot "$rroot" plan --profile "$tmp/prov.json" --pid 4242 >"$tmp/out" || fail "plan (text) with provision_rt_runtime"
n=$(python3 -c 'import json,sys; print(len([s for s in json.load(open(sys.argv[1]))["steps"] if not s["lease"]]))' "$tmp/prov.plan")
grep -q "^VM pid-4242: $n changes planned" "$tmp/out" &&
	grep -q 'libvirt/vcpu1/cpu.rt_runtime_us  *0 -> 10000$' "$tmp/out" ||
	fail "plan (text) with provision_rt_runtime ($n steps): $(cat "$tmp/out")"
[ "$(cat "$rcg/$lv/vcpu1/cpu.rt_runtime_us")" = 0 ] || fail "plan gave RT runtime"
"$tune" --sysroot "$rroot" apply --profile "$tmp/prov.json" --pid 4242 >/dev/null || fail "apply with provision_rt_runtime"
[ "$(cat "$rcg/$lv/vcpu1/cpu.rt_runtime_us")" = 10000 ] || fail "apply did not give vcpu1 RT runtime"
grep -q 'vcpu1/cpu.rt_runtime_us' "$rroot/run/rtvm/pid-4242.journal" || fail "the RT runtime is not journaled"
"$tune" --sysroot "$rroot" revert --pid 4242 >/dev/null || fail "revert with provision_rt_runtime"
for d in machine.slice "$lv" "$lv/vcpu0" "$lv/vcpu1"; do
	[ "$(cat "$rcg/$d/cpu.rt_runtime_us")" = 0 ] || fail "revert left RT runtime in $d"
done
printf '{"version": 1, "vcpus": [{"pcpu": 2}, {"pcpu": 3, "priority": 120}]}' >"$tmp/bad.json"
set +e
"$tune" --sysroot "$troot" plan --profile "$tmp/bad.json" --pid 4242 >"$tmp/out" 2>"$tmp/err"; rc=$?
"$tune" plan --pid 4242 2>/dev/null; rc2=$?
"$tune" --sysroot "$troot" revert --pid 4242 2>/dev/null; rc3=$?
set -e
[ "$rc" = 1 ] || fail "bad profile exit $rc"
grep -q '.vcpus\[1\].priority: 120 is outside 1..99' "$tmp/err" || fail "bad profile path not named: $(cat "$tmp/err")"
[ ! -s "$tmp/out" ] || fail "output despite a bad profile"
[ "$rc2" = 64 ] || fail "plan without a profile exit $rc2"
[ "$rc3" = 1 ] || fail "revert without a journal exit $rc3"
set +e
"$tune" --sysroot "$troot" status --builtin rt-host 2>"$tmp/err"; rc=$?
set -e
[ "$rc" = 64 ] && grep -q 'not --builtin' "$tmp/err" || fail "status --builtin exit $rc"
set +e
"$top_builddir/examples/rtvm-sched" --sysroot "$troot" show --pid 4242 --fifo 1 2>"$tmp/err"; rc=$?
set -e
[ "$rc" = 64 ] && grep -q 'go with set' "$tmp/err" || fail "rtvm-sched show --fifo exit $rc"

# rtvm-libvirt-hook: applies the profile of the domain XML's metadata on
# "started" and reverts it on "stopped" (libvirt's pid file in the sysroot).
hook="$top_builddir/examples/rtvm-libvirt-hook"
mkdir -p "$troot/run/libvirt/qemu"
echo 4242 >"$troot/run/libvirt/qemu/vm1.pid"
cat >"$tmp/dom.xml" <<'XML'
<domain type='kvm'>
  <name>vm1</name>
  <metadata>
    <rtvm:profile xmlns:rtvm="https://librtvm.org/xmlns/profile/1">
      {"version": 1, "name": "hooked", "rt_cpus": "2-3",
       "policies": {"rt_vcpu": {"policy": "fifo", "priority": 7}},
       "host": {"timer_migration": 0}}
    </rtvm:profile>
  </metadata>
</domain>
XML
export RTVM_TUNE="$tune" RTVM_SYSROOT="$troot"
"$hook" vm1 prepare begin - <"$tmp/dom.xml" || fail "hook prepare"
[ ! -e "$troot/run/rtvm/pid-4242.journal" ] || fail "hook applied on prepare"
"$hook" vm1 started begin - <"$tmp/dom.xml" 2>"$tmp/hook.err" || fail "hook started: $(cat "$tmp/hook.err")"
[ -e "$troot/run/rtvm/pid-4242.journal" ] || fail "hook did not apply"
[ "$(cat "$troot/proc/sys/kernel/timer_migration")" = 0 ] || fail "hook: timer_migration"
"$tune" status | grep -q 'profile hooked' || fail "hook: status"
"$hook" vm1 stopped end - <"$tmp/dom.xml" 2>>"$tmp/hook.err" || fail "hook stopped"
[ ! -e "$troot/run/rtvm/pid-4242.journal" ] || fail "hook did not revert"
tsnap | cmp -s - "$tmp/tune.before" || fail "hook revert left the host changed"
sed 's/^ *{"version.*/<!-- -->/; /"policies"/d; /"host"/d' "$tmp/dom.xml" |
	sed 's|<rtvm:profile xmlns:rtvm="https://librtvm.org/xmlns/profile/1">|<rtvm:profile xmlns:rtvm="https://librtvm.org/xmlns/profile/1" builtin="nova-rt"/>|; /<\/rtvm:profile>/d; /<!-- -->/d' >"$tmp/dom2.xml"
"$hook" vm1 started begin - <"$tmp/dom2.xml" 2>"$tmp/hook.err" || fail "hook builtin: $(cat "$tmp/hook.err")"
"$tune" status | grep -q 'profile nova-rt' || fail "hook: builtin status"
"$hook" vm1 stopped end - </dev/null || fail "hook stopped 2"
printf '<domain><name>plain</name></domain>' | "$hook" plain started begin - || fail "hook on a plain domain"
# Bad input: each fails (exit 1) before anything changes, naming the cause.
hook_bad() { # WHAT DOMAIN OP EXPECTED-TEXT < XML
	what=$1; shift
	set +e
	"$hook" "$1" "$2" begin - 2>"$tmp/hook.err"; hrc=$?
	set -e
	[ "$hrc" = 1 ] || fail "hook, $what: exit $hrc"
	grep -q "$3" "$tmp/hook.err" || fail "hook, $what: $(cat "$tmp/hook.err")"
	[ ! -e "$troot/run/rtvm/pid-4242.journal" ] || fail "hook, $what: applied"
}
printf '<domain><name>vm1</name><metadata>' | hook_bad "malformed XML" vm1 started "does not parse"
sed 's/"rt_cpus"/"rt_cpu"/' "$tmp/dom.xml" | hook_bad "invalid profile" vm1 prepare "not valid"
sed 's/"rt_cpus"/"rt_cpu"/' "$tmp/dom.xml" | hook_bad "invalid profile" vm1 started "rt_cpu"
sed 's/builtin="nova-rt"/builtin="no-such"/' "$tmp/dom2.xml" | hook_bad "unknown built-in" vm1 started 'no built-in profile "no-such"'
sed 's|<rtvm:profile xmlns:rtvm="https://librtvm.org/xmlns/profile/1">|<rtvm:profile xmlns:rtvm="https://librtvm.org/xmlns/profile/1" builtin="nova-rt">|' "$tmp/dom.xml" |
	hook_bad "builtin and text" vm1 started "both builtin"
sed 's|<name>vm1</name>|<name>vm2</name>|' "$tmp/dom.xml" | hook_bad "another domain's XML" vm1 started 'describes domain "vm2"'
rm "$troot/run/libvirt/qemu/vm1.pid"
hook_bad "no pid file" vm1 started "cannot read QEMU's pid" <"$tmp/dom.xml"
echo 4242 >"$troot/run/libvirt/qemu/vm1.pid"
RTVM_HOOK_LENIENT=1 "$hook" vm1 started begin - <"$tmp/dom2.xml" >/dev/null 2>&1 || fail "hook lenient"
"$hook" vm1 stopped end - </dev/null 2>/dev/null || fail "hook stopped 3"
# A name that is no file name is left alone, whatever the XML says.
"$hook" ../vm1 started begin - <"$tmp/dom.xml" 2>"$tmp/hook.err" || fail "hook, unsafe name: exit"
grep -q "not a safe file name" "$tmp/hook.err" || fail "hook, unsafe name: $(cat "$tmp/hook.err")"
[ ! -e "$troot/run/rtvm/pid-4242.journal" ] || fail "hook applied for an unsafe name"
# libvirtd restarted while the domain runs: reconnect keeps what is
# applied, and puts back what drifted meanwhile.
"$hook" vm1 started begin - <"$tmp/dom.xml" 2>/dev/null || fail "hook started again"
"$hook" vm1 reconnect begin - <"$tmp/dom.xml" 2>"$tmp/hook.err" || fail "hook reconnect: $(cat "$tmp/hook.err")"
grep -q "already applied" "$tmp/hook.err" || fail "hook reconnect: $(cat "$tmp/hook.err")"
! grep -q "drifted" "$tmp/hook.err" || fail "hook reconnect without drift: $(cat "$tmp/hook.err")"
echo 1 >"$troot/proc/sys/kernel/timer_migration" # drift while libvirtd was away
"$hook" vm1 reconnect begin - <"$tmp/dom.xml" 2>"$tmp/hook.err" || fail "hook reconnect with drift: $(cat "$tmp/hook.err")"
grep -q "1 setting drifted since the apply to pid 4242: reconciled" "$tmp/hook.err" ||
	fail "hook reconnect with drift: $(cat "$tmp/hook.err")"
[ "$(cat "$troot/proc/sys/kernel/timer_migration")" = 0 ] || fail "hook reconnect left the drift"
"$tune" status | grep -q 'profile hooked' || fail "hook: status after reconnect"
"$hook" vm1 migrate begin - <"$tmp/dom.xml" >"$tmp/hook.out" || fail "hook migrate"
[ ! -s "$tmp/hook.out" ] || fail "hook migrate printed XML"
"$hook" vm1 stopped end - </dev/null 2>/dev/null || fail "hook stopped 4"
[ ! -e "$troot/run/rtvm/pid-4242.journal" ] || fail "hook did not revert after reconnect"
tsnap | cmp -s - "$tmp/tune.before" || fail "hook left the host changed"
unset RTVM_TUNE RTVM_SYSROOT

# rtvm-boostd: a configuration error names the key and the value (64);
# --dry-run finds the fixture's QEMU and changes nothing.  rtvm-guest:
# usage errors name the bad value.
boostd="$top_builddir/examples/rtvm-boostd"
guest="$top_builddir/examples/rtvm-guest"
printf '{ "vms": [ { "name": "vm1", "pid": 4242, "listen": "%s/b.sock", "policy": { "max_priority": 120 } } ] }\n' "$tmp" >"$tmp/boostd.json"
set +e
"$boostd" -c "$tmp/boostd.json" --dry-run 2>"$tmp/err"; rc=$?
set -e
[ "$rc" = 64 ] && grep -q 'vms\[0\].policy.max_priority: 120' "$tmp/err" ||
	fail "rtvm-boostd bad ceiling: exit $rc, $(cat "$tmp/err")"
printf '{ "vms": [ { "name": "vm1", "pid": 4242, "listen": "%s/b.sock", "colour": 1 } ] }\n' "$tmp" >"$tmp/boostd.json"
set +e
"$boostd" -c "$tmp/boostd.json" --dry-run 2>"$tmp/err"; rc=$?
set -e
[ "$rc" = 64 ] && grep -q 'vms\[0\].colour: unknown key' "$tmp/err" ||
	fail "rtvm-boostd unknown key: exit $rc, $(cat "$tmp/err")"
for bad in '"doorbell": "%s/bell", "doorbell_vectors": 65' '"doorbell": "%s/bell", "doorbell_vectors": 0' '"doorbell_vectors": 2, "uri": "%s"'; do
	printf '{ "vms": [ { "name": "vm1", "pid": 4242, "listen": "%s/b.sock", '"$bad"' } ] }\n' "$tmp" "$tmp" >"$tmp/boostd.json"
	set +e
	"$boostd" -c "$tmp/boostd.json" --dry-run 2>"$tmp/err"; rc=$?
	set -e
	[ "$rc" = 64 ] && grep -q 'vms\[0\]' "$tmp/err" && grep -q 'vector\|doorbell_vectors' "$tmp/err" ||
		fail "rtvm-boostd $bad: exit $rc, $(cat "$tmp/err")"
done
printf '{ "vms": [ { "name": "vm1", "pid": 4242, "listen": "%s/b.sock", "doorbell": "%s/bell", "doorbell_vectors": 4 } ] }\n' "$tmp" "$tmp" >"$tmp/boostd.json"
"$boostd" -c "$tmp/boostd.json" --sysroot "$root" --dry-run --json >"$tmp/bd.json" ||
	fail "rtvm-boostd --dry-run with a doorbell"
grep -q '"doorbell_vectors":[[:space:]]*4' "$tmp/bd.json" ||
	fail "rtvm-boostd --dry-run does not show the doorbell's vectors: $(cat "$tmp/bd.json")"
[ ! -e "$tmp/bell" ] || fail "rtvm-boostd --dry-run served the doorbell"
printf '{ "vms": [ { "name": "vm1", "pid": 4242, "listen": "%s/b.sock" } ] }\n' "$tmp" >"$tmp/boostd.json"
(cd "$root" && find . -type f -exec md5sum {} + | sort) >"$tmp/bd.before"
"$boostd" -c "$tmp/boostd.json" --sysroot "$root" --dry-run --json >"$tmp/bd.json" ||
	fail "rtvm-boostd --dry-run"
grep -q '"found":[[:space:]]*true' "$tmp/bd.json" && grep -q '"vcpus":[[:space:]]*2' "$tmp/bd.json" ||
	fail "rtvm-boostd --dry-run: $(cat "$tmp/bd.json")"
(cd "$root" && find . -type f -exec md5sum {} + | sort) | cmp -s - "$tmp/bd.before" ||
	fail "rtvm-boostd --dry-run changed the sysroot"
[ ! -e "$tmp/b.sock" ] || fail "rtvm-boostd --dry-run listened"
# A VM's "profile": the profile's "boost" under the entry's own "policy"
# keys, shown by --dry-run; a profile that is unreadable, invalid or has no
# boost is a configuration error naming the entry's key.
printf '{ "vms": [ { "name": "vm1", "pid": 4242, "listen": "%s/b.sock", "profile": "bprof.json", "policy": { "burst": 3, "policies": ["rr"] } } ] }\n' "$tmp" >"$tmp/boostd.json"
"$boostd" -c "$tmp/boostd.json" --sysroot "$root" --dry-run --json >"$tmp/bd.json" ||
	fail "rtvm-boostd --dry-run with a profile"
python3 -c '
import json, sys
v, = json.load(open(sys.argv[1]))["vms"]
assert v["profile"] == "bprof.json", v
assert v["policy"] == {"policies": ["rr"], "max_priority": 20, "max_boost_us": 0, "budget_us": 0, "budget_period_us": 0, "rate": 500, "burst": 3, "max_lead_us": 0}, v
' "$tmp/bd.json" || fail "rtvm-boostd --dry-run --json profile policy: $(cat "$tmp/bd.json")"
"$boostd" -c "$tmp/boostd.json" --sysroot "$root" --dry-run | grep -q 'policy (profile bprof.json.*policies rr, max_priority 20,.* rate 500, burst 3' ||
	fail "rtvm-boostd --dry-run text profile policy"
printf '{"version": 1, "boost": {"rate": -1}}\n' >"$tmp/bbad.json"
printf '{"version": 1, "name": "none"}\n' >"$tmp/bnone.json"
printf '{"version": 1, "boost": {"budget_us": 100, "budget_period_us": 1000}}\n' >"$tmp/bbudget.json"
for case in 'bbad.json|\.boost\.rate: -1 is not a whole number' 'bnone.json|vms\[0\]\.profile: .*has no "boost"' \
	'missing.json|vms\[0\]\.profile: the profile cannot be read'; do
	f=${case%%|*} want=${case#*|}
	printf '{ "vms": [ { "name": "vm1", "pid": 4242, "listen": "%s/b.sock", "profile": "%s" } ] }\n' "$tmp" "$f" >"$tmp/boostd.json"
	set +e
	"$boostd" -c "$tmp/boostd.json" --dry-run >/dev/null 2>"$tmp/err"; rc=$?
	set -e
	[ "$rc" = 64 ] && grep -q "$want" "$tmp/err" ||
		fail "rtvm-boostd profile $f: exit $rc, $(cat "$tmp/err")"
done
# The entry's keys over the profile's are checked as a whole.
printf '{ "vms": [ { "name": "vm1", "pid": 4242, "listen": "%s/b.sock", "profile": "bbudget.json", "policy": { "budget_period_us": 10 } } ] }\n' "$tmp" >"$tmp/boostd.json"
set +e
"$boostd" -c "$tmp/boostd.json" --dry-run >/dev/null 2>"$tmp/err"; rc=$?
set -e
[ "$rc" = 64 ] && grep -q 'vms\[0\]\.policy: budget_us 100 is longer than budget_period_us 10' "$tmp/err" ||
	fail "rtvm-boostd profile budget override: exit $rc, $(cat "$tmp/err")"
set +e
"$guest" boost --fifo 100 -- true 2>"$tmp/err"; rc=$?
"$guest" boost --deadline 5:x -- true 2>>"$tmp/err"; rc2=$?
"$guest" frobnicate 2>>"$tmp/err"; rc3=$?
"$guest" --port "$tmp/none" hello 2>>"$tmp/err"; rc4=$?
"$guest" --doorbell "$tmp" hello 2>>"$tmp/err"; rc5=$?
"$guest" --doorbell "$tmp" --port "$tmp/none" bench 2>>"$tmp/err"; rc6=$?
"$guest" auto --hysteresis 5x 2>>"$tmp/err"; rc7=$?
"$guest" auto --fifo 5 stray 2>>"$tmp/err"; rc8=$?
set -e
[ "$rc" = 64 ] && [ "$rc2" = 64 ] && [ "$rc3" = 64 ] && [ "$rc4" = 1 ] &&
	[ "$rc5" = 64 ] && [ "$rc6" = 64 ] && [ "$rc7" = 64 ] && [ "$rc8" = 64 ] ||
	fail "rtvm-guest exits $rc $rc2 $rc3 $rc4 $rc5 $rc6 $rc7 $rc8: $(cat "$tmp/err")"
for want in '"100"' '"5:x"' '"frobnicate"' "$tmp/none" '"5x"' '"stray"'; do
	grep -q -- "$want" "$tmp/err" || fail "rtvm-guest did not name $want: $(cat "$tmp/err")"
done

# Names from the host are printed escaped: a thread name with a newline
# adds no line to a table, control bytes and invalid UTF-8 become \n, \t,
# \xNN, a backslash and valid UTF-8 stay; JSON is valid UTF-8 (the bytes
# that are not become the text \xNN).  The IRQ fixture with such thread
# names (raw in stat and comm, as the kernel writes them there), a control
# character in /proc/cmdline and an IRQ action name with invalid UTF-8 in
# /proc/interrupts.
sh "$top_srcdir/tests/fixtures/gen-irqhost.sh" "$tmp/evilhost"
eroot="$(cd "$tmp/evilhost" && pwd)"
# evil_thread PID TID NAME: a copy of PID's first thread, named NAME.
evil_thread() {
	cp -R "$eroot/proc/$1/task/$1" "$eroot/proc/$1/task/$2"
	printf '%s (%s)%s\n' "$2" "$3" \
		"$(sed 's/^[^)]*)//' "$eroot/proc/$1/task/$1/stat")" \
		>"$eroot/proc/$1/task/$2/stat"
	printf '%s\n' "$3" >"$eroot/proc/$1/task/$2/comm"
}
evil_thread 5000 5001 "$(printf 'evil\nname')"
evil_thread 5000 5002 "$(printf 'tab\there')"
evil_thread 5000 5003 "$(printf 'esc\033[31mred')"
evil_thread 5000 5004 'back\slash'
evil_thread 5000 5005 "$(printf 'bad\377byte')"
evil_thread 5000 5006 "$(printf 'cut\342\202')"
evil_thread 5000 5007 "$(printf 'M\303\274ller \342\234\223')"
evil_thread 4242 4254 "$(printf 'CPU 2/KVM\nx')"
evil_thread 4242 4255 "$(printf 'IO io\377thread')"
printf '%s idle=\033]0;pwned\007\n' "$(cat "$eroot/proc/cmdline")" >"$tmp/cmdline"
mv "$tmp/cmdline" "$eroot/proc/cmdline"
LC_ALL=C sed "/^123:/s/eth0-TxRx-1\$/$(printf 'eth0-Tx\377Rx\033[m-1')/" \
	"$eroot/proc/interrupts" >"$tmp/interrupts"
mv "$tmp/interrupts" "$eroot/proc/interrupts"
LC_ALL=C grep -q "$(printf 'Tx\377Rx')" "$eroot/proc/interrupts" || fail "evil fixture: no IRQ name"
# clean FILE WHAT: FILE is valid UTF-8 without control bytes but newlines.
clean() {
	iconv -f UTF-8 -t UTF-8 "$1" >/dev/null 2>&1 ||
		fail "$2: not valid UTF-8: $(od -c "$1" | head -20)"
	if tr -d '\n' <"$1" | LC_ALL=C grep -q '[[:cntrl:]]'; then
		fail "$2: raw control bytes: $(LC_ALL=C grep '[[:cntrl:]]' "$1" | od -c | head -20)"
	fi
}
# ends FILE TEXT WHAT: a line of FILE ends with TEXT (taken as it is).
ends() {
	T=$2 awk 'BEGIN { t = ENVIRON["T"] }
		length($0) >= length(t) && substr($0, length($0) - length(t) + 1) == t { f = 1 }
		END { exit !f }' "$1" || fail "$3: no line ends with \"$2\": $(cat "$1")"
}
# jcheck FILE PYTHON-EXPR WHAT: FILE decodes as strict UTF-8 and parses as
# JSON (d), and the expression holds.
jcheck() {
	if command -v python3 >/dev/null 2>&1; then
		python3 -c 'import json, sys
d = json.loads(open(sys.argv[1], "rb").read().decode("utf-8", "strict"))
sys.exit(0 if eval("(" + sys.argv[2] + ")") else 1)' "$1" "$2" || fail "$3: $2"
	fi
}
"$show" --sysroot "$eroot" threads >"$tmp/ev.txt" || fail "rtvm-show on the evil fixture"
clean "$tmp/ev.txt" "rtvm-show threads"
want=$(($(ls -d "$eroot"/proc/[0-9]*/task/[0-9]* | wc -l) + 1))
[ "$(wc -l <"$tmp/ev.txt")" = "$want" ] ||
	fail "rtvm-show threads: $(wc -l <"$tmp/ev.txt") lines, not $want"
for n in 'evil\nname' 'tab\there' 'esc\x1b[31mred' 'back\slash' 'bad\xffbyte' \
	'cut\xe2\x82' "$(printf 'M\303\274ller \342\234\223')" 'CPU 2/KVM\nx' \
	'IO io\xffthread'; do
	ends "$tmp/ev.txt" " $n" "rtvm-show threads"
done
"$show" --sysroot "$eroot" cmdline >"$tmp/ev.txt" || fail "rtvm-show cmdline"
clean "$tmp/ev.txt" "rtvm-show cmdline"
want=$(($("$show" --sysroot "$iroot" cmdline | wc -l) + 1))
[ "$(wc -l <"$tmp/ev.txt")" = "$want" ] ||
	fail "rtvm-show cmdline: $(wc -l <"$tmp/ev.txt") lines, not $want"
ends "$tmp/ev.txt" ' "dyndbg=file drivers/x +p" idle=\x1b]0;pwned\x07' "rtvm-show cmdline"
ends "$tmp/ev.txt" '  idle                     \x1b]0;pwned\x07' "rtvm-show cmdline"
"$show" --sysroot "$eroot" --json >"$tmp/ev.json" || fail "rtvm-show --json"
jcheck "$tmp/ev.json" '{t["tid"]: t["comm"] for t in d["threads"] if t["pid"] == 5000} == {
	5000: "backup", 5001: "evil\nname", 5002: "tab\there", 5003: "esc\x1b[31mred",
	5004: "back\\slash", 5005: "bad\\xffbyte", 5006: "cut\\xe2\\x82",
	5007: "M\u00fcller \u2713"}' "rtvm-show --json: comms"
jcheck "$tmp/ev.json" 'd["cmdline"]["raw"].endswith(" idle=\x1b]0;pwned\x07") and
	d["cmdline"]["params"][-1] == {"key": "idle", "value": "\x1b]0;pwned\x07"}' \
	"rtvm-show --json: cmdline"
# The library's messages quote files: escaped too, one line each.
cp "$eroot/sys/devices/system/cpu/isolated" "$tmp/isolated"
printf '2-15\n\033[2J\377\n' >"$eroot/sys/devices/system/cpu/isolated"
set +e
"$show" --sysroot "$eroot" cpus >/dev/null 2>"$tmp/ev.txt"; rc=$?
set -e
cp "$tmp/isolated" "$eroot/sys/devices/system/cpu/isolated"
[ "$rc" = 1 ] || fail "rtvm-show with a bad isolated list: exit $rc"
clean "$tmp/ev.txt" "the library's messages"
ends "$tmp/ev.txt" 'cannot parse the CPU list "2-15\n\x1b[2J\xff"' "the library's messages"
! grep -v '^rtvm-show: ' "$tmp/ev.txt" >/dev/null ||
	fail "the library's messages: a line that is no message: $(cat "$tmp/ev.txt")"
# rtvm-sched: the VM's threads, one line each; the raw name decides the
# role (a vCPU name with a newline in it is no vCPU).
"$sched" --sysroot "$eroot" show --pid 4242 >"$tmp/ev.txt" || fail "rtvm-sched show on the evil fixture"
clean "$tmp/ev.txt" "rtvm-sched show"
[ "$(wc -l <"$tmp/ev.txt")" = 8 ] || fail "rtvm-sched show: $(wc -l <"$tmp/ev.txt") lines, not 8"
grep -q '^4254 *other .* CPU 2/KVM\\nx ' "$tmp/ev.txt" || fail "rtvm-sched show: 4254: $(cat "$tmp/ev.txt")"
grep -q '^4255 *iothread .* io\\xffthread ' "$tmp/ev.txt" || fail "rtvm-sched show: 4255: $(cat "$tmp/ev.txt")"
"$sched" --sysroot "$eroot" show --pid 4242 --json >"$tmp/ev.json" || fail "rtvm-sched show --json"
jcheck "$tmp/ev.json" '[(t["tid"], t["role"], t["name"]) for t in d["threads"]][-2:] ==
	[(4254, "other", "CPU 2/KVM\nx"), (4255, "iothread", "io\\xffthread")]' "rtvm-sched show --json"
# rtvm-irq: as many lines as on the clean fixture.
"$irq" --sysroot "$eroot" list >"$tmp/ev.txt" || fail "rtvm-irq list on the evil fixture"
clean "$tmp/ev.txt" "rtvm-irq list"
want=$("$irq" --sysroot "$iroot" list | wc -l)
[ "$(wc -l <"$tmp/ev.txt")" = "$want" ] || fail "rtvm-irq list: $(wc -l <"$tmp/ev.txt") lines, not $want"
ends "$tmp/ev.txt" ' eth0-Tx\xffRx\x1b[m-1' "rtvm-irq list"
"$irq" --sysroot "$eroot" show 123 >"$tmp/ev.txt" || fail "rtvm-irq show 123"
clean "$tmp/ev.txt" "rtvm-irq show"
grep -qx 'name: *eth0-Tx\\xffRx\\x1b\[m-1' "$tmp/ev.txt" || fail "rtvm-irq show: $(cat "$tmp/ev.txt")"
"$irq" --sysroot "$eroot" list --json >"$tmp/ev.json" || fail "rtvm-irq list --json"
jcheck "$tmp/ev.json" '[q["name"] for q in d if q["irq"] == 123] == ["eth0-Tx\\xffRx\x1b[m-1"]' \
	"rtvm-irq list --json"
# rtvm-check quotes the command line and IRQ names (--verbose: every
# detail, and the library's debug messages).
set +e
"$check" --sysroot "$eroot" --rt-cpus 2-15,34-47 --verbose >"$tmp/ev.txt" 2>"$tmp/ev.err"; rc=$?
"$check" --sysroot "$eroot" --rt-cpus 2-15,34-47 --json >"$tmp/ev.json"; rc2=$?
set -e
[ "$rc" -le 2 ] && [ "$rc2" -le 2 ] || fail "rtvm-check on the evil fixture: exit $rc $rc2"
clean "$tmp/ev.txt" "rtvm-check"
clean "$tmp/ev.err" "rtvm-check --verbose, stderr"
grep -q '^PASS *cmdline\.misc .* also: idle=\\x1b]0;pwned\\x07 intel_pstate=disable$' "$tmp/ev.txt" ||
	fail "rtvm-check: cmdline.misc: $(grep cmdline.misc "$tmp/ev.txt")"
grep -q '^WARN *irq\.rt_cpus .* 123 (eth0-Tx\\xffRx\\x1b\[m-1), ' "$tmp/ev.txt" ||
	fail "rtvm-check: irq.rt_cpus does not name IRQ 123 escaped"
ends "$tmp/ev.txt" ' idle=\x1b]0;pwned\x07 limits idle states on every CPU (PM QoS can limit the RT CPUs alone)' \
	"rtvm-check: cmdline.misc detail"
jcheck "$tmp/ev.json" '[c["observed"] for c in d["checks"] if c["id"] == "cmdline.misc"] ==
	["skew_tick=1 tsc=reliable nosoftlockup present; also: idle=\x1b]0;pwned\x07 intel_pstate=disable"]' \
	"rtvm-check --json: cmdline.misc"
jcheck "$tmp/ev.json" '["eth0-Tx\\xffRx\x1b[m-1" in c["observed"] for c in d["checks"] if c["id"] == "irq.rt_cpus"] == [True]' \
	"rtvm-check --json: irq.rt_cpus"

b="$top_builddir/examples"
# The grammar of every tool: --help on stdout and 0, --version as
# "NAME VERSION" and 0, an unknown option 64 with nothing on stdout, and
# the tools that read a host take --json, --sysroot and --verbose.
for src in "$top_srcdir"/examples/rtvm-*.c; do
	t=$(basename "$src" .c)
	"$b/$t" --help >"$tmp/out" 2>/dev/null || fail "$t --help: exit $?"
	grep -q -- '--version' "$tmp/out" || fail "$t --help does not list --version"
	v=$("$b/$t" --version) || fail "$t --version: exit $?"
	case "$v" in "$t "[0-9]*) ;; *) fail "$t --version says \"$v\"" ;; esac
	set +e
	"$b/$t" --no-such-option >"$tmp/out" 2>"$tmp/err"; rc=$?
	set -e
	[ "$rc" = 64 ] || fail "$t --no-such-option: exit $rc, not 64"
	[ ! -s "$tmp/out" ] || fail "$t --no-such-option printed on stdout"
	# The guest's tool runs in the guest, the hook is run by libvirtd
	# with its fixed arguments (and logs to syslog), the demo runs a VM
	# on this very host: no sysroot for it.
	case $t in
	rtvm-guest|rtvm-libvirt-hook) continue ;;
	rtvm-demo) opts="--json --verbose" ;;
	*) opts="--json --sysroot --verbose" ;;
	esac
	"$b/$t" --help >"$tmp/out" 2>/dev/null
	for o in $opts; do
		grep -q -- "$o" "$tmp/out" || fail "$t --help does not list $o"
	done
done

# Numbers: every tool parses them the same way (examples/tool.c): no sign
# for unsigned options, no trailing text, the range named, exit 64.
number() {
	want=$1; shift
	set +e
	"$@" >"$tmp/out" 2>"$tmp/err"; rc=$?
	set -e
	[ "$rc" = 64 ] || fail "$*: exit $rc, not 64"
	grep -qF -- "$want" "$tmp/err" || fail "$*: does not say $want: $(cat "$tmp/err")"
	[ ! -s "$tmp/out" ] || fail "$*: output despite bad input"
}
number '--threshold: "-5" is not a whole number from 1 to 1000000' \
	"$b/rtvm-check" --sysroot "$root" --threshold -5
number '--pid: "12x" is not a whole number from 1 to 2147483647' \
	"$b/rtvm-tune" --sysroot "$root" --pid 12x status
number '--nice: "-21" is not a whole number from -20 to 19' \
	"$b/rtvm-sched" --sysroot "$root" --nice -21 set 1
number '--retries: "3x" is not a whole number' \
	"$b/rtvm-irq" --sysroot "$root" --retries 3x steer
number '--tids: "0" is not a whole number from 1' \
	"$b/rtvm-shield" --sysroot "$root" --tids 1,0 add
number '--count: "1 " is not a whole number' \
	"$b/rtvm-top" --sysroot "$root" --pid 1 --count '1 '

# And this very machine, read-only.
"$show" --json >/dev/null || fail "rtvm-show on this host"
echo "ok: rtvm-show and rtvm-capture"
