/* User-space stand-ins for the kernel APIs the balancer core uses, so that
 * the very C the generator emits (generator/templates/balancer_core.c.sbn) is
 * compiled with gcc and run under AddressSanitizer, UBSan, ThreadSanitizer and
 * callgrind. Hand-written; only what the core, the driver and the automq model
 * need.
 *
 * Every access that the kernel makes with READ_ONCE/WRITE_ONCE or through RCU
 * is a __atomic access here, so ThreadSanitizer sees the same ordering the
 * kernel relies on (rcu_assign_pointer = release, rcu_dereference = acquire;
 * the kernel's dependency ordering is weaker, acquire is the closest C11 has).
 *
 * RCU is a small "memb"-style user-space RCU: a reader announces the grace
 * period it started in, synchronize_rcu() waits for every reader that started
 * before it, kfree_rcu() queues the object, and rcu_reclaim() (called by the
 * driver at a quiescent point of its own, or at exit) waits a grace period and
 * frees the queue. So ASan reports a reader that touches an entry after its
 * grace period, and TSAN sees the free ordered after the last read.
 */
#ifndef KMB_KERNEL_SHIM_H
#define KMB_KERNEL_SHIM_H

#include <pthread.h>
#include <sched.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef uint8_t u8;
typedef uint16_t u16;
typedef uint32_t u32;
typedef uint64_t u64;
typedef int32_t s32;

/* glibc's <sys/cdefs.h> already defines __always_inline */
#define noinline	__attribute__((noinline))

#define likely(x)	__builtin_expect(!!(x), 1)
#define unlikely(x)	__builtin_expect(!!(x), 0)

#define MAX_TAP_QUEUES	256
#define MAX_TAP_FLOWS	4096	/* tun.c's bound of its own flow table */

#define ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))
#define min_t(type, a, b) \
	({ type __min_a = (a), __min_b = (b); __min_a < __min_b ? __min_a : __min_b; })
#define max_t(type, a, b) \
	({ type __max_a = (a), __max_b = (b); __max_a > __max_b ? __max_a : __max_b; })
#define div_u64(dividend, divisor)	((u64)(dividend) / (u32)(divisor))

/* a cache line apart from what precedes it, as on SMP kernels */
#define ____cacheline_aligned_in_smp	__attribute__((aligned(64)))

#define BUILD_BUG_ON(cond)	_Static_assert(!(cond), #cond)

#define READ_ONCE(x)		__atomic_load_n(&(x), __ATOMIC_RELAXED)
#define WRITE_ONCE(x, v)	__atomic_store_n(&(x), (v), __ATOMIC_RELAXED)

#define container_of(ptr, type, member) \
	((type *)((char *)(ptr) - offsetof(type, member)))

/* ---- memory ---------------------------------------------------------- */

typedef unsigned int gfp_t;
#define GFP_KERNEL	0x1u
#define GFP_ATOMIC	0x2u
#define __GFP_NOWARN	0x4u

/* Test hook: this many of the calling thread's next GFP_ATOMIC kmalloc()s
 * fail, as they may in the kernel. */
extern __thread unsigned int shim_kmalloc_failures;

static inline void *kmalloc(size_t size, gfp_t gfp)
{
	if ((gfp & GFP_ATOMIC) && shim_kmalloc_failures) {
		shim_kmalloc_failures--;
		return NULL;
	}
	return malloc(size);
}

static inline void *kzalloc(size_t size, gfp_t gfp)
{
	(void)gfp;
	return calloc(1, size);
}

static inline void *kcalloc(size_t n, size_t size, gfp_t gfp)
{
	(void)gfp;
	return calloc(n, size);
}

static inline void kfree(const void *p)
{
	free((void *)p);
}

/* ---- locks ----------------------------------------------------------- */

typedef struct {
	pthread_mutex_t mutex;
} spinlock_t;

#define spin_lock_init(l)	pthread_mutex_init(&(l)->mutex, NULL)
#define spin_lock(l)		pthread_mutex_lock(&(l)->mutex)
#define spin_unlock(l)		pthread_mutex_unlock(&(l)->mutex)
#define spin_lock_bh(l)		spin_lock(l)
#define spin_unlock_bh(l)	spin_unlock(l)

/* ---- interrupts ------------------------------------------------------ */

/* Test hook: the calling thread runs "with IRQs disabled" (netpoll). */
extern __thread bool shim_irqs_off;
#define irqs_disabled()	(shim_irqs_off)

/* ---- bitmaps: set_bit() is atomic, test_bit() a plain read ------------ */

#define BITS_PER_LONG		(8 * (int)sizeof(unsigned long))
#define BITS_TO_LONGS(n)	(((n) + BITS_PER_LONG - 1) / BITS_PER_LONG)
#define DECLARE_BITMAP(name, bits)	unsigned long name[BITS_TO_LONGS(bits)]

static inline bool test_bit(unsigned int nr, const unsigned long *addr)
{
	return (__atomic_load_n(&addr[nr / BITS_PER_LONG], __ATOMIC_RELAXED) >>
		(nr % BITS_PER_LONG)) & 1;
}

static inline void set_bit(unsigned int nr, unsigned long *addr)
{
	__atomic_fetch_or(&addr[nr / BITS_PER_LONG], 1ul << (nr % BITS_PER_LONG),
			  __ATOMIC_RELAXED);
}

/* ---- atomic_t: the kernel's wrapping int counter ---------------------- */

typedef struct {
	int counter;
} atomic_t;

static inline int atomic_read(const atomic_t *v)
{
	return __atomic_load_n(&v->counter, __ATOMIC_RELAXED);
}

static inline void atomic_set(atomic_t *v, int i)
{
	__atomic_store_n(&v->counter, i, __ATOMIC_RELAXED);
}

/* u32 arithmetic: wraps as the kernel's (-fno-strict-overflow) atomic_add */
static inline void atomic_add(u32 i, atomic_t *v)
{
	__atomic_fetch_add((unsigned int *)&v->counter, i, __ATOMIC_RELAXED);
}

static inline void atomic_inc(atomic_t *v)
{
	atomic_add(1, v);
}

/* fully ordered, as the kernel's value-returning atomics are */
static inline int atomic_xchg(atomic_t *v, int i)
{
	return __atomic_exchange_n(&v->counter, i, __ATOMIC_SEQ_CST);
}

/* ---- time ------------------------------------------------------------ */

extern unsigned long shim_jiffies;
#define jiffies		__atomic_load_n(&shim_jiffies, __ATOMIC_RELAXED)

/* ---- timers and tun: the core only embeds them ------------------------ */

struct timer_list {
	unsigned long expires;
};

struct list_head {
	struct list_head *next, *prev;
};

struct tun_struct;

/* ---- sort() and swap() ------------------------------------------------ */

#define swap(a, b) \
	do { __typeof__(a) __swap_tmp = (a); (a) = (b); (b) = __swap_tmp; } while (0)

static inline void shim_sort_swap(char *a, char *b, size_t size)
{
	if (size % sizeof(u64) == 0) {
		for (; size; size -= sizeof(u64), a += sizeof(u64), b += sizeof(u64)) {
			u64 t;

			memcpy(&t, a, sizeof(t));
			memcpy(a, b, sizeof(t));
			memcpy(b, &t, sizeof(t));
		}
		return;
	}
	for (; size; size--, a++, b++) {
		char t = *a;

		*a = *b;
		*b = t;
	}
}

static inline void shim_sort_sift(char *base, size_t root, size_t num, size_t size,
				  int (*cmp)(const void *, const void *))
{
	size_t child;

	while ((child = 2 * root + 1) < num) {
		if (child + 1 < num && cmp(base + child * size, base + (child + 1) * size) < 0)
			child++;
		if (cmp(base + root * size, base + child * size) >= 0)
			return;
		shim_sort_swap(base + root * size, base + child * size, size);
		root = child;
	}
}

/* lib/sort.c's interface and kind of algorithm: an in-place heapsort, no
 * allocation, O(n log n) comparisons; so that instruction counts of the
 * remapper are of the order the kernel's sort() would give. */
static inline void sort(void *base, size_t num, size_t size,
			int (*cmp)(const void *, const void *),
			void (*swap_fn)(void *, void *, int))
{
	char *b = base;
	size_t i;

	(void)swap_fn;
	if (num < 2)
		return;
	for (i = num / 2; i-- > 0;)
		shim_sort_sift(b, i, num, size, cmp);
	for (i = num - 1; i > 0; i--) {
		shim_sort_swap(b, b + i * size, size);
		shim_sort_sift(b, 0, i, size, cmp);
	}
}

/* ---- RCU ------------------------------------------------------------- */

struct rcu_head {
	struct rcu_head *next;
	void *object;		/* what kfree_rcu() frees */
};

#define SHIM_RCU_MAX_THREADS	64

struct shim_rcu_reader {
	unsigned long gp;	/* grace period the read section began in, 0 = none */
	unsigned int nesting;
	char pad[64 - sizeof(unsigned long) - sizeof(unsigned int)];
};

extern unsigned long shim_rcu_gp;
extern struct shim_rcu_reader shim_rcu_readers[SHIM_RCU_MAX_THREADS];
extern __thread int shim_rcu_self;	/* index in shim_rcu_readers, -1 until registered */
extern pthread_mutex_t shim_rcu_lock;
extern struct rcu_head *shim_rcu_pending;

/* Each thread that reads under RCU calls this once, with a distinct slot. */
static inline void rcu_register_thread(int slot)
{
	if (slot < 0 || slot >= SHIM_RCU_MAX_THREADS) {
		fprintf(stderr, "shim: rcu slot %d out of range\n", slot);
		abort();
	}
	shim_rcu_self = slot;
}

static inline void rcu_read_lock(void)
{
	struct shim_rcu_reader *r;

	if (shim_rcu_self < 0)
		return;		/* single-threaded user: nothing to wait for */
	r = &shim_rcu_readers[shim_rcu_self];
	/* a seq_cst exchange, not a store: a full barrier before the reads
	 * that follow (TSAN does not model __atomic_thread_fence) */
	if (r->nesting++ == 0)
		(void)__atomic_exchange_n(&r->gp,
					  __atomic_load_n(&shim_rcu_gp, __ATOMIC_ACQUIRE),
					  __ATOMIC_SEQ_CST);
}

static inline void rcu_read_unlock(void)
{
	struct shim_rcu_reader *r;

	if (shim_rcu_self < 0)
		return;
	r = &shim_rcu_readers[shim_rcu_self];
	if (--r->nesting == 0)
		__atomic_store_n(&r->gp, 0, __ATOMIC_RELEASE);
}

/* Waits until every reader that may have seen the old pointers is done. The
 * seq_cst increment orders the unpublishing stores before the reader scan. */
static inline void synchronize_rcu(void)
{
	unsigned long gp;
	int i;

	gp = __atomic_add_fetch(&shim_rcu_gp, 1, __ATOMIC_SEQ_CST);
	for (i = 0; i < SHIM_RCU_MAX_THREADS; i++) {
		for (;;) {
			unsigned long seen = __atomic_load_n(&shim_rcu_readers[i].gp,
							     __ATOMIC_ACQUIRE);
			if (!seen || seen >= gp)
				break;
			sched_yield();
		}
	}
}

#define kfree_rcu(ptr, field)	shim_kfree_rcu(&(ptr)->field, (ptr))

static inline void shim_kfree_rcu(struct rcu_head *head, void *object)
{
	head->object = object;
	pthread_mutex_lock(&shim_rcu_lock);
	head->next = shim_rcu_pending;
	shim_rcu_pending = head;
	pthread_mutex_unlock(&shim_rcu_lock);
}

/* Frees what kfree_rcu() queued, after a grace period. Not from a reader. */
static inline unsigned long rcu_reclaim(void)
{
	struct rcu_head *list, *next;
	unsigned long freed = 0;

	pthread_mutex_lock(&shim_rcu_lock);
	list = shim_rcu_pending;
	shim_rcu_pending = NULL;
	pthread_mutex_unlock(&shim_rcu_lock);
	if (!list)
		return 0;
	synchronize_rcu();
	for (; list; list = next) {
		next = list->next;
		free(list->object);
		freed++;
	}
	return freed;
}

#define rcu_dereference(p)		__atomic_load_n(&(p), __ATOMIC_ACQUIRE)
#define rcu_assign_pointer(p, v)	__atomic_store_n(&(p), (v), __ATOMIC_RELEASE)

/* Defines the shim's globals: exactly one translation unit sets this. */
#ifdef KMB_SHIM_DEFINE_GLOBALS
unsigned long shim_jiffies;
unsigned long shim_rcu_gp = 1;
struct shim_rcu_reader shim_rcu_readers[SHIM_RCU_MAX_THREADS];
__thread int shim_rcu_self = -1;
__thread unsigned int shim_kmalloc_failures;
__thread bool shim_irqs_off;
pthread_mutex_t shim_rcu_lock = PTHREAD_MUTEX_INITIALIZER;
struct rcu_head *shim_rcu_pending;
#endif

/* ---- hlist, with RCU publication --------------------------------------- */

struct hlist_head {
	struct hlist_node *first;
};

struct hlist_node {
	struct hlist_node *next, **pprev;
};

#define LIST_POISON2	((struct hlist_node **)0x122)

static inline void INIT_HLIST_HEAD(struct hlist_head *h)
{
	h->first = NULL;
}

static inline void hlist_add_head_rcu(struct hlist_node *n,
				      struct hlist_head *h)
{
	struct hlist_node *first = h->first;

	n->next = first;
	n->pprev = &h->first;
	rcu_assign_pointer(h->first, n);
	if (first)
		first->pprev = &n->next;
}

/* Leaves n->next intact: a reader standing on n walks on. */
static inline void hlist_del_rcu(struct hlist_node *n)
{
	struct hlist_node *next = n->next;
	struct hlist_node **pprev = n->pprev;

	WRITE_ONCE(*pprev, next);
	if (next)
		next->pprev = pprev;
	n->pprev = LIST_POISON2;
}

static inline void hlist_del(struct hlist_node *n)
{
	hlist_del_rcu(n);
	n->next = NULL;
}

#define hlist_entry(ptr, type, member)	container_of(ptr, type, member)

#define hlist_entry_safe(ptr, type, member) \
	({ __typeof__(ptr) ____ptr = (ptr); \
	   ____ptr ? hlist_entry(____ptr, type, member) : NULL; })

#define hlist_for_each_entry_rcu(pos, head, member)				\
	for (pos = hlist_entry_safe(rcu_dereference((head)->first),		\
				    __typeof__(*(pos)), member);		\
	     pos;								\
	     pos = hlist_entry_safe(rcu_dereference((pos)->member.next),	\
				    __typeof__(*(pos)), member))

/* Writer side, under the lock: plain loads, like the kernel's. */
#define hlist_for_each_entry(pos, head, member)				\
	for (pos = hlist_entry_safe((head)->first, __typeof__(*(pos)), member);\
	     pos;								\
	     pos = hlist_entry_safe((pos)->member.next, __typeof__(*(pos)), member))

#define hlist_for_each_entry_safe(pos, n, head, member)			\
	for (pos = hlist_entry_safe((head)->first, __typeof__(*pos), member);	\
	     pos && ({ n = pos->member.next; 1; });				\
	     pos = hlist_entry_safe(n, __typeof__(*pos), member))

#endif /* KMB_KERNEL_SHIM_H */
