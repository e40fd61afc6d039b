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

if [ -f gomalloc.ko ]; then
	if ! insmod ./gomalloc.ko >/tmp/insmod.log 2>&1; then
		echo "GMB-ERROR insmod gomalloc.ko: $(cat /tmp/insmod.log)" >"$R"
		exit 1
	fi
fi

rc=0
for wl in $BENCH_WORKLOADS; do
	dmesg -c >/dev/null
	echo "GMB-LOAD $wl" >"$R"
	# shellcheck disable=SC2086
	if ! insmod ./gomalloc_bench.ko workloads="$wl" $BENCH_ARGS \
		>/tmp/insmod.log 2>&1; then
		echo "GMB-ERROR insmod gomalloc_bench.ko ($wl): $(cat /tmp/insmod.log)" >"$R"
		rc=1
	fi
	dmesg -c >/tmp/kmsg
	sed -n 's/^\[[^]]*\] \(GMB .*\)$/\1/p' /tmp/kmsg >"$R"
	grep -E 'WARNING:|BUG:|Oops|gomalloc.*(error|invalid|double)' /tmp/kmsg |
		sed 's/^/GMB-KERNEL /' >"$R"
	rmmod gomalloc_bench 2>/dev/null
done

if [ -r /proc/gomalloc ]; then
	sed 's/^/GMB-GOSTAT /' /proc/gomalloc >"$R"
fi
exit $rc
