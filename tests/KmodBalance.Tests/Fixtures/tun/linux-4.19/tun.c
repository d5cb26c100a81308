// SPDX-License-Identifier: MIT
/* KmodBalance test fixture shaped like tun.c of linux-4.19: only the
 * shapes the generator looks for, with stub bodies. Not kernel code.
 */
#include <linux/module.h>
#include <linux/netdevice.h>

#define MAX_TAP_QUEUES 256

struct tun_struct {
	unsigned int numqueues;
	struct timer_list flow_gc_timer;
	u32 flow_count;
	struct bpf_prog __rcu *steering_prog;
};

static void tun_flow_cleanup(struct timer_list *t)
{
	struct tun_struct *tun = from_timer(tun, t, flow_gc_timer);

	tun->flow_count = 0;
}

static void tun_flow_update(struct tun_struct *tun, u32 rxhash,
			    struct tun_file *tfile)
{
	u16 queue_index = tfile->queue_index;

	tun->flow_count = rxhash + queue_index;
}

/* Stub of the learnt-flow selection. */
static u16 tun_automq_select_queue(struct tun_struct *tun, struct sk_buff *skb)
{
	u32 numqueues = READ_ONCE(tun->numqueues);

	return ((u64)__skb_get_hash_symmetric(skb) * numqueues) >> 32;
}

static u16 tun_ebpf_select_queue(struct tun_struct *tun, struct sk_buff *skb)
{
	return 0;
}

static u16 tun_select_queue(struct net_device *dev, struct sk_buff *skb,
			    struct net_device *sb_dev,
			    select_queue_fallback_t fallback)
{
	struct tun_struct *tun = netdev_priv(dev);
	u16 ret;

	rcu_read_lock();
	if (rcu_dereference(tun->steering_prog))
		ret = tun_ebpf_select_queue(tun, skb);
	else
		ret = tun_automq_select_queue(tun, skb);
	rcu_read_unlock();
	return ret;
}

static void __tun_detach(struct tun_file *tfile, bool clean)
{
	struct tun_struct *tun = tfile->tun;
	u16 index = tfile->queue_index;

	tun->tfiles[index] = tun->tfiles[tun->numqueues - 1];
	--tun->numqueues;
	synchronize_net();
	tun_flow_delete_by_queue(tun, tun->numqueues + 1);
}

static void tun_flow_init(struct tun_struct *tun)
{
	timer_setup(&tun->flow_gc_timer, tun_flow_cleanup, 0);
	mod_timer(&tun->flow_gc_timer, jiffies + HZ);
}

static void tun_flow_uninit(struct tun_struct *tun)
{
	del_timer_sync(&tun->flow_gc_timer);
	tun->flow_count = 0;
}

static int __init tun_init(void)
{
	int ret = 0;

	ret = misc_register(&tun_miscdev);
	if (ret)
		return ret;
	return 0;
}

static void tun_cleanup(void)
{
	misc_deregister(&tun_miscdev);
}

module_init(tun_init);
module_exit(tun_cleanup);
MODULE_LICENSE("GPL");
