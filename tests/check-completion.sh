#!/bin/sh
# bash completion (bash-completion/rtvm) against the tools: every long
# option a tool's --help prints is offered by its completion (at the top
# level or after one of its commands) and every option offered is in the
# --help; then the completion is driven as bash drives it (COMP_WORDS,
# COMP_CWORD) and its COMPREPLY checked: commands, options of a command,
# and values (files, directories, words, IRQs of a sysroot).
set -eu
top_srcdir=$(cd "${top_srcdir:-.}" && pwd)
top_builddir=$(cd "${top_builddir:-.}" && pwd)
command -v bash >/dev/null 2>&1 || { echo "SKIP: no bash"; exit 77; }
comp="$top_srcdir/bash-completion/rtvm"
tools="rtvm-check rtvm-show rtvm-capture rtvm-shield rtvm-irq rtvm-sched
rtvm-tune rtvm-demo rtvm-guest rtvm-boostd rtvm-top rtvm-libvirt-hook"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail=0
bad() { echo "FAIL: $*"; fail=1; }

# Every tool of examples/ has a completion, and no completion is left of
# a tool that went.
for src in "$top_srcdir"/examples/rtvm-*.c; do
	t=$(basename "$src" .c)
	case " $(echo $tools) " in *" $t "*) ;; *) bad "$t has no completion (add it to $comp and here)" ;; esac
done
for t in $(sed -n 's/^complete -F [a-z_]* \(rtvm-[a-z-]*\)$/\1/p' "$comp"); do
	[ -f "$top_srcdir/examples/$t.c" ] || bad "$comp completes $t, which is not a tool"
done
# make install links each tool's name to the file.
linked=$(awk '/^COMPLETED_TOOLS =/ { on = 1 } on { print; if (!/\\$/) exit }' \
	"$top_srcdir/Makefile.am")
for t in $tools; do
	case " $(echo $linked) " in *" $t "*) ;; *) bad "Makefile.am's COMPLETED_TOOLS lacks $t" ;; esac
done
grep -qx 'usr/share/bash-completion/completions' "$top_srcdir/debian/rtvm-tools.install" ||
	bad "debian/rtvm-tools.install lacks usr/share/bash-completion/completions"

# The driver: comp WORD... prints the replies for the line "WORD..." with
# the cursor at the end of the last word; offered TOOL every option
# offered at the top level or after any of its commands.
cat >"$tmp/drive.bash" <<'EOS'
set -u
source "$COMP_FILE"
comp()
{
	local spec
	COMP_WORDS=("$@")
	COMP_CWORD=$(($# - 1))
	COMP_LINE="$*"
	COMP_POINT=${#COMP_LINE}
	COMPREPLY=()
	spec=$(complete -p "$1" 2>/dev/null) || { echo "FAIL: $1 has no completion"; return 1; }
	spec=${spec#*-F }
	spec=${spec%% *}
	"$spec" "$1" "${COMP_WORDS[COMP_CWORD]}" "${COMP_WORDS[COMP_CWORD - 1]}"
	((${#COMPREPLY[@]} == 0)) || printf '%s\n' "${COMPREPLY[@]}"
}
offered()
{
	local c
	comp "$1" --
	for c in $(comp "$1" ''); do
		[[ $c == -* ]] || comp "$1" "$c" --
	done
}
# expect WANT WORD...: WANT is one of the replies; "!WANT": it is not.
expect()
{
	local want=$1 out
	shift
	out=$(comp "$@") || return 0
	if [[ $want == !* ]]; then
		! grep -qxF -- "${want#!}" <<<"$out" ||
			echo "FAIL: $1: \"$*\" completes ${want#!}, which does not belong there"
	else
		grep -qxF -- "$want" <<<"$out" ||
			echo "FAIL: $1: \"$*\" does not complete $want (got: $(echo $out))"
	fi
}
"$@"
EOS
drive() { (cd "$tmp/empty" && COMP_FILE="$comp" bash "$tmp/drive.bash" "$@"); }
mkdir "$tmp/empty" "$tmp/fix" "$tmp/fix/dir1"
: >"$tmp/fix/file1"

# --help against the completion, both ways.
for t in $tools; do
	bin="$top_builddir/examples/$t"
	"$bin" --help >"$tmp/help" || { bad "$t --help failed"; continue; }
	"$bin" --version >/dev/null || bad "$t --version failed"
	grep -o -- '--[a-z][a-z0-9-]*' "$tmp/help" | sort -u >"$tmp/want"
	# The hook's help names its arguments only; it takes these too.
	printf '%s\n' --help --version >>"$tmp/want"
	drive offered "$t" | sort -u >"$tmp/got"
	grep '^FAIL' "$tmp/got" && fail=1
	for opt in $(sort -u "$tmp/want"); do
		grep -qxF -- "$opt" "$tmp/got" ||
			bad "$t: the completion does not offer $opt (in $t --help)"
	done
	for opt in $(grep -- '^-' "$tmp/got"); do
		grep -qxF -- "$opt" "$tmp/want" ||
			bad "$t: the completion offers $opt, which $t --help does not list"
	done
done

# Driven: a command and an option (or its value) of each tool.
irqroot="$top_srcdir/tests/fixtures/vm2cpu"
f="$tmp/fix"
drive expect --rt-cpus rtvm-check --rt >"$tmp/out"
drive expect "$f/dir1" rtvm-check --sysroot "$f/" >>"$tmp/out"
drive expect "!$f/file1" rtvm-check --sysroot "$f/" >>"$tmp/out"
drive expect threads rtvm-show thr >>"$tmp/out"
drive expect --pattern rtvm-show cpus --pat >>"$tmp/out"
drive expect --json rtvm-capture --j >>"$tmp/out"
drive expect "$f/dir1" rtvm-capture --all-threads "$f/d" >>"$tmp/out"
drive expect destroy rtvm-shield de >>"$tmp/out"
drive expect --json rtvm-shield destroy --j >>"$tmp/out"
drive expect --from rtvm-shield destroy --fr >>"$tmp/out"
drive expect "!--rt-cpus" rtvm-shield status --rt >>"$tmp/out"
drive expect "$f/file1" rtvm-shield create --rt-cpus 2-3 --save "$f/fi" >>"$tmp/out"
drive expect "--save=$f/file1" rtvm-shield create "--save=$f/fi" >>"$tmp/out"
drive expect "$f/file1" rtvm-shield create --save = "$f/fi" >>"$tmp/out"
drive expect steer rtvm-irq st >>"$tmp/out"
drive expect --away-from rtvm-irq steer --aw >>"$tmp/out"
drive expect "!--away-from" rtvm-irq list --aw >>"$tmp/out"
drive expect --interval rtvm-irq watch --int >>"$tmp/out"
drive expect LOC rtvm-irq --sysroot "$irqroot" show L >>"$tmp/out"
drive expect kthreads rtvm-sched kth >>"$tmp/out"
drive expect rt-host rtvm-sched kthreads --profile '' >>"$tmp/out"
drive expect "!--dry-run" rtvm-sched show --dry >>"$tmp/out"
drive expect recover rtvm-tune rec >>"$tmp/out"
drive expect nova-rt rtvm-tune apply --builtin '' >>"$tmp/out"
drive expect --demo rtvm-tune revert --de >>"$tmp/out"
drive expect --modes rtvm-demo --mo >>"$tmp/out"
drive expect idle,load rtvm-demo --modes idle,l >>"$tmp/out"
drive expect kvm rtvm-demo --vm '' >>"$tmp/out"
drive expect boost rtvm-guest bo >>"$tmp/out"
drive expect --fifo rtvm-guest boost --fi >>"$tmp/out"
drive expect "!--count" rtvm-guest boost --cou >>"$tmp/out"
drive expect sh rtvm-guest boost --fifo 5 -- sh >>"$tmp/out"
drive expect auto rtvm-guest au >>"$tmp/out"
drive expect --hysteresis rtvm-guest auto --hys >>"$tmp/out"
drive expect "!--hysteresis" rtvm-guest boost --hys >>"$tmp/out"
drive expect status rtvm-boostd st >>"$tmp/out"
drive expect --config rtvm-boostd --conf >>"$tmp/out"
drive expect "$f/file1" rtvm-boostd --config "$f/fi" >>"$tmp/out"
drive expect --prometheus rtvm-top --prom >>"$tmp/out"
drive expect --kvm rtvm-top --pid 1 --kv >>"$tmp/out"
drive expect "!$f/file1" rtvm-top --textfile "$f/fi" >>"$tmp/out"
drive expect started rtvm-libvirt-hook vm1 sta >>"$tmp/out"
drive expect end rtvm-libvirt-hook vm1 stopped '' >>"$tmp/out"
drive expect --help rtvm-libvirt-hook --he >>"$tmp/out"
if [ -s "$tmp/out" ]; then
	cat "$tmp/out"
	fail=1
fi

[ "$fail" = 0 ] && echo "ok: the bash completion offers every option of every tool's --help"
exit "$fail"
