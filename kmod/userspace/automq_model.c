/* Stock tun's automatic queue selection, re-implemented from a reading of
 * upstream drivers/net/tun.c (tun_automq_select_queue, tun_flow_find,
 * tun_flow_save_rps_rxhash, tun_flow_create) so that `kmb bench` can count its
 * instructions beside the balancer's. Our own code: same data layout and the
 * same work per packet, nothing else of tun.
 *
 * Per packet stock tun hashes the skb, looks the hash up in a 1024-bucket
 * hlist table under RCU and, for a flow the guest has sent on (learnt by
 * tun_flow_update on the transmit path), answers the queue it learnt; for any
 * other flow it answers the multiply-shift hash queue. The hash computation
 * (__skb_get_hash_symmetric) is the same for every policy and is not modelled.
 */
/* #included by balance_driver.c after kernel_shim.h: one translation unit, so
 * the compiler may inline it into the benchmark loop as it does the core. */

#define AUTOMQ_MAX_FLOWS	4096	/* tun's MAX_TAP_FLOWS */

#define TUN_NUM_FLOW_ENTRIES	1024
#define TUN_MASK_FLOW_ENTRIES	(TUN_NUM_FLOW_ENTRIES - 1)

struct automq_flow {
	struct hlist_node hash_link;
	struct rcu_head rcu;
	u32 rxhash;
	u32 rps_rxhash;
	int queue_index;
	unsigned long updated;
};

/* Laid out as in tun_struct, whose flow table sits behind its queue array:
 * the bucket address then costs what it costs in the kernel.
 */
struct automq {
	void *tfiles[MAX_TAP_QUEUES];
	struct hlist_head flows[TUN_NUM_FLOW_ENTRIES];
	u32 flow_count;
};

static u32 automq_hashfn(u32 rxhash)
{
	return rxhash & TUN_MASK_FLOW_ENTRIES;
}

static struct automq_flow *automq_flow_find(struct hlist_head *head, u32 rxhash)
{
	struct automq_flow *e;

	hlist_for_each_entry_rcu(e, head, hash_link) {
		if (e->rxhash == rxhash)
			return e;
	}
	return NULL;
}

static void automq_save_rps_rxhash(struct automq_flow *e, u32 hash)
{
	if (unlikely(e->rps_rxhash != hash))
		e->rps_rxhash = hash;
}

/* tun_automq_select_queue, given the skb's flow hash; caller holds rcu_read_lock(). */
static u16 automq_select(struct automq *m, u32 rxhash, u32 numqueues)
{
	struct automq_flow *e;
	u32 txq;

	txq = rxhash;
	e = automq_flow_find(&m->flows[automq_hashfn(txq)], txq);
	if (e) {
		automq_save_rps_rxhash(e, txq);
		txq = e->queue_index;
	} else {
		/* multiply and shift instead of a divide */
		txq = ((u64)txq * numqueues) >> 32;
	}
	return txq;
}

static struct automq *automq_alloc(void)
{
	struct automq *m = kzalloc(sizeof(*m), GFP_KERNEL);
	int i;

	if (!m)
		return NULL;
	for (i = 0; i < TUN_NUM_FLOW_ENTRIES; i++)
		INIT_HLIST_HEAD(&m->flows[i]);
	return m;
}

/* tun_flow_update: the guest sent flow @rxhash on @queue_index. */
static bool automq_learn(struct automq *m, u32 rxhash, int queue_index)
{
	struct hlist_head *head = &m->flows[automq_hashfn(rxhash)];
	struct automq_flow *e = automq_flow_find(head, rxhash);

	if (e) {
		e->queue_index = queue_index;
		e->updated = jiffies;
		return true;
	}
	if (m->flow_count >= AUTOMQ_MAX_FLOWS)
		return false;
	e = kmalloc(sizeof(*e), GFP_ATOMIC);
	if (!e)
		return false;
	e->rxhash = rxhash;
	e->rps_rxhash = 0;
	e->queue_index = queue_index;
	e->updated = jiffies;
	hlist_add_head_rcu(&e->hash_link, head);
	m->flow_count++;
	return true;
}

static void automq_free(struct automq *m)
{
	struct automq_flow *e;
	struct hlist_node *next;
	int i;

	for (i = 0; i < TUN_NUM_FLOW_ENTRIES; i++)
		hlist_for_each_entry_safe(e, next, &m->flows[i], hash_link)
			kfree(e);
	kfree(m);
}
