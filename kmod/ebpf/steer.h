/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The maps shared by the steering program (steer.bpf.c) and its user-space
 * remapper (kmbsteer.c, steer_mirror.c). One layout, included on both sides.
 */
#ifndef KMB_STEER_H
#define KMB_STEER_H

#include <linux/types.h>

#define STEER_MAX_QUEUES	256	/* tun's MAX_TAP_QUEUES */
#define STEER_MAX_FLOWS		4096	/* tun's MAX_TAP_FLOWS */
/* LRU slots: twice the admission limit, so that the LRU's own eviction
 * (which may start before the map is full: per-CPU free lists) never decides
 * which flow is in the table; the limit is enforced by flow_count.
 */
#define STEER_FLOW_SLOTS	(2 * STEER_MAX_FLOWS)
#define STEER_SEEN_BITS		8192	/* a flow's slot: the top 13 hash bits */
#define STEER_SEEN_SHIFT	19
#define STEER_UNPLACED		0xffff	/* its queue was detached */

/* A flow in the table, keyed by its 32-bit flow hash. */
struct steer_flow {
	__u32 queue;
	__u32 reserved;
	/* segments since admission, only ever added to: the remapper keeps the
	 * last value it read and takes the difference, so the packet path and
	 * the remapper never write the same counter
	 */
	__u64 segments;
};

/* Placements one period can make: every admission and every re-placement
 * takes the next; admissions stop at STEER_MAX_FLOWS flows, re-placements
 * concern flows already counted, so twice that is never reached.
 */
#define STEER_PLACEMENTS	(2 * STEER_MAX_FLOWS)

/* Written by the remapper after every period; read by every packet. */
struct steer_config {
	__u32 numqueues;	/* steerable queues as the remapper last saw */
	__u32 l3_offset;	/* 14 on a tap (Ethernet), 0 on a tun */
	/* the current period: a flow's seen slot holding it marks the flow
	 * as seen this period, so starting a period clears nothing
	 */
	__u32 epoch;
	__u32 flow_count;	/* flows in the table */
	__u32 max_flows;
	__u32 placements;	/* taken from placement[] this period */
	/* The queues that the period's placements get, in order. Within a
	 * period the least loaded queue depends only on the last period's
	 * loads and on the flows placed since, so the remapper computes the
	 * whole sequence with the core's own tun_balance_least_loaded() and
	 * the program just takes the next entry: the decision stays in the
	 * one C procedure, and the program has no loop over the queues.
	 */
	__u16 placement[STEER_PLACEMENTS];
};

#endif /* KMB_STEER_H */
