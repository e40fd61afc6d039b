#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Natural alignment, as kmalloc promises it: every power of two from 8 bytes
# to GOMALLOC_MAX_SIZE, on the heap as found, on a fragmented heap and after
# frees (large objects from the large cache), with debug mode off and on;
# nothing left allocated, no debug error.
. "$(dirname "$0")/gm_lib.sh"
gm_require
before=$(gm_stat objects_inuse)
gm_run align || exit 1
gm_expect_eq "objects_inuse after align" "$(gm_stat objects_inuse)" "$before"
gm_on_exit "echo 0 >$gm_params/debug"
e0=$(gm_stat debug_errors)
echo ZPU >"$gm_params/debug" || gm_fail "cannot turn debug mode on"
gm_run align || exit 1
echo 0 >"$gm_params/debug"
gm_expect_eq "debug_errors after align in debug mode" "$(gm_stat debug_errors)" "$e0"
gm_expect_eq "objects_inuse after align in debug mode" "$(gm_stat objects_inuse)" "$before"
