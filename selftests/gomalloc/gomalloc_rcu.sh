#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# gofree_rcu() from a thread on every CPU (some with interrupts off), a timer
# (softirq) and an hrtimer (hardirq), while readers verify the published
# objects they find: after gomalloc_rcu_barrier() nothing is pending and
# objects_inuse is back where it was. Then objects a client leaves to
# gofree_rcu() without a barrier are freed by the per-CPU flush timers.
. "$(dirname "$0")/gm_lib.sh"
gm_require
dmesg -c >/dev/null
before=$(gm_stat objects_inuse)
gm_expect_eq "rcu_pending before" "$(gm_stat rcu_pending)" 0
gm_run rcu seconds=3 || exit 1
dmesg | grep 'gomalloc_test: rcu:' | sed 's/^\[[ 0-9.]*\] //'
gm_expect_eq "rcu_pending after the barrier" "$(gm_stat rcu_pending)" 0
gm_expect_eq "objects_inuse after rcu" "$(gm_stat objects_inuse)" "$before"

gm_run rcu leave=1000 || exit 1
echo "rcu_pending once the client is gone: $(gm_stat rcu_pending)"
i=0
while [ "$(gm_stat rcu_pending)" != 0 ] && [ $i -lt 100 ]; do
	sleep 0.1
	i=$((i + 1))
done
gm_expect_eq "rcu_pending within 10 s, no barrier" "$(gm_stat rcu_pending)" 0
gm_expect_eq "objects_inuse after leave=1000" "$(gm_stat objects_inuse)" "$before"
gm_dmesg_clean "rcu"
