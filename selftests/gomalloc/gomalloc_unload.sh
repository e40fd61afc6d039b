#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# A loaded client pins gomalloc; unloading gomalloc with live objects left
# by a client reports them per class and keeps their memory. Runs last: it
# reloads gomalloc from $GOMALLOC_KO (or modprobe) afterwards.
. "$(dirname "$0")/gm_lib.sh"
gm_require
ko=${GOMALLOC_KO:-}
[ -n "$ko" ] && [ -f "$ko" ] || modinfo gomalloc >/dev/null 2>&1 ||
	{ echo "SKIP: cannot reload gomalloc (set GOMALLOC_KO)"; exit $KSFT_SKIP; }
insmod "$here/gomalloc_test.ko" test=leak || { echo "FAIL: leak client"; exit 1; }
if rmmod gomalloc 2>/dev/null; then
	echo "FAIL: gomalloc unloaded while a client module uses it"
	exit 1
fi
echo "ok: a loaded client pins gomalloc"
gm_expect_eq "objects_inuse with the leak client" "$(gm_stat objects_inuse)" 14
rmmod gomalloc_test
dmesg -c >/dev/null
rmmod gomalloc || { echo "FAIL: rmmod gomalloc"; exit 1; }
log=$(dmesg)
echo "$log" | grep 'gomalloc:' | sed 's/^/  /'
echo "$log" | grep -q "10 live object(s) of 64 bytes" ||
	{ echo "FAIL: no report of the 10 live 64-byte objects"; exit 1; }
echo "$log" | grep -q "still hold live objects; leaking" ||
	{ echo "FAIL: no report of the pages kept for live objects"; exit 1; }
echo "$log" | grep -q "unloading with 14 live object(s)" ||
	{ echo "FAIL: wrong live object total"; exit 1; }
if [ -n "$ko" ]; then insmod "$ko"; else modprobe gomalloc; fi ||
	{ echo "FAIL: reloading gomalloc"; exit 1; }
echo "ok: live objects reported at unload, gomalloc reloaded"
