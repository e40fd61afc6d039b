#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# The stress keeps running while gomalloc's own injection point fails 10%
# of the heap's page requests (debugfs gomalloc/fail_alloc: new spans,
# page-cache blocks, large objects), with retain_pages=0 and the scavenger
# every 50 ms so that the heap has to grow all along. Failures surface only
# as NULL returns. Afterwards, with the scavenger stopped, drop_caches
# leaves no page held, no object is live and the descriptors did not grow
# with the failures; the heap serves again.
. "$(dirname "$0")/gm_lib.sh"
gm_require
f=/sys/kernel/debug/gomalloc/fail_alloc
[ -d $f ] || { echo "SKIP: kernel without CONFIG_FAULT_INJECTION_DEBUG_FS"; exit $KSFT_SKIP; }
gm_set_params retain_pages=0 scavenge_ms=50
before=$(gm_stat objects_inuse)
large0=$(gm_stat large_objects_inuse)

# The same stress without failures first: the descriptors it needs.
gm_run stress seconds=2 || exit 1
fix0=$(gm_stat fixalloc_bytes)
# Growth allowed under failures: 2 chunks of 16 KiB per descriptor kind
# (the random stress may peak a little higher than its warm-up did).
fixmax=$((fix0 + 131072))

gm_drop
fails0=$(gm_stat injected_failures)
echo 0 >$f/verbose
echo N >$f/task-filter	# the stress's kthreads, not this shell
echo 1 >$f/interval
echo -1 >$f/times
echo 10 >$f/probability
insmod "$here/gomalloc_test.ko" test=stress seconds=5 tolerate_failures=1
rc=$?
echo 0 >$f/probability
dmesg | grep 'gomalloc_test: stress: .*operations' | tail -n 1
[ $rc = 0 ] || gm_fail "corruption under fault injection"
seen=$(gm_param failures_seen)
rmmod gomalloc_test
injected=$(($(gm_stat injected_failures) - fails0))
echo "page requests failed by injection: $injected, NULL returns seen: $seen"
[ "$injected" -gt 0 ] || gm_fail "no failure was injected"
[ "$seen" -gt 0 ] || gm_fail "injected failures never reached a caller as NULL"

# Stop the scavenger (its last run is at most 50 ms away): the shrinker alone.
echo 0 >/sys/module/gomalloc/parameters/scavenge_ms
sleep 0.2
gm_drop
gm_expect_eq "pages_held after drop_caches (retain_pages 0)" "$(gm_stat pages_held)" 0
gm_expect_eq "objects_inuse after injected faults" "$(gm_stat objects_inuse)" "$before"
gm_expect_eq "large_objects_inuse after injected faults" "$(gm_stat large_objects_inuse)" "$large0"
gm_expect_le "fixalloc_bytes after injected faults" "$(gm_stat fixalloc_bytes)" "$fixmax"
gm_run basic || exit 1
