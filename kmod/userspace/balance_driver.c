/* Runs the generated balancer core in user space. Built by
 * KmodBalance.Generator.UserSpace.UserSpaceBuild with the rendered core written
 * beside this file as balancer_core.c: dynamic's, or with -DKMB_ADAPTIVE
 * adaptive's (adaptive_core.c.sbn), for which the driver also plays tun's
 * rings and tun's flow table (see "adaptive" below).
 *
 *   balance_driver                 trace mode: commands on stdin, answers on stdout
 *   balance_driver stress T MS REMAP_US RESIZE_US FLOWS THRESHOLD SEED
 *                                  T steering threads (some packets as netpoll,
 *                                  some failing their allocation, some counted as
 *                                  XDP), one remapper, one thread attaching and
 *                                  detaching queues as tun does, for MS milliseconds;
 *                                  exit 1 on a queue out of range (of the numqueues
 *                                  passed, or of real_num_tx_queues), a broken table
 *                                  invariant or a wrapped counter
 *   balance_driver bench FLOWS PACKETS REMAPS QUEUES THRESHOLD
 *                                  loops to count under callgrind (client requests)
 *
 * Trace commands, one a line:
 *   z                  start again with a fresh balancer
 *   p HASH SEGS N      steer a packet of SEGS segments with N queues; prints the queue
 *                      (adaptive: followed by " d" when the ring drops it because
 *                      its flow paused there)
 *   n HASH SEGS N      the same with IRQs disabled (netpoll); prints the queue
 *   m HASH SEGS N      the same, the new entry's allocation failing; prints the queue
 *   c QUEUE SEGS       tun_balance_count(): SEGS segments steered to QUEUE elsewhere
 *                      (XDP)
 *   r N THRESHOLD      remap; prints "R more" (what it returned), then the state
 *   d INDEX LAST       detach queue INDEX, LAST moving into its place; prints the state
 *   s HASH SEGS N THRESHOLD
 *                      a straggler: a packet path CPU finds its flow, a remap runs
 *                      (printed as r), then the CPU adds SEGS to the flow's counter
 *   k N                tun_balance_snapshot() for N queues; prints "K flows migrations
 *                      periods" then "load/flows" of queues 0 .. N-1
 *   j JIFFIES          set jiffies
 *   x QUEUE K          adaptive: the guest took K packets off QUEUE's ring
 *   w QUEUE V          adaptive: QUEUE's qdisc holds packets or runs (V 1) or
 *                      is idle (V 0)
 *   g HASH QUEUE       adaptive: the guest sent flow HASH on QUEUE (automq learns it)
 *   e                  prints "." and flushes: the end of a batch
 *   q                  quit
 * The state is four lines: "T migrations flow_count periods" and the flow table
 * "hash:queue ..." by hash (65535: unplaced; adaptive: "hash:queue/next", the
 * queue its packets go to and the one it belongs to); "L" and "F" the queues whose
 * last_load and queue_flows are not 0, as "queue:value"; "U seen" the number of
 * bits set in seen, then the queues whose untracked count of the current period
 * is not 0, as "queue:segments".
 */
#define _GNU_SOURCE
#define KMB_SHIM_DEFINE_GLOBALS
#include "kernel_shim.h"

#include <errno.h>
#include <time.h>
#include <unistd.h>
#include <valgrind/callgrind.h>

#include "balancer_core.c"
#include "automq_model.c"

/* The glue's: the core calls it when a flow is admitted, to restart the
 * remap timer. Nothing to start here: the driver remaps when told to.
 */
static void tun_balance_wake(struct tun_balance *bal)
{
	(void)bal;
}

static void die(const char *what);

#ifdef KMB_ADAPTIVE
/* ---- adaptive: tun's rings and tun's flow table, as the glue reads them -- */

/* Each queue's ring as a FIFO of packet tokens: a steered packet enters its
 * queue's ring, or is dropped when the ring holds RING_SLOTS packets (as
 * tun_net_xmit() drops at a full ptr_ring), the x command takes packets off,
 * a detach moves the last queue's ring into the gap. A token is what the
 * core remembers as a moving flow's mark and tail, as the kernel remembers
 * the skb pointer. Small, so that traces fill rings and drop marks. */
#define RING_SLOTS	8

struct ring {
	pthread_mutex_t lock;
	uintptr_t *slot;
	u32 head, len, cap;
	u32 taken;	/* packets the guest took, ever */
};

static struct ring rings[MAX_TAP_QUEUES];
static uintptr_t packet_tokens;
/* per netdev queue, as a trace sets it: its qdisc may hold packets on their
 * way to the ring (every packet still enters the ring when steered) */
static bool qdisc_pending[MAX_TAP_QUEUES];

static void ring_init(void)
{
	u32 q;

	for (q = 0; q < MAX_TAP_QUEUES; q++)
		pthread_mutex_init(&rings[q].lock, NULL);
}

static void ring_push(struct ring *r, uintptr_t token)
{
	if (r->len == r->cap) {
		u32 cap = r->cap ? 2 * r->cap : 64, i;
		uintptr_t *slot = malloc(sizeof(*slot) * cap);

		if (!slot)
			die("out of memory for a ring");
		for (i = 0; i < r->len; i++)
			slot[i] = r->slot[(r->head + i) % r->cap];
		free(r->slot);
		r->slot = slot;
		r->cap = cap;
		r->head = 0;
	}
	r->slot[(r->head + r->len) % r->cap] = token;
	r->len++;
}

/* The packet @token enters @queue's ring unless the ring is full. */
static void ring_produce(u16 queue, uintptr_t token)
{
	pthread_mutex_lock(&rings[queue].lock);
	if (rings[queue].len < RING_SLOTS)
		ring_push(&rings[queue], token);
	pthread_mutex_unlock(&rings[queue].lock);
}

/* The guest takes up to @n packets off @queue's ring. */
static void ring_consume(u16 queue, u32 n)
{
	struct ring *r = &rings[queue];

	pthread_mutex_lock(&r->lock);
	if (n > r->len)
		n = r->len;
	r->head = r->cap ? (r->head + n) % r->cap : 0;
	r->len -= n;
	r->taken += n;
	pthread_mutex_unlock(&r->lock);
}

static void ring_clear(struct ring *r)
{
	free(r->slot);
	r->slot = NULL;
	r->head = r->len = r->cap = r->taken = 0;
}

/* Detach: the last queue's file, ring and all, takes the gap. Under no
 * concurrency (trace mode). */
static void ring_move(u16 index, u16 last)
{
	if (index == last)
		return;
	ring_clear(&rings[index]);
	rings[index].slot = rings[last].slot;
	rings[index].head = rings[last].head;
	rings[index].len = rings[last].len;
	rings[index].cap = rings[last].cap;
	rings[index].taken = rings[last].taken;
	rings[last].slot = NULL;
	rings[last].head = rings[last].len = rings[last].cap = 0;
	rings[last].taken = 0;
}

static bool tun_balance_queue_holds(struct tun_balance *bal, u16 queue,
				    const void *pkt)
{
	struct ring *r = &rings[queue];
	bool holds = false;
	u32 i;

	(void)bal;
	pthread_mutex_lock(&r->lock);
	for (i = 0; i < r->len && !holds; i++)
		holds = !pkt || r->slot[(r->head + i) % r->cap] == (uintptr_t)pkt;
	pthread_mutex_unlock(&r->lock);
	return holds;
}

static bool tun_balance_queue_pending(struct tun_balance *bal, u16 queue)
{
	(void)bal;
	return __atomic_load_n(&qdisc_pending[queue], __ATOMIC_RELAXED);
}

/* As the glue: a full ring pauses the flow under the ring's lock, which
 * packet_produce() holds while it reads drop_queue, and answers the newest
 * token. */
static const void *tun_balance_queue_pause(struct tun_balance *bal, u16 queue,
					   u16 *drop_queue, unsigned int *slot)
{
	struct ring *r = &rings[queue];
	const void *tail = NULL;

	pthread_mutex_lock(&r->lock);
	if (r->len >= RING_SLOTS) {
		*slot = (r->head + r->len - 1) % r->cap;
		tail = (const void *)r->slot[*slot];
		WRITE_ONCE(bal->dropping[queue], bal->dropping[queue] + 1);
		WRITE_ONCE(*drop_queue, queue);
	}
	pthread_mutex_unlock(&r->lock);
	return tail;
}

/* As the glue's consumer position: it moves whenever the guest takes one. */
static unsigned int tun_balance_queue_taken(struct tun_balance *bal, u16 queue)
{
	unsigned int taken;

	(void)bal;
	pthread_mutex_lock(&rings[queue].lock);
	taken = rings[queue].taken;
	pthread_mutex_unlock(&rings[queue].lock);
	return taken;
}

/* The slot still holds @pkt and the consumer has not taken it; a ring that
 * grew has moved its tokens (the core then walks, as after a resize). */
static bool tun_balance_queue_holds_at(struct tun_balance *bal, u16 queue,
				       const void *pkt, unsigned int slot)
{
	struct ring *r = &rings[queue];
	bool holds;

	(void)bal;
	pthread_mutex_lock(&r->lock);
	holds = slot < r->cap && (slot + r->cap - r->head) % r->cap < r->len &&
		r->slot[slot] == (uintptr_t)pkt;
	pthread_mutex_unlock(&r->lock);
	return holds;
}

/* tun_balance_produce(): the packet @token of flow @rxhash enters @queue's
 * ring unless its flow paused there (true) or the ring is full. */
static bool packet_produce(struct tun_balance *bal, u32 rxhash, u16 queue,
			   uintptr_t token)
{
	struct ring *r = &rings[queue];
	bool dropped;

	pthread_mutex_lock(&r->lock);
	dropped = READ_ONCE(bal->dropping[queue]) &&
		  tun_balance_drops(bal, rxhash, queue);
	if (!dropped && r->len < RING_SLOTS)
		ring_push(r, token);
	pthread_mutex_unlock(&r->lock);
	return dropped;
}

/* Every traced packet is its own token in the ring: none is segmented after
 * the queue is chosen (the kernel's glue says NULL for those). */
static const void *tun_balance_mark_of(void *pkt)
{
	return pkt;
}

/* automq's tun_flow_entry: the queue the guest last sent a flow on, and
 * when; at most MAX_TAP_FLOWS flows, entries age out after TUN_FLOW_EXPIRE
 * (3 s at the driver's HZ of 1000) as in tun.c. */
#define DRIVER_HZ		1000
#define TUN_FLOW_EXPIRE		(3 * DRIVER_HZ)
#define LEARNED_SLOTS		(2 * MAX_TAP_FLOWS)

static struct {
	u32 rxhash;
	int queue;
	unsigned long updated;
	bool used;
} learned[LEARNED_SLOTS];
static u32 learned_count;

static u32 learned_slot(u32 rxhash)
{
	u32 i = rxhash % LEARNED_SLOTS;

	while (learned[i].used && learned[i].rxhash != rxhash)
		i = (i + 1) % LEARNED_SLOTS;
	return i;
}

static void learn(u32 rxhash, int queue)
{
	u32 i = learned_slot(rxhash);

	if (!learned[i].used) {
		if (learned_count >= MAX_TAP_FLOWS)
			return;
		learned[i].used = true;
		learned[i].rxhash = rxhash;
		learned_count++;
	}
	learned[i].queue = queue;
	learned[i].updated = jiffies;
}

static int tun_balance_learned(struct tun_balance *bal, u32 rxhash)
{
	u32 i = learned_slot(rxhash);

	(void)bal;
	if (!learned[i].used ||
	    (long)(jiffies - (learned[i].updated + TUN_FLOW_EXPIRE)) > 0)
		return -1;
	return learned[i].queue;
}

static void adaptive_reset(void)
{
	u32 q;

	for (q = 0; q < MAX_TAP_QUEUES; q++)
		ring_clear(&rings[q]);
	memset(qdisc_pending, 0, sizeof(qdisc_pending));
	memset(learned, 0, sizeof(learned));
	learned_count = 0;
	/* a trace's clock starts at 0, as the model's */
	__atomic_store_n(&shim_jiffies, 0, __ATOMIC_RELAXED);
}

/* A packet through the core with a fresh token, which then enters the ring
 * of the queue the core chose unless its flow paused there (*@dropped) or
 * the ring is full (none while no queue is attached). Trace and stress mode;
 * the bench goes through glue_select_queue(). */
static u16 adaptive_steer(struct tun_balance *bal, u32 rxhash, u32 segs,
			  u32 numqueues, bool *dropped)
{
	uintptr_t token = __atomic_add_fetch(&packet_tokens, 1, __ATOMIC_RELAXED);
	u16 queue = tun_balance_select(bal, rxhash, segs, numqueues,
				       (void *)token);

	*dropped = numqueues && packet_produce(bal, rxhash, queue, token);
	return queue;
}
#endif

static void die(const char *what)
{
	fprintf(stderr, "balance_driver: %s\n", what);
	exit(2);
}

static struct tun_balance *balancer_alloc(void)
{
	struct tun_balance *bal = kzalloc(sizeof(*bal), GFP_KERNEL);

	if (!bal)
		die("out of memory for the balancer");
	tun_balance_init(bal);
	return bal;
}

/* What the glue does when balancing is turned off: no reader and no remapper
 * remains (rcu_reclaim() waits for the readers), then the flows go. */
static void balancer_free(struct tun_balance *bal)
{
	rcu_reclaim();
	tun_balance_flush(bal);
	kfree(bal);
}

/* ---- table checks shared by trace and stress mode ----------------------- */

/* Under bal->lock: flow_count and queue_flows[] agree with the table. */
static const char *tun_balance_check(struct tun_balance *bal, u32 *wrapped)
{
	static u32 on_queue[MAX_TAP_QUEUES];
	struct tun_balance_flow *f;
	u32 i, count = 0;
#ifdef KMB_ADAPTIVE
	static u32 dropping[MAX_TAP_QUEUES];
#endif

	memset(on_queue, 0, sizeof(on_queue));
#ifdef KMB_ADAPTIVE
	memset(dropping, 0, sizeof(dropping));
#endif
	*wrapped = 0;
	for (i = 0; i < TUN_BALANCE_BUCKETS; i++) {
		hlist_for_each_entry_rcu(f, &bal->flows[i], hash_link) {
#ifdef KMB_ADAPTIVE
			/* queue_flows[] counts where a flow belongs */
			u16 queue = READ_ONCE(f->next_queue);

			if (f->drop_queue != TUN_BALANCE_NO_DROP) {
				if (f->drop_queue >= MAX_TAP_QUEUES)
					return "drop_queue >= MAX_TAP_QUEUES";
				dropping[f->drop_queue]++;
				/* the fast path would send it where it drops */
				if (f->drop_queue == f->queue_index &&
				    f->queue_index == f->next_queue)
					return "a flow drops at the queue it stays on";
			}
#else
			u16 queue = READ_ONCE(f->queue_index);
#endif

			if ((f->rxhash & (TUN_BALANCE_BUCKETS - 1)) != i)
				return "flow in the wrong bucket";
			if (queue != TUN_BALANCE_UNPLACED) {
				if (queue >= MAX_TAP_QUEUES)
					return "flow on a queue >= MAX_TAP_QUEUES";
				on_queue[queue]++;
			}
			count++;
			/* more than 2^31 segments in one period: a counter went wrong */
			if ((u32)atomic_read(&f->packets) >= 0x80000000u)
				(*wrapped)++;
		}
	}
	if (count != bal->flow_count)
		return "flow_count differs from the flows in the table";
	if (count > MAX_TAP_FLOWS)
		return "more flows than MAX_TAP_FLOWS";
#ifdef KMB_ADAPTIVE
	if (memcmp(dropping, bal->dropping, sizeof(dropping)))
		return "dropping[] differs from the flows that drop";
#endif
	for (i = 0; i < MAX_TAP_QUEUES; i++)
		if (on_queue[i] != bal->queue_flows[i])
			return "queue_flows[] differs from the flows in the table";
	return NULL;
}

/* ---- the glue, as the kernel's select path calls the core -------------- */

/* Each policy sits behind one out-of-line call per packet, as behind tun's
 * ndo_select_queue: the compiler may inline the policy into its wrapper, never
 * the wrapper into the loop (noipa), so every policy pays the same call. */
#define bench_policy __attribute__((noipa))

static u32 bench_numqueues = 8;
/* dev->real_num_tx_queues: hash steers and the flow-table policies place
 * within the smaller of it and numqueues (tun_steerable_queues() in
 * steerable_queues.c.sbn), stock does not. The bench sets it to its queue
 * count and stress mode moves it as tun_attach() and __tun_detach() do;
 * trace mode leaves it alone, so the numqueues a command passes decides. */
static u32 real_num_tx_queues = MAX_TAP_QUEUES;

static inline u32 steerable_queues(u32 numqueues)
{
	u32 real = READ_ONCE(real_num_tx_queues);

	return numqueues < real ? numqueues : real;
}

/* The glue's: where the core may place a flow, of numqueues attached. */
static u32 tun_balance_steerable(struct tun_balance *bal, u32 numqueues)
{
	(void)bal;
	return steerable_queues(numqueues);
}

/* What the glue reads of the skb beyond its hash: skb_shinfo(skb)->gso_segs
 * and gso_size, at skb->head + skb->end (the layout of 64-bit kernels, where
 * end is an offset), and skb->len when a GSO skb has no count yet. Every
 * loop passes the same skb, so only dynamic's reads count.
 */
struct bench_skb {
	unsigned char *head;
	unsigned int end;
	unsigned int len;
};

struct bench_shinfo {
	u8 flags, meta_len, nr_frags, tx_flags;
	unsigned short gso_size, gso_segs;
};

/* tun_balance_segs() of balancer_glue.c.sbn: gso_segs, else estimated from
 * the length of a GSO skb, else 1 */
static inline u32 bench_segs(const struct bench_skb *skb)
{
	const struct bench_shinfo *sh = (const void *)(skb->head + skb->end);

	if (!sh->gso_size)	/* !skb_is_gso(skb) */
		return 1;
	if (sh->gso_segs)
		return sh->gso_segs;
	return (skb->len + sh->gso_size - 1) / sh->gso_size;
}

/* The balancer hangs off tun_struct by an RCU pointer (tun->balance) that
 * select_queue loads and tests before it calls tun_balance_select_queue() of
 * balancer_glue.c.sbn, which reads the segments and tun->numqueues (the
 * bench's loop reads it once for every policy): all of it is counted. Without
 * a balancer the device would be stock.
 */
struct bench_tun {
	struct tun_balance *balance;
	struct automq *automq;
};

static bench_policy u16 glue_select_queue(struct bench_tun *tun,
					     const struct bench_skb *skb,
					     u32 rxhash, u32 numqueues)
{
	struct tun_balance *bal = rcu_dereference(tun->balance);

	if (unlikely(!bal))
		return automq_select(tun->automq, rxhash, numqueues);
#ifdef KMB_ADAPTIVE
	/* the skb is only remembered as a moving flow's mark, never written:
	 * the kernel's is not const, this one is shared by every loop */
	return tun_balance_select(bal, rxhash, bench_segs(skb), numqueues,
				  (void *)skb);
#else
	return tun_balance_select(bal, rxhash, bench_segs(skb), numqueues);
#endif
}

/* One packet of SEGS segments through the glue: trace and stress mode take
 * the path the bench measures, and the core's select has one caller, as in
 * tun.c (where the compiler inlines it). */
static u16 steer(struct tun_balance *bal, u32 rxhash, u32 segs, u32 numqueues)
{
	/* a GSO skb of SEGS segments, or a plain one */
	struct bench_shinfo shinfo = {
		.gso_size = segs > 1 ? 1448 : 0,
		.gso_segs = segs > 1 ? (unsigned short)segs : 0,
	};
	struct bench_skb skb = { (unsigned char *)&shinfo, 0, 0 };
	struct bench_tun tun = { bal, NULL };

	return glue_select_queue(&tun, &skb, rxhash, numqueues);
}

/* ---- trace mode --------------------------------------------------------- */

struct flow_row {
	u32 rxhash;
	u16 queue;
	u16 next;	/* adaptive */
};

static int flow_row_cmp(const void *a, const void *b)
{
	const struct flow_row *ra = a, *rb = b;

	return ra->rxhash < rb->rxhash ? -1 : ra->rxhash > rb->rxhash;
}

static void print_sparse(const char *tag, const u32 *v)
{
	u32 q;

	printf("%s", tag);
	for (q = 0; q < MAX_TAP_QUEUES; q++)
		if (v[q])
			printf(" %u:%u", q, v[q]);
	printf("\n");
}

static void print_state(struct tun_balance *bal)
{
	static struct flow_row rows[MAX_TAP_FLOWS];
	static u32 untracked[MAX_TAP_QUEUES];
	struct tun_balance_flow *f;
	u32 i, nr = 0, wrapped, seen = 0;
	const char *broken = tun_balance_check(bal, &wrapped);

	if (broken) {
		printf("E %s\n", broken);
		return;
	}
	for (i = 0; i < TUN_BALANCE_BUCKETS; i++)
		hlist_for_each_entry_rcu(f, &bal->flows[i], hash_link) {
			rows[nr].rxhash = f->rxhash;
			rows[nr].queue = f->queue_index;
#ifdef KMB_ADAPTIVE
			rows[nr].next = f->next_queue;
#endif
			nr++;
		}
	qsort(rows, nr, sizeof(rows[0]), flow_row_cmp);
	printf("T %u %u %u", bal->migrations, bal->flow_count, bal->periods);
	for (i = 0; i < nr; i++) {
		printf(" %u:%u", rows[i].rxhash, rows[i].queue);
#ifdef KMB_ADAPTIVE
		printf("/%u", rows[i].next);
#endif
	}
	printf("\n");
	print_sparse("L", bal->last_load);
	print_sparse("F", bal->queue_flows);
	for (i = 0; i < TUN_BALANCE_SEEN_BITS; i++)
		seen += test_bit(i, bal->seen);
	printf("U %u", seen);
	for (i = 0; i < MAX_TAP_QUEUES; i++)
		untracked[i] = (u32)atomic_read(&bal->untracked[i]);
	print_sparse("", untracked);
}

static void remap(struct tun_balance *bal, u32 numqueues, u32 threshold)
{
	bool more = tun_balance_remap(bal, numqueues, threshold);

	rcu_reclaim();	/* no reader runs: ASan sees a use after free at once */
	printf("R %d\n", more);
	print_state(bal);
}

/* A packet path CPU that found its flow, was held up while the remapper ran,
 * then added its segments: they belong to the new period, as the remapper
 * took the old count with atomic_xchg().
 */
static void straggle(struct tun_balance *bal, u32 rxhash, u32 segs,
		     u32 numqueues, u32 threshold)
{
	struct tun_balance_flow *f;

	rcu_read_lock();
	f = tun_balance_flow_find(tun_balance_bucket(bal, rxhash), rxhash);
	if (f && READ_ONCE(f->queue_index) >= numqueues)
		f = NULL;
	/* the remapper frees f only after a grace period: this CPU is still
	 * inside its read section, so the entry stays valid */
	tun_balance_remap(bal, numqueues, threshold);
	if (f)
		atomic_add(segs, &f->packets);
	rcu_read_unlock();
	rcu_reclaim();
	printf("R %d\n", bal->flow_count != 0);
	print_state(bal);
}

static void snapshot(struct tun_balance *bal, u32 numqueues)
{
	static struct tun_balance_stats st;
	u32 q;

	memset(&st, 0xa5, sizeof(st));	/* what is not copied shows */
	tun_balance_snapshot(bal, numqueues, &st);
	printf("K %u %u %u", st.flows, st.migrations, st.periods);
#ifdef KMB_ADAPTIVE
	printf(" %u %u", st.pauses, st.pause_drops);
#endif
	for (q = 0; q < numqueues; q++)
		printf(" %u/%u", st.load[q], st.queue_flows[q]);
	printf("\n");
}

static u32 parse_queues(unsigned long n)
{
	if (n > MAX_TAP_QUEUES)
		die("more queues than MAX_TAP_QUEUES");
	return (u32)n;
}

static int trace_mode(void)
{
	struct tun_balance *bal = balancer_alloc();
	char line[256];
	unsigned long a, b, c, d;

#ifdef KMB_ADAPTIVE
	ring_init();
#endif
	while (fgets(line, sizeof(line), stdin)) {
		switch (line[0]) {
		case 'z':
			balancer_free(bal);
			bal = balancer_alloc();
#ifdef KMB_ADAPTIVE
			adaptive_reset();
#endif
			break;
		case 'p':
		case 'n':
		case 'm': {
			bool dropped = false;
			u16 queue;

			if (sscanf(line + 1, "%lu %lu %lu", &a, &b, &c) != 3)
				die("bad packet line");
			shim_irqs_off = line[0] == 'n';
			shim_kmalloc_failures = line[0] == 'm';
			rcu_read_lock();
#ifdef KMB_ADAPTIVE
			queue = adaptive_steer(bal, (u32)a, (u32)b, parse_queues(c),
					       &dropped);
#else
			queue = steer(bal, (u32)a, (u32)b, parse_queues(c));
#endif
			rcu_read_unlock();
			printf(dropped ? "%u d\n" : "%u\n", queue);
			shim_irqs_off = false;
			shim_kmalloc_failures = 0;
			break;
		}
		case 'c':
			if (sscanf(line + 1, "%lu %lu", &a, &b) != 2 || a >= MAX_TAP_QUEUES)
				die("bad c line");
			tun_balance_count(bal, (u16)a, (u32)b);
#ifdef KMB_ADAPTIVE
			/* XDP frames enter the ring too */
			for (c = 0; c < b; c++)
				ring_produce((u16)a, __atomic_add_fetch(&packet_tokens, 1, __ATOMIC_RELAXED));
#endif
			break;
#ifdef KMB_ADAPTIVE
		case 'x':
			if (sscanf(line + 1, "%lu %lu", &a, &b) != 2 || a >= MAX_TAP_QUEUES)
				die("bad x line");
			ring_consume((u16)a, (u32)b);
			break;
		case 'w':
			if (sscanf(line + 1, "%lu %lu", &a, &b) != 2 || a >= MAX_TAP_QUEUES)
				die("bad w line");
			qdisc_pending[a] = b != 0;
			break;
		case 'g':
			if (sscanf(line + 1, "%lu %lu", &a, &b) != 2 || b >= MAX_TAP_QUEUES)
				die("bad g line");
			learn((u32)a, (int)b);
			break;
#endif
		case 'r':
			if (sscanf(line + 1, "%lu %lu", &a, &b) != 2)
				die("bad r line");
			remap(bal, parse_queues(a), (u32)b);
			break;
		case 'd':
			if (sscanf(line + 1, "%lu %lu", &a, &b) != 2 ||
			    a >= MAX_TAP_QUEUES || b >= MAX_TAP_QUEUES)
				die("bad d line");
			tun_balance_detach(bal, (u16)a, (u16)b);
#ifdef KMB_ADAPTIVE
			/* tun moves the last queue's file, ring and all, into the gap */
			ring_move((u16)a, (u16)b);
#endif
			print_state(bal);
			break;
		case 's':
			if (sscanf(line + 1, "%lu %lu %lu %lu", &a, &b, &c, &d) != 4)
				die("bad s line");
			straggle(bal, (u32)a, (u32)b, parse_queues(c), (u32)d);
			break;
		case 'k':
			if (sscanf(line + 1, "%lu", &a) != 1)
				die("bad k line");
			snapshot(bal, parse_queues(a));
			break;
		case 'j':
			if (sscanf(line + 1, "%lu", &a) != 1)
				die("bad j line");
			__atomic_store_n(&shim_jiffies, a, __ATOMIC_RELAXED);
			break;
		case 'e':
			printf(".\n");
			fflush(stdout);
			break;
		case 'q':
			balancer_free(bal);
			return 0;
		case '\n':
		case '#':
			break;
		default:
			die("unknown command");
		}
	}
	balancer_free(bal);
	return 0;
}

/* ---- stress mode -------------------------------------------------------- */

struct stress {
	struct tun_balance *bal;
	u32 numqueues;		/* what tun->numqueues would be */
	u32 max_numqueues;	/* the largest value numqueues ever had */
	int stop;
	int remap_slot;		/* the remapper's RCU slot, after the steerers' */
	u32 flows, threshold;
	unsigned int remap_us, resize_us;
	unsigned long seed;
	int failed;
	unsigned long remaps, resizes, detaches, freed, wrapped;
};

struct steerer {
	struct stress *s;
	int slot;
	unsigned long packets, netpoll, nomem, xdp;
	pthread_t thread;
};

static u64 xorshift(u64 *x)
{
	*x ^= *x << 13;
	*x ^= *x >> 7;
	*x ^= *x << 17;
	return *x;
}

static void stress_fail(struct stress *s, const char *what, unsigned long a,
			unsigned long b)
{
	fprintf(stderr, "balance_driver: %s (%lu, %lu)\n", what, a, b);
	__atomic_store_n(&s->failed, 1, __ATOMIC_RELAXED);
	__atomic_store_n(&s->stop, 1, __ATOMIC_RELAXED);
}

static void *steer_thread(void *arg)
{
	struct steerer *t = arg;
	struct stress *s = t->s;
	u64 x = s->seed * 0x9E3779B97F4A7C15ull + (u64)t->slot * 7919 + 1;

	rcu_register_thread(t->slot);
	while (!__atomic_load_n(&s->stop, __ATOMIC_RELAXED)) {
		u64 r = xorshift(&x);
		/* spread flow ids over the hash space, many sharing buckets */
		u32 rxhash = (u32)((r % s->flows) * 2654435761u);
		u32 segs = 1 + (u32)((r >> 40) % 64);
		u32 kind = (u32)(r >> 56);
		u32 n, max;
#ifdef KMB_ADAPTIVE
		bool dropped;
#endif
		u16 queue;

		/* tun_select_queue() reads numqueues inside the read section
		 * that __tun_detach()'s synchronize_net() waits for */
		rcu_read_lock();
		n = READ_ONCE(s->numqueues);
		max = __atomic_load_n(&s->max_numqueues, __ATOMIC_ACQUIRE);
		if (kind < 8 && n) {
			/* an XDP frame steered by tun itself */
			tun_balance_count(s->bal, (u16)(rxhash % n), segs);
			rcu_read_unlock();
			t->xdp++;
			continue;
		}
		shim_irqs_off = kind >= 8 && kind < 12;
		shim_kmalloc_failures = kind >= 12 && kind < 16;
#ifdef KMB_ADAPTIVE
		queue = adaptive_steer(s->bal, rxhash, segs, n, &dropped);
#else
		queue = steer(s->bal, rxhash, segs, n);
#endif
		t->netpoll += shim_irqs_off;
		t->nomem += kind >= 12 && kind < 16;
		shim_irqs_off = false;
		shim_kmalloc_failures = 0;
		/* netdev_cap_txqueue(), in the same read section: a queue the
		 * core does not have is warned about and replaced by 0 */
		if (queue >= READ_ONCE(real_num_tx_queues))
			stress_fail(s, "queue >= real_num_tx_queues", queue,
				    READ_ONCE(real_num_tx_queues));
		rcu_read_unlock();
		if (n == 0 ? queue != 0 : queue >= n)
			stress_fail(s, "queue out of range for the numqueues passed", queue, n);
		if (queue >= max && !(max == 0 && queue == 0))
			stress_fail(s, "queue >= the largest numqueues ever set", queue, max);
		t->packets++;
	}
	return NULL;
}

static void *remap_thread(void *arg)
{
	struct stress *s = arg;

	rcu_register_thread(s->remap_slot);
	while (!__atomic_load_n(&s->stop, __ATOMIC_RELAXED)) {
		const char *broken;
		u32 wrapped;
		bool more;

		usleep(s->remap_us);
#ifdef KMB_ADAPTIVE
		/* the guest empties the rings now and then: moves complete */
		if (s->remaps % 2) {
			u32 q;

			for (q = 0; q < MAX_TAP_QUEUES; q++)
				ring_consume((u16)q, UINT32_MAX);
		}
#endif
		/* the timer reads the steerable queues in softirq context,
		 * which synchronize_net() waits for */
		rcu_read_lock();
		more = tun_balance_remap(s->bal, steerable_queues(READ_ONCE(s->numqueues)),
					 s->threshold);
		rcu_read_unlock();
		spin_lock_bh(&s->bal->lock);
		broken = tun_balance_check(s->bal, &wrapped);
		/* flows may be admitted since, but only the remapper drops them */
		if (!broken && more && !s->bal->flow_count)
			broken = "remap said a flow is left, and none is";
		spin_unlock_bh(&s->bal->lock);
		if (broken)
			stress_fail(s, broken, 0, 0);
		/* no counter may be more than a period's segments can reach */
		if (wrapped)
			stress_fail(s, "flow packet counters wrapped below zero", wrapped, 0);
		s->wrapped += wrapped;
		s->remaps++;
		s->freed += rcu_reclaim();
	}
	return NULL;
}

/* __tun_detach() of the last queue @n - 1 or of one below it: the last moves
 * into the gap, numqueues drops, synchronize_net() waits for the packet paths
 * and the remapper, the balancer hears of it, and only then does the core's
 * queue count follow (never below 1, as netif_set_real_num_tx_queues()). */
static void stress_detach(struct stress *s, u32 n, u16 index)
{
	WRITE_ONCE(s->numqueues, n - 1);
	synchronize_rcu();
	tun_balance_detach(s->bal, index, (u16)(n - 1));
	if (n > 1)
		WRITE_ONCE(real_num_tx_queues, n - 1);
	s->detaches++;
}

/* tun_attach(): numqueues first, the core's queue count after it. */
static void stress_attach(struct stress *s, u32 n)
{
	if (n + 1 > __atomic_load_n(&s->max_numqueues, __ATOMIC_RELAXED))
		__atomic_store_n(&s->max_numqueues, n + 1, __ATOMIC_RELEASE);
	WRITE_ONCE(s->numqueues, n + 1);
	sched_yield();	/* packets steer in between */
	WRITE_ONCE(real_num_tx_queues, n + 1);
	s->resizes++;
}

/* Queues attach and detach one at a time, as tun's do (a guest changing its
 * queue count, QEMU closing the device); now and then every queue goes. */
static void *resize_thread(void *arg)
{
	struct stress *s = arg;
	u64 x = s->seed + 12345;

	while (!__atomic_load_n(&s->stop, __ATOMIC_RELAXED)) {
		u64 r = xorshift(&x);
		u32 n = READ_ONCE(s->numqueues);

		usleep(s->resize_us);
		if (r % 64 == 0) {
			for (; n > 0; n--)
				stress_detach(s, n, (u16)((r >> 8) % n));
		} else if (n > 0 && (r % 2 || n == 16)) {
			stress_detach(s, n, (u16)((r >> 8) % n));
		} else {
			stress_attach(s, n);
		}
	}
	return NULL;
}

static int stress_mode(int argc, char **argv)
{
	struct stress s = { 0 };
	struct steerer *t;
	pthread_t remapper, resizer;
	unsigned long packets = 0, netpoll = 0, nomem = 0, xdp = 0;
	int threads, millis, i;

	if (argc != 9)
		die("usage: stress THREADS MILLIS REMAP_US RESIZE_US FLOWS THRESHOLD SEED");
	threads = atoi(argv[2]);
	millis = atoi(argv[3]);
	s.remap_us = (unsigned int)atoi(argv[4]);
	s.resize_us = (unsigned int)atoi(argv[5]);
	s.flows = (u32)strtoul(argv[6], NULL, 10);
	s.threshold = (u32)strtoul(argv[7], NULL, 10);
	s.seed = strtoul(argv[8], NULL, 10);
	if (threads < 1 || threads >= SHIM_RCU_MAX_THREADS - 1 || millis < 1 || !s.flows)
		die("stress: bad arguments");
	s.remap_slot = threads;
	s.numqueues = s.max_numqueues = 4;
	real_num_tx_queues = 4;
	s.bal = balancer_alloc();
#ifdef KMB_ADAPTIVE
	ring_init();
#endif

	t = calloc((size_t)threads, sizeof(*t));
	for (i = 0; i < threads; i++) {
		t[i].s = &s;
		t[i].slot = i;
		pthread_create(&t[i].thread, NULL, steer_thread, &t[i]);
	}
	pthread_create(&remapper, NULL, remap_thread, &s);
	pthread_create(&resizer, NULL, resize_thread, &s);
	usleep((useconds_t)millis * 1000);
	__atomic_store_n(&s.stop, 1, __ATOMIC_RELAXED);
	for (i = 0; i < threads; i++) {
		pthread_join(t[i].thread, NULL);
		packets += t[i].packets;
		netpoll += t[i].netpoll;
		nomem += t[i].nomem;
		xdp += t[i].xdp;
	}
	pthread_join(remapper, NULL);
	pthread_join(resizer, NULL);

	s.freed += rcu_reclaim();
	balancer_free(s.bal);
	free(t);
	printf("packets %lu netpoll %lu nomem %lu xdp %lu remaps %lu resizes %lu detaches %lu freed %lu wrapped_counters %lu failed %d\n",
	       packets, netpoll, nomem, xdp, s.remaps, s.resizes, s.detaches, s.freed, s.wrapped, s.failed);
	return s.failed ? 1 : 0;
}

/* ---- bench mode ---------------------------------------------------------- */

static bench_policy u16 bench_policy_null(const struct bench_skb *skb,
					  u32 rxhash, u32 numqueues)
{
	(void)skb;
	(void)rxhash;
	(void)numqueues;
	return 0;
}

static bench_policy u16 bench_policy_stock(struct automq *m, const struct bench_skb *skb,
					   u32 rxhash, u32 numqueues)
{
	(void)skb;
	return automq_select(m, rxhash, numqueues);
}

static bench_policy u16 bench_policy_hash(const struct bench_skb *skb, u32 rxhash,
					  u32 numqueues)
{
	(void)skb;
	return tun_balance_hash_queue(rxhash, steerable_queues(numqueues));
}

/* The loop, the call and the return alone: subtracted from the others. */
static noinline u32 bench_select_null(const struct bench_skb *skb,
				      const u32 *hashes, size_t packets)
{
	u32 acc = 0;
	size_t i;

	for (i = 0; i < packets; i++)
		acc += bench_policy_null(skb, hashes[i], READ_ONCE(bench_numqueues));
	return acc;
}

static noinline u32 bench_select_stock(struct automq *m, const struct bench_skb *skb,
				       const u32 *hashes, size_t packets)
{
	u32 acc = 0;
	size_t i;

	for (i = 0; i < packets; i++)
		acc += bench_policy_stock(m, skb, hashes[i], READ_ONCE(bench_numqueues));
	return acc;
}

static noinline u32 bench_select_hash(const struct bench_skb *skb,
				      const u32 *hashes, size_t packets)
{
	u32 acc = 0;
	size_t i;

	for (i = 0; i < packets; i++)
		acc += bench_policy_hash(skb, hashes[i], READ_ONCE(bench_numqueues));
	return acc;
}

static noinline u32 bench_select_dynamic(struct bench_tun *tun,
					 const struct bench_skb *skb,
					 const u32 *hashes, size_t packets)
{
	u32 acc = 0;
	size_t i;

	for (i = 0; i < packets; i++)
		acc += glue_select_queue(tun, skb, hashes[i],
					    READ_ONCE(bench_numqueues));
	return acc;
}

static noinline void bench_remap_once(struct tun_balance *bal, u32 threshold)
{
	tun_balance_remap(bal, READ_ONCE(bench_numqueues), threshold);
}

#define BENCH_MEASURE(name, stmt)					\
	do {								\
		CALLGRIND_TOGGLE_COLLECT;				\
		stmt;							\
		CALLGRIND_TOGGLE_COLLECT;				\
		CALLGRIND_DUMP_STATS_AT(name);				\
	} while (0)

static int bench_mode(int argc, char **argv)
{
	static struct {
		struct bench_shinfo shinfo;	/* at head + end */
	} skb_data;
	struct bench_skb skb = { (unsigned char *)&skb_data, 0, 0 };
	u32 flows, threshold, *ids, *hashes, sink = 0;
	size_t packets, i;
	unsigned int remaps, r, k;
	struct tun_balance *bal;
	struct bench_tun tun;
	struct automq *m;
	u64 x = 88172645463325252ull;

	if (argc != 7)
		die("usage: bench FLOWS PACKETS REMAPS QUEUES THRESHOLD");
	flows = (u32)strtoul(argv[2], NULL, 10);
	packets = strtoul(argv[3], NULL, 10);
	remaps = (unsigned int)strtoul(argv[4], NULL, 10);
	bench_numqueues = (u32)strtoul(argv[5], NULL, 10);
	real_num_tx_queues = bench_numqueues;
	threshold = (u32)strtoul(argv[6], NULL, 10);
	if (!flows || !packets || !bench_numqueues || bench_numqueues > MAX_TAP_QUEUES)
		die("bench: bad arguments");

	/* distinct flow hashes, and a packet stream drawing flows at random */
	ids = malloc(sizeof(*ids) * flows);
	hashes = malloc(sizeof(*hashes) * packets);
	if (!ids || !hashes)
		die("out of memory");
	for (i = 0; i < flows; i++)
		ids[i] = (u32)i * 2654435761u + 0x5bd1e995u;
	for (i = 0; i < packets; i++)
		hashes[i] = ids[xorshift(&x) % flows];

	/* stock: the guest has sent on every flow it can remember */
	m = automq_alloc();
	for (i = 0; i < flows; i++)
		automq_learn(m, ids[i], (int)(xorshift(&x) % bench_numqueues));
	/* dynamic: every flow has sent two packets in this period, so it was
	 * admitted (beyond MAX_TAP_FLOWS flows: untracked) */
	bal = balancer_alloc();
	for (k = 0; k < 2; k++)
		for (i = 0; i < flows; i++)
			sink += steer(bal, ids[i], 1, bench_numqueues);
	printf("dynamic tracks %u of %u flows\n", bal->flow_count, flows);
	tun.balance = bal;
	tun.automq = m;

	rcu_read_lock();
	BENCH_MEASURE("select null", sink += bench_select_null(&skb, hashes, packets));
	BENCH_MEASURE("select stock", sink += bench_select_stock(m, &skb, hashes, packets));
	BENCH_MEASURE("select hash", sink += bench_select_hash(&skb, hashes, packets));
	BENCH_MEASURE("select dynamic", sink += bench_select_dynamic(&tun, &skb, hashes, packets));
	rcu_read_unlock();

	/* remapper: each period every tracked flow (the first ones steered) sends
	 * 1..8 packets, so queue loads differ and flows move */
	for (r = 0; r < remaps; r++) {
		for (i = 0; i < flows && i < MAX_TAP_FLOWS; i++) {
			u32 burst = 1 + (u32)((i * 7 + r) % 8);

			for (k = 0; k < burst; k++)
				sink += steer(bal, ids[i], 1, bench_numqueues);
		}
		BENCH_MEASURE("remap", bench_remap_once(bal, threshold));
		rcu_reclaim();
	}
	printf("migrations %u flow_count %u sink %u\n", bal->migrations, bal->flow_count, sink);

	balancer_free(bal);
	automq_free(m);
	free(hashes);
	free(ids);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc >= 2 && !strcmp(argv[1], "stress"))
		return stress_mode(argc, argv);
	if (argc >= 2 && !strcmp(argv[1], "bench"))
		return bench_mode(argc, argv);
	if (argc != 1)
		die("usage: balance_driver [stress ... | bench ...]");
	return trace_mode();
}
