#!/bin/sh
# Runs in L1: load kvm_amd or kvm_intel and check that /dev/kvm really works by
# starting qemu with -accel kvm for 2 s (exit 124 = it was still running = works).
# Prints exactly one line: "KMB-ACCEL kvm" or "KMB-ACCEL tcg <reason>".
grep -qw svm /proc/cpuinfo && modprobe kvm_amd 2>/tmp/kvm.err
grep -qw vmx /proc/cpuinfo && modprobe kvm_intel 2>/tmp/kvm.err
if [ ! -c /dev/kvm ]; then
  echo "KMB-ACCEL tcg no /dev/kvm in L1 (cpu flags: $(grep -o -w -m1 -e svm -e vmx /proc/cpuinfo | head -1); $(cat /tmp/kvm.err 2>/dev/null))"
  exit 0
fi
timeout 2 qemu-system-x86_64 -accel kvm -cpu host -M pc -m 64 -nodefaults -no-user-config \
  -display none -S >/tmp/kvm-probe.log 2>&1
rc=$?
if [ $rc = 124 ]; then echo "KMB-ACCEL kvm"; else echo "KMB-ACCEL tcg qemu -accel kvm failed rc=$rc: $(head -c 200 /tmp/kvm-probe.log)"; fi
