#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# The drop-in on plain kmalloc code (gomalloc_dropin.ko): the kernel's memory
# freed by the kernel and counted in foreign_frees, caches gomalloc cannot
# serve left to the kernel with one message each; nothing left behind.
. "$(dirname "$0")/gm_lib.sh"
gm_require
[ -f "$here/gomalloc_dropin.ko" ] || { echo "SKIP: gomalloc_dropin.ko not built"; exit $KSFT_SKIP; }
dmesg -c >/dev/null
gm_snap /tmp/dropin.0
insmod "$here/gomalloc_dropin.ko" || gm_fail "insmod gomalloc_dropin.ko"
p=/sys/module/gomalloc_dropin/parameters
errors=$(cat $p/errors) foreign=$(cat $p/foreign) fallbacks=$(cat $p/fallbacks)
caches=$(cat $p/caches)
rmmod gomalloc_dropin || gm_fail "rmmod gomalloc_dropin"
gm_snap /tmp/dropin.1
dmesg | grep 'gomalloc_dropin:' | sed 's/^/  /'
gm_expect_eq "failed checks in the client" "$errors" 0
gm_expect_eq "foreign_frees counted" \
	"$(($(gm_get /tmp/dropin.1 foreign_frees) - $(gm_get /tmp/dropin.0 foreign_frees)))" "$foreign"
# SLAB_RECLAIM_ACCOUNT | SLAB_RED_ZONE, and SLAB_ACCOUNT where memcg defines it.
[ "$fallbacks" -ge 1 ] || gm_fail "no cache was left to the kernel"
notes=$(dmesg | grep -c "gomalloc_kmalloc: cache gomalloc_dropin: .*the kernel's kmem_cache serves it")
# Without gomalloc's typed caches every cache is the kernel's, without a message.
if [ "$caches" = N ]; then
	gm_expect_eq "fallback messages" "$notes" 0
else
	gm_expect_eq "fallback messages (one per kernel-served cache)" "$notes" "$fallbacks"
fi
for k in objects_inuse bytes_inuse invalid_frees double_frees; do
	gm_expect_eq "$k after rmmod (as before)" "$(gm_get /tmp/dropin.1 $k)" "$(gm_get /tmp/dropin.0 $k)"
done
gm_dmesg_clean "gomalloc_dropin"
