#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Every size class from every CPU, deterministically: each online CPU
# allocates per_class objects of every class (half at the class's size,
# half just above the class below), fills each with its pattern; then a
# third of each CPU's objects are verified and freed on another CPU, the
# rest on their own. Each class's allocs and frees in /proc/gomalloc grow
# by exactly per_class x CPUs. Then workers on every CPU allocate random
# sizes (all classes, tiny, large), verify a per-object pattern before each
# free, and free 30% on another CPU.
. "$(dirname "$0")/gm_lib.sh"
gm_require
before=$(gm_stat objects_inuse)
t=${TMPDIR:-/tmp}/gm_multicpu.$$
gm_on_exit 'rm -f $t.*'
per=6
sizes=$(gm_class_sizes)
nclasses=$(echo "$sizes" | tr , '\n' | wc -l)
gm_snap $t.before
gm_insmod test=classes sizes="$sizes" per_class=$per ||
	gm_fail "classes: a check failed (dmesg: $(dmesg | grep 'gomalloc_test:' | tail -n 3))"
n=$(gm_param cpus_used)
rmmod gomalloc_test
gm_snap $t.after
gm_expect_eq "CPUs that allocated every class" "$n" "$(grep -c ^processor /proc/cpuinfo)"
want=$((per * n))
bad=$(gm_class_deltas $t.before $t.after | awk -v w=$want -v nc="$nclasses" '$1 ~ /^[0-9]+$/ {
	k++
	if ($3 != 0 || $4 != w || $5 != w)
		printf "class %s (%s bytes): inuse %+d, allocs +%d, frees +%d\n", $1, $2, $3, $4, $5 }
	END { if (k != nc) print "class rows seen: " k ", expected " nc }')
[ -z "$bad" ] || gm_fail "expected allocs and frees +$want in every class, inuse unchanged:
$bad"
echo "ok: every class's allocs and frees grew by $want ($per objects on each of $n CPUs)"

gm_run multicpu seconds=3 || exit 1
gm_expect_eq "objects_inuse after multicpu" "$(gm_stat objects_inuse)" "$before"
