#!/bin/sh
# netconsole over a 4-queue tap on whatever tun.ko this is, balancing on if it can
set -u
IF=kmbq0; B=/opt/kmb
mount -t debugfs none /sys/kernel/debug 2>/dev/null
insmod /tmp/tun.ko || exit 4
$B/mqtap -q 4 -t 120 -i 60000 $IF > /tmp/mq.out 2>&1 &
sleep 2
echo 1 > /proc/sys/net/ipv6/conf/$IF/disable_ipv6
ip addr add 198.51.100.1/24 dev $IF && ip link set $IF up && ip neigh replace 198.51.100.2 lladdr 02:00:00:00:00:02 dev $IF nud permanent
echo 1 > /sys/class/net/$IF/balance 2>/dev/null && echo "== balancing on"
$B/udpflows -b 198.51.100.1 -d 198.51.100.2 -p 9 -T 20 40001:300:0:3000 40002:300:0:3000 > /tmp/uf.out 2>&1 &
sleep 1
insmod /tmp/netconsole.ko netconsole=@198.51.100.1/$IF,6666@198.51.100.2/02:00:00:00:00:02 && echo "== netconsole up"
i=0; while [ $i -lt 100 ]; do echo "kmb netconsole line $i" > /dev/kmsg; i=$((i+1)); done
echo "== 100 lines"
sleep 2
dmesg | grep -E "HARDIRQ-safe|acquire:|producer_lock|tun_balance|already holding" | head -8
echo "== end"
