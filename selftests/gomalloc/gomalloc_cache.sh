#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Typed caches and bulk. First a ctor cache held live: every online CPU
# allocates cache_count objects (half in bulk); its /proc/gomalloc row shows
# exactly that many in use, allocated and none freed, through memory
# pressure too; after the release (frees on other CPUs, destroy) the row is
# gone. Then test=cache, once plainly and once while CPUs go offline and
# online and drop_caches runs every 0.2 s: on every CPU a kthread, a timer
# (softirq) and an hrtimer (hardirq) allocate and free objects of a ctor
# cache (constructed state checked on every allocation), a
# SLAB_TYPESAFE_BY_RCU one (read under RCU while other CPUs free it), an
# odd-size align-64 one and a SLAB_HWCACHE_ALIGN one, singly and in bulk of
# 16 and 128, and gomalloc_bulk() objects, freeing a share on other CPUs and
# typed objects with gofree(). The caches' rows show while they live and go
# with them; cache_leaks and wrong_cache_frees do not move; objects_inuse
# is back where it started.
. "$(dirname "$0")/gm_lib.sh"
gm_require
t=${TMPDIR:-/tmp}/gm_cache.$$
gm_on_exit 'rm -f $t.*'
before=$(gm_stat objects_inuse)
leaks=$(gm_stat cache_leaks)
wrong=$(gm_stat wrong_cache_frees)
[ -n "$leaks" ] || gm_fail "no cache_leaks in /proc/gomalloc"
dmesg -c >/dev/null

# gm_cache_col FILE NAME COLUMN: a column of cache NAME's row, columns found
# by their names in the table's header ("# cache name objsize ...").
gm_cache_col() {
	awk -v n="$2" -v k="$3" '
		/^# cache / { for (i = 2; i <= NF; i++) col[$i] = i - 1; next }
		(k in col) && $1 == "c" && $2 == n { print $col[k] }' "$1"
}

gm_cache_rows() {
	grep -c '^c gt_c_' "$1"
}

# ---- a held cache's row ----
count=150
gm_insmod test=cachehold cache_count=$count ||
	gm_fail "cachehold: a check failed (dmesg: $(dmesg | grep 'gomalloc_test:' | tail -n 3))"
held=$(gm_param cache_held)
gm_expect_eq "objects held" "$held" $((count * $(grep -c ^processor /proc/cpuinfo)))
for phase in held "held, after drop_caches"; do
	[ "$phase" = held ] || gm_drop
	gm_snap $t.hold
	grep '^# cache \|^c gt_c_hold ' $t.hold | sed 's/^/  /'
	gm_expect_eq "gt_c_hold inuse ($phase)" "$(gm_cache_col $t.hold gt_c_hold inuse)" "$held"
	gm_expect_eq "gt_c_hold allocs ($phase)" "$(gm_cache_col $t.hold gt_c_hold allocs)" "$held"
	gm_expect_eq "gt_c_hold frees ($phase)" "$(gm_cache_col $t.hold gt_c_hold frees)" 0
	gm_expect_eq "gt_c_hold objsize" "$(gm_cache_col $t.hold gt_c_hold objsize)" 100
	elem=$(gm_cache_col $t.hold gt_c_hold elemsize)
	per=$(gm_cache_col $t.hold gt_c_hold objs_per_span)
	spans=$(gm_cache_col $t.hold gt_c_hold spans)
	[ "$elem" -ge 100 ] && [ "$per" -gt 0 ] ||
		gm_fail "gt_c_hold: elemsize $elem, objs_per_span $per"
	[ $((spans * per)) -ge "$held" ] ||
		gm_fail "gt_c_hold: $spans span(s) of $per cannot hold $held objects"
	gm_expect_eq "objects_inuse ($phase)" "$(gm_stat objects_inuse)" $((before + held))
done
echo 1 >/sys/module/gomalloc_test/parameters/release
e=$(gm_param errors)
gm_snap $t.released
rmmod gomalloc_test
[ "$e" = 0 ] || gm_fail "$e check(s) failed on the held objects (dmesg: $(dmesg | grep 'gomalloc_test:' | tail -n 3))"
gm_expect_eq "gt_c_hold rows after its destroy" "$(gm_cache_rows $t.released)" 0
gm_expect_eq "objects_inuse after cachehold" "$(gm_stat objects_inuse)" "$before"
gm_expect_eq "cache_leaks after cachehold" "$(gm_stat cache_leaks)" "$leaks"

gm_cache_summary() {
	dmesg | grep 'gomalloc_test: cache: [a-z0-9]' | grep -v ': ok$' | sed 's/^\[[ 0-9.]*\] //'
}

# ---- every CPU and context, plainly ----
# Under kmemleak (the debug kernel) every object is tracked under one global
# lock: four workers get about 50 times fewer operations done (measured: 256
# against 11491 in 2 s), too few for every bulk path and context pair to
# come up, and a load takes seconds: the runs take longer there.
secs=2 secs2=4
[ -e /sys/kernel/debug/kmemleak ] && secs=6 secs2=8
gm_dmesg_clean cachehold
dmesg -c >/dev/null
gm_run cache seconds=$secs || exit 1
gm_cache_summary
gm_expect_eq "objects_inuse after cache" "$(gm_stat objects_inuse)" "$before"
gm_expect_eq "cache_leaks after cache" "$(gm_stat cache_leaks)" "$leaks"

# ---- the same under CPU hotplug and memory pressure, /proc read meanwhile ----
gm_dmesg_clean cache
dmesg -c >/dev/null
gm_set_params retain_pages=0
: >$t.rows
gm_cpu_churn $secs2
( end=$(($(date +%s) + secs2)); while [ "$(date +%s)" -lt "$end" ]; do gm_drop; sleep 0.2; done ) &
dropper=$!
( end=$(($(date +%s) + secs2 * 3)); while [ "$(date +%s)" -lt "$end" ] && [ ! -f $t.stop ]; do
	grep '^c gt_c_' /proc/gomalloc >>$t.rows; sleep 0.3; done ) &
reader=$!
gm_run cache seconds=$secs2
rc=$?
: >$t.stop
wait $dropper $reader
gm_cpu_churn_end
gm_restore_params
[ $rc = 0 ] || exit 1
gm_cache_summary
gm_expect_churned
for c in gt_c_ctor gt_c_rcu gt_c_odd64 gt_c_hwalign; do
	n=$(grep -c "^c $c " $t.rows)
	[ "$n" -gt 0 ] || gm_fail "cache $c: no row in /proc/gomalloc while it lived"
	echo "ok: cache $c: $n row(s) read while it lived, e.g. $(grep "^c $c " $t.rows | tail -n 1)"
done
gm_snap $t.after
gm_expect_eq "gt_c_ rows after the caches' destroy" "$(gm_cache_rows $t.after)" 0
gm_expect_eq "online CPUs" "$(grep -c ^processor /proc/cpuinfo)" "$(ls -d /sys/devices/system/cpu/cpu[0-9]* | wc -l)"
gm_expect_eq "cache_leaks after cache with CPU churn" "$(gm_get $t.after cache_leaks)" "$leaks"
gm_expect_eq "wrong_cache_frees" "$(gm_get $t.after wrong_cache_frees)" "$wrong"
gm_expect_eq "objects_inuse after cache with CPU churn" "$(gm_get $t.after objects_inuse)" "$before"
gm_dmesg_clean "cache with CPU churn"
