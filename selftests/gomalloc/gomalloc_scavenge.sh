#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# The background scavenger alone (no drop_caches, no memory pressure) gives
# wholly free arenas back beyond retain_pages within a few periods; with
# scavenge_ms=0 nothing is given back. Large objects of 384 pages each take
# an arena each and are never parked in a CPU's cache, so their arenas are
# wholly free once they are freed. Each phase starts from a drained heap
# (what earlier tests left in CPU caches would keep arenas partly used).
. "$(dirname "$0")/gm_lib.sh"
gm_require
retain=512
work="sizes=1572864 counts=6"

gm_set_params retain_pages=$retain scavenge_ms=0
gm_drop
# shellcheck disable=SC2086
gm_hold $work
held=$(gm_stat pages_held)
[ "$held" -gt "$retain" ] || gm_fail "pages_held $held: the workload did not grow the heap beyond retain_pages $retain"
gm_hold_end
sleep 0.5
gm_expect_eq "pages_held 0.5 s after freeing, scavenger off" "$(gm_stat pages_held)" "$held"

gm_set_params retain_pages=$retain scavenge_ms=100
gm_drop
# shellcheck disable=SC2086
gm_hold $work
held=$(gm_stat pages_held)
released=$(gm_stat arenas_released)
gm_hold_end
# At most 5 s: 50 periods of 100 ms.
t=0
while [ "$(gm_stat pages_held)" -gt "$retain" ] && [ $t -lt 50 ]; do
	sleep 0.1
	t=$((t + 1))
done
now=$(gm_stat pages_held)
echo "scavenger (every 100 ms): pages_held $held -> $now in about $((t * 100)) ms," \
	"$(($(gm_stat arenas_released) - released)) arena(s) released, $(gm_stat pages_scavenged) page(s) scavenged"
gm_expect_le "pages_held after the scavenger ran" "$now" "$retain"
[ "$(gm_stat arenas_released)" -gt "$released" ] || gm_fail "no arena released"
