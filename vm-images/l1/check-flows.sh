#!/bin/sh
# Runs in L1 (or in a throwaway netns on any host with a tun): one scenario of the
# deterministic check (`kmb lab check`). Sets the balancer's module parameters (when
# the loaded tun has them), creates the multi-queue tap IFNAME by holding its queues
# with mqtap, routes 198.51.100.0/24 through it with a permanent neighbour for
# 198.51.100.2 and IPv6 off (so the only frames on it are ours), sends the flows with
# udpflows and prints both tools' output plus the kernel log lines the run added.
# The tap disappears when mqtap closes its queues. Every step is bounded in time.
#
# usage: check-flows.sh IFNAME PERIOD_MS|- THRESHOLD|- "MQTAP_OPTIONS" FLOW...
#   FLOW as udpflows takes it: SPORT:PPS:START_MS:COUNT
# env: KMB_BIN (tools, default /opt/kmb), KMB_DMESG=0 (do not read the kernel log),
#      KMB_MAX_S (bound of the traffic, default 20),
#      KMB_UDPFLOWS_OPTS (more udpflows options: -P, -L MS, -F COUNT@MS ...),
#      KMB_NOQUEUE=1 (no qdisc on the tap: every packet tun_select_queue() steers
#        reaches tun_net_xmit(), read by mqtap or counted in tx_dropped),
#      KMB_BALANCE_DEFAULT=0|1 (balance_default while the tap is created; restored after),
#      KMB_NETCONSOLE=PORT (netconsole bound to the tap, to 198.51.100.2:PORT, while
#        KMB_KMSG_LINES lines (default 150) are written to /dev/kmsg, 10 ms apart),
#      KMB_STEER="PERIOD_MS THRESHOLD" (the eBPF back end, on a tun without the balancer:
#        steer.sh attaches kmbsteer once mqtap holds the queues, before the flows, and ends
#        it after mqtap; its history, log and start/stop output are printed),
#      KMB_STEER_AT="ON_MS OFF_MS" (with KMB_STEER: kmbsteer, started just before udpflows,
#        sets its program ON_MS after it started instead, and clears it at OFF_MS)
# exit: 0 ran (the output says what happened), 2 usage, 3 module parameter refused,
#       4 mqtap did not come up, 5 tap setup failed
set -u
[ $# -ge 5 ] || { echo "usage: $0 IFNAME PERIOD_MS|- THRESHOLD|- \"MQTAP_OPTIONS\" FLOW..." >&2; exit 2; }
IF=$1; PERIOD=$2; THRESH=$3; MQOPTS=$4
shift 4
BIN=${KMB_BIN:-/opt/kmb}
MAX=${KMB_MAX_S:-20}
PARAMS=/sys/module/tun/parameters
OUT=$(mktemp -d /tmp/kmb-chk.XXXXXX) || exit 2
MQ=""
LOG=""
NETCONS=""
STATS=/sys/kernel/debug/tun_balance
BD_OLD=""
STEER=""
cleanup() {
  [ -n "$STEER" ] && "$BIN/steer.sh" stop "$IF" > /dev/null 2>&1
  [ -n "$BD_OLD" ] && echo "$BD_OLD" > $PARAMS/balance_default 2>/dev/null
  [ -n "$LOG" ] && kill "$LOG" 2>/dev/null
  [ -n "$NETCONS" ] && rmmod netconsole 2>/dev/null
  [ -n "$MQ" ] && kill "$MQ" 2>/dev/null
  rm -rf "$OUT"
}
trap cleanup EXIT
trap 'exit 130' INT TERM HUP

setparam() { # NAME VALUE
  [ "$2" = - ] && return 0
  [ -w "$PARAMS/$1" ] || { echo "### param $1 unavailable"; return 0; }
  echo "$2" > "$PARAMS/$1" 2>/dev/null && [ "$(cat "$PARAMS/$1")" = "$2" ] ||
    { echo "module parameter $1=$2 refused" >&2; exit 3; }
}
setparam balance_period_ms "$PERIOD"
setparam balance_threshold "$THRESH"
case $(cat $PARAMS/balance_default 2>/dev/null) in # a bool parameter reads Y or N
  Y|1) BD=1 ;;
  N|0) BD=0 ;;
  *) BD=- ;;
esac
echo "### params period_ms=$(cat $PARAMS/balance_period_ms 2>/dev/null || echo -) threshold=$(cat $PARAMS/balance_threshold 2>/dev/null || echo -) balance_default=$BD"
# the balancer statistics (debugfs) of a patched module; before the tap exists
if [ -e $PARAMS/balance_default ] && [ ! -e $STATS ]; then
  mount -t debugfs none /sys/kernel/debug 2>/dev/null
fi
echo "### debugfs before"
cat $STATS 2>/dev/null || echo absent
if [ -n "${KMB_BALANCE_DEFAULT:-}" ]; then
  BD_OLD=$BD
  echo "$KMB_BALANCE_DEFAULT" > $PARAMS/balance_default 2>/dev/null ||
    { echo "module parameter balance_default=$KMB_BALANCE_DEFAULT refused" >&2; exit 3; }
  echo "### balance_default set=$(cat $PARAMS/balance_default)"
fi

DMESG0=0
[ "${KMB_DMESG:-1}" = 1 ] && DMESG0=$(dmesg | wc -l)

# shellcheck disable=SC2086 # MQOPTS is a list of options
timeout $((MAX + 15)) "$BIN/mqtap" -t $((MAX + 10)) $MQOPTS "$IF" > "$OUT/mqtap" 2> "$OUT/mqtap.err" &
MQ=$!
i=0
while ! grep -q '^READY' "$OUT/mqtap" 2>/dev/null; do
  i=$((i + 1))
  if [ $i -gt 100 ] || ! kill -0 "$MQ" 2>/dev/null; then
    echo "mqtap did not come up: $(cat "$OUT/mqtap.err")" >&2
    exit 4
  fi
  sleep 0.05
done

{
  echo 1 > "/proc/sys/net/ipv6/conf/$IF/disable_ipv6" 2>/dev/null || [ ! -d /proc/sys/net/ipv6 ]
} && ip addr add 198.51.100.1/24 dev "$IF" &&
  ip link set "$IF" up &&
  ip neigh replace 198.51.100.2 lladdr 02:00:00:00:00:02 dev "$IF" nud permanent ||
  { echo "setting up $IF failed" >&2; exit 5; }
if [ "${KMB_NOQUEUE:-0}" = 1 ]; then
  tc qdisc replace dev "$IF" root noqueue || { echo "no qdisc on $IF failed" >&2; exit 5; }
fi

# shellcheck disable=SC2086 # KMB_STEER is "PERIOD_MS THRESHOLD"
if [ -n "${KMB_STEER:-}" ] && [ -z "${KMB_STEER_AT:-}" ]; then
  STEER=1
  "$BIN/steer.sh" start "$IF" $KMB_STEER > "$OUT/steer.start" 2>&1
  echo "$?" > "$OUT/steer.startrc"
fi

NCRC=-
if [ -n "${KMB_NETCONSOLE:-}" ]; then
  modprobe netconsole "netconsole=6665@198.51.100.1/$IF,${KMB_NETCONSOLE}@198.51.100.2/02:00:00:00:00:02" \
    > "$OUT/netconsole" 2>&1
  NCRC=$?
  [ $NCRC = 0 ] && NETCONS=1
  # log while the flows run: every line goes out through netpoll (IRQs off)
  (
    i=0
    while [ $i -lt "${KMB_KMSG_LINES:-150}" ]; do
      i=$((i + 1))
      echo "kmb-netpoll line $i" > /dev/kmsg
      sleep 0.01
    done
    echo "$i" > "$OUT/kmsg"
  ) &
  LOG=$!
fi

if [ -n "${KMB_STEER:-}" ] && [ -n "${KMB_STEER_AT:-}" ]; then
  STEER=1
  # shellcheck disable=SC2086 # "PERIOD_MS THRESHOLD" and "ON_MS OFF_MS"
  set -- $KMB_STEER_AT "$@"
  ON=$1 OFF=$2
  shift 2
  "$BIN/steer.sh" start "$IF" $KMB_STEER "$ON" $((OFF - ON)) > "$OUT/steer.start" 2>&1
  echo "$?" > "$OUT/steer.startrc"
fi

# shellcheck disable=SC2086 # KMB_UDPFLOWS_OPTS is a list of options
timeout $((MAX + 5)) "$BIN/udpflows" -b 198.51.100.1 -d 198.51.100.2 -p 9 -T "$MAX" ${KMB_UDPFLOWS_OPTS:-} "$@" \
  > "$OUT/udpflows" 2>&1
UF=$?
if [ -n "$LOG" ]; then
  wait "$LOG"
  LOG=""
fi
if [ -n "$NETCONS" ]; then
  rmmod netconsole >> "$OUT/netconsole" 2>&1
  NETCONS=""
fi
wait "$MQ"
MQRC=$?
MQ=""
if [ -n "$STEER" ] && [ ! -s "$OUT/steer.stop" ]; then
  "$BIN/steer.sh" stop "$IF" > "$OUT/steer.stop" 2>&1
fi

echo "### udpflows rc=$UF"
cat "$OUT/udpflows"
echo "### mqtap rc=$MQRC"
cat "$OUT/mqtap"
[ -s "$OUT/mqtap.err" ] && { echo "### mqtap stderr"; cat "$OUT/mqtap.err"; }
if [ -n "${KMB_NETCONSOLE:-}" ]; then
  echo "### netconsole rc=$NCRC lines=$(cat "$OUT/kmsg" 2>/dev/null || echo 0) port=$KMB_NETCONSOLE"
  cat "$OUT/netconsole"
fi
echo "### debugfs after"
cat $STATS 2>/dev/null || echo absent
if [ -n "$STEER" ]; then
  echo "### kmbsteer start rc=$(cat "$OUT/steer.startrc" 2>/dev/null || echo -)"
  cat "$OUT/steer.start" 2>/dev/null
  echo "### kmbsteer stop"
  cat "$OUT/steer.stop" 2>/dev/null
  echo "### kmbsteer history"
  "$BIN/steer.sh" history "$IF"
  echo "### kmbsteer log"
  cat "/run/kmb/steer/$IF.log" 2>/dev/null
  STEER=""
fi
if [ "${KMB_DMESG:-1}" = 1 ]; then
  echo "### dmesg"
  dmesg | tail -n +$((DMESG0 + 1))
fi
echo "### end"
exit 0
