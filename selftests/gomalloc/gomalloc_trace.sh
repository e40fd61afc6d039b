#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Tracepoints: the kernel's own kmem events show gomalloc's objects with the
# client's call site and sizes (kmalloc/kfree for gomalloc(), gomalloc_tiny()
# and gofree(); kmem_cache_alloc/free for a typed cache, under its shadow
# name gomalloc:NAME), every object the client allocated is seen freed, and
# gomalloc's own events report span refills, heap growth and shrinker passes.
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
gm_on_exit 'off; rm -f $t $t.a $t.f'
off
echo 16384 >$T/buffer_size_kb
for e in $events; do echo 1 >$T/events/$e/enable || gm_fail "cannot enable $e"; done

# Everything back to the buddy allocator first, so the client's first
# allocations grow the heap; then a shrinker pass.
# The trace is read while the client is loaded: its call sites resolve.
# The scavenger is off, so what the client leaves is the shrinker's.
gm_set_params retain_pages=0
gm_drop
gm_set_params scavenge_ms=0
echo 1 >$T/tracing_on
gm_insmod test=basic || gm_fail "test=basic failed"
echo 0 >$T/tracing_on
cat $T/trace >$t
rmmod gomalloc_test
# Every object test=basic allocated (call site in the client) is freed by
# it: the pointers of its kmalloc and kfree lines are the same multiset.
ptrs() { grep -E " $1: call_site=gt_" $t | sed 's/.* ptr=\([^ ]*\).*/\1/' | sort; }
ptrs kmalloc >$t.a
ptrs kfree >$t.f
na=$(wc -l <$t.a)
echo "test=basic: $na kmalloc and $(wc -l <$t.f) kfree lines from the client"
[ "$na" -ge 1000 ] || gm_fail "only $na kmalloc lines from test=basic"
cmp -s $t.a $t.f || { diff $t.a $t.f | head -n 5; gm_fail "kmalloc and kfree pointers differ"; }
echo >$T/trace
echo 1 >$T/tracing_on
gm_insmod test=large || gm_fail "test=large failed"
echo 0 >$T/tracing_on
cat $T/trace >>$t
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
expect "kmalloc of 1000 bytes from gt_basic" 'kmalloc: call_site=gt_basic[+].* bytes_req=1000 bytes_alloc=1024 '
expect "kmalloc of 30000 bytes from gt_basic" 'kmalloc: call_site=gt_basic[+].* bytes_req=30000 bytes_alloc=32768 '
expect "kmalloc of a large object from gt_large" 'kmalloc: call_site=gt_large[+].* bytes_req=100000 bytes_alloc=1[0-9]{5} '
expect "kmalloc of a tiny object from gt_basic" 'kmalloc: call_site=gt_basic[+].* bytes_req=5 bytes_alloc=[0-9]+ '
expect "kfree from gt_basic" 'kfree: call_site=gt_basic[+]'
expect "kmem_cache_alloc of the held cache" 'kmem_cache_alloc: call_site=gt_[a-z0-9_]+[+].* bytes_req=100 '
expect "kmem_cache_free of gomalloc:gt_c_hold" 'kmem_cache_free: call_site=.* name=gomalloc:gt_c_hold'
expect "span refills" 'gomalloc_span_refill: spanclass=[0-9]+ elemsize=[0-9]+ .* grown=1'
expect "heap growth" 'gomalloc_heap_grow: npages=[0-9]+ order=[0-9]+ pages_held=[0-9]+ ret=0'
expect "shrinker passes" 'gomalloc_reclaim: shrinker drain=[01] '
gm_dmesg_clean trace
