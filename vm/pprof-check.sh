#!/bin/bash
# Host check of the heap profile: the profile a guest's gomalloc_profile.sh
# printed between its GM-PROFILE markers (in RESULTS_LOG), through
# tools/gomalloc-pprof and `go tool pprof -top`, must list the client's two
# call sites. Writes OUT_DIR/results.log (TAP, for vm/summarize.py) and the
# files it made.
# usage: vm/pprof-check.sh RESULTS_LOG OUT_DIR
set -uo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
res=$1 out=$2
mkdir -p "$out"
: >"$out/console.log"
check() {
	# The guest's console ends its lines with CR LF.
	tr -d '\r' <"$res" |
		sed -n '/^# GM-PROFILE-BEGIN$/,/^# GM-PROFILE-END$/{/GM-PROFILE-/d;s/^# \{0,1\}//;p}' \
			>"$out/heap_profile"
	[ -s "$out/heap_profile" ] || { echo "no GM-PROFILE block in $res"; return 1; }
	python3 "$top/tools/gomalloc-pprof" "$out/heap_profile" >"$out/profile.pb.gz" || return 1
	command -v go >/dev/null || { echo "no go command (Debian's golang-go)"; return 1; }
	go tool pprof -top "$out/profile.pb.gz" >"$out/top.txt" 2>&1 ||
		{ cat "$out/top.txt"; return 1; }
	head -n 12 "$out/top.txt"
	for fn in gt_prof_site_a gt_prof_site_b; do
		grep -qE " $fn\$" "$out/top.txt" || { echo "$fn is not in the list"; return 1; }
	done
}
{
	echo "KSFT-BEGIN pprof"
	if check >"$out/check.log" 2>&1; then
		echo "ok 1 go tool pprof -top lists gt_prof_site_a and gt_prof_site_b"
	else
		echo "not ok 1 go tool pprof -top of the guest's heap profile (log: $out/check.log)"
		sed 's/^/# /' "$out/check.log"
	fi
	echo "KSFT-END"
	echo "GM-DONE rc=0"
} >"$out/results.log"
