#!/bin/bash
# Boots one kernel in qemu with a busybox initramfs carrying a payload
# directory, under a hard timeout; leaves console.log and results.log in OUT.
#
# usage: vm/boot.sh -k VMLINUZ -p PAYLOAD_DIR -o OUT [-t SECS] [-s SMP]
#                   [-m MEM] [-a APPEND] [-q "extra qemu args"]
# Exit: 0 guest ran its payload to the end (GM-DONE seen), 1 otherwise.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

timeout_s=300 smp=4 mem=2048 append="" extra="" kernel="" payload="" out=""
while getopts k:p:o:t:s:m:a:q: opt; do
	case $opt in
	k) kernel=$OPTARG ;; p) payload=$OPTARG ;; o) out=$OPTARG ;;
	t) timeout_s=$OPTARG ;; s) smp=$OPTARG ;; m) mem=$OPTARG ;;
	a) append=$OPTARG ;; q) extra=$OPTARG ;;
	*) gm_die "bad option" ;;
	esac
done
[ -f "$kernel" ] && [ -d "$payload" ] && [ -n "$out" ] || gm_die "usage: see vm/boot.sh"
mkdir -p "$out"
out=$(cd "$out" && pwd)

# initramfs: busybox, /init, the payload.
root="$out/initramfs"
rm -rf "$root"
mkdir -p "$root"/{bin,sbin,proc,sys,dev,tmp,payload}
cp /bin/busybox "$root/bin/busybox"
cp "$GM_TOP/vm/init.sh" "$root/init"
chmod +x "$root/init"
cp -r "$payload"/. "$root/payload/"
(cd "$root" && find . | cpio -o -H newc --quiet | gzip -1) >"$out/initramfs.gz"
rm -rf "$root"

accel=$(gm_accel)
: >"$out/console.log"
: >"$out/results.log"
# shellcheck disable=SC2086
timeout -k 5 "$timeout_s" qemu-system-x86_64 $accel -smp "$smp" -m "$mem" \
	-kernel "$kernel" -initrd "$out/initramfs.gz" \
	-append "console=ttyS0 panic=-1 loglevel=7 $append" \
	-display none -monitor none -no-reboot -nodefaults \
	-serial "file:$out/console.log" -serial "file:$out/results.log" \
	$extra </dev/null >"$out/qemu.log" 2>&1 && rc=0 || rc=$?
if [ "$rc" = 124 ] || [ "$rc" = 137 ]; then
	echo "guest timed out after ${timeout_s}s" >>"$out/results.log"
	gm_log "guest $(basename "$out") hung: killed after ${timeout_s}s"
fi
grep -q '^GM-DONE' "$out/results.log" || {
	gm_log "guest $(basename "$out") did not finish its payload (qemu rc=$rc); console tail:"
	tail -n 30 "$out/console.log" | sed 's/^/    | /' >&2
	exit 1
}
exit 0
