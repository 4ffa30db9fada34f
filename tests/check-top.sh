#!/bin/sh
# rtvm-top on the host64 fixture (two snapshots are the fixture's files,
# which do not change: every delta is 0, every figure present), its usage
# errors, its JSON, CSV, text and Prometheus outputs; then on this host
# with a fake VM of the test's own (a child with a thread named like a
# vCPU), scraped over loopback with curl.
set -eu
top_srcdir=${top_srcdir:-.}
top_builddir=${top_builddir:-.}
top="$top_builddir/examples/rtvm-top"
tmp=$(mktemp -d)
pids=""
trap 'for p in $pids; do kill "$p" 2>/dev/null || :; done; rm -rf "$tmp"' EXIT
fail() { echo "FAIL: $*"; exit 1; }

sh "$top_srcdir/tests/fixtures/gen-host64.sh" "$tmp/host64"
root="$(cd "$tmp/host64" && pwd)"
for t in 4242 4250 4251 4252 4253; do
	echo "$((t * 1000)) $t 7" >"$root/proc/4242/task/$t/schedstat"
done
printf 'cpu  1 2 3 4 5 6 7 8 0 0\ncpu0 1 2 3 4 5 6 7 8 0 0\ncpu2 1 2 3 4 5 6 7 8 0 0\n' >"$root/proc/stat"
printf '           CPU0       CPU2\n 24:  5  9   PCI-MSI 1-edge eth0\nLOC:  10  20   Local timer interrupts\n' >"$root/proc/interrupts"

# Usage: 64, naming the bad value.
usage() {
	want=$1
	shift
	set +e
	"$top" "$@" >/dev/null 2>"$tmp/err"
	rc=$?
	set -e
	[ "$rc" = 64 ] || fail "rtvm-top $*: exit $rc, not 64: $(cat "$tmp/err")"
	grep -q -- "$want" "$tmp/err" || fail "rtvm-top $*: does not name $want: $(cat "$tmp/err")"
}
usage "which VMs" --sysroot "$root"
usage '"abc"' --pid abc
usage '"0"' --pid 0
usage '"5" is not a whole number from 10' --pid 1 --interval 5
usage '"-3"' --pid 1 --count -3
usage "choose one" --pid 1 --json --csv
usage '"x"' --pid 1 --prometheus x
usage '"300.1.1.1"' --pid 1 --prometheus 300.1.1.1:80
usage '"99999"' --pid 1 --prometheus 99999
usage '"9-"' --sysroot "$root" --pid 4242 --rt-cpus 9-
usage "give --boost too" --pid 1 --control /run/x.sock
usage "--boost samples the host" --report /dev/null --boost
"$top" --help | grep -q -- '--prometheus' || fail "rtvm-top --help"
set +e
"$top" --sysroot "$root" --pid 77777 --count 1 --interval 10 2>"$tmp/err"; rc=$?
set -e
[ "$rc" = 1 ] && grep -q -- "--pid 77777: no such process" "$tmp/err" ||
	fail "rtvm-top --pid 77777: exit $rc: $(cat "$tmp/err")"

# JSON: one object per interval, one per line.
"$top" --sysroot "$root" --pid 4242 --rt-cpus 2 --count 2 --interval 10 --json >"$tmp/top.json" ||
	fail "rtvm-top --json"
[ "$(wc -l <"$tmp/top.json")" = 2 ] || fail "rtvm-top --json: $(wc -l <"$tmp/top.json") lines"
python3 - "$tmp/top.json" <<'EOF' || fail "rtvm-top --json: $(cat "$tmp/top.json")"
import json, sys
for line in open(sys.argv[1]):
    d = json.loads(line)
    vm, = d["vms"]
    assert vm["pid"] == 4242 and vm["rt_cpus"] == "2" and not vm["gone"], vm
    th = {t["tid"]: t for t in vm["threads"]}
    assert sorted(th) == [4242, 4250, 4251, 4252, 4253], th
    v0 = th[4250]
    assert v0["role"] == "vcpu" and v0["vcpu"] == 0 and v0["name"] == "CPU 0/KVM", v0
    assert v0["policy"] == "FIFO" and v0["priority"] == 1, v0
    assert v0["cpu_ns"] == 0 and v0["involuntary"] == 0 and v0["migrations"] is None, v0
    assert "vcpu" not in th[4242] and th[4242]["role"] == "emulator"
    cpus = {c["cpu"]: c for c in d["cpus"]}
    assert sorted(cpus) == [0, 2] and cpus[2]["rt"] and not cpus[0]["rt"], cpus
    assert cpus[2]["interrupts"]["device"] == 0 and cpus[2]["interrupts"]["LOC"] == 0
    assert d["delayacct"] is None and d["interval_ns"] >= 0
EOF

# CSV: a header, then one row per thread and interval.
"$top" --sysroot "$root" --pid 4242 --count 2 --interval 10 --csv >"$tmp/top.csv" || fail "rtvm-top --csv"
head -1 "$tmp/top.csv" | grep -q '^time,interval_ns,vm_pid,tid,role,vcpu,name,' || fail "rtvm-top --csv header"
[ "$(wc -l <"$tmp/top.csv")" = 11 ] || fail "rtvm-top --csv: $(cat "$tmp/top.csv")"
grep -q ',4242,4251,vcpu,1,"CPU 1/KVM",3,FIFO,1,0,0,0,0,0,$' "$tmp/top.csv" || fail "rtvm-top --csv row: $(cat "$tmp/top.csv")"

# Text: the VM, its threads, the RT CPUs.
"$top" --sysroot "$root" --pid 4242 --rt-cpus 2 --count 1 --interval 10 >"$tmp/top.txt" || fail "rtvm-top"
grep -q '^VM 4242  RT CPUs 2  5 threads$' "$tmp/top.txt" || fail "rtvm-top text: $(cat "$tmp/top.txt")"
grep -q '^  vcpu0 *CPU 0/KVM *4250 ' "$tmp/top.txt" || fail "rtvm-top text: vcpu0: $(cat "$tmp/top.txt")"
grep -q '^  2 ' "$tmp/top.txt" || fail "rtvm-top text: RT CPU 2: $(cat "$tmp/top.txt")"
if LC_ALL=C grep -q "$(printf '\033')" "$tmp/top.txt"; then
	fail "rtvm-top wrote terminal escapes to a file"
fi

# The exposition format, parsed strictly: HELP and TYPE before a metric's
# samples, names and labels as Prometheus allows them, one number.
promcheck() {
	python3 - "$1" <<'EOF'
import re, sys
text = open(sys.argv[1]).read()
assert text.endswith("\n"), "no final newline"
name_re = r"[a-zA-Z_:][a-zA-Z0-9_:]*"
label = r'[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\\n]|\\[\\"n])*"'
sample = re.compile(r"^(%s)(\{%s(?:,%s)*\})? (-?[0-9.e+-]+|NaN|\+Inf|-Inf)$" % (name_re, label, label))
typed, helped, seen = {}, set(), set()
n = 0
for line in text.splitlines():
    if line.startswith("# HELP "):
        helped.add(line.split()[2]); continue
    if line.startswith("# TYPE "):
        _, _, name, kind = line.split()
        assert kind in ("counter", "gauge"), line
        assert name not in typed, "TYPE twice: " + name
        typed[name] = kind; continue
    assert not line.startswith("#"), line
    m = sample.match(line)
    assert m, "not a sample: " + line
    name = m.group(1)
    assert name in typed and name in helped, "no TYPE/HELP for " + name
    assert (typed[name] == "counter") == name.endswith("_total"), name
    assert line not in seen, "twice: " + line
    seen.add(line)
    float(m.group(3)); n += 1
assert n > 0, "no samples"
print(n)
EOF
	# and by Prometheus's own checker where it is installed
	# (scripts/install-deps.sh takes it out of Debian's package)
	if [ -n "$promtool" ]; then
		"$promtool" check metrics <"$1" >&2 || return 1
	fi
}
promtool=$(command -v promtool || :)
[ -n "$promtool" ] || echo "note: no promtool; the exposition is parsed by this test alone"
mkdir "$tmp/tf"
"$top" --sysroot "$root" --pid 4242 --rt-cpus 2 --count 1 --interval 10 --textfile "$tmp/tf" >"$tmp/tf.out" ||
	fail "rtvm-top --textfile"
[ ! -s "$tmp/tf.out" ] || fail "rtvm-top --textfile printed a table"
ls -A "$tmp/tf" | grep -qx 'rtvm.prom' && [ "$(ls -A "$tmp/tf" | wc -l)" = 1 ] ||
	fail "rtvm-top --textfile left: $(ls -A "$tmp/tf")"
promcheck "$tmp/tf/rtvm.prom" >/dev/null || fail "rtvm-top --textfile: $(cat "$tmp/tf/rtvm.prom")"
grep -qx 'rtvm_thread_cpu_seconds_total{vm="4242",role="vcpu",tid="4250",vcpu="0",thread="CPU 0/KVM"} 0.004250000' \
	"$tmp/tf/rtvm.prom" || fail "rtvm-top --textfile: vcpu0: $(cat "$tmp/tf/rtvm.prom")"
grep -q '^rtvm_cpu_interrupts_per_second{cpu="2",kind="LOC"} 0.000$' "$tmp/tf/rtvm.prom" ||
	fail "rtvm-top --textfile: CPU 2: $(cat "$tmp/tf/rtvm.prom")"

# On this host: a fake VM of our own, preempted by a hog of our own on
# its CPU, scraped with curl while rtvm-top runs.
cpu=$(($(getconf _NPROCESSORS_ONLN) - 1))
cat >"$tmp/fakevm.py" <<'EOF'
import ctypes, os, sys, threading, time
libc = ctypes.CDLL(None)
os.sched_setaffinity(0, {int(sys.argv[1])})
def vcpu():
    libc.prctl(15, b"CPU 0/KVM", 0, 0, 0)
    while True:
        pass
threading.Thread(target=vcpu, daemon=True).start()
time.sleep(60)
EOF
python3 "$tmp/fakevm.py" "$cpu" &
vm=$!
pids="$vm"
taskset -c "$cpu" sh -c 'while :; do :; done' &
hog=$!
pids="$pids $hog"
# the fake VM's thread names itself once python runs it: wait for that
# (rtvm-top refuses a process without vCPU threads)
for _ in $(seq 100); do
	cat /proc/"$vm"/task/*/comm 2>/dev/null | grep -qx 'CPU 0/KVM' && break
	sleep 0.1
done
# rtvm-top runs until told to stop; the scrape is retried until its
# figures show what the hog did (a loaded machine may take a while to get
# there), then rtvm-top is stopped with SIGTERM and must exit 0.
"$top" --pid "$vm" --rt-cpus "$cpu" --interval 200 --count 300 --prometheus 0 2>"$tmp/prom.err" &
topp=$!
pids="$pids $topp"
port=""
for _ in $(seq 50); do
	port=$(sed -n 's|^rtvm-top: serving http://127.0.0.1:\([0-9]*\)/metrics$|\1|p' "$tmp/prom.err")
	[ -n "$port" ] && break
	sleep 0.1
done
[ -n "$port" ] || fail "rtvm-top --prometheus 0 did not say its port: $(cat "$tmp/prom.err")"
cat >"$tmp/scrape.py" <<'EOF'
import re, sys
text, vm = open(sys.argv[1]).read(), sys.argv[2]
def value(metric):
    m = re.search(r'^%s\{vm="%s",role="vcpu",tid="\d+",vcpu="0",thread="CPU 0/KVM"\} (\S+)$' % (metric, vm), text, re.M)
    assert m, metric
    return float(m.group(1))
assert value("rtvm_thread_cpu_seconds_total") > 0.1
# the hog shares the vCPU's CPU: the vCPU waited and was preempted
assert value("rtvm_thread_run_delay_seconds_total") > 0.05
assert value("rtvm_thread_involuntary_switches_total") >= 2
assert re.search(r'^rtvm_cpu_intruders\{cpu="\d+"\} [1-9]', text, re.M)
EOF
scraped=""
for _ in $(seq 50); do
	sleep 0.2
	# a scrape may wait behind a sample; one that fails is tried again
	curl -sf --max-time 10 "http://127.0.0.1:$port/metrics" >"$tmp/scrape.txt" || continue
	scraped=1
	python3 "$tmp/scrape.py" "$tmp/scrape.txt" "$vm" 2>/dev/null && break
done
[ -n "$scraped" ] || fail "curl /metrics: no scrape answered: $(cat "$tmp/prom.err")"
promcheck "$tmp/scrape.txt" >/dev/null || fail "scrape: $(cat "$tmp/scrape.txt")"
python3 "$tmp/scrape.py" "$tmp/scrape.txt" "$vm" || fail "scrape: $(cat "$tmp/scrape.txt")"
code=$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$port/other")
[ "$code" = 404 ] || fail "rtvm-top /other: HTTP $code"
kill -TERM "$topp"
wait "$topp" || fail "rtvm-top --prometheus: exit $? after SIGTERM: $(cat "$tmp/prom.err")"
# --record writes the --json lines; --report summarizes a recording.
"$top" --sysroot "$root" --pid 4242 --rt-cpus 2 --count 2 --interval 10 \
	--record "$tmp/rec.json" >/dev/null || fail "rtvm-top --record"
[ "$(wc -l <"$tmp/rec.json")" = 2 ] || fail "--record: $(wc -l <"$tmp/rec.json") lines"
"$top" --report "$tmp/rec.json" >"$tmp/rep.txt" || fail "rtvm-top --report"
grep -q '^VM 4242' "$tmp/rep.txt" && grep -q '^  vcpu0 ' "$tmp/rep.txt" ||
	fail "--report of a sysroot recording: $(cat "$tmp/rep.txt")"
# Percentiles by nearest rank, from a recording with known figures: one
# vCPU, intervals of 1 s using 10%, 20%, ..., 100% of a CPU, waiting
# 1 ms per 10% and preempted once per 10%, held by RT throttling in the
# last three; the last line cut off.
python3 - "$tmp/known.json" <<'EOF'
import json, sys
with open(sys.argv[1], "w") as f:
    for i in range(1, 11):
        th = {"tid": 11, "role": "vcpu", "vcpu": 0, "name": "CPU 0/KVM",
              "cpu_ns": i * 100000000, "run_delay_ns": i * 1000000,
              "involuntary": i,
              "rt_limit": {"runtime_us": 950000, "period_us": 1000000,
                           "throttled": i >= 8}}
        cpus = [{"cpu": 3, "rt": True, "user_ns": i * 100000000,
                 "smis": (1 if i <= 4 else None),
                 "interrupts": {"device": 2, "LOC": 250, "RES": 1, "CAL": 0,
                                "TLB": 0, "other": 0}}]
        intr = [{"pid": 99, "tid": 99, "name": "hog", "cpu": 3,
                 "cpu_ns": 5000000}] if i % 2 else []
        f.write(json.dumps({"time": 1000 + i, "interval_ns": 1000000000,
                            "vms": [{"pid": 10, "name": "rt1",
                                     "threads": [th]}],
                            "cpus": cpus, "intruders": intr}) + "\n")
    f.write('{"time": 2000, "interval_ns"')
EOF
"$top" --report "$tmp/known.json" --json >"$tmp/known.out" 2>"$tmp/known.err" ||
	fail "--report of the known recording: $(cat "$tmp/known.err")"
grep -q 'known.json:11: the last line is cut off' "$tmp/known.err" ||
	fail "--report: the cut-off line not named: $(cat "$tmp/known.err")"
python3 - "$tmp/known.out" <<'EOF' || fail "--report --json: $(cat "$tmp/known.out")"
import json, sys
d = json.load(open(sys.argv[1]))
assert d["samples"] == 10 and abs(d["elapsed_s"] - 10) < 1e-9, d
vm, = d["vms"]
assert vm["pid"] == 10 and vm["name"] == "rt1", vm
t, = vm["threads"]
assert t["vcpu"] == 0 and t["intervals"] == 10, t
def near(a, b): return abs(a - b) < 1e-6
assert near(t["cpu_pct"]["p50"], 50) and near(t["cpu_pct"]["p99"], 100) and near(t["cpu_pct"]["max"], 100), t
assert near(t["run_delay_pct"]["p50"], 0.5) and near(t["run_delay_pct"]["max"], 1.0), t
assert near(t["preemptions_per_s"]["p50"], 5) and near(t["preemptions_per_s"]["max"], 10), t
assert t["run_delay_ns"] == 55000000 and t["involuntary"] == 55, t
assert t["rt_throttled_intervals"] == 3, t
c, = d["cpus"]
assert c["rt"] and c["interrupts"]["LOC"] == 2500 and c["interrupts"]["device"] == 20, c
assert c["smis"] == 4 and c["smi_intervals"] == 4, c
i, = c["intruders"]
assert i["name"] == "hog" and i["samples"] == 5 and i["cpu_ns"] == 25000000, i
EOF
"$top" --report "$tmp/known.json" 2>/dev/null >"$tmp/known.txt"
grep -q '^  vcpu0 *11 *10 |   50.0  100.0  100.0 |   0.50   1.00   1.00 |      5     10     10 |      55.0       55  CPU 0/KVM$' "$tmp/known.txt" ||
	fail "--report text: $(cat "$tmp/known.txt")"
grep -q '^  vcpu0 *RT throttling held it back in 3 of 10 intervals$' "$tmp/known.txt" ||
	fail "--report text, RT throttling: $(cat "$tmp/known.txt")"
grep -q '^RT CPU 3: busy 55.0%; per second: device IRQs 2.0, LOC 250.0' "$tmp/known.txt" ||
	fail "--report text, RT CPU: $(cat "$tmp/known.txt")"
grep -q '^  SMIs 4 in 4 of 10 intervals counted$' "$tmp/known.txt" ||
	fail "--report text, SMIs: $(cat "$tmp/known.txt")"
if command -v gnuplot >/dev/null 2>&1; then
	"$top" --report "$tmp/known.json" --plot "$tmp/known.svg" >/dev/null 2>&1 ||
		fail "--report --plot"
	grep -q 'VM 10 vcpu0' "$tmp/known.svg" || fail "--plot: no vcpu0 series"
else
	echo "note: no gnuplot, --plot not tried"
fi
printf '{"vms": 3}\n' >"$tmp/bad.json"
set +e
"$top" --report "$tmp/bad.json" >/dev/null 2>"$tmp/err"; rc=$?
"$top" --report "$tmp/known.json" --pid 1 2>/dev/null; rc2=$?
"$top" --pid 1 --plot x.svg 2>/dev/null; rc3=$?
"$top" --report "$tmp/known.json" --plot "it's.svg" >/dev/null 2>&1; rc4=$?
set -e
[ "$rc" = 1 ] && grep -q 'bad.json:1: not an rtvm-top sample' "$tmp/err" ||
	fail "--report of a bad file: exit $rc: $(cat "$tmp/err")"
[ "$rc2" = 64 ] && [ "$rc3" = 64 ] || fail "--report with --pid: $rc2, --plot alone: $rc3"
[ "$rc4" = 1 ] || fail "--plot with a quote: exit $rc4"

echo "ok: rtvm-top"
