#!/bin/sh
# Guest side: runs selftests/gomalloc in kselftest fashion (TAP, per-test
# timeout from `settings`, exit 4 = skip) with gomalloc.ko loaded. Results
# go to $GM_RESULT framed as KSFT-BEGIN/KSFT-END.
# usage: ksft-run.sh LABEL [TEST...]  (default: the Makefile's TEST_PROGS)
label=$1
shift
dir=/payload/selftests/gomalloc
timeout=45
[ -f "$dir/settings" ] && . "$dir/settings"
if [ $# -gt 0 ]; then
	tests=$*
else
	tests=$(sed -e ':a' -e '/\\$/N; s/\\\n//; ta' "$dir/Makefile" |
		sed -n 's/^TEST_PROGS[ :+]*=//p' | tr '\n\t' '  ')
fi

export GOMALLOC_KO=/payload/gomalloc.ko
if ! insmod "$GOMALLOC_KO"; then
	echo "GM-FAIL $label: insmod gomalloc.ko failed" >"$GM_RESULT"
	exit 1
fi
{
	echo "KSFT-BEGIN $label"
	echo "TAP version 13"
	set -- $tests
	echo "1..$#"
} >"$GM_RESULT"
n=0
for t in $tests; do
	n=$((n + 1))
	echo "# selftests: gomalloc: $t" >"$GM_RESULT"
	(cd "$dir" && timeout -s KILL "$timeout" sh "./$t") >/tmp/ksft.out 2>&1
	rc=$?
	sed 's/^/# /' /tmp/ksft.out >"$GM_RESULT"
	case $rc in
	0) echo "ok $n selftests: gomalloc: $t" ;;
	4) echo "ok $n selftests: gomalloc: $t # SKIP" ;;
	137) echo "not ok $n selftests: gomalloc: $t # TIMEOUT ${timeout}s" ;;
	*) echo "not ok $n selftests: gomalloc: $t # exit=$rc" ;;
	esac >"$GM_RESULT"
done
echo "KSFT-END" >"$GM_RESULT"
# kmemleak (debug kernel): no object of the whole run may be left
# unreferenced; scanned while gomalloc's symbols still name its frames.
sh /payload/kmemleak.sh check "$label"
# The final unload must give everything back. Only its own messages count:
# gomalloc_unload.sh leaks on purpose, reported by its rmmod before this.
sh /payload/rmmod-gomalloc.sh "$label" "at the end"
