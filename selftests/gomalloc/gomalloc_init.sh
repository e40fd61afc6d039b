#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# The kernel's hardening policy applies to gomalloc as to SLUB: with
# init_on_alloc a reused object comes back zeroed, with init_on_free a freed
# object is zeroed (but for its free-list link); __GFP_ZERO zeroes a reused
# object whatever the policy.
. "$(dirname "$0")/gm_lib.sh"
gm_require
before=$(gm_stat objects_inuse)
insmod "$here/gomalloc_test.ko" test=init || {
	dmesg | grep 'gomalloc_test:' | tail -n 8 | sed 's/^/  /'
	gm_fail "an object was not zeroed as the policy or __GFP_ZERO asks"
}
p=$(gm_param init_policy)
rmmod gomalloc_test
dmesg | grep 'gomalloc_test: init: init_on' | tail -n 1 | sed 's/^\[[ 0-9.]*\] //'
echo "ok: init_on_alloc $([ $((p & 1)) = 1 ] && echo on || echo off)," \
	"init_on_free $([ $((p & 2)) = 2 ] && echo on || echo off) honoured; __GFP_ZERO honoured"
gm_expect_eq "objects_inuse after init" "$(gm_stat objects_inuse)" "$before"
