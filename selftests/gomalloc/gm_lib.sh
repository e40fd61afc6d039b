#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Helpers for gomalloc's kselftests (sourced). Exit 4 means skip.
KSFT_SKIP=4
here=$(dirname "$0")

gm_require() {
	[ -r /proc/gomalloc ] || { echo "SKIP: gomalloc.ko is not loaded"; exit $KSFT_SKIP; }
	[ -f "$here/gomalloc_test.ko" ] || { echo "SKIP: gomalloc_test.ko not built"; exit $KSFT_SKIP; }
}

# gm_stat KEY: a value from /proc/gomalloc
gm_stat() {
	sed -n "s/^$1: //p" /proc/gomalloc
}

# gm_run TEST [params]: load the client module with test=TEST, unload it.
gm_run() {
	t=$1
	shift
	if ! insmod "$here/gomalloc_test.ko" test="$t" "$@"; then
		echo "FAIL: test=$t: the client module reported failures"
		return 1
	fi
	rmmod gomalloc_test
}

# gm_param NAME: an output parameter of the loaded client module
gm_param() {
	cat "/sys/module/gomalloc_test/parameters/$1"
}

# CPUs that can go offline (cpu1..), empty if none can.
gm_hotplug_cpus() {
	[ -w /sys/devices/system/cpu/cpu1/online ] || return 0
	ls -d /sys/devices/system/cpu/cpu[1-9]* 2>/dev/null
}

# gm_cpu_churn SECONDS: take those CPUs offline and online in a loop, in the
# background (its pid in $churn); gm_cpu_churn_end waits and onlines all.
gm_cpu_churn() {
	churn=""
	cpus=$(gm_hotplug_cpus)
	[ -n "$cpus" ] || return 0
	(
		end=$(($(date +%s) + $1))
		while [ "$(date +%s)" -lt "$end" ]; do
			for c in $cpus; do
				echo 0 >"$c/online" 2>/dev/null
				echo 1 >"$c/online" 2>/dev/null
			done
		done
	) &
	churn=$!
}

gm_cpu_churn_end() {
	[ -n "$churn" ] && wait "$churn"
	for c in $(gm_hotplug_cpus); do echo 1 >"$c/online" 2>/dev/null; done
}

gm_expect_eq() {
	if [ "$2" != "$3" ]; then
		echo "FAIL: $1: expected $3, got $2"
		exit 1
	fi
	echo "ok: $1 = $2"
}
