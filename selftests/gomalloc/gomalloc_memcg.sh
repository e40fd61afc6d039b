#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# __GFP_ACCOUNT is not charged to the caller's memory cgroup: arenas,
# descriptors and index pages are shared by every cgroup's objects, so
# charging them to whichever cgroup grew the heap would make it carry up to
# an arena for the others (see the design comment). The client module
# allocates 8 MiB with GFP_KERNEL_ACCOUNT from a task in a child cgroup,
# from an empty heap, and holds them; the cgroup's memory.current must not
# grow by an arena (2 MiB) or more. Needs the memory controller (cgroup2).
. "$(dirname "$0")/gm_lib.sh"
gm_require
cg=/sys/fs/cgroup
d=$cg/gomalloc_memcg.$$
mounted=""
gm_memcg_cleanup() {
	[ ! -d "$d" ] || rmdir "$d"
	[ -z "$mounted" ] || umount $cg
}
gm_on_exit gm_memcg_cleanup
if ! grep -q "^[^ ]* $cg cgroup2 " /proc/mounts; then
	grep -q "^[^ ]* $cg " /proc/mounts &&
		{ echo "SKIP: $cg is not cgroup2"; exit $KSFT_SKIP; }
	mkdir -p $cg
	mount -t cgroup2 none $cg 2>/dev/null ||
		{ echo "SKIP: cannot mount cgroup2"; exit $KSFT_SKIP; }
	mounted=1
fi
grep -qw memory $cg/cgroup.controllers ||
	{ echo "SKIP: no memory controller"; exit $KSFT_SKIP; }
grep -qw memory $cg/cgroup.subtree_control || echo +memory >$cg/cgroup.subtree_control ||
	gm_fail "cannot enable the memory controller for child cgroups"
mkdir $d || gm_fail "cannot create $d"
[ -r $d/memory.current ] || gm_fail "no memory.current in $d"

# From an empty heap: every page the objects need is a new arena.
gm_scavenger_off retain_pages=0
gm_drop
gm_expect_eq "pages_held before" "$(gm_stat pages_held)" 0
arena=2097152
before=$(cat $d/memory.current)
(echo 0 >$d/cgroup.procs && exec insmod "$here/gomalloc_test.ko" test=hold account=1 \
	sizes=4096,131072 counts=1024,32) || gm_fail "hold with GFP_KERNEL_ACCOUNT failed"
after=$(cat $d/memory.current)
held=$(gm_stat pages_held)
kmem=$(sed -n 's/^kernel //p' $d/memory.stat)
echo "held $(gm_param held_bytes) bytes; gomalloc holds $((held * 4096)) bytes of pages;" \
	"the cgroup's memory.current $before -> $after${kmem:+, kernel $kmem}"
gm_hold_end
[ "$held" -ge $((2 * arena / 4096)) ] || gm_fail "the heap did not grow (pages_held $held)"
gm_expect_le "memory.current growth of the allocating cgroup" $((after - before)) $((arena - 1))
