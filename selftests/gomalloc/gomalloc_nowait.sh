#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# GFP_NOWAIT and GFP_ATOMIC where the heap must grow: the heap is emptied
# first (retain_pages=0, drop_caches), then every class, tiny sizes and two
# large sizes are allocated from a hardirq (hrtimer), a softirq (timer) and
# task context with a spinlock held. Each allocation succeeds or returns
# NULL; nothing sleeps (the debug kernel reports that on its console). On
# PREEMPT_RT the hardirq and spinlocked ones cannot miss the (emptied)
# caches without a sleeping lock: each is refused, NULL and counted in
# rt_atomic_refused; the softirq ones (a thread there) grow the heap.
. "$(dirname "$0")/gm_lib.sh"
gm_require
before=$(gm_stat objects_inuse)
gm_set_params retain_pages=0
sizes=$(gm_class_sizes),65536,262144
dmesg -c >/dev/null
for ctx in hardirq softirq task; do
	gm_drop
	gm_expect_eq "pages_held before the $ctx allocations" "$(gm_stat pages_held)" 0
	released=$(gm_stat arenas_released)
	refused=$(gm_stat rt_atomic_refused)
	gm_insmod test=nowait ctx=$ctx sizes="$sizes" ||
		gm_fail "$ctx: an object was corrupted or the timer did not run"
	ok=$(gm_param allocs_done)
	null=$(gm_param failures_seen)
	rmmod gomalloc_test
	refused=$(($(gm_stat rt_atomic_refused) - refused))
	if gm_rt && [ "$ctx" != softirq ]; then
		gm_expect_eq "$ctx: allocations served on RT" "$ok" 0
		gm_expect_eq "$ctx: rt_atomic_refused" "$refused" "$null"
		echo "ok: $ctx: RT: all $null allocation(s) refused and counted"
		continue
	fi
	gm_expect_eq "$ctx: rt_atomic_refused" "$refused" 0
	# Grown: it still holds pages, or the scavenger has given arenas back.
	[ "$(gm_stat pages_held)" -gt 0 ] || [ "$(gm_stat arenas_released)" -gt "$released" ] ||
		gm_fail "$ctx: the heap did not grow"
	[ "$ok" -gt 0 ] || gm_fail "$ctx: no allocation succeeded"
	echo "ok: $ctx: $ok allocation(s) served, $null NULL return(s), the heap grew"
done
gm_dmesg_clean "GFP_NOWAIT/GFP_ATOMIC allocations"
gm_expect_eq "objects_inuse after nowait" "$(gm_stat objects_inuse)" "$before"
