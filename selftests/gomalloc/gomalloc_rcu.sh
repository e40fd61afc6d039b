#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# gofree_rcu() from a thread on every CPU (some with interrupts off), a timer
# (softirq) and an hrtimer (hardirq), while readers verify the published
# objects they find: after gomalloc_rcu_barrier() nothing is pending and
# objects_inuse is back where it was. Objects a client leaves to gofree_rcu()
# without a barrier are freed by the per-CPU flush timers; and unloading
# gomalloc right after such a client waits for them (no live objects
# reported, no oops). Leaves gomalloc loaded with default parameters.
. "$(dirname "$0")/gm_lib.sh"
gm_require
dmesg -c >/dev/null
before=$(gm_stat objects_inuse)
gm_expect_eq "rcu_pending before" "$(gm_stat rcu_pending)" 0
gm_run rcu seconds=3 || exit 1
dmesg | grep 'gomalloc_test: rcu:' | sed 's/^\[[ 0-9.]*\] //'
gm_expect_eq "rcu_pending after the barrier" "$(gm_stat rcu_pending)" 0
gm_expect_eq "objects_inuse after rcu" "$(gm_stat objects_inuse)" "$before"

gm_insmod test=rcu leave=1000 || gm_fail "leave=1000"
echo "rcu_pending with the client just loaded: $(gm_stat rcu_pending)"
rmmod gomalloc_test
i=0
while [ "$(gm_stat rcu_pending)" != 0 ] && [ $i -lt 100 ]; do
	sleep 0.1
	i=$((i + 1))
done
gm_expect_eq "rcu_pending within 10 s, no barrier" "$(gm_stat rcu_pending)" 0
gm_expect_eq "objects_inuse after leave=1000" "$(gm_stat objects_inuse)" "$before"
gm_dmesg_clean "rcu"

ko=${GOMALLOC_KO:-}
if [ -z "$ko" ] || [ ! -f "$ko" ] || [ "$before" != 0 ]; then
	echo "ok: unload with objects pending not tried (needs GOMALLOC_KO and no live objects)"
	exit 0
fi
# Partial batches held for a minute: still pending when gomalloc unloads.
echo 60000 >"$gm_params/rcu_flush_ms"
sleep 0.2	# timers armed with the old value have fired
dmesg -c >/dev/null
gm_insmod test=rcu leave=100 || gm_fail "leave=100"
rmmod gomalloc_test
pending=$(gm_stat rcu_pending)
rmmod gomalloc || gm_fail "rmmod gomalloc"
log=$(dmesg)
echo "$log" | grep 'gomalloc:' | sed 's/^\[[ 0-9.]*\] /  /'
insmod "$ko" || gm_fail "reloading gomalloc"
[ "$pending" -gt 0 ] || gm_fail "nothing pending at unload with rcu_flush_ms=60000"
echo "ok: $pending object(s) pending at unload"
if echo "$log" | grep -q 'live object'; then
	gm_fail "unload reported live objects: it did not wait for gofree_rcu()"
fi
echo "$log" | grep -q "waiting for $pending gofree_rcu() object(s)" ||
	gm_fail "no report of the wait for $pending pending object(s)"
echo "ok: the unload waited for them; no live objects reported"
gm_dmesg_clean "rcu unload"
