#!/bin/sh
# Runs in L1: start FLOWS netperf clients together against HOST, each bounded by
# `timeout`, wait for all, then print each one's output after a "### flow I rc=RC" line.
# usage: netperf-flows.sh HOST FLOWS SECONDS TCP_STREAM|UDP_STREAM
HOST=$1; FLOWS=$2; SECS=$3; TEST=$4
# UDP_STREAM sends socket-buffer-sized datagrams by default: IP fragments without
# ports, which every policy must hash as ONE flow. 1400-byte messages fit the MTU.
OPTS=
[ "$TEST" = UDP_STREAM ] && OPTS="-- -m 1400"
rm -f /tmp/kmb-np.*
i=1
while [ $i -le "$FLOWS" ]; do
  ( timeout $((SECS + 30)) netperf -H "$HOST" -l "$SECS" -t "$TEST" $OPTS > /tmp/kmb-np.$i 2>&1; echo $? > /tmp/kmb-np.$i.rc ) &
  i=$((i + 1))
done
wait
i=1
while [ $i -le "$FLOWS" ]; do
  echo "### flow $i rc=$(cat /tmp/kmb-np.$i.rc)"
  cat /tmp/kmb-np.$i
  i=$((i + 1))
done
