#!/bin/bash
# Builds (once) a debug kernel from Debian's linux-source-6.1 (or the series
# the fragment names) and a config fragment (default vm/debug-kernel.config:
# KUnit/KASAN/lockdep; vm/kcsan-kernel.config: KUnit/KCSAN;
# vm/rt-debug-kernel.config: 6.12 PREEMPT_RT/lockdep); prints its build
# directory.
# usage: debug-kernel.sh [FRAGMENT]
set -euo pipefail
. "$(dirname "$0")/lib.sh"

frag=$(realpath "${1:-$GM_TOP/vm/debug-kernel.config}")
[ -f "$frag" ] || gm_die "no config fragment $frag"
gm_need_packages $GM_PACKAGES
out=$(gm_debug_dir "$frag")
if [ -f "$out/.gomalloc-done" ]; then
	echo "$out"
	exit 0
fi

series=$(gm_debug_source "$frag")
ver=$(gm_debug_source_version "$series")
[ -n "$ver" ] || gm_die "linux-source-$series is not installed"
src="$GM_CACHE/linux-source-$ver"
if [ ! -f "$src/.gomalloc-extracted" ]; then
	gm_log "extracting linux-source $ver"
	rm -rf "$src" "$src.tmp"
	mkdir -p "$src.tmp"
	tar -xJf "/usr/src/linux-source-$series.tar.xz" -C "$src.tmp" --strip-components=1
	touch "$src.tmp/.gomalloc-extracted"
	mv "$src.tmp" "$src"
fi

gm_log "building the kernel of $(basename "$frag") in $out (about 10 minutes on 2 cores)"
rm -rf "$out"
mkdir -p "$out"
make -s -C "$src" O="$out" ARCH=x86_64 tinyconfig >/dev/null
"$src/scripts/kconfig/merge_config.sh" -m -O "$out" "$out/.config" \
	"$frag" >/dev/null
make -s -C "$src" O="$out" ARCH=x86_64 olddefconfig >/dev/null

# Every option the fragment asks for must have survived olddefconfig.
bad=0
while IFS= read -r line; do
	case "$line" in
	CONFIG_*=n) grep -qx "${line%=n}=y" "$out/.config" && { gm_log "not honoured: $line"; bad=1; } ;;
	CONFIG_*) grep -qx "$line" "$out/.config" || { gm_log "not honoured: $line"; bad=1; } ;;
	esac
done <"$frag"
[ "$bad" = 0 ] || gm_die "config fragment $frag not fully applied"

log="$out/build.log"
if ! make -C "$src" O="$out" ARCH=x86_64 -j"$(nproc)" bzImage modules >"$log" 2>&1; then
	tail -n 40 "$log" >&2
	gm_die "debug kernel build failed (log: $log)"
fi
touch "$out/.gomalloc-done"
gm_log "kernel ready: $out"
echo "$out"
