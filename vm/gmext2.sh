#!/bin/bash
# Builds Debian's fs/ext2 through include/gomalloc_kmalloc.h as gmext2.ko
# (cached), and puts it, loop.ko and an ext2 image from mke2fs in OUT for
# selftests/gomalloc/gomalloc_ext2.sh. 6.1 kernels with CONFIG_BLOCK only.
#
# usage: vm/gmext2.sh KDIR GOMALLOC_BUILD_DIR OUT
set -euo pipefail
. "$(dirname "$0")/lib.sh"

kdir=$1 gmdir=$2 out=$3
rel=$(cat "$kdir/include/config/kernel.release")
case $rel in
6.1.*) ;;
*) exit 0 ;;
esac
grep -q '^CONFIG_BLOCK=y' "$kdir/.config" || exit 0

# Only fs/ext2 of the source: from the debug kernel's extracted tree if
# there, else from the tarball (the package linux-source-6.1).
ver=$(gm_debug_source_version)
[ -n "$ver" ] || gm_die "linux-source-6.1 is not installed"
ext2src="$GM_CACHE/linux-source-$ver/fs/ext2"
if [ ! -f "$GM_CACHE/linux-source-$ver/.gomalloc-extracted" ]; then
	ext2src="$GM_CACHE/ext2-source-$ver"
	if [ ! -f "$ext2src/super.c" ]; then
		gm_log "extracting fs/ext2 of linux-source $ver"
		rm -rf "$ext2src.tmp"
		mkdir -p "$ext2src.tmp"
		tar -xJf /usr/src/linux-source-6.1.tar.xz -C "$ext2src.tmp" \
			--strip-components=3 linux-source-6.1/fs/ext2
		rm -rf "$ext2src"
		mv "$ext2src.tmp" "$ext2src"
	fi
fi
# The source must be the kernel's own version (Debian's headers name it in
# kernel.release, 6.1.192 for 6.1.0-57-amd64), or at least its series.
srcver=${ver%%-*}
if [ "$srcver" != "$rel" ]; then
	[ "${srcver%.*}" = "${rel%.*}" ] ||
		gm_die "linux-source $ver is not of the kernel's series ($rel)"
	gm_log "gmext2: linux-source $ver differs from the kernel's $rel; building anyway"
fi
uts=$(sed -n 's/^#define UTS_RELEASE "\(.*\)"$/\1/p' "$kdir/include/generated/utsrelease.h")

# ext2's inode cache asks for SLAB_RECLAIM_ACCOUNT | SLAB_ACCOUNT: given to
# gomalloc anyway (without that accounting), so that its typed cache serves it.
cflags=-DGOMALLOC_KMALLOC_IGNORE_ACCOUNT

key=$({
	echo "$cflags ${GMEXT2_CFLAGS:-}"
	echo "$ver $rel $uts"
	cat "$GM_TOP/include/gomalloc.h" "$GM_TOP/include/gomalloc_kmalloc.h" "$0"
	awk '{ print $1, $2 }' "$gmdir/Module.symvers"
	cat "$ext2src"/*.[ch]
} | sha256sum | cut -c1-12)
cache="$GM_CACHE/gmext2-$key"
if [ ! -f "$cache/gmext2.ko" ]; then
	gm_log "building gmext2.ko (fs/ext2 of $ver through gomalloc_kmalloc.h) against $uts"
	# A directory of its own: another tree may build the same key meanwhile.
	tmp=$(mktemp -d "$cache.tmp.XXXXXX")
	mkdir -p "$tmp/src"
	cp "$ext2src"/*.[ch] "$tmp/src/"
	# Another name, so that the kernel's ext4 may keep serving "ext2".
	sed -i -e 's/\.name[[:space:]]*=[[:space:]]*"ext2"/.name = "gmext2"/' \
		-e 's/MODULE_ALIAS_FS("ext2")/MODULE_ALIAS_FS("gmext2")/' \
		-e 's/"ext2_inode_cache"/"gmext2_inode_cache"/' "$tmp/src/super.c"
	grep -q '"gmext2"' "$tmp/src/super.c" || gm_die "fs/ext2/super.c: no file_system_type name to rename"
	cat >"$tmp/src/Kbuild" <<EOF
# fs/ext2 as gmext2.ko, without xattrs and ACLs (no mbcache needed).
obj-m := gmext2.o
gmext2-y := balloc.o dir.o file.o ialloc.o inode.o ioctl.o namei.o super.o symlink.o
ccflags-y := -I$GM_TOP/include -include $GM_TOP/include/gomalloc_kmalloc.h \
	$cflags ${GMEXT2_CFLAGS:-}
EOF
	log="$tmp/build.log"
	make -C "$kdir" M="$tmp/src" KBUILD_EXTRA_SYMBOLS="$gmdir/Module.symvers" \
		modules >"$log" 2>&1 || { cat "$log" >&2; gm_die "gmext2.ko: build failed"; }
	if grep -iE 'warning:|error:' "$log" >&2; then
		gm_die "gmext2.ko: the build has warnings"
	fi
	# Without debug info: it goes into every guest's initramfs.
	strip --strip-debug -o "$tmp/gmext2.ko" "$tmp/src/gmext2.ko"
	rm -rf "$tmp/src"
	mv -T "$tmp" "$cache" 2>/dev/null || rm -rf "$tmp"
	# Builds of headers long gone.
	find "$GM_CACHE" -maxdepth 1 -name 'gmext2-*' -mtime +14 -exec rm -rf {} + 2>/dev/null || true
fi
mkdir -p "$out"
cp "$cache/gmext2.ko" "$out/"

# The block device: a loop device over the image, from the kernel's modules
# (built in: nothing to load).
loop=$(find "/lib/modules/$uts/kernel/drivers/block" -name 'loop.ko*' 2>/dev/null | head -n 1)
if [ -n "$loop" ]; then
	case $loop in
	*.xz) xz -dc "$loop" >"$out/loop.ko" ;;
	*) cp "$loop" "$out/loop.ko" ;;
	esac
fi

# 24 MiB, 1 KiB blocks, inodes for the workload's files.
rm -f "$out/gmext2.img"
truncate -s 24M "$out/gmext2.img"
mke2fs -q -F -t ext2 -b 1024 -N 6144 -m 0 -L gmext2 "$out/gmext2.img" >/dev/null
