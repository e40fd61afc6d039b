#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Loading gomalloc with its k-th page allocation failing, for k = 1, 2, ...
# until a load sees no failure (fail_page_alloc through /proc/self/fail-nth,
# which fails exactly the k-th allocation of the insmod task; the loader's
# own allocations come first, then gomalloc's init, where a fallback to a
# smaller block may absorb one failure). Each load either fails
# cleanly or succeeds and unloads cleanly: no oops, KASAN or lockdep report,
# no leak. (busybox's insmod tries init_module after a failed finit_module:
# that second try, past the one failure, loads.) Then a normal load, and the
# client module's basic test. Needs CONFIG_FAIL_PAGE_ALLOC with debugfs
# (the debug kernel).
. "$(dirname "$0")/gm_lib.sh"
gm_require
ko=${GOMALLOC_KO:-}
f=/sys/kernel/debug/fail_page_alloc
[ -n "$ko" ] && [ -f "$ko" ] ||
	{ echo "SKIP: cannot reload gomalloc (set GOMALLOC_KO)"; exit $KSFT_SKIP; }
[ -d $f ] && [ -w /proc/self/fail-nth ] ||
	{ echo "SKIP: kernel without CONFIG_FAIL_PAGE_ALLOC and fail-nth"; exit $KSFT_SKIP; }
seconds=${GM_SECONDS:-70}
kmax=${GM_KMAX:-3000}

# fail-nth bypasses probability and task-filter; these only widen the set
# of allocations it counts (every order, sleeping ones too). User pages
# (highmem-capable) are left alone. times counts the injected failures.
saved=""
for a in min-order ignore-gfp-wait ignore-gfp-highmem verbose times probability; do
	saved="$saved $a=$(cat $f/$a)"
done
gm_on_exit "for kv in $saved; do echo \${kv#*=} >$f/\${kv%%=*}; done"
echo 0 >$f/probability
echo 0 >$f/min-order
echo N >$f/ignore-gfp-wait
echo Y >$f/ignore-gfp-highmem
# A failure gomalloc's init absorbed (a smaller chunk) shows in
# buddy_failures of the loaded module.
echo 0 >$f/verbose

rmmod gomalloc || gm_fail "rmmod gomalloc"
dmesg -c >/dev/null
end=$(($(date +%s) + seconds))
loads=0 initfail=0 absorbed=0
# Which calls of the insmod task reach gomalloc's init varies from run to
# run (exec, the loader): up to three rounds, until one does.
for round in 1 2 3; do
	k=1
	while :; do
		[ "$(date +%s)" -lt "$end" ] && [ "$k" -le "$kmax" ] || {
			insmod "$ko"
			gm_fail "stopped at k=$k (time or GM_KMAX): still failing allocations"
		}
		echo 100000 >$f/times
		(echo "$k" >/proc/self/fail-nth && exec insmod "$ko") >/dev/null 2>&1
		rc=$?
		injected=$((100000 - $(cat $f/times)))
		echo -1 >$f/times
		where=loader
		if [ -r /proc/gomalloc ]; then
			[ $rc = 0 ] || gm_fail "k=$k: insmod failed but gomalloc is loaded"
			where=none
			[ "$(gm_stat buddy_failures)" = 0 ] || where=absorbed
			rmmod gomalloc || gm_fail "k=$k: rmmod after the load failed"
		elif [ $rc = 0 ]; then
			gm_fail "k=$k: insmod succeeded but gomalloc is not loaded"
		fi
		dmesg | grep -q 'gomalloc: loading failed' && where=init
		bad=$(dmesg -c | grep -E 'BUG:|WARNING:|KASAN:|Oops|general protection fault|possible circular|inconsistent lock|still hold live objects')
		[ -z "$bad" ] || { echo "$bad" | head -n 5; insmod "$ko"; gm_fail "k=$k: the kernel complained"; }
		if [ "$injected" = 0 ]; then
			[ $rc = 0 ] || { insmod "$ko"; gm_fail "k=$k: insmod failed with no failure injected"; }
			break
		fi
		case $where in
		init) initfail=$((initfail + 1)); echo "k=$k: gomalloc's init failed and unwound" ;;
		absorbed) absorbed=$((absorbed + 1)); echo "k=$k: failure in gomalloc's init absorbed (fallback), loaded, unloaded" ;;
		none) loads=$((loads + 1)); echo "k=$k: loaded despite the failure, unloaded" ;;
		*) echo "k=$k: failed before gomalloc's init (exec, module loader)" ;;
		esac
		k=$((k + 1))
	done
	echo "round $round: $((k - 1)) page allocation(s) failed one at a time"
	[ $((initfail + absorbed)) = 0 ] || break
done
echo "ok: $initfail failure(s) failed gomalloc's init, $absorbed absorbed in it, $loads survived elsewhere"
[ $((initfail + absorbed)) -gt 0 ] || { insmod "$ko"; gm_fail "no failure reached gomalloc's init"; }
insmod "$ko" || gm_fail "normal insmod after the failures"
gm_run basic || exit 1
echo "ok: gomalloc loads and works after the injected failures"
