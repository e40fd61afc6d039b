#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# CPUs 1..N-1 go offline and online in a loop while the multicpu test runs;
# a dead CPU's caches are handed back and nothing is lost.
. "$(dirname "$0")/gm_lib.sh"
gm_require
[ -n "$(gm_hotplug_cpus)" ] || { echo "SKIP: no CPU can go offline"; exit $KSFT_SKIP; }
before=$(gm_stat objects_inuse)
gm_cpu_churn 5
gm_run multicpu seconds=5
rc=$?
gm_cpu_churn_end
[ $rc = 0 ] || exit 1
gm_expect_eq "online CPUs" "$(grep -c ^processor /proc/cpuinfo)" "$(ls -d /sys/devices/system/cpu/cpu[0-9]* | wc -l)"
gm_expect_eq "objects_inuse after hotplug churn" "$(gm_stat objects_inuse)" "$before"
