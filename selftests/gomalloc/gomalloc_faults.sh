#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Page allocation failures injected (fail_page_alloc, this task only) while
# the heap has to grow from nothing (retain_pages=0, caches dropped, no
# scavenger): every high-order page allocation failing, then every tenth
# one. Allocations return NULL cleanly and, asked with __GFP_NOWARN, print
# nothing. Then gomalloc's own injection point (gomalloc/fail_alloc): a
# failure without __GFP_NOWARN prints gomalloc's warning, with it nothing.
# Afterwards nothing leaked: caches dropped, the heap holds no page, no
# object is live and the descriptors did not grow with the failures.
. "$(dirname "$0")/gm_lib.sh"
gm_require
f=/sys/kernel/debug/fail_page_alloc
g=/sys/kernel/debug/gomalloc/fail_alloc
[ -d $f ] || { echo "SKIP: kernel without CONFIG_FAIL_PAGE_ALLOC"; exit $KSFT_SKIP; }
gm_scavenger_off retain_pages=0
before=$(gm_stat objects_inuse)
large0=$(gm_stat large_objects_inuse)
echo 1 >/proc/sys/vm/drop_caches 2>/dev/null

# The same workloads without failures first: the descriptors they need.
gm_drop
gm_run faults seconds=1 || exit 1
gm_run basic || exit 1
fix0=$(gm_stat fixalloc_bytes)
# Growth allowed while failures are injected: one 16 KiB chunk for each of
# the four descriptor kinds. Leaking one ~200-byte span descriptor per
# failure would take far more (thousands of failures).
fixmax=$((fix0 + 65536))

echo 1 >$f/interval
echo -1 >$f/times
echo 0 >$f/space
echo 0 >$f/verbose
echo N >$f/ignore-gfp-wait
echo N >$f/ignore-gfp-highmem
echo 2 >$f/min-order
echo Y >$f/task-filter
gm_on_exit "echo 0 >$f/probability; echo 1 >$f/interval; echo -1 >$f/times"

# gm_inject WHAT: run the faults test as configured, in this task only;
# $seen: NULL returns; $injected: failures injected (from `times`).
gm_inject() {
	echo 100000 >$f/times
	(echo 1 >/proc/self/make-it-fail && exec insmod "$here/gomalloc_test.ko" test=faults seconds=1)
	rc=$?
	injected=$((100000 - $(cat $f/times)))
	echo 0 >$f/probability
	echo -1 >$f/times
	[ $rc = 0 ] || gm_fail "faults test ($1) reported corruption"
	seen=$(gm_param failures_seen)
	rmmod gomalloc_test
	echo "$1: $injected page allocation(s) failed, $seen NULL return(s); fixalloc_bytes $(gm_stat fixalloc_bytes)"
}

dmesg -c >/dev/null
# Every high-order page allocation fails: the heap cannot grow, large
# allocations must come back NULL (and nothing else may go wrong).
gm_drop
echo 1 >$f/interval
echo 100 >$f/probability
gm_inject "every allocation failing"
[ "$injected" -gt 0 ] || gm_fail "no failure was injected"
[ "$seen" -gt 0 ] || gm_fail "no NULL return while every page allocation failed"
# Every tenth high-order page allocation fails while the heap grows from
# nothing: it falls back to smaller arenas and keeps serving.
gm_drop
gm_expect_eq "pages_held before growing" "$(gm_stat pages_held)" 0
echo 10 >$f/interval
echo 100 >$f/probability
gm_inject "every tenth allocation failing"
echo 1 >$f/interval
[ "$injected" -gt 0 ] || gm_fail "no failure was injected while the heap grew"
msgs=$(dmesg | grep -E 'page allocation failure|gomalloc: ')
[ -z "$msgs" ] || { echo "$msgs" | head -n 5; gm_fail "__GFP_NOWARN allocations printed warnings"; }
echo "ok: failures of __GFP_NOWARN allocations printed nothing"

if [ -d $g ]; then
	gm_on_exit "echo 0 >$g/probability; echo N >$g/task-filter"
	# gm_warn 0|1: allocations that must fail, with __GFP_NOWARN or not.
	gm_warn() {
		echo 1 >$g/interval
		echo -1 >$g/times
		echo 0 >$g/verbose
		echo Y >$g/task-filter
		echo 100 >$g/probability
		(echo 1 >/proc/self/make-it-fail && exec insmod "$here/gomalloc_test.ko" test=warn nowarn="$1")
		rc=$?
		echo 0 >$g/probability
		[ $rc = 0 ] || gm_fail "warn test failed"
		seen=$(gm_param failures_seen)
		rmmod gomalloc_test
		echo "warn nowarn=$1: $seen NULL return(s); fixalloc_bytes $(gm_stat fixalloc_bytes)"
		[ "$seen" -gt 0 ] || gm_fail "no allocation failed under gomalloc/fail_alloc"
	}
	dmesg -c >/dev/null
	gm_warn 1
	msgs=$(dmesg | grep -E 'page allocation failure|gomalloc: ')
	[ -z "$msgs" ] || { echo "$msgs" | head -n 5; gm_fail "__GFP_NOWARN failures printed warnings"; }
	echo "ok: $seen failed __GFP_NOWARN allocation(s), nothing printed"
	gm_warn 0
	msgs=$(dmesg | grep 'gomalloc: allocation of 3145728 bytes failed')
	[ -n "$msgs" ] || gm_fail "no gomalloc warning for a failed allocation without __GFP_NOWARN"
	echo "ok: $seen failed allocation(s) without __GFP_NOWARN:$(echo "$msgs" | head -n 1 | sed 's/^\[[ 0-9.]*\]//')"

	# __GFP_NOFAIL from an empty heap while gomalloc/fail_alloc fails
	# everything it may and fail_page_alloc every costly order (>= 4): never
	# NULL, and no __GFP_NOFAIL request above order 1 reaches the page
	# allocator (it warns). Orders 2 and 3 are left to succeed: gomalloc
	# asks for them without __GFP_NOFAIL and retries until they do.
	gm_drop
	echo 4 >$f/min-order
	echo 1 >$g/interval
	echo -1 >$g/times
	echo Y >$g/task-filter
	echo 100 >$g/probability
	echo 1 >$f/interval
	echo 100000 >$f/times
	echo 100 >$f/probability
	dmesg -c >/dev/null
	(echo 1 >/proc/self/make-it-fail && exec insmod "$here/gomalloc_test.ko" test=nofail)
	rc=$?
	echo 0 >$g/probability
	echo 0 >$f/probability
	injected=$((100000 - $(cat $f/times)))
	echo -1 >$f/times
	echo 2 >$f/min-order
	[ $rc = 0 ] || { dmesg | grep gomalloc_test | tail -n 3; gm_fail "a __GFP_NOFAIL allocation returned NULL"; }
	echo "nofail: $(dmesg | grep -o 'nofail: .*' | head -n 1); $injected page allocation(s) failed"
	rmmod gomalloc_test
	[ "$injected" -gt 0 ] || gm_fail "no page allocation failed during the __GFP_NOFAIL run"
fi

gm_run basic || exit 1
echo "fixalloc_bytes: $fix0 after the workloads without failures, $(gm_stat fixalloc_bytes) now"
gm_drop
gm_expect_eq "pages_held after faults and drop_caches (retain_pages 0)" "$(gm_stat pages_held)" 0
gm_expect_eq "objects_inuse after faults" "$(gm_stat objects_inuse)" "$before"
gm_expect_eq "large_objects_inuse after faults" "$(gm_stat large_objects_inuse)" "$large0"
gm_expect_le "fixalloc_bytes after faults" "$(gm_stat fixalloc_bytes)" "$fixmax"
