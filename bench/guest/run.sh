#!/bin/sh
# gomalloc bench payload: runs in the guest as init's child (vm/boot.sh).
# Loads gomalloc, then the bench module once per workload group, and copies
# the module's "GMB" lines from the kernel log to the results port.
R=${GM_RESULT:-/dev/console}
cd /payload || exit 1
. ./params.sh

# Keep pr_info off the serial console: it is slow under TCG.
dmesg -n 1
echo "GMB-CMDLINE $(cat /proc/cmdline)" >"$R"
dmesg | sed -n 's/^\[[^]]*\] mem auto-init: /GMB-AUTOINIT /p' | head -n 1 >"$R"

# (Re)load gomalloc: memory cases start from an empty gomalloc heap, so that
# space freed by an earlier case cannot hide what the next one needs.
load_gomalloc() {
	[ -f gomalloc.ko ] || return 0
	rmmod gomalloc 2>/dev/null
	# shellcheck disable=SC2086  # word splitting intended
	if ! insmod ./gomalloc.ko $BENCH_GOMALLOC_ARGS >/tmp/insmod.log 2>&1; then
		echo "GMB-ERROR insmod gomalloc.ko: $(cat /tmp/insmod.log)" >"$R"
		exit 1
	fi
}

rc=0
# run_bench GROUP [module parameters...]
run_bench() {
	wl=$1
	shift
	dmesg -c >/dev/null
	echo "GMB-LOAD $wl $*" >"$R"
	# shellcheck disable=SC2086
	if ! insmod ./gomalloc_bench.ko workloads="$wl" "$@" $BENCH_ARGS \
		>/tmp/insmod.log 2>&1; then
		echo "GMB-ERROR insmod gomalloc_bench.ko ($wl): $(cat /tmp/insmod.log)" >"$R"
		rc=1
	fi
	dmesg -c >/tmp/kmsg
	sed -n 's/^\[[^]]*\] \(GMB .*\)$/\1/p' /tmp/kmsg >"$R"
	grep -E 'WARNING:|BUG:|Oops|gomalloc.*(error|invalid|double)' /tmp/kmsg |
		sed 's/^/GMB-KERNEL /' >"$R"
	rmmod gomalloc_bench 2>/dev/null
}

load_gomalloc
for wl in $BENCH_WORKLOADS; do
	case $wl in
	mem)
		load_gomalloc
		run_bench mem
		;;
	tiny)
		for s in $BENCH_TINY_SIZES; do
			load_gomalloc
			run_bench tiny tiny_sizes="$s"
		done
		;;
	*)
		run_bench "$wl"
		;;
	esac
done

if [ -r /proc/gomalloc ]; then
	sed 's/^/GMB-GOSTAT /' /proc/gomalloc >"$R"
fi
exit $rc
