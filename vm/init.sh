#!/bin/busybox sh
# /init of gomalloc's test initramfs: mounts the pseudo filesystems, runs
# /payload/run.sh with results going to the second serial port (kmemleak's
# boot-time reports cleared first, where there are any), powers off.
/bin/busybox --install -s /bin
export PATH=/bin:/sbin
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev 2>/dev/null
mount -t debugfs debugfs /sys/kernel/debug 2>/dev/null
mkdir -p /tmp
export GM_RESULT=/dev/ttyS1
echo "GM-BOOTED $(uname -r) cpus=$(grep -c ^processor /proc/cpuinfo)" >"$GM_RESULT"
# kmemleak (debug kernel): the boot's own reports do not count.
[ -f /payload/kmemleak.sh ] && sh /payload/kmemleak.sh clear
cd /payload && sh ./run.sh
rc=$?
echo "GM-DONE rc=$rc" >"$GM_RESULT"
sync
poweroff -f
