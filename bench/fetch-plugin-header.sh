#!/bin/bash
# Puts QEMU's include/qemu/qemu-plugin.h (not shipped by Debian's binary qemu
# packages) into $GM_CACHE/qemu-plugin/, taken from Debian's qemu source
# package. Prints the directory holding qemu/qemu-plugin.h. Needs root the
# first time (adds a deb-src entry for bookworm main and runs apt-get update).
set -euo pipefail
. "$(dirname "$0")/../vm/lib.sh"

dest="$GM_CACHE/qemu-plugin"
hdr="$dest/include/qemu/qemu-plugin.h"
if [ -s "$hdr" ]; then
	echo "$dest/include"
	exit 0
fi

gm_need_packages dpkg-dev xz-utils
have_src() {
	apt-get source --print-uris -qq qemu 2>/dev/null | grep -q "\.orig\.tar"
}
if ! have_src; then
	[ "$(id -u)" = 0 ] || gm_die "need root once: a deb-src entry for bookworm main and apt-get update"
	list=/etc/apt/sources.list.d/gomalloc-deb-src.sources
	if [ ! -f "$list" ]; then
		gm_log "adding deb-src for bookworm main ($list)"
		cat >"$list" <<'SRC'
Types: deb-src
URIs: http://deb.debian.org/debian
Suites: bookworm bookworm-updates
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
SRC
	fi
	apt-get update -qq >/dev/null 2>&1 || gm_log "apt-get update reported errors"
	have_src || gm_die "apt-get cannot find the qemu source package"
fi

work="$GM_CACHE/qemu-src"
mkdir -p "$work" "$dest/include/qemu"
(
	cd "$work"
	if ! ls ./*.orig.tar.* >/dev/null 2>&1; then
		gm_log "downloading Debian's qemu source package (once)"
		apt-get source --download-only -qq qemu >/dev/null
	fi
	orig=$(ls ./*.orig.tar.* | head -n 1)
	member=$(tar -tf "$orig" | grep 'include/qemu/qemu-plugin\.h$' | head -n 1 || true)
	[ -n "$member" ] || gm_die "qemu-plugin.h not found in $orig"
	tar -xOf "$orig" "$member" >"$hdr.tmp"
)
mv "$hdr.tmp" "$hdr"
# Keep the header only; the source tarballs are large.
rm -rf "$work"
gm_log "cached $hdr"
echo "$dest/include"
