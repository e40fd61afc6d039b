#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Scheduling latency, PREEMPT_RT's concern: a SCHED_FIFO kthread per CPU
# sleeps on a hard hrtimer every 200 us and records how late it wakes, first
# on an idle machine, then while the multicpu stress (allocations and remote
# frees on every CPU), the shrinker (drop_caches every 0.2 s) and the
# scavenger (every 10 ms, retaining nothing) run. The worst wakeup of each
# and their ratio are printed, not judged: under emulation the host's
# scheduling of vCPUs dominates both. Fails on failed checks or a kernel
# complaint (in RT kernels: a sleeping lock in atomic context).
. "$(dirname "$0")/gm_lib.sh"
gm_require
secs=3
dmesg -c >/dev/null
gm_insmod test=latency seconds=$secs || gm_fail "idle: the latency threads failed (see dmesg)"
idle=$(gm_param latency_max_ns)
n0=$(gm_param latency_samples)
rmmod gomalloc_test

gm_set_params scavenge_ms=10 retain_pages=0
end=$(($(date +%s) + secs + 1))
(while [ "$(date +%s)" -lt "$end" ]; do echo 3 >/proc/sys/vm/drop_caches; sleep 0.2; done) &
bg=$!
gm_on_exit "kill $bg 2>/dev/null"
gm_insmod test=latency stress=1 seconds=$secs || gm_fail "stress: a check failed (see dmesg)"
busy=$(gm_param latency_max_ns)
n1=$(gm_param latency_samples)
rmmod gomalloc_test
wait "$bg"
echo "latency ($(uname -v | grep -o 'PREEMPT[_A-Z]*' | head -n 1)): idle: worst wakeup $((idle / 1000)) us late over $n0; under gomalloc's stress: $((busy / 1000)) us over $n1; ratio $(awk "BEGIN { printf \"%.1f\", $busy / ($idle > 0 ? $idle : 1) }")"
gm_dmesg_clean "latency"
