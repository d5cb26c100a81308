#!/bin/sh
# Runs in L1: a smoke test of the patched tun under traffic. Bounded in time.
set -u
IF=kmbq0
B=/opt/kmb
D=/sys/kernel/debug/tun_balance
mount -t debugfs none /sys/kernel/debug 2>/dev/null
insmod /tmp/tun.ko || exit 4
echo "== params: $(ls /sys/module/tun/parameters)"
$B/mqtap -q 4 -t 40 -i 3000 -e detach:1@2000 -e attach:1@3000 -e detach:3@4000 -e detach:0@4500 -e attach:3@5000 -e attach:0@5500 $IF > /tmp/mq.out 2>&1 &
MQ=$!
sleep 1
echo 1 > /proc/sys/net/ipv6/conf/$IF/disable_ipv6
ip addr add 198.51.100.1/24 dev $IF && ip link set $IF up && ip neigh replace 198.51.100.2 lladdr 02:00:00:00:00:02 dev $IF nud permanent
echo "== balance before: $(cat /sys/class/net/$IF/balance)"
echo 1 > /sys/class/net/$IF/balance; echo "== balance on: $(cat /sys/class/net/$IF/balance)"
cat $D
$B/udpflows -b 198.51.100.1 -d 198.51.100.2 -p 9 -T 12 40001:2000:0:16000 40002:2000:0:16000 40003:2000:0:16000 40004:2000:0:16000 40005:500:0:4000 40006:500:0:4000 40007:500:100:4000 40008:500:200:4000 > /tmp/uf.out 2>&1 &
UF=$!
sleep 1
i=0; while [ $i -lt 150 ]; do echo 0 > /sys/class/net/$IF/balance; echo 1 > /sys/class/net/$IF/balance; i=$((i+1)); done
echo "== toggled 150 times"
i=0; while [ $i -lt 150 ]; do echo $((10 + i * 7)) > /sys/module/tun/parameters/balance_period_ms; echo $((i * 1000)) > /sys/module/tun/parameters/balance_threshold; cat $D > /dev/null; i=$((i+1)); done
echo 20 > /sys/module/tun/parameters/balance_period_ms; echo 64 > /sys/module/tun/parameters/balance_threshold
echo "== tunables changed 150 times"
echo 0 > /sys/module/tun/parameters/balance_period_ms 2>/dev/null && echo "BAD: period 0 accepted" || echo "== period 0 refused"
insmod /tmp/configfs.ko
if insmod /tmp/netconsole.ko netconsole=@198.51.100.1/$IF,6666@198.51.100.2/02:00:00:00:00:02 2>/tmp/nc.err; then
  i=0; while [ $i -lt 300 ]; do echo "kmb netconsole line $i" > /dev/kmsg; i=$((i+1)); done
  echo "== netconsole: 300 lines logged"; cat /sys/kernel/debug/tun_balance | head -3
else
  echo "== netconsole failed: $(cat /tmp/nc.err)"
fi
ip tuntap add dev sq0 mode tap
echo 1 > /sys/class/net/sq0/balance 2>/tmp/sq.err && echo "BAD: single-queue accepted" || echo "== single-queue refused: $(cat /tmp/sq.err)"
echo "== single-queue reads $(cat /sys/class/net/sq0/balance)"
ip tuntap del dev sq0 mode tap
sleep 2
cat $D
wait $UF

rmmod netconsole 2>/dev/null
echo "== udpflows:"; cat /tmp/uf.out | tail -3
wait $MQ
echo "== mqtap:"; head -5 /tmp/mq.out; grep -i "queue\|moves" /tmp/mq.out | head -20
cat $D
echo 1 > /sys/module/tun/parameters/balance_default
ip tuntap add dev mq1 mode tap multi_queue
echo "== balance_default on mq1: $(cat /sys/class/net/mq1/balance)"; cat $D
ip tuntap del dev mq1 mode tap multi_queue
rmmod tun && echo "== rmmod ok"
if [ -e /sys/kernel/debug/kmemleak ]; then
  echo scan > /sys/kernel/debug/kmemleak; sleep 5; echo scan > /sys/kernel/debug/kmemleak
  echo "== kmemleak: $(grep -c unreferenced /sys/kernel/debug/kmemleak) unreferenced objects"; grep -A12 unreferenced /sys/kernel/debug/kmemleak | grep -i "tun\|balance" | head
fi
echo "== dmesg splats:"
dmesg | grep -iE "WARNING|BUG|Oops|lockdep|possible .*locking|circular|RCU stall|hung task|UBSAN|KASAN|refcount|list_del corruption|suspicious RCU|sleeping function" | head -20
echo "== end"
