#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# The viewer (gomalloc-top, next to these tests in the payload) against the
# live /proc/gomalloc while objects are live: it exits 0 and shows the
# classes holding them, with their live counts, by memory and by class.
. "$(dirname "$0")/gm_lib.sh"
gm_require
top=$here/gomalloc-top
[ -f "$top" ] || { echo "SKIP: gomalloc-top is not in the payload"; exit $KSFT_SKIP; }
[ -x "$top" ] || top="sh $top"
t=${TMPDIR:-/tmp}/gm_top.$$
gm_on_exit 'rm -f $t'

# After the drain (retain_pages 0: the shrinker drains only a heap beyond
# it) only classes with live objects hold spans; these five hold 64 KiB or
# more each, so they are the five biggest.
classes="61 54 41 30 6"
counts="3 4 20 64 1000"
gm_set_params retain_pages=0
gm_drop
gm_hold sizes=32768,16384,4096,1024,64 counts=3,4,20,64,1000 tiny_size=8 tiny_count=20

# check OUTPUT: every live class is shown with its live count.
check() {
	set -- $counts
	for c in $classes; do
		got=$(awk -v c="$c" '$1 == c { print $5 }' $t)
		[ "$got" = "$1" ] || { cat $t; gm_fail "gomalloc-top $opts: class $c shows INUSE '$got', expected $1"; }
		shift
	done
}

opts="-o -n 5"
$top $opts >$t 2>&1 || { cat $t; gm_fail "gomalloc-top $opts exited with $?"; }
sed 's/^/  /' $t
check
rows=$(awk '/^CLASS / { t = 1; next } t && NF' $t | wc -l)
gm_expect_eq "class rows shown by gomalloc-top $opts" "$rows" 5

opts="-o -s class"
$top $opts >$t 2>&1 || { cat $t; gm_fail "gomalloc-top $opts exited with $?"; }
check
order=$(awk '/^CLASS / { t = 1; next } t && $1 ~ /^[0-9]+$/ { print $1 }' $t | tr '\n' ' ')
sorted=$(echo "$order" | tr ' ' '\n' | sed '/^$/d' | sort -n | tr '\n' ' ')
gm_expect_eq "gomalloc-top $opts: class order" "$order" "$sorted"
tiny=$(awk '$1 == "t62" { print $5 }' $t)
gm_expect_eq "gomalloc-top $opts: t62 INUSE (tiny blocks)" "$tiny" "$(gm_stat tiny_blocks_inuse)"
echo "ok: gomalloc-top shows classes $classes with their live objects"
gm_hold_end
