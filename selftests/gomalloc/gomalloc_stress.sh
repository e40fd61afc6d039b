#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Stress (GM_STRESS_SECONDS, default 10): workers on every CPU allocate
# random sizes (all classes, tiny, large) with random lifetimes, 30% freed
# on another CPU, each object's pattern verified before its free, while CPUs
# 1..N-1 go offline and online (the test fails if no CPU could). Then:
# nothing lost; with retain_pages=0 and the scavenger off, drop_caches
# (the shrinker alone) gives every page back.
. "$(dirname "$0")/gm_lib.sh"
gm_require
secs=${GM_STRESS_SECONDS:-10}
gm_scavenger_off retain_pages=0
before=$(gm_stat objects_inuse)
gm_cpu_churn "$secs"
insmod "$here/gomalloc_test.ko" test=stress seconds="$secs"
rc=$?
gm_cpu_churn_end
dmesg | grep 'gomalloc_test: stress: .*operations' | tail -n 1
[ $rc = 0 ] || { echo "FAIL: stress found corruption or failed allocations"; exit 1; }
rmmod gomalloc_test
gm_expect_churned
gm_expect_eq "objects_inuse after stress" "$(gm_stat objects_inuse)" "$before"
gm_drop
gm_expect_eq "pages_held after drop_caches (retain_pages 0)" "$(gm_stat pages_held)" 0
