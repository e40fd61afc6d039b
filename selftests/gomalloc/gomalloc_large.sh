#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Large objects from several CPUs at once; a freed large object's pages
# serve the next one of its size (no new arena); after everything is freed
# and caches are dropped, pages_held is back within the retained amount.
# The scavenger is off: what gives memory back here is the shrinker alone.
. "$(dirname "$0")/gm_lib.sh"
gm_require
gm_scavenger_off
before=$(gm_stat objects_inuse)
ncpu=$(grep -c ^processor /proc/cpuinfo)
# Every size class of large object, zeroed, page-aligned, usable size...
gm_run large || exit 1
# ...then one worker per CPU allocating and freeing only large objects,
# 30% of them freed on another CPU.
gm_run largecpu seconds=2 || exit 1
gm_expect_eq "objects_inuse after large" "$(gm_stat objects_inuse)" "$before"
gm_expect_eq "large_objects_inuse" "$(gm_stat large_objects_inuse)" 0

# Reuse: 25 pages (parked by the freeing CPU, or cut from a free run),
# 384 pages (a run of a 2 MiB arena) and 768 pages (an arena of its own).
sizes=100000,1572864,3145728
gm_hold sizes=$sizes
held=$(gm_stat pages_held)
arenas=$(gm_stat arenas)
gm_hold_end
gm_hold sizes=$sizes
gm_expect_eq "pages_held with the same large objects allocated again" "$(gm_stat pages_held)" "$held"
gm_expect_eq "arenas with the same large objects allocated again" "$(gm_stat arenas)" "$arenas"
gm_hold_end

gm_drop
held=$(gm_stat pages_held)
retain=$(gm_stat retain_pages)
echo "pages_held=$held retain_pages=$retain cpus=$ncpu"
if [ "$held" -gt "$retain" ]; then
	echo "FAIL: pages_held $held above retain_pages $retain after drop_caches"
	cat /proc/gomalloc
	exit 1
fi
echo "ok: pages_held within the retained amount"
