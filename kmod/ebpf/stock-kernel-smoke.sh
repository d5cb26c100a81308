#!/bin/sh
# kmbsteer on an unmodified Debian kernel and its stock tun.ko, in a throwaway QEMU guest
# (TCG): a 4-queue tap held by mqtap, 4 UDP flows from udpflows started 500 ms apart, bounded,
# all inside the guest (198.51.100.0/24; the host's interfaces are never touched). Prints
# mqtap's per-queue and per-flow lines and kmbsteer's last statistics; with "stock" instead of
# "ebpf", the same traffic without kmbsteer.
#
#   stock-kernel-smoke.sh KMBSTEER MQTAP UDPFLOWS [ebpf|stock] [RELEASE]
#
# RELEASE defaults to the installed cloud kernel (/boot/vmlinuz-RELEASE and its tun.ko).
# Run VMs one at a time on a shared runner: flock /tmp/kmb-vm.lock stock-kernel-smoke.sh ...
set -eu

[ $# -ge 3 ] || { echo "usage: $0 KMBSTEER MQTAP UDPFLOWS [ebpf|stock] [RELEASE]" >&2; exit 2; }
KMBSTEER=$1 MQTAP=$2 UDPFLOWS=$3 MODE=${4:-ebpf}
RELEASE=${5:-$(ls /lib/modules | grep cloud | sort -V | tail -1)}
KERNEL=/boot/vmlinuz-$RELEASE
TUN=/lib/modules/$RELEASE/kernel/drivers/net/tun.ko
for f in "$KMBSTEER" "$MQTAP" "$UDPFLOWS" "$KERNEL" "$TUN" /usr/bin/busybox; do
	[ -r "$f" ] || { echo "$0: $f not found" >&2; exit 2; }
done
case $MODE in ebpf|stock) ;; *) echo "$0: mode '$MODE' is not ebpf or stock" >&2; exit 2 ;; esac

WORK=$(mktemp -d /tmp/kmb-stock-smoke.XXXXXX)
trap 'rm -rf "$WORK"' EXIT INT TERM
ROOT=$WORK/root
mkdir -p "$ROOT/bin" "$ROOT/proc" "$ROOT/sys" "$ROOT/dev" "$ROOT/tmp"
cp /usr/bin/busybox "$ROOT/bin/"
for app in sh mount insmod ip arp sleep cat grep kill poweroff seq; do
	ln -s busybox "$ROOT/bin/$app"
done
cp "$KMBSTEER" "$ROOT/bin/kmbsteer"
cp "$MQTAP" "$ROOT/bin/mqtap"
cp "$UDPFLOWS" "$ROOT/bin/udpflows"
cp "$TUN" "$ROOT/tun.ko"
cat > "$ROOT/init" <<INIT
#!/bin/sh
mount -t proc proc /proc
mount -t sysfs sys /sys
mount -t devtmpfs dev /dev
insmod /tun.ko
ip link set lo up
echo "KMB mode $MODE"
mqtap -q 4 -t 30 -i 1500 -b 500 kmbt0 > /tmp/mq 2> /tmp/mq.err &
MQ=\$!
for i in \$(seq 100); do grep -q READY /tmp/mq && break; sleep 0.1; done
ip addr add 198.51.100.1/24 dev kmbt0
ip link set kmbt0 up
arp -i kmbt0 -s 198.51.100.2 02:00:00:00:00:02
if [ $MODE = ebpf ]; then
	kmbsteer attach kmbt0 200 64 /tmp/stats &
	STEER=\$!
	sleep 2
fi
udpflows -b 198.51.100.1 -d 198.51.100.2 -p 9 -T 10 5001:1000:0:3000 5002:1000:500:3000 5003:1000:1000:3000 5004:1000:1500:3000 > /tmp/uf 2>&1
echo "KMB udpflows rc=\$?"
wait \$MQ
grep -E "^(flow|slot|end)" /tmp/mq | sed 's/^/KMB /'
cat /tmp/mq.err
if [ $MODE = ebpf ]; then
	cat /tmp/stats | sed 's/^/KMB stats /'
	kill -INT \$STEER
	sleep 1
fi
echo "KMB kernel \$(cat /proc/sys/kernel/osrelease)"
echo KMB-SMOKE-DONE
poweroff -f
INIT
chmod +x "$ROOT/init"
(cd "$ROOT" && find . | cpio -o -H newc --quiet | gzip -1) > "$WORK/initrd.gz"

timeout 300 qemu-system-x86_64 -m 512 -smp 2 -accel tcg,thread=multi -cpu max \
	-kernel "$KERNEL" -initrd "$WORK/initrd.gz" \
	-append "console=ttyS0 panic=-1 quiet" -nographic -no-reboot -nic none |
	tr -d '\r' | grep -E "^KMB|kmbsteer|verifier|error|BUG|WARN"
