#!/bin/bash
# Checks the DKMS packaging: `dkms add` + `dkms build` of this tree, as
# dkms.conf describes it, against Debian's installed 6.1 headers, then the
# module metadata of the gomalloc.ko that DKMS built (modinfo: license,
# author, description, version, a description for every parameter).
#
# Everything happens in a scratch directory (its own DKMS tree, source tree
# and module-signing key); the system's /var/lib/dkms, /usr/src and
# /lib/modules are not written to. The scratch directory is removed on exit.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

gm_need_packages dkms make gcc kmod rsync linux-headers-amd64

kver=$(gm_stock_kver 6.1)
[ -n "$kver" ] || gm_die "no Debian 6.1 kernel in /lib/modules (linux-image-amd64)"
[ -e "/lib/modules/$kver/build/Makefile" ] ||
	gm_die "no headers for $kver: /lib/modules/$kver/build (linux-headers-$kver)"

# dkms.conf and the module must agree on name and version.
conf_var() {
	sed -n "s/^$1=\"\{0,1\}\([^\"]*\)\"\{0,1\}[[:space:]]*\$/\1/p" "$GM_TOP/dkms.conf"
}
name=$(conf_var PACKAGE_NAME)
ver=$(conf_var PACKAGE_VERSION)
modver=$(sed -n 's/^MODULE_VERSION("\(.*\)");.*/\1/p' "$GM_TOP/gomalloc_mod.c")
[ "$name" = gomalloc ] || gm_die "dkms.conf: PACKAGE_NAME is '$name', not gomalloc"
[ -n "$ver" ] || gm_die "dkms.conf: no PACKAGE_VERSION"
[ "$ver" = "$modver" ] ||
	gm_die "dkms.conf PACKAGE_VERSION $ver differs from MODULE_VERSION $modver in gomalloc_mod.c"

scratch=$(mktemp -d "${TMPDIR:-/tmp}/gomalloc-dkms.XXXXXX")
trap 'rm -rf "$scratch"' EXIT
src="$scratch/src/$name-$ver"
mkdir -p "$src" "$scratch/dkms" "$scratch/install"

# The source as `dkms add .` would take it from a clean clone.
rsync -a --exclude /out --exclude /.git --exclude '*.o' --exclude '*.ko' \
	--exclude '.*.cmd' --exclude '*.mod' --exclude '*.mod.c' \
	--exclude '*.symvers' --exclude '*.order' "$GM_TOP/" "$src/"

# dkms reads these from the environment unless /etc/dkms/framework.conf sets
# them: a throwaway signing key instead of /var/lib/dkms/mok.key.
export mok_signing_key="$scratch/mok.key" mok_certificate="$scratch/mok.pub"
trees=(--sourcetree "$scratch/src" --dkmstree "$scratch/dkms" --installtree "$scratch/install")
log="$scratch/dkms.log"

gm_log "dkms add + build $name/$ver for $kver (scratch tree)"
if ! { dkms add "$name/$ver" "${trees[@]}" &&
	dkms build "$name/$ver" -k "$kver" "${trees[@]}"; } >"$log" 2>&1; then
	cat "$log" >&2
	for f in "$scratch/dkms/$name/$ver/build/make.log" \
		"$scratch/dkms/$name/$ver/$kver"/*/log/make.log; do
		[ -f "$f" ] && tail -n 40 "$f" >&2
	done
	gm_die "dkms build of $name/$ver for $kver failed"
fi

ko=$(find "$scratch/dkms/$name/$ver/$kver" -path '*/module/gomalloc.ko*' | head -n 1)
[ -n "$ko" ] || { cat "$log" >&2; gm_die "dkms build left no gomalloc.ko"; }
status=$(dkms status "$name/$ver" -k "$kver" "${trees[@]}" 2>&1)
case "$status" in
*": built"*) ;;
*) gm_die "dkms status does not say built: $status" ;;
esac

# Module metadata.
info=$(modinfo "$ko")
bad=0
for field in license author description version vermagic; do
	if ! grep -qE "^$field:[[:space:]]+[^[:space:]]" <<<"$info"; then
		gm_log "modinfo: no $field"
		bad=1
	fi
done
got=$(sed -n 's/^version:[[:space:]]*//p' <<<"$info")
[ "$got" = "$ver" ] || { gm_log "modinfo: version '$got', dkms.conf says $ver"; bad=1; }
magic=$(sed -n 's/^vermagic:[[:space:]]*//p' <<<"$info")
[ "${magic%% *}" = "$kver" ] || { gm_log "modinfo: vermagic '$magic', not $kver"; bad=1; }

# Every parameter the sources declare is listed, each with a description.
# `modinfo -F parm` prints "name:text (type)", "name:text" (no type, as for
# module_param_cb) or "name: (type)" (no description).
mapfile -t declared < <(sed -nE 's/^[[:space:]]*module_param(_named|_array|_string|_cb|_unsafe)?\(([A-Za-z0-9_]+),.*/\2/p' \
	"$GM_TOP"/*.c | sort -u)
parms=$(modinfo -F parm "$ko")
for p in "${declared[@]}"; do
	grep -qE "^$p:" <<<"$parms" || { gm_log "modinfo: parameter $p is not listed"; bad=1; }
done
nparms=0
while IFS= read -r line; do
	[ -n "$line" ] || continue
	nparms=$((nparms + 1))
	desc=$(sed -E 's/^[^:]*://; s/[[:space:]]*\([^)]*\)$//; s/^[[:space:]]+//' <<<"$line")
	[ -n "$desc" ] || { gm_log "modinfo: parameter without description: ${line%%:*}"; bad=1; }
done <<<"$parms"

echo "== modinfo of the DKMS-built gomalloc.ko ($kver)"
grep -E '^(version|description|author|license|vermagic|parm|sig_id|signer):' <<<"$info"
if [ "$bad" != 0 ]; then
	echo "dkms check: FAILED"
	exit 1
fi
echo "dkms check: OK ($name/$ver built for $kver, $nparms parameters, all described)"
