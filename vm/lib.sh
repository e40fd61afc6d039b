# Shared helpers for gomalloc's VM scripts (sourced, not run).
# shellcheck shell=bash

GM_TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
GM_CACHE=${GOMALLOC_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/gomalloc}
mkdir -p "$GM_CACHE"

# Packages every VM job needs, all from Debian 12's archive.
GM_PACKAGES="make gcc linux-headers-amd64 linux-image-amd64 linux-source-6.1
linux-headers-6.12-amd64 linux-image-6.12-amd64 linux-image-rt-amd64
linux-headers-rt-amd64 linux-image-6.12-rt-amd64 linux-headers-6.12-rt-amd64
linux-source-6.12 qemu-system-x86 busybox-static
cpio kmod gzip xz-utils bc flex bison libelf-dev libssl-dev dwarves python3
rsync sparse dkms e2fsprogs golang-go"

# A parent make's flags are not ours: its jobserver is not passed to these
# scripts, and the make calls below would warn "jobserver unavailable".
unset MAKEFLAGS MFLAGS MAKELEVEL

gm_log() { printf '[gomalloc] %s\n' "$*" >&2; }
# Stops the script; GM_DIE_REASON is the reason for an EXIT trap.
gm_die() {
	GM_DIE_REASON="$*"
	printf '[gomalloc] error: %s\n' "$*" >&2
	exit 1
}

# gm_need_packages PKG...: install what is missing (root), or print the
# single apt-get line that would and stop.
gm_need_packages() {
	local missing="" p
	for p in "$@"; do
		dpkg-query -W -f='${Status}\n' "$p" 2>/dev/null |
			grep -q '^install ok installed$' || missing="$missing $p"
	done
	[ -z "$missing" ] && return 0
	if [ "$(id -u)" != 0 ]; then
		echo "gomalloc needs Debian packages that are not installed. Run:"
		echo "  sudo apt-get install -y --no-install-recommends$missing"
		# shellcheck disable=SC2034  # read by check.sh's EXIT trap
		GM_DIE_REASON="missing Debian packages:$missing"
		exit 1
	fi
	gm_log "installing:$missing"
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -qq >/dev/null 2>&1 || gm_log "apt-get update reported errors; trying the install anyway"
	# shellcheck disable=SC2086
	apt-get install -y -qq --no-install-recommends $missing >/dev/null ||
		gm_die "apt-get install failed for:$missing"
}

# The newest stock Debian kernel image of a given series (default 6.1).
gm_stock_kver() {
	local series=${1:-6.1}
	# shellcheck disable=SC2012
	# Not the PREEMPT_RT flavour (-rt-amd64), which sorts last.
	ls /lib/modules 2>/dev/null | grep -E "^${series//./\\.}\.[0-9].*-amd64$" |
		grep -v -- '-rt-amd64$' | sort -V | tail -n 1
}

# gm_rt_kver [SERIES]: the newest installed Debian PREEMPT_RT kernel of a
# series (linux-image-rt-amd64 for 6.1, linux-image-6.12-rt-amd64).
gm_rt_kver() {
	local series=${1:-6.1}
	# shellcheck disable=SC2012
	ls /lib/modules 2>/dev/null | grep -E "^${series//./\\.}\.[0-9].*-rt-amd64$" |
		sort -V | tail -n 1
}

gm_stock_vmlinuz() { echo "/boot/vmlinuz-$1"; }
gm_stock_kdir() { echo "/usr/src/linux-headers-$1"; }

# gm_debug_source FRAGMENT: the kernel series a config fragment is built
# from, named by its "# gomalloc-source: 6.12" line (default 6.1: Debian's
# linux-source-6.1).
gm_debug_source() {
	local s
	s=$(sed -n 's/^# gomalloc-source: *\([0-9.]*\).*/\1/p' "$1" | head -n 1)
	echo "${s:-6.1}"
}

# gm_debug_source_version [SERIES]: the installed linux-source-SERIES's
# Debian version (default 6.1).
gm_debug_source_version() {
	dpkg-query -W -f='${Version}' "linux-source-${1:-6.1}" 2>/dev/null
}

# Cache key of a debug kernel: source version, config fragment (default
# vm/debug-kernel.config; vm/kcsan-kernel.config is the other one), build
# script.
gm_debug_key() {
	local frag=${1:-$GM_TOP/vm/debug-kernel.config}
	{
		gm_debug_source_version "$(gm_debug_source "$frag")"
		cat "$frag" "$GM_TOP/vm/debug-kernel.sh"
	} | sha256sum | cut -c1-12
}

# Its build directory: the fragment's name and the key, e.g.
# debug-kernel-<key> or kcsan-kernel-<key>.
gm_debug_dir() {
	local frag=${1:-$GM_TOP/vm/debug-kernel.config}
	echo "$GM_CACHE/$(basename "$frag" .config)-$(gm_debug_key "$frag")"
}

# qemu acceleration flags. KVM only when a bounded probe (20 s) has seen a
# guest kernel print its first line under it; the verdict is remembered per
# host kernel. GOMALLOC_ACCEL=tcg|kvm overrides.
gm_accel() {
	local tcg="-accel tcg,thread=multi -cpu max" kvm="-accel kvm -cpu host"
	local verdict="$GM_CACHE/kvm-verdict-$(uname -r)" v
	case "${GOMALLOC_ACCEL:-}" in
	tcg) echo "$tcg"; return ;;
	kvm) echo "$kvm"; return ;;
	esac
	if [ ! -f "$verdict" ]; then
		v=tcg
		if [ -w /dev/kvm ]; then
			local k d
			k=$(gm_stock_vmlinuz "$(gm_stock_kver 6.1)")
			d=$(mktemp -d)
			if [ -f "$k" ]; then
				gm_log "probing KVM (at most 20 s)"
				timeout -k 2 20 qemu-system-x86_64 $kvm -m 256 -kernel "$k" \
					-append "console=ttyS0 panic=-1" -display none -monitor none \
					-no-reboot -nodefaults -serial "file:$d/c" \
					</dev/null >/dev/null 2>&1 || true
				grep -q 'Linux version' "$d/c" 2>/dev/null && v=kvm
			fi
			rm -rf "$d"
		fi
		gm_log "KVM verdict: $v (remembered in $verdict)"
		echo "$v" >"$verdict"
	fi
	if [ "$(cat "$verdict")" = kvm ]; then echo "$kvm"; else echo "$tcg"; fi
}

# gm_build KDIR DEST: copy the sources to DEST and build gomalloc there
# (plus the demo client and the selftest client against its symbols), W=1.
# Any compiler warning fails the build.
gm_build() {
	local kdir=$1 dest=$2 log
	mkdir -p "$dest"
	# Without the products of an in-tree build (make, make -C examples/...).
	rsync -a --delete --exclude /out --exclude /.git --exclude '*.o' \
		--exclude '*.ko' --exclude '.*.cmd' --exclude '*.mod' \
		--exclude '*.mod.c' --exclude '*.symvers' --exclude '*.order' \
		--exclude '.*.d' "$GM_TOP/" "$dest/"
	log="$dest/build.log"
	: >"$log"
	{
		make -C "$kdir" M="$dest" W=1 modules &&
		make -C "$kdir" M="$dest/examples/demo_client" W=1 \
			KBUILD_EXTRA_SYMBOLS="$dest/Module.symvers" modules &&
		make -C "$kdir" M="$dest/selftests/gomalloc/module" W=1 \
			KBUILD_EXTRA_SYMBOLS="$dest/Module.symvers" modules
	} >>"$log" 2>&1 || { cat "$log" >&2; gm_die "build against $kdir failed"; }
	# fs/ext2 through the drop-in (6.1 kernels; cached, its own warning check).
	"$GM_TOP/vm/gmext2.sh" "$kdir" "$dest" "$dest/selftests/gomalloc/module" ||
		gm_die "gmext2.ko (fs/ext2 through gomalloc_kmalloc.h) against $kdir failed"
	# Case-insensitive: modpost says "WARNING: modpost: ...".
	if grep -iE 'warning:|error:' "$log" >&2; then
		gm_die "build against $kdir has warnings (W=1)"
	fi
}

# The kselftest payload files for a guest: the gomalloc selftests folder
# plus the modules built in DEST.
gm_stage_kselftest() {
	local dest=$1 payload=$2
	mkdir -p "$payload/selftests"
	cp -r "$GM_TOP/selftests/gomalloc" "$payload/selftests/"
	rm -rf "$payload/selftests/gomalloc/module"
	cp "$dest/selftests/gomalloc/module/"*.ko "$payload/selftests/gomalloc/"
	cp "$dest/selftests/gomalloc/module/"*.img "$payload/selftests/gomalloc/" 2>/dev/null || true
	cp "$dest/gomalloc.ko" "$payload/"
	cp "$GM_TOP/tools/gomalloc-top" "$payload/selftests/gomalloc/gomalloc-top"
	cp "$GM_TOP/vm/ksft-run.sh" "$GM_TOP/vm/rmmod-gomalloc.sh" "$GM_TOP/vm/kunit-run.sh" \
		"$GM_TOP/vm/kmemleak.sh" "$payload/"
}
