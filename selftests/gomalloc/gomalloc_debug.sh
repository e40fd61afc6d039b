#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Debug mode as a user meets it: turned on through its parameter, a write
# one byte past a live object is found by the full-heap validation that a
# write to debugfs gomalloc/validate runs, reported in SLUB's BUG/INFO/FIX
# shape with the class, the offset and the repair, counted once in
# /proc/gomalloc; the repaired object then validates and frees cleanly.
. "$(dirname "$0")/gm_lib.sh"
gm_require
v=/sys/kernel/debug/gomalloc/validate
[ -w "$v" ] || { echo "SKIP: no debugfs gomalloc/validate"; exit $KSFT_SKIP; }
gm_on_exit "rmmod gomalloc_test 2>/dev/null; echo 0 >$gm_params/debug"
echo ZPU >"$gm_params/debug" || gm_fail "cannot turn debug mode on"
[ "$(gm_stat debug_flags)" != 0 ] || gm_fail "debug_flags still 0 after echo ZPU"
e0=$(gm_stat debug_errors)
dmesg -c >/dev/null
gm_insmod test=redzone || gm_fail "insmod test=redzone failed"

# validate: "checked N errors M total_errors T"
gm_validate() {
	echo 1 >"$v"
	r=$(cat "$v")
	echo "validate: $r" >&2
	echo "$r" | sed -n 's/.* errors \([0-9]*\) total_errors.*/\1/p'
}
errs=$(gm_validate)
gm_expect_eq "errors found by the first validation" "$errs" 1
dmesg | sed 's/^\[[ 0-9.]*\] //' | grep -E '^(BUG|INFO|FIX) gomalloc|^INFO:' | head -n 8
dmesg | grep -q 'BUG gomalloc-[0-9]* (class [0-9]*, debug): Right Redzone overwritten' ||
	gm_fail "no BUG line naming the class and the damage"
dmesg | grep -q 'INFO: .*@offset=50\. First byte 0x12 instead of 0xcc' ||
	gm_fail "no INFO line with the offset and the bad byte"
dmesg | grep -q 'FIX gomalloc-[0-9]*: Restoring Right Redzone' ||
	gm_fail "no FIX line"
errs=$(gm_validate)
gm_expect_eq "errors found by a second validation (repaired)" "$errs" 0
rmmod gomalloc_test || gm_fail "rmmod gomalloc_test failed"
gm_expect_eq "debug_errors counted" "$(gm_stat debug_errors)" $((e0 + 1))
