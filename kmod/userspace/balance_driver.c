/* Runs the generated balancer core in user space. Built by
 * KmodBalance.Generator.UserSpace.UserSpaceBuild with the rendered core written
 * beside this file as balancer_core.c.
 *
 *   balance_driver                 trace mode: commands on stdin, answers on stdout
 *   balance_driver stress T MS REMAP_US RESIZE_US FLOWS THRESHOLD SEED
 *                                  T steering threads, one remapper, one queue-count
 *                                  changer for MS milliseconds; exit 1 on a queue out
 *                                  of range, a broken table invariant or a wrapped
 *                                  packet counter
 *   balance_driver bench FLOWS PACKETS REMAPS QUEUES THRESHOLD
 *                                  loops to count under callgrind (client requests)
 *
 * Trace commands, one a line:
 *   z                  start again with a fresh balancer
 *   p HASH LEN N       steer a packet with N queues; prints the queue
 *   r N THRESHOLD      remap; prints "R migrations flow_count" then the flow table
 *                      "hash:queue ..." by hash, "L" last_load[0..N) and "F" the
 *                      queues with flows as "queue:flows"
 *   j JIFFIES          set jiffies
 *   e                  prints "." and flushes: the end of a batch
 *   q                  quit
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

static void die(const char *what)
{
	fprintf(stderr, "balance_driver: %s\n", what);
	exit(2);
}

/* ---- table checks shared by trace and stress mode ----------------------- */

/* Under bal->lock: flow_count and queue_flows[] agree with the table. */
static const char *tun_balance_check(struct tun_balance *bal, u32 *wrapped)
{
	static u32 on_queue[MAX_TAP_QUEUES];
	struct tun_balance_flow *f;
	u32 i, count = 0;

	memset(on_queue, 0, sizeof(on_queue));
	*wrapped = 0;
	for (i = 0; i < TUN_BALANCE_BUCKETS; i++) {
		hlist_for_each_entry_rcu(f, &bal->flows[i], hash_link) {
			if ((f->rxhash & (TUN_BALANCE_BUCKETS - 1)) != i)
				return "flow in the wrong bucket";
			if (f->queue_index >= MAX_TAP_QUEUES)
				return "flow on a queue >= MAX_TAP_QUEUES";
			on_queue[f->queue_index]++;
			count++;
			/* more packets than 2^31 in one period: the counter went below zero */
			if (READ_ONCE(f->packets) >= 0x80000000u)
				(*wrapped)++;
		}
	}
	if (count != bal->flow_count)
		return "flow_count differs from the flows in the table";
	if (count > TUN_BALANCE_MAX_FLOWS)
		return "more flows than TUN_BALANCE_MAX_FLOWS";
	for (i = 0; i < MAX_TAP_QUEUES; i++)
		if (on_queue[i] != bal->queue_flows[i])
			return "queue_flows[] differs from the flows in the table";
	return NULL;
}

/* ---- trace mode --------------------------------------------------------- */

struct flow_row {
	u32 rxhash;
	u16 queue;
};

static int flow_row_cmp(const void *a, const void *b)
{
	const struct flow_row *ra = a, *rb = b;

	return ra->rxhash < rb->rxhash ? -1 : ra->rxhash > rb->rxhash;
}

static void print_table(struct tun_balance *bal, u32 numqueues)
{
	static struct flow_row rows[TUN_BALANCE_MAX_FLOWS];
	struct tun_balance_flow *f;
	u32 i, nr = 0, wrapped;
	const char *broken = tun_balance_check(bal, &wrapped);

	if (broken) {
		printf("E %s\n", broken);
		return;
	}
	for (i = 0; i < TUN_BALANCE_BUCKETS; i++)
		hlist_for_each_entry_rcu(f, &bal->flows[i], hash_link) {
			rows[nr].rxhash = f->rxhash;
			rows[nr].queue = f->queue_index;
			nr++;
		}
	qsort(rows, nr, sizeof(rows[0]), flow_row_cmp);
	printf("R %u %u", bal->migrations, bal->flow_count);
	for (i = 0; i < nr; i++)
		printf(" %u:%u", rows[i].rxhash, rows[i].queue);
	printf("\nL");
	for (i = 0; i < numqueues && i < MAX_TAP_QUEUES; i++)
		printf(" %u", bal->last_load[i]);
	printf("\nF");
	for (i = 0; i < MAX_TAP_QUEUES; i++)
		if (bal->queue_flows[i])
			printf(" %u:%u", i, bal->queue_flows[i]);
	printf("\n");
}

static struct tun_balance *fresh_balancer(struct tun_balance *old)
{
	struct tun_balance *bal;

	if (old)
		tun_balance_free(old);
	rcu_reclaim();
	bal = tun_balance_alloc();
	if (!bal)
		die("tun_balance_alloc failed");
	return bal;
}

static int trace_mode(void)
{
	struct tun_balance *bal = fresh_balancer(NULL);
	char line[256];
	unsigned long a, b, c;

	while (fgets(line, sizeof(line), stdin)) {
		switch (line[0]) {
		case 'z':
			bal = fresh_balancer(bal);
			break;
		case 'p':
			if (sscanf(line + 1, "%lu %lu %lu", &a, &b, &c) != 3 || c > MAX_TAP_QUEUES)
				die("bad p line");
			rcu_read_lock();
			printf("%u\n", tun_balance_select(bal, (u32)a, (unsigned int)b, (u32)c));
			rcu_read_unlock();
			break;
		case 'r':
			if (sscanf(line + 1, "%lu %lu", &a, &b) != 2 || a > MAX_TAP_QUEUES)
				die("bad r line");
			tun_balance_remap(bal, (u32)a, (u32)b);
			rcu_reclaim();	/* no reader runs: ASan sees a use after free at once */
			print_table(bal, (u32)a);
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
			tun_balance_free(bal);
			rcu_reclaim();
			return 0;
		case '\n':
		case '#':
			break;
		default:
			die("unknown command");
		}
	}
	tun_balance_free(bal);
	rcu_reclaim();
	return 0;
}

/* ---- stress mode -------------------------------------------------------- */

struct stress {
	struct tun_balance *bal;
	u32 numqueues;		/* what tun->numqueues would be */
	u32 max_numqueues;	/* the largest value numqueues ever had */
	int stop;
	u32 flows, threshold;
	unsigned int remap_us, resize_us;
	unsigned long seed;
	int failed;
	unsigned long remaps, resizes, freed, wrapped;
};

struct steerer {
	struct stress *s;
	int slot;
	unsigned long packets;
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
		u32 n = READ_ONCE(s->numqueues);
		u32 max = __atomic_load_n(&s->max_numqueues, __ATOMIC_ACQUIRE);
		u16 queue;

		rcu_read_lock();
		queue = tun_balance_select(s->bal, rxhash, (unsigned int)(r >> 48), n);
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

	while (!__atomic_load_n(&s->stop, __ATOMIC_RELAXED)) {
		const char *broken;
		u32 wrapped;

		usleep(s->remap_us);
		tun_balance_remap(s->bal, READ_ONCE(s->numqueues), s->threshold);
		spin_lock_bh(&s->bal->lock);
		broken = tun_balance_check(s->bal, &wrapped);
		spin_unlock_bh(&s->bal->lock);
		if (broken)
			stress_fail(s, broken, 0, 0);
		/* lost increments racing the remapper must not wrap a counter */
		if (wrapped)
			stress_fail(s, "flow packet counters wrapped below zero", wrapped, 0);
		s->wrapped += wrapped;
		s->remaps++;
		s->freed += rcu_reclaim();
	}
	return NULL;
}

static void *resize_thread(void *arg)
{
	struct stress *s = arg;
	u64 x = s->seed + 12345;

	while (!__atomic_load_n(&s->stop, __ATOMIC_RELAXED)) {
		u64 r = xorshift(&x);
		/* queues detach and attach; now and then all of them */
		u32 n = r % 64 == 0 ? 0 : 1 + (u32)(r % 16);

		usleep(s->resize_us);
		if (n > __atomic_load_n(&s->max_numqueues, __ATOMIC_RELAXED))
			__atomic_store_n(&s->max_numqueues, n, __ATOMIC_RELEASE);
		WRITE_ONCE(s->numqueues, n);
		s->resizes++;
	}
	return NULL;
}

static int stress_mode(int argc, char **argv)
{
	struct stress s = { 0 };
	struct steerer *t;
	pthread_t remapper, resizer;
	unsigned long packets = 0;
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
	if (threads < 1 || threads >= SHIM_RCU_MAX_THREADS || millis < 1 || !s.flows)
		die("stress: bad arguments");
	s.numqueues = s.max_numqueues = 4;
	s.bal = tun_balance_alloc();
	if (!s.bal)
		die("tun_balance_alloc failed");

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
	}
	pthread_join(remapper, NULL);
	pthread_join(resizer, NULL);

	tun_balance_free(s.bal);
	s.freed += rcu_reclaim();
	free(t);
	printf("packets %lu remaps %lu resizes %lu freed %lu wrapped_counters %lu failed %d\n",
	       packets, s.remaps, s.resizes, s.freed, s.wrapped, s.failed);
	return s.failed ? 1 : 0;
}

/* ---- bench mode ---------------------------------------------------------- */

static u32 bench_numqueues = 8;
/* dev->real_num_tx_queues: hash and dynamic steer within the smaller of the
 * two (tun_steerable_queues() in steerable_queues.c.sbn), stock does not. */
static u32 bench_real_num_tx_queues = 8;

static inline u32 bench_steerable_queues(u32 numqueues)
{
	u32 real = READ_ONCE(bench_real_num_tx_queues);

	return numqueues < real ? numqueues : real;
}

/* Each policy sits behind one out-of-line call per packet, as behind tun's
 * ndo_select_queue: the compiler may inline the policy into its wrapper, never
 * the wrapper into the loop (noipa), so every policy pays the same call. */
#define bench_policy __attribute__((noipa))

static bench_policy u16 bench_policy_null(u32 rxhash, u32 numqueues)
{
	(void)rxhash;
	(void)numqueues;
	return 0;
}

static bench_policy u16 bench_policy_stock(struct automq *m, u32 rxhash, u32 numqueues)
{
	return automq_select(m, rxhash, numqueues);
}

static bench_policy u16 bench_policy_hash(u32 rxhash, u32 numqueues)
{
	return tun_balance_hash_queue(rxhash, bench_steerable_queues(numqueues));
}

/* The balancer hangs off tun_struct by a pointer (tun->balance): this is
 * tun_balance_select_queue() of balancer_glue.c.sbn without the skb, so the
 * kernel's extra load and test per packet are counted too.
 */
struct bench_tun {
	struct tun_balance *balance;
};

static bench_policy u16 bench_policy_dynamic(struct bench_tun *tun, u32 rxhash,
					     unsigned int len, u32 numqueues)
{
	struct tun_balance *bal = READ_ONCE(tun->balance);

	numqueues = bench_steerable_queues(numqueues);
	if (unlikely(!bal))
		return numqueues ? tun_balance_hash_queue(rxhash, numqueues) : 0;
	return tun_balance_select(bal, rxhash, len, numqueues);
}

/* The loop, the call and the return alone: subtracted from the others. */
static noinline u32 bench_select_null(const u32 *hashes, size_t packets)
{
	u32 acc = 0;
	size_t i;

	for (i = 0; i < packets; i++)
		acc += bench_policy_null(hashes[i], READ_ONCE(bench_numqueues));
	return acc;
}

static noinline u32 bench_select_stock(struct automq *m, const u32 *hashes,
				       size_t packets)
{
	u32 acc = 0;
	size_t i;

	for (i = 0; i < packets; i++)
		acc += bench_policy_stock(m, hashes[i], READ_ONCE(bench_numqueues));
	return acc;
}

static noinline u32 bench_select_hash(const u32 *hashes, size_t packets)
{
	u32 acc = 0;
	size_t i;

	for (i = 0; i < packets; i++)
		acc += bench_policy_hash(hashes[i], READ_ONCE(bench_numqueues));
	return acc;
}

static noinline u32 bench_select_dynamic(struct bench_tun *tun,
					 const u32 *hashes, size_t packets)
{
	u32 acc = 0;
	size_t i;

	for (i = 0; i < packets; i++)
		acc += bench_policy_dynamic(tun, hashes[i], 1500,
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
	u32 flows, threshold, *ids, *hashes, sink = 0;
	size_t packets, i;
	unsigned int remaps, r;
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
	/* dynamic: every flow has been seen once (beyond 4096 flows: untracked) */
	bal = tun_balance_alloc();
	for (i = 0; i < flows; i++)
		sink += tun_balance_select(bal, ids[i], 1500, bench_numqueues);
	printf("dynamic tracks %u of %u flows\n", bal->flow_count, flows);
	tun.balance = bal;

	rcu_read_lock();
	BENCH_MEASURE("select null", sink += bench_select_null(hashes, packets));
	BENCH_MEASURE("select stock", sink += bench_select_stock(m, hashes, packets));
	BENCH_MEASURE("select hash", sink += bench_select_hash(hashes, packets));
	BENCH_MEASURE("select dynamic", sink += bench_select_dynamic(&tun, hashes, packets));
	rcu_read_unlock();

	/* remapper: each period every tracked flow (the first ones steered) sends
	 * 1..8 packets, so queue loads differ and flows move */
	for (r = 0; r < remaps; r++) {
		for (i = 0; i < flows && i < TUN_BALANCE_MAX_FLOWS; i++) {
			u32 k, burst = 1 + (u32)((i * 7 + r) % 8);

			for (k = 0; k < burst; k++)
				sink += tun_balance_select(bal, ids[i], 1500, bench_numqueues);
		}
		BENCH_MEASURE("remap", bench_remap_once(bal, threshold));
		rcu_reclaim();
	}
	printf("migrations %u flow_count %u sink %u\n", bal->migrations, bal->flow_count, sink);

	tun_balance_free(bal);
	rcu_reclaim();
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
