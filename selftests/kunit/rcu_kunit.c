// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit suite for gofree_rcu(): no free before a grace period, one RCU
 * callback per batch, the barrier, the fallback by rcu_head, irq contexts.
 */
#include <linux/completion.h>
#include <linux/delay.h>
#include <linux/hrtimer.h>
#include <linux/irq_work.h>
#include <linux/jiffies.h>
#include <linux/rcupdate.h>
#include <linux/timer.h>
#include <linux/workqueue.h>
#include <gomalloc.h>
#include "gm_compat.h"
#include "mreport.h"
#include "gm_kunit.h"
#include "mdebug.h"
#include "mrcu.h"

/* A small object (class 32) and a large one whose rcu_head is on page 10. */
struct gm_rt {
	u64 cookie;
	struct rcu_head rcu;
	u64 tail;
};

struct gm_rt_big {
	u8 data[40000];
	struct rcu_head rcu;
};

static u64 gm_rt_cookie(const void *p)
{
	return (unsigned long)p * 0x9e3779b97f4a7c15ULL;
}

static struct gm_rt *gm_rt_new(struct kunit *test, bool tiny)
{
	struct gm_rt *o = tiny ? gomalloc_tiny(sizeof(*o), GFP_KERNEL) :
				 gomalloc(sizeof(*o), GFP_KERNEL);

	KUNIT_ASSERT_NOT_NULL(test, o);
	o->cookie = gm_rt_cookie(o);
	o->tail = o->cookie;
	return o;
}

/* Still allocated and unchanged (gofree_rcu() may have used rcu only). */
static bool gm_rt_live(const struct gm_rt *o)
{
	return gomalloc_usable_size(o) && o->cookie == gm_rt_cookie(o) &&
	       o->tail == gm_rt_cookie(o);
}

static int gm_rcu_test_init(struct kunit *test)
{
	gomalloc_rcu_barrier();
	KUNIT_ASSERT_EQ_MSG(test, gm_rcu_pending(), 0L, "gofree_rcu() objects left pending");
	return gm_kunit_quiet_init(test);
}

static void gm_rcu_test_exit(struct kunit *test)
{
	gomalloc_rcu_barrier();
	KUNIT_EXPECT_EQ(test, gm_rcu_pending(), 0L);
	gm_kunit_quiet_exit(test);
}

/*
 * No batch at hand on this CPU: a gofree_rcu() goes to call_rcu() by its own
 * rcu_head. Bottom halves stay disabled until gm_rt_nobatch_end(), so this
 * CPU's timer cannot refill its spares (and the task stays on the CPU).
 */
static void gm_rt_nobatch_begin(void)
{
	gomalloc_rcu_barrier();	/* no batch in flight returns as a spare */
	local_bh_disable();
	gm_rcu_drop_cpu(smp_processor_id());
}

static void gm_rt_nobatch_end(void)
{
	local_bh_enable();
}

/*
 * Inside a read-side section, an object given to gofree_rcu() stays
 * allocated and intact, its batch handed to RCU and 20 ms gone by; after the
 * barrier it is freed. Batched and by rcu_head, small and large.
 */
static void gm_test_rcu_grace_period(struct kunit *test)
{
	struct gm_rcu_counts c0, c1;
	struct gm_rt_big *big;
	struct gm_rt *o;
	unsigned int single;
	bool live, big_live;

	for (single = 0; single < 2; single++) {
		o = gm_rt_new(test, false);
		big = gomalloc(sizeof(*big), GFP_KERNEL);
		KUNIT_ASSERT_NOT_NULL(test, big);
		memset(big->data, 0x6b, sizeof(big->data));
		if (single)
			gm_rt_nobatch_begin();
		gm_rcu_counts(&c0);
		rcu_read_lock();
		gofree_rcu(o, rcu);
		gofree_rcu(big, rcu);
		gm_rcu_flush_all();
		mdelay(20);
		/* Checked here, reported outside (a report may sleep). */
		live = gm_rt_live(o);
		big_live = gomalloc_usable_size(big) &&
			   big->data[sizeof(big->data) - 1] == 0x6b;
		rcu_read_unlock();
		gm_rcu_counts(&c1);
		if (single)
			gm_rt_nobatch_end();
		KUNIT_EXPECT_TRUE_MSG(test, live, "single %u: freed inside a reader", single);
		KUNIT_EXPECT_TRUE_MSG(test, big_live,
				      "single %u: large object freed inside a reader", single);
		KUNIT_EXPECT_EQ(test, c1.pending - c0.pending, 2L);
		KUNIT_EXPECT_EQ(test, c1.singles - c0.singles, single ? 2UL : 0UL);
		gomalloc_rcu_barrier();
		KUNIT_EXPECT_EQ(test, gomalloc_usable_size(o), (size_t)0);
		KUNIT_EXPECT_EQ(test, gomalloc_usable_size(big), (size_t)0);
		KUNIT_EXPECT_EQ(test, gm_rcu_pending(), 0L);
	}
}

/*
 * N frees on one CPU make at most ceil(N / GM_RCU_BATCH) RCU callbacks: with
 * its spares at hand and bottom halves off (no timer flush in between), N
 * just under two batches takes one full batch and one flushed partial one.
 */
static void gm_test_rcu_batching(struct kunit *test)
{
	const unsigned int n = 2 * GM_RCU_BATCH - 16;
	struct gm_rcu_counts c0, c1;
	struct gm_rt **objs;
	unsigned int i, cpu;

	objs = kunit_kcalloc(test, n, sizeof(*objs), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, objs);
	for (i = 0; i < n; i++)
		objs[i] = gm_rt_new(test, false);
	migrate_disable();
	cpu = smp_processor_id();
	KUNIT_EXPECT_EQ(test, gm_rcu_refill_cpu(cpu, GFP_KERNEL),
			(unsigned int)GM_RCU_SPARES);
	gm_rcu_counts(&c0);
	local_bh_disable();
	for (i = 0; i < n; i++)
		gofree_rcu(objs[i], rcu);
	gm_rcu_flush_all();
	local_bh_enable();
	gm_rcu_counts(&c1);
	migrate_enable();
	kunit_info(test, "%u frees, batch %lu: %lu RCU callback(s)", n,
		   (unsigned long)GM_RCU_BATCH, c1.callbacks - c0.callbacks);
	KUNIT_EXPECT_LE(test, c1.callbacks - c0.callbacks,
			(unsigned long)DIV_ROUND_UP(n, GM_RCU_BATCH));
	KUNIT_EXPECT_EQ(test, c1.singles - c0.singles, 0UL);
	KUNIT_EXPECT_EQ(test, c1.pending - c0.pending, (long)n);
	gomalloc_rcu_barrier();
	for (i = 0; i < n; i++)
		if (gomalloc_usable_size(objs[i]))
			break;
	KUNIT_EXPECT_EQ_MSG(test, i, n, "object %u not freed by the barrier", i);
}

/* Objects queued on every online CPU, each CPU's batch left partial. */
struct gm_rt_percpu {
	struct gm_rt *objs[8];
};

static long gm_rt_queue_on_cpu(void *arg)
{
	struct gm_rt_percpu *pc = arg;
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(pc->objs); i++)
		gofree_rcu(pc->objs[i], rcu);
	return 0;
}

/*
 * gomalloc_rcu_barrier(): when it returns, every object queued before it is
 * freed, those in partial batches of other CPUs too (their timers put off
 * for the test, so the barrier has to flush them); with nothing pending it
 * returns at once (within a grace period).
 */
static void gm_test_rcu_barrier(struct kunit *test)
{
	unsigned int flush_ms = gm_rcu_set_flush_ms(60000);
	struct gm_rt_percpu *pc;
	unsigned int cpu, i, nq = 0, live = 0;

	pc = kunit_kcalloc(test, nr_cpu_ids, sizeof(*pc), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, pc);
	for_each_online_cpu(cpu)
		for (i = 0; i < ARRAY_SIZE(pc[cpu].objs); i++)
			pc[cpu].objs[i] = gm_rt_new(test, i & 1);
	for_each_possible_cpu(cpu) {
		if (!pc[cpu].objs[0])
			continue;
		work_on_cpu(cpu, gm_rt_queue_on_cpu, &pc[cpu]);
		nq += ARRAY_SIZE(pc[cpu].objs);
	}
	KUNIT_EXPECT_EQ(test, gm_rcu_pending(), (long)nq);
	gomalloc_rcu_barrier();
	for_each_possible_cpu(cpu)
		for (i = 0; pc[cpu].objs[0] && i < ARRAY_SIZE(pc[cpu].objs); i++)
			live += !!gomalloc_usable_size(pc[cpu].objs[i]);
	gm_rcu_set_flush_ms(flush_ms);
	KUNIT_EXPECT_EQ_MSG(test, live, 0U, "%u of %u objects not freed by the barrier",
			    live, nq);
	KUNIT_EXPECT_EQ(test, gm_rcu_pending(), 0L);
	gomalloc_rcu_barrier();	/* nothing pending: returns */
}

/* Without a barrier, a partial batch goes to RCU by its CPU's timer. */
static void gm_test_rcu_timer_flush(struct kunit *test)
{
	unsigned long end = jiffies + 10 * HZ;
	struct gm_rt *o = gm_rt_new(test, false);

	gofree_rcu(o, rcu);
	KUNIT_EXPECT_EQ(test, gm_rcu_pending(), 1L);
	while (gm_rcu_pending() && time_before(jiffies, end))
		msleep(20);
	KUNIT_EXPECT_EQ_MSG(test, gm_rcu_pending(), 0L, "not freed within 10 s");
	KUNIT_EXPECT_EQ(test, gomalloc_usable_size(o), (size_t)0);
}

/*
 * gomalloc_tiny() objects (a type with an rcu_head is too big to be a tiny
 * sub-object: these are size-class objects) and large ones, batched and by
 * rcu_head (the head on the large object's tenth page), and debug-mode
 * objects by rcu_head; rcu_pending counts each one until it is freed.
 */
static void gm_test_rcu_tiny_large(struct kunit *test)
{
	struct gm_rcu_counts c0, c1;
	struct gm_rt_big *big[2];
	struct gm_rt *o[4];
	long pending[4];
	unsigned int single, i;
	long errs = atomic_long_read(&gm_errors.invalid_frees) +
		    atomic_long_read(&gm_errors.double_frees);

	for (single = 0; single < 3; single++) {
		if (single == 2)
			gm_set_debug_flags(GM_DEBUG_ALL);
		for (i = 0; i < ARRAY_SIZE(o); i++)
			o[i] = gm_rt_new(test, i & 1);
		for (i = 0; i < ARRAY_SIZE(big); i++) {
			big[i] = gomalloc(sizeof(*big[i]), GFP_KERNEL);
			KUNIT_ASSERT_NOT_NULL(test, big[i]);
		}
		if (single)
			gm_rt_nobatch_begin();
		gm_rcu_counts(&c0);
		for (i = 0; i < ARRAY_SIZE(o); i++) {
			gofree_rcu(o[i], rcu);
			pending[i] = gm_rcu_pending() - c0.pending;
		}
		for (i = 0; i < ARRAY_SIZE(big); i++)
			gofree_rcu(big[i], rcu);
		gm_rcu_counts(&c1);
		if (single)
			gm_rt_nobatch_end();
		for (i = 0; i < ARRAY_SIZE(o); i++)
			KUNIT_EXPECT_EQ(test, pending[i], (long)i + 1);
		KUNIT_EXPECT_EQ(test, c1.pending - c0.pending, 6L);
		KUNIT_EXPECT_EQ(test, c1.singles - c0.singles, single ? 6UL : 0UL);
		for (i = 0; i < ARRAY_SIZE(o); i++)
			KUNIT_EXPECT_TRUE(test, gm_rt_live(o[i]));
		gomalloc_rcu_barrier();
		for (i = 0; i < ARRAY_SIZE(o); i++)
			KUNIT_EXPECT_EQ(test, gomalloc_usable_size(o[i]), (size_t)0);
		for (i = 0; i < ARRAY_SIZE(big); i++)
			KUNIT_EXPECT_EQ(test, gomalloc_usable_size(big[i]), (size_t)0);
		KUNIT_EXPECT_EQ(test, gm_rcu_pending(), 0L);
		if (single == 2) {
			KUNIT_EXPECT_EQ(test, gm_debug_validate(), 0UL);
			gm_set_debug_flags(0);
		}
	}
	KUNIT_EXPECT_EQ(test, atomic_long_read(&gm_errors.invalid_frees) +
			atomic_long_read(&gm_errors.double_frees), errs);
}

/*
 * Typed-cache objects (with a constructor: the LIFO link sits after the
 * object), batched and by rcu_head; then objects still pending when the
 * cache is destroyed: the destroy waits for them, so it finds none live.
 */
static void gm_rt_ctor(void *p)
{
	memset(p, 0, sizeof(struct gm_rt));
}

static void gm_test_rcu_typed_cache(struct kunit *test)
{
	long leaks = atomic_long_read(&gm_errors.cache_leaks);
	struct gomalloc_cache *c;
	struct gm_rcu_counts c0, c1;
	struct gm_rt *o[6];
	unsigned int i, live = 0;

	c = gomalloc_cache_create("gm_rcu_test", sizeof(struct gm_rt), 0, 0, gm_rt_ctor);
	KUNIT_ASSERT_NOT_NULL(test, c);
	for (i = 0; i < ARRAY_SIZE(o); i++) {
		o[i] = gomalloc_cache_alloc(c, GFP_KERNEL);
		KUNIT_ASSERT_NOT_NULL(test, o[i]);
		o[i]->cookie = gm_rt_cookie(o[i]);
		o[i]->tail = o[i]->cookie;
	}
	gm_rt_nobatch_begin();	/* first: it waits for frees queued before */
	gm_rcu_counts(&c0);
	for (i = 0; i < 3; i++)
		gofree_rcu(o[i], rcu);
	gm_rcu_counts(&c1);
	gm_rt_nobatch_end();
	for (; i < ARRAY_SIZE(o); i++)
		gofree_rcu(o[i], rcu);
	KUNIT_EXPECT_EQ(test, c1.singles - c0.singles, 3UL);
	for (i = 0; i < ARRAY_SIZE(o); i++)
		live += gm_rt_live(o[i]);
	KUNIT_EXPECT_EQ(test, live, (unsigned int)ARRAY_SIZE(o));
	gomalloc_rcu_barrier();
	for (i = 0, live = 0; i < ARRAY_SIZE(o); i++)
		live += !!gomalloc_usable_size(o[i]);
	KUNIT_EXPECT_EQ_MSG(test, live, 0U, "typed-cache objects not freed by the barrier");
	KUNIT_EXPECT_EQ(test, gm_rcu_pending(), 0L);

	for (i = 0; i < 3; i++) {
		o[i] = gomalloc_cache_alloc(c, GFP_KERNEL);
		KUNIT_ASSERT_NOT_NULL(test, o[i]);
		gofree_rcu(o[i], rcu);
	}
	gomalloc_cache_destroy(c);
	KUNIT_EXPECT_EQ_MSG(test, atomic_long_read(&gm_errors.cache_leaks), leaks,
			    "the destroy found objects gofree_rcu() had not freed yet");
	KUNIT_EXPECT_EQ(test, gm_rcu_pending(), 0L);
}

/*
 * Memory that is not gomalloc's: reported and counted after the grace
 * period, batched (by gofree()) and by rcu_head, and left alone.
 */
static void gm_test_rcu_not_ours(struct kunit *test)
{
	long errs = atomic_long_read(&gm_errors.invalid_frees);
	struct gm_rt *k = kmalloc(sizeof(*k), GFP_KERNEL);

	KUNIT_ASSERT_NOT_NULL(test, k);
	gofree_rcu(k, rcu);
	gomalloc_rcu_barrier();
	KUNIT_EXPECT_EQ(test, atomic_long_read(&gm_errors.invalid_frees), errs + 1);
	gm_rt_nobatch_begin();
	gofree_rcu(k, rcu);
	gm_rt_nobatch_end();
	gomalloc_rcu_barrier();
	KUNIT_EXPECT_EQ(test, atomic_long_read(&gm_errors.invalid_frees), errs + 2);
	KUNIT_EXPECT_EQ(test, gm_rcu_pending(), 0L);
	kfree(k);
}

/*
 * From hardirq (hrtimer, irq_work), softirq (timer) and task context with
 * interrupts off, on this CPU: half the objects batched, then with the CPU's
 * batches taken away, half by rcu_head. Each stays allocated until the
 * barrier.
 */
#define GM_RT_IRQ_OBJS	600

enum { GM_RT_HRTIMER, GM_RT_IRQWORK, GM_RT_TIMER, GM_RT_IRQSOFF, GM_RT_NCTX };
static const char * const gm_rt_ctx[GM_RT_NCTX] = {
	"hrtimer", "irq_work", "timer", "task, irqs off"
};

static struct gm_rt_irq {
	struct gm_rt *objs[GM_RT_IRQ_OBJS];
	unsigned long singles;		/* by rcu_head in the second half */
	unsigned int live;		/* allocated right after gofree_rcu() */
	bool in_ctx;			/* ran in the context it was meant for */
	void *spare[GM_RCU_SPARES];	/* taken from the CPU, to free */
	unsigned int nspare;
	unsigned int ctx;
	struct completion done;
	struct hrtimer hrt;
	struct irq_work iw;
	struct timer_list timer;
} *gm_rt_irq;

static void gm_rt_irq_free(struct gm_rt_irq *r)
{
	struct gm_rcu_counts c0, c1;
	unsigned int i, half = GM_RT_IRQ_OBJS / 2;

	r->in_ctx = r->ctx == GM_RT_TIMER ? in_serving_softirq() && !in_hardirq() :
		    r->ctx == GM_RT_IRQSOFF ? in_task() && irqs_disabled() :
		    in_hardirq() && irqs_disabled();
	for (i = 0; i < half; i++)
		gofree_rcu(r->objs[i], rcu);
	/* The spares' pages freed by the test, where it may sleep (RT). */
	r->nspare = gm_rcu_take_cpu(smp_processor_id(), r->spare);
	gm_rcu_counts(&c0);
	for (i = half; i < GM_RT_IRQ_OBJS; i++)
		gofree_rcu(r->objs[i], rcu);
	gm_rcu_counts(&c1);
	r->singles = c1.singles - c0.singles;
	for (i = 0; i < GM_RT_IRQ_OBJS; i++)
		r->live += gm_rt_live(r->objs[i]);
	complete(&r->done);
}

static enum hrtimer_restart gm_rt_hrtimer_fn(struct hrtimer *t)
{
	gm_rt_irq_free(container_of(t, struct gm_rt_irq, hrt));
	return HRTIMER_NORESTART;
}

static void gm_rt_irq_work_fn(struct irq_work *w)
{
	gm_rt_irq_free(container_of(w, struct gm_rt_irq, iw));
}

static void gm_rt_timer_fn(struct timer_list *t)
{
	gm_rt_irq_free(from_timer(gm_rt_irq, t, timer));
}

static void gm_test_rcu_irq_contexts(struct kunit *test)
{
	struct gm_rt_irq *r;
	unsigned long flags;
	unsigned int ctx, i, freed;
	bool done;

	r = kunit_kzalloc(test, sizeof(*r), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, r);
	gm_rt_irq = r;
	for (ctx = 0; ctx < GM_RT_NCTX; ctx++) {
		memset(r, 0, sizeof(*r));
		r->ctx = ctx;
		init_completion(&r->done);
		for (i = 0; i < GM_RT_IRQ_OBJS; i++)
			r->objs[i] = gm_rt_new(test, i & 1);
		migrate_disable();	/* the spares refilled, then used here */
		gm_rcu_refill_cpu(smp_processor_id(), GFP_KERNEL);
		switch (ctx) {
		case GM_RT_HRTIMER:
			hrtimer_init(&r->hrt, CLOCK_MONOTONIC, HRTIMER_MODE_REL_PINNED_HARD);
			r->hrt.function = gm_rt_hrtimer_fn;
			hrtimer_start(&r->hrt, ns_to_ktime(100 * NSEC_PER_USEC),
				      HRTIMER_MODE_REL_PINNED_HARD);
			break;
		case GM_RT_IRQWORK:	/* hard: not the irq_work thread on RT */
			r->iw = IRQ_WORK_INIT_HARD(gm_rt_irq_work_fn);
			irq_work_queue(&r->iw);
			break;
		case GM_RT_TIMER:
			timer_setup(&r->timer, gm_rt_timer_fn, TIMER_PINNED);
			mod_timer(&r->timer, jiffies + 1);
			break;
		default:
			local_irq_save(flags);
			gm_rt_irq_free(r);
			local_irq_restore(flags);
		}
		migrate_enable();
		done = wait_for_completion_timeout(&r->done, 10 * HZ);
		if (ctx == GM_RT_HRTIMER)
			hrtimer_cancel(&r->hrt);
		else if (ctx == GM_RT_IRQWORK)
			irq_work_sync(&r->iw);
		else if (ctx == GM_RT_TIMER)
			del_timer_sync(&r->timer);
		KUNIT_ASSERT_TRUE_MSG(test, done, "%s: never ran", gm_rt_ctx[ctx]);
		gm_rcu_free_spares(r->spare, r->nspare);
		KUNIT_EXPECT_TRUE_MSG(test, r->in_ctx, "%s: not the context meant",
				      gm_rt_ctx[ctx]);
		KUNIT_EXPECT_EQ_MSG(test, r->live, GM_RT_IRQ_OBJS, "%s", gm_rt_ctx[ctx]);
		KUNIT_EXPECT_EQ_MSG(test, r->singles, (unsigned long)GM_RT_IRQ_OBJS / 2,
				    "%s: frees by rcu_head", gm_rt_ctx[ctx]);
		gomalloc_rcu_barrier();
		for (i = 0, freed = 0; i < GM_RT_IRQ_OBJS; i++)
			freed += !gomalloc_usable_size(r->objs[i]);
		KUNIT_EXPECT_EQ_MSG(test, freed, GM_RT_IRQ_OBJS, "%s", gm_rt_ctx[ctx]);
		KUNIT_EXPECT_EQ(test, gm_rcu_pending(), 0L);
	}
	gm_rt_irq = NULL;
}

static struct kunit_case gm_rcu_cases[] = {
	KUNIT_CASE(gm_test_rcu_grace_period),
	KUNIT_CASE(gm_test_rcu_batching),
	KUNIT_CASE(gm_test_rcu_barrier),
	KUNIT_CASE(gm_test_rcu_timer_flush),
	KUNIT_CASE(gm_test_rcu_tiny_large),
	KUNIT_CASE(gm_test_rcu_typed_cache),
	KUNIT_CASE(gm_test_rcu_not_ours),
	KUNIT_CASE(gm_test_rcu_irq_contexts),
	{}
};

struct kunit_suite gm_rcu_suite = {
	.name = "gomalloc_rcu",
	.init = gm_rcu_test_init,
	.exit = gm_rcu_test_exit,
	.test_cases = gm_rcu_cases,
};
