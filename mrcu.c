// SPDX-License-Identifier: GPL-2.0
/*
 * gofree_rcu(): objects freed as gofree() frees them (gm_mcache_free_any)
 * after an RCU grace period, batched per CPU, one RCU callback per batch.
 * Above the mcaches, below typed caches (destroy waits for it) and stats.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/gfp.h>
#include <linux/jiffies.h>
#include <linux/moduleparam.h>
#include <linux/percpu.h>
#include <linux/printk.h>
#include <linux/rcupdate.h>
#include <linux/slab.h>
#include <linux/spinlock.h>
#include <linux/timer.h>
#include <trace/events/kmem.h>
#include <gomalloc.h>
#include "gm_compat.h"
#include "mreport.h"
#include "mcache.h"
#include "mheap.h"
#include "mleak.h"
#include "mspan.h"
#include "mrcu.h"

/*
 * Each CPU fills one batch at a time under its own raw spinlock, taken with
 * interrupts off: any context but NMI may queue, and a barrier may flush
 * another CPU's batch. A full batch goes to call_rcu() at once, a partial
 * one when the CPU's timer fires, rcu_flush_ms after it was armed, or on a
 * barrier; always under the lock, so a barrier that finds no batch knows
 * RCU has them all. The callback frees the objects and keeps the page as a
 * spare of its CPU. Spares come from init and from the timer (GFP_NOWAIT),
 * never from gofree_rcu(): with none at hand an object goes to call_rcu() by
 * its own rcu_head, and the callback finds the object from the head's
 * address through the span index.
 */
struct gm_rcu_cpu {
	raw_spinlock_t lock;
	struct gm_rcu_batch *cur;	/* being filled (nr >= 1), or NULL */
	struct gm_rcu_batch *spare[GM_RCU_SPARES];
	unsigned int nspare;
	unsigned int cpu;
	struct timer_list timer;	/* pinned: flushes cur, refills spares */
	/* Counters: this CPU's share of the sums (pending may go negative). */
	long pending;
	unsigned long callbacks, singles;
};

static DEFINE_PER_CPU(struct gm_rcu_cpu, gm_rcu_cpus);

/*
 * From arming a CPU's timer (a gofree_rcu() finding its batch empty or its
 * spares short) to the flush of its partial batch. A new value applies to
 * timers armed after it.
 */
static unsigned int gm_rcu_flush_ms = 20;
module_param_named(rcu_flush_ms, gm_rcu_flush_ms, uint, 0644);
MODULE_PARM_DESC(rcu_flush_ms, "gofree_rcu(): ms before a CPU's partial batch goes to RCU");

static void gm_rcu_report(const void *p, const char *why)
{
	gm_report_error(&gm_errors.invalid_frees);
	pr_err_ratelimited("gofree_rcu(): rcu_head at %p: %s\n", p, why);
}

/* Keep the empty batch @b as a spare of @rc if it has room, else free it. */
static bool gm_rcu_keep(struct gm_rcu_cpu *rc, struct gm_rcu_batch *b)
{
	unsigned long flags;
	bool kept = false;

	b->cpu = rc->cpu;
	b->nr = 0;
	raw_spin_lock_irqsave(&rc->lock, flags);
	if (rc->nspare < GM_RCU_SPARES) {
		rc->spare[rc->nspare++] = b;
		kept = true;
	}
	raw_spin_unlock_irqrestore(&rc->lock, flags);
	if (!kept) {
		gm_leak_meta_free(b);
		free_page((unsigned long)b);
	}
	return kept;
}

/* After a grace period: free a batch's objects, keep its page. */
static void gm_rcu_free_batch(struct rcu_head *head)
{
	struct gm_rcu_batch *b = container_of(head, struct gm_rcu_batch, rcu);
	unsigned int i, nr = b->nr;

	for (i = 0; i < nr; i++) {
		trace_kfree(_THIS_IP_, b->objs[i]);	/* as kvfree_rcu()'s frees */
		gm_mcache_free_any(b->objs[i], _THIS_IP_);
	}
	gm_leak_meta_clear(b->objs, nr * sizeof(b->objs[0]));
	this_cpu_sub(gm_rcu_cpus.pending, nr);
	gm_rcu_keep(per_cpu_ptr(&gm_rcu_cpus, b->cpu), b);
}

/* The start of the small, typed-cache, debug or large object at @head, or 0. */
static unsigned long gm_rcu_obj_of(struct rcu_head *head)
{
	unsigned long h = (unsigned long)head, obj = 0;
	struct gm_mspan *s;

	preempt_disable();	/* an RCU reader of the index */
	s = gm_span_of(head);
	if (s && (s->state == GM_SPAN_SMALL || s->state == GM_SPAN_CACHE ||
		  s->state == GM_SPAN_DEBUG))
		obj = s->base + (unsigned long)gm_span_objindex(s, h) * s->elemsize;
	else if (s && s->state == GM_SPAN_LARGE)
		obj = s->base;
	preempt_enable();
	return obj;
}

/* After a grace period: one object queued by its own rcu_head. */
static void gm_rcu_free_single(struct rcu_head *head)
{
	unsigned long obj = gm_rcu_obj_of(head);

	if (obj) {
		trace_kfree(_THIS_IP_, (void *)obj);
		gm_mcache_free_any((void *)obj, _THIS_IP_);
	} else {
		gm_rcu_report(head, "not inside a gomalloc object; nothing freed");
	}
	this_cpu_dec(gm_rcu_cpus.pending);
}

/* Hand @rc's partial batch to RCU. Called with @rc->lock held. */
static void gm_rcu_flush_locked(struct gm_rcu_cpu *rc)
{
	struct gm_rcu_batch *b = rc->cur;

	lockdep_assert_held(&rc->lock);
	if (!b)
		return;
	rc->cur = NULL;
	this_cpu_inc(gm_rcu_cpus.callbacks);
	call_rcu(&b->rcu, gm_rcu_free_batch);
}

static void gm_rcu_flush(struct gm_rcu_cpu *rc)
{
	unsigned long flags;

	raw_spin_lock_irqsave(&rc->lock, flags);
	gm_rcu_flush_locked(rc);
	raw_spin_unlock_irqrestore(&rc->lock, flags);
}

/* Top up @rc's spares with pages from @gfp; how many it has. */
static unsigned int gm_rcu_refill(struct gm_rcu_cpu *rc, gfp_t gfp)
{
	struct gm_rcu_batch *b;

	while (READ_ONCE(rc->nspare) < GM_RCU_SPARES) {
		b = (struct gm_rcu_batch *)__get_free_page(gfp);
		if (!b)
			break;
		/* Its slots hold the only pointers to objects waiting for RCU. */
		gm_leak_meta_alloc(b, PAGE_SIZE, gfp);
		if (!gm_rcu_keep(rc, b))
			break;
	}
	return READ_ONCE(rc->nspare);
}

static void gm_rcu_timer_fn(struct timer_list *t)
{
	struct gm_rcu_cpu *rc = from_timer(rc, t, timer);

	gm_rcu_flush(rc);
	gm_rcu_refill(rc, GFP_NOWAIT | __GFP_NOWARN);
}

/* NMI context: call_rcu() cannot be called; counted as mcache.c counts. */
static noinline void gm_rcu_nmi(const void *ptr, unsigned long ip)
{
	atomic_long_inc(&gm_errors.nmi_frees_lost);
	pr_err_ratelimited("gofree_rcu(%p) from %pS in NMI: not supported; object leaked\n",
			   ptr, (void *)ip);
}

void __gofree_rcu(const void *ptr, struct rcu_head *head)
{
	struct gm_rcu_batch *b;
	struct gm_rcu_cpu *rc;
	unsigned long flags;
	bool arm;

	if (unlikely(in_nmi())) {
		gm_rcu_nmi(ptr, _RET_IP_);
		return;
	}
	local_irq_save(flags);
	rc = this_cpu_ptr(&gm_rcu_cpus);
	raw_spin_lock(&rc->lock);
	b = rc->cur;
	if (!b && rc->nspare) {
		b = rc->spare[--rc->nspare];
		rc->cur = b;
	}
	if (likely(b)) {
		b->objs[b->nr++] = ptr;
		if (b->nr == GM_RCU_BATCH)
			gm_rcu_flush_locked(rc);
	}
	/* A partial batch to flush later, or spares to refill. */
	arm = rc->cur || rc->nspare < GM_RCU_SPARES;
	raw_spin_unlock(&rc->lock);
	this_cpu_inc(gm_rcu_cpus.pending);
	if (unlikely(!b)) {
		this_cpu_inc(gm_rcu_cpus.singles);
		this_cpu_inc(gm_rcu_cpus.callbacks);
		call_rcu(head, gm_rcu_free_single);
	}
	if (arm && !timer_pending(&rc->timer))
		mod_timer(&rc->timer, jiffies + msecs_to_jiffies(READ_ONCE(gm_rcu_flush_ms)));
	local_irq_restore(flags);
}
EXPORT_SYMBOL_GPL(__gofree_rcu);

/* Hand every CPU's partial batch to RCU; does not wait. */
void gm_rcu_flush_all(void)
{
	unsigned int cpu;

	for_each_possible_cpu(cpu)
		gm_rcu_flush(per_cpu_ptr(&gm_rcu_cpus, cpu));
}
GM_EXPORT_INTERNAL(gm_rcu_flush_all);

void gomalloc_rcu_barrier(void)
{
	might_sleep();
	gm_rcu_flush_all();
	rcu_barrier();	/* the callbacks queue nothing further */
}
EXPORT_SYMBOL_GPL(gomalloc_rcu_barrier);

long gm_rcu_pending(void)
{
	unsigned int cpu;
	long n = 0;

	for_each_possible_cpu(cpu)
		n += READ_ONCE(per_cpu_ptr(&gm_rcu_cpus, cpu)->pending);
	return n;
}
GM_EXPORT_INTERNAL(gm_rcu_pending);

void gm_rcu_counts(struct gm_rcu_counts *c)
{
	unsigned int cpu;

	memset(c, 0, sizeof(*c));
	for_each_possible_cpu(cpu) {
		struct gm_rcu_cpu *rc = per_cpu_ptr(&gm_rcu_cpus, cpu);

		c->pending += READ_ONCE(rc->pending);
		c->callbacks += READ_ONCE(rc->callbacks);
		c->singles += READ_ONCE(rc->singles);
	}
}
GM_EXPORT_INTERNAL(gm_rcu_counts);

/* Give @cpu its spares now (KUnit, init); how many it has. */
unsigned int gm_rcu_refill_cpu(unsigned int cpu, gfp_t gfp)
{
	return gm_rcu_refill(per_cpu_ptr(&gm_rcu_cpus, cpu), gfp | __GFP_NOWARN);
}
GM_EXPORT_INTERNAL(gm_rcu_refill_cpu);

/*
 * Flush @cpu's batch and take its spares into @spare (GM_RCU_SPARES
 * slots): it has no batch at hand. Any context; returns how many.
 */
unsigned int gm_rcu_take_cpu(unsigned int cpu, void **spare)
{
	struct gm_rcu_cpu *rc = per_cpu_ptr(&gm_rcu_cpus, cpu);
	unsigned long flags;
	unsigned int n;

	raw_spin_lock_irqsave(&rc->lock, flags);
	gm_rcu_flush_locked(rc);
	n = rc->nspare;
	memcpy(spare, rc->spare, n * sizeof(*spare));
	rc->nspare = 0;
	raw_spin_unlock_irqrestore(&rc->lock, flags);
	return n;
}
GM_EXPORT_INTERNAL(gm_rcu_take_cpu);

/* Free @n spares taken by gm_rcu_take_cpu() (the page allocator's locks). */
void gm_rcu_free_spares(void **spare, unsigned int n)
{
	while (n--) {
		gm_leak_meta_free(spare[n]);
		free_page((unsigned long)spare[n]);
	}
}
GM_EXPORT_INTERNAL(gm_rcu_free_spares);

/* Flush @cpu's batch and free its spares. */
void gm_rcu_drop_cpu(unsigned int cpu)
{
	void *spare[GM_RCU_SPARES];

	gm_rcu_free_spares(spare, gm_rcu_take_cpu(cpu, spare));
}
GM_EXPORT_INTERNAL(gm_rcu_drop_cpu);

/*
 * KUnit: set rcu_flush_ms, stopping every CPU's timer and flushing what it
 * would have (a gofree_rcu() arms it again); returns the old value.
 */
unsigned int gm_rcu_set_flush_ms(unsigned int ms)
{
	unsigned int old = xchg(&gm_rcu_flush_ms, ms);
	unsigned int cpu;

	for_each_possible_cpu(cpu)
		del_timer_sync(&per_cpu_ptr(&gm_rcu_cpus, cpu)->timer);
	gm_rcu_flush_all();
	return old;
}
GM_EXPORT_INTERNAL(gm_rcu_set_flush_ms);

void gm_rcu_init(void)
{
	unsigned int cpu;

	for_each_possible_cpu(cpu) {
		struct gm_rcu_cpu *rc = per_cpu_ptr(&gm_rcu_cpus, cpu);

		raw_spin_lock_init(&rc->lock);
		timer_setup(&rc->timer, gm_rcu_timer_fn, TIMER_PINNED);
		rc->cpu = cpu;
	}
	for_each_online_cpu(cpu)	/* others get theirs from their timer */
		gm_rcu_refill_cpu(cpu, GFP_KERNEL);
}

/* Unload: no client is left to queue; every queued object is freed. */
void gm_rcu_exit(void)
{
	long pending = gm_rcu_pending();
	unsigned int cpu;

	if (pending)
		pr_info("unload: waiting for %ld gofree_rcu() object(s)\n", pending);
	for_each_possible_cpu(cpu)
		del_timer_sync(&per_cpu_ptr(&gm_rcu_cpus, cpu)->timer);
	gomalloc_rcu_barrier();
	for_each_possible_cpu(cpu)
		gm_rcu_drop_cpu(cpu);
}
