// SPDX-License-Identifier: GPL-2.0
/*
 * gomalloc_test: irq and nowait: allocations and frees in softirq (timer) and
 * hardirq (hrtimer) context, and where sleeping is forbidden.
 */
#include <linux/completion.h>
#include <linux/cpumask.h>
#include <linux/delay.h>
#include <linux/hrtimer.h>
#include <linux/jiffies.h>
#include <linux/module.h>
#include <linux/random.h>
#include <linux/sched.h>
#include <linux/spinlock.h>
#include <linux/string.h>
#include <linux/timer.h>
#include <gomalloc.h>
#include "gomalloc_test.h"

/*
 * ---- one class shared by task, softirq (timer) and hardirq (hrtimer) ----
 *
 * All three contexts run on one CPU and take objects from a shared set of
 * slots: whatever a slot holds is verified whole and freed by whichever
 * context picks it next, so objects allocated in one context are freed in
 * another. Three slots in four hold 193..208-byte objects (class 208), the
 * fourth tiny ones.
 */
#define GT_IRQ_SLOTS	32
#define GT_IRQ_SIZE	208
enum { GT_TASK, GT_SOFTIRQ, GT_HARDIRQ, GT_NCTX };
static const char * const gt_ctx_name[GT_NCTX] = { "task", "softirq", "hardirq" };

static struct timer_list gt_timer;
static struct hrtimer gt_hrtimer;
static bool gt_irq_stop;
static DEFINE_RAW_SPINLOCK(gt_slot_lock);	/* taken in hardirq, also on RT */
static struct gt_slot {
	void *p;
	size_t n;
	u64 cookie;
	unsigned int ctx;
} gt_slots[GT_IRQ_SLOTS];
/* [allocating context][freeing context], under gt_slot_lock */
static unsigned long gt_xfree[GT_NCTX][GT_NCTX];
static unsigned long gt_irq_runs[GT_NCTX], gt_irq_refused[GT_NCTX];
static u64 gt_irq_cookie;

static void gt_irq_work(unsigned int ctx, gfp_t gfp)
{
	unsigned int k, i;
	unsigned long flags;
	struct gt_slot old, new;
	size_t sz;

	for (k = 0; k < 4; k++) {
		raw_spin_lock_irqsave(&gt_slot_lock, flags);
		gt_irq_cookie = gt_irq_cookie * 6364136223846793005ULL + 1442695040888963407ULL;
		new.cookie = gt_irq_cookie;
		i = (new.cookie >> 33) % GT_IRQ_SLOTS;
		old = gt_slots[i];
		gt_slots[i].p = NULL;
		gt_irq_runs[ctx] += !k;
		raw_spin_unlock_irqrestore(&gt_slot_lock, flags);

		if (old.p) {
			GT_CHECK(gt_verify(old.p, old.n, old.cookie),
				 "%s: object of %zu bytes from %s corrupted", gt_ctx_name[ctx],
				 old.n, gt_ctx_name[old.ctx]);
			gofree(old.p);
		}
		if (i % 4 == 3) {
			sz = 1 + (new.cookie >> 40) % GOMALLOC_TINY_MAX;
			new.p = gomalloc_tiny(sz, gfp);
			new.n = sz;
		} else {
			sz = GT_IRQ_SIZE - (new.cookie >> 40) % 16;
			new.p = gomalloc(sz, gfp);
			new.n = new.p ? gomalloc_usable_size(new.p) : 0;
			GT_CHECK(!new.p || new.n == GT_IRQ_SIZE, "%s: usable size of %zu is %zu",
				 gt_ctx_name[ctx], sz, new.n);
		}
		/* On RT a hard interrupt's cache is never filled: all refused. */
		GT_CHECK(new.p || gt_rt_atomic(), "%s: allocation of %zu bytes failed",
			 gt_ctx_name[ctx], sz);
		if (new.p)
			gt_fill(new.p, new.n, new.cookie);
		new.ctx = ctx;

		raw_spin_lock_irqsave(&gt_slot_lock, flags);
		if (old.p)
			gt_xfree[old.ctx][ctx]++;
		gt_irq_refused[ctx] += !new.p;
		if (!gt_slots[i].p) {
			gt_slots[i] = new;
			new.p = NULL;
		}
		raw_spin_unlock_irqrestore(&gt_slot_lock, flags);
		if (new.p) {	/* the slot was refilled meanwhile */
			GT_CHECK(gt_verify(new.p, new.n, new.cookie), "own object corrupted");
			gofree(new.p);
		}
	}
}

static void gt_timer_fn(struct timer_list *t)
{
	GT_CHECK(in_serving_softirq(), "timer callback not in softirq context");
	gt_irq_work(GT_SOFTIRQ, GFP_ATOMIC);
	if (!READ_ONCE(gt_irq_stop))
		mod_timer(&gt_timer, jiffies + 1);
}

static enum hrtimer_restart gt_hrtimer_fn(struct hrtimer *t)
{
	GT_CHECK(in_hardirq(), "hrtimer callback not in hardirq context");
	gt_irq_work(GT_HARDIRQ, GT_HARDIRQ_GFP);
	if (READ_ONCE(gt_irq_stop))
		return HRTIMER_NORESTART;
	hrtimer_forward_now(t, ns_to_ktime(500 * NSEC_PER_USEC));
	return HRTIMER_RESTART;
}

/* Keep the loading task on one CPU, so that the timers share it. */
static cpumask_var_t gt_saved_mask;

static int gt_pin_self(int target)
{
	if (!alloc_cpumask_var(&gt_saved_mask, GFP_KERNEL))
		return -ENOMEM;
	cpumask_copy(gt_saved_mask, current->cpus_ptr);
	return set_cpus_allowed_ptr(current, cpumask_of(target));
}

static void gt_unpin_self(void)
{
	set_cpus_allowed_ptr(current, gt_saved_mask);
	free_cpumask_var(gt_saved_mask);
}

void gt_irq(void)
{
	unsigned long end = jiffies + gt_seconds * HZ;
	unsigned int i, a, f;

	if (gt_pin_self(raw_smp_processor_id())) {
		GT_CHECK(0, "cannot pin the task");
		return;
	}
	gt_irq_cookie = get_random_u64();
	timer_setup(&gt_timer, gt_timer_fn, TIMER_PINNED);
	hrtimer_init(&gt_hrtimer, CLOCK_MONOTONIC, HRTIMER_MODE_REL_PINNED_HARD);
	gt_hrtimer.function = gt_hrtimer_fn;
	mod_timer(&gt_timer, jiffies + 1);
	hrtimer_start(&gt_hrtimer, ns_to_ktime(500 * NSEC_PER_USEC),
		      HRTIMER_MODE_REL_PINNED_HARD);
	/* About as often as the hrtimer: each context gets its share of slots. */
	while (time_before(jiffies, end)) {
		gt_irq_work(GT_TASK, GFP_KERNEL);
		usleep_range(300, 600);
	}
	WRITE_ONCE(gt_irq_stop, true);
	del_timer_sync(&gt_timer);
	hrtimer_cancel(&gt_hrtimer);
	gt_unpin_self();
	for (i = 0; i < GT_IRQ_SLOTS; i++) {
		if (!gt_slots[i].p)
			continue;
		GT_CHECK(gt_verify(gt_slots[i].p, gt_slots[i].n, gt_slots[i].cookie),
			 "object left by %s corrupted", gt_ctx_name[gt_slots[i].ctx]);
		gofree(gt_slots[i].p);
		gt_xfree[gt_slots[i].ctx][GT_TASK]++;
	}
	pr_info("gomalloc_test: irq: runs: %lu task, %lu softirq, %lu hardirq; allocations refused: %lu task, %lu softirq, %lu hardirq\n",
		gt_irq_runs[GT_TASK], gt_irq_runs[GT_SOFTIRQ], gt_irq_runs[GT_HARDIRQ],
		gt_irq_refused[GT_TASK], gt_irq_refused[GT_SOFTIRQ], gt_irq_refused[GT_HARDIRQ]);
	for (a = 0; a < GT_NCTX; a++)
		pr_info("gomalloc_test: irq: allocated in %-7s freed in task %lu, softirq %lu, hardirq %lu\n",
			gt_ctx_name[a], gt_xfree[a][GT_TASK], gt_xfree[a][GT_SOFTIRQ],
			gt_xfree[a][GT_HARDIRQ]);
	/*
	 * Each context freed objects that each other context allocated; on
	 * RT the hard interrupt allocates nothing, and only it is refused.
	 */
	for (a = 0; a < GT_NCTX; a++)
		for (f = 0; f < GT_NCTX; f++)
			GT_CHECK(a == f || gt_xfree[a][f] > 0 ||
				 (IS_ENABLED(CONFIG_PREEMPT_RT) && a == GT_HARDIRQ),
				 "no object allocated in %s was freed in %s",
				 gt_ctx_name[a], gt_ctx_name[f]);
	if (IS_ENABLED(CONFIG_PREEMPT_RT))
		GT_CHECK(!gt_irq_refused[GT_TASK] && !gt_irq_refused[GT_SOFTIRQ] &&
			 gt_irq_refused[GT_HARDIRQ] == 4 * gt_irq_runs[GT_HARDIRQ],
			 "RT: refused %lu task, %lu softirq, %lu of %lu hardirq allocations",
			 gt_irq_refused[GT_TASK], gt_irq_refused[GT_SOFTIRQ],
			 gt_irq_refused[GT_HARDIRQ], 4 * gt_irq_runs[GT_HARDIRQ]);
}

/*
 * ---- nowait: GFP_NOWAIT/GFP_ATOMIC where sleeping is forbidden ----
 *
 * The script empties the heap first, so these allocations have to grow it
 * from interrupt context (or with a spinlock held): each must succeed or
 * return NULL, and never sleep. Odd objects are freed later by the task.
 */
static char *gt_pctx = "task";
module_param_named(ctx, gt_pctx, charp, 0444);
MODULE_PARM_DESC(ctx, "nowait: task, softirq or hardirq");
static unsigned int allocs_done;
module_param(allocs_done, uint, 0444);
MODULE_PARM_DESC(allocs_done, "nowait: allocations that succeeded (output)");
static struct gt_obj gt_nw_keep[GT_MAX_SIZES + GOMALLOC_TINY_MAX];
static struct completion gt_nw_done;
static struct timer_list gt_nw_timer;
static struct hrtimer gt_nw_hrtimer;
static DEFINE_RAW_SPINLOCK(gt_nw_lock);	/* atomic also on RT */

static void gt_nowait_round(bool irq)
{
	unsigned int k, n = gt_nsizes + GOMALLOC_TINY_MAX;
	u64 cookie = 0x6e6f77616974ULL;
	struct gt_obj o;
	gfp_t gfp;

	for (k = 0; k < n; k++) {
		gfp = irq && !(k & 1) ? GFP_ATOMIC : GFP_NOWAIT;
		if (k < gt_nsizes) {
			o.p = gomalloc(gt_psizes[k], gfp);
			o.n = o.p ? gomalloc_usable_size(o.p) : 0;
		} else {
			o.n = k - gt_nsizes + 1;
			o.p = gomalloc_tiny(o.n, gfp);
		}
		if (!o.p) {
			gt_failures_seen++;
			continue;
		}
		allocs_done++;
		o.cookie = cookie + k;
		gt_fill(o.p, o.n, o.cookie);
		if (k & 1) {
			gt_nw_keep[k] = o;
			continue;
		}
		GT_CHECK(gt_verify(o.p, o.n, o.cookie), "nowait object of %zu bytes corrupted",
			 o.n);
		gofree(o.p);
	}
}

static void gt_nw_timer_fn(struct timer_list *t)
{
	GT_CHECK(in_serving_softirq(), "timer callback not in softirq context");
	gt_nowait_round(true);
	complete(&gt_nw_done);
}

static enum hrtimer_restart gt_nw_hrtimer_fn(struct hrtimer *t)
{
	GT_CHECK(in_hardirq(), "hrtimer callback not in hardirq context");
	gt_nowait_round(true);
	complete(&gt_nw_done);
	return HRTIMER_NORESTART;
}

void gt_nowait(void)
{
	unsigned int k;

	init_completion(&gt_nw_done);
	if (!strcmp(gt_pctx, "hardirq")) {
		hrtimer_init(&gt_nw_hrtimer, CLOCK_MONOTONIC, HRTIMER_MODE_REL_HARD);
		gt_nw_hrtimer.function = gt_nw_hrtimer_fn;
		hrtimer_start(&gt_nw_hrtimer, ns_to_ktime(NSEC_PER_MSEC), HRTIMER_MODE_REL_HARD);
		if (!wait_for_completion_timeout(&gt_nw_done, 10 * HZ))
			GT_CHECK(0, "the hrtimer did not run");
		hrtimer_cancel(&gt_nw_hrtimer);
	} else if (!strcmp(gt_pctx, "softirq")) {
		timer_setup(&gt_nw_timer, gt_nw_timer_fn, 0);
		mod_timer(&gt_nw_timer, jiffies + 1);
		if (!wait_for_completion_timeout(&gt_nw_done, 10 * HZ))
			GT_CHECK(0, "the timer did not run");
		del_timer_sync(&gt_nw_timer);
	} else if (!strcmp(gt_pctx, "task")) {
		/* Task context, but atomic: a sleep here is a bug the kernel reports. */
		raw_spin_lock(&gt_nw_lock);
		gt_nowait_round(false);
		raw_spin_unlock(&gt_nw_lock);
	} else {
		GT_CHECK(0, "unknown ctx=%s", gt_pctx);
	}
	for (k = 0; k < ARRAY_SIZE(gt_nw_keep); k++) {
		if (!gt_nw_keep[k].p)
			continue;
		GT_CHECK(gt_verify(gt_nw_keep[k].p, gt_nw_keep[k].n, gt_nw_keep[k].cookie),
			 "nowait object of %zu bytes corrupted", gt_nw_keep[k].n);
		gofree(gt_nw_keep[k].p);
	}
	pr_info("gomalloc_test: nowait: %s: %u allocation(s), %u NULL return(s)\n",
		gt_pctx, allocs_done, gt_failures_seen);
}
