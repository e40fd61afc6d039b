#!/bin/sh
# Guest side: kunit-run.sh LABEL MODULE loads gomalloc.ko and the KUnit
# module MODULE.ko, writes the kernel log of its run to $GM_RESULT framed as
# KUNIT-BEGIN MODULE / KUNIT-END, then unloads both (rmmod-gomalloc.sh: no
# leak). For suites run apart from gomalloc_kunit.ko (gomalloc_kasan_kunit).
label=$1 mod=$2
if ! insmod gomalloc.ko; then
	echo "GM-FAIL $label: insmod gomalloc.ko failed (for $mod)" >"$GM_RESULT"
	exit 1
fi
dmesg -c >/dev/null
insmod "$mod.ko" || echo "GM-FAIL $label: insmod $mod.ko failed" >"$GM_RESULT"
{
	echo "KUNIT-BEGIN $mod"
	dmesg | sed 's/^\[[ 0-9.]*\] //'
	echo "KUNIT-END"
} >"$GM_RESULT"
rmmod "$mod" 2>/dev/null
sh ./rmmod-gomalloc.sh "$label" "after $mod"
