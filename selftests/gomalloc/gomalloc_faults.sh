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
echo 10 >$f/probability
echo 1 >$f/interval
echo -1 >$f/times
echo 0 >$f/space
echo 0 >$f/verbose
echo N >$f/ignore-gfp-wait
echo N >$f/ignore-gfp-highmem
echo 2 >$f/min-order
echo Y >$f/task-filter
(echo 1 >/proc/self/make-it-fail && exec insmod "$here/gomalloc_test.ko" test=faults seconds=3)
rc=$?
echo 0 >$f/probability
[ $rc = 0 ] || { echo "FAIL: faults test reported corruption"; exit 1; }
seen=$(gm_param failures_seen)
rmmod gomalloc_test
echo "NULL returns under injection: $seen"
gm_run basic || exit 1
gm_expect_eq "objects_inuse after faults" "$(gm_stat objects_inuse)" "$before"
