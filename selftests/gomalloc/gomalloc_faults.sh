#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Page allocation failures injected (fail_page_alloc, 10%, this task only):
# allocations return NULL cleanly; afterwards nothing leaked, heap serves.
. "$(dirname "$0")/gm_lib.sh"
gm_require
f=/sys/kernel/debug/fail_page_alloc
[ -d $f ] || { echo "SKIP: kernel without CONFIG_FAIL_PAGE_ALLOC"; exit $KSFT_SKIP; }
before=$(gm_stat objects_inuse)
echo 1 >/proc/sys/vm/drop_caches 2>/dev/null
echo 2 >/proc/sys/vm/drop_caches	# start from a small heap, so it must grow
echo 1 >$f/interval
echo -1 >$f/times
echo 0 >$f/space
echo 0 >$f/verbose
echo N >$f/ignore-gfp-wait
echo N >$f/ignore-gfp-highmem
echo 2 >$f/min-order
echo Y >$f/task-filter

# gm_inject PERCENT: run the faults test with that failure rate in this task
gm_inject() {
	echo "$1" >$f/probability
	(echo 1 >/proc/self/make-it-fail && exec insmod "$here/gomalloc_test.ko" test=faults seconds=2)
	rc=$?
	echo 0 >$f/probability
	[ $rc = 0 ] || { echo "FAIL: faults test at $1% reported corruption"; exit 1; }
	seen=$(gm_param failures_seen)
	rmmod gomalloc_test
	echo "injection at $1%: $seen NULL returns"
}

# Every high-order page allocation fails: the heap cannot grow, large
# allocations must come back NULL (and nothing else may go wrong).
gm_inject 100
[ "$seen" -gt 0 ] || { echo "FAIL: no NULL return while every page allocation failed"; exit 1; }
# 10%: the heap falls back to smaller arenas and keeps serving.
gm_inject 10
gm_run basic || exit 1
gm_expect_eq "objects_inuse after faults" "$(gm_stat objects_inuse)" "$before"
gm_expect_eq "large_objects_inuse after faults" "$(gm_stat large_objects_inuse)" 0
