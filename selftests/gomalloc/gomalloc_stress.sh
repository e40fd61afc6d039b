#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Stress (GM_STRESS_SECONDS, default 10): workers on every CPU allocate
# random sizes (all classes, tiny, large) with random lifetimes, 30% freed
# on another CPU, each object's pattern verified before its free, while CPUs
# 1..N-1 go offline and online. Then: nothing lost, memory given back.
. "$(dirname "$0")/gm_lib.sh"
gm_require
secs=${GM_STRESS_SECONDS:-10}
before=$(gm_stat objects_inuse)
gm_cpu_churn "$secs"
insmod "$here/gomalloc_test.ko" test=stress seconds="$secs"
rc=$?
gm_cpu_churn_end
dmesg | grep 'gomalloc_test: stress: .*operations' | tail -n 1
[ $rc = 0 ] || { echo "FAIL: stress found corruption or failed allocations"; exit 1; }
rmmod gomalloc_test
gm_expect_eq "objects_inuse after stress" "$(gm_stat objects_inuse)" "$before"
echo 2 >/proc/sys/vm/drop_caches
held=$(gm_stat pages_held)
retain=$(gm_stat retain_pages)
[ "$held" -le "$retain" ] || { echo "FAIL: pages_held $held > retain_pages $retain"; exit 1; }
echo "ok: pages_held $held within retain_pages $retain after drop_caches"
