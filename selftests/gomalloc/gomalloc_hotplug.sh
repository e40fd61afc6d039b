#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# CPU hotplug. First: a CPU going offline flushes its pageCache: with the
# caches drained, CPUs 1..N-1 each cut a span from a fresh page-cache
# block, then go offline: pages_pagecache is back at CPU 0's share. Then
# CPUs 1..N-1 go offline and online in a loop while the multicpu test runs;
# a dead CPU's caches are handed back and nothing is lost, and, while memory
# pressure keeps the heap growing, no offline CPU is ever seen holding a
# pageCache block. Transitions are counted: the test fails if none happened.
. "$(dirname "$0")/gm_lib.sh"
gm_require
cpus=$(gm_hotplug_cpus)
[ -n "$cpus" ] || { echo "SKIP: no CPU can go offline"; exit $KSFT_SKIP; }
before=$(gm_stat objects_inuse)
gm_on_exit 'for c in $cpus; do gm_cpu_set $c 1; done'

# retain_pages=0 makes drop_caches drain every CPU's caches even when the
# heap holds little.
gm_set_params retain_pages=0
gm_drop
pc0=$(gm_stat pages_pagecache)
mask=0
for c in $cpus; do mask=$((mask | (1 << ${c##*cpu}))); done
gm_run classes sizes=8 per_class=1 cpus=$mask || exit 1
pc1=$(gm_stat pages_pagecache)
[ "$pc1" -gt "$pc0" ] || gm_fail "pages_pagecache $pc1: the CPUs' page caches were not filled (before: $pc0)"
off=0
for c in $cpus; do gm_cpu_set "$c" 0 && off=$((off + 1)); done
[ "$off" -gt 0 ] || gm_fail "no CPU went offline (writes to cpuN/online failed)"
pc2=$(gm_stat pages_pagecache)
echo "pages_pagecache: $pc0 after drain, $pc1 after CPUs $(echo $cpus | sed 's|/sys/devices/system/cpu/cpu||g') cut spans, $pc2 with $off of them offline"
[ "$off" -lt "$(echo $cpus | wc -w)" ] ||
	gm_expect_eq "pages_pagecache with only CPU 0 online" "$pc2" "$pc0"
for c in $cpus; do gm_cpu_set "$c" 1 || gm_fail "$c did not come back online"; done
gm_restore_params

# The heap keeps growing during the churn: pressure empties it and the
# pageCaches every 0.2 s, so refills (which may sleep) race with CPUs dying.
gm_set_params retain_pages=0
gm_cpu_churn 4
( end=$(($(date +%s) + 4)); while [ "$(date +%s)" -lt "$end" ]; do gm_drop; sleep 0.2; done ) &
dropper=$!
gm_run multicpu seconds=4
rc=$?
wait $dropper
gm_cpu_churn_end
gm_restore_params
[ $rc = 0 ] || exit 1
gm_expect_churned
gm_expect_eq "online CPUs" "$(grep -c ^processor /proc/cpuinfo)" "$(ls -d /sys/devices/system/cpu/cpu[0-9]* | wc -l)"
gm_expect_eq "objects_inuse after hotplug churn" "$(gm_stat objects_inuse)" "$before"
