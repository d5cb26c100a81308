// SPDX-License-Identifier: GPL-2.0
/*
 * The balancer core of the module, compiled in user space over the kernel
 * shim of kmod/userspace exactly as the differential tests compile it, and
 * kept in step with the eBPF maps. The flows of the mirror are allocated
 * here (the program admitted them) and freed by the core.
 */
#define _GNU_SOURCE
#define KMB_SHIM_DEFINE_GLOBALS
#include "kernel_shim.h"

/* The mirror runs the remapper half of the core; the packet path half
 * (select, place, admit) is the program's, so those functions go unused.
 */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wunused-function"
#include "balancer_core.c"
#pragma GCC diagnostic pop

#include "steer_mirror.h"

/* Nothing to start: the remapper runs every period regardless. */
static void tun_balance_wake(struct tun_balance *bal)
{
	(void)bal;
}

/* The core's select asks where it may place a flow; the program places, and
 * kmbsteer passes the queue count it polls, so that is all there is.
 */
static u32 tun_balance_steerable(struct tun_balance *bal, u32 numqueues)
{
	(void)bal;
	return numqueues;
}

/* A flow of the core plus what the map's counter held at the last sync.
 * The core frees the flow with kfree_rcu(f), so it must come first.
 */
struct steer_mirror_flow {
	struct tun_balance_flow flow;
	u64 synced;
	u32 generation;
};

struct steer_mirror {
	struct tun_balance bal;
	u64 untracked_synced[MAX_TAP_QUEUES];
	u32 generation;
};

static struct steer_mirror_flow *mirror_flow(struct tun_balance_flow *f)
{
	return container_of(f, struct steer_mirror_flow, flow);
}

struct steer_mirror *steer_mirror_new(void)
{
	struct steer_mirror *m = kzalloc(sizeof(*m), GFP_KERNEL);

	if (m)
		tun_balance_init(&m->bal);
	return m;
}

void steer_mirror_free(struct steer_mirror *m)
{
	tun_balance_flush(&m->bal);
	rcu_reclaim();
	kfree(m);
}

void steer_mirror_sync_begin(struct steer_mirror *m)
{
	m->generation++;
}

/* Under the same bookkeeping as tun_balance_admit() and
 * tun_balance_reassign(): the program placed the flow, the core counts it.
 */
void steer_mirror_sync_flow(struct steer_mirror *m, uint32_t hash,
			    uint32_t queue, uint64_t segments)
{
	struct tun_balance *bal = &m->bal;
	struct tun_balance_flow *f;
	struct steer_mirror_flow *mf;
	u16 q = queue < MAX_TAP_QUEUES ? queue : TUN_BALANCE_UNPLACED;

	spin_lock_bh(&bal->lock);
	f = tun_balance_flow_find(tun_balance_bucket(bal, hash), hash);
	if (!f) {
		mf = kzalloc(sizeof(*mf), GFP_KERNEL);
		if (!mf) {
			spin_unlock_bh(&bal->lock);
			return;	/* the flow joins at the next sync */
		}
		f = &mf->flow;
		f->rxhash = hash;
		f->queue_index = TUN_BALANCE_UNPLACED;
		bal->flow_count++;
		hlist_add_head_rcu(&f->hash_link, tun_balance_bucket(bal, hash));
	}
	mf = mirror_flow(f);
	if (f->queue_index != q) {
		if (f->queue_index != TUN_BALANCE_UNPLACED)
			bal->queue_flows[f->queue_index]--;
		if (q != TUN_BALANCE_UNPLACED)
			bal->queue_flows[q]++;
		f->queue_index = q;
	}
	atomic_add((u32)(segments - mf->synced), &f->packets);
	mf->synced = segments;
	mf->generation = m->generation;
	spin_unlock_bh(&bal->lock);
}

void steer_mirror_sync_untracked(struct steer_mirror *m, uint32_t queue,
				 uint64_t segments)
{
	if (queue >= MAX_TAP_QUEUES)
		return;
	atomic_add((u32)(segments - m->untracked_synced[queue]),
		   &m->bal.untracked[queue]);
	m->untracked_synced[queue] = segments;
}

void steer_mirror_sync_end(struct steer_mirror *m)
{
	struct tun_balance *bal = &m->bal;
	struct tun_balance_flow *f;
	struct hlist_node *next;
	u32 i;

	spin_lock_bh(&bal->lock);
	for (i = 0; i < TUN_BALANCE_BUCKETS; i++) {
		hlist_for_each_entry_safe(f, next, &bal->flows[i], hash_link) {
			if (mirror_flow(f)->generation != m->generation)
				tun_balance_flow_delete(bal, f);
		}
	}
	spin_unlock_bh(&bal->lock);
	rcu_reclaim();
}

void steer_mirror_resize(struct steer_mirror *m, uint32_t from, uint32_t to)
{
	uint32_t q;

	for (q = to; q < from && q < MAX_TAP_QUEUES; q++)
		tun_balance_detach(&m->bal, q, q);
}

void steer_mirror_remap(struct steer_mirror *m, uint32_t numqueues,
			uint32_t threshold)
{
	tun_balance_remap(&m->bal, numqueues, threshold);
	rcu_reclaim();
}

int steer_mirror_queue_of(struct steer_mirror *m, uint32_t hash)
{
	struct tun_balance_flow *f;

	f = tun_balance_flow_find(tun_balance_bucket(&m->bal, hash), hash);
	return f ? f->queue_index : -1;
}

uint32_t steer_mirror_flow_count(struct steer_mirror *m)
{
	return m->bal.flow_count;
}

/* What tun_balance_admit() does to the table, a placement at a time, on a
 * copy of the flow counts: the sequence the program's placements follow.
 */
void steer_mirror_placements(struct steer_mirror *m, uint32_t numqueues,
			     uint16_t *placement, uint32_t count)
{
	u32 saved[MAX_TAP_QUEUES];
	u32 i;

	if (!numqueues) {
		memset(placement, 0, count * sizeof(*placement));
		return;
	}
	memcpy(saved, m->bal.queue_flows, sizeof(saved));
	for (i = 0; i < count; i++) {
		u16 q = tun_balance_least_loaded(&m->bal, numqueues);

		placement[i] = q;
		m->bal.queue_flows[q]++;
	}
	memcpy(m->bal.queue_flows, saved, sizeof(saved));
}

void steer_mirror_snapshot(struct steer_mirror *m, uint32_t numqueues,
			   struct steer_mirror_stats *s)
{
	struct tun_balance_stats stats;

	memset(&stats, 0, sizeof(stats));
	tun_balance_snapshot(&m->bal, numqueues, &stats);
	s->flows = stats.flows;
	s->migrations = stats.migrations;
	s->periods = stats.periods;
	s->counted = stats.counted;
	memcpy(s->load, stats.load, sizeof(s->load));
	memcpy(s->queue_flows, stats.queue_flows, sizeof(s->queue_flows));
}
