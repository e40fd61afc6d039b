#!/bin/bash
# `make run`: build gomalloc against Debian's 6.1 headers, boot Debian's stock
# 6.1 kernel, load gomalloc and the demo client, show /proc/gomalloc, unload.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

gm_need_packages $GM_PACKAGES
kver=$(gm_stock_kver 6.1)
[ -n "$kver" ] || gm_die "no Debian 6.1 kernel image in /lib/modules"
out="$GM_TOP/out/run"
rm -rf "$out"
mkdir -p "$out/payload"
gm_log "building gomalloc.ko against $kver"
gm_build "$(gm_stock_kdir "$kver")" "$out/build"
cp "$out/build/gomalloc.ko" "$out/build/examples/demo_client/gomalloc_demo.ko" \
	"$GM_TOP/tools/gomalloc-top" "$out/payload/"
cat >"$out/payload/run.sh" <<'PAYLOAD'
exec >"$GM_RESULT" 2>&1
set -e
echo "# insmod gomalloc.ko"; insmod gomalloc.ko
echo "# insmod gomalloc_demo.ko"; insmod gomalloc_demo.ko
echo "# lsmod"; lsmod | grep gomalloc
echo "# cat /proc/gomalloc (demo client loaded)"; cat /proc/gomalloc
echo "# tools/gomalloc-top -o -n 8"; sh ./gomalloc-top -o -n 8
echo "# rmmod gomalloc_demo gomalloc"; rmmod gomalloc_demo; rmmod gomalloc
echo "# unloaded"
PAYLOAD
gm_log "booting Debian $kver in qemu"
rc=0
"$GM_TOP/vm/boot.sh" -k "$(gm_stock_vmlinuz "$kver")" -p "$out/payload" \
	-o "$out/guest" -t 100 -s 2 -m 1024 || rc=1
grep -v '^GM-' "$out/guest/results.log" || true
echo "# kernel messages from gomalloc:"
grep -E 'gomalloc' "$out/guest/console.log" | sed 's/^/  /' || true
python3 "$GM_TOP/vm/summarize.py" --watch-only "$out/guest" || rc=1
grep -q '^# unloaded' "$out/guest/results.log" || rc=1
if [ "$rc" = 0 ]; then echo "make run: OK"; else echo "make run: FAILED"; fi
exit "$rc"
