#!/bin/sh
# Runs in L1: load the patched tun.ko, refusing if any tun is already loaded.
# usage: load-tun.sh [BALANCE]  BALANCE=1: new multi-queue devices balance (insmod with
#   balance_default=1, when the module has the parameter: hash and dynamic; stock has none).
# Prints "KMB-TUN srcversion=... taint=... [threshold=N period_ms=N]" (the tunables as the
# module came up, i.e. the defaults it was generated with) and "KMB-BALANCE default=0|1" (or
# "KMB-BALANCE none" for a module without the balancer) on success; exit 3 = stock tun present.
set -u
BAL=${1:-0}
if [ -e /sys/module/tun ]; then
  echo "a tun module is already loaded (srcversion $(cat /sys/module/tun/srcversion 2>/dev/null)); refusing to test on top of it" >&2
  exit 3
fi
ARGS=""
if [ "$BAL" = 1 ] && modinfo -F parm /opt/kmb/tun.ko 2>/dev/null | grep -q '^balance_default:'; then
  ARGS="balance_default=1"
fi
# shellcheck disable=SC2086 # ARGS is empty or one word
insmod /opt/kmb/tun.ko $ARGS || { echo "insmod /opt/kmb/tun.ko $ARGS failed" >&2; dmesg | tail -5 >&2; exit 4; }
[ -d /sys/module/tun ] || { echo "/sys/module/tun missing after insmod" >&2; exit 5; }
[ -c /dev/net/tun ] || { echo "/dev/net/tun did not appear" >&2; exit 6; }
TUNABLES=""
if [ -e /sys/module/tun/parameters/balance_threshold ]; then
  TUNABLES=" threshold=$(cat /sys/module/tun/parameters/balance_threshold) period_ms=$(cat /sys/module/tun/parameters/balance_period_ms)"
fi
echo "KMB-TUN srcversion=$(cat /sys/module/tun/srcversion 2>/dev/null) taint=$(cat /sys/module/tun/taint)$TUNABLES"
if [ -e /sys/module/tun/parameters/balance_default ]; then
  case $(cat /sys/module/tun/parameters/balance_default) in # a bool parameter reads Y or N
    Y|1) BD=1 ;;
    *) BD=0 ;;
  esac
  echo "KMB-BALANCE default=$BD how=insmod${ARGS:+ $ARGS}"
else
  echo "KMB-BALANCE none"
fi
