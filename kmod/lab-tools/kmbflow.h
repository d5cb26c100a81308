/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The datagram payload udpflows sends and mqtap reads, shared by
 * both tools so that they agree byte for byte.
 *
 * Every datagram carries its flow's sequence number and the CLOCK_MONOTONIC
 * time at which it was handed to send(). tun_select_queue() runs inside that
 * send() call (the neighbour entry is permanent, so nothing is queued for
 * ARP), so the stamp is the time of the queue decision to within
 * microseconds, whatever the reader's latency.
 */
#ifndef KMBFLOW_H
#define KMBFLOW_H

#include <stdint.h>

#define KMBFLOW_MAGIC	0x4b4d4246u	/* "KMBF": a datagram of a paced flow */
#define KMBFLOOD_MAGIC	0x4b4d4244u	/* "KMBD": a one-datagram flood flow */
#define KMBREPLY_MAGIC	0x4b4d4252u	/* "KMBR": a "guest reply" mqtap writes */

struct kmbflow_payload {
	uint32_t magic;		/* big endian */
	uint32_t seq;		/* big endian, 0 .. count - 1 (flood: its index) */
	uint64_t sent_ns;	/* big endian, CLOCK_MONOTONIC */
} __attribute__((packed));

#endif /* KMBFLOW_H */
