// SPDX-License-Identifier: GPL-2.0
/*
 * Load-aware steering for a multi-queue tun/tap on an unmodified kernel: a
 * BPF_PROG_TYPE_SOCKET_FILTER program set with TUNSETSTEERINGEBPF. tun calls
 * it for every packet it transmits and takes its return value modulo the
 * queue count as the queue (tun_ebpf_select_queue()).
 *
 * This is the flow mapper of the dynamic balancer (docs/BALANCER.md, cases
 * 1-5) as the module's balancer_core.c has it; the remapper runs in user
 * space (kmbsteer) on a mirror of the table built from the very same core C,
 * and writes its moves, the loads and the flow counts back into the maps.
 *
 * A socket filter has no direct packet access and no hash helper, and
 * skb->hash may still be 0 when tun selects a queue, so the flow hash is
 * computed here from the headers (steer_flow_hash()); kmbsteer's README gives
 * it in full so that a model can compute the same.
 *
 * There is no lock: the module serialises new flows on a spinlock, here two
 * CPUs admitting flows at the same instant may both pick the same least
 * loaded queue. The counters are atomic adds.
 */
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/in.h>
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <bpf/bpf_endian.h>
#include <bpf/bpf_helpers.h>

#include "steer.h"

#define STEER_FNV_BASIS		0x811c9dc5u
#define STEER_FNV_PRIME		0x01000193u
#define STEER_IP_FRAGMENT	0x3fff	/* IP_MF | IP_OFFSET */

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, STEER_FLOW_SLOTS);
	__type(key, __u32);
	__type(value, struct steer_flow);
} flows SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct steer_config);
} config SEC(".maps");

/* Segments steered by flows not in the table, per queue, since attach: a
 * per-CPU sum the remapper takes differences of, as for the flows.
 */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, STEER_MAX_QUEUES);
	__type(key, __u32);
	__type(value, __u64);
} untracked SEC(".maps");

/* The admission filter: the epoch in which a flow's slot was last seen. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, STEER_SEEN_BITS);
	__type(key, __u32);
	__type(value, __u32);
} seen SEC(".maps");

static __always_inline __u32 steer_mix(__u32 h, __u32 word)
{
	return (h ^ word) * STEER_FNV_PRIME;
}

/* murmur3's finaliser: the queue is taken from the top bits (multiply and
 * shift) and so is the seen slot, so every input bit must reach them
 */
static __always_inline __u32 steer_avalanche(__u32 h)
{
	h ^= h >> 16;
	h *= 0x85ebca6b;
	h ^= h >> 13;
	h *= 0xc2b2ae35;
	h ^= h >> 16;
	return h;
}

/* Hash of (source, destination, ports, protocol), the words as loaded from
 * the packet (network byte order in a little-endian load). IPv6 addresses
 * are folded by XOR of their four words. Fragments and other protocols hash
 * with ports 0, so every fragment of a datagram lands on one queue. Returns
 * -1 for a packet that is not IPv4 or IPv6.
 */
static __always_inline int steer_flow_hash(struct __sk_buff *skb, __u32 l3,
					   __u32 *hash)
{
	__u32 src, dst, ports = 0, l4;
	__u8 proto;
	__u8 fragment = 0;

	if (skb->protocol == bpf_htons(ETH_P_IP)) {
		struct iphdr ip;

		if (bpf_skb_load_bytes(skb, l3, &ip, sizeof(ip)) || ip.ihl < 5)
			return -1;
		src = ip.saddr;
		dst = ip.daddr;
		proto = ip.protocol;
		l4 = l3 + ip.ihl * 4;
		fragment = !!(ip.frag_off & bpf_htons(STEER_IP_FRAGMENT));
	} else if (skb->protocol == bpf_htons(ETH_P_IPV6)) {
		struct ipv6hdr ip6;

		if (bpf_skb_load_bytes(skb, l3, &ip6, sizeof(ip6)))
			return -1;
		src = ip6.saddr.in6_u.u6_addr32[0] ^ ip6.saddr.in6_u.u6_addr32[1] ^
		      ip6.saddr.in6_u.u6_addr32[2] ^ ip6.saddr.in6_u.u6_addr32[3];
		dst = ip6.daddr.in6_u.u6_addr32[0] ^ ip6.daddr.in6_u.u6_addr32[1] ^
		      ip6.daddr.in6_u.u6_addr32[2] ^ ip6.daddr.in6_u.u6_addr32[3];
		/* extension headers are not walked: such flows hash without ports */
		proto = ip6.nexthdr;
		l4 = l3 + sizeof(ip6);
	} else {
		return -1;
	}
	if (!fragment && (proto == IPPROTO_TCP || proto == IPPROTO_UDP) &&
	    bpf_skb_load_bytes(skb, l4, &ports, sizeof(ports)))
		ports = 0;

	*hash = steer_avalanche(steer_mix(steer_mix(steer_mix(steer_mix(
		STEER_FNV_BASIS, src), dst), ports), proto));
	return 0;
}

static __always_inline void steer_count(__u32 queue, __u32 segs)
{
	__u64 *sum = bpf_map_lookup_elem(&untracked, &queue);

	if (sum)
		*sum += segs;	/* this CPU's own slot */
}

/* The next queue in the period's placement sequence (see steer.h), as
 * tun_balance_least_loaded() would answer now; UINT_MAX once exhausted.
 * The counter is read, then added to: two CPUs placing a flow at the same
 * instant may take the same entry, where the module's lock orders them.
 */
static __always_inline __u32 steer_next_placement(struct steer_config *cfg)
{
	__u32 taken = cfg->placements;

	if (taken >= STEER_PLACEMENTS)
		return ~0u;
	__sync_fetch_and_add(&cfg->placements, 1);
	return cfg->placement[taken];
}

/* Steered by hash and counted toward that queue all the same (case 5). */
static __always_inline __u32 steer_untracked(__u32 hash, __u32 segs,
					     __u32 numqueues)
{
	__u32 queue = ((__u64)hash * numqueues) >> 32;

	steer_count(queue, segs);
	return queue;
}

SEC("socket")
int kmb_steer(struct __sk_buff *skb)
{
	struct steer_config *cfg;
	struct steer_flow *f;
	__u32 zero = 0, hash, numqueues, segs, queue, slot;
	__u32 *mark;

	cfg = bpf_map_lookup_elem(&config, &zero);
	if (!cfg)
		return 0;
	numqueues = cfg->numqueues;
	if (!numqueues || numqueues > STEER_MAX_QUEUES)	/* case 1 */
		return 0;
	segs = skb->gso_segs ? skb->gso_segs : 1;
	if (steer_flow_hash(skb, cfg->l3_offset, &hash)) {
		/* not IP: no flow to balance, but its load is real */
		steer_count(0, segs);
		return 0;
	}

	f = bpf_map_lookup_elem(&flows, &hash);
	if (f) {
		queue = f->queue;
		if (queue < numqueues) {			/* case 2 */
			__sync_fetch_and_add(&f->segments, segs);
			return queue;
		}
		/* case 3: its queue was detached */
		queue = steer_next_placement(cfg);
		if (queue < numqueues) {
			f->queue = queue;
			__sync_fetch_and_add(&f->segments, segs);
			return queue;
		}
		return steer_untracked(hash, segs, numqueues);
	}

	slot = hash >> STEER_SEEN_SHIFT;
	mark = bpf_map_lookup_elem(&seen, &slot);
	if (!mark)
		return steer_untracked(hash, segs, numqueues);
	if (*mark == cfg->epoch && cfg->flow_count < cfg->max_flows) {
		struct steer_flow fresh = {
			.queue = steer_next_placement(cfg),
			.segments = segs,
		};

		/* case 4; NOEXIST: another CPU may have admitted it meanwhile */
		if (fresh.queue < numqueues &&
		    !bpf_map_update_elem(&flows, &hash, &fresh, BPF_NOEXIST)) {
			__sync_fetch_and_add(&cfg->flow_count, 1);
			return fresh.queue;
		}
	}
	*mark = cfg->epoch;					/* case 5 */
	return steer_untracked(hash, segs, numqueues);
}

char LICENSE[] SEC("license") = "GPL";
