#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Frees of foreign, interior and already freed pointers: each counted
# exactly once, nothing freed, the heap keeps working.
. "$(dirname "$0")/gm_lib.sh"
gm_require
inv0=$(gm_stat invalid_frees)
dbl0=$(gm_stat double_frees)
before=$(gm_stat objects_inuse)
gm_insmod test=badinput || { echo "FAIL: badinput checks"; exit 1; }
einv=$(gm_param expect_invalid)
edbl=$(gm_param expect_double)
rmmod gomalloc_test
gm_expect_eq "invalid_frees delta" $(($(gm_stat invalid_frees) - inv0)) "$einv"
gm_expect_eq "double_frees delta" $(($(gm_stat double_frees) - dbl0)) "$edbl"
gm_expect_eq "objects_inuse after badinput" "$(gm_stat objects_inuse)" "$before"
