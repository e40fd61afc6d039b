#!/bin/bash
# `make check`: KUnit (and the kselftests) in the debug kernel, KUnit and the
# concurrency kselftests in the KCSAN kernel, the kselftests in Debian's stock
# 6.1 and 6.12 kernels, KUnit and the kselftests in the RT debug kernel, the
# kselftests in Debian's 6.1-rt and 6.12-rt kernels, the host checks, a
# console watch on every guest, one summary.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

# Every way out ends with the summary line: summarize.py prints it when the
# run gets that far; an early stop (gm_die, a failed command, a signal) is
# one failure, with its reason.
summarized=0
# shellcheck disable=SC2317  # runs from the trap
gm_check_exit() {
	local rc=$? cmd=$BASH_COMMAND
	[ "$summarized" = 0 ] || return 0
	[ "$rc" != 0 ] || rc=1
	case $cmd in exit*) cmd="" ;; esac
	echo "FAIL make check stopped early (exit $rc): ${GM_DIE_REASON:-${cmd:+command failed: }${cmd:-see above}}"
	echo "0 passed, 1 failed"
	exit "$rc"
}
trap gm_check_exit EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# shellcheck disable=SC2086
gm_need_packages $GM_PACKAGES
kver=$(gm_stock_kver 6.1)
[ -n "$kver" ] || gm_die "no Debian 6.1 kernel image in /lib/modules"
kver12=$(gm_stock_kver 6.12)
[ -n "$kver12" ] || gm_die "no Debian 6.12 kernel image in /lib/modules"
kvrt=$(gm_rt_kver 6.1)
[ -n "$kvrt" ] || gm_die "no Debian 6.1 PREEMPT_RT kernel image in /lib/modules"
kvrt12=$(gm_rt_kver 6.12)
[ -n "$kvrt12" ] || gm_die "no Debian 6.12 PREEMPT_RT kernel image in /lib/modules"
out="$GM_TOP/out/check"
rm -rf "$out"
mkdir -p "$out"

dbg=$("$GM_TOP/vm/debug-kernel.sh" | tail -n 1) ||
	gm_die "vm/debug-kernel.sh failed: no debug kernel"
[ -f "$dbg/.gomalloc-done" ] || gm_die "debug kernel missing"
kcsan=$("$GM_TOP/vm/debug-kernel.sh" "$GM_TOP/vm/kcsan-kernel.config" | tail -n 1) ||
	gm_die "vm/debug-kernel.sh vm/kcsan-kernel.config failed: no KCSAN kernel"
[ -f "$kcsan/.gomalloc-done" ] || gm_die "KCSAN kernel missing"
rtdbg=$("$GM_TOP/vm/debug-kernel.sh" "$GM_TOP/vm/rt-debug-kernel.config" | tail -n 1) ||
	gm_die "vm/debug-kernel.sh vm/rt-debug-kernel.config failed: no RT debug kernel"
[ -f "$rtdbg/.gomalloc-done" ] || gm_die "RT debug kernel missing"

gm_log "building against the debug, KCSAN and RT debug kernels, $kver, $kver12, $kvrt and $kvrt12 (W=1)"
gm_build "$dbg" "$out/build-debug"
gm_build "$kcsan" "$out/build-kcsan"
gm_build "$rtdbg" "$out/build-rtdebug"
gm_build "$(gm_stock_kdir "$kver")" "$out/build-stock"
gm_build "$(gm_stock_kdir "$kver12")" "$out/build-612"
gm_build "$(gm_stock_kdir "$kvrt")" "$out/build-rt61"
gm_build "$(gm_stock_kdir "$kvrt12")" "$out/build-rt612"
for b in debug kcsan rtdebug; do
	[ -f "$out/build-$b/gomalloc_kunit.ko" ] || gm_die "gomalloc_kunit.ko was not built ($b kernel)"
done
[ -f "$out/build-debug/gomalloc_kasan_kunit.ko" ] || gm_die "gomalloc_kasan_kunit.ko was not built"

# kunit_payload LABEL: the guest script that runs gomalloc_kunit.ko.
kunit_payload() {
	sed "s/@LABEL@/$1/g" <<'PAYLOAD'
if insmod gomalloc.ko; then
	dmesg -c >/dev/null
	insmod gomalloc_kunit.ko || echo "GM-FAIL insmod gomalloc_kunit.ko failed" >"$GM_RESULT"
	{
		echo "KUNIT-BEGIN gomalloc_kunit"
		dmesg | sed 's/^\[[ 0-9.]*\] //'
		echo "KUNIT-END"
	} >"$GM_RESULT"
	rmmod gomalloc_kunit 2>/dev/null
	# The KUnit cases must have freed all they allocated.
	sh ./rmmod-gomalloc.sh @LABEL@ "after KUnit"
else
	echo "GM-FAIL insmod gomalloc.ko failed (@LABEL@ kernel)" >"$GM_RESULT"
fi
PAYLOAD
}

# Guest 1: the debug kernel (KASAN, lockdep, atomic-sleep checks, KUnit).
p="$out/payload-debug"
mkdir -p "$p"
cp "$out/build-debug/gomalloc_kunit.ko" "$out/build-debug/gomalloc_kasan_kunit.ko" "$p/"
gm_stage_kselftest "$out/build-debug" "$p"
{
	kunit_payload debug
	echo 'sh ./ksft-run.sh debug'
	# Last: each KASAN report its cases ask for taints the kernel, which turns
	# lockdep off for the rest of the boot (selftests/kunit/kasan_kunit.c).
	echo 'sh ./kunit-run.sh debug gomalloc_kasan_kunit'
} >"$p/run.sh"

# Guest 2: Debian's stock kernel, as users load the module.
s="$out/payload-stock"
mkdir -p "$s"
gm_stage_kselftest "$out/build-stock" "$s"
echo 'sh ./ksft-run.sh stock-6.1' >"$s/run.sh"

# Guest 3: Debian's stock 6.12 kernel.
s12="$out/payload-612"
mkdir -p "$s12"
gm_stage_kselftest "$out/build-612" "$s12"
echo 'sh ./ksft-run.sh stock-6.12' >"$s12/run.sh"

# Guest 4: the KCSAN kernel, KUnit and the kselftests where CPUs, contexts
# and the background work race: fast paths against remote frees, sweeps,
# drains (shrinker, hotplug), the scavenger, RCU frees.
GM_KCSAN_KSFT="gomalloc_multicpu.sh gomalloc_stress.sh gomalloc_stress_faults.sh
gomalloc_hotplug.sh gomalloc_irq.sh gomalloc_rcu.sh gomalloc_cache.sh gomalloc_scavenge.sh
gomalloc_nowait.sh"
pk="$out/payload-kcsan"
mkdir -p "$pk"
cp "$out/build-kcsan/gomalloc_kunit.ko" "$pk/"
gm_stage_kselftest "$out/build-kcsan" "$pk"
{
	kunit_payload kcsan
	# shellcheck disable=SC2086
	echo "sh ./ksft-run.sh kcsan" $GM_KCSAN_KSFT
	# What KCSAN did (watchpoints set up, races seen: also those it could
	# not report), then off: the shutdown's own races are not gomalloc's.
	echo 'sed "s/^/# kcsan: /" /sys/kernel/debug/kcsan >"$GM_RESULT"'
	echo 'echo off >/sys/kernel/debug/kcsan'
} >"$pk/run.sh"

# Guest 5: the RT debug kernel (6.12 PREEMPT_RT with lockdep, atomic-sleep,
# preempt and raw-lock nesting checks): KUnit and every kselftest.
prt="$out/payload-rtdebug"
mkdir -p "$prt"
cp "$out/build-rtdebug/gomalloc_kunit.ko" "$prt/"
gm_stage_kselftest "$out/build-rtdebug" "$prt"
{
	kunit_payload rtdebug
	echo 'sh ./ksft-run.sh rtdebug'
} >"$prt/run.sh"

# Guests 6 and 7: Debian's PREEMPT_RT kernels, as users load the module.
srt="$out/payload-rt61"
mkdir -p "$srt"
gm_stage_kselftest "$out/build-rt61" "$srt"
echo 'sh ./ksft-run.sh rt-6.1' >"$srt/run.sh"
srt12="$out/payload-rt612"
mkdir -p "$srt12"
gm_stage_kselftest "$out/build-rt612" "$srt12"
echo 'sh ./ksft-run.sh rt-6.12' >"$srt12/run.sh"

# Host checks: style and static analysis, DKMS packaging, the viewer, the
# verdict logic of this harness, make run (which writes only out/run/). Each
# line gives the check's duration.
h="$out/host"
mkdir -p "$h"
{
	echo "KSFT-BEGIN host"
	n=0
	for t in "vm/lint.sh" "vm/dkms-check.sh" "sh tools/test-gomalloc-top.sh" \
		"vm/test-summarize.sh" "timeout -k 10 150 make run"; do
		n=$((n + 1))
		log="$h/check-$n.log"
		t0=$SECONDS rc=0
		# shellcheck disable=SC2086
		(cd "$GM_TOP" && $t) >"$log" 2>&1 || rc=$?
		secs=$((SECONDS - t0))
		# make run must also say so.
		case "$rc $t" in
		"0 "*"make run") grep -qx 'make run: OK' "$log" || rc=1 ;;
		esac
		if [ "$rc" = 0 ]; then
			echo "ok $n $t (${secs}s)"
		else
			echo "not ok $n $t (exit $rc, ${secs}s, log: $log)"
			tail -n 25 "$log" | sed 's/^/# /' >&2
		fi
	done
	echo "KSFT-END"
	echo "GM-DONE rc=0"
} >"$h/results.log"
: >"$h/console.log"

# The guests boot in two lanes side by side: under emulation a guest keeps
# about 1.3 of the 2 host cores busy, so two at once finish sooner than one
# after another. The timeouts allow for the sharing (each is an upper bound
# on a hang, not a time limit a test should come near).
# no_hash_pointers: the crng is not ready this early under emulation, so
# %p in a debug report would print (____ptrval____) instead of the address.
# kasan_multi_shot: every report the KASAN suite asks for, not the first only.
# KCSAN's reports ("BUG: KCSAN: data-race in ...") fail the console watch,
# as sleeping locks in atomic context and lockdep reports do in RT kernels.
# init_on_alloc=0 on 6.12: what a freed object leaves behind reaches the
# next user.
lane1() {
	gm_log "guest 1: debug kernel, KUnit + kselftests (-smp 4, init_on_alloc=1, no_hash_pointers, movablecore=512M, kasan_multi_shot)"
	"$GM_TOP/vm/boot.sh" -k "$dbg/arch/x86/boot/bzImage" -p "$p" -o "$out/debug" \
		-t "${GOMALLOC_DEBUG_TIMEOUT:-900}" -s 4 -m 2048 \
		-a "init_on_alloc=1 no_hash_pointers movablecore=512M kasan_multi_shot" || true
	gm_log "guest 6: Debian $kvrt, kselftests (-smp 4)"
	"$GM_TOP/vm/boot.sh" -k "$(gm_stock_vmlinuz "$kvrt")" -p "$srt" -o "$out/rt61" \
		-t "${GOMALLOC_STOCK_TIMEOUT:-450}" -s 4 -m 2048 || true
	gm_log "guest 7: Debian $kvrt12, kselftests (-smp 4)"
	"$GM_TOP/vm/boot.sh" -k "$(gm_stock_vmlinuz "$kvrt12")" -p "$srt12" -o "$out/rt612" \
		-t "${GOMALLOC_STOCK_TIMEOUT:-450}" -s 4 -m 2048 || true
}
lane2() {
	gm_log "guest 2: Debian stock $kver, kselftests (-smp 4)"
	"$GM_TOP/vm/boot.sh" -k "$(gm_stock_vmlinuz "$kver")" -p "$s" -o "$out/stock" \
		-t "${GOMALLOC_STOCK_TIMEOUT:-450}" -s 4 -m 2048 || true
	gm_log "guest 3: Debian stock $kver12, kselftests (-smp 4, init_on_free=1 init_on_alloc=0)"
	"$GM_TOP/vm/boot.sh" -k "$(gm_stock_vmlinuz "$kver12")" -p "$s12" -o "$out/stock612" \
		-t "${GOMALLOC_STOCK_TIMEOUT:-450}" -s 4 -m 2048 -a "init_on_free=1 init_on_alloc=0" || true
	gm_log "guest 4: KCSAN kernel, KUnit + concurrency kselftests (-smp 4, no_hash_pointers, movablecore=512M)"
	"$GM_TOP/vm/boot.sh" -k "$kcsan/arch/x86/boot/bzImage" -p "$pk" -o "$out/kcsan" \
		-t "${GOMALLOC_KCSAN_TIMEOUT:-720}" -s 4 -m 2048 -a "no_hash_pointers movablecore=512M" || true
	gm_log "guest 5: RT debug kernel, KUnit + kselftests (-smp 4, no_hash_pointers, movablecore=512M)"
	"$GM_TOP/vm/boot.sh" -k "$rtdbg/arch/x86/boot/bzImage" -p "$prt" -o "$out/rtdebug" \
		-t "${GOMALLOC_DEBUG_TIMEOUT:-900}" -s 4 -m 2048 -a "no_hash_pointers movablecore=512M" || true
}
lane1 &
l1=$!
lane2 &
l2=$!
wait "$l1" "$l2" || true

# The heap profile the 6.1 guest took, read on the host by pprof.
gm_log "host: the guest's heap profile through tools/gomalloc-pprof and go tool pprof"
"$GM_TOP/vm/pprof-check.sh" "$out/stock/results.log" "$out/pprof"

# The boot options must show in each kernel's "mem auto-init:" line.
rc=0
python3 "$GM_TOP/vm/summarize.py" --expect-kunit debug --expect-kunit kcsan --expect-kunit rtdebug \
	--expect-kunit-suites gomalloc_sizeclasses,gomalloc_heap,gomalloc_objects,gomalloc_debug,gomalloc_races,gomalloc_caches,gomalloc_rcu,gomalloc_profile \
	--expect-kunit-extra debug=gomalloc_kasan \
	--expect-console "debug=heap alloc:on" --expect-console "stock-6.12=heap alloc:off, heap free:on" \
	--expect-console "kcsan=kcsan: enabled early" \
	--expect-console "rtdebug=PREEMPT_RT" --expect-console "rt-6.1=PREEMPT_RT" \
	--expect-console "rt-6.12=PREEMPT_RT" \
	host="$out/host" pprof="$out/pprof" debug="$out/debug" kcsan="$out/kcsan" stock-6.1="$out/stock" \
	stock-6.12="$out/stock612" rtdebug="$out/rtdebug" rt-6.1="$out/rt61" rt-6.12="$out/rt612" ||
	rc=$?
# 0 or 1: it printed the summary line; anything else is a crash.
[ "$rc" -gt 1 ] || summarized=1
[ "$rc" -le 1 ] || GM_DIE_REASON="vm/summarize.py failed (exit $rc)"
exit "$rc"
