#!/bin/sh
# Runs in L1 with the policy's tun.ko loaded: the stress of `kmb lab check --scenario
# stress`, meant for the debug kernel (KASAN, lockdep, kmemleak). Every tap it makes
# balances (balance_default=1 while it runs). Each step is bounded in time and prints
# "### step NAME" then its tools' output and "KMB-STEP name=NAME rc=RC"; the harness
# judges the steps from these lines and L1's console from its own copy.
#
# usage: stress.sh IFNAME
# env: KMB_BIN (tools, default /opt/kmb), KMB_DETACH (detach/attach cycles, 1000),
#      KMB_TUNABLES (tunable changes, 1000), KMB_TOGGLES (balance off/on, 1000),
#      KMB_FLOOD (random-port flows, 100000), KMB_FLOOD_S (their bound, 10),
#      KMB_EBPF (steering program set/remove cycles, 100), KMB_LINES (netconsole lines, 150)
# exit: 0 ran (the output says what happened), 2 usage
set -u
[ $# -eq 1 ] || { echo "usage: $0 IFNAME" >&2; exit 2; }
IF=$1
BIN=${KMB_BIN:-/opt/kmb}
DETACH=${KMB_DETACH:-1000}
TUNABLES=${KMB_TUNABLES:-1000}
TOGGLES=${KMB_TOGGLES:-1000}
FLOOD=${KMB_FLOOD:-100000}
FLOOD_S=${KMB_FLOOD_S:-10}
EBPF=${KMB_EBPF:-100}
LINES=${KMB_LINES:-150}
PARAMS=/sys/module/tun/parameters
STATS=/sys/kernel/debug/tun_balance
LEAKS=/sys/kernel/debug/kmemleak
OUT=$(mktemp -d /tmp/kmb-stress.XXXXXX) || exit 2
TS=""
UF=""
cleanup() {
  [ -n "$UF" ] && kill "$UF" 2>/dev/null
  [ -n "$TS" ] && kill "$TS" 2>/dev/null
  rmmod netconsole 2>/dev/null
  rm -rf "$OUT"
}
trap cleanup EXIT
trap 'exit 130' INT TERM HUP
exec 2>&1 # every complaint lands in the step it belongs to

mount -t debugfs none /sys/kernel/debug 2>/dev/null
[ -e $LEAKS ] && echo clear > $LEAKS
# the unmodified module (policy stock) has no balancer: the same stress, nothing to switch
BAL=0
if [ -e $PARAMS/balance_default ]; then
  echo 1 > $PARAMS/balance_default || { echo "balance_default refused" >&2; exit 2; }
  BAL=1
fi
echo "### params balancer=$BAL dynamic=$([ -e $PARAMS/balance_period_ms ] && echo 1 || echo 0)"

# two scans: an object must stay unreferenced over a scan to be reported; the
# objects whose allocation backtrace passes through tun are listed
leaks() { # STEP
  if [ -e $LEAKS ]; then
    timeout 300 sh -c "echo scan > $LEAKS" && sleep 6 && timeout 300 sh -c "echo scan > $LEAKS"
    rc=$?
    echo "unreferenced=$(grep -c '^unreferenced object' $LEAKS)"
    echo "--- from tun"
    awk '/^unreferenced object/ { keep = 0; obj = $0; next } /tun_/ && !keep { print obj; keep = 1 } keep { print }' $LEAKS | head -n 60
    echo "--- end"
    echo "KMB-STEP name=$1 rc=$rc"
  else
    echo "KMB-STEP name=$1 rc=98"
  fi
}

# tap IFNAME held by tapstress (options in $1), addressed, routed, with 8 paced flows
# (PPS each, COUNT datagrams; udpflows stops at the bound BOUND_S)
start() { # TAPSTRESS_OPTS PPS COUNT BOUND_S [UDPFLOWS_OPTS]
  # shellcheck disable=SC2086 # a list of options
  timeout $(($4 + 60)) "$BIN/tapstress" -t $(($4 + 50)) $1 "$IF" > "$OUT/ts" 2>&1 &
  TS=$!
  i=0
  while ! grep -q '^READY' "$OUT/ts" 2>/dev/null; do
    i=$((i + 1))
    if [ $i -gt 200 ] || ! kill -0 "$TS" 2>/dev/null; then
      echo "tapstress did not come up: $(cat "$OUT/ts")"
      return 1
    fi
    sleep 0.05
  done
  echo 1 > "/proc/sys/net/ipv6/conf/$IF/disable_ipv6"
  ip addr add 198.51.100.1/24 dev "$IF" && ip link set "$IF" up &&
    ip neigh replace 198.51.100.2 lladdr 02:00:00:00:00:02 dev "$IF" nud permanent ||
    { echo "setting up $IF failed"; return 1; }
  echo "balance=$(cat /sys/class/net/$IF/balance 2>/dev/null || echo -)"
  flows=""
  for p in 41001 41002 41003 41004 41005 41006 41007 41008; do flows="$flows $p:$2:0:$3"; done
  # shellcheck disable=SC2086 # lists
  timeout $(($4 + 10)) "$BIN/udpflows" -b 198.51.100.1 -d 198.51.100.2 -p 9 -T "$4" ${5:-} $flows > "$OUT/uf" 2>&1 &
  UF=$!
}

# ends the step: the senders, then tapstress (its tap goes with its queues)
finish() { # NAME RC
  [ -n "$UF" ] && { kill "$UF" 2>/dev/null; wait "$UF" 2>/dev/null; UF=""; }
  [ -n "$TS" ] && { kill "$TS" 2>/dev/null; wait "$TS" 2>/dev/null; TS=""; }
  echo "--- tapstress"; cat "$OUT/ts"
  echo "--- udpflows"; tail -n 3 "$OUT/uf" 2>/dev/null
  echo "KMB-STEP name=$1 rc=$2"
}

# waits for tapstress to end by itself; its exit code
await_ts() {
  wait "$TS"
  rc=$?
  TS=""
  return $rc
}

echo "### step detach"
if start "-q 4 -w 300 -f 200 -d $DETACH -i 300" 300 30000 100; then
  await_ts; finish detach $?
else finish detach 99; fi

echo "### step tunables"
if start "-q 4" 300 30000 100; then
  rc=0
  if [ -e $PARAMS/balance_period_ms ]; then
    i=0
    while [ $i -lt "$TUNABLES" ]; do
      # the period over its whole range (10..60000), the threshold over 0..UINT_MAX
      echo $((10 + (i * 7919) % 59991)) > $PARAMS/balance_period_ms || rc=1
      echo $(((i * 2654435761) % 4294967296)) > $PARAMS/balance_threshold || rc=1
      i=$((i + 1))
    done
    echo 0 > $PARAMS/balance_period_ms 2>/dev/null && { echo "period 0 accepted"; rc=1; }
    echo 4294967296 > $PARAMS/balance_threshold 2>/dev/null && { echo "threshold 2^32 accepted"; rc=1; }
    echo "tunables=$i period=$(cat $PARAMS/balance_period_ms) threshold=$(cat $PARAMS/balance_threshold)"
  fi
  i=0
  while [ $BAL = 1 ] && [ $i -lt "$TOGGLES" ]; do
    echo 0 > "/sys/class/net/$IF/balance" && echo 1 > "/sys/class/net/$IF/balance" || rc=1
    i=$((i + 1))
  done
  echo "toggles=$i balance=$(cat /sys/class/net/$IF/balance 2>/dev/null || echo -)"
  [ -e $PARAMS/balance_period_ms ] && { echo 200 > $PARAMS/balance_period_ms; echo 64 > $PARAMS/balance_threshold; }
  head -n 2 $STATS 2>/dev/null
  finish tunables $rc
else finish tunables 99; fi

echo "### step flood"
if start "-q 4" 200 400 "$FLOOD_S" "-F $FLOOD@0"; then
  wait "$UF"; UF=""
  # idle until every flow has aged out (a flow with no packet in a period leaves)
  i=0
  while [ $i -lt 100 ]; do
    flows=$(awk -v d="$IF" '$1 == "device" && $2 == d { print $8 }' $STATS 2>/dev/null)
    [ "${flows:-0}" = 0 ] && break
    sleep 0.2
    i=$((i + 1))
  done
  echo "aged-out flows=${flows:-0} after_ms=$((i * 200))"
  grep -A 4 "device $IF " $STATS 2>/dev/null
  finish flood "$([ "${flows:-0}" = 0 ] && echo 0 || echo 1)"
else finish flood 99; fi

echo "### step ebpf"
if start "-q 4 -w 300 -f 200 -e $EBPF -i 300" 300 30000 100; then
  await_ts; finish ebpf $?
else finish ebpf 99; fi

echo "### step delete"
if start "-q 4" 300 30000 100; then
  sleep 1
  ip link del "$IF"
  rc=$?
  await_ts
  grep -q '^tap_gone=1' "$OUT/ts" || rc=1
  finish delete $rc
else finish delete 99; fi

echo "### step kmemleak-after-delete"
leaks kmemleak-after-delete

# the module goes while nothing holds it; netconsole runs on a fresh load, last,
# because lockdep reports one problem per boot and stock tun's own netpoll path has one
echo "### step rmmod-after-delete"
rmmod tun
echo "KMB-STEP name=rmmod-after-delete rc=$?"
if [ $BAL = 1 ]; then insmod "$BIN/tun.ko" balance_default=1; else insmod "$BIN/tun.ko"; fi
echo "reloaded rc=$?"

echo "### step netconsole"
if start "-q 4 -f 100" 300 3000 20; then
  # netconsole only once frames flow: udpflows has then taken the rings' producer_lock with
  # IRQs on before netpoll takes it with IRQs off, so lockdep reports stock's problem in one form
  i=0
  while ! grep -q '^churn_after_frames=' "$OUT/ts" 2>/dev/null && [ $i -lt 200 ]; do
    i=$((i + 1))
    sleep 0.05
  done
  modprobe netconsole "netconsole=6665@198.51.100.1/$IF,6666@198.51.100.2/02:00:00:00:00:02" > "$OUT/nc" 2>&1
  rc=$?
  i=0
  while [ $rc = 0 ] && [ $i -lt "$LINES" ]; do
    i=$((i + 1))
    echo "kmb-stress netpoll line $i" > /dev/kmsg
    sleep 0.01
  done
  echo "netconsole rc=$rc lines=$i"
  cat "$OUT/nc"
  rmmod netconsole 2>/dev/null
  finish netconsole $rc
else finish netconsole 99; fi

echo "### step kmemleak"
leaks kmemleak

echo "### step rmmod"
rmmod tun
echo "KMB-STEP name=rmmod rc=$?"
echo "### end"
exit 0
