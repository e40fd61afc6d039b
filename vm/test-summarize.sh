#!/bin/bash
# Self-test of make check's verdicts: feeds vm/summarize.py canned guest
# output (vm/testdata/summarize/) and variants of it, and checks its exit
# status and what it prints. Host only, a few seconds.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
data="$top/vm/testdata/summarize"
tmp=$(mktemp -d "${TMPDIR:-/tmp}/gomalloc-summarize.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
suites=gomalloc_sizeclasses,gomalloc_heap,gomalloc_objects,gomalloc_debug
failed=0 n=0

# fresh CASE: a copy of the clean guest folders in $tmp/CASE.
fresh() {
	rm -rf "${tmp:?}/$1"
	cp -r "$data/clean" "$tmp/$1"
}

# summ CASE [ARGS]: summarize.py over CASE's guests as make check runs it.
summ() {
	local c=$1
	shift
	python3 "$top/vm/summarize.py" --expect-kunit debug \
		--expect-kunit-suites "$suites" "$@" host="$tmp/$c/host" \
		debug="$tmp/$c/debug" stock-6.1="$tmp/$c/stock"
}

# expect NAME RC CMD...: CMD exits RC, its output ends with the summary line
# and contains every line of $want (extended regexes).
expect() {
	local name=$1 rc=$2 got=0 out="$tmp/out" bad=""
	shift 2
	n=$((n + 1))
	"$@" >"$out" 2>&1 || got=$?
	[ "$got" = "$rc" ] || bad="exit $got, not $rc"
	# --watch-only (make run) prints no summary line.
	if [ -z "$bad" ] && [ "$*" = "${*/--watch-only/}" ] &&
		! tail -n 1 "$out" | grep -qE '^[0-9]+ passed, [0-9]+ failed(, [0-9]+ skipped)?$'; then
		bad="last line is not the summary"
	fi
	while [ -z "$bad" ] && IFS= read -r re; do
		[ -z "$re" ] || grep -qE -- "$re" "$out" || bad="no line matching: $re"
	done <<<"$want"
	if [ -z "$bad" ]; then
		echo "ok $n $name"
	else
		echo "not ok $n $name: $bad"
		sed 's/^/#   /' "$out"
		failed=1
	fi
}

# (e) all clean: exit 0, every KUnit case and kselftest counted.
fresh clean
want='^15 passed, 0 failed, 1 skipped$'
expect "clean set passes" 0 summ clean --expect-console 'debug=heap alloc:on'

# (a) a KUnit case fails.
fresh kfail
sed -i -e 's/^    ok 2 gm_test_heap_coalesce$/    not ok 2 gm_test_heap_coalesce/' \
	-e 's/^ok 2 gomalloc_heap$/not ok 2 gomalloc_heap/' "$tmp/kfail/debug/results.log"
want='^FAIL debug gomalloc_kunit: kunit: gomalloc_heap: not ok 2 gm_test_heap_coalesce$
^14 passed, 1 failed, 1 skipped$'
expect "KUnit case not ok" 1 summ kfail

# A failed case of a parameterised test.
fresh kparam
sed -i 's/^        ok 2 order 9$/        not ok 2 order 9/; s/^    ok 3 gm_test_heap_orders/    not ok 3 gm_test_heap_orders/' \
	"$tmp/kparam/debug/results.log"
want='^FAIL .*gomalloc_heap: not ok 3 gm_test_heap_orders$'
expect "KUnit parameterised case not ok" 1 summ kparam

# A suite that reports fewer cases than its plan.
fresh kshort
sed -i '/^    ok 2 gm_test_mcache_lifo$/d' "$tmp/kshort/debug/results.log"
want='^FAIL .*gomalloc_objects: plan 1\.\.2 but 1 case result\(s\)$'
expect "KUnit suite short of its plan" 1 summ kshort

# A suite without its plan line.
fresh knoplan
sed -i '/# Subtest: gomalloc_sizeclasses/{n;d}' "$tmp/knoplan/debug/results.log"
want='^FAIL .*gomalloc_sizeclasses: no plan line'
expect "KUnit suite without plan" 1 summ knoplan

# A suite without its own result line.
fresh knoresult
sed -i '/^ok 4 gomalloc_debug$/d' "$tmp/knoresult/debug/results.log"
want='^FAIL .*gomalloc_debug: no suite result line'
expect "KUnit suite without result line" 1 summ knoresult

# A suite that never ran; a module that ran no suite at all.
fresh kmissing
sed -i '/# Subtest: gomalloc_objects/,/^ok 3 gomalloc_objects$/d' "$tmp/kmissing/debug/results.log"
want='^FAIL debug: kunit: suite gomalloc_objects did not run$'
expect "expected KUnit suite missing" 1 summ kmissing
# A suite only one guest must run (--expect-kunit-extra LABEL=SUITES).
want='^FAIL debug: kunit: suite gomalloc_kasan did not run$'
expect "guest's extra KUnit suite missing" 1 summ clean --expect-kunit-extra debug=gomalloc_kasan
want='^15 passed, 0 failed, 1 skipped$'
expect "another guest's extra KUnit suite" 0 summ clean --expect-kunit-extra kcsan=gomalloc_kasan
fresh knone
sed -i '/^KUNIT-BEGIN/,/^KUNIT-END/{//!d}' "$tmp/knone/debug/results.log"
want='^FAIL debug: no KUnit suite reported results$
^FAIL debug: kunit: suite gomalloc_sizeclasses did not run$
^FAIL debug: kunit: suite gomalloc_debug did not run$'
expect "KUnit module ran no suite" 1 summ knone

# (b) WARN_ON in module init on an otherwise passing guest.
fresh warn
cat "$data/warn-console.log" >>"$tmp/warn/stock/console.log"
want='^  stock-6.1: console: \[ *[0-9.]+\] WARNING: CPU: 0 PID: 1 at gomalloc_mod.c:381 gomalloc_init
^FAIL stock-6.1: 1 kernel complaint line\(s\) on the console, first: .*WARNING: CPU: 0 PID: 1 at
^15 passed, 1 failed, 1 skipped$'
expect "WARNING on the console" 1 summ warn
want='WARNING: CPU: 0 PID: 1 at'
expect "WARNING on the console (make run's --watch-only)" 1 \
	python3 "$top/vm/summarize.py" --watch-only "$tmp/warn/stock"

# A KCSAN report: one with gomalloc in a racing access fails; one inside
# the kernel alone (the top two frames of every access outside modules) is
# listed, not counted; a kernel helper called by gomalloc counts as ours.
fresh kcsan
cat "$data/kcsan-console.log" >>"$tmp/kcsan/debug/console.log"
want='^  debug: console: \[ *[0-9.]+\] BUG: KCSAN: data-race in gofree \[gomalloc\] / gomalloc \[gomalloc\]$
^FAIL debug: 1 kernel complaint line\(s\) on the console, first: .*BUG: KCSAN: data-race in gofree
^15 passed, 1 failed, 1 skipped$'
expect "KCSAN report on gomalloc" 1 summ kcsan
fresh kcsankernel
cat "$data/kcsan-kernel-console.log" >>"$tmp/kcsankernel/debug/console.log"
want='^  debug: console \(the kernel.s own race, not counted\): .*BUG: KCSAN: data-race in hrtimer_wakeup / schedule_hrtimeout_range_clock$
^15 passed, 0 failed, 1 skipped$'
expect "KCSAN report inside the kernel alone" 0 summ kcsankernel
fresh kcsanhelper
sed 's|__hrtimer_run_queues+0x10f/0x1b3$|gm_span_next_free+0x10f/0x1b3 [gomalloc]|' \
	"$data/kcsan-kernel-console.log" >>"$tmp/kcsanhelper/debug/console.log"
want='^FAIL debug: 1 kernel complaint line\(s\) on the console, first: .*BUG: KCSAN: data-race in hrtimer_wakeup'
expect "KCSAN report in a kernel function called by gomalloc" 1 summ kcsanhelper

# (c) a guest that hung: no GM-DONE, boot.sh's timeout note.
fresh hung
cp "$data/hung/results.log" "$data/hung/console.log" "$tmp/hung/stock/"
want='^FAIL stock-6.1: guest did not finish \(hung, panicked or killed\): guest timed out after 300s$
^  stock-6.1: console tail: .*detected by 0, t=21002 jiffies'
expect "guest hung" 1 summ hung

# (d) a kselftest fails; a kselftest run cut short of its plan.
fresh kself
sed -i 's/^ok 2 selftests: gomalloc: gomalloc_badinput.sh$/not ok 2 selftests: gomalloc: gomalloc_badinput.sh # exit=1/' \
	"$tmp/kself/stock/results.log"
want='^FAIL stock-6.1 stock-6.1: kselftest: not ok 2 selftests: gomalloc: gomalloc_badinput.sh # exit=1$'
expect "kselftest not ok" 1 summ kself
fresh kselfshort
sed -i '/^ok 1 selftests: gomalloc: gomalloc_basic.sh$/d' "$tmp/kselfshort/stock/results.log"
want='^FAIL stock-6.1 stock-6.1: kselftest plan 1\.\.3 but 2 result\(s\)$'
expect "kselftests short of their plan" 1 summ kselfshort

# A GM-FAIL line (e.g. ksft-run.sh: leak at the final rmmod).
fresh gmfail
sed -i 's/^KSFT-END$/&\nGM-FAIL stock-6.1: final rmmod gomalloc leaked: gomalloc: 512 page(s) in 1 arena(s) still hold live objects; leaking them/' \
	"$tmp/gmfail/stock/results.log"
want='^FAIL stock-6.1: stock-6.1: final rmmod gomalloc leaked: .*still hold live objects'
expect "GM-FAIL line" 1 summ gmfail

# (f) KASAN reports: one between a test's matching begin/end markers is
# expected (kasan_kunit.c); any other fails.
kasan="$data/kasan-console.log"
fresh kasanok
cat "$kasan" "$kasan" >>"$tmp/kasanok/debug/console.log"
want='^15 passed, 0 failed, 1 skipped$'
expect "expected KASAN reports between their markers" 0 summ kasanok
fresh kasanbare
grep -v 'gomalloc-kasan: expect' "$kasan" >>"$tmp/kasanbare/debug/console.log"
want='^FAIL debug: 1 kernel complaint line\(s\) on the console, first: .*BUG: KASAN: use-after-free in gm_rd'
expect "KASAN report without markers" 1 summ kasanbare
fresh kasanname
sed 's/expect end small 64/expect end small 128/' "$kasan" >>"$tmp/kasanname/debug/console.log"
want='^FAIL debug: 1 kernel complaint line\(s\) on the console, first: .*BUG: KASAN:'
expect "KASAN report closed by another name's marker" 1 summ kasanname
fresh kasantwo
sed '/expect end/d' "$kasan" >>"$tmp/kasantwo/debug/console.log"
grep -v 'gomalloc-kasan: expect begin' "$kasan" >>"$tmp/kasantwo/debug/console.log"
want='^FAIL debug: 1 kernel complaint line\(s\) on the console, first: .*BUG: KASAN:'
expect "second KASAN report between one pair of markers" 1 summ kasantwo
fresh kasanopen
sed '/expect end/d' "$kasan" >>"$tmp/kasanopen/debug/console.log"
want='^FAIL debug: 1 kernel complaint line\(s\) on the console, first: .*BUG: KASAN:'
expect "KASAN report after a begin marker never closed" 1 summ kasanopen
fresh kasanwarn
sed "/BUG: KASAN/r $data/warn-console.log" "$kasan" >>"$tmp/kasanwarn/debug/console.log"
want='^FAIL debug: [0-9]+ kernel complaint line\(s\) on the console, first: .*WARNING: CPU: 0 PID: 1 at'
expect "WARNING between KASAN markers" 1 summ kasanwarn
# kmemleak: an object left unreferenced at the end of the run (vm/kmemleak.sh
# check) fails; kmemleak's own errors on the console fail; its count of new
# suspects (the kmemleak kselftest's lost objects) does not.
fresh kmemleak
sed -i 's/^KSFT-END$/&\nGM-FAIL debug: kmemleak: unreferenced object 0xffff888004a8e000 (size 48): allocated at gomalloc+0x1a4\/0x2c0 < gt_kmemleak_lose+0x2e\/0x3a0/' \
	"$tmp/kmemleak/debug/results.log"
want='^FAIL debug: debug: kmemleak: unreferenced object 0xffff888004a8e000 \(size 48\): allocated at gomalloc'
expect "kmemleak entry at the end of the run" 1 summ kmemleak
fresh kmemleakerr
echo '[   52.101010] kmemleak: Trying to color unknown object at 0xffff888004a8e000 as Black' \
	>>"$tmp/kmemleakerr/debug/console.log"
want='^FAIL debug: 1 kernel complaint line\(s\) on the console, first: .*kmemleak: Trying to color unknown object'
expect "kmemleak error on the console" 1 summ kmemleakerr
fresh kmemleakok
echo '[   52.101010] kmemleak: 9 new suspected memory leaks (see /sys/kernel/debug/kmemleak)' \
	>>"$tmp/kmemleakok/debug/console.log"
want='^15 passed, 0 failed, 1 skipped$'
expect "kmemleak's count of suspects is no complaint" 0 summ kmemleakok

# A boot option that did not take effect.
want='^FAIL debug: console lacks "heap free:on"$'
expect "console text missing" 1 summ clean --expect-console 'debug=heap free:on'

[ "$failed" = 0 ] || { echo "test-summarize: FAILED"; exit 1; }
echo "test-summarize: OK ($n checks)"
