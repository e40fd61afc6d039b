#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Tracepoints: the kernel's own kmem events show gomalloc's objects with the
# client's call site and sizes (kmalloc/kfree for gomalloc(), gofree();
# kmem_cache_alloc/free for a typed cache, under its shadow name
# gomalloc:NAME), and gomalloc's own events report span refills, heap
# growth and shrinker passes.
. "$(dirname "$0")/gm_lib.sh"
gm_require
T=/sys/kernel/tracing
[ -d $T/events ] || mount -t tracefs nodev $T 2>/dev/null
[ -d $T/events/kmem/kmalloc ] || { echo "SKIP: no tracefs with kmem events"; exit $KSFT_SKIP; }
[ -d $T/events/gomalloc ] || gm_fail "gomalloc's own events are not in tracefs"
t=${TMPDIR:-/tmp}/gm_trace.$$
events="kmem/kmalloc kmem/kfree kmem/kmem_cache_alloc kmem/kmem_cache_free
	gomalloc/gomalloc_span_refill gomalloc/gomalloc_heap_grow gomalloc/gomalloc_reclaim"
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
gm_set_params retain_pages=0
gm_drop
echo 1 >$T/tracing_on
gm_run basic || exit 1
gm_insmod test=cachehold cache_count=4 || gm_fail "cachehold failed"
echo 1 >/sys/module/gomalloc_test/parameters/release
rmmod gomalloc_test
gm_drop
echo 0 >$T/tracing_on
cat $T/trace >$t
gm_restore_params

expect() {	# expect WHAT REGEX: at least one line of the trace matches
	n=$(grep -cE "$2" $t)
	echo "$1: $n line(s)"
	[ "$n" -gt 0 ] || gm_fail "no trace line for $1 (/$2/); $(wc -l <$t) lines in all"
}
expect "kmalloc of 1000 bytes from gt_basic" 'kmalloc: call_site=gt_basic[+].* bytes_req=1000 bytes_alloc=1024 '
expect "kmalloc of a large object from gt_basic" 'kmalloc: call_site=gt_basic[+].* bytes_req=30000 bytes_alloc=32768 '
expect "kfree from gt_basic" 'kfree: call_site=gt_basic[+]'
expect "kmem_cache_alloc of the held cache" 'kmem_cache_alloc: call_site=gt_[a-z0-9_]+[+].* bytes_req=100 '
expect "kmem_cache_free of gomalloc:gt_c_hold" 'kmem_cache_free: call_site=.* name=gomalloc:gt_c_hold'
expect "span refills" 'gomalloc_span_refill: spanclass=[0-9]+ elemsize=[0-9]+ .* grown=1'
expect "heap growth" 'gomalloc_heap_grow: npages=[0-9]+ order=[0-9]+ pages_held=[0-9]+ ret=0'
expect "shrinker passes" 'gomalloc_reclaim: shrinker drain=[01] '
gm_dmesg_clean trace
