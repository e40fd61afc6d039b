#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# A module nobody here wrote, through the drop-in: Debian's fs/ext2 as
# gmext2.ko (vm/gmext2.sh) on a loop device, 3000 files written, read back,
# deleted while CPUs go offline and online; all its objects back at rmmod.
. "$(dirname "$0")/gm_lib.sh"
gm_require
[ -f "$here/gmext2.ko" ] && [ -f "$here/gmext2.img" ] || {
	echo "SKIP: gmext2.ko not built (Debian 6.1 kernels with CONFIG_BLOCK only)"
	exit $KSFT_SKIP
}
ndirs=${GM_EXT2_DIRS:-10}
nfiles=${GM_EXT2_FILES:-300}	# per directory
mnt=/tmp/gmext2.mnt
img=/tmp/gmext2.img
dev=""

gm_ext2_cleanup() {
	cd /
	umount "$mnt" 2>/dev/null
	[ -z "$dev" ] || losetup -d "$dev" 2>/dev/null
	rmmod gmext2 2>/dev/null
	rm -f "$img" /tmp/gmext2.sums /tmp/ext2.[0-3]
}
gm_on_exit gm_ext2_cleanup

# Sum of a column of the class table (allocs, inuse, ...).
gm_class_sum() {
	awk -v k="$2" '/^# class / { for (i = 2; i <= NF; i++) col[$i] = i - 1; t = 1; next }
		t && (k in col) && $1 ~ /^t?[0-9]+$/ { s += $col[k] } END { print s + 0 }' "$1"
}

if [ ! -e /dev/loop-control ]; then
	[ -f "$here/loop.ko" ] || { echo "SKIP: no loop device support"; exit $KSFT_SKIP; }
	insmod "$here/loop.ko" || gm_fail "insmod loop.ko"
fi
cp "$here/gmext2.img" "$img"
dev=$(losetup -f) || gm_fail "no free loop device"
losetup "$dev" "$img" || gm_fail "losetup $dev $img"
mkdir -p "$mnt"

dmesg -c >/dev/null
gm_snap /tmp/ext2.0
insmod "$here/gmext2.ko" || gm_fail "insmod gmext2.ko"
grep -qw gmext2 /proc/filesystems || gm_fail "gmext2 is not a registered filesystem"
mount -t gmext2 "$dev" "$mnt" || gm_fail "mount -t gmext2 $dev"

# Files of 1 to 4 KiB, each its own content; a few of 256 KiB (indirect blocks).
blk=$(awk 'BEGIN { for (i = 0; i < 16; i++) printf "%063d\n", i * 7919 }')
gm_cpu_churn 20
t0=$(date +%s)
d=0
while [ "$d" -lt "$ndirs" ]; do
	mkdir "$mnt/d$d" || gm_fail "mkdir d$d"
	i=0
	while [ "$i" -lt "$nfiles" ]; do
		f="$mnt/d$d/f$i"
		case $((i % 4)) in
		0) printf '%s %s\n' "$d/$i" "$blk" >"$f" ;;
		1) printf '%s %s\n%s\n' "$d/$i" "$blk" "$blk" >"$f" ;;
		2) printf '%s %s\n%s\n%s\n' "$d/$i" "$blk" "$blk" "$blk" >"$f" ;;
		*) printf '%s %s\n%s\n%s\n%s\n' "$d/$i" "$blk" "$blk" "$blk" "$blk" >"$f" ;;
		esac || gm_fail "writing $f"
		i=$((i + 1))
	done
	d=$((d + 1))
done
for b in 0 1 2 3; do
	dd if=/dev/urandom of="$mnt/big$b" bs=4096 count=64 2>/dev/null || gm_fail "writing big$b"
done
(cd "$mnt" && md5sum big* d*/*) >/tmp/gmext2.sums || gm_fail "md5sum of the files written"
sync
gm_snap /tmp/ext2.1
nsums=$(wc -l </tmp/gmext2.sums)
bytes=$(du -sk "$mnt" | awk '{ print $1 }')
echo "written: $nsums files, $bytes KiB, in $(($(date +%s) - t0)) s"

# Read back: from the page cache, then from the disk after dropping caches
# (inodes freed by RCU), then after a remount (everything read again).
(cd "$mnt" && md5sum -c /tmp/gmext2.sums >/dev/null) || gm_fail "checksums differ (cached)"
echo 3 >/proc/sys/vm/drop_caches
(cd "$mnt" && md5sum -c /tmp/gmext2.sums >/dev/null) || gm_fail "checksums differ after drop_caches"
umount "$mnt" || gm_fail "umount"
mount -t gmext2 "$dev" "$mnt" || gm_fail "mount again"
(cd "$mnt" && md5sum -c /tmp/gmext2.sums >/dev/null) || gm_fail "checksums differ after a remount"
gm_cpu_churn_end
gm_expect_churned

rm -rf "$mnt"/d* "$mnt"/big* || gm_fail "rm"
sync
echo 3 >/proc/sys/vm/drop_caches
left=$(find "$mnt" -type f | wc -l)
gm_expect_eq "files left after rm" "$left" 0
gm_snap /tmp/ext2.3	# the inode cache's totals, before it goes
umount "$mnt" || gm_fail "final umount"
rmmod gmext2 || gm_fail "rmmod gmext2"
losetup -d "$dev" && dev=""
gm_snap /tmp/ext2.2

a0=$(gm_class_sum /tmp/ext2.0 allocs)
a1=$(gm_class_sum /tmp/ext2.1 allocs)
a2=$(gm_class_sum /tmp/ext2.2 allocs)
live=$(($(gm_get /tmp/ext2.1 objects_inuse) - $(gm_get /tmp/ext2.0 objects_inuse)))
echo "through gomalloc: $((a2 - a0)) allocations ($((a1 - a0)) while writing), $live live after writing"
echo "foreign frees: $(($(gm_get /tmp/ext2.2 foreign_frees) - $(gm_get /tmp/ext2.0 foreign_frees)))"
# The inode cache: a typed cache of gomalloc's (c rows), gone at rmmod.
gm_cache_col() {
	awk -v c="$2" -v k="$3" '/^# cache / { for (i = 2; i <= NF; i++) col[$i] = i - 1; next }
		$1 == "c" && $2 == c && (k in col) { print $col[k] }' "$1"
}
echo "inode cache after writing: $(grep '^c gmext2_inode_cache ' /tmp/ext2.1 || echo none)"
cinuse=$(gm_cache_col /tmp/ext2.1 gmext2_inode_cache inuse)
[ "${cinuse:-0}" -ge "$((ndirs * nfiles))" ] ||
	gm_fail "the inode cache holds ${cinuse:-no} objects for $nsums files (not gomalloc's typed cache?)"
echo "inode cache in all: $(gm_cache_col /tmp/ext2.3 gmext2_inode_cache allocs) allocs, $(gm_cache_col /tmp/ext2.3 gmext2_inode_cache frees) frees before the last umount"
! grep -q '^c gmext2_inode_cache' /tmp/ext2.2 || gm_fail "the inode cache is still listed after rmmod"
# Every file written kept a block reservation (kmalloc'd) while its inode was cached.
[ "$live" -ge "$((ndirs * nfiles / 2))" ] ||
	gm_fail "only $live objects live through gomalloc for $nsums files written"
[ "$((a2 - a0))" -ge "$((ndirs * nfiles))" ] ||
	gm_fail "only $((a2 - a0)) allocations through gomalloc for $nsums files"
for k in objects_inuse bytes_inuse invalid_frees double_frees freelist_corrupted \
	wrong_cache_frees cache_leaks; do
	gm_expect_eq "$k after rmmod gmext2 (as before insmod)" "$(gm_get /tmp/ext2.2 $k)" \
		"$(gm_get /tmp/ext2.0 $k)"
done
if dmesg | grep -E 'EXT2-fs.*(error|warning)|gofree\(|gorealloc\(|live object'; then
	gm_fail "ext2 or gomalloc reported a problem"
fi
gm_dmesg_clean "gmext2 workload"
echo "ok: gmext2 workload"
