#!/bin/bash
# `make check`: KUnit (and the kselftests) in the debug kernel, the kselftests
# in Debian's stock 6.1 kernel, a console watch on every guest, one summary.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

gm_need_packages $GM_PACKAGES
kver=$(gm_stock_kver 6.1)
[ -n "$kver" ] || gm_die "no Debian 6.1 kernel image in /lib/modules"
out="$GM_TOP/out/check"
rm -rf "$out"
mkdir -p "$out"

dbg=$("$GM_TOP/vm/debug-kernel.sh" | tail -n 1)
[ -f "$dbg/.gomalloc-done" ] || gm_die "debug kernel missing"

gm_log "building against the debug kernel and against $kver (W=1)"
gm_build "$dbg" "$out/build-debug"
gm_build "$(gm_stock_kdir "$kver")" "$out/build-stock"
[ -f "$out/build-debug/gomalloc_kunit.ko" ] || gm_die "gomalloc_kunit.ko was not built"

# Guest 1: the debug kernel (KASAN, lockdep, atomic-sleep checks, KUnit).
p="$out/payload-debug"
mkdir -p "$p"
cp "$out/build-debug/gomalloc_kunit.ko" "$p/"
gm_stage_kselftest "$out/build-debug" "$p"
cat >"$p/run.sh" <<'PAYLOAD'
if insmod gomalloc.ko; then
	dmesg -c >/dev/null
	insmod gomalloc_kunit.ko || echo "GM-FAIL insmod gomalloc_kunit.ko failed" >"$GM_RESULT"
	{
		echo "KUNIT-BEGIN gomalloc_kunit"
		dmesg | sed 's/^\[[ 0-9.]*\] //'
		echo "KUNIT-END"
	} >"$GM_RESULT"
	rmmod gomalloc_kunit 2>/dev/null
	rmmod gomalloc || echo "GM-FAIL rmmod gomalloc after KUnit failed" >"$GM_RESULT"
else
	echo "GM-FAIL insmod gomalloc.ko failed (debug kernel)" >"$GM_RESULT"
fi
sh ./ksft-run.sh debug
PAYLOAD

# Guest 2: Debian's stock kernel, as users load the module.
s="$out/payload-stock"
mkdir -p "$s"
gm_stage_kselftest "$out/build-stock" "$s"
echo 'sh ./ksft-run.sh stock-6.1' >"$s/run.sh"

gm_log "guest 1: debug kernel, KUnit + kselftests (-smp 4)"
"$GM_TOP/vm/boot.sh" -k "$dbg/arch/x86/boot/bzImage" -p "$p" -o "$out/debug" \
	-t "${GOMALLOC_DEBUG_TIMEOUT:-600}" -s 4 -m 2048 || true
gm_log "guest 2: Debian stock $kver, kselftests (-smp 4)"
"$GM_TOP/vm/boot.sh" -k "$(gm_stock_vmlinuz "$kver")" -p "$s" -o "$out/stock" \
	-t "${GOMALLOC_STOCK_TIMEOUT:-300}" -s 4 -m 2048 || true

python3 "$GM_TOP/vm/summarize.py" --expect-kunit debug \
	debug="$out/debug" stock-6.1="$out/stock"
