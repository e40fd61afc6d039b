#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Helpers for gomalloc's kselftests (sourced). Exit 4 means skip.
KSFT_SKIP=4
here=$(dirname "$0")
gm_params=/sys/module/gomalloc/parameters

# gm_on_exit CMD: run CMD when the test exits (before parameters are restored).
gm_exit_cmds=""
gm_on_exit() {
	gm_exit_cmds="$gm_exit_cmds
$1"
}

gm_cleanup() {
	eval "$gm_exit_cmds"
	[ -z "$gm_saved_params" ] || gm_restore_params
}
trap gm_cleanup EXIT

gm_require() {
	[ -r /proc/gomalloc ] || { echo "SKIP: gomalloc.ko is not loaded"; exit $KSFT_SKIP; }
	[ -f "$here/gomalloc_test.ko" ] || { echo "SKIP: gomalloc_test.ko not built"; exit $KSFT_SKIP; }
}

gm_fail() {
	echo "FAIL: $*"
	exit 1
}

# gm_stat KEY: a value from /proc/gomalloc
gm_stat() {
	sed -n "s/^$1: //p" /proc/gomalloc
}

# gm_snap FILE: a copy of /proc/gomalloc (one read: consistent when quiet);
# gm_get FILE KEY: a value from such a copy.
gm_snap() {
	cat /proc/gomalloc >"$1"
}

gm_get() {
	sed -n "s/^$2: //p" "$1"
}

# gm_class_col FILE CLASS COLUMN: a column of one row of the class table,
# columns found by their names in the table's header (class 1..61, t62).
gm_class_col() {
	awk -v c="$2" -v k="$3" '
		/^# class / { for (i = 2; i <= NF; i++) col[$i] = i - 1; next }
		(k in col) && $1 == c { print $col[k] }' "$1"
}

# gm_class_deltas BEFORE AFTER: per class row of two snapshots, "class
# objsize inuse-delta allocs-delta frees-delta".
gm_class_deltas() {
	awk 'FNR == 1 { t = 0 }
		/^# class / { t = 1; for (i = 2; i <= NF; i++) col[$i] = i - 1; next }
		!t { next }
		FILENAME == ARGV[1] { i0[$1] = $col["inuse"]; a0[$1] = $col["allocs"]; f0[$1] = $col["frees"]; next }
		$1 in i0 {
			print $1, $col["objsize"], $col["inuse"] - i0[$1], $col["allocs"] - a0[$1], $col["frees"] - f0[$1]
		}' "$1" "$2"
}

# The sizes of the size classes, comma-separated (not the tiny row t62).
gm_class_sizes() {
	awk '/^# class / { t = 1; next }
		t && $1 ~ /^[0-9]+$/ { printf "%s%s", sep, $2; sep = "," }
		END { print "" }' /proc/gomalloc
}

# gm_insmod [params]: load the client module. When finit_module() fails,
# busybox's insmod loads the module again with init_module(): a failed test
# runs twice and may pass the second time. A "check(s) failed" line this
# load added fails it all the same (the module is unloaded).
gm_failed_loads() {
	dmesg | grep -c 'gomalloc_test: .* check(s) failed$'
}

gm_insmod() {
	gm_nfail=$(gm_failed_loads)
	insmod "$here/gomalloc_test.ko" "$@" || return 1
	[ "$(gm_failed_loads)" -gt "$gm_nfail" ] || return 0
	echo "insmod $*: failed, then passed when busybox's insmod loaded it again"
	rmmod gomalloc_test
	return 1
}

# gm_run TEST [params]: load the client module with test=TEST, unload it.
gm_run() {
	t=$1
	shift
	if ! gm_insmod test="$t" "$@"; then
		echo "FAIL: test=$t: the client module reported failures"
		dmesg | grep 'gomalloc_test:' | tail -n 8 | sed 's/^/  /'
		return 1
	fi
	rmmod gomalloc_test
}

# gm_param NAME: an output parameter of the loaded client module
gm_param() {
	cat "/sys/module/gomalloc_test/parameters/$1"
}

# gm_hold [params]: load the client with test=hold: its objects (sizes=,
# counts=, tiny_size=, tiny_count=, cpu=) stay live until gm_hold_end,
# which verifies and frees them and unloads the client.
gm_hold() {
	gm_insmod test=hold "$@" ||
		gm_fail "hold $*: allocation failed"
}

gm_hold_end() {
	echo 1 >/sys/module/gomalloc_test/parameters/release
	e=$(gm_param errors)
	rmmod gomalloc_test
	[ "$e" = 0 ] || gm_fail "$e check(s) failed on the held objects (see dmesg)"
}

# gm_set_params PARAM=VALUE...: set gomalloc's parameters for this test
# (each takes effect when written) and restore the ones it had when the test
# exits.
gm_saved_params=""
gm_set_params() {
	if [ -z "$gm_saved_params" ]; then
		gm_saved_params="retain_pages=$(cat $gm_params/retain_pages)"
		gm_saved_params="$gm_saved_params scavenge_ms=$(cat $gm_params/scavenge_ms)"
		gm_saved_params="$gm_saved_params debug=$(cat $gm_params/debug)"
		gm_saved_params="$gm_saved_params profile_rate=$(cat $gm_params/profile_rate)"
	fi
	for kv in "$@"; do
		echo "${kv#*=}" >"$gm_params/${kv%%=*}" || gm_fail "cannot set $kv"
	done
}

gm_restore_params() {
	rmmod gomalloc_test 2>/dev/null
	for kv in $gm_saved_params; do
		[ "$(cat "$gm_params/${kv%%=*}")" = "${kv#*=}" ] ||
			echo "${kv#*=}" >"$gm_params/${kv%%=*}"
	done
}

# The shrinker alone gives memory back: the background scavenger is off.
gm_scavenger_off() {
	gm_set_params scavenge_ms=0 "$@"
}

# gm_drop: what memory pressure does, through gomalloc's shrinker.
gm_drop() {
	echo 2 >/proc/sys/vm/drop_caches
}

# CPUs that can go offline (cpuN with an online file, N > 0), empty if none.
gm_hotplug_cpus() {
	for c in /sys/devices/system/cpu/cpu[1-9]*; do
		[ -f "$c/online" ] && echo "$c"
	done
}

# gm_cpu_set CPUDIR 0|1: take a CPU offline or online; true only if the
# kernel did it and the CPU is now in that state.
gm_cpu_set() {
	echo "$2" >"$1/online" 2>/dev/null && [ "$(cat "$1/online")" = "$2" ]
}

# gm_cpu_churn SECONDS: take those CPUs offline and online in a loop, in the
# background (its pid in $churn); gm_cpu_churn_end waits, onlines all and
# sets $churned to the number of completed offline+online cycles.
# While a CPU is offline its pageCache must hold nothing (debugfs
# gomalloc/pagecache: "cpu online free_pages ..."): each offline CPU is
# looked at twice, and $stuck counts the looks that found pages.
gm_churn_log=${TMPDIR:-/tmp}/gm_churn.$$
gm_pcache_file=/sys/kernel/debug/gomalloc/pagecache
gm_pcache_pages() {
	awk -v c="$1" '$1 == c && $2 == 0 { print $3 }' "$gm_pcache_file"
}

gm_cpu_churn() {
	churn=""
	churned=0
	stuck=0
	: >"$gm_churn_log"
	: >"$gm_churn_log.stuck"
	cpus=$(gm_hotplug_cpus)
	[ -n "$cpus" ] || return 0
	(
		end=$(($(date +%s) + $1))
		while [ "$(date +%s)" -lt "$end" ]; do
			for c in $cpus; do
				gm_cpu_set "$c" 0 || continue
				if [ -r "$gm_pcache_file" ]; then
					for look in 1 2; do
						n=$(gm_pcache_pages "${c##*cpu}")
						[ "${n:-0}" = 0 ] || echo "${c##*/}: $n page(s)" >>"$gm_churn_log.stuck"
						sleep 0.05
					done
				fi
				gm_cpu_set "$c" 1 && echo "$c" >>"$gm_churn_log"
			done
		done
	) &
	churn=$!
}

gm_cpu_churn_end() {
	[ -n "$churn" ] && wait "$churn"
	for c in $(gm_hotplug_cpus); do gm_cpu_set "$c" 1; done
	churned=$(wc -l <"$gm_churn_log")
	stuck=$(wc -l <"$gm_churn_log.stuck")
	[ "$stuck" = 0 ] || head -n 3 "$gm_churn_log.stuck" | sed 's/^/offline with a pageCache block: /'
	rm -f "$gm_churn_log" "$gm_churn_log.stuck"
	echo "CPU hotplug: $churned offline+online cycle(s) completed"
}

# After gm_cpu_churn_end: fail if CPUs could go offline but none did, or if
# an offline CPU was seen holding a pageCache block.
gm_expect_churned() {
	[ -z "$(gm_hotplug_cpus)" ] || [ "$churned" -gt 0 ] ||
		gm_fail "no CPU went offline and online again (writes to cpuN/online failed)"
	[ "$stuck" = 0 ] ||
		gm_fail "$stuck look(s) at an offline CPU found pages in its pageCache"
}

gm_expect_eq() {
	if [ "$2" != "$3" ]; then
		echo "FAIL: $1: expected $3, got $2"
		exit 1
	fi
	echo "ok: $1 = $2"
}

# gm_expect_le WHAT VALUE LIMIT
gm_expect_le() {
	if [ "$2" -gt "$3" ]; then
		echo "FAIL: $1: expected at most $3, got $2"
		exit 1
	fi
	echo "ok: $1 = $2 (at most $3)"
}

# gm_rt: true on a PREEMPT_RT kernel.
gm_rt() {
	uname -v | grep -q PREEMPT_RT
}

# gm_dmesg_clean: fail if the kernel reported sleeping in atomic context or
# a bug since the last dmesg -c. KCSAN's reports are left to make check's
# console watch (vm/summarize.py), which fails those about gomalloc and
# lists those about the kernel alone (a KCSAN kernel has some of its own).
gm_dmesg_clean() {
	bad=$(dmesg | grep -E 'sleeping function called from invalid context|scheduling while atomic|BUG:|WARNING:' |
		grep -v 'BUG: KCSAN: ')
	[ -z "$bad" ] || { echo "$bad" | head -n 5; gm_fail "$1: the kernel complained"; }
}
