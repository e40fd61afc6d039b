#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# /proc/gomalloc after a known workload on a quiet system: objects_inuse,
# bytes_inuse, the tiny and large counts and each class's inuse, allocs and
# frees change by exactly what the client allocated, and return when it
# frees; objects_inuse is the sum of the classes' inuse, the tiny objects
# and the large objects (mstats.c), bytes_inuse likewise.
. "$(dirname "$0")/gm_lib.sh"
gm_require
t=${TMPDIR:-/tmp}/gm_stats.$$
gm_on_exit 'rm -f $t.*'
# Small sizes (each its class's size or just above the class below), large
# ones (10 and 25 pages) and tiny ones of 4 bytes: four to a 16-byte block.
sizes=8,64,250,1024,6000,32768,40000,100000
counts=3,5,7,11,13,2,2,1
ntiny=37
[ "$(gm_stat debug_flags)" = 0 ] || { echo "SKIP: debug mode is on"; exit $KSFT_SKIP; }

# sums FILE: the classes' live objects and their bytes (1..61, not t62).
sums() {
	awk '/^# class / { t = 1; for (i = 2; i <= NF; i++) col[$i] = i - 1; next }
		t && $1 ~ /^[0-9]+$/ { n += $col["inuse"]; b += $col["inuse"] * $col["objsize"] }
		END { print n, b }' "$1"
}

# check_identities FILE TINYBYTES
check_identities() {
	set -- "$1" "$2" $(sums "$1")
	o=$(gm_get "$1" objects_inuse)
	exp=$(($3 + $(gm_get "$1" tiny_objects_inuse) + $(gm_get "$1" large_objects_inuse)))
	gm_expect_eq "objects_inuse = classes' inuse + tiny objects + large objects ($(basename "$1"))" "$o" "$exp"
	exp=$(($4 + $2 + $(gm_get "$1" large_pages_inuse) * 4096))
	gm_expect_eq "bytes_inuse = classes' inuse x size + tiny bytes + large pages ($(basename "$1"))" \
		"$(gm_get "$1" bytes_inuse)" "$exp"
	gm_expect_eq "t62 inuse = tiny_blocks_inuse ($(basename "$1"))" \
		"$(gm_class_col "$1" t62 inuse)" "$(gm_get "$1" tiny_blocks_inuse)"
}

# Quiet start: caches drained (the shrinker drains only a heap beyond
# retain_pages), so no CPU has a current tiny block.
gm_set_params retain_pages=0
gm_drop
gm_snap $t.before
gm_expect_eq "tiny_objects_inuse at the start" "$(gm_get $t.before tiny_objects_inuse)" 0
check_identities $t.before 0

gm_hold sizes=$sizes counts=$counts tiny_size=4 tiny_count=$ntiny cpu=0
gm_snap $t.live
blocks=$(gm_param held_tiny_blocks)
mod_objects=$(gm_param held_objects)
mod_bytes=$(gm_param held_bytes)

# What the workload must add, from the class table and the sizes alone.
exp=$(awk -v sizes=$sizes -v counts=$counts '
	/^# class / { t = 1; next }
	t && $1 ~ /^[0-9]+$/ { size[++n] = $2; cls[n] = $1 }
	END {
		ns = split(sizes, s, ","); split(counts, c, ",")
		for (i = 1; i <= ns; i++) {
			objs += c[i]
			if (s[i] > size[n]) {
				large += c[i]; pages += c[i] * int((s[i] + 4095) / 4096)
				continue
			}
			for (k = 1; size[k] < s[i]; k++)
				;
			want[cls[k]] += c[i]; bytes += c[i] * size[k]
		}
		printf "%d %d %d %d", objs, bytes + pages * 4096, large, pages
		for (k in want)
			printf " %s:%d", k, want[k]
		print ""
	}' /proc/gomalloc)
set -- $exp
d() { echo $(($(gm_get $t.live "$1") - $(gm_get $t.before "$1"))); }
gm_expect_eq "objects_inuse delta" "$(d objects_inuse)" $(($1 + ntiny))
gm_expect_eq "objects the client holds" "$mod_objects" $(($1 + ntiny))
gm_expect_eq "bytes_inuse delta" "$(d bytes_inuse)" $(($2 + ntiny * 4))
gm_expect_eq "usable bytes the client holds" "$mod_bytes" $(($2 + ntiny * 4))
gm_expect_eq "large_objects_inuse delta" "$(d large_objects_inuse)" "$3"
gm_expect_eq "large_pages_inuse delta" "$(d large_pages_inuse)" "$4"
gm_expect_eq "tiny_objects_inuse delta" "$(d tiny_objects_inuse)" $ntiny
gm_expect_eq "tiny blocks the client's objects are in" "$blocks" $(((ntiny * 4 + 15) / 16))
gm_expect_eq "tiny_blocks_inuse delta" "$(d tiny_blocks_inuse)" "$blocks"
shift 4
# Every class: inuse and allocs grew by what was allocated in it, frees not.
bad=$(gm_class_deltas $t.before $t.live | awk -v want="$*" '
	BEGIN { n = split(want, w, " "); for (i = 1; i <= n; i++) { split(w[i], kv, ":"); wantc[kv[1]] = kv[2] } }
	$1 ~ /^[0-9]+$/ {
		e = ($1 in wantc) ? wantc[$1] : 0
		if ($3 != e || $4 != e || $5 != 0)
			printf "class %s: inuse +%d, allocs +%d, frees +%d; expected +%d, +%d, +0\n", $1, $3, $4, $5, e, e
	}')
[ -z "$bad" ] || gm_fail "class table after the workload:
$bad"
echo "ok: every class's inuse and allocs grew by exactly what was allocated in it ($*)"
check_identities $t.live $((ntiny * 4))

gm_hold_end
gm_snap $t.freed
for k in objects_inuse bytes_inuse tiny_objects_inuse large_objects_inuse large_pages_inuse; do
	gm_expect_eq "$k after freeing" "$(gm_get $t.freed $k)" "$(gm_get $t.before $k)"
done
bad=$(gm_class_deltas $t.before $t.freed | awk '$1 ~ /^[0-9]+$/ && ($3 != 0 || $4 != $5) {
	printf "class %s: inuse %+d, allocs +%d, frees +%d\n", $1, $3, $4, $5 }')
[ -z "$bad" ] || gm_fail "class table after freeing:
$bad"
echo "ok: every class's inuse back where it was, frees grew as allocs did"
check_identities $t.freed 0
# CPU 0's current tiny block stays allocated until the caches are drained.
gm_drop
gm_expect_eq "tiny_blocks_inuse after freeing and draining" "$(gm_stat tiny_blocks_inuse)" \
	"$(gm_get $t.before tiny_blocks_inuse)"
