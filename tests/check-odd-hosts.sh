#!/bin/sh
# Every tool that reads the host model, on each host of
# tests/fixtures/gen-odd.sh (sparse and large NUMA node ids, memory-only
# nodes, multiple dies, hybrid and big.LITTLE cores, sysfs without the
# summary files, no /proc/cmdline, CPU 0 offline): none may fail, and what
# rtvm-show and rtvm-check say is checked against the fixture field by
# field.  Only fixture copies are changed (rtvm-shield create/destroy).
set -eu
top_srcdir=${top_srcdir:-.}
top_builddir=${top_builddir:-.}
bin="$top_builddir/examples"
bin_abs=$(cd "$bin" && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail() { echo "FAIL: $*"; exit 1; }

sh "$top_srcdir/tests/fixtures/gen-odd.sh" "$tmp/odd"
shapes="sparse-nodes gpu-nodes multi-die hybrid biglittle no-summary no-cmdline offline0"
[ "$(ls "$tmp/odd" | sort | tr '\n' ' ')" = \
	"$(echo $shapes | tr ' ' '\n' | sort | tr '\n' ' ')" ] ||
	fail "gen-odd.sh made $(ls "$tmp/odd")"

# json FILE EXPR: EXPR (Python, over d = the document) must hold.
json() {
	python3 -c 'import json,sys
d=json.load(open(sys.argv[1]))
if not eval(sys.argv[2]): sys.exit("does not hold: " + sys.argv[2])' "$1" "$2" ||
		fail "$shape: $(basename "$1"): $2"
}
have_py=false
command -v python3 >/dev/null 2>&1 && have_py=true

for shape in $shapes; do
	root=$tmp/odd/$shape
	out=$tmp/$shape
	mkdir "$out"
	# Every section, text and JSON.
	"$bin/rtvm-show" --sysroot "$root" all >"$out/show.txt" 2>"$out/err" ||
		fail "$shape: rtvm-show: $(cat "$out/err")"
	"$bin/rtvm-show" --sysroot "$root" --json >"$out/show.json" 2>"$out/err" ||
		fail "$shape: rtvm-show --json: $(cat "$out/err")"
	last=$(sed -n 's/^possible .*online \([0-9,-]*\) .*/\1/p' "$out/show.txt")
	last=${last##*[,-]}
	# The checks: a verdict (0 pass, 1 warn, 2 fail), never an error.
	for rt in "" "--rt-cpus $last"; do
		set +e
		"$bin/rtvm-check" --sysroot "$root" $rt --json >"$out/check.json" 2>"$out/err"
		rc=$?
		set -e
		[ $rc -le 2 ] || fail "$shape: rtvm-check $rt: exit $rc: $(cat "$out/err")"
		if $have_py; then
			json "$out/check.json" 'len(d["checks"]) >= 30'
		fi
	done
	"$bin/rtvm-irq" --sysroot "$root" list >/dev/null 2>"$out/err" ||
		fail "$shape: rtvm-irq list: $(cat "$out/err")"
	"$bin/rtvm-irq" --sysroot "$root" steer --away-from "$last" --dry-run >/dev/null 2>"$out/err" ||
		fail "$shape: rtvm-irq steer --dry-run: $(cat "$out/err")"
	"$bin/rtvm-shield" --sysroot "$root" create --rt-cpus "$last" --dry-run --json >"$out/shield.json" 2>"$out/err" ||
		fail "$shape: rtvm-shield create --dry-run: $(cat "$out/err")"
	"$bin/rtvm-capture" --sysroot "$root" "$out/copy" >/dev/null 2>"$out/err" ||
		fail "$shape: rtvm-capture: $(cat "$out/err")"
	"$bin/rtvm-show" --sysroot "$out/copy" --json cpus >"$out/copy.json" 2>"$out/err" ||
		fail "$shape: rtvm-show of the capture: $(cat "$out/err")"
	"$bin/rtvm-show" --sysroot "$root" --json cpus >"$out/cpus.json"
	sed 's|"root":.*||' "$out/cpus.json" >"$out/a"
	sed 's|"root":.*||' "$out/copy.json" >"$out/b"
	cmp -s "$out/a" "$out/b" ||
		fail "$shape: the capture shows differently: $(diff "$out/a" "$out/b" | head -10)"
done

$have_py || { echo "note: no python3: the JSON fields were not checked"; exit 0; }

# Field by field.
c() { echo "[x for x in d[\"cpus\"][\"cpus\"] if x[\"cpu\"] == $1][0]"; }
shape=sparse-nodes
f=$tmp/$shape/show.json
json "$f" 'd["cpus"]["nodes"] == {"possible": "0-2,33-34,45,72-73", "online": "0,2,33,72", "has_cpu": "0,2", "has_memory": "0,2,33,72"}'
json "$f" "$(c 5)[\"node\"] == 2 and $(c 1)[\"siblings\"] == \"0-1\""
json "$f" 'd["cpus"]["topology"] == {"packages": 1, "dies": 1, "cores": 4, "threads": 8}'
shape=gpu-nodes
json "$tmp/$shape/show.json" 'd["cpus"]["nodes"]["possible"] == "0,8,250-255" and d["cpus"]["nodes"]["has_memory"] == "0,250-255"'
shape=multi-die
f=$tmp/$shape/show.json
json "$f" 'd["cpus"]["topology"] == {"packages": 2, "dies": 4, "cores": 32, "threads": 32}'
json "$f" "$(c 9)[\"die\"] == 1 and $(c 9)[\"core\"] == 1 and $(c 17)[\"package\"] == 1"
shape=hybrid
f=$tmp/$shape/show.json
json "$f" "$(c 0)[\"core_type\"] == \"performance\" and $(c 8)[\"core_type\"] == \"efficiency\" and $(c 8)[\"cluster\"] == 32"
json "$f" 'd["cpus"]["topology"]["cores"] == 8'
shape=biglittle
f=$tmp/$shape/show.json
json "$f" "$(c 0)[\"capacity\"] == 446 and $(c 0)[\"core_type\"] == \"efficiency\" and $(c 4)[\"core_type\"] == \"performance\" and \"die\" not in $(c 4)"
shape=no-summary
f=$tmp/$shape/show.json
json "$f" 'd["cpus"]["possible"] == "0-3" and d["cpus"]["present"] == "0-3" and d["cpus"]["online"] == "0-2"'
json "$f" "$(c 3)[\"online\"] is False and \"core\" not in $(c 3)"
shape=no-cmdline
json "$tmp/$shape/show.json" 'd["cmdline"]["raw"] is None'
grep -q 'unknown (this host has no readable /proc/cmdline)' "$tmp/$shape/show.txt" ||
	fail "no-cmdline: rtvm-show does not say the command line is unknown"
shape=offline0
json "$tmp/$shape/show.json" "d[\"cpus\"][\"online\"] == \"1-3\" and $(c 0)[\"online\"] is False"

# The checks on them: core types, NUMA spread, the command line skipped.
"$bin/rtvm-check" --sysroot "$tmp/odd/hybrid" --rt-cpus 6-9 --only topology.core_types >"$tmp/out" || :
grep -q 'WARN.*RT CPUs mix core types: performance CPUs 6-7, efficiency CPUs 8-9' "$tmp/out" ||
	fail "hybrid: mixed core types not said: $(cat "$tmp/out")"
"$bin/rtvm-check" --sysroot "$tmp/odd/multi-die" --rt-cpus 6-9 --only topology.numa >"$tmp/out" || :
grep -q 'INFO.*RT CPUs on 2 NUMA nodes (0-1), 2 package/dies' "$tmp/out" ||
	fail "multi-die: NUMA spread not said: $(cat "$tmp/out")"
# A VM whose memory is on node 1 while its RT CPUs are on node 0.
mkdir -p "$tmp/odd/multi-die/proc/4242"
echo '7f0000000000 default anon=1000 N1=262144 kernelpagesize_kB=4' \
	>"$tmp/odd/multi-die/proc/4242/numa_maps"
"$bin/rtvm-check" --sysroot "$tmp/odd/multi-die" --rt-cpus 0-1 --pid 4242 \
	--only topology.numa -v >"$tmp/out" || :
grep -q "VM 4242's memory: node 1 1.0 GiB (100%); RT CPUs on a node with less than a tenth of it" "$tmp/out" ||
	fail "multi-die: the VM's memory node not said: $(cat "$tmp/out")"
set +e
"$bin/rtvm-check" --sysroot "$tmp/odd/multi-die" --pid x >/dev/null 2>"$tmp/err"; rc=$?
set -e
[ "$rc" = 64 ] && grep -q '"x"' "$tmp/err" || fail "rtvm-check --pid x: exit $rc, $(cat "$tmp/err")"
"$bin/rtvm-check" --sysroot "$tmp/odd/no-cmdline" --rt-cpus 1 --only cmdline. --json >"$tmp/out.json" || :
shape=no-cmdline
json "$tmp/out.json" 'all(x["status"] == "skip" for x in d["checks"]) and len(d["checks"]) == 5'

# A shield with sparse node ids: the housekeeping and RT cpusets get the
# root's mems, and destroy puts everything back.
root=$tmp/odd/sparse-nodes
cp -R "$root" "$tmp/before"
"$bin/rtvm-shield" --sysroot "$root" create --rt-cpus 6-7 --save "$tmp/shield.json" >/dev/null ||
	fail "sparse-nodes: rtvm-shield create"
[ "$(cat "$root/sys/fs/cgroup/cpuset/rtvm-rt/cpuset.mems")" = "0,2,33,72" ] ||
	fail "sparse-nodes: RT cpuset mems $(cat "$root/sys/fs/cgroup/cpuset/rtvm-rt/cpuset.mems")"
"$bin/rtvm-shield" --sysroot "$root" destroy --from "$tmp/shield.json" >/dev/null ||
	fail "sparse-nodes: rtvm-shield destroy"
# (the sysroot's simulated writes may drop a final newline: values compare)
(cd "$tmp/before" && find sys/fs/cgroup | sort) >"$tmp/l1"
(cd "$root" && find sys/fs/cgroup | sort) >"$tmp/l2"
cmp -s "$tmp/l1" "$tmp/l2" || fail "sparse-nodes: the shield left cgroups: $(diff "$tmp/l1" "$tmp/l2")"
for f in $(cd "$root" && find sys/fs/cgroup -type f); do
	[ "$(cat "$tmp/before/$f")" = "$(cat "$root/$f")" ] ||
		fail "sparse-nodes: $f is $(cat "$root/$f"), was $(cat "$tmp/before/$f")"
done

# A relative --sysroot (and RTVM_SYSROOT) is taken against the current
# directory.
(cd "$tmp/odd" && "$bin_abs/rtvm-show" --sysroot multi-die cpus) >"$tmp/out" 2>&1 ||
	fail "relative --sysroot: $(cat "$tmp/out")"
grep -q '^possible 0-31' "$tmp/out" || fail "relative --sysroot shows $(head -1 "$tmp/out")"
(cd "$tmp/odd" && RTVM_SYSROOT=hybrid "$bin_abs/rtvm-show" cpus) >"$tmp/out" 2>&1 ||
	fail "relative RTVM_SYSROOT: $(cat "$tmp/out")"
grep -q '^possible 0-11' "$tmp/out" || fail "relative RTVM_SYSROOT shows $(head -1 "$tmp/out")"
echo "ok: $shapes"
