#!/bin/sh
# Installs the Debian packages KmodBalance needs on a Debian 12 (bookworm) machine.
# netperf lives in Debian's non-free component, which a fresh machine does not
# enable: add a sources entry for it (bookworm and bookworm-updates only, nothing
# else changes) before installing.
set -eu

PACKAGES="qemu-system-x86 qemu-utils linux-image-cloud-amd64 linux-headers-cloud-amd64 \
linux-source-6.1 busybox-static dropbear-bin dash ethtool iproute2 kmod netperf \
cpio xz-utils patch gcc libc6-dev make perl valgrind fonts-dejavu-core"

if [ "$(id -u)" != 0 ]; then
	echo "install-deps: must run as root (apt-get install); re-run with sudo" >&2
	exit 2
fi

missing=""
for p in $PACKAGES; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q '^install ok installed' || missing="$missing $p"
done
[ -z "$missing" ] && exit 0
echo "install-deps: installing:$missing"

if ! apt-cache policy netperf 2>/dev/null | grep -q 'Candidate: [0-9]'; then
	cat > /etc/apt/sources.list.d/kmodbalance-non-free.sources <<'SRC'
Types: deb
URIs: http://deb.debian.org/debian
Suites: bookworm bookworm-updates
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
