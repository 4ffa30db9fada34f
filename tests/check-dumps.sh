#!/bin/sh
# The host model on sysfs dumps of 37 real machines (x86, ARM, POWER,
# s390, ia64, RISC-V, LoongArch, SPARC; tests/fixtures/lscpu-dumps, from
# util-linux's lscpu tests): rtvm-show and rtvm-check load every one, their
# JSON parses, and where util-linux records what lscpu says of a dump
# (NAME.expected) the online CPUs and which CPUs share a core, a socket
# and a node are the same.  Skips (77) without python3 or tar.
set -eu
top_srcdir=${top_srcdir:-.}
top_builddir=${top_builddir:-.}
ex="$top_builddir/examples"
dumps="$top_srcdir/tests/fixtures/lscpu-dumps"
for t in python3 tar; do
	command -v $t >/dev/null 2>&1 || { echo "skip: $t is not installed"; exit 77; }
done
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail() { echo "FAIL: $*"; exit 1; }

n=0
for tgz in "$dumps"/*.tar.gz; do
	name=$(basename "$tgz" .tar.gz)
	mkdir "$tmp/$name"
	tar -xzf "$tgz" -C "$tmp/$name"
	# Each tarball holds one directory, the dump's root.
	root=$(cd "$tmp/$name"/*/ && pwd)
	"$ex/rtvm-show" --sysroot "$root" --json >"$tmp/$name.json" 2>"$tmp/$name.err" ||
		fail "rtvm-show cannot load $name: $(cat "$tmp/$name.err")"
	"$ex/rtvm-show" --sysroot "$root" >/dev/null 2>"$tmp/$name.err" ||
		fail "rtvm-show (text) on $name: $(cat "$tmp/$name.err")"
	set +e
	"$ex/rtvm-check" --sysroot "$root" --json >"$tmp/$name.check" 2>"$tmp/$name.err"
	rc=$?
	set -e
	[ "$rc" -le 2 ] || fail "rtvm-check on $name exits $rc: $(cat "$tmp/$name.err")"
	python3 - "$tmp/$name.json" "$tmp/$name.check" "$dumps/$name.expected" "$name" <<'PY' ||
import json, os, sys

model = json.load(open(sys.argv[1]))
json.load(open(sys.argv[2]))
expected, name = sys.argv[3], sys.argv[4]
cpus = {c["cpu"]: c for c in model["cpus"]["cpus"]}
assert cpus, "no CPUs"
if os.path.exists(expected):
    rows, online = [], None
    for line in open(expected):
        f = line.split()
        if not f or f[0] == "#":
            continue
        if f[0] == "online":
            online = f[1]
        else:
            rows.append(f)
    def cpu_set(text):
        out = set()
        for part in filter(None, text.split(",")):
            lo, _, hi = part.partition("-")
            out.update(range(int(lo), int(hi or lo) + 1))
        return out

    if online is not None:
        assert cpu_set(model["cpus"]["online"]) == cpu_set(online), \
            "online %s, lscpu %s" % (model["cpus"]["online"], online)

    def groups(key):
        g = {}
        for cpu, k in key.items():
            if k is not None:
                g.setdefault(k, set()).add(cpu)
        return sorted(sorted(s) for s in g.values())

    ours = {
        # lscpu numbers cores within a socket; ours are keyed by
        # package, die and core id.
        "core": lambda c: None if c.get("core") is None else
            (c.get("package"), c.get("die"), c.get("core")),
        "socket": lambda c: c.get("package"),
        "node": lambda c: c.get("node"),
    }
    for col, what in ((1, "core"), (2, "socket"), (3, "node")):
        theirs = {int(r[0]): None if r[col] == "-" else
                  ((r[2], r[col]) if what == "core" else r[col]) for r in rows}
        mine = {cpu: ours[what](cpus[cpu]) if cpu in cpus else None
                for cpu in theirs}
        assert groups(theirs) == groups(mine), \
            "%s: CPUs grouped by %s differ from lscpu's: %s vs %s" % (
                name, what, groups(mine)[:4], groups(theirs)[:4])
PY
		fail "$name"
	n=$((n + 1))
done
[ "$n" -ge 37 ] || fail "only $n dumps"
echo "ok: $n dumps load; $(ls "$dumps"/*.expected | wc -l) agree with lscpu"
