#!/bin/sh
# Guest side: kmemleak.sh clear | check LABEL. clear (at boot): what the
# kernel leaked before the tests is scanned for and forgotten. check (at the
# end of the run): every object kmemleak still reports is written to
# $GM_RESULT and the console, with one GM-FAIL line each. Does nothing in a
# kernel without kmemleak.
k=/sys/kernel/debug/kmemleak
[ -w "$k" ] || exit 0
# An object is reported once at least 5 s old and unreferenced, unchanged,
# in two scans in a row.
gm_kl_scan() {
	echo scan >"$k"
	echo scan >"$k"
}
case $1 in
clear)
	gm_kl_scan
	n=$(grep -c '^unreferenced object' "$k")
	echo clear >"$k"
	echo "kmemleak: $n object(s) the kernel leaked while booting cleared" >/dev/kmsg
	;;
check)
	label=$2
	gm_kl_scan
	cat "$k" >/tmp/kmemleak.txt
	n=$(grep -c '^unreferenced object' /tmp/kmemleak.txt)
	echo "# kmemleak at the end of the run: $n unreferenced object(s)" >"$GM_RESULT"
	[ "$n" = 0 ] && exit 0
	sed 's/^/# kmemleak: /' /tmp/kmemleak.txt >"$GM_RESULT"
	sed 's/^/kmemleak report: /' /tmp/kmemleak.txt >/dev/kmsg
	# One line per object: address, size, the first frames of its backtrace.
	awk -v l="$label" '
		function done() { if (obj != "") print "GM-FAIL " l ": kmemleak: unreferenced object " obj " " sz " allocated at" bt }
		/^unreferenced object/ { done(); obj = $3; sz = $4 " " $5; bt = ""; nf = 0; next }
		/^ +\[<[0-9a-f]+>\] / && nf < 6 { bt = bt (nf++ ? " < " : " ") $2 }
		END { done() }' /tmp/kmemleak.txt >"$GM_RESULT"
	;;
esac
