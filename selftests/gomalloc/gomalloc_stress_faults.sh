#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# The stress keeps running while gomalloc's own injection point fails 10%
# of page requests (debugfs gomalloc/fail_alloc): failures surface only as
# NULL returns; afterwards nothing has leaked and the heap serves again.
# The injection point fails 10% of the heap's page requests (new spans,
# page-cache blocks, large objects).
. "$(dirname "$0")/gm_lib.sh"
gm_require
f=/sys/kernel/debug/gomalloc/fail_alloc
[ -d $f ] || { echo "SKIP: kernel without CONFIG_FAULT_INJECTION_DEBUG_FS"; exit $KSFT_SKIP; }
p=/sys/module/gomalloc/parameters
before=$(gm_stat objects_inuse)
retain=$(cat $p/retain_pages)
scav=$(cat $p/scavenge_ms)
# Keep the heap small, so that it has to grow (and can fail) all along.
echo 0 >$p/retain_pages
echo 50 >$p/scavenge_ms
echo 2 >/proc/sys/vm/drop_caches
fails0=$(gm_stat injected_failures)
echo 0 >$f/verbose
echo 1 >$f/interval
echo -1 >$f/times
echo 10 >$f/probability
insmod "$here/gomalloc_test.ko" test=stress seconds=5 tolerate_failures=1
rc=$?
echo 0 >$f/probability
echo "$retain" >$p/retain_pages
echo "$scav" >$p/scavenge_ms
dmesg | grep 'gomalloc_test: stress: .*operations' | tail -n 1
[ $rc = 0 ] || { echo "FAIL: corruption under fault injection"; exit 1; }
seen=$(gm_param failures_seen)
rmmod gomalloc_test
injected=$(($(gm_stat injected_failures) - fails0))
echo "page requests failed by injection: $injected, NULL returns seen: $seen"
[ "$injected" -gt 0 ] || { echo "FAIL: no failure was injected"; exit 1; }
[ "$seen" -gt 0 ] || { echo "FAIL: injected failures never reached a caller as NULL"; exit 1; }
gm_run basic || exit 1
gm_expect_eq "objects_inuse after injected faults" "$(gm_stat objects_inuse)" "$before"
