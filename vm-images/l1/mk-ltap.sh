#!/bin/sh
# Runs in L1: create the multi-queue tap the L2 guest attaches to (usage: mk-ltap.sh DEV ADDR/PLEN).
set -eu
ip tuntap add dev "$1" mode tap multi_queue
ip addr add "$2" dev "$1"
ip link set "$1" up
