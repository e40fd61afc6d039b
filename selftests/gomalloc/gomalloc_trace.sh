#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Tracepoints: gomalloc's own events (TRACE_SYSTEM gomalloc) report span
# refills, heap growth and shrinker passes while a client allocates and
# the shrinker runs. (The kernel's kmem events are not emitted yet.)
. "$(dirname "$0")/gm_lib.sh"
gm_require
T=/sys/kernel/tracing
[ -d $T/events ] || mount -t tracefs nodev $T 2>/dev/null
[ -d $T/events ] || { echo "SKIP: no tracefs"; exit $KSFT_SKIP; }
[ -d $T/events/gomalloc ] || gm_fail "gomalloc's own events are not in tracefs"
t=${TMPDIR:-/tmp}/gm_trace.$$
events="gomalloc/gomalloc_span_refill gomalloc/gomalloc_heap_grow gomalloc/gomalloc_reclaim"
off() {
	echo 0 >$T/tracing_on
	for e in $events; do echo 0 >$T/events/$e/enable; done
	echo >$T/trace
}
gm_on_exit 'off; rm -f $t'
off
echo 16384 >$T/buffer_size_kb
for e in $events; do echo 1 >$T/events/$e/enable || gm_fail "cannot enable $e"; done

# Everything back to the buddy allocator first, so the client's first
# allocations grow the heap; then a shrinker pass.
# The scavenger is off, so what the client leaves is the shrinker's.
gm_set_params retain_pages=0
gm_drop
gm_set_params scavenge_ms=0
echo 1 >$T/tracing_on
gm_insmod test=basic || gm_fail "test=basic failed"
echo 0 >$T/tracing_on
cat $T/trace >$t
rmmod gomalloc_test
echo >$T/trace
echo 1 >$T/tracing_on
gm_insmod test=cachehold cache_count=4 || gm_fail "cachehold failed"
echo 1 >/sys/module/gomalloc_test/parameters/release
echo 0 >$T/tracing_on
cat $T/trace >>$t
rmmod gomalloc_test
echo >$T/trace
[ "$(gm_stat pages_held)" -gt 0 ] || gm_fail "the heap holds nothing for the shrinker"
echo 1 >$T/tracing_on
gm_drop
echo 0 >$T/tracing_on
cat $T/trace >>$t
gm_restore_params

expect() {	# expect WHAT REGEX: at least one line of the trace matches
	n=$(grep -cE "$2" $t)
	echo "$1: $n line(s)"
	[ "$n" -gt 0 ] && return
	grep -E 'gomalloc|gt_' $t | head -n 5
	gm_fail "no trace line for $1 (/$2/); $(wc -l <$t) lines in all"
}
expect "span refills" 'gomalloc_span_refill: spanclass=[0-9]+ elemsize=[0-9]+ .* grown=1'
expect "heap growth" 'gomalloc_heap_grow: npages=[0-9]+ order=[0-9]+ pages_held=[0-9]+ ret=0'
expect "shrinker passes" 'gomalloc_reclaim: shrinker drain=[01] '
gm_dmesg_clean trace
