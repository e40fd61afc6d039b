#!/bin/bash
# make bench: gomalloc against SLUB in Debian's stock 6.1 and 6.12 kernels
# under QEMU TCG (4 vCPUs), counted in guest instructions by our gmcount
# plugin.
# Leaves out/bench/{results.csv,ratios.csv,results.md,insns_by_size.png}.
#
# Environment (all optional):
#   BENCH_BOOTS      boots to run: "default init0 k612" (default), "default", ...
#                    default = 6.1 with Debian's defaults (init_on_alloc on),
#                    init0 = 6.1 booted with init_on_alloc=0,
#                    k612 = 6.12 with Debian's defaults (today's SLUB)
#   BENCH_PARALLEL_BOOTS=1  run the boots at the same time (faster; only
#                    the contended workloads' counts depend on host timing)
#   BENCH_GOMALLOC=0 leave gomalloc out (SLUB side only; development)
#   BENCH_WORKLOADS  default "mem tiny hot batch cache bulk cross parallel" (memory first,
#                    before the other workloads leave free space behind)
#   BENCH_ARGS       extra gomalloc_bench module parameters, e.g. "reps=1"
#   BENCH_GOMALLOC_ARGS  gomalloc.ko parameters, e.g. "profile_rate=0"
#   BENCH_TINY_SIZES tiny sizes, one fresh gomalloc each (default 1..15)
#   BENCH_TIMEOUT    seconds per guest (default 420)
#   BENCH_OUT        results folder (default out/bench)
#   BENCH_PUBLISH=1  also copy results.md and the chart into bench/results/
#                    (what bench/README.md shows)
set -euo pipefail
BENCH_DIR=$(cd "$(dirname "$0")" && pwd)
. "$BENCH_DIR/../vm/lib.sh"
export GOMALLOC_ACCEL=tcg	# plugins need TCG; KVM hangs here anyway

boots=${BENCH_BOOTS:-default init0 k612}
with_gomalloc=${BENCH_GOMALLOC:-1}
workloads=${BENCH_WORKLOADS:-mem tiny hot batch cache bulk cross parallel}
guest_timeout=${BENCH_TIMEOUT:-420}
out=${BENCH_OUT:-$GM_TOP/out/bench}
t_start=$(date +%s)

gm_need_packages make gcc libc6-dev linux-headers-amd64 linux-image-amd64 \
	linux-headers-6.12-amd64 linux-image-6.12-amd64 rsync \
	qemu-system-x86 busybox-static cpio kmod gzip xz-utils python3 \
	gnuplot-nox dpkg-dev
kver=$(gm_stock_kver 6.1)
[ -n "$kver" ] || gm_die "no Debian 6.1 kernel in /lib/modules"
kver12=$(gm_stock_kver 6.12)
case " $boots " in
*" k612 "*) [ -n "$kver12" ] || gm_die "no Debian 6.12 kernel in /lib/modules" ;;
esac

rm -rf "$out"
mkdir -p "$out/raw" "$out/build"

hdr=$("$BENCH_DIR/fetch-plugin-header.sh")
plugin="$out/build/libgmcount.so"
gcc -shared -fPIC -O2 -Wall -Wextra -I"$hdr/qemu" \
	-o "$plugin" "$BENCH_DIR/plugin/gmcount.c" -lpthread ||
	gm_die "plugin build failed"

# build_for KVER: gomalloc.ko and gomalloc_bench.ko for that kernel, in a
# payload directory of their own ($out/build/KVER/payload).
build_for() {
	local kv=$1 kdir b mod payload
	kdir=$(gm_stock_kdir "$kv")
	[ -d "$kdir" ] && [ -f "$(gm_stock_vmlinuz "$kv")" ] ||
		gm_die "need $kdir and $(gm_stock_vmlinuz "$kv")"
	b="$out/build/$kv"
	mkdir -p "$b"
	if [ "$with_gomalloc" = 1 ]; then
		gm_log "building gomalloc.ko for $kv"
		rsync -a --exclude /out --exclude /.git --exclude '*.o' --exclude '*.ko' \
			--exclude '*.symvers' --exclude '.*.cmd' --exclude '*.mod' \
			--exclude '*.mod.c' --exclude '*.order' --exclude "${out#"$GM_TOP"}" \
			"$GM_TOP/" "$b/gomalloc/"
		make -s -C "$b/gomalloc" KDIR="$kdir" >"$b/gomalloc-make.log" 2>&1 || {
			tail -n 30 "$b/gomalloc-make.log" >&2
			gm_die "gomalloc build failed (BENCH_GOMALLOC=0 measures SLUB only)"
		}
		[ -f "$b/gomalloc/gomalloc.ko" ] && [ -f "$b/gomalloc/Module.symvers" ] ||
			gm_die "no gomalloc.ko / Module.symvers after make"
	fi
	mod="$b/module"
	mkdir -p "$mod"
	cp "$BENCH_DIR/module/gomalloc_bench.c" "$BENCH_DIR/module/Kbuild" \
		"$BENCH_DIR/module/Makefile" "$mod/"
	make -s -C "$mod" KDIR="$kdir" GOMALLOC="$b/gomalloc" \
		BENCH_GOMALLOC="$with_gomalloc" >"$b/bench-make.log" 2>&1 || {
		tail -n 30 "$b/bench-make.log" >&2
		gm_die "gomalloc_bench build failed"
	}
	payload="$b/payload"
	mkdir -p "$payload"
	cp "$BENCH_DIR/guest/run.sh" "$mod/gomalloc_bench.ko" "$payload/"
	[ "$with_gomalloc" = 1 ] && cp "$b/gomalloc/gomalloc.ko" "$payload/"
	{
		echo "BENCH_WORKLOADS='$workloads'"
		echo "BENCH_ARGS='${BENCH_ARGS:-}'"
		echo "BENCH_GOMALLOC_ARGS='${BENCH_GOMALLOC_ARGS:-}'"
		echo "BENCH_TINY_SIZES='${BENCH_TINY_SIZES:-1 2 3 4 5 6 7 8 9 10 11 12 13 14 15}'"
	} >"$payload/params.sh"
}

boot_one() {
	local label=$1 kv=$2 append=$3 raw="$out/raw/$1"
	mkdir -p "$raw"
	gm_log "booting $kv under TCG, 4 vCPUs, plugin on ($label${append:+: $append})"
	"$GM_TOP/vm/boot.sh" -k "$(gm_stock_vmlinuz "$kv")" -p "$out/build/$kv/payload" -o "$raw" \
		-t "$guest_timeout" -s 4 -m 2048 -a "$append" \
		-q "-plugin $plugin,out=$raw/counts.log" && return 0
	gm_log "guest '$label' failed; see $raw/console.log and $raw/results.log"
	return 1
}

# default and init0: Debian's 6.1; k612: Debian's 6.12 (its SLUB, the one
# people run now), default boot options.
declare -A appends=([default]="" [init0]="init_on_alloc=0" [k612]="")
declare -A names=([default]="default" [init0]="init_on_alloc_0" [k612]="6.12")
declare -A kvers=([default]="$kver" [init0]="$kver" [k612]="$kver12")
built=" "
for b in $boots; do
	[ -n "${appends[$b]+x}" ] || gm_die "unknown boot '$b' (default, init0, k612)"
	case $built in *" ${kvers[$b]} "*) ;; *) build_for "${kvers[$b]}"; built="$built${kvers[$b]} " ;; esac
done
pids=() labels=() failed=0
for b in $boots; do
	if [ "${BENCH_PARALLEL_BOOTS:-0}" != 1 ]; then
		boot_one "${names[$b]}" "${kvers[$b]}" "${appends[$b]}" || failed=1
	else
		boot_one "${names[$b]}" "${kvers[$b]}" "${appends[$b]}" &
		pids+=($!)
	fi
	labels+=("${names[$b]}")
done
for p in "${pids[@]}"; do
	wait "$p" || failed=1
done
[ "$failed" = 0 ] || gm_die "a guest did not finish"

# 4. Tables and chart.
args=()
for l in "${labels[@]}"; do
	grep -h '^GMB-\(ERROR\|KERNEL\)' "$out/raw/$l/results.log" >&2 || true
	args+=("$l=$out/raw/$l")
done
python3 "$BENCH_DIR/analyse.py" "$out" "${args[@]}"
gnuplot -e "dir='$out'; boots='${labels[*]}'" "$BENCH_DIR/plot.gp" ||
	gm_log "gnuplot failed; no chart"
rm -rf "$out"/build/*/module "$out"/build/*/payload "$out"/build/*/gomalloc

if [ "${BENCH_PUBLISH:-0}" = 1 ]; then
	mkdir -p "$BENCH_DIR/results"
	cp "$out/results.md" "$out/results.csv" "$out/ratios.csv" "$BENCH_DIR/results/"
	[ -f "$out/insns_by_size.png" ] && cp "$out/insns_by_size.png" "$BENCH_DIR/results/"
	gm_log "published to bench/results/"
fi
cat "$out/results.md"
gm_log "results in $out: results.csv ratios.csv results.md insns_by_size.png ($(($(date +%s) - t_start)) s)"
