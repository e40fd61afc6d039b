#!/bin/bash
# Builds (once) the KUnit/KASAN/lockdep debug kernel from Debian's
# linux-source-6.1 and vm/debug-kernel.config; prints its build directory.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

gm_need_packages $GM_PACKAGES
out=$(gm_debug_dir)
if [ -f "$out/.gomalloc-done" ]; then
	echo "$out"
	exit 0
fi

ver=$(gm_debug_source_version)
src="$GM_CACHE/linux-source-$ver"
if [ ! -f "$src/.gomalloc-extracted" ]; then
	gm_log "extracting linux-source $ver"
	rm -rf "$src" "$src.tmp"
	mkdir -p "$src.tmp"
	tar -xJf /usr/src/linux-source-6.1.tar.xz -C "$src.tmp" --strip-components=1
	touch "$src.tmp/.gomalloc-extracted"
	mv "$src.tmp" "$src"
fi

gm_log "building the debug kernel in $out (about 10 minutes on 2 cores)"
rm -rf "$out"
mkdir -p "$out"
make -s -C "$src" O="$out" ARCH=x86_64 tinyconfig >/dev/null
"$src/scripts/kconfig/merge_config.sh" -m -O "$out" "$out/.config" \
	"$GM_TOP/vm/debug-kernel.config" >/dev/null
make -s -C "$src" O="$out" ARCH=x86_64 olddefconfig >/dev/null

# Every option the fragment asks for must have survived olddefconfig.
bad=0
while IFS= read -r line; do
	case "$line" in
	CONFIG_*=n) grep -qx "${line%=n}=y" "$out/.config" && { gm_log "not honoured: $line"; bad=1; } ;;
	CONFIG_*) grep -qx "$line" "$out/.config" || { gm_log "not honoured: $line"; bad=1; } ;;
	esac
done <"$GM_TOP/vm/debug-kernel.config"
[ "$bad" = 0 ] || gm_die "debug kernel config fragment not fully applied"

log="$out/build.log"
if ! make -C "$src" O="$out" ARCH=x86_64 -j"$(nproc)" bzImage modules >"$log" 2>&1; then
	tail -n 40 "$log" >&2
	gm_die "debug kernel build failed (log: $log)"
fi
touch "$out/.gomalloc-done"
gm_log "debug kernel ready: $out"
echo "$out"
