#!/bin/sh
# Guest side: rmmod-gomalloc.sh LABEL WHEN unloads gomalloc and writes a
# GM-FAIL line to $GM_RESULT if the unload fails or leaves memory behind
# ("still hold live objects"). Only this rmmod's own messages count.
label=$1 when=$2
dmesg -c >/dev/null
if rmmod gomalloc; then
	dmesg | grep 'still hold live objects' | sed 's/^\[[ 0-9.]*\] //' |
		while IFS= read -r l; do
			echo "GM-FAIL $label: leak at rmmod gomalloc $when: $l"
		done >"$GM_RESULT"
else
	echo "GM-FAIL $label: rmmod gomalloc $when failed" >"$GM_RESULT"
fi
