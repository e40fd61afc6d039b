// SPDX-License-Identifier: GPL-2.0
/*
 * gomalloc_test: rcu: gofree_rcu() from a thread on every CPU, a timer
 * (softirq) and an hrtimer (hardirq), while readers check what they find.
 */
#include <linux/completion.h>
#include <linux/cpumask.h>
#include <linux/delay.h>
#include <linux/hrtimer.h>
#include <linux/jiffies.h>
#include <linux/kthread.h>
#include <linux/module.h>
#include <linux/random.h>
#include <linux/rcupdate.h>
#include <linux/sched.h>
#include <linux/slab.h>
#include <linux/percpu.h>
#include <linux/spinlock.h>
#include <linux/timer.h>
#include <gomalloc.h>
#include "gomalloc_test.h"

static unsigned int gt_leave;
module_param_named(leave, gt_leave, uint, 0444);
MODULE_PARM_DESC(leave, "rcu: objects given to gofree_rcu() at the end with no barrier");

/*
 * Published objects: a writer swaps a slot's object for a new one and gives
 * the old one to gofree_rcu(); readers inside rcu_read_lock() verify the
 * object a slot holds, which must not be freed (zeroed or reused) under
 * them. Each CPU's thread swaps slots of its own, so that the objects it
 * frees are mostly its CPU's, where a free writes a link into the object
 * at once and the next allocation of the class refills it: an object freed
 * too early changes under a reader. Sizes fall in four classes; one object
 * in 64 is large, one in 4 comes from gomalloc_tiny().
 */
struct gt_robj {
	u64 cookie;		/* first: where a free writes its LIFO link */
	size_t n;		/* bytes of data[] */
	struct rcu_head rcu;
	u8 data[];
};

#define GT_RSLOTS	16
enum { GT_R_TASK, GT_R_SOFTIRQ, GT_R_HARDIRQ, GT_R_NCTX };
static const char * const gt_rctx[GT_R_NCTX] = { "task", "softirq", "hardirq" };

static struct gt_robj __rcu *gt_rslots[GT_RSLOTS];
static DEFINE_RAW_SPINLOCK(gt_rslot_lock);	/* taken in hardirq, also on RT */
static atomic_long_t gt_rfrees[GT_R_NCTX], gt_rreads, gt_rnomem;
static bool gt_rstop;

/*
 * Random numbers in any context: get_random_u64() takes a local_lock, a
 * sleeping lock on PREEMPT_RT, so not from a hard interrupt there.
 * splitmix64 of a per-CPU counter (seeded at load) instead.
 */
static DEFINE_PER_CPU(u64, gt_rseed);

static u64 gt_rnd(void)
{
	u64 z = this_cpu_add_return(gt_rseed, 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static struct gt_robj *gt_robj_new(gfp_t gfp)
{
	u64 cookie = gt_rnd();
	size_t n = cookie % 64 == 0 ? 40000 : 8 + (cookie >> 8) % 56;
	struct gt_robj *o;

	o = cookie % 4 == 1 ? gomalloc_tiny(sizeof(*o) + n, gfp) :
			      gomalloc(sizeof(*o) + n, gfp);
	if (!o) {
		atomic_long_inc(&gt_rnomem);
		return NULL;
	}
	o->cookie = cookie;
	o->n = n;
	gt_fill(o->data, n, cookie);
	return o;
}

/* Publish a new object in slot @i; the old one goes to gofree_rcu(). */
static void gt_rcu_swap(unsigned int ctx, unsigned int i, gfp_t gfp)
{
	struct gt_robj *o = gt_robj_new(gfp), *old;
	unsigned long flags;

	/* On RT a hard interrupt allocates nothing: it empties the slot. */
	if (!o && !gt_rt_atomic())
		return;
	raw_spin_lock_irqsave(&gt_rslot_lock, flags);
	old = rcu_replace_pointer(gt_rslots[i], o, lockdep_is_held(&gt_rslot_lock));
	raw_spin_unlock_irqrestore(&gt_rslot_lock, flags);
	if (old) {
		gofree_rcu(old, rcu);
		atomic_long_inc(&gt_rfrees[ctx]);
	}
}

/* Verify a slot's object, and again after @hold_us (writers go on). */
static void gt_rcu_read(unsigned int hold_us)
{
	unsigned int i = (u32)gt_rnd() % GT_RSLOTS;
	struct gt_robj *o;

	size_t n;
	u64 cookie;

	rcu_read_lock();
	o = rcu_dereference(gt_rslots[i]);
	if (o) {
		/* Read once: a length changed under us must not be followed. */
		n = min_t(size_t, READ_ONCE(o->n), 40000);
		cookie = READ_ONCE(o->cookie);
		GT_CHECK(gt_verify(o->data, n, cookie),
			 "object of %zu bytes in slot %u changed under a reader", n, i);
		if (hold_us) {
			udelay(hold_us);
			GT_CHECK(READ_ONCE(o->cookie) == cookie && READ_ONCE(o->n) == n &&
				 gt_verify(o->data, n, cookie),
				 "object of %zu bytes changed under a reader after %u us",
				 n, hold_us);
		}
		atomic_long_inc(&gt_rreads);
	}
	rcu_read_unlock();
}

static struct timer_list gt_rtimer;
static struct hrtimer gt_rhrtimer;

static void gt_rtimer_fn(struct timer_list *t)
{
	GT_CHECK(in_serving_softirq(), "timer callback not in softirq context");
	gt_rcu_swap(GT_R_SOFTIRQ, (u32)gt_rnd() % GT_RSLOTS, GFP_ATOMIC);
	gt_rcu_read(0);
	if (!READ_ONCE(gt_rstop))
		mod_timer(&gt_rtimer, jiffies + 1);
}

static enum hrtimer_restart gt_rhrtimer_fn(struct hrtimer *t)
{
	GT_CHECK(in_hardirq() && irqs_disabled(), "hrtimer callback not in hardirq context");
	gt_rcu_swap(GT_R_HARDIRQ, (u32)gt_rnd() % GT_RSLOTS, GT_HARDIRQ_GFP);
	if (READ_ONCE(gt_rstop))
		return HRTIMER_NORESTART;
	hrtimer_forward_now(t, ns_to_ktime(500 * NSEC_PER_USEC));
	return HRTIMER_RESTART;
}

static atomic_t gt_rthreads;
static DECLARE_COMPLETION(gt_rthreads_done);

/*
 * Each CPU's thread: swaps its four slots and reads any; every other
 * object it frees is a private one, freed with interrupts off.
 */
static int gt_rcu_thread(void *arg)
{
	unsigned long end = (unsigned long)arg, flags;
	unsigned int k, own = 4 * raw_smp_processor_id();

	for (k = 0; time_before(jiffies, end); k++) {
		if (k & 1) {
			gt_rcu_swap(GT_R_TASK, (own + k / 2 % 4) % GT_RSLOTS, GFP_KERNEL);
		} else {
			struct gt_robj *o = gt_robj_new(GFP_KERNEL);

			if (o) {	/* a private one, freed with interrupts off */
				local_irq_save(flags);
				gofree_rcu(o, rcu);
				local_irq_restore(flags);
				atomic_long_inc(&gt_rfrees[GT_R_TASK]);
			}
		}
		gt_rcu_read(0);
		gt_rcu_read(200);
		if (k % 64 == 63)
			usleep_range(100, 200);
		else
			cond_resched();
	}
	if (atomic_dec_and_test(&gt_rthreads))
		complete(&gt_rthreads_done);
	return 0;
}

/* leave=N: objects left pending, for the timers or the unload to free. */
static void gt_rcu_leave(void)
{
	struct gt_robj *o;
	unsigned int i;

	for (i = 0; i < gt_leave; i++) {
		o = gt_robj_new(GFP_KERNEL);
		if (o)
			gofree_rcu(o, rcu);
	}
	pr_info("gomalloc_test: rcu: %u object(s) left to gofree_rcu(), no barrier\n", gt_leave);
}

void gt_rcu(void)
{
	unsigned long end = jiffies + gt_seconds * HZ;
	struct task_struct *t;
	struct gt_robj *o;
	unsigned int cpu, i, n = 0;

	if (gt_leave) {
		gt_rcu_leave();
		return;
	}
	for_each_possible_cpu(cpu)
		per_cpu(gt_rseed, cpu) = get_random_u64();
	atomic_set(&gt_rthreads, 1);
	timer_setup(&gt_rtimer, gt_rtimer_fn, TIMER_PINNED);
	hrtimer_init(&gt_rhrtimer, CLOCK_MONOTONIC, HRTIMER_MODE_REL_PINNED_HARD);
	gt_rhrtimer.function = gt_rhrtimer_fn;
	mod_timer(&gt_rtimer, jiffies + 1);
	hrtimer_start(&gt_rhrtimer, ns_to_ktime(500 * NSEC_PER_USEC),
		      HRTIMER_MODE_REL_PINNED_HARD);
	for_each_online_cpu(cpu) {
		t = kthread_create(gt_rcu_thread, (void *)end, "gomalloc_test/%u", cpu);
		if (IS_ERR(t)) {
			GT_CHECK(0, "no thread for CPU %u", cpu);
			continue;
		}
		kthread_bind(t, cpu);
		atomic_inc(&gt_rthreads);
		wake_up_process(t);
		n++;
	}
	if (!atomic_dec_and_test(&gt_rthreads))
		GT_CHECK(wait_for_completion_timeout(&gt_rthreads_done,
						     (gt_seconds + 60) * HZ),
			 "threads did not finish");
	WRITE_ONCE(gt_rstop, true);
	del_timer_sync(&gt_rtimer);
	hrtimer_cancel(&gt_rhrtimer);
	for (i = 0; i < GT_RSLOTS; i++) {
		o = rcu_replace_pointer(gt_rslots[i], NULL, true);
		if (o)
			gofree_rcu(o, rcu);
	}
	gomalloc_rcu_barrier();
	pr_info("gomalloc_test: rcu: %u thread(s); gofree_rcu from task %ld, softirq %ld, hardirq %ld; %ld reads checked, %ld allocations failed\n",
		n, atomic_long_read(&gt_rfrees[GT_R_TASK]),
		atomic_long_read(&gt_rfrees[GT_R_SOFTIRQ]),
		atomic_long_read(&gt_rfrees[GT_R_HARDIRQ]), atomic_long_read(&gt_rreads),
		atomic_long_read(&gt_rnomem));
	for (i = 0; i < GT_R_NCTX; i++)
		GT_CHECK(atomic_long_read(&gt_rfrees[i]) > 0, "no gofree_rcu() from %s",
			 gt_rctx[i]);
}
