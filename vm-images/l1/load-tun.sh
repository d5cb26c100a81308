#!/bin/sh
# Runs in L1: load the patched tun.ko, refusing if any tun is already loaded.
# Prints "KMB-TUN srcversion=... taint=..." on success; exit 3 = stock tun present.
set -u
if [ -e /sys/module/tun ]; then
  echo "a tun module is already loaded (srcversion $(cat /sys/module/tun/srcversion 2>/dev/null)); refusing to test on top of it" >&2
  exit 3
fi
insmod /opt/kmb/tun.ko || { echo "insmod /opt/kmb/tun.ko failed" >&2; dmesg | tail -5 >&2; exit 4; }
[ -d /sys/module/tun ] || { echo "/sys/module/tun missing after insmod" >&2; exit 5; }
[ -c /dev/net/tun ] || { echo "/dev/net/tun did not appear" >&2; exit 6; }
echo "KMB-TUN srcversion=$(cat /sys/module/tun/srcversion 2>/dev/null) taint=$(cat /sys/module/tun/taint)"
