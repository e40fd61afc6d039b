#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# GFP_ATOMIC allocations and frees from a timer (softirq) and an hrtimer
# (hardirq) while task context allocates on the same CPUs.
. "$(dirname "$0")/gm_lib.sh"
gm_require
before=$(gm_stat objects_inuse)
gm_run irq seconds=3 || exit 1
gm_expect_eq "objects_inuse after irq" "$(gm_stat objects_inuse)" "$before"
