#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Large objects from several CPUs at once; after everything is freed and
# caches are dropped, pages_held is back within the retained amount.
. "$(dirname "$0")/gm_lib.sh"
gm_require
before=$(gm_stat objects_inuse)
pids=""
ncpu=$(grep -c ^processor /proc/cpuinfo)
i=0
# One client load at a time (a module loads once), so run the large test
# from the multicpu workers' CPUs by loading it repeatedly in a row while
# the multicpu test loads large objects on every CPU.
gm_run multicpu seconds=2 || exit 1
while [ $i -lt 3 ]; do
	gm_run large || exit 1
	i=$((i + 1))
done
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
