#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Heap profile: with profile_rate=4096 the client allocates 4 MiB in 1 KiB
# objects from gt_prof_site_a and 8 MiB in 4 KiB objects from
# gt_prof_site_b; debugfs gomalloc/heap_profile, scaled as pprof scales
# heap samples, gives each site its in-use bytes within 20%; once the first
# site's objects are freed its in-use bytes are near zero and its allocated
# totals stay. The first profile is printed between GM-PROFILE markers for
# the host's pprof check (vm/check.sh).
. "$(dirname "$0")/gm_lib.sh"
gm_require
D=/sys/kernel/debug
[ -d $D/gomalloc ] || mount -t debugfs none $D 2>/dev/null
P=$D/gomalloc/heap_profile
[ -r $P ] || { echo "SKIP: no debugfs gomalloc/heap_profile"; exit $KSFT_SKIP; }
[ -w $gm_params/profile_rate ] || gm_fail "no profile_rate parameter"
t=${TMPDIR:-/tmp}/gm_prof.$$
gm_on_exit 'rm -f $t.1 $t.2'

# gm_prof_site FILE FUNCTION: "inuse_bytes alloc_bytes inuse_objects" of
# the records with FUNCTION in their stack, each scaled as pprof does:
# count and bytes times 1 / (1 - exp(-avgsize / rate)), rate = R / 2 of
# the header's heap/R.
gm_prof_site() {
	awk -v fn="$2" '
	# exp(), which busybox awk may lack: halved into [-0.5, 0.5], a
	# Taylor series, squared back.
	function ex(x,   k, t, s, i) {
		for (k = 0; x < -0.5 || x > 0.5; k++)
			x /= 2
		t = 1; s = 1
		for (i = 1; i <= 14; i++) {
			t *= x / i
			s += t
		}
		for (; k > 0; k--)
			s *= s
		return s
	}
	function scale(c, b) {
		if (c == 0 || b == 0 || rate <= 1)
			return 1
		return 1 / (1 - ex(-(b / c) / rate))
	}
	NR == 1 { n = split($0, h, "heap/"); rate = h[n] / 2; next }
	/^-?[0-9]+: -?[0-9]+ \[/ {
		split($0, f, /[^-0-9]+/)
		ic = f[1]; ib = f[2]; ac = f[3]; ab = f[4]
		seen = 0
		next
	}
	/^#\t/ && !seen && index($0, "\t" fn "+") {
		seen = 1
		IB += ib * scale(ic, ib); IC += ic * scale(ic, ib)
		AB += ab * scale(ac, ab)
	}
	END { printf "%d %d %d\n", IB, AB, IC }' "$1"
}

# within PCT WANT GOT: |GOT - WANT| <= PCT% of WANT
within() {
	awk -v p="$1" -v w="$2" -v g="$3" 'BEGIN { d = g - w; if (d < 0) d = -d; exit !(d * 100 <= p * w) }'
}

gm_set_params profile_rate=4096
[ "$(gm_stat profile_rate)" = 4096 ] || gm_fail "profile_rate is $(gm_stat profile_rate) in /proc/gomalloc"
gm_insmod test=prof || gm_fail "test=prof failed"
cat $P >$t.1 || gm_fail "cannot read $P"
echo 1 >/sys/module/gomalloc_test/parameters/prof_free_a
cat $P >$t.2
rmmod gomalloc_test
gm_restore_params
head -n 1 $t.1
grep -q '^heap profile: [0-9]*: [0-9]* \[[0-9]*: [0-9]*\] @ heap/8192$' $t.1 ||
	gm_fail "header is not Go's with heap/8192: $(head -n 1 $t.1)"
echo "profile_stacks $(gm_stat profile_stacks), profile_objects $(gm_stat profile_objects), profile_dropped $(gm_stat profile_dropped)"

set -- $(gm_prof_site $t.1 gt_prof_site_a)
a_in=$1 a_alloc=$2
set -- $(gm_prof_site $t.1 gt_prof_site_b)
b_in=$1 b_alloc=$2
set -- $(gm_prof_site $t.2 gt_prof_site_a)
a_in2=$1 a_alloc2=$2
echo "gt_prof_site_a: in use $a_in (truth 4194304), allocated $a_alloc; after its free: in use $a_in2, allocated $a_alloc2"
echo "gt_prof_site_b: in use $b_in (truth 8388608), allocated $b_alloc"
within 20 4194304 "$a_in" || gm_fail "gt_prof_site_a: $a_in bytes in use, not within 20% of 4194304"
within 20 8388608 "$b_in" || gm_fail "gt_prof_site_b: $b_in bytes in use, not within 20% of 8388608"
within 20 4194304 "$a_alloc" || gm_fail "gt_prof_site_a: $a_alloc bytes allocated, not within 20% of 4194304"
[ "$a_in2" -le 41943 ] || gm_fail "gt_prof_site_a: $a_in2 bytes still in use after its objects were freed"
[ "$a_alloc2" = "$a_alloc" ] || gm_fail "gt_prof_site_a: allocated $a_alloc2 after the free, $a_alloc before"
grep -q "	gt_prof_site_a+0x[0-9a-f]*	\[gomalloc_test\]$" $t.1 ||
	gm_fail "no frame line '#	ADDR	gt_prof_site_a+0xOFF	[gomalloc_test]'"
echo "GM-PROFILE-BEGIN"
cat $t.1
echo "GM-PROFILE-END"
gm_dmesg_clean profile
