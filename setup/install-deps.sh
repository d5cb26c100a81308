#!/bin/sh
# Installs the Debian packages KmodBalance needs, and only when one is missing.
# It installs on Debian 12 (bookworm), as root, and nowhere else: as a non-root user, or on
# another system (/etc/os-release), it lists what is missing and exits 2 without touching
# anything, since package names and archive suites are those of Debian 12.
# netperf lives in Debian's non-free component, which a fresh machine does not enable: add a
# sources entry for it (the release's own suite and its -updates, nothing else changes).
set -eu

PACKAGES="qemu-system-x86 qemu-utils linux-image-cloud-amd64 linux-headers-cloud-amd64 \
linux-source-6.1 busybox-static dropbear-bin dash ethtool iproute2 kmod netperf \
cpio xz-utils patch gcc libc6-dev make perl valgrind fonts-dejavu-core dwarves \
clang-14 libbpf-dev bpftool \
flex bison bc libelf-dev libssl-dev"
# The last line builds the debug kernel (kmb kernel debug) from linux-source-6.1: kconfig
# needs flex and bison, the build bc, objtool libelf, certificate signing OpenSSL.
# The OS description; a test points it at another file.
OS_RELEASE=${KMB_OS_RELEASE:-/etc/os-release}

# One dpkg-query for all: it lists the installed ones (and complains about unknown ones on stderr).
# shellcheck disable=SC2086
installed=" $(dpkg-query -W -f='${Package} ${Status}\n' $PACKAGES 2>/dev/null | awk '$NF == "installed" { printf "%s ", $1 }' || true)"
missing=""
for p in $PACKAGES; do
	case "$installed" in
	*" $p "*) ;;
	*) missing="$missing $p" ;;
	esac
done
[ -z "$missing" ] && exit 0

# os-release is meant to be sourced by shell scripts; each field in a subshell of its own.
os_field() { [ -r "$OS_RELEASE" ] && (. "$OS_RELEASE" && eval "printf '%s' \"\${$1:-}\"") || true; }
os_id=$(os_field ID) os_version=$(os_field VERSION_ID) os_codename=$(os_field VERSION_CODENAME)
os_name=$(os_field PRETTY_NAME)
[ -n "$os_name" ] || os_name="an unknown system (nothing readable in $OS_RELEASE)"
if [ "$os_id" != debian ] || [ "$os_version" != 12 ]; then
	echo "install-deps: missing packages:$missing" >&2
	echo "install-deps: this is $os_name, not Debian 12: kmb installs packages only there; install these (or your system's equivalents) yourself" >&2
	exit 2
fi
if [ "$(id -u)" != 0 ]; then
	echo "install-deps: missing packages:$missing" >&2
	echo "install-deps: installing needs root: sudo apt-get install --no-install-recommends$missing (or run $0 as root)" >&2
	exit 2
fi
echo "install-deps: installing:$missing"

if ! apt-cache policy netperf 2>/dev/null | grep -q 'Candidate: [0-9]'; then
	cat > /etc/apt/sources.list.d/kmodbalance-non-free.sources <<SRC
Types: deb
URIs: http://deb.debian.org/debian
Suites: $os_codename $os_codename-updates
Components: non-free
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
SRC
	echo "install-deps: enabled Debian non-free (for netperf) in /etc/apt/sources.list.d/kmodbalance-non-free.sources"
fi

export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
# shellcheck disable=SC2086
apt-get install -y -qq --no-install-recommends $missing >/dev/null
echo "install-deps: done"
