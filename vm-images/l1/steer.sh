#!/bin/sh
# Runs in L1 (`--backend ebpf`): kmbsteer (kmod/ebpf, static, at /opt/kmb/kmbsteer) on a tap of
# the kernel's own, unmodified tun.ko. Every step is bounded in time.
#
#   steer.sh start DEV PERIOD_MS THRESHOLD [DELAY_MS DETACH_AFTER_MS]
#                                            attach in the background; returns once kmbsteer
#                                            steers DEV and wrote its first statistics; with
#                                            DELAY_MS, at once: kmbsteer sets its program
#                                            DELAY_MS after it started and ends DETACH_AFTER_MS
#                                            after that (its history has the times)
#   steer.sh stop DEV                        SIGINT: kmbsteer clears the program (DEV is stock
#                                            again) and exits; SIGKILL after 10 s
#   steer.sh stats DEV                       the statistics file, or "absent"
#   steer.sh history DEV                     kmbsteer's history (attach, remaps, detach; see kmbsteer.c)
#
# Files: /run/kmb/steer/DEV.{pid,log,stats,tunables,history}. The tunables file holds the tunables as
# `kmb steer --set` writes them; kmbsteer reads it again after every period in which it changed.
# Prints "KMB-STEER ..." lines; exit 0 ok, 2 usage, 4 kmbsteer refused or died (its log on
# stderr), 5 no statistics within 10 s.
set -u
[ $# -ge 2 ] || { echo "usage: $0 start DEV PERIOD_MS THRESHOLD | stop DEV | stats DEV | history DEV" >&2; exit 2; }
OP=$1 DEV=$2
BIN=${KMB_BIN:-/opt/kmb}
DIR=/run/kmb/steer
PID=$DIR/$DEV.pid LOG=$DIR/$DEV.log STATS=$DIR/$DEV.stats TUN=$DIR/$DEV.tunables HIST=$DIR/$DEV.history

case $OP in
start)
  [ $# -eq 4 ] || [ $# -eq 6 ] || { echo "usage: $0 start DEV PERIOD_MS THRESHOLD [DELAY_MS DETACH_AFTER_MS]" >&2; exit 2; }
  mkdir -p $DIR
  if [ -s "$PID" ] && kill -0 "$(cat "$PID")" 2>/dev/null; then
    echo "kmbsteer already runs for $DEV (pid $(cat "$PID"))" >&2
    exit 4
  fi
  rm -f "$STATS" "$LOG" "$HIST"
  printf 'threshold %s\nperiod_ms %s\n' "$4" "$3" > "$TUN"
  # its own session: the end of this SSH command must not reach it (kmbsteer stops on SIGHUP)
  KMBSTEER_ATTACH_DELAY_MS=${5:-} KMBSTEER_DETACH_AFTER_MS=${6:-} \
    setsid "$BIN/kmbsteer" attach "$DEV" "$3" "$4" "$STATS" "$TUN" "$HIST" > "$LOG" 2>&1 < /dev/null &
  echo $! > "$PID"
  if [ $# -eq 6 ]; then
    echo "KMB-STEER pid=$(cat "$PID") scheduled: the program in $5 ms, detached $6 ms later"
    exit 0
  fi
  i=0
  while [ ! -s "$STATS" ]; do
    i=$((i + 1))
    if ! kill -0 "$(cat "$PID")" 2>/dev/null; then
      wait "$(cat "$PID")"
      echo "kmbsteer exited $? before steering $DEV: $(cat "$LOG")" >&2
      rm -f "$PID"
      exit 4
    fi
    [ $i -gt 200 ] && { echo "kmbsteer wrote no statistics for $DEV within 10 s: $(cat "$LOG")" >&2; exit 5; }
    sleep 0.05
  done
  echo "KMB-STEER pid=$(cat "$PID") $(grep -m1 '^kmbsteer: steering' "$LOG")"
  ;;
stop)
  [ -s "$PID" ] || { echo "KMB-STEER not running"; exit 0; }
  P=$(cat "$PID")
  kill -INT "$P" 2>/dev/null
  i=0
  while kill -0 "$P" 2>/dev/null && [ $i -lt 200 ]; do i=$((i + 1)); sleep 0.05; done
  if kill -0 "$P" 2>/dev/null; then
    kill -9 "$P" 2>/dev/null
    echo "KMB-STEER killed pid=$P (did not end 10 s after SIGINT; its program may still be set: kmbsteer detach $DEV)"
  else
    echo "KMB-STEER stopped pid=$P $(grep -m1 'stock again' "$LOG")"
  fi
  rm -f "$PID" "$TUN"
  ;;
stats)
  cat "$STATS" 2>/dev/null || echo absent
  ;;
history)
  cat "$HIST" 2>/dev/null
  ;;
*)
  echo "usage: $0 start DEV PERIOD_MS THRESHOLD | stop DEV | stats DEV | history DEV" >&2
  exit 2
  ;;
esac
