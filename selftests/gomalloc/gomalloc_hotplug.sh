#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# CPUs 1..N-1 go offline and online in a loop while the multicpu test runs;
# a dead CPU's caches are handed back and nothing is lost.
. "$(dirname "$0")/gm_lib.sh"
gm_require
cpus=$(ls -d /sys/devices/system/cpu/cpu[1-9]* 2>/dev/null)
[ -n "$cpus" ] && [ -w /sys/devices/system/cpu/cpu1/online ] ||
	{ echo "SKIP: no CPU can go offline"; exit $KSFT_SKIP; }
before=$(gm_stat objects_inuse)
(
	end=$(($(date +%s) + 5))
	while [ "$(date +%s)" -lt "$end" ]; do
		for c in $cpus; do
			echo 0 >"$c/online" 2>/dev/null
			echo 1 >"$c/online" 2>/dev/null
		done
	done
) &
loop=$!
gm_run multicpu seconds=5
rc=$?
wait $loop
for c in $cpus; do echo 1 >"$c/online" 2>/dev/null; done
[ $rc = 0 ] || exit 1
gm_expect_eq "online CPUs" "$(grep -c ^processor /proc/cpuinfo)" "$(ls -d /sys/devices/system/cpu/cpu[0-9]* | wc -l)"
gm_expect_eq "objects_inuse after hotplug churn" "$(gm_stat objects_inuse)" "$before"
