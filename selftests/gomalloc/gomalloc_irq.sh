#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# One size class (and tiny objects) shared by task context, a timer
# (softirq, GFP_ATOMIC) and an hrtimer (hardirq, GFP_ATOMIC) on one CPU:
# objects are filled whole, verified whole before their free, and freed in
# whichever context comes next, so each context frees objects the others
# allocated.
. "$(dirname "$0")/gm_lib.sh"
gm_require
before=$(gm_stat objects_inuse)
gm_run irq seconds=3 || exit 1
dmesg | grep 'gomalloc_test: irq:' | tail -n 4 | sed 's/^\[[ 0-9.]*\] //'
gm_expect_eq "objects_inuse after irq" "$(gm_stat objects_inuse)" "$before"
