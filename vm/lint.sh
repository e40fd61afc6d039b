#!/bin/bash
# `make lint`: the kernel's own style and static checks over gomalloc's
# kernel-side C.
#
#  1. scripts/checkpatch.pl --no-tree -f --strict from Debian's linux-source-6.1
#     over every .c/.h (bench/plugin/ is userspace and left out). ERROR and
#     WARNING lines fail; CHECK lines are counted (LINT_VERBOSE=1 lists them).
#  2. sparse (make C=2) plus gcc W=1 over a scratch copy of the tree in
#     out/lint/: gomalloc.ko and its client modules against Debian's 6.1
#     headers, and gomalloc.ko + gomalloc_kunit.ko against the debug kernel
#     when vm/debug-kernel.sh has built it. Any warning or error fails.
#
# Exits non-zero when anything was found. The source tree is not written to.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

gm_need_packages make gcc perl rsync sparse linux-headers-amd64 linux-source-6.1

out="$GM_TOP/out/lint"
rm -rf "$out"
mkdir -p "$out"
failed=0

# --- checkpatch.pl ----------------------------------------------------------

# The checkpatch of the extracted linux-source tree if vm/debug-kernel.sh has
# unpacked it, else just the three files it needs, unpacked once into the cache.
gm_checkpatch() {
	local ver src cp f
	ver=$(gm_debug_source_version)
	[ -n "$ver" ] || gm_die "linux-source-6.1 is not installed"
	src="$GM_CACHE/linux-source-$ver"
	if [ -f "$src/.gomalloc-extracted" ] && [ -f "$src/scripts/checkpatch.pl" ]; then
		echo "$src/scripts/checkpatch.pl"
		return
	fi
	cp="$GM_CACHE/checkpatch-$ver"
	if [ ! -f "$cp/.gomalloc-extracted" ]; then
		gm_log "extracting checkpatch.pl from linux-source $ver"
		rm -rf "$cp" "$cp.tmp"
		mkdir -p "$cp.tmp"
		tar -xJf /usr/src/linux-source-6.1.tar.xz -C "$cp.tmp" --strip-components=1 \
			linux-source-6.1/scripts/checkpatch.pl \
			linux-source-6.1/scripts/spelling.txt \
			linux-source-6.1/scripts/const_structs.checkpatch
		for f in checkpatch.pl spelling.txt const_structs.checkpatch; do
			[ -f "$cp.tmp/scripts/$f" ] || gm_die "scripts/$f missing from linux-source-6.1.tar.xz"
		done
		touch "$cp.tmp/.gomalloc-extracted"
		mv "$cp.tmp" "$cp"
	fi
	echo "$cp/scripts/checkpatch.pl"
}

# Checkpatch types a file may ignore, each with its reason:
# - the compatibility header is the one place allowed to test the kernel
#   version (checkpatch also takes LINUX_VERSION_CODE for a constant);
# - checkpatch finds the file name "mcache.c" in any "mcache.ctx", "mcache.cpu"...,
#   and "mleak.h" in <linux/kmemleak.h>.
gm_lint_ignores() {
	case $1 in
	gm_compat.h) echo LINUX_VERSION_CODE,CONSTANT_COMPARISON ;;
	mcache.c | mleak.h) echo EMBEDDED_FILENAME ;;
	esac
}

checkpatch=$(gm_checkpatch)
cd "$GM_TOP"
# Kernel-side C: the top level (sources and internal headers), include/,
# selftests/, examples/, bench/ (not bench/plugin/, a userspace qemu
# plugin); never Kbuild's generated *.mod.c.
mapfile -t files < <(
	{
		find . -maxdepth 1 \( -name '*.c' -o -name '*.h' \)
		for d in include selftests examples bench; do
			[ ! -d "$d" ] || find "$d" -path bench/plugin -prune -o \
				\( -name '*.c' -o -name '*.h' \) -print
		done
	} | sed 's|^\./||' | grep -v '\.mod\.c$' | LC_ALL=C sort
)
[ "${#files[@]}" -gt 0 ] || gm_die "no C sources found under $GM_TOP"

cplog="$out/checkpatch.log"
: >"$cplog"
for f in "${files[@]}"; do
	args=(--no-tree -f --strict --terse --show-types --no-summary --color=never)
	ign=$(gm_lint_ignores "$f")
	[ -z "$ign" ] || args+=(--ignore "$ign")
	rc=0
	LC_ALL=C perl "$checkpatch" "${args[@]}" "$f" >>"$cplog" 2>"$out/checkpatch.err" || rc=$?
	# 0: clean, 1: findings; anything else is checkpatch itself failing.
	if [ "$rc" -gt 1 ] || [ -s "$out/checkpatch.err" ]; then
		cat "$out/checkpatch.err" >&2
		gm_die "checkpatch.pl failed on $f (exit $rc)"
	fi
done

cp_bad=$(grep -cE '^[^:]+:[0-9]+: (ERROR|WARNING):' "$cplog" || true)
cp_checks=$(grep -cE '^[^:]+:[0-9]+: CHECK:' "$cplog" || true)
cp_other=$(grep -vcE '^[^:]+:[0-9]+: (ERROR|WARNING|CHECK):' "$cplog" || true)
echo "== checkpatch.pl --strict (${#files[@]} files)"
grep -E ': (ERROR|WARNING):' "$cplog" || true
# Lines checkpatch printed that are not per-line reports (file-level errors).
grep -vE '^[^:]+:[0-9]+: (ERROR|WARNING|CHECK):' "$cplog" || true
if [ "${LINT_VERBOSE:-0}" != 0 ]; then
	grep -E ': CHECK:' "$cplog" || true
fi
cp_bad=$((cp_bad + cp_other))
[ "$cp_bad" = 0 ] || failed=1

# --- sparse and gcc W=1 -----------------------------------------------------

# lint_build NAME KDIR: copy the tree to out/lint/NAME and build it with
# C=2 W=1; prints the compiler and sparse diagnostics, counts them in lint_n.
lint_build() {
	local name=$1 kdir=$2 dest="$out/$1" log="$out/$1.log" rc=0
	rsync -a --delete --exclude /out --exclude /.git --exclude '*.o' \
		--exclude '*.ko' --exclude '.*.cmd' --exclude '*.mod' \
		--exclude '*.mod.c' --exclude '*.symvers' --exclude '*.order' \
		"$GM_TOP/" "$dest/"
	{
		make -C "$kdir" M="$dest" C=2 W=1 -j"$(nproc)" modules &&
		make -C "$kdir" M="$dest/examples/demo_client" C=2 W=1 \
			KBUILD_EXTRA_SYMBOLS="$dest/Module.symvers" modules &&
		make -C "$kdir" M="$dest/selftests/gomalloc/module" C=2 W=1 \
			KBUILD_EXTRA_SYMBOLS="$dest/Module.symvers" modules &&
		if [ -d "$dest/bench/module" ]; then
			make -C "$kdir" M="$dest/bench/module" GOMALLOC="$dest" C=2 W=1 \
				KBUILD_EXTRA_SYMBOLS="$dest/Module.symvers" modules
		fi
	} >"$log" 2>&1 || rc=$?
	echo "== sparse + gcc W=1, $name ($kdir)"
	# Diagnostics with their continuation lines, paths relative to the tree.
	grep -vE '^  [A-Z]+ |^make(\[[0-9]+\])?: (Entering|Leaving)|^Skipping BTF' "$log" |
		sed "s|$dest/||g" || true
	# Case-insensitive: modpost says "WARNING: modpost: ...".
	lint_n=$(grep -ciE '(warning|error):' "$log" || true)
	if [ "$rc" != 0 ]; then
		echo "build failed (exit $rc), log: $log"
		lint_n=$((lint_n + 1))
	fi
}

kver=$(gm_stock_kver 6.1)
[ -n "$kver" ] || gm_die "no Debian 6.1 kernel in /lib/modules (linux-image-amd64)"
stock_kdir=$(gm_stock_kdir "$kver")
[ -d "$stock_kdir" ] || gm_die "no headers for $kver in $stock_kdir"
lint_build "stock-$kver" "$stock_kdir"
sp_stock=$lint_n

dbg=$(gm_debug_dir)
sp_debug=0
if [ -f "$dbg/.gomalloc-done" ]; then
	lint_build debug "$dbg"
	sp_debug=$lint_n
	if [ ! -f "$out/debug/gomalloc_kunit.ko" ] && [ "$sp_debug" = 0 ]; then
		echo "gomalloc_kunit.ko was not built against the debug kernel"
		sp_debug=1
	fi
	debug_note="$sp_debug warnings/errors"
else
	debug_note="skipped: no debug kernel yet (vm/debug-kernel.sh or make check builds it)"
fi
[ "$sp_stock" = 0 ] && [ "$sp_debug" = 0 ] || failed=1

echo "== lint summary"
echo "checkpatch: $cp_bad errors/warnings, $cp_checks checks (not failing; LINT_VERBOSE=1 lists them)"
echo "sparse+gcc against $kver: $sp_stock warnings/errors"
echo "sparse+gcc against the debug kernel (KUnit): $debug_note"
echo "logs: $out/"
if [ "$failed" != 0 ]; then
	echo "make lint: FAILED"
	exit 1
fi
echo "make lint: OK"
