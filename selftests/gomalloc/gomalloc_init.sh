#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# The kernel's hardening policy applies to gomalloc as to SLUB: with
# init_on_alloc a reused object comes back zeroed, with init_on_free a freed
# object is zeroed (but for its free-list link); __GFP_ZERO zeroes a reused
# object whatever the policy. With init_on_free and init_on_alloc off,
# nothing a freed object held (its free-list link, debug mode's poison and
# records) reaches the next user once caches are drained and the memory is
# reused, by any class or a large object.
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

if [ "$((p & 3))" != 2 ]; then
	echo "ok: reuse after a drain not checked (needs init_on_free=1 init_on_alloc=0)"
	exit 0
fi
# Everything freed stays in the heap for the reuse (nothing to the buddy).
gm_scavenger_off retain_pages=262144
sizes=$(gm_class_sizes)
gm_run initfree sizes="$sizes" || gm_fail "initfree"
gm_set_params debug=1
gm_run initfree sizes="$sizes" || gm_fail "initfree in debug mode"
gm_set_params debug=0
gm_drop
# A load that fails is tried again (busybox insmod falls back from
# finit_module to init_module), by then on memory the first one zeroed: the
# first attempt's count decides.
gm_run initreuse sizes="$sizes" || gm_fail "initreuse"
r=$(dmesg | grep 'gomalloc_test: initreuse: .* not zeroed' | head -n 1)
echo "${r#*] }"
case $r in
*": 0 not zeroed") ;;
*) gm_fail "memory handed out again after a drain was not zero (init_on_free)" ;;
esac
echo "ok: every class, tiny and large objects zero when reused after a drain"
gm_expect_eq "objects_inuse after initreuse" "$(gm_stat objects_inuse)" "$before"
