#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Large objects from several CPUs at once; after everything is freed and
# caches are dropped, pages_held is back within the retained amount.
. "$(dirname "$0")/gm_lib.sh"
gm_require
before=$(gm_stat objects_inuse)
ncpu=$(grep -c ^processor /proc/cpuinfo)
# Every size class of large object, zeroed, page-aligned, usable size...
gm_run large || exit 1
# ...then one worker per CPU allocating and freeing only large objects,
# 30% of them freed on another CPU.
gm_run largecpu seconds=2 || exit 1
gm_expect_eq "objects_inuse after large" "$(gm_stat objects_inuse)" "$before"
gm_expect_eq "large_objects_inuse" "$(gm_stat large_objects_inuse)" 0
echo 2 >/proc/sys/vm/drop_caches
held=$(gm_stat pages_held)
retain=$(gm_stat retain_pages)
echo "pages_held=$held retain_pages=$retain cpus=$ncpu"
if [ "$held" -gt "$retain" ]; then
	echo "FAIL: pages_held $held above retain_pages $retain after drop_caches"
	cat /proc/gomalloc
	exit 1
fi
echo "ok: pages_held within the retained amount"
