#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# kmemleak sees gomalloc's objects: an object of each kind (small, tiny,
# large, typed cache, bulk, gorealloc, debug mode) that nothing points to is
# reported in /sys/kernel/debug/kmemleak with the client's allocating
# function in its backtrace; a kmalloc or gomalloc object whose only pointer
# is inside a live gomalloc object is not, nor is anything of gomalloc's own.
# Skips where the kernel has no kmemleak (Debian's stock kernels).
. "$(dirname "$0")/gm_lib.sh"
gm_require
k=/sys/kernel/debug/kmemleak
[ -w "$k" ] || { echo "SKIP: no $k (kernel without CONFIG_DEBUG_KMEMLEAK)"; exit $KSFT_SKIP; }
t=/sys/module/gomalloc_test/parameters
out=${TMPDIR:-/tmp}/gm_kmemleak.$$
rate=$(cat "$gm_params/profile_rate")
gm_on_exit "[ -d $t ] && echo 1 >$t/release; rmmod gomalloc_test 2>/dev/null; echo 0 >$gm_params/debug; echo $rate >$gm_params/profile_rate; rm -f $out.*"
# Every allocation sampled: the heap profile's table of sampled addresses
# must not count as a reference that hides a lost object.
echo 1 >"$gm_params/profile_rate" || gm_fail "cannot set profile_rate"

gm_insmod test=kmemleak || gm_fail "insmod test=kmemleak failed"
echo ZPU >"$gm_params/debug" || gm_fail "cannot turn debug mode on"
echo 1 >"$t/kmemleak_debug" || gm_fail "the debug-mode objects failed"
echo 0 >"$gm_params/debug"
cat "$t/kmemleak_lost" >"$out.lost"
cat "$t/kmemleak_held" >"$out.held"
[ "$(gm_param errors)" = 0 ] || gm_fail "the client's checks failed (see dmesg)"
echo "lost on purpose: $(wc -l <"$out.lost") object(s); pointed to only from gomalloc objects: $(wc -l <"$out.held")"
sed 's/^/  lost: /' "$out.lost"
sed 's/^/  held: /' "$out.held"

# The kmemleak entries, one line per entry line, each prefixed with the
# address of its object: "0x... line".
gm_kl_read() {
	awk '/^unreferenced object 0x/ { a = $3 } a { print a, $0 }' "$k" >"$out.rep"
}

# kmemleak reports an object at least 5 s old, unreferenced and unchanged
# over two scans: one round of (scan, scan) once the objects are 6 s old
# finds them all, unless a stale copy of a pointer (a register saved on
# some stack) still refers to one: then later rounds, while under 70 s
# have passed (a scan of the debug guest under emulation takes 10-20 s;
# the tests' timeout is 120 s).
missing=""
start=$(date +%s)
sleep 6
for round in 1 2 3 4; do
	[ "$round" = 1 ] || [ $(($(date +%s) - start)) -lt 70 ] || break
	echo scan >"$k"
	echo scan >"$k"
	gm_kl_read
	missing=$(while read -r kind addr; do
		grep -q "^$addr unreferenced object" "$out.rep" || echo "$kind"
	done <"$out.lost")
	[ -n "$missing" ] || break
	echo "round $round: not reported yet: $(echo $missing)"
done
if [ -n "$missing" ]; then
	# What kmemleak knows of them (kmemleak's "dump=", into dmesg).
	dmesg -c >/dev/null
	grep -E "^($(echo $missing | tr ' ' '|')) " "$out.lost" | while read -r kind addr; do
		echo "dump=$addr" >"$k" 2>/dev/null
	done
	dmesg | sed 's/^/  /'
fi

bad=0
while read -r kind addr; do
	size=$(sed -n "s/^$addr unreferenced object $addr (size \([0-9]*\)).*/\1/p" "$out.rep")
	if [ -z "$size" ]; then
		echo "FAIL: lost $kind object $addr not reported by kmemleak"
		bad=1
	elif grep -q "^$addr .*gt_kmemleak_lose" "$out.rep"; then
		echo "ok: lost $kind object $addr reported (size $size), allocated in gt_kmemleak_lose"
	else
		echo "FAIL: lost $kind object $addr reported without gt_kmemleak_lose in its backtrace:"
		grep "^$addr " "$out.rep" | cut -d' ' -f2- | head -n 20
		bad=1
	fi
done <"$out.lost"
first=$(head -n 1 "$out.lost" | cut -d' ' -f2)
if grep -q "^$first " "$out.rep"; then
	echo "the entry of the first one:"
	grep "^$first " "$out.rep" | cut -d' ' -f2- | sed 's/^/  | /'
fi

while read -r kind addr; do
	if grep -q "^$addr unreferenced object" "$out.rep"; then
		echo "FAIL: $kind: $addr, pointed to from a live gomalloc object, reported as a leak:"
		grep "^$addr " "$out.rep" | cut -d' ' -f2- | head -n 20
		bad=1
	else
		echo "ok: $kind: $addr (only a gomalloc object points to it) not reported"
	fi
done <"$out.held"

# Anything else allocated from gomalloc.ko that kmemleak reports is
# gomalloc's own memory, or a hook missing on some path.
cut -d' ' -f2 "$out.lost" >"$out.addrs"
other=$(grep -F '[gomalloc]' "$out.rep" | cut -d' ' -f1 | sort -u | grep -vxF -f "$out.addrs")
if [ -n "$other" ]; then
	for a in $other; do grep "^$a " "$out.rep" | cut -d' ' -f2- | head -n 20; done
	echo "FAIL: kmemleak reports $(echo "$other" | wc -l) other object(s) allocated through gomalloc"
	bad=1
fi
[ "$bad" = 0 ] || gm_fail "kmemleak's view of gomalloc objects is wrong"

# Freed, the lost objects leave kmemleak's list at once (no scan needed).
echo 1 >"$t/release"
[ "$(gm_param errors)" = 0 ] || gm_fail "the client's checks failed at release"
rmmod gomalloc_test || gm_fail "rmmod gomalloc_test failed"
gm_kl_read
left=$(while read -r kind addr; do
	grep -q "^$addr unreferenced object" "$out.rep" && echo "$kind"
done <"$out.lost")
[ -z "$left" ] || gm_fail "freed object(s) still listed by kmemleak: $(echo $left)"
echo "ok: every lost object left kmemleak's list when freed"
