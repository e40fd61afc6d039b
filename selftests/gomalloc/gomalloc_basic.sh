#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Every size class and tiny size: alignment, usable size, __GFP_ZERO, LIFO
# reuse, gorealloc; objects_inuse back where it started. An unknown test=
# fails the client's load with a message that names the tests.
. "$(dirname "$0")/gm_lib.sh"
gm_require
before=$(gm_stat objects_inuse)
gm_run basic || exit 1
gm_expect_eq "objects_inuse after basic" "$(gm_stat objects_inuse)" "$before"

if insmod "$here/gomalloc_test.ko" test=nosuch 2>/dev/null; then
	rmmod gomalloc_test
	gm_fail "test=nosuch: the client module loaded"
fi
msg=$(dmesg | grep 'gomalloc_test: unknown test=nosuch;' | tail -n 1)
case $msg in
*"the tests are basic, large, "*initreuse*) echo "ok: test=nosuch refused: ${msg#*] }" ;;
*) gm_fail "test=nosuch: no message naming the tests (got '$msg')" ;;
esac
