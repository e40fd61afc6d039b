#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Workers on every CPU allocate all classes, tiny and large objects, verify
# a per-object pattern before each free, and free 30% on another CPU.
. "$(dirname "$0")/gm_lib.sh"
gm_require
before=$(gm_stat objects_inuse)
gm_run multicpu seconds=4 || exit 1
gm_expect_eq "objects_inuse after multicpu" "$(gm_stat objects_inuse)" "$before"
