#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Tests of tools/gomalloc-top on tools/testdata/proc-gomalloc.sample (the
# /proc/gomalloc that `make run` printed): summary, every sort order (checked
# against sort(1)), -n, columns found by name, bad input, and the interactive
# loop under script(1). Each available sh and awk (dash, bash, busybox; mawk,
# gawk, busybox awk) must print the same. Exits non-zero on any failure.
set -eu

here=$(cd "$(dirname "$0")" && pwd)
top=$here/gomalloc-top
sample=$here/testdata/proc-gomalloc.sample
tmp=$(mktemp -d "${TMPDIR:-/tmp}/gomalloc-top-test.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
pass=0 fail=0

ok() { pass=$((pass + 1)); echo "ok   $*"; }
nok() { fail=$((fail + 1)); echo "FAIL $*"; }
check() { # check DESCRIPTION COMMAND...
	d=$1
	shift
	if "$@"; then ok "$d"; else nok "$d"; fi
}

# The class labels of a -o output's table, in order.
classes() { sed -n '/^ *CLASS /,$p' "$1" | sed 1d | awk '{print $1}'; }

# The class labels of the sample's table ordered by one column, by sort(1):
# bigger first, ties in class order.
expected() {
	sed -n '/^# class /,/^# cache /p' "$sample" | sed '1d;/^# cache /d' | awk -v k="$1" '
		NF {
			o = $1; gsub(/[^0-9]/, "", o)
			if (k == "mem") v = $5 * $3
			else if (k == "used") v = $6 * $2
			else if (k == "inuse") v = $6
			else if (k == "spans") v = $5
			else if (k == "allocs") v = $8
			else if (k == "frees") v = $9
			else v = 0
			print v, o, $1
		}' | if [ "$1" = class ]; then sort -k2,2n; else sort -k1,1nr -k2,2n; fi |
		awk '{print $3}'
}

# --- one run per shell and awk: identical output ------------------------------
ref=$tmp/ref
sh "$top" -o -f "$sample" >"$ref" || true
for shell in sh dash bash "busybox sh"; do
	for awk in awk mawk gawk "busybox awk"; do
		command -v "${shell%% *}" >/dev/null 2>&1 || continue
		command -v "${awk%% *}" >/dev/null 2>&1 || continue
		if AWK=$awk $shell "$top" -o -f "$sample" >"$tmp/out" 2>"$tmp/err" &&
			cmp -s "$ref" "$tmp/out" && [ ! -s "$tmp/err" ]; then
			ok "same output with $shell + $awk"
		else
			nok "output with $shell + $awk differs"
			diff "$ref" "$tmp/out" | head -n 10
			cat "$tmp/err"
		fi
	done
done

# --- summary (figures of the committed sample) ------------------------------
check "title" grep -q '^gomalloc-top: sorted by mem (.*proc-gomalloc.sample, format 1)$' "$ref"
check "heap line" grep -q '^Heap: *2\.0M in 1 arena(s), 720K free (232K in CPU page caches); metadata 148K$' "$ref"
check "returns line" grep -q '^Returns: *0 arena(s) released, 0 pages scavenged; retain 2\.0M; 0 grow failures$' "$ref"
check "objects line" grep -q '^Objects: *73 live, 1\.2M; tiny 8 in 4 block(s); large 1 in 256K$' "$ref"
check "classes line" grep -q '^Classes: *25/62 with spans; 53 spans hold 1\.0M, 953K used (88\.9%)$' "$ref"
check "errors line" grep -q '^Errors: *invalid_frees 0, double_frees 0, alloc_failures 0, bad_sizes 0$' "$ref"
check "no Other line when every key is known" eval '! grep -q "^Other:" "$ref"'
check "every class listed with -o" test "$(classes "$ref" | wc -l)" -eq 62
check "top row by memory: class 60, 8 spans of 7 pages" \
	grep -qE '^ +60 +28672 +7 +8 +8 +0 +100 +224K +224K +8 +0$' "$ref"
check "tiny class row" grep -qE '^ +t62 +16 +1 +1 +4 +252 +2 +4\.0K +64B +4 +0$' "$ref"

# --- sort orders ------------------------------------------------------------
for key in mem used inuse spans allocs frees class; do
	"$top" -o -s "$key" -f "$sample" >"$tmp/s" || true
	classes "$tmp/s" >"$tmp/got"
	expected "$key" >"$tmp/want"
	if cmp -s "$tmp/got" "$tmp/want" && grep -q "^gomalloc-top: sorted by $key (" "$tmp/s"; then
		ok "sort by $key"
	else
		nok "sort by $key"
		paste "$tmp/want" "$tmp/got" | head -n 10
	fi
done
"$top" -o -s mem -f "$sample" >"$tmp/mem" || true
check "default sort is mem" cmp -s "$ref" "$tmp/mem"

# --- -n ---------------------------------------------------------------------
"$top" -o -n 5 -f "$sample" >"$tmp/n5" || true
classes "$ref" | head -n 5 >"$tmp/want"
classes "$tmp/n5" >"$tmp/got"
check "-n 5 shows the first five" cmp -s "$tmp/want" "$tmp/got"
"$top" -o -n 500 -f "$sample" >"$tmp/n500" || true
check "-n beyond the class count shows all" cmp -s "$ref" "$tmp/n500"

# --- columns by name, unknown keys, CRLF ------------------------------------
# The table with its columns reversed plus one unknown column, and a new key.
awk '
	/^# class / { printf "# future"; for (i = NF; i >= 2; i--) printf " %s", $i; print ""; t = 1; next }
	/^# cache / { t = 0 }
	t && NF { printf "x"; for (i = NF; i >= 1; i--) printf " %s", $i; print ""; next }
	/^bad_sizes:/ { print; print "future_key: 7"; next }
	{ print }' "$sample" >"$tmp/permuted"
"$top" -o -f "$tmp/permuted" >"$tmp/p" || true
sed -n '/^ *CLASS /,$p' "$ref" >"$tmp/want"
sed -n '/^ *CLASS /,$p' "$tmp/p" >"$tmp/got"
check "columns are found by their header names" cmp -s "$tmp/want" "$tmp/got"
check "unknown keys shown on the Other line" grep -q '^Other: *future_key 7$' "$tmp/p"
sed 's/$/\r/' "$sample" >"$tmp/crlf"
{ "$top" -o -f "$tmp/crlf" || true; } | sed 1d >"$tmp/got" || true
sed 1d "$ref" >"$tmp/want"
check "CRLF input (a serial console capture) reads the same" cmp -s "$tmp/want" "$tmp/got"

# --- bad input and options ---------------------------------------------------
fails() { # fails STATUS COMMAND...: exits with STATUS and says something
	want=$1
	shift
	st=0
	"$@" >"$tmp/o" 2>"$tmp/e" || st=$?
	[ "$st" = "$want" ] && [ -s "$tmp/e" ]
}
check "missing file: exit 1" fails 1 "$top" -o -f "$tmp/none"
check "missing file: says why" grep -q 'cannot read' "$tmp/e"
echo "not gomalloc" >"$tmp/bad"
check "wrong first line: exit 1" fails 1 "$top" -o -f "$tmp/bad"
sed '/^# class /,$d' "$sample" >"$tmp/notable"
check "no class table: exit 1" fails 1 "$top" -o -f "$tmp/notable"
sed 's/^# class objsize/# class size/' "$sample" >"$tmp/nocol"
check "missing column: exit 1" fails 1 "$top" -o -f "$tmp/nocol"
check "missing column: named" grep -q 'no column objsize' "$tmp/e"
: >"$tmp/empty"
check "empty file: exit 1" fails 1 "$top" -o -f "$tmp/empty"
check "unknown sort key: exit 2" fails 2 "$top" -o -s bogus -f "$sample"
check "-n 0: exit 2" fails 2 "$top" -o -n 0 -f "$sample"
check "-d x: exit 2" fails 2 "$top" -o -d x -f "$sample"
check "stray argument: exit 2" fails 2 "$top" -o -f "$sample" extra
check "-h: usage, exit 0" sh -c '"$1" -h | grep -q "^usage: gomalloc-top"' sh "$top"

# --- interactive, on a pseudo-terminal ---------------------------------------
if command -v script >/dev/null 2>&1 && command -v timeout >/dev/null 2>&1; then
	# shown: waits (at most 15 s) until the viewer has drawn a screen, so
	# that keys never arrive before it has set up the terminal.
	shown() {
		i=0
		while [ $i -lt 150 ]; do
			grep -aq 'sorted by' "$tmp/tty" 2>/dev/null && return 0
			sleep 0.1
			i=$((i + 1))
		done
	}
	run_tty() { # run_tty KEYS-SCRIPT: feeds keys to the viewer on a pty
		# SHELL=/bin/sh: the viewer's parent is dash, as in CI, which
		# a SIGINT would kill: Ctrl-C must reach the viewer as a key.
		st=0
		rm -f "$tmp/tty"
		(eval "$1") | SHELL=/bin/sh timeout 20 script -qec \
			"stty rows 30 cols 100; '$top' -d 1 -f '$sample'" /dev/null \
			>"$tmp/tty" 2>&1 || st=$?
		return "$st"
	}
	check "q quits (after c sorted by class)" \
		run_tty 'shown; printf c; sleep 1.2; printf q; sleep 2'
	check "screen shown sorted by mem, then by class" \
		sh -c 'grep -aq "sorted by mem, every 1s" "$1" && grep -aq "sorted by class, every 1s" "$1"' sh "$tmp/tty"
	# 30 lines: title, 5 summary lines, a blank, the header, the footer and
	# a spare line leave 20 rows.
	rows=$(tr -d '\r' <"$tmp/tty" | awk '
		/^ *CLASS / { n = 0; next }
		/^ *t?[0-9]+ +[0-9]+ / { n++ }
		/^\(q quit/ { last = n }
		END { print last + 0 }')
	check "a 30-line terminal shows 20 classes (got $rows)" test "$rows" = 20
	check "terminal restored (cursor shown again)" grep -aq "$(printf '\033\\[?25h')" "$tmp/tty"
	check "Ctrl-C quits" run_tty 'shown; printf "\003"; sleep 2'
else
	echo "skip interactive tests: script(1) or timeout(1) missing"
fi

echo "gomalloc-top tests: $pass passed, $fail failed"
[ "$fail" = 0 ]
