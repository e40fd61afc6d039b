#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Every size class and tiny size: alignment, usable size, __GFP_ZERO, LIFO
# reuse, gorealloc; objects_inuse back where it started.
. "$(dirname "$0")/gm_lib.sh"
gm_require
before=$(gm_stat objects_inuse)
gm_run basic || exit 1
gm_expect_eq "objects_inuse after basic" "$(gm_stat objects_inuse)" "$before"
