#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Writes to the debug parameter racing gomalloc's unload and load: two
# background loops keep turning debug mode on (each such write drains every
# CPU's caches through gomalloc's workqueue) while gomalloc is removed and
# inserted again. sysfs keeps the parameter writable until after the
# module's exit has run, so a write must not reach the destroyed workqueue:
# no oops, no KASAN report, no hang. Bounded by GM_CYCLES cycles or
# GM_SECONDS seconds. Leaves gomalloc loaded with default parameters.
. "$(dirname "$0")/gm_lib.sh"
gm_require
ko=${GOMALLOC_KO:-}
[ -n "$ko" ] && [ -f "$ko" ] ||
	{ echo "SKIP: cannot reload gomalloc (set GOMALLOC_KO)"; exit $KSFT_SKIP; }
cycles=${GM_CYCLES:-60}
seconds=${GM_SECONDS:-50}
stop=${TMPDIR:-/tmp}/gm_param_stop.$$
rm -f "$stop"

# gm_writer A B: write A and B to debug in turn until $stop exists; the
# writes fail while gomalloc is not loaded.
gm_writer() {
	while [ ! -e "$stop" ]; do
		{ echo "$1" >"$gm_params/debug"; } 2>/dev/null
		{ echo "$2" >"$gm_params/debug"; } 2>/dev/null
	done
}

gm_writers_end() {
	touch "$stop"
	wait
	rm -f "$stop"
}
gm_on_exit gm_writers_end

dmesg -c >/dev/null
gm_writer 1 Z &
gm_writer ZP U &
end=$(($(date +%s) + seconds))
n=0
while [ "$n" -lt "$cycles" ] && [ "$(date +%s)" -lt "$end" ]; do
	rmmod gomalloc || gm_fail "rmmod gomalloc failed in cycle $((n + 1))"
	insmod "$ko" || gm_fail "insmod gomalloc failed in cycle $((n + 1))"
	n=$((n + 1))
	echo "cycle $n done"
done
gm_writers_end
echo "$n unload+load cycle(s) with debug written in a loop"
[ "$n" -gt 0 ] || gm_fail "no cycle completed"
bad=$(dmesg | grep -E 'BUG:|WARNING:|KASAN:|Oops|general protection fault')
[ -z "$bad" ] || { echo "$bad" | head -n 5; gm_fail "the kernel complained"; }
# Back to the state the next test expects: gomalloc freshly loaded.
rmmod gomalloc && insmod "$ko" || gm_fail "final reload of gomalloc"
gm_expect_eq "debug after the final load" "$(cat "$gm_params/debug")" 0
